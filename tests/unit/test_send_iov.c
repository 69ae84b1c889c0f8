// SPDX-License-Identifier: MIT
/*
 * The owner's zero-copy send (proto_ops send_iov / send_commit), which the
 * stack host's pump reads the pair into:
 *
 * - the room offered is the unsent last segment's free room first, then
 *   new MSS-sized segments, never more than asked or than the send buffer
 *   takes;
 * - committing part of it queues exactly those bytes, in order, as sendmsg
 *   would (same sequence numbers, same segments on the wire), and frees the
 *   segments left empty;
 * - a socket that is not plainly sending says -EAGAIN, so that the owner
 *   asks sendmsg for the error.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "helper_twostack.h"
#include "inet.h"
#include "tcp.h"

#define PORT 7100
#define MSS  1460u /* 1500 - 20 - 20, no timestamps */
#define MAXV 64

static struct twostack *ts;
static struct socket *socks[8];
static unsigned int nsocks;

static void setup(void)
{
	ts = twostack_create(NULL);
	cr_assert_not_null(ts);
	for (int i = 0; i < 2; i++)
		ts->net[i].sysctl.tcp_timestamps = 0;
	nsocks = 0;
}

static void teardown(void)
{
	for (unsigned int i = 0; i < nsocks; i++)
		sock_release(socks[i]);
	twostack_destroy(ts);
	skb_cache_drain();
}

TestSuite(send_iov, .init = setup, .fini = teardown);

/* Client on side 0 connected to a server accepted on side 1. */
static void tcp_pair(struct socket **c, struct socket **s)
{
	cr_assert_eq(twostack_tcp_pair(ts, PORT, socks + nsocks), 0);
	*c = socks[nsocks + 1];
	*s = socks[nsocks + 2];
	nsocks += 3;
}

/* Writes len bytes of src into the offered room, as readv would. */
static size_t fill(const struct iovec *iov, int n, const uint8_t *src, size_t len)
{
	size_t done = 0;

	for (int i = 0; i < n && done < len; i++) {
		size_t c = len - done < iov[i].iov_len ? len - done : iov[i].iov_len;

		memcpy(iov[i].iov_base, src + done, c);
		done += c;
	}
	return done;
}

static size_t room(const struct iovec *iov, int n)
{
	size_t total = 0;

	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	return total;
}

static size_t drain(struct socket *s, uint8_t *dst, size_t cap)
{
	size_t got = 0;
	int r;

	twostack_run_for(ts, 50 * NSEC_PER_MSEC);
	while ((r = twostack_recvfrom(s, dst + got, cap - got, 0, NULL)) > 0)
		got += (size_t)r;
	return got;
}

Test(send_iov, room_is_the_tail_then_new_segments)
{
	struct socket *c, *s;
	struct iovec iov[MAXV];
	struct sk_buff *segs[MAXV];
	struct tcp_sock *tp;
	uint8_t src[8000], dst[8000];
	uint32_t seq0;
	int n, cork = 1;

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 11 + i / 253);
	tcp_pair(&c, &s);
	tp = tcp_sk(c->sk);
	seq0 = tp->write_seq;
	/* Corked, so the first bytes stay in an unsent, partly filled segment. */
	cr_assert_eq(c->ops->setsockopt(c, IPPROTO_TCP, TCP_CORK, &cork, sizeof(cork)), 0);
	cr_assert_eq(twostack_sendto(c, src, 100, NULL), 100);

	n = c->ops->send_iov(c, iov, segs, MAXV, 5000);
	cr_assert_eq(n, 4, "the tail's room and three new segments for 5000 bytes, not %d", n);
	cr_assert_eq(segs[0], skb_peek_tail(&c->sk->sk_write_queue), "the tail comes first");
	cr_assert_eq(iov[0].iov_base, skb_tail_pointer(segs[0]));
	cr_assert_eq(iov[0].iov_len, MSS - 100);
	cr_assert_eq(iov[1].iov_len, MSS);
	cr_assert_eq(iov[2].iov_len, MSS);
	cr_assert_eq(room(iov, n), 5000, "exactly what was asked");
	cr_assert_eq(tp->write_seq, seq0 + 100, "nothing is queued before the commit");

	/* Only part of it is filled (a short read): the rest is given back. */
	cr_assert_eq(fill(iov, n, src + 100, 2000), 2000);
	c->ops->send_commit(c, iov, segs, n, 2000);
	cr_assert_eq(tp->write_seq, seq0 + 2100);
	cr_assert_eq(skb_queue_len(&c->sk->sk_write_queue), 2, "two segments hold 2100 bytes");
	cr_assert_eq(skb_peek(&c->sk->sk_write_queue)->len, MSS);
	cr_assert_eq(skb_peek_tail(&c->sk->sk_write_queue)->len, 2100 - MSS);

	/* Mixed with sendmsg, the bytes keep their order. */
	cr_assert_eq(twostack_sendto(c, src + 2100, 900, NULL), 900);
	n = c->ops->send_iov(c, iov, segs, MAXV, sizeof(src) - 3000);
	cr_assert_gt(n, 0);
	cr_assert_eq(fill(iov, n, src + 3000, sizeof(src) - 3000), sizeof(src) - 3000);
	c->ops->send_commit(c, iov, segs, n, sizeof(src) - 3000);
	cork = 0;
	cr_assert_eq(c->ops->setsockopt(c, IPPROTO_TCP, TCP_CORK, &cork, sizeof(cork)), 0);
	cr_assert_eq(drain(s, dst, sizeof(dst)), sizeof(src));
	cr_assert(memcmp(src, dst, sizeof(src)) == 0, "the peer got other bytes");
	/* Every segment but the last is full: the tail room was used. */
	cr_assert_eq(tp->data_segs_out, (sizeof(src) + MSS - 1) / MSS, "%u segments",
		     tp->data_segs_out);
}

