// SPDX-License-Identifier: MIT
/*
 * TCP between two stacks on the in-memory wire, as packet dialogues on the
 * virtual clock: handshakes with the MSS option, bulk data both ways (with
 * and without loss and reordering), RTO back-off, resets, half-close,
 * simultaneous close, TIME_WAIT, backlog overflow, keepalive, checksum
 * errors, the zero window, and window scaling.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "helper_twostack.h"
#include "inet_hashtables.h"
#include "ip.h"
#include "tcp.h"

#define PORT 5000

static struct twostack *ts;
static struct socket *socks[64];
static unsigned int nsocks;

static void track(struct socket *sock)
{
	if (sock && nsocks < 64)
		socks[nsocks++] = sock;
}

/* close(): releases the socket and forgets it. */
static void rel(struct socket *sock)
{
	for (unsigned int i = 0; i < nsocks; i++)
		if (socks[i] == sock)
			socks[i] = NULL;
	sock_release(sock);
}

static void teardown(void)
{
	for (unsigned int i = 0; i < nsocks; i++)
		if (socks[i])
			sock_release(socks[i]);
	nsocks = 0;
	if (ts)
		twostack_destroy(ts);
	ts = NULL;
	skb_cache_drain();
}

static struct socket *tcp_socket(int side)
{
	int err = 0;
	struct socket *s = twostack_socket(ts, side, SOCK_STREAM, IPPROTO_TCP, &err);

	cr_assert_not_null(s, "socket: %d", err);
	track(s);
	return s;
}

static struct socket *tcp_listener(int side, uint16_t port, int backlog)
{
	struct socket *l = tcp_socket(side);
	struct sockaddr_in a = twostack_sin(side, port);

	cr_assert_eq(l->ops->bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(l->ops->listen(l, backlog), 0);
	return l;
}

static int tcp_connect_to(struct socket *s, int side, uint16_t port)
{
	struct sockaddr_in a = twostack_sin(side, port);

	return s->ops->connect(s, (struct sockaddr *)&a, sizeof(a), O_NONBLOCK);
}

static struct socket *tcp_accept(struct socket *l)
{
	struct socket *n = calloc(1, sizeof(*n));
	int err = l->ops->accept(l, n, O_NONBLOCK, true);

	if (err) {
		free(n);
		return NULL;
	}
	track(n);
	return n;
}

/* A connected pair: client on side 0, server (accepted) on side 1. */
static void tcp_pair(struct socket **c, struct socket **s, struct socket **l)
{
	*l = tcp_listener(1, PORT, 16);
	*c = tcp_socket(0);
	cr_assert_eq(tcp_connect_to(*c, 1, PORT), -EINPROGRESS);
	/* Lossy wires may need SYN retransmissions. */
	for (int i = 0; i < 600 && !(*s = tcp_accept(*l)); i++)
		twostack_run_for(ts, 100 * NSEC_PER_MSEC);
	cr_assert_eq((*c)->sk->sk_state, TCP_ESTABLISHED);
	cr_assert_not_null(*s);
	cr_assert_eq((*s)->sk->sk_state, TCP_ESTABLISHED);
}

static int send_buf(struct socket *s, const void *buf, size_t len)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_flags = MSG_DONTWAIT};

	return s->ops->sendmsg(s, &m, len);
}

static int recv_buf(struct socket *s, void *buf, size_t len)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};

	return s->ops->recvmsg(s, &m, len, MSG_DONTWAIT);
}

/* Moves len bytes from a to b through the stacks; returns bytes received. */
static size_t transfer(struct socket *a, struct socket *b, const uint8_t *src, uint8_t *dst,
		       size_t len, uint64_t limit_ns)
{
	size_t sent = 0, got = 0;
	uint64_t deadline = ts->now + limit_ns;

	while (got < len && ts->now < deadline) {
		int n;

		if (sent < len) {
			n = send_buf(a, src + sent, len - sent);
			if (n > 0)
				sent += (size_t)n;
			else
				cr_assert_eq(n, -EAGAIN);
		}
		while ((n = recv_buf(b, dst + got, len - got)) > 0)
			got += (size_t)n;
		twostack_run_for(ts, NSEC_PER_MSEC);
	}
	return got;
}

static uint8_t *pattern(size_t len, uint32_t seed)
{
	uint8_t *p = malloc(len);

	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
	return p;
}

/* ---- a wire tap: decode TCP segments crossing the wire ---- */

struct seg {
	int side;
	uint64_t t;
	uint32_t seq, ack;
	uint16_t win, len;
	uint8_t flags;
	uint16_t mss; /* option value, 0 if none */
	int ws;	      /* window-scale option value, -1 if none */
};

#define MAX_SEGS 20000
static struct seg segs[MAX_SEGS];
static unsigned int nsegs;
static int drop_side = -1;	     /* drop everything this side sends */
static unsigned int drop_data_every; /* drop every n-th data segment of side 0 */
static unsigned int data_count;

static int tap(void *arg, int side, const uint8_t *f, unsigned int len)
{
	const uint8_t *ip = f + 14, *th;
	unsigned int ihl, thl, tot;
	struct seg *sg;

	if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 || ip[9] != IPPROTO_TCP)
		return 1;
	ihl = (ip[0] & 15u) * 4;
	tot = (unsigned int)(ip[2] << 8 | ip[3]);
	th = ip + ihl;
	thl = (th[12] >> 4) * 4u;
	if (nsegs < MAX_SEGS) {
		sg = &segs[nsegs++];
		memset(sg, 0, sizeof(*sg));
		sg->side = side;
		sg->t = ts->now;
		sg->seq = (uint32_t)th[4] << 24 | (uint32_t)th[5] << 16 | (uint32_t)th[6] << 8 |
			  th[7];
		sg->ack = (uint32_t)th[8] << 24 | (uint32_t)th[9] << 16 | (uint32_t)th[10] << 8 |
			  th[11];
		sg->flags = th[13];
		sg->win = (uint16_t)(th[14] << 8 | th[15]);
		sg->len = (uint16_t)(tot - ihl - thl);
		if (thl > 20 && th[20] == TCPOPT_MSS)
			sg->mss = (uint16_t)(th[22] << 8 | th[23]);
		sg->ws = -1;
		for (unsigned int o = 20; o < thl && th[o] != TCPOPT_EOL;) {
			if (th[o] == TCPOPT_NOP) {
				o++;
				continue;
			}
			if (o + 1 >= thl || th[o + 1] < 2)
				break;
			if (th[o] == TCPOPT_WINDOW && th[o + 1] == TCPOLEN_WINDOW && o + 2 < thl)
				sg->ws = th[o + 2];
			o += th[o + 1];
		}
	}
	if (side == drop_side)
		return 0;
	if (drop_data_every && side == 0 && tot - ihl - thl > 0 &&
	    ++data_count % drop_data_every == 0)
		return 0;
	return 1;
}

/* The window a segment from sock offers, in bytes: unscaled in a SYN (RFC 7323 2.2). */
static uint32_t seg_window(const struct seg *sg, const struct socket *from)
{
	if (sg->flags & TCPHDR_SYN)
		return sg->win;
	return (uint32_t)sg->win << tcp_sk(from->sk)->rx_opt.rcv_wscale;
}

static void setup_tap(const struct mem_link_impair *imp)
{
	ts = twostack_create(imp);
	cr_assert_not_null(ts);
	nsegs = 0;
	drop_side = -1;
	drop_data_every = 0;
	data_count = 0;
	/* The kernel's defaults, not the host's: SYN options do not depend on the machine. */
	for (int i = 0; i < 2; i++) {
		ts->net[i].sysctl.tcp_timestamps = 1;
		ts->net[i].sysctl.tcp_sack = 1;
		ts->net[i].sysctl.tcp_dsack = 1;
		ts->net[i].sysctl.tcp_window_scaling = 1;
	}
	mem_link_set_filter(ts->link, tap, NULL);
}

static void setup(void)
{
	setup_tap(NULL);
}

TestSuite(tcp, .init = setup, .fini = teardown);

