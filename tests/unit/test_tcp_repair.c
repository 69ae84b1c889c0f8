// SPDX-License-Identifier: MIT
/*
 * TCP repair mode between two stacks on the in-memory wire: a connection
 * with unread data and unacknowledged data is dumped in repair mode, its
 * socket closed without a FIN or RST, and restored into a fresh socket that
 * connects with no SYN and carries on: the peer gets the unacknowledged
 * bytes from the restored send queue (by the retransmission timer), the
 * program reads the restored receive queue, then new data both ways. Also
 * the errors of repair mode that need no kernel to compare with (the
 * integration test test_tcp_repair.sh compares them all with the kernel's).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <string.h>

#include "helper_twostack.h"
#include "tcp.h"

#define PORT 5100

static struct twostack *ts;
static struct socket *sk[3]; /* listener (side 1), client (side 0), server (side 1) */
static unsigned int syn_from_0, finrst_from_0;
static bool drop_from_0;

/* Counts side 0's SYNs, FINs and RSTs, and drops what it sends while asked to. */
static int tap(void *arg, int side, const uint8_t *f, unsigned int len)
{
	const uint8_t *ip = f + 14, *th;

	(void)arg;
	if (len < 14 + 20 + 20 || f[12] != 0x08 || f[13] != 0x00 || ip[9] != IPPROTO_TCP ||
	    side != 0)
		return 1;
	th = ip + (ip[0] & 15u) * 4;
	if (th[13] & TCPHDR_SYN)
		syn_from_0++;
	if (th[13] & (TCPHDR_FIN | TCPHDR_RST))
		finrst_from_0++;
	return !drop_from_0;
}

static void setup(void)
{
	ts = twostack_create(NULL);
	cr_assert_not_null(ts);
	for (int i = 0; i < 2; i++) {
		ts->net[i].sysctl.tcp_timestamps = 1;
		ts->net[i].sysctl.tcp_sack = 1;
		ts->net[i].sysctl.tcp_window_scaling = 1;
	}
	mem_link_set_filter(ts->link, tap, NULL);
	syn_from_0 = finrst_from_0 = 0;
	drop_from_0 = false;
	cr_assert_eq(twostack_tcp_pair(ts, PORT, sk), 0);
}

static void teardown(void)
{
	twostack_tcp_pair_release(sk);
	twostack_destroy(ts);
	skb_cache_drain();
}

TestSuite(tcp_repair, .init = setup, .fini = teardown);

static int set_int(struct socket *s, int opt, int val)
{
	return s->ops->setsockopt(s, SOL_TCP, opt, &val, sizeof(val));
}

static int get_int(struct socket *s, int opt, int *val)
{
	int len = sizeof(*val);

	return s->ops->getsockopt(s, SOL_TCP, opt, val, &len);
}

static int ioctl_int(struct socket *s, int cmd)
{
	int v = -1;

	cr_assert_eq(s->ops->ioctl(s, cmd, (unsigned long)&v), 0);
	return v;
}

/* What a dump keeps (soccr's libsoccr_sk_data, in short). */
struct dump {
	uint32_t inq_seq, outq_seq;
	int inq, outq, mss, ts;
	uint8_t rcvq[64], sndq[64];
	struct tcp_repair_window win;
};

static void do_dump(struct socket *s, struct dump *d)
{
	int len = sizeof(d->win), v;

	cr_assert_eq(set_int(s, TCP_REPAIR, TCP_REPAIR_ON), 0);
	d->inq = ioctl_int(s, SIOCINQ);
	d->outq = ioctl_int(s, SIOCOUTQ);
	cr_assert_eq(ioctl_int(s, SIOCOUTQNSD), 0, "everything was sent once");
	cr_assert_eq(set_int(s, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE), 0);
	cr_assert_eq(get_int(s, TCP_QUEUE_SEQ, &v), 0);
	d->outq_seq = (uint32_t)v;
	cr_assert_eq(twostack_recvfrom(s, d->sndq, sizeof(d->sndq), MSG_PEEK, NULL), d->outq);
	cr_assert_eq(set_int(s, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE), 0);
	cr_assert_eq(get_int(s, TCP_QUEUE_SEQ, &v), 0);
	d->inq_seq = (uint32_t)v;
	cr_assert_eq(twostack_recvfrom(s, d->rcvq, sizeof(d->rcvq), MSG_PEEK, NULL), d->inq);
	cr_assert_eq(get_int(s, TCP_MAXSEG, &d->mss), 0);
	cr_assert_eq(get_int(s, TCP_TIMESTAMP, &d->ts), 0);
	cr_assert_eq(s->ops->getsockopt(s, SOL_TCP, TCP_REPAIR_WINDOW, &d->win, &len), 0);
}

/*
 * A fresh socket takes the dumped one's place (soccr's restore): bound to
 * its address, sequence numbers set, connected with no SYN, options,
 * clock, queues and windows set, repair mode off with a window probe.
 */
