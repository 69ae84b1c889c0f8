#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# test_tcp_metrics.sh's client and its check.
#   tcp_metrics.py sink PORT             (the peer) reads each connection to its end
#   tcp_metrics.py run ADDR PORT MIB     a first connection sends MIB MiB, waits
#       until all is acknowledged, reports its TCP_INFO, shuts down and waits
#       for the peer's FIN (TIME_WAIT: the kernel saves its metrics); a second
#       connection to the same host then reports its TCP_INFO right after
#       connect. One line each: "first ca_state cwnd ssthresh rtt" and
#       "second ssthresh rto rtt".
#   tcp_metrics.py check WHO FILE SAVE [must-cache|bbr]   the second's ssthresh
#       against what tcp_update_metrics kept of the first and
#       tcp_init_metrics makes of it (SAVE: tcp_no_ssthresh_metrics_save is
#       0); must-cache: exit 2 when the first left no ssthresh; bbr: BBR's
#       init starts every connection at the infinite ssthresh.
import fcntl
import socket
import struct
import sys
import termios
import time

INFINITE = 0x7FFFFFFF
TCP_CA_OPEN = 0


def tcp_info(s):
	b = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
	ca_state = b[1]
	rto, unacked = struct.unpack_from("=I", b, 8)[0], struct.unpack_from("=I", b, 24)[0]
	rtt, ssthresh, cwnd = struct.unpack_from("=III", b, 68)[0], *struct.unpack_from("=II", b, 76)
	return {"ca_state": ca_state, "rto": rto, "unacked": unacked, "rtt": rtt,
		"ssthresh": ssthresh, "cwnd": cwnd}


def outq(s):
	return struct.unpack("i", fcntl.ioctl(s.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]


def wait_for(what, cond, limit=30):
	end = time.monotonic() + limit
	while not cond():
		if time.monotonic() > end:
			sys.exit(f"timed out waiting for {what}")
		time.sleep(0.001)


def sink(port):
	ls = socket.socket()
	ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	ls.bind(("0.0.0.0", port))
	ls.listen(8)
	while True:
		c, _ = ls.accept()
		while c.recv(1 << 16):
			pass
		c.close()


def run(addr, port, mib):
	s = socket.create_connection((addr, port), timeout=60)
	chunk = b"m" * (1 << 20)
	for _ in range(mib):
		s.sendall(chunk)
	# SIOCOUTQ: bytes not yet acknowledged, counting those not sent yet; no
	# segment in flight (tcpi_unacked 0) can also be a pause before the rest
	# is sent (under the shim, while the host has not taken it from the pair
	# yet), after which cwnd grows on past what is reported below.
	wait_for("every byte acknowledged", lambda: outq(s) == 0 and tcp_info(s)["unacked"] == 0)
	i = tcp_info(s)
	print("first", i["ca_state"], i["cwnd"], i["ssthresh"], i["rtt"])
	s.shutdown(socket.SHUT_WR)
	if s.recv(1):
		sys.exit("the sink sent data")
	s.close()
	s = socket.create_connection((addr, port), timeout=60)
	i = tcp_info(s)
	print("second", i["ssthresh"], i["rto"], i["rtt"])
	s.close()


def check(who, path, save, bbr):
	f = {}
	for line in open(path):
		w = line.split()
		f[w[0]] = [int(x) for x in w[1:]]
	ca_state, cwnd, ssthresh, rtt1 = f["first"]
	ssthresh2, rto2, rtt2 = f["second"]
	# tcp_update_metrics on an empty entry: only congestion avoidance in the
	# Open state keeps an ssthresh, max(cwnd / 2, ssthresh); the FIN's ACK
	# may still have grown cwnd by one.
	if not save or bbr:
		want = {INFINITE}
	elif ssthresh < INFINITE and cwnd >= ssthresh and ca_state == TCP_CA_OPEN:
		want = {max(cwnd >> 1, ssthresh), max((cwnd + 1) >> 1, ssthresh)}
	else:
		want = {INFINITE}
	if ssthresh2 not in want:
		sys.exit(f"{who}: second connection's ssthresh {ssthresh2}, expected one of {sorted(want)}")
	print(f"{who}: first ca_state {ca_state} cwnd {cwnd} ssthresh {ssthresh} rtt {rtt1}; "
	      f"second ssthresh {ssthresh2} rto {rto2} rtt {rtt2}: as tcp_metrics")
	return want != {INFINITE}


if __name__ == "__main__":
	cmd = sys.argv[1]
	if cmd == "sink":
		sink(int(sys.argv[2]))
	elif cmd == "run":
		run(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
	elif cmd == "check":
		mode = sys.argv[5] if len(sys.argv) > 5 else ""
		cached = check(sys.argv[2], sys.argv[3], sys.argv[4] == "1", mode == "bbr")
		if mode == "must-cache" and not cached:
			# Not a difference: the path (a timeout under load) left nothing to cache.
			print(f"{sys.argv[2]}: the first connection did not end in congestion avoidance")
			sys.exit(2)
	else:
		sys.exit("usage: tcp_metrics.py sink|run|check ...")
