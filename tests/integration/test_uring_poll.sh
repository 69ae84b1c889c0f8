#!/bin/bash
# SPDX-License-Identifier: MIT
# io_uring on emulated sockets: tests/progs/uring_poll submits
# IORING_OP_POLL_ADD, IORING_OP_SEND and IORING_OP_RECV (raw system calls,
# which the interposer never sees) on a TCP socket fresh, connected, with
# an echo coming, after both FINs and refused, and on UDP sockets (an ICMP
# error pending, a datagram sent to it); first on the kernel of the shim
# namespace, then under the shim, against the same kernel peer.
#
# Every line must agree but those of the states README "Limits today"
# lists for io_uring (the pair's own readiness and framing): a fresh or
# refused TCP socket's poll mask, a UDP socket's pending error (its poll
# mask, and the receive that should return it), and a datagram's receive
# (the pair's framing comes with it), and a datagram written with io_uring
# on an unconnected socket (the kernel refuses it, the pair takes it and
# the host counts it). Those lines are shown, not compared.
#
# Datagrams written past the interposer on a connected UDP socket
# (io_uring SEND, WRITE, WRITEV, SENDMSG, raw write and sendto system
# calls, a child exec'd without LD_PRELOAD; 0 to 1400 bytes) must each
# reach the peer's UDP echo whole, as from the kernel, and come back the
# same whoever reads them; after a connect elsewhere (a second echo) and
# to a refusing port, what comes reads as from the kernel too. A datagram
# from the peer that starts with the socket's receive cookie (read from
# /proc/net/unix, as anyone can) and a header of its own reads whole.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin uring_poll

prog=$SOCKSHIM_BUILD_DIR/tests/uring_poll
[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"

testbed_tcp_sink 7202 echo || tb_fail "the peer's echo did not start"
testbed_udp_echo 7203 || tb_fail "the peer's UDP echo did not start"
testbed_udp_echo 7204 || tb_fail "the peer's second UDP echo did not start"
testbed_kernel_then_shim "$prog" "$TB_PEER_ADDR" 7202 7203 7204
grep -q '^tcp recv: 5 again$' "$TB_WORK/native" ||
	tb_fail "the native receive did not get the echo: the comparison would prove nothing"
grep -q '^udp forged header: data whole$' "$TB_WORK/native" ||
	tb_fail "the native forged datagram did not come back: the comparison would prove nothing"
grep -q '^udp recv: 4$' "$TB_WORK/native" ||
	tb_fail "the native datagram did not come: the comparison would prove nothing"
[ "$(grep -c '^udp bare .*, echo [0-9]* same$' "$TB_WORK/native")" = 44 ] ||
	tb_fail "not every native datagram came back: the comparison would prove nothing"
limits='^(tcp fresh: poll|tcp refused: poll|udp error pending: poll|udp recv:|udp unconnected uring SEND:|udp uring RECV empty:) '
tb_say "as README's limits say (kernel, then shim):"
paste -d'|' <(grep -E "$limits" "$TB_WORK/native") <(grep -E "$limits" "$TB_WORK/shim")
for f in native shim; do
	grep -vE "$limits" "$TB_WORK/$f" >"$TB_WORK/$f.agreed"
	mv "$TB_WORK/$f.agreed" "$TB_WORK/$f"
done
testbed_same_lines
testbed_test_end
