#!/bin/bash
# SPDX-License-Identifier: MIT
# One program that stops reading must not stall the others on the same stack
# host. A shim'd program connects to a kernel-side sender and never reads:
# its pair fills, then its TCP receive window closes. Meanwhile a second
# program, curl under the shim, downloads 10 MiB through the same host; it
# must finish intact while the first connection stays stuck (the sender
# confirms it is blocked, having sent more than the pair and the window hold).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin full_pair

mkdir "$TB_WORK/www" && head -c $((10 * 1024 * 1024)) /dev/urandom >"$TB_WORK/www/file" ||
	tb_fail "cannot write the test file"
testbed_peer "$TB_PY" -m http.server 8081 --bind "$TB_PEER_ADDR" --directory "$TB_WORK/www" \
	>"$TB_WORK/server.log" 2>&1 &
cat >"$TB_WORK/sender.py" <<'PY'
import os, socket, sys, time
addr, work = sys.argv[1], sys.argv[2]
l = socket.socket(); l.bind((addr, 8080)); l.listen(1)
c, _ = l.accept()
c.setblocking(False)
sent, last = 0, time.monotonic()
# Send until nothing has gone out for a second: the receiver's window is shut.
while time.monotonic() - last < 1:
    try:
        sent += c.send(b"z" * 65536)
        last = time.monotonic()
    except BlockingIOError:
        time.sleep(0.01)
print("sender blocked after", sent, "bytes", flush=True)
open(work + "/stuck", "w").close()
while not os.path.exists(work + "/done"):
    time.sleep(0.05)
PY
testbed_peer "$TB_PY" "$TB_WORK/sender.py" "$TB_PEER_ADDR" "$TB_WORK" >"$TB_WORK/sender.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 8080 10 || tb_fail "the kernel-side sender did not start"
testbed_wait_listen "$TB_NS_PEER" tcp 8081 10 || tb_fail "the kernel-side http server did not start"

tb_say "shim side: a program connects and never reads"
testbed_shim "$TB_PY" -c 'import os, socket, sys, time
s = socket.create_connection((sys.argv[1], 8080), timeout=30)
while not os.path.exists(sys.argv[2] + "/done"):
    time.sleep(0.05)
print("still connected", s.fileno() >= 0)' "$TB_PEER_ADDR" "$TB_WORK" >"$TB_WORK/stuck.log" 2>&1 &
stuck=$!
for _ in $(seq 1 300); do
	[ -e "$TB_WORK/stuck" ] && break
	sleep 0.1
done
[ -e "$TB_WORK/stuck" ] || tb_fail "the sender never blocked"
tb_say "$(cat "$TB_WORK/sender.log")"
tb_say "shim side: curl downloads 10 MiB through the same host meanwhile"
testbed_shim curl -sS --max-time 120 -o "$TB_WORK/fetched" "http://$TB_PEER_ADDR:8081/file" \
	>"$TB_WORK/curl.log" 2>&1 || tb_fail "curl under the shim failed (status $?)"
touch "$TB_WORK/done"
wait "$stuck" || tb_fail "the stuck program failed: $(cat "$TB_WORK/stuck.log")"
want=$(testbed_sha256 "$TB_WORK/www/file")
got=$(testbed_sha256 "$TB_WORK/fetched")
[ "$want" = "$got" ] || tb_fail "SHA-256 differs: served $want, fetched $got"
tb_say "ok: 10 MiB fetched intact while another connection's pair stayed full"
testbed_test_end
