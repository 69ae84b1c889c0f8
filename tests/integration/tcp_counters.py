# SPDX-License-Identifier: MIT
"""TCP counters of whoever serves the calling program: the kernel's
(/proc/net/netstat), or under the shim the stack's (sockshim-stat, whose
path the caller gives); and the peer's end of a counted run."""
import os
import re
import socket
import subprocess


def tcpext(name, stat):
    """TcpExt counter name, e.g. DelayedACKs."""
    if "LD_PRELOAD" in os.environ:
        out = subprocess.run([stat], capture_output=True, text=True).stdout
        m = re.search(r"\b%s=(\d+)" % name, out)
        return int(m.group(1)) if m else 0
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
