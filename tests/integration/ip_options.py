# SPDX-License-Identifier: MIT
# IP options set by a socket (test_ip_options.sh runs this natively and
# under the shim and compares the outputs, and what ip_options_peer.py
# captured of both on the peer):
#   sockopt PEER        setsockopt(IP_OPTIONS) with good and bad option
#                       lists on UDP, TCP and raw sockets, and what
#                       getsockopt(IP_OPTIONS) gives back (the kernel's
#                       ip_options_get / ip_options_compile / ip_options_undo),
#                       and from a child as nobody (no CAP_NET_RAW);
#   send PEER PORT BULK UDP, raw ICMP, ping and TCP sent with options (the
#                       peer captures them), TCP_MAXSEG with and without
#                       options, 256 KiB to BULK with record route;
#   serve PEER PORT N   a listener taking the N connections of
#                       ip_options_peer.py client: the options each accepted
#                       socket took from its SYN (getsockopt, addresses as
#                       S for ours and P for the peer's, times as T) and its
#                       TCP_MAXSEG;
#   end PEER PORT       a UDP datagram "END", last of all, so that the
#                       capture knows it has read everything before it.
import errno, os, socket, struct, sys, time

IP = socket.IPPROTO_IP
IP_OPTIONS = 4
IP_RETOPTS = 7
IP_RECVFRAGSIZE = 25
FAR = socket.inet_aton("192.0.2.1")     # a source route's next hop, never reached
FINAL = socket.inet_aton("198.51.100.7")  # and its last


def res(f):
	try:
		r = f()
		return "ok" if r is None else "ok %s" % (r.hex() if isinstance(r, bytes) else r)
	except OSError as e:
		return errno.errorcode.get(e.errno, str(e.errno))


def addr(a, src, dst):
	return "S" if a == src else "P" if a == dst else socket.inet_ntoa(a)


def midnight_ms():
	t = time.time()
	return int(t % 86400 * 1000)


def options(o, src, dst):
	"""The options, addresses named and times checked; and a source route's last hop."""
	out, i, last = [], 0, None
	while i < len(o):
		t = o[i]
		if t in (0, 1) or i + 1 >= len(o):
			out.append("%02x" % t)
			i += 1
			continue
		ln = o[i + 1]
		if ln < 2 or i + ln > len(o):
			out.append(o[i:].hex())
			break
		b = o[i:i + ln]
		if t in (7, 131, 137):
			body = [addr(b[j:j + 4], src, dst) for j in range(3, ln - 3, 4)]
			if t != 7 and ln >= 7:
				last = b[ln - 4:ln]
			out.append("%s[%s]" % (b[:3].hex(), ",".join(body)))
		elif t == 68:
			ptr, flag, body = b[2], b[3] & 15, []
			step = 4 if flag == 0 else 8
			for j in range(4, ln - 3, step):
				slot = []
				if flag:
					slot.append(addr(b[j:j + 4], src, dst))
				tm = b[j + (4 if flag else 0):j + (8 if flag else 4)]
				if j + step <= ptr - 1 and len(tm) == 4:
					v = struct.unpack("!I", tm)[0]
					d = (v - midnight_ms()) % 86400000
					slot.append("T" if min(d, 86400000 - d) < 5000 else "T?%08x" % v)
				else:
					slot.append(tm.hex())
				body.append("/".join(slot))
			out.append("%s[%s]" % (b[:4].hex(), ",".join(body)))
		else:
			out.append(b.hex())
		i += ln
	return " ".join(out), last


def rr(slots, ptr=4):
	return bytes([7, 3 + 4 * slots, ptr]) + bytes(4 * slots)


def ts(flag, slots, ptr=5, overflow=0, body=None):
	size = 4 * slots * (1 if flag == 0 else 2)
	return bytes([68, 4 + size, ptr, overflow << 4 | flag]) + (body if body is not None else bytes(size))


