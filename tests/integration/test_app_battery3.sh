#!/bin/bash
# SPDX-License-Identifier: MIT
# The third battery of real, unmodified programs from Debian packages
# (test_app_battery.sh says how the comparison works): each runs under the
# shim and natively in the same test, the outputs compared line by line
# after the two networks' prefixes are made equal. One row per case: the
# side the shim takes (client: it reaches a server on the kernel peer;
# server: it serves a client on the kernel peer), the client command, and a
# pattern the output must hold (so a case that does nothing fails).
#
# What the cases drive beyond the first two batteries: Perl's IO::Socket
# and IO::Select with a forking server, Ruby's non-blocking Socket.tcp and
# recvfrom_nonblock, Python's socketserver (threading and forking) with
# selectors and sendfile into a socket, an rsync client pulling and
# pushing, nmap's connect scan (refused and open ports), lftp in passive and
# active FTP, libmemcached's tools (text and binary protocols), ncat over
# TLS as client and server and with --sh-exec, ssh's stdio forwarding (-W),
# curl's parallel HTTP/2 transfers, socat's socket options
# (keepalive, nodelay, buffers, TOS), sshd (privilege separation, re-exec)
# serving ssh, scp and sftp, git daemon handing the socket to upload-pack,
# unbound answering over UDP and TCP, tinyproxy (GET and CONNECT), stunnel
# in front of a plain server, nginx serving HTTP/2 over TLS, and a redis
# replica (out to its master, in from its clients).
#
# Topology: testbed_native_up (native 10.98.0.10 <-> peer 10.98.0.2) beside
# the testbed (stack 10.99.0.10 <-> peer 10.99.0.2).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
. "$(dirname "$0")/apps/battery_run.sh"
battery_begin app_battery3

# ---- data ----
mkdir -p "$W/www" "$W/ftp" "$W/tree/sub" "$W/up" "$W/tmp" &&
	head -c 1500000 /dev/urandom >"$W/www/file" && head -c 300000 /dev/urandom >"$W/www/mid" &&
	echo small >"$W/www/s.txt" && cp "$W/www/file" "$W/www/s.txt" "$W/ftp/" &&
	cp "$W/www/file" "$W/tree/a" && cp "$W/www/mid" "$W/tree/sub/b" &&
	base64 -w0 "$W/www/file" >"$W/value" || tb_fail "cannot write the test files"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=battery -days 2 \
	-keyout "$W/key.pem" -out "$W/cert.pem" >/dev/null 2>&1 || tb_fail "cannot make a TLS certificate"
git init -q "$W/repo" && cp -r "$W/tree/." "$W/repo/" && git -C "$W/repo" add . &&
	GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" git -C "$W/repo" -c user.name=t -c user.email=t@t commit -qm battery ||
	tb_fail "cannot make the git repository"
mkdir -p /run/sshd "$W/ssh" && chmod 700 "$W/ssh" &&
	ssh-keygen -q -t ed25519 -N '' -f "$W/ssh/host" && ssh-keygen -q -t ed25519 -N '' -f "$W/ssh/user" &&
	cp "$W/ssh/user.pub" "$W/ssh/authorized_keys" || tb_fail "cannot make ssh keys"
printf '%s\n' "HostKey $W/ssh/host" "AuthorizedKeysFile $W/ssh/authorized_keys" "PermitRootLogin prohibit-password" \
	"PasswordAuthentication no" "KbdInteractiveAuthentication no" "UsePAM no" "StrictModes no" "PidFile none" \
	"Subsystem sftp internal-sftp" >"$W/ssh/sshd_config"
printf '%s\n' "use chroot = no" "uid = root" "gid = root" "[tree]" "path = $W/tree" "[up]" "path = $W/up" \
	"read only = false" >"$W/rsyncd.conf"
# unbound: local data only (it never asks another server), no user change.
cat >"$W/unbound.conf" <<EOT
server:
	interface: 0.0.0.0
	port: 8606
	do-ip6: no
	num-threads: 1
	username: ""
	chroot: ""
	directory: "$W"
	pidfile: ""
	use-syslog: no
	access-control: 0.0.0.0/0 allow
	local-zone: "battery.test." static
	local-data: "svc.battery.test. A 10.1.2.3"
	local-data: 'txt.battery.test. TXT "$(printf 'u%.0s' $(seq 1 250))" "$(printf 'v%.0s' $(seq 1 250))"'
