#!/bin/bash
# SPDX-License-Identifier: MIT
# TCP_DEFER_ACCEPT as the kernel's: the same program runs natively and under
# the shim. It sets a range of values on a listener and prints what
# getsockopt reads back (seconds rounded up to whole SYN-ACK retransmission
# periods); then, with 30 s of deferral, a kernel peer connects and sends
# nothing: the listener must not turn readable (its bare ACK is dropped and
# the connection waits in the SYN queue) until the peer sends, which it does
# only after the program told it so over a second connection. The accepted
# socket reads the data at once and has no deferral of its own.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin defer_accept

testbed_native_up || tb_fail "cannot build the native namespace"

cat >"$TB_WORK/server.py" <<'EOF'
import select, socket, sys

peer = sys.argv[1]
TCP, DEFER = socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT
s = socket.socket()
for v in (0, 1, 2, 3, 4, 5, 7, 8, 30, 31, 32, 100, 1000, 100000, -1, 2**31 - 1):
	s.setsockopt(TCP, DEFER, v)
	print("set", v, "reads", s.getsockopt(TCP, DEFER))
s.close()

l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.setsockopt(TCP, DEFER, 30)
l.bind(("0.0.0.0", 7140))
l.listen(4)
# The peer connects to 7140 and sends nothing, then listens on 7141 for the
# word to send: once 7141 answers, its handshake on 7140 is done.
go = None
for i in range(300):
	try:
		go = socket.create_connection((peer, 7141), timeout=5)
		break
	except OSError:
		select.select([], [], [], 0.1)
print("peer ready", go is not None)
# Its bare ACK must not make the connection acceptable.
print("readable before data", bool(select.select([l], [], [], 1.5)[0]))
go.sendall(b"g")
print("readable after data", bool(select.select([l], [], [], 20)[0]))
c, _ = l.accept()
print("accepted reads", c.recv(100))
print("accepted socket's own deferral", c.getsockopt(TCP, DEFER))
c.close()
go.close()
EOF
cat >"$TB_WORK/peer.py" <<'EOF'
import select, socket, sys
# argv[1]: the server's address. Connect (the server may still be starting:
# refused means again), send nothing, then wait for "g".
for i in range(600):
	try:
		s = socket.create_connection((sys.argv[1], 7140), timeout=30)
		break
	except ConnectionRefusedError:
		select.select([], [], [], 0.05)
g = socket.socket()
g.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
g.bind(("0.0.0.0", 7141))
g.listen(1)
c, _ = g.accept()
c.settimeout(60)
if c.recv(1) == b"g":
	s.sendall(b"hello")
c.recv(1)
EOF

# run WHO ADDR CMD...: the server under CMD, the peer (kernel) towards ADDR.
run() {
	local who=$1 addr=$2 peer=$3 i
	shift 3
	testbed_peer timeout 60 "$TB_PY" "$TB_WORK/peer.py" "$addr" >"$TB_WORK/$who.peer" 2>&1 &
	local peerpid=$!
	"$@" timeout 60 "$TB_PY" "$TB_WORK/server.py" "$peer" >"$TB_WORK/$who" 2>&1 ||
		tb_fail "$who: the server failed: $(cat "$TB_WORK/$who") (peer: $(cat "$TB_WORK/$who.peer"))"
	wait "$peerpid" || tb_fail "$who: the peer failed: $(cat "$TB_WORK/$who.peer")"
}
tb_say "native: a deferring listener on $TB_NAT_ADDR, the peer $TB_NAT_PEER_ADDR"
run native "$TB_NAT_ADDR" "$TB_NAT_PEER_ADDR" ip netns exec "$TB_NS_NAT"
tb_say "shim: the same on $TB_SHIM_ADDR"
run shim "$TB_SHIM_ADDR" "$TB_PEER_ADDR" testbed_shim

grep -qx "readable before data False" "$TB_WORK/native" &&
	grep -qx "readable after data True" "$TB_WORK/native" &&
	grep -qx "accepted reads b'hello'" "$TB_WORK/native" ||
	tb_fail "the kernel did not defer as expected: $(cat "$TB_WORK/native")"
diff -au "$TB_WORK/native" "$TB_WORK/shim" >"$TB_WORK/diff" ||
	tb_fail "TCP_DEFER_ACCEPT under the shim differs from the kernel's: $(cat "$TB_WORK/diff")"
tb_say "ok: $(wc -l <"$TB_WORK/native") lines as the kernel's"
testbed_test_end
