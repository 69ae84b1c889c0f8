// SPDX-License-Identifier: MIT
/*
 * ICMP, as net/ipv4/icmp.c for what a host needs:
 *  - echo requests to the stack are answered (the peer can ping it); echo
 *    replies go to ping sockets (ping_rcv, ping.c);
 *  - destination unreachable, time exceeded, source quench and parameter
 *    problem messages quoting one of our packets go to the err_handler of
 *    the quoted transport (udp_err, tcp_v4_err, ping_err for our echo
 *    requests), with the ICMP header at
 *    skb_transport_header() so that handlers can read the MTU of
 *    ICMP_FRAG_NEEDED;
 *  - icmp_send() builds errors about received packets with __icmp_send's
 *    rules, rate limited by icmp_ratelimit (1 s per destination, burst 6)
 *    and icmp_msgs_per_sec/burst (1000/s, 50) as the kernel's defaults.
 *
 * Not here: timestamps, redirects (ignored), address masks, error delivery
 * to raw sockets.
 */
#include "icmp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <string.h>

#include "checksum.h"
#include "ip.h"
#include "net_namespace.h"
#include "netdevice.h"
#include "protocol.h"

#define ICMP_RATELIMIT_NS  NSEC_PER_SEC /* net.ipv4.icmp_ratelimit = 1000 ms */
#define XRLIM_BURST_FACTOR 6
#define ICMP_MSGS_PER_SEC  1000	   /* net.ipv4.icmp_msgs_per_sec */
#define ICMP_MSGS_BURST	   50	   /* net.ipv4.icmp_msgs_burst */
#define ICMP_RATEMASK	   0x1818u /* dest unreach, quench, time exceeded, param */

/* Which ICMP types are errors (icmp_pointers[].error). */
static int icmp_is_error(uint8_t type)
{
	switch (type) {
	case ICMP_DEST_UNREACH:
	case ICMP_SOURCE_QUENCH:
	case ICMP_REDIRECT:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAMETERPROB:
		return 1;
	default:
		return 0;
	}
}

int icmp_err_to_errno(int type, int code, int *fatal)
{
	/* net/ipv4/icmp.c: icmp_err_convert[] and the type switch of udp_err/tcp_v4_err. */
	static const struct {
		int errno_;
		int fatal;
	} convert[] = {
		{ENETUNREACH, 0},  /* ICMP_NET_UNREACH */
		{EHOSTUNREACH, 0}, /* ICMP_HOST_UNREACH */
		{ENOPROTOOPT, 1},  /* ICMP_PROT_UNREACH */
		{ECONNREFUSED, 1}, /* ICMP_PORT_UNREACH */
		{EMSGSIZE, 0},	   /* ICMP_FRAG_NEEDED */
		{EOPNOTSUPP, 0},   /* ICMP_SR_FAILED */
		{ENETUNREACH, 1},  /* ICMP_NET_UNKNOWN */
		{EHOSTDOWN, 1},	   /* ICMP_HOST_UNKNOWN */
		{ENONET, 1},	   /* ICMP_HOST_ISOLATED */
		{ENETUNREACH, 1},  /* ICMP_NET_ANO */
		{EHOSTUNREACH, 1}, /* ICMP_HOST_ANO */
		{ENETUNREACH, 0},  /* ICMP_NET_UNR_TOS */
		{EHOSTUNREACH, 0}, /* ICMP_HOST_UNR_TOS */
		{EHOSTUNREACH, 1}, /* ICMP_PKT_FILTERED */
		{EHOSTUNREACH, 1}, /* ICMP_PREC_VIOLATION */
		{EHOSTUNREACH, 1}, /* ICMP_PREC_CUTOFF */
	};
	int dummy;

	if (!fatal)
		fatal = &dummy;
	switch (type) {
	case ICMP_DEST_UNREACH:
		if (code >= 0 && code <= NR_ICMP_UNREACH) {
			*fatal = convert[code].fatal;
			return convert[code].errno_;
		}
		*fatal = 0;
		return EHOSTUNREACH;
	case ICMP_TIME_EXCEEDED:
		*fatal = 0;
		return EHOSTUNREACH;
	case ICMP_PARAMETERPROB:
		*fatal = 1;
		return EPROTO;
	default: /* source quench and anything else: not an error worth reporting */
		*fatal = 0;
		return 0;
	}
}

/*
 * Token buckets of the kernel's icmp_global_allow() and
 * inet_peer_xrlim_allow(); a new peer starts with a full burst, as
 * inet_getpeer() backdates rate_last by 60 s.
 */
