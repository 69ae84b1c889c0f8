// SPDX-License-Identifier: MIT
/*
 * The receive queue under its buffer's bounds, as the kernel's (6.18)
 * tcp_prune_queue: a receiver with a locked SO_RCVBUF that does not read,
 * fed small segments each in a head of its own (a veth sender's frames are
 * clones until it has our ACK: dev->rx_shared, and the sender's segments
 * come before our ACKs), is charged past its buffer while the window it
 * offered is still open; the next segment finds the queues past the buffer
 * (PruneCalled), the buffer may not grow (locked), and the runs of small
 * skbs are copied into full ones (TCPRcvCollapsed), which brings the charge
 * back under the buffer: nothing is dropped (no RcvPruned), every byte
 * arrives intact, and the charge per byte is a page's (4,352 for 3,776).
 * With the buffer not locked, it grows instead (tcp_clamp_window). A bare
 * FIN after data is merged into the tail's skb for nothing
 * (tcp_try_coalesce of a frame without bytes) unless that skb is still
 * the sender's clone. Out-of-order segments from such a sender that extend
 * one another share one skb (tcp_ooo_try_coalesce).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "helper_twostack.h"
#include "inet.h"
#include "netdevice.h"
#include "tcp.h"

#define PORT 7400

static struct twostack *ts;
static struct socket *lsn, *rcv, *snd;
static int drop_data1; /* the wire drops this many more data segments of side 1 */
/* ... and those of side 1's data segments whose number (from 0) has its bit set here */
static uint32_t drop_mask1, data1_seen;

static int tap(void *arg, int side, const uint8_t *f, unsigned int len)
{
	unsigned int ihl, tot;
	uint32_t n;

	(void)arg;
	/* IPv4 carrying TCP with data from side 1. */
	if (side != 1 || len < 14 + 20 + 20 || f[12] != 0x08 || f[13] != 0x00 ||
	    f[14 + 9] != IPPROTO_TCP)
		return 1;
	ihl = (f[14] & 0x0f) * 4u;
	tot = (unsigned int)f[16] << 8 | f[17];
	if (tot <= ihl + (f[14 + ihl + 12] >> 4) * 4u)
		return 1;
	n = data1_seen++;
	if (n < 32 && drop_mask1 & 1u << n)
		return 0;
	if (drop_data1 > 0) {
		drop_data1--;
		return 0;
	}
	return 1;
}

static void setup(void)
{
	const struct mem_link_impair imp = {.delay_ns = 50 * NSEC_PER_USEC};

	ts = twostack_create(&imp);
	cr_assert_not_null(ts);
	drop_data1 = 0;
	drop_mask1 = data1_seen = 0;
	mem_link_set_filter(ts->link, tap, NULL);
}

static void teardown(void)
{
	struct socket *s[] = {snd, rcv, lsn};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (s[i])
			sock_release(s[i]);
	snd = rcv = lsn = NULL;
	twostack_run_idle(ts);
	for (int i = 0; i < 2; i++)
		cr_expect_eq(ts->net[i].tcp_memory_allocated, 0, "side %d holds %ld pages", i,
			     ts->net[i].tcp_memory_allocated);
	twostack_destroy(ts);
	skb_cache_drain();
}

TestSuite(tcp_rcvmem, .init = setup, .fini = teardown);

