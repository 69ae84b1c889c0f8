// SPDX-License-Identifier: MIT
/*
 * Raw IPv4 sockets (net/ipv4/raw.c): socket(AF_INET, SOCK_RAW, proto)
 * sockets are hashed by protocol from birth (inet_create sets sk_num to the
 * protocol) and receive a copy of every IP packet of that protocol, IP
 * header included, before the transport sees it (raw_local_deliver).
 * raw_net_init also sets up the per-stack table of ping sockets (ping.c),
 * the other user of inet_sockraw_ops.
 *
 * Sending (raw_sendmsg) builds the IP header with the socket's protocol, or
 * with IP_HDRINCL (always on for IPPROTO_RAW) takes the application's and
 * fills in tot_len, id and the checksum as raw_send_hdrinc does. Both go
 * out through ip_build_and_send_pkt, which writes a 20-byte header of its
 * own: a supplied header with IP options or fragment bits is refused
 * (-EINVAL) where the kernel would send it as is, a supplied TTL of 0
 * becomes the default TTL, and the packet is routed by the header's
 * destination (the kernel routes by msg_name's and sends the header's).
 */
#include <arpa/inet.h>
#include <linux/icmp.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <errno.h>
#include <netinet/ip.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "igmp.h"
#include "inet.h"
#include "ip.h"
#include "net_namespace.h"
#include "netdevice.h"
#include "protocol.h"
#include "udp.h"

/* icmp.h's, whose <netinet/ip_icmp.h> clashes with <linux/icmp.h> (ICMP_FILTER). */
int icmp_err_to_errno(int type, int code, int *fatal);

#define RAW_HTABLE_SIZE 256 /* one bucket per protocol number (mod 256) */

struct raw_hashinfo {
	struct hlist_head ht[RAW_HTABLE_SIZE];
};

struct raw_sock {
	struct inet_sock inet; /* must be first: raw_sk() is a cast */
	struct icmp_filter filter;
};

static inline struct raw_sock *raw_sk(const struct sock *sk)
{
	return (struct raw_sock *)sk;
}

static struct hlist_head *raw_hashbucket(const struct net *net, unsigned int protocol)
{
	struct raw_hashinfo *h = net->raw_table;

	return &h->ht[protocol & (RAW_HTABLE_SIZE - 1)];
}

static int raw_hash_sk(struct sock *sk)
{
	hlist_add_head(&sk->sk_node, raw_hashbucket(sock_net(sk), sk->sk_num));
	return 0;
}

static void raw_unhash_sk(struct sock *sk)
{
	hlist_del_init(&sk->sk_node);
}

static void raw_close(struct sock *sk, long timeout)
{
	sk_common_release(sk);
}

static int raw_bind(struct sock *sk, const struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_in *addr = (const struct sockaddr_in *)uaddr;
	struct inet_sock *inet = inet_sk(sk);
	int chk_addr_ret;

	if (sk->sk_state != TCP_CLOSE || addr_len < (int)sizeof(struct sockaddr_in))
		return -EINVAL;
	chk_addr_ret = inet_addr_type(sock_net(sk), addr->sin_addr.s_addr);
	if (!inet_addr_valid_or_nonlocal(sock_net(sk), inet, addr->sin_addr.s_addr, chk_addr_ret))
		return -EADDRNOTAVAIL;
	sk->sk_rcv_saddr = inet->inet_saddr = addr->sin_addr.s_addr;
	if (chk_addr_ret == RTN_MULTICAST || chk_addr_ret == RTN_BROADCAST)
		inet->inet_saddr = 0; /* Use device */
	return 0;
}

/*
 * Queues skb on sk unless its filter drops it or the receive buffer is full
 * (sock_queue_rcv_skb); consumes skb either way and returns 0, -EPERM or
 * -ENOMEM.
 */
