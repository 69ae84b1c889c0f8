// SPDX-License-Identifier: MIT
/*
 * The receive window as the kernel's, segment by segment (tcp_window.c):
 * the first window of a SYN and a SYN-ACK (tcp_select_initial_window), the
 * window of the handshake's ACK (tcp_init_buffer_space's clamp), and the
 * window as data arrives and is not read: grown by two segments a segment
 * (tcp_grow_window) until the free space, scaled by the ratio the first
 * full segment measured (162/256 for 1448 bytes), limits it; the right edge
 * never moves back, and under a segment the window shuts. The numbers are
 * the kernel's (6.18) for the same buffers, as test_rcv_window.sh sees them
 * from a kernel peer.
 */
#include <criterion/criterion.h>
#include <errno.h>
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

TestSuite(tcp_rcvwin, .init = setup, .fini = teardown);

/* connect() from the stack, SO_RCVBUF set first unless 0. */
static struct socket *stack_connect(int rcvbuf)
{
	struct socket *c = tcpscript_connect(sc, rcvbuf);

	cr_assert_not_null(c);
	return c;
}

static int getsockopt_int(struct socket *s, int level, int name)
{
	int v = -1, len = sizeof(v);

	cr_assert_eq(s->ops->getsockopt(s, level, name, &v, &len), 0);
	return v;
}

/*
 * tcp_rmem[1] (128 KiB): the SYN offers half of it in whole segments of our
 * MSS, 64240; the ACK of the SYN-ACK the clamp less a segment, 64088,
 * rounded up to the scale unit. Each segment of 1448 then opens the window
 * by two segments, until at the fifth the free space (162/256 of what is
 * left) is the limit; past it the window follows the space down.
 */
Test(tcp_rcvwin, default_buffer_grows_by_two_segments_a_segment)
{
	struct socket *c = stack_connect(0);

	TCPSCRIPT_RUN(
		sc,
		{0, '>', {"S", 0, 0, 0, 64240, "mss 1460,sackOK,TS val now ecr 0,nop,wscale 7"}},
		{10, '<', {"S.", 0, 1, 0, 0, "mss 1460,sackOK,TS val 5000 ecr 1000,nop,wscale 7"}},
		{10, '>', {".", 1, 1, 0, 502, "nop,nop,TS val now ecr 5000"}},
		{20, '<', {".", 1, 1, 1448, 0, "nop,nop,TS val 5010 ecr 1010"}},
		{20, '>', {".", 1, 1449, 0, 525, "nop,nop,TS val now ecr 5010"}},
		{30, '<', {".", 1449, 1, 1448, 0, "nop,nop,TS val 5020 ecr 1020"}},
		{30, '>', {".", 1, 2897, 0, 548, "nop,nop,TS val now ecr 5020"}},
		{40, '<', {".", 2897, 1, 1448, 0, "nop,nop,TS val 5030 ecr 1030"}},
		{40, '>', {".", 1, 4345, 0, 570, "nop,nop,TS val now ecr 5030"}},
		{50, '<', {".", 4345, 1, 1448, 0, "nop,nop,TS val 5040 ecr 1040"}},
		{50, '>', {".", 1, 5793, 0, 593, "nop,nop,TS val now ecr 5040"}},
		{60, '<', {".", 5793, 1, 1448, 0, "nop,nop,TS val 5050 ecr 1050"}},
		{60, '>', {".", 1, 7241, 0, 609, "nop,nop,TS val now ecr 5050"}},
		{70, '<', {".", 7241, 1, 1448, 0, "nop,nop,TS val 5060 ecr 1060"}},
		{70, '>', {".", 1, 8689, 0, 601, "nop,nop,TS val now ecr 5060"}});
	/* The ratio measured: the clamp is 162/256 of the buffer, rcv_ssthresh stopped at the
	 * space. */
	cr_assert_eq(getsockopt_int(c, SOL_TCP, TCP_WINDOW_CLAMP), 82944);
	{
		struct tcp_info info;
		int len = sizeof(info);

		cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_INFO, &info, &len), 0);
		cr_assert_eq(info.tcpi_rcv_ssthresh, 77835, "%u", info.tcpi_rcv_ssthresh);
	}
}

