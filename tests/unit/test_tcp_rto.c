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
#include <string.h>

#include "helper_tcpscript.h"
#include "inet.h"
#include "tcp.h"

#ifndef TCP_DELACK_MAX_US
#define TCP_DELACK_MAX_US 46
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
