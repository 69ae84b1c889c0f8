#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench.sh: the stack against the host kernel's own TCP, in the same run,
# over the same veth, against the same kernel peer. Run by hand, as root,
# from a build (never by CI; it reports ratios and never passes or fails on
# time):
#
#   SOCKSHIM_BUILD_DIR=build bash tools/bench.sh      [BENCH_SECONDS=5]
#
# Base rows, each the median of BENCH_ROUNDS (3) rounds, every round
# measuring the kernel (the shim namespace temporarily gets the kernel
# address 10.99.0.20 on the same veth) and then the stack (10.99.0.10, no
# kernel address), so each figure is stack / kernel from the same run:
#  - iperf3 throughput at MTU 1500 and 65535, shim side sending and (-R)
#    receiving, with the CPU seconds per GB moved on the shim side: the
#    program's own (iperf3 -J, its user + system time) plus, for the stack,
#    the stack hosts' (/proc/PID/stat); the peer's is the same kernel's in
#    both and is left out;
#  - sockperf ping-pong --tcp (64 bytes) p50 and p99 round trip, MTU 1500;
#  - connection rate: ab (one request per connection, HTTP/1.0 without
#    keep-alive, 8 at a time) for BENCH_SECONDS against nginx, the shim side
#    as client (nginx on the peer) and as server (nginx in the shim
#    namespace, ab on the peer);
#  - BENCH_CONNS (10000) idle connections (tests/progs/many_conns, the peer
#    closing first so TIME_WAIT stays there): the stack host's RSS growth and
#    the kernel's slab growth (/proc/meminfo, machine-wide, so noisy on a
#    busy machine) per connection;
#  - the ping-pong again with SOCKSHIM_BUSY_POLL_US=BENCH_BUSY_POLL_US (50),
#    and the stack hosts' CPU use during each ping-pong; and again while
#    BENCH_LOADED_CONNS (1000) other connections of the shim side stream to
#    the peer (8 iperf3 -P clients).
#
# Then the loss rows, through tools/sockshim-impair between the namespaces
# (testbed_up_impaired; seeded, the same in each direction): a 20 MiB
# download (curl from python3 http.server) and upload (nc -N to nc -l) under
# 5% and under 20% random loss, timed, stack/kernel; and iperf3 goodput
# both ways with 20 ms RTT (10 ms each way) and 1% loss, stack/kernel.
# A transfer that has not finished after BENCH_LOSS_TIMEOUT seconds (120)
# reports "timeout". BENCH_ROWS=base or BENCH_ROWS=loss runs one part only;
# BENCH_ROWS=loaded only the ping-pong while LOADED connections stream;
# BENCH_ROWS=pingpong only the ping-pong rows, plain, busy-polling, with the
# program spinning (SOCKSHIM_SPIN_US=BENCH_SPIN_US, 50) and both, with the
# host's CPU and the CPU seconds per 100,000 round trips (sockperf + host); BENCH_ROWS=bulk only the iperf3 rows. With these three,
# BENCH_BASELINE=DIR (another build directory, e.g. of the commit before a
# change) measures that build's stack too in every round, right after this
# one's, so that a change is judged against the kernel and its baseline in
# the same minutes of a shared machine; with BENCH_ROWS=loss, each loss row
# runs the baseline's stack right after this one's (same seed), in two more
# columns. BENCH_ROWS=connrate: the connection
# rate as client (ab -> the peer's nginx) and per connection: the CPU (ab's
# user + system time plus, for the stack, its host's), the sleeps of ab and
# its host, the system calls of each (strace, a run of its own) and the
# AF_UNIX garbage collections queued (perf), BENCH_BASELINE too.
# BENCH_ROWS=synflood: the connection rate as server (nginx in the shim
# namespace, ab on the peer, as the base rows' server row) quiet and during
# a SYN flood (hping3 --flood -S from 10.99.0.200, an on-link address no
# host answers ARP for, so that every flood SYN stays half-open, as in
# tests/integration/test_syn_flood.sh), the kernel's server and then the
# stack's in each round (and BENCH_BASELINE's stack after it); also part
# of "all". BENCH_ROWS=txthread: the iperf3
# rows at both MTUs and the ping-pong, the stack measured in every round
# with the link's transmit thread off (SOCKSHIM_TX_THREAD=0) and on (=1),
# each with its hosts' CPU (both threads), and the load average before and
# after. BENCH_ROWS=idle: only the idle connections' memory (kernel slab
# and the host's RSS per connection) and the connection rates as client and
# as server while they are held and after they are closed,
# BENCH_BASELINE's host after this one's.

set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/testbed.sh"
SOCKSHIM_BUILD_DIR=${SOCKSHIM_BUILD_DIR:-$here/../build}
SOCKSHIM_BUILD_DIR=$(cd "$SOCKSHIM_BUILD_DIR" 2>/dev/null && pwd) ||
	{ echo "bench: no build directory (set SOCKSHIM_BUILD_DIR)"; exit 1; }
export SOCKSHIM_BUILD_DIR
SECS=${BENCH_SECONDS:-5}
ROWS=${BENCH_ROWS:-all}
LOSS_TIMEOUT=${BENCH_LOSS_TIMEOUT:-120}
LOSS_MB=20
PY=/usr/bin/python3
CONNS=${BENCH_CONNS:-10000}
ROUNDS=${BENCH_ROUNDS:-3}
BUSY=${BENCH_BUSY_POLL_US:-50}
SPIN=${BENCH_SPIN_US:-50}
LOADED=${BENCH_LOADED_CONNS:-1000}
BASELINE=${BENCH_BASELINE:-}