/* The receiver (side 0, SO_RCVBUF rcvbuf) connected to the sender (side 1, TCP_NODELAY). */
static void pair(int rcvbuf)
{
	struct sockaddr_in a = twostack_sin(1, PORT);
	int err = 0, one = 1;

	lsn = twostack_socket(ts, 1, SOCK_STREAM, IPPROTO_TCP, &err);
	rcv = twostack_socket(ts, 0, SOCK_STREAM, IPPROTO_TCP, &err);
	snd = calloc(1, sizeof(*snd));
	cr_assert(lsn && rcv && snd);
	cr_assert_eq(lsn->ops->bind(lsn, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(lsn->ops->listen(lsn, 4), 0);
	if (rcvbuf)
		cr_assert_eq(
			rcv->ops->setsockopt(rcv, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)),
			0);
	cr_assert_eq(twostack_connect(rcv, &a), -EINPROGRESS);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(lsn->ops->accept(lsn, snd, O_NONBLOCK, true), 0);
	cr_assert_eq(snd->ops->setsockopt(snd, SOL_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
}

static uint8_t pat(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 9));
}

/* n writes of size bytes, each leaving on its own before the next. */
static size_t send_small(size_t sent, int n, size_t size)
{
	uint8_t buf[1448];

	for (int w = 0; w < n; w++) {
		for (size_t i = 0; i < size; i++)
			buf[i] = pat(sent + i);
		cr_assert_eq(twostack_sendto(snd, buf, size, NULL), (int)size);
		sent += size;
		twostack_run_for(ts, 5 * NSEC_PER_USEC);
	}
	return sent;
}

/* Reads from byte got of the stream on until sent bytes came, each checked. */
static void read_from(size_t got, size_t sent)
{
	static uint8_t buf[65536];
	int n;

	for (int i = 0; i < 1000 && got < sent; i++) {
		while ((n = twostack_recvfrom(rcv, buf, sizeof(buf), 0, NULL)) > 0) {
			for (int k = 0; k < n; k++)
				cr_assert_eq(buf[k], pat(got + (size_t)k), "byte %zu",
					     got + (size_t)k);
			got += (size_t)n;
		}
		twostack_run_for(ts, NSEC_PER_MSEC);
	}
	cr_assert_eq(got, sent, "intact: %zu of %zu bytes", got, sent);
}

static void read_all(size_t sent)
{
	read_from(0, sent);
}

Test(tcp_rcvmem, small_skbs_past_a_locked_buffer_are_copied_into_full_ones)
{
	struct net *net = &ts->net[0];
	struct sock *sk;
	size_t sent;

	ts->dev[0]->rx_shared = true;
	pair(4096);
	sk = rcv->sk;
	cr_assert_eq(sk->sk_rcvbuf, 8192);
	sent = send_small(0, 60, 100);
	twostack_run_for(ts, 50 * NSEC_PER_MSEC);
	cr_assert_eq(net->mib.tcpext.PruneCalled, 1);
	cr_assert_gt(net->mib.tcpext.TCPRcvCollapsed, 0);
	cr_assert_eq(net->mib.tcpext.RcvPruned, 0);
	cr_assert_eq(net->mib.tcpext.TCPRcvQDrop, 0);
	cr_assert_eq(sk->sk_rcvbuf, 8192, "a locked buffer stays");
	cr_assert_leq(sk->sk_rmem_alloc, sk->sk_rcvbuf, "charged %d", sk->sk_rmem_alloc);
	/*
	 * Taken in heads of their own, 4,700 bytes would be charged 43,804.
	 * (5,000 before the receiver's quick-ACK credit was bounded by its
	 * window, tcp_incr_quickack: two quick ACKs here, not sixteen, so the
	 * sender's window opens later.)
	 */
	cr_assert_eq(tcp_sk(sk)->rcv_nxt - tcp_sk(sk)->copied_seq, 4700);
	read_all(sent);
}

/*
 * The same with the buffer not locked and tcp_rmem[2] room to grow: the
 * buffer grows to what is charged (tcp_clamp_window), and nothing is
 * collapsed while it may.
 */
Test(tcp_rcvmem, an_unlocked_buffer_grows_to_what_is_charged_instead)
{
	struct net *net = &ts->net[0];
	size_t sent;

	ts->dev[0]->rx_shared = true;
	net->sysctl.tcp_rmem[0] = 4096;
	net->sysctl.tcp_rmem[1] = 8192;
	net->sysctl.tcp_rmem[2] = 1 << 20;
	pair(0);
	sent = send_small(0, 60, 100);
	twostack_run_for(ts, 50 * NSEC_PER_MSEC);
	cr_assert_gt(net->mib.tcpext.PruneCalled, 0);
	cr_assert_eq(net->mib.tcpext.TCPRcvCollapsed, 0);
	cr_assert_gt(rcv->sk->sk_rcvbuf, 8192);
	/* To what was charged when the segment came: no more than is charged now. */
	cr_assert_leq(rcv->sk->sk_rcvbuf, rcv->sk->sk_rmem_alloc);
	read_all(sent);
}

/*
 * 100 bytes, then a FIN alone: from a sender whose frames are the
 * receiver's own, the FIN joins the tail's skb (TCPRcvCoalesce) and the
 * queue stays charged the one skb, 932; over a veth, sent before our ACK
 * of the data, it takes a head of its own.
 */
Test(tcp_rcvmem, a_bare_fin_joins_the_tail_for_nothing)
{
	static const uint8_t buf[100];

	for (int shared = 0; shared < 2; shared++) {
		struct net *net = &ts->net[0];
		uint64_t merged;

		ts->dev[0]->rx_shared = shared;
		pair(0);
		cr_assert_eq(twostack_sendto(snd, buf, sizeof(buf), NULL), (int)sizeof(buf));
		cr_assert_eq(snd->ops->shutdown(snd, SHUT_WR), 0);
		merged = net->mib.tcpext.TCPRcvCoalesce;
		twostack_run_for(ts, 10 * NSEC_PER_MSEC);
		cr_assert(rcv->sk->sk_shutdown & RCV_SHUTDOWN);
		cr_assert_eq(rcv->sk->sk_rmem_alloc, shared ? 932 + 832 : 932, "shared %d: %d",
			     shared, rcv->sk->sk_rmem_alloc);
		cr_assert_eq(net->mib.tcpext.TCPRcvCoalesce - merged, shared ? 0 : 1);
		sock_release(snd);
		sock_release(rcv);
		sock_release(lsn);
		snd = rcv = lsn = NULL;
		twostack_run_idle(ts);
	}
}

/*
 * The first of five segments of 100 bytes is lost: the four behind it,
 * from a sender whose frames are the receiver's own, are merged into one
 * out-of-order skb (three merges, TCPRcvCoalesce), charged one head and
 * their 400 bytes; once the first is sent again every byte arrives.
 */
Test(tcp_rcvmem, out_of_order_segments_that_follow_each_other_share_a_skb)
{
	struct net *net = &ts->net[0];
	struct tcp_sock *tp;
	size_t sent;

	pair(0);
	tp = tcp_sk(rcv->sk);
	drop_data1 = 1;
	sent = send_small(0, 5, 100);
	twostack_run_for(ts, 60 * NSEC_PER_USEC);
	cr_assert_eq(skb_queue_len(&tp->out_of_order_queue), 1);
	cr_assert_eq(skb_peek(&tp->out_of_order_queue)->len, 400);
	cr_assert_eq(net->mib.tcpext.TCPRcvCoalesce, 3);
	cr_assert_eq(net->mib.tcpext.TCPOFOQueue, 4);
	cr_assert_eq(rcv->sk->sk_rmem_alloc, 832 + 400);
	read_all(sent);
}

/*
 * The collapse begins in a skb the program has started to read and that
 * holds more than one copy's worth past that point (14 full segments
 * merged, 100 bytes read): the first fresh skbs complete no source skb,
 * and their charge waits for the copy that does. It once went to the view
 * before the first (a write in front of the view array).
 */
Test(tcp_rcvmem, a_collapse_that_starts_in_a_large_partly_read_skb)
{
	struct net *net = &ts->net[0];
	uint8_t buf[100];
	size_t sent;

	pair(16384);
	sent = send_small(0, 14, 1448);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_recvfrom(rcv, buf, sizeof(buf), 0, NULL), (int)sizeof(buf));
	for (size_t k = 0; k < sizeof(buf); k++)
		cr_assert_eq(buf[k], pat(k));
	ts->dev[0]->rx_shared = true;
	for (int i = 0; i < 400 && !net->mib.tcpext.PruneCalled; i++)
		sent = send_small(sent, 1, 100);
	twostack_run_for(ts, 50 * NSEC_PER_MSEC);
	cr_assert_gt(net->mib.tcpext.PruneCalled, 0);
	cr_assert_gt(net->mib.tcpext.TCPRcvCollapsed, 0);
	cr_assert_geq(rcv->sk->sk_rmem_alloc, 0);
	read_from(sizeof(buf), sent);
}

