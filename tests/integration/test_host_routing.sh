#!/bin/bash
# SPDX-License-Identifier: MIT
# One stack host, one routing: a program that reaches a host started by
# another with a different SOCKSHIM_GATEWAY gets the host's routing in the
# answers the interposer gives without asking (a fresh socket's first
# connect, SHIM_CONNECT_NOREPLY; a datagram's ENETUNREACH; the limited
# broadcast's route check), not its own, and says so in one trace line.
# Three rounds, each against the native namespace routed as the host:
#  1. the host has a gateway (its starter's SOCKSHIM_GATEWAY), the program
#     none: off the subnet is routed (the kernel with a default route:
#     EINPROGRESS, the datagram sent), not ENETUNREACH;
#  2. the host has none, the program names one: off the subnet is
#     ENETUNREACH at connect() (the kernel without a default route), not
#     EINPROGRESS and a failure later;
#  3. neither has a gateway, the program's SOCKSHIM_ADDR has /16 where the
#     host's has /24: the rest of the /16 is ENETUNREACH as well.
# Each round also runs a program whose first contact with the host is a
# UDP socket inherited across exec: its datagram answers and
# SIOCGIFNETMASK are the host's too.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
. "$(dirname "$0")/lib_holder.sh"
testbed_test_begin host_routing
testbed_native_up || tb_fail "cannot build the native namespace"

cat >"$TB_WORK/client.py" <<'EOF'
import errno, functools, socket, sys
print = functools.partial(print, flush=True)

# The outcome of one call: its errno's name, or "ok".
def outcome(f):
	try:
		f()
		return "ok"
	except OSError as e:
		return errno.errorcode[e.errno]

near = ".".join(sys.argv[1].split(".")[:2] + ["5", "5"])  # off the /24, in the /16
for what, dst in (("the subnet", "192.0.2.1"), ("the /24", near)):
	s = socket.socket()
	s.setblocking(False)
	print("connect off %s:" % what, outcome(lambda: s.connect((dst, 80))))
	s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print("sendto off the subnet:", outcome(lambda: u.sendto(b"x", ("192.0.2.1", 9))))
u.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
print("sendto the limited broadcast:", outcome(lambda: u.sendto(b"x", ("255.255.255.255", 9))))
u.close()
EOF

# The same answers from a program whose first contact with the host is a
# socket it inherited across exec (no request of its own yet): wrap.py
# makes a UDP socket (SO_BROADCAST on) for each call and runs inherited.py
# with it, which makes only that call.
cat >"$TB_WORK/wrap.py" <<'EOF'
import os, socket, subprocess, sys
for what in ("netmask", "off", "broadcast"):
	u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	u.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
	subprocess.run([sys.executable, sys.argv[0].replace("wrap.py", "inherited.py"), what,
	                str(u.fileno())], pass_fds=[u.fileno()], check=True)
	u.close()
EOF
cat >"$TB_WORK/inherited.py" <<'EOF'
import ctypes, errno, fcntl, functools, socket, struct, sys
print = functools.partial(print, flush=True)
SIOCGIFNETMASK = 0x891b
libc = ctypes.CDLL(None, use_errno=True)

# Raw calls on the fd: a socket object would ask about the fd (SO_TYPE, ...) first.
fd = int(sys.argv[2])
def sendto(dst):
	sin = struct.pack("=HH4s8x", socket.AF_INET, socket.htons(9), socket.inet_aton(dst))
	r = libc.sendto(fd, b"x", 1, 0, sin, len(sin))
	return "ok" if r == 1 else errno.errorcode[ctypes.get_errno()]

if sys.argv[1] == "netmask":
	ifname = [n for _, n in socket.if_nameindex() if n != "lo"][0]
	mask = fcntl.ioctl(fd, SIOCGIFNETMASK, struct.pack("16s16s", ifname.encode(), bytes(16)))
	print("inherited SIOCGIFNETMASK:", socket.inet_ntoa(mask[20:24]))
elif sys.argv[1] == "off":
	print("inherited sendto off the subnet:", sendto("192.0.2.1"))
else:
	print("inherited sendto the limited broadcast:", sendto("255.255.255.255"))
EOF

# round HOST_GATEWAY PROGRAM_GATEWAY PROGRAM_PREFIX KERNEL_CONNECT TRACE_LINE N:
# a host started with HOST_GATEWAY and the testbed's /24 (kept by a socket
# holder, leaving at once after it), then the client with PROGRAM_GATEWAY
# and PROGRAM_PREFIX natively and under the shim.
round() {
	local host_gw=$1 prog_gw=$2 prog_prefix=$3 want=$4 line=$5 n=$6
	rm -f "$TB_WORK/done$n" "$TB_WORK/trace$n.log"
	SOCKSHIM_GATEWAY=$host_gw SOCKSHIM_LINGER_MS=0 holder_start "$TB_WORK/done$n" "$TB_WORK/holder$n.log"
	TB_PREFIX=$prog_prefix SOCKSHIM_GATEWAY=$prog_gw SOCKSHIM_TRACE=1 \
		SOCKSHIM_TRACE_FILE="$TB_WORK/trace$n.log" testbed_native_vs_shim "$TB_WORK/client.py"
	sed "s/^/  native: /" "$TB_WORK/native"
	grep -qx "connect off the subnet: $want" "$TB_WORK/native" ||
		tb_fail "the kernel's run is not as expected: the test proves nothing"
	grep -qF "$line" "$TB_WORK/trace$n.log" ||
		tb_fail "no trace line '$line': $(grep -v '^\[sockshim [0-9]*\] [a-z_0-9]*(' "$TB_WORK/trace$n.log")"
	TB_PREFIX=$prog_prefix SOCKSHIM_GATEWAY=$prog_gw testbed_native_vs_shim "$TB_WORK/wrap.py"
	sed "s/^/  native: /" "$TB_WORK/native"
	touch "$TB_WORK/done$n"
	wait "$HOLDER_PID" || tb_fail "the socket holder failed: $(cat "$TB_WORK/holder$n.log")"
	# The next round's host is started anew, with its own gateway.
	for _ in $(seq 1 300); do
		[ -z "$(testbed_stackd_pids)" ] && return 0
		sleep 0.1
	done
	tb_fail "the stack host did not leave after its last socket"
}

ip -n "$TB_NS_NAT" route add default via "$TB_NAT_PEER_ADDR" || tb_fail "no default route natively"
round "$TB_PEER_ADDR" "" 24 EINPROGRESS \
	"SOCKSHIM_GATEWAY=(unset) ignored: the stack host for $TB_IF_SHIM $TB_SHIM_ADDR has gateway $TB_PEER_ADDR" 1
ip -n "$TB_NS_NAT" route del default || tb_fail "cannot take the default route away natively"
round "" "$TB_PEER_ADDR" 24 ENETUNREACH \
	"SOCKSHIM_GATEWAY=$TB_PEER_ADDR ignored: the stack host for $TB_IF_SHIM $TB_SHIM_ADDR has no gateway" 2
round "" "" 16 ENETUNREACH \
	"SOCKSHIM_ADDR=$TB_SHIM_ADDR/16 prefix ignored: the stack host for $TB_IF_SHIM $TB_SHIM_ADDR has prefix /24" 3
tb_say "ok: each program answered with its host's routing, as the kernel routed the same"
testbed_test_end
