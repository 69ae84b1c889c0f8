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
# What must match: each phase's DelayedACKs (TcpExt: the kernel's
# /proc/net/netstat, the stack's sockshim-stat) and the segments the
# connection sent (TCP_INFO tcpi_segs_out).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin ack_timing

cat >"$TB_WORK/peer.py" <<'PY'
import socket, sys, time
N = 30
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", int(sys.argv[1])))
l.listen(4)
while True:
    d, _ = l.accept()
    ctl, _ = l.accept()
    d.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    mode = ctl.recv(1)
    for i in range(N):
        d.sendall(b"x" * 100)
        if mode == b"r":
            got = 0
            while got < 100:
                got += len(d.recv(100 - got))
        time.sleep(0.03)
    # Done: the receiver counts, then says so; only then the FINs.
    ctl.sendall(b"!")
    ctl.recv(1)
    ctl.close()
    d.shutdown(socket.SHUT_WR)
    while d.recv(65536):
        pass
    d.close()
PY
cat >"$TB_WORK/recv.py" <<'PY'
import os, re, socket, struct, subprocess, sys
addr, port = sys.argv[1], int(sys.argv[2])
def delayed_acks():
    # TcpExt DelayedACKs: the kernel's in /proc/net/netstat, the stack's from sockshim-stat.
    if "LD_PRELOAD" in os.environ:
        out = subprocess.run([sys.argv[3]], capture_output=True, text=True).stdout
        m = re.search(r"\bDelayedACKs=(\d+)", out)
        return int(m.group(1)) if m else 0
    lines = [l.split() for l in open("/proc/net/netstat") if l.startswith("TcpExt:")]
    return int(dict(zip(lines[0], lines[1]))["DelayedACKs"])
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
testbed_same_lines
testbed_test_end