/*
 * The first of ten segments of 100 bytes is lost and the nine behind it,
 * from a veth sender (each its own skb: a clone of the sender's, which
 * coalescing may not touch), wait out of order at a locked buffer of
 * 4,096: five are charged 4,660, past it, so the sixth prunes
 * (PruneCalled). The kernel's tcp_prune_queue first copies the run into
 * one fresh skb (tcp_collapse_ofo_queue: 500 bytes in a 1 KiB head of
 * 704 bytes' room, charged 1,280, TCPRcvCollapsed for each of the five);
 * the four segments after it join that skb (TCPRcvCoalesce, the fresh
 * skb is the receiver's own), two copied into its room for nothing, two
 * as fragments for their 100 bytes: nothing is pruned from the far end
 * (OfoPruned) and one skb holds all 900 bytes, charged 1,480. Once the
 * first is sent again every byte arrives. (Before tcp_collapse_ofo_queue,
 * the sixth pruned the far end of the queue.)
 */
/*
 * Ten segments of 100 bytes from a veth sender (dev->rx_shared) at a
 * locked buffer of 4,096, the data segments numbered in lost lost: the
 * queues once the other nine are in and the hole is still open, with
 * what tcp_prune_queue did (PruneCalled, TCPRcvCollapsed, OfoPruned,
 * RcvPruned, TCPOFODrop).
 */
