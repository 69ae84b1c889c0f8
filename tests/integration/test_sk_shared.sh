#!/bin/bash
# SPDX-License-Identifier: MIT
# State the kernel keeps in struct sock is the socket's, whoever holds it:
# a UDP socket's SO_PEEK_OFF position, its sk_stamp (SIOCGSTAMP) and its own
# IP options, set or moved by one process and used by another that got the
# socket by fork, by exec (pass_fds) or by SCM_RIGHTS. The interposers
# share them through the socket's page (SHIM_SO_SKSTATE). Each case runs
# natively and under the shim, and the outputs must be the same.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin sk_shared
testbed_native_up || tb_fail "cannot build the native namespace"

testbed_udp_echo 7104 || tb_fail "the peer's echo does not listen"

# The other process's part: argv = fd or socket of the fds, addr, how, what, [stamp].
cat >"$TB_WORK/part.py" <<'PY'
import array, errno, fcntl, functools, socket, struct, sys
print = functools.partial(print, flush=True)
SO_PEEK_OFF, SIOCGSTAMP = 42, 0x8906

def off(s):
    return s.getsockopt(socket.SOL_SOCKET, SO_PEEK_OFF)

def stamp(s):
    try:
        return fcntl.ioctl(s.fileno(), SIOCGSTAMP, bytes(16)).hex()
    except OSError as ex:
        return errno.errorcode[ex.errno]

def outcome(f):
    try:
        return repr(f())
    except OSError as ex:
        return errno.errorcode[ex.errno]

def part(s, how, what, extra):
    if what == "peek":
        print(how, "other: offset", off(s))
        print(how, "other: peek", s.recv(10, socket.MSG_PEEK), "offset", off(s))
    elif what == "stamp":
        print(how, "other: stamp", "the first's" if stamp(s) == extra else stamp(s))
    elif what == "options":
        print(how, "other: sendto 0.0.0.0", outcome(lambda: s.sendto(b"x", ("0.0.0.0", 9))))

if __name__ == "__main__":
    fd, how, what = int(sys.argv[1]), sys.argv[3], sys.argv[4]
    if how == "rights":
        u = socket.socket(fileno=fd)
        _, anc, _, _ = u.recvmsg(1, socket.CMSG_SPACE(4))
        fds = array.array("i")
        fds.frombytes(anc[0][2][:4])
        fd = fds[0]
    s = socket.socket(fileno=fd)
    part(s, how, what, sys.argv[5] if len(sys.argv) > 5 else "")
    s.detach()
PY

cat >"$TB_WORK/client.py" <<'PY'
import os, socket, struct, subprocess, sys
sys.path.insert(0, os.path.dirname(sys.argv[0]))
import part as P
addr = sys.argv[1]
me = os.path.join(os.path.dirname(sys.argv[0]), "part.py")
print = P.print

def other(s, how, what, extra=""):
    if how == "fork":
        pid = os.fork()
        if pid == 0:
            P.part(s, how, what, extra)
            os._exit(0)
        os.waitpid(pid, 0)
    elif how == "exec":
        subprocess.run([sys.executable, me, str(s.fileno()), addr, how, what, extra],
                       pass_fds=[s.fileno()], check=True)
    else:
        a, b = socket.socketpair()
        child = subprocess.Popen([sys.executable, me, str(b.fileno()), addr, how, what, extra],
                                 pass_fds=[b.fileno()])
        b.close()
        socket.send_fds(a, [b"s"], [s.fileno()])
        child.wait()
        a.close()

def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 10, 0))
    s.connect((addr, 7104))
    return s

for how in ("fork", "exec", "rights"):
    # The offset: set and moved here, read and moved there, then here again.
    s = udp()
    s.setsockopt(socket.SOL_SOCKET, P.SO_PEEK_OFF, 0)
    s.send(b"aaaa")
    s.send(b"bbbb")
    print(how, "first: peek", s.recv(10, socket.MSG_PEEK), "offset", P.off(s))
    other(s, how, "peek")
    print(how, "first: offset", P.off(s))
    print(how, "first: recv", s.recv(10), "offset", P.off(s))
    print(how, "first: recv", s.recv(10), "offset", P.off(s))
    s.close()
    # sk_stamp: the arrival time of the datagram read here.
    s = udp()
    print(how, "first: stamp before", P.stamp(s))
    s.send(b"c")
    print(how, "first: recv", s.recv(10))
    t = P.stamp(s)
    other(s, how, "stamp", t)
    print(how, "first: stamp again", "the same" if P.stamp(s) == t else "differs")
    s.close()
    # The socket's own options: a source route needs a destination.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_IP, socket.IP_OPTIONS, b"\x83\x07\x04" + socket.inet_aton(addr) + b"\x01")
    other(s, how, "options")
    s.close()
PY

testbed_native_vs_shim "$TB_WORK/client.py"
sed 's/^/  native: /' "$TB_WORK/native"
grep -q "^exec other: offset 4$" "$TB_WORK/native" && grep -q "^exec other: stamp the first's$" "$TB_WORK/native" ||
	tb_fail "the kernel did not share the state: the test proves nothing"
tb_say "ok: $(wc -l <"$TB_WORK/native") answers as Linux's"
testbed_test_end
