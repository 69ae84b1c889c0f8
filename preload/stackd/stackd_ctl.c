/* SPDX-License-Identifier: MIT */
/*
 * The stack host's control side: the abstract SOCK_SEQPACKET listener at
 * shim_ctl_name(), one connection per interposing process, and one handler
 * per shim_op (preload/common/shim_ctl.h). Every request goes through the one
 * decoder (stackd_decode.c) first; a request about a socket must carry the
 * caller's fd for it (stackd_own.c). Each request runs with the credentials
 * of the process that sent it, as of now (SCM_CREDENTIALS, then
 * /proc/PID/status for the ops that check privileges), in
 * net->current_cred, so privilege checks in core see the caller as the
 * kernel's `current`.
 *
 * A process may have more than one connection (a signal handler's call
 * made while its thread is in one, preload/shim/shim_ctl.c): a request
 * proves its socket with the socket's fd, whatever connection it came on.
 *
 * What it does not do: move data. Data flows through each socket's AF_UNIX
 * pair (stackd_sock.c); here the pair is only made and handed over.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arp.h"
#include "inet.h"
#include "ip.h"
#include "net_namespace.h"
#include "shim_ctl.h"
#include "stackd.h"
#include "stackd_decode.h"
#include "stackd_loopback.h"
#include "tcp.h"
#include "udp.h"

#define STACKD_CONN_BATCH 32 /* requests handled per connection per wake-up */

int stackd_ctl_open(struct stackd *sd)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	socklen_t len;
	int fd, r;

	r = shim_ctl_name(sun.sun_path + 1, sizeof(sun.sun_path) - 1, sd->cfg.netns, sd->cfg.iface,
			  sd->cfg.addr_str);
	if (r < 0 || (size_t)r >= sizeof(sun.sun_path) - 1)
		return -ENAMETOOLONG;
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)r);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Accepted connections inherit it (unix_sock_inherit_flags): every request has
	 * its sender's pid, uid and gid. */
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, len) < 0 || listen(fd, SOMAXCONN) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

void stackd_conn_close(struct stackd_conn *c)
{
	struct stackd *sd = c->sd;

	stackd_trace(sd, "pid %d: control connection closed", c->pid);
	stackd_epoll_del(sd, c->fd);
	close(c->fd);
	list_del_init(&c->node);
	sd->nconns--;
	stackd_user_conn_del(sd, c->uid);
	free(c);
}

/*
 * A host started by root serves everyone in the namespace, as the kernel's
 * stack does; one started by a user serves only that user (and root, whose
 * interposer refuses it anyway). Anyone can reach the abstract name.
 */
static bool stackd_client_allowed(uid_t uid)
{
	uid_t self = geteuid();

	return self == 0 || uid == self || uid == 0;
}

/*
 * Out of fds (our own user's sockets are not budgeted): a level-triggered
 * listener would wake us at once, for ever. It rests a while instead; the
 * connections wait in its backlog as in any server's at its limit.
 */
#define STACKD_CTL_REST_NS (100 * NSEC_PER_MSEC)

static void stackd_ctl_rest_end(struct timer_list *t)
{
	struct stackd *sd = container_of(t, struct stackd, ctl_retry);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &sd->ctl_ep};

	epoll_ctl(sd->epfd, EPOLL_CTL_MOD, sd->ctl_fd, &ev);
}

static void stackd_ctl_rest(struct stackd *sd)
{
	struct epoll_event ev = {.events = 0, .data.ptr = &sd->ctl_ep};

	epoll_ctl(sd->epfd, EPOLL_CTL_MOD, sd->ctl_fd, &ev);
	mod_timer(&sd->timers, &sd->ctl_retry, stackd_time(sd) + STACKD_CTL_REST_NS);
}

void stackd_ctl_init(struct stackd *sd)
{
	timer_setup(&sd->ctl_retry, stackd_ctl_rest_end);
}

void stackd_ctl_accept(struct stackd *sd)
{
	for (;;) {
		struct ucred cred;
		socklen_t clen = sizeof(cred);
		struct stackd_conn *c;
		int fd = accept4(sd->ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != ECONNABORTED && errno != EINTR)
				stackd_error(sd, "accept4: %s", strerror(errno));
			if (errno == ECONNABORTED || errno == EINTR)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				stackd_ctl_rest(sd);
			return;
		}
		c = calloc(1, sizeof(*c));
		if (!c || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
			stackd_error(sd, "control connection: %s",
				     c ? strerror(errno) : "out of memory");
			free(c);
			close(fd);
			continue;
		}
		if (!stackd_client_allowed(cred.uid)) {
			stackd_trace(sd, "pid %d (uid %u): refused, this host serves uid %u",
				     cred.pid, cred.uid, geteuid());
			free(c);
			close(fd);
			continue;
		}
		if (stackd_user_conn_add(sd, cred.uid) < 0) {
			stackd_trace(sd, "pid %d (uid %u): refused, its user is at its budget",
				     cred.pid, cred.uid);
			free(c);
			close(fd);
			continue;
		}
		c->ep.kind = STACKD_EP_CONN;
		c->sd = sd;
		c->fd = fd;
		c->pid = cred.pid;
		c->uid = cred.uid;
		c->gid = cred.gid;
		if (stackd_epoll_add(sd, fd, EPOLLIN, &c->ep) < 0) {
			stackd_error(sd, "epoll: %s", strerror(errno));
			stackd_user_conn_del(sd, cred.uid);
			free(c);
			close(fd);
			continue;
		}
		list_add_tail(&c->node, &sd->conns);
		sd->nconns++;
		sd->served = true;
		stackd_trace(sd, "pid %d (uid %u): control connection", c->pid, c->uid);
	}
}

/* The address length as the socket layer sees it (the decoder bounded it). */
static int stackd_addrlen(const struct shim_addr *a)
{
	/* Only a sockaddr_in travels; longer lengths mean the same to AF_INET. */
	if (a->addrlen > sizeof(a->addr))
		return sizeof(a->addr);
	return (int)a->addrlen;
}

static const char *stackd_fmt_addr(const struct sockaddr_in *sin, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, ntohs(sin->sin_port));
	return buf;
}

static int stackd_op_create(struct stackd_conn *c, const struct shim_req *req, uid_t uid,
			    struct shim_rep *rep, int *fd_out)
{
	struct stackd *sd = c->sd;
	int type = req->create.type, protocol = req->create.protocol;
	struct socket *sock = NULL;
	struct stackd_sock *ss;
	char name[sizeof(((struct sockaddr_un *)0)->sun_path) - 1];
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	bool stream;
	int sv[2], r;

