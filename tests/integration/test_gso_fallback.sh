#!/bin/bash
# SPDX-License-Identifier: MIT
# The fallback without offloads: the shim's veth has tso and gso off
# (ethtool -K), so the stack must send MTU-sized frames only, and 16 MiB
# must still cross intact both ways (see gso_transfer.inc.sh).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
. "$(dirname "$0")/gso_transfer.inc.sh"
testbed_test_begin gso_fallback
gso_transfer off
testbed_test_end