Test(tcp, handshake_carries_mss_both_ways)
{
	struct socket *c, *s, *l;

	tcp_pair(&c, &s, &l);
	/* SYN (side 0) with MSS 1460, SYN-ACK (side 1) with MSS 1460, then ACK. */
	cr_assert_geq(nsegs, 3);
	cr_assert_eq(segs[0].side, 0);
	cr_assert_eq(segs[0].flags, TCPHDR_SYN);
	cr_assert_eq(segs[0].mss, 1460);
	cr_assert_eq(segs[1].side, 1);
	cr_assert_eq(segs[1].flags, TCPHDR_SYN | TCPHDR_ACK);
	cr_assert_eq(segs[1].mss, 1460);
	cr_assert_eq(segs[1].ack, segs[0].seq + 1);
	cr_assert_eq(segs[2].flags, TCPHDR_ACK);
	cr_assert_eq(segs[2].ack, segs[1].seq + 1);
	/* Timestamps were negotiated: every segment spends 12 bytes on them (as Linux: 1448). */
	cr_assert_eq(tcp_sk(c->sk)->mss_cache, 1448);
	cr_assert_eq(tcp_sk(s->sk)->mss_cache, 1448);
	cr_assert_eq(ts->net[0].mib.tcp.ActiveOpens, 1);
	cr_assert_eq(ts->net[1].mib.tcp.PassiveOpens, 1);
	cr_assert_eq(ts->net[0].mib.tcp.CurrEstab, 1);
	cr_assert_eq(ts->net[1].mib.tcp.CurrEstab, 1);
	/* TCP buffers start from tcp_rmem[1] / tcp_wmem[1]. */
	cr_assert_eq(l->sk->sk_rcvbuf, ts->net[1].sysctl.tcp_rmem[1]);
}

Test(tcp, peer_mss_option_is_honoured)
{
	struct socket *c, *s, *l;
	int mss = 500, len = sizeof(int);
	uint8_t buf[4000] = {0};

	l = tcp_listener(1, PORT, 4);
	cr_assert_eq(l->ops->setsockopt(l, SOL_TCP, TCP_MAXSEG, &mss, sizeof(mss)), 0);
	c = tcp_socket(0);
	tcp_connect_to(c, 1, PORT);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	s = tcp_accept(l);
	cr_assert_not_null(s);
	cr_assert_eq(segs[1].mss, 500);
	cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_MAXSEG, &mss, &len), 0);
	cr_assert_eq(mss, 488, "the peer's 500 less the timestamp option, as Linux");
	nsegs = 0;
	cr_assert_eq(send_buf(c, buf, sizeof(buf)), (int)sizeof(buf));
	twostack_run_for(ts, 100 * NSEC_PER_MSEC);
	for (unsigned int i = 0; i < nsegs; i++)
		cr_assert_leq(segs[i].len, 500);
}

static void bulk(size_t len, uint64_t limit)
{
	struct socket *c, *s, *l;
	uint8_t *a = pattern(len, 1), *b = pattern(len, 2);
	uint8_t *ra = calloc(1, len), *rb = calloc(1, len);

	tcp_pair(&c, &s, &l);
	cr_assert_eq(transfer(c, s, a, ra, len, limit), len);
	cr_assert_eq(memcmp(a, ra, len), 0);
	cr_assert_eq(transfer(s, c, b, rb, len, limit), len);
	cr_assert_eq(memcmp(b, rb, len), 0);
	free(a);
	free(b);
	free(ra);
	free(rb);
}

static int recv_flags(struct socket *s, void *buf, size_t len, int flags, int *msg_flags)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	int r = s->ops->recvmsg(s, &m, len, flags | MSG_DONTWAIT);

	*msg_flags = m.msg_flags;
	return r;
}

static int at_mark(struct socket *s)
{
	int v = -1;

	cr_assert_eq(s->ops->ioctl(s, SIOCATMARK, (unsigned long)&v), 0);
	return v;
}

/*
 * Urgent data between two stacks (tcp_mark_urg, tcp_check_urg, tcp_urg,
 * tcp_recv_urg): the read stops at the mark, the byte is read once with
 * MSG_OOB (EINVAL after), the stream skips it; a newer urgent byte before
 * the old was read turns the old one into plain data; with SO_OOBINLINE it
 * stays in the stream and MSG_OOB is EINVAL.
 */
Test(tcp, urgent_byte_out_of_band_once)
{
	struct socket *c, *s, *l;
	char buf[64];
	int fl, one = 1;

	tcp_pair(&c, &s, &l);
	cr_assert_eq(recv_flags(s, buf, 1, MSG_OOB, &fl), -EINVAL, "nothing urgent yet");
	cr_assert_eq(send_buf(c, "abcX", 4), 4);
	{
		struct iovec iov = {.iov_base = "defY", .iov_len = 4};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_flags = MSG_OOB};

		cr_assert_eq(c->ops->sendmsg(c, &m, 4), 4);
	}
	cr_assert_eq(send_buf(c, "gh", 2), 2);
	twostack_run_for(ts, 100 * NSEC_PER_MSEC);
	cr_assert_eq(at_mark(s), 0);
	cr_assert_eq(recv_buf(s, buf, sizeof(buf)), 7);
	cr_assert_arr_eq(buf, "abcXdef", 7);
	cr_assert_eq(at_mark(s), 1);
	cr_assert_eq(recv_flags(s, buf, 1, MSG_OOB | MSG_PEEK, &fl), 1);
	cr_assert_eq(recv_flags(s, buf, 1, MSG_OOB, &fl), 1);
	cr_assert_eq(buf[0], 'Y');
	cr_assert(fl & MSG_OOB);
	cr_assert_eq(recv_flags(s, buf, 1, MSG_OOB, &fl), -EINVAL, "read once");
	cr_assert_eq(recv_buf(s, buf, sizeof(buf)), 2);
	cr_assert_arr_eq(buf, "gh", 2);
	cr_assert_eq(at_mark(s), 0);

	/* Two urgent bytes before a read: the first is plain data. */
	{
		struct iovec iov = {.iov_base = "iZ", .iov_len = 2};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_flags = MSG_OOB};

		cr_assert_eq(c->ops->sendmsg(c, &m, 2), 2);
		twostack_run_for(ts, 100 * NSEC_PER_MSEC);
		iov.iov_base = "jW";
		cr_assert_eq(c->ops->sendmsg(c, &m, 2), 2);
		twostack_run_for(ts, 100 * NSEC_PER_MSEC);
	}
	cr_assert_eq(recv_buf(s, buf, sizeof(buf)), 3);
	cr_assert_arr_eq(buf, "iZj", 3);
	cr_assert_eq(recv_flags(s, buf, 1, MSG_OOB, &fl), 1);
	cr_assert_eq(buf[0], 'W');
	cr_assert_eq(recv_buf(s, buf, sizeof(buf)), -EAGAIN, "W is stepped over, nothing follows");

	/* Inline: the byte stays in the stream, the read still stops at the mark. */
	cr_assert_eq(s->ops->setsockopt(s, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one)), 0);
	{
		struct iovec iov = {.iov_base = "kV", .iov_len = 2};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_flags = MSG_OOB};

		cr_assert_eq(c->ops->sendmsg(c, &m, 2), 2);
	}
	cr_assert_eq(send_buf(c, "l", 1), 1);
	twostack_run_for(ts, 100 * NSEC_PER_MSEC);
	cr_assert_eq(recv_buf(s, buf, sizeof(buf)), 1);
	cr_assert_eq(at_mark(s), 1);
	cr_assert_eq(recv_flags(s, buf, 1, MSG_OOB, &fl), -EINVAL);
	cr_assert_eq(recv_buf(s, buf, sizeof(buf)), 2);
	cr_assert_arr_eq(buf, "Vl", 2);
}

Test(tcp, one_megabyte_each_way_intact)
{
	bulk(1 << 20, 60 * NSEC_PER_SEC);
	/* The send buffer grew past tcp_wmem[1] with the window. */
	cr_assert_eq(ts->net[0].mib.tcp.RetransSegs, 0);
}

Test(tcp, lossy_reordering_wire_still_delivers_intact)
{
	struct mem_link_impair imp = {
		.seed = 7, .loss_pct = 10, .reorder_pct = 10, .delay_ns = 2 * NSEC_PER_MSEC};

	teardown();
	setup_tap(&imp);
	bulk(256 * 1024, 600 * NSEC_PER_SEC);
	cr_assert_gt(ts->net[0].mib.tcp.RetransSegs + ts->net[1].mib.tcp.RetransSegs, 0);
	cr_assert_gt(ts->net[0].mib.tcpext.TCPOFOQueue + ts->net[1].mib.tcpext.TCPOFOQueue, 0);
}

