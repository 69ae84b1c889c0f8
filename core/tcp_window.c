// SPDX-License-Identifier: MIT
/*
 * The receive window, as the kernel chooses it (net/ipv4/tcp_input.c's
 * "Buffer size and advertised window tuning", tcp_output.c's
 * tcp_select_initial_window, __tcp_select_window and tcp_select_window):
 *
 * - the buffer is memory, the window is payload: tcp_win_from_space scales
 *   one into the other by scaling_ratio, payload per 256 bytes of memory,
 *   half until the first full-sized segment is measured (tcp_measure_rcv_mss);
 * - window_clamp is the largest window ever offered: the full space less one
 *   segment of "application buffer" (tcp_init_buffer_space), following the
 *   buffer as it autotunes and the ratio as it is measured;
 * - rcv_ssthresh is the window the peer has earned so far: the first window
 *   at the handshake, grown by two segments per segment of data that arrives
 *   while the buffer has room (tcp_grow_window), so that a peer sees a
 *   window that opens in step with its slow start, not the whole buffer.
 *
 * The stack has no skbs of the kernel's shape, so what a received segment
 * costs (its truesize) is attributed: tcp_rx_truesize. Each buffer on the
 * receive queues is charged that, or only its payload's part when the
 * kernel would have merged its frame into the tail's skb (tcp_queue_rcv);
 * what the owner consumed stays charged until its program has read it.
 *
 * Under memory pressure (tcp_mem, sock_mem.c) rcv_ssthresh is held at four
 * segments (tcp_adjust_rcv_ssthresh) and the window stops growing, as the
 * kernel's.
 */
#include <errno.h>

#include "net_namespace.h"
#include "tcp.h"

/*
 * What the kernel's skb for a received frame costs, measured on this
 * kernel (6.18) over a veth from a kernel TCP sender, whose skb it is: a
 * small head (SKB_SMALL_HEAD_CACHE_SIZE, 576 bytes, plus the 256-byte
 * sk_buff: 832) with the payload in page fragments, charged byte for byte
 * up to five segments and about 168 bytes more for each segment past five
 * in one frame. The ratio the kernel measured from the first frame
 * (TCP_WINDOW_CLAMP over a locked SO_RCVBUF) was, at MTU 1500, 162 for
 * one segment of 1448 bytes, 198 for two, 229 for five, seven and ten; at
 * MTU 65535, 245, 249 and 252 for one segment of 20000, 32767 and 65432
 * bytes. len + 832 + 168 per segment past five gives each of them.
 */
#define TCP_RX_HEAD_TRUESIZE  832u
#define TCP_RX_SEG_TRUESIZE   168u
#define TCP_RX_SEGS_IN_A_HEAD 5u

uint32_t tcp_rx_truesize(uint32_t len, uint32_t segs)
{
	uint32_t past = segs > TCP_RX_SEGS_IN_A_HEAD ? segs - TCP_RX_SEGS_IN_A_HEAD : 0;

	return len + TCP_RX_HEAD_TRUESIZE + past * TCP_RX_SEG_TRUESIZE;
}

uint32_t tcp_rx_frag_truesize(uint32_t truesize)
{
	return truesize - TCP_RX_HEAD_TRUESIZE;
}

/*
 * What alloc_skb(size) costs, as tcp_collapse's fresh skbs (__alloc_skb,
 * kmalloc_reserve, SKB_TRUESIZE): the data rounded to a cache line (64)
 * with skb_shared_info (320) behind it comes from the small head cache
 * (576) or the next kmalloc size, a power of two from 1024; the sk_buff
 * (256) is added. *room is what the head holds for data.
 */
#define SKB_SHINFO_SIZE	    320u
#define SKB_SMALL_HEAD_SIZE 576u
#define SKB_STRUCT_TRUESIZE 256u

uint32_t tcp_rx_linear_truesize(uint32_t size, uint32_t *room)
{
	uint32_t need = ((size + 63u) & ~63u) + SKB_SHINFO_SIZE, obj = SKB_SMALL_HEAD_SIZE;

	if (need > obj)
		for (obj = 1024; obj < need; obj <<= 1)
			;
	*room = obj - SKB_SHINFO_SIZE;
	return obj + SKB_STRUCT_TRUESIZE;
}

