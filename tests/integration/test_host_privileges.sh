#!/bin/bash
# SPDX-License-Identifier: MIT
# The stack host does not take a client's word for its privileges. A stack
# host started by root serves everyone in the namespace (its control socket
# is an abstract name), so an unprivileged process could speak shim_ctl.h to
# it directly and claim every capability in shim_req.cap_eff. The host must
# still refuse what the kernel would refuse that process: a raw socket
# (EPERM) and a port below ip_unprivileged_port_start (EACCES), while the
# same client's ordinary UDP socket works (so the refusals are not protocol
# errors), and the same requests from root succeed.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin host_privileges

command -v setpriv >/dev/null || tb_fail "setpriv (util-linux) is missing"
tb_say "shim side: a root process under the shim starts the stack host and holds a socket"
testbed_shim "$TB_PY" -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 0)); time.sleep(8)' \
	>"$TB_WORK/holder.log" 2>&1 &
holder=$!
for _ in $(seq 1 50); do
	[ -n "$(testbed_stackd_pids)" ] && break
	sleep 0.1
done
[ -n "$(testbed_stackd_pids)" ] || tb_fail "no stack host started"

# A client speaking preload/common/shim_ctl.h by hand, claiming all capabilities.
cat >"$TB_WORK/client.py" <<'PY'
import os, socket, struct, sys
iface, addr = sys.argv[1], sys.argv[2]
REQ = struct.Struct("=II4iQI16sI512s4x")  # struct shim_req (568 bytes)
ALL = 0xFFFFFFFFFFFFFFFF
ino = os.stat("/proc/self/ns/net").st_ino
c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
c.connect(("\0sockshim/ctl/%d/%s/%s" % (ino, iface, addr)).encode())
def call(op, sid=0, args=(0, 0, 0, 0), sin=b""):
    c.send(REQ.pack(op, sid, *args, ALL, len(sin), sin.ljust(16, b"\0"), 0, b""))
    data, anc, _, _ = c.recvmsg(1024, socket.CMSG_SPACE(4))
    for level, kind, fds in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            os.close(struct.unpack("i", fds[:4])[0])
    return struct.unpack_from("=iI", data)
HELLO, CREATE, BIND = 1, 2, 3
print("hello", call(HELLO, args=(1, 0, 0, 0))[0] >= 0)
print("raw", call(CREATE, args=(socket.SOCK_RAW, socket.IPPROTO_ICMP, 0, 0))[0])
ret, sid = call(CREATE, args=(socket.SOCK_DGRAM, socket.IPPROTO_UDP, 0, 0))
print("udp", ret)
sin80 = struct.pack("=HH4s8x", socket.AF_INET, socket.htons(80), bytes(4))
print("bind80", call(BIND, sid, sin=sin80)[0])
PY
chmod 755 "$TB_WORK" && chmod 644 "$TB_WORK/client.py"
run_client() {
	ip netns exec "$TB_NS_SHIM" "$@" "$TB_PY" "$TB_WORK/client.py" "$TB_IF_SHIM" "$TB_SHIM_ADDR"
}
run_client setpriv --reuid=65534 --regid=65534 --clear-groups >"$TB_WORK/nobody.log" 2>&1 ||
	tb_fail "the unprivileged client failed: $(tail -n 2 "$TB_WORK/nobody.log")"
run_client env >"$TB_WORK/root.log" 2>&1 || tb_fail "the root client failed: $(tail -n 2 "$TB_WORK/root.log")"
tb_say "uid 65534 claiming every capability: $(tr '\n' ';' <"$TB_WORK/nobody.log")"
tb_say "root: $(tr '\n' ';' <"$TB_WORK/root.log")"
printf 'hello True\nraw -1\nudp 0\nbind80 -13\n' | cmp -s - "$TB_WORK/nobody.log" ||
	tb_fail "the host took the unprivileged client's claim (want raw -1 (EPERM), udp 0, bind80 -13 (EACCES))"
printf 'hello True\nraw 0\nudp 0\nbind80 0\n' | cmp -s - "$TB_WORK/root.log" ||
	tb_fail "root's requests should all succeed"
tb_say "ok: the host checks privileges with the process's real capabilities"
wait "$holder"
testbed_test_end