Test(tcp, twenty_percent_loss_still_delivers)
{
	struct mem_link_impair imp = {.seed = 11, .loss_pct = 20, .delay_ns = NSEC_PER_MSEC};

	teardown();
	setup_tap(&imp);
	bulk(64 * 1024, 1200 * NSEC_PER_SEC);
}

Test(tcp, fast_retransmit_on_three_dup_acks)
{
	struct socket *c, *s, *l;
	size_t len = 200 * 1000;
	uint8_t *a = pattern(len, 3), *r = calloc(1, len);

	tcp_pair(&c, &s, &l);
	drop_data_every = 40;
	cr_assert_eq(transfer(c, s, a, r, len, 60 * NSEC_PER_SEC), len);
	cr_assert_eq(memcmp(a, r, len), 0);
	cr_assert_gt(ts->net[0].mib.tcp.RetransSegs, 0);
	/* Recovered by duplicate ACKs, not by timeouts. */
	cr_assert_eq(ts->net[0].mib.tcpext.TCPTimeouts, 0);
	free(a);
	free(r);
}

Test(tcp, rto_backs_off_exponentially_then_gives_up)
{
	struct socket *c, *s, *l;
	uint64_t t[8];
	unsigned int n = 0;

	tcp_pair(&c, &s, &l);
	drop_side = 0;
	nsegs = 0;
	cr_assert_eq(send_buf(c, "x", 1), 1);
	twostack_run_for(ts, 30 * NSEC_PER_SEC);
	for (unsigned int i = 0; i < nsegs && n < 8; i++)
		if (segs[i].side == 0 && segs[i].len == 1)
			t[n++] = segs[i].t;
	cr_assert_geq(n, 6);
	/*
	 * The first resend is the tail loss probe (RFC 8985 7, one probe per
	 * episode); from the RTO on, each gap doubles the previous one (RFC
	 * 6298 5.5).
	 */
	cr_assert_eq(ts->net[0].mib.tcpext.TCPLossProbes, 1);
	for (unsigned int i = 3; i < n; i++)
		cr_assert_eq(t[i] - t[i - 1], 2 * (t[i - 1] - t[i - 2]), "gap %u", i);
	cr_assert_geq(t[1] - t[0], 200 * NSEC_PER_MSEC);
	twostack_run_for(ts, 3600 * NSEC_PER_SEC);
	cr_assert_eq(c->sk->sk_state, TCP_CLOSE);
	cr_assert_eq(c->sk->sk_err, ETIMEDOUT);
}

Test(tcp, syn_retries_give_up_with_etimedout)
{
	struct socket *c = tcp_socket(0);

	drop_side = 1;
	tcp_listener(1, PORT, 4);
	cr_assert_eq(tcp_connect_to(c, 1, PORT), -EINPROGRESS);
	twostack_run_for(ts, 60 * NSEC_PER_SEC);
	cr_assert_eq(c->sk->sk_state, TCP_SYN_SENT);
	twostack_run_for(ts, 120 * NSEC_PER_SEC);
	cr_assert_eq(c->sk->sk_state, TCP_CLOSE);
	cr_assert_eq(c->sk->sk_err, ETIMEDOUT);
	cr_assert_eq(ts->net[0].mib.tcp.AttemptFails, 1);
}

Test(tcp, syn_to_closed_port_is_refused)
{
	struct socket *c = tcp_socket(0);

	cr_assert_eq(tcp_connect_to(c, 1, 9), -EINPROGRESS);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(segs[1].side, 1);
	cr_assert_eq(segs[1].flags, TCPHDR_RST | TCPHDR_ACK);
	cr_assert_eq(segs[1].ack, segs[0].seq + 1);
	cr_assert_eq(c->sk->sk_state, TCP_CLOSE);
	cr_assert_eq(c->sk->sk_err, ECONNREFUSED);
	cr_assert_eq(ts->net[1].mib.tcp.OutRsts, 1);
	cr_assert_eq(ts->net[0].mib.tcp.AttemptFails, 1);
}