def srr(kind, hops, ptr=4, ln=None):
	b = b"".join(hops)
	return bytes([kind, ln if ln is not None else 3 + len(b), ptr]) + b


# (name, option bytes): setsockopt each on a fresh socket, then read back.
CASES = [
	("empty", b""),
	("nop", b"\x01"),
	("nop x4", b"\x01" * 4),
	("end then junk", b"\x00\x01\x02\x03\x04\x05"),
	("nop end junk", b"\x01\x00\x07\x07"),
	("rr 1 slot", rr(1)),
	("rr 9 slots", rr(9)),
	("rr 9 slots + nop", rr(9) + b"\x01"),
	("rr full (ptr past)", rr(1, ptr=8)),
	("rr ptr 3", rr(1, ptr=3)),
	("rr ptr 5", rr(1, ptr=5)),
	("rr len 2", b"\x07\x02"),
	("rr len 3", b"\x07\x03\x04"),
	("rr twice", rr(1) + b"\x01" + rr(1)),
	("rr with data", bytes([7, 11, 4]) + bytes(range(1, 9))),
	("rr len past end", b"\x07\x10\x04\x00"),
	("len 1", b"\x07\x01"),
	("type only at end", b"\x01\x01\x01\x07"),
	("ts only 2", ts(0, 2)),
	("ts only with data", ts(0, 2, body=bytes(range(1, 9)))),
	("ts only 2 ptr 9", ts(0, 2, ptr=9, body=bytes(range(1, 9)))),
	("ts only ptr 4", ts(0, 1, ptr=4)),
	("ts only ptr 6", ts(0, 1, ptr=6)),
	("ts len 3", b"\x44\x03\x05"),
	("ts full overflow 14", ts(0, 1, ptr=9, overflow=14)),
	("ts full overflow 15", ts(0, 1, ptr=9, overflow=15)),
	("ts addr 2", ts(1, 2)),
	("ts addr short", bytes([68, 8, 5, 1, 0, 0, 0, 0])),
	("ts prespec other", bytes([68, 12, 5, 3]) + FAR + bytes(4)),
	("ts prespec local", bytes([68, 12, 5, 3]) + socket.inet_aton("127.0.0.1") + bytes(4)),
	("ts prespec full overflow 15", bytes([68, 12, 13, 0xf3]) + FAR + bytes(4)),
	("ts flag 2", ts(2, 1)),
	("ts twice", ts(0, 1) + ts(0, 1)),
	("lsrr 1 hop", srr(131, [FAR])),
	("lsrr 2 hops", srr(131, [FAR, FINAL])),
	("lsrr 2 hops + nop", srr(131, [FAR, FINAL]) + b"\x01"),
	("ssrr 3 hops", srr(137, [FAR, FINAL, FAR])),
	("lsrr ptr 8", srr(131, [FAR, FINAL], ptr=8)),
	("lsrr ptr 3", srr(131, [FAR], ptr=3)),
	("lsrr len 3", bytes([131, 3, 4])),
	("lsrr len 9", srr(131, [FAR], ln=9) + b"\x00\x00"),
	("lsrr twice", srr(131, [FAR]) + b"\x01" + srr(137, [FAR])),
	("lsrr and rr and ts", srr(131, [FAR]) + rr(2) + ts(0, 2)),
	("ra", b"\x94\x04\x00\x00"),
	("ra value 1", b"\x94\x04\x00\x01"),
	("ra len 3", b"\x94\x03\x00"),
	("security", b"\x82\x0b" + bytes(9)),
	("stream id", b"\x88\x04\x00\x01"),
	("cipso", b"\x86\x06\x00\x00\x00\x01"),
	("unknown 0x99", b"\x99\x02"),
	("40 bytes", rr(9) + b"\x01"),
	("41 bytes", rr(9) + b"\x01\x01"),
	("44 bytes", bytes(44)),
	("zeros 40", bytes(40)),
]


