// SPDX-License-Identifier: MIT
/*
 * The frame cache (core/skbuff.c): a freed buffer of either size class comes
 * back from the next allocation of that class, clean and with the full
 * room; buffers of other sizes are not kept; the cache is bounded.
 *
 * Fragments: a frame pointing at other buffers' bytes holds a reference on
 * each, so a buffer freed by its owner meanwhile stays whole and out of the
 * cache until the frame goes; a copy or a linearized frame is the same
 * bytes in one piece.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "skbuff.h"

/* A GSO frame's payload: 64 KiB less the IP and TCP headers. */
#define LARGE 65400u

static void fill(struct sk_buff *skb, unsigned int len)
{
	memset(skb_put(skb, len), 0xa5, len);
	skb->gso_size = 1448;
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->cb[0] = 7;
}

static void assert_fresh(const struct sk_buff *skb, unsigned int size)
{
	cr_assert_eq(skb->len, 0);
	cr_assert_eq(skb_headroom(skb), MAX_HEADER);
	cr_assert_geq(skb_tailroom(skb), size);
	cr_assert_eq(skb->gso_size, 0, "no field survives the reuse");
	cr_assert_eq(skb->ip_summed, CHECKSUM_NONE);
	cr_assert_eq(skb->cb[0], 0);
	cr_assert_null(skb->next);
}

Test(skbuff, both_classes_are_reused)
{
	static const unsigned int sizes[] = {64, 1600, 4000, LARGE, 65535 + 18};

	skb_cache_drain();
	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct sk_buff *a = alloc_skb(sizes[i]), *b;

		cr_assert_not_null(a);
		assert_fresh(a, sizes[i]);
		fill(a, sizes[i]);
		kfree_skb(a);
		cr_assert_eq(skb_cache_count(sizes[i]), 1, "size %u kept", sizes[i]);
		b = alloc_skb(sizes[i]);
		cr_assert_eq(b, a, "size %u: the same buffer again", sizes[i]);
		assert_fresh(b, sizes[i]);
		cr_assert_eq(skb_cache_count(sizes[i]), 0);
		kfree_skb(b);
	}
	skb_cache_drain();
	cr_assert_eq(skb_cache_count(64), 0);
	cr_assert_eq(skb_cache_count(LARGE), 0);
}

Test(skbuff, a_small_request_never_gets_a_large_buffer)
{
	struct sk_buff *large, *small;

	skb_cache_drain();
	large = alloc_skb(LARGE);
	kfree_skb(large);
	small = alloc_skb(100);
	cr_assert_neq(small, large);
	cr_assert_lt(small->end, 4096u, "an ACK holds no 64 KiB");
	cr_assert_eq(skb_cache_count(LARGE), 1);
	kfree_skb(small);
	skb_cache_drain();
}

Test(skbuff, beyond_the_classes_and_the_bound)
{
	struct sk_buff *skbs[200];
	unsigned int kept;

	skb_cache_drain();
	/* Above 64 KiB: malloc and free, never cached. */
	skbs[0] = alloc_skb(200000);
	cr_assert_not_null(skbs[0]);
	cr_assert_geq(skb_tailroom(skbs[0]), 200000u);
	kfree_skb(skbs[0]);
	cr_assert_eq(skb_cache_count(200000), 0);
	cr_assert_null(alloc_skb(UINT32_MAX - 10), "a wrapping size is refused");

	/* A burst of large frames: only a bounded number stays cached. */
	for (int i = 0; i < 200; i++)
		cr_assert_not_null(skbs[i] = alloc_skb(LARGE));
	for (int i = 0; i < 200; i++)
		kfree_skb(skbs[i]);
	kept = skb_cache_count(LARGE);
	cr_assert_gt(kept, 0u);
	cr_assert_lt(kept, 200u);
	cr_assert_leq(kept * (LARGE + MAX_HEADER), 5u << 20, "at most a few MiB stay");
	skb_cache_drain();
}

Test(skbuff, a_fragment_keeps_its_buffer_until_the_frame_is_freed)
{
	struct sk_buff *seg[3], *frame, *copy, *reuse;
	unsigned int cached;
	uint8_t want[3 * 1000];

	skb_cache_drain();
	for (int i = 0; i < 3; i++) {
		seg[i] = alloc_skb(1448);
		cr_assert_not_null(seg[i]);
		for (int b = 0; b < 1000; b++)
			want[i * 1000 + b] = skb_put(seg[i], 1)[0] = (uint8_t)(i * 31 + b * 7);
	}
	frame = alloc_skb_frags(60, 3);
	cr_assert_not_null(frame);
	skb_reserve(frame, 60);
	memset(skb_push(frame, 20), 0xee, 20); /* a header in the linear part */
	for (int i = 0; i < 3; i++)
		cr_assert(skb_add_frag(frame, seg[i], seg[i]->data, seg[i]->len));
	cr_assert_not(skb_add_frag(frame, seg[0], seg[0]->data, 1), "room for 3 fragments only");
	cr_assert_eq(frame->len, 20 + 3000);
	cr_assert_eq(skb_headlen(frame), 20);
	cr_assert(skb_is_nonlinear(frame));

	/* The owners let go (an ACK): nothing is freed, nothing reaches the cache. */
	cached = skb_cache_count(1448);
	for (int i = 0; i < 3; i++)
		kfree_skb(seg[i]);
	cr_assert_eq(skb_cache_count(1448), cached, "a buffer a frame points at was recycled");
	for (int i = 0; i < 3; i++)
		cr_assert_eq(frame->frags[i].owner->users, 1);
	/* New allocations cannot be handed those buffers: the bytes stay. */
	reuse = alloc_skb(1448);
	cr_assert_not_null(reuse);
	memset(skb_put(reuse, 1448), 0, 1448);

	copy = skb_copy(frame);
	cr_assert_not_null(copy);
	cr_assert_not(skb_is_nonlinear(copy));
	cr_assert_eq(copy->len, 3020);
	cr_assert_eq(copy->data[0], 0xee);
	cr_assert(memcmp(copy->data + 20, want, sizeof(want)) == 0, "the copy's payload differs");
	kfree_skb(copy);

	frame = skb_linearize(frame);
	cr_assert_not_null(frame);
	cr_assert_not(skb_is_nonlinear(frame));
	cr_assert(memcmp(frame->data + 20, want, sizeof(want)) == 0);
	/* The fragmented frame (small too) went with its references: all four are free now. */
	cr_assert_eq(skb_cache_count(1448), cached + 4);
	kfree_skb(frame);
	kfree_skb(reuse);
	skb_cache_drain();
}

Test(skbuff, the_last_freed_is_taken_first_across_a_full_cache)
{
	enum { N = 1100 }; /* more small buffers than the cache keeps */
	static struct sk_buff *skbs[N];
	unsigned int kept;

	skb_cache_drain();
	for (int i = 0; i < N; i++)
		cr_assert_not_null(skbs[i] = alloc_skb(1500));
	for (int i = 0; i < N; i++)
		kfree_skb(skbs[i]);
	kept = skb_cache_count(1500);
	cr_assert_lt(kept, (unsigned int)N, "the cache is bounded");
	/* Still in cache: the most recently freed come back first (their lines are warm). */
	for (unsigned int i = 0; i < kept; i++) {
		struct sk_buff *skb = alloc_skb(1500);

		cr_assert_eq(skb, skbs[kept - 1 - i], "pop %u", i);
		assert_fresh(skb, 1500);
	}
	cr_assert_eq(skb_cache_count(1500), 0);
	for (unsigned int i = 0; i < kept; i++)
		kfree_skb(skbs[i]);
	skb_cache_drain();
}
