// SPDX-License-Identifier: MIT
/*
 * TCP input (net/ipv4/tcp_input.c, tcp_minisocks.c): segment arrival and the
 * RFC 9293 state machine. For a synchronized connection the steps are those
 * of RFC 9293 3.10.7.4: sequence check, RST (RFC 5961 challenge ACK when
 * in window but not exact), SYN (challenge ACK), ACK (window update, RTT,
 * loss recovery, congestion control), data (in order to the receive queue, out of
 * order to a sorted queue that is merged as holes fill), FIN.
 *
 * Per segment the work is O(1) plus O(skbs acked); the out-of-order queue is
 * searched from its tail, where arrivals usually land.
 *
 * Timestamps (RFC 7323) give RTT samples and PAWS; out-of-order data is
 * reported in SACK blocks, duplicates in D-SACK (RFC 2018, 2883), with the
 * kernel's SACK compression; the sender keeps a SACK scoreboard, RACK
 * (tcp_recovery.c) says what is lost, PRR paces recovery, and the socket's
 * tcp_congestion_ops (tcp_cong.c) grows and cuts the window; without SACK,
 * NewReno. ACKs are validated as RFC 5961.
 *
 * Urgent data as tcp_check_urg/tcp_urg: one urgent byte at a time, a newer
 * pointer replaces the older one. ECN (tcp_ecn.c) and Fast Open
 * (tcp_fastopen.c) hook in where the kernel's do.
 *
 * A reduction found needless is undone (D-SACK, the Eifel timestamp test,
 * F-RTO after a timeout).
 *
 * What this is not (yet): the header-prediction fast path.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "net_namespace.h"
#include "netdevice.h"
#include "tcp.h"

#define TCP_INFINITE_SSTHRESH 0x7fffffffu

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Options as tcp_parse_options() takes them: MSS, window scale and
 * SACK-permitted only in a SYN (!estab) and only when the namespace's
 * sysctl allows; a timestamp in a SYN when tcp_timestamps is set, later only
 * once negotiated; SACK blocks once SACK was negotiated.
 */
void tcp_parse_options(const struct net *net, const struct tcphdr *th,
		       struct tcp_options_received *opt, bool estab,
		       struct tcp_fastopen_cookie *foc)
{
	const uint8_t *ptr = (const uint8_t *)(th + 1);
	int length = (int)tcp_hdrlen(th) - (int)sizeof(*th);
	bool syn = th->syn && !estab;

	opt->saw_tstamp = 0;
	opt->num_sack_in = 0;
	if (foc) {
		foc->len = -1;
		foc->exp = false;
	}
	while (length > 0) {
		int opcode = *ptr++, opsize;

		if (opcode == TCPOPT_EOL)
			return;
		if (opcode == TCPOPT_NOP) {
			length--;
			continue;
		}
		if (length < 2)
			return;
		opsize = *ptr++;
		if (opsize < 2 || opsize > length)
			return; /* malformed: ignore the rest, as the kernel does */
		switch (opcode) {
		case TCPOPT_MSS:
			if (opsize == TCPOLEN_MSS && syn) {
				uint16_t in_mss = (uint16_t)(ptr[0] << 8 | ptr[1]);

				if (in_mss) {
					if (opt->user_mss && opt->user_mss < in_mss)
						in_mss = opt->user_mss;
					opt->mss_clamp = in_mss;
				}
			}
			break;
		case TCPOPT_WINDOW:
			/* The peer offers it; tcp_wscale_settle() decides (RFC 7323 2.3). */
			if (opsize == TCPOLEN_WINDOW && syn && net->sysctl.tcp_window_scaling) {
				opt->wscale_ok = 1;
				opt->snd_wscale = ptr[0] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : ptr[0];
			}
			break;
		case TCPOPT_TIMESTAMP:
			if (opsize == TCPOLEN_TIMESTAMP &&
			    ((estab && opt->tstamp_ok) || (!estab && net->sysctl.tcp_timestamps))) {
				opt->saw_tstamp = 1;
				opt->rcv_tsval = get_be32(ptr);
				opt->rcv_tsecr = get_be32(ptr + 4);
			}
			break;
		case TCPOPT_SACK_PERM:
			if (opsize == TCPOLEN_SACK_PERM && syn && net->sysctl.tcp_sack) {
				opt->sack_ok = 1;
				opt->num_sacks = 0;
				opt->dsack = 0;
			}
			break;
		case TCPOPT_SACK:
			/* Blocks of whole 8 bytes, only once SACK was negotiated. */
			if (opsize >= TCPOLEN_SACK_BASE + TCPOLEN_SACK_PERBLOCK &&
			    !((opsize - TCPOLEN_SACK_BASE) % TCPOLEN_SACK_PERBLOCK) &&
			    opt->sack_ok) {
				int n = (opsize - TCPOLEN_SACK_BASE) / TCPOLEN_SACK_PERBLOCK;

				if (n > TCP_NUM_SACKS)
					n = TCP_NUM_SACKS;
				for (int i = 0; i < n; i++) {
					opt->sack_in[i].start_seq = get_be32(ptr + 8 * i);
					opt->sack_in[i].end_seq = get_be32(ptr + 8 * i + 4);
				}
				opt->num_sack_in = (uint8_t)n;
			}
			break;
		case TCPOPT_FASTOPEN: /* in a SYN or SYN-ACK, when the caller asks */
			if (foc && th->syn)
				tcp_fastopen_take(opsize - TCPOLEN_FASTOPEN_BASE, ptr, foc, false);
			break;
		case TCPOPT_EXP: /* the experimental Fast Open option (RFC 6994 magic) */
			if (foc && th->syn && opsize >= TCPOLEN_EXP_FASTOPEN_BASE &&
			    (ptr[0] << 8 | ptr[1]) == TCPOPT_FASTOPEN_MAGIC)
				tcp_fastopen_take(opsize - TCPOLEN_EXP_FASTOPEN_BASE, ptr + 2, foc,
						  true);
			break;
		default: /* unknown options are skipped */
			break;
		}
		ptr += opsize - 2;
		length -= opsize;
	}
}

/*
 * Scaling is on only when both SYNs carried the option and
 * tcp_window_scaling is set; otherwise neither side shifts.
 */
void tcp_wscale_settle(struct sock *sk)
{
	struct tcp_options_received *opt = &tcp_sk(sk)->rx_opt;

	if (!sock_net(sk)->sysctl.tcp_window_scaling)
		opt->wscale_ok = 0;
	if (!opt->wscale_ok)
		opt->snd_wscale = opt->rcv_wscale = 0;
}

/* TS.Recent takes the timestamp of the segment being processed (tcp_store_ts_recent). */
static void tcp_store_ts_recent(struct tcp_sock *tp)
{
	tp->rx_opt.ts_recent = tp->rx_opt.rcv_tsval;
	tp->rx_opt.ts_recent_stamp = sock_net(&tp->inet.sk)->now / NSEC_PER_SEC;
}

/*
 * After the peer's SYN-ACK (or SYN, simultaneous open): timestamps are on
 * when it carried one (we offered ours, or parsing would not have taken it),
 * and every later segment carries 12 bytes of them.
 */
void tcp_ts_sack_settle(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->rx_opt.tstamp_ok = tp->rx_opt.saw_tstamp;
	if (tp->rx_opt.tstamp_ok) {
		tp->tcp_header_len = sizeof(struct tcphdr) + TCPOLEN_TSTAMP_ALIGNED;
		tcp_store_ts_recent(tp);
	} else {
		tp->tcp_header_len = sizeof(struct tcphdr);
	}
}

/*
 * RFC 7323 5.3 (tcp_paws_check): the segment's timestamp is not older than
 * TS.Recent by more than paws_win, or TS.Recent is stale (idle longer than
 * the clock takes to wrap) or unset.
 */
static bool tcp_paws_check(const struct tcp_sock *tp, int paws_win)
{
	const struct tcp_options_received *o = &tp->rx_opt;

	if ((int32_t)(o->ts_recent - o->rcv_tsval) <= paws_win)
		return true;
	if (sock_net(&tp->inet.sk)->now / NSEC_PER_SEC >= o->ts_recent_stamp + TCP_PAWS_WRAP)
		return true;
	return !o->ts_recent;
}

/* RFC 7323 4.3: TS.Recent follows segments covering Last.ACK.sent (rcv_wup). */
static void tcp_replace_ts_recent(struct tcp_sock *tp, uint32_t seq)
{
	if (tp->rx_opt.saw_tstamp && !after(seq, tp->rcv_wup) && tcp_paws_check(tp, 0))
		tcp_store_ts_recent(tp);
}

/* Whether the ACK may move the peer's window (tcp_may_update_window). */
static bool tcp_may_update_window(const struct tcp_sock *tp, uint32_t ack, uint32_t ack_seq,
				  uint32_t nwin)
{
	return after(ack, tp->snd_una) || after(ack_seq, tp->snd_wl1) ||
	       (ack_seq == tp->snd_wl1 && (nwin > tp->snd_wnd || !nwin));
}

enum tcp_paws_verdict { TCP_PAWS_OK, TCP_PAWS_REJECT, TCP_PAWS_OLD_ACK };

/*
 * A segment that fails PAWS is still taken when it is a pure duplicate ACK
 * reordered within the RTO (tcp_disordered_ack_check); an old pure ACK is
 * dropped silently (common, not worth a counter or an answer).
 */
static enum tcp_paws_verdict tcp_paws_discard(const struct sock *sk, const struct sk_buff *skb)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	const struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	uint64_t replay_ms = tp->rto * 1200 / NSEC_PER_SEC; /* rto * 1.2, in ticks (ms) */

	if (tcp_paws_check(tp, TCP_PAWS_WINDOW))
		return TCP_PAWS_OK;
	if (!(cb->tcp_flags & TCPHDR_ACK) || cb->seq != cb->end_seq)
		return TCP_PAWS_REJECT;
	if (cb->seq != tp->rcv_nxt)
		return before(cb->seq, tp->rcv_nxt) ? TCP_PAWS_OLD_ACK : TCP_PAWS_REJECT;
	if (cb->ack_seq != tp->snd_una ||
	    tcp_may_update_window(tp, cb->ack_seq, cb->seq,
				  (uint32_t)cb->window << tp->rx_opt.snd_wscale) ||
	    (int32_t)(tp->rx_opt.ts_recent - tp->rx_opt.rcv_tsval) > (int64_t)replay_ms)
		return TCP_PAWS_REJECT;
	return TCP_PAWS_OK;
}

/*
 * RTT from the echoed timestamp (tcp_rtt_tsopt_us), in ns; 0 when the echo
 * is absent or not plausible. Gives samples for retransmitted segments too,
 * where Karn forbids timing by send time.
 */
static uint64_t tcp_rtt_tsopt(const struct tcp_sock *tp)
{
	uint32_t delta;

	if (!tp->rx_opt.saw_tstamp || !tp->rx_opt.rcv_tsecr)
		return 0;
	delta = tcp_time_stamp_ts(tp) - (tp->rx_opt.rcv_tsecr - tp->tsoffset);
	if (delta >= INT32_MAX / 1000)
		return 0;
	return (delta ? delta : 1) * NSEC_PER_MSEC;
}

/* The peer echoes a timestamp older than a send at t, in ns (tcp_tsopt_ecr_before). */
static bool tcp_tsopt_ecr_before(const struct tcp_sock *tp, uint64_t t)
{
	const struct tcp_options_received *o = &tp->rx_opt;

	return o->saw_tstamp && o->rcv_tsecr &&
	       before(o->rcv_tsecr - tp->tsoffset, (uint32_t)(t / NSEC_PER_MSEC));
}

/*
 * RFC 6298 2.2-2.4 as Linux computes it (tcp_rtt_estimator, tcp_set_rto):
 * mdev is four times RFC 6298's RTTVAR, but grows only by an eighth of the
 * excess when the sample is below the average (a falling RTT must not
 * lengthen the RTO); the RTO's term, rttvar, is the largest mdev of the
 * round, at least the socket's RTO floor (TCP_RTO_MIN_US), and comes down by a quarter of the
 * excess once a round.
 */
void tcp_rtt_estimator(struct sock *sk, uint64_t rtt)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!rtt)
		rtt = 1;
	if (!tp->srtt) {
		tp->srtt = rtt;
		tp->mdev = 2 * rtt; /* an RTO of three RTTs */
		tp->rttvar = tp->mdev > tp->rto_min ? tp->mdev : tp->rto_min;
		tp->mdev_max = tp->rttvar;
		tp->rtt_seq = tp->snd_nxt;
	} else {
		int64_t m = (int64_t)rtt - (int64_t)tp->srtt;

		tp->srtt = (uint64_t)((int64_t)tp->srtt + m / 8);
		if (m < 0) {
			m = -m - (int64_t)(tp->mdev / 4);
			if (m > 0)
				m /= 8;
		} else {
			m -= (int64_t)(tp->mdev / 4);
		}
		tp->mdev = (uint64_t)((int64_t)tp->mdev + m);
		if (tp->mdev > tp->mdev_max) {
			tp->mdev_max = tp->mdev;
			if (tp->mdev_max > tp->rttvar)
				tp->rttvar = tp->mdev_max;
		}
		if (after(tp->snd_una, tp->rtt_seq)) {
			if (tp->mdev_max < tp->rttvar)
				tp->rttvar -= (tp->rttvar - tp->mdev_max) / 4;
			tp->rtt_seq = tp->snd_nxt;
			tp->mdev_max = tp->rto_min;
		}
	}
	tp->rto = tcp_rto_jiffies(tp->srtt + tp->rttvar);
	if (tp->rto > tp->rto_max)
		tp->rto = tp->rto_max; /* tcp_bound_rto */
}

/* Connection established, either way: windows, MSS, buffers, timers. */
void tcp_init_transfer(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);

	tcp_mtup_init(sk); /* the peer's MSS is known (SYN-ACK, or the child's SYN) */
	tcp_current_mss(sk);
	tcp_init_metrics(sk); /* ssthresh, reordering and the first RTO */
	tp->cong.snd_cwnd = TCP_INIT_CWND;
	tp->cong.ca_state = TCP_CA_Open;
	tcp_init_congestion_control(sk);
	tp->rack.fack = tp->snd_una; /* nothing delivered out of order yet */
	tcp_initialize_rcv_mss(sk);
	/* No credit and no ATO until the first data (the kernel's icsk_ack, zeroed). */
	tp->ack.quick = 0;
	tp->ack.ato = 0;
	tp->ack.last_seg_size = 0;
	tp->rcv_tstamp = net->now;
	tp->ack.lrcvtime = net->now;
	tp->lsndtime = net->now;
	tcp_sndbuf_expand(sk);
	tcp_init_buffer_space(sk);
	if (sock_flag(sk, SOCK_KEEPOPEN))
		tcp_reset_keepalive_timer(sk, keepalive_time_when(tp));
}

/* Drops the owner's view of unsent and unacked data (reset, abort). */
static void tcp_write_queue_purge(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb;

	/* Freed unacked, MSG_ZEROCOPY sends complete all the same (skb_zcopy_clear). */
	for (skb = skb_peek(&sk->sk_write_queue); skb;
	     skb = skb_queue_is_last(&sk->sk_write_queue, skb) ? NULL : skb->next)
		tcp_skb_zerocopy_done(sk, skb);
	__skb_queue_purge(&sk->sk_write_queue);
	tcp_wmem_uncharge(sk, sk->sk_wmem_queued);
	tp->send_head = NULL;
	tp->retransmit_hint = NULL;
	INIT_LIST_HEAD(&tp->tsorted_sent_queue);
	tp->sack_hint = NULL;
	tp->packets_out = tp->sacked_out = tp->lost_out = tp->retrans_out = 0;
}

void tcp_reset(struct sock *sk)
{
	switch (sk->sk_state) {
	case TCP_SYN_SENT:
		sk->sk_err = ECONNREFUSED;
		break;
	case TCP_CLOSE_WAIT:
		sk->sk_err = EPIPE;
		break;
	case TCP_CLOSE:
		return;
	default:
		sk->sk_err = ECONNRESET;
	}
	tcp_write_queue_purge(sk);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_error_report(sk);
	tcp_done(sk);
}

/* ---- the ACK ---- */

/*
 * A segment never sent twice arrived below one delivered before it: the
 * network reorders; *reord keeps the lowest such start for the caller, which
 * measures the distance once per ACK (tcp_check_sack_reordering).
 * "Before" means before this ACK (prior_fack), as the kernel sorts an ACK's
 * SACK blocks and compares with its prior_fack: the blocks of one ACK come
 * newest first, and an ACK lost on the way makes the next one cover
 * segments below its own first block; that is loss of ACKs, not reordering.
 */
static void tcp_check_reordering(struct tcp_sock *tp, const struct tcp_skb_cb *cb,
				 uint32_t prior_fack, uint32_t *reord)
{
	if (!(cb->sacked & TCPCB_EVER_RETRANS) && before(cb->end_seq, prior_fack) &&
	    before(cb->seq, *reord))
		*reord = cb->seq;
	if (after(cb->end_seq, tp->rack.fack))
		tp->rack.fack = cb->end_seq;
}

/*
 * The end of the highest SACKed segment, snd_una with none
 * (tcp_highest_sack_seq). Without SACK the duplicate ACKs say nothing of
 * where: snd_nxt, as the kernel's (no highest_sack skb).
 */
static uint32_t tcp_highest_sack_seq(const struct tcp_sock *tp)
{
	if (!tp->sacked_out)
		return tp->snd_una;
	return tp->rx_opt.sack_ok ? tp->rack.fack : tp->snd_nxt;
}

/*
 * Something sent once was delivered below the highest SACKed segment, at
 * low_seq (tcp_check_sack_reordering): one reordering seen, and the path
 * reorders by at least that distance, so DupThresh and RACK's "wait or
 * not" (tp->reordering, tcpi_reordering) grow to it in segments, up to
 * tcp_max_reordering. ts: the echoed timestamp, not the SACK blocks, told
 * it (a partial undo: TCPTSReorder).
 */
static void tcp_check_sack_reordering(struct sock *sk, uint32_t low_seq, bool ts)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t mss = tp->mss_cache, fack = tcp_highest_sack_seq(tp), metric;

	if (!before(low_seq, fack))
		return;
	metric = fack - low_seq;
	if (mss && metric > tp->reordering * mss) {
		uint32_t segs = (metric + mss - 1) / mss;
		uint32_t max = (uint32_t)sock_net(sk)->sysctl.tcp_max_reordering;

		tp->reordering = segs < max ? segs : max;
	}
	tp->reord_seen++;
	if (ts)
		__NET_INC_STATS(sock_net(sk), TCPTSReorder);
	else
		__NET_INC_STATS(sock_net(sk), TCPSACKReorder);
}

/*
 * A segment sent once was (s)acked: *first keeps the oldest send time for
 * an RTT sample; one sent before the timeout tells F-RTO that not
 * everything was lost (FLAG_ORIG_SACK_ACKED).
 */
static void tcp_orig_delivered(struct tcp_sock *tp, const struct tcp_skb_cb *cb, uint64_t *first)
{
	if (!*first || cb->when < *first)
		*first = cb->when;
	if (!after(cb->end_seq, tp->cong.high_seq))
		tp->cong.orig_acked = 1;
}

/*
 * Frees fully acknowledged segments from the head of the write queue and
 * trims a partly acknowledged one. Returns the number of skbs freed; takes
 * an RTT sample from the oldest one acked now, unless any was sent twice.
 */
