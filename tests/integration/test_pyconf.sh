#!/bin/bash
# SPDX-License-Identifier: MIT
# CPython's own socket conformance suite (Lib/test/test_socket.py, Debian's
# libpython3.11-testsuite) through the shim: the AF_INET TCP and UDP classes
# (pyconf_classes.txt) run once natively in the shim namespace and once under
# the shim, every case in a watchdog (pyconf_run.py), and every case that
# passes natively must pass under the shim but for the reasoned few in
# pyconf_known.txt (pyconf_compare.py). At least PYCONF_FLOOR cases must pass
# natively, so that a broken run cannot pass by running nothing.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
here=$(cd "$(dirname "$0")" && pwd)
PYCONF_FLOOR=340
testbed_test_begin pyconf

suite=$("$TB_PY" -c 'import test.test_socket as t; print(t.__file__)' 2>&1) ||
	tb_fail "no test.test_socket for $TB_PY (apt-get install libpython3.11-testsuite): $suite"
tb_say "suite: $suite"
mapfile -t classes < <(grep -v '^#' "$here/pyconf_classes.txt" | grep .)

# The cases use 127.0.0.1 only (socket_helper.HOST): natively the shim
# namespace's loopback, under the shim the stack's.
tb_say "native: ${#classes[@]} classes on the kernel"
(cd "$TB_WORK" && testbed_native_shim_ns timeout 600 "$TB_PY" "$here/pyconf_run.py" \
	"$TB_WORK/native.txt" "${classes[@]}") >"$TB_WORK/native-run.log" 2>&1 ||
	tb_fail "the native run failed: $(tail -n 5 "$TB_WORK/native-run.log")"
tb_say "$(tail -n 1 "$TB_WORK/native-run.log")"
testbed_kernel_counter_reset

tb_say "shim: the same classes under the shim"
(cd "$TB_WORK" && testbed_shim timeout 600 "$TB_PY" "$here/pyconf_run.py" \
	"$TB_WORK/shim.txt" "${classes[@]}") >"$TB_WORK/shim-run.log" 2>&1 ||
	tb_fail "the shim run failed: $(tail -n 5 "$TB_WORK/shim-run.log")"
tb_say "$(tail -n 1 "$TB_WORK/shim-run.log")"

if ! "$TB_PY" "$here/pyconf_compare.py" "$TB_WORK/native.txt" "$TB_WORK/shim.txt" \
	"$here/pyconf_known.txt" "$PYCONF_FLOOR" >"$TB_WORK/compare.out"; then
	cat "$TB_WORK/compare.out"
	# The tracebacks of the cases that differ.
	grep '^DIFFERS' "$TB_WORK/compare.out" | sed 's/^DIFFERS \([^:]*\):.*/\1/' | while read -r id; do
		awk -v id="$id" '/^=== / { show = index($0, id) > 0 } show' "$TB_WORK/shim.txt.details" | tail -n 30
	done
	tb_fail "$(tail -n 2 "$TB_WORK/compare.out" | tr '\n' ' ')"
fi
cat "$TB_WORK/compare.out"
testbed_test_end
