// SPDX-License-Identifier: MIT
/*
 * The transmit entry of every link: counts the frame, copies it to the
 * capture (SOCKSHIM_PCAP) if one is open, and hands it to the link (a
 * fragmented frame as a linear copy where the link does not gather or a
 * capture wants it whole). The receive side's tap is in netif_receive_skb
 * (net_namespace.c). And the devices by name and index, as a socket names
 * them: the stack's link and lo (the loopback path of net_namespace.c).
 */
#include <errno.h>
#include <string.h>
#include <time.h> /* linux/errqueue.h needs struct timespec */

#include <linux/errqueue.h>

#include "checksum.h"
#include "ip.h"
#include "net_namespace.h"
#include "netdevice.h"

void (*netdev_trace)(const struct net_device *dev, const char *msg);

int dev_queue_xmit(struct net_device *dev, struct sk_buff *skb)
{
	struct net *net = dev->net;

	/* validate_xmit_skb: a link that does not gather gets the payload in one piece. */
	if (skb_is_nonlinear(skb) && (!dev->sg || dev->pcap)) {
		skb = skb_linearize(skb);
		if (!skb) {
			if (net)
				__LINK_INC_STATS(net, TxDropped);
			return -ENOBUFS;
		}
	}
	skb->dev = dev;
	if (net) {
		skb->tstamp = net->now;
		__LINK_INC_STATS(net, TxFrames);
		net->mib.link.TxBytes += skb->len;
	}
	if (dev->pcap)
		dev->pcap->write(dev->pcap, skb->tstamp, skb->data, skb->len);
	/*
	 * __dev_queue_xmit stamps a frame entering the qdisc (there is none:
	 * the same moment), then skb_tx_timestamp() what the driver is handed.
	 */
	if ((skb->tx_flags & SKBTX_SCHED_TSTAMP) && skb->sk)
		skb_tstamp_tx(skb, SCM_TSTAMP_SCHED);
	if ((skb->tx_flags & SKBTX_SW_TSTAMP) && skb->sk)
		skb_tstamp_tx(skb, SCM_TSTAMP_SND);
	return dev->netdev_ops->ndo_start_xmit(dev, skb);
}

void skb_checksum_help(struct sk_buff *skb)
{
	uint8_t *start = skb->head + skb->csum_start, *field = start + skb->csum_offset;
	uint16_t sum;

	if (skb->ip_summed != CHECKSUM_PARTIAL)
		return;
	/* The field holds the pseudo-header sum: summed with the rest, it is whole. */
	sum = csum_fold(csum_partial(start, (int)(skb->data + skb->len - start), 0));
	memcpy(field, &sum, sizeof(sum));
	skb->ip_summed = CHECKSUM_NONE;
}

void dev_flush(struct net_device *dev)
{
	if (dev && dev->netdev_ops->ndo_flush)
		dev->netdev_ops->ndo_flush(dev);
}

bool dev_index_valid(const struct net *net, int ifindex)
{
	return netdev_get_name(net, ifindex) != NULL;
}

int dev_ifindex_by_name(const struct net *net, const char *name)
{
	if (!strcmp(name, "lo"))
		return LOOPBACK_IFINDEX;
	if (net->dev && !strcmp(name, net->dev->name))
		return net->dev->ifindex;
	return 0;
}

const char *netdev_get_name(const struct net *net, int ifindex)
{
	if (ifindex == LOOPBACK_IFINDEX)
		return "lo";
	if (net->dev && ifindex == net->dev->ifindex)
		return net->dev->name;
	return NULL;
}
