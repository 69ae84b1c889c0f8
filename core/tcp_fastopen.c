// SPDX-License-Identifier: MIT
/*
 * TCP Fast Open (RFC 7413; net/ipv4/tcp_fastopen.c and the cookie cache of
 * tcp_metrics.c), as net.ipv4.tcp_fastopen's bits select it:
 *   0x1   client: sendto/sendmsg(MSG_FASTOPEN), TCP_FASTOPEN_CONNECT
 *   0x2   server: listeners with TCP_FASTOPEN (a queue length)
 *   0x4   client sends data without a cookie
 *   0x200 server takes data without a cookie
 *   0x400 every listener is a Fast Open one (the backlog as the queue length)
 *
 * The client keeps the cookie (and the peer's MSS) per destination; a SYN
 * to a destination with a cookie carries it and as much data as fits below
 * the MSS less 40 bytes, otherwise it asks for one with an empty option and
 * the data waits for the handshake. The server's cookie is the kernel's:
 * SipHash-2-4 of the SYN's source and destination addresses under the
 * listener's TCP_FASTOPEN_KEY or the namespace's net.ipv4.tcp_fastopen_key
 * (its own random key when that is unset or unreadable), so a stack and a
 * kernel sharing a key give the same cookie. A SYN with a valid cookie makes
 * a child whose data accept() returns before the handshake completes; a bad
 * one has its data ignored and gets a fresh cookie in the SYN-ACK.
 *
 * What this is not: no blackhole detection (tcp_fastopen_active_disable),
 * no per-route no-cookie metric; the cache has a fixed size with the
 * oldest entry replaced; a FIN in the SYN is not taken with its data.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inet.h"
#include "ip.h"
#include "net_namespace.h"
#include "tcp.h"

#define TFO_CACHE_SIZE 64 /* destinations remembered (the kernel: tcp_metrics' hash) */

struct tcp_fastopen_metrics {
	uint32_t saddr, daddr; /* 0/0: free */
	uint16_t mss;	       /* the peer's MSS option last seen */
	uint8_t try_exp;       /* 1: ask with the experimental option next time */
	struct tcp_fastopen_cookie cookie;
	uint64_t stamp; /* last use, ns: the oldest is replaced */
};

struct tcp_fastopen_net {
	uint8_t key[2][TCP_FASTOPEN_KEY_LENGTH]; /* primary, backup */
	uint8_t nkeys;
	char key_seen[sizeof(((struct netns_sysctl *)0)->tcp_fastopen_key)];
	struct tcp_fastopen_metrics cache[TFO_CACHE_SIZE];
};

/* ---- SipHash-2-4 (the kernel's siphash(), on whole 64-bit words) ---- */

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t rol64(uint64_t v, int s)
{
	return v << s | v >> (64 - s);
}

#define SIPROUND(v0, v1, v2, v3)                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = rol64(v1, 13) ^ v0;                                                           \
		v0 = rol64(v0, 32);                                                                \
		v2 += v3;                                                                          \
		v3 = rol64(v3, 16) ^ v2;                                                           \
		v0 += v3;                                                                          \
		v3 = rol64(v3, 21) ^ v0;                                                           \
		v2 += v1;                                                                          \
		v1 = rol64(v1, 17) ^ v2;                                                           \
		v2 = rol64(v2, 32);                                                                \
	} while (0)

