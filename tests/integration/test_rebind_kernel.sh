#!/bin/bash
# SPDX-License-Identifier: MIT
# close() then bind() of the same port at once answers as the kernel's, in
# every way a program or a test suite restarting a server does it:
# rebind_kernel.py runs natively and under the shim (the kernel peer
# connecting back where a scenario needs a connection) and the outputs
# must be equal. (test_rebind.sh repeats the simplest case 200 times.)
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin rebind_kernel

testbed_native_up || tb_fail "cannot build the native namespace"
# The TIME_WAIT scenarios (ports 7231-7232) need the connection to stay in
# TIME_WAIT. On a loaded machine a FIN or ACK can be retransmitted after the
# peer's socket is gone; the peer's answer, a reset, then ends our TIME_WAIT
# (RFC 1337's assassination, which Linux allows with tcp_rfc1337 0) and the
# kernel's bind succeeds where it otherwise fails. The peer's resets to those
# ports are dropped, counted, so both runs see the same states.
ip netns exec "$TB_NS_PEER" nft -f - <<'NFT' || tb_fail "cannot install the reset filter"
table ip rebind_tw {
	chain out {
		type filter hook output priority 0;
		tcp dport 7231-7232 tcp flags & rst == rst counter drop
	}
}
NFT
testbed_native_vs_shim "$(dirname "$0")/rebind_kernel.py" "$TB_NS_PEER"
grep -qx "listener closed with a connection waiting, reuse=0 ok" "$TB_WORK/native" &&
	grep -qx "accepted one in TIME_WAIT, listener reuse=1, bind reuse=0 EADDRINUSE" "$TB_WORK/native" ||
	tb_fail "the kernel did not behave as this test expects: $(cat "$TB_WORK/native")"
tb_say "ok: $(wc -l <"$TB_WORK/native") lines as the kernel's; peer resets kept from TIME_WAIT: $(ip netns exec "$TB_NS_PEER" nft list table ip rebind_tw | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')"
testbed_test_end