static int icmp_ratelimit_allow(struct net *net, uint32_t daddr, uint8_t type)
{
	struct icmp_ratelimit_peer *p = NULL, *victim = &net->icmp_peers[0];
	uint64_t now = net->now, burst = XRLIM_BURST_FACTOR * ICMP_RATELIMIT_NS;
	uint64_t credit;

	if (type > NR_ICMP_TYPES || !((1u << type) & ICMP_RATEMASK))
		return 1;

	/* Global: ICMP_MSGS_PER_SEC tokens per second, at most ICMP_MSGS_BURST. */
	credit = (now - net->icmp_global_stamp) * ICMP_MSGS_PER_SEC / NSEC_PER_SEC;
	if (credit) {
		net->icmp_global_credit += credit;
		if (net->icmp_global_credit > ICMP_MSGS_BURST)
			net->icmp_global_credit = ICMP_MSGS_BURST;
		net->icmp_global_stamp = now;
	}
	if (!net->icmp_global_credit)
		return 0;
	net->icmp_global_credit--;

	for (unsigned int i = 0; i < sizeof(net->icmp_peers) / sizeof(net->icmp_peers[0]); i++) {
		struct icmp_ratelimit_peer *q = &net->icmp_peers[i];

		if (q->last && q->daddr == daddr) {
			p = q;
			break;
		}
		if (q->last < victim->last)
			victim = q;
	}
	if (!p) {
		p = victim;
		p->daddr = daddr;
		p->tokens = burst;
	} else {
		p->tokens += now - p->last;
		if (p->tokens > burst)
			p->tokens = burst;
	}
	p->last = now ? now : 1;
	if (p->tokens < ICMP_RATELIMIT_NS)
		return 0;
	p->tokens -= ICMP_RATELIMIT_NS;
	return 1;
}

/*
 * Builds and sends one ICMP message with the given header and body, and the
 * IP options of skb_in echoed (ip_options_echo); an option that cannot be
 * echoed means no answer, as in the kernel.
 */
static void icmp_push_reply(struct net *net, const struct sk_buff *skb_in,
			    const struct icmphdr *hdr, const void *body, unsigned int len,
			    uint32_t saddr, uint32_t daddr, uint8_t tos)
{
	struct ip_options_data opt;
	struct sk_buff *skb;
	struct icmphdr *icmph;

	if (ip_options_echo(net, skb_in, &IPCB(skb_in)->opt, &opt))
		return;
	skb = alloc_skb(sizeof(*hdr) + len);
	if (!skb)
		return;
	icmph = (struct icmphdr *)skb_put(skb, sizeof(*hdr) + len);
	*icmph = *hdr;
	memcpy(icmph + 1, body, len);
	icmph->checksum = 0;
	icmph->checksum = csum_fold(csum_partial(icmph, (int)(sizeof(*hdr) + len), 0));
	__ICMP_INC_STATS(net, OutMsgs);
	/* The kernel's ICMP socket has IP_PMTUDISC_DONT: no DF. */
	if (ip_build_and_send_pkt_opt(net, skb, saddr, daddr, IPPROTO_ICMP, tos, 0, IP_DF_NONE,
				      &opt))
		__ICMP_INC_STATS(net, OutErrors);
}

int icmp_frag_mtu(const struct net *net, const struct sk_buff *skb)
{
	const struct icmphdr *icmph = (const struct icmphdr *)skb_transport_header(skb);

	switch (net->sysctl.ip_no_pmtu_disc) {
	case 0:
		return ntohs(icmph->un.frag.mtu);
	case 2:
		return -1;
	default:
		return 0;
	}
}

