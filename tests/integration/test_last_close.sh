#!/bin/bash
# SPDX-License-Identifier: MIT
# The last close() of a socket sends its FIN at once (tcp_close), also when
# the socket was connected again while another process held it: under the
# shim the host then keeps a copy of the new pair's end for holders of the
# old one, and must hear the last close, not find it at its next look.
# Orders, not times: the process that closes last then connects a second
# connection to the same peer, which, when it accepts that one, must find
# the first one's FIN already there. Cases: the fork child holding the old
# end closes last (after the parent closed the new one), and the parent
# closes the new end last (after the child closed the old one); the child
# forked while the socket was connected (it never saw that connection end:
# the parent disconnected it with connect(AF_UNSPEC)) or after its connect
# was refused; and the child holding the old end goes last without close()
# (it exits, or is killed: the kernel closes its fds, and the FIN is there
# by the time waitpid() returns). Natively and under the shim in the same run.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin last_close
testbed_native_up || tb_fail "cannot build the native namespace"

# The peer on 8086: connections come in pairs; at the second's accept it
# says whether the first one's FIN had come, and closes both.
testbed_peer_tcp_servers 8086=pair || tb_fail "the peer does not listen on 8086"
testbed_tcp_sink 8085 || tb_fail "the peer's sink does not listen on 8085"

cp "$(dirname "$0")/probe.py" "$TB_WORK/" || tb_fail "no probe.py"
cat >"$TB_WORK/client.py" <<'PY'
import functools, os, signal, socket, sys
from probe import disconnect, name
print = functools.partial(print, flush=True)
signal.alarm(60)
addr = sys.argv[1]

def next_says():
    """A second connection to the peer: what it saw of the first's end then."""
    t = socket.create_connection((addr, 8086))
    got = t.recv(10).decode()
    t.close()
    return got

def case(what, child_last, connected):
    s = socket.socket()
    print(what, "first connect", name(s.connect_ex((addr, 8085 if connected else 8082))))
    go_r, go_w = os.pipe()
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(go_w)
        os.close(done_r)
        os.read(go_r, 1)
        s.close()
        if child_last:
            print(what, "child closed last, peer saw", next_says())
        os.write(done_w, b"x")
        os._exit(0)
    os.close(go_r)
    os.close(done_w)
    if connected:
        print(what, "disconnect", disconnect(s.fileno()))
    print(what, "connect again", name(s.connect_ex((addr, 8086))))
    if child_last:
        s.close()
        os.write(go_w, b"x")
        os.read(done_r, 1)
    else:
        os.write(go_w, b"x")
        os.read(done_r, 1)
        s.close()
        print(what, "parent closed last, peer saw", next_says())
    os.waitpid(pid, 0)
    os.close(go_w)
    os.close(done_r)

def gone(what, connected, how):
    """The child holding the old end goes last without close(): it exits or
    is killed (the kernel closes its fds then); after waitpid, the FIN."""
    s = socket.socket()
    print(what, "first connect", name(s.connect_ex((addr, 8085 if connected else 8082))))
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(go_w)
        os.read(go_r, 1)
        os._exit(0)
    os.close(go_r)
    if connected:
        print(what, "disconnect", disconnect(s.fileno()))
    print(what, "connect again", name(s.connect_ex((addr, 8086))))
    s.close()
    if how == "kill":
        os.kill(pid, signal.SIGKILL)
    else:
        os.write(go_w, b"x")
    os.waitpid(pid, 0)
    print(what, "child gone last, peer saw", next_says())
    os.close(go_w)

for connected in (True, False):
    for child_last in (True, False):
        case("%s child_last=%s" % ("connected" if connected else "refused", child_last),
             child_last, connected)
    for how in ("exit", "kill"):
        gone("%s child %s" % ("connected" if connected else "refused", how), connected, how)

# The plain case: one holder, its close then the next connection.
s = socket.socket()
s.connect((addr, 8086))
s.close()
print("plain peer saw", next_says())
PY

testbed_native_vs_shim "$TB_WORK/client.py"
sed 's/^/  native: /' "$TB_WORK/native"
[ "$(grep -c 'peer saw fin$' "$TB_WORK/native")" = 9 ] ||
	tb_fail "natively the peer did not see each FIN first: the test proves nothing"
tb_say "ok: $(wc -l <"$TB_WORK/native") answers as Linux's"
testbed_test_end
