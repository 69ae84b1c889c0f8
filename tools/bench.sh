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
# For each MTU (1500, 65535): iperf3 throughput, shim side sending and (-R)
# receiving, first with the kernel (the shim namespace temporarily gets the
# kernel address 10.99.0.20 on the same veth), then with the stack
# (10.99.0.10, no kernel address). At MTU 1500: sockperf ping-pong --tcp
# median latency, both ways. Then the stack host's resident memory with
# 1,000 idle connections open to a kernel-side listener.
#
# Then the loss rows, through tools/sockshim-impair between the namespaces
# (testbed_up_impaired; seeded, the same in each direction): a 20 MiB
# download (curl from python3 http.server) and upload (nc -N to nc -l) under
# 5% and under 20% random loss, timed, stack/kernel; and iperf3 goodput
# both ways with 20 ms RTT (10 ms each way) and 1% loss, stack/kernel.
# A transfer that has not finished after BENCH_LOSS_TIMEOUT seconds (120)
# reports "timeout". BENCH_ROWS=base or BENCH_ROWS=loss runs one part only.

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
CONNS=${BENCH_CONNS:-1000}

die() {
	echo "bench: $*" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || die "must run as root (network namespaces)"
unset TB_NATIVE
for p in iperf3 sockperf "$PY" curl nc ethtool; do
	command -v "$p" >/dev/null ||
		die "$p not found (apt-get install iperf3 sockperf python3 curl netcat-openbsd ethtool)"
done
case "$ROWS" in
all | base | loss) ;;
*) die "BENCH_ROWS: '$ROWS' is not all, base or loss" ;;
esac
[ -r "$SOCKSHIM_BUILD_DIR/preload/libsockshim.so" ] || die "no $SOCKSHIM_BUILD_DIR/preload/libsockshim.so (build first)"

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

# run_side kernel|stack CMD...: run CMD on the shim side, natively or under
# the shim.
run_side() {
	local side=$1
	shift
	if [ "$side" = kernel ]; then
		testbed_native_shim_ns "$@"
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

# iperf side [-R]: prints Gbit/s received, or "fail".
iperf() {
	iperf_rate 1e9 "$@"
}

ratio() {
	case "$1$2" in
	*fail* | *timeout*) echo "-" ;;
	*) awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }' ;;
	esac
}

row() {
	printf '%-38s %10s %10s %7s\n' "$@"
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
	local label=$1 kd ku sd su
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
	row "$LOSS_MB MiB download s, $label" "$kd" "$sd" "$(ratio "$sd" "$kd")"
	row "$LOSS_MB MiB upload s, $label" "$ku" "$su" "$(ratio "$su" "$ku")"
}

loss_rows() {
	local ks kr ss sr
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
	row "measurement (each way)" "kernel" "stack" "ratio"
	loss_row "5% loss" --loss 5 --seed 1
	loss_row "20% loss" --loss 20 --seed 1
	testbed_impair_start --delay 10 --loss 1 --seed 1 || die "cannot start sockshim-impair"
	kernel_on
	ks=$(iperf_rate 1e6 kernel)
	kr=$(iperf_rate 1e6 kernel -R)
	kernel_off
	ss=$(iperf_rate 1e6 stack)
	sr=$(iperf_rate 1e6 stack -R)
	row "goodput send Mbit/s, 20ms RTT 1% loss" "$ks" "$ss" "$(ratio "$ss" "$ks")"
	row "goodput recv Mbit/s, 20ms RTT 1% loss" "$kr" "$sr" "$(ratio "$sr" "$kr")"
	echo
	echo "ratios: stack / kernel (times: lower is better, targets 1.5x at 5% and 3x at 20% loss;"
	echo "goodput: higher is better, target 0.8x); \"timeout\" means over ${LOSS_TIMEOUT}s"
}

if [ "$ROWS" = loss ]; then
	loss_rows
	exit 0
fi

testbed_up 1500 || die "cannot build the testbed"
echo "bench: testbed $TB_NS_SHIM <-> $TB_NS_PEER, ${SECS}s per measurement"

