// SPDX-License-Identifier: MIT
/*
 * TCP's memory pool (core/sock_mem.c) on the in-memory wire and the virtual
 * clock, with small tcp_mem marks injected into one side's namespace (the
 * machine's tcp_mem is global: no test touches it):
 *
 * - a bulk sender past tcp_mem[1] enters pressure once (TCPMemoryPressures),
 *   its send buffer no longer grows, and once its queue drains below
 *   tcp_mem[0] pressure ends and TCPMemoryPressuresChrono has its length;
 * - past tcp_mem[2] the sender's buffer is moderated to half its queue;
 * - an orphan holding more than the least send buffer past tcp_mem[2] is
 *   reset at close() or at its next timeout (TCPAbortOnMemory), with the
 *   kernel's "out of memory -- consider tuning tcp_mem" line;
 * - a receiver past tcp_mem[2] that does not read drops in-order data
 *   (TCPRcvQDrop, PruneCalled), and the bytes still arrive intact once it
 *   reads; out-of-order data past the limit is dropped (TCPOFODrop) and
 *   pruned from the far end for the segment that fills the hole (OfoPruned);
 * - every page goes back to the pool when the sockets are gone.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helper_twostack.h"
#include "inet.h"
#include "tcp.h"

#define PORT 7300

static struct twostack *ts;
static struct socket *socks[3];
static bool have_pair;
static int drop_from = -1;  /* the wire drops what this side sends */
static uint8_t last_flags0; /* TCP flags of the last segment side 0 sent */
static int drop_data0;	    /* the wire drops this many more data segments of side 0 */
static char info[256];
static unsigned int ninfo;

static int tap(void *arg, int side, const uint8_t *f, unsigned int len)
{
	(void)arg;
	/* IPv4 carrying TCP from side 0: the flags byte, and whether it carries data. */
	if (len >= 14 + 20 + 20 && f[12] == 0x08 && f[13] == 0x00 && f[14 + 9] == IPPROTO_TCP &&
	    side == 0) {
		unsigned int ihl = (f[14] & 0x0f) * 4u, tot = (unsigned int)f[16] << 8 | f[17];
		const uint8_t *th = f + 14 + ihl;

		last_flags0 = th[13];
		if (tot > ihl + (th[12] >> 4) * 4u && drop_data0 > 0) {
			drop_data0--;
			return 0;
		}
	}
	return side != drop_from;
}

static void note_info(struct net *net, const char *msg)
{
	(void)net;
	ninfo++;
	snprintf(info, sizeof(info), "%s", msg);
}

static void setup(void)
{
	/* A 100 Mbit/s bottleneck: a bulk sender's queue stays full. */
	const struct mem_link_impair imp = {.delay_ns = NSEC_PER_MSEC, .rate_bps = 100000000};

	ts = twostack_create(&imp);
	cr_assert_not_null(ts);
	mem_link_set_filter(ts->link, tap, NULL);
	for (int i = 0; i < 2; i++)
		ts->net[i].net_info = note_info;
	have_pair = false;
	drop_from = -1;
	drop_data0 = 0;
	ninfo = 0;
	info[0] = '\0';
}

/* Every page back in each pool once the sockets are gone and the stacks idle. */
static void teardown(void)
{
	if (have_pair)
		for (int i = 0; i < 3; i++)
			if (socks[i])
				sock_release(socks[i]);
	drop_from = -1;
	twostack_run_idle(ts);
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(ts->net[i].tcp_memory_allocated, 0, "side %d holds %ld pages", i,
			     ts->net[i].tcp_memory_allocated);
		cr_expect_eq(ts->net[i].tcp_sockets_allocated, 0);
	}
	twostack_destroy(ts);
	skb_cache_drain();
}

TestSuite(tcp_mem, .init = setup, .fini = teardown);

/* Client (side 0) and accepted server (side 1), the listener closed. */
static void pair(struct socket **c, struct socket **s)
{
	cr_assert_eq(twostack_tcp_pair(ts, PORT, socks), 0);
	have_pair = true;
	sock_release(socks[0]);
	socks[0] = NULL;
	*c = socks[1];
	*s = socks[2];
}

