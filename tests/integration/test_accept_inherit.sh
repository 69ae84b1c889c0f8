#!/bin/bash
# SPDX-License-Identifier: MIT
# Options set on a listener reach the sockets it accepts, as the kernel's
# sk_clone_lock/inet_csk_clone_lock and tcp_create_openreq_child copy them:
# the same program runs natively (the kernel's TCP) and under the shim, sets
# non-default values on its listener, accepts one connection from the
# kernel peer and prints getsockopt of each option on the accepted socket;
# the two outputs must be equal. Two options are also checked by what they
# do: SO_OOBINLINE (the peer's urgent byte reads inline) and SO_RCVTIMEO
# (a read with nothing coming fails with EAGAIN instead of blocking). A
# socket filter (locked) and SO_ZEROCOPY are inherited too: the accepted
# socket reads the program back, cannot detach it, and a MSG_ZEROCOPY send
# on it queues its completion.
#
# Topology: the shim namespace (stack 10.99.0.10) and a native namespace
# (kernel 10.98.0.10, testbed_native_up) each accept from one kernel peer.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin accept_inherit

testbed_native_up || tb_fail "cannot build the native namespace"

cat >"$TB_WORK/server.py" <<'EOF'
import ctypes, errno, select, socket, struct, sys

S, IP, TCP = socket.SOL_SOCKET, socket.IPPROTO_IP, socket.IPPROTO_TCP
TV = struct.Struct("ll")
# name, level, option, value set on the listener (int, or bytes for a struct)
OPTS = [
	("SO_OOBINLINE", S, socket.SO_OOBINLINE, 1),
	("SO_KEEPALIVE", S, socket.SO_KEEPALIVE, 1),
	("SO_LINGER", S, socket.SO_LINGER, struct.pack("ii", 1, 5)),
	("SO_SNDBUF", S, socket.SO_SNDBUF, 65536),
	("SO_RCVBUF", S, socket.SO_RCVBUF, 131072),
	("SO_PRIORITY", S, socket.SO_PRIORITY, 5),
	("SO_MARK", S, socket.SO_MARK, 7),
	("SO_RCVLOWAT", S, socket.SO_RCVLOWAT, 2),
	("SO_RCVTIMEO", S, socket.SO_RCVTIMEO, TV.pack(0, 300000)),
	("SO_SNDTIMEO", S, socket.SO_SNDTIMEO, TV.pack(1, 500000)),
	("SO_TIMESTAMP", S, 29, 1),
	("SO_BROADCAST", S, socket.SO_BROADCAST, 1),
	("SO_DONTROUTE", S, socket.SO_DONTROUTE, 1),
	("IP_TOS", IP, socket.IP_TOS, 0x10),
	("IP_TTL", IP, socket.IP_TTL, 33),
	("IP_RECVERR", IP, 11, 1),
	("IP_MTU_DISCOVER", IP, 10, 0),
	("TCP_NODELAY", TCP, socket.TCP_NODELAY, 1),
	("TCP_KEEPIDLE", TCP, socket.TCP_KEEPIDLE, 100),
	("TCP_KEEPINTVL", TCP, socket.TCP_KEEPINTVL, 10),
	("TCP_KEEPCNT", TCP, socket.TCP_KEEPCNT, 4),
	("TCP_USER_TIMEOUT", TCP, socket.TCP_USER_TIMEOUT, 5000),
	("TCP_LINGER2", TCP, socket.TCP_LINGER2, 7),
	("TCP_SYNCNT", TCP, socket.TCP_SYNCNT, 3),
	("TCP_CONGESTION", TCP, socket.TCP_CONGESTION, b"reno"),
	("SO_ZEROCOPY", S, 60, 1),
]
SO_ATTACH_FILTER, SO_DETACH_FILTER, SO_LOCK_FILTER, MSG_ZEROCOPY = 26, 27, 44, 0x4000000
# A classic BPF program that keeps every packet whole: "ret #-1".
FILTER = ctypes.create_string_buffer(struct.pack("HBBI", 0x06, 0, 0, 0xffffffff))

l = socket.socket()
l.setsockopt(S, socket.SO_REUSEADDR, 1)
for name, level, opt, val in OPTS:
	try:
		l.setsockopt(level, opt, val)
	except OSError as e:
		print(name, "set", errno.errorcode[e.errno])