/* SipHash-2-4 of len bytes (a multiple of 8) under the 16-byte key. */
static uint64_t siphash(const uint8_t *data, size_t len, const uint8_t key[16])
{
	uint64_t k0 = le64(key), k1 = le64(key + 8), b = (uint64_t)len << 56;
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;

	for (size_t i = 0; i + 8 <= len; i += 8) {
		uint64_t m = le64(data + i);

		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- keys ---- */

/*
 * net.ipv4.tcp_fastopen_key as proc_tcp_fastopen_key prints it: four
 * 32-bit hex words per key, the key being their little-endian bytes, an
 * optional backup after a comma. Returns the keys read (0: none, or zero).
 */
static int tcp_fastopen_parse_key(const char *s, uint8_t key[2][TCP_FASTOPEN_KEY_LENGTH])
{
	unsigned int w[8];
	int n = sscanf(s, "%x-%x-%x-%x,%x-%x-%x-%x", &w[0], &w[1], &w[2], &w[3], &w[4], &w[5],
		       &w[6], &w[7]);
	bool zero = true;

	if (n != 4 && n != 8)
		return 0;
	/* Bounded by the array, not by n, so that the compiler sees no overflow. */
	for (int i = 0; i < 8 && i < n; i++) {
		for (int b = 0; b < 4; b++)
			key[i / 4][(i % 4) * 4 + b] = (uint8_t)(w[i] >> (8 * b));
		if (i < 4 && w[i])
			zero = false;
	}
	return zero ? 0 : n / 4;
}

static struct tcp_fastopen_net *tfo_net(struct net *net)
{
	struct tcp_fastopen_net *t = net->tfo;
	const char *cur = net->sysctl.tcp_fastopen_key;

	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return NULL;
		net->tfo = t;
		t->key_seen[0] = 1; /* differs from any string: the key is derived below */
	}
	if (strcmp(t->key_seen, cur)) {
		snprintf(t->key_seen, sizeof(t->key_seen), "%s", cur);
		t->nkeys = (uint8_t)tcp_fastopen_parse_key(cur, t->key);
		if (!t->nkeys) {
			/* Never set (the kernel prints zeros then): a random key of our own. */
			for (int i = 0; i < TCP_FASTOPEN_KEY_LENGTH; i++)
				t->key[0][i] =
					(uint8_t)(net->isn_secret[i % 4] >> (8 * (i / 4)) ^ 0xa5);
			t->nkeys = 1;
		}
	}
	return t;
}

void tcp_fastopen_net_exit(struct net *net)
{
	free(net->tfo);
	net->tfo = NULL;
}

/* The keys a listener's cookies use (tcp_fastopen_get_ctx): its own, else the namespace's. */
static int tcp_fastopen_keys(struct sock *sk, const uint8_t **keys)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_fastopen_net *t;

	if (tp->fastopen_nkeys) {
		*keys = tp->fastopen_key[0];
		return tp->fastopen_nkeys;
	}
	t = tfo_net(sock_net(sk));
	if (!t)
		return 0;
	*keys = t->key[0];
	return t->nkeys;
}

/* __tcp_fastopen_cookie_gen_cipher: SipHash of saddr, daddr as the SYN carries them. */
static void tcp_fastopen_cookie_gen(const uint8_t *key, uint32_t saddr, uint32_t daddr,
				    struct tcp_fastopen_cookie *foc)
{
	uint8_t in[8];
	uint64_t h;

	memcpy(in, &saddr, 4);
	memcpy(in + 4, &daddr, 4);
	h = siphash(in, sizeof(in), key);
	for (int i = 0; i < TCP_FASTOPEN_COOKIE_SIZE; i++)
		foc->val[i] = (uint8_t)(h >> (8 * i));
	foc->len = TCP_FASTOPEN_COOKIE_SIZE;
}

/* 1: valid under the primary key, 2: the backup's, 0: not ours (tcp_fastopen_cookie_gen_check). */
static int tcp_fastopen_cookie_check(struct sock *parent, const struct sk_buff *syn,
				     const struct tcp_fastopen_cookie *orig,
				     struct tcp_fastopen_cookie *valid)
{
	const struct iphdr *iph = ip_hdr(syn);
	const uint8_t *keys;
	int n = tcp_fastopen_keys(parent, &keys);

	for (int i = 0; i < n; i++) {
		struct tcp_fastopen_cookie c = {.len = 0};

		tcp_fastopen_cookie_gen(keys + i * TCP_FASTOPEN_KEY_LENGTH, iph->saddr, iph->daddr,
					&c);
		if (orig->len == c.len && !memcmp(c.val, orig->val, TCP_FASTOPEN_COOKIE_SIZE))
			return i + 1;
		if (!i)
			*valid = c; /* the one the SYN-ACK hands out */
	}
	return 0;
}

