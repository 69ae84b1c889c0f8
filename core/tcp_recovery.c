// SPDX-License-Identifier: MIT
/*
 * RACK loss detection (RFC 8985, net/ipv4/tcp_recovery.c): a sent segment
 * is lost once a segment sent after it has been delivered (ACKed or SACKed)
 * and more than the latest RTT plus a reordering window has passed since it
 * was sent. Time, not the count of segments above a hole, decides: so a
 * lost retransmission is found as soon as anything sent after it arrives,
 * without waiting for the RTO.
 *
 * The reordering window (tcp_rack_reo_wnd) is a quarter of the minimum RTT
 * times reo_wnd_steps, at most the smoothed RTT, and zero (as the kernel)
 * while no reordering was seen (tp->reord_seen) and the connection is in
 * recovery or has DupThresh segments SACKed. D-SACKs (spurious
 * retransmissions) widen it, for 16 recoveries (tcp_rack_update_reo_wnd),
 * but are not reordering: on a lossy path a D-SACK (a retransmission
 * whose original came late, or an ACK lost) must not hold every later
 * hole for a quarter of the minimum RTT or more (it held them 10-15 ms at
 * 20 ms RTT, where the kernel resends within about a millisecond).
 *
 * The walk is the kernel's: over the sent segments in transmit order
 * (tp->tsorted_sent_queue, which SACKed and RACK-lost ones leave), up to the
 * first sent after the RACK reference, so an ACK costs what is undecided,
 * not the whole flight (a walk of the write queue, in sequence order, cost
 * every segment in flight for each ACK: with 2,700 in flight at 20 ms the
 * host fell behind the ACKs it was reading).
 */
#include "net_namespace.h"
#include "tcp.h"

#define TCP_RACK_RECOVERY_THRESH 16

/* True when a (t1, seq1) was sent after (t2, seq2) (tcp_rack_sent_after). */
static bool tcp_rack_sent_after(uint64_t t1, uint64_t t2, uint32_t seq1, uint32_t seq2)
{
	return t1 > t2 || (t1 == t2 && after(seq1, seq2));
}

/*
 * A segment sent at xmit_time was delivered now (tcp_rack_advance). An ACK
 * faster than the minimum RTT for a retransmitted segment acknowledges the
 * original, not the retransmission: it says nothing about what was sent
 * after the retransmission.
 */
void tcp_rack_advance(struct tcp_sock *tp, uint8_t sacked, uint32_t end_seq, uint64_t xmit_time)
{
	uint64_t now = sock_net(&tp->inet.sk)->now;
	uint64_t rtt = now > xmit_time ? now - xmit_time : 0;

	if ((sacked & TCPCB_EVER_RETRANS) && rtt < tcp_min_rtt(tp))
		return;
	tp->rack.advanced = 1;
	tp->rack.rtt = rtt;
	if (tcp_rack_sent_after(xmit_time, tp->rack.mstamp, end_seq, tp->rack.end_seq)) {
		tp->rack.mstamp = xmit_time;
		tp->rack.end_seq = end_seq;
	}
}

/* The reordering window RACK grants (tcp_rack_reo_wnd). */
static uint64_t tcp_rack_reo_wnd(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	uint64_t wnd;

	if (!tp->reord_seen) {
		/* Without seen reordering, be as quick as DupThresh would be. */
		if (tp->cong.ca_state >= TCP_CA_Recovery)
			return 0;
		if (tp->sacked_out >= tp->reordering)
			return 0;
	}
	wnd = (tcp_min_rtt(tp) / 4) * tp->rack.reo_wnd_steps;
	return wnd < tp->srtt ? wnd : tp->srtt;
}

/*
 * How long until skb, unacknowledged, is overdue by RACK's clock
 * (tcp_rack_skb_timeout): the latest RTT plus reo_wnd after its send; <= 0
 * once it is.
 */
int64_t tcp_rack_skb_timeout(const struct tcp_sock *tp, const struct sk_buff *skb, uint64_t reo_wnd)
{
	uint64_t now = sock_net(&tp->inet.sk)->now;

	return (int64_t)(tp->rack.rtt + reo_wnd) - (int64_t)(now - TCP_SKB_CB(skb)->when);
}

/*
 * Marks a segment lost (tcp_mark_skb_lost): a lost retransmission of a
 * segment already marked lost leaves retrans_out so that it can go again.
 * A segment resent before it was marked (a tail loss probe's) only gains
 * the mark: its resend still counts in flight until RACK finds that one
 * lost too, as the kernel's.
 */
void tcp_mark_skb_lost(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);

	if (cb->sacked & TCPCB_SACKED_ACKED)
		return;
	if (cb->sacked & TCPCB_LOST) {
		if (cb->sacked & TCPCB_SACKED_RETRANS) {
			cb->sacked &= (uint8_t)~TCPCB_SACKED_RETRANS;
			tp->retrans_out--;
			__NET_INC_STATS(sock_net(sk), TCPLostRetransmit);
			tp->lost++; /* tcp_notify_skb_loss_event: it counts again */
		}
	} else {
		cb->sacked |= TCPCB_LOST;
		tp->lost_out++;
		tp->lost++;
	}
	/*
	 * The next retransmission pass starts no later than here
	 * (tcp_verify_retransmit_hint); without a hint it starts at the head.
	 */
	if (tp->retransmit_hint && before(cb->seq, TCP_SKB_CB(tp->retransmit_hint)->seq))
		tp->retransmit_hint = skb;
}

