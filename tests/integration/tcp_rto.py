# SPDX-License-Identifier: MIT
# Retry limits and RTO options on the wire (test_tcp_rto.sh). Three roles:
#   tcp_rto.py client ADDR [NAME...]
#                                the scenarios (default all but those run
#                                alone) at once, one thread each; prints
#                                "NAME errno" per scenario in order and
#                                "time NAME seconds" lines
#   tcp_rto.py opts              the timer options' answers to edge values,
#                                and what a new socket reads of the sysctls
#   tcp_rto.py listen READY      a listener with TCP_SYNCNT 1 on the SYN-ACK
#                                port; after 5 s, what accept() finds
#   tcp_rto.py connect ADDR...   (peer) a connect to each listener, held 5 s
#   tcp_rto.py sniff OUT         (peer) every TCP frame to or from the
#                                test's ports, "time src sport dport flags
#                                len dst window" per line
#   tcp_rto.py compare SNIFF NATIVE_SRC SHIM_SRC NATIVE_OUT SHIM_OUT
#                                the same number of transmissions per
#                                scenario from both sources, the gaps and
#                                the time to the error within tolerances
import errno, socket, struct, sys, threading, time

TCP_SYNCNT, TCP_CONGESTION, TCP_USER_TIMEOUT, TCP_THIN_LINEAR_TIMEOUTS = 7, 13, 18, 16
TCP_RTO_MAX_MS, TCP_RTO_MIN_US, TCP_DELACK_MAX_US = 44, 45, 46
TCP_LINGER2, TCP_DEFER_ACCEPT, TCP_TX_DELAY = 8, 9, 37
# The SYN-ACK port: the peer drops every segment it sends there but SYNs.
SYNACK_PORT = 7170
# The zero-window port: the peer accepts and never reads.
ZWP_PORT = 7171
# name: (port, options); SYN ports (715x) see every SYN dropped, data
# ports (716x) every segment with payload.
SCENARIOS = {
	"syncnt1": (7151, {TCP_SYNCNT: 1}),
	"syncnt3": (7152, {TCP_SYNCNT: 3}),
	"syn_sysctl": (7153, {}),
	"syn_user_timeout": (7154, {TCP_USER_TIMEOUT: 2500}),
	"retries2_rto_min": (7161, {TCP_RTO_MIN_US: 50000}),
	"user_timeout": (7162, {TCP_USER_TIMEOUT: 1000}),
	# Thin needs an ssthresh (past initial slow start): BBR, the default
	# here, keeps it infinite, CUBIC sets it at the first RTO.
	"thin_linear": (7163, {TCP_THIN_LINEAR_TIMEOUTS: 1, TCP_CONGESTION: b"cubic"}),
	"rto_max": (7164, {TCP_RTO_MAX_MS: 1000, TCP_USER_TIMEOUT: 4000}),
	# The peer's window closes; its answers to the probes do not stop the
	# clock. 2.2 s lies well between two probes (at about 1.3 and 3.0 s
	# after the first), which the RTO under load moves a little.
	"zero_window": (ZWP_PORT, {TCP_USER_TIMEOUT: 2200}),
	# Run alone, after tcp_thin_linear_timeouts=1: thin without the option.
	"thin_sysctl": (7165, {TCP_CONGESTION: b"cubic"}),
}
ALONE = {"thin_sysctl"}


def run(name, addr, out):
	port, opts = SCENARIOS[name]
	s = socket.socket()
	for o, v in opts.items():
		s.setsockopt(socket.SOL_TCP, o, v)
	t0 = time.monotonic()
	try:
		s.connect((addr, port))
		t0 = time.monotonic()
		if port == ZWP_PORT:
			s.sendall(b"z" * (16 << 20))
		s.send(b"x" * 200)
		s.settimeout(120)
		s.recv(1)
		r = "no error"
	except OSError as e:
		r = errno.errorcode.get(e.errno, str(e.errno))
	elapsed = time.monotonic() - t0
	# TCP_INFO after the error: tcpi_total_rto and _recoveries (exact), _time (loose).
	info = s.getsockopt(socket.SOL_TCP, 11, 280)
	rtos, episodes, rto_ms = struct.unpack("HHI", info[240:248]) if len(info) >= 248 else (-1, -1, 0)
	out[name] = ("%s, %d RTOs in %d episodes" % (r, rtos, episodes), elapsed, rto_ms)
	s.close()


