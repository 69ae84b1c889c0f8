// SPDX-License-Identifier: MIT
/*
 * The in-memory wire between two stacks for unit tests. A frame sent on one
 * side is copied into a list ordered by delivery time (send time + delay)
 * and handed to the other side's netif_receive_skb when mem_link_deliver()
 * reaches that time. Loss, reordering (one extra delay, at least 1 ms) and
 * duplication come from a seeded xorshift generator, so a test with the same
 * seed sees the same wire every run. An optional filter lets a test drop or
 * observe chosen frames. No system calls, no real time.
 *
 * The devices offer GSO as a veth does (gso_max_size 64 KiB), so TCP sends
 * large segments through the same path as over AF_PACKET; the wire cuts
 * each into MSS-sized frames in software (skb_gso_segment), so the peer,
 * the filter and the impairment see only wire-sized, fully checksummed
 * frames, each one lost, delayed or duplicated on its own.
 *
 * A bottleneck rate (rate_bps) serializes each side's frames at that rate
 * ahead of the delay, behind a drop-tail queue of queue_bytes, as a
 * rate-limited router port: what congestion control tests need to see a
 * bandwidth plateau and queueing delay.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net_namespace.h"
#include "netdevice.h"

struct mem_frame {
	struct mem_frame *next;
	uint64_t due;
	uint64_t seq; /* ties keep the sending order */
	int to;
	unsigned int len;
	uint8_t data[];
};

struct mem_link {
	struct mem_link_impair imp;
	uint32_t rng;
	uint64_t seq;
	uint64_t dropped;
	struct mem_frame *frames; /* sorted by (due, seq) */
	uint64_t busy_until[2];	  /* the bottleneck of each side sends until then */
	struct net_device dev[2];
	int (*filter)(void *arg, int side, const uint8_t *frame, unsigned int len);
	void *filter_arg;
};

static uint32_t mem_rand(struct mem_link *l)
{
	uint32_t x = l->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	l->rng = x;
	return x;
}

static int mem_chance(struct mem_link *l, unsigned int pct)
{
	return pct && mem_rand(l) % 100 < pct;
}

static void mem_enqueue(struct mem_link *l, int to, uint64_t due, const uint8_t *data,
			unsigned int len)
{
	struct mem_frame *f = malloc(sizeof(*f) + len), **pp;

	if (!f) {
		l->dropped++;
		return;
	}
	f->due = due;
	f->seq = l->seq++;
	f->to = to;
	f->len = len;
	memcpy(f->data, data, len);
	for (pp = &l->frames; *pp && (*pp)->due <= due; pp = &(*pp)->next)
		;
	f->next = *pp;
	*pp = f;
}

/* One wire frame: the filter, then the impairment, then the queue. */
static void mem_wire_xmit(struct mem_link *l, int side, uint64_t now, const struct sk_buff *skb)
{
	uint64_t due = now + l->imp.delay_ns;

	if ((l->filter && !l->filter(l->filter_arg, side, skb->data, skb->len)) ||
	    mem_chance(l, l->imp.loss_pct)) {
		l->dropped++;
		return;
	}
	if (l->imp.rate_bps) {
		uint64_t start = l->busy_until[side] > now ? l->busy_until[side] : now;
		uint64_t backlog = (start - now) * l->imp.rate_bps / 8 / NSEC_PER_SEC;

		if (l->imp.queue_bytes && backlog + skb->len > l->imp.queue_bytes) {
			l->dropped++; /* tail drop */
			return;
		}
		l->busy_until[side] =
			start + (uint64_t)skb->len * 8 * NSEC_PER_SEC / l->imp.rate_bps;
		due = l->busy_until[side] + l->imp.delay_ns;
	}
	if (mem_chance(l, l->imp.reorder_pct))
		due += l->imp.delay_ns > NSEC_PER_MSEC ? l->imp.delay_ns : NSEC_PER_MSEC;
	mem_enqueue(l, !side, due, skb->data, skb->len);
	if (mem_chance(l, l->imp.dup_pct))
		mem_enqueue(l, !side, due, skb->data, skb->len);
}

