# SPDX-License-Identifier: MIT
# Resets and the data around them, as the kernel's TCP has them:
#  - data the peer sent just before its reset stays readable: recv gives the
#    data, then ECONNRESET, then EOF (tcp_recvmsg reads the queue before
#    sk_err), and poll says IN|ERR|HUP meanwhile;
#  - close() with SO_LINGER {1, 0} sends a reset and nothing else
#    (tcp_close -> tcp_disconnect): the peer's recv fails with ECONNRESET,
#    where a FIN first would read as EOF and then EPIPE;
#  - a shutdown(SHUT_WR) before that close still sends its FIN first.
# test_reset_data.sh runs this natively and under the shim and compares.
# argv: the peer's address, the peer's namespace.
import errno, os, re, socket, struct, subprocess, sys, time
from sock_probe import TCP_CLOSE, call, poll_bits, so_error, wait_state

peer_addr, peer_ns = sys.argv[1], sys.argv[2]
env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
LINGER0 = struct.pack("ii", 1, 0)

# The kernel peer: one connection per scenario, in order. "reset" sends
# data and resets; "watch" reads what the client's close sends and says it
# (one line on the connection's report stream, stdout).
SERVER = r"""
import errno, fcntl, select, socket, struct, sys, termios
l = socket.socket()
l.bind((sys.argv[1], 0))
l.listen(1)
print(l.getsockname()[1], flush=True)
for kind in sys.argv[2:]:
    c, _ = l.accept()
    if kind.startswith("reset-fill"):
        # Until the client's buffers are full: no room for a while.
        c.setblocking(False)
        sent = 0
        while select.select([], [c], [], 0.5)[1]:
            try:
                sent += c.send(b"d" * 65536)
            except BlockingIOError:
                pass
        outq = struct.unpack("i", fcntl.ioctl(c, termios.TIOCOUTQ, b"\0" * 4))[0]
        print(sent - outq, sent, flush=True)  # what the client acknowledged, what it may have
    elif kind.startswith("reset"):
        size = int(kind.split(":")[1])
        c.sendall(b"d" * size)
        if kind.startswith("reset-wait"):
            c.recv(1)  # the client has the data: reset now
        # All of it acknowledged (SIOCOUTQ 0): the reset discards nothing.
        while fcntl.ioctl(c, termios.TIOCOUTQ, b"\0" * 4) != b"\0" * 4:
            pass
    if kind.startswith("reset"):
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
        continue
    c.sendall(b"ok")
    got = []
    for _ in range(3):
        try:
            got.append(repr(c.recv(100)))
        except OSError as e:
            got.append(errno.errorcode[e.errno])
            break
    print(kind, " ".join(got), flush=True)
    c.close()
"""

# (name, bytes, whether the reset waits for the client to have them)
RESETS = [("data then reset, read first", 5, True), ("data then reset, poll first", 5, True),
          ("data then reset, SO_ERROR first", 5, True), ("40000 bytes then reset", 40000, True),
          ("data and reset at once", 5, False), ("40000 bytes and reset at once", 40000, False),
          ("more than the receiver holds, then reset", 0, False)]
CLOSES = ["linger0-close", "linger0-unsent-close", "shutwr-linger0-close", "plain-close"]
kinds = ["reset%s:%d" % ("-wait" if wait else "-fill" if not size else "", size)
         for _, size, wait in RESETS] + CLOSES
server = subprocess.Popen(["ip", "netns", "exec", peer_ns, sys.executable, "-c", SERVER,
                           peer_addr] + kinds, stdout=subprocess.PIPE, env=env, text=True)
port = int(server.stdout.readline())


def recv_all(s):
    """Every byte there is, then the error that ends them (blocking: after
    the reset the kernel's recv never waits; the shim's host may still be
    putting the rest into the pair)."""
    total = 0
    while True:
        try:
            b = s.recv(1 << 20)
        except OSError as e:
            return "%d bytes, then %s" % (total, errno.errorcode[e.errno])
        if not b:
            return "%d bytes, then EOF" % total
        total += len(b)


for (name, size, wait) in RESETS:
    print(name)
    s = socket.create_connection((peer_addr, port))
    # All of it is in (unread), then the reset.
    deadline = time.monotonic() + 30
    while wait and len(s.recv(size, socket.MSG_PEEK)) < size:
        if time.monotonic() > deadline:
            raise SystemExit("the data never came")
        time.sleep(0.001)
    if wait:
        s.send(b"x")
    wait_state(s, TCP_CLOSE)
    if not size:
        # How much the buffers held is the receiver's own; every byte it
        # acknowledged is readable, what was in flight may be.
        acked, sent = map(int, server.stdout.readline().split())
        got = recv_all(s)
        n = int(got.split()[0])
        call("read", lambda: re.sub(r"^[0-9]+ bytes", "every acknowledged byte" if acked <= n <= sent
                                    else "%d of %d acknowledged bytes" % (n, acked), got))
    elif size > 5:
        call("read", lambda: recv_all(s))
    else:
        if name.endswith("poll first"):
            call("poll", lambda: poll_bits(s))
        elif name.endswith("SO_ERROR first"):
            call("SO_ERROR", lambda: so_error(s))
        call("recv", lambda: s.recv(100))
        call("recv", lambda: s.recv(100))
        call("recv again", lambda: s.recv(100))
    call("poll", lambda: poll_bits(s))
    call("SO_ERROR", lambda: so_error(s))
    call("send", lambda: s.send(b"z", socket.MSG_NOSIGNAL))
    s.close()

for kind in CLOSES:
    s = socket.create_connection((peer_addr, port))
    # The peer's "ok" is in, so nothing the peer sent is left unread.
    assert s.recv(2, socket.MSG_WAITALL) == b"ok"
    if kind == "linger0-unsent-close":
        s.send(b"unsent?")
    if kind.startswith("shutwr"):
        s.shutdown(socket.SHUT_WR)
    if "linger0" in kind:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
    s.close()
    # The peer says what it read.
    print("peer after %s" % server.stdout.readline().rstrip())
server.wait(timeout=30)