	/*
	 * The interposer already ran the creation path with the caller's
	 * credentials (and got its errno). It runs again here with the same
	 * credentials as the host sees them (SO_PEERCRED, capabilities bounded
	 * by the process's real ones): the host may run as root and anyone in
	 * the namespace can reach it, so its checks (CAP_NET_RAW,
	 * ping_group_range) must not rest on the client's word.
	 */
	r = sock_create_cred(&sd->net, AF_INET, type, protocol, sd->net.current_cred, &sock);
	if (r < 0) {
		snprintf(rep->note, sizeof(rep->note), "create type %d proto %d: %s", type,
			 protocol, strerror(-r));
		return r;
	}
	stream = sock->type == SOCK_STREAM;
	/*
	 * Datagram sockets get a SOCK_SEQPACKET pair: datagrams keep their
	 * bounds as on SOCK_DGRAM, and either side's last close wakes the other
	 * (EPOLLHUP here, EOF there), which SOCK_DGRAM never does.
	 */
	if (socketpair(AF_UNIX, (stream ? SOCK_STREAM : SOCK_SEQPACKET) | SOCK_CLOEXEC, 0, sv) <
	    0) {
		r = -errno;
		goto out_release;
	}
	if (fcntl(sv[1], F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		goto out_close;
	}
	ss = stackd_sock_new(sd, sock, sv[1], stream);
	if (!ss) {
		r = -ENOMEM;
		goto out_close;
	}
	/* The application proves ownership with this very socket (stackd_own.c). */
	r = stackd_skid_get(sv[0], &ss->app);
	if (!r)
		r = stackd_user_charge(ss, uid, false);
	if (r < 0) {
		snprintf(rep->note, sizeof(rep->note), "uid %u: %s", uid, strerror(-r));
		close(sv[0]);
		stackd_sock_free(ss);
		return r;
	}
	/*
	 * The application's end carries its identity across fork, exec and
	 * SCM_RIGHTS, and a datagram pair's cookies (shim_ctl.h): the name's
	 * nonce, and the tx cookie in an option only its holders read.
	 */
	shim_sock_name(name, sizeof(name), 'a', sd->pid, ss->id, ss->nonce);
	memcpy(sun.sun_path + 1, name, strlen(name));
	if ((!stream && (stackd_nonce(sd, &ss->tx_cookie) < 0 ||
			 setsockopt(sv[0], SOL_SOCKET, SHIM_PAIR_TX_COOKIE, &ss->tx_cookie,
				    sizeof(ss->tx_cookie)) < 0)) ||
	    bind(sv[0], (struct sockaddr *)&sun,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name))) < 0) {
		r = errno ? -errno : -EIO;
		close(sv[0]);
		stackd_sock_free(ss); /* closes sv[1], releases sock */
		return r;
	}
	rep->hdr.id = ss->id;
	rep->create.ids_first = stackd_ids_reserve(c);
	rep->create.ids_count = SHIM_ADOPT_IDS;
	if (!stream) {
		shim_cookie_put(rep->create.tx_cookie, ss->tx_cookie);
		shim_cookie_put(rep->create.rx_cookie, ss->nonce);
	}
	*fd_out = sv[0];
	snprintf(rep->note, sizeof(rep->note), "id %u: %s, %s pair", ss->id,
		 sock->sk->sk_prot->name, stream ? "stream" : "datagram");
	return 0;

out_close:
	close(sv[0]);
	close(sv[1]);
out_release:
	sock_release(sock);
	snprintf(rep->note, sizeof(rep->note), "pair: %s", strerror(-r));
	return r;
}

/*
 * A socket() the interposer answered itself (SHIM_OP_ADOPT): the pair is
 * the application's, its end already named; what stackd_op_create does
 * besides is done here, with the id reserved for the connection. Only for
 * the host's own user, whom no budget limits, so nothing here refuses what
 * the kernel would have made; a request that fails anyway (out of memory,
 * a broken client) closes our end, and the application's sees the hang-up.
 */
static int stackd_op_adopt(struct stackd_conn *c, const struct shim_req *req, int app_fd,
			   int *host_fd, uid_t uid, struct shim_rep *rep)
{
	struct stackd *sd = c->sd;
	uint32_t id = req->hdr.id;
	struct socket *sock = NULL;
	struct stackd_sock *ss;
	int r;

	/* Ids go in order; one skipped (its name was taken) stays unused. */
	if (uid != sd->euid || id < c->ids_next || id >= c->ids_end || *host_fd < 0 ||
	    stackd_sock_find(sd, id)) {
		snprintf(rep->note, sizeof(rep->note), "id %u: not one reserved for uid %u", id,
			 uid);
		return -EPROTO;
	}
	c->ids_next = id + 1;
	r = sock_create_cred(&sd->net, AF_INET, req->adopt.type, req->adopt.protocol,
			     sd->net.current_cred, &sock);
	if (r < 0)
		return r;
	if (fcntl(*host_fd, F_SETFL, O_NONBLOCK) < 0) {
		sock_release(sock);
		return -errno;
	}
	ss = stackd_sock_new_as(sd, sock, *host_fd, sock->type == SOCK_STREAM, id,
				(uint64_t)req->adopt.nonce_hi << 32 | req->adopt.nonce_lo);
	if (!ss) {
		sock_release(sock);
		return -ENOMEM;
	}
	*host_fd = -1; /* the record's now */
	ss->tx_cookie = shim_cookie_get(req->adopt.tx_cookie);
	r = stackd_skid_get(app_fd, &ss->app);
	if (!r)
		r = stackd_user_charge(ss, uid, false);
	if (r < 0) {
		stackd_sock_free(ss);
		return r;
	}
	snprintf(rep->note, sizeof(rep->note), "id %u: %s, %s pair, adopted", id,
		 sock->sk->sk_prot->name, ss->stream ? "stream" : "datagram");
	return 0;
}

static int stackd_op_getname(struct stackd_sock *ss, int peer, struct shim_rep *rep)
{
	struct sockaddr_in sin = {0};
	int r;

	r = ss->sock->ops->getname(ss->sock, (struct sockaddr *)&sin, peer);
	if (r < 0)
		return r;
	rep->name.addr = sin;
	/* Like kernel 5.x+: getname returns the length. */
	rep->name.addrlen = r > 0 ? (uint32_t)r : sizeof(sin);
	return 0;
}

static void stackd_note_name(struct stackd_sock *ss, const char *what, struct shim_rep *rep)
{
	struct shim_rep tmp;
	char buf[48];

	if (stackd_op_getname(ss, 0, &tmp) < 0)
		return;
	snprintf(rep->note, sizeof(rep->note), "%s %s", what,
		 stackd_fmt_addr(&tmp.name.addr, buf, sizeof(buf)));
}

/*
 * A port the caller wants (bind) or a port search (connect) found none free:
 * one may belong to a socket the application has just closed without our
 * knowing yet (a listener's close makes no event, a pair's may wait in this
 * epoll round). Looks, so that the caller can try again; NULL if ss went too.
 */
