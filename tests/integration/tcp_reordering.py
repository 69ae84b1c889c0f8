# SPDX-License-Identifier: MIT
# Reordering seen by a sender (test_tcp_reordering.sh, test_tcp_reno_reordering.sh). Roles:
#   tcp_reordering.py sink ADDR        (peer) port 7191 reads every
#                                      connection to its end
#   tcp_reordering.py send ADDR MIB    sends MIB MiB, waits until all is
#                                      acknowledged, prints TCP_INFO's
#                                      "reordering R reord_seen N
#                                      dsack_dups D total_retrans T"
#   tcp_reordering.py check NAME FILE  those figures within the ranges below
#   tcp_reordering.py check-reno NAME FILE [KERNEL_FILE]  for a peer
#                                      without SACK: reorderings seen, no
#                                      D-SACK; with KERNEL_FILE, resends
#                                      within ten times the kernel's
import fcntl, socket, struct, sys, threading, time

PORT = 7191
SIOCOUTQ = 0x5411
MAX_REORDERING = 300  # net.ipv4.tcp_max_reordering's default


def sink(addr):
	ls = socket.socket()
	ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	ls.bind((addr, PORT))
	ls.listen(4)

	def drain(c):
		while c.recv(1 << 20):
			pass
		c.close()

	while True:
		c, _ = ls.accept()
		threading.Thread(target=drain, args=(c,), daemon=True).start()


def send(addr, mib):
	s = socket.create_connection((addr, PORT))
	chunk = b"r" * 65536
	for _ in range(mib * 16):
		s.sendall(chunk)
	deadline = time.monotonic() + 60
	while struct.unpack("i", fcntl.ioctl(s.fileno(), SIOCOUTQ, b"\0" * 4))[0]:
		if time.monotonic() > deadline:
			raise SystemExit("data still unacknowledged after 60 s")
		time.sleep(0.01)
	b = s.getsockopt(socket.SOL_TCP, socket.TCP_INFO, 232)
	reordering = struct.unpack_from("=I", b, 88)[0]
	total_retrans = struct.unpack_from("=I", b, 100)[0]
	dsack_dups, reord_seen = struct.unpack_from("=II", b, 216)
	print("reordering %d reord_seen %d dsack_dups %d total_retrans %d" %
	      (reordering, reord_seen, dsack_dups, total_retrans))
	s.close()


def figures(path):
	w = open(path).read().split()
	return dict(zip(w[0::2], map(int, w[1::2])))


def check(name, path, reno=False, kernel_path=None):
	f = figures(path)
	bad = []
	# The path reorders by more than the 3 segments a connection starts
	# with: the distance was measured, not left at tcp_reordering. Not
	# without SACK: there tp->reordering follows the flight at the last
	# surplus duplicate ACK (tcp_check_reno_reordering), down to 1 at a
	# transfer's tail, the kernel's as the shim's.
	if not reno and not 3 < f["reordering"] <= MAX_REORDERING:
		bad.append("reordering %d not in 4..%d" % (f["reordering"], MAX_REORDERING))
	if f["reord_seen"] < 1:
		bad.append("no reordering seen")
	# Duplicates come only from resends (the bridge duplicates nothing):
	# every D-SACKed segment was sent twice.
	if f["dsack_dups"] > f["total_retrans"]:
		bad.append("%d D-SACKed segments for %d resent" % (f["dsack_dups"], f["total_retrans"]))
	if reno and f["dsack_dups"]:
		bad.append("%d D-SACKed segments from a peer without SACK" % f["dsack_dups"])
	# Without SACK a spurious fast retransmit is found by the echo
	# (Eifel), undone, and the reordering it measured keeps the next ones
	# from being resent (in 40 runs: the kernel 12 to 73 resends, the
	# shim 1 to 11); without the undo the shim resent 824 for the
	# kernel's 17.
	if reno and kernel_path:
		k = figures(kernel_path)["total_retrans"]
		if f["total_retrans"] > 10 * max(k, 10):
			bad.append("%d resent, the kernel %d" % (f["total_retrans"], k))
	if bad:
		raise SystemExit("%s: %s" % (name, "; ".join(bad)))


if __name__ == "__main__":
	if sys.argv[1] == "sink":
		sink(sys.argv[2])
	elif sys.argv[1] == "send":
		send(sys.argv[2], int(sys.argv[3]))
	else:
		check(sys.argv[2], sys.argv[3], sys.argv[1] == "check-reno",
		      sys.argv[4] if len(sys.argv) > 4 else None)
