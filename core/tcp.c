// SPDX-License-Identifier: MIT
/*
 * TCP socket API (net/ipv4/tcp.c, inet_connection_sock.c): state changes,
 * sendmsg/recvmsg, the owner's zero-copy peek_iov/consume and
 * send_iov/send_commit, close, shutdown,
 * disconnect, listen/accept queues, socket options and ioctls.
 *
 * Nothing here blocks: sendmsg queues what the send buffer takes or returns
 * -EAGAIN, recvmsg returns what is queued, -EAGAIN, or 0 at EOF; the owner
 * waits for sk_write_space / sk_data_ready.
 *
 * What this is not: MSG_ZEROCOPY (Fast Open's options are tcp_fastopen.c's,
 * TCP_MD5SIG's tcp_md5.c's, repair mode's tcp_repair.c's).
 * TCP_CM_INQ is the interposer's (it counts what the pair holds).
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/sockios.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "inet_hashtables.h"
#include "ip.h"
#include "net_namespace.h"
#include "tcp.h"
#include "tcp_md5.h"

#define TCP_INFINITE_SSTHRESH 0x7fffffffu
#define MAX_TCP_WINDOW	      32767u /* TCP_MAXSEG upper bound, include/net/tcp.h */
#define MAX_TCP_SYNCNT	      127
#define TCP_TIMEOUT_INIT_S    1	  /* TCP_TIMEOUT_INIT / HZ */
#define TCP_RTO_MAX_S	      120 /* TCP_RTO_MAX / HZ */
#define TCP_FIN_TIMEOUT_MAX_S 120 /* TCP_LINGER2's ceiling, TCP_FIN_TIMEOUT_MAX / HZ */
/* The per-socket RTO and delayed-ACK bounds (6.15), newer than the headers. */
#ifndef TCP_RTO_MAX_MS
#define TCP_RTO_MAX_MS 44
#endif
#ifndef TCP_RTO_MIN_US
#define TCP_RTO_MIN_US 45
#endif
#ifndef TCP_DELACK_MAX_US
#define TCP_DELACK_MAX_US 46
#endif

/*
 * TCP_DEFER_ACCEPT's seconds as the SYN-ACK retransmissions whose backed-off
 * timeouts first add up to them (at most 255), and back: a read gives the
 * whole period those retransmissions cover, as the kernel's.
 */
static uint8_t secs_to_retrans(int seconds, int timeout, int rto_max)
{
	uint8_t res = 0;

	if (seconds > 0) {
		int period = timeout;

		res = 1;
		while (seconds > period && res < 255) {
			res++;
			timeout <<= 1;
			if (timeout > rto_max)
				timeout = rto_max;
			period += timeout;
		}
	}
	return res;
}

static int retrans_to_secs(uint8_t retrans, int timeout, int rto_max)
{
	int period = 0;

	if (retrans > 0) {
		period = timeout;
		while (--retrans) {
			timeout <<= 1;
			if (timeout > rto_max)
				timeout = rto_max;
			period += timeout;
		}
	}
	return period;
}

void tcp_set_state(struct sock *sk, int state)
{
	struct net *net = sock_net(sk);
	int oldstate = sk->sk_state;

	if (oldstate == state)
		return;
	if (state == TCP_ESTABLISHED)
		__TCP_INC_STATS(net, CurrEstab);
	else if (oldstate == TCP_ESTABLISHED)
		net->mib.tcp.CurrEstab--;
	if (state == TCP_CLOSE) {
		if (oldstate == TCP_CLOSE_WAIT || oldstate == TCP_ESTABLISHED)
			__TCP_INC_STATS(net, EstabResets);
		tcp_orphan_count_dec(sk); /* inet_csk_destroy_sock follows */
		inet_unhash(sk);
		if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
			inet_put_port(sk);
	}
	sk->sk_state = (unsigned char)state;
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_state_change(sk);
}

void reqsk_queue_added(struct tcp_sock *parent)
{
	parent->syn_qlen++;
	parent->syn_young++;
}

void reqsk_queue_removed(struct tcp_sock *parent, const struct tcp_sock *child)
{
	parent->syn_qlen--;
	if (!child->retransmits)
		parent->syn_young--;
}

void inet_csk_unlink_child(struct sock *child)
{
	struct tcp_sock *tp = tcp_sk(child);
	struct tcp_sock *parent = tp->parent;

	if (!parent)
		return;
	if (tcp_child_is_request(child))
		reqsk_queue_removed(parent, tp);
	else
		parent->inet.sk.sk_ack_backlog--;
	list_del_init(&tp->accept_node);
	tp->parent = NULL;
}

/*
 * A child past its request (a Fast Open one, one tcp_check_req made) still
 * on its listener's accept queue: it has no owner yet, but it is not an
 * orphan either (the kernel orphans a child only in inet_csk_listen_stop).
 */
static bool inet_csk_child_queued(const struct sock *sk)
{
	return tcp_sk(sk)->parent && !tcp_child_is_request(sk);
}

void tcp_done(struct sock *sk)
{
	struct net *net = sock_net(sk);
	bool queued = inet_csk_child_queued(sk);

	if (sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_SYN_RECV)
		__TCP_INC_STATS(net, AttemptFails);
	/*
	 * An embryonic child leaves the SYN queue; a queued one stays, closed,
	 * until accept() returns it (its first read gives sk_err, e.g.
	 * ECONNRESET) or its listener closes.
	 */
	if (!queued)
		inet_csk_unlink_child(sk);
	/* A Fast Open child that dies leaves its listener's count (reqsk_fastopen_remove). */
	tcp_fastopen_child_done(sk);
	tcp_clear_xmit_timers(sk);
	sk->sk_shutdown = SHUTDOWN_MASK;
	tcp_set_state(sk, TCP_CLOSE);
	if (sock_flag(sk, SOCK_DEAD) && !queued)
		tcp_done_free(sk);
}

void tcp_init_sock(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);

	skb_queue_head_init(&tp->out_of_order_queue);
	INIT_LIST_HEAD(&tp->accept_node);
	INIT_LIST_HEAD(&tp->syn_queue);
	INIT_LIST_HEAD(&tp->accept_queue);
	INIT_LIST_HEAD(&tp->fastopen_queue);
	INIT_LIST_HEAD(&tp->fastopen_node);
	INIT_LIST_HEAD(&tp->tsorted_sent_queue);
	tcp_init_xmit_timers(sk);
	tp->rto = TCP_TIMEOUT_INIT;
	tcp_init_rto_bounds(sk);
	tp->mss_cache = TCP_MSS_DEFAULT;
	/* tcp_init_sock, tcp_disconnect: sending starts application-limited (tcp_rate.c). */
	tp->app_limited = ~0u;
	tp->rate_app_limited = true;
	tp->tcp_header_len = sizeof(struct tcphdr);
	tp->advmss = (uint16_t)tcp_mss_for_mtu(sk);
	tp->scaling_ratio = TCP_DEFAULT_SCALING_RATIO;
	tp->cong.snd_cwnd = TCP_INIT_CWND;
	tp->cong.snd_ssthresh = TCP_INFINITE_SSTHRESH;
	tp->cong.snd_cwnd_clamp = UINT32_MAX;
	tp->rack.reo_wnd_steps = 1;
	tp->reordering = (uint32_t)net->sysctl.tcp_reordering;
	tp->sk_pacing_rate = ~0ull; /* sock_init_data */
	tcp_assign_congestion_control(sk);
	sk->sk_state = TCP_CLOSE;
	net->tcp_sockets_allocated++; /* sk_sockets_allocated_inc, until tcp_v4_destroy_sock */
	/* tcp_init_sock: the TCP buffers come from tcp_rmem/tcp_wmem, not net.core. */
	sk->sk_sndbuf = net->sysctl.tcp_wmem[1];
	sk->sk_rcvbuf = net->sysctl.tcp_rmem[1];
}

/*
 * Grows the send buffer with the congestion window (tcp_sndbuf_expand):
 * room for two windows of segments (BBR: three), so that the owner keeps the
 * pipe full; at least the initial window, and one segment more than the
 * reordering the path has shown (tp->reordering, from tcp_metrics at
 * establishment): fast recovery waits for that many duplicate ACKs with
 * the window's segments still queued.
 */
void tcp_sndbuf_expand(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	uint32_t per_mss = 1, nr_segs = tp->cong.snd_cwnd;
	int64_t sndmem;

	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		return;
	/*
	 * The kernel's per-segment truesize, with its sizes on x86-64 (what
	 * getsockopt(SO_SNDBUF) of this machine's kernel shows): the larger
	 * MSS, MAX_TCP_HEADER (256) and skb_shared_info (320) rounded up to a
	 * power of two for the kmalloc'ed head, plus the struct sk_buff (256).
	 */
	while (per_mss <
	       (tp->rx_opt.mss_clamp > tp->mss_cache ? tp->rx_opt.mss_clamp : tp->mss_cache) +
		       256u + 320u)
		per_mss <<= 1;
	per_mss += 256;
	if (nr_segs < TCP_INIT_CWND)
		nr_segs = TCP_INIT_CWND;
	if (nr_segs < tp->reordering + 1)
		nr_segs = tp->reordering + 1;
	sndmem = (int64_t)(tp->ca_ops->sndbuf_expand ? tp->ca_ops->sndbuf_expand(sk) : 2) *
		 nr_segs * per_mss;
	if (sndmem > net->sysctl.tcp_wmem[2])
		sndmem = net->sysctl.tcp_wmem[2];
	if (sk->sk_sndbuf < sndmem) {
		sk->sk_sndbuf = (int)sndmem;
		if (!sock_flag(sk, SOCK_DEAD) && sk->sk_state != TCP_CLOSE)
			sk->sk_write_space(sk);
	}
}

uint32_t tcp_inq(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	if (sk->sk_state == TCP_LISTEN || sk->sk_state == TCP_SYN_SENT)
		return 0;
	return tp->rcv_nxt - tp->copied_seq - tp->fin_rcvd;
}

/*
 * TCP_SAVE_SYN (tcp_reqsk_record_syn): the child keeps its SYN's IP and TCP
 * headers, from the Ethernet header with 2, until TCP_SAVED_SYN reads them.
 * A SYN cookie's child comes from the ACK and has none, as the kernel's.
 */
