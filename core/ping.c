// SPDX-License-Identifier: MIT
/*
 * ICMP ping sockets (net/ipv4/ping.c): socket(AF_INET, SOCK_DGRAM,
 * IPPROTO_ICMP) lets a program without CAP_NET_RAW send echo requests and
 * read the replies, if its group is inside net.ipv4.ping_group_range (root
 * is not exempt: the default range "1 0" admits nobody). The socket's
 * "port" is the echo identifier; replies are matched to sockets by it.
 *
 * Sending (ping_v4_sendmsg): the application writes an echo request, ICMP
 * header included; the stack checks the type, puts the socket's identifier
 * in (inet_sendmsg has bound one by then) and computes the checksum.
 * Replies are read from the ICMP header on, without the IP header.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip_icmp.h>
#include <stdlib.h>

#include "checksum.h"
#include "icmp.h"
#include "inet.h"
#include "ip.h"
#include "net_namespace.h"
#include "protocol.h"
#include "udp.h"

#define PING_HTABLE_SIZE 64

struct ping_table {
	struct hlist_head hash[PING_HTABLE_SIZE];
	uint16_t port_rover; /* last identifier handed out */
};

static struct hlist_head *ping_hashslot(const struct net *net, uint16_t ident)
{
	struct ping_table *t = net->ping_table;

	return &t->hash[ident & (PING_HTABLE_SIZE - 1)];
}

/* ping_init_sock: the caller's group must be inside ping_group_range. */
static int ping_init_sock(struct sock *sk)
{
	const struct net *net = sock_net(sk);
	const struct cred *cred = net->current_cred;
	uint32_t low = net->sysctl.ping_group_range[0];
	uint32_t high = net->sysctl.ping_group_range[1];
	int i;

	/* Kernel context (the stack's own sockets) has no group to check. */
	if (!cred)
		return 0;
	if (low <= cred->gid && cred->gid <= high)
		return 0;
	for (i = 0; i < cred->ngroups && i < (int)(sizeof(cred->groups) / sizeof(*cred->groups));
	     i++)
		if (low <= cred->groups[i] && cred->groups[i] <= high)
			return 0;
	return -EACCES;
}

static bool ping_ident_in_use(const struct net *net, const struct sock *sk, uint16_t ident)
{
	const struct sock *sk2;

	hlist_for_each_entry (sk2, ping_hashslot(net, ident), sk_node) {
		/* Sockets that both allow reuse (ping sockets do) may share. */
		if (sk2 != sk && sk2->sk_num == ident && (!sk2->sk_reuse || !sk->sk_reuse))
			return true;
	}
	return false;
}

static int ping_get_port(struct sock *sk, unsigned short ident)
{
	struct net *net = sock_net(sk);
	struct ping_table *t = net->ping_table;
	int i;

	if (!ident) {
		uint16_t result = (uint16_t)(t->port_rover + 1);

		for (i = 0; i < (1 << 16); i++, result++) {
			if (!result)
				result++; /* avoid zero */
			if (!ping_ident_in_use(net, sk, result))
				break;
		}
		if (i == (1 << 16))
			return -EADDRINUSE;
		t->port_rover = ident = result;
	} else if (ping_ident_in_use(net, sk, ident)) {
		return -EADDRINUSE;
	}
	sk->sk_num = ident;
	inet_sk(sk)->inet_sport = htons(ident);
	if (hlist_unhashed(&sk->sk_node))
		hlist_add_head(&sk->sk_node, ping_hashslot(net, ident));
	return 0;
}

static int ping_hash(struct sock *sk)
{
	/* Hashed by ping_get_port once an identifier is chosen. */
	return 0;
}

static void ping_unhash(struct sock *sk)
{
	hlist_del_init(&sk->sk_node);
	sk->sk_num = 0;
	inet_sk(sk)->inet_sport = 0;
}

static void ping_close(struct sock *sk, long timeout)
{
	sk_common_release(sk);
}

