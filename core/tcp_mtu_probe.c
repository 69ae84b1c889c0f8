// SPDX-License-Identifier: MIT
/*
 * Packetization-layer path MTU discovery (RFC 4821) as the kernel's
 * net.ipv4.tcp_mtu_probing: the MSS is kept at or below the MTU of a
 * search range's low end (search_low) while a binary search between it and
 * search_high sends one larger probe segment at a time; the probe's ACK
 * raises search_low, its loss (found as any loss, by SACK/RACK or duplicate
 * ACKs) lowers search_high. No ICMP is needed, so a path that drops large
 * frames silently (a "black hole") still gets through.
 *
 * Modes (read at each use, as the kernel's): 0 off; 1 off until black-hole
 * detection (retransmissions for tcp_retries1's modelled time) turns it on
 * and, on later timeouts, halves search_low's MSS; 2 always on, starting
 * from tcp_base_mss. Kernel names: tcp_mtup_init, tcp_mtu_probe,
 * tcp_mtup_probe_success/failed, tcp_mtu_check_reprobe, tcp_mtu_probing
 * (tcp_timer.c), tcp_mtu_to_mss/tcp_mss_to_mtu.
 */
#include <string.h>

#include "ip.h"
#include "net_namespace.h"
#include "tcp.h"

int tcp_mtu_to_mss(const struct sock *sk, int pmtu)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	int mss = pmtu - IPV4_HLEN - (int)sizeof(struct tcphdr);
	int clamp = tp->rx_opt.mss_clamp;
	int floor = sock_net(sk)->sysctl.tcp_min_snd_mss;

	/* The kernel's mss_clamp already holds TCP_MAXSEG; here it is apart. */
	if (tp->rx_opt.user_mss && (!clamp || tp->rx_opt.user_mss < clamp))
		clamp = tp->rx_opt.user_mss;
	if (clamp && mss > clamp)
		mss = clamp;
	mss -= inet_sk(sk)->inet_opt.opt.optlen; /* icsk_ext_hdr_len */
	if (mss < floor)
		mss = floor;
	/* The options every segment carries (the timestamp), not SACK blocks. */
	return mss - (int)(tp->tcp_header_len - sizeof(struct tcphdr));
}

int tcp_mss_to_mtu(const struct sock *sk, int mss)
{
	return mss + tcp_sk(sk)->tcp_header_len + inet_sk(sk)->inet_opt.opt.optlen + IPV4_HLEN;
}

/* Once the peer's MSS is known (tcp_mtup_init): the search spans base MSS to the peer's. */
void tcp_mtup_init(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct net *net = sock_net(sk);
	int clamp = tp->rx_opt.mss_clamp ? tp->rx_opt.mss_clamp : TCP_MSS_DEFAULT;

	if (tp->rx_opt.user_mss && tp->rx_opt.user_mss < clamp)
		clamp = tp->rx_opt.user_mss;
	tp->mtup.enabled = net->sysctl.tcp_mtu_probing > 1;
	tp->mtup.search_high = clamp + (int)sizeof(struct tcphdr) + IPV4_HLEN;
	tp->mtup.search_low = tcp_mss_to_mtu(sk, net->sysctl.tcp_base_mss);
	tp->mtup.probe_size = 0;
	if (tp->mtup.enabled)
		tp->mtup.probe_timestamp = net->now;
}

unsigned int tcp_mtup_sync_mss(struct sock *sk, unsigned int pmtu, unsigned int mss)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int low;

	/* tcp_sync_mss: the search never goes above the path's MTU. */
	if (tp->mtup.search_high > (int)pmtu)
		tp->mtup.search_high = (int)pmtu;
	if (!tp->mtup.enabled)
		return mss;
	low = tcp_mtu_to_mss(sk, tp->mtup.search_low);
	return low > 0 && (unsigned int)low < mss ? (unsigned int)low : mss;
}

/* After tcp_probe_interval seconds a finished search starts again from the current MSS. */
static void tcp_mtu_check_reprobe(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct net *net = sock_net(sk);
	uint64_t interval = (uint64_t)net->sysctl.tcp_probe_interval * NSEC_PER_SEC;
	int clamp = tp->rx_opt.mss_clamp ? tp->rx_opt.mss_clamp : TCP_MSS_DEFAULT;

	if (net->now - tp->mtup.probe_timestamp < interval)
		return;
	if (tp->rx_opt.user_mss && tp->rx_opt.user_mss < clamp)
		clamp = tp->rx_opt.user_mss;
	tp->mtup.probe_size = 0;
	tp->mtup.search_high = clamp + (int)sizeof(struct tcphdr) + IPV4_HLEN;
	tp->mtup.search_low = tcp_mss_to_mtu(sk, (int)tcp_current_mss(sk));
	tp->mtup.probe_timestamp = net->now;
}

