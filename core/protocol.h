/* SPDX-License-Identifier: MIT */
/*
 * How the layers find each other, as in include/net/protocol.h: IPv4 hands a
 * packet to the transport registered for its protocol number in
 * inet_protos[], and each protocol family gets its per-stack state from its
 * *_net_init(), which net_init() calls in the order below (and the *_net_exit()
 * in reverse).
 */
#ifndef SOCKSHIM_PROTOCOL_H
#define SOCKSHIM_PROTOCOL_H

#include <stdint.h>

#include "skbuff.h"

struct net;

/* A transport's receive and ICMP-error entry points. */
struct net_protocol {
	/* skb->data at the transport header, network header set; consumes skb. */
	int (*handler)(struct net *net, struct sk_buff *skb);
	/*
	 * An ICMP error quoting one of our packets: skb->data points at the
	 * quoted IP header; type/code in info as (type << 8 | code).
	 */
	void (*err_handler)(struct net *net, struct sk_buff *skb, uint32_t info);
};

/* Returns 0, or -EEXIST if the slot is taken. */
int inet_add_protocol(const struct net_protocol *prot, unsigned char num);
int inet_del_protocol(const struct net_protocol *prot, unsigned char num);
extern const struct net_protocol *inet_protos[256];

/* Defined by each transport, registered by inet_init() (af_inet.c). */
extern const struct net_protocol icmp_protocol;	   /* icmp.c */
extern const struct net_protocol udp_protocol;	   /* udp.c */
extern const struct net_protocol udplite_protocol; /* udp.c */
extern const struct net_protocol tcp_protocol;	   /* tcp_ipv4.c */
extern const struct net_protocol igmp_protocol;	   /* igmp.c */

/*
 * Raw sockets see every IP packet of their protocol before the transport
 * does (raw.c); returns whether some raw socket took a copy.
 */
int raw_local_deliver(struct net *net, struct sk_buff *skb, int protocol);
/*
 * An ICMP error (info: type << 8 | code) quoting a packet of a raw socket's
 * protocol (skb->data at the quoted IP header), for every raw socket of it
 * (raw_icmp_error), before the transport's err_handler.
 */
void raw_icmp_error(struct net *net, const struct sk_buff *skb, uint32_t info);
/* ICMP echo replies for ping sockets (ping.c); returns 1 if a socket took skb. */
int ping_rcv(struct net *net, struct sk_buff *skb);
/* An ICMP error about one of our echo requests (ping.c; skb->data at the quoted IP header). */
void ping_err(struct net *net, struct sk_buff *skb, uint32_t info);

/* Per-stack state, called by net_init() in this order. */
int arp_net_init(struct net *net); /* arp.c */
void arp_net_exit(struct net *net);
int udp_net_init(struct net *net); /* udp.c, UDP and UDP-Lite */
void udp_net_exit(struct net *net);
int tcp_net_init(struct net *net); /* tcp_ipv4.c */
void tcp_net_exit(struct net *net);
int raw_net_init(struct net *net); /* raw.c, raw and ping sockets */
void raw_net_exit(struct net *net);
int igmp_net_init(struct net *net); /* igmp.c, multicast groups */
void igmp_net_exit(struct net *net);

#endif