/*
 * SO_RCVBUF 4096 (8192 held): the window is clamped to the full space,
 * 4096, two segments in the SYN; after one segment the space allows no
 * more than the window offered; after two the right edge stays where it
 * was (1472 left), after three the same right edge is 24 bytes away: the
 * space is under a segment, so no window opens further. The window of 2920
 * earns one quick ACK (tcp_incr_quickack: 2920 / (2 x 1448)); each later
 * lone segment waits for the delayed-ACK timer (40 ms).
 */
Test(tcp_rcvwin, small_buffer_offers_two_segments_then_shuts)
{
	stack_connect(4096);
	TCPSCRIPT_RUN(
		sc, {0, '>', {"S", 0, 0, 0, 2920, "mss 1460,sackOK,TS val now ecr 0,nop,wscale 0"}},
		{10, '<', {"S.", 0, 1, 0, 0, "mss 1460,sackOK,TS val 5000 ecr 1000,nop,wscale 7"}},
		{10, '>', {".", 1, 1, 0, 2920, "nop,nop,TS val now ecr 5000"}},
		{20, '<', {".", 1, 1, 1448, 0, "nop,nop,TS val 5010 ecr 1010"}},
		{20, '>', {".", 1, 1449, 0, 2920, "nop,nop,TS val now ecr 5010"}},
		{30, '<', {".", 1449, 1, 1448, 0, "nop,nop,TS val 5020 ecr 1020"}},
		{70, '>', {".", 1, 2897, 0, 1472, "nop,nop,TS val now ecr 5020"}},
		{80, '<', {".", 2897, 1, 1448, 0, "nop,nop,TS val 5030 ecr 1070"}},
		{120, '>', {".", 1, 4345, 0, 1472, "nop,nop,TS val now ecr 5030"}},
		{130, '<', {".", 4345, 1, 1448, 0, "nop,nop,TS val 5040 ecr 1120"}},
		{170, '>', {".", 1, 5793, 0, 24, "nop,nop,TS val now ecr 5040"}});
}

/* A listener's SYN-ACK: half of tcp_rmem[1] in whole segments less the timestamp, 65160. */
Test(tcp_rcvwin, synack_offers_half_the_buffer_in_whole_segments)
{
	struct socket *l = tcpscript_socket(sc);

	cr_assert_eq(twostack_bind(l, twostack_addr(0), 5000), 0);
	cr_assert_eq(l->ops->listen(l, 8), 0);
	sc->stack_port = 5000;
	TCPSCRIPT_RUN(sc,
		      {0, '<', {"S", 0, 0, 0, 0, "mss 1460,sackOK,TS val 700 ecr 0,nop,wscale 7"}},
		      {0,
		       '>',
		       {"S.", 0, 1, 0, 65160, "mss 1460,sackOK,TS val now ecr 700,nop,wscale 7"}});
}

/*
 * TCP_WINDOW_CLAMP (tcp_set_window_clamp): at least half of SOCK_MIN_RCVBUF,
 * 1152, for any smaller value, negative ones too; 0 only on a closed socket.
 */
Test(tcp_rcvwin, window_clamp_floors_at_half_the_least_buffer)
{
	struct socket *c = tcpscript_socket(sc);
	int neg = -1, small = 100, zero = 0;

	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_WINDOW_CLAMP, &neg, sizeof(neg)), 0);
	cr_assert_eq(getsockopt_int(c, SOL_TCP, TCP_WINDOW_CLAMP), 1152);
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_WINDOW_CLAMP, &small, sizeof(small)), 0);
	cr_assert_eq(getsockopt_int(c, SOL_TCP, TCP_WINDOW_CLAMP), 1152);
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_WINDOW_CLAMP, &zero, sizeof(zero)), 0);
	cr_assert_eq(getsockopt_int(c, SOL_TCP, TCP_WINDOW_CLAMP), 0);
	c = stack_connect(0);
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_WINDOW_CLAMP, &zero, sizeof(zero)),
		     -EINVAL);
}

