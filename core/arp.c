// SPDX-License-Identifier: MIT
/*
 * ARP over Ethernet and the neighbour table of the stack's one device.
 *
 * States and timings follow net/core/neighbour.c with the defaults of
 * arp_tbl: an unknown neighbour is INCOMPLETE while up to 3 broadcast probes
 * go out 1 s apart, with the packets for it held in a queue (the
 * oldest dropped beyond ARP_QUEUE_BYTES, counted as ArpQueueDrops); when the
 * probes run out it is FAILED, its queue is dropped and each sender hears
 * "host unreachable" through its transport's err_handler (the kernel gets
 * there by an ICMP to itself; calling the handler directly is the same
 * outcome without the round trip). A reply makes it REACHABLE for a random
 * 15-45 s; after that it is STALE: still used, but the first use starts
 * DELAY (5 s) and then up to 3 unicast probes (PROBE) before FAILED.
 * Programs set, read and delete entries with SIOCSARP, SIOCGARP and
 * SIOCDARP (arp_ioctl); a permanent entry (ATF_PERM) has no timer. A
 * published one (ATF_PUBL) is a pneigh entry beside the table, never
 * answered (arp.h says why).
 * Entries unused for 60 s and not being resolved are collected.
 *
 * Malformed frames are dropped and counted as RxErrors, never trusted.
 */
#include "arp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_arp.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ethernet.h"
#include "igmp.h"
#include "ip.h"
#include "net.h"
#include "net_namespace.h"
#include "protocol.h"

/* The Ethernet/IPv4 ARP packet (RFC 826), 28 bytes. */
struct arp_eth {
	uint16_t ar_hrd, ar_pro;
	uint8_t ar_hln, ar_pln;
	uint16_t ar_op;
	uint8_t ar_sha[ETH_ALEN];
	uint8_t ar_sip[4];
	uint8_t ar_tha[ETH_ALEN];
	uint8_t ar_tip[4];
} __attribute__((packed));

static uint32_t neigh_hash(uint32_t ip)
{
	return (ip * 2654435761u) >> 26; /* 6 bits: NEIGH_HASH_SIZE */
}

static uint64_t neigh_rand_reach_time(struct neigh_table *tbl)
{
	/* xorshift32: deterministic for a given seed, cheap, good enough to spread probes. */
	uint32_t x = tbl->rand_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	tbl->rand_state = x;
	return ARP_BASE_REACHABLE_TIME / 2 + (uint64_t)x % ARP_BASE_REACHABLE_TIME;
}

static void arp_send(struct net *net, int op, const uint8_t *dest_hw, uint32_t tip,
		     const uint8_t *tha, uint32_t sip)
{
	struct sk_buff *skb = alloc_skb(sizeof(struct arp_eth));
	struct arp_eth *arp;

	if (!skb)
		return;
	arp = (struct arp_eth *)skb_put(skb, sizeof(*arp));
	arp->ar_hrd = htons(ARPHRD_ETHER);
	arp->ar_pro = htons(ETH_P_IP);
	arp->ar_hln = ETH_ALEN;
	arp->ar_pln = 4;
	arp->ar_op = htons((uint16_t)op);
	memcpy(arp->ar_sha, net->mac, ETH_ALEN);
	memcpy(arp->ar_sip, &sip, 4);
	if (tha)
		memcpy(arp->ar_tha, tha, ETH_ALEN);
	else
		memset(arp->ar_tha, 0, ETH_ALEN);
	memcpy(arp->ar_tip, &tip, 4);
	if (op == ARPOP_REQUEST)
		__LINK_INC_STATS(net, ArpRequestsOut);
	else
		__LINK_INC_STATS(net, ArpRepliesOut);
	eth_output(net, skb, dest_hw, ETH_P_ARP);
}

void arp_send_gratuitous(struct net *net)
{
	arp_send(net, ARPOP_REQUEST, eth_broadcast_addr, net->addr, NULL, net->addr);
}

/* A probe: broadcast while INCOMPLETE, unicast to the cached address in PROBE. */
static void arp_solicit(struct neighbour *n)
{
	struct net *net = n->tbl->net;
	const uint8_t *dst = n->nud_state == NUD_PROBE ? n->ha : eth_broadcast_addr;

	arp_send(net, ARPOP_REQUEST, dst, n->primary_key, NULL, net->addr);
	n->probes++;
}

