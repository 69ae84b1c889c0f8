#!/bin/bash
# SPDX-License-Identifier: MIT
# A stack host that starts after the last one lingered out continues its
# ISNs and timestamps, as the kernel's boot-long secrets do: a program
# connects from a fixed port, the kernel peer closes first (the peer holds
# the connection in TIME_WAIT), the program exits and its host with it
# (SOCKSHIM_LINGER_MS 1 s: long enough for the testbed's watch to see
# each), and the next program's connection from the same port to the peer
# starts again at once. A capture on the peer's veth
# shows each new SYN with an ISN and a TSval after the old connection's and
# answered by a SYN-ACK (a new random secret gets, half the time or more,
# the old connection's ACK and a reset). The same rounds from the kernel
# (the native namespace) must pass the same check.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin host_restart_tw

ROUNDS=4
testbed_native_up || tb_fail "cannot build the native namespace"
cat >"$TB_WORK/peer.py" <<'PY'
import socket
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 7301))
l.listen(8)
while True:
	c, _ = l.accept()
	c.sendall(b"hi")
	c.close()  # first: TIME_WAIT is the peer's
PY
cat >"$TB_WORK/client.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7311))
s.settimeout(30)
s.connect((sys.argv[1], 7301))
got = b""
while True:
	d = s.recv(10)
	if not d:
		break
	got += d
s.close()
print("read", got)
PY
testbed_peer "$TB_PY" "$TB_WORK/peer.py" &
testbed_wait_listen "$TB_NS_PEER" tcp 7301 30 || tb_fail "the peer does not listen"
for ifc in "$TB_IF_PEER" "${TB_IF_SHIM%s}q"; do
	testbed_peer tcpdump -i "$ifc" -nn -U -s 200 -w "$TB_WORK/$ifc.pcap" tcp port 7301 2>"$TB_WORK/$ifc.log" &
done
for _ in $(seq 1 100); do
	grep -q 'listening on' "$TB_WORK/$TB_IF_PEER.log" && grep -q 'listening on' "$TB_WORK/${TB_IF_SHIM%s}q.log" && break
	sleep 0.1
done

# check IFACE WHO: the rounds in IFACE's capture pass (tcpdump may lag: retry until a deadline).
check() {
	local i
	for i in $(seq 1 50); do
		(cd "$(dirname "$0")" && "$TB_PY" tw_secrets_check.py "$TB_WORK/$1.pcap" 7311 7301 "$ROUNDS") \
			>"$TB_WORK/$2.check" 2>&1
		tail -n 1 "$TB_WORK/$2.check" | grep -qx ok && return 0
		sleep 0.2
	done
	tb_fail "$2: $(cat "$TB_WORK/$2.check")"
}

tb_say "native: $ROUNDS connections from port 7311, the peer closing first"
for r in $(seq 1 $ROUNDS); do
	out=$(ip netns exec "$TB_NS_NAT" timeout 60 "$TB_PY" "$TB_WORK/client.py" "$TB_NAT_PEER_ADDR" 2>&1)
	[ "$out" = "read b'hi'" ] || tb_fail "native round $r: $out"
done
check "${TB_IF_SHIM%s}q" native
tb_say "native: $(head -n -1 "$TB_WORK/native.check" | tr '\n' ' ')"

tb_say "shim: the same, each round with a new stack host"
for r in $(seq 1 $ROUNDS); do
	out=$(SOCKSHIM_LINGER_MS=1000 SOCKSHIM_TRACE=2 SOCKSHIM_TRACE_FILE="$TB_WORK/round$r.trace" \
		testbed_shim timeout 60 "$TB_PY" "$TB_WORK/client.py" "$TB_PEER_ADDR" 2>&1)
	[ "$out" = "read b'hi'" ] || tb_fail "shim round $r: $out"
	for _ in $(seq 1 300); do
		[ -z "$(testbed_stackd_pids)" ] && break
		sleep 0.1
	done
	[ -z "$(testbed_stackd_pids)" ] || tb_fail "the stack host did not exit after round $r"
done
check "$TB_IF_PEER" shim
tb_say "shim: $(head -n -1 "$TB_WORK/shim.check" | tr '\n' ' ')"
# Each round had its own host (its trace says so), which took the boot's secrets.
hosts=$(cat "$TB_WORK"/round*.trace | sed -n 's/^sockshim-stackd\[\([0-9]*\)\].* up: .*/\1/p' | sort -u | wc -l)
[ "$hosts" = "$ROUNDS" ] || tb_fail "$hosts stack hosts for $ROUNDS rounds"
[ "$(grep -c "TCP secrets: the boot's" "$TB_WORK"/round*.trace | grep -c ':1$')" = "$ROUNDS" ] ||
	tb_fail "a host did not take the boot's secrets: $(grep -h "TCP secrets" "$TB_WORK"/round*.trace)"
# The namespace goes with the test; its secret file need not stay.
rm -f "/run/sockshim/tcp-secret-netns-$(stat -L -c %i "/run/netns/$TB_NS_SHIM")"
tb_say "ok: $ROUNDS hosts in turn continued one sequence and timestamp clock, as the kernel"
testbed_test_end