/* The stack's connection, established with the script's handshake (wscale 7, timestamps). */
static struct socket *established(void)
{
	struct socket *c = stack_connect(0);

	TCPSCRIPT_RUN(
		sc,
		{0, '>', {"S", 0, 0, 0, 64240, "mss 1460,sackOK,TS val now ecr 0,nop,wscale 7"}},
		{10, '<', {"S.", 0, 1, 0, 0, "mss 1460,sackOK,TS val 5000 ecr 1000,nop,wscale 7"}},
		{10, '>', {".", 1, 1, 0, 502, "nop,nop,TS val now ecr 5000"}});
	return c;
}

/*
 * net.ipv4.tcp_app_win at establishment (tcp_init_buffer_space): the clamp
 * keeps 1/2^tcp_app_win of the full space (65,536 before any data) for the
 * application: 2 keeps a quarter, 49,152, and rcv_ssthresh drops to it; 0
 * keeps nothing, not even the one segment the default (31) reserves:
 * 65,536, and rcv_ssthresh stays at the SYN's window. The peer sees it once
 * the right edge offered in the SYN is used up (test_rcv_window.sh).
 */
Test(tcp_rcvwin, tcp_app_win_keeps_part_of_the_space_for_the_application)
{
	static const struct {
		int app_win;
		uint32_t clamp, ssthresh;
	} cases[] = {{2, 49152, 49152}, {0, 65536, 64240}, {31, 64088, 64088}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct socket *c;
		struct tcp_info info;
		int len = sizeof(info);

		if (i) {
			teardown();
			setup();
		}
		sc->ts->net[0].sysctl.tcp_app_win = cases[i].app_win;
		c = established();
		cr_assert_eq(getsockopt_int(c, SOL_TCP, TCP_WINDOW_CLAMP), (int)cases[i].clamp,
			     "tcp_app_win %d: clamp %d", cases[i].app_win,
			     getsockopt_int(c, SOL_TCP, TCP_WINDOW_CLAMP));
		cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_INFO, &info, &len), 0);
		cr_assert_eq(info.tcpi_rcv_ssthresh, cases[i].ssthresh, "tcp_app_win %d: %u",
			     cases[i].app_win, info.tcpi_rcv_ssthresh);
	}
}

/*
 * One measure of autotuning (tcp_rcv_space_adjust, tcp_rcvbuf_grow as
 * 6.18's) on an established socket: rcvq_space.space 14,480 (ten segments
 * of advmss, 1448 with timestamps), the receiver's RTT 10 ms and over;
 * ratio 128 (no data measured yet: buffer bytes are twice window bytes).
 */
static void measure(struct sock *sk, uint32_t read, uint32_t owner_unread, uint32_t queued)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);

	cr_assert_eq(tp->rcvq_space.space, 14480);
	cr_assert_eq(tp->scaling_ratio, 128);
	tp->rcv_rtt_est.rtt_us = 10000 << 3;
	tp->rcvq_space.time = net->now - 10 * NSEC_PER_MSEC;
	tp->copied_seq = tp->rcvq_space.seq + read + owner_unread;
	sk->sk_owner_unread = owner_unread;
	tp->rcv_nxt = tp->copied_seq + queued;
	tcp_rcv_space_adjust(sk);
}

/*
 * A reader that took 28,960 bytes in an RTT, twice the last: the window is
 * twice that, one RTT late (57,920), plus twice the growth scaled to it
 * (57,920 * 14,480 / 14,480 * 2): 173,760, the clamp; the buffer, at ratio
 * 128, 347,520. The older formula (16 segments of cushion on top) made it
 * 486,528.
 */
