#!/bin/bash
# SPDX-License-Identifier: MIT
# UDP both ways with socat: the shim side sends to a kernel-side UDP echo
# and gets the reply (unbound send, ephemeral port, connected receive); the
# kernel side sends to a UDP echo running under the shim and gets the reply
# (bound socket, recvfrom addresses, reply to the sender).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin udp_socat

tb_say "kernel side: socat UDP4-LISTEN:9000 PIPE (echo)"
testbed_peer socat UDP4-LISTEN:9000,bind="$TB_PEER_ADDR" PIPE >"$TB_WORK/peer-echo.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" udp 9000 10 || tb_fail "the kernel-side UDP echo did not start"

tb_say "shim side: socat - UDP4:$TB_PEER_ADDR:9000, expecting the echo"
echo "from the shim $$" | testbed_shim socat -t 3 - UDP4:"$TB_PEER_ADDR":9000 \
	>"$TB_WORK/shim-client.out" 2>"$TB_WORK/shim-client.log" || tb_fail "socat under the shim failed (status $?)"
[ "$(cat "$TB_WORK/shim-client.out")" = "from the shim $$" ] ||
	tb_fail "shim -> kernel: expected the echo 'from the shim $$', got '$(head -c 200 "$TB_WORK/shim-client.out")'"
tb_say "ok: shim -> kernel -> shim"

tb_say "shim side: socat UDP4-LISTEN:9001 PIPE (echo)"
testbed_shim socat UDP4-LISTEN:9001 PIPE >"$TB_WORK/shim-echo.log" 2>&1 &
# Nothing on the wire tells when the emulated socket is bound: retry.
ok=0
for _ in $(seq 1 10); do
	echo "from the kernel $$" | testbed_peer socat -t 1 - UDP4:"$TB_SHIM_ADDR":9001 \
		>"$TB_WORK/peer-client.out" 2>"$TB_WORK/peer-client.log"
	if [ "$(cat "$TB_WORK/peer-client.out")" = "from the kernel $$" ]; then
		ok=1
		break
	fi
done
[ "$ok" = 1 ] || tb_fail "kernel -> shim: no echo from $TB_SHIM_ADDR:9001 in 10 tries (got '$(head -c 200 "$TB_WORK/peer-client.out")')"
tb_say "ok: kernel -> shim -> kernel"
testbed_test_end
