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
 *    packet without a counter or an ICMP (the stack counts InDiscards);
 *  - what was found is kept in IPCB(skb)->opt, from which ICMP builds the
 *    options of its answer (ip_options_echo): record route and timestamp
 *    come back with this stack's entry added once more, as ping -R shows.
 *
 * Not here: CIPSO (accepted as any unknown option is, not echoed).
 */
#include <arpa/inet.h>
#include <string.h>

#include "icmp.h"
#include "ip.h"
#include "net_namespace.h"

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
static int ip_option_ts_record(struct net *net, struct ip_options *opt, uint8_t *optptr,
			       unsigned int optlen)
{
	uint32_t stamp = ip_option_timestamp(net);
	unsigned int ptr = optptr[2];

	if (ptr + 3 > optlen)
		return 2;
	switch (optptr[3] & 0xf) {
	case IPOPT_TS_TSONLY:
		memcpy(&optptr[ptr - 1], &stamp, 4);
		optptr[2] += 4;
		opt->ts_needtime = true;
		break;
	case IPOPT_TS_TSANDADDR:
		if (ptr + 7 > optlen)
			return 2;
		memcpy(&optptr[ptr - 1], &net->addr, 4);
		memcpy(&optptr[ptr + 3], &stamp, 4);
		optptr[2] += 8;
		opt->ts_needaddr = opt->ts_needtime = true;
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
		opt->ts_needtime = true;
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
			opt->rr_needaddr = true;
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
			int bad = ip_option_ts_record(net, opt, optptr, optlen);

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
 * ihl > 5), filling opt as it goes: the parameter problem echoes what was
 * found before the bad byte, as the kernel's does. Returns 0, or -1 after
 * sending the parameter problem.
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

		if (optptr[0] == IPOPT_END) {
			/* What follows the end of the list is blanked, as raw sockets see it. */
			memset(optptr + 1, IPOPT_END, end - at - 1);
			return 0;
		}
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
	struct ip_options *opt = &IPCB(skb)->opt;

	if (ip_options_compile(net, skb, opt)) {
		__IP_INC_STATS(net, InHdrErrors);
		return -1;
	}
	if (opt->srr) {
		__IP_INC_STATS(net, InDiscards);
		return -1;
	}
	return 0;
}

/* An echoed timestamp option (d, a copy, pointer at ptr): this stack's entry once more. */
static int ip_option_ts_echo(const struct net *net, const struct ip_options *sopt, uint8_t *d,
			     unsigned int optlen)
{
	uint32_t stamp = ip_option_timestamp(net);
	unsigned int ptr = d[2];
	bool needtime = false;

	if (ptr > optlen)
		return 0; /* full: copied as it came */
	if (sopt->ts_needaddr) {
		if (ptr + 3 > optlen)
			return -1;
		ptr += 4;
	}
	if (sopt->ts_needtime) {
		if (ptr + 3 > optlen)
			return -1;
		if ((d[3] & 0xf) != IPOPT_TS_PRESPEC) {
			needtime = true;
			ptr += 4;
		} else if (ptr + 7 <= optlen) {
			uint32_t addr;

			memcpy(&addr, &d[ptr - 1], 4);
			if (ip_addr_is_local(net, addr)) {
				needtime = true;
				ptr += 8;
			}
		}
	}
	d[2] = (uint8_t)ptr;
	/* ip_options_build(): the address, then the time, before the new pointer. */
	if (sopt->ts_needaddr)
		memcpy(&d[ptr - 9], &net->addr, 4);
	if (needtime)
		memcpy(&d[ptr - 5], &stamp, 4);
	return 0;
}

/*
 * The option of this type IPCB names at offset off of skb's header, or
 * NULL: checked against the header as ip_options_compile left it, so that
 * a control block some layer reused can never make the echo read or write
 * out of bounds.
 */
static const uint8_t *ip_option_at(const struct sk_buff *skb, unsigned int off, uint8_t type)
{
	const uint8_t *iph = skb_network_header(skb);
	unsigned int hlen = (iph[0] & 0xf) * 4u, minlen = type == IPOPT_TS ? 4 : 3;

	if (!off || off + minlen > hlen || iph[off] != type || iph[off + 1] < minlen ||
	    off + iph[off + 1] > hlen || iph[off + 2] < minlen + 1)
		return NULL;
	return iph + off;
}

int ip_options_echo(const struct net *net, const struct sk_buff *skb, uint8_t *dopt)
{
	const struct ip_options *sopt = &IPCB(skb)->opt;
	const uint8_t *o;
	unsigned int dlen = 0;

	o = ip_option_at(skb, sopt->rr, IPOPT_RR);
	if (o) {
		unsigned int optlen = o[1], ptr = o[2];
		uint8_t *d = dopt + dlen;

		memcpy(d, o, optlen);
		if (sopt->rr_needaddr && ptr <= optlen) {
			if (ptr + 3 > optlen)
				return -1;
			/* The reply records our address in the next slot too. */
			memcpy(&d[ptr - 1], &net->addr, 4);
			d[2] = (uint8_t)(ptr + 4);
		}
		dlen += optlen;
	}
	o = ip_option_at(skb, sopt->ts, IPOPT_TS);
	if (o && dlen + o[1] <= MAX_IPOPTLEN) {
		unsigned int optlen = o[1];

		memcpy(dopt + dlen, o, optlen);
		if (ip_option_ts_echo(net, sopt, dopt + dlen, optlen))
			return -1;
		dlen += optlen;
	}
	while (dlen & 3)
		dopt[dlen++] = IPOPT_END;
	return (int)dlen;
}

void ip_options_fragment(uint8_t *iph)
{
	unsigned int end = (iph[0] & 0xf) * 4u, at = sizeof(struct iphdr);

	while (at < end) {
		unsigned int optlen;

		if (iph[at] == IPOPT_END)
			return;
		if (iph[at] == IPOPT_NOOP) {
			at++;
			continue;
		}
		optlen = at + 1 < end ? iph[at + 1] : 0;
		if (optlen < 2 || optlen > end - at)
			return;
		/* Only options with the copied flag go into every fragment. */
		if (!IPOPT_COPIED(iph[at]))
			memset(&iph[at], IPOPT_NOOP, optlen);
		at += optlen;
	}
}
