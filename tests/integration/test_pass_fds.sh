#!/bin/bash
# SPDX-License-Identifier: MIT
# Emulated sockets passed to another process with SCM_RIGHTS, as node's
# cluster module hands its workers the primary's bound socket (they listen
# on it) or each connection the primary accepted (they ask it for its
# addresses and set TCP_NODELAY): the receiving process made no socket of
# its own, so only the fds it got tell the interposer they are emulated.
# pass_fds.py runs natively and under the shim against the same kernel
# peer (pass_fds_peer.py connects when asked); the outputs must be equal.
# pass_fds_newhost.py, the same way against a UDP echo: a datagram socket
# of a stack host started after the receiver's own had left, used at once
# (a send with an address, its echo) with the socket's own cookies.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin pass_fds
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

testbed_native_up || tb_fail "cannot build the native namespace"
# First, while no TCP connection of the stack is in TIME_WAIT (which would keep its host).
testbed_udp_echo 7323 || tb_fail "the peer's UDP echo did not start"
SOCKSHIM_LINGER_MS=0 testbed_native_vs_shim "$here/pass_fds_newhost.py" 7323
grep -qx "passed echo same from the peer" "$TB_WORK/native" ||
	tb_fail "the native run did not go as planned: $(cat "$TB_WORK/native")"
# (The first host's control name had left /proc/net/unix, else the shim's run says so.)
tb_say "ok: a new host's socket, passed: $(tr '\n' '|' <"$TB_WORK/shim")"

testbed_peer "$TB_PY" "$here/pass_fds_peer.py" >"$TB_WORK/peer.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 7398 10 || tb_fail "the peer helper did not start"

testbed_native_vs_shim "$here/pass_fds.py"
grep -qx "child: passed connection me peer nodelay True type 1" "$TB_WORK/native" &&
	grep -qx "child: recvmmsg passed AF_INET SOCK_DGRAM ('0.0.0.0', 7322)" "$TB_WORK/native" &&
	grep -qx "peer: got nothing | got pong" "$TB_WORK/native" ||
	tb_fail "the native run did not go as planned: $(cat "$TB_WORK/native")"
tb_say "ok: the same as the kernel: $(tr '\n' '|' <"$TB_WORK/shim")"
testbed_test_end
