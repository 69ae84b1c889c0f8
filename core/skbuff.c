// SPDX-License-Identifier: MIT
/*
 * Frame buffer allocation. Buffers come in two sizes, each recycled through
 * a per-thread free list (a frame cache, as the kernel's skbuff_head_cache
 * and page frag caches): the stack host's event loop then allocates
 * nothing per packet in the steady state, whatever the frame size.
 *
 *  - small: one frame of a 1500-byte MTU with its headers; most buffers
 *    (ACKs, MTU-sized segments, control) are this size, and an idle socket
 *    holds nothing bigger;
 *  - large: any frame up to 64 KiB (a GSO segment, a TSO/GRO frame received
 *    whole, an MSS-sized segment at MTU 65535). Handing these to malloc
 *    and free each time costs far more than the copy into them: glibc
 *    gives the top of the heap back (brk) and takes it again, and each
 *    new page is faulted in and zeroed (measured: 40% of the host's CPU
 *    while sending at MTU 65535, README "Measured").
 *
 * A frame's fragments hold references on the buffers they point into
 * (kfree_skb drops them with the frame's own last reference).
 *
 * A bulk transfer keeps at most SKB_LARGE_CACHE_MAX large buffers (4 MiB)
 * after it ends; anything between the sizes, or above them, goes straight
 * to malloc and free.
 */
#include "skbuff.h"

#include <stdlib.h>
#include <string.h>

/* Room for a 1500-byte MTU frame with its headers and VNET header slack. */
#define SKB_SMALL_SIZE	    2048u
#define SKB_SMALL_CACHE_MAX 1024u
/* A 64 KiB IP packet, Ethernet and VLAN header, alignment and headroom. */
#define SKB_LARGE_SIZE	    (65536u + 64u + MAX_HEADER)
#define SKB_LARGE_CACHE_MAX 64u

/*
 * A stack of freed buffers in an array, not a list threaded through them:
 * taking one then reads no freed buffer's header. A bulk sender frees
 * the segments an ACK covered and takes buffers again for the next read
 * from the pair only after the round's copies (sendmmsg, readv) have
 * pushed those headers out of the cache, so a list's pop waited on one
 * cold line per segment, each load depending on the last (10% of the
 * host while sending at MTU 1500, README "Where the time goes"). The
 * array's slots are hot, and the header of a buffer a few pops ahead is
 * fetched while this one is filled.
 */
struct skb_cache {
	struct sk_buff **stack; /* max slots, allocated at the first buffer kept */
	unsigned int len;
	unsigned int size; /* skb->end of every buffer on the stack */
	unsigned int max;
};

/*
 * The interposer links this file too, so every thread of a program it is
 * loaded into has these: the stacks (8 KiB) are on the heap, taken when a
 * thread first keeps a buffer, not in every thread's static TLS.
 */
static __thread struct skb_cache skb_caches[2] = {
	{.size = SKB_SMALL_SIZE, .max = SKB_SMALL_CACHE_MAX},
	{.size = SKB_LARGE_SIZE, .max = SKB_LARGE_CACHE_MAX},
};

/*
 * How many pops ahead a buffer's header is fetched: a sender takes buffers
 * back to back (tcp_send_iov), and one pop is shorter than a miss.
 */
#define SKB_PREFETCH_AHEAD 4u

/* Asks for the lines alloc_skb's memset writes. */
static void skb_prefetch_header(const struct sk_buff *skb)
{
	for (size_t off = 0; off < sizeof(*skb); off += 64)
		__builtin_prefetch((const uint8_t *)skb + off, 1);
}

/* The class a total size is rounded up to, NULL for a size above both. */
static struct skb_cache *skb_cache_for(unsigned int total)
{
	for (unsigned int i = 0; i < 2; i++)
		if (total <= skb_caches[i].size)
			return &skb_caches[i];
	return NULL;
}

struct sk_buff *alloc_skb(unsigned int size)
{
	unsigned int total = size + MAX_HEADER;
	struct skb_cache *c;
	struct sk_buff *skb;

	if (total < size)
		return NULL; /* wrapped */
	c = skb_cache_for(total);
	if (c && c->len) {
		skb = c->stack[--c->len];
		if (c->len >= SKB_PREFETCH_AHEAD)
			skb_prefetch_header(c->stack[c->len - SKB_PREFETCH_AHEAD]);
	} else {
		if (c)
			total = c->size;
		skb = malloc(sizeof(*skb) + total);
		if (!skb)
			return NULL;
	}
	memset(skb, 0, offsetof(struct sk_buff, cb) + sizeof(skb->cb));
	skb->users = 1;
	skb->head = (uint8_t *)(skb + 1);
	skb->end = c ? c->size : total;
	skb->data = skb->head + MAX_HEADER;
	INIT_LIST_HEAD(&skb->tcp_tsorted_anchor);
	return skb;
}