static struct stackd_sock *stackd_reap_for_port(struct stackd_sock *ss)
{
	struct stackd *sd = ss->sd;
	const struct cred *cred = sd->net.current_cred;
	uint32_t id = ss->id;

	stackd_reap_closed(sd, true, 0);
	stackd_reap_hungup(sd);
	stackd_scan_unix(sd);
	/* Releasing sockets ran the stack as the host itself: the caller's request goes on. */
	stackd_enter(sd, cred);
	ss = stackd_sock_find(sd, id);
	return ss && ss->sock ? ss : NULL;
}

static int stackd_op_bind(struct stackd_sock *ss, const struct shim_req *req, struct shim_rep *rep)
{
	const struct sockaddr *addr = (const struct sockaddr *)&req->bind.addr;
	int len = stackd_addrlen(&req->bind);
	int r;

	r = ss->sock->ops->bind(ss->sock, addr, len);
	if (r == -EADDRINUSE) {
		ss = stackd_reap_for_port(ss);
		if (!ss)
			return -EBADF;
		r = ss->sock->ops->bind(ss->sock, addr, len);
	}
	if (!r)
		stackd_note_name(ss, "bound", rep);
	return r;
}

/*
 * sendmsg(MSG_FASTOPEN) on a socket that connect() (or accept) made:
 * tcp_sendmsg_fastopen's connect, which says EALREADY while connecting,
 * EISCONN once connected, and 0 the first time after a non-blocking
 * connect completed; after TCP_FASTOPEN_CONNECT's connect the data, which
 * follows through the pair, sends the SYN.
 */
static int stackd_fastopen_again(struct stackd_sock *ss, struct sockaddr_in *sin, int len)
{
	struct sock *sk = ss->sock->sk;
	size_t copied;

	if (!ss->stream)
		return -EOPNOTSUPP;
	if (inet_sk(sk)->defer_connect && (sock_net(sk)->sysctl.tcp_fastopen & TFO_CLIENT_ENABLE))
		return 0;
	/* No msg_name: __inet_stream_connect gets none either. */
	return tcp_connect_fastopen(ss->sock, len ? (struct sockaddr *)sin : NULL, len, NULL, 0,
				    &copied);
}

/* CONNECT, or FASTOPEN: a connect whose SYN may carry the data that came with it. */
static int stackd_op_connect(struct stackd_sock *ss, const struct shim_req *req,
			     struct shim_rep *rep, int *fd_out)
{
	struct sockaddr_in sin = req->connect.to.addr;
	int len = stackd_addrlen(&req->connect.to);
	bool fastopen = req->hdr.op == SHIM_OP_FASTOPEN;
	size_t copied = 0;
	char buf[48];
	int r;

	if (req->connect.flags & SHIM_CONNECT_UNSPEC)
		sin.sin_family = AF_UNSPEC;
	if (fastopen && (req->connect.flags & SHIM_CONNECT_AGAIN))
		return stackd_fastopen_again(ss, &sin, len);
	r = stackd_loopback_handoff(ss, &sin, len, rep);
	if (r)
		return r;
	/* Its pair went with the last connection: a new one first, then the connect. */
	if (ss->stream && ss->zombie && !(req->connect.flags & SHIM_CONNECT_UNSPEC) &&
	    ss->sock->state == SS_UNCONNECTED && ss->sock->sk->sk_state == TCP_CLOSE) {
		r = stackd_sock_renew_pair(ss, fd_out);
		if (r)
			return r;
		snprintf(rep->note, sizeof(rep->note), "new pair");
		return SHIM_CONNECT_NEWPAIR;
	}
	if (ss->stream && req->connect.filler > 0) {
		/* Read away at ESTABLISHED so that the application's end turns writable then. */
		ss->filler += req->connect.filler;
		ss->connecting = true;
		ss->connect_wait = req->connect.flags & SHIM_CONNECT_WAIT;
	}
	if (fastopen && ss->stream)
		r = tcp_connect_fastopen(ss->sock, (struct sockaddr *)&sin, len, req->fastopen.data,
					 req->fastopen.len, &copied);
	else if (fastopen)
		r = -EOPNOTSUPP; /* MSG_FASTOPEN is TCP's (the interposer sends only streams) */
	else
		r = ss->sock->ops->connect(ss->sock, (struct sockaddr *)&sin, len, O_NONBLOCK);
	/* No ephemeral port free (__inet_hash_connect): as for bind, look and try again. */
	if (r == -EADDRNOTAVAIL && ss->stream && !fastopen) {
		ss = stackd_reap_for_port(ss);
		if (!ss)
			return -EBADF;
		r = ss->sock->ops->connect(ss->sock, (struct sockaddr *)&sin, len, O_NONBLOCK);
	}
	rep->fastopen.copied = (uint32_t)copied;
	/*
	 * The interposer answered EINPROGRESS (SHIM_CONNECT_NOREPLY) and its
	 * filler is in the pair: an error here is the connection's outcome, as
	 * a refused handshake's (the pair hangs up, SO_ERROR tells it). Not
	 * for a socket another process connects meanwhile (not TCP_CLOSE).
	 */
	if ((req->connect.flags & SHIM_CONNECT_NOREPLY) && r && r != -EINPROGRESS &&
	    ss->sock->sk->sk_state == TCP_CLOSE) {
		ss->sock->sk->sk_err = -r;
		stackd_trace(ss->sd, "id %u: connect failed after the interposer's EINPROGRESS: %s",
			     ss->id, strerror(-r));
	}
	/* Holders that took it for never connected look again (shim_stream_known). */
	if (ss->stream && !(req->connect.flags & SHIM_CONNECT_UNSPEC) &&
	    ss->sock->state != SS_UNCONNECTED)
		stackd_notice_flag(ss, SHIM_NOTICE_CONNECTED, true);
	stackd_sock_queue(ss);
	if (ss->stream && (r == 0 || r == -EINPROGRESS))
		snprintf(rep->note, sizeof(rep->note), "%s to %s, %zu bytes in it",
			 r ? "SYN sent" : "connected", stackd_fmt_addr(&sin, buf, sizeof(buf)),
			 copied);
	else if (!r)
		stackd_note_name(ss, "connected from", rep);
	return r;
}

