#!/bin/bash
# SPDX-License-Identifier: MIT
# The host kernel never answers for the stack's address, and a normal
# transfer has no reset in it. tcpdump in the peer namespace records every
# RST on the veth while a shim-side curl downloads 10 MiB and a kernel-side
# curl downloads 10 MiB from a shim-side server (both close orderly); the
# nftables counter in the shim namespace must stay at 0 (every test checks
# it; here it covers a listener and a client at once).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin no_kernel_rst

mkdir "$TB_WORK/www" && head -c $((10 * 1024 * 1024)) /dev/urandom >"$TB_WORK/www/file" ||
	tb_fail "cannot write the test file"

testbed_peer "$TB_PY" -m http.server 8080 --bind "$TB_PEER_ADDR" --directory "$TB_WORK/www" \
	>"$TB_WORK/peer-server.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 8080 10 || tb_fail "the kernel-side http server did not start"
testbed_shim "$TB_PY" -m http.server 8081 --bind "$TB_SHIM_ADDR" --directory "$TB_WORK/www" \
	>"$TB_WORK/shim-server.log" 2>&1 &
# The readiness probe may meet a closed port (a legitimate RST): probe
# before the capture starts.
testbed_wait_tcp "$TB_NS_PEER" "$TB_SHIM_ADDR" 8081 20 || tb_fail "the http server under the shim is not reachable"

tb_say "peer side: tcpdump -i $TB_IF_PEER 'tcp[tcpflags] & tcp-rst != 0'"
# ip netns exec execs tcpdump, so $! is tcpdump itself.
ip netns exec "$TB_NS_PEER" tcpdump -i "$TB_IF_PEER" -nn -U -w "$TB_WORK/rst.pcap" 'tcp[tcpflags] & tcp-rst != 0' \
	2>"$TB_WORK/tcpdump.log" &
dump=$!
for _ in $(seq 1 50); do
	grep -q 'listening on' "$TB_WORK/tcpdump.log" && break
	sleep 0.1
done
grep -q 'listening on' "$TB_WORK/tcpdump.log" || tb_fail "tcpdump did not start"

tb_say "shim-side curl downloads 10 MiB from the kernel"
testbed_shim curl -sS --max-time 120 -o "$TB_WORK/fetched-by-shim" "http://$TB_PEER_ADDR:8080/file" \
	>"$TB_WORK/shim-curl.log" 2>&1 || tb_fail "curl under the shim failed (status $?)"

tb_say "kernel-side curl downloads 10 MiB from the shim-side server"
testbed_peer curl -sS --max-time 120 -o "$TB_WORK/fetched-by-peer" "http://$TB_SHIM_ADDR:8081/file" \
	>"$TB_WORK/peer-curl.log" 2>&1 || tb_fail "the kernel-side curl failed (status $?)"

want=$(testbed_sha256 "$TB_WORK/www/file")
[ "$(testbed_sha256 "$TB_WORK/fetched-by-shim")" = "$want" ] || tb_fail "the shim-side download differs"
[ "$(testbed_sha256 "$TB_WORK/fetched-by-peer")" = "$want" ] || tb_fail "the kernel-side download differs"
tb_say "ok: both transfers intact"

# Let the last FIN/ACK exchange reach the wire before counting.
sleep 1
kill -TERM "$dump" 2>/dev/null
wait "$dump" 2>/dev/null
rsts=$(tcpdump -nn -r "$TB_WORK/rst.pcap" 2>/dev/null | tee "$TB_WORK/rst.log" | wc -l)
[ "$rsts" = 0 ] || tb_fail "$rsts RST segment(s) on the veth during orderly transfers: $(head -n 3 "$TB_WORK/rst.log")"
tb_say "ok: no RST on the wire"
testbed_test_end
