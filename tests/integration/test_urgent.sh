#!/bin/bash
# SPDX-License-Identifier: MIT
# TCP urgent data, differential: tests/progs/urg_semantics runs the same
# sequences natively (the kernel's TCP) and under the shim against the same
# kernel peer, and every line (recv(MSG_OOB), SIOCATMARK, SO_OOBINLINE,
# POLLPRI, SIGURG, what the peer read of our MSG_OOB) must agree. The peer
# also checks the wire: the urgent pointer of the shim's segments must name
# the byte the kernel's would.
#
# Topology: the shim namespace (stack 10.99.0.10) and a native namespace
# (kernel 10.98.0.10, testbed_native_up) both reach one kernel peer.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin urgent

prog=$SOCKSHIM_BUILD_DIR/tests/urg_semantics
[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"

testbed_native_up || tb_fail "cannot build the native namespace"

# The kernel-side helper (see the header of urg_semantics.c).
cat >"$TB_WORK/peer.py" <<'EOF'
import fcntl, select, socket, struct, threading, time

SIOCATMARK = 0x8905

def atmark(c):
	return struct.unpack("i", fcntl.ioctl(c, SIOCATMARK, b"\0" * 4))[0]

def corked(c, parts):
	c.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
	for data, flags in parts:
		c.send(data, flags)
	c.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)

def hold(c):
	try:
		while c.recv(65536):
			pass
	except OSError:
		pass

def reader(c, inline):
	if inline:
		c.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
	seen, marked = b"", False
	while True:
		select.select([c], [], [c], 10)
		if atmark(c) and not marked:
			if inline:
				seen += b"|"
			else:
				try:
					seen += b"[" + c.recv(1, socket.MSG_OOB) + b"]"
				except BlockingIOError:
					time.sleep(0.005)  # the pointer came before its byte
					continue
			marked = True
			continue
		d = c.recv(100)
		if not d:
			break
		seen += d
		marked = False
	c.sendall(seen)
	c.close()

def readline(c):
	# Byte by byte: what follows the line is the scenario's own data.
	line = b""
	while not line.endswith(b"\n"):
		b = c.recv(1)
		if not b:
			break
		line += b
	return line.strip()

def serve(c):
	line = readline(c)
	if line == b"send CORKED":
		corked(c, [(b"abcX", socket.MSG_OOB), (b"def", 0)])
		hold(c)
	elif line == b"send LAST":
		c.send(b"abcX", socket.MSG_OOB)
		hold(c)
	elif line == b"twice":
		c.send(b"aX", socket.MSG_OOB)
		readline(c)
		corked(c, [(b"bY", socket.MSG_OOB), (b"c", 0)])
		hold(c)
	elif line.startswith(b"read "):
		reader(c, line == b"read INLINE")
	elif line == b"reset":
		c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
		c.close()
	else:
		hold(c)

l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 7110))
l.listen(16)
print("ready", flush=True)
while True:
	c, _ = l.accept()
	threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
testbed_peer "$TB_PY" "$TB_WORK/peer.py" >"$TB_WORK/peer.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 7110 10 || tb_fail "the kernel-side helper did not start"

tb_say "native: urg_semantics from $TB_NAT_ADDR to $TB_NAT_PEER_ADDR"
ip netns exec "$TB_NS_NAT" "$prog" "$TB_NAT_PEER_ADDR" >"$TB_WORK/native" 2>"$TB_WORK/native.log" ||
	tb_fail "urg_semantics failed natively (status $?)"
tb_say "shim: urg_semantics from $TB_SHIM_ADDR to $TB_PEER_ADDR"
testbed_shim "$prog" "$TB_PEER_ADDR" >"$TB_WORK/shim" 2>"$TB_WORK/shim.log" ||
	tb_fail "urg_semantics failed under the shim (status $?)"

[ -s "$TB_WORK/native" ] || tb_fail "the native run printed nothing"
# The kernel's own answers must be the ones this test is about.
grep -qx 'recv_plain: recv(OOB) = 1 .X. OOB' "$TB_WORK/native" ||
	tb_fail "the native run did not read the urgent byte (kernel without urgent data?)"
grep -qx 'send_plain: peer saw = abcd\[X\]ef' "$TB_WORK/native" ||
	tb_fail "the kernel peer did not see the native urgent byte"
if ! diff -u "$TB_WORK/native" "$TB_WORK/shim"; then
	tb_fail "urgent data under the shim differs from the kernel's (- native, + shim)"
fi
tb_say "ok: $(wc -l <"$TB_WORK/native") lines as the kernel's"
testbed_test_end
