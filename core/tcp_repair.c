// SPDX-License-Identifier: MIT
/*
 * TCP repair mode (net/ipv4/tcp.c's TCP_REPAIR family, tcp_repair_*): what
 * CRIU's soccr uses to dump a connection and restore it elsewhere without
 * the peer noticing. A socket in repair mode (CAP_NET_ADMIN) sends nothing
 * of its own: its sequence numbers are set (TCP_QUEUE_SEQ), connect() goes
 * straight to ESTABLISHED with no SYN, data sent goes into the queue that
 * TCP_REPAIR_QUEUE chose (the receive queue: readable later; the send
 * queue: counted as sent, for the retransmission timer to send), a peek
 * reads either queue, the negotiated options and the windows are set by
 * hand, and close() makes the socket go away with neither FIN nor RST.
 * Turning it off sends a window probe (unless TCP_REPAIR_OFF_NO_WP), so the
 * peer's answer brings its window.
 *
 * The hooks elsewhere stay one line each: tcp_setsockopt/tcp_getsockopt,
 * tcp_sendmsg/tcp_recvmsg, tcp_v4_connect/tcp_connect, tcp_write_xmit,
 * tcp_close/tcp_disconnect.
 */
#include <errno.h>
#include <string.h>

#include "net_namespace.h"
#include "tcp.h"
#include "tcp_md5.h"

/* tcp_can_repair_sock: CAP_NET_ADMIN, and not a listener. */
static bool tcp_can_repair_sock(const struct sock *sk)
{
	return ns_capable(sock_net(sk), CAP_NET_ADMIN) && sk->sk_state != TCP_LISTEN;
}

/* Nothing was sent on the socket yet (tcp_rtx_queue_empty). */
static bool tcp_rtx_queue_empty(const struct sock *sk)
{
	return skb_peek(&sk->sk_write_queue) == tcp_sk(sk)->send_head;
}

/*
 * TCP_REPAIR_OPTIONS on an established socket that sent nothing yet
 * (tcp_repair_options_est): what the handshake would have negotiated, one
 * struct tcp_repair_opt after the other; those before a bad one stay set.
 */
static int tcp_repair_options_est(struct sock *sk, const void *optval, unsigned int len)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_repair_opt opt;
	size_t off = 0;

	while (len >= sizeof(opt)) {
		memcpy(&opt, (const uint8_t *)optval + off, sizeof(opt));
		off += sizeof(opt);
		len -= (unsigned int)sizeof(opt);
		switch (opt.opt_code) {
		case TCPOPT_MSS:
			tp->rx_opt.mss_clamp = (uint16_t)opt.opt_val;
			tcp_mtup_init(sk);
			break;
		case TCPOPT_WINDOW: {
			uint16_t snd_wscale = opt.opt_val & 0xffff, rcv_wscale = opt.opt_val >> 16;

			if (snd_wscale > TCP_MAX_WSCALE || rcv_wscale > TCP_MAX_WSCALE)
				return -EFBIG;
			tp->rx_opt.snd_wscale = (uint8_t)snd_wscale;
			tp->rx_opt.rcv_wscale = (uint8_t)rcv_wscale;
			tp->rx_opt.wscale_ok = 1;
			break;
		}
		case TCPOPT_SACK_PERM:
			if (opt.opt_val)
				return -EINVAL;
			tp->rx_opt.sack_ok = 1;
			break;
		case TCPOPT_TIMESTAMP:
			if (opt.opt_val)
				return -EINVAL;
			/* Every segment carries them from now on (tcp_current_mss's header). */
			if (!tp->rx_opt.tstamp_ok)
				tp->tcp_header_len += TCPOLEN_TSTAMP_ALIGNED;
			tp->rx_opt.tstamp_ok = 1;
			break;
		}
	}
	return 0;
}

/* TCP_REPAIR_WINDOW (tcp_repair_set_window): the windows, checked against each other. */
static int tcp_repair_set_window(struct tcp_sock *tp, const void *optval, unsigned int len)
{
	struct tcp_repair_window opt;

	if (!tp->repair)
		return -EPERM;
	if (len != sizeof(opt))
		return -EINVAL;
	memcpy(&opt, optval, sizeof(opt));
	if (opt.max_window < opt.snd_wnd)
		return -EINVAL;
	if (after(opt.snd_wl1, tp->rcv_nxt + opt.rcv_wnd))
		return -EINVAL;
	if (after(opt.rcv_wup, tp->rcv_nxt))
		return -EINVAL;
	tp->snd_wl1 = opt.snd_wl1;
	tp->snd_wnd = opt.snd_wnd;
	tp->max_window = opt.max_window;
	tp->rcv_wnd = opt.rcv_wnd;
	tp->rcv_wup = opt.rcv_wup;
	return 0;
}

