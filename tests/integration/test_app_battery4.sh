#!/bin/bash
# SPDX-License-Identifier: MIT
# The fourth battery of real, unmodified programs from Debian packages
# (test_app_battery.sh says how the comparison works): each runs under the
# shim and natively in the same test, the outputs compared line by line
# after the two networks' prefixes are made equal. One row per case: the
# side the shim takes (client: it reaches a server on the kernel peer;
# server: it serves a client on the kernel peer), the client command, and a
# pattern the output must hold (so a case that does nothing fails).
#
# What the cases drive beyond the first three batteries: ssh's local,
# remote and dynamic (SOCKS) port forwarding (the stack's loopback
# listener, forwarded connections out) and sshd serving them (its
# listener for -R on the stack's loopback, reached by a kernel program
# through the kernel's), lftp mirroring over passive and active FTP,
# tftp put, iperf3 with parallel streams, rsync over ssh of many small files, wget --recursive,
# curl with --limit-rate (a receiver that reads slowly: a small window) and
# --keepalive-time, PostgreSQL's COPY FROM STDIN, ping sockets and raw ICMP
# (flood, 60000-byte echoes: fragments both ways), traceroute over UDP,
# ICMP and TCP, nmap's raw SYN, UDP and ARP scans (raw sends, libpcap on
# the interface, the route from netlink), UDP to the subnet and the limited broadcast address, ncat
# over TLS both ways, ncat's UDP mode and its broker, python's select,
# poll and epoll event loops with many clients at once, http.server with
# 50 parallel curl, redis with 50 pipelining clients, and unbound as a
# forwarding resolver whose upstream truncates (UDP, then TCP).
#
# Topology: testbed_native_up (native 10.98.0.10 <-> peer 10.98.0.2) beside
# the testbed (stack 10.99.0.10 <-> peer 10.99.0.2).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
. "$(dirname "$0")/apps/battery_run.sh"
battery_begin app_battery4

# ---- data ----
chmod 755 "$W" && mkdir -p "$W/www/tree/sub" "$W/many" "$W/tmp" "$W/tftp" && chmod 777 "$W/tftp" &&
	head -c 1500000 /dev/urandom >"$W/www/file" && head -c 300000 /dev/urandom >"$W/www/tree/a" &&
	head -c 70000 /dev/urandom >"$W/www/tree/sub/b" && echo small >"$W/www/tree/sub/s.txt" &&
	for i in $(seq 1 400); do echo "file $i" >"$W/many/f$i"; done &&
	seq 1 200000 | awk '{ printf "%d\t%s\n", $1, "row " $1 }' >"$W/copy.tsv" ||
	tb_fail "cannot write the test files"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=battery -days 2 \
	-keyout "$W/key.pem" -out "$W/cert.pem" >/dev/null 2>&1 || tb_fail "cannot make a TLS certificate"
mkdir -p /run/sshd "$W/ssh" && chmod 700 "$W/ssh" &&
	ssh-keygen -q -t ed25519 -N '' -f "$W/ssh/host" && ssh-keygen -q -t ed25519 -N '' -f "$W/ssh/user" &&
	cp "$W/ssh/user.pub" "$W/ssh/authorized_keys" || tb_fail "cannot make ssh keys"
printf '%s\n' "HostKey $W/ssh/host" "AuthorizedKeysFile $W/ssh/authorized_keys" "PermitRootLogin prohibit-password" \
	"PasswordAuthentication no" "KbdInteractiveAuthentication no" "UsePAM no" "StrictModes no" "PidFile none" \
	"AllowTcpForwarding yes" >"$W/ssh/sshd_config"
PG=/usr/lib/postgresql/15/bin
mkdir "$W/pg" "$W/pgsock" && chown postgres "$W/pg" "$W/pgsock" &&
	runuser -u postgres -- "$PG/initdb" -D "$W/pg" -U postgres --auth=trust -N >"$W/initdb.log" 2>&1 &&
	echo "host all all 0.0.0.0/0 trust" >>"$W/pg/pg_hba.conf" ||
	tb_fail "cannot make the PostgreSQL cluster"
