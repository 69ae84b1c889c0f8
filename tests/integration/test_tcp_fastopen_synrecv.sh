#!/bin/bash
# SPDX-License-Identifier: MIT
# A Fast Open child before its handshake's ACK, through the interposer,
# proved against a kernel in the same run (fastopen_listener.inc.sh runs
# fastopen_synrecv.py peer: a raw-socket peer, a TCP_FASTOPEN 1 listener
# watched by an edge- and a level-triggered epoll, net.ipv4.tcp_fastopen
# 0x203 so no cookie is needed):
#   accept() returns the child in SYN_RECV (TCP_INFO), its SYN's data reads
#     at once, TCPI_OPT_SYN_DATA set; the SYN woke the listener once;
#   the queue counts that child until its ACK, accepted or not: a second
#     Fast Open SYN before the ACK gets a SYN-ACK that ignores its data
#     (TCPFastOpenListenOverflow), a third after it is Fast Open again;
#   the ACK of a Fast Open child wakes no one (it was queued at its SYN),
#     queued or accepted; a plain child's ACK wakes the listener once;
#   an accepted child that the peer resets before its ACK keeps its place
#     in the queue (the kernel's rskq_rst holds it 60 s): the next Fast Open
#     SYN's data is ignored; the Fast Open counters grow the same.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_fastopen_synrecv
. "$(dirname "$0")/fastopen_listener.inc.sh"

fastopen_differential peer
testbed_test_end
