# SPDX-License-Identifier: MIT
# close() and bind() of the same port again at once, as the kernel answers
# (test_rebind_kernel.sh runs this natively and under the shim and
# compares): a bound TCP socket, a listener and a UDP socket closed and
# bound again; a listener closed with a connection waiting in its accept
# queue; a port held by an accepted connection in TIME_WAIT (SO_REUSEADDR
# rules); a listener whose process exits, whose fork child exits, or whose
# fd is replaced by dup2. argv: the peer's address, the peer's namespace.
import errno, os, select, socket, subprocess, sys, time

peer_addr, peer_ns = sys.argv[1], sys.argv[2]
me = peer_addr.rsplit(".", 1)[0] + ".10"
S = socket.SOL_SOCKET
env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}


def tcp(reuse):
	s = socket.socket()
	if reuse:
		s.setsockopt(S, socket.SO_REUSEADDR, 1)
	return s


def try_bind(label, s, port, listen=True):
	try:
		s.bind(("0.0.0.0", port))
		if listen:
			s.listen(4)
		print(label, "ok")
	except OSError as e:
		print(label, errno.errorcode[e.errno])
	s.close()


PEER = """
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
print("c", flush=True)
s.settimeout(30)
try:
	while s.recv(10):  # until our FIN (we close first) or reset
		pass
except OSError:
	pass
"""


def peer_connect(port):
	"""A kernel client in the peer namespace: connects, holds it until we close."""
	return subprocess.Popen(["ip", "netns", "exec", peer_ns, sys.executable, "-c", PEER, me, str(port)],
				env=env, stdout=subprocess.PIPE)


for i in range(5):
	s = tcp(False)
	s.bind(("0.0.0.0", 7201))
	s.close()
	try_bind("bound, closed, bound again %d" % i, tcp(False), 7201, False)
	s = tcp(False)
	s.bind(("0.0.0.0", 7202))
	s.listen(1)
	s.close()
	try_bind("listener closed, listening again %d" % i, tcp(False), 7202)
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.bind(("0.0.0.0", 7203))
	s.close()
	try_bind("udp closed, bound again %d" % i, socket.socket(socket.AF_INET, socket.SOCK_DGRAM), 7203, False)

for reuse in (0, 1):
	port = 7221 + reuse
	l = tcp(reuse)
	l.bind(("0.0.0.0", port))
	l.listen(4)
	p = peer_connect(port)
	p.stdout.readline()
	print("a connection waits:", bool(select.select([l], [], [], 10)[0]))
	l.close()
	try_bind("listener closed with a connection waiting, reuse=%d" % reuse, tcp(reuse), port)
	p.wait()

for reuse in (0, 1):
	port = 7231 + reuse
	l = tcp(reuse)
	l.bind(("0.0.0.0", port))
	l.listen(4)
	p = peer_connect(port)
	c, _ = l.accept()
	c.shutdown(socket.SHUT_WR)  # ours first; the peer's FIN follows: TIME_WAIT here
	while c.recv(10):
		pass
	c.close()
	p.wait()
	l.close()
	for b in (0, 1):
		try_bind("accepted one in TIME_WAIT, listener reuse=%d, bind reuse=%d" % (reuse, b), tcp(b), port)

prog = '''
import errno, socket, sys
port, reuse, udp = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
if reuse:
	s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
	s.bind(("0.0.0.0", port))
	if not udp:
		s.listen(4)
	print("ok")
except OSError as e:
	print(errno.errorcode[e.errno])
'''
for udp in (0, 1):
	for reuse in (0, 1):
		res = [subprocess.run([sys.executable, "-c", prog, str(7251 + reuse + 2 * udp), str(reuse), str(udp)],
				      capture_output=True, text=True).stdout.strip() for i in range(5)]
		print("udp=%d reuse=%d: each process binds, the next one after its exit:" % (udp, reuse), " ".join(res))

for reuse in (0, 1):
	s = tcp(reuse)
	s.bind(("0.0.0.0", 7261 + reuse))
	s.listen(4)
	pid = os.fork()
	if pid == 0:
		os._exit(0)
	os.waitpid(pid, 0)
	s.close()
	try_bind("listener closed after its fork child exited, reuse=%d" % reuse, tcp(reuse), 7261 + reuse)

s = tcp(False)
s.bind(("0.0.0.0", 7265))
s.listen(4)
n = os.open("/dev/null", os.O_RDONLY)
os.dup2(n, s.detach())
try_bind("listener replaced by dup2", tcp(False), 7265)
