#!/bin/bash
# SPDX-License-Identifier: MIT
# Connected UDP sockets in a process that installed a seccomp filter
# (socket() refused) before any other socket call, so that under the shim
# it never spoke to the stack host: one it inherited through exec, one
# passed to it by SCM_RIGHTS afterwards. It must use both at once as the
# kernel's: a write leaves as the payload alone (the pair's header never
# reaches the wire), a send with the peer's address leaves too, and the
# echoes of 48-byte datagrams (more than the pair's header: one sent
# through libc, one by a raw write(2)) read back whole, from the peer.
# tests/progs/dgram_sandboxed runs natively and under the shim against the
# same kernel echo; every line must agree (the echo returns what the peer
# got: a header on the wire would come back 40 bytes longer). Its own new
# AF_INET sockets fail with the filter's errno both ways, and so do those
# of the program it execs, which inherits the filter: bad flags and types
# too (seccomp answers before sys_socket's checks).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin dgram_sandboxed

prog=$SOCKSHIM_BUILD_DIR/tests/dgram_sandboxed
[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"
testbed_udp_echo 7421 || tb_fail "the peer's echo did not start"
testbed_kernel_then_shim timeout -s KILL 60 "$prog" "$TB_PEER_ADDR" 7421
testbed_same_lines
for tag in inherited passed; do
	[ "$(grep -c "^$tag echo same, from the peer$" "$TB_WORK/native")" = 2 ] ||
		tb_fail "the native $tag socket's echoes did not come: the comparison would prove nothing"
done
grep -qx "data sbx-hello" "$TB_WORK/shim" || tb_fail "the sandboxed child did not read its echo"
grep -qx "heir socket, bad flag = -1 EPERM" "$TB_WORK/native" ||
	tb_fail "natively the inherited filter did not answer the bad flag: the comparison would prove nothing"
tb_say "ok: the same as the kernel: $(tr '\n' '|' <"$TB_WORK/shim")"
testbed_test_end
