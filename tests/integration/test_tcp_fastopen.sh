#!/bin/bash
# SPDX-License-Identifier: MIT
# TCP Fast Open against the kernel, differentially: each run is done twice,
# once with the stack and once with a reference kernel in a third namespace
# joined to the peer by its own veth (10.99.1.20 <-> 10.99.1.2); the
# outcomes must be the same. tcp_fastopen = 3 (client and server) and one
# tcp_fastopen_key in all three namespaces.
#   client: a program under the shim makes two connections with
#           sendto(MSG_FASTOPEN) to a kernel TFO server on the peer: the
#           first asks for a cookie, the second carries its data in the
#           SYN (the server's TCP_INFO says so, its TcpExtTCPFastOpenPassive
#           counts it, the client's TCP_INFO has TCPI_OPT_SYN_DATA);
#   server: the peer's kernel client does the same to a TCP_FASTOPEN
#           listener under the shim: the listener reads the SYN's data
#           and the kernel client sees it acknowledged (TcpExtTCPFastOpenActive);
#   cookies: every cookie on the wire is SipHash-2-4 of the client's and
#           the server's address under the shared key, the stack's too;
#   layout: the stack's SYNs and SYN-ACKs have the flags, option layout
#           (kinds and lengths in order) and payload length of the kernel's.
#   states: sendto(MSG_FASTOPEN) on a socket past connect answers as the
#           kernel's: EALREADY connecting, the data sent once after a
#           non-blocking connect completed and EISCONN after that or a
#           blocking connect, EISCONN listening; EOPNOTSUPP in each with
#           the client bit of tcp_fastopen off.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_fastopen

KEY=00112233-44556677-8899aabb-ccddeeff
testbed_ref_up
for ns in "$TB_NS_SHIM" "$TB_NS_PEER" "$REF_NS"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_fastopen=3 net.ipv4.tcp_fastopen_key="$KEY" ||
		tb_fail "cannot set tcp_fastopen in $ns"
done

testbed_ref_capture

# A TCP_FASTOPEN listener: per connection it answers "<SYN data seen>:<what it read>".
server='import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(16)
while True:
    c,_=s.accept(); d=c.recv(100)
    info=c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    c.sendall(b"%d:%s" % (1 if info[5] & 32 else 0, d)); c.close()'
# Two blocking sendto(MSG_FASTOPEN) connections: what came back, what
# sendto returned, the client's TCPI_OPT_SYN_DATA and tcpi_fastopen_client_fail.
client='import socket,sys
for i in range(2):
    c=socket.socket()
    n=c.sendto(b"hello%d" % i, socket.MSG_FASTOPEN, (sys.argv[1], int(sys.argv[2])))
    r=c.recv(100); info=c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    print("%s sent=%d syn_data=%d client_fail=%d" % (r.decode(), n, 1 if info[5] & 32 else 0, (info[7] >> 1) & 3))
    c.close()'
# netstat_get NS NAME: a TcpExt counter of the namespace's kernel (e.g. TCPFastOpenPassive).
netstat_get() {
	ip netns exec "$1" awk -v k="$2" '/^TcpExt:/ { if (!n) { for (i = 1; i <= NF; i++) h[i] = $i; n = 1 } else for (i = 1; i <= NF; i++) if (h[i] == k) print $i }' /proc/net/netstat
}

testbed_peer "$TB_PY" -c "$server" 0.0.0.0 9000 >"$TB_WORK/peer-server.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 9000 10 || tb_fail "the peer's server did not start"

tb_say "client: two sendto(MSG_FASTOPEN) connections to the peer's TFO server, from the stack and from the reference kernel"
p0=$(netstat_get "$TB_NS_PEER" TCPFastOpenPassive)
testbed_shim timeout 60 "$TB_PY" -c "$client" "$TB_PEER_ADDR" 9000 >"$TB_WORK/shim-client.log" 2>&1 ||
	tb_fail "the client under the shim failed: $(cat "$TB_WORK/shim-client.log")"
p1=$(netstat_get "$TB_NS_PEER" TCPFastOpenPassive)
ip netns exec "$REF_NS" timeout 60 "$TB_PY" -c "$client" "$PEER_ADDR2" 9000 >"$TB_WORK/ref-client.log" 2>&1 ||
	tb_fail "the reference client failed: $(cat "$TB_WORK/ref-client.log")"
p2=$(netstat_get "$TB_NS_PEER" TCPFastOpenPassive)
tb_say "stack:     $(tr '\n' '|' <"$TB_WORK/shim-client.log")"
tb_say "reference: $(tr '\n' '|' <"$TB_WORK/ref-client.log")"
cmp -s "$TB_WORK/shim-client.log" "$TB_WORK/ref-client.log" || tb_fail "the client's outcome differs from the kernel's"
[ "$(sed -n 2p "$TB_WORK/shim-client.log")" = "1:hello1 sent=6 syn_data=1 client_fail=0" ] ||
	tb_fail "the second connection did not carry its data in the SYN"