void tcp_saved_syn_record(struct sock *child, const struct sock *parent, const struct sk_buff *skb)
{
	const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(skb);
	struct tcp_sock *tp = tcp_sk(child);
	uint32_t mac_hdrlen = 0, network_hdrlen, len;
	const uint8_t *base = skb_network_header(skb);
	struct saved_syn *ss;

	tp->save_syn = tcp_sk(parent)->save_syn;
	if (!tp->save_syn || !th->syn)
		return;
	network_hdrlen = (uint32_t)(skb->transport_header - skb->network_header);
	if (tp->save_syn == 2) {
		base = skb_mac_header(skb);
		mac_hdrlen = (uint32_t)(skb->network_header - skb->mac_header);
	}
	len = mac_hdrlen + network_hdrlen + th->doff * 4u;
	ss = malloc(sizeof(*ss) + len);
	if (!ss)
		return; /* the kernel's GFP_ATOMIC failure: the socket has none */
	ss->mac_hdrlen = mac_hdrlen;
	ss->network_hdrlen = network_hdrlen;
	ss->tcp_hdrlen = th->doff * 4u;
	memcpy(ss->data, base, len);
	tp->saved_syn = ss;
}

void tcp_saved_syn_free(struct tcp_sock *tp)
{
	free(tp->saved_syn);
	tp->saved_syn = NULL;
}

static uint32_t tcp_saved_syn_len(const struct saved_syn *ss)
{
	return ss->mac_hdrlen + ss->network_hdrlen + ss->tcp_hdrlen;
}

/* The mark TCP_NOTSENT_LOWAT sets, else the namespace's (-1 there: UINT_MAX, none). */
uint32_t tcp_notsent_lowat(const struct tcp_sock *tp)
{
	return tp->notsent_lowat ? tp->notsent_lowat
				 : (uint32_t)sock_net(&tp->inet.sk)->sysctl.tcp_notsent_lowat;
}

/*
 * How many more bytes the owner may queue before the unsent ones reach the
 * mark (tcp_stream_memory_free: writable while below it); INT_MAX when
 * there is no mark. The stack host takes no more than this from the pair.
 */
int tcp_notsent_room(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	uint32_t lowat = tcp_notsent_lowat(tp), notsent = tp->write_seq - tp->snd_nxt;

	if (notsent >= lowat)
		return 0;
	return lowat - notsent > INT_MAX ? INT_MAX : (int)(lowat - notsent);
}

/* ---- sending ---- */

/*
 * Whether new bytes may go at the end of skb, the send queue's last
 * segment: it is unsent, below the MSS and has room (one allocated while
 * the MSS was smaller may be full below it), and no SYN or FIN ends it.
 */
static bool tcp_skb_can_append(const struct tcp_sock *tp, const struct sk_buff *skb,
			       unsigned int mss)
{
	return tp->send_head && !before(TCP_SKB_CB(skb)->seq, tp->snd_nxt) && skb->len < mss &&
	       skb_tailroom(skb) && !(TCP_SKB_CB(skb)->tcp_flags & (TCPHDR_SYN | TCPHDR_FIN));
}

/* Queues an empty new segment at write_seq (tcp_skb_entail). */
static void tcp_skb_entail(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);

	TCP_SKB_CB(skb)->seq = tp->write_seq;
	TCP_SKB_CB(skb)->end_seq = tp->write_seq;
	__skb_queue_tail(&sk->sk_write_queue, skb);
	if (!tp->send_head) {
		tp->send_head = skb;
		/* Something waits to be sent (tcp_add_write_queue_tail). */
		tcp_chrono_start(sk, TCP_CHRONO_BUSY);
	}
}

/* n rounded up to whole goals. */
static uint32_t tcp_round_up(uint32_t n, unsigned int goal)
{
	return (n + goal - 1) / goal * goal;
}

/*
 * The skbs tcp_sendmsg would have filled, as boundaries in sequence space:
 * they run from sendmsg_skb_end (where the last one ends) a size goal
 * apart. Bytes queued past it moved it on; the unsent rest of the last
 * one, partly sent, is a skb of its own (tso_fragment), which tcp_sendmsg
 * fills to the goal again. Returns the goal now.
 */
static unsigned int tcp_sendmsg_grid(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	unsigned int goal = tcp_xmit_size_goal(sk, tcp_current_mss(sk));
	int32_t open = (int32_t)(tp->sendmsg_skb_end - tp->write_seq);

	/* A first look, or write_seq set anew (repair): a skb starts here. */
	if (!tp->sendmsg_skb_goal || open > (int32_t)tp->sendmsg_skb_goal)
		tp->sendmsg_skb_end = tp->write_seq;
	else if (open < 0)
		tp->sendmsg_skb_end += tcp_round_up((uint32_t)-open, tp->sendmsg_skb_goal);
	if (tp->sendmsg_skb_goal &&
	    after(tp->snd_nxt, tp->sendmsg_skb_end - tp->sendmsg_skb_goal) &&
	    before(tp->snd_nxt, tp->write_seq) && after(tp->snd_nxt + goal, tp->sendmsg_skb_end))
		tp->sendmsg_skb_end = tp->snd_nxt + goal;
	tp->sendmsg_skb_goal = goal;
	return goal;
}

uint32_t tcp_sendmsg_end(struct sock *sk, uint32_t seq)
{
	struct tcp_sock *tp = tcp_sk(sk);
	unsigned int goal = tcp_sendmsg_grid(sk);
	uint32_t end = tp->sendmsg_skb_end;

	if (after(seq, end))
		return end + tcp_round_up(seq - end, goal);
	/* Inside the open skb: its end; before it, seq itself (no skb opens there). */
	return after(seq, end - goal) ? end : seq;
}

uint32_t tcp_sendmsg_write_end(struct sock *sk, uint32_t room)
{
	struct tcp_sock *tp = tcp_sk(sk);
	unsigned int goal = tcp_sendmsg_grid(sk), mss = tcp_current_mss(sk);
	uint32_t start = tp->write_seq, first = start + goal, sent = 0, wnd;

	if (tp->send_head || after(tp->snd_nxt, start) || !room || room >= INT32_MAX / 2)
		return tcp_sendmsg_end(sk, start + room);
	/* The first skb's push: whole segments, as far as both windows go. */
	if (tcp_packets_in_flight(tp) < tp->cong.snd_cwnd)
		sent = (tp->cong.snd_cwnd - tcp_packets_in_flight(tp)) * mss;
	wnd = (int32_t)(tp->snd_una + tp->snd_wnd - start) > 0 ? tp->snd_una + tp->snd_wnd - start
							       : 0;
	if (wnd < sent)
		sent = wnd - wnd % mss;
	if (sent && sent < goal)
		first += sent;
	if (!after(start + room, first))
		return first;
	return first + tcp_round_up(start + room - first, goal);
}

int tcp_sendmsg_room(struct sock *sk, int reserve)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int space = sk_stream_wspace(sk) - reserve;
	uint32_t end;

	tcp_sendmsg_grid(sk);
	end = tp->sendmsg_skb_end;
	if (space > 0)
		end = tcp_sendmsg_end(sk, tp->write_seq + (uint32_t)space);
	return (int32_t)(end - tp->write_seq) > 0 ? (int)(end - tp->write_seq) : space;
}

/* len bytes were written at the end of skb, the queue's last segment. */
static void tcp_skb_append(struct sock *sk, struct sk_buff *skb, size_t len)
{
	struct tcp_sock *tp = tcp_sk(sk);

	skb_put(skb, (unsigned int)len);
	TCP_SKB_CB(skb)->end_seq += (uint32_t)len;
	tp->write_seq += (uint32_t)len;
	tcp_wmem_charge(sk, (int)len);
}

int tcp_send_iov(struct sock *sk, struct iovec *iov, struct sk_buff **segs, int max_iov,
		 size_t max_len)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);
	unsigned int mss;
	int space, n = 0;
	size_t want = 0;

	/* Anything but plain sending is tcp_sendmsg's, errors and repair mode included. */
	if ((sk->sk_state != TCP_ESTABLISHED && sk->sk_state != TCP_CLOSE_WAIT) || sk->sk_err ||
	    (sk->sk_shutdown & SEND_SHUTDOWN) || tp->repair)
		return -EAGAIN;
	/*
	 * A pull from the pair is the owner's write: tcp_sendmsg's check for a
	 * bubble before it (everything sent, the window not full). Without it
	 * a sender held back by its send buffer, all of it in flight, took
	 * its samples as the network's rate where the kernel's are
	 * app-limited, and BBR's STARTUP ended at that plateau.
	 */
	tcp_rate_check_app_limited(sk);
	mss = tcp_current_mss(sk);
	/*
	 * The pages for what the loops below may take, at most the tail's room
	 * and the send buffer's plus one segment (tcp_wmem_schedule): none, and
	 * the host waits for the queue to shrink, as tcp_sendmsg's writer.
	 */
	space = tcp_sendmsg_room(sk, 0);
	if (skb && tcp_skb_can_append(tp, skb, mss))
		want = mss - skb->len;
	if (space > 0)
		want += (size_t)space + mss;
	if (want > max_len)
		want = max_len;
	want = (size_t)tcp_wmem_schedule(sk, want > INT_MAX ? INT_MAX : (int)want);
	if (want < max_len)
		max_len = want;
	if (skb && max_iov && max_len && tcp_skb_can_append(tp, skb, mss)) {
		size_t room =
			mss - skb->len < skb_tailroom(skb) ? mss - skb->len : skb_tailroom(skb);

		iov[n].iov_base = skb_tail_pointer(skb);
		iov[n].iov_len = room < max_len ? room : max_len;
		segs[n++] = skb;
		max_len -= iov[0].iov_len;
	}
	/* New segments while the send buffer has room, as tcp_sendmsg takes them. */
	while (n < max_iov && max_len && space > 0) {
		skb = alloc_skb(mss);
		if (!skb)
			break;
		iov[n].iov_base = skb->data;
		iov[n].iov_len = mss < max_len ? mss : max_len;
		segs[n] = skb;
		max_len -= iov[n].iov_len;
		space -= (int)iov[n].iov_len;
		n++;
	}
	return n;
}

/* Whether the bytes queued so far end inside the last MSG_MORE send (tcp_send_more). */
static bool tcp_more_cork(struct tcp_sock *tp)
{
	if (tp->more && after(tp->write_seq, tp->more_end))
		tp->more = false; /* past it: nothing is corked any more */
	return tp->more && after(tp->write_seq, tp->more_start);
}

/*
 * The end of a write marks its last segment PSH (tcp_push's tcp_mark_push),
 * unless the write is corked (MSG_MORE) and has not run more than half the
 * peer's largest window past the last mark (forced_push).
 */
