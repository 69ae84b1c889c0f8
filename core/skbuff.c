// SPDX-License-Identifier: MIT
/*
 * Frame buffer allocation. Buffers of the common size (enough for a 64 KiB
 * GSO segment plus headers would waste memory per idle socket, so the common
 * size is one jumbo-less frame) are recycled through a per-thread free list:
 * the stack host's event loop then allocates nothing per packet in the steady
 * state. Larger requests go straight to malloc.
 */
#include "skbuff.h"

#include <stdlib.h>
#include <string.h>

/* Room for a 1500-byte MTU frame with its headers and VNET header slack. */
#define SKB_SMALL_SIZE 2048u
#define SKB_CACHE_MAX  1024u

static __thread struct sk_buff *skb_cache;
static __thread unsigned int skb_cache_len;

struct sk_buff *alloc_skb(unsigned int size)
{
	unsigned int total = size + MAX_HEADER;
	struct sk_buff *skb;
	uint8_t *head;

	if (total <= SKB_SMALL_SIZE && skb_cache) {
		skb = skb_cache;
		skb_cache = skb->next;
		skb_cache_len--;
		head = skb->head;
		total = skb->end;
	} else {
		if (total <= SKB_SMALL_SIZE)
			total = SKB_SMALL_SIZE;
		skb = malloc(sizeof(*skb) + total);
		if (!skb)
			return NULL;
		head = (uint8_t *)(skb + 1);
	}
	memset(skb, 0, offsetof(struct sk_buff, cb) + sizeof(skb->cb));
	skb->head = head;
	skb->end = total;
	skb->data = head + MAX_HEADER;
	return skb;
}

void kfree_skb(struct sk_buff *skb)
{
	if (!skb)
		return;
	if (skb->end == SKB_SMALL_SIZE && skb_cache_len < SKB_CACHE_MAX) {
		skb->next = skb_cache;
		skb_cache = skb;
		skb_cache_len++;
		return;
	}
	free(skb);
}

void skb_cache_drain(void)
{
	while (skb_cache) {
		struct sk_buff *skb = skb_cache;

		skb_cache = skb->next;
		free(skb);
	}
	skb_cache_len = 0;
}

struct sk_buff *skb_copy(const struct sk_buff *skb)
{
	unsigned int headroom = skb_headroom(skb);
	struct sk_buff *n = alloc_skb(skb->end > MAX_HEADER ? skb->end - MAX_HEADER : 0);

	if (!n)
		return NULL;
	/* Keep the same headroom so that the header offsets stay valid. */
	n->data = n->head + headroom;
	memcpy(n->head, skb->head, headroom + skb->len);
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
	memcpy(n->cb, skb->cb, sizeof(n->cb));
	return n;
}

void __skb_queue_purge(struct sk_buff_head *list)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(list)) != NULL)
		kfree_skb(skb);
}