static size_t ofo_burst(uint32_t lost, const uint64_t expect[5])
{
	const struct tcpext_mib *mib = &ts->net[0].mib.tcpext;
	struct tcp_sock *tp;
	size_t sent;

	ts->dev[0]->rx_shared = true;
	pair(2048);
	tp = tcp_sk(rcv->sk);
	cr_assert_eq(rcv->sk->sk_rcvbuf, 4096);
	drop_mask1 = lost;
	sent = send_small(0, 10, 100);
	twostack_run_for(ts, 60 * NSEC_PER_USEC);
	cr_assert_eq(tp->rcv_nxt, tp->copied_seq, "the hole is still open");
	cr_assert_eq(mib->PruneCalled, expect[0]);
	cr_assert_eq(mib->TCPRcvCollapsed, expect[1]);
	cr_assert_eq(mib->OfoPruned, expect[2]);
	cr_assert_eq(mib->RcvPruned, expect[3]);
	cr_assert_eq(mib->TCPOFODrop, expect[4]);
	return sent;
}

Test(tcp_rcvmem, an_out_of_order_run_past_the_buffer_is_copied_into_a_fresh_skb)
{
	const uint64_t expect[5] = {1, 5, 0, 0, 0};
	struct tcp_sock *tp;
	size_t sent;

	sent = ofo_burst(1u << 0, expect);
	tp = tcp_sk(rcv->sk);
	cr_assert_eq(ts->net[0].mib.tcpext.TCPRcvCoalesce, 4);
	cr_assert_eq(skb_queue_len(&tp->out_of_order_queue), 1);
	cr_assert_eq(skb_peek(&tp->out_of_order_queue)->len, 900);
	cr_assert_eq(rcv->sk->sk_rmem_alloc, 1480, "charged %d", rcv->sk->sk_rmem_alloc);
	read_all(sent);
}

/*
 * Segments 0 and 2 of ten are lost: the out-of-order queue holds a run of
 * one skb (segment 1) and a run behind it. When the sixth out-of-order
 * segment finds it charged past the locked 4,096 (4,660), the kernel's
 * tcp_collapse_ofo_queue passes the first run over as tiny (one skb of
 * less than a page's data) and, that run alone costing more than an
 * eighth of the buffer (932 > 512), stops there: the run behind is not
 * copied (no TCPRcvCollapsed). Nothing lies past the segment to prune
 * (OfoPruned), so it and the ones after it are dropped (RcvPruned,
 * TCPOFODrop), to come again; every byte arrives.
 */
Test(tcp_rcvmem, a_tiny_first_run_ends_the_out_of_order_collapse)
{
	const uint64_t expect[5] = {3, 0, 0, 3, 3};
	struct tcp_sock *tp;
	size_t sent;

	sent = ofo_burst(1u << 0 | 1u << 2, expect);
	tp = tcp_sk(rcv->sk);
	cr_assert_eq(skb_queue_len(&tp->out_of_order_queue), 5);
	cr_assert_eq(rcv->sk->sk_rmem_alloc, 5 * 932);
	read_all(sent);
}

/*
 * Three full segments (1,448 bytes) from a sender whose frames are the
 * receiver's own are merged into one skb (TCPRcvCoalesce), charged 5,176
 * (a head and 4,344 bytes), in three buffers. The kernel gives an skb's
 * charge back when recvmsg has read all of it (sk_eat_skb), not part by
 * part: after 2,000 bytes read the queue is charged 5,176 still, after
 * 4,344 nothing. Before, the first buffer's 2,280 went with its bytes.
 */
