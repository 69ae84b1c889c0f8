#!/bin/bash
# SPDX-License-Identifier: MIT
# connect() again on a socket whose non-blocking connect is under way, as
# programs such as ab (apr_socket_connect) do once it turns writable: Linux
# answers 0 once (sock->state SS_CONNECTING becomes SS_CONNECTED), then
# EISCONN whatever the address; after a blocking connect EISCONN at once;
# after a failure the error (ECONNREFUSED, or ECONNRESET for a connection
# reset once up). The interposer answers the 0 itself when the pair shows the
# connection up (shim_connect_done) and marks the pair for the host
# (SHIM_PAIR_CONNECTED), so each case runs natively and under the shim, and
# the outputs must be the same: the 0 after SO_ERROR, data already come, a
# shutdown in between (which ends SS_CONNECTING), a fork (the child's
# connect has the 0, the parent's then EISCONN), a fork child and an exec'd
# program after the parent's 0 (EISCONN: the mark, not a note, tells), a
# disconnect (AF_UNSPEC) after the 0, and the reset included.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin connect_again
testbed_native_up || tb_fail "cannot build the native namespace"

# The peer: 8081 holds connections silently, 8083 greets each, 8084 resets
# each at once, 8085 echoes; nothing listens on 8082.
testbed_peer_tcp_servers 8081=hold 8083=greet 8084=reset || tb_fail "the peer does not listen on 8081, 8083, 8084"
testbed_tcp_sink 8085 echo || tb_fail "the peer's echo does not listen on 8085"

cp "$(dirname "$0")/probe.py" "$TB_WORK/" || tb_fail "no probe.py"
cat >"$TB_WORK/client.py" <<'PY'
import ctypes, errno, functools, os, select, socket, subprocess, sys, time
from probe import name, wait_for
print = functools.partial(print, flush=True)
addr = sys.argv[1]

def started(what, port):
    s = socket.socket()
    s.setblocking(False)
    print(what, "first", name(s.connect_ex((addr, port))))
    return s

s = started("nonblocking", 8081)
wait_for(s, select.POLLOUT)
for n in ("again", "third"):
    print("nonblocking", n, name(s.connect_ex((addr, 8081))))
print("nonblocking other address", name(s.connect_ex((addr, 9))))
s.close()

s = started("so_error", 8081)
wait_for(s, select.POLLOUT)
print("so_error SO_ERROR", name(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))
for n in ("again", "third"):
    print("so_error", n, name(s.connect_ex((addr, 8081))))
s.close()

s = started("greeted", 8083)
wait_for(s, select.POLLIN)
for n in ("again", "third"):
    print("greeted", n, name(s.connect_ex((addr, 8083))))
print("greeted read", s.recv(10))
s.close()

s = started("shutdown", 8081)
wait_for(s, select.POLLOUT)
s.shutdown(socket.SHUT_RD)
print("shutdown again", name(s.connect_ex((addr, 8081))))
s.close()

s = socket.socket()
print("blocking first", name(s.connect_ex((addr, 8081))))
print("blocking again", name(s.connect_ex((addr, 8081))))
s.close()

s = started("fork", 8081)
wait_for(s, select.POLLOUT)
pid = os.fork()
if pid == 0:
    print("fork child", name(s.connect_ex((addr, 8081))))
    os._exit(0)
os.waitpid(pid, 0)
print("fork parent", name(s.connect_ex((addr, 8081))))
s.close()

# The 0 answered without asking, then the same socket from processes that
# do not share this one's record of it: a fork child, an exec'd program.
s = started("marked", 8081)
wait_for(s, select.POLLOUT)
print("marked again", name(s.connect_ex((addr, 8081))))
pid = os.fork()
if pid == 0:
    print("marked fork child", name(s.connect_ex((addr, 8081))))
    os._exit(0)
os.waitpid(pid, 0)
code = "import socket, sys; s = socket.socket(fileno=int(sys.argv[1])); import errno; r = s.connect_ex((sys.argv[2], 8081)); print('marked exec', errno.errorcode.get(r, r) if r else 0, flush=True); s.detach()"
subprocess.run([sys.executable, "-c", code, str(s.fileno()), addr], pass_fds=[s.fileno()], check=True)
print("marked third", name(s.connect_ex((addr, 8081))))
s.close()