/*
 * The buffer hit its memory bounds (tcp_clamp_window, from
 * tcp_prune_queue): the buffer grows to what is charged, up to
 * tcp_rmem[2], unless it is locked or the pool is past tcp_mem[0]; if
 * that does not hold what is charged, the peer earns no more than two
 * segments of window.
 */
void tcp_clamp_window(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int rmem2 = sock_net(sk)->sysctl.tcp_rmem[2];

	tp->ack.quick = 0;
	if (sk->sk_rcvbuf < rmem2 && !(sk->sk_userlocks & SOCK_RCVBUF_LOCK) &&
	    tcp_mem_allows_sndbuf_growth(sk))
		sk->sk_rcvbuf = sk->sk_rmem_alloc < rmem2 ? sk->sk_rmem_alloc : rmem2;
	if (sk->sk_rmem_alloc > sk->sk_rcvbuf)
		tp->rcv_ssthresh =
			tp->window_clamp < 2 * tp->advmss ? tp->window_clamp : 2 * tp->advmss;
}

int tcp_win_from_space(const struct sock *sk, int64_t space)
{
	return (int)((space * tcp_sk(sk)->scaling_ratio) >> TCP_RMEM_TO_WIN_SCALE);
}

/* The memory a window of win payload bytes takes (tcp_space_from_win). */
int64_t tcp_space_from_win(const struct sock *sk, int64_t win)
{
	return (win << TCP_RMEM_TO_WIN_SCALE) / tcp_sk(sk)->scaling_ratio;
}

/*
 * Free receive space, as payload (tcp_space): the buffer less what the
 * receive queues are charged, which holds what the owner consumed and its
 * program has not read (tcp_consume keeps it charged, as the kernel's
 * queue keeps its skbs until recvmsg). May be negative.
 */
int tcp_space(const struct sock *sk)
{
	return tcp_win_from_space(sk, (int64_t)sk->sk_rcvbuf - sk->sk_rmem_alloc);
}

int tcp_full_space(const struct sock *sk)
{
	return tcp_win_from_space(sk, sk->sk_rcvbuf);
}

/* rcv_ssthresh no higher than new_ssthresh (__tcp_adjust_rcv_ssthresh; no SO_RESERVE_MEM). */
static void __tcp_adjust_rcv_ssthresh(struct sock *sk, uint32_t new_ssthresh)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->rcv_ssthresh > new_ssthresh)
		tp->rcv_ssthresh = new_ssthresh;
}

/* Under memory pressure the window the peer may use is four segments. */
void tcp_adjust_rcv_ssthresh(struct sock *sk)
{
	__tcp_adjust_rcv_ssthresh(sk, 4u * tcp_sk(sk)->advmss);
}

/*
 * TCP_WINDOW_CLAMP and the clamp following the measured ratio
 * (tcp_set_window_clamp): 0 only on a closed socket, at least half of
 * SOCK_MIN_RCVBUF; a smaller clamp lowers rcv_ssthresh, a larger one lets
 * it rise to the window already offered.
 */
int tcp_set_window_clamp(struct sock *sk, int val)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t old = tp->window_clamp, clamp, ssthresh;

	if (!val) {
		if (sk->sk_state != TCP_CLOSE)
			return -EINVAL;
		tp->window_clamp = 0;
		return 0;
	}
	clamp = val < SOCK_MIN_RCVBUF / 2 ? SOCK_MIN_RCVBUF / 2 : (uint32_t)val;
	if (clamp == old)
		return 0;
	tp->window_clamp = clamp;
	if (clamp < old) {
		__tcp_adjust_rcv_ssthresh(sk, clamp);
	} else {
		ssthresh = tp->rcv_wnd < clamp ? tp->rcv_wnd : clamp;
		if (ssthresh > tp->rcv_ssthresh)
			tp->rcv_ssthresh = ssthresh;
	}
	return 0;
}

/*
 * The first window, its clamp and our window-scale shift
 * (tcp_select_initial_window), from space, the full space the buffer gives:
 * no more than the clamp, rounded down to whole segments of mss; the shift
 * for the largest the buffer may grow to (tcp_rmem[2], rmem_max, within
 * the clamp), at most 14 (RFC 7323 2.3); the clamp then no more than 16
 * bits can say at that shift.
 */
