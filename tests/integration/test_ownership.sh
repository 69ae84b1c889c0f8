#!/bin/bash
# SPDX-License-Identifier: MIT
# One user cannot act on another user's sockets through a shared stack host.
# Root's host serves everyone in the namespace; root runs a download (curl),
# a TCP listener on port 80 and a connected UDP socket under the shim. Then
# uid 65534, itself under the shim (its own UDP socket works), speaks the
# control contract by hand (tests/integration/ctl_client.py) and tries every
# request about every socket id it did not create: read its name or error,
# shut it down, set and get options, connect it elsewhere, bind, listen,
# ioctl, close; each without an fd and with its own socket's fd as the
# "proof". Every one must be refused with EBADF. It also tries the kernel
# paths: connecting to or sending to root's pair ends by their names, and
# injecting a connection into root's listener from a forged handover name.
# Afterwards root's download must be intact, the kernel peer must reach
# root's own listener, and root's UDP socket must still be connected to the
# peer and receive from it.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin ownership

command -v setpriv >/dev/null || tb_fail "setpriv (util-linux) is missing"
mkdir "$TB_WORK/www" && head -c $((10 * 1024 * 1024)) /dev/urandom >"$TB_WORK/www/file" ||
	tb_fail "cannot write the test file"
cp "$SOCKSHIM_SOURCE_DIR/tests/integration/ctl_client.py" "$TB_WORK/"
testbed_peer "$TB_PY" -m http.server 8080 --bind "$TB_PEER_ADDR" --directory "$TB_WORK/www" \
	>"$TB_WORK/server.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 8080 10 || tb_fail "the kernel-side http server did not start"

tb_say "root: curl (rate-limited, so it is running during the attack), a listener on :80, UDP :5353 connected to the peer"
testbed_shim curl -sS --max-time 120 --limit-rate 2M -o "$TB_WORK/fetched" \
	"http://$TB_PEER_ADDR:8080/file" >"$TB_WORK/curl.log" 2>&1 &
curl_pid=$!
cat >"$TB_WORK/victim.py" <<'PY'
import os, socket, sys
work, peer = sys.argv[1], sys.argv[2]
l = socket.socket(); l.bind(("0.0.0.0", 80)); l.listen(4)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 5353)); u.connect((peer, 9999))
open(work + "/victim.ready", "w").close()
l.settimeout(60)
c, a = l.accept()
print("accepted from", a[0], c.recv(100).decode().strip(), flush=True)
c.sendall(b"root-served\n"); c.close()
print("udp peer", u.getpeername(), flush=True)
u.settimeout(60)
print("udp got", u.recv(100).decode().strip(), flush=True)
PY
testbed_shim "$TB_PY" "$TB_WORK/victim.py" "$TB_WORK" "$TB_PEER_ADDR" >"$TB_WORK/victim.log" 2>&1 &
victim=$!
for _ in $(seq 1 100); do
	[ -e "$TB_WORK/victim.ready" ] && [ -s "$TB_WORK/fetched" ] && break
	sleep 0.1
done
[ -e "$TB_WORK/victim.ready" ] || tb_fail "root's listener and UDP socket did not come up"
[ -s "$TB_WORK/fetched" ] || tb_fail "root's download did not start"

cat >"$TB_WORK/attacker.py" <<'PY'
import errno, os, re, socket, struct, sys
from ctl_client import Ctl, sin
iface, addr = sys.argv[1], sys.argv[2]
# Its own socket through the shim, the ordinary way: it is served.
own = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); own.bind(("0.0.0.0", 0))
print("own socket bound to port", own.getsockname()[1] > 0)
c = Ctl(iface, addr)
assert c.hello()
ret, own_id, _, own_fd = c.call("CREATE", 0, socket.SOCK_DGRAM, 0)
assert ret == 0 and own_fd is not None
SOL_SOCKET, SO_RCVBUF, SIOCINQ = socket.SOL_SOCKET, socket.SO_RCVBUF, 0x541B
attempts = [
    ("GETNAME", (1,), b""), ("GETERR", (), b""), ("SHUTDOWN", (socket.SHUT_RDWR,), b""),
    ("SETSOCKOPT", (SOL_SOCKET, SO_RCVBUF, 4), struct.pack("i", 4096)),
    ("GETSOCKOPT", (SOL_SOCKET, SO_RCVBUF, 4), b""), ("CONNECT", (16, sin(7, "10.99.0.66"), 0, 0), b""),
    ("BIND", (16, sin(0)), b""), ("LISTEN", (5,), b""), ("IOCTL", (SIOCINQ, 0), b""),
]
tried = refused = 0
for sid in range(1, own_id + 8):
    if sid == own_id:
        continue
    for proof in ((), (own_fd,)):
        for name, fields, value in attempts:
            r = c.call(name, sid, *fields, value=value, fds=proof)
            tried += 1
            if r is not None and r[0] == -errno.EBADF:
                refused += 1
            else:
                print("NOT REFUSED: %s id %d proof %s -> %r" % (name, sid, proof, r and r[0]))
for sid in range(1, own_id):
    c.call("CLOSE", sid)
