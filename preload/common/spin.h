/* SPDX-License-Identifier: MIT */
/*
 * A bounded spin with a back-off, shared by the program's waits
 * (SOCKSHIM_SPIN_US, shim_spin.c) and the stack host's
 * (SOCKSHIM_BUSY_POLL_US, stackd.c): look for work without sleeping until
 * the spin's end, on a clock the caller reads.
 *
 * The back-off: a spin that found nothing makes the next ones rarer, one
 * wait in 2, 4, ... 2^SPIN_SHIFT_MAX, so a side whose work comes later than
 * the spin pays for it on few waits; a spin that finds work brings it back
 * to every wait. A spin that lost its core (the clock jumped by SPIN_GAP_NS
 * between two looks: another task needed the core) stops there and counts
 * as one that found nothing: on a loaded 2-core machine the core a spinner
 * holds is the one the peer, the host or the program waits for, and while
 * the load lasts most spins lose it, so the back-off soon reaches its
 * longest.
 *
 * Threads may share one back-off: a lost update only moves a spin by one
 * wait.
 */
#ifndef SOCKSHIM_SPIN_H
#define SOCKSHIM_SPIN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define SPIN_SHIFT_MAX 8
#define SPIN_GAP_NS    20000u

struct spin_backoff {
	_Atomic unsigned int skip;  /* waits still to sleep at once */
	_Atomic unsigned int shift; /* the back-off now: one wait in 2^shift spins */
};

struct spin {
	uint64_t until, last; /* ns on the caller's clock; until 0: not spinning */
	bool preempted;
};

/* Whether this wait spins (counts it against the back-off). */
bool spin_take(struct spin_backoff *b);
void spin_start(struct spin *s, uint64_t now, uint64_t ns);
/* After a look that found nothing: whether to look again. */
bool spin_on(struct spin *s, uint64_t now);
/* The spin is over: found says whether its last look found work. */
void spin_end(struct spin_backoff *b, struct spin *s, bool found);

#endif
