#!/bin/bash
# SPDX-License-Identifier: MIT
# IP options set by a socket, against the kernel in the same run
# (ip_options.py, natively in a third namespace and under the shim, each
# to its own veth of the same peer):
#   sockopt: setsockopt(IP_OPTIONS) with good and bad lists on UDP, TCP and
#            raw sockets and what getsockopt gives back, TCP_MAXSEG after
#            them, and the lists again as nobody: the same lines;
#   serve:   the peer's kernel connects with options to a listener of each
#            side, plainly and with SYN cookies: what the accepted sockets
#            took, and the SYN-ACKs and a closed port's reset on the wire;
#   wire:    UDP, raw ICMP, ping and TCP sent with record route, timestamps
#            (only, with addresses, prespecified), loose and strict source
#            routes, router alert and padding: the calls' results and
#            TCP_MAXSEG are the same, and the packets the peer captured
#            (ip_options_peer.py: addresses, ids and ports masked, sums and
#            times checked) are the same, byte for byte otherwise; then
#            sendmsg with IP_RETOPTS (good, bad, as nobody, a first hop off
#            the subnet, the largest datagram, several lists in one
#            message), the same checks against the socket's own options
#            (largest datagram, first hop, a source route to 0.0.0.0,
#            IP_HDRINCL with any list) and IP_RECVFRAGSIZE on UDP and raw
#            sockets for answers the peer's kernel fragments or not.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin ip_options
here=$(dirname "$0")
port=9400

testbed_native_up || tb_fail "cannot build the native namespace"
# Ping sockets for root in both namespaces (the stack reads its namespace's).
for ns in "$TB_NS_NAT" "$TB_NS_SHIM"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.ping_group_range="0 0" || tb_fail "cannot set ping_group_range in $ns"
done

testbed_native_vs_shim "$here/ip_options.py" sockopt
grep -q "^udp rr 1 slot .*set ok .*get ok 07070400000000" "$TB_WORK/native" ||
	tb_fail "the kernel did not take a record route option: $(grep 'rr 1 slot' "$TB_WORK/native")"
tb_say "ok: setsockopt/getsockopt(IP_OPTIONS): $(wc -l <"$TB_WORK/native") lines as the kernel's"

testbed_peer "$TB_PY" "$here/ip_options_peer.py" capture "$port" "$((port + 6))" "$((port + 7))" "$TB_NAT_ADDR" "$TB_SHIM_ADDR" \
	>"$TB_WORK/capture" 2>"$TB_WORK/capture.log" &
for _ in $(seq 1 100); do
	grep -q '^ready' "$TB_WORK/capture" && break
	sleep 0.1
done
grep -q '^ready' "$TB_WORK/capture" || tb_fail "the peer's capture did not start: $(cat "$TB_WORK/capture.log")"
testbed_wait_listen "$TB_NS_PEER" tcp "$port" 10 && testbed_wait_listen "$TB_NS_PEER" tcp "$((port + 7))" 10 ||
	tb_fail "the peer's servers did not start"

# wait_end ADDR: until the capture saw the run from ADDR end.
wait_end() {
	for _ in $(seq 1 200); do
		grep -qx "$1: END" "$TB_WORK/capture" && return 0
		sleep 0.1
	done
	tb_fail "the capture never saw the end of the run from $1: $(tail -5 "$TB_WORK/capture")"
}
testbed_native_vs_shim "$here/ip_options.py" send "$port" "$((port + 7))"
cp "$TB_WORK/native" "$TB_WORK/native.calls"
grep -qx "udp DF with rr error queue: errno 90 origin 1 info 1460" "$TB_WORK/native.calls" ||
	tb_fail "the kernel's EMSGSIZE did not leave the MTU less the options: $(grep 'udp DF' "$TB_WORK/native.calls")"
grep -qx "udp retopts bad EINVAL" "$TB_WORK/native.calls" &&
	grep -qx "IP_RECVFRAGSIZE raw 3000 3028 0 \[(0, 25, 'dc050000')\]" "$TB_WORK/native.calls" &&
	grep -qx "IP_RECVFRAGSIZE udp 100 100 0 \[\]" "$TB_WORK/native.calls" ||
	tb_fail "the kernel's IP_RETOPTS or IP_RECVFRAGSIZE answers are not the expected: $(grep -E 'retopts|FRAGSIZE' "$TB_WORK/native.calls")"
