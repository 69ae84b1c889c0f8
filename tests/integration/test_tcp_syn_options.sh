#!/bin/bash
# SPDX-License-Identifier: MIT
# The stack's SYN, SYN-ACK and handshake ACK carry the same option bytes as
# the kernel's for the same sysctls (timestamp values masked: they are
# clocks). The kernel reference runs in a third namespace joined to the peer
# by its own veth (10.99.1.20 <-> 10.99.1.2), so the shim namespace's kernel
# stays silent; both fresh namespaces start from the same defaults, which the
# test checks. tcpdump on the peer records both veths.
#   client: the stack connects to the peer, the reference kernel does too,
#           with their own tcp_timestamps, tcp_sack and tcp_window_scaling
#           changed between connections (one stack host follows them): SYN
#           and the ACK completing the handshake are compared;
#   server: the peer's kernel connects to a listener under the stack and to
#           one on the reference kernel, with the peer's tcp_timestamps,
#           tcp_sack and tcp_window_scaling in every combination, so each
#           SYN-ACK answers exactly what its SYN offered;
#   listener: the listening side's own tcp_timestamps, tcp_sack and
#           tcp_window_scaling changed after listen(): read at each SYN;
#   cookies: with tcp_syncookies=2 on both, the cookie SYN-ACKs compare
#           too, and the kernel's connections through them work;
#   ECN:    the TCP flags byte of SYNs, SYN-ACKs and handshake ACKs compares
#           too, with tcp_ecn=1 on the connecting side once (ECE|CWR in the
#           SYN, ECE in the SYN-ACK).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_syn_options

testbed_ref_up

# The options depend on these sysctls (and the window-scale shift on the
# buffer sizes): the stack reads the shim namespace's, the reference kernel
# uses its own; they must agree or the comparison means nothing.
for k in net.ipv4.tcp_timestamps net.ipv4.tcp_sack net.ipv4.tcp_window_scaling net.ipv4.tcp_ecn net.ipv4.tcp_rmem \
	net.core.rmem_max net.ipv4.tcp_rmem; do
	a=$(ip netns exec "$TB_NS_SHIM" sysctl -n "$k")
	b=$(ip netns exec "$REF_NS" sysctl -n "$k")
	[ "$a" = "$b" ] || tb_fail "$k differs: shim namespace '$a', reference '$b'"
done
tb_say "sysctls equal in both namespaces: timestamps $(ip netns exec "$REF_NS" sysctl -n net.ipv4.tcp_timestamps)," \
	"sack $(ip netns exec "$REF_NS" sysctl -n net.ipv4.tcp_sack), window_scaling $(ip netns exec "$REF_NS" sysctl -n net.ipv4.tcp_window_scaling)"

testbed_ref_capture

# An accept-and-close server for each side.
server='import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(16)
while True:
    c,_=s.accept(); c.recv(16); c.close()'
client='import socket,sys
c=socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20); c.sendall(b"x"); c.recv(16); c.close()'

testbed_peer "$TB_PY" -c "$server" 0.0.0.0 9000 >"$TB_WORK/peer-server.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 9000 10 || tb_fail "the peer's server did not start"

# set_tcp_sysctls NS TIMESTAMPS SACK WSCALE
set_tcp_sysctls() {
	ip netns exec "$1" sysctl -qw net.ipv4.tcp_timestamps="$2" net.ipv4.tcp_sack="$3" \
		net.ipv4.tcp_window_scaling="$4" || tb_fail "cannot set the sysctls of $1"
}

