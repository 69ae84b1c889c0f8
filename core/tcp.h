/* SPDX-License-Identifier: MIT */
/*
 * TCP: struct tcp_sock and the entry points shared by the TCP files, split as
 * in the kernel (include/net/tcp.h, include/linux/tcp.h):
 *   tcp_input.c   segment arrival and the RFC 9293 state machine
 *   tcp_output.c  segment building, transmit, the advertised window
 *   tcp_timer.c   RTO, delayed ACK, zero-window probe, keepalive, TIME_WAIT
 *   tcp.c         the socket API (sendmsg, recvmsg, peek_iov/consume, close...)
 *   tcp_ipv4.c    tcp_prot, demultiplexing, connect, resets, ICMP errors
 *   tcp_syncookies.c  SYN cookies (syncookies.c)
 *   tcp_recovery.c  RACK loss detection (RFC 8985)
 *   tcp_cong.c    pluggable congestion control, Reno; tcp_cubic.c  CUBIC;
 *                 tcp_bbr.c  BBR v1; tcp_rate.c  delivery-rate sampling
 *   tcp_fastopen.c  TCP Fast Open (RFC 7413): cookies, SYN data
 *   tcp_ecn.c     ECN (RFC 3168)
 *   tcp_metrics.c  the per-destination metrics cache
 *
 * SYN, SYN-ACK and later segments carry MSS, SACK-permitted, timestamps and
 * window scale as Linux negotiates and lays them out (tcp_options_write);
 * timestamps give RTT samples and PAWS (RFC 7323); the receiver reports
 * out-of-order data in SACK blocks and duplicates in D-SACK (RFC 2018,
 * 2883); the sender keeps a SACK scoreboard, finds losses with RACK-TLP and
 * recovers with PRR under the socket's congestion control (CUBIC, Reno,
 * or BBR with internal pacing). What this is not (yet): no F-RTO or undo,
 * no request_sock mini-sockets (a SYN creates a child tcp_sock
 * in SYN_RECV; past a full SYN queue, a SYN cookie: tcp_syncookies.c).
 *
 * Ownership: prot->close() hands the sock to TCP for good. TCP keeps it
 * alive (SOCK_DEAD) until FIN exchange / TIME_WAIT are over, then frees it.
 */
#ifndef SOCKSHIM_TCP_H
#define SOCKSHIM_TCP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/tcp.h>

#include "inet.h"
#include "protocol.h"
#include "timer.h"

/*
 * The wire header (struct tcphdr), struct tcp_info and the TCP_* option
 * names come from the kernel's UAPI header, so they match what applications
 * compile against.
 */
#define TCPHDR_FIN 0x01
#define TCPHDR_SYN 0x02
#define TCPHDR_RST 0x04
#define TCPHDR_PSH 0x08
#define TCPHDR_ACK 0x10
#define TCPHDR_URG 0x20
#define TCPHDR_ECE 0x40
#define TCPHDR_CWR 0x80

/* The flags byte (byte 13 of the header). */
static inline uint8_t tcp_flag_byte(const struct tcphdr *th)
{
	return ((const uint8_t *)th)[13];
}

static inline unsigned int tcp_hdrlen(const struct tcphdr *th)
{
	return th->doff * 4u;
}

/* Options (RFC 9293, 7323, 2018). */
#ifndef SOL_TCP
#define SOL_TCP 6
#endif

#define TCPOPT_EOL	  0
#define TCPOPT_NOP	  1
#define TCPOPT_MSS	  2
#define TCPOPT_WINDOW	  3
#define TCPOPT_SACK_PERM  4
#define TCPOPT_SACK	  5
#define TCPOPT_TIMESTAMP  8
#define TCPOLEN_MSS	  4
#define TCPOLEN_WINDOW	  3
#define TCPOLEN_SACK_PERM 2
#define TCPOLEN_TIMESTAMP 10
#define TCPOPT_MD5SIG	  19
#define TCPOLEN_MD5SIG	  18

/* Aligned sizes, as the kernel writes them (include/net/tcp.h). */
#define TCPOLEN_TSTAMP_ALIGNED	  12
#define TCPOLEN_WSCALE_ALIGNED	  4
#define TCPOLEN_SACKPERM_ALIGNED  4
#define TCPOLEN_SACK_BASE	  2
#define TCPOLEN_SACK_BASE_ALIGNED 4
#define TCPOLEN_SACK_PERBLOCK	  8
#define MAX_TCP_OPTION_SPACE	  40
#ifndef TCP_IS_MPTCP
#define TCP_IS_MPTCP 43 /* linux/tcp.h, newer than this libc */
#endif
#define TCP_NUM_SACKS		 4     /* blocks remembered (at most 3 fit beside a timestamp) */
#define TCP_SACK_BLOCKS_EXPECTED 3     /* a change past these flushes compressed ACKs */
#define TCP_PAWS_WINDOW		 1     /* replay window of PAWS, in timestamp ticks */
#define TCP_PAWS_WRAP		 2147u /* s: INT_MAX / USEC_PER_SEC, ts_recent grows stale */
#define TCP_PAWS_MSL		 60    /* s: a RST may ignore PAWS when TS.Recent is older */

#define TCP_MIN_MSS	      88u    /* include/net/tcp.h */
#define TCP_MAX_WINDOW	      65535u /* without window scaling */
#define TCP_MAX_WSCALE	      14     /* RFC 7323 2.3 */
#define TCP_INIT_CWND	      10u    /* RFC 6928, as Linux */
#define TCP_INFINITE_SSTHRESH 0x7fffffffu
#define TCP_TIMEWAIT_LEN      (60ull * NSEC_PER_SEC)
/* This machine's CONFIG_HZ (/proc/config.gz): the kernel keeps the RTO in jiffies of 4 ms. */
#define TCP_HZ			250
#define TCP_JIFFY		(NSEC_PER_SEC / TCP_HZ)
#define TCP_RTO_MIN		(200ull * NSEC_PER_MSEC)
#define TCP_RTO_MAX		(120ull * NSEC_PER_SEC)
#define TCP_TIMEOUT_INIT	(1ull * NSEC_PER_SEC)
#define TCP_TIMEOUT_MIN		(2 * TCP_JIFFY)		/* 8 ms: slack of the RACK and TLP timers */
#define TCP_MIN_RTT_WLEN	(300ull * NSEC_PER_SEC) /* tcp_min_rtt_wlen */
#define TCP_DELACK_MAX		(200ull * NSEC_PER_MSEC)
#define TCP_DELACK_MIN		(40ull * NSEC_PER_MSEC)
#define TCP_ATO_MIN		(40ull * NSEC_PER_MSEC)
#define TCP_RESOURCE_PROBE	(500ull * NSEC_PER_MSEC)
#define TCP_MAX_QUICKACKS	16u
#define TCP_THIN_LINEAR_RETRIES 6u /* linear RTOs of a thin stream before back-off */
#define TCP_FASTRETRANS_THRESH	3u
#define TCP_MAX_TCP_KEEPIDLE	32767
#define TCP_MAX_TCP_KEEPINTVL	32767
#define TCP_MAX_TCP_KEEPCNT	127

/* Per-segment state kept in skb->cb while TCP owns the buffer. */
struct tcp_skb_cb {
	uint32_t seq;	  /* first sequence number */
	uint32_t end_seq; /* seq + FIN + SYN + data length */
	uint64_t when;	  /* sent segments: last transmit time (ns), for RTT */
	uint8_t tcp_flags;
	uint8_t sacked;	 /* TCPCB_RETRANS: sent more than once (Karn: no RTT sample) */
	uint16_t window; /* received segments: the raw window field (here, for room in h4's) */
	union {
		struct {
			uint32_t ack_seq; /* received segments: the ACK field */
			uint32_t tw_isn;  /* a SYN that ended a TIME_WAIT: its successor's ISN, 0 =
					     none */
			/* Received: its IP options (IPCB, the kernel's header.h4), for answers. */
			struct inet_skb_parm h4;
		};
		/* Sent segments: the delivery state at their last transmit (tcp_rate.c). */
		struct {
			uint64_t first_tx_mstamp;  /* ns, start of the send window of that time */
			uint64_t delivered_mstamp; /* ns, when tp->delivered last moved; 0 = SACKed
						    */
			uint32_t delivered;	   /* tp->delivered then */
			uint32_t is_app_limited;   /* sent while the sender was app-limited */
		} tx;
	};
};
_Static_assert(sizeof(struct tcp_skb_cb) <= 48, "tcp_skb_cb fits skb->cb");
#define TCPCB_SACKED_RETRANS 0x01 /* retransmitted and counted in retrans_out */
#define TCPCB_LOST	     0x02 /* presumed lost, counted in lost_out */
#define TCPCB_EVER_RETRANS   0x04 /* sent more than once: no RTT sample (Karn) */
#define TCPCB_SACKED_ACKED   0x08 /* the peer SACKed it, counted in sacked_out */
#define TCPCB_REQ_WND	     0x10 /* a request's ACK: the SYN-ACK's window (tcp_send_req_ack) */

#define TCP_SKB_CB(skb) ((struct tcp_skb_cb *)&(skb)->cb[0])

/* Sequence space comparisons (include/net/tcp.h). */
static inline bool before(uint32_t seq1, uint32_t seq2)
{
	return (int32_t)(seq1 - seq2) < 0;
}
#define after(seq2, seq1) before(seq1, seq2)

static inline bool between(uint32_t seq1, uint32_t seq2, uint32_t seq3)
{
	return seq3 - seq2 >= seq1 - seq2;
}

struct tcp_sack_block {
	uint32_t start_seq, end_seq;
};

