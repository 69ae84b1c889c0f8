// SPDX-License-Identifier: MIT
/*
 * Path MTU (net/ipv4/route.c: the route exceptions __ip_rt_update_pmtu
 * keeps): per destination, the MTU an ICMP fragmentation-needed said, below
 * the device's. An entry expires after net.ipv4.route.mtu_expires (600 s);
 * an MTU below net.ipv4.route.min_pmtu (552) is raised to it and locked,
 * and a locked path gets no DF from IP_PMTUDISC_WANT sockets
 * (ip_dont_fragment), so that routers may fragment there.
 *
 * The table is small and fixed (the kernel's fnhe hash keeps a few per
 * bucket and recycles the oldest): a new destination takes the slot that
 * expires first.
 */
#include <string.h>

#include "inet.h"
#include "ip.h"
#include "net_namespace.h"
#include "netdevice.h"

static struct ip_pmtu_exc *ip_pmtu_find(const struct net *net, uint32_t daddr)
{
	for (size_t i = 0; i < sizeof(net->pmtu) / sizeof(net->pmtu[0]); i++) {
		const struct ip_pmtu_exc *e = &net->pmtu[i];

		if (e->mtu && e->daddr == daddr && e->expires > net->now)
			return (struct ip_pmtu_exc *)e;
	}
	return NULL;
}

/*
 * The MTU of the device a packet to daddr leaves by: lo's for this host's
 * own addresses (65536, which ipv4_mtu caps at IP_MAX_MTU 0xffff), else the
 * stack's device's.
 */
static unsigned int ip_dev_mtu_to(const struct net *net, uint32_t daddr)
{
	return ip_addr_is_local(net, daddr) ? 0xffffu : ip_dst_mtu(net);
}

unsigned int ip_dst_mtu_to(const struct net *net, uint32_t daddr)
{
	unsigned int mtu = ip_dev_mtu_to(net, daddr);
	const struct ip_pmtu_exc *e = ip_pmtu_find(net, daddr);

	return e && e->mtu < mtu ? e->mtu : mtu;
}

bool ip_dst_mtu_locked(const struct net *net, uint32_t daddr)
{
	const struct ip_pmtu_exc *e = ip_pmtu_find(net, daddr);

	return e && e->locked;
}

void ip_rt_update_pmtu(struct net *net, uint32_t daddr, unsigned int mtu)
{
	unsigned int old = ip_dst_mtu_to(net, daddr),
		     min = (unsigned int)net->sysctl.ip_rt_min_pmtu;
	uint64_t expires = net->now + (uint64_t)net->sysctl.ip_rt_mtu_expires * NSEC_PER_SEC;
	struct ip_pmtu_exc *e = ip_pmtu_find(net, daddr);
	bool lock = false;

	/* Only ever lower; below min_pmtu, min_pmtu locked. */
	if ((e && e->locked) || old < mtu)
		return;
	if (mtu < min) {
		lock = true;
		mtu = old < min ? old : min;
	}
	/* The same value again refreshes an entry half gone. */
	if (e && e->mtu == mtu && !lock && net->now < e->expires - (expires - net->now) / 2)
		return;
	if (!e) {
		e = &net->pmtu[0];
		for (size_t i = 1; i < sizeof(net->pmtu) / sizeof(net->pmtu[0]); i++) {
			if (net->pmtu[i].expires < e->expires)
				e = &net->pmtu[i];
		}
	}
	e->daddr = daddr;
	e->mtu = (uint16_t)mtu;
	e->locked = lock;
	e->expires = expires;
}

unsigned int ip_mtu_floor(const struct net *net)
{
	unsigned int mtu = ip_dst_mtu(net);

	if ((unsigned int)net->sysctl.ip_rt_min_pmtu < mtu)
		mtu = (unsigned int)net->sysctl.ip_rt_min_pmtu;
	/* An entry made under a higher min_pmtu (a sysctl changed since) may be lower. */
	for (size_t i = 0; i < sizeof(net->pmtu) / sizeof(net->pmtu[0]); i++) {
		const struct ip_pmtu_exc *e = &net->pmtu[i];

		if (e->mtu && e->expires > net->now && e->mtu < mtu)
			mtu = e->mtu;
	}
	return mtu;
}

unsigned int ip_sk_mtu(const struct sock *sk, uint32_t daddr)
{
	const struct net *net = sock_net(sk);

	/* ip_sk_use_pmtu: PROBE, INTERFACE and OMIT go by the device alone. */
	if (inet_sk(sk)->pmtudisc >= IP_PMTUDISC_PROBE)
		return ip_dev_mtu_to(net, daddr);
	return ip_dst_mtu_to(net, daddr);
}
