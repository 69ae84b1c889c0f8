#!/bin/bash
# SPDX-License-Identifier: MIT
# The ARP ioctls (SIOCSARP, SIOCGARP, SIOCDARP) on a UDP socket, natively
# and under the shim, outputs compared: dnsmasq's DHCP server sets an entry
# for a client that has no address yet and then sends it the offer, which
# only that entry gets to it. Each call's result and errno in the kernel's
# order of checks (EPERM for a process without CAP_NET_ADMIN even with a
# bad pointer, EFAULT, EPFNOSUPPORT, EINVAL, ENODEV, ENETUNREACH, ENXIO),
# what SIOCGARP reads back (flags, the peer's address once ARP learned it,
# the device, the netmask handed back), and on the wire: a permanent entry
# with a wrong address keeps the peer's echo from answering until SIOCDARP
# removes it. Published (proxy) entries, ATF_PUBL: kept for the device, for
# every device or for the device with a given MAC, the netmask one address
# or none (the device's proxy_arp switch, or "all"'s, which /proc reads
# back), deleted only as made (ENOENT);
# and the peer's arping gets no answer for a published address on the
# device's own subnet, even with forwarding on (the kernel answers only for
# an address routed through another device), where it gets one for ours.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin arp_ioctl
testbed_native_up || tb_fail "cannot build the native namespace"
command -v arping >/dev/null || tb_fail "arping (iputils-arping) is not installed (tools/bootstrap installs it)"
testbed_sysctl_both net.ipv4.ip_forward=1

cat >"$TB_WORK/client.py" <<'PY'
import ctypes, errno, fcntl, functools, os, socket, struct, subprocess, sys
print = functools.partial(print, flush=True)
peer = sys.argv[1]
SIOCDARP, SIOCGARP, SIOCSARP = 0x8953, 0x8954, 0x8955
ATF_COM, ATF_PERM, ATF_PUBL, ATF_NETMASK = 0x02, 0x04, 0x08, 0x20
SIOCGIFHWADDR = 0x8927
peer_ns = sys.argv[2]
libc = ctypes.CDLL(None, use_errno=True)
ifname = [n for _, n in socket.if_nameindex() if n != "lo"][0]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
net = peer.rsplit(".", 1)[0]

def arpreq(ip, ha=None, flags=0, dev=ifname, family=socket.AF_INET, mask=None):
    pa = struct.pack("=H2s4s8x", family, b"", socket.inet_aton(ip))
    hw = struct.pack("=H14s", 1 if ha else 0, ha or b"")
    nm = struct.pack("=H2s4s8x", socket.AF_INET, b"", socket.inet_aton(mask)) if mask else bytes(16)
    return bytearray(pa + hw + struct.pack("=i", flags) + nm + struct.pack("=16s", dev.encode()))

def ioctl(cmd, req):
    buf = (ctypes.c_char * len(req)).from_buffer(req)
    r = libc.ioctl(s.fileno(), cmd, buf)
    return "ok" if r == 0 else errno.errorcode[ctypes.get_errno()]

def show(req):
    flags, = struct.unpack_from("=i", req, 32)
    ha = bytes(req[18:24])
    dev = bytes(req[52:68]).rstrip(b"\0").decode()
    return "flags %#x family %d ha %s dev %s netmask %s" % (flags, struct.unpack_from("=H", req, 16)[0],
        "zero" if ha == bytes(6) else "set", "ours" if dev == ifname else repr(dev), socket.inet_ntoa(bytes(req[40:44])))

