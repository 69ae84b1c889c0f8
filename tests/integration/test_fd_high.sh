#!/bin/bash
# SPDX-License-Identifier: MIT
# A socket on a high fd, past the fd limit the process started with: the
# program starts with RLIMIT_NOFILE 1024:1024, raises it to 1,048,576 (or
# fs.nr_open if lower) and dup2()s a connected TCP socket to fd 500,000,
# then uses it there: send, recv, poll, epoll, getpeername,
# shutdown, close. Also a UDP socket and a listener moved next to it. The
# interposer's per-fd tables must cover every fd the kernel may give,
# whatever the limit was at start. Raising a hard limit takes
# CAP_SYS_RESOURCE: without it (a container's root) the program keeps its
# hard limit and uses its top three fds. Natively and under the shim in
# the same run.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin fd_high
testbed_native_up || tb_fail "cannot build the native namespace"

testbed_tcp_sink 8087 echo || tb_fail "the peer's echo does not listen on 8087"

cp "$(dirname "$0")/probe.py" "$TB_WORK/" || tb_fail "no probe.py"
cat >"$TB_WORK/client.py" <<'PY'
import functools, os, resource, select, signal, socket, sys
from probe import bits, outcome, wait_for
print = functools.partial(print, flush=True)
signal.alarm(50)
addr = sys.argv[1]
with open("/proc/self/status") as f:
    caps = int([l.split()[1] for l in f if l.startswith("CapEff:")][0], 16)
can_raise = bool(caps & (1 << 24))  # CAP_SYS_RESOURCE: a hard limit may go up
if len(sys.argv) < 3:
    # Start again with a low limit, so that the interposer's start sees it.
    if can_raise:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
    os.execv(sys.executable, [sys.executable, sys.argv[0], addr, "low"])

print("CAP_SYS_RESOURCE", can_raise)
if can_raise:
    with open("/proc/sys/fs/nr_open") as f:
        top = min(1048576, int(f.read()))
    print("start limit", resource.getrlimit(resource.RLIMIT_NOFILE))
    print("dup2 past the limit", outcome(lambda: os.dup2(0, 500000)))
    resource.setrlimit(resource.RLIMIT_NOFILE, (top, top))
    print("raised", resource.getrlimit(resource.RLIMIT_NOFILE) == (top, top))
    HIGH = 500000
else:
    # Without it the hard limit only goes down: its top fds, then.
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    HIGH = hard - 3

def move(s, fd):
    os.dup2(s.fileno(), fd)
    s.close()
    return socket.socket(fileno=fd)

s = move(socket.create_connection((addr, 8087)), HIGH)
print("tcp fileno", s.fileno(), "family", s.family == socket.AF_INET, "type", s.type)
print("peer", s.getpeername() == (addr, 8087))
print("poll fresh", bits(s))
print("send", s.send(b"x" * 1000))
got = b""
while len(got) < 1000:
    wait_for(s, select.POLLIN)
    got += s.recv(4096)
print("echo", len(got), got == b"x" * 1000)
ep = select.epoll()
ep.register(HIGH, select.EPOLLIN | select.EPOLLOUT | select.EPOLLRDHUP | select.EPOLLET)
print("epoll", sorted(ep.poll(5)))
s.shutdown(socket.SHUT_WR)
while True:
    wait_for(s, select.POLLIN)
    if s.recv(4096) == b"":
        break
print("after both FINs", bits(s), "epoll", sorted(ep.poll(5)))
print("recv after EOF", outcome(lambda: s.recv(10)))
s.close()
print("closed", outcome(lambda: os.fstat(HIGH)))
ep.close()

u = move(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), HIGH + 1)
u.bind(("0.0.0.0", 0))
port = u.getsockname()[1]
v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print("udp to itself", v.sendto(b"ping", ("127.0.0.1", port)))
u.settimeout(20)
print("udp got", u.recvfrom(100)[0], "poll", bits(u))
print("udp connect refused", outcome(lambda: u.connect((addr, 9))),
      outcome(lambda: u.send(b"a")))
u.settimeout(20)
print("udp error", outcome(lambda: u.recv(10)))
u.close()
v.close()

l = move(socket.socket(), HIGH + 2)
l.bind(("127.0.0.1", 0))
l.listen(1)
print("listener poll", bits(l))
c = socket.create_connection(l.getsockname())
l.settimeout(20)
a, _ = l.accept()
print("accepted poll", bits(a), "listener poll", bits(l))
c.sendall(b"hi")
a.settimeout(20)
print("accepted got", a.recv(10))
for x in (a, c, l):
    x.close()
PY

testbed_native_vs_shim "$TB_WORK/client.py"
sed 's/^/  native: /' "$TB_WORK/native"
grep -q '^echo 1000 True$' "$TB_WORK/native" || tb_fail "natively the echo did not come: the test proves nothing"
tb_say "ok: $(wc -l <"$TB_WORK/native") answers as Linux's"
testbed_test_end
