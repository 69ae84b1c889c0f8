#!/bin/bash
# SPDX-License-Identifier: MIT
# PLPMTUD (net.ipv4.tcp_mtu_probing) against a black hole: the peer's
# namespace drops, before its TCP sees them, every IP packet from a client
# longer than 1200 bytes, and sends no ICMP (nftables, prerouting). A 4 MB
# upload from a kernel client (a third namespace) and from the shim, each
# with the same tcp_mtu_probing in its namespace:
#   0: both stall (no byte acknowledged, the MSS stays at the path's);
#   1: black-hole detection after tcp_retries1's timeouts brings the MSS
#      down to tcp_base_mss's, then probing searches upwards; the transfer
#      completes, bit-exact;
#   2: probing from the start (from tcp_base_mss); it completes too.
# In every mode the shim's TCP_INFO tcpi_pmtu at the end equals the kernel
# client's; with 0 tcpi_snd_mss too (the path's), and neither sends a probe
# (a packet between the hole and the path's MTU). With 1 and 2 both must
# have probed, and the search must have ended, for both, between
# tcp_base_mss's and the largest MSS the hole passes (1200 less 52 bytes of
# headers). The exact size depends on when each probe's loss is seen: by an
# ACK (the probe failed: the search's top comes down) or by a timer that
# resends first (RACK's reordering timer, a timeout: the probe is
# inconclusive, nothing moves, and the next probe is the same size, lost
# again). Timing on a loaded machine decides: it has differed from the
# kernel's by a step of the search (1148 against 1147 once with 1), and the
# kernel's own search has once ended at tcp_base_mss (1024) with every probe
# inconclusive; on a quiet run both end at 1147. The search's steps
# themselves are pinned on a virtual clock by unit.test_tcp_mtu_probe.
# The sysctl is changed between runs while the stack host may still be
# up: it is read when a socket is made, as the kernel reads it.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_mtu_probing

testbed_native_up || tb_fail "cannot build the native namespace"
IF_NAT="${TB_IF_SHIM%s}n"
IF_NAT_PEER="${TB_IF_SHIM%s}q"
# One frame is one IP packet everywhere: no segmentation offload on the
# senders, no GRO on the peer, so the drop sees wire-sized packets.
ip netns exec "$TB_NS_NAT" ethtool -K "$IF_NAT" tso off gso off >/dev/null 2>&1
ip netns exec "$TB_NS_SHIM" ethtool -K "$TB_IF_SHIM" tso off gso off >/dev/null 2>&1
for i in "$TB_IF_PEER" "$IF_NAT_PEER"; do
	ip netns exec "$TB_NS_PEER" ethtool -K "$i" gro off >/dev/null 2>&1
done
ip netns exec "$TB_NS_PEER" nft -f - <<NFT || tb_fail "cannot install the black hole"
table ip blackhole {
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		ip saddr $TB_SHIM_ADDR meta length 1201-1499 counter drop comment "shim probes"
		ip saddr $TB_NAT_ADDR meta length 1201-1499 counter drop comment "native probes"
		ip saddr { $TB_SHIM_ADDR, $TB_NAT_ADDR } meta length > 1200 counter drop
	}
}
NFT

# The peer: per connection, take everything until EOF, answer with the
# count and digest.
cat >"$TB_WORK/sink.py" <<'PY'
import hashlib, socket, threading

def serve(c):
	got, h = 0, hashlib.sha256()
	try:
		while True:
			d = c.recv(65536)
			if not d:
				break
			got += len(d)
			h.update(d)
		c.sendall(b"%d %s\n" % (got, h.hexdigest().encode()))
	except OSError:
		pass
	c.close()

l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 7130))
l.listen(8)
while True:
	c, _ = l.accept()
	threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
# The client: upload n bytes, wait up to t seconds for the peer's answer,
# then TCP_INFO's send MSS and path MTU.
cat >"$TB_WORK/upload.py" <<'PY'
import hashlib, os, socket, struct, sys, threading

host, n, t = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
data = bytes((i * 31 + 7) & 0xff for i in range(256)) * (n // 256)
s = socket.create_connection((host, 7130), timeout=30)
s.settimeout(None)

def send():
	try:
		s.sendall(data)
		s.shutdown(socket.SHUT_WR)
	except OSError:
		pass

threading.Thread(target=send, daemon=True).start()
s.settimeout(t)
try:
	answer = s.recv(200).decode().strip()
	want = "%d %s" % (n, hashlib.sha256(data).hexdigest())
	print("done" if answer == want else "wrong answer: %r" % answer)
except socket.timeout:
	print("stalled")
info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)
snd_mss, pmtu = struct.unpack_from("I", info, 16)[0], struct.unpack_from("I", info, 60)[0]
acked = struct.unpack_from("Q", info, 120)[0]
print("data acknowledged" if acked > 1 else "no data acknowledged")
print("pmtu %d" % pmtu)
print("snd_mss %d" % snd_mss)
sys.stdout.flush()
os._exit(0)
PY
ip netns exec "$TB_NS_PEER" "$TB_PY" "$TB_WORK/sink.py" >"$TB_WORK/sink.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 7130 10 || tb_fail "the peer's sink did not start"