/* What the peer said in its options (include/linux/tcp.h). */
struct tcp_options_received {
	uint32_t rcv_tsval, rcv_tsecr; /* of the segment being processed (saw_tstamp) */
	uint32_t ts_recent;	       /* TS.Recent: the peer's timestamp we echo */
	uint64_t ts_recent_stamp;      /* s, when ts_recent was stored (0 = never) */
	uint16_t saw_tstamp : 1, tstamp_ok : 1, sack_ok : 1, wscale_ok : 1, dsack : 1;
	uint8_t num_sacks;   /* selective_acks in use */
	uint8_t num_sack_in; /* SACK blocks in the segment being processed (sack_in) */
	struct tcp_sack_block sack_in[TCP_NUM_SACKS];
	uint8_t md5;	    /* the segment carried a TCP-MD5 option (kind 19) */
	uint8_t snd_wscale; /* the peer's shift (0 unless negotiated, wscale_ok) */
	uint8_t rcv_wscale; /* our shift (offered in SYN_SENT; 0 unless negotiated) */
	uint16_t mss_clamp; /* the peer's MSS option, or TCP_MSS_DEFAULT */
	uint16_t user_mss;  /* TCP_MAXSEG set by the user, 0 = none */
};

/*
 * Congestion state (RFC 5681, 6582, 6937), shared by every congestion
 * control; the algorithm's own state lives in tcp_sock's ca_priv.
 */
struct tcp_cong {
	uint32_t snd_cwnd;     /* segments */
	uint32_t snd_ssthresh; /* segments */
	uint32_t snd_cwnd_cnt; /* acked segments towards the next +1 in congestion avoidance */
	uint32_t high_seq;     /* snd_nxt when recovery started */
	uint32_t prior_cwnd;
	uint32_t snd_cwnd_clamp;
	uint32_t prior_in_flight; /* in flight before the ACK being processed (cwnd-limited test) */
	/*
	 * The last tcp_write_xmit held a frame back for want of congestion
	 * window (tcp_tso_should_defer's is_cwnd_limited): the window is
	 * the limit though less than it is in flight.
	 */
	bool is_cwnd_limited;
	uint8_t ca_state; /* TCP_CA_* */
	/* Proportional rate reduction (RFC 6937) while in recovery. */
	uint32_t prr_delivered; /* segments delivered since recovery began */
	uint32_t prr_out;	/* segments sent since recovery began */
	/* Undo of a reduction found spurious (tcp_undo_cwnd_reduction). */
	uint32_t prior_ssthresh; /* ssthresh before the episode, 0 = nothing to undo to */
	uint32_t undo_marker;	 /* snd_una when the episode began, 0 = no undo possible */
	int32_t undo_retrans;	 /* retransmissions not yet shown spurious by D-SACK, -1 none */
	/* F-RTO (RFC 5682) after a timeout: is it spurious? (tp->frto) */
	uint8_t frto;	    /* the timeout is still being tested */
	uint8_t orig_acked; /* this ACK (s)acked data sent once, up to high_seq
			       (FLAG_ORIG_SACK_ACKED) */
};

/*
 * A congestion control (include/net/tcp.h struct tcp_congestion_ops):
 * tcp_cong.c keeps the list (Reno built in, CUBIC in tcp_cubic.c) and picks
 * one per socket: net.ipv4.tcp_congestion_control, or TCP_CONGESTION.
 */
#define TCP_CA_NAME_MAX	 16
#define TCP_CA_PRIV_SIZE 104 /* ICSK_CA_PRIV_SIZE */
enum tcp_ca_event {
	CA_EVENT_TX_START, /* first transmit when nothing was in flight */
	CA_EVENT_CWND_RESTART,
	CA_EVENT_COMPLETE_CWR,
	CA_EVENT_LOSS, /* the RTO fired */
};
struct sock;
struct tcp_md5sig_key;
union tcp_cc_info;

/*
 * A delivery-rate sample (include/net/tcp.h struct rate_sample), made by
 * tcp_rate.c for every ACK: how many segments were delivered over what
 * interval, for congestion controls that model the path (BBR).
 */
struct rate_sample {
	uint64_t prior_mstamp;	  /* ns, start of the sampled interval (0 = no sample) */
	uint32_t prior_delivered; /* tp->delivered at that start */
	int32_t delivered;	  /* segments delivered over the interval, -1 = invalid */
	int64_t interval_us;	  /* the longer of the send and ACK intervals, -1 = invalid */
	uint32_t snd_interval_us;
	uint32_t rcv_interval_us;
	int64_t rtt_us;		  /* RTT of the last segment (S)ACKed, -1 = none */
	int32_t losses;		  /* segments newly marked lost by this ACK */
	uint32_t acked_sacked;	  /* segments newly (S)ACKed by this ACK */
	uint32_t prior_in_flight; /* in flight before this ACK */
	uint32_t last_end_seq;	  /* end of the most recently sent segment delivered */
	uint64_t last_tx;	  /* ns, its transmit time (for rtt_us) */
	bool is_app_limited;	  /* the sample's data was sent app-limited */
	bool is_retrans;	  /* the sample's segment was a retransmission */
	bool is_ack_delayed;	  /* the ACK may have been delayed (FLAG_ACK_MAYBE_DELAYED) */
};

struct tcp_congestion_ops {
	const char *name;
	void (*init)(struct sock *sk);
	uint32_t (*ssthresh)(struct sock *sk);				   /* required */
	void (*cong_avoid)(struct sock *sk, uint32_t ack, uint32_t acked); /* required */
	void (*set_state)(struct sock *sk, uint8_t new_state);
	void (*cwnd_event)(struct sock *sk, enum tcp_ca_event ev);
	void (*pkts_acked)(struct sock *sk, uint32_t acked, int64_t rtt_ns); /* rtt < 0: none */
	uint32_t (*undo_cwnd)(struct sock *sk);
	size_t (*get_info)(struct sock *sk, uint32_t ext, int *attr, union tcp_cc_info *info);
	/* Takes over cwnd and pacing on every ACK (BBR): no cong_avoid, no PRR. */
	void (*cong_control)(struct sock *sk, const struct rate_sample *rs);
	uint32_t (*sndbuf_expand)(struct sock *sk); /* send buffer in cwnds, 2 if unset */
	uint32_t (*min_tso_segs)(struct sock *sk);  /* sysctl tcp_min_tso_segs if unset */
};

/* RACK's state (RFC 8985, include/linux/tcp.h struct tcp_rack), times in ns. */
struct tcp_rack {
	uint64_t mstamp;	 /* transmit time of the last-sent segment delivered */
	uint64_t rtt;		 /* its RTT */
	uint32_t end_seq;	 /* its end, to order segments sent at the same time */
	uint32_t dsack_round;	 /* snd_nxt when the window last grew: once per round trip */
	uint32_t fack;		 /* highest sequence SACKed or ACKed, to see reordering */
	uint8_t reo_wnd_steps;	 /* the window in quarters of the minimum RTT */
	uint8_t reo_wnd_persist; /* recoveries before it falls back to one step */
	uint8_t advanced : 1;	 /* mstamp moved since the last detection */
	uint8_t reord_round_set : 1;
};

/* ca_state takes enum tcp_ca_state (TCP_CA_Open ... TCP_CA_Loss) from <linux/tcp.h>. */

/* Delayed-ACK state (include/net/inet_connection_sock.h: icsk_ack). */
struct tcp_ack_state {
	uint8_t pending;	/* ICSK_ACK_* */
	uint8_t quick;		/* segments still to be acked at once */
	bool pingpong;		/* interactive: ACKs ride on our data */
	uint64_t ato;		/* ns */
	uint32_t rcv_mss;	/* estimate of the peer's segment size */
	uint32_t last_seg_size; /* the last small segment's payload, options aside */
	uint64_t lrcvtime;
	uint64_t timeout; /* when the delayed ACK is due (icsk_ack.timeout) */
};
#define ICSK_ACK_SCHED 1
#define ICSK_ACK_TIMER 2
/* A small or pushed segment came: a read that empties the queue ACKs it (tcp_cleanup_rbuf). */
#define ICSK_ACK_PUSHED 4
#define ICSK_ACK_NOW	8
/* In-order data found no memory: the ACK says window 0 (tcp_select_window). */
#define ICSK_ACK_NOMEM 16
/* Two such segments in a row: that read ACKs even in pingpong mode. */
#define ICSK_ACK_PUSHED2 32

/*
 * TCP Fast Open (RFC 7413, tcp_fastopen.c): net.ipv4.tcp_fastopen's bits,
 * the option (kind 34, or the experimental 254 with magic 0xF989) and the
 * cookie as the kernel keeps it.
 */
#define TCPOPT_FASTOPEN		   34
#define TCPOPT_EXP		   254
#define TCPOPT_FASTOPEN_MAGIC	   0xF989
#define TCPOLEN_FASTOPEN_BASE	   2
#define TCPOLEN_EXP_FASTOPEN_BASE  4
#define TCP_FASTOPEN_COOKIE_MIN	   4
#define TCP_FASTOPEN_COOKIE_MAX	   16
#define TCP_FASTOPEN_COOKIE_SIZE   8
#define TCP_FASTOPEN_KEY_LENGTH	   16
#define TFO_CLIENT_ENABLE	   0x1
#define TFO_SERVER_ENABLE	   0x2
#define TFO_CLIENT_NO_COOKIE	   0x4
#define TFO_SERVER_COOKIE_NOT_REQD 0x200
#define TFO_SERVER_WO_SOCKOPT1	   0x400

struct tcp_fastopen_cookie {
	uint8_t val[TCP_FASTOPEN_COOKIE_MAX];
	int8_t len; /* -1 no option, 0 a request (empty option), > 0 a cookie */
	bool exp;   /* the experimental option (kind 254) */
};

struct tcp_fastopen_rst; /* tcp_fastopen.c: a listener's place held after a reset */

