// SPDX-License-Identifier: MIT
/*
 * TCP Fast Open (RFC 7413) against scripted peers (helper_tcpscript), as
 * Linux's net/ipv4/tcp_fastopen.c does it: the client asks for a cookie,
 * then carries data in its SYN; the server hands out cookies, takes data
 * from a SYN with a valid one before the handshake completes, ignores it
 * with a bad one, and keeps to its queue length. The stack under test runs
 * with tcp_timestamps = 2 (its TSval is its clock in ms, starting at 1000).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "helper_tcpscript.h"
#include "inet.h"
#include "tcp.h"

#define PORT	   5000
#define SYN_OPTS   "mss 1460,sackOK,TS val now ecr 0,nop,wscale 7"
#define SYNACK_TO  "mss 1460,sackOK,TS val 5000 ecr 1000,nop,wscale 7"
#define PEER_SYN   "mss 1460,sackOK,TS val 700 ecr 0,nop,wscale 7"
#define OUR_SYNACK "mss 1460,sackOK,TS val now ecr 700,nop,wscale 7"

static struct tcpscript *sc;
static const char payload[2048] = "fast open";

static void setup(void)
{
	sc = tcpscript_start();
	cr_assert_not_null(sc);
	tcpscript_linux_sysctls(sc, "cubic");
	for (int i = 0; i < 2; i++)
		sc->ts->net[i].sysctl.tcp_fastopen = TFO_CLIENT_ENABLE | TFO_SERVER_ENABLE;
}

static void teardown(void)
{
	tcpscript_stop(sc);
	skb_cache_drain();
}

TestSuite(tcp_fastopen, .init = setup, .fini = teardown);

static struct netns_sysctl *stack_sysctl(void)
{
	return &sc->ts->net[0].sysctl;
}

static struct tcpext_mib *ext(void)
{
	return &sc->ts->net[0].mib.tcpext;
}

#define RUN(...) TCPSCRIPT_RUN(sc, __VA_ARGS__)

static struct socket *new_socket(void)
{
	struct socket *s = tcpscript_socket(sc);

	cr_assert_not_null(s);
	return s;
}

/* sendto(MSG_FASTOPEN) of len bytes to the script; *copied: what the SYN took. */
static int fastopen_send(struct socket *c, size_t len, size_t *copied)
{
	struct sockaddr_in to = twostack_sin(1, TCPSCRIPT_PEER_PORT);

	sc->stack_port = 0; /* learnt again from this connection's SYN */
	return tcp_connect_fastopen(c, (struct sockaddr *)&to, sizeof(to), payload, len, copied);
}

static struct tcp_info info_of(struct socket *s)
{
	struct tcp_info info;
	int len = sizeof(info);

	cr_assert_eq(s->ops->getsockopt(s, SOL_TCP, TCP_INFO, &info, &len), 0);
	return info;
}

/* The first connection asks for a cookie; the peer hands out 0102030405060708. */
static void client_learns_cookie(void)
{
	size_t copied = 1;

	cr_assert_eq(fastopen_send(new_socket(), 100, &copied), -EINPROGRESS);
	cr_assert_eq(copied, 0, "no cookie yet: the data waits for the handshake");
	RUN({0, '>', {"S", 0, 0, 0, 0, SYN_OPTS ",tfo,nop,nop"}},
	    {10, '<', {"S.", 0, 1, 0, 0, SYNACK_TO ",tfo 0102030405060708,nop,nop"}},
	    {10, '>', {".", 1, 1, 0, 0, "nop,nop,TS val now ecr 5000"}});
}

Test(tcp_fastopen, client_asks_for_a_cookie_then_sends_data_in_the_syn)
{
	struct socket *c;
	size_t copied = 0;

	client_learns_cookie();
	cr_assert(tcpscript_quiet_until(sc, 20), "%s", sc->err);
	c = new_socket();
	cr_assert_eq(fastopen_send(c, 100, &copied), -EINPROGRESS);
	cr_assert_eq(copied, 100);
	RUN({20, '>', {"S", 0, 0, 100, 0, SYN_OPTS ",tfo 0102030405060708,nop,nop"}},
	    {30, '<', {"S.", 0, 101, 0, 0, "mss 1460,sackOK,TS val 5010 ecr 1020,nop,wscale 7"}},
	    {30, '>', {".", 101, 1, 0, 0, "nop,nop,TS val now ecr 5010"}});
	cr_assert_eq(c->sk->sk_state, TCP_ESTABLISHED);
	cr_assert_eq(ext()->TCPFastOpenActive, 1);
	cr_assert(info_of(c).tcpi_options & TCPI_OPT_SYN_DATA);
	cr_assert(tcpscript_quiet_until(sc, 500), "%s", sc->err);
}

