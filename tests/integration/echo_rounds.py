# SPDX-License-Identifier: MIT
# echo_rounds(s, n): n request/response round trips of 8 bytes on the
# connected stream s against an echo server; exits on EOF or a wrong reply.
import sys


def echo_rounds(s, n):
    for i in range(n):
        m = b"%08d" % i
        s.sendall(m)
        got = b""
        while len(got) < 8:
            c = s.recv(8 - len(got))
            if not c:
                sys.exit("EOF at round %d" % i)
            got += c
        if got != m:
            sys.exit("round %d: sent %r, got %r" % (i, m, got))
