// SPDX-License-Identifier: MIT
/*
 * The per-destination TCP metrics cache (net/ipv4/tcp_metrics.c): what a
 * connection that ended well learnt of its path (smoothed RTT and its
 * variance, ssthresh, cwnd, reordering) kept per (source, destination)
 * pair, so that the next connection to the same host starts from it.
 *
 * A connection saves its values when it enters TIME_WAIT or leaves
 * LAST_ACK for CLOSE (tcp_update_metrics), unless tcp_no_metrics_save is
 * set; one that starts (tcp_init_transfer) takes the cached reordering,
 * the ssthresh unless tcp_no_ssthresh_metrics_save is set (the kernel's
 * default since 5.7), and a first RTO seeded from the cached RTT when that
 * is longer than the handshake's sample. Starting never makes an entry
 * (the kernel's since 6.6). An entry unused for an hour
 * (TCP_METRICS_TIMEOUT) starts again from nothing; a chain longer than
 * TCP_METRICS_RECLAIM_DEPTH reuses its oldest entry.
 *
 * Values are kept in the kernel's units so that they compare as its do:
 * the RTT as srtt_us (microseconds times 8), the variance as rttvar_us.
 *
 * What this is not: there are no route metrics, so nothing is locked and a
 * new entry starts from zeros (tcpm_suck_dst of a route without metrics);
 * no tcp_peer_is_proven (the SYN queue's last quarter); the Fast Open
 * cookies keep their own cache (tcp_fastopen.c); no generic netlink
 * TCP_METRICS family (ip tcp_metrics).
 */
#include <stdlib.h>

#include "inet.h"
#include "net_namespace.h"
#include "tcp.h"

#define TCP_METRICS_TIMEOUT	  (3600ull * NSEC_PER_SEC)
#define TCP_METRICS_RECLAIM_DEPTH 5
/* The kernel's table for a machine of 512 MiB or more (tcp_metrics_init); one per stack here. */
#define TCP_METRICS_HASH_LOG 14
#define TCP_TIMEOUT_FALLBACK (3ull * NSEC_PER_SEC)

enum tcp_metric_index {
	TCP_METRIC_RTT,	   /* srtt_us: microseconds times 8 */
	TCP_METRIC_RTTVAR, /* rttvar_us: microseconds */
	TCP_METRIC_SSTHRESH,
	TCP_METRIC_CWND,
	TCP_METRIC_REORDERING,
	TCP_METRIC_MAX_KERNEL = TCP_METRIC_REORDERING,
};

struct tcp_metrics_block {
	struct tcp_metrics_block *tcpm_next;
	uint32_t tcpm_saddr, tcpm_daddr; /* network order */
	uint64_t tcpm_stamp;		 /* ns: last saved, or made */
	uint32_t tcpm_vals[TCP_METRIC_MAX_KERNEL + 1];
};

struct tcp_metrics_net {
	struct tcp_metrics_block *hash[1u << TCP_METRICS_HASH_LOG];
};

static unsigned int tcp_metrics_hash(uint32_t daddr)
{
	return (daddr * 0x61C88647u) >> (32 - TCP_METRICS_HASH_LOG); /* hash_32 */
}

/* tcpm_suck_dst of a route without metrics: every value unknown. */
static void tcpm_suck_dst(struct tcp_metrics_block *tm, uint64_t now)
{
	tm->tcpm_stamp = now;
	for (int i = 0; i <= TCP_METRIC_MAX_KERNEL; i++)
		tm->tcpm_vals[i] = 0;
}

static void tcpm_check_stamp(struct tcp_metrics_block *tm, uint64_t now)
{
	if (tm && now > tm->tcpm_stamp + TCP_METRICS_TIMEOUT)
		tcpm_suck_dst(tm, now);
}

/* sk's entry, made (or the chain's oldest reused) when create is set; NULL when none. */
static struct tcp_metrics_block *tcp_get_metrics(struct sock *sk, bool create)
{
	struct net *net = sock_net(sk);
	const struct inet_sock *inet = inet_sk(sk);
	struct tcp_metrics_block **head, *tm, *oldest;
	int depth = 0;

	if (!net->tcp_metrics) {
		if (!create)
			return NULL;
		net->tcp_metrics = calloc(1, sizeof(*net->tcp_metrics));
		if (!net->tcp_metrics)
			return NULL;
	}
	head = &net->tcp_metrics->hash[tcp_metrics_hash(sk->sk_daddr)];
	for (tm = *head; tm; tm = tm->tcpm_next, depth++)
		if (tm->tcpm_saddr == inet->inet_saddr && tm->tcpm_daddr == sk->sk_daddr)
			break;
	if (tm || !create) {
		tcpm_check_stamp(tm, net->now);
		return tm;
	}
	if (depth > TCP_METRICS_RECLAIM_DEPTH) {
		/* A long chain: its least recently saved entry takes the new pair (tcpm_new). */
		for (oldest = *head, tm = oldest->tcpm_next; tm; tm = tm->tcpm_next)
			if (tm->tcpm_stamp < oldest->tcpm_stamp)
				oldest = tm;
		tm = oldest;
	} else {
		tm = calloc(1, sizeof(*tm));
		if (!tm)
			return NULL;
		tm->tcpm_next = *head;
		*head = tm;
	}
	tm->tcpm_saddr = inet->inet_saddr;
	tm->tcpm_daddr = sk->sk_daddr;
	tcpm_suck_dst(tm, net->now);
	return tm;
}

/* The kernel's srtt_us (at least 1 once there is a sample) from the stack's ns. */
static uint32_t tcp_srtt_us(const struct tcp_sock *tp)
{
	uint32_t v = (uint32_t)(tp->srtt * 8 / NSEC_PER_USEC);

	return tp->srtt && !v ? 1 : v;
}

