// SPDX-License-Identifier: MIT
/*
 * The delayed-ACK engine's state (icsk_ack) against scripted peers
 * (helper_tcpscript), where the kernel's sets it:
 * - tcp_measure_rcv_mss measures a small segment with its own TCP header,
 *   SACK blocks included, less the connection's fixed header;
 * - a segment partly received already counts whole, as the kernel's
 *   tcp_data_queue queues it untrimmed (tcp_measure_rcv_mss, tcp_grow_window);
 * - every segment with payload is a data segment to TCP_INFO, duplicates
 *   and out-of-order ones too (tcp_segs_in);
 * - tcp_disconnect (connect() with AF_UNSPEC) clears it all
 *   (inet_csk_delack_init), so the next connection acks as a new socket's.
 * The stack runs with tcp_timestamps = 2 (TSval = its clock in ms, from 1000).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "helper_tcpscript.h"
#include "inet.h"
#include "tcp.h"

static struct tcpscript *sc;

static void setup(void)
{
	sc = tcpscript_start_linux("cubic");
}

static void teardown(void)
{
	tcpscript_stop_drained(sc);
}

TestSuite(tcp_delack, .init = setup, .fini = teardown);

#define RUN(...) TCPSCRIPT_RUN(sc, __VA_ARGS__)

/*
 * connect() from the stack at time at_ms; the peer's SYN-ACK comes 10 ms
 * later and echoes the SYN's TSval (a stale echo is PAWS-rejected).
 */
static void handshake(uint64_t at_ms)
{
	char opts[80];

	snprintf(opts, sizeof(opts), "mss 1460,sackOK,TS val 5000 ecr %u,nop,wscale 7",
		 1000 + (unsigned int)at_ms);
	RUN({at_ms, '>', {"S", 0, 0, 0, 0, "*"}}, {at_ms + 10, '<', {"S.", 0, 1, 0, 0, opts}},
	    {at_ms + 10, '>', {".", 1, 1, 0, 0, "*"}});
}

static int send_bytes(struct socket *s, size_t len)
{
	static char buf[4096];
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_flags = MSG_DONTWAIT};

	return s->ops->sendmsg(s, &m, len);
}

static struct tcp_info info(struct socket *s)
{
	struct tcp_info ti;
	int len = sizeof(ti);

	cr_assert_eq(s->ops->getsockopt(s, SOL_TCP, TCP_INFO, &ti, &len), 0);
	return ti;
}

static int get_quickack(struct socket *s)
{
	int val = -1, len = sizeof(val);

	cr_assert_eq(s->ops->getsockopt(s, SOL_TCP, TCP_QUICKACK, &val, &len), 0);
	return val;
}

/*
 * Two segments of 500 bytes without PSH, under the initial estimate (536),
 * each with a D-SACK block beside its timestamp: a header of 44 bytes
 * where the connection's fixed one is 32. The kernel takes 500 + 44 - 32
 * = 512 as the peer's segment size once two in a row measure so
 * (tcpi_rcv_mss); with the fixed header in place of the segment's own it
 * was 500.
 */
Test(tcp_delack, a_small_segment_is_measured_with_its_sack_blocks)
{
	struct socket *c = tcpscript_connect(sc, 0);

	cr_assert_not_null(c);
	handshake(0);
	cr_assert_eq(tcp_sk(c->sk)->tcp_header_len, 32);
	cr_assert_eq(info(c).tcpi_rcv_mss, TCP_MSS_DEFAULT);
	cr_assert_eq(send_bytes(c, 100), 100);
	RUN({10, '>', {"P.", 1, 1, 100, 0, "*"}},
	    {20, '<', {".", 1, 101, 0, 0, "nop,nop,TS val 5010 ecr 1010"}},
	    {30, '<', {".", 1, 101, 500, 0, "nop,nop,TS val 5020 ecr 1010,nop,nop,sack 1:101"}},
	    {30, '>', {".", 101, 501, 0, 0, "*"}});
	cr_assert_eq(tcp_sk(c->sk)->ack.last_seg_size, 512);
	cr_assert_eq(info(c).tcpi_rcv_mss, TCP_MSS_DEFAULT, "one small segment is no measure yet");
	RUN({40, '<', {".", 501, 101, 500, 0, "nop,nop,TS val 5030 ecr 1030,nop,nop,sack 1:101"}},
	    {40, '>', {".", 101, 1001, 0, 0, "*"}});
	cr_assert_eq(info(c).tcpi_rcv_mss, 512, "%u", info(c).tcpi_rcv_mss);
}

/*
 * A connection that turned interactive (its reply within the ATO of the
 * request: pingpong, TCP_QUICKACK reads 0) is disconnected: as on this
 * machine's kernel, TCP_QUICKACK then reads 1, tcpi_ato 0 and tcpi_rcv_mss
 * TCP_MIN_MSS (88), and the next connection's first data is acked at once,
 * as a new socket's. Before, pingpong mode stayed, and that ACK waited for
 * the delayed-ACK timer (40 ms).
 */
