#!/bin/bash
# SPDX-License-Identifier: MIT
# The send buffer grows only for a writer that found it full (the kernel's
# tcp_check_space asks tcp_new_space only with SOCK_NOSPACE): a client
# writes 30,000 bytes at a time, each write taken whole by the buffer it
# had at establishment, and waits until the peer (a kernel sink) has
# acknowledged them all, eight times; the congestion window grows to well
# past what that buffer was sized for, and SO_SNDBUF stays where it was,
# on the kernel of the shim namespace and under the shim alike. Before the
# stack followed SOCK_NOSPACE its buffer grew with the window here
# (69,120 at establishment, 138,240 after the first round).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin sndbuf_nospace

cat >"$TB_WORK/sink.py" <<'PY'
import socket, sys, threading
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", int(sys.argv[1])))
l.listen(16)
def drain(c):
    while c.recv(1 << 16):
        pass
while True:
    threading.Thread(target=drain, args=(l.accept()[0],), daemon=True).start()
PY
cat >"$TB_WORK/writer.py" <<'PY'
import fcntl, socket, struct, sys, termios, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
start = s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
def outq():
    return struct.unpack("i", fcntl.ioctl(s.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]
def snd_cwnd():
    return struct.unpack_from("I", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104), 80)[0]
for r in range(8):
    s.sendall(b"x" * 30000)
    deadline = time.monotonic() + 10
    # Every byte written acknowledged (SIOCOUTQ 0): the shim's TCP_INFO does
    # not count what still waits in the pair, so no unacked segments there
    # may mean bytes not yet in the stack.
    while (left := outq()) != 0:
        if time.monotonic() > deadline:
            sys.exit(f"round {r}: {left} bytes still unacknowledged after 10 s")
        time.sleep(0.001)
    cwnd = snd_cwnd()
    now = s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
    if now != start:
        print(f"round {r}: SO_SNDBUF {now}, {start} at establishment (cwnd {cwnd})")
        sys.exit(0)
print(f"SO_SNDBUF {start} throughout, cwnd {'above' if cwnd > 40 else 'at most'} 40")
PY
testbed_peer "$TB_PY" "$TB_WORK/sink.py" 7302 >"$TB_WORK/sink.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 7302 10 || tb_fail "the peer did not start"
testbed_kernel_then_shim "$TB_PY" "$TB_WORK/writer.py" "$TB_PEER_ADDR" 7302
tb_say "native: $(cat "$TB_WORK/native")"
tb_say "shim:   $(cat "$TB_WORK/shim")"
grep -q "throughout, cwnd above 40" "$TB_WORK/native" ||
	tb_fail "the kernel's run proves nothing: $(cat "$TB_WORK/native")"
testbed_same_lines
testbed_test_end
