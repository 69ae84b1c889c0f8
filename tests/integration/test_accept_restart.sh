#!/bin/bash
# SPDX-License-Identifier: MIT
# A signal whose handler has SA_RESTART does not end a blocked accept(): the
# kernel restarts the call after the handler, and it returns the connection
# that comes next. The same program runs natively in the peer namespace (the
# kernel's answer, learned in this run) and under the shim, and each gets
# the signal while it sleeps in accept().
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin accept_restart

# restart_case NAME RUNNER ADDR: runs the program with RUNNER, signals it
# while accept() sleeps, then connects to ADDR:9000 from the peer namespace.
restart_case() {
	local name=$1 runner=$2 addr=$3 log="$TB_WORK/$1.log" pid= state= job
	"$runner" "$SOCKSHIM_BUILD_DIR/tests/accept_restart" 9000 >"$log" 2>&1 &
	job=$!
	for _ in $(seq 1 100); do
		pid=$(sed -n 's/^listening //p' "$log")
		[ -n "$pid" ] && break
		sleep 0.1
	done
	[ -n "$pid" ] || tb_fail "$name: the program did not start: $(cat "$log")"
	# Nothing after "listening" sleeps but accept(): wait until it does.
	for _ in $(seq 1 100); do
		state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
		[ "$state" = S ] && break
		sleep 0.1
	done
	[ "$state" = S ] || tb_fail "$name: the program never blocked in accept()"
	kill -USR1 "$pid"
	for _ in $(seq 1 100); do
		grep -q '^signal$' "$log" && break
		sleep 0.1
	done
	grep -q '^signal$' "$log" || tb_fail "$name: the handler did not run: $(cat "$log")"
	# If accept() ended on the signal, nobody listens any more: the connect may fail.
	testbed_peer "$TB_PY" -c 'import socket, sys
socket.create_connection((sys.argv[1], 9000), timeout=20).close()' "$addr" ||
		tb_say "$name: the connect failed"
	wait "$job" || tb_fail "$name: the program failed: $(cat "$log")"
	tb_say "$name: $(tr '\n' ';' <"$log")"
}

restart_case kernel testbed_peer 127.0.0.1
grep -qx "accept ok" "$TB_WORK/kernel.log" || tb_fail "the kernel did not restart accept()"
restart_case shim testbed_shim "$TB_SHIM_ADDR"
grep -qx "accept ok" "$TB_WORK/shim.log" ||
	tb_fail "under the shim, accept() must restart after an SA_RESTART handler, as the kernel's"
testbed_test_end