def sockopt():
	for kind, t, p in (("udp", socket.SOCK_DGRAM, 0), ("tcp", socket.SOCK_STREAM, 0),
			   ("raw", socket.SOCK_RAW, socket.IPPROTO_ICMP)):
		for name, val in CASES:
			s = socket.socket(socket.AF_INET, t, p)
			r = res(lambda: s.setsockopt(IP, IP_OPTIONS, val))
			print("%s %-28s set %-7s get %s" % (kind, name, r, res(lambda: s.getsockopt(IP, IP_OPTIONS, 40))))
			s.close()
		# Reading into a short buffer; replacing and clearing.
		s = socket.socket(socket.AF_INET, t, p)
		print(kind, "get fresh", res(lambda: s.getsockopt(IP, IP_OPTIONS, 40)))
		s.setsockopt(IP, IP_OPTIONS, rr(2))
		for n in (0, 1, 3, 11, 12, 13):
			print(kind, "get", n, res(lambda: s.getsockopt(IP, IP_OPTIONS, n)))
		print(kind, "replace bad", res(lambda: s.setsockopt(IP, IP_OPTIONS, b"\x07\x02")),
		      res(lambda: s.getsockopt(IP, IP_OPTIONS, 40)))
		print(kind, "replace", res(lambda: s.setsockopt(IP, IP_OPTIONS, ts(1, 1))),
		      res(lambda: s.getsockopt(IP, IP_OPTIONS, 40)))
		print(kind, "clear", res(lambda: s.setsockopt(IP, IP_OPTIONS, b"")),
		      res(lambda: s.getsockopt(IP, IP_OPTIONS, 40)))
		s.close()
	# TCP_MAXSEG of a socket without a path follows IP_OPTIONS (tcp_sync_mss on MTU 0).
	t = socket.socket()
	print("tcp fresh TCP_MAXSEG", t.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG))
	t.setsockopt(IP, IP_OPTIONS, rr(2))
	print("tcp options TCP_MAXSEG", t.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG))
	t.setsockopt(IP, IP_OPTIONS, b"")
	print("tcp cleared TCP_MAXSEG", t.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG))
	t.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 1000)
	t.setsockopt(IP, IP_OPTIONS, rr(2))
	print("tcp user mss TCP_MAXSEG", t.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG))
	t.close()
	# A source route needs a destination: its last hop.
	t = socket.socket()
	t.setsockopt(IP, IP_OPTIONS, srr(131, [FAR]))
	print("tcp lsrr connect 0.0.0.0", res(lambda: t.connect(("0.0.0.0", 9))))
	t.close()
	# Without CAP_NET_RAW (a child as nobody): what only it may send is EINVAL.
	def nobody():
		for name, val in CASES:
			u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
			print("nobody udp %-28s set %s" % (name, res(lambda: u.setsockopt(IP, IP_OPTIONS, val))))
			u.close()
	as_nobody(nobody)


def as_nobody(f):
	"""Runs f in a child as nobody (no CAP_NET_RAW), its output in order with ours."""
	sys.stdout.flush()
	pid = os.fork()
	if pid == 0:
		os.setgroups([])
		os.setgid(65534)
		os.setuid(65534)
		f()
		sys.stdout.flush()
		os._exit(0)
	os.waitpid(pid, 0)


# Options sent on the wire; a source route's first hop is the peer itself
# (so the frame reaches it), and so is its last (the send's destination).
def wire_cases(peer):
	return [
		("rr", rr(9)),
		("ts only", ts(0, 4)),
		("ts addr", ts(1, 2)),
		("ts prespec", bytes([68, 20, 5, 3]) + FAR + bytes(4) + socket.inet_aton("127.0.0.1") + bytes(4)),
		("lsrr", srr(131, [peer, FAR])),
		("ssrr", srr(137, [peer])),
		("ra", b"\x94\x04\x00\x00"),
		("nops", b"\x01\x01\x01"),
		("rr+ts", rr(3) + ts(0, 3)),
	]


