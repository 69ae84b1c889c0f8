#!/bin/bash
# SPDX-License-Identifier: MIT
# More real, unmodified programs from Debian packages (the second battery;
# test_app_battery.sh is the first and says how the comparison works): each
# runs under the shim and natively in the same test, the outputs compared
# line by line after the two networks' prefixes are made equal. One row per
# case: the side the shim takes (client: it reaches a server on the kernel
# peer; server: it serves a client on the kernel peer), the client command,
# and a pattern the output must hold (so a case that does nothing fails).
#
# What the cases drive beyond the first battery: keep-alive and several
# transfers per connection (curl, ab -k, haproxy in front of lighttpd), TLS
# (openssl s_server/s_client, curl over https), UDP servers that answer from
# a forked child (socat UDP-RECVFROM fork, tftpd's second port), nc -u, a
# DNS server that reads IP_PKTINFO (dnsmasq), FTP's second connections in
# both directions (PASV and PORT), MQTT, pipelined redis-benchmark,
# PostgreSQL over TCP, iperf3 reversed, node's c-ares resolver, SNMP (snmpd,
# snmpget) and NTP (chronyd as server and as a one-shot client).
#
# Topology: testbed_native_up (native 10.98.0.10 <-> peer 10.98.0.2) beside
# the testbed (stack 10.99.0.10 <-> peer 10.99.0.2).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
. "$(dirname "$0")/apps/battery_run.sh"
battery_begin app_battery2

# ---- data ----
# PostgreSQL runs as its own user: it must reach its directories.
chmod 755 "$W" && mkdir -p "$W/www" "$W/ftp" &&
	head -c 1500000 /dev/urandom >"$W/www/file" && echo small >"$W/www/s.txt" &&
	cp "$W/www/file" "$W/ftp/file" && cp "$W/www/s.txt" "$W/ftp/s.txt" || tb_fail "cannot write the test files"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=battery -days 2 \
	-keyout "$W/key.pem" -out "$W/cert.pem" >/dev/null 2>&1 || tb_fail "cannot make a TLS certificate"
PG=/usr/lib/postgresql/15/bin
mkdir "$W/pg" && chown postgres "$W/pg" && runuser -u postgres -- "$PG/initdb" -D "$W/pg" -U postgres --auth=trust -N >"$W/initdb.log" 2>&1 &&
	echo "host all all 0.0.0.0/0 trust" >>"$W/pg/pg_hba.conf" &&
	for s in native shim peer; do cp -a "$W/pg" "$W/pg-$s" && mkdir -p "$W/pgsock-$s" && chown postgres "$W/pgsock-$s" || exit 1; done ||
	tb_fail "cannot make the PostgreSQL cluster"

# lighttpd_conf NAME PORT
lighttpd_conf() {
	cat >"$W/lighttpd-$1.conf" <<EOT
server.document-root = "$W/www"
server.port = $2
server.errorlog = "$W/lighttpd-$1.err"
server.max-keep-alive-requests = 1000
mimetype.assign = (".txt" => "text/plain", "" => "application/octet-stream")
EOT
}
lighttpd_conf peer 8301
# haproxy_conf NAME BACKEND: HTTP with keep-alive on both sides, to the
# peer's lighttpd.
haproxy_conf() {
	cat >"$W/haproxy-$1.cfg" <<EOT
global
	maxconn 100
defaults
	mode http
	timeout connect 10s
	timeout client 30s
	timeout server 30s
frontend f
	bind 0.0.0.0:8404
	default_backend b
backend b
	server s1 $2:8301
EOT
}
haproxy_conf native "$TB_NAT_PEER_ADDR"
haproxy_conf shim "$TB_PEER_ADDR"
# mosquitto_conf NAME PORT (it drops to its own user after binding)
mosquitto_conf() {
	printf 'listener %s 0.0.0.0\nallow_anonymous true\npersistence false\nlog_dest stderr\n' "$2" >"$W/mosquitto-$1.conf"
}
mosquitto_conf peer 8306
mosquitto_conf server 8409
# snmpd_conf NAME PORT; chrony_conf NAME PORT: an NTP server on its local
# clock, no command sockets (several chronyd run side by side).
snmpd_conf() {
	printf 'agentaddress udp:%s\nrocommunity public\nsyscontact battery-contact\nsyslocation battery-room\n' \
		"$2" >"$W/snmpd-$1.conf"
}
chrony_conf() {
	printf 'port %s\nallow all\nlocal stratum 8\ncmdport 0\nbindcmdaddress /\npidfile %s\n' \
		"$2" "$W/chrony-$1.pid" >"$W/chrony-$1.conf"
}
snmpd_conf peer 8311
chrony_conf peer 8312
# Each dnsmasq its own pid file: at the default one (/var/run/dnsmasq.pid)
# two starting together race (unlink, then open with O_EXCL) and one exits.
DNSMASQ_ARGS=(--no-resolv --no-hosts --address=/svc.battery.test/10.1.2.3
	--txt-record=txt.battery.test,"$(printf 'y%.0s' $(seq 1 1000))")

