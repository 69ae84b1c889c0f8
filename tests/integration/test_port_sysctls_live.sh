#!/bin/bash
# SPDX-License-Identifier: MIT
# The port sysctls are read when a port is picked, as the kernel reads
# them: port_sysctls_live.py changes ip_local_port_range,
# ip_local_reserved_ports, tcp_tw_reuse and tcp_tw_reuse_delay in its own
# namespace between its bind() and connect() calls, natively and under the
# shim (one program, so one stack host throughout); the outputs must be
# equal, and the kernel's must show each change taking effect.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin port_sysctls_live

testbed_native_up || tb_fail "cannot build the native namespace"
testbed_peer "$TB_PY" "$(dirname "$0")/greet_peer.py" 7300 &
testbed_wait_listen "$TB_NS_PEER" tcp 7300 30 || tb_fail "the peer does not listen"
testbed_native_vs_shim "$(dirname "$0")/port_sysctls_live.py"
for line in "tcp bind(0) with 40000-40008 reserved: 40009" "connect with tcp_tw_reuse 0: EADDRNOTAVAIL" \
	"connect with tcp_tw_reuse 1: 40009" "tcp bind(0) in 40100-40100: 40100"; do
	grep -qxF "$line" "$TB_WORK/native" ||
		tb_fail "the kernel did not behave as this test expects ($line): $(cat "$TB_WORK/native")"
done
tb_say "ok: $(wc -l <"$TB_WORK/native") lines as the kernel's"
testbed_test_end