static int stackd_op_shutdown(struct stackd_sock *ss, int how, struct shim_rep *rep, int *fd_out)
{
	struct sock *sk = ss->sock->sk;
	int r;

	/* A listener shut for reading stops listening (inet_shutdown): a new pair replaces it. */
	if (ss->listening && (how == SHUT_RD || how == SHUT_RDWR)) {
		r = ss->sock->ops->shutdown(ss->sock, how);
		if (r || sk->sk_state == TCP_LISTEN)
			return r;
		r = stackd_listener_stop(ss, fd_out);
		snprintf(rep->note, sizeof(rep->note), "no longer listening%s",
			 r ? "" : ", new pair");
		return r;
	}

	/* The interposer shuts the pair down the same way next (shim_socket.c). */
	if (ss->stream && how >= SHUT_RD && how <= SHUT_RDWR)
		ss->app_shut = true;
	/*
	 * A stream's FIN must follow the bytes the application wrote before
	 * shutdown(), which may still sit in the pair: the SHUT_WR part waits
	 * for the pair to drain. The kernel answers 0 for a connected socket.
	 * In repair mode the pair is not the send queue (stackd_repair.c): the
	 * FIN is queued now, and "sent" as the data before it.
	 */
	if (ss->stream && ss->fd >= 0 && (how == SHUT_WR || how == SHUT_RDWR) &&
	    (sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_CLOSE_WAIT) &&
	    !stackd_stream_repairing(ss)) {
		r = 0;
		if (how == SHUT_RDWR)
			r = ss->sock->ops->shutdown(ss->sock, SHUT_RD);
		if (!r)
			stackd_sock_shutdown_wr(ss);
		snprintf(rep->note, sizeof(rep->note), "FIN after the pair drains");
		return r;
	}
	r = ss->sock->ops->shutdown(ss->sock, how);
	/* inet_shutdown shuts it even when it answers ENOTCONN, and wakes its readers. */
	if (!ss->stream && (how == SHUT_RD || how == SHUT_RDWR) && (r == 0 || r == -ENOTCONN))
		stackd_dgram_wake(ss);
	stackd_sock_queue(ss);
	return r;
}

/*
 * SHIM_SO_DGRAM_SIZE: udp_sendmsg's MTU check ahead of the datagram, which
 * the interposer has not written into the pair yet; the datagrams already
 * there went first (stackd_dgram_sync), so a corked one is as it will be.
 */
static int stackd_dgram_size(struct stackd_sock *ss, const struct shim_sockopt *o,
			     struct shim_rep *rep)
{
	struct sock *sk = ss->sock->sk;
	struct shim_dgram_size_rep r = {.floor = ip_mtu_floor(sock_net(sk))};
	struct shim_dgram_size d;
	uint32_t daddr;
	int err = 0;

	if (o->optlen != sizeof(d) || ss->stream ||
	    (sk->sk_protocol != IPPROTO_UDP && sk->sk_protocol != IPPROTO_UDPLITE))
		return -EINVAL;
	memcpy(&d, o->optval, sizeof(d));
	daddr = d.to.sin_family ? d.to.sin_addr.s_addr : sk->sk_daddr;
	/* A corked datagram keeps its destination; the send's bytes join it. */
	if (udp_corked(sk))
		err = udp_cork_check(sk, d.len);
	/* Unconnected and no address: the send itself says EDESTADDRREQ. */
	else if (daddr && (d.to.sin_family || sk->sk_state == TCP_ESTABLISHED))
		err = udp_size_check(sk, daddr, d.len, d.gso_size);
	r.errq = !skb_queue_empty(&sk->sk_error_queue);
	/*
	 * EMSGSIZE's entry (ip_local_error): the reply tells the program, and
	 * the word says ERR now; a void report into the pair wakes whoever
	 * sleeps on the socket, as sk_error_report does (the interposer marked
	 * the socket SHIM_F_NOTICED before it asked, so its readiness drops
	 * the report rather than say IN).
	 */
	if (r.errq)
		stackd_notice_errq_wake(ss, true);
	memcpy(rep->sockopt.optval, &r, sizeof(r));
	rep->sockopt.optlen = sizeof(r);
	return err;
}

/* SHIM_SO_DGRAM_ROUTE: the route udp_sendmsg, raw_sendmsg or ping_v4_sendmsg looks up. */
static int stackd_dgram_route(struct stackd_sock *ss, const struct shim_sockopt *o)
{
	struct sock *sk = ss->sock->sk;
	struct shim_dgram_route d;
	struct ipcm_cookie ipc;
	uint32_t saddr = inet_sk(sk)->inet_saddr, nexthop;

	if (o->optlen != sizeof(d) || ss->stream)
		return -EINVAL;
	memcpy(&d, o->optval, sizeof(d));
	ipcm_init(&ipc);
	ipc.oif = d.oif;
	ipc.addr = d.spec_dst;
	return ip_route_output_sk(sk, &ipc, d.daddr, &saddr, &nexthop);
}

/*
 * The socket's send queue as the program's getsockopt sees it: the kernel's
 * holds what the stack's write queue has not taken yet (stackd_stream_unqueued),
 * all of it unsent (tcp_get_info's tcpi_notsent_bytes, write_seq - snd_nxt)
 * and charged (sk_get_meminfo's SK_MEMINFO_WMEM_QUEUED; the stack charges
 * payload bytes, core/sock_mem.c). Nothing else TCP_INFO or SO_MEMINFO
 * tells moves with it: what is in flight, the windows and the chronograph
 * are the stack's alone.
 */
static void stackd_sndq_unqueued(const struct stackd_sock *ss, const struct shim_sockopt *o,
				 void *val, int len)
{
	size_t field;
	uint32_t v;

	if (o->level == SOL_TCP && o->optname == TCP_INFO)
		field = offsetof(struct tcp_info, tcpi_notsent_bytes);
	else if (o->level == SOL_SOCKET && o->optname == SO_MEMINFO)
		field = 5 * sizeof(uint32_t); /* SK_MEMINFO_WMEM_QUEUED (<linux/sock_diag.h>
					       * names SOCK_DESTROY as the core's net.h does) */
	else
		return;
	if ((size_t)len < field + sizeof(v))
		return;
	memcpy(&v, (char *)val + field, sizeof(v));
	v += (uint32_t)stackd_stream_unqueued(ss);
	memcpy((char *)val + field, &v, sizeof(v));
}

/*
 * SHIM_SO_ARP: the ARP ioctls for the stack's device (arp_ioctl, with the
 * caller's credentials for SIOCSARP and SIOCDARP), the arpreq back.
 */
static int stackd_arp(struct stackd_sock *ss, const struct shim_sockopt *o, struct shim_rep *rep)
{
	struct shim_arp a;
	int r;

	if (o->optlen != sizeof(a))
		return -EINVAL;
	memcpy(&a, o->optval, sizeof(a));
	r = arp_ioctl(sock_net(ss->sock->sk), a.cmd, &a.r, a.fault);
	memcpy(rep->sockopt.optval, &a, sizeof(a));
	rep->sockopt.optlen = sizeof(a);
	return r;
}

static int stackd_op_sockopt(struct stackd_sock *ss, const struct shim_req *req,
			     struct shim_rep *rep, bool set)
{
	const struct shim_sockopt *o = &req->sockopt;
	struct socket *sock = ss->sock;
	int optlen = (int)o->optlen; /* the decoder bounded it by INT_MAX (set) or SHIM_OPT_MAX */
	const void *val = o->optval;
	void *whole = NULL;
	int r;