# The stack reads the option sysctls again for each new socket: the same
# stack host follows every change, as the kernel does.
# set_tcp_ecn NS VALUE
set_tcp_ecn() {
	ip netns exec "$1" sysctl -qw net.ipv4.tcp_ecn="$2" || tb_fail "cannot set tcp_ecn in $1"
}
# ts,sack,ws; "ecn" is 1,1,1 with tcp_ecn=1.
client_variants="1,1,1 0,1,1 1,0,1 1,1,0 0,0,0 ecn"
tb_say "client side: the stack and the reference kernel connect to the peer, own sysctls $client_variants"
for v in $client_variants; do
	ecn=2
	[ "$v" = ecn ] && v=1,1,1 && ecn=1
	IFS=, read -r t s w <<<"$v"
	set_tcp_sysctls "$TB_NS_SHIM" "$t" "$s" "$w"
	set_tcp_sysctls "$REF_NS" "$t" "$s" "$w"
	set_tcp_ecn "$TB_NS_SHIM" "$ecn"
	set_tcp_ecn "$REF_NS" "$ecn"
	testbed_shim "$TB_PY" -c "$client" "$TB_PEER_ADDR" 9000 >"$TB_WORK/shim-client.log" 2>&1 ||
		tb_fail "the connect under the shim ($v) failed: $(cat "$TB_WORK/shim-client.log")"
	ip netns exec "$REF_NS" "$TB_PY" -c "$client" "$PEER_ADDR2" 9000 >"$TB_WORK/ref-client.log" 2>&1 ||
		tb_fail "the reference connect ($v) failed: $(cat "$TB_WORK/ref-client.log")"
done
set_tcp_sysctls "$TB_NS_SHIM" 1 1 1
set_tcp_sysctls "$REF_NS" 1 1 1
set_tcp_ecn "$TB_NS_SHIM" 2
set_tcp_ecn "$REF_NS" 2

# listeners PORT: the server under the stack and the reference's on PORT,
# once both answer (the stack's first SYN-ACK answers the probe).
listeners() {
	testbed_shim "$TB_PY" -c "$server" "$TB_SHIM_ADDR" "$1" >"$TB_WORK/shim-server-$1.log" 2>&1 &
	ip netns exec "$REF_NS" "$TB_PY" -c "$server" "$REF_ADDR" "$1" >"$TB_WORK/ref-server-$1.log" 2>&1 &
	testbed_wait_listen "$REF_NS" tcp "$1" 10 || tb_fail "the reference server on $1 did not start"
	for _ in $(seq 1 100); do
		testbed_peer "$TB_PY" -c "$client" "$TB_SHIM_ADDR" "$1" >/dev/null 2>&1 && return
		sleep 0.1
	done
	tb_fail "the server on $1 under the shim is not reachable"
}
# peer_connects PORT WHAT: the peer's client to the stack, then to the reference.
peer_connects() {
	testbed_peer "$TB_PY" -c "$client" "$TB_SHIM_ADDR" "$1" >>"$TB_WORK/peer-client.log" 2>&1 ||
		tb_fail "peer -> stack on $1 ($2) failed"
	testbed_peer "$TB_PY" -c "$client" "$REF_ADDR" "$1" >>"$TB_WORK/peer-client.log" 2>&1 ||
		tb_fail "peer -> reference on $1 ($2) failed"
}

tb_say "server side: the peer connects to a listener under the stack and to the reference kernel"
listeners 9001
variants="1,1,1 0,0,1 1,0,0 0,1,0 0,0,0 ecn"
for v in $variants; do
	ecn=2
	[ "$v" = ecn ] && v=1,1,1 && ecn=1
	IFS=, read -r t s w <<<"$v"
	set_tcp_sysctls "$TB_NS_PEER" "$t" "$s" "$w"
	set_tcp_ecn "$TB_NS_PEER" "$ecn"
	peer_connects 9001 "peer $v"
done

# The listener's own sysctls are read at each SYN, not at listen(): both
# listeners on 9003 start with 1,1,1, then their namespaces change and the
# peer (1,1,1) connects; each SYN-ACK must offer what the listener side
# allows now.
tb_say "listener side: the stack's and the reference's own sysctls changed after listen()"
set_tcp_sysctls "$TB_NS_PEER" 1 1 1
set_tcp_ecn "$TB_NS_PEER" 2
listeners 9003
listener_variants="0,1,1 1,0,0 0,0,1 1,1,1"
for v in $listener_variants; do
	IFS=, read -r t s w <<<"$v"
	set_tcp_sysctls "$TB_NS_SHIM" "$t" "$s" "$w"
	set_tcp_sysctls "$REF_NS" "$t" "$s" "$w"
	peer_connects 9003 "listener $v after listen()"
