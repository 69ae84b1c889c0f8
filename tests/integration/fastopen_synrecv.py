# SPDX-License-Identifier: MIT
# A Fast Open listener's children before their handshake's ACK, and the
# listener's readiness, step by step (test_tcp_fastopen_synrecv.sh):
#   fastopen_synrecv.py listen              the target: a TCP_FASTOPEN 1
#                                           listener on LPORT watched by an
#                                           edge- and a level-triggered epoll;
#                                           it runs the commands read on stdin
#   fastopen_synrecv.py peer ADDR STATS... -- CMD...
#                                           the peer: starts the target's
#                                           listener with CMD... and plays the
#                                           scenario against ADDR; STATS...
#                                           prints the target's counters
#   fastopen_synrecv.py relisten ADDR STATS... -- CMD...
#                                           the same peer, playing a listener
#                                           that shutdown() stops and listen()
#                                           starts again
# The peer sends from a raw socket (synrecv.py's Peer and Flow: every answer
# printed relative to the flow's sequence numbers) and asks the listener
# what it sees after each step, so the kernel's run and the shim's compare
# line for line. An event that must come is waited for with a deadline; one
# that must not is looked for once the step that could raise it is known to
# be done (the child's TCP_INFO, or the target's answer to a later segment).
import os, select, socket, struct, subprocess, sys, time

from synrecv import ACK, PSH, RST, SYN, WAIT, Flow, Peer

LPORT = 7620
STATES = {1: "ESTABLISHED", 3: "SYN_RECV", 7: "CLOSE"}
COUNTERS = ("TCPFastOpenPassive", "TCPFastOpenListenOverflow")
TCPI_OPT_SYN_DATA = 32


def listen():
	l = socket.socket()
	l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	l.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 1)
	l.bind(("0.0.0.0", LPORT))
	l.listen(8)
	l.setblocking(False)
	et, lt = select.epoll(), select.epoll()
	et.register(l.fileno(), select.EPOLLIN | select.EPOLLET)
	lt.register(l.fileno(), select.EPOLLIN)
	kids = {}

	def info(c):
		i = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
		return STATES.get(i[0], str(i[0])), 1 if i[5] & TCPI_OPT_SYN_DATA else 0

	def say(s):
		print(s, flush=True)

	say("ready")
	for line in sys.stdin:
		cmd, *arg = line.split()
		if cmd == "wait":  # an edge must come: the first within the deadline, then any more at once
			n = len(et.poll(WAIT))
			n += len(et.poll(0)) if n else 0
			say("et events %d" % n)
		elif cmd == "count":  # what is pending now: edges not yet taken, the level
			say("et events %d, lt %s" % (len(et.poll(0)), "IN" if lt.poll(0) else "-"))
		elif cmd == "accept":
			c, _ = l.accept()
			kids[arg[0]] = c
			say("accept %s: state %s syn_data %d" % ((arg[0],) + info(c)))
		elif cmd == "read":  # the bytes the child holds, waited for with the deadline
			c, want, got = kids[arg[0]], int(arg[1]), b""
			c.settimeout(WAIT)
			while len(got) < want:
				d = c.recv(want - len(got))
				if not d:
					break
				got += d
			say("read %s: %r" % (arg[0], got))
		elif cmd == "stop":  # the listener stops, the socket stays (inet_shutdown's disconnect)
			l.shutdown(socket.SHUT_RD)
			say("stopped")
		elif cmd == "relisten":
			l.listen(8)
			say("listening")
		elif cmd in ("established", "closed"):  # the child's state once its ACK or RST is taken
			c, deadline = kids[arg[0]], time.monotonic() + WAIT
			while info(c)[0] != cmd.upper() and time.monotonic() < deadline:
				select.select([], [], [], 0.01)
			say("state %s: %s" % (arg[0], info(c)[0]))


