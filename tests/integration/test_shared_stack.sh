#!/bin/bash
# SPDX-License-Identifier: MIT
# Two processes under the shim use the same address at the same time: two
# curl downloads from a kernel-side server that answers neither request
# until both connections are open, so the two are certainly concurrent,
# each on its own ephemeral port of the one shared port space. Both files
# must arrive intact and a single stack host must have served both.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin shared_stack

mkdir "$TB_WORK/www" && head -c $((4 * 1024 * 1024)) /dev/urandom >"$TB_WORK/www/a" &&
	head -c $((4 * 1024 * 1024)) /dev/urandom >"$TB_WORK/www/b" || tb_fail "cannot write the test files"
cat >"$TB_WORK/gate.py" <<'PY'
# Accepts two HTTP connections, reads both requests, and only then answers
# each with the file it asked for (HTTP/1.0, then close).
import os, socket, sys
addr, port, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((addr, port))
ls.listen(4)
print("listening", flush=True)
conns = []
while len(conns) < 2:
    c, peer = ls.accept()
    req = b""
    while b"\r\n\r\n" not in req:
        chunk = c.recv(4096)
        if not chunk:
            break
        req += chunk
    path = req.split(b" ")[1].decode()
    print("request", path, "from", peer, flush=True)
    conns.append((c, os.path.join(root, os.path.basename(path))))
print("both connections open", flush=True)
for c, f in conns:
    data = open(f, "rb").read()
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(data) + data)
    c.close()
PY
tb_say "kernel side: a server on $TB_PEER_ADDR:8080 that answers only once two requests are open"
testbed_peer "$TB_PY" "$TB_WORK/gate.py" "$TB_PEER_ADDR" 8080 "$TB_WORK/www" >"$TB_WORK/server.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 8080 10 || tb_fail "the kernel-side server did not start"

tb_say "shim side: two curl processes at once, 4 MiB each"
testbed_shim curl -sS --max-time 60 -o "$TB_WORK/got-a" "http://$TB_PEER_ADDR:8080/a" \
	>"$TB_WORK/curl-a.log" 2>&1 &
a=$!
testbed_shim curl -sS --max-time 60 -o "$TB_WORK/got-b" "http://$TB_PEER_ADDR:8080/b" \
	>"$TB_WORK/curl-b.log" 2>&1 &
b=$!
wait "$a" || tb_fail "the first curl under the shim failed (status $?)"
wait "$b" || tb_fail "the second curl under the shim failed (status $?)"
grep -q 'both connections open' "$TB_WORK/server.log" || tb_fail "the server never had both connections open"
ports=$(grep '^request' "$TB_WORK/server.log" | grep -o "'$TB_SHIM_ADDR', [0-9]*" | sort -u | wc -l)
[ "$ports" = 2 ] || tb_fail "expected two connections from two ports of $TB_SHIM_ADDR, saw $ports"
tb_say "ok: both connections were open at once, from two ports of $TB_SHIM_ADDR"

for f in a b; do
	[ "$(testbed_sha256 "$TB_WORK/www/$f")" = "$(testbed_sha256 "$TB_WORK/got-$f")" ] ||
		tb_fail "download $f differs from the served file"
done
tb_say "ok: both downloads intact"
testbed_test_end