/* A connect that may put data in its SYN (struct tcp_fastopen_request), for that call only. */
struct tcp_fastopen_request {
	struct tcp_fastopen_cookie cookie; /* what the SYN carries */
	const uint8_t *data;
	size_t size;   /* bytes offered */
	size_t copied; /* bytes the SYN took */
};

/* Sends in flight between the program and the write queue that may carry a mark. */
#define TCP_TX_MARKS 8

struct tcp_sock {
	struct inet_sock inet; /* must be first */

	/* Receive side (RFC 9293 RCV.*). */
	uint32_t rcv_nxt;    /* next sequence expected */
	uint32_t copied_seq; /* head of data not yet consumed by the owner */
	uint32_t rcv_wup;    /* rcv_nxt when the window was last advertised */
	uint32_t rcv_wnd;    /* window last advertised */
	/* A child's SYN-ACK window (req->rsk_rcv_wnd): its request's ACKs offer it. */
	uint32_t rsk_rcv_wnd;
	uint32_t window_clamp; /* the largest window we will offer (tcp_window.c) */
	uint32_t rcv_ssthresh; /* the window the peer has earned so far (tcp_grow_window) */
	uint8_t scaling_ratio; /* payload per 256 bytes of buffer (tcp_win_from_space) */
	/*
	 * The ACKs we sent, for the receive queue's coalescing: the last one's
	 * value and stack time, and the last value sent before that time (a
	 * sender has our ACK only once the stack clock moved past its sending).
	 */
	uint32_t ack_sent_seq, ack_sent_before;
	uint64_t ack_sent_time;
	/*
	 * What was consumed and is still charged, as the kernel's receive
	 * queue keeps an skb until recvmsg has read all of it: buffers the
	 * owner's program has not read, and buffers of an skb whose rest is
	 * still to read. Each consumed buffer's data and truesize, oldest
	 * first from owner_held_first (tcp_owner_release frees them).
	 */
	struct tcp_rx_held {
		uint32_t seq, end_seq, truesize;
		struct skb_rx_part rx; /* as the buffer's */
	} * owner_held;
	uint32_t owner_held_first, owner_held_n, owner_held_max;
	uint32_t irs;
	/* A passive child's first and last SYN-ACK TSvals: the handshake ACK echoes one. */
	uint32_t snt_tsval_first, snt_tsval_last;
	struct sk_buff_head out_of_order_queue; /* sorted by seq, non-overlapping */
	/*
	 * Receive-buffer autotuning (dynamic right-sizing, tcp_rcv_space_adjust):
	 * the receiver's RTT estimate and what the owner consumed per RTT.
	 */
	struct {
		uint32_t rtt_us; /* << 3, 0 = no sample yet */
		uint32_t seq;	 /* per-window sample: ends when rcv_nxt passes it */
		uint64_t time;	 /* ns, 0 = no sample running */
	} rcv_rtt_est;
	uint32_t rcv_rtt_last_tsecr;
	struct {
		uint32_t space; /* bytes consumed in the last measured RTT */
		uint32_t seq;	/* copied_seq at the start of the measure */
		uint64_t time;	/* ns, start of the measure */
	} rcvq_space;

	/* Send side (RFC 9293 SND.*). */
	uint32_t snd_una;
	uint32_t snd_nxt;
	uint32_t snd_wnd; /* the peer's window, bytes */
	uint32_t snd_wl1, snd_wl2;
	uint32_t max_window;
	uint32_t write_seq; /* tail of data queued by the owner */
	uint32_t iss;
	struct sk_buff *send_head; /* first never-sent skb on sk_write_queue, NULL if none */
	uint32_t pushed_seq;	   /* write_seq at the last PSH mark (tcp_push_mark) */
	/*
	 * The bytes after more_start up to more_end came in a send with
	 * MSG_MORE, which the owner of a stream fed in batches (tcp_send_commit)
	 * names with tcp_send_more: a batch that ends among them pushes corked.
	 */
	uint32_t more_start, more_end;
	bool more;
	/*
	 * Where the skb the kernel's tcp_sendmsg would have open ends, and the
	 * size goal it was filled to (tcp_sendmsg_room; 0: not known yet).
	 */
	uint32_t sendmsg_skb_end;
	unsigned int sendmsg_skb_goal;

	uint16_t mss_cache;	 /* current effective send MSS */
	uint16_t tcp_header_len; /* header and options every segment carries (20, 32 with TS) */
	uint32_t tsoffset;	 /* added to our timestamp clock (RFC 7323 5.4, random per pair) */
	uint64_t last_oow_ack_time; /* last ACK answering an out-of-window segment */
	/* The receiver's SACK state: the D-SACK block goes first, then the rest. */
	struct tcp_sack_block duplicate_sack[1];
	struct tcp_sack_block selective_acks[TCP_NUM_SACKS];
	uint16_t advmss; /* MSS we advertise (dev->mtu - 40) */
	struct tcp_options_received rx_opt;

	/* RTT estimation and retransmission (RFC 6298), in ns. */
	uint64_t srtt;	 /* smoothed RTT, 0 = no sample yet */
	uint64_t rttvar; /* the RTO's variance term (rttvar_us): at least TCP_RTO_MIN */
	uint64_t rto;
	/* loss: the kernel's variance (tcp_rtt_estimator): mdev_us, its max in this round */
	uint64_t mdev, mdev_max;
	uint32_t rtt_seq;    /* snd_nxt when the round began */
	uint8_t backoff;     /* exponential back-off count of the retransmit timer */
	uint8_t retransmits; /* consecutive timeouts of the head segment */
	uint8_t ack_ttl;     /* the TTL of the ACK in hand (OPT_STATS' TCP_NLA_TTL) */
	uint8_t probes_out;  /* unanswered zero-window or keepalive probes */
	uint8_t syn_retries; /* TCP_SYNCNT, 0 = sysctl */
	/*
	 * TCP_DEFER_ACCEPT as SYN-ACK retransmissions (the listener's
	 * icsk_accept_queue.rskq_defer_accept; accepted sockets start at 0);
	 * defer_acked: a child whose bare ACK that deferral dropped (acked).
	 */
	uint8_t defer_accept;
	bool defer_acked;
	/*
	 * The first SYN's time, then the episode's first retransmission,
	 * kept while a resend is out (tp->retrans_stamp): the retry limits
	 * count from it (tcp_write_timeout) and the timestamp undo compares
	 * echoes with it (tcp_packet_delayed). 0 = none.
	 */
	uint64_t retrans_stamp;
	uint64_t rtt_min, rtt_min_stamp; /* windowed minimum RTT (tcp_min_rtt_wlen), 0 = none */
	struct tcp_rack rack;
	uint32_t tlp_high_seq; /* snd_nxt when the outstanding loss probe went, 0 = none */
	uint8_t tlp_retrans;   /* that probe was a retransmission */
	uint32_t dup_acks;
	/*
	 * Segment accounting as the kernel's: in flight = packets_out -
	 * (sacked_out + lost_out) + retrans_out. With SACK, sacked_out counts
	 * the segments the peer SACKed (the scoreboard); without, duplicate
	 * ACKs (Reno's emulation).
	 */
	uint32_t packets_out, sacked_out, lost_out, retrans_out;
	struct sk_buff *retransmit_hint; /* where loss recovery resumes, NULL = head */
	/*
	 * Sent segments in the order they (last) left (tsorted_sent_queue):
	 * RACK walks it oldest first and stops at the first one sent after its
	 * reference; SACKed, acked and RACK-lost segments are off it.
	 */
	struct list_head tsorted_sent_queue;
	/* The last ACK's SACK blocks, sorted (recv_sack_cache): what they covered is tagged. */
	struct tcp_sack_block recv_sack_cache[TCP_NUM_SACKS];
	struct sk_buff *sack_hint; /* a sent segment where the last SACK walk stopped, or NULL */
	/* The first sent segment past each cached block's end, or NULL; none while sack_hint is. */
	struct sk_buff *sack_edge[TCP_NUM_SACKS];
	uint32_t snd_sml; /* end of the last small segment sent (Minshall's Nagle) */
	struct tcp_cong cong;
	const struct tcp_congestion_ops *ca_ops;
	uint64_t ca_priv[TCP_CA_PRIV_SIZE / sizeof(uint64_t)];

	struct tcp_ack_state ack;
	/* SACK compression (net.ipv4.tcp_comp_sack_*): ACKs held back on out-of-order data. */
	uint32_t compressed_ack_rcv_nxt;
	uint8_t dup_ack_counter; /* immediate ACKs for this rcv_nxt so far */
	uint16_t compressed_ack; /* ACKs held back */

	/* Sending policy. */
	uint8_t nonagle;	  /* TCP_NAGLE_* */
	uint8_t keepalive_probes; /* TCP_KEEPCNT, 0 = sysctl */
	int keepalive_time;	  /* TCP_KEEPIDLE, s, 0 = sysctl */
	int keepalive_intvl;	  /* TCP_KEEPINTVL, s, 0 = sysctl */
	int linger2;		  /* TCP_LINGER2, s, 0 = sysctl tcp_fin_timeout */
	uint32_t user_timeout;	  /* TCP_USER_TIMEOUT, ms */
	uint64_t rcv_tstamp;	  /* last time a segment arrived (keepalive idle) */
	uint64_t lsndtime;	  /* last time data was sent */

	/* Timers (net->timers). */
	struct timer_list retransmit_timer; /* RTO, zero-window probe */
	struct timer_list delack_timer;
	struct timer_list keepalive_timer; /* keepalive, FIN_WAIT2, TIME_WAIT */
	struct timer_list compressed_ack_timer;
	uint8_t pending_timer; /* ICSK_TIME_RETRANS / ICSK_TIME_PROBE0 */