	if (o->level == SOL_SOCKET && o->optname == SHIM_SO_STREAM_MARK && set)
		return stackd_stream_mark(ss, o, rep);
	if (o->level == SOL_SOCKET && o->optname == SHIM_SO_DGRAM_SIZE && set)
		return stackd_dgram_size(ss, o, rep);
	if (o->level == SOL_SOCKET && o->optname == SHIM_SO_DGRAM_ROUTE && set)
		return stackd_dgram_route(ss, o);
	if (o->level == SOL_SOCKET && o->optname == SHIM_SO_DGRAM_APPEND && set)
		return stackd_dgram_append(ss, o);
	if (o->level == SOL_SOCKET && o->optname == SHIM_SO_ARP && set)
		return stackd_arp(ss, o, rep);
	if (o->level == SOL_SOCKET && o->optname == SHIM_SO_REPAIR_SEND && set)
		return stackd_repair_send(ss, o);
	if (o->level == SOL_SOCKET && o->optname == SHIM_SO_REPAIR_PEEK && !set)
		return stackd_repair_peek(ss, o, rep);
	/*
	 * The pair's datagrams went first (stackd_dgram_sync): their stamps are
	 * queued. The word says so, with no void report: the reply tells the
	 * program, and a report would be a datagram to a socket that may not
	 * drop them (an entry of a failed send's, SHIM_SO_DGRAM_SIZE).
	 */
	if (o->level == SOL_SOCKET && o->optname == SHIM_SO_ERRQ_NOW && set && !ss->stream) {
		stackd_notice_errq_wake(ss, false);
		return !skb_queue_empty(&sock->sk->sk_error_queue);
	}
	if (o->level == SOL_SOCKET && o->optname == SHIM_SO_NOTICE && set) {
		uint32_t seq;

		if (o->optlen != sizeof(seq))
			return -EINVAL;
		memcpy(&seq, o->optval, sizeof(seq));
		return stackd_notice_take(ss, seq);
	}
	if (o->level == SOL_SOCKET && o->optname == SHIM_SO_PAIR_WMEM && !set && ss->stream) {
		int w = stackd_pair_wmem(ss);

		memcpy(rep->sockopt.optval, &w, sizeof(w));
		rep->sockopt.optlen = sizeof(w);
		return 0;
	}
	if (o->level == SOL_SOCKET && o->optname == SHIM_SO_PAIR_TOPUP && !set && ss->stream)
		return stackd_stream_topup(ss, o, rep);
	if (o->level == SOL_SOCKET && o->optname == SHIM_SO_UNCONNECTED && !set) {
		r = ss->stream && sock->state == SS_UNCONNECTED && sock->sk->sk_state == TCP_CLOSE;
		if (r)
			stackd_notice_flag(ss, SHIM_NOTICE_CONNECTED, false);
		return r;
	}
	if (o->level == SOL_SOCKET && o->optname == SHIM_SO_FILTER_PART)
		return set ? stackd_filter_set(ss, o) : stackd_filter_get(ss, o, rep);
	/* A struct sock_fprog points into the caller's memory: never read here. */
	if (o->level == SOL_SOCKET && o->optname == SO_ATTACH_FILTER && set &&
	    o->optlen == sizeof(struct sock_fprog))
		return -EFAULT;
	/* The program's length counts instructions: the interposer asks in parts (above). */
	if (o->level == SOL_SOCKET && o->optname == SO_GET_FILTER && !set)
		return -EOPNOTSUPP;

	if (set) {
		/*
		 * A value longer than a request carries: the options that read
		 * that far (IP_MSFILTER, MCAST_MSFILTER) take up to optmem_max
		 * bytes and see zeros past SHIM_OPT_MAX; beyond optmem_max they
		 * refuse before reading, and every other option reads a fixed size.
		 */
		if (o->optlen > SHIM_OPT_MAX &&
		    o->optlen <= (uint32_t)sock_net(sock->sk)->sysctl.optmem_max) {
			whole = calloc(1, o->optlen);
			if (!whole)
				return -ENOBUFS;
			memcpy(whole, o->optval, SHIM_OPT_MAX);
			val = whole;
		}
		/* As __sys_setsockopt: SOL_SOCKET is the socket layer's, the rest the family's. */
		if (o->level == SOL_SOCKET)
			r = sock_setsockopt(sock, o->level, o->optname, val, (unsigned)optlen);
		else
			r = sock->ops->setsockopt(sock, o->level, o->optname, val,
						  (unsigned)optlen);
		free(whole);
		/* IP_RECVERR off purges the error queue: readiness says so before the reply. */
		if (!ss->stream)
			stackd_notice_errq(ss);
		stackd_sock_queue(ss); /* buffer sizes may have opened room */
		stackd_user_recount(ss);
		return r;
	}
	/* What the kernel reads of the caller's buffer first (IP_MSFILTER's group). */
	memcpy(rep->sockopt.optval, o->optval, shim_req_optbytes(req));
	if (o->level == SOL_SOCKET)
		r = sock_getsockopt(sock, o->level, o->optname, rep->sockopt.optval, &optlen);
	else
		r = sock->ops->getsockopt(sock, o->level, o->optname, rep->sockopt.optval, &optlen);
	if (r >= 0 && ss->stream)
		stackd_sndq_unqueued(ss, o, rep->sockopt.optval, optlen);
	/* TCP_SAVED_SYN's EINVAL comes with the length the headers need. */
	if (r >= 0 || (o->level == SOL_TCP && o->optname == TCP_SAVED_SYN)) {
		rep->sockopt.level = o->level;
		rep->sockopt.optname = o->optname;
		rep->sockopt.optlen = (uint32_t)optlen;
	}
	return r;
}

static int stackd_op_ioctl(struct stackd_sock *ss, const struct shim_req *req, struct shim_rep *rep)
{
	int karg = req->ioctl.arg;
	int r;

	r = ss->sock->ops->ioctl(ss->sock, req->ioctl.cmd, (unsigned long)&karg);
	/*
	 * A stream's send queue is the pair's unread bytes too (shim_pair_wmem):
	 * counted in bytes by our end's SIOCINQ, where the program's SIOCOUTQ
	 * would count its skbs' truesize.
	 */
	if (r >= 0 && ss->stream && (req->ioctl.cmd == SIOCOUTQ || req->ioctl.cmd == SIOCOUTQNSD))
		karg += (int)stackd_stream_unqueued(ss);
	if (r >= 0) {
		rep->ioctl.cmd = req->ioctl.cmd;
		rep->ioctl.arg = karg;
	}
	return r;
}

