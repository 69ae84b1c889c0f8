#!/bin/bash
# SPDX-License-Identifier: MIT
# TCP repair mode as the kernel's, the CRIU sequence (soccr's dump and
# restore): the same program runs natively and under the shim against one
# kernel peer and must print the same. A connection is left with data the
# program has not read (the receive queue) and data the peer has not
# acknowledged (the send queue: the peer's nftables drops our segments for
# the while); in repair mode the program dumps its state (TCP_INFO's state,
# options and scales, SIOCINQ/SIOCOUTQ/SIOCOUTQNSD, both queues' sequence
# numbers and bytes by MSG_PEEK, TCP_MAXSEG, TCP_TIMESTAMP,
# TCP_REPAIR_WINDOW), checks the errors repair mode gives, and closes the
# socket, which goes silently. A fresh socket in repair mode then binds the
# address, sets the sequence numbers, connects with no SYN, sets the
# options, timestamp, queues and windows, turns repair mode off and carries
# on: the peer receives the unacknowledged bytes, replies, and the program
# reads the restored receive queue and the reply, exactly. An nftables
# counter at the peer sees one SYN in all (the first connect's), and no
# FIN or RST comes from the dumped socket.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_repair

testbed_native_up || tb_fail "cannot build the native namespace"

cat >"$TB_WORK/peer.py" <<'PY'
# The kernel peer on 7170: after a line, 3000 bytes of "r"; after 30000
# bytes, a line naming their digest; then each line back with "ok "; a FIN
# or a reset from the client ends the connection and says which, with the
# number of connections so far.
import hashlib, socket, threading

def serve(c):
	f = c.makefile("rb")
	f.readline()
	c.sendall(b"r" * 3000)
	data = f.read(30000)
	c.sendall(b"got %d %s\n" % (len(data), hashlib.sha1(data).hexdigest().encode()))
	try:
		for line in f:
			c.sendall(b"ok " + line)
	except ConnectionResetError:
		pass
	c.close()

l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 7170))
l.listen(8)
while True:
	c, _ = l.accept()
	threading.Thread(target=serve, args=(c,), daemon=True).start()
PY

cat >"$TB_WORK/repair.py" <<'PY'
import array, errno, fcntl, hashlib, os, select, socket, struct, subprocess, sys, time
peer, peerns = sys.argv[1], sys.argv[2]
TCP = socket.IPPROTO_TCP
REPAIR, RQUEUE, QSEQ, ROPTS, TSTAMP, RWIN = 19, 20, 21, 22, 24, 29
NO_Q, RECV_Q, SEND_Q = 0, 1, 2
SIOCINQ, SIOCOUTQ, SIOCOUTQNSD = 0x541B, 0x5411, 0x894B
PEEK = socket.MSG_PEEK | socket.MSG_DONTWAIT
PORT = 7170
R = b"r" * 3000
# More than the initial window: part of it is never sent before the dump.
X = bytes(i % 251 for i in range(30000))
TABLE = "repair%d" % os.getpid()
plain_env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}

def nft(text):
	subprocess.run(["ip", "netns", "exec", peerns, "nft", "-f", "-"], input=text.encode(),
		       env=plain_env, check=True)

def err(f, *a):
	try:
		r = f(*a)
		return "ok" if r is None else r
	except OSError as e:
		return errno.errorcode[e.errno]

def ioc(s, req):
	b = array.array("i", [0])
	fcntl.ioctl(s.fileno(), req, b)
	return b[0]

def until(cond, what, secs=30):
	end = time.monotonic() + secs
	while not cond():
		if time.monotonic() > end:
			print("timed out waiting for", what)
			sys.exit(1)
		select.select([], [], [], 0.01)

def u32(v):
	return v & 0xffffffff