/* ---- the option ---- */

void tcp_fastopen_take(int len, const uint8_t *cookie, struct tcp_fastopen_cookie *foc, bool exp)
{
	/* tcp_parse_fastopen_option: even lengths only, 0 is a request. */
	if (len < 0 || (len & 1))
		return;
	if (len >= TCP_FASTOPEN_COOKIE_MIN && len <= TCP_FASTOPEN_COOKIE_MAX)
		memcpy(foc->val, cookie, (size_t)len);
	else if (len)
		len = -1;
	foc->len = (int8_t)len;
	foc->exp = exp;
}

unsigned int tcp_fastopen_optlen(const struct tcp_fastopen_cookie *foc)
{
	unsigned int need;

	if (foc->len < 0)
		return 0;
	need = (unsigned int)foc->len +
	       (foc->exp ? TCPOLEN_EXP_FASTOPEN_BASE : TCPOLEN_FASTOPEN_BASE);
	return (need + 3) & ~3u;
}

uint8_t *tcp_fastopen_write(uint8_t *ptr, const struct tcp_fastopen_cookie *foc)
{
	unsigned int len = (unsigned int)foc->len;

	if (foc->exp) {
		len += TCPOLEN_EXP_FASTOPEN_BASE;
		*ptr++ = TCPOPT_EXP;
		*ptr++ = (uint8_t)len;
		*ptr++ = TCPOPT_FASTOPEN_MAGIC >> 8;
		*ptr++ = TCPOPT_FASTOPEN_MAGIC & 0xff;
	} else {
		len += TCPOLEN_FASTOPEN_BASE;
		*ptr++ = TCPOPT_FASTOPEN;
		*ptr++ = (uint8_t)len;
	}
	memcpy(ptr, foc->val, (size_t)foc->len);
	ptr += foc->len;
	if ((len & 3) == 2) {
		*ptr++ = TCPOPT_NOP;
		*ptr++ = TCPOPT_NOP;
	}
	return ptr;
}

/* ---- the client ---- */

/* The cache entry for sk's destination (tcp_get_metrics); create it if asked. */
static struct tcp_fastopen_metrics *tcp_fastopen_metrics(struct sock *sk, bool create)
{
	struct net *net = sock_net(sk);
	struct tcp_fastopen_net *t = tfo_net(net);
	struct tcp_fastopen_metrics *m, *oldest;
	uint32_t saddr = inet_sk(sk)->inet_saddr, daddr = sk->sk_daddr;

	if (!t)
		return NULL;
	oldest = &t->cache[0];
	for (m = t->cache; m < t->cache + TFO_CACHE_SIZE; m++) {
		if (m->saddr == saddr && m->daddr == daddr) {
			m->stamp = net->now;
			return m;
		}
		if (m->stamp < oldest->stamp)
			oldest = m;
	}
	if (!create)
		return NULL;
	memset(oldest, 0, sizeof(*oldest));
	oldest->saddr = saddr;
	oldest->daddr = daddr;
	oldest->cookie.len = -1;
	oldest->stamp = net->now;
	return oldest;
}

static bool tcp_fastopen_no_cookie(const struct sock *sk, int flag)
{
	return (sock_net(sk)->sysctl.tcp_fastopen & flag) || tcp_sk(sk)->fastopen_no_cookie;
}

/*
 * tcp_fastopen_cookie_check: the cached cookie and MSS for sk's
 * destination; true when the SYN may carry data.
 */
static bool tcp_fastopen_cookie_get(struct sock *sk, uint16_t *mss,
				    struct tcp_fastopen_cookie *cookie)
{
	struct tcp_fastopen_metrics *m = tcp_fastopen_metrics(sk, false);

	cookie->len = 0;
	cookie->exp = false;
	if (m) {
		if (m->mss)
			*mss = m->mss;
		if (m->cookie.len > 0)
			*cookie = m->cookie;
		else if (m->try_exp == 1)
			cookie->exp = true;
	}
	if (tcp_fastopen_no_cookie(sk, TFO_CLIENT_NO_COOKIE)) {
		cookie->len = -1;
		return true;
	}
	if (cookie->len > 0)
		return true;
	tcp_sk(sk)->fastopen_client_fail = TFO_COOKIE_UNAVAILABLE;
	return false;
}

