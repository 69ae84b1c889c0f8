#!/bin/bash
# SPDX-License-Identifier: MIT
# A sender on a reordering path, the kernel's and the shim's in the same
# run: 8 MiB to a kernel sink through tools/sockshim-impair with 5 ms delay
# and +-1 ms jitter on the data's way (frames a fraction of a millisecond
# apart overtake each other), nothing lost or duplicated. After the
# transfer, TCP_INFO (tcp_reordering.py): tcpi_reordering grew past
# tcp_reordering's 3 to a measured distance, at most tcp_max_reordering
# (in five runs here: the kernel 212 to 300, the shim 251 to 300),
# reorderings were seen, and no more segments were D-SACKed than were
# resent. The kernel's figures must fit the same ranges, which shows the
# path reorders as the test says. Before tp->reordering was kept the
# shim's tcpi_reordering stayed 3.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
IMPAIR=(--delay 5 --a2b --jitter 1 --seed 3)
testbed_test_begin_impaired tcp_reordering 1500 "${IMPAIR[@]}"
PY=$(dirname "$0")/tcp_reordering.py

testbed_peer "$TB_PY" "$PY" sink "$TB_PEER_ADDR" >"$TB_WORK/sink.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 7191 10 || tb_fail "the kernel-side sink did not start"
# A connection's reordering is remembered per destination (tcp_metrics).
ip netns exec "$TB_NS_SHIM" ip tcp_metrics flush all 2>/dev/null

testbed_kernel_addr_on || tb_fail "the kernel sender cannot reach the peer through the bridge"
testbed_native_shim_ns timeout 90 "$TB_PY" "$PY" send "$TB_PEER_ADDR" 8 >"$TB_WORK/native" 2>&1 ||
	tb_fail "the kernel's transfer failed: $(cat "$TB_WORK/native")"
testbed_kernel_addr_off
testbed_kernel_counter_reset
testbed_impair_start "${IMPAIR[@]}" || tb_fail "cannot restart the bridge"
testbed_shim timeout 90 "$TB_PY" "$PY" send "$TB_PEER_ADDR" 8 >"$TB_WORK/shim" 2>&1 ||
	tb_fail "the shim's transfer failed: $(cat "$TB_WORK/shim")"
tb_say "kernel: $(cat "$TB_WORK/native")"
tb_say "shim:   $(cat "$TB_WORK/shim")"
"$TB_PY" "$PY" check kernel "$TB_WORK/native" || tb_fail "the path did not reorder as this test expects"
"$TB_PY" "$PY" check shim "$TB_WORK/shim" || tb_fail "the shim's reordering figures are not the kernel's"
tb_say "ok: tcpi_reordering, tcpi_reord_seen and tcpi_dsack_dups as the kernel's"
testbed_test_end
