// SPDX-License-Identifier: MIT
/*
 * TCP output (net/ipv4/tcp_output.c): building segments, sending what the
 * congestion window, the peer's window and Nagle allow, retransmitting,
 * choosing the window we advertise, and the small control segments (ACK,
 * FIN, RST, SYN, SYN-ACK, window probes).
 *
 * The write queue holds the payload once, in skbs of at most one MSS; a
 * segment on the wire is a fresh skb with the header pushed in front (skbs
 * are pooled, so this allocates nothing in the steady state), while the
 * queued original waits for its ACK. Where the link gathers (dev->sg) the
 * fresh skb's payload is fragments pointing at the queued segments, which
 * it holds references on (tcp_frame_alloc); elsewhere it is a copy.
 *
 * Options are laid out as tcp_options_write does: MSS, SACK-permitted,
 * timestamps and window scale in SYNs and SYN-ACKs (also for SYN cookies),
 * timestamps and SACK/D-SACK blocks after; a TCP-MD5 signature (tcp_md5.c)
 * first wherever the socket holds a key for the peer, in which case a SYN
 * offers no timestamps and runs go out without GSO (sk_gso_disable).
 *
 * GSO: where the device takes large segments (dev->gso_max_size), new data
 * goes out as one frame carrying a run of queued segments (tcp_tso_segs):
 * as many as the congestion window, the peer's window and the device
 * allow. The queue keeps its one-MSS skbs, each counted as one packet in
 * flight, so SACK, loss marking and retransmission see the same segments
 * whether they left alone or inside a GSO frame; the frame is only the
 * vehicle, with its checksum left to the device. Retransmissions are
 * frames too: a contiguous run of lost segments goes again as one, up to
 * the room in the window and the GSO size, as the kernel resends what is
 * left of a lost TSO skb (tcp_xmit_retransmit_queue). A
 * device without it gets the same runs as back-to-back MTU frames
 * (tcp_transmit_run): the kernel's TCP always builds GSO frames (GSO is
 * always on for TCP since Linux 4.19) and cuts them in software below
 * TCP when the device cannot, so the run's size and its pacing are the
 * same either way.
 *
 * Tail loss probes (RFC 8985 7, tcp_schedule_loss_probe) go from the
 * retransmit timer.
 *
 * Pacing, as the kernel's without the fq qdisc: every congestion control
 * gets a pacing rate (BBR its own, the others 200% of cwnd/srtt in slow
 * start, 120% after: tcp_update_pacing_rate) that sizes GSO frames to about
 * a millisecond of data (tcp_tso_autosize); only a CC that asks for pacing
 * (BBR: SK_PACING_NEEDED) has its data spaced in time, by TCP's internal
 * pacing: each data frame moves the earliest departure time
 * (tcp_wstamp_ns) on by its length at the pacing rate, and nothing more
 * goes before that time; the pacing timer sends on (tcp_pacing_check).
 * One difference: the kernel's pacing timer is a microsecond hrtimer, the
 * stack host's wakeups can come milliseconds late on a busy machine, so a
 * late pacing timer sends every frame that fell due meanwhile (up to
 * TCP_PACING_CATCHUP_MAX of them), as fq releases its due packets, rather
 * than one frame per wakeup, which would pace below the rate. The same
 * holds when the late host's first event is an ACK or the owner's write:
 * the pacing timer still pending past its time tells how late it is (a
 * host that reads the link before it runs its timers otherwise sent at
 * 0.5 to 0.7 of its pacing rate on a loaded machine, and BBR's estimate,
 * fed by what it sent, shrank round after round).
 *
 * TSO deferral (tcp_tso_should_defer): a frame the congestion window or
 * the peer's window would cut short may wait for the next ACK to make room
 * for a larger one, under the kernel's rules (tcp_tso_win_divisor, an ACK
 * due within min(srtt/2, 1 ms), the last send under 1 ms ago). The
 * kernel's TSO skb at the send head is the run of queued segments one
 * frame could carry (tcp_tso_skb).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "checksum.h"
#include "ip.h"
#include "net_namespace.h"
#include "netdevice.h"
#include "tcp.h"
#include "tcp_md5.h"

#define TCP_MAX_HDR 60u

uint32_t tcp_time_stamp_ts(const struct tcp_sock *tp)
{
	return (uint32_t)(sock_net(&tp->inet.sk)->now / NSEC_PER_MSEC);
}

#define OPTION_SACK_ADVERTISE 0x01
#define OPTION_TS	      0x02
#define OPTION_MD5	      0x04
#define OPTION_WSCALE	      0x08

/* What a segment carries, before it is laid out (struct tcp_out_options). */
struct tcp_out_options {
	uint8_t options; /* OPTION_* */
	uint8_t ws;
	uint8_t num_sack_blocks;
	uint16_t mss; /* 0: none */
	uint32_t tsval, tsecr;
	const struct tcp_fastopen_cookie *fastopen; /* SYN or SYN-ACK: Fast Open, last */
	const struct tcp_md5sig_key *md5;	    /* OPTION_MD5: the key to sign with */
	bool md5_after_ts;			    /* tcp_v4_send_ack's order: TS, then MD5 */
	uint8_t *md5_hash;			    /* where tcp_options_write left the digest */
};

static uint8_t *put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static uint32_t opt_word(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

/* NOP, NOP, the MD5 option; the digest's 16 bytes are left for the signature. */
static uint8_t *tcp_md5_option_write(uint8_t *ptr, struct tcp_out_options *o)
{
	ptr = put_be32(ptr, opt_word(TCPOPT_NOP, TCPOPT_NOP, TCPOPT_MD5SIG, TCPOLEN_MD5SIG));
	o->md5_hash = ptr;
	return ptr + 16;
}

/*
 * Lays the options out in the kernel's order and 32-bit words
 * (tcp_options_write): NOP, NOP, TCP-MD5 (after the timestamp in the ACKs
 * tcp_v4_send_ack builds); MSS; SACK-permitted sharing the timestamp's word
 * (else NOP, NOP before it); NOP, NOP, timestamp; NOP, window scale; NOP,
 * NOP, SACK blocks with the D-SACK block first. Writing the blocks spends
 * the D-SACK.
 */
static void tcp_options_write(uint8_t *ptr, struct tcp_sock *tp, struct tcp_out_options *o)
{
	/* TCP-MD5 first, where the kernel's tcp_options_write puts it. */
	if ((o->options & OPTION_MD5) && !(o->md5_after_ts && (o->options & OPTION_TS)))
		ptr = tcp_md5_option_write(ptr, o);
	if (o->mss)
		ptr = put_be32(ptr, opt_word(TCPOPT_MSS, TCPOLEN_MSS, (uint8_t)(o->mss >> 8),
					     (uint8_t)o->mss));
	if (o->options & OPTION_TS) {
		if (o->options & OPTION_SACK_ADVERTISE)
			ptr = put_be32(ptr, opt_word(TCPOPT_SACK_PERM, TCPOLEN_SACK_PERM,
						     TCPOPT_TIMESTAMP, TCPOLEN_TIMESTAMP));
		else
			ptr = put_be32(ptr, opt_word(TCPOPT_NOP, TCPOPT_NOP, TCPOPT_TIMESTAMP,
						     TCPOLEN_TIMESTAMP));
		ptr = put_be32(ptr, o->tsval);
		ptr = put_be32(ptr, o->tsecr);
		if ((o->options & OPTION_MD5) && o->md5_after_ts)
			ptr = tcp_md5_option_write(ptr, o);
	} else if (o->options & OPTION_SACK_ADVERTISE) {
		ptr = put_be32(
			ptr, opt_word(TCPOPT_NOP, TCPOPT_NOP, TCPOPT_SACK_PERM, TCPOLEN_SACK_PERM));
	}
	if (o->options & OPTION_WSCALE)
		ptr = put_be32(ptr, opt_word(TCPOPT_NOP, TCPOPT_WINDOW, TCPOLEN_WINDOW, o->ws));
	if (o->num_sack_blocks) {
		const struct tcp_sack_block *sp =
			tp->rx_opt.dsack ? tp->duplicate_sack : tp->selective_acks;

		ptr = put_be32(ptr,
			       opt_word(TCPOPT_NOP, TCPOPT_NOP, TCPOPT_SACK,
					(uint8_t)(TCPOLEN_SACK_BASE +
						  o->num_sack_blocks * TCPOLEN_SACK_PERBLOCK)));
		for (int i = 0; i < o->num_sack_blocks; i++) {
			/* The D-SACK block, then the SACK blocks that follow it. */
			const struct tcp_sack_block *b =
				tp->rx_opt.dsack ? (i ? &tp->selective_acks[i - 1] : sp) : &sp[i];

			ptr = put_be32(ptr, b->start_seq);
			ptr = put_be32(ptr, b->end_seq);
		}
		tp->rx_opt.dsack = 0;
	}
	if (o->fastopen)
		tcp_fastopen_write(ptr, o->fastopen);
}

/* Timestamps: our clock plus the connection's offset, and TS.Recent echoed. */
static void tcp_options_ts(const struct tcp_sock *tp, struct tcp_out_options *o, uint32_t tsecr)
{
	o->options |= OPTION_TS;
	o->tsval = tcp_time_stamp_ts(tp) + tp->tsoffset;
	o->tsecr = tsecr;
}

/* A segment to daddr is signed when sk holds a key for it (tcp_v4_md5_lookup). */
static unsigned int tcp_md5_options(const struct sock *sk, uint32_t daddr,
				    struct tcp_out_options *o)
{
	if (!tcp_sk(sk)->md5_nkeys)
		return 0;
	o->md5 = tcp_md5_do_lookup(sk, daddr);
	if (!o->md5)
		return 0;
	o->options |= OPTION_MD5;
	return TCPOLEN_MD5SIG_ALIGNED;
}

/* The MSS we announce: the path's, lowered by TCP_MAXSEG. */
static uint16_t tcp_advertised_mss(const struct tcp_sock *tp)
{
	uint16_t mss = tp->advmss;

	if (tp->rx_opt.user_mss && tp->rx_opt.user_mss < mss)
		mss = tp->rx_opt.user_mss;
	return mss;
}

/*
 * A SYN (tcp_syn_options) offers what the namespace's sysctls enable:
 * tcp_timestamps, tcp_window_scaling, tcp_sack. 20 bytes with all three.
 */
static unsigned int tcp_syn_options(struct sock *sk, struct tcp_out_options *o)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct netns_sysctl *sc = &sock_net(sk)->sysctl;
	unsigned int size = TCPOLEN_MSS + tcp_md5_options(sk, sk->sk_daddr, o);

	o->mss = tcp_advertised_mss(tp);
	/* With a signature there is no room for timestamps beside SACK-permitted. */
	if (sc->tcp_timestamps && !o->md5) {
		tcp_options_ts(tp, o, tp->rx_opt.ts_recent);
		size += TCPOLEN_TSTAMP_ALIGNED;
	}
	if (sc->tcp_window_scaling) {
		o->ws = tp->rx_opt.rcv_wscale;
		o->options |= OPTION_WSCALE;
		size += TCPOLEN_WSCALE_ALIGNED;
	}
	if (sc->tcp_sack) {
		o->options |= OPTION_SACK_ADVERTISE;
		if (!(o->options & OPTION_TS))
			size += TCPOLEN_SACKPERM_ALIGNED;
	}
	/* Fast Open: a cookie or a request, if it fits (tcp_syn_options). */
	if (tp->fastopen_req && tp->fastopen_req->cookie.len >= 0) {
		unsigned int need = tcp_fastopen_optlen(&tp->fastopen_req->cookie);

		if (MAX_TCP_OPTION_SPACE - size >= need) {
			o->fastopen = &tp->fastopen_req->cookie;
			size += need;
			tp->syn_fastopen = 1;
			tp->syn_fastopen_exp = tp->fastopen_req->cookie.exp;
		}
	}
	return size;
}

