// SPDX-License-Identifier: MIT
/*
 * TCP against scripted peers (helper_tcpscript): each mechanism as the exact
 * segments Linux would send, at their exact virtual times. The stack under
 * test runs with tcp_timestamps = 2 (timestamps without a per-connection
 * offset), so its TSval is its clock in ms ("now"; the clock starts at
 * 1000 ms), and with the kernel's default buffer sysctls (window scale 7).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "helper_tcpscript.h"
#include "inet.h"
#include "ip.h"
#include "tcp.h"

#define PORT 5000

static struct tcpscript *sc;
static struct socket *socks[8];
static unsigned int nsocks;

static struct socket *track(struct socket *s)
{
	cr_assert_not_null(s);
	if (nsocks < 8)
		socks[nsocks++] = s;
	return s;
}

static void setup(void)
{
	sc = tcpscript_start();
	cr_assert_not_null(sc);
	nsocks = 0;
	tcpscript_linux_sysctls(sc, "cubic"); /* with RACK and tail loss probes */
}

static void teardown(void)
{
	for (unsigned int i = 0; i < nsocks; i++)
		sock_release(socks[i]);
	tcpscript_stop(sc);
	skb_cache_drain();
}

TestSuite(tcp_script, .init = setup, .fini = teardown);

static struct netns_sysctl *stack_sysctl(void)
{
	return &sc->ts->net[0].sysctl;
}

static struct tcpext_mib *ext(void)
{
	return &sc->ts->net[0].mib.tcpext;
}

#define RUN(...)                                                                                   \
	do {                                                                                       \
		const struct tcpscript_step steps_[] = {__VA_ARGS__, {0}};                         \
		cr_assert(tcpscript_run(sc, steps_), "%s", sc->err);                               \
	} while (0)

/* connect() from the stack; the SYN goes out at time 0. */
static struct socket *stack_connect(void)
{
	int err = 0;
	struct socket *c = track(twostack_socket(sc->ts, 0, SOCK_STREAM, IPPROTO_TCP, &err));
	struct sockaddr_in to = twostack_sin(1, TCPSCRIPT_PEER_PORT);

	cr_assert_eq(twostack_connect(c, &to), -EINPROGRESS);
	return c;
}

static struct socket *stack_listen(void)
{
	int err = 0;
	struct socket *l = track(twostack_socket(sc->ts, 0, SOCK_STREAM, IPPROTO_TCP, &err));

	cr_assert_eq(twostack_bind(l, twostack_addr(0), PORT), 0);
	cr_assert_eq(l->ops->listen(l, 8), 0);
	sc->stack_port = PORT;
	return l;
}

static int send_bytes(struct socket *s, size_t len)
{
	static char buf[16384];
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_flags = MSG_DONTWAIT};

	return s->ops->sendmsg(s, &m, len);
}

/* ---- SYN, SYN-ACK, ACK options (tcp_syn_options, tcp_synack_options) ---- */

static void syn_layout(int ts, int sack, int ws, const char *opts)
{
	stack_sysctl()->tcp_timestamps = ts ? 2 : 0;
	stack_sysctl()->tcp_sack = sack;
	stack_sysctl()->tcp_window_scaling = ws;
	stack_connect();
	{
		const struct tcpscript_step steps[] = {
			/* Whole segments of our MSS in half of tcp_rmem[1] (tcp_connect_init). */
			{0, '>', {"S", 0, 0, 0, 64240, opts}},
			{0},
		};

		cr_assert(tcpscript_run(sc, steps), "%s", sc->err);
	}
}

Test(tcp_script, syn_offers_all_options_in_20_bytes)
{
	syn_layout(1, 1, 1, "mss 1460,sackOK,TS val now ecr 0,nop,wscale 7");
}

Test(tcp_script, syn_without_timestamps_pads_sack_permitted)
{
	syn_layout(0, 1, 1, "mss 1460,nop,nop,sackOK,nop,wscale 7");
}

Test(tcp_script, syn_without_sack_pads_the_timestamp)
{
	syn_layout(1, 0, 1, "mss 1460,nop,nop,TS val now ecr 0,nop,wscale 7");
}

Test(tcp_script, syn_without_window_scaling)
{
	syn_layout(1, 1, 0, "mss 1460,sackOK,TS val now ecr 0");
}

Test(tcp_script, syn_with_everything_off_carries_mss_only)
{
	syn_layout(0, 0, 0, "mss 1460");
}

