/* SPDX-License-Identifier: MIT */
/*
 * struct net_device: the link under a stack. Two kinds exist: the in-memory
 * link joining two stacks for unit tests (link_mem.c), and the AF_PACKET
 * link on a real interface, which makes system calls and so lives with the
 * stack host (preload/stackd/link_packet.c); any link can carry a capture
 * tap (the host's pcap writer). A link moves whole Ethernet frames; it knows
 * nothing of IP.
 */
#ifndef SOCKSHIM_NETDEVICE_H
#define SOCKSHIM_NETDEVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "skbuff.h"

#define ETH_ALEN 6
#define ETH_HLEN 14
/*
 * Links reserve this much before a received Ethernet header so that the IP
 * header behind it is 4-byte aligned, as the kernel's NET_IP_ALIGN.
 */
#define NET_IP_ALIGN 2

struct net_device;
struct net;

/*
 * A capture tap (the host's pcap writer): sees every frame in and out with
 * the stack clock. The core only calls it; opening and writing files is the
 * owner's (preload/stackd/pcap.c).
 */
struct pcap_writer {
	void (*write)(struct pcap_writer *w, uint64_t ts_ns, const uint8_t *frame,
		      unsigned int len);
};

struct net_device_ops {
	/*
	 * Queues one frame (Ethernet header at skb->data) for sending and
	 * consumes skb. May batch: frames are on the wire after ndo_flush.
	 */
	int (*ndo_start_xmit)(struct net_device *dev, struct sk_buff *skb);
	/* Sends whatever ndo_start_xmit batched. */
	void (*ndo_flush)(struct net_device *dev);
	/*
	 * Receives up to budget frames and hands each to netif_receive_skb on
	 * dev->net; returns how many. Never blocks.
	 */
	int (*ndo_poll)(struct net_device *dev, int budget);
	void (*ndo_uninit)(struct net_device *dev);
	/*
	 * Optional: admit (add) or stop admitting frames to a multicast MAC,
	 * as dev_mc_add / dev_mc_del program a NIC's address filter.
	 */
	void (*ndo_mc_update)(struct net_device *dev, const uint8_t mac[ETH_ALEN], bool add);
};

struct net_device {
	char name[16];
	uint8_t dev_addr[ETH_ALEN]; /* the stack's own MAC */
	unsigned int mtu;
	int ifindex;
	int fd; /* pollable fd for the owner's event loop, -1 if none */
	/*
	 * Offloads this link accepts (the kernel's NETIF_F_TSO and
	 * gso_max_size): a TCP frame of up to gso_max_size bytes of IP packet
	 * with skb->gso_size set and CHECKSUM_PARTIAL, cut into gso_size
	 * pieces by the device or the link. 0: frames no larger than the MTU.
	 * A link offering GSO also completes the checksum of any other
	 * CHECKSUM_PARTIAL frame (TSO implies NETIF_F_HW_CSUM).
	 */
	unsigned int gso_max_size;
	/*
	 * NETIF_F_SG: ndo_start_xmit gathers a frame whose payload sits in
	 * fragments (skb->frags); other links are handed a linear copy.
	 */
	bool sg;
	/*
	 * Received frames are the sender's own skb, shared with its retransmit
	 * queue until it has our ACK (a veth: the kernel passes a local
	 * sender's clone through). The kernel's receive queue cannot merge a
	 * frame into such an skb (skb_cloned), so TCP charges as it would.
	 */
	bool rx_shared;
	const struct net_device_ops *netdev_ops;
	struct net *net;	  /* the stack receiving from this device */
	struct pcap_writer *pcap; /* NULL: no capture */
	void *priv;
};

/*
 * The devices a socket can name (SO_BINDTODEVICE, IP_MULTICAST_IF): the
 * stack's link and lo, whose index is always 1 (LOOPBACK_IFINDEX).
 */
#define LOOPBACK_IFINDEX 1
bool dev_index_valid(const struct net *net, int ifindex);
/* The index of the device called name, 0 if none (dev_get_by_name). */
int dev_ifindex_by_name(const struct net *net, const char *name);
/* The name of device ifindex, NULL if none (netdev_get_name). */
const char *netdev_get_name(const struct net *net, int ifindex);

/* Sends one frame through dev, writing it to the capture first if any. */
int dev_queue_xmit(struct net_device *dev, struct sk_buff *skb);
/*
 * Pushes out what the link batched (ndo_flush). The owner calls it once per
 * event-loop round, after the round's calls into the stack; links also flush
 * by themselves when a batch is full.
 */
void dev_flush(struct net_device *dev);

/*
 * Completes the transport checksum of a CHECKSUM_PARTIAL frame in software
 * (the kernel's skb_checksum_help): for a path that cannot leave it to the
 * device, such as IP fragmentation or a link without checksum offload.
 */
void skb_checksum_help(struct sk_buff *skb);

/*
 * tcp_offload.c: software GSO (skb_segment). Cuts the GSO frame skb
 * (Ethernet header at skb->data, TCP over IPv4) into wire frames of at most
 * gso_size payload bytes each, fully checksummed, appended to segs. Returns
 * how many, or -EINVAL (not such a frame) or -ENOBUFS; skb is not consumed.
 */
int skb_gso_segment(const struct sk_buff *skb, struct sk_buff_head *segs);

/*
 * Where set, links report here, once, what they could not offer (offloads
 * the interface lacks); the stack host points it at its trace.
 */
extern void (*netdev_trace)(const struct net_device *dev, const char *msg);

/*
 * link_mem.c: two devices joined by a wire with a virtual clock. Frames sent
 * on one arrive on the other when mem_link_deliver() runs and their delivery
 * time (send time + delay) has come. The impairment is seeded and therefore
 * repeatable.
 */
struct mem_link_impair {
	uint32_t seed;
	unsigned int loss_pct;	  /* drop this percentage of frames */
	unsigned int reorder_pct; /* hold back this percentage by one extra delay */
	unsigned int dup_pct;	  /* deliver this percentage twice */
	uint64_t delay_ns;	  /* one-way delay */
	uint64_t rate_bps;	  /* a bottleneck: frames leave at this rate, 0 = unlimited */
	unsigned int queue_bytes; /* its drop-tail queue, 0 = unbounded */
};
struct mem_link;
struct mem_link *mem_link_create(const struct mem_link_impair *imp);
struct net_device *mem_link_dev(struct mem_link *l, int side, const uint8_t mac[ETH_ALEN]);
/* Delivers every frame due at time now; returns how many were delivered. */
int mem_link_deliver(struct mem_link *l, uint64_t now);
/* Earliest pending delivery time, UINT64_MAX if the wire is empty. */
uint64_t mem_link_next(const struct mem_link *l);
/* A new one-way delay for frames sent from now on (a path that changes). */
void mem_link_set_delay(struct mem_link *l, uint64_t delay_ns);
/* Count of frames ever dropped by the impairment. */
uint64_t mem_link_dropped(const struct mem_link *l);
void mem_link_destroy(struct mem_link *l);
/* Optional filter for tests: return 0 to drop a frame (side is the sender). */
void mem_link_set_filter(struct mem_link *l,
			 int (*filter)(void *arg, int side, const uint8_t *frame, unsigned int len),
			 void *arg);

#endif
