// SPDX-License-Identifier: MIT
/*
 * One stack instance: bring-up and tear-down of the per-stack state in the
 * order of core/protocol.h, and the entry points the owner's event loop
 * calls (clock, received frames, timers). The only system call is getrandom
 * for the secrets (TCP ISNs and timestamps, IP ids, ARP timing); everything else takes its
 * time from net->now.
 */
#include "net_namespace.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/random.h>

#include "arp.h"
#include "ethernet.h"
#include "igmp.h"
#include "ip.h"
#include "netdevice.h"
#include "protocol.h"

static void loopback_xmit_timer(struct timer_list *t)
{
	struct net *net = from_timer(net, t, loopback_timer);
	struct sk_buff_head batch;
	struct sk_buff *skb;

	/*
	 * Take the whole queue first: what the receivers send back to
	 * ourselves goes to the next round, as the kernel's backlog does.
	 */
	skb_queue_head_init(&batch);
	while ((skb = __skb_dequeue(&net->loopback_queue)) != NULL)
		__skb_queue_tail(&batch, skb);
	while ((skb = __skb_dequeue(&batch)) != NULL) {
		skb->pkt_type = PACKET_HOST;
		skb->protocol = ETH_P_IP;
		skb->dev = NULL; /* marks the loopback path for ip_rcv's martian check */
		skb->sk = NULL;
		skb_reset_network_header(skb);
		ip_rcv(net, skb);
	}
}

int net_init(struct net *net, struct net_device *dev, uint32_t addr, uint32_t netmask,
	     uint32_t gateway, const uint8_t mac[6], uint64_t now)
{
	int err;

	if (!net->sysctl.ip_default_ttl)
		net_sysctl_init(&net->sysctl);
	net->addr = addr;
	net->netmask = netmask;
	net->gateway = gateway;
	memcpy(net->mac, mac, ETH_ALEN);
	net->now = now;
	net->dev = dev;
	timer_base_init(&net->timers);
	skb_queue_head_init(&net->loopback_queue);
	timer_setup(&net->loopback_timer, loopback_xmit_timer);

	if (getrandom(net->isn_secret, sizeof(net->isn_secret), 0) != sizeof(net->isn_secret) ||
	    getrandom(net->tcp_secret, sizeof(net->tcp_secret), 0) != sizeof(net->tcp_secret)) {
		err = -EIO;
		goto out;
	}
	net->ip_id_next = (uint16_t)net->isn_secret[3];
	net->icmp_global_credit = 50; /* net.ipv4.icmp_msgs_burst */
	net->icmp_global_stamp = now;

	err = arp_net_init(net);
	if (err)
		goto out;
	err = udp_net_init(net);
	if (err)
		goto out_arp;
	err = tcp_net_init(net);
	if (err)
		goto out_udp;
	err = raw_net_init(net);
	if (err)
		goto out_tcp;
	err = igmp_net_init(net);
	if (err)
		goto out_raw;

	if (dev) {
		dev->net = net;
		memcpy(dev->dev_addr, mac, ETH_ALEN);
		arp_send_gratuitous(net);
	}
	return 0;

out_raw:
	raw_net_exit(net);
out_tcp:
	tcp_net_exit(net);
out_udp:
	udp_net_exit(net);
out_arp:
	arp_net_exit(net);
out:
	timer_base_exit(&net->timers);
	return err;
}

void net_exit(struct net *net)
{
	igmp_net_exit(net);
	raw_net_exit(net);
	tcp_net_exit(net);
	udp_net_exit(net);
	arp_net_exit(net);
	ip_defrag_exit(net);
	__skb_queue_purge(&net->loopback_queue);
	timer_base_exit(&net->timers);
	if (net->dev && net->dev->net == net)
		net->dev->net = NULL;
}

void net_set_time(struct net *net, uint64_t now)
{
	/* The clock never runs backwards: timers and RTTs assume it. */
	if (now > net->now)
		net->now = now;
}

void net_info_ratelimited(struct net *net, const char *msg)
{
	/* net_ratelimit: a burst of 10 lines, then silence until 5 s have passed. */
	if (!net->net_info)
		return;
	if (!net->net_info_begin || net->now - net->net_info_begin >= 5 * NSEC_PER_SEC) {
		net->net_info_begin = net->now ? net->now : 1;
		net->net_info_printed = 0;
	}
	if (net->net_info_printed >= 10)
		return;
	net->net_info_printed++;
	net->net_info(net, msg);
}

void net_enter(struct net *net, uint64_t now, const struct cred *cred)
{
	net_set_time(net, now);
	net->current_cred = cred;
}

void netif_receive_skb(struct net *net, struct sk_buff *skb)
{
	__LINK_INC_STATS(net, RxFrames);
	net->mib.link.RxBytes += skb->len;
	skb->tstamp = net->now;
	skb->dev = net->dev;
	if (net->dev && net->dev->pcap)
		net->dev->pcap->write(net->dev->pcap, net->now, skb->data, skb->len);
	eth_rcv(net, skb);
}

void net_run_timers(struct net *net)
{
	timer_run(&net->timers, net->now);
}

uint64_t net_next_timer(const struct net *net)
{
	return timer_next(&net->timers);
}