Test(tcp, rst_in_established_resets_with_econnreset)
{
	struct socket *c, *s, *l;
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	char buf[8];

	tcp_pair(&c, &s, &l);
	cr_assert_eq(s->ops->setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	rel(s);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(c->sk->sk_state, TCP_CLOSE);
	cr_assert_eq(recv_buf(c, buf, sizeof(buf)), -ECONNRESET);
	cr_assert_eq(ts->net[0].mib.tcp.EstabResets, 1);
	cr_assert_eq(send_buf(c, "x", 1), -EPIPE);
}

Test(tcp, out_of_window_rst_gets_challenge_ack_not_obeyed)
{
	struct socket *c, *s, *l;
	struct tcp_sock *tp;

	tcp_pair(&c, &s, &l);
	tp = tcp_sk(c->sk);
	/* An in-window RST that is not exactly rcv_nxt: RFC 5961 says ACK, don't reset. */
	struct sk_buff *skb = alloc_skb(64);
	struct iphdr *iph;
	struct tcphdr *th;
	uint8_t *p;

	skb_reserve(skb, 2); /* NET_IP_ALIGN: the IP header 4-byte aligned */
	p = skb_put(skb, 14 + 20 + 20);

	memset(p, 0, 54);
	memcpy(p, twostack_mac[0], 6);
	memcpy(p + 6, twostack_mac[1], 6);
	p[12] = 0x08;
	iph = (struct iphdr *)(p + 14);
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->protocol = IPPROTO_TCP;
	iph->tot_len = htons(40);
	iph->saddr = twostack_addr(1);
	iph->daddr = twostack_addr(0);
	iph->check = ip_fast_csum(iph, 5);
	th = (struct tcphdr *)(iph + 1);
	th->source = htons(PORT);
	th->dest = inet_sk(c->sk)->inet_sport;
	th->seq = htonl(tp->rcv_nxt + 100);
	th->doff = 5;
	th->rst = 1;
	th->check =
		csum_tcpudp_magic(iph->saddr, iph->daddr, 20, IPPROTO_TCP, csum_partial(th, 20, 0));
	nsegs = 0;
	netif_receive_skb(&ts->net[0], skb);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(c->sk->sk_state, TCP_ESTABLISHED);
	cr_assert_geq(nsegs, 1);
	cr_assert_eq(segs[0].side, 0);
	cr_assert_eq(segs[0].flags, TCPHDR_ACK);
}

Test(tcp, bad_checksum_is_counted_and_dropped)
{
	struct socket *l = tcp_listener(1, PORT, 4);
	struct sk_buff *skb = alloc_skb(64);
	struct iphdr *iph;
	struct tcphdr *th;
	uint8_t *p;

	(void)l;
	skb_reserve(skb, 2); /* NET_IP_ALIGN: the IP header 4-byte aligned */
	p = skb_put(skb, 14 + 20 + 20);
	memset(p, 0, 54);
	memcpy(p, twostack_mac[1], 6);
	memcpy(p + 6, twostack_mac[0], 6);
	p[12] = 0x08;
	iph = (struct iphdr *)(p + 14);
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->protocol = IPPROTO_TCP;
	iph->tot_len = htons(40);
	iph->saddr = twostack_addr(0);
	iph->daddr = twostack_addr(1);
	iph->check = ip_fast_csum(iph, 5);
	th = (struct tcphdr *)(iph + 1);
	th->source = htons(40000);
	th->dest = htons(PORT);
	th->seq = htonl(1);
	th->doff = 5;
	th->syn = 1;
	th->check = 0x1234; /* wrong */
	netif_receive_skb(&ts->net[1], skb);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(ts->net[1].mib.tcp.InCsumErrors, 1);
	cr_assert_eq(ts->net[1].mib.tcp.InErrs, 1);
	cr_assert_eq(nsegs, 0, "no SYN-ACK, no RST for a corrupt segment");
}

Test(tcp, half_close_other_side_keeps_sending)
{
	struct socket *c, *s, *l;
	char buf[64];

	tcp_pair(&c, &s, &l);
	cr_assert_eq(c->ops->shutdown(c, SHUT_WR), 0);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	/*
	 * The FIN's ACK goes by the delayed-ACK timer (tcp_fin's pingpong
	 * mode), after the ATO, which is 0 before any data came: at once, as
	 * the kernel's (a FIN after no data acknowledged in 2-5 ms on this
	 * machine's loopback, one after data in 47-52).
	 */
	cr_assert_eq(c->sk->sk_state, TCP_FIN_WAIT2);
	cr_assert_eq(s->sk->sk_state, TCP_CLOSE_WAIT);
	cr_assert_eq(recv_buf(s, buf, sizeof(buf)), 0, "EOF after FIN");
	cr_assert_eq(send_buf(s, "still here", 10), 10);
	twostack_run_for(ts, 100 * NSEC_PER_MSEC);
	cr_assert_eq(recv_buf(c, buf, sizeof(buf)), 10);
	cr_assert_eq(memcmp(buf, "still here", 10), 0);
	cr_assert_eq(send_buf(c, "x", 1), -EPIPE);
	rel(s);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(c->sk->sk_state, TCP_TIME_WAIT);
}

Test(tcp, simultaneous_close_goes_through_closing)
{
	struct socket *c, *s, *l;

	tcp_pair(&c, &s, &l);
	cr_assert_eq(c->ops->shutdown(c, SHUT_WR), 0);
	cr_assert_eq(s->ops->shutdown(s, SHUT_WR), 0);
	cr_assert_eq(c->sk->sk_state, TCP_FIN_WAIT1);
	cr_assert_eq(s->sk->sk_state, TCP_FIN_WAIT1);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(c->sk->sk_state, TCP_TIME_WAIT);
	cr_assert_eq(s->sk->sk_state, TCP_TIME_WAIT);
}

Test(tcp, time_wait_lasts_sixty_seconds_and_holds_the_port)
{
	struct socket *c, *s, *l, *c2;
	struct sockaddr_in a = twostack_sin(0, 40000);
	int one = 1;

	l = tcp_listener(1, PORT, 4);
	c = tcp_socket(0);
	cr_assert_eq(c->ops->bind(c, (struct sockaddr *)&a, sizeof(a)), 0);
	tcp_connect_to(c, 1, PORT);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	s = tcp_accept(l);
	cr_assert_not_null(s);
	rel(c); /* active close: this side ends in TIME_WAIT */
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	rel(s);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_not_null(__inet_lookup_established(&ts->net[0], twostack_addr(1), htons(PORT),
						     twostack_addr(0), htons(40000)));
	c2 = tcp_socket(0);
	cr_assert_eq(c2->ops->bind(c2, (struct sockaddr *)&a, sizeof(a)), -EADDRINUSE);
	twostack_run_for(ts, 59 * NSEC_PER_SEC);
	cr_assert_not_null(__inet_lookup_established(&ts->net[0], twostack_addr(1), htons(PORT),
						     twostack_addr(0), htons(40000)));
	twostack_run_for(ts, 2 * NSEC_PER_SEC);
	cr_assert_null(__inet_lookup_established(&ts->net[0], twostack_addr(1), htons(PORT),
						 twostack_addr(0), htons(40000)));
	cr_assert_eq(c2->ops->setsockopt(c2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	cr_assert_eq(c2->ops->bind(c2, (struct sockaddr *)&a, sizeof(a)), 0);
}

Test(tcp, listen_backlog_overflow_is_counted)
{
	struct socket *l = tcp_listener(1, PORT, 1), *c[5];
	int accepted = 0;
	struct socket *n;

	for (int i = 0; i < 5; i++) {
		c[i] = tcp_socket(0);
		cr_assert_eq(tcp_connect_to(c[i], 1, PORT), -EINPROGRESS);
	}
	/* Retransmitted SYNs find the accept queue full. */
	twostack_run_for(ts, 3 * NSEC_PER_SEC);
	cr_assert_gt(ts->net[1].mib.tcpext.ListenOverflows, 0);
	while ((n = tcp_accept(l))) {
		accepted++;
		rel(n);
	}
	/* listen(1): the accept queue holds backlog + 1, as Linux. */
	cr_assert_eq(accepted, 2);
}

Test(tcp, close_with_unread_data_sends_rst)
{
	struct socket *c, *s, *l;
	char buf[8];

	tcp_pair(&c, &s, &l);
	cr_assert_eq(send_buf(c, "unread", 6), 6);
	twostack_run_for(ts, 100 * NSEC_PER_MSEC);
	nsegs = 0;
	rel(s);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_geq(nsegs, 1);
	cr_assert(segs[0].flags & TCPHDR_RST);
	cr_assert_eq(recv_buf(c, buf, sizeof(buf)), -ECONNRESET);
}

Test(tcp, keepalive_probes_then_times_out)
{
	struct socket *c, *s, *l;
	int one = 1, idle = 10, intvl = 2, cnt = 3;

	tcp_pair(&c, &s, &l);
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)), 0);
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)), 0);
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)), 0);
	cr_assert_eq(c->ops->setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)), 0);
	nsegs = 0;
	twostack_run_for(ts, 35 * NSEC_PER_SEC);
	/* The peer answers each probe: still up, probes every idle period. */
	cr_assert_eq(c->sk->sk_state, TCP_ESTABLISHED);
	cr_assert_geq(nsegs, 6);
	drop_side = 1;
	twostack_run_for(ts, 20 * NSEC_PER_SEC);
	cr_assert_eq(c->sk->sk_state, TCP_CLOSE);
	cr_assert_eq(c->sk->sk_err, ETIMEDOUT);
}

Test(tcp, slow_reader_window_respected_and_probed)
{
	struct socket *c, *s, *l;
	/* More than the receive buffer (scaled window) plus the send buffer. */
	size_t len = 1000 * 1000, sent = 0, got = 0;
	uint8_t *a = pattern(len, 5), *r = calloc(1, len);
	uint32_t right_edge = 0;
	uint32_t last_ack = 0;
	unsigned int probes = 0;

	tcp_pair(&c, &s, &l);
	nsegs = 0;
	right_edge = tcp_sk(s->sk)->rcv_wup + tcp_sk(s->sk)->rcv_wnd;
	/* Nobody reads for 20 s: the window closes and the sender probes. */
	for (int i = 0; i < 20000; i++) {
		int n = send_buf(c, a + sent, len - sent);

		if (n > 0)
			sent += (size_t)n;
		twostack_run_for(ts, NSEC_PER_MSEC);
	}
	cr_assert_lt(sent, len);
	cr_assert_eq(tcp_sk(s->sk)->rcv_wnd, 0);
	/* Every data segment fits the window the receiver had advertised before it. */
	for (unsigned int i = 0; i < nsegs; i++) {
		if (segs[i].side == 1 && (segs[i].flags & TCPHDR_ACK)) {
			uint32_t edge = segs[i].ack + seg_window(&segs[i], s);

			if (!right_edge || after(edge, right_edge))
				right_edge = edge;
		}
		if (segs[i].side == 0 && segs[i].len) {
			cr_assert(!after(segs[i].seq + segs[i].len, right_edge), "segment %u", i);
		}
		if (segs[i].side == 1)
			last_ack = segs[i].ack;
		/* A window probe: no data, one below what the peer acknowledged. */
		if (segs[i].side == 0 && !segs[i].len && segs[i].seq == last_ack - 1)
			probes++;
	}
	cr_assert_gt(probes, 0);
	cr_assert_gt(tcp_sk(c->sk)->backoff, 0, "persist timer backs off");
	/* Now read: the window opens and everything arrives. */
	for (int i = 0; i < 60000 && got < len; i++) {
		int n = send_buf(c, a + sent, len - sent);

		if (n > 0)
			sent += (size_t)n;
		while ((n = recv_buf(s, r + got, len - got)) > 0)
			got += (size_t)n;
		twostack_run_for(ts, NSEC_PER_MSEC);
	}
	cr_assert_eq(got, len);
	cr_assert_eq(memcmp(a, r, len), 0);
	free(a);
	free(r);
}

Test(tcp, ioctls_and_options)
{
	struct socket *c, *s, *l;
	int v = 0, len = sizeof(v);
	char name[16];
	struct tcp_info info;

	tcp_pair(&c, &s, &l);
	cr_assert_eq(send_buf(c, "hello", 5), 5);
	twostack_run_for(ts, 100 * NSEC_PER_MSEC);
	cr_assert_eq(s->ops->ioctl(s, SIOCINQ, (unsigned long)&v), 0);
	cr_assert_eq(v, 5);
	cr_assert_eq(c->ops->ioctl(c, SIOCOUTQ, (unsigned long)&v), 0);
	cr_assert_eq(v, 0);
	v = 1;
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_NODELAY, &v, sizeof(v)), 0);
	v = 0;
	cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_NODELAY, &v, &len), 0);
	cr_assert_eq(v, 1);
	len = sizeof(name);
	cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_CONGESTION, name, &len), 0);
	cr_assert_str_eq(name, "cubic", "the default (the namespace's, else cubic)");
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_CONGESTION, "vegas", 5), -ENOENT);
	v = 10;
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_MAXSEG, &v, sizeof(v)), -EINVAL);
	v = 0;
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_KEEPCNT, &v, sizeof(v)), -EINVAL);
	len = sizeof(info);
	cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_INFO, &info, &len), 0);
	cr_assert_eq(info.tcpi_state, TCP_ESTABLISHED);
	cr_assert_eq(info.tcpi_snd_mss, 1448, "1460 less the timestamp option");
	cr_assert_eq(info.tcpi_options & (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE),
		     TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE);
	cr_assert_eq(info.tcpi_snd_cwnd, 10);
	cr_assert_geq(info.tcpi_rto, 200000, "RTO floor is 200 ms, as Linux");
}