	/* Listener and child linkage (inet_connection_sock's accept queue). */
	struct tcp_sock *parent;       /* a child not accepted yet: its listener */
	struct list_head accept_node;  /* on parent's syn_queue or accept_queue */
	struct list_head syn_queue;    /* children in SYN_RECV */
	struct list_head accept_queue; /* children past SYN_RECV (CLOSE too), not accepted */
	unsigned int syn_qlen;
	/* Of those, the ones whose SYN-ACK has not timed out yet (the request queue's young). */
	unsigned int syn_young;
	uint64_t last_synq_overflow; /* a listener: when it last answered with a SYN cookie */

	/* Statistics for TCP_INFO. */
	uint64_t bytes_acked, bytes_received, bytes_sent, bytes_retrans;
	uint32_t segs_in, segs_out, data_segs_in, data_segs_out, total_retrans;
	uint64_t last_data_recv, last_ack_recv;
	/*
	 * Reorderings seen (tp->reord_seen: an original segment delivered below
	 * one delivered before it); RACK keeps its window open once there was
	 * one. A D-SACK is not one: it widens the window, it does not open it.
	 */
	uint32_t reord_seen;
	/*
	 * How far, in segments, the path was seen to reorder (tp->reordering:
	 * tcp_reordering at the start, grown by tcp_check_sack_reordering up to
	 * tcp_max_reordering): DupThresh, and RACK's test of whether to wait.
	 */
	uint32_t reordering;
	uint32_t dsack_dups; /* segments the peer reported twice (tcp_dsack_seen) */
	/*
	 * The chronograph (tcp_chrono_start/stop): what limits sending now,
	 * since chrono_start, and the jiffies spent in each type before.
	 */
	uint8_t chrono_type;	    /* enum tcp_chrono */
	uint32_t chrono_start;	    /* jiffies (TCP_JIFFY) */
	uint32_t chrono_stat[3];    /* jiffies busy, rwnd-limited, sndbuf-limited */
	uint8_t sndbuf_nospace : 1; /* SOCK_NOSPACE: the owner found the send buffer full */
	/*
	 * How fully this window of data used cwnd (tcp_cwnd_validate's
	 * tp->is_cwnd_limited, max_packets_out, cwnd_usage_seq), for the
	 * sndbuf clock. The congestion controls still judge by the window at
	 * the last ACK (tcp_is_cwnd_limited).
	 */
	uint8_t window_cwnd_limited : 1;
	uint32_t max_packets_out;
	uint32_t cwnd_usage_seq;

	uint8_t fin_rcvd : 1; /* the peer's FIN is in rcv_nxt */

	/*
	 * Urgent data (RFC 9293 3.8.5; the kernel's tcp_check_urg, tcp_urg,
	 * tcp_mark_urg). Receive: the peer's urgent byte is at urg_seq, its
	 * state in urg_data. The owner hands it to the application out of band
	 * (tcp_urg_pending); until then MSG_OOB reads it from here.
	 */
	uint32_t snd_up;   /* the sequence after our last urgent byte (SND.UP) */
	bool urg_mode;	   /* snd_up is ahead of snd_una: segments carry URG */
	uint32_t urg_seq;  /* the peer's urgent byte */
	uint16_t urg_data; /* TCP_URG_VALID | the byte, TCP_URG_NOTYET or TCP_URG_READ; 0 none */

	/* TCP Fast Open (tcp_fastopen.c). */
	struct tcp_fastopen_request *fastopen_req;  /* client: during the connect call only */
	struct tcp_fastopen_cookie fastopen_synack; /* child: what its first SYN-ACK carries */
	uint8_t fastopen_key[2][TCP_FASTOPEN_KEY_LENGTH]; /* TCP_FASTOPEN_KEY: primary, backup */
	uint8_t fastopen_nkeys;				  /* 0: the namespace's key */
	uint32_t fastopen_max_qlen;			  /* listener: TCP_FASTOPEN, 0 = off */
	/*
	 * listener: Fast Open children not past the handshake. Signed, as the
	 * kernel's: a listen() starts it at 0 while children accepted under an
	 * earlier listen() still take themselves off it at their ACK.
	 */
	int32_t fastopen_qlen;
	/*
	 * listener: those children (fastopen_node), accepted or not; the
	 * kernel's request sock keeps its listener until the handshake's ACK.
	 */
	struct list_head fastopen_queue;
	struct list_head fastopen_node;	    /* child: on its listener's fastopen_queue */
	struct tcp_sock *fastopen_listener; /* child: whose fastopen_qlen counts it */
	/*
	 * listener: places in fastopen_qlen still held for accepted children
	 * the peer reset before their handshake's ACK, oldest first (rskq_rst).
	 */
	struct tcp_fastopen_rst *fastopen_rst_head, *fastopen_rst_tail;
	uint8_t syn_fastopen : 1; /* the SYN carried the option */
	uint8_t syn_fastopen_exp : 1;
	uint8_t syn_data : 1;		/* the SYN carried data */
	uint8_t syn_data_acked : 1;	/* ... and the SYN-ACK acknowledged all of it */
	uint8_t fastopen_connect : 1;	/* TCP_FASTOPEN_CONNECT */
	uint8_t fastopen_no_cookie : 1; /* TCP_FASTOPEN_NO_COOKIE */
	uint8_t fastopen_child : 1;	/* a passive Fast Open child counted in fastopen_qlen */
	uint8_t orphan_counted : 1;	/* closed by its owner, counted in tcp_orphan_count */
	uint8_t timewait : 1; /* past tcp_time_wait: the kernel's would be a timewait sock */
	uint8_t fastopen_passive : 1; /* ... not past its handshake: it may send (fastopen_rsk) */
	/*
	 * A listener's child that tcp_check_req made a full socket (syn_recv_sock):
	 * on the accept queue, though the segment that made it may leave it in
	 * SYN_RECV (a SYN-ACK with data at the peer's ISN, whose SYN is challenged).
	 */
	uint8_t req_made : 1;
	uint8_t fastopen_client_fail; /* TFO_* of tcpi_fastopen_client_fail */

	/* ECN (RFC 3168, tcp_ecn.c). */
	uint8_t ecn_flags;     /* TCP_ECN_* */
	uint32_t delivered_ce; /* segments the peer echoed CE for (tcpi_delivered_ce) */

	/*
	 * BBR's inputs: delivery-rate sampling (tcp_rate.c) and TCP internal
	 * pacing (tcp_output.c), as the kernel's tcp_sock and sock fields.
	 * Times in ns of the stack clock.
	 */
	uint32_t delivered;	   /* segments (S)ACKed, ever */
	uint32_t lost;		   /* segments marked lost, ever (tcp_sum_lost) */
	uint32_t app_limited;	   /* delivered at the end of the app-limited phase, 0 = none */
	uint64_t first_tx_mstamp;  /* start of the current send window */
	uint64_t delivered_mstamp; /* when delivered last moved */
	uint32_t rate_delivered;   /* the last good sample: segments ... */
	uint32_t rate_interval_us; /* ... over this interval */
	bool rate_app_limited;	   /* ... taken app-limited */
	/* An ACK freed queued data: tcp_check_space may grow the send buffer. */
	bool queue_shrunk;
	uint8_t sk_pacing_status; /* SK_PACING_* */
	uint64_t sk_pacing_rate;  /* bytes/s, ~0 = unlimited */
	uint64_t tcp_wstamp_ns;	  /* earliest departure time of the next segment */
	uint64_t pacing_late_ns;  /* the pacing timer ran this late: what may catch up */
	struct timer_list pacing_timer;

	/* Accept inheritance: TCP_CONGESTION was set (icsk_ca_setsockopt), children keep it. */
	bool ca_setsockopt;

	/* TCP_INQ, TCP_SAVE_SYN and TCP_NOTSENT_LOWAT (tcp.c). */
	uint8_t recvmsg_inq : 1;     /* TCP_INQ: reads report the bytes left (TCP_CM_INQ) */
	uint8_t save_syn : 2;	     /* TCP_SAVE_SYN: 1 IP+TCP headers, 2 from the MAC header */
	struct saved_syn *saved_syn; /* a child's SYN until TCP_SAVED_SYN takes it */
	uint32_t notsent_lowat;	     /* TCP_NOTSENT_LOWAT; 0: net.ipv4.tcp_notsent_lowat */

	/* TIME_WAIT takeover by connect() (tcp_twsk_unique): when TIME_WAIT began, ns. */
	uint64_t tw_entry_stamp;

	/*
	 * Transmit stamps and MSG_ZEROCOPY of sends whose last byte is not in
	 * the write queue yet (tcp_timestamping.c): the stack host learns of
	 * a send before the bytes reach it through the pair. TCP_TX_MARKS of
	 * them, allocated at the first mark: few sockets stamp, and an idle
	 * connection's memory is the host's footprint.
	 */
	struct tcp_tx_mark {
		uint32_t end_seq; /* one past the send's last byte */
		uint32_t tsflags; /* its SOF_TIMESTAMPING_TX_* bits */
		uint32_t zc_id;	  /* its MSG_ZEROCOPY id, if zc */
		bool zc;
	} * tx_marks;
	uint8_t tx_marks_n;

	/*
	 * PLPMTUD (tcp_mtu_probe.c): the kernel's icsk_mtup and tp->mtu_probe.
	 * Sizes are MTUs (IP header included).
	 */
	struct {
		bool enabled;		  /* the MSS is held to search_low's */
		int search_high;	  /* largest MTU not known to fail */
		int search_low;		  /* largest MTU known to work */
		int probe_size;		  /* MTU of the probe in flight, 0 = none */
		uint64_t probe_timestamp; /* ns, when the search (re)started */
		uint32_t probe_seq_start, probe_seq_end;
	} mtup;

