#!/bin/bash
# SPDX-License-Identifier: MIT
# Loopback across the boundary, the Onload rule (README "Loopback"), in the
# shim namespace (lo up, no other kernel address):
#  - curl under the shim downloads from a kernel python3 http.server on
#    127.0.0.1 (SHA-256), and the trace says the kernel served the socket;
#  - the same socket calls (options and a bind set before connect, then a
#    connect to the kernel server; nonblocking and blocking connects to a
#    closed port; UDP to a closed port) give the same results natively and
#    under the shim, and the fd keeps its number, O_NONBLOCK and
#    close-on-exec;
#  - a shim'd server on 0.0.0.0 is still reached by a shim'd curl on
#    127.0.0.1 through the stack (trace: stack), by the peer outside on the
#    stack's address, and by a kernel curl on 127.0.0.1: its accept()
#    returns the kernel socket (trace: kernel loopback).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin loopback

mkdir "$TB_WORK/www" && head -c $((4 * 1024 * 1024)) /dev/urandom >"$TB_WORK/www/file" ||
	tb_fail "cannot write the test file"
want=$(testbed_sha256 "$TB_WORK/www/file")

# fetch NAME WHAT RUNNER URL: downloads URL with curl run by RUNNER (a testbed
# function; under the shim with the trace in $TB_WORK/NAME.trace) and checks
# the SHA-256 against the served file.
fetch() {
	local name=$1 what=$2 runner=$3 url=$4 got
	SOCKSHIM_TRACE=1 SOCKSHIM_TRACE_FILE="$TB_WORK/$name.trace" "$runner" curl -sS --max-time 60 \
		-o "$TB_WORK/$name.out" "$url" >"$TB_WORK/$name.log" 2>&1 ||
		tb_fail "$what: curl failed: $(cat "$TB_WORK/$name.log")"
	got=$(testbed_sha256 "$TB_WORK/$name.out")
	[ "$want" = "$got" ] || tb_fail "$what: SHA-256 differs: served $want, fetched $got"
}

# ---- a shim'd client reaches a kernel service on 127.0.0.1 ----
tb_say "kernel side, shim namespace: python3 -m http.server on 127.0.0.1:8081"
testbed_native_shim_ns "$TB_PY" -m http.server 8081 --bind 127.0.0.1 --directory "$TB_WORK/www" \
	>"$TB_WORK/kserver.log" 2>&1 &
testbed_wait_listen "$TB_NS_SHIM" tcp 8081 10 || tb_fail "the kernel http server did not start"

tb_say "shim side: curl http://127.0.0.1:8081/file"
fetch curl "shim to kernel on 127.0.0.1" testbed_shim http://127.0.0.1:8081/file
grep -E '\] connect\(.*127\.0\.0\.1:8081.*kernel loopback' "$TB_WORK/curl.trace" >/dev/null ||
	tb_fail "the trace does not say the kernel served curl's socket: $(grep connect "$TB_WORK/curl.trace")"
tb_say "ok: 4 MiB from the kernel's 127.0.0.1 intact (sha256 $want), trace: kernel loopback"

# ---- the same calls natively and under the shim ----
cat >"$TB_WORK/calls.py" <<'PY'
# Prints what the kernel's answers are for a fixed sequence; the test
# compares the output natively and under the shim.
import errno, fcntl, os, select, socket, struct, sys
S, T = socket.SOL_SOCKET, socket.IPPROTO_TCP
port, closed, uport = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

def err(e):
    return errno.errorcode.get(e, str(e))

def fdflags(s):
    fl = fcntl.fcntl(s.fileno(), fcntl.F_GETFL)
    fd = fcntl.fcntl(s.fileno(), fcntl.F_GETFD)
    return "nonblock=%d cloexec=%d" % (bool(fl & os.O_NONBLOCK), bool(fd & fcntl.FD_CLOEXEC))

# Options and a bind before a connect to the kernel's server: all carried.
s = socket.socket()
fd = s.fileno()
s.setsockopt(S, socket.SO_REUSEADDR, 1)
s.setsockopt(S, socket.SO_KEEPALIVE, 1)
s.setsockopt(T, socket.TCP_NODELAY, 1)
s.setsockopt(T, socket.TCP_KEEPIDLE, 77)
s.setsockopt(S, socket.SO_RCVBUF, 65536)
s.setsockopt(S, socket.SO_SNDBUF, 32768)
s.setsockopt(S, socket.SO_LINGER, struct.pack("ii", 1, 5))
s.bind(("127.0.0.1", 0))
s.set_inheritable(True)
s.connect(("127.0.0.1", port))
print("connected fd same:", s.fileno() == fd, fdflags(s))
for name, lvl, opt in (("SO_REUSEADDR", S, socket.SO_REUSEADDR),
                       ("SO_KEEPALIVE", S, socket.SO_KEEPALIVE),
                       ("TCP_NODELAY", T, socket.TCP_NODELAY),
                       ("TCP_KEEPIDLE", T, socket.TCP_KEEPIDLE),
                       ("SO_RCVBUF", S, socket.SO_RCVBUF),
                       ("SO_SNDBUF", S, socket.SO_SNDBUF)):
    print(name, s.getsockopt(lvl, opt))