/*
 * At MTU 65535 the MSS (65495) is larger than any window a peer without
 * window scaling can offer once a few bytes sit unread (a kernel peer
 * offered 65458 after iperf3's 37-byte cookie). Segments must then be
 * bounded by half the peer's largest window, as the kernel's
 * tcp_bound_to_half_wnd() does, or every segment waits for the persist
 * timer (one MSS per 200 ms).
 */
Test(tcp, mtu_65535_segments_fit_the_peer_window)
{
	struct socket *c, *s, *l;
	size_t len = 8 << 20;
	uint8_t *a = pattern(len, 7), *r = calloc(1, len), cookie[37] = {0};
	int clamp = 65458;

	ts->dev[0]->mtu = ts->dev[1]->mtu = 65535;
	tcp_pair(&c, &s, &l);
	cr_assert_eq(tcp_sk(c->sk)->advmss, 65495 - 12, "less the timestamps, as Linux");
	/* The window the kernel peer offered; smaller than the MSS. */
	cr_assert_eq(s->ops->setsockopt(s, SOL_TCP, TCP_WINDOW_CLAMP, &clamp, sizeof(clamp)), 0);
	cr_assert_eq(send_buf(c, cookie, sizeof(cookie)), (int)sizeof(cookie));
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(recv_buf(s, r, sizeof(cookie)), (int)sizeof(cookie));
	nsegs = 0;
	cr_assert_eq(transfer(c, s, a, r, len, NSEC_PER_SEC), len);
	cr_assert_eq(memcmp(a, r, len), 0);
	for (unsigned int i = 0; i < nsegs; i++)
		if (segs[i].side == 0)
			cr_assert_leq(segs[i].len, tcp_sk(c->sk)->max_window / 2, "segment %u", i);
	cr_assert_eq(tcp_sk(c->sk)->total_retrans, 0);
	free(a);
	free(r);
}

/*
 * The send MSS grows with the peer's largest window; a queued segment
 * allocated for the smaller MSS is full below the new one and must be
 * followed by a new segment, not filled forever (the timeout catches that).
 */
Test(tcp, send_mss_growing_under_a_queued_segment, .timeout = 10)
{
	struct socket *c, *s, *l;
	uint8_t *a = pattern(60000, 9), *r = calloc(1, 60000);
	int clamp = 40000, open = 65535, cork = 1;
	size_t got = 0;

	ts->dev[0]->mtu = ts->dev[1]->mtu = 65535;
	l = tcp_listener(1, PORT, 4);
	cr_assert_eq(l->ops->setsockopt(l, SOL_TCP, TCP_WINDOW_CLAMP, &clamp, sizeof(clamp)), 0);
	c = tcp_socket(0);
	tcp_connect_to(c, 1, PORT);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	s = tcp_accept(l);
	cr_assert_not_null(s);
	cr_assert_eq(tcp_sk(c->sk)->mss_cache, 20000);
	/*
	 * Corked: 15000 bytes wait in a segment allocated for an MSS of 20000.
	 * The clamp lifted, the peer's window opens as data arrives
	 * (tcp_grow_window): the two full segments that fit the window of
	 * 40000 open it, and the MSS grows under the segment queued after them.
	 */
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_CORK, &cork, sizeof(cork)), 0);
	cr_assert_eq(send_buf(c, a, 15000), 15000);
	cr_assert_eq(s->ops->setsockopt(s, SOL_TCP, TCP_WINDOW_CLAMP, &open, sizeof(open)), 0);
	cr_assert_eq(send_buf(c, a + 15000, 45000), 45000);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_gt(tcp_sk(c->sk)->max_window, 40000);
	cr_assert_gt(tcp_sk(c->sk)->mss_cache, 20000);
	cork = 0;
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_CORK, &cork, sizeof(cork)), 0);
	for (int i = 0; i < 1000 && got < 60000; i++) {
		int n;

		twostack_run_for(ts, NSEC_PER_MSEC);
		while ((n = recv_buf(s, r + got, 60000 - got)) > 0)
			got += (size_t)n;
	}
	cr_assert_eq(got, 60000);
	cr_assert_eq(memcmp(a, r, 60000), 0);
	free(a);
	free(r);
}

/* ---- window scaling (RFC 7323) ---- */

/* The kernel's defaults, not the host's: tcp_rmem[2] 6 MiB, rmem_max 208 KiB. */
static void kernel_default_rmem(void)
{
	for (int i = 0; i < 2; i++) {
		ts->net[i].sysctl.tcp_rmem[2] = 6291456;
		ts->net[i].sysctl.rmem_max = 212992;
	}
}

/*
 * Both SYNs carry the option, so both sides scale. The shift is the
 * kernel's for the largest receive space (tcp_rmem[2] = 6 MiB: 7); the SYN
 * windows are unscaled, the windows after them are shifted.
 */