int tcp_repair_setsockopt(struct sock *sk, int optname, const void *optval, unsigned int optlen,
			  int val)
{
	struct tcp_sock *tp = tcp_sk(sk);

	switch (optname) {
	case TCP_REPAIR:
		if (!tcp_can_repair_sock(sk))
			return -EPERM;
		if (val == TCP_REPAIR_ON) {
			tp->repair = 1;
			/* bind() may take the address of the socket being replaced. */
			sk->sk_reuse = SK_FORCE_REUSE;
			tp->repair_queue = TCP_NO_QUEUE;
		} else if (val == TCP_REPAIR_OFF || val == TCP_REPAIR_OFF_NO_WP) {
			tp->repair = 0;
			sk->sk_reuse = SK_NO_REUSE;
			if (val == TCP_REPAIR_OFF)
				tcp_send_window_probe(sk);
		} else {
			return -EINVAL;
		}
		return 0;
	case TCP_REPAIR_QUEUE:
		if (!tp->repair)
			return -EPERM;
		if ((unsigned int)val >= TCP_QUEUES_NR)
			return -EINVAL;
		tp->repair_queue = (uint8_t)val;
		return 0;
	case TCP_QUEUE_SEQ:
		/* Not gated on repair mode: the queue chosen in it stays chosen. */
		if (sk->sk_state != TCP_CLOSE)
			return -EPERM;
		if (tp->repair_queue == TCP_SEND_QUEUE) {
			if (!tcp_rtx_queue_empty(sk))
				return -EPERM;
			tp->write_seq = (uint32_t)val;
			return 0;
		}
		if (tp->repair_queue == TCP_RECV_QUEUE) {
			if (tp->rcv_nxt != tp->copied_seq)
				return -EPERM;
			tp->rcv_nxt = (uint32_t)val;
			tp->copied_seq = (uint32_t)val;
			return 0;
		}
		return -EINVAL;
	case TCP_REPAIR_OPTIONS:
		if (!tp->repair)
			return -EINVAL;
		if (sk->sk_state != TCP_ESTABLISHED || tp->bytes_sent)
			return -EPERM;
		return tcp_repair_options_est(sk, optval, optlen);
	case TCP_REPAIR_WINDOW:
		return tcp_repair_set_window(tp, optval, optlen);
	case TCP_TIMESTAMP:
		if (!tp->repair)
			return -EPERM;
		/*
		 * The peer's view of our clock carries on. The low bit asks the
		 * kernel for microsecond stamps; this stack's are milliseconds.
		 */
		tp->tsoffset = (uint32_t)val - tcp_time_stamp_ts(tp);
		return 0;
	}
	return -ENOPROTOOPT;
}

int tcp_repair_get_int(struct sock *sk, int optname, int *val)
{
	struct tcp_sock *tp = tcp_sk(sk);

	switch (optname) {
	case TCP_REPAIR:
		*val = tp->repair;
		return 0;
	case TCP_REPAIR_QUEUE:
		if (!tp->repair)
			return -EINVAL;
		*val = tp->repair_queue;
		return 0;
	case TCP_QUEUE_SEQ:
		if (tp->repair_queue == TCP_SEND_QUEUE)
			*val = (int)tp->write_seq;
		else if (tp->repair_queue == TCP_RECV_QUEUE)
			*val = (int)tp->rcv_nxt;
		else
			return -EINVAL;
		return 0;
	}
	return -ENOPROTOOPT;
}

int tcp_repair_get_window(struct sock *sk, void *optval, int *optlen)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_repair_window opt;

	if (*optlen != (int)sizeof(opt))
		return -EINVAL;
	if (!tp->repair)
		return -EPERM;
	opt.snd_wl1 = tp->snd_wl1;
	opt.snd_wnd = tp->snd_wnd;
	opt.max_window = tp->max_window;
	opt.rcv_wnd = tp->rcv_wnd;
	opt.rcv_wup = tp->rcv_wup;
	memcpy(optval, &opt, sizeof(opt));
	return 0;
}

/*
 * Data sent into the receive queue (tcp_send_rcvq): readable as if the peer
 * had sent it, at most MAX_SKB_FRAGS pages and the rest of a page per call,
 * as one skb of the kernel's holds.
 */
