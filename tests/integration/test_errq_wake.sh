#!/bin/bash
# SPDX-License-Identifier: MIT
# Differential error-queue wake-ups on TCP: tests/progs/errq_wake runs the
# same sequence (a thread asleep in poll with no events or IN, ppoll,
# select, level- and edge-triggered epoll, woken by the ACK stamp of a send
# stamped with TX_ACK alone or by a MSG_ZEROCOPY completion; ERR alone in a
# level-triggered set and one edge per entry in an edge-triggered one;
# MSG_ERRQUEUE|MSG_PEEK; SO_SELECT_ERR_QUEUE on TCP and UDP) first on the
# kernel of the shim namespace, then under the shim, against the same
# kernel peer's TCP sink; every line must agree.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin errq_wake

prog=$SOCKSHIM_BUILD_DIR/tests/errq_wake
[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"

cat >"$TB_WORK/peer.py" <<'PY'
import socket, threading
def sink(c):
	while c.recv(65536):
		pass
	c.close()
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 7201))
l.listen(8)
while True:
	c, _ = l.accept()
	threading.Thread(target=sink, args=(c,), daemon=True).start()
PY
testbed_peer "$TB_PY" "$TB_WORK/peer.py" >"$TB_WORK/peer.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 7201 10 || tb_fail "the peer's sink did not start"

tb_say "native: errq_wake from the kernel at $TB_KERNEL_ADDR"
testbed_kernel_addr_on || tb_fail "cannot give the kernel an address"
testbed_native_shim_ns "$prog" "$TB_PEER_ADDR" >"$TB_WORK/native" 2>"$TB_WORK/native.log" ||
	tb_fail "errq_wake failed natively: $(cat "$TB_WORK/native.log")"
testbed_kernel_addr_off
testbed_kernel_counter_reset

tb_say "shim: errq_wake from the stack at $TB_SHIM_ADDR"
testbed_shim "$prog" "$TB_PEER_ADDR" >"$TB_WORK/shim" 2>"$TB_WORK/shim.log" ||
	tb_fail "errq_wake failed under the shim: $(cat "$TB_WORK/shim.log")"

# The native run must have seen what the comparison is about.
[ "$(grep -c ': woken 1 .*ERR' "$TB_WORK/native")" -ge 8 ] ||
	tb_fail "the native run was not woken with ERR: the comparison would prove nothing"
grep -q '^epoll ET again: 0' "$TB_WORK/native" ||
	tb_fail "the native run's edge-triggered set reported again: the comparison would prove nothing"
grep -q '^udp select err queue: poll 1 PRI ERR' "$TB_WORK/native" ||
	tb_fail "the native run's UDP socket showed no PRI: the comparison would prove nothing"
if grep -q timeout "$TB_WORK/shim"; then
	tb_say "a waiter under the shim was not woken:"
	grep timeout "$TB_WORK/shim"
fi
if ! diff -u "$TB_WORK/native" "$TB_WORK/shim" >"$TB_WORK/diff"; then
	cat "$TB_WORK/diff"
	tb_fail "$(grep -c '^-[^-]' "$TB_WORK/diff") of $(wc -l <"$TB_WORK/native") lines differ from the kernel"
fi
tb_say "ok: $(wc -l <"$TB_WORK/native") lines, no difference from the kernel"
testbed_test_end
