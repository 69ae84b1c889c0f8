// SPDX-License-Identifier: MIT
/*
 * TCP timers (net/ipv4/tcp_timer.c), on the stack clock (net->timers):
 *   retransmit_timer  RTO (RFC 6298, exponential back-off within the
 *                     socket's TCP_RTO_MAX_MS, linear for thin streams and
 *                     tcp_syn_linear_timeouts' first SYNs) or the
 *                     zero-window probe (persist) timer
 *   delack_timer      the delayed ACK
 *   keepalive_timer   keepalive probes, the orphaned FIN_WAIT2 timeout
 *                     (tcp_fin_timeout) and the end of TIME_WAIT
 *   compressed_ack_timer  an ACK held back by SACK compression
 *   pacing_timer      the next paced departure (internal pacing, tcp_output.c)
 *
 * The retransmit timer also carries RACK's reordering timer
 * (ICSK_TIME_REO_TIMEOUT, tcp_recovery.c) and the tail loss probe
 * (ICSK_TIME_LOSS_PROBE, tcp_output.c), as the kernel's icsk_retransmit_timer.
 *
 * When to give up is the kernel's time model (tcp_write_timeout): an
 * established connection ends when its retransmissions have lasted what
 * tcp_retries2 (tcp_orphan_retries once orphaned) back-offs from
 * TCP_RTO_MIN would take, or TCP_USER_TIMEOUT if set, counted from the
 * first RTO retransmission (retrans_stamp); a SYN after TCP_SYNCNT (or
 * tcp_syn_retries) plus tcp_syn_linear_timeouts retransmissions, or when
 * the same model from TCP_TIMEOUT_INIT has run out since the first SYN;
 * a SYN-ACK after a count (reqsk_timer_handler). The timer never sleeps
 * past the user timeout (tcp_clamp_rto_to_user_timeout).
 *
 * An orphan also ends when there are more than tcp_max_orphans, or when
 * it holds more than the least send buffer while TCP's pool is past
 * tcp_mem[2] (tcp_out_of_resources, tcp_check_oom).
 */
#include <errno.h>

#include "net_namespace.h"
#include "tcp.h"

uint64_t keepalive_time_when(const struct tcp_sock *tp)
{
	const struct net *net = sock_net(&tp->inet.sk);
	int s = tp->keepalive_time ? tp->keepalive_time : net->sysctl.tcp_keepalive_time;

	return (uint64_t)s * NSEC_PER_SEC;
}

uint64_t keepalive_intvl_when(const struct tcp_sock *tp)
{
	const struct net *net = sock_net(&tp->inet.sk);
	int s = tp->keepalive_intvl ? tp->keepalive_intvl : net->sysctl.tcp_keepalive_intvl;

	return (uint64_t)s * NSEC_PER_SEC;
}

int keepalive_probes(const struct tcp_sock *tp)
{
	const struct net *net = sock_net(&tp->inet.sk);

	return tp->keepalive_probes ? tp->keepalive_probes : net->sysctl.tcp_keepalive_probes;
}

void tcp_reset_xmit_timer(struct sock *sk, int what, uint64_t when)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);

	if (when > tp->rto_max)
		when = tp->rto_max;
	tp->pending_timer = (uint8_t)what;
	mod_timer(&net->timers, &tp->retransmit_timer, net->now + when);
}

/*
 * Restarts the RTO after progress, or stops it when nothing is in flight
 * (tcp_rearm_rto). Taking over from RACK's timer or a loss probe, the RTO
 * still counts from the head's last transmission (tcp_rto_delta_us).
 */
void tcp_rearm_rto(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint64_t rto = tp->rto;

	if (!tp->packets_out) {
		if (tp->pending_timer == ICSK_TIME_RETRANS ||
		    tp->pending_timer == ICSK_TIME_REO_TIMEOUT ||
		    tp->pending_timer == ICSK_TIME_LOSS_PROBE) {
			del_timer(&sock_net(sk)->timers, &tp->retransmit_timer);
			tp->pending_timer = 0;
		}
		return;
	}
	if (tp->pending_timer == ICSK_TIME_REO_TIMEOUT ||
	    tp->pending_timer == ICSK_TIME_LOSS_PROBE) {
		uint64_t delta = tcp_rto_delta(sk);

		rto = delta ? delta : 1;
	}
	tcp_reset_xmit_timer(sk, ICSK_TIME_RETRANS, rto);
}

/*
 * The RTO as the kernel keeps it (tcp_set_rto): in jiffies, the
 * microseconds rounded up (usecs_to_jiffies), so a timeout fires on the
 * tick the kernel's would.
 */
