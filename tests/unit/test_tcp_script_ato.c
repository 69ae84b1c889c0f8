// SPDX-License-Identifier: MIT
/*
 * The receiver's ACK timing against scripted peers (helper_tcpscript), as
 * the kernel's delayed-ACK engine (icsk_ack) decides it, in jiffies of 4 ms
 * (this machine's HZ 250), so every time here is a whole jiffy:
 * - the ATO follows the gaps between segments (tcp_event_data_recv) and
 *   doubles, up to the RTO, when the delayed-ACK timer fires outside
 *   pingpong mode; the timer is bounded by the RTT (tcp_send_delayed_ack),
 *   so this shows on paths slower than 40 ms;
 * - data sent within an ATO of the last data received is a reply, and
 *   makes the connection interactive (pingpong): ACKs wait for the reply;
 * - quick-ACK credit is spent only by ACKs of new data (tcp_dec_quickack_mode);
 * - a pushed segment is acknowledged by the read that empties the queue
 *   (ICSK_ACK_PUSHED, ICSK_ACK_PUSHED2 in tcp_cleanup_rbuf);
 * - a CE mark earns at most the credit the window allows
 *   (tcp_enter_quickack_mode(sk, 2));
 * - an owner's hand-over of the bytes (the stack host's pair) is not the
 *   program's read.
 * The stack runs with tcp_timestamps = 2 (TSval = its clock in ms, from 1000).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "helper_tcpscript.h"
#include "inet.h"
#include "tcp.h"

static struct tcpscript *sc;

static void setup(void)
{
	sc = tcpscript_start_linux("cubic");
}

static void teardown(void)
{
	tcpscript_stop_drained(sc);
}

TestSuite(tcp_ato, .init = setup, .fini = teardown);

#define RUN(...)	TCPSCRIPT_RUN(sc, __VA_ARGS__)
#define QUIET_UNTIL(ms) cr_assert(tcpscript_quiet_until(sc, ms), "%s", sc->err)
#define MS(ms)		((uint64_t)(ms)*NSEC_PER_MSEC)

/*
 * connect() from the stack, SO_RCVBUF first unless 0; the peer's SYN-ACK
 * comes rtt_ms later, which is the connection's smoothed RTT.
 */
static struct socket *established(int rcvbuf, uint64_t rtt_ms)
{
	struct socket *c = tcpscript_connect(sc, rcvbuf);

	cr_assert_not_null(c);
	RUN({0, '>', {"S", 0, 0, 0, 0, "*"}},
	    {rtt_ms, '<', {"S.", 0, 1, 0, 0, "mss 1460,sackOK,TS val 5000 ecr 1000,nop,wscale 7"}},
	    {rtt_ms, '>', {".", 1, 1, 0, 0, "*"}});
	return c;
}

/* Data came before: no first-data credit left, the ATO at its floor. */
static struct tcp_sock *credit_spent(struct socket *c)
{
	struct tcp_sock *tp = tcp_sk(c->sk);

	tp->ack.quick = 0;
	tp->ack.ato = TCP_ATO_MIN;
	return tp;
}

static int send_bytes(struct socket *s, size_t len)
{
	static char buf[4096];
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_flags = MSG_DONTWAIT};

	return s->ops->sendmsg(s, &m, len);
}

static int read_all(struct socket *s)
{
	char buf[8192];

	return twostack_recvfrom(s, buf, sizeof(buf), MSG_DONTWAIT, NULL);
}

static int get_quickack(struct socket *s)
{
	int val = -1, len = sizeof(val);

	cr_assert_eq(s->ops->getsockopt(s, SOL_TCP, TCP_QUICKACK, &val, &len), 0);
	return val;
}

static void set_quickack(struct socket *s, int val)
{
	cr_assert_eq(s->ops->setsockopt(s, SOL_TCP, TCP_QUICKACK, &val, sizeof(val)), 0);
}

static uint64_t delayed_acks(void)
{
	return sc->ts->net[0].mib.tcpext.DelayedACKs;
}