[ $((p1 - p0)) = 1 ] && [ $((p2 - p1)) = 1 ] ||
	tb_fail "the peer's TcpExtTCPFastOpenPassive went $p0 -> $p1 (stack) -> $p2 (reference), not +1 each"
tb_say "ok: same outcome; the peer counted one Fast Open connection from each"

# TCP_FASTOPEN_CONNECT (30): with the cookie now cached, connect() returns
# at once and the first send() fills the SYN.
connect_client='import socket,sys
for i in range(2):
    c=socket.socket(); c.setsockopt(socket.IPPROTO_TCP, 30, 1)
    c.connect((sys.argv[1], int(sys.argv[2]))); n=c.send(b"again%d" % i)
    r=c.recv(100); info=c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    print("%s sent=%d syn_data=%d client_fail=%d" % (r.decode(), n, 1 if info[5] & 32 else 0, (info[7] >> 1) & 3))
    c.close()'
tb_say "client: TCP_FASTOPEN_CONNECT, connect() then send(), from the stack and from the reference kernel"
testbed_shim timeout 60 "$TB_PY" -c "$connect_client" "$TB_PEER_ADDR" 9000 >"$TB_WORK/shim-connect.log" 2>&1 ||
	tb_fail "the TCP_FASTOPEN_CONNECT client under the shim failed: $(cat "$TB_WORK/shim-connect.log")"
p3=$(netstat_get "$TB_NS_PEER" TCPFastOpenPassive)
ip netns exec "$REF_NS" timeout 60 "$TB_PY" -c "$connect_client" "$PEER_ADDR2" 9000 >"$TB_WORK/ref-connect.log" 2>&1 ||
	tb_fail "the reference TCP_FASTOPEN_CONNECT client failed: $(cat "$TB_WORK/ref-connect.log")"
p4=$(netstat_get "$TB_NS_PEER" TCPFastOpenPassive)
tb_say "stack:     $(tr '\n' '|' <"$TB_WORK/shim-connect.log")"
tb_say "reference: $(tr '\n' '|' <"$TB_WORK/ref-connect.log")"
cmp -s "$TB_WORK/shim-connect.log" "$TB_WORK/ref-connect.log" ||
	tb_fail "the TCP_FASTOPEN_CONNECT outcome differs from the kernel's"
[ "$(sed -n 1p "$TB_WORK/shim-connect.log")" = "1:again0 sent=6 syn_data=1 client_fail=0" ] ||
	tb_fail "TCP_FASTOPEN_CONNECT did not put the first send in the SYN"
[ $((p3 - p2)) = 2 ] && [ $((p4 - p3)) = 2 ] ||
	tb_fail "the peer's TcpExtTCPFastOpenPassive went $p2 -> $p3 (stack) -> $p4 (reference), not +2 each"
tb_say "ok: same outcome, every connection's first send rode in its SYN"

tb_say "server: the peer's kernel client to a TCP_FASTOPEN listener under the stack and on the reference kernel"
testbed_shim "$TB_PY" -c "$server" "$TB_SHIM_ADDR" 9001 >"$TB_WORK/shim-server.log" 2>&1 &
ip netns exec "$REF_NS" "$TB_PY" -c "$server" "$REF_ADDR" 9001 >"$TB_WORK/ref-server.log" 2>&1 &
testbed_wait_listen "$REF_NS" tcp 9001 10 || tb_fail "the reference server did not start"
# The listener under the shim has no kernel socket to see: wait for a plain connect.
ok=0
for _ in $(seq 1 100); do
	testbed_peer "$TB_PY" -c 'import socket,sys
c=socket.create_connection((sys.argv[1], 9001), timeout=5); c.sendall(b"probe"); c.recv(16)' "$TB_SHIM_ADDR" \
		>/dev/null 2>&1 && ok=1 && break
	sleep 0.1
done
[ $ok = 1 ] || tb_fail "the server under the shim is not reachable"
a0=$(netstat_get "$TB_NS_PEER" TCPFastOpenActive)
testbed_peer timeout 60 "$TB_PY" -c "$client" "$TB_SHIM_ADDR" 9001 >"$TB_WORK/peer-to-shim.log" 2>&1 ||
	tb_fail "the peer's client to the stack failed: $(cat "$TB_WORK/peer-to-shim.log")"
