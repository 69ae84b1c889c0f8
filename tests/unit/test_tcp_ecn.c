// SPDX-License-Identifier: MIT
/*
 * ECN (RFC 3168) against scripted peers (helper_tcpscript), as Linux's
 * classic ECN under net.ipv4.tcp_ecn: the SYN's ECE|CWR and the SYN-ACK's
 * ECE, ECT(0) on new data only, CE echoed with ECE until CWR, and an ECE
 * answered by one window reduction (the CWR state) and CWR on the next new
 * data. The stack runs with tcp_timestamps = 2 (TSval = its clock in ms,
 * from 1000) and SACK.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "helper_tcpscript.h"
#include "inet.h"
#include "tcp.h"

#define OPTS "mss 1460,sackOK,TS val 5000 ecr 1000,nop,wscale 7"

static struct tcpscript *sc;
static struct socket *sock;

static void setup(void)
{
	sc = tcpscript_start();
	cr_assert_not_null(sc);
	tcpscript_linux_sysctls(sc, "reno");
	sock = tcpscript_socket(sc);
	cr_assert_not_null(sock);
}

static void teardown(void)
{
	tcpscript_stop(sc);
	skb_cache_drain();
}

TestSuite(tcp_ecn, .init = setup, .fini = teardown);

#define RUN(...) TCPSCRIPT_RUN(sc, __VA_ARGS__)

static struct netns_sysctl *stack_sysctl(void)
{
	return &sc->ts->net[0].sysctl;
}

static struct socket *stack_connect(void)
{
	struct sockaddr_in to = twostack_sin(1, TCPSCRIPT_PEER_PORT);

	cr_assert_eq(twostack_connect(sock, &to), -EINPROGRESS);
	return sock;
}

static int send_bytes(size_t len)
{
	static char buf[16384];
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_flags = MSG_DONTWAIT};

	return sock->ops->sendmsg(sock, &m, len);
}

static uint8_t tcp_info_options(struct socket *s)
{
	struct tcp_info info;
	int len = sizeof(info);

	cr_assert_eq(s->ops->getsockopt(s, SOL_TCP, TCP_INFO, &info, &len), 0);
	return info.tcpi_options;
}

/* tcp_ecn = 1: the SYN asks (ECE|CWR), the SYN-ACK's ECE agrees, the ACK is plain. */
static struct tcp_sock *ecn_established(void)
{
	stack_sysctl()->tcp_ecn = 1;
	stack_connect();
	RUN({0, '>', {"SEW", 0, 0, 0, 0, "*"}}, {10, '<', {"SE.", 0, 1, 0, 0, OPTS}},
	    {10, '>', {".", 1, 1, 0, 0, "*"}});
	cr_assert(tcp_sk(sock->sk)->ecn_flags & TCP_ECN_OK);
	return tcp_sk(sock->sk);
}

Test(tcp_ecn, default_2_does_not_ask_in_the_syn)
{
	stack_connect();
	RUN({0, '>', {"S", 0, 0, 0, 0, "*"}});
}

Test(tcp_ecn, syn_ack_without_ece_turns_it_off)
{
	stack_sysctl()->tcp_ecn = 1;
	stack_connect();
	RUN({0, '>', {"SEW", 0, 0, 0, 0, "*"}}, {10, '<', {"S.", 0, 1, 0, 0, OPTS}},
	    {10, '>', {".", 1, 1, 0, 0, "*"}});
	cr_assert_not(tcp_sk(sock->sk)->ecn_flags & TCP_ECN_OK);
	cr_assert_eq(send_bytes(100), 100);
	RUN({10, '>', {"P.", 1, 1, 100, 0, "*"}});
}

/* tcp_ecn_fallback: the retransmitted SYN asks no more. */
Test(tcp_ecn, syn_retransmission_drops_ece_and_cwr)
{
	stack_sysctl()->tcp_ecn = 1;
	stack_connect();
	RUN({0, '>', {"SEW", 0, 0, 0, 0, "*"}}, {1000, '>', {"S", 0, 0, 0, 0, "*"}});
}

/* New data is ECT(0); a retransmission is not. */
Test(tcp_ecn, new_data_is_ect0_retransmissions_are_not)
{
	struct tcp_sock *tp;
	uint64_t rto;

	stack_sysctl()->tcp_early_retrans = 0; /* no loss probe: the RTO resends */
	tp = ecn_established();
	cr_assert_eq(send_bytes(100), 100);
	rto = tp->rto / NSEC_PER_MSEC;
	RUN({10, '>', {"P.:ect0", 1, 1, 100, 0, "*"}}, {10 + rto, '>', {"P.", 1, 1, 100, 0, "*"}});
	cr_assert(tcp_info_options(sock) & TCPI_OPT_ECN);
}

/* A CE mark: ECE on every ACK, at once, until the sender's CWR arrives. */
Test(tcp_ecn, ce_is_echoed_until_cwr)
{
	ecn_established();
	RUN({20, '<', {"P.:ce", 1, 1, 100, 0, "nop,nop,TS val 5010 ecr 1010"}},
	    {20, '>', {".E", 1, 101, 0, 0, "*"}},
	    {30, '<', {"P.:ect0", 101, 1, 100, 0, "nop,nop,TS val 5020 ecr 1010"}},
	    {30, '>', {".E", 1, 201, 0, 0, "*"}},
	    {40, '<', {"PW.:ect0", 201, 1, 100, 0, "nop,nop,TS val 5030 ecr 1010"}},
	    {40, '>', {".", 1, 301, 0, 0, "*"}});
	cr_assert(tcp_info_options(sock) & TCPI_OPT_ECN_SEEN);
}

