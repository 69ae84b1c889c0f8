# SPDX-License-Identifier: MIT
# A client speaking preload/common/shim_ctl.h by hand, for tests that play a
# hostile or unusual client. Version, op numbers and sizes come from
# tests/progs/ctl_layout (built from the header); the field formats below are
# checked against those sizes, so a change of the contract fails loudly here.
import json, os, socket, struct, subprocess

L = json.loads(subprocess.check_output([os.environ["CTL_LAYOUT"]]))
OP = L["ops"]
HDR = struct.Struct("=HHIIi")  # version, op, len, id, ret
FMT = {"HELLO": "=HHI", "CREATE": "=ii", "BIND": "=I16s", "LISTEN": "=i",
       "CONNECT": "=I16sII", "SHUTDOWN": "=i", "GETNAME": "=I", "SETSOCKOPT": "=iiI",
       "GETSOCKOPT": "=iiI", "IOCTL": "=Ii", "GETERR": "=", "CLOSE": "=", "STAT": "=I",
       "ADOPT": "=iiIIII"}
assert HDR.size == L["hdr"], "shim_hdr changed"
for name, fmt in FMT.items():
    assert HDR.size + struct.calcsize(fmt) == L["req_len"][name], "payload of " + name


def sin(port, addr="0.0.0.0"):
    return struct.pack("=HH4s8x", socket.AF_INET, socket.htons(port), socket.inet_aton(addr))


class Ctl:
    def __init__(self, iface, addr):
        ino = os.stat("/proc/self/ns/net").st_ino
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.connect(("\0sockshim/ctl/%d/%s/%s" % (ino, iface, addr)).encode())

    def send_raw(self, data, fds=()):
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("%di" % len(fds), *fds))] if fds else []
        self.s.sendmsg([data], anc)

    def recv(self):
        """(ret, id, payload, fd or None), or None if the host dropped the connection."""
        try:
            data, anc, _, _ = self.s.recvmsg(L["rep"], socket.CMSG_SPACE(4))
        except ConnectionResetError:
            return None
        if not data:
            return None
        assert len(data) == L["rep"], "reply size"
        fd = None
        for level, kind, raw in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fd = struct.unpack("i", raw[:4])[0]
        _, _, _, sid, ret = HDR.unpack_from(data)
        return ret, sid, data[HDR.size:], fd

    def call(self, name, sid=0, *fields, value=b"", fds=(), version=None):
        body = struct.pack(FMT[name], *fields) + value
        hdr = HDR.pack(L["version"] if version is None else version, OP[name],
                       HDR.size + len(body), sid, 0)
        self.send_raw(hdr + body, fds)
        if name in ("CLOSE", "ADOPT"):
            return None
        return self.recv()

    def hello(self):
        r = self.call("HELLO", 0, L["version"], L["version"], 0)
        return r is not None and r[0] == 0
