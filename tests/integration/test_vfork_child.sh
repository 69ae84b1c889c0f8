#!/bin/bash
# SPDX-License-Identifier: MIT
# A vfork child shares its parent's memory, the interposer's fd table
# included, but not its fds: tests/progs/vfork_listener listens under the
# shim, vforks a child that closes the listener and dup2s over a dup of it
# before exec, and must still have both afterwards: the dup still names an
# AF_INET address and a kernel-side client still gets accepted.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin vfork_child

prog=$SOCKSHIM_BUILD_DIR/tests/vfork_listener
[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"

testbed_shim "$prog" 9200 >"$TB_WORK/prog.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
	grep -q '^listening' "$TB_WORK/prog.log" && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
grep -q '^listening' "$TB_WORK/prog.log" || tb_fail "vfork_listener never listened"
grep -q '^dup family AF_INET' "$TB_WORK/prog.log" ||
	tb_fail "after the vfork child's dup2, the parent's dup is no longer its socket: $(head -1 "$TB_WORK/prog.log")"
tb_say "ok: the parent's dup is still an AF_INET socket after the child's dup2"
echo x | timeout 30 ip netns exec "$TB_NS_PEER" socat - TCP4:"$TB_SHIM_ADDR":9200 >/dev/null 2>&1 ||
	tb_fail "the kernel side cannot connect to the listener the vfork child closed its copy of"
wait "$pid" || tb_fail "vfork_listener failed (status $?)"
grep -q '^accepted x' "$TB_WORK/prog.log" || tb_fail "the parent did not accept the connection"
tb_say "ok: the parent still accepts after the child closed its copy"
testbed_test_end
