#!/bin/bash
# SPDX-License-Identifier: MIT
# Hostile frames from the wire (issue 9): a python3 TCP server and a UDP
# echo run under the shim; the kernel side injects, with an AF_PACKET raw
# socket, a "land" SYN and a land datagram to the echo port (the stack's
# own address as source and destination), a VLAN-tagged SYN, a
# source-routed SYN, a SYN with a malformed IP option and SYNs from martian
# sources, capturing everything the stack sends back. Then:
#  - the only answer on the wire is the ICMP parameter problem the kernel
#    too sends for the malformed option (no SYN-ACK, no echo, nothing else);
#  - martian sources, VLAN tags, malformed options, source routes, and
#    pings with record-route and timestamp options get the kernel's own
#    answers: the same frames sent to the kernel peer and to the stack,
#    answers compared;
#  - `sockshim stat` shows each drop under the kernel's counter name;
#  - the stack host is idle (it used to spin for ever on the land packet)
#    and still serving: a TCP transfer, a UDP echo and ping all work.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin hostile_frames

TCP_PORT=8080
UDP_PORT=9007

cat >"$TB_WORK/server.py" <<'EOF'
# Under the shim: a TCP server answering each upload with its SHA-256, and a UDP echo.
import hashlib, socket, sys, threading

tcp_port, udp_port = int(sys.argv[1]), int(sys.argv[2])

def serve(conn):
    h = hashlib.sha256()
    with conn:
        while True:
            b = conn.recv(65536)
            if not b:
                break
            h.update(b)
        conn.sendall(h.hexdigest().encode())

def tcp():
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()

def udp():
    while True:
        data, peer = usock.recvfrom(2048)
        usock.sendto(data, peer)

lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("0.0.0.0", tcp_port))
lsock.listen(16)
usock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
usock.bind(("0.0.0.0", udp_port))
threading.Thread(target=udp, daemon=True).start()
print("ready", flush=True)
tcp()
EOF

cat >"$TB_WORK/client.py" <<'EOF'
# Kernel side: one TCP upload checked by its digest, one UDP echo round trip.
import hashlib, os, socket, sys

addr, tcp_port, udp_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = os.urandom(1 << 20)
with socket.create_connection((addr, tcp_port), timeout=30) as s:
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        got += b
if got.decode() != hashlib.sha256(data).hexdigest():
    sys.exit("tcp: digest mismatch: %r" % got[:80])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(2)
msg = os.urandom(32).hex().encode()
for _ in range(5):
    u.sendto(msg, (addr, udp_port))
    try:
        if u.recvfrom(2048)[0] == msg:
            print("tcp ok, udp ok")
            sys.exit(0)
    except socket.timeout:
        pass
sys.exit("udp: no echo in 5 tries")
EOF

cat >"$TB_WORK/hostile.py" <<'EOF'
# Kernel side: inject the hostile frames with AF_PACKET and capture what the
# stack sends until the answer to a marker ping shows it has handled them all.
import socket, struct, sys, time

ifname, peer_ip, shim_ip, shim_mac, tcp_port, udp_port = sys.argv[1:7]
tcp_port, udp_port = int(tcp_port), int(udp_port)
shim_mac = bytes.fromhex(shim_mac.replace(":", ""))
peer_mac = bytes.fromhex(open("/sys/class/net/%s/address" % ifname).read().strip().replace(":", ""))
MALFORMED_SPORT = 40005

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def ip_packet(src, dst, proto, payload, opts=b""):
    ihl = 5 + len(opts) // 4
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(payload), 0x4242, 0, 64, proto, 0, s, d) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload

def l4(src, dst, proto, seg):
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, proto, len(seg))
    c = csum(pseudo + seg)
    off = 16 if proto == 6 else 6
    return seg[:off] + struct.pack("!H", c) + seg[off + 2:]

def syn(src, dst, sport, dport, opts=b""):
    seg = struct.pack("!HHIIBBHHH", sport, dport, 0x1000, 0, 5 << 4, 0x02, 64240, 0, 0)
    return ip_packet(src, dst, 6, l4(src, dst, 6, seg), opts)

def udp(src, dst, sport, dport, data):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    return ip_packet(src, dst, 17, l4(src, dst, 17, seg))

def eth(ip, vlan=None):
    tag = struct.pack("!HH", 0x8100, vlan) if vlan is not None else b""
    return shim_mac + peer_mac + tag + b"\x08\x00" + ip

