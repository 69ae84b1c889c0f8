// SPDX-License-Identifier: MIT
/*
 * Pluggable congestion control (net/ipv4/tcp_cong.c): the list of
 * algorithms, the per-socket choice and Reno (RFC 5681), which the kernel
 * builds in and every other one falls back to.
 *
 * Choice, as the kernel's: a new socket takes net.ipv4.tcp_congestion_control
 * of its namespace (read at creation); TCP_CONGESTION changes it to any
 * algorithm listed in tcp_allowed_congestion_control, or to any the stack
 * has for a caller with CAP_NET_ADMIN. The stack has "reno", "cubic" and
 * "bbr" (tcp_bbr.c). When the namespace's default is an algorithm it lacks,
 * a new socket gets cubic: the kernel's built-in default, as the
 * kernel falls back to its built-in when the configured module cannot be
 * had. TCP_CONGESTION with a name the stack lacks fails with ENOENT, as the
 * kernel's for a module it cannot load.
 */
#include <errno.h>
#include <string.h>

#include "net_namespace.h"
#include "tcp.h"

/*
 * The kernel registers reno first, so its available list reads "reno cubic
 * bbr" where bbr is a module (a kernel with bbr built in may list it
 * before cubic).
 */
static const struct tcp_congestion_ops *const tcp_cong_list[] = {&tcp_reno, &tcp_cubic, &tcp_bbr};

static const struct tcp_congestion_ops *tcp_ca_find(const char *name)
{
	for (size_t i = 0; i < sizeof(tcp_cong_list) / sizeof(tcp_cong_list[0]); i++)
		if (!strcmp(tcp_cong_list[i]->name, name))
			return tcp_cong_list[i];
	return NULL;
}

/* name is a word of the space-separated list (tcp_allowed_congestion_control). */
static bool tcp_ca_in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; (p = strstr(p, name)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

/* A new socket's algorithm (tcp_assign_congestion_control); init runs at established. */
void tcp_assign_congestion_control(struct sock *sk)
{
	const struct tcp_congestion_ops *ca =
		tcp_ca_find(sock_net(sk)->sysctl.tcp_congestion_control);

	tcp_sk(sk)->ca_ops = ca ? ca : &tcp_cubic;
	memset(tcp_sk(sk)->ca_priv, 0, sizeof(tcp_sk(sk)->ca_priv));
}

void tcp_init_congestion_control(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->ca_ops->init)
		tp->ca_ops->init(sk);
}

void tcp_cleanup_congestion_control(struct sock *sk)
{
	memset(tcp_sk(sk)->ca_priv, 0, sizeof(tcp_sk(sk)->ca_priv));
}

/*
 * TCP_CONGESTION (tcp_set_congestion_control): ENOENT for an algorithm the
 * stack lacks, EPERM for one not in tcp_allowed_congestion_control unless
 * the caller has CAP_NET_ADMIN. An established connection starts the new
 * algorithm from its current window.
 */
int tcp_set_congestion_control(struct sock *sk, const char *name, bool cap_net_admin)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct tcp_congestion_ops *ca = tcp_ca_find(name);

	tcp_sysctl_refresh(&sock_net(sk)->sysctl, TCP_SYSCTL_CONG);
	if (!ca)
		return -ENOENT;
	if (ca == tp->ca_ops)
		return 0;
	if (!cap_net_admin &&
	    !tcp_ca_in_list(sock_net(sk)->sysctl.tcp_allowed_congestion_control, ca->name))
		return -EPERM;
	tcp_cleanup_congestion_control(sk);
	tp->ca_ops = ca;
	tp->ca_setsockopt = true;
	if (sk->sk_state != TCP_CLOSE && sk->sk_state != TCP_LISTEN && sk->sk_state != TCP_SYN_SENT)
		tcp_init_congestion_control(sk);
	return 0;
}

void tcp_set_ca_state(struct sock *sk, uint8_t ca_state)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->ca_ops->set_state)
		tp->ca_ops->set_state(sk, ca_state);
	tp->cong.ca_state = ca_state;
}

void tcp_ca_event(struct sock *sk, enum tcp_ca_event ev)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->ca_ops->cwnd_event)
		tp->ca_ops->cwnd_event(sk, ev);
}

uint32_t tcp_ca_ssthresh(struct sock *sk)
{
	return tcp_sk(sk)->ca_ops->ssthresh(sk);
}