struct neighbour *neigh_lookup(struct neigh_table *tbl, uint32_t ip)
{
	struct neighbour *n;

	for (n = tbl->hash[neigh_hash(ip)]; n; n = n->next)
		if (n->primary_key == ip)
			return n;
	return NULL;
}

static void neigh_free(struct neighbour *n)
{
	del_timer(&n->tbl->net->timers, &n->timer);
	__skb_queue_purge(&n->arp_queue);
	free(n);
}

/*
 * Removes entries that are not being resolved and have not been used for
 * staletime; returns how many.
 */
static unsigned int neigh_forced_gc(struct neigh_table *tbl, uint64_t staletime)
{
	uint64_t now = tbl->net->now;
	unsigned int removed = 0;

	for (unsigned int i = 0; i < NEIGH_HASH_SIZE; i++) {
		struct neighbour **np = &tbl->hash[i], *n;

		while ((n = *np) != NULL) {
			if (!(n->nud_state &
			      (NUD_INCOMPLETE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT)) &&
			    now - n->used >= staletime) {
				*np = n->next;
				neigh_free(n);
				tbl->entries--;
				removed++;
				continue;
			}
			np = &n->next;
		}
	}
	return removed;
}

static void neigh_periodic_work(struct timer_list *t)
{
	struct neigh_table *tbl = from_timer(tbl, t, gc_timer);

	neigh_forced_gc(tbl, ARP_GC_STALETIME);
	tbl->reachable_time = neigh_rand_reach_time(tbl);
	/* Only while there is something to collect, so that an idle stack has no timers. */
	if (tbl->entries)
		mod_timer(&tbl->net->timers, &tbl->gc_timer, tbl->net->now + ARP_GC_STALETIME / 2);
}

static void neigh_timer_handler(struct timer_list *t);

static struct neighbour *neigh_create(struct neigh_table *tbl, uint32_t ip)
{
	struct net *net = tbl->net;
	struct neighbour *n;
	uint32_t h = neigh_hash(ip);

	if (tbl->entries >= ARP_TABLE_MAX && !neigh_forced_gc(tbl, 0))
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->tbl = tbl;
	n->primary_key = ip;
	n->used = n->updated = net->now;
	skb_queue_head_init(&n->arp_queue);
	timer_setup(&n->timer, neigh_timer_handler);
	n->next = tbl->hash[h];
	tbl->hash[h] = n;
	if (!tbl->entries++ && !timer_pending(&tbl->gc_timer))
		mod_timer(&net->timers, &tbl->gc_timer, net->now + ARP_GC_STALETIME / 2);
	return n;
}

static void neigh_set_state(struct neighbour *n, uint8_t state)
{
	n->nud_state = state;
	n->updated = n->tbl->net->now;
}

static void neigh_add_timer(struct neighbour *n, uint64_t when)
{
	mod_timer(&n->tbl->net->timers, &n->timer, when);
}

static unsigned int neigh_charge(const struct sk_buff *skb)
{
	return skb->len + ARP_SKB_OVERHEAD;
}

static struct sk_buff *neigh_dequeue(struct neighbour *n)
{
	struct sk_buff *skb = __skb_dequeue(&n->arp_queue);

	if (skb)
		n->arp_queue_bytes -= neigh_charge(skb);
	return skb;
}

/* Sends the packets that waited for the address. */
static void neigh_flush_queue(struct net *net, struct neighbour *n)
{
	struct sk_buff *skb;

	while ((skb = neigh_dequeue(n)) != NULL)
		eth_output(net, skb, n->ha, ETH_P_IP);
}

/*
 * Resolution failed: each queued packet's sender learns that the host is
 * unreachable, as arp_error_report() -> icmp_send(ICMP_HOST_UNREACH) would
 * tell it.
 */
static void neigh_invalidate(struct net *net, struct neighbour *n)
{
	struct sk_buff *skb;

	while ((skb = neigh_dequeue(n)) != NULL) {
		const struct iphdr *iph = (const struct iphdr *)skb->data;
		const struct net_protocol *prot;

		skb_reset_network_header(skb);
		skb->transport_header = skb->network_header;
		prot = inet_protos[iph->protocol];
		if (prot && prot->err_handler && skb->len >= (unsigned int)iph->ihl * 4 + 8)
			prot->err_handler(net, skb, ICMP_DEST_UNREACH << 8 | ICMP_HOST_UNREACH);
		__IP_INC_STATS(net, OutDiscards);
		kfree_skb(skb);
	}
}

