#!/bin/bash
# SPDX-License-Identifier: MIT
# SOCKSHIM_SPIN_US: a program's blocking read, poll and epoll_wait on an
# emulated socket look for readiness before they sleep, and that never
# changes what a call answers. With the longest spin (1 ms) and without it,
# the same client: 1,000 request/response round trips against a kernel
# echo server, every reply right; a non-blocking recv() and MSG_DONTWAIT
# say EAGAIN at once (2,000 of them take far less CPU than one spin each
# would burn); SO_RCVTIMEO still ends a wait with EAGAIN; a signal still
# interrupts a blocking recv() (EINTR); poll() and epoll_wait() report the
# reply and time out when nothing comes. The spin is there (strace: a
# blocking recv() on an empty socket with SO_RCVTIMEO looks with ppoll()
# and a zero timeout, then sleeps in ppoll() for the rest of the time) only
# when asked for; without it the kernel's read sleeps. A request/response flow
# makes no request to the host to size its pair's send buffer (a round trip
# to the host in the way of a write, as each write made at most once a
# millisecond before), and looks at the pair's fill (ioctl SIOCOUTQ) at
# most once a millisecond, not at every write. A bad value is one line
# naming the variable, and the socket() fails.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin program_spin

rounds=1000

testbed_check_bad_setting SOCKSHIM_SPIN_US lots
testbed_check_bad_setting SOCKSHIM_SPIN_US 1001

testbed_many_conns_echo 9301

cat >"$TB_WORK/client.py" <<'PY'
import errno, select, signal, socket, sys, time
sys.path.insert(0, sys.argv[3])
from echo_rounds import echo_rounds

def switches():
    for line in open("/proc/self/status"):
        if line.startswith("voluntary_ctxt_switches"):
            return int(line.split()[1])

s = socket.create_connection((sys.argv[1], 9301))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
rounds = int(sys.argv[2])
v0 = switches()
echo_rounds(s, rounds)
print("round trips", rounds, "sleeps", switches() - v0, flush=True)

# Nothing to read: EAGAIN at once, 2,000 times (a spin of each would burn 2 s).
def eagain(n, nonblocking, flags):
    s.setblocking(not nonblocking)
    t0 = time.process_time()
    for _ in range(n):
        try:
            s.recv(8, flags)
            sys.exit("recv on an empty socket returned data")
        except BlockingIOError:
            pass
    s.setblocking(True)
    return time.process_time() - t0
print("nonblocking cpu %.3f" % eagain(2000, True, 0), flush=True)
print("dontwait cpu %.3f" % eagain(2000, False, socket.MSG_DONTWAIT), flush=True)

# SO_RCVTIMEO: the wait still ends with EAGAIN.
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, b"\x00" * 8 + (100000).to_bytes(8, "little"))
t0 = time.monotonic()
try:
    s.recv(8)
    print("rcvtimeo: data")
except OSError as e:
    print("rcvtimeo errno", errno.errorcode[e.errno], "after", ">=100ms" if time.monotonic() - t0 >= 0.1 else "<100ms", flush=True)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, b"\x00" * 16)

# A signal interrupts the blocking recv (the handler raises: EINTR seen).
class Alarm(Exception):
    pass
def on_alarm(sig, frame):
    raise Alarm()
signal.signal(signal.SIGALRM, on_alarm)
signal.setitimer(signal.ITIMER_REAL, 0.2)
try:
    s.recv(8)
    print("eintr: data")
except Alarm:
    print("eintr: interrupted", flush=True)

# poll and epoll: a reply is reported, and nothing times out.
for name in ("poll", "epoll"):
    if name == "poll":
        p = select.poll()
        p.register(s, select.POLLIN)
        wait = lambda ms: [ev for _, ev in p.poll(ms)]
    else:
        p = select.epoll()
        p.register(s, select.EPOLLIN)
        wait = lambda ms: [ev for _, ev in p.poll(ms / 1000.0)]
    t0 = time.monotonic()
    idle = wait(100)
    late = time.monotonic() - t0 >= 0.1
    s.sendall(b"x")
    ready = wait(5000)
    got = s.recv(1)
    print(name, "idle", idle, ">=100ms" if late else "<100ms", "ready", bool(ready), got, flush=True)
PY

# run SPIN OUT: the client with SOCKSHIM_SPIN_US=SPIN, the host tracing its requests.
run() {
	SOCKSHIM_SPIN_US=$1 SOCKSHIM_TRACE=2 SOCKSHIM_TRACE_FILE=$2.trace testbed_shim timeout 120 \
		"$TB_PY" "$TB_WORK/client.py" "$TB_PEER_ADDR" $rounds "$(dirname "$0")" >"$2" 2>&1 ||
		tb_fail "client (spin $1) failed: $(tail -n 3 "$2")"
	tb_say "spin $1 us: $(tr '\n' ';' <"$2")"
}
run 1000 "$TB_WORK/spin.out"
run 0 "$TB_WORK/nospin.out"