frames = [
    ("land SYN", eth(syn(shim_ip, shim_ip, tcp_port, tcp_port))),
    ("land UDP to the echo port", eth(udp(shim_ip, shim_ip, udp_port, udp_port, b"land"))),
    ("VLAN 5 SYN", eth(syn(peer_ip, shim_ip, 40003, tcp_port), vlan=5)),
    ("LSRR SYN", eth(syn(peer_ip, shim_ip, 40004, tcp_port, b"\x83\x07\x04" + socket.inet_aton(peer_ip) + b"\x00"))),
    ("malformed option SYN", eth(syn(peer_ip, shim_ip, MALFORMED_SPORT, tcp_port, b"\x07\x00\x04\x00"))),
    ("127.0.0.1 source SYN", eth(syn("127.0.0.1", shim_ip, 40006, tcp_port))),
    ("224.0.0.5 source SYN", eth(syn("224.0.0.5", shim_ip, 40007, tcp_port))),
]

cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
cap.bind((ifname, 0))
cap.setblocking(False)
inj = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
inj.bind((ifname, 0))
for name, f in frames:
    inj.send(f)
    print("sent:", name, flush=True)

# The stack answers in order: once the marker ping is answered, every
# hostile frame has been handled and any immediate answer is on the wire.
ping = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
marker = struct.pack("!BBHHH", 8, 0, 0, 0x4d4b, 1) + b"marker"
marker = marker[:2] + struct.pack("!H", csum(marker)) + marker[4:]
bad, parmprobs, deadline, next_ping = [], 0, time.time() + 30, 0
while True:
    now = time.time()
    if now > deadline:
        sys.exit("no answer to the marker ping in 30 s: the stack host is not serving")
    if now >= next_ping:
        ping.sendto(marker, (shim_ip, 0))
        next_ping = now + 1
    try:
        f, sll = cap.recvfrom(65536)
    except BlockingIOError:
        time.sleep(0.01)
        continue
    if sll[2] == socket.PACKET_OUTGOING or f[6:12] != shim_mac:
        continue
    etype = struct.unpack("!H", f[12:14])[0]
    if etype == 0x0806:
        continue  # ARP keeps the neighbours fresh; not an answer
    if etype != 0x0800:
        bad.append("ethertype %#x" % etype)
        continue
    ip = f[14:]
    ihl = (ip[0] & 15) * 4
    proto, src, dst = ip[9], socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
    body = ip[ihl:]
    if proto == 1 and body[0] == 0 and body[4:6] == b"\x4d\x4b":
        break  # the marker's echo reply
    if proto == 1 and body[0] == 12:
        q = body[8:]
        qsport = struct.unpack("!H", q[(q[0] & 15) * 4:][:2])[0]
        if qsport == MALFORMED_SPORT and body[4] == 20:
            parmprobs += 1
            continue
    bad.append("proto %d %s -> %s %s" % (proto, src, dst, body[:20].hex()))
print("parameter problems:", parmprobs)
for b in bad:
    print("unexpected answer:", b)
sys.exit(1 if bad or parmprobs != 1 else 0)
EOF

cat >"$TB_WORK/oracle.py" <<'EOF'
# The cases the kernel judges for us, sent alike to both targets (the kernel
# peer, the stack): each a SYN to the closed port 9 (or an echo request),
# then a marker ping; what the target sent before the marker's reply is its
# answer. Prints one line per case, addresses as M (me) and T (target),
# timestamps as t.
import socket, struct, sys, time

