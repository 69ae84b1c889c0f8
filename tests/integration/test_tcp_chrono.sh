#!/bin/bash
# SPDX-License-Identifier: MIT
# TCP_INFO's chronograph (tcpi_busy_time, tcpi_rwnd_limited,
# tcpi_sndbuf_limited) against the kernel's, in the same run: the kernel's
# client (a third namespace) and then the shim's against one kernel peer
# (tcp_chrono.py). A peer that never reads shuts its window: rwnd-limited
# for most of the second held, busy at least that long, never
# sndbuf-limited. A 4,608-byte SO_SNDBUF against a reader for two seconds:
# busy for much of it, at most partly sndbuf-limited (a quiet kernel may
# show none: tcp_chrono.py says why), next to never rwnd-limited, and the
# clock stops once all is acknowledged. Both sides are held to the same
# ranges (times on a loaded machine vary; the kernel's own figures are
# printed beside the shim's).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_chrono
PY=$(dirname "$0")/tcp_chrono.py

testbed_native_up || tb_fail "cannot build the native namespace"
testbed_peer "$TB_PY" "$PY" listen >"$TB_WORK/listen.log" 2>&1 &
# The sink's port is bound last.
testbed_wait_listen "$TB_NS_PEER" tcp 7182 10 || tb_fail "the peer does not listen"

ip netns exec "$TB_NS_NAT" timeout 60 "$TB_PY" "$PY" client "$TB_NAT_PEER_ADDR" \
	>"$TB_WORK/native" 2>"$TB_WORK/native.log" || tb_fail "the native run failed: $(cat "$TB_WORK/native")"
testbed_shim timeout 60 "$TB_PY" "$PY" client "$TB_PEER_ADDR" >"$TB_WORK/shim" 2>"$TB_WORK/shim.log" ||
	tb_fail "the shim run failed: $(cat "$TB_WORK/shim")"
tb_say "kernel: $(tr '\n' ';' <"$TB_WORK/native")"
tb_say "shim:   $(tr '\n' ';' <"$TB_WORK/shim")"
"$TB_PY" "$PY" check kernel "$TB_WORK/native" ||
	tb_fail "the kernel did not behave as this test expects"
"$TB_PY" "$PY" check shim "$TB_WORK/shim" || tb_fail "the shim's chronograph is not the kernel's"
tb_say "ok: busy, rwnd- and sndbuf-limited times as the kernel's"
testbed_test_end
