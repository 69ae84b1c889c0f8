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
 * An established connection from the stack: SYN at 0, RTT 1 ms, so that
 * tcp_tso_autosize allows frames of 20 segments and more (the GSO limit
 * halves per 512 us of minimum RTT) and the window alone bounds a run.
 */
static struct tcp_sock *established(void)
{
	int err = 0;
	struct sockaddr_in to = twostack_sin(1, TCPSCRIPT_PEER_PORT);

	sock = twostack_socket(sc->ts, 0, SOCK_STREAM, IPPROTO_TCP, &err);
	cr_assert_not_null(sock);
	cr_assert_eq(twostack_connect(sock, &to), -EINPROGRESS);
	RUN({0, '>', {"S", 0, 0, 0, 0, "*"}},
	    {1, '<', {"S.", 0, 1, 0, 0, "mss 1460,sackOK,TS val 5000 ecr 1000,nop,wscale 7"}},
	    {1, '>', {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 5000"}});
	return tcp_sk(sock->sk);
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
