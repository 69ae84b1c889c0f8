import socket
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 7399))
l.listen(4)
while True:
    c, _ = l.accept()
    addr, port, n = c.makefile().readline().split()
    ok = 0
    for _ in range(int(n)):
        try:
            socket.create_connection((addr, int(port)), timeout=10).close()
            ok += 1
        except OSError as e:
            print(e, flush=True)
    c.sendall(b"%d connected\n" % ok)
    c.close()
