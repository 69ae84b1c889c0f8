#!/bin/bash
# SPDX-License-Identifier: MIT
# connect()'s ephemeral ports as the kernel's __inet_hash_connect picks
# them: one local port serves several destinations (only the 4-tuple must
# be unique), so with ip_local_port_range holding 10 ports, one of them
# taken by bind() (not shared), a program opens 9 connections to each of
# two destinations, and then to two more; the next fails with
# EADDRNOTAVAIL, and bind() to such a port with EADDRINUSE. The same
# program runs natively (the kernel's TCP) and under the shim against the
# same kernel peer; the outcomes must be equal.
#
# Topology: the shim namespace (stack 10.99.0.10) and a native namespace
# (kernel 10.98.0.10, testbed_native_up) both reach one kernel peer.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin connect_ports

testbed_native_up || tb_fail "cannot build the native namespace"
for ns in "$TB_NS_SHIM" "$TB_NS_NAT"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="40000 40009" ||
		tb_fail "cannot set ip_local_port_range in $ns"
done

# The peer holds every connection it accepts on ports 7140-7143.
cat >"$TB_WORK/peer.py" <<'EOF'
import socket, threading

def hold(c):
	try:
		while c.recv(100):
			pass
	except OSError:
		pass
	c.close()

def serve(port):
	l = socket.socket()
	l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	l.bind(("0.0.0.0", port))
	l.listen(64)
	while True:
		c, _ = l.accept()
		threading.Thread(target=hold, args=(c,), daemon=True).start()

for port in (7140, 7141, 7142):
	threading.Thread(target=serve, args=(port,), daemon=True).start()
serve(7143)
EOF
# Connections until the first error, per destination, all kept open (a
# close here would free the port at once, the host's a little later).
cat >"$TB_WORK/client.py" <<'EOF'
import errno, socket, struct, sys

peer, socks = sys.argv[1], []

def res(f):
	try:
		return f()
	except OSError as e:
		return errno.errorcode[e.errno]

def fill(label, dports):
	ports, out = set(), []
	for d in dports:
		n, err = 0, None
		while n < 40:
			s = socket.socket()
			s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
			err = res(lambda: s.connect((peer, d)))
			if err:
				break
			socks.append(s)
			ports.add(s.getsockname()[1])
			n += 1
		out.append("%d: %d then %s" % (d, n, err))
	print(label + ":", ", ".join(out), "| local ports", len(ports),
	      "all in range" if all(40000 <= p <= 40009 for p in ports) else "NOT in range")

b = socket.socket()
b.bind(("0.0.0.0", 40000))
fill("two destinations, port 40000 bound", (7140, 7141))
fill("two more", (7142, 7143))
print("bind to a port connect() holds:", res(lambda: socket.socket().bind(("0.0.0.0", 40001))))
print("bind(0):", res(lambda: socket.socket().bind(("0.0.0.0", 0))))
s = socket.socket()
s.setblocking(False)
print("non-blocking, no port free:", res(lambda: s.connect((peer, 7143))))
EOF
testbed_peer "$TB_PY" "$TB_WORK/peer.py" >"$TB_WORK/peer.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 7143 10 || tb_fail "the peer did not start"

testbed_native_vs_shim "$TB_WORK/client.py"
grep -qx "two destinations, port 40000 bound: 7140: 9 then EADDRNOTAVAIL, 7141: 9 then EADDRNOTAVAIL | local ports 9 all in range" "$TB_WORK/native" ||
	tb_fail "the kernel did not share its ports between two destinations: $(cat "$TB_WORK/native")"
tb_say "ok: $(tr '\n' '|' <"$TB_WORK/native")"
testbed_test_end