# The peer counts SYNs and our FIN/RST to it; "blk" drops what we send while it has a rule.
nft("""table ip %s {
	chain blk {
	}
	chain in {
		type filter hook input priority -10; policy accept;
		tcp dport %d tcp flags & (syn | ack) == syn counter
		tcp dport %d tcp flags & (fin | rst) != 0 counter
		jump blk
	}
}""" % (TABLE, PORT, PORT))

# Not privileged: EPERM, as tcp_can_repair_sock (the socket is root's, the caller is not).
t = socket.socket()
pid = os.fork()
if pid == 0:
	os.setgid(65534)
	os.setuid(65534)
	os._exit(0 if err(t.setsockopt, TCP, REPAIR, 1) == "EPERM" else 1)
t.close()
print("unprivileged TCP_REPAIR EPERM", os.waitpid(pid, 0)[1] == 0)

# Outside repair mode, and the way out without a probe.
f = socket.socket()
print("fresh", [err(f.setsockopt, TCP, RQUEUE, RECV_Q), err(f.setsockopt, TCP, QSEQ, 1),
		err(f.getsockopt, TCP, RQUEUE), err(f.getsockopt, TCP, QSEQ),
		err(f.setsockopt, TCP, RWIN, bytes(20)), err(f.getsockopt, TCP, RWIN, 20),
		err(f.setsockopt, TCP, TSTAMP, 5), err(f.setsockopt, TCP, ROPTS, bytes(8))])
# Repair mode forces address reuse (SK_FORCE_REUSE, 2) and leaves none behind.
f.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
print("on", err(f.setsockopt, TCP, REPAIR, 1), f.getsockopt(TCP, REPAIR),
      "queue", f.getsockopt(TCP, RQUEUE), "reuse", f.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR),
      "off no probe", err(f.setsockopt, TCP, REPAIR, -1), f.getsockopt(TCP, REPAIR),
      "reuse", f.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR),
      "bad", err(f.setsockopt, TCP, REPAIR, 2))
f.close()

# A connection with both queues full.
s = socket.create_connection((peer, PORT), timeout=30)
me = s.getsockname()
s.sendall(b"hello\n")
until(lambda: ioc(s, SIOCINQ) == len(R), "the peer's 3000 bytes")
nft("add rule ip %s blk ip saddr %s tcp sport %d drop" % (TABLE, me[0], me[1]))
s.sendall(X)
until(lambda: ioc(s, SIOCOUTQ) == len(X) and ioc(s, SIOCOUTQNSD) < len(X), "our bytes in flight")

# The dump.
s.setsockopt(TCP, REPAIR, 1)
info = s.getsockopt(TCP, socket.TCP_INFO, 104)
state, opts, ws = info[0], info[5], info[6]
inq, outq, unsq = ioc(s, SIOCINQ), ioc(s, SIOCOUTQ), ioc(s, SIOCOUTQNSD)
print("dump: repair", s.getsockopt(TCP, REPAIR), "queue", s.getsockopt(TCP, RQUEUE), "state", state,
      "options", opts, "scales", ws & 15, ws >> 4, "inq", inq, "outq", outq,
      "unsent part", 0 < unsq < outq)
s.setsockopt(TCP, RQUEUE, SEND_Q)
outq_seq = u32(s.getsockopt(TCP, QSEQ))
sndq = s.recv(outq, PEEK)
short = s.recv(100, PEEK)
# The kernel copies what fits and answers the whole length (Python keeps that many bytes).
print("send queue", len(sndq), sndq == X, "bigger buffer", len(s.recv(outq + 1000, PEEK)),
      "short buffer", len(short), short[:100] == X[:100])