int inet_sock_queue_rcv_skb(struct sock *sk, struct sk_buff *skb)
{
	if (sk_filter(sk, skb)) {
		kfree_skb(skb);
		return -EPERM;
	}
	if (sk->sk_rmem_alloc + (int)skb->len >= sk->sk_rcvbuf) {
		kfree_skb(skb);
		return -ENOMEM;
	}
	skb->sk = sk;
	sk->sk_rmem_alloc += (int)skb->len;
	__skb_queue_tail(&sk->sk_receive_queue, skb);
	sk->sk_data_ready(sk);
	return 0;
}

int inet_recv_queued(struct sock *sk, struct msghdr *msg, size_t len, int flags, int *addr_len)
{
	struct sk_buff *skb = skb_peek(&sk->sk_receive_queue);
	size_t copied = 0, skblen;
	size_t i;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (flags & MSG_ERRQUEUE)
		return ip_recv_error(sk, msg, len, addr_len);
	if (!skb) {
		if (sk->sk_err)
			return sock_error(sk);
		return -EAGAIN;
	}
	skblen = skb->len;
	for (i = 0; i < msg->msg_iovlen && copied < skblen && copied < len; i++) {
		size_t n = msg->msg_iov[i].iov_len;

		if (n > skblen - copied)
			n = skblen - copied;
		if (n > len - copied)
			n = len - copied;
		memcpy(msg->msg_iov[i].iov_base, skb->data + copied, n);
		copied += n;
	}
	if (copied < skblen)
		msg->msg_flags |= MSG_TRUNC;

	if (msg->msg_name) {
		struct sockaddr_in *sin = msg->msg_name;
		const struct iphdr *iph = (const struct iphdr *)skb_network_header(skb);

		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = iph->saddr;
		*addr_len = (int)sizeof(*sin);
	}
	/* raw_recvmsg and ping_recvmsg: the stamps, then the IP cmsgs asked for. */
	sock_recv_stamp(sk, skb);
	if (msg->msg_control)
		ip_cmsg_recv(msg, sk, skb, 0, 0);

	if (!(flags & MSG_PEEK)) {
		__skb_unlink(skb, &sk->sk_receive_queue);
		sk->sk_rmem_alloc -= (int)skb->len;
		kfree_skb(skb);
	}
	return (int)(flags & MSG_TRUNC ? skblen : copied);
}

static int raw_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags, int *addr_len)
{
	return inet_recv_queued(sk, msg, len, flags, addr_len);
}

/*
 * ICMP_FILTER (icmp_filter): whether sk drops this ICMP message. skb->data
 * is at the ICMP header; a message too short to hold one is dropped, types
 * above 31 always pass.
 */
static bool raw_icmp_filtered(const struct sock *sk, const struct sk_buff *skb)
{
	uint8_t type;

	if (skb->len < sizeof(struct icmphdr))
		return true;
	type = skb->data[0];
	return type < 32 && (raw_sk(sk)->filter.data & (1u << type));
}

/* Is sk interested in a packet from saddr to daddr? (raw_v4_match) */
static bool raw_v4_match(const struct sock *sk, unsigned short num, uint32_t saddr, uint32_t daddr)
{
	return sk->sk_num == num && (!sk->sk_daddr || sk->sk_daddr == saddr) &&
	       (!sk->sk_rcv_saddr || sk->sk_rcv_saddr == daddr);
}

int raw_local_deliver(struct net *net, struct sk_buff *skb, int protocol)
{
	const struct iphdr *iph = (const struct iphdr *)skb_network_header(skb);
	struct sock *sk;
	int delivered = 0;

	if (!net->raw_table)
		return 0;
	hlist_for_each_entry (sk, raw_hashbucket(net, (unsigned int)protocol), sk_node) {
		struct sk_buff *clone;

		if (!raw_v4_match(sk, (unsigned short)protocol, iph->saddr, iph->daddr))
			continue;
		/* A filtered socket still counts: no protocol unreachable. */
		delivered = 1;
		if (protocol == IPPROTO_ICMP && raw_icmp_filtered(sk, skb))
			continue;
		/* A group's datagrams pass the socket's source filter (raw_v4_input). */
		if (!ip_mc_sf_allow(sk, iph->daddr, iph->saddr, net->dev ? net->dev->ifindex : 0))
			continue;
		clone = skb_copy(skb);
		if (!clone)
			continue;
		/* A raw socket reads the IP header too. */
		clone->len += (uint32_t)(clone->data - skb_network_header(clone));
		clone->data = skb_network_header(clone);
		inet_sock_queue_rcv_skb(sk, clone);
	}
	return delivered;
}

