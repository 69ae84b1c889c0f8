#!/bin/bash
# SPDX-License-Identifier: MIT
# A reset after the peer's FIN reads as the kernel's: the data, then EOF,
# with the reset's error left for SO_ERROR, poll and the next write
# (fin_rst.py, natively and under the shim, outputs compared). ab against a
# peer whose tcp_max_tw_buckets is 0 met this on every connection whose
# last ACK the peer's socket did not live to see.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin fin_rst

testbed_native_up || tb_fail "cannot build the native namespace"
testbed_native_vs_shim "$(dirname "$0")/fin_rst.py" "$TB_NS_PEER"
grep -q "b'hello'" "$TB_WORK/native" && grep -q "EPIPE" "$TB_WORK/native" ||
	tb_fail "the kernel did not behave as this test expects: $(cat "$TB_WORK/native")"
tb_say "ok: $(wc -l <"$TB_WORK/native") lines as the kernel's"
testbed_test_end