/* The handshake: the ACK echoes the SYN-ACK's timestamp, RTT from it. */
Test(tcp_script, handshake_ack_carries_the_timestamp_echo)
{
	struct socket *c = stack_connect();
	struct tcp_info info;
	int len = sizeof(info);

	RUN({0, '>', {"S", 0, 0, 0, 0, "mss 1460,sackOK,TS val now ecr 0,nop,wscale 7"}},
	    {10, '<', {"S.", 0, 1, 0, 0, "mss 1460,sackOK,TS val 5000 ecr 1000,nop,wscale 7"}},
	    {10, '>', {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 5000"}});
	cr_assert_eq(c->sk->sk_state, TCP_ESTABLISHED);
	cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_INFO, &info, &len), 0);
	cr_assert_eq(info.tcpi_options & (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE),
		     TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE);
	cr_assert_eq(info.tcpi_snd_mss, 1448);
	cr_assert_eq(info.tcpi_rtt, 10000);
}

/* A SYN-ACK without timestamps: none on later segments either. */
Test(tcp_script, synack_without_timestamps_turns_them_off)
{
	struct socket *c = stack_connect();

	RUN({0, '>', {"S", 0, 0, 0, 0, "*"}},
	    {10, '<', {"S.", 0, 1, 0, 0, "mss 1460,nop,wscale 7"}},
	    {10, '>', {".", 1, 1, 0, 0, NULL}});
	cr_assert_not(tcp_sk(c->sk)->rx_opt.tstamp_ok);
	cr_assert_not(tcp_sk(c->sk)->rx_opt.sack_ok);
	cr_assert_eq(tcp_sk(c->sk)->mss_cache, 1460);
}

/* RFC 7323 3.2 / Linux: a SYN-ACK echoing a timestamp we never sent is answered with a RST. */
Test(tcp_script, synack_with_a_bogus_echo_is_reset)
{
	struct socket *c = stack_connect();

	RUN({0, '>', {"S", 0, 0, 0, 0, "*"}},
	    {10, '<', {"S.", 0, 1, 0, 0, "mss 1460,sackOK,TS val 5000 ecr 999999,nop,wscale 7"}},
	    {10, '>', {"R", 1, 0, 0, 0, NULL}});
	cr_assert_eq(ext()->PAWSActive, 1);
	cr_assert_eq(c->sk->sk_state, TCP_SYN_SENT, "the SYN stays; it is retransmitted");
	RUN({1000, '>', {"S", 0, 0, 0, 0, "mss 1460,sackOK,TS val now ecr 0,nop,wscale 7"}});
}

/* The SYN-ACK answers exactly what the SYN offered. */
static void synack_answers(const char *syn_opts, const char *synack_opts)
{
	const struct tcpscript_step steps[] = {
		{0, '<', {"S", 0, 0, 0, 0, syn_opts}},
		/* Half of tcp_rmem[1] in whole segments (tcp_openreq_init_rwin). */
		{0, '>', {"S.", 0, 1, 0, strstr(syn_opts, "TS") ? 65160 : 64240, synack_opts}},
		{0},
	};

	stack_listen();
	cr_assert(tcpscript_run(sc, steps), "%s", sc->err);
}

Test(tcp_script, synack_to_a_full_offer)
{
	synack_answers("mss 1460,sackOK,TS val 700 ecr 0,nop,wscale 7",
		       "mss 1460,sackOK,TS val now ecr 700,nop,wscale 7");
}

Test(tcp_script, synack_to_mss_only)
{
	synack_answers("mss 1460", "mss 1460");
}

Test(tcp_script, synack_to_sack_and_wscale)
{
	synack_answers("mss 1460,nop,nop,sackOK,nop,wscale 2",
		       "mss 1460,nop,nop,sackOK,nop,wscale 7");
}

Test(tcp_script, synack_to_timestamps_only)
{
	synack_answers("mss 1400,nop,nop,TS val 700 ecr 0", "mss 1460,nop,nop,TS val now ecr 700");
}

Test(tcp_script, synack_when_our_sack_is_off)
{
	stack_sysctl()->tcp_sack = 0;
	synack_answers("mss 1460,sackOK,TS val 700 ecr 0,nop,wscale 7",
		       "mss 1460,nop,nop,TS val now ecr 700,nop,wscale 7");
}

/* TCP-MD5 signed SYNs for a socket without a key are dropped and counted, no answer. */
Test(tcp_script, md5_signed_syn_is_dropped_and_counted)
{
	struct socket *l = stack_listen();

	RUN({0, '<', {"S", 0, 0, 0, 0, "mss 1460,nop,nop,md5"}});
	cr_assert(tcpscript_quiet_until(sc, 3000), "%s", sc->err);
	cr_assert_eq(ext()->TCPMD5Unexpected, 1);
	cr_assert_eq(tcp_sk(l->sk)->syn_qlen, 0);
	RUN({3000, '<', {"S", 0, 0, 0, 0, "mss 1460"}},
	    {3000, '>', {"S.", 0, 1, 0, 0, "mss 1460"}});
}

/* ---- timestamps after the handshake (RFC 7323) ---- */

/* Established at 10 ms with TS.Recent 5000; the stack's RTT sample is 10 ms. */
static struct socket *established(void)
{
	struct socket *c = stack_connect();

	RUN({0, '>', {"S", 0, 0, 0, 0, "*"}},
	    {10, '<', {"S.", 0, 1, 0, 0, "mss 1460,sackOK,TS val 5000 ecr 1000,nop,wscale 7"}},
	    {10, '>', {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 5000"}});
	return c;
}

/*
 * TS.Recent moves only for segments at or before Last.ACK.sent (RFC 7323
 * 4.3): an out-of-order segment's timestamp is not echoed.
 */
Test(tcp_script, ts_recent_follows_last_ack_sent)
{
	established();
	RUN({20, '<', {"P.", 1, 1, 100, 0, "nop,nop,TS val 5010 ecr 1010"}},
	    {20, '>', {".", 1, 101, 0, 0, "nop,nop,TS val now ecr 5010"}},
	    {30, '<', {"P.", 201, 1, 100, 0, "nop,nop,TS val 5020 ecr 1010"}},
	    {30, '>', {".", 1, 101, 0, 0, "nop,nop,TS val now ecr 5010,nop,nop,sack 201:301"}},
	    {40, '<', {"P.", 101, 1, 100, 0, "nop,nop,TS val 5030 ecr 1010"}},
	    {40, '>', {".", 1, 301, 0, 0, "nop,nop,TS val now ecr 5030"}});
}

/* ---- the peer's FIN (tcp_fin) ---- */

/*
 * The peer's FIN in ESTABLISHED moves to CLOSE_WAIT in pingpong mode
 * (inet_csk_enter_pingpong_mode): its ACK is not sent at once but by the
 * delayed-ACK timer, 40 ms (TCP_ATO_MIN) later, if the owner sends nothing
 * before. The data before it is acknowledged at once (quick-ACK mode).
 */
Test(tcp_script, peer_fin_is_acked_by_the_delayed_ack)
{
	struct socket *c = established();
	int quickack = -1, len = sizeof(quickack);

	RUN({20, '<', {"P.", 1, 1, 100, 0, "nop,nop,TS val 5010 ecr 1010"}},
	    {20, '>', {".", 1, 101, 0, 0, "nop,nop,TS val now ecr 5010"}},
	    {30, '<', {"F.", 101, 1, 0, 0, "nop,nop,TS val 5020 ecr 1020"}});
	cr_assert_eq(c->sk->sk_state, TCP_CLOSE_WAIT);
	/* As the kernel's: TCP_QUICKACK reads 0 in pingpong mode. */
	cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_QUICKACK, &quickack, &len), 0);
	cr_assert_eq(quickack, 0);
	cr_assert(tcpscript_quiet_until(sc, 69), "%s", sc->err);
	RUN({70, '>', {".", 1, 102, 0, 0, "nop,nop,TS val now ecr 5020"}});
}

/*
 * The owner closes before the delayed ACK is due (a client at the end of
 * a response, e.g. ab against nginx): its FIN carries the ACK of the
 * peer's, one segment where an immediate ACK would have made two.
 */
Test(tcp_script, close_after_peer_fin_acks_it_with_our_fin)
{
	struct socket *c = established();

	RUN({20, '<', {"P.", 1, 1, 100, 0, "nop,nop,TS val 5010 ecr 1010"}},
	    {20, '>', {".", 1, 101, 0, 0, "nop,nop,TS val now ecr 5010"}},
	    {20, '<', {"F.", 101, 1, 0, 0, "nop,nop,TS val 5010 ecr 1010"}});
	cr_assert(tcpscript_quiet_until(sc, 30), "%s", sc->err);
	cr_assert_eq(c->ops->shutdown(c, SHUT_WR), 0);
	RUN({30, '>', {"F.", 1, 102, 0, 0, "nop,nop,TS val now ecr 5010"}},
	    {40, '<', {".", 102, 2, 0, 0, "nop,nop,TS val 5030 ecr 1030"}});
	cr_assert_eq(c->sk->sk_state, TCP_CLOSE);
	cr_assert(tcpscript_quiet_until(sc, 300), "%s", sc->err);
}

/*
 * RTTM: the ACK of a retransmitted segment gives no sample by send time
 * (Karn) but does by its echoed timestamp, so the backed-off RTO comes
 * back to what the path needs instead of staying doubled.
 */
Test(tcp_script, rtt_from_the_echo_of_a_retransmission_resets_the_rto)
{
	struct socket *c;
	struct tcp_sock *tp;

	/* The RTO alone: no tail loss probe (it would go at the RTO's time instead). */
	stack_sysctl()->tcp_early_retrans = 0;
	c = established();
	tp = tcp_sk(c->sk);

	/*
	 * srtt 10 ms, rttvar 5 ms: RTO = 10 + max(4 * 5, 200) ms, in jiffies of
	 * 4 ms rounded up (tcp_set_rto): 212 ms.
	 */
	cr_assert_eq(tp->rto, 212 * NSEC_PER_MSEC);
	cr_assert_eq(send_bytes(c, 100), 100);
	RUN({10, '>', {"P.", 1, 1, 100, 0, "nop,nop,TS val now ecr 5000"}},
	    {222, '>', {"P.", 1, 1, 100, 0, "nop,nop,TS val now ecr 5000"}});
	cr_assert_eq(tp->rto, 424 * NSEC_PER_MSEC, "doubled by the timeout");
	cr_assert_eq(tp->backoff, 1);
	/* The ACK echoes the retransmission's timestamp (1222): RTT 30 ms. */
	RUN({252, '<', {".", 1, 101, 0, 0, "nop,nop,TS val 5100 ecr 1222"}});
	/* srtt = 7/8 * 10 + 30/8 = 12.5 ms, rttvar = (3 * 5 + 20) / 4 = 8.75 ms. */
	cr_assert_eq(tp->srtt, 12500 * NSEC_PER_USEC);
	cr_assert_eq(tp->rto, 216 * NSEC_PER_MSEC, "212.5 ms, rounded up to 54 jiffies");
	cr_assert_eq(tp->backoff, 0);
}

/*
 * PAWS (RFC 7323 5): an older timestamp than TS.Recent is rejected with a
 * duplicate ACK (pure ACKs at most one per tcp_invalid_ratelimit); an old
 * pure ACK is dropped silently; a RST is judged by its sequence alone.
 */
Test(tcp_script, paws_rejects_old_timestamps)
{
	struct socket *c = established();

	RUN({20, '<', {"P.", 1, 1, 100, 0, "nop,nop,TS val 4000 ecr 1010"}},
	    {20, '>', {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 5000"}});
	cr_assert_eq(ext()->PAWSEstab, 1);
	cr_assert_eq(tcp_inq(c->sk), 0, "the data was not taken");
	/*
	 * Answers to pure ACKs failing PAWS are rate limited (data is not): the
	 * first is answered, the next within 500 ms is not, the one after is.
	 */
	RUN({100, '<', {".", 1, 1, 0, 1000, "nop,nop,TS val 4000 ecr 1010"}},
	    {100, '>', {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 5000"}},
	    {300, '<', {".", 1, 1, 0, 1000, "nop,nop,TS val 4000 ecr 1010"}});
	cr_assert(tcpscript_quiet_until(sc, 599), "%s", sc->err);
	cr_assert_eq(ext()->PAWSEstab, 3);
	cr_assert_eq(ext()->TCPACKSkippedPAWS, 1);
	RUN({600, '<', {".", 1, 1, 0, 1000, "nop,nop,TS val 4000 ecr 1010"}},
	    {600, '>', {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 5000"}});
	/* An old pure ACK (sequence before rcv_nxt): dropped, no answer. */
	RUN({700, '<', {".", 0, 1, 0, 0, "nop,nop,TS val 4000 ecr 1010"}});
	cr_assert(tcpscript_quiet_until(sc, 800), "%s", sc->err);
	cr_assert_eq(ext()->PAWSOldAck, 1);
	/* Current timestamps are taken again. */
	RUN({900, '<', {"P.", 1, 1, 100, 0, "nop,nop,TS val 5100 ecr 1010"}},
	    {900, '>', {".", 1, 101, 0, 0, "nop,nop,TS val now ecr 5100"}});
	cr_assert_eq(tcp_inq(c->sk), 100);
	/* A RST with an old timestamp still resets. */
	RUN({1000, '<', {"R.", 101, 1, 0, 0, "nop,nop,TS val 1 ecr 1010"}});
	cr_assert_eq(c->sk->sk_state, TCP_CLOSE);
	cr_assert_eq(c->sk->sk_err, ECONNRESET);
}

/* ---- SACK and D-SACK from the receiver (RFC 2018, 2883) ---- */

/*
 * Out-of-order data is reported at once, the newest block first; with a
 * timestamp only 3 blocks fit; blocks merge as holes fill; a duplicate is
 * reported in a D-SACK block in front of the SACK blocks.
 */
Test(tcp_script, sack_blocks_newest_first_three_beside_a_timestamp)
{
	established();
	RUN({20, '<', {"P.", 1, 1, 100, 0, "nop,nop,TS val 5001 ecr 1010"}},
	    {20, '>', {".", 1, 101, 0, 0, "nop,nop,TS val now ecr 5001"}},
	    {30, '<', {"P.", 201, 1, 100, 0, "nop,nop,TS val 5001 ecr 1010"}},
	    {30, '>', {".", 1, 101, 0, 0, "nop,nop,TS val now ecr 5001,nop,nop,sack 201:301"}},
	    {40, '<', {"P.", 401, 1, 100, 0, "nop,nop,TS val 5001 ecr 1010"}},
	    {40,
	     '>',
	     {".", 1, 101, 0, 0, "nop,nop,TS val now ecr 5001,nop,nop,sack 401:501 201:301"}},
	    {50, '<', {"P.", 601, 1, 100, 0, "nop,nop,TS val 5001 ecr 1010"}},
	    {50,
	     '>',
	     {".", 1, 101, 0, 0,
	      "nop,nop,TS val now ecr 5001,nop,nop,sack 601:701 401:501 201:301"}},
	    {60, '<', {"P.", 801, 1, 100, 0, "nop,nop,TS val 5001 ecr 1010"}},
	    {60,
	     '>',
	     {".", 1, 101, 0, 0,
	      "nop,nop,TS val now ecr 5001,nop,nop,sack 801:901 601:701 401:501"}},
	    /* 301:401 joins 201:301 and then 401:501: one block, moved to the front. */
	    {70, '<', {"P.", 301, 1, 100, 0, "nop,nop,TS val 5001 ecr 1010"}},
	    {70,
	     '>',
	     {".", 1, 101, 0, 0,
	      "nop,nop,TS val now ecr 5001,nop,nop,sack 201:501 801:901 601:701"}},
	    /* The first hole fills: rcv_nxt 501, the blocks below it go. */
	    {80, '<', {"P.", 101, 1, 100, 0, "nop,nop,TS val 5001 ecr 1010"}},
	    {80,
	     '>',
	     {".", 1, 501, 0, 0, "nop,nop,TS val now ecr 5001,nop,nop,sack 801:901 601:701"}},
	    /* Old data again: D-SACK below the ACK (RFC 2883 4.1.1). */
	    {90, '<', {"P.", 1, 1, 100, 0, "nop,nop,TS val 5001 ecr 1010"}},
	    {90,
	     '>',
	     {".", 1, 501, 0, 0, "nop,nop,TS val now ecr 5001,nop,nop,sack 1:101 801:901 601:701"}},
	    /* Out-of-order data again: D-SACK, then its block at the front (4.1.2). */
	    {100, '<', {"P.", 601, 1, 100, 0, "nop,nop,TS val 5001 ecr 1010"}},
	    {100,
	     '>',
	     {".", 1, 501, 0, 0,
	      "nop,nop,TS val now ecr 5001,nop,nop,sack 601:701 601:701 801:901"}},
	    /* The D-SACK is reported once. */
	    {110, '<', {"P.", 501, 1, 100, 0, "nop,nop,TS val 5001 ecr 1010"}},
	    {110, '>', {".", 1, 701, 0, 0, "nop,nop,TS val now ecr 5001,nop,nop,sack 801:901"}},
	    {120, '<', {"P.", 701, 1, 100, 0, "nop,nop,TS val 5001 ecr 1010"}},
	    {120, '>', {".", 1, 901, 0, 0, "nop,nop,TS val now ecr 5001"}});
	cr_assert_eq(ext()->TCPDSACKOldSent, 1);
	cr_assert_eq(ext()->TCPDSACKOfoSent, 1);
}

/* Without timestamps 4 blocks fit; the oldest falls off beyond that. */
Test(tcp_script, sack_four_blocks_without_timestamps)
{
	struct socket *c;

	stack_sysctl()->tcp_timestamps = 0;
	c = stack_connect();
	RUN({0, '>', {"S", 0, 0, 0, 0, "mss 1460,nop,nop,sackOK,nop,wscale 7"}},
	    {10, '<', {"S.", 0, 1, 0, 0, "mss 1460,nop,nop,sackOK,nop,wscale 7"}},
	    {10, '>', {".", 1, 1, 0, 0, NULL}});
	/*
	 * Quick-ACK credit, as in-order data would have given (out-of-order
	 * data gives none), so that no ACK here is held back (SACK compression).
	 */
	tcp_sk(c->sk)->ack.quick = TCP_MAX_QUICKACKS;
	RUN({20, '<', {"P.", 101, 1, 100, 0, NULL}},
	    {20, '>', {".", 1, 1, 0, 0, "nop,nop,sack 101:201"}},
	    {21, '<', {"P.", 301, 1, 100, 0, NULL}},
	    {21, '>', {".", 1, 1, 0, 0, "nop,nop,sack 301:401 101:201"}},
	    {22, '<', {"P.", 501, 1, 100, 0, NULL}},
	    {22, '>', {".", 1, 1, 0, 0, "nop,nop,sack 501:601 301:401 101:201"}},
	    {23, '<', {"P.", 701, 1, 100, 0, NULL}},
	    {23, '>', {".", 1, 1, 0, 0, "nop,nop,sack 701:801 501:601 301:401 101:201"}},
	    {24, '<', {"P.", 901, 1, 100, 0, NULL}},
	    {24, '>', {".", 1, 1, 0, 0, "nop,nop,sack 901:1001 701:801 501:601 301:401"}});
}

/* A segment that covers queued out-of-order data reports the overlap as D-SACK. */
Test(tcp_script, dsack_for_an_overlapping_out_of_order_segment)
{
	established();
	RUN({20, '<', {"P.", 201, 1, 100, 0, "nop,nop,TS val 5001 ecr 1010"}},
	    {20, '>', {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 5000,nop,nop,sack 201:301"}},
	    {30, '<', {"P.", 251, 1, 100, 0, "nop,nop,TS val 5001 ecr 1010"}},
	    {30,
	     '>',
	     {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 5000,nop,nop,sack 251:301 201:351"}});
	cr_assert_eq(ext()->TCPDSACKOfoSent, 1);
}

/* ---- path MTU (tcp_v4_err, tcp_v4_mtu_reduced, route.c) ---- */

static int ip_mtu(struct socket *s)
{
	int v = 0, len = sizeof(v);

	cr_assert_eq(s->ops->getsockopt(s, SOL_IP, IP_MTU, &v, &len), 0);
	return v;
}

/*
 * A router says 1280 for a segment in flight: the path MTU drops, IP_MTU
 * says so, every segment in flight goes again at once cut to the new MSS
 * (1280 - 40 - 12 of timestamp = 1228; the rest of each as a piece of its
 * own, as tcp_fragment leaves it), and new data goes in 1228-byte segments.
 * An ICMP quoting a sequence not in flight changes nothing.
 */
Test(tcp_script, frag_needed_lowers_the_mss_and_resends_at_once)
{
	struct socket *c = established();
	const uint32_t s = 1228, r = 1448 - 1228;

	cr_assert_eq(ip_mtu(c), 1500);
	cr_assert_eq(send_bytes(c, 3 * 1448), 3 * 1448);
	RUN({10, '>', {".", 1, 1, 1448, 0, "nop,nop,TS val now ecr 5000"}},
	    {10, '>', {".", 1449, 1, 1448, 0, "*"}}, {10, '>', {"P.", 2897, 1, 1448, 0, "*"}});
	tcpscript_inject_frag_needed(sc, 3 * 1448 + 100, 1280); /* beyond snd_nxt: forged */
	cr_assert(tcpscript_quiet_until(sc, 11), "%s", sc->err);
	cr_assert_eq(ip_mtu(c), 1500);
	tcpscript_inject_frag_needed(sc, 1, 1280);
	cr_assert_eq(ip_mtu(c), 1280);
	RUN({11, '>', {".", 1, 1, s, 0, "nop,nop,TS val now ecr 5000"}},
	    {11, '>', {".", 1 + s, 1, r, 0, "*"}}, {11, '>', {".", 1449, 1, s, 0, "*"}},
	    {11, '>', {".", 1449 + s, 1, r, 0, "*"}}, {11, '>', {".", 2897, 1, s, 0, "*"}},
	    {11, '>', {"P.", 2897 + s, 1, r, 0, "*"}},
	    {20, '<', {".", 1, 4345, 0, 0, "nop,nop,TS val 5001 ecr 1011"}});
	cr_assert_eq(tcp_sk(c->sk)->total_retrans, 6);
	cr_assert_eq(send_bytes(c, 3000), 3000);
	RUN({20, '>', {".", 4345, 1, s, 0, "nop,nop,TS val now ecr 5001"}},
	    {20, '>', {".", 4345 + s, 1, s, 0, "*"}},
	    {20, '>', {"P.", 4345 + 2 * s, 1, 3000 - 2 * s, 0, "*"}});
}

/*
 * An MTU below net.ipv4.route.min_pmtu (552) is raised to it (and locked:
 * IP_PMTUDISC_WANT sends without DF there); a larger one never raises the
 * path MTU.
 */
Test(tcp_script, frag_needed_below_min_pmtu_is_clamped)
{
	struct socket *c = established();

	cr_assert_eq(send_bytes(c, 1448), 1448);
	RUN({10, '>', {"P.", 1, 1, 1448, 0, "nop,nop,TS val now ecr 5000"}});
	tcpscript_inject_frag_needed(sc, 1, 68);
	cr_assert_eq(ip_mtu(c), 552);
	cr_assert_eq(ip_dont_fragment(c->sk), IP_DF_NONE, "a locked path: no DF for WANT");
	RUN({10, '>', {".", 1, 1, 500, 0, "*"}}, {10, '>', {".", 501, 1, 500, 0, "*"}},
	    {10, '>', {"P.", 1001, 1, 448, 0, "*"}},
	    {20, '<', {".", 1, 1449, 0, 0, "nop,nop,TS val 5001 ecr 1010"}});
	tcpscript_inject_frag_needed(sc, 1449, 1400);
	cr_assert_eq(ip_mtu(c), 552);
	cr_assert(tcpscript_quiet_until(sc, 100), "%s", sc->err);
}

/* ---- SACK, the sender's side: the scoreboard (RFC 6675) ---- */

#define SEG(i) (1 + (i)*1448u) /* the stack's i-th full segment, from 0 */

/*
 * Segments 0 and 2 of 8 are lost. Without RACK (tcp_recovery 0, RFC 6675's
 * DupThresh), the peer's SACK blocks put the stack in recovery after the
 * third SACKed segment: segment 0 goes at once, segment 2 as soon as three
 * SACKed segments lie above it; no SACKed segment is ever sent again, and a
 * full ACK ends the recovery with the window at CUBIC's ssthresh.
 */
Test(tcp_script, sack_recovery_retransmits_only_the_holes)
{
	struct socket *c;
	struct tcp_sock *tp;

	stack_sysctl()->tcp_recovery = 0;
	c = established();
	tp = tcp_sk(c->sk);

	cr_assert_eq(send_bytes(c, 8 * 1448), 8 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "nop,nop,TS val now ecr 5000"}},
	    {10, '>', {".", SEG(1), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(2), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(3), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(4), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(5), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(6), 1, 1448, 0, "*"}},
	    {10, '>', {"P.", SEG(7), 1, 1448, 0, "*"}});
	RUN({20, '<', {".", 1, 1, 0, 0, "nop,nop,TS val 5001 ecr 1010,nop,nop,sack 1449:2897"}},
	    {21,
	     '<',
	     {".", 1, 1, 0, 0, "nop,nop,TS val 5001 ecr 1010,nop,nop,sack 4345:5793 1449:2897"}},
	    /* Three SACKed: recovery, the first hole at once. */
	    {22,
	     '<',
	     {".", 1, 1, 0, 0, "nop,nop,TS val 5001 ecr 1010,nop,nop,sack 4345:7241 1449:2897"}},
	    {22, '>', {".", SEG(0), 1, 1448, 0, "nop,nop,TS val now ecr 5001"}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
	cr_assert_eq(tp->sacked_out, 3);
	/* Three SACKed above segment 2 now: it is lost too. */
	RUN({23,
	     '<',
	     {".", 1, 1, 0, 0, "nop,nop,TS val 5001 ecr 1010,nop,nop,sack 4345:8689 1449:2897"}},
	    {23, '>', {".", SEG(2), 1, 1448, 0, "nop,nop,TS val now ecr 5001"}},
	    {24,
	     '<',
	     {".", 1, 1, 0, 0, "nop,nop,TS val 5001 ecr 1010,nop,nop,sack 4345:10137 1449:2897"}},
	    {25,
	     '<',
	     {".", 1, 1, 0, 0, "nop,nop,TS val 5001 ecr 1010,nop,nop,sack 4345:11585 1449:2897"}},
	    /* Segment 0 arrived: a partial ACK up to the second hole, already resent. */
	    {32,
	     '<',
	     {".", 1, SEG(2), 0, 0, "nop,nop,TS val 5002 ecr 1022,nop,nop,sack 4345:11585"}},
	    {33, '<', {".", 1, SEG(8), 0, 0, "nop,nop,TS val 5003 ecr 1023"}});
	cr_assert(tcpscript_quiet_until(sc, 1000), "%s", sc->err);
	cr_assert_eq(tp->total_retrans, 2);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open);
	cr_assert_eq(tp->sacked_out + tp->lost_out + tp->retrans_out + tp->packets_out, 0);
	cr_assert_eq(tp->cong.snd_cwnd, 7, "ssthresh: CUBIC's 717/1024 of the window of 10");
}

/*
 * A timeout keeps the SACKed segments: only the holes go again. When the
 * peer reneges (the head it SACKed is still not acknowledged at the next
 * timeout), everything is resent.
 */
Test(tcp_script, rto_keeps_sacked_segments_unless_the_peer_reneges)
{
	struct socket *c;
	struct tcp_sock *tp;

	/* The RTO alone: RACK's timer and the tail loss probe would repair earlier. */
	stack_sysctl()->tcp_recovery = 0;
	stack_sysctl()->tcp_early_retrans = 0;
	c = established();
	tp = tcp_sk(c->sk);

	cr_assert_eq(send_bytes(c, 3 * 1448), 3 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {10, '>', {"P.", SEG(2), 1, 1448, 0, "*"}},
	    {20, '<', {".", 1, 1, 0, 0, "nop,nop,TS val 5001 ecr 1010,nop,nop,sack 1449:2897"}});
	cr_assert_eq(tp->sacked_out, 1);
	/* RTO 212 ms after the send: segment 0, then 2; not 1. */
	RUN({222, '>', {".", SEG(0), 1, 1448, 0, "*"}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Loss);
	RUN({230,
	     '<',
	     {".", 1, SEG(1), 0, 0, "nop,nop,TS val 5002 ecr 1222,nop,nop,sack 1449:2897"}},
	    {230, '>', {"P.", SEG(2), 1, 1448, 0, "*"}});
	cr_assert_eq(tp->sacked_out, 1);
	/* The peer dropped what it SACKed: the next timeout resends from the head. */
	RUN({230 + tp->rto / NSEC_PER_MSEC, '>', {".", SEG(1), 1, 1448, 0, "*"}});
	cr_assert_eq(tp->sacked_out, 0);
}

/*
 * A timeout marks lost only what had time to be acknowledged
 * (tcp_timeout_mark_lost): segment 2, sent 5 ms before the RTO with a RACK
 * RTT of 10 ms, stays in flight, and the window is what is in flight plus
 * one. When the head's resend is acknowledged, segment 2 is not sent again.
 */
Test(tcp_script, rto_spares_what_was_sent_within_the_last_rtt)
{
	struct socket *c;
	struct tcp_sock *tp;

	stack_sysctl()->tcp_early_retrans = 0; /* the RTO, not a loss probe */
	stack_sysctl()->tcp_frto = 0;
	c = established();
	tp = tcp_sk(c->sk);
	cr_assert_eq(send_bytes(c, 2 * 1448), 2 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {"P.", SEG(1), 1, 1448, 0, "*"}},
	    {20, '<', {".", 1, SEG(1), 0, 0, "nop,nop,TS val 5001 ecr 1010"}});
	cr_assert(tcpscript_quiet_until(sc, 225), "%s", sc->err);
	cr_assert_eq(send_bytes(c, 1448), 1448);
	RUN({225, '>', {"P.", SEG(2), 1, 1448, 0, "*"}},
	    {20 + tp->rto / NSEC_PER_MSEC, '>', {"P.", SEG(1), 1, 1448, 0, "*"}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Loss);
	cr_assert_eq(tp->lost_out, 1, "the head only");
	cr_assert_eq(tp->retrans_out, 1);
	cr_assert_eq(tp->packets_out, 2);
	cr_assert_eq(tp->cong.snd_cwnd, 2, "segment 2 in flight, and the head's resend");
	RUN({235, '<', {".", 1, SEG(2), 0, 0, "nop,nop,TS val 5002 ecr 1230"}});
	cr_assert(tcpscript_quiet_until(sc, 239), "%s", sc->err);
	RUN({240, '<', {".", 1, SEG(3), 0, 0, "nop,nop,TS val 5003 ecr 1225"}});
	cr_assert(tcpscript_quiet_until(sc, 1000), "%s", sc->err);
	cr_assert_eq(tp->packets_out, 0);
	cr_assert_eq(tp->total_retrans, 1);
}

/*
 * One ACK covers segments sent at 10 ms and at 18 ms: the estimator takes
 * the oldest's 13 ms, the minimum RTT (and the congestion control) the
 * newest's 5 ms (tcp_clean_rtx_queue's ca_rtt_us), below the handshake's 10.
 */
Test(tcp_script, min_rtt_from_the_newest_segment_acked)
{
	struct socket *c = established();
	struct tcp_sock *tp = tcp_sk(c->sk);

	cr_assert_eq(tcp_min_rtt(tp), 10 * NSEC_PER_MSEC, "the handshake's");
	cr_assert_eq(send_bytes(c, 1448), 1448);
	RUN({10, '>', {"P.", SEG(0), 1, 1448, 0, "*"}});
	cr_assert(tcpscript_quiet_until(sc, 18), "%s", sc->err);
	cr_assert_eq(send_bytes(c, 1448), 1448);
	RUN({18, '>', {"P.", SEG(1), 1, 1448, 0, "*"}},
	    {23, '<', {".", 1, SEG(2), 0, 0, "nop,nop,TS val 5001 ecr 1018"}});
	cr_assert_eq(tcp_min_rtt(tp), 5 * NSEC_PER_MSEC);
	cr_assert_eq(tp->srtt, (7 * 10 + 13) * NSEC_PER_MSEC / 8, "the oldest's 13 ms");
}

/*
 * The RTO's variance as the kernel keeps it (tcp_rtt_estimator): the
 * handshake's 10 ms, then 200 ms, then 1 ms. The fall takes the variance
 * (mdev, four times TCP_INFO's rttvar) below the 200 ms floor at once, but
 * the RTO's term only by a quarter of its excess over the round's largest
 * mdev (the floor): 203.75 ms, where RFC 6298's 4 * RTTVAR would give 200.
 */
Test(tcp_script, rto_variance_comes_down_once_a_round)
{
	struct socket *c;
	struct tcp_sock *tp;
	struct tcp_info ti;
	int len = sizeof(ti);

	stack_sysctl()->tcp_early_retrans = 0; /* no loss probe while the ACK is slow */
	c = established();
	tp = tcp_sk(c->sk);
	cr_assert_eq(tp->rto, 212 * NSEC_PER_MSEC, "10 ms + the 200 ms floor, in 4 ms jiffies");
	cr_assert_eq(send_bytes(c, 1448), 1448);
	RUN({10, '>', {"P.", SEG(0), 1, 1448, 0, "*"}},
	    {210, '<', {".", 1, SEG(1), 0, 0, "nop,nop,TS val 5001 ecr 1010"}});
	cr_assert_eq(tp->mdev, 205 * NSEC_PER_MSEC, "20 + 200 - 10 - 20 / 4");
	cr_assert_eq(tp->rto, 240 * NSEC_PER_MSEC, "33.75 + 205 ms, rounded up to 60 jiffies");
	cr_assert_eq(send_bytes(c, 1448), 1448);
	RUN({210, '>', {"P.", SEG(1), 1, 1448, 0, "*"}},
	    {211, '<', {".", 1, SEG(2), 0, 0, "nop,nop,TS val 5002 ecr 1210"}});
	cr_assert_eq(tp->mdev, 186500 * NSEC_PER_USEC, "205 - (205 / 4 - 32.75)");
	cr_assert_eq(tp->rttvar, 203750 * NSEC_PER_USEC, "205 - (205 - 200) / 4");
	cr_assert_eq(tp->rto, tcp_rto_jiffies(tp->srtt + tp->rttvar));
	cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_INFO, (char *)&ti, &len), 0);
	cr_assert_eq(ti.tcpi_rttvar, 186500 / 4);
}

/* ---- RFC 5961 challenge ACKs ---- */

/*
 * An in-window RST that is not exact and an in-window SYN get a challenge
 * ACK, not obeyed: at most one per socket per 500 ms, and at most
 * tcp_challenge_ack_limit per second in the namespace.
 */
Test(tcp_script, challenge_acks_are_rate_limited)
{
	struct socket *c = established();

	stack_sysctl()->tcp_challenge_ack_limit = 1;
	RUN({20, '<', {"R.", 1000, 1, 0, 0, "nop,nop,TS val 5001 ecr 1010"}},
	    {20, '>', {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 5000"}},
	    {300, '<', {"R.", 1000, 1, 0, 0, "nop,nop,TS val 5001 ecr 1010"}});
	cr_assert(tcpscript_quiet_until(sc, 590), "%s", sc->err);
	cr_assert_eq(ext()->TCPACKSkippedChallenge, 1);
	/* Past the socket's limit but not the namespace's: the second is the limit's. */
	RUN({600, '<', {"S", 500, 0, 0, 0, "mss 1460,sackOK,TS val 5002 ecr 0,nop,wscale 7"}});
	cr_assert(tcpscript_quiet_until(sc, 1090), "%s", sc->err);
	cr_assert_eq(ext()->TCPSYNChallenge, 1);
	/* A new second: the namespace's budget is back. */
	RUN({1100, '<', {"S", 500, 0, 0, 0, "mss 1460,sackOK,TS val 5003 ecr 0,nop,wscale 7"}},
	    {1100, '>', {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 5000"}});
	cr_assert_eq(ext()->TCPChallengeACK, 2);
	cr_assert_eq(c->sk->sk_state, TCP_ESTABLISHED, "neither the RSTs nor the SYNs were obeyed");
}

/* ---- SYN cookies (tcp_syncookies) ---- */

static struct socket *accept_one(struct socket *l)
{
	struct socket *n = calloc(1, sizeof(*n));

	if (l->ops->accept(l, n, O_NONBLOCK, true)) {
		free(n);
		return NULL;
	}
	return track(n);
}

/*
 * tcp_syncookies = 2: every SYN gets a cookie and no state. The peer's
 * window scale (5) and SACK-permitted ride in the low 6 bits of our TSval
 * (5 | 16 = 21 below the clock: 1000 ms -> 981); the ACK echoing it brings
 * them back.
 */
Test(tcp_script, syn_cookie_carries_options_in_the_timestamp)
{
	struct socket *l, *n;
	struct tcp_sock *tp;

	stack_sysctl()->tcp_syncookies = 2;
	l = stack_listen();
	RUN({0, '<', {"S", 0, 0, 0, 0, "mss 1400,sackOK,TS val 700 ecr 0,nop,wscale 5"}},
	    {0, '>', {"S.", 0, 1, 0, 65160, "mss 1460,sackOK,TS val 981 ecr 700,nop,wscale 7"}});
	cr_assert_eq(tcp_sk(l->sk)->syn_qlen, 0, "no state for a cookie");
	cr_assert_eq(ext()->SyncookiesSent, 1);
	RUN({10, '<', {".", 1, 1, 0, 0, "nop,nop,TS val 710 ecr 981"}});
	n = accept_one(l);
	cr_assert_not_null(n);
	tp = tcp_sk(n->sk);
	cr_assert_eq(n->sk->sk_state, TCP_ESTABLISHED);
	cr_assert_eq(ext()->SyncookiesRecv, 1);
	cr_assert(tp->rx_opt.wscale_ok && tp->rx_opt.sack_ok && tp->rx_opt.tstamp_ok);
	cr_assert_eq(tp->rx_opt.snd_wscale, 5);
	cr_assert_eq(tp->rx_opt.rcv_wscale, 7);
	cr_assert_eq(tp->mss_cache, 1300 - 12, "the cookie keeps 1300 for the peer's 1400");
	/* The connection works: data is acknowledged with the echo of its timestamp. */
	RUN({20, '<', {"P.", 1, 1, 100, 0, "nop,nop,TS val 720 ecr 981"}},
	    {20, '>', {".", 1, 101, 0, 0, "nop,nop,TS val now ecr 720"}});
}

/* Without a timestamp to carry them, a cookie SYN-ACK offers MSS only. */
Test(tcp_script, syn_cookie_without_timestamps_offers_mss_only)
{
	stack_sysctl()->tcp_syncookies = 2;
	stack_listen();
	RUN({0, '<', {"S", 0, 0, 0, 0, "mss 1460,nop,nop,sackOK,nop,wscale 5"}},
	    {0, '>', {"S.", 0, 1, 0, 0, "mss 1460"}});
}

/* An ACK whose cookie is not ours gets a RST and is counted. */
Test(tcp_script, bad_syn_cookie_is_reset)
{
	stack_sysctl()->tcp_syncookies = 2;
	stack_listen();
	RUN({0, '<', {"S", 0, 0, 0, 0, "mss 1460"}}, {0, '>', {"S.", 0, 1, 0, 0, "mss 1460"}},
	    {10, '<', {".", 1, 77, 0, 0, NULL}}, {10, '>', {"R", 77, 0, 0, 0, NULL}});
	cr_assert_eq(ext()->SyncookiesFailed, 1);
}

/*
 * A SYN flood fills the SYN queue (backlog 2: 3 embryonic children); with
 * tcp_syncookies = 1 the next SYNs get cookies and a legitimate client
 * still gets through. With 0 its SYN is dropped.
 */
static void flood_then_connect(int syncookies)
{
	struct socket *l;

	stack_sysctl()->tcp_syncookies = syncookies;
	l = stack_listen();
	l->ops->listen(l, 2);
	for (uint16_t i = 0; i < 6; i++) {
		struct tcpscript_step syn[] = {
			{i, '<', {"S", 0, 0, 0, 0, "mss 1460"}},
			{i, '>', {"S.", 0, 1, 0, 0, "mss 1460"}},
			{0},
		};

		sc->peer_port = (uint16_t)(41000 + i);
		syn[1].dir = i < 3 || syncookies ? '>' : 0; /* without cookies: no answer */
		cr_assert(tcpscript_run(sc, syn), "SYN %u: %s", i, sc->err);
	}
	sc->peer_port = TCPSCRIPT_PEER_PORT;
	cr_assert_eq(tcp_sk(l->sk)->syn_qlen, 3);
	if (!syncookies) {
		RUN({10, '<', {"S", 0, 0, 0, 0, "mss 1460"}});
		cr_assert(tcpscript_quiet_until(sc, 900), "%s", sc->err);
		cr_assert_eq(ext()->TCPReqQFullDrop, 4);
		cr_assert_null(accept_one(l));
		return;
	}
	RUN({10, '<', {"S", 0, 0, 0, 0, "mss 1460"}}, {10, '>', {"S.", 0, 1, 0, 0, "mss 1460"}},
	    {20, '<', {".", 1, 1, 0, 0, NULL}});
	cr_assert_eq(ext()->SyncookiesSent, 4);
	cr_assert_eq(ext()->TCPReqQFullDoCookies, 4);
	cr_assert_not_null(accept_one(l), "the legitimate client got through the flood");
	cr_assert(tcpscript_quiet_until(sc, 900), "%s", sc->err);
}

Test(tcp_script, syn_flood_with_cookies_lets_a_client_through)
{
	flood_then_connect(1);
}

Test(tcp_script, syn_flood_without_cookies_drops_the_client)
{
	flood_then_connect(0);
}

/* ---- a listener's child in SYN_RECV (tcp_check_req) ---- */

static struct tcp_sock *syn_recv_child(struct socket *l)
{
	struct tcp_sock *ptp = tcp_sk(l->sk);

	cr_assert_eq(ptp->syn_qlen, 1);
	return list_entry(ptp->syn_queue.next, struct tcp_sock, accept_node);
}

/*
 * The peer's SYN again, same sequence number: the SYN-ACK again, and its
 * timer starts over (1 s from the resend); a third SYN within 500 ms is
 * not answered. No RFC 5961 challenge: the connection is not synchronized.
 */
Test(tcp_script, syn_retransmit_to_a_syn_recv_child_gets_the_synack_again)
{
	struct socket *l = stack_listen();

	RUN({0, '<', {"S", 0, 0, 0, 0, "mss 1460"}}, {0, '>', {"S.", 0, 1, 0, 0, "mss 1460"}},
	    {100, '<', {"S", 0, 0, 0, 0, "mss 1460"}}, {100, '>', {"S.", 0, 1, 0, 0, "mss 1460"}},
	    {300, '<', {"S", 0, 0, 0, 0, "mss 1460"}});
	cr_assert(tcpscript_quiet_until(sc, 1099), "%s", sc->err);
	RUN({1100, '>', {"S.", 0, 1, 0, 0, "mss 1460"}});
	cr_assert_eq(ext()->TCPACKSkippedSynRecv, 1);
	cr_assert_eq(ext()->TCPSYNChallenge, 0);
	cr_assert_eq(syn_recv_child(l)->inet.sk.sk_state, TCP_SYN_RECV);
}

/*
 * tcp_check_req after a timeout: the repeated SYN's SYN-ACK re-arms the
 * timer at the backed-off timeout (reqsk_timeout: 1 s << num_timeout),
 * not at 1 s, and it is no timeout: the retry limit counts num_timeout,
 * which only the timer raises. With tcp_synack_retries 2 the child sends
 * its SYN-ACK at 0, 1 s (timer), 1.5 s (the SYN), 3.5 s (timer), and ends
 * at 7.5 s without another; total_retrans (num_retrans) counts both kinds.
 */
Test(tcp_script, repeated_syn_synack_is_no_timeout_of_a_syn_recv_child)
{
	struct socket *l;

	stack_sysctl()->tcp_synack_retries = 2;
	l = stack_listen();
	RUN({0, '<', {"S", 0, 0, 0, 0, "mss 1460"}}, {0, '>', {"S.", 0, 1, 0, 0, "mss 1460"}},
	    {1000, '>', {"S.", 0, 1, 0, 0, "mss 1460"}}, {1500, '<', {"S", 0, 0, 0, 0, "mss 1460"}},
	    {1500, '>', {"S.", 0, 1, 0, 0, "mss 1460"}});
	cr_assert_eq(syn_recv_child(l)->total_retrans, 2);
	cr_assert_eq(syn_recv_child(l)->retransmits, 1, "the SYN's SYN-ACK counted as a timeout");
	cr_assert_eq(ext()->TCPSynRetrans, 2);
	cr_assert(tcpscript_quiet_until(sc, 3499), "%s", sc->err);
	RUN({3500, '>', {"S.", 0, 1, 0, 0, "mss 1460"}});
	cr_assert(tcpscript_quiet_until(sc, 7499), "%s", sc->err);
	cr_assert_eq(tcp_sk(l->sk)->syn_qlen, 1);
	cr_assert(tcpscript_quiet_until(sc, 20000), "%s", sc->err);
	cr_assert_eq(tcp_sk(l->sk)->syn_qlen, 0, "the child outlived its retry limit");
}

/*
 * A SYN with another sequence number inside the window ends the embryo
 * (embryonic_reset): a RST answers it, the child leaves the SYN queue,
 * and the handshake's ACK then meets the listener, which resets it too.
 */
Test(tcp_script, new_syn_in_the_window_resets_a_syn_recv_child)
{
	struct socket *l = stack_listen();
	uint32_t zero;

	RUN({0, '<', {"S", 0, 0, 0, 0, "mss 1460"}}, {0, '>', {"S.", 0, 1, 0, 0, "mss 1460"}});
	zero = 0u - sc->stack_isn; /* a RST to a segment without ACK has sequence 0 */
	RUN({10, '<', {"S", 100, 0, 0, 0, "mss 1460"}}, {10, '>', {"R.", zero, 101, 0, 0, NULL}});
	cr_assert_eq(tcp_sk(l->sk)->syn_qlen, 0, "the child is still queued");
	cr_assert_eq(ext()->EmbryonicRsts, 1);
	cr_assert_eq(sc->ts->net[0].mib.tcp.AttemptFails, 1);
	cr_assert_eq(ext()->TCPSYNChallenge, 0);
	RUN({20, '<', {".", 1, 1, 0, 0, NULL}}, {20, '>', {"R", 1, 0, 0, 0, NULL}});
}

/*
 * A segment beyond the window gets an ACK (tcp_v4_reqsk_send_ack: our
 * ISN + 1, the peer's ISN + 1) and is dropped; a second one within 500 ms
 * gets nothing. The child waits on for its handshake's ACK.
 */
Test(tcp_script, out_of_window_ack_to_a_syn_recv_child_is_acked_once_per_limit)
{
	struct socket *l = stack_listen();

	RUN({0, '<', {"S", 0, 0, 0, 0, "mss 1460"}}, {0, '>', {"S.", 0, 1, 0, 0, "mss 1460"}},
	    {10, '<', {".", 200001, 1, 0, 0, NULL}}, {10, '>', {".", 1, 1, 0, 0, NULL}},
	    {20, '<', {".", 200001, 1, 0, 0, NULL}});
	cr_assert(tcpscript_quiet_until(sc, 30), "%s", sc->err);
	cr_assert_eq(ext()->TCPACKSkippedSynRecv, 1);
	cr_assert_eq(syn_recv_child(l)->inet.sk.sk_state, TCP_SYN_RECV);
	RUN({30, '<', {".", 1, 1, 0, 0, NULL}});
	cr_assert_not_null(accept_one(l));
}

/*
 * A SYN-ACK with a byte at the peer's ISN that acknowledges ours passes
 * tcp_check_req (its SYN lies left of the window, its data inside): the
 * child is made and queued for accept() before its own rules challenge
 * the SYN and drop the segment, so it waits in SYN_RECV on the accept
 * queue, past its SYN-ACK, which no timer sends again. accept() returns
 * it so; the peer's ACK then establishes it.
 */
Test(tcp_script, synack_with_data_at_the_peer_isn_queues_the_child_in_syn_recv)
{
	struct socket *l = stack_listen(), *n;

	RUN({0, '<', {"S", 0, 0, 0, 0, "mss 1460"}}, {0, '>', {"S.", 0, 1, 0, 0, "mss 1460"}},
	    {10, '<', {"S.", 0, 1, 1, 0, NULL}}, {10, '>', {".", 1, 1, 0, 0, NULL}});
	cr_assert_eq(ext()->TCPSYNChallenge, 1);
	cr_assert_eq(sc->ts->net[0].mib.tcp.PassiveOpens, 1);
	cr_assert_eq(tcp_sk(l->sk)->syn_qlen, 0, "the child is still a request");
	cr_assert_eq(l->sk->sk_ack_backlog, 1);
	cr_assert(tcpscript_quiet_until(sc, 30000), "%s", sc->err);
	n = accept_one(l);
	cr_assert_not_null(n, "accept() did not return the child");
	cr_assert_eq(n->sk->sk_state, TCP_SYN_RECV);
	RUN({30000, '<', {".", 1, 1, 0, 0, NULL}});
	cr_assert_eq(n->sk->sk_state, TCP_ESTABLISHED);
	cr_assert_eq(sc->ts->net[0].mib.tcp.PassiveOpens, 1);
}

/*
 * A request's ACK offers its SYN-ACK's window (tcp_synack_window), scaled,
 * not the child's whole buffer: with wscale 7 and the SYN-ACK's 64240
 * (whole segments of 1460), 501, where the first ACK of the established
 * child offers more.
 */
Test(tcp_script, request_ack_offers_the_synack_window)
{
	struct socket *l = stack_listen();

	tcpscript_linux_sysctls(sc, "cubic");
	RUN({0, '<', {"S", 0, 0, 0, 0, "mss 1460,nop,wscale 7"}},
	    {0, '>', {"S.", 0, 1, 0, 64240, "*"}}, {10, '<', {".", 200001, 1, 0, 0, NULL}},
	    {10, '>', {".", 1, 1, 0, 501, NULL}});
	cr_assert_eq(syn_recv_child(l)->rcv_wnd, 64240, "the request's ACK moved its window");
}

/*
 * A SYN whose timestamp is older than the first SYN's fails PAWS: an ACK
 * answers it (PAWSEstab), not the SYN-ACK, and the embryo lives on.
 */
Test(tcp_script, syn_failing_paws_at_a_syn_recv_child_gets_an_ack)
{
	struct socket *l = stack_listen();

	RUN({0, '<', {"S", 0, 0, 0, 0, "mss 1460,sackOK,TS val 700 ecr 0,nop,wscale 7"}},
	    {0, '>', {"S.", 0, 1, 0, 0, "*"}},
	    {10, '<', {"S", 0, 0, 0, 0, "mss 1460,sackOK,TS val 600 ecr 0,nop,wscale 7"}},
	    {10, '>', {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 700"}});
	cr_assert_eq(ext()->PAWSEstab, 1);
	cr_assert_eq(ext()->TCPSYNChallenge, 0);
	cr_assert_eq(syn_recv_child(l)->inet.sk.sk_state, TCP_SYN_RECV);
}

/*
 * A simultaneous open's SYN_RECV is a full socket's (tcp_validate_incoming):
 * a SYN with another sequence number gets a challenge ACK, nothing ends.
 */
Test(tcp_script, simultaneous_open_answers_a_new_syn_with_a_challenge_ack)
{
	struct socket *c = stack_connect();

	RUN({0, '>', {"S", 0, 0, 0, 0, "*"}}, {5, '<', {"S", 0, 0, 0, 0, "mss 1460"}},
	    {5, '>', {"S.", 0, 1, 0, 0, "*"}}, {10, '<', {"S", 100, 0, 0, 0, "mss 1460"}},
	    {10, '>', {".", 1, 1, 0, 0, "*"}});
	cr_assert_eq(c->sk->sk_state, TCP_SYN_RECV);
	cr_assert_eq(ext()->TCPSYNChallenge, 1);
	cr_assert_eq(ext()->EmbryonicRsts, 0);
}

/*
 * The handshake's ACK must echo the TSval of one of our SYN-ACKs when it
 * echoes one: another gets an ACK and is dropped (TSEcrRejected), the
 * embryo waits on; an ACK echoing nothing (0) is not judged and completes.
 */
Test(tcp_script, ack_echoing_a_tsval_no_synack_sent_is_rejected_by_a_syn_recv_child)
{
	struct socket *l = stack_listen();
	char bad[64];

	RUN({0, '<', {"S", 0, 0, 0, 0, "mss 1460,sackOK,TS val 700 ecr 0,nop,wscale 7"}},
	    {0, '>', {"S.", 0, 1, 0, 0, "*"}});
	snprintf(bad, sizeof(bad), "nop,nop,TS val 701 ecr %u",
		 syn_recv_child(l)->snt_tsval_last + 1000);
	RUN({10, '<', {".", 1, 1, 0, 0, bad}},
	    {10, '>', {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 700"}});
	cr_assert_eq(ext()->TSEcrRejected, 1);
	cr_assert_eq(syn_recv_child(l)->inet.sk.sk_state, TCP_SYN_RECV);
	RUN({20, '<', {".", 1, 1, 0, 0, "nop,nop,TS val 702 ecr 0"}});
	cr_assert_not_null(accept_one(l));
}

/*
 * A simultaneous open's SYN again (the peer's ISN) is challenged like any
 * SYN to a full socket, not answered with our SYN-ACK; the peer's SYN-ACK
 * is the ACK of ours and completes the connect() (tcp_validate_incoming).
 * test_tcp_synrecv.sh shows the kernel's client doing the same.
 */
Test(tcp_script, simultaneous_open_challenges_the_syn_again_and_takes_the_synack)
{
	struct socket *c = stack_connect();

	RUN({0, '>', {"S", 0, 0, 0, 0, "*"}}, {5, '<', {"S", 0, 0, 0, 0, "mss 1460"}},
	    {5, '>', {"S.", 0, 1, 0, 0, "*"}}, {10, '<', {"S", 0, 0, 0, 0, "mss 1460"}},
	    {10, '>', {".", 1, 1, 0, 0, "*"}});
	cr_assert_eq(ext()->TCPSYNChallenge, 1);
	cr_assert_eq(c->sk->sk_state, TCP_SYN_RECV);
	/* The SYN-ACK is tcp_send_synack's new transmission, not a retransmission. */
	cr_assert_eq(tcp_sk(c->sk)->total_retrans, 0);
	cr_assert_eq(ext()->TCPSynRetrans, 0);
	/* Its SYN lies left of the window now: a duplicate, ACKed at once (tcp_data_queue). */
	RUN({20, '<', {"S.", 0, 1, 0, 0, "mss 1460"}}, {20, '>', {".", 1, 1, 0, 0, "*"}});
	cr_assert_eq(c->sk->sk_state, TCP_ESTABLISHED);
	cr_assert_eq(ext()->TCPSYNChallenge, 1);
}

/* ---- the accept queue (inet_csk_accept, inet_csk_listen_stop) ---- */

/* A client on port completes its handshake with the listener at `at` ms. */
static void handshake(uint16_t port, uint64_t at)
{
	const struct tcpscript_step hs[] = {
		{at, '<', {"S", 0, 0, 0, 0, "mss 1460"}},
		{at, '>', {"S.", 0, 1, 0, 0, "mss 1460"}},
		{at, '<', {".", 1, 1, 0, 0, NULL}},
		{0},
	};

	sc->peer_port = port;
	cr_assert(tcpscript_run(sc, hs), "port %u: %s", port, sc->err);
}

static int recv_some(struct socket *s)
{
	char buf[64];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};

	return s->ops->recvmsg(s, &m, sizeof(buf), MSG_DONTWAIT);
}

/*
 * The peer resets a connection still waiting in the accept queue: as in
 * Linux, the child stays queued (closed), accept() returns it and its first
 * read gives ECONNRESET, the next one EOF. Nothing answers the RST.
 */
Test(tcp_script, reset_child_in_the_accept_queue_is_still_accepted)
{
	struct socket *l = stack_listen(), *n;

	handshake(TCPSCRIPT_PEER_PORT, 0);
	cr_assert_eq(l->sk->sk_ack_backlog, 1);
	RUN({10, '<', {"R", 1, 0, 0, 0, NULL}});
	cr_assert_eq(l->sk->sk_ack_backlog, 1, "the reset child left the accept queue");
	n = accept_one(l);
	cr_assert_not_null(n, "accept() did not return the reset connection");
	cr_assert_eq(n->sk->sk_state, TCP_CLOSE);
	cr_assert_eq(l->sk->sk_ack_backlog, 0);
	cr_assert_null(accept_one(l), "one connection, accepted once");
	cr_assert_eq(recv_some(n), -ECONNRESET);
	cr_assert_eq(recv_some(n), 0);
	cr_assert(tcpscript_quiet_until(sc, 500), "%s", sc->err);
}

/*
 * The passive opener's first RTT sample is its SYN-ACK's (the kernel's
 * tcp_synack_rtt_meas): the ACK 7 ms later gives the minimum RTT and the
 * smoothed RTT.
 */
Test(tcp_script, passive_opener_times_its_synack)
{
	struct socket *l = stack_listen(), *n;

	RUN({0, '<', {"S", 0, 0, 0, 0, "mss 1460"}}, {0, '>', {"S.", 0, 1, 0, 0, "mss 1460"}},
	    {7, '<', {".", 1, 1, 0, 0, NULL}});
	n = accept_one(l);
	cr_assert_not_null(n);
	cr_assert_eq(tcp_min_rtt(tcp_sk(n->sk)), 7 * NSEC_PER_MSEC);
	cr_assert_eq(tcp_sk(n->sk)->srtt, 7 * NSEC_PER_MSEC);
}

/*
 * The listener closes with two children queued, one of them reset by its
 * peer: only the live one gets a RST (inet_csk_listen_stop); both are
 * freed (ASan: no leak, no use after free).
 */
Test(tcp_script, listener_close_resets_only_the_live_queued_child)
{
	struct socket *l = stack_listen();

	handshake(TCPSCRIPT_PEER_PORT, 0);
	handshake(TCPSCRIPT_PEER_PORT + 1, 5);
	sc->peer_port = TCPSCRIPT_PEER_PORT;
	RUN({10, '<', {"R", 1, 0, 0, 0, NULL}});
	cr_assert_eq(l->sk->sk_ack_backlog, 2);
	cr_assert_eq(socks[nsocks - 1], l);
	nsocks--; /* released here, not by the teardown */
	sock_release(l);
	sc->peer_port = TCPSCRIPT_PEER_PORT + 1;
	RUN({10, '>', {"R.", 1, 1, 0, 0, "*"}});
	cr_assert(tcpscript_quiet_until(sc, 500), "%s", sc->err);
}
/*
 * Reordering below the duplicate threshold: two SACKed segments above a
 * late one, then the late one arrives. Nothing is resent, the state goes
 * back to Open, the window is not reduced.
 */
Test(tcp_script, reordering_below_dupthresh_resends_nothing)
{
	struct socket *c = established();
	struct tcp_sock *tp = tcp_sk(c->sk);

	cr_assert_eq(send_bytes(c, 4 * 1448), 4 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(2), 1, 1448, 0, "*"}}, {10, '>', {"P.", SEG(3), 1, 1448, 0, "*"}},
	    {20,
	     '<',
	     {".", 1, SEG(1), 0, 0, "nop,nop,TS val 5001 ecr 1010,nop,nop,sack 2897:4345"}},
	    {21,
	     '<',
	     {".", 1, SEG(1), 0, 0, "nop,nop,TS val 5001 ecr 1010,nop,nop,sack 2897:5793"}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Disorder);
	cr_assert_eq(tp->sacked_out, 2);
	RUN({22, '<', {".", 1, SEG(4), 0, 0, "nop,nop,TS val 5002 ecr 1010"}});
	cr_assert(tcpscript_quiet_until(sc, 1000), "%s", sc->err);
	cr_assert_eq(tp->total_retrans, 0);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open);
	cr_assert_eq(tp->cong.snd_cwnd, 10, "4 in flight never limited a window of 10: no growth");
}

/*
 * SACK compression (tcp_comp_sack_*): past quick-ACK mode, the first three
 * ACKs for one rcv_nxt go at once; later ones wait 5% of the RTT (at most
 * tcp_comp_sack_delay_ns, 1 ms) and one ACK stands for all that came
 * meanwhile, unless a SACK block past the first three changes.
 */
Test(tcp_script, sack_compression_after_three_immediate_acks)
{
	struct socket *c = stack_connect();
	struct tcp_sock *tp = tcp_sk(c->sk);

	/* An RTT of 100 ms: the delay is min(5 ms, 1 ms). */
	RUN({0, '>', {"S", 0, 0, 0, 0, "*"}},
	    {100, '<', {"S.", 0, 1, 0, 0, "mss 1460,sackOK,TS val 5000 ecr 1000,nop,wscale 7"}},
	    {100, '>', {".", 1, 1, 0, 0, "*"}});
	tp->ack.quick = 0;
	RUN({110, '<', {"P.", 201, 1, 100, 0, "nop,nop,TS val 5001 ecr 1100"}},
	    {110, '>', {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 5000,nop,nop,sack 201:301"}},
	    {111, '<', {"P.", 401, 1, 100, 0, "nop,nop,TS val 5001 ecr 1100"}},
	    {111,
	     '>',
	     {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 5000,nop,nop,sack 401:501 201:301"}},
	    {112, '<', {"P.", 601, 1, 100, 0, "nop,nop,TS val 5001 ecr 1100"}},
	    {112,
	     '>',
	     {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 5000,nop,nop,sack 601:701 401:501 201:301"}},
	    /* The fourth waits 1 ms. */
	    {113, '<', {"P.", 801, 1, 100, 0, "nop,nop,TS val 5001 ecr 1100"}},
	    {114,
	     '>',
	     {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 5000,nop,nop,sack 801:901 601:701 401:501"}},
	    /* Two segments extending the first block within the delay: one ACK for both. */
	    {120, '<', {"P.", 901, 1, 100, 0, "nop,nop,TS val 5001 ecr 1100"}},
	    {120, '<', {"P.", 1001, 1, 100, 0, "nop,nop,TS val 5001 ecr 1100"}},
	    {121,
	     '>',
	     {".", 1, 1, 0, 0,
	      "nop,nop,TS val now ecr 5000,nop,nop,sack 801:1101 601:701 401:501"}});
	cr_assert_eq(ext()->TCPAckCompressed, 1);
	/*
	 * A fourth block while an ACK is held: the held ACK goes at once, with
	 * the blocks before it; as in the kernel, that ACK also ends the one
	 * scheduled for the new segment, which waits for the next event.
	 */
	RUN({130, '<', {"P.", 1201, 1, 100, 0, "nop,nop,TS val 5001 ecr 1100"}},
	    {130, '<', {"P.", 1401, 1, 100, 0, "nop,nop,TS val 5001 ecr 1100"}},
	    {130,
	     '>',
	     {".", 1, 1, 0, 0,
	      "nop,nop,TS val now ecr 5000,nop,nop,sack 1201:1301 801:1101 601:701"}});
	cr_assert(tcpscript_quiet_until(sc, 139), "%s", sc->err);
	/* The hole fills: the ACK goes at once (RFC 5681 4.2). */
	RUN({140, '<', {"P.", 1, 1, 200, 0, "nop,nop,TS val 5002 ecr 1100"}},
	    {140,
	     '>',
	     {".", 1, 301, 0, 0,
	      "nop,nop,TS val now ecr 5002,nop,nop,sack 1401:1501 1201:1301 801:1101"}});
}

/*
 * RFC 5961 5.2 and RFC 9293 3.10.7.4: data whose ACK is older than the
 * bytes ever acknowledged (or the largest window) is a blind injection:
 * dropped, with a challenge ACK; an ACK of what was never sent drops the
 * segment silently in ESTABLISHED; an old ACK within that range is a
 * duplicate and its data is taken.
 */
Test(tcp_script, acks_out_of_range_drop_the_data)
{
	struct socket *c = established();

	cr_assert_eq(send_bytes(c, 1000), 1000);
	RUN({10, '>', {"P.", 1, 1, 1000, 0, "*"}},
	    {20, '<', {".", 1, 1001, 0, 0, "nop,nop,TS val 5001 ecr 1010"}},
	    /* ACK 0 - 1000 relative: before snd_una - 1000 bytes acked. */
	    {30, '<', {"P.", 1, (uint32_t)-1001, 100, 0, "nop,nop,TS val 5002 ecr 1010"}},
	    {30, '>', {".", 1001, 1, 0, 0, "nop,nop,TS val now ecr 5001"}},
	    /* An ACK of data never sent. */
	    {40, '<', {"P.", 1, 5001, 100, 0, "nop,nop,TS val 5003 ecr 1010"}});
	cr_assert(tcpscript_quiet_until(sc, 50), "%s", sc->err);
	cr_assert_eq(tcp_inq(c->sk), 0);
	cr_assert_eq(ext()->TCPChallengeACK, 1);
	/*
	 * ACK 1: old but within what was acknowledged: the data is taken. An
	 * old ACK does not move TS.Recent (the kernel updates it only for an
	 * ACK in the window): the echo stays 5001.
	 */
	RUN({50, '<', {"P.", 1, 1, 100, 0, "nop,nop,TS val 5004 ecr 1010"}},
	    {50, '>', {".", 1001, 101, 0, 0, "nop,nop,TS val now ecr 5001"}});
	cr_assert_eq(tcp_inq(c->sk), 100);
}

/* ---- TIME_WAIT with timestamps ---- */

/* close() of a tracked socket: it leaves the list teardown releases. */
static void stack_close(struct socket *s)
{
	for (unsigned int i = 0; i < nsocks; i++)
		if (socks[i] == s)
			socks[i] = socks[--nsocks];
	sock_release(s);
}

/* A server connection the stack closed first: it is in TIME_WAIT at 30 ms. */
static struct socket *server_in_time_wait(void)
{
	struct socket *l = stack_listen(), *n;

	RUN({0, '<', {"S", 0, 0, 0, 0, "mss 1460,sackOK,TS val 700 ecr 0,nop,wscale 7"}},
	    {0, '>', {"S.", 0, 1, 0, 0, "*"}},
	    {10, '<', {".", 1, 1, 0, 0, "nop,nop,TS val 710 ecr 1000"}});
	n = accept_one(l);
	cr_assert_not_null(n);
	stack_close(n);
	RUN({10, '>', {"F.", 1, 1, 0, 0, "nop,nop,TS val now ecr 710"}},
	    {20, '<', {"F.", 1, 2, 0, 0, "nop,nop,TS val 720 ecr 1010"}},
	    {20, '>', {".", 2, 2, 0, 0, "nop,nop,TS val now ecr 720"}});
	return l;
}

/*
 * A SYN for a connection in TIME_WAIT starts a new one when its timestamp
 * is newer, even with a lower sequence number; the new ISN lies past the
 * old connection's sequence space (snd_nxt + 65537). An older timestamp is
 * answered with an ACK, as any unacceptable segment.
 */
Test(tcp_script, time_wait_reuse_by_a_newer_timestamp)
{
	uint32_t old_isn;

	server_in_time_wait();
	old_isn = sc->stack_isn;
	RUN({30, '<', {"S", 0, 0, 0, 0, "mss 1460,sackOK,TS val 600 ecr 0,nop,wscale 7"}},
	    {30, '>', {".", 2, 2, 0, 0, "nop,nop,TS val now ecr 720"}});
	cr_assert_eq(ext()->PAWSTimewait, 1);
	RUN({40, '<', {"S", 0, 0, 0, 0, "mss 1460,sackOK,TS val 800 ecr 0,nop,wscale 7"}},
	    {40, '>', {"S.", 0, 1, 0, 0, "mss 1460,sackOK,TS val now ecr 800,nop,wscale 7"}});
	cr_assert_eq(sc->stack_isn, old_isn + 2 + 65537);
}

/* Only a RST exactly at rcv_nxt ends TIME_WAIT (RFC 5961); others are ignored. */
Test(tcp_script, time_wait_ends_only_on_an_exact_rst)
{
	server_in_time_wait();
	RUN({30, '<', {"R", 100, 0, 0, 0, "nop,nop,TS val 730 ecr 1010"}});
	cr_assert(tcpscript_quiet_until(sc, 40), "%s", sc->err);
	/* Still there: a stray ACK is answered. */
	RUN({40, '<', {".", 1, 2, 0, 0, "nop,nop,TS val 740 ecr 1010"}},
	    {40, '>', {".", 2, 2, 0, 0, "nop,nop,TS val now ecr 720"}},
	    {50, '<', {"R", 2, 0, 0, 0, "nop,nop,TS val 750 ecr 1010"}});
	/* Gone: a segment for it meets the listener, which resets it. */
	RUN({60, '<', {".", 2, 2, 0, 0, "nop,nop,TS val 760 ecr 1010"}},
	    {60, '>', {"R", 2, 0, 0, 0, NULL}});
}

/* A SYN-ACK answering the retransmitted SYN: Karn forbids the send time, the echo gives the RTT. */
/*
 * A SYN-ACK echoing the first SYN after the SYN went twice: the kernel's
 * tcp_clean_rtx_queue clears retrans_stamp as the SYN is acked
 * (FLAG_SYN_ACKED), and tcp_packet_delayed takes no stamp in SYN_SENT for
 * "nothing resent" (its second exception), so the timeout is not undone.
 */
Test(tcp_script, synack_echoing_the_first_syn_undoes_no_timeout)
{
	struct socket *c = stack_connect();
	struct tcp_sock *tp = tcp_sk(c->sk);

	RUN({0, '>', {"S", 0, 0, 0, 0, "*"}}, {1000, '>', {"S", 0, 0, 0, 0, "*"}},
	    {1030, '<', {"S.", 0, 1, 0, 0, "mss 1460,sackOK,TS val 5000 ecr 1000,nop,wscale 7"}},
	    {1030, '>', {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 5000"}});
	cr_assert_eq(ext()->TCPLossUndo + ext()->TCPSpuriousRTOs, 0);
	cr_assert_eq(tp->retrans_stamp, 0);
}

Test(tcp_script, handshake_rtt_from_the_echo_after_a_syn_retransmission)
{
	struct socket *c = stack_connect();

	RUN({0, '>', {"S", 0, 0, 0, 0, "mss 1460,sackOK,TS val now ecr 0,nop,wscale 7"}},
	    {1000, '>', {"S", 0, 0, 0, 0, "mss 1460,sackOK,TS val now ecr 0,nop,wscale 7"}},
	    {1030, '<', {"S.", 0, 1, 0, 0, "mss 1460,sackOK,TS val 5000 ecr 2000,nop,wscale 7"}},
	    {1030, '>', {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 5000"}});
	cr_assert_eq(tcp_sk(c->sk)->srtt, 30 * NSEC_PER_MSEC);
}

/*
 * Karn as the kernel applies it (FLAG_RETRANS_DATA_ACKED): an ACK that
 * covers a retransmitted segment gives no sample from send times at all,
 * even for the segments sent once; without timestamps the backed-off RTO
 * stays until a clean sample.
 */
Test(tcp_script, no_rtt_sample_from_an_ack_covering_a_retransmission)
{
	struct socket *c;
	struct tcp_sock *tp;

	stack_sysctl()->tcp_timestamps = 0;
	stack_sysctl()->tcp_early_retrans = 0; /* the RTO alone, no tail loss probe */
	c = stack_connect();
	tp = tcp_sk(c->sk);
	RUN({0, '>', {"S", 0, 0, 0, 0, "*"}},
	    {10, '<', {"S.", 0, 1, 0, 0, "mss 1460,nop,nop,sackOK,nop,wscale 7"}},
	    {10, '>', {".", 1, 1, 0, 0, NULL}});
	/* No timestamps: full 1460-byte segments. */
	cr_assert_eq(send_bytes(c, 2 * 1460), 2 * 1460);
	RUN({10, '>', {".", 1, 1, 1460, 0, NULL}}, {10, '>', {"P.", 1461, 1, 1460, 0, NULL}},
	    {222, '>', {".", 1, 1, 1460, 0, NULL}}, {230, '<', {".", 1, 2921, 0, 0, NULL}});
	cr_assert_eq(tp->srtt, 10 * NSEC_PER_MSEC, "no sample: segment 0 was sent twice");
	cr_assert_eq(tp->rto, 424 * NSEC_PER_MSEC);
}

/* ---- RACK-TLP (RFC 8985), PRR (RFC 6937) ---- */

#define PEER_SACK(ecr, blocks) "nop,nop,TS val 5001 ecr " #ecr ",nop,nop,sack " blocks

/*
 * RACK: once three segments sent after segment 0 are SACKed, it is lost at
 * once (no reordering seen: no window). Its retransmission is lost too;
 * when new data sent after it is SACKed one RTT later, RACK marks the
 * retransmission lost and sends it a third time, long before the RTO.
 */
Test(tcp_script, rack_resends_a_lost_retransmission_without_the_rto)
{
	struct socket *c = established();
	struct tcp_sock *tp = tcp_sk(c->sk);

	cr_assert_eq(send_bytes(c, 4 * 1448), 4 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(2), 1, 1448, 0, "*"}}, {10, '>', {"P.", SEG(3), 1, 1448, 0, "*"}},
	    {20, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:5793")}},
	    {20, '>', {".", SEG(0), 1, 1448, 0, "*"}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
	/* New data goes after the retransmission (PRR leaves room for it). */
	cr_assert_eq(send_bytes(c, 1448), 1448);
	RUN({20, '>', {"P.", SEG(4), 1, 1448, 0, "*"}},
	    {30, '<', {".", 1, 1, 0, 0, PEER_SACK(1020, "1449:7241")}},
	    {30, '>', {".", SEG(0), 1, 1448, 0, "*"}},
	    {40, '<', {".", 1, SEG(5), 0, 0, "nop,nop,TS val 5002 ecr 1030"}});
	cr_assert(tcpscript_quiet_until(sc, 2000), "%s", sc->err);
	cr_assert_eq(ext()->TCPLostRetransmit, 1);
	cr_assert_eq(ext()->TCPTimeouts, 0);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open);
}

/* The sequence numbers (from the ISN) of RACK's list (tsorted_sent_queue), in order; their count.
 */
static unsigned int rack_list(struct tcp_sock *tp, uint32_t *seqs, unsigned int max)
{
	struct sk_buff *skb;
	unsigned int n = 0;

	list_for_each_entry (skb, &tp->tsorted_sent_queue, tcp_tsorted_anchor)
		if (n < max)
			seqs[n++] = TCP_SKB_CB(skb)->seq - tp->iss;
	return n;
}

/*
 * The SACK scoreboard block by block: a block that grows, the same block
 * again (the last ACK's blocks were tagged then: only the new part is
 * walked). A SACKed segment leaves RACK's list, one found lost too; its
 * retransmission goes to the end, after the segments sent before it.
 */
Test(tcp_script, sack_blocks_grow_and_repeat_and_leave_rack_list_in_transmit_order)
{
	struct socket *c = established();
	struct tcp_sock *tp = tcp_sk(c->sk);
	uint32_t seqs[8];

	cr_assert_eq(send_bytes(c, 6 * 1448), 6 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(2), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(3), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(4), 1, 1448, 0, "*"}}, {10, '>', {"P.", SEG(5), 1, 1448, 0, "*"}},
	    {20, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "2897:4345")}},
	    {20, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "2897:5793")}});
	cr_assert_eq(tp->sacked_out, 2);
	cr_assert_eq(rack_list(tp, seqs, 8), 4);
	cr_assert(seqs[0] == SEG(0) && seqs[1] == SEG(1) && seqs[2] == SEG(4) && seqs[3] == SEG(5),
		  "%u %u %u %u", seqs[0], seqs[1], seqs[2], seqs[3]);
	RUN({20, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "2897:5793")}});
	cr_assert_eq(tp->sacked_out, 2, "the same block again tags nothing");
	cr_assert_eq(tp->lost_out, 0);
	/* Three SACKed: segments 0 and 1, below them, are lost at once and go again. */
	RUN({21, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "2897:7241")}},
	    {21, '>', {".", SEG(0), 1, 1448, 0, "*"}});
	cr_assert_eq(tp->sacked_out, 3);
	cr_assert_eq(tp->lost_out, 2);
	cr_assert_eq(rack_list(tp, seqs, 8), 2);
	cr_assert(seqs[0] == SEG(5) && seqs[1] == SEG(0), "%u %u", seqs[0], seqs[1]);
	RUN({31, '<', {".", 1, SEG(6), 0, 0, "nop,nop,TS val 5002 ecr 1021"}});
	cr_assert(tcpscript_quiet_until(sc, 2000), "%s", sc->err);
	cr_assert_eq(tp->sacked_out, 0);
	cr_assert_eq(rack_list(tp, seqs, 8), 0);
	cr_assert_eq(tp->total_retrans, 1);
}

/*
 * RACK walks the sent segments in the order they left (the kernel's
 * tsorted list) and stops at the first one sent after its reference. Here
 * segments 4 and 5 leave at 19 ms, then, on the ACK of the same instant,
 * the retransmission of 0: three sends with one timestamp, in that order.
 * When 4 is SACKed, 5 left after it (same time, higher sequence): the walk
 * ends there and never judges the retransmission behind it, which is not
 * resent at 29 ms (a walk of the whole queue in sequence order judged it,
 * "sent before" 4 by the sequence tie-break, and resent it).
 */
Test(tcp_script, rack_stops_at_the_first_segment_sent_after_its_reference)
{
	struct socket *c = established();
	struct tcp_sock *tp = tcp_sk(c->sk);

	cr_assert_eq(send_bytes(c, 4 * 1448), 4 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(2), 1, 1448, 0, "*"}}, {10, '>', {"P.", SEG(3), 1, 1448, 0, "*"}});
	cr_assert(tcpscript_quiet_until(sc, 19), "%s", sc->err);
	cr_assert_eq(send_bytes(c, 2 * 1448), 2 * 1448);
	RUN({19, '>', {".", SEG(4), 1, 1448, 0, "*"}}, {19, '>', {"P.", SEG(5), 1, 1448, 0, "*"}},
	    {19, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:5793")}},
	    {19, '>', {".", SEG(0), 1, 1448, 0, "*"}},
	    {29, '<', {".", 1, 1, 0, 0, PEER_SACK(1019, "1449:7241")}});
	cr_assert_eq(tp->total_retrans, 1);
	RUN({32, '<', {".", 1, SEG(6), 0, 0, "nop,nop,TS val 5002 ecr 1019"}});
	cr_assert(tcpscript_quiet_until(sc, 2000), "%s", sc->err);
	cr_assert_eq(tp->total_retrans, 1);
	cr_assert_eq(ext()->TCPTimeouts, 0);
}

/*
 * With one segment SACKed above a hole RACK waits a reordering window (a
 * quarter of the minimum RTT, here 8 ms / 4) past the RTT before calling
 * the hole lost: 8 + 2 ms after the hole was sent, 2 ms after the SACK.
 * Its timer is the kernel's: that in whole jiffies (4 ms at this kernel's
 * HZ 250) plus two (TCP_TIMEOUT_MIN), 12 ms after the SACK; a timer of
 * the bare 2 ms (plus 2 ms) resends at 22, before a hole held back a few
 * ms more than the SACK above it arrives.
 */
Test(tcp_script, rack_reordering_window_then_its_timer)
{
	struct socket *c = established();
	struct tcp_sock *tp = tcp_sk(c->sk);

	cr_assert_eq(send_bytes(c, 2 * 1448), 2 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {"P.", SEG(1), 1, 1448, 0, "*"}},
	    {18, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:2897")}});
	cr_assert_eq(tp->pending_timer, ICSK_TIME_REO_TIMEOUT);
	cr_assert_eq(tp->lost_out, 0, "inside the reordering window");
	cr_assert(tcpscript_quiet_until(sc, 29), "%s", sc->err);
	RUN({30, '>', {".", SEG(0), 1, 1448, 0, "*"}},
	    {38, '<', {".", 1, SEG(2), 0, 0, "nop,nop,TS val 5002 ecr 1030"}});
	cr_assert(tcpscript_quiet_until(sc, 2000), "%s", sc->err);
	cr_assert_eq(ext()->TCPTimeouts, 0);
}

/*
 * A hole filled by the original segment (not a retransmission) inside the
 * window is reordering, not loss: nothing is resent, and RACK remembers
 * that the path reorders (then keeps its window even with DupThresh
 * segments SACKed).
 */
Test(tcp_script, rack_reordering_is_not_loss)
{
	struct socket *c = established();
	struct tcp_sock *tp = tcp_sk(c->sk);

	cr_assert_eq(send_bytes(c, 2 * 1448), 2 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {"P.", SEG(1), 1, 1448, 0, "*"}},
	    {18, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:2897")}},
	    {19, '<', {".", 1, SEG(2), 0, 0, "nop,nop,TS val 5002 ecr 1010"}});
	cr_assert(tcpscript_quiet_until(sc, 2000), "%s", sc->err);
	cr_assert_eq(tp->total_retrans, 0);
	cr_assert(tp->reord_seen);
}

/*
 * A hole held back on the path 8 ms longer than the segment SACKed above
 * it (a reordering bridge's timeout, a late host) arrives before RACK's
 * timer, which waits its 2 ms left in whole jiffies plus two (12 ms), as
 * the kernel's: nothing is resent. The timer of 2 + 2 ms resent the hole
 * at 22 ms, needlessly (through sockshim-impair's --reorder 25
 * --reorder-gap 10, 2,441 resends where the kernel made 155).
 */
Test(tcp_script, hole_held_back_past_the_reordering_window_is_not_resent)
{
	struct socket *c = established();
	struct tcp_sock *tp = tcp_sk(c->sk);

	cr_assert_eq(send_bytes(c, 2 * 1448), 2 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {"P.", SEG(1), 1, 1448, 0, "*"}},
	    {18, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:2897")}},
	    {26, '<', {".", 1, SEG(2), 0, 0, "nop,nop,TS val 5002 ecr 1010"}});
	cr_assert(tcpscript_quiet_until(sc, 2000), "%s", sc->err);
	cr_assert_eq(tp->total_retrans, 0);
	cr_assert_eq(ext()->TCPLossProbes, 0);
}

/*
 * Lost ACKs are not reordering (the kernel's prior_fack): segments 0, 1, 3,
 * 5 and 7 are lost, and of the peer's ACKs only the third arrives, its
 * blocks newest first (6, 4, 2). None of them arrived below a segment
 * SACKed before this ACK, so RACK keeps no reordering window: with three
 * SACKed, the holes below segment 6 are lost at once and go again, not
 * after a reordering timer: three now (PRR: as many as were delivered,
 * none more on an ACK that found new losses), the fourth at the next ACK
 * with segment 7, found lost by then.
 */
Test(tcp_script, sack_blocks_of_one_ack_are_not_reordering)
{
	struct socket *c = established();
	struct tcp_sock *tp = tcp_sk(c->sk);

	cr_assert_eq(send_bytes(c, 8 * 1448), 8 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(2), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(3), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(4), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(5), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(6), 1, 1448, 0, "*"}}, {10, '>', {"P.", SEG(7), 1, 1448, 0, "*"}},
	    {20, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "8689:10137 5793:7241 2897:4345")}},
	    {20, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {20, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {20, '>', {".", SEG(3), 1, 1448, 0, "*"}});
	cr_assert(!tp->reord_seen);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
	/* The three arrived; segment 7, sent before them, is overdue too. */
	RUN({30, '<', {".", 1, SEG(5), 0, 0, PEER_SACK(1020, "8689:10137")}},
	    {30, '>', {".", SEG(5), 1, 1448, 0, "*"}}, {30, '>', {"P.", SEG(7), 1, 1448, 0, "*"}},
	    {40, '<', {".", 1, SEG(8), 0, 0, "nop,nop,TS val 5002 ecr 1030"}});
	cr_assert(tcpscript_quiet_until(sc, 2000), "%s", sc->err);
	cr_assert_eq(ext()->TCPTimeouts, 0);
}

/*
 * The same for a cumulative ACK: the ACKs for segments 0 and 1 are lost,
 * the next acknowledges both and SACKs segment 3 (2 is lost). Segments 0
 * and 1 lie below that block, but nothing was SACKed before this ACK: no
 * reordering.
 */
Test(tcp_script, cumulative_ack_below_its_own_sack_block_is_not_reordering)
{
	struct socket *c = established();
	struct tcp_sock *tp = tcp_sk(c->sk);

	cr_assert_eq(send_bytes(c, 4 * 1448), 4 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(2), 1, 1448, 0, "*"}}, {10, '>', {"P.", SEG(3), 1, 1448, 0, "*"}},
	    {20, '<', {".", 1, SEG(2), 0, 0, PEER_SACK(1010, "4345:5793")}});
	cr_assert(!tp->reord_seen);
}

/*
 * Tail loss probe: the last segments of a flight are lost and no ACK comes.
 * After 2 SRTT (RFC 8985 7.2, srtt 10 ms) in whole jiffies plus the
 * kernel's two (TCP_TIMEOUT_MIN, 8 ms at HZ 250) the last segment goes
 * again, so that the peer's SACK lets RACK repair the tail instead of the
 * RTO.
 */
Test(tcp_script, tail_loss_probe_resends_the_last_segment)
{
	struct socket *c = established();
	struct tcp_sock *tp = tcp_sk(c->sk);

	cr_assert_eq(send_bytes(c, 3 * 1448), 3 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {10, '>', {"P.", SEG(2), 1, 1448, 0, "*"}},
	    {20, '<', {".", 1, SEG(1), 0, 0, "nop,nop,TS val 5002 ecr 1010"}},
	    /* srtt now 10 ms: the probe 2 * 10 + 8 ms after the ACK. */
	    {48, '>', {"P.", SEG(2), 1, 1448, 0, "*"}});
	cr_assert_eq(ext()->TCPLossProbes, 1);
	cr_assert_eq(tp->tlp_high_seq, SEG(3) + tp->iss);
	/* The probe's SACK: segment 1, sent before it, is lost; recovery resends it. */
	RUN({58, '<', {".", 1, SEG(1), 0, 0, PEER_SACK(1048, "2897:4345")}},
	    {58, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {68, '<', {".", 1, SEG(3), 0, 0, "nop,nop,TS val 5003 ecr 1058"}});
	cr_assert(tcpscript_quiet_until(sc, 2000), "%s", sc->err);
	cr_assert_eq(ext()->TCPTimeouts, 0);
}

/* The window's ten segments, written at 10 ms, go at once (the write's last with PSH). */
static void ten_segments_at_10ms(void)
{
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(2), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(3), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(4), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(5), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(6), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(7), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(8), 1, 1448, 0, "*"}}, {10, '>', {"P.", SEG(9), 1, 1448, 0, "*"}});
}

/*
 * Without RACK a partial ACK marks the next hole lost only when the SACKs
 * reach DupThresh segments above snd_una (tcp_force_fast_retransmit), not
 * at once as RFC 6582 would. Ten segments; segment 0 is lost and segment 4
 * held back: the SACK of 1-3 starts the recovery with segment 0's resend,
 * whose ACK at 30 (echoing the resend) acknowledges 0-3 with 5-6 SACKed:
 * two SACKed above segment 4, no more than DupThresh segments above
 * snd_una. The kernel sends nothing; segment 4 arrives late at 31 and one
 * resend was all. Marking the head at the partial ACK resent segment 4.
 */
Test(tcp_script, partial_ack_below_dupthresh_resends_nothing_without_rack)
{
	struct socket *c;
	struct tcp_sock *tp;

	stack_sysctl()->tcp_recovery = 0;
	c = established();
	tp = tcp_sk(c->sk);
	cr_assert_eq(send_bytes(c, 10 * 1448), 10 * 1448);
	ten_segments_at_10ms();
	RUN({20, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:5793")}},
	    {20, '>', {".", SEG(0), 1, 1448, 0, "*"}},
	    {21, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "7241:10137 1449:5793")}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
	RUN({30, '<', {".", 1, SEG(4), 0, 0, PEER_SACK(1020, "7241:10137")}});
	cr_assert(tcpscript_quiet_until(sc, 31), "%s", sc->err);
	cr_assert_eq(tp->lost_out, 0, "segment 4 is not lost yet");
	RUN({31, '<', {".", 1, SEG(10), 0, 0, "nop,nop,TS val 5002 ecr 1010"}});
	cr_assert(tcpscript_quiet_until(sc, 300), "%s", sc->err);
	cr_assert_eq(tp->total_retrans, 1);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open);
}

/*
 * RACK's clock does not move to a resend whose original the ACK shows
 * arrived (tcp_skb_spurious_retrans: the echo predates the resend). Ten
 * segments at 10 ms; segment 0 is held back: the SACK of 1-3 at 20 ms
 * finds it lost and resends it. At 32 ms (more than the minimum RTT after
 * the resend) its original arrives: the ACK of 0-3 echoes 1010. Taken as
 * the resend's delivery, it made segments 4-9, sent at 10 ms and still on
 * their way, look lost, and they went again.
 */
Test(tcp_script, ack_of_a_late_original_does_not_advance_rack_to_the_resend)
{
	struct socket *c = established();
	struct tcp_sock *tp = tcp_sk(c->sk);

	cr_assert_eq(send_bytes(c, 10 * 1448), 10 * 1448);
	ten_segments_at_10ms();
	RUN({20, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:5793")}},
	    {20, '>', {".", SEG(0), 1, 1448, 0, "nop,nop,TS val now ecr 5001"}},
	    {32, '<', {".", 1, SEG(4), 0, 0, "nop,nop,TS val 5002 ecr 1010"}});
	cr_assert(tcpscript_quiet_until(sc, 33), "%s", sc->err);
	cr_assert_eq(tp->lost_out, 0);
	RUN({33, '<', {".", 1, SEG(10), 0, 0, "nop,nop,TS val 5003 ecr 1010"}});
	cr_assert(tcpscript_quiet_until(sc, 300), "%s", sc->err);
	cr_assert_eq(tp->total_retrans, 1);
}

/*
 * Eighteen segments written, the window's ten sent at 10 ms; segment 0 is
 * lost, and the first SACK (of segment 1), 10 ms after, lets segment 10 go.
 */
static struct tcp_sock *first_sack_of_lost_segment_zero(void)
{
	struct socket *c = established();

	cr_assert_eq(send_bytes(c, 10 * 1448), 10 * 1448);
	cr_assert_eq(send_bytes(c, 8 * 1448), 8 * 1448);
	ten_segments_at_10ms();
	RUN({20, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:2897")}},
	    {20, '>', {".", SEG(10), 1, 1448, 0, "*"}});
	return tcp_sk(c->sk);
}

/*
 * With TSO deferral kept out (see below): the SACKs of segments 1-2 let
 * segment 11 go, the third (segments 1-3) finds segment 0 lost, and the
 * recovery starts with its resend.
 */
static struct tcp_sock *third_sack_starts_the_recovery(void)
{
	struct tcp_sock *tp;

	stack_sysctl()->tcp_tso_win_divisor = 100;
	tp = first_sack_of_lost_segment_zero();
	RUN({20, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:4345")}},
	    {20, '>', {".", SEG(11), 1, 1448, 0, "*"}},
	    {20, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:5793")}},
	    {20, '>', {".", SEG(0), 1, 1448, 0, "*"}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
	return tp;
}

/*
 * Outside a reduction the window grows by what an ACK newly delivered
 * (tcp_cong_control's acked_sacked), and only on delivery in order
 * (tcp_may_raise_cwnd): segment 1 comes late, 2 and 3 are SACKed meanwhile
 * (no growth, but each lets a new segment go), and the ACK of 1-3 grows
 * the slow-start window of 11 by one, not three: two new segments go.
 */
Test(tcp_script, window_grows_by_what_was_newly_delivered)
{
	struct socket *c = established();
	struct tcp_sock *tp = tcp_sk(c->sk);

	stack_sysctl()->tcp_tso_win_divisor = 100;
	cr_assert_eq(send_bytes(c, 10 * 1448), 10 * 1448);
	cr_assert_eq(send_bytes(c, 10 * 1448), 10 * 1448);
	ten_segments_at_10ms();
	RUN({20, '<', {".", 1, SEG(1), 0, 0, "nop,nop,TS val 5001 ecr 1010"}},
	    {20, '>', {".", SEG(10), 1, 1448, 0, "*"}}, {20, '>', {".", SEG(11), 1, 1448, 0, "*"}},
	    {21, '<', {".", 1, SEG(1), 0, 0, PEER_SACK(1010, "2897:4345")}},
	    {21, '>', {".", SEG(12), 1, 1448, 0, "*"}},
	    {22, '<', {".", 1, SEG(1), 0, 0, PEER_SACK(1010, "2897:5793")}},
	    {22, '>', {".", SEG(13), 1, 1448, 0, "*"}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Disorder);
	cr_assert_eq(tp->cong.snd_cwnd, 11);
	RUN({23, '<', {".", 1, SEG(4), 0, 0, "nop,nop,TS val 5002 ecr 1010"}},
	    {23, '>', {".", SEG(14), 1, 1448, 0, "*"}}, {23, '>', {".", SEG(15), 1, 1448, 0, "*"}});
	cr_assert(tcpscript_quiet_until(sc, 24), "%s", sc->err);
	cr_assert_eq(tp->cong.snd_cwnd, 12);
}

/*
 * PRR (RFC 6937): segment 0 of a flight of ten is lost. Before recovery,
 * each SACK lets a new segment go (SACKed ones left the network). In
 * recovery the window comes down in proportion to what is delivered:
 * ceil(ssthresh * delivered / prior_cwnd) - sent, CUBIC's ssthresh 7 of the
 * window 10 (the retransmission first), so seven segments go for every ten
 * delivered, not a stall and then a burst. TSO deferral would hold the
 * one-segment room of the SACKs before recovery back: it is kept out with
 * tcp_tso_win_divisor 100, as the kernel's own packetdrill scripts do in
 * their recovery tests (its own tests are the tso_defer ones).
 */
Test(tcp_script, prr_sends_in_proportion_during_recovery)
{
	struct tcp_sock *tp = third_sack_starts_the_recovery();

	cr_assert_eq(tp->cong.snd_ssthresh, 7);
	cr_assert_eq(tp->cong.prior_cwnd, 10);
	RUN({21, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:7241")}},
	    {21, '>', {".", SEG(12), 1, 1448, 0, "*"}},
	    {22, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:8689")}},
	    {22, '>', {".", SEG(13), 1, 1448, 0, "*"}},
	    /* ceil(7 * 4 / 10) = 3 sent already: nothing. */
	    {23, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:10137")}},
	    /* In flight is down to ssthresh: from now on one for one (PRR-CRB). */
	    {24, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:11585")}},
	    {25, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:13033")}},
	    {25, '>', {".", SEG(14), 1, 1448, 0, "*"}});
	cr_assert(tcpscript_quiet_until(sc, 26), "%s", sc->err);
	cr_assert_eq(tp->cong.prr_delivered, 6);
	cr_assert_eq(tp->cong.prr_out, 4);
	cr_assert_eq(tcp_packets_in_flight(tp), 7);
}

/*
 * PRR counts what an ACK newly delivered (tcp_newly_delivered), not what
 * it acked: the ACK of the resent segment 0 at 30 ms also covers segments
 * 1-3, but those left the network when they were SACKed. It shows segments
 * 4-9 lost (sent before the resend it delivered, RACK), so in flight falls
 * to 2, far below ssthresh 7: delivered 1 + 1 less 1 sent is one resend
 * (PRR-SSRB, no extra one with a new loss). Counting the four acked
 * (1 + 4 less 1) sent four.
 */
Test(tcp_script, prr_counts_a_segment_sacked_before_once)
{
	struct tcp_sock *tp = third_sack_starts_the_recovery();

	cr_assert_eq(tp->cong.prr_delivered, 1);
	RUN({30, '<', {".", 1, SEG(4), 0, 0, "nop,nop,TS val 5002 ecr 1020"}},
	    {30, '>', {".", SEG(4), 1, 1448, 0, "*"}});
	cr_assert(tcpscript_quiet_until(sc, 31), "%s", sc->err);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
	cr_assert_eq(tp->lost_out, 6);
	cr_assert_eq(tp->cong.prr_delivered, 2);
	cr_assert_eq(tp->cong.prr_out, 2);
}

/* ---- undo (RFC 2883 D-SACK, RFC 3522 Eifel, tcp_undo_cwnd_reduction) ---- */

/*
 * Segment 0 of four seems lost (three SACKed above it) and goes again at
 * 20 ms; at 30 ms the peer reports it twice (D-SACK below the cumulative
 * ACK): the original was only delayed.
 */
/* Four segments sent at 10 ms; three SACKed at 20, so segment 0 goes again at once. */
static struct socket *fast_retransmit(void)
{
	struct socket *c = established();

	cr_assert_eq(send_bytes(c, 4 * 1448), 4 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(2), 1, 1448, 0, "*"}}, {10, '>', {"P.", SEG(3), 1, 1448, 0, "*"}},
	    {20, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:5793")}},
	    {20, '>', {".", SEG(0), 1, 1448, 0, "*"}});
	cr_assert_eq(tcp_sk(c->sk)->cong.snd_ssthresh, 7);
	return c;
}

static struct socket *needless_fast_retransmit(void)
{
	struct socket *c = fast_retransmit();

	RUN({30, '<', {".", 1, SEG(4), 0, 0, "nop,nop,TS val 5002 ecr 1020,nop,nop,sack 1:1449"}});
	cr_assert_eq(ext()->TCPDSACKRecv, 1);
	return c;
}

/*
 * A fast retransmit the peer reports as a duplicate: every retransmission
 * of the episode was needless, so at its end the window and ssthresh come
 * back to what they were.
 */
Test(tcp_script, dsack_undoes_a_needless_fast_retransmit)
{
	struct tcp_sock *tp = tcp_sk(needless_fast_retransmit()->sk);

	cr_assert_eq(ext()->TCPFullUndo, 1);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open);
	cr_assert_eq(tp->cong.snd_ssthresh, 0x7fffffffu, "ssthresh as before the episode");
	cr_assert_eq(tp->cong.snd_cwnd, 10, "the window as before");
}

/*
 * A D-SACK is not reordering (tcp_dsack_seen, tcp_rack_reo_wnd): after the
 * needless retransmission above, segment 4 of the next flight is lost and
 * the ACK that SACKs the three sent after it finds it lost at once, as
 * the kernel does on a path that never reordered. Taking the D-SACK for
 * reordering held it a reordering window (here 2 x min_rtt / 4 = 5 ms; on
 * a 20 ms path under loss 10-15 ms for every hole).
 */
Test(tcp_script, dsack_is_not_reordering)
{
	struct socket *c = needless_fast_retransmit();
	struct tcp_sock *tp = tcp_sk(c->sk);

	cr_assert_eq(tp->dsack_dups, 1);
	cr_assert_eq(tp->reord_seen, 0);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open);
	cr_assert_eq(send_bytes(c, 4 * 1448), 4 * 1448);
	RUN({30, '>', {".", SEG(4), 1, 1448, 0, "*"}}, {30, '>', {".", SEG(5), 1, 1448, 0, "*"}},
	    {30, '>', {".", SEG(6), 1, 1448, 0, "*"}}, {30, '>', {"P.", SEG(7), 1, 1448, 0, "*"}},
	    {40, '<', {".", 1, SEG(4), 0, 0, PEER_SACK(1030, "7241:11585")}},
	    {40, '>', {".", SEG(4), 1, 1448, 0, "*"}},
	    {50, '<', {".", 1, SEG(8), 0, 0, "nop,nop,TS val 5003 ecr 1040"}});
	cr_assert(tcpscript_quiet_until(sc, 2000), "%s", sc->err);
	cr_assert_eq(ext()->TCPTimeouts, 0);
}

/*
 * A D-SACK of two segments after one retransmission (tcp_dsack_seen): more
 * duplicates than were ever resent are the network's, not the sender's, so
 * the block is dubious and the episode is not undone; the kernel still
 * counts them in tcpi_dsack_dups.
 */
Test(tcp_script, dsack_of_more_than_was_resent_undoes_nothing)
{
	struct tcp_sock *tp = tcp_sk(fast_retransmit()->sk);

	RUN({30, '<', {".", 1, SEG(4), 0, 0, "nop,nop,TS val 5002 ecr 1020,nop,nop,sack 1:2897"}});
	cr_assert_eq(ext()->TCPDSACKRecv, 1);
	cr_assert_eq(ext()->TCPDSACKIgnoredDubious, 1);
	cr_assert_eq(tp->dsack_dups, 2);
	cr_assert_eq(ext()->TCPFullUndo, 0);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open);
	cr_assert_eq(tp->cong.snd_ssthresh, 7, "CUBIC's cut stays");
}

/*
 * A D-SACK inside the second block, both beyond what was sent
 * (tcp_is_sackblock_valid): counted, but it says nothing of this episode's
 * resend, which stays needed: no undo when the episode ends.
 */
Test(tcp_script, dsack_beyond_snd_nxt_undoes_nothing)
{
	struct tcp_sock *tp = tcp_sk(fast_retransmit()->sk);

	RUN({25, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "5793:7241 5793:7241")}},
	    {30, '<', {".", 1, SEG(4), 0, 0, "nop,nop,TS val 5002 ecr 1020"}});
	cr_assert_eq(ext()->TCPDSACKOfoRecv, 1);
	cr_assert_eq(tp->dsack_dups, 1);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open, "the episode ended");
	cr_assert_eq(ext()->TCPFullUndo + ext()->TCPDSACKUndo, 0);
	cr_assert_eq(tp->cong.snd_ssthresh, 7, "CUBIC's cut stays");
}

/* Six segments written and sent at 10 ms (TSval 1010). */
static struct socket *six_sent(void)
{
	struct socket *c = established();

	cr_assert_eq(send_bytes(c, 6 * 1448), 6 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(2), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(3), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(4), 1, 1448, 0, "*"}}, {10, '>', {"P.", SEG(5), 1, 1448, 0, "*"}});
	return c;
}

/*
 * Six segments sent at 10 ms; the ACK at 20 SACKs the last four, and RACK
 * resends the two holes below them at once (retrans_stamp 1020 ms).
 */
static struct socket *two_holes_resent(void)
{
	struct socket *c = six_sent();

	RUN({20, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "2897:8689")}},
	    {20, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {20, '>', {".", SEG(1), 1, 1448, 0, "*"}});
	cr_assert_eq(tcp_sk(c->sk)->cong.ca_state, TCP_CA_Recovery);
	return c;
}

/*
 * A D-SACK of two segments reports two needless resends (tcp_check_dsack:
 * undo_retrans by the block's segments): both holes RACK resent had
 * arrived, so the episode is undone.
 */
Test(tcp_script, dsack_of_two_segments_undoes_two_resends)
{
	struct tcp_sock *tp = tcp_sk(two_holes_resent()->sk);

	RUN({30, '<', {".", 1, SEG(6), 0, 0, "nop,nop,TS val 5002 ecr 1020,nop,nop,sack 1:2897"}});
	cr_assert_eq(tp->total_retrans, 2);
	cr_assert_eq(tp->dsack_dups, 2);
	cr_assert_eq(ext()->TCPFullUndo, 1);
	cr_assert_eq(tp->cong.snd_ssthresh, 0x7fffffffu, "ssthresh as before the episode");
}

/*
 * An old ACK (below snd_una: the peer's ACKs reordered) with a D-SACK: the
 * kernel's tcp_ack takes its SACK blocks through tcp_sacktag_write_queue,
 * which checks the D-SACK (tcp_check_dsack) as for any other ACK.
 */
Test(tcp_script, dsack_on_an_old_ack_is_counted)
{
	struct tcp_sock *tp = tcp_sk(two_holes_resent()->sk);

	RUN({30, '<', {".", 1, SEG(6), 0, 0, "nop,nop,TS val 5002 ecr 1020"}},
	    {31, '<', {".", 1, SEG(2), 0, 0, "nop,nop,TS val 5002 ecr 1020,nop,nop,sack 1:2897"}});
	cr_assert_eq(tp->total_retrans, 2);
	cr_assert_eq(tp->dsack_dups, 2);
	cr_assert_eq(ext()->TCPDSACKRecv, 1);
}

/*
 * A partial ACK whose echo predates the resend (tcp_try_undo_partial): the
 * late original of segment 0 filled the hole, not its resend at 20 ms, and
 * no resend is left in flight, so the reduction is undone before the
 * episode's end (TCPPartialUndo) and the recovery is over. The path
 * reordered by the four segments above the hole (TCPTSReorder).
 */
Test(tcp_script, partial_ack_echoing_the_original_undoes_the_recovery)
{
	struct socket *c = six_sent();
	struct tcp_sock *tp = tcp_sk(c->sk);

	RUN({20, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:5793")}},
	    {20, '>', {".", SEG(0), 1, 1448, 0, "*"}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
	cr_assert_eq(tp->cong.snd_ssthresh, 7);
	RUN({22, '<', {".", 1, SEG(4), 0, 0, "nop,nop,TS val 5002 ecr 1010"}});
	cr_assert_eq(ext()->TCPPartialUndo, 1);
	cr_assert_eq(ext()->TCPFullUndo + ext()->TCPDSACKUndo + ext()->TCPLossUndo, 0);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open);
	cr_assert_eq(tp->cong.snd_ssthresh, 0x7fffffffu, "ssthresh as before the episode");
	cr_assert_eq(tp->cong.snd_cwnd, 10, "the window as before");
	cr_assert_eq(tp->lost_out, 0);
	cr_assert_eq(ext()->TCPTSReorder, 1);
	cr_assert_eq(tp->reordering, 4, "four segments above the hole");
	RUN({30, '<', {".", 1, SEG(6), 0, 0, "nop,nop,TS val 5003 ecr 1010"}});
	cr_assert(tcpscript_quiet_until(sc, 2000), "%s", sc->err);
	cr_assert_eq(ext()->TCPPartialUndo, 1);
	cr_assert_eq(tp->total_retrans, 1);
}

/*
 * The same with two holes resent: the partial ACK for segment 0 echoes the
 * original's timestamp, but the resend of segment 1 is still in flight
 * (tcp_try_undo_partial): the reordering is taken, the recovery and its
 * window stay, and nothing more is marked lost or resent. Segment 1's
 * original then arrives too: the episode ends undone (TCPFullUndo).
 */
Test(tcp_script, partial_ack_echoing_the_original_waits_for_the_other_resend)
{
	struct tcp_sock *tp = tcp_sk(two_holes_resent()->sk);

	RUN({22,
	     '<',
	     {".", 1, SEG(1), 0, 0, "nop,nop,TS val 5002 ecr 1010,nop,nop,sack 2897:8689"}});
	cr_assert_eq(ext()->TCPTSReorder, 1);
	cr_assert_eq(tp->reordering, 6, "from the hole to the highest SACKed: six segments");
	cr_assert_eq(ext()->TCPPartialUndo, 0);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
	cr_assert_eq(tp->cong.snd_ssthresh, 7);
	cr_assert_eq(tp->retrans_out, 1);
	RUN({23, '<', {".", 1, SEG(6), 0, 0, "nop,nop,TS val 5003 ecr 1010"}});
	cr_assert_eq(ext()->TCPFullUndo, 1);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open);
	cr_assert_eq(tp->cong.snd_ssthresh, 0x7fffffffu);
	cr_assert(tcpscript_quiet_until(sc, 2000), "%s", sc->err);
	cr_assert_eq(tp->total_retrans, 2);
}

/*
 * Thirty segments written, the window's ten sent at 10 ms; the ACK at 20
 * SACKs segments 1-4, so segment 0 is lost: a recovery, its resend and
 * segment 10 (PRR, TSO deferral kept out as in the test above).
 */
static struct tcp_sock *thirty_written_segment_zero_resent(void)
{
	struct socket *c = established();

	stack_sysctl()->tcp_tso_win_divisor = 100;
	for (int i = 0; i < 3; i++)
		cr_assert_eq(send_bytes(c, 10 * 1448), 10 * 1448);
	ten_segments_at_10ms();
	RUN({20, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:7241")}},
	    {20, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {20, '>', {".", SEG(10), 1, 1448, 0, "*"}});
	cr_assert_eq(tcp_sk(c->sk)->cong.ca_state, TCP_CA_Recovery);
	return tcp_sk(c->sk);
}

/*
 * The undo stamp lives while a resend is out (retrans_stamp): a recovery
 * entered with one still in flight keeps the earlier episode's stamp
 * (tcp_enter_recovery's tcp_retrans_stamp_cleanup). Thirty segments
 * written; segment 0 of the first ten is lost and resent at 20 ms (the
 * stamp, 1020), then segments 9 and 11 (new data of that recovery) at 24
 * and 26. The ACK at 28 ends the first recovery (above its high_seq,
 * segment 10) and shows segment 15 lost: a second recovery, while the
 * resend of segment 11 is still out. Its ACK at 30 echoes that resend
 * (1026): a resend filled the hole, no reordering. Had the second episode
 * started a stamp of its own (1028, segment 15's resend), the echo would
 * pass for an original's: the path taken to reorder by six segments
 * (TCPTSReorder) and the recovery held.
 */
Test(tcp_script, retrans_stamp_outlives_an_episode_while_its_resend_is_out)
{
	struct tcp_sock *tp = thirty_written_segment_zero_resent();

	RUN({22, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:13033")}},
	    {22, '>', {".", SEG(11), 1, 1448, 0, "*"}}, {22, '>', {".", SEG(12), 1, 1448, 0, "*"}},
	    {22, '>', {".", SEG(13), 1, 1448, 0, "*"}}, {22, '>', {".", SEG(14), 1, 1448, 0, "*"}},
	    {24, '<', {".", 1, SEG(9), 0, 0, PEER_SACK(1020, "14481:15929")}},
	    {24, '>', {"P.", SEG(9), 1, 1448, 0, "*"}}, {24, '>', {".", SEG(15), 1, 1448, 0, "*"}},
	    {24, '>', {".", SEG(16), 1, 1448, 0, "*"}},
	    {26, '<', {".", 1, SEG(9), 0, 0, PEER_SACK(1020, "17377:21721 14481:15929")}},
	    {26, '>', {".", SEG(11), 1, 1448, 0, "*"}}, {26, '>', {".", SEG(17), 1, 1448, 0, "*"}},
	    {26, '>', {".", SEG(18), 1, 1448, 0, "*"}}, {26, '>', {"P.", SEG(19), 1, 1448, 0, "*"}},
	    {28, '<', {".", 1, SEG(11), 0, 0, PEER_SACK(1024, "23169:24617 17377:21721")}},
	    {28, '>', {".", SEG(15), 1, 1448, 0, "*"}});
	cr_assert_eq(ext()->TCPSackRecovery, 2);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
	cr_assert_eq(tp->retrans_out, 2, "segment 11's resend and segment 15's");
	cr_assert_eq(tp->retrans_stamp / NSEC_PER_MSEC, 1020, "the first recovery's");
	RUN({30, '<', {".", 1, SEG(15), 0, 0, PEER_SACK(1026, "23169:24617")}});
	cr_assert(tcpscript_quiet_until(sc, 31), "%s", sc->err);
	cr_assert_eq(ext()->TCPTSReorder, 0);
	cr_assert_eq(tp->reordering, 3);
	cr_assert_eq(ext()->TCPPartialUndo, 0);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
}

/*
 * The SACK walk starts next to what it knows (tcp_sacktag_skip): at 24 ms
 * segment 5's resend fills the hole between the two blocks of the last
 * ACK while segment 11 is SACKed at the top, in one ACK. The walk starts
 * at the lower block's edge (segment 5), then near the top, not on from
 * segment 5 through the queue: the same marks either way, each segment
 * counted once. The cumulative ACK at 28 frees what lay below; the edges
 * follow the blocks the peer still reports.
 */
Test(tcp_script, sack_walk_starts_at_a_known_block_edge)
{
	struct tcp_sock *tp = thirty_written_segment_zero_resent();

	RUN({22, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "8689:14481 1449:7241")}},
	    {22, '>', {".", SEG(5), 1, 1448, 0, "*"}}, {22, '>', {".", SEG(11), 1, 1448, 0, "*"}},
	    {22, '>', {".", SEG(12), 1, 1448, 0, "*"}}, {22, '>', {".", SEG(13), 1, 1448, 0, "*"}},
	    {22, '>', {".", SEG(14), 1, 1448, 0, "*"}});
	cr_assert_eq(tp->sacked_out, 8);
	cr_assert_eq(TCP_SKB_CB(tp->sack_edge[0])->seq, sc->stack_isn + SEG(5));
	cr_assert_eq(TCP_SKB_CB(tp->sack_edge[1])->seq, sc->stack_isn + SEG(10));
	RUN({24, '<', {".", 1, 1, 0, 0, PEER_SACK(1022, "15929:17377 1449:14481")}},
	    {24, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {24, '>', {".", SEG(10), 1, 1448, 0, "*"}},
	    {24, '>', {".", SEG(15), 1, 1448, 0, "*"}});
	cr_assert_eq(tp->sacked_out, 10, "segment 5's resend and segment 11, once each");
	cr_assert_eq(tp->retrans_out, 2, "segments 0 and 10 again");
	RUN({28, '<', {".", 1, SEG(12), 0, 0, PEER_SACK(1024, "18825:20273")}},
	    {28, '>', {".", SEG(12), 1, 1448, 0, "*"}}, {28, '>', {".", SEG(14), 1, 1448, 0, "*"}},
	    {28, '>', {".", SEG(16), 1, 1448, 0, "*"}});
	cr_assert_null(tp->sack_edge[1]);
	RUN({29, '<', {".", 1, SEG(12), 0, 0, PEER_SACK(1024, "18825:21721")}},
	    {29, '>', {".", SEG(17), 1, 1448, 0, "*"}});
	cr_assert_eq(tp->sacked_out, 2);
}

/*
 * A D-SACK before the episode's end (tcp_try_undo_dsack, tcp_try_to_open):
 * the resend of segment 0 filled the hole (the partial ACK echoes it), its
 * late original is reported twice at 23 ms. Every resend was needless: the
 * reduction is undone and the recovery is over at once, not when its last
 * segment is acknowledged.
 */
Test(tcp_script, dsack_before_the_end_of_recovery_undoes_and_ends_it)
{
	struct socket *c = six_sent();
	struct tcp_sock *tp = tcp_sk(c->sk);

	RUN({20, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:5793")}},
	    {20, '>', {".", SEG(0), 1, 1448, 0, "*"}},
	    {22, '<', {".", 1, SEG(4), 0, 0, "nop,nop,TS val 5002 ecr 1020"}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
	cr_assert_eq(ext()->TCPPartialUndo, 0);
	RUN({23, '<', {".", 1, SEG(4), 0, 0, "nop,nop,TS val 5002 ecr 1020,nop,nop,sack 1:1449"}});
	cr_assert_eq(ext()->TCPDSACKUndo, 1);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open);
	cr_assert_eq(tp->cong.snd_ssthresh, 0x7fffffffu, "ssthresh as before the episode");
	cr_assert_eq(tp->cong.snd_cwnd, 10, "the window as before");
	RUN({30, '<', {".", 1, SEG(6), 0, 0, "nop,nop,TS val 5003 ecr 1020"}});
	cr_assert(tcpscript_quiet_until(sc, 2000), "%s", sc->err);
	cr_assert_eq(ext()->TCPFullUndo, 0);
}

/*
 * A D-SACK inside a later block takes its sorted place (tcp_sacktag_write_queue):
 * segments 0 and 2 of six went again at 20 ms; at 22 the resend of segment
 * 2 and its late original both arrived, and the ACK SACKs segments 1 to 5
 * with a D-SACK of segment 2 ahead. The block holding the D-SACK goes
 * first and tells segment 2 needless before SACKing it (next_dup); the
 * D-SACK, walked after it as a block of its own, finds it SACKed: the path
 * reordered (its original came after the segments above it) and, as the
 * kernel counts, the resend is needless once more, which leaves none of
 * the two resends needed and undoes the reduction; segment 0, still marked
 * lost, starts the next episode at once.
 */
Test(tcp_script, dsack_inside_a_later_block_is_walked_in_its_sorted_place)
{
	struct socket *c = six_sent();
	struct tcp_sock *tp = tcp_sk(c->sk);

	RUN({20, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "4345:8689 1449:2897")}},
	    {20, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {20, '>', {".", SEG(2), 1, 1448, 0, "*"}});
	cr_assert_eq(tp->cong.undo_retrans, 2);
	cr_assert_eq(tp->reord_seen, 0);
	RUN({22, '<', {".", 1, 1, 0, 0, PEER_SACK(1020, "2897:4345 1449:8689")}});
	cr_assert_eq(ext()->TCPDSACKOfoRecv, 1);
	cr_assert_eq(ext()->TCPSACKReorder, 1);
	cr_assert_eq(tp->reordering, 4, "segment 2 below the highest SACKed, segment 5");
	cr_assert_eq(ext()->TCPDSACKUndo, 1);
	/* Segment 0 is still marked lost: a new episode at once (tcp_time_to_recover). */
	cr_assert_eq(ext()->TCPSackRecovery, 2);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
	cr_assert_eq(tp->cong.prior_cwnd, 10, "the undone window");
	RUN({30, '<', {".", 1, SEG(6), 0, 0, "nop,nop,TS val 5002 ecr 1020"}});
	cr_assert(tcpscript_quiet_until(sc, 2000), "%s", sc->err);
	cr_assert_eq(tp->total_retrans, 2);
}

/*
 * Reordering by six segments (tcp_check_sack_reordering): once the path
 * was seen to reorder (segment 0 behind segment 1), RACK waits its window
 * for segment 2 while the five sent after it are SACKed; it arrives in
 * time, 6 segments below the highest SACKed, and tp->reordering
 * (tcpi_reordering) grows from tcp_reordering's 3 to 6, or to
 * tcp_max_reordering if lower. Nothing is resent.
 */
static struct socket *reordered_by_six(void)
{
	struct socket *c = established();
	struct tcp_sock *tp = tcp_sk(c->sk);

	cr_assert_eq(send_bytes(c, 2 * 1448), 2 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {"P.", SEG(1), 1, 1448, 0, "*"}},
	    {18, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:2897")}},
	    {19, '<', {".", 1, SEG(2), 0, 0, "nop,nop,TS val 5002 ecr 1010"}});
	cr_assert_eq(tp->reord_seen, 1);
	cr_assert_eq(tp->reordering, 3, "two segments: within tcp_reordering");
	cr_assert_eq(send_bytes(c, 6 * 1448), 6 * 1448);
	RUN({19, '>', {".", SEG(2), 1, 1448, 0, "*"}}, {19, '>', {".", SEG(3), 1, 1448, 0, "*"}},
	    {19, '>', {".", SEG(4), 1, 1448, 0, "*"}}, {19, '>', {".", SEG(5), 1, 1448, 0, "*"}},
	    {19, '>', {".", SEG(6), 1, 1448, 0, "*"}}, {19, '>', {"P.", SEG(7), 1, 1448, 0, "*"}},
	    {27, '<', {".", 1, SEG(2), 0, 0, PEER_SACK(1019, "4345:11585")}},
	    {28, '<', {".", 1, SEG(8), 0, 0, "nop,nop,TS val 5003 ecr 1019"}});
	cr_assert(tcpscript_quiet_until(sc, 2000), "%s", sc->err);
	cr_assert_eq(tp->total_retrans, 0);
	cr_assert_eq(tp->reord_seen, 2);
	return c;
}

static uint32_t tcpi_reordering(struct socket *c)
{
	struct tcp_info ti;
	int len = sizeof(ti);

	cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_INFO, (char *)&ti, &len), 0);
	return ti.tcpi_reordering;
}

Test(tcp_script, reordering_grows_tcpi_reordering)
{
	cr_assert_eq(tcpi_reordering(reordered_by_six()), 6);
	cr_assert_eq(ext()->TCPSACKReorder, 2);
}

Test(tcp_script, tcp_max_reordering_caps_tcpi_reordering)
{
	stack_sysctl()->tcp_max_reordering = 4;
	cr_assert_eq(tcpi_reordering(reordered_by_six()), 4);
}

/* tcp_reordering is where a new socket starts (tcp_init_sock), read at socket(). */
Test(tcp_script, tcp_reordering_sets_where_tcpi_reordering_starts)
{
	stack_sysctl()->tcp_reordering = 7;
	cr_assert_eq(tcpi_reordering(established()), 7);
}

/*
 * A timeout that was not needed: the ACK after the retransmission echoes
 * the original's timestamp, so the original arrived (the Eifel test). The
 * loss state, its window of one and the lost marks are taken back.
 */
Test(tcp_script, timestamp_undoes_a_spurious_timeout)
{
	struct socket *c;
	struct tcp_sock *tp;

	stack_sysctl()->tcp_early_retrans = 0; /* the RTO, not a loss probe */
	c = established();
	tp = tcp_sk(c->sk);
	cr_assert_eq(send_bytes(c, 2 * 1448), 2 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {"P.", SEG(1), 1, 1448, 0, "*"}},
	    {222, '>', {".", SEG(0), 1, 1448, 0, "*"}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Loss);
	cr_assert_eq(tp->cong.snd_cwnd, 1);
	RUN({225, '<', {".", 1, SEG(2), 0, 0, "nop,nop,TS val 5002 ecr 1010"}});
	cr_assert_eq(ext()->TCPLossUndo, 1);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open);
	cr_assert_eq(tp->cong.snd_cwnd, 10);
	cr_assert_eq(tp->cong.snd_ssthresh, 0x7fffffffu);
	cr_assert_eq(tp->lost_out, 0);
}

/*
 * The same timeout with the retransmission's echo: a real loss, nothing
 * undone. F-RTO is off: the ACK also covers segment 1, sent only once, which
 * F-RTO would take as proof of a spurious timeout (see the F-RTO tests).
 */
Test(tcp_script, a_needed_timeout_is_not_undone)
{
	struct socket *c;
	struct tcp_sock *tp;

	stack_sysctl()->tcp_early_retrans = 0;
	stack_sysctl()->tcp_frto = 0;
	c = established();
	tp = tcp_sk(c->sk);
	cr_assert_eq(send_bytes(c, 2 * 1448), 2 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {"P.", SEG(1), 1, 1448, 0, "*"}},
	    {222, '>', {".", SEG(0), 1, 1448, 0, "*"}},
	    {230, '<', {".", 1, SEG(2), 0, 0, "nop,nop,TS val 5002 ecr 1222"}});
	cr_assert_eq(ext()->TCPLossUndo, 0);
	cr_assert_eq(tp->cong.snd_ssthresh, 7, "CUBIC's cut of the window of 10");
	cr_assert_lt(tp->cong.snd_cwnd, 10);
}

/*
 * A timeout inside a recovery whose window is not yet acknowledged
 * (tcp_enter_loss): the window was cut once for these losses, so ssthresh
 * stays CUBIC's 7 of the window of 10, not a second cut of the window PRR
 * left. The retransmission of segment 0 is lost; the RTO resends it.
 */
Test(tcp_script, timeout_in_recovery_keeps_its_ssthresh)
{
	struct socket *c = established();
	struct tcp_sock *tp = tcp_sk(c->sk);

	cr_assert_eq(send_bytes(c, 4 * 1448), 4 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(2), 1, 1448, 0, "*"}}, {10, '>', {"P.", SEG(3), 1, 1448, 0, "*"}},
	    {20, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:5793")}},
	    {20, '>', {".", SEG(0), 1, 1448, 0, "*"}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
	cr_assert_eq(tp->cong.snd_ssthresh, 7);
	RUN({232, '>', {".", SEG(0), 1, 1448, 0, "*"}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Loss);
	cr_assert_eq(tp->cong.snd_ssthresh, 7, "no second cut for the same window");
	RUN({240, '<', {".", 1, SEG(4), 0, 0, "nop,nop,TS val 5002 ecr 1232"}});
	cr_assert(tcpscript_quiet_until(sc, 2000), "%s", sc->err);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open);
	cr_assert_eq(ext()->TCPTimeouts, 1);
}

/* ---- F-RTO (RFC 5682, tcp_process_loss) ---- */

#define FSEG(i) (1 + (i)*1460u) /* segment i without timestamps */

/*
 * Without timestamps (so the Eifel test cannot decide) and without a loss
 * probe: four segments at 10 ms, the RTO resends segment 0 at 222 ms, two
 * more segments wait behind the window of one.
 */
static struct tcp_sock *frto_timeout_sack(int sack)
{
	struct socket *c;
	struct tcp_sock *tp;

	stack_sysctl()->tcp_timestamps = 0;
	stack_sysctl()->tcp_sack = sack;
	stack_sysctl()->tcp_early_retrans = 0;
	c = stack_connect();
	tp = tcp_sk(c->sk);
	RUN({0, '>', {"S", 0, 0, 0, 0, "*"}},
	    {10, '<', {"S.", 0, 1, 0, 0, "mss 1460,nop,nop,sackOK,nop,wscale 7"}},
	    {10, '>', {".", 1, 1, 0, 0, NULL}});
	cr_assert_eq(tp->rx_opt.sack_ok, sack);
	cr_assert_eq(send_bytes(c, 4 * 1460), 4 * 1460);
	RUN({10, '>', {".", FSEG(0), 1, 1460, 0, NULL}},
	    {10, '>', {".", FSEG(1), 1, 1460, 0, NULL}},
	    {10, '>', {".", FSEG(2), 1, 1460, 0, NULL}},
	    {10, '>', {"P.", FSEG(3), 1, 1460, 0, NULL}},
	    {222, '>', {".", FSEG(0), 1, 1460, 0, NULL}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Loss);
	cr_assert_eq(tp->cong.snd_cwnd, 1);
	cr_assert_eq(send_bytes(c, 2 * 1460), 2 * 1460);
	cr_assert(tcpscript_quiet_until(sc, 224), "%s", sc->err);
	return tp;
}

static struct tcp_sock *frto_timeout(void)
{
	return frto_timeout_sack(1);
}

/*
 * The timeout was spurious: the first ACK after it acks segment 0, and F-RTO
 * answers with the two new segments (the window is 2 now), not with
 * segments 1 and 2 again. The next ACK covers segment 1, which was sent
 * only once: it arrived, so not everything was lost. The timeout is undone
 * (window and ssthresh as before it) and nothing is resent.
 */
Test(tcp_script, frto_undoes_a_spurious_timeout)
{
	struct tcp_sock *tp = frto_timeout();

	cr_assert_eq(tp->cong.frto, 1);
	RUN({225, '<', {".", 1, FSEG(1), 0, 0, NULL}}, {225, '>', {".", FSEG(4), 1, 1460, 0, NULL}},
	    {225, '>', {"P.", FSEG(5), 1, 1460, 0, NULL}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Loss, "still testing");
	RUN({230, '<', {".", 1, FSEG(2), 0, 0, NULL}});
	cr_assert_eq(ext()->TCPSpuriousRTOs, 1);
	cr_assert_eq(ext()->TCPLossUndo, 1);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open);
	cr_assert_eq(tp->cong.snd_cwnd, 10, "the window before the timeout");
	cr_assert_eq(tp->cong.snd_ssthresh, 0x7fffffffu, "ssthresh before the timeout");
	cr_assert_eq(tp->lost_out, 0);
	cr_assert(tcpscript_quiet_until(sc, 240), "nothing resent: %s", sc->err);
	RUN({240, '<', {".", 1, FSEG(6), 0, 0, NULL}});
	cr_assert_eq(tp->packets_out, 0);
}

/* Without SACK (NewReno) the same: the cumulative ACK of segment 1 is the proof. */
Test(tcp_script, frto_undoes_a_spurious_timeout_without_sack)
{
	struct tcp_sock *tp = frto_timeout_sack(0);

	RUN({225, '<', {".", 1, FSEG(1), 0, 0, NULL}}, {225, '>', {".", FSEG(4), 1, 1460, 0, NULL}},
	    {225, '>', {"P.", FSEG(5), 1, 1460, 0, NULL}},
	    {230, '<', {".", 1, FSEG(2), 0, 0, NULL}});
	cr_assert_eq(ext()->TCPSpuriousRTOs, 1);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open);
	cr_assert_eq(tp->cong.snd_cwnd, 10);
	cr_assert(tcpscript_quiet_until(sc, 240), "nothing resent: %s", sc->err);
}

/*
 * A real loss: after the new data the peer SACKs it while segment 1 is
 * still missing (step 3.a). F-RTO stops and the recovery goes on as
 * without it: segment 1 is resent, the cut window stays.
 */
Test(tcp_script, frto_continues_recovery_after_a_real_loss)
{
	struct tcp_sock *tp = frto_timeout();

	RUN({225, '<', {".", 1, FSEG(1), 0, 0, NULL}}, {225, '>', {".", FSEG(4), 1, 1460, 0, NULL}},
	    {225, '>', {"P.", FSEG(5), 1, 1460, 0, NULL}},
	    {230, '<', {".", 1, FSEG(1), 0, 0, "nop,nop,sack 5841:7301"}},
	    {230, '>', {".", FSEG(1), 1, 1460, 0, NULL}});
	cr_assert_eq(tp->cong.frto, 0);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Loss);
	cr_assert_eq(tp->cong.snd_ssthresh, 7, "CUBIC's cut of the window of 10");
	cr_assert_eq(ext()->TCPSpuriousRTOs, 0);
	cr_assert_eq(ext()->TCPLossUndo, 0);
}

/*
 * The same without SACK: the duplicate ACK after the new data says the loss
 * was real, and that one of the new segments arrived (tcp_process_loss's
 * tcp_add_reno_sack): counted as SACKed and delivered, it leaves one
 * segment in flight of the window of 2, so segment 1 goes again at once.
 */
Test(tcp_script, frto_without_sack_counts_the_duplicate_after_new_data)
{
	struct tcp_sock *tp = frto_timeout_sack(0);
	uint32_t delivered;

	RUN({225, '<', {".", 1, FSEG(1), 0, 0, NULL}}, {225, '>', {".", FSEG(4), 1, 1460, 0, NULL}},
	    {225, '>', {"P.", FSEG(5), 1, 1460, 0, NULL}});
	delivered = tp->delivered;
	RUN({230, '<', {".", 1, FSEG(1), 0, 0, NULL}},
	    {230, '>', {".", FSEG(1), 1, 1460, 0, NULL}});
	cr_assert_eq(tp->cong.frto, 0);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Loss);
	cr_assert_eq(tp->sacked_out, 1);
	cr_assert_eq(tp->delivered, delivered + 1);
	cr_assert_eq(ext()->TCPSpuriousRTOs + ext()->TCPLossUndo, 0);
	/*
	 * Segment 1's resend arrives: the cumulative ACK ends the count
	 * (tcp_reset_reno_sack), and the window of 3 has room for segment 2.
	 */
	RUN({240, '<', {".", 1, FSEG(2), 0, 0, NULL}},
	    {240, '>', {".", FSEG(2), 1, 1460, 0, NULL}});
	cr_assert(tcpscript_quiet_until(sc, 241), "%s", sc->err);
	cr_assert_eq(tp->sacked_out, 0);
	cr_assert_eq(tp->cong.snd_cwnd, 3);
}

/* tcp_frto = 0: the first ACK after the timeout is answered by go-back-N, as before. */
Test(tcp_script, frto_off_resends_the_window)
{
	struct tcp_sock *tp;

	stack_sysctl()->tcp_frto = 0;
	tp = frto_timeout();
	cr_assert_eq(tp->cong.frto, 0);
	RUN({225, '<', {".", 1, FSEG(1), 0, 0, NULL}}, {225, '>', {".", FSEG(1), 1, 1460, 0, NULL}},
	    {225, '>', {".", FSEG(2), 1, 1460, 0, NULL}});
	/* Segment 3 goes again too (it had arrived), then new data in the window of 3. */
	RUN({230, '<', {".", 1, FSEG(2), 0, 0, NULL}},
	    {230, '>', {"P.", FSEG(3), 1, 1460, 0, NULL}},
	    {230, '>', {".", FSEG(4), 1, 1460, 0, NULL}});
	cr_assert_eq(ext()->TCPSpuriousRTOs, 0);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Loss);
}

/* ---- Reno: recovery and undo without SACK (tcp_add_reno_sack, tcp_try_undo_recovery) ---- */

#define PEER_TS(ecr) "nop,nop,TS val 5001 ecr " #ecr

/* A peer that offers timestamps and window scaling, no SACK. */
static struct socket *established_reno(void)
{
	struct socket *c = stack_connect();

	RUN({0, '>', {"S", 0, 0, 0, 0, "*"}},
	    {10, '<', {"S.", 0, 1, 0, 0, "mss 1460,nop,nop,TS val 5000 ecr 1000,nop,wscale 7"}},
	    {10, '>', {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 5000"}});
	cr_assert_eq(tcp_sk(c->sk)->rx_opt.sack_ok, 0);
	return c;
}

/*
 * Six segments sent at 10 ms (TSval 1010); the peer's window, scaled now,
 * comes at 15 (a window update, no duplicate); three duplicate ACKs at 20:
 * each counts one segment delivered (sacked_out), the third reaches
 * DupThresh, and the head goes again at once (retrans_stamp 1020). CUBIC's
 * ssthresh is 7 of 10; PRR's window the two left in flight plus one.
 */
static struct tcp_sock *reno_fast_retransmit(void)
{
	struct socket *c = established_reno();
	struct tcp_sock *tp = tcp_sk(c->sk);
	uint32_t delivered;

	cr_assert_eq(send_bytes(c, 6 * 1448), 6 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(2), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(3), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(4), 1, 1448, 0, "*"}}, {10, '>', {"P.", SEG(5), 1, 1448, 0, "*"}},
	    {15, '<', {".", 1, 1, 0, 0, PEER_TS(1010)}});
	delivered = tp->delivered;
	RUN({20, '<', {".", 1, 1, 0, 0, PEER_TS(1010)}},
	    {20, '<', {".", 1, 1, 0, 0, PEER_TS(1010)}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Disorder);
	cr_assert_eq(tp->sacked_out, 2);
	cr_assert_eq(tp->delivered, delivered + 2, "a duplicate ACK delivered one segment");
	RUN({20, '<', {".", 1, 1, 0, 0, PEER_TS(1010)}}, {20, '>', {".", SEG(0), 1, 1448, 0, "*"}});
	cr_assert_eq(ext()->TCPRenoRecovery, 1);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
	cr_assert_eq(tp->cong.snd_ssthresh, 7);
	cr_assert_eq(tp->cong.snd_cwnd, 3);
	cr_assert_eq(tp->sacked_out, 3);
	cr_assert_eq(tp->lost_out, 1);
	return tp;
}

/*
 * The ACK of everything sent before the episode (high_seq) echoes the
 * originals' timestamp: the resend was needless and the episode is undone
 * (tcp_try_undo_recovery: TCPFullUndo, ssthresh as before). But without
 * SACK the state is held until something above high_seq is acked, so the
 * window still follows PRR on this ACK: 0 in flight + 4 (delivered 4 in
 * all, 1 resent, +1 as snd_una moved). The next ACK ends it, with no
 * reduction left to apply.
 */
Test(tcp_script, reno_recovery_is_undone_by_the_echo_and_held_at_high_seq)
{
	struct tcp_sock *tp = reno_fast_retransmit();

	RUN({30, '<', {".", 1, SEG(6), 0, 0, PEER_TS(1010)}});
	cr_assert_eq(ext()->TCPFullUndo, 1);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery, "held until past high_seq");
	cr_assert_eq(tp->cong.snd_ssthresh, 0x7fffffffu, "ssthresh as before the episode");
	cr_assert_eq(tp->cong.snd_cwnd, 4, "PRR while held");
	cr_assert_eq(tp->cong.prr_delivered, 4);
	cr_assert_eq(send_bytes(tp->inet.sk.sk_socket, 1448), 1448);
	RUN({30, '>', {"P.", SEG(6), 1, 1448, 0, "*"}},
	    {40, '<', {".", 1, SEG(7), 0, 0, PEER_TS(1030)}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open);
	cr_assert_eq(tp->cong.snd_ssthresh, 0x7fffffffu);
	cr_assert_eq(tp->cong.snd_cwnd, 4, "no reduction to end: it was undone");
	cr_assert_eq(ext()->TCPFullUndo, 1);
	cr_assert_eq(tp->total_retrans, 1);
}

/*
 * The same ACK echoing the resend: it was needed, no undo. The state is
 * held at high_seq; three duplicate ACKs of it (drawn by the resend and
 * what followed) start no new episode (RFC 6582 3.2: no false fast
 * retransmit); the first ACK above high_seq ends the episode at ssthresh.
 */
Test(tcp_script, reno_holds_recovery_until_past_high_seq)
{
	struct tcp_sock *tp = reno_fast_retransmit();
	struct socket *c = tp->inet.sk.sk_socket;

	RUN({30, '<', {".", 1, SEG(6), 0, 0, PEER_TS(1020)}});
	cr_assert_eq(ext()->TCPFullUndo, 0);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
	cr_assert_eq(tp->cong.snd_ssthresh, 7);
	cr_assert_eq(tp->cong.snd_cwnd, 4, "PRR: 0 in flight + 4");
	cr_assert_eq(send_bytes(c, 2 * 1448), 2 * 1448);
	RUN({30, '>', {".", SEG(6), 1, 1448, 0, "*"}}, {30, '>', {"P.", SEG(7), 1, 1448, 0, "*"}},
	    {35, '<', {".", 1, SEG(6), 0, 0, PEER_TS(1030)}},
	    {35, '<', {".", 1, SEG(6), 0, 0, PEER_TS(1030)}},
	    {35, '<', {".", 1, SEG(6), 0, 0, PEER_TS(1030)}});
	cr_assert_eq(ext()->TCPRenoRecovery, 1, "no new episode at high_seq");
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
	cr_assert_eq(tp->sacked_out, 0);
	RUN({40, '<', {".", 1, SEG(8), 0, 0, PEER_TS(1030)}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open);
	cr_assert_eq(tp->cong.snd_cwnd, 7, "the reduction ends at ssthresh");
	cr_assert(tcpscript_quiet_until(sc, 2000), "%s", sc->err);
	cr_assert_eq(tp->total_retrans, 1);
}

/*
 * A partial ACK echoing the originals (tcp_try_undo_partial, for Reno too):
 * the hole was filled by its late original, no resend is left in flight,
 * so the reduction is undone (TCPPartialUndo) and nothing more is resent;
 * the path reordered by the four segments the ACK covers (TCPTSReorder).
 * NewReno without the undo would take the next segment for lost.
 */
Test(tcp_script, reno_partial_ack_echoing_the_original_undoes_the_recovery)
{
	struct tcp_sock *tp = reno_fast_retransmit();

	RUN({22, '<', {".", 1, SEG(4), 0, 0, PEER_TS(1010)}});
	cr_assert_eq(ext()->TCPPartialUndo, 1);
	cr_assert_eq(ext()->TCPTSReorder, 1);
	cr_assert_eq(tp->reordering, 4);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open);
	cr_assert_eq(tp->cong.snd_ssthresh, 0x7fffffffu, "ssthresh as before the episode");
	cr_assert_eq(tp->lost_out, 0);
	cr_assert_eq(tp->sacked_out, 0);
	RUN({30, '<', {".", 1, SEG(6), 0, 0, PEER_TS(1010)}});
	cr_assert(tcpscript_quiet_until(sc, 2000), "nothing resent: %s", sc->err);
	cr_assert_eq(tp->total_retrans, 1);
	cr_assert_eq(ext()->TCPFullUndo, 0);
}

/*
 * A partial ACK echoing the resend: NewReno's next hole, the head, goes at
 * once (RFC 6582), and the episode stays.
 */
Test(tcp_script, reno_partial_ack_echoing_the_resend_resends_the_next_hole)
{
	struct tcp_sock *tp = reno_fast_retransmit();

	RUN({22, '<', {".", 1, SEG(4), 0, 0, PEER_TS(1020)}},
	    {22, '>', {".", SEG(4), 1, 1448, 0, "*"}});
	cr_assert_eq(ext()->TCPPartialUndo, 0);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
	cr_assert_eq(tp->cong.snd_ssthresh, 7);
}

/*
 * More duplicate ACKs than segments in flight less the hole
 * (tcp_check_reno_reordering): segments were reordered, not lost. Three
 * segments out, three duplicates: the count stops at two, the reordering
 * grows to the flight (TCPRenoReorder), and DupThresh is not reached.
 */
Test(tcp_script, reno_more_duplicates_than_the_flight_is_reordering)
{
	struct socket *c = established_reno();
	struct tcp_sock *tp = tcp_sk(c->sk);

	cr_assert_eq(send_bytes(c, 3 * 1448), 3 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {10, '>', {"P.", SEG(2), 1, 1448, 0, "*"}}, {15, '<', {".", 1, 1, 0, 0, PEER_TS(1010)}},
	    {20, '<', {".", 1, 1, 0, 0, PEER_TS(1010)}},
	    {20, '<', {".", 1, 1, 0, 0, PEER_TS(1010)}},
	    {20, '<', {".", 1, 1, 0, 0, PEER_TS(1010)}});
	cr_assert_eq(ext()->TCPRenoReorder, 1);
	cr_assert_eq(tp->sacked_out, 2);
	cr_assert_eq(tp->reordering, 3);
	cr_assert_eq(ext()->TCPRenoRecovery, 0);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Disorder);
	RUN({25, '<', {".", 1, SEG(3), 0, 0, PEER_TS(1010)}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open);
	cr_assert_eq(tp->total_retrans, 0);
}

/* A timeout during a Reno recovery: the recovery failed (TCPRenoRecoveryFail). */
Test(tcp_script, reno_timeout_in_recovery_counts_a_failed_recovery)
{
	struct tcp_sock *tp = reno_fast_retransmit();
	uint64_t rto = tp->rto / NSEC_PER_MSEC;

	RUN({20 + rto, '>', {".", SEG(0), 1, 1448, 0, "*"}});
	cr_assert_eq(ext()->TCPRenoRecoveryFail, 1);
	cr_assert_eq(ext()->TCPTimeouts, 1);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Loss);
}

static void set_quickack(struct socket *s, int val)
{
	cr_assert_eq(s->ops->setsockopt(s, SOL_TCP, TCP_QUICKACK, &val, sizeof(val)), 0);
}

static int get_quickack(struct socket *s)
{
	int val = -1, len = sizeof(val);

	cr_assert_eq(s->ops->getsockopt(s, SOL_TCP, TCP_QUICKACK, &val, &len), 0);
	return val;
}

/*
 * TCP_QUICKACK as the kernel's: 0 (pingpong) delays the ACK by the 40 ms
 * ATO even while quick-ACK credit is left from the start of the connection;
 * the delayed ACK going out on its timer (no data of ours carried it) ends
 * pingpong mode. 1 with an ACK owed and the data read sends it at once.
 */
Test(tcp_script, quickack_option_delays_then_flushes_the_ack)
{
	struct socket *c = established();
	char buf[512];

	cr_assert_eq(get_quickack(c), 1);
	set_quickack(c, 0);
	cr_assert_eq(get_quickack(c), 0);
	RUN({20, '<', {"P.", 1, 1, 100, 0, "nop,nop,TS val 5010 ecr 1010"}},
	    {60, '>', {".", 1, 101, 0, 0, "nop,nop,TS val now ecr 5010"}});
	cr_assert_gt(tcp_sk(c->sk)->ack.quick, 0, "the first data gave quick-ACK credit");
	cr_assert_eq(get_quickack(c), 1, "the delayed ACK timer left pingpong mode");
	RUN({80, '<', {"P.", 101, 1, 100, 0, "nop,nop,TS val 5020 ecr 1010"}},
	    {80, '>', {".", 1, 201, 0, 0, "nop,nop,TS val now ecr 5020"}});
	/* Delayed again; read before the flush: an ACK owed over unread data waits. */
	set_quickack(c, 0);
	RUN({100, '<', {"P.", 201, 1, 100, 0, "nop,nop,TS val 5030 ecr 1010"}});
	cr_assert_eq(twostack_recvfrom(c, buf, sizeof(buf), 0, NULL), 300);
	set_quickack(c, 1);
	cr_assert_eq(get_quickack(c), 1);
	RUN({100, '>', {".", 1, 301, 0, 0, "nop,nop,TS val now ecr 5030"}});
	cr_assert(tcpscript_quiet_until(sc, 200), "%s", sc->err);
}

/*
 * Data after an idle period longer than the RTO earns quick-ACK credit
 * again (tcp_event_data_recv's tcp_incr_quickack), but an interactive
 * connection stays interactive: pingpong mode holds the ACK for the
 * delayed-ACK timer, as the kernel's. (Before: the idle rule left pingpong
 * mode and the ACK went at once.)
 */
Test(tcp_script, idle_data_keeps_an_interactive_connection_delaying)
{
	struct socket *c = established();

	set_quickack(c, 0);
	RUN({20, '<', {"P.", 1, 1, 100, 0, "nop,nop,TS val 5010 ecr 1010"}});
	/* The reply carries the ACK: still interactive. */
	cr_assert_eq(send_bytes(c, 100), 100);
	RUN({20, '>', {"P.", 1, 101, 100, 0, "nop,nop,TS val now ecr 5010"}},
	    {30, '<', {".", 101, 101, 0, 0, "nop,nop,TS val 5020 ecr 1020"}});
	cr_assert_eq(get_quickack(c), 0);
	/* A second later, far past the RTO. */
	RUN({1030, '<', {"P.", 101, 101, 100, 0, "nop,nop,TS val 6020 ecr 1020"}});
	cr_assert(tcpscript_quiet_until(sc, 1069), "%s", sc->err);
	RUN({1070, '>', {".", 101, 201, 0, 0, "nop,nop,TS val now ecr 6020"}});
	cr_assert_gt(tcp_sk(c->sk)->ack.quick, 0, "the idle period gave credit");
}

/*
 * __tcp_ack_snd_check: more than one full segment unacknowledged sends an
 * ACK at once only when its window's right edge would not move back (the
 * free space still covers the window offered) or SO_RCVLOWAT is not met
 * yet. Data left unread shrinks the free space, so the ACK waits for the
 * owner's read (tcp_cleanup_rbuf) or the delayed-ACK timer (TCP_ATO_MIN,
 * 40 ms): a bulk receiver ACKs per read, not per two segments.
 */
Test(tcp_script, full_segments_unread_ack_at_the_read_or_the_delack_timer)
{
	struct socket *c = established();
	int lowat = 8192;
	char buf[8192];

	/*
	 * The connection's quick-ACK credit used up, its peer's segment size
	 * known and its window grown as far as the buffer goes (tcp_grow_window
	 * gives no quick ACK then).
	 */
	tcp_sk(c->sk)->ack.quick = 0;
	tcp_sk(c->sk)->ack.ato = TCP_ATO_MIN; /* data came before: no first-data credit */
	tcp_sk(c->sk)->ack.rcv_mss = 1448;
	tcp_sk(c->sk)->rcv_ssthresh = (uint32_t)tcp_full_space(c->sk);
	RUN({20, '<', {".", 1, 1, 1448, 0, "nop,nop,TS val 5010 ecr 1010"}},
	    {20, '<', {".", 1449, 1, 1448, 0, "nop,nop,TS val 5010 ecr 1010"}});
	cr_assert(tcpscript_quiet_until(sc, 59), "%s", sc->err);
	RUN({60, '>', {".", 1, 2897, 0, 0, "nop,nop,TS val now ecr 5010"}});

	/* Two more, read at 90 ms: the read sends the ACK owed. */
	RUN({80, '<', {".", 2897, 1, 1448, 0, "nop,nop,TS val 5020 ecr 1060"}},
	    {80, '<', {".", 4345, 1, 1448, 0, "nop,nop,TS val 5020 ecr 1060"}});
	cr_assert(tcpscript_quiet_until(sc, 90), "%s", sc->err);
	cr_assert_eq(twostack_recvfrom(c, buf, sizeof(buf), 0, NULL), 5792);
	RUN({90, '>', {".", 1, 5793, 0, 0, "nop,nop,TS val now ecr 5020"}});

	/* Below SO_RCVLOWAT the reader is not woken: the ACK goes at once. */
	cr_assert_eq(c->ops->setsockopt(c, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)), 0);
	RUN({100, '<', {".", 5793, 1, 1448, 0, "nop,nop,TS val 5030 ecr 1090"}},
	    {100, '<', {".", 7241, 1, 1448, 0, "nop,nop,TS val 5030 ecr 1090"}},
	    {100, '>', {".", 1, 8689, 0, 0, "nop,nop,TS val now ecr 5030"}});
	cr_assert(tcpscript_quiet_until(sc, 200), "%s", sc->err);
}

/* ---- TSO deferral (tcp_tso_should_defer) ---- */

/*
 * Ten segments in flight at a window held at 10 (snd_cwnd_clamp), ten more
 * queued; the pacing rate (2 x 10 segments per 10 ms) makes frames of two
 * segments (max_segs). Each ACK of one segment makes one segment of room.
 */
static struct socket *window_full_of_ten(int nodelay)
{
	struct socket *c = established();

	tcp_sk(c->sk)->cong.snd_cwnd_clamp = 10;
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_NODELAY, &nodelay, sizeof(nodelay)), 0);
	cr_assert_eq(send_bytes(c, 10 * 1448), 10 * 1448);
	cr_assert_eq(send_bytes(c, 10 * 1448), 10 * 1448);
	ten_segments_at_10ms();
	return c;
}

/*
 * The first ACK's one segment of room goes at once: nothing was sent for
 * 10 ms (a deferral then would only make a burst later). The second's,
 * right after a send, is held: less than a two-segment frame, under a
 * third of the window, and the next ACK is due now (the oldest segment
 * left 10 ms ago, srtt 10 ms). The third ACK's room takes a whole frame.
 * The kernel's rule takes no account of TCP_NODELAY.
 */
static void cwnd_limited_run_waits_for_room(int nodelay)
{
	struct tcp_sock *tp = tcp_sk(window_full_of_ten(nodelay)->sk);

	RUN({20, '<', {".", 1, SEG(1), 0, 0, "nop,nop,TS val 5002 ecr 1010"}},
	    {20, '>', {".", SEG(10), 1, 1448, 0, "*"}},
	    {20, '<', {".", 1, SEG(2), 0, 0, "nop,nop,TS val 5002 ecr 1010"}});
	cr_assert_eq(tcp_packets_in_flight(tp), 9);
	cr_assert(tp->cong.is_cwnd_limited, "held back for the window: the window is the limit");
	RUN({20, '<', {".", 1, SEG(3), 0, 0, "nop,nop,TS val 5002 ecr 1010"}},
	    {20, '>', {".", SEG(11), 1, 1448, 0, "*"}}, {20, '>', {".", SEG(12), 1, 1448, 0, "*"}});
	cr_assert_eq(tcp_packets_in_flight(tp), 10);
}

Test(tcp_script, tso_defer_holds_a_cwnd_limited_run_until_an_ack_makes_room)
{
	cwnd_limited_run_waits_for_room(0);
}

Test(tcp_script, tso_defer_holds_the_run_with_tcp_nodelay_too)
{
	cwnd_limited_run_waits_for_room(1);
}

/*
 * The frame the deferral waits for is tcp_min_tso_segs segments at this
 * rate (about one segment a millisecond): after the first ACK's one
 * segment, the second ACK's two segments of room, under a third of the
 * window, go with the default 2 and are held with 4 (read at use, as
 * tcp_tso_autosize reads the namespace's sysctl).
 */
static void two_segments_of_room(int min_tso_segs, bool sent)
{
	struct tcpscript_step steps[] = {
		{20, '<', {".", 1, SEG(1), 0, 0, "nop,nop,TS val 5002 ecr 1010"}},
		{20, '>', {".", SEG(10), 1, 1448, 0, "*"}},
		{20, '<', {".", 1, SEG(3), 0, 0, "nop,nop,TS val 5002 ecr 1010"}},
		{20, '>', {".", SEG(11), 1, 1448, 0, "*"}},
		{20, '>', {".", SEG(12), 1, 1448, 0, "*"}},
		{0},
	};
	struct tcp_sock *tp = tcp_sk(window_full_of_ten(0)->sk);

	stack_sysctl()->tcp_min_tso_segs = min_tso_segs;
	if (!sent)
		steps[3] = (struct tcpscript_step){0};
	cr_assert(tcpscript_run(sc, steps), "%s", sc->err);
	cr_assert_eq(tcp_packets_in_flight(tp), sent ? 10 : 8);
	cr_assert_eq(tp->cong.is_cwnd_limited, !sent);
}

Test(tcp_script, tso_defer_sends_two_segments_with_min_tso_segs_2)
{
	two_segments_of_room(2, true);
}

Test(tcp_script, tso_defer_holds_two_segments_with_min_tso_segs_4)
{
	two_segments_of_room(4, false);
}

/*
 * Once a TCP-MD5 key turned GSO off, the kernel's skbs are one MSS each
 * (no GSO size, so the size goal is the MSS): nothing is held back.
 */
Test(tcp_script, tso_defer_holds_nothing_once_md5_turned_gso_off)
{
	struct tcp_sock *tp = tcp_sk(window_full_of_ten(0)->sk);

	tp->md5_gso_off = 1; /* what adding a key does (sk_gso_disable) */
	RUN({20, '<', {".", 1, SEG(1), 0, 0, "nop,nop,TS val 5002 ecr 1010"}},
	    {20, '>', {".", SEG(10), 1, 1448, 0, "*"}},
	    {20, '<', {".", 1, SEG(2), 0, 0, "nop,nop,TS val 5002 ecr 1010"}},
	    {20, '>', {".", SEG(11), 1, 1448, 0, "*"}});
	cr_assert(!tp->cong.is_cwnd_limited);
}

/*
 * Peer ACKs coming 5 ms after the sends pull srtt below 10 ms: the next
 * ACK, the oldest segment's, is due more than min(srtt / 2, 1 ms) from
 * now, so the one segment of room goes rather than wait for it.
 */
Test(tcp_script, tso_defer_sends_when_the_next_ack_is_not_due_soon)
{
	struct tcp_sock *tp = tcp_sk(window_full_of_ten(0)->sk);

	RUN({15, '<', {".", 1, SEG(1), 0, 0, "nop,nop,TS val 5002 ecr 1010"}},
	    {15, '>', {".", SEG(10), 1, 1448, 0, "*"}},
	    {15, '<', {".", 1, SEG(2), 0, 0, "nop,nop,TS val 5002 ecr 1010"}},
	    {15, '>', {".", SEG(11), 1, 1448, 0, "*"}});
	cr_assert(!tp->cong.is_cwnd_limited);
}

/*
 * A window held at 3: one segment of room is a third of it. With
 * tcp_tso_win_divisor 3 (the default) that is enough to go; with 0 the
 * rule is more than three segments of room, and it waits for the ACK due.
 */
static void window_of_three_one_segment_room(int divisor, bool sent)
{
	struct tcpscript_step steps[] = {
		{10, '>', {".", SEG(0), 1, 1448, 0, "*"}},
		{10, '>', {".", SEG(1), 1, 1448, 0, "*"}},
		{10, '>', {".", SEG(2), 1, 1448, 0, "*"}},
		{20, '<', {".", 1, SEG(1), 0, 0, "nop,nop,TS val 5002 ecr 1010"}},
		{20, '>', {".", SEG(3), 1, 1448, 0, "*"}},
		{20, '<', {".", 1, SEG(2), 0, 0, "nop,nop,TS val 5002 ecr 1010"}},
		{20, '>', {".", SEG(4), 1, 1448, 0, "*"}}, /* the room's segment, if it goes */
		{0},
	};
	struct socket *c;

	stack_sysctl()->tcp_tso_win_divisor = divisor;
	c = established();
	tcp_sk(c->sk)->cong.snd_cwnd = tcp_sk(c->sk)->cong.snd_cwnd_clamp = 3;
	cr_assert_eq(send_bytes(c, 8 * 1448), 8 * 1448);
	if (!sent)
		steps[6] = (struct tcpscript_step){0};
	cr_assert(tcpscript_run(sc, steps), "%s", sc->err);
	cr_assert_eq(tcp_packets_in_flight(tcp_sk(c->sk)), sent ? 3 : 2);
}

Test(tcp_script, tso_win_divisor_3_sends_a_third_of_the_window)
{
	window_of_three_one_segment_room(3, true);
}

Test(tcp_script, tso_win_divisor_0_holds_three_segments_or_less)
{
	window_of_three_one_segment_room(0, false);
}

/*
 * The SACKs of a lost segment 0, as in prr_sends_in_proportion_during_recovery
 * but with the default tcp_tso_win_divisor: before recovery the second
 * SACK's one segment of room is held (the first's goes, 10 ms after the
 * last send), so in recovery one segment fewer is in flight: the SACK at
 * 21 ms finds it at ssthresh (PRR sends nothing), the next ones send one
 * each (PRR-CRB), the held segment first.
 */
Test(tcp_script, tso_defer_before_recovery_leaves_prr_one_segment_less)
{
	struct tcp_sock *tp = first_sack_of_lost_segment_zero();

	RUN({20, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:4345")}},
	    {20, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:5793")}},
	    {20, '>', {".", SEG(0), 1, 1448, 0, "*"}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
	RUN({21, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:7241")}},
	    {22, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:8689")}},
	    {22, '>', {".", SEG(11), 1, 1448, 0, "*"}},
	    {22, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:10137")}},
	    {22, '>', {".", SEG(12), 1, 1448, 0, "*"}});
}

/* ---- TCP_INFO's chronograph (tcp_chrono_start/stop) ---- */

static struct tcp_info chrono_info(struct socket *s)
{
	struct tcp_info ti;
	int len = sizeof(ti);

	cr_assert_eq(s->ops->getsockopt(s, SOL_TCP, TCP_INFO, &ti, &len), 0);
	return ti;
}

/*
 * t ms in microseconds, as the kernel counts it: whole jiffies of 4 ms, so
 * within one of t; none at all for 0.
 */
static void assert_chrono(uint64_t got, uint64_t t_ms, const char *what)
{
	cr_assert(got % 4000 == 0, "%s %llu: whole jiffies", what, (unsigned long long)got);
	cr_assert(t_ms ? got + 4000 >= t_ms * 1000 && got <= t_ms * 1000 + 4000 : !got,
		  "%s %llu, not about %llu ms", what, (unsigned long long)got,
		  (unsigned long long)t_ms);
}

/* Once the connection has idled until 500 ms: the three times, about these. */
static void assert_chronos_at_rest(struct socket *s, uint64_t busy_ms, uint64_t rwnd_ms,
				   uint64_t sndbuf_ms)
{
	struct tcp_info ti;

	cr_assert(tcpscript_quiet_until(sc, 500), "%s", sc->err);
	ti = chrono_info(s);
	assert_chrono(ti.tcpi_busy_time, busy_ms, "busy");
	assert_chrono(ti.tcpi_rwnd_limited, rwnd_ms, "rwnd_limited");
	assert_chrono(ti.tcpi_sndbuf_limited, sndbuf_ms, "sndbuf_limited");
}

/*
 * Busy: from the write that queued data (10 ms) until the ACK of all of it
 * (20 ms); then the clock stops, however long the connection idles.
 */
Test(tcp_script, chrono_busy_while_data_is_out)
{
	struct socket *c = established();

	cr_assert_eq(chrono_info(c).tcpi_busy_time, 0);
	cr_assert_eq(send_bytes(c, 2 * 1448), 2 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {"P.", SEG(1), 1, 1448, 0, "*"}},
	    {20, '<', {".", 1, SEG(2), 0, 0, "nop,nop,TS val 5001 ecr 1010"}});
	assert_chronos_at_rest(c, 10, 0, 0);
}

/*
 * Rwnd-limited: the peer's ACK at 20 ms closes its window, and what the
 * owner writes then waits for it (from 20 ms) until the window opens at
 * 70 ms; busy counts both, and runs on until the ACK at 80 ms.
 */
Test(tcp_script, chrono_rwnd_limited_while_the_peer_window_is_shut)
{
	struct socket *c = established();

	cr_assert_eq(send_bytes(c, 2 * 1448), 2 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {"P.", SEG(1), 1, 1448, 0, "*"}},
	    {20, '<', {".", 1, SEG(2), 0, TCPSCRIPT_WIN_ZERO, "nop,nop,TS val 5001 ecr 1010"}});
	cr_assert_eq(send_bytes(c, 1448), 1448);
	cr_assert(tcpscript_quiet_until(sc, 70), "%s", sc->err);
	assert_chrono(chrono_info(c).tcpi_rwnd_limited, 50, "rwnd_limited while shut");
	RUN({70, '<', {".", 1, SEG(2), 0, 0, "nop,nop,TS val 5002 ecr 1010"}},
	    {70, '>', {"P.", SEG(2), 1, 1448, 0, "*"}},
	    {80, '<', {".", 1, SEG(3), 0, 0, "nop,nop,TS val 5003 ecr 1070"}});
	assert_chronos_at_rest(c, 70, 50, 0);
}

/*
 * Sndbuf-limited: with SO_SNDBUF at its least (4,608 bytes) a write of
 * eight segments queues four, all of which go at once: the window is not
 * the limit, the owner waits for buffer (SOCK_NOSPACE) from 10 ms until
 * the ACK at 20 ms frees it all.
 */
Test(tcp_script, chrono_sndbuf_limited_while_the_owner_waits_for_buffer)
{
	struct socket *c = established();
	int one = 1;

	cr_assert_eq(c->ops->setsockopt(c, SOL_SOCKET, SO_SNDBUF, &one, sizeof(one)), 0);
	cr_assert_eq(send_bytes(c, 8 * 1448), 4 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(2), 1, 1448, 0, "*"}}, {10, '>', {"P.", SEG(3), 1, 1448, 0, "*"}},
	    {20, '<', {".", 1, SEG(4), 0, 0, "nop,nop,TS val 5001 ecr 1010"}});
	assert_chronos_at_rest(c, 10, 0, 10);
}
