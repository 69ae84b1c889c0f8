#!/bin/bash
# SPDX-License-Identifier: MIT
# A program that dies mid-transfer (kill -9) closes its sockets as the
# kernel would close them for it: the kernel peer, which was sending it data
# it had not read, must see the connection end (RST, as the kernel sends
# when unread data is dropped at close; or at least FIN) promptly. The peer
# waits at most 10 s and reports how long it took.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin program_killed

cat >"$TB_WORK/peer.py" <<'PY'
import errno, os, socket, sys, threading, time
addr, work = sys.argv[1], sys.argv[2]
l = socket.socket(); l.bind((addr, 8080)); l.listen(1)
c, _ = l.accept()
sent, seen = [0], []
# A RST wakes whichever call is blocked first (often the send), which takes the error.
def push():
    try:
        while True:
            sent[0] += c.send(b"y" * 65536)
    except OSError as e:
        seen.append(e.errno)
threading.Thread(target=push, daemon=True).start()
# Eight times what the program reads: the rest is unread at the kill. Not
# more: what the path takes (the peer's send buffer, the stack's window and
# the pair) is 2-4 MiB but depends on how the buffers grew before the
# program stopped reading.
while sent[0] < 1 << 19:
    time.sleep(0.01)
open(work + "/flowing", "w").close()
while not os.path.exists(work + "/killed"):
    time.sleep(0.01)
t = time.monotonic()
c.settimeout(10)
try:
    while c.recv(65536):
        pass
    seen.append(0)
except socket.timeout:
    print("peer saw nothing within 10 s")
    sys.exit(1)
except OSError as e:
    seen.append(e.errno)
print("peer saw", "RST" if errno.ECONNRESET in seen else "FIN" if 0 in seen else seen)
print("after %.2f s" % (time.monotonic() - t))
PY
testbed_peer "$TB_PY" "$TB_WORK/peer.py" "$TB_PEER_ADDR" "$TB_WORK" >"$TB_WORK/peer.log" 2>&1 &
peer=$!
testbed_wait_listen "$TB_NS_PEER" tcp 8080 10 || tb_fail "the kernel-side sender did not start"

tb_say "shim side: a program reads 64 KiB of the peer's stream, then stops reading"
testbed_shim "$TB_PY" -c 'import os, socket, sys, time
s = socket.create_connection((sys.argv[1], 8080), timeout=30)
got = 0
while got < 65536:
    got += len(s.recv(65536))
print("reading stopped, pid", os.getpid(), flush=True)
time.sleep(300)' "$TB_PEER_ADDR" >"$TB_WORK/program.log" 2>&1 &
for _ in $(seq 1 300); do
	[ -e "$TB_WORK/flowing" ] && grep -q "reading stopped" "$TB_WORK/program.log" && break
	sleep 0.1
done
[ -e "$TB_WORK/flowing" ] || tb_fail "the peer could not send 512 KiB to the program"
grep -q "reading stopped" "$TB_WORK/program.log" || tb_fail "the program did not start reading"
victim=$(sed -n 's/^reading stopped, pid \([0-9]*\)$/\1/p' "$TB_WORK/program.log")
[ -n "$victim" ] || tb_fail "cannot find the program's pid"
tb_say "kill -9 of the program (pid $victim) with unread data in its socket"
kill -9 $victim
touch "$TB_WORK/killed"
wait "$peer" || tb_fail "the peer never saw the connection end: $(cat "$TB_WORK/peer.log")"
sed 's/^/  peer: /' "$TB_WORK/peer.log"
grep -Eq "^peer saw (RST|FIN)$" "$TB_WORK/peer.log" || tb_fail "the peer saw neither RST nor FIN"
grep -q "^peer saw RST$" "$TB_WORK/peer.log" ||
	tb_fail "the kernel resets a connection closed with unread data; the stack sent FIN"
tb_say "ok: the dead program's connection was reset, as the kernel does"
testbed_test_end
