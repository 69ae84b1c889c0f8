#!/bin/bash
# SPDX-License-Identifier: MIT
# A stream read at the end of the data (0 bytes) after the peer's FIN: the
# interposer answers it without asking the host when its pair shows only
# the FIN (shim_eof_error), and asks whenever the pair hung up (a reset) or
# the socket may have been shut for reading (its own shutdown(SHUT_RD), a
# fork sharing it). Each sequence runs natively and under the shim against
# the same kernel peer, and the outputs must be the same: reads after the
# FIN, SO_ERROR, poll, a write into the half-closed connection; a reset
# after data; SHUT_RD with data queued; a forked child reading the EOF.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin stream_eof
testbed_native_up || tb_fail "cannot build the native namespace"

# The peer: 8091 sends "hello" and closes (FIN), 8092 sends "hello" and
# resets, 8093 sends "hello" and holds the connection until the client's FIN.
cat >"$TB_WORK/peer.py" <<'PY'
import socket, struct, threading
def serve(port, what):
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("0.0.0.0", port))
    l.listen(64)
    while True:
        c, _ = l.accept()
        c.sendall(b"hello")
        if what == "reset":
            c.recv(1)  # the client's go: its read of "hello" is done
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif what == "hold":
            threading.Thread(target=lambda c=c: (c.recv(100), c.close()), daemon=True).start()
            continue
        c.close()
for port, what in ((8091, "fin"), (8092, "reset"), (8093, "hold")):
    threading.Thread(target=serve, args=(port, what), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
PY
testbed_peer "$TB_PY" "$TB_WORK/peer.py" >"$TB_WORK/peer.log" 2>&1 &
for port in 8091 8092 8093; do
	testbed_wait_listen "$TB_NS_PEER" tcp "$port" 10 || tb_fail "the peer does not listen on $port"
done

cat >"$TB_WORK/client.py" <<'PY'
import errno, functools, os, select, socket, sys, time
print = functools.partial(print, flush=True)
addr = sys.argv[1]
BITS = select.POLLIN | select.POLLOUT | select.POLLRDHUP | select.POLLHUP | select.POLLERR

def name(r):
    return errno.errorcode.get(r, str(r)) if r else "0"

def read(s, flags=0):
    try:
        return repr(s.recv(100, flags))
    except OSError as e:
        return errno.errorcode[e.errno]

def so_error(s):
    return name(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))

def wait_for(s, bit):
    p = select.poll()
    p.register(s, BITS)
    end = time.monotonic() + 20
    while time.monotonic() < end:
        ev = p.poll(1000)
        if ev and ev[0][1] & bit:
            return ev[0][1] & BITS
    raise SystemExit("no poll bit %#x" % bit)

def until_eof(s, what):
    while True:
        r = read(s)
        print(what, "read", r)
        if r == "b''" or not r.startswith("b"):
            return

s = socket.create_connection((addr, 8091))
until_eof(s, "fin")
print("fin read again", read(s), read(s, socket.MSG_DONTWAIT), read(s, socket.MSG_PEEK))
print("fin SO_ERROR", so_error(s))
print("fin poll", wait_for(s, select.POLLIN))
s.close()

s = socket.create_connection((addr, 8093))
print("hold read", read(s))
s.shutdown(socket.SHUT_WR)
until_eof(s, "hold")
print("hold poll", wait_for(s, select.POLLHUP))
print("hold SO_ERROR", so_error(s))
s.close()

s = socket.create_connection((addr, 8092))
print("reset read", read(s))
s.send(b"g")
wait_for(s, select.POLLHUP)
until_eof(s, "reset")
print("reset SO_ERROR", so_error(s), "read", read(s))
s.close()

s = socket.create_connection((addr, 8091))
wait_for(s, select.POLLIN)
s.shutdown(socket.SHUT_RD)
until_eof(s, "shut_rd")
print("shut_rd SO_ERROR", so_error(s))
s.close()

s = socket.create_connection((addr, 8091))
pid = os.fork()
if pid == 0:
    until_eof(s, "fork child")
    os._exit(0)
os.waitpid(pid, 0)
print("fork parent read", read(s), "SO_ERROR", so_error(s))
s.close()
PY

ip netns exec "$TB_NS_NAT" "$TB_PY" "$TB_WORK/client.py" "$TB_NAT_PEER_ADDR" >"$TB_WORK/native.log" 2>&1 ||
	tb_fail "the native run failed: $(cat "$TB_WORK/native.log")"
SOCKSHIM_TRACE=2 SOCKSHIM_TRACE_FILE="$TB_WORK/trace" \
	testbed_shim "$TB_PY" "$TB_WORK/client.py" "$TB_PEER_ADDR" >"$TB_WORK/shim.log" 2>&1 ||
	tb_fail "the run under the shim failed: $(cat "$TB_WORK/shim.log")"
sed 's/^/  native: /' "$TB_WORK/native.log"
grep -q "^fin read b''$" "$TB_WORK/native.log" && grep -q "^reset read ECONNRESET$" "$TB_WORK/native.log" ||
	tb_fail "the kernel did not show the FIN and the reset: the test proves nothing"
diff -u "$TB_WORK/native.log" "$TB_WORK/shim.log" >"$TB_WORK/diff" ||
	tb_fail "the shim differs from Linux: $(cat "$TB_WORK/diff")"
# The first connection's three EOF reads were answered in the program: the
# host was asked for no error before the second connection (whose pair hangs
# up after both FINs: that one asks).
first=$(grep -n "GETERR" "$TB_WORK/trace" | head -n 1 | cut -d: -f1)
second=$(grep -n "CONNECT id 2 " "$TB_WORK/trace" | head -n 1 | cut -d: -f1)
[ -n "$second" ] || tb_fail "no CONNECT of the second socket in the host's trace"
[ -n "$first" ] && [ "$first" -gt "$second" ] ||
	tb_fail "a read at EOF after a FIN asked the host (GETERR at trace line ${first:-none}, second CONNECT at $second)"
tb_say "ok: $(wc -l <"$TB_WORK/native.log") answers as Linux's, EOF after a FIN without a round trip"
testbed_test_end