static uint32_t tcp_clean_rtx_queue(struct sock *sk, uint32_t ack, uint32_t prior_fack,
				    uint64_t *rtt, struct rate_sample *rs)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	uint32_t pkts = 0;
	struct sk_buff *skb;
	uint64_t first_ackt = 0;
	bool retrans_acked = false;
	uint32_t reord = tp->snd_nxt; /* the lowest original acked below prior_fack */

	*rtt = 0;
	while ((skb = skb_peek(&sk->sk_write_queue)) && skb != tp->send_head) {
		struct tcp_skb_cb *cb = TCP_SKB_CB(skb);

		skb_prefetch(skb->next);
		if (after(cb->end_seq, ack)) {
			uint32_t n = ack - cb->seq;

			/* Its unacked front began at cb->seq: the ACK stamp once, even if partly
			 * acked. */
			tcp_ack_tstamp(sk, skb, cb->seq);
			/* Partly acked: drop the acked front, keep the rest queued. */
			if (before(cb->seq, ack) && n <= skb->len) {
				skb_pull(skb, n);
				cb->seq = ack;
				tcp_wmem_uncharge(sk, (int)n);
			}
			break;
		}
		/*
		 * Karn, as the kernel applies it: no sample at all when the ACK
		 * covers anything sent twice; SACKed segments were timed when
		 * SACKed, not now.
		 */
		if (cb->sacked & TCPCB_EVER_RETRANS)
			retrans_acked = true;
		else if (!(cb->sacked & TCPCB_SACKED_ACKED))
			tcp_orig_delivered(tp, cb, &first_ackt);
		/* FLAG_SYN_ACKED: a SYN sent twice starts no episode's stamp. */
		if (cb->tcp_flags & TCPHDR_SYN)
			tp->retrans_stamp = 0;
		if (!(cb->sacked & TCPCB_SACKED_ACKED) && !(cb->tcp_flags & TCPHDR_SYN)) {
			/*
			 * Delivered now (SACKed ones were counted when SACKed),
			 * unless the echo is older than the last resend: then
			 * its original arrived, late (tcp_skb_spurious_retrans),
			 * and RACK's clock must not jump to the resend's time,
			 * which would find lost all sent before it and still
			 * queued on the way (a reordering path resent whole
			 * flights so).
			 */
			if (!(cb->sacked & TCPCB_EVER_RETRANS) ||
			    !tcp_tsopt_ecr_before(tp, cb->when))
				tcp_rack_advance(tp, cb->sacked, cb->end_seq, cb->when);
			tcp_check_reordering(tp, cb, prior_fack, &reord);
		}
		/* SACKed ones counted when SACKed; without SACK, tcp_remove_reno_sacks counts. */
		if (!(cb->sacked & TCPCB_SACKED_ACKED) && tp->rx_opt.sack_ok)
			tp->delivered++;
		tcp_rate_skb_delivered(sk, skb, rs);
		if (cb->sacked & TCPCB_SACKED_ACKED)
			tp->sacked_out--;
		if (cb->sacked & TCPCB_LOST)
			tp->lost_out--;
		if (cb->sacked & TCPCB_SACKED_RETRANS)
			tp->retrans_out--;
		tp->packets_out--;
		/* Once counted as delivered, as tcp_clean_rtx_queue (OPT_STATS reads the counts).
		 */
		tcp_ack_tstamp(sk, skb, cb->seq);
		if (skb == tp->retransmit_hint)
			tp->retransmit_hint = NULL;
		if (skb == tp->sack_hint)
			tp->sack_hint = NULL;
		for (int i = 0; i < TCP_NUM_SACKS; i++)
			if (skb == tp->sack_edge[i])
				tp->sack_edge[i] = NULL;
		tcp_wmem_uncharge(sk, (int)skb->len);
		__skb_unlink(skb, &sk->sk_write_queue);
		list_del_init(&skb->tcp_tsorted_anchor);
		tcp_skb_zerocopy_done(sk, skb);
		kfree_skb(skb);
		pkts++;
	}
	/*
	 * Without SACK nothing tells which acked segments arrived first: any
	 * resend among them leaves F-RTO without its proof.
	 */
	if (retrans_acked && !tp->rx_opt.sack_ok)
		tp->cong.orig_acked = 0;
	/* A hole filled by its original, not the resend: reordering (not for Reno's count). */
	if (pkts && tp->rx_opt.sack_ok && before(reord, prior_fack))
		tcp_check_sack_reordering(sk, reord, false);
	/* All that was sent is acknowledged (tcp_clean_rtx_queue's !skb). */
	if (!tp->packets_out)
		tcp_chrono_stop(sk, TCP_CHRONO_BUSY);
	if (first_ackt && !retrans_acked)
		*rtt = net->now - first_ackt;
	return pkts;
}

/*
 * The head is lost (tcp_newreno_mark_lost; tcp_mark_head_lost for one
 * segment): marked as tcp_mark_skb_lost marks, so a head already resent
 * and not yet marked (a loss probe's resend) keeps counting in flight.
 */
static void tcp_mark_head_lost(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);

	if (!skb || skb == tp->send_head || (TCP_SKB_CB(skb)->sacked & TCPCB_LOST))
		return;
	tcp_mark_skb_lost(sk, skb);
}

/* ---- SACK, the sender's side: the scoreboard (RFC 2018, 6675) ---- */

/*
 * A block worth taking (tcp_is_sackblock_valid): inside what was sent and
 * not yet cumulatively acked. D-SACK blocks (RFC 2883: below the ACK, or
 * inside the next block) report duplicates, not holes: they are skipped.
 */
static bool tcp_sack_block_usable(const struct tcp_sock *tp, const struct tcp_sack_block *b, int i)
{
	const struct tcp_options_received *o = &tp->rx_opt;

	if (!before(b->start_seq, b->end_seq) || after(b->end_seq, tp->snd_nxt) ||
	    before(b->start_seq, tp->snd_una))
		return false;
	if (i == 0 && o->num_sack_in > 1 && !before(b->start_seq, o->sack_in[1].start_seq) &&
	    !after(b->end_seq, o->sack_in[1].end_seq))
		return false;
	return true;
}

/* How far seq lies from skb's start, either way, in sequence space. */
static uint32_t tcp_seq_distance(const struct sk_buff *skb, uint32_t seq)
{
	uint32_t start = TCP_SKB_CB(skb)->seq;

	return after(start, seq) ? start - seq : seq - start;
}

/*
 * The first sent segment ending after seq (tcp_sacktag_skip), NULL if none:
 * pos when it already lies past seq, else a walk from the nearest, in
 * sequence space, of pos (forward only), the queue's head, the top of the
 * sent part, where the last walk stopped and the ends of the blocks the
 * last ACK reported (a list here where the kernel searches an rbtree). New
 * SACK information lies near the top, or next to a block already known: a
 * resend deep in the queue fills the hole between two blocks, and one ACK
 * may report such a resend and new data at the top. Walking from the head,
 * or on from one to the other, cost the queue between them on every such
 * ACK: quadratic in a window of 10,000 segments with many holes.
 */
static struct sk_buff *tcp_sacktag_skip(struct sock *sk, struct sk_buff *pos, uint32_t seq)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *head = (struct sk_buff *)&sk->sk_write_queue;
	struct sk_buff *stop = tp->send_head ? tp->send_head : head;
	uint32_t best = seq - tp->snd_una;

	if (pos && after(TCP_SKB_CB(pos)->seq, seq))
		return pos;
	if (pos && seq - TCP_SKB_CB(pos)->seq < best)
		best = seq - TCP_SKB_CB(pos)->seq;
	else
		pos = head->next;
	if (tp->snd_nxt - seq < best) {
		best = tp->snd_nxt - seq;
		pos = stop->prev;
	}
	for (int i = -1; tp->sack_hint && i < TCP_NUM_SACKS; i++) {
		struct sk_buff *h = i < 0 ? tp->sack_hint : tp->sack_edge[i];

		if (h && tcp_seq_distance(h, seq) < best) {
			best = tcp_seq_distance(h, seq);
			pos = h;
		}
	}
	/* Back to the last segment starting at or below seq. */
	while (pos != head && after(TCP_SKB_CB(pos)->seq, seq))
		pos = pos->prev;
	if (pos == head)
		pos = head->next;
	for (; pos != stop; pos = pos->next)
		if (after(TCP_SKB_CB(pos)->end_seq, seq))
			return pos;
	return NULL;
}

struct tcp_sacktag_state {
	uint32_t prior_fack;
	uint32_t newly;
	uint64_t first; /* send time of the oldest newly SACKed never sent twice */
	struct rate_sample *rs;
	uint32_t reord; /* the lowest start delivered below an earlier delivery */
};

/*
 * Tags the segments from skb on that lie wholly within block b, up to end
 * (tcp_sacktag_walk): they leave lost_out, retrans_out and RACK's list for
 * sacked_out. Returns where it stopped.
 */
static struct sk_buff *tcp_sacktag_walk(struct sock *sk, struct sk_buff *skb,
					const struct tcp_sack_block *b, uint32_t end,
					struct tcp_sacktag_state *st)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *head = (struct sk_buff *)&sk->sk_write_queue;

	for (; skb && skb != head && skb != tp->send_head; skb = skb->next) {
		struct tcp_skb_cb *cb = TCP_SKB_CB(skb);

		if (!before(cb->seq, end))
			return skb;
		if (before(cb->seq, b->start_seq) || after(cb->end_seq, b->end_seq) ||
		    (cb->sacked & TCPCB_SACKED_ACKED))
			continue;
		if (cb->sacked & TCPCB_LOST)
			tp->lost_out--;
		if (cb->sacked & TCPCB_SACKED_RETRANS)
			tp->retrans_out--;
		if (!(cb->sacked & TCPCB_EVER_RETRANS))
			tcp_orig_delivered(tp, cb, &st->first);
		tcp_rack_advance(tp, cb->sacked, cb->end_seq, cb->when);
		tcp_check_reordering(tp, cb, st->prior_fack, &st->reord);
		cb->sacked &= (uint8_t) ~(TCPCB_LOST | TCPCB_SACKED_RETRANS);
		cb->sacked |= TCPCB_SACKED_ACKED;
		list_del_init(&skb->tcp_tsorted_anchor);
		tp->sacked_out++;
		tp->delivered++;
		tcp_rate_skb_delivered(sk, skb, st->rs);
		st->newly++;
	}
	return NULL;
}

/*
 * Whether a D-SACK block may be walked (tcp_is_sackblock_valid for one):
 * inside what was sent, and above the ACK unless it reports a resend of
 * this episode (at or above undo_marker, or reaching past it by less than
 * a window).
 */
static bool tcp_dsack_block_valid(const struct tcp_sock *tp, const struct tcp_sack_block *d,
				  uint32_t ack)
{
	if (after(d->end_seq, tp->snd_nxt) || !before(d->start_seq, d->end_seq))
		return false;
	if (after(d->start_seq, ack))
		return true;
	if (!tp->cong.undo_marker || after(d->end_seq, ack))
		return false;
	if (!before(d->start_seq, tp->cong.undo_marker))
		return true;
	if (!after(d->end_seq, tp->cong.undo_marker))
		return false;
	return !before(d->start_seq, d->end_seq - tp->max_window);
}

/*
 * The resent segments a D-SACK block reports twice, still queued, within
 * [lo, hi) (tcp_sacktag_one's dup_sack): each was needless for the episode
 * (undo_retrans), and one already SACKed had its original delivered first,
 * so the path reorders.
 */
static void tcp_dsack_walk(struct sock *sk, const struct tcp_sack_block *d, uint32_t lo,
			   uint32_t hi, struct tcp_sacktag_state *st)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *head = (struct sk_buff *)&sk->sk_write_queue;
	struct sk_buff *skb;

	if (before(lo, d->start_seq))
		lo = d->start_seq;
	if (after(hi, d->end_seq))
		hi = d->end_seq;
	for (skb = tcp_sacktag_skip(sk, NULL, lo); skb && skb != head && skb != tp->send_head;
	     skb = skb->next) {
		struct tcp_skb_cb *cb = TCP_SKB_CB(skb);

		if (!before(cb->seq, hi))
			break;
		if (before(cb->seq, lo) || after(cb->end_seq, hi) ||
		    !(cb->sacked & (TCPCB_EVER_RETRANS | TCPCB_SACKED_RETRANS)))
			continue;
		if (tp->cong.undo_marker && tp->cong.undo_retrans > 0 &&
		    after(cb->end_seq, tp->cong.undo_marker))
			tp->cong.undo_retrans--;
		if ((cb->sacked & TCPCB_SACKED_ACKED) && before(cb->seq, st->reord))
			st->reord = cb->seq;
	}
}

/*
 * The edge kept for a block whose end the last ACK's blocks already
 * reported: the first segment past that end, known while the hints are
 * (sack_hint: a purge of the queue clears it with them).
 */
static struct sk_buff *tcp_sack_edge_kept(const struct tcp_sock *tp, int cached, uint32_t end)
{
	for (int c = 0; tp->sack_hint && c < cached; c++)
		if (tp->recv_sack_cache[c].end_seq == end &&
		    tp->recv_sack_cache[c].start_seq != tp->recv_sack_cache[c].end_seq)
			return tp->sack_edge[c];
	return NULL;
}

/*
 * Marks the segments the ACK's SACK blocks cover (tcp_sacktag_write_queue).
 * Returns how many were newly SACKed; *rtt is a sample from the oldest of
 * them never sent twice. The blocks go in sequence order, and what the last
 * ACK's blocks covered (recv_sack_cache) was tagged then: only the rest of
 * each block is walked, so a block that grew by one segment costs one.
 * dsack: the first block is a D-SACK tcp_dsack_seen took, for the ACK ack.
 * It takes its sorted place, as the kernel's: the block sorted just before
 * it (the one holding it) tells its segments as duplicates before tagging
 * them (next_dup), then it is walked as a block of its own, when a resend
 * this ACK SACKed counts as reordering and, once more, as needless.
 */
static uint32_t tcp_sacktag_write_queue(struct sock *sk, uint32_t prior_fack, bool dsack,
					uint32_t ack, uint64_t *rtt, struct rate_sample *rs)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_sacktag_state st = {.prior_fack = prior_fack, .rs = rs, .reord = tp->snd_nxt};
	struct tcp_sack_block sp[TCP_NUM_SACKS];
	/* With nothing SACKed (a timeout took the marks back), the cache says nothing. */
	int used = 0, dup = -1, cached = tp->sacked_out ? TCP_NUM_SACKS : 0;
	struct sk_buff *skb = NULL, *edge[TCP_NUM_SACKS] = {NULL};

	for (int i = 0; i < tp->rx_opt.num_sack_in; i++) {
		struct tcp_sack_block b = tp->rx_opt.sack_in[i];
		bool is_dup = i == 0 && dsack;
		int j = used++;

		if (is_dup ? !after(b.end_seq, tp->snd_una) || !tcp_dsack_block_valid(tp, &b, ack)
			   : !tcp_sack_block_usable(tp, &b, i)) {
			used--;
			continue;
		}
		/* Stable, as the kernel's sort: the D-SACK stays ahead of an equal start. */
		for (; j > 0 && after(sp[j - 1].start_seq, b.start_seq); j--) {
			sp[j] = sp[j - 1];
			if (dup == j - 1)
				dup = j;
		}
		sp[j] = b;
		if (is_dup)
			dup = j;
	}
	for (int i = 0; i < used; i++) {
		const struct tcp_sack_block *b = &sp[i];
		uint32_t from = b->start_seq;

		if (i == dup) {
			tcp_dsack_walk(sk, b, b->start_seq, b->end_seq, &st);
			continue;
		}
		if (i + 1 == dup)
			tcp_dsack_walk(sk, &sp[dup], b->start_seq, b->end_seq, &st);

		/* The cache is sorted too: walk the gaps its blocks leave in this one. */
		for (int c = 0; c < cached && before(from, b->end_seq); c++) {
			const struct tcp_sack_block *k = &tp->recv_sack_cache[c];

			if (k->start_seq == k->end_seq || !after(k->end_seq, from))
				continue;
			if (!before(k->start_seq, b->end_seq))
				break;
			if (before(from, k->start_seq))
				skb = tcp_sacktag_walk(sk, tcp_sacktag_skip(sk, skb, from), b,
						       k->start_seq, &st);
			from = k->end_seq;
		}
		if (before(from, b->end_seq)) {
			skb = tcp_sacktag_walk(sk, tcp_sacktag_skip(sk, skb, from), b, b->end_seq,
					       &st);
			edge[i] = skb;
		} else {
			edge[i] = tcp_sack_edge_kept(tp, cached, b->end_seq);
		}
	}
	if (skb)
		tp->sack_hint = skb;
	for (int i = 0; i < TCP_NUM_SACKS; i++) {
		tp->recv_sack_cache[i] = i < used ? sp[i] : (struct tcp_sack_block){0, 0};
		tp->sack_edge[i] = i < used ? edge[i] : NULL;
	}
	/* After a timeout only while it may still be undone, as the kernel's. */
	if (tp->cong.ca_state != TCP_CA_Loss || tp->cong.undo_marker)
		tcp_check_sack_reordering(sk, st.reord, false);
	*rtt = st.first ? sock_net(sk)->now - st.first : 0;
	return st.newly;
}

/* ---- loss recovery (tcp_fastretrans_alert) ---- */

/*
 * RFC 6675 IsLost, used when RACK is off (tcp_recovery without bit 0): a
 * segment not SACKed with at least DupThresh SACKed segments above it is
 * lost. The next retransmission pass starts over.
 */
static void tcp_sack_mark_lost(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t above = tp->sacked_out;
	struct sk_buff *skb;

	skb_queue_walk (&sk->sk_write_queue, skb) {
		struct tcp_skb_cb *cb = TCP_SKB_CB(skb);

		if (skb == tp->send_head || above < tp->reordering)
			break;
		if (cb->sacked & TCPCB_SACKED_ACKED) {
			above--;
			continue;
		}
		if (!(cb->sacked & TCPCB_LOST))
			tcp_mark_skb_lost(sk, skb);
	}
}

static bool tcp_is_rack(const struct sock *sk)
{
	return sock_net(sk)->sysctl.tcp_recovery & 1;
}

/*
 * Without RACK, whether this ACK may mark more lost
 * (tcp_force_fast_retransmit): the highest SACKed byte lies more than
 * DupThresh segments above snd_una.
 */
static bool tcp_force_fast_retransmit(const struct tcp_sock *tp)
{
	return after(tcp_highest_sack_seq(tp), tp->snd_una + tp->reordering * tp->mss_cache);
}

/*
 * Without RACK, what the count of SACKed segments says is lost
 * (tcp_update_scoreboard): every hole with DupThresh SACKed above it, or,
 * entering recovery on a loss found otherwise, the head.
 */
static void tcp_update_scoreboard(struct sock *sk, bool fast_rexmit)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->sacked_out >= tp->reordering)
		tcp_sack_mark_lost(sk);
	else if (fast_rexmit)
		tcp_mark_head_lost(sk);
}

/*
 * Whether to leave Open, Disorder or CWR for a recovery
 * (tcp_time_to_recover): a loss is proven, or without RACK DupThresh
 * segments are SACKed.
 */
static bool tcp_time_to_recover(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return tp->lost_out || (!tcp_is_rack(sk) && tp->sacked_out >= tp->reordering);
}

/*
 * Proportional rate reduction (RFC 6937, tcp_cwnd_reduction): while in
 * recovery, the window follows what the peer delivers, so that at the end
 * of the episode about ssthresh segments are in flight, without the burst
 * or the stall halving at once gives. PRR-SSRB once in flight is below
 * ssthresh; the first retransmission always goes.
 */
void tcp_cwnd_reduction(struct sock *sk, uint32_t newly_acked_sacked, bool una_advanced,
			bool newly_lost)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_cong *c = &tp->cong;
	int64_t delta = (int64_t)c->snd_ssthresh - tcp_packets_in_flight(tp);
	int64_t sndcnt;

	/*
	 * A CC with cong_control (BBR) keeps its own window in recovery; an ACK
	 * that delivered nothing changes nothing, not even on entry (the window
	 * the episode started with lets the first resend go).
	 */
	if (tp->ca_ops->cong_control || !newly_acked_sacked)
		return;
	c->prr_delivered += newly_acked_sacked;
	if (delta < 0) {
		uint64_t dividend =
			(uint64_t)c->snd_ssthresh * c->prr_delivered + c->prior_cwnd - 1;

		sndcnt = (int64_t)(dividend / c->prior_cwnd) - c->prr_out;
	} else {
		int64_t ssrb = (int64_t)c->prr_delivered - c->prr_out;

		/* PRR-SSRB; one more only for an ACK that moved snd_una and found no new loss. */
		sndcnt = ssrb > newly_acked_sacked ? ssrb : newly_acked_sacked;
		if (una_advanced && !newly_lost)
			sndcnt++;
		if (sndcnt > delta)
			sndcnt = delta;
	}
	/* Force a fast retransmit upon entering fast recovery. */
	if (sndcnt < (c->prr_out ? 0 : 1))
		sndcnt = c->prr_out ? 0 : 1;
	c->snd_cwnd = tcp_packets_in_flight(tp) + (uint32_t)sndcnt;
}

void tcp_end_cwnd_reduction(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	/* A CC with cong_control (BBR) sets the window itself. */
	if (tp->cong.snd_ssthresh < TCP_INFINITE_SSTHRESH && !tp->ca_ops->cong_control)
		tp->cong.snd_cwnd = tp->cong.snd_ssthresh;
	tp->cong.snd_cwnd_cnt = 0;
}

uint32_t tcp_current_ssthresh(const struct tcp_sock *tp)
{
	const struct tcp_cong *c = &tp->cong;
	uint32_t three_quarters = (c->snd_cwnd >> 1) + (c->snd_cwnd >> 2);

	if (c->ca_state == TCP_CA_Recovery || c->ca_state == TCP_CA_CWR)
		return c->snd_ssthresh;
	return c->snd_ssthresh > three_quarters ? c->snd_ssthresh : three_quarters;
}

void tcp_init_undo(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->cong.undo_marker = tp->snd_una;
	/* Retransmissions still in flight may cause D-SACKs later. */
	tp->cong.undo_retrans = tp->retrans_out ? (int32_t)tp->retrans_out : -1;
}

/*
 * The segment was only delayed (tcp_packet_delayed, the Eifel test of RFC
 * 3522): the peer echoes a timestamp older than the episode's first
 * retransmission, so the original arrived; or nothing was resent yet (a
 * recovery whose resend the pacing or the link held back), so what the ACK
 * covers can only be originals. Not so where no stamp is left although a
 * resend went: a Reno recovery held at high_seq (tcp_try_undo_recovery)
 * cleared it, and a SYN-ACK clears it even after the SYN went twice.
 */