# ---- servers on the kernel peer, for the client cases ----
# in.tftpd -4: without it, it exits when it cannot make an IPv6 socket, and
# the shim answers AF_INET6 as a kernel built without IPv6 does.
testbed_peer lighttpd -D -f "$W/lighttpd-peer.conf" >"$W/peer-lighttpd.log" 2>&1 &
(cd "$W/www" && exec ip netns exec "$TB_NS_PEER" openssl s_server -quiet -accept 8302 -cert "$W/cert.pem" \
	-key "$W/key.pem" -WWW) >"$W/peer-s_server.log" 2>&1 &
testbed_peer socat UDP4-RECVFROM:8303,fork EXEC:'tr a-z A-Z' >"$W/peer-socat-udp.log" 2>&1 &
# One iperf3 server per test (TCP, UDP) and per network (-B): a server still
# finishing one test answers the next client "busy" (as the shim side's two
# below).
for a in "$TB_PEER_ADDR" "$TB_NAT_PEER_ADDR"; do
	testbed_peer iperf3 -s -B "$a" -p 8304 >"$W/peer-iperf3-$a.log" 2>&1 &
	testbed_peer iperf3 -s -B "$a" -p 8315 >"$W/peer-iperf3-udp-$a.log" 2>&1 &
done
testbed_peer in.tftpd -4 -L -a 0.0.0.0:8305 -s "$W/www" >"$W/peer-tftpd.log" 2>&1 &
testbed_peer mosquitto -c "$W/mosquitto-peer.conf" >"$W/peer-mosquitto.log" 2>&1 &
testbed_peer redis-server --bind 0.0.0.0 --port 8307 --save '' --appendonly no --protected-mode no \
	--dir "$W" >"$W/peer-redis.log" 2>&1 &
testbed_peer runuser -u postgres -- "$PG/postgres" -D "$W/pg-peer" -p 8308 -k "$W/pgsock-peer" \
	-c listen_addresses='*' >"$W/peer-postgres.log" 2>&1 &
testbed_peer dnsmasq -k -p 8309 --pid-file="$W/peer-dnsmasq.pid" "${DNSMASQ_ARGS[@]}" >"$W/peer-dnsmasq.log" 2>&1 &
testbed_peer snmpd -f -Lo -C -c "$W/snmpd-peer.conf" -p "$W/snmpd-peer.pid" >"$W/peer-snmpd.log" 2>&1 &
testbed_peer chronyd -d -x -f "$W/chrony-peer.conf" >"$W/peer-chronyd.log" 2>&1 &
testbed_peer "$TB_PY" -m pyftpdlib -p 8310 -d "$W/ftp" >"$W/peer-ftp.log" 2>&1 &

