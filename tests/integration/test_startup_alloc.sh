#!/bin/bash
# SPDX-License-Identifier: MIT
# Start-up under a hostile allocator (issue 5): tests/alloc/liblockalloc.so
# holds its own non-recursive lock while it calls syscall(), open, read and
# close, allocates from its constructor and starts a thread there. Preloaded
# on either side of libsockshim.so (so its constructor runs before or after
# the interposer's), programs must run to the end within a deadline: a
# set-up that allocates or waits on a lock while serving those calls
# deadlocks at once. Each order runs fd_census (no AF_INET socket: same
# output as natively) and fork_share (AF_INET through the stack, a fork).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin startup_alloc

alloc=$SOCKSHIM_BUILD_DIR/tests/liblockalloc.so
census=$SOCKSHIM_BUILD_DIR/tests/fd_census
share=$SOCKSHIM_BUILD_DIR/tests/fork_share
lib=$(tb_find_lib)
for f in "$alloc" "$census" "$share"; do
	[ -e "$f" ] || tb_fail "missing $f (build the tests)"
done

# CMD... in the shim namespace with LD_PRELOAD=$preload, bounded: a hang is status 124.
run_preloaded() {
	local preload=$1
	shift
	timeout 60 ip netns exec "$TB_NS_SHIM" env LD_PRELOAD="$preload" SOCKSHIM_IFACE="$TB_IF_SHIM" \
		SOCKSHIM_ADDR="$TB_SHIM_ADDR/$TB_PREFIX" SOCKSHIM_LINGER_MS=60000 "$@"
}

testbed_peer socat TCP4-LISTEN:7000,bind="$TB_PEER_ADDR",reuseaddr,fork PIPE >"$TB_WORK/echo.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 7000 10 || tb_fail "the kernel-side echo server did not start"

# The allocator's own thread may still run at either census: the thread
# count is test_program_matrix.sh's to compare, not this test's.
no_threads() { grep -v '^  threads ' "$1"; }
timeout 60 ip netns exec "$TB_NS_SHIM" "$census" >"$TB_WORK/native.out" 2>&1 ||
	tb_fail "fd_census failed natively"
timeout 60 ip netns exec "$TB_NS_SHIM" env LD_PRELOAD="$alloc" "$census" >"$TB_WORK/alloc.out" 2>&1 ||
	tb_fail "fd_census failed with the allocator alone (status $?)"
diff <(no_threads "$TB_WORK/native.out") <(no_threads "$TB_WORK/alloc.out") >/dev/null ||
	tb_fail "the allocator alone changes fd_census's output"

for order in "$alloc $lib" "$lib $alloc"; do
	first=$(basename "${order%% *}")
	run_preloaded "$order" "$census" >"$TB_WORK/census.out" 2>&1
	status=$?
	[ "$status" = 124 ] && tb_fail "fd_census hung with LD_PRELOAD=$first first"
	[ "$status" = 0 ] || tb_fail "fd_census failed (status $status) with LD_PRELOAD=$first first"
	diff <(no_threads "$TB_WORK/native.out") <(no_threads "$TB_WORK/census.out") >"$TB_WORK/census.diff" ||
		tb_fail "fd_census differs with LD_PRELOAD=$first first: $(head -5 "$TB_WORK/census.diff" | tr '\n' ';')"
	tb_say "ok: fd_census with $first preloaded first: done, same output as natively"

	run_preloaded "$order" "$share" "$TB_PEER_ADDR" 7000 >"$TB_WORK/share.log" 2>&1
	status=$?
	[ "$status" = 124 ] && tb_fail "fork_share hung with LD_PRELOAD=$first first"
	[ "$status" = 0 ] || tb_fail "fork_share failed (status $status) with LD_PRELOAD=$first first"
	grep -q '^parent: echo ok' "$TB_WORK/share.log" || tb_fail "fork_share's exchange is missing"
	tb_say "ok: fork_share through the stack with $first preloaded first"
done
testbed_test_end