static void neigh_timer_handler(struct timer_list *t)
{
	struct neighbour *n = from_timer(n, t, timer);
	struct net *net = n->tbl->net;
	uint64_t now = net->now;

	switch (n->nud_state) {
	case NUD_DELAY:
		if (now < n->confirmed + ARP_DELAY_PROBE_TIME) {
			neigh_set_state(n, NUD_REACHABLE);
			return;
		}
		neigh_set_state(n, NUD_PROBE);
		n->probes = 0;
		break;
	case NUD_PROBE:
		if (n->probes >= ARP_UCAST_PROBES) {
			neigh_set_state(n, NUD_FAILED);
			neigh_invalidate(net, n);
			return;
		}
		break;
	case NUD_INCOMPLETE:
		if (n->probes >= ARP_MCAST_PROBES) {
			neigh_set_state(n, NUD_FAILED);
			neigh_invalidate(net, n);
			return;
		}
		break;
	default:
		return;
	}
	arp_solicit(n);
	neigh_add_timer(n, now + ARP_RETRANS_TIME);
}

/*
 * New information about a neighbour (net/core/neighbour.c: __neigh_update).
 * lladdr NULL keeps the cached address. A STALE update that does not change
 * the address does not downgrade a valid entry, and ARP never changes a
 * permanent one (only its owner's SIOCSARP or SIOCDARP does).
 */
static void neigh_update(struct net *net, struct neighbour *n, const uint8_t *lladdr,
			 uint8_t new_state)
{
	uint8_t old = n->nud_state;
	int changed = lladdr && (!(old & NUD_VALID) || !ether_addr_equal(lladdr, n->ha));

	if (old & NUD_PERMANENT)
		return;
	if (lladdr)
		memcpy(n->ha, lladdr, ETH_ALEN);
	if (new_state == NUD_REACHABLE)
		n->confirmed = net->now;
	if (new_state == NUD_STALE && !changed && (old & NUD_VALID))
		return;
	del_timer(&net->timers, &n->timer);
	neigh_set_state(n, new_state);
	n->probes = 0;
	if (new_state & NUD_VALID)
		neigh_flush_queue(net, n);
}

void neigh_forget_sock(struct neigh_table *tbl, const struct sock *sk)
{
	for (unsigned int i = 0; i < NEIGH_HASH_SIZE; i++)
		for (struct neighbour *n = tbl->hash[i]; n; n = n->next)
			for (struct sk_buff *skb = n->arp_queue.next;
			     skb != (struct sk_buff *)&n->arp_queue; skb = skb->next)
				if (skb->sk == sk)
					skb->sk = NULL;
}

/* Queues skb on an unresolved neighbour, dropping the oldest beyond the limit. */
static void neigh_queue(struct net *net, struct neighbour *n, struct sk_buff *skb)
{
	while (!skb_queue_empty(&n->arp_queue) &&
	       n->arp_queue_bytes + neigh_charge(skb) > ARP_QUEUE_BYTES) {
		kfree_skb(neigh_dequeue(n));
		__LINK_INC_STATS(net, ArpQueueDrops);
	}
	n->arp_queue_bytes += neigh_charge(skb);
	__skb_queue_tail(&n->arp_queue, skb);
}

int arp_output(struct net *net, struct sk_buff *skb, uint32_t nexthop)
{
	struct neigh_table *tbl = net->arp_tbl;
	struct neighbour *n;

	if (ip_addr_is_broadcast(net, nexthop))
		return eth_output(net, skb, eth_broadcast_addr, ETH_P_IP);
	if (ipv4_is_multicast(nexthop)) {
		uint8_t mac[ETH_ALEN];

		ip_eth_mc_map(nexthop, mac);
		return eth_output(net, skb, mac, ETH_P_IP);
	}

	n = neigh_lookup(tbl, nexthop);
	if (!n)
		n = neigh_create(tbl, nexthop);
	if (!n) {
		kfree_skb(skb);
		return -ENOBUFS;
	}
	n->used = net->now;

	/* REACHABLE expires lazily: no timer per entry while traffic flows. */
	if (n->nud_state == NUD_REACHABLE && net->now >= n->confirmed + tbl->reachable_time)
		neigh_set_state(n, NUD_STALE);

	switch (n->nud_state) {
	case NUD_STALE:
		neigh_set_state(n, NUD_DELAY);
		neigh_add_timer(n, net->now + ARP_DELAY_PROBE_TIME);
		/* fall through */
	case NUD_PERMANENT:
	case NUD_REACHABLE:
	case NUD_DELAY:
	case NUD_PROBE:
		return eth_output(net, skb, n->ha, ETH_P_IP);
	case NUD_INCOMPLETE:
		neigh_queue(net, n, skb);
		return 0;
	default: /* new or FAILED: start resolving */
		neigh_set_state(n, NUD_INCOMPLETE);
		n->probes = 0;
		neigh_queue(net, n, skb);
		arp_solicit(n);
		neigh_add_timer(n, net->now + ARP_RETRANS_TIME);
		return 0;
	}
}