static void tcp_push_mark(struct sock *sk, bool cork)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (cork && !after(tp->write_seq, tp->pushed_seq + (tp->max_window >> 1)))
		return;
	TCP_SKB_CB(skb_peek_tail(&sk->sk_write_queue))->tcp_flags |= TCPHDR_PSH;
	tp->pushed_seq = tp->write_seq;
}

void tcp_send_commit(struct sock *sk, const struct iovec *iov, struct sk_buff **segs, int n,
		     size_t len)
{
	struct tcp_sock *tp = tcp_sk(sk);
	bool copied = false, cork;

	for (int i = 0; i < n; i++) {
		size_t c = len < iov[i].iov_len ? len : iov[i].iov_len;

		/* A new segment is on no queue yet (no linkage); the tail one is. */
		if (!segs[i]->next) {
			if (!c) {
				kfree_skb(segs[i]);
				continue;
			}
			tcp_skb_entail(sk, segs[i]);
		}
		tcp_skb_append(sk, segs[i], c);
		len -= c;
		copied |= c > 0;
	}
	if (!copied)
		return;
	cork = tcp_more_cork(tp);
	tcp_push_mark(sk, cork);
	if (tp->tx_marks_n)
		tcp_tx_marks_apply(sk);
	tcp_push_pending_frames(sk, cork ? tp->nonagle | TCP_NAGLE_CORK : tp->nonagle);
}

void tcp_send_more(struct sock *sk, uint32_t start, uint32_t end)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->more = after(end, start);
	tp->more_start = start;
	tp->more_end = end;
}

/* MSG_OOB: the last byte of this write is urgent; segments up to it carry URG (tcp_mark_urg). */
static void tcp_mark_urg(struct tcp_sock *tp, int flags)
{
	if (flags & MSG_OOB) {
		tp->snd_up = tp->write_seq;
		tp->urg_mode = true;
	}
}

int tcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int flags = msg->msg_flags, err;
	size_t copied = 0;
	unsigned int mss;

	if (inet_sk(sk)->defer_connect && msg->msg_iovlen) {
		/*
		 * TCP_FASTOPEN_CONNECT: the first write goes in the SYN, the rest
		 * waits for the handshake (-EAGAIN where the kernel, not
		 * buffering, says EINPROGRESS when the SYN took nothing).
		 */
		size_t syn = 0, n = msg->msg_iov[0].iov_len < size ? msg->msg_iov[0].iov_len : size;

		err = tcp_sendmsg_deferred(sk, msg->msg_iov[0].iov_base, n, &syn);
		if (err != -EINPROGRESS)
			return err;
		return syn ? (int)syn : -EAGAIN;
	}
	/* A passive Fast Open child may send before its handshake completes. */
	if (sk->sk_state != TCP_ESTABLISHED && sk->sk_state != TCP_CLOSE_WAIT &&
	    !tcp_passive_fastopen(sk)) {
		/* sk_stream_wait_connect() without the wait. */
		if (sk->sk_err)
			return sock_error(sk);
		if (sk->sk_state != TCP_SYN_SENT && sk->sk_state != TCP_SYN_RECV) {
			err = -EPIPE;
			goto out_err;
		}
		return -EAGAIN;
	}
	/* Repair mode: into the receive queue, or nowhere (the send queue's is below). */
	if (tp->repair && tp->repair_queue != TCP_SEND_QUEUE)
		return tcp_repair_sendmsg(sk, msg, size);
	err = -EPIPE;
	if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN))
		goto out_err;

	tcp_rate_check_app_limited(sk); /* is sending application-limited? */
	mss = tcp_current_mss(sk);
	for (size_t i = 0; i < msg->msg_iovlen && copied < size; i++) {
		const uint8_t *from = msg->msg_iov[i].iov_base;
		size_t left = msg->msg_iov[i].iov_len;

		if (left > size - copied)
			left = size - copied;
		while (left) {
			struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);
			/* Fill the last unsent segment before starting a new one. */
			bool new_skb = !skb || !tcp_skb_can_append(tp, skb, mss);
			size_t copy;
			int mem;

			if (new_skb && sk_stream_wspace(sk) <= 0)
				goto out;
			/* Then the pages: without them the write waits (wait_for_space). */
			mem = tcp_wmem_schedule(sk, (int)(left < mss ? left : mss));
			if (!mem)
				goto out;
			if (new_skb) {
				skb = alloc_skb(mss);
				if (!skb)
					goto out;
				tcp_skb_entail(sk, skb);
			}
			copy = mss - skb->len;
			if (copy > left)
				copy = left;
			if (copy > skb_tailroom(skb))
				copy = skb_tailroom(skb);
			if (copy > (size_t)mem)
				copy = (size_t)mem;
			memcpy(skb_tail_pointer(skb), from, copy);
			tcp_skb_append(sk, skb, copy);
			from += copy;
			left -= copy;
			copied += copy;
		}
	}
out:
	/* Stopped short: the owner waits for room (SOCK_NOSPACE), known before the push. */
	if (copied < size)
		tp->sndbuf_nospace = 1;
	if (!copied)
		return -EAGAIN;
	if (tcp_more_cork(tp))
		flags |= MSG_MORE;
	tcp_push_mark(sk, flags & MSG_MORE);
	tcp_mark_urg(tp, flags);
	if (tp->tx_marks_n)
		tcp_tx_marks_apply(sk);
	tcp_push_pending_frames(sk,
				(flags & MSG_MORE) ? tp->nonagle | TCP_NAGLE_CORK : tp->nonagle);
	return (int)copied;

out_err:
	/* sk_stream_error(): a pending error wins over EPIPE. */
	if (err == -EPIPE && sk->sk_err)
		return sock_error(sk);
	return err;
}

/* ---- receiving ---- */

/*
 * A pushed segment's ACK is owed to a read that empties the receive
 * buffer (tcp_cleanup_rbuf's ICSK_ACK_PUSHED rule): the sender may be
 * waiting for it. Not in pingpong mode, where the reply carries it,
 * unless two such segments came (ICSK_ACK_PUSHED2).
 */
static bool tcp_pushed_ack_owed(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return ((tp->ack.pending & ICSK_ACK_PUSHED2) ||
		((tp->ack.pending & ICSK_ACK_PUSHED) && !tp->ack.pingpong));
}

/* Sends a window update or the owed ACK after the program read data (tcp_cleanup_rbuf). */
static void tcp_cleanup_rbuf(struct sock *sk, size_t copied)
{
	struct tcp_sock *tp = tcp_sk(sk);
	bool time_to_ack = false;

	if (sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_LISTEN || sk->sk_state == TCP_SYN_SENT)
		return;
	if ((tp->ack.pending & ICSK_ACK_SCHED) &&
	    (tp->rcv_nxt - tp->rcv_wup > tp->ack.rcv_mss ||
	     (copied && tcp_pushed_ack_owed(sk) && !sk->sk_rmem_alloc)))
		time_to_ack = true;
	if (copied && !time_to_ack && !(sk->sk_shutdown & RCV_SHUTDOWN)) {
		int32_t now_win = (int32_t)(tp->rcv_wup + tp->rcv_wnd - tp->rcv_nxt);
		uint32_t rcv_window_now = now_win < 0 ? 0 : (uint32_t)now_win;

		/* Open the window once it can at least double. */
		if (2 * rcv_window_now <= tp->window_clamp) {
			uint32_t new_window = __tcp_select_window(sk);

			if (new_window && new_window >= 2 * rcv_window_now)
				time_to_ack = true;
		}
	}
	if (time_to_ack)
		tcp_send_ack(sk);
}

int tcp_peek_iov(struct sock *sk, struct iovec *iov, int max_iov, size_t max_len)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t seq = tp->copied_seq;
	struct sk_buff *skb;
	int n = 0;

	skb_queue_walk (&sk->sk_receive_queue, skb) {
		uint32_t off = seq - TCP_SKB_CB(skb)->seq;
		size_t avail;

		if (n >= max_iov || !max_len)
			break;
		if (off >= skb->len)
			continue;
		avail = skb->len - off;
		if (avail > max_len)
			avail = max_len;
		iov[n].iov_base = skb->data + off;
		iov[n].iov_len = avail;
		n++;
		max_len -= avail;
		seq += (uint32_t)avail;
	}
	return n;
}

/*
 * The receive buffer for a reader that took newval bytes in the last RTT
 * (tcp_rcvbuf_grow, as this kernel's, 6.18): the window is twice that,
 * since the measure is one RTT late, plus twice the growth since the last
 * measure scaled to it (a sender in slow start doubles per RTT), plus what
 * the out-of-order queue spans past rcv_nxt (the hole must be filled before
 * any of it is read); the buffer is what that window takes at the measured
 * ratio, at most tcp_rmem[2], and only grows; the clamp follows. Never when
 * SO_RCVBUF locked the buffer or net.ipv4.tcp_moderate_rcvbuf is 0, but
 * newval is the new measure either way.
 */
void tcp_rcvbuf_grow(struct sock *sk, uint32_t newval)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	uint32_t oldval = tp->rcvq_space.space;
	uint64_t rcvwin, grow = 0;
	int64_t rcvbuf;

	tp->rcvq_space.space = newval;
	if (!net->sysctl.tcp_moderate_rcvbuf || (sk->sk_userlocks & SOCK_RCVBUF_LOCK))
		return;
	rcvwin = (uint64_t)newval << 1;
	if (oldval && newval > oldval)
		grow = rcvwin * (newval - oldval) / oldval;
	rcvwin += grow << 1;
	if (!skb_queue_empty(&tp->out_of_order_queue))
		rcvwin += TCP_SKB_CB(skb_peek_tail(&tp->out_of_order_queue))->end_seq - tp->rcv_nxt;
	rcvbuf = tcp_space_from_win(sk, (int64_t)rcvwin);
	if (rcvbuf > net->sysctl.tcp_rmem[2])
		rcvbuf = net->sysctl.tcp_rmem[2];
	if (rcvbuf > sk->sk_rcvbuf) {
		sk->sk_rcvbuf = (int)rcvbuf;
		tp->window_clamp = (uint32_t)tcp_win_from_space(sk, rcvbuf);
	}
}

/*
 * Receive-buffer autotuning (tcp_rcv_space_adjust, "dynamic right-sizing"):
 * once per receiver RTT, what the program read in it less what it left
 * unread (a reader that falls behind needs no bigger buffer); more than in
 * the last RTT grows the buffer (tcp_rcvbuf_grow).
 */