static void tcp_select_initial_window(const struct sock *sk, int full_space, uint32_t mss,
				      uint32_t *rcv_wnd, uint32_t *window_clamp, bool wscale_ok,
				      uint8_t *rcv_wscale)
{
	const struct net *net = sock_net(sk);
	uint32_t space = full_space < 0 ? 0 : (uint32_t)full_space;
	uint32_t clamp = *window_clamp ? *window_clamp : TCP_MAX_WINDOW << TCP_MAX_WSCALE;
	int shift = 0;

	if (space > clamp)
		space = clamp;
	if (space > mss)
		space = space / mss * mss;
	*rcv_wnd = space;
	if (wscale_ok) {
		if ((uint32_t)net->sysctl.tcp_rmem[2] > space)
			space = (uint32_t)net->sysctl.tcp_rmem[2];
		if ((uint32_t)net->sysctl.rmem_max > space)
			space = (uint32_t)net->sysctl.rmem_max;
		if (space > clamp)
			space = clamp;
		while (shift < TCP_MAX_WSCALE && (space >> shift) > TCP_MAX_WINDOW)
			shift++;
	}
	*rcv_wscale = (uint8_t)shift;
	if (clamp > TCP_MAX_WINDOW << shift)
		clamp = TCP_MAX_WINDOW << shift;
	*window_clamp = clamp;
}

/*
 * Our guess of the peer's segment size before any data (tcp_initialize_rcv_mss):
 * better low than high, since it paces our ACKs; at most 536, and no more than
 * half the first window.
 */
void tcp_initialize_rcv_mss(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t hint = tp->advmss < tp->mss_cache ? tp->advmss : tp->mss_cache;

	if (hint > tp->rcv_wnd / 2)
		hint = tp->rcv_wnd / 2;
	if (hint > TCP_MSS_DEFAULT)
		hint = TCP_MSS_DEFAULT;
	if (hint < TCP_MIN_MSS)
		hint = TCP_MIN_MSS;
	tp->ack.rcv_mss = hint;
}

/*
 * An active open's first window (tcp_connect_init): a locked SO_RCVBUF
 * clamps the window to its full space; the SYN offers whole segments of our
 * MSS, and rcv_ssthresh starts there.
 */
void tcp_connect_init_rwin(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int full = tcp_full_space(sk);
	uint32_t mss = tp->advmss;

	if ((sk->sk_userlocks & SOCK_RCVBUF_LOCK) &&
	    (tp->window_clamp > (uint32_t)full || !tp->window_clamp))
		tp->window_clamp = (uint32_t)full;
	/* A timestamp echoed from TIME_WAIT will ride on every segment. */
	if (tp->rx_opt.ts_recent_stamp)
		mss -= tp->tcp_header_len - sizeof(struct tcphdr);
	tcp_select_initial_window(sk, full, mss, &tp->rcv_wnd, &tp->window_clamp,
				  sock_net(sk)->sysctl.tcp_window_scaling, &tp->rx_opt.rcv_wscale);
	tp->rcv_ssthresh = tp->rcv_wnd;
	tp->rcv_wup = tp->rcv_nxt;
	tcp_initialize_rcv_mss(sk);
}

/*
 * A passive open's first window, for the SYN-ACK and the child it makes
 * (tcp_openreq_init_rwin): from the listener's buffer and clamp, whole
 * segments of the MSS we announce less the timestamp option if the peer
 * offered it.
 */
void tcp_openreq_init_rwin(const struct sock *listener, uint32_t mss, bool tstamp_ok,
			   bool wscale_ok, struct tcp_rwin *rw)
{
	int full = tcp_full_space(listener);

	rw->window_clamp = tcp_sk(listener)->window_clamp;
	if ((listener->sk_userlocks & SOCK_RCVBUF_LOCK) &&
	    (rw->window_clamp > (uint32_t)full || !rw->window_clamp))
		rw->window_clamp = (uint32_t)full;
	tcp_select_initial_window(listener, full, mss - (tstamp_ok ? TCPOLEN_TSTAMP_ALIGNED : 0),
				  &rw->rcv_wnd, &rw->window_clamp, wscale_ok, &rw->rcv_wscale);
}

/*
 * At establishment (tcp_init_buffer_space): the clamp becomes the full
 * space less 1/2^tcp_app_win of it kept for the application (at least four
 * segments stay) and less one more segment (the default, 31, keeps that
 * segment alone; 0 keeps nothing: the clamp is the full space), and the
 * first autotuning measure starts from the window the peer may use.
 */