/*
 * arp_req_set with the device known: the entry takes lladdr (NULL: the one
 * it has, which it must have) as STALE, so that it is used at once and
 * confirmed by a probe later, or as PERMANENT (neigh_update with
 * NEIGH_UPDATE_F_ADMIN: whatever state it was in).
 */
static int arp_req_set(struct net *net, uint32_t ip, const uint8_t *lladdr, bool perm)
{
	struct neighbour *n = neigh_lookup(net->arp_tbl, ip);

	if (!n)
		n = neigh_create(net->arp_tbl, ip);
	if (!n)
		return -ENOBUFS;
	/* __neigh_update: no address given and none known to keep. */
	if (!lladdr && !(n->nud_state & NUD_VALID))
		return -EINVAL;
	if (lladdr)
		memcpy(n->ha, lladdr, ETH_ALEN);
	del_timer(&net->timers, &n->timer);
	neigh_set_state(n, perm ? NUD_PERMANENT : NUD_STALE);
	n->probes = 0;
	neigh_flush_queue(net, n);
	return 0;
}

/*
 * arp_invalidate (forced): the entry fails, what waited on it learns so,
 * and it leaves the table (neigh_remove_one). ENXIO for an entry that was
 * never given a state, which goes too.
 */
static int arp_req_delete(struct net *net, uint32_t ip)
{
	struct neigh_table *tbl = net->arp_tbl;
	struct neighbour *n = neigh_lookup(tbl, ip), **np;
	int err;

	if (!n)
		return -ENXIO;
	err = n->nud_state ? 0 : -ENXIO;
	if (n->nud_state & (NUD_INCOMPLETE | NUD_PROBE))
		neigh_invalidate(net, n);
	for (np = &tbl->hash[neigh_hash(ip)]; *np != n; np = &(*np)->next)
		;
	*np = n->next;
	neigh_free(n);
	tbl->entries--;
	return err;
}

/*
 * pneigh_lookup: the entry for ip on the stack's device (any_dev false),
 * which one for every device matches too, or on no device in particular
 * (any_dev true), which only such an entry matches.
 */
static struct pneigh_entry *__pneigh_lookup(struct neigh_table *tbl, uint32_t ip, bool any_dev)
{
	for (struct pneigh_entry *n = tbl->phash; n; n = n->next)
		if (n->key == ip && (n->any_dev || !any_dev))
			return n;
	return NULL;
}

struct pneigh_entry *pneigh_lookup(struct neigh_table *tbl, uint32_t ip)
{
	return __pneigh_lookup(tbl, ip, false);
}

/*
 * arp_req_set_proxy: the device's proxy_arp setting (any_dev: "all"'s),
 * which the stack has no use for, as it only answers for addresses routed
 * through another device; it is written for the namespace all the same,
 * so that it reads back as after the kernel's SIOCSARP.
 */
static int arp_req_set_proxy(struct net *net, bool any_dev, int on)
{
	if (!net->sysctl.set_devconf)
		return 0;
	return net->sysctl.set_devconf(any_dev ? NULL : net->dev->name, "proxy_arp", on);
}

/*
 * arp_req_set_public once the netmask is known to be 0 or all ones: all
 * ones publishes ip (pneigh_create, which finds an entry that already
 * matches instead), 0 is arp_req_set_proxy. The MAC given names the
 * device (none named: the one with that address, ENODEV if none) and is
 * not kept.
 */
