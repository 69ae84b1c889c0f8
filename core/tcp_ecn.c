// SPDX-License-Identifier: MIT
/*
 * Explicit Congestion Notification for TCP (RFC 3168), as the kernel's
 * classic ECN (tcp_ecn_* in net/ipv4/tcp_input.c and tcp_output.c) under
 * net.ipv4.tcp_ecn: 1 asks for it in the SYN (ECE|CWR) and accepts it, 2
 * (the default) only accepts it when the peer asks, 0 neither.
 *
 * On an ECN connection new data leaves as ECT(0), while ACKs and
 * retransmissions are Not-ECT (tcp_ecn_send). A CE mark on received data
 * makes every segment echo ECE until a segment with CWR arrives; an ECE
 * from the peer reduces the window once per window of data (tcp_enter_cwr:
 * the CWR state, PRR down to the congestion control's ssthresh) and the
 * next new data segment carries CWR. A SYN retransmission drops ECE|CWR
 * (tcp_ecn_fallback's default).
 *
 * What this is not: AccECN (tcp_ecn 3 and up), ECN negotiation through SYN
 * cookies (a cookie SYN-ACK offers no ECN), the per-route ECN feature.
 */
#include "ip.h"
#include "net_namespace.h"
#include "tcp.h"

#define INET_ECN_NOT_ECT 0
#define INET_ECN_ECT_0	 2
#define INET_ECN_CE	 3
#define INET_ECN_MASK	 3

uint8_t tcp_ecn_send_syn(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->ecn_flags = 0;
	if (sock_net(sk)->sysctl.tcp_ecn != 1)
		return 0;
	tp->ecn_flags = TCP_ECN_OK; /* until the SYN-ACK says otherwise */
	return TCPHDR_ECE | TCPHDR_CWR;
}

void tcp_ecn_rcv_synack(struct sock *sk, const struct tcphdr *th)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if ((tp->ecn_flags & TCP_ECN_OK) && (!th->ece || th->cwr))
		tp->ecn_flags &= (uint8_t)~TCP_ECN_OK;
}

void tcp_ecn_create_request(struct sock *child, const struct sk_buff *syn)
{
	const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(syn);
	bool ect = (ip_hdr(syn)->tos & INET_ECN_MASK) != INET_ECN_NOT_ECT;

	/* An ECT SYN is not ECN-setup: some middlebox rewrote it (RFC 3168 6.1.1). */
	if (th->ece && th->cwr && sock_net(child)->sysctl.tcp_ecn && (!ect || th->res1))
		tcp_sk(child)->ecn_flags = TCP_ECN_OK;
}

void tcp_ecn_queue_cwr(struct tcp_sock *tp)
{
	if (tp->ecn_flags & TCP_ECN_OK)
		tp->ecn_flags |= TCP_ECN_QUEUE_CWR;
}

/* The peer reduced (tcp_ecn_accept_cwr): its window may be tiny, so data is ACKed now. */
void tcp_ecn_accept_cwr(struct sock *sk, const struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(skb);

	if (!(tp->ecn_flags & TCP_ECN_OK) || !th->cwr)
		return;
	tp->ecn_flags &= (uint8_t)~TCP_ECN_DEMAND_CWR;
	if (skb->len)
		tp->ack.pending |= ICSK_ACK_NOW;
}

/*
 * The ECN field of data the receive path takes, in order or not
 * (tcp_data_ecn_check). The first CE since the peer's last CWR asks for
 * quick ACKs, so that a sender with a tiny window hears of it soon:
 * tcp_enter_quickack_mode(sk, 2), i.e. two at most, one when the window
 * holds fewer than four segments, and no longer interactive. Not-ECT data
 * after ECT was seen is likely a retransmission: the same.
 */
