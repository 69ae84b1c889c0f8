# SPDX-License-Identifier: MIT
# IP_TOS and SO_PRIORITY together (test_tos_priority.sh runs this natively
# and under the shim and compares): a new TOS sets the priority to its
# traffic class (rt_tos2priority), the same TOS again leaves it alone, and
# TCP keeps its ECN bits out of IP_TOS.
import socket, struct, sys

S, IP = socket.SOL_SOCKET, socket.IPPROTO_IP
TYPES = [("tcp", socket.SOCK_STREAM), ("udp", socket.SOCK_DGRAM)]


def show(what, s):
	print(what, "tos", hex(s.getsockopt(IP, socket.IP_TOS)), "priority",
	      s.getsockopt(S, socket.SO_PRIORITY))


for name, t in TYPES:
	for tos in (0x00, 0x02, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c, 0x1e, 0x2b, 0xb8, 0xff):
		s = socket.socket(socket.AF_INET, t)
		s.setsockopt(IP, socket.IP_TOS, tos)
		show("%s fresh, IP_TOS %#x:" % (name, tos), s)
		s.close()
	s = socket.socket(socket.AF_INET, t)
	s.setsockopt(S, socket.SO_PRIORITY, 3)
	show(name + " SO_PRIORITY 3:", s)
	s.setsockopt(IP, socket.IP_TOS, 0x10)
	show(name + " then IP_TOS 0x10:", s)
	s.setsockopt(S, socket.SO_PRIORITY, 1)
	show(name + " then SO_PRIORITY 1:", s)
	s.setsockopt(IP, socket.IP_TOS, 0x10)
	show(name + " then IP_TOS 0x10 again:", s)
	s.setsockopt(IP, socket.IP_TOS, 0x11)
	show(name + " then IP_TOS 0x11 (ECN bit):", s)
	s.setsockopt(IP, socket.IP_TOS, struct.pack("B", 0x08))
	show(name + " then IP_TOS 0x08 as one byte:", s)
	s.setsockopt(IP, socket.IP_TOS, 0)
	show(name + " then IP_TOS 0:", s)
	s.close()
