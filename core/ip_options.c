// SPDX-License-Identifier: MIT
/*
 * IPv4 options on receive, as net/ipv4/ip_options.c (ip_options_compile)
 * and ip_input.c (ip_rcv_options) do them for a host:
 *
 *  - every option is walked and checked (length, pointer, duplicates); the
 *    first bad byte gets an ICMP parameter problem pointing at it and the
 *    packet is dropped as InHdrErrors;
 *  - record route and timestamp options with room left get this stack's
 *    entry written in place and their pointer advanced, as the kernel
 *    rewrites the header it hands to raw sockets (the checksum is not
 *    recomputed: the kernel does that only when forwarding);
 *  - a source route (LSRR/SSRR) is dropped: net.ipv4.conf.all.
 *    accept_source_route is 0 on a host, and the kernel then drops the
 *    packet without a counter or an ICMP (the stack counts InDiscards).
 *
 * Not here: echoing the options in replies (ip_options_echo) and CIPSO
 * validation (a CIPSO option is accepted as any unknown option is).
 */
#include <arpa/inet.h>
#include <string.h>

#include "icmp.h"
#include "ip.h"
#include "net_namespace.h"

/* Offsets of the options the packet carries, from the IP header (0 = none). */
struct ip_options {
	unsigned int srr, rr, ts;
};

/* What the checks return: the offset of the bad byte in the option, or this. */
#define IPOPT_GOOD (-1)

/*
 * The time a timestamp option records. The kernel writes milliseconds since
 * midnight UT; the stack clock is not the time of day, so this is the
 * stack's milliseconds modulo a day with the high-order bit set, which RFC
 * 791 prescribes for "a time not in milliseconds since midnight UT".
 */
static uint32_t ip_option_timestamp(const struct net *net)
{
	return htonl((uint32_t)((net->now / NSEC_PER_MSEC) % 86400000u) | 0x80000000u);
}

/* A timestamp option (IPOPT_TS) with room left: fills the next slot. */
static int ip_option_ts_record(struct net *net, uint8_t *optptr, unsigned int optlen)
{
	uint32_t stamp = ip_option_timestamp(net);
	unsigned int ptr = optptr[2];

	if (ptr + 3 > optlen)
		return 2;
	switch (optptr[3] & 0xf) {
	case IPOPT_TS_TSONLY:
		memcpy(&optptr[ptr - 1], &stamp, 4);
		optptr[2] += 4;
		break;
	case IPOPT_TS_TSANDADDR:
		if (ptr + 7 > optlen)
			return 2;
		memcpy(&optptr[ptr - 1], &net->addr, 4);
		memcpy(&optptr[ptr + 3], &stamp, 4);
		optptr[2] += 8;
		break;
	case IPOPT_TS_PRESPEC: {
		uint32_t addr;

		if (ptr + 7 > optlen)
			return 2;
		/* Only the named address stamps: another host's is left for it. */
		memcpy(&addr, &optptr[ptr - 1], 4);
		if (!ip_addr_is_local(net, addr))
			break;
		memcpy(&optptr[ptr + 3], &stamp, 4);
		optptr[2] += 8;
		break;
	}
	default:
		/* Unknown flags: accepted from the wire, nothing recorded. */
		break;
	}
	return IPOPT_GOOD;
}

/* Checks one option other than END/NOP, at offset at of the header. */
static int ip_option_check(struct net *net, struct ip_options *opt, uint8_t *optptr,
			   unsigned int optlen, unsigned int at)
{
	switch (optptr[0]) {
	case IPOPT_SSRR:
	case IPOPT_LSRR:
		if (optlen < 3)
			return 1;
		if (optptr[2] < 4)
			return 2;
		/* Two source routes: RFC 1812 5.2.4.1. */
		if (opt->srr)
			return 0;
		opt->srr = at;
		return IPOPT_GOOD;
	case IPOPT_RR:
		if (opt->rr)
			return 0;
		if (optlen < 3)
			return 1;
		if (optptr[2] < 4)
			return 2;
		if (optptr[2] <= optlen) {
			if (optptr[2] + 3u > optlen)
				return 2;
			memcpy(&optptr[optptr[2] - 1], &net->addr, 4);
			optptr[2] += 4;
		}
		opt->rr = at;
		return IPOPT_GOOD;
	case IPOPT_TS:
		if (opt->ts)
			return 0;
		if (optlen < 4)
			return 1;
		if (optptr[2] < 5)
			return 2;
		if (optptr[2] <= optlen) {
			int bad = ip_option_ts_record(net, optptr, optlen);

			if (bad != IPOPT_GOOD)
				return bad;
		} else {
			/* Full: count one more hop in the overflow nibble, up to 15. */
			unsigned int overflow = optptr[3] >> 4;

			if (overflow == 15)
				return 3;
			optptr[3] = (uint8_t)((optptr[3] & 0xf) | (overflow + 1) << 4);
		}
		opt->ts = at;
		return IPOPT_GOOD;
	case IPOPT_RA:
		return optlen < 4 ? 1 : IPOPT_GOOD;
	default:
		/* Security, stream id, CIPSO, unknown: accepted from the wire. */
		return IPOPT_GOOD;
	}
}

/*
 * ip_options_compile() on a received packet (skb->data at the IP header,
 * ihl > 5). Returns 0, or -1 after sending the parameter problem.
 */
static int ip_options_compile(struct net *net, struct sk_buff *skb, struct ip_options *opt)
{
	uint8_t *iph = skb->data;
	unsigned int end = ip_hdr(skb)->ihl * 4u;
	unsigned int at = sizeof(struct iphdr);
	unsigned int pp;
	int bad;

	while (at < end) {
		uint8_t *optptr = iph + at;
		unsigned int optlen;

		if (optptr[0] == IPOPT_END)
			return 0; /* the kernel also blanks what follows; nothing reads it */
		if (optptr[0] == IPOPT_NOOP) {
			at++;
			continue;
		}
		optlen = at + 1 < end ? optptr[1] : 0;
		if (optlen < 2 || optlen > end - at) {
			pp = at;
			goto error;
		}
		bad = ip_option_check(net, opt, optptr, optlen, at);
		if (bad != IPOPT_GOOD) {
			pp = at + (unsigned int)bad;
			goto error;
		}
		at += optlen;
	}
	return 0;
error:
	icmp_send(net, skb, ICMP_PARAMETERPROB, 0, pp);
	return -1;
}

int ip_rcv_options(struct net *net, struct sk_buff *skb)
{
	struct ip_options opt = {0};

	if (ip_options_compile(net, skb, &opt)) {
		__IP_INC_STATS(net, InHdrErrors);
		return -1;
	}
	if (opt.srr) {
		__IP_INC_STATS(net, InDiscards);
		return -1;
	}
	return 0;
}