Test(tcp_rcvwin, autotuning_grows_the_buffer_as_6_18)
{
	struct sock *sk = established()->sk;

	measure(sk, 28960, 0, 0);
	cr_assert_eq(sk->sk_rcvbuf, 347520, "%d", sk->sk_rcvbuf);
	cr_assert_eq(tcp_sk(sk)->window_clamp, 173760, "%u", tcp_sk(sk)->window_clamp);
	cr_assert_eq(tcp_sk(sk)->rcvq_space.space, 28960);
}

/*
 * What is still to read counts against what was read: 28,960 read, but
 * 10,000 bytes in the receive queue and 5,000 in the owner's hands leave
 * 13,960, no more than the last measure: no growth, the measure stays.
 * Then 35,000 read with 10,000 queued: 25,000 against 14,480; the window
 * 50,000 + 2 * (50,000 * 10,520 / 14,480 = 36,325): 122,650, the buffer
 * 245,300.
 */
Test(tcp_rcvwin, autotuning_discounts_what_is_left_unread)
{
	struct sock *sk = established()->sk;

	measure(sk, 28960, 5000, 10000);
	cr_assert_eq(sk->sk_rcvbuf, 131072, "%d", sk->sk_rcvbuf);
	measure(sk, 35000, 0, 10000);
	cr_assert_eq(sk->sk_rcvbuf, 245300, "%d", sk->sk_rcvbuf);
	cr_assert_eq(tcp_sk(sk)->window_clamp, 122650, "%u", tcp_sk(sk)->window_clamp);
}

/*
 * Out-of-order data (tcp_data_queue_ofo's tcp_rcvbuf_grow at the last
 * measure): the window must also hold what the hole keeps from the reader,
 * so 2 * 14,480 plus the span past rcv_nxt, 61,448 for a segment at 60,000
 * (1448 bytes): 90,408, the clamp; at ratio 128 (only in-order data is
 * measured, tcp_measure_rcv_mss) a buffer of 180,816, more than
 * tcp_rmem[1]. Before 6.16 the kernel grew the buffer only as the program
 * read.
 */
Test(tcp_rcvwin, out_of_order_data_grows_the_buffer)
{
	struct sock *sk = established()->sk;

	TCPSCRIPT_RUN(sc, {20, '<', {".", 60001, 1, 1448, 0, "nop,nop,TS val 5010 ecr 1010"}},
		      {20, '>', {".", 1, 1, 0, 0, "*"}});
	cr_assert_eq(tcp_sk(sk)->scaling_ratio, 128);
	cr_assert_eq(sk->sk_rcvbuf, 180816, "%d", sk->sk_rcvbuf);
	cr_assert_eq(tcp_sk(sk)->window_clamp, 90408, "%u", tcp_sk(sk)->window_clamp);
	cr_assert_eq(tcp_sk(sk)->rcvq_space.space, 14480);
}

static int send_some(struct socket *s, size_t len)
{
	static char buf[65536];
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_flags = MSG_DONTWAIT};

	return s->ops->sendmsg(s, &m, len);
}

/* The first window's ten segments at 10 ms, the last with flags last. */
static void expect_first_window(const char *last)
{
	struct tcpscript_step steps[11] = {{0}};

	for (uint32_t i = 0; i < 10; i++)
		steps[i] = (struct tcpscript_step){
			10, '>', {i < 9 ? "." : last, 1 + i * 1448, 1, 1448, 0, "*"}};
	cr_assert(tcpscript_run(sc, steps), "%s", sc->err);
}

/*
 * The send buffer grows with the congestion window only while the window is
 * not full once what an ACK lets out is sent (tcp_check_space,
 * tcp_should_expand_sndbuf): a writer with more queued than the window
 * takes is held back by the window, not by its buffer. At establishment the
 * buffer is two windows of ten segments (46,080: 2304 bytes of the kernel's
 * truesize each). The ACK of one segment grows the window to 11 and lets two
 * more out: 11 in flight, the window full, the buffer stays (it grew to
 * 50,688 before). A writer that sent all it had, and so never found the
 * buffer full, keeps it (SOCK_NOSPACE, the next test).
 */