static void set_tcp_mem(int side, int low, int pressure, int high)
{
	ts->net[side].sysctl.tcp_mem[0] = low;
	ts->net[side].sysctl.tcp_mem[1] = pressure;
	ts->net[side].sysctl.tcp_mem[2] = high;
}

static uint8_t pat(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 11));
}

/* Writes what the sender takes of an endless pattern; returns the new offset. */
static size_t fill(struct socket *c, size_t sent)
{
	static uint8_t buf[65536];
	int n;

	do {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = pat(sent + i);
		n = twostack_sendto(c, buf, sizeof(buf), NULL);
		if (n > 0)
			sent += (size_t)n;
		else
			cr_assert_eq(n, -EAGAIN);
	} while (n == (int)sizeof(buf));
	return sent;
}

/* Fills the sender each virtual millisecond, for 200 ms at most, until bytes are written;
 * returns how many were. */
static size_t fill_until(struct socket *c, size_t bytes)
{
	size_t sent = 0;

	for (int i = 0; i < 200 && sent < bytes; i++) {
		sent = fill(c, sent);
		twostack_run_for(ts, NSEC_PER_MSEC);
	}
	return sent;
}

/* Client (side 0) and server (side 1) whose pool is 1/2/4 pages: a receiver soon past the
 * hard limit. */
static void pair_small_receiver_pool(struct socket **c, struct socket **s)
{
	set_tcp_mem(1, 1, 2, 4);
	pair(c, s);
}

/* Reads all that waits, checking it against the pattern; returns the new offset. */
static size_t drain(struct socket *s, size_t got)
{
	static uint8_t buf[65536];
	int n;

	while ((n = twostack_recvfrom(s, buf, sizeof(buf), 0, NULL)) > 0) {
		for (int i = 0; i < n; i++)
			cr_assert_eq(buf[i], pat(got + (size_t)i), "byte %zu", got + (size_t)i);
		got += (size_t)n;
	}
	return got;
}

/* The reader takes every byte up to sent, each checked, within 20 s of virtual time. */
static void read_all(struct socket *s, size_t got, size_t sent)
{
	for (int i = 0; i < 20000 && got < sent; i++) {
		got = drain(s, got);
		twostack_run_for(ts, NSEC_PER_MSEC);
	}
	cr_assert_eq(got, sent, "intact: %zu of %zu bytes", got, sent);
}

/*
 * A bulk sender whose buffer grew to 256 KB when tcp_mem falls to
 * 16/32/4096 pages (as a sysctl -w would): its next charge passes
 * tcp_mem[1] and pressure begins once; for a second of bulk its buffer no
 * longer grows with the window (tcp_should_expand_sndbuf); the writer
 * stops, the queue drains, pressure ends below tcp_mem[0] and its length
 * in ms is counted.
 */