Test(tcp, syn_and_synack_carry_wscale_and_negotiate)
{
	struct socket *c, *s, *l;
	struct tcp_sock *ctp, *stp;

	kernel_default_rmem();
	tcp_pair(&c, &s, &l);
	ctp = tcp_sk(c->sk);
	stp = tcp_sk(s->sk);
	cr_assert_eq(segs[0].flags, TCPHDR_SYN);
	cr_assert_eq(segs[0].mss, 1460, "MSS stays the first option");
	cr_assert_eq(segs[0].ws, 7);
	/*
	 * Never scaled: half of tcp_rmem[1] (the ratio before any measure) in
	 * whole segments, of our MSS in the SYN, less the timestamp in the
	 * SYN-ACK (the kernel's 64240 and 65160).
	 */
	cr_assert_eq(segs[0].win, 64240, "a SYN's window is never scaled");
	cr_assert_eq(segs[1].flags, TCPHDR_SYN | TCPHDR_ACK);
	cr_assert_eq(segs[1].ws, 7);
	cr_assert_eq(segs[1].win, 65160);
	cr_assert(ctp->rx_opt.wscale_ok && stp->rx_opt.wscale_ok);
	cr_assert_eq(ctp->rx_opt.rcv_wscale, 7);
	cr_assert_eq(ctp->rx_opt.snd_wscale, 7);
	cr_assert_eq(stp->rx_opt.rcv_wscale, 7);
	cr_assert_eq(stp->rx_opt.snd_wscale, 7);
	/* The SYN-ACK's window is taken as is; the ACK's is shifted. */
	cr_assert_eq(ctp->snd_wnd, 65160);
	cr_assert_eq(segs[2].flags, TCPHDR_ACK);
	cr_assert_eq(stp->snd_wnd, (uint32_t)segs[2].win << 7);
	cr_assert_eq(ctp->rcv_wnd % 128, 0, "rcv_wnd stays a multiple of 1 << rcv_wscale");
	cr_assert_eq(ctp->rcv_wnd, (uint32_t)segs[2].win << 7);
	{
		struct tcp_info info;
		int len = sizeof(info);

		cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_INFO, &info, &len), 0);
		cr_assert(info.tcpi_options & TCPI_OPT_WSCALE);
		cr_assert_eq(info.tcpi_snd_wscale, 7);
		cr_assert_eq(info.tcpi_rcv_wscale, 7);
	}
	/* A locked SO_RCVBUF picks the shift from the window the buffer gives alone. */
	{
		struct socket *c2 = tcp_socket(0);
		int v = 100000; /* rcvbuf 200000, half of it a window: 100000 >> 1 fits 16 bits */

		cr_assert_eq(c2->ops->setsockopt(c2, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
		nsegs = 0;
		cr_assert_eq(tcp_connect_to(c2, 1, PORT), -EINPROGRESS);
		twostack_run_for(ts, 10 * NSEC_PER_MSEC);
		cr_assert_eq(segs[0].ws, 1);
		cr_assert_eq(tcp_sk(c2->sk)->rx_opt.rcv_wscale, 1);
	}
}

static void no_scaling_either_way(int off_side)
{
	struct socket *c, *s, *l;
	uint8_t *a = pattern(300000, 12), *r = calloc(1, 300000);

	kernel_default_rmem();
	ts->net[off_side].sysctl.tcp_window_scaling = 0;
	tcp_pair(&c, &s, &l);
	cr_assert_eq(segs[0].flags, TCPHDR_SYN);
	cr_assert_eq(segs[0].ws, off_side == 0 ? -1 : 7);
	cr_assert_eq(segs[1].ws, -1, "no option in a SYN-ACK unless the SYN had it");
	for (int i = 0; i < 2; i++) {
		struct tcp_sock *tp = tcp_sk((i ? s : c)->sk);

		cr_assert_not(tp->rx_opt.wscale_ok);
		cr_assert_eq(tp->rx_opt.snd_wscale, 0);
		cr_assert_eq(tp->rx_opt.rcv_wscale, 0);
	}
	/* Both ways: every window is the raw field, at most 65535, and fits rcv_wnd. */
	cr_assert_eq(transfer(c, s, a, r, 300000, 10 * NSEC_PER_SEC), 300000);
	cr_assert_eq(transfer(s, c, a, r, 300000, 10 * NSEC_PER_SEC), 300000);
	cr_assert_eq(memcmp(a, r, 300000), 0);
	for (unsigned int i = 0; i < nsegs; i++)
		cr_assert_eq(seg_window(&segs[i], segs[i].side ? s : c), segs[i].win);
	cr_assert_leq(tcp_sk(c->sk)->max_window, 65535);
	cr_assert_leq(tcp_sk(s->sk)->max_window, 65535);
	cr_assert_eq(tcp_sk(s->sk)->snd_wnd,
		     tcp_sk(c->sk)->rcv_wnd - (tcp_sk(c->sk)->rcv_nxt - tcp_sk(c->sk)->rcv_wup));
	free(a);
	free(r);
}

/* The client's SYN has no option: the server neither offers nor scales. */
Test(tcp, peer_syn_without_wscale_means_no_scaling)
{
	no_scaling_either_way(0);
}

/* The server does not answer the option: the client's offer lapses. */
Test(tcp, synack_without_wscale_means_no_scaling)
{
	no_scaling_either_way(1);
}

/*
 * With a large SO_RCVBUF on the receiver and a wire with delay, the sender
 * keeps more than 64 KiB in flight (impossible without scaling); every data
 * segment fits the right edge last advertised, which never moves left.
 */
Test(tcp, scaled_window_carries_more_than_64k_in_flight)
{
	struct mem_link_impair imp = {.seed = 3, .delay_ns = 5 * NSEC_PER_MSEC};
	struct socket *c, *s, *l;
	size_t len = 4 << 20;
	uint8_t *a = pattern(len, 13), *r = calloc(1, len);
	int rcvbuf = 1 << 20, sndbuf = 1 << 20;
	uint32_t right_edge = 0, last_ack = 0, max_inflight = 0, max_win = 0;

	teardown();
	setup_tap(&imp);
	ts->net[0].sysctl.wmem_max = ts->net[1].sysctl.rmem_max = 4 << 20;
	l = tcp_listener(1, PORT, 4);
	cr_assert_eq(l->ops->setsockopt(l, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
	c = tcp_socket(0);
	cr_assert_eq(c->ops->setsockopt(c, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
	cr_assert_eq(tcp_connect_to(c, 1, PORT), -EINPROGRESS);
	twostack_run_for(ts, 50 * NSEC_PER_MSEC);
	s = tcp_accept(l);
	cr_assert_not_null(s);
	/*
	 * rcvbuf 2 MiB, locked: the window is clamped to its full space, half
	 * of it before any measure, 1 MiB: shift 5 (1 MiB >> 4 does not fit 16 bits).
	 */
	cr_assert_eq(segs[1].ws, 5);
	cr_assert_eq(tcp_sk(c->sk)->rx_opt.snd_wscale, 5);
	cr_assert_eq(transfer(c, s, a, r, len, 20 * NSEC_PER_SEC), len);
	cr_assert_eq(memcmp(a, r, len), 0);
	for (unsigned int i = 0; i < nsegs; i++) {
		if (segs[i].side == 1 && (segs[i].flags & TCPHDR_ACK)) {
			uint32_t win = seg_window(&segs[i], s), edge = segs[i].ack + win;

			if (right_edge && !(segs[i].flags & TCPHDR_SYN))
				cr_assert(!before(edge, right_edge), "right edge shrank at %u", i);
			if (!right_edge || after(edge, right_edge))
				right_edge = edge;
			last_ack = segs[i].ack;
			if (win > max_win)
				max_win = win;
		}
		if (segs[i].side == 0 && segs[i].len) {
			uint32_t end = segs[i].seq + segs[i].len;

			cr_assert(!after(end, right_edge), "segment %u beyond the window", i);
			if (last_ack && end - last_ack > max_inflight)
				max_inflight = end - last_ack;
		}
	}
	cr_assert_gt(max_win, 65535, "the receiver offers more than 16 bits");
	cr_assert_gt(max_inflight, 65535, "more than 64 KiB in flight: %u", max_inflight);
	cr_assert_gt(tcp_sk(c->sk)->max_window, 65535);
	cr_assert_eq(tcp_sk(c->sk)->total_retrans, 0);
	free(a);
	free(r);
}

/*
 * A window update once the reader frees enough to double the window, judged
 * against the clamp (a scaled window, not 65535): with 91072 bytes queued
 * the window left is under half the clamp; the reader takes them all, the
 * window may now be what the peer earned (rcv_ssthresh), more than 64 KiB,
 * so an ACK says so.
 */
Test(tcp, reader_opens_a_scaled_window_with_an_update)
{
	struct socket *c, *s, *l;
	size_t len = 131072 - 40000, got = 0;
	uint8_t *a = pattern(len, 14), *r = calloc(1, len);
	int n;

	kernel_default_rmem();
	/* A fixed buffer: autotuning would grow it on this read (see receive_buffer_*). */
	ts->net[1].sysctl.tcp_moderate_rcvbuf = 0;
	tcp_pair(&c, &s, &l);
	cr_assert_eq(s->sk->sk_rcvbuf, 131072);
	for (size_t sent = 0; sent < len; twostack_run_for(ts, NSEC_PER_MSEC))
		if ((n = send_buf(c, a + sent, len - sent)) > 0)
			sent += (size_t)n;
	twostack_run_for(ts, 500 * NSEC_PER_MSEC);
	cr_assert_eq(tcp_inq(s->sk), len);
	cr_assert_leq(
		2 * (tcp_sk(s->sk)->rcv_wup + tcp_sk(s->sk)->rcv_wnd - tcp_sk(s->sk)->rcv_nxt),
		tcp_sk(s->sk)->window_clamp);
	nsegs = 0;
	while ((n = recv_buf(s, r + got, len - got)) > 0)
		got += (size_t)n;
	cr_assert_eq(got, len);
	cr_assert_eq(memcmp(a, r, len), 0);
	twostack_run_for(ts, NSEC_PER_MSEC);
	cr_assert_geq(nsegs, 1);
	cr_assert_eq(segs[0].side, 1);
	cr_assert_eq(segs[0].len, 0);
	cr_assert_eq(seg_window(&segs[0], s), tcp_wscale_align(tcp_sk(s->sk)->rcv_ssthresh, 7));
	cr_assert_gt(seg_window(&segs[0], s), 65535);
	free(a);
	free(r);
}

/*
 * Both ways at once over a lossy, reordering wire: each side's ACKs carry
 * SACK blocks, which shrink the MSS of its own data, so retransmissions are
 * split; the accounting of segments in flight must come out even.
 */
Test(tcp, both_ways_at_once_on_a_lossy_wire_with_sack)
{
	struct mem_link_impair imp = {
		.seed = 5, .loss_pct = 5, .reorder_pct = 5, .delay_ns = 2 * NSEC_PER_MSEC};
	struct socket *c, *s, *l, *e[2];
	size_t len = 512 * 1024, sent[2] = {0}, got[2] = {0};
	uint8_t *src[2] = {pattern(len, 21), pattern(len, 22)};
	uint8_t *dst[2] = {calloc(1, len), calloc(1, len)};
	uint64_t deadline;

	teardown();
	setup_tap(&imp);
	tcp_pair(&c, &s, &l);
	cr_assert(tcp_sk(c->sk)->rx_opt.sack_ok && tcp_sk(s->sk)->rx_opt.sack_ok);
	e[0] = c;
	e[1] = s;
	deadline = ts->now + 300 * NSEC_PER_SEC;
	while ((got[0] < len || got[1] < len) && ts->now < deadline) {
		for (int i = 0; i < 2; i++) {
			int n;

			if (sent[i] < len &&
			    (n = send_buf(e[i], src[i] + sent[i], len - sent[i])) > 0)
				sent[i] += (size_t)n;
			while ((n = recv_buf(e[!i], dst[i] + got[i], len - got[i])) > 0)
				got[i] += (size_t)n;
		}
		twostack_run_for(ts, NSEC_PER_MSEC);
	}
	twostack_run_for(ts, 5 * NSEC_PER_SEC);
	for (int i = 0; i < 2; i++) {
		struct tcp_sock *tp = tcp_sk(e[i]->sk);

		cr_assert_eq(got[i], len, "direction %d", i);
		cr_assert_eq(memcmp(src[i], dst[i], len), 0, "direction %d", i);
		cr_assert_eq(tp->packets_out, 0);
		cr_assert_eq(tp->sacked_out + tp->lost_out + tp->retrans_out, 0);
		cr_assert_gt(tp->total_retrans, 0, "the wire lost something");
		free(src[i]);
		free(dst[i]);
	}
}

/*
 * TCP_CONGESTION as the kernel's tcp_set_congestion_control: a new socket
 * takes the namespace's tcp_congestion_control (cubic in place of one the
 * stack lacks, such as vegas); any algorithm in tcp_allowed_congestion_control
 * may be chosen, others only with CAP_NET_ADMIN (EPERM), unknown names give
 * ENOENT. The name reads back NUL-padded to TCP_CA_NAME_MAX; TCP_CC_INFO
 * is empty for reno and cubic (neither has get_info in the kernel).
 */
Test(tcp, congestion_control_choice_as_the_kernel)
{
	struct netns_sysctl *sys = &ts->net[0].sysctl;
	struct cred user = {.uid = 1000, .gid = 1000};
	struct socket *c;
	char name[32];
	uint64_t info[8];
	int len;

	strcpy(sys->tcp_congestion_control, "reno");
	c = tcp_socket(0);
	len = sizeof(name);
	cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_CONGESTION, name, &len), 0);
	cr_assert_eq(len, 16);
	cr_assert_str_eq(name, "reno");
	strcpy(sys->tcp_congestion_control, "vegas");
	c = tcp_socket(0);
	len = 4;
	cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_CONGESTION, name, &len), 0);
	cr_assert_eq(len, 4);
	cr_assert_eq(memcmp(name, "cubi", 4), 0, "the fallback for a missing algorithm");

	strcpy(sys->tcp_allowed_congestion_control, "reno");
	ts->net[0].current_cred = &user;
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_CONGESTION, "cubic", 5), 0,
		     "the algorithm it has already");
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_CONGESTION, "reno\0junk", 9), 0);
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_CONGESTION, "cubic", 5), -EPERM);
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_CONGESTION, "bbr", 3), -EPERM);
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_CONGESTION, "vegas", 5), -ENOENT);
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_CONGESTION, "", 0), -EINVAL);
	ts->net[0].current_cred = NULL; /* all capabilities */
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_CONGESTION, "cubic", 5), 0);
	len = sizeof(name);
	cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_CONGESTION, name, &len), 0);
	cr_assert_str_eq(name, "cubic");

	len = sizeof(info);
	cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_CC_INFO, info, &len), 0);
	cr_assert_eq(len, 0);
}

