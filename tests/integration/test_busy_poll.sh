#!/bin/bash
# SPDX-License-Identifier: MIT
# SOCKSHIM_BUSY_POLL_US: the stack host looks for work again before it goes
# to sleep. With the longest spin (100 ms, far above a round trip here even
# on a loaded machine), 1,000 request/response round trips between a
# program under the shim and a kernel echo server must leave the host
# almost never sleeping (its voluntary context switches, /proc/PID/status,
# under a quarter of the round trips, where without it each round trip
# costs about two), and every reply must be right. A bad value is one line
# naming the variable, and the socket() fails.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin busy_poll

prog=$SOCKSHIM_BUILD_DIR/tests/many_conns
[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"
rounds=1000

tb_say "bad value: SOCKSHIM_BUSY_POLL_US=lots"
testbed_shim env SOCKSHIM_BUSY_POLL_US=lots "$TB_PY" -c '
import socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    print("inet: created")
except OSError as e:
    print("inet: errno", e.errno)
' >"$TB_WORK/bad.out" 2>"$TB_WORK/bad.err"
grep -q '^inet: errno [1-9]' "$TB_WORK/bad.out" ||
	tb_fail "with SOCKSHIM_BUSY_POLL_US=lots an AF_INET socket must fail, got: $(head -n 1 "$TB_WORK/bad.out")"
[ "$(grep -c 'SOCKSHIM_BUSY_POLL_US' "$TB_WORK/bad.err")" = 1 ] ||
	tb_fail "expected one line naming SOCKSHIM_BUSY_POLL_US on stderr, got: $(head -n 2 "$TB_WORK/bad.err")"
tb_say "ok: $(cat "$TB_WORK/bad.err")"

testbed_peer "$prog" serve "$TB_PEER_ADDR" 9300 >"$TB_WORK/serve.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 9300 10 || tb_fail "the kernel echo server did not start"

# The client connects, says "connected", runs the round trips when told
# (a line on its stdin), says "done", and exits when its stdin closes.
mkfifo "$TB_WORK/go"
SOCKSHIM_BUSY_POLL_US=100000 SOCKSHIM_TRACE=2 SOCKSHIM_TRACE_FILE=$TB_WORK/host.trace \
	testbed_shim "$TB_PY" -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 9300))
print("connected", flush=True)
sys.stdin.readline()
for i in range(int(sys.argv[2])):
    m = b"%08d" % i
    s.sendall(m)
    got = b""
    while len(got) < 8:
        c = s.recv(8 - len(got))
        if not c:
            sys.exit("EOF at round %d" % i)
        got += c
    if got != m:
        sys.exit("round %d: sent %r, got %r" % (i, m, got))
print("done", flush=True)
sys.stdin.readline()
' "$TB_PEER_ADDR" $rounds <"$TB_WORK/go" >"$TB_WORK/client.out" 2>&1 &
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
echo go >&7
for _ in $(seq 1 1200); do
	grep -q '^done' "$TB_WORK/client.out" && break
	kill -0 $cli 2>/dev/null || break
	sleep 0.1
done
v1=$(switches)
exec 7>&-
wait $cli
grep -q '^done' "$TB_WORK/client.out" || tb_fail "the round trips failed: $(tail -n 2 "$TB_WORK/client.out")"
tb_say "host $pid: $((v1 - v0)) voluntary context switches in $rounds round trips"
[ $((v1 - v0)) -lt $((rounds / 4)) ] ||
	tb_fail "busy-polling host slept $((v1 - v0)) times in $rounds round trips"
tb_say "ok: $rounds round trips right, the host busy-polled between them"
testbed_test_end
