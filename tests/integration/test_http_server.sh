#!/bin/bash
# SPDX-License-Identifier: MIT
# python3 -m http.server running under the shim (listen, accept, the
# listener's readiness) serves 10 MiB to a kernel-side curl, intact.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin http_server

mkdir "$TB_WORK/www" && head -c $((10 * 1024 * 1024)) /dev/urandom >"$TB_WORK/www/file" ||
	tb_fail "cannot write the test file"
tb_say "shim side: python3 -m http.server on $TB_SHIM_ADDR:8080 serving 10 MiB"
testbed_shim "$TB_PY" -m http.server 8080 --bind "$TB_SHIM_ADDR" --directory "$TB_WORK/www" \
	>"$TB_WORK/server.log" 2>&1 &
testbed_wait_tcp "$TB_NS_PEER" "$TB_SHIM_ADDR" 8080 20 || tb_fail "the http server under the shim is not reachable"

tb_say "kernel side: curl http://$TB_SHIM_ADDR:8080/file"
testbed_peer curl -sS --max-time 120 -o "$TB_WORK/fetched" "http://$TB_SHIM_ADDR:8080/file" \
	>"$TB_WORK/curl.log" 2>&1 || tb_fail "the kernel-side curl failed (status $?)"

want=$(testbed_sha256 "$TB_WORK/www/file")
got=$(testbed_sha256 "$TB_WORK/fetched")
[ "$want" = "$got" ] || tb_fail "SHA-256 differs: served $want, fetched $got ($(stat -c %s "$TB_WORK/fetched") bytes)"
tb_say "ok: 10 MiB served intact by the shim-side server (sha256 $got)"
grep -q '"GET /file' "$TB_WORK/server.log" || tb_fail "the shim-side server did not log the request"
testbed_test_end