ifname, my_mac, my_ip, dst_mac, dst_ip = sys.argv[1:6]
my_mac, dst_mac = (bytes.fromhex(m.replace(":", "")) for m in (my_mac, dst_mac))
route = socket.inet_aton(my_ip) + b"\x00"  # one hop, then the end of the list
# (name, source address, IP options, VLAN tag; "ping" for an echo request
# instead of a SYN). At most five malformed
# options: with the one for hostile.py's, six, the burst the ICMP rate
# limit allows per peer (icmp_ratelimit).
CASES = [
    ("plain SYN", my_ip, b"", None),
    ("land SYN", dst_ip, b"", None),
    ("loopback source", "127.0.0.1", b"", None),
    ("zero source", "0.0.0.0", b"", None),
    ("multicast source", "224.0.0.5", b"", None),
    ("limited broadcast source", "255.255.255.255", b"", None),
    ("VLAN 5", my_ip, b"", 5),
    ("priority tag, VLAN 0", my_ip, b"", 0x6000),
    ("option length 0", my_ip, b"\x07\x00\x04\x00", None),
    ("option cut at the end", my_ip, b"\x01\x01\x01\x07", None),
    ("record route pointer 3", my_ip, b"\x07\x07\x03\x00\x00\x00\x00\x00", None),
    ("timestamp overflow 15", my_ip, b"\x44\x08\x09\xf0\x00\x00\x00\x00", None),
    ("two record routes", my_ip, b"\x07\x07\x08\x00\x00\x00\x00\x07\x07\x08" + b"\x00" * 6, None),
    ("record route with room", my_ip, b"\x07\x07\x04\x00\x00\x00\x00\x00", None),
    ("timestamp with room", my_ip, b"\x44\x0c\x05\x00" + b"\x00" * 8, None),
    ("ping, record route", my_ip, b"\x07\x0f\x04" + b"\x00" * 13, "ping"),
    ("ping, record route full", my_ip, b"\x07\x07\x08\x01\x02\x03\x04\x00", "ping"),
    ("ping, record route with half a slot", my_ip, b"\x07\x09\x04" + b"\x00" * 9, "ping"),
    ("ping, timestamps", my_ip, b"\x44\x0c\x05\x00" + b"\x00" * 8, "ping"),
    ("ping, addresses and timestamps", my_ip, b"\x44\x14\x05\x01" + b"\x00" * 16, "ping"),
    ("ping, timestamps full", my_ip, b"\x44\x08\x09\x10" + b"\x00" * 4, "ping"),
    ("loose source route", my_ip, b"\x83\x07\x04" + route, None),
    ("strict source route", my_ip, b"\x89\x07\x04" + route, None),
]

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def frame(src, proto, payload, opts=b"", vlan=None):
    vlan = vlan if isinstance(vlan, int) else None
    ihl = 5 + len(opts) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(payload), 0x4243, 0, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst_ip)) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    tag = struct.pack("!HH", 0x8100, vlan) if vlan is not None else b""
    return dst_mac + my_mac + tag + b"\x08\x00" + h + payload

def syn(src, sport, opts, vlan):
    seg = struct.pack("!HHIIBBHHH", sport, 9, 0x1000, 0, 5 << 4, 0x02, 64240, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst_ip) + struct.pack("!BBH", 0, 6, len(seg))
    seg = seg[:16] + struct.pack("!H", csum(pseudo + seg)) + seg[18:]
    return frame(src, 6, seg, opts, vlan)

def echo(seq, ident=0x4d4c, opts=b""):
    m = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"marker"
    return frame(my_ip, 1, m[:2] + struct.pack("!H", csum(m)) + m[4:], opts)

def who(a):
    return {socket.inet_aton(my_ip): "M", socket.inet_aton(dst_ip): "T", bytes(4): "0"}.get(a, socket.inet_ntoa(a))

def options(o):
    """The options of an answer, readable and free of clocks."""
    out, i = [], 0
    while i < len(o) and o[i] != 0:
        if o[i] == 1:
            i += 1
            continue
        t, n = o[i], o[i + 1]
        words = [o[j:j + 4] for j in range(i + 4 if t == 68 else i + 3, i + n - 3, 4)]
        if t == 7:
            out.append("RR ptr %d %s" % (o[i + 2], " ".join(who(w) for w in words)))
        elif t == 68:
            flag = o[i + 3] & 15
            if flag == 0:
                ent = ["t" if w != bytes(4) else "0" for w in words]
            else:
                ent = [who(w) if k % 2 == 0 else ("t" if w != bytes(4) else "0") for k, w in enumerate(words)]
            out.append("TS ptr %d overflow %d flag %d %s" % (o[i + 2], o[i + 3] >> 4, flag, " ".join(ent)))
        else:
            out.append("option %d length %d" % (t, n))
        i += n
    return ", ".join(out) or "none"

sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
sock.bind((ifname, 0))
sock.setblocking(False)
for n, (name, src, opts, vlan) in enumerate(CASES, 1):
    sock.send(echo(n, 0x4f50, opts) if vlan == "ping" else syn(src, 41000 + n, opts, vlan))
    answers, deadline, next_ping = [], time.time() + 30, 0
    while True:
        now = time.time()
        if now > deadline:
            sys.exit("%s: no answer to the marker ping from %s in 30 s" % (name, dst_ip))
        if now >= next_ping:
            sock.send(echo(n))
            next_ping = now + 1
        try:
            f, sll = sock.recvfrom(65536)
        except BlockingIOError:
            time.sleep(0.01)
            continue
        # Anything the target sends, to whichever address, but ARP.
        if sll[2] == socket.PACKET_OUTGOING or f[6:12] != dst_mac or f[12:14] == b"\x08\x06":
            continue
        if f[12:14] != b"\x08\x00":
            answers.append("ethertype %s" % f[12:14].hex())
            continue
        ip = f[14:]
        body = ip[(ip[0] & 15) * 4:]
        if ip[9] == 1 and body[0] == 0 and body[4:8] == struct.pack("!HH", 0x4d4c, n):
            break
        if ip[9] == 1 and body[0] == 0 and body[4:8] == struct.pack("!HH", 0x4f50, n):
            answers.append("echo reply, options %s" % options(ip[20:(ip[0] & 15) * 4]))
        elif ip[9] == 1 and body[0] == 12:
            answers.append("parameter problem code %d pointer %d" % (body[1], body[4]))
        elif ip[9] == 1:
            answers.append("icmp type %d code %d" % (body[0], body[1]))
        elif ip[9] == 6:
            answers.append("tcp flags %#x" % body[13])
        else:
            answers.append("protocol %d" % ip[9])
    print("%s: %s" % (name, ", ".join(answers) or "nothing"), flush=True)
EOF

stat_of() { # stat_of GROUP NAME: one counter from `sockshim stat`
	testbed_native_shim_ns env SOCKSHIM_IFACE="$TB_IF_SHIM" SOCKSHIM_ADDR="$TB_SHIM_ADDR/$TB_PREFIX" \
		"$SOCKSHIM_BUILD_DIR/tools/sockshim-stat" 2>>"$TB_WORK/stat.log" |
		awk -v g="$1:" -v n="$2" '$1 == g { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == n) print kv[2] } }'
}