uint64_t tcp_rto_jiffies(uint64_t ns)
{
	const uint64_t tick_us = NSEC_PER_SEC / NSEC_PER_USEC / TCP_HZ;

	return (ns / NSEC_PER_USEC + tick_us - 1) / tick_us * tick_us * NSEC_PER_USEC;
}

/*
 * The RTO's bounds and the delayed ACK's ceiling a new socket starts with
 * (tcp_init_sock): the namespace's tcp_rto_min_us and tcp_rto_max_ms, in
 * whole jiffies as the kernel keeps them.
 */
void tcp_init_rto_bounds(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct netns_sysctl *s = &sock_net(sk)->sysctl;

	tp->rto_min = tcp_rto_jiffies((uint64_t)(uint32_t)s->tcp_rto_min_us * NSEC_PER_USEC);
	tp->rto_max = tcp_rto_jiffies((uint64_t)(uint32_t)s->tcp_rto_max_ms * NSEC_PER_MSEC);
	tp->delack_max = TCP_DELACK_MAX;
}

/*
 * The longest a delayed ACK waits (tcp_delack_max): TCP_DELACK_MAX_US, and
 * a jiffy less than the RTO's floor, so that the peer's RTO never fires
 * for an ACK held back.
 */
uint64_t tcp_delack_max(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	uint64_t from_rto_min = tp->rto_min > 2 * TCP_JIFFY ? tp->rto_min : 2 * TCP_JIFFY;

	from_rto_min -= TCP_JIFFY;
	return tp->delack_max < from_rto_min ? tp->delack_max : from_rto_min;
}

/*
 * How long boundary retransmissions take when the first waits rto_base
 * and each doubles up to the socket's TCP_RTO_MAX_MS, then stays there
 * (tcp_model_timeout).
 */
uint64_t tcp_model_timeout(const struct sock *sk, unsigned int boundary, uint64_t rto_base)
{
	uint64_t rto_max = tcp_sk(sk)->rto_max;
	unsigned int thresh = 0;

	while ((rto_max / rto_base) >> (thresh + 1))
		thresh++; /* ilog2(rto_max / rto_base) */
	if (boundary <= thresh)
		return ((2ull << boundary) - 1) * rto_base;
	return ((2ull << thresh) - 1) * rto_base + (boundary - thresh) * rto_max;
}

/*
 * Whether the retransmissions since retrans_stamp have outlasted timeout,
 * or if it is 0 boundary's modelled time (retransmits_timed_out): from
 * TCP_TIMEOUT_INIT for a handshake, else from TCP_RTO_MIN, whatever the
 * socket's own RTO.
 */
bool retransmits_timed_out(const struct sock *sk, unsigned int boundary, uint64_t timeout)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->retransmits)
		return false;
	if (!timeout)
		timeout = tcp_model_timeout(
			sk, boundary,
			(1 << sk->sk_state) & ((1 << TCP_SYN_SENT) | (1 << TCP_SYN_RECV))
				? TCP_TIMEOUT_INIT
				: TCP_RTO_MIN);
	return sock_net(sk)->now - tp->retrans_stamp >= timeout;
}

/* What is left of the RTO since the head last went (tcp_rto_delta_us); 0 if overdue. */
uint64_t tcp_rto_delta(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	const struct sk_buff *head = skb_peek(&sk->sk_write_queue);
	uint64_t now = sock_net(sk)->now, elapsed;

	if (!head || head == tp->send_head)
		return tp->rto;
	elapsed = now - TCP_SKB_CB(head)->when;
	return elapsed < tp->rto ? tp->rto - elapsed : 0;
}

void tcp_reset_keepalive_timer(struct sock *sk, uint64_t len)
{
	struct net *net = sock_net(sk);

	mod_timer(&net->timers, &tcp_sk(sk)->keepalive_timer, net->now + len);
}

/* SO_KEEPALIVE changed (proto->keepalive): start or stop the idle clock. */
void tcp_set_keepalive(struct sock *sk, int val)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_LISTEN)
		return;
	if (val && !sock_flag(sk, SOCK_KEEPOPEN))
		tcp_reset_keepalive_timer(sk, keepalive_time_when(tp));
	else if (!val)
		del_timer(&sock_net(sk)->timers, &tp->keepalive_timer);
}

/* The connection is dead: report sk_err_soft or ETIMEDOUT (tcp_write_err). */
static void tcp_write_err(struct sock *sk)
{
	sk->sk_err = sk->sk_err_soft ? sk->sk_err_soft : ETIMEDOUT;
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_error_report(sk);
	__NET_INC_STATS(sock_net(sk), TCPAbortOnTimeout);
	tcp_done(sk);
}