Test(tcp_mem, bulk_sender_enters_pressure_stops_growing_and_leaves)
{
	struct net *net = &ts->net[0];
	struct socket *c, *s;
	size_t sent = 0, got = 0;
	uint64_t entered = 0, before_left = 0, left = 0, chrono;
	int sndbuf_at_entry = 0, i;

	pair(&c, &s);
	for (i = 0; i < 3000 && c->sk->sk_wmem_queued < 256 * 1024; i++) {
		sent = fill(c, sent);
		got = drain(s, got);
		twostack_run_for(ts, NSEC_PER_MSEC);
	}
	cr_assert_geq(c->sk->sk_wmem_queued, 256 * 1024, "sndbuf %d", c->sk->sk_sndbuf);
	cr_assert_eq(net->tcp_memory_pressure, 0);
	set_tcp_mem(0, 16, 32, 4096);
	for (i = 0; i < 100 && !entered; i++) {
		sent = fill(c, sent);
		got = drain(s, got);
		twostack_run_for(ts, NSEC_PER_MSEC);
		if (net->tcp_memory_pressure) {
			entered = net->tcp_memory_pressure;
			sndbuf_at_entry = c->sk->sk_sndbuf;
		}
	}
	cr_assert_neq(entered, 0, "never under pressure: %ld pages", net->tcp_memory_allocated);
	cr_assert_eq(net->mib.tcpext.TCPMemoryPressures, 1);
	cr_assert_gt(net->tcp_memory_allocated, 32);
	/* A second of bulk under pressure: the buffer never grows again. */
	for (i = 0; i < 1000; i++) {
		sent = fill(c, sent);
		got = drain(s, got);
		twostack_run_for(ts, NSEC_PER_MSEC);
		cr_assert_leq(c->sk->sk_sndbuf, sndbuf_at_entry,
			      "grew under pressure at %d ms: %d > %d (%ld pages, queued %d)", i,
			      c->sk->sk_sndbuf, sndbuf_at_entry, net->tcp_memory_allocated,
			      c->sk->sk_wmem_queued);
		cr_assert_neq(net->tcp_memory_pressure, 0, "left with %ld pages at %d ms",
			      net->tcp_memory_allocated, i);
	}
	cr_assert_eq(net->mib.tcpext.TCPMemoryPressures, 1, "entered once");
	cr_assert_eq(net->mib.tcpext.TCPMemoryPressuresChrono, 0, "counted when it ends");
	/* The writer stops: the queue drains, the pool falls below tcp_mem[0]. */
	for (i = 0; i < 2000 && (got < sent || c->sk->sk_wmem_queued); i++) {
		got = drain(s, got);
		if (net->tcp_memory_pressure)
			before_left = ts->now;
		twostack_run_for(ts, NSEC_PER_MSEC);
		if (!net->tcp_memory_pressure && !left)
			left = ts->now;
	}
	cr_assert_eq(got, sent);
	cr_assert_eq(c->sk->sk_wmem_queued, 0);
	cr_assert_lt(net->tcp_memory_allocated, 16);
	cr_assert_neq(left, 0, "still under pressure");
	cr_assert_eq(net->mib.tcpext.TCPMemoryPressures, 1);
	/* Its length in ms, on the kernel's 4 ms ticks (HZ 250): from entry to the step it ended
	 * in. */
	chrono = net->mib.tcpext.TCPMemoryPressuresChrono;
	cr_assert_geq(chrono, 1000);
	cr_assert_geq(chrono + 4, (before_left - entered) / NSEC_PER_MSEC, "%llu ms",
		      (unsigned long long)chrono);
	cr_assert_leq(chrono, (left - entered) / NSEC_PER_MSEC + 4, "%llu ms",
		      (unsigned long long)chrono);
}

/*
 * Past tcp_mem[2] (8 pages) a writer's buffer is moderated to half its
 * queue, no less than SOCK_MIN_SNDBUF (sk_stream_moderate_sndbuf), and the
 * pool stays near the limit while the peer reads slowly.
 */
Test(tcp_mem, past_the_hard_limit_the_send_buffer_is_moderated)
{
	struct net *net = &ts->net[0];
	struct socket *c, *s;
	size_t sent = 0, got = 0;
	long most = 0;
	int i;

	set_tcp_mem(0, 2, 4, 8);
	pair(&c, &s);
	cr_assert_gt(c->sk->sk_sndbuf, 40000, "sndbuf %d", c->sk->sk_sndbuf);
	for (i = 0; i < 500; i++) {
		sent = fill(c, sent);
		if (i % 10 == 0)
			got = drain(s, got);
		twostack_run_for(ts, NSEC_PER_MSEC);
		if (net->tcp_memory_allocated > most)
			most = net->tcp_memory_allocated;
	}
	cr_assert_geq(c->sk->sk_sndbuf, SOCK_MIN_SNDBUF);
	cr_assert_lt(c->sk->sk_sndbuf, 40000, "not moderated: %d", c->sk->sk_sndbuf);
	cr_assert_leq(most, 8 + 16, "the pool ran to %ld pages", most);
	cr_assert_geq(net->mib.tcpext.TCPMemoryPressures, 1);
	read_all(s, got, sent);
}

/* A client with 16 KB unacknowledged: side 1's frames are lost from now on. */
static struct socket *client_with_unacked_data(void)
{
	static uint8_t buf[16384];
	struct socket *c, *s;

	pair(&c, &s);
	drop_from = 1;
	cr_assert_eq(twostack_sendto(c, buf, sizeof(buf), NULL), (int)sizeof(buf));
	twostack_run_for(ts, 20 * NSEC_PER_MSEC);
	cr_assert_eq(c->sk->sk_wmem_queued, (int)sizeof(buf));
	return c;
}

/*
 * close() with more than the least send buffer queued while the pool is
 * past tcp_mem[2]: the orphan is reset at once (__tcp_close, tcp_check_oom).
 */