/*
 * Marks lost what RACK says is (tcp_rack_detect_loss); *reo_timeout: how
 * long until the next segment would be, 0 if none waits.
 */
static void tcp_rack_detect_loss(struct sock *sk, uint64_t *reo_timeout)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint64_t reo_wnd = tcp_rack_reo_wnd(sk);
	struct sk_buff *skb, *n;

	*reo_timeout = 0;
	list_for_each_entry_safe (skb, n, &tp->tsorted_sent_queue, tcp_tsorted_anchor) {
		struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
		int64_t remaining;

		/* Marked lost elsewhere (a timeout) and not yet sent again. */
		if ((cb->sacked & TCPCB_LOST) && !(cb->sacked & TCPCB_SACKED_RETRANS))
			continue;
		/* In transmit order: this one and all after it left after the reference. */
		if (!tcp_rack_sent_after(tp->rack.mstamp, cb->when, tp->rack.end_seq, cb->end_seq))
			break;
		remaining = tcp_rack_skb_timeout(tp, skb, reo_wnd);
		if (remaining <= 0) {
			tcp_mark_skb_lost(sk, skb);
			list_del_init(&skb->tcp_tsorted_anchor);
		} else if ((uint64_t)remaining > *reo_timeout) {
			*reo_timeout = (uint64_t)remaining;
		}
	}
}

/*
 * Runs RACK after an ACK that delivered something (tcp_rack_mark_lost).
 * Returns true when it armed the reordering timer for a segment that is
 * not yet overdue (the caller then leaves the timer alone).
 */
bool tcp_rack_mark_lost(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint64_t timeout;

	if (!tp->rack.advanced)
		return false;
	tp->rack.advanced = 0;
	tcp_rack_detect_loss(sk, &timeout);
	if (timeout) {
		/*
		 * In whole jiffies plus two, as the kernel's: a frame held back
		 * a few ms (a reordering path, a late host) is SACKed before
		 * the timer calls it lost.
		 */
		tcp_reset_xmit_timer(sk, ICSK_TIME_REO_TIMEOUT,
				     tcp_rto_jiffies(timeout) + TCP_TIMEOUT_MIN);
		return true;
	}
	return false;
}

/*
 * The reordering timer fired (tcp_rack_reo_timeout): what it finds lost
 * starts a recovery, from any state but Recovery itself, so a loss found
 * after a timeout's episode (Loss) becomes a fast recovery, as the kernel's.
 */
void tcp_rack_reo_timeout(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t prior_inflight = tcp_packets_in_flight(tp), lost = tp->lost;
	uint64_t timeout;

	tcp_rack_detect_loss(sk, &timeout);
	if (prior_inflight != tcp_packets_in_flight(tp)) {
		if (tp->cong.ca_state != TCP_CA_Recovery) {
			tcp_enter_recovery(sk, false);
			tcp_cwnd_reduction(sk, 1, false, tp->lost != lost);
		}
		tcp_xmit_retransmit_queue(sk);
	}
	if (tp->pending_timer != ICSK_TIME_RETRANS)
		tcp_rearm_rto(sk);
}

/*
 * A D-SACK arrived: a retransmission was spurious, so the reordering window
 * grows a step, at most once a round trip, and stays wider for
 * TCP_RACK_RECOVERY_THRESH recoveries (tcp_rack_update_reo_wnd). The
 * window it widens counts only where reordering was seen.
 */
void tcp_rack_dsack_seen(struct tcp_sock *tp)
{
	if (tp->rack.reord_round_set && before(tp->snd_una, tp->rack.dsack_round))
		return;
	tp->rack.reord_round_set = 1;
	tp->rack.dsack_round = tp->snd_nxt;
	if (tp->rack.reo_wnd_steps < UINT8_MAX)
		tp->rack.reo_wnd_steps++;
	tp->rack.reo_wnd_persist = TCP_RACK_RECOVERY_THRESH;
}

/*
 * A recovery (or a timeout's episode) ended and was not undone
 * (tcp_try_undo_recovery): one step toward the default window. Only such
 * an episode counts, as the kernel's: an episode that ends in an undo, or
 * a loss probe's or an ECN reduction's end, was no repair of a loss.
 */
void tcp_rack_recovery_done(struct tcp_sock *tp)
{
	if (tp->rack.reo_wnd_persist)
		tp->rack.reo_wnd_persist--;
}

/*
 * An ACK delivered something (tcp_rack_update_reo_wnd, rs->prior_delivered):
 * with no recovery left of a widening, the window is one step again. Not at
 * the episode's end itself, as the kernel's: a D-SACK that comes before the
 * next delivery and undoes the episode (tcp_rack_dsack_undone) keeps it.
 */
void tcp_rack_update_reo_wnd(struct tcp_sock *tp, const struct rate_sample *rs)
{
	if (rs->prior_delivered && !tp->rack.reo_wnd_persist)
		tp->rack.reo_wnd_steps = 1;
}

/*
 * D-SACKs showed an episode's every resend needless (tcp_try_undo_dsack):
 * the widened window keeps one more recovery, at most
 * TCP_RACK_RECOVERY_THRESH, as the kernel's. An episode that ended before
 * its D-SACKs came back counted as a repair (tcp_rack_recovery_done); it
 * was reordering, so it must not bring the default window closer.
 */
void tcp_rack_dsack_undone(struct tcp_sock *tp)
{
	if (tp->rack.reo_wnd_persist < TCP_RACK_RECOVERY_THRESH)
		tp->rack.reo_wnd_persist++;
}