/*
 * raw_err: an ICMP error about a packet of sk's protocol. Reported only to
 * a socket that asked (IP_RECVERR: queued, with the quoted packet from its
 * transport header, or its IP header under IP_HDRINCL, as data) or that is
 * connected and the error is hard; source quench is nothing.
 */
static void raw_err(struct sock *sk, const struct sk_buff *skb, int type, int code)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const struct inet_sock *inet = inet_sk(sk);
	uint32_t info = 0;
	int harderr = 0, err;

	if (!inet->recverr && sk->sk_state != TCP_ESTABLISHED)
		return;
	if (type == ICMP_SOURCE_QUENCH)
		return;
	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED) {
		harderr = inet->pmtudisc != IP_PMTUDISC_DONT;
		err = EMSGSIZE;
		info = ntohs(((const struct icmphdr *)skb_transport_header(skb))->un.frag.mtu);
	} else {
		err = icmp_err_to_errno(type, code, &harderr);
		if (!err) /* any other type: the kernel's default */
			err = EHOSTUNREACH;
	}
	if (inet->recverr)
		ip_icmp_error(sk, skb, err, (uint8_t)type, (uint8_t)code, info, 0,
			      inet->hdrincl ? skb->data : skb->data + iph->ihl * 4u);
	if (inet->recverr || harderr) {
		sk->sk_err = err;
		if (sk->sk_error_report)
			sk->sk_error_report(sk);
	}
}

void raw_icmp_error(struct net *net, const struct sk_buff *skb, uint32_t info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	struct sock *sk;

	if (!net->raw_table)
		return;
	hlist_for_each_entry (sk, raw_hashbucket(net, iph->protocol), sk_node) {
		/* The quoted packet went from us (saddr) to the peer (daddr). */
		if (raw_v4_match(sk, iph->protocol, iph->daddr, iph->saddr))
			raw_err(sk, skb, (int)(info >> 8), (int)(info & 0xff));
	}
}

int inet_copy_from_msg(void *to, const struct msghdr *msg, size_t len)
{
	uint8_t *p = to;

	for (size_t i = 0; i < msg->msg_iovlen && len; i++) {
		size_t n = msg->msg_iov[i].iov_len < len ? msg->msg_iov[i].iov_len : len;

		if (n && !msg->msg_iov[i].iov_base)
			return -EFAULT;
		memcpy(p, msg->msg_iov[i].iov_base, n);
		p += n;
		len -= n;
	}
	return len ? -EFAULT : 0;
}

int inet_dgram_route(struct sock *sk, const struct ipcm_cookie *ipc, uint32_t *daddr,
		     uint32_t *saddr)
{
	struct net *net = sock_net(sk);
	uint32_t nexthop;
	int err;

	*saddr = inet_sk(sk)->inet_saddr;
	/* ip_route_output_key: 0.0.0.0 means this host. */
	if (!*daddr)
		*daddr = *saddr ? *saddr : htonl(INADDR_LOOPBACK);
	err = ip_route_output_sk(sk, ipc, *daddr, saddr, &nexthop);
	if (err) {
		if (err == -ENETUNREACH)
			__IP_INC_STATS(net, OutNoRoutes);
		return err;
	}
	if (ip_addr_is_broadcast(net, *daddr) && !sock_flag(sk, SOCK_BROADCAST))
		return -EACCES;
	return 0;
}

int inet_dgram_route_opt(struct sock *sk, const struct ipcm_cookie *ipc,
			 const struct ip_options_data *opt, uint32_t *daddr, uint32_t *saddr)
{
	uint32_t route;
	int err;

	if (opt->opt.srr && !*daddr)
		return -EINVAL;
	route = ip_options_first_hop(opt, *daddr);
	err = inet_dgram_route(sk, ipc, &route, saddr);
	if (!opt->opt.srr)
		*daddr = route;
	return err;
}

