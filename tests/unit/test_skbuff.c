// SPDX-License-Identifier: MIT
/*
 * The frame cache (core/skbuff.c): a freed buffer of either size class comes
 * back from the next allocation of that class, clean and with the full
 * room; buffers of other sizes are not kept; the cache is bounded.
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