print("control requests refused", refused, "of", tried)
# The host is still serving this client after all that.
print("own getname after", c.call("GETNAME", own_id, 0, fds=[own_fd])[0] == 0)
# Kernel paths: root's pair ends by name, and a forged handover into root's listener.
names = re.findall(r"@(sockshim/[als]/\d+/\d+/[0-9a-f]{16})", open("/proc/net/unix").read())
print("names of root's sockets found", len(names))
reached = 0
for n in names:
    kind = n.split("/")[1]
    for t in (socket.SOCK_STREAM, socket.SOCK_SEQPACKET, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_UNIX, t)
        try:
            if t == socket.SOCK_DGRAM:
                s.sendto(b"x" * 40, ("\0" + n).encode())
                reached += 1
                print("REACHED by datagram:", n)
            elif kind != "l":
                s.connect(("\0" + n).encode())
                reached += 1
                print("REACHED by connect:", n)
        except OSError:
            pass
        s.close()
print("pair ends reached", reached)
host_pid = [n for n in names if n.startswith("sockshim/l/")][0].split("/")[2]
inj = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
inj.bind(("\0sockshim/s/%s/4000000000/0123456789abcdef" % host_pid).encode())
for n in names:
    if n.startswith("sockshim/l/"):
        inj.connect(("\0" + n).encode())
        print("injected into", n.split("/")[0] == "sockshim", flush=True)
        try:
            inj.sendall(b"forged\n")
        except OSError:
            pass  # root's accept() already dropped it
        break
open(sys.argv[3], "w").close()
inj.settimeout(30)
try:
    data = inj.recv(100)
    print("injected connection answered:", data if data else "nothing (EOF)")
except OSError as e:
    print("injected connection answered: nothing (%s)" % type(e).__name__)
PY
chmod 777 "$TB_WORK" && chmod 644 "$TB_WORK"/*.py
tb_say "uid 65534 under the shim: every request it can craft about root's sockets"
testbed_shim setpriv --reuid=65534 --regid=65534 --clear-groups \
	env CTL_LAYOUT="$SOCKSHIM_BUILD_DIR/tests/ctl_layout" PYTHONPATH="$TB_WORK" \
	"$TB_PY" "$TB_WORK/attacker.py" "$TB_IF_SHIM" "$TB_SHIM_ADDR" "$TB_WORK/attack.done" \
	>"$TB_WORK/attacker.log" 2>&1 &
attacker=$!
for _ in $(seq 1 300); do
	[ -e "$TB_WORK/attack.done" ] && break
	kill -0 "$attacker" 2>/dev/null || break
	sleep 0.1
done
[ -e "$TB_WORK/attack.done" ] || tb_fail "the attacker did not finish: $(tail -n 3 "$TB_WORK/attacker.log")"
sed 's/^/  attacker: /' "$TB_WORK/attacker.log"
grep -q "^own socket bound to port True" "$TB_WORK/attacker.log" ||
	tb_fail "uid 65534's own socket under the shim did not work"
grep -q "NOT REFUSED\|REACHED" "$TB_WORK/attacker.log" && tb_fail "a request about root's socket was not refused"
grep -Eq "^control requests refused ([0-9]+) of \1$" "$TB_WORK/attacker.log" ||
	tb_fail "not every crafted request was refused"
grep -Eq "^control requests refused [1-9][0-9]* " "$TB_WORK/attacker.log" || tb_fail "no request was tried"
grep -q "^own getname after True" "$TB_WORK/attacker.log" || tb_fail "the host stopped serving"
grep -Eq "^names of root's sockets found [1-9]" "$TB_WORK/attacker.log" ||
	tb_fail "the attacker found none of root's socket names to try"
grep -q "^pair ends reached 0" "$TB_WORK/attacker.log" || tb_fail "root's pair ends were reachable"
grep -q "^injected into True" "$TB_WORK/attacker.log" || tb_fail "the injection was not even attempted"

tb_say "kernel peer: connects to root's listener and sends root's UDP socket a datagram"
answer=$(testbed_peer "$TB_PY" -c 'import socket, sys
c = socket.create_connection((sys.argv[1], 80), timeout=20); c.sendall(b"peer\n")
print(c.recv(100).decode().strip())
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((sys.argv[2], 9999))
u.sendto(b"from-peer", (sys.argv[1], 5353))' "$TB_SHIM_ADDR" "$TB_PEER_ADDR" 2>&1)
[ "$answer" = root-served ] || tb_fail "the peer's connection was not served by root (got '$answer')"
wait "$victim" || tb_fail "root's listener/UDP program failed: $(cat "$TB_WORK/victim.log")"
sed 's/^/  root: /' "$TB_WORK/victim.log"
grep -q "^accepted from $TB_PEER_ADDR peer$" "$TB_WORK/victim.log" ||
	tb_fail "root's accept() returned something other than the peer's connection"
grep -q "^udp peer ('$TB_PEER_ADDR', 9999)$" "$TB_WORK/victim.log" ||
	tb_fail "root's UDP socket was redirected"
grep -q "^udp got from-peer$" "$TB_WORK/victim.log" || tb_fail "root's UDP socket lost the peer's datagram"
wait "$attacker"
grep -q "^injected connection answered: nothing" "$TB_WORK/attacker.log" ||
	tb_fail "root's program answered the injected connection"

wait "$curl_pid" || tb_fail "root's curl failed: $(cat "$TB_WORK/curl.log")"
want=$(testbed_sha256 "$TB_WORK/www/file")
got=$(testbed_sha256 "$TB_WORK/fetched")
[ "$want" = "$got" ] || tb_fail "root's download differs: served $want, fetched $got"
tb_say "ok: every crafted request refused (EBADF), root's download intact, its listener and UDP socket its own"
testbed_test_end
