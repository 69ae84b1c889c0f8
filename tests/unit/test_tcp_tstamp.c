// SPDX-License-Identifier: MIT
/*
 * TCP transmit stamps and MSG_ZEROCOPY completions (core/tcp_timestamping.c)
 * over the in-memory wire with a 1 ms delay each way:
 *
 * - a mark announced before the bytes reach the write queue lands on the
 *   segment holding the send's last byte: SCHED and SND when that segment
 *   leaves, ACK when the ACK covering it comes, keys counted from where
 *   OPT_ID was set, and the zerocopy id completes after the ACK stamp;
 * - a send that took less than announced ends earlier; one that took
 *   nothing gives its zerocopy id back;
 * - OPT_ID on a TCP socket without a sequence is EINVAL.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <string.h>

#include "helper_twostack.h"
#include "inet.h"
#include "ip.h"
#include "tcp.h"

#define PORT 7300

static struct twostack *ts;
static struct socket *socks[3];

static void setup(void)
{
	const struct mem_link_impair imp = {.delay_ns = NSEC_PER_MSEC};

	ts = twostack_create(&imp);
	cr_assert_not_null(ts);
	cr_assert_eq(twostack_tcp_pair(ts, PORT, socks), 0);
}

static void teardown(void)
{
	for (int i = 0; i < 3; i++)
		sock_release(socks[i]);
	/* Error-queue entries are no payload: closing gives back exactly the pages taken. */
	twostack_run_idle(ts);
	for (int i = 0; i < 2; i++)
		cr_expect_eq(ts->net[i].tcp_memory_allocated, 0, "side %d: %ld pages", i,
			     ts->net[i].tcp_memory_allocated);
	twostack_destroy(ts);
	skb_cache_drain();
}

TestSuite(tcp_tstamp, .init = setup, .fini = teardown);

/* The next error queue entry: its extended error (origin 0: none queued). */
static struct sock_extended_err next_entry(struct socket *sock)
{
	char buf[64], ctl[256];
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = ctl,
			     .msg_controllen = sizeof(ctl)};
	struct sock_extended_err ee = {0};

	if (sock->ops->recvmsg(sock, &msg, sizeof(buf), MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
		return ee;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR)
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
	return ee;
}

static void expect_stamp(struct socket *sock, uint32_t type, uint32_t key)
{
	struct sock_extended_err ee = next_entry(sock);

	cr_assert_eq(ee.ee_origin, SO_EE_ORIGIN_TIMESTAMPING, "a stamp (origin %u)", ee.ee_origin);
	cr_assert_eq(ee.ee_info, type, "type %u, expected %u", ee.ee_info, type);
	cr_assert_eq(ee.ee_data, key, "key %u, expected %u", ee.ee_data, key);
}

static void send_bytes(struct socket *sock, size_t len)
{
	static uint8_t buf[8192];

	cr_assert_eq(twostack_sendto(sock, buf, len, NULL), (int)len);
}

Test(tcp_tstamp, opt_id_needs_a_sequence)
{
	int err, flags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_OPT_ID;
	struct socket *s = twostack_socket(ts, 0, SOCK_STREAM, IPPROTO_TCP, &err);

	cr_assert_not_null(s);
	cr_assert_eq(s->ops->setsockopt(s, SOL_SOCKET, SO_TIMESTAMPING_OLD, &flags, sizeof(flags)),
		     -EINVAL);
	flags &= ~SOF_TIMESTAMPING_OPT_ID;
	cr_assert_eq(s->ops->setsockopt(s, SOL_SOCKET, SO_TIMESTAMPING_OLD, &flags, sizeof(flags)),
		     0);
	sock_release(s);
}

Test(tcp_tstamp, sched_snd_then_ack_then_completion)
{
	struct socket *c = socks[1];
	struct sock *sk = c->sk;
	int flags = SOF_TIMESTAMPING_TX_SCHED | SOF_TIMESTAMPING_TX_SOFTWARE |
		    SOF_TIMESTAMPING_TX_ACK | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
	uint32_t start = tcp_sk(sk)->write_seq;
	struct sock_extended_err ee;

	cr_assert_eq(c->ops->setsockopt(c, SOL_SOCKET, SO_TIMESTAMPING_OLD, &flags, sizeof(flags)),
		     0);
	/* Announced before the bytes come: 3000 bytes, three segments, the key on the last. */
	cr_assert_eq(tcp_tx_mark_add(sk, start + 3000, (uint32_t)flags & SOF_TX_RECORD_MASK, true),
		     0);
	cr_assert_eq(next_entry(c).ee_origin, 0, "nothing before the bytes");
	send_bytes(c, 3000);
	expect_stamp(c, SCM_TSTAMP_SCHED, 2999);
	expect_stamp(c, SCM_TSTAMP_SND, 2999);
	cr_assert_eq(next_entry(c).ee_origin, 0, "no ACK stamp before the ACK");
	twostack_run_for(ts, 5 * NSEC_PER_MSEC);
	expect_stamp(c, SCM_TSTAMP_ACK, 2999);
	ee = next_entry(c);
	cr_assert_eq(ee.ee_origin, SO_EE_ORIGIN_ZEROCOPY);
	cr_assert_eq(ee.ee_code, SO_EE_CODE_ZEROCOPY_COPIED);
	cr_assert_eq(ee.ee_info, 0);
	cr_assert_eq(ee.ee_data, 0);
	cr_assert_eq(next_entry(c).ee_origin, 0);
}

