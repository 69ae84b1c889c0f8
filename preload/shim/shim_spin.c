/* SPDX-License-Identifier: MIT */
/*
 * SOCKSHIM_SPIN_US: the program's own spinning. A read, recv or recvmsg on
 * a blocking emulated stream, and a poll or epoll_wait with a timeout over
 * a set that holds an emulated socket, look for readiness for up to this
 * long before they sleep (Onload's EF_SPIN_USEC, the kernel's SO_BUSY_POLL
 * on the receiving thread). The host reads the request and writes the
 * reply into the pair while the program still runs, so the kernel wakes no
 * sleeper: two process wake-ups less per round trip, the reply's and the
 * one the host's read of the request makes (unix_write_space wakes the
 * reader's wait queue too; README, Measured: Ping-pong). The spin backs off
 * (spin.h).
 *
 * What it never changes: a call that finds data or an error answers as at
 * once; a non-blocking socket or MSG_DONTWAIT never spins (EAGAIN at once);
 * the sleeping call after the spin is the kernel's own, so SO_RCVTIMEO,
 * EINTR and SA_RESTART are the kernel's. A signal that comes during the
 * spin runs its handler and the call goes on, as for a signal that comes
 * just before a call; a read may wait up to the spin (at most 1 ms) longer
 * than its SO_RCVTIMEO, which the kernel rounds to jiffies anyway.
 *
 * What it does not do: spin in select, readv, reads with MSG_WAITALL, or on
 * a set whose readiness needs the interposer's corrections (shim_poll.c's
 * slow path); those sleep at once.
 */
#include "shim_lib.h"

#include <fcntl.h>
#include <poll.h>
#include <time.h>

static struct spin_backoff shim_spin_backoff;

static uint64_t shim_spin_clock(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

bool shim_spin_begin(struct spin *s, const struct timespec *limit)
{
	uint64_t ns = (uint64_t)shim_cfg.spin_us * 1000u, lim;

	if (!ns || (limit && !limit->tv_sec && !limit->tv_nsec))
		return false; /* off, or the caller asked not to wait */
	if (!spin_take(&shim_spin_backoff))
		return false;
	if (limit) {
		lim = (uint64_t)limit->tv_sec * 1000000000ull + (uint64_t)limit->tv_nsec;
		if (limit->tv_sec < 1 && lim < ns)
			ns = lim;
	}
	spin_start(s, shim_spin_clock(), ns);
	return true;
}

bool shim_spin_on(struct spin *s)
{
	return spin_on(s, shim_spin_clock());
}

void shim_spin_end(struct spin *s, bool found)
{
	spin_end(&shim_spin_backoff, s, found);
}

int shim_spin_flags(int flags)
{
	if (!shim_cfg.spin_us || (flags & (MSG_DONTWAIT | MSG_WAITALL)) ||
	    !spin_take(&shim_spin_backoff))
		return flags;
	return flags | MSG_DONTWAIT;
}

/*
 * After the first try found nothing: a non-blocking fd answers its EAGAIN
 * (false); a blocking one spins until the pair is readable or the time is
 * up, then makes the kernel's call (true). The fd's flags are read here,
 * not remembered: another process sharing the file may change them.
 */
bool shim_spin_in(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	struct spin s;
	int fl, n;

	fl = shim_real.fcntl(fd, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK))
		return false;
	spin_start(&s, shim_spin_clock(), (uint64_t)shim_cfg.spin_us * 1000u);
	while (!(n = shim_real.poll(&p, 1, 0)) && shim_spin_on(&s))
		;
	shim_spin_end(&s, n != 0);
	return true;
}
