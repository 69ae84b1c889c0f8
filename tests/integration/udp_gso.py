# SPDX-License-Identifier: MIT
# UDP segmentation both ways and UDP_ENCAP, as the kernel's
# (test_udp_gso.sh runs this natively and under the shim and compares):
# a kernel peer's UDP_SEGMENT send arrives as the datagrams it was sent as,
# or whole with UDP_GRO and its size in a control message; our UDP_SEGMENT
# sends (option or control message) reach the peer cut, with
# udp_send_skb's errors; an ESP-in-UDP socket takes IKE only.
import errno, os, socket, struct, subprocess, sys

peer_addr, peer_ns = sys.argv[1], sys.argv[2]
me = peer_addr.rsplit(".", 1)[0] + ".10"
env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
SOL_UDP, UDP_ENCAP, UDP_SEGMENT, UDP_GRO = 17, 100, 103, 104
PAYLOAD = bytes(range(256)) * 20  # 5120 bytes


def peer(code, *args):
	return subprocess.run(["ip", "netns", "exec", peer_ns, sys.executable, "-c", code, *args],
			      env=env, check=True, capture_output=True, text=True, timeout=30).stdout


PEER_SEND = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(17, 103, int(sys.argv[3]))
s.sendto(bytes(range(256)) * 20, (sys.argv[1], int(sys.argv[2])))
"""


def receive(r, total, with_cmsg):
	got, out = 0, []
	while got < total:
		data, anc, flags, _ = r.recvmsg(65536, 64)
		got += len(data)
		gro = [struct.unpack("i", d[:4])[0] for lvl, t, d in anc if lvl == SOL_UDP and t == UDP_GRO]
		out.append("%d%s" % (len(data), " gro=%d" % gro[0] if gro else ""))
		if data != PAYLOAD[got - len(data):got]:
			out.append("bytes differ")
	return " ".join(out)


for gro in (0, 1):
	r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	r.bind(("0.0.0.0", 7410 + gro))
	r.settimeout(10)
	r.setsockopt(SOL_UDP, UDP_GRO, gro)
	peer(PEER_SEND, me, str(7410 + gro), "1000")
	print("peer sends 5120 bytes cut at 1000, UDP_GRO=%d:" % gro, receive(r, len(PAYLOAD), gro))
	r.close()

PEER_RECV = """
import socket, sys
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.bind(("0.0.0.0", int(sys.argv[1])))
r.settimeout(10)
print(r.recvfrom(1)[0] == b"?", flush=True)  # ready
sizes, total = [], 0
while total < int(sys.argv[2]):
	d = r.recv(65536)
	sizes.append(len(d))
	total += len(d)
print(" ".join(map(str, sizes)))
"""


def send_to_peer(port, n, gso_opt=None, gso_cmsg=None):
	p = subprocess.Popen(["ip", "netns", "exec", peer_ns, sys.executable, "-c", PEER_RECV, str(port), str(n)],
			     env=env, stdout=subprocess.PIPE, text=True)
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.settimeout(0.2)
	while True:  # until the peer's socket is bound: it answers the probe by printing
		s.sendto(b"?", (peer_addr, port))
		import select
		if select.select([p.stdout], [], [], 0.2)[0]:
			break
	p.stdout.readline()
	if gso_opt is not None:
		s.setsockopt(SOL_UDP, UDP_SEGMENT, gso_opt)
	anc = [(SOL_UDP, UDP_SEGMENT, struct.pack("H", gso_cmsg))] if gso_cmsg is not None else []
	r = s.sendmsg([b"y" * n], anc, 0, (peer_addr, port))
	out = p.communicate(timeout=30)[0].strip()
	return "sent %d, peer got %s" % (r, out)


print("UDP_SEGMENT 1000, 3000 bytes:", send_to_peer(7420, 3000, gso_opt=1000))
print("control message 1400, 5000 bytes:", send_to_peer(7421, 5000, gso_cmsg=1400))
print("control message 0 over UDP_SEGMENT 1000, 1200 bytes:", send_to_peer(7422, 1200, gso_opt=1000, gso_cmsg=0))


def try_send(label, n, gso=None, cm=None, nocheck=False):
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	if nocheck:
		s.setsockopt(socket.SOL_SOCKET, 11, 1)  # SO_NO_CHECK
	if gso is not None:
		s.setsockopt(SOL_UDP, UDP_SEGMENT, gso)
	try:
		r = s.sendmsg([b"x" * n], cm or [], 0, (peer_addr, 9))
	except OSError as e:
		r = errno.errorcode[e.errno]
	print(label, r)
	s.close()


try_send("128 segments or fewer:", 65000, gso=600)
try_send("more than 128 segments:", 65000, gso=500)
try_send("a segment over the MTU:", 3000, gso=1500)
try_send("one datagram over the MTU with a segment size:", 1473, gso=1473)
try_send("with SO_NO_CHECK:", 1600, gso=1000, nocheck=True)
try_send("control message of an int:", 3000, cm=[(SOL_UDP, UDP_SEGMENT, struct.pack("i", 1000))])
try_send("unknown SOL_UDP control message:", 100, cm=[(SOL_UDP, 1, struct.pack("i", 1))])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for opt, vals in ((UDP_SEGMENT, (-1, 65535, 65536)), (UDP_ENCAP, (0, 1, 2, 3, 4)), (UDP_GRO, (5, 0)),
		  (101, (5,)), (102, (5,))):
	for v in vals:
		try:
			s.setsockopt(SOL_UDP, opt, v)
			print("set", opt, v, "ok, reads", s.getsockopt(SOL_UDP, opt))
		except OSError as e:
			print("set", opt, v, errno.errorcode[e.errno])
print("SO_NO_CHECK reads", s.getsockopt(socket.SOL_SOCKET, 11), end=" ")
s.setsockopt(socket.SOL_SOCKET, 11, 1)
print("then", s.getsockopt(socket.SOL_SOCKET, 11))

# ESP in UDP (UDP_ENCAP_ESPINUDP) with no IPsec state: IKE passes, ESP and keepalives do not.
e = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
e.bind(("0.0.0.0", 7430))
e.setsockopt(SOL_UDP, UDP_ENCAP, 2)
e.settimeout(10)
peer("""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in (b"\\xff", b"\\x00\\x00\\x12\\x34" + b"e" * 20, b"\\x00\\x00\\x00\\x00ike", b"\\x00\\x00\\x00\\x00end"):
	s.sendto(p, (sys.argv[1], 7430))
""", me)
got = []
while not got or got[-1] != b"\0\0\0\0end":
	got.append(e.recv(100))
print("ESP-in-UDP socket took:", got)