static bool tcp_packet_delayed(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	if (tp->retrans_stamp)
		return tcp_tsopt_ecr_before(tp, tp->retrans_stamp);
	if (!tp->rx_opt.sack_ok && !before(tp->snd_una, tp->cong.high_seq))
		return false;
	return sk->sk_state != TCP_SYN_SENT;
}

/* Every retransmission was D-SACKed, or the timestamps say it was needless (tcp_may_undo). */
static bool tcp_may_undo(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return tp->cong.undo_marker && (!tp->cong.undo_retrans || tcp_packet_delayed(sk));
}

/*
 * Takes a spurious reduction back (tcp_undo_cwnd_reduction): the window
 * the congestion control had, ssthresh as before; after a timeout, the
 * segments it marked lost are not.
 */
static void tcp_undo_cwnd_reduction(struct sock *sk, bool unmark_loss)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_cong *c = &tp->cong;

	if (unmark_loss) {
		struct sk_buff *skb;

		skb_queue_walk (&sk->sk_write_queue, skb) {
			if (skb == tp->send_head)
				break;
			TCP_SKB_CB(skb)->sacked &= (uint8_t)~TCPCB_LOST;
		}
		tp->lost_out = 0;
		tp->retransmit_hint = NULL;
	}
	if (c->prior_ssthresh) {
		c->snd_cwnd = tp->ca_ops->undo_cwnd ? tp->ca_ops->undo_cwnd(sk) : c->snd_cwnd;
		if (c->prior_ssthresh > c->snd_ssthresh)
			c->snd_ssthresh = c->prior_ssthresh;
	}
	c->undo_marker = 0;
	tp->rack.advanced = 1; /* RACK looks again at what is lost */
}

/* D-SACKs showed every retransmission needless (tcp_try_undo_dsack). */
static bool tcp_try_undo_dsack(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->cong.undo_marker || tp->cong.undo_retrans)
		return false;
	tcp_rack_dsack_undone(tp);
	tcp_undo_cwnd_reduction(sk, false);
	__NET_INC_STATS(sock_net(sk), TCPDSACKUndo);
	return true;
}

/* Anything resent still in flight, or the head sent twice (tcp_any_retrans_done). */
static bool tcp_any_retrans_done(struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	const struct sk_buff *skb = skb_peek(&sk->sk_write_queue);

	return tp->retrans_out ||
	       (skb && skb != tp->send_head && (TCP_SKB_CB(skb)->sacked & TCPCB_EVER_RETRANS));
}

/*
 * An undone recovery leaves for Open, or Disorder while holes or resends
 * are left to settle (tcp_try_keep_open); a new episode starts only from a
 * new loss, above what was sent until now.
 */
static void tcp_try_keep_open(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint8_t state = TCP_CA_Open;

	if (tp->sacked_out || tp->lost_out || tcp_any_retrans_done(sk))
		state = TCP_CA_Disorder;
	if (tp->cong.ca_state != state) {
		tcp_set_ca_state(sk, state);
		tp->cong.high_seq = tp->snd_nxt;
	}
}

/*
 * No loss to act on (tcp_try_to_open): with no resend left, the episode's
 * stamp goes; an ECE on this ACK starts the ECN reduction (CWR), which a
 * recovery under way already is; otherwise Open or Disorder.
 */
static void tcp_try_to_open(struct sock *sk, bool ece)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tcp_any_retrans_done(sk))
		tp->retrans_stamp = 0;
	if (ece)
		tcp_enter_cwr(sk);
	if (tp->cong.ca_state != TCP_CA_CWR)
		tcp_try_keep_open(sk);
}

/*
 * Without SACK the state is held until something above high_seq is
 * acknowledged (tcp_is_non_sack_preventing_reopen, RFC 6582 3.2 step 4):
 * the duplicate ACKs that the resends still draw must not start a new
 * episode, nor say anything of its stamp once no resend is left.
 */
static bool tcp_is_non_sack_preventing_reopen(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->rx_opt.sack_ok || tp->snd_una != tp->cong.high_seq)
		return false;
	if (!tcp_any_retrans_done(sk))
		tp->retrans_stamp = 0;
	return true;
}

/*
 * high_seq is acknowledged: the episode is over (tcp_try_undo_recovery),
 * undone if it was needless (TCPFullUndo; TCPLossUndo after a timeout).
 * Returns true while Reno holds the state; otherwise the state is Open and
 * the caller ends a reduction that was not undone.
 */
static bool tcp_try_undo_recovery(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tcp_may_undo(sk)) {
		tcp_undo_cwnd_reduction(sk, false);
		if (tp->cong.ca_state == TCP_CA_Loss)
			__NET_INC_STATS(sock_net(sk), TCPLossUndo);
		else
			__NET_INC_STATS(sock_net(sk), TCPFullUndo);
	} else {
		/* A loss was repaired: RACK's widened window has one recovery less. */
		tcp_rack_recovery_done(tp);
	}
	if (tcp_is_non_sack_preventing_reopen(sk))
		return true;
	tcp_set_ca_state(sk, TCP_CA_Open);
	return false;
}

/* The end of a recovery: the window is ssthresh, unless the episode was undone. */
static void tcp_end_recovery(struct sock *sk)
{
	if (tcp_sk(sk)->cong.undo_marker)
		tcp_end_cwnd_reduction(sk);
}

enum tcp_partial_undo { TCP_PARTIAL_NONE, TCP_PARTIAL_UNDONE, TCP_PARTIAL_HOLD };

/*
 * A partial ACK in recovery whose echo predates the first resend
 * (tcp_try_undo_partial): the hole was filled by its late original, the
 * path reorders further than thought (tp->reordering grows to what was
 * above the hole). With no resend left in flight the reduction is undone
 * (TCPPartialUndo); with some, the window still follows PRR but nothing
 * more is marked lost or resent (HOLD) until their fate is known.
 */
static enum tcp_partial_undo tcp_try_undo_partial(struct sock *sk, uint32_t prior_snd_una)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->cong.undo_marker || !tcp_packet_delayed(sk))
		return TCP_PARTIAL_NONE;
	tcp_check_sack_reordering(sk, prior_snd_una, true);
	if (tp->retrans_out)
		return TCP_PARTIAL_HOLD;
	if (!tcp_any_retrans_done(sk))
		tp->retrans_stamp = 0;
	tcp_undo_cwnd_reduction(sk, true);
	__NET_INC_STATS(sock_net(sk), TCPPartialUndo);
	tcp_try_keep_open(sk);
	return TCP_PARTIAL_UNDONE;
}

/*
 * The timeout was spurious (tcp_try_undo_loss): by the timestamps or
 * D-SACKs, or F-RTO's proof (frto_undo). Without SACK and without F-RTO's
 * proof the Loss state stays until its end.
 */
static bool tcp_try_undo_loss(struct sock *sk, bool frto_undo)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!frto_undo && !tcp_may_undo(sk))
		return false;
	tcp_undo_cwnd_reduction(sk, true);
	__NET_INC_STATS(sock_net(sk), TCPLossUndo);
	if (frto_undo)
		__NET_INC_STATS(sock_net(sk), TCPSpuriousRTOs);
	tp->retransmits = 0;
	if (tcp_is_non_sack_preventing_reopen(sk))
		return true;
	if (frto_undo || tp->rx_opt.sack_ok)
		tcp_set_ca_state(sk, TCP_CA_Open);
	return true;
}

/* The RTO episode ended with the Loss state: its time goes to tcpi_total_rto_time. */
static void tcp_update_rto_time(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->cong.ca_state == TCP_CA_Loss || !tp->rto_stamp)
		return;
	tp->total_rto_time += (uint32_t)((sock_net(sk)->now - tp->rto_stamp) / NSEC_PER_MSEC);
	tp->rto_stamp = 0;
}

static void tcp_add_reno_sack(struct sock *sk, bool is_dup);

/*
 * An ACK in the Loss state (tcp_process_loss), with F-RTO (RFC 5682 3.1,
 * the SACK-enhanced version): the first ACK that advances snd_una after
 * the timeout's retransmission is answered with new data, not with more
 * retransmissions (step 2.b); if the next ACK then (s)acks data sent only
 * once before the timeout, the timeout was spurious and is undone (3.b);
 * a duplicate ACK or a SACK instead says the loss was real and recovery
 * goes on as conventional go-back-N (3.a). Returns true when new data is
 * to go out instead of retransmissions (REXMIT_NEW).
 */
static bool tcp_process_loss(struct sock *sk, bool una_advanced, bool dup_or_sacked)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_cong *c = &tp->cong;
	bool recovered = !before(tp->snd_una, c->high_seq);

	if (una_advanced && tcp_try_undo_loss(sk, false))
		return false;
	if (c->frto) {
		if (c->orig_acked && tcp_try_undo_loss(sk, true))
			return false;
		if (after(tp->snd_nxt, c->high_seq)) {
			if (dup_or_sacked)
				c->frto = 0;
		} else if (una_advanced && !recovered) {
			c->high_seq = tp->snd_nxt;
			if (tp->send_head && after(tp->snd_una + tp->snd_wnd, tp->snd_nxt))
				return true;
			c->frto = 0; /* nothing new to send: conventional recovery */
		}
	}
	if (recovered) {
		tcp_try_undo_recovery(sk);
		return false;
	}
	/*
	 * Reno: a duplicate ACK after F-RTO's new data says one of its
	 * segments arrived: counted as delivered, it lowers what is in flight
	 * so the resends are clocked out; a cumulative ACK ends the count.
	 */
	if (!tp->rx_opt.sack_ok) {
		if (after(tp->snd_nxt, c->high_seq) && dup_or_sacked)
			tcp_add_reno_sack(sk, true);
		else if (una_advanced)
			tp->sacked_out = 0;
	}
	return false;
}

/*
 * Sends what the ACK allows (tcp_xmit_recovery): new data while F-RTO
 * waits for its proof, else the segments marked lost. When no new data
 * could go, F-RTO gives up.
 */
static void tcp_xmit_recovery(struct sock *sk, bool send_new)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (send_new) {
		tcp_push_pending_frames(sk, TCP_NAGLE_OFF);
		if (after(tp->snd_nxt, tp->cong.high_seq))
			return;
		tp->cong.frto = 0;
	}
	tcp_xmit_retransmit_queue(sk);
}

/*
 * Enters fast recovery (tcp_enter_recovery, tcp_init_cwnd_reduction):
 * ssthresh from the congestion control, PRR from zero, unless an ECN
 * reduction (CWR) is under way, whose cut and PRR count stand. An ECE on
 * this ACK, or the CWR before, means no undo. Without SACK the head is the
 * loss the duplicate ACKs report (RFC 5681 3.2, RFC 6582).
 */
void tcp_enter_recovery(struct sock *sk, bool ece)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_cong *c = &tp->cong;

	/*
	 * The clock starts with this fast retransmit, unless a resend of an
	 * earlier episode is still out (tcp_retrans_stamp_cleanup): the echo
	 * of that one must not pass for an original's.
	 */
	if (!tcp_any_retrans_done(sk))
		tp->retrans_stamp = 0;
	if (tp->rx_opt.sack_ok)
		__NET_INC_STATS(sock_net(sk), TCPSackRecovery);
	else
		__NET_INC_STATS(sock_net(sk), TCPRenoRecovery);
	c->prior_ssthresh = 0;
	tcp_init_undo(sk);
	if (c->ca_state != TCP_CA_CWR && c->ca_state != TCP_CA_Recovery) {
		if (!ece)
			c->prior_ssthresh = tcp_current_ssthresh(tp);
		c->prior_cwnd = c->snd_cwnd;
		c->snd_ssthresh = tcp_ca_ssthresh(sk);
		c->snd_cwnd_cnt = 0;
		c->prr_delivered = 0;
		c->prr_out = 0;
		c->high_seq = tp->snd_nxt;
		tp->tlp_high_seq = 0;
		tcp_ecn_queue_cwr(tp);
	}
	tcp_set_ca_state(sk, TCP_CA_Recovery);
	if (!tp->rx_opt.sack_ok)
		tcp_mark_head_lost(sk);
}

/*
 * Whether an ACK outside a reduction grows the window (tcp_may_raise_cwnd):
 * on delivery in order (something cumulatively acked), or on any delivery
 * once the path is seen to reorder beyond tcp_reordering. It grows by what
 * was newly delivered: an acked segment SACKed before counted then.
 */
static bool tcp_may_raise_cwnd(const struct sock *sk, uint32_t acked, uint32_t newly_sacked)
{
	if (tcp_sk(sk)->reordering > (uint32_t)sock_net(sk)->sysctl.tcp_reordering)
		return acked || newly_sacked;
	return acked;
}

/*
 * After an ACK with SACK in use (tcp_fastretrans_alert with RACK): ends a
 * recovery or loss episode the ACK completed, lets RACK mark what is lost,
 * enters recovery when something is, and sets the window (PRR during
 * recovery, the congestion control's growth otherwise). An ECE forbids
 * undoing this episode's reduction and, with no loss, starts the ECN one.
 * Returns true when RACK armed its reordering timer.
 */
static bool tcp_sack_fastretrans_alert(struct sock *sk, uint32_t acked, uint32_t newly_sacked,
				       uint32_t prior_snd_una, bool is_dup, bool ece,
				       uint32_t prior_in_flight, uint32_t prior_delivered)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_cong *c = &tp->cong;
	/*
	 * PRR counts what this ACK newly delivered (tcp_newly_delivered): an
	 * acked segment SACKed before left the network then, not now.
	 */
	uint32_t delivered = tp->delivered - prior_delivered, prior_lost = tp->lost;
	bool una_advanced = after(tp->snd_una, prior_snd_una);
	bool reo_armed = false, send_new = false, opened = false;
	/* Without RACK, whether the scoreboard may mark more (do_lost). */
	bool do_lost = is_dup || (newly_sacked && tcp_force_fast_retransmit(tp));

	if (ece)
		c->prior_ssthresh = 0;
	/* No episode and nothing resent in flight: no stamp (tcp_fastretrans_alert's step D). */
	if (c->ca_state == TCP_CA_Open)
		tp->retrans_stamp = 0;
	if (c->ca_state == TCP_CA_Loss) {
		send_new = tcp_process_loss(sk, una_advanced, newly_sacked || is_dup);
		tcp_update_rto_time(sk);
	} else if (c->ca_state == TCP_CA_Recovery && !before(tp->snd_una, c->high_seq)) {
		/* The episode is over: undone if it was needless (tcp_try_undo_recovery). */
		tcp_try_undo_recovery(sk);
		tcp_end_recovery(sk);
	} else if (c->ca_state == TCP_CA_Recovery) {
		enum tcp_partial_undo undo =
			una_advanced ? tcp_try_undo_partial(sk, prior_snd_una) : TCP_PARTIAL_NONE;

		if (undo == TCP_PARTIAL_HOLD) {
			tcp_cwnd_reduction(sk, delivered, true, false);
			return false;
		}
		/*
		 * A partial ACK the resend answered: without RACK the next hole
		 * is lost only once the SACKs reach DupThresh segments above
		 * snd_una (tcp_try_undo_partial's tcp_force_fast_retransmit),
		 * not at once as RFC 6582's NewReno would have it.
		 */
		if (una_advanced && undo == TCP_PARTIAL_NONE)
			do_lost = tcp_force_fast_retransmit(tp);
		/* Undone before its end: the episode is over (tcp_try_to_open). */
		if (tcp_try_undo_dsack(sk)) {
			tcp_try_to_open(sk, ece);
			opened = true;
		}
	}
	if (c->ca_state <= TCP_CA_Disorder)
		tcp_try_undo_dsack(sk);
	if (tcp_is_rack(sk)) {
		reo_armed = tcp_rack_mark_lost(sk);
	} else if (do_lost && c->ca_state == TCP_CA_Recovery) {
		tcp_update_scoreboard(sk, false);
	} else if (do_lost && c->ca_state != TCP_CA_Loss && tcp_time_to_recover(sk)) {
		/* The recovery below starts here: its fast retransmit (fast_rexmit). */
		tcp_update_scoreboard(sk, true);
	}
	switch (c->ca_state) {
	case TCP_CA_Open:
	case TCP_CA_Disorder:
		/* A lost MTU probe: no recovery, only smaller segments. */
		if (tcp_time_to_recover(sk) && tcp_mtup_probe_failed(sk))
			return reo_armed;
		if (tcp_time_to_recover(sk)) {
			tcp_enter_recovery(sk, ece);
			tcp_cwnd_reduction(sk, delivered, una_advanced, tp->lost != prior_lost);
			break;
		}
		if (!opened)
			tcp_try_to_open(sk, ece);
		if (c->ca_state == TCP_CA_CWR)
			tcp_cwnd_reduction(sk, delivered, una_advanced, false);
		else if (tcp_may_raise_cwnd(sk, acked, newly_sacked))
			tcp_cong_avoid(sk, delivered, prior_in_flight);
		break;
	case TCP_CA_Recovery:
		tcp_cwnd_reduction(sk, delivered, una_advanced, tp->lost != prior_lost);
		break;
	case TCP_CA_CWR: /* an ECN reduction gives way to recovery */
		if (tcp_time_to_recover(sk)) {
			tcp_enter_recovery(sk, ece);
			tcp_cwnd_reduction(sk, delivered, una_advanced, tp->lost != prior_lost);
			break;
		}
		tcp_ecn_cwr_ack(sk, delivered, una_advanced);
		break;
	case TCP_CA_Loss:
		if (tcp_may_raise_cwnd(sk, acked, newly_sacked))
			tcp_cong_avoid(sk, delivered, prior_in_flight);
		break;
	}
	tcp_xmit_recovery(sk, send_new);
	return reo_armed;
}

/*
 * Reno counts a segment delivered per duplicate ACK (sacked_out); more of
 * them than the flight less its holes (tcp_limit_reno_sacked) means
 * segments came out of order, not lost (tcp_check_reno_reordering): the
 * count is clamped and the reordering grows to the flight, plus what the
 * ACK acked.
 */
static void tcp_check_reno_reordering(struct sock *sk, uint32_t addend)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t holes = tp->lost_out ? tp->lost_out : 1, max;

	if (holes > tp->packets_out)
		holes = tp->packets_out;
	if (tp->sacked_out + holes <= tp->packets_out)
		return;
	tp->sacked_out = tp->packets_out - holes;
	max = (uint32_t)sock_net(sk)->sysctl.tcp_max_reordering;
	tp->reordering = tp->packets_out + addend < max ? tp->packets_out + addend : max;
	tp->reord_seen++;
	__NET_INC_STATS(sock_net(sk), TCPRenoReorder);
}

/*
 * A duplicate ACK without SACK (tcp_add_reno_sack): one more segment left
 * the network, counted as SACKed and as delivered, unless the count is
 * past what can have left (then it is reordering).
 */
static void tcp_add_reno_sack(struct sock *sk, bool is_dup)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t prior_sacked = tp->sacked_out;

	if (!is_dup)
		return;
	tp->sacked_out++;
	tcp_check_reno_reordering(sk, 0);
	if (tp->sacked_out > prior_sacked)
		tp->delivered += tp->sacked_out - prior_sacked;
}

/*
 * A cumulative ACK without SACK (tcp_remove_reno_sacks): one acked segment
 * filled the hole, the others were those the duplicate ACKs counted, so it
 * delivered only what they did not (one at least).
 */
static void tcp_remove_reno_sacks(struct sock *sk, uint32_t acked)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (acked) {
		tp->delivered += acked > tp->sacked_out ? acked - tp->sacked_out : 1;
		tp->sacked_out = acked - 1 >= tp->sacked_out ? 0 : tp->sacked_out - (acked - 1);
	}
	tcp_check_reno_reordering(sk, acked);
}

/*
 * NewReno's losses (tcp_newreno_mark_lost): the head once the duplicate
 * ACKs reach DupThresh, and again at each partial ACK in recovery (RFC
 * 6582 3.2: the next hole).
 */
static void tcp_newreno_mark_lost(struct sock *sk, bool una_advanced)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint8_t state = tp->cong.ca_state;

	if ((state < TCP_CA_Recovery && tp->sacked_out >= tp->reordering) ||
	    (state == TCP_CA_Recovery && una_advanced))
		tcp_mark_head_lost(sk);
}

/*
 * Without SACK (tcp_fastretrans_alert for Reno), as the kernel's: the
 * end of an episode (held at high_seq, undone when the timestamps say the
 * resends were needless), a partial ACK's undo or next hole, duplicate
 * ACKs counted as SACKed until DupThresh starts a recovery; an ECE forbids
 * the undo and, with no loss, starts the ECN reduction. Then the window
 * (tcp_cong_control): PRR on what was delivered while reducing, the
 * congestion control's growth otherwise; the resends go last.
 */
