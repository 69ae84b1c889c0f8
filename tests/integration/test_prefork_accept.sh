#!/bin/bash
# SPDX-License-Identifier: MIT
# accept() works in every process that holds the listening fd, and the
# listener outlives the process that created it: tests/progs/prefork_accept
# listens under the shim, forks three workers and exits; the kernel side then
# connects three times and must be answered by three different workers.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin prefork_accept

prog=$SOCKSHIM_BUILD_DIR/tests/prefork_accept
[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"
port=7100 workers=3

tb_say "shim side: prefork_accept $port $workers (the creator exits at once)"
testbed_shim "$prog" $port $workers >"$TB_WORK/prefork.log" 2>&1 ||
	tb_fail "prefork_accept under the shim failed (status $?)"
grep -q "listening on $port" "$TB_WORK/prefork.log" || tb_fail "prefork_accept did not report listening"

for i in $(seq 1 $workers); do
	testbed_peer timeout 10 socat -u "TCP4:$TB_SHIM_ADDR:$port" - >>"$TB_WORK/answers.log" 2>>"$TB_WORK/socat.log" ||
		tb_fail "connection $i to the pre-forked server failed"
done
tb_say "answers: $(tr '\n' ';' <"$TB_WORK/answers.log")"
[ "$(grep -c "^worker [0-9]* $TB_PEER_ADDR\$" "$TB_WORK/answers.log")" = $workers ] ||
	tb_fail "expected $workers answers naming the peer $TB_PEER_ADDR"
[ "$(cut -d' ' -f2 "$TB_WORK/answers.log" | sort -u | wc -l)" = $workers ] ||
	tb_fail "the answers did not come from $workers different workers"
tb_say "ok: $workers workers accepted on a listener whose creator had exited"
testbed_test_end