void tcp_init_buffer_space(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t maxwin = (uint32_t)tcp_full_space(sk), advmss = tp->advmss;
	uint32_t space = TCP_INIT_CWND * advmss;
	int app_win = sock_net(sk)->sysctl.tcp_app_win;

	if (tp->window_clamp >= maxwin) {
		tp->window_clamp = maxwin;
		if (app_win > 0 && app_win < 32 && maxwin > 4 * advmss) {
			uint32_t app = maxwin - (maxwin >> app_win);

			tp->window_clamp = app > 4 * advmss ? app : 4 * advmss;
		}
	}
	/* Force reservation of one segment. */
	if (app_win > 0 && tp->window_clamp > 2 * advmss && tp->window_clamp + advmss > maxwin)
		tp->window_clamp = maxwin - advmss > 2 * advmss ? maxwin - advmss : 2 * advmss;
	if (tp->rcv_ssthresh > tp->window_clamp)
		tp->rcv_ssthresh = tp->window_clamp;
	if (space > tp->rcv_ssthresh)
		space = tp->rcv_ssthresh;
	if (space > tp->rcv_wnd)
		space = tp->rcv_wnd;
	tp->rcvq_space.space = space;
	tp->rcvq_space.seq = tp->copied_seq;
	tp->rcvq_space.time = sock_net(sk)->now;
}

/* Segments in a received frame: one, or its GSO run. */
uint32_t tcp_rx_segs(const struct sk_buff *skb)
{
	return skb->gso_size ? (skb->len + skb->gso_size - 1u) / skb->gso_size : 1u;
}

/*
 * The ratio from a full-sized segment (tcp_measure_rcv_mss, when the
 * segment size changes): payload per 256 bytes of its truesize. The clamp
 * follows, and the first autotuning measure no more than it.
 */
void tcp_measure_scaling_ratio(struct sock *sk, const struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t ratio = (uint32_t)(((uint64_t)skb->len << TCP_RMEM_TO_WIN_SCALE) /
				    tcp_rx_truesize(skb->len, tcp_rx_segs(skb)));
	uint8_t old = tp->scaling_ratio;

	tp->scaling_ratio = (uint8_t)(ratio ? (ratio > 255 ? 255 : ratio) : 1);
	if (tp->scaling_ratio == old)
		return;
	tcp_set_window_clamp(sk, tcp_full_space(sk));
	if (tp->window_clamp < tp->rcvq_space.space)
		tp->rcvq_space.space = tp->window_clamp;
}

/*
 * The slow part of check #2 (__tcp_grow_window): a segment whose truesize
 * is poor for its payload earns growth only while the window is small
 * compared with what tcp_rmem[2] allows.
 */
static uint32_t __tcp_grow_window(const struct sock *sk, uint32_t len, uint32_t truesize)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	int64_t cost = tcp_win_from_space(sk, truesize) >> 1;
	int64_t window = tcp_win_from_space(sk, sock_net(sk)->sysctl.tcp_rmem[2]) >> 1;

	while ((int64_t)tp->rcv_ssthresh <= window) {
		if (cost <= (int64_t)len)
			return 2 * tp->ack.rcv_mss;
		cost >>= 1;
		window >>= 1;
	}
	return 0;
}

/*
 * len bytes of data arrived in segs segments (tcp_grow_window): while the buffer has room beyond
 * rcv_ssthresh, the window the peer may use grows by two segments (or
 * twice the segment), and the next ACK goes at once. In order (after the
 * segment is queued), its head is not charged (adjust: the kernel's
 * coalescing frees it); out of order (before) it is.
 */
void tcp_grow_window(struct sock *sk, uint32_t len, uint32_t segs, bool adjust)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int space = tcp_space(sk), room;
	uint32_t truesize, incr;

	room = (int64_t)tp->window_clamp < space ? (int)tp->window_clamp : space;
	room -= (int)tp->rcv_ssthresh;
	if (room <= 0)
		return;
	if (tcp_under_memory_pressure(sk)) {
		tcp_adjust_rcv_ssthresh(sk);
		return;
	}
	truesize = tcp_rx_truesize(len, segs);
	if (adjust)
		truesize -= TCP_RX_HEAD_TRUESIZE;
	if (tcp_win_from_space(sk, truesize) <= (int)len)
		incr = 2u * tp->advmss;
	else
		incr = __tcp_grow_window(sk, len, truesize);
	if (!incr)
		return;
	if (incr < 2 * len)
		incr = 2 * len;
	tp->rcv_ssthresh += incr < (uint32_t)room ? incr : (uint32_t)room;
	tp->ack.quick |= 1;
}

