// SPDX-License-Identifier: MIT
/*
 * UDP and UDP-Lite (RFC 768, RFC 3828), one implementation for both, as
 * net/ipv4/udp.c with udplite.c's differences (protocol 136, checksum
 * coverage in the length field, UDPLITE_SEND_CSCOV / UDPLITE_RECV_CSCOV).
 *
 * The per-stack table (struct udp_table) hashes sockets by local port; a
 * lookup scores every socket on the port as compute_score() does (exact
 * local address, connected peer) and picks the best, spreading over a
 * SO_REUSEPORT group by a hash of the source. Broadcasts go to every
 * matching socket.
 *
 * Sending is synchronous: a datagram leaves (or waits in ARP's queue) before
 * sendmsg returns, so the send buffer never fills and SIOCOUTQ is 0; a
 * datagram above the MTU is fragmented unless IP_PMTUDISC_DO forbids it.
 * Receiving charges sk_rmem_alloc with an estimate of the kernel's truesize
 * and drops beyond sk_rcvbuf (RcvbufErrors). Nothing here blocks: an empty
 * queue is -EAGAIN.
 *
 * UDP_CORK and MSG_MORE hold one datagram's payload (struct udp_cork) until
 * a send without them or the uncork, as ip_append_data and
 * udp_push_pending_frames do.
 *
 * UDP_SEGMENT (per socket or per send) cuts a send into datagrams of that
 * payload, with udp_send_skb's checks; the kernel hands the device one GSO
 * frame, which a device without UDP segmentation offload cuts the same way.
 * A GSO frame that arrives whole (a kernel peer's UDP_SEGMENT send across a
 * veth) is the datagrams it was sent as, unless the socket set UDP_GRO,
 * which takes it whole and learns the size from a UDP_GRO message
 * (udp_rcv_segment, udp_cmsg_recv). UDP_ENCAP_ESPINUDP makes the socket
 * take only IKE traffic, as xfrm4_udp_encap_rcv does on a host with no
 * IPsec state: ESP packets and NAT keepalives are consumed.
 *
 * Not here: SO_PEEK_OFF.
 */
#include "udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <netinet/ip_icmp.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "filter.h"
#include "icmp.h"
#include "igmp.h"
#include "inet_hashtables.h"
#include "ip.h"
#include "net_namespace.h"
#include "netdevice.h"
#include "protocol.h"

/* Per-skb state while queued on a socket (UDP_SKB_CB). */
struct udp_skb_cb {
	struct inet_skb_parm header; /* IPCB, kept for the ICMP answers */
	uint32_t truesize;	     /* what sk_rmem_alloc was charged */
	uint16_t cscov;		     /* UDP-Lite checksum coverage */
	uint32_t dropcount;	     /* sk_drops when queued, with SO_RXQ_OVFL */
	uint8_t partial_cov;
};
#define UDP_SKB_CB(skb) ((struct udp_skb_cb *)(skb)->cb)

/*
 * The kernel charges skb->truesize: the payload plus sk_buff and
 * skb_shared_info overhead, about 640 bytes for a frame from a veth.
 */
#define UDP_SKB_OVERHEAD 640u

/* The most datagrams one UDP_SEGMENT send may become (UDP_MAX_SEGMENTS). */
#define UDP_MAX_SEGMENTS 128u

#ifndef UDP_ENCAP_ESPINUDP
#define UDP_ENCAP_ESPINUDP  2
#define UDP_ENCAP_L2TPINUDP 3
#endif

static int udp_is_lite(const struct sock *sk)
{
	return sk->sk_protocol == IPPROTO_UDPLITE;
}

static struct udp_table *udp_table_of(const struct net *net, int udplite)
{
	return udplite ? net->udplite_table : net->udp_table;
}

static struct udp_mib *udp_mib_of(struct net *net, int udplite)
{
	return udplite ? &net->mib.udplite : &net->mib.udp;
}

#define UDP_INC_STATS(net, field, lite) (udp_mib_of(net, lite)->field++)

static struct udp_hslot *udp_hashslot(struct udp_table *t, uint16_t num)
{
	return &t->hash[num & (UDP_HTABLE_SIZE - 1)];
}

/* ---- port allocation (udp_lib_get_port) ---- */

/* inet_rcv_saddr_equal(..., match_wildcard = true) */
static int udp_rcv_saddr_equal(const struct sock *a, const struct sock *b)
{
	return !a->sk_rcv_saddr || !b->sk_rcv_saddr || a->sk_rcv_saddr == b->sk_rcv_saddr;
}

/* udp_lib_lport_inuse(): would sk conflict with a socket already on num? */
static int udp_lib_lport_inuse(struct udp_hslot *slot, const struct sock *sk, uint16_t num)
{
	struct sock *sk2;

	hlist_for_each_entry (sk2, &slot->head, sk_node) {
		if (sk2 == sk || sk2->sk_num != num)
			continue;
		if (sk2->sk_reuse && sk->sk_reuse)
			continue;
		if (sk2->sk_bound_dev_if && sk->sk_bound_dev_if &&
		    sk2->sk_bound_dev_if != sk->sk_bound_dev_if)
			continue;
		if (!udp_rcv_saddr_equal(sk, sk2))
			continue;
		/* A SO_REUSEPORT group on the same address may grow. */
		if (sk2->sk_reuseport && sk->sk_reuseport && sk2->sk_rcv_saddr == sk->sk_rcv_saddr)
			continue;
		return 1;
	}
	return 0;
}

static void udp_hash_add(struct udp_table *t, struct sock *sk, uint16_t num)
{
	struct udp_hslot *slot = udp_hashslot(t, num);

	sk->sk_num = num;
	inet_sk(sk)->inet_sport = htons(num);
	hlist_add_head(&sk->sk_node, &slot->head);
	slot->count++;
}

