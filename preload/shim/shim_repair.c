// SPDX-License-Identifier: MIT
/*
 * TCP repair mode on the program's side (shim_ctl.h SHIM_SO_REPAIR_*).
 *
 * The pair carries the socket's byte stream, not its queues: a write into
 * it would reach the stack at a time of the host's choosing, after the
 * program may have chosen another queue, and could not fail as the
 * kernel's send does (EPIPE with no queue chosen, ENOMEM from a full
 * receive buffer). So while a stream is in repair mode (SHIM_F_REPAIR,
 * set and cleared by a successful TCP_REPAIR) its sends are requests that
 * the host answers at once, and its reads are peeks: at the send queue a
 * request too, at the receive queue the pair itself, which the host has
 * filled first (what the stack received and the pair holds is the
 * kernel's receive queue).
 */
#include "shim_lib.h"

#include <linux/tcp.h>
#include <signal.h>
#include <string.h>

ssize_t shim_repair_send(int fd, uint64_t e, const struct msghdr *m, int flags)
{
	struct shim_req req = {.hdr = {.op = SHIM_OP_SETSOCKOPT, .id = shim_ent_id(e)},
			       .sockopt = {.level = SOL_SOCKET, .optname = SHIM_SO_REPAIR_SEND}};
	struct shim_rep rep;
	size_t done = 0, i = 0, pos = 0;
	int err;

	/* One request per SHIM_OPT_MAX bytes, until one takes less than it carried. */
	for (;;) {
		uint32_t n = 0;

		while (i < m->msg_iovlen && n < SHIM_OPT_MAX) {
			size_t left = m->msg_iov[i].iov_len - pos, c = SHIM_OPT_MAX - n;

			if (c > left)
				c = left;
			if (shim_copy_from_user(req.sockopt.optval + n,
						(const char *)m->msg_iov[i].iov_base + pos, c))
				return done ? (ssize_t)done : -EFAULT;
			n += (uint32_t)c;
			pos += c;
			if (pos == m->msg_iov[i].iov_len) {
				i++;
				pos = 0;
			}
		}
		if (!n && done)
			return (ssize_t)done;
		req.sockopt.optlen = n;
		err = shim_ctl_call(&req, &rep, NULL, fd);
		if (!err)
			err = rep.hdr.ret;
		if (err < 0) {
			if (done)
				return (ssize_t)done;
			/* sk_stream_error: EPIPE raises SIGPIPE unless told not to. */
			if (err == -EPIPE && !(flags & MSG_NOSIGNAL))
				raise(SIGPIPE);
			return err;
		}
		done += (size_t)err;
		if ((uint32_t)err < n || !n)
			return (ssize_t)done;
	}
}

/* One part of the send queue from off on into r (its whole length in r->total). */
static int shim_repair_peek_part(int fd, uint64_t e, uint32_t off, struct shim_rep *rep)
{
	struct shim_req req = {.hdr = {.op = SHIM_OP_GETSOCKOPT, .id = shim_ent_id(e)},
			       .sockopt = {.level = SOL_SOCKET,
					   .optname = SHIM_SO_REPAIR_PEEK,
					   .optlen = SHIM_OPT_MAX}};
	int err;

	memcpy(req.sockopt.optval, &off, sizeof(off));
	err = shim_ctl_call(&req, rep, NULL, fd);
	if (err)
		return err;
	if (rep->hdr.ret > (int)SHIM_REPAIR_PEEK_MAX)
		return -EPROTO;
	return rep->hdr.ret;
}

ssize_t shim_repair_peek(int fd, uint64_t e, struct msghdr *m, int flags, bool *pair)
{
	const struct shim_repair_peek *p;
	struct shim_rep rep;
	size_t len = 0, copied = 0, i = 0, pos = 0;
	int n;

	*pair = false;
	if (!(flags & MSG_PEEK))
		return -EPERM;
	for (size_t k = 0; k < m->msg_iovlen; k++)
		len += m->msg_iov[k].iov_len;
	p = (const struct shim_repair_peek *)rep.sockopt.optval;
	do {
		n = shim_repair_peek_part(fd, e, (uint32_t)copied, &rep);
		if (n < 0)
			return n;
		if (p->queue == TCP_RECV_QUEUE) {
			*pair = true;
			return 0;
		}
		/* tcp_peek_sndq: what fits, and the whole queue's length as the answer. */
		for (int off = 0; off < n && i < m->msg_iovlen;) {
			size_t c = m->msg_iov[i].iov_len - pos;

			if (c > (size_t)(n - off))
				c = (size_t)(n - off);
			if (shim_copy_to_user((char *)m->msg_iov[i].iov_base + pos, p->data + off,
					      c))
				return -EFAULT;
			off += (int)c;
			pos += c;
			copied += c;
			if (pos == m->msg_iov[i].iov_len) {
				i++;
				pos = 0;
			}
		}
	} while (n > 0 && copied < len && copied < p->total);
	return copied < len ? (ssize_t)copied : (ssize_t)p->total;
}
