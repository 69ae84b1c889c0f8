# SPDX-License-Identifier: MIT
# Ephemeral ports and TIME_WAIT takeover (test_tw_reuse.sh runs this
# natively and under the shim and compares): ip_local_reserved_ports are
# skipped by bind(0) and connect(); connect() takes the 4-tuple of a
# connection of ours in TIME_WAIT as tcp_twsk_unique allows: from a bound
# port whenever timestamps were on, from the ephemeral search only with
# tcp_tw_reuse 1 once tcp_tw_reuse_delay has passed. argv: the peer, which
# greets each connection with "hi" and waits for our close.
import errno, socket, sys, time

peer = (sys.argv[1], 7300)
S = socket.SOL_SOCKET


def sysctl(name, value):
	with open("/proc/sys/net/ipv4/" + name, "w") as f:
		f.write(value)


def err(e):
	return errno.errorcode[e.errno]


# Before the first socket: the stack host reads these when it starts.
sysctl("ip_local_port_range", "40000 40009")
sysctl("ip_local_reserved_ports", "40001-40009")
sysctl("tcp_tw_reuse", "1")
sysctl("tcp_tw_reuse_delay", "2000")

for name, t in (("tcp", socket.SOCK_STREAM), ("udp", socket.SOCK_DGRAM)):
	a = socket.socket(socket.AF_INET, t)
	a.bind(("0.0.0.0", 0))
	print(name, "bind(0) takes the one unreserved port:", a.getsockname()[1])
	b = socket.socket(socket.AF_INET, t)
	try:
		b.bind(("0.0.0.0", 0))
		print(name, "a second bind(0):", b.getsockname()[1])
	except OSError as e:
		print(name, "a second bind(0):", err(e))
	a.close()
	b.close()


def talk(s, what):
	"""connect s to the peer, read its greeting, close first: TIME_WAIT here.
	Our FIN first, then the peer's read to the end: the connection is in
	TIME_WAIT (not still in FIN_WAIT2) when the next one starts."""
	try:
		s.connect(peer)
	except OSError as e:
		print(what, "connect:", err(e))
		s.close()
		return None
	print(what, "connected from", s.getsockname()[1], "read", s.recv(10))
	s.shutdown(socket.SHUT_WR)
	while s.recv(10):
		pass
	s.close()
	return time.monotonic()


closed = talk(socket.socket(), "ephemeral")
talk(socket.socket(), "ephemeral again at once (within tcp_tw_reuse_delay)")
time.sleep(max(0.0, closed + 3.0 - time.monotonic()))
talk(socket.socket(), "ephemeral again after tcp_tw_reuse_delay")

for ts in ("1", "0"):
	sysctl("tcp_timestamps", ts)
	port = 7211 + int(ts)
	for what in ("bound", "bound again at once"):
		s = socket.socket()
		s.setsockopt(S, socket.SO_REUSEADDR, 1)
		s.bind(("0.0.0.0", port))
		talk(s, "tcp_timestamps %s, %s" % (ts, what))
sysctl("tcp_timestamps", "1")
