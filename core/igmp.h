/* SPDX-License-Identifier: MIT */
/*
 * IPv4 multicast membership (igmp.c), as net/ipv4/igmp.c and
 * include/linux/igmp.h: a socket's joins and source filters
 * (struct ip_mc_socklist), the device's groups they add up to
 * (struct ip_mc_list, with the per-source counts of RFC 3376 3.2), and
 * IGMPv3 with the v2/v1 compatibility modes on the wire.
 */
#ifndef SOCKSHIM_IGMP_H
#define SOCKSHIM_IGMP_H

#include <linux/igmp.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "skbuff.h"
#include "timer.h"

struct net;
struct sock;

#ifndef MCAST_INCLUDE
#define MCAST_EXCLUDE 0
#define MCAST_INCLUDE 1
#endif

/* A socket's source list for one group (struct ip_sf_socklist). */
struct ip_sf_socklist {
	unsigned int sl_max, sl_count;
	uint32_t sl_addr[];
};

/* One join of a socket (struct ip_mc_socklist). */
struct ip_mc_socklist {
	struct ip_mc_socklist *next;
	struct ip_mreqn multi; /* imr_ifindex as the join resolved it */
	unsigned int sfmode;   /* MCAST_INCLUDE or MCAST_EXCLUDE */
	struct ip_sf_socklist *sflist;
};

/* A source of a device group, counted per filter mode (struct ip_sf_list). */
struct ip_sf_list {
	struct ip_sf_list *sf_next;
	uint32_t sf_inaddr;
	unsigned long sf_count[2]; /* include / exclude references, [MCAST_*] */
	unsigned char sf_oldin;	   /* in the reported filter at the last change */
	unsigned char sf_crcount;  /* retransmissions of its ALLOW/BLOCK left */
	unsigned char sf_gsresp;   /* asked for by a group-and-source query */
};

/* A group on the device (struct ip_mc_list); in the tomb after its last leave. */
struct ip_mc_list {
	struct ip_mc_list *next;
	struct net *net;
	uint32_t multiaddr;
	unsigned int sfmode;	  /* the device's filter mode, as last reported */
	unsigned long sfcount[2]; /* sockets in each mode */
	struct ip_sf_list *sources;
	struct ip_sf_list *tomb; /* sources left the filter, still being reported */
	struct timer_list timer; /* a query's answer, or a v1/v2 unsolicited report */
	int users;
	unsigned char crcount;	       /* mode-change record retransmissions left */
	unsigned char unsolicit_count; /* v1/v2 unsolicited reports left */
	bool tm_running, reporter, gsquery;
};

/* The device's multicast state (the multicast part of struct in_device). */
struct in_device {
	struct net *net;
	struct ip_mc_list *mc_list;
	struct ip_mc_list *mc_tomb;	     /* groups left, their leave still being reported */
	uint64_t mr_v1_seen, mr_v2_seen;     /* ns: an older querier is present until then */
	uint64_t mr_maxdelay, mr_qi, mr_qri; /* ns */
	unsigned char mr_qrv;		     /* robustness from the last v3 query */
	unsigned char mr_ifc_count;	     /* state-change reports left to send */
	struct timer_list mr_gq_timer;	     /* answer to a general v3 query */
	struct timer_list mr_ifc_timer;	     /* state-change reports */
	uint32_t rnd;			     /* report delays (xorshift state) */
};

/* IGMP_ALL_HOSTS, IGMP_ALL_ROUTER, IGMPV3_ALL_MCR, IGMP_LOCAL_GROUP(_MASK): <linux/igmp.h>. */

static inline bool ipv4_is_multicast(uint32_t addr)
{
	return (addr & htonl(0xf0000000u)) == htonl(0xe0000000u);
}

static inline bool ipv4_is_local_multicast(uint32_t addr)
{
	return (addr & IGMP_LOCAL_GROUP_MASK) == IGMP_LOCAL_GROUP;
}

/* ip_eth_mc_map(): 01:00:5e and the group's low 23 bits. */
static inline void ip_eth_mc_map(uint32_t addr, uint8_t mac[6])
{
	uint32_t h = ntohl(addr);

	mac[0] = 0x01;
	mac[1] = 0x00;
	mac[2] = 0x5e;
	mac[3] = (uint8_t)((h >> 16) & 0x7f);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

/* Per-stack state (joins 224.0.0.1 as the kernel's ip_mc_up does) and its end. */
int igmp_net_init(struct net *net);
void igmp_net_exit(struct net *net);

/* Socket calls behind the SOL_IP options (ip_sockglue.c hands them over). */
int ip_mc_join_group(struct sock *sk, struct ip_mreqn *imr);
int ip_mc_join_group_ssm(struct sock *sk, struct ip_mreqn *imr, unsigned int mode);
int ip_mc_leave_group(struct sock *sk, struct ip_mreqn *imr);
int ip_mc_source(int add, int omode, struct sock *sk, const struct ip_mreq_source *mreqs,
		 int ifindex);
/* IP_MSFILTER / MCAST_MSFILTER set: mode and sources for (group, interface). */
int ip_mc_msfilter(struct sock *sk, uint32_t group, uint32_t iface, int ifindex, unsigned int fmode,
		   unsigned int numsrc, const uint32_t *slist);
/*
 * IP_MSFILTER / MCAST_MSFILTER get: *fmode and the number of sources, up to
 * max of them written to slist; -EADDRNOTAVAIL without a join.
 */
int ip_mc_msfget(struct sock *sk, uint32_t group, uint32_t iface, int ifindex, unsigned int *fmode,
		 unsigned int *numsrc, uint32_t *slist, unsigned int max);
/*
 * The SOL_IP multicast options ip_setsockopt/ip_getsockopt hand over:
 * IP_MULTICAST_IF, IP_ADD/DROP_MEMBERSHIP, IP_*_SOURCE*, IP_MSFILTER,
 * MCAST_*. optval holds optlen bytes (get: the caller's buffer, whose
 * header names the group for IP_MSFILTER and MCAST_MSFILTER).
 */
int ip_mc_setsockopt(struct sock *sk, int optname, const void *optval, unsigned int optlen);
int ip_mc_getsockopt(struct sock *sk, int optname, void *optval, int *optlen);
/* Every join of a closing socket left (ip_mc_drop_socket). */
void ip_mc_drop_socket(struct sock *sk);

/* Whether a datagram from rmt_addr to the group loc_addr goes to sk (ip_mc_sf_allow). */
bool ip_mc_sf_allow(const struct sock *sk, uint32_t loc_addr, uint32_t rmt_addr, int dif);
/* Whether the device takes a packet to group from src_addr (ip_check_mc_rcu). */
bool ip_check_mc(const struct net *net, uint32_t group, uint32_t src_addr, int proto);
/* Whether a multicast MAC belongs to a joined group (the device's address filter). */
bool ip_mc_mac_joined(const struct net *net, const uint8_t mac[6]);

extern const struct net_protocol igmp_protocol;

#endif