done

# SYN cookies (tcp_syncookies = 2: every SYN), read by the stack at each
# SYN, as the kernel: the cookie SYN-ACK carries what the kernel's does
# (window scale and SACK only with timestamps), and the kernel's ACK
# echoing the cookie makes a working connection.
tb_say "SYN cookies: listeners on both sides with tcp_syncookies=2"
for ns in "$TB_NS_SHIM" "$REF_NS"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syncookies=2 || tb_fail "cannot set tcp_syncookies in $ns"
done
set_tcp_sysctls "$TB_NS_PEER" 1 1 1
set_tcp_ecn "$TB_NS_PEER" 2
listeners 9002
cookie_variants="1,1,1 0,1,1"
for v in $cookie_variants; do
	IFS=, read -r t s w <<<"$v"
	set_tcp_sysctls "$TB_NS_PEER" "$t" "$s" "$w"
	peer_connects 9002 "peer $v, SYN cookies"
done

# The comparison: option bytes per segment, the timestamp values masked.
# Exit status 2 while a segment is still missing from the captures (tcpdump
# writes each packet as it comes: the check repeats until a deadline).
cp "$SOCKSHIM_SOURCE_DIR/tests/integration/pcap_tcp.py" "$TB_WORK/"
cat >"$TB_WORK/compare.py" <<'EOF'
import struct, sys
from pcap_tcp import tcp_segments

def segments(path):
    for ip, th, _ in tcp_segments(path):
        yield ('.'.join(map(str, ip[12:16])), struct.unpack('>H', th[0:2])[0],
               struct.unpack('>H', th[2:4])[0], th[13], bytes(th[20:(th[12] >> 4) * 4]))

def masked(opts):
    out, i = [], 0
    while i < len(opts):
        k = opts[i]
        if k in (0, 1):
            out.append('%02x' % k); i += 1; continue
        ln = opts[i + 1] if i + 1 < len(opts) else 2
        b = ['%02x' % x for x in opts[i:i + ln]]
        if k == 8 and ln == 10:
            b[2:6] = ['TV'] * 4          # TSval: a clock
            if opts[i + 6:i + 10] != b'\0\0\0\0':
                b[6:10] = ['TE'] * 4     # TSecr: the other side's clock
        out += b; i += ln
    return ' '.join(out)

def pick(path, addr):
    """Per connection to the peer: its first SYN and the ACK completing the
    handshake; and every SYN-ACK of the listeners, in order."""
    syns, acks, synacks, cookies, listeners, conns, acked = [], [], [], [], [], [], set()
    for src, sport, dport, flags, opts in segments(path):
        if src != addr:
            continue
        if dport == 9000 and flags & 0x12 == 0x02 and sport not in conns:
            conns.append(sport)
            syns.append((flags, opts))
        elif dport == 9000 and flags & 0x12 == 0x10 and sport in conns and sport not in acked:
            acked.add(sport)
            acks.append((flags, opts))
        elif sport == 9001 and flags & 0x12 == 0x12:
            synacks.append((flags, opts))
        elif sport == 9002 and flags & 0x12 == 0x12:
            cookies.append((flags, opts))
        elif sport == 9003 and flags & 0x12 == 0x12:
            listeners.append((flags, opts))
    return syns, acks, synacks, cookies, listeners

shim = pick(sys.argv[1], sys.argv[3])
ref = pick(sys.argv[2], sys.argv[4])
client_variants = sys.argv[5].split()
cookie_variants = sys.argv[6].split()
listener_variants = sys.argv[7].split()
variants = sys.argv[8:]
bad = 0
def check(what, a, b):
    global bad
    if a is None or b is None:
        print('MISSING %s: stack %s reference %s' % (what, a, b)); bad = bad or 2; return
    ma = 'flags %02x: %s' % (a[0], masked(a[1]))
    mb = 'flags %02x: %s' % (b[0], masked(b[1]))
    print('%-28s stack     %s' % (what, ma))
    print('%-28s reference %s' % ('', mb))
    if ma != mb:
        print('  DIFFERENT'); bad = 1