static int arp_req_set_public(struct net *net, const struct arpreq *r, bool any_dev, uint32_t mask)
{
	uint32_t ip = ((const struct sockaddr_in *)&r->arp_pa)->sin_addr.s_addr;
	struct pneigh_entry *n;

	if (any_dev && (r->arp_flags & ATF_COM)) {
		if (r->arp_ha.sa_family != ARPHRD_ETHER ||
		    memcmp(r->arp_ha.sa_data, net->mac, ETH_ALEN))
			return -ENODEV;
		any_dev = false;
	}
	if (!mask)
		return arp_req_set_proxy(net, any_dev, 1);
	if (__pneigh_lookup(net->arp_tbl, ip, any_dev))
		return 0;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOBUFS;
	n->key = ip;
	n->any_dev = any_dev;
	n->next = net->arp_tbl->phash;
	net->arp_tbl->phash = n;
	return 0;
}

/*
 * arp_req_delete_public: all ones removes the entry made for exactly that
 * device or for none (pneigh_delete), ENOENT if there is none; 0 clears
 * proxy_arp (above; no device named: "all"'s, the MAC given names none).
 */
static int arp_req_delete_public(struct net *net, uint32_t ip, bool any_dev, uint32_t mask)
{
	struct pneigh_entry **np, *n;

	if (!mask)
		return arp_req_set_proxy(net, any_dev, 0);
	for (np = &net->arp_tbl->phash; (n = *np) != NULL; np = &n->next) {
		if (n->key == ip && n->any_dev == any_dev) {
			*np = n->next;
			free(n);
			return 0;
		}
	}
	return -ENOENT;
}

/* arp_req_get: any entry the table still holds, its flags as arp_state_to_flags. */
static int arp_req_get(struct net *net, struct arpreq *r, uint32_t ip)
{
	const struct neighbour *n = neigh_lookup(net->arp_tbl, ip);

	if (!n)
		return -ENXIO;
	memcpy(r->arp_ha.sa_data, n->ha, ETH_ALEN);
	r->arp_flags = n->nud_state & NUD_PERMANENT ? ATF_PERM | ATF_COM
		       : n->nud_state & NUD_VALID   ? ATF_COM
						    : 0;
	r->arp_ha.sa_family = ARPHRD_ETHER;
	snprintf(r->arp_dev, sizeof(r->arp_dev), "%s", net->dev->name);
	return 0;
}

int arp_ioctl(struct net *net, unsigned int cmd, struct arpreq *r, bool fault)
{
	struct sockaddr_in *pa = (struct sockaddr_in *)&r->arp_pa;
	struct sockaddr_in *netmask = (struct sockaddr_in *)&r->arp_netmask;
	uint32_t ip = pa->sin_addr.s_addr, saddr = 0, nexthop;
	bool publ = r->arp_flags & ATF_PUBL;

	switch (cmd) {
	case SIOCDARP:
	case SIOCSARP:
		if (!ns_capable(net, CAP_NET_ADMIN))
			return -EPERM;
		/* fall through */
	case SIOCGARP:
		if (fault)
			return -EFAULT;
		break;
	default:
		return -EINVAL;
	}
	if (r->arp_pa.sa_family != AF_INET)
		return -EPFNOSUPPORT;
	if (!publ && (r->arp_flags & (ATF_NETMASK | ATF_DONTPUB)))
		return -EINVAL;
	/* A proxy entry is one address or the whole device; SIOCGARP hands the mask back. */
	if (!(r->arp_flags & ATF_NETMASK))
		netmask->sin_addr.s_addr = 0xffffffffu;
	else if (netmask->sin_addr.s_addr && netmask->sin_addr.s_addr != 0xffffffffu)
		return -EINVAL;
	if (r->arp_dev[0]) {
		/* arp_req_dev_by_name: ARPHRD_NETROM is 0, so 0 means "the device's". */
		if (!net->dev || strncmp(r->arp_dev, net->dev->name, sizeof(r->arp_dev)))
			return -ENODEV;
		if (!r->arp_ha.sa_family)
			r->arp_ha.sa_family = ARPHRD_ETHER;
		if ((r->arp_flags & ATF_COM) && r->arp_ha.sa_family != ARPHRD_ETHER)
			return -EINVAL;
	} else if (cmd == SIOCGARP) {
		return -ENODEV;
	} else if (!publ && (ip_route_output(net, ip, &saddr, &nexthop) || nexthop != ip)) {
		/* arp_req_dev's route has link scope: the subnet, not the gateway's. */
		return -ENETUNREACH;
	}
	if (cmd == SIOCGARP)
		return arp_req_get(net, r, ip);
	if (publ && cmd == SIOCDARP)
		return arp_req_delete_public(net, ip, !r->arp_dev[0], netmask->sin_addr.s_addr);
	if (publ)
		return arp_req_set_public(net, r, !r->arp_dev[0], netmask->sin_addr.s_addr);
	if (cmd == SIOCDARP)
		return arp_req_delete(net, ip);
	if (r->arp_ha.sa_family != ARPHRD_ETHER)
		return -EINVAL;
	if (r->arp_flags & ATF_PERM)
		r->arp_flags |= ATF_COM;
	return arp_req_set(net, ip,
			   r->arp_flags & ATF_COM ? (const uint8_t *)r->arp_ha.sa_data : NULL,
			   r->arp_flags & ATF_PERM);
}