/* What a SYN-ACK says: from a child in SYN_RECV or from a SYN cookie (request_sock's part). */
struct tcp_synack_req {
	uint16_t mss;
	uint8_t rcv_wscale;
	bool wscale_ok, tstamp_ok, sack_ok;
	uint32_t tsval, tsecr;
	const struct tcp_fastopen_cookie *foc; /* a Fast Open cookie to hand out, or NULL */
	const struct tcp_md5sig_key *md5;      /* the key for the peer, or NULL */
};

/* A SYN-ACK (tcp_synack_options) answers only what the SYN offered and we allow. */
static unsigned int tcp_synack_options(const struct tcp_synack_req *req, struct tcp_out_options *o)
{
	unsigned int size = TCPOLEN_MSS;

	if (req->md5) {
		o->md5 = req->md5;
		o->options |= OPTION_MD5;
		size += TCPOLEN_MD5SIG_ALIGNED;
	}
	o->mss = req->mss;
	if (req->wscale_ok) {
		o->ws = req->rcv_wscale;
		o->options |= OPTION_WSCALE;
		size += TCPOLEN_WSCALE_ALIGNED;
	}
	if (req->tstamp_ok) {
		o->options |= OPTION_TS;
		o->tsval = req->tsval;
		o->tsecr = req->tsecr;
		size += TCPOLEN_TSTAMP_ALIGNED;
	}
	if (req->sack_ok) {
		o->options |= OPTION_SACK_ADVERTISE;
		if (!(o->options & OPTION_TS))
			size += TCPOLEN_SACKPERM_ALIGNED;
	}
	if (req->foc && MAX_TCP_OPTION_SPACE - size >= tcp_fastopen_optlen(req->foc)) {
		o->fastopen = req->foc;
		size += tcp_fastopen_optlen(req->foc);
	}
	return size;
}

static unsigned int tcp_child_synack_options(struct tcp_sock *tp, struct tcp_out_options *o)
{
	const struct tcp_synack_req req = {
		.mss = tcp_advertised_mss(tp),
		.rcv_wscale = tp->rx_opt.rcv_wscale,
		.wscale_ok = tp->rx_opt.wscale_ok,
		.tstamp_ok = tp->rx_opt.tstamp_ok,
		.sack_ok = tp->rx_opt.sack_ok,
		.tsval = tcp_time_stamp_ts(tp) + tp->tsoffset,
		.tsecr = tp->rx_opt.ts_recent,
		/* Only the first SYN-ACK carries it (tcp_rtx_synack passes none). */
		.foc = tp->fastopen_synack.len > 0 ? &tp->fastopen_synack : NULL,
		.md5 = tp->md5_nkeys ? tcp_md5_do_lookup(&tp->inet.sk, tp->inet.sk.sk_daddr) : NULL,
	};

	if (req.tstamp_ok) {
		if (!tp->snt_tsval_first)
			tp->snt_tsval_first = req.tsval;
		tp->snt_tsval_last = req.tsval;
	}
	return tcp_synack_options(&req, o);
}

/*
 * Every other segment (tcp_established_options): the timestamp when
 * negotiated, then as many SACK blocks (D-SACK first) as the remaining
 * option space holds: 3 beside a timestamp, 4 without.
 */
static unsigned int tcp_established_options(const struct tcp_sock *tp, struct tcp_out_options *o)
{
	const struct sock *sk = &tp->inet.sk;
	unsigned int size = tcp_md5_options(sk, sk->sk_daddr, o), eff_sacks;

	/* TIME_WAIT's and a request's ACKs (tcp_v4_send_ack) sign after the timestamp. */
	o->md5_after_ts = sk->sk_state == TCP_TIME_WAIT || sk->sk_state == TCP_SYN_RECV;

	if (tp->rx_opt.tstamp_ok) {
		tcp_options_ts(tp, o, tp->rx_opt.ts_recent);
		size += TCPOLEN_TSTAMP_ALIGNED;
	}
	eff_sacks = tp->rx_opt.num_sacks + tp->rx_opt.dsack;
	if (eff_sacks) {
		unsigned int room = (MAX_TCP_OPTION_SPACE - size - TCPOLEN_SACK_BASE_ALIGNED) /
				    TCPOLEN_SACK_PERBLOCK;

		o->num_sack_blocks = (uint8_t)(eff_sacks < room ? eff_sacks : room);
		size += TCPOLEN_SACK_BASE_ALIGNED + o->num_sack_blocks * TCPOLEN_SACK_PERBLOCK;
	}
	return size;
}

unsigned int tcp_mss_for_mtu(const struct sock *sk)
{
	struct net *net = sock_net(sk);
	unsigned int mtu = net->dev ? net->dev->mtu : 1500u;

	/* Connected: the path's MTU (tcp_sync_mss with the route's, ICMP-lowered, MTU). */
	if (net->dev && sk->sk_daddr)
		mtu = ip_sk_mtu(sk, ip_options_first_hop(&inet_sk(sk)->inet_opt, sk->sk_daddr));
	return mtu - IPV4_HLEN - sizeof(struct tcphdr);
}

/*
 * A segment may be no larger than half the largest window the peer offered
 * (tcp_bound_to_half_wnd). Without it, at MTU 65535 an MSS of 65495 never
 * fits a window without scaling (at most 65535 less what sits unread) and
 * every segment waits for the persist timer.
 */
static unsigned int tcp_bound_to_half_wnd(const struct tcp_sock *tp, unsigned int pktsize)
{
	unsigned int cutoff =
		tp->max_window > TCP_MSS_DEFAULT ? tp->max_window / 2 : tp->max_window;

	if (cutoff && pktsize > cutoff)
		return cutoff > 68u - sizeof(struct tcphdr) ? cutoff : 68u - sizeof(struct tcphdr);
	return pktsize;
}

void tcp_sync_mss(struct sock *sk)
{
	if (sk->sk_state != TCP_CLOSE && sk->sk_state != TCP_LISTEN) {
		tcp_current_mss(sk);
		return;
	}
	/*
	 * No path yet (icsk_pmtu_cookie 0): the kernel's arithmetic for MTU 0
	 * floors at tcp_min_snd_mss, then takes off the TCP options of a
	 * header length that is 0 until connect, i.e. adds 20.
	 */
	tcp_sk(sk)->mss_cache =
		(uint16_t)(sock_net(sk)->sysctl.tcp_min_snd_mss + sizeof(struct tcphdr));
}

/*
 * The effective send MSS (tcp_sync_mss, tcp_current_mss): the path's, the
 * peer's MSS option and TCP_MAXSEG, smallest wins, less the options every
 * segment carries (the timestamp), bounded by the peer's window; mss_cache
 * keeps that. What is returned also leaves room for the SACK blocks the next
 * segment will carry, so that it still fits the MTU.
 */
unsigned int tcp_current_mss(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	unsigned int mss = tcp_mss_for_mtu(sk), pmtu = mss + IPV4_HLEN + sizeof(struct tcphdr);
	struct tcp_out_options opts = {0};
	unsigned int hdr;

	if (tp->rx_opt.mss_clamp && tp->rx_opt.mss_clamp < mss)
		mss = tp->rx_opt.mss_clamp;
	if (tp->rx_opt.user_mss && tp->rx_opt.user_mss < mss)
		mss = tp->rx_opt.user_mss;
	/* IP options take their room from every segment (icsk_ext_hdr_len), not the MSS sent. */
	mss -= inet_sk(sk)->inet_opt.opt.optlen;
	mss -= tp->tcp_header_len - sizeof(struct tcphdr);
	mss = tcp_bound_to_half_wnd(tp, mss);
	mss = tcp_mtup_sync_mss(sk, pmtu, mss); /* PLPMTUD's search_low, if probing */
	if (mss < TCP_MIN_MSS - 40u)
		mss = TCP_MIN_MSS - 40u;
	tp->mss_cache = (uint16_t)mss;
	if (sk->sk_state != TCP_ESTABLISHED && sk->sk_state != TCP_CLOSE_WAIT &&
	    sk->sk_state != TCP_FIN_WAIT1 && sk->sk_state != TCP_FIN_WAIT2 &&
	    sk->sk_state != TCP_CLOSING && sk->sk_state != TCP_LAST_ACK)
		return mss;
	hdr = sizeof(struct tcphdr) + tcp_established_options(tp, &opts);
	if (hdr > tp->tcp_header_len)
		mss -= hdr - tp->tcp_header_len;
	return mss;
}

uint32_t tcp_packets_in_flight(const struct tcp_sock *tp)
{
	return tp->packets_out - (tp->sacked_out + tp->lost_out) + tp->retrans_out;
}

/* An ACK went out: the delayed ACK is no longer owed (tcp_event_ack_sent). */
static void tcp_event_ack_sent(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint64_t now = sock_net(sk)->now;

	/* What the sender has of our ACKs, for the receive queue's coalescing. */
	if (tp->ack_sent_time != now)
		tp->ack_sent_before = tp->ack_sent_time ? tp->ack_sent_seq : tp->irs + 1;
	tp->ack_sent_seq = tp->rcv_nxt;
	tp->ack_sent_time = now;
	/*
	 * tcp_dec_quickack_mode: only an ACK of new data spends quick-ACK
	 * credit (our data segments carry ACKs too); the last of it brings
	 * the ATO back to its floor.
	 */
	if (tp->ack.quick && (tp->ack.pending & ICSK_ACK_SCHED) && !--tp->ack.quick)
		tp->ack.ato = TCP_ATO_MIN;
	tp->ack.pending = 0;
	if (timer_pending(&tp->delack_timer))
		del_timer(&sock_net(sk)->timers, &tp->delack_timer);
	if (tp->compressed_ack) {
		/* This ACK stands for those held back. */
		sock_net(sk)->mib.tcpext.TCPAckCompressed += tp->compressed_ack;
		tp->compressed_ack = 0;
		del_timer(&sock_net(sk)->timers, &tp->compressed_ack_timer);
	}
}