def client(addr, names):
	out = {}
	names = names or [n for n in SCENARIOS if n not in ALONE]
	ts = [threading.Thread(target=run, args=(n, addr, out)) for n in names]
	for t in ts:
		t.start()
	for t in ts:
		t.join()
	for n in names:
		print(n, out[n][0])
	for n in names:
		print("time", n, "%.3f" % out[n][1], out[n][2])


def opts():
	edges = {
		TCP_RTO_MAX_MS: (0, 999, 1000, 1001, 120000, 120001, -1),
		TCP_RTO_MIN_US: (0, 4000, 7999, 8001, 100000, 200000, 200001, -1),
		TCP_DELACK_MAX_US: (0, 4000, 7999, 8001, 200000, 200001, -1),
		TCP_TX_DELAY: (-1, 0, 1, 100000001),
		TCP_USER_TIMEOUT: (-1, 0, 1, 0x7fffffff),
		TCP_SYNCNT: (-1, 0, 1, 127, 128),
		TCP_LINGER2: (-5, -1, 0, 1, 120, 121, 100000),
		TCP_DEFER_ACCEPT: (-1, 0, 1, 2, 4, 100, 1000000),
		TCP_THIN_LINEAR_TIMEOUTS: (-1, 0, 1, 2),
	}
	for o in edges:
		s = socket.socket()
		print("fresh", o, int.from_bytes(s.getsockopt(socket.SOL_TCP, o, 4), "little", signed=True))
		s.close()
		for v in edges[o]:
			s = socket.socket()
			try:
				s.setsockopt(socket.SOL_TCP, o, v)
				r = "ok, then %d" % int.from_bytes(s.getsockopt(socket.SOL_TCP, o, 4), "little",
								 signed=True)
			except OSError as e:
				r = errno.errorcode.get(e.errno, str(e.errno))
			print(o, v, r)
			s.close()


def listen(ready):
	l = socket.socket()
	l.setsockopt(socket.SOL_TCP, TCP_SYNCNT, 1)
	l.bind(("0.0.0.0", SYNACK_PORT))
	l.listen(8)
	t0 = time.monotonic()
	open(ready, "w").close()
	time.sleep(5)
	l.setblocking(False)
	try:
		l.accept()
		r = "a connection"
	except OSError as e:
		r = errno.errorcode.get(e.errno, str(e.errno))
	print("synack", r)
	print("time synack %.3f" % (time.monotonic() - t0))


def connect(addrs):
	ss = [socket.create_connection((a, SYNACK_PORT), timeout=10) for a in addrs]
	time.sleep(5)
	for s in ss:
		s.close()


def sniff(path):
	# ETH_P_ALL: a socket bound to one protocol sees only the frames the
	# peer receives, and the window's closing is in one the peer sends.
	s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0003))
	# The counts must be exact: room for every frame while the sniffer
	# waits for a core (SO_RCVBUFFORCE; the default 208 KiB is a few
	# hundred frames, ip_options_peer.py lost some so).
	s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)
	ports = {p for p, _ in SCENARIOS.values()} | {SYNACK_PORT}
	with open(path, "w", buffering=1) as f:
		while True:
			d, a = s.recvfrom(65536)
			if a[1] != 0x0800 or len(d) < 40 or d[9] != 6:
				continue
			ihl = (d[0] & 15) * 4
			sport, dport = struct.unpack("!HH", d[ihl:ihl + 4])
			if dport not in ports and sport not in ports:
				continue
			plen = struct.unpack("!H", d[2:4])[0] - ihl - (d[ihl + 12] >> 4) * 4
			win = struct.unpack("!H", d[ihl + 14:ihl + 16])[0]
			f.write("%.6f %s %d %d %d %d %s %d\n" % (time.monotonic(), socket.inet_ntoa(d[12:16]), sport,
								 dport, d[ihl + 13], plen,
								 socket.inet_ntoa(d[16:20]), win))