for i, v in enumerate(client_variants):
    at = lambda l: l[i] if i < len(l) else None
    check('SYN, own ts,sack,ws=' + v, at(shim[0]), at(ref[0]))
    check('ACK of the handshake', at(shim[1]), at(ref[1]))
# The last SYN-ACKs answered the variants; the stack's first answered the
# reachability probe, so all are there only with one more than the variants.
if len(shim[2]) < len(variants) + 1 or len(ref[2]) < len(variants):
    print('MISSING SYN-ACKs: stack %d reference %d' % (len(shim[2]), len(ref[2]))); bad = bad or 2
else:
    for i, v in enumerate(variants):
        check('SYN-ACK, peer ts,sack,ws=' + v, shim[2][-len(variants) + i], ref[2][-len(variants) + i])
if len(shim[3]) < len(cookie_variants) + 1 or len(ref[3]) < len(cookie_variants):
    print('MISSING cookie SYN-ACKs: stack %d reference %d' % (len(shim[3]), len(ref[3]))); bad = bad or 2
else:
    for i, v in enumerate(cookie_variants):
        n = len(cookie_variants)
        check('cookie SYN-ACK, peer ' + v, shim[3][-n + i], ref[3][-n + i])
n = len(listener_variants)
if len(shim[4]) < n + 1 or len(ref[4]) < n:
    print('MISSING listener SYN-ACKs: stack %d reference %d' % (len(shim[4]), len(ref[4]))); bad = bad or 2
else:
    for i, v in enumerate(listener_variants):
        check('SYN-ACK, listener changed to ' + v, shim[4][-n + i], ref[4][-n + i])
    # Not vacuous: the first change took timestamps away from the SYN-ACK.
    if bad != 2 and b'\x08\x0a' in shim[4][-n][1]:
        print('the SYN-ACK after tcp_timestamps=0 carries a timestamp'); bad = 1
# Not vacuous: with the defaults the SYN carries all four options in 20 bytes.
if shim[0] and len(shim[0][0][1]) != 20:
    print('the SYN carries %d option bytes, not 20' % len(shim[0][0][1])); bad = 1
# Not vacuous either: the tcp_ecn=1 SYN asks for ECN, its SYN-ACKs agree.
# Only once the captures hold everything (bad 2: the last ones may still come).
if bad != 2 and shim[0][-1][0] != 0xc2:
    print('the tcp_ecn=1 SYN has flags %02x, not ECE|CWR|SYN' % shim[0][-1][0]); bad = 1
if bad != 2 and shim[2][-1][0] != 0x52:
    print('the SYN-ACK to an ECN SYN has flags %02x, not ECE|ACK|SYN' % shim[2][-1][0]); bad = 1
sys.exit(bad)
EOF
compare() {
	"$TB_PY" "$TB_WORK/compare.py" "$TB_WORK/cap1.pcap" "$TB_WORK/cap2.pcap" "$TB_SHIM_ADDR" \
		"$REF_ADDR" "$client_variants" "$cookie_variants" "$listener_variants" $variants >"$TB_WORK/compare.log" 2>&1
}
for _ in $(seq 1 100); do
	compare
	rc=$?
	[ $rc = 2 ] || break
	sleep 0.1
done
testbed_ref_capture_stop
cat "$TB_WORK/compare.log"
[ $rc = 0 ] || tb_fail "option bytes differ from the kernel's (see above)"
tb_say "ok: SYN and ACK (6 own sysctl variants, one stack host), SYN-ACK (6 peer variants, 4 listener changes after listen()) and cookie SYN-ACK flags and options equal the kernel's"
testbed_test_end