/*
 * Whether a single segment's checksum is left to the device, as the
 * kernel's TCP always does where the device sums (NETIF_F_HW_CSUM): a data
 * segment, out of a link that offers offloads. Summing 64 KiB in software
 * was a tenth of the host's time sending at MTU 65535, and a kernel peer on
 * a veth then summed it again; the loopback path trusts such a frame as the
 * kernel's does.
 */
static bool tcp_csum_offload(const struct sock *sk, const struct sk_buff *skb, unsigned int hlen)
{
	const struct net_device *dev = sock_net(sk)->dev;

	return skb->len > hlen && dev && dev->gso_max_size;
}

/*
 * Pushes the header in front of skb (payload at skb->data), checksums and
 * hands it to IP. Consumes skb.
 */
static int tcp_xmit_segment(struct sock *sk, struct sk_buff *skb, uint32_t seq, uint8_t flags)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	struct tcp_out_options opts = {0};
	unsigned int optlen, hlen, segs;
	uint8_t tos = inet->tos;
	struct tcphdr *th;
	uint32_t win;

	/* ECN: ECT(0) on new data, CWR, ECE (tcp_ecn.c). */
	flags = tcp_ecn_send(sk, seq, flags, skb->len, &tos);
	if (flags & TCPHDR_SYN)
		optlen = flags & TCPHDR_ACK ? tcp_child_synack_options(tp, &opts)
					    : tcp_syn_options(sk, &opts);
	else
		optlen = tcp_established_options(tp, &opts);
	hlen = sizeof(*th) + optlen;
	th = (struct tcphdr *)skb_push(skb, hlen);
	memset(th, 0, sizeof(*th));
	skb_reset_transport_header(skb);
	th->source = inet->inet_sport;
	th->dest = sk->sk_dport;
	th->seq = htonl(seq);
	th->doff = (uint16_t)(hlen / 4);
	((uint8_t *)th)[13] = flags;
	if (flags & TCPHDR_ACK)
		th->ack_seq = htonl(tp->rcv_nxt);
	/*
	 * Urgent mode (tcp_transmit_skb): point at the byte after the urgent
	 * one, or as far as 16 bits reach while it lies beyond this segment.
	 */
	if (tp->urg_mode && before(seq, tp->snd_up)) {
		if (before(tp->snd_up, seq + 0x10000)) {
			th->urg_ptr = htons((uint16_t)(tp->snd_up - seq));
			th->urg = 1;
		} else if (after(seq + 0xffff, tp->snd_nxt)) {
			th->urg_ptr = htons(0xffff);
			th->urg = 1;
		}
	}
	if (flags & TCPHDR_SYN) {
		/* RFC 7323 2.2: the window in a SYN is never scaled. */
		win = tp->rcv_wnd > TCP_MAX_WINDOW ? TCP_MAX_WINDOW : tp->rcv_wnd;
	} else if (TCP_SKB_CB(skb)->sacked & TCPCB_REQ_WND) {
		/* tcp_synack_window(req), scaled: rcv_wnd stays as it was. */
		win = tcp_synack_window(tp) >> tp->rx_opt.rcv_wscale;
	} else {
		win = tcp_select_window(sk);
	}
	th->window = htons((uint16_t)win);
	tcp_options_write((uint8_t *)(th + 1), tp, &opts);
	if (opts.md5)
		tcp_v4_md5_hash_skb(opts.md5_hash, opts.md5, inet->inet_saddr, sk->sk_daddr, skb);
	if (skb->gso_size || tcp_csum_offload(sk, skb, hlen)) {
		/*
		 * The device sums each piece (tcp_v4_send_check): the field
		 * holds the pseudo-header sum over the whole frame.
		 */
		skb->ip_summed = CHECKSUM_PARTIAL;
		skb->csum_start = skb->transport_header;
		skb->csum_offset = offsetof(struct tcphdr, check);
		th->check = (uint16_t)~csum_tcpudp_magic(inet->inet_saddr, sk->sk_daddr, skb->len,
							 IPPROTO_TCP, 0);
	} else {
		th->check = csum_tcpudp_magic(inet->inet_saddr, sk->sk_daddr, skb->len, IPPROTO_TCP,
					      csum_partial(th, (int)skb->len, 0));
	}
	skb->sk = sk;

	if (flags & TCPHDR_ACK)
		tcp_event_ack_sent(sk);
	segs = skb->gso_segs ? skb->gso_segs : 1;
	if (skb->len > hlen) {
		/*
		 * tcp_event_data_sent: data within an ATO of the last data
		 * received is a reply, so the connection is interactive
		 * (pingpong): its ACKs wait to ride on our replies.
		 */
		if ((net->now / TCP_JIFFY - tp->ack.lrcvtime / TCP_JIFFY) * TCP_JIFFY < tp->ack.ato)
			tp->ack.pingpong = true;
		tp->lsndtime = net->now;
		tp->data_segs_out += segs;
		tp->bytes_sent += skb->len - hlen;
	}
	tp->segs_out += segs;
	net->mib.tcp.OutSegs += segs; /* per wire segment, as tcp_skb_pcount() */
	/* ip_queue_xmit: the socket's IP options, a source route's last hop sk_daddr. */
	return ip_build_and_send_pkt_opt(net, skb, inet->inet_saddr, sk->sk_daddr, IPPROTO_TCP, tos,
					 ip_select_ttl(sk), ip_dont_fragment(sk), &inet->inet_opt);
}

static uint8_t tcp_skb_flags(const struct sock *sk, const struct sk_buff *skb)
{
	uint8_t flags = TCP_SKB_CB(skb)->tcp_flags;

	/* Every segment but the very first SYN carries an ACK (RFC 9293 3.10.7.3). */
	if (sk->sk_state != TCP_SYN_SENT)
		flags |= TCPHDR_ACK;
	return flags;
}

/* The kernel's defaults of tcp_pacing_ss_ratio, tcp_pacing_ca_ratio. */
#define TCP_PACING_SS_RATIO 200
#define TCP_PACING_CA_RATIO 120
#define TCP_TSO_RTT_LOG	    9  /* tcp_tso_rtt_log */
#define SK_PACING_SHIFT	    10 /* sk_pacing_shift: frames of ~1 ms of the rate */

/*
 * The pacing rate of a CC without cong_control (tcp_update_pacing_rate):
 * a multiple of cwnd * mss / srtt, 200% in slow start so that the rate
 * keeps up with the window's growth, 120% after.
 */
void tcp_update_pacing_rate(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t cwnd = tp->cong.snd_cwnd > tp->packets_out ? tp->cong.snd_cwnd : tp->packets_out;
	unsigned __int128 rate = (unsigned __int128)tp->mss_cache * cwnd * NSEC_PER_SEC;

	rate *= tp->cong.snd_cwnd < tp->cong.snd_ssthresh / 2 ? TCP_PACING_SS_RATIO
							      : TCP_PACING_CA_RATIO;
	rate /= 100;
	if (tp->srtt)
		rate /= tp->srtt;
	tp->sk_pacing_rate =
		rate < sk->sk_max_pacing_rate ? (uint64_t)rate : sk->sk_max_pacing_rate;
	/* SO_MAX_PACING_RATE's SK_PACING_NEEDED: the cap is kept by TCP's own pacing. */
	if (sock_flag(sk, SOCK_PACING_ASKED) && tp->sk_pacing_status == SK_PACING_NONE)
		tp->sk_pacing_status = SK_PACING_NEEDED;
}

static bool tcp_needs_internal_pacing(const struct tcp_sock *tp)
{
	return tp->sk_pacing_status == SK_PACING_NEEDED;
}

/*
 * The next data segment may not leave yet (tcp_pacing_check): the pacing
 * timer is armed for its departure time.
 */
bool tcp_pacing_check(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);

	if (!tcp_needs_internal_pacing(tp) || tp->tcp_wstamp_ns <= net->now)
		return false;
	if (!timer_pending(&tp->pacing_timer))
		mod_timer(&net->timers, &tp->pacing_timer, tp->tcp_wstamp_ns);
	return true;
}

/*
 * A data frame of len bytes leaves now (__tcp_transmit_skb and
 * tcp_update_skb_after_send): the rate sample's stamp, and the departure
 * time of the next one. A frame that left late (credit) takes back at most
 * half its own time, so the average rate holds without a burst; the first
 * ten segments go unpaced, as fq does.
 */
void tcp_data_sent_paced(struct sock *sk, struct sk_buff *skb, unsigned int n, unsigned int len)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint64_t now = sock_net(sk)->now, prior_wstamp = tp->tcp_wstamp_ns;
	uint64_t rate = tp->sk_pacing_rate, late = tp->pacing_late_ns;

	for (; n--; skb = skb->next)
		tcp_rate_skb_sent(sk, skb);
	/*
	 * The pacing timer still pending past its time: the host woke late and
	 * an ACK or the owner's write came first, as late as the timer would
	 * have. The frames due meanwhile go now, as from tcp_pace_kick.
	 */
	if (!late && timer_pending(&tp->pacing_timer) && tp->pacing_timer.expires < now) {
		late = now - tp->pacing_timer.expires;
		if (late > TCP_PACING_CATCHUP_MAX)
			late = TCP_PACING_CATCHUP_MAX;
	}
	/* From a late pacing timer: the frames due meanwhile go now (tcp_pace_kick). */
	if (tp->tcp_wstamp_ns + late < now)
		tp->tcp_wstamp_ns = now - late;
	if (tp->sk_pacing_status != SK_PACING_NONE && rate != ~0ull && rate &&
	    tp->data_segs_out >= TCP_INIT_CWND) {
		uint64_t len_ns = (uint64_t)len * NSEC_PER_SEC / rate;
		uint64_t credit = tp->tcp_wstamp_ns - prior_wstamp;

		len_ns -= len_ns / 2 < credit ? len_ns / 2 : credit;
		tp->tcp_wstamp_ns += len_ns;
	}
}

/* Segments one frame points at (at 1500 bytes of MTU 64 KiB is 46); a longer run is copied. */
#define TCP_FRAME_FRAGS 64

/*
 * The frame for the n queued segments from skb, len bytes in all, before
 * its header: where the link gathers and completes checksums (dev->sg, with
 * offloads), a buffer with room for the header only, whose fragments point
 * at the segments' payload, each holding a reference until the link has
 * sent the frame (so an ACK that frees a segment meanwhile frees nothing
 * the frame points at); elsewhere a copy of the payload. The queue's bytes
 * are never written again once sent, so the fragments see what a copy
 * would have held.
 */
