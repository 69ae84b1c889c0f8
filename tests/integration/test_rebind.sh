#!/bin/bash
# SPDX-License-Identifier: MIT
# A port is free again as soon as close() returns, as with the kernel: 200
# times over, a program binds a UDP socket and a listener (SO_REUSEADDR),
# closes both and binds the same ports again at once. The host learns of a
# datagram socket's close from its pair (EPOLLHUP), of a listener's from
# sock_diag; a bind that finds the port taken looks at both first, so it
# never answers EADDRINUSE for a socket already closed.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin rebind

testbed_shim "$TB_PY" -c 'import socket
ok = 0
for i in range(200):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 6000))
    s.close()
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("0.0.0.0", 6001))
    l.listen(1)
    l.close()
    ok += 1
print("rebinds", ok)' >"$TB_WORK/rebind.log" 2>&1 || tb_fail "a bind after close failed: $(tail -n 3 "$TB_WORK/rebind.log")"
grep -q "^rebinds 200$" "$TB_WORK/rebind.log" || tb_fail "not every rebind worked: $(cat "$TB_WORK/rebind.log")"
tb_say "ok: 200 rounds of close and bind again, no EADDRINUSE"
testbed_test_end
