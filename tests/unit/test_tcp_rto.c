// SPDX-License-Identifier: MIT
/*
 * The retransmission timer's limits and options on the virtual clock, as
 * test_tcp_rto.sh measured them on this machine's kernel: TCP_SYNCNT as a
 * count plus tcp_syn_linear_timeouts' linear first SYNs, bounded by the
 * modelled time since the first SYN; TCP_USER_TIMEOUT ending a connection
 * exactly that long after its first RTO retransmission (the timer clamped
 * to it); thin streams' linear timeouts; an orphan's tcp_orphan_retries
 * as a modelled time; TCP_DELACK_MAX_US bounding the delayed ACK.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "helper_tcpscript.h"
#include "inet.h"
#include "tcp.h"

#ifndef TCP_DELACK_MAX_US
#define TCP_DELACK_MAX_US 46
#endif
#ifndef TCP_RTO_MAX_MS
#define TCP_RTO_MAX_MS 44
#endif

static struct tcpscript *sc;
static struct socket *sock;

static void setup(void)
{
	sc = tcpscript_start();
	cr_assert_not_null(sc);
	tcpscript_linux_sysctls(sc, "cubic");
	sock = NULL;
}

static void teardown(void)
{
	if (sock)
		sock_release(sock);
	tcpscript_stop(sc);
	skb_cache_drain();
}

TestSuite(tcp_rto, .init = setup, .fini = teardown);

static void set_int(int level, int opt, int val)
{
	cr_assert_eq(sock->ops->setsockopt(sock, level, opt, &val, sizeof(val)), 0, "option %d",
		     opt);
}

/* A TCP socket of the stack with the given TCP options set before connect. */
static void new_socket(const int (*opts)[2], unsigned int n)
{
	int err = 0;

	sock = twostack_socket(sc->ts, 0, SOCK_STREAM, IPPROTO_TCP, &err);
	cr_assert_not_null(sock);
	for (unsigned int i = 0; i < n; i++)
		set_int(SOL_TCP, opts[i][0], opts[i][1]);
}

