/* SPDX-License-Identifier: MIT */
/*
 * SO_PEEK_OFF on a UDP socket (udp_recvmsg with sk_peek_offset): a
 * MSG_PEEK reads from the offset, counted in payload bytes from the head of
 * the queue, whole datagrams before it skipped, and moves it on by what it
 * returned; a read moves it back as much (never below 0); an empty
 * datagram is peeked once, then skipped (skb->peeked, kept here for the
 * first SHIM_PEEKED_MAX datagrams of the pair).
 *
 * The datagrams sit in the pair, each behind its struct shim_dgram and
 * control messages, so the payload offset is not the pair's. The pair's own
 * SO_PEEK_OFF (unix_dgram_recvmsg skips whole datagrams the same way) is
 * the way to look past its head: the walk sets it to the pair bytes of the
 * datagrams it skips, peeks each header to learn its payload's length, and
 * puts it back to -1 after. Every read of such a socket goes under the
 * socket's lock, in its page (struct shim_sk) as the offset is, shared by
 * every process that holds the socket, so no other thread or process peeks
 * while the pair's offset is moved; a read that has to wait waits without
 * it. The lock is robust: a holder killed inside it leaves it to the next,
 * which puts the pair's offset back first (shim_sk_lock).
 */
#include "shim_lib.h"

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>

#include "net.h" /* RCV_SHUTDOWN */

static long long shim_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static int shim_pair_peek_off(int fd, int off)
{
	return shim_real.setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)) < 0 ? -errno
											: 0;
}

/* The pair's datagram at pair offset at, peeked from within it (skip bytes in). */
static ssize_t shim_pair_peek_at(int fd, int at, void *buf, size_t len, int flags)
{
	int err = shim_pair_peek_off(fd, at);

	if (err)
		return err;
	return shim_real.recv(fd, buf, len, MSG_PEEK | MSG_DONTWAIT | flags) < 0 ? -errno : 0;
}

/* skb->peeked of the idx-th datagram in the pair, as far as the ring reaches. */
static bool shim_peeked(const struct shim_sk *sk, unsigned int idx)
{
	unsigned int b = (sk->peeked_head + idx) % SHIM_PEEKED_MAX;

	return idx < SHIM_PEEKED_MAX && (sk->peeked_empty[b / 64] >> (b % 64) & 1);
}

static void shim_peeked_mark(struct shim_sk *sk, unsigned int idx)
{
	unsigned int b = (sk->peeked_head + idx) % SHIM_PEEKED_MAX;

	if (idx < SHIM_PEEKED_MAX)
		sk->peeked_empty[b / 64] |= 1ull << (b % 64);
}

/* The pair's first datagram was read: the next one is first. */
static void shim_peeked_pop(struct shim_sk *sk)
{
	unsigned int b = sk->peeked_head;

	sk->peeked_empty[b / 64] &= ~(1ull << (b % 64));
	sk->peeked_head = (b + 1) % SHIM_PEEKED_MAX;
}

/* What the walk found: the datagram at the offset and where its payload starts. */
struct shim_peek_spot {
	struct shim_dgram h; /* ctl_len 0 and no address for a bare one */
	size_t hlen;	     /* its header's size: 0 for a bare one (shim_dgram_framed) */
	int at;		     /* its first byte in the pair */
	size_t payload;	     /* its payload's length */
	size_t rem;	     /* the offset left, within that payload */
	unsigned int idx;
};

/*
 * __skb_try_recv_from_queue with an offset: the datagram the offset falls
 * in. -EAGAIN at the end of the queue.
 */
static int shim_peek_walk(int fd, const struct shim_sk *sk, struct shim_peek_spot *s)
{
	size_t rem = (size_t)sk->peek_off;
	unsigned int idx = 0;
	int at = 0, err;
	ssize_t n;

	for (;;) {
		err = shim_pair_peek_off(fd, at);
		if (err)
			return err;
		n = shim_real.recv(fd, &s->h, sizeof(s->h), MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0)
			return -errno;
		if (n == 0)
			return -SHIM_EGONE_RECV;
		if (!shim_dgram_framed(fd, &s->h, n)) {
			s->hlen = 0; /* a bare one: payload alone */
			memset(&s->h, 0, sizeof(s->h));
		} else if (s->h.ctl_len > (size_t)n - sizeof(s->h)) {
			at += (int)n; /* not the host's framing: nothing to count */
			continue;
		} else if (s->h.err) {
			/* An error report: the error was taken first (shim_dgram_take_err) or is
			 * stale. */
			at += (int)n;
			continue;
		} else {
			s->hlen = sizeof(s->h);
		}
		s->payload = (size_t)n - s->hlen - s->h.ctl_len;
		if (rem >= s->payload && (rem || shim_peeked(sk, idx))) {
			rem -= s->payload;
			at += (int)n;
			idx++;
			continue;
		}
		s->at = at;
		s->rem = rem;
		s->idx = idx;
		return 0;
	}
}

