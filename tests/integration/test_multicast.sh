#!/bin/bash
# SPDX-License-Identifier: MIT
# Multicast and broadcast against the kernel.
#
# 1. Differential: tests/progs/mcast_semantics runs natively in the peer
#    namespace (the kernel, with a default route so that groups and the
#    limited broadcast route through its veth) and under the shim (with a
#    gateway, SOCKSHIM_GATEWAY, for every shim program of this test, so
#    that they route through the stack's device alike; without either,
#    test_bcast_noroute.sh); every line must agree: joins,
#    leaves, source filters, IP_MSFILTER, MCAST_*, IP_MULTICAST_*,
#    SO_BINDTODEVICE, local delivery with IP_MULTICAST_LOOP/ALL, SO_BROADCAST.
# 2. On the wire, seen from the peer namespace by an AF_PACKET capture of
#    the stack's frames: a join sends IGMPv3 TO_EX{} reports (robustness 2)
#    to 224.0.0.22 with TTL 1 and Router Alert; a kernel peer's multicast
#    reaches the member under the shim; a v3 general query is answered with
#    IS_EX; a source-specific join sends ALLOW{S} and its leave BLOCK{S};
#    the stack's own multicast leaves with TTL 1 to the group's MAC and a
#    kernel member receives it; socat's ip-add-membership works through the
#    shim; after a v2 query the stack answers with a v2 report and leaves
#    with a v2 leave to 224.0.0.2.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin multicast

prog=$SOCKSHIM_BUILD_DIR/tests/mcast_semantics
[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"
PY=$TB_PY

ip -n "$TB_NS_PEER" route add default dev "$TB_IF_PEER" || tb_fail "cannot add the peer's default route"
export SOCKSHIM_GATEWAY=$TB_PEER_ADDR

# capture.py IFACE SRC: the IGMP and multicast UDP frames SRC sends, one line each.
cat >"$TB_WORK/capture.py" <<'PY'
import socket, struct, sys
iface, src = sys.argv[1], socket.inet_aton(sys.argv[2])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((iface, 0))
print("ready", flush=True)
while True:
    f = s.recv(65535)
    if len(f) < 34 or f[12:14] != b"\x08\x00" or f[26:30] != src:
        continue
    dmac = f[0:6].hex(":")
    ihl = (f[14] & 15) * 4
    ttl, proto, dst = f[22], f[23], socket.inet_ntoa(f[30:34])
    ra = int(ihl > 20 and f[34] == 0x94)
    p = f[14 + ihl:]
    head = "ttl=%d ra=%d dst=%s dmac=%s" % (ttl, ra, dst, dmac)
    if proto == 2 and p[0] == 0x22:
        n, off, recs = struct.unpack("!H", p[6:8])[0], 8, []
        for _ in range(n):
            t, aux, ns = p[off], p[off + 1], struct.unpack("!H", p[off + 2:off + 4])[0]
            g = socket.inet_ntoa(p[off + 4:off + 8])
            srcs = [socket.inet_ntoa(p[off + 8 + 4 * i:off + 12 + 4 * i]) for i in range(ns)]
            recs.append("%d:%s:%s" % (t, g, ",".join(srcs)))
            off += 8 + 4 * ns + 4 * aux
        print("igmpv3 %s recs=%s" % (head, " ".join(recs)), flush=True)
    elif proto == 2:
        names = {0x12: "v1report", 0x16: "v2report", 0x17: "v2leave"}
        print("igmp %s %s group=%s" % (names.get(p[0], hex(p[0])), head, socket.inet_ntoa(p[4:8])), flush=True)
    elif proto == 17 and f[30] >= 224:
        print("udp %s data=%s" % (head, p[8:].decode(errors="replace")), flush=True)
PY

# member.py GROUP PORT [SOURCE]: joins (source-specific with SOURCE), prints
# "joined", then every datagram; "leave" drops the membership and exits.
cat >"$TB_WORK/member.py" <<'PY'
import socket, struct, sys
group, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port))
if len(sys.argv) > 3:
    opt = socket.inet_aton(group) + socket.inet_aton("0.0.0.0") + socket.inet_aton(sys.argv[3])
    s.setsockopt(socket.IPPROTO_IP, 39, opt)  # IP_ADD_SOURCE_MEMBERSHIP (not in Python's socket)
    drop = 40  # IP_DROP_SOURCE_MEMBERSHIP
else:
    opt = struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton("0.0.0.0"))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, opt)
    drop = socket.IP_DROP_MEMBERSHIP
print("joined", flush=True)
while True:
    data, addr = s.recvfrom(2048)
    print("got %s from %s" % (data.decode(), addr[0]), flush=True)
    if data == b"leave":
        s.setsockopt(socket.IPPROTO_IP, drop, opt)
        print("left", flush=True)
        break
