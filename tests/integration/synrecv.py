# SPDX-License-Identifier: MIT
# A SYN_RECV socket's answers, segment by segment (test_tcp_synrecv.sh):
#   synrecv.py listen READY           a listener on LPORT (backlog 16) that
#                                     never accepts; READY once it listens
#   synrecv.py connect PEER           a connect() from CPORT to PEER:PPORT,
#                                     whose SYN the peer answers with a SYN
#                                     of its own (simultaneous open); prints
#                                     how it ended, then sends one byte
#   synrecv.py listener ADDR STATS... (peer) the listener scenarios against
#                                     ADDR; STATS... is the command that
#                                     prints the target's counters, and
#                                     $SYNRECV_NS the target's namespace
#   synrecv.py simopen ADDR READY STATS...  (peer) the simultaneous open
#                                     against the client at ADDR; READY once
#                                     the sniffer runs
# The peer sends from a raw socket and sees the target's answers with an
# AF_PACKET sniffer, before its own nftables drops them (so its kernel never
# resets what it did not open). Every answer is printed relative to the
# sequence numbers of the flow (the target's ISN as S, the peer's as I), so
# the kernel's run and the shim's compare line for line. A step that should
# get no answer is followed by a fence, a segment every state answers
# (listener: an ACK of nothing sent, which gets a RST): once the fence's
# answer is seen, every answer before it is too, since both stacks answer
# in order. No step waits on time but the deadline for an answer. The
# counters' change leaves out the retransmissions no step asked for: a
# timer's (a request of an earlier step still queued, a byte not acknowledged)
# fires or not by how fast a loaded machine runs the steps.
import os, socket, struct, subprocess, sys, threading, time

from raw_tcp import segment

LPORT, CPORT, PPORT = 7500, 7510, 7511
FENCE_PORT = 7598  # to 7599, where nothing listens
WAIT = 20  # seconds an answer may take under load before the test fails
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
COUNTERS = [("Tcp", "PassiveOpens"), ("Tcp", "AttemptFails"), ("TcpExt", "TCPACKSkippedSynRecv"),
	    ("TcpExt", "PAWSEstab"), ("TcpExt", "TSEcrRejected"), ("TcpExt", "EmbryonicRsts"),
	    ("TcpExt", "TCPSYNChallenge"), ("TcpExt", "TCPACKSkippedChallenge"), ("TcpExt", "TCPSynRetrans"),
	    ("Tcp", "RetransSegs")]


def syn_opts(tsval, tsecr=0):
	# mss 1460, sackOK, TS, nop, wscale 7: as a kernel's SYN.
	return struct.pack("!BBHBBBBIIBBBB", 2, 4, 1460, 4, 2, 8, 10, tsval, tsecr, 1, 3, 3, 7)


def ts_opts(tsval, tsecr):
	return struct.pack("!BBBBII", 1, 1, 8, 10, tsval, tsecr)


class Sniffer:
	"""Every TCP segment the target sends to us, in order of arrival."""

	def __init__(self, target):
		self.target, self.segs, self.cv = target, [], threading.Condition()
		self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
		self.sock.settimeout(0.2)
		threading.Thread(target=self.run, daemon=True).start()

	def run(self):
		while True:
			try:
				d = self.sock.recv(65536)
			except socket.timeout:
				continue
			if len(d) < 40 or d[9] != 6 or socket.inet_ntoa(d[12:16]) != self.target:
				continue
			ihl = (d[0] & 15) * 4
			t = d[ihl:]
			sport, dport, seq, ack, off, flags, win = struct.unpack("!HHIIBBH", t[:16])
			doff = (off >> 4) * 4
			seg = {"sport": sport, "dport": dport, "seq": seq, "ack": ack, "flags": flags, "win": win,
			       "len": struct.unpack("!H", d[2:4])[0] - ihl - doff, "opts": parse_opts(t[20:doff])}
			with self.cv:
				self.segs.append(seg)
				self.cv.notify_all()

	def expect(self, dport, start, what):
		"""The first segment to dport at or after index start."""
		deadline = time.monotonic() + WAIT
		with self.cv:
			while True:
				for i in range(start, len(self.segs)):
					if self.segs[i]["dport"] == dport:
						return i, self.segs[i]
				left = deadline - time.monotonic()
				if left <= 0:
					sys.exit("no answer to %s within %d s" % (what, WAIT))
				self.cv.wait(left)


