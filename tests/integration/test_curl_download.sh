#!/bin/bash
# SPDX-License-Identifier: MIT
# An unmodified curl under the shim downloads 10 MiB from a kernel-side
# python3 -m http.server; both sides' SHA-256 must match. The shim
# namespace has no kernel address, so the bytes can only have come through
# the user-space stack (the same curl without the shim is checked to fail).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin curl_download

mkdir "$TB_WORK/www" && head -c $((10 * 1024 * 1024)) /dev/urandom >"$TB_WORK/www/file" ||
	tb_fail "cannot write the test file"
tb_say "kernel side: python3 -m http.server on $TB_PEER_ADDR:8080 serving 10 MiB"
testbed_peer "$TB_PY" -m http.server 8080 --bind "$TB_PEER_ADDR" --directory "$TB_WORK/www" \
	>"$TB_WORK/server.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 8080 10 || tb_fail "the kernel-side http server did not start"

testbed_check_native_fails curl -s --max-time 3 -o /dev/null "http://$TB_PEER_ADDR:8080/file"

tb_say "shim side: curl http://$TB_PEER_ADDR:8080/file"
testbed_shim curl -sS --max-time 120 -o "$TB_WORK/fetched" "http://$TB_PEER_ADDR:8080/file" \
	>"$TB_WORK/curl.log" 2>&1 || tb_fail "curl under the shim failed (status $?)"

want=$(testbed_sha256 "$TB_WORK/www/file")
got=$(testbed_sha256 "$TB_WORK/fetched")
[ "$want" = "$got" ] || tb_fail "SHA-256 differs: served $want, fetched $got ($(stat -c %s "$TB_WORK/fetched") bytes)"
tb_say "ok: 10 MiB fetched intact (sha256 $got)"
testbed_test_end