testbed_peer iperf3 -s -B "$TB_PEER_ADDR" -p 5201 >"$WORK/iperf3-server.log" 2>&1 &
testbed_peer sockperf server --tcp -i "$TB_PEER_ADDR" -p 11111 >"$WORK/sockperf-server.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 5201 10 || die "iperf3 server did not start"
testbed_wait_listen "$TB_NS_PEER" tcp 11111 10 || die "sockperf server did not start"

# latency side: prints the median round trip in microseconds, or "fail".
latency() {
	local side=$1 out
	out=$WORK/sockperf-$side.log
	run_side "$side" timeout $((SECS + 20)) sockperf ping-pong --tcp -i "$TB_PEER_ADDR" -p 11111 \
		-t "$SECS" -m 64 >"$out" 2>&1 || { echo fail; return; }
	sed -n 's/.*percentile 50.000 = *\([0-9.]*\).*/\1/p' "$out" | head -n 1 | grep . || echo fail
}

echo
row "measurement" "kernel" "stack" "ratio"
for mtu in 1500 65535; do
	# A stack host left from the previous MTU would keep its old MTU.
	for pid in $(testbed_stackd_pids); do
		kill "$pid" 2>/dev/null
	done
	sleep 0.5
	ip -n "$TB_NS_SHIM" link set "$TB_IF_SHIM" mtu "$mtu"
	ip -n "$TB_NS_PEER" link set "$TB_IF_PEER" mtu "$mtu"
	kernel_on
	k_up=$(iperf kernel)
	k_down=$(iperf kernel -R)
	[ "$mtu" = 1500 ] && k_lat=$(latency kernel)
	kernel_off
	s_up=$(iperf stack)
	s_down=$(iperf stack -R)
	[ "$mtu" = 1500 ] && s_lat=$(latency stack)
	row "iperf3 send Gbit/s, mtu $mtu" "$k_up" "$s_up" "$(ratio "$s_up" "$k_up")"
	row "iperf3 receive (-R) Gbit/s, mtu $mtu" "$k_down" "$s_down" "$(ratio "$s_down" "$k_down")"
	if [ "$mtu" = 1500 ]; then
		row "sockperf tcp median us, mtu 1500" "$k_lat" "$s_lat" "$(ratio "$s_lat" "$k_lat")"
	fi
done

# Memory: CONNS idle connections through the stack, held by one process.
cat >"$WORK/listener.py" <<'PY'
import socket, sys, time
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((sys.argv[1], int(sys.argv[2])))
ls.listen(4096)
held = []
while True:
    held.append(ls.accept()[0])
PY
cat >"$WORK/opener.py" <<'PY'
import resource, socket, sys, time
n = int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_NOFILE, (n + 256, n + 256))
conns = []
for i in range(n):
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
    conns.append(s)
print("open", len(conns), flush=True)
time.sleep(3600)
PY
ulimit -n $((CONNS + 512)) 2>/dev/null
testbed_peer "$PY" "$WORK/listener.py" "$TB_PEER_ADDR" 9100 >"$WORK/listener.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 9100 10 || die "idle-connection listener did not start"
testbed_shim "$PY" "$WORK/opener.py" "$TB_PEER_ADDR" 9100 "$CONNS" >"$WORK/opener.log" 2>&1 &
for _ in $(seq 1 600); do
	grep -q '^open' "$WORK/opener.log" && break
	kill -0 $! 2>/dev/null || break
	sleep 0.1
done
echo
if grep -q '^open' "$WORK/opener.log"; then
	for pid in $(testbed_stackd_pids); do
		printf '%-38s %s\n' "stack host RSS, $CONNS idle conns" \
			"$(awk '/VmRSS/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$pid/status") (pid $pid)"
	done
else
	echo "stack host RSS: the $CONNS connections did not open: $(tail -n 1 "$WORK/opener.log")"
fi
echo
echo "ratios: stack / kernel (throughput: higher is better; latency: lower is better)"
[ "$ROWS" = all ] && loss_rows
exit 0