/*
 * raw_send_hdrinc: skb holds the application's whole packet. The kernel
 * keeps the header as given but for tot_len, the checksum, a zero id and a
 * zero source; ip_build_and_send_pkt writes it anew from the same fields.
 */
static int raw_send_hdrinc(struct sock *sk, struct sk_buff *skb, uint32_t daddr, uint32_t saddr)
{
	struct net *net = sock_net(sk);
	struct iphdr iph;
	uint16_t id_next = net->ip_id_next;
	int df, err;

	if (ip_addr_is_local(net, daddr) ? skb->len > 65535 : skb->len > ip_dst_mtu(net)) {
		kfree_skb(skb);
		return -EMSGSIZE;
	}
	if (skb->len < sizeof(iph)) {
		kfree_skb(skb);
		return -EINVAL;
	}
	memcpy(&iph, skb->data, sizeof(iph));
	/* Options and fragments cannot pass through ip_build_and_send_pkt's 20-byte header. */
	if (iph.ihl != 5 || (ntohs(iph.frag_off) & (IP_MF | IP_OFFMASK))) {
		kfree_skb(skb);
		return -EINVAL;
	}
	if (iph.saddr)
		saddr = iph.saddr;
	/* Larger than the MTU was refused above: DF only decides the bit. */
	df = ntohs(iph.frag_off) & IP_DF ? IP_DF_STRICT : IP_DF_NONE;
	skb_pull(skb, sizeof(iph));
	/* A non-zero id is kept (ip_select_ident only fills a zero one) and uses up none. */
	if (iph.id)
		net->ip_id_next = ntohs(iph.id);
	err = ip_build_and_send_pkt(net, skb, saddr, iph.daddr, iph.protocol, iph.tos, iph.ttl, df);
	if (iph.id)
		net->ip_id_next = id_next;
	return err;
}

static int raw_sendmsg(struct sock *sk, struct msghdr *msg, size_t len)
{
	struct inet_sock *inet = inet_sk(sk);
	struct ip_options_data opt;
	struct ipcm_cookie ipc;
	uint32_t daddr, saddr;
	struct sk_buff *skb;
	int err;

	if (len > 0xffff)
		return -EMSGSIZE;
	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (msg->msg_namelen) {
		const struct sockaddr_in *usin = msg->msg_name;

		if (msg->msg_namelen < sizeof(*usin))
			return -EINVAL;
		/* The kernel lets AF_UNSPEC pass, for programs that forget the family. */
		if (usin->sin_family != AF_INET && usin->sin_family != AF_UNSPEC)
			return -EAFNOSUPPORT;
		daddr = usin->sin_addr.s_addr;
	} else {
		if (sk->sk_state != TCP_ESTABLISHED)
			return -EDESTADDRREQ;
		daddr = sk->sk_daddr;
	}
	ipcm_init(&ipc);
	err = ip_cmsg_send(sock_net(sk), msg, &ipc);
	if (!err)
		err = ipc_options(sk, &ipc, &opt);
	/* No IP options with IP_HDRINCL: the kernel does not mangle a header the program wrote. */
	if (!err && inet->hdrincl && opt.opt.optlen)
		err = -EINVAL;
	if (!err)
		err = inet_dgram_route_opt(sk, &ipc, &opt, &daddr, &saddr);
	if (!err)
		err = ipc_saddr(sock_net(sk), &ipc, &saddr);
	if (err)
		return err;

	skb = alloc_skb((unsigned int)len);
	if (!skb)
		return -ENOBUFS;
	skb->sk = sk;
	err = inet_copy_from_msg(skb_put(skb, (unsigned int)len), msg, len);
	if (err) {
		kfree_skb(skb);
		return err;
	}
	sock_tx_timestamp(sk, skb, ipc_tsflags(&ipc, sk));
	if (inet->hdrincl)
		err = raw_send_hdrinc(sk, skb, daddr, saddr);
	else
		err = ip_build_and_send_pkt_opt(sock_net(sk), skb, saddr, daddr,
						(uint8_t)sk->sk_protocol, ipc_tos(&ipc, sk),
						ipc_ttl(&ipc, sk), ip_dont_fragment(sk), &opt);
	/* As the kernel without IP_RECVERR: a full device queue is not the sender's error. */
	if (err == -ENOBUFS && !inet->recverr)
		err = 0;
	return err ? err : (int)len;
}

