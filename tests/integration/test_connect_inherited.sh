#!/bin/bash
# SPDX-License-Identifier: MIT
# A TCP socket made by one process and connected by another that got it
# never connected: a fork child, an exec'd program (the socket inherited
# with pass_fds) and a process it was sent to with SCM_RIGHTS. Linux's
# socket is TCP_CLOSE whoever holds it: a blocking connect returns 0 once
# the handshake is done, a non-blocking one EINPROGRESS, then 0, then
# EISCONN; before it, poll says OUT|HUP, recv ENOTCONN, send EPIPE. The
# interposer of a process that got the socket by exec or SCM_RIGHTS learns
# its state from the host. Each case runs natively and under the shim, and
# the outputs must be the same.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin connect_inherited
testbed_native_up || tb_fail "cannot build the native namespace"

testbed_tcp_sink 8085 echo || tb_fail "the peer's echo does not listen on 8085"

# The program that connects: the socket is fd argv[1], argv[3] says how.
cat >"$TB_WORK/connector.py" <<'PY'
import array, errno, functools, os, select, socket, sys, time
print = functools.partial(print, flush=True)

def name(r):
    return errno.errorcode.get(r, str(r)) if r else "0"

def bits(s):
    p = select.poll()
    p.register(s, 0xffff)
    ev = p.poll(0)
    return "|".join(n for b, n in ((select.POLLIN, "IN"), (select.POLLOUT, "OUT"), (select.POLLERR, "ERR"), (select.POLLHUP, "HUP"), (select.POLLRDHUP, "RDHUP")) if ev and ev[0][1] & b) or "-"

def outcome(f):
    try:
        return repr(f())
    except OSError as ex:
        return name(ex.errno)

def connect(what, s, addr, blocking):
    print(what, "before", bits(s), outcome(lambda: s.recv(10, socket.MSG_DONTWAIT)),
          outcome(lambda: s.send(b"x", socket.MSG_NOSIGNAL)))
    s.setblocking(blocking)
    print(what, "connect", name(s.connect_ex((addr, 8085))))
    if not blocking:
        p = select.poll()
        p.register(s, select.POLLOUT)
        end = time.monotonic() + 20
        while time.monotonic() < end and not p.poll(1000):
            pass
        print(what, "again", name(s.connect_ex((addr, 8085))))
    print(what, "third", name(s.connect_ex((addr, 8085))))
    s.setblocking(True)
    s.sendall(what.encode())
    got = b""
    while len(got) < len(what):
        b = s.recv(100)
        if not b:
            break
        got += b
    print(what, "echo", got)

if __name__ == "__main__":
    fd, addr, how = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    if how.startswith("rights"):
        u = socket.socket(fileno=fd)
        msg, anc, flags, _ = u.recvmsg(1, socket.CMSG_SPACE(4))
        fds = array.array("i")
        fds.frombytes(anc[0][2][:4])
        fd = fds[0]
    s = socket.socket(fileno=fd)
    connect(how, s, addr, not how.endswith("nonblocking"))
    s.close()
PY

cat >"$TB_WORK/client.py" <<'PY'
import os, socket, subprocess, sys
sys.path.insert(0, os.path.dirname(sys.argv[0]))
import connector
addr = sys.argv[1]
me = os.path.join(os.path.dirname(sys.argv[0]), "connector.py")

for how in ("fork blocking", "fork nonblocking"):
    s = socket.socket()
    pid = os.fork()
    if pid == 0:
        connector.connect(how, s, addr, how.endswith(" blocking"))
        os._exit(0)
    os.waitpid(pid, 0)
    s.close()

for how in ("exec blocking", "exec nonblocking"):
    s = socket.socket()
    subprocess.run([sys.executable, me, str(s.fileno()), addr, how], pass_fds=[s.fileno()], check=True)
    s.close()

for how in ("rights blocking", "rights nonblocking"):
    a, b = socket.socketpair()
    child = subprocess.Popen([sys.executable, me, str(b.fileno()), addr, how], pass_fds=[b.fileno()])
    b.close()
    s = socket.socket()
    socket.send_fds(a, [b"s"], [s.fileno()])
    s.close()
    child.wait()
    a.close()
PY

testbed_native_vs_shim "$TB_WORK/client.py"
sed 's/^/  native: /' "$TB_WORK/native"
grep -q "^exec blocking connect 0$" "$TB_WORK/native" ||
	tb_fail "the kernel's blocking connect did not answer 0: the test proves nothing"
tb_say "ok: $(wc -l <"$TB_WORK/native") answers as Linux's"
testbed_test_end
