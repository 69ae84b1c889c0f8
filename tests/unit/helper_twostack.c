// SPDX-License-Identifier: MIT
/*
 * Two stacks joined by link_mem, driven on a virtual clock (see the header).
 */
#include "helper_twostack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>

#include "inet.h"

const uint8_t twostack_mac[2][6] = {
	{0x02, 0x00, 0x00, 0x00, 0x00, 0x01},
	{0x02, 0x00, 0x00, 0x00, 0x00, 0x02},
};

uint32_t twostack_addr(int side)
{
	return htonl(0x0a000001u + (uint32_t)side);
}

struct sockaddr_in twostack_sin(int side, uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};

	sin.sin_addr.s_addr = twostack_addr(side);
	return sin;
}

static void twostack_set_time(struct twostack *ts, uint64_t now)
{
	ts->now = now;
	net_set_time(&ts->net[0], now);
	net_set_time(&ts->net[1], now);
}

struct twostack *twostack_create(const struct mem_link_impair *imp)
{
	struct twostack *ts = calloc(1, sizeof(*ts));

	if (!ts)
		return NULL;
	inet_init();
	ts->link = mem_link_create(imp);
	if (!ts->link) {
		free(ts);
		return NULL;
	}
	ts->now = TWOSTACK_T0;
	for (int i = 0; i < 2; i++) {
		ts->dev[i] = mem_link_dev(ts->link, i, twostack_mac[i]);
		if (net_init(&ts->net[i], ts->dev[i], twostack_addr(i), htonl(0xffffff00u), 0,
			     twostack_mac[i], ts->now)) {
			if (i)
				net_exit(&ts->net[0]);
			mem_link_destroy(ts->link);
			free(ts);
			return NULL;
		}
	}
	return ts;
}

void twostack_destroy(struct twostack *ts)
{
	if (!ts)
		return;
	net_exit(&ts->net[0]);
	net_exit(&ts->net[1]);
	mem_link_destroy(ts->link);
	free(ts);
	skb_cache_drain();
}

int twostack_step(struct twostack *ts)
{
	int n;

	twostack_set_time(ts, ts->now);
	n = mem_link_deliver(ts->link, ts->now);
	net_run_timers(&ts->net[0]);
	net_run_timers(&ts->net[1]);
	return n;
}

static uint64_t twostack_next(const struct twostack *ts)
{
	uint64_t next = mem_link_next(ts->link);
	uint64_t t0 = net_next_timer(&ts->net[0]), t1 = net_next_timer(&ts->net[1]);

	if (t0 < next)
		next = t0;
	if (t1 < next)
		next = t1;
	return next;
}

void twostack_run_until(struct twostack *ts, uint64_t deadline_ns)
{
	/* A bound on events per call so that a timer re-arming at "now" fails loudly. */
	for (unsigned long guard = 0; guard < 10000000ul; guard++) {
		uint64_t next;

		twostack_step(ts);
		next = twostack_next(ts);
		if (next > deadline_ns)
			break;
		if (next > ts->now)
			twostack_set_time(ts, next);
	}
	if (deadline_ns > ts->now)
		twostack_set_time(ts, deadline_ns);
	twostack_step(ts);
}

void twostack_run_for(struct twostack *ts, uint64_t ns)
{
	twostack_run_until(ts, ts->now + ns);
}

void twostack_run_idle(struct twostack *ts)
{
	uint64_t limit = ts->now + 3600 * NSEC_PER_SEC;
	uint64_t next;

	while ((next = twostack_next(ts)) != UINT64_MAX && next <= limit)
		twostack_run_until(ts, next);
}

struct socket *twostack_socket(struct twostack *ts, int side, int type, int protocol, int *err)
{
	struct socket *sock = NULL;
	int e = __sock_create(&ts->net[side], AF_INET, type, protocol, &sock, 1);

	if (err)
		*err = e;
	return e ? NULL : sock;
}

int twostack_bind(struct socket *sock, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};

	sin.sin_addr.s_addr = addr;
	return sock->ops->bind(sock, (struct sockaddr *)&sin, sizeof(sin));
}

int twostack_connect(struct socket *sock, const struct sockaddr_in *to)
{
	return sock->ops->connect(sock, (const struct sockaddr *)to, sizeof(*to), O_NONBLOCK);
}

int twostack_tcp_pair(struct twostack *ts, uint16_t port, struct socket *sk[3])
{
	struct sockaddr_in a = twostack_sin(1, port);
	int err = 0;

	sk[1] = sk[2] = NULL;
	sk[0] = twostack_socket(ts, 1, SOCK_STREAM, IPPROTO_TCP, &err);
	if (!sk[0])
		return err;
	sk[1] = twostack_socket(ts, 0, SOCK_STREAM, IPPROTO_TCP, &err);
	sk[2] = calloc(1, sizeof(*sk[2]));
	if (!sk[1] || !sk[2])
		goto fail;
	if ((err = sk[0]->ops->bind(sk[0], (struct sockaddr *)&a, sizeof(a))) ||
	    (err = sk[0]->ops->listen(sk[0], 4)))
		goto fail;
	err = twostack_connect(sk[1], &a);
	if (err != -EINPROGRESS)
		goto fail;
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	err = sk[0]->ops->accept(sk[0], sk[2], O_NONBLOCK, true);
	if (!err)
		return 0;
fail:
	free(sk[2]);
	sk[2] = NULL;
	twostack_tcp_pair_release(sk);
	return err ? err : -ENOMEM;
}

void twostack_tcp_pair_release(struct socket *sk[3])
{
	for (int i = 0; i < 3; i++) {
		if (sk[i])
			sock_release(sk[i]);
		sk[i] = NULL;
	}
}

int twostack_sendto(struct socket *sock, const void *buf, size_t len, const struct sockaddr_in *to)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {
		.msg_name = (void *)to,
		.msg_namelen = to ? sizeof(*to) : 0,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_flags = MSG_DONTWAIT,
	};

	return sock->ops->sendmsg(sock, &msg, len);
}

int twostack_recvfrom(struct socket *sock, void *buf, size_t len, int flags,
		      struct sockaddr_in *from)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr msg = {
		.msg_name = from,
		.msg_namelen = from ? sizeof(*from) : 0,
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};

	return sock->ops->recvmsg(sock, &msg, len, flags | MSG_DONTWAIT);
}

int twostack_frames_in_flight(const struct twostack *ts)
{
	return mem_link_next(ts->link) != UINT64_MAX;
}
