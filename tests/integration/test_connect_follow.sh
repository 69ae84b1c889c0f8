#!/bin/bash
# SPDX-License-Identifier: MIT
# connect() again on a socket another process holds too: the kernel's socket
# is one object, so after one holder connects it to another listener (after
# a refused connect, after a disconnect) every holder has that connection: a
# fork child, a process that got the fd by SCM_RIGHTS, one whose parent then
# closed its own fd, an exec'd program. Under the shim the connect gives the socket a new pair
# (SHIM_CONNECT_NEWPAIR) and the other holders take it from the host at
# their next call (the notice word's SHIM_NOTICE_NEWPAIR, SHIM_SO_PAIR):
# poll, getpeername, read and write, blocking or not, must answer as the
# kernel's, natively and under the shim in the same run.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin connect_follow
testbed_native_up || tb_fail "cannot build the native namespace"

# The peer: 8081 holds connections silently, 8085 echoes; nothing on 8082.
testbed_peer_tcp_servers 8081=hold || tb_fail "the peer does not listen on 8081"
testbed_tcp_sink 8085 echo || tb_fail "the peer's echo does not listen on 8085"

cp "$(dirname "$0")/probe.py" "$TB_WORK/" || tb_fail "no probe.py"
cat >"$TB_WORK/client.py" <<'PY'
import array, functools, os, select, signal, socket, subprocess, sys, time
from probe import bits, disconnect, name, outcome
print = functools.partial(print, flush=True)
# A holder left on a dead connection may block for ever: each process ends by its deadline.
signal.alarm(60)
addr = sys.argv[1]

def wait_out(fd):
    p = select.poll()
    p.register(fd, select.POLLOUT)
    end = time.monotonic() + 20
    while time.monotonic() < end:
        ev = p.poll(1000)
        if ev and ev[0][1] & select.POLLOUT:
            return
    raise SystemExit("never writable")

def peer_of(fd):
    s = socket.socket(fileno=os.dup(fd))
    try:
        return outcome(lambda: s.getpeername()[1])
    finally:
        s.close()

def echo(what, fd):
    # Plain write and read on the fd: the path a program's stdio takes.
    os.write(fd, what.encode())
    got = b""
    end = time.monotonic() + 20
    while len(got) < len(what) and time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 1)
        if r:
            b = os.read(fd, 100)
            if not b:
                break
            got += b
    return got

def holder(what, prepare, after_parent_close=False):
    """prepare(s) leaves s's last connection over; a fork child holds s
    meanwhile, the parent connects it to the echo, then the child uses it."""
    s = socket.socket()
    prepare(s)
    go_r, go_w = os.pipe()
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        signal.alarm(30)
        os.close(go_w)
        os.read(go_r, 1)
        fd = s.fileno()
        print(what, "child poll", bits(fd))
        print(what, "child peer", peer_of(fd))
        print(what, "child echo", echo("child " + what, fd))
        print(what, "child again", name(s.connect_ex((addr, 8085))))
        os.write(done_w, b"x")
        os._exit(0)
    os.close(go_r)
    s.setblocking(False)
    print(what, "parent connect", name(s.connect_ex((addr, 8085))))
    wait_out(s.fileno())
    print(what, "parent poll", bits(s.fileno()))
    if after_parent_close:
        s.close()
    os.write(go_w, b"x")
    os.read(done_r, 1)
    os.waitpid(pid, 0)
    if not after_parent_close:
        s.setblocking(True)
        print(what, "parent echo", echo("parent " + what, s.fileno()))
        s.close()
    for f in (go_w, done_r, done_w):
        os.close(f)

def refused(s):
    print("  refused", name(s.connect_ex((addr, 8082))))

def unspec(s):
    s.setblocking(False)
    s.connect_ex((addr, 8081))
    wait_out(s.fileno())
    print("  disconnect", disconnect(s.fileno()))
    s.setblocking(True)

def unspec_read(s):
    unspec(s)
    # A read in the parent first: its own end is seen hung up, as the child's.
    print("  recv", outcome(lambda: s.recv(10)))

holder("refused", refused)
holder("unspec", unspec)
holder("unspec read", unspec_read)
holder("refused parent closed", refused, after_parent_close=True)

# An exec'd program holds the socket (its only one, never asked about).
s = socket.socket()
print("exec refused", name(s.connect_ex((addr, 8082))))
child = subprocess.Popen([sys.executable, sys.argv[0].replace("client.py", "exec_holder.py"),
                          str(s.fileno())], stdin=subprocess.PIPE, pass_fds=[s.fileno()])
print("exec connect", name(s.connect_ex((addr, 8085))))
child.communicate(b"go\n", timeout=30)
print("exec parent echo", echo("parent exec", s.fileno()))
s.close()

# The fd went to another process by SCM_RIGHTS before the connect again.
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
pid = os.fork()
if pid == 0:
    signal.alarm(30)
    a.close()
    msg, anc, _, _ = b.recvmsg(1, socket.CMSG_SPACE(4))
    fd = array.array("i", anc[0][2][:4])[0]
    b.recv(1)  # the parent connected it again
    print("rights poll", bits(fd))
    print("rights peer", peer_of(fd))
    print("rights echo", echo("rights", fd))
    os.close(fd)
    b.send(b"x")
    os._exit(0)
b.close()
s = socket.socket()
print("rights refused", name(s.connect_ex((addr, 8082))))
a.sendmsg([b"f"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [s.fileno()]))])
print("rights connect", name(s.connect_ex((addr, 8085))))
a.send(b"x")
a.recv(1)
os.waitpid(pid, 0)
print("rights parent echo", echo("parent rights", s.fileno()))
s.close()
a.close()
PY

cat >"$TB_WORK/exec_holder.py" <<'PY'
import functools, os, select, signal, sys, time
from probe import bits
print = functools.partial(print, flush=True)
signal.alarm(30)
fd = int(sys.argv[1])
sys.stdin.readline()  # the parent connected it again
print("exec child poll", bits(fd))
os.write(fd, b"exec child")
got, end = b"", time.monotonic() + 20
while len(got) < 10 and time.monotonic() < end:
    if select.select([fd], [], [], 1)[0]:
        b = os.read(fd, 100)
        if not b:
            break
        got += b
print("exec child echo", got)
PY

testbed_native_vs_shim "$TB_WORK/client.py"
sed 's/^/  native: /' "$TB_WORK/native"
grep -q "^refused child echo b'child refused'$" "$TB_WORK/native" ||
	tb_fail "the kernel's fork child did not have the new connection: the test proves nothing"
tb_say "ok: $(wc -l <"$TB_WORK/native") answers as Linux's"
testbed_test_end
