#!/bin/bash
# SPDX-License-Identifier: MIT
# The kernel side pings the stack's address: the stack answers ARP for
# 10.99.0.10 and echo requests with echo replies. A process under the shim
# holds one UDP socket so that the stack host is running.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin ping

tb_say "shim side: a process holding one UDP socket (starts the stack host)"
testbed_shim "$TB_PY" -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 0))
print("bound", s.getsockname(), flush=True)
time.sleep(60)
' >"$TB_WORK/holder.log" 2>&1 &
for _ in $(seq 1 100); do
	grep -q bound "$TB_WORK/holder.log" && break
	sleep 0.1
done
grep -q bound "$TB_WORK/holder.log" || tb_fail "the socket holder under the shim did not start"

tb_say "kernel side: ping -c 3 $TB_SHIM_ADDR"
testbed_peer ping -n -c 3 -i 0.3 -w 10 "$TB_SHIM_ADDR" >"$TB_WORK/ping.log" 2>&1
grep -q '3 packets transmitted, 3 received' "$TB_WORK/ping.log" ||
	tb_fail "expected 3 echo replies from $TB_SHIM_ADDR: $(grep transmitted "$TB_WORK/ping.log")"
tb_say "ok: 3 echo replies from the stack"
testbed_test_end
