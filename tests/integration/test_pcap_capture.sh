#!/bin/bash
# SPDX-License-Identifier: MIT
# SOCKSHIM_PCAP writes every frame the stack sends or receives: curl fetches
# a small file under the shim with a capture on, and tcpdump must read the
# file back and show the ARP exchange, the handshake (SYN from the stack,
# SYN-ACK from the peer), the HTTP request and the FINs, with the stack's
# address on one side.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin pcap_capture

command -v tcpdump >/dev/null || tb_fail "tcpdump is not installed (tools/bootstrap installs it)"
mkdir "$TB_WORK/www" && echo "captured through sockshim" >"$TB_WORK/www/hello" ||
	tb_fail "cannot write the test file"
testbed_peer "$TB_PY" -m http.server 8080 --bind "$TB_PEER_ADDR" --directory "$TB_WORK/www" \
	>"$TB_WORK/server.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 8080 10 || tb_fail "the kernel-side http server did not start"

tb_say "shim side: SOCKSHIM_PCAP=capture.pcap curl http://$TB_PEER_ADDR:8080/hello"
SOCKSHIM_PCAP=$TB_WORK/capture.pcap testbed_shim curl -sS --max-time 20 \
	-o "$TB_WORK/fetched" "http://$TB_PEER_ADDR:8080/hello" >"$TB_WORK/curl.log" 2>&1 ||
	tb_fail "curl under the shim failed (status $?)"
cmp -s "$TB_WORK/www/hello" "$TB_WORK/fetched" || tb_fail "the fetched file differs"

# The host writes each frame through as it goes, so the file is complete now.
[ -s "$TB_WORK/capture.pcap" ] || tb_fail "no capture file was written"
tcpdump -nn -r "$TB_WORK/capture.pcap" >"$TB_WORK/tcpdump.log" 2>"$TB_WORK/tcpdump.err" ||
	tb_fail "tcpdump cannot read the capture: $(cat "$TB_WORK/tcpdump.err")"
tb_say "tcpdump read $(wc -l <"$TB_WORK/tcpdump.log") frames"
s=$TB_SHIM_ADDR p=$TB_PEER_ADDR
grep -q "ARP, Request who-has $p tell $s" "$TB_WORK/tcpdump.log" || tb_fail "no ARP request from the stack"
grep -q "ARP, Reply $p is-at" "$TB_WORK/tcpdump.log" || tb_fail "no ARP reply from the peer"
grep -Eq "IP $s\.[0-9]+ > $p\.8080: Flags \[S\]" "$TB_WORK/tcpdump.log" || tb_fail "no SYN from the stack"
grep -Eq "IP $p\.8080 > $s\.[0-9]+: Flags \[S\.\]" "$TB_WORK/tcpdump.log" || tb_fail "no SYN-ACK from the peer"
grep -Eq "IP $s\.[0-9]+ > $p\.8080: Flags \[P\.\].*HTTP: GET /hello" "$TB_WORK/tcpdump.log" ||
	tb_fail "no HTTP request in the capture"
grep -Eq "IP $s\.[0-9]+ > $p\.8080: Flags \[F\.\]" "$TB_WORK/tcpdump.log" || tb_fail "no FIN from the stack"
tb_say "ok: the capture reads in tcpdump: ARP, handshake, request and FIN"
testbed_test_end
