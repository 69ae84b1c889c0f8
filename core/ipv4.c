// SPDX-License-Identifier: MIT
/*
 * IPv4 for a stack with one address on one Ethernet device.
 *
 * Receive (ip_rcv): the header checks of net/ipv4/ip_input.c, each failure
 * counted under its /proc/net/snmp name and dropped; the input route with
 * the kernel's martian checks (a packet from the wire never carries a local
 * or loopback source); IP options (ip_options.c); then raw sockets get a
 * look and the transport in inet_protos[] gets the packet, or the sender
 * gets an ICMP protocol unreachable. Fragments are reassembled first
 * (ip_fragment.c).
 *
 * Output (ip_build_and_send_pkt): route (own address -> loopback, subnet ->
 * on-link, else the gateway), IP header, fragmentation when allowed and
 * needed, then ARP. Packets to the stack itself loop back through a
 * zero-delay timer (see net->loopback_queue).
 *
 * Socket options at SOL_IP (ip_setsockopt/ip_getsockopt) follow
 * net/ipv4/ip_sockglue.c for the options the stack implements; the others
 * answer -ENOPROTOOPT.
 */
#include "ip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <linux/if_packet.h>
#include <netinet/udp.h>
#include <string.h>

#include "arp.h"
#include "checksum.h"
#include "icmp.h"
#include "igmp.h"
#include "inet.h"
#include "net_namespace.h"
#include "netdevice.h"
#include "protocol.h"
#include "tcp.h"

#ifndef IP_PROTOCOL
#define IP_PROTOCOL 52 /* linux/in.h, absent from older libc headers */
#endif

static int ipv4_is_loopback(uint32_t addr)
{
	return (addr & htonl(0xff000000)) == htonl(0x7f000000);
}

int ip_addr_is_broadcast(const struct net *net, uint32_t addr)
{
	if (addr == INADDR_BROADCAST)
		return 1;
	/* The subnet's broadcast, unless the prefix is /31 or /32 (RFC 3021). */
	return ~net->netmask & htonl(0xfffffffe) && (addr | net->netmask) == INADDR_BROADCAST &&
	       (addr & net->netmask) == (net->addr & net->netmask);
}

int ip_addr_is_local(const struct net *net, uint32_t addr)
{
	return addr == net->addr || ipv4_is_loopback(addr);
}

unsigned int ip_dst_mtu(const struct net *net)
{
	return net->dev ? net->dev->mtu : 65535;
}

int ip_route_output(struct net *net, uint32_t daddr, uint32_t *saddr, uint32_t *nexthop)
{
	if (ip_addr_is_local(net, daddr)) {
		*nexthop = daddr;
		if (!*saddr)
			*saddr = ipv4_is_loopback(daddr) ? htonl(INADDR_LOOPBACK) : net->addr;
		return 0;
	}
	if (!net->dev || !net->addr)
		return -ENETUNREACH;
	/* Broadcast, multicast and the subnet are on the device's link. */
	if (daddr == INADDR_BROADCAST || ipv4_is_multicast(daddr) ||
	    (daddr & net->netmask) == (net->addr & net->netmask))
		*nexthop = daddr;
	else if (net->gateway)
		*nexthop = net->gateway;
	else
		return -ENETUNREACH;
	/*
	 * __mkroute_output: a loopback source never leaves by another device
	 * than lo. The limited broadcast and multicast are routed out the
	 * device holding the source instead (lo), where the protocol's own
	 * checks answer (TCP's ENETUNREACH, SO_BROADCAST's EACCES).
	 */
	if (ipv4_is_loopback(*saddr) && daddr != INADDR_BROADCAST && !ipv4_is_multicast(daddr))
		return -EINVAL;
	if (!*saddr)
		*saddr = net->addr;
	return 0;
}

/*
 * A flow naming a device (oif) that the namespace has not is ENODEV
 * (ip_route_output_key_hash_rcu), before any address is looked at.
 *
 * __ip_route_output_key sends the limited broadcast and multicast out the
 * flow's device (oif: the send's IP_PKTINFO, else SO_BINDTODEVICE, else
 * IP_MULTICAST_IF's index for multicast and IP_UNICAST_IF's for the rest)
 * or the device holding its source address (the bound one, the send's
 * IP_PKTINFO, IP_MULTICAST_IF's for multicast) without asking the table;
 * with neither, fib_lookup finds no route for them when the namespace has
 * only its subnet's (no gateway here): ENETUNREACH.
 */
int ip_route_output_sk(const struct sock *sk, const struct ipcm_cookie *ipc, uint32_t daddr,
		       uint32_t *saddr, uint32_t *nexthop)
{
	const struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	bool mcast = ipv4_is_multicast(daddr);
	int oif = ipc && ipc->oif ? ipc->oif : sk->sk_bound_dev_if;
	uint32_t src = ipc && ipc->addr ? ipc->addr : *saddr;

	if (!oif)
		oif = mcast ? inet->mc_index : inet->uc_index;
	/* SO_BINDTOIFINDEX takes any index; the route wants its device. */
	if (oif && !dev_index_valid(net, oif))
		return -ENODEV;
	if (!src && mcast)
		src = inet->mc_addr;
	if ((mcast || daddr == INADDR_BROADCAST) && !oif && !src && !net->gateway)
		return -ENETUNREACH;
	return ip_route_output(net, daddr, saddr, nexthop);
}

uint8_t ip_select_ttl(const struct sock *sk)
{
	int ttl = inet_sk(sk)->uc_ttl;

	return (uint8_t)(ttl < 0 ? sock_net(sk)->sysctl.ip_default_ttl : ttl);
}

int ip_dont_fragment(const struct sock *sk)
{
	switch (inet_sk(sk)->pmtudisc) {
	case IP_PMTUDISC_DO:
	case IP_PMTUDISC_PROBE:
		return IP_DF_STRICT;
	case IP_PMTUDISC_WANT:
		/* A path whose MTU was locked at min_pmtu is left to the routers. */
		return ip_dst_mtu_locked(sock_net(sk), sk->sk_daddr) ? IP_DF_NONE : IP_DF_WANT;
	default:
		return IP_DF_NONE;
	}
}

static void ip_loopback_queue(struct net *net, struct sk_buff *skb)
{
	skb->tstamp = net->now;
	__skb_queue_tail(&net->loopback_queue, skb);
	if (!timer_pending(&net->loopback_timer))
		mod_timer(&net->timers, &net->loopback_timer, net->now);
}

/* Hands a finished IP packet (skb->data at the IP header) to loopback or ARP. */
static int ip_finish_output(struct net *net, struct sk_buff *skb, uint32_t nexthop)
{
	if (ip_addr_is_local(net, nexthop)) {
		/* The receive path reads the payload at skb->data. */
		skb = skb_linearize(skb);
		if (!skb)
			return -ENOBUFS;
		ip_loopback_queue(net, skb);
		return 0;
	}
	return arp_output(net, skb, nexthop);
}

/*
 * A socket's broadcast, and its multicast to a group this host joined with
 * IP_MULTICAST_LOOP on, reach local sockets too (ip_mc_output's loopback
 * copy), through the loopback path. skb holds the finished IP packet.
 */
static void ip_mc_loop(struct net *net, const struct sk_buff *skb)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	struct sk_buff *copy;

	if (ipv4_is_multicast(iph->daddr)) {
		if (!inet_sk(skb->sk)->mc_loop ||
		    !ip_check_mc(net, iph->daddr, iph->saddr, iph->protocol))
			return;
	} else if (!ip_addr_is_broadcast(net, iph->daddr)) {
		return;
	}
	copy = skb_copy(skb);
	if (!copy)
		return;
	copy->sk = NULL;
	skb_reset_network_header(copy);
	ip_loopback_queue(net, copy);
}

/*
 * Splits an IP packet into MTU-sized fragments (ip_do_fragment's slow
 * path): every fragment but the last carries a multiple of 8 payload bytes.
 * Consumes skb.
 */
