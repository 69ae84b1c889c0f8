#!/bin/bash
# SPDX-License-Identifier: MIT
# The trace: with SOCKSHIM_TRACE=1 and SOCKSHIM_TRACE_FILE (set by the
# launcher's "sockshim run --trace-file"), a curl run writes one line per
# intercepted call to the file and nothing to curl's stderr: socket() with
# its creation path (the inetsw match), connect(), and the data calls. A bad configuration (SOCKSHIM_ADDR=bogus) is one
# line on stderr naming the variable, AF_INET sockets then fail instead of
# falling back to the kernel, and other families still pass through.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin trace

mkdir "$TB_WORK/www" && head -c 100000 /dev/urandom >"$TB_WORK/www/file" || tb_fail "cannot write the test file"
testbed_peer "$TB_PY" -m http.server 8080 --bind "$TB_PEER_ADDR" --directory "$TB_WORK/www" \
	>"$TB_WORK/server.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 8080 10 || tb_fail "the kernel-side http server did not start"

# Through the launcher this time: sockshim run --trace-file sets
# SOCKSHIM_TRACE=1 and SOCKSHIM_TRACE_FILE.
launcher=$SOCKSHIM_BUILD_DIR/sockshim
[ -x "$launcher" ] || tb_fail "missing the build-tree launcher $launcher"
tb_say "sockshim run --iface $TB_IF_SHIM --addr $TB_SHIM_ADDR/$TB_PREFIX --trace-file curl.trace -- curl ..."
testbed_native_shim_ns "$launcher" run --iface "$TB_IF_SHIM" --addr "$TB_SHIM_ADDR/$TB_PREFIX" \
	--trace-file "$TB_WORK/curl.trace" -- curl -sS --max-time 60 -o "$TB_WORK/fetched" \
	"http://$TB_PEER_ADDR:8080/file" >"$TB_WORK/curl.log" 2>&1 || tb_fail "curl under the shim failed (status $?)"
cmp -s "$TB_WORK/www/file" "$TB_WORK/fetched" || tb_fail "the traced download differs"
[ -s "$TB_WORK/curl.trace" ] || tb_fail "the trace file is empty"
[ -s "$TB_WORK/curl.log" ] && tb_fail "the trace leaked onto curl's stderr: $(head -n 2 "$TB_WORK/curl.log")"
tb_say "the trace has $(wc -l <"$TB_WORK/curl.trace") lines; first lines:"
head -n 8 "$TB_WORK/curl.trace" | sed 's/^/    /'

# One call per line: the socket() that reached the peer, its creation path,
# the connect to the peer, and data both ways on the same fd.
sock=$(grep -E 'socket\(.*AF_INET.*SOCK_STREAM' "$TB_WORK/curl.trace" | head -n 1)
[ -n "$sock" ] || tb_fail "no socket(AF_INET, SOCK_STREAM...) line in the trace"
# The creation path's steps go on the socket() line or right beside it.
grep -A3 -E 'socket\(.*AF_INET' "$TB_WORK/curl.trace" | grep -qi 'inetsw' ||
	tb_fail "the trace does not show socket()'s creation path (inetsw match): $sock"
grep -qE 'connect\(.*'"${TB_PEER_ADDR//./\\.}"'.*8080' "$TB_WORK/curl.trace" ||
	tb_fail "no connect(... $TB_PEER_ADDR:8080) line in the trace"
grep -qE '(send|sendto|sendmsg|write|writev)\(' "$TB_WORK/curl.trace" || tb_fail "no send/write line in the trace"
grep -qE '(recv|recvfrom|recvmsg|read|readv)\(' "$TB_WORK/curl.trace" || tb_fail "no recv/read line in the trace"
n_sock=$(grep -cE '(^|[^_a-z])socket\(' "$TB_WORK/curl.trace")
n_conn=$(grep -cE '(^|[^_a-z])connect\(' "$TB_WORK/curl.trace")
tb_say "ok: socket x$n_sock (with its inetsw match), connect x$n_conn, data calls both ways"
grep -E 'connect\(' "$TB_WORK/curl.trace" | head -n 1 | sed 's/^/    /'

