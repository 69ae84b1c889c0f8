#!/bin/bash
# SPDX-License-Identifier: MIT
# IP_LOCAL_PORT_RANGE (this kernel has it: 6.3+) and IP_BIND_ADDRESS_NO_PORT
# as the kernel's: the values and errors of the option, the range it gives
# TCP and UDP bind(0) and connect() (its bounds inside the namespace's
# ip_local_port_range, connect() searching every port in one pass), a
# port-less bind completed by connect(). local_port_range.py runs natively
# and under the shim against the same kernel peer; the outputs must be
# equal.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin local_port_range

testbed_native_up || tb_fail "cannot build the native namespace"
testbed_peer "$TB_PY" "$(dirname "$0")/greet_peer.py" 7300 &
testbed_wait_listen "$TB_NS_PEER" tcp 7300 30 || tb_fail "the peer does not listen"
testbed_native_vs_shim "$(dirname "$0")/local_port_range.py"
grep -qx "connect with range 40500-40501 \[40500, 40501\] \['EADDRNOTAVAIL'\]" "$TB_WORK/native" ||
	tb_fail "the kernel did not behave as this test expects: $(cat "$TB_WORK/native")"
tb_say "ok: $(wc -l <"$TB_WORK/native") lines as the kernel's"
testbed_test_end