struct sk_buff *alloc_skb_frags(unsigned int size, unsigned int max_frags)
{
	/* The array sits past the room, 8-aligned (head and MAX_HEADER are). */
	unsigned int room = (size + 7u) & ~7u;
	struct sk_buff *skb;

	if (room < size || max_frags > UINT16_MAX)
		return NULL;
	skb = alloc_skb(room + max_frags * (unsigned int)sizeof(struct skb_frag));
	if (!skb)
		return NULL;
	skb->frags = (struct skb_frag *)(skb->head + MAX_HEADER + room);
	skb->frags_max = (uint16_t)max_frags;
	return skb;
}

bool skb_add_frag(struct sk_buff *skb, struct sk_buff *owner, const uint8_t *p, uint32_t len)
{
	if (skb->nr_frags == skb->frags_max)
		return false;
	skb->frags[skb->nr_frags++] =
		(struct skb_frag){.owner = skb_get(owner), .p = p, .len = len};
	skb->len += len;
	skb->data_len += len;
	return true;
}

void kfree_skb(struct sk_buff *skb)
{
	struct skb_cache *c;

	if (!skb || --skb->users)
		return;
	for (unsigned int i = 0; i < skb->nr_frags; i++)
		kfree_skb(skb->frags[i].owner);
	c = skb_cache_for(skb->end);
	if (c && skb->end == c->size && c->len < c->max) {
		if (!c->stack)
			c->stack = malloc(c->max * sizeof(*c->stack));
		if (c->stack) {
			c->stack[c->len++] = skb;
			return;
		}
	}
	free(skb);
}

unsigned int skb_cache_count(unsigned int size)
{
	struct skb_cache *c = skb_cache_for(size + MAX_HEADER);

	return c ? c->len : 0;
}

void skb_cache_drain(void)
{
	for (unsigned int i = 0; i < 2; i++) {
		struct skb_cache *c = &skb_caches[i];

		while (c->len)
			free(c->stack[--c->len]);
		free(c->stack);
		c->stack = NULL;
	}
}

struct sk_buff *skb_copy(const struct sk_buff *skb)
{
	return skb_copy_expand(skb, 0);
}

struct sk_buff *skb_copy_expand(const struct sk_buff *skb, unsigned int tailroom)
{
	unsigned int headroom = skb_headroom(skb), need = headroom + skb->len + tailroom;
	unsigned int size = skb->end > need ? skb->end : need;
	struct sk_buff *n = alloc_skb(size > MAX_HEADER ? size - MAX_HEADER : 0);
	uint8_t *to;

	if (!n)
		return NULL;
	/* Keep the same headroom so that the header offsets stay valid. */
	n->data = n->head + headroom;
	memcpy(n->head, skb->head, headroom + skb_headlen(skb));
	to = n->data + skb_headlen(skb);
	for (unsigned int i = 0; i < skb->nr_frags; i++) {
		memcpy(to, skb->frags[i].p, skb->frags[i].len);
		to += skb->frags[i].len;
	}
	n->len = skb->len;
	n->sk = skb->sk;
	n->dev = skb->dev;
	n->mac_header = skb->mac_header;
	n->network_header = skb->network_header;
	n->transport_header = skb->transport_header;
	n->protocol = skb->protocol;
	n->pkt_type = skb->pkt_type;
	n->ip_summed = skb->ip_summed;
	n->csum_start = skb->csum_start;
	n->csum_offset = skb->csum_offset;
	n->gso_size = skb->gso_size;
	n->gso_segs = skb->gso_segs;
	n->tstamp = skb->tstamp;
	n->truesize = skb->truesize;
	n->rx = skb->rx;
	n->tx_flags = skb->tx_flags;
	n->tskey = skb->tskey;
	memcpy(n->cb, skb->cb, sizeof(n->cb));
	return n;
}

struct sk_buff *skb_linearize(struct sk_buff *skb)
{
	struct sk_buff *n;

	if (!skb_is_nonlinear(skb))
		return skb;
	n = skb_copy(skb);
	kfree_skb(skb);
	return n;
}

void __skb_queue_purge(struct sk_buff_head *list)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(list)) != NULL)
		kfree_skb(skb);
}