a1=$(netstat_get "$TB_NS_PEER" TCPFastOpenActive)
testbed_peer timeout 60 "$TB_PY" -c "$client" "$REF_ADDR" 9001 >"$TB_WORK/peer-to-ref.log" 2>&1 ||
	tb_fail "the peer's client to the reference failed: $(cat "$TB_WORK/peer-to-ref.log")"
a2=$(netstat_get "$TB_NS_PEER" TCPFastOpenActive)
tb_say "to the stack:     $(tr '\n' '|' <"$TB_WORK/peer-to-shim.log")"
tb_say "to the reference: $(tr '\n' '|' <"$TB_WORK/peer-to-ref.log")"
cmp -s "$TB_WORK/peer-to-shim.log" "$TB_WORK/peer-to-ref.log" || tb_fail "the server's outcome differs from the kernel's"
[ "$(sed -n 2p "$TB_WORK/peer-to-shim.log")" = "1:hello1 sent=6 syn_data=1 client_fail=0" ] ||
	tb_fail "the stack's listener did not take the SYN's data"
[ $((a1 - a0)) = 1 ] && [ $((a2 - a1)) = 1 ] ||
	tb_fail "the peer's TcpExtTCPFastOpenActive went $a0 -> $a1 (stack) -> $a2 (reference), not +1 each"
tb_say "ok: same outcome; the peer's client had its SYN data acknowledged by both"

# Every cookie on the wire (kind 34, 8 bytes), SYN-ACKs of the stack and of
# the kernels, against SipHash-2-4 of (client, server) under the key.
cp "$SOCKSHIM_SOURCE_DIR/tests/integration/pcap_tcp.py" "$TB_WORK/"
cat >"$TB_WORK/cookies.py" <<'EOF'
import struct, sys
from pcap_tcp import tcp_segments

def segments(path):
    for ip, th, paylen in tcp_segments(path):
        yield ip[12:16], ip[16:20], th[13], bytes(th[20:(th[12] >> 4) * 4]), paylen

def layout(flags, opts, paylen):
    out, i = ['flags %02x:' % flags], 0
    while i < len(opts):
        if opts[i] in (0, 1):
            out.append('nop' if opts[i] else 'eol'); i += 1; continue
        out.append('%d/%d' % (opts[i], opts[i + 1])); i += max(opts[i + 1], 2)
    return ' '.join(out + ['len %d' % paylen])

def cookie(opts):
    i = 0
    while i < len(opts):
        if opts[i] in (0, 1):
            i += 1
            continue
        if opts[i] == 34 and opts[i + 1] == 10:
            return opts[i + 2:i + 10]
        i += max(opts[i + 1], 2)
    return None

M = (1 << 64) - 1
def rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & M

def siphash24(key, msg):
    k0, k1 = struct.unpack('<QQ', key)
    v = [k0 ^ 0x736f6d6570736575, k1 ^ 0x646f72616e646f6d, k0 ^ 0x6c7967656e657261, k1 ^ 0x7465646279746573]
    def rnd():
        v[0] = (v[0] + v[1]) & M; v[1] = rotl(v[1], 13) ^ v[0]; v[0] = rotl(v[0], 32)
        v[2] = (v[2] + v[3]) & M; v[3] = rotl(v[3], 16) ^ v[2]
        v[0] = (v[0] + v[3]) & M; v[3] = rotl(v[3], 21) ^ v[0]
        v[2] = (v[2] + v[1]) & M; v[1] = rotl(v[1], 17) ^ v[2]; v[2] = rotl(v[2], 32)
    b = len(msg) << 56
    for (m,) in struct.iter_unpack('<Q', msg):
        v[3] ^= m; rnd(); rnd(); v[0] ^= m
    v[3] ^= b; rnd(); rnd(); v[0] ^= b; v[2] ^= 0xff
    for _ in range(4):
        rnd()
    return struct.pack('<Q', v[0] ^ v[1] ^ v[2] ^ v[3])

key = b''.join(struct.pack('<I', int(w, 16)) for w in sys.argv[1].split('-'))
addrs = sys.argv[2].split(',')
servers = set(addrs)
seen = {}
syns = {addrs[0]: [], addrs[1]: []}
synacks = {addrs[0]: [], addrs[1]: []}
bad = 0
for path in sys.argv[3:]:
    for src, dst, flags, opts, paylen in segments(path):
        c = cookie(opts)
        srcs = '.'.join(map(str, src))
        if srcs in syns and flags & 0x12 == 0x02:
            syns[srcs].append(layout(flags, opts, paylen))
        elif srcs in syns and flags & 0x12 == 0x12:
            synacks[srcs].append(layout(flags, opts, paylen))
        if c is None or flags & 0x12 != 0x12 or srcs not in servers:
            continue
        want = siphash24(key, dst + src)
        seen[srcs] = seen.get(srcs, 0) + 1
        print('%s -> %s cookie %s expected %s' % (srcs, '.'.join(map(str, dst)), c.hex(), want.hex()))
        if c != want:
            bad = 1
