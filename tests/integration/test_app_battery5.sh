#!/bin/bash
# SPDX-License-Identifier: MIT
# The fifth battery of real, unmodified programs from Debian packages
# (test_app_battery.sh says how the comparison works): each runs under the
# shim and natively in the same test, the outputs compared line by line
# after the two networks' prefixes are made equal. One row per case: the
# side the shim takes (client: it reaches a server on the kernel peer;
# server: it serves a client on the kernel peer), the client command, and a
# pattern the output must hold (so a case that does nothing fails).
#
# What the cases drive beyond the first four batteries: iperf 2 over TCP
# (a stream of a fixed size: with -P 2 one stream's report sometimes never
# comes, natively too) and UDP (its closing datagrams and
# the server's report), sockperf's UDP and TCP ping-pong, aria2c splitting
# one download over 8 connections (HTTP ranges), busybox's httpd and wget,
# PHP's built-in web server and its stream client, netcat-openbsd's
# half-close (-N) into a socat TCP-LISTEN fork/reuseaddr server that answers
# only after the end of its input, connect scans by netcat-traditional and
# netcat-openbsd (-z), TLS 1.3 session resumption (openssl s_client
# -sess_out/-sess_in against s_server), and Python's asyncio streams
# upgraded to TLS mid-connection (start_tls) with an xmlrpc client and
# server, and dnsmasq as a DHCP server under the shim handing a lease to
# busybox's udhcpc on the peer (a client with no address: its broadcasts
# come from 0.0.0.0), with IP_PKTINFO, the interface's address from
# netlink, a ping check from a raw ICMP socket, then SIOCSARP so that its
# unicast offer reaches the client.
#
# Topology: testbed_native_up (native 10.98.0.10 <-> peer 10.98.0.2) beside
# the testbed (stack 10.99.0.10 <-> peer 10.99.0.2).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
. "$(dirname "$0")/apps/battery_run.sh"
battery_begin app_battery5

# ---- data ----
chmod 755 "$W" && mkdir -p "$W/www" &&
	head -c 1500000 /dev/urandom >"$W/www/file" && head -c 8388608 /dev/urandom >"$W/www/big" &&
	echo small >"$W/www/s.txt" || tb_fail "cannot write the test files"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=battery -days 2 \
	-keyout "$W/key.pem" -out "$W/cert.pem" >/dev/null 2>&1 || tb_fail "cannot make a TLS certificate"
# The peer's ends of the two veths, for the DHCP client (udhcpc -i).
PEER_IF_SHIM=$TB_IF_PEER PEER_IF_NAT=${TB_IF_SHIM%s}q
export PEER_IF_SHIM PEER_IF_NAT TB_SHIM_ADDR
TLS_SERVER="openssl s_server -quiet -tls1_3 -www -cert $W/cert.pem -key $W/key.pem -accept"

# ---- servers on the kernel peer, for the client cases ----
testbed_peer iperf -s -p 9101 >"$W/peer-iperf.log" 2>&1 &
testbed_peer iperf -s -u -p 9102 >"$W/peer-iperf-udp.log" 2>&1 &
testbed_peer sockperf server -p 9103 >"$W/peer-sockperf.log" 2>&1 &
testbed_peer sockperf server --tcp -p 9104 >"$W/peer-sockperf-tcp.log" 2>&1 &
testbed_peer busybox httpd -f -p 9105 -h "$W/www" >"$W/peer-httpd.log" 2>&1 &
# socat waits 10 s (not its 0.5) after the client's FIN for sha256sum's
# answer: a child still starting on a loaded machine then answers nothing
# (seen natively for an empty input).
testbed_peer socat -t 10 TCP4-LISTEN:9106,fork,reuseaddr SYSTEM:sha256sum >"$W/peer-socat.log" 2>&1 &
testbed_peer $TLS_SERVER 9107 >"$W/peer-s_server.log" 2>&1 &
testbed_peer "$TB_PY" "$APPS/starttls_app.py" server 9108 "$W/cert.pem" "$W/key.pem" >"$W/peer-starttls.log" 2>&1 &