int udp_v4_get_port(struct sock *sk, unsigned short snum)
{
	struct net *net = sock_net(sk);
	struct udp_table *t = udp_table_of(net, udp_is_lite(sk));
	int low, high;

	inet_sk_get_local_port_range(sk, &low, &high);
	if (!hlist_unhashed(&sk->sk_node))
		return -EINVAL;
	if (snum) {
		if (udp_lib_lport_inuse(udp_hashslot(t, snum), sk, snum))
			return -EADDRINUSE;
		udp_hash_add(t, sk, snum);
		return 0;
	}
	if (low < 1 || high > 65535 || high < low)
		return -EADDRINUSE;
	{
		uint32_t remaining = (uint32_t)(high - low + 1);
		/*
		 * A random start, as the kernel's get_random_u32() scaled into
		 * the range: the stack's secret mixed with the clock and the
		 * socket (the secret itself is TCP's and stays untouched).
		 */
		uint32_t x = net->isn_secret[2] ^ (uint32_t)(net->now >> 10) ^
			     (uint32_t)(uintptr_t)sk ^ (uint32_t)((uintptr_t)sk >> 32);

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		x *= 0x9e3779b1u;
		for (uint32_t i = 0; i < remaining; i++) {
			uint16_t port = (uint16_t)(low + (x + i) % remaining);

			if (!inet_is_local_reserved_port(net, port) &&
			    !udp_lib_lport_inuse(udp_hashslot(t, port), sk, port)) {
				udp_hash_add(t, sk, port);
				return 0;
			}
		}
	}
	return -EADDRINUSE;
}

static int udp_lib_hash(struct sock *sk)
{
	/* Sockets are hashed when they get a port (udp_v4_get_port). */
	return 0;
}

static void udp_lib_unhash(struct sock *sk)
{
	struct udp_table *t = udp_table_of(sock_net(sk), udp_is_lite(sk));

	if (hlist_unhashed(&sk->sk_node))
		return;
	hlist_del_init(&sk->sk_node);
	udp_hashslot(t, sk->sk_num)->count--;
	sk->sk_num = 0;
	inet_sk(sk)->inet_sport = 0;
}

/* ---- lookup ---- */

static int udp_compute_score(const struct sock *sk, uint32_t saddr, uint16_t sport, uint32_t daddr,
			     uint16_t hnum, int dif)
{
	int score;

	if (sk->sk_num != hnum)
		return -1;
	score = 1;
	/* SO_BINDTODEVICE: only what arrives on that device (dif 0: any). */
	if (sk->sk_bound_dev_if) {
		if (dif && sk->sk_bound_dev_if != dif)
			return -1;
		score += 4;
	}
	if (sk->sk_rcv_saddr) {
		if (sk->sk_rcv_saddr != daddr)
			return -1;
		score += 4;
	}
	if (sk->sk_daddr) {
		if (sk->sk_daddr != saddr)
			return -1;
		score += 4;
	}
	if (sk->sk_dport) {
		if (sk->sk_dport != sport)
			return -1;
		score += 4;
	}
	return score;
}

/* __udp4_lib_lookup(): addresses and ports in network order, dif the arrival device. */
static struct sock *__udp4_lib_lookup(struct net *net, int udplite, uint32_t saddr, uint16_t sport,
				      uint32_t daddr, uint16_t dport, int dif)
{
	struct udp_table *t = udp_table_of(net, udplite);
	uint16_t hnum = ntohs(dport);
	struct sock *sk, *result = NULL;
	int best = 0, matches = 0;
	uint32_t hash = (saddr * 2654435761u) ^ sport;

	hlist_for_each_entry (sk, &udp_hashslot(t, hnum)->head, sk_node) {
		int score = udp_compute_score(sk, saddr, sport, daddr, hnum, dif);

		if (score > best) {
			result = sk;
			best = score;
			matches = 1;
		} else if (score == best && score > 0 && sk->sk_reuseport && result->sk_reuseport) {
			/* Reservoir choice over the group, stable for one source. */
			matches++;
			if ((hash % (uint32_t)matches) == 0)
				result = sk;
		}
	}
	return result;
}

struct sock *udp4_lib_lookup(struct net *net, int udplite, uint32_t saddr, uint16_t sport,
			     uint32_t daddr, uint16_t dport)
{
	return __udp4_lib_lookup(net, udplite, saddr, sport, daddr, dport, 0);
}

/* ---- receive ---- */

/*
 * xfrm4_udp_encap_rcv with no IPsec state: a NAT keepalive (one 0xff byte)
 * and an ESP packet (a non-zero SPI where IKE has its zero marker) are
 * consumed; IKE passes.
 */
static bool udp_encap_consumes(const struct sk_buff *skb)
{
	const uint8_t *p = skb->data + sizeof(struct udphdr);
	size_t len = skb->len - sizeof(struct udphdr);
	uint32_t spi;

	if (len == 1 && p[0] == 0xff)
		return true;
	if (len <= 8)
		return false;
	memcpy(&spi, p, sizeof(spi));
	return spi != 0;
}

static int udp_queue_rcv_one_skb(struct sock *sk, struct sk_buff *skb)
{
	struct net *net = sock_net(sk);
	int lite = udp_is_lite(sk);
	struct udp_sock *up = udp_sk(sk);
	uint32_t truesize = skb->len + UDP_SKB_OVERHEAD;

	if (up->encap_type == UDP_ENCAP_ESPINUDP && udp_encap_consumes(skb)) {
		UDP_INC_STATS(net, InDatagrams, lite);
		kfree_skb(skb);
		return 0;
	}
	if (lite && (up->pcflag & UDPLITE_RECV_CC) && UDP_SKB_CB(skb)->partial_cov) {
		/* RFC 3828 3.3: coverage below what the receiver asked for. */
		if (up->pcrlen == 0 || UDP_SKB_CB(skb)->cscov < up->pcrlen)
			goto drop;
	}
	/* The socket filter sees the UDP header and may trim up to it. */
	if (sk_filter_trim_cap(sk, skb, sizeof(struct udphdr)))
		goto drop;
	/* __udp_enqueue_schedule_skb(): one datagram may overshoot sk_rcvbuf. */
	if (sk->sk_rmem_alloc > sk->sk_rcvbuf) {
		UDP_INC_STATS(net, RcvbufErrors, lite);
		goto drop;
	}
	UDP_SKB_CB(skb)->truesize = truesize;
	UDP_SKB_CB(skb)->dropcount = sock_flag(sk, SOCK_RXQ_OVFL) ? sk->sk_drops : 0;
	sk->sk_rmem_alloc += (int)truesize;
	skb->sk = NULL;
	__skb_queue_tail(&sk->sk_receive_queue, skb);
	if (sk->sk_data_ready)
		sk->sk_data_ready(sk);
	return 0;
drop:
	UDP_INC_STATS(net, InErrors, lite);
	sk->sk_drops++;
	kfree_skb(skb);
	return -1;
}

