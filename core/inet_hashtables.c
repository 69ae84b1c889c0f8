// SPDX-License-Identifier: MIT
/*
 * TCP lookup tables and port allocation of one stack, after
 * net/ipv4/inet_hashtables.c and inet_connection_sock.c. Every lookup is one
 * bucket walk; nothing here allocates after inet_hashinfo_init().
 *
 * Bind conflicts follow the kernel's inet_bind_conflict(): two sockets on
 * the same port and overlapping addresses (equal, or either INADDR_ANY)
 * conflict unless both set SO_REUSEADDR and the one already there is not
 * listening. A connection in TIME_WAIT is still a tcp_sock on the bind hash,
 * so re-binding its port needs SO_REUSEADDR on both, as in Linux.
 *
 * What this is not: connect() takes an ephemeral port nobody holds (the
 * kernel also shares a port between connections with distinct 4-tuples and
 * may recycle TIME_WAIT with tcp_tw_reuse); SO_REUSEPORT load balancing.
 */
#include "inet_hashtables.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "net_namespace.h"
#include "tcp.h"

int inet_hashinfo_init(struct net *net)
{
	struct inet_hashinfo *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->hash_rnd = net->isn_secret[0] ^ net->isn_secret[3];
	h->port_cursor = net->isn_secret[1];
	net->tcp_hashinfo = h;
	return 0;
}

void inet_hashinfo_exit(struct net *net)
{
	free(net->tcp_hashinfo);
	net->tcp_hashinfo = NULL;
}

static uint32_t inet_ehashfn(const struct inet_hashinfo *h, uint32_t laddr, uint16_t lport,
			     uint32_t faddr, uint16_t fport)
{
	/* A multiplicative mix keyed by a per-stack secret: peers cannot aim at one bucket. */
	uint64_t x = ((uint64_t)laddr << 32 | faddr) ^ h->hash_rnd;

	x ^= ((uint64_t)lport << 16 | fport) * 0x9e3779b97f4a7c15ull;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (uint32_t)x & (INET_EHASH_SIZE - 1);
}

static struct hlist_head *ehash_bucket(struct net *net, const struct sock *sk)
{
	struct inet_hashinfo *h = net->tcp_hashinfo;

	return &h->ehash[inet_ehashfn(h, sk->sk_rcv_saddr, sk->sk_num, sk->sk_daddr, sk->sk_dport)];
}

struct sock *__inet_lookup_established(struct net *net, uint32_t raddr, uint16_t rport,
				       uint32_t laddr, uint16_t lport)
{
	struct inet_hashinfo *h = net->tcp_hashinfo;
	uint16_t hnum = ntohs(lport);
	struct hlist_head *b = &h->ehash[inet_ehashfn(h, laddr, hnum, raddr, rport)];
	struct sock *sk;

	hlist_for_each_entry (sk, b, sk_node) {
		if (sk->sk_daddr == raddr && sk->sk_dport == rport && sk->sk_num == hnum &&
		    sk->sk_rcv_saddr == laddr)
			return sk;
	}
	return NULL;
}

struct sock *__inet_lookup_listener(struct net *net, uint32_t laddr, uint16_t lport)
{
	struct inet_hashinfo *h = net->tcp_hashinfo;
	uint16_t hnum = ntohs(lport);
	struct sock *sk, *wild = NULL;

	hlist_for_each_entry (sk, &h->lhash[hnum % INET_LHASH_SIZE], sk_node) {
		if (sk->sk_num != hnum || sk->sk_state != TCP_LISTEN)
			continue;
		if (sk->sk_rcv_saddr == laddr)
			return sk;
		if (!sk->sk_rcv_saddr)
			wild = sk;
	}
	return wild;
}

static bool inet_rcv_saddr_equal(const struct sock *sk, const struct sock *sk2)
{
	return !sk->sk_rcv_saddr || !sk2->sk_rcv_saddr || sk->sk_rcv_saddr == sk2->sk_rcv_saddr;
}

/* The kernel's inet_bind_conflict() with relax = true, reuseport ignored. */
static bool inet_csk_bind_conflict(const struct sock *sk, unsigned short snum)
{
	struct inet_hashinfo *h = sk->sk_net->tcp_hashinfo;
	struct sock *sk2;

	hlist_for_each_entry (sk2, &h->bhash[snum % INET_BHASH_SIZE], sk_bind_node) {
		if (sk2 == sk || sk2->sk_num != snum || !inet_rcv_saddr_equal(sk, sk2))
			continue;
		if (sk->sk_reuse == SK_FORCE_REUSE)
			continue;
		if (sk->sk_reuse && sk2->sk_reuse && sk2->sk_state != TCP_LISTEN)
			continue;
		return true;
	}
	return false;
}

