#!/bin/bash
# SPDX-License-Identifier: MIT
# Differential error-queue wake-ups on TCP: tests/progs/errq_wake runs the
# same sequence (a thread asleep in poll with no events or IN, ppoll,
# select, level- and edge-triggered epoll, woken by the ACK stamp of a send
# stamped with TX_ACK alone or by a MSG_ZEROCOPY completion; ERR alone in a
# level-triggered set and one edge per entry in an edge-triggered one;
# MSG_ERRQUEUE|MSG_PEEK; SO_SELECT_ERR_QUEUE on TCP and UDP; select with
# only exceptfds on a UDP socket whose answer counts for no set, woken by
# a datagram once an error-queue entry makes it PRI; a UDP send that
# fails with EMSGSIZE, whose entry wakes a thread asleep in poll or epoll
# at once, connected or not) first on the
# kernel of the shim namespace, then under the shim, against the same
# kernel peer's TCP sink; every line must agree.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin errq_wake

prog=$SOCKSHIM_BUILD_DIR/tests/errq_wake
[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"

testbed_tcp_sink 7201 || tb_fail "the peer's sink did not start"
testbed_kernel_then_shim "$prog" "$TB_PEER_ADDR"

# The native run must have seen what the comparison is about.
[ "$(grep -c ': woken 1 .*ERR' "$TB_WORK/native")" -ge 8 ] ||
	tb_fail "the native run was not woken with ERR: the comparison would prove nothing"
grep -q '^epoll ET again: 0' "$TB_WORK/native" ||
	tb_fail "the native run's edge-triggered set reported again: the comparison would prove nothing"
[ "$(grep -c 'EMSGSIZE .*: woken 1 ERR at the send$' "$TB_WORK/native")" -eq 8 ] ||
	tb_fail "the native EMSGSIZE waiters were not all woken at the send: the comparison would prove nothing"
grep -q '^udp select err queue: poll 1 PRI ERR' "$TB_WORK/native" ||
	tb_fail "the native run's UDP socket showed no PRI: the comparison would prove nothing"
# A hint for the comparison's failure below ("before its timeout" is a wake).
if grep -qE 'woken 0 timeout|at its timeout$' "$TB_WORK/shim"; then
	tb_say "a waiter under the shim was not woken:"
	grep -E 'woken 0 timeout|at its timeout$' "$TB_WORK/shim"
fi
grep -q '^udp select except, an error then a datagram come: woken 1 x, before its timeout$' "$TB_WORK/native" ||
	tb_fail "the native select was not woken by the datagram: udp_select_except would prove nothing"
testbed_same_lines
testbed_test_end