Test(tcp_rcvwin, send_buffer_does_not_grow_while_the_window_is_full)
{
	struct socket *c = established();
	int n, total = 0;

	while ((n = send_some(c, 65536)) > 0)
		total += n;
	cr_assert_eq(c->sk->sk_sndbuf, 46080);
	expect_first_window(".");
	TCPSCRIPT_RUN(sc, {20, '<', {".", 1, 1449, 0, 0, "nop,nop,TS val 5010 ecr 10"}},
		      {20, '>', {".", 14481, 1, 1448, 0, "*"}},
		      {20, '>', {".", 15929, 1, 1448, 0, "*"}});
	cr_assert_eq(tcp_sk(c->sk)->cong.snd_cwnd, 11);
	cr_assert_eq(tcp_packets_in_flight(tcp_sk(c->sk)), 11);
	cr_assert_eq(c->sk->sk_sndbuf, 46080, "%d", c->sk->sk_sndbuf);
}

/*
 * The window does not hold this writer back, but it never found its buffer
 * full (no SOCK_NOSPACE): the kernel's tcp_check_space does not call
 * tcp_new_space, the buffer stays (it grew to 92,160 before).
 */
Test(tcp_rcvwin, send_buffer_stays_for_a_writer_that_never_found_it_full)
{
	struct socket *c = established();

	/* Ten segments fill the window (it grows); their ACK leaves none in flight. */
	cr_assert_eq(send_some(c, 10 * 1448), 10 * 1448);
	expect_first_window("P.");
	TCPSCRIPT_RUN(sc, {20, '<', {".", 1, 14481, 0, 0, "nop,nop,TS val 5010 ecr 10"}});
	cr_assert_eq(tcp_sk(c->sk)->cong.snd_cwnd, 20);
	cr_assert_eq(c->sk->sk_sndbuf, 46080, "%d", c->sk->sk_sndbuf);
}

/*
 * In-order data that finds no memory (tcp_mem 1/2/4 pages, a program that
 * does not read): seven segments take three pages (their payload and the
 * one skb head they share, 10,968 bytes of truesize); the eighth needs a
 * fourth, which under pressure goes only to a socket below its share (its
 * pages times the sockets alive under tcp_mem[2]): it is dropped and the ACK
 * says window 0 at once (ICSK_ACK_NOMEM), taking back the right edge
 * offered, where before it repeated the open window and the peer sent into
 * it again. Once the program reads, the window opens: to the four segments
 * pressure held rcv_ssthresh at.
 */
Test(tcp_rcvwin, no_memory_for_in_order_data_answers_window_zero)
{
	struct socket *c = established();
	struct tcpscript_step steps[2 * 8 + 1] = {{0}};
	static char buf[65536];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	int n = 0;

	sc->ts->net[0].sysctl.tcp_mem[0] = 1;
	sc->ts->net[0].sysctl.tcp_mem[1] = 2;
	sc->ts->net[0].sysctl.tcp_mem[2] = 4;
	for (uint32_t i = 0; i < 8; i++) {
		uint64_t t = 20 + 10 * i;

		steps[n++] = (struct tcpscript_step){
			t, '<', {".", 1 + i * 1448, 1, 1448, 0, "nop,nop,TS val 5010 ecr 10"}};
		steps[n++] = (struct tcpscript_step){t,
						     '>',
						     {".", 1, 1 + (i < 7 ? i + 1 : 7) * 1448, 0,
						      i < 7 ? 0 : TCPSCRIPT_WIN_ZERO, "*"}};
	}
	cr_assert(tcpscript_run(sc, steps), "%s", sc->err);
	cr_assert_eq(sock_net(c->sk)->mib.tcpext.TCPRcvQDrop, 1);
	cr_assert_eq(tcp_sk(c->sk)->rcv_wnd, 0);
	cr_assert_eq(c->ops->recvmsg(c, &m, sizeof(buf), MSG_DONTWAIT), 7 * 1448);
	TCPSCRIPT_RUN(sc, {90, '>', {".", 1, 10137, 0, 0, "*"}});
	/* Four segments, where the pressure held rcv_ssthresh, in scale units. */
	cr_assert_eq(tcp_sk(c->sk)->rcv_wnd, 5888, "%u", tcp_sk(c->sk)->rcv_wnd);
}