/*
 * Retries left to an orphan (tcp_orphan_retries): tcp_orphan_retries, none
 * once an ICMP error says the path is gone, and 8 (over 100 s from
 * TCP_RTO_MIN) when 0 and the RTO is not yet at its ceiling.
 */
static int tcp_orphan_retries(const struct sock *sk, bool alive)
{
	int retries = sock_net(sk)->sysctl.tcp_orphan_retries;

	if (sk->sk_err_soft && !alive)
		retries = 0;
	if (retries == 0 && alive)
		retries = 8;
	return retries;
}

/* An orphan: closed by its owner, not a child waiting for accept(). */
static bool tcp_orphaned(const struct sock *sk)
{
	return sock_flag(sk, SOCK_DEAD) && !tcp_sk(sk)->parent;
}

/*
 * The kernel counts a socket from its close() until it is destroyed or
 * replaced by a timewait sock (__tcp_close, inet_csk_destroy_sock,
 * tcp_time_wait); so does the stack, whose TIME_WAIT is a full socket.
 */
void tcp_orphan_count_inc(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->orphan_counted)
		return;
	tp->orphan_counted = 1;
	sock_net(sk)->tcp_orphan_count++;
}

void tcp_orphan_count_dec(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->orphan_counted)
		return;
	tp->orphan_counted = 0;
	sock_net(sk)->tcp_orphan_count--;
}

/*
 * tcp_too_many_orphans: the orphans, doubled per shift, beyond
 * tcp_max_orphans; or tcp_out_of_memory: more than the least send buffer
 * queued while the pool is past tcp_mem[2] (both read now, as the kernel
 * reads them). The kernel compares an orphan count cached every 100 ms;
 * the stack's own count is exact. Each says why in the kernel's line.
 */
static bool tcp_check_oom(struct sock *sk, int shift)
{
	struct net *net = sock_net(sk);
	bool too_many_orphans, out_of_memory;

	tcp_sysctl_refresh(&net->sysctl, TCP_SYSCTL_ORPHAN);
	too_many_orphans = ((uint64_t)net->tcp_orphan_count << shift) >
			   (uint64_t)(uint32_t)net->sysctl.tcp_max_orphans;
	out_of_memory = tcp_out_of_memory(sk);
	if (too_many_orphans)
		net_info_ratelimited(net, "too many orphaned sockets");
	if (out_of_memory)
		net_info_ratelimited(net, "out of memory -- consider tuning tcp_mem");
	return too_many_orphans || out_of_memory;
}

/*
 * An orphan's timeout when resources run short (tcp_out_of_resources):
 * one that sent nothing for two RTO ceilings, or one not to be reset, or
 * one an ICMP error made dubious counts double; beyond the limit it ends,
 * with a RST if it sent within TIME_WAIT's length or the window is closed
 * with nothing in flight (TCPAbortOnMemory).
 */
static bool tcp_out_of_resources(struct sock *sk, bool do_reset)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint64_t now = sock_net(sk)->now;
	int shift = 0;

	if (now - tp->lsndtime > 2 * tp->rto_max || !do_reset)
		shift++;
	if (sk->sk_err_soft)
		shift++;
	if (!tcp_check_oom(sk, shift))
		return false;
	if (now - tp->lsndtime <= TCP_TIMEWAIT_LEN || (!tp->snd_wnd && !tp->packets_out))
		do_reset = true;
	if (do_reset)
		tcp_send_active_reset(sk);
	__NET_INC_STATS(sock_net(sk), TCPAbortOnMemory);
	tcp_done(sk); /* frees the orphan */
	return true;
}

/*
 * __tcp_close's last check, the socket counted: too many orphans end it
 * with a RST at once (TCPAbortOnMemory).
 */
bool tcp_close_out_of_resources(struct sock *sk)
{
	if (!tcp_check_oom(sk, 0))
		return false;
	tcp_send_active_reset(sk);
	__NET_INC_STATS(sock_net(sk), TCPAbortOnMemory);
	tcp_done(sk);
	return true;
}

/*
 * How long an orphan stays in FIN_WAIT2 (tcp_fin_time): TCP_LINGER2, else
 * tcp_fin_timeout as the namespace has it now; never less than three and
 * a half RTOs.
 */
uint64_t tcp_fin_time(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	struct netns_sysctl *s = &sock_net(sk)->sysctl;
	uint64_t fin_timeout, floor = (tp->rto << 2) - (tp->rto >> 1);

	tcp_sysctl_refresh(s, TCP_SYSCTL_FIN);
	fin_timeout = (uint64_t)(tp->linger2 ? tp->linger2 : s->tcp_fin_timeout) * NSEC_PER_SEC;
	return fin_timeout < floor ? floor : fin_timeout;
}