/* Checks the address for bind (ping_check_bind_addr) and binds the identifier. */
static int ping_bind(struct sock *sk, const struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_in *addr = (const struct sockaddr_in *)uaddr;
	struct inet_sock *isk = inet_sk(sk);
	struct net *net = sock_net(sk);
	int chk_addr_ret, err;

	if (addr_len < (int)sizeof(*addr))
		return -EINVAL;
	if (addr->sin_family != AF_INET &&
	    !(addr->sin_family == AF_UNSPEC && addr->sin_addr.s_addr == htonl(INADDR_ANY)))
		return -EAFNOSUPPORT;

	chk_addr_ret = inet_addr_type(net, addr->sin_addr.s_addr);
	if (addr->sin_addr.s_addr == htonl(INADDR_ANY))
		chk_addr_ret = RTN_LOCAL;
	if (chk_addr_ret == RTN_MULTICAST || chk_addr_ret == RTN_BROADCAST ||
	    (!(net->sysctl.ip_nonlocal_bind || isk->freebind || isk->transparent) &&
	     chk_addr_ret != RTN_LOCAL))
		return -EADDRNOTAVAIL;

	if (sk->sk_num != 0)
		return -EINVAL;
	sk->sk_rcv_saddr = isk->inet_saddr = addr->sin_addr.s_addr;
	err = ping_get_port(sk, ntohs(addr->sin_port));
	if (err) {
		sk->sk_rcv_saddr = isk->inet_saddr = 0;
		return err;
	}
	if (sk->sk_rcv_saddr)
		sk->sk_userlocks |= SOCK_BINDADDR_LOCK;
	if (sk->sk_num)
		sk->sk_userlocks |= SOCK_BINDPORT_LOCK;
	sk->sk_daddr = 0;
	sk->sk_dport = 0;
	return 0;
}

static int ping_sendmsg(struct sock *sk, struct msghdr *msg, size_t len)
{
	struct inet_sock *inet = inet_sk(sk);
	struct icmphdr *icmph;
	struct ip_options_data opt;
	struct ipcm_cookie ipc;
	uint32_t daddr = 0, saddr;
	struct sk_buff *skb;
	int err;

	/* ping_common_sendmsg: size, flags and the type come before the address. */
	if (len > 0xffff)
		return -EMSGSIZE;
	if (len < sizeof(*icmph))
		return -EINVAL;
	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;
	skb = alloc_skb((unsigned int)len);
	if (!skb)
		return -ENOBUFS;
	skb->sk = sk;
	icmph = (struct icmphdr *)skb_put(skb, (unsigned int)len);
	err = inet_copy_from_msg(icmph, msg, len);
	if (!err && (icmph->type != ICMP_ECHO || icmph->code != 0))
		err = -EINVAL; /* ping_supported */
	if (!err && msg->msg_name) {
		const struct sockaddr_in *usin = msg->msg_name;

		if (msg->msg_namelen < sizeof(*usin))
			err = -EINVAL;
		else if (usin->sin_family != AF_INET)
			err = -EAFNOSUPPORT;
		daddr = usin->sin_addr.s_addr;
	} else if (!err) {
		if (sk->sk_state != TCP_ESTABLISHED)
			err = -EDESTADDRREQ;
		daddr = sk->sk_daddr;
	}
	ipcm_init(&ipc);
	if (!err)
		err = ip_cmsg_send(sock_net(sk), msg, &ipc);
	if (!err)
		err = ipc_options(sk, &ipc, &opt);
	if (!err)
		err = inet_dgram_route_opt(sk, &ipc, &opt, &daddr, &saddr);
	if (!err)
		err = ipc_saddr(sock_net(sk), &ipc, &saddr);
	if (err) {
		kfree_skb(skb);
		return err;
	}

	icmph->un.echo.id = inet->inet_sport;
	icmph->checksum = 0;
	icmph->checksum = csum_fold(csum_partial(icmph, (int)len, 0));
	sock_tx_timestamp(sk, skb, ipc_tsflags(&ipc, sk));
	err = ip_build_and_send_pkt_opt(sock_net(sk), skb, saddr, daddr, IPPROTO_ICMP,
					ipc_tos(&ipc, sk), ipc_ttl(&ipc, sk), ip_dont_fragment(sk),
					&opt);
	if (err)
		return err;
	__ICMP_INC_STATS(sock_net(sk), OutMsgs);
	__ICMP_INC_STATS(sock_net(sk), OutEchos);
	return (int)len;
}

