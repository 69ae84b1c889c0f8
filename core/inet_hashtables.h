/* SPDX-License-Identifier: MIT */
/*
 * The TCP lookup tables of one stack (include/net/inet_hashtables.h):
 * established (4-tuple, TIME_WAIT included: a TIME_WAIT connection stays a
 * full tcp_sock here), listening (local port) and bind (local port) hashes,
 * plus port allocation: inet_csk_get_port for bind() and listen(), and
 * inet_hash_connect for connect()'s ephemeral port from ip_local_port_range.
 *
 * What this is not: no bhash2, no per-device binding, no BPF program
 * choosing a SO_REUSEPORT group's member.
 */
#ifndef SOCKSHIM_INET_HASHTABLES_H
#define SOCKSHIM_INET_HASHTABLES_H

#include <stdbool.h>
#include <stdint.h>

#include "list.h"

struct net;
struct sock;

/*
 * Sized for tens of thousands of connections (TIME_WAIT included), short
 * chains for every segment's lookup and every ephemeral port probe; the
 * kernel sizes its own by memory. The heads cost 160 KiB per stack.
 */
#define INET_EHASH_SIZE 16384u /* power of two */
#define INET_LHASH_SIZE 64u
#define INET_BHASH_SIZE 4096u
/* Where connect()'s search for a destination starts moves on (table_perturb). */
#define INET_TABLE_PERTURB_SIZE 256u /* power of two */

struct inet_hashinfo {
	struct hlist_head ehash[INET_EHASH_SIZE]; /* sk_node, by 4-tuple */
	struct hlist_head lhash[INET_LHASH_SIZE]; /* sk_node, by local port */
	struct hlist_head bhash[INET_BHASH_SIZE]; /* sk_bind_node, by local port */
	uint32_t hash_rnd;
	uint32_t port_cursor; /* where the next bind(0) search starts */
	uint32_t table_perturb[INET_TABLE_PERTURB_SIZE];
	uint64_t perturb_rnd; /* xorshift state for the perturbation's random step */
	/* Sockets holding a local port of their own (bind, connect; not accepted ones). */
	uint32_t port_owners;
};

int inet_hashinfo_init(struct net *net);
void inet_hashinfo_exit(struct net *net);

/* Established lookup; raddr/rport: the peer, laddr/lport: us; ports network order. */
struct sock *__inet_lookup_established(struct net *net, uint32_t raddr, uint16_t rport,
				       uint32_t laddr, uint16_t lport);
/*
 * Listener lookup: an exact address beats INADDR_ANY; a SO_REUSEPORT group
 * gives the member the peer saddr:sport hashes to. Ports network order.
 */
struct sock *__inet_lookup_listener(struct net *net, uint32_t saddr, uint16_t sport, uint32_t laddr,
				    uint16_t lport);

/*
 * Takes local port snum (host order) for sk, or an ephemeral one when snum
 * is 0; returns 0 or -EADDRINUSE, as the kernel's inet_csk_get_port.
 */
int inet_csk_get_port(struct sock *sk, unsigned short snum);
/* Leaves the bind hash (the port is free again unless shared). */
void inet_put_port(struct sock *sk);
/* The accepted child shares its listener's port. */
void inet_inherit_port(struct sock *parent, struct sock *child);
/* Listening hash (prot->hash) and removal from whichever hash sk_node is on. */
int inet_hash(struct sock *sk);
void inet_unhash(struct sock *sk);
/*
 * The ephemeral range of sk (inet_sk_get_local_port_range): the
 * namespace's, narrowed by IP_LOCAL_PORT_RANGE's bounds that fall inside
 * it; true when the socket set one.
 */
bool inet_sk_get_local_port_range(const struct sock *sk, int *low, int *high);
/* net.ipv4.ip_local_reserved_ports: no ephemeral port (bind(0), connect(), UDP) is one. */
bool inet_is_local_reserved_port(const struct net *net, unsigned short port);
/* Established hash; returns -EADDRNOTAVAIL when the 4-tuple is taken. */
int inet_ehash_insert(struct sock *sk);
/*
 * connect(): picks an ephemeral port when sk has none (the kernel's
 * __inet_hash_connect: one port serves many destinations, the 4-tuple is
 * unique) and enters the established hash; -EADDRNOTAVAIL when none is left.
 */
int inet_hash_connect(struct sock *sk);
/*
 * How many ports a connect()'s ephemeral search would find free at least,
 * whatever the destination: every port it can take but for one per socket
 * that holds a port of its own (a bind()'s blocks it, a connection to the
 * same destination its 4-tuple) and the reserved ones. With the range as
 * the last search read it.
 */
uint32_t inet_connect_ports_spare(const struct net *net);

#endif
