# SPDX-License-Identifier: MIT
"""TCP counters of whoever serves the calling program: the kernel's
(/proc/net/netstat), or under the shim the stack's (sockshim-stat, whose
path the caller gives); and the peer's end of a counted run."""
import os
import re
import socket
import subprocess


# What sockshim-stat says, and its exit status, when nothing listens on the
# host's control name.
NO_HOST = "sockshim: stat: no stack host for "
NO_HOST_STATUS = 3


def tcpext(name, stat, timeout=30):
    """TcpExt counter name, e.g. DelayedACKs. Under the shim, 0 while no
    stack host has started (its counters would start at 0: a program may
    count before its first socket); a host that does not answer, or whose
    text has no such counter, raises, since a 0 there would hide it."""
    if "LD_PRELOAD" in os.environ:
        try:
            r = subprocess.run([stat], capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError("%s: no answer from the stack host in %g s" % (stat, timeout))
        if r.returncode != 0:
            if r.returncode == NO_HOST_STATUS and re.search("^" + re.escape(NO_HOST), r.stderr, re.M):
                return 0
            raise RuntimeError("%s failed (exit %d): %s" % (stat, r.returncode, r.stderr.strip()))
        m = re.search(r"^TcpExt:.* %s=(\d+)(?: |$)" % re.escape(name), r.stdout, re.M)
        if not m:
            raise RuntimeError("%s: no TcpExt %s in its answer: %r" % (stat, name, r.stdout[-300:]))
        return int(m.group(1))
    lines = [l.split() for l in open("/proc/net/netstat") if l.startswith("TcpExt:")]
    return int(dict(zip(lines[0], lines[1]))[name])


def peer_runs(port):
    """The peer's runs: for each, a data connection d (TCP_NODELAY) and the
    control one the receiver opens next, accepted on port."""
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("0.0.0.0", port))
    l.listen(4)
    while True:
        d, _ = l.accept()
        ctl, _ = l.accept()
        d.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        yield d, ctl


def peer_done(d, ctl):
    """The peer is done sending on d: it says so on ctl, waits until the
    receiver has counted, and only then closes, so that the FINs, whose
    ACKs may be delayed, fall outside the count."""
    ctl.sendall(b"!")
    ctl.recv(1)
    ctl.close()
    d.shutdown(socket.SHUT_WR)
    while d.recv(65536):
        pass
    d.close()
