#!/bin/bash
# SPDX-License-Identifier: MIT
# SOCKSHIM_LINGER_MS=0: the host a program starts must wait for that program
# to connect (it used to exit first, so every socket() failed with ENONET),
# serve it, and exit as soon as its last socket and client are gone.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin linger_zero

testbed_udp_echo 7200 || tb_fail "the kernel-side UDP echo did not start"

tb_say "shim side, SOCKSHIM_LINGER_MS=0: a UDP round trip to $TB_PEER_ADDR:7200"
got=$(SOCKSHIM_LINGER_MS=0 SOCKSHIM_TRACE=2 SOCKSHIM_TRACE_FILE="$TB_WORK/calls.trace" testbed_shim "$TB_PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.sendto(b"linger", (sys.argv[1], 7200))
print(s.recvfrom(100)[0].decode())
s.close()
' "$TB_PEER_ADDR" 2>"$TB_WORK/client.log") || tb_fail "the program under the shim failed (status $?)"
[ "$got" = linger ] || tb_fail "the echo came back as '$got'"
tb_say "ok: socket() reached the host it started, and the echo came back"

# The host this run started, from its own trace lines: exactly one (a host
# that lingers for nothing exits too fast for testbed_test_end's watcher).
hosts=$(grep -o 'sockshim-stackd\[[0-9]*\]' "$TB_WORK/calls.trace" | sort -u | tr -dc '0-9\n')
[ -n "$hosts" ] || tb_fail "no stack host traced anything: the shim was not in effect"
[ "$(printf '%s\n' "$hosts" | wc -l)" = 1 ] || tb_fail "more than one stack host served: $hosts"

# Nothing is left (a datagram socket leaves no TIME_WAIT): the host exits.
timeout 10 tail --pid="$hosts" -f /dev/null
! kill -0 "$hosts" 2>/dev/null || tb_fail "the stack host $hosts still runs 10 s after its last client left"
tb_say "ok: the host ($hosts) exited once its last client was gone"
testbed_check_kernel_silent
echo "PASS $TB_TEST"
