// SPDX-License-Identifier: MIT
/*
 * TCP over IPv4: tcp_prot, the receive demultiplexer and per-stack init
 * (net/ipv4/tcp_ipv4.c). First cut: the tables exist so that the other
 * parts link; the protocol behind them follows.
 */
#include <stdlib.h>

#include "inet_hashtables.h"
#include "net_namespace.h"
#include "tcp.h"

struct proto tcp_prot = {
	.name = "TCP",
	.obj_size = sizeof(struct tcp_sock),
};

int tcp_v4_rcv(struct net *net, struct sk_buff *skb)
{
	__TCP_INC_STATS(net, InSegs);
	kfree_skb(skb);
	return 0;
}

void tcp_v4_err(struct net *net, struct sk_buff *skb, uint32_t info)
{
}

const struct net_protocol tcp_protocol = {
	.handler = tcp_v4_rcv,
	.err_handler = tcp_v4_err,
};

int tcp_net_init(struct net *net)
{
	return inet_hashinfo_init(net);
}

void tcp_net_exit(struct net *net)
{
	inet_hashinfo_exit(net);
}