/* The SYN carries at most the MSS less 40 bytes (tcp_send_syn_data). */
Test(tcp_fastopen, syn_data_stops_40_bytes_below_the_mss)
{
	size_t copied = 0;

	client_learns_cookie();
	cr_assert(tcpscript_quiet_until(sc, 20), "%s", sc->err);
	cr_assert_eq(fastopen_send(new_socket(), sizeof(payload), &copied), -EINPROGRESS);
	cr_assert_eq(copied, 1420);
	RUN({20, '>', {"S", 0, 0, 1420, 0, "*"}});
}

/* A SYN-ACK acknowledging part of the SYN's data: the rest goes at once, with the ACK. */
Test(tcp_fastopen, partly_acked_syn_data_is_resent)
{
	struct socket *c;
	size_t copied = 0;

	client_learns_cookie();
	cr_assert(tcpscript_quiet_until(sc, 20), "%s", sc->err);
	c = new_socket();
	cr_assert_eq(fastopen_send(c, 1000, &copied), -EINPROGRESS);
	cr_assert_eq(copied, 1000);
	RUN({20, '>', {"S", 0, 0, 1000, 0, "*"}},
	    {30, '<', {"S.", 0, 401, 0, 0, "mss 1460,sackOK,TS val 5010 ecr 1020,nop,wscale 7"}},
	    {30, '>', {"P.", 401, 1, 600, 0, "nop,nop,TS val now ecr 5010"}});
	cr_assert_eq(ext()->TCPFastOpenActiveFail, 1);
	cr_assert_eq(ext()->TCPFastOpenActive, 0);
	cr_assert_eq(info_of(c).tcpi_fastopen_client_fail, TFO_DATA_NOT_ACKED);
	cr_assert_not(info_of(c).tcpi_options & TCPI_OPT_SYN_DATA);
}

/*
 * A request that got no cookie: the next asks with the experimental option
 * (try_exp), and one that fails too goes back to the RFC's.
 */
Test(tcp_fastopen, unanswered_request_retries_with_the_experimental_option)
{
	size_t copied = 1;

	cr_assert_eq(fastopen_send(new_socket(), 100, &copied), -EINPROGRESS);
	RUN({0, '>', {"S", 0, 0, 0, 0, SYN_OPTS ",tfo,nop,nop"}},
	    {10, '<', {"S.", 0, 1, 0, 0, SYNACK_TO}}, {10, '>', {".", 1, 1, 0, 0, "*"}});
	cr_assert(tcpscript_quiet_until(sc, 20), "%s", sc->err);
	cr_assert_eq(fastopen_send(new_socket(), 100, &copied), -EINPROGRESS);
	cr_assert_eq(copied, 0);
	RUN({20, '>', {"S", 0, 0, 0, 0, SYN_OPTS ",tfoexp"}},
	    {30, '<', {"S.", 0, 1, 0, 0, "mss 1460,sackOK,TS val 5010 ecr 1020,nop,wscale 7"}},
	    {30, '>', {".", 1, 1, 0, 0, "*"}});
	cr_assert(tcpscript_quiet_until(sc, 40), "%s", sc->err);
	cr_assert_eq(fastopen_send(new_socket(), 100, &copied), -EINPROGRESS);
	RUN({40, '>', {"S", 0, 0, 0, 0, SYN_OPTS ",tfo,nop,nop"}});
}

/* tcp_fastopen without the client bit: MSG_FASTOPEN is EOPNOTSUPP, nothing is sent. */
Test(tcp_fastopen, client_bit_off_refuses_msg_fastopen)
{
	size_t copied = 0;
	int one = 1;
	struct socket *c = new_socket();

	stack_sysctl()->tcp_fastopen = TFO_SERVER_ENABLE;
	cr_assert_eq(fastopen_send(c, 100, &copied), -EOPNOTSUPP);
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof(one)),
		     -EOPNOTSUPP);
	cr_assert(tcpscript_quiet_until(sc, 100), "%s", sc->err);
}

/* TCP_FASTOPEN_CONNECT with a cookie: connect() returns 0, the first write fills the SYN. */
Test(tcp_fastopen, fastopen_connect_defers_the_syn_to_the_first_write)
{
	struct sockaddr_in to = twostack_sin(1, TCPSCRIPT_PEER_PORT);
	struct iovec iov = {.iov_base = (void *)payload, .iov_len = 2000};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_flags = MSG_DONTWAIT};
	struct socket *c;
	int one = 1;

	client_learns_cookie();
	c = new_socket();
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof(one)), 0);
	sc->stack_port = 0;
	cr_assert_eq(twostack_connect(c, &to), 0);
	cr_assert_eq(twostack_connect(c, &to), -EISCONN, "connecting, as the kernel says then");
	cr_assert(tcpscript_quiet_until(sc, 20), "%s", sc->err);
	cr_assert_eq(c->ops->sendmsg(c, &m, 2000), 1420, "the SYN takes what fits");
	RUN({20, '>', {"S", 0, 0, 1420, 0, SYN_OPTS ",tfo 0102030405060708,nop,nop"}},
	    {30, '<', {"S.", 0, 1421, 0, 0, "mss 1460,sackOK,TS val 5010 ecr 1020,nop,wscale 7"}},
	    {30, '>', {".", 1421, 1, 0, 0, "nop,nop,TS val now ecr 5010"}});
	cr_assert_eq(c->ops->sendmsg(c, &m, 580), 580, "the rest once connected");
}