for out in spin nospin; do
	f=$TB_WORK/$out.out
	grep -q "^round trips $rounds sleeps [0-9]*$" "$f" || tb_fail "$out: round trips: $(head -n 1 "$f")"
	grep -q '^rcvtimeo errno EAGAIN after >=100ms$' "$f" || tb_fail "$out: SO_RCVTIMEO: $(grep rcvtimeo "$f")"
	grep -q '^eintr: interrupted$' "$f" || tb_fail "$out: a signal did not interrupt recv: $(grep eintr "$f")"
	grep -q "^poll idle \[\] >=100ms ready True b'x'$" "$f" || tb_fail "$out: poll: $(grep '^poll' "$f")"
	grep -q "^epoll idle \[\] >=100ms ready True b'x'$" "$f" || tb_fail "$out: epoll: $(grep '^epoll' "$f")"
	for k in nonblocking dontwait; do
		cpu=$(sed -n "s/^$k cpu //p" "$f")
		awk -v c="$cpu" 'BEGIN { exit !(c != "" && c < 1.0) }' ||
			tb_fail "$out: 2,000 EAGAINs ($k) took $cpu s of CPU: they spun"
	done
	# The round trips come between TCP_NODELAY and SO_RCVTIMEO, the client's two SETSOCKOPTs.
	asks=$(awk '/: SETSOCKOPT id/ { n++ } n == 1 && /: GETSOCKOPT id/ { a++ } END { print a + 0 }' "$f.trace")
	[ "$asks" = 0 ] || tb_fail "$out: $asks requests to the host for the pair's size in $rounds round trips"
done
tb_say "ok: answers the same with and without the spin, no request for the pair's size"

# The spin itself: a blocking recv() on an empty socket (SO_RCVTIMEO 20 ms)
# looks with ppoll(fd, POLLIN, 0), its signals unblocked in the call only,
# then sleeps in ppoll for the rest of the 20 ms; without the spin the
# kernel's recvmsg sleeps.
cat >"$TB_WORK/idle.py" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], 9301))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, b"\x00" * 8 + (20000).to_bytes(8, "little"))
try:
    s.recv(8)
except BlockingIOError:
    print("idle: EAGAIN")
PY
for spin in 1000 0; do
	SOCKSHIM_SPIN_US=$spin testbed_shim strace -f -e trace=ppoll,recvmsg -o "$TB_WORK/idle-$spin.strace" \
		"$TB_PY" "$TB_WORK/idle.py" "$TB_PEER_ADDR" >"$TB_WORK/idle-$spin.out" 2>&1
	grep -q '^idle: EAGAIN$' "$TB_WORK/idle-$spin.out" ||
		tb_fail "spin $spin: idle recv: $(tail -n 2 "$TB_WORK/idle-$spin.out")"
done
grep -q 'events=POLLIN}\], 1, {tv_sec=0, tv_nsec=0}, \[' "$TB_WORK/idle-1000.strace" ||
	tb_fail "with SOCKSHIM_SPIN_US=1000 the blocking recv did not spin: $(grep -E 'poll|recvmsg' "$TB_WORK/idle-1000.strace" | tail -n 4)"
grep -Eq 'events=POLLIN}\], 1, \{tv_sec=0, tv_nsec=[1-9][0-9]*\}, \[' "$TB_WORK/idle-1000.strace" ||
	tb_fail "with SOCKSHIM_SPIN_US=1000 the recv did not sleep the rest of SO_RCVTIMEO in ppoll: $(tail -n 4 "$TB_WORK/idle-1000.strace")"
! grep -q 'events=POLLIN}\], 1, ' "$TB_WORK/idle-0.strace" ||
	tb_fail "with SOCKSHIM_SPIN_US=0 the blocking recv polled: $(grep ppoll "$TB_WORK/idle-0.strace" | tail -n 2)"
tb_say "ok: the blocking recv spins only when asked to, and the spin counts against SO_RCVTIMEO"

