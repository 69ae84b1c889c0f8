# SPDX-License-Identifier: MIT
# TCP segments for a peer's raw socket (socket(AF_INET, SOCK_RAW,
# IPPROTO_TCP): the kernel adds the IP header), with their checksum over
# the pseudo header; used by the scripted peers of synq_young.py and
# zero_window_inflight.py.
import socket, struct


def csum(data):
	if len(data) % 2:
		data += b"\0"
	s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
	while s >> 16:
		s = (s & 0xFFFF) + (s >> 16)
	return ~s & 0xFFFF


def segment(src, dst, sport, dport, seq, ack, flags, win, opts=b"", data=b""):
	hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (5 + len(opts) // 4) << 4, flags, win, 0, 0)
	body = opts + data
	pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(hdr) + len(body))
	c = csum(pseudo + hdr + body)
	return hdr[:16] + struct.pack("!H", c) + hdr[18:] + body