Test(tcp_tstamp, short_writes_and_no_write)
{
	struct socket *c = socks[1];
	struct sock *sk = c->sk;
	int flags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_OPT_ID |
		    SOF_TIMESTAMPING_OPT_TSONLY;
	uint32_t start = tcp_sk(sk)->write_seq;
	struct sock_extended_err ee;

	cr_assert_eq(c->ops->setsockopt(c, SOL_SOCKET, SO_TIMESTAMPING_OLD, &flags, sizeof(flags)),
		     0);
	/* A zerocopy send that took nothing: no id spent. */
	cr_assert_eq(tcp_tx_mark_add(sk, start + 100, 0, true), 0);
	tcp_tx_mark_fix(sk, start + 100, 100, 0);
	cr_assert_eq(tcp_sk(sk)->tx_marks_n, 0);
	/* 100 announced, 40 taken: the key is the 40th byte's, the id the first. */
	cr_assert_eq(tcp_tx_mark_add(sk, start + 100, SOF_TIMESTAMPING_TX_SOFTWARE, true), 0);
	send_bytes(c, 40);
	cr_assert_eq(next_entry(c).ee_origin, 0, "the mark waits for the 100th byte");
	tcp_tx_mark_fix(sk, start + 100, 100, 40);
	/* The segment had left already: its SND stamp is lost, its completion is not. */
	cr_assert_eq(tcp_sk(sk)->tx_marks_n, 0);
	twostack_run_for(ts, 5 * NSEC_PER_MSEC);
	ee = next_entry(c);
	cr_assert_eq(ee.ee_origin, SO_EE_ORIGIN_ZEROCOPY);
	cr_assert_eq(ee.ee_info, 0);
	cr_assert_eq(ee.ee_data, 0);
	/* Marked before its bytes arrive, the next send is stamped at the 90th byte after. */
	cr_assert_eq(tcp_tx_mark_add(sk, start + 130, SOF_TIMESTAMPING_TX_SOFTWARE, false), 0);
	send_bytes(c, 90);
	expect_stamp(c, SCM_TSTAMP_SND, 129);
}

/* The attributes of an OPT_STATS entry: (type, length) in order, and the value of type want. */
static int stats_walk(const uint8_t *p, size_t len, uint16_t want, uint64_t *val)
{
	int n = 0;

	for (size_t off = 0; off + 4 <= len; n++) {
		uint16_t alen, type;

		memcpy(&alen, p + off, 2);
		memcpy(&type, p + off + 2, 2);
		cr_assert_geq(alen, 4);
		cr_assert_leq(off + alen, len);
		if (type == want) {
			*val = 0;
			memcpy(val, p + off + 4,
			       alen - 4u < sizeof(*val) ? alen - 4u : sizeof(*val));
		}
		off += (alen + 3u) & ~3u;
	}
	return n;
}

/*
 * OPT_STATS with OPT_TSONLY: the entry's data is TCP's counts (26 attributes,
 * the ACK's stamp 27 with its TTL), the same bytes as its
 * SCM_TIMESTAMPING_OPT_STATS message, which follows SO_TIMESTAMPING.
 */
Test(tcp_tstamp, opt_stats_carry_the_counts)
{
	struct socket *c = socks[1];
	struct sock *sk = c->sk;
	int flags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_TX_ACK |
		    SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_TSONLY |
		    SOF_TIMESTAMPING_OPT_STATS;
	uint32_t start = tcp_sk(sk)->write_seq;
	uint8_t buf[512], ctl[1024];

	cr_assert_eq(c->ops->setsockopt(c, SOL_SOCKET, SO_TIMESTAMPING_OLD, &flags, sizeof(flags)),
		     0);
	cr_assert_eq(tcp_tx_mark_add(sk, start + 5, (uint32_t)flags & SOF_TX_RECORD_MASK, true), 0);
	send_bytes(c, 5);
	for (int ack = 0; ack < 2; ack++) {
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr msg = {.msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = ctl,
				     .msg_controllen = sizeof(ctl)};
		struct cmsghdr *cm;
		uint64_t v = ~0ull;
		int n;

		if (ack)
			twostack_run_for(ts, 5 * NSEC_PER_MSEC);
		n = c->ops->recvmsg(c, &msg, sizeof(buf), MSG_ERRQUEUE | MSG_DONTWAIT);
		cr_assert_gt(n, 0);
		cm = CMSG_FIRSTHDR(&msg);
		cr_assert_eq(cm->cmsg_type, SO_TIMESTAMPING_OLD);
		cm = CMSG_NXTHDR(&msg, cm);
		cr_assert_eq(cm->cmsg_type, SCM_TIMESTAMPING_OPT_STATS);
		cr_assert_eq(cm->cmsg_len, CMSG_LEN((size_t)n));
		cr_assert_eq(memcmp(CMSG_DATA(cm), buf, (size_t)n), 0);
		cr_assert_eq(stats_walk(buf, (size_t)n, TCP_NLA_BYTES_SENT, &v), 26 + ack);
		cr_assert_eq(v, 5);
		stats_walk(buf, (size_t)n, TCP_NLA_SNDQ_SIZE, &v);
		cr_assert_eq(v, ack ? 0 : 5, "unacknowledged bytes");
		if (ack) {
			stats_walk(buf, (size_t)n, TCP_NLA_TTL, &v);
			cr_assert_eq(v, 64, "the ACK's TTL");
		}
	}
}
