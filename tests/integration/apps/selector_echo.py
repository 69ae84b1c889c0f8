# An echo server on one of Python's three selectors (select, poll, epoll),
# and a client that opens many connections at once. server: every
# connection's bytes come back as they arrive, on a non-blocking socket
# driven by the selector KIND, writes queued while the socket is full
# (EVENT_WRITE), the connection closed after the peer's FIN once its bytes
# are out. client: N connections opened together, each sending SIZE bytes
# of its own (from a seed) and a half-close, all driven by one selector
# until every echo is complete; it prints the count and one digest of all
# echoes in connection order. usage: selector_echo.py server PORT KIND |
# client HOST PORT N SIZE
import hashlib, selectors, socket, sys

KINDS = {"select": selectors.SelectSelector, "poll": selectors.PollSelector, "epoll": selectors.EpollSelector}


def server(port, kind):
    sel = KINDS[kind]()
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("0.0.0.0", port))
    lsock.listen(128)
    lsock.setblocking(False)
    sel.register(lsock, selectors.EVENT_READ, None)
    state = {}  # socket -> [pending bytes, peer finished]
    while True:
        for key, ev in sel.select():
            s = key.fileobj
            if s is lsock:
                c, _ = lsock.accept()
                c.setblocking(False)
                state[c] = [bytearray(), False]
                sel.register(c, selectors.EVENT_READ)
                continue
            st = state[s]
            if ev & selectors.EVENT_READ:
                d = s.recv(65536)
                if d:
                    st[0] += d
                else:
                    st[1] = True
            if st[0]:
                try:
                    n = s.send(st[0])
                    del st[0][:n]
                except BlockingIOError:
                    pass
            if st[1] and not st[0]:
                sel.unregister(s)
                del state[s]
                s.close()
                continue
            # Read while the backlog is small; wait for room when it is not.
            want = selectors.EVENT_WRITE if st[0] else 0
            if not st[1] and len(st[0]) < 1 << 20:
                want |= selectors.EVENT_READ
            sel.modify(s, want)


def client(host, port, n, size):
    sel = selectors.DefaultSelector()
    conns = []
    for i in range(n):
        data = hashlib.sha256(b"%d" % i).digest() * (size // 32 + 1)
        s = socket.create_connection((host, port), timeout=30)
        s.setblocking(False)
        c = {"s": s, "out": memoryview(data[:size]), "got": bytearray(), "want": data[:size]}
        conns.append(c)
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
    left = n
    while left:
        events = sel.select(timeout=30)
        if not events:
            sys.exit("no progress for 30 s")
        for key, ev in events:
            c, s = key.data, key.fileobj
            if ev & selectors.EVENT_WRITE and c["out"]:
                try:
                    k = s.send(c["out"])
                    c["out"] = c["out"][k:]
                except BlockingIOError:
                    pass
                if not c["out"]:
                    s.shutdown(socket.SHUT_WR)
                    sel.modify(s, selectors.EVENT_READ, c)
            if ev & selectors.EVENT_READ:
                d = s.recv(65536)
                c["got"] += d
                if not d:
                    sel.unregister(s)
                    s.close()
                    left -= 1
    h = hashlib.sha256()
    bad = 0
    for c in conns:
        bad += c["got"] != c["want"]
        h.update(c["got"])
    print("echo", n, size, "bad", bad, h.hexdigest())


if sys.argv[1] == "server":
    server(int(sys.argv[2]), sys.argv[3])
else:
    client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
