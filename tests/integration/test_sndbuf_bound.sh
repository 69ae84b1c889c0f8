#!/bin/bash
# SPDX-License-Identifier: MIT
# SO_SNDBUF bounds what is really buffered: tests/progs/sndbuf_bound
# connects to a kernel peer that never reads (SO_RCVBUF 4096, so its window
# is a few KB and the sender's buffer is what counts) and, for SO_SNDBUF left
# alone, 4096, 64 KiB and 1 MiB, writes until the connection is still and
# then blocks in a write of four times that: first on the kernel of the shim
# namespace, then under the shim, against the same peer.
#
# The kernel charges each skb's truesize against sk_sndbuf (here, with the
# peer's window this small, one-segment skbs: 1,448 bytes of data cost about
# 2,200) and may fill the skb it opened past the bound; the stack charges
# data. So what the shim buffers (SIOCOUTQ: its write queue and the pair)
# must be at most its SO_SNDBUF, plus 8 KiB (the pair of a small buffer is
# larger than the half it is given, and a segment may start just below the
# bound), and at least the kernel's less one 64 KiB skb. The bytes taken
# are that plus what the peer holds (the kernel's taken less its SIOCOUTQ);
# the blocking write must still be blocked when the connection is still,
# having taken as much; a set SO_SNDBUF reads back as the kernel's, and the
# poll bits are the kernel's. Before the pair was bounded, SO_SNDBUF 4096
# took 233,152 bytes (the kernel 13,032).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin sndbuf_bound

prog=$SOCKSHIM_BUILD_DIR/tests/sndbuf_bound
[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"

cat >"$TB_WORK/hold.py" <<'PY'
import socket, sys
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
l.bind(("0.0.0.0", int(sys.argv[1])))
l.listen(16)
held = []
while True:
    held.append(l.accept()[0])
PY
testbed_peer "$TB_PY" "$TB_WORK/hold.py" 7301 >"$TB_WORK/hold.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 7301 10 || tb_fail "the peer did not start"
testbed_kernel_then_shim "$prog" "$TB_PEER_ADDR" 7301
tb_say "native: $(tr '\n' ';' <"$TB_WORK/native")"
tb_say "shim:   $(tr '\n' ';' <"$TB_WORK/shim")"

"$TB_PY" - "$TB_WORK/native" "$TB_WORK/shim" <<'PY' || tb_fail "the shim's send buffer is not bounded as the kernel's"
import re, sys
def cases(path):
    out, cur = {}, None
    for line in open(path):
        m = re.match(r"SO_SNDBUF (\d+): sndbuf (\d+) taken (\d+) outq (\d+) nsd (\d+) poll (\S+)", line)
        if m:
            cur = m.group(1)
            out[cur] = dict(zip(("sndbuf", "taken", "outq", "nsd"), map(int, m.groups()[1:5])))
            out[cur]["poll"] = m.group(6)
            continue
        m = re.match(r"  blocking write of (\d+): blocked, a signal ends it with (\d+)", line)
        out[cur]["blocked"] = int(m.group(2)) if m else None
    return out
nat, shim = cases(sys.argv[1]), cases(sys.argv[2])
bad = []
for k, n in nat.items():
    s = shim.get(k)
    if s is None:
        bad.append(f"SO_SNDBUF {k}: no result under the shim")
        continue
    if n["blocked"] is None:
        bad.append(f"SO_SNDBUF {k}: the kernel's write did not block: the comparison proves nothing")
    if s["poll"] != n["poll"]:
        bad.append(f"SO_SNDBUF {k}: poll {s['poll']}, the kernel's {n['poll']}")
    if k != "0" and s["sndbuf"] != n["sndbuf"]:
        bad.append(f"SO_SNDBUF {k}: reads back {s['sndbuf']}, the kernel's {n['sndbuf']}")
    peer = n["taken"] - n["outq"]
    lo, hi = n["outq"] - 65536, s["sndbuf"] + 8192
    for what, v in (("SIOCOUTQ", s["outq"]), ("taken", s["taken"] - peer),
                    ("the blocking write's count", None if s["blocked"] is None else s["blocked"] - peer)):
        if v is None:
            bad.append(f"SO_SNDBUF {k}: {what}: the write returned before the connection was still")
        elif not lo <= v <= hi:
            bad.append(f"SO_SNDBUF {k}: {what} {v} buffered, not within [{lo}, {hi}]"
                       f" (the kernel's SIOCOUTQ {n['outq']}, SO_SNDBUF {s['sndbuf']})")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
testbed_test_end
