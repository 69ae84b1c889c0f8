#!/bin/bash
# SPDX-License-Identifier: MIT
# Transparent on programs that make no AF_INET socket (issue 5): a matrix
# of real programs, each run natively, under the library with no
# configuration at all, and under the library configured for this testbed
# (SOCKSHIM_IFACE/SOCKSHIM_ADDR), in the shim namespace. Exit status,
# stdout and stderr must be the same in all three, and each run is bounded
# by a deadline so a hang (redis-server --version once hung for ever on
# jemalloc's lock) fails instead of stalling. python3 also runs with jemalloc
# and tcmalloc preloaded on either side of the library. tests/progs/fd_census checks
# what output alone cannot: the same fds, threads and children, across
# fork, vfork, posix_spawn and a signal handler. None of these programs
# opens an AF_INET socket, so no stack host may start either.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin program_matrix

census=$SOCKSHIM_BUILD_DIR/tests/fd_census
[ -x "$census" ] || tb_fail "missing $census (build the tests)"
lib=$(tb_find_lib)
DEADLINE=30
mkdir -m 700 "$TB_WORK/gnupg" "$TB_WORK/git"
export GNUPGHOME=$TB_WORK/gnupg

# Other allocators, preloaded before and after the library (the command
# puts them beside the mode's LD_PRELOAD).
jemalloc=$(ldconfig -p | awk '/libjemalloc\.so\.2 / { print $NF; exit }')
tcmalloc=$(ldconfig -p | awk '/libtcmalloc\.so\.4 / { print $NF; exit }')
[ -n "$jemalloc" ] || tb_fail "no libjemalloc.so.2 (install libjemalloc2)"
[ -n "$tcmalloc" ] || tb_fail "no libtcmalloc.so.4 (install libgoogle-perftools4)"
py_sum="$TB_PY -c 'print(sum(range(10)))'"

# name|command (bash -c, in $TB_WORK, stdin from /dev/null)
CASES=(
	"python3-jemalloc-first|LD_PRELOAD=\"$jemalloc \${LD_PRELOAD:-}\" $py_sum"
	"python3-jemalloc-last|LD_PRELOAD=\"\${LD_PRELOAD:-} $jemalloc\" $py_sum"
	"python3-tcmalloc-first|LD_PRELOAD=\"$tcmalloc \${LD_PRELOAD:-}\" $py_sum"
	"python3-tcmalloc-last|LD_PRELOAD=\"\${LD_PRELOAD:-} $tcmalloc\" $py_sum"
	"redis|redis-server --version"
	"gpg|gpg --version"
	"python3|$TB_PY -c 'import json, sys; print(json.dumps({\"v\": sys.version_info[0], \"l\": [1, 2]}))'"
	"python3-spawn|$TB_PY -c 'import subprocess; print(subprocess.run([\"/bin/echo\", \"spawned\"], capture_output=True).stdout)'"
	"node|node -e 'console.log(process.versions.node.split(\".\").length, [1, 2, 3].map(x => x * 2))'"
	"curl|curl --version"
	"git|git --version && echo hello | git hash-object --stdin && git init -q git && git -C git status --short"
	"ssh|ssh -V"
	"nginx|nginx -V"
	"perl|perl -e 'print join(\",\", map { \$_ * 2 } 1 .. 5), \"\\n\"; system(\"true\") == 0 or exit 3'"
	"socat|socat -V"
	"iperf3|iperf3 --version"
	"shell|echo abc | tr a-c x-z | sort"
	"fd_census|$census"
)

# run MODE NAME CMD: MODE is native, bare (library, no settings) or configured.
run() {
	local mode=$1 name=$2 cmd=$3 out=$TB_WORK/$2.$1 env=()
	case $mode in
	bare) env=(LD_PRELOAD="$lib") ;;
	configured) env=(LD_PRELOAD="$lib" SOCKSHIM_IFACE="$TB_IF_SHIM" SOCKSHIM_ADDR="$TB_SHIM_ADDR/$TB_PREFIX") ;;
	esac
	(cd "$TB_WORK" && rm -rf git && mkdir git &&
		timeout "$DEADLINE" ip netns exec "$TB_NS_SHIM" env "${env[@]}" bash -c "$cmd" \
			</dev/null >"$out.stdout" 2>"$out.stderr")
	echo $? >"$out.status"
}

for c in "${CASES[@]}"; do
	name=${c%%|*}
	cmd=${c#*|}
	for mode in native bare configured; do
		run "$mode" "$name" "$cmd"
		status=$(cat "$TB_WORK/$name.$mode.status")
		[ "$status" = 124 ] && tb_fail "$name ($mode) did not finish within ${DEADLINE}s: $cmd"
	done
	[ "$(cat "$TB_WORK/$name.native.status")" = 0 ] ||
		tb_fail "$name fails natively (status $(cat "$TB_WORK/$name.native.status")): $(head -c 300 "$TB_WORK/$name.native.stderr")"
	[ -s "$TB_WORK/$name.native.stdout" ] || [ -s "$TB_WORK/$name.native.stderr" ] ||
		tb_fail "$name printed nothing natively: the comparison would prove nothing"
	for mode in bare configured; do
		for part in status stdout stderr; do
			cmp -s "$TB_WORK/$name.native.$part" "$TB_WORK/$name.$mode.$part" ||
				tb_fail "$name ($mode): $part differs from the native run: $(diff "$TB_WORK/$name.native.$part" "$TB_WORK/$name.$mode.$part" | head -6 | tr '\n' ';')"
		done
	done
	tb_say "ok: $name: same status, stdout and stderr natively, bare and configured"
done
grep -q '^  threads 1$' "$TB_WORK/fd_census.native.stdout" || tb_fail "fd_census counted no threads"
grep -q '^  fd 0 ' "$TB_WORK/fd_census.native.stdout" || tb_fail "fd_census listed no fds"

testbed_check_kernel_silent
hosts=$(testbed_stackd_seen | wc -l)
[ "$hosts" = 0 ] || tb_fail "a stack host started ($(testbed_stackd_seen | tr '\n' ' ')) though no program made an AF_INET socket"
tb_say "ok: no stack host started"
echo "PASS program_matrix"