/*
 * A path of 100 ms, segments 200 ms apart: each delayed ACK waits its
 * whole ATO, so the timer doubles it (40, 80, then 160 ms), and the wait is
 * the ATO while under the RTT; a gap shorter than the ATO sets it halfway
 * to the gap (80 + 120 = 200 ms), bounded by the RTT for the timer (100
 * ms), and the next doubling stops at the RTO (300 ms: 100 + tcp_rto_min).
 * Before: 40 ms each time.
 */
Test(tcp_ato, the_ato_grows_on_a_slow_path)
{
	struct socket *c = established(0, 100);
	struct tcp_sock *tp = credit_spent(c);

	RUN({200, '<', {"P.", 1, 1, 100, 0, "nop,nop,TS val 5100 ecr 1100"}});
	QUIET_UNTIL(239);
	RUN({240, '>', {".", 1, 101, 0, 0, "nop,nop,TS val now ecr 5100"}});
	cr_assert_eq(tp->ack.ato, MS(80));
	RUN({400, '<', {"P.", 101, 1, 100, 0, "nop,nop,TS val 5300 ecr 1240"}});
	QUIET_UNTIL(479);
	RUN({480, '>', {".", 1, 201, 0, 0, "nop,nop,TS val now ecr 5300"}});
	cr_assert_eq(tp->ack.ato, MS(160));
	RUN({520, '<', {"P.", 201, 1, 100, 0, "nop,nop,TS val 5420 ecr 1480"}});
	cr_assert_eq(tp->ack.ato, MS(200), "halfway to the gap of 120 ms");
	QUIET_UNTIL(619);
	RUN({620, '>', {".", 1, 301, 0, 0, "nop,nop,TS val now ecr 5420"}});
	cr_assert_eq(tp->ack.ato, tp->rto, "doubled up to the RTO");
	cr_assert_eq(tp->rto, MS(300));
	cr_assert_eq(delayed_acks(), 3);
}

/*
 * Two segments a jiffy apart pull the ATO halfway to TCP_ATO_MIN / 2 above
 * half of it (80 -> 40 + 20 = 60 ms), and the timer, already running for
 * the first, comes forward to the second's earlier time (tcp_send_delayed_ack
 * keeps the earlier of the two). Before: the first's 40 ms.
 */
Test(tcp_ato, close_segments_bring_the_ato_and_the_timer_forward)
{
	struct socket *c = established(0, 100);
	struct tcp_sock *tp = credit_spent(c);

	RUN({200, '<', {"P.", 1, 1, 100, 0, "nop,nop,TS val 5100 ecr 1100"}},
	    {240, '>', {".", 1, 101, 0, 0, "nop,nop,TS val now ecr 5100"}});
	RUN({400, '<', {"P.", 101, 1, 100, 0, "nop,nop,TS val 5300 ecr 1240"}},
	    {404, '<', {"P.", 201, 1, 100, 0, "nop,nop,TS val 5304 ecr 1240"}});
	cr_assert_eq(tp->ack.ato, MS(60));
	QUIET_UNTIL(463);
	RUN({464, '>', {".", 1, 301, 0, 0, "nop,nop,TS val now ecr 5300"}});
	cr_assert_eq(tp->ack.ato, MS(120));
}

/*
 * A reply within the ATO of the request makes the connection interactive
 * (tcp_event_data_sent's pingpong): the next request's ACK waits, although
 * quick-ACK credit is left, and rides on the reply. A request left without
 * reply is acknowledged by the timer, which ends pingpong mode. Before: the
 * second request was acknowledged at once, a segment more on the wire.
 */