def start(dst, stats_cmd, cmd):
	"""The target's listener, a question for it, the peer, a Fast Open SYN."""
	target = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

	def ask(what):
		target.stdin.write(what + "\n")
		target.stdin.flush()
		line = target.stdout.readline()
		if not line:
			sys.exit("the listener ended at '%s'" % what)
		print("listener %s -> %s" % (what, line.strip()), flush=True)

	if target.stdout.readline().strip() != "ready":
		sys.exit("the listener did not start")
	p = Peer(dst, stats_cmd)
	mss = struct.pack("!BBH", 2, 4, 1460)
	flows = []

	def fast_open(name, port, data):
		f = Flow(p, name, port, LPORT, 1000000 * (len(flows) + 1))
		flows.append(f)
		f.send(0, 0, SYN, mss, data)
		f.answer("SYN with %d bytes" % len(data))
		return f

	return target, ask, p, fast_open


def finish(target, p, before, resets):
	after = p.counters()
	for k in COUNTERS:
		print("TcpExt %s +%d" % (k, after.get(("TcpExt", k), 0) - before.get(("TcpExt", k), 0)))
	for f, seq in resets:
		f.send(seq, 0, RST)
	target.stdin.close()
	if target.wait(WAIT):
		sys.exit("the listener failed")


def peer(dst, stats_cmd, cmd):
	target, ask, p, fast_open = start(dst, stats_cmd, cmd)
	before = p.counters()
	# A: accepted before its ACK, in SYN_RECV, with the SYN's data to read.
	a = fast_open("A", 42100, b"hello")
	ask("wait")
	ask("accept A")
	ask("read A 5")
	ask("count")
	# B: the queue (1) holds A until A's ACK, accepted or not: B's data is ignored.
	b = fast_open("B", 42101, b"world")
	ask("count")
	a.send(6, 1, ACK)
	ask("established A")
	ask("count")
	# C: the queue is free again; C waits in the accept queue over its ACK.
	c = fast_open("C", 42102, b"third")
	ask("wait")
	c.send(6, 1, ACK)
	c.send(6, 1, ACK | PSH, b"!")
	c.answer("a byte after the ACK")
	ask("count")
	ask("accept C")
	ask("read C 6")
	# B's ACK makes a plain child: one edge.
	b.send(1, 1, ACK)
	ask("wait")
	ask("accept B")
	ask("count")
	# D: accepted in SYN_RECV, then reset by the peer: the kernel holds its
	# place in the queue for a minute (rskq_rst), so E's data is ignored.
	d = fast_open("D", 42103, b"fourth")
	ask("wait")
	ask("accept D")
	d.send(7, 0, RST)
	ask("closed D")
	e = fast_open("E", 42104, b"fifth")
	ask("count")
	finish(target, p, before, ((a, 6), (b, 1), (c, 7), (e, 1)))


def relisten(dst, stats_cmd, cmd):
	"""
	A child accepted before its ACK stays its listener's through shutdown()
	and listen() (the request sock's rsk_listener): the new listen() starts
	the Fast Open count at 0 (reqsk_queue_alloc), and the old child's ACK
	still takes one off it, so the new count has room for one more.
	"""
	target, ask, p, fast_open = start(dst, stats_cmd, cmd)
	before = p.counters()
	a = fast_open("A", 42110, b"hello")
	ask("wait")
	ask("accept A")
	ask("stop")
	ask("relisten")
	# The count starts over: B is Fast Open though A still waits for its ACK.
	b = fast_open("B", 42111, b"world")
	ask("wait")
	# A's ACK takes its place off the new count: C is Fast Open too, B not yet acked.
	a.send(6, 1, ACK)
	ask("established A")
	c = fast_open("C", 42112, b"third")
	ask("wait")
	# Now B and C fill it: D's data is ignored.
	d = fast_open("D", 42113, b"fourth")
	ask("count")
	finish(target, p, before, ((a, 6), (b, 6), (c, 6), (d, 1)))


if __name__ == "__main__":
	if sys.argv[1] == "listen":
		listen()
	else:
		args = sys.argv[3:]
		play = relisten if sys.argv[1] == "relisten" else peer
		play(sys.argv[2], args[:args.index("--")], args[args.index("--") + 1:])