/*
 * udp_rcv_segment: a GSO frame for a socket without UDP_GRO becomes the
 * datagrams it was sent as, each with the frame's IP header (its length
 * and checksum made right) and a UDP header of its own; the checksum was
 * left to offload on the sending host, so the pieces are not summed.
 */
static int udp_rcv_segment(struct sock *sk, struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	unsigned int iphl = iph->ihl * 4u, mss = skb->gso_size;
	unsigned int payload = skb->len - sizeof(struct udphdr);

	for (unsigned int off = 0; off < payload; off += mss) {
		unsigned int len = payload - off < mss ? payload - off : mss;
		struct sk_buff *seg = alloc_skb(iphl + sizeof(struct udphdr) + len);
		struct iphdr *siph;
		struct udphdr *uh;

		if (!seg) {
			UDP_INC_STATS(sock_net(sk), InErrors, udp_is_lite(sk));
			sk->sk_drops++;
			break;
		}
		siph = (struct iphdr *)skb_put(seg, iphl);
		memcpy(siph, iph, iphl);
		siph->tot_len = htons((uint16_t)(iphl + sizeof(*uh) + len));
		siph->check = 0;
		siph->check = ip_fast_csum(siph, siph->ihl);
		uh = (struct udphdr *)skb_put(seg, sizeof(*uh));
		memcpy(uh, skb->data, sizeof(*uh));
		uh->len = htons((uint16_t)(sizeof(*uh) + len));
		memcpy(skb_put(seg, len), skb->data + sizeof(*uh) + off, len);
		skb_reset_network_header(seg);
		skb_pull(seg, iphl);
		skb_reset_transport_header(seg);
		seg->dev = skb->dev;
		seg->protocol = skb->protocol;
		seg->pkt_type = skb->pkt_type;
		seg->ip_summed = CHECKSUM_UNNECESSARY;
		seg->tstamp = skb->tstamp;
		memcpy(seg->cb, skb->cb, sizeof(seg->cb));
		udp_queue_rcv_one_skb(sk, seg);
	}
	kfree_skb(skb);
	return 0;
}

static int udp_queue_rcv_skb(struct sock *sk, struct sk_buff *skb)
{
	if (skb->gso_size && !udp_sk(sk)->gro_enabled)
		return udp_rcv_segment(sk, skb);
	return udp_queue_rcv_one_skb(sk, skb);
}

/* Checksum and coverage checks (udp4_csum_init / udplite_checksum_init). */
static int udp_csum_check(struct net *net, struct sk_buff *skb, int lite)
{
	const struct iphdr *iph = ip_hdr(skb);
	const struct udphdr *uh = (const struct udphdr *)skb->data;
	unsigned int cscov = skb->len;
	uint32_t sum;

	UDP_SKB_CB(skb)->partial_cov = 0;
	UDP_SKB_CB(skb)->cscov = (uint16_t)skb->len;
	if (lite) {
		unsigned int cov = ntohs(uh->len);

		if (!uh->check)
			return -1; /* RFC 3828 3.1: the checksum is mandatory */
		if (cov) {
			if (cov < sizeof(*uh) || cov > skb->len)
				return -1;
			if (cov < skb->len) {
				UDP_SKB_CB(skb)->partial_cov = 1;
				UDP_SKB_CB(skb)->cscov = (uint16_t)cov;
				cscov = cov;
			}
		}
	} else if (!uh->check) {
		return 0;
	}
	if (skb->ip_summed == CHECKSUM_UNNECESSARY)
		return 0;
	sum = csum_partial(skb->data, (int)cscov, 0);
	if (csum_tcpudp_magic(iph->saddr, iph->daddr, skb->len,
			      lite ? IPPROTO_UDPLITE : IPPROTO_UDP, sum))
		return -1;
	return 0;
}

/*
 * Broadcast and multicast: a copy to every socket bound to the port, every
 * member of a SO_REUSEPORT group included, that the device it is bound to
 * and its group filter admit (__udp4_lib_mcast_deliver, __udp_is_mcast_sock).
 * Both arrive on the stack's device, looped back copies too.
 */
static void udp_broadcast_deliver(struct net *net, struct sk_buff *skb, int lite)
{
	const struct iphdr *iph = ip_hdr(skb);
	const struct udphdr *uh = udp_hdr(skb);
	uint16_t hnum = ntohs(uh->dest);
	int dif = net->dev ? net->dev->ifindex : 0;
	struct sock *sk, *first = NULL;

	hlist_for_each_entry (sk, &udp_hashslot(udp_table_of(net, lite), hnum)->head, sk_node) {
		struct sk_buff *copy;

		if (sk->sk_num != hnum || (sk->sk_rcv_saddr && sk->sk_rcv_saddr != iph->daddr) ||
		    (sk->sk_daddr && sk->sk_daddr != iph->saddr) ||
		    (sk->sk_dport && sk->sk_dport != uh->source) ||
		    (sk->sk_bound_dev_if && sk->sk_bound_dev_if != dif) ||
		    !ip_mc_sf_allow(sk, iph->daddr, iph->saddr, dif))
			continue;
		if (!first) {
			first = sk;
			continue;
		}
		copy = skb_copy(skb);
		if (copy)
			udp_queue_rcv_skb(sk, copy);
	}
	if (first)
		udp_queue_rcv_skb(first, skb);
	else {
		/* No port unreachable for broadcasts, and no NoPorts either. */
		UDP_INC_STATS(net, IgnoredMulti, lite);
		kfree_skb(skb);
	}
}