void tcp_rcv_space_adjust(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	uint64_t rtt_ns = (uint64_t)(tp->rcv_rtt_est.rtt_us >> 3) * NSEC_PER_USEC;
	uint32_t read = tp->copied_seq;
	int64_t copied;

	if (!tp->rcv_rtt_est.rtt_us || net->now - tp->rcvq_space.time < rtt_ns)
		return;
	/*
	 * What the program has read: consumed bytes still in the owner's hands
	 * are not (the host's count may be high, never back past the last measure).
	 */
	read -= sk->sk_owner_unread;
	if (before(read, tp->rcvq_space.seq))
		read = tp->rcvq_space.seq;
	/* Less what is still to read: the receive queue and the owner's part. */
	copied = (int64_t)(read - tp->rcvq_space.seq) - (int64_t)(tp->rcv_nxt - read);
	if (copied > (int64_t)tp->rcvq_space.space)
		tcp_rcvbuf_grow(sk, (uint32_t)copied);
	tp->rcvq_space.seq = read;
	tp->rcvq_space.time = net->now;
}

bool tcp_owner_held_room(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_rx_held *held;

	if (tp->owner_held_first && tp->owner_held_first + tp->owner_held_n == tp->owner_held_max) {
		memmove(tp->owner_held, tp->owner_held + tp->owner_held_first,
			tp->owner_held_n * sizeof(*tp->owner_held));
		tp->owner_held_first = 0;
	}
	if (tp->owner_held_n == tp->owner_held_max) {
		uint32_t max = tp->owner_held_max ? 2 * tp->owner_held_max : 64;

		held = realloc(tp->owner_held, max * sizeof(*held));
		if (!held)
			return false;
		tp->owner_held = held;
		tp->owner_held_max = max;
	}
	return true;
}

void tcp_owner_hold(struct sock *sk, const struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tcp_owner_held_room(sk)) {
		tcp_rmem_uncharge(sk, (int)skb->truesize);
		return;
	}
	tp->owner_held[tp->owner_held_first + tp->owner_held_n++] = (struct tcp_rx_held){
		TCP_SKB_CB(skb)->seq, TCP_SKB_CB(skb)->seq + skb->len, skb->truesize, skb->rx};
}

/*
 * Uncharges the held buffers whose skb is read up to seq, all of them if
 * all: an skb's buffers (one head_end) at once, once its last is read and
 * none of it is left in the receive queue (tcp_recvmsg's sk_eat_skb on a
 * fully copied skb), not buffer by buffer. For an owner, buffer by buffer:
 * its count of what its program read errs high (the pair's SIOCOUTQ is
 * one over when the program's last read wakes the owner, as sock_wfree
 * wakes the writer before it drops its last unit, and no wake follows),
 * and a whole skb held on that error would keep the window shut until the
 * peer's next probe (test_rcvbuf_bound stalled so for 60 s when loaded).
 */
static void tcp_owner_release(struct sock *sk, uint32_t seq, bool all)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct sk_buff *rest = skb_peek(&sk->sk_receive_queue);
	bool whole = !sk->sk_owner_holds;

	while (tp->owner_held_n) {
		struct tcp_rx_held *h = &tp->owner_held[tp->owner_held_first];
		uint32_t n = 1, truesize = h->truesize;

		for (; whole && n < tp->owner_held_n && h[n].rx.head_end == h->rx.head_end; n++)
			truesize += h[n].truesize;
		if (!all &&
		    (after(h[n - 1].end_seq, seq) || (whole && n == tp->owner_held_n && rest &&
						      rest->rx.head_end == h->rx.head_end)))
			break;
		tcp_rmem_uncharge(sk, (int)truesize);
		tp->owner_held_first += n;
		tp->owner_held_n -= n;
	}
	if (!tp->owner_held_n)
		tp->owner_held_first = 0;
	if (all) {
		free(tp->owner_held);
		tp->owner_held = NULL;
		tp->owner_held_max = 0;
	}
}

void tcp_consume(struct sock *sk, size_t len)
{
	struct tcp_sock *tp = tcp_sk(sk);
	size_t done = 0;
	struct sk_buff *skb;

	while (done < len && (skb = skb_peek(&sk->sk_receive_queue))) {
		uint32_t off = tp->copied_seq - TCP_SKB_CB(skb)->seq;
		size_t avail = skb->len > off ? skb->len - off : 0, n = len - done;

		if (n > avail)
			n = avail;
		tp->copied_seq += (uint32_t)n;
		done += n;
		if (n == avail) {
			__skb_unlink(skb, &sk->sk_receive_queue);
			tcp_owner_hold(sk, skb);
			kfree_skb(skb);
		}
	}
	/* Past the urgent byte: it is history (tcp_recvmsg's urg_data = 0). */
	if (tp->urg_data && after(tp->copied_seq, tp->urg_seq))
		tp->urg_data = 0;
	if (sk->sk_owner_holds)
		sk->sk_owner_unread += (uint32_t)done;
	else /* read now: each skb read whole goes */
		tcp_owner_release(sk, tp->copied_seq, false);
	tcp_rcv_space_adjust(sk);
	/*
	 * An owner's program has not read yet: what the read owes (an ACK,
	 * a window update) waits for it (tcp_owner_unread), as the kernel's
	 * recvmsg sends it, not its receive queue.
	 */
	if (!sk->sk_owner_holds)
		tcp_cleanup_rbuf(sk, done);
}

/*
 * The owner measured what it holds unread: when its program read some, the
 * space is free again and the window may reopen as after a recvmsg
 * (tcp_cleanup_rbuf's rule).
 */
void tcp_owner_unread(struct sock *sk, uint32_t unread)
{
	uint32_t was = sk->sk_owner_unread;

	sk->sk_owner_unread = unread;
	/* The program has read up to here (the pair's count errs towards unread). */
	tcp_owner_release(sk, tcp_sk(sk)->copied_seq - unread, false);
	if (unread < was)
		tcp_cleanup_rbuf(sk, was - unread);
}

/*
 * What tcp_owner_unread could do when the owner next measures: reading
 * frees space, so tcp_cleanup_rbuf may send the ACK it holds or reopen a
 * window that can double, and a buffer over half full may be short of room
 * for the next segment. When none of these can happen the owner need not
 * learn of each read at once: the next segment, timer or call comes first
 * and it measures then (the stack host's pair stops waking it, README
 * "Receiving"). Errs towards true: a false true costs a wake-up, a false
 * false would leave the peer waiting for a window.
 */
bool tcp_owner_reads_matter(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	int32_t now_win;

	/* The states tcp_cleanup_rbuf leaves alone. */
	if (!sk->sk_owner_holds || !sk->sk_owner_unread || sk->sk_state == TCP_CLOSE ||
	    sk->sk_state == TCP_LISTEN || sk->sk_state == TCP_SYN_SENT)
		return false;
	if ((tp->ack.pending & ICSK_ACK_SCHED) &&
	    (tp->rcv_nxt - tp->rcv_wup > tp->ack.rcv_mss || tcp_pushed_ack_owed(sk)))
		return true;
	/* After the peer's FIN no segment needs room: only that ACK is left. */
	if (sk->sk_shutdown & RCV_SHUTDOWN)
		return false;
	/* Segments past a hole take space without a data_ready to bring the owner. */
	if (!skb_queue_empty(&tp->out_of_order_queue))
		return true;
	now_win = (int32_t)(tp->rcv_wup + tp->rcv_wnd - tp->rcv_nxt);
	if (now_win < 0 || 2 * (uint32_t)now_win <= tp->window_clamp)
		return true;
	return 2 * tcp_space(sk) < tcp_full_space(sk);
}

/* Copies into the msghdr's iovecs starting at byte pos. */
static void tcp_copy_to_msg(struct msghdr *msg, size_t pos, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < msg->msg_iovlen && n; i++) {
		size_t l = msg->msg_iov[i].iov_len, c;

		if (pos >= l) {
			pos -= l;
			continue;
		}
		c = l - pos < n ? l - pos : n;
		memcpy((uint8_t *)msg->msg_iov[i].iov_base + pos, src, c);
		src += c;
		n -= c;
		pos = 0;
	}
}

/*
 * recv(MSG_OOB) (tcp_recv_urg): the urgent byte once, never blocking. The
 * owner calls it for a byte it has not handed over out of band yet.
 */
static int tcp_recv_urg(struct sock *sk, struct msghdr *msg, size_t len, int flags)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint8_t c = (uint8_t)tp->urg_data;

	if (sock_flag(sk, SOCK_URGINLINE) || !tp->urg_data || tp->urg_data == TCP_URG_READ)
		return -EINVAL;
	if (sk->sk_state == TCP_CLOSE && !sock_flag(sk, SOCK_DONE))
		return -ENOTCONN;
	if (tp->urg_data & TCP_URG_VALID) {
		if (!(flags & MSG_PEEK))
			tp->urg_data = TCP_URG_READ;
		msg->msg_flags |= MSG_OOB;
		if (!len) {
			msg->msg_flags |= MSG_TRUNC;
			return 0;
		}
		if (!(flags & MSG_TRUNC))
			tcp_copy_to_msg(msg, 0, &c, 1);
		return 1;
	}
	if (sk->sk_state == TCP_CLOSE || (sk->sk_shutdown & RCV_SHUTDOWN))
		return 0;
	return -EAGAIN;
}

int tcp_urg_pending(const struct sock *sk, uint32_t *off, uint8_t *byte)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	if (!(tp->urg_data & (TCP_URG_VALID | TCP_URG_READ)))
		return 0;
	/* Read already and now inline (SO_OOBINLINE set late): plain data, as tcp_recvmsg. */
	if (tp->urg_data == TCP_URG_READ && sock_flag(sk, SOCK_URGINLINE))
		return 0;
	*off = tp->urg_seq - tp->copied_seq;
	*byte = (uint8_t)tp->urg_data;
	return tp->urg_data & (TCP_URG_VALID | TCP_URG_READ);
}

