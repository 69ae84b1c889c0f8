#!/bin/bash
# SPDX-License-Identifier: MIT
# SO_MAX_PACING_RATE as the kernel's: the values setsockopt takes (an int,
# where -1 is no cap, or 8 bytes) and getsockopt gives back (8 bytes when
# there is room, else an int capped at ~0U), EINVAL below an int, the cap
# in TCP_INFO's tcpi_max_pacing_rate, and tcpi_pacing_rate kept at or
# below it during a transfer, for the namespace's default congestion
# control and for reno (which paces only because the cap asks it to).
# The same program runs natively (the kernel's TCP) and under the shim
# against the same kernel peer; the outputs must be equal.
#
# Topology: the shim namespace (stack 10.99.0.10) and a native namespace
# (kernel 10.98.0.10, testbed_native_up) both reach one kernel peer.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin max_pacing_rate

testbed_native_up || tb_fail "cannot build the native namespace"

cat >"$TB_WORK/client.py" <<'EOF'
import errno, socket, struct, sys

SO_MAX_PACING_RATE = 47
S = socket.SOL_SOCKET

def res(f):
	try:
		return f()
	except OSError as e:
		return errno.errorcode[e.errno]

def get(s):
	return "int %s, 8 bytes %d" % (res(lambda: s.getsockopt(S, SO_MAX_PACING_RATE)),
				       struct.unpack("Q", s.getsockopt(S, SO_MAX_PACING_RATE, 8))[0])

def info(s):
	return struct.unpack("QQ", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 120)[104:120])

s = socket.socket()
print("default:", get(s))
print("set int 1000000:", res(lambda: s.setsockopt(S, SO_MAX_PACING_RATE, 1000000)), get(s))
print("set 8 bytes 2^33:", res(lambda: s.setsockopt(S, SO_MAX_PACING_RATE, struct.pack("Q", 1 << 33))), get(s))
print("set int -1:", res(lambda: s.setsockopt(S, SO_MAX_PACING_RATE, -1)), get(s))
print("set 2 bytes:", res(lambda: s.setsockopt(S, SO_MAX_PACING_RATE, b"\1\0")), get(s))
print("UDP set int 5000:", res(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).setsockopt(S, SO_MAX_PACING_RATE, 5000)))

# 1 MB at a cap of 4 MB/s: the pacing rate never exceeds the cap.
for cc in (None, b"reno"):
	cap = 4000000
	s = socket.socket()
	if cc:
		s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc)
	s.setsockopt(S, SO_MAX_PACING_RATE, cap)
	s.connect((sys.argv[1], 7150))
	over, data = 0, b"x" * 16384
	for _ in range(64):
		s.sendall(data)
		rate, maxrate = info(s)
		over += rate > cap
	print(cc or b"default", "tcpi_max_pacing_rate", maxrate, "samples over the cap", over)
	s.close()
EOF
testbed_peer "$TB_PY" -c 'import socket, threading
def sink(c):
	while c.recv(65536):
		pass
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 7150)); l.listen(8)
while True:
	c, _ = l.accept()
	threading.Thread(target=sink, args=(c,), daemon=True).start()' >"$TB_WORK/peer.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 7150 10 || tb_fail "the peer did not start"

testbed_native_vs_shim "$TB_WORK/client.py"
grep -q "^set int 1000000: None int 1000000, 8 bytes 1000000$" "$TB_WORK/native" ||
	tb_fail "the kernel's SO_MAX_PACING_RATE is not as expected: $(cat "$TB_WORK/native")"
tb_say "ok: $(tr '\n' '|' <"$TB_WORK/native")"
testbed_test_end