/* udp_recvmsg's copy of the datagram found, from its offset; what it returns. */
static ssize_t shim_peek_copy(int fd, uint64_t e, struct shim_sk *sk, struct shim_peek_spot *s,
			      struct msghdr *m, int flags)
{
	uint64_t ctl[SHIM_DGRAM_CTL_MAX / sizeof(uint64_t)];
	size_t len = 0, copied, ulen = s->payload, ctl_len = s->h.ctl_len;
	int64_t stamp = 0;
	ssize_t n = 0;
	bool carried;

	for (size_t i = 0; i < m->msg_iovlen; i++)
		len += m->msg_iov[i].iov_len;
	if (ctl_len > sizeof(ctl))
		ctl_len = 0;
	if (ctl_len) {
		n = shim_pair_peek_at(fd, s->at + (int)s->hlen, ctl, ctl_len, 0);
		if (n < 0)
			return n;
	}
	/* An empty one: nothing to copy, and the pair has no byte there to peek at. */
	if (s->payload > s->rem) {
		struct msghdr lm = {.msg_iov = m->msg_iov, .msg_iovlen = m->msg_iovlen};

		n = shim_pair_peek_off(fd, s->at + (int)(s->hlen + s->h.ctl_len + s->rem));
		if (!n && shim_real.recvmsg(fd, &lm, MSG_PEEK | MSG_DONTWAIT) < 0)
			n = -errno;
		if (n < 0)
			return n;
	} else {
		shim_peeked_mark(sk, s->idx);
	}
	m->msg_flags = flags & MSG_CMSG_CLOEXEC;
	copied = len;
	if (copied > ulen - s->rem)
		copied = ulen - s->rem;
	else if (copied < ulen)
		m->msg_flags |= MSG_TRUNC;
	if (s->h.flags & MSG_TRUNC)
		m->msg_flags |= MSG_TRUNC;
	carried = shim_put_cmsgs(m, ctl, ctl_len, &stamp);
	shim_dgram_read_stamp(fd, e, carried, stamp);
	if (m->msg_name && s->h.addr.sin_family) {
		memcpy(m->msg_name, &s->h.addr, sizeof(s->h.addr));
		m->msg_namelen = sizeof(s->h.addr);
	} else if (m->msg_name && !s->hlen && !shim_dgram_bare_peer(fd, e, m->msg_name)) {
		m->msg_namelen = sizeof(struct sockaddr_in);
	} else {
		m->msg_namelen = 0;
	}
	if (s->h.orig_len > ulen)
		ulen = s->h.orig_len;
	return (ssize_t)((flags & MSG_TRUNC) ? ulen : copied);
}

/*
 * SO_RCVTIMEO, kept on the pair too: what is left of it for a blocking
 * call that began waiting at its first call here (*end 0 then), in ms, -1
 * for no limit.
 */
static int shim_rcvtimeo_left(int fd, long long *end)
{
	struct timeval tv = {0};
	socklen_t len = sizeof(tv);
	long long left;

	if (!*end) {
		if (shim_real.getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO_OLD, &tv, &len) < 0 ||
		    (!tv.tv_sec && !tv.tv_usec))
			*end = -1;
		else
			*end = shim_now_ms() + tv.tv_sec * 1000LL + (tv.tv_usec + 999) / 1000;
	}
	if (*end < 0)
		return -1;
	left = *end - shim_now_ms();
	return left > 0 ? (int)left : 0;
}

/* One walk and copy under the lock; the offset moves on by what it returned. */
static ssize_t shim_peek_off_once(int fd, uint64_t e, struct shim_sk *sk, struct msghdr *m,
				  int flags)
{
	struct shim_peek_spot s;
	ssize_t ret;

	shim_sk_lock(sk, fd);
	if (sk->peek_off < 0) {
		/* Turned off meanwhile: a plain peek (waited for, if at all, without the lock). */
		ret = shim_dgram_recv_head(fd, e, m, flags | MSG_DONTWAIT);
	} else {
		ret = shim_peek_walk(fd, sk, &s);
		if (!ret)
			ret = shim_peek_copy(fd, e, sk, &s, m, flags);
		shim_pair_peek_off(fd, -1);
		/* sk_peek_offset_fwd by udp_recvmsg's result (the whole length with MSG_TRUNC). */
		if (ret >= 0)
			sk->peek_off += (int32_t)ret;
	}
	shim_sk_unlock(sk);
	return ret;
}

