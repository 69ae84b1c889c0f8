# SPDX-License-Identifier: MIT
"""What differential tests print about a call or a socket, the same way
natively and under the shim: a test copies this file next to its script
(into its work directory), which imports it."""
import ctypes
import errno
import select
import time


def name(r):
    """An errno's name, or "0"."""
    return errno.errorcode.get(r, str(r)) if r else "0"


def outcome(f):
    """What f() returned, or the name of the errno it raised."""
    try:
        return repr(f())
    except OSError as ex:
        return name(ex.errno)


def bits(s):
    """The socket's (or fd's) poll bits now, by name."""
    p = select.poll()
    p.register(s, 0xffff)
    ev = p.poll(0)
    return "|".join(n for b, n in ((select.POLLIN, "IN"), (select.POLLOUT, "OUT"),
                                   (select.POLLERR, "ERR"), (select.POLLHUP, "HUP"),
                                   (select.POLLRDHUP, "RDHUP")) if ev and ev[0][1] & b) or "-"


def wait_for(s, bit, secs=20):
    """Waits (by poll, with a deadline) until the socket shows the poll bit."""
    p = select.poll()
    p.register(s, select.POLLIN | select.POLLOUT)
    end = time.monotonic() + secs
    while time.monotonic() < end:
        ev = p.poll(1000)
        if ev and ev[0][1] & bit:
            return
    raise SystemExit("no poll bit %#x" % bit)


def disconnect(fd):
    """connect(AF_UNSPEC) on the fd (Python's socket API has no way to)."""
    libc = ctypes.CDLL(None, use_errno=True)
    r = libc.connect(fd, ctypes.c_char_p(bytes(16)), 16)
    return name(ctypes.get_errno()) if r else "0"
