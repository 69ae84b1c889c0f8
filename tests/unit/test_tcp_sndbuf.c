// SPDX-License-Identifier: MIT
/*
 * The send buffer's autotuning rule (tcp_sndbuf_expand) against the
 * kernel's formula, on a connection of the in-memory link: room for two
 * congestion windows of segments (BBR: three), each segment charged what
 * the kernel's non-GSO skb for it costs (the larger of the SYN's MSS and
 * mss_cache, MAX_TCP_HEADER and skb_shared_info rounded up to a power of
 * two, and the sk_buff), the window taken as at least TCP_INIT_CWND and at
 * least the path's reordering and one more, the whole at most tcp_wmem[2];
 * it never shrinks the buffer, and SO_SNDBUF set by the owner stays.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "helper_twostack.h"
#include "inet.h"
#include "tcp.h"

#define PORT 7310

static struct twostack *ts;
static struct socket *socks[3];

static void setup(void)
{
	ts = twostack_create(NULL);
	cr_assert_not_null(ts);
	cr_assert_eq(twostack_tcp_pair(ts, PORT, socks), 0);
}

static void teardown(void)
{
	for (int i = 0; i < 3; i++)
		sock_release(socks[i]);
	twostack_run_idle(ts);
	twostack_destroy(ts);
	skb_cache_drain();
}

TestSuite(tcp_sndbuf, .init = setup, .fini = teardown);

/* The kernel's tcp_sndbuf_expand with x86-64's sizes, written out apart from the stack's. */
static long kernel_sndmem(uint32_t mss, uint32_t cwnd, uint32_t reordering, long factor, long wmem2)
{
	long per_mss = 1, nr_segs = cwnd, sndmem;

	while (per_mss < (long)mss + 256 /* MAX_TCP_HEADER */ + 320 /* skb_shared_info */)
		per_mss <<= 1;
	per_mss += 256; /* struct sk_buff */
	if (nr_segs < 10)
		nr_segs = 10;
	if (nr_segs < (long)reordering + 1)
		nr_segs = (long)reordering + 1;
	sndmem = factor * nr_segs * per_mss;
	return sndmem < wmem2 ? sndmem : wmem2;
}

static void use_cc(struct socket *c, const char *name)
{
	cr_assert_eq(c->ops->setsockopt(c, IPPROTO_TCP, TCP_CONGESTION, name, strlen(name)), 0);
}

/* The buffer tcp_sndbuf_expand gives c from a small one, with this window and reordering. */
static int expanded(struct socket *c, uint32_t cwnd, uint32_t reordering)
{
	struct tcp_sock *tp = tcp_sk(c->sk);

	tp->cong.snd_cwnd = cwnd;
	tp->reordering = reordering;
	c->sk->sk_sndbuf = 4096;
	tcp_sndbuf_expand(c->sk);
	return c->sk->sk_sndbuf;
}

Test(tcp_sndbuf, the_buffer_is_the_kernels_for_window_reordering_and_mss)
{
	static const struct {
		const char *cc;
		long factor;
	} ccs[] = {{"cubic", 2}, {"reno", 2}, {"bbr", 3}};
	static const uint32_t cwnds[] = {1, 10, 11, 40, 113, 1000, 100000};
	static const uint32_t reorders[] = {3, 9, 10, 40, 112, 300};
	struct socket *c = socks[1];
	struct tcp_sock *tp = tcp_sk(c->sk);
	long wmem2 = sock_net(c->sk)->sysctl.tcp_wmem[2];
	uint32_t mss;

	mss = tp->rx_opt.mss_clamp > tp->mss_cache ? tp->rx_opt.mss_clamp : tp->mss_cache;
	cr_assert_eq(mss, 1460, "the link's MSS: %u", mss);
	for (size_t k = 0; k < sizeof(ccs) / sizeof(ccs[0]); k++) {
		use_cc(c, ccs[k].cc);
		for (size_t i = 0; i < sizeof(cwnds) / sizeof(cwnds[0]); i++)
			for (size_t j = 0; j < sizeof(reorders) / sizeof(reorders[0]); j++)
				cr_assert_eq(expanded(c, cwnds[i], reorders[j]),
					     kernel_sndmem(mss, cwnds[i], reorders[j],
							   ccs[k].factor, wmem2),
					     "%s, cwnd %u, reordering %u", ccs[k].cc, cwnds[i],
					     reorders[j]);
	}
	/*
	 * This machine's kernel (BBR) at establishment: 69,120, and 781,056
	 * (113 segments) where the connection before to that peer had cached
	 * its reordering in tcp_metrics.
	 */
	use_cc(c, "bbr");
	cr_assert_eq(expanded(c, 10, 3), 69120);
	cr_assert_eq(expanded(c, 10, 112), 781056);
}

Test(tcp_sndbuf, it_never_shrinks_and_a_set_buffer_stays)
{
	struct socket *c = socks[1];
	int set = 8192;

	use_cc(c, "cubic");
	c->sk->sk_sndbuf = 1 << 20;
	tcp_sk(c->sk)->cong.snd_cwnd = 10;
	tcp_sndbuf_expand(c->sk);
	cr_assert_eq(c->sk->sk_sndbuf, 1 << 20);
	cr_assert_eq(c->ops->setsockopt(c, SOL_SOCKET, SO_SNDBUF, &set, sizeof(set)), 0);
	tcp_sk(c->sk)->cong.snd_cwnd = 1000;
	tcp_sk(c->sk)->reordering = 300;
	tcp_sndbuf_expand(c->sk);
	cr_assert_eq(c->sk->sk_sndbuf, 2 * set, "SO_SNDBUF (doubled) moved to %d",
		     c->sk->sk_sndbuf);
}
