// SPDX-License-Identifier: MIT
/*
 * IPv4 options, as net/ipv4/ip_options.c does them for a host.
 *
 * One walk (__ip_options_compile) checks both kinds, with the kernel's
 * rules for each:
 *
 *  - received (ip_rcv_options): the first bad byte gets an ICMP parameter
 *    problem pointing at it and the packet is dropped as InHdrErrors;
 *    record route and timestamp options with room left get this stack's
 *    entry written in place and their pointer advanced, as the kernel
 *    rewrites the header it hands to raw sockets (the checksum is not
 *    recomputed: the kernel does that only when forwarding); a source route
 *    (LSRR/SSRR) is dropped: net.ipv4.conf.all.accept_source_route is 0 on
 *    a host, and the kernel then drops the packet without a counter or an
 *    ICMP (the stack counts InDiscards);
 *  - set by a socket (ip_options_get: IP_OPTIONS, IP_RETOPTS): a source
 *    route must start with pointer 4 and whole addresses, its first hop is
 *    taken out into faddr (the packet goes there; ip_options_build puts the
 *    destination last); record route and timestamp slots are kept for this
 *    host, filled on every send; options the kernel lets only CAP_NET_RAW
 *    send (security, stream id, CIPSO, unknown, timestamps with unknown
 *    flags) need it. Any error is EINVAL, but a good source route without
 *    CAP_NET_RAW is EPERM.
 *
 * Answers (ICMP, TCP resets, SYN-ACKs and accepted sockets) echo record
 * route and timestamp (ip_options_echo), each sent with this stack's entry
 * added once more, as ping -R shows.
 *
 * The time a timestamp records is the kernel's: milliseconds since
 * midnight UT (the stack clock plus its offset to the wall clock).
 *
 * Not here: CIPSO (a received one is accepted as any unknown option, not
 * echoed; no DOI is configured, so a socket's is EINVAL as the kernel's),
 * echoing a source route (never received: it is dropped above).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "icmp.h"
#include "inet.h"
#include "ip.h"
#include "net_namespace.h"

#define IPOPT_CIPSO 134 /* include/net/ip.h: (6 | IPOPT_CONTROL | IPOPT_COPY) */

/* inet_current_timestamp(): milliseconds since midnight UT, network order. */
static uint32_t ip_option_timestamp(const struct net *net)
{
	uint64_t wall = (uint64_t)((int64_t)net->now + net->realtime_offset);

	return htonl((uint32_t)(wall / NSEC_PER_MSEC % 86400000u));
}

/*
 * The checks record route and timestamp share (hdr: the bytes before their
 * slots): once only, long enough, the pointer past the header and, unless
 * the option is full, on a whole free slot. Returns the bad byte, or NULL.
 */
static const uint8_t *ip_option_slots_bad(const uint8_t *optptr, unsigned int optlen, bool dup,
					  unsigned int hdr)
{
	if (dup)
		return optptr;
	if (optlen < hdr)
		return optptr + 1;
	if (optptr[2] < hdr + 1 || (optptr[2] <= optlen && optptr[2] + 3u > optlen))
		return optptr + 2;
	return NULL;
}

/*
 * Walks the len option bytes at optptr (the header's, or a socket's), as
 * __ip_options_compile: skb says which kind (received: slots filled in
 * place). Returns 0, or -EINVAL with *pp the offset of the bad byte from
 * the IP header.
 */
