#!/bin/bash
# SPDX-License-Identifier: MIT
# The receive window a kernel peer sees, from the kernel's receiver and from
# the stack's, in the same run (tcp_grow_window, rcv_ssthresh,
# scaling_ratio, __tcp_select_window). The receiver, in the shim namespace
# (first on its kernel, then under the shim), connects to a kernel peer and
# reads nothing until told; the peer sends one segment of 1448 bytes at a
# time, waits until it is acknowledged and notes the window it was given
# (TCP_INFO tcpi_snd_wnd), 20 times or until the window is under a segment,
# for the receive buffer left alone and for SO_RCVBUF 4096.
#
# What must match: the window scale, the window of the handshake's ACK, and
# each window while the receiver's is rcv_ssthresh-limited, i.e. while it
# grows by two segments per segment: those are the kernel's model alone.
# Once the free space limits it, the kernel charges its queue's skbs and the
# stack the host's pair (SIOCOUTQ: an AF_UNIX skb of 2,304 bytes for a
# segment of 1448), so from there the shim's window may be lower than the
# kernel's by the pair's overhead of the segments held (at most half their
# bytes), never more than a scale unit above it, and the shim may take one
# segment fewer before the window shuts (SO_RCVBUF 4096: 3, the kernel 4).
#
# And how the ACKs went: each receiver counts its DelayedACKs (TcpExt, the
# kernel's /proc/net/netstat, the stack's sockshim-stat) over each run, so
# the segments acknowledged at once are known, and must be the kernel's:
# for the buffer left alone the kernel acknowledges all 20 at once; the
# stack before 2026-12-02 (wip/rcvwin10) had 19 and 1 by the delayed-ACK
# timer (its quick-ACK credit was given before the handshake's ACK, which
# spent one; the kernel gives it at the first data, tcp_incr_quickack).
# For SO_RCVBUF 4096 the kernel acknowledges 1 at once and 3 by the timer;
# before wip/ato11 the stack's host handing the bytes to the pair counted
# as the program's read (tcp_cleanup_rbuf opened the shut window at once):
# 2 and 2.
# Before this model (main's build) the windows were the whole free buffer
# and the test fails: 131,072 and down where the kernel offers 64,512 and
# up, 8,192 for SO_RCVBUF 4096 where the kernel offers 2,920.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin rcv_window

cp "$(dirname "$0")/tcp_counters.py" "$TB_WORK/" || tb_fail "no tcp_counters.py"
cat >"$TB_WORK/peer.py" <<'PY'
import fcntl, socket, struct, sys, time
from tcp_counters import peer_done, peer_runs
SIOCOUTQ, N = 0x5411, 20
def info(c):
    b = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)
    return struct.unpack_from("=I", b, 228)[0], b[6] & 15
def outq(c):
    return struct.unpack("i", fcntl.ioctl(c, SIOCOUTQ, b"\0" * 4))[0]
for d, ctl in peer_runs(int(sys.argv[1])):
    win, ws = info(d)
    wins = [win]
    # One segment at a time while the window takes a whole one.
    while len(wins) <= N and wins[-1] >= 1448:
        d.sendall(b"x" * 1448)
        deadline = time.monotonic() + 20
        while outq(d) and time.monotonic() < deadline:
            time.sleep(0.0005)
        if outq(d):
            break
        wins.append(info(d)[0])
    print("ws", ws, "wins", " ".join(map(str, wins)), flush=True)
    # Done: the receiver counts its delayed ACKs, then says so; only then
    # the FINs, whose ACKs could be delayed too.
    peer_done(d, ctl)
PY
cat >"$TB_WORK/recv.py" <<'PY'
import socket, sys
from tcp_counters import tcpext
addr, port = sys.argv[1], int(sys.argv[2])
def delayed_acks():
    return tcpext("DelayedACKs", sys.argv[3])