/*
 * CLOSE comes after the application closed its fd, so it proves nothing:
 * it only says when to look. Pairs learn it from EPOLLHUP; listeners and
 * zombies (whose host end is gone) by asking the kernel whether the
 * application's side still exists, and so do streams in repair mode, which
 * must be gone before the program's next request (the socket that
 * replaces one binds its address and connects its 4-tuple at once).
 */
static void stackd_op_close(struct stackd_sock *ss)
{
	struct stackd *sd = ss->sd;

	/*
	 * Maybe the last earlier pair end, or the current end's last holder
	 * with none left: then the kept copy goes, and a current pair hung up
	 * by it is the socket's last close, handled now (tcp_close sends its
	 * FIN at once), before the program's next request.
	 */
	if (ss->app_keep >= 0) {
		stackd_old_end_event(ss);
		return;
	}
	if (!ss->listening && !ss->zombie && !stackd_stream_repairing(ss))
		return;
	if (stackd_app_held(ss))
		return;
	stackd_trace(sd, "id %u: closed by the application", ss->id);
	stackd_sock_free(ss);
}

/*
 * The counters as text: the stack's (snmp_format) and the host's own. The
 * text is longer than one reply, so arg[0] asks for it from an offset and
 * rep.arg[0] tells its total length.
 */
static int stackd_op_stat(struct stackd *sd, const struct shim_req *req, struct shim_rep *rep)
{
	static char text[SHIM_STAT_MAX];
	int n, off = (int)req->stat.offset;

	n = snmp_format(&sd->net, text, sizeof(text));
	if (n < 0)
		return n;
	if (n >= (int)sizeof(text))
		n = (int)sizeof(text) - 1;
	n += snprintf(text + n, sizeof(text) - (size_t)n,
		      "Stackd: Sockets=%u LiveSocks=%ld Conns=%u BareNoDest=%llu Errors=%llu\n",
		      sd->nsocks, sd->live_sk, sd->nconns, (unsigned long long)sd->bare_nodest,
		      (unsigned long long)sd->errors);
	if (n >= (int)sizeof(text))
		n = (int)sizeof(text) - 1;
	if (off < 0 || off > n)
		return -EINVAL;
	rep->stat.total = (uint32_t)n;
	rep->stat.len = (uint32_t)(n - off < SHIM_OPT_MAX ? n - off : SHIM_OPT_MAX);
	memcpy(rep->stat.text, text + off, rep->stat.len);
	return 0;
}

/*
 * The application's connect() already took SS_CONNECTING's 0 if the pair
 * carries SHIM_PAIR_CONNECTED (shim_ctl.h): __inet_stream_connect's
 * SS_CONNECTED, before this request sees the state. Read while the socket
 * is SS_CONNECTING and at a disconnect (connect AF_UNSPEC), which clears
 * it, so that the next connect starts unmarked whoever went SS_CONNECTED
 * first (a blocking connect's wait, stackd_sock.c, goes by itself).
 */
static void stackd_pair_connected(struct stackd_sock *ss, int app_fd)
{
	int prio = 0;

	if (getsockopt(app_fd, SOL_SOCKET, SO_PRIORITY, &prio, &(socklen_t){sizeof(prio)}) < 0 ||
	    prio != SHIM_PAIR_CONNECTED)
		return;
	if (ss->sock->state == SS_CONNECTING)
		ss->sock->state = SS_CONNECTED;
	setsockopt(app_fd, SOL_SOCKET, SO_PRIORITY, &(int){0}, sizeof(int));
}

static int stackd_conn_request(struct stackd_conn *c);

/*
 * A request about an id another connection reserved and has not adopted
 * yet: its ADOPT waits in that connection, sent before the fd could reach
 * anyone who asks on a connection of their own (a fork child, an exec'd
 * program, an SCM_RIGHTS receiver, a signal handler's call). That
 * connection's requests go first, as they were sent first; the caller's
 * credentials are back after them. NULL if the id is still unknown.
 */
static struct stackd_sock *stackd_adopt_waiting(struct stackd_conn *c, uint32_t id)
{
	struct stackd *sd = c->sd;
	const struct cred *cred = sd->net.current_cred;
	struct stackd_sock *ss = NULL;
	struct stackd_conn *o;

	if (sd->adopt_waiting)
		return NULL;
	list_for_each_entry (o, &sd->conns, node) {
		if (o == c || id < o->ids_next || id >= o->ids_end)
			continue;
		sd->adopt_waiting = true;
		for (int i = 0; i < STACKD_CONN_BATCH && !ss; i++) {
			if (stackd_conn_request(o) <= 0)
				break;
			ss = stackd_sock_find(sd, id);
		}
		sd->adopt_waiting = false;
		break;
	}
	stackd_enter(sd, cred);
	return ss;
}

/*
 * Runs one decoded request; returns the reply's ret. sock_fd is the fd that
 * came with it (SCM_RIGHTS, -1 if none), *fd2 a second one (an ADOPT's host
 * end, -1 once taken), uid its sender's real uid (whose budget a new socket
 * counts against); *fd_out is a descriptor to pass back.
 */
