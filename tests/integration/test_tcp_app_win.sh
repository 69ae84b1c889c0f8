#!/bin/bash
# SPDX-License-Identifier: MIT
# net.ipv4.tcp_app_win, the part of the window kept for the application
# (tcp_init_buffer_space), from the kernel and from the stack in the same
# run: after connect() to a kernel peer, the clamp (TCP_WINDOW_CLAMP), the
# window the peer has earned (tcpi_rcv_ssthresh) and the first autotuning
# measure (tcpi_rcv_space), for tcp_app_win 31 (the default: one segment),
# 2 (a quarter of the full space) and 0 (nothing). The program writes the
# namespace's sysctl between its connections, after its first socket: the
# stack host is running by then and must read it live (at connect()). The
# peer sends nothing, so no ratio is measured and the clamp stays as set.
# Before the live read (main's build) the stack kept 31's clamp, 64,088,
# where the kernel has 49,152 and 65,536.
set -u
. "${SOCKSHIM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tools/testbed.sh"
testbed_test_begin tcp_app_win

cat >"$TB_WORK/app_win.py" <<'PY'
import socket, struct, sys
addr, port = sys.argv[1], int(sys.argv[2])
path = "/proc/sys/net/ipv4/tcp_app_win"
was = open(path).read().strip()
first = socket.socket()  # the stack host starts here, with the namespace's value
try:
    for app_win in ("31", "2", "0"):
        with open(path, "w") as f:
            f.write(app_win)
        s = socket.socket()
        s.connect((addr, port))
        clamp = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_WINDOW_CLAMP)
        info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
        ssthresh, space = struct.unpack_from("=I", info, 64)[0], struct.unpack_from("=I", info, 96)[0]
        print("tcp_app_win", app_win, "clamp", clamp, "rcv_ssthresh", ssthresh, "rcv_space", space, flush=True)
        s.close()
finally:
    with open(path, "w") as f:
        f.write(was)
    first.close()
PY
testbed_tcp_sink 7320 || tb_fail "the peer did not start"
testbed_kernel_then_shim timeout 60 "$TB_PY" "$TB_WORK/app_win.py" "$TB_PEER_ADDR" 7320
tb_say "kernel: $(tr '\n' ";" <"$TB_WORK/native")"
testbed_same_lines
testbed_test_end