s.setsockopt(TCP, RQUEUE, RECV_Q)
inq_seq = u32(s.getsockopt(TCP, QSEQ))
rcvq = s.recv(inq, PEEK)
print("receive queue", len(rcvq), rcvq == R)
mss = s.getsockopt(TCP, socket.TCP_MAXSEG)
ts = s.getsockopt(TCP, TSTAMP)
win = struct.unpack("5I", s.getsockopt(TCP, RWIN, 20))
snd_wl1, snd_wnd, max_window, rcv_wnd, rcv_wup = win
print("mss", mss, "timestamp even", ts % 2 == 0, "window: snd_wnd", snd_wnd > 0,
      "max_window", max_window >= snd_wnd, "rcv_wnd", rcv_wnd > 0,
      "rcv_wup", u32(inq_seq - rcv_wup) <= inq, "snd_wl1", u32(inq_seq - snd_wl1) <= inq + 1)
print("repair errors", [err(s.recv, 10), err(s.recv, 10, socket.MSG_DONTWAIT),
      err(s.setsockopt, TCP, RQUEUE, 3), err(s.setsockopt, TCP, RQUEUE, -1),
      err(s.setsockopt, TCP, QSEQ, 1), err(s.setsockopt, TCP, ROPTS, bytes(8)),
      err(s.getsockopt, TCP, RWIN, 16), err(s.setsockopt, TCP, RWIN, bytes(16)),
      err(s.setsockopt, TCP, RWIN, struct.pack("5I", snd_wl1, snd_wnd, snd_wnd - 1, rcv_wnd, rcv_wup)),
      err(s.setsockopt, TCP, RWIN, struct.pack("5I", snd_wl1, snd_wnd, max_window, rcv_wnd, u32(inq_seq + 1))),
      err(s.setsockopt, TCP, RWIN, struct.pack("5I", u32(inq_seq + rcv_wnd + 1), snd_wnd, max_window, rcv_wnd, rcv_wup)),
      err(s.setsockopt, TCP, RWIN, struct.pack("5I", *win)),
      err(s.setsockopt, TCP, REPAIR, 2)])
s.setsockopt(TCP, RQUEUE, NO_Q)
print("no queue", [err(s.recv, 10, PEEK), err(s.send, b"z", socket.MSG_NOSIGNAL), err(s.send, b""),
      err(s.getsockopt, TCP, QSEQ), s.getsockopt(TCP, RQUEUE)])
# A FIN in repair mode joins the send queue, "sent" with what was unsent (nothing on the wire).
s.setsockopt(TCP, RQUEUE, SEND_Q)
s.shutdown(socket.SHUT_WR)
print("shutdown: state", s.getsockopt(TCP, socket.TCP_INFO, 104)[0], "outq", ioc(s, SIOCOUTQ),
      "unsent", ioc(s, SIOCOUTQNSD))
s.close()

# The restore, into a fresh socket.
n = socket.socket()
n.setsockopt(TCP, REPAIR, 1)
n.bind(me)
n.setsockopt(TCP, RQUEUE, RECV_Q)
n.setsockopt(TCP, QSEQ, struct.pack("I", u32(inq_seq - inq)))
n.setsockopt(TCP, RQUEUE, SEND_Q)
n.setsockopt(TCP, QSEQ, struct.pack("I", u32(outq_seq - outq)))
print("before connect", [u32(n.getsockopt(TCP, QSEQ)) == u32(outq_seq - outq),
      err(n.send, b"z", socket.MSG_NOSIGNAL), err(n.setsockopt, TCP, ROPTS, bytes(8)),
      err(n.recv, 10, PEEK), err(os.read, n.fileno(), 10)])
n.connect((peer, PORT))
print("connected", n.getpeername() == (peer, PORT), n.getsockname() == me,
      "established", n.getsockopt(TCP, socket.TCP_INFO, 104)[0])
ropts = struct.pack("8I", 4, 0, 3, (ws & 15) | (ws >> 4) << 16, 8, 0, 2, mss)
print("options", [err(n.setsockopt, TCP, ROPTS, struct.pack("2I", 3, 15)),
      err(n.setsockopt, TCP, ROPTS, struct.pack("2I", 4, 1)),
      err(n.setsockopt, TCP, ROPTS, struct.pack("2I", 8, 1)),
      err(n.setsockopt, TCP, ROPTS, ropts), err(n.setsockopt, TCP, TSTAMP, ts)])
