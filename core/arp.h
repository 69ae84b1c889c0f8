/* SPDX-License-Identifier: MIT */
/*
 * ARP and the neighbour table (arp.c), as net/ipv4/arp.c and
 * net/core/neighbour.c reduced to one device: resolution with broadcast
 * probes, a queue of packets per unresolved neighbour, the kernel's
 * NUD states (INCOMPLETE, REACHABLE, STALE, DELAY, PROBE, FAILED) with its
 * default timings, replies to requests for the stack's address and a
 * gratuitous ARP when the stack comes up.
 *
 * Entries a program sets itself (SIOCSARP, as dnsmasq does before it
 * answers a DHCP client that has no address yet) and permanent ones
 * (ATF_PERM) are here too, and published (proxy) entries (ATF_PUBL, the
 * kernel's pneigh entries), which are kept, read and deleted as the
 * kernel's but never answered: the kernel answers for one only when it
 * forwards and the address is routed through another of its devices, and
 * the stack has one device and forwards nothing.
 *
 * Not here: address conflict detection, upper
 * layer reachability confirmation (entries are confirmed by ARP only, so a
 * busy neighbour is re-probed by unicast every ~30 s, as in the kernel with
 * UDP traffic).
 */
#ifndef SOCKSHIM_ARP_H
#define SOCKSHIM_ARP_H

#include <stdbool.h>
#include <stdint.h>

#include "netdevice.h"
#include "skbuff.h"
#include "timer.h"

struct sock;

struct net;

/* include/net/neighbour.h */
#define NUD_INCOMPLETE 0x01
#define NUD_REACHABLE  0x02
#define NUD_STALE      0x04
#define NUD_DELAY      0x08
#define NUD_PROBE      0x10
#define NUD_FAILED     0x20
#define NUD_PERMANENT  0x80
#define NUD_VALID      (NUD_PERMANENT | NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE)

/* Default neigh_parms of the kernel (net/ipv4/arp.c: arp_tbl). */
#define ARP_BASE_REACHABLE_TIME (30 * NSEC_PER_SEC)
#define ARP_RETRANS_TIME	(1 * NSEC_PER_SEC)
#define ARP_DELAY_PROBE_TIME	(5 * NSEC_PER_SEC)
#define ARP_GC_STALETIME	(60 * NSEC_PER_SEC)
#define ARP_MCAST_PROBES	3
#define ARP_UCAST_PROBES	3
/*
 * Bytes held per unresolved neighbour (unres_qlen_bytes, SK_WMEM_MAX), each
 * packet charged with its length plus ARP_SKB_OVERHEAD as the kernel
 * charges truesize: about a hundred full-sized frames.
 */
#define ARP_QUEUE_BYTES	 212992u
#define ARP_SKB_OVERHEAD 640u
#define ARP_TABLE_MAX	 512

struct neighbour {
	struct neighbour *next; /* hash chain */
	struct neigh_table *tbl;
	uint32_t primary_key; /* IPv4 address, network order */
	uint8_t ha[ETH_ALEN];
	uint8_t nud_state;
	uint8_t probes;
	uint64_t confirmed; /* last time ARP proved it reachable */
	uint64_t updated;   /* last state change */
	uint64_t used;	    /* last time a packet went to it */
	struct sk_buff_head arp_queue;
	unsigned int arp_queue_bytes;
	struct timer_list timer;
};

/*
 * A published address (pneigh_entry): for the stack's device, or for every
 * device (the kernel's dev NULL, an entry set without naming one).
 */
struct pneigh_entry {
	struct pneigh_entry *next;
	uint32_t key; /* IPv4 address, network order */
	bool any_dev;
};

#define NEIGH_HASH_SIZE 64
struct neigh_table {
	struct net *net;
	struct neighbour *hash[NEIGH_HASH_SIZE];
	unsigned int entries;
	uint64_t reachable_time; /* re-randomised around the base, as neigh_rand_reach_time() */
	uint32_t rand_state;
	struct timer_list gc_timer;
	struct pneigh_entry *phash; /* published addresses, a list: set by hand, few */
};

/* ETH_P_ARP frame, skb->data at the ARP header; consumes skb. */
int arp_rcv(struct net *net, struct sk_buff *skb);

/*
 * Sends an IP packet (skb->data at the IP header) to nexthop: at once if
 * the neighbour is known, else queued while ARP resolves it. Consumes skb.
 * Returns 0 (sent or queued) or -errno.
 */
int arp_output(struct net *net, struct sk_buff *skb, uint32_t nexthop);

/* Announces the stack's address (request with sender == target). */
void arp_send_gratuitous(struct net *net);

struct arpreq;
/*
 * SIOCSARP, SIOCGARP or SIOCDARP (net/ipv4/arp.c: arp_ioctl) with r, the
 * caller's struct arpreq (fault: it could not be read; the kernel checks
 * the privilege first), for the stack's device: r->arp_dev names it, or is
 * empty for a set or delete of an address on the subnet (the route
 * arp_req_dev finds; any address for a published entry, ATF_PUBL).
 * SIOCGARP fills r. Returns 0 or -errno as the kernel.
 */
int arp_ioctl(struct net *net, unsigned int cmd, struct arpreq *r, bool fault);

/* The entry for ip, NULL if none (for tests and `sockshim stat`). */
struct neighbour *neigh_lookup(struct neigh_table *tbl, uint32_t ip);
/*
 * The published entry for ip that answers on the stack's device (one for
 * it or for every device), NULL if none (pneigh_lookup without creating).
 */
struct pneigh_entry *pneigh_lookup(struct neigh_table *tbl, uint32_t ip);
/*
 * sk is going away: packets of its waiting for an address no longer name
 * it (they are still sent, without the transmit time stamp it asked for).
 */
void neigh_forget_sock(struct neigh_table *tbl, const struct sock *sk);

#endif
