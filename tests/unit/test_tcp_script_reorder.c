// SPDX-License-Identifier: MIT
/*
 * RACK's reordering window over recoveries against scripted peers
 * (helper_tcpscript), as the kernel's tcp_recovery.c keeps it: a D-SACK
 * widens the window by a quarter of the minimum RTT (reo_wnd_steps) for
 * TCP_RACK_RECOVERY_THRESH (16) recoveries (reo_wnd_persist). Only a
 * recovery that repaired a loss spends one (tcp_try_undo_recovery); one
 * that D-SACKs show needless gives one back (tcp_try_undo_dsack), and the
 * window falls back to one step only at an ACK that delivers something
 * once none is left (tcp_rack_update_reo_wnd). The stack runs with
 * tcp_timestamps = 2 (TSval = its clock in ms, from 1000) and HZ 250: a
 * reordering timer of W ms fires after W rounded up to 4 ms plus 8 ms.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "helper_tcpscript.h"
#include "inet.h"
#include "tcp.h"

static struct tcpscript *sc;

static void setup(void)
{
	sc = tcpscript_start();
	cr_assert_not_null(sc);
	tcpscript_linux_sysctls(sc, "cubic"); /* with RACK and tail loss probes */
}

static void teardown(void)
{
	tcpscript_stop(sc);
	skb_cache_drain();
}

TestSuite(tcp_reorder, .init = setup, .fini = teardown);

#define RUN(...)	       TCPSCRIPT_RUN(sc, __VA_ARGS__)
#define QUIET_UNTIL(ms)	       cr_assert(tcpscript_quiet_until(sc, ms), "%s", sc->err)
#define SEG(i)		       (1 + (i)*1448u) /* the stack's i-th full segment, from 0 */
#define PEER_SACK(ecr, blocks) "nop,nop,TS val 5001 ecr " #ecr ",nop,nop,sack " blocks

static struct tcpext_mib *ext(void)
{
	return &sc->ts->net[0].mib.tcpext;
}

/* Established at 10 ms: the RTT (and the minimum RTT) is 10 ms. */
static struct socket *established(void)
{
	struct socket *c = tcpscript_connect(sc, 0);