grep -qx "udp own lsrr far first ENETUNREACH" "$TB_WORK/native.calls" &&
	grep -qx "udp own 40 bytes len 65468 EMSGSIZE" "$TB_WORK/native.calls" &&
	grep -qx "raw hdrincl 255 own empty EINVAL" "$TB_WORK/native.calls" ||
	tb_fail "the kernel's checks of a socket's own options are not the expected: $(grep -E 'own' "$TB_WORK/native.calls")"

# serve PHASE: the peer's kernel connects with options to a listener of
# each side on port + 5 (port + 6 is closed: a reset); the accepted
# sockets and the clients' results must be the kernel's.
ncases=$(grep -c '^	("' <(sed -n '/^CLIENT_CASES/,/^]/p' "$here/ip_options_peer.py"))
serve() {
	local a
	for a in "$TB_NAT_ADDR" "$TB_SHIM_ADDR"; do
		testbed_peer timeout 90 "$TB_PY" "$here/ip_options_peer.py" client "$a" "$((port + 5))" \
			>"$TB_WORK/client-$a" 2>&1 &
		eval "client_${a//./_}=$!"
	done
	testbed_native_vs_shim "$here/ip_options.py" serve "$((port + 5))" "$((ncases + 1))" # and the probe
	for a in "$TB_NAT_ADDR" "$TB_SHIM_ADDR"; do
		wait "$(eval echo "\$client_${a//./_}")" || tb_fail "the peer's client of $a failed: $(cat "$TB_WORK/client-$a")"
	done
	diff -u "$TB_WORK/client-$TB_NAT_ADDR" "$TB_WORK/client-$TB_SHIM_ADDR" ||
		tb_fail "$1: the peer's connections to the shim did not go as to the kernel"
	grep -q "^closed port: Connection refused" "$TB_WORK/client-$TB_NAT_ADDR" ||
		tb_fail "$1: the closed port did not refuse: $(cat "$TB_WORK/client-$TB_NAT_ADDR")"
	grep -q "^accepted rr IP_OPTIONS \[07270c\[P,S,0.0.0.0" "$TB_WORK/native" ||
		tb_fail "$1: the kernel's accepted socket has not its SYN's record route: $(cat "$TB_WORK/native")"
	tb_say "ok: $1: $ncases connections with options accepted as by the kernel"
}
serve "listener"
for ns in "$TB_NS_NAT" "$TB_NS_SHIM"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syncookies=2 || tb_fail "cannot set tcp_syncookies in $ns"
done
serve "SYN cookies"
# Last of all, each side's "END": once the capture has printed it, it has
# read every packet before it (it reads behind the wire on a loaded machine).
testbed_native_vs_shim "$here/ip_options.py" end "$port"
wait_end "$TB_NAT_ADDR"
wait_end "$TB_SHIM_ADDR"
! grep -q '^capture dropped' "$TB_WORK/capture" ||
	tb_fail "the peer's capture lost packets (no room in its socket), no verdict: $(grep '^capture dropped' "$TB_WORK/capture" | tail -1)"
# Sorted: a datagram leaves the stack after its send returned (the host
# reads it from the pair), so across sockets the order is not the kernel's;
# every line names what it is.
sed -n "s/^$TB_NAT_ADDR: //p" "$TB_WORK/capture" | sort >"$TB_WORK/native"
sed -n "s/^$TB_SHIM_ADDR: //p" "$TB_WORK/capture" | sort >"$TB_WORK/shim"
grep -q "opts \[072708\[S,0.0.0.0,.*b'udp rr'" "$TB_WORK/native" ||
	tb_fail "the kernel's record route was not seen: $(head -3 "$TB_WORK/native")"
grep -q "opts \[070b08\[S,0.0.0.0\] 00\] udp dport .* b'udp retopts rr'" "$TB_WORK/native" ||
	tb_fail "the kernel did not send a message's record route in place of the socket's timestamps"
grep -q "opts \[070f10\[P,S,S\] 44101100\[T,T,T\] 00\] tcp flags 0x12 " "$TB_WORK/native" ||
	tb_fail "no SYN-ACK of the kernel's echoed record route and timestamps"
grep -q "opts \[072710\[P,S,S,0.0.0.0,.* tcp flags 0x14 " "$TB_WORK/native" ||
	tb_fail "no reset of the kernel's echoed record route"
testbed_same_lines
tb_say "ok: the calls ($(wc -l <"$TB_WORK/native.calls") lines) and the packets on the wire as the kernel's"
testbed_test_end