static void tcp_reno_fastretrans_alert(struct sock *sk, uint32_t acked, bool is_dup, bool ece,
				       uint32_t prior_snd_una, uint32_t prior_delivered,
				       uint32_t prior_in_flight)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_cong *c = &tp->cong;
	bool una_advanced = after(tp->snd_una, prior_snd_una);
	uint32_t prior_lost = tp->lost, delivered;
	bool send_new = false, rexmit = false;

	if (!tp->packets_out)
		tp->sacked_out = 0;
	if (ece)
		c->prior_ssthresh = 0;
	if (c->ca_state == TCP_CA_Open)
		tp->retrans_stamp = 0;
	if (c->ca_state == TCP_CA_CWR) {
		tcp_ecn_cwr_end(sk);
	} else if (c->ca_state == TCP_CA_Recovery && !before(tp->snd_una, c->high_seq)) {
		tp->sacked_out = 0;
		if (tcp_try_undo_recovery(sk))
			goto window;
		tcp_end_recovery(sk);
	}
	switch (c->ca_state) {
	case TCP_CA_Recovery:
		if (!una_advanced)
			tcp_add_reno_sack(sk, is_dup);
		else if (tcp_try_undo_partial(sk, prior_snd_una) == TCP_PARTIAL_HOLD)
			goto window;
		if (tcp_try_undo_dsack(sk))
			tcp_try_to_open(sk, ece);
		tcp_newreno_mark_lost(sk, una_advanced);
		if (c->ca_state != TCP_CA_Recovery) {
			/* Undone: a new episode only for a loss still evident. */
			if (!tp->lost_out)
				goto window;
			tcp_enter_recovery(sk, ece);
		}
		break;
	case TCP_CA_Loss:
		send_new = tcp_process_loss(sk, una_advanced, is_dup);
		tcp_update_rto_time(sk);
		if (c->ca_state != TCP_CA_Open) {
			rexmit = c->ca_state == TCP_CA_Loss;
			goto window;
		}
		/* Undone or over: on as in Open. */
		/* fallthrough */
	default:
		if (una_advanced)
			tp->sacked_out = 0;
		tcp_add_reno_sack(sk, is_dup);
		if (c->ca_state <= TCP_CA_Disorder)
			tcp_try_undo_dsack(sk);
		tcp_newreno_mark_lost(sk, una_advanced);
		if (!tp->lost_out) {
			tcp_try_to_open(sk, ece);
			goto window;
		}
		if (c->ca_state < TCP_CA_CWR && tcp_mtup_probe_failed(sk))
			return; /* a lost MTU probe: no recovery */
		tcp_enter_recovery(sk, ece);
	}
	rexmit = true;
window:
	delivered = tp->delivered - prior_delivered;
	if (c->ca_state == TCP_CA_Recovery || c->ca_state == TCP_CA_CWR)
		tcp_cwnd_reduction(sk, delivered, una_advanced, tp->lost != prior_lost);
	else if (acked)
		tcp_cong_avoid(sk, delivered, prior_in_flight);
	if (rexmit)
		tcp_xmit_recovery(sk, send_new);
}

/*
 * The tail loss probe's answer (tcp_process_tlp_ack): an ACK past the probe
 * that did not D-SACK it means the probe repaired a real loss, so the
 * window comes down once (as a one-episode CWR).
 */
static void tcp_process_tlp_ack(struct sock *sk, uint32_t ack, bool dsack, bool advanced,
				bool sacked)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (before(ack, tp->tlp_high_seq))
		return;
	if (!tp->tlp_retrans || dsack) {
		tp->tlp_high_seq = 0;
	} else if (after(ack, tp->tlp_high_seq)) {
		tp->tlp_high_seq = 0;
		tp->cong.prior_cwnd = tp->cong.snd_cwnd;
		tp->cong.snd_ssthresh = tcp_ca_ssthresh(sk);
		tcp_end_cwnd_reduction(sk);
		__NET_INC_STATS(sock_net(sk), TCPLossProbeRecovery);
	} else if (!advanced && !sacked) {
		tp->tlp_high_seq = 0; /* a pure duplicate: the probe's own ACK */
	}
}

/*
 * Counts the D-SACKed segments (tcp_dsack_seen) and returns how many, or 0
 * for a dubious block: empty, longer than any window we had, or more
 * duplicates reported than were ever resent (the peer's or the network's
 * duplicates, not ours; they stay counted in dsack_dups, as the kernel's).
 * RACK widens its window for them only where the path was seen to reorder
 * and the duplicate is not the loss probe's: RACK, not a timer, must have
 * resent it too early for the wider window to help. Without seen reordering
 * a D-SACK on a lossy path (an ACK lost, an original late behind a queue)
 * changes nothing, as the kernel's.
 */
static uint32_t tcp_dsack_seen(struct tcp_sock *tp, const struct tcp_sack_block *d)
{
	uint32_t len = d->end_seq - d->start_seq, segs = 1;
	bool tlp = false;

	if (!before(d->start_seq, d->end_seq) || len > tp->max_window)
		return 0;
	if (tp->mss_cache && len > tp->mss_cache)
		segs = (len + tp->mss_cache - 1) / tp->mss_cache;
	else if (tp->tlp_high_seq && tp->tlp_high_seq == d->end_seq)
		tlp = true;
	tp->dsack_dups += segs;
	if (tp->dsack_dups > tp->total_retrans)
		return 0;
	if (tp->reord_seen && !tlp)
		tcp_rack_dsack_seen(tp);
	return segs;
}

/*
 * A D-SACK block heads the option (RFC 2883, tcp_check_dsack): below the
 * cumulative ACK, or inside the second block. Only a block tcp_dsack_seen
 * takes counts: one wholly below what was acked before reports resends of
 * this episode that were needless (undo_retrans, by its segments); those
 * above are told one by one by the SACK walk (tcp_dsack_walk).
 */
static bool tcp_check_dsack(struct sock *sk, uint32_t ack, uint32_t prior_snd_una)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	const struct tcp_options_received *o = &tp->rx_opt;
	const struct tcp_sack_block *b = o->sack_in;
	struct tcp_cong *c = &tp->cong;
	uint32_t segs;

	if (before(b[0].start_seq, ack))
		__NET_INC_STATS(net, TCPDSACKRecv);
	else if (o->num_sack_in > 1 && !after(b[0].end_seq, b[1].end_seq) &&
		 !before(b[0].start_seq, b[1].start_seq))
		__NET_INC_STATS(net, TCPDSACKOfoRecv);
	else
		return false;
	segs = tcp_dsack_seen(tp, &b[0]);
	if (!segs) {
		__NET_INC_STATS(net, TCPDSACKIgnoredDubious);
		return false;
	}
	__NET_ADD_STATS(net, TCPDSACKRecvSegs, segs);
	if (c->undo_marker && c->undo_retrans > 0 && !after(b[0].end_seq, prior_snd_una) &&
	    after(b[0].end_seq, c->undo_marker))
		c->undo_retrans =
			(uint32_t)c->undo_retrans > segs ? c->undo_retrans - (int32_t)segs : 0;
	return true;
}

/* The windowed minimum RTT (tcp_update_rtt_min, tcp_min_rtt_wlen). */
static void tcp_update_rtt_min(struct tcp_sock *tp, uint64_t rtt)
{
	uint64_t now = sock_net(&tp->inet.sk)->now;

	if (!tp->rtt_min || rtt <= tp->rtt_min || now - tp->rtt_min_stamp > TCP_MIN_RTT_WLEN) {
		tp->rtt_min = rtt ? rtt : 1;
		tp->rtt_min_stamp = now;
	}
}

/*
 * The RTT of the newest segment this ACK delivered, never sent twice
 * (tcp_clean_rtx_queue's ca_rtt_us): what the minimum and the congestion
 * control take, where the estimator takes the oldest's. 0 when none.
 */
static uint64_t tcp_ca_rtt(const struct tcp_sock *tp, const struct rate_sample *rs)
{
	uint64_t now = sock_net(&tp->inet.sk)->now;

	if (!rs->last_tx || rs->last_tx > now)
		return 0;
	return now - rs->last_tx ? now - rs->last_tx : 1;
}

/* The retransmission timer after an ACK (tcp_set_xmit_timer): a loss probe, else the RTO. */
static void tcp_set_xmit_timer(struct sock *sk)
{
	if (!tcp_schedule_loss_probe(sk, true))
		tcp_rearm_rto(sk);
}

/* The peer's window: RFC 9293 3.10.7.4, SND.WL1/SND.WL2 guard against old segments. */
static bool tcp_ack_update_window(struct sock *sk, uint32_t ack, uint32_t seq, uint32_t nwin)
{
	struct tcp_sock *tp = tcp_sk(sk);
	bool changed = false;

	if (after(ack, tp->snd_una) || after(seq, tp->snd_wl1) ||
	    (seq == tp->snd_wl1 && !before(ack, tp->snd_wl2))) {
		if (tp->snd_wnd != nwin) {
			tp->snd_wnd = nwin;
			changed = true;
		}
		if (nwin > tp->max_window)
			tp->max_window = nwin;
		tp->snd_wl1 = seq;
		tp->snd_wl2 = ack;
	}
	return changed;
}

/*
 * Whether an out-of-window answer at now comes within tcp_invalid_ratelimit
 * of the last (__tcp_oow_rate_limited, which reads the sysctl then); a
 * negative setting limits nothing.
 */
static bool tcp_oow_too_soon(struct net *net, uint64_t last)
{
	if (!last)
		return false;
	tcp_sysctl_refresh(&net->sysctl, TCP_SYSCTL_OOW | TCP_SYSCTL_BATCHED);
	return net->sysctl.tcp_invalid_ratelimit > 0 &&
	       net->now - last < (uint64_t)net->sysctl.tcp_invalid_ratelimit * NSEC_PER_MSEC;
}

/*
 * RFC 5961 3.2 / 4.2: an in-window RST or SYN that is not exact gets an
 * ACK, not obeyed (tcp_send_challenge_ack). At most one per socket per
 * tcp_invalid_ratelimit, then at most about tcp_challenge_ack_limit per
 * second in the namespace (randomized so that the count leaks nothing).
 */
static void tcp_send_challenge_ack(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	uint32_t limit = (uint32_t)net->sysctl.tcp_challenge_ack_limit;
	uint64_t now_s = net->now / NSEC_PER_SEC;

	if (tcp_oow_too_soon(net, tp->last_oow_ack_time)) {
		__NET_INC_STATS(net, TCPACKSkippedChallenge);
		return;
	}
	tp->last_oow_ack_time = net->now;
	if (limit != INT32_MAX) {
		if (now_s != net->tcp_challenge_timestamp) {
			uint32_t half = (limit + 1) >> 1;
			uint64_t r = (now_s ^ net->isn_secret[2]) * 0x9e3779b97f4a7c15ull;

			net->tcp_challenge_timestamp = now_s;
			net->tcp_challenge_count =
				half + (uint32_t)((r >> 32) % (limit ? limit : 1));
		}
		if (!net->tcp_challenge_count)
			return;
		net->tcp_challenge_count--;
	}
	__NET_INC_STATS(net, TCPChallengeACK);
	tcp_send_ack(sk);
}

/* Processes the ACK field: 1 taken, 0 an old duplicate, -1 the segment must be dropped. */
static int tcp_ack(struct sock *sk, const struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	const struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	uint32_t ack = cb->ack_seq, prior_snd_una = tp->snd_una, prior_fack;
	uint32_t prior_in_flight = tcp_packets_in_flight(tp);
	uint32_t prior_packets = tp->packets_out, acked_pkts = 0;
	uint64_t rtt = 0, sack_rtt = 0, ca_rtt = 0;
	uint32_t newly_sacked = 0, prior_delivered = tp->delivered, prior_lost = tp->lost;
	struct rate_sample rs = {.prior_in_flight = prior_in_flight};
	uint32_t prior_sacked = tp->sacked_out;
	bool win_changed, is_dup, dsack = false, reo_armed = false, ack_delayed = false;
	bool sack = tp->rx_opt.sack_ok, advanced = after(ack, prior_snd_una);
	bool ece = tcp_ecn_rcv_ecn_echo(tp, cb->tcp_flags);

	/* tcp_ack_tstamp hands the ACK to an OPT_STATS stamp: its TTL. */
	tp->ack_ttl = ip_hdr(skb)->ttl;
	tp->cong.orig_acked = 0;
	if (before(ack, prior_snd_una)) {
		uint32_t max_window = tp->max_window;

		if (tp->bytes_acked < max_window)
			max_window = (uint32_t)tp->bytes_acked;
		/* RFC 5961 5.2: older than any window we had: blind data injection, drop. */
		if (before(ack, prior_snd_una - max_window)) {
			if (sk->sk_state == TCP_ESTABLISHED)
				tcp_send_challenge_ack(sk);
			return -1;
		}
		/*
		 * An old duplicate: its SACK blocks still count, a D-SACK among
		 * them too (tcp_sacktag_write_queue checks it for any ACK), its
		 * data is taken.
		 */
		if (sack && tp->rx_opt.num_sack_in) {
			dsack = tcp_check_dsack(sk, ack, prior_snd_una);
			tcp_sacktag_write_queue(sk, tcp_highest_sack_seq(tp), dsack, ack, &sack_rtt,
						&rs);
		}
		return 0;
	}
	if (after(ack, tp->snd_nxt))
		return -1; /* acks what was never sent (RFC 9293 3.10.7.4): drop */
	/* The ACK is acceptable: TS.Recent may move (FLAG_UPDATE_TS_RECENT). */
	tcp_replace_ts_recent(tp, cb->seq);
	win_changed = tcp_ack_update_window(
		sk, ack, cb->seq, cb->window << tp->rx_opt.snd_wscale * tp->rx_opt.wscale_ok);
	tp->probes_out = 0;
	tp->rcv_tstamp = net->now;
	tp->last_ack_recv = net->now;
	sk->sk_err_soft = 0;
	/* What lies below snd_una was delivered in order as far as RACK is concerned. */
	if (before(tp->rack.fack, prior_snd_una))
		tp->rack.fack = prior_snd_una;
	/* The highest SACKed segment's end (none SACKed, or Reno: snd_una), as tcp_ack's
	 * prior_fack. */
	prior_fack = sack ? tcp_highest_sack_seq(tp) : tp->snd_una;
	if (sack && tp->rx_opt.num_sack_in) {
		dsack = tcp_check_dsack(sk, ack, prior_snd_una);
		newly_sacked = tcp_sacktag_write_queue(sk, prior_fack, dsack, ack, &sack_rtt, &rs);
	}
	is_dup = !advanced && prior_packets && !skb->len &&
		 !(cb->tcp_flags & (TCPHDR_SYN | TCPHDR_FIN)) && !win_changed;

	if (advanced) {
		tp->snd_una = ack;
		tp->bytes_acked += ack - prior_snd_una;
		/* The urgent data is acked: no more URG (tcp_clean_rtx_queue's snd_up). */
		if (tp->urg_mode && !before(ack, tp->snd_up))
			tp->urg_mode = false;
		acked_pkts = tcp_clean_rtx_queue(sk, ack, prior_fack, &rtt, &rs);
		if (acked_pkts)
			tcp_mtup_probe_acked(sk);
		if (acked_pkts && !sack)
			tcp_remove_reno_sacks(sk, acked_pkts);
		/*
		 * FLAG_ACK_MAYBE_DELAYED (tcp_clean_rtx_queue): one runt, timed and
		 * sent with nothing else delivered meanwhile, acknowledged by an ACK
		 * with nothing else to say, may have waited for the peer's delayed
		 * ACK; BBR's expired min_rtt filter does not take its RTT.
		 */
		ack_delayed = rtt && acked_pkts == 1 && !prior_sacked &&
			      ack - prior_snd_una < tp->mss_cache &&
			      rs.prior_delivered + 1 == tp->delivered && !newly_sacked && !dsack &&
			      !((cb->tcp_flags & TCPHDR_ECE) && (tp->ecn_flags & TCP_ECN_OK)) &&
			      prior_snd_una != tp->iss;
		/*
		 * Samples as tcp_ack_update_rtt prefers them: send time, SACK,
		 * echo. The estimator takes the oldest segment's; the minimum
		 * and the congestion control the newest's (ca_rtt_us), unless
		 * only the echo times this ACK.
		 */
		if (!rtt)
			rtt = sack_rtt;
		ca_rtt = rtt ? tcp_ca_rtt(tp, &rs) : 0;
		if (!rtt)
			rtt = ca_rtt = tcp_rtt_tsopt(tp);
		/* A passive opener's SYN-ACK has no rate stamp: its own RTT. */
		if (rtt)
			tcp_update_rtt_min(tp, ca_rtt ? ca_rtt : rtt);
		if (tp->ca_ops->pkts_acked)
			tp->ca_ops->pkts_acked(sk, acked_pkts, ca_rtt ? (int64_t)ca_rtt : -1);
		/* RFC 6298 5.7: the back-off ends with a valid sample (tcp_ack_update_rtt). */
		if (rtt) {
			tcp_rtt_estimator(sk, rtt);
			tp->backoff = 0;
		}
		tp->retransmits = 0;
		tp->dup_acks = 0;
	} else if (sack_rtt) {
		ca_rtt = tcp_ca_rtt(tp, &rs);
		tcp_update_rtt_min(tp, ca_rtt ? ca_rtt : sack_rtt);
		tcp_rtt_estimator(sk, sack_rtt);
		tp->backoff = 0; /* a valid sample, as tcp_ack_update_rtt */
	}
	tcp_rack_update_reo_wnd(tp, &rs);
	if (tp->tlp_high_seq)
		tcp_process_tlp_ack(sk, ack, dsack, advanced, newly_sacked);
	if (is_dup)
		tp->dup_acks++;
	/*
	 * Only a dubious ACK needs the alert (tcp_ack_is_dubious): a duplicate,
	 * SACK news, an ECE while something is in flight, or an episode under
	 * way. The scoreboard and RACK, or Reno's count of duplicates, say what
	 * is lost.
	 */
	if (is_dup || newly_sacked || dsack || (ece && prior_packets) ||
	    tp->cong.ca_state != TCP_CA_Open) {
		if (sack)
			/* A D-SACK is no duplicate ACK (tcp_ack's num_dupack). */
			reo_armed = tcp_sack_fastretrans_alert(sk, acked_pkts, newly_sacked,
							       prior_snd_una, is_dup && !dsack, ece,
							       prior_in_flight, prior_delivered);
		else if (prior_packets)
			tcp_reno_fastretrans_alert(sk, acked_pkts, is_dup, ece, prior_snd_una,
						   prior_delivered, prior_in_flight);
	} else if (acked_pkts) {
		tcp_cong_avoid(sk, acked_pkts, prior_in_flight);
	}
	if (ece)
		tcp_ecn_delivered_ce(sk, tp->delivered - prior_delivered);
	tcp_rate_gen(sk, tp->delivered - prior_delivered, tp->lost - prior_lost, &rs);
	/* The congestion control's RTT: this ACK's ca_rtt (tcp_ack_update_rtt). */
	rs.rtt_us = ca_rtt ? (int64_t)(ca_rtt / NSEC_PER_USEC) : -1;
	rs.is_ack_delayed = ack_delayed;
	tcp_cong_control(sk, &rs);
	if (advanced) {
		/* RACK's reordering timer, when armed, stays (FLAG_SET_XMIT_TIMER). */
		if (!reo_armed)
			tcp_set_xmit_timer(sk);
		/* The send buffer may grow once what this ACK lets out is sent (tcp_check_space).
		 */
		if (acked_pkts)
			tp->queue_shrunk = true;
		if (!sock_flag(sk, SOCK_DEAD))
			sk->sk_write_space(sk);
	}
	/* The window opened while the persist timer ran: resume at once. */
	if (!tp->packets_out && tp->pending_timer == ICSK_TIME_PROBE0 && tp->send_head &&
	    !after(TCP_SKB_CB(tp->send_head)->end_seq, tp->snd_una + tp->snd_wnd)) {
		del_timer(&net->timers, &tp->retransmit_timer);
		tp->pending_timer = 0;
		tp->backoff = 0;
		tp->probes_tstamp = 0;
	}
	return 1;
}

/* ---- data ---- */

/*
 * Quick-ACK credit (tcp_incr_quickack): one ACK at once per two segments
 * the window offered holds, at least two, at most max, and never less than
 * what is left. A small window earns few: with SO_RCVBUF 4096 and segments
 * of 1448 the kernel ACKs the first segment at once and delays the next.
 */
static void tcp_incr_quickack(struct tcp_sock *tp, uint32_t max)
{
	uint32_t quickacks = tp->rcv_wnd / (2 * tp->ack.rcv_mss);

	if (!quickacks)
		quickacks = 2;
	if (quickacks > max)
		quickacks = max;
	if (quickacks > tp->ack.quick)
		tp->ack.quick = (uint8_t)quickacks;
}

/* Credit, and the connection is no longer taken for interactive (tcp_enter_quickack_mode). */
void tcp_enter_quickack_mode(struct tcp_sock *tp, uint32_t max)
{
	tcp_incr_quickack(tp, max);
	tp->ack.pingpong = false;
	tp->ack.ato = TCP_ATO_MIN;
}

/*
 * The receiver's RTT sample (tcp_rcv_rtt_update, as 6.16 on), kept << 3 in
 * us: the smallest sample is the estimate at once, so that autotuning
 * measures the path, not a slow reader. A larger one counts only from a
 * timestamp echo (a per-window sample is an upper bound), smoothed at 1/8,
 * and only while the program has read all that came before (a sample taken
 * while data waits measures the reader).
 */