n.setsockopt(TCP, RQUEUE, RECV_Q)
sent_r = os.write(n.fileno(), R)
# soccr: the part sent once goes in repair mode, the rest as any send with the mode
# off (the window is still closed: it waits), then the mode on again.
n.setsockopt(TCP, RQUEUE, SEND_Q)
sent_x = n.send(X[:outq - unsq])
nothing = err(n.send, b"")
n.setsockopt(TCP, REPAIR, 0)
n.sendall(X[outq - unsq:])
n.setsockopt(TCP, REPAIR, 1)
print("queued", sent_r, sent_x == outq - unsq, "nothing", nothing,
      err(n.setsockopt, TCP, RWIN, struct.pack("5I", *win)))
n.setsockopt(TCP, RQUEUE, RECV_Q)
print("restored: seqs", u32(n.getsockopt(TCP, QSEQ)) == inq_seq, end=" ")
n.setsockopt(TCP, RQUEUE, SEND_Q)
print(u32(n.getsockopt(TCP, QSEQ)) == outq_seq, "inq", ioc(n, SIOCINQ), "outq", ioc(n, SIOCOUTQ),
      "unsent as dumped", ioc(n, SIOCOUTQNSD) == unsq, "send queue", n.recv(len(X), PEEK) == X,
      end=" ")
n.setsockopt(TCP, RQUEUE, RECV_Q)
print("receive queue", n.recv(len(R), PEEK) == R, "mss", n.getsockopt(TCP, socket.TCP_MAXSEG))
i2 = n.getsockopt(TCP, socket.TCP_INFO, 104)
print("restored options", i2[5], "scales", i2[6] & 15, i2[6] >> 4)

# Off again: the peer's window comes with the probe's answer, our bytes with the RTO.
nft("flush chain ip %s blk" % TABLE)
n.setsockopt(TCP, REPAIR, 0)
print("off", n.getsockopt(TCP, REPAIR), err(n.getsockopt, TCP, RQUEUE))
n.settimeout(30)
want = R + b"got %d %s\n" % (len(X), hashlib.sha1(X).hexdigest().encode())
got = b""
while len(got) < len(want):
	d = n.recv(65536)
	if not d:
		break
	got += d
print("stream continues", got == want)
n.sendall(b"more\n")
got = b""
while not got.endswith(b"\n"):
	d = n.recv(100)
	if not d:
		break
	got += d
print("reply", got)

def counters():
	out = subprocess.run(["ip", "netns", "exec", peerns, "nft", "list", "table", "ip", TABLE],
			     env=plain_env, capture_output=True, text=True).stdout
	return [int(w.split()[0]) for w in out.split("packets")[1:]]

# The dumped socket went silently; the restored one closes as any (the counter works).
print("peer saw: SYNs", counters()[0], "FINs or RSTs", counters()[1])
n.close()
until(lambda: counters()[1] > 0, "the FIN of the close")
print("then a FIN", counters()[1] > 0)
nft("delete table ip %s" % TABLE)
PY

testbed_peer timeout 300 "$TB_PY" "$TB_WORK/peer.py" >"$TB_WORK/peer.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 7170 || tb_fail "the peer does not listen"
testbed_native_vs_shim "$TB_WORK/repair.py" "$TB_NS_PEER"
grep -q "^stream continues True" "$TB_WORK/native" &&
	grep -q "^peer saw: SYNs 1 FINs or RSTs 0" "$TB_WORK/native" ||
	tb_fail "the kernel did not answer as expected: $(cat "$TB_WORK/native")"
cat "$TB_WORK/native"
tb_say "ok: $(wc -l <"$TB_WORK/native") lines as the kernel's"
testbed_test_end
