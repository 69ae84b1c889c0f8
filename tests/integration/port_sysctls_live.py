# SPDX-License-Identifier: MIT
# The port sysctls, changed by this process in its own namespace while it
# runs (under the shim: while its stack host runs), reach the next bind()
# or connect(): ip_local_port_range, ip_local_reserved_ports, tcp_tw_reuse
# and tcp_tw_reuse_delay. argv: the kernel peer (greet_peer.py on 7300).
import errno
import socket
import sys
import time

peer = (sys.argv[1], 7300)
SYSCTL = "/proc/sys/net/ipv4/"


def put(name, value):
	with open(SYSCTL + name, "w") as f:
		f.write(value + "\n")


def bind0(kind):
	s = socket.socket(socket.AF_INET, kind)
	try:
		s.bind(("0.0.0.0", 0))
		return s, s.getsockname()[1]
	except OSError as e:
		return s, errno.errorcode[e.errno]


def connect():
	s = socket.socket()
	try:
		s.connect(peer)
		s.recv(2)
		return s, s.getsockname()[1]
	except OSError as e:
		s.close()
		return None, errno.errorcode[e.errno]


old = {n: open(SYSCTL + n).read().strip() for n in
       ("ip_local_port_range", "ip_local_reserved_ports", "tcp_tw_reuse", "tcp_tw_reuse_delay")}
try:
	# A range of ten ports: bind(0) and connect() take one of them.
	put("ip_local_port_range", "40000 40009")
	s, p = bind0(socket.SOCK_STREAM)
	print("tcp bind(0) in 40000-40009:", isinstance(p, int) and 40000 <= p <= 40009)
	s.close()
	s, p = bind0(socket.SOCK_DGRAM)
	print("udp bind(0) in 40000-40009:", isinstance(p, int) and 40000 <= p <= 40009)
	s.close()
	c, p = connect()
	print("connect in 40000-40009:", isinstance(p, int) and 40000 <= p <= 40009)
	c.close()
	# All but 40009 reserved: that one is left.
	put("ip_local_reserved_ports", "40000-40008")
	for kind, name in ((socket.SOCK_STREAM, "tcp"), (socket.SOCK_DGRAM, "udp")):
		s, p = bind0(kind)
		print(name, "bind(0) with 40000-40008 reserved:", p)
		s.close()
	# The one port's connection closed by us sits in TIME_WAIT: without
	# tcp_tw_reuse a new connect() to the same peer finds no port.
	put("tcp_tw_reuse", "0")
	c, p = connect()
	print("first connect:", p)
	c.close()
	print("connect with tcp_tw_reuse 0:", connect()[1])
	# With tcp_tw_reuse 1 after tcp_tw_reuse_delay (1 ms) the 4-tuple is taken over.
	put("tcp_tw_reuse_delay", "1")
	put("tcp_tw_reuse", "1")
	deadline = time.time() + 20
	while True:
		c, p = connect()
		if c or time.time() > deadline:
			break
		time.sleep(0.01)
	print("connect with tcp_tw_reuse 1:", p)
	if c:
		c.close()
	# Reserving none again: the range's other ports are back.
	put("ip_local_reserved_ports", "")
	put("ip_local_port_range", "40100 40100")
	s, p = bind0(socket.SOCK_STREAM)
	print("tcp bind(0) in 40100-40100:", p)
	s.close()
finally:
	for n, v in old.items():
		put(n, v.replace("\t", " "))