void icmp_send(struct net *net, const struct sk_buff *skb_in, int type, int code, uint32_t info)
{
	const struct iphdr *iph = ip_hdr(skb_in);
	const uint8_t *tail = skb_tail_pointer(skb_in);
	unsigned int avail, room;
	struct icmphdr hdr = {0};

	if ((const uint8_t *)iph + sizeof(*iph) > tail)
		return;
	avail = (unsigned int)(tail - (const uint8_t *)iph);
	/* Only replies to unicast packets for us, from a real source. */
	if (skb_in->pkt_type != PACKET_HOST || ip_addr_is_broadcast(net, iph->daddr) ||
	    IN_MULTICAST(ntohl(iph->daddr)))
		return;
	if (!iph->saddr || ip_addr_is_broadcast(net, iph->saddr) || IN_MULTICAST(ntohl(iph->saddr)))
		return;
	/* Only about the first fragment. */
	if (ntohs(iph->frag_off) & IP_OFFMASK)
		return;
	/* Never about an ICMP error (RFC 1122 3.2.2). */
	if (iph->protocol == IPPROTO_ICMP) {
		const uint8_t *itype = (const uint8_t *)iph + iph->ihl * 4;

		if (itype >= tail || *itype > NR_ICMP_TYPES || icmp_is_error(*itype))
			return;
	}
	if (!icmp_ratelimit_allow(net, iph->saddr, (uint8_t)type))
		return;

	hdr.type = (uint8_t)type;
	hdr.code = (uint8_t)code;
	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED)
		hdr.un.frag.mtu = htons((uint16_t)info);
	else if (type == ICMP_PARAMETERPROB)
		hdr.un.gateway = htonl(info << 24);
	else
		hdr.un.gateway = htonl(info);
	/* Quote as much as fits in a 576-byte datagram (RFC 1812 4.3.2.3). */
	room = 576 - sizeof(struct iphdr) - sizeof(struct icmphdr);
	if (avail > room)
		avail = room;
	if (type == ICMP_DEST_UNREACH)
		__ICMP_INC_STATS(net, OutDestUnreachs);
	else if (type == ICMP_PARAMETERPROB)
		__ICMP_INC_STATS(net, OutParmProbs);
	icmp_push_reply(net, skb_in, &hdr, iph, avail,
			ip_addr_is_local(net, iph->daddr) ? iph->daddr : 0, iph->saddr,
			(iph->tos & IPTOS_TOS_MASK) | IPTOS_PREC_INTERNETCONTROL);
}

static void icmp_echo(struct net *net, struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct icmphdr hdr = *(const struct icmphdr *)skb->data;

	__ICMP_INC_STATS(net, InEchos);
	/* net.ipv4.icmp_echo_ignore_broadcasts = 1 */
	if (skb->pkt_type != PACKET_HOST)
		return;
	hdr.type = ICMP_ECHOREPLY;
	__ICMP_INC_STATS(net, OutEchoReps);
	icmp_push_reply(net, skb, &hdr, skb->data + sizeof(hdr), skb->len - sizeof(hdr), iph->daddr,
			iph->saddr, iph->tos);
}

/* An error quoting one of our packets: hand it to the transport that sent it. */
static void icmp_unreach(struct net *net, struct sk_buff *skb)
{
	const struct icmphdr *icmph = (const struct icmphdr *)skb->data;
	const struct net_protocol *ipprot;
	const struct iphdr *qiph;
	uint32_t info = (uint32_t)icmph->type << 8 | icmph->code;

	if (icmph->type == ICMP_DEST_UNREACH)
		__ICMP_INC_STATS(net, InDestUnreachs);
	if (!skb_pull(skb, sizeof(*icmph)) || skb->len < sizeof(struct iphdr))
		goto err;
	qiph = (const struct iphdr *)skb->data;
	if (qiph->ihl < 5 || qiph->version != 4 || skb->len < (unsigned int)qiph->ihl * 4 + 8)
		goto err;
	/* Only errors about packets we sent. */
	if (!ip_addr_is_local(net, qiph->saddr))
		return;
	raw_icmp_error(net, skb, info);
	ipprot = inet_protos[qiph->protocol];
	if (ipprot && ipprot->err_handler)
		ipprot->err_handler(net, skb, info);
	return;
err:
	__ICMP_INC_STATS(net, InErrors);
}

int icmp_rcv(struct net *net, struct sk_buff *skb)
{
	const struct icmphdr *icmph;

	__ICMP_INC_STATS(net, InMsgs);
	if (skb->len < sizeof(*icmph))
		goto error;
	if (csum_fold(csum_partial(skb->data, (int)skb->len, 0))) {
		__ICMP_INC_STATS(net, InCsumErrors);
		goto error;
	}
	icmph = (const struct icmphdr *)skb->data;
	switch (icmph->type) {
	case ICMP_ECHO:
		icmp_echo(net, skb);
		break;
	case ICMP_ECHOREPLY:
		__ICMP_INC_STATS(net, InEchoReps);
		if (ping_rcv(net, skb))
			return 0;
		break;
	case ICMP_DEST_UNREACH:
	case ICMP_SOURCE_QUENCH:
	case ICMP_TIME_EXCEEDED:
		icmp_unreach(net, skb);
		break;
	case ICMP_PARAMETERPROB:
		__ICMP_INC_STATS(net, InParmProbs);
		icmp_unreach(net, skb);
		break;
	default: /* redirects, timestamps, ...: ignored as a host may */
		break;
	}
	kfree_skb(skb);
	return 0;
error:
	__ICMP_INC_STATS(net, InErrors);
	kfree_skb(skb);
	return 0;
}

const struct net_protocol icmp_protocol = {
	.handler = icmp_rcv, .err_handler = ping_err, /* icmp_err: errors about our echo requests */
};
