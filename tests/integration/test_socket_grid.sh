#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The differential socket() grid: runs tests/progs/socket_grid natively and
# under LD_PRELOAD=libsockshim.so in the same network namespace and requires
# every line to agree (fd-or-errno, FD_CLOEXEC, O_NONBLOCK, SO_TYPE,
# SO_DOMAIN, SO_PROTOCOL). The native side models AF_INET6 as a kernel
# without IPv6 (socket_grid --model-no-ipv6), which is what the shim
# promises until the stack emulates IPv6.
#
# Testbed: two namespaces joined by a veth pair, names unique to this run,
# torn down on any exit. The peer side has 10.99.0.2/24; the shim side has
# no address at all, so only the emulated stack (10.99.0.10/24) can be on
# the network there.
#
# Environment: SOCKSHIM_BUILD_DIR (the build tree; set by ctest).
set -euo pipefail

BUILD=${SOCKSHIM_BUILD_DIR:?SOCKSHIM_BUILD_DIR must name the build directory}
GRID=$BUILD/tests/socket_grid
LIB=$BUILD/preload/libsockshim.so

fail() {
	echo "test_socket_grid: FAIL: $*" >&2
	exit 1
}

[[ $(id -u) -eq 0 ]] || fail "needs root (network namespaces)"
[[ -x $GRID ]] || fail "$GRID is not built"
[[ -f $LIB ]] || fail "$LIB is not built"

# Names as tools/testbed.sh makes them (the pid in hex and four hex
# digits; the folder with -pidPID), so that its tb_sweep_stale removes what
# a run killed at ctest's timeout left behind.
tag=$(printf '%x%04x' $$ $((RANDOM)))
NS_SHIM=ssG-$tag
NS_PEER=ssH-$tag
IF_SHIM=ss${tag}s
IF_PEER=ss${tag}p
WORK=$(mktemp -d "/tmp/sockshim-grid-pid$$.XXXXXX")

cleanup() {
	ip netns del "$NS_SHIM" 2>/dev/null || true
	ip netns del "$NS_PEER" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

ip netns add "$NS_SHIM"
ip netns add "$NS_PEER"
ip link add "$IF_SHIM" netns "$NS_SHIM" type veth peer name "$IF_PEER" netns "$NS_PEER"
ip -n "$NS_SHIM" link set lo up
ip -n "$NS_SHIM" link set "$IF_SHIM" up
ip -n "$NS_PEER" link set lo up
ip -n "$NS_PEER" addr add 10.99.0.2/24 dev "$IF_PEER"
ip -n "$NS_PEER" link set "$IF_PEER" up

ip netns exec "$NS_SHIM" "$GRID" --model-no-ipv6 >"$WORK/native" ||
	fail "the grid failed natively"
ip netns exec "$NS_SHIM" env LD_PRELOAD="$LIB" SOCKSHIM_IFACE="$IF_SHIM" \
	SOCKSHIM_ADDR=10.99.0.10/24 "$GRID" >"$WORK/shim" 2>"$WORK/shim.err" ||
	fail "the grid failed under the shim (stderr: $(head -c 500 "$WORK/shim.err"))"

total=$(wc -l <"$WORK/native")
[[ $total -gt 0 ]] || fail "the native grid printed nothing"
[[ $(wc -l <"$WORK/shim") -eq $total ]] ||
	echo "test_socket_grid: the shim printed $(wc -l <"$WORK/shim") lines, native $total" >&2

if ! diff -u "$WORK/native" "$WORK/shim" >"$WORK/diff"; then
	differing=$(grep -c '^-socket' "$WORK/diff" || true)
	echo "test_socket_grid: lines that differ (- native, + shim):" >&2
	grep '^[-+]socket' "$WORK/diff" >"$WORK/lines" || true
	head -200 "$WORK/lines" >&2
	[[ $(wc -l <"$WORK/lines") -le 200 ]] || echo "... (first 200 of $(wc -l <"$WORK/lines") lines)" >&2
	fail "$differing of $total socket() calls differ from the kernel"
fi
echo "test_socket_grid: PASS: all $total socket() calls agree with the kernel"
