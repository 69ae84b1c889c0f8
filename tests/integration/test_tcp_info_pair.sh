#!/bin/bash
# SPDX-License-Identifier: MIT
# What the program wrote and the stack has not sent yet, much of it still
# in the AF_UNIX pair, is the kernel's send queue's: tcpi_notsent_bytes
# (TCP_INFO), SK_MEMINFO_WMEM_QUEUED (SO_MEMINFO) and SIOCOUTQ/SIOCOUTQNSD
# agree on it as the kernel's do (tcp_info_pair.py says how), the kernel
# of the shim namespace and then the shim, in the same run, over a 4 Mbit/s
# path (tools/sockshim-impair on the data's way): a writer whose peer
# never reads (its window shuts: everything queued is unsent) and six
# rounds of a writer filling its buffer against a reader behind the slow
# link. Before TCP_INFO and SO_MEMINFO counted the pair's bytes the shim's
# tcpi_notsent_bytes fell short of SIOCOUTQNSD and its queue's charge of
# SIOCOUTQ by what the pair held.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
IMPAIR=(--a2b --rate 4M)
testbed_test_begin_impaired tcp_info_pair 1500 "${IMPAIR[@]}"
PY=$(dirname "$0")/tcp_info_pair.py

# tcp_chrono.py's peer: a port that never reads, one that reads all.
testbed_peer "$TB_PY" "$(dirname "$0")/tcp_chrono.py" listen >"$TB_WORK/listen.log" 2>&1 &
# The sink's port is bound last.
testbed_wait_listen "$TB_NS_PEER" tcp 7182 10 || tb_fail "the peer does not listen"

testbed_kernel_addr_on || tb_fail "the kernel cannot reach the peer through the bridge"
testbed_native_shim_ns timeout 90 "$TB_PY" "$PY" "$TB_PEER_ADDR" >"$TB_WORK/native" 2>"$TB_WORK/native.log" ||
	tb_fail "the kernel's run failed: $(cat "$TB_WORK/native.log")"
testbed_kernel_addr_off
testbed_kernel_counter_reset
testbed_shim timeout 90 "$TB_PY" "$PY" "$TB_PEER_ADDR" >"$TB_WORK/shim" 2>"$TB_WORK/shim.log" ||
	tb_fail "the shim's run failed: $(cat "$TB_WORK/shim.log")"
sed 's/^/kernel: /' "$TB_WORK/native.log"
sed 's/^/shim:   /' "$TB_WORK/shim.log"
grep -q False "$TB_WORK/native" && tb_fail "the kernel did not behave as this test expects: $(cat "$TB_WORK/native")"
testbed_same_lines
testbed_test_end
