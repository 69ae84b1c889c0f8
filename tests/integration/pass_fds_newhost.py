# A datagram socket of a stack host started after this process's own had
# gone, passed to it with SCM_RIGHTS and used at once: this process spoke to
# the first host (a UDP echo), then closed every fd (its connection to the
# host with them), so that the host left; a forked child makes a socket
# (which starts the next host) and passes it here. Under the shim the
# socket's datagram cookies are its own, read from the fd: a send with an
# address and the echo it brings back work as the kernel's, with no request
# to the new host first. Run natively and under the shim
# (test_pass_fds.sh), with SOCKSHIM_LINGER_MS=0 for the host.
import ctypes, os, select, socket, struct, sys, time

peer, port = sys.argv[1], int(sys.argv[2])
WAIT = 10
libc = ctypes.CDLL(None, use_errno=True)


def sin(addr, p):
    return struct.pack("=HH4s8x", socket.AF_INET, socket.htons(p), socket.inet_aton(addr))


def echo(fd, tag, data):
    # libc's calls on the bare fd, as a C program makes them: Python's
    # socket object would ask the socket for its type first.
    to = sin(peer, port)
    r = libc.sendto(fd, data, len(data), 0, to, len(to))
    print(tag, "sendto", r if r >= 0 else os.strerror(ctypes.get_errno()), flush=True)
    ready = select.select([fd], [], [], WAIT)[0]
    buf, src, slen = ctypes.create_string_buffer(200), ctypes.create_string_buffer(16), \
        ctypes.c_uint32(16)
    n = libc.recvfrom(fd, buf, 200, socket.MSG_DONTWAIT, src, ctypes.byref(slen)) if ready else -1
    print(tag, "echo", "same" if buf.raw[:max(n, 0)] == data else "differs (%d)" % n,
          "from the peer" if n >= 0 and src.raw == to else "", flush=True)


u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
echo(u.fileno(), "first", b"to the first host")
u.close()
# Every fd of this process but the standard ones goes, the stack host's
# connection too: nothing holds the host any more.
for fd in range(3, 1024):
    try:
        os.close(fd)
    except OSError:
        pass
# The host's control name leaves /proc/net/unix with it (none natively).
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    with open("/proc/net/unix") as f:
        if "@sockshim/ctl/" not in f.read():
            break
    time.sleep(0.05)
else:
    print("the first stack host stayed", flush=True)
a, b = socket.socketpair()
pid = os.fork()
if pid == 0:
    # The child makes the socket, which a new host serves, and hands it over.
    a.close()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    socket.send_fds(b, [b"x"], [s.fileno()])
    s.close()
    b.recv(1)
    os._exit(0)
b.close()
_, fds, _, _ = socket.recv_fds(a, 16, 1)
echo(fds[0], "passed", bytes(range(48, 48 + 60)))
os.close(fds[0])
a.sendall(b"x")
_, st = os.waitpid(pid, 0)
print("child exit", os.waitstatus_to_exitcode(st), flush=True)