/*
 * The window after a loss is the algorithm's: CUBIC keeps 717/1024 of it,
 * Reno half (ssthresh), and slow start and congestion avoidance follow.
 */
Test(tcp, ssthresh_after_loss_is_the_algorithms)
{
	static const struct {
		const char *name;
		uint32_t ssthresh;
	} cases[] = {{"cubic", 7}, {"reno", 5}};

	for (size_t i = 0; i < 2; i++) {
		struct socket *c = tcp_socket(0);
		struct tcp_sock *tp = tcp_sk(c->sk);

		cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_CONGESTION, cases[i].name,
						(unsigned int)strlen(cases[i].name)),
			     0);
		tp->cong.snd_cwnd = 10;
		cr_assert_eq(tcp_ca_ssthresh(c->sk), cases[i].ssthresh, "%s", cases[i].name);
	}
}

/*
 * Receive-buffer autotuning (tcp_rcv_space_adjust) over a 20 ms RTT: the
 * most the receiver advertises in the first RTT and in the last 100 ms of
 * a transfer to a reader that drains every millisecond, and its sk_rcvbuf
 * at the end.
 */
static void autotuned_transfer(int so_rcvbuf, int moderate, uint32_t *win_first, uint32_t *win_last,
			       int *rcvbuf_end)
{
	struct mem_link_impair imp = {.seed = 5, .delay_ns = 10 * NSEC_PER_MSEC};
	struct socket *c, *s, *l;
	size_t len = 24 << 20;
	uint8_t *a = pattern(len, 15), *r = calloc(1, len);
	int sndbuf = 4 << 20;
	uint64_t t_est;

	teardown();
	setup_tap(&imp);
	kernel_default_rmem();
	ts->net[1].sysctl.tcp_moderate_rcvbuf = moderate;
	ts->net[0].sysctl.wmem_max = 8 << 20;
	l = tcp_listener(1, PORT, 4);
	if (so_rcvbuf)
		cr_assert_eq(
			l->ops->setsockopt(l, SOL_SOCKET, SO_RCVBUF, &so_rcvbuf, sizeof(so_rcvbuf)),
			0);
	c = tcp_socket(0);
	cr_assert_eq(c->ops->setsockopt(c, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
	cr_assert_eq(tcp_connect_to(c, 1, PORT), -EINPROGRESS);
	twostack_run_for(ts, 50 * NSEC_PER_MSEC);
	s = tcp_accept(l);
	cr_assert_not_null(s);
	t_est = ts->now;
	nsegs = 0;
	cr_assert_eq(transfer(c, s, a, r, len, 60 * NSEC_PER_SEC), len);
	cr_assert_eq(memcmp(a, r, len), 0);
	*win_first = *win_last = 0;
	for (unsigned int i = 0; i < nsegs; i++) {
		uint32_t win;

		if (segs[i].side != 1)
			continue;
		win = seg_window(&segs[i], s);
		if (segs[i].t < t_est + 20 * NSEC_PER_MSEC && win > *win_first)
			*win_first = win;
		if (segs[i].t + 100 * NSEC_PER_MSEC >= ts->now && win > *win_last)
			*win_last = win;
	}
	*rcvbuf_end = s->sk->sk_rcvbuf;
	free(a);
	free(r);
}

/*
 * A fast reader on a long path: the buffer, and with it the scaled window,
 * grows past the initial 128 KiB (the most a 20 ms RTT would otherwise
 * carry is 52 Mbit/s) and never past tcp_rmem[2].
 */
Test(tcp, receive_buffer_grows_with_a_fast_reader, .timeout = 60)
{
	uint32_t first, last;
	int rcvbuf;

	autotuned_transfer(0, 1, &first, &last, &rcvbuf);
	cr_assert_leq(first, 131072, "starts from tcp_rmem[1]: %u", first);
	cr_assert_gt(rcvbuf, 4 * 131072, "sk_rcvbuf grew: %d", rcvbuf);
	cr_assert_leq(rcvbuf, 6291456, "at most tcp_rmem[2]");
	cr_assert_gt(last, 4 * 131072, "the window followed: %u", last);
}

/* SO_RCVBUF locks the buffer: neither it nor the window moves. */
Test(tcp, receive_buffer_locked_by_so_rcvbuf_does_not_grow, .timeout = 60)
{
	uint32_t first, last;
	int rcvbuf;

	autotuned_transfer(65536, 1, &first, &last, &rcvbuf);
	cr_assert_eq(rcvbuf, 131072, "SO_RCVBUF doubled, as set");
	cr_assert_leq(first, 131072);
	cr_assert_leq(last, 131072, "the window stays within the locked buffer: %u", last);
}

/*
 * A connection over a tap with 10 ms each way, the kernel's default
 * tcp_rmem: returns the accepted end, whose owner holds what it consumes
 * (sk_owner_holds), and the connecting end in *c.
 */
static struct socket *owner_holding_conn(struct socket **c)
{
	static const struct mem_link_impair imp = {.seed = 5, .delay_ns = 10 * NSEC_PER_MSEC};
	struct socket *l, *s;

	teardown();
	setup_tap(&imp);
	kernel_default_rmem();
	l = tcp_listener(1, PORT, 4);
	*c = tcp_socket(0);
	cr_assert_eq(tcp_connect_to(*c, 1, PORT), -EINPROGRESS);
	twostack_run_for(ts, 50 * NSEC_PER_MSEC);
	s = tcp_accept(l);
	cr_assert_not_null(s);
	s->sk->sk_owner_holds = true;
	return s;
}

/*
 * An owner that keeps what it consumes until its program reads it (the
 * host's pair, sk_owner_holds): those bytes count against the buffer as if
 * still queued, as the kernel keeps them in its receive queue. A program
 * that reads nothing shuts the window at tcp_rmem[1]'s worth, autotuning
 * does not grow the buffer for them, and once the program has read
 * (tcp_owner_unread) the window reopens at once, without waiting for the
 * sender's zero-window probe.
 */
Test(tcp, bytes_the_owner_holds_unread_count_against_the_receive_buffer, .timeout = 60)
{
	size_t len = 1 << 20, got;
	uint8_t *a = pattern(len, 16), *r = calloc(1, len);
	struct socket *c, *s;
	unsigned int i, first;
	uint64_t t_read;
	int more;

	s = owner_holding_conn(&c);
	got = transfer(c, s, a, r, len, 2 * NSEC_PER_SEC);
	cr_assert_eq(memcmp(a, r, got), 0);
	cr_assert_eq(s->sk->sk_owner_unread, got, "held: %u of %zu", s->sk->sk_owner_unread, got);
	cr_assert_eq(s->sk->sk_rcvbuf, 131072, "tcp_rmem[1] still: %d", s->sk->sk_rcvbuf);
	/*
	 * Within a segment of the buffer: as the kernel's tcp_select_window,
	 * a window that would shrink keeps its right edge rounded up to the
	 * scale unit, which moves it on by up to 127 bytes an ACK. At least
	 * the buffer less a sixteenth, where __tcp_select_window shuts the
	 * window: a program that reads nothing gets no ACK from its reads
	 * (tcp_cleanup_rbuf), so once the free space no longer covers the
	 * window only the delayed-ACK timer moves the edge, and its last
	 * window may be the free space then, under a segment (the sender's
	 * probe takes it). Less the skb heads the kernel charges: one per 17
	 * frames (MAX_SKB_FRAGS). Before the host's hand-over stopped
	 * counting as a read, every segment was ACKed and took 4 at most.
	 */
	cr_assert(got <= 131072 + 1448 &&
			  got > 131072 - 131072 / 16 - (131072 / (17 * 1448) + 1) * 832,
		  "taken: %zu", got);
	cr_assert_lt(tcp_sk(c->sk)->snd_wnd, 1448, "the window shut: %u", tcp_sk(c->sk)->snd_wnd);

	first = nsegs;
	t_read = ts->now;
	cr_assert(tcp_owner_reads_matter(s->sk), "the owner must learn of this read");
	tcp_owner_unread(s->sk, 0);
	for (i = first; i < nsegs && segs[i].side != 1; i++)
		;
	cr_assert_lt(i, nsegs, "a window update as the program reads");
	cr_assert_eq(segs[i].t, t_read);
	/* The free space is the whole clamp again: the window the peer earned (rcv_ssthresh) shows.
	 */
	cr_assert_eq(seg_window(&segs[i], s), tcp_wscale_align(tcp_sk(s->sk)->rcv_ssthresh, 7),
		     "%u", seg_window(&segs[i], s));
	twostack_run_for(ts, 50 * NSEC_PER_MSEC);
	more = recv_buf(s, r + got, len - got);
	cr_assert_gt(more, 0, "the sender sends again: %d", more);
	cr_assert_eq(memcmp(a + got, r + got, (size_t)more), 0);
	free(a);
	free(r);
}

/*
 * The host stops watching its pair for the program's reads while they
 * cannot matter (tcp_owner_reads_matter): a few segments held of a buffer
 * whose window is open, everything acknowledged. A read then sends nothing,
 * as the kernel's tcp_cleanup_rbuf sends nothing for it; once the held
 * bytes shut the window (the test above) the read matters again.
 */
Test(tcp, a_read_of_little_held_data_under_an_open_window_does_not_matter, .timeout = 60)
{
	size_t len = 8 * 1448, got;
	uint8_t *a = pattern(len, 17), *r = calloc(1, len);
	struct socket *c, *s;
	unsigned int i, first;

	s = owner_holding_conn(&c);
	cr_assert_not(tcp_owner_reads_matter(s->sk), "nothing held yet");
	got = transfer(c, s, a, r, len, 2 * NSEC_PER_SEC);
	cr_assert_eq(got, len);
	cr_assert_eq(memcmp(a, r, got), 0);
	/* Past the delayed ACK: everything is acknowledged. */
	twostack_run_for(ts, 300 * NSEC_PER_MSEC);
	cr_assert_eq(s->sk->sk_owner_unread, got, "held: %u", s->sk->sk_owner_unread);
	cr_assert_not(tcp_owner_reads_matter(s->sk), "window %u, clamp %u, space %d of %d",
		      tcp_sk(s->sk)->rcv_wnd, tcp_sk(s->sk)->window_clamp, tcp_space(s->sk),
		      tcp_full_space(s->sk));
	first = nsegs;
	tcp_owner_unread(s->sk, 0);
	for (i = first; i < nsegs && segs[i].side != 1; i++)
		;
	cr_assert_eq(i, nsegs, "the read sent a segment");
	cr_assert_not(tcp_owner_reads_matter(s->sk), "nothing held after it");
	free(a);
	free(r);
}

/* tcp_moderate_rcvbuf = 0 turns autotuning off. */
Test(tcp, receive_buffer_autotuning_off_by_sysctl, .timeout = 60)
{
	uint32_t first, last;
	int rcvbuf;

	autotuned_transfer(0, 0, &first, &last, &rcvbuf);
	cr_assert_eq(rcvbuf, 131072);
	cr_assert_leq(last, 131072, "%u", last);
}

static unsigned int synacks_from(int side)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < nsegs; i++)
		if (segs[i].side == side && (segs[i].flags & 0x12) == 0x12)
			n++;
	return n;
}

