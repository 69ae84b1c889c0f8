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
 * SO_REUSEPORT as the kernel's: sockets that all set it share a port
 * (bind and listen), and the listeners on one exact address form a group
 * that takes each new connection at one member chosen by a hash of its
 * 4-tuple (reuseport_select_sock without a BPF program). Unlike the kernel,
 * the owners' uids are not compared (the stack does not know them).
 *
 * connect() takes a 4-tuple from a connection in TIME_WAIT as the
 * kernel's __inet_check_established does, when tcp_twsk_unique allows.
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
	h->perturb_rnd = (uint64_t)net->isn_secret[2] << 32 | net->isn_secret[1] | 1;
	net->tcp_hashinfo = h;
	return 0;
}

void inet_hashinfo_exit(struct net *net)
{
	free(net->tcp_hashinfo);
	net->tcp_hashinfo = NULL;
}

/* A multiplicative mix keyed by a per-stack secret: peers cannot aim at one bucket. */
static uint64_t inet_mix(const struct inet_hashinfo *h, uint32_t laddr, uint16_t lport,
			 uint32_t faddr, uint16_t fport)
{
	uint64_t x = ((uint64_t)laddr << 32 | faddr) ^ h->hash_rnd;

	x ^= ((uint64_t)lport << 16 | fport) * 0x9e3779b97f4a7c15ull;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static uint32_t inet_ehashfn(const struct inet_hashinfo *h, uint32_t laddr, uint16_t lport,
			     uint32_t faddr, uint16_t fport)
{
	return (uint32_t)inet_mix(h, laddr, lport, faddr, fport) & (INET_EHASH_SIZE - 1);
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

/* Whether sk2 is a member of listener sk's SO_REUSEPORT group (sk included). */
static bool inet_reuseport_member(const struct sock *sk2, const struct sock *sk)
{
	return sk2->sk_num == sk->sk_num && sk2->sk_state == TCP_LISTEN && sk2->sk_reuseport &&
	       sk2->sk_rcv_saddr == sk->sk_rcv_saddr;
}

/*
 * reuseport_select_sock: the member of sk's group (listeners on its port
 * and exact address, all with SO_REUSEPORT) that a hash of the 4-tuple
 * picks, so that every SYN of one connection reaches the same one.
 */
static struct sock *inet_reuseport_select(struct inet_hashinfo *h, struct sock *sk, uint32_t saddr,
					  uint16_t sport)
{
	struct hlist_head *b = &h->lhash[sk->sk_num % INET_LHASH_SIZE];
	uint32_t hash = (uint32_t)(inet_mix(h, sk->sk_rcv_saddr, sk->sk_num, saddr, sport) >> 32);
	uint32_t n = 0, i;
	struct sock *sk2;

	hlist_for_each_entry (sk2, b, sk_node)
		n += inet_reuseport_member(sk2, sk);
	i = (uint32_t)(((uint64_t)hash * n) >> 32); /* reciprocal_scale */
	hlist_for_each_entry (sk2, b, sk_node) {
		if (inet_reuseport_member(sk2, sk) && i-- == 0)
			return sk2;
	}
	return sk;
}

struct sock *__inet_lookup_listener(struct net *net, uint32_t saddr, uint16_t sport, uint32_t laddr,
				    uint16_t lport)
{
	struct inet_hashinfo *h = net->tcp_hashinfo;
	uint16_t hnum = ntohs(lport);
	struct sock *sk, *exact = NULL, *wild = NULL;

	hlist_for_each_entry (sk, &h->lhash[hnum % INET_LHASH_SIZE], sk_node) {
		if (sk->sk_num != hnum || sk->sk_state != TCP_LISTEN)
			continue;
		if (sk->sk_rcv_saddr == laddr)
			exact = sk;
		if (!sk->sk_rcv_saddr)
			wild = sk;
	}
	sk = exact ? exact : wild;
	if (sk && sk->sk_reuseport)
		return inet_reuseport_select(h, sk, saddr, sport);
	return sk;
}

static bool inet_rcv_saddr_equal(const struct sock *sk, const struct sock *sk2)
{
	return !sk->sk_rcv_saddr || !sk2->sk_rcv_saddr || sk->sk_rcv_saddr == sk2->sk_rcv_saddr;
}

/*
 * The kernel's inet_bind_conflict() with relax = true. reuseport_ok is
 * false for the ephemeral search (bind(0)), which never joins a group.
 */
static bool inet_csk_bind_conflict(const struct sock *sk, unsigned short snum, bool reuseport_ok)
{
	struct inet_hashinfo *h = sk->sk_net->tcp_hashinfo;
	struct sock *sk2;

	hlist_for_each_entry (sk2, &h->bhash[snum % INET_BHASH_SIZE], sk_bind_node) {
		bool reuseport = sk->sk_reuseport && sk2->sk_reuseport;

		if (sk2 == sk || sk2->sk_num != snum || !inet_rcv_saddr_equal(sk, sk2))
			continue;
		if (sk->sk_reuse == SK_FORCE_REUSE)
			continue;
		if (sk->sk_reuse && sk2->sk_reuse && sk2->sk_state != TCP_LISTEN) {
			if (!reuseport_ok && reuseport)
				return true;
			continue;
		}
		if (reuseport_ok && reuseport)
			continue;
		return true;
	}
	return false;
}

static void inet_bind_hash(struct sock *sk, unsigned short snum)
{
	struct inet_hashinfo *h = sk->sk_net->tcp_hashinfo;

	sk->sk_num = snum;
	inet_sk(sk)->inet_sport = htons(snum);
	inet_sk(sk)->connect_port = 0;
	if (hlist_unhashed(&sk->sk_bind_node)) {
		hlist_add_head(&sk->sk_bind_node, &h->bhash[snum % INET_BHASH_SIZE]);
		inet_sk(sk)->port_owner = 1;
		h->port_owners++;
	}
}

/*
 * bind(0): searches ip_local_port_range for a port that passes ok(),
 * trying the ports of the parity other than low's first, as the kernel's
 * inet_csk_find_open_port, so that it rarely competes with connect().
 */
static int inet_find_port(struct sock *sk, bool (*ok)(struct sock *sk, unsigned short port))
{
	struct inet_hashinfo *h = sk->sk_net->tcp_hashinfo;
	uint32_t offset = h->port_cursor++ * 2654435761u;
	uint32_t remaining;
	int low, high;

	inet_sk_get_local_port_range(sk, &low, &high);
	if (high < low)
		return -EADDRNOTAVAIL;
	remaining = (uint32_t)(high - low) + 1;
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < remaining; i++) {
			unsigned short port = (unsigned short)(low + (offset + i) % remaining);

			if (((port ^ low) & 1) == (unsigned int)pass)
				continue;
			if (ok(sk, port))
				return port;
		}
	}
	return -EADDRINUSE;
}

