#!/bin/bash
# SPDX-License-Identifier: MIT
# nc under the shim uploads 10 MiB to a kernel-side nc -l; the received
# bytes' SHA-256 must match. nc -N half-closes after stdin's EOF, so the
# upload also exercises the FIN from the stack.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin nc_upload

head -c $((10 * 1024 * 1024)) /dev/urandom >"$TB_WORK/file" || tb_fail "cannot write the test file"
tb_say "kernel side: nc -l $TB_PEER_ADDR 9000 > received"
testbed_peer nc -l "$TB_PEER_ADDR" 9000 </dev/null >"$TB_WORK/received" 2>"$TB_WORK/server.log" &
server=$!
testbed_wait_listen "$TB_NS_PEER" tcp 9000 10 || tb_fail "the kernel-side nc did not start"

testbed_check_native_fails nc -N -w 3 "$TB_PEER_ADDR" 9001 </dev/null

tb_say "shim side: nc -N $TB_PEER_ADDR 9000 < 10 MiB"
testbed_shim nc -N -w 30 "$TB_PEER_ADDR" 9000 <"$TB_WORK/file" >"$TB_WORK/client.log" 2>&1 ||
	tb_fail "nc under the shim failed (status $?)"
for _ in $(seq 1 100); do
	kill -0 "$server" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$server" 2>/dev/null && tb_fail "the kernel-side nc never saw the end of the upload (no FIN?)"

want=$(testbed_sha256 "$TB_WORK/file")
got=$(testbed_sha256 "$TB_WORK/received")
[ "$want" = "$got" ] || tb_fail "SHA-256 differs: sent $want, received $got ($(stat -c %s "$TB_WORK/received") bytes)"
tb_say "ok: 10 MiB uploaded intact (sha256 $got)"
testbed_test_end