bool tcp_fastopen_defer_connect(struct sock *sk, struct tcp_fastopen_request *fo)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_fastopen_cookie cookie;
	uint16_t mss = 0;

	if (!tp->fastopen_connect || tp->fastopen_req)
		return false;
	if (tcp_fastopen_cookie_get(sk, &mss, &cookie)) {
		inet_sk(sk)->defer_connect = 1;
		return true;
	}
	tp->fastopen_req = fo; /* no data: the SYN only asks for a cookie */
	return false;
}

int tcp_send_syn_data(struct sock *sk, struct sk_buff *syn)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_fastopen_request *fo = tp->fastopen_req;
	uint16_t mss = tp->advmss;
	struct sk_buff *data, *c;
	size_t space;

	if (!tcp_fastopen_cookie_get(sk, &mss, &fo->cookie))
		return 1; /* a regular SYN asking for a cookie; the data waits */
	if (tp->rx_opt.user_mss && tp->rx_opt.user_mss < mss)
		mss = tp->rx_opt.user_mss;
	/* __tcp_mtu_to_mss less the most options a middlebox may add. */
	space = tcp_mss_for_mtu(sk);
	if (space > mss)
		space = mss;
	space = space > MAX_TCP_OPTION_SPACE ? space - MAX_TCP_OPTION_SPACE : 0;
	if (space > fo->size)
		space = fo->size;
	data = alloc_skb((unsigned int)space);
	c = alloc_skb((unsigned int)space + 60);
	if (!data || !c) {
		kfree_skb(data);
		kfree_skb(c);
		return 1;
	}
	/* The queue keeps the SYN and its data apart, the wire sees one segment. */
	memcpy(skb_put(data, (unsigned int)space), fo->data, space);
	TCP_SKB_CB(data)->seq = TCP_SKB_CB(syn)->end_seq;
	TCP_SKB_CB(data)->end_seq = TCP_SKB_CB(syn)->end_seq + (uint32_t)space;
	TCP_SKB_CB(data)->tcp_flags = TCPHDR_PSH;
	TCP_SKB_CB(data)->when = sock_net(sk)->now;
	tp->write_seq += (uint32_t)space;
	/* The SYN's data is queued whatever the pool holds (tcp_stream_alloc_skb's force). */
	sk_forced_mem_schedule(sk, (int)space);
	tcp_wmem_charge(sk, (int)space);
	__skb_queue_tail(&sk->sk_write_queue, data);
	skb_reserve(c, 60);
	memcpy(skb_put(c, (unsigned int)space), fo->data, space);
	TCP_SKB_CB(c)->seq = TCP_SKB_CB(syn)->seq;
	TCP_SKB_CB(c)->tcp_flags = TCP_SKB_CB(syn)->tcp_flags; /* SYN, and ECN's ECE|CWR */
	TCP_SKB_CB(syn)->when = sock_net(sk)->now;
	tcp_skb_tsorted_sent(sk, syn);
	tcp_skb_tsorted_sent(sk, data);
	tcp_transmit_skb(sk, c, false);
	fo->copied = space;
	tp->syn_data = space > 0;
	if (space)
		tcp_chrono_start(sk, TCP_CHRONO_BUSY); /* tcp_send_syn_data */
	return 0;
}