/* TCP_FASTOPEN_CONNECT without a cookie: a plain connect whose SYN asks for one. */
Test(tcp_fastopen, fastopen_connect_without_a_cookie_asks_for_one)
{
	struct sockaddr_in to = twostack_sin(1, TCPSCRIPT_PEER_PORT);
	struct socket *c = new_socket();
	int one = 1;

	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof(one)), 0);
	cr_assert_eq(twostack_connect(c, &to), -EINPROGRESS);
	RUN({0, '>', {"S", 0, 0, 0, 0, SYN_OPTS ",tfo,nop,nop"}});
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof(one)),
		     -EINVAL, "only before connect");
}

/* ---- the server ---- */

static struct socket *tfo_listen(int qlen)
{
	struct socket *l = new_socket();

	cr_assert_eq(twostack_bind(l, twostack_addr(0), PORT), 0);
	cr_assert_eq(l->ops->setsockopt(l, SOL_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen)), 0);
	cr_assert_eq(l->ops->listen(l, 8), 0);
	sc->stack_port = PORT;
	return l;
}

static struct socket *accept_one(struct socket *l)
{
	struct socket *n = calloc(1, sizeof(*n));

	if (l->ops->accept(l, n, O_NONBLOCK, true)) {
		free(n);
		return NULL;
	}
	return tcpscript_track(sc, n);
}

/* The cookie in the last segment the stack sent, as "tfo <hex>". */
static void last_cookie(char *spec, size_t size)
{
	const struct tcpscript_pkt *p = &sc->out[sc->nout - 1];
	int used;

	for (int i = 0; i + 1 < p->optlen; i++) {
		if (p->opts[i] == TCPOPT_NOP)
			continue;
		if (p->opts[i] == TCPOPT_FASTOPEN) {
			cr_assert_eq(p->opts[i + 1], 10, "an 8-byte cookie");
			used = snprintf(spec, size, "tfo ");
			for (int k = 0; k < 8; k++)
				used += snprintf(spec + used, size - (size_t)used, "%02x",
						 p->opts[i + 2 + k]);
			return;
		}
		i += p->opts[i + 1] - 1;
	}
	cr_assert_fail("no Fast Open option in the last segment");
}

/* A client on port asks for a cookie; spec gets it. */
static void server_hands_out_cookie(uint16_t port, char *spec, size_t size)
{
	sc->peer_port = port;
	RUN({0, '<', {"S", 0, 0, 0, 0, PEER_SYN ",tfo,nop,nop"}},
	    {0, '>', {"S.", 0, 1, 0, 0, OUR_SYNACK ",tfo *,nop,nop"}},
	    {0, '<', {".", 1, 1, 0, 0, NULL}});
	last_cookie(spec, size);
}

static int send_bytes(struct socket *s, size_t len)
{
	struct iovec iov = {.iov_base = (void *)payload, .iov_len = len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_flags = MSG_DONTWAIT};

	return s->ops->sendmsg(s, &m, len);
}

static int recv_some(struct socket *s, char *buf, size_t len)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};

	return s->ops->recvmsg(s, &m, len, MSG_DONTWAIT);
}

Test(tcp_fastopen, server_data_with_a_valid_cookie_is_accepted_before_the_handshake)
{
	struct socket *l = tfo_listen(5), *n;
	char cookie[64], opts[160], buf[128];

	server_hands_out_cookie(TCPSCRIPT_PEER_PORT, cookie, sizeof(cookie));
	cr_assert_eq(ext()->TCPFastOpenCookieReqd, 1);
	cr_assert_not_null(accept_one(l));
	snprintf(opts, sizeof(opts), PEER_SYN ",%s,nop,nop", cookie);
	sc->peer_port = TCPSCRIPT_PEER_PORT + 1;
	RUN({10, '<', {"S", 0, 0, 50, 0, opts}}, {10, '>', {"S.", 0, 51, 0, 0, OUR_SYNACK}});
	cr_assert_eq(ext()->TCPFastOpenPassive, 1);
	n = accept_one(l);
	cr_assert_not_null(n, "accept() returns the child before the handshake completes");
	cr_assert_eq(n->sk->sk_state, TCP_SYN_RECV);
	cr_assert_eq(recv_some(n, buf, sizeof(buf)), 50);
	cr_assert(buf[0] == 'a' && buf[49] == 'a' + 49 % 26, "the SYN's payload");
	/*
	 * Reading cannot double the window (tcp_cleanup_rbuf): rcv_ssthresh
	 * holds it at the SYN-ACK's, so no update goes. The answer goes before
	 * the handshake completes, as the kernel's does, and acknowledges the data.
	 */
	cr_assert(tcpscript_quiet_until(sc, 10), "%s", sc->err);
	cr_assert_eq(send_bytes(n, 20), 20);
	RUN({10, '>', {"P.", 1, 51, 20, 0, "*"}}, {20, '<', {".", 51, 21, 0, 0, NULL}});
	cr_assert_eq(n->sk->sk_state, TCP_ESTABLISHED);
	cr_assert_eq(tcp_sk(l->sk)->fastopen_qlen, 0);
	cr_assert(tcpscript_quiet_until(sc, 500), "%s", sc->err);
}

