#!/bin/bash
# SPDX-License-Identifier: MIT
# A socket whose connection failed (a zombie: the host keeps it, its
# SO_ERROR and TCP_CLOSE, for as long as the program holds it) is freed
# when its last holder goes, as the kernel frees a closed socket: the host
# keeps its end of the failed pair shut down in its epoll set, and the
# release of the program's last copy wakes it, whether that holder
# close()s, exits or is killed. Before, a close the interposer did not
# report waited for the host's check every SOCKSHIM_ZOMBIE_MS (60 s, the
# default here, so that a check cannot pass for the wake-up). Orders, not
# times: each case waits (deadline 20 s) for the host's trace to say the
# zombie was closed by its last holder, and never "expired". Cases: the
# process that was refused is killed; it forks, closes its copy (reported,
# the child still holds one), and the child is killed; it exits without
# close().
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin zombie_close

cat >"$TB_WORK/client.py" <<'PY'
import errno, os, signal, socket, sys
addr, case = sys.argv[1], sys.argv[2]
s = socket.socket()
try:
    s.connect((addr, 9))  # nothing listens: refused
    sys.exit("connected")
except ConnectionRefusedError:
    print("refused", flush=True)
if case == "fork":
    pid = os.fork()
    if pid == 0:
        sys.stdin.read()  # held until the parent kills it
        os._exit(0)
    s.close()
    print("closed, child holds it", flush=True)
    input()  # the script says when the host has seen the close
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    print("child killed", flush=True)
elif case == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
else:
    os._exit(0)
PY

# refused_more N: the host's trace has more than N refused sockets.
refused_more() {
	local n
	n=$(grep -cE 'id [0-9]+: error 111 ' "$TB_WORK/trace" 2>/dev/null)
	[ "${n:-0}" -gt "$1" ]
}

# case NAME: the client, then the host's word that the zombie went with its holder.
case_run() {
	local name=$1 trace=$TB_WORK/trace id in=/dev/null client seen
	if [ "$name" = fork ]; then
		in=$TB_WORK/in-fork
		mkfifo "$in"
	fi
	# One stack host serves every case, tracing to the file it started with.
	seen=$(grep -cE 'id [0-9]+: error 111 ' "$trace" 2>/dev/null)
	seen=${seen:-0}
	SOCKSHIM_TRACE=2 SOCKSHIM_TRACE_FILE=$trace testbed_shim "$TB_PY" "$TB_WORK/client.py" \
		"$TB_PEER_ADDR" "$name" <"$in" >"$TB_WORK/out-$name" 2>&1 &
	client=$!
	[ "$name" = fork ] && exec 7>"$in"
	testbed_wait_for 10 refused_more "$seen" ||
		tb_fail "$name: the host has no new refused socket: $(tail -n 3 "$trace" "$TB_WORK/out-$name")"
	id=$(sed -nE 's/.*id ([0-9]+): error 111 .*/\1/p' "$trace" | tail -n 1)
	if [ "$name" = fork ]; then
		testbed_wait_for 10 grep -q "CLOSE id $id " "$trace" ||
			tb_fail "fork: the host did not hear the parent's close: $(tail -n 3 "$trace")"
		! grep -q "id $id: released" "$trace" || tb_fail "fork: the zombie went while the child held it"
		echo >&7
		exec 7>&-
	fi
	wait "$client" 2>/dev/null
	testbed_wait_for 20 grep -q "id $id: zombie closed by its last holder" "$trace" ||
		tb_fail "$name: the host still holds zombie $id after its last holder went: $(grep "id $id:" "$trace" | tail -n 3)"
	grep -q "id $id: released" "$trace" || tb_fail "$name: zombie $id not released"
	! grep -q "id $id: zombie expired" "$trace" || tb_fail "$name: zombie $id went at a check, not at its close"
	tb_say "ok ($name): zombie $id freed with its last holder: $(grep -v Killed "$TB_WORK/out-$name" | tr '\n' ';')"
}
case_run kill
case_run fork
case_run exit
testbed_test_end
