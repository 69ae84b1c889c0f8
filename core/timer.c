// SPDX-License-Identifier: MIT
/*
 * Timers on the stack clock: a binary min-heap of timer_list pointers keyed
 * on expires. Each timer remembers its heap slot, so re-arming and cancelling
 * are O(log n) sifts instead of searches. The heap grows by doubling when a
 * timer is armed and never shrinks (its size is bounded by the number of
 * timers that exist). Nothing here reads a clock: now is an argument.
 */
#include "timer.h"

#include <stdlib.h>

void timer_base_init(struct timer_base *base)
{
	base->heap = NULL;
	base->len = 0;
	base->cap = 0;
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
	t->function = fn;
	t->heap_idx = -1;
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

		if (base->heap[parent]->expires <= t->expires)
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
		if (c + 1 < base->len && base->heap[c + 1]->expires < base->heap[c]->expires)
			c++;
		if (t->expires <= base->heap[c]->expires)
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

	if (was_pending) {
		uint32_t i = (uint32_t)t->heap_idx;

		t->expires = expires;
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
	/* A timer may re-arm itself or others; each pass takes the current minimum. */
	while (base->len && base->heap[0]->expires <= now) {
		struct timer_list *t = base->heap[0];

		heap_remove(base, 0);
		t->function(t);
	}
}

uint64_t timer_next(const struct timer_base *base)
{
	return base->len ? base->heap[0]->expires : UINT64_MAX;
}
