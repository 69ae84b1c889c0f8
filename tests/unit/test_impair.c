// SPDX-License-Identifier: MIT
/*
 * The decisions of sockshim-impair (tools/impair.c) on a virtual clock:
 * rates within statistical bounds for fixed seeds, the same fates for the
 * same seed whatever the timing, held frames never lost, delay, jitter and
 * the rate limit keeping their promises, the queue limit counted.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "impair.h"

#define MS 1000000ull

/* Frames are the integers 1..n cast to pointers: ids, never dereferenced. */
static void *id(uintptr_t i)
{
	return (void *)i;
}

struct out {
	uintptr_t id;
	uint64_t at;
};

/*
 * Runs the clock from now to until (UINT64_MAX: until nothing is queued),
 * jumping from one impair_next() to the next; records what leaves and
 * when. Returns the count so far.
 */
static size_t step(struct impair *q, uint64_t now, uint64_t until, struct out *o, size_t n,
		   size_t max)
{
	uint64_t t;
	uint32_t len;
	void *f;

	while ((t = impair_next(q, now)) != UINT64_MAX && t <= until) {
		if (t > now)
			now = t;
		while ((f = impair_dequeue(q, now, &len))) {
			cr_assert_lt(n, max, "more frames out than could have gone in");
			o[n].id = (uintptr_t)f;
			o[n++].at = now;
		}
	}
	return n;
}

static size_t drain(struct impair *q, uint64_t now, struct out *o, size_t n, size_t max)
{
	return step(q, now, UINT64_MAX, o, n, max);
}

static void check_conservation(const struct impair *q)
{
	const struct impair_stats *s = &q->st;

	cr_assert_eq(s->rx - s->lost - s->overflow + s->duplicated, s->tx + impair_queued(q),
		     "rx %lu lost %lu overflow %lu dup %lu tx %lu queued %u", s->rx, s->lost,
		     s->overflow, s->duplicated, s->tx, impair_queued(q));
}

/* |count - n p| within 5 standard deviations of a binomial(n, p). */
static void expect_binomial(uint64_t count, uint64_t n, double pct, const char *what)
{
	double p = pct / 100.0, mean = n * p, sd = sqrt(n * p * (1 - p));

	cr_assert(fabs((double)count - mean) <= 5 * sd + 1, "%s: %lu of %lu, expected %.0f +- %.0f",
		  what, count, n, mean, 5 * sd);
}

static void rates_for(uint64_t seed, double loss, double dup, double reorder)
{
	struct impair_params p;
	struct impair q;
	const uint64_t n = 200000;
	uint64_t i, lost = 0, dup_n = 0, held = 0;

	impair_params_default(&p);
	p.loss_pct = loss;
	p.dup_pct = dup;
	p.reorder_pct = reorder;
	cr_assert_eq(impair_init(&q, &p, seed), 0);
	for (i = 0; i < n; i++) {
		struct impair_fate f = impair_fate(&q, i);

		lost += f.lost;
		dup_n += f.duplicated;
		held += f.held;
	}
	expect_binomial(lost, n, loss, "loss");
	expect_binomial(dup_n, n, dup, "duplication");
	expect_binomial(held, n, reorder, "reordering");
	impair_destroy(&q);
}

Test(impair, rates_stay_within_statistical_bounds_for_fixed_seeds)
{
	rates_for(1, 5, 1, 5);
	rates_for(42, 20, 0, 0);
	rates_for(0xdeadbeef, 0.5, 50, 1);
	rates_for(7, 100, 0, 100);
}

Test(impair, zero_rates_never_fire)
{
	struct impair_params p;
	struct impair q;

	impair_params_default(&p);
	cr_assert_eq(impair_init(&q, &p, 99), 0);
	for (uint64_t i = 0; i < 100000; i++) {
		struct impair_fate f = impair_fate(&q, i);

		cr_assert(!f.lost && !f.duplicated && !f.held && !f.jitter_ns);
	}
	impair_destroy(&q);
}

/* Offers n frames, one every gap_ns, then drains; returns what came out. */
static size_t run(struct impair *q, size_t n, uint64_t gap_ns, struct out *o, size_t max)
{
	uint64_t now = 1000 * MS;
	size_t got = 0;

	for (size_t i = 1; i <= n; i++) {
		got = step(q, now - gap_ns, now, o, got, max);
		impair_enqueue(q, now, id(i), 100);
		now += gap_ns;
	}
	return drain(q, now - gap_ns, o, got, max);
}