# ---- servers for the server cases: $1 runs it (testbed_shim or testbed_nat), $2 names it ----
start_servers() {
	lighttpd_conf "$2" 8401
	"$1" lighttpd -D -f "$W/lighttpd-$2.conf" >"$W/$2-lighttpd.log" 2>&1 &
	"$1" "$TB_PY" -m http.server -b 0.0.0.0 -d "$W/www" 8402 >"$W/$2-http.server.log" 2>&1 &
	(cd "$W/www" && "$1" openssl s_server -quiet -accept 8403 -cert "$W/cert.pem" -key "$W/key.pem" -WWW) \
		>"$W/$2-s_server.log" 2>&1 &
	"$1" haproxy -db -f "$W/haproxy-$2.cfg" >"$W/$2-haproxy.log" 2>&1 &
	"$1" socat UDP4-RECVFROM:8405,fork EXEC:'tr a-z A-Z' >"$W/$2-socat-udp.log" 2>&1 &
	# Two iperf3 servers, one test each: between tests a server closes its
	# listener and makes a new one, and a client that comes in between is
	# refused (the window is longer under the shim: each call is a round
	# trip to the stack host). --forceflush: each says at once that it
	# listens (iperf3_wait_listening).
	"$1" iperf3 -s -p 8406 --forceflush >"$W/$2-iperf3.log" 2>&1 &
	"$1" iperf3 -s -p 8414 --forceflush >"$W/$2-iperf3-udp.log" 2>&1 &
	"$1" dnsmasq -k -p 8407 --pid-file="$W/$2-dnsmasq.pid" "${DNSMASQ_ARGS[@]}" >"$W/$2-dnsmasq.log" 2>&1 &
	"$1" in.tftpd -4 -L -a 0.0.0.0:8408 -s "$W/www" >"$W/$2-tftpd.log" 2>&1 &
	"$1" mosquitto -c "$W/mosquitto-server.conf" >"$W/$2-mosquitto.log" 2>&1 &
	"$1" "$TB_PY" -m pyftpdlib -p 8410 -d "$W/ftp" >"$W/$2-ftp.log" 2>&1 &
	snmpd_conf "$2" 8412
	"$1" snmpd -f -Lo -C -c "$W/snmpd-$2.conf" -p "$W/snmpd-$2.pid" >"$W/$2-snmpd.log" 2>&1 &
	chrony_conf "$2" 8413
	"$1" chronyd -d -x -f "$W/chrony-$2.conf" >"$W/$2-chronyd.log" 2>&1 &
	"$1" runuser -u postgres -- "$PG/postgres" -D "$W/pg-$2" -p 8411 -k "$W/pgsock-$2" \
		-c listen_addresses='*' >"$W/$2-postgres.log" 2>&1 &
}
start_servers testbed_shim shim
start_servers testbed_nat native

for a in "$TB_PEER_ADDR" "$TB_NAT_PEER_ADDR"; do
	for p in 8304 8315; do
		testbed_wait_listen "$TB_NS_PEER" tcp "$p" 30 "$a" || tb_fail "the peer's iperf3 on $a:$p did not start"
	done
done
for p in 8301 8302 8306 8307 8308 8309 8310; do
	testbed_wait_listen "$TB_NS_PEER" tcp "$p" 30 || tb_fail "the peer's server on TCP port $p did not start"
done
for p in 8303 8305 8311 8312; do
	testbed_wait_listen "$TB_NS_PEER" udp "$p" 30 || tb_fail "the peer's server on UDP port $p did not start"
done
# A connection to see whether an iperf3 server is up would be its one test:
# it fails (no cookie), and the server closes its listener to make a new one,
# refusing the case's client meanwhile. Its own first line says it listens.
iperf3_wait_listening() { # LOG PORT
	local i
	for i in $(seq 1 300); do
		grep -q "^Server listening on $2 (test #1)" "$1" && return 0
		sleep 0.1
	done
	return 1
}
for s in shim native; do
	iperf3_wait_listening "$W/$s-iperf3.log" 8406 && iperf3_wait_listening "$W/$s-iperf3-udp.log" 8414 ||
		tb_fail "the iperf3 servers ($s) did not start: $(cat "$W/$s-iperf3.log" "$W/$s-iperf3-udp.log")"
done
for p in 8401 8402 8403 8404 8407 8409 8410 8411; do
	testbed_wait_listen "$TB_NS_NAT" tcp "$p" 30 || tb_fail "the native server on TCP port $p did not start"
	testbed_wait_tcp "$TB_NS_PEER" "$TB_SHIM_ADDR" "$p" 30 || tb_fail "the server on TCP port $p under the shim is not reachable"