def parse_opts(b):
	kinds, ts, sack, i = [], None, [], 0
	while i < len(b):
		k = b[i]
		if k == 0:
			break
		if k == 1:
			kinds.append(1)
			i += 1
			continue
		n = b[i + 1] if i + 1 < len(b) else 0
		if n < 2:
			break
		kinds.append(k)
		if k == 8 and n == 10:
			ts = struct.unpack("!II", b[i + 2:i + 10])
		if k == 5:
			sack = [struct.unpack("!II", b[j:j + 8]) for j in range(i + 2, i + n, 8)]
		i += n
	return {"kinds": kinds, "ts": ts, "sack": sack}


def flags_str(f):
	return "".join(c for c, bit in (("S", SYN), ("F", FIN), ("R", RST), ("P", PSH), (".", ACK)) if f & bit) or "-"


class Flow:
	"""One 4-tuple from the peer's raw socket; prints the target's answers."""

	def __init__(self, peer, name, sport, dport, isn):
		self.p, self.name, self.sport, self.dport, self.isn = peer, name, sport, dport, isn
		self.S = self.T1 = None
		self.mark = len(peer.sniff.segs)
		peer.ours.add(sport)

	def send(self, seq, ack, flags, opts=b"", data=b""):
		ack = (self.S + ack) & 0xFFFFFFFF if flags & ACK else 0
		self.p.raw.sendto(segment(self.p.src, self.p.dst, self.sport, self.dport,
					  (self.isn + seq) & 0xFFFFFFFF, ack, flags, 64240, opts, data),
				  (self.p.dst, 0))

	def answer(self, what, again=0, win=False):
		"""
		The target's next segment on this flow, printed relative to S and I.
		Its own SYN or SYN-ACK again is skipped unless its flags are again: a
		retransmission timer may fire while a loaded machine runs a step;
		an answer with one where none is due shows in the counters. With
		win, its window too: a request's ACK offers its SYN-ACK's window
		(tcp_synack_window), whose size is the stack's own (README).
		"""
		while True:
			self.mark, seg = self.p.sniff.expect(self.sport, self.mark, what)
			self.mark += 1
			if seg["flags"] == again or self.S is None or not seg["flags"] & SYN or seg["seq"] != self.S:
				break
		self.p.answered.add(self.mark - 1)
		if self.S is None and seg["flags"] & SYN:
			self.S = seg["seq"]
			self.T1 = seg["opts"]["ts"][0] if seg["opts"]["ts"] else None
		# A RST answering a segment without an ACK has sequence number 0.
		seq = "0" if seg["seq"] == 0 and seg["flags"] & RST else self.rel(seg["seq"], self.S)
		line = "%s: %s -> %s seq=%s" % (self.name, what, flags_str(seg["flags"]), seq)
		if seg["flags"] & ACK:
			line += " ack=%s" % self.rel(seg["ack"], self.isn, "I")
		if win:
			line += " win=%d" % seg["win"]
		if seg["len"]:
			line += " len=%d" % seg["len"]
		o = seg["opts"]
		if o["kinds"]:
			line += " opts=%s" % ",".join(map(str, o["kinds"]))
		if o["ts"]:
			line += " tsecr=%s" % (self.rel(o["ts"][1], self.p.tsval, "V") if o["ts"][1] else "0")
		for l, r in o["sack"]:
			line += " sack=%s-%s" % (self.rel(l, self.isn, "I"), self.rel(r, self.isn, "I"))
		print(line, flush=True)
		return seg

	@staticmethod
	def rel(v, base, name="S"):
		if base is None:
			return "%d" % v
		d = (v - base) & 0xFFFFFFFF
		return "%s%+d" % (name, d - (1 << 32) if d >= 1 << 31 else d)

	def fence(self, what):
		"""An ACK of nothing we were sent: a RST from any state; the answers before it are in."""
		self.send(1, 100000, ACK, ts_opts(self.p.tsval, 0))
		self.answer(what + ", then an ACK of nothing sent")


