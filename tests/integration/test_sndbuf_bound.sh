#!/bin/bash
# SPDX-License-Identifier: MIT
# SO_SNDBUF bounds what is really buffered: tests/progs/sndbuf_bound
# connects to a kernel peer that never reads (SO_RCVBUF 4096, so its window
# is a few KB and the sender's buffer is what counts) and, for SO_SNDBUF left
# alone, 4096, 64 KiB and 1 MiB, writes until the connection is still and
# then blocks in a write of four times that: first on the kernel of the shim
# namespace, then under the shim, against the same peer. The bytes taken and
# SIOCOUTQ must be the kernel's within its own per-skb accounting (the
# kernel charges each skb's truesize and may fill the skb it opened past the
# limit: one 64 KiB skb, plus 1/8 of the buffer for overheads), the poll
# bits equal, and the blocking write must still be blocked, having taken as
# much, when the connection is still.
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

"$TB_PY" - "$TB_WORK/native" "$TB_WORK/shim" <<'PY' || tb_fail "the shim's send buffer is not the kernel's"
import re, sys
def cases(path):
    out, cur = {}, None
    for line in open(path):
        m = re.match(r"SO_SNDBUF (\d+): sndbuf (\d+) taken (\d+) outq (\d+) nsd (\d+) poll (\S+)", line)
        if m:
            cur = m.group(1)
            out[cur] = dict(zip(("sndbuf", "taken", "outq", "nsd", "poll"), m.groups()[1:]))
            continue
        m = re.match(r"  blocking write of (\d+): blocked, a signal ends it with (\d+)", line)
        out[cur]["blocked"] = int(m.group(2)) if m else None
    return out
nat, shim = cases(sys.argv[1]), cases(sys.argv[2])
bad = 0
for k in nat:
    n, s = nat[k], shim.get(k)
    if s is None:
        print(f"SO_SNDBUF {k}: no result under the shim"); bad += 1; continue
    sb = int(n["sndbuf"])
    # The kernel's sk_wmem_queued counts truesize and its last skb may grow past the bound.
    slack = 65536 + sb // 8
    def near(what, a, b):
        global bad
        if b is None or abs(int(a) - int(b)) > slack:
            print(f"SO_SNDBUF {k}: {what} {b} under the shim, the kernel's {a} (tolerance {slack})")
            bad += 1
    if s["poll"] != n["poll"]:
        print(f"SO_SNDBUF {k}: poll {s['poll']} under the shim, the kernel's {n['poll']}"); bad += 1
    near("taken", n["taken"], s["taken"])
    near("SIOCOUTQ", n["outq"], s["outq"])
    if n["blocked"] is None:
        print(f"SO_SNDBUF {k}: the kernel's blocking write did not block: proves nothing"); bad += 1
    near("blocking write's count", n["blocked"], s["blocked"])
sys.exit(1 if bad else 0)
PY
testbed_test_end