Test(tcp_ato, a_reply_within_the_ato_makes_the_acks_wait_for_the_next)
{
	struct socket *c = established(0, 12);

	RUN({20, '<', {"P.", 1, 1, 100, 0, "nop,nop,TS val 5008 ecr 1012"}},
	    {20, '>', {".", 1, 101, 0, 0, "nop,nop,TS val now ecr 5008"}});
	cr_assert_eq(get_quickack(c), 1);
	cr_assert_eq(send_bytes(c, 100), 100);
	RUN({20, '>', {"P.", 1, 101, 100, 0, "nop,nop,TS val now ecr 5008"}});
	cr_assert_eq(get_quickack(c), 0, "interactive: TCP_QUICKACK reads 0");
	RUN({32, '<', {"P.", 101, 101, 100, 0, "nop,nop,TS val 5020 ecr 1020"}});
	cr_assert_gt(tcp_sk(c->sk)->ack.quick, 0, "credit is left");
	QUIET_UNTIL(40);
	cr_assert_eq(send_bytes(c, 100), 100);
	RUN({40, '>', {"P.", 101, 201, 100, 0, "nop,nop,TS val now ecr 5020"}},
	    {52, '<', {".", 201, 201, 0, 0, "nop,nop,TS val 5040 ecr 1040"}},
	    {100, '<', {"P.", 201, 201, 100, 0, "nop,nop,TS val 5088 ecr 1040"}});
	QUIET_UNTIL(139);
	RUN({140, '>', {".", 201, 301, 0, 0, "nop,nop,TS val now ecr 5088"}});
	cr_assert_eq(get_quickack(c), 1, "the delayed ACK timer left pingpong mode");
	cr_assert_eq(delayed_acks(), 1);
}

/*
 * Our own data segments carry ACKs, but spend no quick-ACK credit: only an
 * ACK of new data does (tcp_dec_quickack_mode). Before: each segment spent
 * one, so a sender lost its credit for the peer's next data.
 */
Test(tcp_ato, data_we_send_spends_no_quick_ack_credit)
{
	struct socket *c = established(0, 12);
	struct tcp_sock *tp = tcp_sk(c->sk);
	uint8_t credit;

	RUN({20, '<', {"P.", 1, 1, 100, 0, "nop,nop,TS val 5008 ecr 1012"}},
	    {20, '>', {".", 1, 101, 0, 0, "nop,nop,TS val now ecr 5008"}});
	credit = tp->ack.quick;
	cr_assert_gt(credit, 3);
	/* Long after the request: not a reply, not interactive. */
	RUN({200, '<', {".", 101, 1, 0, 0, "nop,nop,TS val 5188 ecr 1020"}});
	cr_assert_eq(send_bytes(c, 300), 300);
	RUN({200, '>', {"P.", 1, 101, 300, 0, "nop,nop,TS val now ecr 5188"}});
	cr_assert_eq(send_bytes(c, 300), 300);
	RUN({212, '<', {".", 101, 301, 0, 0, "nop,nop,TS val 5200 ecr 1200"}},
	    {212, '>', {"P.", 301, 101, 300, 0, "nop,nop,TS val now ecr 5200"}});
	cr_assert_eq(tp->ack.quick, credit);
	cr_assert_eq(get_quickack(c), 1);
	RUN({224, '<', {"P.", 101, 601, 100, 0, "nop,nop,TS val 5212 ecr 1212"}},
	    {224, '>', {".", 601, 201, 0, 0, "nop,nop,TS val now ecr 5212"}});
	cr_assert_eq(tp->ack.quick, credit - 1);
}

/*
 * A pushed segment's ACK goes with the read that empties the receive
 * queue (ICSK_ACK_PUSHED): the sender may be waiting for it. In pingpong
 * mode one such segment waits for the reply or the timer, two do not
 * (ICSK_ACK_PUSHED2). Before: every one waited for the timer.
 */
Test(tcp_ato, the_read_that_empties_the_queue_acks_a_pushed_segment)
{
	struct socket *c = established(0, 12);

	credit_spent(c);
	RUN({20, '<', {"P.", 1, 1, 100, 0, "nop,nop,TS val 5008 ecr 1012"}});
	QUIET_UNTIL(24);
	cr_assert_eq(read_all(c), 100);
	RUN({24, '>', {".", 1, 101, 0, 0, "nop,nop,TS val now ecr 5008"}});

	set_quickack(c, 0);
	RUN({100, '<', {"P.", 101, 1, 100, 0, "nop,nop,TS val 5088 ecr 1024"}});
	QUIET_UNTIL(104);
	cr_assert_eq(read_all(c), 100);
	QUIET_UNTIL(139);
	RUN({140, '>', {".", 1, 201, 0, 0, "nop,nop,TS val now ecr 5088"}});

	set_quickack(c, 0);
	RUN({200, '<', {"P.", 201, 1, 100, 0, "nop,nop,TS val 5188 ecr 1140"}},
	    {204, '<', {"P.", 301, 1, 100, 0, "nop,nop,TS val 5192 ecr 1140"}});
	QUIET_UNTIL(208);
	cr_assert_eq(read_all(c), 200);
	RUN({208, '>', {".", 1, 401, 0, 0, "nop,nop,TS val now ecr 5188"}});
	cr_assert_eq(get_quickack(c), 0, "still interactive");
}

