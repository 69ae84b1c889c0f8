// SPDX-License-Identifier: MIT
/*
 * Packetization-layer path MTU discovery (tcp_mtu_probing = 2) between two
 * stacks on the in-memory wire, side 0 sending through a black hole: every
 * frame it sends with an IP packet longer than HOLE bytes is dropped, and
 * no ICMP says so. The search must end between tcp_base_mss's MTU and the
 * hole; and as the kernel's, a probe that is still out when anything is
 * sent again (here the RTO's resend during an outage) ends inconclusive
 * (__tcp_retransmit_skb): neither bound moves, so the ACK that later covers
 * its resent bytes is not taken for the probe's success.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "helper_twostack.h"
#include "tcp.h"

#define PORT 5100
#define HOLE 1200u /* the largest IP packet the path passes */
/* The largest MSS through the hole: its MTU less IP, TCP and the timestamp option. */
#define HOLE_MSS (HOLE - 20u - 20u - 12u)
#define LEN	 (2u << 20)

static struct twostack *ts;
static struct socket *sk[3];
static unsigned int dropped[64], ndropped; /* IP lengths of the frames the hole took */
static uint64_t outage_ns; /* after the hole's first drop, side 0 loses all for this long */
static uint64_t outage_end;

static int black_hole(void *arg, int side, const uint8_t *f, unsigned int len)
{
	const uint8_t *ip = f + 14;
	unsigned int tot;

	(void)arg;
	if (side != 0 || len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00)
		return 1;
	if (outage_end && ts->now < outage_end)
		return 0;
	tot = (unsigned int)(ip[2] << 8 | ip[3]);
	if (tot <= HOLE)
		return 1;
	if (ndropped < 64)
		dropped[ndropped++] = tot;
	if (outage_ns && !outage_end)
		outage_end = ts->now + outage_ns;
	return 0;
}

static void setup(void)
{
	ts = twostack_create(&(struct mem_link_impair){.delay_ns = 2 * NSEC_PER_MSEC});
	cr_assert_not_null(ts);
	for (int i = 0; i < 2; i++) {
		ts->net[i].sysctl.tcp_timestamps = 1;
		ts->net[i].sysctl.tcp_sack = 1;
		ts->net[i].sysctl.tcp_window_scaling = 1;
	}
	ts->net[0].sysctl.tcp_mtu_probing = 2;
	memset(sk, 0, sizeof(sk));
	ndropped = 0;
	outage_ns = outage_end = 0;
	mem_link_set_filter(ts->link, black_hole, NULL);
}

static void teardown(void)
{
	twostack_tcp_pair_release(sk);
	twostack_destroy(ts);
	skb_cache_drain();
}

TestSuite(tcp_mtu_probe, .init = setup, .fini = teardown);

/*
 * Sends LEN bytes from the client (side 0) to the server, 1 ms of virtual
 * time per round, until all arrived intact or a minute passed; returns the
 * largest send MSS seen on the way.
 */
static unsigned int upload(void)
{
	static uint8_t src[LEN], dst[LEN];
	struct tcp_sock *tp;
	uint64_t deadline;
	size_t sent = 0, got = 0;
	unsigned int max_mss = 0;

	for (size_t i = 0; i < LEN; i++)
		src[i] = (uint8_t)(i * 31 + 7);
	cr_assert_eq(twostack_tcp_pair(ts, PORT, sk), 0);
	tp = tcp_sk(sk[1]->sk);
	deadline = ts->now + 60 * NSEC_PER_SEC;
	while (got < LEN && ts->now < deadline) {
		struct iovec iov = {.iov_base = src + sent, .iov_len = LEN - sent};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_flags = MSG_DONTWAIT};
		int n;

		if (sent < LEN && (n = sk[1]->ops->sendmsg(sk[1], &m, LEN - sent)) > 0)
			sent += (size_t)n;
		do {
			iov = (struct iovec){.iov_base = dst + got, .iov_len = LEN - got};
			m = (struct msghdr){.msg_iov = &iov, .msg_iovlen = 1};
			n = sk[2]->ops->recvmsg(sk[2], &m, LEN - got, MSG_DONTWAIT);
			if (n > 0)
				got += (size_t)n;
		} while (n > 0);
		if (tp->mss_cache > max_mss)
			max_mss = tp->mss_cache;
		twostack_run_for(ts, NSEC_PER_MSEC);
	}
	cr_assert_eq(got, LEN, "only %zu of %u bytes arrived", got, LEN);
	cr_assert_eq(memcmp(src, dst, LEN), 0);
	return max_mss;
}

Test(tcp_mtu_probe, the_search_ends_below_the_hole)
{
	const struct tcpext_mib *mib = &ts->net[0].mib.tcpext;
	unsigned int max_mss = upload(), mss = tcp_sk(sk[1]->sk)->mss_cache;

	/* The connection starts at the base MSS, so nothing above it before a probe passed. */
	cr_assert_leq(max_mss, HOLE_MSS);
	cr_assert(mss > 1024 && mss <= HOLE_MSS, "the search ended at MSS %u", mss);
	cr_assert_gt(mib->TCPMTUPFail, 0);
	cr_assert_gt(mib->TCPMTUPSuccess, 0);
	cr_assert_gt(ndropped, 0);
}

Test(tcp_mtu_probe, a_resend_while_the_probe_is_out_leaves_it_inconclusive)
{
	const struct tcpext_mib *mib = &ts->net[0].mib.tcpext;
	unsigned int max_mss, mss;

	/* The first probe and everything after it for 300 ms is lost: the RTO resends the head. */
	outage_ns = 300 * NSEC_PER_MSEC;
	max_mss = upload();
	mss = tcp_sk(sk[1]->sk)->mss_cache;
	cr_assert_geq(ndropped, 2);
	/* Neither bound moved: the next probe (the hole's next drop) is the same size. */
	cr_assert_eq(dropped[1], dropped[0], "probes of %u then %u bytes", dropped[0], dropped[1]);
	cr_assert_leq(max_mss, HOLE_MSS, "the lost probe was taken for a success (MSS %u)",
		      max_mss);
	cr_assert(mss > 1024 && mss <= HOLE_MSS, "the search ended at MSS %u", mss);
	cr_assert_gt(mib->TCPTimeouts, 0);
}
