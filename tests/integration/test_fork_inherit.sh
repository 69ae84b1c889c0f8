#!/bin/bash
# SPDX-License-Identifier: MIT
# A connected socket survives fork: tests/progs/fork_share connects to a
# kernel-side echo server, forks; the child writes a line, reads its echo
# and closes its copy; then the parent writes a line, reads its echo, and
# half-closes and sees the server's EOF.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin fork_inherit

prog=$SOCKSHIM_BUILD_DIR/tests/fork_share
[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"
tb_say "kernel side: socat TCP4-LISTEN:7000 PIPE (echo)"
testbed_peer socat TCP4-LISTEN:7000,bind="$TB_PEER_ADDR",reuseaddr PIPE >"$TB_WORK/echo.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 7000 10 || tb_fail "the kernel-side echo server did not start"

tb_say "shim side: fork_share $TB_PEER_ADDR 7000"
testbed_shim "$prog" "$TB_PEER_ADDR" 7000 >"$TB_WORK/fork_share.log" 2>&1 ||
	tb_fail "fork_share under the shim failed (status $?): $(tail -n 1 "$TB_WORK/fork_share.log")"
grep -q '^child: echo ok' "$TB_WORK/fork_share.log" || tb_fail "the child's exchange is missing"
grep -q '^parent: echo ok' "$TB_WORK/fork_share.log" || tb_fail "the parent's exchange is missing"
tb_say "ok: $(tr '\n' ';' <"$TB_WORK/fork_share.log")"
testbed_test_end