class Peer:
	def __init__(self, dst, stats_cmd):
		self.dst, self.stats_cmd, self.tsval = dst, stats_cmd, 5000
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		s.connect((dst, 9))
		self.src = s.getsockname()[0]
		s.close()
		self.raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
		self.sniff = Sniffer(dst)
		self.answered = set()  # the indices of segments a step took as its answer
		self.ours = set()  # the ports of this run's flows

	def fence(self):
		"""
		An ACK to a closed port: once its RST is in, so is everything the
		target sent before it. Returns the RST's index.
		"""
		mark = len(self.sniff.segs)
		self.raw.sendto(segment(self.src, self.dst, FENCE_PORT, FENCE_PORT + 1, 1, 1, ACK, 64240, b""),
				(self.dst, 0))
		return self.sniff.expect(FENCE_PORT, mark, "the fence")[0]

	def unasked(self, start, end):
		"""
		The SYN and other retransmissions among segments [start, end) that no
		step asked for: a timer's (a request or a socket that lives on while
		a loaded machine runs the steps). Every segment from index 0 tells
		what each flow sent before; one to a port not ours is of a flow of
		an earlier run, which can only send again.
		"""
		sent, syn, total = {}, 0, 0
		for i, seg in enumerate(self.sniff.segs[:end]):
			key = (seg["sport"], seg["dport"])
			seen = sent.setdefault(key, {"syn": set(), "end": None})
			old = seg["dport"] not in self.ours and (seg["flags"] & SYN or seg["len"])
			again = old or (seg["flags"] & SYN and seg["seq"] in seen["syn"]) or (
				seg["len"] and seen["end"] is not None and
				(seen["end"] - seg["seq"]) & 0xFFFFFFFF < 1 << 31 and seen["end"] != seg["seq"])
			if seg["flags"] & SYN:
				seen["syn"].add(seg["seq"])
			if seg["len"]:
				e = (seg["seq"] + seg["len"]) & 0xFFFFFFFF
				if seen["end"] is None or (e - seen["end"]) & 0xFFFFFFFF < 1 << 31:
					seen["end"] = e
			if again and i >= start and i not in self.answered:
				syn += bool(seg["flags"] & SYN)
				total += 1
		return syn, total

	def snapshot(self):
		"""
		The counters, and the index of the first segment they do not count:
		taken between two fences with no retransmission between them.
		"""
		while True:
			first = self.fence()
			got = self.counters()
			last = self.fence()
			if self.unasked(first, last) == (0, 0):
				return got, first + 1

	def print_counters(self, before):
		"""
		How much each of COUNTERS grew since before (a snapshot()), less the
		retransmissions no step asked for: what a timer sent depends on how
		fast the machine ran the steps, not on the stack.
		"""
		after, end = self.snapshot()
		syn, total = self.unasked(before[1], end)
		less = {("TcpExt", "TCPSynRetrans"): syn, ("Tcp", "RetransSegs"): total}
		for k in COUNTERS:
			print("%s %s +%d" % (k[0], k[1], after.get(k, 0) - before[0].get(k, 0) - less.get(k, 0)))

	def counters(self):
		out = subprocess.run(self.stats_cmd, capture_output=True, text=True, check=True).stdout
		got, heads = {}, {}
		for line in out.splitlines():
			group, _, rest = line.partition(": ")
			if "=" in rest:  # sockshim stat: Group: Name=value ...
				for kv in rest.split():
					k, _, v = kv.partition("=")
					got[(group, k)] = int(v)
			elif group in heads:  # /proc/net/snmp and netstat: a line of names, one of values
				got.update({(group, k): int(v) for k, v in zip(heads.pop(group), rest.split())})
			else:
				heads[group] = rest.split()
		return got


def set_invalid_ratelimit(ms):
	subprocess.run(["ip", "netns", "exec", os.environ["SYNRECV_NS"], "sysctl", "-qw",
			"net.ipv4.tcp_invalid_ratelimit=%d" % ms], check=True)