void tcp_data_ecn_check(struct sock *sk, const struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!(tp->ecn_flags & TCP_ECN_OK))
		return;
	switch (ip_hdr(skb)->tos & INET_ECN_MASK) {
	case INET_ECN_NOT_ECT:
		if (tp->ecn_flags & TCP_ECN_SEEN)
			tcp_enter_quickack_mode(tp, 2);
		break;
	case INET_ECN_CE:
		if (!(tp->ecn_flags & TCP_ECN_DEMAND_CWR)) {
			tcp_enter_quickack_mode(tp, 2);
			tp->ecn_flags |= TCP_ECN_DEMAND_CWR;
		}
		tp->ecn_flags |= TCP_ECN_SEEN;
		break;
	default:
		tp->ecn_flags |= TCP_ECN_SEEN;
		break;
	}
}

/*
 * tcp_enter_cwr: one reduction (PRR) to ssthresh, CWR on the next new data.
 * The congestion is proven: no undo takes it back, nor one already under
 * way (Recovery), which it leaves as it is.
 */
void tcp_enter_cwr(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_cong *c = &tp->cong;

	c->prior_ssthresh = 0;
	if (c->ca_state >= TCP_CA_CWR)
		return;
	c->undo_marker = 0;
	c->high_seq = tp->snd_nxt;
	tp->tlp_high_seq = 0;
	c->snd_cwnd_cnt = 0;
	c->prior_cwnd = c->snd_cwnd;
	c->prr_delivered = 0;
	c->prr_out = 0;
	c->snd_ssthresh = tcp_ca_ssthresh(sk);
	tcp_ecn_queue_cwr(tp);
	tcp_set_ca_state(sk, TCP_CA_CWR);
}

/*
 * tcp_ecn_rcv_ecn_echo: an ECE that counts, on an ECN connection and never
 * in a SYN. The ACK's handling (tcp_fastretrans_alert) takes it from there:
 * no undo for this episode, CWR unless a loss makes it a recovery.
 */
bool tcp_ecn_rcv_ecn_echo(const struct tcp_sock *tp, uint8_t tcp_flags)
{
	return (tcp_flags & TCPHDR_ECE) && !(tcp_flags & TCPHDR_SYN) &&
	       (tp->ecn_flags & TCP_ECN_OK);
}

/* What an ECE ACK delivered saw CE (tcp_count_delivered, tcp_newly_delivered). */
void tcp_ecn_delivered_ce(struct sock *sk, uint32_t delivered)
{
	tcp_sk(sk)->delivered_ce += delivered;
	sock_net(sk)->mib.tcpext.TCPDeliveredCE += delivered;
}

/*
 * Held until something above high_seq is acked: the CWR has reached the
 * peer. Returns true when the reduction ended now.
 */
bool tcp_ecn_cwr_end(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (before(tp->snd_una, tp->cong.high_seq) || tp->snd_una == tp->cong.high_seq)
		return false;
	tcp_end_cwnd_reduction(sk);
	tcp_ca_event(sk, CA_EVENT_COMPLETE_CWR);
	tcp_set_ca_state(sk, TCP_CA_Open);
	return true;
}

void tcp_ecn_cwr_ack(struct sock *sk, uint32_t acked_sacked, bool una_advanced)
{
	if (!tcp_ecn_cwr_end(sk))
		tcp_cwnd_reduction(sk, acked_sacked, una_advanced, false);
}

uint8_t tcp_ecn_send(struct sock *sk, uint32_t seq, uint8_t flags, unsigned int len, uint8_t *tos)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!(tp->ecn_flags & TCP_ECN_OK))
		return flags;
	if (flags & TCPHDR_SYN) {
		/* tcp_ecn_make_synack; a SYN has its flags from tcp_ecn_send_syn. */
		if (flags & TCPHDR_ACK)
			flags |= TCPHDR_ECE;
		return flags;
	}
	*tos &= (uint8_t)~INET_ECN_MASK;
	/* New data is ECT(0) and may carry CWR; ACKs and retransmissions are not ECT. */
	if (len && !before(seq, tp->snd_nxt)) {
		*tos |= INET_ECN_ECT_0;
		if (tp->ecn_flags & TCP_ECN_QUEUE_CWR) {
			tp->ecn_flags &= (uint8_t)~TCP_ECN_QUEUE_CWR;
			flags |= TCPHDR_CWR;
		}
	}
	if (tp->ecn_flags & TCP_ECN_DEMAND_CWR)
		flags |= TCPHDR_ECE;
	return flags;
}