static int __udp4_lib_rcv(struct net *net, struct sk_buff *skb, int lite)
{
	const struct iphdr *iph = ip_hdr(skb);
	const struct udphdr *uh;
	unsigned int ulen;
	struct sock *sk;

	if (skb->len < sizeof(struct udphdr))
		goto short_packet;
	skb_reset_transport_header(skb);
	uh = (const struct udphdr *)skb->data;
	ulen = ntohs(uh->len);
	if (!lite) {
		if (ulen > skb->len || ulen < sizeof(*uh))
			goto short_packet;
		skb_trim(skb, ulen);
	}
	if (udp_csum_check(net, skb, lite))
		goto csum_error;

	if (skb->pkt_type == PACKET_BROADCAST || skb->pkt_type == PACKET_MULTICAST) {
		udp_broadcast_deliver(net, skb, lite);
		return 0;
	}
	/* What the stack sends itself arrives on lo, as the kernel's local route. */
	sk = __udp4_lib_lookup(net, lite, iph->saddr, uh->source, iph->daddr, uh->dest,
			       skb->dev ? skb->dev->ifindex : LOOPBACK_IFINDEX);
	if (sk) {
		udp_queue_rcv_skb(sk, skb);
		return 0;
	}
	UDP_INC_STATS(net, NoPorts, lite);
	icmp_send(net, skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
	kfree_skb(skb);
	return 0;

csum_error:
	UDP_INC_STATS(net, InCsumErrors, lite);
short_packet:
	UDP_INC_STATS(net, InErrors, lite);
	kfree_skb(skb);
	return 0;
}

int udp_rcv(struct net *net, struct sk_buff *skb)
{
	return __udp4_lib_rcv(net, skb, 0);
}

int udplite_rcv(struct net *net, struct sk_buff *skb)
{
	return __udp4_lib_rcv(net, skb, 1);
}

/* ---- ICMP errors (__udp4_lib_err) ---- */

static void __udp4_lib_err(struct net *net, struct sk_buff *skb, uint32_t info, int lite)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const struct udphdr *uh = (const struct udphdr *)(skb->data + iph->ihl * 4);
	int type = (int)(info >> 8), code = (int)(info & 0xff);
	int harderr = 0, err;
	struct sock *sk;

	/* The quoted packet went from us (saddr) to the peer (daddr). */
	sk = udp4_lib_lookup(net, lite, iph->daddr, uh->dest, iph->saddr, uh->source);
	if (!sk) {
		__ICMP_INC_STATS(net, InErrors);
		return;
	}
	if (type == ICMP_SOURCE_QUENCH)
		return;
	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED) {
		int mtu = icmp_frag_mtu(net, skb);

		/* The route learns the path MTU whatever the socket wants (ipv4_sk_update_pmtu). */
		if (mtu >= 0)
			ip_rt_update_pmtu(net, iph->daddr, (unsigned int)mtu);
		if (inet_sk(sk)->pmtudisc == IP_PMTUDISC_DONT)
			return;
		err = EMSGSIZE;
		harderr = 1;
	} else {
		err = icmp_err_to_errno(type, code, &harderr);
		if (!err)
			return;
	}
	if (!inet_sk(sk)->recverr) {
		if (!harderr || sk->sk_state != TCP_ESTABLISHED)
			return;
	} else {
		ip_icmp_error(sk, skb, err, (uint8_t)type, (uint8_t)code,
			      type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED
				      ? ntohs(((const struct icmphdr *)skb_transport_header(skb))
						      ->un.frag.mtu)
				      : 0,
			      uh->dest, (const uint8_t *)(uh + 1));
	}
	sk->sk_err = err;
	if (sk->sk_error_report)
		sk->sk_error_report(sk);
}

void udp_err(struct net *net, struct sk_buff *skb, uint32_t info)
{
	__udp4_lib_err(net, skb, info, 0);
}

void udplite_err(struct net *net, struct sk_buff *skb, uint32_t info)
{
	__udp4_lib_err(net, skb, info, 1);
}

/* ---- socket calls ---- */

static int udp_autobind(struct sock *sk)
{
	if (sk->sk_num)
		return 0;
	/* inet_autobind(): no free port is -EAGAIN. */
	return udp_v4_get_port(sk, 0) ? -EAGAIN : 0;
}

int udp_disconnect(struct sock *sk, int flags)
{
	struct inet_sock *inet = inet_sk(sk);

	sk->sk_state = TCP_CLOSE;
	sk->sk_daddr = 0;
	sk->sk_dport = 0;
	sk->sk_bound_dev_if = 0;
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK)) {
		inet->inet_saddr = 0;
		sk->sk_rcv_saddr = 0;
	}
	if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK)) {
		sk->sk_prot->unhash(sk);
		inet_sk(sk)->inet_sport = 0;
	}
	return 0;
}

int ip4_datagram_connect(struct sock *sk, const struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_in *usin = (const struct sockaddr_in *)uaddr;
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	uint32_t daddr, saddr, nexthop;
	int err;

	if (addr_len >= (int)sizeof(sa_family_t) && uaddr->sa_family == AF_UNSPEC)
		return udp_disconnect(sk, 0);
	if (addr_len < (int)sizeof(*usin))
		return -EINVAL;
	if (usin->sin_family != AF_INET)
		return -EAFNOSUPPORT;

	saddr = inet->inet_saddr;
	daddr = usin->sin_addr.s_addr;
	/* ip_route_output_key: 0.0.0.0 means this host. */
	if (!daddr)
		daddr = saddr ? saddr : htonl(INADDR_LOOPBACK);
	err = ip_route_output_sk(sk, NULL, daddr, &saddr, &nexthop);
	if (err) {
		if (err == -ENETUNREACH)
			__IP_INC_STATS(net, OutNoRoutes);
		return err;
	}
	if (ip_addr_is_broadcast(net, daddr) && !sock_flag(sk, SOCK_BROADCAST))
		return -EACCES;
	if (!inet->inet_saddr)
		inet->inet_saddr = saddr;
	if (!sk->sk_rcv_saddr)
		sk->sk_rcv_saddr = saddr;
	sk->sk_daddr = daddr;
	sk->sk_dport = usin->sin_port;
	sk->sk_state = TCP_ESTABLISHED;
	inet->inet_id = (uint16_t)(net->isn_secret[0] ^ (uint32_t)net->now);
	return 0;
}

static int udp_connect(struct sock *sk, const struct sockaddr *uaddr, int addr_len)
{
	int err = udp_autobind(sk);

	return err ? err : ip4_datagram_connect(sk, uaddr, addr_len);
}

/* Where a datagram goes and how (ip_build_and_send_pkt's arguments). */
struct udp_dest {
	uint32_t saddr, daddr; /* network order */
	uint16_t dport;	       /* network order */
	int tos, ttl, df;
	uint32_t tsflags;  /* ipc_tsflags */
	uint16_t gso_size; /* UDP_SEGMENT: 0, or the payload of each datagram */
	/* The send's IP options: its IP_RETOPTS, else the socket's then (opt_copy). */
	struct ip_options_data opt;
};

