# SPDX-License-Identifier: MIT
"""TCP-MD5 roles for test_tcp_md5.sh, run under the shim and on a kernel alike.

  errnos                          the TCP_MD5SIG/TCP_MD5SIG_EXT errno table
  client ADDR PORT KEY NBYTES     connect signed, send NBYTES (after their
                                  count), read the answer, shut down (a FIN),
                                  close with more data unread (a RST)
  server ADDR PORT KEY PEER...    listen with a key per peer, answer each
                                  connection with the sha256 of what it read
                                  and 100000 bytes, then more until the
                                  client's reset

Python has no socket.TCP_MD5SIG: struct tcp_md5sig is packed by hand.
"""
import ctypes
import errno
import hashlib
import socket
import struct
import sys

TCP_MD5SIG = 14
TCP_MD5SIG_EXT = 32
FLAG_PREFIX = 1
FLAG_IFINDEX = 2
CMD_LEN = 216  # sockaddr_storage, flags, prefixlen, keylen, ifindex, key[80]


def cmd(addr, key, family=socket.AF_INET, flags=0, prefixlen=0, ifindex=0, keylen=None):
    ss = struct.pack('=H2s4s', family, b'\0\0', socket.inet_aton(addr)).ljust(128, b'\0')
    key = key.encode() if isinstance(key, str) else key
    return ss + struct.pack('=BBHi', flags, prefixlen, len(key) if keylen is None else keylen,
                            ifindex) + key.ljust(80, b'\0')[:80]


def set_key(s, addr, key, **kw):
    s.setsockopt(socket.IPPROTO_TCP, TCP_MD5SIG, cmd(addr, key, **kw))


def outcome(f):
    try:
        r = f()
        return 'ok' if r is None else repr(r)
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def errnos():
    s = socket.socket()
    ext, plain = TCP_MD5SIG_EXT, TCP_MD5SIG
    libc = ctypes.CDLL(None, use_errno=True)

    def so(name, val):
        return lambda: s.setsockopt(socket.IPPROTO_TCP, name, val)

    def bad_pointer():
        # A pointer to nothing mapped, with the full length: the copy faults.
        if libc.setsockopt(s.fileno(), socket.IPPROTO_TCP, TCP_MD5SIG, ctypes.c_void_p(16), CMD_LEN):
            raise OSError(ctypes.get_errno(), 'setsockopt')
    rows = [
        ('short optlen', so(plain, cmd('10.1.2.3', 'k')[:CMD_LEN - 1])),
        ('int optlen', so(plain, 1)),
        ('bad pointer', bad_pointer),
        ('AF_INET6 address', so(plain, cmd('10.1.2.3', 'k', family=socket.AF_INET6))),
        ('AF_UNSPEC address', so(plain, cmd('10.1.2.3', 'k', family=0))),
        ('key of 81 bytes', so(plain, cmd('10.1.2.3', 'k' * 81, keylen=81))),
        ('key of 80 bytes', so(plain, cmd('10.1.2.3', 'k' * 80))),
        ('same key again', so(plain, cmd('10.1.2.3', 'k' * 80))),
        ('ext prefix 33', so(ext, cmd('10.1.2.3', 'k', flags=FLAG_PREFIX, prefixlen=33))),
        ('plain ignores prefix 33', so(plain, cmd('10.1.2.4', 'k', flags=FLAG_PREFIX, prefixlen=33))),
        ('ext prefix 24', so(ext, cmd('10.1.2.3', 'k', flags=FLAG_PREFIX, prefixlen=24))),
        ('ext prefix 0', so(ext, cmd('0.0.0.0', 'k', flags=FLAG_PREFIX, prefixlen=0))),
        ('ext ifindex 1 (lo)', so(ext, cmd('10.1.2.5', 'k', flags=FLAG_IFINDEX, ifindex=1))),
        ('ext ifindex 9999', so(ext, cmd('10.1.2.5', 'k', flags=FLAG_IFINDEX, ifindex=9999))),
        ('ext ifindex flag, index 0', so(ext, cmd('10.1.2.5', 'k', flags=FLAG_IFINDEX))),
        ('ext ifindex 1 without flag', so(ext, cmd('10.1.2.6', 'k', ifindex=1))),
        ('delete /32', so(plain, cmd('10.1.2.3', '', keylen=0))),
        ('delete /32 again', so(plain, cmd('10.1.2.3', '', keylen=0))),
        ('delete /24 given as .0', so(ext, cmd('10.1.2.0', '', flags=FLAG_PREFIX, prefixlen=24, keylen=0))),
        ('delete /24 as added', so(ext, cmd('10.1.2.3', '', flags=FLAG_PREFIX, prefixlen=24, keylen=0))),
        ('delete ifindex-flag key without flag', so(ext, cmd('10.1.2.5', '', keylen=0))),
        ('delete ifindex-flag key', so(ext, cmd('10.1.2.5', '', flags=FLAG_IFINDEX, keylen=0))),
        ('delete never added', so(plain, cmd('10.9.9.9', '', keylen=0))),
        ('getsockopt TCP_MD5SIG', lambda: s.getsockopt(socket.IPPROTO_TCP, TCP_MD5SIG, CMD_LEN)),
        ('getsockopt TCP_MD5SIG_EXT', lambda: s.getsockopt(socket.IPPROTO_TCP, TCP_MD5SIG_EXT, CMD_LEN)),
    ]
    for what, f in rows:
        print('%s: %s' % (what, outcome(f)))
    s.listen(4)
    print('on a listener: %s' % outcome(so(plain, cmd('10.1.2.3', 'k'))))


def recv_exact(c, n):
    got = bytearray()
    while len(got) < n:
        d = c.recv(n - len(got))
        if not d:
            break
        got += d
    return bytes(got)


def client(addr, port, key, nbytes):
    s = socket.socket()
    set_key(s, addr, key)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, 1)
    try:
        s.connect((addr, port))
    except OSError as e:
        print('connect: %s' % errno.errorcode.get(e.errno, str(e.errno)))
        return
    data = bytes(i * 7 % 251 for i in range(nbytes))
    s.sendall(struct.pack('>Q', nbytes) + data)
    answer = recv_exact(s, 64 + 100000)
    digest, rest = answer[:64].decode(), answer[64:]
    print('connect: ok; server read %s; got %d bytes back, %s' % (
        'all' if digest == hashlib.sha256(data).hexdigest() else 'WRONG', len(rest),
        'intact' if rest == bytes(i * 3 % 253 for i in range(len(rest))) else 'CORRUPT'))
    s.shutdown(socket.SHUT_WR)
    s.recv(1)  # more is coming: what stays unread makes close() reset (RFC 2525 2.17)
    s.close()


def server(addr, port, key, peers):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    for p in peers:
        set_key(s, p, key)
    s.bind((addr, port))
    s.listen(8)
    print('ready', flush=True)
    while True:
        c, _ = s.accept()
        got = recv_exact(c, struct.unpack('>Q', recv_exact(c, 8))[0])
        c.sendall(hashlib.sha256(got).hexdigest().encode() + bytes(i * 3 % 253 for i in range(100000)))
        try:
            while True:
                c.send(b'more' * 256)
        except OSError:  # the client's reset
            pass
        c.close()


if __name__ == '__main__':
    if sys.argv[1] == 'errnos':
        errnos()
    elif sys.argv[1] == 'client':
        client(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
    else:
        server(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:])