/*
 * The SYN-ACK's retry limit (reqsk_timer_handler): the listener's
 * TCP_SYNCNT or tcp_synack_retries; while its SYN queue is over half the
 * backlog (at least 8), halved young requests lower it, down to 2, so old
 * requests that clog the queue give way to young ones.
 */
static int syn_ack_retries(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk), *parent = tp->parent;
	int max = tp->syn_retries ? tp->syn_retries : sock_net(sk)->sysctl.tcp_synack_retries;
	unsigned int qlen, backlog, young;

	if (!parent || tp->fastopen_child)
		return max;
	qlen = parent->syn_qlen;
	backlog = parent->inet.sk.sk_max_ack_backlog;
	if ((qlen << 1) <= (backlog > 8 ? backlog : 8))
		return max;
	for (young = parent->syn_young << 1; max > 2 && qlen >= young; young <<= 1)
		max--;
	return max;
}

/* Returns true when the retry limit is reached and the connection was ended. */
static bool tcp_write_timeout(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	bool expired;
	int retry_until;

	if (sk->sk_state == TCP_SYN_RECV || tcp_fastopen_rsk(sk)) {
		/*
		 * reqsk_timer_handler, syn_ack_recalc: a count (one more for a
		 * Fast Open child without TCP_SYNCNT, tcp_fastopen_synack_timer,
		 * which keeps it in FIN_WAIT1 too); a deferred child whose bare
		 * ACK came lives out its deferral.
		 */
		retry_until = syn_ack_retries(sk) + (!tp->syn_retries && tp->fastopen_passive);
		expired = tp->retransmits >= retry_until &&
			  !(tp->defer_acked && tp->parent &&
			    tp->retransmits < tp->parent->defer_accept);
	} else if (sk->sk_state == TCP_SYN_SENT) {
		retry_until = tp->syn_retries ? tp->syn_retries : net->sysctl.tcp_syn_retries;
		expired = tp->retransmits >= retry_until + net->sysctl.tcp_syn_linear_timeouts ||
			  retransmits_timed_out(sk, (unsigned int)retry_until,
						(uint64_t)tp->user_timeout * NSEC_PER_MSEC);
	} else {
		tcp_mtu_probing(sk); /* black-hole detection after tcp_retries1 */
		retry_until = net->sysctl.tcp_retries2;
		if (tcp_orphaned(sk)) {
			bool alive = tp->rto < tp->rto_max;

			retry_until = tcp_orphan_retries(sk, alive);
			if (tcp_out_of_resources(
				    sk, alive || !retransmits_timed_out(
							 sk, (unsigned int)retry_until, 0)))
				return true;
		}
		expired = retransmits_timed_out(sk, (unsigned int)retry_until,
						(uint64_t)tp->user_timeout * NSEC_PER_MSEC);
	}
	if (!expired)
		return false;
	tcp_write_err(sk);
	return true;
}

/* The RTO, or what is left of TCP_USER_TIMEOUT if less (tcp_clamp_rto_to_user_timeout). */
static uint64_t tcp_clamp_rto_to_user_timeout(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	uint64_t elapsed = sock_net(sk)->now - tp->retrans_stamp;
	uint64_t user_timeout = (uint64_t)tp->user_timeout * NSEC_PER_MSEC;

	if (!user_timeout)
		return tp->rto;
	if (elapsed >= user_timeout)
		return TCP_JIFFY; /* passed: fire at once */
	return tp->rto < tcp_rto_jiffies(user_timeout - elapsed)
		       ? tp->rto
		       : tcp_rto_jiffies(user_timeout - elapsed);
}

/* A stream of fewer than four segments out, past its initial slow start (tcp_stream_is_thin). */
static bool tcp_stream_is_thin(const struct tcp_sock *tp)
{
	return tp->packets_out < 4 && tp->cong.snd_ssthresh < TCP_INFINITE_SSTHRESH;
}

/*
 * The next timeout after an RTO: the first TCP_THIN_LINEAR_RETRIES of a
 * thin stream (TCP_THIN_LINEAR_TIMEOUTS or tcp_thin_linear_timeouts) wait
 * the RTO computed afresh, tcp_syn_linear_timeouts' first SYN timeouts
 * the same RTO again; any other doubles, up to TCP_RTO_MAX_MS.
 */