Test(tcp_mem, close_past_the_hard_limit_resets)
{
	struct net *net = &ts->net[0];
	struct socket *c = client_with_unacked_data();

	cr_assert_gt(net->tcp_memory_allocated, 1);
	set_tcp_mem(0, 1, 1, 1);
	sock_release(c);
	socks[1] = NULL;
	cr_assert_eq(last_flags0 & 0x04, 0x04, "no RST: %#x", last_flags0);
	cr_assert_eq(net->mib.tcpext.TCPAbortOnMemory, 1);
	cr_assert_eq(net->tcp_orphan_count, 0);
	cr_assert_eq(ninfo, 1);
	cr_assert_str_eq(info, "out of memory -- consider tuning tcp_mem");
}

/* Within the limit the same orphan lingers, retransmitting. */
Test(tcp_mem, close_within_the_limit_lingers)
{
	struct net *net = &ts->net[0];
	struct socket *c = client_with_unacked_data();

	set_tcp_mem(0, 1, 1, (int)net->tcp_memory_allocated);
	sock_release(c);
	socks[1] = NULL;
	cr_assert_eq(net->mib.tcpext.TCPAbortOnMemory, 0);
	cr_assert_eq(net->tcp_orphan_count, 1);
	cr_assert_eq(ninfo, 0);
}

/* The pool past tcp_mem[2] after the close: the orphan's next timeout resets it. */
Test(tcp_mem, orphan_timeout_past_the_hard_limit_resets)
{
	struct net *net = &ts->net[0];
	struct socket *c = client_with_unacked_data();

	sock_release(c);
	socks[1] = NULL;
	cr_assert_eq(net->tcp_orphan_count, 1);
	set_tcp_mem(0, 1, 1, 1);
	twostack_run_for(ts, 3 * NSEC_PER_SEC);
	cr_assert_eq(net->mib.tcpext.TCPAbortOnMemory, 1);
	cr_assert_eq(last_flags0 & 0x04, 0x04, "no RST: %#x", last_flags0);
	cr_assert_eq(net->tcp_orphan_count, 0);
	cr_assert_str_eq(info, "out of memory -- consider tuning tcp_mem");
}

/*
 * A receiver that does not read, its pool 1/2/4 pages: past 16 KB its
 * in-order data is dropped (TCPRcvQDrop after PruneCalled) though its
 * window is open; once it reads, every byte arrives intact.
 */
Test(tcp_mem, receiver_past_the_hard_limit_drops_and_counts)
{
	struct net *net = &ts->net[1];
	struct socket *c, *s;
	size_t sent;

	pair_small_receiver_pool(&c, &s);
	sent = fill_until(c, 65536);
	twostack_run_for(ts, 100 * NSEC_PER_MSEC);
	cr_assert_gt(net->mib.tcpext.TCPRcvQDrop, 0);
	cr_assert_gt(net->mib.tcpext.PruneCalled, 0);
	cr_assert_eq(net->mib.tcpext.TCPMemoryPressures, 1);
	cr_assert_neq(net->tcp_memory_pressure, 0);
	/* The pool: the hard limit plus the pages of the segment that crossed it. */
	cr_assert_leq(s->sk->sk_rmem_alloc, 4 * SK_MEM_QUANTUM + 1460);
	cr_assert_leq(net->tcp_memory_allocated, 4 + 1);
	read_all(s, 0, sent);
	cr_assert_eq(net->tcp_memory_pressure, 0, "pressure left once read");
}

/*
 * The first data segment is lost, so what follows waits out of order at a
 * receiver that does not read, its pool 1/2/4 pages: the out-of-order data
 * past the limit is dropped (TCPOFODrop), and the retransmission that fills
 * the hole finds no pages: the out-of-order queue is pruned from its far
 * end for it (PruneCalled, OfoPruned). Once read, every byte arrives.
 */