/*
 * Was the window the limit before this ACK (tcp_is_cwnd_limited)? It was
 * if TSO deferral last held a frame back for it; in slow start, using half
 * of it is enough to grow, as the kernel's 2 * max in flight.
 */
bool tcp_is_cwnd_limited(const struct sock *sk)
{
	const struct tcp_cong *c = &tcp_sk(sk)->cong;

	if (c->is_cwnd_limited)
		return true;
	if (tcp_in_slow_start(tcp_sk(sk)))
		return c->snd_cwnd < 2 * c->prior_in_flight;
	return c->prior_in_flight >= c->snd_cwnd;
}

void tcp_cong_avoid(struct sock *sk, uint32_t acked, uint32_t prior_in_flight)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->cong.prior_in_flight = prior_in_flight;
	if (tp->ca_ops->cong_avoid) /* a CC with cong_control has none */
		tp->ca_ops->cong_avoid(sk, tp->snd_una, acked);
}

/*
 * The end of every acceptable ACK (tcp_cong_control): an algorithm with
 * cong_control (BBR) sets the window and the pacing rate from the rate
 * sample, then what it lets go is retransmitted; the others had their
 * window set by cong_avoid or PRR, and get a pacing rate from it.
 */
void tcp_cong_control(struct sock *sk, const struct rate_sample *rs)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->ca_ops->cong_control) {
		tp->ca_ops->cong_control(sk, rs);
		if (tp->lost_out > tp->retrans_out)
			tcp_xmit_retransmit_queue(sk);
		return;
	}
	tcp_update_pacing_rate(sk);
}

/* Slow start (RFC 5681 3.1, tcp_slow_start): returns the ACKed segments left over. */
uint32_t tcp_slow_start(struct tcp_sock *tp, uint32_t acked)
{
	struct tcp_cong *c = &tp->cong;
	uint32_t cwnd = c->snd_cwnd + acked;

	if (cwnd > c->snd_ssthresh)
		cwnd = c->snd_ssthresh;
	acked -= cwnd - c->snd_cwnd;
	c->snd_cwnd = cwnd < c->snd_cwnd_clamp ? cwnd : c->snd_cwnd_clamp;
	return acked;
}

/* Additive increase: one segment per w ACKed (tcp_cong_avoid_ai). */
void tcp_cong_avoid_ai(struct tcp_sock *tp, uint32_t w, uint32_t acked)
{
	struct tcp_cong *c = &tp->cong;

	if (c->snd_cwnd_cnt >= w) {
		c->snd_cwnd_cnt = 0;
		c->snd_cwnd++;
	}
	c->snd_cwnd_cnt += acked;
	if (c->snd_cwnd_cnt >= w) {
		uint32_t delta = c->snd_cwnd_cnt / w;

		c->snd_cwnd_cnt -= delta * w;
		c->snd_cwnd += delta;
	}
	if (c->snd_cwnd > c->snd_cwnd_clamp)
		c->snd_cwnd = c->snd_cwnd_clamp;
}

void tcp_reno_cong_avoid(struct sock *sk, uint32_t ack, uint32_t acked)
{
	struct tcp_sock *tp = tcp_sk(sk);

	(void)ack;
	if (!tcp_is_cwnd_limited(sk))
		return;
	if (tcp_in_slow_start(tp)) {
		acked = tcp_slow_start(tp, acked);
		if (!acked)
			return;
	}
	tcp_cong_avoid_ai(tp, tp->cong.snd_cwnd, acked);
}

/* Multiplicative decrease: half the window (RFC 5681 (4)). */
uint32_t tcp_reno_ssthresh(struct sock *sk)
{
	uint32_t half = tcp_sk(sk)->cong.snd_cwnd >> 1;

	return half > 2 ? half : 2;
}

uint32_t tcp_reno_undo_cwnd(struct sock *sk)
{
	const struct tcp_cong *c = &tcp_sk(sk)->cong;

	return c->snd_cwnd > c->prior_cwnd ? c->snd_cwnd : c->prior_cwnd;
}

/* Reno has no get_info: TCP_CC_INFO answers with zero bytes, as the kernel's. */
const struct tcp_congestion_ops tcp_reno = {
	.name = "reno",
	.ssthresh = tcp_reno_ssthresh,
	.cong_avoid = tcp_reno_cong_avoid,
	.undo_cwnd = tcp_reno_undo_cwnd,
};
