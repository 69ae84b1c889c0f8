#!/bin/bash
# SPDX-License-Identifier: MIT
# The patching of libc's own socket calls (preload/shim/shim_patch.c):
# 1. It refuses cleanly what it cannot patch safely: with
#    tests/preload/mangle_libc.c preloaded after the library, libc's listen
#    starts with a branch into its own first bytes and getsockname is
#    wrapped by another library. The trace must name both refusals (one line
#    each), the other patches must still be made, and the program must work:
#    listen on a kernel AF_UNIX socket runs libc's (unpatched, mangled) code,
#    and a TCP download through the stack is intact.
# 2. posix_spawn's child shares the parent's memory and closes fds for its
#    file actions through the patched __close_nocancel: closing an emulated
#    UDP socket there must not make the parent's fd table forget it (the
#    parent's datagrams would lose their framing); an echo after the spawn
#    proves it.
# 3. With tests/preload/far_segment.c mapped between the interposer and libc
#    (a 3 GiB hole), every patch must use the 14-byte absolute jump, and
#    libc's own calls must still reach the interposer (if_nametoindex's
#    socket and SIOCGIFINDEX ioctl in the trace, the kernel's answer) while
#    the interposer's real calls run the trampolines (a UDP echo).
set -u
SRC="${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
. "$SRC/tools/testbed.sh"
testbed_test_begin libc_patch

cc -shared -fPIC -O2 -o "$TB_WORK/libmangle_libc.so" "$SRC/tests/preload/mangle_libc.c" ||
	tb_fail "cannot build tests/preload/mangle_libc.c"
cc -shared -fPIC -O2 -Wl,--section-start=.far=0xc0000000 -o "$TB_WORK/libfar_segment.so" \
	"$SRC/tests/preload/far_segment.c" || tb_fail "cannot build tests/preload/far_segment.c"
mkdir "$TB_WORK/www" && head -c $((256 * 1024)) /dev/urandom >"$TB_WORK/www/file" ||
	tb_fail "cannot write the test file"
testbed_peer "$TB_PY" -m http.server 8080 --bind "$TB_PEER_ADDR" --directory "$TB_WORK/www" \
	>"$TB_WORK/server.log" 2>&1 &
testbed_peer "$TB_PY" -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('$TB_PEER_ADDR', 7777))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(data, peer)
" >"$TB_WORK/echo.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 8080 10 || tb_fail "the kernel-side http server did not start"
testbed_wait_listen "$TB_NS_PEER" udp 7777 10 || tb_fail "the kernel-side UDP echo did not start"

tb_say "shim side: python3 with libsockshim.so:libmangle_libc.so"
ip netns exec "$TB_NS_SHIM" env LD_PRELOAD="$(tb_find_lib):$TB_WORK/libmangle_libc.so" \
	SOCKSHIM_IFACE="$TB_IF_SHIM" SOCKSHIM_ADDR="$TB_SHIM_ADDR/$TB_PREFIX" SOCKSHIM_TRACE=2 \
	SOCKSHIM_TRACE_FILE="$TB_WORK/run.trace" "$TB_PY" -c "
import socket, urllib.request
u = socket.socket(socket.AF_UNIX)
u.bind('\0sockshim-test-$$')
u.listen()
print('unix listen ok', u.getsockname() == '\0sockshim-test-$$'.encode())
data = urllib.request.urlopen('http://$TB_PEER_ADDR:8080/file', timeout=60).read()
open('$TB_WORK/fetched', 'wb').write(data)
" >"$TB_WORK/run.log" 2>&1 || tb_fail "python3 failed: $(tail -n 3 "$TB_WORK/run.log")"
grep -q '^unix listen ok True$' "$TB_WORK/run.log" || tb_fail "python3 printed: $(cat "$TB_WORK/run.log")"
[ "$(testbed_sha256 "$TB_WORK/www/file")" = "$(testbed_sha256 "$TB_WORK/fetched")" ] ||
	tb_fail "the download through the stack differs"
tb_say "ok: the program works (libc's listen, getsockname through the other wrapper, a download)"

