#!/bin/bash
# SPDX-License-Identifier: MIT
# TCP sysctls are read where the kernel reads them, so a sysctl -w reaches
# the next socket or connection of a stack host that is already running:
# tcp_sysctls_live.py changes tcp_fin_timeout after a socket() (its
# TCP_LINGER2 reads the new value), tcp_congestion_control between two socket()
# calls and tcp_syn_retries between two connections to ports where the
# peer drops SYNs, natively and under the shim (one program, one host); the
# outputs must be equal, and the SYNs each connection sent (counted on the
# peer) must be as many as the kernel's, which sends more with the larger
# tcp_syn_retries (its first SYN timeouts are linear, tcp_syn_linear_timeouts,
# so not tcp_syn_retries + 1).
# (tcp_timestamps, tcp_sack and tcp_window_scaling changed under one host:
# test_tcp_syn_options.sh; the port sysctls: test_port_sysctls_live.sh.)
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_sysctls_live

testbed_native_up || tb_fail "cannot build the native namespace"
# The peer drops SYNs to 7301 and 7302, counted per source and port.
testbed_peer nft -f - <<EOT || tb_fail "cannot install the peer's SYN counters"
table inet syn_count {
	counter nat_7301 { }
	counter nat_7302 { }
	counter shim_7301 { }
	counter shim_7302 { }
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr $TB_NAT_ADDR tcp dport 7301 tcp flags syn counter name "nat_7301" drop
		ip saddr $TB_NAT_ADDR tcp dport 7302 tcp flags syn counter name "nat_7302" drop
		ip saddr $TB_SHIM_ADDR tcp dport 7301 tcp flags syn counter name "shim_7301" drop
		ip saddr $TB_SHIM_ADDR tcp dport 7302 tcp flags syn counter name "shim_7302" drop
	}
}
EOT
syns() {
	testbed_peer nft list counter inet syn_count "$1" | awk '/packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

testbed_native_vs_shim "$(dirname "$0")/tcp_sysctls_live.py"
for line in "made with A, then B set: True True" "the same two after A set again: True True a new one: True" \
	"tcp_syn_retries 1 TCP_SYNCNT: 1" "tcp_syn_retries 2 connect to a port that drops SYNs: ETIMEDOUT" \
	"tcp_fin_timeout 7 at socket(), 13 now: TCP_LINGER2 13"; do
	grep -qxF "$line" "$TB_WORK/native" ||
		tb_fail "the kernel did not behave as this test expects ($line): $(cat "$TB_WORK/native")"
done
for port in 7301 7302; do
	nat=$(syns "nat_$port") shim=$(syns "shim_$port")
	[ "$shim" = "$nat" ] || tb_fail "the stack sent $shim SYNs to $port, the kernel $nat"
done
[ "$(syns nat_7302)" -gt "$(syns nat_7301)" ] ||
	tb_fail "the kernel sent no more SYNs with tcp_syn_retries 2 ($(syns nat_7302)) than with 1 ($(syns nat_7301)): the change did not reach it"
[ "$(testbed_stackd_seen | wc -l)" = 1 ] || tb_fail "more than one stack host served: the sysctls were not changed under one"
tb_say "ok: $(wc -l <"$TB_WORK/native") lines as the kernel's, SYNs on the wire $(syns shim_7301) and $(syns shim_7302) as the kernel's"
testbed_test_end
