# SPDX-License-Identifier: MIT
# The peer side of test_ip_options.sh.
#
# capture PORT CLOSED BULK SRC...: TCP servers on PORT and BULK (each
# reads to EOF, answers "done" and the byte count)
# and a capture of every IPv4 packet from the senders SRC... (the native
# run's and the shim's), printed one line each, as
# "SRC: what", with what differs between the runs masked: the sender's and
# the peer's addresses become S and P, the IP id and the ports go, the
# checksums are checked and said ok (the transport's against which
# destination it was summed with, whole or left to the device), timestamps in IP options are checked to
# be milliseconds since midnight UT now and said T. TCP: the first SYN and
# the first data segment of each connection (but to BULK, whose segments
# are the sender's GSO choice), and resets from port CLOSED.
# Prints "SRC: END" when the sender's last datagram came (and, before it,
# "capture dropped N" if the socket had no room for N packets: the capture
# reads slowly on a loaded machine, and its buffer is large so that it
# never has to). On UDP PORT + 8,
# a datagram "frag N" is answered with N bytes (fragmented past the MTU).
#
# client ADDR PORT: connects to ip_options.py serve at ADDR:PORT from
# PROBE_PORT without options until it listens, then once with each list of
# CLIENT_CASES, sending the case's name; then to PORT + 1, where nothing
# listens, with record route. Prints each result.
import socket, struct, sys, threading, time

from ip_options import IP, IP_OPTIONS, addr, options, rr, ts

srcs, peers = {}, {}  # the senders; for each, the peer address it sent to first
PROBE_PORT = 9499  # the client's source port while it waits for the listener: not captured
CLIENT_CASES = [
	("plain", b""),
	("rr", rr(9)),
	("ts only", ts(0, 4)),
	("ts addr", ts(1, 2)),
	("rr+ts", rr(3) + ts(0, 3)),
	("ra", b"\x94\x04\x00\x00"),
	("nops", b"\x01" * 4),
	("rr full", rr(1, ptr=8)),
]


def server(port):
	l = socket.socket()
	l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	l.bind(("0.0.0.0", port))
	l.listen(16)
	while True:
		c, _ = l.accept()
		threading.Thread(target=serve, args=(c,), daemon=True).start()


def serve(c):
	n = 0
	while True:
		b = c.recv(65536)
		if not b:
			break
		n += len(b)
	c.sendall(b"done %d" % n)
	c.close()


def frag_server(port):
	u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	u.bind(("0.0.0.0", port))
	while True:
		b, a = u.recvfrom(100)
		if b.startswith(b"frag "):
			u.sendto(b"f" * int(b[5:]), a)


def csum(b):
	if len(b) & 1:
		b += b"\0"
	s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
	while s >> 16:
		s = (s & 0xffff) + (s >> 16)
	return s


seen = set()
cap = None
drops = 0
SO_RCVBUFFORCE, SOL_PACKET, PACKET_STATISTICS = 33, 263, 6


