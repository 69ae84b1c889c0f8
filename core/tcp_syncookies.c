// SPDX-License-Identifier: MIT
/*
 * SYN cookies (net/ipv4/syncookies.c): when a listener's SYN queue is full
 * and tcp_syncookies allows (1: then; 2: always), the SYN-ACK's sequence
 * number carries what the connection needs and no state is kept; the ACK
 * that echoes it creates the child directly.
 *
 * The cookie is the kernel's layout: hash(4-tuple) + the peer's ISN +
 * (minute counter << 24) + ((hash(4-tuple, counter) + MSS index) & 2^24-1),
 * valid for MAX_SYNCOOKIE_AGE minutes. Window scale and SACK-permitted,
 * which do not fit, ride in the low 6 bits of our timestamp when the peer
 * sent one (cookie_init_timestamp); without timestamps they are lost, as in
 * the kernel. The hash is our own keyed mix, not the kernel's siphash.
 */
#include <netinet/ip.h>

#include "ip.h"
#include "net_namespace.h"
#include "tcp.h"

#define COOKIEBITS	     24
#define COOKIEMASK	     ((1u << COOKIEBITS) - 1)
#define MAX_SYNCOOKIE_AGE    2
#define TCP_SYNCOOKIE_PERIOD (60ull * NSEC_PER_SEC)
#define TSBITS		     6
#define TS_OPT_WSCALE_MASK   0xfu
#define TS_OPT_SACK	     (1u << 4)

/* The MSS values a cookie can say (msstab): the largest not above the peer's. */
static const uint16_t msstab[] = {536, 1300, 1440, 1460};

static uint32_t tcp_cookie_time(const struct net *net)
{
	return (uint32_t)(net->now / TCP_SYNCOOKIE_PERIOD);
}

static uint32_t cookie_hash(const struct net *net, uint32_t saddr, uint32_t daddr, uint16_t sport,
			    uint16_t dport, uint32_t count, int c)
{
	uint64_t h = ((uint64_t)saddr << 32 | daddr) ^ net->isn_secret[c ? 2 : 0];

	h ^= ((uint64_t)sport << 16 | dport) * 0xff51afd7ed558ccdull;
	h ^= (uint64_t)count << 40 ^ net->isn_secret[3];
	h *= 0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h ^ h >> 32);
}

uint32_t cookie_v4_init_sequence(const struct net *net, const struct sk_buff *skb, uint16_t *mssp)
{
	const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(skb);
	const struct iphdr *iph = ip_hdr(skb);
	uint32_t count = tcp_cookie_time(net);
	uint32_t mssind = sizeof(msstab) / sizeof(msstab[0]) - 1;

	while (mssind && *mssp < msstab[mssind])
		mssind--;
	*mssp = msstab[mssind];
	return cookie_hash(net, iph->saddr, iph->daddr, th->source, th->dest, 0, 0) +
	       TCP_SKB_CB(skb)->seq + (count << COOKIEBITS) +
	       ((cookie_hash(net, iph->saddr, iph->daddr, th->source, th->dest, count, 1) +
		 mssind) &
		COOKIEMASK);
}

/* The MSS the cookie in skb's ACK says, 0 when it is not ours or too old. */
static uint16_t cookie_v4_check_mss(const struct net *net, const struct sk_buff *skb)
{
	const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(skb);
	const struct iphdr *iph = ip_hdr(skb);
	uint32_t cookie = TCP_SKB_CB(skb)->ack_seq - 1, seq = TCP_SKB_CB(skb)->seq - 1;
	uint32_t count = tcp_cookie_time(net), diff, mssind;

	cookie -= cookie_hash(net, iph->saddr, iph->daddr, th->source, th->dest, 0, 0) + seq;
	diff = (count - (cookie >> COOKIEBITS)) & (0xffffffffu >> COOKIEBITS);
	if (diff >= MAX_SYNCOOKIE_AGE)
		return 0;
	mssind = (cookie -
		  cookie_hash(net, iph->saddr, iph->daddr, th->source, th->dest, count - diff, 1)) &
		 COOKIEMASK;
	return mssind < sizeof(msstab) / sizeof(msstab[0]) ? msstab[mssind] : 0;
}

