#!/bin/bash
# SPDX-License-Identifier: MIT
# The interposer is thread-safe: one python3 process under the shim runs 8
# threads that each fetch the same file 5 times from a kernel-side
# http.server at once (sockets created, connected, read and closed
# concurrently); all 40 downloads must be intact.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin threads

mkdir "$TB_WORK/www" && head -c 300000 /dev/urandom >"$TB_WORK/www/file" ||
	tb_fail "cannot write the test file"
want=$(testbed_sha256 "$TB_WORK/www/file")
testbed_peer "$TB_PY" -m http.server 8080 --bind "$TB_PEER_ADDR" --directory "$TB_WORK/www" \
	>"$TB_WORK/server.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 8080 10 || tb_fail "the kernel-side http server did not start"

cat >"$TB_WORK/threads.py" <<'PY'
import hashlib, sys, threading, urllib.request
url, digests, errors = sys.argv[1], [], []
def fetch():
    for _ in range(5):
        try:
            data = urllib.request.urlopen(url, timeout=30).read()
            digests.append(hashlib.sha256(data).hexdigest())
        except Exception as e:
            errors.append(repr(e))
threads = [threading.Thread(target=fetch) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
for d in digests: print(d)
for e in errors: print("error", e)
PY
tb_say "shim side: 8 threads x 5 fetches of http://$TB_PEER_ADDR:8080/file"
testbed_shim timeout 120 "$TB_PY" "$TB_WORK/threads.py" "http://$TB_PEER_ADDR:8080/file" \
	>"$TB_WORK/threads.log" 2>&1 || tb_fail "the threaded client failed (status $?)"
grep -q '^error' "$TB_WORK/threads.log" && tb_fail "some fetches failed: $(grep -m3 '^error' "$TB_WORK/threads.log")"
[ "$(grep -c "^$want\$" "$TB_WORK/threads.log")" = 40 ] ||
	tb_fail "expected 40 intact downloads, got $(grep -c "^$want\$" "$TB_WORK/threads.log")"
tb_say "ok: 40 concurrent downloads from 8 threads, all intact"
testbed_test_end
