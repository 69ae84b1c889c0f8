# SPDX-License-Identifier: MIT
# One thread's connect() still under way while another thread uses the
# socket (test_connect_inflight.sh). The kernel's socket is SYN_SENT from
# inside connect() (under its lock), so the other thread finds it
# connecting, never unconnected: a non-blocking recv and send say EAGAIN
# (not ENOTCONN, EPIPE) and poll says nothing (not OUT|HUP). Under the
# shim the test stops the stack host before the connect, so the thread
# waits for the host's answer all the while; natively the connect has
# returned. argv: the peer's address, a port whose SYNs the peer drops,
# the work directory (files "made" and "seen" written here, "go" and
# "cont" waited for).
import errno, os, platform, select, socket, sys, threading, time

addr, port, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
RECVMSG = {"x86_64": 47, "aarch64": 212}[platform.machine()]


def wait_file(name):
    deadline = time.monotonic() + 60
    while not os.path.exists(os.path.join(work, name)):
        if time.monotonic() > deadline:
            raise SystemExit("no %s in 60 s" % name)
        time.sleep(0.01)


def touch(name):
    open(os.path.join(work, name), "w").close()


def res(f):
    try:
        return f()
    except OSError as e:
        return errno.errorcode[e.errno]


s = socket.socket()
s.setblocking(False)
touch("made")
wait_file("go")
got = {}
t = threading.Thread(target=lambda: got.update(connect=errno.errorcode.get(s.connect_ex((addr, port)), 0)))
t.start()
# Until the thread has returned from connect() or waits in it for the
# stack host's answer (the interposer's recvmsg on its control connection).
deadline = time.monotonic() + 60
while t.is_alive():
    try:
        with open("/proc/self/task/%d/syscall" % t.native_id) as f:
            if f.read().split()[0] == str(RECVMSG):
                break
    except (FileNotFoundError, ProcessLookupError, IndexError):
        pass
    if time.monotonic() > deadline:
        raise SystemExit("the connecting thread never waited nor returned")
    time.sleep(0.001)
p = select.poll()
p.register(s, select.POLLIN | select.POLLOUT)
print("poll while connecting:", p.poll(0))
print("recv while connecting:", res(lambda: s.recv(1, socket.MSG_DONTWAIT)))
print("send while connecting:", res(lambda: s.send(b"x", socket.MSG_DONTWAIT | socket.MSG_NOSIGNAL)))
touch("seen")
t.join()
print("connect:", got["connect"])
s.close()