Test(impair, same_seed_same_fates_whatever_the_timing)
{
	struct impair_params p;
	struct impair a, b, c;
	static struct out oa[30000], ob[30000], oc[30000];
	size_t na, nb, nc;

	impair_params_default(&p);
	p.loss_pct = 5;
	p.dup_pct = 1;
	p.reorder_pct = 5;
	p.delay_ns = 10 * MS;
	cr_assert_eq(impair_init(&a, &p, 1234), 0);
	cr_assert_eq(impair_init(&b, &p, 1234), 0);
	cr_assert_eq(impair_init(&c, &p, 1235), 0);
	na = run(&a, 10000, 1000, oa, 30000);	/* 1 us apart */
	nb = run(&b, 10000, 3 * MS, ob, 30000); /* 3 ms apart */
	nc = run(&c, 10000, 1000, oc, 30000);
	cr_assert_eq(a.st.lost, b.st.lost);
	cr_assert_eq(a.st.duplicated, b.st.duplicated);
	cr_assert_eq(a.st.reordered, b.st.reordered);
	cr_assert_eq(na, nb);
	/* Which frames survive, and how often, is the same. */
	static unsigned char seen_a[10001], seen_b[10001];
	for (size_t i = 0; i < na; i++) {
		seen_a[oa[i].id]++;
		seen_b[ob[i].id]++;
	}
	for (size_t i = 1; i <= 10000; i++)
		cr_assert_eq(seen_a[i], seen_b[i], "frame %zu: %d copies vs %d", i, seen_a[i],
			     seen_b[i]);
	/* Another seed draws other fates. */
	cr_assert(c.st.lost != a.st.lost || nc != na || c.st.reordered != a.st.reordered);
	check_conservation(&a);
	check_conservation(&b);
	impair_destroy(&a);
	impair_destroy(&b);
	impair_destroy(&c);
}

static void reorder_keeps_every_frame(uint64_t gap_ns, uint64_t delay_ns, int sparse)
{
	struct impair_params p;
	struct impair q;
	static struct out o[40000];
	static unsigned char copies[20001];
	size_t n, i, late = 0;
	uintptr_t highest = 0;

	impair_params_default(&p);
	p.reorder_pct = 30;
	p.dup_pct = 10;
	p.delay_ns = delay_ns;
	p.limit = 100000; /* 10 ms of frames 1 us apart fit */
	cr_assert_eq(impair_init(&q, &p, 77), 0);
	n = run(&q, 20000, gap_ns, o, 40000);
	memset(copies, 0, sizeof(copies));
	for (i = 0; i < n; i++) {
		copies[o[i].id]++;
		if (o[i].id < highest)
			late++;
		else
			highest = o[i].id;
	}
	for (i = 1; i <= 20000; i++) {
		struct impair_fate f = impair_fate(&q, i - 1);

		cr_assert_eq(copies[i], f.duplicated ? 2 : 1, "frame %zu came out %d times", i,
			     copies[i]);
	}
	cr_assert_eq(impair_queued(&q), 0);
	cr_assert_eq(q.st.tx, 20000 + q.st.duplicated);
	/* Dense traffic overtakes held frames; sparse traffic only finds them late. */
	if (sparse)
		cr_assert_eq(late, 0);
	else
		cr_assert_gt(late, 20000 * 0.2, "only %zu frames came out behind later ones", late);
	check_conservation(&q);
	impair_destroy(&q);
}

Test(impair, reorder_never_loses_a_frame)
{
	reorder_keeps_every_frame(1000, 0, 0);	     /* back to back */
	reorder_keeps_every_frame(1000, 10 * MS, 0); /* behind a delay */
	reorder_keeps_every_frame(50 * MS, 0, 1);    /* sparse: the timeout releases them */
}

Test(impair, a_held_frame_leaves_right_after_gap_later_frames)
{
	struct impair_params p;
	struct impair q;
	struct out o[64];
	size_t n, i, pos[33] = {0}, checked = 0;

	impair_params_default(&p);
	p.reorder_pct = 100; /* every frame is held ... */
	p.reorder_gap = 3;
	cr_assert_eq(impair_init(&q, &p, 5), 0);
	/* ... so none passes the delay stage, and each leaves on its timeout. */
	n = run(&q, 4, 1000, o, 64);
	cr_assert_eq(n, 4);
	for (i = 0; i < n; i++)
		cr_assert_geq(o[i].at, 1000 * MS + (o[i].id - 1) * 1000 + p.reorder_timeout_ns);
	impair_destroy(&q);

	/* 50%: a held frame comes out right behind the 3rd frame after it. */
	p.reorder_pct = 50;
	cr_assert_eq(impair_init(&q, &p, 5), 0);
	n = run(&q, 32, 1000, o, 64);
	cr_assert_eq(n, 32);
	for (i = 0; i < n; i++)
		pos[o[i].id] = i;
	for (i = 1; i <= 32; i++) {
		size_t later = 0, j;

		if (!impair_fate(&q, i - 1).held)
			continue;
		/* Count the not-held frames that came out before it, after its arrival. */
		for (j = i + 1; j <= 32; j++)
			if (!impair_fate(&q, j - 1).held && pos[j] < pos[i])
				later++;
		if (o[pos[i]].at < 1000 * MS + (i - 1) * 1000 + p.reorder_timeout_ns) {
			cr_assert_eq(later, 3, "held frame %zu left after %zu later ones", i,
				     later);
			checked++;
		}
	}
	cr_assert_gt(checked, 5, "only %zu held frames left before their timeout", checked);
	impair_destroy(&q);
}