def icmp_echo(seq, data):
	"""An ICMP echo request with its checksum, for a raw socket."""
	echo = struct.pack("!BBHHH", 8, 0, 0, 0x4242, seq) + data
	csum = sum(struct.unpack("!%dH" % ((len(echo) + 1) // 2), echo + b"\0" * (len(echo) & 1)))
	csum = (csum & 0xffff) + (csum >> 16)
	csum = ~((csum & 0xffff) + (csum >> 16)) & 0xffff
	return echo[:2] + struct.pack("!H", csum) + echo[4:]


def send(peer_s, port, bulk):
	peer = socket.inet_aton(peer_s)
	for name, val in wire_cases(peer):
		to = peer_s
		u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		u.setsockopt(IP, IP_OPTIONS, val)
		print("udp", name, res(lambda: u.sendto(b"udp " + name.encode(), (to, port))))
		u.close()
		r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
		r.setsockopt(IP, IP_OPTIONS, val)
		echo = icmp_echo(1, b"raw " + name.encode())
		print("raw", name, res(lambda: r.sendto(echo, (to, 0))))
		r.close()
		p = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
		p.setsockopt(IP, IP_OPTIONS, val)
		print("ping", name, res(lambda: p.sendto(struct.pack("!BBHHH", 8, 0, 0, 0, 7) + b"ping " + name.encode(), (to, 0))))
		p.close()
		t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
		t.setsockopt(IP, IP_OPTIONS, val)
		if val[0] in (131, 137):
			# The peer drops a source-routed SYN: only the first one is looked at.
			t.setblocking(False)
			print("tcp", name, "connect", res(lambda: t.connect((to, port))))
			t.close()
			continue
		print("tcp", name, "connect", res(lambda: t.connect((to, port))))
		print("tcp", name, "TCP_MAXSEG", t.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG))
		print("tcp", name, "get", res(lambda: t.getsockopt(IP, IP_OPTIONS, 40)))
		t.sendall(b"tcp " + name.encode())
		t.shutdown(socket.SHUT_WR)
		print("tcp", name, "read", t.recv(100))
		t.close()
	# With DF, the options take their room from the datagram; the error says how much is left.
	u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	u.setsockopt(IP, 10, 2)  # IP_MTU_DISCOVER: IP_PMTUDISC_DO
	u.setsockopt(IP, 11, 1)  # IP_RECVERR
	u.setsockopt(IP, IP_OPTIONS, rr(9))
	for n in (1500 - 28 - 40, 1500 - 28 - 39):
		print("udp DF with rr", n, res(lambda: u.sendto(b"d" * n, (peer_s, port))))
	try:
		_, anc, _, _ = u.recvmsg(16, 512, socket.MSG_ERRQUEUE)
		e = struct.unpack("=IBBBBII", anc[0][2][:16])
		print("udp DF with rr error queue: errno %d origin %d info %d" % (e[0], e[1], e[5]))
	except OSError as e:
		print("udp DF with rr error queue:", errno.errorcode.get(e.errno))
	u.close()
	# A bulk send with options: every segment (cut by GSO or not) reaches the peer's kernel.
	t = socket.socket()
	t.setsockopt(IP, IP_OPTIONS, rr(9))
	t.connect((peer_s, bulk))
	t.sendall(bytes(range(256)) * 1024)
	t.shutdown(socket.SHUT_WR)
	print("tcp bulk with rr read", t.recv(100))
	t.close()
	t = socket.create_connection((peer_s, port))
	print("tcp none TCP_MAXSEG", t.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG))
	t.setsockopt(IP, IP_OPTIONS, rr(9))
	t.sendall(b"x")
	print("tcp rr later TCP_MAXSEG", t.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG))
	t.close()
	send_cmsg(peer_s, port)


