/* SPDX-License-Identifier: MIT */
/* A bounded spin with a back-off (spin.h). */
#include "spin.h"

bool spin_take(struct spin_backoff *b)
{
	unsigned int skip = atomic_load_explicit(&b->skip, memory_order_relaxed);

	if (skip)
		atomic_store_explicit(&b->skip, skip - 1, memory_order_relaxed);
	return !skip;
}

void spin_start(struct spin *s, uint64_t now, uint64_t ns)
{
	s->last = now;
	s->until = now + ns;
	s->preempted = false;
}

bool spin_on(struct spin *s, uint64_t now)
{
	if (now - s->last > SPIN_GAP_NS)
		s->preempted = true;
	s->last = now;
	return now < s->until && !s->preempted;
}

void spin_end(struct spin_backoff *b, struct spin *s, bool found)
{
	unsigned int shift = atomic_load_explicit(&b->shift, memory_order_relaxed);

	if (found && !s->preempted)
		shift = 0;
	else if (shift < SPIN_SHIFT_MAX)
		shift++;
	atomic_store_explicit(&b->shift, shift, memory_order_relaxed);
	atomic_store_explicit(&b->skip, (1u << shift) - 1, memory_order_relaxed);
}
