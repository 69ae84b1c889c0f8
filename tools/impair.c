// SPDX-License-Identifier: MIT
/*
 * One direction of sockshim-impair's decisions (see impair.h): the seeded
 * fate of each frame and the three queues it passes through (delay heap,
 * hold list, rate FIFO). Pure: time is an argument, frames are opaque.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "impair.h"

#define NSEC_PER_SEC  1000000000ull
#define NSEC_PER_MSEC 1000000ull
/* Default bucket depth: 1 ms at the rate, at least two full-size frames. */
#define BURST_MIN_BYTES (2u * 1514u)

enum { DRAW_LOSS, DRAW_DUP, DRAW_REORDER, DRAW_JITTER, DRAW_KINDS };

void impair_params_default(struct impair_params *p)
{
	memset(p, 0, sizeof(*p));
	p->reorder_gap = 3;
	p->reorder_timeout_ns = 10 * NSEC_PER_MSEC;
	p->limit = 10000;
}

/* splitmix64's finaliser: a bijection that spreads every input bit. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/*
 * Counter-based: draw k for frame i depends on (seed, i, k) only, so a
 * frame's fate does not depend on how many draws earlier frames used.
 */
static uint64_t draw(const struct impair *q, uint64_t index, unsigned int kind)
{
	return mix64(q->seed ^ mix64(index * DRAW_KINDS + kind));
}

static uint64_t pct_threshold(double pct)
{
	return (uint64_t)(pct / 100.0 * 4294967296.0 + 0.5);
}

static int chance(const struct impair *q, uint64_t index, unsigned int kind, uint64_t thr)
{
	return (draw(q, index, kind) >> 32) < thr;
}

struct impair_fate impair_fate(const struct impair *q, uint64_t index)
{
	struct impair_fate f = {0};
	uint64_t j = q->p.jitter_ns;

	f.lost = chance(q, index, DRAW_LOSS, q->loss_thr);
	f.duplicated = chance(q, index, DRAW_DUP, q->dup_thr);
	f.held = chance(q, index, DRAW_REORDER, q->reorder_thr);
	if (j)
		f.jitter_ns = (int64_t)(draw(q, index, DRAW_JITTER) % (2 * j + 1)) - (int64_t)j;
	return f;
}

static int pct_ok(double pct)
{
	return pct >= 0.0 && pct <= 100.0; /* false for NaN too */
}

int impair_init(struct impair *q, const struct impair_params *p, uint64_t seed)
{
	memset(q, 0, sizeof(*q));
	if (!pct_ok(p->loss_pct) || !pct_ok(p->reorder_pct) || !pct_ok(p->dup_pct) ||
	    p->reorder_gap == 0 || p->limit == 0)
		return -EINVAL;
	q->p = *p;
	q->seed = seed;
	q->loss_thr = pct_threshold(p->loss_pct);
	q->reorder_thr = pct_threshold(p->reorder_pct);
	q->dup_thr = pct_threshold(p->dup_pct);
	if (p->rate_bps) {
		uint64_t burst = p->burst_bytes;

		if (!burst) {
			burst = p->rate_bps / 8 / 1000;
			if (burst < BURST_MIN_BYTES)
				burst = BURST_MIN_BYTES;
		}
		q->p.burst_bytes = burst;
		/* Bytes to wire time; the double keeps large rates from overflowing. */
		q->burst_ns = (uint64_t)((double)burst * 8.0 * NSEC_PER_SEC / (double)p->rate_bps);
	}
	q->heap = calloc(p->limit, sizeof(*q->heap));
	q->held = calloc(p->limit, sizeof(*q->held));
	q->ready = calloc(p->limit, sizeof(*q->ready));
	if (!q->heap || !q->held || !q->ready) {
		impair_destroy(q);
		return -ENOMEM;
	}
	return 0;
}

void impair_destroy(struct impair *q)
{
	free(q->heap);
	free(q->held);
	free(q->ready);
	q->heap = q->held = q->ready = NULL;
}

unsigned int impair_queued(const struct impair *q)
{
	return q->heap_n + q->held_n + q->ready_n;
}

/* ---- the delay heap, ordered by (due, seq) ---- */

