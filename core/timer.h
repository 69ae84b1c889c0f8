/* SPDX-License-Identifier: MIT */
/*
 * Timers driven by the stack clock (net->now), kernel names: timer_setup,
 * mod_timer, del_timer, timer_pending. A binary min-heap keyed on expiry;
 * arming, re-arming and cancelling are O(log n) and allocate nothing.
 */
#ifndef SOCKSHIM_TIMER_H
#define SOCKSHIM_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct timer_list {
	uint64_t expires; /* ns, absolute, stack clock */
	uint64_t seq;	  /* base->seq when armed: orders equal expiries, bounds a run */
	void (*function)(struct timer_list *t);
	int32_t heap_idx; /* -1 when not pending */
};

struct timer_base {
	struct timer_list **heap;
	uint32_t len, cap;
	uint64_t seq; /* counts armings */
	/* While timer_run runs: its time, and the expiry of the timer it is running. */
	bool running;
	uint64_t run_now, run_cur;
};

#define NSEC_PER_USEC 1000ull
#define NSEC_PER_MSEC 1000000ull
#define NSEC_PER_SEC  1000000000ull

void timer_base_init(struct timer_base *base);
void timer_base_exit(struct timer_base *base);
void timer_setup(struct timer_list *t, void (*fn)(struct timer_list *));
/*
 * Arms or re-arms t to fire at expires; returns whether it was pending.
 * From inside a timer function, a time not later than the running timer's
 * own expiry (no time has passed for it) means the next run: see timer_run.
 */
bool mod_timer(struct timer_base *base, struct timer_list *t, uint64_t expires);
/* Cancels t; returns whether it was pending. */
bool del_timer(struct timer_base *base, struct timer_list *t);
static inline bool timer_pending(const struct timer_list *t)
{
	return t->heap_idx >= 0;
}
/*
 * Runs the timers due at now, earliest first. A timer armed from inside the
 * run fires in it only if it is due later than the timer that armed it; one
 * armed for the same time or earlier (re-arming itself "now", the loopback
 * path feeding itself) waits for the next run, as a kernel timer armed for
 * the current jiffy from a timer fires on the next tick. So a run always
 * ends, and the owner's loop serves its other events between runs.
 */
void timer_run(struct timer_base *base, uint64_t now);
uint64_t timer_next(const struct timer_base *base);

#define from_timer(var, timer_ptr, field) container_of(timer_ptr, __typeof__(*var), field)

#endif