EOT
# tinyproxy_conf NAME; stunnel_conf NAME PEER: TLS in, plain HTTP out to
# the peer's http.server; nginx_conf NAME PORT: HTTP/2 over TLS.
tinyproxy_conf() {
	printf '%s\n' "Port 8607" "Timeout 30" "MaxClients 20" "ConnectPort 8511" "LogLevel Error" \
		"LogFile \"$W/$1-tinyproxy.err\"" >"$W/tinyproxy-$1.conf"
}
stunnel_conf() {
	printf '%s\n' "foreground = yes" "pid =" "output = $W/$1-stunnel.err" "[https]" "accept = 0.0.0.0:8608" \
		"connect = $2:8510" "cert = $W/cert.pem" "key = $W/key.pem" >"$W/stunnel-$1.conf"
}
nginx_conf() {
	mkdir -p "$W/nginx-$1" && cat >"$W/nginx-$1/nginx.conf" <<EOT
daemon off;
worker_processes 1;
user root;
pid $W/nginx-$1/pid;
error_log $W/nginx-$1/error.log;
events { worker_connections 64; }
http {
	access_log off;
$(nginx_temp_paths)
	server {
		listen $2 ssl http2;
		ssl_certificate $W/cert.pem;
		ssl_certificate_key $W/key.pem;
		root $W/www;
	}
}
EOT
}

# ---- servers on the kernel peer, for the client cases ----
testbed_peer perl "$APPS/perl_io_socket.pl" server 8501 "$W/www/file" >"$W/peer-perl.log" 2>&1 &
testbed_peer ruby "$APPS/ruby_socket.rb" server 8502 "$W/www/file" >"$W/peer-ruby.log" 2>&1 &
testbed_peer "$TB_PY" "$APPS/socketserver_app.py" server 8503 "$W/www/file" >"$W/peer-socketserver.log" 2>&1 &
testbed_peer rsync --daemon --no-detach --config="$W/rsyncd.conf" --port=8504 >"$W/peer-rsync.log" 2>&1 &
testbed_peer "$TB_PY" -m pyftpdlib -p 8505 -d "$W/ftp" >"$W/peer-ftp.log" 2>&1 &
testbed_peer memcached -u root -l 0.0.0.0 -p 8506 -U 0 -I 4m >"$W/peer-memcached.log" 2>&1 &
testbed_peer ncat --ssl --ssl-cert "$W/cert.pem" --ssl-key "$W/key.pem" -l -k 8507 \
	--sh-exec "cat $W/www/file" >"$W/peer-ncat.log" 2>&1 &
testbed_peer socat TCP4-LISTEN:8508,fork,reuseaddr EXEC:sha256sum >"$W/peer-socat.log" 2>&1 &
testbed_peer "$TB_PY" -m http.server -b 0.0.0.0 -d "$W/www" 8510 >"$W/peer-http.server.log" 2>&1 &
sshd_own_rc testbed_peer 8512 "$W/peer-sshd.log"
nginx_conf peer 8513
testbed_peer redis-server --bind 0.0.0.0 --port 8514 --save '' --appendonly no --protected-mode no \
	--dir "$W" >"$W/peer-redis.log" 2>&1 &
testbed_peer nginx -c "$W/nginx-peer/nginx.conf" -p "$W/nginx-peer" >"$W/peer-nginx.log" 2>&1 &
(cd "$W/www" && exec ip netns exec "$TB_NS_PEER" openssl s_server -quiet -accept 8511 -cert "$W/cert.pem" \
	-key "$W/key.pem" -WWW) >"$W/peer-s_server.log" 2>&1 &

# ---- servers for the server cases: $1 runs it (testbed_shim or testbed_nat), $2 names it, $3 the peer ----
start_servers() {
	"$1" perl "$APPS/perl_io_socket.pl" server 8601 "$W/www/file" >"$W/$2-perl.log" 2>&1 &
	"$1" ruby "$APPS/ruby_socket.rb" server 8602 "$W/www/file" >"$W/$2-ruby.log" 2>&1 &
	"$1" "$TB_PY" "$APPS/socketserver_app.py" server 8603 "$W/www/file" >"$W/$2-socketserver.log" 2>&1 &
	sshd_own_rc "$1" 8604 "$W/$2-sshd.log"
	"$1" git daemon --reuseaddr --base-path="$W" --export-all --port=8605 >"$W/$2-git.log" 2>&1 &
	"$1" unbound -d -c "$W/unbound.conf" >"$W/$2-unbound.log" 2>&1 &
	tinyproxy_conf "$2"
	"$1" tinyproxy -d -c "$W/tinyproxy-$2.conf" >"$W/$2-tinyproxy.log" 2>&1 &
	stunnel_conf "$2" "$3"
	"$1" stunnel "$W/stunnel-$2.conf" >"$W/$2-stunnel.log" 2>&1 &
	nginx_conf "$2" 8609
	"$1" nginx -c "$W/nginx-$2/nginx.conf" -p "$W/nginx-$2" >"$W/$2-nginx.log" 2>&1 &
	# a replica of the peer's redis: it connects out to the master and
	# serves the peer's redis-cli.
	"$1" redis-server --bind 0.0.0.0 --port 8612 --save '' --appendonly no --protected-mode no \
		--dir "$W" --dbfilename "$2.rdb" --replicaof "$3" 8514 >"$W/$2-redis.log" 2>&1 &
	"$1" ncat -l -k 8610 --sh-exec sha256sum >"$W/$2-ncat.log" 2>&1 &
	"$1" ncat --ssl --ssl-cert "$W/cert.pem" --ssl-key "$W/key.pem" -l -k 8611 \
		--sh-exec "cat $W/www/file" >"$W/$2-ncat-ssl.log" 2>&1 &
}
start_servers testbed_shim shim "$TB_PEER_ADDR"
start_servers testbed_nat native "$TB_NAT_PEER_ADDR"

