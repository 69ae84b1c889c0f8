# Two clients of a broker (ncat --broker): the first connects and listens,
# the second connects and sends LINES lines, then the first reads until it
# has them all. Both connections are established before anything is sent,
# so the broker has the listener among its clients in accept order.
# usage: ncat_broker.py HOST PORT LINES
import hashlib, socket, sys

host, port, lines = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
a = socket.create_connection((host, port), timeout=30)
b = socket.create_connection((host, port), timeout=30)
msg = b"".join(b"line %d %s\n" % (i, hashlib.sha256(b"%d" % i).hexdigest().encode()) for i in range(lines))
b.sendall(msg)
got = bytearray()
while len(got) < len(msg):
    d = a.recv(65536)
    if not d:
        break
    got += d
print("broker", len(got), got == msg, hashlib.sha256(got).hexdigest())