def listener(dst, stats_cmd):
	p = Peer(dst, stats_cmd)
	before = p.snapshot()
	V = p.tsval
	flows, live = iter(range(42000, 43000)), []

	def end_flows():
		"""
		A RST at the next sequence number ends a flow's request or child, so
		that no SYN-ACK timer of an earlier flow fires while a later one runs
		(TCPSynRetrans), nor in the next scenario's namespace; the fence
		shows it was taken.
		"""
		while live:
			f = live.pop(0)
			f.send(1, 0, RST)
			f.fence("the end, a RST")

	def opened(name):
		end_flows()
		f = Flow(p, name, next(flows), LPORT, 1000000 * (len(name) + 1))
		f.send(0, 0, SYN, syn_opts(V))
		f.answer("SYN")
		live.append(f)
		return f

	f = opened("retransmitted SYN")
	f.send(0, 0, SYN, syn_opts(V))
	f.answer("the SYN again", again=SYN | ACK)
	f.send(0, 0, SYN, syn_opts(V))  # within tcp_invalid_ratelimit: no answer
	f.fence("the SYN a third time")

	f = opened("out of window")
	f.send(10000000, 1, ACK, ts_opts(V + 1, f.T1))
	f.answer("an ACK far right of the window", win=True)
	f.send(10000000, 1, ACK, ts_opts(V + 1, f.T1))
	f.fence("the same again")

	f = opened("PAWS")
	f.send(1, 1, ACK, ts_opts(V - 1000, f.T1))
	f.answer("an ACK with an old TSval", win=True)

	f = opened("TSecr")
	f.send(1, 1, ACK, ts_opts(V + 1, (f.T1 + 100000) & 0xFFFFFFFF))
	f.answer("an ACK echoing a TSval never sent", win=True)
	f.send(1, 1, ACK, ts_opts(V + 1, (f.T1 - 1) & 0xFFFFFFFF))
	f.fence("one echoing a TSval before the SYN-ACK's")
	f.send(1, 1, ACK, ts_opts(V + 1, 0))  # no echo: not judged, the connection is made
	opened("the next flow").fence("after the ACK without an echo, a new flow")

	f = opened("RST in window")
	f.send(1, 0, RST)
	f.fence("a RST at the next sequence number")
	f.send(1, 1, ACK, ts_opts(V + 1, f.T1))
	f.answer("the ACK of the SYN-ACK")

	f = opened("SYN in window")
	f.send(5, 0, SYN, syn_opts(V + 1))
	f.answer("a new SYN inside the window")
	f.send(1, 1, ACK, ts_opts(V + 1, f.T1))
	f.answer("the ACK of the SYN-ACK")

	f = opened("SYN-ACK at the ISN")
	f.send(0, 1, SYN | ACK, ts_opts(V + 1, f.T1))
	f.answer("a SYN-ACK at the peer's ISN acknowledging ours", win=True)
	f.send(0, 0, SYN, syn_opts(V))
	f.fence("then the SYN again")

	f = opened("SYN-ACK with data")
	f.send(0, 1, SYN | ACK, ts_opts(V + 1, f.T1), b"x")
	f.answer("a SYN-ACK with a byte at the peer's ISN acknowledging ours")
	f.send(0, 0, SYN, syn_opts(V))
	f.fence("then the SYN again")

	f = opened("live limit")
	f.send(0, 0, SYN, syn_opts(V))
	f.answer("the SYN again", again=SYN | ACK)
	set_invalid_ratelimit(0)  # read at the next answer, not when the request began
	f.send(0, 0, SYN, syn_opts(V))
	f.send(1, 100000, ACK, ts_opts(V, 0))  # a fence: its RST comes first if the SYN got nothing
	f.answer("the SYN a third time, tcp_invalid_ratelimit 0", again=SYN | ACK)
	f.answer("then an ACK of nothing sent")
	set_invalid_ratelimit(60000)

	f = opened("RST out of window")
	f.send(10000000, 0, RST)
	f.fence("a RST far right of the window")
	f.send(1, 1, ACK, ts_opts(V + 1, f.T1))
	opened("the last flow").fence("after the ACK of the SYN-ACK, a new flow")

	end_flows()
	p.print_counters(before)


def simopen(dst, ready, stats_cmd):
	"""The client's SYN answered with a SYN: SYN_RECV on a socket of its own."""
	p = Peer(dst, stats_cmd)
	p.ours.add(PPORT)  # the client's SYN comes before our flow
	open(ready, "w").close()
	before = p.snapshot()
	V = p.tsval
	# The client's SYN, seen before any flow of ours exists.
	_, syn = p.sniff.expect(PPORT, 0, "connect()")
	f = Flow(p, "simultaneous open", PPORT, CPORT, 7000000)
	f.mark = p.sniff.segs.index(syn)
	f.answer("connect()")
	cts = syn["opts"]["ts"][0]
	f.send(0, 0, SYN, syn_opts(V))
	f.answer("our SYN", again=SYN | ACK)
	f.send(0, 0, SYN, syn_opts(V))
	f.answer("our SYN again")
	f.send(0, 0, SYN, syn_opts(V))  # the challenge's rate limit: no answer
	f.send(0, 1, SYN | ACK, syn_opts(V + 1, cts))
	f.answer("a SYN-ACK")  # the byte the client sends once connected, unless an ACK first
	p.print_counters(before)


def listen(ready):
	l = socket.socket()
	l.bind(("0.0.0.0", LPORT))
	l.listen(16)
	open(ready, "w").close()
	time.sleep(3600)


def connect(peer):
	c = socket.socket()
	c.bind(("0.0.0.0", CPORT))
	c.settimeout(WAIT)
	try:
		c.connect((peer, PPORT))
		print("connect: ok", flush=True)
		c.send(b"x")
	except OSError as e:
		print("connect: %s" % os.strerror(e.errno) if e.errno else e, flush=True)
	time.sleep(WAIT)


if __name__ == "__main__":
	cmd = sys.argv[1]
	if cmd == "listen":
		listen(sys.argv[2])
	elif cmd == "connect":
		connect(sys.argv[2])
	elif cmd == "listener":
		listener(sys.argv[2], sys.argv[3:])
	else:
		simopen(sys.argv[2], sys.argv[3], sys.argv[4:])
