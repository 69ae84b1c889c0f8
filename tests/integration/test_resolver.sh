#!/bin/bash
# SPDX-License-Identifier: MIT
# Names through the stack: glibc's resolver opens and uses its sockets
# through libc-internal calls (__socket, __connect, __sendmmsg, __recvfrom,
# __poll, __close_nocancel) that only the interposer's code patching reaches. A
# dnsmasq on the kernel peer answers svc.sockshim.test; the shim namespace
# (no kernel address) names it in /etc/netns/<ns>/resolv.conf. getent,
# Python's getaddrinfo, curl (name, then a download compared by SHA-256) and
# ping must all resolve and work under the shim (and getnameinfo find the
# name of the peer's address, res_query get its A record), and dnsmasq must have seen
# every query arrive from the stack's address. Without the patches the
# resolver's sockets are kernel sockets in a namespace with no address, and
# every lookup fails (also checked natively).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin resolver

NAME=svc.sockshim.test
PTR=$(awk -F. '{ print $4 "." $3 "." $2 "." $1 ".in-addr.arpa" }' <<<"$TB_PEER_ADDR")
DNSLOG="$TB_WORK/dnsmasq.log"

command -v dnsmasq >/dev/null || tb_fail "no dnsmasq (tools/bootstrap installs dnsmasq-base)"

# ip netns exec bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf
# (both sides name dnsmasq: the peer's own lookup checks dnsmasq works).
resolver_cleanup() {
	rm -rf "/etc/netns/$TB_NS_SHIM" "/etc/netns/$TB_NS_PEER"
	testbed_test_cleanup
}
trap resolver_cleanup EXIT
for ns in "$TB_NS_SHIM" "$TB_NS_PEER"; do
	mkdir -p "/etc/netns/$ns" &&
		printf 'nameserver %s\noptions timeout:2 attempts:2\n' "$TB_PEER_ADDR" >"/etc/netns/$ns/resolv.conf" ||
		tb_fail "cannot write /etc/netns/$ns/resolv.conf"
done

tb_say "kernel side: dnsmasq on $TB_PEER_ADDR:53 answering $NAME, and python3 -m http.server on :8080"
testbed_peer dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
	--listen-address="$TB_PEER_ADDR" --except-interface=lo --local=/sockshim.test/ \
	--address="/$NAME/$TB_PEER_ADDR" --ptr-record="$PTR,$NAME" --log-queries --log-facility="$DNSLOG" \
	--pid-file="$TB_WORK/dnsmasq.pid" --user=root >"$TB_WORK/dnsmasq.out" 2>&1 &
mkdir "$TB_WORK/www" && head -c $((512 * 1024)) /dev/urandom >"$TB_WORK/www/file" ||
	tb_fail "cannot write the test file"
testbed_peer "$TB_PY" -m http.server 8080 --bind "$TB_PEER_ADDR" --directory "$TB_WORK/www" \
	>"$TB_WORK/server.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" udp 53 10 || tb_fail "dnsmasq did not start"
testbed_wait_listen "$TB_NS_PEER" tcp 8080 10 || tb_fail "the kernel-side http server did not start"

# Queries dnsmasq logged so far.
queries() { grep -c 'query\[' "$DNSLOG" 2>/dev/null; }

# wait_queries N: until dnsmasq has logged more than N queries (it writes its
# log after answering), at most 10 s; prints the count.
wait_queries() {
	local n _
	for _ in $(seq 1 100); do
		n=$(queries)
		[ "$n" -gt "$1" ] && break
		sleep 0.1
	done
	echo "$n"
}

testbed_peer getent hosts "$NAME" >/dev/null || tb_fail "dnsmasq does not answer $NAME on the peer itself"
peer_queries=$(wait_queries 0)

testbed_check_native_fails getent hosts "$NAME"

# run_step WHAT CMD...: CMD under the shim must succeed and make dnsmasq log
# at least one new query; prints nothing, fails the test otherwise.
run_step() {
	local what=$1 before after
	shift
	before=$(queries)
	testbed_shim "$@" >"$TB_WORK/step.log" 2>&1 ||
		tb_fail "$what under the shim failed (status $?): $(tail -n 3 "$TB_WORK/step.log")"
	after=$(wait_queries "$before")
	[ "$after" -gt "$before" ] || tb_fail "$what worked but dnsmasq saw no query (was the name cached?)"
	tb_say "ok: $what ($((after - before)) queries at dnsmasq)"
}

SOCKSHIM_TRACE=2 SOCKSHIM_TRACE_FILE="$TB_WORK/getent.trace" \
	run_step "getent hosts $NAME" getent hosts "$NAME"
grep -q "^10.99.0.2 .*$NAME" "$TB_WORK/step.log" || tb_fail "getent printed: $(cat "$TB_WORK/step.log")"
for f in socket connect __close_nocancel poll; do
	grep -q "patch $f at 0x[0-9a-f]*: [0-9]* bytes relocated" "$TB_WORK/getent.trace" ||
		tb_fail "SOCKSHIM_TRACE=2 does not list the patch of $f"
done
grep -q 'socket(AF_INET, SOCK_DGRAM.*) = [0-9]* .* stack' "$TB_WORK/getent.trace" ||
	tb_fail "the resolver's socket was not made on the stack"
