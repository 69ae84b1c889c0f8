#!/bin/bash
# SPDX-License-Identifier: MIT
# The stack's address in the kernel's NETLINK_ROUTE address dumps
# (preload/shim/shim_netlink.c): the shim namespace's kernel has no IPv4
# address, so natively getifaddrs() lists none on TB_IF_SHIM and an AF_INET
# lookup with AI_ADDRCONFIG fails; under the shim both see 10.99.0.10/24.
# The inserted RTM_NEWADDR is compared with the one the peer's kernel sends
# for its own 10.99.0.2/24 (same layout), a MSG_PEEK|MSG_TRUNC probe must
# report the grown length, a dump that already lists the address is left
# alone, and other dumps pass through byte for byte. A route request for
# one destination (ip route get, nmap's route lookup) is answered as the
# peer's kernel answers it for its own subnet and gateway.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin ifaddrs

prog=$SOCKSHIM_BUILD_DIR/tests/ifaddrs_list
[ -x "$prog" ] || tb_fail "missing $prog (build the tests)"

# nldump.py MODE FAMILY: one RTM_GETADDR dump of FAMILY, read as glibc reads
# it (MSG_PEEK|MSG_TRUNC probe, then a recvmsg of exactly that size). MODE
# "addr" prints each IPv4 address message with its layout (addresses, index
# and cache times left out); "raw" prints the hex of every message.
cat >"$TB_WORK/nldump.py" <<'PY'
import ctypes, socket, struct, sys

libc = ctypes.CDLL(None)

mode, family = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
s.bind((4242, 0))  # a fixed port id: the raw messages of two runs compare equal
seq = 4242
RTM_GETADDR, RTM_NEWADDR, NLMSG_DONE = 22, 20, 3
s.send(struct.pack("=LHHLLBBBBI", 24, RTM_GETADDR, 0x301, seq, 0, family, 0, 0, 0, 0))
names = {1: "ADDRESS", 2: "LOCAL", 3: "LABEL", 4: "BROADCAST", 6: "CACHEINFO", 8: "FLAGS"}
while True:
    # recv() into an empty buffer: the part's whole length, left queued.
    want = libc.recv(s.fileno(), None, 0, socket.MSG_PEEK | socket.MSG_TRUNC)
    data, _, flags, _ = s.recvmsg(want)
    if flags & socket.MSG_TRUNC or len(data) != want:
        sys.exit("the probe said %d bytes, the read gave %d (flags %#x)" % (want, len(data), flags))
    off, done = 0, False
    while off + 16 <= len(data):
        ln, typ, fl, sq, pid = struct.unpack_from("=LHHLL", data, off)
        if ln < 16 or sq != seq:
            sys.exit("bad message at %d: len %d seq %d" % (off, ln, sq))
        if mode == "raw":
            print(data[off:off + ln].hex())
        if typ == NLMSG_DONE:
            done = True
        elif typ == RTM_NEWADDR and mode == "addr":
            fam, plen, ifl, scope, idx = struct.unpack_from("=BBBBI", data, off + 16)
            if fam == socket.AF_INET:
                out, a = ["flags=%#x prefixlen=%d ifa_flags=%#x scope=%d" % (fl, plen, ifl, scope)], off + 24
                while a + 4 <= off + ln:
                    alen, atyp = struct.unpack_from("=HH", data, a)
                    val = data[a + 4:a + alen]
                    if atyp in (1, 2, 4):
                        val = "addr=" + socket.inet_ntoa(val)
                    elif atyp == 3:
                        val = "label=" + val.rstrip(b"\0").decode() + "+nul%d" % (len(val) - len(val.rstrip(b"\0")))
                    elif atyp == 6:
                        val = "valid=%#x,preferred=%#x" % struct.unpack_from("=LL", val, 0)[::-1]
                    else:
                        val = val.hex()
                    out.append("%s(%d):%s" % (names.get(atyp, str(atyp)), alen, val))
                    a += (alen + 3) & ~3
                print(" ".join(out))
        off += (ln + 3) & ~3
    if done:
        break
PY