def retopts(o):
	return [(IP, IP_RETOPTS, o)]


def own_options(peer_s, port, none):
	"""What a datagram send checks against the socket's own options, as against a message's."""
	peer = socket.inet_aton(peer_s)
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	# The largest datagram shrinks by their length.
	s.setsockopt(IP, IP_OPTIONS, rr(9) + b"\x01")
	for n in (65507 - 40, 65507 - 39):
		print("udp own 40 bytes len", n, res(lambda: s.sendto(b"d" * n, (none, 9))))
	# A source route goes to its first hop: that is what must be routable, not the destination.
	s.setsockopt(IP, IP_OPTIONS, srr(131, [FAR]))
	print("udp own lsrr far first", res(lambda: s.sendto(b"x", (peer_s, port))))
	s.setsockopt(IP, IP_OPTIONS, srr(131, [peer]))
	print("udp own lsrr to far", res(lambda: s.sendto(b"udp own lsrr to far", (socket.inet_ntoa(FINAL), port))))
	# ... and needs a destination.
	print("udp own lsrr to 0.0.0.0", res(lambda: s.sendto(b"x", ("0.0.0.0", port))))
	s.close()
	# IP_HDRINCL with options, the socket's (even none) or a message's: EINVAL, nothing sent.
	udp = struct.pack("!HHHH", 9, port, 8 + 7, 0) + b"hdrincl"
	pkt = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, bytes(4), peer) + udp
	for name, opts, anc in (("own rr", rr(2), []), ("own empty", b"", []), ("retopts empty", None, retopts(b""))):
		for proto in (socket.IPPROTO_RAW, socket.IPPROTO_UDP):
			h = socket.socket(socket.AF_INET, socket.SOCK_RAW, proto)
			h.setsockopt(IP, socket.IP_HDRINCL, 1)
			if opts is not None:
				h.setsockopt(IP, IP_OPTIONS, opts)
			print("raw hdrincl", proto, name, res(lambda: h.sendmsg([pkt], anc, 0, (peer_s, 0))))
			h.close()
	# Options without IP_HDRINCL are the raw socket's to send.
	h = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
	h.setsockopt(IP, IP_OPTIONS, srr(131, [peer]))
	print("raw own lsrr to 0.0.0.0", res(lambda: h.sendto(icmp_echo(3, b"x"), ("0.0.0.0", 0))))
	h.close()