static struct sk_buff *tcp_frame_alloc(struct sock *sk, struct sk_buff *skb, unsigned int n,
				       unsigned int len)
{
	const struct net_device *dev = sock_net(sk)->dev;
	struct sk_buff *c;

	if (len && n <= TCP_FRAME_FRAGS && dev && dev->sg && dev->gso_max_size) {
		c = alloc_skb_frags(TCP_MAX_HDR, n);
		if (!c)
			return NULL;
		skb_reserve(c, TCP_MAX_HDR);
		for (; n--; skb = skb->next)
			skb_add_frag(c, skb, skb->data, skb->len);
		return c;
	}
	c = alloc_skb(len + TCP_MAX_HDR);
	if (!c)
		return NULL;
	skb_reserve(c, TCP_MAX_HDR);
	for (; n--; skb = skb->next)
		memcpy(skb_put(c, skb->len), skb->data, skb->len);
	return c;
}

/* The frame shares the segment's stamp request (skb_shinfo of a clone), for the link. */
static void tcp_frame_tstamp(struct sk_buff *c, const struct sk_buff *skb)
{
	if (!(skb->tx_flags & SKBTX_ANY_TSTAMP))
		return;
	c->tx_flags |= skb->tx_flags & SKBTX_ANY_TSTAMP;
	c->tskey = skb->tskey;
}

/* Sends a copy of a queued segment; the original stays for retransmission. */
int tcp_transmit_skb(struct sock *sk, struct sk_buff *skb, bool clone)
{
	struct sk_buff *c;

	TCP_SKB_CB(skb)->when = sock_net(sk)->now;
	if (!clone)
		return tcp_xmit_segment(sk, skb, TCP_SKB_CB(skb)->seq, tcp_skb_flags(sk, skb));
	tcp_skb_tsorted_sent(sk, skb);
	c = tcp_frame_alloc(sk, skb, 1, skb->len);
	if (!c)
		return -ENOBUFS;
	tcp_frame_tstamp(c, skb);
	return tcp_xmit_segment(sk, c, TCP_SKB_CB(skb)->seq, tcp_skb_flags(sk, skb));
}

/* The payload bytes of the n queued segments from skb. */
static unsigned int tcp_run_bytes(const struct sk_buff *skb, unsigned int n)
{
	unsigned int len = 0;

	for (; n--; skb = skb->next)
		len += skb->len;
	return len;
}

/*
 * Sends the n queued segments from skb as one GSO frame of gso_size mss
 * (the run tcp_tso_segs chose: contiguous, all but the last full). The
 * frame's flags are the first segment's; PSH and FIN, if any segment has
 * them, go on its last piece only when it is cut.
 */
static int tcp_transmit_gso(struct sock *sk, struct sk_buff *skb, unsigned int n, unsigned int mss)
{
	struct sk_buff *c, *s = skb;
	uint32_t seq = TCP_SKB_CB(skb)->seq, len = skb->len;
	uint8_t flags = tcp_skb_flags(sk, skb);

	for (unsigned int i = 1; i < n; i++) {
		s = s->next;
		len += s->len;
	}
	c = tcp_frame_alloc(sk, skb, n, len);
	if (!c)
		return -ENOBUFS;
	for (s = skb; n--; s = s->next) {
		TCP_SKB_CB(s)->when = sock_net(sk)->now;
		tcp_skb_tsorted_sent(sk, s);
		flags |= TCP_SKB_CB(s)->tcp_flags & (TCPHDR_PSH | TCPHDR_FIN);
		tcp_frame_tstamp(c, s);
	}
	c->gso_size = (uint16_t)mss;
	c->gso_segs = (uint16_t)((len + mss - 1) / mss);
	return tcp_xmit_segment(sk, c, seq, flags);
}

/*
 * Sends the run of n queued segments from skb tcp_tso_segs chose: one GSO
 * frame where the device takes it, else n frames back to back, as the
 * kernel's software GSO cuts its frame below TCP (validate_xmit_skb). Only
 * the first frame's failure is the run's: a later one is a frame the
 * device dropped, for loss recovery to send again.
 */
static int tcp_transmit_run(struct sock *sk, struct sk_buff *skb, unsigned int n, unsigned int mss)
{
	const struct net_device *dev = sock_net(sk)->dev;
	int err;

	/* TCP-MD5 turned GSO off: each segment carries its own signature. */
	if (n > 1 && dev->gso_max_size && !tcp_sk(sk)->md5_gso_off)
		return tcp_transmit_gso(sk, skb, n, mss);
	err = tcp_transmit_skb(sk, skb, true);
	while (!err && --n) {
		skb = skb->next;
		tcp_transmit_skb(sk, skb, true);
	}
	return err;
}

/* Splits skb so that it carries len bytes; the rest follows it on the queue. */
static int tcp_fragment(struct sock *sk, struct sk_buff *skb, unsigned int len)
{
	struct sk_buff *buff;
	unsigned int nlen = skb->len - len;

	buff = alloc_skb(nlen + TCP_MAX_HDR);
	if (!buff)
		return -ENOBUFS;
	skb_reserve(buff, TCP_MAX_HDR);
	memcpy(skb_put(buff, nlen), skb->data + len, nlen);
	skb_trim(skb, len);
	*TCP_SKB_CB(buff) = *TCP_SKB_CB(skb);
	TCP_SKB_CB(buff)->seq = TCP_SKB_CB(skb)->seq + len;
	TCP_SKB_CB(skb)->end_seq = TCP_SKB_CB(buff)->seq;
	if (skb->tx_flags)
		tcp_tx_mark_split(skb, buff);
	if (before(TCP_SKB_CB(skb)->seq, tcp_sk(sk)->snd_nxt)) {
		/* Sent already: both pieces count, with the marks they share (tcp_adjust_pcount).
		 */
		struct tcp_sock *tp = tcp_sk(sk);
		uint8_t marks = TCP_SKB_CB(buff)->sacked;

		tp->packets_out++;
		/* Sent with skb: next to it in transmit order (or off the list with it). */
		list_add(&buff->tcp_tsorted_anchor, &skb->tcp_tsorted_anchor);
		tp->lost_out += !!(marks & TCPCB_LOST);
		tp->retrans_out += !!(marks & TCPCB_SACKED_RETRANS);
		tp->sacked_out += !!(marks & TCPCB_SACKED_ACKED);
	}
	/* FIN and PSH belong to the tail piece. */
	TCP_SKB_CB(skb)->tcp_flags &= (uint8_t) ~(TCPHDR_FIN | TCPHDR_PSH);
	__skb_queue_after(&sk->sk_write_queue, skb, buff);
	return 0;
}

static uint32_t tcp_wnd_end(const struct tcp_sock *tp)
{
	return tp->snd_una + tp->snd_wnd;
}

/* Minshall's variant of Nagle: hold a small segment while another small one is unacked. */
static bool tcp_nagle_test(const struct tcp_sock *tp, const struct sk_buff *skb, unsigned int mss,
			   int nonagle)
{
	if (nonagle & TCP_NAGLE_PUSH)
		return true;
	/* Nagle holds back neither urgent data nor the FIN. */
	if (skb->len >= mss || tp->urg_mode || (TCP_SKB_CB(skb)->tcp_flags & TCPHDR_FIN))
		return true;
	if (nonagle & TCP_NAGLE_CORK)
		return false;
	if (nonagle & TCP_NAGLE_OFF)
		return true;
	return !(tp->packets_out && after(tp->snd_sml, tp->snd_una));
}

/*
 * The largest run of segments TCP builds (sk_gso_max_size): the device's
 * GSO limit, else GSO_LEGACY_MAX_SIZE, which the kernel's software GSO
 * takes on any device.
 */
static uint64_t tcp_gso_max_size(const struct net_device *dev)
{
	return dev->gso_max_size && dev->gso_max_size < 65536 ? dev->gso_max_size : 65536;
}

/* The namespace's tcp_min_tso_segs, or what the congestion control asks for instead (BBR). */
static unsigned int tcp_min_tso_segs(struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return tp->ca_ops->min_tso_segs ? tp->ca_ops->min_tso_segs(sk)
					: (unsigned int)sock_net(sk)->sysctl.tcp_min_tso_segs;
}

/*
 * Segments per GSO frame at the pacing rate (tcp_tso_autosize, tcp_tso_segs):
 * about 1 ms of data (sk_pacing_shift), more on a short path (the device's
 * limit halves per 512 us of minimum RTT), at least min_tso_segs.
 */
static unsigned int tcp_tso_autosize(struct sock *sk, unsigned int mss)
{
	const struct net_device *dev = sock_net(sk)->dev;
	struct tcp_sock *tp = tcp_sk(sk);
	uint64_t gso_max = tcp_gso_max_size(dev);
	uint64_t bytes = tp->sk_pacing_rate >> SK_PACING_SHIFT;
	uint64_t r = tcp_min_rtt(tp) / NSEC_PER_USEC >> TCP_TSO_RTT_LOG;
	unsigned int min_segs = tcp_min_tso_segs(sk);

	if (r < 32)
		bytes += gso_max >> r;
	if (bytes > gso_max)
		bytes = gso_max;
	return bytes / mss > min_segs ? (unsigned int)(bytes / mss) : min_segs;
}

/*
 * The most segments one frame carries (tcp_tso_segs without the windows):
 * tcp_tso_autosize's, within the 64 KiB of one IP packet; one at least,
 * however large the MSS (at MTU 65535 one segment fills the packet).
 */
static unsigned int tcp_tso_max_segs(struct sock *sk, unsigned int mss)
{
	const struct net_device *dev = sock_net(sk)->dev;
	unsigned int max =
		(unsigned int)(tcp_gso_max_size(dev) < 65535 ? tcp_gso_max_size(dev) : 65535) -
		IPV4_HLEN - TCP_MAX_HDR;

	max = max < mss ? 1 : max / mss;
	return max < tcp_tso_autosize(sk, mss) ? max : tcp_tso_autosize(sk, mss);
}

/* A frame carries the segment after skb too: skb is full, not the last, no FIN, no stamp. */
static bool tcp_run_continues(const struct sock *sk, const struct sk_buff *skb, unsigned int mss)
{
	return skb->len == mss && !(TCP_SKB_CB(skb)->tcp_flags & TCPHDR_FIN) &&
	       !(skb->tx_flags & SKBTX_ANY_TSTAMP) && !skb_queue_is_last(&sk->sk_write_queue, skb);
}

/*
 * How many queued segments from skb (sendable on its own) leave as one frame
 * (tcp_tso_autosize and tcp_mss_split_point, simply): while the device takes
 * GSO frames, up to the 64 KiB of one IP packet, the congestion window's
 * room (quota) and the peer's window; a short segment or a FIN ends the run,
 * and the queue's last segment joins only if Nagle lets it go.
 */