	cr_assert_not_null(c);
	RUN({0, '>', {"S", 0, 0, 0, 0, "*"}},
	    {10, '<', {"S.", 0, 1, 0, 0, "mss 1460,sackOK,TS val 5000 ecr 1000,nop,wscale 7"}},
	    {10, '>', {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 5000"}});
	return c;
}

static int send_bytes(struct socket *s, size_t len)
{
	static char buf[8 * 1448];
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_flags = MSG_DONTWAIT};

	return s->ops->sendmsg(s, &m, len);
}

/*
 * A fast retransmit of segment 0 at 20 ms (three SACKed above it, no
 * reordering seen: no window); the episode ends at 30 ms on an ACK that
 * echoes the resend, so it is not undone and spends a recovery of the
 * widened window. The peer's D-SACK comes at 31 ms, after the end.
 */
static struct socket *needless_recovery_dsacked_late(void)
{
	struct socket *c = established();
	struct tcp_sock *tp = tcp_sk(c->sk);

	/*
	 * A window two steps wide with one recovery left, as sixteen repaired
	 * recoveries after a D-SACK widened it leave it. reord_seen stays 0,
	 * so the D-SACK below widens nothing itself (tcp_dsack_seen): only the
	 * undo it brings counts.
	 */
	tp->rack.reo_wnd_steps = 2;
	tp->rack.reo_wnd_persist = 1;
	cr_assert_eq(send_bytes(c, 4 * 1448), 4 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {10, '>', {".", SEG(2), 1, 1448, 0, "*"}}, {10, '>', {"P.", SEG(3), 1, 1448, 0, "*"}},
	    {20, '<', {".", 1, 1, 0, 0, PEER_SACK(1010, "1449:5793")}},
	    {20, '>', {".", SEG(0), 1, 1448, 0, "*"}},
	    {30, '<', {".", 1, SEG(4), 0, 0, "nop,nop,TS val 5002 ecr 1020"}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open);
	cr_assert_eq(ext()->TCPFullUndo, 0, "the echo is the resend's: a repair");
	cr_assert_eq(tp->rack.reo_wnd_persist, 0);
	RUN({31, '<', {".", 1, SEG(4), 0, 0, "nop,nop,TS val 5003 ecr 1020,nop,nop,sack 1:1449"}});
	cr_assert_eq(ext()->TCPDSACKUndo, 1);
	return c;
}

/*
 * The D-SACK shows the episode needless: it gives its recovery back
 * (tcp_try_undo_dsack), so the window keeps its two steps. Segment 4 of the
 * next flight is held back while segment 5, sent with it, is SACKed at
 * 41 ms: RACK waits min_rtt / 4 x 2 = 5 ms, a timer of 8 + 8 ms, and resends
 * it at 57 ms. Spending the recovery at the episode's end and never giving
 * it back fell back to one step (2.5 ms, a timer of 4 + 8 ms): the resend
 * went at 53 ms.
 */
Test(tcp_reorder, needless_recovery_gives_back_the_widened_window)
{
	struct socket *c = needless_recovery_dsacked_late();
	struct tcp_sock *tp = tcp_sk(c->sk);

	cr_assert_eq(send_bytes(c, 2 * 1448), 2 * 1448);
	RUN({31, '>', {".", SEG(4), 1, 1448, 0, "*"}}, {31, '>', {"P.", SEG(5), 1, 1448, 0, "*"}},
	    {41, '<', {".", 1, SEG(4), 0, 0, PEER_SACK(1031, "7241:8689")}});
	cr_assert_eq(tp->pending_timer, ICSK_TIME_REO_TIMEOUT);
	QUIET_UNTIL(56);
	cr_assert_eq(tp->rack.reo_wnd_steps, 2);
	cr_assert_eq(tp->rack.reo_wnd_persist, 1);
	RUN({57, '>', {".", SEG(4), 1, 1448, 0, "*"}},
	    {67, '<', {".", 1, SEG(6), 0, 0, "nop,nop,TS val 5004 ecr 1057"}});
	QUIET_UNTIL(2000);
	cr_assert_eq(ext()->TCPTimeouts, 0);
}

/*
 * A tail loss probe that repaired a loss (tcp_process_tlp_ack's
 * TCPLossProbeRecovery) ends a window reduction, not a recovery: the
 * widened window, with one recovery left, loses nothing for it. Of three
 * segments only the first is acknowledged at 20 ms; the probe resends the
 * last at 48 ms (2 x srtt + 8 ms), segment 3 follows at 50 ms, and the ACK
 * past the probe at 60 ms says it repaired a loss (no D-SACK of it). The
 * next flight's segment 4 is held back while segment 5, sent with it, is
 * SACKed at 70 ms: the window is still two steps (5 ms, resent at 86 ms).
 * Counting the probe's end as a recovery left none, and resent it at 82 ms.
 */
Test(tcp_reorder, loss_probe_repair_spends_no_recovery_of_the_window)
{
	struct socket *c = established();
	struct tcp_sock *tp = tcp_sk(c->sk);

	tp->rack.reo_wnd_steps = 2;
	tp->rack.reo_wnd_persist = 1;
	cr_assert_eq(send_bytes(c, 3 * 1448), 3 * 1448);
	RUN({10, '>', {".", SEG(0), 1, 1448, 0, "*"}}, {10, '>', {".", SEG(1), 1, 1448, 0, "*"}},
	    {10, '>', {"P.", SEG(2), 1, 1448, 0, "*"}},
	    {20, '<', {".", 1, SEG(1), 0, 0, "nop,nop,TS val 5002 ecr 1010"}},
	    {48, '>', {"P.", SEG(2), 1, 1448, 0, "*"}});
	QUIET_UNTIL(50);
	cr_assert_eq(send_bytes(c, 1448), 1448);
	RUN({50, '>', {"P.", SEG(3), 1, 1448, 0, "*"}},
	    {58, '<', {".", 1, SEG(3), 0, 0, "nop,nop,TS val 5003 ecr 1048"}},
	    {60, '<', {".", 1, SEG(4), 0, 0, "nop,nop,TS val 5004 ecr 1050"}});
	cr_assert_eq(ext()->TCPLossProbeRecovery, 1);
	cr_assert_eq(send_bytes(c, 2 * 1448), 2 * 1448);
	RUN({60, '>', {".", SEG(4), 1, 1448, 0, "*"}}, {60, '>', {"P.", SEG(5), 1, 1448, 0, "*"}},
	    {70, '<', {".", 1, SEG(4), 0, 0, PEER_SACK(1060, "7241:8689")}});
	cr_assert_eq(tp->pending_timer, ICSK_TIME_REO_TIMEOUT);
	QUIET_UNTIL(85);
	RUN({86, '>', {".", SEG(4), 1, 1448, 0, "*"}},
	    {96, '<', {".", 1, SEG(6), 0, 0, "nop,nop,TS val 5005 ecr 1086"}});
	QUIET_UNTIL(2000);
	cr_assert_eq(ext()->TCPTimeouts, 0);
}