static int ip_fragment(struct net *net, struct sk_buff *skb, unsigned int mtu, uint32_t nexthop)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	unsigned int hlen = iph->ihl * 4;
	unsigned int left = skb->len - hlen;
	unsigned int chunk = (mtu - hlen) & ~7u;
	unsigned int offset = 0;
	int err = 0;

	while (left > 0) {
		unsigned int len = left > chunk ? chunk : left;
		struct sk_buff *frag = alloc_skb(hlen + len); /* headroom for Ethernet included */
		struct iphdr *fh;

		if (!frag) {
			__IP_INC_STATS(net, FragFails);
			err = -ENOBUFS;
			break;
		}
		fh = (struct iphdr *)skb_put(frag, hlen + len);
		memcpy(fh, iph, hlen);
		memcpy((uint8_t *)fh + hlen, skb->data + hlen + offset, len);
		fh->tot_len = htons((uint16_t)(hlen + len));
		fh->frag_off = htons((uint16_t)((offset >> 3) | (left > len ? IP_MF : 0)));
		if (offset && hlen > IPV4_HLEN)
			ip_options_fragment((uint8_t *)fh);
		fh->check = 0;
		fh->check = ip_fast_csum(fh, fh->ihl);
		skb_reset_network_header(frag);
		frag->sk = skb->sk;
		err = ip_finish_output(net, frag, nexthop);
		if (err)
			break;
		__IP_INC_STATS(net, FragCreates);
		offset += len;
		left -= len;
	}
	if (!err)
		__IP_INC_STATS(net, FragOKs);
	kfree_skb(skb);
	return err;
}

int ip_build_and_send_pkt(struct net *net, struct sk_buff *skb, uint32_t saddr, uint32_t daddr,
			  uint8_t protocol, uint8_t tos, uint8_t ttl, int df)
{
	return ip_build_and_send_pkt_opt(net, skb, saddr, daddr, protocol, tos, ttl, df, NULL);
}

int ip_build_and_send_pkt_opt(struct net *net, struct sk_buff *skb, uint32_t saddr, uint32_t daddr,
			      uint8_t protocol, uint8_t tos, uint8_t ttl, int df,
			      const struct ip_options_data *opt)
{
	unsigned int optlen = opt ? opt->opt.optlen : 0, hlen = IPV4_HLEN + optlen;
	/* A source route goes to its first hop; daddr is its last (ip_options_build). */
	uint32_t final = daddr;
	unsigned int mtu;
	uint32_t nexthop;
	struct iphdr *iph;
	int err;

	if (optlen && opt->opt.srr)
		daddr = opt->opt.faddr;
	mtu = skb->sk ? ip_sk_mtu(skb->sk, daddr) : ip_dst_mtu_to(net, daddr);
	err = ip_route_output(net, daddr, &saddr, &nexthop);
	if (err) {
		__IP_INC_STATS(net, OutNoRoutes);
		kfree_skb(skb);
		return err;
	}
	/* SO_BINDTODEVICE "lo": the kernel routes everything out lo, back to this host. */
	if (skb->sk && skb->sk->sk_bound_dev_if == LOOPBACK_IFINDEX)
		nexthop = htonl(INADDR_LOOPBACK);
	if (skb_headroom(skb) < hlen + ETH_HLEN || skb->len + hlen > 65535) {
		kfree_skb(skb);
		return -EMSGSIZE;
	}
	skb_reset_transport_header(skb);
	iph = (struct iphdr *)skb_push(skb, hlen);
	skb_reset_network_header(skb);
	iph->version = 4;
	iph->ihl = hlen / 4;
	if (optlen)
		ip_options_build(net, (uint8_t *)iph, opt, final, saddr);
	iph->tos = tos;
	iph->tot_len = htons((uint16_t)skb->len);
	iph->id = htons(net->ip_id_next);
	/* A GSO frame's pieces take the ids after this one (ip_select_ident_segs). */
	net->ip_id_next += skb->gso_segs > 1 ? skb->gso_segs : 1;
	iph->frag_off = df != IP_DF_NONE ? htons(IP_DF) : 0;
	/* Multicast TTL 0 is meaningful: it stays on this host. */
	iph->ttl = ttl || ipv4_is_multicast(daddr) ? ttl : (uint8_t)net->sysctl.ip_default_ttl;
	iph->protocol = protocol;
	iph->saddr = saddr;
	iph->daddr = daddr;
	iph->check = 0;
	iph->check = ip_fast_csum(iph, iph->ihl);
	__IP_INC_STATS(net, OutRequests);

	if (skb->sk && !ip_addr_is_local(net, nexthop)) {
		ip_mc_loop(net, skb);
		if (ipv4_is_multicast(daddr) && !iph->ttl) {
			kfree_skb(skb);
			return 0;
		}
	}
	if (skb->len > mtu && !skb->gso_size && !ip_addr_is_local(net, nexthop)) {
		if (df == IP_DF_STRICT) {
			__IP_INC_STATS(net, FragFails);
			kfree_skb(skb);
			return -EMSGSIZE;
		}
		iph->frag_off = 0;
		skb = skb_linearize(skb);
		if (!skb)
			return -ENOBUFS;
		skb_checksum_help(skb); /* the pieces cannot be summed apart (ip_do_fragment) */
		return ip_fragment(net, skb, mtu, nexthop);
	}
	return ip_finish_output(net, skb, nexthop);
}

/* Local delivery (ip_local_deliver_finish): raw sockets first, then the transport. */
static void ip_local_deliver(struct net *net, struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	int protocol = iph->protocol;
	const struct net_protocol *ipprot;
	int raw;

	skb_pull(skb, iph->ihl * 4);
	skb_reset_transport_header(skb);
	raw = raw_local_deliver(net, skb, protocol);
	ipprot = inet_protos[protocol];
	if (ipprot && ipprot->handler) {
		__IP_INC_STATS(net, InDelivers);
		ipprot->handler(net, skb);
		return;
	}
	if (!raw) {
		__IP_INC_STATS(net, InUnknownProtos);
		icmp_send(net, skb, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0);
	} else {
		__IP_INC_STATS(net, InDelivers);
	}
	kfree_skb(skb);
}

static int ipv4_is_zeronet(uint32_t addr)
{
	return (addr & htonl(0xff000000)) == 0;
}

/*
 * The input route of a host with one address (ip_route_input_slow): local
 * delivery, broadcast, multicast to a group the device joined
 * (ip_route_input_mc; other groups are dropped uncounted), or a drop.
 * Martians, in the kernel's order: a
 * multicast or broadcast source; a 0/8 source except towards the limited
 * broadcast (DHCP); a 0/8 destination; 127/8 either way unless the packet
 * came through the loopback path (skb->dev NULL; route_localnet is 0); and,
 * as fib_validate_source(), the stack's own address as the source of a
 * packet from the wire (a "land" packet: accept_local is 0). Anything else
 * not for us is "no route" with forwarding off.
 *
 * The subnet's broadcast as a source is refused too, where the kernel (with
 * rp_filter 0) checks only the limited broadcast and answers such a SYN
 * with a reset to the whole subnet.
 *
 * Every drop is counted as InAddrErrors. The kernel counts the no-route
 * case there (ip_error) but martians only in /proc/net/stat/rt_cache
 * (in_martian_src, in_martian_dst); InAddrErrors is the nearest snmp name.
 * Returns 0 to deliver (pkt_type set for broadcasts and multicasts) or -1.
 */
static int ip_route_input(struct net *net, struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	uint32_t saddr = iph->saddr, daddr = iph->daddr;
	int from_wire = skb->dev != NULL;

	if (IN_MULTICAST(ntohl(saddr)) || ip_addr_is_broadcast(net, saddr))
		goto martian;
	if (daddr == INADDR_BROADCAST || (!saddr && !daddr))
		goto brd_input;
	if (ipv4_is_multicast(daddr))
		goto mc_input;
	if (ipv4_is_zeronet(saddr) || ipv4_is_zeronet(daddr))
		goto martian;
	if (from_wire && (ipv4_is_loopback(saddr) || ipv4_is_loopback(daddr)))
		goto martian;
	if (ip_addr_is_broadcast(net, daddr))
		goto brd_input;
	if (!ip_addr_is_local(net, daddr))
		goto martian; /* ip_error: EHOSTUNREACH, forwarding is off */
	if (from_wire && ip_addr_is_local(net, saddr))
		goto martian;
	return 0;

brd_input:
	if (saddr && from_wire && ip_addr_is_local(net, saddr))
		goto martian;
	skb->pkt_type = PACKET_BROADCAST;
	return 0;
mc_input:
	/* A group the device did not join is not for us (ip_check_mc_rcu), and not counted. */
	if (!ip_check_mc(net, daddr, saddr, iph->protocol))
		return -1;
	/* ip_mc_validate_source(): 0.0.0.0 only to link-local groups or in IGMP. */
	if (ipv4_is_zeronet(saddr) && !ipv4_is_local_multicast(daddr) &&
	    iph->protocol != IPPROTO_IGMP)
		goto martian;
	if (from_wire && (ipv4_is_loopback(saddr) || ip_addr_is_local(net, saddr)))
		goto martian;
	skb->pkt_type = PACKET_MULTICAST;
	return 0;
martian:
	__IP_INC_STATS(net, InAddrErrors);
	return -1;
}