/* A corked datagram (UDP_CORK, MSG_MORE): its destination, then its payload so far. */
struct udp_cork {
	struct udp_dest dst;
	size_t len;
	uint8_t data[IP_MAX_UDP_PAYLOAD];
};

/* Copies len bytes of msg's data to p (msg may be NULL when len is 0). */
static int udp_copy_from_msg(uint8_t *p, const struct msghdr *msg, size_t len)
{
	for (size_t i = 0, left = len; left && i < msg->msg_iovlen; i++) {
		size_t n = msg->msg_iov[i].iov_len < left ? msg->msg_iov[i].iov_len : left;

		if (n && !msg->msg_iov[i].iov_base)
			return -EFAULT;
		memcpy(p, msg->msg_iov[i].iov_base, n);
		p += n;
		left -= n;
	}
	return 0;
}

/*
 * One datagram to dst whose payload is head (hlen bytes, a corked datagram
 * so far) followed by len bytes of msg. 0 or -errno.
 */
static int udp_send_one(struct sock *sk, const struct udp_dest *dst, const uint8_t *head,
			size_t hlen, const struct msghdr *msg, size_t len)
{
	struct udp_sock *up = udp_sk(sk);
	struct net *net = sock_net(sk);
	int lite = udp_is_lite(sk);
	unsigned int ulen = (unsigned int)(hlen + len) + sizeof(struct udphdr);
	unsigned int cscov = ulen;
	struct sk_buff *skb;
	struct udphdr *uh;
	uint32_t csum;
	int err;

	skb = alloc_skb(ulen);
	if (!skb) {
		UDP_INC_STATS(net, SndbufErrors, lite);
		return -ENOBUFS;
	}
	skb->sk = sk;
	uh = (struct udphdr *)skb_put(skb, ulen);
	if (hlen)
		memcpy(uh + 1, head, hlen);
	err = udp_copy_from_msg((uint8_t *)(uh + 1) + hlen, msg, len);
	if (err) {
		kfree_skb(skb);
		return err;
	}
	uh->source = inet_sk(sk)->inet_sport;
	uh->dest = dst->dport;
	uh->len = htons((uint16_t)ulen);
	uh->check = 0;
	if (!lite && sock_flag(sk, SOCK_NO_CHECK_TX))
		goto send; /* SO_NO_CHECK: no checksum (RFC 768 allows it over IPv4) */
	if (lite && (up->pcflag & UDPLITE_SEND_CC) && up->pcslen < ulen) {
		/* udplite_csum(): coverage in the length field, 0 = everything. */
		if (up->pcslen)
			cscov = up->pcslen;
		uh->len = htons(up->pcslen);
	}
	csum = csum_partial(uh, (int)cscov, 0);
	/* The kernel sums a source-routed datagram with its first hop (fl4->daddr). */
	uh->check = csum_tcpudp_magic(dst->saddr, ip_options_first_hop(&dst->opt, dst->daddr), ulen,
				      lite ? IPPROTO_UDPLITE : IPPROTO_UDP, csum);
	if (!uh->check)
		uh->check = 0xffff; /* RFC 768: a computed 0 is sent as all ones */
send:
	sock_tx_timestamp(sk, skb, dst->tsflags);
	err = ip_build_and_send_pkt_opt(net, skb, dst->saddr, dst->daddr,
					lite ? IPPROTO_UDPLITE : IPPROTO_UDP, (uint8_t)dst->tos,
					dst->ttl, dst->df, &dst->opt);
	if (err == -ENOBUFS)
		UDP_INC_STATS(net, SndbufErrors, lite);
	return err;
}

/* udp_send_skb's checks of a send of len bytes cut at gso bytes: 0 or -errno. */
static int udp_gso_check(struct sock *sk, uint32_t daddr, size_t len, unsigned int gso)
{
	size_t first = len < gso ? len : gso;

	if (sizeof(struct iphdr) + sizeof(struct udphdr) + first > ip_sk_mtu(sk, daddr))
		return -EMSGSIZE;
	if (len > (size_t)gso * UDP_MAX_SEGMENTS)
		return -EINVAL;
	if (sock_flag(sk, SOCK_NO_CHECK_TX))
		return -EINVAL;
	if (udp_is_lite(sk))
		return -EIO;
	return 0;
}

/*
 * udp_send_skb: the datagram, or with UDP_SEGMENT the datagrams of
 * gso_size bytes it is cut into (the last one carries the send's time
 * stamp, as the kernel's GSO frame carries one). The kernel counts one
 * OutDatagrams for the GSO frame; so does the stack.
 */
static int udp_send_datagram(struct sock *sk, const struct udp_dest *dst, const uint8_t *head,
			     size_t hlen, const struct msghdr *msg, size_t len)
{
	int lite = udp_is_lite(sk), err;
	size_t total = hlen + len;
	struct udp_dest seg;
	uint8_t *buf;

	if (dst->gso_size && (err = udp_gso_check(sk, dst->daddr, total, dst->gso_size)))
		return err;
	if (!dst->gso_size || total <= dst->gso_size) {
		err = udp_send_one(sk, dst, head, hlen, msg, len);
		goto out;
	}
	buf = malloc(total);
	if (!buf)
		return -ENOBUFS;
	if (hlen)
		memcpy(buf, head, hlen);
	err = udp_copy_from_msg(buf + hlen, msg, len);
	seg = *dst;
	for (size_t off = 0; !err && off < total; off += dst->gso_size) {
		size_t n = total - off < dst->gso_size ? total - off : dst->gso_size;

		seg.tsflags = off + n < total ? 0 : dst->tsflags;
		err = udp_send_one(sk, &seg, buf + off, n, NULL, 0);
	}
	free(buf);
out:
	if (!err)
		UDP_INC_STATS(sock_net(sk), OutDatagrams, lite);
	return err;
}

/* udp_flush_pending_frames: the corked datagram is dropped. */
static void udp_flush_pending(struct sock *sk)
{
	free(udp_sk(sk)->cork);
	udp_sk(sk)->cork = NULL;
}