def send_cmsg(peer_s, port):
	"""A send's own options (IP_RETOPTS), and IP_RECVFRAGSIZE of what the peer answers."""
	peer = socket.inet_aton(peer_s)
	# The message's list replaces the socket's (the peer captures which went).
	u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	u.setsockopt(IP, IP_OPTIONS, ts(0, 2))
	for name, val in (("rr", rr(2)), ("empty", b""), ("lsrr", srr(131, [peer])), ("nop", b"\x01")):
		print("udp retopts", name, res(lambda: u.sendmsg([b"udp retopts " + name.encode()], retopts(val), 0,
							       (peer_s, port))))
	for name, val in (("bad", b"\x07\x02"), ("41 bytes", rr(9) + b"\x01\x01"), ("cipso", b"\x86\x06\x00\x00\x00\x01"),
			  ("two srr", srr(131, [peer]) + srr(137, [peer]))):
		print("udp retopts", name, res(lambda: u.sendmsg([b"x"], retopts(val), 0, (peer_s, port))))
	# The first hop of a source route is what must be routable; the destination then is not.
	print("udp retopts lsrr far first", res(lambda: u.sendmsg([b"x"], retopts(srr(131, [FAR])), 0, (peer_s, port))))
	# The options take their room from the largest datagram (to an address nobody answers).
	none = peer_s.rsplit(".", 1)[0] + ".250"
	for n in (65507 - 40, 65507 - 39):
		print("udp retopts 40 bytes len", n, res(lambda: u.sendmsg([b"d" * n], retopts(rr(9) + b"\x01"), 0, (none, 9))))
	# Several lists in one message: each is checked where it stands, the last one goes.
	print("udp retopts bad then rr", res(lambda: u.sendmsg([b"x"], retopts(b"\x07\x02") + retopts(rr(2)), 0,
							       (peer_s, port))))
	print("udp retopts ts then rr", res(lambda: u.sendmsg([b"udp retopts ts then rr"], retopts(ts(0, 2)) + retopts(rr(3)),
							      0, (peer_s, port))))
	u.close()
	own_options(peer_s, port, none)
	r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
	for name, val in (("bad", b"\x07\x02"), ("rr", rr(2))):
		echo = icmp_echo(2, b"raw retopts " + name.encode())
		print("raw retopts", name, res(lambda: r.sendmsg([echo], retopts(val), 0, (peer_s, 0))))
	r.close()
	# Without CAP_NET_RAW a message's source route is refused as the socket's is.
	def nobody():
		n = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		for name, val in (("lsrr", srr(131, [peer])), ("unknown 0x99", b"\x99\x02"), ("bad", b"\x07\x02")):
			print("nobody udp retopts", name, res(lambda: n.sendmsg([b"x"], retopts(val), 0, (peer_s, port))))
		# Each list is judged, not only the last.
		print("nobody udp retopts lsrr then nop", res(lambda: n.sendmsg([b"x"], retopts(srr(131, [peer])) + retopts(b"\x01"), 0,
										 (peer_s, port))))
	as_nobody(nobody)
	# IP_RECVFRAGSIZE: the largest fragment of a reassembled datagram; nothing for a whole one.
	u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	u.bind(("0.0.0.0", 0))
	raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
	for s in (u, raw):
		s.settimeout(10)
		s.setsockopt(IP, IP_RECVFRAGSIZE, 1)
	print("udp IP_RECVFRAGSIZE get", u.getsockopt(IP, IP_RECVFRAGSIZE))
	me = u.getsockname()[1]
	for n in (100, 1472, 1473, 3000):
		u.sendto(b"frag %d" % n, (peer_s, port + 8))
		for kind, s in (("udp", u), ("raw", raw)):
			while True:
				d, anc, fl, _ = s.recvmsg(65536, 256)
				# The raw socket sees every datagram: only the answer to this one.
				if kind == "udp" or struct.unpack("!H", d[22:24])[0] == me:
					break
			print("IP_RECVFRAGSIZE", kind, n, len(d), fl, [(l, t, v.hex()) for l, t, v in anc])
	u.close()
	raw.close()


def serve(port, n):
	"""Accepts n connections (ip_options_peer.py client makes them): what each has."""
	l = socket.socket()
	l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	# The listener's own options go to no connection: each takes its SYN's.
	l.setsockopt(IP, IP_OPTIONS, b"\x94\x04\x00\x00")
	l.bind(("0.0.0.0", port))
	l.listen(8)
	for _ in range(n):
		c, (peer, _) = l.accept()
		name = b""
		while True:
			b = c.recv(100)
			if not b:
				break
			name += b
		me = socket.inet_aton(c.getsockname()[0])
		o = c.getsockopt(IP, IP_OPTIONS, 40)
		print("accepted", name.decode(), "IP_OPTIONS [%s]" % options(o, me, socket.inet_aton(peer))[0],
		      "TCP_MAXSEG", c.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG))
		c.sendall(b"ok")
		c.close()
	l.close()


if __name__ == "__main__":
	if sys.argv[2] == "sockopt":
		sockopt()
	elif sys.argv[2] == "serve":
		serve(int(sys.argv[3]), int(sys.argv[4]))
	elif sys.argv[2] == "end":
		socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"END", (sys.argv[1], int(sys.argv[3])))
	else:
		send(sys.argv[1], int(sys.argv[3]), int(sys.argv[4]))
