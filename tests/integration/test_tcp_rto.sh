#!/bin/bash
# SPDX-License-Identifier: MIT
# Retransmission limits and the RTO options on the wire, the kernel's
# client (a third namespace) and the shim's at once against one kernel
# peer, whose nftables drops every SYN to the SYN ports and every segment
# with data to the data ports; an AF_PACKET sniffer on the peer times each
# transmission (tcp_rto.py). Both namespaces run tcp_syn_retries=2 and
# tcp_retries2=3. Scenarios: TCP_SYNCNT 1 and 3, the sysctl, a connect
# under TCP_USER_TIMEOUT (the kernel's time model: tcp_syn_linear_timeouts'
# linear first SYN timeouts, then a budget of the modelled back-off);
# established connections ending by tcp_retries2's modelled time with
# TCP_RTO_MIN_US lowered, by TCP_USER_TIMEOUT, with
# TCP_THIN_LINEAR_TIMEOUTS, with TCP_RTO_MAX_MS capping the back-off, and
# by TCP_USER_TIMEOUT while probing a peer that keeps its window closed;
# a listener's TCP_SYNCNT limiting its SYN-ACKs.
# The errno of each and the number of transmissions must be the kernel's
# exactly; the gaps between transmissions and the time to the error only
# loosely (timers fire late under load). Then tcp_thin_linear_timeouts=1
# in both namespaces, with the stack host still up: a thin CUBIC stream
# without the option times out linearly too (the sysctl is read when the
# socket is made). Last, the options' answers to edge values (ranges,
# errno, rounding to jiffies) and what a new socket reads after the RTO,
# SYN and FIN sysctls change, natively and under the shim.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_rto
PY=$(dirname "$0")/tcp_rto.py

testbed_native_up || tb_fail "cannot build the native namespace"
testbed_sysctl_both net.ipv4.tcp_syn_retries=2 net.ipv4.tcp_retries2=3
ip netns exec "$TB_NS_PEER" nft -f - <<NFT || tb_fail "cannot install the drops"
table ip rtodrop {
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		tcp dport 7151-7159 tcp flags syn drop
		tcp dport 7161-7169 ip length > 100 drop
	}
	chain out {
		type filter hook output priority -300; policy accept;
		tcp dport 7170 tcp flags & (syn | ack) == ack drop
	}
}
NFT
cat >"$TB_WORK/listen.py" <<'PY'
import socket, time
ls = []
for p in list(range(7161, 7166)) + [7171]:
	l = socket.socket()
	if p == 7171:
		l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)  # a window soon closed
	l.bind(("0.0.0.0", p))
	l.listen(8)
	ls.append(l)
while True:
	time.sleep(3600)
PY
testbed_peer "$TB_PY" "$TB_WORK/listen.py" >"$TB_WORK/listen.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 7171 10 || tb_fail "the peer does not listen"
testbed_peer "$TB_PY" "$PY" sniff "$TB_WORK/sniffed" >"$TB_WORK/sniff.log" 2>&1 &
testbed_wait_files 10 "$TB_WORK/sniffed" || tb_fail "the sniffer did not start"

# both_clients [NAME...]: the kernel's client and the shim's at once, then
# the errors and the sniffed transmissions compared.
both_clients() {
	tb_say "kernel client at $TB_NAT_ADDR and shim client at $TB_SHIM_ADDR, at once: ${*:-the scenarios}"
	ip netns exec "$TB_NS_NAT" timeout 120 "$TB_PY" "$PY" client "$TB_NAT_PEER_ADDR" "$@" \
		>"$TB_WORK/native" 2>"$TB_WORK/native.log" &
	local nat=$!
	testbed_shim timeout 120 "$TB_PY" "$PY" client "$TB_PEER_ADDR" "$@" >"$TB_WORK/shim" 2>"$TB_WORK/shim.log" ||
		tb_fail "the shim run failed: $(cat "$TB_WORK/shim")"
	wait "$nat" || tb_fail "the native run failed: $(cat "$TB_WORK/native")"
	compare_runs
}
compare_runs() {
	if ! diff -u <(grep -v '^time ' "$TB_WORK/native") <(grep -v '^time ' "$TB_WORK/shim"); then
		tb_fail "the errors differ from the kernel's"
	fi
	"$TB_PY" "$PY" compare "$TB_WORK/sniffed" "$TB_NAT_ADDR" "$TB_SHIM_ADDR" "$TB_WORK/native" "$TB_WORK/shim" ||
		tb_fail "the retransmissions differ from the kernel's"
}
both_clients
testbed_sysctl_both net.ipv4.tcp_thin_linear_timeouts=1
both_clients thin_sysctl

# A listener with TCP_SYNCNT 1 repeats its SYN-ACK once (at 1 s) and drops
# the request at 3 s (a count, reqsk_timer_handler); the peer's client
# thinks itself connected, but its ACKs never arrive.
tb_say "listeners with TCP_SYNCNT 1, the kernel's and the shim's, while the peer's ACKs are dropped"
ip netns exec "$TB_NS_NAT" "$TB_PY" "$PY" listen "$TB_WORK/ready.native" >"$TB_WORK/native" 2>"$TB_WORK/native.log" &
nat=$!
testbed_shim "$TB_PY" "$PY" listen "$TB_WORK/ready.shim" >"$TB_WORK/shim" 2>"$TB_WORK/shim.log" &
shim=$!
testbed_wait_files 10 "$TB_WORK/ready.native" "$TB_WORK/ready.shim" || tb_fail "the listeners did not start"
testbed_peer "$TB_PY" "$PY" connect "$TB_NAT_ADDR" "$TB_SHIM_ADDR" >"$TB_WORK/connect.log" 2>&1 ||
	tb_fail "the peer could not connect"
wait "$nat" || tb_fail "the native listener failed: $(cat "$TB_WORK/native")"
wait "$shim" || tb_fail "the shim's listener failed: $(cat "$TB_WORK/shim")"
compare_runs
tb_say "ok: every scenario's errno and transmissions as the kernel's"

testbed_sysctl_both net.ipv4.tcp_rto_min_us=100000 net.ipv4.tcp_rto_max_ms=60000 \
	net.ipv4.tcp_syn_retries=5 net.ipv4.tcp_fin_timeout=30
ip netns exec "$TB_NS_NAT" "$TB_PY" "$PY" opts >"$TB_WORK/native" 2>&1 || tb_fail "opts failed natively"
testbed_shim "$TB_PY" "$PY" opts >"$TB_WORK/shim" 2>&1 || tb_fail "opts failed under the shim"
grep -qx "fresh 45 100000" "$TB_WORK/native" ||
	tb_fail "the kernel did not behave as this test expects: $(head -c 2000 "$TB_WORK/native")"
testbed_same_lines
testbed_test_end
