# SPDX-License-Identifier: MIT
# The runner the application batteries share (sourced by
# test_app_battery*.sh, which start with battery_begin and define cases(),
# which prints one case per line: NAME ::: client|server ::: CMD ::: REGEX).
# Each case runs natively, then under the shim, side by side with the other
# cases (their ports differ); a case passes when its native run exits 0 and
# matches REGEX and the shim's output equals the native one.

# battery_begin NAME: testbed_test_begin NAME with the native namespace
# beside the testbed (testbed_native_up); W is the work directory and APPS
# this folder, both exported for the cases' commands.
battery_begin() {
	testbed_test_begin "$1"
	APPS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	W=$TB_WORK
	export APPS W
	testbed_native_up || tb_fail "cannot build the native namespace"
}

# testbed_nat CMD...: CMD natively in the native namespace.
testbed_nat() { ip netns exec "$TB_NS_NAT" "$@"; }

# nginx_temp_paths: the lines of an nginx http block that put every
# temporary file of nginx in $W/tmp, inside the test's work directory.
nginx_temp_paths() {
	local what
	for what in client_body proxy fastcgi uwsgi scgi; do
		printf '\t%s_temp_path %s;\n' "$what" "$W/tmp"
	done
}

# run_client NS_RUNNER SRV OUT CMD: the client command, its output
# normalised (the two networks' prefixes made equal) into OUT/out.
run_client() {
	local runner=$1 srv=$2 out=$3 cmd=$4
	mkdir -p "$out"
	SRV=$srv OUT=$out "$runner" timeout 60 bash -c "$cmd" </dev/null >"$out/raw" 2>&1
	local st=$?
	sed -e 's/10\.9[89]\.0\./NET./g' "$out/raw" >"$out/out"
	echo "exit $st" >>"$out/out"
}
export TB_PY

# sshd_own_rc RUNNER PORT LOG: sshd with $W/ssh/sshd_config, in a mount
# namespace of its own where root's ~/.bashrc is an empty file. The remote
# commands' shells must not run this machine's own start-up files: a
# .bashrc that rehashes pyenv prints errors when two shells start at once
# (cases run side by side), and the output would differ by chance.
sshd_own_rc() {
	: >"$W/ssh/empty-rc" || return 1
	"$1" unshare -m --propagation private sh -c '
		rc=$(getent passwd root | cut -d: -f6)/.bashrc
		[ ! -e "$rc" ] || mount --bind "$0" "$rc" || exit 1
		exec /usr/sbin/sshd -D -e -p "$1" -f "$2"' "$W/ssh/empty-rc" "$2" "$W/ssh/sshd_config" >"$3" 2>&1 &
}

# udp_ask HOST PORT MESSAGE: MESSAGE to a UDP server that answers it, by
# nc -u, and the first answer. nc never sends again, so without an answer
# in 10 s (a datagram lost on a loaded machine: both stacks may drop) it
# asks again, three times at most, as UDP programs do.
udp_ask() {
	local try r
	for try in 1 2 3; do
		r=$(printf '%s' "$3" | timeout 10 nc -u -W 1 "$1" "$2") && [ -n "$r" ] && printf '%s\n' "$r" && return 0
	done
	return 1
}
export -f udp_ask

# run_case NAME SIDE CMD: the native run, then the shim's (the peer's
# servers see one client at a time: iperf3 takes one test at a time, and
# the retained MQTT messages and redis list are per server).
run_case() {
	if [ "$2" = client ]; then
		run_client testbed_nat "$TB_NAT_PEER_ADDR" "$W/native-$1" "$3"
		run_client testbed_shim "$TB_PEER_ADDR" "$W/shim-$1" "$3"
	else
		run_client testbed_peer "$TB_NAT_ADDR" "$W/native-$1" "$3"
		run_client testbed_peer "$TB_SHIM_ADDR" "$W/shim-$1" "$3"
	fi
}

# battery_run: every case of cases(), then the verdicts; fails the test if any failed.
battery_run() {
	local name rest side i failed want line
	names=() wants=() sides=() pids=()
	while read -r line; do
		[ -n "$line" ] || continue
		name=${line%% ::: *} rest=${line#* ::: }
		side=${rest%% ::: *} rest=${rest#* ::: }
		names+=("$name") sides+=("$side") wants+=("${rest##* ::: }")
		run_case "$name" "$side" "${rest% ::: *}" &
		pids+=($!)
	done < <(cases)
	wait "${pids[@]}"
	tb_say "cases done after ${SECONDS}s"

	failed=
	for i in "${!names[@]}"; do
		name=${names[$i]} want=${wants[$i]}
		if ! grep -qx 'exit 0' "$W/native-$name/out" || ! grep -Eq -- "$want" "$W/native-$name/out"; then
			failed="$failed $name"
			tb_say "FAILED $name: natively it did not work: $(tr '\n' '|' <"$W/native-$name/out" | head -c 600)"
		elif ! diff -u "$W/native-$name/out" "$W/shim-$name/out" >"$W/$name.diff"; then
			failed="$failed $name"
			tb_say "FAILED $name: under the shim (${sides[$i]}) the output differs from the kernel's: $(head -c 1500 "$W/$name.diff")"
		else
			tb_say "ok: $name (${sides[$i]} under the shim): $(grep -Em1 -- "$want" "$W/shim-$name/out")"
		fi
	done
	[ -z "$failed" ] || tb_fail "cases that failed:$failed"
}
