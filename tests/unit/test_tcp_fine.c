// SPDX-License-Identifier: MIT
/*
 * TCP's finer wire behaviour against scripted peers (helper_tcpscript), as
 * the kernel's: retransmissions in GSO frames (a contiguous lost run goes
 * again as one frame, bounded by the window's room), the reordering
 * timer's move from Loss into Recovery, and the marks a lost tail loss
 * probe keeps. Besides the segments on the wire (the capture cuts GSO
 * frames as a device would), the test records the frames the stack hands
 * its device.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <string.h>

#include "helper_tcpscript.h"
#include "inet.h"
#include "ip.h"
#include "netdevice.h"
#include "tcp.h"

#define SEG(i)		       (1 + (i)*1448u) /* the stack's i-th full segment, from 0 */
#define PEER_SACK(ecr, blocks) "nop,nop,TS val 5001 ecr " #ecr ",nop,nop,sack " blocks

static struct tcpscript *sc;
static struct socket *sock;

static struct tcpext_mib *ext(void)
{
	return &sc->ts->net[0].mib.tcpext;
}

/* The data frames side 0 hands its device: first sequence (relative) and segments. */
struct frame {
	uint32_t seq;
	unsigned int segs;
};
static struct frame frames[256];
static unsigned int nframes;
static const struct net_device_ops *mem_ops;
static struct net_device_ops rec_ops;

static int record_xmit(struct net_device *dev, struct sk_buff *skb)
{
	const uint8_t *ip = skb->data + 14, *th = ip + (ip[0] & 15u) * 4;
	unsigned int tot = (unsigned int)(ip[2] << 8 | ip[3]);

	if (ip[9] == IPPROTO_TCP && tot > (unsigned int)((th - ip) + (th[12] >> 4) * 4) &&
	    nframes < 256) {
		uint32_t seq = (uint32_t)th[4] << 24 | (uint32_t)th[5] << 16 |
			       (uint32_t)th[6] << 8 | th[7];

		frames[nframes].seq = seq - sc->stack_isn;
		frames[nframes++].segs = skb->gso_segs ? skb->gso_segs : 1;
	}
	return mem_ops->ndo_start_xmit(dev, skb);
}

static void setup(void)
{
	sc = tcpscript_start();
	cr_assert_not_null(sc);
	tcpscript_linux_sysctls(sc, "cubic");
	mem_ops = sc->ts->dev[0]->netdev_ops;
	rec_ops = *mem_ops;
	rec_ops.ndo_start_xmit = record_xmit;
	sc->ts->dev[0]->netdev_ops = &rec_ops;
	nframes = 0;
	sock = NULL;
}

static void teardown(void)
{
	if (sock)
		sock_release(sock);
	tcpscript_stop(sc);
	skb_cache_drain();
}

TestSuite(tcp_fine, .init = setup, .fini = teardown);

#define RUN(...)                                                                                   \
	do {                                                                                       \
		const struct tcpscript_step steps_[] = {__VA_ARGS__, {0}};                         \
		cr_assert(tcpscript_run(sc, steps_), "%s", sc->err);                               \
	} while (0)

static int send_bytes(struct socket *s, size_t len)
{
	static char buf[32768];
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_flags = MSG_DONTWAIT};

	return s->ops->sendmsg(s, &m, len);
}

/*
 * An established connection from the stack: SYN at 0, SYN-ACK and ACK at
 * rtt ms. At 1 ms tcp_tso_autosize allows frames of 20 segments and more
 * (the GSO limit halves per 512 us of minimum RTT), so the window alone
 * bounds a run.
 */
static struct tcp_sock *established_rtt(uint64_t rtt)
{
	int err = 0;
	struct sockaddr_in to = twostack_sin(1, TCPSCRIPT_PEER_PORT);

