// SPDX-License-Identifier: MIT
/*
 * Timers on the stack clock: a binary min-heap of timer_list pointers keyed
 * on expires. Each timer remembers its heap slot, so re-arming and cancelling
 * are O(log n) sifts instead of searches. The heap grows by doubling when a
 * timer is armed and never shrinks (its size is bounded by the number of
 * timers that exist). Nothing here reads a clock: now is an argument.
 *
 * The heap is keyed on (expires, seq), seq counting armings: equal expiry
 * times fire in the order they were armed, and a run can tell the timers it
 * started with from those armed while it ran.
 */
#include "timer.h"

#include <stdlib.h>

void timer_base_init(struct timer_base *base)
{
	base->heap = NULL;
	base->len = 0;
	base->cap = 0;
	base->seq = 0;
	base->running = false;
	base->run_now = base->run_cur = 0;
}

void timer_base_exit(struct timer_base *base)
{
	for (uint32_t i = 0; i < base->len; i++)
		base->heap[i]->heap_idx = -1;
	free(base->heap);
	timer_base_init(base);
}

void timer_setup(struct timer_list *t, void (*fn)(struct timer_list *))
{
	t->expires = 0;
	t->seq = 0;
	t->function = fn;
	t->heap_idx = -1;
}

static bool timer_before(const struct timer_list *a, const struct timer_list *b)
{
	return a->expires < b->expires || (a->expires == b->expires && a->seq < b->seq);
}

static void heap_set(struct timer_base *base, uint32_t i, struct timer_list *t)
{
	base->heap[i] = t;
	t->heap_idx = (int32_t)i;
}

static void sift_up(struct timer_base *base, uint32_t i)
{
	struct timer_list *t = base->heap[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (!timer_before(t, base->heap[parent]))
			break;
		heap_set(base, i, base->heap[parent]);
		i = parent;
	}
	heap_set(base, i, t);
}

static void sift_down(struct timer_base *base, uint32_t i)
{
	struct timer_list *t = base->heap[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= base->len)
			break;
		if (c + 1 < base->len && timer_before(base->heap[c + 1], base->heap[c]))
			c++;
		if (!timer_before(base->heap[c], t))
			break;
		heap_set(base, i, base->heap[c]);
		i = c;
	}
	heap_set(base, i, t);
}

static void heap_remove(struct timer_base *base, uint32_t i)
{
	struct timer_list *last = base->heap[--base->len];

	base->heap[i]->heap_idx = -1;
	if (i == base->len)
		return;
	heap_set(base, i, last);
	sift_up(base, i);
	sift_down(base, (uint32_t)last->heap_idx);
}

bool mod_timer(struct timer_base *base, struct timer_list *t, uint64_t expires)
{
	bool was_pending = timer_pending(t);

	/*
	 * Armed by a running timer for no later than that timer's own time:
	 * due at the run's time, behind every timer the run started with
	 * (newer seq), which is where timer_run stops.
	 */
	if (base->running && expires <= base->run_cur)
		expires = base->run_now;
	if (was_pending) {
		uint32_t i = (uint32_t)t->heap_idx;

		t->expires = expires;
		t->seq = base->seq++;
		sift_up(base, i);
		sift_down(base, (uint32_t)t->heap_idx);
		return true;
	}
	if (base->len == base->cap) {
		uint32_t cap = base->cap ? base->cap * 2 : 64;
		struct timer_list **h = realloc(base->heap, cap * sizeof(*h));

		/*
		 * Out of memory: the timer cannot be armed. Firing it at once
		 * is never wrong for the stack's timers (retransmit, expiry),
		 * merely early, whereas losing it would hang a connection.
		 */
		if (!h) {
			t->function(t);
			return false;
		}
		base->heap = h;
		base->cap = cap;
	}
	t->expires = expires;
	t->seq = base->seq++;
	base->heap[base->len] = t;
	t->heap_idx = (int32_t)base->len++;
	sift_up(base, base->len - 1);
	return false;
}

bool del_timer(struct timer_base *base, struct timer_list *t)
{
	if (!timer_pending(t))
		return false;
	heap_remove(base, (uint32_t)t->heap_idx);
	return true;
}

void timer_run(struct timer_base *base, uint64_t now)
{
	uint64_t start = base->seq;

	/*
	 * A timer may re-arm itself or others; each pass takes the current
	 * minimum. A timer armed during this run that is due exactly now
	 * sorts after every timer of the run's start due now, and after all
	 * due earlier: meeting one at the top means only such timers are
	 * left, and they wait for the next run.
	 */
	base->running = true;
	base->run_now = now;
	while (base->len && base->heap[0]->expires <= now) {
		struct timer_list *t = base->heap[0];

		if (t->expires == now && t->seq >= start)
			break;
		heap_remove(base, 0);
		base->run_cur = t->expires;
		t->function(t);
	}
	base->running = false;
}

uint64_t timer_next(const struct timer_base *base)
{
	return base->len ? base->heap[0]->expires : UINT64_MAX;
}
