#!/bin/bash
# SPDX-License-Identifier: MIT
# A Fast Open child before its handshake's ACK, through the interposer,
# proved against a kernel in the same run (fastopen_synrecv.py: a raw-socket
# peer, a TCP_FASTOPEN 1 listener watched by an edge- and a level-triggered
# epoll, net.ipv4.tcp_fastopen 0x203 so no cookie is needed):
#   accept() returns the child in SYN_RECV (TCP_INFO), its SYN's data reads
#     at once, TCPI_OPT_SYN_DATA set; the SYN woke the listener once;
#   the queue counts that child until its ACK, accepted or not: a second
#     Fast Open SYN before the ACK gets a SYN-ACK that ignores its data
#     (TCPFastOpenListenOverflow), a third after it is Fast Open again;
#   the ACK of a Fast Open child wakes no one (it was queued at its SYN),
#     queued or accepted; a plain child's ACK wakes the listener once;
#   an accepted child that the peer resets before its ACK keeps its place
#     in the queue (the kernel's rskq_rst holds it 60 s): the next Fast Open
#     SYN's data is ignored; the Fast Open counters grow the same.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_fastopen_synrecv
PY=$(dirname "$0")/fastopen_synrecv.py

testbed_native_up || tb_fail "cannot build the native namespace"
testbed_sysctl_both net.ipv4.tcp_fastopen=515
# The peer's kernel never sees the targets' answers: it opened none of these flows.
testbed_peer_drop fastopen_synrecv "tcp sport 7620"
lib=$(tb_find_lib)
stats_nat=(ip netns exec "$TB_NS_NAT" cat /proc/net/netstat)
stats_shim=(ip netns exec "$TB_NS_SHIM" env SOCKSHIM_IFACE="$TB_IF_SHIM" SOCKSHIM_ADDR="$TB_SHIM_ADDR/$TB_PREFIX"
	"$SOCKSHIM_BUILD_DIR/tools/sockshim-stat")
tb_say "the kernel's listener at $TB_NAT_ADDR"
testbed_peer timeout 120 "$TB_PY" "$PY" peer "$TB_NAT_ADDR" "${stats_nat[@]}" -- \
	ip netns exec "$TB_NS_NAT" "$TB_PY" "$PY" listen >"$TB_WORK/native" 2>&1 ||
	tb_fail "the run against the kernel failed: $(cat "$TB_WORK/native")"
tb_say "the shim's listener at $TB_SHIM_ADDR"
testbed_peer timeout 120 "$TB_PY" "$PY" peer "$TB_SHIM_ADDR" "${stats_shim[@]}" -- \
	ip netns exec "$TB_NS_SHIM" env LD_PRELOAD="$lib" SOCKSHIM_IFACE="$TB_IF_SHIM" \
	SOCKSHIM_ADDR="$TB_SHIM_ADDR/$TB_PREFIX" "$TB_PY" "$PY" listen >"$TB_WORK/shim" 2>&1 ||
	tb_fail "the run against the shim failed: $(cat "$TB_WORK/shim")"
cat "$TB_WORK/native"
testbed_same_lines
testbed_test_end