int ip_rcv(struct net *net, struct sk_buff *skb)
{
	const struct iphdr *iph;
	unsigned int len;

	__IP_INC_STATS(net, InReceives);
	skb_reset_network_header(skb);
	memset(IPCB(skb), 0,
	       sizeof(struct inet_skb_parm)); /* the sender's control block on loopback */
	if (skb->len < sizeof(struct iphdr))
		goto inhdr_error;
	iph = ip_hdr(skb);
	/* RFC 1122 3.2.1.2: silently discard a bad version or header length. */
	if (iph->ihl < 5 || iph->version != 4)
		goto inhdr_error;
	if (skb->len < (unsigned int)iph->ihl * 4)
		goto inhdr_error;
	if (ip_fast_csum(iph, iph->ihl)) {
		__IP_INC_STATS(net, InCsumErrors);
		goto inhdr_error;
	}
	len = ntohs(iph->tot_len);
	if (skb->len < len) {
		__IP_INC_STATS(net, InTruncatedPkts);
		goto drop;
	}
	if (len < (unsigned int)iph->ihl * 4)
		goto inhdr_error;
	/* Ethernet pads short frames: the IP length is the truth. */
	skb_trim(skb, len);

	if (ip_route_input(net, skb))
		goto drop;
	/* After the route, before reassembly: each fragment's options, as the kernel. */
	if (iph->ihl > 5 && ip_rcv_options(net, skb))
		goto drop;
	if (ntohs(iph->frag_off) & (IP_MF | IP_OFFMASK)) {
		skb = ip_defrag(net, skb);
		if (!skb)
			return 0;
	}
	ip_local_deliver(net, skb);
	return 0;

inhdr_error:
	__IP_INC_STATS(net, InHdrErrors);
drop:
	kfree_skb(skb);
	return 0;
}

/* ---- SOL_IP socket options (net/ipv4/ip_sockglue.c) ---- */

#define INET_ECN_MASK	    3
#define IP_CMSG_PKTINFO	    1u
#define IP_CMSG_TTL	    2u
#define IP_CMSG_TOS	    4u
#define IP_CMSG_RECVOPTS    8u
#define IP_CMSG_RETOPTS	    16u
#define IP_CMSG_ORIGDSTADDR 64u

static void inet_set_cmsg(struct sock *sk, uint32_t flag, int on)
{
	if (on)
		inet_sk(sk)->cmsg_flags |= flag;
	else
		inet_sk(sk)->cmsg_flags &= ~flag;
}

/*
 * rt_tos2priority(): the traffic class of the TOS bits (the kernel's
 * ip_tos2prio, by IPTOS_TOS(tos) >> 1, whose odd entries repeat the even
 * ones: the MINCOST bit does not matter). Indexed here by the LOWDELAY,
 * THROUGHPUT and RELIABILITY bits (0x10, 0x08, 0x04) as a number 0-7.
 */
static uint32_t rt_tos2priority(uint8_t tos)
{
	enum { BESTEFFORT = 0, BULK = 2, INTERACTIVE_BULK = 4, INTERACTIVE = 6 }; /* TC_PRIO_* */
	static const uint8_t ip_tos2prio[8] = {
		BESTEFFORT,	  BESTEFFORT,	   BULK, BULK, INTERACTIVE, INTERACTIVE,
		INTERACTIVE_BULK, INTERACTIVE_BULK};

	return ip_tos2prio[(tos & 0x1c) >> 2];
}

/*
 * IP_IPSEC_POLICY, IP_XFRM_POLICY (xfrm_user_policy): the stack has no
 * IPsec. An empty value clears the (absent) policy (the kernel's NULL one:
 * the interposer answers EMSGSIZE for one that points somewhere, which
 * the host cannot see); the PF_KEY form finds
 * no key manager (EOPNOTSUPP, af_key not loaded) and the netlink form is
 * refused as xfrm_user refuses a short one.
 */
static int ip_xfrm_policy(struct sock *sk, int optname, unsigned int optlen)
{
	if (!ns_capable(sock_net(sk), CAP_NET_ADMIN))
		return -EPERM;
	if (!optlen)
		return 0;
	if (optlen > 4096)
		return -EMSGSIZE;
	return optname == IP_IPSEC_POLICY ? -EOPNOTSUPP : -EINVAL;
}

/*
 * Options the stack keeps for getsockopt with the kernel's checks, which
 * need nothing more here: router alert matters only to forwarding (the
 * stack forwards nothing), IP_PASSSEC's label needs a security module,
 * IP_NODEFRAG only conntrack, IP_CHECKSUM a device that gives
 * CHECKSUM_COMPLETE; IP_TRANSPARENT binds any address as IP_FREEBIND
 * does; IP_UNICAST_IF names the stack's device or lo; IP_RECVFRAGSIZE
 * reports a reassembled datagram's largest fragment (ip_cmsg_put).
 */
static int ip_setsockopt_kept(struct sock *sk, int optname, unsigned int optlen, int val)
{
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);

	switch (optname) {
	case IP_ROUTER_ALERT:
		/* ip_ra_control */
		if (sk->sk_type != SOCK_RAW || sk->sk_num == IPPROTO_RAW)
			return -EINVAL;
		if (val && inet->rtalert)
			return -EADDRINUSE;
		if (!val && !inet->rtalert)
			return -ENOBUFS;
		inet->rtalert = !!val;
		return 0;
	case IP_PASSSEC:
		inet->passsec = !!val;
		return 0;
	case IP_TRANSPARENT:
		if (val && !ns_capable(net, CAP_NET_RAW) && !ns_capable(net, CAP_NET_ADMIN))
			return -EPERM;
		if (optlen < 1)
			return -EINVAL;
		inet->transparent = !!val;
		return 0;
	case IP_NODEFRAG:
		if (sk->sk_type != SOCK_RAW)
			return -ENOPROTOOPT;
		inet->nodefrag = !!val;
		return 0;
	case IP_CHECKSUM:
		inet->checksum = !!val;
		return 0;
	case IP_RECVFRAGSIZE:
		if (sk->sk_type != SOCK_RAW && sk->sk_type != SOCK_DGRAM)
			return -EINVAL;
		inet->recvfragsize = !!val;
		return 0;
	case IP_UNICAST_IF: {
		/* The index in network byte order, as the kernel reads it. */
		int ifindex = (int)ntohl((uint32_t)val);

		if (optlen != sizeof(int))
			return -EINVAL;
		if (ifindex && !netdev_get_name(net, ifindex))
			return -EADDRNOTAVAIL;
		if (ifindex && sk->sk_bound_dev_if && sk->sk_bound_dev_if != ifindex)
			return -EINVAL;
		inet->uc_index = ifindex;
		return 0;
	}
	}
	return -ENOPROTOOPT;
}

/*
 * IP_OPTIONS (do_ip_setsockopt, ip_options_get): at most 40 bytes, checked
 * whole before they replace the socket's; 0 bytes clear them. TCP's MSS
 * follows (icsk_sync_mss).
 */
static int ip_setsockopt_options(struct sock *sk, const void *optval, unsigned int optlen)
{
	struct ip_options_data opt;
	int err;

	if (optlen > MAX_IPOPTLEN)
		return -EINVAL;
	if (optlen && !optval)
		return -EFAULT;
	err = ip_options_get(sock_net(sk), &opt, optval, optlen);
	if (err)
		return err;
	inet_sk(sk)->inet_opt = opt;
	if (inet_sk(sk)->is_icsk)
		tcp_sync_mss(sk);
	return 0;
}

