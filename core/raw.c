// SPDX-License-Identifier: MIT
/*
 * Raw IPv4 sockets (net/ipv4/raw.c): socket(AF_INET, SOCK_RAW, proto)
 * sockets are hashed by protocol from birth (inet_create sets sk_num to the
 * protocol) and receive a copy of every IP packet of that protocol, IP
 * header included, before the transport sees it (raw_local_deliver).
 * raw_net_init also sets up the per-stack table of ping sockets (ping.c),
 * the other user of inet_sockraw_ops.
 *
 * What this is not (yet): sending. raw_prot has no sendmsg, so send() on a
 * raw socket fails with -EOPNOTSUPP; ICMP_FILTER and IP_HDRINCL output are
 * not implemented.
 */
#include <arpa/inet.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <errno.h>
#include <netinet/ip.h>
#include <stdlib.h>
#include <string.h>

#include "inet.h"
#include "net_namespace.h"
#include "protocol.h"

#define RAW_HTABLE_SIZE 256 /* one bucket per protocol number (mod 256) */

struct raw_hashinfo {
	struct hlist_head ht[RAW_HTABLE_SIZE];
};

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
 * connect() on a raw or ping socket only fixes the peer (ip4_datagram_connect
 * without the route lookup): sends default to it, receives are filtered.
 */
static int raw_connect(struct sock *sk, const struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_in *usin = (const struct sockaddr_in *)uaddr;

	if (addr_len < (int)sizeof(*usin))
		return -EINVAL;
	if (usin->sin_family != AF_INET)
		return -EAFNOSUPPORT;
	sk->sk_daddr = usin->sin_addr.s_addr;
	sk->sk_dport = usin->sin_port;
	sk->sk_state = TCP_ESTABLISHED;
	return 0;
}

static int raw_disconnect(struct sock *sk, int flags)
{
	sk->sk_state = TCP_CLOSE;
	sk->sk_daddr = 0;
	sk->sk_dport = 0;
	return 0;
}

/*
 * Queues skb on sk unless the receive buffer is full (sock_queue_rcv_skb);
 * consumes skb either way and returns 0 or -ENOMEM.
 */
int inet_sock_queue_rcv_skb(struct sock *sk, struct sk_buff *skb)
{
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
		delivered = 1;
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
	.obj_size = sizeof(struct inet_sock),
	.close = raw_close,
	.bind = raw_bind,
	.connect = raw_connect,
	.disconnect = raw_disconnect,
	.ioctl = raw_ioctl,
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
