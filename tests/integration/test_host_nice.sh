#!/bin/bash
# SPDX-License-Identifier: MIT
# SOCKSHIM_HOST_NICE: the stack host's session, its own, gets that
# autogroup nice (-10 by default) from the program that starts the host, so
# that the host is scheduled as the kernel's own network work is, ahead of
# other sessions' tasks; the program's session keeps its own. A value given is taken; a bad one is one
# line naming the variable, and the socket() fails. Without autogroups in
# the kernel there is nothing to check.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin host_nice

[ -r /proc/self/autogroup ] || {
	tb_say "this kernel has no autogroups (/proc/self/autogroup): nothing to check"
	exit 0
}
testbed_check_bad_setting SOCKSHIM_HOST_NICE lots
testbed_check_bad_setting SOCKSHIM_HOST_NICE -21

autogroup_nice() { sed -n 's/.* nice \(-\{0,1\}[0-9]*\)$/\1/p' "/proc/$1/autogroup"; }

# check WANT [VALUE]: a program holding a socket, SOCKSHIM_HOST_NICE=VALUE
# (unset without one); its host's session autogroup must have nice WANT,
# the program's must be as it was.
check() {
	local want=$1 cli pid got mine0 mine1
	rm -f "$TB_WORK/go" "$TB_WORK/client.out"
	mkfifo "$TB_WORK/go"
	mine0=$(autogroup_nice $$)
	# shellcheck disable=SC2086 # the assignment, or nothing
	testbed_shim env ${2+SOCKSHIM_HOST_NICE=$2} "$TB_PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
print("ready", flush=True)
sys.stdin.readline()
' <"$TB_WORK/go" >"$TB_WORK/client.out" 2>&1 &
	cli=$!
	exec 7>"$TB_WORK/go"
	testbed_wait_for 30 grep -q '^ready' "$TB_WORK/client.out" ||
		tb_fail "the program made no socket: $(tail -n 2 "$TB_WORK/client.out")"
	pid=$(testbed_stackd_serving | head -n 1)
	[ -n "$pid" ] || tb_fail "no stack host"
	[ "$(ps -o sid= -p "$pid")" != "$(ps -o sid= -p $$)" ] || tb_fail "host $pid is in the program's session"
	got=$(autogroup_nice "$pid")
	mine1=$(autogroup_nice $$)
	exec 7>&-
	wait $cli
	[ "$got" = "$want" ] ||
		tb_fail "SOCKSHIM_HOST_NICE=${2-(unset)}: host $pid's session has nice '$got' ($(cat "/proc/$pid/autogroup" 2>/dev/null)), not $want"
	[ "$mine1" = "$mine0" ] || tb_fail "the program's session went from nice $mine0 to $mine1"
	tb_say "ok: SOCKSHIM_HOST_NICE=${2-(unset)}: host $pid's session at nice $got, the program's at $mine1"
	# The next value needs a new host: this one goes with its last client.
	kill "$pid" 2>/dev/null
	testbed_wait_for 30 test ! -d "/proc/$pid" || tb_fail "host $pid did not exit"
}

check -10
check 3 3
check 0 0

testbed_test_end