static int ping_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags, int *addr_len)
{
	return inet_recv_queued(sk, msg, len, flags, addr_len);
}

/* An echo reply (skb->data at the ICMP header): queue it on the socket owning its identifier. */
int ping_rcv(struct net *net, struct sk_buff *skb)
{
	const struct icmphdr *icmph = (const struct icmphdr *)skb->data;
	const struct iphdr *iph = (const struct iphdr *)skb_network_header(skb);
	uint16_t ident;
	struct sock *sk;

	if (!net->ping_table || skb->len < sizeof(*icmph) || icmph->type != ICMP_ECHOREPLY)
		return 0;
	ident = ntohs(icmph->un.echo.id);
	hlist_for_each_entry (sk, ping_hashslot(net, ident), sk_node) {
		if (sk->sk_num != ident)
			continue;
		if (sk->sk_rcv_saddr && sk->sk_rcv_saddr != iph->daddr)
			continue;
		if (sk->sk_daddr && sk->sk_daddr != iph->saddr)
			continue;
		inet_sock_queue_rcv_skb(sk, skb);
		return 1;
	}
	return 0;
}

/*
 * ping_err: an ICMP error quoting one of our echo requests (skb->data at
 * the quoted IP header), or an echo request ARP could not deliver, goes to
 * the ping socket whose identifier it carries: as an entry of the error
 * queue with IP_RECVERR (what ping reads to print "Destination Host
 * Unreachable"), and as the socket's error when IP_RECVERR is set or the
 * error is hard on a connected socket.
 */
void ping_err(struct net *net, struct sk_buff *skb, uint32_t info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const struct icmphdr *icmph = (const struct icmphdr *)(skb->data + iph->ihl * 4);
	int type = (int)(info >> 8), code = (int)(info & 0xff);
	int harderr = 0, err;
	struct sock *sk = NULL, *s;

	if (!net->ping_table || icmph->type != ICMP_ECHO)
		return;
	hlist_for_each_entry (s, ping_hashslot(net, ntohs(icmph->un.echo.id)), sk_node) {
		if (s->sk_num == ntohs(icmph->un.echo.id) &&
		    (!s->sk_rcv_saddr || s->sk_rcv_saddr == iph->saddr)) {
			sk = s;
			break;
		}
	}
	if (!sk)
		return;
	switch (type) {
	case ICMP_SOURCE_QUENCH:
		err = EREMOTEIO; /* not a real error, but ping wants to see it */
		break;
	case ICMP_DEST_UNREACH:
		if (code == ICMP_FRAG_NEEDED) {
			err = EMSGSIZE;
			harderr = inet_sk(sk)->pmtudisc != IP_PMTUDISC_DONT;
			break;
		}
		/* fall through */
	default:
		err = icmp_err_to_errno(type, code, &harderr);
		if (!err)
			return;
	}
	if (!inet_sk(sk)->recverr) {
		if (!harderr || sk->sk_state != TCP_ESTABLISHED)
			return;
	} else {
		ip_icmp_error(sk, skb, err, (uint8_t)type, (uint8_t)code, 0, 0,
			      (const uint8_t *)icmph);
	}
	sk->sk_err = err;
	if (sk->sk_error_report)
		sk->sk_error_report(sk);
}

struct proto ping_prot = {
	.name = "PING",
	.obj_size = sizeof(struct inet_sock),
	.init = ping_init_sock,
	.close = ping_close,
	.bind = ping_bind,
	.connect = ip4_datagram_connect, /* the kernel's ping_prot shares both */
	.disconnect = udp_disconnect,
	.setsockopt = ip_setsockopt,
	.getsockopt = ip_getsockopt,
	.sendmsg = ping_sendmsg,
	.recvmsg = ping_recvmsg,
	.hash = ping_hash,
	.unhash = ping_unhash,
	.get_port = ping_get_port,
};

int ping_net_init(struct net *net)
{
	net->ping_table = calloc(1, sizeof(struct ping_table));
	return net->ping_table ? 0 : -ENOMEM;
}

void ping_net_exit(struct net *net)
{
	free(net->ping_table);
	net->ping_table = NULL;
}
