// SPDX-License-Identifier: MIT
/*
 * Where the kernel's tcp_sendmsg stops a write that begins on an idle
 * connection (tcp_sendmsg_write_end), against a scripted peer
 * (helper_tcpscript): it fills skbs to the size goal, the largest GSO
 * frame within half the peer's largest window, and sends the first one at
 * once when full (tcp_push_one) as far as the congestion window lets it,
 * refilling the unsent rest to the goal before it opens the next. The
 * figures are the kernel's for a fresh connection's first non-blocking
 * send of 100 KiB (test_sndbuf_bound.sh): 78,192 bytes with its autotuned
 * buffer, 46,336 with SO_SNDBUF 4096.
 */
#include <criterion/criterion.h>

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

TestSuite(tcp_sendmsg_bound, .init = setup, .fini = teardown);

/* A connection whose peer offers 65,535 bytes (size goal 22 segments of 1,448). */
static struct sock *connected(void)
{
	struct socket *s = tcpscript_connect(sc, 0);

	cr_assert_not_null(s);
	TCPSCRIPT_RUN(
		sc, {0, '>', {"S", 0, 0, 0, 0, "*"}},
		{10, '<', {"S.", 0, 1, 0, 0, "mss 1460,sackOK,TS val 5000 ecr 1000,nop,wscale 7"}},
		{10, '>', {".", 1, 1, 0, 0, "*"}});
	cr_assert_eq(tcp_sk(s->sk)->mss_cache, 1448);
	cr_assert_eq(tcp_sk(s->sk)->cong.snd_cwnd, 10);
	return s->sk;
}

/*
 * The first skb fills to 31,856 bytes and sends ten segments (14,480);
 * its rest is filled to the goal again (to 46,336), and the next skb,
 * opened below a bound of 69,120, ends at 78,192.
 */
Test(tcp_sendmsg_bound, the_first_skbs_send_moves_the_grid)
{
	struct sock *sk = connected();
	uint32_t start = tcp_sk(sk)->write_seq;

	cr_expect_eq(tcp_sendmsg_write_end(sk, 69120) - start, 78192);
}

/* A bound below the first skb: the write still fills it and its refilled rest. */
Test(tcp_sendmsg_bound, a_small_bound_takes_the_first_skb_and_its_rest)
{
	struct sock *sk = connected();
	uint32_t start = tcp_sk(sk)->write_seq;

	cr_expect_eq(tcp_sendmsg_write_end(sk, 8192) - start, 46336);
	cr_expect_eq(tcp_sendmsg_write_end(sk, 1) - start, 46336);
}

/* Past the first skb's rest, whole skbs of the goal. */
Test(tcp_sendmsg_bound, past_the_rest_whole_skbs)
{
	struct sock *sk = connected();
	uint32_t start = tcp_sk(sk)->write_seq;

	cr_expect_eq(tcp_sendmsg_write_end(sk, 46336) - start, 46336);
	cr_expect_eq(tcp_sendmsg_write_end(sk, 46337) - start, 78192);
	cr_expect_eq(tcp_sendmsg_write_end(sk, 78193) - start, 110048);
}