Test(impair, delay_holds_every_frame_and_keeps_order)
{
	struct impair_params p;
	struct impair q;
	static struct out o[2000];
	size_t n, i;

	impair_params_default(&p);
	p.delay_ns = 10 * MS;
	cr_assert_eq(impair_init(&q, &p, 3), 0);
	cr_assert_eq(impair_next(&q, 0), UINT64_MAX);
	cr_assert_eq(impair_enqueue(&q, 5 * MS, id(1), 60), 1);
	cr_assert_eq(impair_next(&q, 5 * MS), 15 * MS);
	uint32_t len;
	cr_assert_null(impair_dequeue(&q, 15 * MS - 1, &len));
	cr_assert_eq(impair_dequeue(&q, 15 * MS, &len), id(1));
	cr_assert_eq(len, 60);

	n = run(&q, 1000, 37000, o, 2000);
	cr_assert_eq(n, 1000);
	for (i = 0; i < n; i++) {
		cr_assert_eq(o[i].id, i + 1, "frame %lu came out as number %zu", o[i].id, i + 1);
		cr_assert_eq(o[i].at, 1000 * MS + i * 37000 + p.delay_ns);
	}
	impair_destroy(&q);
}

Test(impair, jitter_stays_in_its_window_and_frames_leave_in_due_order)
{
	struct impair_params p;
	struct impair q;
	static struct out o[5000];
	size_t n, i;
	int reordered = 0;

	impair_params_default(&p);
	p.delay_ns = 10 * MS;
	p.jitter_ns = 2 * MS;
	cr_assert_eq(impair_init(&q, &p, 11), 0);
	n = run(&q, 5000, 100000, o, 5000);
	cr_assert_eq(n, 5000);
	for (i = 0; i < n; i++) {
		uint64_t sent = 1000 * MS + (o[i].id - 1) * 100000;
		int64_t j = impair_fate(&q, o[i].id - 1).jitter_ns;

		cr_assert_eq(o[i].at, sent + p.delay_ns + j);
		cr_assert_leq(llabs(j), (long long)p.jitter_ns);
		if (i)
			cr_assert_geq(o[i].at, o[i - 1].at);
		reordered += i && o[i].id < o[i - 1].id;
	}
	cr_assert_gt(reordered, 0, "a 4 ms jitter window over 0.1 ms spacing must reorder");
	impair_destroy(&q);
}

Test(impair, rate_limit_paces_frames_after_the_burst)
{
	struct impair_params p;
	struct impair q;
	static struct out o[200];
	size_t n, i;

	impair_params_default(&p);
	p.rate_bps = 1000000; /* 1250-byte frames: 10 ms each on the wire */
	p.burst_bytes = 2500; /* two frames' worth */
	cr_assert_eq(impair_init(&q, &p, 1), 0);
	for (i = 1; i <= 100; i++)
		cr_assert_eq(impair_enqueue(&q, 0, id(i), 1250), 1);
	n = drain(&q, 0, o, 0, 200);
	cr_assert_eq(n, 100);
	for (i = 0; i < n; i++) {
		cr_assert_eq(o[i].id, i + 1);
		/* Never more than the burst plus what the rate allows by then. */
		cr_assert_leq((i + 1) * 10000ull, 20000 + o[i].at / 1000,
			      "frame %zu left at %lu ns", i, o[i].at);
	}
	/* 100 frames of 10 ms, two of them free: the last leaves at 980 ms. */
	cr_assert_eq(o[99].at, 980 * MS);
	impair_destroy(&q);
}

Test(impair, the_limit_drops_and_counts_overflow)
{
	struct impair_params p;
	struct impair q;
	struct out o[64];

	impair_params_default(&p);
	p.delay_ns = MS;
	p.limit = 10;
	cr_assert_eq(impair_init(&q, &p, 1), 0);
	for (uintptr_t i = 1; i <= 15; i++)
		cr_assert_eq(impair_enqueue(&q, 0, id(i), 100), i <= 10 ? 1 : 0);
	cr_assert_eq(q.st.overflow, 5);
	cr_assert_eq(drain(&q, 0, o, 0, 64), 10);
	check_conservation(&q);
	impair_destroy(&q);
}

Test(impair, bad_parameters_are_refused)
{
	struct impair_params p;
	struct impair q;

	impair_params_default(&p);
	p.loss_pct = 101;
	cr_assert_eq(impair_init(&q, &p, 1), -EINVAL);
	impair_params_default(&p);
	p.dup_pct = -1;
	cr_assert_eq(impair_init(&q, &p, 1), -EINVAL);
	impair_params_default(&p);
	p.reorder_pct = NAN;
	cr_assert_eq(impair_init(&q, &p, 1), -EINVAL);
	impair_params_default(&p);
	p.reorder_gap = 0;
	cr_assert_eq(impair_init(&q, &p, 1), -EINVAL);
	impair_params_default(&p);
	p.limit = 0;
	cr_assert_eq(impair_init(&q, &p, 1), -EINVAL);
}
