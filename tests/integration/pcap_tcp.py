# SPDX-License-Identifier: MIT
"""The IPv4 TCP segments of a pcap file, for the tests that check the wire.

tcpdump may still be writing the file: a record cut short ends the walk,
and the caller repeats its check until a deadline.
"""
import struct


def tcp_segments(path):
    """Yields (ip, th, paylen): the IP header on, the TCP header on, the payload length."""
    data = open(path, 'rb').read()
    if len(data) < 24:
        return
    e = '<' if struct.unpack('<I', data[:4])[0] in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(e + 'IIII', data[off:off + 16])[2]
        if off + 16 + incl > len(data):
            break  # a record still being written
        f = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(f) < 54 or f[12:14] != b'\x08\x00' or f[23] != 6:
            continue
        ip = f[14:]
        ihl = (ip[0] & 15) * 4
        th = ip[ihl:]
        yield ip, th, struct.unpack('>H', ip[2:4])[0] - ihl - (th[12] >> 4) * 4