for p in $(seq 8501 8508) $(seq 8510 8514); do
	testbed_wait_listen "$TB_NS_PEER" tcp "$p" 30 || tb_fail "the peer's server on TCP port $p did not start"
done
for p in 8501 8502 8503; do
	testbed_wait_listen "$TB_NS_PEER" udp "$p" 30 || tb_fail "the peer's server on UDP port $p did not start"
done
for p in $(seq 8601 8612); do
	testbed_wait_listen "$TB_NS_NAT" tcp "$p" 30 || tb_fail "the native server on TCP port $p did not start"
	testbed_wait_tcp "$TB_NS_PEER" "$TB_SHIM_ADDR" "$p" 30 || tb_fail "the server on TCP port $p under the shim is not reachable"
done
for p in 8601 8602 8603 8606; do
	testbed_wait_listen "$TB_NS_NAT" udp "$p" 30 || tb_fail "the native server on UDP port $p did not start"
done
# Both redis replicas have made their first copy from the master.
online=no
for i in $(seq 1 300); do
	[ "$(testbed_peer redis-cli -p 8514 info replication | grep -c 'state=online')" = 2 ] && online=yes && break
	sleep 0.1
done
[ "$online" = yes ] || tb_fail "the redis replicas did not come online: $(testbed_peer redis-cli -p 8514 info replication | tr '\r\n' '  ')"
# The master calls a replica online when it has sent the copy; the replica
# may still be loading it (or, after a refused first try, syncing again).
# The cases start when each replica says its link is up and no sync runs.
for a in "$TB_SHIM_ADDR" "$TB_NAT_ADDR"; do
	synced=no
	for i in $(seq 1 300); do
		info=$(testbed_peer redis-cli -h "$a" -p 8612 info replication | tr -d '\r')
		grep -qx 'master_link_status:up' <<<"$info" && grep -qx 'master_sync_in_progress:0' <<<"$info" &&
			synced=yes && break
		sleep 0.1
	done
	[ "$synced" = yes ] || tb_fail "the redis replica at $a did not finish its sync: $(tr '\n' ' ' <<<"$info")"
done
tb_say "servers up after ${SECONDS}s"
SSH="ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -i $W/ssh/user"
export SSH

