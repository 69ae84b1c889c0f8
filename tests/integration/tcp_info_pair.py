# SPDX-License-Identifier: MIT
# The send queue's unsent bytes as TCP_INFO, SO_MEMINFO and SIOCOUTQ* tell
# them (test_tcp_info_pair.sh). tcp_info_pair.py ADDR runs the scenarios
# against tcp_chrono.py's peer at ADDR (port 7181 never reads, 7182 reads
# everything), one verdict a line (the same for the kernel and the shim
# when they agree), the figures behind them on stderr.
#
# A non-blocking writer fills its buffer to EAGAIN, then reads, in this
# order, SO_MEMINFO's SK_MEMINFO_WMEM_QUEUED, SIOCOUTQ, SIOCOUTQNSD,
# TCP_INFO and SIOCOUTQNSD again. No byte is written meanwhile, so the
# unsent count only falls: the first SIOCOUTQNSD is at least
# tcpi_notsent_bytes, which is at least the second (the kernel's
# write_seq - snd_nxt, three times), and the queue charged is at least its
# bytes (truesize over payload).
import fcntl, socket, struct, sys, time

SIOCOUTQ, SIOCOUTQNSD = 0x5411, 0x894B
RWND_PORT, SINK_PORT = 7181, 7182  # tcp_chrono.py listen
SO_MEMINFO, SK_MEMINFO_WMEM_QUEUED = 55, 5


def ioctl_int(s, req):
	return struct.unpack("i", fcntl.ioctl(s.fileno(), req, b"\0" * 4))[0]


def info(s):
	"""tcpi_unacked, tcpi_notsent_bytes, tcpi_snd_wnd."""
	b = s.getsockopt(socket.SOL_TCP, socket.TCP_INFO, 232)
	return struct.unpack_from("=I", b, 24)[0], struct.unpack_from("=I", b, 144)[0], struct.unpack_from("=I", b, 228)[0]


def wmem_queued(s):
	b = s.getsockopt(socket.SOL_SOCKET, SO_MEMINFO, 9 * 4)
	return struct.unpack_from("=I", b, SK_MEMINFO_WMEM_QUEUED * 4)[0]


def fill(s):
	chunk = b"p" * 65536
	n = 0
	while True:
		try:
			n += s.send(chunk)
		except BlockingIOError:
			return n


def wait_for(what, cond, limit=10):
	deadline = time.monotonic() + limit
	while not cond():
		if time.monotonic() > deadline:
			raise SystemExit("no %s within %d s" % (what, limit))
		time.sleep(0.005)


def sample(s, name):
	"""The verdicts on one look at the queue; the figures to stderr."""
	mem = wmem_queued(s)
	outq = ioctl_int(s, SIOCOUTQ)
	nsd1 = ioctl_int(s, SIOCOUTQNSD)
	unacked, notsent, wnd = info(s)
	nsd2 = ioctl_int(s, SIOCOUTQNSD)
	print("%s: wmem_queued %d outq %d nsd %d notsent %d nsd %d unacked %d snd_wnd %d sndbuf %d" %
	      (name, mem, outq, nsd1, notsent, nsd2, unacked, wnd, s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)),
	      file=sys.stderr)
	return [
		"%s notsent between the SIOCOUTQNSDs %s" % (name, nsd1 >= notsent >= nsd2),
		"%s notsent > 0 %s" % (name, notsent > 0),
		"%s wmem_queued >= SIOCOUTQ %s" % (name, mem >= outq),
	], outq, nsd1, notsent


def zero_window(addr):
	s = socket.create_connection((addr, RWND_PORT))
	s.setblocking(False)
	fill(s)
	# The window shuts once the peer's buffer is full, everything sent ACKed.
	wait_for("shut window", lambda: info(s)[0] == 0 and info(s)[2] == 0)
	# Until the buffer takes nothing more: the kernel's at once; under the
	# shim the pair may refuse while the stack's queue has room, which
	# SIOCOUTQ fills from the pair (so that the pair holds bytes at the end).
	while fill(s):
		ioctl_int(s, SIOCOUTQ)
	verdicts, outq, nsd, notsent = sample(s, "zero window")
	verdicts.append("zero window: all unsent %s" % (outq == nsd == notsent))
	s.close()
	return verdicts


def slow_link(addr, rounds):
	s = socket.create_connection((addr, SINK_PORT))
	s.setblocking(False)
	verdicts = []
	for r in range(rounds):
		fill(s)
		v, outq, _, _ = sample(s, "slow link")
		verdicts += v
		# The link moves half of it before the next round.
		wait_for("progress", lambda: ioctl_int(s, SIOCOUTQ) <= outq // 2)
	wait_for("all acknowledged", lambda: ioctl_int(s, SIOCOUTQ) == 0)
	verdicts.append("slow link: nothing unsent at the end %s" % (info(s)[1] == 0 and ioctl_int(s, SIOCOUTQNSD) == 0))
	s.close()
	# Each round's verdicts once, in order: the same for every round when all hold.
	return list(dict.fromkeys(verdicts))


if __name__ == "__main__":
	for line in zero_window(sys.argv[1]) + slow_link(sys.argv[1], 6):
		print(line)
