// SPDX-License-Identifier: MIT
/*
 * UDP and UDP-Lite. FIRST COMMIT: only the objects other parts link against;
 * the protocol is being written (receive drops everything).
 */
#include "udp.h"

#include <errno.h>
#include <stdlib.h>

#include "net_namespace.h"
#include "protocol.h"

int udp_rcv(struct net *net, struct sk_buff *skb)
{
	kfree_skb(skb);
	return 0;
}

int udplite_rcv(struct net *net, struct sk_buff *skb)
{
	kfree_skb(skb);
	return 0;
}

void udp_err(struct net *net, struct sk_buff *skb, uint32_t info)
{
}

void udplite_err(struct net *net, struct sk_buff *skb, uint32_t info)
{
}

int udp_net_init(struct net *net)
{
	net->udp_table = calloc(1, sizeof(*net->udp_table));
	net->udplite_table = calloc(1, sizeof(*net->udplite_table));
	if (!net->udp_table || !net->udplite_table) {
		udp_net_exit(net);
		return -ENOMEM;
	}
	net->udp_table->protocol = IPPROTO_UDP;
	net->udplite_table->protocol = IPPROTO_UDPLITE;
	return 0;
}

void udp_net_exit(struct net *net)
{
	free(net->udp_table);
	free(net->udplite_table);
	net->udp_table = NULL;
	net->udplite_table = NULL;
}

struct proto udp_prot = {
	.name = "UDP",
	.obj_size = sizeof(struct udp_sock),
};

struct proto udplite_prot = {
	.name = "UDP-Lite",
	.obj_size = sizeof(struct udp_sock),
};

const struct net_protocol udp_protocol = {
	.handler = udp_rcv,
	.err_handler = udp_err,
};

const struct net_protocol udplite_protocol = {
	.handler = udplite_rcv,
	.err_handler = udplite_err,
};
