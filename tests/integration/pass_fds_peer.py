# Kernel-side helper: for each request "ADDR PORT WORD", connects there,
# sends WORD, and reports what came back before the close.
import socket, threading

def serve(c):
    addr, port, word = c.makefile().readline().split()
    try:
        s = socket.create_connection((addr, int(port)), timeout=20)
        s.sendall(word.encode())
        got = b""
        while True:
            d = s.recv(100)
            if not d:
                break
            got += d
        c.sendall(b"got %s\n" % (got or b"nothing"))
    except OSError as e:
        c.sendall(b"error %s\n" % str(e).encode())
    c.close()

l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 7398))
l.listen(8)
while True:
    c, _ = l.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
