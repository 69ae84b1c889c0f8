#!/bin/bash
# SPDX-License-Identifier: MIT
# errno is untouched on success (issue 5): tests/progs/errno_keep calls
# every intercepted call on its success path with errno preset to a
# sentinel, natively in the peer namespace (proving each call is a success
# path on the kernel) and then under the shim, whose first socket() starts
# the stack host (which once left ECONNREFUSED behind).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin errno_keep

prog=$SOCKSHIM_BUILD_DIR/tests/errno_keep
[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"

# The kernel-side helper: TCP 9000 echoes, or on "BACK <port>" connects
# twice to that port on the caller's address; UDP 9001 echoes.
cat >"$TB_WORK/peer.py" <<'PY'
import socket, sys, threading

def serve(c, addr):
    with c:
        # The first five bytes say which kind of connection this is.
        data = b""
        while len(data) < 5:
            more = c.recv(5 - len(data))
            if not more:
                return
            data += more
        if data == b"BACK ":
            while not data.endswith(b"\n"):
                data += c.recv(1)
            port = int(data.split()[1])
            for _ in range(2):
                s = socket.create_connection((addr[0], port), timeout=30)
                s.sendall(b"x")
                s.close()
            return
        while data:
            c.sendall(data)
            data = c.recv(65536)

def tcp(ip):
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((ip, 9000))
    l.listen(16)
    while True:
        c, addr = l.accept()
        threading.Thread(target=serve, args=(c, addr), daemon=True).start()

def udp(ip):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((ip, 9001))
    while True:
        data, addr = u.recvfrom(65536)
        u.sendto(data, addr)

threading.Thread(target=udp, args=(sys.argv[1],), daemon=True).start()
tcp(sys.argv[1])
PY
testbed_peer "$TB_PY" "$TB_WORK/peer.py" "$TB_PEER_ADDR" >"$TB_WORK/peer.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 9000 10 || tb_fail "the kernel-side helper did not start"
testbed_wait_listen "$TB_NS_PEER" udp 9001 10 || tb_fail "the kernel-side UDP echo did not start"

tb_say "natively in $TB_NS_PEER: errno_keep $TB_PEER_ADDR"
timeout 60 ip netns exec "$TB_NS_PEER" "$prog" "$TB_PEER_ADDR" >"$TB_WORK/native.log" 2>&1 ||
	tb_fail "errno_keep failed natively (status $?): $(grep -v '^ok' "$TB_WORK/native.log" | head -5)"
tb_say "ok natively: $(tail -n 1 "$TB_WORK/native.log")"

tb_say "under the shim: errno_keep $TB_PEER_ADDR"
timeout 60 ip netns exec "$TB_NS_SHIM" env LD_PRELOAD="$(tb_find_lib)" SOCKSHIM_IFACE="$TB_IF_SHIM" \
	SOCKSHIM_ADDR="$TB_SHIM_ADDR/$TB_PREFIX" "$prog" "$TB_PEER_ADDR" >"$TB_WORK/shim.log" 2>&1 ||
	tb_fail "errno_keep under the shim (status $?): $(grep -v '^ok' "$TB_WORK/shim.log" | head -10 | tr '\n' ';')"
# The same calls succeeded (how many reads an echo takes depends on segmentation).
calls() { sed -n 's/^ok //p' "$1" | sort -u; }
diff <(calls "$TB_WORK/native.log") <(calls "$TB_WORK/shim.log") >"$TB_WORK/calls.diff" ||
	tb_fail "the shim ran other calls than the kernel: $(head -5 "$TB_WORK/calls.diff" | tr '\n' ';')"
[ "$(calls "$TB_WORK/shim.log" | wc -l)" -ge 39 ] ||
	tb_fail "only $(calls "$TB_WORK/shim.log" | wc -l) distinct calls checked; the interposer intercepts 39"
tb_say "ok under the shim: $(tail -n 1 "$TB_WORK/shim.log"), errno kept by every call"
testbed_test_end