static void tcp_rcv_rtt_update(struct tcp_sock *tp, uint32_t sample_us, bool win_dep)
{
	const struct sock *sk = &tp->inet.sk;
	uint32_t est = tp->rcv_rtt_est.rtt_us, m = sample_us << 3;

	if (!est || m < est) {
		tp->rcv_rtt_est.rtt_us = m;
		return;
	}
	if (win_dep || tp->rcv_nxt != tp->copied_seq - sk->sk_owner_unread)
		return;
	tp->rcv_rtt_est.rtt_us = est - (est >> 3) + sample_us;
}

/* Without timestamps: the time one advertised window takes to arrive (tcp_rcv_rtt_measure). */
static void tcp_rcv_rtt_measure(struct tcp_sock *tp, uint64_t now)
{
	if (tp->rcv_rtt_est.time) {
		uint64_t delta_us = (now - tp->rcv_rtt_est.time) / NSEC_PER_USEC;

		if (before(tp->rcv_nxt, tp->rcv_rtt_est.seq))
			return;
		tcp_rcv_rtt_update(tp, delta_us ? (uint32_t)delta_us : 1, true);
	}
	tp->rcv_rtt_est.seq = tp->rcv_nxt + tp->rcv_wnd;
	tp->rcv_rtt_est.time = now;
}

/* With timestamps: a full segment echoing a new TSecr (tcp_rcv_rtt_measure_ts). */
static void tcp_rcv_rtt_measure_ts(struct tcp_sock *tp, const struct sk_buff *skb)
{
	uint32_t delta_ms;

	if (!tp->rx_opt.saw_tstamp || !tp->rx_opt.rcv_tsecr ||
	    tp->rx_opt.rcv_tsecr == tp->rcv_rtt_last_tsecr)
		return;
	tp->rcv_rtt_last_tsecr = tp->rx_opt.rcv_tsecr;
	if (TCP_SKB_CB(skb)->end_seq - TCP_SKB_CB(skb)->seq < tp->ack.rcv_mss)
		return;
	delta_ms = tcp_time_stamp_ts(tp) - (tp->rx_opt.rcv_tsecr - tp->tsoffset);
	/* An echo of this millisecond says nothing below 1 ms: no sample (as 6.16 on). */
	if (delta_ms && delta_ms < INT32_MAX / 1000u)
		tcp_rcv_rtt_update(tp, delta_ms * 1000u, false);
}

/* The kernel's jiffies for a time of the stack's clock: the ATO is kept in them. */
static uint64_t tcp_ato_jiffies(uint64_t ns)
{
	return ns / TCP_JIFFY;
}

/*
 * A segment's payload as the kernel's skb->len counts it in tcp_data_queue:
 * a partly old segment is queued whole there (tcp_recvmsg skips the old
 * part), where the stack pulled that part off, so it counts again here.
 */
static uint32_t tcp_skb_rx_len(const struct sk_buff *skb)
{
	const uint8_t *th = skb_transport_header(skb);

	return skb->len + (uint32_t)(skb->data - th) - tcp_hdrlen((const struct tcphdr *)th);
}

/*
 * The peer's segment size (tcp_measure_rcv_mss). A frame the kernel peer
 * sent or merged whole (TSO, GRO) says it in gso_size; such a frame is
 * more than one rcv_mss of data, so tcp_ack_snd_check answers it with one
 * ACK at once, as the kernel after GRO. A full segment with PSH ends a
 * write, and a smaller one is pushed or a remnant: either way the sender
 * may wait for its ACK, so ICSK_ACK_PUSHED lets the read that empties the
 * queue send it (tcp_cleanup_rbuf), and a second such segment before an
 * ACK (ICSK_ACK_PUSHED2) even in pingpong mode. A small segment of at
 * least TCP_MSS_DEFAULT, or of at least TCP_MIN_MSS without PSH, FIN, SYN
 * or URG, is taken for the peer's MSS (a path of small MTU) once two in a
 * row have the same size.
 */
static void tcp_measure_rcv_mss(struct sock *sk, const struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const uint8_t remnant = TCPHDR_FIN | TCPHDR_URG | TCPHDR_SYN | TCPHDR_PSH;
	uint32_t lss = tp->ack.last_seg_size,
		 len = skb->gso_size ? skb->gso_size : tcp_skb_rx_len(skb);
	uint8_t flags = TCP_SKB_CB(skb)->tcp_flags;

	tp->ack.last_seg_size = 0;
	if (len >= tp->ack.rcv_mss) {
		/* A new segment size: the ratio of payload to memory is measured anew. */
		if (len != tp->ack.rcv_mss)
			tcp_measure_scaling_ratio(sk, skb);
		tp->ack.rcv_mss = len < tp->advmss ? len : tp->advmss;
		if (flags & TCPHDR_PSH)
			tp->ack.pending |= ICSK_ACK_PUSHED;
		return;
	}
	/*
	 * With the segment's own header (skb->data - skb_transport_header, as the
	 * kernel's): SACK blocks make it longer than tp->tcp_header_len, and
	 * that excess stays in the measure.
	 */
	len += tcp_hdrlen((const struct tcphdr *)skb_transport_header(skb));
	if (len >= TCP_MSS_DEFAULT + sizeof(struct tcphdr) ||
	    (len >= TCP_MIN_MSS + sizeof(struct tcphdr) && !(flags & remnant))) {
		len -= tp->tcp_header_len;
		tp->ack.last_seg_size = len;
		if (len == lss) {
			tp->ack.rcv_mss = len;
			return;
		}
	}
	if (tp->ack.pending & ICSK_ACK_PUSHED)
		tp->ack.pending |= ICSK_ACK_PUSHED2;
	tp->ack.pending |= ICSK_ACK_PUSHED;
}

/*
 * In-order data came (tcp_event_data_recv): the delayed-ACK timeout (ATO)
 * follows the gaps between segments, in jiffies as the kernel's. Segments
 * within half of TCP_ATO_MIN of each other pull it halfway to TCP_ATO_MIN;
 * a gap shorter than the ATO pulls it halfway to that gap (the peer's pace,
 * at most the RTO); a longer gap leaves it, and the delayed-ACK timer
 * doubles it when it fires (tcp_delack_timer). The first data starts the
 * engine with quick-ACK credit; after an idle period longer than the RTO
 * the sender restarts slow, so credit again. Neither ends pingpong mode
 * (tcp_incr_quickack, not tcp_enter_quickack_mode): an interactive
 * connection stays so.
 */
static void tcp_event_data_recv(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	const uint64_t half_min = tcp_ato_jiffies(TCP_ATO_MIN) / 2 * TCP_JIFFY;

	tp->ack.pending |= ICSK_ACK_SCHED;
	tcp_measure_rcv_mss(sk, skb);
	if (!tp->ack.ato) {
		tcp_incr_quickack(tp, TCP_MAX_QUICKACKS);
		tp->ack.ato = TCP_ATO_MIN;
	} else {
		uint64_t m =
			(tcp_ato_jiffies(net->now) - tcp_ato_jiffies(tp->ack.lrcvtime)) * TCP_JIFFY;
		uint64_t half_ato = tcp_ato_jiffies(tp->ack.ato) / 2 * TCP_JIFFY;

		if (m <= half_min) {
			tp->ack.ato = half_ato + half_min;
		} else if (m < tp->ack.ato) {
			tp->ack.ato = half_ato + m;
			if (tp->ack.ato > tp->rto)
				tp->ack.ato = tp->rto;
		} else if (m > tp->rto) {
			tcp_incr_quickack(tp, TCP_MAX_QUICKACKS);
		}
	}
	tp->ack.lrcvtime = net->now;
	tcp_data_ecn_check(sk, skb);
	tcp_rcv_rtt_measure(tp, net->now);
	tcp_rcv_rtt_measure_ts(tp, skb);
	tp->last_data_recv = net->now;
	tp->bytes_received += skb->len;
}

/* The peer's FIN is in order (tcp_fin). */
static void tcp_fin(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb;

	tp->fin_rcvd = 1;
	sk->sk_shutdown |= RCV_SHUTDOWN;
	sock_set_flag(sk, SOCK_DONE);
	tp->ack.pending |= ICSK_ACK_SCHED;
	switch (sk->sk_state) {
	case TCP_SYN_RECV:
	case TCP_ESTABLISHED:
		tcp_set_state(sk, TCP_CLOSE_WAIT);
		/*
		 * inet_csk_enter_pingpong_mode: the FIN's ACK waits for the
		 * delayed-ACK timer, so that the owner's reply or FIN carries
		 * it (a client that closes at EOF sends one segment, not two).
		 */
		tp->ack.pingpong = true;
		break;
	case TCP_FIN_WAIT1:
		/* Simultaneous close (RFC 9293 figure 13). */
		tcp_send_ack(sk);
		tcp_set_state(sk, TCP_CLOSING);
		break;
	case TCP_FIN_WAIT2:
		tcp_send_ack(sk);
		tcp_time_wait(sk, TCP_TIME_WAIT, TCP_TIMEWAIT_LEN);
		break;
	default:
		break;
	}
	/* Nothing lies past the FIN: what the peer sent there goes, its pages back. */
	while ((skb = __skb_dequeue(&tp->out_of_order_queue))) {
		tcp_rmem_uncharge(sk, (int)skb->truesize);
		kfree_skb(skb);
	}
}

#define MAX_SKB_FRAGS 17u /* include/linux/skbuff.h, CONFIG_MAX_SKB_FRAGS's default */

/*
 * The page fragments a kernel sender's frame carries its payload in,
 * taken as one a segment: measured from a bulk sender over a veth, the
 * kernel's queue charges about a head per GSO frame (SO_RCVBUF 1 MiB:
 * 2,043,072 to 2,058,376 bytes taken of 2,097,152), so such frames do not
 * merge; single segments merge 17 to a head.
 */
static uint8_t tcp_rx_frags(const struct sk_buff *skb)
{
	uint32_t segs = tcp_rx_segs(skb);

	/* Frames merged out of order already count theirs (tcp_ooo_try_coalesce). */
	if (skb->rx.frags)
		return skb->rx.frags;
	return (uint8_t)(segs < MAX_SKB_FRAGS ? segs : MAX_SKB_FRAGS);
}

/*
 * The kernel's receive queue's last skb: the tail of ours, or, with ours
 * empty, the last buffer the owner consumed while its program has not read
 * it (the kernel's queue still holds it).
 */
struct tcp_rx_tail {
	uint32_t end_seq;
	struct skb_rx_part rx;
};

static bool tcp_rx_tail(const struct sock *sk, struct tcp_rx_tail *t)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	const struct sk_buff *tail = skb_peek_tail(&sk->sk_receive_queue);

	if (tail) {
		if (TCP_SKB_CB(tail)->tcp_flags & TCPHDR_FIN)
			return false;
		*t = (struct tcp_rx_tail){TCP_SKB_CB(tail)->end_seq, tail->rx};
		return true;
	}
	if (tp->owner_held_n) {
		const struct tcp_rx_held *h =
			&tp->owner_held[tp->owner_held_first + tp->owner_held_n - 1];

		*t = (struct tcp_rx_tail){h->end_seq, h->rx};
		return true;
	}
	return false;
}

/*
 * What the kernel's tail skb is charged more for merging skb
 * (tcp_try_coalesce, skb_try_coalesce): nothing when its bytes fit the
 * tail's linear room (copied in; a bare FIN always fits), its fragments
 * when they fit MAX_SKB_FRAGS; -1 when the kernel would not merge it. It
 * refuses while the tail's skb is cloned: over a veth (dev->rx_shared), a
 * kernel sender's frame is a clone of the skb on its retransmit queue,
 * shared until the sender frees it, i.e. until it has our ACK of that skb's
 * first frame. A sender has the ACKs we sent before the stack clock last
 * moved, not those sent since (they left with this batch). A frame from a
 * wire or another stack is the receiver's own, and so is a fresh skb of
 * tcp_collapse. So segments that come spaced, each acknowledged before the
 * next, share a head up to 17 at a time; in a burst a segment that comes
 * before our ACK of the tail's first takes a head of its own.
 */
static int64_t tcp_rx_coalesce_delta(const struct sock *sk, const struct tcp_rx_tail *t,
				     const struct sk_buff *skb)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	uint32_t acked = tp->ack_sent_before;

	if (t->end_seq != TCP_SKB_CB(skb)->seq)
		return -1;
	if (t->rx.own || !skb->dev || !skb->dev->rx_shared)
		acked = t->rx.head_end; /* the receiver's own: never cloned */
	else if (!tp->ack_sent_time)
		acked = tp->irs + 1; /* none yet: the SYN's */
	else if (tp->ack_sent_time < sock_net(sk)->now)
		acked = tp->ack_sent_seq;
	if (after(t->rx.head_end, acked))
		return -1;
	if (skb->len <= t->rx.room)
		return 0;
	/* A fresh skb of tcp_collapse is linear in a kmalloc'ed head: no fragment to give. */
	if (skb->rx.own || t->rx.frags + tcp_rx_frags(skb) > MAX_SKB_FRAGS)
		return -1;
	return tcp_rx_frag_truesize(skb->truesize);
}

/*
 * Appends in-order data; its truesize is charged. A frame the kernel would
 * merge into the tail's skb (TCPRcvCoalesce) gives back what the merge does
 * not cost (tcp_try_coalesce's delta), and its bytes join the tail's buffer
 * when they fit; otherwise it is queued as a part of the same skb.
 */
void tcp_queue_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *tail = skb_peek_tail(&sk->sk_receive_queue);
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	struct tcp_rx_tail t;
	int64_t delta = -1;
	uint8_t frags;

	tp->rcv_nxt = cb->end_seq;
	if (tcp_rx_tail(sk, &t))
		delta = tcp_rx_coalesce_delta(sk, &t, skb);
	if (delta < 0) {
		/*
		 * A bare FIN's head ends past the FIN: its data-less end would be
		 * the tail's, and the two would be taken for one skb (tcp_rx_skb_at).
		 */
		if (!skb->rx.own) /* a fresh skb of tcp_collapse_ofo_queue keeps its room */
			skb->rx = (struct skb_rx_part){.head_end = skb->len ? cb->seq + skb->len
									    : cb->end_seq,
						       .frags = tcp_rx_frags(skb)};
		__skb_queue_tail(&sk->sk_receive_queue, skb);
		return;
	}
	__NET_INC_STATS(sock_net(sk), TCPRcvCoalesce);
	tcp_rmem_uncharge(sk, (int)(skb->truesize - (uint32_t)delta));
	skb->truesize = (uint32_t)delta;
	frags = tcp_rx_frags(skb);
	skb->rx = t.rx;
	if (skb->len <= t.rx.room)
		skb->rx.room = (uint16_t)(t.rx.room - skb->len);
	else
		skb->rx.frags = (uint8_t)(t.rx.frags + frags);
	if (tail && skb_tailroom(tail) >= skb->len) {
		memcpy(skb_put(tail, skb->len), skb->data, skb->len);
		TCP_SKB_CB(tail)->end_seq = cb->end_seq;
		TCP_SKB_CB(tail)->tcp_flags |= cb->tcp_flags;
		tail->truesize += skb->truesize;
		tail->rx = skb->rx;
		kfree_skb(skb);
		return;
	}
	__skb_queue_tail(&sk->sk_receive_queue, skb);
}

/* ---- SACK and D-SACK, the receiver's side (RFC 2018, 2883) ---- */

static bool tcp_is_sack(const struct tcp_sock *tp)
{
	return tp->rx_opt.sack_ok;
}

/* Grows sp to cover [seq, end_seq) when they touch or overlap (tcp_sack_extend). */
static bool tcp_sack_extend(struct tcp_sack_block *sp, uint32_t seq, uint32_t end_seq)
{
	if (!after(seq, sp->end_seq) && !after(sp->start_seq, end_seq)) {
		if (before(seq, sp->start_seq))
			sp->start_seq = seq;
		if (after(end_seq, sp->end_seq))
			sp->end_seq = end_seq;
		return true;
	}
	return false;
}

/* The next ACK reports [seq, end_seq) as received twice (tcp_dsack_set). */
static void tcp_dsack_set(struct sock *sk, uint32_t seq, uint32_t end_seq)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);

	if (!tcp_is_sack(tp) || !net->sysctl.tcp_dsack)
		return;
	if (before(seq, tp->rcv_nxt))
		__NET_INC_STATS(net, TCPDSACKOldSent);
	else
		__NET_INC_STATS(net, TCPDSACKOfoSent);
	tp->rx_opt.dsack = 1;
	tp->duplicate_sack[0].start_seq = seq;
	tp->duplicate_sack[0].end_seq = end_seq;
}

static void tcp_dsack_extend(struct sock *sk, uint32_t seq, uint32_t end_seq)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->rx_opt.dsack)
		tcp_dsack_set(sk, seq, end_seq);
	else
		tcp_sack_extend(tp->duplicate_sack, seq, end_seq);
}

/* A SACK block past the first three changed: the held-back ACK goes now. */
static void tcp_sack_compress_send_ack(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->compressed_ack)
		return;
	tp->compressed_ack--; /* the ACK sent now is one of them */
	tcp_send_ack(sk);
}

/* After the first block grew: swallow the blocks it now touches (tcp_sack_maybe_coalesce). */
static void tcp_sack_maybe_coalesce(struct tcp_sock *tp)
{
	struct tcp_sack_block *sp = tp->selective_acks;

	for (int i = 1; i < tp->rx_opt.num_sacks;) {
		if (tcp_sack_extend(sp, sp[i].start_seq, sp[i].end_seq)) {
			tp->rx_opt.num_sacks--;
			for (int j = i; j < tp->rx_opt.num_sacks; j++)
				sp[j] = sp[j + 1];
			continue;
		}
		i++;
	}
}

/*
 * New out-of-order data [seq, end_seq) (tcp_sack_new_ofo_skb): the block it
 * joins, or a new one, moves to the front (RFC 2018 4: the first block
 * reports the most recent segment); the oldest falls off when all 4 are used.
 */
static void tcp_sack_new_ofo_skb(struct sock *sk, uint32_t seq, uint32_t end_seq)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_sack_block *sp = tp->selective_acks;
	int n = tp->rx_opt.num_sacks, i;

	for (i = 0; i < n; i++) {
		if (tcp_sack_extend(&sp[i], seq, end_seq)) {
			struct tcp_sack_block b = sp[i];

			if (i >= TCP_SACK_BLOCKS_EXPECTED)
				tcp_sack_compress_send_ack(sk);

			for (; i > 0; i--)
				sp[i] = sp[i - 1];
			sp[0] = b;
			if (n > 1)
				tcp_sack_maybe_coalesce(tp);
			return;
		}
	}
	if (n >= TCP_SACK_BLOCKS_EXPECTED)
		tcp_sack_compress_send_ack(sk);
	if (n >= TCP_NUM_SACKS)
		n = TCP_NUM_SACKS - 1;
	for (i = n; i > 0; i--)
		sp[i] = sp[i - 1];
	sp[0].start_seq = seq;
	sp[0].end_seq = end_seq;
	tp->rx_opt.num_sacks = (uint8_t)(n + 1);
}

/* rcv_nxt moved: blocks it now covers are no longer news (tcp_sack_remove). */
static void tcp_sack_remove(struct tcp_sock *tp)
{
	struct tcp_sack_block *sp = tp->selective_acks;
	int n = tp->rx_opt.num_sacks;

	if (skb_queue_empty(&tp->out_of_order_queue)) {
		tp->rx_opt.num_sacks = 0;
		return;
	}
	for (int i = 0; i < n;) {
		if (!before(tp->rcv_nxt, sp[i].start_seq)) {
			for (int j = i + 1; j < n; j++)
				sp[j - 1] = sp[j];
			n--;
			continue;
		}
		i++;
	}
	tp->rx_opt.num_sacks = (uint8_t)n;
}

/* Moves segments that became in order from the out-of-order queue. */
static bool tcp_ofo_queue(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb;
	bool fin = false;

	while ((skb = skb_peek(&tp->out_of_order_queue)) &&
	       !after(TCP_SKB_CB(skb)->seq, tp->rcv_nxt)) {
		struct tcp_skb_cb *cb = TCP_SKB_CB(skb);

		__skb_unlink(skb, &tp->out_of_order_queue);
		if (!after(cb->end_seq, tp->rcv_nxt)) {
			tcp_rmem_uncharge(sk, (int)skb->truesize);
			kfree_skb(skb);
			continue;
		}
		/* What moves stays charged whole, what was already received trimmed. */
		if (before(cb->seq, tp->rcv_nxt)) {
			skb_pull(skb, tp->rcv_nxt - cb->seq);
			cb->seq = tp->rcv_nxt;
		}
		fin = cb->tcp_flags & TCPHDR_FIN;
		tcp_queue_rcv(sk, skb);
		if (fin)
			break;
	}
	return fin;
}

