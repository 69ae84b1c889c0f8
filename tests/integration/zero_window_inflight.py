# SPDX-License-Identifier: MIT
# A peer that closes its window on data in flight (test_tcp_zero_window_inflight.sh):
#   zero_window_inflight.py peer LOG   (peer) a scripted TCP on ports 7410
#                               and 7411 over raw sockets: SYN-ACK with a
#                               1000-byte window, then to data an ACK of
#                               nothing with a zero window; on 7410 to every
#                               transmission, on 7411 to the first only.
#                               "time src dport len seq" per data segment in LOG
#   zero_window_inflight.py client ADDR  both scenarios at once: 1000 bytes
#                               in flight when the window closes; prints the
#                               errno after 8 s (7410) or what the first
#                               read gives (7411, TCP_RTO_MAX_MS 1000), and
#                               TCP_INFO's RTO count
import errno, select, socket, struct, sys, threading, time

from raw_tcp import segment

ANSWERED, SILENT = 7410, 7411
TCP_RTO_MAX_MS = 44


def peer(log):
	sniff = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
	raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
	isn, answered, rcv_nxt = 5000, set(), {}
	with open(log, "w", buffering=1) as f:
		while True:
			d = sniff.recv(65536)
			if len(d) < 40 or d[9] != 6:
				continue
			ihl = (d[0] & 15) * 4
			th = d[ihl:]
			sport, dport, seq = struct.unpack("!HHI", th[:8])
			if dport not in (ANSWERED, SILENT):
				continue
			src, dst = socket.inet_ntoa(d[12:16]), socket.inet_ntoa(d[16:20])
			flags, plen = th[13], struct.unpack("!H", d[2:4])[0] - ihl - (th[12] >> 4) * 4
			key = (src, sport)
			if flags & 0x02:
				rcv_nxt[key] = seq + 1
				mss = struct.pack("!BBH", 2, 4, 1460)
				raw.sendto(segment(dst, src, dport, sport, isn, seq + 1, 0x12, 1000, mss), (src, 0))
			elif plen > 0:
				f.write("%.6f %s %d %d %d\n" % (time.monotonic(), src, dport, plen, seq))
				if key in rcv_nxt and (dport == ANSWERED or key not in answered):
					answered.add(key)
					# Only the SYN acknowledged, whatever segment this is.
					raw.sendto(segment(dst, src, dport, sport, isn + 1, rcv_nxt[key], 0x10, 0),
						   (src, 0))


def run(name, addr, port, opts, out):
	s = socket.socket()
	for o, v in opts.items():
		s.setsockopt(socket.SOL_TCP, o, v)
	s.connect((addr, port))
	s.send(b"z" * 1000)
	t0 = time.monotonic()
	if port == ANSWERED:
		select.select([], [], [s], 8)
		err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
		r = errno.errorcode[err] if err else "no error after 8 s"
	else:
		s.settimeout(20)
		try:
			r = "read %d bytes" % len(s.recv(1))
		except OSError as e:
			r = errno.errorcode.get(e.errno, str(e.errno))
	info = s.getsockopt(socket.SOL_TCP, 11, 280)
	rtos = struct.unpack("H", info[240:242])[0] if len(info) >= 248 else -1
	out[name] = "%s: %s, %d RTOs counted" % (name, r, rtos)
	out["time " + name] = "time %s %.3f" % (name, time.monotonic() - t0)
	s.close()


def client(addr):
	out = {}
	ts = [threading.Thread(target=run, args=("answered", addr, ANSWERED, {}, out)),
	      threading.Thread(target=run, args=("silent", addr, SILENT, {TCP_RTO_MAX_MS: 1000}, out))]
	for t in ts:
		t.start()
	for t in ts:
		t.join()
	for k in ("answered", "silent", "time answered", "time silent"):
		print(out.get(k, "%s: no result" % k))


if __name__ == "__main__":
	if sys.argv[1] == "peer":
		peer(sys.argv[2])
	else:
		client(sys.argv[2])