bool inet_sk_get_local_port_range(const struct sock *sk, int *low, int *high)
{
	struct netns_sysctl *sc = &sk->sk_net->sysctl;
	uint32_t range = inet_sk(sk)->local_port_range;
	int lo = sc->ip_local_port_range[0], hi = sc->ip_local_port_range[1];
	int sk_lo = (int)(range & 0xffff), sk_hi = (int)(range >> 16);

	/* Every search starts here: the port sysctls as the namespace has them now. */
	if (sc->refresh_ports) {
		sc->refresh_ports(sc, false);
		lo = sc->ip_local_port_range[0];
		hi = sc->ip_local_port_range[1];
	}
	if (range) {
		if (lo <= sk_lo && sk_lo <= hi)
			lo = sk_lo;
		if (lo <= sk_hi && sk_hi <= hi)
			hi = sk_hi;
	}
	*low = lo;
	*high = hi;
	return range != 0;
}

bool inet_is_local_reserved_port(const struct net *net, unsigned short port)
{
	return net->sysctl.ip_local_reserved_ports[port / 64] >> (port % 64) & 1;
}

static bool bind_port_ok(struct sock *sk, unsigned short port)
{
	return !inet_is_local_reserved_port(sk->sk_net, port) &&
	       !inet_csk_bind_conflict(sk, port, false);
}

/*
 * __inet_check_established: the 4-tuple of sk with local port lport is
 * free, or held by a connection in TIME_WAIT that sk may take over
 * (tcp_twsk_unique; searched: lport came from the ephemeral search), which
 * then ends at once.
 */
static bool inet_check_established(struct sock *sk, unsigned short lport, bool searched)
{
	struct sock *sk2 = __inet_lookup_established(sk->sk_net, sk->sk_daddr, sk->sk_dport,
						     sk->sk_rcv_saddr, htons(lport));

	if (!sk2)
		return true;
	if (sk2->sk_state != TCP_TIME_WAIT || !tcp_twsk_unique(sk, sk2, searched))
		return false;
	tcp_done(sk2);
	return true;
}

/*
 * __inet_hash_connect's test of one port: free, or held only by sockets
 * that connect() bound (a bind() makes the kernel's bucket fastreuse >= 0,
 * never shared) and then the 4-tuple not yet taken (check_established).
 * ip_local_reserved_ports are skipped.
 */
static bool connect_port_ok(struct sock *sk, unsigned short port)
{
	struct inet_hashinfo *h = sk->sk_net->tcp_hashinfo;
	struct sock *sk2;

	if (inet_is_local_reserved_port(sk->sk_net, port))
		return false;
	hlist_for_each_entry (sk2, &h->bhash[port % INET_BHASH_SIZE], sk_bind_node) {
		if (sk2->sk_num == port && !inet_sk(sk2)->connect_port)
			return false;
	}
	return inet_check_established(sk, port, true);
}

