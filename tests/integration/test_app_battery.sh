#!/bin/bash
# SPDX-License-Identifier: MIT
# Real, unmodified networked programs from Debian packages, each run under
# the shim and natively (the kernel on both sides) in the same test, the
# outputs compared line by line after the two networks' prefixes are made
# equal (10.98.0 native, 10.99.0 shim). The table below has one row per
# case: the side the shim takes (client: the program under test connects
# to a server on the kernel peer; server: it serves a client on the kernel
# peer), the client command, and a pattern the output must hold (so that a
# case that does nothing fails too). Servers for the client cases run once
# on the peer; the server cases' servers run twice, under the shim and in
# the native namespace. Everything has a deadline.
#
# Topology: testbed_native_up (native 10.98.0.10 <-> peer 10.98.0.2) beside
# the testbed (stack 10.99.0.10 <-> peer 10.99.0.2).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
. "$(dirname "$0")/apps/battery_run.sh"
battery_begin app_battery

# ---- data ----
head -c 1500000 /dev/urandom >"$W/file" || tb_fail "cannot write the test file"
mkdir -p "$W/tree/sub" "$W/www" "$W/tmp" && cp "$W/file" "$W/tree/a" && cp "$W/file" "$W/www/file" &&
	head -c 300000 /dev/urandom >"$W/tree/sub/b" && echo small >"$W/www/s.txt" || tb_fail "cannot write the test tree"
head -c 1500000 /dev/urandom | base64 -w0 >"$W/value"
git init -q "$W/repo" && cp -r "$W/tree/." "$W/repo/" &&
	git -C "$W/repo" add . &&
	GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" git -C "$W/repo" -c user.name=t -c user.email=t@t commit -qm battery ||
	tb_fail "cannot make the git repository"
mkdir -p /run/sshd "$W/ssh" && chmod 700 "$W/ssh" &&
	ssh-keygen -q -t ed25519 -N '' -f "$W/ssh/host" && ssh-keygen -q -t ed25519 -N '' -f "$W/ssh/user" &&
	cp "$W/ssh/user.pub" "$W/ssh/authorized_keys" || tb_fail "cannot make ssh keys"
