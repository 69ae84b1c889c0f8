// SPDX-License-Identifier: MIT
/*
 * ICMP. FIRST COMMIT: only the object other parts link against; the
 * protocol is being written (receive drops everything).
 */
#include "icmp.h"

#include "protocol.h"

int icmp_rcv(struct net *net, struct sk_buff *skb)
{
	kfree_skb(skb);
	return 0;
}

const struct net_protocol icmp_protocol = {
	.handler = icmp_rcv,
};
