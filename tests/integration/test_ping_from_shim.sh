#!/bin/bash
# SPDX-License-Identifier: MIT
# The unmodified iputils ping runs under the shim and pings the kernel peer:
# as root it sends through a raw ICMP socket (the namespace's
# ping_group_range admits nobody, so its ping socket attempt fails first),
# and the stack hands each echo reply to that socket with its IP header.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin ping_from_shim

testbed_check_native_fails ping -n -c 1 -w 2 "$TB_PEER_ADDR"

tb_say "shim side: ping -c 3 $TB_PEER_ADDR"
SOCKSHIM_TRACE=1 SOCKSHIM_TRACE_FILE="$TB_WORK/ping.trace" \
	testbed_shim ping -n -c 3 -i 0.3 -w 10 "$TB_PEER_ADDR" >"$TB_WORK/ping.log" 2>&1
grep -q '3 packets transmitted, 3 received' "$TB_WORK/ping.log" ||
	tb_fail "expected 3 echo replies from $TB_PEER_ADDR: $(grep transmitted "$TB_WORK/ping.log")"
[ "${TB_NATIVE:-0}" = 1 ] || grep -q 'socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) = [0-9]' "$TB_WORK/ping.trace" ||
	tb_fail "ping did not send through a raw socket of the stack"
tb_say "ok: 3 echo replies from the kernel peer through a raw socket of the stack"
testbed_test_end