die() {
	echo "bench: $*" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || die "must run as root (network namespaces)"
unset TB_NATIVE
for p in iperf3 sockperf "$PY" curl nc ethtool ab nginx /usr/bin/time; do
	command -v "$p" >/dev/null ||
		die "$p not found (apt-get install iperf3 sockperf python3 curl netcat-openbsd ethtool apache2-utils nginx-light time)"
done
case "$ROWS" in
all | base | loss | loaded | pingpong | bulk | txthread | connrate | synflood | idle) ;;
*) die "BENCH_ROWS: '$ROWS' is not all, base, loss, loaded, pingpong, bulk, txthread, connrate, synflood or idle" ;;
esac
case "$ROWS" in
all | synflood) command -v hping3 >/dev/null || die "hping3 not found (apt-get install hping3)" ;;
esac
if [ -n "$BASELINE" ]; then
	case "$ROWS" in
	bulk | loaded | pingpong | connrate | loss | synflood | idle) ;;
	*) die "BENCH_BASELINE is for BENCH_ROWS=bulk, loaded, pingpong, connrate, loss, synflood or idle" ;;
	esac
	BASELINE=$(cd "$BASELINE" 2>/dev/null && pwd) || die "BENCH_BASELINE: no such directory"
	[ -r "$BASELINE/preload/libsockshim.so" ] || die "no $BASELINE/preload/libsockshim.so"
fi
[ -r "$SOCKSHIM_BUILD_DIR/preload/libsockshim.so" ] || die "no $SOCKSHIM_BUILD_DIR/preload/libsockshim.so (build first)"
MANY=$SOCKSHIM_BUILD_DIR/tests/many_conns
[ -x "$MANY" ] || die "no $MANY (build the tests)"

WORK=$(mktemp -d /tmp/sockshim-bench.XXXXXX) || die "cannot create a temporary directory"
trap 'testbed_down; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

# kernel_on / kernel_off: the shim namespace's kernel gets (loses) an
# address on the same veth, so the kernel's TCP can be measured there.
kernel_on() {
	testbed_kernel_addr_on >/dev/null
}
kernel_off() {
	testbed_kernel_addr_off
}

# run_side kernel|stack|baseline CMD...: run CMD on the shim side, natively
# or under the shim (the BENCH_BASELINE build's for baseline).
run_side() {
	local side=$1
	shift
	if [ "$side" = kernel ]; then
		testbed_native_shim_ns "$@"
	elif [ "$side" = baseline ]; then
		TB_LIB=$BASELINE/preload/libsockshim.so testbed_shim "$@"
	else
		testbed_shim "$@"
	fi
}

# iperf_rate SCALE side [-R]: prints bits/s received / SCALE, or "fail".
iperf_rate() {
	local scale=$1 side=$2 out
	shift 2
	out=$WORK/iperf3-$side-$RANDOM.json
	if run_side "$side" timeout $((SECS + 20)) iperf3 -c "$TB_PEER_ADDR" -p 5201 -t "$SECS" -J "$@" \
		>"$out" 2>&1; then
		"$PY" -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / float(sys.argv[2])))' \
			"$out" "$scale" 2>/dev/null || echo fail
	else
		echo fail
	fi
}

ratio() {
	case "$1$2" in
	*fail* | *timeout*) echo "-" ;;
	*) awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }' ;;
	esac
}