	/*
	 * Timer options and retry limits (tcp_timer.c). The RTO's bounds
	 * (icsk_rto_min, icsk_rto_max: TCP_RTO_MIN_US, TCP_RTO_MAX_MS, from
	 * tcp_rto_min_us and tcp_rto_max_ms when the socket is made) and the
	 * delayed ACK's ceiling (icsk_delack_max, TCP_DELACK_MAX_US), in ns
	 * of whole jiffies; total_rto: every RTO of the connection
	 * (tcp_update_rto_stats), total_rto_recoveries the episodes of them
	 * and total_rto_time their ms, the current one's since rto_stamp
	 * (TCP_INFO's tcpi_total_rto*);
	 * thin_lto: TCP_THIN_LINEAR_TIMEOUTS; probes_tstamp: the first
	 * zero-window probe timer of this stall (icsk_probes_tstamp, 0 =
	 * none), which TCP_USER_TIMEOUT counts from while the peer answers.
	 */
	uint64_t rto_min, rto_max, delack_max;
	uint64_t probes_tstamp;
	uint32_t total_rto, total_rto_recoveries, total_rto_time;
	uint64_t rto_stamp;
	uint8_t thin_lto;
	/* Kept for getsockopt and not acted on (README "Limits today"). */
	uint32_t tcp_tx_delay; /* TCP_TX_DELAY, microseconds */

	/* TCP-MD5 (tcp_md5.c): the keys, newest first; GSO stays off once one was added. */
	struct tcp_md5sig_key *md5_keys;
	uint16_t md5_nkeys;
	uint8_t md5_gso_off;

	/* Repair mode (tcp_repair.c): TCP_REPAIR, and the queue TCP_REPAIR_QUEUE chose. */
	uint8_t repair : 1;
	uint8_t repair_queue : 2; /* TCP_NO_QUEUE, TCP_RECV_QUEUE, TCP_SEND_QUEUE */
};

/* The headers of a connection's SYN, as the kernel's struct saved_syn. */
struct saved_syn {
	uint32_t mac_hdrlen, network_hdrlen, tcp_hdrlen;
	uint8_t data[];
};

#define TCP_URG_VALID  0x0100
#define TCP_URG_NOTYET 0x0200
#define TCP_URG_READ   0x0400

#define TCP_PACING_CATCHUP_MAX (4ull * NSEC_PER_MSEC) /* see tcp_output.c */
#define SK_PACING_NONE	       0
#define SK_PACING_NEEDED       1 /* the CC asked for pacing: TCP paces itself (no fq here) */

#define TCP_NAGLE_OFF  1 /* TCP_NODELAY */
#define TCP_NAGLE_CORK 2 /* TCP_CORK */
#define TCP_NAGLE_PUSH 4 /* flush now, once */

#define ICSK_TIME_RETRANS     1
#define ICSK_TIME_PROBE0      3
#define ICSK_TIME_REO_TIMEOUT 4 /* RACK's reordering timer */
#define ICSK_TIME_LOSS_PROBE  5 /* tail loss probe (RFC 8985 7) */

static inline struct tcp_sock *tcp_sk(const struct sock *sk)
{
	return (struct tcp_sock *)sk;
}

/* A queued segment left (again) just now: last in transmit order (tcp_update_skb_after_send). */
static inline void tcp_skb_tsorted_sent(struct sock *sk, struct sk_buff *skb)
{
	list_move_tail(&skb->tcp_tsorted_anchor, &tcp_sk(sk)->tsorted_sent_queue);
}

/* tcp_ipv4.c */
extern struct proto tcp_prot;
int tcp_v4_rcv(struct net *net, struct sk_buff *skb);
void tcp_v4_err(struct net *net, struct sk_buff *skb, uint32_t info);
int tcp_v4_connect(struct sock *sk, const struct sockaddr *uaddr, int addr_len);
/*
 * A SYN for listener parent: creates the child in SYN_RECV and sends the
 * SYN-ACK, with foc's cookie if any; a Fast Open child (fastopen) takes the
 * SYN's data and joins the accept queue at once.
 */
struct sock *tcp_v4_syn_recv_sock(struct sock *parent, struct sk_buff *skb,
				  const struct tcp_fastopen_cookie *foc, bool fastopen);
/* The child for skb's connection in SYN_RECV on parent's SYN queue, nothing sent. */
struct sock *tcp_v4_create_child(struct sock *parent, const struct sk_buff *skb,
				 const struct tcp_options_received *opt, uint32_t iss,
				 uint32_t irs);
/* Leaves the listener's SYN or accept queue (accept, embryo's end, listener's close). */
void inet_csk_unlink_child(struct sock *child);
/* A child enters or leaves its listener's SYN queue (young until its first timeout). */
void reqsk_queue_added(struct tcp_sock *parent);
void reqsk_queue_removed(struct tcp_sock *parent, const struct tcp_sock *child);
/*
 * Answers skb (a segment for no socket or a bad one) with a RST as RFC 9293
 * says, signed with sk's TCP-MD5 key for the sender if it holds one.
 */
void tcp_v4_send_reset(struct net *net, const struct sock *sk, const struct sk_buff *skb);
int tcp_v4_init_sock(struct sock *sk);
void tcp_v4_destroy_sock(struct sock *sk);
/* The timestamp offset of a connection (secure_tcp_ts_off): 0 when tcp_timestamps is 2. */
uint32_t secure_tcp_ts_off(const struct net *net, uint32_t saddr, uint32_t daddr);
/* Frees a sock TCP owns (SOCK_DEAD, state CLOSE): unhash, purge, sk_free. */
void tcp_done_free(struct sock *sk);
/*
 * Whether connect() of sk may take the 4-tuple of sktw, a connection in
 * TIME_WAIT (the kernel's tcp_twsk_unique): with timestamps always when
 * the port was bound (searched false), else only as tcp_tw_reuse allows.
 * If so, sk's ISN and TS.Recent continue sktw's.
 */
bool tcp_twsk_unique(struct sock *sk, const struct sock *sktw, bool searched);

/* tcp.c: the socket API */
void tcp_init_sock(struct sock *sk);
int tcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size);
int tcp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags, int *addr_len);
/*
 * Zero-copy receive for the owner: points up to max_iov iovecs at in-order
 * received bytes (at most max_len) and returns how many it filled; 0 when
 * nothing is queued (then RCV_SHUTDOWN in sk_shutdown means EOF).
 */
int tcp_peek_iov(struct sock *sk, struct iovec *iov, int max_iov, size_t max_len);
/* Frees len bytes from the front of the receive queue; may send a window update. */
void tcp_consume(struct sock *sk, size_t len);
/*
 * A consumed buffer whose kernel skb is not read whole yet: the owner's
 * program has not read it, or the skb goes on in the receive queue. Its
 * charge stays until it is read (tcp_owner_release). No room to remember
 * it: it is uncharged now.
 */
void tcp_owner_hold(struct sock *sk, const struct sk_buff *skb);
/* Room for one more held buffer behind the others; false when no memory. */
bool tcp_owner_held_room(struct sock *sk);
/* The owner measured what it holds unread (sk_owner_holds); may send a window update. */
void tcp_owner_unread(struct sock *sk, uint32_t unread);
/*
 * Whether the owner's program reading what the owner holds could make TCP
 * act before anything else brings the owner back (tcp_owner_reads_matter).
 */
bool tcp_owner_reads_matter(const struct sock *sk);
/*
 * For the owner's pump, which hands the urgent byte over out of band: 0 when
 * no urgent byte is queued; else TCP_URG_VALID (hand *byte over out of band)
 * or TCP_URG_READ (already read with MSG_OOB: skip it), *off bytes from the
 * head of the receive queue.
 */
int tcp_urg_pending(const struct sock *sk, uint32_t *off, uint8_t *byte);
void tcp_close(struct sock *sk, long timeout);
void tcp_shutdown(struct sock *sk, int how);
int tcp_disconnect(struct sock *sk, int flags);
int tcp_setsockopt(struct sock *sk, int level, int optname, const void *optval,
		   unsigned int optlen);
int tcp_getsockopt(struct sock *sk, int level, int optname, void *optval, int *optlen);
int tcp_ioctl(struct sock *sk, int cmd, int *karg);
struct sock *inet_csk_accept(struct sock *sk, int flags, int *err);
/* Enters LISTEN (called by inet_listen): takes the port again and hashes. */
int inet_csk_listen_start(struct sock *sk);
void tcp_set_state(struct sock *sk, int state);
/*
 * Terminal: state CLOSE, timers stopped, unhashed; frees the sock if SOCK_DEAD,
 * unless it is a child waiting on its listener's accept queue: that one stays
 * queued for accept() (inet_csk_listen_stop frees it if the listener closes).
 */
void tcp_done(struct sock *sk);
/*
 * An acceptable RST arrived: sk_err becomes ECONNREFUSED (SYN_SENT), EPIPE
 * (CLOSE_WAIT) or ECONNRESET, the owner is told, the connection ends.
 */
void tcp_reset(struct sock *sk);
void tcp_sndbuf_expand(struct sock *sk);
/* Bytes the owner can still read. */
uint32_t tcp_inq(const struct sock *sk);
void tcp_saved_syn_record(struct sock *child, const struct sock *parent, const struct sk_buff *skb);
void tcp_saved_syn_free(struct tcp_sock *tp);
int tcp_notsent_room(const struct sock *sk);
/* The mark TCP_NOTSENT_LOWAT sets, else the namespace's (UINT_MAX: none). */
uint32_t tcp_notsent_lowat(const struct tcp_sock *tp);

/* sock_mem.c: TCP's memory pool (net.ipv4.tcp_mem) and pressure. */
void tcp_enter_memory_pressure(struct sock *sk);
void tcp_leave_memory_pressure(struct sock *sk);
/* How much of copy may be queued now (0: wait for space); up to tcp_wmem[0] always. */
int tcp_wmem_schedule(struct sock *sk, int copy);
/* More than the least send buffer queued while the pool is past tcp_mem[2]. */
bool tcp_out_of_memory(const struct sock *sk);
/* No pressure, the pool below tcp_mem[0]: a buffer may grow (tcp_should_expand_sndbuf,
 * tcp_clamp_window). */
