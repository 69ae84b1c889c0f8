# SPDX-License-Identifier: MIT
# TCP_LINGER2 below 0 (test_linger2_neg.sh): an orphan does not wait in
# FIN_WAIT2. Closed there (after shutdown(SHUT_WR) and the peer's ACK of
# its FIN) it sends a RST; closed in ESTABLISHED, it answers the ACK of its
# FIN with a RST. A kernel server on the peer reads to EOF and reports
# whether a reset followed within 5 s (its socket's error), as a control a
# client without the option too. argv: the peer's address, the peer's namespace.
import socket, sys
from sock_probe import peer_server, wait_state

TCP_FIN_WAIT2 = 5
peer_addr, peer_ns = sys.argv[1], sys.argv[2]
SCENARIOS = ("linger2 -1, closed in FIN_WAIT2", "linger2 -1, closed established", "linger2 default, closed established")

SERVE = r"""
import errno, select
def serve(c):
    while c.recv(100):
        pass
    p = select.poll()
    p.register(c, select.POLLERR)
    p.poll(5000)
    e = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    print("  the peer saw: EOF, then %s" % (errno.errorcode[e] if e else "no reset within 5 s"), flush=True)
    c.close()
"""
server, port = peer_server(peer_ns, SERVE, peer_addr, len(SCENARIOS))

for name in SCENARIOS:
    print(name)
    s = socket.create_connection((peer_addr, port))
    if "-1" in name:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_LINGER2, -1)
    print("  TCP_LINGER2:", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_LINGER2))
    if "FIN_WAIT2" in name:
        s.shutdown(socket.SHUT_WR)
        wait_state(s, TCP_FIN_WAIT2)
    s.close()
    print(server.stdout.readline().rstrip())
server.wait()