# 1. Natively in the shim namespace: no IPv4 address but lo's.
testbed_check_native_fails "$TB_PY" -c "import socket; socket.getaddrinfo('$TB_PEER_ADDR', 80, socket.AF_INET, 0, 0, socket.AI_ADDRCONFIG)"
testbed_native_shim_ns "$prog" >"$TB_WORK/native.list" 2>&1 || tb_fail "getifaddrs failed natively"
grep -q "^lo 127.0.0.1 255.0.0.0$" "$TB_WORK/native.list" || tb_fail "natively, getifaddrs does not list lo: $(cat "$TB_WORK/native.list")"
! grep -q "$TB_SHIM_ADDR" "$TB_WORK/native.list" || tb_fail "natively, getifaddrs lists $TB_SHIM_ADDR: the testbed gave the kernel the address"
tb_say "ok: natively the AI_ADDRCONFIG lookup fails and getifaddrs lists only lo"

# 2. Under the shim: the lookup works, and the stack then sends from the address.
testbed_shim "$TB_PY" -c "
import socket
r = socket.getaddrinfo('$TB_PEER_ADDR', 80, socket.AF_INET, socket.SOCK_DGRAM, 0, socket.AI_ADDRCONFIG)
s = socket.socket(r[0][0], r[0][1])
s.connect(r[0][4])
print(r[0][4][0], s.getsockname()[0])
" >"$TB_WORK/gai.log" 2>&1 || tb_fail "the AI_ADDRCONFIG lookup failed under the shim: $(cat "$TB_WORK/gai.log")"
[ "$(cat "$TB_WORK/gai.log")" = "$TB_PEER_ADDR $TB_SHIM_ADDR" ] || tb_fail "unexpected lookup/connect result: $(cat "$TB_WORK/gai.log")"
tb_say "ok: under the shim getaddrinfo(AF_INET, AI_ADDRCONFIG) finds $TB_PEER_ADDR"

testbed_shim "$prog" >"$TB_WORK/shim.list" 2>&1 || tb_fail "getifaddrs failed under the shim: $(cat "$TB_WORK/shim.list")"
grep -qx "$TB_IF_SHIM $TB_SHIM_ADDR 255.255.255.0" "$TB_WORK/shim.list" ||
	tb_fail "getifaddrs under the shim does not list $TB_SHIM_ADDR/24 on $TB_IF_SHIM: $(cat "$TB_WORK/shim.list")"
grep -v "^$TB_IF_SHIM $TB_SHIM_ADDR " "$TB_WORK/shim.list" | diff "$TB_WORK/native.list" - >/dev/null ||
	tb_fail "getifaddrs under the shim changed the kernel's entries: $(cat "$TB_WORK/shim.list")"
tb_say "ok: getifaddrs under the shim lists $TB_IF_SHIM $TB_SHIM_ADDR 255.255.255.0 besides the kernel's entries"

# 3. iproute2 (its own netlink reader, MSG_PEEK|MSG_TRUNC sizing) shows it too.
testbed_shim ip -4 addr show >"$TB_WORK/ip.log" 2>&1 || tb_fail "ip -4 addr failed under the shim: $(cat "$TB_WORK/ip.log")"
grep -q "inet $TB_SHIM_ADDR/$TB_PREFIX scope global $TB_IF_SHIM\$" "$TB_WORK/ip.log" ||
	tb_fail "ip -4 addr under the shim does not show $TB_SHIM_ADDR/$TB_PREFIX: $(cat "$TB_WORK/ip.log")"
grep -q "inet 127.0.0.1/8 scope host lo" "$TB_WORK/ip.log" || tb_fail "ip -4 addr under the shim lost lo: $(cat "$TB_WORK/ip.log")"
tb_say "ok: ip -4 addr under the shim shows $TB_SHIM_ADDR/$TB_PREFIX on $TB_IF_SHIM"

# 4. The inserted message is laid out as the peer's kernel lays out its own
# address added without brd (same prefix, both permanent).
for fam in 0 2; do
	testbed_peer "$TB_PY" "$TB_WORK/nldump.py" addr $fam >"$TB_WORK/peer.dump" 2>&1 || tb_fail "dump on the peer: $(cat "$TB_WORK/peer.dump")"
	testbed_shim "$TB_PY" "$TB_WORK/nldump.py" addr $fam >"$TB_WORK/shim.dump" 2>&1 || tb_fail "dump under the shim: $(cat "$TB_WORK/shim.dump")"
	want=$(grep "addr=$TB_PEER_ADDR" "$TB_WORK/peer.dump" | sed "s/$TB_PEER_ADDR/ADDR/g; s/$TB_IF_PEER/IF/")
	got=$(grep "addr=$TB_SHIM_ADDR" "$TB_WORK/shim.dump" | sed "s/$TB_SHIM_ADDR/ADDR/g; s/$TB_IF_SHIM/IF/")
	[ -n "$want" ] && [ "$want" = "$got" ] || tb_fail "family $fam: the kernel sends '$want', the shim inserted '$got'"