#define TCP_REPAIR_PAGE	     4096u
#define TCP_REPAIR_SKB_FRAGS 17u
static int tcp_send_rcvq(struct sock *sk, struct msghdr *msg, size_t size)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb;
	size_t done = 0;

	if (!size)
		return 0;
	if (size > TCP_REPAIR_PAGE) {
		size_t pages = size / TCP_REPAIR_PAGE;

		if (pages > TCP_REPAIR_SKB_FRAGS)
			pages = TCP_REPAIR_SKB_FRAGS;
		size = pages * TCP_REPAIR_PAGE + size % TCP_REPAIR_PAGE;
	}
	/* tcp_try_rmem_schedule: a receive buffer already over its size takes nothing. */
	if (sk->sk_rmem_alloc > sk->sk_rcvbuf)
		return -ENOMEM;
	skb = alloc_skb((unsigned int)size);
	if (!skb)
		return -ENOMEM;
	for (size_t i = 0; i < msg->msg_iovlen && done < size; i++) {
		size_t n = msg->msg_iov[i].iov_len < size - done ? msg->msg_iov[i].iov_len
								 : size - done;

		memcpy(skb_put(skb, (unsigned int)n), msg->msg_iov[i].iov_base, n);
		done += n;
	}
	TCP_SKB_CB(skb)->seq = tp->rcv_nxt;
	TCP_SKB_CB(skb)->end_seq = tp->rcv_nxt + (uint32_t)done;
	TCP_SKB_CB(skb)->ack_seq = tp->snd_una - 1;
	skb->truesize = tcp_rx_truesize((uint32_t)done, 1);
	/* tcp_try_rmem_schedule's memory half: no pages, ENOMEM. */
	if (!sk_rmem_schedule(sk, (int)skb->truesize)) {
		kfree_skb(skb);
		return -ENOMEM;
	}
	tcp_rmem_charge(sk, (int)skb->truesize);
	tcp_queue_rcv(sk, skb);
	return (int)done;
}

int tcp_repair_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	if (tcp_sk(sk)->repair_queue == TCP_RECV_QUEUE)
		return tcp_send_rcvq(sk, msg, size);
	return -EINVAL; /* TCP_NO_QUEUE: nowhere to send to (no SIGPIPE either) */
}

uint32_t tcp_repair_sndq_copy(struct sock *sk, uint32_t off, void *buf, uint32_t room,
			      uint32_t *total)
{
	struct sk_buff *skb;
	uint32_t pos = 0, copied = 0;

	skb_queue_walk (&sk->sk_write_queue, skb) {
		uint32_t from = off > pos ? off - pos : 0;

		if (from < skb->len && copied < room) {
			uint32_t n =
				skb->len - from < room - copied ? skb->len - from : room - copied;

			memcpy((uint8_t *)buf + copied, skb->data + from, n);
			copied += n;
		}
		pos += skb->len;
	}
	*total = pos;
	return copied;
}

/*
 * A peek at the send queue (tcp_peek_sndq): sent and unsent bytes alike.
 * The kernel's copy stops where the buffer ends without an error, and the
 * answer is the whole queue's length all the same.
 */
static int tcp_peek_sndq(struct sock *sk, struct msghdr *msg)
{
	uint32_t total, copied = 0;

	tcp_repair_sndq_copy(sk, 0, NULL, 0, &total);
	for (size_t i = 0; i < msg->msg_iovlen && copied < total; i++) {
		uint32_t room = msg->msg_iov[i].iov_len < total - copied
					? (uint32_t)msg->msg_iov[i].iov_len
					: total - copied;

		copied += tcp_repair_sndq_copy(sk, copied, msg->msg_iov[i].iov_base, room, &total);
	}
	return (int)total;
}

int tcp_repair_recvmsg(struct sock *sk, struct msghdr *msg, int flags)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!(flags & MSG_PEEK))
		return -EPERM;
	if (tp->repair_queue == TCP_SEND_QUEUE)
		return tcp_peek_sndq(sk, msg);
	return -EINVAL; /* TCP_NO_QUEUE; the receive queue is read as usual */
}

/*
 * connect() in repair mode (tcp_connect_init, then tcp_finish_connect with
 * no SYN): the sequence numbers are those TCP_QUEUE_SEQ set, the options
 * and windows come after (TCP_REPAIR_OPTIONS, TCP_REPAIR_WINDOW).
 */
int tcp_repair_connect(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->iss = tp->write_seq;
	tp->snd_una = tp->write_seq;
	tp->snd_nxt = tp->write_seq;
	tp->snd_sml = tp->write_seq;
	tp->snd_up = tp->write_seq;
	tp->rcv_wup = tp->rcv_nxt;
	tp->copied_seq = tp->rcv_nxt;
	tp->irs = tp->rcv_nxt - 1;
	tp->advmss = (uint16_t)tcp_mss_for_mtu(sk);
	tp->rx_opt.mss_clamp = tp->rx_opt.user_mss ? tp->rx_opt.user_mss : TCP_MSS_DEFAULT;
	tp->rx_opt.wscale_ok = tp->rx_opt.snd_wscale = 0;
	tp->rx_opt.tstamp_ok = tp->rx_opt.sack_ok = tp->rx_opt.dsack = 0;
	tp->rx_opt.num_sacks = 0;
	tp->tcp_header_len = sizeof(struct tcphdr);
	if (tp->md5_nkeys && tcp_md5_do_lookup(sk, sk->sk_daddr))
		tp->tcp_header_len += TCPOLEN_MD5SIG_ALIGNED;
	tp->snd_wnd = tp->max_window = 0;
	tp->snd_wl1 = 0;
	tp->retrans_stamp = 0;
	tcp_connect_init_rwin(sk);
	tcp_set_state(sk, TCP_ESTABLISHED);
	tcp_init_transfer(sk);
	return 0; /* no ActiveOpens: no SYN went */
}
