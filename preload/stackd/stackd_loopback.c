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
 *
 * The server half: a stack TCP listener on INADDR_ANY or 127.x gets a twin
 * listener on the kernel's loopback, and each kernel connection it accepts
 * goes to the application's accept() as the kernel socket it is (over the
 * listener's AF_UNIX name, shim_ctl.h "Kernel loopback").
 */

/* Kernel connections handed over per readiness event, as STACKD_ACCEPT_BUDGET. */
#define STACKD_KACCEPT_BUDGET 64
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "inet.h"
#include "inet_hashtables.h"
#include "loopback_opts.h"
#include "shim_ctl.h"
#include "stackd.h"
#include "stackd_loopback.h"
#include "udp.h"

static bool stackd_is_loopback(uint32_t addr)
{
	return (ntohl(addr) >> 24) == IN_LOOPBACKNET;
}

/* Whether a stack socket would take what sk sends to daddr:dport (network order). */
static bool stackd_stack_has_port(struct net *net, struct sock *sk, uint32_t daddr, uint16_t dport)
{
	uint32_t saddr = sk->sk_rcv_saddr ? sk->sk_rcv_saddr : htonl(INADDR_LOOPBACK);

	/*
	 * A TCP socket connecting to its own name is its own peer (a
	 * simultaneous open with itself): the kernel's lo connects it, so the
	 * stack does, where the socket is.
	 */
	if (sk->sk_protocol == IPPROTO_TCP && sk->sk_num && saddr == daddr &&
	    dport == htons(sk->sk_num))
		return true;
	if (sk->sk_protocol == IPPROTO_TCP)
		return __inet_lookup_listener(net, saddr, htons(sk->sk_num), daddr, dport) != NULL;
	return udp4_lib_lookup(net, sk->sk_protocol == IPPROTO_UDPLITE, saddr, htons(sk->sk_num),
			       daddr, dport) != NULL;
}

/* What the program set of what a hand-off carries (SHIM_HANDOFF_*). */
static uint32_t stackd_handoff_locks(const struct sock *sk)
{
	uint32_t locks = 0;

	if (sk->sk_userlocks & SOCK_BINDADDR_LOCK)
		locks |= SHIM_HANDOFF_ADDR;
	if (sk->sk_userlocks & SOCK_BINDPORT_LOCK)
		locks |= SHIM_HANDOFF_PORT;
	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		locks |= SHIM_HANDOFF_SNDBUF;
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		locks |= SHIM_HANDOFF_RCVBUF;
	return locks;
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
	/* Raw and ping sockets have no port to look for (a raw one's protocol may be UDP's). */
	if (ss->sock->type == SOCK_RAW ||
	    (sk->sk_protocol != IPPROTO_TCP && sk->sk_protocol != IPPROTO_UDP &&
	     sk->sk_protocol != IPPROTO_UDPLITE))
		return 0;
	/* Bound to the stack's own address: only the stack can send from it. */
	if (sk->sk_rcv_saddr && !stackd_is_loopback(sk->sk_rcv_saddr))
		return 0;
	if (sk->sk_protocol == IPPROTO_TCP && sk->sk_state != TCP_CLOSE)
		return 0; /* connecting or connected: the stack's own answer (EALREADY, EISCONN) */
	if (sk->sk_protocol == IPPROTO_TCP && inet_sk(sk)->was_listener)
		return 0; /* a former listener: the stack's own EINVAL (tcp_v4_connect) */
	if (stackd_stack_has_port(sock_net(sk), sk, to->sin_addr.s_addr, to->sin_port))
		return 0;

	r = ss->sock->ops->getname(ss->sock, (struct sockaddr *)&name, 0);
	if (r < 0)
		return r;
	memset(h, 0, sizeof(*h));
	h->bound.addrlen = sizeof(name);
	h->bound.addr = name;
	h->type = ss->sock->type;
	h->protocol = sk->sk_protocol;
	h->locks = stackd_handoff_locks(sk);
	inet_ntop(AF_INET, &to->sin_addr, ip, sizeof(ip));
	snprintf(rep->note, sizeof(rep->note), "no stack socket on %s:%u", ip, ntohs(to->sin_port));
	stackd_trace(ss->sd, "id %u: connect to %s:%u handed to the kernel", ss->id, ip,
		     ntohs(to->sin_port));
	return SHIM_CONNECT_KERNEL;
}

/* ---- the server half: a stack listener also on the kernel's loopback ---- */

