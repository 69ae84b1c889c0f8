# Python's socketserver and selectors, and socket.sendfile (os.sendfile into
# a socket). server: a ThreadingTCPServer ("PUT\n" then bytes to EOF: it
# answers their length and SHA-256; "GET\n": it sends FILE with
# socket.sendfile) and a ForkingUDPServer on the same port that answers each
# datagram reversed. client: PUT of FILE by socket.sendfile and a
# half-close; GET on a non-blocking socket driven by a selector (connect_ex
# gives EINPROGRESS, EVENT_WRITE then SO_ERROR, reads on EVENT_READ); three
# datagrams (each sent again after 5 s without an answer, three times at
# most). usage: socketserver_app.py server PORT FILE | client HOST PORT FILE
import errno, hashlib, selectors, socket, socketserver, sys, threading


class Stream(socketserver.StreamRequestHandler):
    def handle(self):
        if self.rfile.readline() == b"GET\n":
            with open(FILE, "rb") as f:
                self.request.sendfile(f)
            return
        h, n = hashlib.sha256(), 0
        while d := self.rfile.read1(65536):
            h.update(d)
            n += len(d)
        self.wfile.write(b"%d %s\n" % (n, h.hexdigest().encode()))


class Dgram(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(data[::-1], self.client_address)


def server(port):
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    tcp = socketserver.ThreadingTCPServer(("0.0.0.0", port), Stream)
    udp = socketserver.ForkingUDPServer(("0.0.0.0", port), Dgram)
    threading.Thread(target=udp.serve_forever, daemon=True).start()
    tcp.serve_forever()


def client(host, port):
    s = socket.create_connection((host, port), timeout=30)
    s.sendall(b"PUT\n")
    with open(FILE, "rb") as f:
        print("sendfile", s.sendfile(f))
    s.shutdown(socket.SHUT_WR)
    print("put", s.makefile("rb").readline().decode().strip())
    s.close()

    sel = selectors.DefaultSelector()
    s = socket.socket()
    s.setblocking(False)
    print("connect_ex", errno.errorcode.get(s.connect_ex((host, port)), "0"))
    sel.register(s, selectors.EVENT_WRITE)
    if not sel.select(30):
        sys.exit("connect: no answer in 30 s")
    print("so_error", s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
    s.send(b"GET\n")
    sel.modify(s, selectors.EVENT_READ)
    h, n, buf = hashlib.sha256(), 0, bytearray(65536)
    while True:
        if not sel.select(30):
            sys.exit("GET: no data in 30 s")
        r = s.recv_into(buf)
        if not r:
            break
        h.update(buf[:r])
        n += r
    print("get", n, h.hexdigest())

    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(5)
    for msg in (b"abc", b"xyz" * 400, b"q" * 8000):
        for _ in range(3):
            u.sendto(msg, (host, port))
            try:
                d, a = u.recvfrom(65535)
                break
            except socket.timeout:
                continue
        else:
            sys.exit("no answer to a datagram")
        print("udp", len(d), d == msg[::-1], a[1] == port)


FILE = sys.argv[-1]
if sys.argv[1] == "server":
    server(int(sys.argv[2]))
else:
    client(sys.argv[2], int(sys.argv[3]))