static unsigned int tcp_tso_segs(struct sock *sk, struct sk_buff *skb, unsigned int mss,
				 uint32_t quota, int nonagle)
{
	const struct net_device *dev = sock_net(sk)->dev;
	struct tcp_sock *tp = tcp_sk(sk);
	unsigned int max, n = 1;

	/* In urgent mode each segment's own header carries its urgent pointer. */
	if (!dev || (TCP_SKB_CB(skb)->tcp_flags & TCPHDR_SYN) || tp->urg_mode)
		return 1;
	max = tcp_tso_max_segs(sk, mss);
	if (max > quota)
		max = quota;
	/* A frame ends at a stamped segment: each send's stamp is its own frame's. */
	while (n < max && tcp_run_continues(sk, skb, mss)) {
		struct sk_buff *next = skb->next;

		skb_prefetch(next->next);
		if (next->len > mss || after(TCP_SKB_CB(next)->end_seq, tcp_wnd_end(tp)))
			break;
		if (skb_queue_is_last(&sk->sk_write_queue, next) &&
		    !tcp_nagle_test(tp, next, mss, nonagle))
			break;
		skb = next;
		n++;
	}
	return n;
}

/*
 * The bytes tcp_sendmsg fills a skb with (tcp_xmit_size_goal, before it
 * rounds down to whole segments): the largest GSO frame within half the
 * peer's largest window; one segment once TCP-MD5 turned GSO off
 * (sk_gso_disable leaves no GSO size, so the size goal is the MSS).
 */
static unsigned int tcp_gso_goal(struct sock *sk, unsigned int mss)
{
	unsigned int goal =
		(unsigned int)tcp_gso_max_size(sock_net(sk)->dev) - IPV4_HLEN - TCP_MAX_HDR;

	return tcp_sk(sk)->md5_gso_off ? mss : tcp_bound_to_half_wnd(tcp_sk(sk), goal);
}

unsigned int tcp_xmit_size_goal(struct sock *sk, unsigned int mss)
{
	unsigned int goal = tcp_gso_goal(sk, mss);

	return goal > mss ? goal - goal % mss : mss;
}

/*
 * The kernel's TSO skb at send_head, as tcp_sendmsg fills it up to
 * tcp_xmit_size_goal: the run of queued segments from skb that one frame
 * could carry with the windows aside. Returns its last segment, its bytes
 * in *len.
 */
static struct sk_buff *tcp_tso_skb(struct sock *sk, struct sk_buff *skb, unsigned int mss,
				   uint32_t *len)
{
	unsigned int goal = tcp_gso_goal(sk, mss);

	for (*len = skb->len; *len + mss <= goal && tcp_run_continues(sk, skb, mss);
	     *len += skb->len)
		skb = skb->next;
	return skb;
}

/* tcp_max_tso_deferred_mss: with tcp_tso_win_divisor 0, room for more segments goes. */
#define TCP_MAX_TSO_DEFERRED_MSS 3u

/*
 * Holds back the run at skb, of more than one segment, that the windows
 * would cut short, when the next ACK is near and may make room for a
 * larger frame (tcp_tso_should_defer: "a kind of TSO Nagle test", John
 * Heffner's). It goes now in recovery, after 1 ms without a send (no
 * burst later), when a full frame (max_segs) fits, when the whole run
 * fits and more follows it, when the room is a tcp_tso_win_divisor-th of
 * the smaller window (with 0: more than three segments), when nothing is
 * in flight or the next ACK is due later than min(srtt/2, 1 ms) from now;
 * and when the windows are not what cuts it short, unless more data may
 * join it (it ends the queue without the FIN). *is_cwnd_limited: held
 * back for the congestion window.
 */
static bool tcp_tso_should_defer(struct sock *sk, struct sk_buff *skb, unsigned int mss,
				 unsigned int max_segs, bool *is_cwnd_limited)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	uint32_t send_win, cong_win, limit, len;
	uint64_t threshold, expected_ack;
	int win_divisor = net->sysctl.tcp_tso_win_divisor;
	struct sk_buff *end;

	if (tp->cong.ca_state >= TCP_CA_Recovery)
		return false;
	/* tcp_wstamp_ns is at least the last send's time (in the future while pacing). */
	if ((int64_t)(net->now - tp->tcp_wstamp_ns) > (int64_t)NSEC_PER_MSEC)
		return false;
	send_win = tcp_wnd_end(tp) - TCP_SKB_CB(skb)->seq;
	cong_win = (tp->cong.snd_cwnd - tcp_packets_in_flight(tp)) * tp->mss_cache;
	limit = send_win < cong_win ? send_win : cong_win;
	if (limit >= max_segs * tp->mss_cache)
		return false;
	/* A TSO skb of one segment (e.g. at MTU 65535) is Nagle's alone. */
	end = tcp_tso_skb(sk, skb, mss, &len);
	if (len <= mss)
		return false;
	/* Nothing more joins a run that the queue goes on after. */
	if (!skb_queue_is_last(&sk->sk_write_queue, end) && limit >= len)
		return false;
	if (win_divisor) {
		uint64_t chunk = (uint64_t)tp->cong.snd_cwnd * tp->mss_cache;

		if (tp->snd_wnd < chunk)
			chunk = tp->snd_wnd;
		if (limit >= chunk / (unsigned int)win_divisor)
			return false;
	} else if (limit > TCP_MAX_TSO_DEFERRED_MSS * tp->mss_cache) {
		return false;
	}
	/* The ACK of the oldest segment in flight, due one srtt after it left. */
	if (!tp->packets_out)
		return false;
	expected_ack = TCP_SKB_CB(skb_peek(&sk->sk_write_queue))->when + tp->srtt;
	threshold = tp->srtt / 2 < NSEC_PER_MSEC ? tp->srtt / 2 : NSEC_PER_MSEC;
	if ((int64_t)(expected_ack - net->now - threshold) > 0)
		return false;
	if (cong_win < send_win) {
		if (cong_win <= len) {
			*is_cwnd_limited = true;
			return true;
		}
	} else if (send_win <= len) {
		return true;
	}
	/* Neither window cuts it short: the queue's end waits for more, unless it is the FIN. */
	return !(TCP_SKB_CB(end)->tcp_flags & TCPHDR_FIN);
}

/* Arms the zero-window probe when data waits, nothing is in flight and nothing else runs. */
/* ---- the chronograph (tcp_chrono_start/stop) ---- */

/*
 * TCP_INFO's busy, rwnd-limited and sndbuf-limited times: one clock runs
 * at a time, for the most telling of what holds the connection, in whole
 * jiffies as the kernel keeps them (reported in microseconds, so in steps
 * of 4,000 at this machine's HZ).
 */
static uint32_t tcp_chrono_now(const struct sock *sk)
{
	return (uint32_t)(sock_net(sk)->now / TCP_JIFFY);
}

static void tcp_chrono_set(struct sock *sk, enum tcp_chrono type)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t now = tcp_chrono_now(sk);

	if (tp->chrono_type > TCP_CHRONO_UNSPEC)
		tp->chrono_stat[tp->chrono_type - 1] += now - tp->chrono_start;
	tp->chrono_start = now;
	tp->chrono_type = (uint8_t)type;
}

/* A condition began: it takes the clock if it tells more than the running one. */
void tcp_chrono_start(struct sock *sk, enum tcp_chrono type)
{
	if (type > tcp_sk(sk)->chrono_type)
		tcp_chrono_set(sk, type);
}

/*
 * A condition ended: with nothing left to send or in flight the clock
 * stops; if it was the one running, busy takes over (data is pending).
 */
void tcp_chrono_stop(struct sock *sk, enum tcp_chrono type)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->packets_out && !tp->send_head)
		tcp_chrono_set(sk, TCP_CHRONO_UNSPEC);
	else if (type == tp->chrono_type)
		tcp_chrono_set(sk, TCP_CHRONO_BUSY);
}

/* The three times in microseconds, the running clock's share included (tcp_get_info_chrono_stats).
 */
void tcp_chrono_stats(const struct tcp_sock *tp, uint64_t *busy, uint64_t *rwnd, uint64_t *sndbuf)
{
	uint64_t t[__TCP_CHRONO_MAX] = {0};

	*busy = 0;
	for (int i = TCP_CHRONO_BUSY; i < __TCP_CHRONO_MAX; i++) {
		t[i] = tp->chrono_stat[i - 1];
		if (i == tp->chrono_type)
			t[i] += tcp_chrono_now(&tp->inet.sk) - tp->chrono_start;
		t[i] *= 1000000u / TCP_HZ; /* USEC_PER_SEC / HZ */
		*busy += t[i];
	}
	*rwnd = t[TCP_CHRONO_RWND_LIMITED];
	*sndbuf = t[TCP_CHRONO_SNDBUF_LIMITED];
}

/*
 * Sending starves for want of data while the owner waits for send buffer
 * (tcp_cwnd_validate's "network starves" branch): everything written was
 * sent, this window of data did not fill cwnd (in slow start, which BBR
 * always is, not half of it), and the owner found no room.
 */
static void tcp_chrono_sndbuf_check(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->window_cwnd_limited ||
	    (tcp_in_slow_start(tp) && tp->cong.snd_cwnd < 2 * tp->max_packets_out))
		return;
	if (tp->sndbuf_nospace && !tp->send_head &&
	    (sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_CLOSE_WAIT))
		tcp_chrono_start(sk, TCP_CHRONO_SNDBUF_LIMITED);
}

/*
 * After a write_xmit that sent, or found cwnd full (tcp_cwnd_validate):
 * the strongest sign of how fully this window of data used cwnd, kept
 * until snd_una passes where it began.
 */
static void tcp_cwnd_validate(struct sock *sk, bool is_cwnd_limited)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!before(tp->snd_una, tp->cwnd_usage_seq) || is_cwnd_limited ||
	    (!tp->window_cwnd_limited && tp->packets_out > tp->max_packets_out)) {
		tp->window_cwnd_limited = is_cwnd_limited;
		tp->max_packets_out = tp->packets_out;
		tp->cwnd_usage_seq = tp->snd_nxt;
	}
	tcp_chrono_sndbuf_check(sk);
}

/*
 * The owner has more to write and the send buffer (or TCP_NOTSENT_LOWAT)
 * has no room for it: SOCK_NOSPACE, set by the sender before it pushes
 * what it queued, as tcp_sendmsg's wait_for_space does. The stack host
 * says so when it leaves bytes in the pair for want of room.
 */
void tcp_sndbuf_full(struct sock *sk)
{
	tcp_sk(sk)->sndbuf_nospace = 1;
	tcp_chrono_sndbuf_check(sk);
}

/*
 * An ACK freed send buffer and what it let out is sent (tcp_check_space):
 * once the owner would be woken (sk_stream_write_space: a third of the
 * buffer free, below the unsent mark) the wait is over.
 */