# unbound_server PORT: the "server:" settings both unbounds share (one
# thread, no user change, chroot, pid file or syslog; anyone may ask).
unbound_server() {
	printf '%s\n' "server:" "	interface: 0.0.0.0" "	port: $1" "	do-ip6: no" "	num-threads: 1" \
		'	username: ""' '	chroot: ""' "	directory: \"$W\"" '	pidfile: ""' "	use-syslog: no" \
		"	access-control: 0.0.0.0/0 allow"
}
# The peer's authoritative unbound: a TXT answer of 1.8 kB, past its UDP
# limit, so the resolver under test gets it truncated and asks again on TCP.
{
	unbound_server 8705
	cat <<EOT
	max-udp-size: 1000
	local-zone: "battery.test." static
	local-data: "svc.battery.test. A 10.1.2.3"
	local-data: 'big.battery.test. TXT $(for c in a b c d e f g; do printf '"%s" ' "$(printf "$c%.0s" $(seq 1 250))"; done)'
EOT
} >"$W/unbound-auth.conf"
# unbound_conf NAME PEER: a resolver that forwards battery.test. to PEER's
# unbound (test. is one of its RFC 6761 zones unless told otherwise).
unbound_conf() {
	{
		unbound_server 8807
		cat <<EOT
	do-not-query-localhost: no
	domain-insecure: "battery.test."
	local-zone: "test." nodefault
	module-config: "iterator"
forward-zone:
	name: "battery.test."
	forward-addr: $2@8705
EOT
	} >"$W/unbound-$1.conf"
}

# ---- servers on the kernel peer, for the client cases ----
testbed_peer "$TB_PY" -m http.server -b 0.0.0.0 -d "$W/www" 8701 >"$W/peer-http.server.log" 2>&1 &
sshd_own_rc testbed_peer 8702 "$W/peer-sshd.log"
testbed_peer socat UDP4-RECVFROM:8703,broadcast,fork EXEC:'tr a-z A-Z' >"$W/peer-socat-udp.log" 2>&1 &
testbed_peer runuser -u postgres -- "$PG/postgres" -D "$W/pg" -p 8704 -k "$W/pgsock" \
	-c listen_addresses='*' >"$W/peer-postgres.log" 2>&1 &
testbed_peer unbound -d -c "$W/unbound-auth.conf" >"$W/peer-unbound.log" 2>&1 &
testbed_peer ncat --ssl --ssl-cert "$W/cert.pem" --ssl-key "$W/key.pem" -l -k 8706 \
	--sh-exec "head -c 1500000" >"$W/peer-ncat.log" 2>&1 &
testbed_peer "$TB_PY" -m pyftpdlib -p 8707 -d "$W" >"$W/peer-ftp.log" 2>&1 &
testbed_peer in.tftpd -4 -L -c -a 0.0.0.0:8708 -s "$W/tftp" >"$W/peer-tftpd.log" 2>&1 &
testbed_peer iperf3 -s -p 8709 >"$W/peer-iperf3.log" 2>&1 &

# ---- servers for the server cases: $1 runs it (testbed_shim or testbed_nat), $2 names it, $3 the peer ----
start_servers() {
	"$1" "$TB_PY" "$APPS/selector_echo.py" server 8801 select >"$W/$2-select.log" 2>&1 &
	"$1" "$TB_PY" "$APPS/selector_echo.py" server 8802 poll >"$W/$2-poll.log" 2>&1 &
	"$1" "$TB_PY" "$APPS/selector_echo.py" server 8803 epoll >"$W/$2-epoll.log" 2>&1 &
	"$1" "$TB_PY" -m http.server -b 0.0.0.0 -d "$W/www" 8804 >"$W/$2-http.server.log" 2>&1 &
	"$1" redis-server --bind 0.0.0.0 --port 8805 --save '' --appendonly no --protected-mode no \
		--dir "$W" --dbfilename "$2.rdb" >"$W/$2-redis.log" 2>&1 &
	"$1" ncat -l --broker 8806 >"$W/$2-broker.log" 2>&1 &
	unbound_conf "$2" "$3"
	"$1" unbound -d -c "$W/unbound-$2.conf" >"$W/$2-unbound.log" 2>&1 &
	"$1" socat UDP4-RECVFROM:8808,broadcast,fork EXEC:'tr a-z A-Z' >"$W/$2-socat-udp.log" 2>&1 &
	"$1" ncat --ssl --ssl-cert "$W/cert.pem" --ssl-key "$W/key.pem" -l -k 8809 \
		--sh-exec "head -c 1500000" >"$W/$2-ncat-ssl.log" 2>&1 &
	"$1" ncat -u -l -k 8810 -e /bin/cat >"$W/$2-ncat-udp.log" 2>&1 &
	sshd_own_rc "$1" 8811 "$W/$2-sshd.log"
}
start_servers testbed_shim shim "$TB_PEER_ADDR"
start_servers testbed_nat native "$TB_NAT_PEER_ADDR"

for p in 8701 8702 8704 8706 8707 8709; do
	testbed_wait_listen "$TB_NS_PEER" tcp "$p" 30 || tb_fail "the peer's server on TCP port $p did not start"
done
for p in 8703 8705 8708; do
	testbed_wait_listen "$TB_NS_PEER" udp "$p" 30 || tb_fail "the peer's server on UDP port $p did not start"
