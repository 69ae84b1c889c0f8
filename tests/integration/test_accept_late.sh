#!/bin/bash
# SPDX-License-Identifier: MIT
# A connection the peer resets while it waits in the accept queue is the
# listener's until accept() takes it, however late: the kernel's accept()
# returns it, and its first read fails with ECONNRESET. The host keeps such
# a connection (a zombie) while it is in the queue, and then while the end
# accept() made is open, although no request has named that end yet: under
# the shim the program accepts only after the host's zombie checks
# (SOCKSHIM_ZOMBIE_MS 100, read from its trace) have looked at it twice.
# The same program runs natively and under the shim; outputs must be equal.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin accept_late
testbed_native_up || tb_fail "cannot build the native namespace"

cp "$(dirname "$0")/probe.py" "$TB_WORK/" || tb_fail "no probe.py"
cat >"$TB_WORK/server.py" <<'PY'
import functools, socket, sys
from probe import bits, name, outcome
print = functools.partial(print, flush=True)

l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", int(sys.argv[1])))
l.listen(4)
print("listening")
sys.stdin.readline()  # the caller's word: the reset came (and the host looked)
print("listener poll", bits(l))
c, _ = l.accept()
print("accepted poll", bits(c))
print("getpeername", outcome(c.getpeername))
print("recv", outcome(lambda: c.recv(10)))
print("recv again", outcome(lambda: c.recv(10)))
print("SO_ERROR", name(c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))
print("send", outcome(lambda: c.send(b"x", socket.MSG_NOSIGNAL)))
print("poll after", bits(c))
c.close()
PY

# run WHERE PORT ADDR LOG: the server (prefix WHERE, address ADDR), a kernel
# peer that connects and resets at once (SO_LINGER 0), "go" once wait_ready
# PORT says the reset arrived.
run() {
	local where=$1 port=$2 addr=$3 log=$4 server
	mkfifo "$TB_WORK/go-$port"
	$where "$TB_PY" "$TB_WORK/server.py" "$port" <"$TB_WORK/go-$port" >"$log" 2>&1 &
	server=$!
	exec 7>"$TB_WORK/go-$port"
	testbed_wait_for 10 grep -q listening "$log" || tb_fail "the server on $port did not start: $(cat "$log")"
	testbed_peer_connect_reset "$addr" "$port" >/dev/null || tb_fail "the peer could not connect to $addr:$port"
	wait_ready "$port"
	echo go >&7
	exec 7>&-
	wait "$server" || tb_fail "the server on $port failed: $(cat "$log")"
}
# The host's: two zombie checks of the connection in its trace (a check
# that let it go says "expired", and then there is no second).
zombie_checks() {
	grep -cE 'id [0-9]+: zombie (still held|expired)' "$TB_WORK/trace" 2>/dev/null || true
}
wait_ready_host() {
	for _ in $(seq 1 300); do
		grep -qE 'id [0-9]+: zombie expired' "$TB_WORK/trace" 2>/dev/null && return
		[ "$(zombie_checks)" -ge 2 ] && return
		sleep 0.1
	done
	tb_fail "the host did not check the reset connection twice ($(zombie_checks) checks)"
}

tb_say "native: accept after the peer's reset"
# The kernel's: the connection in the accept queue is no longer established.
wait_ready() { testbed_wait_not_established "$TB_NS_NAT" "$1"; }
run "ip netns exec $TB_NS_NAT" 9001 "$TB_NAT_ADDR" "$TB_WORK/native.log"
tb_say "shim: accept after the host's zombie checks"
wait_ready() { wait_ready_host; }
run "testbed_shim env SOCKSHIM_ZOMBIE_MS=100 SOCKSHIM_TRACE=2 SOCKSHIM_TRACE_FILE=$TB_WORK/trace" \
	9002 "$TB_SHIM_ADDR" "$TB_WORK/shim.log"
sed 's/^/  native: /' "$TB_WORK/native.log"
grep -q "^recv ECONNRESET$" "$TB_WORK/native.log" ||
	tb_fail "the kernel's first read was not ECONNRESET: the test proves nothing"
diff -u "$TB_WORK/native.log" "$TB_WORK/shim.log" >"$TB_WORK/diff" ||
	tb_fail "the shim differs from Linux: $(cat "$TB_WORK/diff")"
tb_say "ok: $(wc -l <"$TB_WORK/native.log") answers as Linux's, after $(zombie_checks) zombie checks"
# Closed by the program: the host lets the connection go (told by the
# close, or at its next check).
gone='id [0-9]+: (zombie expired|closed by the application)'
testbed_wait_for 30 grep -qE "$gone" "$TB_WORK/trace" ||
	tb_fail "the host still holds the connection the program closed: $(grep -E 'id [0-9]+: ' "$TB_WORK/trace" | tail -5)"
testbed_test_end