Test(tcp_rcvmem, a_merged_skb_is_uncharged_whole_once_read_whole)
{
	static uint8_t buf[2000];
	struct sock *sk;
	size_t got = 0;
	int n;

	pair(0);
	sk = rcv->sk;
	send_small(0, 3, 1448);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(ts->net[0].mib.tcpext.TCPRcvCoalesce, 2);
	cr_assert_eq(skb_queue_len(&sk->sk_receive_queue), 3);
	cr_assert_eq(sk->sk_rmem_alloc, 5176);
	while (got < 3 * 1448) {
		n = twostack_recvfrom(rcv, buf, sizeof(buf), 0, NULL);
		cr_assert_gt(n, 0);
		for (int k = 0; k < n; k++)
			cr_assert_eq(buf[k], pat(got + (size_t)k));
		got += (size_t)n;
		cr_assert_eq(sk->sk_rmem_alloc, got < 3 * 1448 ? 5176 : 0, "after %zu: %d", got,
			     sk->sk_rmem_alloc);
	}
}

/*
 * As above: 14 full segments merged into one skb of 20,272 bytes, 100 of
 * them read, then small segments until the queue is collapsed from byte
 * 100 on, into fresh skbs of 3,776 bytes charged 4,352 each. The first
 * ends at byte 3,876, inside a buffer of 1,448 ([2,896, 4,344)). The
 * kernel frees that skb when its last byte is read: up to byte 3,875 the
 * charge stays as it was, byte 3,876 gives back 4,352. (Before, that charge
 * sat on the buffer holding the byte, which went with the next fresh skb.)
 */
/* 14 full segments from a sender whose frames are the receiver's own: one skb. */
static size_t fourteen_full_segments(void)
{
	size_t sent;

	pair(16384);
	sent = send_small(0, 14, 1448);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	return sent;
}

/* Segments of 100 bytes from a veth sender until the queue is collapsed. */
static size_t small_until_collapsed(size_t sent)
{
	const struct tcpext_mib *mib = &ts->net[0].mib.tcpext;

	ts->dev[0]->rx_shared = true;
	for (int i = 0; i < 400 && !mib->PruneCalled; i++)
		sent = send_small(sent, 1, 100);
	cr_assert_eq(mib->PruneCalled, 1);
	cr_assert_gt(mib->TCPRcvCollapsed, 0);
	return sent;
}

Test(tcp_rcvmem, a_fresh_skb_is_uncharged_when_its_last_byte_is_read)
{
	static uint8_t buf[3775];
	struct sock *sk;
	size_t sent;
	int before;

	sent = fourteen_full_segments();
	sk = rcv->sk;
	cr_assert_eq(twostack_recvfrom(rcv, buf, 100, 0, NULL), 100);
	sent = small_until_collapsed(sent);
	before = sk->sk_rmem_alloc;
	cr_assert_eq(twostack_recvfrom(rcv, buf, sizeof(buf), 0, NULL), (int)sizeof(buf));
	for (size_t k = 0; k < sizeof(buf); k++)
		cr_assert_eq(buf[k], pat(100 + k));
	cr_assert_eq(sk->sk_rmem_alloc, before, "to 3,875: %d of %d", sk->sk_rmem_alloc, before);
	cr_assert_eq(twostack_recvfrom(rcv, buf, 1, 0, NULL), 1);
	cr_assert_eq(buf[0], pat(3875));
	cr_assert_eq(sk->sk_rmem_alloc, before - 4352, "to 3,876: %d of %d", sk->sk_rmem_alloc,
		     before);
	read_from(3876, sent);
}

/*
 * The same through an owner that moved the 14 segments into its program's
 * pair: the buffers it holds are cut where the fresh skbs end, and the
 * first fresh skb's 4,352 go once the owner learns its program read byte
 * 3,876, not before.
 */
Test(tcp_rcvmem, an_owners_fresh_skb_is_uncharged_when_its_program_read_its_last_byte)
{
	const uint32_t all = 14 * 1448;
	struct sock *sk;
	size_t sent;
	int before;

	sent = fourteen_full_segments();
	sk = rcv->sk;
	sk->sk_owner_holds = true;
	tcp_consume(sk, all);
	tcp_owner_unread(sk, all - 100);
	sent = small_until_collapsed(sent);
	before = sk->sk_rmem_alloc;
	tcp_owner_unread(sk, all - 3875);
	cr_assert_eq(sk->sk_rmem_alloc, before, "to 3,875: %d of %d", sk->sk_rmem_alloc, before);
	tcp_owner_unread(sk, all - 3876);
	cr_assert_eq(sk->sk_rmem_alloc, before - 4352, "to 3,876: %d of %d", sk->sk_rmem_alloc,
		     before);
	tcp_owner_unread(sk, 0);
	sk->sk_owner_holds = false;
	read_from(all, sent);
}
