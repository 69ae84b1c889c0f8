// SPDX-License-Identifier: MIT
/*
 * IPv4 reassembly, as net/ipv4/ip_fragment.c with its defaults: a queue per
 * (source, destination, id, protocol) holds fragments sorted by offset until
 * the first and last have come and no hole is left, then one skb carries the
 * whole datagram on to local delivery. A queue lives ipfrag_time (30 s);
 * when it expires with its first fragment in, the sender gets an ICMP time
 * exceeded (fragment reassembly). All queues together hold at most
 * ipfrag_high_thresh (4 MiB); beyond, new fragments are dropped.
 * Overlapping fragments drop the whole datagram (RFC 5722, as Linux does
 * for IPv4 too); an exact duplicate is dropped alone.
 *
 * Counters: ReasmReqds per fragment, ReasmOKs per datagram rebuilt,
 * ReasmFails per datagram or fragment given up, ReasmTimeout.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "icmp.h"
#include "ip.h"
#include "net_namespace.h"

#define IPFRAG_TIME	   (30 * NSEC_PER_SEC)
#define IPFRAG_HIGH_THRESH (4u << 20)
#define IPQ_MAX		   64 /* queues in flight at once */

#define FRAG_FIRST_IN 1
#define FRAG_LAST_IN  2

struct ipq {
	struct ipq *next;
	struct net *net;
	uint32_t saddr, daddr;
	uint16_t id;
	uint8_t protocol;
	uint8_t flags;
	unsigned int len;  /* total payload length, known once the last fragment is in */
	unsigned int meat; /* payload bytes received */
	uint64_t mem;
	struct sk_buff_head frags; /* sorted by offset; each skb->data at its IP header */
	struct timer_list timer;
};

/* Per-fragment bookkeeping while queued, after IPCB (kept for the ICMP answers). */
struct ipfrag_cb {
	struct inet_skb_parm h4;
	unsigned int offset, end;
};
#define FRAG_CB(skb) ((struct ipfrag_cb *)(skb)->cb)

static void ipq_kill(struct net *net, struct ipq *q)
{
	struct ipq **pp;

	for (pp = &net->ipfrags; *pp; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	}
	del_timer(&net->timers, &q->timer);
	net->ipfrag_mem -= q->mem;
	__skb_queue_purge(&q->frags);
	free(q);
}

static void ip_expire(struct timer_list *t)
{
	struct ipq *q = from_timer(q, t, timer);
	struct net *net = q->net;
	struct sk_buff *head = skb_peek(&q->frags);

	__IP_INC_STATS(net, ReasmTimeout);
	__IP_INC_STATS(net, ReasmFails);
	/* RFC 792: tell the sender, but only if fragment zero arrived. */
	if ((q->flags & FRAG_FIRST_IN) && head && FRAG_CB(head)->offset == 0)
		icmp_send(net, head, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, 0);
	ipq_kill(net, q);
}

static struct ipq *ipq_find(struct net *net, const struct iphdr *iph)
{
	struct ipq *q;
	unsigned int n = 0;

	for (q = net->ipfrags; q; q = q->next, n++)
		if (q->id == iph->id && q->saddr == iph->saddr && q->daddr == iph->daddr &&
		    q->protocol == iph->protocol)
			return q;
	if (n >= IPQ_MAX)
		return NULL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->net = net;
	q->saddr = iph->saddr;
	q->daddr = iph->daddr;
	q->id = iph->id;
	q->protocol = iph->protocol;
	skb_queue_head_init(&q->frags);
	timer_setup(&q->timer, ip_expire);
	mod_timer(&net->timers, &q->timer, net->now + IPFRAG_TIME);
	q->next = net->ipfrags;
	net->ipfrags = q;
	return q;
}

/* Builds the whole datagram: the first fragment's header, then every payload. */
static struct sk_buff *ip_frag_reasm(struct net *net, struct ipq *q)
{
	struct sk_buff *first = skb_peek(&q->frags), *skb, *f;
	unsigned int ihl = ((const struct iphdr *)first->data)->ihl * 4u, max_size = 0;
	struct iphdr *iph;
	uint8_t *p;

