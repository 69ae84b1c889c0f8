// SPDX-License-Identifier: MIT
/*
 * Transmit stamps (SO_TIMESTAMPING) and MSG_ZEROCOPY completions on TCP
 * (net/ipv4/tcp.c tcp_tx_timestamp, tcp_input.c tcp_ack_tstamp,
 * skbuff.c msg_zerocopy_realloc and its callback).
 *
 * The kernel marks the segment that holds a send's last byte: its tskey is
 * that byte's sequence number, SKBTX_SCHED_TSTAMP and SKBTX_SW_TSTAMP make
 * the device path stamp it (dev.c), txstamp_ack the ACK that covers the
 * byte (SCM_TSTAMP_ACK), and a MSG_ZEROCOPY send's id completes when the
 * segments holding its bytes are freed, i.e. acknowledged. A later send
 * that lands in the same unsent segment takes the key over, as in the
 * kernel. OPT_ID keys count from where OPT_ID was turned on (sk_tskey).
 *
 * The stack host learns where a send ends before the bytes reach the write
 * queue (the program writes them into its pair), so the mark waits in
 * tp->tx_marks until write_seq passes its end (tcp_tx_marks_apply, from
 * the send paths). GSO frames end at a marked segment (tcp_tso_segs), so
 * that each stamp is the frame of its own send.
 */
#include "ip.h"
#include "net_namespace.h"
#include "tcp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h> /* linux/errqueue.h needs struct timespec */
#include <linux/errqueue.h>

/* include/uapi/linux/net_tstamp.h */
#define SOF_TIMESTAMPING_TX_SOFTWARE (1u << 1)
#define SOF_TIMESTAMPING_TX_SCHED    (1u << 8)
#define SOF_TIMESTAMPING_TX_ACK	     (1u << 9)
#define SOF_TIMESTAMPING_OPT_ID_TCP  (1u << 16)

/*
 * sock_set_timestamping turning OPT_ID on for TCP: refused on a socket
 * that has no sequence yet (closed, listening); keys count from the
 * unacknowledged data on (snd_una), or with OPT_ID_TCP from the next
 * byte written (write_seq).
 */
int tcp_tskey_init(struct sock *sk, uint32_t flags)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	if (sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_LISTEN)
		return -EINVAL;
	sk->sk_tskey = flags & SOF_TIMESTAMPING_OPT_ID_TCP ? tp->write_seq : tp->snd_una;
	return 0;
}

int tcp_tx_mark_add(struct sock *sk, uint32_t end_seq, uint32_t tsflags, bool zc)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_tx_mark *m;

	if (!tp->tx_marks)
		tp->tx_marks = malloc(TCP_TX_MARKS * sizeof(*tp->tx_marks));
	if (!tp->tx_marks || tp->tx_marks_n == TCP_TX_MARKS)
		return -ENOBUFS;
	m = &tp->tx_marks[tp->tx_marks_n++];
	*m = (struct tcp_tx_mark){.end_seq = end_seq, .tsflags = tsflags, .zc = zc};
	/* msg_zerocopy_realloc: the send's id (given back if it takes nothing). */
	if (zc)
		m->zc_id = sk->sk_zckey++;
	return 0;
}

static void tcp_tx_mark_drop(struct tcp_sock *tp, unsigned int i)
{
	memmove(&tp->tx_marks[i], &tp->tx_marks[i + 1],
		(tp->tx_marks_n - i - 1) * sizeof(tp->tx_marks[0]));
	tp->tx_marks_n--;
}

/* The send announced as len bytes ending before end_seq took only taken of them. */
void tcp_tx_mark_fix(struct sock *sk, uint32_t end_seq, uint32_t len, uint32_t taken)
{
	struct tcp_sock *tp = tcp_sk(sk);

	for (unsigned int i = 0; i < tp->tx_marks_n; i++) {
		struct tcp_tx_mark *m = &tp->tx_marks[i];

		if (m->end_seq != end_seq)
			continue;
		if (taken) {
			m->end_seq -= len - taken;
			tcp_tx_marks_apply(sk);
			return;
		}
		/* No send (net_zcopy_put_abort gives the id back when it is the last). */
		if (m->zc && m->zc_id + 1 == sk->sk_zckey)
			sk->sk_zckey--;
		tcp_tx_mark_drop(tp, i);
		return;
	}
}

