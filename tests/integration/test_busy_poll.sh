#!/bin/bash
# SPDX-License-Identifier: MIT
# SOCKSHIM_BUSY_POLL_US: the stack host looks for work again before it goes
# to sleep. With the longest spin (100 ms), 1,000 request/response round
# trips between a program under the shim and a kernel echo server: every
# reply right, and the host spun between them (strace on the host: looks
# with epoll_wait and no timeout; its sleeping wait is epoll_pwait2). How
# often it still sleeps is said, not asserted: the spin backs off when it
# finds nothing or loses its core (spin.h, test_spin.c), so on a loaded
# machine it sleeps by design. A bad value is one line naming the variable,
# and the socket() fails.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin busy_poll

rounds=1000

testbed_check_bad_setting SOCKSHIM_BUSY_POLL_US lots

testbed_many_conns_echo 9300

# The client connects, says "connected", runs the round trips when told
# (a line on its stdin), says "done", and exits when its stdin closes.
mkfifo "$TB_WORK/go"
SOCKSHIM_BUSY_POLL_US=100000 SOCKSHIM_TRACE=2 SOCKSHIM_TRACE_FILE=$TB_WORK/host.trace \
	testbed_shim "$TB_PY" -c '
import socket, sys
sys.path.insert(0, sys.argv[3])
from echo_rounds import echo_rounds
s = socket.create_connection((sys.argv[1], 9300))
print("connected", flush=True)
sys.stdin.readline()
echo_rounds(s, int(sys.argv[2]))
print("done", flush=True)
sys.stdin.readline()
' "$TB_PEER_ADDR" $rounds "$(dirname "$0")" <"$TB_WORK/go" >"$TB_WORK/client.out" 2>&1 &
cli=$!
exec 7>"$TB_WORK/go"
for _ in $(seq 1 300); do
	grep -q '^connected' "$TB_WORK/client.out" && break
	kill -0 $cli 2>/dev/null || break
	sleep 0.1
done
grep -q '^connected' "$TB_WORK/client.out" || tb_fail "the client did not connect: $(tail -n 2 "$TB_WORK/client.out")"
grep -q 'busy-poll 100000 us' "$TB_WORK/host.trace" ||
	tb_fail "the host did not take SOCKSHIM_BUSY_POLL_US: $(grep 'up:' "$TB_WORK/host.trace")"
pid=$(testbed_stackd_serving | head -n 1)
[ -n "$pid" ] || tb_fail "no stack host"
switches() {
	awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$pid/status"
}
v0=$(switches)
strace -f -p "$pid" -e trace=epoll_wait,epoll_pwait2 -o "$TB_WORK/host.strace" 2>"$TB_WORK/strace.err" &
tracer=$!
# strace is attached once the host's next wait shows in its output.
for _ in $(seq 1 100); do
	grep -q 'epoll_' "$TB_WORK/host.strace" 2>/dev/null && break
	sleep 0.1
done
echo go >&7
for _ in $(seq 1 1200); do
	grep -q '^done' "$TB_WORK/client.out" && break
	kill -0 $cli 2>/dev/null || break
	sleep 0.1
done
v1=$(switches)
kill -INT $tracer
wait $tracer
exec 7>&-
wait $cli
grep -q '^done' "$TB_WORK/client.out" || tb_fail "the round trips failed: $(tail -n 2 "$TB_WORK/client.out")"
looks=$(grep -c 'epoll_wait(.*, 0) *= ' "$TB_WORK/host.strace")
tb_say "host $pid: $looks looks without sleeping, $((v1 - v0)) voluntary context switches in $rounds round trips (strace slows it)"
[ "$looks" -gt 0 ] ||
	tb_fail "the busy-polling host never looked without sleeping: $(grep -m 3 epoll "$TB_WORK/host.strace")"
tb_say "ok: $rounds round trips right, the host busy-polled between them"
testbed_test_end
