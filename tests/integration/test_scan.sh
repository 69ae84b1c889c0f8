#!/bin/bash
# SPDX-License-Identifier: MIT
# `sockshim scan PROGRAM` says from the ELF files and their code whether a
# program will bypass the interposer: curl and a plain dynamic C program
# are fine (exit 0); a dynamic program with an inline socket `syscall`
# (tests/progs/raw_socket.c), the same built static, and a binary carrying
# Go's build-info section bypass it (exit 1); a missing program and a file
# that is not ELF are errors (exit 2). No network is involved.
set -u
SRC="${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
. "$SRC/tools/testbed.sh"
TB_TEST=scan
[ -n "${SOCKSHIM_BUILD_DIR:-}" ] || { echo "FAIL $TB_TEST: SOCKSHIM_BUILD_DIR is not set"; exit 1; }
TB_WORK=$(mktemp -d "/tmp/sockshim-scan-pid$$.XXXXXX") || exit 1
trap 'rm -rf "$TB_WORK"' EXIT
SCAN="$SOCKSHIM_BUILD_DIR/sockshim"

# expect STATUS PATTERN PROGRAM: scan PROGRAM, want STATUS and PATTERN in the report.
expect() {
	local want=$1 pattern=$2 prog=$3 got
	"$SCAN" scan "$prog" >"$TB_WORK/scan.log" 2>&1
	got=$?
	[ "$got" = "$want" ] || tb_fail "scan $prog: exit $got, want $want: $(cat "$TB_WORK/scan.log")"
	grep -q -- "$pattern" "$TB_WORK/scan.log" ||
		tb_fail "scan $prog: no '$pattern' in: $(cat "$TB_WORK/scan.log")"
	tb_say "ok: scan $(basename "$prog") exits $got: $(grep -m1 -- "$pattern" "$TB_WORK/scan.log")"
}

cc -O2 -static -o "$TB_WORK/raw_socket_static" "$SRC/tests/progs/raw_socket.c" ||
	tb_fail "cannot build the static raw_socket (libc6-dev's libc.a)"
printf '#include <stdio.h>\nint main(void)\n{\n\tputs("hello");\n\treturn 0;\n}\n' >"$TB_WORK/plain.c"
cc -O2 -o "$TB_WORK/plain" "$TB_WORK/plain.c" || tb_fail "cannot build plain.c"
# What the Go linker leaves in every binary: the build-info section.
printf '%s\n' '__attribute__((used, section(".go.buildinfo"))) static const char info[32] = "\xff Go buildinf:";' \
	'int main(void) { return 0; }' >"$TB_WORK/gomark.c"
cc -O2 -o "$TB_WORK/gomark" "$TB_WORK/gomark.c" || tb_fail "cannot build gomark.c"
# The dynamic raw_socket really does make a socket without libc's socket().
"$SOCKSHIM_BUILD_DIR/tests/raw_socket" | grep -q 'raw socket() = [0-9]' ||
	tb_fail "tests/raw_socket did not create a socket"

expect 0 "^OK /usr/bin/curl" curl
expect 0 "^OK $TB_WORK/plain" "$TB_WORK/plain"
expect 1 "raw syscall socket (41) at 0x[0-9a-f]* in .text" "$SOCKSHIM_BUILD_DIR/tests/raw_socket"
grep -q 'static binary' "$TB_WORK/scan.log" && tb_fail "the dynamic raw_socket was called static"
expect 1 "static binary" "$TB_WORK/raw_socket_static"
expect 1 "raw syscall socket (41)" "$TB_WORK/raw_socket_static"
expect 1 "Go runtime (a .go.buildinfo section)" "$TB_WORK/gomark"
expect 2 "not found" "$TB_WORK/no-such-program"
expect 2 "not an x86-64 ELF file" "$TB_WORK/plain.c"
echo "PASS $TB_TEST"