print("SO_LINGER", struct.unpack("ii", s.getsockopt(S, socket.SO_LINGER, 8)))
print("local addr", s.getsockname()[0], "peer", s.getpeername())
s.sendall(b"GET /file HTTP/1.0\r\n\r\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print("status line", data.split(b"\r\n")[0].decode(), "body bytes", len(data.split(b"\r\n\r\n", 1)[1]))
s.close()

# Nonblocking connect to a closed port: EINPROGRESS, then ECONNREFUSED.
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
fd = s.fileno()
print("nonblocking connect:", err(s.connect_ex(("127.0.0.1", closed))), "fd same:", s.fileno() == fd, fdflags(s))
p = select.poll()
p.register(s, select.POLLOUT)
ev = p.poll(10000)
print("poll:", [(e & (select.POLLOUT | select.POLLERR | select.POLLHUP)) for _, e in ev])
print("SO_ERROR:", err(s.getsockopt(S, socket.SO_ERROR)), "then", err(s.getsockopt(S, socket.SO_ERROR)))
print("connect again:", err(s.connect_ex(("127.0.0.1", closed))))
s.close()

# Blocking connect to a closed port.
s = socket.socket()
print("blocking connect:", err(s.connect_ex(("127.0.0.1", closed))))
s.close()

# UDP to a closed port: the kernel's ICMP port unreachable.
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.connect(("127.0.0.1", uport))
print("udp send:", u.send(b"x"))
try:
    u.recv(10)
except OSError as e:
    print("udp recv:", err(e.errno))
u.close()
PY
testbed_native_shim_ns "$TB_PY" "$TB_WORK/calls.py" 8081 8099 8098 >"$TB_WORK/native.out" 2>&1 ||
	tb_fail "the call sequence failed natively: $(cat "$TB_WORK/native.out")"
SOCKSHIM_TRACE=1 SOCKSHIM_TRACE_FILE="$TB_WORK/calls.trace" testbed_shim "$TB_PY" "$TB_WORK/calls.py" \
	8081 8099 8098 >"$TB_WORK/shim.out" 2>&1 || tb_fail "the call sequence failed under the shim: $(cat "$TB_WORK/shim.out")"
diff -u "$TB_WORK/native.out" "$TB_WORK/shim.out" >"$TB_WORK/calls.diff" ||
	tb_fail "the shim differs from the kernel: $(cat "$TB_WORK/calls.diff")"
grep -q 'ECONNREFUSED' "$TB_WORK/shim.out" && grep -q 'EINPROGRESS' "$TB_WORK/shim.out" ||
	tb_fail "the sequence did not see the kernel's errors: $(cat "$TB_WORK/shim.out")"
n=$(grep -c '\] connect(.*kernel loopback' "$TB_WORK/calls.trace")
[ "$n" -ge 4 ] || tb_fail "expected 4 connects served by the kernel, the trace has $n"
tb_say "ok: options, bind, flags and errors as the kernel's:"
sed 's/^/    /' "$TB_WORK/shim.out"

# ---- two shim'd programs talk inside the stack; the peer still reaches the server ----
tb_say "shim side: python3 -m http.server on 0.0.0.0:8082 under the shim"
SOCKSHIM_TRACE=1 SOCKSHIM_TRACE_FILE="$TB_WORK/sserver.trace" testbed_shim "$TB_PY" -m http.server 8082 \
	--bind 0.0.0.0 --directory "$TB_WORK/www" >"$TB_WORK/sserver.log" 2>&1 &
testbed_wait_tcp "$TB_NS_PEER" "$TB_SHIM_ADDR" 8082 20 || tb_fail "the shim'd http server did not start"

fetch curl2 "shim to shim on 127.0.0.1" testbed_shim http://127.0.0.1:8082/file
grep -E '\] connect\(.*127\.0\.0\.1:8082.* stack' "$TB_WORK/curl2.trace" >/dev/null ||
	tb_fail "the trace does not say the stack served the shim-to-shim connect: $(grep connect "$TB_WORK/curl2.trace")"
! grep -q 'kernel loopback' "$TB_WORK/curl2.trace" || tb_fail "a shim-to-shim socket went to the kernel"
tb_say "ok: shim'd curl to the shim'd server on 127.0.0.1 through the stack"

fetch curl3 "peer to shim on $TB_SHIM_ADDR" testbed_peer "http://$TB_SHIM_ADDR:8082/file"
tb_say "ok: the peer outside still reaches the shim'd server on $TB_SHIM_ADDR"

# UDP: a stack socket bound to the port keeps a shim'd client's datagrams in the stack.
cat >"$TB_WORK/udp_echo.py" <<'PY'
import socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 8084))
open(sys.argv[1], "w").close()  # bound
data, peer = u.recvfrom(100)
u.sendto(data.upper(), peer)
PY
SOCKSHIM_TRACE=1 SOCKSHIM_TRACE_FILE="$TB_WORK/udp_echo.trace" testbed_shim "$TB_PY" "$TB_WORK/udp_echo.py" \
	"$TB_WORK/udp.ready" >"$TB_WORK/udp_echo.log" 2>&1 &
