// SPDX-License-Identifier: MIT
/*
 * Ethernet demux and framing. The stack's MAC is its own (locally
 * administered, not the interface's), so on a promiscuous AF_PACKET link
 * frames for other hosts arrive too: anything not unicast to us, broadcast
 * or to a joined group's MAC (ip_mc_mac_joined, the device's multicast
 * filter) is dropped here and counted as RxDropped, as is an ethertype
 * the stack does not speak. A frame shorter than a header is an RxError.
 *
 * VLAN tags, as __netif_receive_skb_core() with no VLAN device: a frame
 * tagged with a VLAN id belongs to a VLAN the stack is not on; the kernel
 * marks it PACKET_OTHERHOST, ip_rcv drops it before InReceives and counts
 * it as the device's rx_otherhost_dropped (RxOtherhostDropped here, for
 * every ethertype). A priority tag (VLAN id 0) is ignored and the frame
 * handled as untagged, an inner tag after it checked in turn.
 */
#include "ethernet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>

#include "arp.h"
#include "igmp.h"
#include "ip.h"
#include "net_namespace.h"
#include "netdevice.h"

const uint8_t eth_broadcast_addr[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* The VLAN rule of the file comment; returns -1 when the frame is to be dropped (counted). */
static int eth_vlan_untag(struct net *net, struct sk_buff *skb)
{
	for (;;) {
		uint16_t tag[2];

		if (skb->vlan_proto && (skb->vlan_tci & VLAN_VID_MASK)) {
			__LINK_INC_STATS(net, RxOtherhostDropped);
			return -1;
		}
		skb->vlan_proto = 0;
		if (!eth_type_vlan(skb->protocol))
			return 0;
		/* A tag still in the frame (skb_vlan_untag): TCI, then the inner ethertype. */
		if (skb->len < VLAN_HLEN) {
			__LINK_INC_STATS(net, RxErrors);
			return -1;
		}
		memcpy(tag, skb->data, VLAN_HLEN);
		skb->vlan_proto = skb->protocol;
		skb->vlan_tci = ntohs(tag[0]);
		skb->protocol = ntohs(tag[1]);
		skb_pull(skb, VLAN_HLEN);
	}
}

void eth_rcv(struct net *net, struct sk_buff *skb)
{
	const struct ethhdr *eth;

	if (skb->len < ETH_HLEN) {
		__LINK_INC_STATS(net, RxErrors);
		goto drop;
	}
	skb_reset_mac_header(skb);
	eth = eth_hdr(skb);
	if (ether_addr_equal(eth->h_dest, net->mac)) {
		skb->pkt_type = PACKET_HOST;
	} else if (is_broadcast_ether_addr(eth->h_dest)) {
		skb->pkt_type = PACKET_BROADCAST;
	} else if ((eth->h_dest[0] & 1) && ip_mc_mac_joined(net, eth->h_dest)) {
		/* A group's MAC: admitted while a group maps to it (the device's filter). */
		skb->pkt_type = PACKET_MULTICAST;
	} else {
		__LINK_INC_STATS(net, RxDropped);
		goto drop;
	}
	skb->protocol = ntohs(eth->h_proto);
	skb_pull(skb, ETH_HLEN);
	if (eth_vlan_untag(net, skb))
		goto drop;
	skb_reset_network_header(skb);

	switch (skb->protocol) {
	case ETH_P_IP:
		ip_rcv(net, skb);
		return;
	case ETH_P_ARP:
		arp_rcv(net, skb);
		return;
	default:
		__LINK_INC_STATS(net, RxDropped);
		break;
	}
drop:
	kfree_skb(skb);
}

int eth_output(struct net *net, struct sk_buff *skb, const uint8_t *dst, uint16_t ethertype)
{
	struct ethhdr *eth;

	if (!net->dev) {
		kfree_skb(skb);
		return -ENETDOWN;
	}
	eth = (struct ethhdr *)skb_push(skb, ETH_HLEN);
	memcpy(eth->h_dest, dst, ETH_ALEN);
	memcpy(eth->h_source, net->mac, ETH_ALEN);
	eth->h_proto = htons(ethertype);
	skb_reset_mac_header(skb);
	skb->protocol = ethertype;
	return dev_queue_xmit(net->dev, skb);
}
