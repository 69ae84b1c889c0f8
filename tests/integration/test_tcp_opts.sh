#!/bin/bash
# SPDX-License-Identifier: MIT
# TCP_INQ, TCP_SAVE_SYN/TCP_SAVED_SYN, TCP_NOTSENT_LOWAT and TCP_REPAIR's
# answers outside repair mode as the kernel's:
# the same program runs natively and under the shim against one kernel peer
# and must print the same. It checks the options' values and errors; the
# TCP_CM_INQ count after each read (bytes left, plus one for the peer's FIN),
# with and without a FIN behind the data; the saved SYN's length, EINVAL with
# the needed length for a short buffer, its headers (addresses, ports, flags,
# the peer's option kinds, from the Ethernet header with 2) and that it is
# given once; and that with a 16 KB mark a writer facing a peer that does
# not read stops with at most about the mark (and one segment) unsent and
# not writable, and becomes writable once the peer reads.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_opts

testbed_native_up || tb_fail "cannot build the native namespace"

cat >"$TB_WORK/peer.py" <<'EOF'
# The kernel peer: on 7150, one command per connection (a line):
# "inq": send 5000 bytes, then FIN once the client sends a byte;
# "fin": send 3000 bytes and FIN at once;
# "syn PORT": connect back to the client on PORT and close;
# "sink": read nothing until the client sends on a second connection "drain".
import socket, threading

def serve(c, addr):
	f = c.makefile("rb")
	cmd = f.readline().split()
	if not cmd:
		return
	if cmd[0] == b"inq":
		c.sendall(b"x" * 5000)
		c.recv(1)
		c.shutdown(socket.SHUT_WR)
		c.recv(1)
	elif cmd[0] == b"fin":
		c.sendall(b"y" * 3000)
		c.shutdown(socket.SHUT_WR)
		c.recv(1)
	elif cmd[0] == b"syn":
		s = socket.create_connection((addr[0], int(cmd[1])), timeout=30)
		s.close()
		c.recv(1)
	elif cmd[0] == b"sink":
		sinks.append(c)
		return
	elif cmd[0] == b"drain":
		s = sinks.pop()
		s.settimeout(60)
		while s.recv(1 << 20):
			pass
	c.close()

sinks = []
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 7150))
l.listen(16)
while True:
	c, a = l.accept()
	threading.Thread(target=serve, args=(c, a), daemon=True).start()
EOF

cat >"$TB_WORK/opts.py" <<'EOF'
import array, ctypes, errno, select, socket, struct, sys, time
peer = sys.argv[1]
TCP = socket.IPPROTO_TCP
INQ, SAVE_SYN, SAVED_SYN, LOWAT = 36, 27, 28, 25
FIONREAD = 0x541B
libc = ctypes.CDLL(None, use_errno=True)

def tryset(s, opt, v):
	try:
		s.setsockopt(TCP, opt, v)
		return "ok"
	except OSError as e:
		return errno.errorcode[e.errno]

def until(cond, what, secs=20):
	end = time.monotonic() + secs
	while not cond():
		if time.monotonic() > end:
			print("timed out waiting for", what)
			sys.exit(1)
		select.select([], [], [], 0.01)

def fionread(s):
	import fcntl
	b = array.array("i", [0])
	fcntl.ioctl(s.fileno(), FIONREAD, b)
	return b[0]

def cmd(line):
	c = socket.create_connection((peer, 7150), timeout=30)
	c.sendall(line + b"\n")
	return c

# Values and errors.
s = socket.socket()
print("inq default", s.getsockopt(TCP, INQ), [tryset(s, INQ, v) for v in (1, 2, -1, 0)])
print("save_syn default", s.getsockopt(TCP, SAVE_SYN),
      [tryset(s, SAVE_SYN, v) + str(s.getsockopt(TCP, SAVE_SYN)) for v in (1, 2, 3, -1, 0)])
print("lowat default", s.getsockopt(TCP, LOWAT),
      [tryset(s, LOWAT, v) + str(s.getsockopt(TCP, LOWAT)) for v in (16384, 1, -1, 0)])