static void tcp_backoff_rto(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct netns_sysctl *s = &sock_net(sk)->sysctl;

	if (tp->backoff < 31)
		tp->backoff++;
	if (sk->sk_state == TCP_ESTABLISHED && (tp->thin_lto || s->tcp_thin_linear_timeouts) &&
	    tcp_stream_is_thin(tp) && tp->retransmits <= TCP_THIN_LINEAR_RETRIES) {
		tp->backoff = 0;
		tp->rto = tcp_rto_jiffies(tp->srtt + tp->rttvar); /* __tcp_set_rto */
		if (tp->rto < tp->rto_min)
			tp->rto = tp->rto_min;
	} else if (sk->sk_state != TCP_SYN_SENT || tp->backoff > s->tcp_syn_linear_timeouts) {
		tp->rto *= 2;
	}
	if (tp->rto > tp->rto_max)
		tp->rto = tp->rto_max;
}

/*
 * What a timeout presumes lost (tcp_timeout_mark_lost): everything in
 * flight but what is SACKed and what was sent within the last RACK RTT
 * (its ACK may still come; the head goes in any case). A SACKed head means
 * the peer reneged: its SACKs no longer count. Without SACK nothing is
 * known to have arrived.
 */
static void tcp_timeout_mark_lost(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *head = skb_peek(&sk->sk_write_queue), *skb;
	bool reneged = head && (TCP_SKB_CB(head)->sacked & TCPCB_SACKED_ACKED);

	if (!tp->rx_opt.sack_ok || reneged)
		tp->sacked_out = 0;
	skb_queue_walk (&sk->sk_write_queue, skb) {
		if (skb == tp->send_head)
			break;
		if (reneged)
			TCP_SKB_CB(skb)->sacked &= (uint8_t)~TCPCB_SACKED_ACKED;
		else if (skb != head && tcp_rack_skb_timeout(tp, skb, 0) > 0)
			continue;
		tcp_mark_skb_lost(sk, skb);
	}
	tp->retransmit_hint = NULL;
}

/*
 * A timeout counts (icsk_retransmits); a request's first one makes it no
 * longer young (reqsk_timer_handler's num_timeout).
 */
static void tcp_count_timeout(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->retransmits && tcp_child_is_request(sk))
		tp->parent->syn_young--;
	tp->retransmits++;
}

/*
 * The first timeout of an episode tells what it interrupted
 * (tcp_retransmit_timer): a fast recovery that failed, a second timeout,
 * or duplicate ACKs or SACKs that did not reach DupThresh; with SACK or
 * without.
 */
static void tcp_count_failed_recovery(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	bool sack = tp->rx_opt.sack_ok;

	if (tp->cong.ca_state == TCP_CA_Recovery) {
		if (sack)
			__NET_INC_STATS(net, TCPSackRecoveryFail);
		else
			__NET_INC_STATS(net, TCPRenoRecoveryFail);
	} else if (tp->cong.ca_state == TCP_CA_Loss) {
		__NET_INC_STATS(net, TCPLossFailures);
	} else if (tp->cong.ca_state == TCP_CA_Disorder || tp->sacked_out) {
		if (sack)
			__NET_INC_STATS(net, TCPSackFailures);
		else
			__NET_INC_STATS(net, TCPRenoFailures);
	}
}

/*
 * tcp_enter_loss: what is in flight is presumed lost
 * (tcp_timeout_mark_lost) and the window collapses to what is still in
 * flight plus one segment (RFC 5681 3.1 once nothing is).
 */
static void tcp_enter_loss(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);

	/*
	 * F-RTO step 1 (RFC 5682 3.1, 3.2): test whether this timeout is
	 * spurious unless it interrupts a recovery; a timeout repeating on the
	 * same snd_una is tested again.
	 */
	tp->cong.frto =
		net->sysctl.tcp_frto && (tp->cong.ca_state < TCP_CA_Recovery || tp->retransmits);
	tcp_timeout_mark_lost(sk);
	/*
	 * The congestion control's ssthresh once per window, as the kernel:
	 * not again for a timeout inside a recovery (or ECN reduction) whose
	 * window is not yet acknowledged, which keeps its ssthresh and undo
	 * state; again for a timeout after the Loss state's ACKs moved snd_una
	 * (retransmits back to 0). The congestion control hears of every
	 * timeout (set_state).
	 */
	if (tp->cong.ca_state <= TCP_CA_Disorder || !after(tp->cong.high_seq, tp->snd_una) ||
	    (tp->cong.ca_state == TCP_CA_Loss && !tp->retransmits)) {
		tp->cong.prior_ssthresh = tcp_current_ssthresh(tp);
		tcp_init_undo(sk);
		tp->cong.prior_cwnd = tp->cong.snd_cwnd;
		tp->cong.snd_ssthresh = tcp_ca_ssthresh(sk);
		tcp_ca_event(sk, CA_EVENT_LOSS);
	}
	/*
	 * A timeout before recovery with that many segments SACKed: the
	 * reordering the connection allowed for was too much.
	 */
	if (tp->cong.ca_state <= TCP_CA_Disorder &&
	    tp->sacked_out >= (uint32_t)net->sysctl.tcp_reordering &&
	    tp->reordering > (uint32_t)net->sysctl.tcp_reordering)
		tp->reordering = (uint32_t)net->sysctl.tcp_reordering;
	tcp_set_ca_state(sk, TCP_CA_Loss);
	tp->cong.high_seq = tp->snd_nxt;
	tcp_ecn_queue_cwr(tp);
	/* What was spared is still in flight: room for the head's resend on top. */
	tp->cong.snd_cwnd = tcp_packets_in_flight(tp) + 1;
	tp->cong.snd_cwnd_cnt = 0;
	tp->dup_acks = 0;
}

