#!/bin/bash
# SPDX-License-Identifier: MIT
# When the stack host dies (kill -9), a program's connection on it must fail
# the way a reset does, not end in a clean EOF that would pass a truncated
# transfer for a whole one: a recv() blocked on the connection returns
# ECONNRESET, a send() after it fails too, and the program's next socket()
# starts a new host that serves it. The sockets of the dead host answer as
# the kernel's do when their stack goes away under them, which this test
# learns from the kernel itself in the same run (in the peer's namespace):
# a blocked UDP recv() and a blocked accept() as on sockets destroyed with
# `ss -K` (SOCK_DESTROY: ECONNABORTED and EINVAL; a non-blocking accept()
# after it too), a later UDP send as a
# sendto() with no route (ENETUNREACH). The kernel peer sends 256 KiB and
# then holds the connection open, so a clean EOF can only come from the shim.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin host_killed

testbed_peer "$TB_PY" -c 'import socket, sys, threading
def serve(c):
    c.sendall(b"x" * 262144)
    c.settimeout(120)
    try:
        while c.recv(4096):
            pass
    except OSError:
        pass
    c.close()
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], 8080)); l.listen(4)
while True:
    threading.Thread(target=serve, args=(l.accept()[0],), daemon=True).start()' \
	"$TB_PEER_ADDR" >"$TB_WORK/server.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 8080 10 || tb_fail "the kernel-side server did not start"

# The kernel's answers: a UDP socket and a listener destroyed while a thread
# blocks on each, and a send with no route to its destination.
cat >"$TB_WORK/oracle.py" <<'PY'
import errno, socket, subprocess, threading, time
def blocked(call, out):
    try:
        call()
        out.append("returned")
    except OSError as e:
        out.append("error " + errno.errorcode[e.errno])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 5354))
l = socket.socket()
l.bind(("127.0.0.1", 9091))
l.listen(4)
res_u, res_l = [], []
threads = [threading.Thread(target=blocked, args=(lambda: u.recv(100), res_u), daemon=True),
           threading.Thread(target=blocked, args=(l.accept, res_l), daemon=True)]
for t in threads:
    t.start()
# ss -K destroys what it lists; retry until both threads have come back.
deadline = time.monotonic() + 30
while (not res_u or not res_l) and time.monotonic() < deadline:
    subprocess.run(["ss", "-K", "-a", "-t", "-u", "( sport = :5354 or sport = :9091 )"],
                   capture_output=True)
    for t in threads:
        t.join(0.2)
print("udp recv", res_u[0] if res_u else "still blocked")
print("accept", res_l[0] if res_l else "still blocked")
l.setblocking(False)
res_nb = []
blocked(l.accept, res_nb)
print("nonblocking accept", res_nb[0])
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("10.123.0.1", 5353))
    print("udp send ok")
except OSError as e:
    print("udp send error", errno.errorcode[e.errno])
PY
testbed_peer "$TB_PY" "$TB_WORK/oracle.py" >"$TB_WORK/oracle.log" 2>&1 ||
	tb_fail "the kernel oracle failed: $(cat "$TB_WORK/oracle.log")"
sed 's/^/  kernel: /' "$TB_WORK/oracle.log"
k_udp_recv=$(sed -n 's/^udp recv //p' "$TB_WORK/oracle.log")
k_accept=$(sed -n 's/^accept //p' "$TB_WORK/oracle.log")
k_accept_nb=$(sed -n 's/^nonblocking accept //p' "$TB_WORK/oracle.log")
k_udp_send=$(sed -n 's/^udp send //p' "$TB_WORK/oracle.log")
case "$k_udp_recv $k_accept $k_accept_nb $k_udp_send" in
*blocked* | *" ok"* | *returned*) tb_fail "the kernel gave no error to compare with" ;;
esac

cat >"$TB_WORK/reader.py" <<'PY'
import errno, socket, sys, threading, time
peer, ready = sys.argv[1], sys.argv[2]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("0.0.0.0", 5353))
udp = []
def udp_wait():
    try:
        udp.append("returned %d bytes" % len(u.recv(100)))
    except OSError as e:
        udp.append("error " + errno.errorcode[e.errno])