print("saved_syn of a fresh socket", s.getsockopt(TCP, SAVED_SYN, 512))

# TCP_REPAIR and its kin outside repair mode (in it: test_tcp_repair.sh).
REPAIR, RQUEUE, QSEQ, ROPTS, RWIN = 19, 20, 21, 22, 29

def tryget(s, opt, n=4):
	try:
		return s.getsockopt(TCP, opt, n)
	except OSError as e:
		return errno.errorcode[e.errno]

print("repair get", [tryget(s, o) for o in (REPAIR, RQUEUE, QSEQ, ROPTS)],
      tryget(s, RWIN, 20), tryget(s, RWIN))
print("repair set", [tryset(s, o, v) for o, v in ((RQUEUE, 1), (QSEQ, 5), (ROPTS, bytes(8)),
						  (RWIN, bytes(20)), (RWIN, 1), (ROPTS, 1),
						  (REPAIR, 0), (REPAIR, -1), (REPAIR, 5))])
s.close()

# TCP_CM_INQ.
def reads(c, n, count, flags=0):
	out = []
	for i in range(count):
		try:
			d, anc, fl, _ = c.recvmsg(n, socket.CMSG_SPACE(4), flags)
		except BlockingIOError:
			out.append("EAGAIN")
			continue
		inq = [(l, t, struct.unpack("i", v)[0]) for l, t, v in anc]
		out.append((len(d), inq, fl))
	return out

c = cmd(b"inq")
c.setsockopt(TCP, INQ, 1)
until(lambda: fionread(c) == 5000, "5000 bytes")
print("inq peek", reads(c, 100, 1, socket.MSG_PEEK))
print("inq reads", reads(c, 1000, 5))
c.setblocking(False)
print("inq empty", reads(c, 1000, 1))
c.setblocking(True)
c.send(b"f")
until(lambda: select.select([c], [], [], 0)[0], "the FIN")
print("inq at end", reads(c, 1000, 2))
print("inq off", tryset(c, INQ, 0), reads(c, 1000, 1))
c.close()

c = cmd(b"fin")
c.setsockopt(TCP, INQ, 1)
p = select.poll()
p.register(c, select.POLLRDHUP)
until(lambda: p.poll(0) and fionread(c) == 3000, "3000 bytes and the FIN")
print("fin reads", reads(c, 1000, 5))
c.close()

# TCP_SAVE_SYN / TCP_SAVED_SYN.
def saved_syn(mode, port):
	l = socket.socket()
	l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	l.setsockopt(TCP, SAVE_SYN, mode)
	# Accepted sockets inherit TCP_INQ (its TCP_CM_INQ too) and the mark.
	l.setsockopt(TCP, INQ, mode - 1)
	l.setsockopt(TCP, LOWAT, 12345 * (mode - 1))
	l.bind(("0.0.0.0", port))
	l.listen(4)
	c = cmd(b"syn %d" % port)
	a, _ = l.accept()
	print("listener repair", tryset(l, REPAIR, 1), "connected queue_seq", tryset(a, QSEQ, 1))
	print("accepted save_syn", a.getsockopt(TCP, SAVE_SYN), "inq", a.getsockopt(TCP, INQ),
	      "lowat", a.getsockopt(TCP, LOWAT))
	until(lambda: select.select([a], [], [], 0)[0], "the peer's FIN")
	print("accepted reads", reads(a, 100, 1))
	buf = ctypes.create_string_buffer(512)
	ln = ctypes.c_int(20)
	r = libc.getsockopt(a.fileno(), TCP, SAVED_SYN, buf, ctypes.byref(ln))
	need = ln.value
	print("short buffer", r, errno.errorcode.get(ctypes.get_errno(), "?") if r else "", need)
	ln = ctypes.c_int(need)
	r = libc.getsockopt(a.fileno(), TCP, SAVED_SYN, buf, ctypes.byref(ln))
	syn = buf.raw[:ln.value]
	print("exact buffer", r, ln.value)
	mac = 0
	if mode == 2:
		mac = 14
		print("ethertype", hex(struct.unpack("!H", syn[12:14])[0]))
	ip = syn[mac:]
	ihl = (ip[0] & 15) * 4
	tot, = struct.unpack("!H", ip[2:4])
	th = ip[ihl:]
	sport, dport = struct.unpack("!HH", th[:4])
	doff = (th[12] >> 4) * 4
	kinds, o = [], 20
	while o < doff:
		kinds.append(th[o])
		o += 1 if th[o] in (0, 1) else th[o + 1]
	print("ip version", ip[0] >> 4, "ihl", ihl, "tos", ip[1], "ttl", ip[8], "proto", ip[9],
	      "df", bool(ip[6] & 0x40), "total", tot == len(ip))
	print("from peer", socket.inet_ntoa(ip[12:16]) == a.getpeername()[0],
	      "to us", socket.inet_ntoa(ip[16:20]) == a.getsockname()[0],
	      "ports", sport == a.getpeername()[1], dport == port)
	print("tcp flags", hex(th[13]), "doff", doff, "kinds", kinds, "len", len(syn) == mac + ihl + doff)
	print("again", a.getsockopt(TCP, SAVED_SYN, 512))
	c.send(b"x")
	c.close()
	a.close()
	l.close()

