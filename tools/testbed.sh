#!/bin/bash
# SPDX-License-Identifier: MIT
#
# testbed.sh: a throw-away two-namespace testbed for sockshim.
#
# Two network namespaces joined by one veth pair:
#
#   shim namespace (TB_NS_SHIM)            peer namespace (TB_NS_PEER)
#   TB_IF_SHIM: up, NO IPv4 address,  <->  TB_IF_PEER: 10.99.0.2/24
#   IPv6 off; the emulated stack owns      the host kernel's own TCP/IP
#   10.99.0.10 through AF_PACKET
#
# The shim side has no kernel address and no route, so a program there can
# reach the peer only through the user-space stack: nothing passes by
# accident when the shim is not in effect. Names carry the pid and a random
# tag, so parallel runs never meet, and testbed_down removes everything;
# what a killed run could not remove, the next testbed_up does.
#
# Use as a library (source it, then testbed_up / testbed_shim / testbed_peer /
# testbed_down) or as a command:
#   testbed.sh up [MTU]   prints the exports for a testbed left running
#   testbed.sh down NS_SHIM NS_PEER
# It does not build anything and does not start the stack host itself: the
# interposer starts it on first use.

TB_PEER_ADDR=10.99.0.2
TB_SHIM_ADDR=10.99.0.10
TB_KERNEL_ADDR=10.99.0.20 # for bench.sh: the kernel's own address on the shim side
TB_PREFIX=24

tb_log() { printf 'testbed: %s\n' "$*" >&2; }

# The library the shim side runs under: TB_LIB if set, else the build tree.
tb_find_lib() {
	if [ -n "${TB_LIB:-}" ]; then
		printf '%s\n' "$TB_LIB"
		return
	fi
	local build=${SOCKSHIM_BUILD_DIR:-}
	if [ -z "$build" ]; then
		build=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build
	fi
	printf '%s\n' "$build/preload/libsockshim.so"
}