int tcp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags, int *addr_len)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t seq = tp->copied_seq, urg_off;
	size_t copied = 0, skip = 0;
	struct sk_buff *skb;

	if (flags & MSG_ERRQUEUE) /* MSG_ZEROCOPY completions (no timestamping) */
		return ip_recv_error(sk, msg, len, addr_len);
	if (sk->sk_state == TCP_LISTEN)
		return -ENOTCONN;
	if (flags & MSG_OOB)
		return tcp_recv_urg(sk, msg, len, flags);
	/* Repair mode reads only by peeking, the receive queue as usual. */
	if (tp->repair && (!(flags & MSG_PEEK) || tp->repair_queue != TCP_RECV_QUEUE))
		return tcp_repair_recvmsg(sk, msg, flags);
	if (!len)
		return 0;
	/* A read stops at the urgent mark and steps over an out-of-band byte there. */
	if (tp->urg_data & (TCP_URG_VALID | TCP_URG_READ)) {
		urg_off = tp->urg_seq - seq;
		if (urg_off)
			len = len < urg_off ? len : urg_off;
		else if (!sock_flag(sk, SOCK_URGINLINE))
			seq++, skip = 1;
	}
	skb_queue_walk (&sk->sk_receive_queue, skb) {
		uint32_t off = seq - TCP_SKB_CB(skb)->seq;
		size_t n;

		if (copied >= len)
			break;
		if (off >= skb->len)
			continue;
		n = skb->len - off;
		if (n > len - copied)
			n = len - copied;
		if (!(flags & MSG_TRUNC))
			tcp_copy_to_msg(msg, copied, skb->data + off, n);
		copied += n;
		seq += (uint32_t)n;
	}
	if (skip && !(flags & MSG_PEEK))
		tcp_consume(sk, skip);
	if (copied) {
		if (!(flags & MSG_PEEK))
			tcp_consume(sk, copied);
		return (int)copied;
	}
	if (sk->sk_err)
		return sock_error(sk);
	if (sk->sk_shutdown & RCV_SHUTDOWN)
		return 0;
	if (sk->sk_state == TCP_CLOSE)
		return -ENOTCONN;
	return -EAGAIN;
}

/* ---- closing ---- */

/* The state close() or shutdown(SHUT_WR) moves to; true when a FIN must go (tcp_close_state). */
static bool tcp_close_state(struct sock *sk)
{
	int next;

	switch (sk->sk_state) {
	case TCP_ESTABLISHED:
	case TCP_SYN_RECV:
		next = TCP_FIN_WAIT1;
		break;
	case TCP_CLOSE_WAIT:
		next = TCP_LAST_ACK;
		break;
	case TCP_SYN_SENT:
	case TCP_LISTEN:
	case TCP_CLOSE:
		tcp_set_state(sk, TCP_CLOSE);
		return false;
	default:
		return false;
	}
	tcp_set_state(sk, next);
	return true;
}

static bool tcp_need_reset(int state)
{
	return (1 << state) & ((1 << TCP_ESTABLISHED) | (1 << TCP_CLOSE_WAIT) |
			       (1 << TCP_FIN_WAIT1) | (1 << TCP_FIN_WAIT2) | (1 << TCP_SYN_RECV));
}

/* A listener stops: every child not yet accepted is aborted (inet_csk_listen_stop). */
static void inet_csk_listen_stop(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk), *child, *tmp;

	list_for_each_entry_safe (child, tmp, &tp->accept_queue, accept_node) {
		struct sock *csk = &child->inet.sk;

		inet_csk_unlink_child(csk);
		if (csk->sk_state == TCP_CLOSE) {
			tcp_done_free(csk); /* reset or timed out while queued: nothing to tell */
			continue;
		}
		tcp_send_active_reset(csk);
		tcp_done(csk);
	}
	list_for_each_entry_safe (child, tmp, &tp->syn_queue, accept_node) {
		tcp_done(&child->inet.sk);
	}
	tcp_fastopen_listen_stop(sk);
}

void tcp_shutdown(struct sock *sk, int how)
{
	if (!(how & SEND_SHUTDOWN))
		return;
	if ((1 << sk->sk_state) & ((1 << TCP_ESTABLISHED) | (1 << TCP_SYN_SENT) |
				   (1 << TCP_SYN_RECV) | (1 << TCP_CLOSE_WAIT))) {
		if (tcp_close_state(sk))
			tcp_send_fin(sk);
	}
}

void tcp_rmem_purge(struct sock *sk)
{
	struct sk_buff_head *q[2] = {&sk->sk_receive_queue, &tcp_sk(sk)->out_of_order_queue};
	struct sk_buff *skb;

	for (int i = 0; i < 2; i++)
		while ((skb = __skb_dequeue(q[i]))) {
			tcp_rmem_uncharge(sk, (int)skb->truesize);
			kfree_skb(skb);
		}
	tcp_owner_release(sk, 0, true);
}

/* Free the receive side; returns how many unread bytes there were. */
static uint32_t tcp_purge_receive(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t unread = tcp_inq(sk);

	tcp_rmem_purge(sk);
	tp->copied_seq = tp->rcv_nxt;
	return unread;
}

void tcp_close(struct sock *sk, long timeout)
{
	struct net *net = sock_net(sk);
	uint32_t unread;

	sk->sk_shutdown = SHUTDOWN_MASK;
	sock_set_flag(sk, SOCK_DEAD); /* the owner is gone: no more callbacks */
	sk->sk_socket = NULL;
	if (sk->sk_state == TCP_LISTEN) {
		tcp_set_state(sk, TCP_CLOSE);
		inet_csk_listen_stop(sk);
		tcp_done_free(sk);
		return;
	}
	unread = tcp_purge_receive(sk);
	if (sk->sk_state == TCP_CLOSE) {
		tcp_done_free(sk);
		return;
	}
	/*
	 * Already in TIME_WAIT: the kernel's socket is CLOSE by then and its
	 * timewait sock, which holds the port, lives on whatever the close
	 * (unread data, SO_LINGER 0); so does this orphan, until its timer.
	 */
	if (sk->sk_state == TCP_TIME_WAIT)
		return;
	/* Repair mode: the socket goes away unseen, no FIN, no RST (it lives on elsewhere). */
	if (tcp_sk(sk)->repair) {
		tcp_disconnect(sk, 0);
		tcp_done_free(sk);
		return;
	}
	if (unread) {
		/* RFC 2525 2.17: unread data means the peer must learn data was lost. */
		__NET_INC_STATS(net, TCPAbortOnData);
		if (tcp_need_reset(sk->sk_state))
			tcp_send_active_reset(sk);
		tcp_done(sk);
		return;
	}
	if (sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime) {
		__NET_INC_STATS(net, TCPAbortOnData);
		if (tcp_need_reset(sk->sk_state))
			tcp_send_active_reset(sk);
		tcp_done(sk);
		return;
	}
	if (tcp_close_state(sk))
		tcp_send_fin(sk);
	if (sk->sk_state == TCP_CLOSE) {
		tcp_done(sk);
		return;
	}
	/* __tcp_close: an orphan from here on, counted before the check that counts it. */
	tcp_orphan_count_inc(sk);
	if (sk->sk_state == TCP_FIN_WAIT2 && tcp_sk(sk)->linger2 < 0) {
		/* TCP_LINGER2 below 0: no FIN_WAIT2 wait for an orphan, a RST instead. */
		tcp_send_active_reset(sk);
		__NET_INC_STATS(net, TCPAbortOnLinger);
		tcp_done(sk);
	} else if (sk->sk_state == TCP_FIN_WAIT2) {
		tcp_time_wait(sk, TCP_FIN_WAIT2, tcp_fin_time(sk));
	} else {
		tcp_close_out_of_resources(sk);
	}
}

int tcp_disconnect(struct sock *sk, int flags)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int old_state = sk->sk_state;

	if (old_state == TCP_LISTEN) {
		tcp_set_state(sk, TCP_CLOSE);
		inet_csk_listen_stop(sk);
	} else if (tp->repair) {
		sk->sk_err = ECONNABORTED; /* no RST: the connection lives on elsewhere */
	} else if (tcp_need_reset(old_state) ||
		   (tp->snd_nxt != tp->write_seq &&
		    ((1 << old_state) & ((1 << TCP_CLOSING) | (1 << TCP_LAST_ACK))))) {
		tcp_send_active_reset(sk);
		sk->sk_err = ECONNRESET;
	} else if (old_state == TCP_SYN_SENT) {
		sk->sk_err = ECONNRESET;
	}
	if (old_state != TCP_CLOSE)
		tcp_set_state(sk, TCP_CLOSE);
	tcp_clear_xmit_timers(sk);
	tcp_saved_syn_free(tp);
	tcp_purge_receive(sk);
	__skb_queue_purge(&sk->sk_write_queue);
	tcp_wmem_uncharge(sk, sk->sk_wmem_queued);
	sk->sk_shutdown = 0;
	sock_reset_flag(sk, SOCK_DONE);
	sk->sk_dport = 0;
	sk->sk_daddr = 0;
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK)) {
		inet_sk(sk)->inet_saddr = 0;
		sk->sk_rcv_saddr = 0;
	}
	tp->send_head = NULL;
	tp->retransmit_hint = NULL;
	INIT_LIST_HEAD(&tp->tsorted_sent_queue);
	tp->sack_hint = NULL;
	tp->packets_out = tp->sacked_out = tp->lost_out = tp->retrans_out = 0;
	tp->fin_rcvd = 0;
	inet_sk(sk)->defer_connect = 0;
	tp->syn_fastopen = tp->syn_fastopen_exp = tp->syn_data = tp->syn_data_acked = 0;
	tp->fastopen_client_fail = 0;
	tp->ecn_flags = 0;
	tp->delivered_ce = 0;
	tp->srtt = tp->rttvar = tp->mdev = tp->mdev_max = 0;
	tp->rto = TCP_TIMEOUT_INIT;
	tp->backoff = tp->retransmits = tp->probes_out = 0;
	tp->probes_tstamp = 0;
	tp->total_rto = tp->total_rto_recoveries = tp->total_rto_time = 0;
	tp->rto_stamp = 0;
	tp->retrans_stamp = 0;
	/* The kernel's next connection is a new sock: it saves its metrics at TIME_WAIT again. */
	tp->timewait = 0;
	tp->dup_acks = 0;
	/*
	 * inet_csk_delack_init: the next connection's first data is acked at
	 * once, as a new socket's, not after the ATO and pingpong mode the
	 * last one left (the delayed-ACK timer went with the others above).
	 * rcv_mss is the kernel's floor until the next handshake sets it.
	 */
	memset(&tp->ack, 0, sizeof(tp->ack));
	tp->ack.rcv_mss = TCP_MIN_MSS;
	/*
	 * The next connect() starts past anything this one sent (tcp_v4_connect
	 * takes a set write_seq as its ISN), so that a peer still holding the
	 * old 4-tuple in TIME_WAIT takes the new SYN; SIOCOUTQ counts it too.
	 */
	tp->write_seq += tp->max_window + 2;
	if (!tp->write_seq)
		tp->write_seq = 1;
	tp->more = false;
	tp->snd_wnd = tp->max_window = 0;
	memset(&tp->cong, 0, sizeof(tp->cong));
	tp->cong.snd_cwnd = TCP_INIT_CWND;
	tp->cong.snd_ssthresh = TCP_INFINITE_SSTHRESH;
	tp->cong.snd_cwnd_clamp = UINT32_MAX;
	memset(&tp->rack, 0, sizeof(tp->rack));
	tp->rack.reo_wnd_steps = 1;
	tp->rtt_min = tp->rtt_min_stamp = 0;
	tp->tlp_high_seq = 0;
	tcp_cleanup_congestion_control(sk);
	tp->mss_cache = TCP_MSS_DEFAULT;
	/* tcp_init_sock, tcp_disconnect: sending starts application-limited (tcp_rate.c). */
	tp->app_limited = ~0u;
	tp->rate_app_limited = true;
	tp->tcp_header_len = sizeof(struct tcphdr);
	tp->rx_opt.mss_clamp = 0;
	tp->window_clamp = 0; /* the next connection chooses its own */
	tp->rx_opt.tstamp_ok = tp->rx_opt.sack_ok = tp->rx_opt.dsack = 0;
	tp->rx_opt.num_sacks = 0;
	tp->rx_opt.ts_recent = 0;
	tp->rx_opt.ts_recent_stamp = 0;
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_error_report(sk);
	return 0;
}

