#!/bin/bash
# SPDX-License-Identifier: MIT
# test_gso_transfer.sh with the link's transmit thread on
# (SOCKSHIM_TX_THREAD=1, preload/stackd/tx_thread.c): the same 16 MiB both
# ways with large frames (gso_transfer.inc.sh), the capture written on the
# stack thread still complete, and the host really running the thread.
# And the setting's bad value: one error line naming it.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
. "$(dirname "$0")/gso_transfer.inc.sh"
testbed_test_begin gso_transfer_txthread

tb_say "bad configuration: SOCKSHIM_TX_THREAD=yes"
testbed_shim env SOCKSHIM_TX_THREAD=yes "$TB_PY" -c '
import socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    print("inet: created")
except OSError as e:
    print("inet: errno", e.errno, e.strerror)
' >"$TB_WORK/bad.out" 2>"$TB_WORK/bad.err"
grep -q '^inet: errno [1-9]' "$TB_WORK/bad.out" ||
	tb_fail "with SOCKSHIM_TX_THREAD=yes an AF_INET socket must fail, got: $(head -n 1 "$TB_WORK/bad.out")"
[ "$(grep -c 'SOCKSHIM_TX_THREAD' "$TB_WORK/bad.err")" = 1 ] ||
	tb_fail "want one error line naming SOCKSHIM_TX_THREAD, got: $(head -n 2 "$TB_WORK/bad.err")"
tb_say "ok: $(cat "$TB_WORK/bad.err")"

export SOCKSHIM_TX_THREAD=1
gso_transfer on
gso_tx_thread_check on
testbed_test_end
