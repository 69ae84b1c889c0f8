#!/bin/bash
# SPDX-License-Identifier: MIT
# Differential ancillary data on datagram sockets: tests/progs/dgram_cmsg
# runs the same sequence (IP_PKTINFO, IP_RECVTTL, IP_RECVTOS, SO_TIMESTAMP*,
# short control buffers and MSG_CTRUNC, IP_RECVERR and the error queue,
# SO_TIMESTAMPING transmit stamps, TX_SCHED and per-send SO_TIMESTAMPING,
# SIOCGSTAMP and the arrival time it gives after a read or a peek, ping and
# raw ICMP sockets, corked datagrams that grow too big,
# readiness as a stamped or zerocopy send returns)
# first on the kernel of the shim namespace (given an address for that
# phase only), then under the shim,
# against the same kernel peer; every line must agree.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin dgram_cmsg

prog=$SOCKSHIM_BUILD_DIR/tests/dgram_cmsg
[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"

# The peer echoes UDP with a TOS of its own (7104), so that IP_RECVTOS has
# something to show, and with a record route option (7106) for IP_RECVOPTS.
cat >"$TB_WORK/peer.py" <<'PY'
import socket, threading
def echo(port, level, name, value):
	u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	u.setsockopt(level, name, value)
	u.bind(("0.0.0.0", port))
	while True:
		data, addr = u.recvfrom(65536)
		u.sendto(data, addr)
IP_OPTIONS = 4
threading.Thread(target=echo, args=(7106, socket.IPPROTO_IP, IP_OPTIONS,
	bytes([7, 11, 4] + [0] * 9)), daemon=True).start()
def seen():
	u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	u.setsockopt(socket.IPPROTO_IP, 12, 1)  # IP_RECVTTL
	u.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
	u.bind(("0.0.0.0", 7107))
	while True:
		data, anc, flags, addr = u.recvmsg(512, 256)
		got = {t: d for l, t, d in anc}
		ttl = int.from_bytes(got.get(socket.IP_TTL, b"\0\0\0\0")[:4], "little")
		tos = got.get(socket.IP_TOS, b"\0")[0]
		u.sendto(("ttl=%d tos=0x%02x from=%s" % (ttl, tos, addr[0])).encode(), addr)
threading.Thread(target=seen, daemon=True).start()
echo(7104, socket.IPPROTO_IP, socket.IP_TOS, 0x28)
PY
testbed_peer "$TB_PY" "$TB_WORK/peer.py" >"$TB_WORK/peer.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" udp 7104 10 || tb_fail "the peer's echo did not start"
# Every probe to the closed port draws a port unreachable: no rate limit.
testbed_peer sysctl -qw net.ipv4.icmp_ratelimit=0 || tb_fail "cannot lift the peer's ICMP rate limit"
# Ping sockets for root too, on both sides of the comparison.
ip netns exec "$TB_NS_SHIM" sysctl -qw net.ipv4.ping_group_range="0 2147483647" ||
	tb_fail "cannot set ping_group_range"

# tx_stamp_late: an address of the subnet that the peer answers ARP for
# only from the moment the program runs this (and no longer after the other).
export DGRAM_CMSG_LATE_ON="env -u LD_PRELOAD ip -n $TB_NS_PEER addr add 10.99.0.78/32 dev $TB_IF_PEER"
export DGRAM_CMSG_LATE_OFF="env -u LD_PRELOAD ip -n $TB_NS_PEER addr del 10.99.0.78/32 dev $TB_IF_PEER"

tb_say "native: dgram_cmsg from the kernel at $TB_KERNEL_ADDR"
testbed_kernel_addr_on || tb_fail "cannot give the kernel an address"
testbed_native_shim_ns "$prog" "$TB_PEER_ADDR" "$TB_KERNEL_ADDR" "$TB_IF_SHIM" \
	>"$TB_WORK/native" 2>"$TB_WORK/native.log" || tb_fail "dgram_cmsg failed natively: $(cat "$TB_WORK/native.log")"
testbed_kernel_addr_off
testbed_kernel_counter_reset

tb_say "shim: dgram_cmsg from the stack at $TB_SHIM_ADDR"
testbed_shim "$prog" "$TB_PEER_ADDR" "$TB_SHIM_ADDR" "$TB_IF_SHIM" >"$TB_WORK/shim" 2>"$TB_WORK/shim.log" ||
	tb_fail "dgram_cmsg failed under the shim: $(cat "$TB_WORK/shim.log")"

[ -s "$TB_WORK/native" ] || tb_fail "the native run printed nothing"
grep -q 'type 2 len 20 ttl 64' "$TB_WORK/native" || tb_fail "the native run saw no TTL: the comparison would prove nothing"
grep -q 'still queued = poll 2: OUT ERR / ERR' "$TB_WORK/native" ||
	tb_fail "the native run saw no ERR for a queued error: the comparison would prove nothing"
[ "$(grep -c 'completions = ids [0-9]*\.\.[0-9]*, each as the kernel.s copied completion: yes' "$TB_WORK/native")" = 2 ] ||
	tb_fail "the native run read no copied zerocopy completions: the comparison would prove nothing"
[ "$(grep -c 'stamp = between the send and the read' "$TB_WORK/native")" = 16 ] ||
	tb_fail "the native run read no transmit stamps: the comparison would prove nothing"
grep -q 'queued after an empty read: ready before it left = poll 1: OUT / ' "$TB_WORK/native" ||
	tb_fail "the native run had a stamp before the datagram left: the late stamp proves nothing"
grep -q 'udp MSG_MORE past 65,507 bytes: send 30000 MORE = -1 EMSGSIZE' "$TB_WORK/native" &&
	grep -q 'udp UDP_CORK past the MTU, IP_PMTUDISC_DO: send 100 = -1 EMSGSIZE' "$TB_WORK/native" ||
	tb_fail "the native run's corked datagrams did not fail: udp_cork_too_big would prove nothing"
grep -q 'queued after an empty read: ready as the send returned = poll 1: OUT / ' "$TB_WORK/native" ||
	tb_fail "the native run had ERR before the late stamp was queued: the comparison would prove nothing"
grep -q 'OPT_TSONLY and OPT_ID: ready as the send returned = poll 2: OUT ERR / ERR' "$TB_WORK/native" ||
	tb_fail "the native run had no ERR as the stamped send returned: the comparison would prove nothing"
grep -q 'udp SIOCGSTAMP arrival: SIOCGSTAMPNS after a peek = its arrival' "$TB_WORK/native" &&
	grep -q 'udp SIOCGSTAMP with SO_TIMESTAMP: SIOCGSTAMPNS = -1 ENOENT' "$TB_WORK/native" &&
	grep -q 'ping socket: SIOCGSTAMPNS after it is off = its arrival' "$TB_WORK/native" ||
	tb_fail "the native SIOCGSTAMP did not give the arrival time: the comparison would prove nothing"
if ! diff -u "$TB_WORK/native" "$TB_WORK/shim" >"$TB_WORK/diff"; then
	cat "$TB_WORK/diff"
	tb_fail "$(grep -c '^-[^-]' "$TB_WORK/diff") of $(wc -l <"$TB_WORK/native") lines differ from the kernel"
fi
tb_say "ok: $(wc -l <"$TB_WORK/native") lines, no difference from the kernel"
testbed_test_end