static int mem_start_xmit(struct net_device *dev, struct sk_buff *skb)
{
	struct mem_link *l = dev->priv;
	int side = (int)(dev - l->dev);
	uint64_t now = dev->net ? dev->net->now : 0;
	struct sk_buff_head segs;
	struct sk_buff *seg;

	/* A device that gathers (dev->sg) reads each fragment where it lies. */
	skb = skb_linearize(skb);
	if (!skb) {
		l->dropped++;
		return 0;
	}
	if (!skb->gso_size) {
		skb_checksum_help(skb); /* the device's checksum offload */
		mem_wire_xmit(l, side, now, skb);
		kfree_skb(skb);
		return 0;
	}
	skb_queue_head_init(&segs);
	if (skb_gso_segment(skb, &segs) < 0)
		l->dropped++; /* as a device drops a GSO frame it cannot cut */
	while ((seg = __skb_dequeue(&segs)) != NULL) {
		mem_wire_xmit(l, side, now, seg);
		kfree_skb(seg);
	}
	kfree_skb(skb);
	return 0;
}

void mem_link_set_delay(struct mem_link *l, uint64_t delay_ns)
{
	l->imp.delay_ns = delay_ns;
}

static int mem_poll(struct net_device *dev, int budget)
{
	/* Delivery is driven by mem_link_deliver() and the virtual clock. */
	return 0;
}

static const struct net_device_ops mem_netdev_ops = {
	.ndo_start_xmit = mem_start_xmit,
	.ndo_poll = mem_poll,
};

struct mem_link *mem_link_create(const struct mem_link_impair *imp)
{
	struct mem_link *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	if (imp)
		l->imp = *imp;
	l->rng = l->imp.seed ? l->imp.seed : 0x9e3779b9u;
	for (int i = 0; i < 2; i++) {
		struct net_device *dev = &l->dev[i];

		dev->name[0] = 'm';
		dev->name[1] = 'e';
		dev->name[2] = 'm';
		dev->name[3] = (char)('0' + i);
		dev->mtu = 1500;
		dev->gso_max_size = 65536;
		dev->ifindex = i + 2;
		dev->fd = -1;
		dev->netdev_ops = &mem_netdev_ops;
		dev->priv = l;
	}
	return l;
}

struct net_device *mem_link_dev(struct mem_link *l, int side, const uint8_t mac[ETH_ALEN])
{
	struct net_device *dev = &l->dev[side & 1];

	memcpy(dev->dev_addr, mac, ETH_ALEN);
	return dev;
}

int mem_link_deliver(struct mem_link *l, uint64_t now)
{
	/* Frames sent while delivering wait for the next call, even if due now. */
	uint64_t cutoff = l->seq;
	int n = 0;

	while (l->frames && l->frames->due <= now && l->frames->seq < cutoff) {
		struct mem_frame *f = l->frames;
		struct net *net = l->dev[f->to].net;
		struct sk_buff *skb;

		l->frames = f->next;
		skb = net ? alloc_skb(f->len + NET_IP_ALIGN) : NULL;
		if (skb) {
			skb_reserve(skb, NET_IP_ALIGN);
			memcpy(skb_put(skb, f->len), f->data, f->len);
			net_set_time(net, now);
			netif_receive_skb(net, skb);
			n++;
		} else {
			l->dropped++;
		}
		free(f);
	}
	return n;
}

uint64_t mem_link_next(const struct mem_link *l)
{
	return l->frames ? l->frames->due : UINT64_MAX;
}

uint64_t mem_link_dropped(const struct mem_link *l)
{
	return l->dropped;
}

void mem_link_set_filter(struct mem_link *l,
			 int (*filter)(void *arg, int side, const uint8_t *frame, unsigned int len),
			 void *arg)
{
	l->filter = filter;
	l->filter_arg = arg;
}

void mem_link_destroy(struct mem_link *l)
{
	if (!l)
		return;
	while (l->frames) {
		struct mem_frame *f = l->frames;

		l->frames = f->next;
		free(f);
	}
	free(l);
}