PY

# send.py ADDR PORT TEXT [IFADDR]: one datagram, multicast out of IFADDR if given.
cat >"$TB_WORK/send.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if len(sys.argv) > 4:
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[4]))
s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))
PY

# query.py VERSION CODE: an IGMP general query from the peer to 224.0.0.1
# (v3: 12 bytes, QRV 2, QQIC 125; v2: 8 bytes), with Router Alert.
cat >"$TB_WORK/query.py" <<'PY'
import socket, struct, sys
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff)
    return ~(t + (t >> 16)) & 0xffff
version, code = int(sys.argv[1]), int(sys.argv[2])
m = struct.pack("!BBH4s", 0x11, code, 0, bytes(4))
if version == 3:
    m += struct.pack("!BBH", 2, 125, 0)
m = m[:2] + struct.pack("!H", csum(m)) + m[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_IGMP)
s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, b"\x94\x04\x00\x00")
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[3]))
s.sendto(m, ("224.0.0.1", 0))
PY

# wait_for FILE PATTERN COUNT SECONDS: until FILE has COUNT lines matching PATTERN.
wait_for() {
	local file=$1 pat=$2 count=$3 secs=$4 i
	for i in $(seq 1 $((secs * 20))); do
		[ "$(grep -cE -- "$pat" "$file" 2>/dev/null)" -ge "$count" ] && return 0
		sleep 0.05
	done
	return 1
}
cap=$TB_WORK/capture.txt

testbed_peer "$PY" -u "$TB_WORK/capture.py" "$TB_IF_PEER" "$TB_SHIM_ADDR" >"$cap" 2>"$TB_WORK/capture.log" &
wait_for "$cap" '^ready' 1 10 || tb_fail "the capture did not start: $(cat "$TB_WORK/capture.log")"

tb_say "join under the shim: IGMPv3 TO_EX{} reports, TTL 1, Router Alert, to 224.0.0.22"
testbed_shim "$PY" -u "$TB_WORK/member.py" 239.1.2.3 5000 >"$TB_WORK/member.txt" 2>&1 &
report='^igmpv3 ttl=1 ra=1 dst=224.0.0.22 dmac=01:00:5e:00:00:16 recs=(.* )?4:239\.1\.2\.3:( |$)'
wait_for "$cap" "$report" 2 10 ||
	tb_fail "expected two TO_EX reports for 239.1.2.3, saw:
$(cat "$cap")"
tb_say "ok: $(grep -cE "$report" "$cap") TO_EX reports"

tb_say "a kernel peer's multicast reaches the member under the shim"
testbed_peer "$PY" "$TB_WORK/send.py" 239.1.2.3 5000 "from-the-kernel" "$TB_PEER_ADDR"
wait_for "$TB_WORK/member.txt" "^got from-the-kernel from $TB_PEER_ADDR\$" 1 10 ||
	tb_fail "the member did not receive the peer's multicast: $(cat "$TB_WORK/member.txt")"
tb_say "ok: received"

tb_say "an IGMPv3 general query is answered with IS_EX{} for the group"
testbed_peer "$PY" "$TB_WORK/query.py" 3 10 "$TB_PEER_ADDR" || tb_fail "cannot send the query"
wait_for "$cap" '^igmpv3 ttl=1 ra=1 dst=224.0.0.22 .* recs=(.* )?2:239\.1\.2\.3:( |$)' 1 10 ||
	tb_fail "no IS_EX answer to the general query:
$(cat "$cap")"
grep -E '^igmpv3' "$cap" | grep -qE '224\.0\.0\.1:' && tb_fail "224.0.0.1 was reported"
tb_say "ok: answered"

tb_say "source-specific join: ALLOW{peer}, its leave BLOCK{peer}"
testbed_shim "$PY" -u "$TB_WORK/member.py" 232.1.1.1 5002 "$TB_PEER_ADDR" >"$TB_WORK/ssm.txt" 2>&1 &
wait_for "$cap" "recs=(.* )?5:232\.1\.1\.1:$TB_PEER_ADDR( |\$)" 2 10 ||
	tb_fail "expected ALLOW{$TB_PEER_ADDR} for 232.1.1.1 ($(cat "$TB_WORK/ssm.txt")):
$(cat "$cap")"
testbed_peer "$PY" "$TB_WORK/send.py" 232.1.1.1 5002 "leave" "$TB_PEER_ADDR"
wait_for "$TB_WORK/ssm.txt" '^left' 1 10 || tb_fail "the SSM member did not leave: $(cat "$TB_WORK/ssm.txt")"
wait_for "$cap" "recs=(.* )?6:232\.1\.1\.1:$TB_PEER_ADDR( |\$)" 2 10 ||
	tb_fail "expected BLOCK{$TB_PEER_ADDR} for 232.1.1.1:
$(cat "$cap")"
tb_say "ok: ALLOW and BLOCK"

tb_say "the stack's multicast: TTL 1 to the group's MAC, a kernel member receives it"
testbed_peer "$PY" -u "$TB_WORK/member.py" 239.1.2.4 6000 >"$TB_WORK/peer-member.txt" 2>&1 &
wait_for "$TB_WORK/peer-member.txt" '^joined' 1 10 || tb_fail "the kernel member did not start"
testbed_shim "$PY" "$TB_WORK/send.py" 239.1.2.4 6000 "from-the-shim" ||
	tb_fail "sending from the shim failed"
wait_for "$cap" '^udp ttl=1 ra=0 dst=239.1.2.4 dmac=01:00:5e:01:02:04 data=from-the-shim$' 1 10 ||
	tb_fail "the stack's multicast was not seen as expected:
$(cat "$cap")"
wait_for "$TB_WORK/peer-member.txt" "^got from-the-shim from $TB_SHIM_ADDR\$" 1 10 ||
	tb_fail "the kernel member did not receive it: $(cat "$TB_WORK/peer-member.txt")"
tb_say "ok: sent and received"

tb_say "socat UDP4-RECV with ip-add-membership under the shim"
testbed_shim socat -u UDP4-RECV:5001,ip-add-membership=239.1.2.5:"$TB_SHIM_ADDR" \
	OPEN:"$TB_WORK/socat.out",creat >"$TB_WORK/socat.log" 2>&1 &
wait_for "$cap" 'recs=(.* )?4:239\.1\.2\.5:( |$)' 1 10 || tb_fail "socat's join was not reported: $(cat "$TB_WORK/socat.log")"
testbed_peer "$PY" "$TB_WORK/send.py" 239.1.2.5 5001 "to-socat" "$TB_PEER_ADDR"
wait_for "$TB_WORK/socat.out" '^to-socat$' 1 10 ||
	tb_fail "socat did not receive the group's datagram: $(cat "$TB_WORK/socat.log")"
tb_say "ok: socat received it"

tb_say "an IGMPv2 query: v2 report for the group, then a v2 leave to 224.0.0.2"
testbed_peer "$PY" "$TB_WORK/query.py" 2 10 "$TB_PEER_ADDR" || tb_fail "cannot send the v2 query"
wait_for "$cap" '^igmp v2report ttl=1 ra=1 dst=239.1.2.3 dmac=01:00:5e:01:02:03 group=239.1.2.3$' 1 10 ||
	tb_fail "no v2 report after the v2 query:
$(cat "$cap")"
testbed_peer "$PY" "$TB_WORK/send.py" 239.1.2.3 5000 "leave" "$TB_PEER_ADDR"
wait_for "$TB_WORK/member.txt" '^left' 1 10 || tb_fail "the member did not leave: $(cat "$TB_WORK/member.txt")"
wait_for "$cap" '^igmp v2leave ttl=1 ra=1 dst=224.0.0.2 dmac=01:00:5e:00:00:02 group=239.1.2.3$' 1 10 ||
	tb_fail "no v2 leave:
$(cat "$cap")"
grep -qE 'recs=3:239\.1\.2\.3' "$cap" && tb_fail "a v3 TO_IN was sent in v2 mode"
tb_say "ok: v2 report and leave"

tb_say "differential: mcast_semantics natively (kernel) and under the shim"
testbed_peer "$prog" "$TB_IF_PEER" "$TB_PEER_ADDR" "$TB_SHIM_ADDR" >"$TB_WORK/native.txt" 2>&1 ||
	tb_fail "native run failed: $(tail -3 "$TB_WORK/native.txt")"
testbed_shim "$prog" "$TB_IF_SHIM" "$TB_SHIM_ADDR" "$TB_PEER_ADDR" >"$TB_WORK/shim.txt" 2>&1 ||
	tb_fail "shim run failed: $(tail -3 "$TB_WORK/shim.txt")"
[ "$(wc -l <"$TB_WORK/native.txt")" -gt 100 ] || tb_fail "the native run printed too little"
diff -u "$TB_WORK/native.txt" "$TB_WORK/shim.txt" >"$TB_WORK/diff.txt" ||
	tb_fail "kernel and shim differ:
$(cat "$TB_WORK/diff.txt")"
tb_say "ok: $(wc -l <"$TB_WORK/native.txt") lines agree"

testbed_test_end