/* Connected at 1 ms (an RTT of 1 ms: an RTO of 204 ms, in jiffies). */
static void establish(void)
{
	struct sockaddr_in to = twostack_sin(1, TCPSCRIPT_PEER_PORT);

	cr_assert_eq(twostack_connect(sock, &to), -EINPROGRESS);
	TCPSCRIPT_RUN(
		sc, {0, '>', {"S", 0, 0, 0, 0, "*"}},
		{1, '<', {"S.", 0, 1, 0, 0, "mss 1460,sackOK,TS val 5000 ecr 1000,nop,wscale 7"}},
		{1, '>', {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 5000"}});
}

static void send_bytes(size_t len)
{
	static char buf[1024];
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_flags = MSG_DONTWAIT};

	cr_assert_eq(sock->ops->sendmsg(sock, &m, len), (int)len);
}

/*
 * Runs the clock to at_ms and returns how many segments the stack sent
 * meanwhile with SYN set (syn) or with data, their times (ms since the
 * start) in t; they count as explained.
 */
static unsigned int sent_until(uint64_t at_ms, bool syn, uint64_t *t, unsigned int max)
{
	unsigned int n = 0;

	(void)tcpscript_quiet_until(sc, at_ms);
	for (; sc->next < sc->nout; sc->next++) {
		const struct tcpscript_pkt *p = &sc->out[sc->next];

		if ((syn ? (p->flags & 0x02) : p->len > 0) && n < max)
			t[n++] = (p->t - sc->t0) / NSEC_PER_MSEC;
	}
	sc->err[0] = 0;
	return n;
}

/*
 * TCP_SYNCNT 1 with tcp_syn_linear_timeouts 4: the count would allow six
 * SYNs a second apart, but the modelled time of one back-off from
 * TCP_TIMEOUT_INIT (3 s since the first SYN) ends it: SYNs at 0, 1 and 2 s,
 * ETIMEDOUT at 3 s (the kernel: 3 SYNs, the error after 3.0 s).
 */
Test(tcp_rto, syncnt_is_a_count_and_a_time_budget)
{
	const int opts[][2] = {{TCP_SYNCNT, 1}};
	struct sockaddr_in to = twostack_sin(1, TCPSCRIPT_PEER_PORT);
	uint64_t t[16];

	new_socket(opts, 1);
	cr_assert_eq(twostack_connect(sock, &to), -EINPROGRESS);
	cr_assert_eq(sent_until(2999, true, t, 16), 3);
	cr_expect(t[0] == 0 && t[1] == 1000 && t[2] == 2000, "SYNs at %llu %llu %llu",
		  (unsigned long long)t[0], (unsigned long long)t[1], (unsigned long long)t[2]);
	cr_assert_eq(sock->sk->sk_err, 0, "gave up before the budget");
	cr_assert_eq(sent_until(3001, true, t, 16), 0);
	cr_assert_eq(sock->sk->sk_err, ETIMEDOUT);
	cr_assert_eq(sock->sk->sk_state, TCP_CLOSE);
}

/*
 * The first four SYN timeouts stay at a second (tcp_syn_linear_timeouts),
 * then they double: tcp_syn_retries 3 gives 8 SYNs and ETIMEDOUT at 19 s.
 */
Test(tcp_rto, syn_linear_timeouts_then_back_off)
{
	struct sockaddr_in to = twostack_sin(1, TCPSCRIPT_PEER_PORT);
	const uint64_t want[] = {0, 1000, 2000, 3000, 4000, 5000, 7000, 11000};
	uint64_t t[16];

	sc->ts->net[0].sysctl.tcp_syn_retries = 3;
	new_socket(NULL, 0);
	cr_assert_eq(twostack_connect(sock, &to), -EINPROGRESS);
	cr_assert_eq(sent_until(18999, true, t, 16), 8);
	for (unsigned int i = 0; i < 8; i++)
		cr_expect_eq(t[i], want[i], "SYN %u at %llu ms", i, (unsigned long long)t[i]);
	cr_assert_eq(sock->sk->sk_err, 0);
	(void)sent_until(19001, true, t, 16);
	cr_assert_eq(sock->sk->sk_err, ETIMEDOUT);
}

/*
 * TCP_USER_TIMEOUT 1000: the connection ends 1000 ms after the first RTO
 * retransmission (a loss probe starts no clock), the timer waking then
 * rather than at the next back-off (the kernel: the error 1.0 s after it).
 */
Test(tcp_rto, user_timeout_ends_it_on_time)
{
	const int opts[][2] = {{TCP_USER_TIMEOUT, 1000}};
	uint64_t t[16], r1;
	unsigned int n;

	new_socket(opts, 1);
	establish();
	send_bytes(100);
	/* The original, the loss probe, the first RTO retransmission. */
	cr_assert_eq(sent_until(700, false, t, 16), 3);
	r1 = t[2];
	n = sent_until(r1 + 999, false, t, 16);
	cr_assert_eq(n, 1, "one more back-off fits: %u", n);
	cr_assert_eq(sock->sk->sk_err, 0, "ended early");
	cr_assert_eq(sent_until(r1 + 1000 + 4, false, t, 16), 0);
	cr_assert_eq(sock->sk->sk_err, ETIMEDOUT);
}

/*
 * One clock for the retries and the undo, as the kernel's retrans_stamp:
 * the episode's first retransmission starts it and a later one of the same
 * episode does not, even with nothing resent left in flight. Two segments,
 * no loss probe (tcp_early_retrans 0), TCP_USER_TIMEOUT 1000: the RTO
 * resends the first at r1; the peer acknowledges it 300 ms later (echoing
 * the resend: no undo), still in the Loss state, and the second goes
 * again then. The connection ends 1000 ms after r1. A clock restarted with
 * the second resend ended it 300 ms later.
 */
Test(tcp_rto, user_timeout_counts_from_the_episodes_first_retransmission)
{
	const int opts[][2] = {{TCP_USER_TIMEOUT, 1000}, {TCP_NODELAY, 1}};
	uint64_t t[16], r1;
	char ack_opts[64];

	sc->ts->net[0].sysctl.tcp_early_retrans = 0;
	new_socket(opts, 2);
	establish();
	send_bytes(1000);
	send_bytes(1000);
	cr_assert_eq(sent_until(300, false, t, 16), 3, "two originals, then the RTO's resend");
	r1 = t[2];
	snprintf(ack_opts, sizeof(ack_opts), "nop,nop,TS val 5002 ecr %llu",
		 (unsigned long long)(1000 + r1));
	{
		const struct tcpscript_step steps[] = {
			{r1 + 300, '<', {".", 1, 1001, 0, 0, ack_opts}},
			{r1 + 300, '>', {"P.", 1001, 1, 1000, 0, "*"}},
			{0}};

		cr_assert(tcpscript_run(sc, steps), "%s", sc->err);
	}
	cr_assert_eq(tcp_sk(sock->sk)->cong.ca_state, TCP_CA_Loss);
	(void)sent_until(r1 + 999, false, t, 16);
	cr_assert_eq(sock->sk->sk_err, 0, "ended early");
	(void)sent_until(r1 + 1000 + 4, false, t, 16);
	cr_assert_eq(sock->sk->sk_err, ETIMEDOUT);
}

/*
 * A thin stream (one segment out, CUBIC past its initial slow start) with
 * TCP_THIN_LINEAR_TIMEOUTS: the first six RTOs after the first keep the
 * RTO, the seventh doubles it (the kernel: 8 gaps of 0.21 s from the loss
 * probe on, then 0.42, 0.83).
 */
Test(tcp_rto, thin_stream_times_out_linearly)
{
	const int opts[][2] = {{TCP_THIN_LINEAR_TIMEOUTS, 1}};
	uint64_t t[32];
	unsigned int n;

	new_socket(opts, 1);
	establish();
	send_bytes(100);
	n = sent_until(4000, false, t, 32);
	cr_assert_geq(n, 11, "%u transmissions", n);
	/* t[2] is the first RTO retransmission; t[2..8] a linear run. */
	for (unsigned int i = 3; i <= 8; i++)
		cr_expect_eq(t[i] - t[i - 1], t[2] - t[1], "gap %u: %llu", i,
			     (unsigned long long)(t[i] - t[i - 1]));
	cr_expect_eq(t[9] - t[8], 2 * (t[2] - t[1]), "then back-off: %llu",
		     (unsigned long long)(t[9] - t[8]));
}

/*
 * Without the option the same stream backs off at once; and with the
 * default BBR it is never thin (its ssthresh stays infinite).
 */
Test(tcp_rto, thick_stream_backs_off)
{
	uint64_t t[32];

	new_socket(NULL, 0);
	establish();
	send_bytes(100);
	cr_assert_geq(sent_until(2000, false, t, 32), 5);
	cr_expect_eq(t[3] - t[2], 2 * (t[2] - t[1]));
	cr_expect_eq(t[4] - t[3], 4 * (t[2] - t[1]));
}

/*
 * An orphan (closed with data unacknowledged) lives tcp_orphan_retries'
 * modelled time: 1 retry is 600 ms from TCP_RTO_MIN, so it ends at the
 * first timeout past 600 ms after its first RTO retransmission, where the
 * owner's socket (tcp_retries2 15) would go on.
 */
Test(tcp_rto, orphan_retries_as_a_time)
{
	struct net *net = &sc->ts->net[0];
	uint64_t t[16], aborts;
	unsigned int n;

	net->sysctl.tcp_orphan_retries = 1;
	new_socket(NULL, 0);
	establish();
	send_bytes(100);
	cr_assert_eq(sent_until(700, false, t, 16), 3);
	aborts = net->mib.tcpext.TCPAbortOnTimeout;
	sock_release(sock);
	sock = NULL;
	/* r1 + 408 ms: elapsed 408 < 600, once more; r1 + 1224: over, the end. */
	n = sent_until(t[2] + 1300, false, t, 16);
	cr_assert_eq(net->mib.tcpext.TCPAbortOnTimeout, aborts + 1);
	cr_assert_leq(n, 2, "%u more transmissions", n);
}

/*
 * TCP_DELACK_MAX_US 8000 with delayed ACKs (TCP_QUICKACK 0): data is
 * acknowledged 8 ms after it came, not the 40 ms of the ato floor.
 */
Test(tcp_rto, delack_max_bounds_the_delayed_ack)
{
	const int opts[][2] = {{TCP_DELACK_MAX_US, 8000}};

	new_socket(opts, 1);
	establish();
	set_int(SOL_TCP, TCP_QUICKACK, 0);
	TCPSCRIPT_RUN(sc, {10, '<', {"P.", 1, 1, 100, 0, "nop,nop,TS val 5001 ecr 1"}},
		      {18, '>', {".", 1, 101, 0, 0, "*"}});
}

/* ---- tcp6: the SYN queue's young requests, zero windows with data out, orphans ---- */

#define LISTEN_PORT 7200

/*
 * How many SYN-ACKs the stack sent again to each of n script ports (from
 * TCPSCRIPT_PEER_PORT on) until at_ms (the first ones were expected).
 */
static void synacks_until(uint64_t at_ms, unsigned int *count, unsigned int n)
{
	(void)tcpscript_quiet_until(sc, at_ms);
	for (; sc->next < sc->nout; sc->next++) {
		const struct tcpscript_pkt *p = &sc->out[sc->next];
		unsigned int i = p->dport - TCPSCRIPT_PEER_PORT;

		if ((p->flags & 0x12) == 0x12 && i < n)
			count[i]++;
	}
	sc->err[0] = 0;
}

/*
 * A listener on LISTEN_PORT with the given backlog (tcp_synack_retries 5)
 * and n SYNs, one a millisecond from the script's ports on, each answered
 * by a SYN-ACK and never acknowledged.
 */
static struct socket *listener_with_requests(int backlog, unsigned int n)
{
	struct socket *l = tcpscript_socket(sc);

	sc->ts->net[0].sysctl.tcp_synack_retries = 5;
	cr_assert_eq(twostack_bind(l, twostack_addr(0), LISTEN_PORT), 0);
	cr_assert_eq(l->ops->listen(l, backlog), 0);
	sc->stack_port = LISTEN_PORT;
	for (unsigned int i = 0; i < n; i++) {
		sc->peer_port = (uint16_t)(TCPSCRIPT_PEER_PORT + i);
		TCPSCRIPT_RUN(
			sc,
			{i, '<', {"S", 0, 0, 0, 0, "mss 1460,sackOK,TS val 5 ecr 0,nop,wscale 7"}},
			{i, '>', {"S.", 0, 1, 0, 0, "*"}});
	}
	return l;
}

/*
 * A listener (backlog 16) gets 12 SYNs that are never acknowledged. All 12
 * are young until their first SYN-ACK timeout at 1 s; at the third, 7 s,
 * the queue (12 > 16 / 2) holds no young request, so the limit falls from
 * tcp_synack_retries 5 to 2 and requests are dropped while more than 8
 * remain: the first four end after two retransmissions (1 and 3 s), the
 * other eight send their third at 7 s (reqsk_timer_handler, as the
 * kernel).
 */
Test(tcp_rto, synack_retries_fall_for_a_queue_of_old_requests)
{
	struct socket *l = listener_with_requests(16, 12);
	unsigned int count[12] = {0};

	cr_assert_eq(tcp_sk(l->sk)->syn_young, 12);
	synacks_until(6000, count, 12);
	cr_assert_eq(tcp_sk(l->sk)->syn_young, 0, "young after their first timeout");
	for (unsigned int i = 0; i < 12; i++)
		cr_assert_eq(count[i], 2, "request %u: %u SYN-ACKs again by 6 s", i, count[i]);
	synacks_until(8000, count, 12);
	for (unsigned int i = 0; i < 12; i++)
		cr_expect_eq(count[i], i < 4 ? 2u : 3u, "request %u: %u SYN-ACKs again by 8 s", i,
			     count[i]);
	cr_assert_eq(tcp_sk(l->sk)->syn_qlen, 8);
}

/* With a backlog of 128 the same twelve keep tcp_synack_retries. */
Test(tcp_rto, synack_retries_stay_for_a_queue_below_half)
{
	struct socket *l = listener_with_requests(128, 12);
	unsigned int count[12] = {0};

	synacks_until(8000, count, 12);
	for (unsigned int i = 0; i < 12; i++)
		cr_expect_eq(count[i], 3, "request %u: %u SYN-ACKs again by 8 s", i, count[i]);
	cr_assert_eq(tcp_sk(l->sk)->syn_qlen, 12);
}

/*
 * The stack's data transmissions until at_ms; each is answered, when
 * answer, by an ACK of nothing new with a zero window. Returns how many.
 */
static unsigned int zero_window_until(uint64_t at_ms, bool answer)
{
	unsigned int n = 0;

	for (uint64_t t = (sc->ts->net[0].now - sc->t0) / NSEC_PER_MSEC; t <= at_ms; t += 2) {
		uint64_t last[1];
		unsigned int k = sent_until(t, false, last, 1);

		n += k;
		if (k && answer && !sock->sk->sk_err)
			TCPSCRIPT_RUN(sc, {t,
					   '<',
					   {".", 1, 1, 0, TCPSCRIPT_WIN_ZERO,
					    "nop,nop,TS val 5001 ecr 1"}});
	}
	return n;
}

/* Connected, 100 bytes sent at 1 ms and their ACK held back while the window closes at 5 ms. */
static void close_window_with_data_out(void)
{
	establish();
	send_bytes(100);
	TCPSCRIPT_RUN(sc, {1, '>', {"P.", 1, 1, 100, 0, "*"}},
		      {5, '<', {".", 1, 1, 0, TCPSCRIPT_WIN_ZERO, "nop,nop,TS val 5001 ecr 1"}});
	cr_assert_eq(tcp_sk(sock->sk)->snd_wnd, 0);
}

/*
 * The window closes with data in flight and the peer answers every
 * retransmission (with the window still zero): they are its zero-window
 * probes, so tcp_retries2 (3: 3 s modelled) ends nothing and no timeout
 * is counted (tcp_retransmit_timer's !snd_wnd branch).
 */
Test(tcp_rto, zero_window_with_data_out_is_probed_while_the_peer_answers)
{
	uint64_t timeouts;
	unsigned int n;

	sc->ts->net[0].sysctl.tcp_retries2 = 3;
	new_socket(NULL, 0);
	close_window_with_data_out();
	timeouts = sc->ts->net[0].mib.tcpext.TCPTimeouts;
	n = zero_window_until(20000, true);
	cr_assert_eq(sock->sk->sk_err, 0, "ended by tcp_retries2");
	cr_assert_eq(sock->sk->sk_state, TCP_ESTABLISHED);
	cr_assert_geq(n, 6, "%u probes in 20 s", n);
	cr_assert_eq(sc->ts->net[0].mib.tcpext.TCPTimeouts, timeouts);
}

/*
 * A silent peer: after two RTO ceilings (TCP_RTO_MAX_MS 1000: 2 s) with
 * no ACK and as long retransmitting, the next timeout ends it
 * (tcp_rtx_probe0_timed_out), where tcp_retries2 15 would go on for 14 s.
 */
Test(tcp_rto, zero_window_with_data_out_ends_when_the_peer_is_silent)
{
	const int opts[][2] = {{TCP_RTO_MAX_MS, 1000}};

	new_socket(opts, 1);
	close_window_with_data_out();
	(void)zero_window_until(2000, false);
	cr_assert_eq(sock->sk->sk_err, 0, "ended before two RTO ceilings");
	(void)zero_window_until(4000, false);
	cr_assert_eq(sock->sk->sk_err, ETIMEDOUT);
}

/*
 * TCP_USER_TIMEOUT 1500 ends it 1.5 s after the first retransmission
 * even while the peer answers.
 */
Test(tcp_rto, zero_window_with_data_out_ends_by_user_timeout)
{
	const int opts[][2] = {{TCP_USER_TIMEOUT, 1500}};

	new_socket(opts, 1);
	close_window_with_data_out();
	(void)zero_window_until(1600, true);
	cr_assert_eq(sock->sk->sk_err, 0,
		     "ended before TCP_USER_TIMEOUT from the first retransmission");
	(void)zero_window_until(3000, true);
	cr_assert_eq(sock->sk->sk_err, ETIMEDOUT);
}

/* The last segment the stack sent has these TCP flags. */
static uint8_t last_flags(unsigned int back)
{
	cr_assert_gt(sc->nout, back);
	return sc->out[sc->nout - 1 - back].flags;
}

/*
 * close() with more orphans than tcp_max_orphans (0 here: this one is
 * too many) sends the FIN and then a RST, and the socket is gone
 * (__tcp_close, tcp_check_oom: TCPAbortOnMemory).
 */
Test(tcp_rto, close_past_tcp_max_orphans_resets)
{
	struct net *net = &sc->ts->net[0];

	net->sysctl.tcp_max_orphans = 0;
	new_socket(NULL, 0);
	establish();
	sock_release(sock);
	sock = NULL;
	cr_assert_eq(last_flags(1), 0x11, "FIN first: %#x", last_flags(1));
	cr_assert_eq(last_flags(0), 0x14, "then RST: %#x", last_flags(0));
	cr_assert_eq(net->mib.tcpext.TCPAbortOnMemory, 1);
	cr_assert_eq(net->tcp_orphan_count, 0);
	sc->next = sc->nout;
}

/* Within the limit the orphan lingers, counted, until TIME_WAIT's kind of end. */
Test(tcp_rto, close_within_tcp_max_orphans_lingers)
{
	struct net *net = &sc->ts->net[0];

	net->sysctl.tcp_max_orphans = 1;
	new_socket(NULL, 0);
	establish();
	sock_release(sock);
	sock = NULL;
	TCPSCRIPT_RUN(sc, {1, '>', {"F.", 1, 1, 0, 0, "*"}});
	cr_assert_eq(net->tcp_orphan_count, 1);
	TCPSCRIPT_RUN(sc, {3, '<', {".", 1, 2, 0, 0, "nop,nop,TS val 5001 ecr 1"}});
	cr_assert_eq(net->tcp_orphan_count, 0, "FIN_WAIT2's wait is no orphan (tcp_time_wait)");
	cr_assert_eq(net->mib.tcpext.TCPAbortOnMemory, 0);
}

/*
 * An orphan with data unacknowledged when tcp_max_orphans falls below
 * the count: its next timeout resets it instead of retransmitting
 * (tcp_write_timeout, tcp_out_of_resources).
 */
Test(tcp_rto, orphan_timeout_past_tcp_max_orphans_resets)
{
	struct net *net = &sc->ts->net[0];
	uint64_t t[16];

	new_socket(NULL, 0);
	establish();
	send_bytes(100);
	sock_release(sock);
	sock = NULL;
	cr_assert_eq(net->tcp_orphan_count, 1);
	cr_assert_geq(sent_until(100, false, t, 16), 1);
	net->sysctl.tcp_max_orphans = 0;
	(void)sent_until(1000, false, t, 16);
	cr_assert_eq(net->mib.tcpext.TCPAbortOnMemory, 1);
	cr_assert_eq(last_flags(0), 0x14, "a RST last: %#x", last_flags(0));
	cr_assert_eq(net->tcp_orphan_count, 0);
}

/*
 * TCP_LINGER2 below 0: an orphan does not wait in FIN_WAIT2. Closed
 * there, it sends a RST (TCPAbortOnLinger); closed before, the ACK of its
 * FIN is answered with a RST (TCPAbortOnData), as __tcp_close and
 * tcp_rcv_state_process.
 */
Test(tcp_rto, linger2_below_zero_closes_fin_wait2_with_a_reset)
{
	const int opts[][2] = {{TCP_LINGER2, -1}};
	struct net *net = &sc->ts->net[0];

	new_socket(opts, 1);
	establish();
	cr_assert_eq(sock->ops->shutdown(sock, SHUT_WR), 0);
	TCPSCRIPT_RUN(sc, {1, '>', {"F.", 1, 1, 0, 0, "*"}},
		      {3, '<', {".", 1, 2, 0, 0, "nop,nop,TS val 5001 ecr 1"}});
	cr_assert_eq(sock->sk->sk_state, TCP_FIN_WAIT2);
	sock_release(sock);
	sock = NULL;
	TCPSCRIPT_RUN(sc, {3, '>', {"R.", 2, 1, 0, 0, "nop,nop,TS val now ecr 5001"}});
	cr_assert_eq(net->mib.tcpext.TCPAbortOnLinger, 1);
	cr_assert_eq(net->tcp_orphan_count, 0);
}

Test(tcp_rto, linger2_below_zero_answers_the_fin_ack_with_a_reset)
{
	const int opts[][2] = {{TCP_LINGER2, -1}};
	struct net *net = &sc->ts->net[0];

	new_socket(opts, 1);
	establish();
	sock_release(sock);
	sock = NULL;
	TCPSCRIPT_RUN(sc, {1, '>', {"F.", 1, 1, 0, 0, "*"}},
		      {3, '<', {".", 1, 2, 0, 0, "nop,nop,TS val 5001 ecr 1"}},
		      {3, '>', {"R", 2, 0, 0, 0, NULL}});
	cr_assert_eq(net->mib.tcpext.TCPAbortOnData, 1);
	cr_assert_eq(net->tcp_orphan_count, 0);
}