def show(pkt):
	global drops
	if len(pkt) < 20 or pkt[0] >> 4 != 4:
		return
	ihl = (pkt[0] & 15) * 4
	src, dst = pkt[12:16], pkt[16:20]
	if src not in srcs or len(pkt) < ihl:
		return
	tot = struct.unpack("!H", pkt[2:4])[0]
	pkt = pkt[:tot]
	proto, body = pkt[9], pkt[ihl:]
	peer = peers.setdefault(src, dst)
	opts, last = options(pkt[20:ihl], src, peer)
	line = "ihl %d tos %#x len %d df %d ttl %d ipsum %s to %s opts [%s]" % (
		ihl, pkt[1], tot, pkt[6] >> 6 & 1, pkt[8], "ok" if csum(pkt[:ihl]) == 0xffff else "bad",
		addr(dst, src, peer), opts)

	# The sum over which destination: whole, or the pseudo-header's alone
	# (CHECKSUM_PARTIAL: the device was to finish it; the veth never does).
	def l4sum(off):
		field = struct.unpack("!H", body[off:off + 2])[0]
		for name, d in (("hdr", dst), ("final", last)):
			pseudo = src + d + struct.pack("!BBH", 0, proto, len(body)) if d else None
			if d and (csum(pseudo + body) == 0xffff or csum(pseudo) == field):
				return name
		return "bad"

	if proto == 17:
		if body[8:] == b"END":
			drops += struct.unpack("II", cap.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))[1]
			if drops:
				print("capture dropped %d" % drops, flush=True)
			print(srcs[src] + ": END", flush=True)
			return
		line += " udp dport %d sum %s %r" % (struct.unpack("!H", body[2:4])[0], l4sum(6), body[8:])
	elif proto == 1:
		line += " icmp %d/%d sum %s %r" % (body[0], body[1], "ok" if csum(body) == 0xffff else "bad", body[8:])
	elif proto == 6:
		sport, doff, flags = body[0:2], (body[12] >> 4) * 4, body[13]
		data = body[doff:]
		key = (src, sport, body[2:4], "syn" if flags & 2 else "data")
		if struct.unpack("!H", body[2:4])[0] == PROBE_PORT:
			return
		rst = flags & 4 and struct.unpack("!H", sport)[0] == closed
		# A bulk send's segments are the sender's GSO choice: left out.
		if not (flags & 2 or data or rst) or key in seen or (data and body[2:4] == bulk):
			return
		seen.add(key)
		kinds, j, o = [], 20, body
		while j < doff:
			if o[j] in (0, 1):
				kinds.append(str(o[j]))
				j += 1
				continue
			kinds.append(str(o[j]) if o[j] != 2 else "mss%d" % struct.unpack("!H", o[j + 2:j + 4])[0])
			j += max(o[j + 1], 2)
		line += " tcp flags %#x opts %s sum %s %r" % (flags, ",".join(kinds), l4sum(16), data)
	else:
		line += " proto %d" % proto
	print(srcs[src] + ": " + line, flush=True)


def client(addr, port):
	deadline = time.monotonic() + 60
	while True:
		try:
			c = socket.socket()
			c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
			c.bind(("0.0.0.0", PROBE_PORT))
			c.settimeout(0.5)
			c.connect((addr, port))
			break
		except OSError:
			c.close()
			if time.monotonic() > deadline:
				raise
			# Each refused try is a SYN and a reset the capture reads: not
			# thousands a second of them.
			time.sleep(0.01)
	c.settimeout(20)
	c.sendall(b"probe")
	c.shutdown(socket.SHUT_WR)
	print("probe", c.recv(10))
	c.close()
	for name, val in CLIENT_CASES:
		c = socket.socket()
		c.settimeout(20)
		c.setsockopt(IP, IP_OPTIONS, val)
		c.connect((addr, port))
		c.sendall(name.encode())
		c.shutdown(socket.SHUT_WR)
		print(name, c.recv(10))
		c.close()
	c = socket.socket()
	c.settimeout(20)
	c.setsockopt(IP, IP_OPTIONS, rr(9))
	try:
		c.connect((addr, port + 1))
		print("closed port: connected")
	except OSError as e:
		print("closed port:", e.strerror)


def capture():
	global closed, bulk, cap
	port, closed, bulk_port = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
	bulk = struct.pack("!H", bulk_port)
	srcs.update({socket.inet_aton(a): a for a in sys.argv[5:]})
	threading.Thread(target=server, args=(port,), daemon=True).start()
	threading.Thread(target=server, args=(bulk_port,), daemon=True).start()
	threading.Thread(target=frag_server, args=(port + 8,), daemon=True).start()
	cap = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
	# Room for every packet of a run (the bulk sends' included) while the
	# servers' threads hold the interpreter.
	cap.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
	print("ready", flush=True)
	while True:
		pkt, a = cap.recvfrom(65536)
		if a[2] != socket.PACKET_OUTGOING:
			show(pkt)


if sys.argv[1] == "capture":
	capture()
else:
	client(sys.argv[2], int(sys.argv[3]))