/* ---- listen / accept ---- */

int inet_csk_listen_start(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int err;

	/* tcp_fastopen's bit for Fast Open without the option (inet_listen); each SYN reads the
	 * rest. */
	tcp_sysctl_refresh(&sock_net(sk)->sysctl, TCP_SYSCTL_LISTEN | TCP_SYSCTL_CHILD);
	INIT_LIST_HEAD(&tp->syn_queue);
	INIT_LIST_HEAD(&tp->accept_queue);
	tp->syn_qlen = tp->syn_young = 0;
	sk->sk_ack_backlog = 0;
	/* net.ipv4.tcp_fastopen 0x400: Fast Open without TCP_FASTOPEN (inet_listen). */
	tcp_fastopen_listen(sk, (int)sk->sk_max_ack_backlog);
	sk->sk_state = TCP_LISTEN;
	err = sk->sk_prot->get_port(sk, sk->sk_num);
	if (err) {
		sk->sk_state = TCP_CLOSE;
		return -EADDRINUSE;
	}
	/*
	 * A socket that connected (or tried) refuses to listen only after
	 * the port is taken, as this kernel does: the new port (a failed
	 * connect let the old one go) stays bound, so a later bind() is
	 * EINVAL and the next connect() leaves from it.
	 */
	if (inet_sk(sk)->was_connector) {
		sk->sk_state = TCP_CLOSE;
		return -EINVAL;
	}
	inet_sk(sk)->was_listener = 1;
	return sk->sk_prot->hash(sk);
}

struct sock *inet_csk_accept(struct sock *sk, int flags, int *err)
{
	struct tcp_sock *tp = tcp_sk(sk), *child;
	struct sock *newsk;

	if (sk->sk_state != TCP_LISTEN) {
		*err = -EINVAL;
		return NULL;
	}
	if (list_empty(&tp->accept_queue)) {
		*err = -EAGAIN;
		return NULL;
	}
	child = list_first_entry(&tp->accept_queue, struct tcp_sock, accept_node);
	newsk = &child->inet.sk;
	inet_csk_unlink_child(newsk);
	sock_reset_flag(newsk, SOCK_DEAD);
	*err = 0;
	return newsk;
}

/* ---- options ---- */

static int tcp_get_int(const void *optval, unsigned int optlen, int *val)
{
	if (optlen < sizeof(int))
		return -EINVAL;
	memcpy(val, optval, sizeof(int));
	return 0;
}

int tcp_setsockopt(struct sock *sk, int level, int optname, const void *optval, unsigned int optlen)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int val, err;

	if (level != SOL_TCP)
		return ip_setsockopt(sk, level, optname, optval, optlen);
	/* tcp_set_ulp: no upper layer protocol (kTLS, ...) is found here, as without its module. */
	if (optname == TCP_ULP)
		return (int)optlen < 1 ? -EINVAL : -ENOENT;
	if (optname == TCP_CONGESTION) {
		char name[TCP_CA_NAME_MAX];
		unsigned int n = optlen < sizeof(name) - 1 ? optlen : sizeof(name) - 1;

		if ((int)optlen < 1)
			return -EINVAL;
		/* strncpy_from_sockptr: the name ends at its first NUL. */
		memcpy(name, optval, n);
		name[n] = '\0';
		return tcp_set_congestion_control(sk, name,
						  ns_capable(sock_net(sk), CAP_NET_ADMIN));
	}
	switch (optname) {
	case TCP_FASTOPEN:
	case TCP_FASTOPEN_KEY:
	case TCP_FASTOPEN_CONNECT:
	case TCP_FASTOPEN_NO_COOKIE:
		return tcp_fastopen_setsockopt(sk, optname, optval, optlen);
	case TCP_MD5SIG:
	case TCP_MD5SIG_EXT:
		/* Write-only: getsockopt knows neither (ENOPROTOOPT), as the kernel's. */
		return tcp_md5_setsockopt(sk, optname, optval, optlen);
	}
	err = tcp_get_int(optval, optlen, &val);
	if (err)
		return err;
	switch (optname) {
	case TCP_MAXSEG:
		if (val && (val < (int)TCP_MIN_MSS || val > (int)MAX_TCP_WINDOW))
			return -EINVAL;
		tp->rx_opt.user_mss = (uint16_t)val;
		return 0;
	case TCP_NODELAY:
		if (val) {
			tp->nonagle |= TCP_NAGLE_OFF | TCP_NAGLE_PUSH;
			tcp_push_pending_frames(sk, tp->nonagle);
			tp->nonagle &= (uint8_t)~TCP_NAGLE_PUSH;
		} else {
			tp->nonagle &= (uint8_t)~TCP_NAGLE_OFF;
		}
		return 0;
	case TCP_CORK:
		if (val) {
			tp->nonagle |= TCP_NAGLE_CORK;
		} else {
			tp->nonagle &= (uint8_t)~TCP_NAGLE_CORK;
			if (tp->nonagle & TCP_NAGLE_OFF)
				tp->nonagle |= TCP_NAGLE_PUSH;
			tcp_push_pending_frames(sk, tp->nonagle | TCP_NAGLE_PUSH);
			tp->nonagle &= (uint8_t)~TCP_NAGLE_PUSH;
		}
		return 0;
	case TCP_KEEPIDLE:
		if (val < 1 || val > TCP_MAX_TCP_KEEPIDLE)
			return -EINVAL;
		tp->keepalive_time = val;
		if (sock_flag(sk, SOCK_KEEPOPEN) &&
		    !((1 << sk->sk_state) & ((1 << TCP_CLOSE) | (1 << TCP_LISTEN))))
			tcp_reset_keepalive_timer(sk, keepalive_time_when(tp));
		return 0;
	case TCP_KEEPINTVL:
		if (val < 1 || val > TCP_MAX_TCP_KEEPINTVL)
			return -EINVAL;
		tp->keepalive_intvl = val;
		return 0;
	case TCP_KEEPCNT:
		if (val < 1 || val > TCP_MAX_TCP_KEEPCNT)
			return -EINVAL;
		tp->keepalive_probes = (uint8_t)val;
		return 0;
	case TCP_SYNCNT:
		if (val < 1 || val > MAX_TCP_SYNCNT)
			return -EINVAL;
		tp->syn_retries = (uint8_t)val;
		return 0;
	case TCP_LINGER2:
		tp->linger2 = val < 0			    ? -1
			      : val > TCP_FIN_TIMEOUT_MAX_S ? TCP_FIN_TIMEOUT_MAX_S
							    : val;
		return 0;
	case TCP_DEFER_ACCEPT:
		tp->defer_accept = secs_to_retrans(val, TCP_TIMEOUT_INIT_S, TCP_RTO_MAX_S);
		return 0;
	case TCP_WINDOW_CLAMP:
		return tcp_set_window_clamp(sk, val);
	case TCP_QUICKACK:
		/*
		 * __tcp_sock_set_quickack: 0 delays ACKs (pingpong); non-zero
		 * ends that and sends the ACK owed, when tcp_cleanup_rbuf would
		 * for a pushed segment (the receive queue read empty, or more
		 * than a segment unacknowledged). It renews no quick-ACK credit.
		 */
		if (!val) {
			tp->ack.pingpong = true;
			return 0;
		}
		tp->ack.pingpong = false;
		if ((sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_CLOSE_WAIT) &&
		    (tp->ack.pending & ICSK_ACK_SCHED)) {
			if (tp->rcv_nxt - tp->rcv_wup > tp->ack.rcv_mss || !sk->sk_rmem_alloc)
				tcp_send_ack(sk);
			if (!(val & 1))
				tp->ack.pingpong = true;
		}
		return 0;
	case TCP_USER_TIMEOUT:
		if (val < 0)
			return -EINVAL;
		tp->user_timeout = (uint32_t)val;
		return 0;
	case TCP_INQ:
		if (val < 0 || val > 1)
			return -EINVAL;
		tp->recvmsg_inq = (uint8_t)val;
		return 0;
	case TCP_SAVE_SYN:
		if (val < 0 || val > 2)
			return -EINVAL;
		tp->save_syn = (uint8_t)val;
		return 0;
	case TCP_NOTSENT_LOWAT:
		/* Any value; a lower mark may stop the owner's writes, a higher one wakes them. */
		tp->notsent_lowat = (uint32_t)val;
		sk->sk_write_space(sk);
		return 0;
	case TCP_REPAIR:
	case TCP_REPAIR_QUEUE:
	case TCP_QUEUE_SEQ:
	case TCP_REPAIR_OPTIONS:
	case TCP_REPAIR_WINDOW:
	case TCP_TIMESTAMP:
		return tcp_repair_setsockopt(sk, optname, optval, optlen, val);
	case TCP_THIN_LINEAR_TIMEOUTS:
		if (val < 0 || val > 1)
			return -EINVAL;
		tp->thin_lto = (uint8_t)val;
		return 0;
	case TCP_THIN_DUPACK:
		/* Gone from the kernel's recovery (RACK covers it): checked, then ignored. */
		return val < 0 || val > 1 ? -EINVAL : 0;
	case TCP_TX_DELAY:
		if (val < 0)
			return -EINVAL;
		tp->tcp_tx_delay = (uint32_t)val;
		return 0;
	case TCP_RTO_MAX_MS:
		if (val < (int)(NSEC_PER_SEC / NSEC_PER_MSEC) || val > TCP_RTO_MAX_S * 1000)
			return -EINVAL;
		tp->rto_max = tcp_rto_jiffies((uint64_t)val * NSEC_PER_MSEC);
		return 0;
	case TCP_RTO_MIN_US:
	case TCP_DELACK_MAX_US: {
		/* Whole jiffies (usecs_to_jiffies of the unsigned value), 2 to 50 of them. */
		uint64_t j = tcp_rto_jiffies((uint64_t)(uint32_t)val * NSEC_PER_USEC);

		if (j < 2 * TCP_JIFFY ||
		    j > (optname == TCP_RTO_MIN_US ? TCP_RTO_MIN : TCP_DELACK_MAX))
			return -EINVAL;
		if (optname == TCP_RTO_MIN_US)
			tp->rto_min = j;
		else
			tp->delack_max = j;
		return 0;
	}
	default:
		return -ENOPROTOOPT;
	}
}