int tcp_connect_fastopen(struct socket *sock, const struct sockaddr *uaddr, int addr_len,
			 const void *data, size_t size, size_t *copied)
{
	struct sock *sk = sock->sk;
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_fastopen_request fo = {.data = data, .size = size};
	int err;

	*copied = 0;
	tcp_sysctl_refresh(&sock_net(sk)->sysctl, TCP_SYSCTL_FASTOPEN);
	/* tcp_sendmsg_fastopen */
	if (!(sock_net(sk)->sysctl.tcp_fastopen & TFO_CLIENT_ENABLE) ||
	    (uaddr && addr_len >= (int)sizeof(uaddr->sa_family) && uaddr->sa_family == AF_UNSPEC))
		return -EOPNOTSUPP;
	if (tp->fastopen_req)
		return -EALREADY;
	/* TCP_FASTOPEN_CONNECT's connect() returned already: this write sends the SYN. */
	if (inet_sk(sk)->defer_connect)
		return tcp_sendmsg_deferred(sk, data, size, copied);
	tp->fastopen_req = &fo;
	err = sock->ops->connect(sock, uaddr, addr_len, O_NONBLOCK);
	tp->fastopen_req = NULL;
	*copied = fo.copied;
	return err;
}

int tcp_sendmsg_deferred(struct sock *sk, const void *data, size_t size, size_t *copied)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_fastopen_request fo = {.data = data, .size = size};
	int err;

	inet_sk(sk)->defer_connect = 0;
	tp->fastopen_req = &fo;
	err = tcp_connect(sk);
	tp->fastopen_req = NULL;
	*copied = fo.copied;
	return err ? err : -EINPROGRESS;
}

/* tcp_fastopen_cache_set: what a SYN-ACK taught about its sender. */
static void tcp_fastopen_cache_set(struct sock *sk, uint16_t mss,
				   const struct tcp_fastopen_cookie *cookie, uint8_t try_exp)
{
	struct tcp_fastopen_metrics *m = tcp_fastopen_metrics(sk, true);

	if (!m)
		return;
	if (mss)
		m->mss = mss;
	if (cookie->len > 0)
		m->cookie = *cookie;
	else if (try_exp > m->try_exp && m->cookie.len <= 0 && !m->cookie.exp)
		m->try_exp = try_exp;
}

bool tcp_rcv_fastopen_synack(struct sock *sk, const struct sk_buff *synack)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(synack);
	struct sk_buff *data = tp->syn_data ? skb_peek(&sk->sk_write_queue) : NULL;
	struct tcp_options_received opt = {0};
	struct tcp_fastopen_cookie cookie;
	uint8_t try_exp = 0;

	if (data == tp->send_head)
		data = NULL; /* all of it was acknowledged (tcp_clean_rtx_queue took it) */
	/* The peer's own MSS, not the one TCP_MAXSEG lowered. */
	tcp_parse_options(sock_net(sk), th, &opt, false, &cookie);
	if (!tp->syn_fastopen)
		cookie.len = -1; /* an unsolicited cookie is ignored */
	else if (tp->total_retrans)
		; /* only the retransmitted, plain SYN may have arrived */
	else if (cookie.len < 0 && !tp->syn_data)
		try_exp = tp->syn_fastopen_exp ? 2 : 1; /* asked, got none: try the other form */
	tcp_fastopen_cache_set(sk, opt.mss_clamp, &cookie, try_exp);
	if (data) {
		/* Part of the SYN's data was not acknowledged: send the rest now. */
		struct sk_buff *skb;

		tp->fastopen_client_fail =
			tp->total_retrans ? TFO_SYN_RETRANSMITTED : TFO_DATA_NOT_ACKED;
		skb_queue_walk (&sk->sk_write_queue, skb) {
			if (skb == tp->send_head)
				break;
			tcp_mark_skb_lost(sk, skb);
		}
		tcp_xmit_retransmit_queue(sk);
		__NET_INC_STATS(sock_net(sk), TCPFastOpenActiveFail);
		return true;
	}
	tp->syn_data_acked = tp->syn_data;
	if (tp->syn_data_acked)
		__NET_INC_STATS(sock_net(sk), TCPFastOpenActive);
	return false;
}

/* ---- the server ---- */

void tcp_fastopen_listen(struct sock *sk, int backlog)
{
	int fo = sock_net(sk)->sysctl.tcp_fastopen;
	struct tcp_sock *tp = tcp_sk(sk);

	if ((fo & TFO_SERVER_WO_SOCKOPT1) && (fo & TFO_SERVER_ENABLE) && !tp->fastopen_max_qlen) {
		int somaxconn = sock_net(sk)->sysctl.somaxconn;

		tp->fastopen_max_qlen = (uint32_t)(backlog < somaxconn ? backlog : somaxconn);
	}
	/*
	 * reqsk_queue_alloc: the count starts over, though children accepted
	 * before a shutdown() still count themselves off at their ACK.
	 */
	tp->fastopen_qlen = 0;
}

