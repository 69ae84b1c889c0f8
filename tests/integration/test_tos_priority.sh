#!/bin/bash
# SPDX-License-Identifier: MIT
# IP_TOS sets SO_PRIORITY as the kernel's __ip_sock_set_tos does
# (rt_tos2priority of the new TOS; the same TOS again changes nothing; TCP
# keeps its ECN bits): tos_priority.py runs natively and under the shim
# and the two outputs must be equal.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tos_priority

testbed_native_up || tb_fail "cannot build the native namespace"
testbed_native_vs_shim "$(dirname "$0")/tos_priority.py"
grep -qx "tcp fresh, IP_TOS 0x10: tos 0x10 priority 6" "$TB_WORK/native" ||
	tb_fail "the kernel's IP_TOS did not set the priority: $(cat "$TB_WORK/native")"
tb_say "ok: $(wc -l <"$TB_WORK/native") lines as the kernel's"
testbed_test_end
