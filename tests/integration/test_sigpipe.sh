#!/bin/bash
# SPDX-License-Identifier: MIT
# SIGPIPE exactly where the kernel's TCP raises it (sk_stream_error: only for
# an EPIPE that stays, never for the connection's error, never with
# MSG_NOSIGNAL), through write, writev, send and sendmsg:
# - a fork child holds a connected socket that the parent disconnects
#   (connect(AF_UNSPEC)) and connects again: the child's first write goes
#   to the new connection, with no signal (under the shim it meets the old
#   pair's end on the fast path first and follows the socket to its new
#   one), as does a child that saw the first connect refused;
# - after the peer's reset: the first write fails with ECONNRESET and no
#   signal, the next with EPIPE and SIGPIPE, or none with MSG_NOSIGNAL;
# - after shutdown(SHUT_WR): EPIPE and SIGPIPE, none with MSG_NOSIGNAL.
# Natively and under the shim in the same run, with a handler counting the
# signals (Python ignores SIGPIPE by default).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin sigpipe
testbed_native_up || tb_fail "cannot build the native namespace"

# The peer: 8085 echoes, 8087 resets each connection it accepts; nothing on 8082.
testbed_peer_tcp_servers 8087=reset || tb_fail "the peer does not listen on 8087"
testbed_tcp_sink 8085 echo || tb_fail "the peer's echo does not listen on 8085"

cp "$(dirname "$0")/probe.py" "$TB_WORK/" || tb_fail "no probe.py"
cat >"$TB_WORK/client.py" <<'PY'
import functools, os, select, signal, socket, sys, time
from probe import disconnect, name, outcome, wait_for
print = functools.partial(print, flush=True)
signal.alarm(60)
addr = sys.argv[1]
pipes = []
signal.signal(signal.SIGPIPE, lambda *a: pipes.append(1))

def taken(what, f):
    """What f() gave and how many SIGPIPEs came with it."""
    del pipes[:]
    r = outcome(f)
    return "%s %s sigpipe %d" % (what, r, len(pipes))

CALLS = {
    "write": lambda s: os.write(s.fileno(), b"ab"),
    "writev": lambda s: os.writev(s.fileno(), [b"a", b"b"]),
    "send": lambda s: s.send(b"ab"),
    "sendmsg": lambda s: s.sendmsg([b"a", b"b"]),
}

def read_echo(s, n):
    got, end = b"", time.monotonic() + 20
    while len(got) < n and time.monotonic() < end:
        if select.select([s], [], [], 1)[0]:
            b = s.recv(100)
            if not b:
                break
            got += b
    return got

def connected_first(call, s):
    print(call, "first connect", name(s.connect_ex((addr, 8085))))

def refused_first(call, s):
    print(call, "refused", name(s.connect_ex((addr, 8082))))

# A fork child that never saw the connection end writes after the parent
# connected the socket again.
for (call, f), first in [(c, p) for p in (connected_first, refused_first) for c in CALLS.items()]:
    s = socket.socket()
    first(call, s)
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(go_w)
        os.read(go_r, 1)
        print(taken(call + " follow", lambda: f(s)))
        print(call, "follow echo", read_echo(s, 2))
        os._exit(0)
    os.close(go_r)
    if first is connected_first:
        print(call, "disconnect", disconnect(s.fileno()))
    print(call, "connect", name(s.connect_ex((addr, 8085))))
    os.write(go_w, b"x")
    os.waitpid(pid, 0)
    os.close(go_w)
    s.close()

# The peer resets: the first write says so, the next is the socket's EPIPE.
for call, f in CALLS.items():
    s = socket.socket()
    s.connect((addr, 8087))
    wait_for(s, select.POLLHUP)
    print(taken(call + " reset", lambda: f(s)))
    print(taken(call + " after", lambda: f(s)))
    print(taken(call + " nosignal", lambda: s.send(b"ab", socket.MSG_NOSIGNAL)))
    s.close()

# The program's own shutdown(SHUT_WR).
for call, f in CALLS.items():
    s = socket.socket()
    s.connect((addr, 8085))
    s.shutdown(socket.SHUT_WR)
    print(taken(call + " shut", lambda: f(s)))
    print(taken(call + " shut nosignal", lambda: s.sendmsg([b"ab"], [], socket.MSG_NOSIGNAL)))
    s.close()
PY

testbed_native_vs_shim "$TB_WORK/client.py"
sed 's/^/  native: /' "$TB_WORK/native"
grep -q "^write after EPIPE sigpipe 1$" "$TB_WORK/native" ||
	tb_fail "the kernel raised no SIGPIPE after the reset: the test proves nothing"
tb_say "ok: $(wc -l <"$TB_WORK/native") answers as Linux's"
testbed_test_end
