#!/bin/bash
# SPDX-License-Identifier: MIT
# One user cannot exhaust a stack host it shares with others. Root starts the
# host with small budgets (SOCKSHIM_USER_SOCKETS=40, SOCKSHIM_USER_MEM=24 MiB:
# room for 40 sockets with default buffers). uid 65534, under the shim,
# opens UDP sockets until socket() fails: with its control connection
# counted, the 40th must fail with EMFILE (as at a process's fd limit), and
# a new control connection of its own is refused. While it holds its 39,
# uid 65533 still gets sockets and a connection, and root still downloads.
# Then uid 65534 closes them and asks for buffers instead: sockets with the
# largest SO_SNDBUF/SO_RCVBUF it may set, until socket() fails with
# ENOBUFS, before its socket count is reached. After it closes those, it
# gets sockets again.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin user_limits

command -v setpriv >/dev/null || tb_fail "setpriv (util-linux) is missing"
chmod 777 "$TB_WORK" # the unprivileged programs leave their marks here
mkdir "$TB_WORK/www" && head -c $((1024 * 1024)) /dev/urandom >"$TB_WORK/www/file" ||
	tb_fail "cannot write the test file"
chmod 755 "$TB_WORK/www" && chmod 644 "$TB_WORK/www/file"
testbed_peer "$TB_PY" -m http.server 8080 --bind "$TB_PEER_ADDR" --directory "$TB_WORK/www" \
	>"$TB_WORK/server.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 8080 10 || tb_fail "the kernel-side http server did not start"

tb_say "root starts the host with SOCKSHIM_USER_SOCKETS=40 SOCKSHIM_USER_MEM=25165824"
. "$SOCKSHIM_SOURCE_DIR/tests/integration/lib_holder.sh"
SOCKSHIM_USER_SOCKETS=40 SOCKSHIM_USER_MEM=25165824 holder_start "$TB_WORK/all.done" "$TB_WORK/holder.log"

cat >"$TB_WORK/hog.py" <<'PY'
import errno, os, socket, sys, time
work = sys.argv[1]
def fill(big):
    socks = []
    while len(socks) < 1000:
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        except OSError as e:
            return socks, errno.errorcode[e.errno]
        if big:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        socks.append(s)
    return socks, "no limit"
socks, err = fill(False)
print("sockets", len(socks), err, flush=True)
open(work + "/hog.full", "w").close()
while not os.path.exists(work + "/others.done"):
    time.sleep(0.05)
for s in socks:
    s.close()
# The host learns of datagram closes by asking the kernel when a budget runs out.
socks, err = fill(True)
print("big sockets", len(socks), err, flush=True)
for s in socks:
    s.close()
socks, err = fill(False)
print("after closing", len(socks), err, flush=True)
PY
chmod 644 "$TB_WORK/hog.py"
tb_say "uid 65534 opens sockets until it cannot"
testbed_shim setpriv --reuid=65534 --regid=65534 --clear-groups "$TB_PY" "$TB_WORK/hog.py" \
	"$TB_WORK" >"$TB_WORK/hog.log" 2>&1 &
hog=$!
for _ in $(seq 1 300); do
	[ -e "$TB_WORK/hog.full" ] && break
	kill -0 "$hog" 2>/dev/null || break
	sleep 0.1
done
[ -e "$TB_WORK/hog.full" ] || tb_fail "uid 65534 did not fill its budget: $(cat "$TB_WORK/hog.log")"
grep -q "^sockets 39 EMFILE$" "$TB_WORK/hog.log" ||
	tb_fail "want 39 sockets (its control connection is the 40th fd) then EMFILE for uid 65534: $(head -n 1 "$TB_WORK/hog.log")"
tb_say "uid 65534 at its budget: a new control connection of its own is closed unanswered"
cp "$SOCKSHIM_SOURCE_DIR/tests/integration/ctl_client.py" "$TB_WORK/" && chmod 644 "$TB_WORK/ctl_client.py"
conn_try() {
	ip netns exec "$TB_NS_SHIM" setpriv --reuid="$1" --regid="$1" --clear-groups \
		env CTL_LAYOUT="$SOCKSHIM_BUILD_DIR/tests/ctl_layout" PYTHONPATH="$TB_WORK" "$TB_PY" -c '
import sys
from ctl_client import Ctl
try:
    print("hello", Ctl(sys.argv[1], sys.argv[2]).hello())
except OSError:
    print("hello False")' "$TB_IF_SHIM" "$TB_SHIM_ADDR"
}
[ "$(conn_try 65534)" = "hello False" ] || tb_fail "uid 65534 got a control connection past its budget"
[ "$(conn_try 65533)" = "hello True" ] || tb_fail "uid 65533 was refused a control connection"

tb_say "meanwhile uid 65533 opens 20 sockets and root downloads 1 MiB"
testbed_shim setpriv --reuid=65533 --regid=65533 --clear-groups "$TB_PY" -c 'import socket
print("other user", len([socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(20)]))' \
	>"$TB_WORK/other.log" 2>&1 || tb_fail "uid 65533 was refused: $(cat "$TB_WORK/other.log")"
grep -q "^other user 20$" "$TB_WORK/other.log" || tb_fail "uid 65533 did not get its sockets"
testbed_shim curl -sS --max-time 60 -o "$TB_WORK/fetched" "http://$TB_PEER_ADDR:8080/file" \
	>"$TB_WORK/curl.log" 2>&1 || tb_fail "root's curl failed while uid 65534 was at its limit"
[ "$(testbed_sha256 "$TB_WORK/www/file")" = "$(testbed_sha256 "$TB_WORK/fetched")" ] ||
	tb_fail "root's download differs"
touch "$TB_WORK/others.done"
wait "$hog" || tb_fail "uid 65534's program failed: $(cat "$TB_WORK/hog.log")"
sed 's/^/  uid 65534: /' "$TB_WORK/hog.log"
big=$(sed -n 's/^big sockets \([0-9]*\) ENOBUFS$/\1/p' "$TB_WORK/hog.log")
[ -n "$big" ] && [ "$big" -ge 1 ] && [ "$big" -lt 40 ] ||
	tb_fail "want ENOBUFS after a few sockets with large buffers, before the socket limit"
grep -q "^after closing 39 EMFILE$" "$TB_WORK/hog.log" ||
	tb_fail "uid 65534 did not get its budget back after closing its sockets"
touch "$TB_WORK/all.done"
wait "$HOLDER_PID"
tb_say "ok: EMFILE and ENOBUFS for the user over its budget only; the others were served"
testbed_test_end
