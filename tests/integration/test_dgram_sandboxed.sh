#!/bin/bash
# SPDX-License-Identifier: MIT
# A connected UDP socket in a process that inherited it through exec and
# installed a seccomp filter (socket() refused) before any other socket
# call: under the shim it never spoke to the stack host, so it does not
# know the values that mark the pair's framed datagrams. Its write must
# leave as the payload alone (the pair's header never reaches the wire),
# with no hang, and its read get the echo: tests/progs/dgram_sandboxed,
# natively and under the shim, against the same kernel echo; every line
# must agree (the echo returns what the peer got: a header on the wire
# would come back as 49 bytes).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin dgram_sandboxed

prog=$SOCKSHIM_BUILD_DIR/tests/dgram_sandboxed
[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"
testbed_udp_echo 7421 || tb_fail "the peer's echo did not start"
testbed_kernel_then_shim timeout -s KILL 60 "$prog" "$TB_PEER_ADDR" 7421
testbed_same_lines
grep -qx "data sbx-hello" "$TB_WORK/shim" || tb_fail "the sandboxed child did not read its echo"
testbed_test_end