/*
 * Whether the unsent segments from send_head can become one of len bytes
 * (tcp_can_coalesce_send_queue_head): no SYN or FIN among those merged
 * whole, none of them holding a send's transmit stamp or MSG_ZEROCOPY
 * completion (tcp_has_tx_tstamp, tcp_skb_can_collapse), and enough of them.
 */
static bool tcp_can_coalesce_send_queue_head(const struct sock *sk, unsigned int len)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	const struct sk_buff *skb = tp->send_head;

	for (; skb && skb != (const struct sk_buff *)&sk->sk_write_queue; skb = skb->next) {
		if (len <= skb->len)
			return true;
		if (TCP_SKB_CB(skb)->tcp_flags & (TCPHDR_SYN | TCPHDR_FIN))
			return false;
		if (skb->tx_flags & (SKBTX_ANY_TSTAMP | SKBTX_ACK_TSTAMP | SKBTX_ZEROCOPY))
			return false;
		len -= skb->len;
	}
	return false;
}

/*
 * The probe: the first size bytes of the unsent queue as one segment, put
 * in their place (segments taken whole leave the queue, a segment taken in
 * part keeps its tail). The bytes queued do not change, only their units.
 */
static struct sk_buff *tcp_mtu_probe_build(struct sock *sk, unsigned int size)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb = tp->send_head, *nskb, *next;
	uint8_t flags = 0;
	unsigned int len = 0;

	nskb = alloc_skb(size);
	if (!nskb)
		return NULL;
	memset(TCP_SKB_CB(nskb), 0, sizeof(struct tcp_skb_cb));
	TCP_SKB_CB(nskb)->seq = TCP_SKB_CB(skb)->seq;
	TCP_SKB_CB(nskb)->end_seq = TCP_SKB_CB(skb)->seq + size;
	__skb_queue_before(&sk->sk_write_queue, skb, nskb);
	tp->send_head = nskb;
	while (len < size) {
		unsigned int copy = size - len < skb->len ? size - len : skb->len;

		next = skb->next;
		memcpy(skb_put(nskb, copy), skb->data, copy);
		len += copy;
		if (copy == skb->len) {
			flags |= TCP_SKB_CB(skb)->tcp_flags;
			/* Only the last one taken whole can hold marks: they move with its bytes.
			 */
			tcp_tx_mark_split(skb, nskb);
			__skb_unlink(skb, &sk->sk_write_queue);
			kfree_skb(skb);
		} else {
			/* PSH and FIN stay with the bytes they belong to. */
			flags |= TCP_SKB_CB(skb)->tcp_flags & (uint8_t) ~(TCPHDR_FIN | TCPHDR_PSH);
			skb_pull(skb, copy);
			TCP_SKB_CB(skb)->seq += copy;
		}
		skb = next;
	}
	TCP_SKB_CB(nskb)->tcp_flags = flags;
	return nskb;
}

