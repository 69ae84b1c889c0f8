#!/bin/bash
# SPDX-License-Identifier: MIT
# A socket whose connection ended with an error is the program's for as
# long as it holds it, however late it is used again: SO_ERROR still gives
# a non-blocking connect's refusal, and connect() again connects (after
# ECONNABORTED once for the non-blocking one, still SS_CONNECTING; Linux
# keeps the socket in TCP_CLOSE with its sk_err until close). The host
# keeps such a socket (a zombie: its pair closed with the error) while the
# kernel says the program's end is open, asked every SOCKSHIM_ZOMBIE_MS
# (60 s by default; 100 ms here): the shim run waits until the host's
# trace shows two such checks of the socket, then uses it. Each case runs
# natively and under the shim, and the outputs must be the same.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin connect_late
testbed_native_up || tb_fail "cannot build the native namespace"
testbed_tcp_sink 8085 echo || tb_fail "the peer's echo does not listen on 8085"

cat >"$TB_WORK/client.py" <<'PY'
import errno, functools, os, re, select, socket, sys, time
print = functools.partial(print, flush=True)
addr, trace = sys.argv[1], os.environ.get("LATE_TRACE")

def name(r):
    return errno.errorcode.get(r, str(r)) if r else "0"

def checked():
    # The ids the host has checked twice, still held (only the shim run has a
    # trace). The trace grows with this program's own calls: read what is there.
    try:
        with open(trace, "rb") as f:
            text = f.read(os.fstat(f.fileno()).st_size).decode(errors="replace")
    except FileNotFoundError:
        return set()
    ids = re.findall(r"id (\d+): zombie still held", text)
    return {i for i in ids if ids.count(i) >= 2}

def later(what):
    # Past the host's checks of this socket (two), on the deadline of the test.
    if not trace:
        return
    end, before = time.monotonic() + 20, checked()
    while time.monotonic() < end:
        if checked() - before:
            return
        time.sleep(0.05)
    print(what, "the host did not check the socket twice")

def echoed(what, s):
    s.setblocking(True)
    s.sendall(what.encode())
    print(what, "echo", s.makefile("rb").read(len(what)))

s = socket.socket()
print("blocking refused", name(s.connect_ex((addr, 8082))))
later("blocking refused")
print("blocking refused later", name(s.connect_ex((addr, 8085))))
echoed("blocking refused later", s)
s.close()

s = socket.socket()
s.setblocking(False)
print("nonblocking refused", name(s.connect_ex((addr, 8082))))
p = select.poll()
p.register(s, select.POLLOUT)
p.poll(20000)
later("nonblocking refused")
print("nonblocking refused SO_ERROR later", name(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)))
print("nonblocking refused later", name(s.connect_ex((addr, 8085))))
print("nonblocking refused later again", name(s.connect_ex((addr, 8085))))
p.poll(20000)
echoed("nonblocking refused later", s)
s.close()
PY

tb_say "native: client.py from $TB_NAT_ADDR to $TB_NAT_PEER_ADDR"
ip netns exec "$TB_NS_NAT" timeout 60 "$TB_PY" "$TB_WORK/client.py" "$TB_NAT_PEER_ADDR" >"$TB_WORK/native" 2>&1 ||
	tb_fail "the native run failed: $(cat "$TB_WORK/native")"
tb_say "shim: the same from $TB_SHIM_ADDR to $TB_PEER_ADDR, the host checking every 100 ms"
LATE_TRACE=$TB_WORK/trace SOCKSHIM_ZOMBIE_MS=100 SOCKSHIM_TRACE=2 SOCKSHIM_TRACE_FILE=$TB_WORK/trace \
	testbed_shim timeout 60 "$TB_PY" "$TB_WORK/client.py" "$TB_PEER_ADDR" >"$TB_WORK/shim" 2>&1 ||
	tb_fail "the shim run failed: $(cat "$TB_WORK/shim")"
sed 's/^/  native: /' "$TB_WORK/native"
grep -q "^blocking refused later 0$" "$TB_WORK/native" ||
	tb_fail "the kernel did not connect the refused socket again: the test proves nothing"
testbed_same_lines
testbed_test_end
