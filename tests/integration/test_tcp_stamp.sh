#!/bin/bash
# SPDX-License-Identifier: MIT
# Differential transmit stamps and zerocopy completions on TCP:
# tests/progs/tcp_stamp runs the same sequence (SO_TIMESTAMPING with
# TX_SCHED, TX_SOFTWARE, TX_ACK, OPT_ID keys as byte offsets, OPT_TSONLY
# and the whole frame, a per-send SO_TIMESTAMPING message; MSG_ZEROCOPY
# ids completed when the peer acknowledges them, merged; readiness through
# poll, select and epoll before and after the error queue is read) first on
# the kernel of the shim namespace, then under the shim, against the same
# kernel peer's TCP sink; every line must agree.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_stamp

prog=$SOCKSHIM_BUILD_DIR/tests/tcp_stamp
[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"

cat >"$TB_WORK/peer.py" <<'PY'
import socket, threading
def sink(c):
	while c.recv(65536):
		pass
	c.close()
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 7200))
l.listen(8)
while True:
	c, _ = l.accept()
	threading.Thread(target=sink, args=(c,), daemon=True).start()
PY
testbed_peer "$TB_PY" "$TB_WORK/peer.py" >"$TB_WORK/peer.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 7200 10 || tb_fail "the peer's sink did not start"

tb_say "native: tcp_stamp from the kernel at $TB_KERNEL_ADDR"
testbed_kernel_addr_on || tb_fail "cannot give the kernel an address"
testbed_native_shim_ns "$prog" "$TB_PEER_ADDR" >"$TB_WORK/native" 2>"$TB_WORK/native.log" ||
	tb_fail "tcp_stamp failed natively: $(cat "$TB_WORK/native.log")"
testbed_kernel_addr_off
testbed_kernel_counter_reset

tb_say "shim: tcp_stamp from the stack at $TB_SHIM_ADDR"
testbed_shim "$prog" "$TB_PEER_ADDR" >"$TB_WORK/shim" 2>"$TB_WORK/shim.log" ||
	tb_fail "tcp_stamp failed under the shim: $(cat "$TB_WORK/shim.log")"

# The native run must have seen what the comparison is about.
[ "$(grep -c 'origin 4 errno 42 code 0 info 2 data' "$TB_WORK/native")" -ge 4 ] ||
	tb_fail "the native run read no ACK stamps: the comparison would prove nothing"
grep -q 'after send1: poll 1: OUT ERR' "$TB_WORK/native" ||
	tb_fail "the native run saw no ERR right after a stamped send: the comparison would prove nothing"
grep -q 'zc entry: .*origin 5 .*info 0 data 2' "$TB_WORK/native" ||
	tb_fail "the native run read no merged zerocopy completion: the comparison would prove nothing"
if ! diff -u "$TB_WORK/native" "$TB_WORK/shim" >"$TB_WORK/diff"; then
	cat "$TB_WORK/diff"
	tb_fail "$(grep -c '^-[^-]' "$TB_WORK/diff") of $(wc -l <"$TB_WORK/native") lines differ from the kernel"
fi
tb_say "ok: $(wc -l <"$TB_WORK/native") lines, no difference from the kernel"
testbed_test_end