# row LABEL KERNEL STACK RATIO [BASELINE BASELINE_RATIO]: the last two only
# with BENCH_BASELINE (the loss rows).
row() {
	printf '%-38s %10s %10s %7s' "$1" "$2" "$3" "$4"
	if [ -n "$BASELINE" ] && [ $# -gt 4 ]; then
		printf ' %10s %7s' "$5" "$6"
	fi
	printf '\n'
}

# kill_hosts: end the stack hosts of the shim namespace. A program reaches
# the host already serving its address, whichever build started it (one
# left in TIME_WAIT stays a minute), so each build's run starts its own.
kill_hosts() {
	local pid
	for pid in $(testbed_stackd_pids); do
		kill "$pid" 2>/dev/null
	done
	for _ in $(seq 1 50); do
		[ -z "$(testbed_stackd_pids)" ] && return
		sleep 0.1
	done
}

# ---- The loss rows: through sockshim-impair (tools/testbed.sh) ----

# xfer side down|up: LOSS_MB MiB from (to) the peer; prints the seconds it
# took, "timeout" or "fail" (not intact). Each transfer starts from empty
# TCP metrics on both sides, so no run inherits an ssthresh from the last.
xfer() {
	local side=$1 dir=$2 rc=0 t0 t1 srv
	ip netns exec "$TB_NS_SHIM" ip tcp_metrics flush all 2>/dev/null
	ip netns exec "$TB_NS_PEER" ip tcp_metrics flush all 2>/dev/null
	rm -f "$WORK/got"
	kill_hosts
	if [ "$dir" = down ]; then
		t0=$EPOCHREALTIME
		run_side "$side" curl -sS --max-time "$LOSS_TIMEOUT" -o "$WORK/got" \
			"http://$TB_PEER_ADDR:8080/file" >/dev/null 2>&1 || rc=$?
		t1=$EPOCHREALTIME
		[ "$rc" = 28 ] && rc=124
	else
		testbed_peer timeout $((LOSS_TIMEOUT + 10)) nc -l "$TB_PEER_ADDR" 9000 </dev/null >"$WORK/got" 2>/dev/null &
		srv=$!
		testbed_wait_listen "$TB_NS_PEER" tcp 9000 10 || { echo fail; return; }
		t0=$EPOCHREALTIME
		# nc -N exits once the server, having read the FIN, closes too.
		run_side "$side" timeout "$LOSS_TIMEOUT" nc -N "$TB_PEER_ADDR" 9000 <"$WORK/www/file" \
			>/dev/null 2>&1 || rc=$?
		t1=$EPOCHREALTIME
		kill "$srv" 2>/dev/null
		wait "$srv" 2>/dev/null
	fi
	if [ "$rc" = 124 ]; then
		echo timeout
	elif [ "$rc" != 0 ] || ! cmp -s "$WORK/got" "$WORK/www/file"; then
		echo fail
	else
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
	fi
}

# loss_row LABEL IMPAIR_ARGS...: kernel, then stack, each through a freshly
# started bridge (the same seeded decisions for both), down and up.
loss_row() {
	local label=$1 kd ku sd su bd= bu=
	shift
	testbed_impair_start "$@" || die "cannot start sockshim-impair $*"
	kernel_on
	testbed_impair_start "$@" || die "cannot restart sockshim-impair"
	kd=$(xfer kernel down)
	testbed_impair_start "$@" || die "cannot restart sockshim-impair"
	ku=$(xfer kernel up)
	kernel_off
	testbed_impair_start "$@" || die "cannot restart sockshim-impair"
	sd=$(xfer stack down)
	testbed_impair_start "$@" || die "cannot restart sockshim-impair"
	su=$(xfer stack up)
	if [ -n "$BASELINE" ]; then
		testbed_impair_start "$@" || die "cannot restart sockshim-impair"
		bd=$(xfer baseline down)
		testbed_impair_start "$@" || die "cannot restart sockshim-impair"
		bu=$(xfer baseline up)
	fi
	row "$LOSS_MB MiB download s, $label" "$kd" "$sd" "$(ratio "$sd" "$kd")" "$bd" \
		"${bd:+$(ratio "$bd" "$kd")}"
	row "$LOSS_MB MiB upload s, $label" "$ku" "$su" "$(ratio "$su" "$ku")" "$bu" \
		"${bu:+$(ratio "$bu" "$ku")}"
}

loss_rows() {
	local ks kr ss sr bs= br=
	testbed_down
	export TB_IMPAIR_LOG=$WORK/impair.log # testbed_impair_start writes the bridge's output there
	testbed_up_impaired 1500 || die "cannot build the impaired testbed"
	echo
	echo "bench: impaired testbed $TB_NS_SHIM <-> $TB_NS_IMPAIR (sockshim-impair) <-> $TB_NS_PEER;" \
		"the kernel's congestion control: $(ip netns exec "$TB_NS_PEER" sysctl -n net.ipv4.tcp_congestion_control)"
	mkdir -p "$WORK/www" && head -c $((LOSS_MB * 1024 * 1024)) /dev/urandom >"$WORK/www/file" ||
		die "cannot write the transfer file"
	testbed_peer "$PY" -m http.server 8080 --bind "$TB_PEER_ADDR" --directory "$WORK/www" \
		>"$WORK/http-server.log" 2>&1 &
	testbed_peer iperf3 -s -B "$TB_PEER_ADDR" -p 5201 >"$WORK/iperf3-server.log" 2>&1 &
	testbed_wait_listen "$TB_NS_PEER" tcp 8080 10 || die "http server did not start"
	testbed_wait_listen "$TB_NS_PEER" tcp 5201 10 || die "iperf3 server did not start"
	echo
	row "measurement (each way)" "kernel" "stack" "ratio" "baseline" "ratio"
	loss_row "5% loss" --loss 5 --seed 1
	loss_row "20% loss" --loss 20 --seed 1
	testbed_impair_start --delay 10 --loss 1 --seed 1 || die "cannot start sockshim-impair"
	kernel_on
	ks=$(iperf_rate 1e6 kernel)
	kr=$(iperf_rate 1e6 kernel -R)
	kernel_off
	kill_hosts
	ss=$(iperf_rate 1e6 stack)
	sr=$(iperf_rate 1e6 stack -R)
	if [ -n "$BASELINE" ]; then
		kill_hosts
		bs=$(iperf_rate 1e6 baseline)
		br=$(iperf_rate 1e6 baseline -R)
	fi
	row "goodput send Mbit/s, 20ms RTT 1% loss" "$ks" "$ss" "$(ratio "$ss" "$ks")" "$bs" \
		"${bs:+$(ratio "$bs" "$ks")}"
	row "goodput recv Mbit/s, 20ms RTT 1% loss" "$kr" "$sr" "$(ratio "$sr" "$kr")" "$br" \
		"${br:+$(ratio "$br" "$kr")}"
	echo
	echo "ratios: stack / kernel (times: lower is better, targets 1.5x at 5% and 3x at 20% loss;"
	echo "goodput: higher is better, target 0.8x); \"timeout\" means over ${LOSS_TIMEOUT}s"
}

if [ "$ROWS" = loss ]; then
	loss_rows
	exit 0
fi

# ---- The base rows ----

# record KEY VALUE / median KEY: the rounds' figures; the median of the
# numeric ones, or "fail" when no round gave one.
record() {
	echo "$2" >>"$WORK/res.$1"
}
median() {
	grep -hE '^[0-9.]+$' "$WORK/res.$1" 2>/dev/null | sort -g |
		awk '{ v[NR] = $1 } END { if (!NR) print "fail"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# stackd_ticks: "pid ticks" (utime + stime) of every stack host in the shim namespace.
stackd_ticks() {
	local p
	for p in $(testbed_stackd_pids); do
		awk -v p="$p" '{ sub(/.*\) /, ""); print p, $12 + $13 }' "/proc/$p/stat" 2>/dev/null
	done
}

# stackd_cpu BEFORE AFTER: CPU seconds the hosts used between two stackd_ticks.
stackd_cpu() {
	awk -v hz="$(getconf CLK_TCK)" 'NR == FNR { b[$1] = $2; next } { t += $2 - b[$1] } END { printf "%.3f", t / hz }' \
		"$1" "$2"
}

# ns_kill NS COMM: end the processes named COMM in namespace NS (a
# background "testbed_peer CMD &" leaves $! the subshell, not CMD).
ns_kill() {
	local p
	for p in $(ip netns pids "$1" 2>/dev/null); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ] && kill "$p" 2>/dev/null
	done
}

# bulk side MTU up|down: one iperf3 run; records Gbit/s and CPU s/GB.
bulk() {
	local side=$1 mtu=$2 dir=$3 out=$WORK/iperf3.json host=0
	{
		echo "0 0" # never empty: stackd_cpu tells its two files apart by it
		stackd_ticks
	} >"$WORK/ticks0"
	if run_side "$side" timeout $((SECS + 20)) iperf3 -c "$TB_PEER_ADDR" -p 5201 -t "$SECS" -J \
		$([ "$dir" = down ] && echo -R) >"$out" 2>&1; then
		stackd_ticks >"$WORK/ticks1"
		[ "$side" != kernel ] && host=$(stackd_cpu "$WORK/ticks0" "$WORK/ticks1")
		"$PY" - "$out" "$host" "$WORK/res.$side-$mtu-$dir" "$WORK/res.cpu-$side-$mtu-$dir" <<'PY' ||
import json, sys
e = json.load(open(sys.argv[1]))["end"]
r = e["sum_received"]
prog = e["cpu_utilization_percent"]["host_total"] / 100.0 * r["seconds"]
open(sys.argv[3], "a").write("%.2f\n" % (r["bits_per_second"] / 1e9))
open(sys.argv[4], "a").write("%.2f\n" % ((prog + float(sys.argv[2])) / (r["bytes"] / 1e9)))
PY
			record "$side-$mtu-$dir" fail
	else
		record "$side-$mtu-$dir" fail
	fi
}

# pingpong side [KEY]: records the p50 and p99 round trip in microseconds
# and, for the stack, its hosts' CPU use meanwhile in percent of one core,
# and the CPU seconds per 100,000 round trips of sockperf plus its hosts.
pingpong() {
	local side=$1 key=${2:-$1} out=$WORK/sockperf.log p host
	{
		echo "0 0"
		stackd_ticks
	} >"$WORK/ticks0"
	run_side "$side" timeout $((SECS + 20)) /usr/bin/time -f 'prog cpu %U %S' -o "$WORK/ptime" \
		sockperf ping-pong --tcp -i "$TB_PEER_ADDR" -p 11111 -t "$SECS" -m 64 >"$out" 2>&1
	stackd_ticks >"$WORK/ticks1"
	for p in 50 99; do
		record "$key-p$p" "$(sed -n "s/.*percentile $p.000 = *\([0-9.]*\).*/\1/p" "$out" | head -n 1)"
	done
	host=0
	[ "$side" != kernel ] && host=$(stackd_cpu "$WORK/ticks0" "$WORK/ticks1") &&
		record "$key-cpu" "$(awk -v c="$host" -v s="$SECS" 'BEGIN { printf "%.0f", c * 100 / s }')"
	record "$key-cpu100k" "$(awk -v h="$host" '
		/^prog cpu/ { p = $3 + $4 }
		/Total Run/ { if (match($0, /ReceivedMessages=[0-9]+/)) n = substr($0, RSTART + 17, RLENGTH - 17) }
		END { if (n > 0) printf "%.2f", (p + h) * 100000 / n; else print "fail" }' "$WORK/ptime" "$out")"
}

# pingpong_loaded side: the ping-pong while LOADED other connections stream
# to the peer (8 iperf3 clients of LOADED / 8 parallel streams each; killed
# 5 s after their timeout, as a client may hang in its SIGTERM handler).
pingpong_loaded() {
	local side=$1 i pids=()
	for i in 1 2 3 4 5 6 7 8; do
		run_side "$side" timeout -k 5 $((SECS + 30)) iperf3 -c "$TB_PEER_ADDR" -p $((5300 + i)) \
			-P $((LOADED / 8)) -t $((SECS + 6)) >/dev/null 2>&1 &
		pids+=($!)
	done
	sleep 3 # every stream connected and sending
	pingpong "$side" "$side-load"
	wait "${pids[@]}"
}

# nginx_conf ADDR PORT: a configuration answering "ok" on ADDR:PORT.
nginx_conf() {
	mkdir -p "$WORK/nginx-$2"
	cat >"$WORK/nginx-$2/nginx.conf" <<EOF
worker_processes 1;
pid $WORK/nginx-$2/nginx.pid;
error_log $WORK/nginx-$2/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	server { listen $1:$2 backlog=4096; location / { return 200 "ok\n"; } }
}
EOF
	echo "$WORK/nginx-$2"
}

