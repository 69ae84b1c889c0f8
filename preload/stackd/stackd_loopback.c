/* SPDX-License-Identifier: MIT */
/*
 * Loopback across the boundary, the Onload rule (README "Loopback"):
 * traffic between stack sockets stays in the stack, and a socket the stack
 * cannot serve is the kernel's. A TCP or UDP connect() to 127.0.0.0/8 on a
 * port no stack socket has would be refused here although a kernel service
 * may well listen there, so the host does not connect it: it answers
 * SHIM_CONNECT_KERNEL with what the interposer needs to make the same
 * socket in the kernel (shim_ctl.h), and forgets the socket when the
 * application's pair end goes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "inet.h"
#include "inet_hashtables.h"
#include "shim_ctl.h"
#include "stackd.h"
#include "stackd_loopback.h"
#include "udp.h"

static bool stackd_is_loopback(uint32_t addr)
{
	return (ntohl(addr) >> 24) == IN_LOOPBACKNET;
}

/* Whether a stack socket would take what sk sends to daddr:dport (network order). */
static bool stackd_stack_has_port(struct sock *sk, uint32_t daddr, uint16_t dport)
{
	uint32_t saddr = sk->sk_rcv_saddr ? sk->sk_rcv_saddr : htonl(INADDR_LOOPBACK);

	if (sk->sk_protocol == IPPROTO_TCP)
		return __inet_lookup_listener(&stackd.net, daddr, dport) != NULL;
	return udp4_lib_lookup(&stackd.net, sk->sk_protocol == IPPROTO_UDPLITE, saddr,
			       htons(sk->sk_num), daddr, dport) != NULL;
}

int stackd_loopback_handoff(struct stackd_sock *ss, const struct sockaddr_in *to, int len,
			    struct shim_rep *rep)
{
	struct sock *sk = ss->sock->sk;
	struct shim_handoff *h = &rep->handoff;
	struct sockaddr_in name = {0};
	char ip[INET_ADDRSTRLEN];
	int r;

	if (len < (int)sizeof(*to) || to->sin_family != AF_INET ||
	    !stackd_is_loopback(to->sin_addr.s_addr))
		return 0;
	if (sk->sk_protocol != IPPROTO_TCP && sk->sk_protocol != IPPROTO_UDP &&
	    sk->sk_protocol != IPPROTO_UDPLITE)
		return 0; /* raw and ping sockets have no port to look for */
	/* Bound to the stack's own address: only the stack can send from it. */
	if (sk->sk_rcv_saddr && !stackd_is_loopback(sk->sk_rcv_saddr))
		return 0;
	if (sk->sk_protocol == IPPROTO_TCP && sk->sk_state != TCP_CLOSE)
		return 0; /* connecting or connected: the stack's own answer (EALREADY, EISCONN) */
	if (stackd_stack_has_port(sk, to->sin_addr.s_addr, to->sin_port))
		return 0;

	r = ss->sock->ops->getname(ss->sock, (struct sockaddr *)&name, 0);
	if (r < 0)
		return r;
	memset(h, 0, sizeof(*h));
	h->bound.addrlen = sizeof(name);
	h->bound.addr = name;
	h->type = ss->sock->type;
	h->protocol = sk->sk_protocol;
	if (sk->sk_userlocks & SOCK_BINDADDR_LOCK)
		h->locks |= SHIM_HANDOFF_ADDR;
	if (sk->sk_userlocks & SOCK_BINDPORT_LOCK)
		h->locks |= SHIM_HANDOFF_PORT;
	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		h->locks |= SHIM_HANDOFF_SNDBUF;
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		h->locks |= SHIM_HANDOFF_RCVBUF;
	inet_ntop(AF_INET, &to->sin_addr, ip, sizeof(ip));
	snprintf(rep->note, sizeof(rep->note), "no stack socket on %s:%u", ip, ntohs(to->sin_port));
	stackd_trace("id %u: connect to %s:%u handed to the kernel", ss->id, ip,
		     ntohs(to->sin_port));
	return SHIM_CONNECT_KERNEL;
}
