#!/bin/bash
# SPDX-License-Identifier: MIT
# A connection reset by the peer before the application accepted it (and
# accepted without asking its address, so no request names it to the host
# first) still reads as the kernel's would: accept() returns it, and read()
# fails with ECONNRESET. The application proves it holds the socket with the
# fd accept() gave it, after the host's end of the pair is already closed.
# Asked for the address after the reset has arrived, accept() gives it all
# the same (inet_accept asks with peer 2, which no state refuses): the host
# names it with the connection (shim_accepted_name), natively and under the
# shim alike.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin accept_reset

testbed_shim "$SOCKSHIM_BUILD_DIR/tests/accept_reset" 9000 >"$TB_WORK/server.log" 2>&1 &
server=$!
testbed_wait_for 10 grep -q listening "$TB_WORK/server.log" ||
	tb_fail "the server did not start: $(cat "$TB_WORK/server.log")"
tb_say "kernel peer: connects and resets at once (SO_LINGER 0)"
testbed_peer_connect_reset "$TB_SHIM_ADDR" 9000 >/dev/null || tb_fail "the peer could not connect"
wait "$server" || tb_fail "the server failed: $(cat "$TB_WORK/server.log")"
tb_say "server: $(tr '\n' ';' <"$TB_WORK/server.log")"
grep -q "^read -1 ECONNRESET$" "$TB_WORK/server.log" ||
	tb_fail "want read -1 ECONNRESET on the accepted connection, as Linux"

# addr_run WHERE PORT ADDR FROM: the "addr" mode with WHERE as the
# server's prefix, ADDR its address; the peer connects from the peer
# namespace (address FROM, its port in WORK/peer-PORT) and resets; "go" once
# wait_reset PORT says the reset arrived.
addr_run() {
	local where=$1 port=$2 addr=$3 from=$4
	mkfifo "$TB_WORK/go-$port"
	$where "$SOCKSHIM_BUILD_DIR/tests/accept_reset" "$port" addr <"$TB_WORK/go-$port" \
		>"$TB_WORK/addr-$port.log" 2>&1 &
	server=$!
	exec 7>"$TB_WORK/go-$port"
	testbed_wait_for 10 grep -q listening "$TB_WORK/addr-$port.log"
	testbed_peer_connect_reset "$addr" "$port" >"$TB_WORK/peer-$port" ||
		tb_fail "the peer could not connect to $addr:$port"
	wait_reset "$port"
	echo go >&7
	exec 7>&-
	wait "$server" || tb_fail "the server on $port failed: $(cat "$TB_WORK/addr-$port.log")"
	tb_say "$addr:$port: $(tr '\n' ';' <"$TB_WORK/addr-$port.log")"
	grep -q "^accepted from $from:$(cat "$TB_WORK/peer-$port") len 16$" "$TB_WORK/addr-$port.log" ||
		tb_fail "want the peer's address $from:$(cat "$TB_WORK/peer-$port") from accept on $port"
	grep -q "^read -1 ECONNRESET$" "$TB_WORK/addr-$port.log" ||
		tb_fail "want read -1 ECONNRESET on $port, as Linux"
}
# The stack's EstabResets counts the reset of the connection not accepted yet.
stack_resets() {
	ip netns exec "$TB_NS_SHIM" env SOCKSHIM_IFACE="$TB_IF_SHIM" SOCKSHIM_ADDR="$TB_SHIM_ADDR/$TB_PREFIX" \
		"$SOCKSHIM_BUILD_DIR/tools/sockshim-stat" 2>/dev/null |
		awk '$1 == "Tcp:" { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "EstabResets") print kv[2] } }'
}
stack_counted_reset() { [ "$(stack_resets)" -ge 1 ] 2>/dev/null; }
wait_reset_stack() {
	testbed_wait_for 30 stack_counted_reset ||
		tb_fail "the host never counted the reset (EstabResets $(stack_resets))"
}

testbed_native_up || tb_fail "cannot build the native namespace"
tb_say "native: accept with its address after the peer's reset"
# The kernel's: the connection waiting in the accept queue is no longer
# established once the reset has arrived.
wait_reset() { testbed_wait_not_established "$TB_NS_NAT" "$1"; }
addr_run "ip netns exec $TB_NS_NAT" 9001 "$TB_NAT_ADDR" "$TB_NAT_PEER_ADDR"
tb_say "shim: the same"
wait_reset() { wait_reset_stack; }
addr_run testbed_shim 9002 "$TB_SHIM_ADDR" "$TB_PEER_ADDR"
testbed_test_end
