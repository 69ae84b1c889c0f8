# HTTP/1.1 pipelining: every request in one write, the last with
# "Connection: close"; prints each answer's status, length and SHA-256.
# usage: http_pipeline.py HOST PORT PATH...
import hashlib, socket, sys

s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20)
paths = sys.argv[3:]
req = b"".join(b"GET /%s HTTP/1.1\r\nHost: x\r\n\r\n" % p.encode() for p in paths[:-1])
s.sendall(req + b"GET /%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % paths[-1].encode())
buf = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    buf += d
while buf:
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    n = int(next(l for l in lines if l.lower().startswith(b"content-length")).split(b":")[1])
    print(lines[0].decode(), n, hashlib.sha256(rest[:n]).hexdigest())
    buf = rest[n:]