l.setsockopt(S, SO_ATTACH_FILTER, struct.pack("HL", 1, ctypes.addressof(FILTER)))
l.setsockopt(S, SO_LOCK_FILTER, 1)
l.bind(("0.0.0.0", 7130))
l.listen(1)
print("listening", flush=True)
# SO_RCVTIMEO bounds accept() too: wait for the connection first.
select.select([l], [], [], 30)
c, _ = l.accept()
for name, level, opt, val in OPTS:
	try:
		if isinstance(val, bytes):
			cc = name == "TCP_CONGESTION"
			v = c.getsockopt(level, opt, 16 if cc else len(val))
			v = v.rstrip(b"\0").decode() if cc else v.hex()
		else:
			v = c.getsockopt(level, opt)
	except OSError as e:
		v = errno.errorcode[e.errno]
	print(name, v)
print("SO_LOCK_FILTER", c.getsockopt(S, SO_LOCK_FILTER))
print("SO_GET_FILTER", c.getsockopt(S, SO_ATTACH_FILTER, 64).hex())
try:
	c.setsockopt(S, SO_DETACH_FILTER, 0)
	print("SO_DETACH_FILTER ok")
except OSError as e:
	print("SO_DETACH_FILTER", errno.errorcode[e.errno])
# The peer sends "ab", "X" urgent, "cd": inline, the byte is in the stream.
got = b""
while len(got) < 5:
	if not select.select([c], [], [], 10)[0]:
		print("timeout after", got)
		break
	d = c.recv(100)
	if not d:
		break
	got += d
print("read", got)
try:
	print("recv with nothing coming", c.recv(100))
except OSError as e:
	print("recv with nothing coming", errno.errorcode[e.errno])
# SO_ZEROCOPY inherited: the send's completion (id 0) comes on the error queue.
c.send(b"z", MSG_ZEROCOPY)
p = select.poll()
p.register(c, 0)
if not p.poll(10000):
	print("zerocopy: no completion")
else:
	_, anc, _, _ = c.recvmsg(0, 512, socket.MSG_ERRQUEUE)
	for level, typ, data in anc:
		if (level, typ) != (socket.IPPROTO_IP, 11):  # IP_RECVERR (SO_TIMESTAMP adds its own)
			continue
		ee_errno, origin, _, _, _, lo, hi = struct.unpack("IBBBBII", data[:16])
		print("zerocopy completion: origin", origin, "ids", lo, hi)
c.close()
EOF
# The kernel peer: connects, sends "ab" + urgent "X" + "cd" in one segment, waits for the close.
cat >"$TB_WORK/peer.py" <<'EOF'
import socket, sys
s = socket.create_connection((sys.argv[1], 7130), timeout=30)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
s.send(b"abX", socket.MSG_OOB)
s.send(b"cd")
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
while s.recv(100):
	pass
EOF

# run WHO ADDR CMD...: the server under CMD, the peer connecting to ADDR.
run() {
	local who=$1 addr=$2 i
	shift 2
	"$@" timeout 60 "$TB_PY" "$TB_WORK/server.py" >"$TB_WORK/$who" 2>&1 &
	local server=$!
	for i in $(seq 1 100); do
		grep -q listening "$TB_WORK/$who" && break
		sleep 0.1
	done
	grep -q listening "$TB_WORK/$who" || tb_fail "$who: the server did not start: $(cat "$TB_WORK/$who")"
	testbed_peer timeout 60 "$TB_PY" "$TB_WORK/peer.py" "$addr" >"$TB_WORK/$who.peer" 2>&1 ||
		tb_fail "$who: the peer failed: $(cat "$TB_WORK/$who.peer") (server: $(cat "$TB_WORK/$who"))"
	wait "$server" || tb_fail "$who: the server failed: $(cat "$TB_WORK/$who")"
}
tb_say "native: a listener with options on $TB_NAT_ADDR accepts from $TB_NAT_PEER_ADDR"
run native "$TB_NAT_ADDR" ip netns exec "$TB_NS_NAT"
tb_say "shim: the same on $TB_SHIM_ADDR"
run shim "$TB_SHIM_ADDR" testbed_shim

grep -qx "SO_OOBINLINE 1" "$TB_WORK/native" && grep -qx "read b'abXcd'" "$TB_WORK/native" &&
	grep -qx "recv with nothing coming EAGAIN" "$TB_WORK/native" ||
	tb_fail "the kernel's accepted socket did not inherit as expected: $(cat "$TB_WORK/native")"
diff -au "$TB_WORK/native" "$TB_WORK/shim" >"$TB_WORK/diff" ||
	tb_fail "the accepted socket under the shim differs from the kernel's: $(cat "$TB_WORK/diff")"
tb_say "ok: $(($(wc -l <"$TB_WORK/native") - 1)) lines as the kernel's"
testbed_test_end
