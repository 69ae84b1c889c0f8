#!/bin/bash
# SPDX-License-Identifier: MIT
# close() then bind() of the same port at once answers as the kernel's, in
# every way a program or a test suite restarting a server does it:
# rebind_kernel.py runs natively and under the shim (the kernel peer
# connecting back where a scenario needs a connection) and the outputs
# must be equal. (test_rebind.sh repeats the simplest case 200 times.)
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin rebind_kernel

testbed_native_up || tb_fail "cannot build the native namespace"
testbed_native_vs_shim "$(dirname "$0")/rebind_kernel.py" "$TB_NS_PEER"
grep -qx "listener closed with a connection waiting, reuse=0 ok" "$TB_WORK/native" &&
	grep -qx "accepted one in TIME_WAIT, listener reuse=1, bind reuse=0 EADDRINUSE" "$TB_WORK/native" ||
	tb_fail "the kernel did not behave as this test expects: $(cat "$TB_WORK/native")"
tb_say "ok: $(wc -l <"$TB_WORK/native") lines as the kernel's"
testbed_test_end
