#!/bin/bash
# SPDX-License-Identifier: MIT
# Real programs reading ancillary data from the stack:
#  - iputils ping on a ping socket (ping_group_range admits root here) takes
#    the reply's TTL from an IP_TTL control message (IP_RECVTTL) and must
#    print the same ttl= as the kernel's own ping over the same wire (it
#    printed ttl=0 while the stack sent no control messages), without the
#    warning it gives when IP_RETOPTS is refused;
#  - ping to an address nobody has reports "Destination Host Unreachable"
#    from the error queue (IP_RECVERR) once ARP gives up, as with the kernel;
#  - traceroute -I (ICMP echo probes) times each probe with the SO_TIMESTAMP
#    of its reply and must list the peer as hop 1 with a sane time.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin ping_socket

ip netns exec "$TB_NS_SHIM" sysctl -qw net.ipv4.ping_group_range="0 2147483647" ||
	tb_fail "cannot set ping_group_range"

testbed_kernel_addr_on || tb_fail "cannot give the kernel an address"
testbed_native_shim_ns ping -n -c 1 -w 5 -I "$TB_KERNEL_ADDR" "$TB_PEER_ADDR" >"$TB_WORK/native.log" 2>&1 ||
	tb_fail "the kernel's ping failed: $(cat "$TB_WORK/native.log")"
testbed_kernel_addr_off
testbed_kernel_counter_reset
want=$(grep -o 'ttl=[0-9]*' "$TB_WORK/native.log" | head -1)
[ -n "$want" ] || tb_fail "the kernel's ping printed no ttl: $(cat "$TB_WORK/native.log")"

tb_say "shim side: ping -c 3 $TB_PEER_ADDR on a ping socket"
SOCKSHIM_TRACE=1 SOCKSHIM_TRACE_FILE="$TB_WORK/ping.trace" \
	testbed_shim ping -n -c 3 -i 0.3 -w 10 "$TB_PEER_ADDR" >"$TB_WORK/ping.log" 2>&1
grep -q '3 packets transmitted, 3 received' "$TB_WORK/ping.log" ||
	tb_fail "expected 3 echo replies: $(cat "$TB_WORK/ping.log")"
grep -q 'socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) = [0-9]' "$TB_WORK/ping.trace" ||
	tb_fail "ping did not use a ping socket of the stack"
got=$(grep -o 'ttl=[0-9]*' "$TB_WORK/ping.log" | sort -u)
[ "$got" = "$want" ] || tb_fail "ping printed $(echo $got) under the shim, the kernel's ping $want"
! grep -qi 'warning' "$TB_WORK/ping.log" || tb_fail "ping warned: $(grep -i warning "$TB_WORK/ping.log")"
tb_say "ok: 3 replies, $got as the kernel's ping, no warning"

# Nobody at .77: ARP fails and ping reads each error from the error queue.
tb_say "shim side: ping -c 2 10.99.0.77 (nobody there)"
testbed_shim ping -n -c 2 -i 0.5 -w 10 10.99.0.77 >"$TB_WORK/unreach.log" 2>&1
grep -q "^From $TB_SHIM_ADDR icmp_seq=1 Destination Host Unreachable" "$TB_WORK/unreach.log" ||
	tb_fail "ping did not report the unreachable host: $(cat "$TB_WORK/unreach.log")"
grep -q 'received, +[1-9][0-9]* errors' "$TB_WORK/unreach.log" ||
	tb_fail "ping counted no errors: $(cat "$TB_WORK/unreach.log")"
tb_say "ok: $(grep -c 'Destination Host Unreachable' "$TB_WORK/unreach.log") 'Destination Host Unreachable' from the stack's address"

tb_say "shim side: traceroute -I $TB_PEER_ADDR"
testbed_shim traceroute -I -n -w 5 -q 2 -m 3 "$TB_PEER_ADDR" >"$TB_WORK/tr.log" 2>&1 ||
	tb_fail "traceroute failed: $(cat "$TB_WORK/tr.log")"
# " 1  10.99.0.2  0.451 ms  0.427 ms": both probes timed from their stamps (under a second).
awk -v peer="$TB_PEER_ADDR" '$1 == 1 && $2 == peer && $4 == "ms" && $6 == "ms" &&
	$3 >= 0 && $3 < 1000 && $5 >= 0 && $5 < 1000 { ok = 1 } END { exit !ok }' "$TB_WORK/tr.log" ||
	tb_fail "traceroute did not list $TB_PEER_ADDR as hop 1 with two sane times: $(cat "$TB_WORK/tr.log")"
tb_say "ok: $(grep '^ 1 ' "$TB_WORK/tr.log")"
testbed_test_end
