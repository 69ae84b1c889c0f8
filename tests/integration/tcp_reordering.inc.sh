#!/bin/bash
# SPDX-License-Identifier: MIT
# Shared by test_tcp_reordering.sh and test_tcp_reno_reordering.sh:
# reordering_differential CHECK sends 8 MiB from the kernel's sender and
# then the shim's to a kernel sink through the impaired bridge started with
# "${IMPAIR[@]}", and checks both TCP_INFO reports with tcp_reordering.py's
# CHECK (the shim's against the kernel's run too).

reordering_differential() {
	local check=$1 py
	py=$(dirname "$0")/tcp_reordering.py
	testbed_peer "$TB_PY" "$py" sink "$TB_PEER_ADDR" >"$TB_WORK/sink.log" 2>&1 &
	testbed_wait_listen "$TB_NS_PEER" tcp 7191 10 || tb_fail "the kernel-side sink did not start"
	# A connection's reordering is remembered per destination (tcp_metrics).
	ip netns exec "$TB_NS_SHIM" ip tcp_metrics flush all 2>/dev/null

	testbed_kernel_addr_on || tb_fail "the kernel sender cannot reach the peer through the bridge"
	testbed_native_shim_ns timeout 90 "$TB_PY" "$py" send "$TB_PEER_ADDR" 8 >"$TB_WORK/native" 2>&1 ||
		tb_fail "the kernel's transfer failed: $(cat "$TB_WORK/native")"
	testbed_kernel_addr_off
	testbed_kernel_counter_reset
	testbed_impair_start "${IMPAIR[@]}" || tb_fail "cannot restart the bridge"
	testbed_shim timeout 90 "$TB_PY" "$py" send "$TB_PEER_ADDR" 8 >"$TB_WORK/shim" 2>&1 ||
		tb_fail "the shim's transfer failed: $(cat "$TB_WORK/shim")"
	tb_say "kernel: $(cat "$TB_WORK/native")"
	tb_say "shim:   $(cat "$TB_WORK/shim")"
	"$TB_PY" "$py" "$check" kernel "$TB_WORK/native" ||
		tb_fail "the path did not reorder as this test expects"
	"$TB_PY" "$py" "$check" shim "$TB_WORK/shim" "$TB_WORK/native" ||
		tb_fail "the shim's reordering figures are not the kernel's"
}