# A non-blocking reader with the spin on makes the kernel's one call per
# read, not a read with MSG_DONTWAIT then fcntl(F_GETFL) (every EAGAIN paid
# both before): the file's mode is known from FIONBIO (Python's
# setblocking), F_SETFL, or, made non-blocking by another process through
# the shared file, from the first read that asks. Made blocking again by
# that other process, the file is still read as the kernel's: a read waits
# for SO_RCVTIMEO (200 ms) and says EAGAIN, not at once.
cat >"$TB_WORK/nb.py" <<'PY'
import fcntl, os, socket, sys, time
s = socket.create_connection((sys.argv[1], 9301))
mode = sys.argv[2]
def other(fl):
    pid = os.fork()
    if pid == 0:
        fcntl.fcntl(s, fcntl.F_SETFL, fl)
        os._exit(0)
    os.waitpid(pid, 0)
if mode == "ioctl":
    s.setblocking(False)
elif mode == "fcntl":
    fcntl.fcntl(s, fcntl.F_SETFL, os.O_NONBLOCK)
else:
    other(os.O_NONBLOCK)
n = 0
os.getppid()  # the reads' bounds in the trace
for _ in range(1000):
    try:
        s.recv(8)
    except BlockingIOError:
        n += 1
os.getppid()
print("nb", mode, "fd", s.fileno(), "eagain", n, flush=True)
if mode == "shared":
    other(0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, b"\x00" * 8 + (200000).to_bytes(8, "little"))
    t0 = time.monotonic()
    try:
        s.recv(8)
        print("blocking again: data")
    except BlockingIOError:
        print("blocking again: EAGAIN", ">=200ms" if time.monotonic() - t0 >= 0.2 else "<200ms")
PY
for mode in ioctl fcntl shared; do
	f=$TB_WORK/nb-$mode
	SOCKSHIM_SPIN_US=1000 testbed_shim strace -f -e trace=fcntl,recvmsg,recvfrom,getppid -o "$f.strace" \
		"$TB_PY" "$TB_WORK/nb.py" "$TB_PEER_ADDR" $mode >"$f.out" 2>&1
	fd=$(sed -n "s/^nb $mode fd \([0-9]*\) eagain 1000$/\1/p" "$f.out")
	[ -n "$fd" ] || tb_fail "non-blocking reader ($mode): $(tail -n 2 "$f.out")"
	awk '/getppid\(/ { n++; next } n == 1' "$f.strace" >"$f.reads"
	getfl=$(grep -c "fcntl($fd, F_GETFL" "$f.reads")
	dontwait=$(grep -Ec "recv(msg|from)\($fd, .*MSG_DONTWAIT" "$f.reads")
	tb_say "non-blocking reader ($mode): 1,000 EAGAINs, $getfl fcntl(F_GETFL) and $dontwait reads with MSG_DONTWAIT on its fd"
	[ "$getfl" -le 1 ] && [ "$dontwait" -le 1 ] ||
		tb_fail "non-blocking reader ($mode): $getfl fcntl(F_GETFL) and $dontwait MSG_DONTWAIT reads for 1,000 EAGAINs: $(grep -E "fcntl\\($fd, F_GETFL|MSG_DONTWAIT" "$f.reads" | head -n 4)"
done
grep -q '^blocking again: EAGAIN >=200ms$' "$TB_WORK/nb-shared.out" ||
	tb_fail "a file another process made blocking again: $(tail -n 1 "$TB_WORK/nb-shared.out")"
tb_say "ok: a non-blocking reader pays no fcntl per read, and a file made blocking again elsewhere still waits"

# The pair's fill is looked at (ioctl SIOCOUTQ, which strace names TIOCOUTQ)
# at most once a millisecond of the flow, besides the first write's look
# for the connect filler: every write looked before.
cat >"$TB_WORK/rr.py" <<'PY'
import socket, sys
sys.path.insert(0, sys.argv[3])
from echo_rounds import echo_rounds
s = socket.create_connection((sys.argv[1], 9301))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
echo_rounds(s, int(sys.argv[2]))
print("rr: done")
PY
testbed_shim strace -f -ttt -e trace=ioctl -o "$TB_WORK/rr.strace" \
	"$TB_PY" "$TB_WORK/rr.py" "$TB_PEER_ADDR" $rounds "$(dirname "$0")" >"$TB_WORK/rr.out" 2>&1
grep -q '^rr: done$' "$TB_WORK/rr.out" || tb_fail "rr: $(tail -n 2 "$TB_WORK/rr.out")"
read -r looks span < <(awk '/[TS]IOCOUTQ/ { t[++n] = $2 } END { printf "%d %d\n", n, n ? (t[n] - t[1]) * 1000 : 0 }' "$TB_WORK/rr.strace")
[ "$looks" -le $((span + 3)) ] ||
	tb_fail "$looks looks at the pair's fill in $span ms of $rounds round trips: one a write, not one a millisecond"
tb_say "ok: $looks looks at the pair's fill in $span ms of $rounds round trips"
testbed_test_end
