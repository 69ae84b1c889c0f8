#!/bin/bash
# SPDX-License-Identifier: MIT
# The ARP ioctls (SIOCSARP, SIOCGARP, SIOCDARP) on a UDP socket, natively
# and under the shim, outputs compared: dnsmasq's DHCP server sets an entry
# for a client that has no address yet and then sends it the offer, which
# only that entry gets to it. Each call's result and errno in the kernel's
# order of checks (EPERM for a process without CAP_NET_ADMIN even with a
# bad pointer, EFAULT, EPFNOSUPPORT, EINVAL, ENODEV, ENETUNREACH, ENXIO),
# what SIOCGARP reads back (flags, the peer's address once ARP learned it,
# the device), and on the wire: a permanent entry with a wrong address
# keeps the peer's echo from answering until SIOCDARP removes it.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin arp_ioctl
testbed_native_up || tb_fail "cannot build the native namespace"

cat >"$TB_WORK/client.py" <<'PY'
import ctypes, errno, functools, os, socket, struct, sys
print = functools.partial(print, flush=True)
peer = sys.argv[1]
SIOCDARP, SIOCGARP, SIOCSARP = 0x8953, 0x8954, 0x8955
ATF_COM, ATF_PERM, ATF_PUBL, ATF_NETMASK = 0x02, 0x04, 0x08, 0x20
libc = ctypes.CDLL(None, use_errno=True)
ifname = [n for _, n in socket.if_nameindex() if n != "lo"][0]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
net = peer.rsplit(".", 1)[0]

def arpreq(ip, ha=None, flags=0, dev=ifname, family=socket.AF_INET):
    pa = struct.pack("=H2s4s8x", family, b"", socket.inet_aton(ip))
    hw = struct.pack("=H14s", 1 if ha else 0, ha or b"")
    return bytearray(pa + hw + struct.pack("=i16s16s", flags, b"", dev.encode()))

def ioctl(cmd, req):
    buf = (ctypes.c_char * len(req)).from_buffer(req)
    r = libc.ioctl(s.fileno(), cmd, buf)
    return "ok" if r == 0 else errno.errorcode[ctypes.get_errno()]

def show(req):
    flags, = struct.unpack_from("=i", req, 32)
    ha = bytes(req[18:24])
    dev = bytes(req[52:68]).rstrip(b"\0").decode()
    return "flags %#x family %d ha %s dev %s" % (flags, struct.unpack_from("=H", req, 16)[0],
                                                "zero" if ha == bytes(6) else "set", "ours" if dev == ifname else repr(dev))

def ask(tries):
    """The peer's echo answers within tries seconds."""
    e = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    e.settimeout(1)
    for _ in range(tries):
        e.sendto(b"ping", (peer, 7400))
        try:
            return e.recv(100) == b"ping"
        except socket.timeout:
            pass
    return False

print("echo", ask(10))
r = arpreq(peer)
print("get peer", ioctl(SIOCGARP, r), show(r))
mac = bytes(r[18:24])
print("get no device", ioctl(SIOCGARP, arpreq(peer, dev="")))
print("get other device", ioctl(SIOCGARP, arpreq(peer, dev="nosuch0")))
print("get unknown", ioctl(SIOCGARP, arpreq(net + ".77")))
print("get bad pointer", errno.errorcode[ctypes.get_errno()] if libc.ioctl(s.fileno(), SIOCGARP, ctypes.c_void_p(8)) else "ok")
print("set AF_INET6", ioctl(SIOCSARP, arpreq(net + ".77", mac, ATF_COM, family=socket.AF_INET6)))
print("set netmask", ioctl(SIOCSARP, arpreq(net + ".77", mac, ATF_COM | ATF_NETMASK)))
print("set no address", ioctl(SIOCSARP, arpreq(net + ".78")))
print("set off the subnet", ioctl(SIOCSARP, arpreq("192.0.2.1", mac, ATF_COM, dev="")))
print("set other device", ioctl(SIOCSARP, arpreq(net + ".77", mac, ATF_COM, dev="nosuch0")))
print("set", ioctl(SIOCSARP, arpreq(net + ".77", mac, ATF_COM)))
r = arpreq(net + ".77")
print("get", ioctl(SIOCGARP, r), show(r), bytes(r[18:24]) == mac)
print("set no device", ioctl(SIOCSARP, arpreq(net + ".79", mac, ATF_PERM, dev="")))
r = arpreq(net + ".79")
print("get permanent", ioctl(SIOCGARP, r), show(r))
print("delete", ioctl(SIOCDARP, arpreq(net + ".77")), ioctl(SIOCDARP, arpreq(net + ".79", dev="")))
print("get deleted", ioctl(SIOCGARP, arpreq(net + ".77")))
print("delete again", ioctl(SIOCDARP, arpreq(net + ".77")))
# The wire: the peer's address on a MAC nobody has, then gone again.
print("set wrong", ioctl(SIOCSARP, arpreq(peer, b"\x02\0\0\0\0\x99", ATF_PERM)))
print("echo through the wrong address", ask(1))
print("delete peer", ioctl(SIOCDARP, arpreq(peer)))
print("echo after", ask(10))
pid = os.fork()
if not pid:
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
    print("unprivileged set", ioctl(SIOCSARP, arpreq(net + ".77", mac, ATF_COM)))
    print("unprivileged bad pointer", errno.errorcode[ctypes.get_errno()] if libc.ioctl(s.fileno(), SIOCSARP, ctypes.c_void_p(8)) else "ok")
    r = arpreq(peer)
    print("unprivileged get", ioctl(SIOCGARP, r), show(r))
    os._exit(0)
os.waitpid(pid, 0)
PY

testbed_peer socat UDP4-RECVFROM:7400,fork EXEC:cat >"$TB_WORK/echo.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" udp 7400 30 || tb_fail "the peer's echo did not start"
testbed_native_vs_shim "$TB_WORK/client.py"
sed 's/^/  native: /' "$TB_WORK/native"
grep -q "^echo through the wrong address False$" "$TB_WORK/native" && grep -q "^echo after True$" "$TB_WORK/native" ||
	tb_fail "the kernel's entries did not steer its frames: the test proves nothing"
tb_say "ok: $(wc -l <"$TB_WORK/native") answers as Linux's"
testbed_test_end
