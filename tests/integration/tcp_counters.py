# SPDX-License-Identifier: MIT
"""TCP counters of whoever serves the calling program: the kernel's
(/proc/net/netstat), or under the shim the stack's (sockshim-stat, whose
path the caller gives)."""
import os
import re
import subprocess


def tcpext(name, stat):
    """TcpExt counter name, e.g. DelayedACKs."""
    if "LD_PRELOAD" in os.environ:
        out = subprocess.run([stat], capture_output=True, text=True).stdout
        m = re.search(r"\b%s=(\d+)" % name, out)
        return int(m.group(1)) if m else 0
    lines = [l.split() for l in open("/proc/net/netstat") if l.startswith("TcpExt:")]
    return int(dict(zip(lines[0], lines[1]))[name])