/* An ECE: one reduction per window (CWR state), CWR on the next new data, then Open. */
Test(tcp_ecn, ece_reduces_the_window_once_and_sends_cwr)
{
	struct tcp_sock *tp = ecn_established();
	uint32_t cwnd = tp->cong.snd_cwnd;

	cr_assert_eq(send_bytes(4 * 1448), 4 * 1448);
	RUN({10, '>', {".:ect0", 1, 1, 1448, 0, "*"}}, {10, '>', {".:ect0", 1449, 1, 1448, 0, "*"}},
	    {10, '>', {".:ect0", 2897, 1, 1448, 0, "*"}},
	    {10, '>', {"P.:ect0", 4345, 1, 1448, 0, "*"}},
	    {20, '<', {".E", 1, 1449, 0, 0, "nop,nop,TS val 5010 ecr 1010"}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_CWR);
	cr_assert_eq(tp->cong.snd_ssthresh, cwnd / 2, "reno halves");
	cr_assert_eq(tp->delivered_ce, 1);
	cr_assert_eq(sc->ts->net[0].mib.tcpext.TCPDeliveredCE, 1);
	RUN({21, '<', {".E", 1, 2897, 0, 0, "nop,nop,TS val 5011 ecr 1010"}});
	cr_assert_eq(tp->cong.snd_ssthresh, cwnd / 2, "once per window");
	cr_assert_eq(send_bytes(100), 100);
	RUN({21, '>', {"PW.:ect0", 5793, 1, 100, 0, "*"}});
	cr_assert_eq(send_bytes(100), 100); /* Nagle holds it behind the small one */
	RUN({30, '<', {".", 1, 5893, 0, 0, "nop,nop,TS val 5012 ecr 1010"}},
	    {30, '>', {"P.:ect0", 5893, 1, 100, 0, "*"}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open, "past high_seq");
	cr_assert_eq(tp->cong.snd_cwnd, tp->cong.snd_ssthresh);
}

/*
 * An ECE during a recovery (tcp_fastretrans_alert: prior_ssthresh 0): the
 * congestion is proven, so an undo of the episode may end it but not take
 * its reduction back. Six segments sent at 10 ms, three SACKed at 20:
 * segment 0 goes again (Reno's ssthresh 5 of 10). The partial ACK at 22
 * echoes the resend and carries ECE; at 23 the peer reports segment 0
 * twice (D-SACK): every resend was needless, the recovery is over
 * (TCPDSACKUndo), but the window and ssthresh stay cut.
 */
Test(tcp_ecn, ece_during_recovery_keeps_the_cut_through_an_undo)
{
	struct tcp_sock *tp = ecn_established();

	cr_assert_eq(send_bytes(6 * 1448), 6 * 1448);
	RUN({10, '>', {".:ect0", 1, 1, 1448, 0, "*"}}, {10, '>', {".:ect0", 1449, 1, 1448, 0, "*"}},
	    {10, '>', {".:ect0", 2897, 1, 1448, 0, "*"}},
	    {10, '>', {".:ect0", 4345, 1, 1448, 0, "*"}},
	    {10, '>', {".:ect0", 5793, 1, 1448, 0, "*"}},
	    {10, '>', {"P.:ect0", 7241, 1, 1448, 0, "*"}},
	    {20, '<', {".", 1, 1, 0, 0, "nop,nop,TS val 5010 ecr 1010,nop,nop,sack 1449:5793"}},
	    {20, '>', {".", 1, 1, 1448, 0, "*"}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
	cr_assert_eq(tp->cong.snd_ssthresh, 5);
	RUN({22, '<', {".E", 1, 5793, 0, 0, "nop,nop,TS val 5011 ecr 1020"}});
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Recovery);
	cr_assert_eq(tp->cong.prior_ssthresh, 0, "no undo of a proven congestion");
	cr_assert_eq(tp->cong.snd_cwnd, 5, "PRR: two in flight + three");
	RUN({23, '<', {".", 1, 5793, 0, 0, "nop,nop,TS val 5012 ecr 1020,nop,nop,sack 1:1449"}});
	cr_assert_eq(sc->ts->net[0].mib.tcpext.TCPDSACKUndo, 1);
	cr_assert_eq(tp->cong.ca_state, TCP_CA_Open);
	cr_assert_eq(tp->cong.snd_ssthresh, 5, "the cut stays");
	cr_assert_eq(tp->cong.snd_cwnd, 5);
}

/* ---- the server ---- */

static void synack_to(const char *syn_flags, const char *synack_flags)
{
	cr_assert_eq(twostack_bind(sock, twostack_addr(0), 5000), 0);
	cr_assert_eq(sock->ops->listen(sock, 8), 0);
	sc->stack_port = 5000;
	RUN({0, '<', {syn_flags, 0, 0, 0, 0, "mss 1460"}},
	    {0, '>', {synack_flags, 0, 1, 0, 0, "mss 1460"}});
}

Test(tcp_ecn, server_accepts_by_default)
{
	synack_to("SEW", "SE.");
}

Test(tcp_ecn, server_with_tcp_ecn_0_refuses)
{
	stack_sysctl()->tcp_ecn = 0;
	synack_to("SEW", "S.");
}

/* RFC 3168 6.1.1: an ECT SYN is no ECN-setup SYN (tcp_ecn_create_request). */
Test(tcp_ecn, server_refuses_an_ect_syn)
{
	synack_to("SEW:ect0", "S.");
}