/* getsockopt(IP_OPTIONS): the options as set, cut to the caller's room; none: length 0. */
static int ip_getsockopt_options(struct sock *sk, void *optval, int *optlen)
{
	const struct ip_options_data *opt = &inet_sk(sk)->inet_opt;
	uint8_t out[MAX_IPOPTLEN];
	int len = *optlen;

	if (!opt->opt.optlen) {
		*optlen = 0;
		return 0;
	}
	ip_options_undo(opt, out);
	if (len > opt->opt.optlen)
		len = opt->opt.optlen;
	if (len && !optval)
		return -EFAULT;
	*optlen = len;
	memcpy(optval, out, (size_t)len);
	return 0;
}

int ip_setsockopt(struct sock *sk, int level, int optname, const void *optval, unsigned int optlen)
{
	struct inet_sock *inet = inet_sk(sk);
	int val = 0;

	if (level != SOL_IP)
		return -ENOPROTOOPT;

	switch (optname) {
	case IP_OPTIONS:
		return ip_setsockopt_options(sk, optval, optlen);
	case IP_PKTINFO:
	case IP_RECVTTL:
	case IP_RECVTOS:
	case IP_RECVOPTS:
	case IP_RETOPTS:
	case IP_RECVORIGDSTADDR:
	case IP_RECVERR:
	case IP_RECVERR_RFC4884:
	case IP_TOS:
	case IP_TTL:
	case IP_MTU_DISCOVER:
	case IP_FREEBIND:
	case IP_BIND_ADDRESS_NO_PORT:
	case IP_LOCAL_PORT_RANGE:
	case IP_MINTTL:
	case IP_MULTICAST_TTL:
	case IP_MULTICAST_LOOP:
	case IP_MULTICAST_ALL:
	case IP_ROUTER_ALERT:
	case IP_PASSSEC:
	case IP_TRANSPARENT:
	case IP_NODEFRAG:
	case IP_CHECKSUM:
	case IP_RECVFRAGSIZE:
	case IP_UNICAST_IF:
		/* An int, or a single byte; optlen 0 means 0. */
		if (optlen >= sizeof(int)) {
			if (!optval)
				return -EFAULT;
			memcpy(&val, optval, sizeof(int));
		} else if (optlen >= 1) {
			if (!optval)
				return -EFAULT;
			val = *(const unsigned char *)optval;
		}
		break;
	case IP_IPSEC_POLICY:
	case IP_XFRM_POLICY:
		return ip_xfrm_policy(sk, optname, optlen);
	default:
		/* Multicast joins and filters read their own structures (ip_mc_setsockopt). */
		return ip_mc_setsockopt(sk, optname, optval, optlen);
	}

	switch (optname) {
	case IP_PKTINFO:
		inet_set_cmsg(sk, IP_CMSG_PKTINFO, val);
		return 0;
	case IP_RECVTTL:
		inet_set_cmsg(sk, IP_CMSG_TTL, val);
		return 0;
	case IP_RECVTOS:
		inet_set_cmsg(sk, IP_CMSG_TOS, val);
		return 0;
	case IP_RECVOPTS:
		inet_set_cmsg(sk, IP_CMSG_RECVOPTS, val);
		return 0;
	case IP_RETOPTS:
		inet_set_cmsg(sk, IP_CMSG_RETOPTS, val);
		return 0;
	case IP_RECVORIGDSTADDR:
		inet_set_cmsg(sk, IP_CMSG_ORIGDSTADDR, val);
		return 0;
	case IP_RECVERR:
		inet->recverr = !!val;
		if (!val)
			__skb_queue_purge(&sk->sk_error_queue);
		return 0;
	case IP_RECVERR_RFC4884:
		if (val < 0 || val > 1)
			return -EINVAL;
		inet->recverr_rfc4884 = !!val;
		return 0;
	case IP_TOS:
		/*
		 * __ip_sock_set_tos(): TCP keeps its own ECN bits; a new TOS
		 * sets SO_PRIORITY to its class (the same TOS again leaves a
		 * priority set since as it is).
		 */
		if (sk->sk_type == SOCK_STREAM) {
			val &= ~INET_ECN_MASK;
			val |= inet->tos & INET_ECN_MASK;
		}
		if (inet->tos != (uint8_t)val)
			sk->sk_priority = rt_tos2priority((uint8_t)val);
		inet->tos = (uint8_t)val;
		return 0;
	case IP_TTL:
		if (optlen < 1)
			return -EINVAL;
		if (val != -1 && (val < 1 || val > 255))
			return -EINVAL;
		inet->uc_ttl = (int16_t)val;
		return 0;
	case IP_MTU_DISCOVER:
		if (val < IP_PMTUDISC_DONT || val > IP_PMTUDISC_OMIT)
			return -EINVAL;
		inet->pmtudisc = (uint8_t)val;
		return 0;
	case IP_FREEBIND:
		if (optlen < 1)
			return -EINVAL;
		inet->freebind = !!val;
		return 0;
	case IP_BIND_ADDRESS_NO_PORT:
		inet->bind_address_no_port = !!val;
		return 0;
	case IP_LOCAL_PORT_RANGE: {
		uint32_t lo = (uint32_t)val & 0xffff, hi = (uint32_t)val >> 16;

		if (optlen != sizeof(uint32_t) || (lo && hi && lo > hi))
			return -EINVAL;
		inet->local_port_range = (uint32_t)val;
		return 0;
	}
	case IP_MINTTL:
		if (optlen < 1)
			return -EINVAL;
		if (val < 0 || val > 255)
			return -EINVAL;
		inet->min_ttl = (uint8_t)val;
		return 0;
	case IP_MULTICAST_TTL:
		if (sk->sk_type == SOCK_STREAM)
			return -EINVAL;
		if (optlen < 1)
			return -EINVAL;
		if (val == -1)
			val = 1;
		if (val < 0 || val > 255)
			return -EINVAL;
		inet->mc_ttl = (uint8_t)val;
		return 0;
	case IP_MULTICAST_LOOP:
		if (optlen < 1)
			return -EINVAL;
		inet->mc_loop = !!val;
		return 0;
	case IP_MULTICAST_ALL:
		if (optlen < 1)
			return -EINVAL;
		if (val != 0 && val != 1)
			return -EINVAL;
		inet->mc_all = (uint8_t)val;
		return 0;
	default:
		return ip_setsockopt_kept(sk, optname, optlen, val);
	}
}

static int ip_get_pktoptions(struct sock *sk, void *optval, int *optlen);