# name ::: shim side ::: client command ($SRV: the server's address, $OUT:
# a directory of the run's own; ${SRV%.10}.2 is the peer's address on the
# server's network) ::: pattern (ERE) the output must hold
cases() {
	cat <<'EOT'
perl-client ::: client ::: perl $APPS/perl_io_socket.pl client $SRV 8501 $W/www/file ::: ^put 1500000 [0-9a-f]{64}$
ruby-client ::: client ::: ruby $APPS/ruby_socket.rb client $SRV 8502 $W/www/file ::: ^refused Errno::ECONNREFUSED$
socketserver-client ::: client ::: $TB_PY $APPS/socketserver_app.py client $SRV 8503 $W/www/file ::: ^get 1500000 [0-9a-f]{64}$
rsync-client ::: client ::: rsync -a rsync://$SRV:8504/tree/ $OUT/tree/ && diff -r $W/tree $OUT/tree && rsync -a $W/tree/ rsync://$SRV:8504/up/${OUT##*/}/ && diff -r $W/tree $W/up/${OUT##*/} && echo same trees ::: ^same trees$
nmap-connect ::: client ::: nmap -sT -Pn -n -p 8501-8511 $SRV | grep -E '^[0-9]+/tcp' ::: ^8509/tcp +closed
lftp-client ::: client ::: lftp -c "set net:max-retries 2; set net:timeout 20; open -p 8505 $SRV; set ftp:passive-mode on; get file -o $OUT/p; set ftp:passive-mode off; get file -o $OUT/a; cls -1" && sha256sum <$OUT/p && cmp $OUT/p $OUT/a && echo same ::: ^same$
memcached-client ::: client ::: memccp --servers=$SRV:8506 $W/www/mid && memccat --servers=$SRV:8506 mid | sha256sum && memccp --binary --servers=$SRV:8506 $W/www/s.txt && memccat --binary --servers=$SRV:8506 s.txt ::: ^small$
ncat-ssl-client ::: client ::: ncat --ssl --recv-only $SRV 8507 | sha256sum ::: ^[0-9a-f]{64}  -$
socat-options ::: client ::: socat -t 20 - TCP4:$SRV:8508,keepalive,keepidle=10,keepintvl=5,keepcnt=3,nodelay,sndbuf=262144,rcvbuf=262144,tos=16 <$W/www/file ::: ^[0-9a-f]{64}  -$
ssh-forward ::: client ::: $SSH -p 8512 -W $SRV:8508 root@$SRV <$W/www/file && $SSH -p 8512 root@$SRV "cat $W/www/file" | sha256sum ::: ^[0-9a-f]{64}  -$
curl-http2 ::: client ::: curl -sSk --http2 --parallel -o $OUT/1 -o $OUT/2 -o $OUT/3 -w '%{http_version} %{http_code} %{size_download}\n' https://$SRV:8513/file https://$SRV:8513/s.txt https://$SRV:8513/mid 2>$OUT/progress | sort && cat $OUT/1 $OUT/2 $OUT/3 | sha256sum ::: ^2 200 1500000$
perl-server ::: server ::: perl $APPS/perl_io_socket.pl client $SRV 8601 $W/www/file ::: ^put 1500000 [0-9a-f]{64}$
ruby-server ::: server ::: ruby $APPS/ruby_socket.rb client $SRV 8602 $W/www/file ::: ^back 1500000 [0-9a-f]{64} true$
socketserver-server ::: server ::: $TB_PY $APPS/socketserver_app.py client $SRV 8603 $W/www/file ::: ^get 1500000 [0-9a-f]{64}$
sshd ::: server ::: $SSH -p 8604 root@$SRV 'echo remote ok' && scp -q ${SSH#ssh } -P 8604 $W/www/file root@$SRV:$OUT/copy && sha256sum <$OUT/copy && echo "get $W/www/mid $OUT/sftp" | sftp -q -b - ${SSH#ssh } -P 8604 root@$SRV >/dev/null && sha256sum <$OUT/sftp ::: ^remote ok$
git-daemon ::: server ::: git clone -q git://$SRV:8605/repo $OUT/clone && git -C $OUT/clone rev-parse HEAD && git -C $OUT/clone fsck --strict 2>&1 && diff -r -x .git $W/tree $OUT/clone && echo same tree ::: ^same tree$
unbound ::: server ::: for t in +notcp +tcp; do dig $t +short -p 8606 @$SRV svc.battery.test A; dig $t +short -p 8606 @$SRV txt.battery.test TXT | wc -c; done ::: ^10\.1\.2\.3$
tinyproxy ::: server ::: curl -sS -x http://$SRV:8607 http://${SRV%.10}.2:8510/file | sha256sum && curl -sSk -x http://$SRV:8607 https://${SRV%.10}.2:8511/s.txt ::: ^small$
stunnel ::: server ::: curl -sSk -o $OUT/1 -o $OUT/2 -w '%{http_code} %{size_download}\n' https://$SRV:8608/file https://$SRV:8608/s.txt && sha256sum <$OUT/1 ::: ^200 1500000$
nginx-http2 ::: server ::: curl -sSk --http2 -o $OUT/1 -o $OUT/2 -o $OUT/3 -w '%{http_version} %{http_code} %{num_connects} %{size_download}\n' https://$SRV:8609/file https://$SRV:8609/s.txt https://$SRV:8609/mid && cat $OUT/1 $OUT/3 | sha256sum ::: ^2 200 0 6$
redis-replica ::: server ::: M="-h ${SRV%.10}.2 -p 8514" && redis-cli $M -x set big.${OUT##*/} <$W/value && redis-cli $M wait 2 30000 && redis-cli -h $SRV -p 8612 strlen big.${OUT##*/} && redis-cli -h $SRV -p 8612 --raw get big.${OUT##*/} | head -c -1 | sha256sum && redis-cli -h $SRV -p 8612 info replication | grep -E '^(role|master_link_status):' | tr -d '\r' ::: ^2000000$
ncat-server ::: server ::: ncat $SRV 8610 <$W/www/file && ncat --ssl --recv-only $SRV 8611 | sha256sum ::: ^[0-9a-f]{64}  -$
EOT
}

battery_run
testbed_test_end
