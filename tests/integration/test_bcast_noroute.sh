#!/bin/bash
# SPDX-License-Identifier: MIT
# The limited broadcast and multicast without a default route: a namespace
# with only its subnet's route (the native one; the shim without
# SOCKSHIM_GATEWAY) sends them only out a device or from a source address
# that the socket or the send names (__ip_route_output_key), else
# ENETUNREACH, and the route comes before SO_BROADCAST's EACCES. Each
# sendto, sendmsg with IP_PKTINFO and connect runs natively and under the
# shim, and the outputs must be the same; so do sends with a source route,
# which are routed to its first hop.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin bcast_noroute
testbed_native_up || tb_fail "cannot build the native namespace"

cat >"$TB_WORK/client.py" <<'PY'
import errno, functools, socket, struct, sys
print = functools.partial(print, flush=True)
peer = sys.argv[1]
IP_UNICAST_IF, IP_PKTINFO = 50, 8
ifname = [n for _, n in socket.if_nameindex() if n != "lo"][0]
ifindex = socket.if_nametoindex(ifname)
probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
probe.connect((peer, 9))
me = probe.getsockname()[0]
probe.close()
DESTS = (("limited broadcast", "255.255.255.255"), ("multicast", "239.1.2.3"),
         ("local multicast", "224.0.0.251"), ("subnet peer", peer))

def outcome(f):
    try:
        f()
        return "ok"
    except OSError as ex:
        return errno.errorcode[ex.errno]

def udp(broadcast=True):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if broadcast:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    return s

SETUPS = (
    ("unbound", lambda s: None),
    ("bound to any", lambda s: s.bind(("0.0.0.0", 0))),
    ("bound to its address", lambda s: s.bind((me, 0))),
    ("IP_MULTICAST_IF address", lambda s: s.setsockopt(socket.SOL_IP, socket.IP_MULTICAST_IF, socket.inet_aton(me))),
    ("IP_MULTICAST_IF index", lambda s: s.setsockopt(socket.SOL_IP, socket.IP_MULTICAST_IF, struct.pack("4s4si", bytes(4), bytes(4), ifindex))),
    ("IP_UNICAST_IF", lambda s: s.setsockopt(socket.SOL_IP, IP_UNICAST_IF, struct.pack("!I", ifindex))),
    ("SO_BINDTODEVICE", lambda s: s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())),
    ("connected to the peer", lambda s: s.connect((peer, 9))),
)
for what, setup in SETUPS:
    for dname, d in DESTS:
        s = udp()
        setup(s)
        print(what, "sendto", dname, outcome(lambda: s.sendto(b"x", (d, 9))))
        s.close()
    if what == "connected to the peer":
        continue
    for dname, d in DESTS[:2]:
        s = udp()
        setup(s)
        print(what, "connect", dname, outcome(lambda: s.connect((d, 9))))
        s.close()

# SO_BROADCAST's EACCES comes after the route.
for dname, d in DESTS[:2]:
    s = udp(broadcast=False)
    print("no SO_BROADCAST sendto", dname, outcome(lambda: s.sendto(b"x", (d, 9))))
    s.close()
    s = udp(broadcast=False)
    s.bind((me, 0))
    print("no SO_BROADCAST bound sendto", dname, outcome(lambda: s.sendto(b"x", (d, 9))))
    s.close()

# The send's own IP_PKTINFO: an interface, or a source address.
for pname, pi in (("ifindex", struct.pack("i4s4s", ifindex, bytes(4), bytes(4))),
                  ("spec_dst", struct.pack("i4s4s", 0, socket.inet_aton(me), bytes(4))),
                  ("none", struct.pack("i4s4s", 0, bytes(4), bytes(4)))):
    for dname, d in DESTS[:3]:
        s = udp()
        print("IP_PKTINFO", pname, dname,
              outcome(lambda: s.sendmsg([b"x"], [(socket.SOL_IP, IP_PKTINFO, pi)], 0, (d, 9))))
        s.close()

# A source route: the send is routed to its first hop (udp_sendmsg's
# faddr), which the route and SO_BROADCAST's EACCES judge, not the
# destination; the socket's IP_OPTIONS, or the send's IP_RETOPTS.
IP_RETOPTS = 7
def lsrr(hop):
    return bytes([131, 7, 4]) + socket.inet_aton(hop) + bytes([1])
for hname, hop in (("limited broadcast", "255.255.255.255"), ("local multicast", "224.0.0.251"),
                   ("subnet peer", peer)):
    for dname, d in (DESTS[0], DESTS[3]):
        for bc in (True, False):
            tag = "source route via %s to %s%s" % (hname, dname, "" if bc else " no SO_BROADCAST")
            s = udp(broadcast=bc)
            s.setsockopt(socket.SOL_IP, socket.IP_OPTIONS, lsrr(hop))
            print(tag, "sendto", outcome(lambda: s.sendto(b"x", (d, 9))))
            s.close()
            s = udp(broadcast=bc)
            print(tag, "IP_RETOPTS", outcome(lambda: s.sendmsg([b"x"], [(socket.SOL_IP, IP_RETOPTS, lsrr(hop))], 0, (d, 9))))
            s.close()
    s = udp()
    s.bind((me, 0))
    s.setsockopt(socket.SOL_IP, socket.IP_OPTIONS, lsrr(hop))
    print("source route via", hname, "bound to its address sendto limited broadcast",
          outcome(lambda: s.sendto(b"x", ("255.255.255.255", 9))))
    s.close()
    s = udp()
    s.connect((peer, 9))
    s.setsockopt(socket.SOL_IP, socket.IP_OPTIONS, lsrr(hop))
    print("source route via", hname, "connected send", outcome(lambda: s.send(b"x")))
    s.close()

for dname, d in DESTS[:2]:
    t = socket.socket()
    print("tcp connect", dname, outcome(lambda: t.connect((d, 9))))
    t.close()
PY

testbed_native_vs_shim "$TB_WORK/client.py"
sed 's/^/  native: /' "$TB_WORK/native"
grep -q "^unbound sendto limited broadcast ENETUNREACH$" "$TB_WORK/native" &&
	grep -q "^bound to its address sendto multicast ok$" "$TB_WORK/native" ||
	tb_fail "the kernel did not answer as a namespace with only its subnet's route: the test proves nothing"
tb_say "ok: $(wc -l <"$TB_WORK/native") answers as Linux's"
testbed_test_end
