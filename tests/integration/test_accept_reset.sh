#!/bin/bash
# SPDX-License-Identifier: MIT
# A connection reset by the peer before the application accepted it (and
# accepted without asking its address, so no request names it to the host
# first) still reads as the kernel's would: accept() returns it, and read()
# fails with ECONNRESET. The application proves it holds the socket with the
# fd accept() gave it, after the host's end of the pair is already closed.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin accept_reset

testbed_shim "$SOCKSHIM_BUILD_DIR/tests/accept_reset" 9000 >"$TB_WORK/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
	grep -q listening "$TB_WORK/server.log" && break
	sleep 0.1
done
grep -q listening "$TB_WORK/server.log" || tb_fail "the server did not start: $(cat "$TB_WORK/server.log")"
tb_say "kernel peer: connects and resets at once (SO_LINGER 0)"
testbed_peer "$TB_PY" -c 'import socket, struct, sys
s = socket.create_connection((sys.argv[1], 9000), timeout=20)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()' "$TB_SHIM_ADDR" || tb_fail "the peer could not connect"
wait "$server" || tb_fail "the server failed: $(cat "$TB_WORK/server.log")"
tb_say "server: $(tr '\n' ';' <"$TB_WORK/server.log")"
grep -q "^read -1 ECONNRESET$" "$TB_WORK/server.log" ||
	tb_fail "want read -1 ECONNRESET on the accepted connection, as Linux"
testbed_test_end
