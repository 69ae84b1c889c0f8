# SPDX-License-Identifier: MIT
# What the differential Python programs (fin_rst.py, reset_data.py,
# linger2_neg.py) print about a socket, the same way natively and under the
# shim; and their kernel server on the peer.
import errno, os, select, socket, subprocess, sys, time

TCP_CLOSE, TCP_CLOSE_WAIT = 7, 8


def wait_state(s, want):
    """Until TCP_INFO's state is want (30 s at most)."""
    deadline = time.monotonic() + 30
    while s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] != want:
        if time.monotonic() > deadline:
            raise SystemExit("state %d never came" % want)
        time.sleep(0.005)


def call(label, f):
    """Prints what f returned, or the errno name it failed with."""
    try:
        r = f()
    except OSError as e:
        r = errno.errorcode[e.errno]
    print("  %s: %r" % (label, r))


def poll_bits(s):
    p = select.poll()
    p.register(s, select.POLLIN | select.POLLOUT | select.POLLRDHUP | select.POLLPRI)
    ev = p.poll(0)
    bits = ev[0][1] if ev else 0
    names = [n for n in ("POLLIN", "POLLPRI", "POLLOUT", "POLLERR", "POLLHUP", "POLLRDHUP")
             if bits & getattr(select, n)]
    return "|".join(names) or "0"


def so_error(s):
    e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    return errno.errorcode.get(e, e)


PEER_SERVER_MAIN = r"""
l = socket.socket()
l.bind((sys.argv[1], 0))
l.listen(1)
print(l.getsockname()[1], flush=True)
for _ in range(int(sys.argv[2])):
    serve(l.accept()[0])
"""


def peer_server(peer_ns, serve, addr, count):
    """A kernel server in the peer's namespace, never under the shim, on
    addr: serve is Python code defining serve(c), called for each of count
    connections in turn. Returns the process and its port."""
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    code = "import socket, sys\n" + serve + PEER_SERVER_MAIN
    p = subprocess.Popen(["ip", "netns", "exec", peer_ns, sys.executable, "-c", code, addr, str(count)],
                         stdout=subprocess.PIPE, env=env, text=True)
    return p, int(p.stdout.readline())
