#!/bin/bash
# SPDX-License-Identifier: MIT
# Socket calls from a signal handler that interrupted the same thread's
# socket call (iperf3's SIGTERM handler asks getsockopt(TCP_INFO)): the
# handler's call is a control call made while the thread is inside one.
# tests/progs/sig_ctl loops getsockopt(TCP_INFO) and getsockname() on a
# connected TCP socket while a 150 us interval timer's handler makes the
# same calls on it and checks them, until 2,000 handler runs. Natively
# (kernel to the kernel peer over a veth) and under the shim; a run that
# does not finish within 60 s hangs, and fails.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin signal_ctl

prog=$SOCKSHIM_BUILD_DIR/tests/sig_ctl
[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"
testbed_native_up || tb_fail "cannot build the native namespace"

# The kernel peer: accepts on 9000 and holds each connection open until its end.
cat >"$TB_WORK/peer.py" <<'PY'
import socket, threading

def hold(c):
    with c:
        while c.recv(65536):
            pass

l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 9000))
l.listen(16)
while True:
    c, _ = l.accept()
    threading.Thread(target=hold, args=(c,), daemon=True).start()
PY
testbed_peer "$TB_PY" "$TB_WORK/peer.py" >"$TB_WORK/peer.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 9000 10 || tb_fail "the kernel peer did not start"

# run NAME CMD...: sig_ctl under a 60 s deadline; its "ok" line must say that
# handler runs did interrupt main-thread calls (else the test proves nothing).
run() {
	local name=$1 st inside
	shift
	"$@" timeout 60 "$prog" "$peer" 9000 2000 >"$TB_WORK/$name.out" 2>&1
	st=$?
	[ $st = 124 ] && tb_fail "$name: sig_ctl did not finish in 60 s (hung): $(cat "$TB_WORK/$name.out")"
	[ $st = 0 ] || tb_fail "$name: sig_ctl failed (status $st): $(cat "$TB_WORK/$name.out")"
	inside=$(sed -n 's/^ok 2000 handler calls, \([0-9]*\) inside a main-thread call, .*/\1/p' "$TB_WORK/$name.out")
	[ -n "$inside" ] || tb_fail "$name: unexpected output: $(cat "$TB_WORK/$name.out")"
	[ "$inside" -ge 100 ] ||
		tb_fail "$name: only $inside of 2000 handler runs interrupted a main-thread call: $(cat "$TB_WORK/$name.out")"
	tb_say "ok $name: $(cat "$TB_WORK/$name.out")"
}

peer=$TB_NAT_PEER_ADDR
run native ip netns exec "$TB_NS_NAT"
peer=$TB_PEER_ADDR
run shim testbed_shim
testbed_test_end