int arp_rcv(struct net *net, struct sk_buff *skb)
{
	const struct arp_eth *arp = (const struct arp_eth *)skb->data;
	struct neighbour *n;
	uint32_t sip, tip;
	uint16_t op;

	if (skb->len < sizeof(*arp) || arp->ar_hrd != htons(ARPHRD_ETHER) ||
	    arp->ar_pro != htons(ETH_P_IP) || arp->ar_hln != ETH_ALEN || arp->ar_pln != 4)
		goto bad;
	op = ntohs(arp->ar_op);
	if (op != ARPOP_REQUEST && op != ARPOP_REPLY)
		goto bad;
	memcpy(&sip, arp->ar_sip, 4);
	memcpy(&tip, arp->ar_tip, 4);
	/* arp_process(): no multicast targets, no multicast or broadcast senders. */
	if (IN_MULTICAST(ntohl(tip)) || IN_MULTICAST(ntohl(sip)) ||
	    (sip && ip_addr_is_broadcast(net, sip)) || is_multicast_ether_addr(arp->ar_sha))
		goto bad;
	if (op == ARPOP_REQUEST)
		__LINK_INC_STATS(net, ArpRequestsIn);
	else
		__LINK_INC_STATS(net, ArpRepliesIn);

	/* Someone else claims our address: never learn it (no conflict handling). */
	if (sip == net->addr)
		goto out;

	/* RFC 2131 duplicate address detection probe: answer, learn nothing. */
	if (sip == 0) {
		if (op == ARPOP_REQUEST && tip == net->addr)
			arp_send(net, ARPOP_REPLY, arp->ar_sha, 0, arp->ar_sha, tip);
		goto out;
	}

	if (op == ARPOP_REQUEST && tip == net->addr) {
		/* neigh_event_ns(): the asker is probably about to talk to us. */
		n = neigh_lookup(net->arp_tbl, sip);
		if (!n)
			n = neigh_create(net->arp_tbl, sip);
		if (n)
			neigh_update(net, n, arp->ar_sha, NUD_STALE);
		arp_send(net, ARPOP_REPLY, arp->ar_sha, sip, arp->ar_sha, net->addr);
		goto out;
	}

	/* Anything else only refreshes an entry we already have. */
	n = neigh_lookup(net->arp_tbl, sip);
	if (n) {
		int reachable = op == ARPOP_REPLY && skb->pkt_type == PACKET_HOST;

		neigh_update(net, n, arp->ar_sha, reachable ? NUD_REACHABLE : NUD_STALE);
	}
out:
	kfree_skb(skb);
	return 0;
bad:
	__LINK_INC_STATS(net, RxErrors);
	kfree_skb(skb);
	return 0;
}

int arp_net_init(struct net *net)
{
	struct neigh_table *tbl = calloc(1, sizeof(*tbl));

	if (!tbl)
		return -ENOMEM;
	tbl->net = net;
	tbl->rand_state = net->isn_secret[1] | 1;
	tbl->reachable_time = neigh_rand_reach_time(tbl);
	timer_setup(&tbl->gc_timer, neigh_periodic_work);
	net->arp_tbl = tbl;
	return 0;
}

void arp_net_exit(struct net *net)
{
	struct neigh_table *tbl = net->arp_tbl;

	if (!tbl)
		return;
	for (unsigned int i = 0; i < NEIGH_HASH_SIZE; i++) {
		while (tbl->hash[i]) {
			struct neighbour *n = tbl->hash[i];

			tbl->hash[i] = n->next;
			neigh_free(n);
		}
	}
	while (tbl->phash) {
		struct pneigh_entry *n = tbl->phash;

		tbl->phash = n->next;
		free(n);
	}
	del_timer(&net->timers, &tbl->gc_timer);
	free(tbl);
	net->arp_tbl = NULL;
}
