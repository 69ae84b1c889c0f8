/* SPDX-License-Identifier: MIT */
/*
 * SOCKSHIM_SPIN_US: the program's own spinning. A poll or epoll_wait with a
 * timeout over a set that holds an emulated socket looks for readiness for
 * up to this long before it sleeps (Onload's EF_SPIN_USEC, the kernel's
 * SO_BUSY_POLL on the receiving thread); a blocking read on a stream does
 * the same in its wait (shim_wait.c). The host reads the request and
 * writes the reply into the pair while the program still runs, so the
 * kernel wakes no sleeper: the reply's process wake-up is saved. The
 * spin backs off (spin.h); the read's wait and poll's share one back-off.
 *
 * What it never changes: a call that finds readiness answers as at once;
 * a zero timeout never spins; the sleeping call after the spin is the
 * kernel's own. A spin runs with the thread's signals blocked, and each of
 * its looks is a call that unblocks the caller's (ppoll's or epoll_pwait's
 * mask): a signal that comes during the spin is then the EINTR of a look,
 * or (epoll_pwait with no timeout says 0 with a signal pending) of the
 * sleep that follows with the same mask, as it would be the sleep's, where
 * between two looks its handler would run and the call go on.
 *
 * What it does not do: spin in select, or on a set whose readiness needs
 * the interposer's corrections (shim_poll.c's slow path); those sleep at
 * once.
 */
#include "shim_lib.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <time.h>

static struct spin_backoff shim_spin_bo;

struct spin_backoff *shim_spin_backoff(void)
{
	return &shim_spin_bo;
}

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
	if (!spin_take(&shim_spin_bo))
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
	spin_end(&shim_spin_bo, s, found);
}

void shim_spin_sigblock(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, old);
}

void shim_spin_sigrestore(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}