/*
 * What the window may be now (__tcp_select_window): the free space, never
 * above rcv_ssthresh. Below half the full space the peer is told no more
 * than the space rounded down to the scale unit, and nothing at all under
 * one segment or a sixteenth of the buffer (receiver-side silly window
 * avoidance, RFC 9293 3.8.6.2.2; and the zero window in time before the
 * buffer overruns). With scaling the window is rounded up to the unit so
 * that the shift does not eat it; without, down to whole segments, unless
 * the window offered is within a segment of the space.
 */
uint32_t __tcp_select_window(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int mss = (int)tp->ack.rcv_mss, free_space = tcp_space(sk);
	int allowed = tcp_full_space(sk);
	int full = (int64_t)tp->window_clamp < allowed ? (int)tp->window_clamp : allowed;
	uint32_t unit = 1u << tp->rx_opt.rcv_wscale, window;

	if (mss > full) {
		mss = full;
		if (mss <= 0)
			return 0;
	}
	if (free_space < full >> 1) {
		tp->ack.quick = 0;
		if (tcp_under_memory_pressure(sk))
			tcp_adjust_rcv_ssthresh(sk);
		/* The window may become the free space: the unit must not round it up. */
		free_space = free_space < 0 ? 0 : (int)((uint32_t)free_space & ~(unit - 1));
		if (free_space < allowed >> 4 || free_space < mss)
			return 0;
	}
	if ((uint32_t)free_space > tp->rcv_ssthresh)
		free_space = (int)tp->rcv_ssthresh;
	if (tp->rx_opt.rcv_wscale)
		return tcp_wscale_align((uint32_t)free_space, tp->rx_opt.rcv_wscale);
	window = tp->rcv_wnd;
	if (window <= (uint32_t)(free_space - mss) || window > (uint32_t)free_space)
		window = (uint32_t)(free_space / mss * mss);
	else if (mss == full && (uint32_t)free_space > window + (uint32_t)(full >> 1))
		window = (uint32_t)free_space;
	return window;
}

static uint32_t tcp_receive_window(const struct tcp_sock *tp)
{
	int32_t win = (int32_t)(tp->rcv_wup + tp->rcv_wnd - tp->rcv_nxt);

	return win < 0 ? 0 : (uint32_t)win;
}

/*
 * The window field of an outgoing segment (tcp_select_window). But after a
 * refusal for memory, never shrinks the right edge already offered (RFC
 * 9293 3.8.6.2.2, RFC 7323 2.4): the current window stays, rounded up to
 * what the shift can express. rcv_wnd
 * stays a multiple of 1 << rcv_wscale so that the peer's view is ours.
 */
uint32_t tcp_select_window(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	uint8_t wscale = tp->rx_opt.rcv_wscale;
	uint32_t old_win = tp->rcv_wnd, cur_win, new_win;

	/*
	 * In-order data was refused for memory (ICSK_ACK_NOMEM): window 0,
	 * taking back what was offered, so that the peer stops until the
	 * reader makes room (as 6.18: the right edge is not kept).
	 */
	if (tp->ack.pending & ICSK_ACK_NOMEM) {
		tp->rcv_wnd = 0;
		tp->rcv_wup = tp->rcv_nxt;
		return 0;
	}
	cur_win = tcp_receive_window(tp);
	new_win = __tcp_select_window(sk);
	if (new_win < cur_win) {
		if (!new_win)
			__NET_INC_STATS(net, TCPWantZeroWindowAdv);
		new_win = tcp_wscale_align(cur_win, wscale);
	}
	if (new_win > TCP_MAX_WINDOW << wscale)
		new_win = TCP_MAX_WINDOW << wscale;
	tp->rcv_wnd = new_win;
	tp->rcv_wup = tp->rcv_nxt;
	if (!(new_win >> wscale)) {
		if (old_win)
			__NET_INC_STATS(net, TCPToZeroWindowAdv);
	} else if (!old_win) {
		__NET_INC_STATS(net, TCPFromZeroWindowAdv);
	}
	return new_win >> wscale;
}