/*
 * TCP_DEFER_ACCEPT of 5 s is 3 SYN-ACK retransmissions, read back as the
 * 7 s they cover. The client's bare ACK is dropped and the connection is
 * not acceptable; the SYN-ACK is not repeated at 1 s and 3 s but only in
 * the deferral's last round (7 s), and the client's ACK of that one makes
 * the connection acceptable without data (tcp_check_req, syn_ack_recalc).
 */
Test(tcp, defer_accept_drops_the_bare_ack_until_its_last_round)
{
	struct socket *l = tcp_listener(1, PORT, 4), *c = tcp_socket(0);
	int v = 5, got = 0;
	int len = sizeof(got);

	cr_assert_eq(l->ops->setsockopt(l, SOL_TCP, TCP_DEFER_ACCEPT, &v, sizeof(v)), 0);
	cr_assert_eq(l->ops->getsockopt(l, SOL_TCP, TCP_DEFER_ACCEPT, &got, &len), 0);
	cr_assert_eq(got, 7);
	nsegs = 0;
	cr_assert_eq(tcp_connect_to(c, 1, PORT), -EINPROGRESS);
	twostack_run_for(ts, 100 * NSEC_PER_MSEC);
	cr_assert_eq(c->sk->sk_state, TCP_ESTABLISHED);
	twostack_run_for(ts, 6 * NSEC_PER_SEC);
	cr_assert_null(tcp_accept(l), "accepted while deferred");
	cr_assert_eq(ts->net[1].mib.tcpext.TCPDeferAcceptDrop, 1);
	cr_assert_eq(synacks_from(1), 1, "SYN-ACK repeated during the deferral");
	twostack_run_for(ts, 2 * NSEC_PER_SEC);
	cr_assert_eq(synacks_from(1), 2, "no SYN-ACK in the deferral's last round");
	cr_assert_not_null(tcp_accept(l), "not acceptable after the deferral");
}
