#!/bin/bash
# SPDX-License-Identifier: MIT
# Large segments both ways (PACKET_VNET_HDR): 16 MiB up and 16 MiB down
# between nc under the shim and the kernel's nc, with the veth's offloads
# on. The stack must send GSO frames the veth carries whole, take the
# kernel's TSO frames whole and answer each with one ACK, and every byte
# must arrive (see gso_transfer.inc.sh for the checks).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
. "$(dirname "$0")/gso_transfer.inc.sh"
testbed_test_begin gso_transfer
# The stack thread sends (test_gso_transfer_txthread.sh: the transmit thread).
export SOCKSHIM_TX_THREAD=0
gso_transfer on
gso_tx_thread_check off
testbed_test_end