/* udp_push_pending_frames: the corked datagram leaves, with len more bytes of msg. */
static int udp_push_pending(struct sock *sk, const struct msghdr *msg, size_t len)
{
	struct udp_cork *c = udp_sk(sk)->cork;
	int err;

	udp_sk(sk)->cork = NULL;
	err = udp_send_datagram(sk, &c->dst, c->data, c->len, msg, len);
	free(c);
	return err;
}

bool udp_corked(const struct sock *sk)
{
	return udp_sk((struct sock *)sk)->cork;
}

/*
 * __ip_append_data's check of the corked datagram grown by len bytes: past
 * the IP maximum, or with a DF the socket may not clear (IP_PMTUDISC_DO,
 * PROBE) past the MTU it keeps to, it fails with EMSGSIZE, queued for
 * IP_RECVERR with that MTU and the socket's own peer port, and the whole
 * pending datagram is dropped (udp_sendmsg flushes on the error).
 */
int udp_cork_check(struct sock *sk, size_t len)
{
	struct udp_cork *c = udp_sk(sk)->cork;
	unsigned int mtu;
	size_t max = IP_MAX_UDP_PAYLOAD;

	if (!c)
		return 0;
	mtu = ip_sk_mtu(sk, c->dst.daddr);
	max -= c->dst.opt.opt.optlen; /* fragheaderlen: the header with its options */
	if (ip_dont_fragment(sk) == IP_DF_STRICT &&
	    mtu - sizeof(struct udphdr) - sizeof(struct iphdr) - c->dst.opt.opt.optlen < max)
		max = mtu - sizeof(struct udphdr) - sizeof(struct iphdr) - c->dst.opt.opt.optlen;
	if (c->len + len <= max)
		return 0;
	ip_local_error(sk, EMSGSIZE, c->dst.daddr, sk->sk_dport, mtu - c->dst.opt.opt.optlen);
	udp_flush_pending(sk);
	return -EMSGSIZE;
}

/*
 * ip_append_data on a corked socket: the bytes join the pending datagram,
 * which leaves once the cork is off (or the whole of it is dropped,
 * udp_cork_check).
 */
static int udp_append(struct sock *sk, const struct msghdr *msg, size_t len, bool corkreq)
{
	struct udp_cork *c = udp_sk(sk)->cork;
	int err = udp_cork_check(sk, len);

	if (err)
		return err;
	if (!corkreq)
		err = udp_push_pending(sk, msg, len);
	else if (!(err = udp_copy_from_msg(c->data + c->len, msg, len)))
		c->len += len;
	if (err == -EFAULT)
		udp_flush_pending(sk);
	return err ? err : (int)len;
}

/*
 * __ip_append_data(): without DF the limit is the IP maximum, with a DF the
 * socket may not clear (IP_PMTUDISC_DO, PROBE) the MTU ip_sk_mtu gives; the
 * error goes to IP_RECVERR's queue as well, with that MTU and the socket's
 * own peer port (inet_dport: 0 unless connected), as the kernel's.
 */
int udp_check_mtu(struct sock *sk, uint32_t daddr, size_t len)
{
	unsigned int optlen = inet_sk(sk)->inet_opt.opt.optlen;
	unsigned int mtu = ip_sk_mtu(sk, daddr);

	if (ip_dont_fragment(sk) != IP_DF_STRICT ||
	    len + sizeof(struct udphdr) + sizeof(struct iphdr) + optlen <= mtu)
		return 0;
	/* The room left for the datagram: the MTU less the options (__ip_append_data). */
	ip_local_error(sk, EMSGSIZE, daddr, sk->sk_dport, mtu - optlen);
	return -EMSGSIZE;
}

int udp_cmsg_send(const struct msghdr *msg, struct ipcm_cookie *ipc)
{
	const uint8_t *ctl = msg->msg_control;
	size_t len = msg->msg_controllen, off;
	struct cmsghdr cm;
	uint16_t gso;

	for (off = 0; off + sizeof(cm) <= len; off += CMSG_ALIGN(cm.cmsg_len)) {
		memcpy(&cm, ctl + off, sizeof(cm));
		if (cm.cmsg_len < sizeof(cm) || cm.cmsg_len > len - off)
			return -EINVAL; /* !CMSG_OK */
		if (cm.cmsg_level != SOL_UDP)
			continue;
		if (cm.cmsg_type != UDP_SEGMENT || cm.cmsg_len != CMSG_LEN(sizeof(gso)))
			return -EINVAL;
		memcpy(&gso, ctl + off + sizeof(cm), sizeof(gso));
		ipc->gso_size = gso;
	}
	return 0;
}

int udp_size_check(struct sock *sk, uint32_t daddr, size_t len, int gso_size)
{
	unsigned int gso = gso_size >= 0 ? (unsigned int)gso_size : udp_sk(sk)->gso_size;

	return gso ? udp_gso_check(sk, daddr, len, gso) : udp_check_mtu(sk, daddr, len);
}