# connect(AF_UNSPEC) after the 0 disconnects (the host reads the mark and
# clears it there).
s = started("unspec", 8081)
wait_for(s, select.POLLOUT)
print("unspec again", name(s.connect_ex((addr, 8081))))
libc = ctypes.CDLL(None, use_errno=True)
r = libc.connect(s.fileno(), ctypes.c_char_p(bytes(16)), 16)
print("unspec disconnect", name(ctypes.get_errno()) if r else "0")
s.close()

# After the disconnect the socket is TCP_CLOSE again, as a fresh one: a
# connect to another listener starts over (EINPROGRESS, or 0 blocking) and
# carries data both ways.
def poll_bits(s):
    p = select.poll()
    p.register(s, 0xffff)
    ev = p.poll(0)
    return "|".join(n for b, n in ((select.POLLIN, "IN"), (select.POLLOUT, "OUT"), (select.POLLERR, "ERR"), (select.POLLHUP, "HUP"), (select.POLLRDHUP, "RDHUP")) if ev and ev[0][1] & b) or "-"

def disconnect(what, s):
    r = libc.connect(s.fileno(), ctypes.c_char_p(bytes(16)), 16)
    print(what, "disconnect", name(ctypes.get_errno()) if r else "0", poll_bits(s))

def echoed(what, s):
    s.setblocking(True)
    s.sendall(b"ping " + what.encode())
    got = b""
    while len(got) < 5 + len(what):
        b = s.recv(100)
        if not b:
            break
        got += b
    print(what, "echo", got)

s = started("reconnect", 8081)
wait_for(s, select.POLLOUT)
print("reconnect again", name(s.connect_ex((addr, 8081))))
disconnect("reconnect", s)
print("reconnect other", name(s.connect_ex((addr, 8085))))
wait_for(s, select.POLLOUT)
print("reconnect other again", name(s.connect_ex((addr, 8085))))
echoed("reconnect", s)
disconnect("reconnect twice", s)
s.setblocking(False)
print("reconnect twice other", name(s.connect_ex((addr, 8083))))
wait_for(s, select.POLLIN)
print("reconnect twice read", s.recv(10))
s.close()

# An epoll set that holds the socket follows it to its next connection.
def ep_bits(evs):
    return "|".join(n for b, n in ((select.EPOLLIN, "IN"), (select.EPOLLOUT, "OUT"), (select.EPOLLERR, "ERR"), (select.EPOLLHUP, "HUP")) if evs and evs[0][1] & b) or "-"

s = started("epoll", 8081)
ep = select.epoll()
ep.register(s, select.EPOLLIN | select.EPOLLOUT)
wait_for(s, select.POLLOUT)
print("epoll connected", ep_bits(ep.poll(0)))
disconnect("epoll", s)
print("epoll disconnected", ep_bits(ep.poll(0)))
print("epoll other", name(s.connect_ex((addr, 8083))))
end = time.monotonic() + 20
while time.monotonic() < end:
    evs = ep.poll(1)
    if evs and evs[0][1] & select.EPOLLIN:
        break
print("epoll other ready", ep_bits(evs), s.recv(10))
ep.close()
s.close()

s = socket.socket()
print("blocking reconnect first", name(s.connect_ex((addr, 8081))))
disconnect("blocking reconnect", s)
print("blocking reconnect other", name(s.connect_ex((addr, 8085))))
echoed("blocking reconnect", s)
print("blocking reconnect again", name(s.connect_ex((addr, 8085))))
s.close()

# The greeting came and is unread: the disconnect drops it; the error it
# leaves goes to the first call that asks, then TCP_CLOSE's answers.
def outcome(f):
    try:
        return repr(f())
    except OSError as ex:
        return name(ex.errno)