cat >"$W/ssh/sshd_config" <<EOT
HostKey $W/ssh/host
AuthorizedKeysFile $W/ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
Subsystem sftp internal-sftp
EOT
cat >"$W/rsyncd.conf" <<EOT
use chroot = no
uid = root
gid = root
[tree]
path = $W/tree
EOT
# nginx: two workers with a listener each (reuseport), keep-alive, and a
# proxy to the peer's node server ($1: the peer's address as seen from there).
nginx_conf() {
	mkdir -p "$W/nginx-$2" && cat >"$W/nginx-$2/nginx.conf" <<EOT
daemon off;
worker_processes 2;
user root;
pid $W/nginx-$2/pid;
error_log $W/nginx-$2/error.log;
events { worker_connections 128; }
http {
	access_log off;
$(nginx_temp_paths)
	keepalive_requests 1000;
	sendfile on;
	tcp_nopush on;
	server {
		listen 8206 reuseport;
		root $W/www;
		location /up { proxy_pass http://$1:8101/file; }
	}
}
EOT
}
nginx_conf "$TB_NAT_PEER_ADDR" native
nginx_conf "$TB_PEER_ADDR" shim

# ---- servers on the kernel peer, for the client cases ----
testbed_peer node "$APPS/http_server.js" "$W/file" 8101 >"$W/peer-http.log" 2>&1 &
testbed_peer node "$APPS/net_dgram.js" server 8102 >"$W/peer-netdgram.log" 2>&1 &
testbed_peer "$TB_PY" "$APPS/asyncio_app.py" server 8103 >"$W/peer-asyncio.log" 2>&1 &
sshd_own_rc testbed_peer 8104 "$W/peer-sshd.log"
testbed_peer git daemon --reuseaddr --base-path="$W" --export-all --port=8105 >"$W/peer-git.log" 2>&1 &
testbed_peer dnsmasq -k -p 8106 --pid-file="$W/peer-dnsmasq.pid" --no-resolv --no-hosts --bind-interfaces \
	--listen-address="$TB_PEER_ADDR,$TB_NAT_PEER_ADDR" --address=/svc.battery.test/10.1.2.3 \
	--txt-record=txt.battery.test,"$(printf 'x%.0s' $(seq 1 200))" >"$W/peer-dnsmasq.log" 2>&1 &
# iperf3 takes one test at a time, and between two tests a server closes its
# listener and opens a new one: a client coming in between is told "busy".
# So every test has a server of its own: one per network (-B) and per test
# (TCP on 8107, UDP on 8108).
for a in "$TB_PEER_ADDR" "$TB_NAT_PEER_ADDR"; do
	testbed_peer iperf3 -s -B "$a" -p 8107 >"$W/peer-iperf3-$a.log" 2>&1 &
	testbed_peer iperf3 -s -B "$a" -p 8108 >"$W/peer-iperf3-udp-$a.log" 2>&1 &
done

# ---- servers for the server cases: $1 runs it (testbed_shim or testbed_nat), $2 names it ----
start_servers() {
	"$1" node "$APPS/http_server.js" "$W/file" 8201 >"$W/$2-http.log" 2>&1 &
	"$1" "$TB_PY" "$APPS/asyncio_app.py" server 8202 >"$W/$2-asyncio.log" 2>&1 &
	"$1" redis-server --bind 0.0.0.0 --port 8203 --save '' --appendonly no --protected-mode no \
		--dir "$W" >"$W/$2-redis.log" 2>&1 &
	"$1" memcached -u root -l 0.0.0.0 -p 8204 -U 8204 -t 2 >"$W/$2-memcached.log" 2>&1 &
	"$1" rsync --daemon --no-detach --config="$W/rsyncd.conf" --port=8205 >"$W/$2-rsync.log" 2>&1 &
	"$1" nginx -c "$W/nginx-$2/nginx.conf" -p "$W/nginx-$2" >"$W/$2-nginx.log" 2>&1 &
	"$1" socat TCP4-LISTEN:8207,fork,reuseaddr EXEC:sha256sum >"$W/$2-socat.log" 2>&1 &
	"$1" node "$APPS/cluster.js" 8208 >"$W/$2-cluster-rr.log" 2>&1 &
	NODE_CLUSTER_SCHED_POLICY=none "$1" node "$APPS/cluster.js" 8209 >"$W/$2-cluster-none.log" 2>&1 &
}
start_servers testbed_shim shim
start_servers testbed_nat native

for p in 8101 8102 8103 8104 8105 8106; do
	testbed_wait_listen "$TB_NS_PEER" tcp "$p" 30 || tb_fail "the peer's server on port $p did not start"
done
for a in "$TB_PEER_ADDR" "$TB_NAT_PEER_ADDR"; do
	for p in 8107 8108; do
		testbed_wait_listen "$TB_NS_PEER" tcp "$p" 30 "$a" || tb_fail "the peer's iperf3 on $a:$p did not start"
	done
done
for p in $(seq 8201 8209); do
	[ "$p" = 8206 ] || testbed_wait_listen "$TB_NS_NAT" tcp "$p" 30 || tb_fail "the native server on port $p did not start"
	testbed_wait_tcp "$TB_NS_PEER" "$TB_SHIM_ADDR" "$p" 30 || tb_fail "the server on port $p under the shim is not reachable"
done
testbed_wait_listen "$TB_NS_NAT" tcp 8206 30 || tb_fail "the native nginx did not start"

tb_say "servers up after ${SECONDS}s"
SSH="ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -i $W/ssh/user"
export SSH

# name ::: shim side ::: client command ($SRV: the server's address, $OUT:
# a directory of the run's own) ::: pattern (ERE) the output must hold
cases() {
	cat <<'EOT'
node-http-client ::: client ::: node $APPS/http_client.js $SRV 8101 ::: ^post [0-9a-f]{64}$
node-net-dgram-client ::: client ::: node $APPS/net_dgram.js client $SRV 8102 ::: ^udp echo 65507 true$
asyncio-client ::: client ::: $TB_PY $APPS/asyncio_app.py client $SRV 8103 ::: ^dgram \[10, 1400, 9000\]$
ssh-scp ::: client ::: $SSH -p 8104 root@$SRV 'echo remote ok' && scp -q ${SSH#ssh } -P 8104 $W/file root@$SRV:$OUT/copy && sha256sum <$OUT/copy ::: ^remote ok$
git-clone ::: client ::: git clone -q git://$SRV:8105/repo $OUT/clone && git -C $OUT/clone rev-parse HEAD && git -C $OUT/clone fsck --strict 2>&1 && diff -r -x .git $W/tree $OUT/clone && echo same tree ::: ^same tree$
dig ::: client ::: for t in +notcp +tcp; do dig $t +short -p 8106 @$SRV svc.battery.test A; dig $t +short -p 8106 @$SRV txt.battery.test TXT | wc -c; done ::: ^10\.1\.2\.3$
wget ::: client ::: wget -q -O $OUT/got http://$SRV:8101/x && sha256sum <$OUT/got ::: ^[0-9a-f]{64}  -$
iperf3 ::: client ::: iperf3 -c $SRV -p 8107 -t 1 --bidir >$OUT/log && iperf3 -c $SRV -p 8108 -u -b 20M -t 1 >>$OUT/log && grep -c 'iperf Done' $OUT/log ::: ^2$
node-http-server ::: server ::: node $APPS/http_client.js $SRV 8201 ::: ^get [0-9a-f]{64}$
asyncio-server ::: server ::: $TB_PY $APPS/asyncio_app.py client $SRV 8202 ::: ^stream 2097152 [0-9a-f]{64}$
redis ::: server ::: redis-cli -h $SRV -p 8203 -x set big <$W/value && redis-cli -h $SRV -p 8203 --raw get big | head -c -1 | sha256sum && redis-cli -h $SRV -p 8203 -r 50 incr n | tail -1 ::: ^50$
memcached ::: server ::: printf 'set k 0 0 5\r\nhello\r\nget k\r\nquit\r\n' | nc -w 10 $SRV 8204 && $TB_PY $APPS/memcached_udp.py $SRV 8204 k ::: ^VALUE k 0 5 \| hello \| END \| $
rsync ::: server ::: rsync -a rsync://$SRV:8205/tree/ $OUT/tree/ && diff -r $W/tree $OUT/tree && echo same tree ::: ^same tree$
nginx ::: server ::: $TB_PY $APPS/http_pipeline.py $SRV 8206 file s.txt file s.txt up && curl -s --http1.1 -o /dev/null -o /dev/null -o /dev/null -w '%{http_code} %{num_connects} %{size_download}\n' http://$SRV:8206/file http://$SRV:8206/s.txt http://$SRV:8206/up ::: ^200 0 1500000$
socat-fork ::: server ::: for i in 1 2 3; do socat -t 10 - TCP4:$SRV:8207 <$W/file >$OUT/$i & done; wait; cat $OUT/1 $OUT/2 $OUT/3 | sort | uniq -c ::: ^ +3 [0-9a-f]{64}  -$
node-cluster-rr ::: server ::: for i in 1 2 3 4; do curl -s http://$SRV:8208/; done | sort | uniq -c ::: ^ +4 NET\.2 NET\.10:8208$
node-cluster-none ::: server ::: for i in 1 2 3 4; do curl -s http://$SRV:8209/; done | sort | uniq -c ::: ^ +4 NET\.2 NET\.10:8209$
EOT
}

battery_run
testbed_test_end
