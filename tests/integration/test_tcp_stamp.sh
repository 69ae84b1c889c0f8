#!/bin/bash
# SPDX-License-Identifier: MIT
# Differential transmit stamps and zerocopy completions on TCP:
# tests/progs/tcp_stamp runs the same sequence (SO_TIMESTAMPING with
# TX_SCHED, TX_SOFTWARE, TX_ACK, OPT_ID keys as byte offsets, OPT_TSONLY
# and the whole frame, a per-send SO_TIMESTAMPING message; OPT_STATS: the
# TCP_NLA_* attributes, their sizes and the values a 5-byte send makes
# the same on every run, as data and as SCM_TIMESTAMPING_OPT_STATS; MSG_ZEROCOPY
# ids completed when the peer acknowledges them, merged; readiness through
# poll, select and epoll before and after the error queue is read) first on
# the kernel of the shim namespace, then under the shim, against the same
# kernel peer's TCP sink; every line must agree.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_stamp

prog=$SOCKSHIM_BUILD_DIR/tests/tcp_stamp
[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"

testbed_tcp_sink 7200 || tb_fail "the peer's sink did not start"
testbed_kernel_then_shim "$prog" "$TB_PEER_ADDR"

# The native run must have seen what the comparison is about.
[ "$(grep -c 'origin 4 errno 42 code 0 info 2 data' "$TB_WORK/native")" -ge 4 ] ||
	tb_fail "the native run read no ACK stamps: the comparison would prove nothing"
grep -q 'after send1: poll 1: OUT ERR' "$TB_WORK/native" ||
	tb_fail "the native run saw no ERR right after a stamped send: the comparison would prove nothing"
grep -q 'zc entry: .*origin 5 .*info 0 data 2' "$TB_WORK/native" ||
	tb_fail "the native run read no merged zerocopy completion: the comparison would prove nothing"
grep -q '^stats ACK: len 256 info 2 .* 1/54 .*the data is the message.s: yes$' "$TB_WORK/native" ||
	tb_fail "the native OPT_STATS stamp had no counts: the comparison would prove nothing"
testbed_same_lines
testbed_test_end