# ab_rate WHERE URL: requests per second from ab run by WHERE (a command
# prefix), one connection per request, 8 at a time; "fail" on any failure.
ab_rate() {
	local out=$WORK/ab.log
	"${@:1:$#-1}" timeout $((SECS + 30)) ab -q -r -t "$SECS" -n 10000000 -c 8 "${!#}" >"$out" 2>&1 ||
		{ echo fail; return; }
	grep -q '^Failed requests: *0$' "$out" || { echo fail; return; }
	sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p' "$out" | grep . || echo fail
}

# server_start side ADDR: nginx on ADDR:8089 in the shim namespace (the
# kernel's or under the shim), returning once it listens; server_stop ends it.
server_start() {
	local dir
	dir=$(nginx_conf "$2" 8089)
	run_side "$1" nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >/dev/null 2>&1 &
	SERVER_PID=$!
	if [ "$1" = kernel ]; then
		testbed_wait_listen "$TB_NS_SHIM" tcp 8089 10
	else
		testbed_wait_tcp "$TB_NS_PEER" "$2" 8089 10
	fi
}
server_stop() {
	ns_kill "$TB_NS_SHIM" nginx
	wait "$SERVER_PID" 2>/dev/null
}

# connrate side ADDR [KEY]: records the rate as client (against the peer's
# nginx) and as server (nginx on ADDR in the shim namespace, ab on the
# peer), as KEY-client and KEY-server (KEY: side).
connrate() {
	local side=$1 addr=$2 key=${3:-$1}
	record "$key-client" "$(ab_rate run_side "$side" "http://$TB_PEER_ADDR:8088/")"
	server_start "$side" "$addr"
	record "$key-server" "$(ab_rate testbed_peer "http://$addr:8089/")"
	server_stop
}