# The resolver waits for the answer in libc's own __poll: readiness as the kernel's.
grep -q '\] poll(0x[0-9a-f]*, 1, [0-9]*) = 1' "$TB_WORK/getent.trace" ||
	tb_fail "the resolver's wait (libc's __poll) did not reach the interposer"

run_step "python3 socket.getaddrinfo($NAME)" "$TB_PY" -c "
import socket, sys
addrs = {a[4][0] for a in socket.getaddrinfo('$NAME', 8080, socket.AF_INET, socket.SOCK_STREAM)}
sys.exit(0 if addrs == {'$TB_PEER_ADDR'} else 'got %r' % addrs)"

run_step "python3 socket.getnameinfo($TB_PEER_ADDR)" "$TB_PY" -c "
import socket, sys
host, _ = socket.getnameinfo(('$TB_PEER_ADDR', 80), socket.NI_NAMEREQD)
sys.exit(0 if host == '$NAME' else 'got %r' % host)"

run_step "res_query($NAME, C_IN, T_A) (libresolv)" "$TB_PY" -c "
import ctypes, sys
resolv = ctypes.CDLL('libresolv.so.2')
answer = ctypes.create_string_buffer(512)
n = resolv.res_query(b'$NAME', 1, 1, answer, 512)
# One A record for the name: the answer's last 4 bytes are the address.
sys.exit(0 if n > 0 and answer.raw[n - 4:n] == bytes(map(int, '$TB_PEER_ADDR'.split('.'))) else 'res_query: %d' % n)"

run_step "curl http://$NAME:8080/file" curl -sS --max-time 60 -o "$TB_WORK/fetched" \
	"http://$NAME:8080/file"
want=$(testbed_sha256 "$TB_WORK/www/file")
got=$(testbed_sha256 "$TB_WORK/fetched")
[ "$want" = "$got" ] || tb_fail "SHA-256 differs: served $want, fetched $got"
tb_say "ok: the file fetched by name is intact (sha256 $got)"

run_step "ping -c1 $NAME" ping -c 1 -w 10 "$NAME"
grep -q "1 received" "$TB_WORK/step.log" || tb_fail "ping: $(grep transmitted "$TB_WORK/step.log")"

# libcapstone is mapped only while patching runs: never without a
# configuration (no patching), and closed again after patching.
lib=$(tb_find_lib)
env -u SOCKSHIM_IFACE -u SOCKSHIM_ADDR LD_PRELOAD="$lib" cat /proc/self/maps >"$TB_WORK/maps.plain" ||
	tb_fail "cat under the library, unconfigured, failed"
grep -q libsockshim "$TB_WORK/maps.plain" || tb_fail "the library was not mapped (LD_PRELOAD=$lib)"
! grep -q libcapstone "$TB_WORK/maps.plain" ||
	tb_fail "libcapstone is mapped into an unconfigured program: $(grep libcapstone "$TB_WORK/maps.plain" | head -n 1)"
SOCKSHIM_TRACE=1 SOCKSHIM_TRACE_FILE="$TB_WORK/maps.trace" testbed_shim cat /proc/self/maps \
	>"$TB_WORK/maps.configured" || tb_fail "cat under the shim failed"
grep -q 'patch: [1-9][0-9]* of [0-9]* libc socket calls go to the interposer (capstone' \
	"$TB_WORK/maps.trace" || tb_fail "the configured program did not patch libc"
! grep -q libcapstone "$TB_WORK/maps.configured" || tb_fail "libcapstone stays mapped after patching"
tb_say "ok: libcapstone is not mapped without configuration, and unmapped after patching"

# A configuration that names the shim but is invalid: the program's own
# AF_INET sockets fail with ENONET, and so must the resolver's, rather than
# leave through the kernel unseen. In the peer namespace, where the kernel
# alone reaches dnsmasq (checked above).
before=$(queries)
testbed_peer env LD_PRELOAD="$lib" SOCKSHIM_IFACE="$TB_IF_PEER" SOCKSHIM_ADDR=bogus \
	getent hosts "$NAME" >"$TB_WORK/bad.log" 2>&1 &&
	tb_fail "with SOCKSHIM_ADDR=bogus, getent resolved through the kernel: $(cat "$TB_WORK/bad.log")"
grep -q "SOCKSHIM_ADDR: 'bogus'" "$TB_WORK/bad.log" ||
	tb_fail "no error line naming SOCKSHIM_ADDR: $(cat "$TB_WORK/bad.log")"
[ "$(queries)" = "$before" ] || tb_fail "with an invalid configuration a query reached dnsmasq"
tb_say "ok: an invalid configuration stops name lookups too (no query left through the kernel)"

# Every query dnsmasq saw after the peer's own came from the stack's address.
total=$(($(queries) - peer_queries))
ours=$(grep 'query\[' "$DNSLOG" | tail -n +$((peer_queries + 1)) | grep -c "from $TB_SHIM_ADDR\$")
[ "$total" -ge 4 ] || tb_fail "dnsmasq logged only $total queries"
[ "$ours" = "$total" ] ||
	tb_fail "only $ours of $total queries came from $TB_SHIM_ADDR: $(grep 'query\[' "$DNSLOG" | tail -n +$((peer_queries + 1)) | grep -v "from $TB_SHIM_ADDR\$" | head -n 3)"
tb_say "ok: all $total queries at dnsmasq came from the stack's address $TB_SHIM_ADDR"
testbed_test_end
