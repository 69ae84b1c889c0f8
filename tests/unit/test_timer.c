// SPDX-License-Identifier: MIT
/*
 * The timer heap: timers fire in expiry order, cancelling and re-arming
 * move them, a timer may re-arm itself from its own function.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "list.h"
#include "timer.h"

struct probe {
	struct timer_list t;
	int id;
};

static int fired[256];
static int nfired;
static struct timer_base *cur_base;

static void record(struct timer_list *t)
{
	struct probe *p = from_timer(p, t, t);

	fired[nfired++] = p->id;
}

Test(timer, fires_in_expiry_order)
{
	struct timer_base base;
	struct probe p[100];
	uint32_t x = 12345;

	timer_base_init(&base);
	nfired = 0;
	for (int i = 0; i < 100; i++) {
		x = x * 1103515245u + 12345u;
		p[i].id = i;
		timer_setup(&p[i].t, record);
		mod_timer(&base, &p[i].t, 1000 + (x >> 8) % 5000);
	}
	cr_assert_eq(base.len, 100);
	timer_run(&base, UINT64_MAX - 1);
	cr_assert_eq(nfired, 100);
	for (int i = 1; i < 100; i++)
		cr_assert_leq(p[fired[i - 1]].t.expires, p[fired[i]].t.expires,
			      "timer %d fired before an earlier one", fired[i]);
	for (int i = 0; i < 100; i++)
		cr_assert_not(timer_pending(&p[i].t));
	timer_base_exit(&base);
}

Test(timer, only_due_timers_run_and_next_is_the_earliest)
{
	struct timer_base base;
	struct probe a = {.id = 1}, b = {.id = 2};

	timer_base_init(&base);
	nfired = 0;
	cr_assert_eq(timer_next(&base), UINT64_MAX);
	timer_setup(&a.t, record);
	timer_setup(&b.t, record);
	mod_timer(&base, &a.t, 200);
	mod_timer(&base, &b.t, 100);
	cr_assert_eq(timer_next(&base), 100);
	timer_run(&base, 99);
	cr_assert_eq(nfired, 0);
	timer_run(&base, 100);
	cr_assert_eq(nfired, 1);
	cr_assert_eq(fired[0], 2);
	cr_assert_eq(timer_next(&base), 200);
	timer_base_exit(&base);
}

Test(timer, cancel_and_rearm)
{
	struct timer_base base;
	struct probe p[10];

	timer_base_init(&base);
	nfired = 0;
	for (int i = 0; i < 10; i++) {
		p[i].id = i;
		timer_setup(&p[i].t, record);
		cr_assert_not(mod_timer(&base, &p[i].t, 100 + (uint64_t)i * 10));
	}
	/* Cancel the earliest, one in the middle and the last. */
	cr_assert(del_timer(&base, &p[0].t));
	cr_assert(del_timer(&base, &p[5].t));
	cr_assert(del_timer(&base, &p[9].t));
	cr_assert_not(del_timer(&base, &p[9].t), "a second cancel reports not pending");
	/* Re-arm a pending timer later than all others and one earlier. */
	cr_assert(mod_timer(&base, &p[1].t, 1000));
	cr_assert(mod_timer(&base, &p[8].t, 50));
	cr_assert_eq(timer_next(&base), 50);
	timer_run(&base, 10000);
	int want[] = {8, 2, 3, 4, 6, 7, 1};

	cr_assert_eq(nfired, 7);
	for (int i = 0; i < 7; i++)
		cr_assert_eq(fired[i], want[i], "position %d: got %d want %d", i, fired[i],
			     want[i]);
	timer_base_exit(&base);
}

static int rearm_count;
static void rearm_self(struct timer_list *t)
{
	if (++rearm_count < 5)
		mod_timer(cur_base, t, t->expires + 10);
}

Test(timer, a_timer_may_rearm_itself)
{
	struct timer_base base;
	struct timer_list t;

	timer_base_init(&base);
	cur_base = &base;
	rearm_count = 0;
	timer_setup(&t, rearm_self);
	mod_timer(&base, &t, 10);
	timer_run(&base, 35);
	cr_assert_eq(rearm_count, 3, "fired at 10, 20, 30");
	cr_assert_eq(timer_next(&base), 40);
	timer_run(&base, 1000);
	cr_assert_eq(rearm_count, 5);
	cr_assert_not(timer_pending(&t));
	timer_base_exit(&base);
}

Test(timer, random_operations_keep_the_heap_consistent)
{
	struct timer_base base;
	static struct probe p[200];
	uint32_t x = 777;

	timer_base_init(&base);
	nfired = 0;
	for (int i = 0; i < 200; i++) {
		p[i].id = i;
		timer_setup(&p[i].t, record);
	}
	for (int op = 0; op < 5000; op++) {
		x = x * 1103515245u + 12345u;
		struct probe *q = &p[(x >> 8) % 200];

		if ((x >> 20) & 1)
			mod_timer(&base, &q->t, (x >> 4) % 100000);
		else
			del_timer(&base, &q->t);
	}
	/* Heap property and back-pointers. */
	for (uint32_t i = 0; i < base.len; i++) {
		cr_assert_eq(base.heap[i]->heap_idx, (int32_t)i);
		if (i)
			cr_assert_leq(base.heap[(i - 1) / 2]->expires, base.heap[i]->expires);
	}
	uint32_t pending = base.len;

	nfired = 0;
	timer_run(&base, UINT64_MAX - 1);
	cr_assert_eq((uint32_t)nfired, pending);
	timer_base_exit(&base);
}

static void rearm_same_time(struct timer_list *t)
{
	rearm_count++;
	mod_timer(cur_base, t, t->expires);
}

Test(timer, a_timer_rearming_itself_without_time_passing_fires_once_per_run, .timeout = 30)
{
	struct timer_base base;
	struct timer_list t;

	timer_base_init(&base);
	cur_base = &base;
	rearm_count = 0;
	timer_setup(&t, rearm_same_time);
	mod_timer(&base, &t, 10);
	timer_run(&base, 35);
	cr_assert_eq(rearm_count, 1, "the run ended");
	cr_assert(timer_pending(&t));
	cr_assert_leq(timer_next(&base), 35, "due at once, for the next run");
	timer_run(&base, 35);
	cr_assert_eq(rearm_count, 2);
	timer_base_exit(&base);
}

static struct timer_list ping_pong[2];
static uint64_t pp_now;

static void arm_the_other(struct timer_list *t)
{
	rearm_count++;
	mod_timer(cur_base, &ping_pong[t == &ping_pong[0]], pp_now);
}

Test(timer, two_timers_arming_each_other_for_now_take_one_turn_per_run, .timeout = 30)
{
	struct timer_base base;
	struct probe late = {.id = 9};

	timer_base_init(&base);
	cur_base = &base;
	rearm_count = 0;
	nfired = 0;
	pp_now = 100;
	timer_setup(&ping_pong[0], arm_the_other);
	timer_setup(&ping_pong[1], arm_the_other);
	timer_setup(&late.t, record);
	mod_timer(&base, &ping_pong[0], 100);
	mod_timer(&base, &late.t, 100);
	timer_run(&base, 100);
	cr_assert_eq(rearm_count, 1);
	cr_assert_eq(nfired, 1, "a timer due at the start still ran");
	for (int i = 2; i <= 5; i++) {
		timer_run(&base, 100);
		cr_assert_eq(rearm_count, i);
	}
	/* Time passing does not let the pair run away either. */
	pp_now = 200;
	timer_run(&base, 200);
	cr_assert_eq(rearm_count, 6);
	timer_base_exit(&base);
}