bool tcp_mem_allows_sndbuf_growth(const struct sock *sk);

bool tcp_under_memory_pressure(const struct sock *sk);
void tcp_adjust_rcv_ssthresh(struct sock *sk);
/* The receive buffer hit its bounds (tcp_clamp_window): grow it, or hold the window. */
void tcp_clamp_window(struct sock *sk);

/* Bytes into or out of the write and receive queues, charged to the socket's pages. */
static inline void tcp_wmem_charge(struct sock *sk, int n)
{
	sk->sk_wmem_queued += n;
	sk_mem_charge(sk, n);
}

static inline void tcp_wmem_uncharge(struct sock *sk, int n)
{
	sk->sk_wmem_queued -= n;
	sk_mem_uncharge(sk, n);
}

/*
 * What the kernel's skb for a received frame of len bytes in segs segments
 * costs (tcp_window.c), and the part of it a frame merged into the tail's
 * skb adds (tcp_try_coalesce's delta: its page fragments, not its head).
 */
uint32_t tcp_rx_truesize(uint32_t len, uint32_t segs);
uint32_t tcp_rx_frag_truesize(uint32_t truesize);
/* ... and a fresh linear skb of size bytes (tcp_collapse's), *room its data room. */
uint32_t tcp_rx_linear_truesize(uint32_t size, uint32_t *room);

static inline void tcp_rmem_charge(struct sock *sk, int n)
{
	sk->sk_rmem_alloc += n;
	sk_mem_charge(sk, n);
}

static inline void tcp_rmem_uncharge(struct sock *sk, int n)
{
	sk->sk_rmem_alloc -= n;
	sk_mem_uncharge(sk, n);
}

/*
 * Frees the receive and out-of-order queues and their charge; what the
 * error queue holds stays in sk_rmem_alloc (it is not charged to the pool).
 */
void tcp_rmem_purge(struct sock *sk);

/* tcp_input.c */
/* A segment for sk (any state but LISTEN and TIME_WAIT handled here); consumes skb. */
int tcp_rcv_state_process(struct sock *sk, struct sk_buff *skb);
/* A segment for a listener; consumes skb. Returns 1 when a RST should answer it (skb kept). */
int tcp_rcv_listen(struct sock *sk, struct sk_buff *skb);
/* A segment for a connection in TIME_WAIT; consumes skb. */
enum tcp_tw_status { TCP_TW_SUCCESS, TCP_TW_SYN };
enum tcp_tw_status tcp_timewait_state_process(struct sock *sk, struct sk_buff *skb);
/* estab: the connection is past its SYNs (only negotiated options count). */
/* foc (or NULL): the Fast Open option of a SYN or SYN-ACK, len -1 if none. */
void tcp_parse_options(const struct net *net, const struct tcphdr *th,
		       struct tcp_options_received *opt, bool estab,
		       struct tcp_fastopen_cookie *foc);
/* After the peer's SYN was parsed: scaling only if both SYNs carried the option. */
void tcp_wscale_settle(struct sock *sk);
void tcp_rtt_estimator(struct sock *sk, uint64_t rtt);
/* After the peer's SYN or SYN-ACK was parsed: timestamps and SACK on or off. */
void tcp_ts_sack_settle(struct sock *sk);
void tcp_init_transfer(struct sock *sk);
/* SYN_RECV -> ESTABLISHED: a passive child joins its listener's accept queue. */
void tcp_synrecv_established(struct sock *sk);

/* Enters fast recovery (loss found by RACK or by duplicate ACKs). */
void tcp_enter_recovery(struct sock *sk, bool ece);
/* PRR's window for what this ACK (or timer) delivered (RFC 6937). */
void tcp_cwnd_reduction(struct sock *sk, uint32_t newly_acked_sacked, bool una_advanced,
			bool newly_lost);
/* The reduction is over (tcp_end_cwnd_reduction): the window is ssthresh. */
void tcp_end_cwnd_reduction(struct sock *sk);
/* An episode (recovery or loss) begins: what it may be undone to (tcp_init_undo). */
void tcp_init_undo(struct sock *sk);
/* ssthresh as it stands, for undo (tcp_current_ssthresh). */
uint32_t tcp_current_ssthresh(const struct tcp_sock *tp);

/* The minimum RTT in the last tcp_min_rtt_wlen, ~0 before the first sample. */
static inline uint64_t tcp_min_rtt(const struct tcp_sock *tp)
{
	return tp->rtt_min ? tp->rtt_min : UINT64_MAX;
}

/* tcp_cong.c */
extern const struct tcp_congestion_ops tcp_reno, tcp_cubic;
void tcp_assign_congestion_control(struct sock *sk);
void tcp_init_congestion_control(struct sock *sk);
void tcp_cleanup_congestion_control(struct sock *sk);
int tcp_set_congestion_control(struct sock *sk, const char *name, bool cap_net_admin);
void tcp_set_ca_state(struct sock *sk, uint8_t ca_state);
void tcp_ca_event(struct sock *sk, enum tcp_ca_event ev);
uint32_t tcp_ca_ssthresh(struct sock *sk);
void tcp_cong_avoid(struct sock *sk, uint32_t acked, uint32_t prior_in_flight);
/* After every acceptable ACK: cong_control if the CC has it, else the pacing rate. */
void tcp_cong_control(struct sock *sk, const struct rate_sample *rs);
uint32_t tcp_slow_start(struct tcp_sock *tp, uint32_t acked);
void tcp_cong_avoid_ai(struct tcp_sock *tp, uint32_t w, uint32_t acked);
bool tcp_is_cwnd_limited(const struct sock *sk);
uint32_t tcp_reno_ssthresh(struct sock *sk);
uint32_t tcp_reno_undo_cwnd(struct sock *sk);
void tcp_reno_cong_avoid(struct sock *sk, uint32_t ack, uint32_t acked);

static inline void *inet_csk_ca(const struct sock *sk)
{
	return (void *)tcp_sk(sk)->ca_priv;
}

static inline bool tcp_in_slow_start(const struct tcp_sock *tp)
{
	return tp->cong.snd_cwnd < tp->cong.snd_ssthresh;
}

/* tcp_recovery.c: RACK (RFC 8985) */
/* What limits sending (include/net/tcp.h enum tcp_chrono): a higher type wins over a lower. */
enum tcp_chrono {
	TCP_CHRONO_UNSPEC,
	TCP_CHRONO_BUSY,	   /* data in flight or waiting to be sent */
	TCP_CHRONO_RWND_LIMITED,   /* held by the peer's window */
	TCP_CHRONO_SNDBUF_LIMITED, /* all sent, the owner waits for send buffer */
	__TCP_CHRONO_MAX,
};
void tcp_chrono_start(struct sock *sk, enum tcp_chrono type);
void tcp_chrono_stop(struct sock *sk, enum tcp_chrono type);
void tcp_chrono_stats(const struct tcp_sock *tp, uint64_t *busy, uint64_t *rwnd, uint64_t *sndbuf);
void tcp_sndbuf_full(struct sock *sk);
void tcp_sndbuf_check_room(struct sock *sk);

void tcp_rack_advance(struct tcp_sock *tp, uint8_t sacked, uint32_t end_seq, uint64_t xmit_time);
bool tcp_rack_mark_lost(struct sock *sk);
void tcp_rack_reo_timeout(struct sock *sk);
void tcp_rack_dsack_seen(struct tcp_sock *tp);
void tcp_rack_recovery_done(struct tcp_sock *tp);
void tcp_rack_dsack_undone(struct tcp_sock *tp);
void tcp_rack_update_reo_wnd(struct tcp_sock *tp, const struct rate_sample *rs);
void tcp_mark_skb_lost(struct sock *sk, struct sk_buff *skb);
int64_t tcp_rack_skb_timeout(const struct tcp_sock *tp, const struct sk_buff *skb,
			     uint64_t reo_wnd);

/* tcp_rate.c: delivery-rate sampling */
void tcp_rate_skb_sent(struct sock *sk, struct sk_buff *skb);
void tcp_rate_skb_delivered(struct sock *sk, struct sk_buff *skb, struct rate_sample *rs);
void tcp_rate_gen(struct sock *sk, uint32_t delivered, uint32_t lost, struct rate_sample *rs);
void tcp_rate_check_app_limited(struct sock *sk);

/* tcp_bbr.c */
extern const struct tcp_congestion_ops tcp_bbr;

/* tcp_syncookies.c */
/* The cookie ISN for the SYN in skb; *mssp: the peer's MSS in, what the cookie keeps out. */
uint32_t cookie_v4_init_sequence(const struct net *net, const struct sk_buff *skb, uint16_t *mssp);
/* Our TSval (without offset) for a cookie SYN-ACK: window scale and SACK in its low bits. */
uint32_t cookie_init_timestamp(uint32_t ts_now, const struct tcp_options_received *opt);
/*
 * An ACK for listener parent: the child its valid cookie makes (SYN_RECV,
 * the SYN-ACK acknowledged), parent when it is no cookie of ours (answer
 * with a RST), NULL when it was one but cannot be taken now (drop).
 */
struct sock *cookie_v4_check(struct sock *parent, struct sk_buff *skb);

/* tcp_output.c */
int tcp_transmit_skb(struct sock *sk, struct sk_buff *skb, bool clone);
int tcp_connect(struct sock *sk);
void tcp_send_ack(struct sock *sk);
/* The ACK a request answers an unacceptable segment with: its SYN-ACK's window. */
void tcp_send_req_ack(struct sock *sk);
void tcp_send_delayed_ack(struct sock *sk);
void tcp_send_fin(struct sock *sk);
void tcp_send_active_reset(struct sock *sk);
int tcp_send_synack(struct sock *sk);
int tcp_v4_send_synack_cookie(struct sock *parent, const struct sk_buff *syn, uint32_t isn,
			      const struct tcp_options_received *opt);