void tcp_sndbuf_check_room(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->sndbuf_nospace || sk_stream_wspace(sk) < sk->sk_wmem_queued / 2 ||
	    tcp_notsent_room(sk) <= 0)
		return;
	tp->sndbuf_nospace = 0;
	tcp_chrono_stop(sk, TCP_CHRONO_SNDBUF_LIMITED);
}

static void tcp_check_probe_timer(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->packets_out && tp->send_head && !timer_pending(&tp->retransmit_timer))
		tcp_reset_xmit_timer(sk, ICSK_TIME_PROBE0, tp->rto);
}

void tcp_event_new_data_sent(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t prior_packets = tp->packets_out;

	tp->snd_nxt = TCP_SKB_CB(skb)->end_seq;
	tp->send_head = skb_queue_is_last(&sk->sk_write_queue, skb) ? NULL : skb->next;
	tp->packets_out++;
	if (!prior_packets || tp->pending_timer == ICSK_TIME_PROBE0)
		tcp_rearm_rto(sk);
}

/*
 * Sends new segments from send_head while the congestion window, the
 * peer's window, Nagle and TSO deferral allow (tcp_write_xmit); push_one:
 * one frame, never deferred (the loss probe's). Returns true when
 * something is still waiting and nothing is in flight (the caller arms the
 * probe timer).
 */
bool tcp_write_xmit(struct sock *sk, int nonagle, bool push_one)
{
	struct tcp_sock *tp = tcp_sk(sk);
	unsigned int mss = tcp_current_mss(sk);
	/*
	 * The deferral's full frame is the kernel's tcp_tso_segs, never below
	 * min_tso_segs, even where one segment fills the IP packet.
	 */
	unsigned int max_segs = tcp_tso_max_segs(sk, mss);
	struct sk_buff *skb;
	int probe = tcp_mtu_probe(sk); /* PLPMTUD: first, a larger segment if one is due */
	bool sent = probe > 0, rwnd_limited = false, cwnd_limited = false;

	if (max_segs < tcp_min_tso_segs(sk))
		max_segs = tcp_min_tso_segs(sk);

	if (!probe)
		return false;
	tp->cong.is_cwnd_limited = false;
	while ((skb = tp->send_head)) {
		uint32_t in_flight = tcp_packets_in_flight(tp);
		unsigned int n, len = 0;

		/* Repair mode "sends" into the send queue: counted as sent, nothing on the wire.
		 */
		if (tp->repair && tp->repair_queue == TCP_SEND_QUEUE) {
			TCP_SKB_CB(skb)->when = sock_net(sk)->now; /* the RTO counts from here */
			tcp_skb_tsorted_sent(sk, skb);
			tcp_event_new_data_sent(sk, skb);
			sent = true;
			continue;
		}
		if (tcp_pacing_check(sk))
			break;
		if (in_flight >= tp->cong.snd_cwnd) {
			cwnd_limited = true;
			break;
		}
		if (skb->len > mss && tcp_fragment(sk, skb, mss))
			break;
		if (after(TCP_SKB_CB(skb)->end_seq, tcp_wnd_end(tp))) {
			rwnd_limited = true;
			break;
		}
		/*
		 * The last segment of the queue may wait for more (Nagle, cork);
		 * a longer run for room for a larger frame (TSO deferral).
		 */
		if (skb_queue_is_last(&sk->sk_write_queue, skb)) {
			if (!tcp_nagle_test(tp, skb, mss, nonagle))
				break;
		} else if (!push_one && tcp_run_continues(sk, skb, mss) &&
			   tcp_tso_should_defer(sk, skb, mss, max_segs,
						&tp->cong.is_cwnd_limited)) {
			break;
		}
		n = tcp_tso_segs(sk, skb, mss, tp->cong.snd_cwnd - in_flight, nonagle);
		if (!tp->packets_out)
			tcp_ca_event(sk, CA_EVENT_TX_START);
		if (tcp_transmit_run(sk, skb, n, mss))
			break;
		for (unsigned int i = 0; i < n; i++, skb = skb->next)
			len += skb->len;
		tcp_data_sent_paced(sk, tp->send_head, n, len);
		while (n--) {
			skb = tp->send_head;
			if (skb->len < mss)
				tp->snd_sml = TCP_SKB_CB(skb)->end_seq;
			tcp_event_new_data_sent(sk, skb);
			if (tp->cong.ca_state == TCP_CA_Recovery || tp->cong.ca_state == TCP_CA_CWR)
				tp->cong.prr_out++;
		}
		sent = true;
		if (push_one)
			break;
	}
	if (rwnd_limited)
		tcp_chrono_start(sk, TCP_CHRONO_RWND_LIMITED);
	else
		tcp_chrono_stop(sk, TCP_CHRONO_RWND_LIMITED);
	cwnd_limited |= tp->cong.is_cwnd_limited || tcp_packets_in_flight(tp) >= tp->cong.snd_cwnd;
	if (sent || cwnd_limited)
		tcp_cwnd_validate(sk, cwnd_limited);
	if (sent) {
		/* One loss probe per tail loss episode (tcp_write_xmit). */
		tcp_schedule_loss_probe(sk, false);
		return false;
	}
	return tp->send_head && !tp->packets_out;
}

void tcp_push_pending_frames(struct sock *sk, int nonagle)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->send_head)
		return;
	if (sk->sk_state == TCP_SYN_SENT ||
	    (sk->sk_state == TCP_SYN_RECV && !tcp_passive_fastopen(sk)))
		return;
	/*
	 * The pacing timer is overdue (the host woke late) and an ACK or the
	 * owner's write came first: what the timer sends first goes first, the
	 * segments marked lost (tcp_pace_kick, tcp_tsq_write), not new data.
	 */
	if (timer_pending(&tp->pacing_timer) && tp->pacing_timer.expires <= sock_net(sk)->now &&
	    tp->lost_out > tp->retrans_out && tp->cong.snd_cwnd > tcp_packets_in_flight(tp))
		tcp_xmit_retransmit_queue(sk);
	if (tcp_write_xmit(sk, nonagle, false))
		tcp_check_probe_timer(sk);
}

/*
 * How many segments from skb, which goes again, go with it in one frame
 * (the run __tcp_retransmit_skb cuts from a lost TSO skb in the kernel):
 * the contiguous full segments after it that are lost and not yet resent,
 * at most segs, within the peer's window. A segment larger than the MSS
 * (the MSS shrank) is cut to it first; a short segment, a FIN, a SYN or a
 * stamped segment ends the run, as in tcp_tso_segs.
 */
static unsigned int tcp_retrans_run_len(struct sock *sk, struct sk_buff *skb, unsigned int mss,
					unsigned int segs)
{
	struct tcp_sock *tp = tcp_sk(sk);
	unsigned int n = 1;

	if (tp->urg_mode || (TCP_SKB_CB(skb)->tcp_flags & TCPHDR_SYN))
		return 1;
	while (n < segs && skb->len == mss &&
	       !(TCP_SKB_CB(skb)->tcp_flags & (TCPHDR_FIN | TCPHDR_SYN)) &&
	       !(skb->tx_flags & SKBTX_ANY_TSTAMP) &&
	       !skb_queue_is_last(&sk->sk_write_queue, skb) && skb->next != tp->send_head) {
		struct sk_buff *next = skb->next;
		uint8_t s = TCP_SKB_CB(next)->sacked;

		if (!(s & TCPCB_LOST) || (s & (TCPCB_SACKED_RETRANS | TCPCB_SACKED_ACKED)))
			break;
		if (next->len > mss && tcp_fragment(sk, next, mss))
			break;
		if (after(TCP_SKB_CB(next)->end_seq, tcp_wnd_end(tp)))
			break;
		skb = next;
		n++;
	}
	return n;
}

/*
 * Sends skb again, with up to segs - 1 lost segments after it in the same
 * GSO frame (__tcp_retransmit_skb, tcp_retransmit_skb): each segment of the
 * run is marked and counted (RetransSegs) as the kernel counts the pcount
 * of its TSO skb, and the run is paced as one frame.
 */
static int __tcp_retransmit_skb(struct sock *sk, struct sk_buff *skb, unsigned int segs)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	unsigned int mss = tcp_current_mss(sk), n, len = 0;
	struct sk_buff *skb_start = skb;
	int err;

	/*
	 * An MTU probe still out when anything goes again is inconclusive, as
	 * the kernel's: neither search bound moves, and the next probe tries
	 * the same size. Kept, its bytes resent in MSS pieces would later be
	 * acknowledged and taken for the probe's success.
	 */
	tp->mtup.probe_size = 0;
	if (skb->len > mss && tcp_fragment(sk, skb, mss))
		return -ENOBUFS;
	if (!before(TCP_SKB_CB(skb)->seq, tp->snd_nxt))
		return -EAGAIN; /* never sent: not a retransmission */
	/* tcp_ecn_clear_syn (tcp_ecn_fallback): a SYN sent again asks for no ECN. */
	if ((TCP_SKB_CB(skb)->tcp_flags & (TCPHDR_SYN | TCPHDR_ACK)) == TCPHDR_SYN)
		TCP_SKB_CB(skb)->tcp_flags &= (uint8_t) ~(TCPHDR_ECE | TCPHDR_CWR);
	n = tcp_retrans_run_len(sk, skb, mss, segs);
	err = tcp_transmit_run(sk, skb, n, mss);
	if (err)
		return err;
	tcp_data_sent_paced(sk, skb, n, tcp_run_bytes(skb, n));
	for (unsigned int i = 0; i < n; i++, skb = skb->next) {
		len += skb->len;
		if (!(TCP_SKB_CB(skb)->sacked & TCPCB_SACKED_RETRANS)) {
			TCP_SKB_CB(skb)->sacked |= TCPCB_SACKED_RETRANS;
			tp->retrans_out++;
		}
		TCP_SKB_CB(skb)->sacked |= TCPCB_EVER_RETRANS;
	}
	if (tp->cong.ca_state == TCP_CA_Recovery || tp->cong.ca_state == TCP_CA_CWR)
		tp->cong.prr_out += n;
	if (tp->cong.undo_marker) {
		if (tp->cong.undo_retrans < 0)
			tp->cong.undo_retrans = 0;
		tp->cong.undo_retrans += (int)n;
	}
	tp->total_retrans += n;
	tp->bytes_retrans += len;
	net->mib.tcp.RetransSegs += n;
	/* A SYN or SYN-ACK sent again: tcp_rtx_synack and __tcp_retransmit_skb count it. */
	if (TCP_SKB_CB(skb_start)->tcp_flags & TCPHDR_SYN)
		net->mib.tcpext.TCPSynRetrans++;
	return 0;
}

