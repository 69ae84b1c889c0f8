#!/bin/bash
# SPDX-License-Identifier: MIT
# The first connect() of a fresh TCP socket goes to the stack host without
# waiting for its answer (SHIM_CONNECT_NOREPLY) where the interposer knows
# every synchronous error it could have; everything else still asks. Each
# case runs natively and under the shim, and the outputs must be the same:
# non-blocking and blocking connects that succeed or are refused (the
# refusal comes as the connection's outcome, as the kernel's: SO_ERROR,
# poll's bits, the next connect()); the errors connect() itself gives
# (ENETUNREACH off the subnet, to the subnet's broadcast, to a multicast
# group); and the sockets this process does not hold alone: a connect
# through a dup, and in the parent after a fork child's, is EALREADY while
# the first is under way (a neighbour that never answers ARP keeps it in
# SYN_SENT) and EISCONN once it is done.
# The trace must show the connects that went without waiting.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin connect_noreply
testbed_native_up || tb_fail "cannot build the native namespace"
testbed_tcp_sink 7150 || tb_fail "the peer does not listen"

cat >"$TB_WORK/client.py" <<'EOF'
import errno, functools, os, select, socket, sys
print = functools.partial(print, flush=True)
peer = sys.argv[1]
net = peer.rsplit(".", 1)[0]
silent = net + ".77"  # no host: ARP goes unanswered, the SYN waits

def res(f):
	try:
		r = f()
		return "ok" if r is None else r
	except OSError as e:
		return errno.errorcode[e.errno]

def nb():
	s = socket.socket()
	s.setblocking(False)
	return s

def bits(ev):
	return "|".join(n for n, b in (("OUT", select.POLLOUT), ("ERR", select.POLLERR),
				       ("HUP", select.POLLHUP)) if ev & b) or "none"

def settle(s):
	p = select.poll()
	p.register(s, select.POLLOUT)
	ev = p.poll(10000)
	return bits(ev[0][1]) if ev else "timeout"

def soerr(s):
	e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
	return errno.errorcode[e] if e else 0

s = nb()
print("up:", res(lambda: s.connect((peer, 7150))), settle(s), soerr(s),
      res(lambda: s.connect((peer, 7150))), res(lambda: s.connect((peer, 7150))),
      res(lambda: s.send(b"x")))
s.close()
s = nb()
print("refused:", res(lambda: s.connect((peer, 7151))), settle(s), soerr(s),
      res(lambda: s.connect((peer, 7151))))
s.close()
s = socket.socket()
print("blocking up:", res(lambda: s.connect((peer, 7150))), res(lambda: s.sendall(b"y")))
s.close()
print("blocking refused:", res(lambda: socket.socket().connect((peer, 7151))))
print("off the subnet:", res(lambda: nb().connect(("192.0.2.1", 80))))
print("the subnet's broadcast:", res(lambda: nb().connect((net + ".255", 80))))
print("a multicast group:", res(lambda: nb().connect(("224.0.0.1", 80))))
socks = [nb() for _ in range(20)]
print("twenty at once:", sorted(set(res(lambda: t.connect((peer, 7150))) for t in socks)),
      sorted(set(settle(t) for t in socks)), sorted(set(soerr(t) for t in socks)))
for t in socks:
	t.close()

# A dup made without a question to the socket (the family given, not asked).
def dup(s):
	return socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0, os.dup(s.fileno()))

# The dup connects first: the original is the one that must know it.
s = nb()
d = dup(s)
print("through a dup under way:", res(lambda: d.connect((silent, 80))),
      res(lambda: s.connect((silent, 80))))
s.close()
d.close()
s = socket.socket()
d = dup(s)
print("through a dup connected:", res(lambda: d.connect((peer, 7150))),
      res(lambda: s.connect((peer, 7150))))
s.close()
d.close()
for dst in ((silent, 80), (peer, 7150)):
	s = socket.socket()
	s.setblocking(dst[0] == peer)
	pid = os.fork()
	if pid == 0:
		print("fork child:", res(lambda: s.connect(dst)))
		os._exit(0)
	os.waitpid(pid, 0)
	s.setblocking(False)
	print("parent after the child:", res(lambda: s.connect(dst)))
	s.close()
EOF

SOCKSHIM_TRACE=1 SOCKSHIM_TRACE_FILE="$TB_WORK/trace.log" testbed_native_vs_shim "$TB_WORK/client.py"
sed 's/^/  native: /' "$TB_WORK/native"
grep -q "^up: EINPROGRESS OUT 0 ok EISCONN 1$" "$TB_WORK/native" ||
	tb_fail "the kernel's run is not as expected: the test proves nothing"
# up, refused, the two blocking ones, the twenty: 24 connects without a wait.
n=$(grep -c "connect(.*not waited for" "$TB_WORK/trace.log")
[ "$n" -ge 24 ] || tb_fail "only $n connects went without waiting for the host (want 24)"
tb_say "ok: $(wc -l <"$TB_WORK/native") lines as Linux's; $n connects did not wait for the host"
testbed_test_end
