#!/bin/bash
# SPDX-License-Identifier: MIT
# The control contract as a live stack host enforces it, from a client that
# speaks it by hand (tests/integration/ctl_client.py) as uid 65534:
#  - a first request that is not HELLO is answered EPROTO and the connection
#    dropped;
#  - a HELLO without a version the host speaks: EPROTONOSUPPORT, dropped;
#  - bytes that are no request: EBADMSG, dropped;
#  - a value an application may pass and the kernel refuses (shutdown how 7)
#    gets the kernel's EINVAL, and the connection goes on;
#  - a socket filter's struct sock_fprog sent as is (its pointer names the
#    client's memory) is EFAULT, never read;
#  - after all that the host serves a new client and root's socket as before.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin ctl_contract

command -v setpriv >/dev/null || tb_fail "setpriv (util-linux) is missing"
. "$SOCKSHIM_SOURCE_DIR/tests/integration/lib_holder.sh"
holder_start "$TB_WORK/done" "$TB_WORK/holder.log"

cp "$SOCKSHIM_SOURCE_DIR/tests/integration/ctl_client.py" "$TB_WORK/"
cat >"$TB_WORK/client.py" <<'PY'
import errno, socket, struct, sys
from ctl_client import Ctl, L
iface, addr = sys.argv[1], sys.argv[2]
def name(r):
    return "dropped" if r is None else (errno.errorcode[-r[0]] if r[0] < 0 else "ok")
c = Ctl(iface, addr)
print("CREATE first:", name(c.call("CREATE", 0, socket.SOCK_DGRAM, 0)), name(c.recv()))
c = Ctl(iface, addr)
v = L["version"] + 1
print("HELLO for a version to come:", name(c.call("HELLO", 0, v, v, 0)), name(c.recv()))
c = Ctl(iface, addr)
assert c.hello()
c.send_raw(b"\x01\x02\x03\x04\x05")
print("garbage:", name(c.recv()), name(c.recv()))
c = Ctl(iface, addr)
assert c.hello()
ret, sid, _, fd = c.call("CREATE", 0, socket.SOCK_DGRAM, 0)
print("shutdown how 7:", name(c.call("SHUTDOWN", sid, 7, fds=[fd])))
# A struct sock_fprog by value: its pointer is the client's, never read by the host.
fprog = struct.pack("=H6xQ", 1, 0xdead0000beef)
print("SO_ATTACH_FILTER fprog:", name(c.call("SETSOCKOPT", sid, socket.SOL_SOCKET, 26, len(fprog),
                                             value=fprog, fds=[fd])))
print("then getname:", name(c.call("GETNAME", sid, 0, fds=[fd])))
PY
chmod 755 "$TB_WORK" && chmod 644 "$TB_WORK"/*.py
ip netns exec "$TB_NS_SHIM" setpriv --reuid=65534 --regid=65534 --clear-groups \
	env CTL_LAYOUT="$SOCKSHIM_BUILD_DIR/tests/ctl_layout" PYTHONPATH="$TB_WORK" \
	"$TB_PY" "$TB_WORK/client.py" "$TB_IF_SHIM" "$TB_SHIM_ADDR" >"$TB_WORK/client.log" 2>&1 ||
	tb_fail "the client failed: $(cat "$TB_WORK/client.log")"
sed 's/^/  client: /' "$TB_WORK/client.log"
printf '%s\n' "CREATE first: EPROTO dropped" "HELLO for a version to come: EPROTONOSUPPORT dropped" \
	"garbage: EBADMSG dropped" "shutdown how 7: EINVAL" "SO_ATTACH_FILTER fprog: EFAULT" \
	"then getname: ok" |
	cmp -s - "$TB_WORK/client.log" || tb_fail "the host did not enforce the contract as specified"
touch "$TB_WORK/done"
wait "$HOLDER_PID" || tb_fail "root's program failed: $(cat "$TB_WORK/holder.log")"
grep -q "^root socket still named True$" "$TB_WORK/holder.log" || tb_fail "root's socket was disturbed"
tb_say "ok: HELLO first, versions, malformed requests and field errors as the contract says"
testbed_test_end
