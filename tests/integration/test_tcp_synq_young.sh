#!/bin/bash
# SPDX-License-Identifier: MIT
# A SYN queue more than half full of old requests lowers the SYN-ACK's
# retry limit (reqsk_timer_handler): a kernel listener and one under the
# shim (backlog 16, tcp_synack_retries 5, never accepting) each get 12
# SYNs from the peer's raw socket that are never answered (the peer's
# nftables drops the SYN-ACKs after its AF_PACKET sniffer counted them, so
# its kernel sends no RST). All are young until their first timeout; at the
# third (7 s) none is, the limit falls to 2 and requests are dropped while
# the queue is over half the backlog: four requests get 3 SYN-ACKs, eight
# get 4 by 9.5 s (the next would come at 15 s). The counts must be the
# kernel's, which the test also checks against that expectation.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_synq_young
PY=$(dirname "$0")/synq_young.py

testbed_native_up || tb_fail "cannot build the native namespace"
testbed_sysctl_both net.ipv4.tcp_synack_retries=5 net.ipv4.tcp_syncookies=1
testbed_peer_drop synq "tcp sport 7400"
ip netns exec "$TB_NS_NAT" "$TB_PY" "$PY" listen 7400 "$TB_WORK/ready.native" >"$TB_WORK/native.log" 2>&1 &
testbed_shim "$TB_PY" "$PY" listen 7400 "$TB_WORK/ready.shim" >"$TB_WORK/shim.log" 2>&1 &
testbed_wait_files 10 "$TB_WORK/ready.native" "$TB_WORK/ready.shim" || tb_fail "the listeners did not start"
tb_say "12 unanswered SYNs to the kernel's listener ($TB_NAT_ADDR) and to the shim's ($TB_SHIM_ADDR)"
testbed_peer "$TB_PY" "$PY" flood 9.5 "$TB_NAT_ADDR" "$TB_SHIM_ADDR" >"$TB_WORK/counts" 2>&1 ||
	tb_fail "the peer's flood failed: $(cat "$TB_WORK/counts")"
cat "$TB_WORK/counts"
want="[3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4]"
grep -qxF "listener 0: SYN-ACKs per request $want" "$TB_WORK/counts" ||
	tb_fail "the kernel did not behave as this test expects ($want)"
grep -qxF "listener 1: SYN-ACKs per request $want" "$TB_WORK/counts" ||
	tb_fail "the shim's SYN-ACKs per request differ from the kernel's"
tb_say "ok: SYN-ACKs per request $want, as the kernel's"
testbed_test_end
