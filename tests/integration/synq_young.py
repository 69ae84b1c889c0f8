# SPDX-License-Identifier: MIT
# A listener's SYN queue full of old requests (test_tcp_synq_young.sh):
#   synq_young.py listen PORT READY   a listener with backlog 16 that never
#                                     accepts; READY is created once it listens
#   synq_young.py flood SECONDS ADDR...  (peer) 12 SYNs from raw sockets to
#                                     each ADDR's PORT (from ports 41000 on),
#                                     never answered; prints, per ADDR, how
#                                     many SYN-ACKs each request got within
#                                     SECONDS of its SYN, sorted
import socket, struct, sys, time

from raw_tcp import segment

PORT, N, SPORT = 7400, 12, 41000


def listen(ready):
	l = socket.socket()
	l.bind(("0.0.0.0", PORT))
	l.listen(16)
	open(ready, "w").close()
	time.sleep(3600)


def syn(src, dst, sport):
	# mss 1460, sackOK, TS, nop, wscale 7: as a kernel's SYN.
	opts = struct.pack("!BBHBBBBIIBBBB", 2, 4, 1460, 4, 2, 8, 10, 1, 0, 1, 3, 3, 7)
	return segment(src, dst, sport, PORT, 1000, 0, 0x02, 64240, opts)


def source_for(dst):
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.connect((dst, 9))
	a = s.getsockname()[0]
	s.close()
	return a


def flood(seconds, addrs):
	sniff = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
	sniff.settimeout(0.2)
	raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
	t0 = time.monotonic()
	for a in addrs:
		src = source_for(a)
		for i in range(N):
			raw.sendto(syn(src, a, SPORT + i), (a, 0))
	count = {(a, SPORT + i): 0 for a in addrs for i in range(N)}
	while time.monotonic() - t0 < seconds:
		try:
			d = sniff.recv(65536)
		except socket.timeout:
			continue
		if len(d) < 40 or d[9] != 6:
			continue
		ihl = (d[0] & 15) * 4
		sport, dport = struct.unpack("!HH", d[ihl:ihl + 4])
		key = (socket.inet_ntoa(d[12:16]), dport)
		if sport == PORT and d[ihl + 13] & 0x12 == 0x12 and key in count:
			count[key] += 1
	for n, a in enumerate(addrs):
		print("listener %d: SYN-ACKs per request" % n, sorted(count[(a, SPORT + i)] for i in range(N)))


if __name__ == "__main__":
	if sys.argv[1] == "listen":
		listen(sys.argv[3])
	else:
		flood(float(sys.argv[2]), sys.argv[3:])