s = socket.socket()
print("dropped first", name(s.connect_ex((addr, 8083))))
wait_for(s, select.POLLIN)
disconnect("dropped", s)
print("dropped recv", outcome(lambda: s.recv(10)), poll_bits(s))
print("dropped recv again", outcome(lambda: s.recv(10)))
print("dropped send", outcome(lambda: s.send(b"x", socket.MSG_NOSIGNAL)))
print("dropped SO_ERROR", name(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))
disconnect("dropped twice", s)
print("dropped SO_ERROR twice", name(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)), poll_bits(s))
print("dropped send twice", outcome(lambda: s.send(b"x", socket.MSG_NOSIGNAL)))
print("dropped other", name(s.connect_ex((addr, 8083))))
print("dropped read", s.recv(10))
s.close()

s = started("refused", 8082)
wait_for(s, select.POLLHUP)
print("refused again", name(s.connect_ex((addr, 8082))))
print("refused third", name(s.connect_ex((addr, 8085))))
wait_for(s, select.POLLOUT)
echoed("refused third", s)
s.close()

s = socket.socket()
print("blocking refused", name(s.connect_ex((addr, 8082))), poll_bits(s))
print("blocking refused other", name(s.connect_ex((addr, 8085))))
echoed("blocking refused", s)
s.close()

# The process's other fds of the socket (dup, dup2, F_DUPFD), made before
# the reconnect, are the same socket on its next connection, each with its
# own FD_CLOEXEC: after a refused blocking connect and after a disconnect.
import fcntl
def dups(s):
    return (("dup", os.dup(s.fileno())), ("dup2", os.dup2(s.fileno(), 90)),
            ("F_DUPFD", fcntl.fcntl(s.fileno(), fcntl.F_DUPFD, 91)))

def through(what, fds):
    for dname, d in fds:
        os.write(d, dname.encode())
        got = b""
        while len(got) < len(dname):
            b = os.read(d, 100)
            if not b:
                break
            got += b
        print(what, dname, "echo", got, "cloexec", bool(fcntl.fcntl(d, fcntl.F_GETFD) & fcntl.FD_CLOEXEC))
        os.close(d)

s = socket.socket()
print("dups refused", name(s.connect_ex((addr, 8082))))
fds = dups(s)
print("dups refused other", name(s.connect_ex((addr, 8085))))
through("dups refused", fds)
s.close()

s = started("dups unspec", 8081)
wait_for(s, select.POLLOUT)
fds = dups(s)
disconnect("dups unspec", s)
print("dups unspec other", name(s.connect_ex((addr, 8085))))
wait_for(s, select.POLLOUT)
ep = select.epoll()
ep.register(fds[0][1], select.EPOLLOUT)
print("dups unspec epoll on the dup", ep_bits(ep.poll(1)))
ep.close()
s.setblocking(True)
through("dups unspec", fds)
s.close()

s = started("reset", 8084)
wait_for(s, select.POLLHUP)
print("reset again", name(s.connect_ex((addr, 8084))))
s.close()
PY

ip netns exec "$TB_NS_NAT" "$TB_PY" "$TB_WORK/client.py" "$TB_NAT_PEER_ADDR" >"$TB_WORK/native.log" 2>&1 ||
	tb_fail "the native run failed: $(cat "$TB_WORK/native.log")"
testbed_shim "$TB_PY" "$TB_WORK/client.py" "$TB_PEER_ADDR" >"$TB_WORK/shim.log" 2>&1 ||
	tb_fail "the run under the shim failed: $(cat "$TB_WORK/shim.log")"
sed 's/^/  native: /' "$TB_WORK/native.log"
grep -q "^nonblocking again 0$" "$TB_WORK/native.log" && grep -q "^nonblocking third EISCONN$" "$TB_WORK/native.log" ||
	tb_fail "the kernel did not answer 0 then EISCONN: the test proves nothing"
diff -u "$TB_WORK/native.log" "$TB_WORK/shim.log" >"$TB_WORK/diff" ||
	tb_fail "the shim differs from Linux: $(cat "$TB_WORK/diff")"
tb_say "ok: $(wc -l <"$TB_WORK/native.log") answers as Linux's"
testbed_test_end
