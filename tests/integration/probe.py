# SPDX-License-Identifier: MIT
"""What differential tests print about a call or a socket, the same way
natively and under the shim: a test copies this file next to its script
(into its work directory), which imports it."""
import errno
import select


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
