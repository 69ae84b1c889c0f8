#!/bin/bash
# SPDX-License-Identifier: MIT
# The stack host does not take a client's word for its privileges. A stack
# host started by root serves everyone in the namespace (its control socket
# is an abstract name), so an unprivileged process could speak shim_ctl.h to
# it directly (tests/integration/ctl_client.py). The host must still refuse
# what the kernel would refuse that process, judged from the process itself
# at each request rather than from anything it says: a raw socket
# (EPERM) and a port below ip_unprivileged_port_start (EACCES), while the
# same client's ordinary UDP socket works (so the refusals are not protocol
# errors), and the same requests from root succeed; and a process that
# keeps the connection while the one that opened it execs a setuid program
# gets nothing from that.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin host_privileges

command -v setpriv >/dev/null || tb_fail "setpriv (util-linux) is missing"
tb_say "shim side: a root process under the shim starts the stack host and holds a socket"
. "$SOCKSHIM_SOURCE_DIR/tests/integration/lib_holder.sh"
holder_start "$TB_WORK/done" "$TB_WORK/holder.log"

# A client speaking preload/common/shim_ctl.h by hand (sizes from the header, via
# tests/progs/ctl_layout). Capabilities are no longer claimed by the client at
# all: the host reads them for the sending process at each request.
cp "$SOCKSHIM_SOURCE_DIR/tests/integration/ctl_client.py" "$TB_WORK/"
cat >"$TB_WORK/client.py" <<'PY'
import socket, sys
from ctl_client import Ctl, sin
c = Ctl(sys.argv[1], sys.argv[2])
print("hello", c.hello())
print("raw", c.call("CREATE", 0, socket.SOCK_RAW, socket.IPPROTO_ICMP)[0])
ret, sid, _, fd = c.call("CREATE", 0, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
print("udp", ret)
print("bind80", c.call("BIND", sid, 16, sin(80), fds=[fd])[0])
PY
chmod 755 "$TB_WORK" && chmod 644 "$TB_WORK/client.py" "$TB_WORK/ctl_client.py"
run_client() {
	ip netns exec "$TB_NS_SHIM" "$@" env CTL_LAYOUT="$SOCKSHIM_BUILD_DIR/tests/ctl_layout" \
		PYTHONPATH="$TB_WORK" "$TB_PY" "$TB_WORK/client.py" "$TB_IF_SHIM" "$TB_SHIM_ADDR"
}
run_client setpriv --reuid=65534 --regid=65534 --clear-groups >"$TB_WORK/nobody.log" 2>&1 ||
	tb_fail "the unprivileged client failed: $(tail -n 2 "$TB_WORK/nobody.log")"
run_client >"$TB_WORK/root.log" 2>&1 || tb_fail "the root client failed: $(tail -n 2 "$TB_WORK/root.log")"
tb_say "uid 65534: $(tr '\n' ';' <"$TB_WORK/nobody.log")"
tb_say "root: $(tr '\n' ';' <"$TB_WORK/root.log")"
printf 'hello True\nraw -1\nudp 0\nbind80 -13\n' | cmp -s - "$TB_WORK/nobody.log" ||
	tb_fail "the host gave the unprivileged client privileges (want raw -1 (EPERM), udp 0, bind80 -13 (EACCES))"
printf 'hello True\nraw 0\nudp 0\nbind80 0\n' | cmp -s - "$TB_WORK/root.log" ||
	tb_fail "root's requests should all succeed"
tb_say "ok: the host checks privileges with the process's real capabilities"

# The exec race: a process connects and says HELLO, forks, and execs a
# setuid-root program while its child keeps the connection. Privileges are
# judged per request from the process that sent it (SCM_CREDENTIALS), so the
# child's raw socket is still refused although the connecting pid is now
# privileged.
cp /usr/bin/sleep "$TB_WORK/suid-sleep" && chown root:root "$TB_WORK/suid-sleep" &&
	chmod 4755 "$TB_WORK/suid-sleep" || tb_fail "cannot make a setuid program"
cat >"$TB_WORK/race.py" <<'PY'
import os, socket, sys, time
from ctl_client import Ctl
c = Ctl(sys.argv[1], sys.argv[2])
assert c.hello()
r, w = os.pipe()
if os.fork() == 0:
    os.close(w)
    os.read(r, 1)  # returns when the parent's exec closes the pipe
    want = "\nUid:\t65534\t0\t"
    for _ in range(200):
        st = open("/proc/%d/status" % os.getppid()).read()
        if want in st:
            break
        time.sleep(0.05)
    print("connecting process now euid 0", want in st, flush=True)
    print("raw from the child", c.call("CREATE", 0, socket.SOCK_RAW, socket.IPPROTO_ICMP)[0], flush=True)
    os._exit(0)
os.close(r)
os.execv(sys.argv[3], [sys.argv[3], "5"])
PY
chmod 644 "$TB_WORK/race.py"
ip netns exec "$TB_NS_SHIM" setpriv --reuid=65534 --regid=65534 --clear-groups \
	env CTL_LAYOUT="$SOCKSHIM_BUILD_DIR/tests/ctl_layout" PYTHONPATH="$TB_WORK" \
	"$TB_PY" "$TB_WORK/race.py" "$TB_IF_SHIM" "$TB_SHIM_ADDR" "$TB_WORK/suid-sleep" \
	>"$TB_WORK/race.log" 2>&1 || tb_fail "the exec race client failed: $(cat "$TB_WORK/race.log")"
for _ in $(seq 1 100); do
	grep -q "^raw from the child" "$TB_WORK/race.log" && break
	sleep 0.1
done
tb_say "exec race: $(tr '\n' ';' <"$TB_WORK/race.log")"
grep -q "^connecting process now euid 0 True$" "$TB_WORK/race.log" ||
	tb_fail "the setuid exec did not happen, so the race was not tried"
grep -q "^raw from the child -1$" "$TB_WORK/race.log" ||
	tb_fail "the child got a raw socket on the privileges its parent gained by exec"
tb_say "ok: an exec of a setuid program lends nothing to the process that kept the connection"
touch "$TB_WORK/done"
wait "$HOLDER_PID"
testbed_test_end
