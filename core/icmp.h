/* SPDX-License-Identifier: MIT */
/*
 * ICMP (icmp.c), as net/ipv4/icmp.c: echo replies for the peer's pings,
 * echo replies handed to ping sockets, generation of destination
 * unreachable errors with the kernel's quoting and rate-limiting rules, and
 * dispatch of received errors to the transport that sent the quoted packet.
 */
#ifndef SOCKSHIM_ICMP_H
#define SOCKSHIM_ICMP_H

#include <netinet/ip_icmp.h>
#include <stdint.h>

#include "skbuff.h"

struct net;

int icmp_rcv(struct net *net, struct sk_buff *skb);

/*
 * Sends an ICMP error about skb_in (network header set) to its source:
 * type/code as ICMP_DEST_UNREACH/ICMP_PORT_UNREACH, info is the next-hop MTU
 * for ICMP_FRAG_NEEDED, the offset of the bad byte for ICMP_PARAMETERPROB. Follows __icmp_send():
 * never about an ICMP error, a broadcast, a non-first fragment or a packet from 0.0.0.0; quotes the
 * IP header and as much payload as fits in 576 bytes; rate limited. Does not consume skb_in.
 */
void icmp_send(struct net *net, const struct sk_buff *skb_in, int type, int code, uint32_t info);

/* Maps an ICMP unreachable code to the errno a socket sees (icmp_err_convert). */
int icmp_err_to_errno(int type, int code, int *fatal);

#endif
