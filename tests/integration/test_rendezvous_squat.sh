#!/bin/bash
# SPDX-License-Identifier: MIT
# The stack host's control name is an abstract AF_UNIX name, which anyone in
# the namespace can bind first. Here uid 65534 binds it before any host runs
# and waits for requests. A root program under the shim must refuse that
# impostor (SO_PEERCRED: not root, not its own uid) before sending it a
# single byte: one clear line on stderr, and socket() failing with ENONET
# (the shim's "no stack" errno) each time, never silently talking to it.
# sockshim-stat refuses it the same way.
# Once the impostor is gone, the same program gets its sockets from a real
# host that it starts itself.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin rendezvous_squat

command -v setpriv >/dev/null || tb_fail "setpriv (util-linux) is missing"
chmod 777 "$TB_WORK" # the impostor (uid 65534) writes its ready mark here
cat >"$TB_WORK/impostor.py" <<'PY'
import os, select, socket, sys
iface, addr, ready = sys.argv[1], sys.argv[2], sys.argv[3]
ino = os.stat("/proc/self/ns/net").st_ino
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(("\0sockshim/ctl/%d/%s/%s" % (ino, iface, addr)).encode())
s.listen(8)
open(ready, "w").close()
conns, got = [], 0
while True:
    r, _, _ = select.select([s, sys.stdin] + conns, [], [], 30)
    if not r or sys.stdin in r:
        break
    for x in r:
        if x is s:
            conns.append(s.accept()[0])
        else:
            data = x.recv(4096)
            got += len(data)
            if not data:
                conns.remove(x)
print("impostor received", got, "bytes")
PY
chmod 644 "$TB_WORK/impostor.py"
tb_say "uid 65534 binds the stack host's control name first"
mkfifo "$TB_WORK/stop"
ip netns exec "$TB_NS_SHIM" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$TB_PY" "$TB_WORK/impostor.py" "$TB_IF_SHIM" "$TB_SHIM_ADDR" "$TB_WORK/ready" \
	<"$TB_WORK/stop" >"$TB_WORK/impostor.log" 2>&1 &
impostor=$!
exec 7>"$TB_WORK/stop"
for _ in $(seq 1 100); do
	[ -e "$TB_WORK/ready" ] && break
	sleep 0.1
done
[ -e "$TB_WORK/ready" ] || tb_fail "the impostor did not bind the name"

program='import errno, socket
for _ in range(3):
    try:
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        print("created")
    except OSError as e:
        print("failed", errno.errorcode[e.errno])'
tb_say "root under the shim: three socket() calls while the impostor holds the name"
testbed_shim "$TB_PY" -c "$program" >"$TB_WORK/root.out" 2>"$TB_WORK/root.err"
sed 's/^/  stdout: /' "$TB_WORK/root.out"
sed 's/^/  stderr: /' "$TB_WORK/root.err"
[ "$(cat "$TB_WORK/root.out")" = "$(printf 'failed ENONET\nfailed ENONET\nfailed ENONET')" ] ||
	tb_fail "socket() must fail with ENONET while an impostor holds the name"
[ "$(grep -c . "$TB_WORK/root.err")" = 1 ] && grep -q "refusing the stack host at @sockshim/ctl/.*: it runs as uid 65534" "$TB_WORK/root.err" ||
	tb_fail "want exactly one line naming the refused host and its uid"
[ -z "$(testbed_stackd_pids)" ] || tb_fail "a stack host started although the name was taken"
tb_say "sockshim-stat refuses the impostor too"
if ip netns exec "$TB_NS_SHIM" env SOCKSHIM_IFACE="$TB_IF_SHIM" SOCKSHIM_ADDR="$TB_SHIM_ADDR/$TB_PREFIX" \
	"$SOCKSHIM_BUILD_DIR/tools/sockshim-stat" >"$TB_WORK/stat.out" 2>&1; then
	tb_fail "sockshim-stat talked to the impostor: $(cat "$TB_WORK/stat.out")"
fi
grep -q "refusing the stack host at @sockshim/ctl/.*: it runs as uid 65534" "$TB_WORK/stat.out" ||
	tb_fail "sockshim-stat did not say why: $(cat "$TB_WORK/stat.out")"
exec 7>&-
wait "$impostor"
grep -q "^impostor received 0 bytes$" "$TB_WORK/impostor.log" ||
	tb_fail "the impostor got requests: $(cat "$TB_WORK/impostor.log")"
tb_say "ok: refused before sending anything ($(cat "$TB_WORK/impostor.log"))"

tb_say "the impostor gone, the same program gets its sockets from a real host"
testbed_shim "$TB_PY" -c "$program" >"$TB_WORK/root2.out" 2>&1
[ "$(cat "$TB_WORK/root2.out")" = "$(printf 'created\ncreated\ncreated')" ] ||
	tb_fail "socket() under the shim failed after the impostor left: $(cat "$TB_WORK/root2.out")"
testbed_test_end
