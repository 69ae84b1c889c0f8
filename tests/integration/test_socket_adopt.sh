#!/bin/bash
# SPDX-License-Identifier: MIT
# socket() without a round trip (SHIM_OP_ADOPT, README "Connection rate"):
# the interposer makes a TCP or UDP socket's pair itself, names its end with
# an id the host reserved, and hands the host its end without waiting.
#  - The same program natively and under the shim, outputs compared: more
#    sockets than one reservation holds, each connected and named; a socket
#    used at once by a fork child (connect), by an exec'd program and by
#    another process it was passed to (SCM_RIGHTS; name and bind in both),
#    each asking on a connection of its own; a UDP socket likewise.
#  - By hand (tests/integration/ctl_client.py), with the host stopped so that
#    the order is fixed: a request about a reserved id on another connection
#    that reaches the host before the ADOPT is answered after it, not EBADF;
#    an ADOPT of an id not reserved, and one from another user, make nothing.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin socket_adopt
testbed_native_up || tb_fail "cannot build the native namespace"

testbed_peer "$TB_PY" -c 'import socket, threading
def serve(c):
    while True:
        d = c.recv(100)
        if not d:
            return
        c.sendall(d)
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 8091))
l.listen(256)
while True:
    threading.Thread(target=serve, args=(l.accept()[0],), daemon=True).start()' \
	>"$TB_WORK/peer.log" 2>&1 &
testbed_peer "$TB_PY" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 8092))
while True:
    d, a = s.recvfrom(100)
    s.sendto(d, a)' >"$TB_WORK/udp.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 8091 10 || tb_fail "the peer does not listen"
testbed_wait_listen "$TB_NS_PEER" udp 8092 10 || tb_fail "the UDP peer does not listen"

cat >"$TB_WORK/client.py" <<'PY'
import array, functools, os, socket, subprocess, sys
print = functools.partial(print, flush=True)
addr = sys.argv[1]

def echo(s, what):
    s.sendall(what)
    return s.recv(100)

# More than one reservation (64 ids): every socket works and has its own port.
socks = [socket.socket() for _ in range(150)]
for s in socks:
    s.connect((addr, 8091))
print("150 connected, distinct ports:", len({s.getsockname()[1] for s in socks}) == 150,
      "echo:", all(echo(s, b"x") == b"x" for s in socks))
for s in socks:
    s.close()

# At once in a fork child.
s = socket.socket()
pid = os.fork()
if pid == 0:
    s.connect((addr, 8091))
    print("fork child:", echo(s, b"fork"))
    os._exit(0)
os.waitpid(pid, 0)
s.close()

# At once in an exec'd program.
s = socket.socket()
code = ("import socket, sys; s = socket.socket(fileno=int(sys.argv[1])); "
        "print('exec:', s.getsockname()); s.bind(('0.0.0.0', 0)); "
        "print('exec bound:', s.getsockname()[1] > 0, flush=True)")
subprocess.run([sys.executable, "-c", code, str(s.fileno()), addr], pass_fds=[s.fileno()], check=True)
s.close()

# At once in another process, passed over a unix socket.
a, b = socket.socketpair()
code = ("import array, socket, sys; b = socket.socket(fileno=int(sys.argv[1])); "
        "msg, anc, _, _ = b.recvmsg(1, socket.CMSG_SPACE(4)); "
        "fd = array.array('i', anc[0][2])[0]; s = socket.socket(fileno=fd); "
        "print('passed:', s.getsockname()); s.bind(('0.0.0.0', 0)); "
        "print('passed bound:', s.getsockname()[1] > 0, flush=True)")
p = subprocess.Popen([sys.executable, "-c", code, str(b.fileno()), addr], pass_fds=[b.fileno()])
s = socket.socket()
a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [s.fileno()]))])
s.close()
p.wait()

# UDP, at once in a fork child.
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
pid = os.fork()
if pid == 0:
    u.sendto(b"udp", (addr, 8092))
    print("udp fork child:", u.recvfrom(100)[0])
    os._exit(0)
os.waitpid(pid, 0)
PY

SOCKSHIM_TRACE=1 SOCKSHIM_TRACE_FILE="$TB_WORK/trace.log" testbed_native_vs_shim "$TB_WORK/client.py"
sed 's/^/  native: /' "$TB_WORK/native"
grep -q "^150 connected, distinct ports: True echo: True$" "$TB_WORK/native" ||
	tb_fail "the kernel's run is not as expected: the test proves nothing"
adopted=$(grep -c "^\[sockshim [0-9]*\] socket(.*adopted" "$TB_WORK/trace.log")
[ "$adopted" -ge 150 ] || tb_fail "only $adopted socket() calls were adopted (want at least 150)"
tb_say "ok: $(wc -l <"$TB_WORK/native") lines as Linux's; $adopted sockets adopted"