upid=$!
for _ in $(seq 1 200); do [ -e "$TB_WORK/udp.ready" ] && break; sleep 0.05; done
[ -e "$TB_WORK/udp.ready" ] || tb_fail "the shim'd UDP echo did not start: $(cat "$TB_WORK/udp_echo.log")"
echo=$(SOCKSHIM_TRACE=1 SOCKSHIM_TRACE_FILE="$TB_WORK/udp_client.trace" testbed_shim "$TB_PY" -c '
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(20)
u.connect(("127.0.0.1", 8084))
u.send(b"ping")
print(u.recv(100).decode())') || tb_fail "the shim'd UDP client failed"
[ "$echo" = PING ] || tb_fail "shim to shim over UDP echoed '$echo'"
wait "$upid" || tb_fail "the shim'd UDP echo failed: $(cat "$TB_WORK/udp_echo.log")"
grep -E '\] connect\(.*127\.0\.0\.1:8084.* stack' "$TB_WORK/udp_client.trace" >/dev/null ||
	tb_fail "the UDP connect to a stack socket's port did not stay in the stack: $(grep connect "$TB_WORK/udp_client.trace")"
tb_say "ok: shim'd UDP client to a shim'd UDP socket on 127.0.0.1 through the stack"

# ---- a kernel program reaches the shim'd server on 127.0.0.1 ----
fetch curl4 "kernel to shim on 127.0.0.1" testbed_native_shim_ns http://127.0.0.1:8082/file
grep -E '\] accept4?\(.*127\.0\.0\.1:[0-9]+.* kernel loopback' "$TB_WORK/sserver.trace" >/dev/null ||
	tb_fail "the server's trace does not say accept returned a kernel socket: $(grep accept "$TB_WORK/sserver.trace")"
tb_say "ok: a kernel curl on 127.0.0.1 downloads from the shim'd server, accept: kernel loopback"

# ---- the accepted kernel socket, natively and under the shim ----
cat >"$TB_WORK/server.py" <<'PY'
# One connection from a kernel client: what accept() returned, then an echo.
import socket, sys
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
# What accept() copies from the listener to its children.
ls.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
ls.bind(("0.0.0.0", int(sys.argv[1])))
ls.listen(4)
open(sys.argv[2], "w").close()  # listening
c, peer = ls.accept()
print("peer", peer[0], "name", c.getsockname(), "peername", c.getpeername()[0])
print("type", c.type, "blocking", c.getblocking(), "inheritable", c.get_inheritable())
print("TCP_NODELAY", c.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY),
      "SO_KEEPALIVE", c.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
      "SO_RCVBUF", c.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
c.sendall(c.recv(100).upper())
c.close()
PY
for mode in native shim; do
	runner=testbed_native_shim_ns
	[ $mode = shim ] && runner=testbed_shim
	"$runner" "$TB_PY" "$TB_WORK/server.py" 8083 "$TB_WORK/ready.$mode" >"$TB_WORK/server.$mode" 2>&1 &
	spid=$!
	for _ in $(seq 1 200); do [ -e "$TB_WORK/ready.$mode" ] && break; sleep 0.05; done
	[ -e "$TB_WORK/ready.$mode" ] || tb_fail "the $mode server did not start: $(cat "$TB_WORK/server.$mode")"
	echo=$(testbed_native_shim_ns "$TB_PY" -c '
import socket
s = socket.create_connection(("127.0.0.1", 8083), timeout=20)
s.sendall(b"hello")
print(s.recv(100).decode())') || tb_fail "the kernel client cannot talk to the $mode server"
	[ "$echo" = HELLO ] || tb_fail "the $mode server echoed '$echo'"
	wait "$spid" || tb_fail "the $mode server failed: $(cat "$TB_WORK/server.$mode")"
done
diff -u "$TB_WORK/server.native" "$TB_WORK/server.shim" >"$TB_WORK/server.diff" ||
	tb_fail "accept() of a kernel client differs from the kernel's: $(cat "$TB_WORK/server.diff")"
tb_say "ok: the accepted socket of a kernel client is as the kernel's:"
sed 's/^/    /' "$TB_WORK/server.shim"

testbed_test_end
