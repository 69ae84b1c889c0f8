#!/bin/bash
# SPDX-License-Identifier: MIT
# Ephemeral port search and TIME_WAIT takeover as the kernel's
# __inet_hash_connect/__inet_check_established/tcp_twsk_unique and
# inet_csk_find_open_port: net.ipv4.ip_local_reserved_ports skipped (TCP and
# UDP bind(0), connect()), a bound port's 4-tuple taken back from TIME_WAIT
# at once with timestamps and not without, the ephemeral search taking it
# only with tcp_tw_reuse 1 after tcp_tw_reuse_delay. tw_reuse.py runs
# natively and under the shim against the same kernel peer; the outputs
# must be equal.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tw_reuse

testbed_native_up || tb_fail "cannot build the native namespace"
testbed_peer "$TB_PY" "$(dirname "$0")/greet_peer.py" 7300 &
testbed_wait_listen "$TB_NS_PEER" tcp 7300 30 || tb_fail "the peer does not listen"
testbed_native_vs_shim "$(dirname "$0")/tw_reuse.py"
grep -qx "tcp_timestamps 1, bound again at once connected from 7212 read b'hi'" "$TB_WORK/native" &&
	grep -qx "ephemeral again at once (within tcp_tw_reuse_delay) connect: EADDRNOTAVAIL" "$TB_WORK/native" ||
	tb_fail "the kernel did not behave as this test expects: $(cat "$TB_WORK/native")"
tb_say "ok: $(wc -l <"$TB_WORK/native") lines as the kernel's"
testbed_test_end
