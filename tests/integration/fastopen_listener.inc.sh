#!/bin/bash
# SPDX-License-Identifier: MIT
# Shared by test_tcp_fastopen_synrecv.sh and test_tcp_fastopen_relisten.sh:
# fastopen_differential SCENARIO plays fastopen_synrecv.py's SCENARIO (peer,
# relisten) from a raw-socket peer against the kernel's listener, then the
# shim's, with net.ipv4.tcp_fastopen 0x203 (no cookie needed), and compares
# the two runs line for line.

fastopen_differential() {
	local scenario=$1 py lib
	py=$(dirname "$0")/fastopen_synrecv.py
	testbed_native_up || tb_fail "cannot build the native namespace"
	testbed_sysctl_both net.ipv4.tcp_fastopen=515
	# The peer's kernel never sees the targets' answers: it opened none of these flows.
	testbed_peer_drop "fastopen_$scenario" "tcp sport 7620"
	lib=$(tb_find_lib)
	local stats_nat=(ip netns exec "$TB_NS_NAT" cat /proc/net/netstat)
	local stats_shim=(ip netns exec "$TB_NS_SHIM" env SOCKSHIM_IFACE="$TB_IF_SHIM"
		SOCKSHIM_ADDR="$TB_SHIM_ADDR/$TB_PREFIX" "$SOCKSHIM_BUILD_DIR/tools/sockshim-stat")
	# Both at once: each peer sees only its own target's segments (its
	# sniffer keeps those from that address) and reads its own counters.
	tb_say "the kernel's listener at $TB_NAT_ADDR and the shim's at $TB_SHIM_ADDR, at once"
	testbed_peer timeout 120 "$TB_PY" "$py" "$scenario" "$TB_NAT_ADDR" "${stats_nat[@]}" -- \
		ip netns exec "$TB_NS_NAT" "$TB_PY" "$py" listen >"$TB_WORK/native" 2>&1 &
	local nat=$!
	testbed_peer timeout 120 "$TB_PY" "$py" "$scenario" "$TB_SHIM_ADDR" "${stats_shim[@]}" -- \
		ip netns exec "$TB_NS_SHIM" env LD_PRELOAD="$lib" SOCKSHIM_IFACE="$TB_IF_SHIM" \
		SOCKSHIM_ADDR="$TB_SHIM_ADDR/$TB_PREFIX" "$TB_PY" "$py" listen >"$TB_WORK/shim" 2>&1 ||
		tb_fail "the run against the shim failed: $(cat "$TB_WORK/shim")"
	wait "$nat" || tb_fail "the run against the kernel failed: $(cat "$TB_WORK/native")"
	cat "$TB_WORK/native"
	testbed_same_lines
}