/*
 * A place in a listener's Fast Open count that an accepted child's reset
 * left behind (reqsk_fastopen_remove's rskq_rst): it is held a minute, so
 * that spoofed SYNs with data and RSTs that end their children cannot keep
 * the listener taking data before handshakes (the TFO paper's defence).
 */
struct tcp_fastopen_rst {
	struct tcp_fastopen_rst *next;
	uint64_t expires; /* stack clock, ns */
};

#define TCP_FASTOPEN_RST_HOLD (60ull * NSEC_PER_SEC) /* the kernel's 60*HZ */

/*
 * tcp_fastopen_queue_check: the listener takes Fast Open and has room. A
 * full queue frees the oldest held place once its minute is over, one per
 * SYN, as the kernel's.
 */
static bool tcp_fastopen_queue_check(struct sock *parent)
{
	struct tcp_sock *tp = tcp_sk(parent);
	struct tcp_fastopen_rst *held = tp->fastopen_rst_head;

	if (!tp->fastopen_max_qlen)
		return false;
	if (tp->fastopen_qlen >= (int32_t)tp->fastopen_max_qlen) {
		if (!held || held->expires > sock_net(parent)->now) {
			__NET_INC_STATS(sock_net(parent), TCPFastOpenListenOverflow);
			return false;
		}
		tp->fastopen_rst_head = held->next;
		tp->fastopen_qlen--;
		free(held);
	}
	return true;
}

/*
 * tcp_fastopen_create_child's part for a child made already: the SYN's
 * data is its first, rcv_nxt past it (so the SYN-ACK acknowledges it), and
 * it joins the accept queue now, still in SYN_RECV.
 */
static void tcp_fastopen_adopt(struct sock *parent, struct sock *child, const struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(child), *ptp = tcp_sk(parent);

	tp->fastopen_child = 1;
	tp->fastopen_passive = 1;
	tp->fastopen_listener = ptp;
	list_add_tail(&tp->fastopen_node, &ptp->fastopen_queue);
	ptp->fastopen_qlen++;
	if (skb->len) {
		struct sk_buff *d = alloc_skb(skb->len);

		if (d) {
			memcpy(skb_put(d, skb->len), skb->data, skb->len);
			TCP_SKB_CB(d)->seq = tp->rcv_nxt;
			TCP_SKB_CB(d)->end_seq = tp->rcv_nxt + skb->len;
			d->truesize = tcp_rx_truesize(skb->len, 1);
			d->rx = (struct skb_rx_part){.head_end = TCP_SKB_CB(d)->end_seq,
						     .frags = 1};
			__skb_queue_tail(&child->sk_receive_queue, d);
			sk_forced_mem_schedule(child, (int)d->truesize);
			tcp_rmem_charge(child, (int)d->truesize);
			tp->rcv_nxt += skb->len;
			tp->bytes_received += skb->len;
			tp->syn_data_acked = 1; /* TCP_INFO's TCPI_OPT_SYN_DATA, as the kernel's */
			tp->data_segs_in++;
			tp->last_data_recv = sock_net(child)->now;
		}
	}
	tp->rcv_wup = tp->rcv_nxt;
	list_del_init(&tp->accept_node);
	reqsk_queue_removed(ptp, tp);
	list_add_tail(&tp->accept_node, &ptp->accept_queue);
	parent->sk_ack_backlog++;
	__TCP_INC_STATS(sock_net(parent), PassiveOpens);
	__NET_INC_STATS(sock_net(parent), TCPFastOpenPassive);
	parent->sk_data_ready(parent);
}