done
tb_say "ok: the inserted RTM_NEWADDR matches the kernel's own ($want)"

# 5. The kernel's messages pass through byte for byte: an IPv4 dump gains
# exactly the one message, an IPv6 dump nothing. Then a dump whose kernel
# part already lists the address (the kernel has it on TB_IF_SHIM for a
# moment; no traffic runs meanwhile, and the counter is reset after).
for fam in 2 10; do
	testbed_native_shim_ns "$TB_PY" "$TB_WORK/nldump.py" raw $fam >"$TB_WORK/native.raw" || tb_fail "native dump of family $fam failed"
	testbed_shim "$TB_PY" "$TB_WORK/nldump.py" raw $fam >"$TB_WORK/shim.raw" || tb_fail "dump of family $fam under the shim failed"
	added=$(diff "$TB_WORK/native.raw" "$TB_WORK/shim.raw" | grep -c '^>')
	removed=$(diff "$TB_WORK/native.raw" "$TB_WORK/shim.raw" | grep -c '^<')
	[ "$removed" = 0 ] && [ "$added" = $([ $fam = 2 ] && echo 1 || echo 0) ] ||
		tb_fail "family $fam: the shim added $added and changed $removed of the kernel's messages"
done
ip -n "$TB_NS_SHIM" addr add "$TB_SHIM_ADDR/$TB_PREFIX" dev "$TB_IF_SHIM" || tb_fail "cannot add the address for the check"
testbed_shim "$TB_PY" "$TB_WORK/nldump.py" addr 2 >"$TB_WORK/dup.dump" 2>&1
rc=$?
ip -n "$TB_NS_SHIM" addr del "$TB_SHIM_ADDR/$TB_PREFIX" dev "$TB_IF_SHIM"
testbed_kernel_counter_reset
[ $rc = 0 ] || tb_fail "dump with the kernel's address failed: $(cat "$TB_WORK/dup.dump")"
[ "$(grep -c "addr=$TB_SHIM_ADDR" "$TB_WORK/dup.dump")" = 1 ] || tb_fail "with the kernel holding $TB_SHIM_ADDR the dump lists it other than once: $(cat "$TB_WORK/dup.dump")"
tb_say "ok: the kernel's messages pass through byte for byte; an address the kernel lists is not listed twice"

# 6. RTM_GETROUTE for one destination: natively the shim namespace's kernel
# has no route (ENETUNREACH); under the shim the answer is the route the
# stack takes, laid out as the peer's kernel lays out its own (the same
# subnet, and a gateway for 10.50.0.0/16 that the peer is given here), with
# the acknowledgement NLM_F_ACK asks for. Addresses print by role (the
# asker's own address, the destination, the other end), the interface
# index is left out, and of the cache information only its length.
cat >"$TB_WORK/rtget.py" <<'PY'
import socket, struct, sys