Test(tcp_delack, a_reconnected_socket_acks_as_a_new_one)
{
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	struct sockaddr_in to = twostack_sin(1, TCPSCRIPT_PEER_PORT);
	struct socket *c = tcpscript_connect(sc, 0);
	struct tcp_info ti;

	cr_assert_not_null(c);
	handshake(0);
	RUN({20, '<', {"P.", 1, 1, 100, 0, "nop,nop,TS val 5010 ecr 1010"}},
	    {20, '>', {".", 1, 101, 0, 0, "*"}});
	cr_assert_eq(send_bytes(c, 100), 100);
	RUN({20, '>', {"P.", 1, 101, 100, 0, "*"}});
	cr_assert_eq(get_quickack(c), 0, "the reply made the connection interactive");
	cr_assert_neq(info(c).tcpi_ato, 0);

	cr_assert_eq(c->ops->connect(c, &unspec, sizeof(unspec), O_NONBLOCK), 0);
	RUN({20, '>', {"R.", 101, 101, 0, 0, "*"}});
	ti = info(c);
	cr_assert_eq(get_quickack(c), 1);
	cr_assert_eq(ti.tcpi_ato, 0);
	cr_assert_eq(ti.tcpi_rcv_mss, TCP_MIN_MSS);

	/* The next connection may have another port: the script learns it from its SYN. */
	sc->stack_port = 0;
	cr_assert_eq(twostack_connect(c, &to), -EINPROGRESS);
	handshake(20);
	RUN({50, '<', {"P.", 1, 1, 100, 0, "nop,nop,TS val 5040 ecr 1030"}},
	    {50, '>', {".", 1, 101, 0, 0, "*"}});
}

/*
 * Segments that carry bytes the stack has already received: the kernel
 * queues such a segment whole (tcp_recvmsg skips the old part), so its
 * tcp_event_data_recv sees the whole payload. A full-sized one (1448
 * bytes, 448 old) is a full segment to tcp_measure_rcv_mss, not a small one
 * to measure (last_seg_size stays 0); one of 200 bytes with 100 new is
 * over tcp_event_data_recv's 128 and grows rcv_ssthresh (tcp_grow_window).
 * Counted as their new bytes, the first was taken for a small segment
 * (last_seg_size 1448, ICSK_ACK_PUSHED without PSH) and the second grew
 * nothing.
 */
Test(tcp_delack, a_partly_old_segment_counts_whole)
{
	struct socket *c = tcpscript_connect(sc, 0);
	uint32_t ssthresh;

	cr_assert_not_null(c);
	handshake(0);
	RUN({20, '<', {".", 1, 1, 1448, 0, "nop,nop,TS val 5010 ecr 1010"}},
	    {20, '>', {".", 1, 1449, 0, 0, "*"}});
	cr_assert_eq(info(c).tcpi_rcv_mss, 1448);
	RUN({30, '<', {".", 1001, 1, 1448, 0, "nop,nop,TS val 5020 ecr 1010"}},
	    {30, '>', {".", 1, 2449, 0, 0, "*"}});
	cr_assert_eq(tcp_sk(c->sk)->ack.last_seg_size, 0, "%u", tcp_sk(c->sk)->ack.last_seg_size);
	cr_assert_eq(info(c).tcpi_rcv_mss, 1448);
	ssthresh = tcp_sk(c->sk)->rcv_ssthresh;
	RUN({40, '<', {".", 2349, 1, 200, 0, "nop,nop,TS val 5030 ecr 1010"}},
	    {40, '>', {".", 1, 2549, 0, 0, "*"}});
	cr_assert_gt(tcp_sk(c->sk)->rcv_ssthresh, ssthresh, "%u after %u",
		     tcp_sk(c->sk)->rcv_ssthresh, ssthresh);
}

/*
 * tcpi_data_segs_in counts each segment with payload that reaches the
 * socket, as the kernel's tcp_segs_in in tcp_v4_rcv: a duplicate and one
 * out of order too, a bare ACK not (it counts in tcpi_segs_in only).
 * Counted at in-order delivery, the duplicate and the out-of-order one
 * were missing.
 */
Test(tcp_delack, every_segment_with_data_counts_as_one)
{
	struct socket *c = tcpscript_connect(sc, 0);
	struct tcp_info before, after;

	cr_assert_not_null(c);
	handshake(0);
	before = info(c);
	RUN({20, '<', {"P.", 1, 1, 100, 0, "nop,nop,TS val 5010 ecr 1010"}},
	    {20, '>', {".", 1, 101, 0, 0, "*"}},
	    {30, '<', {"P.", 1, 1, 100, 0, "nop,nop,TS val 5020 ecr 1020"}},
	    {30, '>', {".", 1, 101, 0, 0, "*"}},
	    {40, '<', {"P.", 201, 1, 100, 0, "nop,nop,TS val 5030 ecr 1020"}},
	    {40, '>', {".", 1, 101, 0, 0, "*"}},
	    {50, '<', {".", 101, 1, 0, 0, "nop,nop,TS val 5040 ecr 1020"}});
	after = info(c);
	cr_assert_eq(after.tcpi_data_segs_in - before.tcpi_data_segs_in, 3, "%u",
		     after.tcpi_data_segs_in - before.tcpi_data_segs_in);
	cr_assert_eq(after.tcpi_segs_in - before.tcpi_segs_in, 4, "%u",
		     after.tcpi_segs_in - before.tcpi_segs_in);
}
