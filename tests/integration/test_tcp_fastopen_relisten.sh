#!/bin/bash
# SPDX-License-Identifier: MIT
# A Fast Open listener that shutdown() stops and listen() starts again,
# through the interposer, proved against a kernel in the same run
# (fastopen_listener.inc.sh runs fastopen_synrecv.py relisten: a raw-socket
# peer, a TCP_FASTOPEN 1 listener, net.ipv4.tcp_fastopen 0x203):
#   a child accepted before its ACK stays its listener's (rsk_listener);
#   the new listen() starts the count at 0 (reqsk_queue_alloc): the next
#     Fast Open SYN is taken though that child still waits for its ACK;
#   the old child's ACK still takes its place off the new count, so one
#     more Fast Open SYN is taken, and the one after it falls back
#     (TCPFastOpenListenOverflow).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_fastopen_relisten
. "$(dirname "$0")/fastopen_listener.inc.sh"

fastopen_differential relisten
testbed_test_end