/* Sends what the windows and Nagle allow; nonagle as TCP_NAGLE_*. */
void tcp_push_pending_frames(struct sock *sk, int nonagle);
bool tcp_write_xmit(struct sock *sk, int nonagle, bool push_one);
/* Pacing: the rate for CCs without cong_control (tcp_update_pacing_rate). */
void tcp_update_pacing_rate(struct sock *sk);
/* Internal pacing: true when the next segment must wait (its timer is armed). */
bool tcp_pacing_check(struct sock *sk);
int tcp_retransmit_skb(struct sock *sk, struct sk_buff *skb);
/* Retransmits segments marked lost while the congestion window allows. */
void tcp_xmit_retransmit_queue(struct sock *sk);
/* The MSS shrank (path MTU): resend now what was sent larger (tcp_simple_retransmit). */
void tcp_simple_retransmit(struct sock *sk);
void tcp_send_probe0(struct sock *sk);
/* Arms the tail loss probe if it applies (tcp_schedule_loss_probe); false if not. */
bool tcp_schedule_loss_probe(struct sock *sk, bool advancing_rto);
void tcp_send_loss_probe(struct sock *sk);
int tcp_write_wakeup(struct sock *sk);
unsigned int tcp_current_mss(struct sock *sk);
/*
 * The bytes tcp_sendmsg puts in one skb (tcp_xmit_size_goal): whole
 * segments of mss up to the largest GSO frame within half the peer's
 * largest window. A writer may fill the skb it opened below SO_SNDBUF up
 * to it, past SO_SNDBUF.
 */
unsigned int tcp_xmit_size_goal(struct sock *sk, unsigned int mss);
/*
 * The bytes the owner may still queue beside reserve bytes held elsewhere
 * (the stack host's pair), as the kernel's writer meets SO_SNDBUF: it
 * opens a skb while below it and fills the skb to the size goal, so its
 * queue ends on the boundary of the skb that crossed the bound. At most
 * INT_MAX; 0 or less: none.
 */
int tcp_sendmsg_room(struct sock *sk, int reserve);
/* The first of those boundaries at or past seq. */
uint32_t tcp_sendmsg_end(struct sock *sk, uint32_t seq);
/*
 * Where a write that begins now, with room bytes of sk_sndbuf left, ends
 * on the kernel: tcp_sendmsg fills skbs to the size goal and stops at the
 * end of the one that crossed the room. With nothing unsent before it, the
 * first skb, once full, goes at once (tcp_push_one) as far as the windows
 * let it (ACKs wait in the socket's backlog while it copies), and the
 * unsent rest is a skb that it fills to the goal again.
 */
uint32_t tcp_sendmsg_write_end(struct sock *sk, uint32_t room);
/*
 * icsk_sync_mss after the IP options changed (their length counts against
 * every segment): mss_cache anew, which TCP_MAXSEG reads.
 */
void tcp_sync_mss(struct sock *sk);
unsigned int tcp_mss_for_mtu(const struct sock *sk);
uint32_t tcp_packets_in_flight(const struct tcp_sock *tp);
void tcp_rcv_space_adjust(struct sock *sk);
/* The buffer for a reader that took newval bytes in an RTT; newval is the new measure. */
void tcp_rcvbuf_grow(struct sock *sk, uint32_t newval);

/*
 * tcp_repair.c: repair mode (TCP_REPAIR and its kin), as CRIU uses it to
 * dump a connection and restore it elsewhere without the peer noticing.
 */
/* The options (tcp_setsockopt after the int is read; val is it). */
int tcp_repair_setsockopt(struct sock *sk, int optname, const void *optval, unsigned int optlen,
			  int val);
/* TCP_REPAIR, TCP_REPAIR_QUEUE and TCP_QUEUE_SEQ read, into *val. */
int tcp_repair_get_int(struct sock *sk, int optname, int *val);
/* TCP_REPAIR_WINDOW read (its own length checks). */
int tcp_repair_get_window(struct sock *sk, void *optval, int *optlen);
/* tcp_sendmsg in repair mode to a queue other than the send queue (which sends as usual). */
int tcp_repair_sendmsg(struct sock *sk, struct msghdr *msg, size_t size);
/* tcp_recvmsg in repair mode but for a peek at the receive queue (which reads as usual). */
int tcp_repair_recvmsg(struct sock *sk, struct msghdr *msg, int flags);
/* The send queue's bytes from off on into buf (at most room); its whole length in *total. */
uint32_t tcp_repair_sndq_copy(struct sock *sk, uint32_t off, void *buf, uint32_t room,
			      uint32_t *total);
/* tcp_connect in repair mode: no SYN, ESTABLISHED at the sequence numbers set. */
int tcp_repair_connect(struct sock *sk);
/* tcp_output.c: the window probe of TCP_REPAIR_OFF (tcp_send_window_probe). */
void tcp_send_window_probe(struct sock *sk);
/*
 * tcp_input.c: in-order data onto the receive queue, rcv_nxt moved past it;
 * the caller charged its bytes (tcp_rmem_charge).
 */
void tcp_queue_rcv(struct sock *sk, struct sk_buff *skb);

/* tcp_mtu_probe.c: PLPMTUD (net.ipv4.tcp_mtu_probing) */
int tcp_mtu_to_mss(const struct sock *sk, int pmtu);
int tcp_mss_to_mtu(const struct sock *sk, int mss);
/* The connection's MSS is settled (SYN-ACK or child): the search's range. */
void tcp_mtup_init(struct sock *sk);
/* tcp_sync_mss's part: search_high at most pmtu; mss at most search_low's while probing. */
unsigned int tcp_mtup_sync_mss(struct sock *sk, unsigned int pmtu, unsigned int mss);
/* Sends a probe if due (tcp_write_xmit): 1 sent, 0 wait (send nothing now), -1 none. */
int tcp_mtu_probe(struct sock *sk);
/* After an ACK moved snd_una: the probe arrived, search_low rises. */
void tcp_mtup_probe_acked(struct sock *sk);
/* Loss at the probe's head instead of recovery: search_high falls; true if so. */
bool tcp_mtup_probe_failed(struct sock *sk);
/* A retransmission timeout of an established connection: black-hole detection. */
void tcp_mtu_probing(struct sock *sk);
/* tcp_output.c, for the probe: a new segment left (send_head, packets_out, the RTO). */
void tcp_event_new_data_sent(struct sock *sk, struct sk_buff *skb);
void tcp_data_sent_paced(struct sock *sk, struct sk_buff *skb, unsigned int n, unsigned int len);

/* The timestamp clock: milliseconds of the stack clock (TCP_TS_HZ 1000), without tsoffset. */
uint32_t tcp_time_stamp_ts(const struct tcp_sock *tp);

/* win rounded up to a multiple of 1 << wscale (the kernel's ALIGN). */
static inline uint32_t tcp_wscale_align(uint32_t win, uint8_t wscale)
{
	uint32_t unit = 1u << wscale;

	return (win + unit - 1) & ~(unit - 1);
}

/* tcp_window.c: the receive window as the kernel's. */
#define TCP_RMEM_TO_WIN_SCALE	  8
#define TCP_DEFAULT_SCALING_RATIO (1 << (TCP_RMEM_TO_WIN_SCALE - 1)) /* half, until measured */
/* Buffer bytes as payload bytes, by the measured scaling_ratio (tcp_win_from_space). */
int tcp_win_from_space(const struct sock *sk, int64_t space);
int64_t tcp_space_from_win(const struct sock *sk, int64_t win);
/* Free receive space as payload (tcp_space), and the whole buffer's (tcp_full_space). */
int tcp_space(const struct sock *sk);
int tcp_full_space(const struct sock *sk);
int tcp_set_window_clamp(struct sock *sk, int val);
/* The SYN's window, clamp and shift, and rcv_ssthresh (tcp_connect_init). */
void tcp_connect_init_rwin(struct sock *sk);
/* What tcp_openreq_init_rwin chooses for a SYN-ACK and its child. */
struct tcp_rwin {
	uint32_t rcv_wnd, window_clamp;
	uint8_t rcv_wscale;
};
void tcp_openreq_init_rwin(const struct sock *listener, uint32_t mss, bool tstamp_ok,
			   bool wscale_ok, struct tcp_rwin *rw);
void tcp_initialize_rcv_mss(struct sock *sk);
void tcp_init_buffer_space(struct sock *sk);
/* A full-sized segment arrived whose size differs from rcv_mss (tcp_measure_rcv_mss). */
void tcp_measure_scaling_ratio(struct sock *sk, const struct sk_buff *skb);
uint32_t tcp_rx_segs(const struct sk_buff *skb);
void tcp_grow_window(struct sock *sk, uint32_t len, uint32_t segs, bool adjust);
/* The window free space allows now, before the never-shrink rule. */
uint32_t __tcp_select_window(struct sock *sk);
uint32_t tcp_select_window(struct sock *sk);

/* tcp_fastopen.c */
/* A Fast Open option's cookie of len bytes into foc (tcp_parse_fastopen_option). */
void tcp_fastopen_take(int len, const uint8_t *cookie, struct tcp_fastopen_cookie *foc, bool exp);
/* Bytes the option takes in a SYN or SYN-ACK, aligned (0 when foc->len < 0). */
unsigned int tcp_fastopen_optlen(const struct tcp_fastopen_cookie *foc);
/* Lays the option out at ptr as tcp_options_write; returns the end. */
uint8_t *tcp_fastopen_write(uint8_t *ptr, const struct tcp_fastopen_cookie *foc);
/*
 * connect() carrying data (sendto/sendmsg MSG_FASTOPEN: tcp_sendmsg_fastopen):
 * *copied is what the SYN took. Returns what connect returns.
 */