/*
 * __tcp_retransmit_skb, then the time of the episode's first retransmission
 * (retrans_stamp), which the retry limits count from (tcp_write_timeout)
 * and the timestamp undo compares echoes with (tcp_packet_delayed):
 * attempted is enough, as the kernel's, so a send that keeps failing still
 * runs out of time, and is not taken for no resend at all. A loss probe
 * sets none.
 */
static int tcp_retransmit_skb_segs(struct sock *sk, struct sk_buff *skb, unsigned int segs)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int err = __tcp_retransmit_skb(sk, skb, segs);

	if (!tp->retrans_stamp)
		tp->retrans_stamp = sock_net(sk)->now;
	return err;
}

/* Retransmits the head of skb, one MSS at most (the RTO's, a SYN's). */
int tcp_retransmit_skb(struct sock *sk, struct sk_buff *skb)
{
	return tcp_retransmit_skb_segs(sk, skb, 1);
}

/* Control segments without payload that are not kept for retransmission. */
static int tcp_send_ctl(struct sock *sk, uint32_t seq, uint8_t flags)
{
	struct sk_buff *skb = alloc_skb(TCP_MAX_HDR);

	if (!skb)
		return -ENOBUFS;
	skb_reserve(skb, TCP_MAX_HDR);
	return tcp_xmit_segment(sk, skb, seq, flags);
}

void tcp_send_ack(struct sock *sk)
{
	if (sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_LISTEN)
		return;
	tcp_send_ctl(sk, tcp_sk(sk)->snd_nxt, TCPHDR_ACK);
}

/*
 * The ACK of a request (tcp_v4_reqsk_send_ack, a Fast Open child's too):
 * the window its SYN-ACK offered, not one the child's buffer would offer
 * now, and nothing of the child's receive state moves.
 */
void tcp_send_req_ack(struct sock *sk)
{
	struct sk_buff *skb = alloc_skb(TCP_MAX_HDR);

	if (!skb)
		return;
	skb_reserve(skb, TCP_MAX_HDR);
	TCP_SKB_CB(skb)->sacked = TCPCB_REQ_WND;
	tcp_xmit_segment(sk, skb, tcp_sk(sk)->snd_nxt, TCPHDR_ACK);
}

/*
 * Schedules the delayed ACK (tcp_send_delayed_ack) after the ATO, in
 * jiffies as the kernel's. An ATO grown past TCP_DELACK_MIN is bounded by
 * half a second, by TCP_DELACK_MAX when interactive or a pushed segment
 * waits, and by the smoothed RTT (at least TCP_DELACK_MIN); every ATO by
 * TCP_DELACK_MAX_US and the RTO's floor (tcp_delack_max). A timer already
 * running keeps its earlier time, and one due within a quarter of the ATO
 * is not worth waiting for: the ACK goes now.
 */
void tcp_send_delayed_ack(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	uint64_t ato = tp->ack.ato, timeout;

	if (ato > TCP_DELACK_MIN) {
		uint64_t max_ato = NSEC_PER_SEC / 2;

		if (tp->ack.pingpong || (tp->ack.pending & ICSK_ACK_PUSHED))
			max_ato = TCP_DELACK_MAX;
		if (tp->srtt) {
			/* usecs_to_jiffies: the RTT rounded up to a jiffy. */
			uint64_t rtt = (tp->srtt / NSEC_PER_USEC * NSEC_PER_USEC + TCP_JIFFY - 1) /
				       TCP_JIFFY * TCP_JIFFY;

			if (rtt < TCP_DELACK_MIN)
				rtt = TCP_DELACK_MIN;
			if (rtt < max_ato)
				max_ato = rtt;
		}
		if (ato > max_ato)
			ato = max_ato;
	}
	if (ato > tcp_delack_max(sk))
		ato = tcp_delack_max(sk);
	timeout = net->now + ato;
	if (tp->ack.pending & ICSK_ACK_TIMER) {
		if (tp->ack.timeout <= net->now + ato / TCP_JIFFY / 4 * TCP_JIFFY) {
			tcp_send_ack(sk);
			return;
		}
		if (timeout >= tp->ack.timeout)
			timeout = tp->ack.timeout;
	}
	tp->ack.pending |= ICSK_ACK_SCHED | ICSK_ACK_TIMER;
	tp->ack.timeout = timeout;
	mod_timer(&net->timers, &tp->delack_timer, timeout);
}

/* Appends a queued segment at write_seq and starts the clock on it. */
static struct sk_buff *tcp_queue_ctl_skb(struct sock *sk, uint8_t flags)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb = alloc_skb(TCP_MAX_HDR);

	if (!skb)
		return NULL;
	skb_reserve(skb, TCP_MAX_HDR);
	TCP_SKB_CB(skb)->seq = tp->write_seq;
	TCP_SKB_CB(skb)->end_seq = tp->write_seq + 1;
	TCP_SKB_CB(skb)->tcp_flags = flags;
	tp->write_seq++;
	__skb_queue_tail(&sk->sk_write_queue, skb);
	if (!tp->send_head) {
		tp->send_head = skb;
		/* A FIN waits to be sent (tcp_add_write_queue_tail); a SYN is not counted. */
		if (!(flags & TCPHDR_SYN))
			tcp_chrono_start(sk, TCP_CHRONO_BUSY);
	}
	return skb;
}

/*
 * Queues our FIN: on the last unsent segment if there is one (so that it
 * rides with data), else as a segment of its own, then pushes.
 */
void tcp_send_fin(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *tail = skb_peek_tail(&sk->sk_write_queue);

	if (tail && tp->send_head && !(TCP_SKB_CB(tail)->tcp_flags & (TCPHDR_SYN | TCPHDR_FIN))) {
		TCP_SKB_CB(tail)->tcp_flags |= TCPHDR_FIN;
		TCP_SKB_CB(tail)->end_seq++;
		tp->write_seq++;
	} else if (!tcp_queue_ctl_skb(sk, TCPHDR_FIN)) {
		return;
	}
	tcp_push_pending_frames(sk, TCP_NAGLE_OFF);
}

/* RST on an established connection we abort (close with unread data, SO_LINGER 0). */
void tcp_send_active_reset(struct sock *sk)
{
	tcp_send_ctl(sk, tcp_sk(sk)->snd_nxt, TCPHDR_ACK | TCPHDR_RST);
	__TCP_INC_STATS(sock_net(sk), OutRsts);
}

/* The SYN-ACK of a child in SYN_RECV, queued so that the RTO machinery resends it. */
int tcp_send_synack(struct sock *sk)
{
	struct sk_buff *skb = tcp_queue_ctl_skb(sk, TCPHDR_SYN | TCPHDR_ACK);

	if (!skb)
		return -ENOBUFS;
	tcp_transmit_skb(sk, skb, true);
	tcp_event_new_data_sent(sk, skb);
	tcp_sk(sk)->fastopen_synack.len = 0;
	return 0;
}

/*
 * The SYN-ACK of a SYN cookie (tcp_conn_request with want_cookie): built
 * from the listener and the SYN alone, nothing queued. Without a timestamp
 * to carry them, window scale and SACK are not offered.
 */
int tcp_v4_send_synack_cookie(struct sock *parent, const struct sk_buff *syn, uint32_t isn,
			      const struct tcp_options_received *opt)
{
	const struct tcphdr *sth = (const struct tcphdr *)skb_transport_header(syn);
	const struct iphdr *iph = ip_hdr(syn);
	struct tcp_sock *ptp = tcp_sk(parent);
	struct net *net = sock_net(parent);
	struct tcp_out_options opts = {0};
	struct ip_options_data ipopt;
	struct tcp_synack_req req = {
		.mss = tcp_advertised_mss(ptp),
		.tstamp_ok = opt->saw_tstamp,
		.wscale_ok = opt->saw_tstamp && opt->wscale_ok,
		.sack_ok = opt->saw_tstamp && opt->sack_ok,
		.tsecr = opt->rcv_tsval,
		.md5 = ptp->md5_nkeys ? tcp_md5_do_lookup(parent, iph->saddr) : NULL,
	};
	struct tcp_rwin rw;
	unsigned int hlen;
	struct sk_buff *skb;
	struct tcphdr *th;

	tcp_openreq_init_rwin(parent, req.mss, req.tstamp_ok, req.wscale_ok, &rw);
	req.rcv_wscale = rw.rcv_wscale;
	if (req.tstamp_ok)
		req.tsval = cookie_init_timestamp(tcp_time_stamp_ts(ptp), opt) +
			    secure_tcp_ts_off(net, iph->daddr, iph->saddr);
	hlen = sizeof(*th) + tcp_synack_options(&req, &opts);
	skb = alloc_skb(TCP_MAX_HDR);
	if (!skb)
		return -ENOBUFS;
	skb_reserve(skb, TCP_MAX_HDR);
	th = (struct tcphdr *)skb_push(skb, hlen);
	memset(th, 0, sizeof(*th));
	skb_reset_transport_header(skb);
	th->source = sth->dest;
	th->dest = sth->source;
	th->seq = htonl(isn);
	th->ack_seq = htonl(TCP_SKB_CB(syn)->seq + 1);
	th->doff = (uint16_t)(hlen / 4);
	((uint8_t *)th)[13] = TCPHDR_SYN | TCPHDR_ACK;
	th->window = htons((uint16_t)(rw.rcv_wnd < TCP_MAX_WINDOW ? rw.rcv_wnd : TCP_MAX_WINDOW));
	tcp_options_write((uint8_t *)(th + 1), ptp, &opts);
	if (opts.md5)
		tcp_v4_md5_hash_skb(opts.md5_hash, opts.md5, iph->daddr, iph->saddr, skb);
	th->check = csum_tcpudp_magic(iph->daddr, iph->saddr, skb->len, IPPROTO_TCP,
				      csum_partial(th, (int)skb->len, 0));
	__TCP_INC_STATS(net, OutSegs);
	/* The SYN's IP options echoed (tcp_v4_save_options); none if they cannot be. */
	if (ip_options_echo(net, syn, &TCP_SKB_CB(syn)->h4.opt, &ipopt))
		ipopt.opt.optlen = 0;
	return ip_build_and_send_pkt_opt(net, skb, iph->daddr, iph->saddr, IPPROTO_TCP,
					 inet_sk(parent)->tos, ip_select_ttl(parent),
					 ip_dont_fragment(parent), &ipopt);
}

