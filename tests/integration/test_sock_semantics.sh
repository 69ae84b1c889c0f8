#!/bin/bash
# SPDX-License-Identifier: MIT
# Differential socket semantics: tests/progs/sock_semantics runs the same
# call sequences natively (the kernel's TCP/IP) and under the shim against
# the same kernel peer, and every normalised line (return values, errno
# names, poll revents, socket options, addresses, SO_PEEK_OFF on UDP) must agree. The only
# differences accepted are the lines the program marks KNOWN(reason); any
# other difference fails, and so does a line present on one side only.
#
# Topology: the usual testbed (shim namespace, no kernel address, stack
# 10.99.0.10 <-> peer 10.99.0.2) plus a third namespace for the native run,
# joined to the same peer namespace by a second veth (testbed_native_up:
# kernel 10.98.0.10 <-> peer 10.98.0.2), so that both runs reach the one
# kernel peer over a veth.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin sock_semantics

prog=$SOCKSHIM_BUILD_DIR/tests/sock_semantics
[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"

testbed_native_up || tb_fail "cannot build the native namespace"

# The kernel-side helpers, one port each (see the header of sock_semantics.c).
cat >"$TB_WORK/peer.py" <<'EOF'
import socket, struct, threading

held = []

def serve(port, handle):
	l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	l.bind(("0.0.0.0", port))
	l.listen(16)
	def loop():
		while True:
			c, addr = l.accept()
			threading.Thread(target=handle, args=(c, addr), daemon=True).start()
	threading.Thread(target=loop, daemon=True).start()

def hold(c, addr):
	held.append(c)
	try:
		while c.recv(65536):
			pass
	except ConnectionResetError:
		pass  # the client reset it: nothing to hold any more

def fin(c, addr):
	c.sendall(b"hello")
	c.close()

def rst(c, addr):
	c.recv(1)  # connect_rst's byte: the client's connect() has returned
	c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
	c.close()

def callback(c, addr):
	held.append(c)
	f = c.makefile("rb")
	for line in f:
		b = socket.create_connection((addr[0], int(line)))
		held.append(b)
		b.sendall(b"back\n")

gated = {}
gate_cv = threading.Condition()

def gate(c, addr):
	line = b""
	while not line.endswith(b"\n"):
		b = c.recv(1)
		if not b:
			return
		line += b
	word, _, arg = line.strip().partition(b" ")
	if word == b"hold":
		held.append(c)
		with gate_cv:
			gated[addr[1]] = c
			gate_cv.notify_all()
	elif word == b"drain":
		with gate_cv:
			gate_cv.wait_for(lambda: int(arg) in gated)
			d = gated.pop(int(arg))
		hold(d, None)

def techo(c, addr):
	held.append(c)
	try:
		while True:
			b = c.recv(65536)
			if not b:
				return
			c.sendall(b)
	except ConnectionResetError:
		pass

def eof_close(c, addr):
	try:
		while c.recv(65536):
			pass
	except ConnectionResetError:
		pass
	c.close()

def echo(port):
	u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	u.bind(("0.0.0.0", port))
	while True:
		data, addr = u.recvfrom(65536)
		u.sendto(data, addr)

serve(7100, hold)
serve(7101, fin)
serve(7102, rst)
serve(7103, callback)
serve(7106, gate)
serve(7107, techo)
serve(7108, eof_close)
print("ready", flush=True)
echo(7104)
EOF
# Scenarios count the port unreachables the peer sends; its per-destination
# rate limit (a burst of 6, then one a second) would make that depend on
# what ran before and how fast: lift it, as for test_dgram_cmsg.sh.
testbed_peer sysctl -qw net.ipv4.icmp_ratelimit=0 || tb_fail "cannot lift the peer's ICMP rate limit"
# dgram_autobind makes ping sockets as root on both sides.
for ns in "$TB_NS_NAT" "$TB_NS_SHIM"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.ping_group_range="0 0" ||
		tb_fail "cannot allow ping sockets in $ns"
done
testbed_peer "$TB_PY" "$TB_WORK/peer.py" >"$TB_WORK/peer.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" udp 7104 10 || tb_fail "the kernel-side helpers did not start"
testbed_wait_listen "$TB_NS_PEER" tcp 7103 10 || tb_fail "the kernel-side helpers did not start"

tb_say "native: sock_semantics from $TB_NAT_ADDR to $TB_NAT_PEER_ADDR"
ip netns exec "$TB_NS_NAT" "$prog" "$TB_NAT_PEER_ADDR" "$TB_NAT_ADDR" >"$TB_WORK/native" 2>"$TB_WORK/native.log" ||
	tb_fail "sock_semantics failed natively (status $?)"
tb_say "shim: sock_semantics from $TB_SHIM_ADDR to $TB_PEER_ADDR"
testbed_shim "$prog" "$TB_PEER_ADDR" "$TB_SHIM_ADDR" >"$TB_WORK/shim" 2>"$TB_WORK/shim.log" ||
	tb_fail "sock_semantics failed under the shim (status $?)"

[ -s "$TB_WORK/native" ] || tb_fail "the native run printed nothing"
grep -q '^tcp_zerocopy_receive: copybuf holds = "hello"$' "$TB_WORK/native" ||
	tb_fail "the native TCP_ZEROCOPY_RECEIVE copied nothing: tcp_zerocopy_receive would prove nothing"
grep -q '^udp_err_asleep (poll): wait for nothing = 1: ERR$' "$TB_WORK/native" ||
	tb_fail "the native poll for nothing did not wake with ERR: udp_err_asleep would prove nothing"
# Each line is "[KNOWN(reason) ]scenario: step = result"; lines pair up by
# position (both runs print the same steps in the same order).
grep -q '^udp_peek_off: peek 10: past it = 6 "bbbbbb" controllen 0, offset 10$' "$TB_WORK/native" ||
	tb_fail "the native UDP peek did not skip to the offset: udp_peek_off would prove nothing"
n_native=$(wc -l <"$TB_WORK/native")
n_shim=$(wc -l <"$TB_WORK/shim")
bad=0
known=0
while IFS= read -r nat <&3 && IFS= read -r sh <&4; do
	[ "$nat" = "$sh" ] && continue
	case "$nat" in
	KNOWN\(*)
		key=${nat#KNOWN(*) }
		key=${key%% = *}
		skey=${sh#KNOWN(*) }
		if [ "${skey%% = *}" = "$key" ]; then
			known=$((known + 1))
			printf 'known difference: %s\n   native: %s\n   shim:   %s\n' "${nat%%) *})" "${nat#KNOWN(*) }" "$skey"
			continue
		fi
		;;
	esac
	bad=$((bad + 1))
	printf -- '- native: %s\n+ shim:   %s\n' "$nat" "$sh"
done 3<"$TB_WORK/native" 4<"$TB_WORK/shim"
[ "$n_native" = "$n_shim" ] || tb_fail "native printed $n_native lines, the shim $n_shim (the runs went out of step)"
[ "$bad" = 0 ] || tb_fail "$bad of $n_native lines differ from the kernel"
tb_say "ok: $n_native lines, no difference from the kernel but the $known named KNOWN in the program"

# The blocking reads' answers again with the program spinning before it
# sleeps (SOCKSHIM_SPIN_US, at its longest): a signal in the sleep after
# the spin, a signal in the spin itself (tcp_recv_signal_spin sends it only
# once it sees the reader there), and SO_RCVTIMEO, must answer as the
# kernel's sleep does. The spin's reader and its observer run SCHED_FIFO
# (recv_spin_rt), so that a loaded machine does not make the timing miss by
# the thousand; where that is refused they say so, and it is shown here.
waits="tcp_recv_signal_spin tcp_recv_signal tcp_recv_timeo"
SOCKSHIM_SPIN_US=1000 testbed_shim "$prog" "$TB_PEER_ADDR" "$TB_SHIM_ADDR" $waits \
	>"$TB_WORK/shim-spin" 2>"$TB_WORK/shim-spin.log" ||
	tb_fail "sock_semantics ($waits) failed under the shim with SOCKSHIM_SPIN_US=1000 (status $?)"
grep -E '^tcp_recv_(signal|signal_spin|timeo): ' "$TB_WORK/native" >"$TB_WORK/native-waits"
[ -s "$TB_WORK/native-waits" ] || tb_fail "the native run has no lines of $waits"
diff "$TB_WORK/native-waits" "$TB_WORK/shim-spin" >"$TB_WORK/spin.diff" ||
	tb_fail "with SOCKSHIM_SPIN_US=1000 the blocking reads differ from the kernel's: $(cat "$TB_WORK/spin.diff")"
n_spun=$(grep -c '^tcp_recv_signal_spin: .*: signal in the spin after' "$TB_WORK/shim-spin.log")
[ "$n_spun" = 12 ] || tb_fail "tcp_recv_signal_spin timed $n_spun of 12 signals into the spin: $(grep '^tcp_recv_signal_spin' "$TB_WORK/shim-spin.log")"
tb_say "ok: $(wc -l <"$TB_WORK/native-waits") lines of $waits the kernel's with SOCKSHIM_SPIN_US=1000 too"
tb_say "tcp_recv_signal_spin's misses before each signal: $(sed -n 's/^tcp_recv_signal_spin: .*after \([0-9]*\) misses$/\1/p' "$TB_WORK/shim-spin.log" | tr '\n' ' ')"
refused=$(grep -m1 'SCHED_FIFO refused' "$TB_WORK/shim-spin.log") && tb_say "$refused"
testbed_test_end
