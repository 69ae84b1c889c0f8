# SPDX-License-Identifier: MIT
# Every socket option number of SOL_SOCKET, SOL_IP, SOL_TCP and SOL_UDP
# on a fresh UDP, TCP and raw ICMP socket: getsockopt's answer (length and
# bytes, or errno), then setsockopt with an int 0 on another fresh socket
# and what getsockopt reads after it (test_sockopt_table.sh runs this
# natively and under the shim and compares). Values that differ per socket
# or per moment (cookies, the timestamp clock) are printed as their length
# and whether they are non-zero; their own checks follow.
import errno, socket, struct, sys

SOCKETS = (("udp", socket.SOCK_DGRAM, 0), ("tcp", socket.SOCK_STREAM, 0),
	   ("raw", socket.SOCK_RAW, socket.IPPROTO_ICMP))
LEVELS = ((socket.SOL_SOCKET, "SOL_SOCKET", range(0, 90)), (socket.SOL_IP, "SOL_IP", range(0, 80)),
	  (socket.SOL_TCP, "SOL_TCP", range(0, 50)), (socket.SOL_UDP, "SOL_UDP", range(0, 120)))
PER_SOCKET = {(socket.SOL_SOCKET, 57), (socket.SOL_TCP, 24)}  # SO_COOKIE, TCP_TIMESTAMP


def get(s, level, opt):
	try:
		v = s.getsockopt(level, opt, 256)
	except OSError as e:
		return errno.errorcode.get(e.errno, str(e.errno))
	if (level, opt) in PER_SOCKET:
		return "len%d %s" % (len(v), "nonzero" if any(v) else "zero")
	return "len%d %s" % (len(v), v[:40].hex())


for name, typ, proto in SOCKETS:
	for level, lname, opts in LEVELS:
		for opt in opts:
			s = socket.socket(socket.AF_INET, typ, proto)
			print(name, lname, opt, "get", get(s, level, opt))
			s.close()
			s = socket.socket(socket.AF_INET, typ, proto)
			try:
				s.setsockopt(level, opt, b"\0" * 4)
				r = "ok, then " + get(s, level, opt)
			except OSError as e:
				r = errno.errorcode.get(e.errno, str(e.errno))
			print(name, lname, opt, "set 0", r)
			s.close()

a, b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM), socket.socket()
ca = a.getsockopt(socket.SOL_SOCKET, 57, 8)
print("SO_COOKIE: stable", ca == a.getsockopt(socket.SOL_SOCKET, 57, 8),
      "unique", ca != b.getsockopt(socket.SOL_SOCKET, 57, 8))
try:
	a.getsockopt(socket.SOL_SOCKET, 57, 4)
except OSError as e:
	print("SO_COOKIE in 4 bytes:", errno.errorcode[e.errno])
# The namespace's cookie is the same for every socket of the namespace, the stack's or not.
netns = a.getsockopt(socket.SOL_SOCKET, 71, 8)
u = socket.socket(socket.AF_UNIX)
print("SO_NETNS_COOKIE: as an AF_UNIX socket's", netns == u.getsockopt(socket.SOL_SOCKET, 71, 8))