Test(tcp_fastopen, server_ignores_data_with_a_bad_cookie_and_sends_a_fresh_one)
{
	struct socket *l = tfo_listen(5);
	char cookie[64], synack[160];

	server_hands_out_cookie(TCPSCRIPT_PEER_PORT, cookie, sizeof(cookie));
	cr_assert_not_null(accept_one(l));
	snprintf(synack, sizeof(synack), OUR_SYNACK ",%s,nop,nop", cookie);
	sc->peer_port = TCPSCRIPT_PEER_PORT + 1;
	RUN({10, '<', {"S", 0, 0, 50, 0, PEER_SYN ",tfo 1111111111111111,nop,nop"}},
	    {10, '>', {"S.", 0, 1, 0, 0, synack}});
	cr_assert_eq(ext()->TCPFastOpenPassiveFail, 1);
	cr_assert_eq(ext()->TCPFastOpenPassive, 0);
	cr_assert_null(accept_one(l), "no connection until the handshake completes");
}

/* TCP_FASTOPEN's queue length: past it, a valid cookie's SYN is a plain one. */
Test(tcp_fastopen, server_queue_length_limits_fast_open_children)
{
	struct socket *l = tfo_listen(1);
	char cookie[64], opts[160];

	server_hands_out_cookie(TCPSCRIPT_PEER_PORT, cookie, sizeof(cookie));
	snprintf(opts, sizeof(opts), PEER_SYN ",%s,nop,nop", cookie);
	sc->peer_port = TCPSCRIPT_PEER_PORT + 1;
	RUN({10, '<', {"S", 0, 0, 50, 0, opts}}, {10, '>', {"S.", 0, 51, 0, 0, OUR_SYNACK}});
	sc->peer_port = TCPSCRIPT_PEER_PORT + 2;
	RUN({11, '<', {"S", 0, 0, 50, 0, opts}}, {11, '>', {"S.", 0, 1, 0, 0, OUR_SYNACK}});
	cr_assert_eq(ext()->TCPFastOpenListenOverflow, 1);
	cr_assert_eq(ext()->TCPFastOpenPassive, 1);
	cr_assert_eq(l->sk->sk_ack_backlog, 2, "the first client and the Fast Open child");
}

/*
 * A SYN with 50 bytes from port at at_ms (no cookie needed) and its SYN-ACK,
 * which acknowledges the data when it makes a Fast Open child; the stack's
 * ISN for the flow in *isn.
 */
static void syn_with_data(uint16_t port, uint64_t at_ms, bool fast_open, uint32_t *isn)
{
	sc->peer_port = port;
	RUN({at_ms, '<', {"S", 0, 0, 50, 0, "mss 1460"}},
	    {at_ms, '>', {"S.", 0, fast_open ? 51 : 1, 0, 0, "mss 1460"}});
	if (isn)
		*isn = sc->stack_isn;
}

/* The handshake's ACK of the flow from port, whose SYN carried 50 bytes. */
static void ack_synack(uint16_t port, uint64_t at_ms, uint32_t isn)
{
	sc->peer_port = port;
	sc->stack_isn = isn;
	RUN({at_ms, '<', {".", 51, 1, 0, 0, NULL}});
}

/*
 * The queue counts a child until its handshake's ACK, accepted or not (the
 * kernel's request sock outlives accept(): reqsk_fastopen_remove at the
 * ACK). With a queue of 1: the first child accepted before its ACK still
 * fills it, so a second SYN's data is ignored; once the first child's ACK
 * comes, a third SYN is Fast Open again.
 */
Test(tcp_fastopen, server_queue_counts_an_accepted_child_until_its_ack)
{
	struct socket *l, *n;
	uint32_t isn;

	stack_sysctl()->tcp_fastopen |= TFO_SERVER_COOKIE_NOT_REQD;
	l = tfo_listen(1);
	syn_with_data(TCPSCRIPT_PEER_PORT, 10, true, &isn);
	n = accept_one(l);
	cr_assert_not_null(n);
	cr_assert_eq(n->sk->sk_state, TCP_SYN_RECV);
	cr_assert_eq(tcp_sk(l->sk)->fastopen_qlen, 1, "accept() leaves the request counted");
	syn_with_data(TCPSCRIPT_PEER_PORT + 1, 20, false, NULL);
	cr_assert_eq(ext()->TCPFastOpenListenOverflow, 1);
	cr_assert_eq(ext()->TCPFastOpenPassive, 1);
	ack_synack(TCPSCRIPT_PEER_PORT, 30, isn);
	cr_assert_eq(n->sk->sk_state, TCP_ESTABLISHED);
	cr_assert_eq(tcp_sk(l->sk)->fastopen_qlen, 0, "the handshake's ACK ends the request");
	syn_with_data(TCPSCRIPT_PEER_PORT + 2, 40, true, NULL);
	cr_assert_eq(ext()->TCPFastOpenPassive, 2);
	cr_assert_eq(ext()->TCPFastOpenListenOverflow, 1);
}