/* The queued segment holding seq, if any (searched from the tail: marks are recent). */
static struct sk_buff *tcp_skb_holding(struct sock *sk, uint32_t seq)
{
	const struct sk_buff *head = (const struct sk_buff *)&sk->sk_write_queue;

	for (struct sk_buff *skb = sk->sk_write_queue.prev; skb != head; skb = skb->prev) {
		if (before(seq, TCP_SKB_CB(skb)->seq))
			continue;
		return before(seq, TCP_SKB_CB(skb)->end_seq) ? skb : NULL;
	}
	return NULL;
}

/* tcp_tx_timestamp and the zerocopy uarg of the segment holding the send's last byte. */
static void tcp_tx_mark_skb(struct sock *sk, struct sk_buff *skb, const struct tcp_tx_mark *m)
{
	if (m->tsflags & SOF_TIMESTAMPING_TX_SOFTWARE)
		skb->tx_flags |= SKBTX_SW_TSTAMP;
	if (m->tsflags & SOF_TIMESTAMPING_TX_SCHED)
		skb->tx_flags |= SKBTX_SCHED_TSTAMP;
	if (m->tsflags & SOF_TIMESTAMPING_TX_ACK)
		skb->tx_flags |= SKBTX_ACK_TSTAMP;
	if (m->tsflags & SOF_TX_RECORD_MASK)
		skb->tskey = m->end_seq - 1;
	if (skb->tx_flags & SKBTX_ANY_TSTAMP)
		sock_set_flag(sk, SOCK_TX_TSTAMPED);
	if (!m->zc)
		return;
	if (skb->tx_flags & SKBTX_ZEROCOPY) {
		skb->zc_hi = m->zc_id; /* msg_zerocopy_realloc extends the tail's range */
		return;
	}
	skb->tx_flags |= SKBTX_ZEROCOPY;
	skb->zc_lo = skb->zc_hi = m->zc_id;
}

void tcp_tx_marks_apply(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	while (tp->tx_marks_n && !after(tp->tx_marks[0].end_seq, tp->write_seq)) {
		const struct tcp_tx_mark *m = &tp->tx_marks[0];
		struct sk_buff *skb = tcp_skb_holding(sk, m->end_seq - 1);

		if (skb)
			tcp_tx_mark_skb(sk, skb, m);
		else if (m->zc)
			msg_zerocopy_complete(sk, m->zc_id, m->zc_id); /* acked already */
		tcp_tx_mark_drop(tp, 0);
	}
}

/* tcp_fragment_tstamp: the marks go with the piece that holds the key (the tail). */
void tcp_tx_mark_split(struct sk_buff *skb, struct sk_buff *buff)
{
	uint8_t stamps = skb->tx_flags & (SKBTX_ANY_TSTAMP | SKBTX_ACK_TSTAMP);

	if (stamps && !before(skb->tskey, TCP_SKB_CB(buff)->seq)) {
		buff->tx_flags |= stamps;
		buff->tskey = skb->tskey;
		skb->tx_flags &= (uint8_t)~stamps;
	}
	if (skb->tx_flags & SKBTX_ZEROCOPY) {
		buff->tx_flags |= SKBTX_ZEROCOPY;
		buff->zc_lo = skb->zc_lo;
		buff->zc_hi = skb->zc_hi;
		skb->tx_flags &= (uint8_t)~SKBTX_ZEROCOPY;
	}
}

/* tcp_ack_tstamp: the ACK covers the marked byte now (it did not before). */
void tcp_ack_tstamp(struct sock *sk, const struct sk_buff *skb, uint32_t prior_snd_una)
{
	if (!(skb->tx_flags & SKBTX_ACK_TSTAMP))
		return;
	if (!before(skb->tskey, prior_snd_una) && before(skb->tskey, tcp_sk(sk)->snd_una))
		__skb_tstamp_tx(sk, skb, sock_net(sk)->now, SCM_TSTAMP_ACK);
}

/* The segment is freed (acked, or the connection dropped it): its sends are complete. */
void tcp_skb_zerocopy_done(struct sock *sk, struct sk_buff *skb)
{
	if (!(skb->tx_flags & SKBTX_ZEROCOPY))
		return;
	skb->tx_flags &= (uint8_t)~SKBTX_ZEROCOPY;
	msg_zerocopy_complete(sk, skb->zc_lo, skb->zc_hi);
}