static int udp_do_sendmsg(struct sock *sk, struct msghdr *msg, size_t len)
{
	struct inet_sock *inet = inet_sk(sk);
	struct udp_sock *up = udp_sk(sk);
	struct net *net = sock_net(sk);
	bool corkreq = up->corkflag || (msg->msg_flags & MSG_MORE);
	struct ipcm_cookie ipc;
	struct udp_dest dst;
	uint32_t nexthop, route;
	int err;

	if (len > 0xffff)
		return -EMSGSIZE;
	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;
	/* A corked datagram keeps its destination: this send's address is not looked at. */
	if (up->cork)
		return udp_append(sk, msg, len, corkreq);
	if (msg->msg_name) {
		const struct sockaddr_in *usin = msg->msg_name;

		if (msg->msg_namelen < sizeof(*usin))
			return -EINVAL;
		if (usin->sin_family != AF_INET && usin->sin_family != AF_UNSPEC)
			return -EAFNOSUPPORT;
		dst.daddr = usin->sin_addr.s_addr;
		dst.dport = usin->sin_port;
		if (dst.dport == 0)
			return -EINVAL;
	} else {
		if (sk->sk_state != TCP_ESTABLISHED)
			return -EDESTADDRREQ;
		dst.daddr = sk->sk_daddr;
		dst.dport = sk->sk_dport;
	}
	ipcm_init(&ipc);
	err = udp_cmsg_send(msg, &ipc);
	if (!err)
		err = ip_cmsg_send(sock_net(sk), msg, &ipc);
	if (err)
		return err;
	dst.gso_size = (uint16_t)(ipc.gso_size >= 0 ? ipc.gso_size : up->gso_size);
	err = udp_autobind(sk);
	if (err)
		return err;

	dst.saddr = inet->inet_saddr;
	err = ipc_saddr(net, &ipc, &dst.saddr);
	if (err)
		return err;
	err = ipc_options(sk, &ipc, &dst.opt);
	if (err)
		return err;
	/* A source route needs its last hop; the packet goes to its first. */
	if (dst.opt.opt.srr && !dst.daddr)
		return -EINVAL;
	route = ip_options_first_hop(&dst.opt, dst.daddr);
	/* IP_MULTICAST_IF's address is the source of multicast from an unbound socket. */
	if (ipv4_is_multicast(dst.daddr) && !dst.saddr)
		dst.saddr = inet->mc_addr;
	if (!dst.daddr)
		route = dst.daddr = dst.saddr ? dst.saddr : htonl(INADDR_LOOPBACK);
	err = ip_route_output_sk(sk, &ipc, route, &dst.saddr, &nexthop);
	if (err) {
		if (err == -ENETUNREACH)
			__IP_INC_STATS(net, OutNoRoutes);
		return err;
	}
	if (ip_addr_is_broadcast(net, route) && !sock_flag(sk, SOCK_BROADCAST))
		return -EACCES;

	dst.df = ip_dont_fragment(sk);
	if (len + dst.opt.opt.optlen > IP_MAX_UDP_PAYLOAD)
		return -EMSGSIZE;
	/* A GSO send is not fragmented: udp_send_skb checks it instead. */
	err = dst.gso_size ? 0 : udp_check_mtu(sk, route, len);
	if (err)
		return err;

	/* A pending error (e.g. ECONNREFUSED) is reported by the next send, once. */
	err = sock_error(sk);
	if (err)
		return err;
	dst.tos = ipc_tos(&ipc, sk);
	dst.tsflags = ipc_tsflags(&ipc, sk);
	/* __ip_make_skb: an IP_TTL message first, then IP_MULTICAST_TTL for a group. */
	dst.ttl = ipv4_is_multicast(dst.daddr) && ipc.ttl <= 0 ? inet->mc_ttl : ipc_ttl(&ipc, sk);
	if (corkreq) {
		up->cork = malloc(sizeof(*up->cork));
		if (!up->cork)
			return -ENOBUFS;
		up->cork->dst = dst;
		up->cork->len = 0;
		return udp_append(sk, msg, len, corkreq);
	}
	err = udp_send_datagram(sk, &dst, NULL, 0, msg, len);
	return err ? err : (int)len;
}

/*
 * __ip_append_data: a MSG_ZEROCOPY send's data, copied, completes at once;
 * an empty datagram has one too (its length counts the UDP header).
 */
static int udp_sendmsg(struct sock *sk, struct msghdr *msg, size_t len)
{
	int ret = udp_do_sendmsg(sk, msg, len);

	if (ret >= 0 && (msg->msg_flags & MSG_ZEROCOPY) && sock_flag(sk, SOCK_ZEROCOPY))
		msg_zerocopy_copied(sk);
	return ret;
}

static int udp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags, int *addr_len)
{
	struct net *net = sock_net(sk);
	const struct udphdr *uh;
	struct sk_buff *skb;
	size_t ulen, copied, off = 0;
	int err;

	if (flags & MSG_ERRQUEUE)
		return ip_recv_error(sk, msg, len, addr_len);
	/* A pending error comes first, even before queued data (__skb_recv_udp). */
	err = sock_error(sk);
	if (err)
		return err;
	skb = skb_peek(&sk->sk_receive_queue);
	if (!skb)
		return -EAGAIN;
	uh = udp_hdr(skb);
	ulen = skb->len - sizeof(*uh);
	copied = len;
	if (copied > ulen)
		copied = ulen;
	else if (copied < ulen)
		msg->msg_flags |= MSG_TRUNC;

	for (size_t i = 0; i < msg->msg_iovlen && off < copied; i++) {
		size_t n = msg->msg_iov[i].iov_len < copied - off ? msg->msg_iov[i].iov_len
								  : copied - off;

		if (n && !msg->msg_iov[i].iov_base)
			return -EFAULT;
		memcpy(msg->msg_iov[i].iov_base, (const uint8_t *)(uh + 1) + off, n);
		off += n;
	}
	if (msg->msg_name) {
		struct sockaddr_in *sin = msg->msg_name;

		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		sin->sin_port = uh->source;
		sin->sin_addr.s_addr = ip_hdr(skb)->saddr;
		if (addr_len)
			*addr_len = sizeof(*sin);
	}
	sock_recv_stamp(sk, skb);
	if (msg->msg_control)
		ip_cmsg_recv(msg, sk, skb, UDP_SKB_CB(skb)->dropcount,
			     udp_sk(sk)->gro_enabled ? skb->gso_size : 0);
	if (!(flags & MSG_PEEK)) {
		UDP_INC_STATS(net, InDatagrams, udp_is_lite(sk));
		__skb_unlink(skb, &sk->sk_receive_queue);
		sk->sk_rmem_alloc -= (int)UDP_SKB_CB(skb)->truesize;
		kfree_skb(skb);
	}
	return (int)((flags & MSG_TRUNC) ? ulen : copied);
}

static int udp_ioctl(struct sock *sk, int cmd, int *karg)
{
	switch (cmd) {
	case SIOCOUTQ:
		*karg = 0; /* datagrams leave synchronously */
		return 0;
	case SIOCINQ: {
		struct sk_buff *skb = skb_peek(&sk->sk_receive_queue);

		*karg = skb ? (int)(skb->len - sizeof(struct udphdr)) : 0;
		return 0;
	}
	default:
		return -ENOIOCTLCMD;
	}
}