	if (ihl + q->len > 65535)
		return NULL;
	skb = alloc_skb(ihl + q->len);
	if (!skb)
		return NULL;
	p = skb_put(skb, ihl + q->len);
	memcpy(p, first->data, ihl);
	skb_queue_walk (&q->frags, f) {
		unsigned int fihl = ((const struct iphdr *)f->data)->ihl * 4u;

		memcpy(p + ihl + FRAG_CB(f)->offset, f->data + fihl,
		       FRAG_CB(f)->end - FRAG_CB(f)->offset);
		if (f->len > max_size)
			max_size = f->len;
	}
	skb_reset_network_header(skb);
	*IPCB(skb) = *IPCB(first); /* the first fragment's options, at the same offsets */
	/* IP_RECVFRAGSIZE's value (the kernel's q.max_size, DF or not). */
	IPCB(skb)->frag_max_size = (uint16_t)max_size;
	skb->dev = first->dev;
	skb->pkt_type = first->pkt_type;
	skb->protocol = first->protocol;
	skb->tstamp = net->now;
	iph = (struct iphdr *)p;
	iph->tot_len = htons((uint16_t)(ihl + q->len));
	iph->frag_off = 0;
	iph->check = 0;
	iph->check = ip_fast_csum(iph, iph->ihl);
	return skb;
}

struct sk_buff *ip_defrag(struct net *net, struct sk_buff *skb)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	unsigned int ihl = iph->ihl * 4u;
	unsigned int flags = ntohs(iph->frag_off);
	unsigned int offset = (flags & IP_OFFMASK) * 8u;
	unsigned int end = offset + skb->len - ihl;
	struct sk_buff *prev = NULL, *f, *whole;
	struct ipq *q;

	__IP_INC_STATS(net, ReasmReqds);
	if (end > 65535 - ihl || net->ipfrag_mem + skb->len > IPFRAG_HIGH_THRESH)
		goto fail;
	q = ipq_find(net, iph);
	if (!q)
		goto fail;

	if (!(flags & IP_MF)) {
		/* The last fragment fixes the length; it may not disagree. */
		if (end < q->len || ((q->flags & FRAG_LAST_IN) && end != q->len))
			goto fail_queue;
		q->flags |= FRAG_LAST_IN;
		q->len = end;
	} else {
		/* Every fragment but the last carries a multiple of 8 bytes. */
		if (end & 7)
			goto fail_queue;
		if (end > q->len) {
			if (q->flags & FRAG_LAST_IN)
				goto fail_queue;
			q->len = end;
		}
	}
	if (end == offset)
		goto fail_queue;

	/* Insert sorted by offset; any overlap but an exact duplicate kills the queue. */
	skb_queue_walk (&q->frags, f) {
		if (FRAG_CB(f)->offset >= end)
			break;
		if (FRAG_CB(f)->end <= offset) {
			prev = f;
			continue;
		}
		if (FRAG_CB(f)->offset == offset && FRAG_CB(f)->end == end) {
			kfree_skb(skb); /* duplicate */
			return NULL;
		}
		goto fail_queue;
	}
	FRAG_CB(skb)->offset = offset;
	FRAG_CB(skb)->end = end;
	if (prev)
		__skb_queue_after(&q->frags, prev, skb);
	else
		__skb_queue_head(&q->frags, skb);
	q->meat += end - offset;
	q->mem += skb->len;
	net->ipfrag_mem += skb->len;
	if (offset == 0)
		q->flags |= FRAG_FIRST_IN;

	if (q->flags != (FRAG_FIRST_IN | FRAG_LAST_IN) || q->meat != q->len)
		return NULL;
	whole = ip_frag_reasm(net, q);
	ipq_kill(net, q);
	if (!whole) {
		__IP_INC_STATS(net, ReasmFails);
		return NULL;
	}
	__IP_INC_STATS(net, ReasmOKs);
	return whole;

fail_queue:
	ipq_kill(net, q);
fail:
	__IP_INC_STATS(net, ReasmFails);
	kfree_skb(skb);
	return NULL;
}

void ip_defrag_exit(struct net *net)
{
	while (net->ipfrags)
		ipq_kill(net, net->ipfrags);
}