int ip_getsockopt(struct sock *sk, int level, int optname, void *optval, int *optlen)
{
	struct inet_sock *inet = inet_sk(sk);
	int val, len;

	if (level != SOL_IP)
		return -EOPNOTSUPP;
	if (!optlen)
		return -EFAULT;
	len = *optlen;
	if (len < 0)
		return -EINVAL;

	switch (optname) {
	case IP_OPTIONS:
		return ip_getsockopt_options(sk, optval, optlen);
	case IP_PKTINFO:
		val = !!(inet->cmsg_flags & IP_CMSG_PKTINFO);
		break;
	case IP_RECVTTL:
		val = !!(inet->cmsg_flags & IP_CMSG_TTL);
		break;
	case IP_RECVTOS:
		val = !!(inet->cmsg_flags & IP_CMSG_TOS);
		break;
	case IP_RECVOPTS:
		val = !!(inet->cmsg_flags & IP_CMSG_RECVOPTS);
		break;
	case IP_RETOPTS:
		val = !!(inet->cmsg_flags & IP_CMSG_RETOPTS);
		break;
	case IP_RECVORIGDSTADDR:
		val = !!(inet->cmsg_flags & IP_CMSG_ORIGDSTADDR);
		break;
	case IP_RECVERR:
		val = inet->recverr;
		break;
	case IP_RECVERR_RFC4884:
		val = inet->recverr_rfc4884;
		break;
	case IP_TOS:
		val = inet->tos;
		break;
	case IP_TTL:
		val = ip_select_ttl(sk);
		break;
	case IP_MTU_DISCOVER:
		val = inet->pmtudisc;
		break;
	case IP_MTU:
		if (sk->sk_state != TCP_ESTABLISHED && !sk->sk_daddr)
			return -ENOTCONN;
		val = (int)ip_dst_mtu_to(sock_net(sk), sk->sk_daddr);
		break;
	case IP_FREEBIND:
		val = inet->freebind;
		break;
	case IP_BIND_ADDRESS_NO_PORT:
		val = inet->bind_address_no_port;
		break;
	case IP_LOCAL_PORT_RANGE:
		val = (int)inet->local_port_range;
		break;
	case IP_MINTTL:
		val = inet->min_ttl;
		break;
	case IP_MULTICAST_TTL:
		val = inet->mc_ttl;
		break;
	case IP_MULTICAST_LOOP:
		val = inet->mc_loop;
		break;
	case IP_MULTICAST_ALL:
		val = inet->mc_all;
		break;
	case IP_HDRINCL:
		val = inet->hdrincl;
		break;
	case IP_ROUTER_ALERT:
		val = inet->rtalert;
		break;
	case IP_PASSSEC:
		val = inet->passsec;
		break;
	case IP_TRANSPARENT:
		val = inet->transparent;
		break;
	case IP_NODEFRAG:
		val = inet->nodefrag;
		break;
	case IP_CHECKSUM:
		val = inet->checksum;
		break;
	case IP_RECVFRAGSIZE:
		val = inet->recvfragsize;
		break;
	case IP_UNICAST_IF:
		val = (int)htonl((uint32_t)inet->uc_index);
		break;
	case IP_PROTOCOL:
		val = sk->sk_num; /* inet_num: the protocol of a raw socket, else the local port */
		break;
	case IP_PKTOPTIONS:
		return ip_get_pktoptions(sk, optval, optlen);
	default:
		return ip_mc_getsockopt(sk, optname, optval, optlen);
	}

	/* A short buffer gets one byte when the value fits, as the kernel does. */
	if (len < (int)sizeof(int) && len > 0 && val >= 0 && val <= 255) {
		unsigned char ucval = (unsigned char)val;

		if (!optval)
			return -EFAULT;
		*optlen = 1;
		memcpy(optval, &ucval, 1);
	} else {
		len = len < (int)sizeof(int) ? len : (int)sizeof(int);
		if (len && !optval)
			return -EFAULT;
		*optlen = len;
		memcpy(optval, &val, (size_t)len);
	}
	return 0;
}

struct cmsg_writer {
	struct msghdr *msg;
	size_t room, used;
};

/* net/core/scm.c: put_cmsg(), truncating with MSG_CTRUNC when out of room. */
static void put_cmsg(struct cmsg_writer *w, int level, int type, const void *data, size_t len)
{
	size_t cmlen = CMSG_LEN(len), space = CMSG_SPACE(len);
	struct cmsghdr *cm = (struct cmsghdr *)((uint8_t *)w->msg->msg_control + w->used);
	size_t left = w->room - w->used;

	if (!w->msg->msg_control || left < sizeof(struct cmsghdr)) {
		w->msg->msg_flags |= MSG_CTRUNC;
		return;
	}
	if (left < cmlen) {
		w->msg->msg_flags |= MSG_CTRUNC;
		cmlen = left;
	}
	cm->cmsg_level = level;
	cm->cmsg_type = type;
	cm->cmsg_len = cmlen;
	memcpy(CMSG_DATA(cm), data, cmlen - sizeof(struct cmsghdr));
	w->used += space < left ? space : left;
}

/* include/uapi/linux/net_tstamp.h (OPT_RX_FILTER is newer than this libc's copy). */
#define SOF_TIMESTAMPING_TX_HARDWARE   (1u << 0)
#define SOF_TIMESTAMPING_TX_SOFTWARE   (1u << 1)
#define SOF_TIMESTAMPING_RX_SOFTWARE   (1u << 3)
#define SOF_TIMESTAMPING_SOFTWARE      (1u << 4)
#define SOF_TIMESTAMPING_OPT_ID	       (1u << 7)
#define SOF_TIMESTAMPING_TX_SCHED      (1u << 8)
#define SOF_TIMESTAMPING_OPT_CMSG      (1u << 10)
#define SOF_TIMESTAMPING_OPT_TSONLY    (1u << 11)
#define SOF_TIMESTAMPING_OPT_STATS     (1u << 12)
#define SOF_TIMESTAMPING_OPT_RX_FILTER (1u << 17)
#ifndef SCM_TIMESTAMPING_OPT_STATS
#define SCM_TIMESTAMPING_OPT_STATS 54
#endif

/*
 * sock_recv_timestamp: SO_TIMESTAMP(NS) stamps the arrival time on the
 * wall clock, as a struct timeval or timespec (the _NEW option names: the
 * same two 64-bit numbers on a 64-bit host, under their own type).
 */
/*
 * getsockopt(IP_PKTOPTIONS) on TCP: what IP_PKTINFO, IP_RECVTTL and
 * IP_RECVTOS would say, as control messages (do_ip_getsockopt).
 */
static int ip_get_pktoptions(struct sock *sk, void *optval, int *optlen)
{
	struct inet_sock *inet = inet_sk(sk);
	struct msghdr msg = {.msg_control = optval, .msg_controllen = (size_t)*optlen};
	struct cmsg_writer w = {&msg, msg.msg_controllen, 0};

	if (sk->sk_type != SOCK_STREAM)
		return -ENOPROTOOPT;
	if (inet->cmsg_flags & IP_CMSG_PKTINFO) {
		struct in_pktinfo info = {.ipi_ifindex = inet->mc_index,
					  .ipi_spec_dst = {sk->sk_rcv_saddr},
					  .ipi_addr = {sk->sk_rcv_saddr}};

		put_cmsg(&w, SOL_IP, IP_PKTINFO, &info, sizeof(info));
	}
	if (inet->cmsg_flags & IP_CMSG_TTL) {
		int hlim = inet->mc_ttl;

		put_cmsg(&w, SOL_IP, IP_TTL, &hlim, sizeof(hlim));
	}
	if (inet->cmsg_flags & IP_CMSG_TOS) {
		int tos = inet->rcv_tos;

		put_cmsg(&w, SOL_IP, IP_TOS, &tos, sizeof(tos));
	}
	*optlen = (int)w.used;
	return 0;
}

static void sock_recv_timestamp(struct cmsg_writer *w, const struct sock *sk,
				const struct sk_buff *skb, bool tx_tstamp)
{
	int64_t t = (int64_t)skb->tstamp + sock_net(sk)->realtime_offset;
	bool is_new = sock_flag(sk, SOCK_TSTAMP_NEW);
	int64_t v[2] = {t / (int64_t)NSEC_PER_SEC, t % (int64_t)NSEC_PER_SEC};

	uint32_t tsflags = sk->sk_tsflags;

	if (sock_flag(sk, SOCK_RCVTSTAMP) && sock_flag(sk, SOCK_RCVTSTAMPNS)) {
		put_cmsg(w, SOL_SOCKET, is_new ? SO_TIMESTAMPNS_NEW : SO_TIMESTAMPNS_OLD, v,
			 sizeof(v));
	} else if (sock_flag(sk, SOCK_RCVTSTAMP)) {
		int64_t us[2] = {v[0], v[1] / 1000};

		put_cmsg(w, SOL_SOCKET, is_new ? SO_TIMESTAMP_NEW : SO_TIMESTAMP_OLD, us,
			 sizeof(us));
	}
	/*
	 * SO_TIMESTAMPING: the software stamp in the first of three timespecs
	 * (struct scm_timestamping); unless SOF_TIMESTAMPING_OPT_RX_FILTER
	 * asks for receive stamps only where RX_SOFTWARE was set. A transmit
	 * stamp from the error queue is always reported.
	 */
	if ((tsflags & SOF_TIMESTAMPING_SOFTWARE) &&
	    (tx_tstamp || (tsflags & SOF_TIMESTAMPING_RX_SOFTWARE) ||
	     !(tsflags & SOF_TIMESTAMPING_OPT_RX_FILTER))) {
		int64_t tss[6] = {v[0], v[1]};

		put_cmsg(w, SOL_SOCKET, is_new ? SO_TIMESTAMPING_NEW : SO_TIMESTAMPING_OLD, tss,
			 sizeof(tss));
	}
}