/*
 * The kernel's struct tcp_info is longer than the UAPI header the stack is
 * built with (280 bytes on 6.18, 232 in 6.1's header): the fields after
 * tcpi_snd_wnd. Of those the stack fills tcpi_rcv_wnd and the RTO counts
 * (tcpi_total_rto*); it does not rehash or do AccECN, so the others are 0.
 */
struct tcp_info_full {
	struct tcp_info base;
	uint32_t tcpi_rcv_wnd;
	uint32_t tcpi_rehash;
	uint16_t tcpi_total_rto;
	uint16_t tcpi_total_rto_recoveries;
	uint32_t tcpi_total_rto_time;
	uint32_t tcpi_received_ce;
	uint32_t tcpi_delivered_e1_bytes;
	uint32_t tcpi_delivered_e0_bytes;
	uint32_t tcpi_delivered_ce_bytes;
	uint32_t tcpi_received_e1_bytes;
	uint32_t tcpi_received_e0_bytes;
	uint32_t tcpi_received_ce_bytes;
	uint16_t tcpi_accecn_fail_mode;
	uint16_t tcpi_accecn_opt_seen;
};
_Static_assert(sizeof(struct tcp_info) == 232, "struct tcp_info_full extends the 6.1 header");
_Static_assert(sizeof(struct tcp_info_full) == 280, "the kernel's struct tcp_info");

static void tcp_get_info(struct sock *sk, struct tcp_info_full *full)
{
	struct tcp_info *info = &full->base;

	struct tcp_sock *tp = tcp_sk(sk);
	uint64_t now = sock_net(sk)->now, busy, rwnd, sndbuf;

	memset(full, 0, sizeof(*full));
	info->tcpi_state = (uint8_t)sk_user_state(sk);
	if (sk->sk_state == TCP_LISTEN) {
		info->tcpi_unacked = sk->sk_ack_backlog;
		info->tcpi_sacked = sk->sk_max_ack_backlog;
		return;
	}
	info->tcpi_ca_state = tp->cong.ca_state;
	info->tcpi_retransmits = tp->retransmits;
	info->tcpi_probes = tp->probes_out;
	info->tcpi_backoff = tp->backoff;
	info->tcpi_rto = (uint32_t)(tp->rto / NSEC_PER_USEC);
	info->tcpi_ato = (uint32_t)(tp->ack.ato / NSEC_PER_USEC);
	if (tp->rx_opt.wscale_ok) {
		info->tcpi_options |= TCPI_OPT_WSCALE;
		info->tcpi_snd_wscale = tp->rx_opt.snd_wscale;
		info->tcpi_rcv_wscale = tp->rx_opt.rcv_wscale;
	}
	if (tp->rx_opt.tstamp_ok)
		info->tcpi_options |= TCPI_OPT_TIMESTAMPS;
	if (tp->rx_opt.sack_ok)
		info->tcpi_options |= TCPI_OPT_SACK;
	if (tp->syn_data_acked)
		info->tcpi_options |= TCPI_OPT_SYN_DATA;
	if (tp->ecn_flags & TCP_ECN_OK)
		info->tcpi_options |= TCPI_OPT_ECN;
	if (tp->ecn_flags & TCP_ECN_SEEN)
		info->tcpi_options |= TCPI_OPT_ECN_SEEN;
	info->tcpi_delivered_ce = tp->delivered_ce;
	info->tcpi_fastopen_client_fail = tp->fastopen_client_fail & 3;
	info->tcpi_snd_mss = tp->mss_cache;
	info->tcpi_rcv_mss = tp->ack.rcv_mss;
	info->tcpi_unacked = tp->packets_out;
	info->tcpi_sacked = tp->sacked_out;
	info->tcpi_lost = tp->lost_out;
	info->tcpi_retrans = tp->retrans_out;
	info->tcpi_last_data_sent = (uint32_t)((now - tp->lsndtime) / NSEC_PER_MSEC);
	info->tcpi_last_data_recv = (uint32_t)((now - tp->last_data_recv) / NSEC_PER_MSEC);
	info->tcpi_last_ack_recv = (uint32_t)((now - tp->last_ack_recv) / NSEC_PER_MSEC);
	info->tcpi_pmtu = tp->mss_cache ? tcp_mss_for_mtu(sk) + 40 : 0;
	info->tcpi_rcv_ssthresh = tp->rcv_ssthresh;
	info->tcpi_rtt = (uint32_t)(tp->srtt / NSEC_PER_USEC);
	info->tcpi_rttvar = (uint32_t)(tp->mdev / 4 / NSEC_PER_USEC);
	info->tcpi_snd_ssthresh = tp->cong.snd_ssthresh;
	info->tcpi_snd_cwnd = tp->cong.snd_cwnd;
	info->tcpi_advmss = tp->advmss;
	info->tcpi_reordering = tp->reordering;
	info->tcpi_rcv_space = tp->rcvq_space.space;
	info->tcpi_rcv_rtt = tp->rcv_rtt_est.rtt_us >> 3;
	info->tcpi_total_retrans = tp->total_retrans;
	info->tcpi_bytes_acked = tp->bytes_acked;
	info->tcpi_bytes_received = tp->bytes_received;
	info->tcpi_segs_out = tp->segs_out;
	info->tcpi_segs_in = tp->segs_in;
	info->tcpi_notsent_bytes = tp->write_seq - tp->snd_nxt;
	info->tcpi_data_segs_in = tp->data_segs_in;
	info->tcpi_data_segs_out = tp->data_segs_out;
	info->tcpi_snd_wnd = tp->snd_wnd;
	info->tcpi_bytes_sent = tp->bytes_sent;
	info->tcpi_bytes_retrans = tp->bytes_retrans;
	info->tcpi_dsack_dups = tp->dsack_dups;
	info->tcpi_reord_seen = tp->reord_seen;
	/* Pacing and delivery rate (tcp_get_info's rate fields). */
	/* SO_MAX_PACING_RATE caps the rate at once; the transmit path takes it at the next ACK. */
	info->tcpi_pacing_rate = tp->sk_pacing_rate < sk->sk_max_pacing_rate
					 ? tp->sk_pacing_rate
					 : sk->sk_max_pacing_rate;
	info->tcpi_max_pacing_rate = sk->sk_max_pacing_rate;
	info->tcpi_min_rtt = tp->rtt_min ? (uint32_t)(tp->rtt_min / NSEC_PER_USEC) : ~0u;
	info->tcpi_delivered = tp->delivered;
	info->tcpi_delivery_rate_app_limited = tp->rate_app_limited;
	if (tp->rate_interval_us)
		info->tcpi_delivery_rate = (uint64_t)tp->rate_delivered * tp->mss_cache *
					   1000000ull / tp->rate_interval_us;
	tcp_chrono_stats(tp, &busy, &rwnd, &sndbuf);
	info->tcpi_busy_time = busy;
	info->tcpi_rwnd_limited = rwnd;
	info->tcpi_sndbuf_limited = sndbuf;
	full->tcpi_rcv_wnd = tp->rcv_wnd;
	full->tcpi_total_rto = (uint16_t)tp->total_rto;
	full->tcpi_total_rto_recoveries = (uint16_t)tp->total_rto_recoveries;
	full->tcpi_total_rto_time = tp->total_rto_time;
	if (tp->rto_stamp) /* an episode still running */
		full->tcpi_total_rto_time +=
			(uint32_t)((sock_net(sk)->now - tp->rto_stamp) / NSEC_PER_MSEC);
}

/* This libc's linux/tcp.h is older than the kernel's (6.2 added it). */
#ifndef TCP_NLA_REHASH
#define TCP_NLA_REHASH (TCP_NLA_TTL + 1)
#endif

/* nla_put: a struct nlattr (length, type), the value, padded to 4 bytes. */
static void tcp_nla_put(struct sk_buff *skb, uint16_t type, const void *val, uint16_t len)
{
	uint16_t hdr[2] = {(uint16_t)(4 + len), type};
	uint8_t *p = skb_put(skb, (4u + len + 3) & ~3u);

	memset(p, 0, (4u + len + 3) & ~3u);
	memcpy(p, hdr, sizeof(hdr));
	memcpy(p + 4, val, len);
}

#define TCP_NLA_PUT(skb, type, v)                                                                  \
	do {                                                                                       \
		__typeof__(v) v_ = (v);                                                            \
		tcp_nla_put(skb, type, &v_, sizeof(v_));                                           \
	} while (0)