/* Whether the queues are within the buffer (tcp_can_ingest: a segment may overshoot it). */
static bool tcp_can_ingest(const struct sock *sk)
{
	return sk->sk_rmem_alloc <= sk->sk_rcvbuf;
}

/*
 * Drops out-of-order data from the far end for pages (tcp_prune_ofo_queue):
 * an eighth of the receive buffer at a time, on while the queues are past the buffer or the pool
 * under pressure, never what lies before skb. Whether any went (OfoPruned; the SACK blocks then
 * start again, as after a timeout).
 */
static bool tcp_prune_ofo_queue(struct sock *sk, const struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff_head *q = &tp->out_of_order_queue;
	int goal = sk->sk_rcvbuf >> 3;
	bool pruned = false;
	struct sk_buff *last;

	while ((last = skb_peek_tail(q)) && !after(TCP_SKB_CB(skb)->seq, TCP_SKB_CB(last)->seq)) {
		__skb_unlink(last, q);
		goal -= (int)last->truesize;
		tcp_rmem_uncharge(sk, (int)last->truesize);
		kfree_skb(last);
		pruned = true;
		if (skb_queue_empty(q) || goal <= 0) {
			if (tcp_can_ingest(sk) && !tcp_under_memory_pressure(sk))
				break;
			goal = sk->sk_rcvbuf >> 3;
		}
	}
	if (pruned) {
		__NET_INC_STATS(sock_net(sk), OfoPruned);
		tp->rx_opt.num_sacks = 0;
		tp->rx_opt.dsack = 0;
	}
	return pruned;
}

/*
 * tcp_collapse's fresh skbs hold at most a page's data (SKB_MAX_ORDER(0,
 * 0)), which is also the span tcp_collapse_ofo_queue no longer calls tiny
 * (SKB_WITH_OVERHEAD(PAGE_SIZE)): 4,096 less skb_shared_info's 320.
 */
#define TCP_COLLAPSE_MAX 3776u

/* Whether skb costs more than the window its bytes fill (tcp_collapse's test). */
static bool tcp_rx_bloated(const struct sock *sk, const struct sk_buff *skb)
{
	return tcp_win_from_space(sk, (int)skb->truesize) > (int)skb->len;
}

/*
 * Copies the run of the out-of-order queue from skb up to stop (the next
 * run's first skb, or the queue's head), which ends at end, into fresh
 * linear skbs (tcp_collapse on the out-of-order tree): skbs that cost no
 * more than the window they fill and a FIN's are kept, from the first
 * that costs more on all is copied up to a FIN's skb. Each source skb
 * copied whole is freed (TCPRcvCollapsed); each fresh one is charged what
 * its allocation costs, sized before a FIN may cut its copy short.
 */
static void tcp_collapse_ofo_run(struct sock *sk, struct sk_buff *skb, struct sk_buff *stop,
				 uint32_t end)
{
	struct sk_buff_head *q = &tcp_sk(sk)->out_of_order_queue;
	uint32_t start;
	bool last = false;

	for (; skb != stop; skb = skb->next)
		if (!(TCP_SKB_CB(skb)->tcp_flags & TCPHDR_FIN) && tcp_rx_bloated(sk, skb))
			break;
	if (skb == stop)
		return;
	start = TCP_SKB_CB(skb)->seq;
	while (before(start, end) && !last) {
		uint32_t copy = end - start < TCP_COLLAPSE_MAX ? end - start : TCP_COLLAPSE_MAX,
			 cap;
		struct sk_buff *nskb = alloc_skb(copy);
		struct tcp_skb_cb *ncb;

		if (!nskb)
			return;
		memcpy(nskb->cb, skb->cb, sizeof(skb->cb));
		ncb = TCP_SKB_CB(nskb);
		ncb->seq = ncb->end_seq = start;
		nskb->truesize = tcp_rx_linear_truesize(copy, &cap);
		tcp_rmem_charge(sk, (int)nskb->truesize);
		__skb_queue_before(q, skb, nskb);
		while (copy && !last) {
			uint32_t size = TCP_SKB_CB(skb)->end_seq - start;

			if (size > copy)
				size = copy;
			memcpy(skb_put(nskb, size), skb->data + (start - TCP_SKB_CB(skb)->seq),
			       size);
			ncb->end_seq += size;
			copy -= size;
			start += size;
			if (before(start, TCP_SKB_CB(skb)->end_seq))
				continue;
			__skb_unlink(skb, q);
			tcp_rmem_uncharge(sk, (int)skb->truesize);
			__NET_INC_STATS(sock_net(sk), TCPRcvCollapsed);
			kfree_skb(skb);
			skb = nskb->next;
			last = skb == stop || (TCP_SKB_CB(skb)->tcp_flags & TCPHDR_FIN);
		}
		/* The receiver's own head: later segments may be copied into its room. */
		nskb->rx = (struct skb_rx_part){
			.head_end = ncb->end_seq, .room = (uint16_t)(cap - nskb->len), .own = true};
	}
}

/*
 * Each run of the out-of-order queue without a gap is copied into fresh
 * skbs (tcp_collapse_ofo_queue), but not a run of one skb shorter than a
 * page's data: such tiny runs are passed over until together they cost an
 * eighth of the buffer, where the walk stops.
 */
static void tcp_collapse_ofo_queue(struct sock *sk)
{
	struct sk_buff_head *q = &tcp_sk(sk)->out_of_order_queue;
	struct sk_buff *skb = skb_peek(q), *head;
	uint32_t sum_tiny = 0;

	while ((head = skb)) {
		uint32_t start = TCP_SKB_CB(head)->seq, end = TCP_SKB_CB(head)->end_seq;
		uint32_t range_truesize = head->truesize;

		/* The queue has no overlaps: a run goes on while each starts where the last ends.
		 */
		for (skb = skb_queue_is_last(q, head) ? NULL : head->next;
		     skb && !after(TCP_SKB_CB(skb)->seq, end);
		     skb = skb_queue_is_last(q, skb) ? NULL : skb->next) {
			range_truesize += skb->truesize;
			end = TCP_SKB_CB(skb)->end_seq;
		}
		if (range_truesize != head->truesize || end - start >= TCP_COLLAPSE_MAX) {
			tcp_collapse_ofo_run(sk, head, skb ? skb : (struct sk_buff *)q, end);
			continue;
		}
		sum_tiny += range_truesize;
		if (sum_tiny > (uint32_t)sk->sk_rcvbuf >> 3)
			return;
	}
}

/*
 * The kernel's receive queue as tcp_collapse walks it: what the owner
 * holds for its program (in the kernel's queue until read), then our
 * queue; each view a buffer, consecutive views of one head_end one skb.
 */
struct tcp_rx_view {
	uint32_t seq, end_seq;
	uint32_t *truesize;
	struct skb_rx_part *rx;
	bool fin;
};

static struct tcp_rx_view *tcp_rx_views(struct sock *sk, uint32_t *n)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_rx_view *v;
	struct sk_buff *skb;
	uint32_t i = 0;

	v = malloc((tp->owner_held_n + skb_queue_len(&sk->sk_receive_queue)) * sizeof(*v) + 1);
	if (!v)
		return NULL;
	for (uint32_t h = 0; h < tp->owner_held_n; h++) {
		struct tcp_rx_held *held = &tp->owner_held[tp->owner_held_first + h];

		v[i++] = (struct tcp_rx_view){held->seq, held->end_seq, &held->truesize, &held->rx,
					      false};
	}
	skb_queue_walk (&sk->sk_receive_queue, skb) {
		const struct tcp_skb_cb *cb = TCP_SKB_CB(skb);

		v[i++] = (struct tcp_rx_view){cb->seq, cb->seq + skb->len, &skb->truesize, &skb->rx,
					      (cb->tcp_flags & TCPHDR_FIN) != 0};
	}
	*n = i;
	return v;
}

/* The skb starting at view i: its views up to *next, its bytes and charge. */
struct tcp_rx_skb {
	uint32_t seq, end_seq, truesize, next;
	bool fin;
};

static struct tcp_rx_skb tcp_rx_skb_at(const struct tcp_rx_view *v, uint32_t n, uint32_t i)
{
	struct tcp_rx_skb s = {v[i].seq, v[i].end_seq, 0, i, false};

	for (; s.next < n && v[s.next].rx->head_end == v[i].rx->head_end; s.next++) {
		s.end_seq = v[s.next].end_seq;
		s.truesize += *v[s.next].truesize;
		s.fin |= v[s.next].fin;
	}
	return s;
}

/*
 * Copies [start, end) of the kernel's queue from view i on into fresh
 * linear skbs of at most a page's data (tcp_collapse, SKB_MAX_ORDER(0, 0):
 * 3,776 bytes), each source skb copied whole freed (TCPRcvCollapsed), up
 * to a FIN's skb, which is not copied. The bytes stay in our buffers, cut
 * where the fresh skbs end (tcp_collapse_split): each view becomes a part
 * of the fresh skb that holds it (the views the program already read, of
 * the first), and a fresh skb's charge goes to its last view, so that it
 * is given back when its last byte is read (tcp_owner_release).
 */
static void tcp_collapse_views(struct sock *sk, struct tcp_rx_view *v, uint32_t n, uint32_t i,
			       uint32_t start, uint32_t end)
{
	uint32_t last = i, first = start, *add = calloc(n, sizeof(*add));
	int64_t freed = 0;
	bool stop = false;

	if (!add)
		return;
	while (before(start, end) && !stop) {
		uint32_t copy = end - start < TCP_COLLAPSE_MAX ? end - start : TCP_COLLAPSE_MAX;
		uint32_t cap, truesize = tcp_rx_linear_truesize(copy, &cap), from = start, k;

		while (copy && !stop) {
			struct tcp_rx_skb s = tcp_rx_skb_at(v, n, last);
			uint32_t size = s.end_seq - start < copy ? s.end_seq - start : copy;

			start += size;
			copy -= size;
			if (before(start, s.end_seq))
				continue;
			__NET_INC_STATS(sock_net(sk), TCPRcvCollapsed);
			for (k = last; k < s.next; k++) {
				freed += *v[k].truesize;
				*v[k].truesize = 0;
			}
			last = s.next;
			stop = last == n || tcp_rx_skb_at(v, n, last).fin;
		}
		freed -= truesize;
		/*
		 * Its views: those that end in it, of a source skb copied whole
		 * or of the one still being copied, not those of a FIN's skb.
		 * Its charge is added once every source skb has given its own
		 * back (a source skb may span fresh ones).
		 */
		for (k = i; k < (stop ? last : n) && !after(v[k].end_seq, start); k++)
			if (after(v[k].end_seq, from) || !after(v[k].end_seq, first))
				*v[k].rx = (struct skb_rx_part){
					.head_end = start,
					.room = (uint16_t)(cap - (start - from)),
					.own = true};
		for (k = i; k < n - 1 && before(v[k].end_seq, start); k++)
			;
		add[k] += truesize;
	}
	for (uint32_t k = i; k < n; k++)
		*v[k].truesize += add[k];
	free(add);
	if (freed > 0)
		tcp_rmem_uncharge(sk, (int)freed);
	else
		tcp_rmem_charge(sk, (int)-freed);
}

/*
 * Cuts the buffer that holds seq b past its first byte in two at b: a held
 * buffer's record, a queued buffer's bytes into a new buffer behind it
 * (one the owner consumed whole goes to the held ones). The parts stay one
 * skb (its head_end); the first keeps the charge. False when no memory.
 */
static bool tcp_rx_split_held(struct sock *sk, uint32_t h, uint32_t b)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_rx_held *r;

	if (!tcp_owner_held_room(sk))
		return false;
	r = &tp->owner_held[tp->owner_held_first + h];
	memmove(r + 2, r + 1, (tp->owner_held_n - h - 1) * sizeof(*r));
	r[1] = (struct tcp_rx_held){b, r->end_seq, 0, r->rx};
	r->end_seq = b;
	tp->owner_held_n++;
	return true;
}

static bool tcp_rx_split_skb(struct sock *sk, struct sk_buff *skb, uint32_t b)
{
	uint32_t off = b - TCP_SKB_CB(skb)->seq;
	struct sk_buff *n = alloc_skb(skb->len - off);

	if (!n)
		return false;
	memcpy(n->cb, skb->cb, sizeof(skb->cb));
	TCP_SKB_CB(n)->seq = b;
	memcpy(skb_put(n, skb->len - off), skb->data + off, skb->len - off);
	n->dev = skb->dev;
	n->tstamp = skb->tstamp;
	n->rx = skb->rx;
	skb_trim(skb, off);
	TCP_SKB_CB(skb)->end_seq = b;
	TCP_SKB_CB(skb)->tcp_flags &= (uint8_t) ~(TCPHDR_FIN | TCPHDR_PSH);
	__skb_queue_after(&sk->sk_receive_queue, skb, n);
	if (!after(b, tcp_sk(sk)->copied_seq)) {
		__skb_unlink(skb, &sk->sk_receive_queue);
		tcp_owner_hold(sk, skb);
		kfree_skb(skb);
	}
	return true;
}

/*
 * Cuts the buffers where the fresh skbs of a collapse from start will end
 * (every TCP_COLLAPSE_MAX bytes before end), so that a fresh skb's charge
 * can sit on a buffer of its own, one walk over the held and queued ones.
 */
static void tcp_collapse_split(struct sock *sk, uint32_t start, uint32_t end)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t b = start + TCP_COLLAPSE_MAX, h = 0;
	struct sk_buff *skb = skb_peek(&sk->sk_receive_queue);

	while (before(b, end) && h < tp->owner_held_n) {
		const struct tcp_rx_held *r = &tp->owner_held[tp->owner_held_first + h];

		if (!after(r->end_seq, b)) {
			h++;
			continue;
		}
		if (after(b, r->seq) && !tcp_rx_split_held(sk, h, b))
			return;
		b += TCP_COLLAPSE_MAX;
	}
	while (before(b, end) && skb) {
		if (!after(TCP_SKB_CB(skb)->seq + skb->len, b)) {
			skb = skb_queue_is_last(&sk->sk_receive_queue, skb) ? NULL : skb->next;
			continue;
		}
		if (after(b, TCP_SKB_CB(skb)->seq)) {
			struct sk_buff *next = skb->next;

			if (!tcp_rx_split_skb(sk, skb, b))
				return;
			skb = next->prev; /* the second part (the first may have gone) */
		}
		b += TCP_COLLAPSE_MAX;
	}
}

/*
 * tcp_collapse on the receive queue, from the program's next byte to
 * rcv_nxt: skbs whose payload is what their truesize would offer as window
 * are left as they are, and from the first that is not (or that the
 * program began to read) on all is copied, up to a FIN.
 */
static void tcp_collapse_rcv(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t start = tp->copied_seq - (sk->sk_owner_holds ? sk->sk_owner_unread : 0);
	struct tcp_rx_view *v;
	uint32_t n, i = 0;

	v = tcp_rx_views(sk, &n);
	if (!v)
		return;
	while (i < n) {
		struct tcp_rx_skb s = tcp_rx_skb_at(v, n, i);

		if (after(s.end_seq, start) && !s.fin &&
		    (tcp_win_from_space(sk, s.truesize) > (int)(s.end_seq - s.seq) ||
		     before(s.seq, start)))
			break;
		if (s.fin) {
			i = n;
			break;
		}
		if (after(s.end_seq, start))
			start = s.end_seq;
		i = s.next;
	}
	free(v);
	if (i == n)
		return;
	/* The cuts only add views past view i, whose skb holds start or is the next. */
	tcp_collapse_split(sk, start, tp->rcv_nxt);
	v = tcp_rx_views(sk, &n);
	if (!v)
		return;
	tcp_collapse_views(sk, v, n, i, start, tp->rcv_nxt);
	free(v);
}

/*
 * Room for one more segment when the buffer or the pool has none
 * (tcp_prune_queue, PruneCalled): the buffer grows if it may
 * (tcp_clamp_window), else under pressure the window the peer may use
 * shrinks to four segments; then runs of small skbs are copied into full
 * ones, out of order (tcp_collapse_ofo_queue) then in order
 * (tcp_collapse), then out-of-order data goes from the far end. Still
 * past the buffer, the segment is dropped (RcvPruned). Nothing charged:
 * nothing to do (the caller decides).
 */
static bool tcp_prune_queue(struct sock *sk, const struct sk_buff *in_skb)
{
	if (!sk->sk_rmem_alloc)
		return false;
	__NET_INC_STATS(sock_net(sk), PruneCalled);
	if (!tcp_can_ingest(sk))
		tcp_clamp_window(sk);
	else if (tcp_under_memory_pressure(sk))
		tcp_adjust_rcv_ssthresh(sk);
	if (tcp_can_ingest(sk))
		return true;
	tcp_collapse_ofo_queue(sk);
	tcp_collapse_rcv(sk);
	if (tcp_can_ingest(sk))
		return true;
	tcp_prune_ofo_queue(sk, in_skb);
	if (tcp_can_ingest(sk))
		return true;
	__NET_INC_STATS(sock_net(sk), RcvPruned);
	return false;
}

/*
 * Buffer and pages for skb (tcp_try_rmem_schedule): past the buffer or
 * without pages the queues are pruned; pages still lacking, out-of-order
 * data goes from the far end until they come.
 */
static bool tcp_try_rmem_schedule(struct sock *sk, const struct sk_buff *skb)
{
	if (tcp_can_ingest(sk) && sk_rmem_schedule(sk, (int)skb->truesize))
		return true;
	if (!tcp_prune_queue(sk, skb))
		return false;
	while (!sk_rmem_schedule(sk, (int)skb->truesize))
		if (!tcp_prune_ofo_queue(sk, skb))
			return false;
	return true;
}

/*
 * Whether skb would overrun the receive buffer. Data inside the window we
 * advertised is taken: with scaling that window is rounded up to a multiple
 * of 1 << rcv_wscale and may exceed the free space by less than that.
 */
static bool tcp_rmem_exceeded(const struct sock *sk, const struct sk_buff *skb)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return sk->sk_rmem_alloc + (int)skb->len > sk->sk_rcvbuf &&
	       after(TCP_SKB_CB(skb)->end_seq, tp->rcv_wup + tp->rcv_wnd);
}

/*
 * Merges skb into p, the out-of-order segment it extends
 * (tcp_ooo_try_coalesce): as tcp_try_coalesce, only if p's skb is not a
 * clone (over a veth it is until cumulatively acknowledged: never here,
 * but a fresh skb of tcp_collapse_ofo_queue is the receiver's own), for
 * nothing when skb's bytes fit p's linear room, else if the fragments fit
 * for the merged frame's fragments, not its head (TCPRcvCoalesce). Not
 * where a later segment overlaps it: the queue stays without overlaps.
 * Consumes skb when it merges.
 */
static bool tcp_ooo_try_coalesce(struct sock *sk, struct sk_buff *p, struct sk_buff *skb)
{
	struct sk_buff_head *q = &tcp_sk(sk)->out_of_order_queue;
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb), *pcb = TCP_SKB_CB(p);
	uint8_t frags = (uint8_t)(p->rx.frags + tcp_rx_frags(skb));
	bool fits = skb->len <= p->rx.room;
	uint32_t delta = fits ? 0 : tcp_rx_frag_truesize(skb->truesize);

	if (pcb->end_seq != cb->seq || !skb->len ||
	    (!p->rx.own && skb->dev && skb->dev->rx_shared) || (!fits && frags > MAX_SKB_FRAGS) ||
	    (!skb_queue_is_last(q, p) && before(TCP_SKB_CB(p->next)->seq, cb->end_seq)))
		return false;
	if (skb_tailroom(p) < skb->len) {
		struct sk_buff *n = skb_copy_expand(p, skb->len);

		if (!n)
			return false;
		__skb_queue_after(q, p, n);
		__skb_unlink(p, q);
		kfree_skb(p);
		p = n;
		pcb = TCP_SKB_CB(p);
	}
	memcpy(skb_put(p, skb->len), skb->data, skb->len);
	pcb->end_seq = cb->end_seq;
	pcb->tcp_flags |= cb->tcp_flags;
	p->truesize += delta;
	if (fits)
		p->rx.room = (uint16_t)(p->rx.room - skb->len);
	else
		p->rx.frags = frags;
	tcp_rmem_charge(sk, (int)delta);
	__NET_INC_STATS(sock_net(sk), TCPRcvCoalesce);
	kfree_skb(skb);
	return true;
}

/*
 * Inserts into the out-of-order queue, sorted and without overlaps; what was
 * here already is reported in a D-SACK, the new data in the SACK blocks.
 */