dst, me, other, nlflags, rtflags = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4], 0), int(sys.argv[5], 0)
roles = {socket.inet_aton(dst): "DST", socket.inet_aton(me): "SELF", socket.inet_aton(other): "OTHER"}
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
s.settimeout(10)
body = struct.pack("=BBBBBBBBI", socket.AF_INET, 32, 0, 0, 0, 0, 0, 0, rtflags) + struct.pack("=HH", 8, 1) + socket.inet_aton(dst)
s.send(struct.pack("=LHHLL", 16 + len(body), 26, nlflags, 4243, 0) + body)
names = {1: "DST", 4: "OIF", 5: "GATEWAY", 7: "PREFSRC", 12: "CACHEINFO", 15: "TABLE", 25: "UID"}
while True:
    data, off, last = s.recv(65536), 0, True
    while off + 16 <= len(data):
        ln, typ, fl, sq, _ = struct.unpack_from("=LHHLL", data, off)
        out = ["len=%d type=%d flags=%#x seq=%d" % (ln, typ, fl, sq)]
        if typ == 2:
            err, = struct.unpack_from("=i", data, off + 16)
            out.append("error=%d echo=%s" % (err, data[off + 20:off + ln].hex()))
            last = True
        elif typ == 24:
            out.append("rtmsg=%s" % (struct.unpack_from("=BBBBBBBBI", data, off + 16),))
            a = off + 28
            while a + 4 <= off + ln:
                alen, atyp = struct.unpack_from("=HH", data, a)
                val = data[a + 4:a + alen]
                if atyp in (1, 5, 7):
                    val = roles.get(val, socket.inet_ntoa(val))
                elif atyp in (4, 12):
                    val = "(%d bytes)" % len(val)
                else:
                    val = val.hex()
                out.append("%s=%s" % (names.get(atyp, atyp), val))
                a += (alen + 3) & ~3
            last = not nlflags & 4
        print(" ".join(out))
        off += (ln + 3) & ~3
    if last:
        break
PY
testbed_peer ip route add 10.50.0.0/16 via "$TB_SHIM_ADDR" || tb_fail "cannot give the peer a gateway"
# dst [netlink flags [rtm_flags]]: on the subnet, with NLM_F_ACK, as ip
# route get asks (RTM_F_LOOKUP_TABLE), through the gateway, and nowhere.
for q in "PEER 1 0" "PEER 5 0" "PEER 1 0x1000" "10.50.1.1 1 0" "192.168.1.1 1 0" "192.168.1.1 5 0"; do
	set -- $q
	d=$1 pd=$1
	[ "$d" = PEER ] && d=$TB_PEER_ADDR pd=$TB_SHIM_ADDR
	testbed_peer "$TB_PY" "$TB_WORK/rtget.py" "$pd" "$TB_PEER_ADDR" "$TB_SHIM_ADDR" $2 $3 >"$TB_WORK/rt.kernel" 2>&1 ||
		tb_fail "route $q on the peer: $(cat "$TB_WORK/rt.kernel")"
	# A gateway for the gatewayed case only: the peer has no default route.
	gw=$([ "$d" = 10.50.1.1 ] && echo "$TB_PEER_ADDR")
	SOCKSHIM_GATEWAY=$gw testbed_shim "$TB_PY" "$TB_WORK/rtget.py" "$d" "$TB_SHIM_ADDR" "$TB_PEER_ADDR" $2 $3 \
		>"$TB_WORK/rt.shim" 2>&1 || tb_fail "route $q under the shim: $(cat "$TB_WORK/rt.shim")"
	# The error's echo holds the asked address, which differs by side.
	[ "$d" = 192.168.1.1 ] || grep -q "PREFSRC=SELF" "$TB_WORK/rt.kernel" || tb_fail "route $q: the peer's kernel found no route: $(cat "$TB_WORK/rt.kernel")"
	diff -u "$TB_WORK/rt.kernel" "$TB_WORK/rt.shim" >"$TB_WORK/rt.diff" ||
		tb_fail "route $q: the kernel answers differently: $(cat "$TB_WORK/rt.diff")"
	testbed_native_shim_ns "$TB_PY" "$TB_WORK/rtget.py" "$d" "$TB_SHIM_ADDR" "$TB_PEER_ADDR" $2 $3 >"$TB_WORK/rt.native" 2>&1
	grep -q "error=-101" "$TB_WORK/rt.native" || tb_fail "route $q: natively the shim namespace's kernel has a route: $(cat "$TB_WORK/rt.native")"
done
testbed_shim ip route get "$TB_PEER_ADDR" >"$TB_WORK/ip-route.log" 2>&1 || tb_fail "ip route get under the shim: $(cat "$TB_WORK/ip-route.log")"
grep -q "^$TB_PEER_ADDR dev $TB_IF_SHIM src $TB_SHIM_ADDR uid 0" "$TB_WORK/ip-route.log" ||
	tb_fail "ip route get under the shim: $(cat "$TB_WORK/ip-route.log")"
tb_say "ok: a route request is answered as the peer's kernel answers (subnet, gateway, ack, none): $(head -1 "$TB_WORK/ip-route.log")"

testbed_test_end
