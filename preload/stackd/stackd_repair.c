// SPDX-License-Identifier: MIT
/*
 * A stream in TCP repair mode, the host's side (shim_ctl.h SHIM_SO_REPAIR_*,
 * the interposer's shim_repair.c). The kernel's receive queue is, here, the
 * bytes in the pair the program has not read and those the stack holds
 * behind them; its send queue is the stack's write queue, which the pair's
 * bytes join at every request (stackd_stream_sync) and so before TCP_REPAIR
 * turns on. In repair mode the program's sends and send-queue peeks come as
 * requests instead, so that the queue TCP_REPAIR_QUEUE chose takes them at
 * that moment and their errors are the kernel's.
 */
#include <errno.h>
#include <string.h>

#include "shim_ctl.h"
#include "stackd.h"
#include "tcp.h"

bool stackd_stream_repairing(const struct stackd_sock *ss)
{
	return ss->stream && ss->sock && !ss->listening && tcp_sk(ss->sock->sk)->repair;
}

/* Whatever the stack received goes into the pair now, as far as it holds it. */
static void stackd_repair_deliver(struct stackd_sock *ss)
{
	bool more = true;

	while (more) {
		more = false;
		stackd_stream_out(ss, &more);
	}
}

int stackd_repair_send(struct stackd_sock *ss, const struct shim_sockopt *o)
{
	struct iovec iov = {.iov_base = (void *)o->optval, .iov_len = o->optlen};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_flags = MSG_DONTWAIT};
	int r;

	if (!ss->stream || !ss->sock || ss->listening || o->optlen > SHIM_OPT_MAX)
		return -EINVAL;
	r = ss->sock->ops->sendmsg(ss->sock, &msg, o->optlen);
	/* Nothing to send is no error on TCP (the core's sendmsg says EAGAIN for no room). */
	if (r == -EAGAIN && !o->optlen)
		r = 0;
	stackd_repair_deliver(ss);
	return r;
}

int stackd_repair_peek(struct stackd_sock *ss, const struct shim_sockopt *o, struct shim_rep *rep)
{
	struct shim_repair_peek p = {.queue = TCP_RECV_QUEUE};
	struct tcp_sock *tp;
	uint32_t off, n = 0;

	if (!ss->stream || !ss->sock || ss->listening || o->optlen < sizeof(off))
		return -EINVAL;
	memcpy(&off, o->optval, sizeof(off));
	tp = tcp_sk(ss->sock->sk);
	if (tp->repair && tp->repair_queue == TCP_NO_QUEUE)
		return -EINVAL;
	if (tp->repair && tp->repair_queue == TCP_SEND_QUEUE) {
		p.queue = TCP_SEND_QUEUE;
		n = tcp_repair_sndq_copy(ss->sock->sk, off, rep->sockopt.optval + sizeof(p),
					 SHIM_REPAIR_PEEK_MAX, &p.total);
	} else {
		stackd_repair_deliver(ss); /* the program peeks the pair */
	}
	memcpy(rep->sockopt.optval, &p, sizeof(p));
	rep->sockopt.optlen = (uint32_t)sizeof(p) + n;
	return (int)n;
}
