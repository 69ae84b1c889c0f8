#!/bin/bash
# SPDX-License-Identifier: MIT
# tcp_counters.tcpext, which test_ack_timing and test_rcv_window read the
# stack's TCP counters with, under the shim: before any stack host runs it
# reads 0 (test_rcv_window counts before its first socket); a host that
# hangs up, one that never answers, and an answer without the counter each
# raise with a message naming the cause, where it read 0 before, which
# would have hidden the failure inside a test's difference of counts. With
# a real host it reads sockshim-stat's figure.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_counters

STAT=$SOCKSHIM_BUILD_DIR/tools/sockshim-stat
cp "$(dirname "$0")/tcp_counters.py" "$TB_WORK/" || tb_fail "no tcp_counters.py"
cat >"$TB_WORK/count.py" <<'PY'
import sys
from tcp_counters import tcpext
try:
    if len(sys.argv) > 3:
        print("value", tcpext(sys.argv[1], sys.argv[2], float(sys.argv[3])))
    else:
        print("value", tcpext(sys.argv[1], sys.argv[2]))
except RuntimeError as e:
    print("raised", e)
PY
# count NAME STAT [TIMEOUT]: the line count.py prints, under the shim.
count() {
	testbed_shim "$TB_PY" "$TB_WORK/count.py" "$@" 2>>"$TB_WORK/count.log"
}

tb_say "no stack host yet: 0"
got=$(count DelayedACKs "$STAT")
[ "$got" = "value 0" ] || tb_fail "before any host: want 'value 0', got '$got'"
[ -z "$(testbed_stackd_pids)" ] || tb_fail "reading the counters started a stack host"

# A root program on the host's control name (so sockshim-stat trusts it)
# that hangs up on each caller ("close") or holds it without a word ("mute").
cat >"$TB_WORK/impostor.py" <<'PY'
import os, select, socket, sys
mode, iface, addr, ready = sys.argv[1:5]
ino = os.stat("/proc/self/ns/net").st_ino
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(("\0sockshim/ctl/%d/%s/%s" % (ino, iface, addr)).encode())
s.listen(8)
open(ready, "w").close()
held = []
while True:
    r, _, _ = select.select([s, sys.stdin], [], [], 60)
    if not r or sys.stdin in r:
        break
    c = s.accept()[0]
    if mode == "close":
        c.close()
    else:
        held.append(c)
PY
# impostor MODE EXPECTED [TIMEOUT]: count.py's line while it holds the name must match EXPECTED.
impostor() {
	local pid got
	rm -f "$TB_WORK/ready" "$TB_WORK/stop"
	mkfifo "$TB_WORK/stop"
	ip netns exec "$TB_NS_SHIM" "$TB_PY" "$TB_WORK/impostor.py" "$1" "$TB_IF_SHIM" \
		"$TB_SHIM_ADDR" "$TB_WORK/ready" <"$TB_WORK/stop" >>"$TB_WORK/impostor.log" 2>&1 &
	pid=$!
	exec 7>"$TB_WORK/stop"
	testbed_wait_files 10 "$TB_WORK/ready" || tb_fail "the impostor did not bind the name"
	got=$(count DelayedACKs "$STAT" ${3:+"$3"})
	exec 7>&-
	wait "$pid"
	grep -q "$2" <<<"$got" || tb_fail "a host that does not answer ($1): want '$2', got '$got'"
	tb_say "ok: $got"
}
tb_say "a host that hangs up: raises"
impostor close "^raised .*sockshim-stat failed (exit 1): sockshim: stat: the stack host refused HELLO"
tb_say "a host that never answers: raises at the timeout"
impostor mute "^raised .*sockshim-stat: no answer from the stack host in 2 s$" 2

tb_say "an answer without the counter: raises; with it, its figure and not its neighbour's"
printf '#!/bin/sh\necho "stack host pid 1"\necho "Tcp: DelayedACKs=5"\necho "TcpExt: DelayedACKsLost=3"\n' >"$TB_WORK/fake-stat"
chmod 755 "$TB_WORK/fake-stat"
got=$(count DelayedACKs "$TB_WORK/fake-stat")
grep -q "^raised .*fake-stat: no TcpExt DelayedACKs in its answer" <<<"$got" ||
	tb_fail "an answer without DelayedACKs: want it raised, got '$got'"
printf '#!/bin/sh\necho "stack host pid 1"\necho "TcpExt: DelayedACKsLost=3 DelayedACKs=7 X=1"\n' >"$TB_WORK/fake-stat"
got=$(count DelayedACKs "$TB_WORK/fake-stat")
[ "$got" = "value 7" ] || tb_fail "TcpExt DelayedACKs=7: want 'value 7', got '$got'"

tb_say "a running host: sockshim-stat's figure"
. "$SOCKSHIM_SOURCE_DIR/tests/integration/lib_holder.sh"
holder_start "$TB_WORK/done" "$TB_WORK/holder.log"
# No TCP in this namespace, so the figure stands still between the two reads.
want=$(ip netns exec "$TB_NS_SHIM" env SOCKSHIM_IFACE="$TB_IF_SHIM" \
	SOCKSHIM_ADDR="$TB_SHIM_ADDR/$TB_PREFIX" "$STAT" | sed -n 's/^TcpExt:.* TCPTimeouts=\([0-9]*\).*/\1/p')
[ -n "$want" ] || tb_fail "sockshim-stat printed no TCPTimeouts"
got=$(count TCPTimeouts "$STAT")
[ "$got" = "value $want" ] || tb_fail "with a host: want 'value $want', got '$got'"
got=$(count NoSuchCounter "$STAT")
grep -q "^raised .*no TcpExt NoSuchCounter in its answer" <<<"$got" ||
	tb_fail "a counter the host does not have: want it raised, got '$got'"
tb_say "ok: $want, and a name the host does not have raises"
touch "$TB_WORK/done"
wait "$HOLDER_PID"
testbed_test_end