/*
 * Whether probing a zero window with the data in flight has gone on too
 * long (tcp_rtx_probe0_timed_out): not while the peer answered within two
 * RTO ceilings (or TCP_USER_TIMEOUT if less), and never past
 * TCP_USER_TIMEOUT of retransmitting; rtx_delta is how long that has been.
 */
static bool tcp_rtx_probe0_timed_out(const struct sock *sk, uint64_t rtx_delta)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	uint64_t user_timeout = (uint64_t)tp->user_timeout * NSEC_PER_MSEC;
	uint64_t timeout = 2 * tp->rto_max;

	if (user_timeout) {
		if (rtx_delta > user_timeout)
			return true;
		if (tcp_rto_jiffies(user_timeout) < timeout)
			timeout = tcp_rto_jiffies(user_timeout);
	}
	if (sock_net(sk)->now - tp->rcv_tstamp <= timeout)
		return false;
	return rtx_delta > timeout;
}

/*
 * RTO expiry (tcp_retransmit_timer): the loss state (tcp_enter_loss) and
 * the head goes again; the timeout doubles (RFC 6298 5.5). While the peer
 * keeps its window at zero, the retransmissions are its zero-window probes:
 * no retry limit, only tcp_rtx_probe0_timed_out's, and the timeout not
 * counted (an orphan is not spared).
 */
static void tcp_retransmit_timer(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	struct sk_buff *head = skb_peek(&sk->sk_write_queue);

	if (!tp->packets_out || !head)
		return;
	tcp_sysctl_refresh(&net->sysctl, TCP_SYSCTL_RTO | TCP_SYSCTL_BATCHED);
	tp->tlp_high_seq = 0;
	if (!tp->snd_wnd && !sock_flag(sk, SOCK_DEAD) &&
	    !((1 << sk->sk_state) & ((1 << TCP_SYN_SENT) | (1 << TCP_SYN_RECV)))) {
		uint64_t since = tp->retrans_stamp ? tp->retrans_stamp : TCP_SKB_CB(head)->when;

		if (tcp_rtx_probe0_timed_out(sk, net->now - since)) {
			tcp_write_err(sk);
			return;
		}
		tcp_enter_loss(sk);
		tcp_retransmit_skb(sk, head);
		tcp_backoff_rto(sk);
		tcp_reset_xmit_timer(sk, ICSK_TIME_RETRANS, tcp_clamp_rto_to_user_timeout(sk));
		return;
	}
	if (tcp_write_timeout(sk))
		return;
	/*
	 * syn_ack_recalc: while TCP_DEFER_ACCEPT holds a child whose bare ACK
	 * came, the SYN-ACK is not repeated but for the deferral's last round,
	 * which gives the peer's ACK (or data) one more chance.
	 */
	if (sk->sk_state == TCP_SYN_RECV && tp->defer_acked && tp->parent &&
	    tp->retransmits + 1 < tp->parent->defer_accept) {
		tcp_count_timeout(sk);
		tcp_backoff_rto(sk);
		tcp_reset_xmit_timer(sk, ICSK_TIME_RETRANS, tp->rto);
		return;
	}
	__NET_INC_STATS(net, TCPTimeouts);
	if (!tp->retransmits)
		tcp_count_failed_recovery(sk);
	tcp_enter_loss(sk);
	/*
	 * The head goes again, as the kernel's tcp_retransmit_skb of the rtx
	 * queue's head: also when it is a loss probe's resend, which the
	 * marking leaves counted as retransmitted (and recovery would skip).
	 */
	/* tcp_update_rto_stats: an episode starts with its first RTO. */
	if (!tp->retransmits) {
		tp->total_rto_recoveries++;
		tp->rto_stamp = net->now;
	}
	tcp_count_timeout(sk);
	tp->total_rto++;
	tcp_retransmit_skb(sk, head);
	tcp_backoff_rto(sk);
	tcp_reset_xmit_timer(sk, ICSK_TIME_RETRANS, tcp_clamp_rto_to_user_timeout(sk));
}