# ---- servers for the server cases: $1 runs it (testbed_shim or testbed_nat), $2 names it ----
start_servers() {
	"$1" iperf -s -p 9201 >"$W/$2-iperf.log" 2>&1 &
	"$1" iperf -s -u -p 9202 >"$W/$2-iperf-udp.log" 2>&1 &
	"$1" sockperf server -p 9203 >"$W/$2-sockperf.log" 2>&1 &
	"$1" sockperf server --tcp -p 9204 >"$W/$2-sockperf-tcp.log" 2>&1 &
	"$1" busybox httpd -f -p 9205 -h "$W/www" >"$W/$2-httpd.log" 2>&1 &
	"$1" php -S 0.0.0.0:9206 -t "$W/www" >"$W/$2-php.log" 2>&1 &
	# -t 10: as the peer's (above).
	"$1" socat -t 10 TCP4-LISTEN:9207,fork,reuseaddr SYSTEM:sha256sum >"$W/$2-socat.log" 2>&1 &
	"$1" "$TB_PY" "$APPS/starttls_app.py" server 9208 "$W/cert.pem" "$W/key.pem" >"$W/$2-starttls.log" 2>&1 &
	"$1" $TLS_SERVER 9210 >"$W/$2-s_server.log" 2>&1 &
	# DHCP (no DNS) on the server's own interface ($3, its network $4).
	"$1" dnsmasq -k -p 0 -u root --log-facility=- --dhcp-leasefile="$W/$2-dnsmasq.leases" \
		--interface="$3" --dhcp-range="$4.150,$4.159" >"$W/$2-dnsmasq.log" 2>&1 &
}
start_servers testbed_shim shim "$TB_IF_SHIM" "${TB_SHIM_ADDR%.*}"
start_servers testbed_nat native "${TB_IF_SHIM%s}n" "${TB_NAT_ADDR%.*}"

for p in 9101 9104 9105 9106 9107 9108 9109; do
	testbed_wait_listen "$TB_NS_PEER" tcp "$p" 30 || tb_fail "the peer's server on TCP port $p did not start"
done
for p in 9102 9103; do
	testbed_wait_listen "$TB_NS_PEER" udp "$p" 30 || tb_fail "the peer's server on UDP port $p did not start"
done
for p in 9201 9204 9205 9206 9207 9208 9209 9210; do
	testbed_wait_listen "$TB_NS_NAT" tcp "$p" 30 || tb_fail "the native server on TCP port $p did not start"
	testbed_wait_tcp "$TB_NS_PEER" "$TB_SHIM_ADDR" "$p" 30 || tb_fail "the server on TCP port $p under the shim is not reachable"
done
for p in 9202 9203 67; do
	testbed_wait_listen "$TB_NS_NAT" udp "$p" 30 || tb_fail "the native server on UDP port $p did not start"
done
tb_say "servers up after ${SECONDS}s"

