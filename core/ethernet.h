/* SPDX-License-Identifier: MIT */
/*
 * Ethernet framing (ethernet.c), as net/ethernet/eth.c: checks that a
 * received frame is for the stack (its MAC or broadcast) and hands it to
 * ARP or IPv4 by ethertype; prepends the header on output. A VLAN tag
 * (in the frame, or taken off it by the link into skb->vlan_*) is handled
 * as a host without VLAN devices does.
 *
 * Not here: VLAN devices, multicast, 802.3 length frames.
 */
#ifndef SOCKSHIM_ETHERNET_H
#define SOCKSHIM_ETHERNET_H

#include <linux/if_ether.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "skbuff.h"

struct net;

extern const uint8_t eth_broadcast_addr[ETH_ALEN];

/* include/linux/if_vlan.h */
#define VLAN_HLEN     4
#define VLAN_VID_MASK 0x0fff

static inline bool eth_type_vlan(uint16_t ethertype)
{
	return ethertype == ETH_P_8021Q || ethertype == ETH_P_8021AD;
}

static inline bool is_broadcast_ether_addr(const uint8_t *a)
{
	return (a[0] & a[1] & a[2] & a[3] & a[4] & a[5]) == 0xff;
}

static inline bool is_multicast_ether_addr(const uint8_t *a)
{
	return a[0] & 1;
}

static inline bool ether_addr_equal(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, ETH_ALEN) == 0;
}

static inline struct ethhdr *eth_hdr(const struct sk_buff *skb)
{
	return (struct ethhdr *)skb_mac_header(skb);
}

/* Receive: skb->data at the Ethernet header; consumes skb. */
void eth_rcv(struct net *net, struct sk_buff *skb);

/*
 * Output: pushes an Ethernet header (our MAC as source) in front of
 * skb->data and sends the frame on net->dev. Consumes skb; returns 0 or
 * -errno (-ENETDOWN without a device).
 */
int eth_output(struct net *net, struct sk_buff *skb, const uint8_t *dst, uint16_t ethertype);

#endif
