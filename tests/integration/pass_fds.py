# Emulated sockets passed to another process with SCM_RIGHTS (as node's
# cluster module does): the receiver listens on a bound socket it got,
# and asks an accepted connection it got for its addresses and options;
# a datagram socket it gets through recvmmsg is known as one too.
import ctypes, os, socket, struct, sys

peer = sys.argv[1]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.connect((peer, 9))
me = u.getsockname()[0]
u.close()

def who(a):
    return "me" if a[0] == me else "peer" if a[0] == peer else a[0]

class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]

class mmsghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32),
                ("iov", ctypes.POINTER(iovec)), ("iovlen", ctypes.c_size_t),
                ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int), ("len", ctypes.c_uint)]

def recv_fd_mmsg(sock):
    # One fd passed with SCM_RIGHTS, read with libc's recvmmsg (as a C program would).
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(16)
    ctl = ctypes.create_string_buffer(socket.CMSG_SPACE(4))
    iov = iovec(ctypes.cast(buf, ctypes.c_void_p), len(buf))
    m = mmsghdr(iov=ctypes.pointer(iov), iovlen=1,
                control=ctypes.cast(ctl, ctypes.c_void_p), controllen=len(ctl))
    if libc.recvmmsg(sock.fileno(), ctypes.byref(m), 1, 0, None) != 1:
        raise OSError(ctypes.get_errno(), "recvmmsg")
    level, kind = struct.unpack_from("ii", ctl.raw, 8)
    assert (level, kind) == (socket.SOL_SOCKET, socket.SCM_RIGHTS)
    return struct.unpack_from("i", ctl.raw, 16)[0]

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
    u = socket.socket(fileno=recv_fd_mmsg(b))
    print("child: recvmmsg passed", u.family.name, u.type.name, u.getsockname(), flush=True)
    u.close()
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
# A datagram socket, read with recvmmsg.
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("0.0.0.0", 7322))
socket.send_fds(a, [b"x"], [u.fileno()])
u.close()
_, st = os.waitpid(pid, 0)
print("child exit", os.waitstatus_to_exitcode(st))
print("peer:", ctl.makefile().readline().strip(), "|", ctl2.makefile().readline().strip())
