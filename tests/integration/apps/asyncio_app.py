# Python's asyncio event loop. server: start_server (reads to EOF, answers
# with the length and SHA-256) and a datagram echo endpoint, on PORT.
# client: open_connection with a 2 MiB write and write_eof; sock_connect on
# a non-blocking socket, sock_sendall of 1 MiB, shutdown, sock_recv; a
# refused open_connection (PORT+1); a connected datagram endpoint.
# usage: asyncio_app.py server PORT | client HOST PORT
import asyncio, hashlib, socket, sys

# 2 MiB of a pattern whose period (251) is not a power of two.
DATA = (bytes(range(251)) * 8400)[: 2 << 20]


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, t):
        self.t = t

    def datagram_received(self, d, a):
        self.t.sendto(d, a)


async def digest(r, w):
    h, n = hashlib.sha256(), 0
    while d := await r.read(65536):
        h.update(d)
        n += len(d)
    w.write(f"{n} {h.hexdigest()}\n".encode())
    await w.drain()
    w.close()


async def server(port):
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(Echo, local_addr=("0.0.0.0", port))
    srv = await asyncio.start_server(digest, "0.0.0.0", port)
    await srv.serve_forever()


class Collect(asyncio.DatagramProtocol):
    def __init__(self, fut, n):
        self.fut, self.n, self.got = fut, n, []

    def datagram_received(self, d, a):
        self.got.append(len(d))
        if len(self.got) == self.n:
            self.fut.set_result(self.got)


async def client(host, port):
    loop = asyncio.get_running_loop()
    r, w = await asyncio.open_connection(host, port)
    w.write(DATA)
    await w.drain()
    w.write_eof()
    print("stream", (await r.read()).decode().strip())
    w.close()
    await w.wait_closed()

    s = socket.socket()
    s.setblocking(False)
    await loop.sock_connect(s, (host, port))
    await loop.sock_sendall(s, DATA[: 1 << 20])
    s.shutdown(socket.SHUT_WR)
    out = b""
    while d := await loop.sock_recv(s, 4096):
        out += d
    print("sock", out.decode().strip())
    s.close()

    try:
        await asyncio.open_connection(host, port + 1)
    except ConnectionRefusedError as e:
        print("refused", e.errno)

    fut = loop.create_future()
    t, _ = await loop.create_datagram_endpoint(lambda: Collect(fut, 3), remote_addr=(host, port))
    for n in (10, 1400, 9000):
        t.sendto(bytes(n))
    print("dgram", await asyncio.wait_for(fut, 10))
    t.close()


if sys.argv[1] == "server":
    asyncio.run(server(int(sys.argv[2])))
else:
    asyncio.run(client(sys.argv[2], int(sys.argv[3])))