# synflood side ADDR: the rate as server (nginx on ADDR in the shim
# namespace, ab on the peer) with nothing else, then while hping3 floods
# ADDR with SYNs from FLOOD_SRC, a spoofed on-link address that no host
# answers ARP for: nobody completes or resets them, so the SYN queue stays
# full and the server answers with SYN cookies, as under a real flood.
FLOOD_SRC=10.99.0.200
synflood() {
	local side=$1 addr=$2 flood
	server_start "$side" "$addr"
	record "$side-quiet" "$(ab_rate testbed_peer "http://$addr:8089/")"
	testbed_peer hping3 -q --flood -S -p 8089 -a "$FLOOD_SRC" "$addr" >/dev/null 2>&1 &
	flood=$!
	sleep 1 # the flood has filled the SYN queue (a second of it is far more than any backlog)
	record "$side-flood" "$(ab_rate testbed_peer "http://$addr:8089/")"
	ns_kill "$TB_NS_PEER" hping3
	wait "$flood" 2>/dev/null
	server_stop
}

# stackd_sleeps: "pid sleeps" (voluntary context switches: each a wait for
# work, so each a wake-up after it) of every stack host in the shim namespace.
stackd_sleeps() {
	local p
	for p in $(testbed_stackd_pids); do
		awk -v p="$p" '/^voluntary_ctxt_switches/ { print p, $2 }' "/proc/$p/status" 2>/dev/null
	done
}

# connrate_client side: the rate as client, as connrate's, and per
# connection: the CPU in microseconds, ab's own (user + system) plus its
# host's, and the times ab and its host went to sleep (each a wake-up on
# the connection's path). A short run first starts the host, so that its
# start-up is not counted.
connrate_client() {
	local side=$1 out=$WORK/ab.log n u s w host=0 hsleeps=0
	[ "$side" != kernel ] &&
		run_side "$side" ab -q -n 100 -c 8 "http://$TB_PEER_ADDR:8088/" >/dev/null 2>&1
	{
		echo "0 0"
		stackd_ticks
	} >"$WORK/ticks0"
	{
		echo "0 0"
		stackd_sleeps
	} >"$WORK/sleeps0"
	run_side "$side" /usr/bin/time -f "%U %S %w" -o "$WORK/time" timeout $((SECS + 30)) \
		ab -q -r -t "$SECS" -n 10000000 -c 8 "http://$TB_PEER_ADDR:8088/" >"$out" 2>&1
	stackd_ticks >"$WORK/ticks1"
	stackd_sleeps >"$WORK/sleeps1"
	if [ "$side" != kernel ]; then
		host=$(stackd_cpu "$WORK/ticks0" "$WORK/ticks1")
		hsleeps=$(awk 'NR == FNR { b[$1] = $2; next } { t += $2 - b[$1] } END { print t + 0 }' \
			"$WORK/sleeps0" "$WORK/sleeps1")
	fi
	n=$(sed -n 's/^Complete requests: *\([0-9]*\).*/\1/p' "$out")
	if [ -z "$n" ] || [ "$n" = 0 ] || ! grep -q '^Failed requests: *0$' "$out"; then
		record "$side-client" fail
		return
	fi
	record "$side-client" "$(sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p' "$out")"
	read -r u s w <"$WORK/time"
	record "cpu-$side-client" "$(awk -v u="$u" -v s="$s" -v h="$host" -v n="$n" 'BEGIN { printf "%.0f", (u + s + h) * 1e6 / n }')"
	record "sleeps-$side-client" "$(awk -v w="$w" -v h="$hsleeps" -v n="$n" 'BEGIN { printf "%.2f", (w + h) / n }')"
	[ "$side" != kernel ] &&
		record "hsleeps-$side-client" "$(awk -v h="$hsleeps" -v n="$n" 'BEGIN { printf "%.2f", h / n }')"
	connrate_calls "$side"
}

# connrate_calls side: with strace, the system calls per connection of ab
# and of its host over CALLS_N connections (a run of its own: strace slows
# both); with perf, the AF_UNIX garbage collections the kernel queued per
# connection meanwhile, machine-wide (unix_release_sock queues one at each
# release of an AF_UNIX socket while any AF_UNIX fd is in flight: the
# control messages carry the pair's ends).
CALLS_N=1000
connrate_calls() {
	local side=$1 tr=() hp pids=() p c calls host=0 gc=
	command -v strace >/dev/null || return
	for hp in $(testbed_stackd_pids); do
		strace -c -f -o "$WORK/host-$hp.strace" -p "$hp" 2>/dev/null &
		pids+=($!)
	done
	# Each host traced before ab starts (its TracerPid set), for up to 5 s.
	for hp in $(testbed_stackd_pids); do
		for _ in $(seq 1 50); do
			awk '/^TracerPid:/ { exit !$2 }' "/proc/$hp/status" 2>/dev/null && break
			sleep 0.1
		done
	done
	command -v perf >/dev/null &&
		perf record -q -a -e workqueue:workqueue_queue_work -o "$WORK/gc-probe.perf" -- true >/dev/null 2>&1 &&
		tr=(perf record -q -a -e workqueue:workqueue_queue_work -o "$WORK/gc.perf" --)
	run_side "$side" "${tr[@]}" strace -c -f -o "$WORK/ab.strace" \
		ab -q -n "$CALLS_N" -c 8 "http://$TB_PEER_ADDR:8088/" >/dev/null 2>&1
	for p in "${pids[@]}"; do
		kill -INT "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	# strace -c's last line: "100.00 SECONDS USECS/CALL CALLS [ERRORS] total".
	calls=$(awk '/ total$/ { print $4 }' "$WORK/ab.strace" 2>/dev/null)
	for hp in $(testbed_stackd_pids); do
		c=$(awk '/ total$/ { print $4 }' "$WORK/host-$hp.strace" 2>/dev/null)
		host=$((host + ${c:-0}))
	done
	[ -n "$calls" ] && record "calls-$side-client" "$(awk -v c="$calls" -v n="$CALLS_N" 'BEGIN { printf "%.1f", c / n }')"
	[ "$side" != kernel ] &&
		record "hcalls-$side-client" "$(awk -v c="$host" -v n="$CALLS_N" 'BEGIN { printf "%.1f", c / n }')"
	[ -s "$WORK/gc.perf" ] && gc=$(perf script -i "$WORK/gc.perf" 2>/dev/null | grep -c 'function=__unix_gc')
	[ -n "$gc" ] && record "gc-$side-client" "$(awk -v g="$gc" -v n="$CALLS_N" 'BEGIN { printf "%.2f", g / n }')"
	rm -f "$WORK"/host-*.strace "$WORK/ab.strace" "$WORK"/gc*.perf
}