static int __ip_options_compile(const struct net *net, struct ip_options *opt, uint8_t *optptr,
				unsigned int len, bool skb, unsigned int *pp)
{
	const uint8_t *iph = optptr - sizeof(struct iphdr);
	uint32_t stamp, addr;
	unsigned int l = len, optlen;
	const uint8_t *bad;

	while (l > 0) {
		if (optptr[0] == IPOPT_END) {
			/* What follows the end of the list is blanked, as raw sockets see it. */
			memset(optptr + 1, IPOPT_END, l - 1);
			return 0;
		}
		if (optptr[0] == IPOPT_NOOP) {
			l--;
			optptr++;
			continue;
		}
		bad = optptr;
		if (l < 2)
			goto error;
		optlen = optptr[1];
		if (optlen < 2 || optlen > l)
			goto error;
		switch (optptr[0]) {
		case IPOPT_SSRR:
		case IPOPT_LSRR:
			bad = optptr + 1;
			if (optlen < 3)
				goto error;
			bad = optptr + 2;
			if (optptr[2] < 4)
				goto error;
			/* Two source routes: RFC 1812 5.2.4.1. */
			bad = optptr;
			if (opt->srr)
				goto error;
			if (!skb) {
				bad = optptr + 1;
				if (optptr[2] != 4 || optlen < 7 || (optlen - 3) & 3)
					goto error;
				memcpy(&opt->faddr, &optptr[3], 4);
				memmove(&optptr[3], &optptr[7], optlen - 7);
			}
			opt->is_strictroute = optptr[0] == IPOPT_SSRR;
			opt->srr = (uint8_t)(optptr - iph);
			break;
		case IPOPT_RR:
			bad = ip_option_slots_bad(optptr, optlen, opt->rr, 3);
			if (bad)
				goto error;
			if (optptr[2] <= optlen) {
				if (skb)
					memcpy(&optptr[optptr[2] - 1], &net->addr, 4);
				optptr[2] += 4;
				opt->rr_needaddr = 1;
			}
			opt->rr = (uint8_t)(optptr - iph);
			break;
		case IPOPT_TS:
			bad = ip_option_slots_bad(optptr, optlen, opt->ts, 4);
			if (bad)
				goto error;
			bad = optptr + 2;
			stamp = ip_option_timestamp(net);
			if (optptr[2] <= optlen) {
				uint8_t *timeptr = NULL;

				switch (optptr[3] & 0xf) {
				case IPOPT_TS_TSONLY:
					if (skb)
						timeptr = &optptr[optptr[2] - 1];
					opt->ts_needtime = 1;
					optptr[2] += 4;
					break;
				case IPOPT_TS_TSANDADDR:
					if (optptr[2] + 7u > optlen)
						goto error;
					if (skb) {
						memcpy(&optptr[optptr[2] - 1], &net->addr, 4);
						timeptr = &optptr[optptr[2] + 3];
					}
					opt->ts_needaddr = opt->ts_needtime = 1;
					optptr[2] += 8;
					break;
				case IPOPT_TS_PRESPEC:
					if (optptr[2] + 7u > optlen)
						goto error;
					/* Only the named address stamps: another host's is left for
					 * it. */
					memcpy(&addr, &optptr[optptr[2] - 1], 4);
					if (inet_addr_type(net, addr) == RTN_UNICAST)
						break;
					if (skb)
						timeptr = &optptr[optptr[2] + 3];
					opt->ts_needtime = 1;
					optptr[2] += 8;
					break;
				default:
					bad = optptr + 3;
					if (!skb && !ns_capable(net, CAP_NET_RAW))
						goto error;
					break;
				}
				if (timeptr)
					memcpy(timeptr, &stamp, 4);
			} else if ((optptr[3] & 0xf) != IPOPT_TS_PRESPEC) {
				/* Full: count one more hop in the overflow nibble, up to 15. */
				unsigned int overflow = optptr[3] >> 4;

				bad = optptr + 3;
				if (overflow == 15)
					goto error;
				if (skb)
					optptr[3] =
						(uint8_t)((optptr[3] & 0xf) | (overflow + 1) << 4);
			}
			opt->ts = (uint8_t)(optptr - iph);
			break;
		case IPOPT_RA:
			bad = optptr + 1;
			if (optlen < 4)
				goto error;
			if (!optptr[2] && !optptr[3])
				opt->router_alert = (uint8_t)(optptr - iph);
			break;
		case IPOPT_CIPSO:
			/* No CIPSO DOI is configured: cipso_v4_validate refuses a socket's. */
			if (!skb)
				goto error;
			break;
		default:
			/* Security, stream id, unknown: accepted from the wire. */
			if (!skb && !ns_capable(net, CAP_NET_RAW))
				goto error;
			break;
		}
		l -= optlen;
		optptr += optlen;
	}
	return 0;
error:
	*pp = (unsigned int)(bad - iph);
	return -EINVAL;
}

int ip_rcv_options(struct net *net, struct sk_buff *skb)
{
	struct ip_options *opt = &IPCB(skb)->opt;
	unsigned int pp;

	opt->optlen = (uint8_t)(ip_hdr(skb)->ihl * 4u - sizeof(struct iphdr));
	if (__ip_options_compile(net, opt, skb->data + sizeof(struct iphdr), opt->optlen, true,
				 &pp)) {
		/* The parameter problem echoes what was found before the bad byte. */
		icmp_send(net, skb, ICMP_PARAMETERPROB, 0, pp);
		__IP_INC_STATS(net, InHdrErrors);
		return -1;
	}
	if (opt->srr) {
		__IP_INC_STATS(net, InDiscards);
		return -1;
	}
	return 0;
}

int ip_options_get(const struct net *net, struct ip_options_data *opt, const void *data,
		   unsigned int optlen)
{
	unsigned int pp;

	memset(opt, 0, sizeof(*opt));
	if (optlen > MAX_IPOPTLEN)
		return -EINVAL;
	memcpy(opt->data, data, optlen);
	while (optlen & 3)
		opt->data[optlen++] = IPOPT_END;
	opt->opt.optlen = (uint8_t)optlen;
	if (__ip_options_compile(net, &opt->opt, opt->data, optlen, false, &pp))
		return -EINVAL;
	/* This kernel lets only CAP_NET_RAW source-route, once the list is good. */
	if (opt->opt.srr && !ns_capable(net, CAP_NET_RAW))
		return -EPERM;
	return 0;
}