void stackd_loopback_listen(struct stackd_sock *ss, int backlog, struct shim_rep *rep)
{
	struct stackd *sd = ss->sd;
	struct sock *sk = ss->sock->sk;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(sk->sk_num)};
	struct stackd_klisten *kl;
	size_t used = strlen(rep->note);
	char ip[INET_ADDRSTRLEN];
	int fd, one = 1;

	if (ss->kl || sk->sk_protocol != IPPROTO_TCP)
		return;
	/* INADDR_ANY: the kernel's 127.0.0.1 (its other addresses are no stack's). */
	if (!sk->sk_rcv_saddr)
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (stackd_is_loopback(sk->sk_rcv_saddr))
		sin.sin_addr.s_addr = sk->sk_rcv_saddr;
	else
		return;
	inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof(ip));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	/* As the application's own listener would, so that a restart finds the port. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, backlog) < 0)
		goto fail_close;
	kl = calloc(1, sizeof(*kl));
	if (!kl) {
		errno = ENOMEM;
		goto fail_close;
	}
	kl->ep.kind = STACKD_EP_KLISTEN;
	kl->fd = fd;
	kl->id = ss->id;
	if (stackd_epoll_add(sd, fd, EPOLLIN, &kl->ep) < 0) {
		free(kl);
		goto fail_close;
	}
	ss->kl = kl;
	snprintf(rep->note + used, sizeof(rep->note) - used, "; kernel loopback %s:%u", ip,
		 ntohs(sin.sin_port));
	stackd_trace(sd, "id %u: also listening on the kernel's %s:%u", ss->id, ip,
		     ntohs(sin.sin_port));
	return;

fail_close:
	close(fd);
fail:
	/* The stack listener works on; only kernel programs cannot reach it. */
	snprintf(rep->note + used, sizeof(rep->note) - used, "; no kernel loopback %s:%u: %s", ip,
		 ntohs(sin.sin_port), strerror(errno));
}

void stackd_loopback_unlisten(struct stackd_sock *ss)
{
	struct stackd *sd = ss->sd;

	if (!ss->kl)
		return;
	stackd_epoll_del(sd, ss->kl->fd);
	close(ss->kl->fd);
	free(ss->kl);
	ss->kl = NULL;
}

/* What the kernel's accept copies from a listener to its children: the carried options. */
static void stackd_loopback_inherit(struct stackd_sock *ls, int kfd)
{
	struct stackd *sd = ls->sd;
	struct socket *sock = ls->sock;
	uint32_t locks = stackd_handoff_locks(sock->sk);
	uint8_t val[SHIM_OPT_MAX];
	size_t i;

	for (i = 0; i < shim_ncarried; i++) {
		const struct shim_carried *o = &shim_carried[i];
		int len = sizeof(val), r;

		if (o->lock && !(locks & o->lock))
			continue;
		if (o->level == SOL_SOCKET)
			r = sock_getsockopt(sock, o->level, o->optname, val, &len);
		else
			r = sock->ops->getsockopt(sock, o->level, o->optname, val, &len);
		if (r < 0)
			continue;
		shim_carried_value(o, val, (uint32_t)len);
		if (setsockopt(kfd, o->level, o->optname, val, (socklen_t)len) < 0)
			stackd_trace(sd,
				     "id %u: option %d/%d not carried to a kernel connection: %s",
				     ls->id, o->level, o->optname, strerror(errno));
	}
}

/*
 * Gives the kernel socket kfd to listener ls: a connection to its AF_UNIX
 * listener, named so that the interposer knows what comes with it, carrying
 * one byte and kfd. The host keeps nothing: what is queued stays readable
 * after its close.
 */
static int stackd_loopback_hand(struct stackd_sock *ls, int kfd)
{
	struct stackd *sd = ls->sd;
	static uint32_t n;
	char name[sizeof(((struct sockaddr_un *)0)->sun_path) - 1];
	struct sockaddr_un sun = {.sun_family = AF_UNIX}, lsun;
	struct iovec iov = {.iov_base = "k", .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	union shim_fd_cmsg u;
	uint64_t nonce;
	int fd, r = 0;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A fresh nonce: names already bound are public in /proc/net/unix. */
	r = stackd_nonce(sd, &nonce);
	if (r) {
		close(fd);
		return r;
	}
	shim_kconn_name(name, sizeof(name), sd->pid, ++n, nonce);
	memcpy(sun.sun_path + 1, name, strlen(name));
	shim_msg_put_fd(&msg, &u, kfd);
	if (bind(fd, (struct sockaddr *)&sun,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name))) < 0 ||
	    connect(fd, (struct sockaddr *)&lsun, stackd_listener_name(ls, &lsun)) < 0 ||
	    sendmsg(fd, &msg, MSG_NOSIGNAL) != 1)
		r = -errno;
	close(fd);
	return r;
}

void stackd_loopback_accept(struct stackd *sd, struct stackd_klisten *kl)
{
	struct stackd_sock *ls = stackd_sock_find(sd, kl->id);
	struct sockaddr_in peer;
	char ip[INET_ADDRSTRLEN];
	int i, kfd, r;

	for (i = 0; i < STACKD_KACCEPT_BUDGET; i++) {
		socklen_t len = sizeof(peer);

		kfd = accept4(kl->fd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
		if (kfd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				stackd_trace(sd, "kernel loopback listener of %u: accept: %s",
					     kl->id, strerror(errno));
			return;
		}
		inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof(ip));
		/*
		 * The application's backlog full (EAGAIN) or its listener
		 * gone: the kernel client sees its connection closed.
		 */
		r = -ENOTCONN;
		if (ls && ls->listening) {
			stackd_loopback_inherit(ls, kfd);
			r = stackd_loopback_hand(ls, kfd);
		}
		if (r < 0)
			stackd_trace(sd, "id %u: kernel connection from %s:%u dropped: %s", kl->id,
				     ip, ntohs(peer.sin_port), strerror(-r));
		else
			stackd_trace(sd, "id %u: kernel connection from %s:%u handed over", kl->id,
				     ip, ntohs(peer.sin_port));
		close(kfd);
	}
}