count_lines() { grep -c "$1" "$TB_WORK/run.trace"; }
[ "$(count_lines 'patch listen: refused: instruction at +0 refers to +0x2, inside the jump')" = 1 ] ||
	tb_fail "no single refusal line for listen: $(grep 'patch listen' "$TB_WORK/run.trace")"
[ "$(count_lines "patch getsockname: refused: the next getsockname is not libc's")" = 1 ] ||
	tb_fail "no single refusal line for getsockname: $(grep 'patch getsockname' "$TB_WORK/run.trace")"
grep -q 'patch listen at\|patch getsockname at' "$TB_WORK/run.trace" &&
	tb_fail "a refused call was patched after all"
grep -q 'patch connect at 0x[0-9a-f]*: 7 bytes relocated' "$TB_WORK/run.trace" ||
	tb_fail "the other patches were not made"
grep -q 'patch: 22 of 24 libc socket calls go to the interposer' "$TB_WORK/run.trace" ||
	tb_fail "the summary line does not say 22 of 24: $(grep 'patch:' "$TB_WORK/run.trace")"
tb_say "ok: two refusals, one trace line each; the 21 other calls patched"

tb_say "shim side: posix_spawn closing an emulated UDP socket in the child"
testbed_shim "$TB_PY" -c "
import os, socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(20)
u.connect(('$TB_PEER_ADDR', 7777))
u.send(b'before')
assert u.recv(64) == b'before'
pid = os.posix_spawn('/bin/true', ['true'], os.environ,
                     file_actions=[(os.POSIX_SPAWN_CLOSE, u.fileno())])
assert os.waitpid(pid, 0)[1] == 0
u.send(b'after the spawn')
got = u.recv(64)
print('echo', got)
assert got == b'after the spawn', got
" >"$TB_WORK/spawn.log" 2>&1 || tb_fail "the parent's socket broke after posix_spawn: $(tail -n 3 "$TB_WORK/spawn.log")"
tb_say "ok: the parent's UDP socket still echoes after the child closed its copy"

tb_say "shim side: libsockshim.so:libfar_segment.so (libc more than 2 GiB away)"
want_index=$(ip -n "$TB_NS_SHIM" -o link show dev "$TB_IF_SHIM" | cut -d: -f1)
ip netns exec "$TB_NS_SHIM" env LD_PRELOAD="$(tb_find_lib):$TB_WORK/libfar_segment.so" \
	SOCKSHIM_IFACE="$TB_IF_SHIM" SOCKSHIM_ADDR="$TB_SHIM_ADDR/$TB_PREFIX" SOCKSHIM_TRACE=2 \
	SOCKSHIM_TRACE_FILE="$TB_WORK/far.trace" "$TB_PY" -c "
import socket
print('index', socket.if_nametoindex('$TB_IF_SHIM'))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(20)
u.sendto(b'far', ('$TB_PEER_ADDR', 7777))
data, peer = u.recvfrom(64)
assert data == b'far' and peer == ('$TB_PEER_ADDR', 7777), (data, peer)
print('echo ok')
" >"$TB_WORK/far.log" 2>&1 || tb_fail "python3 with the far segment failed: $(tail -n 3 "$TB_WORK/far.log")"
grep -q "^index $want_index\$" "$TB_WORK/far.log" && grep -q '^echo ok$' "$TB_WORK/far.log" ||
	tb_fail "want index $want_index and an echo: $(cat "$TB_WORK/far.log")"
abs=$(grep -c 'patch [a-z_]* at .* jmp abs64 to ' "$TB_WORK/far.trace")
[ "$abs" = 24 ] || tb_fail "$abs of 24 patches used the absolute jump: $(grep -m3 'patch ' "$TB_WORK/far.trace")"
grep -q 'socket(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC, 0) = [0-9]' "$TB_WORK/far.trace" &&
	grep -q 'ioctl([0-9]*, 0x8933, ' "$TB_WORK/far.trace" ||
	tb_fail "if_nametoindex's socket and ioctl (inside libc) did not reach the interposer"
tb_say "ok: 24 absolute jumps; libc's if_nametoindex went through the interposer; the echo came back"
testbed_test_end