Test(send_iov, nothing_committed_frees_everything)
{
	struct socket *c, *s;
	struct iovec iov[MAXV];
	struct sk_buff *segs[MAXV];
	struct tcp_sock *tp;
	uint32_t seq0;
	int n;

	tcp_pair(&c, &s);
	tp = tcp_sk(c->sk);
	seq0 = tp->write_seq;
	n = c->ops->send_iov(c, iov, segs, MAXV, 10000);
	cr_assert_eq(n, 7);
	c->ops->send_commit(c, iov, segs, n, 0);
	cr_assert_eq(tp->write_seq, seq0);
	cr_assert(skb_queue_empty(&c->sk->sk_write_queue));
	cr_assert_eq(c->sk->sk_wmem_queued, 0);
	cr_assert_eq(twostack_frames_in_flight(ts), 0, "nothing sent");
	/* ASan's leak check at the end sees the segments freed (or cached). */
}

Test(send_iov, bounded_by_the_send_buffer_and_the_state)
{
	struct socket *c, *s, *fresh;
	struct iovec iov[MAXV];
	struct sk_buff *segs[MAXV];
	unsigned int goal;
	int n, space;

	/* Not connected: -EAGAIN, sendmsg tells the error. */
	fresh = twostack_socket(ts, 0, SOCK_STREAM, IPPROTO_TCP, &n);
	cr_assert_not_null(fresh);
	socks[nsocks++] = fresh;
	cr_assert_eq(fresh->ops->send_iov(fresh, iov, segs, MAXV, 1000), -EAGAIN);

	tcp_pair(&c, &s);
	space = sk_stream_wspace(c->sk);
	cr_assert_gt(space, 0);
	goal = tcp_xmit_size_goal(c->sk, MSS);
	cr_assert_geq(goal, MSS);
	n = c->ops->send_iov(c, iov, segs, MAXV, SIZE_MAX);
	cr_assert_gt(n, 0);
	/*
	 * As sendmsg: new skbs while there is space, the last one filled to the
	 * size goal: the room ends on the first goal boundary past the space
	 * (the skbs start at the empty queue's end), in whole segments: 64,240
	 * bytes for a space of 46,080 and a goal of 32,120 (half the peer's
	 * window); the space and one segment before.
	 */
	cr_assert_lt(n, MAXV);
	cr_assert_eq(room(iov, n), ((size_t)space + goal - 1) / goal * goal,
		     "room %zu for a send buffer space of %d, size goal %u", room(iov, n), space,
		     goal);
	c->ops->send_commit(c, iov, segs, n, room(iov, n));

	/* After SHUT_WR: -EAGAIN, and sendmsg says EPIPE. */
	cr_assert_eq(c->ops->shutdown(c, SHUT_WR), 0);
	cr_assert_eq(c->ops->send_iov(c, iov, segs, MAXV, 1000), -EAGAIN);
	cr_assert_eq(twostack_sendto(c, "x", 1, NULL), -EPIPE);
}

/* One pull of up to len bytes from src, as the stack host's pump makes it; what it took. */
static size_t pull(struct socket *c, const uint8_t *src, size_t len)
{
	struct iovec iov[MAXV];
	struct sk_buff *segs[MAXV];
	int n = c->ops->send_iov(c, iov, segs, MAXV, len);

	cr_assert_gt(n, 0);
	len = fill(iov, n, src, len);
	c->ops->send_commit(c, iov, segs, n, len);
	return len;
}

/*
 * A pull is the owner's write, so it makes tcp_sendmsg's check for a
 * bubble (tcp_rate_check_app_limited): into a connection with everything
 * sent and the window open, it marks the sender app-limited until what is
 * in flight now is delivered, so that BBR takes no sample of that time as
 * the path's; sendmsg marks the same. With a segment's worth still unsent
 * (the window full) there is no bubble and no mark.
 */
Test(send_iov, a_pull_into_an_idle_connection_marks_it_app_limited)
{
	static uint8_t src[40 * MSS], dst[sizeof(src)];
	struct socket *c, *s;
	struct tcp_sock *tp;
	size_t big;

	tcp_pair(&c, &s);
	tp = tcp_sk(c->sk);
	pull(c, src, 1000);
	cr_assert_eq(drain(s, dst, sizeof(dst)), 1000);
	cr_assert_eq(tp->app_limited, 0, "the first data's mark is delivered and gone");

	pull(c, src, 1000);
	cr_assert_eq(tp->app_limited, tp->delivered, "marked up to what is delivered now");
	cr_assert_eq(drain(s, dst, sizeof(dst)), 1000);
	cr_assert_eq(tp->app_limited, 0);
	cr_assert_eq(twostack_sendto(c, src, 1000, NULL), 1000);
	cr_assert_eq(tp->app_limited, tp->delivered, "sendmsg marks the same");
	cr_assert_eq(drain(s, dst, sizeof(dst)), 1000);

	/* More than the window: what is left unsent is no bubble. */
	big = pull(c, src, 20 * MSS);
	cr_assert_eq(big, 20 * MSS, "the send buffer took 20 segments");
	cr_assert_geq(tp->write_seq - tp->snd_nxt, MSS, "a segment's worth waits");
	tp->app_limited = 0;
	pull(c, src, 1000);
	cr_assert_eq(tp->app_limited, 0, "nothing marked behind unsent data");
	cr_assert_eq(drain(s, dst, sizeof(dst)), big + 1000);
}