# probes WHO: how many probes of WHO (shim, native) the hole has dropped so far.
probes() {
	ip netns exec "$TB_NS_PEER" nft list table ip blackhole |
		sed -n "s/.*counter packets \([0-9]*\) .*comment \"$1 probes\".*/\1/p"
}

N=$((4 * 1024 * 1024))
for mode in 0 2 1; do
	probes_before_shim=$(probes shim) probes_before_native=$(probes native)
	# Mode 0 stalls for good: 12 s shows it (mode 1 finds the hole in ~6 s).
	[ "$mode" = 0 ] && wait=12 || wait=120
	ip netns exec "$TB_NS_NAT" sysctl -qw net.ipv4.tcp_mtu_probing=$mode || tb_fail "sysctl in $TB_NS_NAT"
	ip netns exec "$TB_NS_SHIM" sysctl -qw net.ipv4.tcp_mtu_probing=$mode || tb_fail "sysctl in $TB_NS_SHIM"
	# The two clients at once: each has its own namespace, path and hole
	# rule, so neither waits out the other's timers (mode 0's stall above all).
	tb_say "tcp_mtu_probing=$mode: kernel client $TB_NAT_ADDR -> $TB_NAT_PEER_ADDR and shim $TB_SHIM_ADDR -> $TB_PEER_ADDR, at once"
	ip netns exec "$TB_NS_NAT" timeout 200 "$TB_PY" "$TB_WORK/upload.py" "$TB_NAT_PEER_ADDR" $N $wait \
		>"$TB_WORK/native.$mode" 2>&1 &
	nat=$!
	testbed_shim timeout 200 "$TB_PY" "$TB_WORK/upload.py" "$TB_PEER_ADDR" $N $wait \
		>"$TB_WORK/shim.$mode" 2>&1 || tb_fail "the shim run failed: $(cat "$TB_WORK/shim.$mode")"
	wait "$nat" || tb_fail "the native run failed: $(cat "$TB_WORK/native.$mode")"
	tb_say "  kernel: $(tr '\n' ' ' <"$TB_WORK/native.$mode")"
	tb_say "  shim:   $(tr '\n' ' ' <"$TB_WORK/shim.$mode")"
	if [ "$mode" = 0 ]; then
		expect="stalled"
	else
		expect="done"
	fi
	for who in native shim; do
		[ "$(head -1 "$TB_WORK/$who.$mode")" = "$expect" ] ||
			tb_fail "tcp_mtu_probing=$mode: $who: expected '$expect', got: $(cat "$TB_WORK/$who.$mode")"
	done
	for who in native shim; do
		before=probes_before_$who
		sent=$(($(probes $who) - ${!before}))
		if [ "$mode" = 0 ]; then
			[ "$sent" = 0 ] || tb_fail "tcp_mtu_probing=0: $who: $sent probes"
			continue
		fi
		[ "$sent" -gt 0 ] || tb_fail "tcp_mtu_probing=$mode: $who: no probe"
		mss=$(sed -n 's/^snd_mss //p' "$TB_WORK/$who.$mode")
		[ "${mss:-0}" -ge 1024 ] && [ "$mss" -le $((1200 - 52)) ] ||
			tb_fail "tcp_mtu_probing=$mode: $who: the search ended at MSS ${mss:-none}, not in 1024-1148"
		tb_say "  $who: $sent probes lost, the search ended at MSS $mss"
		sed -i '/^snd_mss /d' "$TB_WORK/$who.$mode"
	done
	diff -u "$TB_WORK/native.$mode" "$TB_WORK/shim.$mode" >"$TB_WORK/diff" ||
		tb_fail "tcp_mtu_probing=$mode: the shim differs from the kernel: $(cat "$TB_WORK/diff")"
done
# The hole was there: large packets were dropped.
drops=$(ip netns exec "$TB_NS_PEER" nft list table ip blackhole |
	awk '{ for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) } END { print n + 0 }')
[ "${drops:-0}" -gt 0 ] || tb_fail "the black hole dropped nothing"
tb_say "ok: the black hole dropped $drops packets; each mode as the kernel's"
testbed_test_end
