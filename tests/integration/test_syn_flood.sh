#!/bin/bash
# SPDX-License-Identifier: MIT
# A listener under an actual SYN flood: hping3 in the peer's namespace sends
# SYNs from a spoofed on-link address that no host answers ARP for (every
# segment from a new source port), to a server under the shim; no one ever
# completes them, so the SYN queue stays full. (Off-link random sources
# would not do: with no route for the SYN-ACK, the kernel and the stack
# drop such a SYN without queueing it.) While the flood runs (proved by
# the stack's SyncookiesSent growing and hping3 still running after the
# clients are done), every legitimate connection from the kernel peer must
# complete and get the server's greeting: the full queue answers with SYN
# cookies, as the kernel does. When the flood stops, the listener serves at
# once: five more connections complete and the stack drops none of their
# SYNs (ListenDrops unchanged), with the flood's half-open requests still
# in the queue.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin syn_flood

command -v hping3 >/dev/null || tb_fail "hping3 is missing (tools/bootstrap installs it)"

cat >"$TB_WORK/server.py" <<'PY'
import socket, threading
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 8080))
l.listen(16)
def serve(c):
    try:
        c.sendall(b"hello\n")
    finally:
        c.close()
while True:
    threading.Thread(target=serve, args=(l.accept()[0],), daemon=True).start()
PY
testbed_shim "$TB_PY" "$TB_WORK/server.py" >"$TB_WORK/server.log" 2>&1 &
testbed_wait_tcp "$TB_NS_PEER" "$TB_SHIM_ADDR" 8080 30 || tb_fail "the server under the shim did not start"

stat_of() { # stat_of GROUP NAME: one counter from `sockshim stat`
	testbed_native_shim_ns env SOCKSHIM_IFACE="$TB_IF_SHIM" SOCKSHIM_ADDR="$TB_SHIM_ADDR/$TB_PREFIX" \
		"$SOCKSHIM_BUILD_DIR/tools/sockshim-stat" 2>>"$TB_WORK/stat.log" |
		awk -v g="$1:" -v n="$2" '$1 == g { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == n) print kv[2] } }'
}

cat >"$TB_WORK/clients.py" <<'PY'
import socket, sys
addr, n = sys.argv[1], int(sys.argv[2])
ok = 0
for i in range(n):
    try:
        # Generous: the client's own SYN retransmissions are allowed, a refusal is not.
        s = socket.create_connection((addr, 8080), timeout=60)
        s.settimeout(60)
        got = b""
        while not got.endswith(b"\n"):
            d = s.recv(100)
            if not d:
                break
            got += d
        s.close()
        if got == b"hello\n":
            ok += 1
        else:
            print("connection %d: got %r" % (i, got))
    except OSError as e:
        print("connection %d: %s" % (i, e))
print("completed %d of %d" % (ok, n), flush=True)
PY

cookies0=$(stat_of TcpExt SyncookiesSent)
[ -n "$cookies0" ] || tb_fail "sockshim stat shows no TcpExt SyncookiesSent: $(cat "$TB_WORK/stat.log")"
tb_say "hping3 floods $TB_SHIM_ADDR:8080 with SYNs from 10.99.0.200 (nobody)"
testbed_peer hping3 -q -S -p 8080 -i u200 -a 10.99.0.200 "$TB_SHIM_ADDR" >"$TB_WORK/hping.log" 2>&1 &
flood=$!
for _ in $(seq 1 300); do
	c=$(stat_of TcpExt SyncookiesSent)
	[ -n "$c" ] && [ "$c" -gt "$cookies0" ] && break
	kill -0 $flood 2>/dev/null || break
	sleep 0.1
done
kill -0 $flood 2>/dev/null || tb_fail "hping3 did not run: $(cat "$TB_WORK/hping.log")"
c=$(stat_of TcpExt SyncookiesSent)
[ -n "$c" ] && [ "$c" -gt "$cookies0" ] || tb_fail "the flood never filled the SYN queue (no SYN cookie sent)"
tb_say "the SYN queue is full (SyncookiesSent $cookies0 -> $c); 20 legitimate connections"

testbed_peer "$TB_PY" "$TB_WORK/clients.py" "$TB_SHIM_ADDR" 20 >"$TB_WORK/during.log" 2>&1
sed 's/^/  during the flood: /' "$TB_WORK/during.log"
kill -0 $flood 2>/dev/null || tb_fail "the flood stopped before the clients were done: $(cat "$TB_WORK/hping.log")"
c2=$(stat_of TcpExt SyncookiesSent)
grep -qx "completed 20 of 20" "$TB_WORK/during.log" ||
	tb_fail "legitimate connections failed during the SYN flood"
[ "$c2" -gt "$c" ] || tb_fail "no SYN cookie was sent while the clients connected: the flood was not in effect"

tb_say "the flood stops"
kill $flood 2>/dev/null
wait $flood 2>/dev/null
pkill_ns_hping() { # hping3 runs in the peer namespace; the testbed's teardown kills the rest
	local p
	for p in $(ip netns pids "$TB_NS_PEER" 2>/dev/null); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = hping3 ] && kill "$p"
	done
}
pkill_ns_hping
drops0=$(stat_of TcpExt ListenDrops)
[ -n "$drops0" ] || tb_fail "sockshim stat shows no TcpExt ListenDrops"
testbed_peer "$TB_PY" "$TB_WORK/clients.py" "$TB_SHIM_ADDR" 5 >"$TB_WORK/after.log" 2>&1
sed 's/^/  after the flood: /' "$TB_WORK/after.log"
drops1=$(stat_of TcpExt ListenDrops)
grep -qx "completed 5 of 5" "$TB_WORK/after.log" || tb_fail "the listener did not serve after the flood"
[ "$drops1" = "$drops0" ] ||
	tb_fail "the listener dropped SYNs after the flood stopped (ListenDrops $drops0 -> $drops1)"
tb_say "ok: served during the flood (SYN cookies) and at once after it (no SYN dropped)"
testbed_test_end
