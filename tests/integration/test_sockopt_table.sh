#!/bin/bash
# SPDX-License-Identifier: MIT
# The option table as the kernel's: every option number of SOL_SOCKET,
# SOL_IP, SOL_TCP and SOL_UDP, read and set on fresh UDP, TCP and raw
# sockets, answers as the kernel does (sockopt_table.py, natively and under
# the shim, outputs compared line by line).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin sockopt_table

testbed_native_up || tb_fail "cannot build the native namespace"
testbed_native_vs_shim "$(dirname "$0")/sockopt_table.py"
grep -qx "udp SOL_UDP 103 set 0 ok, then len4 00000000" "$TB_WORK/native" ||
	tb_fail "the kernel did not behave as this test expects: $(head -c 2000 "$TB_WORK/native")"
tb_say "ok: $(wc -l <"$TB_WORK/native") lines as the kernel's"
testbed_test_end