static struct socket *do_restore(const struct dump *d, const struct sockaddr_in *me,
				 uint8_t snd_wscale, uint8_t rcv_wscale)
{
	struct tcp_repair_opt opts[4] = {
		{TCPOPT_SACK_PERM, 0},
		{TCPOPT_WINDOW, snd_wscale | (uint32_t)rcv_wscale << 16},
		{TCPOPT_TIMESTAMP, 0},
		{TCPOPT_MSS, (uint32_t)d->mss},
	};
	struct sockaddr_in peer = twostack_sin(1, PORT);
	struct socket *n;
	int err, v;

	n = twostack_socket(ts, 0, SOCK_STREAM, IPPROTO_TCP, &err);
	cr_assert_not_null(n);
	cr_assert_eq(set_int(n, TCP_REPAIR, TCP_REPAIR_ON), 0);
	cr_assert_eq(n->ops->bind(n, (const struct sockaddr *)me, sizeof(*me)), 0);
	cr_assert_eq(set_int(n, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE), 0);
	cr_assert_eq(set_int(n, TCP_QUEUE_SEQ, (int)(d->inq_seq - (uint32_t)d->inq)), 0);
	cr_assert_eq(set_int(n, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE), 0);
	cr_assert_eq(set_int(n, TCP_QUEUE_SEQ, (int)(d->outq_seq - (uint32_t)d->outq)), 0);
	/* Not connected yet: nowhere to send, no options to set. */
	cr_assert_eq(twostack_sendto(n, "x", 1, NULL), -EPIPE);
	cr_assert_eq(n->ops->setsockopt(n, SOL_TCP, TCP_REPAIR_OPTIONS, opts, sizeof(opts)),
		     -EPERM);
	cr_assert_eq(n->ops->connect(n, (const struct sockaddr *)&peer, sizeof(peer), 0), 0,
		     "established at once");
	cr_assert_eq(n->sk->sk_state, TCP_ESTABLISHED);
	cr_assert_eq(n->ops->setsockopt(n, SOL_TCP, TCP_REPAIR_OPTIONS, opts, sizeof(opts)), 0);
	cr_assert_eq(set_int(n, TCP_TIMESTAMP, d->ts), 0);
	cr_assert_eq(set_int(n, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE), 0);
	cr_assert_eq(twostack_sendto(n, d->rcvq, (size_t)d->inq, NULL), d->inq);
	cr_assert_eq(set_int(n, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE), 0);
	cr_assert_eq(twostack_sendto(n, d->sndq, (size_t)d->outq, NULL), d->outq);
	cr_assert_eq(n->ops->setsockopt(n, SOL_TCP, TCP_REPAIR_WINDOW, &d->win, sizeof(d->win)), 0);
	/* As dumped: both sequence numbers, both queues' lengths, nothing unsent. */
	cr_assert_eq(get_int(n, TCP_QUEUE_SEQ, &v), 0);
	cr_assert_eq((uint32_t)v, d->outq_seq);
	cr_assert_eq(set_int(n, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE), 0);
	cr_assert_eq(get_int(n, TCP_QUEUE_SEQ, &v), 0);
	cr_assert_eq((uint32_t)v, d->inq_seq);
	cr_assert_eq(ioctl_int(n, SIOCINQ), d->inq);
	cr_assert_eq(ioctl_int(n, SIOCOUTQ), d->outq);
	cr_assert_eq(ioctl_int(n, SIOCOUTQNSD), 0);
	cr_assert_eq(set_int(n, TCP_REPAIR, TCP_REPAIR_OFF), 0);
	return n;
}

