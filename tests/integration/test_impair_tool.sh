#!/bin/bash
# SPDX-License-Identifier: MIT
# sockshim-impair itself, on the impaired testbed: a bad argument is one
# line naming the option and nothing starts; options after --a2b or --b2a
# touch that direction only; delay holds every frame at least its time;
# duplication sends each frame twice (ping under the shim sees every reply
# twice, as the kernel's ping would); the counters match what was done, on
# SIGUSR1 while running and at exit.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin_impaired impair_tool 1500 --delay 25 --a2b --duplicate 100
bin=$(tb_find_impair)

# bad WANT ARGS...: the tool refuses ARGS with status 2 and one line
# containing WANT.
bad() {
	local want=$1 out rc=0
	shift
	out=$("$bin" "$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" = 2 ] || tb_fail "sockshim-impair $*: status $rc, expected 2"
	[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || tb_fail "sockshim-impair $*: more than one line: $out"
	case "$out" in
	*"$want"*) ;;
	*) tb_fail "sockshim-impair $*: '$out' does not name $want" ;;
	esac
}
bad "--loss: '5x'" --loss 5x a b
bad "--loss: '101'" --loss 101 a b
bad "--delay: '-1'" --delay -1 a b
bad "--rate: '10Q'" --rate 10Q a b
bad "--reorder-gap: '0'" --reorder-gap 0 a b
bad "--burst" --burst 3000 a b
bad "'--bogus'" --bogus a b
bad "'--seed' needs a value" a b --seed
bad "two interfaces" onlyone
out=$("$bin" nosuch0 "$TB_IF_PEER" 2>&1) && tb_fail "sockshim-impair started on a missing interface"
case "$out" in
*"interface 'nosuch0'"*) ;;
*) tb_fail "a missing interface is not named: $out" ;;
esac
tb_say "ok: bad arguments are one line naming the option"

tb_say "delay 25 ms each way, every shim -> peer frame twice: ping -c 3 under the shim"
testbed_shim ping -n -c 3 -i 0.3 -w 10 "$TB_PEER_ADDR" >"$TB_WORK/ping.log" 2>&1
# ping stops at the third reply, maybe before that reply's copy arrives.
grep -Eq '3 packets transmitted, 3 received, \+[23] duplicates' "$TB_WORK/ping.log" ||
	tb_fail "expected 3 replies and 2 or 3 duplicates: $(grep transmitted "$TB_WORK/ping.log")"
min=$(sed -n 's|^rtt min/avg/max/mdev = \([0-9.]*\)/.*|\1|p' "$TB_WORK/ping.log")
awk -v m="$min" 'BEGIN { exit !(m >= 50) }' || tb_fail "a round trip of $min ms through 2 x 25 ms of delay"
tb_say "ok: each request twice, so each reply twice; shortest round trip $min ms >= 50"

# SIGUSR1: the counters, while the bridge goes on.
kill -USR1 "$TB_IMPAIR_PID"
timeout 10 bash -c "until [ \$(grep -c ' received ' '$TB_IMPAIR_LOG') -ge 2 ]; do sleep 0.1; done" ||
	tb_fail "no counters after SIGUSR1"
kill -0 "$TB_IMPAIR_PID" 2>/dev/null || tb_fail "the bridge exited on SIGUSR1"
testbed_impair_stop
a_rx=$(testbed_impair_count a2b received)
[ "$(testbed_impair_count a2b duplicated)" = "$a_rx" ] && [ "$a_rx" -gt 0 ] ||
	tb_fail "a2b: $a_rx received, $(testbed_impair_count a2b duplicated) duplicated (expected all)"
[ "$(testbed_impair_count a2b sent)" = $((2 * a_rx)) ] || tb_fail "a2b: sent is not twice received"
[ "$(testbed_impair_count b2a duplicated)" = 0 ] || tb_fail "b2a duplicated frames: --a2b leaked"
tb_say "ok: counters: a2b received $a_rx, duplicated $a_rx, sent $((2 * a_rx)); b2a duplicated 0"

tb_say "every peer -> shim frame lost (--b2a --loss 100): no reply"
testbed_impair_start --b2a --loss 100 || tb_fail "cannot restart the bridge"
testbed_shim ping -n -c 2 -i 0.3 -w 3 "$TB_PEER_ADDR" >"$TB_WORK/ping-lost.log" 2>&1
grep -Eq ' packets transmitted, 0 received' "$TB_WORK/ping-lost.log" ||
	tb_fail "expected no reply: $(grep transmitted "$TB_WORK/ping-lost.log")"
testbed_impair_stop
b_rx=$(testbed_impair_count b2a received)
[ "$b_rx" -gt 0 ] && [ "$(testbed_impair_count b2a lost)" = "$b_rx" ] ||
	tb_fail "b2a: $b_rx received, $(testbed_impair_count b2a lost) lost (expected all)"
[ "$(testbed_impair_count a2b lost)" = 0 ] && [ "$(testbed_impair_count a2b received)" -gt 0 ] ||
	tb_fail "a2b lost frames or saw none: --b2a leaked"
tb_say "ok: b2a lost all $b_rx frames, a2b none"
testbed_test_end