# ---- By hand: the order across connections, and who may adopt ----
cp "$SOCKSHIM_SOURCE_DIR/tests/integration/ctl_client.py" "$TB_WORK/"
cat >"$TB_WORK/hand.py" <<'PY'
import errno, os, signal, socket, struct, sys
from ctl_client import Ctl, HDR, L, OP
iface, addr, host = sys.argv[1], sys.argv[2], int(sys.argv[3])

def name(r):
    return "dropped" if r is None else (errno.errorcode[-r[0]] if r[0] < 0 else "ok")

def adopt(c, sid, app, hend, nonce=0x1234):
    sun = ("\0sockshim/a/%d/%u/%016x" % (host, sid, nonce)).encode()
    app.bind(sun)
    c.call("ADOPT", sid, socket.SOCK_STREAM, 0, nonce & 0xffffffff, nonce >> 32, 0, 0,
           fds=[app.fileno(), hend.fileno()])

a = Ctl(iface, addr)
assert a.hello()
ret, sid, payload, fd = a.call("CREATE", 0, socket.SOCK_STREAM, 0)
first, count = struct.unpack_from("=II", payload)
print("CREATE reserves:", count, "ids after", "its own" if first > sid else "others")
b = Ctl(iface, addr)
assert b.hello()
app, hend = socket.socketpair()
# B asks about the id before A's ADOPT of it reaches the host: the host
# stopped, B's request first in line, then A's.
os.kill(host, signal.SIGSTOP)
body = struct.pack("=I", 0)
b.send_raw(HDR.pack(L["version"], OP["GETNAME"], HDR.size + len(body), first, 0) + body,
           [app.fileno()])
adopt(a, first, app, hend)
hend.close()
os.kill(host, signal.SIGCONT)
print("GETNAME on another connection before the ADOPT:", name(b.recv()))
# An id not reserved for A: nothing made.
app2, hend2 = socket.socketpair()
adopt(a, first + 1000, app2, hend2)
print("ADOPT of an id not reserved:", name(b.call("GETNAME", first + 1000, 0, fds=[app2.fileno()])))
PY
cat >"$TB_WORK/nobody.py" <<'PY'
import errno, socket, struct, sys
from ctl_client import Ctl, L
iface, addr, host = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = Ctl(iface, addr)
assert c.hello()
ret, sid, payload, fd = c.call("CREATE", 0, socket.SOCK_STREAM, 0)
first, count = struct.unpack_from("=II", payload)
app, hend = socket.socketpair()
app.bind(("\0sockshim/a/%d/%u/%016x" % (host, first, 1)).encode())
c.call("ADOPT", first, socket.SOCK_STREAM, 0, 1, 0, 0, 0, fds=[app.fileno(), hend.fileno()])
r = c.call("GETNAME", first, 0, fds=[app.fileno()])
print("ADOPT by another user:", errno.errorcode[-r[0]] if r[0] < 0 else "ok")
PY
. "$SOCKSHIM_SOURCE_DIR/tests/integration/lib_holder.sh"
holder_start "$TB_WORK/done" "$TB_WORK/holder.log"
host=$(testbed_stackd_serving | head -n 1)
[ -n "$host" ] || tb_fail "no serving stack host"
chmod 755 "$TB_WORK" && chmod 644 "$TB_WORK"/*.py
ip netns exec "$TB_NS_SHIM" env CTL_LAYOUT="$SOCKSHIM_BUILD_DIR/tests/ctl_layout" \
	PYTHONPATH="$TB_WORK" "$TB_PY" "$TB_WORK/hand.py" "$TB_IF_SHIM" "$TB_SHIM_ADDR" "$host" \
	>"$TB_WORK/hand.log" 2>&1 || tb_fail "the client failed: $(cat "$TB_WORK/hand.log")"
ip netns exec "$TB_NS_SHIM" setpriv --reuid=65534 --regid=65534 --clear-groups \
	env CTL_LAYOUT="$SOCKSHIM_BUILD_DIR/tests/ctl_layout" PYTHONPATH="$TB_WORK" \
	"$TB_PY" "$TB_WORK/nobody.py" "$TB_IF_SHIM" "$TB_SHIM_ADDR" "$host" >>"$TB_WORK/hand.log" 2>&1 ||
	tb_fail "uid 65534's client failed: $(cat "$TB_WORK/hand.log")"
kill -CONT "$host" 2>/dev/null
sed 's/^/  by hand: /' "$TB_WORK/hand.log"
printf '%s\n' "CREATE reserves: 64 ids after its own" \
	"GETNAME on another connection before the ADOPT: ok" "ADOPT of an id not reserved: EBADF" \
	"ADOPT by another user: EBADF" |
	cmp -s - "$TB_WORK/hand.log" || tb_fail "the host did not keep the order or took an ADOPT it must refuse"
touch "$TB_WORK/done"
wait "$HOLDER_PID" || tb_fail "root's program failed: $(cat "$TB_WORK/holder.log")"
tb_say "ok: a request before its socket's ADOPT waits for it; ADOPTs not reserved or of another user refused"
testbed_test_end
