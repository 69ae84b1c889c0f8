#!/bin/bash
# SPDX-License-Identifier: MIT
# An autotuned send buffer grows under a bulk writer as the kernel's does:
# a client writes as iperf3 does (128 KiB non-blocking writes, POLLOUT after
# a short one) to a kernel sink for a second, reading SO_SNDBUF every
# millisecond, on the kernel of the shim namespace and then under the shim.
# Both start at the establishment size (tcp_sndbuf_expand for the initial
# window) and must grow from it within the first quarter second, and the
# shim's must reach at least half the kernel's largest (the kernel's
# reaches tcp_wmem[2] within a few tens of ms). Before a write that its
# bound cut short counted as one that found the buffer full, the stack's
# could stay at its first size for about a second while the writes came
# (every write then a top-up request).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin sndbuf_grow

testbed_tcp_sink 7303 || tb_fail "the peer did not start"
testbed_kernel_then_shim "$SOCKSHIM_BUILD_DIR/tests/sndbuf_grow" "$TB_PEER_ADDR" 7303 1000
tb_say "native: $(cat "$TB_WORK/native")"
tb_say "shim:   $(cat "$TB_WORK/shim")"
# sndbuf N grew_ms MS most N bytes N writes N short N cwnd N
read -r _ k_first _ k_grew _ k_most _ <"$TB_WORK/native"
read -r _ s_first _ s_grew _ s_most _ <"$TB_WORK/shim"
[ "$s_first" = "$k_first" ] || tb_fail "SO_SNDBUF at establishment: shim $s_first, kernel $k_first"
awk -v g="$k_grew" 'BEGIN { exit !(g >= 0 && g <= 250) }' ||
	tb_fail "the kernel's run proves nothing: its buffer grew after $k_grew ms"
awk -v g="$s_grew" 'BEGIN { exit !(g >= 0 && g <= 250) }' ||
	tb_fail "the shim's buffer grew after $s_grew ms (-1: never), the kernel's after $k_grew"
[ "$s_most" -ge $((k_most / 2)) ] ||
	tb_fail "the shim's buffer reached $s_most, the kernel's $k_most"
tb_say "ok: grew after $s_grew ms to $s_most (kernel: $k_grew ms, $k_most)"
testbed_test_end