struct sock *tcp_try_fastopen(struct sock *parent, struct sk_buff *skb)
{
	const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(skb);
	struct net *net = sock_net(parent);
	struct tcp_fastopen_cookie foc, valid = {.len = -1};
	struct tcp_options_received opt = {0};
	bool syn_data = skb->len > 0;
	struct sock *child;
	int ret = 0;

	tcp_parse_options(net, th, &opt, false, &foc);
	if (foc.len == 0)
		__NET_INC_STATS(net, TCPFastOpenCookieReqd);
	if (!((net->sysctl.tcp_fastopen & TFO_SERVER_ENABLE) && (syn_data || foc.len >= 0) &&
	      tcp_fastopen_queue_check(parent)))
		return tcp_v4_syn_recv_sock(parent, skb, NULL, false);
	if (tcp_fastopen_no_cookie(parent, TFO_SERVER_COOKIE_NOT_REQD)) {
		ret = 1;
	} else if (foc.len == 0) {
		const uint8_t *keys;

		if (tcp_fastopen_keys(parent, &keys))
			tcp_fastopen_cookie_gen(keys, ip_hdr(skb)->saddr, ip_hdr(skb)->daddr,
						&valid);
	} else if (foc.len > 0) {
		ret = tcp_fastopen_cookie_check(parent, skb, &foc, &valid);
		if (!ret)
			__NET_INC_STATS(net, TCPFastOpenPassiveFail);
	}
	if (!ret) {
		/* A plain child; the SYN's data is ignored, the SYN-ACK carries a cookie. */
		valid.exp = foc.exp;
		return tcp_v4_syn_recv_sock(parent, skb, &valid, false);
	}
	if (ret == 2) {
		/* Valid under the backup key: the SYN-ACK hands out the primary's. */
		valid.exp = foc.exp;
		__NET_INC_STATS(net, TCPFastOpenPassiveAltKey);
	} else {
		valid.len = -1;
	}
	child = tcp_v4_syn_recv_sock(parent, skb, &valid, true);
	if (!child)
		__NET_INC_STATS(net, TCPFastOpenPassiveFail);
	return child;
}

void tcp_fastopen_child_init(struct sock *parent, struct sock *child, const struct sk_buff *skb,
			     const struct tcp_fastopen_cookie *foc, bool fastopen)
{
	if (foc && foc->len > 0)
		tcp_sk(child)->fastopen_synack = *foc;
	if (fastopen)
		tcp_fastopen_adopt(parent, child, skb);
}

/*
 * reqsk_fastopen_remove: the child's handshake ACK came, or it died. Not its
 * accept(): until then the request sock, and the count, outlive it.
 */
void tcp_fastopen_child_done(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->fastopen_child)
		return;
	tp->fastopen_child = 0;
	if (tp->fastopen_listener)
		tp->fastopen_listener->fastopen_qlen--;
	tp->fastopen_listener = NULL;
	list_del_init(&tp->fastopen_node);
}

/*
 * The peer reset a Fast Open child before its handshake's ACK (tcp_check_req,
 * before tcp_reset): an accepted one leaves its place held in its listener's
 * count (tcp_fastopen_rst). One not yet accepted, or whose listener stopped,
 * lets go of it with tcp_done, as the kernel's request sock does then.
 */
void tcp_fastopen_child_reset(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk), *ltp = tp->fastopen_listener;
	struct tcp_fastopen_rst *held;

	if (!tp->fastopen_child || !ltp || tp->parent || ltp->inet.sk.sk_state != TCP_LISTEN)
		return;
	held = malloc(sizeof(*held));
	if (!held)
		return; /* no memory: the place goes now, unheld */
	held->next = NULL;
	held->expires = sock_net(sk)->now + TCP_FASTOPEN_RST_HOLD;
	if (ltp->fastopen_rst_head)
		ltp->fastopen_rst_tail->next = held;
	else
		ltp->fastopen_rst_head = held;
	ltp->fastopen_rst_tail = held;
	ltp->fastopen_qlen++; /* tcp_done's tcp_fastopen_child_done takes the child's own */
}

/*
 * A listener stops (inet_csk_listen_stop): the held places go. Children
 * accepted before their ACK stay its own (the request sock's rsk_listener):
 * their ACK still takes them off its count, under a new listen() too.
 */