Test(tcp_mem, hole_filler_prunes_the_out_of_order_queue)
{
	struct net *net = &ts->net[1];
	struct socket *c, *s;
	size_t sent;
	int i;

	pair_small_receiver_pool(&c, &s);
	drop_data0 = 1;
	sent = fill(c, 0);
	cr_assert_gt(sent, 32768, "sent %zu", sent);
	for (i = 0; i < 1000 && !net->mib.tcpext.OfoPruned; i++)
		twostack_run_for(ts, NSEC_PER_MSEC);
	cr_assert_gt(net->mib.tcpext.TCPOFODrop, 0);
	cr_assert_gt(net->mib.tcpext.OfoPruned, 0, "not pruned: %u bytes out of order",
		     s->sk->sk_rmem_alloc);
	cr_assert_gt(net->mib.tcpext.PruneCalled, 0);
	cr_assert_leq(net->tcp_memory_allocated, 4 + 1);
	read_all(s, 0, sent);
}

/*
 * A write of 1,000 bytes takes one page from the pool: SO_MEMINFO's
 * forward allocation is what is left of it (3,096, the stack charging
 * payload), and once the data is acknowledged the page goes back.
 */
Test(tcp_mem, a_write_takes_whole_pages_and_gives_them_back)
{
	static const uint8_t buf[1000];
	struct net *net = &ts->net[0];
	uint32_t mi[9] = {0};
	int len = (int)sizeof(mi);
	struct socket *c, *s;

	pair(&c, &s);
	cr_assert_eq(net->tcp_memory_allocated, 0);
	cr_assert_eq(twostack_sendto(c, buf, sizeof(buf), NULL), (int)sizeof(buf));
	cr_assert_eq(c->ops->getsockopt(c, SOL_SOCKET, SO_MEMINFO, mi, &len), 0);
	cr_assert_eq(len, (int)sizeof(mi));
	cr_assert_eq(mi[5], 1000, "wmem_queued %u", mi[5]);
	cr_assert_eq(mi[4], SK_MEM_QUANTUM - 1000, "fwd_alloc %u", mi[4]);
	cr_assert_eq(net->tcp_memory_allocated, 1);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(c->sk->sk_wmem_queued, 0);
	cr_assert_eq(c->sk->sk_forward_alloc, 0);
	cr_assert_eq(net->tcp_memory_allocated, 0);
	cr_assert_eq(ts->net[1].tcp_memory_allocated, 1, "the receiver holds the bytes unread");
}

/*
 * The send buffer grows only for a writer that found it full (the kernel's
 * tcp_check_space asks tcp_new_space only with SOCK_NOSPACE): bursts of
 * 32 KB, each written whole into the buffer the connection had at
 * establishment and acknowledged before the next, open the congestion
 * window well past what that buffer was sized for, and the buffer stays.
 * Once a writer fills it, the next ACKs grow it with the window.
 */
Test(tcp_mem, send_buffer_grows_only_for_a_writer_that_found_it_full)
{
	static uint8_t buf[32768];
	struct socket *c, *s;
	size_t sent = 0, got = 0;
	int sndbuf, i;

	pair(&c, &s);
	sndbuf = c->sk->sk_sndbuf;
	cr_assert_gt(sndbuf, (int)sizeof(buf), "sndbuf %d", sndbuf);
	for (i = 0; i < 40; i++) {
		for (size_t k = 0; k < sizeof(buf); k++)
			buf[k] = pat(sent + k);
		cr_assert_eq(twostack_sendto(c, buf, sizeof(buf), NULL), (int)sizeof(buf));
		sent += sizeof(buf);
		for (int ms = 0; ms < 200 && (c->sk->sk_wmem_queued || got < sent); ms++) {
			twostack_run_for(ts, NSEC_PER_MSEC);
			got = drain(s, got);
		}
		cr_assert_eq(got, sent);
		cr_assert_eq(c->sk->sk_sndbuf, sndbuf, "grew without a full buffer, burst %d", i);
	}
	/* The buffer at establishment was sized for TCP_INIT_CWND segments. */
	cr_assert_gt(tcp_sk(c->sk)->cong.snd_cwnd, 2 * TCP_INIT_CWND, "cwnd %u",
		     tcp_sk(c->sk)->cong.snd_cwnd);
	for (i = 0; i < 200 && c->sk->sk_sndbuf == sndbuf; i++) {
		sent = fill(c, sent);
		got = drain(s, got);
		twostack_run_for(ts, NSEC_PER_MSEC);
	}
	cr_assert_gt(c->sk->sk_sndbuf, sndbuf, "a full buffer never grew");
	read_all(s, got, sent);
}
