#!/bin/bash
# SPDX-License-Identifier: MIT
# A connect() under way in one thread while another thread polls, reads
# and writes the socket (connect_inflight.py, natively and under the shim,
# outputs compared): the kernel's socket is SYN_SENT from inside the call,
# so the others find it connecting (EAGAIN, no poll bits), never
# unconnected (ENOTCONN, EPIPE, OUT|HUP). The interposer learns the
# connect only from the stack host's answer; the test holds that answer
# back by stopping the host (SIGSTOP) until the other thread has looked.
# The peer drops the SYNs, so the connect stays under way in both runs.
# Python's own test_socket (TCPCloserTest.testClose) met this under load:
# its reader got ENOTCONN from a socket whose connect had not returned yet.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin connect_inflight
PORT=7199

testbed_native_up || tb_fail "cannot build the native namespace"
ip netns exec "$TB_NS_PEER" nft -f - <<NFT || tb_fail "cannot install the SYN drop"
table ip syndrop {
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		tcp dport $PORT tcp flags syn drop
	}
}
NFT

# wait_file NAME [PID]: until TB_WORK/NAME exists (or the program PID ended).
wait_file() {
	local i
	for i in $(seq 1 600); do
		[ -e "$TB_WORK/$1" ] && return 0
		[ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null && return 1
		sleep 0.1
	done
	return 1
}

tb_say "native: from $TB_NAT_ADDR to $TB_NAT_PEER_ADDR:$PORT"
mkdir "$TB_WORK/native.d" || tb_fail "cannot make a directory"
touch "$TB_WORK/native.d/go"
ip netns exec "$TB_NS_NAT" timeout 60 "$TB_PY" "$(dirname "$0")/connect_inflight.py" "$TB_NAT_PEER_ADDR" "$PORT" \
	"$TB_WORK/native.d" >"$TB_WORK/native" 2>&1 || tb_fail "the native run failed: $(cat "$TB_WORK/native")"

tb_say "shim: from $TB_SHIM_ADDR to $TB_PEER_ADDR:$PORT, the stack host stopped while the thread connects"
mkdir "$TB_WORK/shim.d" || tb_fail "cannot make a directory"
testbed_shim timeout 60 "$TB_PY" "$(dirname "$0")/connect_inflight.py" "$TB_PEER_ADDR" "$PORT" \
	"$TB_WORK/shim.d" >"$TB_WORK/shim" 2>&1 &
prog=$!
wait_file shim.d/made $prog || tb_fail "the program did not make its socket: $(cat "$TB_WORK/shim")"
host=$(testbed_stackd_serving | head -n 1)
[ -n "$host" ] || tb_fail "no stack host serves the program"
kill -STOP "$host" || tb_fail "cannot stop the stack host $host"
touch "$TB_WORK/shim.d/go"
wait_file shim.d/seen $prog
kill -CONT "$host"
wait $prog || tb_fail "the shim run failed: $(cat "$TB_WORK/shim")"

grep -qx "recv while connecting: EAGAIN" "$TB_WORK/native" ||
	tb_fail "the kernel did not answer as this test expects: $(cat "$TB_WORK/native")"
testbed_same_lines
testbed_test_end