host_cpu_ticks() { # utime + stime of the stack host
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

tb_say "shim side: python3 TCP server on :$TCP_PORT and UDP echo on :$UDP_PORT"
testbed_shim "$TB_PY" "$TB_WORK/server.py" "$TCP_PORT" "$UDP_PORT" >"$TB_WORK/server.log" 2>&1 &
for _ in $(seq 1 100); do
	grep -q ready "$TB_WORK/server.log" && break
	sleep 0.1
done
grep -q ready "$TB_WORK/server.log" || tb_fail "the server under the shim did not start"
testbed_peer ping -n -c 1 -w 10 "$TB_SHIM_ADDR" >"$TB_WORK/ping0.log" 2>&1 || tb_fail "no answer to a first ping"
shim_mac=$(testbed_peer ip neigh show "$TB_SHIM_ADDR" dev "$TB_IF_PEER" | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }')
[ -n "$shim_mac" ] || tb_fail "the peer did not learn the stack's MAC"
host=$(testbed_stackd_pids | head -n 1)
[ -n "$host" ] || tb_fail "no stack host running"

declare -A before
for c in Ip:InAddrErrors Ip:InDiscards Ip:InHdrErrors Icmp:OutParmProbs Link:RxOtherhostDropped Tcp:InSegs Udp:InDatagrams; do
	before[$c]=$(stat_of "${c%%:*}" "${c#*:}")
	[ -n "${before[$c]}" ] || tb_fail "sockshim stat shows no $c: $(cat "$TB_WORK/stat.log")"
done

tb_say "kernel side: injecting the hostile frames (stack MAC $shim_mac), capturing the answers"
testbed_peer "$TB_PY" "$TB_WORK/hostile.py" "$TB_IF_PEER" "$TB_PEER_ADDR" "$TB_SHIM_ADDR" "$shim_mac" \
	"$TCP_PORT" "$UDP_PORT" >"$TB_WORK/hostile.log" 2>&1 ||
	tb_fail "answers to hostile frames on the wire: $(grep -E 'unexpected|parameter|marker' "$TB_WORK/hostile.log" | head -n 5 | tr '\n' ';')"
tb_say "ok: no answer on the wire but the one parameter problem for the malformed option"

# The kernel as the oracle: the same SYNs (martian sources, VLAN tags,
# malformed options, source routes, and harmless twins) to the kernel peer,
# from an address the peer knows statically, sent and captured on the shim
# side of the veth, and to the stack, from the peer.
tb_say "the kernel peer's answers, then the stack's, to the same frames"
fake_mac=02:00:00:00:00:77
fake_ip=10.99.0.77
testbed_peer ip neigh replace "$fake_ip" lladdr "$fake_mac" dev "$TB_IF_PEER" nud permanent ||
	tb_fail "cannot add the neighbour $fake_ip on the peer"
peer_mac=$(testbed_peer cat "/sys/class/net/$TB_IF_PEER/address")
testbed_native_shim_ns "$TB_PY" "$TB_WORK/oracle.py" "$TB_IF_SHIM" "$fake_mac" "$fake_ip" \
	"$peer_mac" "$TB_PEER_ADDR" >"$TB_WORK/oracle-kernel.out" 2>"$TB_WORK/oracle-kernel.log" ||
	tb_fail "the cases against the kernel peer failed"
testbed_peer "$TB_PY" "$TB_WORK/oracle.py" "$TB_IF_PEER" "$peer_mac" "$TB_PEER_ADDR" \
	"$shim_mac" "$TB_SHIM_ADDR" >"$TB_WORK/oracle-stack.out" 2>"$TB_WORK/oracle-stack.log" ||
	tb_fail "the cases against the stack failed"
diff -u "$TB_WORK/oracle-kernel.out" "$TB_WORK/oracle-stack.out" >"$TB_WORK/oracle-diff.log" ||
	tb_fail "the stack answers unlike the kernel (- kernel, + stack)"
grep -q "parameter problem" "$TB_WORK/oracle-kernel.out" && grep -q "tcp flags" "$TB_WORK/oracle-kernel.out" ||
	tb_fail "the kernel sent no parameter problem or no reset at all: the cases test nothing"
while read -r line; do tb_say "  as the kernel: $line"; done <"$TB_WORK/oracle-stack.out"

check_moved() { # check_moved GROUP:NAME WANT
	local now
	now=$(stat_of "${1%%:*}" "${1#*:}")
	[ -n "$now" ] || tb_fail "sockshim stat no longer answers ($1)"
	[ $((now - before[$1])) = "$2" ] || tb_fail "$1 moved by $((now - before[$1])), expected $2"
	tb_say "ok: $1 +$2"
}
# Martians: land SYN, land datagram, 127/8 and multicast sources in
# hostile.py; land, loopback, zero, multicast, broadcast in oracle.py.
check_moved Ip:InAddrErrors 9
check_moved Ip:InDiscards 3           # the source routes (accept_source_route=0)
check_moved Ip:InHdrErrors 6          # the malformed options
check_moved Icmp:OutParmProbs 6
check_moved Link:RxOtherhostDropped 2 # the VLAN-tagged SYNs
check_moved Tcp:InSegs 4              # only oracle.py's plain, priority-tagged and good-option SYNs
check_moved Udp:InDatagrams 0

# Idle: the land packet used to keep the host's timer run going for ever.
# A measurement window, not a wait: an idle host uses next to no CPU, and
# load on the machine can only lower a spinning host's share, never raise
# an idle one's.
t0=$(host_cpu_ticks "$host") || tb_fail "the stack host $host is gone"
start=$(date +%s%N)
sleep 2
t1=$(host_cpu_ticks "$host") || tb_fail "the stack host $host is gone"
elapsed_ticks=$((($(date +%s%N) - start) * $(getconf CLK_TCK) / 1000000000))
[ $((t1 - t0)) -le $((elapsed_ticks / 2)) ] ||
	tb_fail "the stack host used $((t1 - t0)) of $elapsed_ticks clock ticks while idle"
tb_say "ok: the stack host is idle ($((t1 - t0)) ticks in $elapsed_ticks)"

tb_say "kernel side: TCP upload, UDP echo and ping still work"
testbed_peer timeout 60 "$TB_PY" "$TB_WORK/client.py" "$TB_SHIM_ADDR" "$TCP_PORT" "$UDP_PORT" \
	>"$TB_WORK/client.log" 2>&1 || tb_fail "the server stopped serving after the hostile frames"
testbed_peer ping -n -c 3 -i 0.3 -w 10 "$TB_SHIM_ADDR" >"$TB_WORK/ping.log" 2>&1
grep -q '3 packets transmitted, 3 received' "$TB_WORK/ping.log" ||
	tb_fail "ping after the hostile frames: $(grep transmitted "$TB_WORK/ping.log")"
tb_say "ok: still serving"
testbed_test_end
