# SPDX-License-Identifier: MIT
# A reset that comes after the peer's FIN (the peer closes with SO_LINGER 0
# once its FIN is acknowledged; a peer that keeps no TIME_WAIT answers a late
# ACK the same way): the kernel's tcp_recvmsg still reads the data and then
# EOF (SOCK_DONE comes before sk_err), while SO_ERROR, poll and the next
# write see the reset's EPIPE. test_fin_rst.sh runs this natively and under
# the shim and compares. argv: the peer's address, the peer's namespace.
import socket, struct, sys
from sock_probe import TCP_CLOSE, TCP_CLOSE_WAIT, call, peer_server, poll_bits, so_error, wait_state

peer_addr, peer_ns = sys.argv[1], sys.argv[2]
SCENARIOS = ("read first", "poll first", "SO_ERROR first", "write first")

SERVE = r"""
import struct
def serve(c):
    c.sendall(b"hello")
    c.shutdown(socket.SHUT_WR)
    c.recv(1)  # the client has our FIN: reset it now
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
"""
server, port = peer_server(peer_ns, SERVE, peer_addr, len(SCENARIOS))

for name in SCENARIOS:
    print(name)
    s = socket.create_connection((peer_addr, port))
    wait_state(s, TCP_CLOSE_WAIT)
    s.send(b"x")
    wait_state(s, TCP_CLOSE)
    if name == "poll first":
        call("poll", lambda: poll_bits(s))
    elif name == "SO_ERROR first":
        call("SO_ERROR", lambda: so_error(s))
    elif name == "write first":
        call("send", lambda: s.send(b"y", socket.MSG_NOSIGNAL))
    call("recv", lambda: s.recv(100))
    call("recv", lambda: s.recv(100))
    call("recv again", lambda: s.recv(100))
    call("poll", lambda: poll_bits(s))
    call("SO_ERROR", lambda: so_error(s))
    call("SO_ERROR again", lambda: so_error(s))
    call("send", lambda: s.send(b"z", socket.MSG_NOSIGNAL))
    call("recv after", lambda: s.recv(100))
    s.close()
server.wait(timeout=30)
