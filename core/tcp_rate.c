// SPDX-License-Identifier: MIT
/*
 * Delivery-rate sampling (net/ipv4/tcp_rate.c, draft-cheng-iccrg-delivery-rate-estimation).
 *
 * Every transmit stamps the segment with the connection's delivery state:
 * how many segments were delivered so far (tp->delivered), when that count
 * last moved, and when the current send window started. When an ACK or a
 * SACK delivers the segment, the sample spans from that state to now:
 *
 *   delivered = tp->delivered - skb's delivered
 *   interval  = max(send interval, ACK interval)
 *
 * The send interval (first_tx of the skb to its own transmit) matters when
 * the ACKs come compressed; the ACK interval when the sender outran the
 * bottleneck. Samples taken while the owner had nothing to send
 * (app-limited) only count when they beat the estimate.
 *
 * Differences from the kernel: times are the stack clock in ns (the kernel
 * keeps us); the app-limited test has no qdisc or device queue to look at
 * (this stack hands every frame to the link at once). is_ack_delayed is
 * set by tcp_ack (the kernel's FLAG_ACK_MAYBE_DELAYED). The owner's writes
 * reach TCP as the stack host's pulls from the pair (tcp_send_iov), each
 * checked as a write: a pull that follows a full send buffer is checked
 * too, where the kernel's writer, asleep inside one write, is checked
 * once per call.
 */
#include "net_namespace.h"
#include "tcp.h"

/* The send window restarts when nothing is in flight (tcp_rate_skb_sent). */
void tcp_rate_skb_sent(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	uint64_t now = sock_net(sk)->now;

	if (!tp->packets_out) {
		tp->first_tx_mstamp = now;
		tp->delivered_mstamp = now;
	}
	cb->tx.first_tx_mstamp = tp->first_tx_mstamp;
	cb->tx.delivered_mstamp = tp->delivered_mstamp;
	cb->tx.delivered = tp->delivered;
	cb->tx.is_app_limited = tp->app_limited ? 1 : 0;
}

/*
 * skb was (S)ACKed now (tcp_rate_skb_delivered): the most recently sent of
 * the segments this ACK delivers gives the sample, as its state is the
 * newest. A SACKed segment is counted once: its stamp is cleared.
 */
void tcp_rate_skb_delivered(struct sock *sk, struct sk_buff *skb, struct rate_sample *rs)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);

	if (!cb->tx.delivered_mstamp)
		return;
	if (!(cb->sacked & TCPCB_EVER_RETRANS) && cb->when > rs->last_tx)
		rs->last_tx = cb->when; /* the RTT the CC sees (ca_rtt) */
	if (!rs->prior_delivered || cb->when > tp->first_tx_mstamp ||
	    (cb->when == tp->first_tx_mstamp && after(cb->end_seq, rs->last_end_seq))) {
		rs->prior_delivered = cb->tx.delivered;
		rs->prior_mstamp = cb->tx.delivered_mstamp;
		rs->is_app_limited = cb->tx.is_app_limited;
		rs->is_retrans = cb->sacked & TCPCB_SACKED_RETRANS;
		rs->last_end_seq = cb->end_seq;
		/* The next send window starts with this segment's transmit. */
		tp->first_tx_mstamp = cb->when;
		rs->interval_us = (int64_t)((cb->when - cb->tx.first_tx_mstamp) / NSEC_PER_USEC);
	}
	if (cb->sacked & TCPCB_SACKED_ACKED)
		cb->tx.delivered_mstamp = 0;
}

/*
 * Completes the sample of one ACK (tcp_rate_gen): delivered and lost are
 * what the ACK newly delivered and marked lost. Keeps the best recent
 * sample for TCP_INFO's delivery rate.
 */
void tcp_rate_gen(struct sock *sk, uint32_t delivered, uint32_t lost, struct rate_sample *rs)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint64_t now = sock_net(sk)->now;
	uint32_t snd_us, ack_us;

	/* The app-limited phase ends once its marked data is delivered. */
	if (tp->app_limited && after(tp->delivered, tp->app_limited))
		tp->app_limited = 0;
	if (delivered)
		tp->delivered_mstamp = now;
	rs->acked_sacked = delivered;
	rs->losses = (int32_t)lost;
	rs->rtt_us = rs->last_tx ? (int64_t)((now - rs->last_tx) / NSEC_PER_USEC) : -1;
	if (!rs->prior_mstamp) {
		rs->delivered = -1;
		rs->interval_us = -1;
		return;
	}
	rs->delivered = (int32_t)(tp->delivered - rs->prior_delivered);
	snd_us = (uint32_t)rs->interval_us;
	ack_us = (uint32_t)((now - rs->prior_mstamp) / NSEC_PER_USEC);
	rs->interval_us = snd_us > ack_us ? snd_us : ack_us;
	rs->snd_interval_us = snd_us;
	rs->rcv_interval_us = ack_us;
	/*
	 * Shorter than the minimum RTT: ACK compression or a stretched ACK
	 * would give a rate above the path's; no sample.
	 */
	if (!tp->rtt_min || (uint64_t)rs->interval_us * NSEC_PER_USEC < tp->rtt_min) {
		rs->interval_us = -1;
		return;
	}
	if (!rs->is_app_limited ||
	    (uint64_t)rs->delivered * tp->rate_interval_us >=
		    (uint64_t)tp->rate_delivered * (uint64_t)rs->interval_us) {
		tp->rate_delivered = (uint32_t)rs->delivered;
		tp->rate_interval_us = (uint32_t)rs->interval_us;
		tp->rate_app_limited = rs->is_app_limited;
	}
}

/*
 * The owner is about to write (tcp_rate_check_app_limited): when less than
 * a segment waits, the window is not full and every segment marked lost has
 * gone again, the sender is limited by the application, not the network,
 * until what is in flight now is delivered.
 */
void tcp_rate_check_app_limited(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t in_flight = tcp_packets_in_flight(tp);

	if (tp->write_seq - tp->snd_nxt < tp->mss_cache && in_flight < tp->cong.snd_cwnd &&
	    tp->lost_out <= tp->retrans_out) {
		uint32_t mark = tp->delivered + in_flight;

		tp->app_limited = mark ? mark : 1;
	}
}