done
for p in 8801 8802 8803 8804 8805 8806 8807 8809 8811; do
	testbed_wait_listen "$TB_NS_NAT" tcp "$p" 30 || tb_fail "the native server on TCP port $p did not start"
	testbed_wait_tcp "$TB_NS_PEER" "$TB_SHIM_ADDR" "$p" 30 || tb_fail "the server on TCP port $p under the shim is not reachable"
done
for p in 8807 8808 8810; do
	testbed_wait_listen "$TB_NS_NAT" udp "$p" 30 || tb_fail "the native server on UDP port $p did not start"
done
# Port unreachables for traceroute -U and nmap -sU from both sides at once:
# the peer's rate limit per destination (a burst of 6, then one a second)
# would turn some probes into stars. traceroute probes port 8799, where
# nothing listens (a listener's full accept queue would drop a -T probe's
# SYN), one probe at a time (-N 1: with 16 at once a late answer for the
# first hop, after those of later ones, is waited for only ten times
# their round trip, and a loaded machine then prints stars either way).
# A first hop that still gave no answer in 10 s (seen natively, 2 runs in
# 5, for -T through the NAT namespace) is tried once more, on both sides,
# as udp_ask asks again: the shim's bug this guards against (stars for
# every -T probe) fails both tries.
testbed_peer sysctl -qw net.ipv4.icmp_ratelimit=0 || tb_fail "cannot lift the peer's ICMP rate limit"
tb_say "servers up after ${SECONDS}s"
SSH="ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -i $W/ssh/user"
export SSH

# bcast_ask BROADCAST PORT MESSAGE: as udp_ask (apps/battery_run.sh), to a
# subnet's broadcast address, by socat (nc's connected socket would take answers only from the
# broadcast address), which waits 10 s for the answer after its input ends
# (-t: by default it would leave after 0.5 s, too soon on a loaded machine).
bcast_ask() {
	local try r
	for try in 1 2 3; do
		r=$(printf '%s\n' "$3" | timeout 12 socat -t 10 -T 10 - "UDP4-DATAGRAM:$1:$2,broadcast") && [ -n "$r" ] &&
			printf '%s\n' "$r" && return 0
	done
	return 1
}
export -f bcast_ask