/*
 * tcp_disconnect (connect() with AF_UNSPEC) keeps the measured ratio, as the
 * kernel's, which sets it only in tcp_init_sock: over a veth, with SO_RCVBUF
 * 65536, the kernel's clamp after a reconnect with no data yet is 115,800,
 * the full space at the ratio the first connection measured (229) less a
 * segment, not 64,088 at the default 128.
 */
Test(tcp_rcvwin, disconnect_keeps_the_measured_ratio)
{
	struct socket *c = established();

	TCPSCRIPT_RUN(sc, {20, '<', {".", 1, 1, 1448, 0, "nop,nop,TS val 5010 ecr 10"}},
		      {20, '>', {".", 1, 1449, 0, 0, "*"}});
	cr_assert_eq(tcp_sk(c->sk)->scaling_ratio, 162);
	cr_assert_eq(tcp_disconnect(c->sk, 0), 0);
	cr_assert_eq(tcp_sk(c->sk)->scaling_ratio, 162);
}

static uint32_t rcv_rtt(struct socket *c)
{
	struct tcp_info info;
	int len = sizeof(info);

	cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_INFO, &info, &len), 0);
	return info.tcpi_rcv_rtt;
}

/*
 * The receiver's RTT, which paces autotuning (tcp_rcv_rtt_update as 6.16
 * on): the first echo, 10 ms; a larger one (25 ms) while the program has
 * not read what came before does not count (it measures the reader: the
 * older rule made it 11.875 ms); an echo of the same millisecond is no
 * sample (it made it 1 ms); once the program has read everything, a larger
 * one is smoothed in at 1/8: 10 + (30 - 10) / 8 = 12.5 ms. (The stack's
 * TSval is 1000 at the script's 0.)
 */
Test(tcp_rcvwin, receiver_rtt_takes_the_minimum_and_ignores_a_slow_reader)
{
	struct socket *c = established();
	static char buf[65536];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};

	TCPSCRIPT_RUN(sc, {20, '<', {".", 1, 1, 1448, 0, "nop,nop,TS val 5010 ecr 1010"}},
		      {20, '>', {".", 1, 1449, 0, 0, "*"}});
	cr_assert_eq(rcv_rtt(c), 10000, "%u", rcv_rtt(c));
	TCPSCRIPT_RUN(sc, {40, '<', {".", 1449, 1, 1448, 0, "nop,nop,TS val 5020 ecr 1015"}},
		      {40, '>', {".", 1, 2897, 0, 0, "*"}});
	cr_assert_eq(rcv_rtt(c), 10000, "a reader behind: %u", rcv_rtt(c));
	TCPSCRIPT_RUN(sc, {50, '<', {".", 2897, 1, 1448, 0, "nop,nop,TS val 5030 ecr 1050"}},
		      {50, '>', {".", 1, 4345, 0, 0, "*"}});
	cr_assert_eq(rcv_rtt(c), 10000, "no sample under 1 ms: %u", rcv_rtt(c));
	cr_assert_eq(c->ops->recvmsg(c, &m, sizeof(buf), MSG_DONTWAIT), 3 * 1448);
	TCPSCRIPT_RUN(sc, {70, '<', {".", 4345, 1, 1448, 0, "nop,nop,TS val 5040 ecr 1040"}},
		      {70, '>', {".", 1, 5793, 0, 0, "*"}});
	cr_assert_eq(rcv_rtt(c), 12500, "%u", rcv_rtt(c));
}