struct sk_buff *tcp_get_timestamping_opt_stats(struct sock *sk, const struct sk_buff *orig,
					       bool ack)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_info_full full;
	const struct tcp_info *info = &full.base;
	struct sk_buff *skb = alloc_skb(512);
	int32_t notsent = (int32_t)(tp->write_seq - tp->snd_nxt);

	if (!skb)
		return NULL;
	tcp_get_info(sk, &full);
	/* In the kernel's order and sizes. The stack keeps no rehash count: 0. */
	TCP_NLA_PUT(skb, TCP_NLA_BUSY, (uint64_t)info->tcpi_busy_time);
	TCP_NLA_PUT(skb, TCP_NLA_RWND_LIMITED, (uint64_t)info->tcpi_rwnd_limited);
	TCP_NLA_PUT(skb, TCP_NLA_SNDBUF_LIMITED, (uint64_t)info->tcpi_sndbuf_limited);
	TCP_NLA_PUT(skb, TCP_NLA_DATA_SEGS_OUT, (uint64_t)tp->data_segs_out);
	TCP_NLA_PUT(skb, TCP_NLA_TOTAL_RETRANS, (uint64_t)tp->total_retrans);
	TCP_NLA_PUT(skb, TCP_NLA_PACING_RATE, (uint64_t)info->tcpi_pacing_rate);
	TCP_NLA_PUT(skb, TCP_NLA_DELIVERY_RATE, (uint64_t)info->tcpi_delivery_rate);
	TCP_NLA_PUT(skb, TCP_NLA_SND_CWND, (uint32_t)info->tcpi_snd_cwnd);
	TCP_NLA_PUT(skb, TCP_NLA_REORDERING, (uint32_t)info->tcpi_reordering);
	TCP_NLA_PUT(skb, TCP_NLA_MIN_RTT, (uint32_t)info->tcpi_min_rtt);
	TCP_NLA_PUT(skb, TCP_NLA_RECUR_RETRANS, (uint8_t)tp->retransmits);
	TCP_NLA_PUT(skb, TCP_NLA_DELIVERY_RATE_APP_LMT, (uint8_t) !!tp->rate_app_limited);
	TCP_NLA_PUT(skb, TCP_NLA_SND_SSTHRESH, (uint32_t)info->tcpi_snd_ssthresh);
	TCP_NLA_PUT(skb, TCP_NLA_DELIVERED, (uint32_t)tp->delivered);
	TCP_NLA_PUT(skb, TCP_NLA_DELIVERED_CE, (uint32_t)tp->delivered_ce);
	TCP_NLA_PUT(skb, TCP_NLA_SNDQ_SIZE, (uint32_t)(tp->write_seq - tp->snd_una));
	TCP_NLA_PUT(skb, TCP_NLA_CA_STATE, (uint8_t)tp->cong.ca_state);
	TCP_NLA_PUT(skb, TCP_NLA_BYTES_SENT, (uint64_t)tp->bytes_sent);
	TCP_NLA_PUT(skb, TCP_NLA_BYTES_RETRANS, (uint64_t)tp->bytes_retrans);
	TCP_NLA_PUT(skb, TCP_NLA_DSACK_DUPS, (uint32_t)tp->dsack_dups);
	TCP_NLA_PUT(skb, TCP_NLA_REORD_SEEN, (uint32_t)tp->reord_seen);
	TCP_NLA_PUT(skb, TCP_NLA_SRTT, (uint32_t)info->tcpi_rtt);
	TCP_NLA_PUT(skb, TCP_NLA_TIMEOUT_REHASH, (uint16_t)0);
	TCP_NLA_PUT(skb, TCP_NLA_BYTES_NOTSENT, (uint32_t)(notsent > 0 ? notsent : 0));
	/* The segment's departure time (skb_mstamp_ns), on the stack clock. */
	TCP_NLA_PUT(skb, TCP_NLA_EDT, (uint64_t)TCP_SKB_CB(orig)->when);
	/* The ACK's TTL, for the stamp the ACK made (tcp_skb_ttl_or_hop_limit). */
	if (ack)
		TCP_NLA_PUT(skb, TCP_NLA_TTL, (uint8_t)tp->ack_ttl);
	TCP_NLA_PUT(skb, TCP_NLA_REHASH, (uint32_t)0);
	return skb;
}

/*
 * TCP_SAVED_SYN: the SYN's headers once, then none (length 0). A buffer too
 * short for them is EINVAL with *optlen set to what they need.
 */
static int tcp_get_saved_syn(struct tcp_sock *tp, void *optval, int *optlen)
{
	int len;

	if (!tp->saved_syn) {
		*optlen = 0;
		return 0;
	}
	len = (int)tcp_saved_syn_len(tp->saved_syn);
	if (*optlen < len) {
		*optlen = len;
		return -EINVAL;
	}
	memcpy(optval, tp->saved_syn->data, (size_t)len);
	*optlen = len;
	tcp_saved_syn_free(tp);
	return 0;
}

int tcp_getsockopt(struct sock *sk, int level, int optname, void *optval, int *optlen)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	int val, len;

	if (level != SOL_TCP)
		return ip_getsockopt(sk, level, optname, optval, optlen);
	len = *optlen;
	if (len < 0)
		return -EINVAL;
	switch (optname) {
	case TCP_INFO: {
		struct tcp_info_full info;

		tcp_get_info(sk, &info);
		if ((size_t)len > sizeof(info))
			len = sizeof(info);
		memcpy(optval, &info, (size_t)len);
		*optlen = len;
		return 0;
	}
	case TCP_CONGESTION: {
		/* The kernel copies len bytes of the NUL-padded char name[16]. */
		char name[TCP_CA_NAME_MAX] = {0};

		if (len > TCP_CA_NAME_MAX)
			len = TCP_CA_NAME_MAX;
		strncpy(name, tp->ca_ops->name, sizeof(name) - 1);
		memcpy(optval, name, (size_t)len);
		*optlen = len;
		return 0;
	}
	case TCP_CC_INFO: {
		/* Neither reno nor cubic has get_info: zero bytes, success. */
		union tcp_cc_info info;
		size_t sz = 0;
		int attr;

		if (tp->ca_ops->get_info)
			sz = tp->ca_ops->get_info(sk, ~0u, &attr, &info);
		if ((size_t)len > sz)
			len = (int)sz;
		memcpy(optval, &info, (size_t)len);
		*optlen = len;
		return 0;
	}
	case TCP_MAXSEG:
		val = tp->mss_cache;
		if (tp->rx_opt.user_mss &&
		    ((1 << sk->sk_state) & ((1 << TCP_CLOSE) | (1 << TCP_LISTEN))))
			val = tp->rx_opt.user_mss;
		if (tp->repair) /* what a dump keeps for TCP_REPAIR_OPTIONS */
			val = tp->rx_opt.mss_clamp;
		break;
	case TCP_NODELAY:
		val = !!(tp->nonagle & TCP_NAGLE_OFF);
		break;
	case TCP_CORK:
		val = !!(tp->nonagle & TCP_NAGLE_CORK);
		break;
	case TCP_KEEPIDLE:
		val = (int)(keepalive_time_when(tp) / NSEC_PER_SEC);
		break;
	case TCP_KEEPINTVL:
		val = (int)(keepalive_intvl_when(tp) / NSEC_PER_SEC);
		break;
	case TCP_KEEPCNT:
		val = keepalive_probes(tp);
		break;
	case TCP_SYNCNT:
		tcp_sysctl_refresh(&net->sysctl, TCP_SYSCTL_SYNCNT);
		val = tp->syn_retries ? tp->syn_retries : net->sysctl.tcp_syn_retries;
		break;
	case TCP_LINGER2:
		tcp_sysctl_refresh(&net->sysctl, TCP_SYSCTL_FIN);
		val = tp->linger2;
		if (val >= 0)
			val = val ? val : net->sysctl.tcp_fin_timeout;
		break;
	case TCP_DEFER_ACCEPT:
		val = retrans_to_secs(tp->defer_accept, TCP_TIMEOUT_INIT_S, TCP_RTO_MAX_S);
		break;
	case TCP_WINDOW_CLAMP:
		val = (int)tp->window_clamp;
		break;
	case TCP_QUICKACK:
		val = !tp->ack.pingpong;
		break;
	case TCP_USER_TIMEOUT:
		val = (int)tp->user_timeout;
		break;
	case TCP_FASTOPEN:
	case TCP_FASTOPEN_KEY:
	case TCP_FASTOPEN_CONNECT:
	case TCP_FASTOPEN_NO_COOKIE:
		return tcp_fastopen_getsockopt(sk, optname, optval, optlen);
	case TCP_INQ:
		val = tp->recvmsg_inq;
		break;
	case TCP_SAVE_SYN:
		val = tp->save_syn;
		break;
	case TCP_SAVED_SYN:
		return tcp_get_saved_syn(tp, optval, optlen);
	case TCP_NOTSENT_LOWAT:
		val = (int)tp->notsent_lowat;
		break;
	case TCP_REPAIR:
	case TCP_REPAIR_QUEUE:
	case TCP_QUEUE_SEQ: {
		int err = tcp_repair_get_int(sk, optname, &val);

		if (err)
			return err;
		break;
	}
	case TCP_REPAIR_WINDOW:
		return tcp_repair_get_window(sk, optval, optlen);
	case TCP_THIN_LINEAR_TIMEOUTS:
		val = tp->thin_lto;
		break;
	case TCP_THIN_DUPACK:
		val = 0;
		break;
	case TCP_TIMESTAMP:
		/* The low bit says microsecond stamps (tcp_usec_ts): never here. */
		val = (int)((tcp_time_stamp_ts(tp) + tp->tsoffset) & ~1u);
		break;
	case TCP_ULP:
		/* No upper layer protocol is attached: an empty name. */
		*optlen = 0;
		return 0;
	case TCP_TX_DELAY:
		val = (int)tp->tcp_tx_delay;
		break;
	case TCP_RTO_MAX_MS:
		val = (int)(tp->rto_max / NSEC_PER_MSEC);
		break;
	case TCP_RTO_MIN_US:
		val = (int)(tp->rto_min / NSEC_PER_USEC);
		break;
	case TCP_DELACK_MAX_US:
		val = (int)(tp->delack_max / NSEC_PER_USEC);
		break;
	case TCP_IS_MPTCP:
		val = 0;
		break;
	default:
		return -ENOPROTOOPT;
	}
	if (len > (int)sizeof(int))
		len = sizeof(int);
	memcpy(optval, &val, (size_t)len);
	*optlen = len;
	return 0;
}

int tcp_ioctl(struct sock *sk, int cmd, int *karg)
{
	struct tcp_sock *tp = tcp_sk(sk);

	switch (cmd) {
	case SIOCINQ:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		*karg = (int)tcp_inq(sk);
		return 0;
	case SIOCOUTQ:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		if ((1 << sk->sk_state) & ((1 << TCP_SYN_SENT) | (1 << TCP_SYN_RECV)))
			*karg = 0;
		else
			*karg = (int)(tp->write_seq - tp->snd_una);
		return 0;
	case SIOCOUTQNSD:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		if ((1 << sk->sk_state) & ((1 << TCP_SYN_SENT) | (1 << TCP_SYN_RECV)))
			*karg = 0;
		else
			*karg = (int)(tp->write_seq - tp->snd_nxt);
		return 0;
	case SIOCATMARK:
		/* The next byte to read is the urgent one (any state, a listener's too). */
		*karg = tp->urg_data && tp->urg_seq == tp->copied_seq;
		return 0;
	default:
		return -ENOIOCTLCMD;
	}
}