static int listener_wakes;

static void count_wake(struct sock *sk)
{
	(void)sk;
	listener_wakes++;
}

/*
 * The SYN that makes a Fast Open child wakes its listener (tcp_conn_request
 * queues it for accept at once); its handshake's ACK does not, queued or
 * not: the kernel takes that ACK on the full socket, past tcp_child_process.
 */
Test(tcp_fastopen, fast_open_child_wakes_its_listener_at_the_syn_only)
{
	struct socket *l, *n;
	uint32_t isn;

	stack_sysctl()->tcp_fastopen |= TFO_SERVER_COOKIE_NOT_REQD;
	l = tfo_listen(1);
	listener_wakes = 0;
	l->sk->sk_data_ready = count_wake;
	syn_with_data(TCPSCRIPT_PEER_PORT, 10, true, &isn);
	cr_assert_eq(listener_wakes, 1);
	ack_synack(TCPSCRIPT_PEER_PORT, 20, isn);
	cr_assert_eq(listener_wakes, 1, "the ACK of a queued child wakes no one");
	n = accept_one(l);
	cr_assert_not_null(n);
	cr_assert_eq(n->sk->sk_state, TCP_ESTABLISHED);
}

/* A SYN without data makes a request: the ACK that makes its child wakes the listener once. */
Test(tcp_fastopen, plain_child_wakes_its_listener_once_at_its_ack)
{
	struct socket *l;

	l = tfo_listen(1);
	listener_wakes = 0;
	l->sk->sk_data_ready = count_wake;
	RUN({10, '<', {"S", 0, 0, 0, 0, "mss 1460"}}, {10, '>', {"S.", 0, 1, 0, 0, "mss 1460"}});
	cr_assert_eq(listener_wakes, 0);
	RUN({20, '<', {".", 1, 1, 0, 0, NULL}});
	cr_assert_eq(listener_wakes, 1);
	cr_assert_not_null(accept_one(l));
}

/*
 * An accepted child that dies before its ACK (the peer's RST) leaves its
 * place held in the count (rskq_rst), and a listener that closes lets go of
 * that place and of the children it still counts (their ACK then counts
 * against nothing).
 */
Test(tcp_fastopen, server_queue_lets_go_of_a_dead_child_and_a_closed_listener)
{
	struct socket *l, *n, *m;
	uint32_t isn;

	stack_sysctl()->tcp_fastopen |= TFO_SERVER_COOKIE_NOT_REQD;
	l = tfo_listen(2);
	syn_with_data(TCPSCRIPT_PEER_PORT, 10, true, NULL);
	n = accept_one(l);
	cr_assert_not_null(n);
	syn_with_data(TCPSCRIPT_PEER_PORT + 1, 20, true, &isn);
	m = accept_one(l);
	cr_assert_not_null(m);
	cr_assert_eq(tcp_sk(l->sk)->fastopen_qlen, 2);
	sc->peer_port = TCPSCRIPT_PEER_PORT;
	RUN({30, '<', {"R", 51, 0, 0, 0, NULL}});
	cr_assert_eq(n->sk->sk_state, TCP_CLOSE);
	cr_assert_eq(tcp_sk(l->sk)->fastopen_qlen, 2, "the reset child's place is held");
	l->ops->release(l);
	l->sk = NULL;
	ack_synack(TCPSCRIPT_PEER_PORT + 1, 40, isn);
	cr_assert_eq(m->sk->sk_state, TCP_ESTABLISHED);
	cr_assert_null(tcp_sk(m->sk)->fastopen_listener);
}

/* The peer's RST ends the plain request from port (the SYN's data was ignored). */
static void reset_request(uint16_t port, uint64_t at_ms)
{
	sc->peer_port = port;
	RUN({at_ms, '<', {"R", 1, 0, 0, 0, NULL}});
}

/*
 * An accepted child the peer resets before its handshake's ACK keeps its
 * place in the count for a minute (reqsk_fastopen_remove puts its request
 * on rskq_rst with 60*HZ): with a queue of 1, a SYN's data is ignored
 * (TCPFastOpenListenOverflow) until then, and the first SYN after it frees
 * the place and is Fast Open again (tcp_fastopen_queue_check).
 */
