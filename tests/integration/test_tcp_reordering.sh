#!/bin/bash
# SPDX-License-Identifier: MIT
# A sender on a reordering path, the kernel's and the shim's in the same
# run: 8 MiB to a kernel sink through tools/sockshim-impair with 5 ms delay
# and +-1 ms jitter on the data's way (frames a fraction of a millisecond
# apart overtake each other), nothing lost or duplicated. After the
# transfer, TCP_INFO (tcp_reordering.py): tcpi_reordering grew past
# tcp_reordering's 3 to a measured distance, at most tcp_max_reordering
# (in five runs here: the kernel 212 to 300, the shim 251 to 300),
# reorderings were seen, and no more segments were D-SACKed than were
# resent. The kernel's figures must fit the same ranges, which shows the
# path reorders as the test says. Before tp->reordering was kept the
# shim's tcpi_reordering stayed 3.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
IMPAIR=(--delay 5 --a2b --jitter 1 --seed 3)
testbed_test_begin_impaired tcp_reordering 1500 "${IMPAIR[@]}"
. "$(dirname "$0")/tcp_reordering.inc.sh"
reordering_differential check
tb_say "ok: tcpi_reordering, tcpi_reord_seen and tcpi_dsack_dups as the kernel's"
testbed_test_end
