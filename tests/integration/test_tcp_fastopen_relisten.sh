#!/bin/bash
# SPDX-License-Identifier: MIT
# A Fast Open listener that shutdown() stops and listen() starts again,
# through the interposer, proved against a kernel in the same run
# (fastopen_synrecv.py relisten: a raw-socket peer, a TCP_FASTOPEN 1
# listener, net.ipv4.tcp_fastopen 0x203 so no cookie is needed):
#   a child accepted before its ACK stays its listener's (rsk_listener);
#   the new listen() starts the count at 0 (reqsk_queue_alloc): the next
#     Fast Open SYN is taken though that child still waits for its ACK;
#   the old child's ACK still takes its place off the new count, so one
#     more Fast Open SYN is taken, and the one after it falls back
#     (TCPFastOpenListenOverflow).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_fastopen_relisten
PY=$(dirname "$0")/fastopen_synrecv.py

testbed_native_up || tb_fail "cannot build the native namespace"
testbed_sysctl_both net.ipv4.tcp_fastopen=515
# The peer's kernel never sees the targets' answers: it opened none of these flows.
testbed_peer_drop fastopen_relisten "tcp sport 7620"
lib=$(tb_find_lib)
stats_nat=(ip netns exec "$TB_NS_NAT" cat /proc/net/netstat)
stats_shim=(ip netns exec "$TB_NS_SHIM" env SOCKSHIM_IFACE="$TB_IF_SHIM" SOCKSHIM_ADDR="$TB_SHIM_ADDR/$TB_PREFIX"
	"$SOCKSHIM_BUILD_DIR/tools/sockshim-stat")
tb_say "the kernel's listener at $TB_NAT_ADDR"
testbed_peer timeout 120 "$TB_PY" "$PY" relisten "$TB_NAT_ADDR" "${stats_nat[@]}" -- \
	ip netns exec "$TB_NS_NAT" "$TB_PY" "$PY" listen >"$TB_WORK/native" 2>&1 ||
	tb_fail "the run against the kernel failed: $(cat "$TB_WORK/native")"
tb_say "the shim's listener at $TB_SHIM_ADDR"
testbed_peer timeout 120 "$TB_PY" "$PY" relisten "$TB_SHIM_ADDR" "${stats_shim[@]}" -- \
	ip netns exec "$TB_NS_SHIM" env LD_PRELOAD="$lib" SOCKSHIM_IFACE="$TB_IF_SHIM" \
	SOCKSHIM_ADDR="$TB_SHIM_ADDR/$TB_PREFIX" "$TB_PY" "$PY" listen >"$TB_WORK/shim" 2>&1 ||
	tb_fail "the run against the shim failed: $(cat "$TB_WORK/shim")"
cat "$TB_WORK/native"
testbed_same_lines
testbed_test_end