int tcp_mtu_probe(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct net *net = sock_net(sk);
	unsigned int size_needed, in_flight;
	struct sk_buff *nskb;
	int probe_size, interval;

	/*
	 * Not probing already, not in recovery, room for it in the window
	 * and no SACK blocks to send (their variable size would throw the
	 * sizes off).
	 */
	if (!tp->mtup.enabled || tp->mtup.probe_size || tp->cong.ca_state != TCP_CA_Open ||
	    tp->cong.snd_cwnd < 11 || tp->rx_opt.num_sacks || tp->rx_opt.dsack)
		return -1;
	tcp_current_mss(sk);
	probe_size = tcp_mtu_to_mss(sk, (tp->mtup.search_high + tp->mtup.search_low) >> 1);
	size_needed = (unsigned int)probe_size + (tp->reordering + 1) * tp->mss_cache;
	interval = tp->mtup.search_high - tp->mtup.search_low;
	/* The search is over (the range is narrower than tcp_probe_threshold). */
	if (probe_size > tcp_mtu_to_mss(sk, tp->mtup.search_high) ||
	    interval < net->sysctl.tcp_probe_threshold) {
		tcp_mtu_check_reprobe(sk);
		return -1;
	}
	/* Enough unsent data, and a peer's window that takes it. */
	if (tp->write_seq - tp->snd_nxt < size_needed || tp->snd_wnd < size_needed)
		return -1;
	if (after(tp->snd_nxt + size_needed, tp->snd_una + tp->snd_wnd))
		return 0;
	/* Wait for the window to drain, unless nothing is in flight. */
	in_flight = tcp_packets_in_flight(tp);
	if (in_flight + 2 > tp->cong.snd_cwnd)
		return in_flight ? 0 : -1;
	if (!tcp_can_coalesce_send_queue_head(sk, (unsigned int)probe_size))
		return -1;
	nskb = tcp_mtu_probe_build(sk, (unsigned int)probe_size);
	/* If it cannot go, tcp_write_xmit cuts it back to MSS-sized pieces. */
	if (!nskb || tcp_transmit_skb(sk, nskb, true))
		return -1;
	/* The probe counts as two segments: one less for the rest. */
	tp->cong.snd_cwnd--;
	tcp_data_sent_paced(sk, nskb, 1, nskb->len);
	tcp_event_new_data_sent(sk, nskb);
	tp->mtup.probe_size = tcp_mss_to_mtu(sk, (int)nskb->len);
	tp->mtup.probe_seq_start = TCP_SKB_CB(nskb)->seq;
	tp->mtup.probe_seq_end = TCP_SKB_CB(nskb)->end_seq;
	return 1;
}

/*
 * The probe is acknowledged (tcp_mtup_probe_success): the window keeps its
 * bytes in larger segments, and the MSS grows to the probe's.
 */
void tcp_mtup_probe_acked(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint64_t cwnd;

	if (!tp->mtup.probe_size || after(tp->mtup.probe_seq_end, tp->snd_una))
		return;
	tp->cong.prior_ssthresh = tcp_current_ssthresh(tp);
	cwnd = (uint64_t)tp->cong.snd_cwnd * (uint64_t)tcp_mss_to_mtu(sk, tp->mss_cache) /
	       (uint64_t)tp->mtup.probe_size;
	tp->cong.snd_cwnd = cwnd > 1 ? (uint32_t)cwnd : 1;
	tp->cong.snd_cwnd_cnt = 0;
	tp->cong.snd_ssthresh = tcp_current_ssthresh(tp);
	tp->mtup.search_low = tp->mtup.probe_size;
	tp->mtup.probe_size = 0;
	tcp_current_mss(sk);
	__NET_INC_STATS(sock_net(sk), TCPMTUPSuccess);
}

bool tcp_mtup_probe_failed(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->cong.ca_state >= TCP_CA_CWR || !tp->mtup.probe_size ||
	    tp->snd_una != tp->mtup.probe_seq_start)
		return false;
	tp->mtup.search_high = tp->mtup.probe_size - 1;
	tp->mtup.probe_size = 0;
	__NET_INC_STATS(sock_net(sk), TCPMTUPFail);
	/* Undoes the probe's cut; no congestion response: the size, not the rate, failed. */
	tp->cong.snd_cwnd++;
	tcp_simple_retransmit(sk);
	return true;
}

/*
 * A retransmission timeout of an established connection (tcp_write_timeout):
 * once retransmissions have lasted tcp_retries1's modelled time, suspect a
 * black hole (tcp_mtu_probing): turn probing on, or if it is on, halve
 * search_low's MSS, down to tcp_base_mss, tcp_mtu_probe_floor and
 * tcp_min_snd_mss. The resend that follows goes in segments of the new MSS.
 */
void tcp_mtu_probing(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct net *net = sock_net(sk);
	int mss;

	if (!tp->retrans_stamp ||
	    !retransmits_timed_out(sk, (unsigned int)net->sysctl.tcp_retries1, 0))
		return;
	if (!net->sysctl.tcp_mtu_probing)
		return;
	if (!tp->mtup.enabled) {
		tp->mtup.enabled = true;
		tp->mtup.probe_timestamp = net->now;
	} else {
		mss = tcp_mtu_to_mss(sk, tp->mtup.search_low) >> 1;
		if (mss > net->sysctl.tcp_base_mss)
			mss = net->sysctl.tcp_base_mss;
		if (mss < net->sysctl.tcp_mtu_probe_floor)
			mss = net->sysctl.tcp_mtu_probe_floor;
		if (mss < net->sysctl.tcp_min_snd_mss)
			mss = net->sysctl.tcp_min_snd_mss;
		tp->mtup.search_low = tcp_mss_to_mtu(sk, mss);
	}
	tcp_current_mss(sk);
}
