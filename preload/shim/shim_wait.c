/* SPDX-License-Identifier: MIT */
/*
 * The wait of a blocking read on a stream: read, recv and recvmsg first
 * read the pair with MSG_DONTWAIT, and only when it is empty wait here
 * for it to become readable, then read again without waiting.
 *
 * Why not the kernel's blocking read on the pair: it sleeps in
 * unix_stream_data_wait, on the socket's wait queue with a wait that takes
 * every wake-up (prepare_to_wait), and the host's read of the program's
 * request frees its skb, whose destructor (sock_wfree, unix_write_space)
 * wakes that queue: the program wakes, finds nothing and sleeps again, a
 * wake-up per round trip that the kernel's TCP does not make
 * (sk_stream_write_space wakes writers only after SOCK_NOSPACE). ppoll
 * asking POLLIN is a keyed wait: unix_write_space's EPOLLOUT passes it by.
 * The price: three more system calls (fcntl, getsockopt, the read again)
 * on a read that has to wait, none on one that finds data.
 *
 * What the kernel's call would answer, this answers: a non-blocking file
 * EAGAIN at once; SO_RCVTIMEO (kept on the pair) the deadline, EAGAIN
 * after it; a signal whose handler runs EINTR, or the wait goes on where
 * sock_intr_errno restarts the call (no SO_RCVTIMEO, SA_RESTART; which
 * signal came is not known here, so only if every handler installed has
 * SA_RESTART, as for accept: shim_handlers_restart). Data, the end of the
 * stream or an error make the pair readable, and the read again says
 * which. Not the kernel's: a blocking read whose fd another thread closes
 * goes on in the kernel on the file the close left open, and reads what
 * comes; here ppoll sees the fd gone at the socket's next event (POLLNVAL)
 * and the read answers EBADF.
 *
 * SOCKSHIM_SPIN_US: first look for data without sleeping for up to that
 * long (within SO_RCVTIMEO), with the thread's signals blocked and each look
 * a ppoll that unblocks them, so that a signal that comes during the spin
 * interrupts it as it would the sleep: its handler runs and the same EINTR
 * or restart follows.
 */
#include "shim_lib.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <time.h>

static int64_t shim_wait_clock(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* After ppoll said EINTR (the handler ran): whether the kernel's read would go on waiting. */
static bool shim_wait_restarts(const struct shim_wait *w)
{
	return w->end < 0 && shim_handlers_restart();
}

/*
 * After the wait: another thread may have closed the fd (ppoll's POLLNVAL)
 * and the number may name another file now, which the read again must
 * not take from; close() forgets the socket before it closes.
 */
static int shim_wait_same(int fd, const struct shim_wait *w)
{
	uint64_t e = shim_fd_get(fd);

	return shim_emulated(e) && shim_ent_id(e) == w->id ? 0 : -EBADF;
}

/* What is left of SO_RCVTIMEO as ppoll's timeout (0 once it is over); NULL: no limit. */
static struct timespec *shim_wait_left(const struct shim_wait *w, struct timespec *ts)
{
	int64_t left;

	if (w->end < 0)
		return NULL;
	left = w->end - shim_wait_clock();
	if (left < 0)
		left = 0;
	*ts = (struct timespec){left / 1000000000, left % 1000000000};
	return ts;
}

/* The spin's time: SOCKSHIM_SPIN_US, within SO_RCVTIMEO; 0 if this wait does not spin. */
static uint64_t shim_wait_spin_ns(int64_t end, int64_t now)
{
	uint64_t ns = (uint64_t)shim_cfg.spin_us * 1000u;

	if (!ns || !spin_take(shim_spin_backoff()))
		return 0;
	if (end > 0 && (uint64_t)(end - now) < ns)
		ns = end > now ? (uint64_t)(end - now) : 1;
	return ns;
}

/*
 * The first wait of a call: the file's mode and SO_RCVTIMEO, then the spin
 * (signals blocked, each look and the first sleep unblocking them) and the
 * sleep; > 0 readable, else the answer.
 */
static int shim_wait_first(struct pollfd *p, struct shim_wait *w)
{
	struct timespec zero = {0}, ts;
	struct timeval tv = {0};
	socklen_t len = sizeof(tv);
	int fl = shim_real.fcntl(p->fd, F_GETFL), n;
	int64_t now = shim_wait_clock();
	uint64_t ns;
	sigset_t old;
	struct spin s;

	if (fl >= 0 && (fl & O_NONBLOCK))
		return -EAGAIN;
	w->end = -1;
	if (!shim_real.getsockopt(p->fd, SOL_SOCKET, SO_RCVTIMEO_OLD, &tv, &len) &&
	    (tv.tv_sec || tv.tv_usec))
		w->end = now + (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
	ns = shim_wait_spin_ns(w->end, now);
	if (!ns)
		return 0;
	shim_spin_sigblock(&old);
	spin_start(&s, (uint64_t)now, ns);
	while (!(n = shim_real.ppoll(p, 1, &zero, &old)) &&
	       spin_on(&s, (uint64_t)shim_wait_clock()))
		;
	spin_end(shim_spin_backoff(), &s, n > 0);
	if (!n) {
		n = shim_real.ppoll(p, 1, shim_wait_left(w, &ts), &old);
		if (!n)
			n = -EAGAIN;
		else if (n < 0)
			n = -errno;
	} else if (n < 0) {
		n = -errno;
	}
	shim_spin_sigrestore(&old);
	return n;
}

int shim_stream_wait(int fd, struct shim_wait *w)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	struct timespec ts, *tsp;
	int n;

	if (!w->end) {
		n = shim_wait_first(&p, w);
		if (n > 0)
			return shim_wait_same(fd, w);
		if (n < 0 && (n != -EINTR || !shim_wait_restarts(w)))
			return n;
	}
	for (;;) {
		tsp = shim_wait_left(w, &ts);
		if (tsp && !tsp->tv_sec && !tsp->tv_nsec)
			return -EAGAIN;
		n = shim_real.ppoll(&p, 1, tsp, NULL);
		if (n > 0)
			return shim_wait_same(fd, w);
		if (n == 0)
			return -EAGAIN;
		if (errno != EINTR || !shim_wait_restarts(w))
			return -errno;
	}
}