/*
 * SO_RCVBUF 4096 (a window of 2920) on an ECN connection: a CE mark asks
 * for two quick ACKs (tcp_enter_quickack_mode(sk, 2)), but the window earns
 * one (2920 / (2 x 1448)): the next segment waits for the timer, its ACK
 * still echoing ECE. Before: two quick ACKs whatever the window.
 */
Test(tcp_ato, a_ce_mark_earns_the_quick_acks_the_window_allows)
{
	struct socket *c;

	sc->ts->net[0].sysctl.tcp_ecn = 1;
	c = tcpscript_socket(sc);
	{
		int rcvbuf = 4096;
		struct sockaddr_in to = twostack_sin(1, TCPSCRIPT_PEER_PORT);

		cr_assert_eq(c->ops->setsockopt(c, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)),
			     0);
		cr_assert_eq(twostack_connect(c, &to), -EINPROGRESS);
	}
	RUN({0, '>', {"SEW", 0, 0, 0, 0, "*"}},
	    {12, '<', {"SE.", 0, 1, 0, 0, "mss 1460,sackOK,TS val 5000 ecr 1000,nop,wscale 7"}},
	    {12, '>', {".", 1, 1, 0, 0, "*"}},
	    {20, '<', {".:ect0", 1, 1, 1448, 0, "nop,nop,TS val 5008 ecr 1012"}},
	    {20, '>', {".", 1, 1449, 0, 2920, "nop,nop,TS val now ecr 5008"}},
	    {32, '<', {".:ce", 1449, 1, 1448, 0, "nop,nop,TS val 5020 ecr 1020"}},
	    {32, '>', {".E", 1, 2897, 0, 1472, "nop,nop,TS val now ecr 5020"}},
	    {44, '<', {".:ect0", 2897, 1, 1448, 0, "nop,nop,TS val 5032 ecr 1032"}});
	QUIET_UNTIL(83);
	RUN({84, '>', {".E", 1, 4345, 0, 1472, "nop,nop,TS val now ecr 5032"}});
}

/*
 * The owner (the stack host) hands the bytes to its program's pair as
 * they come; that is not the program's read, so it sends no ACK of its
 * own (tcp_cleanup_rbuf runs at the read, tcp_owner_unread). SO_RCVBUF
 * 4096: one quick ACK, then each segment by the delayed-ACK timer, as the
 * kernel's whose program has not read (test_rcv_window.sh). Before: the hand-over of the third
 * segment reopened it at once (2 at once and 2 by the timer, the kernel 1 and 3).
 */
Test(tcp_ato, the_owners_hand_over_is_not_a_read)
{
	struct socket *c = established(4096, 12);
	struct sock *sk = c->sk;

	sk->sk_owner_holds = true;
	RUN({20, '<', {".", 1, 1, 1448, 0, "nop,nop,TS val 5008 ecr 1012"}},
	    {20, '>', {".", 1, 1449, 0, 2920, "nop,nop,TS val now ecr 5008"}});
	tcp_consume(sk, 1448);
	RUN({32, '<', {".", 1449, 1, 1448, 0, "nop,nop,TS val 5020 ecr 1020"}});
	tcp_consume(sk, 1448);
	RUN({72, '>', {".", 1, 2897, 0, 1472, "nop,nop,TS val now ecr 5020"}},
	    {80, '<', {".", 2897, 1, 1448, 0, "nop,nop,TS val 5068 ecr 1072"}});
	tcp_consume(sk, 1448);
	QUIET_UNTIL(119);
	RUN({120, '>', {".", 1, 4345, 0, 1472, "nop,nop,TS val now ecr 5068"}});
	/* The program reads: a window that cannot double is not worth an update. */
	tcp_owner_unread(sk, 0);
	QUIET_UNTIL(200);
	sk->sk_owner_holds = false;
}
