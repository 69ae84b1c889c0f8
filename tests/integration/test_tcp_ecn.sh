#!/bin/bash
# SPDX-License-Identifier: MIT
# ECN (RFC 3168) against the kernel, differentially: with tcp_ecn=1 a
# client under the shim and one on a reference kernel (a third namespace
# joined to the peer by its own veth) each send 300 KB to the peer's kernel,
# while nftables on the peer marks every ECT(0) packet to the server CE, as
# a congested router would. Both must negotiate ECN, send new data as
# ECT(0) and retransmissions as Not-ECT, answer the peer's ECE with CWR, see
# their data delivered whole, and report the same in TCP_INFO (ECN on,
# segments echoed CE).
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_ecn

testbed_ref_up
for ns in "$TB_NS_SHIM" "$REF_NS"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_ecn=1 || tb_fail "cannot set tcp_ecn in $ns"
done
ip netns exec "$TB_NS_PEER" nft -f - <<'EOF' || tb_fail "cannot install the CE marking rule"
table ip ce_mark {
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		tcp dport 9100 ip ecn ect0 ip ecn set ce counter
	}
}
EOF
testbed_ref_capture

# The server: reads to EOF, answers with the bytes and its TCP_INFO's ECN bits.
server='import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 9100)); s.listen(16)
while True:
    c,_=s.accept(); n=0
    while True:
        d=c.recv(65536)
        if not d: break
        n+=len(d)
    o=c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)[5]
    c.sendall(b"server got %d ecn=%d ecn_seen=%d" % (n, (o >> 3) & 1, (o >> 4) & 1)); c.close()'
# The client: 300 KB, then its own TCP_INFO: ECN on, and whether the peer echoed CE.
client='import socket,struct,sys
c=socket.create_connection((sys.argv[1], 9100)); c.sendall(b"x" * 300000)
info=c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)
c.shutdown(socket.SHUT_WR); r=c.recv(100).decode()
print("%s | client ecn=%d delivered_ce>0=%d" % (r, (info[5] >> 3) & 1, struct.unpack_from("I", info, 196)[0] > 0))'

testbed_peer "$TB_PY" -c "$server" >"$TB_WORK/server.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" tcp 9100 10 || tb_fail "the peer's server did not start"
testbed_shim timeout 60 "$TB_PY" -c "$client" "$TB_PEER_ADDR" >"$TB_WORK/shim.log" 2>&1 ||
	tb_fail "the client under the shim failed: $(cat "$TB_WORK/shim.log")"
ip netns exec "$REF_NS" timeout 60 "$TB_PY" -c "$client" "$PEER_ADDR2" >"$TB_WORK/ref.log" 2>&1 ||
	tb_fail "the reference client failed: $(cat "$TB_WORK/ref.log")"
tb_say "stack:     $(cat "$TB_WORK/shim.log")"
tb_say "reference: $(cat "$TB_WORK/ref.log")"
cmp -s "$TB_WORK/shim.log" "$TB_WORK/ref.log" || tb_fail "the outcome differs from the kernel's"
[ "$(cat "$TB_WORK/shim.log")" = "server got 300000 ecn=1 ecn_seen=1 | client ecn=1 delivered_ce>0=1" ] ||
	tb_fail "not an ECN connection that saw CE"
ip netns exec "$TB_NS_PEER" nft list table ip ce_mark | grep -q 'counter packets [1-9]' ||
	tb_fail "the peer marked nothing CE"

# The wire, as the peer saw it before marking: per sender, the SYN's flags,
# new data ECT(0) and resent data Not-ECT, CWR sent, ECE received.
cp "$SOCKSHIM_SOURCE_DIR/tests/integration/pcap_tcp.py" "$TB_WORK/"
cat >"$TB_WORK/wire.py" <<'EOF'
import struct, sys
from pcap_tcp import tcp_segments

def segments(path):
    for ip, th, paylen in tcp_segments(path):
        yield (struct.unpack('>H', th[2:4])[0], struct.unpack('>H', th[0:2])[0], th[13],
               ip[1] & 3, struct.unpack('>I', th[4:8])[0], paylen)

# Exit status 2 while the capture still lacks a connection's end (tcpdump
# hands packets over in blocks: the check repeats until a deadline).
bad = 0
for path, who in ((sys.argv[1], 'stack'), (sys.argv[2], 'reference')):
    syn = None; top = 0; new_ect = new_other = re_ect = re_not = cwr = ece = 0
    for dport, sport, flags, ecn, seq, n in segments(path):
        if dport == 9100:
            if flags & 0x02:
                syn = flags
                top = (seq + 1) & 0xffffffff
            elif n > 0:
                # New data starts at the highest byte sent so far (GSO frames carry several).
                if (seq - top) & 0x80000000:
                    re_ect += ecn != 0; re_not += ecn == 0
                else:
                    new_ect += ecn == 2; new_other += ecn != 2
                    top = (seq + n) & 0xffffffff
                cwr += (flags & 0x80) != 0
        elif sport == 9100 and not flags & 0x02:
            ece += (flags & 0x40) != 0
    print('%-9s SYN flags %s, new data %d ECT(0) %d other, resent %d Not-ECT %d ECT, CWR %d, ECE received %d'
          % (who, syn is not None and '%02x' % syn, new_ect, new_other, re_not, re_ect, cwr, ece))
    if syn is None or new_ect + new_other < 300000 // 65536:
        bad = 2
    elif bad != 2 and (syn != 0xc2 or not new_ect or new_other or re_ect or not cwr or not ece):
        bad = 1
sys.exit(bad)
EOF
for _ in $(seq 1 100); do
	"$TB_PY" "$TB_WORK/wire.py" "$TB_WORK/cap1.pcap" "$TB_WORK/cap2.pcap" >"$TB_WORK/wire.log" 2>&1
	rc=$?
	[ $rc = 2 ] || break
	sleep 0.1
done
testbed_ref_capture_stop
cat "$TB_WORK/wire.log"
[ $rc = 0 ] || tb_fail "the ECN marks on the wire are not the kernel's"
tb_say "ok: both negotiated ECN, sent new data ECT(0), answered ECE with CWR, delivered all"
testbed_test_end
