/* SPDX-License-Identifier: MIT */
/*
 * The wait of a blocking read on a stream where the program spins
 * (SOCKSHIM_SPIN_US): read, recv and recvmsg first read the pair with
 * MSG_DONTWAIT, and only when it is empty wait here: a spin that looks for
 * data without sleeping for up to SOCKSHIM_SPIN_US (within SO_RCVTIMEO),
 * then a ppoll sleep for POLLIN (for the rest of SO_RCVTIMEO, so that the
 * spin counts against it), then a read that does not wait.
 *
 * The spin runs with the thread's signals blocked, each look and the
 * sleep a ppoll that unblocks them, so that a signal that comes during the
 * spin interrupts it as it would the sleep: its handler runs, then EINTR,
 * or the wait goes on where sock_intr_errno restarts the call (no
 * SO_RCVTIMEO, SA_RESTART; which signal came is not known here, so only if
 * every handler installed has SA_RESTART, as for accept:
 * shim_handlers_restart). A non-blocking file answers EAGAIN at once. A
 * wait that does not spin (the back-off, spin.h) sleeps in the kernel's
 * read.
 *
 * The ppoll sleep is also a keyed wait: the host's read of the program's
 * request frees its skb in the pair, which wakes the pair's writers
 * (sock_wfree, unix_write_space) and with them the kernel's read of the
 * pair, asleep in unix_stream_data_wait with a wait that takes every
 * wake-up (prepare_to_wait), but not a ppoll for POLLIN. Without the spin
 * the kernel's read stays all the same: a ppoll sleep for every blocking
 * read halved the program's wake-ups but measured slower here (README,
 * Measured: Ping-pong).
 */
#include "shim_lib.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <time.h>

int64_t shim_wait_clock(void)
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

/* The spin's time: SOCKSHIM_SPIN_US, within SO_RCVTIMEO. */
static uint64_t shim_wait_spin_ns(int64_t end, int64_t now)
{
	uint64_t ns = (uint64_t)shim_cfg.spin_us * 1000u;

	if (end > 0 && (uint64_t)(end - now) < ns)
		ns = end > now ? (uint64_t)(end - now) : 1;
	return ns;
}

/*
 * The first wait of a call: the back-off first, which costs no system
 * call (a wait it skips is the kernel's read, which also answers a
 * non-blocking file's EAGAIN), then the file's mode (kept as
 * SHIM_F_NONBLOCK, so that a non-blocking file's next reads make the
 * kernel's call at once) and SO_RCVTIMEO, then the spin (signals blocked,
 * each look unblocking them) and the sleep for the rest of SO_RCVTIMEO,
 * or without limit (unblocking them too, so that a signal between the
 * last look and the sleep is the sleep's); > 0 readable, 0 this wait does
 * not spin (the kernel's read is to sleep), else the answer.
 */
static int shim_wait_first(struct pollfd *p, struct shim_wait *w)
{
	struct timespec zero = {0}, ts;
	struct timeval tv = {0};
	socklen_t len = sizeof(tv);
	int64_t now;
	uint64_t ns;
	sigset_t old;
	struct spin s;
	int fl, n;

	if (!spin_take(shim_spin_backoff()))
		return 0;
	fl = shim_real.fcntl(p->fd, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK)) {
		shim_fd_nonblock(p->fd, shim_fd_get(p->fd), true);
		return -EAGAIN;
	}
	now = shim_wait_clock();
	w->end = -1;
	if (!shim_real.getsockopt(p->fd, SOL_SOCKET, SO_RCVTIMEO_OLD, &tv, &len) &&
	    (tv.tv_sec || tv.tv_usec))
		w->end = now + (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
	ns = shim_wait_spin_ns(w->end, now);
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

/*
 * A blocking read that does not spin sleeps in the kernel's AF_UNIX read
 * on the pair, with the pair's SO_RCVTIMEO. unix_stream_data_wait sleeps
 * in whole jiffies and returns what is left; a wake-up in the last jiffy
 * leaves none and ends the read with EAGAIN up to a jiffy before its time.
 * The pair's end has wake-ups a TCP socket has not (sk_write_space when
 * the host takes its bytes), so tcp_recvmsg, which sleeps the same way,
 * does not meet it. After such an EAGAIN on a blocking file: whether
 * SO_RCVTIMEO's time from t0 (the read's start) is still to come, w->end
 * then its end, so that shim_stream_wait sleeps in ppoll for the rest.
 * errno stays EAGAIN where not.
 */
bool shim_stream_early(int fd, int64_t t0, struct shim_wait *w)
{
	struct timeval tv = {0};
	socklen_t len = sizeof(tv);
	int fl = shim_real.fcntl(fd, F_GETFL);

	if (fl >= 0 && (fl & O_NONBLOCK))
		shim_fd_nonblock(fd, shim_fd_get(fd), true);
	else if (fl >= 0 && !shim_real.getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO_OLD, &tv, &len) &&
		 (tv.tv_sec || tv.tv_usec))
		w->end = t0 + (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
	errno = EAGAIN;
	return w->end > 0 && shim_wait_clock() < w->end;
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
		/* Not spun, or restarted after a handler: the kernel's read sleeps. */
		if (!n || (n == -EINTR && shim_wait_restarts(w)))
			return 1;
		return n;
	}
	/* Found readable, but another reader was first. */
	if (w->end < 0)
		return 1;
	/* Within SO_RCVTIMEO: a signal is EINTR, never a restart (sock_intr_errno). */
	tsp = shim_wait_left(w, &ts);
	if (!tsp->tv_sec && !tsp->tv_nsec)
		return -EAGAIN;
	n = shim_real.ppoll(&p, 1, tsp, NULL);
	if (n > 0)
		return shim_wait_same(fd, w);
	return n == 0 ? -EAGAIN : -errno;
}