Test(tcp_fastopen, server_holds_a_reset_accepted_childs_place_a_minute)
{
	struct socket *l, *n;

	stack_sysctl()->tcp_fastopen |= TFO_SERVER_COOKIE_NOT_REQD;
	l = tfo_listen(1);
	syn_with_data(TCPSCRIPT_PEER_PORT, 10, true, NULL);
	n = accept_one(l);
	cr_assert_not_null(n);
	RUN({20, '<', {"R", 51, 0, 0, 0, NULL}});
	cr_assert_eq(n->sk->sk_state, TCP_CLOSE);
	cr_assert_eq(tcp_sk(l->sk)->fastopen_qlen, 1, "the place is held, not freed");
	syn_with_data(TCPSCRIPT_PEER_PORT + 1, 30, false, NULL);
	reset_request(TCPSCRIPT_PEER_PORT + 1, 31);
	cr_assert_eq(ext()->TCPFastOpenListenOverflow, 1);
	syn_with_data(TCPSCRIPT_PEER_PORT + 2, 20 + 60000 - 1, false, NULL);
	reset_request(TCPSCRIPT_PEER_PORT + 2, 20 + 60000 - 1);
	cr_assert_eq(ext()->TCPFastOpenListenOverflow, 2, "held until the minute is over");
	syn_with_data(TCPSCRIPT_PEER_PORT + 3, 20 + 60000, true, NULL);
	cr_assert_eq(ext()->TCPFastOpenListenOverflow, 2);
	cr_assert_eq(ext()->TCPFastOpenPassive, 2);
	cr_assert_eq(tcp_sk(l->sk)->fastopen_qlen, 1, "the new child's place, the held one gone");
}

/* A child reset before accept() frees its place at once: its request goes with it. */
Test(tcp_fastopen, server_frees_a_reset_queued_childs_place_at_once)
{
	struct socket *l;

	stack_sysctl()->tcp_fastopen |= TFO_SERVER_COOKIE_NOT_REQD;
	l = tfo_listen(1);
	syn_with_data(TCPSCRIPT_PEER_PORT, 10, true, NULL);
	RUN({20, '<', {"R", 51, 0, 0, 0, NULL}});
	cr_assert_eq(tcp_sk(l->sk)->fastopen_qlen, 0);
	syn_with_data(TCPSCRIPT_PEER_PORT + 1, 30, true, NULL);
	cr_assert_eq(ext()->TCPFastOpenPassive, 2);
	cr_assert_eq(ext()->TCPFastOpenListenOverflow, 0);
}

/* Without the server bit a cookie request gets a plain SYN-ACK. */
Test(tcp_fastopen, server_bit_off_answers_without_a_cookie)
{
	stack_sysctl()->tcp_fastopen = TFO_CLIENT_ENABLE;
	tfo_listen(5);
	RUN({0, '<', {"S", 0, 0, 10, 0, PEER_SYN ",tfo,nop,nop"}},
	    {0, '>', {"S.", 0, 1, 0, 0, OUR_SYNACK}});
	cr_assert_eq(ext()->TCPFastOpenCookieReqd, 1);
}

/*
 * The key: net.ipv4.tcp_fastopen_key's words are the little-endian bytes of
 * the key TCP_FASTOPEN_KEY takes raw, so both give the same cookie, which
 * getsockopt returns the socket's own key only.
 */
Test(tcp_fastopen, sysctl_key_and_socket_key_give_the_same_cookie)
{
	static const uint8_t raw[16] = {0x04, 0x03, 0x02, 0x01, 0x08, 0x07, 0x06, 0x05,
					0x0c, 0x0b, 0x0a, 0x09, 0x10, 0x0f, 0x0e, 0x0d};
	char from_sysctl[64], from_sockopt[64];
	uint8_t back[32];
	int len = sizeof(back);
	struct socket *l;

	strcpy(stack_sysctl()->tcp_fastopen_key, "01020304-05060708-090a0b0c-0d0e0f10");
	l = tfo_listen(5);
	cr_assert_eq(l->ops->getsockopt(l, SOL_TCP, TCP_FASTOPEN_KEY, back, &len), 0);
	cr_assert_eq(len, 0, "no key of its own yet");
	server_hands_out_cookie(TCPSCRIPT_PEER_PORT, from_sysctl, sizeof(from_sysctl));
	strcpy(stack_sysctl()->tcp_fastopen_key, "0a0a0a0a-0a0a0a0a-0a0a0a0a-0a0a0a0a");
	cr_assert_eq(l->ops->setsockopt(l, SOL_TCP, TCP_FASTOPEN_KEY, raw, 15), -EINVAL);
	cr_assert_eq(l->ops->setsockopt(l, SOL_TCP, TCP_FASTOPEN_KEY, raw, sizeof(raw)), 0);
	len = sizeof(back);
	cr_assert_eq(l->ops->getsockopt(l, SOL_TCP, TCP_FASTOPEN_KEY, back, &len), 0);
	cr_assert_eq(len, 16);
	cr_assert_arr_eq(back, raw, 16);
	server_hands_out_cookie(TCPSCRIPT_PEER_PORT + 1, from_sockopt, sizeof(from_sockopt));
	cr_assert_str_eq(from_sysctl, from_sockopt);
}

