/* SPDX-License-Identifier: MIT */
/*
 * The decisions of sockshim-impair for one direction of the bridge: which
 * frames are lost, duplicated or held back (reordered), when each one is
 * due (delay and jitter), and when the rate limit lets it leave. It sees
 * frames only as opaque pointers with a length and time only as an
 * argument: no system calls, so a unit test drives it with a virtual clock.
 *
 * Frame i's fate (lost, duplicated, held back, its jitter) is a pure
 * function of (seed, i), drawn from a counter-based generator: the same
 * seed and the same frame sequence give the same decisions, however the
 * frames are spread in time. Only the queue limit (overflow) and the rate
 * limit depend on timing.
 *
 * A frame goes through three stages:
 *   delay   a heap ordered by (due, arrival): due = arrival + delay +
 *           jitter, jitter uniform in [-jitter, +jitter] (so jitter, as
 *           with netem, may reorder frames too);
 *   hold    a frame chosen for reordering waits, after it is due, until
 *           reorder_gap later frames have left the delay stage, or until
 *           reorder_timeout has passed, whichever comes first: it is
 *           never lost, only late;
 *   rate    a FIFO drained by a token bucket of rate_bps bits/s and
 *           burst_bytes depth (no limit when rate_bps is 0).
 * A duplicate is a second copy queued right behind the original (never held).
 */
#ifndef SOCKSHIM_TOOLS_IMPAIR_H
#define SOCKSHIM_TOOLS_IMPAIR_H

#include <stdint.h>

struct impair_params {
	double loss_pct;	     /* frames dropped at random */
	double reorder_pct;	     /* frames held back behind later ones */
	unsigned int reorder_gap;    /* a held frame leaves after this many later frames ... */
	uint64_t reorder_timeout_ns; /* ... or this long after it was due */
	double dup_pct;		     /* frames sent twice */
	uint64_t delay_ns;	     /* fixed one-way delay */
	uint64_t jitter_ns;	     /* uniform +- around the delay */
	uint64_t rate_bps;	     /* token bucket rate, bits/s; 0 = unlimited */
	uint64_t burst_bytes;	     /* token bucket depth; 0 = the default (see impair_init) */
	unsigned int limit;	     /* frames queued at most; beyond it a frame is dropped */
};

/* Sensible defaults: no impairment, gap 3, timeout 10 ms, limit 10000. */
void impair_params_default(struct impair_params *p);

struct impair_stats {
	uint64_t rx;	     /* frames offered */
	uint64_t tx;	     /* frames handed out (duplicates included) */
	uint64_t lost;	     /* dropped by the loss draw */
	uint64_t duplicated; /* second copies queued */
	uint64_t reordered;  /* frames held back */
	uint64_t overflow;   /* dropped because the queue was at its limit */
};

/* The fate of frame number index: what impair_enqueue does with it. */
struct impair_fate {
	int lost;
	int duplicated;
	int held;
	int64_t jitter_ns; /* in [-jitter_ns, +jitter_ns] */
};

struct impair_entry {
	uint64_t due; /* delay stage: due time; hold stage: the timeout */
	uint64_t seq; /* arrival order, breaks ties in the heap */
	void *frame;
	uint32_t len;
	uint32_t gap; /* hold stage: later frames still to wait for */
};

struct impair {
	struct impair_params p;
	uint64_t seed;
	uint64_t loss_thr, reorder_thr, dup_thr; /* probabilities in 1/2^32 */
	uint64_t index;				 /* frames offered so far */
	uint64_t seq;

	struct impair_entry *heap; /* delay stage, a binary min-heap */
	unsigned int heap_n;
	struct impair_entry *held; /* hold stage, in arrival order */
	unsigned int held_n;
	struct impair_entry *ready; /* rate stage, a ring */
	unsigned int ready_head, ready_n;

	uint64_t next_free; /* rate: when the wire has sent everything so far */
	uint64_t burst_ns;  /* rate: the bucket depth as time on the wire */

	struct impair_stats st;
};

/* Returns 0, or -EINVAL for out-of-range parameters, -ENOMEM. */
int impair_init(struct impair *q, const struct impair_params *p, uint64_t seed);
void impair_destroy(struct impair *q);

/* Frame index's fate under q's seed and parameters; no side effects. */
struct impair_fate impair_fate(const struct impair *q, uint64_t index);

/*
 * Offers one frame arriving at time now. Returns how many copies were
 * queued: 0 (lost or overflow; the frame is the caller's again), 1 or 2
 * (impair_dequeue will return the same pointer that many times).
 */
int impair_enqueue(struct impair *q, uint64_t now, void *frame, uint32_t len);

/* The next frame that may leave at time now, or NULL. */
void *impair_dequeue(struct impair *q, uint64_t now, uint32_t *len);

/*
 * The earliest time impair_dequeue may return a frame (<= now: at once),
 * UINT64_MAX when nothing is queued.
 */
uint64_t impair_next(const struct impair *q, uint64_t now);

/* Frames queued in all three stages. */
unsigned int impair_queued(const struct impair *q);

#endif
