#!/bin/bash
# SPDX-License-Identifier: MIT
# UDP segmentation offload both ways and ESP-in-UDP as the kernel's
# (udp_gso.py, natively and under the shim, outputs compared): a kernel
# peer's UDP_SEGMENT send crosses the veth as one GSO frame, which the stack
# cut into its datagrams (it used to hand the program one 5120-byte
# datagram), or hands over whole with UDP_GRO; our sends are cut too.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin udp_gso

testbed_native_up || tb_fail "cannot build the native namespace"
testbed_native_vs_shim "$(dirname "$0")/udp_gso.py" "$TB_NS_PEER"
grep -qx "peer sends 5120 bytes cut at 1000, UDP_GRO=0: 1000 1000 1000 1000 1000 120" "$TB_WORK/native" ||
	tb_fail "the kernel did not behave as this test expects: $(cat "$TB_WORK/native")"
tb_say "ok: $(wc -l <"$TB_WORK/native") lines as the kernel's"
testbed_test_end