meminfo_slab() {
	awk '/^Slab:/ { print $2 }' /proc/meminfo
}

stackd_rss() {
	local p t=0
	for p in $(testbed_stackd_pids); do
		t=$((t + $(awk '/^VmRSS/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)))
	done
	echo $t
}

# idle side ADDR: CONNS idle connections to the peer; records KiB per
# connection of kernel slab and (stack) host RSS growth, then the connection
# rates (connrate's, ADDR the server's) while they are held and again once
# they are closed, so that a rate that falls with the connections open
# shows (the host's event loop and lookups must not slow down with them).
idle() {
	local side=$1 addr=$2 srv cli one rss0=0 slab0 n
	testbed_peer "$MANY" serve "$TB_PEER_ADDR" 9100 >"$WORK/many-serve.log" 2>&1 &
	srv=$!
	testbed_wait_listen "$TB_NS_PEER" tcp 9100 10 || return
	if [ "$side" != kernel ]; then
		# A host already up with one connection: the baseline.
		: >"$WORK/many-one.log"
		run_side "$side" "$MANY" open "$TB_PEER_ADDR" 9100 1 3600 >"$WORK/many-one.log" 2>&1 &
		one=$!
		for _ in $(seq 1 100); do grep -q '^echo' "$WORK/many-one.log" && break; sleep 0.1; done
		rss0=$(stackd_rss)
	fi
	slab0=$(meminfo_slab)
	: >"$WORK/many-open.log"
	run_side "$side" "$MANY" open "$TB_PEER_ADDR" 9100 "$CONNS" 3600 >"$WORK/many-open.log" 2>&1 &
	cli=$!
	for _ in $(seq 1 1200); do
		grep -q '^echo' "$WORK/many-open.log" && break
		kill -0 $cli 2>/dev/null || break
		sleep 0.2
	done
	if grep -q '^echo' "$WORK/many-open.log"; then
		sleep 1 # let the last ACKs settle
		n=$CONNS
		record "$side-slab" "$(awk -v a="$slab0" -v b="$(meminfo_slab)" -v n="$n" 'BEGIN { printf "%.2f", (b - a) / n }')"
		[ "$side" != kernel ] &&
			record "$side-rss" "$(awk -v a="$rss0" -v b="$(stackd_rss)" -v n="$n" 'BEGIN { printf "%.2f", (b - a) / n }')"
		connrate "$side" "$addr" "$side-held"
	else
		record "$side-slab" fail
		echo "bench: $side: $CONNS connections did not open: $(tail -n 1 "$WORK/many-open.log")" >&2
	fi
	# The peer closes first: TIME_WAIT stays on its side, not in the next round's ports.
	ns_kill "$TB_NS_PEER" many_conns
	wait $srv 2>/dev/null
	sleep 1
	ns_kill "$TB_NS_SHIM" many_conns
	wait $cli ${one:-} 2>/dev/null
	connrate "$side" "$addr" "$side-none"
}

set_mtu() {
	kill_hosts # a stack host keeps the MTU it started with
	ip -n "$TB_NS_SHIM" link set "$TB_IF_SHIM" mtu "$1"
	ip -n "$TB_NS_PEER" link set "$TB_IF_PEER" mtu "$1"
}

testbed_up 1500 || die "cannot build the testbed"
echo "bench: testbed $TB_NS_SHIM <-> $TB_NS_PEER, ${SECS}s per measurement, median of $ROUNDS rounds"
echo "bench: $(nproc) CPUs, $(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -n 1), kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
ulimit -n "$(ulimit -Hn)"
# One host across a round's measurements (its CPU is read per measurement).
export SOCKSHIM_LINGER_MS=30000

testbed_peer iperf3 -s -B "$TB_PEER_ADDR" -p 5201 >"$WORK/iperf3-server.log" 2>&1 &
testbed_peer sockperf server --tcp -i "$TB_PEER_ADDR" -p 11111 >"$WORK/sockperf-server.log" 2>&1 &
dir=$(nginx_conf "$TB_PEER_ADDR" 8088)
testbed_peer nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >/dev/null 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 5201 10 || die "iperf3 server did not start"
testbed_wait_listen "$TB_NS_PEER" tcp 11111 10 || die "sockperf server did not start"
testbed_wait_listen "$TB_NS_PEER" tcp 8088 10 || die "nginx did not start"
for i in 1 2 3 4 5 6 7 8; do
	testbed_peer iperf3 -s -B "$TB_PEER_ADDR" -p $((5300 + i)) >/dev/null 2>&1 &
	testbed_wait_listen "$TB_NS_PEER" tcp $((5300 + i)) 10 || die "iperf3 server $i did not start"
done

for round in $(seq 1 "$ROUNDS"); do
	echo "bench: round $round of $ROUNDS" >&2
	if [ "$ROWS" = loaded ]; then
		kernel_on
		pingpong_loaded kernel
		kernel_off
		pingpong_loaded stack
		kill_hosts
		if [ -n "$BASELINE" ]; then
			pingpong_loaded baseline
			kill_hosts
		fi
		continue
	fi
	if [ "$ROWS" = pingpong ]; then
		kernel_on
		pingpong kernel
		kernel_off
		for side in stack ${BASELINE:+baseline}; do
			pingpong "$side" "$side"
			kill_hosts # the busy-poll setting is read when a host starts
			SOCKSHIM_BUSY_POLL_US=$BUSY pingpong "$side" "$side-busy"
			kill_hosts
			SOCKSHIM_SPIN_US=$SPIN pingpong "$side" "$side-spin"
			kill_hosts
			SOCKSHIM_SPIN_US=$SPIN SOCKSHIM_BUSY_POLL_US=$BUSY pingpong "$side" "$side-both"
			kill_hosts
		done
		continue
	fi
	if [ "$ROWS" = txthread ]; then
		for mtu in 1500 65535; do
			set_mtu "$mtu"
			kernel_on
			bulk kernel "$mtu" up
			bulk kernel "$mtu" down
			kernel_off
			for tx in 0 1; do
				SOCKSHIM_TX_THREAD=$tx bulk "stack-tx$tx" "$mtu" up
				SOCKSHIM_TX_THREAD=$tx bulk "stack-tx$tx" "$mtu" down
				kill_hosts # the setting is read when a host starts
			done
		done
		set_mtu 1500
		kernel_on
		pingpong kernel
		kernel_off
		for tx in 0 1; do
			SOCKSHIM_TX_THREAD=$tx pingpong "stack-tx$tx"
			kill_hosts
		done
		continue
	fi
	if [ "$ROWS" = idle ]; then
		kernel_on
		idle kernel "$TB_KERNEL_ADDR"
		kernel_off
		for side in stack ${BASELINE:+baseline}; do
			idle "$side" "$TB_SHIM_ADDR"
			kill_hosts
		done
		continue
	fi
	if [ "$ROWS" = synflood ]; then
		kernel_on
		synflood kernel "$TB_KERNEL_ADDR"
		kernel_off
		synflood stack "$TB_SHIM_ADDR"
		kill_hosts
		if [ -n "$BASELINE" ]; then
			synflood baseline "$TB_SHIM_ADDR"
			kill_hosts
		fi
		continue
	fi
	if [ "$ROWS" = connrate ]; then
		kernel_on
		connrate_client kernel
		kernel_off
		for side in stack ${BASELINE:+baseline}; do
			connrate_client "$side"
			kill_hosts
		done
		continue
	fi
	if [ "$ROWS" = bulk ]; then
		for mtu in 1500 65535; do
			set_mtu "$mtu"
			kernel_on
			bulk kernel "$mtu" up
			bulk kernel "$mtu" down
			kernel_off
			bulk stack "$mtu" up
			bulk stack "$mtu" down
			[ -z "$BASELINE" ] && continue
			kill_hosts # the next program starts the baseline's host
			bulk baseline "$mtu" up
			bulk baseline "$mtu" down
			kill_hosts
		done
		continue
	fi
	for mtu in 1500 65535; do
		set_mtu "$mtu"
		kernel_on
		bulk kernel "$mtu" up
		bulk kernel "$mtu" down
		if [ "$mtu" = 1500 ]; then
			pingpong kernel
			pingpong_loaded kernel
			connrate kernel "$TB_KERNEL_ADDR"
			[ "$ROWS" = all ] && synflood kernel "$TB_KERNEL_ADDR"
			idle kernel "$TB_KERNEL_ADDR"
		fi
		kernel_off
		bulk stack "$mtu" up
		bulk stack "$mtu" down
		if [ "$mtu" = 1500 ]; then
			pingpong stack
			kill_hosts # the busy-poll setting is read when a host starts
			SOCKSHIM_BUSY_POLL_US=$BUSY pingpong stack busy
			kill_hosts
			pingpong_loaded stack
			kill_hosts # a fresh host for the connection rate, not one still closing 1000 streams
			connrate stack "$TB_SHIM_ADDR"
			kill_hosts
			if [ "$ROWS" = all ]; then
				synflood stack "$TB_SHIM_ADDR"
				kill_hosts
			fi
			idle stack "$TB_SHIM_ADDR"
		fi
	done
done
set_mtu 1500
unset SOCKSHIM_LINGER_MS

# mrow LABEL KEY_KERNEL KEY_STACK: one row of medians and their ratio.
mrow() {
	local k s
	k=$(median "$2")
	s=$(median "$3")
	row "$1" "$k" "$s" "$(ratio "$s" "$k")"
}

# The connection rates with the idle connections held and once closed.
idle_rate_rows() {
	local end
	for end in client server; do
		mrow "connections/s $end, $CONNS idle held" "kernel-held-$end" "$1-held-$end"
		mrow "connections/s $end, none held" "kernel-none-$end" "$1-none-$end"
	done
}

echo
row "measurement (median of $ROUNDS)" "kernel" "stack" "ratio"
if [ "$ROWS" = loaded ]; then
	mrow "sockperf tcp p50 us, $LOADED conns streaming" kernel-load-p50 stack-load-p50
	mrow "sockperf tcp p99 us, $LOADED conns streaming" kernel-load-p99 stack-load-p99
	if [ -n "$BASELINE" ]; then
		echo "baseline: $BASELINE"
		mrow "sockperf tcp p50 us, $LOADED conns streaming" kernel-load-p50 baseline-load-p50
		mrow "sockperf tcp p99 us, $LOADED conns streaming" kernel-load-p99 baseline-load-p99
	fi
	exit 0
fi
if [ "$ROWS" = idle ]; then
	for side in stack ${BASELINE:+baseline}; do
		[ "$side" = baseline ] && echo "baseline: $BASELINE"
		mrow "kernel slab KiB/conn, $CONNS idle" kernel-slab "$side-slab"
		row "stack host RSS KiB/conn, $CONNS idle" "-" "$(median "$side-rss")" "-"
		idle_rate_rows "$side"
	done
	exit 0
fi
if [ "$ROWS" = pingpong ]; then
	for side in stack ${BASELINE:+baseline}; do
		[ "$side" = baseline ] && echo "baseline: $BASELINE"
		mrow "sockperf tcp p50 us" kernel-p50 "$side-p50"
		mrow "sockperf tcp p99 us" kernel-p99 "$side-p99"
		mrow "sockperf tcp p50 us, busy-poll ${BUSY}us" kernel-p50 "$side-busy-p50"
		mrow "sockperf tcp p99 us, busy-poll ${BUSY}us" kernel-p99 "$side-busy-p99"
		mrow "sockperf tcp p50 us, program spin ${SPIN}us" kernel-p50 "$side-spin-p50"
		mrow "sockperf tcp p99 us, program spin ${SPIN}us" kernel-p99 "$side-spin-p99"
		mrow "sockperf tcp p50 us, both" kernel-p50 "$side-both-p50"
		mrow "sockperf tcp p99 us, both" kernel-p99 "$side-both-p99"
		row "stack host CPU % in ping-pong" "-" "$(median "$side-cpu")" "-"
		row "stack host CPU %, busy-poll ${BUSY}us" "-" "$(median "$side-busy-cpu")" "-"
		row "stack host CPU %, program spin ${SPIN}us" "-" "$(median "$side-spin-cpu")" "-"
		row "stack host CPU %, both" "-" "$(median "$side-both-cpu")" "-"
		for v in "" -busy -spin -both; do
			mrow "CPU s per 100k round trips${v:+, ${v#-}} (program + host)" kernel-cpu100k \
				"$side$v-cpu100k"
		done
	done
	exit 0
fi
if [ "$ROWS" = connrate ]; then
	for side in stack ${BASELINE:+baseline}; do
		[ "$side" = baseline ] && echo "baseline: $BASELINE"
		mrow "connections/s, shim side client (ab)" kernel-client "$side-client"
		mrow "CPU us per connection, client" cpu-kernel-client "cpu-$side-client"
		mrow "sleeps per connection (ab + host)" sleeps-kernel-client "sleeps-$side-client"
		row "  of them the host's" - "$(median "hsleeps-$side-client")" -
		mrow "system calls per connection, ab" calls-kernel-client "calls-$side-client"
		row "  the host's" - "$(median "hcalls-$side-client")" -
		mrow "AF_UNIX GCs queued per connection" gc-kernel-client "gc-$side-client"
	done
	echo "bench: load $(cut -d' ' -f1-3 /proc/loadavg) at the end"
	exit 0
fi
synflood_rows() {
	local side
	for side in stack ${BASELINE:+baseline}; do
		[ "$side" = baseline ] && echo "baseline: $BASELINE"
		mrow "connections/s, shim side server, quiet" kernel-quiet "$side-quiet"
		mrow "connections/s, server, SYN flood" kernel-flood "$side-flood"
	done
}
if [ "$ROWS" = synflood ]; then
	synflood_rows
	echo "SYN flood: hping3 --flood -S from $FLOOD_SRC (no ARP answer: the SYNs stay half-open);"
	echo "target: the stack's server completes at least half the kernel's connections/s (ratio >= 0.5)"
	echo "bench: load $(cut -d' ' -f1-3 /proc/loadavg) at the end"
	exit 0
fi
if [ "$ROWS" = txthread ]; then
	for side in stack-tx0 stack-tx1; do
		echo "$side: SOCKSHIM_TX_THREAD=${side#stack-tx}"
		for mtu in 1500 65535; do
			mrow "iperf3 send Gbit/s, mtu $mtu" "kernel-$mtu-up" "$side-$mtu-up"
			mrow "iperf3 receive (-R) Gbit/s, mtu $mtu" "kernel-$mtu-down" "$side-$mtu-down"
			mrow "CPU s/GB sending, mtu $mtu" "cpu-kernel-$mtu-up" "cpu-$side-$mtu-up"
			mrow "CPU s/GB receiving, mtu $mtu" "cpu-kernel-$mtu-down" "cpu-$side-$mtu-down"
		done
		mrow "sockperf tcp p50 us" kernel-p50 "$side-p50"
		mrow "sockperf tcp p99 us" kernel-p99 "$side-p99"
		row "stack host CPU % in ping-pong" "-" "$(median "$side-cpu")" "-"
	done
	echo "bench: load $(cut -d' ' -f1-3 /proc/loadavg) at the end"
	exit 0
fi
for side in stack ${BASELINE:+baseline}; do
	[ "$side" = baseline ] && echo "baseline: $BASELINE"
	for mtu in 1500 65535; do
		mrow "iperf3 send Gbit/s, mtu $mtu" "kernel-$mtu-up" "$side-$mtu-up"
		mrow "iperf3 receive (-R) Gbit/s, mtu $mtu" "kernel-$mtu-down" "$side-$mtu-down"
	done
	for mtu in 1500 65535; do
		mrow "CPU s/GB sending, mtu $mtu" "cpu-kernel-$mtu-up" "cpu-$side-$mtu-up"
		mrow "CPU s/GB receiving, mtu $mtu" "cpu-kernel-$mtu-down" "cpu-$side-$mtu-down"
	done
done
[ "$ROWS" = bulk ] && exit 0
mrow "sockperf tcp p50 us" kernel-p50 stack-p50
mrow "sockperf tcp p99 us" kernel-p99 stack-p99
mrow "sockperf tcp p50 us, busy-poll ${BUSY}us" kernel-p50 busy-p50
mrow "sockperf tcp p99 us, busy-poll ${BUSY}us" kernel-p99 busy-p99
mrow "sockperf tcp p50 us, $LOADED conns streaming" kernel-load-p50 stack-load-p50
mrow "sockperf tcp p99 us, $LOADED conns streaming" kernel-load-p99 stack-load-p99
row "stack host CPU % in ping-pong" "-" "$(median stack-cpu)" "-"
row "stack host CPU %, busy-poll ${BUSY}us" "-" "$(median busy-cpu)" "-"
mrow "connections/s, shim side client (ab)" kernel-client stack-client
mrow "connections/s, shim side server (ab)" kernel-server stack-server
[ "$ROWS" = all ] && synflood_rows
mrow "kernel slab KiB/conn, $CONNS idle" kernel-slab stack-slab
row "stack host RSS KiB/conn, $CONNS idle" "-" "$(median stack-rss)" "-"
idle_rate_rows stack
echo
echo "ratios: stack / kernel (throughput, connections/s: higher is better; CPU, latency, memory:"
echo "lower is better). CPU s/GB: the shim side's program plus, for the stack, its host."
[ "$ROWS" = all ] && loss_rows
exit 0