void tcp_fastopen_listen_stop(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	while (tp->fastopen_rst_head) {
		struct tcp_fastopen_rst *held = tp->fastopen_rst_head;

		tp->fastopen_rst_head = held->next;
		free(held);
	}
	tp->fastopen_rst_tail = NULL;
}

/* The listener is freed: its accepted children before their ACK count against nothing. */
void tcp_fastopen_forget_children(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk), *child, *tmp;

	tcp_fastopen_listen_stop(sk);
	list_for_each_entry_safe (child, tmp, &tp->fastopen_queue, fastopen_node) {
		child->fastopen_listener = NULL;
		list_del_init(&child->fastopen_node);
	}
}

/* ---- socket options ---- */

int tcp_fastopen_setsockopt(struct sock *sk, int optname, const void *optval, unsigned int optlen)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	int val;

	if (optname == TCP_FASTOPEN_KEY) {
		/* A key, or a key and its backup, as raw bytes (the siphash key). */
		if (optlen != TCP_FASTOPEN_KEY_LENGTH && optlen != 2 * TCP_FASTOPEN_KEY_LENGTH)
			return -EINVAL;
		memcpy(tp->fastopen_key, optval, optlen);
		tp->fastopen_nkeys = (uint8_t)(optlen / TCP_FASTOPEN_KEY_LENGTH);
		return 0;
	}
	if (optlen < sizeof(int))
		return -EINVAL;
	memcpy(&val, optval, sizeof(int));
	switch (optname) {
	case TCP_FASTOPEN:
		if (val < 0 || !((1 << sk->sk_state) & ((1 << TCP_CLOSE) | (1 << TCP_LISTEN))))
			return -EINVAL;
		/* fastopen_queue_tune: at most somaxconn. */
		tp->fastopen_max_qlen =
			(uint32_t)(val < net->sysctl.somaxconn ? val : net->sysctl.somaxconn);
		return 0;
	case TCP_FASTOPEN_CONNECT:
		if (val > 1 || val < 0)
			return -EINVAL;
		tcp_sysctl_refresh(&net->sysctl, TCP_SYSCTL_FASTOPEN);
		if (!(net->sysctl.tcp_fastopen & TFO_CLIENT_ENABLE))
			return -EOPNOTSUPP;
		if (sk->sk_state != TCP_CLOSE)
			return -EINVAL;
		tp->fastopen_connect = (uint8_t)val;
		return 0;
	case TCP_FASTOPEN_NO_COOKIE:
		if (val > 1 || val < 0 ||
		    !((1 << sk->sk_state) & ((1 << TCP_CLOSE) | (1 << TCP_LISTEN))))
			return -EINVAL;
		tp->fastopen_no_cookie = (uint8_t)val;
		return 0;
	}
	return -ENOPROTOOPT;
}

int tcp_fastopen_getsockopt(struct sock *sk, int optname, void *optval, int *optlen)
{
	struct tcp_sock *tp = tcp_sk(sk);
	unsigned int len = (unsigned int)*optlen;
	int val;

	switch (optname) {
	case TCP_FASTOPEN_KEY: {
		/* The socket's own keys only (tcp_fastopen_get_cipher with icsk). */
		unsigned int klen = tp->fastopen_nkeys * TCP_FASTOPEN_KEY_LENGTH;

		if (len > klen)
			len = klen;
		memcpy(optval, tp->fastopen_key, len);
		*optlen = (int)len;
		return 0;
	}
	case TCP_FASTOPEN:
		val = (int)tp->fastopen_max_qlen;
		break;
	case TCP_FASTOPEN_CONNECT:
		val = tp->fastopen_connect;
		break;
	case TCP_FASTOPEN_NO_COOKIE:
		val = tp->fastopen_no_cookie;
		break;
	default:
		return -ENOPROTOOPT;
	}
	if (len > sizeof(int))
		len = sizeof(int);
	memcpy(optval, &val, len);
	*optlen = (int)len;
	return 0;
}
