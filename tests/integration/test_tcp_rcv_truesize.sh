#!/bin/bash
# SPDX-License-Identifier: MIT
# What a receiver that does not read is charged for small segments
# (SO_MEMINFO's rmem_alloc) and the window a kernel peer then sees
# (tcpi_snd_wnd), from the kernel's receiver and from the stack's in the
# same run. The peer writes N times SIZE bytes with TCP_NODELAY, "spaced"
# (each write waits until it is acknowledged) or in a "burst" (back to
# back), then waits until all is acknowledged and says so; the receiver
# then reads SO_MEMINFO.
#
# The kernel charges each skb its truesize (here 832 bytes of head and the
# payload) and merges a frame into the tail's skb (tcp_try_coalesce) unless
# the tail's skb is cloned, which over a veth it is until the sender has
# our ACK of its first frame, and up to 17 fragments (MAX_SKB_FRAGS).
# Spaced segments therefore share a head 17 at a time, a figure that does
# not depend on timing: it must be the same, byte for byte, and so must the
# window. In a burst the number of heads depends on when the sender takes
# our ACKs, which differs between a kernel receiver (answered in the same
# softirq) and the stack host (another process): both must be charged the
# payload and whole heads, at least one and at most one a write (writes
# the sender could not send at once leave merged, fewer frames than
# writes: once the stack took all 43 writes of 100 bytes under one head).
# Before this model (main's build) the stack was charged the payload and
# one head for the whole queue, and nothing once the owner had moved the
# bytes to its pair: every case read 0 (the kernel: 932 to 30,624), and
# 20 spaced segments of 1448 saw a window of 61,440 (the kernel's 64,512).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_rcv_truesize

cat >"$TB_WORK/peer.py" <<'PY'
import fcntl, socket, struct, sys, time
SIOCOUTQ = 0x5411
def outq(c):
    return struct.unpack("i", fcntl.ioctl(c, SIOCOUTQ, b"\0" * 4))[0]
def snd_wnd(c):
    return struct.unpack_from("=I", c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232), 228)[0]
def acked(c):
    deadline = time.monotonic() + 20
    while outq(c) and time.monotonic() < deadline:
        time.sleep(0.0002)
    return outq(c) == 0
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", int(sys.argv[1])))
l.listen(4)
while True:
    d, _ = l.accept()
    ctl, _ = l.accept()
    mode, n, size = ctl.makefile("r").readline().split()
    d.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ok = True
    for i in range(int(n)):
        d.sendall(b"x" * int(size))
        if mode == "spaced":
            ok = acked(d) and ok
    ok = acked(d) and ok
    ctl.sendall(f"{int(ok)} {snd_wnd(d)}\n".encode())
    ctl.recv(1)
    d.close()
    ctl.close()
PY
cat >"$TB_WORK/recv.py" <<'PY'
import socket, struct, sys
addr, port = sys.argv[1], int(sys.argv[2])
SO_MEMINFO = 55
for case in sys.argv[3:]:
    mode, n, size = case.split(":")
    s = socket.socket()
    s.connect((addr, port))
    ctl = socket.create_connection((addr, port))
    ctl.sendall(f"{mode} {n} {size}\n".encode())
    ok, wnd = ctl.makefile("r").readline().split()
    rmem = struct.unpack("9I", s.getsockopt(socket.SOL_SOCKET, SO_MEMINFO, 36))[0]
    print(mode, n, size, "acked", ok, "rmem", rmem, "wnd", wnd, flush=True)
    ctl.send(b"k")
    s.close()
    ctl.close()
PY
testbed_peer "$TB_PY" "$TB_WORK/peer.py" 7320 >"$TB_WORK/peer.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 7320 10 || tb_fail "the peer did not start"
testbed_kernel_then_shim timeout 120 "$TB_PY" "$TB_WORK/recv.py" "$TB_PEER_ADDR" 7320 \
	spaced:1:100 spaced:20:100 spaced:40:100 spaced:20:1448 burst:43:100 burst:20:1448
tb_say "native: $(tr '\n' ';' <"$TB_WORK/native")"
tb_say "shim:   $(tr '\n' ';' <"$TB_WORK/shim")"
"$TB_PY" - "$TB_WORK/native" "$TB_WORK/shim" <<'PY' || tb_fail "the receive queue is not charged as the kernel's"
import sys
HEAD = 832
def runs(path):
    return {tuple(l.split()[:3]): l.split() for l in open(path)}
nat, shim = runs(sys.argv[1]), runs(sys.argv[2])
bad = []
if len(nat) != 6:
    sys.exit(f"6 cases expected from the kernel, {len(nat)} found")
for key, n in nat.items():
    s = shim.get(key)
    name = f"{key[0]} {key[1]} x {key[2]}"
    if s is None:
        bad.append(f"{name}: no result under the shim")
        continue
    segs, payload = int(key[1]), int(key[1]) * int(key[2])
    for who, r in (("kernel", n), ("shim", s)):
        rmem = int(r[6])
        if r[4] != "1":
            bad.append(f"{name}: the {who}'s receiver did not acknowledge everything")
        # The payload and whole heads, from all merged to none.
        heads, rest = divmod(rmem - payload, HEAD)
        if rest or not 1 <= heads <= segs:
            bad.append(f"{name}: the {who}'s receiver is charged {rmem}, not {payload} and 1 to {segs} heads")
    if key[0] == "spaced" and (n[6], n[8]) != (s[6], s[8]):
        bad.append(f"{name}: rmem_alloc {s[6]} and window {s[8]}, the kernel's {n[6]} and {n[8]}")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
testbed_test_end
