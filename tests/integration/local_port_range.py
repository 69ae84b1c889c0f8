# SPDX-License-Identifier: MIT
# IP_LOCAL_PORT_RANGE (kernel 6.3+) and IP_BIND_ADDRESS_NO_PORT
# (test_local_port_range.sh runs this natively and under the shim and
# compares): the option's values and errors, the range it gives bind(0)
# (TCP, UDP) and connect() inside the namespace's ip_local_port_range, and
# a port-less bind that connect() completes. argv: the peer (port 7300).
import errno, socket, struct, sys
peer = (sys.argv[1], 7300)
IP = socket.IPPROTO_IP
IP_LOCAL_PORT_RANGE, IP_BIND_ADDRESS_NO_PORT = 51, 24


def err(e):
	return errno.errorcode[e.errno]


def setr(s, v, fmt="I"):
	try:
		s.setsockopt(IP, IP_LOCAL_PORT_RANGE, struct.pack(fmt, v))
		return "ok"
	except OSError as e:
		return err(e)


# Before the first socket: the stack host reads it when it starts.
with open("/proc/sys/net/ipv4/ip_local_port_range", "w") as f:
	f.write("40000 40999")
for t, name in ((socket.SOCK_STREAM, "tcp"), (socket.SOCK_DGRAM, "udp")):
	s = socket.socket(socket.AF_INET, t)
	print(name, "get fresh", s.getsockopt(IP, IP_LOCAL_PORT_RANGE))
	for lo, hi in ((40100, 40100), (0, 0), (40200, 40100), (0, 40050), (40990, 0), (30000, 40003), (40995, 50000), (50000, 60000)):
		print(name, "set", lo, hi, setr(s, lo | hi << 16), "get", hex(s.getsockopt(IP, IP_LOCAL_PORT_RANGE)))
	print(name, "set short", setr(s, 5, "H"), "set long", setr(s, 5, "Q"), "set 1 byte", setr(s, 5, "B"))
	print(name, "get short", s.getsockopt(IP, IP_LOCAL_PORT_RANGE, 2).hex(), "get 1 byte", s.getsockopt(IP, IP_LOCAL_PORT_RANGE, 1).hex())
	s.close()
	ports = []
	for lo, hi in ((40100, 40101), (30000, 40001), (40998, 50000)):
		got = []
		for i in range(3):
			s = socket.socket(socket.AF_INET, t)
			setr(s, lo | hi << 16)
			try:
				s.bind(("0.0.0.0", 0)); got.append(s.getsockname()[1])
			except OSError as e: got.append(err(e))
			ports.append(s)
		print(name, "bind(0) with range", lo, hi, sorted(got, key=str))
	for s in ports: s.close()
# connect with a range
conns = []
got = []
for i in range(3):
	s = socket.socket(); setr(s, 40500 | 40501 << 16)
	try:
		s.connect(peer); got.append(s.getsockname()[1])
	except OSError as e: got.append(err(e))
	conns.append(s)
print("connect with range 40500-40501", sorted(p for p in got if isinstance(p, int)), [p for p in got if not isinstance(p, int)])
for s in conns: s.close()
# IP_BIND_ADDRESS_NO_PORT
s = socket.socket(); s.setsockopt(IP, IP_BIND_ADDRESS_NO_PORT, 1)
s.bind(("0.0.0.0", 0)); print("no_port bind any:", s.getsockname())
s.close()
s = socket.socket(); s.setsockopt(IP, IP_BIND_ADDRESS_NO_PORT, 1)
setr(s, 40700 | 40700 << 16)
s.connect(peer); print("no_port + range connect port", s.getsockname()[1]); s.close()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.setsockopt(IP, IP_BIND_ADDRESS_NO_PORT, 1)
s.bind(("0.0.0.0", 0)); print("udp no_port bind:", s.getsockname()[1] != 0); s.close()