uint32_t cookie_init_timestamp(uint32_t ts_now, const struct tcp_options_received *opt)
{
	uint32_t options = opt->wscale_ok ? opt->snd_wscale : TS_OPT_WSCALE_MASK;
	uint32_t ts;

	if (opt->sack_ok)
		options |= TS_OPT_SACK;
	ts = (ts_now >> TSBITS) << TSBITS | options;
	if (after(ts, ts_now))
		ts -= 1u << TSBITS;
	return ts;
}

/* What our echoed timestamp says about the SYN (cookie_timestamp_decode). */
static bool cookie_timestamp_decode(const struct net *net, struct tcp_options_received *opt)
{
	uint32_t options = opt->rcv_tsecr;

	if (!opt->saw_tstamp) {
		opt->sack_ok = opt->wscale_ok = opt->snd_wscale = 0;
		return true;
	}
	if (!net->sysctl.tcp_timestamps)
		return false;
	opt->sack_ok = !!(options & TS_OPT_SACK);
	if (opt->sack_ok && !net->sysctl.tcp_sack)
		return false;
	if ((options & TS_OPT_WSCALE_MASK) == TS_OPT_WSCALE_MASK)
		return true;
	opt->wscale_ok = 1;
	opt->snd_wscale = (uint8_t)(options & TS_OPT_WSCALE_MASK);
	return net->sysctl.tcp_window_scaling != 0;
}

struct sock *cookie_v4_check(struct sock *parent, struct sk_buff *skb)
{
	const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct tcp_sock *ptp = tcp_sk(parent);
	struct net *net = sock_net(parent);
	struct tcp_options_received opt = {.user_mss = ptp->rx_opt.user_mss};
	uint16_t mss;
	struct sock *child;

	/* Only a listener that recently overflowed hands out cookies. */
	if (!ptp->last_synq_overflow ||
	    net->now - ptp->last_synq_overflow > MAX_SYNCOOKIE_AGE * TCP_SYNCOOKIE_PERIOD)
		return parent;
	mss = cookie_v4_check_mss(net, skb);
	if (!mss) {
		__NET_INC_STATS(net, SyncookiesFailed);
		return parent;
	}
	__NET_INC_STATS(net, SyncookiesRecv);
	tcp_parse_options(net, th, &opt, false, NULL);
	if (opt.saw_tstamp)
		opt.rcv_tsecr -= secure_tcp_ts_off(net, iph->daddr, iph->saddr);
	if (!cookie_timestamp_decode(net, &opt))
		return parent;
	opt.mss_clamp = mss;
	if (opt.user_mss && opt.user_mss < opt.mss_clamp)
		opt.mss_clamp = opt.user_mss;
	if (parent->sk_ack_backlog > parent->sk_max_ack_backlog) {
		__NET_INC_STATS(net, ListenOverflows);
		__NET_INC_STATS(net, ListenDrops);
		return NULL;
	}
	child = tcp_v4_create_child(parent, skb, &opt, TCP_SKB_CB(skb)->ack_seq - 1,
				    TCP_SKB_CB(skb)->seq - 1);
	if (!child) {
		__NET_INC_STATS(net, ListenDrops);
		return NULL;
	}
	/* The SYN-ACK was sent statelessly; this ACK acknowledges it. */
	tcp_sk(child)->snd_una = tcp_sk(child)->snd_nxt = tcp_sk(child)->write_seq =
		tcp_sk(child)->snd_sml = TCP_SKB_CB(skb)->ack_seq;
	tcp_sk(child)->snd_wl2 = TCP_SKB_CB(skb)->ack_seq;
	return child;
}