/* ip_cmsg_recv_offset: in the kernel's order, after the socket-level stamps. */
/* tx: skb is a frame of ours stamped as it left (the error queue, OPT_CMSG). */
static void ip_cmsg_put(struct cmsg_writer *w, const struct sock *sk, const struct sk_buff *skb,
			bool tx)
{
	const struct iphdr *iph = ip_hdr(skb);
	uint32_t flags = inet_sk(sk)->cmsg_flags;

	if (flags & IP_CMSG_PKTINFO) {
		/*
		 * ipv4_pktinfo_prepare() computes the specific destination for
		 * UDP and raw sockets; ping sockets skip it and report 0. A
		 * stamped frame's is its source (ipv4_datagram_support_cmsg).
		 */
		bool ping = sk->sk_type == SOCK_DGRAM && sk->sk_protocol == IPPROTO_ICMP;
		uint32_t spec_dst = tx ? iph->saddr : ping ? 0 : sock_net(sk)->addr;
		struct in_pktinfo info = {
			.ipi_ifindex = skb->dev ? skb->dev->ifindex : 1,
			.ipi_spec_dst = {spec_dst},
			.ipi_addr = {iph->daddr},
		};

		put_cmsg(w, SOL_IP, IP_PKTINFO, &info, sizeof(info));
	}
	if (flags & IP_CMSG_TTL) {
		int ttl = iph->ttl;

		put_cmsg(w, SOL_IP, IP_TTL, &ttl, sizeof(ttl));
	}
	if (flags & IP_CMSG_TOS) {
		uint8_t tos = iph->tos;

		put_cmsg(w, SOL_IP, IP_TOS, &tos, sizeof(tos));
	}
	/*
	 * The options as received, and as an answer would carry them before
	 * this host's slots are filled (ip_cmsg_recv_retopts: echo, then
	 * undo); none: no message.
	 */
	if ((flags & IP_CMSG_RECVOPTS) && iph->ihl > 5)
		put_cmsg(w, SOL_IP, IP_RECVOPTS, iph + 1, (size_t)iph->ihl * 4 - sizeof(*iph));
	if ((flags & IP_CMSG_RETOPTS) && iph->ihl > 5) {
		struct ip_options_data opt;
		uint8_t out[MAX_IPOPTLEN];

		if (ip_options_echo(sock_net(sk), skb, &IPCB(skb)->opt, &opt)) {
			w->msg->msg_flags |= MSG_CTRUNC;
		} else {
			ip_options_undo(&opt, out);
			put_cmsg(w, SOL_IP, IP_RETOPTS, out, opt.opt.optlen);
		}
	}
	/* ip_cmsg_recv_dstaddr: the second 16-bit word of the transport header as the port. */
	if ((flags & IP_CMSG_ORIGDSTADDR) &&
	    skb_transport_header(skb) + 4 <= skb->data + skb->len) {
		struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr = {iph->daddr}};

		memcpy(&sin.sin_port, skb_transport_header(skb) + 2, sizeof(sin.sin_port));
		put_cmsg(w, SOL_IP, IP_ORIGDSTADDR, &sin, sizeof(sin));
	}
	/* ip_cmsg_recv_fragsize: a datagram that came whole says nothing. */
	if (inet_sk(sk)->recvfragsize && !tx && IPCB(skb)->frag_max_size) {
		int size = IPCB(skb)->frag_max_size;

		put_cmsg(w, SOL_IP, IP_RECVFRAGSIZE, &size, sizeof(size));
	}
}

void ip_cmsg_recv(struct msghdr *msg, const struct sock *sk, const struct sk_buff *skb,
		  uint32_t dropcount, int udp_gro)
{
	struct cmsg_writer w = {msg, msg->msg_controllen, 0};

	sock_recv_timestamp(&w, sk, skb, false);
	if (sock_flag(sk, SOCK_RXQ_OVFL) && dropcount)
		put_cmsg(&w, SOL_SOCKET, SO_RXQ_OVFL, &dropcount, sizeof(dropcount));
	/* sock_recv_mark, sock_recv_priority: what arrives has no mark and priority 0. */
	if (sock_flag(sk, SOCK_RCVMARK))
		put_cmsg(&w, SOL_SOCKET, SO_MARK, &(uint32_t){0}, sizeof(uint32_t));
	if (sock_flag(sk, SOCK_RCVPRIORITY))
		put_cmsg(&w, SOL_SOCKET, SO_PRIORITY, &(uint32_t){0}, sizeof(uint32_t));
	/* udp_cmsg_recv: a datagram taken whole from a GSO frame says its segment size. */
	if (udp_gro)
		put_cmsg(&w, SOL_UDP, UDP_GRO, &udp_gro, sizeof(udp_gro));
	ip_cmsg_put(&w, sk, skb, false);
	msg->msg_controllen = w.used;
}

#define SOF_TIMESTAMPING_RAW_HARDWARE (1u << 6)

/*
 * The kernel stamps arriving packets only while some socket asked
 * (net_enable_timestamp, one switch for the whole machine); here: while
 * this socket asked, SIOCGSTAMP included (SOCK_TIMESTAMP).
 */
static bool sock_stamping(const struct sock *sk)
{
	return sock_flag(sk, SOCK_TIMESTAMP) || (sk->sk_tsflags & SOF_TIMESTAMPING_RX_SOFTWARE);
}

/* sock_recv_cmsgs: the socket asked for control messages (FLAGS_RECV_CMSGS, TSFLAGS_ANY). */
static bool sock_recv_cmsgs_asked(const struct sock *sk)
{
	uint32_t flags = 1u << SOCK_RXQ_OVFL | 1u << SOCK_RCVTSTAMP | 1u << SOCK_RCVMARK |
			 1u << SOCK_RCVPRIORITY;

	return (sk->sk_flags & flags) ||
	       (sk->sk_tsflags & (SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_RAW_HARDWARE |
				  SOF_TIMESTAMPING_RX_SOFTWARE));
}

bool sock_stamp_kept(const struct sock *sk)
{
	uint32_t tsflags = sk->sk_tsflags;

	/* sock_recv_timestamp calls __sock_recv_timestamp, which puts a message instead. */
	return sock_recv_cmsgs_asked(sk) &&
	       (sock_flag(sk, SOCK_RCVTSTAMP) || (tsflags & SOF_TIMESTAMPING_RX_SOFTWARE) ||
		(sock_stamping(sk) && (tsflags & SOF_TIMESTAMPING_SOFTWARE)));
}

void sock_recv_stamp(struct sock *sk, const struct sk_buff *skb)
{
	int64_t kt = sock_stamping(sk) ? (int64_t)skb->tstamp + sock_net(sk)->realtime_offset : 0;

	if (sock_stamp_kept(sk))
		return;
	if (sock_recv_cmsgs_asked(sk) || sock_flag(sk, SOCK_TIMESTAMP))
		sk->sk_stamp = kt;
	else if (sk->sk_stamp == SK_DEFAULT_STAMP)
		sk->sk_stamp = 0;
}

#ifndef SCM_CREDENTIALS
#define SCM_CREDENTIALS 2 /* sys/socket.h has it only with _GNU_SOURCE */
#endif

/* __sock_cmsg_send for the types a datagram socket meets. */
static int sock_cmsg_send(const struct cmsghdr *cm, struct ipcm_cookie *ipc)
{
	uint32_t tsflags;

	switch (cm->cmsg_type) {
	case SO_TIMESTAMPING_OLD:
	case SO_TIMESTAMPING_NEW:
		if (cm->cmsg_len != CMSG_LEN(sizeof(uint32_t)))
			return -EINVAL;
		memcpy(&tsflags, CMSG_DATA(cm), sizeof(tsflags));
		if (tsflags & ~SOF_TX_RECORD_MASK)
			return -EINVAL;
		ipc->ts_set = true;
		ipc->tsflags = tsflags;
		return 0;
	case SCM_RIGHTS:
	case SCM_CREDENTIALS:
		return 0;
	default:
		return -EINVAL; /* SO_MARK and SCM_TXTIME need what the stack does not give */
	}
}

