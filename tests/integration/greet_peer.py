# SPDX-License-Identifier: MIT
# A kernel-side TCP server for the port tests: greets each connection with
# "hi" and keeps it until the client closes (so the client closes first).
# argv: the port.
import socket
import sys
import threading

l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", int(sys.argv[1])))
l.listen(64)


def serve(c):
	c.send(b"hi")
	while c.recv(100):
		pass
	c.close()


while True:
	c, _ = l.accept()
	threading.Thread(target=serve, args=(c,), daemon=True).start()
