# SPDX-License-Identifier: MIT
# TCP sysctls, changed by this process in its own namespace while it runs
# (under the shim: while its stack host runs), are read where the kernel
# reads them: tcp_fin_timeout when TCP_LINGER2 reads it (as close() does),
# tcp_congestion_control when a socket is made (a socket made
# before the change keeps its algorithm; A and B are the first two of the
# namespace's allowed list), tcp_syn_retries by
# getsockopt(TCP_SYNCNT) and by the SYN's retransmission timer (the test
# counts the SYNs on the wire). argv: the kernel peer, whose ports 7301
# and 7302 drop SYNs.
import errno
import socket
import sys

peer = sys.argv[1]
SYSCTL = "/proc/sys/net/ipv4/"


def put(name, value):
	with open(SYSCTL + name, "w") as f:
		f.write(value + "\n")


def cc(s):
	return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0").decode()


old = {n: open(SYSCTL + n).read().strip() for n in ("tcp_congestion_control", "tcp_syn_retries", "tcp_fin_timeout")}
try:
	# Two algorithms this namespace may set (the allowed list; the stack has reno, cubic and bbr).
	a, b = open(SYSCTL + "tcp_allowed_congestion_control").read().split()[:2]
	put("tcp_congestion_control", a)
	before = socket.socket()
	put("tcp_congestion_control", b)
	after = socket.socket()
	print("made with A, then B set:", cc(before) == a, cc(after) == b)
	put("tcp_congestion_control", a)
	print("the same two after A set again:", cc(before) == a, cc(after) == b, "a new one:", cc(socket.socket()) == a)
	# tcp_fin_timeout is read when it is used (tcp_fin_time, TCP_LINGER2), not at socket().
	put("tcp_fin_timeout", "7")
	made = socket.socket()
	put("tcp_fin_timeout", "13")
	print("tcp_fin_timeout 7 at socket(), 13 now: TCP_LINGER2", made.getsockopt(socket.IPPROTO_TCP, socket.TCP_LINGER2))
	made.close()
	for n, port in ((1, 7301), (2, 7302)):
		put("tcp_syn_retries", str(n))
		s = socket.socket()
		print("tcp_syn_retries", n, "TCP_SYNCNT:", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT))
		try:
			s.connect((peer, port))
			r = "connected"
		except OSError as e:
			r = errno.errorcode[e.errno]
		print("tcp_syn_retries", n, "connect to a port that drops SYNs:", r)
		s.close()
finally:
	for n, v in old.items():
		put(n, v)