void ip_options_undo(const struct ip_options_data *o, uint8_t *out)
{
	const struct ip_options *opt = &o->opt;
	uint8_t *optptr;

	memcpy(out, o->data, opt->optlen);
	if (opt->srr) {
		optptr = out + opt->srr - sizeof(struct iphdr);
		memmove(optptr + 7, optptr + 3, optptr[1] - 7u);
		memcpy(optptr + 3, &opt->faddr, 4);
	}
	/* The kept slots read as zeros, whatever the caller had put there. */
	if (opt->rr_needaddr) {
		optptr = out + opt->rr - sizeof(struct iphdr);
		optptr[2] -= 4;
		memset(&optptr[optptr[2] - 1], 0, 4);
	}
	if (opt->ts) {
		optptr = out + opt->ts - sizeof(struct iphdr);
		if (opt->ts_needtime) {
			optptr[2] -= 4;
			memset(&optptr[optptr[2] - 1], 0, 4);
			if ((optptr[3] & 0xf) == IPOPT_TS_PRESPEC)
				optptr[2] -= 4;
		}
		if (opt->ts_needaddr) {
			optptr[2] -= 4;
			memset(&optptr[optptr[2] - 1], 0, 4);
		}
	}
}

void ip_options_build(const struct net *net, uint8_t *iph, const struct ip_options_data *o,
		      uint32_t daddr, uint32_t saddr)
{
	const struct ip_options *opt = &o->opt;
	uint32_t stamp;

	memcpy(iph + sizeof(struct iphdr), o->data, opt->optlen);
	if (opt->srr)
		memcpy(iph + opt->srr + iph[opt->srr + 1] - 4, &daddr, 4);
	if (opt->rr_needaddr)
		memcpy(iph + opt->rr + iph[opt->rr + 2] - 5, &saddr, 4);
	if (opt->ts_needaddr)
		memcpy(iph + opt->ts + iph[opt->ts + 2] - 9, &saddr, 4);
	if (opt->ts_needtime) {
		stamp = ip_option_timestamp(net);
		memcpy(iph + opt->ts + iph[opt->ts + 2] - 5, &stamp, 4);
	}
}

/*
 * The option of this type sopt names at offset off of skb's header, or
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

/* An echoed timestamp option (d, a copy): which slots this host fills when it answers. */
static int ip_option_ts_echo(const struct net *net, const struct ip_options *sopt,
			     struct ip_options *dopt, uint8_t *d, unsigned int optlen)
{
	unsigned int ptr = d[2];
	uint32_t addr;

	if (ptr > optlen)
		return 0; /* full: copied as it came */
	if (sopt->ts_needaddr) {
		if (ptr + 3 > optlen)
			return -1;
		dopt->ts_needaddr = 1;
		ptr += 4;
	}
	if (sopt->ts_needtime) {
		if (ptr + 3 > optlen)
			return -1;
		if ((d[3] & 0xf) != IPOPT_TS_PRESPEC) {
			dopt->ts_needtime = 1;
			ptr += 4;
		} else if (ptr + 7 <= optlen) {
			memcpy(&addr, &d[ptr - 1], 4);
			if (inet_addr_type(net, addr) != RTN_UNICAST) {
				dopt->ts_needtime = 1;
				ptr += 8;
			}
		}
	}
	d[2] = (uint8_t)ptr;
	return 0;
}

int ip_options_echo(const struct net *net, const struct sk_buff *skb, const struct ip_options *sopt,
		    struct ip_options_data *dopt)
{
	unsigned int dlen = 0;
	const uint8_t *o;

	memset(&dopt->opt, 0, sizeof(dopt->opt));
	o = ip_option_at(skb, sopt->rr, IPOPT_RR);
	if (o) {
		unsigned int optlen = o[1], ptr = o[2];
		uint8_t *d = dopt->data;

		memcpy(d, o, optlen);
		dopt->opt.rr = (uint8_t)sizeof(struct iphdr);
		if (sopt->rr_needaddr && ptr <= optlen) {
			if (ptr + 3 > optlen)
				return -1;
			/* The answer records our address in the next slot too. */
			d[2] = (uint8_t)(ptr + 4);
			dopt->opt.rr_needaddr = 1;
		}
		dlen += optlen;
	}
	o = ip_option_at(skb, sopt->ts, IPOPT_TS);
	if (o && dlen + o[1] <= MAX_IPOPTLEN) {
		unsigned int optlen = o[1];

		memcpy(dopt->data + dlen, o, optlen);
		dopt->opt.ts = (uint8_t)(sizeof(struct iphdr) + dlen);
		if (ip_option_ts_echo(net, sopt, &dopt->opt, dopt->data + dlen, optlen))
			return -1;
		dlen += optlen;
	}
	while (dlen & 3)
		dopt->data[dlen++] = IPOPT_END;
	dopt->opt.optlen = (uint8_t)dlen;
	return 0;
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
