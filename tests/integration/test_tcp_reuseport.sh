#!/bin/bash
# SPDX-License-Identifier: MIT
# SO_REUSEPORT on TCP as the kernel's (nginx's `listen ... reuseport`, one
# listener per worker): which bind() and listen() of two sockets on one
# port succeed with SO_REUSEPORT, SO_REUSEADDR, both or neither, and a
# group of three listeners that shares the connections a kernel peer opens
# (each accepted once, by more than one member). tcp_reuseport.py runs
# natively and under the shim against the same kernel peer, whose helper
# (tcp_reuseport_peer.py) opens the connections when asked; the outputs
# must be equal.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_reuseport
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

testbed_native_up || tb_fail "cannot build the native namespace"
testbed_peer "$TB_PY" "$here/tcp_reuseport_peer.py" >"$TB_WORK/peer.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 7399 10 || tb_fail "the peer helper did not start"

testbed_native_vs_shim "$here/tcp_reuseport.py"
grep -qx "reuseport both: bind0 ok, bind1 ok, listen0 ok, listen1 ok" "$TB_WORK/native" &&
	grep -qx "group: accepted 30 members used True" "$TB_WORK/native" ||
	tb_fail "the kernel did not share the port: $(cat "$TB_WORK/native")"
tb_say "ok: the same as the kernel: $(tr '\n' '|' <"$TB_WORK/shim")"
testbed_test_end