/* The RTT and its variance: a longer RTT is taken as it is, a shorter one by 1/8. */
static void tcp_update_metrics_rtt(struct tcp_metrics_block *tm, const struct tcp_sock *tp)
{
	int64_t rtt = tm->tcpm_vals[TCP_METRIC_RTT];
	int64_t m = rtt - tcp_srtt_us(tp);
	int64_t mdev = (int64_t)(tp->mdev / NSEC_PER_USEC);
	int64_t var = tm->tcpm_vals[TCP_METRIC_RTTVAR];

	tm->tcpm_vals[TCP_METRIC_RTT] = (uint32_t)(m <= 0 ? tcp_srtt_us(tp) : rtt - (m >> 3));
	if (m < 0)
		m = -m;
	m >>= 1; /* to rttvar's fixed point */
	if (m < mdev)
		m = mdev;
	tm->tcpm_vals[TCP_METRIC_RTTVAR] = (uint32_t)(m >= var ? m : var - ((var - m) >> 2));
}

void tcp_update_metrics(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	bool ssthresh_save = !net->sysctl.tcp_no_ssthresh_metrics_save;
	uint32_t cwnd = tp->cong.snd_cwnd, ssthresh = tp->cong.snd_ssthresh;
	struct tcp_metrics_block *tm;
	uint32_t *v;

	if (net->sysctl.tcp_no_metrics_save)
		return;
	if (tp->backoff || !tp->srtt) {
		/* No RTT estimate survived (no answer in time): forget the cached one. */
		tm = tcp_get_metrics(sk, false);
		if (tm)
			tm->tcpm_vals[TCP_METRIC_RTT] = 0;
		return;
	}
	tm = tcp_get_metrics(sk, true);
	if (!tm)
		return;
	v = tm->tcpm_vals;
	tcp_update_metrics_rtt(tm, tp);
	if (ssthresh >= TCP_INFINITE_SSTHRESH) {
		/* Slow start never ended: only a cwnd beyond what is cached says more. */
		if (ssthresh_save && v[TCP_METRIC_SSTHRESH] && cwnd >> 1 > v[TCP_METRIC_SSTHRESH])
			v[TCP_METRIC_SSTHRESH] = cwnd >> 1;
		if (cwnd > v[TCP_METRIC_CWND])
			v[TCP_METRIC_CWND] = cwnd;
	} else if (!tcp_in_slow_start(tp) && tp->cong.ca_state == TCP_CA_Open) {
		/* Congestion avoidance: cwnd is reliable. */
		if (ssthresh_save)
			v[TCP_METRIC_SSTHRESH] = cwnd >> 1 > ssthresh ? cwnd >> 1 : ssthresh;
		v[TCP_METRIC_CWND] = (v[TCP_METRIC_CWND] + cwnd) >> 1;
	} else {
		/* Back in slow start or recovering: cwnd means nothing, ssthresh may not. */
		v[TCP_METRIC_CWND] = (v[TCP_METRIC_CWND] + ssthresh) >> 1;
		if (ssthresh_save && v[TCP_METRIC_SSTHRESH] && ssthresh > v[TCP_METRIC_SSTHRESH])
			v[TCP_METRIC_SSTHRESH] = ssthresh;
		if (v[TCP_METRIC_REORDERING] < tp->reordering &&
		    tp->reordering != (uint32_t)net->sysctl.tcp_reordering)
			v[TCP_METRIC_REORDERING] = tp->reordering;
	}
	tm->tcpm_stamp = net->now;
}

void tcp_init_metrics(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	struct tcp_metrics_block *tm = tcp_get_metrics(sk, false);
	uint64_t crtt = 0; /* srtt_us: microseconds times 8 */

	/* The handshake may have cut ssthresh for nothing (a SYN timeout). */
	tp->cong.snd_ssthresh = TCP_INFINITE_SSTHRESH;
	if (tm) {
		uint32_t val = net->sysctl.tcp_no_ssthresh_metrics_save
				       ? 0
				       : tm->tcpm_vals[TCP_METRIC_SSTHRESH];

		if (val)
			tp->cong.snd_ssthresh =
				val > tp->cong.snd_cwnd_clamp ? tp->cong.snd_cwnd_clamp : val;
		val = tm->tcpm_vals[TCP_METRIC_REORDERING];
		if (val)
			tp->reordering = val;
		crtt = tm->tcpm_vals[TCP_METRIC_RTT];
	}
	if (crtt > tcp_srtt_us(tp)) {
		/*
		 * The handshake's small segments say little of later data's
		 * RTT: the first RTO comes from the cached RTT, in jiffies as
		 * tcp_rtt_estimator's, the estimator itself left as it is.
		 */
		uint64_t j = crtt / (8 * 1000000 / TCP_HZ) * TCP_JIFFY;

		tp->rto = j + (2 * j > tp->rto_min ? 2 * j : tp->rto_min);
	} else if (!tp->srtt) {
		/* RFC 6298 5.7: no RTT from the handshake (a resent SYN): 3 s, not 1. */
		tp->rttvar = tp->mdev = tp->mdev_max = TCP_TIMEOUT_FALLBACK;
		tp->rto = TCP_TIMEOUT_FALLBACK;
	}
}

void tcp_metrics_net_exit(struct net *net)
{
	struct tcp_metrics_block *tm, *next;

	if (!net->tcp_metrics)
		return;
	for (unsigned int i = 0; i < 1u << TCP_METRICS_HASH_LOG; i++)
		for (tm = net->tcp_metrics->hash[i]; tm; tm = next) {
			next = tm->tcpm_next;
			free(tm);
		}
	free(net->tcp_metrics);
	net->tcp_metrics = NULL;
}