static void tcp_data_queue_ofo(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	struct sk_buff_head *q = &tp->out_of_order_queue;
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	uint32_t seq = cb->seq, end_seq = cb->end_seq, len = skb->len, segs = tcp_rx_segs(skb);
	struct sk_buff *p, *next;

	tcp_data_ecn_check(sk, skb);
	/* The ACK decides in tcp_ack_snd_check: at once, or held back (SACK compression). */
	tp->ack.pending |= ICSK_ACK_SCHED;
	if (tcp_rmem_exceeded(sk, skb) || !tcp_try_rmem_schedule(sk, skb)) {
		__NET_INC_STATS(net, TCPOFODrop);
		if (!sock_flag(sk, SOCK_DEAD))
			sk->sk_data_ready(sk);
		kfree_skb(skb);
		return;
	}
	__NET_INC_STATS(net, TCPOFOQueue);
	skb->rx.frags = tcp_rx_frags(skb);
	if (skb_queue_empty(q) && tcp_is_sack(tp)) {
		/* The first hole: one block, whatever was reported before. */
		tp->rx_opt.num_sacks = 0;
	}
	/* Find the last segment starting at or before this one, from the tail. */
	for (p = skb_peek_tail(q); p && after(TCP_SKB_CB(p)->seq, cb->seq);
	     p = p->prev == (struct sk_buff *)q ? NULL : p->prev)
		;
	if (p) {
		struct tcp_skb_cb *pcb = TCP_SKB_CB(p);

		if (!after(cb->end_seq, pcb->end_seq)) {
			/* All of it is here already: report it as a duplicate. */
			__NET_INC_STATS(net, TCPOFOMerge);
			tcp_dsack_set(sk, seq, end_seq);
			kfree_skb(skb);
			goto add_sack;
		}
		if (tcp_ooo_try_coalesce(sk, p, skb)) {
			if (tcp_is_sack(tp))
				tcp_grow_window(sk, len, segs, false);
			goto add_sack;
		}
		if (before(cb->seq, pcb->end_seq)) {
			uint32_t n = pcb->end_seq - cb->seq;

			if (cb->seq == pcb->seq)
				tcp_dsack_extend(sk, pcb->seq, pcb->end_seq);
			else
				tcp_dsack_set(sk, seq, pcb->end_seq);
			skb_pull(skb, n);
			cb->seq = pcb->end_seq;
		}
		__skb_queue_after(q, p, skb);
	} else {
		__skb_queue_head(q, skb);
	}
	/* Later segments this one covers go; a partial overlap trims this one. */
	while (!skb_queue_is_last(q, skb)) {
		next = skb->next;
		if (!after(TCP_SKB_CB(next)->end_seq, cb->end_seq)) {
			tcp_dsack_extend(sk, TCP_SKB_CB(next)->seq, TCP_SKB_CB(next)->end_seq);
			__NET_INC_STATS(net, TCPOFOMerge);
			__skb_unlink(next, q);
			tcp_rmem_uncharge(sk, (int)next->truesize);
			kfree_skb(next);
			continue;
		}
		if (before(TCP_SKB_CB(next)->seq, cb->end_seq)) {
			tcp_dsack_extend(sk, TCP_SKB_CB(next)->seq, cb->end_seq);
			skb_trim(skb, TCP_SKB_CB(next)->seq - cb->seq);
			cb->end_seq = TCP_SKB_CB(next)->seq;
			cb->tcp_flags &= (uint8_t)~TCPHDR_FIN;
		}
		break;
	}
	/* Without SACK the window does not grow, so that the dup-ACKs go out alike. */
	if (tcp_is_sack(tp))
		tcp_grow_window(sk, skb->len, tcp_rx_segs(skb), false);
	tcp_rmem_charge(sk, (int)skb->truesize);
add_sack:
	if (tcp_is_sack(tp))
		tcp_sack_new_ofo_skb(sk, seq, end_seq);
	/*
	 * Room for what the hole holds back (tcp_rcvbuf_grow's out-of-order
	 * span), at the last measure; not for a child not accepted yet, nor an
	 * orphan (no sk_socket).
	 */
	if (sk->sk_socket)
		tcp_rcvbuf_grow(sk, tp->rcvq_space.space);
}

static uint32_t tcp_rcv_window_now(const struct tcp_sock *tp)
{
	int32_t win = (int32_t)(tp->rcv_wup + tp->rcv_wnd - tp->rcv_nxt);

	return win < 0 ? 0 : (uint32_t)win;
}

/*
 * A new urgent pointer (tcp_check_urg). The pointer names the byte after the
 * urgent one (BSD's reading, tcp_stdurg 0: the default), or the urgent byte
 * itself (RFC 1122, tcp_stdurg 1).
 */
static void tcp_check_urg(struct sock *sk, const struct tcphdr *th)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t ptr = ntohs(th->urg_ptr);

	if (ptr && !sock_net(sk)->sysctl.tcp_stdurg)
		ptr--;
	ptr += ntohl(th->seq);
	/* Already read, replayed, or not newer than the one we have: nothing new. */
	if (after(tp->copied_seq, ptr) || before(ptr, tp->rcv_nxt))
		return;
	if (tp->urg_data && !after(ptr, tp->urg_seq))
		return;
	/*
	 * The old urgent byte was read with MSG_OOB and is next in line: step
	 * over it now, before urg_seq forgets where it was.
	 */
	if (tp->urg_seq == tp->copied_seq && tp->urg_data && !sock_flag(sk, SOCK_URGINLINE) &&
	    tp->copied_seq != tp->rcv_nxt)
		tcp_consume(sk, 1);
	tp->urg_data = TCP_URG_NOTYET;
	tp->urg_seq = ptr;
}

/* Step 6 (tcp_urg): note a new pointer, then take the urgent byte if this segment carries it. */
static void tcp_urg(struct sock *sk, const struct sk_buff *skb, const struct tcphdr *th)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t off;

	if (th->urg)
		tcp_check_urg(sk, th);
	if (tp->urg_data != TCP_URG_NOTYET)
		return;
	off = tp->urg_seq - TCP_SKB_CB(skb)->seq - th->syn;
	if (off < skb->len) {
		tp->urg_data = (uint16_t)(TCP_URG_VALID | skb->data[off]);
		if (!sock_flag(sk, SOCK_DEAD))
			sk->sk_data_ready(sk);
	}
}

/* Data and FIN of an acceptable segment (tcp_data_queue); consumes skb. */
static void tcp_data_queue(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	uint32_t len, segs;
	bool fin;

	if (cb->seq == cb->end_seq) {
		kfree_skb(skb);
		return;
	}
	/* What the kernel's skb for the frame costs, whatever is trimmed from it later. */
	skb->truesize = tcp_rx_truesize(skb->len, 1);
	if (!after(cb->end_seq, tp->rcv_nxt)) {
		/* A retransmission of what we have: ack at once (the peer missed our ACK). */
		__NET_INC_STATS(net, DelayedACKLost);
		tcp_dsack_set(sk, cb->seq, cb->end_seq);
		tcp_enter_quickack_mode(tp, TCP_MAX_QUICKACKS);
		tp->ack.pending |= ICSK_ACK_SCHED | ICSK_ACK_NOW;
		kfree_skb(skb);
		return;
	}
	if (!before(cb->seq, tp->rcv_nxt + tcp_rcv_window_now(tp))) {
		tp->ack.pending |= ICSK_ACK_SCHED | ICSK_ACK_NOW;
		kfree_skb(skb);
		return;
	}
	if (before(cb->seq, tp->rcv_nxt)) {
		/* Partly old: the old part is a duplicate. */
		tcp_dsack_set(sk, cb->seq, tp->rcv_nxt);
		skb_pull(skb, tp->rcv_nxt - cb->seq);
		cb->seq = tp->rcv_nxt;
	}
	if (cb->seq != tp->rcv_nxt) {
		tcp_data_queue_ofo(sk, skb);
		return;
	}
	if (!tcp_rcv_window_now(tp) && skb->len) {
		/* Zero window: a probe's byte is not taken, the ACK repeats the window. */
		tp->ack.pending |= ICSK_ACK_SCHED | ICSK_ACK_NOW;
		kfree_skb(skb);
		return;
	}
	/*
	 * No room for in-order data: the ACK goes now, with window 0 whatever
	 * was offered (ICSK_ACK_NOMEM, the kernel's tcp_data_queue), and the
	 * data is dropped while the reader has some to take.
	 */
	if (tcp_rmem_exceeded(sk, skb) && !skb_queue_empty(&sk->sk_receive_queue)) {
		__NET_INC_STATS(net, TCPRcvQDrop);
		tp->ack.pending |= ICSK_ACK_SCHED | ICSK_ACK_NOW | ICSK_ACK_NOMEM;
		kfree_skb(skb);
		return;
	}
	if (!tcp_try_rmem_schedule(sk, skb)) {
		/*
		 * No pages: the same, and the reader is woken; with nothing
		 * to read the data is queued whatever the pool holds (the
		 * kernel's sk_forced_mem_schedule), the ACK still says 0.
		 */
		tp->ack.pending |= ICSK_ACK_SCHED | ICSK_ACK_NOW | ICSK_ACK_NOMEM;
		if (!sock_flag(sk, SOCK_DEAD))
			sk->sk_data_ready(sk);
		if (!skb_queue_empty(&sk->sk_receive_queue) && skb->len) {
			__NET_INC_STATS(net, TCPRcvQDrop);
			kfree_skb(skb);
			return;
		}
		sk_forced_mem_schedule(sk, (int)skb->truesize);
	}
	len = tcp_skb_rx_len(skb);
	if (len)
		tcp_event_data_recv(sk, skb);
	fin = cb->tcp_flags & TCPHDR_FIN;
	segs = tcp_rx_segs(skb);
	tcp_rmem_charge(sk, (int)skb->truesize);
	tcp_queue_rcv(sk, skb);
	/* Queued first, as the kernel's tcp_data_queue: the room left decides. */
	if (len >= 128)
		tcp_grow_window(sk, len, segs, true);
	if (!fin && !skb_queue_empty(&tp->out_of_order_queue)) {
		fin = tcp_ofo_queue(sk);
		if (skb_queue_empty(&tp->out_of_order_queue))
			tp->ack.pending |= ICSK_ACK_NOW; /* the hole is filled: say so now */
	}
	if (tp->rx_opt.num_sacks)
		tcp_sack_remove(tp);
	if (fin)
		tcp_fin(sk);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_data_ready(sk);
}

/*
 * Sends the ACK now, arms the delayed ACK, or with out-of-order data
 * (__tcp_ack_snd_check): the first three ACKs for one rcv_nxt go at once
 * (the sender's duplicate threshold), later ones are held back (SACK
 * compression) up to tcp_comp_sack_nr of them, for 5% of the RTT, at most
 * tcp_comp_sack_delay_ns.
 */
static void tcp_ack_snd_check(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct netns_sysctl *sc = &sock_net(sk)->sysctl;
	uint64_t delay;

	if (!(tp->ack.pending & ICSK_ACK_SCHED))
		return;
	/*
	 * More than one full segment unacknowledged, and the window's right
	 * edge would advance with this ACK (else the owner's read sends it,
	 * tcp_cleanup_rbuf, or the delayed-ACK timer), or SO_RCVLOWAT is not
	 * met yet; quick-ACK mode (tcp_in_quickack_mode), not while
	 * interactive (TCP_QUICKACK 0); or an ACK the protocol owes now.
	 */
	if ((tp->rcv_nxt - tp->rcv_wup > tp->ack.rcv_mss &&
	     (tp->rcv_nxt - tp->copied_seq < (uint32_t)sk->sk_rcvlowat ||
	      __tcp_select_window(sk) >= tp->rcv_wnd)) ||
	    (tp->ack.quick && !tp->ack.pingpong) || (tp->ack.pending & ICSK_ACK_NOW)) {
		tcp_send_ack(sk);
		return;
	}
	if (skb_queue_empty(&tp->out_of_order_queue)) {
		tcp_send_delayed_ack(sk);
		return;
	}
	if (!tcp_is_sack(tp) || tp->compressed_ack >= sc->tcp_comp_sack_nr) {
		tcp_send_ack(sk);
		return;
	}
	if (tp->compressed_ack_rcv_nxt != tp->rcv_nxt) {
		tp->compressed_ack_rcv_nxt = tp->rcv_nxt;
		tp->dup_ack_counter = 0;
	}
	if (tp->dup_ack_counter < TCP_FASTRETRANS_THRESH) {
		tp->dup_ack_counter++;
		tcp_send_ack(sk);
		return;
	}
	if (tp->compressed_ack++)
		return; /* the timer runs already */
	delay = tp->srtt / 20;
	if (delay > (uint64_t)sc->tcp_comp_sack_delay_ns)
		delay = (uint64_t)sc->tcp_comp_sack_delay_ns;
	tcp_compressed_ack_arm(sk, delay);
}

/* RFC 9293 3.10.7.4 first check (tcp_sequence). */
static bool tcp_sequence(const struct tcp_sock *tp, uint32_t seq, uint32_t end_seq)
{
	return !before(end_seq, tp->rcv_wup) && !after(seq, tp->rcv_nxt + tcp_rcv_window_now(tp));
}

/*
 * ACKs answering out-of-window segments are limited to one per
 * tcp_invalid_ratelimit (tcp_oow_rate_limited), so that two confused ends
 * cannot loop; data segments are not limited (they are not part of a loop).
 */
static bool tcp_oow_rate_limited(struct sock *sk, const struct sk_buff *skb, uint64_t *skipped)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	const struct tcp_skb_cb *cb = TCP_SKB_CB(skb);

	if (cb->seq != cb->end_seq && !(cb->tcp_flags & TCPHDR_SYN))
		return false;
	if (tcp_oow_too_soon(net, tp->last_oow_ack_time)) {
		(*skipped)++; /* the caller's TCPACKSkipped* counter (mib_idx) */
		return true;
	}
	tp->last_oow_ack_time = net->now;
	return false;
}

/* An unacceptable segment: ACK it, with a D-SACK when it was old data (tcp_send_dupack). */
static void tcp_send_dupack(struct sock *sk, const struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct tcp_skb_cb *cb = TCP_SKB_CB(skb);

	if (cb->end_seq != cb->seq && before(cb->seq, tp->rcv_nxt)) {
		__NET_INC_STATS(sock_net(sk), DelayedACKLost);
		tcp_enter_quickack_mode(tp, TCP_MAX_QUICKACKS);
		tcp_dsack_set(sk, cb->seq, cb->end_seq);
	}
	tcp_send_ack(sk);
}

/* SYN_SENT (RFC 9293 3.10.7.3); consumes skb. */
static int tcp_rcv_synsent_state_process(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(skb);
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	struct rate_sample syn_rs = {0};
	uint64_t rtt;

	if (th->ack) {
		if (!after(cb->ack_seq, tp->iss) || after(cb->ack_seq, tp->snd_nxt)) {
			if (!th->rst)
				return 1; /* unacceptable ACK: the caller resets (and frees skb) */
			kfree_skb(skb);
			return 0;
		}
		if (th->rst) {
			tcp_reset(sk);
			kfree_skb(skb);
			return 0;
		}
		if (!th->syn) {
			kfree_skb(skb);
			return 0;
		}
		tcp_parse_options(net, th, &tp->rx_opt, false, NULL);
		/* The echo must be of a timestamp our SYN could have carried (PAWS). */
		if (tp->rx_opt.saw_tstamp && tp->rx_opt.rcv_tsecr &&
		    !between(tp->rx_opt.rcv_tsecr - tp->tsoffset,
			     (uint32_t)(tp->retrans_stamp / NSEC_PER_MSEC),
			     tcp_time_stamp_ts(tp))) {
			__NET_INC_STATS(net, PAWSActive);
			return 1; /* reset_and_undo: the caller resets; the SYN stays ours */
		}
		tcp_wscale_settle(sk);
		tcp_ts_sack_settle(sk);
		tcp_ecn_rcv_synack(sk, th);
		/* The segments we receive carry timestamps too: expect less payload. */
		if (tp->rx_opt.tstamp_ok)
			tp->advmss -= TCPOLEN_TSTAMP_ALIGNED;
		if (!tp->rx_opt.mss_clamp)
			tp->rx_opt.mss_clamp = TCP_MSS_DEFAULT;
		tp->irs = cb->seq;
		tp->rcv_nxt = cb->seq + 1;
		tp->copied_seq = tp->rcv_nxt;
		tp->rcv_wup = tp->rcv_nxt;
		tp->snd_wnd = cb->window; /* never scaled in a SYN */
		tp->max_window = tp->snd_wnd;
		tp->snd_wl1 = cb->seq;
		tp->snd_wl2 = cb->ack_seq;
		tp->snd_una = cb->ack_seq;
		tcp_clean_rtx_queue(sk, cb->ack_seq, tp->rack.fack, &rtt, &syn_rs);
		if (!rtt)
			rtt = tcp_rtt_tsopt(tp); /* the SYN went twice: time its echo */
		if (rtt) {
			tcp_update_rtt_min(tp, rtt); /* tcp_ack's, as for any ACK */
			tcp_rtt_estimator(sk, rtt);
		}
		tp->retransmits = 0;
		tp->backoff = 0;
		tcp_rearm_rto(sk);
		tcp_set_state(sk, TCP_ESTABLISHED);
		tcp_init_transfer(sk);
		/* Fast Open: the cookie to keep; unacknowledged SYN data goes again, with the ACK.
		 */
		if (!((tp->syn_fastopen || tp->syn_data) && tcp_rcv_fastopen_synack(sk, skb)))
			tcp_send_ack(sk);
		tcp_push_pending_frames(sk, tp->nonagle);
		kfree_skb(skb);
		return 0;
	}
	if (th->rst) {
		kfree_skb(skb);
		return 0;
	}
	if (th->syn) {
		/* Simultaneous open: answer with SYN-ACK, the queued SYN now carries the ACK. */
		tcp_parse_options(net, th, &tp->rx_opt, false, NULL);
		tcp_wscale_settle(sk);
		tcp_ts_sack_settle(sk);
		if (!tp->rx_opt.mss_clamp)
			tp->rx_opt.mss_clamp = TCP_MSS_DEFAULT;
		tp->irs = cb->seq;
		tp->rcv_nxt = cb->seq + 1;
		tp->copied_seq = tp->rcv_nxt;
		tp->rcv_wup = tp->rcv_nxt;
		tp->snd_wnd = cb->window;
		tp->snd_wl1 = cb->seq;
		tcp_set_state(sk, TCP_SYN_RECV);
		/*
		 * tcp_send_synack: the queued SYN goes again with the ACK as a new
		 * transmission, not a retransmission (nothing counted or marked, so
		 * its ACK still gives an RTT sample); the SYN's timer runs on.
		 */
		tcp_transmit_skb(sk, skb_peek(&sk->sk_write_queue), true);
	}
	kfree_skb(skb);
	return 0;
}

void tcp_synrecv_established(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	/*
	 * A listener's child is on the accept queue already, and its listener
	 * was woken then: a Fast Open one at its SYN (tcp_fastopen.c), another
	 * when tcp_check_req or a cookie made it. The kernel wakes no one here
	 * (a full socket's ACK; tcp_child_process's wake is for the segment
	 * that made the child).
	 */
	tcp_fastopen_child_done(sk);
	if (tp->rx_opt.tstamp_ok)
		tp->advmss -= TCPOLEN_TSTAMP_ALIGNED;
	tp->fastopen_passive = 0;
	tcp_set_state(sk, TCP_ESTABLISHED);
	tcp_init_transfer(sk);
}

/* seq..end_seq touches the window s_win..e_win (tcp_minisocks.c's tcp_in_window). */
static bool tcp_in_window(uint32_t seq, uint32_t end_seq, uint32_t s_win, uint32_t e_win)
{
	if (seq == s_win)
		return true;
	if (after(end_seq, s_win) && before(seq, e_win))
		return true;
	return seq == e_win && seq == end_seq;
}

enum tcp_req_verdict { TCP_REQ_DONE, TCP_REQ_PASS, TCP_REQ_RESET };

/* A listener's child made from its request leaves the SYN queue for the accept queue. */
static void inet_csk_reqsk_queue_add(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk), *parent = tp->parent;

	list_del_init(&tp->accept_node);
	reqsk_queue_removed(parent, tp);
	list_add_tail(&tp->accept_node, &parent->accept_queue);
	parent->inet.sk.sk_ack_backlog++;
	__TCP_INC_STATS(sock_net(sk), PassiveOpens);
	tp->req_made = 1;
}

/*
 * A listener's child still in SYN_RECV stands for the kernel's request
 * sock, whose segments tcp_check_req judges, not the full-socket rules
 * (RFC 5961 challenge ACKs are for synchronized connections): a pure
 * retransmitted SYN gets the SYN-ACK again; a bad ACK a RST from the
 * listener; an out-of-window or PAWS-failing segment, or one echoing a
 * timestamp none of our SYN-ACKs sent (TSEcrRejected), an ACK; an in-window
 * RST or new SYN ends the embryo (embryonic_reset). Both answers share one
 * rate limit (TCPACKSkippedSynRecv), so a SYN flood on one 4-tuple gets
 * at most two answers a second. The rx options are parsed already.
 *
 * A Fast Open child (fastopen) is a full socket whose request sock the
 * kernel keeps until the handshake ends; it differs where it may have sent
 * data already: its ACKs and echoed timestamps are the socket's to judge
 * (tcp_ack, PAWS), its SYN-ACK again does not restart the retransmit
 * timer, an in-window SYN gets a RST but leaves the connection (an outsider
 * must not reset it so cheaply), an in-window RST resets it (tcp_reset,
 * not EmbryonicRsts), and a segment that passes goes on to the full
 * socket's rules.
 */
