#!/bin/bash
# SPDX-License-Identifier: MIT
# When the receiver's ACKs leave, the kernel's and the stack's in the same
# run (the delayed-ACK engine: tcp_event_data_recv, tcp_send_delayed_ack,
# tcp_cleanup_rbuf, tcp_event_data_sent). The receiver, in the shim
# namespace (first on its kernel, then under the shim), connects to a
# kernel peer twice:
# - "reader": the peer sends 30 messages of 100 bytes, each pushed, 30 ms
#   apart; the receiver reads each as it comes and sends nothing. The first
#   16 are acknowledged at once (quick-ACK credit), the rest by the read
#   that empties the queue (ICSK_ACK_PUSHED): 30 ACKs, none delayed. Before
#   wip/ato11 the stack's host acknowledged them as it handed them to the
#   program's pair, not at the read: 29 segments.
# - "rpc": 30 requests of 100 bytes, 30 ms apart, each answered at once with
#   100 bytes: the reply comes within the ATO, so the connection is
#   interactive (pingpong) and each later request's ACK rides on its reply:
#   31 segments. Before wip/ato11 the stack acknowledged each request at
#   once while its quick-ACK credit lasted (which its replies spent too):
#   38.
# Counted per phase: the DelayedACKs (TcpExt: the kernel's
# /proc/net/netstat, the stack's sockshim-stat) and the segments the
# connection sent (TCP_INFO tcpi_segs_out), so the ACKs sent at once are
# known (for "rpc", segments less the 30 replies and the delayed ACKs).
# What must hold: the stack's host learns of a read or writes a reply a
# wake-up late (README "Limits today"), and loaded (load 14 to 32 here)
# past the ATO once in a few runs, so the stack may have up to 2 delayed
# ACKs more than the kernel in each phase; the reader's segments are the
# kernel's, one ACK a message, or up to 2 fewer (a host later than the
# 30 ms between two messages acknowledges both at once: 1 run in 20 at load
# 20); in "rpc" up to 2 more ACKs at once (a reply later than the ATO
# leaves pingpong mode, and the next request is acknowledged at once), where
# main's build had 7 more.

set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin ack_timing

cp "$(dirname "$0")/tcp_counters.py" "$TB_WORK/" || tb_fail "no tcp_counters.py"
cat >"$TB_WORK/peer.py" <<'PY'
import socket, sys, time
from tcp_counters import peer_done, peer_runs
N = 30
for d, ctl in peer_runs(int(sys.argv[1])):
    mode = ctl.recv(1)
    for i in range(N):
        d.sendall(b"x" * 100)
        if mode == b"r":
            got = 0
            while got < 100:
                got += len(d.recv(100 - got))
        time.sleep(0.03)
    # Done: the receiver counts, then the FINs.
    peer_done(d, ctl)
PY
cat >"$TB_WORK/recv.py" <<'PY'
import socket, struct, sys
from tcp_counters import tcpext
addr, port = sys.argv[1], int(sys.argv[2])
def delayed_acks():
    return tcpext("DelayedACKs", sys.argv[3])
def segs_out(s):
    # TCP_INFO tcpi_segs_out: this connection's segments alone.
    return struct.unpack_from("=I", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232), 136)[0]
for mode in ("reader", "rpc"):
    s = socket.socket()
    s.connect((addr, port))
    ctl = socket.create_connection((addr, port))
    before, segs = delayed_acks(), segs_out(s)
    ctl.sendall(mode[1].encode())
    got = 0
    while got < 30 * 100:
        b = s.recv(100)
        got += len(b)
        if mode == "rpc" and got % 100 == 0:
            s.sendall(b"y" * 100)
    ctl.recv(1)  # the peer is done: every ACK it waited for has gone
    print(mode, "delayed", delayed_acks() - before, "segs", segs_out(s) - segs, flush=True)
    ctl.sendall(b"k")
    while s.recv(65536):
        pass
    # Closed before the next count: a FIN's ACK the timer holds goes with ours.
    s.close()
    ctl.close()
PY
testbed_peer "$TB_PY" "$TB_WORK/peer.py" 7311 >"$TB_WORK/peer.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 7311 10 || tb_fail "the peer did not start"
testbed_kernel_then_shim timeout 120 "$TB_PY" "$TB_WORK/recv.py" "$TB_PEER_ADDR" 7311 \
	"$SOCKSHIM_BUILD_DIR/tools/sockshim-stat"
tb_say "kernel: $(tr '\n' ';' <"$TB_WORK/native") shim: $(tr '\n' ';' <"$TB_WORK/shim")"
"$TB_PY" - "$TB_WORK/native" "$TB_WORK/shim" <<'PY' || tb_fail "the receiver's ACKs differ from the kernel's"
import sys
def phases(path):
    return {f[0]: (int(f[2]), int(f[4])) for f in (l.split() for l in open(path))}
nat, shim = phases(sys.argv[1]), phases(sys.argv[2])
bad = []
if set(nat) != {"reader", "rpc"} or set(shim) != set(nat):
    sys.exit(f"phases: kernel {sorted(nat)}, shim {sorted(shim)}")
for mode, (nd, ns) in nat.items():
    sd, ss = shim[mode]
    if sd > nd + 2:
        bad.append(f"{mode}: {sd} delayed ACKs, the kernel {nd}")
if not nat["reader"][1] - 2 <= shim["reader"][1] <= nat["reader"][1]:
    bad.append(f"reader: {shim['reader'][1]} segments, the kernel {nat['reader'][1]}")
at_once = {who: p["rpc"][1] - 30 - p["rpc"][0] for who, p in (("kernel", nat), ("shim", shim))}
if at_once["shim"] > at_once["kernel"] + 2:
    bad.append(f"rpc: {at_once['shim']} ACKs at once, the kernel {at_once['kernel']}")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
testbed_test_end
