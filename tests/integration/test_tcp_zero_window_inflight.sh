#!/bin/bash
# SPDX-License-Identifier: MIT
# The peer's window closes while data is in flight: the retransmissions
# are zero-window probes (tcp_retransmit_timer's !snd_wnd branch), not
# counted as timeouts and not bound by tcp_retries2 (3 in both
# namespaces: 3 s modelled) while the peer answers them; a silent peer
# ends the connection once two RTO ceilings (TCP_RTO_MAX_MS 1000: 2 s)
# have passed without an ACK and with retransmissions
# (tcp_rtx_probe0_timed_out). The kernel's client (a third namespace) and
# the shim's run at once against one scripted peer (raw sockets, its
# kernel kept quiet by nftables); their errors and RTO counts must be
# equal, their transmissions of the head to the answering peer within
# one of each other, and the kernel's must be what this test expects.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_zero_window_inflight
PY=$(dirname "$0")/zero_window_inflight.py

testbed_native_up || tb_fail "cannot build the native namespace"
testbed_sysctl_both net.ipv4.tcp_retries2=3
testbed_peer_drop zwin "tcp dport 7410-7411"
testbed_peer "$TB_PY" "$PY" peer "$TB_WORK/sent" >"$TB_WORK/peer.log" 2>&1 &
testbed_wait_files 10 "$TB_WORK/sent" || tb_fail "the scripted peer did not start"
tb_say "kernel client at $TB_NAT_ADDR and shim client at $TB_SHIM_ADDR, at once"
ip netns exec "$TB_NS_NAT" timeout 60 "$TB_PY" "$PY" client "$TB_NAT_PEER_ADDR" >"$TB_WORK/native" 2>&1 &
nat=$!
testbed_shim timeout 60 "$TB_PY" "$PY" client "$TB_PEER_ADDR" >"$TB_WORK/shim" 2>&1 ||
	tb_fail "the shim run failed: $(cat "$TB_WORK/shim")"
wait "$nat" || tb_fail "the native run failed: $(cat "$TB_WORK/native")"
cat "$TB_WORK/native" "$TB_WORK/shim"
for line in "answered: no error after 8 s, 0 RTOs counted" "silent: ETIMEDOUT, 0 RTOs counted"; do
	grep -qxF "$line" "$TB_WORK/native" || tb_fail "the kernel did not behave as this test expects ($line)"
done
diff -u <(grep -v '^time ' "$TB_WORK/native") <(grep -v '^time ' "$TB_WORK/shim") ||
	tb_fail "the errors differ from the kernel's"
# The head's transmissions (its first sequence number), times from the first.
sent() { at "$1" "$2" | wc -w; }
at() {
	awk -v s="$1" -v p="$2" '$2 == s && $3 == p { if (!t0) { t0 = $1; head = $5 } if ($5 == head) printf " %.2f", $1 - t0 }' \
		"$TB_WORK/sent"
}
tb_say "to the answering peer, s from the first: kernel$(at "$TB_NAT_ADDR" 7410); stack$(at "$TB_SHIM_ADDR" 7410)"
tb_say "to the silent peer: kernel$(at "$TB_NAT_ADDR" 7411); stack$(at "$TB_SHIM_ADDR" 7411)"
nat=$(sent "$TB_NAT_ADDR" 7410) shim=$(sent "$TB_SHIM_ADDR" 7410)
tb_say "transmissions of the head to the answering peer: kernel $nat, stack $shim"
[ "$nat" -ge 5 ] || tb_fail "the kernel sent the head only $nat times to the answering peer"
[ $((shim - nat)) -le 1 ] && [ $((nat - shim)) -le 1 ] ||
	tb_fail "the stack sent $shim transmissions to the answering peer, the kernel $nat"
tb_say "ok: zero-window probes of data in flight as the kernel's"
testbed_test_end