# name ::: shim side ::: client command ($SRV: the server's address, $OUT:
# a directory of the run's own; ${SRV%.10}.2 is the peer's address on the
# server's network) ::: pattern (ERE) the output must hold
cases() {
	cat <<'EOT'
ssh-local-forward ::: client ::: $SSH -f -N -M -S $OUT/ctl -o ExitOnForwardFailure=yes -L 127.0.0.1:9001:$SRV:8701 -p 8702 root@$SRV && curl -sS http://127.0.0.1:9001/file | sha256sum; r=$?; $SSH -S $OUT/ctl -O exit x 2>/dev/null; exit $r ::: ^[0-9a-f]{64}  -$
ssh-remote-forward ::: client ::: $SSH -f -N -M -S $OUT/ctl -p 8702 root@$SRV && P=$($SSH -S $OUT/ctl -O forward -R 0:$SRV:8701 x) && $SSH -p 8702 root@$SRV "curl -sS http://127.0.0.1:$P/file" | sha256sum; r=$?; $SSH -S $OUT/ctl -O exit x 2>/dev/null; exit $r ::: ^[0-9a-f]{64}  -$
ssh-dynamic-forward ::: client ::: $SSH -f -N -M -S $OUT/ctl -o ExitOnForwardFailure=yes -D 127.0.0.1:9003 -p 8702 root@$SRV && curl -sS --socks5 127.0.0.1:9003 http://$SRV:8701/file | sha256sum; r=$?; $SSH -S $OUT/ctl -O exit x 2>/dev/null; exit $r ::: ^[0-9a-f]{64}  -$
rsync-ssh ::: client ::: rsync -a -e "$SSH -p 8702" root@$SRV:$W/many/ $OUT/many/ && diff -r $W/many $OUT/many && rsync -a -e "$SSH -p 8702" $W/many/ root@$SRV:$OUT/up/ && diff -r $W/many $OUT/up && echo same trees ::: ^same trees$
lftp-mirror ::: client ::: lftp -c "set net:max-retries 2; set net:timeout 20; open -p 8707 $SRV; set ftp:passive-mode on; mirror many $OUT/p; set ftp:passive-mode off; mirror www/tree $OUT/a" && diff -r $W/many $OUT/p && diff -r $W/www/tree $OUT/a && echo same trees ::: ^same trees$
tftp-put ::: client ::: tftp -m binary $SRV 8708 -c put $W/www/tree/a ${OUT##*/} && tftp -m binary $SRV 8708 -c get ${OUT##*/} $OUT/back && cmp $W/www/tree/a $OUT/back && echo same ::: ^same$
iperf3-parallel ::: client ::: iperf3 -c $SRV -p 8709 -t 1 -P 4 >$OUT/log && grep -c 'iperf Done' $OUT/log && grep -c '^\[ *[0-9]*\] .*receiver$' $OUT/log ::: ^4$
wget-recursive ::: client ::: wget -q -r -np -nH -R 'index.html*' -P $OUT http://$SRV:8701/tree/ && diff -r $W/www/tree $OUT/tree && echo same tree ::: ^same tree$
curl-limit-rate ::: client ::: curl -sS --limit-rate 2M --keepalive-time 5 -o $OUT/f -w '%{http_code} %{size_download}\n' http://$SRV:8701/file && sha256sum <$OUT/f ::: ^200 1500000$
psql-copy-in ::: client ::: psql -h $SRV -p 8704 -U postgres -Atc "create temp table t (x int, y text)" -c "\copy t from '$W/copy.tsv'" -c "select count(*), sum(x), md5(string_agg(y, ',' order by x)) from t" ::: ^200000\|20000100000\|
icmp-tools ::: client ::: ping -n -q -f -c 300 $SRV | grep -o '^[0-9]* packets transmitted, [0-9]* received' && ping -n -c 2 -s 60000 $SRV | grep -o '^[0-9]* bytes from [0-9.]*: icmp_seq=[0-9]*' && for m in -U -I -T; do for t in 1 2; do r=$(traceroute -n -N 1 -q 1 -w 10 $m -p 8799 $SRV | sed -e 's/  [0-9.]* ms//'); case $r in *" 1  *"*) ;; *) break ;; esac; done; printf '%s\n' "$r"; done ::: ^ 1  NET\.2$
nmap-raw ::: client ::: nmap -sS -sU -Pn -n -p T:8701,8799,U:8705,8799 $SRV | grep -E '^[0-9]+/' && nmap -sn -n $SRV | grep -c 'Host is up' ::: ^8799/udp +closed
udp-broadcast ::: client ::: bcast_ask ${SRV%.2}.255 8703 hello ::: ^HELLO$
ncat-ssl-both-ways ::: client ::: ncat --ssl --no-shutdown $SRV 8706 <$W/www/file | sha256sum ::: ^[0-9a-f]{64}  -$
select-server ::: server ::: $TB_PY $APPS/selector_echo.py client $SRV 8801 50 100000 ::: ^echo 50 100000 bad 0 
poll-server ::: server ::: $TB_PY $APPS/selector_echo.py client $SRV 8802 50 100000 ::: ^echo 50 100000 bad 0 
epoll-server ::: server ::: $TB_PY $APPS/selector_echo.py client $SRV 8803 50 100000 ::: ^echo 50 100000 bad 0 
http.server-50 ::: server ::: seq 1 50 | xargs -P 50 -I{} curl -sS -o $OUT/{} http://$SRV:8804/file && cat $OUT/[0-9]* | sha256sum && ls $OUT | grep -c '^[0-9]' ::: ^50$
redis-benchmark-50 ::: server ::: redis-cli -h $SRV -p 8805 flushall && redis-benchmark -h $SRV -p 8805 -n 20000 -c 50 -P 8 -t set,lpush -q >/dev/null && redis-cli -h $SRV -p 8805 llen mylist ::: ^20000$
ncat-broker ::: server ::: $TB_PY $APPS/ncat_broker.py $SRV 8806 2000 ::: ^broker [0-9]+ True 
unbound-resolver ::: server ::: dig +short -p 8807 @$SRV svc.battery.test A && dig +tcp +short -p 8807 @$SRV big.battery.test TXT | wc -c && dig +notcp +bufsize=4096 +short -p 8807 @$SRV big.battery.test TXT | wc -c ::: ^10\.1\.2\.3$
udp-broadcast-server ::: server ::: bcast_ask ${SRV%.10}.255 8808 hello ::: ^HELLO$
ncat-ssl-server ::: server ::: ncat --ssl --no-shutdown $SRV 8809 <$W/www/file | sha256sum ::: ^[0-9a-f]{64}  -$
sshd-forwards ::: server ::: $SSH -f -N -M -S $OUT/ctl -o ExitOnForwardFailure=yes -L 127.0.0.1:9011:127.0.0.1:8804 -p 8811 root@$SRV && curl -sS http://127.0.0.1:9011/file | sha256sum && P=$($SSH -S $OUT/ctl -O forward -R 0:${SRV%.10}.2:8701 x) && $SSH -p 8811 root@$SRV "curl -sS http://127.0.0.1:$P/file" | sha256sum; r=$?; $SSH -S $OUT/ctl -O exit x 2>/dev/null; exit $r ::: ^[0-9a-f]{64}  -$
ncat-udp-server ::: server ::: udp_ask $SRV 8810 hello && udp_ask $SRV 8810 again ::: ^again$
EOT
}

battery_run
testbed_test_end
