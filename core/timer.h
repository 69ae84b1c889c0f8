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
	void (*function)(struct timer_list *t);
	int32_t heap_idx; /* -1 when not pending */
};

struct timer_base {
	struct timer_list **heap;
	uint32_t len, cap;
};

#define NSEC_PER_USEC 1000ull
#define NSEC_PER_MSEC 1000000ull
#define NSEC_PER_SEC  1000000000ull

void timer_base_init(struct timer_base *base);
void timer_base_exit(struct timer_base *base);
void timer_setup(struct timer_list *t, void (*fn)(struct timer_list *));
/* Arms or re-arms t to fire at expires; returns whether it was pending. */
bool mod_timer(struct timer_base *base, struct timer_list *t, uint64_t expires);
/* Cancels t; returns whether it was pending. */
bool del_timer(struct timer_base *base, struct timer_list *t);
static inline bool timer_pending(const struct timer_list *t)
{
	return t->heap_idx >= 0;
}
/* Runs every timer with expires <= now, earliest first. */
void timer_run(struct timer_base *base, uint64_t now);
uint64_t timer_next(const struct timer_base *base);

#define from_timer(var, timer_ptr, field) container_of(timer_ptr, __typeof__(*var), field)

#endif
