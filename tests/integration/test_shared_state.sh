#!/bin/bash
# SPDX-License-Identifier: MIT
# The kernel's socket is one object: what one process holding it sets or
# does, every other holder sees at its next call. Two cases the shim kept
# per process:
# - SO_BROADCAST of a UDP socket, turned on and off by a fork's parent (or
#   child) between the other's sends to the subnet's broadcast address
#   (EACCES without it), and by a process that got the socket by SCM_RIGHTS;
# - a TCP socket a fork child holds never connected while the parent
#   connects it: the child's poll, recv, send and getpeername then answer
#   for the connection (no ENOTCONN, no OUT|HUP).
# Natively and under the shim in the same run.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin shared_state
testbed_native_up || tb_fail "cannot build the native namespace"
testbed_tcp_sink 8085 echo || tb_fail "the peer's echo does not listen on 8085"

cp "$(dirname "$0")/probe.py" "$TB_WORK/" || tb_fail "no probe.py"
cat >"$TB_WORK/client.py" <<'PY'
import array, functools, os, select, signal, socket, sys, time
from probe import bits, name, outcome
print = functools.partial(print, flush=True)
signal.alarm(60)
addr = sys.argv[1]
bcast = addr.rsplit(".", 1)[0] + ".255"

def step(r, w):
    """Turns between two processes: wait for the other, then it waits."""
    def go():
        os.write(w, b"x")
    def wait():
        os.read(r, 1)
    return go, wait

def bc(s, on):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, on)

def send(who, s):
    print(who, "sendto broadcast", outcome(lambda: s.sendto(b"x", (bcast, 9))),
          "SO_BROADCAST", s.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST))

def broadcast_fork(setter_is_parent):
    what = "parent sets" if setter_is_parent else "child sets"
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    p2c_r, p2c_w = os.pipe()
    c2p_r, c2p_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        go, wait = step(p2c_r, c2p_w)
    else:
        go, wait = step(c2p_r, p2c_w)
    setter = (pid != 0) == setter_is_parent
    me = what + (" setter" if setter else " sender")
    if setter:
        for on in (1, 0, 1, 0):
            bc(u, on)
            go()
            wait()
    else:
        for _ in range(4):
            wait()
            send(me, u)
            go()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    u.close()
    for f in (p2c_r, p2c_w, c2p_r, c2p_w):
        os.close(f)

broadcast_fork(True)
broadcast_fork(False)

# A copy sent by SCM_RIGHTS: the receiver turns it on, the sender's send follows.
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
send("rights before", u)
pid = os.fork()
if pid == 0:
    a.close()
    u.close()
    msg, anc, _, _ = b.recvmsg(1, socket.CMSG_SPACE(4))
    v = socket.socket(fileno=array.array("i", anc[0][2][:4])[0])
    for on in (1, 0):
        bc(v, on)
        b.send(b"x")
        b.recv(1)
    os._exit(0)
b.close()
a.sendmsg([b"f"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [u.fileno()]))])
for on in (1, 0):
    a.recv(1)
    send("rights after %d" % on, u)
    a.send(b"x")
os.waitpid(pid, 0)
u.close()
a.close()

# A TCP socket the child holds never connected while the parent connects it.
s = socket.socket()
p2c_r, p2c_w = os.pipe()
c2p_r, c2p_w = os.pipe()
pid = os.fork()
if pid == 0:
    print("tcp child before", bits(s), outcome(lambda: s.recv(5, socket.MSG_DONTWAIT)),
          outcome(s.getpeername))
    os.write(c2p_w, b"x")
    os.read(p2c_r, 1)
    print("tcp child after", bits(s), outcome(lambda: s.recv(5, socket.MSG_DONTWAIT)),
          outcome(lambda: s.getpeername()[1]))
    print("tcp child send", outcome(lambda: s.send(b"child")))
    got, end = b"", time.monotonic() + 20
    while len(got) < 5 and time.monotonic() < end:
        if select.select([s], [], [], 1)[0]:
            d = s.recv(5 - len(got))
            if not d:
                break
            got += d
    print("tcp child echo", got)
    os._exit(0)
os.read(c2p_r, 1)
print("tcp parent connect", name(s.connect_ex((addr, 8085))))
os.write(p2c_w, b"x")
os.waitpid(pid, 0)
s.close()
PY

testbed_native_vs_shim "$TB_WORK/client.py"
sed 's/^/  native: /' "$TB_WORK/native"
grep -q "^parent sets sender sendto broadcast EACCES" "$TB_WORK/native" ||
	tb_fail "the kernel never refused a broadcast: the test proves nothing"
tb_say "ok: $(wc -l <"$TB_WORK/native") answers as Linux's"
testbed_test_end
