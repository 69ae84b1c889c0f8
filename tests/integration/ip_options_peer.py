# SPDX-License-Identifier: MIT
# The peer side of test_ip_options.sh: a TCP server on PORT (reads to EOF,
# answers "done") and a capture of every IPv4 packet from the senders
# SRC... (the native run's and the shim's), printed one line each, as
# "SRC: what", with what differs between the runs masked: the sender's and
# the peer's addresses become S and P, the IP id and the ports go, the
# checksums are checked and said ok (the transport's against which
# destination it was summed with, whole or left to the device), timestamps in IP options are checked to
# be milliseconds since midnight UT now and said T. TCP: the first SYN and
# the first data segment of each connection. Prints "SRC: END" when the
# sender's last datagram came.
import socket, struct, sys, threading, time

port = int(sys.argv[1])
srcs = {socket.inet_aton(a): a for a in sys.argv[2:]}
peers = {}  # sender -> the peer address it sent to (the header's destination of its END)


def server():
	l = socket.socket()
	l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	l.bind(("0.0.0.0", port))
	l.listen(16)
	while True:
		c, _ = l.accept()
		threading.Thread(target=serve, args=(c,), daemon=True).start()


def serve(c):
	while c.recv(4096):
		pass
	c.sendall(b"done")
	c.close()


def csum(b):
	if len(b) & 1:
		b += b"\0"
	s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
	while s >> 16:
		s = (s & 0xffff) + (s >> 16)
	return s


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


seen = set()


def show(pkt):
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
			print(srcs[src] + ": END", flush=True)
			return
		line += " udp dport %d sum %s %r" % (struct.unpack("!H", body[2:4])[0], l4sum(6), body[8:])
	elif proto == 1:
		line += " icmp %d/%d sum %s %r" % (body[0], body[1], "ok" if csum(body) == 0xffff else "bad", body[8:])
	elif proto == 6:
		sport, doff, flags = body[0:2], (body[12] >> 4) * 4, body[13]
		data = body[doff:]
		key = (src, sport, "syn" if flags & 2 else "data")
		if not (flags & 2 or data) or key in seen:
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


threading.Thread(target=server, daemon=True).start()
cap = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
print("ready", flush=True)
while True:
	pkt, a = cap.recvfrom(65536)
	if a[2] != socket.PACKET_OUTGOING:
		show(pkt)
