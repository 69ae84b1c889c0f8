# SPDX-License-Identifier: MIT
"""Reads a capture of several connections of one 4-tuple (client port
CPORT to server port SPORT), each closed by the server first so that the
server holds it in TIME_WAIT when the next one starts, and checks that each
new SYN continues the previous connection as the kernel's boot-long secrets
make it: its ISN after the last sequence number the client used, its TSval
after the last one it sent, answered by a SYN-ACK (not the old connection's
ACK, which a PAWS-failing or out-of-window SYN gets). argv: pcap CPORT SPORT
ROUNDS. Prints one line per connection and "ok" or what failed."""
import struct
import sys

from pcap_tcp import tcp_segments

path, cport, sport, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])


def tsval(th):
    """The TSval of a segment's timestamp option, or None."""
    opts, i = th[20:(th[12] >> 4) * 4], 0
    while i < len(opts):
        kind = opts[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            break
        if kind == 8 and opts[i + 1] == 10:
            return struct.unpack('>I', opts[i + 2:i + 6])[0]
        i += opts[i + 1]
    return None


def after(a, b):
    return 0 < (a - b) % (1 << 32) < (1 << 31)


conns = []  # per connection: isn, syn tsval, last seq end, last tsval, synack seen
bad = []
for ip, th, paylen in tcp_segments(path):
    sp, dp, seq = struct.unpack('>HHI', th[:8])
    flags = th[13]
    syn, ack, fin, rst = flags & 2, flags & 16, flags & 1, flags & 4
    if sp == cport and dp == sport:
        if rst:
            bad.append('the client reset connection %d' % len(conns))
        if syn and not ack:
            if conns and conns[-1]['isn'] == seq:
                continue  # a retransmitted SYN
            conns.append({'isn': seq, 'ts': tsval(th), 'end': seq + 1, 'last_ts': tsval(th),
                          'synack': False, 'old_ack': False})
            continue
        if conns:
            c = conns[-1]
            end = (seq + paylen + (1 if fin else 0)) % (1 << 32)
            if after(end, c['end']):
                c['end'] = end
            if tsval(th) is not None:
                c['last_ts'] = tsval(th)
    elif sp == sport and dp == cport and conns:
        c = conns[-1]
        if syn and ack:
            c['synack'] = True
        elif not c['synack'] and ack:
            c['old_ack'] = True

if len(conns) != rounds:
    bad.append('%d connections seen, %d made' % (len(conns), rounds))
for i, c in enumerate(conns):
    line = 'connection %d:' % i
    if i:
        p = conns[i - 1]
        line += ' ISN after the last one\'s data: %s;' % ('yes' if after(c['isn'], p['end']) else 'NO')
        if c['ts'] is not None and p['last_ts'] is not None:
            line += ' TSval after its last: %s;' % ('yes' if after(c['ts'], p['last_ts']) else 'NO')
        else:
            line += ' no timestamps;'
    line += ' SYN-ACK: %s' % ('yes' if c['synack'] else 'NO')
    if c['old_ack']:
        line += ', first answered by the old connection\'s ACK'
    print(line)
    if 'NO' in line or c['old_ack']:
        bad.append('connection %d' % i)
print('ok' if not bad else 'FAILED: ' + ', '.join(bad))