static bool port_unused(struct inet_hashinfo *h, unsigned short port)
{
	struct sock *sk2;

	hlist_for_each_entry (sk2, &h->bhash[port % INET_BHASH_SIZE], sk_bind_node) {
		if (sk2->sk_num == port)
			return false;
	}
	return true;
}

static void inet_bind_hash(struct sock *sk, unsigned short snum)
{
	struct inet_hashinfo *h = sk->sk_net->tcp_hashinfo;

	sk->sk_num = snum;
	inet_sk(sk)->inet_sport = htons(snum);
	if (hlist_unhashed(&sk->sk_bind_node))
		hlist_add_head(&sk->sk_bind_node, &h->bhash[snum % INET_BHASH_SIZE]);
}

/*
 * Searches ip_local_port_range for a port that passes ok(), trying the
 * given parity first as the kernel does (connect() even, bind(0) odd) so
 * that the two rarely compete for the same ports.
 */
static int inet_find_port(struct sock *sk, int parity,
			  bool (*ok)(struct sock *sk, unsigned short port))
{
	struct net *net = sk->sk_net;
	struct inet_hashinfo *h = net->tcp_hashinfo;
	int low = net->sysctl.ip_local_port_range[0];
	int high = net->sysctl.ip_local_port_range[1];
	uint32_t remaining = (uint32_t)(high - low) + 1;
	uint32_t offset = h->port_cursor++ * 2654435761u;

	if (high < low)
		return -EADDRNOTAVAIL;
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < remaining; i++) {
			unsigned short port = (unsigned short)(low + (offset + i) % remaining);

			if ((port & 1) != (pass ? !parity : parity))
				continue;
			if (ok(sk, port))
				return port;
		}
	}
	return -EADDRINUSE;
}

static bool bind_port_ok(struct sock *sk, unsigned short port)
{
	return !inet_csk_bind_conflict(sk, port);
}

static bool connect_port_ok(struct sock *sk, unsigned short port)
{
	return port_unused(sk->sk_net->tcp_hashinfo, port);
}

int inet_csk_get_port(struct sock *sk, unsigned short snum)
{
	int port;

	if (!snum) {
		port = inet_find_port(sk, 1, bind_port_ok);
		if (port < 0)
			return -EADDRINUSE;
		snum = (unsigned short)port;
	} else if (inet_csk_bind_conflict(sk, snum)) {
		return -EADDRINUSE;
	}
	inet_bind_hash(sk, snum);
	return 0;
}

void inet_put_port(struct sock *sk)
{
	hlist_del_init(&sk->sk_bind_node);
}

void inet_inherit_port(struct sock *parent, struct sock *child)
{
	struct inet_hashinfo *h = parent->sk_net->tcp_hashinfo;

	child->sk_num = parent->sk_num;
	inet_sk(child)->inet_sport = inet_sk(parent)->inet_sport;
	hlist_add_head(&child->sk_bind_node, &h->bhash[child->sk_num % INET_BHASH_SIZE]);
}

int inet_hash(struct sock *sk)
{
	struct inet_hashinfo *h = sk->sk_net->tcp_hashinfo;

	if (sk->sk_state != TCP_LISTEN)
		return inet_ehash_insert(sk);
	hlist_del_init(&sk->sk_node);
	hlist_add_head(&sk->sk_node, &h->lhash[sk->sk_num % INET_LHASH_SIZE]);
	return 0;
}

void inet_unhash(struct sock *sk)
{
	hlist_del_init(&sk->sk_node);
}

int inet_ehash_insert(struct sock *sk)
{
	struct net *net = sk->sk_net;

	if (__inet_lookup_established(net, sk->sk_daddr, sk->sk_dport, sk->sk_rcv_saddr,
				      htons(sk->sk_num)))
		return -EADDRNOTAVAIL;
	hlist_del_init(&sk->sk_node);
	hlist_add_head(&sk->sk_node, ehash_bucket(net, sk));
	return 0;
}

int inet_hash_connect(struct sock *sk)
{
	int port;

	if (!sk->sk_num) {
		port = inet_find_port(sk, 0, connect_port_ok);
		if (port < 0)
			return -EADDRNOTAVAIL;
		inet_bind_hash(sk, (unsigned short)port);
	}
	return inet_ehash_insert(sk);
}
