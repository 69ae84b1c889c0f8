#!/bin/bash
# SPDX-License-Identifier: MIT
# Resets and the data around them read as the kernel's (reset_data.py,
# natively and under the shim, outputs compared): data the peer sent before
# its reset is readable before ECONNRESET, and close() with SO_LINGER {1, 0}
# sends a reset alone, no FIN before it.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin reset_data

testbed_native_up || tb_fail "cannot build the native namespace"
testbed_native_vs_shim "$(dirname "$0")/reset_data.py" "$TB_NS_PEER"
grep -q "recv: b'ddddd'" "$TB_WORK/native" && grep -q "linger0-close ECONNRESET" "$TB_WORK/native" ||
	tb_fail "the kernel did not behave as this test expects: $(cat "$TB_WORK/native")"
tb_say "ok: $(wc -l <"$TB_WORK/native") lines as the kernel's"
testbed_test_end
