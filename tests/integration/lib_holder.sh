# SPDX-License-Identifier: MIT
# Sourced by tests that need a root-started stack host to talk to by hand.
#
# holder_start DONE LOG: runs, as root under the shim, a program that holds a
# bound UDP socket (so the host stays) until the file DONE exists, then says
# whether the socket still has its port; waits until the socket is bound
# (the host is up and counts it: a host that has only started may not have
# the socket yet). The caller's SOCKSHIM_* environment reaches the host it
# starts. Sets HOLDER_PID.
holder_start() {
	testbed_shim "$TB_PY" -c 'import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 0))
print("bound", flush=True)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
print("root socket still named", s.getsockname()[1] > 0)' "$1" >"$2" 2>&1 &
	HOLDER_PID=$!
	for _ in $(seq 1 300); do
		grep -qx bound "$2" && [ -n "$(testbed_stackd_pids)" ] && return 0
		kill -0 "$HOLDER_PID" 2>/dev/null || break
		sleep 0.1
	done
	tb_fail "the socket holder under the shim did not start: $(cat "$2")"
}
