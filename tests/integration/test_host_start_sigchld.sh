#!/bin/bash
# SPDX-License-Identifier: MIT
# Starting the stack host raises no SIGCHLD in the program and leaves it no
# child to reap. ncat -l counts the children its SIGCHLD handler reaps as
# connections gone; when its socket() started the host, the handler could
# reap the host's intermediate fork and ncat aborted on "count <= INT_MAX"
# (test_app_battery3's ncat-server case, now and then). tests/progs/
# sigchld_count reaps as ncat does, makes a listening socket, then forks one
# child of its own: natively and under the shim (where its socket() is the
# namespace's first, so it starts the host) the lines must be the same.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin host_start_sigchld

prog=$SOCKSHIM_BUILD_DIR/tests/sigchld_count
[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"

tb_say "natively: sigchld_count"
testbed_peer timeout 60 "$prog" >"$TB_WORK/native" 2>&1 ||
	tb_fail "sigchld_count failed natively: $(cat "$TB_WORK/native")"
[ -z "$(testbed_stackd_pids)" ] || tb_fail "a stack host runs before the shim run: it would not start one"
tb_say "under the shim: sigchld_count (its socket() starts the host)"
testbed_shim timeout 60 "$prog" >"$TB_WORK/shim" 2>&1 ||
	tb_fail "sigchld_count failed under the shim: $(cat "$TB_WORK/shim")"
diff -u "$TB_WORK/native" "$TB_WORK/shim" >"$TB_WORK/diff" ||
	tb_fail "under the shim the program saw other signals or children: $(cat "$TB_WORK/diff")"
tb_say "ok: $(tr '\n' ';' <"$TB_WORK/shim")"
testbed_test_end
