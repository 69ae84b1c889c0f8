#!/bin/bash
# SPDX-License-Identifier: MIT
# A process killed while it holds a UDP socket's read lock (the socket's
# page, SO_PEEK_OFF: shim_sk_lock) hands the lock on: tests/progs/peek_lock_kill
# kills a fork child under ptrace at the first system call of its MSG_PEEK
# (under the shim: inside the lock), then of its plain read, and the parent's
# reads must complete, first on the kernel of the shim namespace, then under
# the shim; every line must agree.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin peek_lock_kill

prog=$SOCKSHIM_BUILD_DIR/tests/peek_lock_kill
[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"

testbed_udp_echo 7104 || tb_fail "the peer's echo does not listen"

testbed_kernel_then_shim "$prog" "$TB_PEER_ADDR"
# Under the shim the children must have died holding the lock, or the test proves nothing.
grep -q '^peek: the child was killed at setsockopt SO_PEEK_OFF$' "$TB_WORK/shim.log" &&
	grep -q '^recv: the child was killed at recvmsg$' "$TB_WORK/shim.log" ||
	tb_fail "the children under the shim were not killed inside the lock: $(cat "$TB_WORK/shim.log")"
testbed_same_lines
testbed_test_end