# The trace file's fd is the interposer's, not the program's: a daemon that
# closes every fd it did not open (close loop, closefrom/close_range) keeps
# its trace, a dup2() onto that number gets the program's file, and no trace
# line ever lands in a file or socket of the program. Native run for the
# same script in the same test: what the program sees must be the same.
cat >"$TB_WORK/closeall.py" <<'PY'
import os, socket, sys
trace = sys.argv[1]
def trace_fd():
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink("/proc/self/fd/" + name) == trace:
                return int(name)
        except OSError:
            pass
    return -1
fd = trace_fd()
if trace != "-" and fd < 0:
    print("no trace fd"); sys.exit(1)
bad = 0
for n in range(3, 4096):
    try:
        os.close(n)
    except OSError:
        bad += 1
print("blind close loop: EBADF for all" if bad == 4093 else "blind close loop closed %d" % (4093 - bad))
os.closerange(3, 1 << 20)
r, w = os.pipe()
if fd >= 0:
    os.dup2(w, fd)  # the program's number now: the trace moves away
    os.write(fd, b"mine")
    os.close(fd)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.close()
os.close(w)
data = os.read(r, 1 << 16)
print("pipe:", data.decode(errors="replace") if data in (b"", b"mine") else "trace leaked %d bytes" % len(data))
PY
testbed_native_shim_ns "$TB_PY" "$TB_WORK/closeall.py" - >"$TB_WORK/closeall.native" 2>&1 ||
	tb_fail "the close-everything script failed natively: $(cat "$TB_WORK/closeall.native")"
testbed_shim env SOCKSHIM_TRACE=1 SOCKSHIM_TRACE_FILE="$TB_WORK/closeall.trace" \
	"$TB_PY" "$TB_WORK/closeall.py" "$TB_WORK/closeall.trace" >"$TB_WORK/closeall.shim" 2>&1 ||
	tb_fail "the close-everything script failed under the shim: $(cat "$TB_WORK/closeall.shim")"
sed 's/^pipe: $/pipe: mine/' "$TB_WORK/closeall.native" >"$TB_WORK/closeall.native.want"
diff -u "$TB_WORK/closeall.native.want" "$TB_WORK/closeall.shim" ||
	tb_fail "a program closing every fd sees something else under the trace"
grep -qE 'setsockopt\(.*SO_REUSEADDR' "$TB_WORK/closeall.trace" ||
	tb_fail "the trace stopped after the program closed every fd"
tb_say "ok: close loop, closerange and dup2 leave the trace file alone: $(tr '\n' ';' <"$TB_WORK/closeall.shim")"

tb_say "bad configuration: SOCKSHIM_ADDR=bogus"
testbed_shim env SOCKSHIM_ADDR=bogus "$TB_PY" -c '
import socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    print("inet: created")
except OSError as e:
    print("inet: errno", e.errno, e.strerror)
socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()
print("unix: ok")
' >"$TB_WORK/bad.out" 2>"$TB_WORK/bad.err"
grep -q '^inet: errno [1-9]' "$TB_WORK/bad.out" ||
	tb_fail "with SOCKSHIM_ADDR=bogus an AF_INET socket must fail, got: $(head -n 1 "$TB_WORK/bad.out")"
grep -q '^unix: ok' "$TB_WORK/bad.out" || tb_fail "with a bad configuration AF_UNIX sockets must still pass through"
grep -q 'SOCKSHIM_ADDR' "$TB_WORK/bad.err" || tb_fail "no message naming SOCKSHIM_ADDR on stderr: $(head -n 2 "$TB_WORK/bad.err")"
[ "$(grep -c 'SOCKSHIM_ADDR' "$TB_WORK/bad.err")" = 1 ] ||
	tb_fail "the configuration error must be one line, got $(grep -c SOCKSHIM_ADDR "$TB_WORK/bad.err")"
tb_say "ok: $(grep '^inet' "$TB_WORK/bad.out"); message: $(grep SOCKSHIM_ADDR "$TB_WORK/bad.err")"
testbed_test_end