# tb_sweep_stale: remove what a testbed left behind when its creator died
# without cleaning up (ctest kills a test at its TIMEOUT, and the EXIT trap
# never runs): the namespaces ss?-<tag>, whose tag is the creator's pid in
# hex and four hex digits, and the test folders /tmp/sockshim-NAME-pidPID.*.
# Anything whose creator is alive stays, whoever created it.
tb_sweep_stale() {
	local ns pid dir
	for ns in /run/netns/ss[A-Z]-*; do
		ns=${ns#/run/netns/}
		pid=${ns#ss?-}
		[[ $pid =~ ^[0-9a-f]{5,}$ ]] || continue
		pid=$((16#${pid%????}))
		[ -d "/proc/$pid" ] && continue
		tb_log "removing $ns: its creator (pid $pid) is gone"
		tb_ns_remove "$ns"
	done
	for dir in /tmp/sockshim-*-pid[0-9]*.??????; do
		[ -d "$dir" ] || continue
		pid=${dir##*-pid}
		pid=${pid%.*}
		case $pid in *[!0-9]*) continue ;; esac
		[ -d "/proc/$pid" ] && continue
		rm -rf "$dir"
	done
	return 0
}

# testbed_up [MTU]: create the namespaces and the veth, export TB_*.
# TB_OWNER_PID (default this shell) is the pid the names carry, the
# process whose end makes them stale for tb_sweep_stale.
testbed_up() {
	local mtu=${1:-1500}
	local tag
	tb_sweep_stale
	tag=$(printf '%x%04x' "${TB_OWNER_PID:-$$}" $((RANDOM)))
	TB_NS_SHIM="ssA-$tag"
	TB_NS_PEER="ssB-$tag"
	# Interface names are at most 15 characters: "ss" + <=10 hex + "s"/"p".
	TB_IF_SHIM="ss${tag}s"
	TB_IF_PEER="ss${tag}p"
	export TB_NS_SHIM TB_NS_PEER TB_IF_SHIM TB_IF_PEER TB_PEER_ADDR TB_SHIM_ADDR
	export TB_KERNEL_ADDR TB_PREFIX TB_MTU=$mtu

	ip netns add "$TB_NS_SHIM" || { tb_log "cannot create namespace $TB_NS_SHIM (root needed)"; return 1; }
	ip netns add "$TB_NS_PEER" || { testbed_down; return 1; }
	# Create both ends directly inside their namespaces: the names never
	# exist in the caller's namespace, so they cannot clash there.
	ip link add name "$TB_IF_SHIM" netns "$TB_NS_SHIM" mtu "$mtu" type veth \
		peer name "$TB_IF_PEER" netns "$TB_NS_PEER" mtu "$mtu" ||
		{ tb_log "cannot create veth pair $TB_IF_SHIM/$TB_IF_PEER (mtu $mtu)"; testbed_down; return 1; }

	local ns
	for ns in "$TB_NS_SHIM" "$TB_NS_PEER"; do
		# IPv6 off on both sides: no router solicitations, MLD reports
		# or link-local addresses on the wire, only what the test makes.
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
		ip -n "$ns" link set lo up || { testbed_down; return 1; }
	done
	ip -n "$TB_NS_PEER" addr add "$TB_PEER_ADDR/$TB_PREFIX" dev "$TB_IF_PEER" &&
		ip -n "$TB_NS_PEER" link set "$TB_IF_PEER" up &&
		ip -n "$TB_NS_SHIM" link set "$TB_IF_SHIM" up ||
		{ tb_log "cannot configure $TB_IF_PEER/$TB_IF_SHIM"; testbed_down; return 1; }

	if [ "${TB_NATIVE:-0}" = 1 ]; then
		# Dry run of the scripts without the shim: the kernel takes the
		# stack's address. Tests then end with status 3, never a pass.
		ip -n "$TB_NS_SHIM" addr add "$TB_SHIM_ADDR/$TB_PREFIX" dev "$TB_IF_SHIM" || { testbed_down; return 1; }
		testbed_wait_link || { testbed_down; return 1; }
		return 0
	fi
	# The property every test relies on: the shim side's kernel has no
	# way to the peer.
	if ip -n "$TB_NS_SHIM" route get "$TB_PEER_ADDR" >/dev/null 2>&1; then
		tb_log "the kernel in $TB_NS_SHIM has a route to $TB_PEER_ADDR; refusing to test"
		testbed_down
		return 1
	fi
	testbed_wait_link || { testbed_down; return 1; }
}

# The veth carries nothing until both ends report carrier.
testbed_wait_link() {
	local i
	for i in $(seq 1 250); do
		if ip -n "$TB_NS_SHIM" link show "$TB_IF_SHIM" | grep -q LOWER_UP &&
			ip -n "$TB_NS_PEER" link show "$TB_IF_PEER" | grep -q LOWER_UP; then
			return 0
		fi
		sleep 0.02
	done
	tb_log "veth $TB_IF_SHIM/$TB_IF_PEER never came up"
	return 1
}

# tb_ns_pids NS: the processes whose network namespace is NS, as `ip netns
# pids` finds them (same device and inode; a zombie has none) but without a
# process of its own: the watcher of testbed_test_begin asks ten times a
# second, and on a loaded machine each fork and exec costs tens of ms.
tb_ns_pids() {
	local p
	[ -e "/run/netns/$1" ] || return 1
	for p in /proc/[0-9]*; do
		[ "$p/ns/net" -ef "/run/netns/$1" ] && echo "${p#/proc/}"
	done
	return 0
}

# Every process still inside a namespace: the stack host (it lingers a few
# seconds after its last socket, TIME_WAIT included), servers a test left.
# They get SIGTERM, 2 s to go, then SIGKILL; most are gone within ms, so
# the wait looks often.
tb_ns_kill() {
	local ns=$1 pids i
	pids=$(tb_ns_pids "$ns") || return 0
	[ -z "$pids" ] && return 0
	# shellcheck disable=SC2086
	kill $pids 2>/dev/null
	for i in $(seq 1 100); do
		pids=$(tb_ns_pids "$ns")
		[ -z "$pids" ] && return 0
		sleep 0.02
	done
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null
	sleep 0.1
}

# testbed_down [NS_SHIM NS_PEER [NS_IMPAIR]]: idempotent; safe from a trap.
# The impairment namespace (testbed_up_impaired) goes too, if there is one.
testbed_down() {
	local shim=${1:-${TB_NS_SHIM:-}} peer=${2:-${TB_NS_PEER:-}} impair=${3:-${TB_NS_IMPAIR:-}} ns removers=
	for ns in "$shim" "$peer" "$impair"; do
		[ -n "$ns" ] && [ -e "/run/netns/$ns" ] || continue
		# Side by side: each waits only for its own processes to go.
		tb_ns_remove "$ns" &
		removers+=" $!"
	done
	# shellcheck disable=SC2086
	[ -z "$removers" ] || wait $removers
	return 0
}

# tb_ns_remove NS: its processes, its stack host's secret, then NS itself.
tb_ns_remove() {
	tb_ns_kill "$1"
	# The stack host's TCP secret for this namespace (stackd_secret.c)
	# would outlive it until reboot; its inode number is reused later.
	rm -f "/run/sockshim/tcp-secret-netns-$(stat -Lc %i "/run/netns/$1" 2>/dev/null)"
	# Deleting either namespace destroys the veth pair with it.
	ip netns del "$1" 2>/dev/null
}

# testbed_shim CMD...: run CMD in the shim namespace under the shim. The
# caller's SOCKSHIM_TRACE, SOCKSHIM_TRACE_FILE, SOCKSHIM_PCAP, ... pass
# through; interface and address are the testbed's.
testbed_shim() {
	local lib
	if [ "${TB_NATIVE:-0}" = 1 ]; then
		ip netns exec "$TB_NS_SHIM" "$@"
		return
	fi
	lib=$(tb_find_lib)
	[ -r "$lib" ] || { tb_log "no library at $lib (build first, or set SOCKSHIM_BUILD_DIR)"; return 127; }
	ip netns exec "$TB_NS_SHIM" env LD_PRELOAD="$lib" SOCKSHIM_IFACE="$TB_IF_SHIM" \
		SOCKSHIM_ADDR="$TB_SHIM_ADDR/$TB_PREFIX" "$@"
}

# testbed_peer CMD...: run CMD natively in the peer namespace.
testbed_peer() {
	ip netns exec "$TB_NS_PEER" "$@"
}

# testbed_native_shim_ns CMD...: run CMD natively (no shim) in the shim
# namespace, e.g. to prove the kernel there cannot reach the peer.
testbed_native_shim_ns() {
	ip netns exec "$TB_NS_SHIM" "$@"
}

# testbed_native_up: a third namespace for native (kernel) runs of a
# differential test, joined to the peer namespace by a second veth: kernel
# $TB_NAT_ADDR (10.98.0.10) <-> peer $TB_NAT_PEER_ADDR (10.98.0.2), so that the
# native run reaches the same kernel peer over a veth. Gone at cleanup.
testbed_native_up() {
	TB_NAT_PEER_ADDR=10.98.0.2
	TB_NAT_ADDR=10.98.0.10
	TB_NS_NAT="ssN-${TB_NS_SHIM#ssA-}"
	local ifn="${TB_IF_SHIM%s}n" ifq="${TB_IF_SHIM%s}q"
	ip netns add "$TB_NS_NAT" || return 1
	ip link add name "$ifn" netns "$TB_NS_NAT" type veth peer name "$ifq" netns "$TB_NS_PEER" || return 1
	ip netns exec "$TB_NS_NAT" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$TB_NS_NAT" link set lo up &&
		ip -n "$TB_NS_NAT" addr add "$TB_NAT_ADDR/24" dev "$ifn" &&
		ip -n "$TB_NS_NAT" link set "$ifn" up &&
		ip -n "$TB_NS_PEER" addr add "$TB_NAT_PEER_ADDR/24" dev "$ifq" &&
		ip -n "$TB_NS_PEER" link set "$ifq" up
}

# testbed_sysctl_both KEY=VALUE...: the same sysctls in the native
# namespace (testbed_native_up) and the shim namespace (which the stack
# host reads), so the kernel and the stack run under the same settings.
testbed_sysctl_both() {
	local ns
	for ns in "$TB_NS_NAT" "$TB_NS_SHIM"; do
		ip netns exec "$ns" sysctl -qw "$@" || tb_fail "cannot set $* in $ns"
	done
}

# testbed_peer_drop TABLE MATCH...: nftables on the peer drops what each
# MATCH (e.g. "tcp sport 7620") selects before its kernel sees it
# (prerouting, ahead of conntrack), so a raw-socket peer can script a flow
# its kernel never opened without that kernel answering with a RST.
testbed_peer_drop() {
	local table=$1 match rules=
	shift
	for match; do
		rules+=$'\t\t'"$match drop"$'\n'
	done
	testbed_peer nft -f - <<NFT || tb_fail "cannot install the peer's drop"
table ip $table {
	chain pre {
		type filter hook prerouting priority -300; policy accept;
$rules	}
}
NFT
}

# testbed_tcp_sink PORT [echo]: a kernel TCP server on the peer at PORT that
# reads every connection to its end (with echo: sending back what it
# read), until the test ends.
testbed_tcp_sink() {
	cat >"$TB_WORK/sink.py" <<'PY'
import socket, sys, threading
def sink(c, echo):
	while b := c.recv(65536):
		if echo:
			c.sendall(b)
	c.close()
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", int(sys.argv[1])))
l.listen(8)
while True:
	c, _ = l.accept()
	threading.Thread(target=sink, args=(c, sys.argv[2:] == ["echo"]), daemon=True).start()
PY
	testbed_peer "$TB_PY" "$TB_WORK/sink.py" "$@" >"$TB_WORK/sink-$1.log" 2>&1 &
	testbed_wait_listen "$TB_NS_PEER" tcp "$1" 10
}

# testbed_udp_echo PORT: a kernel UDP server on the peer at PORT that sends
# each datagram back to its sender, until the test ends.
testbed_udp_echo() {
	cat >"$TB_WORK/udp-echo.py" <<'PY'
import socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("0.0.0.0", int(sys.argv[1])))
while True:
	d, a = u.recvfrom(65536)
	u.sendto(d, a)
PY
	testbed_peer "$TB_PY" "$TB_WORK/udp-echo.py" "$1" >"$TB_WORK/udp-echo-$1.log" 2>&1 &
	testbed_wait_listen "$TB_NS_PEER" udp "$1" 10
}

# testbed_kernel_then_shim PROG ARGS...: PROG first on the kernel of the
# shim namespace (given an address for the run), then under the shim, each
# with ARGS; outputs in $TB_WORK/native and $TB_WORK/shim.
testbed_kernel_then_shim() {
	local name
	name=$(basename "$1")
	tb_say "native: $name from the kernel at $TB_KERNEL_ADDR"
	testbed_kernel_addr_on || tb_fail "cannot give the kernel an address"
	testbed_native_shim_ns "$@" >"$TB_WORK/native" 2>"$TB_WORK/native.log" ||
		tb_fail "$name failed natively: $(cat "$TB_WORK/native.log")"
	testbed_kernel_addr_off
	testbed_kernel_counter_reset
	tb_say "shim: $name from the stack at $TB_SHIM_ADDR"
	testbed_shim "$@" >"$TB_WORK/shim" 2>"$TB_WORK/shim.log" ||
		tb_fail "$name failed under the shim: $(cat "$TB_WORK/shim.log")"
}

# testbed_same_lines: fails, showing the difference, unless $TB_WORK/shim
# has the lines of $TB_WORK/native.
testbed_same_lines() {
	if ! diff -u "$TB_WORK/native" "$TB_WORK/shim" >"$TB_WORK/diff"; then
		cat "$TB_WORK/diff"
		tb_fail "$(grep -c '^-[^-]' "$TB_WORK/diff") of $(wc -l <"$TB_WORK/native") lines differ from the kernel"
	fi
	tb_say "ok: $(wc -l <"$TB_WORK/native") lines, no difference from the kernel"
}

# testbed_native_vs_shim PY ARGS...: a differential run of the Python
# program PY, natively (testbed_native_up's namespace) and under the shim,
# each given its own kernel peer's address first and then ARGS; fails
# unless both runs succeed and print the same. The outputs stay in
# $TB_WORK/native and $TB_WORK/shim for the test's own checks.
testbed_native_vs_shim() {
	local prog=$1
	shift
	tb_say "native: $(basename "$prog") from $TB_NAT_ADDR to $TB_NAT_PEER_ADDR"
	ip netns exec "$TB_NS_NAT" timeout 60 "$TB_PY" "$prog" "$TB_NAT_PEER_ADDR" "$@" >"$TB_WORK/native" 2>&1 ||
		tb_fail "the native run failed: $(cat "$TB_WORK/native")"
	tb_say "shim: the same from $TB_SHIM_ADDR to $TB_PEER_ADDR"
	testbed_shim timeout 60 "$TB_PY" "$prog" "$TB_PEER_ADDR" "$@" >"$TB_WORK/shim" 2>&1 ||
		tb_fail "the shim run failed: $(cat "$TB_WORK/shim")"
	diff -u "$TB_WORK/native" "$TB_WORK/shim" >"$TB_WORK/diff" ||
		tb_fail "under the shim the output differs from the kernel's: $(cat "$TB_WORK/diff")"
}

# testbed_wait_tcp NS ADDR PORT [SECONDS]: wait until a TCP connect from NS
# (natively) to ADDR:PORT succeeds.
testbed_wait_tcp() {
	local ns=$1 addr=$2 port=$3 secs=${4:-10} i
	for i in $(seq 1 $((secs * 10))); do
		if ip netns exec "$ns" timeout 2 bash -c "exec 3<>/dev/tcp/$addr/$port" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	tb_log "nothing accepts TCP on $addr:$port (seen from $ns) after ${secs}s"
	return 1
}

# testbed_wait_listen NS tcp|udp PORT [SECONDS [ADDR]]: wait until a kernel
# socket in NS listens on (or, for udp, is bound to) PORT, on ADDR if given,
# without connecting to it.
testbed_wait_listen() {
	local ns=$1 proto=$2 port=$3 secs=${4:-10} flag i filter="sport = :$3"
	[ "$proto" = udp ] && flag=-Hlun || flag=-Hltn
	[ -z "${5:-}" ] || filter="src $5:$port"
	for i in $(seq 1 $((secs * 10))); do
		[ -n "$(ip netns exec "$ns" ss "$flag" "$filter" 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	tb_log "nothing listens on $proto port $port in $ns after ${secs}s"
	return 1
}

# testbed_wait_for SECONDS CMD...: run CMD every 0.1 s until it succeeds;
# at the deadline CMD's last answer is the status. A wait on a condition
# (a program's word that it is ready), never a guessed sleep.
testbed_wait_for() {
	local secs=$1 i
	shift
	for i in $(seq 1 $((secs * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

tb_all_exist() {
	local f
	for f; do
		[ -e "$f" ] || return 1
	done
}

# testbed_wait_files SECONDS FILE...: wait until every FILE exists (the
# programs that make them are ready); 1 at the deadline.
testbed_wait_files() {
	local secs=$1
	shift
	testbed_wait_for "$secs" tb_all_exist "$@"
}

tb_not_established() {
	[ -z "$(ip netns exec "$1" ss -Htn state established "sport = :$2")" ]
}

# testbed_wait_not_established NS PORT: wait (30 s at most) until the
# kernel in NS holds no established connection on its PORT, e.g. one in a
# listener's accept queue once the peer's reset has come; tb_fail else.
testbed_wait_not_established() {
	testbed_wait_for 30 tb_not_established "$1" "$2" ||
		tb_fail "the kernel still holds an established connection on port $2"
}

# testbed_peer_connect_reset ADDR PORT: a kernel client on the peer
# connects to ADDR:PORT and resets the connection at once (SO_LINGER 0),
# before the other end reads anything; prints the client's own port.
testbed_peer_connect_reset() {
	testbed_peer "$TB_PY" -c 'import socket, struct, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20)
print(s.getsockname()[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()' "$1" "$2"
}

# testbed_peer_tcp_servers PORT=KIND...: kernel TCP listeners on the peer
# until the test ends, one per PORT, each answering every connection by
# KIND: hold (keep it open, silent), greet (send "hi", then hold), reset
# (close at once with SO_LINGER 0: a RST) or pair (connections come in
# twos: at the second's accept, send it what had come on the first, "fin",
# "data" or "open" for nothing, and close both). Returns once all listen;
# their output in TB_WORK/peer.log.
testbed_peer_tcp_servers() {
	local arg
	cat >"$TB_WORK/peer_servers.py" <<'PY'
import socket, struct, sys, threading
held = []
def serve(port, kind):
	l = socket.create_server(("0.0.0.0", port), backlog=64)  # SO_REUSEADDR set
	while True:
		c, _ = l.accept()
		if kind == "pair":
			second = l.accept()[0]
			c.setblocking(False)
			try:
				got = "fin" if c.recv(10) == b"" else "data"
			except BlockingIOError:
				got = "open"
			second.sendall(got.encode())
			second.close()
			c.close()
			continue
		if kind == "reset":
			c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
			c.close()
			continue
		if kind == "greet":
			c.sendall(b"hi")
		held.append(c)
for arg in sys.argv[1:]:
	port, kind = arg.split("=")
	assert kind in ("hold", "greet", "reset", "pair"), kind
	threading.Thread(target=serve, args=(int(port), kind), daemon=True).start()
threading.Event().wait()
PY
	testbed_peer "$TB_PY" "$TB_WORK/peer_servers.py" "$@" >"$TB_WORK/peer.log" 2>&1 &
	for arg; do
		testbed_wait_listen "$TB_NS_PEER" tcp "${arg%%=*}" 10 || return 1
	done
}

# testbed_many_conns_echo PORT: the kernel echo server of
# tests/progs/many_conns on the peer at PORT (its log TB_WORK/serve.log),
# for request/response round trips; returns once it listens.
testbed_many_conns_echo() {
	local prog=$SOCKSHIM_BUILD_DIR/tests/many_conns
	[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"
	testbed_peer "$prog" serve "$TB_PEER_ADDR" "$1" >"$TB_WORK/serve.log" 2>&1 &
	testbed_wait_listen "$TB_NS_PEER" tcp "$1" 10 || tb_fail "the kernel echo server did not start"
}

# The pids of the stack hosts running in the shim namespace.
testbed_stackd_pids() {
	local p comm
	for p in $(tb_ns_pids "$TB_NS_SHIM"); do
		read -r comm 2>/dev/null <"/proc/$p/comm" && [ "$comm" = "sockshim-stackd" ] && echo "$p"
	done
}

# The pids of the stack hosts that serve: those holding a control listener
# (@sockshim/ctl/...). When two programs start a host at once, the one that
# finds the name taken exits without touching anything; it never served.
# Only the hosts' own fds are looked at (ss -p reads every process's, which
# takes seconds on a machine running other tests with thousands of sockets).
testbed_stackd_serving() {
	local p inode
	for p in $(testbed_stackd_pids); do
		# /proc/net/unix as the host sees it: listening (flag __SO_ACCEPTCON)
		# control names. awk, not a read loop: a host with 10,000
		# connections lists 20,000 sockets, which bash reads a byte at a
		# time (seconds per sample, and a short test then has none).
		for inode in $(awk '$4 == "00010000" && $8 ~ /^@sockshim\/ctl\// { print $7 }' \
			"/proc/$p/net/unix" 2>/dev/null); do
			if [ -n "$(find "/proc/$p/fd" -lname "socket:\[$inode\]" -print -quit 2>/dev/null)" ]; then
				echo "$p"
				break
			fi
		done
	done
}

# testbed_kernel_counter_install: count every packet the shim namespace's
# KERNEL sends out of the shim veth, IPv4 at output and postrouting and ARP
# at output. The stack's own frames go out through AF_PACKET, which bypasses
# netfilter, so anything counted here is the kernel answering (an RST, an
# ICMP error, an ARP reply) for an address it should not know.
testbed_kernel_counter_install() {
	ip netns exec "$TB_NS_SHIM" nft -f - <<EOF || { tb_log "cannot install the nftables counter (nft missing?)"; return 1; }
table inet sockshim_testbed {
	counter kernel_out { }
	counter kernel_post { }
	chain output {
		type filter hook output priority 0; policy accept;
		oifname "$TB_IF_SHIM" counter name "kernel_out"
	}
	chain postrouting {
		type filter hook postrouting priority 0; policy accept;
		oifname "$TB_IF_SHIM" counter name "kernel_post"
	}
}
table arp sockshim_testbed {
	counter kernel_arp { }
	chain output {
		type filter hook output priority 0; policy accept;
		oifname "$TB_IF_SHIM" counter name "kernel_arp"
	}
}
EOF
}

# testbed_kernel_counter_read: prints the number of packets counted (the
# sum over the three hooks; any non-zero value is a failure).
testbed_kernel_counter_read() {
	ip netns exec "$TB_NS_SHIM" nft list counters 2>/dev/null |
		awk '/packets/ { for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) } END { print n + 0 }'
}

# ---- Helpers for the integration tests (tests/integration/test_*.sh) ----
#
# testbed_test_begin NAME [MTU] builds a testbed with the kernel counter and
# a watcher that records which stack hosts run in the shim namespace, and
# installs the trap that tears it all down; tb_fail stops the test with one
# line and the tail of every log in TB_WORK; testbed_test_end checks what
# every test must hold: the host kernel sent nothing out of the shim veth,
# and exactly one stack host served the test.

tb_say() { printf '%s: %s\n' "${TB_TEST:-test}" "$*"; }

tb_fail() {
	local f
	printf 'FAIL %s: %s\n' "${TB_TEST:-test}" "$*"
	for f in "${TB_WORK:-/nonexistent}"/*.log "${TB_WORK:-/nonexistent}"/*.trace; do
		[ -s "$f" ] || continue
		printf -- '--- last lines of %s\n' "$(basename "$f")"
		tail -n 15 "$f"
	done
	exit 1
}

testbed_test_begin() {
	TB_TEST=$1
	[ "$(id -u)" = 0 ] || { echo "FAIL $TB_TEST: must run as root (network namespaces)"; exit 1; }
	[ -n "${SOCKSHIM_BUILD_DIR:-}" ] || { echo "FAIL $TB_TEST: SOCKSHIM_BUILD_DIR is not set"; exit 1; }
	[ "${TB_NATIVE:-0}" = 1 ] || [ -r "$SOCKSHIM_BUILD_DIR/preload/libsockshim.so" ] ||
		{ echo "FAIL $TB_TEST: no $SOCKSHIM_BUILD_DIR/preload/libsockshim.so"; exit 1; }
	# The pid in the name: tb_sweep_stale removes the folder once it is gone.
	TB_WORK=$(mktemp -d "/tmp/sockshim-$TB_TEST-pid$$.XXXXXX") || exit 1
	TB_PY=/usr/bin/python3
	export TB_WORK TB_PY
	trap testbed_test_cleanup EXIT
	trap 'exit 130' INT TERM
	if [ -n "${TB_IMPAIR_ARGS+set}" ]; then
		testbed_up_impaired "${2:-1500}" "${TB_IMPAIR_ARGS[@]}" || tb_fail "cannot build the impaired testbed"
	else
		testbed_up "${2:-1500}" || tb_fail "cannot build the testbed"
	fi
	tb_say "testbed $TB_NS_SHIM ($TB_IF_SHIM, stack $TB_SHIM_ADDR, $([ "${TB_NATIVE:-0}" = 1 ] && echo "NATIVE dry run: kernel address" || echo "no kernel address")) <-> $TB_NS_PEER ($TB_IF_PEER, kernel $TB_PEER_ADDR), mtu ${2:-1500}"
	testbed_kernel_counter_install || tb_fail "cannot install the nftables counter"
	# One line per sample: the hosts serving at that moment. The pause is
	# a read that times out on a pipe no one writes (no sleep process ten
	# times a second beside the test). A test killed before its cleanup
	# leaves this loop behind: it ends with the namespace (tb_sweep_stale).
	(
		exec {pause}<> <(:)
		while [ -e "/run/netns/$TB_NS_SHIM" ]; do
			echo $(testbed_stackd_serving)
			read -rt 0.1 -u "$pause"
		done
	) >"$TB_WORK/stackd.pids" 2>/dev/null &
	TB_WATCH_PID=$!
}

testbed_test_cleanup() {
	[ -n "${TB_WATCH_PID:-}" ] && kill "$TB_WATCH_PID" 2>/dev/null && wait "$TB_WATCH_PID" 2>/dev/null
	# The native namespace's servers go with it (deleting the name alone
	# leaves them running, reparented to init).
	if [ -n "${TB_NS_NAT:-}" ]; then
		tb_ns_kill "$TB_NS_NAT"
		ip netns del "$TB_NS_NAT" 2>/dev/null
	fi
	TB_NS_NAT=
	TB_WATCH_PID=
	testbed_down
	[ -n "${TB_WORK:-}" ] && rm -rf "$TB_WORK"
}

# The watcher's samples plus one taken now (a short test can end between
# two samples; the host is still there, it lingers after its last socket).
tb_stackd_samples() {
	cat "$TB_WORK/stackd.pids" 2>/dev/null
	echo $(testbed_stackd_serving)
}

# tb_hosts_seen / tb_hosts_most_at_once: from samples on stdin.
tb_hosts_seen() { tr ' ' '\n' | grep . | sort -u; }
tb_hosts_most_at_once() { awk '{ if (NF > n) n = NF } END { print n + 0 }'; }

# The stack hosts seen serving so far, one pid per line.
testbed_stackd_seen() {
	tb_stackd_samples | tb_hosts_seen
}

# The most stack hosts any one sample saw serving at the same time.
testbed_stackd_most_at_once() {
	tb_stackd_samples | tb_hosts_most_at_once
}

# testbed_sha256 FILE: the digest only.
testbed_sha256() {
	sha256sum <"$1" | cut -d' ' -f1
}

# testbed_check_kernel_silent: fail if the host kernel sent anything out of
# the shim veth.
testbed_check_kernel_silent() {
	local n
	n=$(testbed_kernel_counter_read)
	[ "$n" = 0 ] || {
		ip netns exec "$TB_NS_SHIM" nft list counters
		tb_fail "the host kernel of $TB_NS_SHIM sent $n packet(s) out of $TB_IF_SHIM (it must never answer for $TB_SHIM_ADDR)"
	}
	tb_say "ok: the host kernel sent nothing out of $TB_IF_SHIM (nftables counter 0)"
}

# testbed_check_native_fails CMD...: CMD run natively in the shim namespace
# must fail: the kernel there has no address, so only the stack can work.
testbed_check_native_fails() {
	[ "${TB_NATIVE:-0}" = 1 ] && return 0
	if testbed_native_shim_ns "$@" >/dev/null 2>&1; then
		tb_fail "without the shim, '$*' worked in $TB_NS_SHIM: the testbed leaks a kernel path"
	fi
	tb_say "ok: without the shim the same command fails (no kernel path)"
}

# testbed_check_bad_setting VAR VALUE: with VAR=VALUE an AF_INET socket()
# under the shim fails, and stderr has one line naming VAR.
testbed_check_bad_setting() {
	tb_say "bad value: $1=$2"
	testbed_shim env "$1=$2" "$TB_PY" -c '
import socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    print("inet: created")
except OSError as e:
    print("inet: errno", e.errno)
' >"$TB_WORK/bad.out" 2>"$TB_WORK/bad.err"
	grep -q '^inet: errno [1-9]' "$TB_WORK/bad.out" ||
		tb_fail "with $1=$2 an AF_INET socket must fail, got: $(head -n 1 "$TB_WORK/bad.out")"
	[ "$(grep -c "$1" "$TB_WORK/bad.err")" = 1 ] ||
		tb_fail "expected one line naming $1 on stderr, got: $(head -n 2 "$TB_WORK/bad.err")"
	tb_say "ok: $(cat "$TB_WORK/bad.err")"
}

testbed_test_end() {
	local samples seen hosts
	if [ "${TB_NATIVE:-0}" = 1 ]; then
		echo "DRY RUN $TB_TEST: the script's logic works natively (TB_NATIVE=1); this is not a test of the shim"
		exit 3
	fi
	testbed_check_kernel_silent
	# One look at the hosts now, for every check below.
	samples=$(tb_stackd_samples)
	seen=$(tb_hosts_seen <<<"$samples")
	hosts=$(grep -c . <<<"$seen")
	[ "$hosts" -ge 1 ] || tb_fail "no sockshim-stackd ever ran in $TB_NS_SHIM: the shim was not in effect"
	# One stack per address means never two serving at once. One after the
	# other is the design: a host leaves SOCKSHIM_LINGER_MS after its last
	# client, and on a loaded machine a test's native step can outlast that.
	[ "$(tb_hosts_most_at_once <<<"$samples")" = 1 ] ||
		tb_fail "two stack hosts served $TB_NS_SHIM at the same time (pids $(echo $seen))"
	if [ "$hosts" = 1 ]; then
		tb_say "ok: one stack host served the test (pid $seen)"
	else
		tb_say "ok: one stack host at a time served the test ($hosts in turn: pids $(echo $seen))"
	fi
	echo "PASS $TB_TEST"
}

# ---- The impaired testbed: the same two ends, sockshim-impair between ----
#
#   shim namespace        impair namespace (TB_NS_IMPAIR)                 peer namespace
#   TB_IF_SHIM <-veth-> TB_IF_IMP_SHIM [sockshim-impair] TB_IF_IMP_PEER <-veth-> TB_IF_PEER
#
# Addresses, names and guarantees are testbed_up's (peer 10.99.0.2, stack
# 10.99.0.10, no kernel address and no route on the shim side):
# testbed_up_impaired builds the usual testbed first, then moves the shim
# end of its veth into the impair namespace and gives the shim namespace a
# new veth to it. The bridge's direction a2b is shim -> peer, b2a is
# peer -> shim. This kernel has no netem, hence the project's own tool.
#
# Segmentation offload goes off on the kernel ends (the peer, and the shim
# side for testbed_kernel_addr_on), so each loss or reorder decision is
# about one wire-sized frame, not a 64 KiB GSO frame.

# The bridge: TB_IMPAIR if set, else beside this script (installed), else
# the build tree.
tb_find_impair() {
	local here build
	if [ -n "${TB_IMPAIR:-}" ]; then
		printf '%s\n' "$TB_IMPAIR"
		return
	fi
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	if [ -x "$here/sockshim-impair" ]; then
		printf '%s\n' "$here/sockshim-impair"
		return
	fi
	build=${SOCKSHIM_BUILD_DIR:-$here/../build}
	printf '%s\n' "$build/tools/sockshim-impair"
}

# testbed_up_impaired [MTU [IMPAIR_ARGS...]]: the topology above, the
# bridge started with IMPAIR_ARGS (see sockshim-impair --help); exports
# TB_NS_IMPAIR, TB_IF_IMP_SHIM, TB_IF_IMP_PEER besides testbed_up's.
testbed_up_impaired() {
	local mtu=${1:-1500} tag ns
	[ $# -gt 0 ] && shift
	command -v ethtool >/dev/null ||
		{ tb_log "ethtool not found (apt-get install ethtool): needed to turn segmentation offload off"; return 1; }
	testbed_up "$mtu" || return 1
	tag=${TB_NS_SHIM#ssA-}
	TB_NS_IMPAIR="ssI-$tag"
	TB_IF_IMP_SHIM="ss${tag}a"
	TB_IF_IMP_PEER="ss${tag}b"
	export TB_NS_IMPAIR TB_IF_IMP_SHIM TB_IF_IMP_PEER
	ip netns add "$TB_NS_IMPAIR" || { tb_log "cannot create namespace $TB_NS_IMPAIR"; testbed_down; return 1; }
	ip netns exec "$TB_NS_IMPAIR" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
	# The old shim end becomes the bridge's peer-side port; a new veth
	# joins the shim namespace to the bridge's shim-side port.
	ip -n "$TB_NS_SHIM" link set "$TB_IF_SHIM" down &&
		ip -n "$TB_NS_SHIM" link set "$TB_IF_SHIM" netns "$TB_NS_IMPAIR" &&
		ip -n "$TB_NS_IMPAIR" link set "$TB_IF_SHIM" name "$TB_IF_IMP_PEER" &&
		ip link add name "$TB_IF_SHIM" netns "$TB_NS_SHIM" mtu "$mtu" type veth \
			peer name "$TB_IF_IMP_SHIM" netns "$TB_NS_IMPAIR" mtu "$mtu" ||
		{ tb_log "cannot build the veths through $TB_NS_IMPAIR"; testbed_down; return 1; }
	for ns in "$TB_NS_IMPAIR:$TB_IF_IMP_SHIM" "$TB_NS_IMPAIR:$TB_IF_IMP_PEER" "$TB_NS_SHIM:$TB_IF_SHIM"; do
		ip -n "${ns%%:*}" link set "${ns#*:}" up || { testbed_down; return 1; }
	done
	ip -n "$TB_NS_IMPAIR" link set lo up
	ip netns exec "$TB_NS_PEER" ethtool -K "$TB_IF_PEER" tso off gso off >/dev/null 2>&1 &&
		ip netns exec "$TB_NS_SHIM" ethtool -K "$TB_IF_SHIM" tso off gso off >/dev/null 2>&1 &&
		ip netns exec "$TB_NS_IMPAIR" ethtool -K "$TB_IF_IMP_SHIM" gro off tso off gso off >/dev/null 2>&1 &&
		ip netns exec "$TB_NS_IMPAIR" ethtool -K "$TB_IF_IMP_PEER" gro off tso off gso off >/dev/null 2>&1 ||
		{ tb_log "cannot turn segmentation offload off"; testbed_down; return 1; }
	if [ "${TB_NATIVE:-0}" = 1 ]; then
		# As testbed_up: the kernel takes the stack's address (moving the
		# interface took it away).
		ip -n "$TB_NS_SHIM" addr add "$TB_SHIM_ADDR/$TB_PREFIX" dev "$TB_IF_SHIM" || { testbed_down; return 1; }
	elif ip -n "$TB_NS_SHIM" route get "$TB_PEER_ADDR" >/dev/null 2>&1; then
		tb_log "the kernel in $TB_NS_SHIM has a route to $TB_PEER_ADDR; refusing to test"
		testbed_down
		return 1
	fi
	# Carrier on each outer end means both ends of its veth are up.
	testbed_wait_link || { testbed_down; return 1; }
	testbed_impair_start "$@" || { testbed_down; return 1; }
}

# testbed_impair_start [IMPAIR_ARGS...]: (re)start the bridge with these
# arguments, its output in TB_IMPAIR_LOG (TB_WORK/impair.log in a test);
# returns once it bridges. Until then the two sides cannot reach each other.
testbed_impair_start() {
	local bin i
	bin=$(tb_find_impair)
	[ -x "$bin" ] || { tb_log "no sockshim-impair at $bin (build first, or set SOCKSHIM_BUILD_DIR)"; return 1; }
	testbed_impair_stop
	if [ -z "${TB_IMPAIR_LOG:-}" ]; then
		if [ -n "${TB_WORK:-}" ]; then
			TB_IMPAIR_LOG=$TB_WORK/impair.log
		else
			TB_IMPAIR_LOG=$(mktemp /tmp/sockshim-impair.XXXXXX) || return 1
		fi
	fi
	ip netns exec "$TB_NS_IMPAIR" "$bin" "$@" "$TB_IF_IMP_SHIM" "$TB_IF_IMP_PEER" >"$TB_IMPAIR_LOG" 2>&1 &
	TB_IMPAIR_PID=$!
	for i in $(seq 1 100); do
		grep -q ': bridging ' "$TB_IMPAIR_LOG" && return 0
		kill -0 "$TB_IMPAIR_PID" 2>/dev/null || break
		sleep 0.1
	done
	tb_log "sockshim-impair did not start: $(tail -n 1 "$TB_IMPAIR_LOG")"
	testbed_impair_stop
	return 1
}

# testbed_impair_stop: stop the bridge (it writes its counters to
# TB_IMPAIR_LOG as it exits); nothing crosses until the next start.
testbed_impair_stop() {
	[ -n "${TB_IMPAIR_PID:-}" ] || return 0
	kill -TERM "$TB_IMPAIR_PID" 2>/dev/null
	wait "$TB_IMPAIR_PID" 2>/dev/null
	TB_IMPAIR_PID=
}

# testbed_impair_count a2b|b2a WORD: from the bridge's last report in
# TB_IMPAIR_LOG (after testbed_impair_stop), the count named WORD
# (received, sent, lost, duplicated, reordered, overflow, ...).
testbed_impair_count() {
	local from=$TB_IF_IMP_SHIM
	[ "$1" = b2a ] && from=$TB_IF_IMP_PEER
	awk -v dir="$from ->" -v word="$2" '
		index($0, dir) && /received/ {
			for (i = 1; i < NF; i++) if ($i == word) { v = $(i + 1); sub(/,$/, "", v) }
		}
		END { print v + 0 }' "$TB_IMPAIR_LOG"
}

# testbed_kernel_addr_on / testbed_kernel_addr_off: give the shim
# namespace's kernel TB_KERNEL_ADDR on TB_IF_SHIM (and take it back), to run
# the kernel's own TCP as the client over the same wire; on returns once the
# kernel reaches the peer (ARP resolved, through any impairment).
testbed_kernel_addr_on() {
	ip -n "$TB_NS_SHIM" addr add "$TB_KERNEL_ADDR/$TB_PREFIX" dev "$TB_IF_SHIM" || return 1
	for _ in $(seq 1 30); do
		ip netns exec "$TB_NS_SHIM" ping -c 1 -W 1 -q "$TB_PEER_ADDR" >/dev/null 2>&1 && return 0
	done
	tb_log "the kernel at $TB_KERNEL_ADDR cannot reach $TB_PEER_ADDR"
	return 1
}

testbed_kernel_addr_off() {
	ip -n "$TB_NS_SHIM" addr del "$TB_KERNEL_ADDR/$TB_PREFIX" dev "$TB_IF_SHIM"
}

# testbed_kernel_counter_reset: zero the kernel counter, e.g. after a
# phase in which the kernel had an address on purpose.
testbed_kernel_counter_reset() {
	ip netns exec "$TB_NS_SHIM" nft reset counters >/dev/null
}

# testbed_test_begin_impaired NAME MTU IMPAIR_ARGS...: testbed_test_begin
# on the impaired topology.
testbed_test_begin_impaired() {
	TB_IMPAIR_ARGS=("${@:3}")
	testbed_test_begin "$1" "$2"
	tb_say "impaired: $TB_NS_IMPAIR bridges $TB_IF_IMP_SHIM <-> $TB_IF_IMP_PEER with: ${TB_IMPAIR_ARGS[*]}"
}

# ---- A reference kernel beside the stack, for differential tests ----
#
# testbed_ref_up: a third namespace, REF_NS, whose kernel does what the
# stack does in the same test, joined to the peer by a veth of its own:
# REF_ADDR (10.99.1.20) <-> the peer's PEER_ADDR2 (10.99.1.2), so the shim
# namespace's kernel stays silent. It goes with the testbed at exit.
testbed_ref_up() {
	REF_NS="ssR-${TB_NS_SHIM#ssA-}"
	REF_IF="${TB_IF_SHIM%s}r"
	PEER_IF2="${TB_IF_SHIM%s}q"
	REF_ADDR=10.99.1.20
	PEER_ADDR2=10.99.1.2
	trap testbed_ref_down EXIT
	ip netns add "$REF_NS" || tb_fail "cannot create $REF_NS"
	ip link add name "$REF_IF" netns "$REF_NS" mtu "$TB_MTU" type veth \
		peer name "$PEER_IF2" netns "$TB_NS_PEER" mtu "$TB_MTU" || tb_fail "cannot create the reference veth"
	ip netns exec "$REF_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
	ip -n "$REF_NS" link set lo up &&
		ip -n "$REF_NS" addr add "$REF_ADDR/24" dev "$REF_IF" &&
		ip -n "$REF_NS" link set "$REF_IF" up &&
		ip -n "$TB_NS_PEER" addr add "$PEER_ADDR2/24" dev "$PEER_IF2" &&
		ip -n "$TB_NS_PEER" link set "$PEER_IF2" up || tb_fail "cannot configure the reference veth"
}

testbed_ref_down() {
	tb_ns_kill "$REF_NS"
	ip netns del "$REF_NS" 2>/dev/null
	testbed_test_cleanup
}

# testbed_ref_capture: tcpdump of TCP on both of the peer's veths, into
# TB_WORK/cap1.pcap (to the stack) and cap2.pcap (to the reference), once
# both listen. Stop them with testbed_ref_capture_stop.
testbed_ref_capture() {
	local i ifc
	for i in 1 2; do
		[ $i = 1 ] && ifc=$TB_IF_PEER || ifc=$PEER_IF2
		ip netns exec "$TB_NS_PEER" tcpdump -i "$ifc" -nn -U -s 200 -w "$TB_WORK/cap$i.pcap" tcp \
			2>"$TB_WORK/tcpdump$i.log" &
		TB_CAPTURE_PIDS="${TB_CAPTURE_PIDS:-} $!"
	done
	for _ in $(seq 1 50); do
		grep -q 'listening on' "$TB_WORK/tcpdump1.log" && grep -q 'listening on' "$TB_WORK/tcpdump2.log" && return 0
		sleep 0.1
	done
	tb_fail "tcpdump did not start"
}

testbed_ref_capture_stop() {
	# shellcheck disable=SC2086
	kill $TB_CAPTURE_PIDS 2>/dev/null
	wait $TB_CAPTURE_PIDS 2>/dev/null
	TB_CAPTURE_PIDS=
}

# Command-line use.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case "${1:-}" in
	up)
		# Left running for the caller's shell: stale once that shell ends.
		TB_OWNER_PID=$PPID testbed_up "${2:-1500}" || exit 1
		printf 'export TB_NS_SHIM=%s TB_NS_PEER=%s TB_IF_SHIM=%s TB_IF_PEER=%s TB_PEER_ADDR=%s TB_SHIM_ADDR=%s\n' \
			"$TB_NS_SHIM" "$TB_NS_PEER" "$TB_IF_SHIM" "$TB_IF_PEER" "$TB_PEER_ADDR" "$TB_SHIM_ADDR"
		;;
	down)
		[ $# -eq 3 ] || { echo "usage: testbed.sh down NS_SHIM NS_PEER" >&2; exit 2; }
		testbed_down "$2" "$3"
		;;
	*)
		echo "usage: testbed.sh up [MTU] | down NS_SHIM NS_PEER (or source it)" >&2
		exit 2
		;;
	esac
fi
