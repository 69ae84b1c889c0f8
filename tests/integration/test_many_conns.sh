#!/bin/bash
# SPDX-License-Identifier: MIT
# 10,000 concurrent TCP connections through one stack host, each carrying
# data: tests/progs/many_conns opens them all (keeping every one open), then
# sends each its own tag and reads the echo back on every one. Both ways:
# the shim side as client of a kernel echo server, then as the echo server
# of a kernel client. A correctness test: the connect rate per thousand is
# logged, never judged.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin many_conns

prog=$SOCKSHIM_BUILD_DIR/tests/many_conns
[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"
n=10000
# Each connection is one fd in the program and one in the host (which
# inherits the program's limits); the echo server holds n more.
[ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt $((n + 256)) ] &&
	{ ulimit -Hn $((n + 256)) 2>/dev/null || tb_fail "RLIMIT_NOFILE hard limit $(ulimit -Hn) < $((n + 256)) and cannot be raised"; }
ulimit -n "$(ulimit -Hn)"

# check_open LOG: the client's log says all n opened and echoed.
check_open() {
	grep -q "^open $n " "$1" || tb_fail "not all $n connections opened: $(grep many_conns: "$1" | head -n 1)"
	grep -q "^echo $n\$" "$1" || tb_fail "not every connection echoed its tag: $(grep many_conns: "$1" | head -n 1)"
	tb_say "$(grep -c '^opened' "$1") steps: $(sed -n 's/^opened \([0-9]*\):.*(\([0-9]*\/s\))/\1 \2/p' "$1" | tr '\n' ',')"
}

tb_say "shim side as client: $n connections to a kernel echo server"
testbed_peer "$prog" serve "$TB_PEER_ADDR" 9100 >"$TB_WORK/serve-peer.log" 2>&1 &
srv=$!
testbed_wait_listen "$TB_NS_PEER" tcp 9100 10 || tb_fail "the kernel echo server did not start"
testbed_shim timeout 240 "$prog" open "$TB_PEER_ADDR" 9100 $n >"$TB_WORK/open-shim.log" 2>&1 ||
	{ cat "$TB_WORK/open-shim.log" >&2; tb_fail "many_conns open under the shim failed (status $?)"; }
check_open "$TB_WORK/open-shim.log"
kill $srv 2>/dev/null
wait $srv 2>/dev/null

tb_say "shim side as server: $n connections from a kernel client"
testbed_shim "$prog" serve "$TB_SHIM_ADDR" 9200 >"$TB_WORK/serve-shim.log" 2>&1 &
srv=$!
testbed_wait_tcp "$TB_NS_PEER" "$TB_SHIM_ADDR" 9200 20 || tb_fail "the echo server under the shim did not start"
testbed_peer timeout 240 "$prog" open "$TB_SHIM_ADDR" 9200 $n >"$TB_WORK/open-peer.log" 2>&1 ||
	{ cat "$TB_WORK/open-peer.log" >&2; tb_fail "many_conns open from the kernel side failed (status $?)"; }
check_open "$TB_WORK/open-peer.log"
kill $srv 2>/dev/null
wait $srv 2>/dev/null
tb_say "ok: $n concurrent connections each way, every one carried its own tag"
testbed_test_end
