#!/bin/bash
# SPDX-License-Identifier: MIT
# TCP_LINGER2 below 0 resets an orphan instead of FIN_WAIT2 (__tcp_close,
# tcp_rcv_state_process): linger2_neg.py natively and under the shim, a
# kernel server on the peer reporting the reset each close gave it (none
# without the option); the outputs must be equal.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin linger2_neg

testbed_native_up || tb_fail "cannot build the native namespace"
testbed_native_vs_shim "$(dirname "$0")/linger2_neg.py" "$TB_NS_PEER"
cat "$TB_WORK/native"
[ "$(grep -c 'EOF, then EPIPE' "$TB_WORK/native")" = 2 ] && grep -q 'no reset within 5 s' "$TB_WORK/native" ||
	tb_fail "the kernel did not behave as this test expects"
tb_say "ok: $(wc -l <"$TB_WORK/native") lines as the kernel's"
testbed_test_end