	sock = twostack_socket(sc->ts, 0, SOCK_STREAM, IPPROTO_TCP, &err);
	cr_assert_not_null(sock);
	cr_assert_eq(twostack_connect(sock, &to), -EINPROGRESS);
	RUN({0, '>', {"S", 0, 0, 0, 0, "*"}},
	    {rtt, '<', {"S.", 0, 1, 0, 0, "mss 1460,sackOK,TS val 5000 ecr 1000,nop,wscale 7"}},
	    {rtt, '>', {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 5000"}});
	return tcp_sk(sock->sk);
}

static struct tcp_sock *established(void)
{
	return established_rtt(1);
}

/* Ten full segments at 1 ms. */
static void flight_of_ten(void)
{
	cr_assert_eq(send_bytes(sock, 10 * 1448), 10 * 1448);
	RUN({1, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {1, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {1, '>', {".", SEG(2), 1, 1448, 0, "*"}}, {1, '>', {".", SEG(3), 1, 1448, 0, "*"}},
	    {1, '>', {".", SEG(4), 1, 1448, 0, "*"}}, {1, '>', {".", SEG(5), 1, 1448, 0, "*"}},
	    {1, '>', {".", SEG(6), 1, 1448, 0, "*"}}, {1, '>', {".", SEG(7), 1, 1448, 0, "*"}},
	    {1, '>', {".", SEG(8), 1, 1448, 0, "*"}}, {1, '>', {"P.", SEG(9), 1, 1448, 0, "*"}});
}

/* The frames recorded from index from on, as "seq/segs ..." for the messages. */
static const char *frames_str(unsigned int from)
{
	static char buf[1024];
	size_t n = 0;

	buf[0] = 0;
	for (unsigned int i = from; i < nframes && n < sizeof(buf) - 32; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%u/%u ", frames[i].seq,
				      frames[i].segs);
	return buf;
}

/* ---- retransmissions in GSO frames (tcp_xmit_retransmit_queue, __tcp_retransmit_skb) ---- */

/*
 * Segments 0-6 of ten are lost, 7-9 SACKed: RACK marks the seven lost at
 * once, and PRR lets three go (ssthresh 7, nothing in flight, three
 * delivered): one frame of three segments, as the kernel cuts three MSS
 * from its lost TSO skb. The ACK of those lets the other four go, again as
 * one frame. Each segment still counts as a retransmission of its own.
 */
Test(tcp_fine, lost_run_goes_again_as_one_gso_frame)
{
	struct tcp_sock *tp = established();
	unsigned int mark;

	flight_of_ten();
	mark = nframes;
	RUN({2, '<', {".", 1, 1, 0, 0, PEER_SACK(1001, "10137:14481")}},
	    {2, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {2, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {2, '>', {".", SEG(2), 1, 1448, 0, "*"}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
	cr_assert_eq(nframes, mark + 1, "frames: %s", frames_str(mark));
	cr_assert_eq(frames[mark].seq, SEG(0));
	cr_assert_eq(frames[mark].segs, 3);
	cr_assert_eq(tp->retrans_out, 3);
	cr_assert_eq(tp->total_retrans, 3);
	cr_assert_eq(sc->ts->net[0].mib.tcp.RetransSegs, 3);
	RUN({3, '<', {".", 1, SEG(3), 0, 0, PEER_SACK(1002, "10137:14481")}},
	    {3, '>', {".", SEG(3), 1, 1448, 0, "*"}}, {3, '>', {".", SEG(4), 1, 1448, 0, "*"}},
	    {3, '>', {".", SEG(5), 1, 1448, 0, "*"}}, {3, '>', {".", SEG(6), 1, 1448, 0, "*"}});
	cr_assert_eq(nframes, mark + 2, "frames: %s", frames_str(mark));
	cr_assert_eq(frames[mark + 1].seq, SEG(3));
	cr_assert_eq(frames[mark + 1].segs, 4);
	RUN({4, '<', {".", 1, SEG(10), 0, 0, "nop,nop,TS val 5002 ecr 1003"}});
	cr_assert(tcpscript_quiet_until(sc, 2000), "%s", sc->err);
	cr_assert_eq(tp->total_retrans, 7);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open);
}

/*
 * A run ends where the lost segments do: with segment 2 SACKed between
 * holes 0-1 and 3-4, the four go again as two frames of two, not one.
 */
Test(tcp_fine, sacked_segment_splits_the_run)
{
	struct tcp_sock *tp = established();
	unsigned int mark;

	flight_of_ten();
	mark = nframes;
	RUN({2, '<', {".", 1, 1, 0, 0, PEER_SACK(1001, "7241:14481 2897:4345")}},
	    {2, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {2, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {2, '>', {".", SEG(3), 1, 1448, 0, "*"}}, {2, '>', {".", SEG(4), 1, 1448, 0, "*"}});
	cr_assert_eq(nframes, mark + 2, "frames: %s", frames_str(mark));
	cr_assert_eq(frames[mark].seq, SEG(0));
	cr_assert_eq(frames[mark].segs, 2);
	cr_assert_eq(frames[mark + 1].seq, SEG(3));
	cr_assert_eq(frames[mark + 1].segs, 2);
	cr_assert_eq(tp->retrans_out, 4);
	RUN({3, '<', {".", 1, SEG(10), 0, 0, "nop,nop,TS val 5002 ecr 1002"}});
	cr_assert(tcpscript_quiet_until(sc, 2000), "%s", sc->err);
}

/* ---- RACK's reordering timer and marks (tcp_rack_reo_timeout, tcp_mark_skb_lost) ---- */

/*
 * After a timeout, the reordering timer finds a retransmission lost: the
 * kernel moves from Loss into Recovery there (tcp_rack_reo_timeout enters
 * recovery from any state but Recovery) and resends it at once. The path
 * is known to reorder (an original SACKed below a later one), so RACK waits a quarter of the
 * minimum RTT (4 ms / 4) past the RTT, and its timer two ticks more, before
 * calling it lost.
 */
Test(tcp_fine, reordering_timer_moves_loss_into_recovery)
{
	static char ack1[64], ack2[96];
	struct tcp_sock *tp;
	unsigned long long t;

	sc->ts->net[0].sysctl.tcp_early_retrans = 0; /* the RTO, not a loss probe */
	sc->ts->net[0].sysctl.tcp_frto = 0;
	tp = established_rtt(4);
	cr_assert_eq(send_bytes(sock, 4 * 1448), 4 * 1448);
	RUN({4, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {4, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {4, '>', {".", SEG(2), 1, 1448, 0, "*"}}, {4, '>', {"P.", SEG(3), 1, 1448, 0, "*"}});
	/* All four lost: the RTO resends the head. */
	t = 4 + tp->rto / NSEC_PER_MSEC;
	RUN({t, '>', {".", SEG(0), 1, 1448, 0, "*"}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Loss);
	tp->reord_seen = 1;
	/* The peer echoes the resends' timestamps: no undo (Eifel). */
	snprintf(ack1, sizeof(ack1), "nop,nop,TS val 5001 ecr %llu", 1000 + t);
	snprintf(ack2, sizeof(ack2), "nop,nop,TS val 5002 ecr %llu,nop,nop,sack 2897:4345",
		 1010 + t);
	/* The head's ACK doubles the window: segments 1 and 2 go again. */
	RUN({t + 10, '<', {".", 1, SEG(1), 0, 0, ack1}},
	    {t + 10, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {t + 10, '>', {".", SEG(2), 1, 1448, 0, "*"}});
	/*
	 * Segment 2's resend arrives, 1's not: within the reordering window
	 * yet. The SACKed segment's room goes to segment 3.
	 */
	RUN({t + 20, '<', {".", 1, SEG(1), 0, 0, ack2}},
	    {t + 20, '>', {"P.", SEG(3), 1, 1448, 0, "*"}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Loss);
	cr_assert_eq(tp->pending_timer, ICSK_TIME_REO_TIMEOUT);
	/* 1 ms left, in whole jiffies (4 ms) plus two (8 ms). */
	cr_assert(tcpscript_quiet_until(sc, t + 31), "%s", sc->err);
	RUN({t + 32, '>', {".", SEG(1), 1, 1448, 0, "*"}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
	cr_assert_eq(ext()->TCPSackRecovery, 1);
	cr_assert(tcpscript_quiet_until(sc, t + 40), "%s", sc->err);
}

/*
 * A tail loss probe's resend that RACK then finds lost keeps its
 * retransmitted mark (tcp_mark_skb_lost clears it only on a segment that
 * was already marked lost): it stays counted in flight, recovery does not
 * send it again, and RACK does not look at it again (the kernel took it off
 * its list), so the RTO resends it.
 */
Test(tcp_fine, lost_loss_probe_waits_for_the_rto)
{
	struct tcp_sock *tp = established_rtt(10);
	uint64_t rto_at;

	cr_assert_eq(send_bytes(sock, 3 * 1448), 3 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {10, '>', {"P.", SEG(2), 1, 1448, 0, "*"}},
	    {20, '<', {".", 1, SEG(1), 0, 0, "nop,nop,TS val 5002 ecr 1010"}},
	    /* srtt 10 ms: the probe 2 * 10 ms (whole jiffies) + 8 ms (two) after the ACK. */
	    {48, '>', {"P.", SEG(2), 1, 1448, 0, "*"}});
	cr_assert_eq(ext()->TCPLossProbes, 1);
	cr_assert(tcpscript_quiet_until(sc, 49), "%s", sc->err);
	cr_assert_eq(send_bytes(sock, 1448), 1448);
	/*
	 * New data after the probe arrives, the probe does not. RACK's RTT is
	 * its newest sample, segment 1's (sent at 10, acknowledged at 59: 49
	 * ms), so at 59 the probe has 49 + 2.5 (a quarter of the minimum RTT)
	 * - 11 ms left: its timer fires that in whole jiffies (44 ms) plus two
	 * (8 ms) later, at 111.
	 */
	RUN({49, '>', {"P.", SEG(3), 1, 1448, 0, "*"}},
	    {59, '<', {".", 1, SEG(2), 0, 0, PEER_SACK(1049, "4345:5793")}});
	cr_assert_eq(tp->pending_timer, ICSK_TIME_REO_TIMEOUT);
	cr_assert(tcpscript_quiet_until(sc, 112), "%s", sc->err);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
	cr_assert_eq(TCP_SKB_CB(skb_peek(&sock->sk->sk_write_queue))->sacked & 0x03,
		     TCPCB_LOST | TCPCB_SACKED_RETRANS);
	cr_assert_eq(tp->lost_out, 1);
	cr_assert_eq(tp->retrans_out, 1);
	cr_assert_eq(ext()->TCPLostRetransmit, 0);
	/* Nothing more until the RTO, counted from the probe's send. */
	rto_at = 48 + tp->rto / NSEC_PER_MSEC;
	cr_assert(tcpscript_quiet_until(sc, rto_at - 1), "%s", sc->err);
	RUN({rto_at, '>', {"P.", SEG(2), 1, 1448, 0, "*"}});
	cr_assert_eq(ext()->TCPTimeouts, 1);
}

/* ---- BBR's min_rtt filter and the ACK-delay flag (FLAG_ACK_MAYBE_DELAYED) ---- */

static uint32_t bbr_min_rtt_us(void)
{
	union tcp_cc_info info;
	int len = sizeof(info);

	cr_assert_eq(sock->ops->getsockopt(sock, SOL_TCP, TCP_CC_INFO, (char *)&info, &len), 0);
	cr_assert_eq(len, (int)sizeof(info.bbr));
	return info.bbr.bbr_min_rtt;
}

/* Sends len bytes at at_ms and has the peer acknowledge them rtt_ms later. */
static void send_and_ack(uint32_t seq, uint32_t len, uint64_t at_ms, uint64_t rtt_ms)
{
	static char ack[64];

	cr_assert(tcpscript_quiet_until(sc, at_ms), "%s", sc->err);
	cr_assert_eq(send_bytes(sock, len), (int)len);
	snprintf(ack, sizeof(ack), "nop,nop,TS val 5100 ecr %llu",
		 1000 + (unsigned long long)at_ms);
	RUN({at_ms, '>', {"P.", seq, 1, len, 0, "*"}},
	    {at_ms + rtt_ms, '<', {".", 1, seq + len, 0, 0, ack}});
}

/*
 * Once BBR's minimum RTT is 10 s old, the next sample replaces it (and
 * PROBE_RTT starts), unless its ACK may have been delayed: the ACK of one
 * small segment sent alone, with nothing else to report, may have waited
 * for the peer's delayed-ACK timer, so its 50 ms say nothing of the path
 * (bbr_update_min_rtt's !rs->is_ack_delayed). A full segment's 50 ms do
 * replace it.
 */
Test(tcp_fine, bbr_min_rtt_ignores_a_maybe_delayed_ack)
{
	tcpscript_linux_sysctls(sc, "bbr");
	established_rtt(10);
	send_and_ack(1, 100, 10, 10);
	cr_assert_eq(bbr_min_rtt_us(), 10000);
	send_and_ack(101, 100, 10100, 50);
	cr_assert_eq(bbr_min_rtt_us(), 10000, "a runt's ACK, maybe delayed");
	send_and_ack(201, 1448, 10200, 50);
	cr_assert_eq(bbr_min_rtt_us(), 50000, "a full segment's ACK");
}