static int udp_lib_setsockopt(struct sock *sk, int level, int optname, const void *optval,
			      unsigned int optlen)
{
	struct udp_sock *up = udp_sk(sk);
	int val;

	if (optlen < sizeof(int))
		return -EINVAL;
	if (!optval)
		return -EFAULT;
	memcpy(&val, optval, sizeof(val));

	switch (optname) {
	case UDP_ENCAP:
		/* Linux 6.x knows no UDP_ENCAP_ESPINUDP_NON_IKE any more. */
		if (val != 0 && val != UDP_ENCAP_ESPINUDP && val != UDP_ENCAP_L2TPINUDP)
			return -ENOPROTOOPT;
		up->encap_type = val;
		return 0;
	case UDP_NO_CHECK6_TX:
		up->no_check6_tx = !!val;
		return 0;
	case UDP_NO_CHECK6_RX:
		up->no_check6_rx = !!val;
		return 0;
	case UDP_SEGMENT:
		if (val < 0 || val > USHRT_MAX)
			return -EINVAL;
		up->gso_size = (uint16_t)val;
		return 0;
	case UDP_GRO:
		up->gro_enabled = !!val;
		return 0;
	case UDP_CORK:
		up->corkflag = !!val;
		/* Uncorking sends what was held (its error goes nowhere, as the kernel's). */
		if (!val && up->cork)
			udp_push_pending(sk, NULL, 0);
		return 0;
	case UDPLITE_SEND_CSCOV:
		if (!udp_is_lite(sk))
			return -ENOPROTOOPT;
		if (val != 0 && val < 8) /* illegal coverage: use the default (8) */
			val = 8;
		else if (val > USHRT_MAX)
			val = USHRT_MAX;
		up->pcslen = (uint16_t)val;
		up->pcflag |= UDPLITE_SEND_CC;
		return 0;
	case UDPLITE_RECV_CSCOV:
		if (!udp_is_lite(sk))
			return -ENOPROTOOPT;
		if (val != 0 && val < 8)
			val = 8;
		else if (val > USHRT_MAX)
			val = USHRT_MAX;
		up->pcrlen = (uint16_t)val;
		up->pcflag |= UDPLITE_RECV_CC;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

static int udp_setsockopt(struct sock *sk, int level, int optname, const void *optval,
			  unsigned int optlen)
{
	if (level == SOL_UDP || level == SOL_UDPLITE)
		return udp_lib_setsockopt(sk, level, optname, optval, optlen);
	return ip_setsockopt(sk, level, optname, optval, optlen);
}

static int udp_getsockopt(struct sock *sk, int level, int optname, void *optval, int *optlen)
{
	struct udp_sock *up = udp_sk(sk);
	int val, len;

	if (level != SOL_UDP && level != SOL_UDPLITE)
		return ip_getsockopt(sk, level, optname, optval, optlen);
	if (!optlen)
		return -EFAULT;
	len = *optlen < (int)sizeof(int) ? *optlen : (int)sizeof(int);
	if (len < 0)
		return -EINVAL;
	switch (optname) {
	case UDP_CORK:
		val = up->corkflag;
		break;
	case UDP_ENCAP:
		val = up->encap_type;
		break;
	case UDP_NO_CHECK6_TX:
		val = up->no_check6_tx;
		break;
	case UDP_NO_CHECK6_RX:
		val = up->no_check6_rx;
		break;
	case UDP_SEGMENT:
		val = up->gso_size;
		break;
	case UDP_GRO:
		val = up->gro_enabled;
		break;
	case UDPLITE_SEND_CSCOV:
		val = up->pcslen;
		break;
	case UDPLITE_RECV_CSCOV:
		val = up->pcrlen;
		break;
	default:
		return -ENOPROTOOPT;
	}
	if (len && !optval)
		return -EFAULT;
	*optlen = len;
	memcpy(optval, &val, (size_t)len);
	return 0;
}

static void udp_lib_close(struct sock *sk, long timeout)
{
	/* Out of the table (udp_lib_unhash), queues dropped, memory freed. */
	udp_flush_pending(sk);
	sk_common_release(sk);
}

static int udp_init_sock(struct sock *sk)
{
	struct udp_sock *up = udp_sk(sk);

	up->corkflag = 0;
	up->cork = NULL;
	up->pcflag = 0;
	up->pcslen = up->pcrlen = 0;
	up->gso_size = 0;
	up->gro_enabled = up->no_check6_tx = up->no_check6_rx = 0;
	up->encap_type = 0;
	return 0;
}

int udp_net_init(struct net *net)
{
	net->udp_table = calloc(1, sizeof(*net->udp_table));
	net->udplite_table = calloc(1, sizeof(*net->udplite_table));
	if (!net->udp_table || !net->udplite_table) {
		udp_net_exit(net);
		return -ENOMEM;
	}
	net->udp_table->protocol = IPPROTO_UDP;
	net->udplite_table->protocol = IPPROTO_UDPLITE;
	return 0;
}

void udp_net_exit(struct net *net)
{
	free(net->udp_table);
	free(net->udplite_table);
	net->udp_table = NULL;
	net->udplite_table = NULL;
}

struct proto udp_prot = {
	.name = "UDP",
	.obj_size = sizeof(struct udp_sock),
	.close = udp_lib_close,
	.connect = udp_connect,
	.disconnect = udp_disconnect,
	.ioctl = udp_ioctl,
	.init = udp_init_sock,
	.setsockopt = udp_setsockopt,
	.getsockopt = udp_getsockopt,
	.sendmsg = udp_sendmsg,
	.recvmsg = udp_recvmsg,
	.hash = udp_lib_hash,
	.unhash = udp_lib_unhash,
	.get_port = udp_v4_get_port,
};

struct proto udplite_prot = {
	.name = "UDP-Lite",
	.obj_size = sizeof(struct udp_sock),
	.close = udp_lib_close,
	.connect = udp_connect,
	.disconnect = udp_disconnect,
	.ioctl = udp_ioctl,
	.init = udp_init_sock,
	.setsockopt = udp_setsockopt,
	.getsockopt = udp_getsockopt,
	.sendmsg = udp_sendmsg,
	.recvmsg = udp_recvmsg,
	.hash = udp_lib_hash,
	.unhash = udp_lib_unhash,
	.get_port = udp_v4_get_port,
};

const struct net_protocol udp_protocol = {
	.handler = udp_rcv,
	.err_handler = udp_err,
};

const struct net_protocol udplite_protocol = {
	.handler = udplite_rcv,
	.err_handler = udplite_err,
};
