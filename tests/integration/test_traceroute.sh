#!/bin/bash
# SPDX-License-Identifier: MIT
# traceroute's probes that wait for POLLERR and read the error queue:
#  - the default UDP probes (one connected UDP socket per probe, IP_RECVERR)
#    and -U (UDP to port 53): the peer answers port unreachable, the stack
#    queues it on the error queue, and the socket must poll POLLERR while
#    the queue holds it (sock_poll), or traceroute prints '*';
#  - -T (TCP SYN on a raw socket) is root-only and needs IP_HDRINCL raw TCP;
#    not run here.
# The kernel's traceroute from the shim namespace over the same wire gives
# the line to compare against: hop 1 is the peer, with a time per probe.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin traceroute

# " 1  10.99.0.2  0.451 ms  0.427 ms": the peer, both probes timed (under a second each).
tr_hop_ok() {
	awk -v peer="$TB_PEER_ADDR" '$1 == 1 && $2 == peer && $4 == "ms" && $6 == "ms" &&
		$3 >= 0 && $3 < 1000 && $5 >= 0 && $5 < 1000 { ok = 1 } END { exit !ok }' "$1"
}

# Each probe draws a port unreachable: the peer must not rate-limit them (icmp_ratelimit).
testbed_peer sysctl -qw net.ipv4.icmp_ratelimit=0 || tb_fail "cannot lift the peer's ICMP rate limit"
testbed_kernel_addr_on || tb_fail "cannot give the kernel an address"
for mode in default -U; do
	opt=$mode
	[ "$mode" = default ] && opt=
	testbed_native_shim_ns traceroute $opt -n -w 5 -q 2 -m 3 "$TB_PEER_ADDR" \
		>"$TB_WORK/native$mode.log" 2>&1 || tb_fail "the kernel's traceroute $opt failed: $(cat "$TB_WORK/native$mode.log")"
	tr_hop_ok "$TB_WORK/native$mode.log" ||
		tb_fail "the kernel's traceroute $opt did not list hop 1: $(cat "$TB_WORK/native$mode.log")"
done
testbed_kernel_addr_off
testbed_kernel_counter_reset

for mode in default -U; do
	opt=$mode
	[ "$mode" = default ] && opt=
	tb_say "shim side: traceroute $opt -n $TB_PEER_ADDR"
	testbed_shim traceroute $opt -n -w 5 -q 2 -m 3 "$TB_PEER_ADDR" >"$TB_WORK/tr$mode.log" 2>&1 ||
		tb_fail "traceroute $opt failed: $(cat "$TB_WORK/tr$mode.log")"
	tr_hop_ok "$TB_WORK/tr$mode.log" ||
		tb_fail "traceroute $opt did not list $TB_PEER_ADDR as hop 1 with two times (kernel: $(grep '^ 1 ' "$TB_WORK/native$mode.log")): $(cat "$TB_WORK/tr$mode.log")"
	tb_say "ok ($mode): $(grep '^ 1 ' "$TB_WORK/tr$mode.log") (kernel: $(grep '^ 1 ' "$TB_WORK/native$mode.log"))"
done
testbed_test_end
