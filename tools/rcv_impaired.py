# SPDX-License-Identifier: MIT
"""The receiver's side of one impaired download, from two captures.

rcv_impaired.py SENDER_PCAP RECEIVER_PCAP MB: SENDER_PCAP is taken on the
sender's interface (every data segment as sent, before the bridge drops
any), RECEIVER_PCAP on the receiver's (every ACK as sent). Prints one line:
transfer time (SYN to the sender's last data or FIN), data segments, resends (segments
whose end is not beyond what was sent before), ACKs, ACKs per MB, ACKs per
data segment received, D-SACKs, and the advertised window (bytes, scaled)
when the ACK first passed 16 KiB, 64 KiB, ... of data, and its largest.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests',
                                'integration'))
from pcap_tcp import tcp_segments  # noqa: E402


def records(path):
    """(ts, ip, th, paylen) of each TCP segment, the pcap's timestamps in seconds."""
    data = open(path, 'rb').read()
    e = '<' if struct.unpack('<I', data[:4])[0] in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    nano = struct.unpack(e + 'I', data[:4])[0] == 0xa1b23c4d
    off, stamps = 24, []
    while off + 16 <= len(data):
        sec, frac, incl = struct.unpack(e + 'III', data[off:off + 12])
        if off + 16 + incl > len(data):
            break
        stamps.append(sec + frac / (1e9 if nano else 1e6))
        off += 16 + incl
    # tcp_segments skips non-TCP frames: pair them up by walking both again.
    out, i = [], 0
    off = 24
    for ip, th, paylen in tcp_segments(path):
        while True:
            incl = struct.unpack(e + 'I', data[off + 8:off + 12])[0]
            f = data[off + 16:off + 16 + incl]
            off += 16 + incl
            i += 1
            if f[14:14 + len(ip)] == ip:
                break
        out.append((stamps[i - 1], ip, th, paylen))
    return out


def options(th):
    """The TCP options as (kind, body) pairs."""
    o, end, opts = 20, (th[12] >> 4) * 4, []
    while o < end:
        k = th[o]
        if k == 0:
            break
        if k == 1:
            o += 1
            continue
        n = th[o + 1]
        opts.append((k, th[o + 2:o + n]))
        o += n
    return opts


def main():
    snd, rcv, mb = records(sys.argv[1]), records(sys.argv[2]), float(sys.argv[3])
    data_port = None
    t0 = t1 = None
    top, segs, resends = None, 0, 0
    for ts, ip, th, paylen in snd:
        sport = struct.unpack('>H', th[0:2])[0]
        flags, seq = th[13], struct.unpack('>I', th[4:8])[0]
        if flags & 0x02 and t0 is None:
            t0 = ts
        if paylen <= 0 and not flags & 0x01:
            continue
        if data_port is None:
            data_port = sport
        if sport != data_port:
            continue
        t1 = ts
        if paylen <= 0:
            continue
        end = (seq + paylen) & 0xffffffff
        segs += 1
        if top is not None and ((end - top) & 0xffffffff) >= 0x80000000 or end == top:
            resends += 1
        else:
            top = end
    wscale, acks, dsacks, wins, first = 0, 0, 0, [], None
    for ts, ip, th, paylen in rcv:
        dport = struct.unpack('>H', th[2:4])[0]
        if dport != data_port:
            continue
        flags = th[13]
        opts = options(th)
        if flags & 0x02:
            for k, b in opts:
                if k == 3:
                    wscale = b[0]
            continue
        if not flags & 0x10 or paylen > 0:
            continue
        acks += 1
        ack = struct.unpack('>I', th[8:12])[0]
        if first is None:
            first = ack
        wins.append(((ack - first) & 0xffffffff, struct.unpack('>H', th[14:16])[0] << wscale))
        for k, b in opts:
            if k == 5 and len(b) >= 8:
                left, right = struct.unpack('>II', b[:8])
                if ((ack - right) & 0xffffffff) < 0x80000000 and right != ack or right == ack:
                    dsacks += 1
    # The window offered when the ACK first passed 16 KiB, 64 KiB, ... of data.
    marks, mark = [], 16384
    for acked, win in wins:
        if acked >= mark:
            marks.append('%dK:%d' % (mark >> 10, win))
            mark *= 4
    print('time %.3f segs %d resends %d acks %d acks/MB %.0f acks/seg %.3f dsacks %d '
          'win_max %d win %s' % ((t1 or 0) - (t0 or 0), segs, resends, acks, acks / mb,
                                 acks / max(segs, 1), dsacks, max([w for _, w in wins] or [0]), ' '.join(marks)))


main()