missing = servers - set(seen)
if missing or len(syns[addrs[0]]) < 4 or len(syns[addrs[1]]) < 4 or len(synacks[addrs[1]]) < 2:
    print('no cookie SYN-ACK yet from', ' '.join(sorted(missing)))
    sys.exit(2)
# The four client SYNs, and the SYN-ACKs of the two Fast Open connections
# (the stack's listener also answered a reachability probe first).
pairs = list(zip(syns[addrs[0]], syns[addrs[1]])) + list(zip(synacks[addrs[0]][-2:], synacks[addrs[1]][-2:]))
for a, b in pairs:
    print('stack     %s\nreference %s' % (a, b))
    if a != b:
        print('  DIFFERENT'); bad = 1
if not any('34/10' in a and not a.endswith('len 0') for a in syns[addrs[0]]):
    print('no SYN of the stack carried a cookie and data'); bad = 1
sys.exit(bad)
EOF
for _ in $(seq 1 100); do
	"$TB_PY" "$TB_WORK/cookies.py" "$KEY" "$TB_SHIM_ADDR,$REF_ADDR,$TB_PEER_ADDR,$PEER_ADDR2" \
		"$TB_WORK/cap1.pcap" "$TB_WORK/cap2.pcap" >"$TB_WORK/cookies.log" 2>&1
	rc=$?
	[ $rc = 2 ] || break
	sleep 0.1
done
testbed_ref_capture_stop
cat "$TB_WORK/cookies.log"
[ $rc = 0 ] || tb_fail "a cookie is not the kernel's SipHash of the addresses under the key, or a SYN's layout differs"
tb_say "ok: the stack's and the kernels' cookies are SipHash-2-4 of (client, server) under tcp_fastopen_key; SYN and SYN-ACK layouts equal the kernel's"

# MSG_FASTOPEN in each state past connect; a host that never answers (.77) keeps a SYN pending.
states='import errno,select,socket,sys
peer=(sys.argv[1], 9000); silent=(sys.argv[1].rsplit(".", 1)[0] + ".77", 9000)
def fo(what, s, to):
    try: r=s.sendto(b"x", socket.MSG_FASTOPEN, to) if to else s.send(b"x", socket.MSG_FASTOPEN)
    except OSError as e: r=errno.errorcode[e.errno]
    print(what, "to" if to else "no address", r)
def nb_connect(to):
    s=socket.socket(); s.setblocking(False)
    try: s.connect(to)
    except BlockingIOError: pass
    return s
s=nb_connect(silent)
fo("connecting", s, silent); fo("connecting", s, None); fo("connecting elsewhere", s, peer)
s=nb_connect(peer)
select.select([], [s], [], 30)
fo("connected without a second connect", s, peer); fo("connected without a second connect", s, None)
s=socket.socket(); s.connect(peer)
fo("connected", s, peer); fo("connected", s, None)
l=socket.socket(); l.bind(("0.0.0.0", 0)); l.listen(1)
fo("listening", l, peer); fo("listening", l, None)'
for bits in 3 2; do
	tb_say "states: sendto(MSG_FASTOPEN) past connect, tcp_fastopen=$bits, from the stack and from the reference kernel"
	ip netns exec "$TB_NS_SHIM" sysctl -qw net.ipv4.tcp_fastopen=$bits &&
		ip netns exec "$REF_NS" sysctl -qw net.ipv4.tcp_fastopen=$bits || tb_fail "cannot set tcp_fastopen=$bits"
	testbed_shim timeout 60 "$TB_PY" -c "$states" "$TB_PEER_ADDR" >"$TB_WORK/shim-states$bits.log" 2>&1 ||
		tb_fail "the states program under the shim failed: $(cat "$TB_WORK/shim-states$bits.log")"
	ip netns exec "$REF_NS" timeout 60 "$TB_PY" -c "$states" "$PEER_ADDR2" >"$TB_WORK/ref-states$bits.log" 2>&1 ||
		tb_fail "the reference states program failed: $(cat "$TB_WORK/ref-states$bits.log")"
	diff -u "$TB_WORK/ref-states$bits.log" "$TB_WORK/shim-states$bits.log" >"$TB_WORK/states.diff" ||
		tb_fail "MSG_FASTOPEN past connect differs from the kernel's: $(cat "$TB_WORK/states.diff")"
	tb_say "ok: $(tr '\n' '|' <"$TB_WORK/ref-states$bits.log")"
done
testbed_test_end
