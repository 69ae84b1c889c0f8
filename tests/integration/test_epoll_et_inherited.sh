#!/bin/bash
# SPDX-License-Identifier: MIT
# Edge-triggered epoll on a never-connected TCP socket that another process
# connects: process A registers the fresh socket (EPOLLET, IN|OUT|RDHUP)
# and collects its events at each step while process B, which got the
# socket by fork or by SCM_RIGHTS, connects it, sends data that the peer
# echoes, and shuts its writing down (the peer then closes). A sees the
# kernel's edges: OUT|HUP at registration, OUT when the connect completes,
# IN|OUT at the echo, and nothing between them; IN|OUT|HUP|RDHUP at the
# peer's FIN. Natively and under the shim in the same run.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin epoll_et_inherited
testbed_native_up || tb_fail "cannot build the native namespace"
testbed_tcp_sink 8085 echo || tb_fail "the peer's echo does not listen on 8085"

cat >"$TB_WORK/client.py" <<'PY'
import functools, os, select, signal, socket, sys
print = functools.partial(print, flush=True)
signal.alarm(50)
addr = sys.argv[1]
NAMES = ((select.EPOLLIN, "IN"), (select.EPOLLOUT, "OUT"), (select.EPOLLERR, "ERR"),
         (select.EPOLLHUP, "HUP"), (select.EPOLLRDHUP, "RDHUP"))

def evs(ep, timeout):
    return ["|".join(n for b, n in NAMES if m & b) for _, m in ep.poll(timeout)]

def step(what, ep):
    """The first edge after the step (waited for with a deadline), then any more at once."""
    first = evs(ep, 20)
    print(what, first, "then", evs(ep, 0))

def b_side(s, cmd_r, ack_w):
    """Process B: each command from A, then a byte back when it is done."""
    while True:
        c = os.read(cmd_r, 1)
        if c == b"c":
            print("B connect", s.connect_ex((addr, 8085)))
        elif c == b"s":
            print("B send", s.send(b"hello"))
        elif c == b"w":
            s.shutdown(socket.SHUT_WR)
        else:
            os._exit(0)
        os.write(ack_w, b"k")

def run(how):
    s = socket.socket()
    ep = select.epoll()
    ep.register(s.fileno(), select.EPOLLIN | select.EPOLLOUT | select.EPOLLRDHUP | select.EPOLLET)
    print(how, "registered", evs(ep, 0), "then", evs(ep, 0))
    cmd_r, cmd_w = os.pipe()
    ack_r, ack_w = os.pipe()
    if how == "fork":
        pid = os.fork()
        if pid == 0:
            b_side(s, cmd_r, ack_w)
    else:
        a, b = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            # A child that holds only what SCM_RIGHTS brings (b, the pipes).
            s.close()
            ep.close()
            a.close()
            _, fds, _, _ = socket.recv_fds(b, 1, 1)
            b_side(socket.socket(fileno=fds[0]), cmd_r, ack_w)
        b.close()
        socket.send_fds(a, [b"s"], [s.fileno()])
        a.close()
    for cmd, what in ((b"c", "connected"), (b"s", "echoed")):
        os.write(cmd_w, cmd)
        os.read(ack_r, 1)
        step("%s %s" % (how, what), ep)
    # The ACK of B's FIN and the peer's FIN may come in one segment or two,
    # and the FIN wakes twice (tcp_fin, and tcp_done on the way to
    # TIME_WAIT): one edge or more, as they fall between the waits. The
    # edges up to the one with RDHUP, the last shown.
    os.write(cmd_w, b"w")
    os.read(ack_r, 1)
    last = []
    while not last or "RDHUP" not in last[-1]:
        got = evs(ep, 20)
        if not got:
            raise SystemExit("no RDHUP edge")
        last = got
    print(how, "peer closed", last)
    os.write(cmd_w, b"q")
    os.waitpid(pid, 0)
    print(how, "read", s.recv(100), s.recv(100))
    for f in (cmd_r, cmd_w, ack_r, ack_w):
        os.close(f)
    ep.close()
    s.close()

run("fork")
run("rights")
PY

testbed_native_vs_shim "$TB_WORK/client.py"
sed 's/^/  native: /' "$TB_WORK/native"
grep -q "^fork connected \['OUT'\] then \[\]$" "$TB_WORK/native" ||
	tb_fail "natively the connect's edge was not OUT alone: the test proves nothing"
tb_say "ok: $(wc -l <"$TB_WORK/native") answers as Linux's"
testbed_test_end
