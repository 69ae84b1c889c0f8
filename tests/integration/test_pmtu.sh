#!/bin/bash
# SPDX-License-Identifier: MIT
# Path MTU discovery through a real router. The peer namespace routes
# between the shim's link (MTU 1500) and a far link of MTU 1280 to a third
# namespace; its kernel answers our 1500-byte DF segments with ICMP
# fragmentation-needed itself. A 5 MB transfer each way between the shim
# and the far host must complete with equal SHA-256 (it cannot without
# PMTU discovery: the router drops every full-size segment), and IP_MTU on
# the connected socket must then read 1280, as the kernel's socket does on
# the same path (a native namespace behind the same router, same program).
# Then UDP over the same path, natively and under the shim, with the same
# answers: with IP_PMTUDISC_DO a datagram over the path MTU (and one over
# the device MTU on the link) fails in send() with EMSGSIZE, with PROBE
# only one over the device MTU does, and IP_RECVERR's queue and poll show
# the error as the kernel's.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin pmtu

FAR_ADDR=10.96.0.2
ROUTER_FAR=10.96.0.1
NS_FAR="ssF-${TB_NS_SHIM#ssA-}"
IF_FAR="${TB_IF_SHIM%s}f"
IF_ROUTER_FAR="${TB_IF_SHIM%s}r"
cleanup() {
	# A process outlives its namespace's deletion: the far server first.
	ip netns pids "$NS_FAR" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del "$NS_FAR" 2>/dev/null
	testbed_test_cleanup
}
trap cleanup EXIT

testbed_native_up || tb_fail "cannot build the native namespace"
ip netns add "$NS_FAR" || tb_fail "cannot create namespace $NS_FAR"
ip link add name "$IF_FAR" netns "$NS_FAR" mtu 1280 type veth \
	peer name "$IF_ROUTER_FAR" netns "$TB_NS_PEER" mtu 1280 || tb_fail "cannot create the far veth"
ip netns exec "$NS_FAR" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec "$TB_NS_PEER" sysctl -qw net.ipv4.ip_forward=1 || tb_fail "cannot turn on forwarding"
ip -n "$NS_FAR" link set lo up &&
	ip -n "$NS_FAR" addr add "$FAR_ADDR/24" dev "$IF_FAR" &&
	ip -n "$NS_FAR" link set "$IF_FAR" up &&
	ip -n "$NS_FAR" route add default via "$ROUTER_FAR" advmss 1460 &&
	ip -n "$TB_NS_PEER" addr add "$ROUTER_FAR/24" dev "$IF_ROUTER_FAR" &&
	ip -n "$TB_NS_PEER" link set "$IF_ROUTER_FAR" up &&
	ip -n "$TB_NS_NAT" route add 10.96.0.0/24 via "$TB_NAT_PEER_ADDR" || tb_fail "cannot configure the far link"

# Far side: per connection, take 5 MB and send 5 MB back, noting both digests.
cat >"$TB_WORK/far.py" <<'EOF'
import hashlib, socket, sys, threading

N = 5 * 1024 * 1024

