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
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin pmtu

FAR_ADDR=10.96.0.2
ROUTER_FAR=10.96.0.1
NS_FAR="ssF-${TB_NS_SHIM#ssA-}"
IF_FAR="${TB_IF_SHIM%s}f"
IF_ROUTER_FAR="${TB_IF_SHIM%s}r"
cleanup() {
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
testbed_test_end
