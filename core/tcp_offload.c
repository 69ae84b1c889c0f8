// SPDX-License-Identifier: MIT
/*
 * Software GSO for TCP over IPv4 (net/ipv4/tcp_offload.c tcp_gso_segment,
 * net/core/skbuff.c skb_segment): a link that cannot hand a GSO frame to a
 * device as it is cuts it here into the frames a TSO device would have put
 * on the wire. Each piece gets a copy of the Ethernet, IP and TCP headers;
 * the IP length, id (the first piece keeps the frame's id, the next ones
 * count up from it, as the ids TCP reserved for the whole frame) and header
 * checksum; the TCP sequence number, CWR only on the first piece and FIN and
 * PSH only on the last; and a full TCP checksum, since the frame came with
 * only the pseudo-header sum in it (CHECKSUM_PARTIAL).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "checksum.h"
#include "ethernet.h"
#include "ip.h"
#include "netdevice.h"
#include "tcp.h"

int skb_gso_segment(const struct sk_buff *skb, struct sk_buff_head *segs)
{
	const struct iphdr *iph = (const struct iphdr *)(skb->data + ETH_HLEN);
	const struct tcphdr *th;
	unsigned int iphl, hdrlen, payload, mss = skb->gso_size, off;
	uint32_t seq;
	uint16_t id;
	int n = 0;

	if (!mss || skb->len < ETH_HLEN + IPV4_HLEN || iph->protocol != IPPROTO_TCP)
		return -EINVAL;
	iphl = iph->ihl * 4u;
	th = (const struct tcphdr *)((const uint8_t *)iph + iphl);
	if (iphl < IPV4_HLEN || skb->len < ETH_HLEN + iphl + sizeof(*th) ||
	    skb->len < ETH_HLEN + iphl + tcp_hdrlen(th))
		return -EINVAL;
	hdrlen = ETH_HLEN + iphl + tcp_hdrlen(th);
	payload = skb->len - hdrlen;
	if (!payload)
		return -EINVAL;
	seq = ntohl(th->seq);
	id = ntohs(iph->id);
	for (off = 0; off < payload; off += mss) {
		unsigned int len = payload - off < mss ? payload - off : mss;
		int last = off + len >= payload;
		struct sk_buff *seg = alloc_skb(NET_IP_ALIGN + hdrlen + len);
		struct iphdr *siph;
		struct tcphdr *sth;
		uint8_t *flags;

		if (!seg) {
			__skb_queue_purge(segs);
			return -ENOBUFS;
		}
		skb_reserve(seg, NET_IP_ALIGN); /* the IP header 4-byte aligned */
		memcpy(skb_put(seg, hdrlen), skb->data, hdrlen);
		memcpy(skb_put(seg, len), skb->data + hdrlen + off, len);
		siph = (struct iphdr *)(seg->data + ETH_HLEN);
		sth = (struct tcphdr *)((uint8_t *)siph + iphl);
		siph->tot_len = htons((uint16_t)(iphl + tcp_hdrlen(th) + len));
		siph->id = htons((uint16_t)(id + n));
		siph->check = 0;
		siph->check = ip_fast_csum(siph, siph->ihl);
		sth->seq = htonl(seq + off);
		flags = (uint8_t *)sth + 13;
		if (n)
			*flags &= (uint8_t)~TCPHDR_CWR;
		if (!last)
			*flags &= (uint8_t) ~(TCPHDR_FIN | TCPHDR_PSH);
		sth->check = 0;
		sth->check = csum_tcpudp_magic(siph->saddr, siph->daddr, tcp_hdrlen(th) + len,
					       IPPROTO_TCP,
					       csum_partial(sth, (int)(tcp_hdrlen(th) + len), 0));
		__skb_queue_tail(segs, seg);
		n++;
	}
	return n;
}