static int stackd_handle(struct stackd_conn *c, const struct shim_req *req, int sock_fd, int *fd2,
			 uid_t uid, struct shim_rep *rep, int *fd_out)
{
	struct stackd *sd = c->sd;
	struct stackd_sock *ss = NULL;
	bool owned;
	int r;

	switch (req->hdr.op) {
	case SHIM_OP_HELLO:
		/* The decoder checked that the client's range holds ours. */
		rep->hello.version = SHIM_CTL_VERSION;
		rep->hello.host_pid = sd->pid;
		rep->hello.gateway = sd->cfg.gateway;
		rep->hello.prefix = (uint32_t)sd->cfg.prefix;
		c->hello = true;
		return 0;
	case SHIM_OP_CREATE:
		return stackd_op_create(c, req, uid, rep, fd_out);
	case SHIM_OP_ADOPT:
		/* No reply tells the application: its pair's hang-up will. */
		r = stackd_op_adopt(c, req, sock_fd, fd2, uid, rep);
		if (r < 0)
			stackd_error(sd, "pid %d: ADOPT id %u: %s", c->pid, req->hdr.id,
				     strerror(-r));
		return r;
	case SHIM_OP_STAT:
		return stackd_op_stat(sd, req, rep);
	default:
		break;
	}

	ss = stackd_sock_find(sd, req->hdr.id);
	if (!ss)
		ss = stackd_adopt_waiting(c, req->hdr.id);
	/* Asked once: an fstat and a getsockopt per request. */
	owned = ss && ss->sock && stackd_sock_owned_by(ss, sock_fd);
	if (!owned && stackd_fd_host_gone(sock_fd)) {
		/* Its host died (kill -9): the connection is gone, as after a reset. */
		snprintf(rep->note, sizeof(rep->note), "socket of a stack host no longer running");
		return -ECONNRESET;
	}
	if (!ss || !ss->sock) {
		snprintf(rep->note, sizeof(rep->note), "no socket %u", req->hdr.id);
		return -EBADF;
	}
	if (req->hdr.op == SHIM_OP_CLOSE) {
		stackd_op_close(ss);
		return 0;
	}
	/* As the kernel: only a process holding the socket's fd can act on it. */
	if (!owned) {
		snprintf(rep->note, sizeof(rep->note), "pid %d does not hold socket %u", c->pid,
			 ss->id);
		return -EBADF;
	}
	/* The reply must not tell of what the pair does not show yet. */
	if (!stackd_stream_settle(ss))
		return -EBADF;

	if (ss->stream &&
	    (ss->sock->state == SS_CONNECTING ||
	     (req->hdr.op == SHIM_OP_CONNECT && (req->connect.flags & SHIM_CONNECT_UNSPEC))))
		stackd_pair_connected(ss, sock_fd);

	switch (req->hdr.op) {
	case SHIM_OP_BIND:
	case SHIM_OP_CONNECT:
	case SHIM_OP_FASTOPEN:
	case SHIM_OP_SHUTDOWN:
	case SHIM_OP_SETSOCKOPT:
	case SHIM_OP_ERRQUEUE: /* MSG_ZEROCOPY completions and transmit stamps are queued when sent
				*/
		stackd_dgram_sync(ss);
		/* A stream mark counts what the pair holds itself (stackd_stream_mark). */
		if (req->hdr.op == SHIM_OP_SETSOCKOPT && req->sockopt.level == SOL_SOCKET &&
		    req->sockopt.optname == SHIM_SO_STREAM_MARK)
			break;
		if (!stackd_stream_sync(ss))
			return -EBADF; /* the application closed it meanwhile */
		break;
	case SHIM_OP_IOCTL:
		/*
		 * SIOCOUTQ(NSD) of a stream: the kernel's send queue took the
		 * written bytes at write time, so the pair's go to ours, as far
		 * as the send buffer takes them, before we answer (the
		 * interposer adds what stays in the pair). The room this frees
		 * in the pair then wakes its writer before the answer, not at a
		 * time of the pump's choosing.
		 */
		if ((req->ioctl.cmd == SIOCOUTQ || req->ioctl.cmd == SIOCOUTQNSD) &&
		    !stackd_stream_sync(ss))
			return -EBADF;
		break;
	case SHIM_OP_GETSOCKOPT:
		/*
		 * TCP_INFO and SO_MEMINFO likewise: the written bytes are sent
		 * as far as the windows let them, and what is in flight,
		 * unsent or charged is the kernel's split at this moment.
		 */
		if (((req->sockopt.level == SOL_TCP && req->sockopt.optname == TCP_INFO) ||
		     (req->sockopt.level == SOL_SOCKET && req->sockopt.optname == SO_MEMINFO)) &&
		    (!stackd_stream_sync(ss) || !stackd_stream_owner_sync(ss)))
			return -EBADF;
		break;
	}
	if (req->hdr.op == SHIM_OP_GETSOCKOPT && req->sockopt.level == SOL_SOCKET &&
	    req->sockopt.optname == SHIM_SO_NOTICE)
		return stackd_notice_share(sd, fd_out);
	if (req->hdr.op == SHIM_OP_GETSOCKOPT && req->sockopt.level == SOL_SOCKET &&
	    req->sockopt.optname == SHIM_SO_PAIR)
		return stackd_pair_share(ss, fd_out);
	if (req->hdr.op == SHIM_OP_GETSOCKOPT && req->sockopt.level == SOL_SOCKET &&
	    req->sockopt.optname == SHIM_SO_ERRQ_WAKE)
		return stackd_errq_wake_share(ss, fd_out);
	if (req->hdr.op == SHIM_OP_GETSOCKOPT && req->sockopt.level == SOL_SOCKET &&
	    req->sockopt.optname == SHIM_SO_SKSTATE)
		return stackd_skstate_share(ss, rep, fd_out);
	switch (req->hdr.op) {
	case SHIM_OP_BIND:
		return stackd_op_bind(ss, req, rep);
	case SHIM_OP_LISTEN:
		r = stackd_sock_listen(ss, req->listen.backlog, fd_out);
		if (!r && *fd_out >= 0) {
			struct sockaddr_un sun;

			stackd_listener_name(ss, &sun);
			snprintf(rep->note, sizeof(rep->note), "listener %s", sun.sun_path + 1);
			stackd_loopback_listen(ss, req->listen.backlog, rep);
		}
		return r;
	case SHIM_OP_CONNECT:
	case SHIM_OP_FASTOPEN:
		return stackd_op_connect(ss, req, rep, fd_out);
	case SHIM_OP_SHUTDOWN:
		return stackd_op_shutdown(ss, req->shutdown.how, rep, fd_out);
	case SHIM_OP_GETNAME:
		return stackd_op_getname(ss, (int)req->getname.peer, rep);
	case SHIM_OP_SETSOCKOPT:
		return stackd_op_sockopt(ss, req, rep, true);
	case SHIM_OP_GETSOCKOPT:
		return stackd_op_sockopt(ss, req, rep, false);
	case SHIM_OP_IOCTL:
		return stackd_op_ioctl(ss, req, rep);
	case SHIM_OP_GETERR:
		return sock_error(ss->sock->sk);
	case SHIM_OP_READERR:
		if (ss->stream && sock_flag(ss->sock->sk, SOCK_DONE))
			return 1;
		return sock_error(ss->sock->sk);
	case SHIM_OP_ERRQUEUE:
		if (ss->stream && (req->errqueue.flags & MSG_OOB))
			return stackd_stream_recv_urg(ss, &req->errqueue, &rep->errqueue);
		/* tcp_recvmsg reads the error queue too (MSG_ZEROCOPY completions). */
		return stackd_dgram_errqueue(ss, &req->errqueue, &rep->errqueue);
	}
	/* The decoder lets no other op through. */
	return -EOPNOTSUPP;
}