static enum tcp_req_verdict tcp_check_req(struct sock *sk, struct sk_buff *skb, bool fastopen)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	const struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	uint8_t flg = cb->tcp_flags & (TCPHDR_RST | TCPHDR_SYN | TCPHDR_ACK);
	uint64_t *skipped = &net->mib.tcpext.TCPACKSkippedSynRecv;
	bool paws_reject = false, tsecr_reject = false;

	/* tcp_paws_reject: a RST may carry an old timestamp once TS.Recent is a MSL old. */
	if (tp->rx_opt.saw_tstamp && !tcp_paws_check(tp, 0))
		paws_reject = !(flg & TCPHDR_RST) ||
			      net->now / NSEC_PER_SEC < tp->rx_opt.ts_recent_stamp + TCP_PAWS_MSL;
	/* An echo, when there is one, of a TSval none of our SYN-ACKs carried. */
	if (tp->rx_opt.saw_tstamp && tp->rx_opt.rcv_tsecr && tp->rx_opt.tstamp_ok && !fastopen)
		tsecr_reject =
			!between(tp->rx_opt.rcv_tsecr, tp->snt_tsval_first, tp->snt_tsval_last);
	if (cb->seq == tp->irs && flg == TCPHDR_SYN && !paws_reject) {
		struct sk_buff *synack = skb_peek(&sk->sk_write_queue);

		/* Our SYN-ACK was lost: again, and its timer starts over. */
		if (synack && !tcp_oow_rate_limited(sk, skb, skipped) &&
		    !tcp_retransmit_skb(sk, synack) && !fastopen)
			tcp_reset_xmit_timer(sk, ICSK_TIME_RETRANS, tp->rto);
		return TCP_REQ_DONE;
	}
	/* RFC 9293 3.10.7.4: an unacceptable ACK in a non-synchronized state gets a RST. */
	if ((flg & TCPHDR_ACK) && !fastopen && cb->ack_seq != tp->iss + 1)
		return TCP_REQ_RESET;
	if (paws_reject || tsecr_reject ||
	    !tcp_in_window(cb->seq, cb->end_seq, tp->rcv_nxt,
			   tp->rcv_nxt + tcp_synack_window(tp))) {
		if (!(flg & TCPHDR_RST) && !tcp_oow_rate_limited(sk, skb, skipped))
			tcp_send_req_ack(sk);
		if (paws_reject)
			__NET_INC_STATS(net, PAWSEstab);
		else if (tsecr_reject)
			__NET_INC_STATS(net, TSEcrRejected);
		return TCP_REQ_DONE;
	}
	if (tp->rx_opt.saw_tstamp && !after(cb->seq, tp->rcv_nxt))
		tcp_store_ts_recent(tp);
	if (cb->seq == tp->irs)
		flg &= (uint8_t)~TCPHDR_SYN; /* the SYN itself lies left of the window */
	if (flg & (TCPHDR_RST | TCPHDR_SYN)) {
		if (!(flg & TCPHDR_RST))
			tcp_v4_send_reset(net, sk, skb);
		if (fastopen) {
			/* Counted here, and by tcp_done once more for a RST (the kernel's twice).
			 */
			__TCP_INC_STATS(net, AttemptFails);
			if (flg & TCPHDR_RST) {
				tcp_fastopen_child_reset(sk);
				tcp_reset(sk);
			}
			return TCP_REQ_DONE;
		}
		/* tcp_done counts AttemptFails (a SYN_RECV socket) and frees the embryo. */
		__NET_INC_STATS(net, EmbryonicRsts);
		tcp_done(sk);
		return TCP_REQ_DONE;
	}
	return flg & TCPHDR_ACK ? TCP_REQ_PASS : TCP_REQ_DONE;
}

/*
 * tcp_check_req's end for a request whose ACK passed (syn_recv_sock,
 * inet_csk_complete_hashdance): the full socket is made, past its SYN-ACK
 * (snd_una, the handshake's RTT: tcp_synack_rtt_meas), and queued for
 * accept() before the segment meets its rules, so that a segment they
 * drop leaves it queued in SYN_RECV, as the kernel's: a SYN-ACK with data
 * at the peer's ISN, whose SYN the child challenges. False when the
 * segment is dropped before: a bare ACK while TCP_DEFER_ACCEPT waits for
 * data, or a full accept queue (tcp_abort_on_overflow 0: the SYN-ACK
 * repeats).
 */
static bool tcp_req_make_child(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk), *parent = tp->parent;
	struct sock *psk = &parent->inet.sk;
	struct net *net = sock_net(sk);

	if (tp->retransmits < parent->defer_accept && TCP_SKB_CB(skb)->end_seq == tp->irs + 1) {
		tp->defer_acked = true;
		__NET_INC_STATS(net, TCPDeferAcceptDrop);
		return false;
	}
	if (psk->sk_ack_backlog > psk->sk_max_ack_backlog) {
		__NET_INC_STATS(net, ListenOverflows);
		__NET_INC_STATS(net, ListenDrops);
		return false;
	}
	tcp_ack(sk, skb);
	inet_csk_reqsk_queue_add(sk);
	psk->sk_data_ready(psk);
	return true;
}

/*
 * After an ACK freed queued data and what it let in has been sent
 * (tcp_data_snd_check's tcp_check_space, tcp_new_space): only for a writer
 * that found the buffer full (SOCK_NOSPACE: tcp_sendmsg stopped short, or
 * the host's pump left the program's bytes in the pair), the send buffer
 * grows with the congestion window, but not under memory pressure or past
 * tcp_mem[0], nor while the window is full (tcp_should_expand_sndbuf): a
 * sender the window holds back needs no more buffer, and one that never
 * fills its buffer keeps the one it had at establishment.
 */
static void tcp_check_space(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->queue_shrunk)
		return;
	tp->queue_shrunk = false;
	if (!tp->sndbuf_nospace)
		return;
	if (tcp_mem_allows_sndbuf_growth(sk) && tcp_packets_in_flight(tp) < tp->cong.snd_cwnd)
		tcp_sndbuf_expand(sk);
	tcp_sndbuf_check_room(sk);
}

/*
 * Every segment a full socket receives (tcp_segs_in), a GRO'd frame as the
 * segments it merged; those with payload count as data segments too, in
 * order or not, duplicates included (tcpi_segs_in, tcpi_data_segs_in).
 */
static void tcp_segs_in(struct tcp_sock *tp, const struct sk_buff *skb)
{
	uint32_t segs = tcp_rx_segs(skb);

	tp->segs_in += segs;
	if (skb->len)
		tp->data_segs_in += segs;
}

/*
 * Every state but LISTEN, TIME_WAIT and CLOSE; consumes skb. Returns 1 when
 * the caller must answer with a RST (the skb is then still the caller's).
 */
int tcp_rcv_state_process(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(skb);
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	int ack_verdict;

	tcp_segs_in(tp, skb);
	if (sk->sk_state == TCP_SYN_SENT)
		return tcp_rcv_synsent_state_process(sk, skb);

	tcp_parse_options(net, th, &tp->rx_opt, true, NULL);
	/*
	 * A simultaneous open's SYN_RECV is a full socket's; a Fast Open
	 * child's, accepted or not, and its FIN_WAIT1 until the handshake's
	 * ACK, are judged as its request sock first.
	 */
	if (tcp_fastopen_rsk(sk) || tcp_child_is_request(sk)) {
		bool request = tcp_child_is_request(sk);
		enum tcp_req_verdict v = tcp_check_req(sk, skb, !request);

		if (v == TCP_REQ_RESET)
			return 1;
		if (v == TCP_REQ_DONE || (request && !tcp_req_make_child(sk, skb))) {
			kfree_skb(skb);
			return 0;
		}
	}
	/* 0. PAWS (RFC 7323 5): a RST is judged by its sequence alone. */
	if (tp->rx_opt.saw_tstamp && !th->rst) {
		enum tcp_paws_verdict v = tcp_paws_discard(sk, skb);

		if (v != TCP_PAWS_OK) {
			if (th->syn) {
				__NET_INC_STATS(net, TCPSYNChallenge);
				tcp_send_challenge_ack(sk);
			} else if (v == TCP_PAWS_REJECT) {
				__NET_INC_STATS(net, PAWSEstab);
				if (!tcp_oow_rate_limited(sk, skb,
							  &net->mib.tcpext.TCPACKSkippedPAWS))
					tcp_send_dupack(sk, skb);
			} else {
				__NET_INC_STATS(net, PAWSOldAck);
			}
			kfree_skb(skb);
			return 0;
		}
	}
	/* 1. sequence */
	if (!tcp_sequence(tp, cb->seq, cb->end_seq)) {
		if (th->syn && !th->rst) {
			__NET_INC_STATS(net, TCPSYNChallenge);
			tcp_send_challenge_ack(sk);
		} else if (!th->rst &&
			   !tcp_oow_rate_limited(sk, skb, &net->mib.tcpext.TCPACKSkippedSeq)) {
			tcp_send_dupack(sk, skb);
		}
		kfree_skb(skb);
		return 0;
	}
	/* 2. RST */
	if (th->rst) {
		if (cb->seq == tp->rcv_nxt)
			tcp_reset(sk);
		else
			tcp_send_challenge_ack(sk);
		kfree_skb(skb);
		return 0;
	}
	/*
	 * 4. SYN: challenged (RFC 5961 4.2), but for the peer's SYN-ACK to a
	 * simultaneous open, which its SYN put in SYN_RECV: that one is the
	 * ACK of ours (tcp_validate_incoming). Its SYN again is challenged
	 * too, not answered with our SYN-ACK: only a request sock does that.
	 */
	if (th->syn) {
		if (!(sk->sk_state == TCP_SYN_RECV && !tp->parent && th->ack &&
		      cb->seq + 1 == cb->end_seq && cb->seq + 1 == tp->rcv_nxt &&
		      cb->ack_seq == tp->snd_nxt)) {
			__NET_INC_STATS(net, TCPSYNChallenge);
			tcp_send_challenge_ack(sk);
			kfree_skb(skb);
			return 0;
		}
	}
	/* 5. ACK */
	if (!th->ack) {
		kfree_skb(skb);
		return 0;
	}
	/* A made child's snd_una is past its SYN-ACK already: that ACK again is acceptable. */
	if (sk->sk_state == TCP_SYN_RECV &&
	    ((tp->req_made ? before(cb->ack_seq, tp->snd_una) : !after(cb->ack_seq, tp->snd_una)) ||
	     after(cb->ack_seq, tp->snd_nxt)))
		return 1;
	/*
	 * An unacceptable ACK drops the segment; past ESTABLISHED an old one
	 * too, with a challenge ACK (tcp_rcv_state_process's !acceptable).
	 */
	ack_verdict = tcp_ack(sk, skb);
	if (ack_verdict < 0 || (ack_verdict == 0 && sk->sk_state != TCP_ESTABLISHED)) {
		if (sk->sk_state != TCP_ESTABLISHED)
			tcp_send_challenge_ack(sk);
		kfree_skb(skb);
		return 0;
	}
	switch (sk->sk_state) {
	case TCP_SYN_RECV:
		tcp_synrecv_established(sk);
		break;
	case TCP_FIN_WAIT1:
		/* A Fast Open child's handshake ends here: its request goes
		 * (tcp_rcv_synrecv_state_fastopen). */
		if (tp->fastopen_passive) {
			tp->fastopen_passive = 0;
			tcp_fastopen_child_done(sk);
		}
		if (tp->snd_una == tp->write_seq) {
			tcp_set_state(sk, TCP_FIN_WAIT2);
			sk->sk_shutdown |= SEND_SHUTDOWN;
			/*
			 * An orphan with TCP_LINGER2 below 0 skips FIN_WAIT2: it
			 * ends, and this ACK is answered with a RST (tcp_rcv_state_process).
			 */
			if (sock_flag(sk, SOCK_DEAD) && tp->linger2 < 0) {
				tcp_v4_send_reset(net, sk, skb);
				__NET_INC_STATS(net, TCPAbortOnData);
				kfree_skb(skb);
				tcp_done(sk);
				return 0;
			}
			if (sock_flag(sk, SOCK_DEAD))
				tcp_time_wait(sk, TCP_FIN_WAIT2, tcp_fin_time(sk));
		}
		break;
	case TCP_CLOSING:
		if (tp->snd_una == tp->write_seq) {
			tcp_time_wait(sk, TCP_TIME_WAIT, TCP_TIMEWAIT_LEN);
			kfree_skb(skb);
			return 0;
		}
		break;
	case TCP_LAST_ACK:
		if (tp->snd_una == tp->write_seq) {
			kfree_skb(skb);
			tcp_update_metrics(sk);
			tcp_done(sk);
			return 0;
		}
		break;
	}
	/* 6. URG */
	tcp_urg(sk, skb, th);
	/* 7. data; ECN first: the peer's CWR (its CE marks count where the data is queued). */
	if (skb->len || th->fin)
		tcp_ecn_accept_cwr(sk, skb);
	switch (sk->sk_state) {
	case TCP_CLOSE_WAIT:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		if (!before(cb->seq, tp->rcv_nxt)) {
			kfree_skb(skb); /* the peer's FIN came already; nothing more is data */
			break;
		}
		tcp_data_queue(sk, skb);
		break;
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
		/* The owner closed: new data has nowhere to go (TCPAbortOnData, RST). */
		if ((sk->sk_shutdown & RCV_SHUTDOWN) && !tp->fin_rcvd && skb->len &&
		    after(cb->end_seq - (th->fin ? 1 : 0), tp->rcv_nxt)) {
			__NET_INC_STATS(net, TCPAbortOnData);
			tcp_send_active_reset(sk);
			kfree_skb(skb);
			tcp_done(sk);
			return 0;
		}
		tcp_data_queue(sk, skb);
		break;
	case TCP_ESTABLISHED:
		tcp_data_queue(sk, skb);
		break;
	default:
		kfree_skb(skb);
		return 0;
	}
	if (sk->sk_state == TCP_CLOSE)
		return 0;
	tcp_push_pending_frames(sk, tp->nonagle);
	tcp_check_space(sk);
	tcp_ack_snd_check(sk);
	return 0;
}

/*
 * A SYN when the SYN queue is full, or always with tcp_syncookies = 2: a
 * cookie SYN-ACK and no state (tcp_syn_flood_action and want_cookie).
 */
static void tcp_send_syn_cookie(struct sock *sk, struct sk_buff *skb)
{
	struct net *net = sock_net(sk);
	const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(skb);
	struct tcp_options_received opt = {.user_mss = tcp_sk(sk)->rx_opt.user_mss};
	uint16_t mss;
	uint32_t isn;

	tcp_parse_options(net, th, &opt, false, NULL);
	mss = opt.mss_clamp ? opt.mss_clamp : TCP_MSS_DEFAULT;
	isn = cookie_v4_init_sequence(net, skb, &mss);
	tcp_sk(sk)->last_synq_overflow = net->now;
	if (!tcp_v4_send_synack_cookie(sk, skb, isn, &opt))
		__NET_INC_STATS(net, SyncookiesSent);
}

/*
 * A segment for a listener (tcp_conn_request): a SYN makes a child unless
 * a queue is full; past a full SYN queue a SYN cookie answers
 * (tcp_syncookies); an ACK may carry a cookie back, else it gets a RST.
 */
int tcp_rcv_listen(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(skb);
	bool want_cookie = false;
	int syncookies;

	if (th->rst) {
		kfree_skb(skb);
		return 0;
	}
	/*
	 * tcp_conn_request and cookie_v4_check read tcp_syncookies at each
	 * segment, what the SYN-ACK takes (timestamps, SACK, window scaling,
	 * ECN) for the options the segment carries, and what the child takes
	 * (tcp_max_syn_backlog first) where one may be made.
	 */
	tcp_sysctl_refresh(&net->sysctl,
			   TCP_SYSCTL_LISTEN | TCP_SYSCTL_BATCHED |
				   (th->doff > 5 || (th->ece && th->cwr) ? TCP_SYSCTL_SYNOPT : 0));
	syncookies = net->sysctl.tcp_syncookies;
	if (th->ack) {
		struct sock *child = sk;

		if (!th->syn && syncookies) {
			tcp_sysctl_refresh(&net->sysctl, TCP_SYSCTL_CHILD | TCP_SYSCTL_BATCHED);
			child = cookie_v4_check(sk, skb);
		}

		if (child == sk)
			return 1;
		if (!child) {
			kfree_skb(skb);
			return 0;
		}
		inet_csk_reqsk_queue_add(child);
		tcp_synrecv_established(child);
		sk->sk_data_ready(sk); /* tcp_child_process: the child left SYN_RECV */
		if (tcp_rcv_state_process(child, skb)) {
			kfree_skb(skb); /* nothing a new connection must answer with a RST */
		}
		return 0;
	}
	if (!th->syn || th->fin) {
		kfree_skb(skb);
		return 0;
	}
	/* A SYN that ended a TIME_WAIT has its ISN already: no cookie for it. */
	if ((syncookies == 2 || tp->syn_qlen > sk->sk_max_ack_backlog) &&
	    !TCP_SKB_CB(skb)->tw_isn) {
		if (!syncookies) {
			__NET_INC_STATS(net, TCPReqQFullDrop);
			__NET_INC_STATS(net, ListenDrops);
			kfree_skb(skb);
			return 0;
		}
		want_cookie = true;
		__NET_INC_STATS(net, TCPReqQFullDoCookies);
	}
	if (sk->sk_ack_backlog > sk->sk_max_ack_backlog) {
		__NET_INC_STATS(net, ListenOverflows);
		__NET_INC_STATS(net, ListenDrops);
		kfree_skb(skb);
		return 0;
	}
	if (want_cookie) {
		tcp_send_syn_cookie(sk, skb);
		kfree_skb(skb);
		return 0;
	}
	tcp_sysctl_refresh(&net->sysctl, TCP_SYSCTL_CHILD | TCP_SYSCTL_BATCHED);
	/* Without cookies, the last quarter of tcp_max_syn_backlog stays free. */
	if (!syncookies && net->sysctl.tcp_max_syn_backlog - (int)tp->syn_qlen <
				   net->sysctl.tcp_max_syn_backlog >> 2) {
		__NET_INC_STATS(net, ListenDrops);
		kfree_skb(skb);
		return 0;
	}
	if (!tcp_try_fastopen(sk, skb))
		__NET_INC_STATS(net, ListenDrops);
	kfree_skb(skb);
	return 0;
}

/*
 * PAWS in TIME_WAIT (tcp_paws_reject): a RST is spared once TS.Recent is
 * older than TCP_PAWS_MSL, since the peer may have rebooted.
 */
static bool tcp_paws_reject(const struct tcp_sock *tp, bool rst)
{
	if (tcp_paws_check(tp, 0))
		return false;
	return !(rst && sock_net(&tp->inet.sk)->now / NSEC_PER_SEC >=
				tp->rx_opt.ts_recent_stamp + TCP_PAWS_MSL);
}

/*
 * TIME_WAIT (tcp_timewait_state_process, tcp_rfc1337 off as Linux): a bare
 * ACK or RST exactly at rcv_nxt is taken (the RST ends it); a new SYN
 * (higher sequence, or newer timestamp) starts a new incarnation whose ISN
 * lies past ours; anything else is acknowledged (pure ACKs at most one per
 * tcp_invalid_ratelimit) and restarts the 60 s, and an out-of-window RST is
 * ignored.
 */
enum tcp_tw_status tcp_timewait_state_process(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(skb);
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	bool paws_reject = false;

	tcp_parse_options(net, th, &tp->rx_opt, true, NULL);
	if (tp->rx_opt.saw_tstamp)
		paws_reject = tcp_paws_reject(tp, th->rst);
	if (!paws_reject && cb->seq == tp->rcv_nxt && (cb->seq == cb->end_seq || th->rst)) {
		kfree_skb(skb);
		if (th->rst)
			tcp_done(sk);
		return TCP_TW_SUCCESS;
	}
	if (th->syn && !th->rst && !th->ack && !paws_reject &&
	    (after(cb->seq, tp->rcv_nxt) ||
	     (tp->rx_opt.saw_tstamp &&
	      (int32_t)(tp->rx_opt.ts_recent - tp->rx_opt.rcv_tsval) < 0))) {
		cb->tw_isn = tp->snd_nxt + 65535 + 2;
		if (!cb->tw_isn)
			cb->tw_isn++;
		tcp_done(sk);
		return TCP_TW_SYN;
	}
	if (paws_reject)
		__NET_INC_STATS(net, PAWSTimewait);
	if (!th->rst) {
		if (paws_reject || th->ack)
			tcp_reset_keepalive_timer(sk, TCP_TIMEWAIT_LEN);
		if (cb->seq != cb->end_seq || th->syn ||
		    !tcp_oow_too_soon(net, tp->last_oow_ack_time)) {
			if (cb->seq == cb->end_seq && !th->syn)
				tp->last_oow_ack_time = net->now;
			tcp_send_ack(sk);
		} else {
			__NET_INC_STATS(net, TCPACKSkippedTimeWait);
		}
	}
	kfree_skb(skb);
	return TCP_TW_SUCCESS;
}