Test(tcp_repair, dump_close_silently_restore_and_carry_on)
{
	const struct tcp_sock *tp = tcp_sk(sk[1]->sk);
	uint8_t snd_wscale = tp->rx_opt.snd_wscale, rcv_wscale = tp->rx_opt.rcv_wscale;
	struct sockaddr_in me;
	struct socket *n;
	struct dump d;
	uint8_t buf[64];

	cr_assert_geq(sk[1]->ops->getname(sk[1], (struct sockaddr *)&me, 0), 0);
	/* Unread by the client: "unread"; unacknowledged by the server: "in flight". */
	cr_assert_eq(twostack_sendto(sk[2], "unread", 6, NULL), 6);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	drop_from_0 = true;
	cr_assert_eq(twostack_sendto(sk[1], "in flight", 9, NULL), 9);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);

	do_dump(sk[1], &d);
	cr_assert_eq(d.inq, 6);
	cr_assert_eq(d.outq, 9);
	cr_assert_eq(memcmp(d.rcvq, "unread", 6), 0);
	cr_assert_eq(memcmp(d.sndq, "in flight", 9), 0);
	cr_assert_eq(d.mss, tp->rx_opt.mss_clamp, "TCP_MAXSEG in repair mode is the peer's MSS");
	cr_assert_eq(d.win.snd_wnd, tp->snd_wnd);
	cr_assert_eq(d.win.rcv_wup, tp->rcv_wup);
	cr_assert_eq(sk[1]->ops->setsockopt(sk[1], SOL_TCP, TCP_REPAIR_OPTIONS,
					    &(struct tcp_repair_opt){TCPOPT_SACK_PERM, 0},
					    sizeof(struct tcp_repair_opt)),
		     -EPERM, "it sent already");

	/* Closed in repair mode: no FIN, no RST, and the address is free. */
	sock_release(sk[1]);
	sk[1] = NULL;
	drop_from_0 = false;
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(finrst_from_0, 0);
	cr_assert_eq(sk[2]->sk->sk_state, TCP_ESTABLISHED);

	n = do_restore(&d, &me, snd_wscale, rcv_wscale);
	sk[1] = n;
	/* The retransmission timer sends the restored bytes; the peer never saw a new SYN. */
	twostack_run_for(ts, 3 * NSEC_PER_SEC);
	cr_assert_eq(syn_from_0, 1, "one SYN: the first connect's");
	cr_assert_eq(finrst_from_0, 0);
	cr_assert_eq(twostack_recvfrom(sk[2], buf, sizeof(buf), 0, NULL), 9);
	cr_assert_eq(memcmp(buf, "in flight", 9), 0);
	cr_assert_eq(twostack_recvfrom(n, buf, sizeof(buf), 0, NULL), 6);
	cr_assert_eq(memcmp(buf, "unread", 6), 0);
	cr_assert_eq(twostack_sendto(sk[2], "more", 4, NULL), 4);
	cr_assert_eq(twostack_sendto(n, "back", 4, NULL), 4);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_recvfrom(n, buf, sizeof(buf), 0, NULL), 4);
	cr_assert_eq(memcmp(buf, "more", 4), 0);
	cr_assert_eq(twostack_recvfrom(sk[2], buf, sizeof(buf), 0, NULL), 4);
	cr_assert_eq(memcmp(buf, "back", 4), 0);
}

Test(tcp_repair, errors_in_and_out_of_repair_mode)
{
	struct tcp_repair_window w = {0};
	struct tcp_repair_opt o = {TCPOPT_WINDOW, 15};
	struct socket *c = sk[1];
	uint8_t buf[8];
	int v, len = sizeof(w);

	/* Outside repair mode. */
	cr_assert_eq(set_int(c, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE), -EPERM);
	cr_assert_eq(get_int(c, TCP_REPAIR_QUEUE, &v), -EINVAL);
	cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_REPAIR_WINDOW, &w, &len), -EPERM);
	cr_assert_eq(set_int(c, TCP_TIMESTAMP, 1), -EPERM);
	cr_assert_eq(set_int(sk[0], TCP_REPAIR, TCP_REPAIR_ON), -EPERM, "a listener");
	/* Unprivileged. */
	ts->net[0].current_cred = &(struct cred){0};
	cr_assert_eq(set_int(c, TCP_REPAIR, TCP_REPAIR_ON), -EPERM);
	ts->net[0].current_cred = NULL;

	cr_assert_eq(set_int(c, TCP_REPAIR, TCP_REPAIR_ON), 0);
	cr_assert_eq(get_int(c, TCP_REPAIR_QUEUE, &v), 0);
	cr_assert_eq(v, TCP_NO_QUEUE);
	cr_assert_eq(twostack_recvfrom(c, buf, sizeof(buf), 0, NULL), -EPERM);
	cr_assert_eq(twostack_recvfrom(c, buf, sizeof(buf), MSG_PEEK, NULL), -EINVAL);
	cr_assert_eq(twostack_sendto(c, "x", 1, NULL), -EINVAL);
	cr_assert_eq(get_int(c, TCP_QUEUE_SEQ, &v), -EINVAL);
	cr_assert_eq(set_int(c, TCP_REPAIR_QUEUE, TCP_QUEUES_NR), -EINVAL);
	cr_assert_eq(set_int(c, TCP_QUEUE_SEQ, 1), -EPERM, "not closed");
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_REPAIR_OPTIONS, &o, sizeof(o)), -EFBIG,
		     "nothing sent yet: the options are taken, the scale checked");
	len = 16;
	cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_REPAIR_WINDOW, &w, &len), -EINVAL);
	len = sizeof(w);
	cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_REPAIR_WINDOW, &w, &len), 0);
	w.max_window = w.snd_wnd - 1;
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_REPAIR_WINDOW, &w, sizeof(w)), -EINVAL);
	w.max_window = w.snd_wnd;
	w.rcv_wup = tcp_sk(c->sk)->rcv_nxt + 1;
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_REPAIR_WINDOW, &w, sizeof(w)), -EINVAL);
	cr_assert_eq(set_int(c, TCP_REPAIR, 2), -EINVAL);
	/* Off without a probe: nothing goes. */
	cr_assert_eq(set_int(c, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP), 0);
	cr_assert_eq(get_int(c, TCP_REPAIR, &v), 0);
	cr_assert_eq(v, 0);
}