# name ::: shim side ::: client command ($SRV: the server's address, $OUT:
# a directory of the run's own; ${SRV%.10}.2 is the peer's address on the
# server's network) ::: pattern (ERE) the output must hold
cases() {
	cat <<'EOT'
iperf2-client ::: client ::: iperf -c $SRV -p 9101 -n 4M -f m >$OUT/log && grep -o ' 4\.00 MBytes' $OUT/log && iperf -c $SRV -u -p 9102 -b 10M -n 1M >$OUT/log && grep -c 'Server Report' $OUT/log ::: ^1$
sockperf-client ::: client ::: sockperf pp -i $SRV -p 9103 -t 1 -m 1000 | grep -o 'dropped messages = [0-9]*' && sockperf pp --tcp -i $SRV -p 9104 -t 1 -m 1000 | grep -o 'dropped messages = [0-9]*' ::: ^dropped messages = 0$
aria2c-client ::: client ::: aria2c -q -x 8 -s 8 -k 1M --allow-overwrite=true -d $OUT -o big http://$SRV:9105/big && cmp $W/www/big $OUT/big && echo same ::: ^same$
busybox-wget ::: client ::: busybox wget -q -O - http://$SRV:9105/file | sha256sum && busybox wget -q -O - http://$SRV:9105/nothing; echo "exit $?" ::: ^[0-9a-f]{64}  -$
php-client ::: client ::: php -r '$b = file_get_contents("http://" . $argv[1] . ":9105/file"); echo strlen($b), " ", hash("sha256", $b), "\n"; $s = @stream_socket_client("tcp://" . $argv[1] . ":9199", $no, $str, 10); var_dump($s, $no, $str);' $SRV ::: ^1500000 [0-9a-f]{64}$
nc-half-close ::: client ::: nc -N $SRV 9106 <$W/www/file && nc -N $SRV 9106 </dev/null ::: ^[0-9a-f]{64}  -$
nc-scan ::: client ::: nc.traditional -z -v -n -w 10 $SRV 9106 9198 2>&1; nc.openbsd -z -v -n -w 10 $SRV 9105-9106 9198 2>&1 ::: succeeded
tls13-resume-client ::: client ::: S="openssl s_client -tls1_3 -connect $SRV:9107 -ign_eof"; printf 'GET / HTTP/1.0\r\n\r\n' | $S -sess_out $OUT/sess 2>&1 | grep -E '^(New|Reused),|^HTTP/' && printf 'GET / HTTP/1.0\r\n\r\n' | $S -sess_in $OUT/sess 2>&1 | grep -E '^(New|Reused),|^HTTP/' ::: ^Reused, TLSv1\.3
starttls-client ::: client ::: $TB_PY $APPS/starttls_app.py client $SRV 9108 ::: ^starttls 2097152 True$
iperf2-server ::: server ::: iperf -c $SRV -p 9201 -n 4M -f m >$OUT/log && grep -o ' 4\.00 MBytes' $OUT/log && iperf -c $SRV -u -p 9202 -b 10M -n 1M >$OUT/log && grep -c 'Server Report' $OUT/log ::: ^1$
sockperf-server ::: server ::: sockperf pp -i $SRV -p 9203 -t 1 -m 1000 | grep -o 'dropped messages = [0-9]*' && sockperf pp --tcp -i $SRV -p 9204 -t 1 -m 1000 | grep -o 'dropped messages = [0-9]*' ::: ^dropped messages = 0$
aria2c-busybox-httpd ::: server ::: aria2c -q -x 8 -s 8 -k 1M --allow-overwrite=true -d $OUT -o big http://$SRV:9205/big && cmp $W/www/big $OUT/big && busybox wget -q -O - http://$SRV:9205/file | sha256sum ::: ^[0-9a-f]{64}  -$
php-server ::: server ::: curl -sS -o $OUT/1 -o $OUT/2 -o /dev/null -w '%{http_code} %{num_connects} %{size_download}\n' http://$SRV:9206/file http://$SRV:9206/s.txt http://$SRV:9206/nothing && sha256sum <$OUT/1 ::: ^200 1 1500000$
socat-half-close ::: server ::: for i in 1 2 3; do nc -N $SRV 9207 <$W/www/file >$OUT/$i & done; wait; cat $OUT/1 $OUT/2 $OUT/3 | sort | uniq -c ::: ^ +3 [0-9a-f]{64}  -$
starttls-server ::: server ::: $TB_PY $APPS/starttls_app.py client $SRV 9208 ::: ^starttls 2097152 True$
dhcp-dnsmasq ::: server ::: IF=$PEER_IF_NAT; [ $SRV = $TB_SHIM_ADDR ] && IF=$PEER_IF_SHIM; busybox udhcpc -f -q -n -i $IF -s /bin/true -t 3 -T 10 2>&1 | grep 'lease of' | sed -E 's/\.15[0-9] /.LEASE /' ::: ^udhcpc: lease of NET\.LEASE obtained from NET\.10, lease time 3600$
tls13-resume-server ::: server ::: S="openssl s_client -tls1_3 -connect $SRV:9210 -ign_eof"; printf 'GET / HTTP/1.0\r\n\r\n' | $S -sess_out $OUT/sess 2>&1 | grep -E '^(New|Reused),|^HTTP/' && printf 'GET / HTTP/1.0\r\n\r\n' | $S -sess_in $OUT/sess 2>&1 | grep -E '^(New|Reused),|^HTTP/' ::: ^Reused, TLSv1\.3
EOT
}

battery_run
testbed_test_end
