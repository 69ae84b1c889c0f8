# Emulated sockets passed to another process with SCM_RIGHTS (as node's
# cluster module does): the receiver listens on a bound socket it got,
# and asks an accepted connection it got for its addresses and options.
import os, socket, sys

peer = sys.argv[1]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.connect((peer, 9))
me = u.getsockname()[0]
u.close()

def who(a):
    return "me" if a[0] == me else "peer" if a[0] == peer else a[0]

a, b = socket.socketpair()
pid = os.fork()
if pid == 0:
    # The child made no socket of its own: everything comes from the parent.
    a.close()
    msg, fds, _, _ = socket.recv_fds(b, 16, 1)
    l = socket.socket(fileno=fds[0])
    l.listen(8)
    print("child: listening on", who(l.getsockname()), l.getsockname()[1], flush=True)
    b.sendall(b"listening")
    c, addr = l.accept()
    print("child: accepted from", who(addr), "data", c.recv(100), flush=True)
    c.close()
    msg, fds, _, _ = socket.recv_fds(b, 16, 1)
    c = socket.socket(fileno=fds[0])
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    print("child: passed connection", who(c.getsockname()), who(c.getpeername()),
          "nodelay", c.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0,
          "type", c.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE), flush=True)
    c.sendall(b"pong")
    print("child: data", c.recv(100), flush=True)
    c.close()
    os._exit(0)
b.close()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7320))
socket.send_fds(a, [b"x"], [s.fileno()])
s.close()
a.recv(100)
ctl = socket.create_connection((peer, 7398))
ctl.sendall(b"%s 7320 ping\n" % me.encode())
# A connection accepted here and handed over.
l2 = socket.socket()
l2.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l2.bind(("0.0.0.0", 7321))
l2.listen(8)
ctl2 = socket.create_connection((peer, 7398))
ctl2.sendall(b"%s 7321 ping\n" % me.encode())
c, _ = l2.accept()
socket.send_fds(a, [b"x"], [c.fileno()])
c.close()
_, st = os.waitpid(pid, 0)
print("child exit", os.waitstatus_to_exitcode(st))
print("peer:", ctl.makefile().readline().strip(), "|", ctl2.makefile().readline().strip())