done
for p in 8405 8408 8412 8413; do
	testbed_wait_listen "$TB_NS_NAT" udp "$p" 30 || tb_fail "the native server on UDP port $p did not start"
done
tb_say "servers up after ${SECONDS}s"

# name ::: shim side ::: client command ($SRV: the server's address, $OUT:
# a directory of the run's own) ::: pattern (ERE) the output must hold
cases() {
	cat <<'EOT'
curl-keepalive ::: client ::: curl -s -o $OUT/1 -o $OUT/2 -o $OUT/3 -w '%{http_code} %{num_connects} %{size_download}\n' http://$SRV:8301/file http://$SRV:8301/s.txt http://$SRV:8301/file && cat $OUT/1 $OUT/3 | sha256sum ::: ^200 0 1500000$
ab-keepalive ::: client ::: ab -k -n 400 -c 4 http://$SRV:8301/s.txt | grep -E '^(Complete|Failed|Keep-Alive|Non-2xx|HTML transferred)' ::: ^Keep-Alive requests: +400$
urllib ::: client ::: $TB_PY -c "import urllib.request as u, hashlib, sys; b = u.urlopen('http://' + sys.argv[1] + ':8301/file', timeout=30).read(); print(len(b), hashlib.sha256(b).hexdigest())" $SRV ::: ^1500000 [0-9a-f]{64}$
tls-client ::: client ::: curl -sk https://$SRV:8302/file | sha256sum && printf 'GET /s.txt HTTP/1.0\r\n\r\n' | openssl s_client -quiet -connect $SRV:8302 2>/dev/null | tr -d '\r' ::: ^small$
nc-udp ::: client ::: udp_ask $SRV 8303 hello && udp_ask $SRV 8303 "$(head -c 3000 $W/www/file | base64 -w0)" | sha256sum ::: ^HELLO$
iperf3-reverse ::: client ::: iperf3 -c $SRV -p 8304 -t 1 -R >$OUT/log && iperf3 -c $SRV -p 8315 -u -b 20M -t 1 -R >>$OUT/log && grep -c 'iperf Done' $OUT/log ::: ^2$
snmpget ::: client ::: snmpget -v2c -c public -On -Oqv $SRV:8311 .1.3.6.1.2.1.1.4.0 .1.3.6.1.2.1.1.6.0 ::: ^"battery-room"$
chronyd-client ::: client ::: chronyd -Q -t 30 -f /dev/null "server $SRV port 8312 iburst maxsamples 4" 2>&1 | sed -n 's/.*\(System clock wrong by\) .*/\1/p' ::: ^System clock wrong by$
tftp-client ::: client ::: tftp -m binary $SRV 8305 -c get file $OUT/got && sha256sum <$OUT/got ::: ^[0-9a-f]{64}  -$
mqtt-client ::: client ::: mosquitto_pub -h $SRV -p 8306 -q 1 -r -t b/s -m hello && mosquitto_pub -h $SRV -p 8306 -q 1 -r -t b/big -f $W/www/file && mosquitto_sub -h $SRV -p 8306 -t b/s -C 1 && mosquitto_sub -h $SRV -p 8306 -q 1 -t b/big -C 1 -N | sha256sum ::: ^hello$
redis-benchmark ::: client ::: redis-cli -h $SRV -p 8307 flushall && redis-benchmark -h $SRV -p 8307 -n 4096 -c 8 -P 16 -t set,lpush -q >/dev/null && redis-cli -h $SRV -p 8307 llen mylist ::: ^4096$
psql-client ::: client ::: psql -h $SRV -p 8308 -U postgres -Atc "select count(*), sum(x), md5(string_agg(x::text, ',')) from generate_series(1, 200000) x" && psql -h $SRV -p 8308 -U postgres -c "copy (select x, md5(x::text) from generate_series(1, 100000) x) to stdout" | sha256sum ::: ^200000\|20000100000\|
node-dns ::: client ::: node $APPS/dns_client.js $SRV 8309 ::: ^txt 1000$
ftp-client ::: client ::: $TB_PY $APPS/ftp_client.py $SRV 8310 file ::: ^port 1500000 [0-9a-f]{64}$
lighttpd ::: server ::: curl -s -o $OUT/1 -o $OUT/2 -o $OUT/3 -w '%{http_code} %{num_connects} %{size_download}\n' http://$SRV:8401/file http://$SRV:8401/s.txt http://$SRV:8401/file && cat $OUT/1 $OUT/3 | sha256sum && ab -k -n 400 -c 4 http://$SRV:8401/s.txt | grep -E '^(Complete|Failed|Keep-Alive|Non-2xx|HTML transferred)' ::: ^Keep-Alive requests: +400$
http.server ::: server ::: $TB_PY -c "import urllib.request as u, hashlib, sys; b = u.urlopen('http://' + sys.argv[1] + ':8402/file', timeout=30).read(); print(len(b), hashlib.sha256(b).hexdigest())" $SRV ::: ^1500000 [0-9a-f]{64}$
tls-server ::: server ::: curl -sk https://$SRV:8403/file | sha256sum && printf 'GET /s.txt HTTP/1.0\r\n\r\n' | openssl s_client -quiet -connect $SRV:8403 2>/dev/null | tr -d '\r' ::: ^small$
haproxy ::: server ::: curl -s -o $OUT/1 -o $OUT/2 -o $OUT/3 -w '%{http_code} %{num_connects} %{size_download}\n' http://$SRV:8404/file http://$SRV:8404/s.txt http://$SRV:8404/file && cat $OUT/1 $OUT/3 | sha256sum && ab -k -n 200 -c 4 http://$SRV:8404/s.txt | grep -E '^(Complete|Failed|Keep-Alive|Non-2xx|HTML transferred)' ::: ^Keep-Alive requests: +200$
socat-udp-fork ::: server ::: for w in one two three; do udp_ask $SRV 8405 $w || exit 1; done ::: ^THREE$
iperf3-server ::: server ::: iperf3 -c $SRV -p 8406 -t 1 -R >$OUT/log && iperf3 -c $SRV -p 8414 -u -b 20M -t 1 >>$OUT/log && grep -c 'iperf Done' $OUT/log ::: ^2$
dnsmasq ::: server ::: for t in +notcp +tcp; do dig $t +short -p 8407 @$SRV svc.battery.test A; dig $t +short -p 8407 @$SRV txt.battery.test TXT | wc -c; done; dig +ignore +noedns -p 8407 @$SRV txt.battery.test TXT | grep -o 'flags: [a-z ]*' ::: ^10\.1\.2\.3$
tftpd ::: server ::: tftp -m binary $SRV 8408 -c get file $OUT/got && sha256sum <$OUT/got ::: ^[0-9a-f]{64}  -$
mosquitto ::: server ::: mosquitto_pub -h $SRV -p 8409 -q 1 -r -t b/s -m hello && mosquitto_pub -h $SRV -p 8409 -q 1 -r -t b/big -f $W/www/file && mosquitto_sub -h $SRV -p 8409 -t b/s -C 1 && mosquitto_sub -h $SRV -p 8409 -q 1 -t b/big -C 1 -N | sha256sum ::: ^hello$
pyftpdlib ::: server ::: $TB_PY $APPS/ftp_client.py $SRV 8410 file ::: ^port 1500000 [0-9a-f]{64}$
snmpd ::: server ::: snmpget -v2c -c public -On -Oqv $SRV:8412 .1.3.6.1.2.1.1.4.0 .1.3.6.1.2.1.1.6.0 ::: ^"battery-room"$
chronyd ::: server ::: chronyd -Q -t 30 -f /dev/null "server $SRV port 8413 iburst maxsamples 4" 2>&1 | sed -n 's/.*\(System clock wrong by\) .*/\1/p' ::: ^System clock wrong by$
postgres ::: server ::: psql -h $SRV -p 8411 -U postgres -Atc "select count(*), sum(x), md5(string_agg(x::text, ',')) from generate_series(1, 200000) x" && psql -h $SRV -p 8411 -U postgres -c "copy (select x, md5(x::text) from generate_series(1, 100000) x) to stdout" | sha256sum ::: ^200000\|20000100000\|
EOT
}

battery_run
testbed_test_end