static int stackd_reply(struct stackd_conn *c, const struct shim_rep *rep, int fd)
{
	struct iovec iov = {.iov_base = (void *)rep, .iov_len = sizeof(*rep)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	union shim_fd_cmsg u;

	shim_msg_put_fd(&msg, &u, fd);
	if (sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}

static const char *const stackd_op_names[] = {
	[SHIM_OP_HELLO] = "HELLO",
	[SHIM_OP_CREATE] = "CREATE",
	[SHIM_OP_BIND] = "BIND",
	[SHIM_OP_LISTEN] = "LISTEN",
	[SHIM_OP_CONNECT] = "CONNECT",
	[SHIM_OP_SHUTDOWN] = "SHUTDOWN",
	[SHIM_OP_GETNAME] = "GETNAME",
	[SHIM_OP_SETSOCKOPT] = "SETSOCKOPT",
	[SHIM_OP_GETSOCKOPT] = "GETSOCKOPT",
	[SHIM_OP_IOCTL] = "IOCTL",
	[SHIM_OP_GETERR] = "GETERR",
	[SHIM_OP_CLOSE] = "CLOSE",
	[SHIM_OP_STAT] = "STAT",
	[SHIM_OP_ERRQUEUE] = "ERRQUEUE",
	[SHIM_OP_FASTOPEN] = "FASTOPEN",
	[SHIM_OP_READERR] = "READERR",
	[SHIM_OP_ADOPT] = "ADOPT",
};

static const char *stackd_op_name(uint32_t op)
{
	if (op < sizeof(stackd_op_names) / sizeof(stackd_op_names[0]) && stackd_op_names[op])
		return stackd_op_names[op];
	return "?";
}

/* What came with a request: at most two fds, and the sender's credentials. */
struct stackd_anc {
	int fd, fd2;
	bool have_cred;
	struct ucred cred;
};

static void stackd_anc_parse(struct msghdr *msg, struct stackd_anc *anc)
{
	struct cmsghdr *cm;

	anc->fd = anc->fd2 = -1;
	anc->have_cred = false;
	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET)
			continue;
		if (cm->cmsg_type == SCM_CREDENTIALS &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			memcpy(&anc->cred, CMSG_DATA(cm), sizeof(anc->cred));
			anc->have_cred = true;
		} else if (cm->cmsg_type == SCM_RIGHTS) {
			size_t nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			/* Two are used (ADOPT's); any more are the sender's mistake and are
			 * closed. */
			for (size_t i = 0; i < nfd; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
				if (anc->fd < 0)
					anc->fd = fd;
				else if (anc->fd2 < 0)
					anc->fd2 = fd;
				else
					close(fd);
			}
		}
	}
}

/*
 * The credentials a request runs with: the sender's uid and gid from
 * SCM_CREDENTIALS; for the ops that check privileges (creating raw and ping
 * sockets, binding low ports, options), its effective ids, groups and
 * capabilities read now, so that what the process is at this request counts
 * (an exec of a setuid program since connect() lends nothing to the others
 * holding the connection).
 */
static void stackd_request_cred(const struct shim_req *req, const struct ucred *u,
				struct cred *cred)
{
	*cred = (struct cred){.uid = u->uid, .gid = u->gid};
	switch (req->hdr.op) {
	case SHIM_OP_CREATE:
		if (shim_create_unprivileged(req->create.type, req->create.protocol))
			break;
		/* fall through */
	case SHIM_OP_BIND:
	case SHIM_OP_SETSOCKOPT:
		if (stackd_proc_cred(u->pid, u->uid, cred) < 0)
			*cred = (struct cred){.uid = u->uid, .gid = u->gid};
		break;
	}
}

/* Returns 1 after a request, 0 when none is waiting, -1 if the connection was closed. */
static int stackd_conn_request(struct stackd_conn *c)
{
	struct stackd *sd = c->sd;
	/*
	 * One byte more than the longest request, so that a longer one shows.
	 * On the stack: a request may wait for another connection's
	 * (stackd_adopt_waiting).
	 */
	union {
		struct shim_hdr hdr;
		uint8_t raw[sizeof(struct shim_req) + 1];
	} in;
	struct shim_req req;
	struct shim_rep rep;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(2 * sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
	} u;
	struct iovec iov = {.iov_base = in.raw, .iov_len = sizeof(in.raw)};
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct shim_decode d;
	struct stackd_anc anc;
	struct cred cred;
	ssize_t n;
	int fd = -1, ret;

	n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n <= 0) {
		stackd_conn_close(c);
		return -1;
	}
	stackd_anc_parse(&msg, &anc);

	memset(&rep, 0, sizeof(rep));
	ret = shim_req_decode(in.raw, (size_t)n, c->hello, &req, &d);
	if (!ret && !anc.have_cred) {
		d.drop = true;
		d.why = "no credentials";
		ret = -EPROTO;
	} else if (!ret && (msg.msg_flags & MSG_CTRUNC) && shim_op_has_sock(req.hdr.op)) {
		/* The fd it sent did not fit in our table: as accept() would say. */
		ret = -EMFILE;
	}
	if (!ret) {
		stackd_request_cred(&req, &anc.cred, &cred);
		stackd_enter(sd, &cred);
		ret = stackd_handle(c, &req, anc.fd, &anc.fd2, anc.cred.uid, &rep, &fd);
		/* Each port taken, and each new range, is told before the next request. */
		if (req.hdr.op == SHIM_OP_CONNECT || req.hdr.op == SHIM_OP_FASTOPEN ||
		    req.hdr.op == SHIM_OP_BIND || req.hdr.op == SHIM_OP_LISTEN)
			stackd_notice_ports(sd);
		stackd_leave(sd);
	} else if (d.why) {
		snprintf(rep.note, sizeof(rep.note), "%s", d.why);
	}
	if (anc.fd >= 0)
		close(anc.fd);
	if (anc.fd2 >= 0)
		close(anc.fd2);

	stackd_trace(sd, "pid %d: %s id %u -> %d%s%s", anc.have_cred ? anc.cred.pid : c->pid,
		     stackd_op_name(req.hdr.op), req.hdr.id, ret, rep.note[0] ? ": " : "",
		     rep.note);
	if (!d.drop && shim_req_no_reply(&req))
		return 1;
	rep.hdr = (struct shim_hdr){.version = SHIM_CTL_VERSION,
				    .op = (uint16_t)(n >= (ssize_t)sizeof(in.hdr) ? in.hdr.op : 0),
				    .len = sizeof(rep),
				    .id = rep.hdr.id ? rep.hdr.id : req.hdr.id,
				    .ret = ret};
	if (stackd_reply(c, &rep, fd) < 0) {
		stackd_error(sd, "pid %d: reply: %s", c->pid, strerror(errno));
		d.drop = true;
	}
	if (fd >= 0)
		close(fd);
	if (d.drop) {
		stackd_trace(sd, "pid %d: connection dropped: %s", c->pid, d.why ? d.why : "reply");
		stackd_conn_close(c);
		return -1;
	}
	return 1;
}

void stackd_conn_event(struct stackd_conn *c, uint32_t events)
{
	if (events & (EPOLLHUP | EPOLLERR) && !(events & EPOLLIN)) {
		stackd_conn_close(c);
		return;
	}
	/*
	 * If more wait after the batch, or its user had its share of this
	 * round, level-triggered epoll brings us back after the others.
	 */
	for (int i = 0; i < STACKD_CONN_BATCH; i++) {
		if (!stackd_user_turn(c->sd, c->uid) || stackd_conn_request(c) <= 0)
			return;
	}
}
