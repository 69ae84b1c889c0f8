#!/bin/bash
# SPDX-License-Identifier: MIT
# A socket in SYN_RECV answers each segment as the kernel's does, proved
# against a kernel in the same run (synrecv.py: a raw-socket peer and an
# AF_PACKET sniffer, the answers printed relative to the flow's sequence
# numbers, then the counters' change).
#   listener: a listener's request (tcp_check_req): a retransmitted SYN gets
#     the SYN-ACK again, once per tcp_invalid_ratelimit
#     (TCPACKSkippedSynRecv); a segment right of the window, one failing
#     PAWS (PAWSEstab) and an ACK echoing a timestamp no SYN-ACK carried
#     (TSEcrRejected) an ACK, rate-limited alike, offering the SYN-ACK's
#     window (tcp_synack_window); an ACK of nothing sent a RST from the
#     listener; a RST or a new SYN inside the window ends the request
#     (EmbryonicRsts; the SYN gets a RST), one outside does not; a SYN-ACK
#     at the peer's ISN acknowledging ours is out of the window, one with a
#     byte makes the child (PassiveOpens), which challenges its SYN;
#   simopen: a client's SYN answered by a SYN (simultaneous open): its SYN
#     again gets a challenge ACK (TCPSYNChallenge, then
#     TCPACKSkippedChallenge), a SYN-ACK completes the connect().
#     tcp_invalid_ratelimit is read at each answer it limits: set to 0
#     after a request's answer, the next SYN gets the SYN-ACK again.
# tcp_invalid_ratelimit is 60 s in both namespaces, so what the limit
# holds back does not depend on how fast a loaded machine runs the steps
# (synrecv.py sets it in the target's namespace, SYNRECV_NS).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_synrecv
PY=$(dirname "$0")/synrecv.py

testbed_native_up || tb_fail "cannot build the native namespace"
testbed_sysctl_both net.ipv4.tcp_invalid_ratelimit=60000
# The peer's kernel never sees the targets' answers: it opened none of these flows.
testbed_peer_drop synrecv "tcp sport { 7500, 7510 }"
stats_nat=(ip netns exec "$TB_NS_NAT" cat /proc/net/snmp /proc/net/netstat)
stats_shim=(ip netns exec "$TB_NS_SHIM" env SOCKSHIM_IFACE="$TB_IF_SHIM" SOCKSHIM_ADDR="$TB_SHIM_ADDR/$TB_PREFIX"
	"$SOCKSHIM_BUILD_DIR/tools/sockshim-stat")

# both SCENARIO: the peer's scenario against the kernel, then against the shim; same lines.
both() {
	tb_say "$1: the kernel at $TB_NAT_ADDR"
	testbed_peer env SYNRECV_NS="$TB_NS_NAT" timeout 120 "$TB_PY" "$PY" "$1" "$TB_NAT_ADDR" "${stats_nat[@]}" \
		>"$TB_WORK/native" 2>&1 ||
		tb_fail "the peer's $1 run against the kernel failed: $(cat "$TB_WORK/native")"
	tb_say "$1: the shim at $TB_SHIM_ADDR"
	testbed_peer env SYNRECV_NS="$TB_NS_SHIM" timeout 120 "$TB_PY" "$PY" "$1" "$TB_SHIM_ADDR" "${stats_shim[@]}" \
		>"$TB_WORK/shim" 2>&1 ||
		tb_fail "the peer's $1 run against the shim failed: $(cat "$TB_WORK/shim")"
	cat "$TB_WORK/native"
	testbed_same_lines
}

ip netns exec "$TB_NS_NAT" "$TB_PY" "$PY" listen "$TB_WORK/ready.native" >"$TB_WORK/listen-native.log" 2>&1 &
testbed_shim "$TB_PY" "$PY" listen "$TB_WORK/ready.shim" >"$TB_WORK/listen-shim.log" 2>&1 &
testbed_wait_files 20 "$TB_WORK/ready.native" "$TB_WORK/ready.shim" || tb_fail "the listeners did not start"
both listener

# simopen NAME ADDR PEER_ADDR STATS_ARRAY CLIENT_CMD...: the peer's simultaneous
# open against one client, whose connect() starts once the sniffer runs; the
# driver's lines and the client's in $TB_WORK/NAME.
simopen() {
	local name=$1 addr=$2 peer=$3 drv
	local -n stats=$4
	shift 4
	testbed_peer timeout 120 "$TB_PY" "$PY" simopen "$addr" "$TB_WORK/sniffing.$name" "${stats[@]}" \
		>"$TB_WORK/$name" 2>&1 &
	drv=$!
	testbed_wait_files 20 "$TB_WORK/sniffing.$name" || tb_fail "the peer's sniffer did not start"
	"$@" "$TB_PY" "$PY" connect "$peer" >"$TB_WORK/client-$name.log" 2>&1 &
	wait "$drv" || tb_fail "the peer's simopen run against $addr failed: $(cat "$TB_WORK/$name")"
	testbed_wait_for 30 grep -q "^connect: " "$TB_WORK/client-$name.log"
	sed 's/^/client /' "$TB_WORK/client-$name.log" >>"$TB_WORK/$name"
}
tb_say "simopen: a client's SYN answered by a SYN, the kernel's client at $TB_NAT_ADDR"
simopen native "$TB_NAT_ADDR" "$TB_NAT_PEER_ADDR" stats_nat ip netns exec "$TB_NS_NAT"
tb_say "simopen: the shim's client at $TB_SHIM_ADDR"
simopen shim "$TB_SHIM_ADDR" "$TB_PEER_ADDR" stats_shim testbed_shim
cat "$TB_WORK/native"
testbed_same_lines
testbed_test_end