/* ---- a Fast Open child in SYN_RECV (tcp_check_req with fastopen) ---- */

/*
 * A child made at t = 10 ms from a SYN with 50 bytes and no cookie
 * (TFO_SERVER_COOKIE_NOT_REQD), its SYN-ACK acknowledging them; accept()
 * returns it before the handshake completes.
 */
static struct socket *fastopen_child(const char *syn_opts, const char *synack_opts)
{
	struct socket *l, *n;

	stack_sysctl()->tcp_fastopen |= TFO_SERVER_COOKIE_NOT_REQD;
	l = tfo_listen(5);
	RUN({10, '<', {"S", 0, 0, 50, 0, syn_opts}}, {10, '>', {"S.", 0, 51, 0, 0, synack_opts}});
	cr_assert_eq(ext()->TCPFastOpenPassive, 1);
	n = accept_one(l);
	cr_assert_not_null(n);
	cr_assert(tcp_passive_fastopen(n->sk));
	return n;
}

/*
 * Its SYN again gets the SYN-ACK again, not an RFC 5961 challenge ACK; the
 * retransmit timer keeps its time (1 s after the first SYN-ACK: only a
 * request sock's restarts), and a third SYN within 500 ms gets nothing.
 */
Test(tcp_fastopen, fast_open_child_answers_its_syn_again_with_the_synack)
{
	struct socket *n = fastopen_child("mss 1460", "mss 1460");

	RUN({100, '<', {"S", 0, 0, 50, 0, "mss 1460"}}, {100, '>', {"S.", 0, 51, 0, 0, "mss 1460"}},
	    {300, '<', {"S", 0, 0, 50, 0, "mss 1460"}});
	cr_assert(tcpscript_quiet_until(sc, 1009), "%s", sc->err);
	RUN({1010, '>', {"S.", 0, 51, 0, 0, "mss 1460"}});
	cr_assert_eq(ext()->TCPSYNChallenge, 0);
	cr_assert_eq(ext()->TCPACKSkippedSynRecv, 1);
	cr_assert_eq(n->sk->sk_state, TCP_SYN_RECV);
}

/*
 * A segment beyond the window: an ACK and nothing more, once per
 * tcp_invalid_ratelimit under the request sock's counter
 * (TCPACKSkippedSynRecv, not the established TCPACKSkippedSeq).
 */
Test(tcp_fastopen, fast_open_child_acks_an_out_of_window_segment_once_per_limit)
{
	struct socket *n = fastopen_child("mss 1460", "mss 1460");

	RUN({20, '<', {".", 200051, 1, 0, 0, NULL}}, {20, '>', {".", 1, 51, 0, 0, NULL}},
	    {30, '<', {".", 200051, 1, 0, 0, NULL}});
	cr_assert(tcpscript_quiet_until(sc, 40), "%s", sc->err);
	cr_assert_eq(ext()->TCPACKSkippedSynRecv, 1);
	cr_assert_eq(ext()->TCPACKSkippedSeq, 0);
	cr_assert_eq(n->sk->sk_state, TCP_SYN_RECV);
	RUN({40, '<', {".", 51, 1, 0, 0, NULL}});
	cr_assert_eq(n->sk->sk_state, TCP_ESTABLISHED);
}

/*
 * A RST anywhere in the window resets the child (not only at rcv_nxt, and
 * no challenge ACK): its reader gets ECONNRESET. AttemptFails counts it
 * twice, as the kernel's tcp_check_req and tcp_done both do; it is no
 * request sock, so no EmbryonicRsts.
 */
Test(tcp_fastopen, rst_in_the_window_resets_a_fast_open_child)
{
	struct socket *n = fastopen_child("mss 1460", "mss 1460");
	char buf[64];

	cr_assert_eq(recv_some(n, buf, sizeof(buf)), 50);
	RUN({20, '<', {"R", 151, 0, 0, 0, NULL}});
	cr_assert(tcpscript_quiet_until(sc, 100), "%s", sc->err);
	cr_assert_eq(n->sk->sk_state, TCP_CLOSE);
	cr_assert_eq(recv_some(n, buf, sizeof(buf)), -ECONNRESET);
	cr_assert_eq(sc->ts->net[0].mib.tcp.AttemptFails, 2);
	cr_assert_eq(ext()->EmbryonicRsts, 0);
}

/*
 * A new SYN in the window gets a RST, but the child lives on (the kernel
 * does not let a guessed SYN reset a connection that may have sent data);
 * its handshake's ACK completes it afterwards.
 */