int ip_cmsg_send(const struct net *net, const struct msghdr *msg, struct ipcm_cookie *ipc)
{
	const uint8_t *ctl = msg->msg_control;
	size_t len = msg->msg_controllen, off;
	struct cmsghdr cm;
	int val, err;

	for (off = 0; off + sizeof(cm) <= len; off += CMSG_ALIGN(cm.cmsg_len)) {
		const uint8_t *data = ctl + off + sizeof(cm);

		memcpy(&cm, ctl + off, sizeof(cm));
		if (cm.cmsg_len < sizeof(cm) || cm.cmsg_len > len - off)
			return -EINVAL; /* !CMSG_OK */
		if (cm.cmsg_level == SOL_SOCKET) {
			err = sock_cmsg_send((const struct cmsghdr *)(ctl + off), ipc);
			if (err)
				return err;
			continue;
		}
		if (cm.cmsg_level != SOL_IP)
			continue;
		switch (cm.cmsg_type) {
		case IP_RETOPTS: {
			struct ip_options_data opt;

			ipc->retopts_len = (int)(cm.cmsg_len - sizeof(cm));
			if (ipc->retopts_len > MAX_IPOPTLEN)
				ipc->retopts_len = MAX_IPOPTLEN;
			/* Each list is compiled as it is read (ip_options_get); the last one stays.
			 */
			err = ip_options_get(net, &opt, data, (unsigned int)ipc->retopts_len);
			if (err)
				return err;
			memcpy(ipc->retopts, data, (size_t)ipc->retopts_len);
			break;
		}
		case IP_PKTINFO: {
			struct in_pktinfo info;

			if (cm.cmsg_len != CMSG_LEN(sizeof(info)))
				return -EINVAL;
			memcpy(&info, data, sizeof(info));
			if (info.ipi_ifindex)
				ipc->oif = info.ipi_ifindex;
			ipc->addr = info.ipi_spec_dst.s_addr;
			break;
		}
		case IP_TTL:
			if (cm.cmsg_len != CMSG_LEN(sizeof(int)))
				return -EINVAL;
			memcpy(&val, data, sizeof(val));
			if (val < 1 || val > 255)
				return -EINVAL;
			ipc->ttl = val;
			break;
		case IP_TOS:
			if (cm.cmsg_len == CMSG_LEN(sizeof(int)))
				memcpy(&val, data, sizeof(val));
			else if (cm.cmsg_len == CMSG_LEN(1))
				val = data[0];
			else
				return -EINVAL;
			if (val < 0 || val > 255)
				return -EINVAL;
			ipc->tos = val;
			break;
		case IP_PROTOCOL:
			if (cm.cmsg_len != CMSG_LEN(sizeof(int)))
				return -EINVAL;
			memcpy(&val, data, sizeof(val));
			if (val < 1 || val > 255)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

int ipc_saddr(const struct net *net, const struct ipcm_cookie *ipc, uint32_t *saddr)
{
	if (!ipc->addr)
		return 0;
	/* No route from an address the host does not have (the kernel's answer here). */
	if (!ip_addr_is_local(net, ipc->addr))
		return -ENETUNREACH;
	*saddr = ipc->addr;
	return 0;
}

int ipc_options(const struct sock *sk, const struct ipcm_cookie *ipc, struct ip_options_data *opt)
{
	if (ipc->retopts_len < 0) {
		*opt = inet_sk(sk)->inet_opt;
		return 0;
	}
	return ip_options_get(sock_net(sk), opt, ipc->retopts, (unsigned int)ipc->retopts_len);
}

uint32_t ipc_tsflags(const struct ipcm_cookie *ipc, const struct sock *sk)
{
	if (!ipc->ts_set)
		return sk->sk_tsflags;
	return (sk->sk_tsflags & ~SOF_TX_RECORD_MASK) | ipc->tsflags;
}

uint8_t ipc_tos(const struct ipcm_cookie *ipc, const struct sock *sk)
{
	return ipc->tos >= 0 ? (uint8_t)ipc->tos : inet_sk(sk)->tos;
}

int ipc_ttl(const struct ipcm_cookie *ipc, const struct sock *sk)
{
	return ipc->ttl > 0 ? ipc->ttl : ip_select_ttl(sk);
}

/* ---- IP_RECVERR: the error queue (ip_icmp_error / ip_recv_error) ---- */

/* include/net/sock.h: struct sock_exterr_skb, kept in skb->cb while queued. */
struct sock_exterr_skb {
	struct sock_extended_err ee;
	uint16_t addr_offset; /* of the quoted destination, from the network header */
	uint16_t port;	      /* quoted destination port, network order */
	uint32_t truesize;    /* what sk_rmem_alloc was charged */
	bool opt_stats;	      /* the data is SOF_TIMESTAMPING_OPT_STATS' attributes */
};
#define SKB_EXT_ERR(skb)  ((struct sock_exterr_skb *)(skb)->cb)
#define ERRQ_SKB_OVERHEAD 640u

void ip_icmp_error(struct sock *sk, const struct sk_buff *skb, int err, uint8_t type, uint8_t code,
		   uint32_t info, uint16_t port, const uint8_t *payload)
{
	const struct iphdr *quoted = (const struct iphdr *)skb->data;
	struct sock_exterr_skb *serr;
	struct sk_buff *copy;

	if (!inet_sk(sk)->recverr)
		return;
	/* sock_queue_err_skb(): errors share the receive buffer. */
	if (sk->sk_rmem_alloc + (int)(skb->len + ERRQ_SKB_OVERHEAD) > sk->sk_rcvbuf)
		return;
	copy = skb_copy(skb);
	if (!copy)
		return;
	serr = SKB_EXT_ERR(copy);
	memset(serr, 0, sizeof(*serr));
	serr->ee.ee_errno = (uint32_t)err;
	serr->ee.ee_origin = SO_EE_ORIGIN_ICMP;
	serr->ee.ee_type = type;
	serr->ee.ee_code = code;
	serr->ee.ee_info = info;
	serr->addr_offset = (uint16_t)((const uint8_t *)&quoted->daddr - skb_network_header(skb));
	serr->port = port;
	serr->truesize = copy->len + ERRQ_SKB_OVERHEAD;
	/* Keep only the quoted payload, after the quoted transport header. */
	skb_pull(copy, (unsigned int)(payload - skb->data));
	sk->sk_rmem_alloc += (int)serr->truesize;
	__skb_queue_tail(&sk->sk_error_queue, copy);
}

void ip_local_error(struct sock *sk, int err, uint32_t daddr, uint16_t port, uint32_t info)
{
	struct sock_exterr_skb *serr;
	struct sk_buff *skb;
	struct iphdr *iph;

	if (!inet_sk(sk)->recverr)
		return;
	if (sk->sk_rmem_alloc + (int)(sizeof(*iph) + ERRQ_SKB_OVERHEAD) > sk->sk_rcvbuf)
		return;
	skb = alloc_skb(sizeof(*iph));
	if (!skb)
		return;
	iph = (struct iphdr *)skb_put(skb, sizeof(*iph));
	memset(iph, 0, sizeof(*iph));
	skb_reset_network_header(skb);
	iph->daddr = daddr;
	serr = SKB_EXT_ERR(skb);
	memset(serr, 0, sizeof(*serr));
	serr->ee.ee_errno = (uint32_t)err;
	serr->ee.ee_origin = SO_EE_ORIGIN_LOCAL;
	serr->ee.ee_info = info;
	serr->addr_offset = (uint16_t)((const uint8_t *)&iph->daddr - skb_network_header(skb));
	serr->port = port;
	serr->truesize = sizeof(*iph) + ERRQ_SKB_OVERHEAD;
	skb_pull(skb, sizeof(*iph)); /* no payload: only the destination, in the header */
	sk->sk_rmem_alloc += (int)serr->truesize;
	__skb_queue_tail(&sk->sk_error_queue, skb);
}

void msg_zerocopy_complete(struct sock *sk, uint32_t lo, uint32_t hi)
{
	struct sk_buff *tail = skb_peek_tail(&sk->sk_error_queue);
	struct sock_exterr_skb *serr;
	struct sk_buff *skb;

	/* __msg_zerocopy_callback: skb_zerocopy_notify_extend() */
	if (tail) {
		serr = SKB_EXT_ERR(tail);
		if (serr->ee.ee_origin == SO_EE_ORIGIN_ZEROCOPY && serr->ee.ee_data + 1 == lo &&
		    (uint64_t)(serr->ee.ee_data - serr->ee.ee_info) + (hi - lo) + 2 <
			    (1ULL << 32)) {
			serr->ee.ee_data = hi;
			goto report; /* merged: a wake-up all the same, as the kernel's */
		}
	}
	skb = alloc_skb(0);
	if (!skb)
		return; /* the kernel's sock_omalloc() failing: the completion is lost */
	serr = SKB_EXT_ERR(skb);
	memset(serr, 0, sizeof(*serr));
	serr->ee.ee_origin = SO_EE_ORIGIN_ZEROCOPY;
	serr->ee.ee_code = SO_EE_CODE_ZEROCOPY_COPIED;
	serr->ee.ee_info = lo;
	serr->ee.ee_data = hi;
	__skb_queue_tail(&sk->sk_error_queue, skb);
report:
	if (sk->sk_error_report)
		sk->sk_error_report(sk);
}

void msg_zerocopy_copied(struct sock *sk)
{
	uint32_t id = sk->sk_zckey++;

	msg_zerocopy_complete(sk, id, id);
}

void sock_tx_timestamp(struct sock *sk, struct sk_buff *skb, uint32_t tsflags)
{
	if (!(tsflags & (SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_TX_SOFTWARE |
			 SOF_TIMESTAMPING_TX_SCHED)))
		return;
	/* __ip_append_data: one key per datagram marked (SKBTX_ANY_TSTAMP), OPT_ID counting. */
	if (sk->sk_tsflags & SOF_TIMESTAMPING_OPT_ID)
		skb->tskey = sk->sk_tskey++;
	if (tsflags & SOF_TIMESTAMPING_TX_SOFTWARE)
		skb->tx_flags |= SKBTX_SW_TSTAMP;
	if (tsflags & SOF_TIMESTAMPING_TX_SCHED)
		skb->tx_flags |= SKBTX_SCHED_TSTAMP;
	if (skb->tx_flags)
		sock_set_flag(sk, SOCK_TX_TSTAMPED);
}

void skb_tstamp_tx(const struct sk_buff *orig, uint32_t tstype)
{
	__skb_tstamp_tx(orig->sk, orig, orig->tstamp, tstype);
}

void __skb_tstamp_tx(struct sock *sk, const struct sk_buff *orig, uint64_t tstamp, uint32_t tstype)
{
	bool tsonly = sk->sk_tsflags & SOF_TIMESTAMPING_OPT_TSONLY;
	bool stats = tsonly && (sk->sk_tsflags & SOF_TIMESTAMPING_OPT_STATS) &&
		     sk->sk_type == SOCK_STREAM && sk->sk_protocol == IPPROTO_TCP;
	struct sock_exterr_skb *serr;
	struct sk_buff *skb;

	/*
	 * __skb_tstamp_tx: the frame as the driver has it, or nothing with
	 * OPT_TSONLY, or TCP's counts with OPT_STATS too.
	 */
	skb = stats    ? tcp_get_timestamping_opt_stats(sk, orig, tstype == SCM_TSTAMP_ACK)
	      : tsonly ? alloc_skb(0)
		       : skb_copy(orig);
	if (!skb)
		return;
	skb->sk = NULL;
	skb->tstamp = tstamp;
	if (tsonly)
		skb->dev = NULL;
	/* sock_queue_err_skb(): errors share the receive buffer. */
	if (sk->sk_rmem_alloc + (int)(skb->len + ERRQ_SKB_OVERHEAD) > sk->sk_rcvbuf) {
		kfree_skb(skb);
		return;
	}
	/* __skb_complete_tx_timestamp */
	serr = SKB_EXT_ERR(skb);
	memset(serr, 0, sizeof(*serr));
	serr->ee.ee_errno = ENOMSG;
	serr->ee.ee_origin = SO_EE_ORIGIN_TIMESTAMPING;
	serr->ee.ee_info = tstype;
	serr->opt_stats = stats;
	/* A TCP key is a sequence number: counted from where OPT_ID began (sk_tskey). */
	if (sk->sk_tsflags & SOF_TIMESTAMPING_OPT_ID)
		serr->ee.ee_data = orig->tskey - (sk->sk_type == SOCK_STREAM ? sk->sk_tskey : 0);
	serr->truesize = skb->len + ERRQ_SKB_OVERHEAD;
	sk->sk_rmem_alloc += (int)serr->truesize;
	__skb_queue_tail(&sk->sk_error_queue, skb);
	if (sk->sk_error_report)
		sk->sk_error_report(sk);
}

int ip_recv_error(struct sock *sk, struct msghdr *msg, size_t len, int *addr_len)
{
	struct sk_buff *skb = __skb_dequeue(&sk->sk_error_queue);
	struct cmsg_writer w = {msg, msg->msg_controllen, 0};
	struct {
		struct sock_extended_err ee;
		struct sockaddr_in offender;
	} errhdr;
	struct sock_exterr_skb *serr;
	size_t copied, off = 0;
	bool icmp, tx_tstamp, tx_cmsg;

	if (!skb)
		return -EAGAIN;
	serr = SKB_EXT_ERR(skb);
	icmp = serr->ee.ee_origin == SO_EE_ORIGIN_ICMP;
	tx_tstamp = serr->ee.ee_origin == SO_EE_ORIGIN_TIMESTAMPING;
	/*
	 * ipv4_datagram_support_cmsg: with OPT_CMSG a stamped frame that left
	 * by a device (not OPT_TSONLY's empty entry) names its source as the
	 * offender and gets the socket's IP_* messages, as an ICMP error does.
	 */
	tx_cmsg = tx_tstamp && (sk->sk_tsflags & SOF_TIMESTAMPING_OPT_CMSG) && skb->dev;
	sk->sk_rmem_alloc -= (int)serr->truesize;
	copied = skb->len;
	if (copied > len) {
		msg->msg_flags |= MSG_TRUNC;
		copied = len;
	}
	for (size_t i = 0; i < msg->msg_iovlen && off < copied; i++) {
		size_t n = msg->msg_iov[i].iov_len < copied - off ? msg->msg_iov[i].iov_len
								  : copied - off;

		memcpy(msg->msg_iov[i].iov_base, skb->data + off, n);
		off += n;
	}
	/*
	 * An ICMP error quotes a destination and has an offender; a local one
	 * (ip_local_error) names its destination only; a completion neither.
	 */
	if (msg->msg_name && (icmp || serr->ee.ee_origin == SO_EE_ORIGIN_LOCAL)) {
		struct sockaddr_in *sin = msg->msg_name;

		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr.s_addr, skb_network_header(skb) + serr->addr_offset, 4);
		sin->sin_port = serr->port;
		if (addr_len)
			*addr_len = sizeof(*sin);
	}
	memset(&errhdr, 0, sizeof(errhdr));
	errhdr.ee = serr->ee;
	if (icmp || tx_cmsg) {
		errhdr.offender.sin_family = AF_INET;
		errhdr.offender.sin_addr.s_addr = ip_hdr(skb)->saddr; /* who sent the ICMP, or we */
	}
	if (msg->msg_control) {
		sock_recv_timestamp(&w, sk, skb, tx_tstamp);
		/* __sock_recv_timestamp: TCP's counts follow the stamp they came with. */
		if (serr->opt_stats && skb->len && (sk->sk_tsflags & SOF_TIMESTAMPING_SOFTWARE))
			put_cmsg(&w, SOL_SOCKET, SCM_TIMESTAMPING_OPT_STATS, skb->data, skb->len);
		if (icmp || tx_cmsg)
			ip_cmsg_put(&w, sk, skb, tx_cmsg);
		put_cmsg(&w, SOL_IP, IP_RECVERR, &errhdr, sizeof(errhdr));
		msg->msg_controllen = w.used;
	}
	msg->msg_flags |= MSG_ERRQUEUE;
	/* sock_dequeue_err_skb(): sk_err follows what is left. */
	sk->sk_err = skb_queue_empty(&sk->sk_error_queue)
			     ? 0
			     : (int)SKB_EXT_ERR(skb_peek(&sk->sk_error_queue))->ee.ee_errno;
	kfree_skb(skb);
	return (int)copied;
}