/* IP_HDRINCL is ip_setsockopt's in the kernel, for SOCK_RAW only: here, only raw sockets get it. */
static int raw_set_hdrincl(struct sock *sk, const void *optval, unsigned int optlen)
{
	int val = 0;

	if (optlen >= sizeof(int))
		memcpy(&val, optval, sizeof(int));
	else if (optlen >= 1)
		val = *(const unsigned char *)optval;
	inet_sk(sk)->hdrincl = !!val;
	return 0;
}

static int raw_setsockopt(struct sock *sk, int level, int optname, const void *optval,
			  unsigned int optlen)
{
	if (level == SOL_IP && optname == IP_HDRINCL)
		return raw_set_hdrincl(sk, optval, optlen);
	if (level != SOL_RAW)
		return ip_setsockopt(sk, level, optname, optval, optlen);
	if (optname != ICMP_FILTER)
		return -ENOPROTOOPT;
	if (sk->sk_num != IPPROTO_ICMP)
		return -EOPNOTSUPP;
	/* raw_seticmpfilter: a short value sets the low bytes, a long one is cut. */
	if (optlen > sizeof(struct icmp_filter))
		optlen = sizeof(struct icmp_filter);
	memcpy(&raw_sk(sk)->filter, optval, optlen);
	return 0;
}

static int raw_getsockopt(struct sock *sk, int level, int optname, void *optval, int *optlen)
{
	int len;

	if (level != SOL_RAW)
		return ip_getsockopt(sk, level, optname, optval, optlen);
	if (optname != ICMP_FILTER)
		return -ENOPROTOOPT;
	if (sk->sk_num != IPPROTO_ICMP)
		return -EOPNOTSUPP;
	len = *optlen;
	if (len < 0)
		return -EINVAL;
	if (len > (int)sizeof(struct icmp_filter))
		len = sizeof(struct icmp_filter);
	memcpy(optval, &raw_sk(sk)->filter, (size_t)len);
	*optlen = len;
	return 0;
}

static int raw_ioctl(struct sock *sk, int cmd, int *karg)
{
	struct sk_buff *skb;

	switch (cmd) {
	case SIOCOUTQ:
		*karg = sk->sk_wmem_queued;
		return 0;
	case SIOCINQ:
		skb = skb_peek(&sk->sk_receive_queue);
		*karg = skb ? (int)skb->len : 0;
		return 0;
	default:
		return -ENOIOCTLCMD;
	}
}

struct proto raw_prot = {
	.name = "RAW",
	.obj_size = sizeof(struct raw_sock),
	.close = raw_close,
	.bind = raw_bind,
	/* As the kernel's raw_prot: connect picks the route and the source
	 * address (traceroute -T reads it back for its checksums), and
	 * AF_UNSPEC unhashes the socket, which then receives nothing. */
	.connect = ip4_datagram_connect,
	.disconnect = udp_disconnect,
	.ioctl = raw_ioctl,
	.setsockopt = raw_setsockopt,
	.getsockopt = raw_getsockopt,
	.sendmsg = raw_sendmsg,
	.recvmsg = raw_recvmsg,
	.hash = raw_hash_sk,
	.unhash = raw_unhash_sk,
};

int raw_net_init(struct net *net)
{
	net->raw_table = calloc(1, sizeof(struct raw_hashinfo));
	if (!net->raw_table)
		return -ENOMEM;
	if (ping_net_init(net)) {
		free(net->raw_table);
		net->raw_table = NULL;
		return -ENOMEM;
	}
	return 0;
}

void raw_net_exit(struct net *net)
{
	ping_net_exit(net);
	free(net->raw_table);
	net->raw_table = NULL;
}