/*
 * __skb_wait_for_more_packets ends a wait with 0 once the socket is shut
 * for reading: another thread's shutdown(SHUT_RD) records it in the page
 * before the host's void report wakes the pair, so a waiter that finds
 * nothing to read looks here before it sleeps and again once woken.
 */
static bool shim_off_rd_shut(const struct shim_sk *sk)
{
	return atomic_load_explicit(&sk->shutdown, memory_order_acquire) & RCV_SHUTDOWN;
}

/*
 * MSG_PEEK at the socket's offset. Past the end a blocking call waits for
 * the next datagram (__skb_wait_for_more_packets): an edge-triggered epoll
 * set of its own on the pair wakes at each datagram that arrives (or void
 * report, as a shutdown's), and the walk starts again; the lock is not
 * held while it waits.
 */
static ssize_t shim_peek_off_read(int fd, uint64_t e, struct shim_sk *sk, struct msghdr *m,
				  int flags)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET};
	long long end = 0;
	int ep = -1, n;
	ssize_t ret;

	for (;;) {
		ret = shim_peek_off_once(fd, e, sk, m, flags);
		if (ret != -EAGAIN || (flags & MSG_DONTWAIT) ||
		    (shim_real.fcntl(fd, F_GETFL) & O_NONBLOCK))
			break;
		if (ep < 0) {
			ep = epoll_create1(EPOLL_CLOEXEC);
			if (ep < 0 || shim_real.epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
				ret = -errno;
				break;
			}
			/* The edge ADD reports is for what was there: walk again, then wait. */
			shim_real.epoll_wait(ep, &ev, 1, 0);
			continue;
		}
		if (shim_off_rd_shut(sk)) {
			ret = 0;
			break;
		}
		n = shim_real.epoll_wait(ep, &ev, 1, shim_rcvtimeo_left(fd, &end));
		/* sock_intr_errno: restarted with no SO_RCVTIMEO if the handler says SA_RESTART. */
		if (n < 0 && errno == EINTR && end < 0 && shim_handlers_restart())
			continue;
		if (n <= 0) {
			ret = n < 0 && errno == EINTR ? -EINTR : -EAGAIN;
			break;
		}
	}
	if (ep >= 0)
		shim_real.close(ep);
	return ret;
}

/* A read, or a peek with the offset off, under the lock: the offset and marks follow it. */
static ssize_t shim_recv_off_once(int fd, uint64_t e, struct shim_sk *sk, struct msghdr *m,
				  int flags)
{
	ssize_t ret;

	shim_sk_lock(sk, fd);
	ret = shim_dgram_recv_head(fd, e, m, flags | MSG_DONTWAIT);
	if (ret >= 0 && !(flags & MSG_PEEK)) {
		/* sk_peek_offset_bwd: the datagram read goes, and the offset with it. */
		if (sk->peek_off >= 0)
			sk->peek_off = sk->peek_off > ret ? sk->peek_off - (int32_t)ret : 0;
		shim_peeked_pop(sk);
	} else if (ret == 0 && (flags & MSG_PEEK)) {
		/* A plain peek of an empty datagram marks it as the kernel's. */
		shim_peeked_mark(sk, 0);
	}
	shim_sk_unlock(sk);
	return ret;
}

/*
 * Every read of such a socket goes under the lock, but none waits there: a
 * blocking one that finds nothing waits on the pair without it (SO_RCVTIMEO
 * the deadline) and tries again, so a thread waiting on one socket holds
 * up no other.
 */
ssize_t shim_dgram_recv_off(int fd, uint64_t e, struct shim_sk *sk, struct msghdr *m, int flags)
{
	long long end = 0;
	struct pollfd p;
	ssize_t ret;
	int n;

	if ((flags & MSG_PEEK) && sk->peek_off >= 0)
		return shim_peek_off_read(fd, e, sk, m, flags);
	for (;;) {
		ret = shim_recv_off_once(fd, e, sk, m, flags);
		if (ret != -EAGAIN || (flags & MSG_DONTWAIT) ||
		    (shim_real.fcntl(fd, F_GETFL) & O_NONBLOCK))
			return ret;
		if (shim_off_rd_shut(sk))
			return 0;
		p = (struct pollfd){.fd = fd, .events = POLLIN};
		n = shim_real.poll(&p, 1, shim_rcvtimeo_left(fd, &end));
		if (n < 0 && errno == EINTR && end < 0 && shim_handlers_restart())
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EAGAIN;
	}
}