static int entry_before(const struct impair_entry *a, const struct impair_entry *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_swap(struct impair_entry *h, unsigned int a, unsigned int b)
{
	struct impair_entry t = h[a];

	h[a] = h[b];
	h[b] = t;
}

static void heap_push(struct impair *q, const struct impair_entry *e)
{
	unsigned int i = q->heap_n++;

	q->heap[i] = *e;
	while (i && entry_before(&q->heap[i], &q->heap[(i - 1) / 2])) {
		heap_swap(q->heap, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static struct impair_entry heap_pop(struct impair *q)
{
	struct impair_entry top = q->heap[0];
	unsigned int i = 0;

	q->heap[0] = q->heap[--q->heap_n];
	for (;;) {
		unsigned int l = 2 * i + 1, r = l + 1, m = i;

		if (l < q->heap_n && entry_before(&q->heap[l], &q->heap[m]))
			m = l;
		if (r < q->heap_n && entry_before(&q->heap[r], &q->heap[m]))
			m = r;
		if (m == i)
			break;
		heap_swap(q->heap, i, m);
		i = m;
	}
	return top;
}

/* ---- the rate FIFO ---- */

static void ready_push(struct impair *q, const struct impair_entry *e)
{
	q->ready[(q->ready_head + q->ready_n++) % q->p.limit] = *e;
}

static uint64_t wire_ns(const struct impair *q, uint32_t len)
{
	return (uint64_t)len * 8 * NSEC_PER_SEC / q->p.rate_bps;
}

/*
 * When the head of the FIFO may leave: a token bucket kept as time. The
 * wire is busy until next_free; the bucket holds burst_ns of credit, and
 * a frame leaves once its own wire time fits in what is left (or, if it
 * is larger than the whole bucket, once the bucket is full).
 */
static uint64_t ready_time(const struct impair *q, uint64_t now)
{
	uint64_t need, t;

	if (!q->p.rate_bps)
		return now;
	need = wire_ns(q, q->ready[q->ready_head].len);
	if (need > q->burst_ns)
		t = q->next_free;
	else
		t = q->next_free + need > q->burst_ns ? q->next_free + need - q->burst_ns : 0;
	return t > now ? t : now;
}

/* ---- moving frames between the stages ---- */

static void held_release(struct impair *q, unsigned int k)
{
	ready_push(q, &q->held[k]);
	memmove(&q->held[k], &q->held[k + 1], (q->held_n - k - 1) * sizeof(q->held[0]));
	q->held_n--;
}

/* The held frame whose timeout comes first, or held_n when none. */
static unsigned int held_first(const struct impair *q)
{
	unsigned int k, best = q->held_n;

	for (k = 0; k < q->held_n; k++)
		if (best == q->held_n || q->held[k].due < q->held[best].due)
			best = k;
	return best;
}

/*
 * Moves everything due by now into the rate FIFO, in time order: frames
 * leaving the delay heap, and held frames whose gap ran out (right behind
 * the frame that ended it) or whose timeout passed.
 */
static void advance(struct impair *q, uint64_t now)
{
	for (;;) {
		unsigned int h = held_first(q), k;
		uint64_t heap_due = q->heap_n ? q->heap[0].due : UINT64_MAX;
		uint64_t held_due = h < q->held_n ? q->held[h].due : UINT64_MAX;
		struct impair_entry e;

		if (heap_due > now && held_due > now)
			return;
		if (held_due < heap_due) {
			held_release(q, h);
			continue;
		}
		e = heap_pop(q);
		ready_push(q, &e);
		for (k = 0; k < q->held_n;) {
			if (--q->held[k].gap == 0)
				held_release(q, k);
			else
				k++;
		}
	}
}

int impair_enqueue(struct impair *q, uint64_t now, void *frame, uint32_t len)
{
	struct impair_fate f = impair_fate(q, q->index++);
	struct impair_entry e = {.frame = frame, .len = len};
	int64_t due = (int64_t)(now + q->p.delay_ns) + f.jitter_ns;

	q->st.rx++;
	if (f.lost) {
		q->st.lost++;
		return 0;
	}
	if (impair_queued(q) >= q->p.limit) {
		q->st.overflow++;
		return 0;
	}
	e.due = due < (int64_t)now ? now : (uint64_t)due;
	e.seq = q->seq++;
	if (f.held) {
		q->st.reordered++;
		e.gap = q->p.reorder_gap;
		e.due += q->p.reorder_timeout_ns;
		q->held[q->held_n++] = e;
	} else {
		heap_push(q, &e);
	}
	if (!f.duplicated)
		return 1;
	if (impair_queued(q) >= q->p.limit) {
		q->st.overflow++;
		return 1;
	}
	/* The copy follows the original's due time, never held itself. */
	if (f.held)
		e.due -= q->p.reorder_timeout_ns;
	e.seq = q->seq++;
	e.gap = 0;
	heap_push(q, &e);
	q->st.duplicated++;
	return 2;
}

void *impair_dequeue(struct impair *q, uint64_t now, uint32_t *len)
{
	struct impair_entry *e;

	advance(q, now);
	if (!q->ready_n || ready_time(q, now) > now)
		return NULL;
	e = &q->ready[q->ready_head];
	q->ready_head = (q->ready_head + 1) % q->p.limit;
	q->ready_n--;
	if (q->p.rate_bps)
		q->next_free = (q->next_free > now ? q->next_free : now) + wire_ns(q, e->len);
	q->st.tx++;
	*len = e->len;
	return e->frame;
}

uint64_t impair_next(const struct impair *q, uint64_t now)
{
	uint64_t t = UINT64_MAX;
	unsigned int h = held_first(q);

	if (q->ready_n)
		t = ready_time(q, now);
	if (q->heap_n && q->heap[0].due < t)
		t = q->heap[0].due;
	if (h < q->held_n && q->held[h].due < t)
		t = q->held[h].due;
	return t;
}
