#!/bin/bash
# SPDX-License-Identifier: MIT
# sockshim-stat speaks the control contract (HELLO, then SHIM_OP_STAT page
# by page): against a running host it prints the host's pid and every
# counter line, the last one (the host's own) included, so the text was
# read across pages and not cut. Its exit status tells the failures apart:
# 2 for a configuration error (one line naming the variable), 3 where no
# host serves the address yet (one line saying so), 0 for the counters.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin stat

. "$SOCKSHIM_SOURCE_DIR/tests/integration/lib_holder.sh"
holder_start "$TB_WORK/done" "$TB_WORK/holder.log"
host=$(testbed_stackd_pids)
ip netns exec "$TB_NS_SHIM" env SOCKSHIM_IFACE="$TB_IF_SHIM" SOCKSHIM_ADDR="$TB_SHIM_ADDR/$TB_PREFIX" \
	"$SOCKSHIM_BUILD_DIR/tools/sockshim-stat" >"$TB_WORK/stat.out" 2>&1 ||
	tb_fail "sockshim-stat failed: $(cat "$TB_WORK/stat.out")"
head -n 1 "$TB_WORK/stat.out" | grep -q "^stack host pid $host, " ||
	tb_fail "the first line does not name the host (pid $host): $(head -n 1 "$TB_WORK/stat.out")"
for counters in Ip: Icmp: Tcp: Udp: Stackd:; do
	grep -q "^$counters " "$TB_WORK/stat.out" || tb_fail "no '$counters' line in: $(cat "$TB_WORK/stat.out")"
done
grep -q "^Stackd: Sockets=1 " "$TB_WORK/stat.out" || tb_fail "the host should count root's one socket"
tail -n 1 "$TB_WORK/stat.out" | grep -q "^Stackd: .* Errors=[0-9]*$" ||
	tb_fail "the text does not end with the host's own line, whole: $(tail -n 1 "$TB_WORK/stat.out")"
[ "$(wc -c <"$TB_WORK/stat.out")" -gt 512 ] || tb_fail "the text fits in one page: the test proves nothing"
tb_say "ok: $(wc -c <"$TB_WORK/stat.out") bytes of counters, the host's own line last"

# stat_rc WANT LINE ENV...: sockshim-stat in the shim namespace with ENV
# exits WANT and says one line matching LINE.
stat_rc() {
	local want=$1 line=$2 rc
	shift 2
	ip netns exec "$TB_NS_SHIM" env "$@" "$SOCKSHIM_BUILD_DIR/tools/sockshim-stat" \
		>"$TB_WORK/stat.out" 2>&1
	rc=$?
	[ "$rc" = "$want" ] || tb_fail "$*: exit $rc, not $want: $(cat "$TB_WORK/stat.out")"
	[ "$(wc -l <"$TB_WORK/stat.out")" = 1 ] && grep -q "$line" "$TB_WORK/stat.out" ||
		tb_fail "$*: not one line matching '$line': $(cat "$TB_WORK/stat.out")"
}
stat_rc 2 "^sockshim: SOCKSHIM_ADDR: " SOCKSHIM_IFACE="$TB_IF_SHIM" SOCKSHIM_ADDR=10.99.0.300/24
stat_rc 2 "^sockshim: SOCKSHIM_IFACE " SOCKSHIM_IFACE= SOCKSHIM_ADDR="$TB_SHIM_ADDR/$TB_PREFIX"
stat_rc 3 "^sockshim: stat: no stack host for $TB_IF_SHIM 10.99.0.77 " \
	SOCKSHIM_IFACE="$TB_IF_SHIM" SOCKSHIM_ADDR="10.99.0.77/$TB_PREFIX"
tb_say "ok: exit 2 for a bad setting, 3 for no host, each with one line"
touch "$TB_WORK/done"
wait "$HOLDER_PID"
testbed_test_end