def arping(ip, deadline):
    """How many answers the peer's arping gets (run natively: no LD_PRELOAD)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LD_PRELOAD", "SOCKSHIM"))}
    out = subprocess.run(["ip", "netns", "exec", peer_ns, "arping", "-c", "1", "-w", str(deadline), ip],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    got = [l for l in out.splitlines() if l.startswith("Received")]
    return got[0] if got else out

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
# Published entries. The device's own MAC, as SIOCGIFHWADDR gives it.
mine = fcntl.ioctl(s.fileno(), SIOCGIFHWADDR, struct.pack("=16s16x", ifname.encode()))[18:24]
print("publish", ioctl(SIOCSARP, arpreq(net + ".50", flags=ATF_PUBL | ATF_PERM)),
      ioctl(SIOCSARP, arpreq(net + ".50", flags=ATF_PUBL)))
r = arpreq(net + ".50", flags=ATF_PUBL)
print("get published", ioctl(SIOCGARP, r), show(r))
print("publish for every device", ioctl(SIOCSARP, arpreq(net + ".51", flags=ATF_PUBL, dev="")))
print("publish off the subnet", ioctl(SIOCSARP, arpreq("192.0.2.9", flags=ATF_PUBL, dev="")))
print("publish by its MAC", ioctl(SIOCSARP, arpreq(net + ".52", mine, ATF_PUBL | ATF_COM, dev="")))
print("publish by another MAC", ioctl(SIOCSARP, arpreq(net + ".53", b"\x02\0\0\0\0\x99", ATF_PUBL | ATF_COM, dev="")))
print("publish mask /24", ioctl(SIOCSARP, arpreq(net + ".54", flags=ATF_PUBL | ATF_NETMASK, mask="255.255.255.0")))
print("publish mask /32", ioctl(SIOCSARP, arpreq(net + ".55", flags=ATF_PUBL | ATF_NETMASK, mask="255.255.255.255")))
print("get mask /31 no device", ioctl(SIOCGARP, arpreq(peer, flags=ATF_PUBL | ATF_NETMASK, dev="nosuch0", mask="255.255.255.254")))
r = arpreq(peer, flags=ATF_PUBL | ATF_NETMASK, mask="0.0.0.0")
print("get peer mask 0", ioctl(SIOCGARP, r), show(r))
# Netmask 0 is the device's proxy_arp switch (no device named: "all"'s, the
# MAC given names the device to set, not to clear); read back in /proc.
def proxy_arp():
    return " ".join(open("/proc/sys/net/ipv4/conf/%s/proxy_arp" % d).read().strip() for d in (ifname, "all"))
nomask = dict(flags=ATF_PUBL | ATF_NETMASK, mask="0.0.0.0")
print("proxy_arp on", ioctl(SIOCSARP, arpreq(net + ".56", **nomask)), proxy_arp())
print("proxy_arp off", ioctl(SIOCDARP, arpreq(net + ".56", **nomask)), proxy_arp())
print("proxy_arp on for every device", ioctl(SIOCSARP, arpreq(net + ".57", dev="", **nomask)), proxy_arp())
print("proxy_arp on by its MAC", ioctl(SIOCSARP, arpreq(net + ".58", mine, ATF_PUBL | ATF_COM | ATF_NETMASK, dev="", mask="0.0.0.0")), proxy_arp())
print("proxy_arp off by its MAC", ioctl(SIOCDARP, arpreq(net + ".58", mine, ATF_PUBL | ATF_COM | ATF_NETMASK, dev="", mask="0.0.0.0")), proxy_arp())
print("proxy_arp off", ioctl(SIOCDARP, arpreq(net + ".58", **nomask)), proxy_arp())
me = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
me.connect((peer, 9))
print("arping ours", arping(me.getsockname()[0], 10))
print("arping published", arping(net + ".50", 1), arping(net + ".51", 1), arping(net + ".52", 1))
print("delete published without its device", ioctl(SIOCDARP, arpreq(net + ".50", flags=ATF_PUBL, dev="")))
print("delete published", ioctl(SIOCDARP, arpreq(net + ".50", flags=ATF_PUBL)), ioctl(SIOCDARP, arpreq(net + ".50", flags=ATF_PUBL)))
print("delete every device's", ioctl(SIOCDARP, arpreq(net + ".51", flags=ATF_PUBL)), ioctl(SIOCDARP, arpreq(net + ".51", flags=ATF_PUBL, dev="")),
      ioctl(SIOCDARP, arpreq("192.0.2.9", flags=ATF_PUBL, dev="")))
print("delete by its MAC", ioctl(SIOCDARP, arpreq(net + ".52", mine, ATF_PUBL | ATF_COM, dev="")), ioctl(SIOCDARP, arpreq(net + ".52", flags=ATF_PUBL)))
print("delete mask /24", ioctl(SIOCDARP, arpreq(net + ".55", flags=ATF_PUBL | ATF_NETMASK, mask="255.255.0.0")),
      ioctl(SIOCDARP, arpreq(net + ".55", flags=ATF_PUBL | ATF_NETMASK, mask="255.255.255.255")))
pid = os.fork()
if not pid:
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
    print("unprivileged set", ioctl(SIOCSARP, arpreq(net + ".77", mac, ATF_COM)))
    print("unprivileged bad pointer", errno.errorcode[ctypes.get_errno()] if libc.ioctl(s.fileno(), SIOCSARP, ctypes.c_void_p(8)) else "ok")
    r = arpreq(peer)
    print("unprivileged get", ioctl(SIOCGARP, r), show(r))
    print("unprivileged publish", ioctl(SIOCSARP, arpreq(net + ".50", flags=ATF_PUBL)))
    os._exit(0)
os.waitpid(pid, 0)
PY

testbed_peer socat UDP4-RECVFROM:7400,fork EXEC:cat >"$TB_WORK/echo.log" 2>&1 &
testbed_wait_listen "$TB_NS_PEER" udp 7400 30 || tb_fail "the peer's echo did not start"
testbed_native_vs_shim "$TB_WORK/client.py" "$TB_NS_PEER"
sed 's/^/  native: /' "$TB_WORK/native"
grep -q "^echo through the wrong address False$" "$TB_WORK/native" && grep -q "^echo after True$" "$TB_WORK/native" ||
	tb_fail "the kernel's entries did not steer its frames: the test proves nothing"
grep -q "^arping ours Received 1 response(s)$" "$TB_WORK/native" ||
	tb_fail "the peer's arping got no answer even for the kernel's own address: the test proves nothing"
grep -q "^proxy_arp on ok 1 0$" "$TB_WORK/native" && grep -q "^proxy_arp on for every device ok 0 1$" "$TB_WORK/native" ||
	tb_fail "the kernel's SIOCSARP with netmask 0 did not set proxy_arp: the test proves nothing"
tb_say "ok: $(wc -l <"$TB_WORK/native") answers as Linux's"
testbed_test_end
