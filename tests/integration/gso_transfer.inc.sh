#!/bin/bash
# SPDX-License-Identifier: MIT
# Shared by test_gso_transfer.sh (offloads on) and test_gso_fallback.sh
# (tso and gso off on the shim's veth): 16 MiB uploaded from nc under the
# shim to a kernel nc -l and 16 MiB downloaded the other way, SHA-256 equal
# both ways, with a capture (SOCKSHIM_PCAP) of what the stack sent and
# received and the peer veth's counters around each transfer.
#
# gso_transfer on|off checks, beyond the data:
#   on:  the stack sent frames larger than the MTU (capture), and the veth
#        carried them whole (the peer's mean received frame is above any
#        wire-sized frame); receiving, the kernel's TSO frames reached the
#        stack whole (capture) and the stack answered with fewer ACKs than
#        one per two MSS-sized segments (one per large frame, as after GRO).
#   off: not one frame the stack sent is larger than the MTU.

gso_frames() { # gso_frames FILTER: frames in the capture matching the tcpdump FILTER
	tcpdump -nn -r "$TB_WORK/capture.pcap" "$1" 2>/dev/null | wc -l
}

gso_counter() { # gso_counter rx|tx packets|bytes: the peer veth's counter
	testbed_peer cat "/sys/class/net/$TB_IF_PEER/statistics/$1_$2"
}

gso_transfer() {
	local mode=$1 size=$((16 * 1024 * 1024)) mtu_frame=1514 server
	local rxp0 rxb0 rxp1 rxb1 rxp2 rxb2 txp1 txb1 txp2 txb2 want got big acks segs

	command -v tcpdump >/dev/null || tb_fail "tcpdump is not installed (tools/bootstrap installs it)"
	command -v ethtool >/dev/null || tb_fail "ethtool is not installed (tools/bootstrap installs it)"
	if [ "$mode" = off ]; then
		testbed_native_shim_ns ethtool -K "$TB_IF_SHIM" tso off gso off ||
			tb_fail "ethtool -K $TB_IF_SHIM tso off gso off failed"
		testbed_native_shim_ns ethtool -k "$TB_IF_SHIM" | grep -q '^tcp-segmentation-offload: off' ||
			tb_fail "tso is still on for $TB_IF_SHIM"
		tb_say "offloads off on $TB_IF_SHIM (ethtool -K tso off gso off)"
	fi
	head -c $size /dev/urandom >"$TB_WORK/file" || tb_fail "cannot write the test file"
	export SOCKSHIM_PCAP=$TB_WORK/capture.pcap

	rxp0=$(gso_counter rx packets) rxb0=$(gso_counter rx bytes)
	testbed_peer nc -l "$TB_PEER_ADDR" 9000 </dev/null >"$TB_WORK/uploaded" 2>"$TB_WORK/server.log" &
	server=$!
	testbed_wait_listen "$TB_NS_PEER" tcp 9000 10 || tb_fail "the kernel-side nc -l did not start"
	tb_say "upload: shim nc -N $TB_PEER_ADDR 9000 < 16 MiB"
	testbed_shim nc -N -w 30 "$TB_PEER_ADDR" 9000 <"$TB_WORK/file" >"$TB_WORK/client.log" 2>&1 ||
		tb_fail "the upload under the shim failed (status $?)"
	wait "$server" || tb_fail "the kernel-side nc -l failed"
	rxp1=$(gso_counter rx packets) rxb1=$(gso_counter rx bytes)
	txp1=$(gso_counter tx packets) txb1=$(gso_counter tx bytes)

	testbed_peer nc -N -l "$TB_PEER_ADDR" 9001 <"$TB_WORK/file" 2>"$TB_WORK/server2.log" &
	server=$!
	testbed_wait_listen "$TB_NS_PEER" tcp 9001 10 || tb_fail "the kernel-side nc -N -l did not start"
	tb_say "download: shim nc $TB_PEER_ADDR 9001 > received"
	testbed_shim nc -w 30 "$TB_PEER_ADDR" 9001 </dev/null >"$TB_WORK/downloaded" 2>"$TB_WORK/client2.log" ||
		tb_fail "the download under the shim failed (status $?)"
	wait "$server" || tb_fail "the kernel-side nc -N -l failed"
	rxp2=$(gso_counter rx packets) rxb2=$(gso_counter rx bytes)
	txp2=$(gso_counter tx packets) txb2=$(gso_counter tx bytes)

	want=$(testbed_sha256 "$TB_WORK/file")
	got=$(testbed_sha256 "$TB_WORK/uploaded")
	[ "$want" = "$got" ] || tb_fail "upload: SHA-256 differs ($(stat -c %s "$TB_WORK/uploaded") bytes)"
	got=$(testbed_sha256 "$TB_WORK/downloaded")
	[ "$want" = "$got" ] || tb_fail "download: SHA-256 differs ($(stat -c %s "$TB_WORK/downloaded") bytes)"
	tb_say "ok: 16 MiB each way intact (sha256 $want)"

	[ -s "$TB_WORK/capture.pcap" ] || tb_fail "no capture was written"
	big=$(gso_frames "src host $TB_SHIM_ADDR and greater $((mtu_frame + 1))")
	tb_say "upload: peer veth received $((rxp1 - rxp0)) frames, $((rxb1 - rxb0)) bytes; the stack sent $big frames above $mtu_frame bytes"
	if [ "$mode" = off ]; then
		[ "$big" = 0 ] || tb_fail "offloads off, yet the stack sent $big frames larger than the MTU"
		tb_say "ok: without offloads every frame from the stack is at most $mtu_frame bytes"
		return
	fi
	[ "$big" -gt 0 ] || tb_fail "the stack sent no frame larger than the MTU (no GSO)"
	[ $((rxb1 - rxb0)) -gt $(((rxp1 - rxp0) * mtu_frame)) ] ||
		tb_fail "the peer's mean received frame is not above $mtu_frame bytes: no large frames crossed the veth"

	big=$(gso_frames "src host $TB_PEER_ADDR and greater $((mtu_frame + 1))")
	acks=$((rxp2 - rxp1))
	segs=$((size / 1448))
	tb_say "download: peer veth sent $((txp2 - txp1)) frames, $((txb2 - txb1)) bytes; the stack received $big frames above $mtu_frame bytes and sent $acks frames"
	[ "$big" -gt 0 ] || tb_fail "the stack received no frame larger than the MTU (the kernel's TSO frames were not taken whole)"
	[ $((acks * 2)) -lt "$segs" ] ||
		tb_fail "the stack sent $acks frames while receiving, not fewer than one per two of the $segs segments"
	tb_say "ok: large frames both ways, $acks ACK frames for $segs segments received"
}

# gso_tx_thread_check on|off: the stack host serving the namespace has
# (on) or has not (off) its transmit thread (SOCKSHIM_TX_THREAD), by the
# thread's name; run while the host is up (TIME_WAIT keeps it after a transfer).
gso_tx_thread_check() {
	local pid n=0
	pid=$(testbed_stackd_pids | head -n 1)
	[ -n "$pid" ] || tb_fail "no stack host is up to look for its transmit thread"
	grep -qx sockshim-tx /proc/"$pid"/task/*/comm 2>/dev/null && n=1
	if [ "$1" = on ]; then
		[ "$n" = 1 ] || tb_fail "SOCKSHIM_TX_THREAD=1, yet host $pid has no sockshim-tx thread"
		tb_say "ok: host $pid sent through its transmit thread (sockshim-tx)"
	else
		[ "$n" = 0 ] || tb_fail "host $pid has a transmit thread it was not asked for"
	fi
}
