#!/bin/bash
# SPDX-License-Identifier: MIT
# test_gso_fallback.sh with the link's transmit thread on
# (SOCKSHIM_TX_THREAD=1): without offloads every frame is MTU-sized, many
# more of them through the thread's ring, and 16 MiB still cross intact
# both ways (gso_transfer.inc.sh).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
. "$(dirname "$0")/gso_transfer.inc.sh"
testbed_test_begin gso_fallback_txthread
export SOCKSHIM_TX_THREAD=1
gso_transfer off
gso_tx_thread_check on
testbed_test_end
