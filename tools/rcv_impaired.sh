#!/bin/bash
# SPDX-License-Identifier: MIT
#
# rcv_impaired.sh [MTU [MB [RUNS [IMPAIR_ARGS...]]]]: the kernel's receiver
# and then the stack's, each downloading MB MiB from a kernel sender in the
# peer namespace through sockshim-impair (default: MTU 576, 5 MiB, 2 runs,
# --loss 5 --reorder 5 --seed 1), alternating; one line each from
# rcv_impaired.py (time, resends, ACKs per MB, D-SACKs, the window the
# receiver advertised); RCV_WHO="kernel" or "stack" runs one only. A measuring tool, not a test: run as root from a
# built tree (SOCKSHIM_BUILD_DIR, default ../build).
set -u
here=$(cd "$(dirname "$0")" && pwd)
export SOCKSHIM_BUILD_DIR=${SOCKSHIM_BUILD_DIR:-$here/../build}
# shellcheck source=tools/testbed.sh
. "$here/testbed.sh"
MTU=${1:-576} MB=${2:-5} RUNS=${3:-2}
shift $(($# < 3 ? $# : 3))
[ $# -gt 0 ] || set -- --loss 5 --reorder 5 --seed 1
WORK=$(mktemp -d /tmp/rcv_impaired.XXXXXX)
TB_IMPAIR_LOG=$WORK/impair.log
trap 'testbed_impair_stop; testbed_down' EXIT
head -c $((MB * 1048576)) /dev/urandom >"$WORK/data"
testbed_up_impaired "$MTU" "$@" >/dev/null || exit 1
testbed_kernel_addr_on || exit 1
# RCV_SYSCTL="name=value ...": set in the receiver's namespace first (both
# the kernel and the stack read them), e.g. net.ipv4.tcp_backlog_ack_defer=0.
for kv in ${RCV_SYSCTL:-}; do
	ip netns exec "$TB_NS_SHIM" sysctl -qw "$kv" || exit 1
done
PORT=7300
# The sender: one connection, the file, then FIN; a receiver reads to EOF.
cat >"$WORK/send.py" <<'PY'
import socket, sys
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(('0.0.0.0', int(sys.argv[1]))); ls.listen(1)
c, _ = ls.accept(); c.sendall(open(sys.argv[2], 'rb').read()); c.shutdown(socket.SHUT_WR)
while c.recv(65536): pass
PY
cat >"$WORK/recv.py" <<'PY'
import socket, struct, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), source_address=(sys.argv[3], 0) if len(sys.argv) > 3 else None)
n = 0
while True:
    b = s.recv(1 << 20)
    if not b: break
    n += len(b)
# What autotuning made of it: tcpi_rcv_rtt (us), tcpi_rcv_space, SO_RCVBUF.
i = struct.unpack_from('=24I', s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104), 8)
print(n, 'rcv_rtt', i[21], 'rcv_space', i[22], 'rcvbuf', s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
PY
capture() { # NS IF FILE
	ip netns exec "$1" tcpdump -i "$2" -nn -U --immediate-mode -s 128 -w "$3" tcp port $PORT 2>"$3.log" &
	CAPS="$CAPS $!"
	for _ in $(seq 1 50); do
		grep -q 'listening on' "$3.log" && return 0
		sleep 0.1
	done
	echo "tcpdump did not start" >&2
	exit 1
}
for run in $(seq 1 "$RUNS"); do
	for who in ${RCV_WHO:-kernel stack}; do
		PORT=$((PORT + 1)) CAPS=
		testbed_impair_start "$@" || exit 1
		capture "$TB_NS_PEER" "$TB_IF_PEER" "$WORK/snd.pcap"
		capture "$TB_NS_IMPAIR" "$TB_IF_IMP_SHIM" "$WORK/rcv.pcap"
		testbed_peer python3 "$WORK/send.py" $PORT "$WORK/data" &
		sp=$!
		testbed_wait_listen "$TB_NS_PEER" tcp $PORT 10
		if [ $who = kernel ]; then
			got=$(timeout 120 ip netns exec "$TB_NS_SHIM" python3 "$WORK/recv.py" "$TB_PEER_ADDR" $PORT "$TB_KERNEL_ADDR")
		else
			got=$(testbed_shim timeout 120 python3 "$WORK/recv.py" "$TB_PEER_ADDR" $PORT)
		fi
		kill $sp 2>/dev/null
		wait $sp 2>/dev/null
		# shellcheck disable=SC2086
		kill $CAPS 2>/dev/null
		# shellcheck disable=SC2086
		wait $CAPS 2>/dev/null
		testbed_impair_stop
		[ "${got%% *}" = $((MB * 1048576)) ] || echo "$who: received ${got:-nothing}" >&2
		printf '%-6s %s %s\n' $who "$(python3 "$here/rcv_impaired.py" "$WORK/snd.pcap" "$WORK/rcv.pcap" "$MB")" "${got#* }"
		[ -n "${RCV_KEEP:-}" ] && mv "$WORK/rcv.pcap" "$WORK/rcv-$who-$run.pcap" && mv "$WORK/snd.pcap" "$WORK/snd-$who-$run.pcap"
	done
done
[ -n "${RCV_KEEP:-}" ] && echo "captures kept in $WORK" || rm -rf "$WORK"