/* Active open: queue the SYN and send it (tcp_connect). */
int tcp_connect(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb;

	if (tp->repair)
		return tcp_repair_connect(sk);
	tp->snd_una = tp->iss;
	tp->snd_nxt = tp->iss;
	tp->write_seq = tp->iss;
	tp->snd_sml = tp->iss;
	tp->rcv_nxt = 0;
	tp->rcv_wup = 0;
	tp->copied_seq = 0;
	tp->advmss = (uint16_t)tcp_mss_for_mtu(sk);
	tp->rx_opt.mss_clamp = 0;
	tp->rx_opt.wscale_ok = 0;
	tp->rx_opt.snd_wscale = 0;
	tp->rx_opt.tstamp_ok = tp->rx_opt.sack_ok = tp->rx_opt.dsack = 0;
	tp->rx_opt.num_sacks = 0;
	/* ts_recent: 0, or TIME_WAIT's for a 4-tuple taken over (the SYN echoes it). */
	tp->tcp_header_len = sizeof(struct tcphdr);
	/* tcp_connect_init: until the SYN-ACK says otherwise (tcp_ts_sack_settle). */
	if (tp->md5_nkeys && tcp_md5_do_lookup(sk, sk->sk_daddr))
		tp->tcp_header_len += TCPOLEN_MD5SIG_ALIGNED;
	/* The first SYN's time: a SYN-ACK must echo a timestamp from then on. */
	tp->retrans_stamp = sock_net(sk)->now;
	tcp_mtup_init(sk); /* tcp_connect_init: no search left from an earlier connection */
	tcp_current_mss(sk);
	tcp_connect_init_rwin(sk);
	skb = tcp_queue_ctl_skb(sk, TCPHDR_SYN);
	if (!skb)
		return -ENOBUFS;
	TCP_SKB_CB(skb)->tcp_flags |= tcp_ecn_send_syn(sk);
	/* Fast Open: data in the SYN, or a SYN that asks for a cookie. */
	if (!tp->fastopen_req || tcp_send_syn_data(sk, skb))
		tcp_transmit_skb(sk, skb, true);
	tcp_event_new_data_sent(sk, skb);
	if (tp->send_head) /* the SYN's data, sent with it */
		tcp_event_new_data_sent(sk, tp->send_head);
	__TCP_INC_STATS(sock_net(sk), ActiveOpens);
	return 0;
}

/*
 * A probe that makes the peer answer with its current window (and, for
 * keepalive, proves it alive): an old sequence number and no data, as
 * tcp_xmit_probe_skb(sk, 0).
 */
static int tcp_xmit_probe_skb(struct sock *sk)
{
	return tcp_send_ctl(sk, tcp_sk(sk)->snd_una - 1, TCPHDR_ACK);
}

/* TCP_REPAIR_OFF: a probe whose answer brings the peer's window (tcp_send_window_probe). */
void tcp_send_window_probe(struct sock *sk)
{
	if (sk->sk_state == TCP_ESTABLISHED) {
		tcp_sk(sk)->snd_wl1 = tcp_sk(sk)->rcv_nxt - 1;
		tcp_xmit_probe_skb(sk);
	}
}

/*
 * The window may have opened without us hearing: send what now fits, or a
 * probe (tcp_write_wakeup). Returns <= 0 if a probe went out or nothing
 * could, > 0 when data was sent.
 */
int tcp_write_wakeup(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb = tp->send_head;

	if (sk->sk_state == TCP_CLOSE)
		return -1;
	if (skb && before(TCP_SKB_CB(skb)->seq, tcp_wnd_end(tp))) {
		unsigned int mss = tcp_current_mss(sk);
		uint32_t seg_size = tcp_wnd_end(tp) - TCP_SKB_CB(skb)->seq;

		if (seg_size > mss)
			seg_size = mss;
		if (seg_size < skb->len && tcp_fragment(sk, skb, seg_size))
			return -1;
		if (tcp_transmit_skb(sk, skb, true))
			return -1;
		tcp_event_new_data_sent(sk, skb);
		return 1;
	}
	tcp_xmit_probe_skb(sk);
	return 0;
}

/* Zero-window probe timer expiry (tcp_send_probe0): probe and back off. */
void tcp_send_probe0(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint64_t when;
	int err = tcp_write_wakeup(sk);

	if (tp->packets_out || !tp->send_head) {
		/* Data went out (or nothing waits): the RTO takes over. */
		tp->probes_out = 0;
		tp->backoff = 0;
		tp->probes_tstamp = 0;
		return;
	}
	if (err <= 0) {
		if (tp->backoff < 15)
			tp->backoff++;
		tp->probes_out++;
	}
	when = tp->rto << tp->backoff;
	if (when > tp->rto_max)
		when = tp->rto_max;
	/* Not past TCP_USER_TIMEOUT (tcp_clamp_probe0_to_user_timeout), at least 2 jiffies. */
	if (tp->user_timeout && tp->probes_tstamp) {
		uint64_t end = tp->probes_tstamp +
			       tcp_rto_jiffies((uint64_t)tp->user_timeout * NSEC_PER_MSEC);
		uint64_t remaining = end > sock_net(sk)->now ? end - sock_net(sk)->now : 0;

		if (remaining < 2 * TCP_JIFFY)
			remaining = 2 * TCP_JIFFY;
		if (remaining < when)
			when = remaining;
	}
	tcp_reset_xmit_timer(sk, ICSK_TIME_PROBE0, when);
}

/*
 * Resends segments marked lost, oldest first, while the congestion window
 * has room (tcp_xmit_retransmit_queue). The hint remembers where the last
 * pass stopped so that a long recovery does not rescan the queue per ACK.
 */
void tcp_xmit_retransmit_queue(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb =
		tp->retransmit_hint ? tp->retransmit_hint : skb_peek(&sk->sk_write_queue);
	unsigned int max_segs;

	if (!skb || skb == (struct sk_buff *)&sk->sk_write_queue || skb == tp->send_head)
		return;
	max_segs = sock_net(sk)->dev ? tcp_tso_max_segs(sk, tcp_current_mss(sk)) : 1;
	for (; skb && skb != (struct sk_buff *)&sk->sk_write_queue && skb != tp->send_head;
	     skb = skb->next) {
		uint8_t s = TCP_SKB_CB(skb)->sacked;
		uint32_t in_flight = tcp_packets_in_flight(tp);

		if (tcp_pacing_check(sk))
			break;
		/* The next pass resumes here, at the first segment this one left. */
		tp->retransmit_hint = skb;
		if (in_flight >= tp->cong.snd_cwnd)
			break;
		/* Every segment marked lost went again: nothing further to find. */
		if (tp->retrans_out >= tp->lost_out)
			break;
		if (!(s & TCPCB_LOST) || (s & TCPCB_SACKED_RETRANS))
			continue;
		/* A contiguous lost run goes as one frame, within cwnd and the GSO size. */
		if (tcp_retransmit_skb_segs(sk, skb,
					    tp->cong.snd_cwnd - in_flight < max_segs
						    ? tp->cong.snd_cwnd - in_flight
						    : max_segs))
			break;
		/* The head went again: the RTO (not a loss probe) now guards it. */
		if (skb == skb_peek(&sk->sk_write_queue) &&
		    tp->pending_timer != ICSK_TIME_REO_TIMEOUT)
			tcp_reset_xmit_timer(sk, ICSK_TIME_RETRANS, tp->rto);
	}
}

/*
 * After the MSS shrank (tcp_simple_retransmit): every segment in flight
 * larger than it is lost and goes again now, cut to the new size. The
 * window is not reduced: no more data is in flight, only smaller units.
 */
void tcp_simple_retransmit(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	unsigned int mss = tcp_current_mss(sk);
	struct sk_buff *skb;

	skb_queue_walk (&sk->sk_write_queue, skb) {
		if (skb == tp->send_head)
			break;
		if (skb->len > mss)
			tcp_mark_skb_lost(sk, skb);
	}
	if (!tp->lost_out)
		return;
	if (tp->cong.ca_state != TCP_CA_Loss) {
		tp->cong.high_seq = tp->snd_nxt;
		tp->cong.snd_ssthresh = tcp_current_ssthresh(tp);
		tp->cong.prior_ssthresh = 0;
		tp->cong.undo_marker = 0;
		tp->cong.frto = 0; /* no timeout to test */
		tcp_set_ca_state(sk, TCP_CA_Loss);
	}
	tcp_xmit_retransmit_queue(sk);
}

/*
 * Arms the tail loss probe (RFC 8985 7.2, tcp_schedule_loss_probe): with
 * SACK, outside recovery, at two smoothed RTTs (plus the delayed-ACK
 * allowance when one segment is out), never later than the RTO would fire.
 */
bool tcp_schedule_loss_probe(struct sock *sk, bool advancing_rto)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint64_t timeout, rto_delta;
	int early_retrans = sock_net(sk)->sysctl.tcp_early_retrans;

	if ((early_retrans != 3 && early_retrans != 4) || !tp->packets_out || !tp->rx_opt.sack_ok ||
	    (tp->cong.ca_state != TCP_CA_Open && tp->cong.ca_state != TCP_CA_CWR))
		return false;
	if (tp->pending_timer == ICSK_TIME_PROBE0)
		return false;
	if (tp->srtt) {
		/* Two RTTs in whole jiffies, as the kernel keeps its timers. */
		timeout = tcp_rto_jiffies(2 * tp->srtt);
		timeout += tp->packets_out == 1 ? tp->rto_min : TCP_TIMEOUT_MIN;
	} else {
		timeout = TCP_TIMEOUT_INIT;
	}
	rto_delta = advancing_rto ? tp->rto : tcp_rto_delta(sk);
	if (rto_delta && rto_delta < timeout)
		timeout = rto_delta;
	tcp_reset_xmit_timer(sk, ICSK_TIME_LOSS_PROBE, timeout);
	return true;
}

/*
 * The probe (tcp_send_loss_probe): new data if the windows allow, else the
 * last segment sent again, so that the peer's ACK (with SACK) tells RACK
 * what of the tail was lost without waiting for the RTO. One probe at a
 * time (tlp_high_seq); the RTO takes over after it.
 */
void tcp_send_loss_probe(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t prior_packets = tp->packets_out;
	struct sk_buff *skb;

	if (tp->tlp_high_seq)
		goto rearm_timer;
	tp->tlp_retrans = 0;
	if (tp->send_head) {
		tcp_write_xmit(sk, TCP_NAGLE_OFF, true);
		if (tp->packets_out > prior_packets)
			goto probe_sent;
	}
	skb = tp->send_head ? tp->send_head->prev : skb_peek_tail(&sk->sk_write_queue);
	if (!skb || skb == (struct sk_buff *)&sk->sk_write_queue || !tp->packets_out)
		goto rearm_timer;
	/* As the kernel's __tcp_retransmit_skb: a probe starts no retry clock (retrans_stamp). */
	if (__tcp_retransmit_skb(sk, skb, 1))
		goto rearm_timer;
	tp->tlp_retrans = 1;
probe_sent:
	tp->tlp_high_seq = tp->snd_nxt;
	__NET_INC_STATS(sock_net(sk), TCPLossProbes);
	tp->pending_timer = 0;
rearm_timer:
	tcp_rearm_rto(sk);
}