struct socket;
int tcp_connect_fastopen(struct socket *sock, const struct sockaddr *uaddr, int addr_len,
			 const void *data, size_t size, size_t *copied);
/*
 * The first write after TCP_FASTOPEN_CONNECT deferred the connect
 * (tcp_sendmsg_fastopen with defer_connect): the SYN goes with what fits of
 * data; -EINPROGRESS, *copied the bytes it took.
 */
int tcp_sendmsg_deferred(struct sock *sk, const void *data, size_t size, size_t *copied);
/*
 * TCP_FASTOPEN_CONNECT: true with a cookie at hand (connect() returns at
 * once, the SYN waits for the first write); else the SYN asks for one
 * through fo, which tcp_connect uses.
 */
bool tcp_fastopen_defer_connect(struct sock *sk, struct tcp_fastopen_request *fo);
/* tcp_connect's SYN with data or a cookie request; 1 when it did not apply. */
int tcp_send_syn_data(struct sock *sk, struct sk_buff *syn);
/* A SYN-ACK to a Fast Open SYN; true when the SYN's data was resent (no pure ACK then). */
bool tcp_rcv_fastopen_synack(struct sock *sk, const struct sk_buff *synack);
/* A SYN for a listener (tcp_conn_request's Fast Open part): the child made, or NULL. */
struct sock *tcp_try_fastopen(struct sock *parent, struct sk_buff *skb);
/* The child of tcp_v4_syn_recv_sock, before its SYN-ACK goes. */
void tcp_fastopen_child_init(struct sock *parent, struct sock *child, const struct sk_buff *skb,
			     const struct tcp_fastopen_cookie *foc, bool fastopen);
/* A passive Fast Open child completed its handshake or ended: off the listener's count. */
void tcp_fastopen_child_done(struct sock *sk);
void tcp_fastopen_child_reset(struct sock *sk);
/* A listener stops: its accepted Fast Open children still counted let go of it. */
void tcp_fastopen_listen_stop(struct sock *sk);
void tcp_fastopen_forget_children(struct sock *sk);
/* A request's window, its SYN-ACK's (tcp_synack_window): what it judges and ACKs by. */
static inline uint32_t tcp_synack_window(const struct tcp_sock *tp)
{
	return tp->rsk_rcv_wnd < TCP_MAX_WINDOW ? tp->rsk_rcv_wnd : TCP_MAX_WINDOW;
}

/*
 * A listener's child in SYN_RECV that stands for the kernel's request sock:
 * on the SYN queue, its segments judged by tcp_check_req alone.
 */
static inline bool tcp_child_is_request(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return sk->sk_state == TCP_SYN_RECV && tp->parent && !tp->fastopen_child && !tp->req_made;
}
/* A passive Fast Open child before its handshake completes: it may send already. */
static inline bool tcp_passive_fastopen(const struct sock *sk)
{
	return sk->sk_state == TCP_SYN_RECV && tcp_sk(sk)->fastopen_passive;
}
/*
 * ... or one its owner shut or closed before that (FIN_WAIT1): the kernel's
 * fastopen_rsk, its request sock, stays until the handshake's ACK, which
 * tcp_check_req and the SYN-ACK's timer keep judging by.
 */
static inline bool tcp_fastopen_rsk(const struct sock *sk)
{
	return tcp_passive_fastopen(sk) ||
	       (sk->sk_state == TCP_FIN_WAIT1 && tcp_sk(sk)->fastopen_passive);
}
/* listen(): net.ipv4.tcp_fastopen 0x400 enables it without TCP_FASTOPEN. */
void tcp_fastopen_listen(struct sock *sk, int backlog);
int tcp_fastopen_setsockopt(struct sock *sk, int optname, const void *optval, unsigned int optlen);
int tcp_fastopen_getsockopt(struct sock *sk, int optname, void *optval, int *optlen);
void tcp_fastopen_net_exit(struct net *net);

/* tcp_metrics.c: the per-destination cache */
/* At TIME_WAIT or LAST_ACK's end: what the connection learnt, kept for its destination. */
void tcp_update_metrics(struct sock *sk);
/* At establishment: ssthresh, reordering and the first RTO from the cache. */
void tcp_init_metrics(struct sock *sk);
void tcp_metrics_net_exit(struct net *net);

/* tcp_ecn.c: ECN (RFC 3168); ecn_flags */
#define TCP_ECN_OK	   1 /* negotiated */
#define TCP_ECN_QUEUE_CWR  2 /* the next new data segment carries CWR */
#define TCP_ECN_DEMAND_CWR 4 /* CE seen: echo ECE until the peer's CWR */
#define TCP_ECN_SEEN	   8 /* an ECT or CE segment arrived */
/* The SYN's ECE|CWR when net.ipv4.tcp_ecn asks for ECN (tcp_ecn_send_syn). */
uint8_t tcp_ecn_send_syn(struct sock *sk);
void tcp_ecn_rcv_synack(struct sock *sk, const struct tcphdr *th);
/* A listener's child: ECN if the SYN asked for it and tcp_ecn allows (tcp_ecn_create_request). */
void tcp_ecn_create_request(struct sock *child, const struct sk_buff *syn);
void tcp_ecn_queue_cwr(struct tcp_sock *tp);
/* A segment with data or FIN: the peer's CWR, and CE marks on its IP header. */
void tcp_ecn_accept_cwr(struct sock *sk, const struct sk_buff *skb);
void tcp_data_ecn_check(struct sock *sk, const struct sk_buff *skb);
/* Quick-ACK credit up to max, and no longer interactive (tcp_input.c). */
void tcp_enter_quickack_mode(struct tcp_sock *tp, uint32_t max);
/* An ACK's ECE, if it counts (ECN connection, not a SYN). */
bool tcp_ecn_rcv_ecn_echo(const struct tcp_sock *tp, uint8_t tcp_flags);
/* The segments an ECE ACK delivered saw CE (tcpi_delivered_ce, TCPDeliveredCE). */
void tcp_ecn_delivered_ce(struct sock *sk, uint32_t delivered);
/* The window comes down once (CWR state); no undo of this episode. */
void tcp_enter_cwr(struct sock *sk);
/* Ends the CWR state once something above high_seq is acked; true if it did. */
bool tcp_ecn_cwr_end(struct sock *sk);
/* An ACK in the CWR state: PRR, or the end of the reduction past high_seq. */
void tcp_ecn_cwr_ack(struct sock *sk, uint32_t acked_sacked, bool una_advanced);
/* The flags and IP TOS of a segment being sent (tcp_ecn_send, tcp_ecn_make_synack). */
uint8_t tcp_ecn_send(struct sock *sk, uint32_t seq, uint8_t flags, unsigned int len, uint8_t *tos);

/* tcp_timer.c */
void tcp_init_xmit_timers(struct sock *sk);
void tcp_clear_xmit_timers(struct sock *sk);
void tcp_reset_xmit_timer(struct sock *sk, int what, uint64_t when);
void tcp_rearm_rto(struct sock *sk);
uint64_t tcp_rto_jiffies(uint64_t ns);
uint64_t tcp_rto_delta(const struct sock *sk);
void tcp_init_rto_bounds(struct sock *sk);
uint64_t tcp_delack_max(const struct sock *sk);
uint64_t tcp_model_timeout(const struct sock *sk, unsigned int boundary, uint64_t rto_base);
bool retransmits_timed_out(const struct sock *sk, unsigned int boundary, uint64_t timeout);
void tcp_set_keepalive(struct sock *sk, int val);
void tcp_reset_keepalive_timer(struct sock *sk, uint64_t len);
/* Holds an ACK back for out-of-order data (SACK compression), at most the delay. */
void tcp_compressed_ack_arm(struct sock *sk, uint64_t delay);
void tcp_time_wait(struct sock *sk, int state, uint64_t timeo);
/* How long an orphan stays in FIN_WAIT2, tcp_fin_timeout read now (tcp_fin_time). */
uint64_t tcp_fin_time(const struct sock *sk);
/* close() found too many orphans (tcp_check_oom): true if it reset and ended sk. */
bool tcp_close_out_of_resources(struct sock *sk);
/* The owner closed sk, which lives on (tcp_orphan_count), or it no longer does. */
void tcp_orphan_count_inc(struct sock *sk);
void tcp_orphan_count_dec(struct sock *sk);
uint64_t keepalive_time_when(const struct tcp_sock *tp);
uint64_t keepalive_intvl_when(const struct tcp_sock *tp);
int keepalive_probes(const struct tcp_sock *tp);

/* The send of the bytes after start up to end had MSG_MORE (tcp_send_commit corks there). */
void tcp_send_more(struct sock *sk, uint32_t start, uint32_t end);

/* Transmit stamps and MSG_ZEROCOPY completions on TCP (tcp_timestamping.c). */
int tcp_tskey_init(struct sock *sk, uint32_t flags);
int tcp_tx_mark_add(struct sock *sk, uint32_t end_seq, uint32_t tsflags, bool zc);
void tcp_tx_mark_fix(struct sock *sk, uint32_t end_seq, uint32_t len, uint32_t taken);
void tcp_tx_marks_apply(struct sock *sk);
void tcp_tx_mark_split(struct sk_buff *skb, struct sk_buff *buff);
void tcp_ack_tstamp(struct sock *sk, const struct sk_buff *skb, uint32_t prior_snd_una);
/*
 * SOF_TIMESTAMPING_OPT_STATS: the socket's counts as the netlink attributes
 * TCP_NLA_* (the kernel's order and sizes), for the stamp of orig (ack: the
 * stamp an ACK made, which adds its TTL).
 */
struct sk_buff *tcp_get_timestamping_opt_stats(struct sock *sk, const struct sk_buff *orig,
					       bool ack);
void tcp_skb_zerocopy_done(struct sock *sk, struct sk_buff *skb);

#endif