last = delayed_acks()
for rcvbuf in (0, 4096):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect((addr, port))
    ctl = socket.create_connection((addr, port))
    ctl.recv(1)  # the peer is done: count, then read
    now = delayed_acks()
    ctl.sendall(b"k")
    got = 0
    while b := s.recv(65536):
        got += len(b)
    print("SO_RCVBUF", rcvbuf, "read", got, "delayed", now - last, flush=True)
    # Closed before the next count: the ACK the timer holds for the peer's
    # FIN goes with ours, not into the next run's count.
    s.close()
    ctl.close()
    last = delayed_acks()
PY
testbed_peer "$TB_PY" "$TB_WORK/peer.py" 7310 >"$TB_WORK/peer.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 7310 10 || tb_fail "the peer did not start"
testbed_kernel_then_shim timeout 120 "$TB_PY" "$TB_WORK/recv.py" "$TB_PEER_ADDR" 7310 \
	"$SOCKSHIM_BUILD_DIR/tools/sockshim-stat"
tb_say "peer: $(tr '\n' ';' <"$TB_WORK/peer.log")"
"$TB_PY" - "$TB_WORK/peer.log" "$TB_WORK/native" "$TB_WORK/shim" <<'PY' || tb_fail "the window the peer sees differs from the kernel's"
import sys
runs = [l.split() for l in open(sys.argv[1]) if l.startswith("ws ")]
bad = []
if len(runs) != 4:
    sys.exit(f"4 runs expected in the peer's log, {len(runs)} found")
for who in (2, 3):
    for k, line in enumerate(open(sys.argv[who])):
        if int(line.split()[3]) != (len(runs[k + (who - 2) * 2]) - 4) * 1448:
            bad.append(f"{sys.argv[who]}: {line.strip()}: not what the peer sent")
for k, name in enumerate(("left alone", "4096")):
    nat, shim = runs[k], runs[k + 2]
    nws, sws = int(nat[1]), int(shim[1])
    nw, sw = [int(x) for x in nat[3:]], [int(x) for x in shim[3:]]
    if nws != sws:
        bad.append(f"SO_RCVBUF {name}: window scale {sws}, the kernel's {nws}")
    # ACKs at once (quick-ACK credit, tcp_incr_quickack) and by the delayed-ACK
    # timer: the segments the shim took at once must be the kernel's, and
    # only the program's read, not the host's hand-over, may send one.
    nd = int(open(sys.argv[2]).readlines()[k].split()[5])
    sd = int(open(sys.argv[3]).readlines()[k].split()[5])
    if len(sw) - 1 - sd != len(nw) - 1 - nd:
        bad.append(f"SO_RCVBUF {name}: {len(sw) - 1 - sd} segments acknowledged at once and {sd} by the delayed-ACK timer, the kernel {len(nw) - 1 - nd} and {nd}")
    if not len(nw) - 1 <= len(sw) <= len(nw):
        bad.append(f"SO_RCVBUF {name}: {len(sw) - 1} segments taken one at a time, the kernel {len(nw) - 1} (kernel {nw}, shim {sw})")
    unit = 1 << nws
    growing = True
    for i, (n, s) in enumerate(zip(nw, sw)):
        # Limited by rcv_ssthresh while each segment opened it by two (from the first).
        growing = growing and (i < 2 or (nw[i] - nw[i - 1] >= 2 * 1448 - unit and (
            i + 1 == len(nw) or nw[i + 1] > nw[i])))
        if growing and s != n:
            bad.append(f"SO_RCVBUF {name}: window {i} is {s}, the kernel's {n} (kernel {nw}, shim {sw})")
            break
        if not growing and not n - 1448 * i // 2 - unit <= s <= n + unit:
            bad.append(f"SO_RCVBUF {name}: window {i} is {s}, the kernel's {n}: more than the pair's overhead apart (kernel {nw}, shim {sw})")
            break
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
testbed_test_end