saved_syn(1, 7151)
saved_syn(2, 7152)

# TCP_NOTSENT_LOWAT against a peer that does not read; then with SO_SNDBUF
# set after the mark (it must not give the pair its bytes back).
MARK = 16384
chunk = b"z" * 4096
def fill(c):
	n = 0
	while True:
		try:
			n += c.send(chunk)
		except BlockingIOError:
			return n

def tcp_info(c):
	i = c.getsockopt(TCP, socket.TCP_INFO, 232)
	# tcpi_notsent_bytes; tcpi_bytes_sent less tcpi_bytes_retrans
	return struct.unpack_from("I", i, 144)[0], struct.unpack_from("QQ", i, 200)

def lowat(sndbuf):
	c = cmd(b"sink")
	c.setsockopt(TCP, LOWAT, MARK)
	if sndbuf:
		c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
	c.setblocking(False)
	total = 0
	# Full: a write finds no room 0.3 s after the last one did, and the unsent
	# bytes reached the mark (under the shim the host may still be taking bytes).
	end = time.monotonic() + 30
	while True:
		before = total
		total += fill(c)
		select.select([], [], [], 0.3)
		total += fill(c)
		if total == before and tcp_info(c)[0] >= MARK:
			break
		if time.monotonic() > end:
			print("timed out filling: unsent", tcp_info(c)[0])
			sys.exit(1)
	sent, retrans = tcp_info(c)[1]
	held = total - (sent - retrans)
	tag = "lowat" + (" sndbuf %d" % sndbuf if sndbuf else "")
	print(tag + ": held", "within the mark and a 64 KB segment" if held <= MARK + 65536 + 8192 else "too much (%d)" % held)
	print(tag, "writable when full", bool(select.select([], [c], [], 0)[1]))
	d = cmd(b"drain")
	until(lambda: select.select([], [c], [], 0)[1], "room after the peer read")
	print(tag, "writable after the peer read", True)
	c.close()
	d.close()

lowat(0)
lowat(1 << 20)
EOF

testbed_peer timeout 300 "$TB_PY" "$TB_WORK/peer.py" >"$TB_WORK/peer.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 7150 || tb_fail "the peer does not listen"
testbed_native_vs_shim "$TB_WORK/opts.py"
grep -q "^inq reads .*(1000, \[(6, 36, 4000)\]" "$TB_WORK/native" &&
	grep -q "^lowat writable when full False" "$TB_WORK/native" ||
	tb_fail "the kernel did not answer as expected: $(cat "$TB_WORK/native")"
tb_say "ok: $(wc -l <"$TB_WORK/native") lines as the kernel's"
testbed_test_end