def transmissions(lines, src, port):
	"""Times of the SYNs (SYN ports), the data segments (data ports), the SYN-ACKs (from the SYN-ACK port) or
	the window's closing and the probes after it (the zero-window port)."""
	t = []
	for l in lines:
		ts, s, sp, p, flags, plen, dst, win = l.split()
		if port == ZWP_PORT and not t and int(sp) == port and dst == src and int(win) == 0:
			# The probe timer starts when the window closes. How long the
			# window takes to fill is the sender's throughput (its slow start
			# at the RTT it sees under load), not the timer this compares.
			t.append(float(ts))
			continue
		if s != src:
			continue
		if port == SYNACK_PORT:
			if int(sp) == port and int(flags) & 0x12 == 0x12:
				t.append(float(ts))
		elif port == ZWP_PORT:
			# The window probes: bare ACKs after the window closed.
			if t and int(p) == port and int(flags) == 0x10 and int(plen) == 0:
				t.append(float(ts))
		elif int(p) == port and ((port < 7160 and int(flags) & 2) or (port >= 7160 and int(plen) > 0)):
			t.append(float(ts))
	return t


def compare(sniffed, nsrc, ssrc, nout, sout):
	lines = open(sniffed).read().split("\n")[:-1]
	names = [l.split()[0] for l in open(nout) if not l.startswith("time ")]
	SCENARIOS["synack"] = (SYNACK_PORT, {})
	times, rto_ms = {}, {}
	for path, who in ((nout, "native"), (sout, "shim")):
		for l in open(path):
			w = l.split()
			if w[0] == "time":
				times[who, w[1]] = float(w[2])
				rto_ms[who, w[1]] = int(w[3]) if len(w) > 3 else 0
	bad = 0
	for name in names:
		port = SCENARIOS[name][0]
		k, m = transmissions(lines, nsrc, port), transmissions(lines, ssrc, port)
		kg = ["%.2f" % (b - a) for a, b in zip(k, k[1:])]
		mg = ["%.2f" % (b - a) for a, b in zip(m, m[1:])]
		print("%s: kernel %d sent, gaps %s, error after %.2f s; shim %d, gaps %s, error after %.2f s" %
		      (name, len(k), " ".join(kg), times["native", name], len(m), " ".join(mg), times["shim", name]))
		if len(k) != len(m):
			print("  DIFFERENT: the number of transmissions")
			bad += 1
			continue
		# Loose: a timer fires late under load, never early; the RTO may
		# differ by its jiffies (a few ms). A gap within 30% + 150 ms.
		for a, b in zip(kg, mg):
			if abs(float(a) - float(b)) > 0.3 * float(a) + 0.15:
				print("  DIFFERENT: gap %s against the kernel's %s" % (b, a))
				bad += 1
		kt, mt = times["native", name], times["shim", name]
		if abs(kt - mt) > 0.3 * kt + 0.3:
			print("  DIFFERENT: the error came after %.2f s, the kernel's after %.2f s" % (mt, kt))
			bad += 1
		kr, mr = rto_ms["native", name], rto_ms["shim", name]
		if abs(kr - mr) > 0.3 * kr + 300:
			print("  DIFFERENT: tcpi_total_rto_time %d ms, the kernel's %d" % (mr, kr))
			bad += 1
	sys.exit(1 if bad else 0)


if __name__ == "__main__":
	if sys.argv[1] == "client":
		client(sys.argv[2], sys.argv[3:])
	elif sys.argv[1] == "opts":
		opts()
	elif sys.argv[1] == "listen":
		listen(sys.argv[2])
	elif sys.argv[1] == "connect":
		connect(sys.argv[2:])
	elif sys.argv[1] == "sniff":
		sniff(sys.argv[2])
	else:
		compare(*sys.argv[2:7])
