#!/bin/bash
# SPDX-License-Identifier: MIT
# A connect fills the application's end of the pair so that it shows no
# POLLOUT until the host is ESTABLISHED (preload/common/shim_ctl.h). The fill
# runs with the pair's send buffer at its least (4 KB of filler, not 230 KB);
# the buffer must get its size (SHIM_PAIR_WMEM_AUTO, shim_ctl.h: the pair's
# part of an autotuned SO_SNDBUF) at the first write once the filler is
# gone, whichever way the program learned the connection is up:
# edge-triggered epoll, select, or a blocking connect; or in a program
# exec'd after the connect, which first writes. Each program then sends
# 1 MiB, which the kernel peer must receive whole.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin connect_filler

cat >"$TB_WORK/sink.py" <<'PY'
import socket, sys, threading
l = socket.socket(); l.bind((sys.argv[1], 8080)); l.listen(8)
def drain(c):
    n = 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        n += len(b)
    c.sendall(str(n).encode()); c.close()
while True:
    c, _ = l.accept()
    threading.Thread(target=drain, args=(c,), daemon=True).start()
PY
testbed_peer "$TB_PY" "$TB_WORK/sink.py" "$TB_PEER_ADDR" >"$TB_WORK/sink.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 8080 10 || tb_fail "the kernel-side sink did not start"

# The program: connects (MODE epoll / select / blocking; exec: select, then
# execs itself with the fd), writes its pid into WORK/MODE.up once it knows
# the connection is established and has written one byte, waits for
# WORK/MODE.go, sends 1 MiB, and prints what the peer says it received.
cat >"$TB_WORK/client.py" <<'PY'
import os, select, socket, sys, time
addr, work, mode = sys.argv[1], sys.argv[2], sys.argv[3]
if len(sys.argv) > 4:
    s = socket.socket(fileno=int(sys.argv[4]))  # exec'd: connected, never written to
elif mode == "blocking":
    s = socket.socket()
    s.connect((addr, 8080))
else:
    s = socket.socket()
    s.setblocking(False)
    assert s.connect_ex((addr, 8080)) == 115  # EINPROGRESS
    if mode == "epoll":
        ep = select.epoll()
        ep.register(s.fileno(), select.EPOLLOUT | select.EPOLLET)
        assert ep.poll(10), "no EPOLLOUT"
    else:
        assert select.select([], [s], [], 10)[1], "never writable"
    s.setblocking(True)
    if mode == "exec":
        os.set_inheritable(s.fileno(), True)
        os.execv(sys.executable, [sys.executable] + sys.argv + [str(s.fileno())])
s.send(b"x")
with open(work + "/" + mode + ".up", "w") as f:
    f.write(str(os.getpid()))
while not os.path.exists(work + "/" + mode + ".go"):
    time.sleep(0.02)
s.sendall(b"z" * (1 << 20))
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    b = s.recv(100)
    if not b:
        break
    got += b
print(got.decode(), flush=True)
PY

src=${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
want_tb=$(sed -n 's/^#define SHIM_PAIR_WMEM_AUTO *\([0-9]*\).*/\1/p' "$src/preload/common/shim_ctl.h")
[ -n "$want_tb" ] || tb_fail "no SHIM_PAIR_WMEM_AUTO in shim_ctl.h"
for mode in epoll select blocking exec; do
	testbed_shim "$TB_PY" "$TB_WORK/client.py" "$TB_PEER_ADDR" "$TB_WORK" "$mode" \
		>"$TB_WORK/$mode.log" 2>&1 &
	prog=$!
	for _ in $(seq 1 300); do
		[ -s "$TB_WORK/$mode.up" ] && break
		kill -0 "$prog" 2>/dev/null || break
		sleep 0.05
	done
	[ -s "$TB_WORK/$mode.up" ] || tb_fail "$mode: the connection never came up: $(cat "$TB_WORK/$mode.log")"
	pid=$(cat "$TB_WORK/$mode.up")
	# The program's end of its pair: bound to @sockshim/a/..., held by pid.
	ip netns exec "$TB_NS_SHIM" ss -xmpH >"$TB_WORK/ss.$mode" 2>&1
	line=$(ip netns exec "$TB_NS_SHIM" ss -xmpH 2>/dev/null |
		awk -v p="pid=$pid," '/sockshim\/a\// && index($0, p) { print; exit }')
	tb=$(printf '%s\n' "$line" | sed -n 's/.*[(,]tb\([0-9]*\),.*/\1/p')
	[ -n "$tb" ] || tb_fail "$mode: no pair end of pid $pid in ss -xmp: $(cat "$TB_WORK/ss.$mode")"
	[ "$tb" = "$want_tb" ] ||
		tb_fail "$mode: the pair's send buffer is $tb after connect, not $want_tb (SHIM_PAIR_WMEM_AUTO)"
	touch "$TB_WORK/$mode.go"
	wait "$prog" || tb_fail "$mode: the program failed: $(cat "$TB_WORK/$mode.log")"
	want=$(((1 << 20) + 1))
	got=$(tail -n 1 "$TB_WORK/$mode.log")
	[ "$got" = "$want" ] || tb_fail "$mode: the peer received $got bytes, not $want"
	tb_say "ok: $mode: send buffer back to $tb bytes, $got bytes delivered"
done
testbed_test_end