int inet_csk_get_port(struct sock *sk, unsigned short snum)
{
	int port;

	if (!snum) {
		port = inet_find_port(sk, bind_port_ok);
		if (port < 0)
			return -EADDRINUSE;
		snum = (unsigned short)port;
	} else if (inet_csk_bind_conflict(sk, snum, true)) {
		return -EADDRINUSE;
	}
	inet_bind_hash(sk, snum);
	return 0;
}

/*
 * __inet_put_port: the port goes back and inet_num with it, so a socket
 * left in TCP_CLOSE (a failed connect, a listener shut down) may bind()
 * again and takes a new port at its next connect() or listen(); inet_sport
 * stays, and getsockname() still names the old port, as the kernel's.
 */
void inet_put_port(struct sock *sk)
{
	if (!hlist_unhashed(&sk->sk_bind_node) && inet_sk(sk)->port_owner) {
		inet_sk(sk)->port_owner = 0;
		sk->sk_net->tcp_hashinfo->port_owners--;
	}
	hlist_del_init(&sk->sk_bind_node);
	sk->sk_num = 0;
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

/* get_random_u32_below(n) of the perturbation step, from the stack's own xorshift. */
static uint32_t inet_perturb_random(struct inet_hashinfo *h, uint32_t n)
{
	h->perturb_rnd ^= h->perturb_rnd << 13;
	h->perturb_rnd ^= h->perturb_rnd >> 7;
	h->perturb_rnd ^= h->perturb_rnd << 17;
	return (uint32_t)((h->perturb_rnd >> 32) * n >> 32);
}

/*
 * __inet_hash_connect: the search starts at an offset of the destination
 * (secure_ipv4_port_ephemeral) plus its table_perturb entry, takes the
 * ports of low's parity first, then the others (with IP_LOCAL_PORT_RANGE:
 * every port in one pass); the entry then moves past the port found (with
 * a little randomness), so the next connection to the same destination
 * starts beyond it.
 */
static int inet_connect_find_port(struct sock *sk)
{
	struct inet_hashinfo *h = sk->sk_net->tcp_hashinfo;
	uint64_t port_offset = inet_mix(h, sk->sk_rcv_saddr, 0, sk->sk_daddr, sk->sk_dport);
	uint32_t *perturb = &h->table_perturb[port_offset & (INET_TABLE_PERTURB_SIZE - 1)];
	uint32_t remaining, offset, port, i, step, low, high;
	int lo, hi;
	bool local_ports = inet_sk_get_local_port_range(sk, &lo, &hi);
	uint32_t stride = local_ports ? 1 : 2;

	low = (uint32_t)lo;
	high = (uint32_t)hi + 1;
	if (high <= low)
		return -EADDRNOTAVAIL;
	remaining = high - low;
	if (!local_ports && remaining > 1)
		remaining &= ~1u;
	offset = (*perturb + (uint32_t)(port_offset >> 32)) % remaining;
	if (!local_ports)
		offset &= ~1u;
	for (;;) {
		port = low + offset;
		for (i = 0; i < remaining; i += stride, port += stride) {
			if (port >= high)
				port -= remaining;
			if (connect_port_ok(sk, (unsigned short)port))
				goto found;
		}
		offset++;
		if (local_ports || !(offset & 1) || remaining <= 1)
			return -EADDRNOTAVAIL;
	}
found:
	step = inet_perturb_random(h, 8) * 2;
	*perturb += (i > step ? i : step) + 2;
	return (int)port;
}

int inet_hash_connect(struct sock *sk)
{
	int port;

	if (!sk->sk_num) {
		port = inet_connect_find_port(sk);
		if (port < 0)
			return port;
		inet_bind_hash(sk, (unsigned short)port);
		inet_sk(sk)->connect_port = 1;
	} else if (!inet_check_established(sk, sk->sk_num, false)) {
		return -EADDRNOTAVAIL;
	}
	return inet_ehash_insert(sk);
}

uint32_t inet_connect_ports_spare(const struct net *net)
{
	const struct netns_sysctl *sc = &net->sysctl;
	int lo = sc->ip_local_port_range[0], hi = sc->ip_local_port_range[1];
	uint32_t ports, taken = net->tcp_hashinfo->port_owners;

	if (hi < lo || lo < 0 || hi > 65535)
		return 0;
	ports = (uint32_t)(hi - lo) + 1;
	/* The search takes an even count of them (inet_connect_find_port). */
	if (ports > 1)
		ports &= ~1u;
	/* The reserved ones in the range, a word of the map at a time. */
	for (int w = lo / 64; w <= hi / 64; w++) {
		uint64_t bits = sc->ip_local_reserved_ports[w];

		if (w == lo / 64)
			bits &= ~0ull << (lo % 64);
		if (w == hi / 64 && hi % 64 != 63)
			bits &= (1ull << (hi % 64 + 1)) - 1;
		taken += (uint32_t)__builtin_popcountll(bits);
	}
	return ports > taken ? ports - taken : 0;
}