/* Persist timer: the peer's window stays closed while data waits. */
static void tcp_probe_timer(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int max_probes;

	if (tp->packets_out || !tp->send_head) {
		tp->probes_out = 0;
		tp->probes_tstamp = 0;
		return;
	}
	/*
	 * RFC 1122 4.2.2.17: probing goes on while the peer answers (each
	 * ACK clears probes_out), but not past TCP_USER_TIMEOUT since the
	 * first probe timer of the stall.
	 */
	if (!tp->probes_tstamp) {
		tp->probes_tstamp = sock_net(sk)->now;
	} else if (tp->user_timeout &&
		   sock_net(sk)->now - tp->probes_tstamp >=
			   tcp_rto_jiffies((uint64_t)tp->user_timeout * NSEC_PER_MSEC)) {
		tcp_write_err(sk);
		return;
	}
	tcp_sysctl_refresh(&sock_net(sk)->sysctl, TCP_SYSCTL_RTO | TCP_SYSCTL_BATCHED);
	max_probes = sock_net(sk)->sysctl.tcp_retries2;
	if (tcp_orphaned(sk)) {
		/* An orphan whose probes back off to the ceiling gives up after its retries. */
		bool alive = (tp->rto << tp->backoff) < tp->rto_max;

		max_probes = tcp_orphan_retries(sk, alive);
		if (!alive && tp->backoff >= max_probes) {
			tcp_write_err(sk);
			return;
		}
		if (tcp_out_of_resources(sk, true))
			return;
	}
	if (tp->probes_out >= max_probes) {
		tcp_write_err(sk);
		return;
	}
	tcp_send_probe0(sk);
}

static void tcp_write_timer(struct timer_list *t)
{
	struct tcp_sock *tp = from_timer(tp, t, retransmit_timer);
	struct sock *sk = &tp->inet.sk;
	int what = tp->pending_timer;

	if (sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_LISTEN)
		return;
	/*
	 * As tcp_write_timer_handler: the reordering timer and the loss probe
	 * stay the pending event while they run, so an RTO they re-arm still
	 * counts from the head's last send (tcp_rearm_rto).
	 */
	switch (what) {
	case ICSK_TIME_REO_TIMEOUT:
		tcp_rack_reo_timeout(sk);
		break;
	case ICSK_TIME_LOSS_PROBE:
		tcp_send_loss_probe(sk);
		break;
	case ICSK_TIME_RETRANS:
		tp->pending_timer = 0;
		tcp_retransmit_timer(sk);
		break;
	case ICSK_TIME_PROBE0:
		tp->pending_timer = 0;
		tcp_probe_timer(sk);
		break;
	default:
		tp->pending_timer = 0;
	}
}

static void tcp_delack_timer(struct timer_list *t)
{
	struct tcp_sock *tp = from_timer(tp, t, delack_timer);
	struct sock *sk = &tp->inet.sk;

	if (sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_LISTEN)
		return;
	if (!(tp->ack.pending & ICSK_ACK_TIMER))
		return;
	tp->ack.pending &= (uint8_t)~ICSK_ACK_TIMER;
	if (!(tp->ack.pending & ICSK_ACK_SCHED))
		return;
	/*
	 * The ACK waited its whole ATO (tcp_delack_timer_handler). Interactive:
	 * the owner sent no data to carry it, so not so interactive after all,
	 * back to the floor. Otherwise the peer's segments come further apart
	 * than the ATO: double it, up to the RTO.
	 */
	if (tp->ack.pingpong) {
		tp->ack.pingpong = false;
		tp->ack.ato = TCP_ATO_MIN;
	} else {
		tp->ack.ato = tp->ack.ato * 2 < tp->rto ? tp->ack.ato * 2 : tp->rto;
	}
	tcp_send_ack(sk);
	__NET_INC_STATS(sock_net(sk), DelayedACKs);
}