def serve(c, n):
	data = bytes((i * 7 + n) & 0xff for i in range(256)) * (N // 256)
	def send():
		c.sendall(data)
	t = threading.Thread(target=send)
	t.start()
	got, h = 0, hashlib.sha256()
	while got < N:
		d = c.recv(65536)
		if not d:
			break
		got += len(d)
		h.update(d)
	t.join()
	with open(sys.argv[1] + "." + str(n), "w") as f:
		f.write("got %d %s\nsent %s\n" % (got, h.hexdigest(), hashlib.sha256(data).hexdigest()))
	c.close()

def sink():
	u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	u.bind(("0.0.0.0", 7121))
	while True:
		u.recv(65536)

threading.Thread(target=sink, daemon=True).start()
l = socket.socket()
l.bind(("0.0.0.0", 7120))
l.listen(4)
n = 0
while True:
	c, _ = l.accept()
	threading.Thread(target=serve, args=(c, n), daemon=True).start()
	n += 1
EOF
# Near side (natively and under the shim): send 5 MB, take 5 MB, then IP_MTU.
cat >"$TB_WORK/near.py" <<'EOF'
import hashlib, socket, sys, threading

N = 5 * 1024 * 1024
IP_MTU = 14
data = bytes((i * 13 + 5) & 0xff for i in range(256)) * (N // 256)
s = socket.create_connection((sys.argv[1], 7120), timeout=120)
t = threading.Thread(target=s.sendall, args=(data,))
t.start()
got, h = 0, hashlib.sha256()
while got < N:
	d = s.recv(65536)
	if not d:
		break
	got += len(d)
	h.update(d)
t.join()
print("sent %s" % hashlib.sha256(data).hexdigest())
print("got %d %s" % (got, h.hexdigest()))
print("IP_MTU %d" % s.getsockopt(socket.IPPROTO_IP, IP_MTU))
s.close()
EOF
# UDP sends at the MTU's edges (argv: the far host, a host on the link).
cat >"$TB_WORK/udp.py" <<'EOF'
import errno, select, socket, struct, sys, time

IP_MTU_DISCOVER, IP_MTU, IP_RECVERR = 10, 14, 11
DONT, WANT, DO, PROBE = 0, 1, 2, 3
far, near = (sys.argv[1], 7121), (sys.argv[2], 7121)

def sock(mode, recverr=0):
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, mode)
	s.setsockopt(socket.IPPROTO_IP, IP_RECVERR, recverr)
	return s

def send(what, s, n, to=None):
	try:
		r = s.sendto(b"x" * n, to) if to else s.send(b"x" * n)
	except OSError as e:
		r = errno.errorcode[e.errno]
	print("%s %d: %s" % (what, n, r))

# The path MTU is learnt from the router's ICMP (natively, already by the TCP run).
s = sock(DO)
s.connect(far)
deadline = time.time() + 30
while s.getsockopt(socket.IPPROTO_IP, IP_MTU) != 1280:
	if time.time() > deadline:
		sys.exit("no path MTU of 1280 learnt")
	try:
		s.send(b"x" * 1400)
	except OSError:
		pass
	time.sleep(0.05)
for n in (1252, 1253, 1472):
	send("connected DO", s, n)
s = sock(DO)
for n in (1252, 1253, 65507, 65508):
	send("DO to far", s, n, far)
for n in (1472, 1473):
	send("DO on the link", s, n, near)
s = sock(PROBE)
for n in (1253, 1472, 1473):
	send("PROBE to far", s, n, far)
for mode, name in ((DONT, "DONT"), (WANT, "WANT")):
	send(name + " to far", sock(mode), 1400, far)
	send(name + " on the link", sock(mode), 1473, near)

# IP_RECVERR: the error queue holds EMSGSIZE with the MTU, and poll says ERR.
s = sock(DO, 1)
send("RECVERR DO to far", s, 1253, far)
p = select.poll()
p.register(s, select.POLLIN | select.POLLOUT)
print("poll", [ev for _, ev in p.poll(0)])
data, anc, flags, name = s.recvmsg(2048, 512, socket.MSG_ERRQUEUE)
print("errqueue from", name)
for level, typ, d in anc:
	eno, origin, typ_, code, pad, info, _ = struct.unpack("IBBBBII", d[:16])
	print("errqueue", level, typ, errno.errorcode[eno], origin, info,
	      socket.inet_ntoa(d[20:24]), struct.unpack("!H", d[18:20])[0])
print("poll", [ev for _, ev in p.poll(0)])
print("SO_ERROR", s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
EOF
ip netns exec "$NS_FAR" "$TB_PY" "$TB_WORK/far.py" "$TB_WORK/far" >"$TB_WORK/far.log" 2>&1 &
testbed_wait_listen "$NS_FAR" tcp 7120 10 || tb_fail "the far server did not start"

# Each run: its own digests against the far side's, then its IP_MTU.
check_run() {
	local who=$1 out=$2 far=$3
	[ -s "$far" ] || tb_fail "$who: the far side recorded nothing"
	grep -qx "got $((5 * 1024 * 1024)) .*" "$out" || tb_fail "$who: did not get 5 MB: $(cat "$out")"
	[ "$(sed -n 's/^sent //p' "$out")" = "$(sed -n 's/^got [0-9]* //p' "$far")" ] ||
		tb_fail "$who: what the far side got differs from what was sent"
	[ "$(sed -n 's/^got [0-9]* //p' "$out")" = "$(sed -n 's/^sent //p' "$far")" ] ||
		tb_fail "$who: what arrived differs from what the far side sent"
}
wait_far() {
	local i
	for i in $(seq 1 100); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
}

tb_say "native: 5 MB each way from $TB_NAT_ADDR to $FAR_ADDR via the router"
ip netns exec "$TB_NS_NAT" "$TB_PY" "$TB_WORK/near.py" "$FAR_ADDR" >"$TB_WORK/native" 2>"$TB_WORK/native.log" ||
	tb_fail "the native run failed: $(tail -3 "$TB_WORK/native.log")"
wait_far "$TB_WORK/far.0"
check_run native "$TB_WORK/native" "$TB_WORK/far.0"
tb_say "shim: 5 MB each way from $TB_SHIM_ADDR to $FAR_ADDR via the router"
SOCKSHIM_GATEWAY=$TB_PEER_ADDR testbed_shim "$TB_PY" "$TB_WORK/near.py" "$FAR_ADDR" >"$TB_WORK/shim" 2>"$TB_WORK/shim.log" ||
	tb_fail "the shim run failed: $(tail -3 "$TB_WORK/shim.log")"
wait_far "$TB_WORK/far.1"
check_run shim "$TB_WORK/shim" "$TB_WORK/far.1"

native_mtu=$(sed -n 's/^IP_MTU //p' "$TB_WORK/native")
shim_mtu=$(sed -n 's/^IP_MTU //p' "$TB_WORK/shim")
[ "$native_mtu" = 1280 ] || tb_fail "the kernel's IP_MTU is $native_mtu, not 1280: the router sent no ICMP?"
[ "$shim_mtu" = "$native_mtu" ] || tb_fail "IP_MTU under the shim is $shim_mtu, the kernel's $native_mtu"
tb_say "ok: 5 MB each way, SHA-256 equal, IP_MTU $shim_mtu as the kernel's"

tb_say "UDP at the MTU's edges, natively and under the shim"
ip netns exec "$TB_NS_NAT" "$TB_PY" "$TB_WORK/udp.py" "$FAR_ADDR" "$TB_NAT_PEER_ADDR" \
	>"$TB_WORK/udp.native" 2>&1 || tb_fail "the native UDP run failed: $(tail -3 "$TB_WORK/udp.native")"
SOCKSHIM_GATEWAY=$TB_PEER_ADDR testbed_shim "$TB_PY" "$TB_WORK/udp.py" "$FAR_ADDR" "$TB_PEER_ADDR" \
	>"$TB_WORK/udp.shim" 2>&1 || tb_fail "the shim UDP run failed: $(tail -3 "$TB_WORK/udp.shim")"
grep -qx "DO to far 1253: EMSGSIZE" "$TB_WORK/udp.native" ||
	tb_fail "the kernel did not refuse a DF datagram over the path MTU: $(cat "$TB_WORK/udp.native")"
diff -u "$TB_WORK/udp.native" "$TB_WORK/udp.shim" >"$TB_WORK/udp.diff" ||
	tb_fail "UDP sends under the shim differ from the kernel's: $(cat "$TB_WORK/udp.diff")"
tb_say "ok: $(grep -c EMSGSIZE "$TB_WORK/udp.native") EMSGSIZE sends and the error queue as the kernel's"
testbed_test_end
