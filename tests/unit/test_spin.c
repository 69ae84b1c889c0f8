// SPDX-License-Identifier: MIT
/*
 * The spin's back-off (preload/common/spin.c), on a clock the test sets:
 * a spin that finds nothing makes the next ones rarer, one that finds work
 * brings them back to every wait, one that loses its core stops at once and
 * counts as finding nothing, and the back-off stops at one wait in 256.
 */
#include <criterion/criterion.h>

#include "spin.h"

#define US 1000u

/* How many of the next waits sleep at once before one spins again. */
static unsigned int waits_before_spin(struct spin_backoff *b)
{
	unsigned int n = 0;

	while (!spin_take(b))
		n++;
	return n;
}

/* One spin of 50 us on clock *now that looks every us and finds nothing. */
static void spin_finding_nothing(struct spin_backoff *b, uint64_t *now)
{
	struct spin s;

	spin_start(&s, *now, 50 * US);
	do
		*now += US;
	while (spin_on(&s, *now));
	spin_end(b, &s, false);
}

Test(spin, every_wait_spins_while_spins_find_work)
{
	struct spin_backoff b = {0};
	struct spin s;
	uint64_t now = 1000000;

	for (int i = 0; i < 10; i++) {
		cr_assert(spin_take(&b), "wait %d sleeps at once", i);
		spin_start(&s, now, 50 * US);
		now += US;
		cr_assert(spin_on(&s, now));
		now += US;
		spin_end(&b, &s, true);
	}
}

Test(spin, a_spin_ends_at_its_time)
{
	struct spin s;
	uint64_t now = 1000;

	spin_start(&s, now, 50 * US);
	for (int i = 1; i < 50; i++) {
		now += US;
		cr_assert(spin_on(&s, now), "ended after %d us", i);
	}
	now += US;
	cr_assert_not(spin_on(&s, now));
	cr_assert_not(s.preempted);
}

Test(spin, spins_finding_nothing_become_rarer_then_come_back)
{
	struct spin_backoff b = {0};
	struct spin s;
	uint64_t now = 1000000;

	for (unsigned int k = 1; k <= 4; k++) {
		cr_assert(spin_take(&b));
		spin_finding_nothing(&b, &now);
		cr_assert_eq(waits_before_spin(&b), (1u << k) - 1,
			     "after %u empty spins, one wait in %u spins", k, 1u << k);
	}
	/* That spin (taken by waits_before_spin) finds work: every wait again. */
	spin_start(&s, now, 50 * US);
	spin_end(&b, &s, true);
	cr_assert(spin_take(&b));
	cr_assert(spin_take(&b));
}

Test(spin, the_back_off_stops_at_one_wait_in_256)
{
	struct spin_backoff b = {0};
	uint64_t now = 1000000;

	for (int i = 0; i < 20; i++) {
		waits_before_spin(&b);
		spin_finding_nothing(&b, &now);
	}
	cr_assert_eq(waits_before_spin(&b), (1u << SPIN_SHIFT_MAX) - 1);
}

Test(spin, a_spin_that_loses_its_core_stops_and_backs_off)
{
	struct spin_backoff b = {0};
	struct spin s;
	uint64_t now = 1000000;

	cr_assert(spin_take(&b));
	spin_start(&s, now, 1000 * US);
	now += US;
	cr_assert(spin_on(&s, now));
	/* Another task had the core for 3 ms: the spin ends there. */
	now += 3000 * US;
	cr_assert_not(spin_on(&s, now));
	cr_assert(s.preempted);
	/* Even if that last look found work, the next wait sleeps. */
	spin_end(&b, &s, true);
	cr_assert_eq(waits_before_spin(&b), 1);
}
