#!/bin/bash
# SPDX-License-Identifier: MIT
# A sender on a reordering path whose peer has no SACK (tcp_sack 0 in its
# namespace), the kernel's and the shim's in the same run: 8 MiB through
# tools/sockshim-impair with 5 ms delay and +-1 ms jitter on the data's
# way, nothing lost or duplicated (as test_tcp_reordering.sh). Without
# SACK only the duplicate ACKs' count and the timestamps tell reordering
# from loss: a fast retransmit whose hole the late original filled is
# undone by the echo (tcp_try_undo_partial, tcp_try_undo_recovery), and the
# path's reordering is measured from it (TCPTSReorder) or from more
# duplicates than the flight (TCPRenoReorder), so later reorderings are
# not resent. After the transfer both senders' TCP_INFO: reorderings were
# seen, no D-SACK came, and the shim resent at most ten times what the
# kernel did (in 40 runs: the kernel 12 to 73, the shim 1 to 11). Before
# the Reno undo the shim resent 824 segments for the kernel's 17.
# tcpi_reordering is not compared: without SACK it follows the flight at
# the last surplus duplicate ACK, down to 1 at a transfer's tail.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
IMPAIR=(--delay 5 --a2b --jitter 1 --seed 3)
testbed_test_begin_impaired tcp_reno_reorder 1500 "${IMPAIR[@]}"
. "$(dirname "$0")/tcp_reordering.inc.sh"
ip netns exec "$TB_NS_PEER" sysctl -qw net.ipv4.tcp_sack=0 || tb_fail "cannot turn SACK off at the peer"
reordering_differential check-reno
tb_say "ok: without SACK, reorderings seen and resends as the kernel's"
testbed_test_end