t_udp = threading.Thread(target=udp_wait, daemon=True)
t_udp.start()
l = socket.socket()
l.bind(("0.0.0.0", 9090))
l.listen(4)
acc = []
def accept_wait():
    try:
        acc.append("returned a connection from %s" % (l.accept()[1],))
    except OSError as e:
        acc.append("error " + errno.errorcode[e.errno])
t_acc = threading.Thread(target=accept_wait, daemon=True)
t_acc.start()
s = socket.create_connection((peer, 8080), timeout=60)
s.settimeout(None)
got = 0
while got < 262144:
    d = s.recv(65536)
    if not d:
        print("EOF after", got, "bytes, before the host was killed")
        sys.exit(1)
    got += len(d)
open(ready, "w").close()
print("got", got, "bytes", flush=True)
t = time.monotonic()
try:
    d = s.recv(65536)
    print("recv returned", len(d), "bytes")
except OSError as e:
    print("recv error", errno.errorcode[e.errno])
print("recv came back after %.1f s" % (time.monotonic() - t), flush=True)
t_udp.join(60)
print("udp recv", udp[0] if udp else "still blocked after 60 s", flush=True)
t_acc.join(60)
print("accept", acc[0] if acc else "still blocked after 60 s", flush=True)
l.setblocking(False)
try:
    l.accept()
    print("nonblocking accept returned")
except OSError as e:
    print("nonblocking accept error", errno.errorcode[e.errno])
try:
    u.sendto(b"x", (peer, 5353))
    print("udp send ok")
except OSError as e:
    print("udp send error", errno.errorcode[e.errno])
try:
    s.send(b"more")
    print("send ok")
except OSError as e:
    print("send error", errno.errorcode[e.errno])
s2 = socket.create_connection((peer, 8080), timeout=60)
print("new connection", len(s2.recv(65536)) > 0)
PY
tb_say "shim side: a reader takes 256 KiB, then blocks in recv()"
testbed_shim timeout 120 "$TB_PY" "$TB_WORK/reader.py" "$TB_PEER_ADDR" "$TB_WORK/ready" \
	>"$TB_WORK/reader.log" 2>&1 &
reader=$!
for _ in $(seq 1 300); do
	[ -e "$TB_WORK/ready" ] && break
	kill -0 "$reader" 2>/dev/null || break
	sleep 0.1
done
[ -e "$TB_WORK/ready" ] || tb_fail "the reader did not get its 256 KiB: $(cat "$TB_WORK/reader.log")"
old=$(testbed_stackd_pids)
[ -n "$old" ] || tb_fail "no stack host is running"
tb_say "kill -9 of the stack host (pid $old)"
kill -9 $old
wait "$reader" || tb_fail "the reader failed or hung (status $?): $(cat "$TB_WORK/reader.log")"
sed 's/^/  reader: /' "$TB_WORK/reader.log"
grep -q "^recv error ECONNRESET$" "$TB_WORK/reader.log" ||
	tb_fail "the blocked recv() must fail with ECONNRESET when its host dies"
grep -q "^send error " "$TB_WORK/reader.log" || tb_fail "a send() on the dead host's connection worked"
grep -qx "udp recv $k_udp_recv" "$TB_WORK/reader.log" ||
	tb_fail "a UDP recv() blocked on the dead host's socket must fail as the kernel's destroyed one ($k_udp_recv)"
grep -qx "accept $k_accept" "$TB_WORK/reader.log" ||
	tb_fail "an accept() blocked on the dead host's listener must fail as the kernel's destroyed one ($k_accept)"
grep -qx "nonblocking accept $k_accept_nb" "$TB_WORK/reader.log" ||
	tb_fail "a non-blocking accept() on the dead host's listener must fail as the kernel's destroyed one ($k_accept_nb)"
grep -qx "udp send $k_udp_send" "$TB_WORK/reader.log" ||
	tb_fail "a UDP send on the dead host's socket must fail as the kernel's with no route ($k_udp_send)"
grep -q "^new connection True$" "$TB_WORK/reader.log" || tb_fail "the next socket() was not served"
new=$(testbed_stackd_pids)
[ -n "$new" ] && [ "$new" != "$old" ] || tb_fail "no new stack host started (was $old, now '$new')"
tb_say "ok: reset seen, and a new host (pid $new) serves the next socket"
# Two hosts ran, one after the other, by design: the usual one-host check does not apply.
testbed_check_kernel_silent
echo "PASS $TB_TEST"