static void tcp_keepalive_timer(struct timer_list *t)
{
	struct tcp_sock *tp = from_timer(tp, t, keepalive_timer);
	struct sock *sk = &tp->inet.sk;
	struct net *net = sock_net(sk);
	uint64_t elapsed, when;

	if (sk->sk_state == TCP_TIME_WAIT) {
		__NET_INC_STATS(net, TW);
		tcp_done(sk);
		return;
	}
	if (sk->sk_state == TCP_FIN_WAIT2 && sock_flag(sk, SOCK_DEAD)) {
		tcp_done(sk);
		return;
	}
	if (!sock_flag(sk, SOCK_KEEPOPEN) ||
	    !((1 << sk->sk_state) & ((1 << TCP_ESTABLISHED) | (1 << TCP_CLOSE_WAIT) |
				     (1 << TCP_FIN_WAIT1) | (1 << TCP_FIN_WAIT2))))
		return;
	when = keepalive_time_when(tp);
	if (tp->packets_out || tp->send_head) {
		/* The RTO and probe timers watch a connection with data outstanding. */
		tcp_reset_keepalive_timer(sk, when);
		return;
	}
	elapsed =
		net->now - (tp->rcv_tstamp > tp->ack.lrcvtime ? tp->rcv_tstamp : tp->ack.lrcvtime);
	if (elapsed >= when) {
		if (tp->probes_out >= keepalive_probes(tp)) {
			tcp_send_active_reset(sk);
			tcp_write_err(sk);
			return;
		}
		tcp_write_wakeup(sk);
		tp->probes_out++;
		when = keepalive_intvl_when(tp);
	} else {
		when -= elapsed;
	}
	tcp_reset_keepalive_timer(sk, when);
}

/* The held-back ACK is due (tcp_compressed_ack_kick). */
static void tcp_compressed_ack_kick(struct timer_list *t)
{
	struct tcp_sock *tp = from_timer(tp, t, compressed_ack_timer);
	struct sock *sk = &tp->inet.sk;

	if (!tp->compressed_ack || sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_LISTEN)
		return;
	/* The ACK sent now is one of them: count the others as compressed. */
	tp->compressed_ack--;
	tcp_send_ack(sk);
}

void tcp_compressed_ack_arm(struct sock *sk, uint64_t delay)
{
	struct net *net = sock_net(sk);

	mod_timer(&net->timers, &tcp_sk(sk)->compressed_ack_timer, net->now + delay);
}

/*
 * The paced departure time came (tcp_pace_kick, tcp_tsq_write): what
 * waits for retransmission first, then new data.
 */
static void tcp_pace_kick(struct timer_list *t)
{
	struct tcp_sock *tp = from_timer(tp, t, pacing_timer);
	struct sock *sk = &tp->inet.sk;

	uint64_t late = sock_net(sk)->now - t->expires;

	if (sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_LISTEN)
		return;
	/* A late wakeup (the host's, not the path's) catches up: see tcp_output.c. */
	tp->pacing_late_ns = late < TCP_PACING_CATCHUP_MAX ? late : TCP_PACING_CATCHUP_MAX;
	if (tp->lost_out > tp->retrans_out && tp->cong.snd_cwnd > tcp_packets_in_flight(tp))
		tcp_xmit_retransmit_queue(sk);
	tcp_push_pending_frames(sk, tp->nonagle);
	tp->pacing_late_ns = 0;
}

void tcp_init_xmit_timers(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	timer_setup(&tp->retransmit_timer, tcp_write_timer);
	timer_setup(&tp->delack_timer, tcp_delack_timer);
	timer_setup(&tp->keepalive_timer, tcp_keepalive_timer);
	timer_setup(&tp->compressed_ack_timer, tcp_compressed_ack_kick);
	timer_setup(&tp->pacing_timer, tcp_pace_kick);
}

void tcp_clear_xmit_timers(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct timer_base *base = &sock_net(sk)->timers;

	del_timer(base, &tp->retransmit_timer);
	del_timer(base, &tp->delack_timer);
	del_timer(base, &tp->keepalive_timer);
	del_timer(base, &tp->compressed_ack_timer);
	del_timer(base, &tp->pacing_timer);
	tp->compressed_ack = 0;
	tp->pending_timer = 0;
	tp->ack.pending = 0;
}

/*
 * Enters TIME_WAIT (or the orphaned FIN_WAIT2 wait) for timeo: the
 * connection stays a full tcp_sock in the established hash, answering
 * retransmitted FINs, until the keepalive timer ends it.
 */
void tcp_time_wait(struct sock *sk, int state, uint64_t timeo)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct timer_base *base = &sock_net(sk)->timers;

	del_timer(base, &tp->retransmit_timer);
	del_timer(base, &tp->delack_timer);
	del_timer(base, &tp->compressed_ack_timer);
	del_timer(base, &tp->pacing_timer);
	tp->compressed_ack = 0;
	tp->pending_timer = 0;
	tp->ack.pending = 0;
	if (state == TCP_TIME_WAIT && sk->sk_state != TCP_TIME_WAIT)
		tp->tw_entry_stamp = sock_net(sk)->now;
	/* The kernel's timewait sock replaces the socket (tcp_time_wait), once. */
	if (!tp->timewait)
		tcp_update_metrics(sk);
	tp->timewait = 1;
	tcp_orphan_count_dec(sk);
	if (state != sk->sk_state)
		tcp_set_state(sk, state);
	tcp_reset_keepalive_timer(sk, timeo);
}