Test(tcp_fastopen, new_syn_in_the_window_leaves_a_fast_open_child)
{
	struct socket *n = fastopen_child("mss 1460", "mss 1460");
	uint32_t zero = 0u - sc->stack_isn; /* a RST to a segment without ACK has sequence 0 */

	RUN({20, '<', {"S", 151, 0, 0, 0, "mss 1460"}}, {20, '>', {"R.", zero, 152, 0, 0, NULL}});
	cr_assert_eq(n->sk->sk_state, TCP_SYN_RECV);
	cr_assert_eq(ext()->TCPSYNChallenge, 0);
	cr_assert_eq(ext()->EmbryonicRsts, 0);
	cr_assert_eq(sc->ts->net[0].mib.tcp.AttemptFails, 1);
	RUN({30, '<', {".", 51, 1, 0, 0, NULL}});
	cr_assert_eq(n->sk->sk_state, TCP_ESTABLISHED);
}

/*
 * An echo of a TSval no SYN-ACK carried is not the request sock's to
 * judge here (TSEcrRejected is for plain children): the ACK completes the
 * handshake.
 */
Test(tcp_fastopen, fast_open_child_takes_an_ack_echoing_any_tsval)
{
	struct socket *n = fastopen_child(PEER_SYN, OUR_SYNACK);
	char opts[64];

	snprintf(opts, sizeof(opts), "nop,nop,TS val 701 ecr %u", tcpscript_now_ms(sc) + 1000);
	RUN({20, '<', {".", 51, 1, 0, 0, opts}});
	cr_assert_eq(ext()->TSEcrRejected, 0);
	cr_assert_eq(n->sk->sk_state, TCP_ESTABLISHED);
}

/*
 * Shut for writing (or closed) before its handshake's ACK, a Fast Open
 * child is in FIN_WAIT1 with its request still attached (the kernel's
 * fastopen_rsk): tcp_check_req still judges its segments, so its SYN
 * again gets the SYN-ACK, not an RFC 5961 challenge ACK, and a segment
 * beyond the window within tcp_invalid_ratelimit is skipped under the
 * request's counter (TCPACKSkippedSynRecv, not TCPACKSkippedSeq). The
 * handshake's ACK ends the request: the SYN again is then challenged.
 */
Test(tcp_fastopen, fast_open_child_in_fin_wait1_answers_as_its_request)
{
	struct socket *n = fastopen_child("mss 1460", "mss 1460");

	cr_assert_eq(n->ops->shutdown(n, SHUT_WR), 0);
	RUN({10, '>', {"F.", 1, 51, 0, 0, NULL}});
	cr_assert_eq(n->sk->sk_state, TCP_FIN_WAIT1);
	RUN({100, '<', {"S", 0, 0, 50, 0, "mss 1460"}}, {100, '>', {"S.", 0, 51, 0, 0, "mss 1460"}},
	    {120, '<', {".", 200051, 1, 0, 0, NULL}});
	cr_assert(tcpscript_quiet_until(sc, 700), "%s", sc->err);
	cr_assert_eq(ext()->TCPSYNChallenge, 0);
	cr_assert_eq(ext()->TCPACKSkippedSynRecv, 1);
	cr_assert_eq(ext()->TCPACKSkippedSeq, 0);
	RUN({700, '<', {".", 51, 2, 0, 0, NULL}});
	cr_assert_eq(n->sk->sk_state, TCP_FIN_WAIT2);
	cr_assert_not(tcp_sk(n->sk)->fastopen_passive, "the request outlived the handshake");
	RUN({800, '<', {"S", 0, 0, 50, 0, "mss 1460"}}, {800, '>', {".", 2, 51, 0, 0, NULL}});
	cr_assert_eq(ext()->TCPSYNChallenge, 1);
}

/*
 * Its SYN-ACK's timer goes on by the request's rules in FIN_WAIT1
 * (tcp_fastopen_synack_timer): the SYN-ACK again at each timeout, up to
 * tcp_synack_retries + 1 (the Fast Open child's one more, accepted or
 * not), then the connection ends.
 */
Test(tcp_fastopen, fast_open_child_in_fin_wait1_keeps_the_synack_retry_limit)
{
	struct socket *n;

	stack_sysctl()->tcp_synack_retries = 1;
	n = fastopen_child("mss 1460", "mss 1460");
	cr_assert_eq(n->ops->shutdown(n, SHUT_WR), 0);
	RUN({10, '>', {"F.", 1, 51, 0, 0, NULL}}, {1010, '>', {"S.", 0, 51, 0, 0, "mss 1460"}},
	    {3010, '>', {"S.", 0, 51, 0, 0, "mss 1460"}});
	cr_assert(tcpscript_quiet_until(sc, 7009), "%s", sc->err);
	cr_assert_eq(n->sk->sk_state, TCP_FIN_WAIT1);
	cr_assert(tcpscript_quiet_until(sc, 7011), "%s", sc->err);
	cr_assert_eq(n->sk->sk_state, TCP_CLOSE);
}
