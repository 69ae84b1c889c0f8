/* SPDX-License-Identifier: MIT */
/*
 * The stack host's control side: the abstract SOCK_SEQPACKET listener at
 * shim_ctl_name(), one connection per interposing process, and one handler
 * per shim_op (preload/common/shim_ctl.h). Each request runs with the caller's
 * credentials (SO_PEERCRED uid/gid, shim_req.cap_eff) in net->current_cred,
 * so privilege checks in core see the caller as the kernel's `current`.
 *
 * What it does not do: move data. Data flows through each socket's AF_UNIX
 * pair (stackd_sock.c); here the pair is only made and handed over.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "inet.h"
#include "shim_ctl.h"
#include "stackd.h"

#define STACKD_CONN_BATCH 32 /* requests handled per connection per wake-up */

int stackd_ctl_open(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	socklen_t len;
	int fd, r;

	r = shim_ctl_name(sun.sun_path + 1, sizeof(sun.sun_path) - 1, stackd.cfg.netns,
			  stackd.cfg.iface, stackd.cfg.addr_str);
	if (r < 0 || (size_t)r >= sizeof(sun.sun_path) - 1)
		return -ENAMETOOLONG;
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)r);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, len) < 0 || listen(fd, SOMAXCONN) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static void stackd_conn_close(struct stackd_conn *c)
{
	stackd_trace("pid %d: control connection closed", c->pid);
	stackd_epoll_del(c->fd);
	close(c->fd);
	list_del_init(&c->node);
	stackd.nconns--;
	free(c);
}

/* The peer's supplementary groups as of connect(), as SO_PEERCRED has uid and gid. */
static void stackd_conn_groups(struct stackd_conn *c)
{
	gid_t groups[64];
	socklen_t len = sizeof(groups);

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
		stackd_error("pid %d: SO_PEERGROUPS: %s", c->pid, strerror(errno));
		return;
	}
	for (size_t i = 0; i < len / sizeof(gid_t) && c->ngroups < 32; i++)
		c->groups[c->ngroups++] = groups[i];
}

/*
 * The peer's effective capabilities as of connect(), from /proc/PID/status.
 * The interposer sends its own in every request (they can drop later), but a
 * client could claim anything: the host runs as whoever started it, possibly
 * root, and anyone in the namespace can reach its abstract name. So a request
 * counts only the capabilities its process really had; none if unreadable.
 */
static uint64_t stackd_conn_caps(pid_t pid)
{
	char path[64], line[128];
	unsigned long long caps = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return caps;
}

void stackd_ctl_accept(void)
{
	for (;;) {
		struct ucred cred;
		socklen_t clen = sizeof(cred);
		struct stackd_conn *c;
		int fd = accept4(stackd.ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != ECONNABORTED && errno != EINTR)
				stackd_error("accept4: %s", strerror(errno));
			if (errno == ECONNABORTED || errno == EINTR)
				continue;
			return;
		}
		c = calloc(1, sizeof(*c));
		if (!c || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
			stackd_error("control connection: %s",
				     c ? strerror(errno) : "out of memory");
			free(c);
			close(fd);
			continue;
		}
		c->ep.kind = STACKD_EP_CONN;
		c->fd = fd;
		c->pid = cred.pid;
		c->uid = cred.uid;
		c->gid = cred.gid;
		c->cap_max = stackd_conn_caps(cred.pid);
		stackd_conn_groups(c);
		if (stackd_epoll_add(fd, EPOLLIN, &c->ep) < 0) {
			stackd_error("epoll: %s", strerror(errno));
			free(c);
			close(fd);
			continue;
		}
		list_add_tail(&c->node, &stackd.conns);
		stackd.nconns++;
		stackd_trace("pid %d (uid %u): control connection", c->pid, c->uid);
	}
}

/* The address length as the socket layer sees it: move_addr_to_kernel's bound, then ours. */
static int stackd_addrlen(const struct shim_req *req)
{
	if (req->addrlen > sizeof(struct sockaddr_storage))
		return -EINVAL;
	/* Only a sockaddr_in travels; longer lengths mean the same to AF_INET. */
	if (req->addrlen > sizeof(req->addr))
		return sizeof(req->addr);
	return (int)req->addrlen;
}

static const char *stackd_fmt_addr(const struct sockaddr_in *sin, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, ntohs(sin->sin_port));
	return buf;
}

static int stackd_op_create(const struct shim_req *req, struct shim_rep *rep, int *fd_out)
{
	int type = req->arg[0], protocol = req->arg[1];
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
	r = sock_create_cred(&stackd.net, AF_INET, type, protocol, stackd.net.current_cred, &sock);
	if (r < 0) {
		snprintf(rep->note, sizeof(rep->note), "create type %d proto %d: %s", type,
			 protocol, strerror(-r));
		return r;
	}
	stream = sock->type == SOCK_STREAM;
	if (socketpair(AF_UNIX, (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		goto out_release;
	}
	if (fcntl(sv[1], F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		goto out_close;
	}
	ss = stackd_sock_new(sock, sv[1], stream);
	if (!ss) {
		r = -ENOMEM;
		goto out_close;
	}
	/* The application's end carries its identity across fork, exec and SCM_RIGHTS. */
	shim_app_name(name, sizeof(name), stackd.pid, ss->id);
	memcpy(sun.sun_path + 1, name, strlen(name));
	if (bind(sv[0], (struct sockaddr *)&sun,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name))) < 0) {
		r = -errno;
		close(sv[0]);
		stackd_sock_free(ss); /* closes sv[1], releases sock */
		return r;
	}
	rep->id = ss->id;
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

static int stackd_op_getname(struct stackd_sock *ss, int peer, struct shim_rep *rep)
{
	struct sockaddr_in sin = {0};
	int r;

	r = ss->sock->ops->getname(ss->sock, (struct sockaddr *)&sin, peer);
	if (r < 0)
		return r;
	rep->addr = sin;
	/* Like kernel 5.x+: getname returns the length. */
	rep->addrlen = r > 0 ? (uint32_t)r : sizeof(sin);
	return 0;
}

static void stackd_note_name(struct stackd_sock *ss, const char *what, struct shim_rep *rep)
{
	struct shim_rep tmp;
	char buf[48];

	if (stackd_op_getname(ss, 0, &tmp) < 0)
		return;
	snprintf(rep->note, sizeof(rep->note), "%s %s", what,
		 stackd_fmt_addr(&tmp.addr, buf, sizeof(buf)));
}

static int stackd_op_bind(struct stackd_sock *ss, const struct shim_req *req, struct shim_rep *rep)
{
	uint32_t id = ss->id;
	int len = stackd_addrlen(req);
	int r;

	if (len < 0)
		return len;
	r = ss->sock->ops->bind(ss->sock, (const struct sockaddr *)&req->addr, len);
	if (r == -EADDRINUSE && stackd.nwatched) {
		/*
		 * The port may belong to a socket the application has just
		 * closed without our knowing yet (a datagram pair's or a
		 * listener's close makes no event): look, then try again.
		 */
		stackd_scan_unix();
		ss = stackd_sock_find(id);
		if (!ss || !ss->sock)
			return -EBADF;
		r = ss->sock->ops->bind(ss->sock, (const struct sockaddr *)&req->addr, len);
	}
	if (!r)
		stackd_note_name(ss, "bound", rep);
	return r;
}

static int stackd_op_connect(struct stackd_sock *ss, const struct shim_req *req,
			     struct shim_rep *rep)
{
	struct sockaddr_in sin = req->addr;
	int len = stackd_addrlen(req);
	char buf[48];
	int r;

	if (len < 0)
		return len;
	if (req->arg[1])
		sin.sin_family = AF_UNSPEC;
	if (ss->stream && req->arg[0] > 0) {
		/* Read away at ESTABLISHED so that the application's end turns writable then. */
		ss->filler += (size_t)req->arg[0];
		ss->connecting = true;
	}
	r = ss->sock->ops->connect(ss->sock, (struct sockaddr *)&sin, len, O_NONBLOCK);
	stackd_sock_queue(ss);
	if (ss->stream && (r == 0 || r == -EINPROGRESS))
		snprintf(rep->note, sizeof(rep->note), "%s to %s", r ? "SYN sent" : "connected",
			 stackd_fmt_addr(&sin, buf, sizeof(buf)));
	else if (!r)
		stackd_note_name(ss, "connected from", rep);
	return r;
}

static int stackd_op_shutdown(struct stackd_sock *ss, int how, struct shim_rep *rep)
{
	struct sock *sk = ss->sock->sk;
	int r;

	/* The interposer shuts the pair down the same way next (shim_socket.c). */
	if (ss->stream && how >= SHUT_RD && how <= SHUT_RDWR)
		ss->app_shut = true;
	/*
	 * A stream's FIN must follow the bytes the application wrote before
	 * shutdown(), which may still sit in the pair: the SHUT_WR part waits
	 * for the pair to drain. The kernel answers 0 for a connected socket.
	 */
	if (ss->stream && ss->fd >= 0 && (how == SHUT_WR || how == SHUT_RDWR) &&
	    (sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_CLOSE_WAIT)) {
		r = 0;
		if (how == SHUT_RDWR)
			r = ss->sock->ops->shutdown(ss->sock, SHUT_RD);
		if (!r)
			stackd_sock_shutdown_wr(ss);
		snprintf(rep->note, sizeof(rep->note), "FIN after the pair drains");
		return r;
	}
	r = ss->sock->ops->shutdown(ss->sock, how);
	stackd_sock_queue(ss);
	return r;
}

static int stackd_op_sockopt(struct stackd_sock *ss, const struct shim_req *req,
			     struct shim_rep *rep, bool set)
{
	int level = req->arg[0], optname = req->arg[1];
	struct socket *sock = ss->sock;
	int r;

	if (set) {
		unsigned int optlen = req->optlen > SHIM_OPT_MAX ? SHIM_OPT_MAX : req->optlen;

		/* As __sys_setsockopt: SOL_SOCKET is the socket layer's, the rest the family's. */
		if (level == SOL_SOCKET)
			r = sock_setsockopt(sock, level, optname, req->opt, optlen);
		else
			r = sock->ops->setsockopt(sock, level, optname, req->opt, optlen);
		stackd_sock_queue(ss); /* buffer sizes may have opened room */
		return r;
	}
	int optlen = req->optlen > SHIM_OPT_MAX ? SHIM_OPT_MAX : (int)req->optlen;

	if (level == SOL_SOCKET)
		r = sock_getsockopt(sock, level, optname, rep->opt, &optlen);
	else
		r = sock->ops->getsockopt(sock, level, optname, rep->opt, &optlen);
	if (r >= 0)
		rep->optlen = (uint32_t)optlen;
	return r;
}

static int stackd_op_ioctl(struct stackd_sock *ss, const struct shim_req *req, struct shim_rep *rep)
{
	int karg = 0;
	int r;

	if (req->optlen >= sizeof(karg))
		memcpy(&karg, req->opt, sizeof(karg));
	r = ss->sock->ops->ioctl(ss->sock, (unsigned int)req->arg[0], (unsigned long)&karg);
	if (r >= 0) {
		memcpy(rep->opt, &karg, sizeof(karg));
		rep->optlen = sizeof(karg);
	}
	return r;
}

static void stackd_op_close(struct stackd_sock *ss)
{
	if (ss->zombie) {
		stackd_sock_free(ss);
		return;
	}
	/* Streams learn it from EPOLLHUP; listeners and datagram pairs only by their names. */
	if (ss->listening || !ss->stream)
		stackd_scan_unix();
}

/*
 * The counters as text: the stack's (snmp_format) and the host's own. The
 * text is longer than one reply, so arg[0] asks for it from an offset and
 * rep.arg[0] tells its total length.
 */
static int stackd_op_stat(const struct shim_req *req, struct shim_rep *rep)
{
	static char text[8192];
	int n, off = req->arg[0];

	n = snmp_format(&stackd.net, text, sizeof(text));
	if (n < 0)
		return n;
	if (n >= (int)sizeof(text))
		n = (int)sizeof(text) - 1;
	n += snprintf(text + n, sizeof(text) - (size_t)n,
		      "Stackd: Sockets=%u LiveSocks=%ld Conns=%u Errors=%llu\n", stackd.nsocks,
		      stackd.live_sk, stackd.nconns, (unsigned long long)stackd.errors);
	if (n >= (int)sizeof(text))
		n = (int)sizeof(text) - 1;
	if (off < 0 || off > n)
		return -EINVAL;
	rep->arg[0] = n;
	rep->optlen = (uint32_t)(n - off < SHIM_OPT_MAX ? n - off : SHIM_OPT_MAX);
	memcpy(rep->opt, text + off, rep->optlen);
	return 0;
}

/* Runs one request; returns the reply's ret. *fd_out is a descriptor to pass along. */
static int stackd_handle(struct stackd_conn *c, const struct shim_req *req, struct shim_rep *rep,
			 int *fd_out)
{
	struct stackd_sock *ss = NULL;
	int r;

	switch (req->op) {
	case SHIM_OP_HELLO:
		rep->arg[0] = stackd.pid;
		if (req->arg[0] != SHIM_CTL_VERSION) {
			snprintf(rep->note, sizeof(rep->note), "version %d, host speaks %d",
				 req->arg[0], SHIM_CTL_VERSION);
			return -EPROTONOSUPPORT;
		}
		return 0;
	case SHIM_OP_CREATE:
		return stackd_op_create(req, rep, fd_out);
	case SHIM_OP_STAT:
		return stackd_op_stat(req, rep);
	default:
		break;
	}

	ss = stackd_sock_find(req->id);
	if (!ss || !ss->sock) {
		snprintf(rep->note, sizeof(rep->note), "no socket %u", req->id);
		return -EBADF;
	}
	rep->id = ss->id;

	switch (req->op) {
	case SHIM_OP_BIND:
		return stackd_op_bind(ss, req, rep);
	case SHIM_OP_LISTEN:
		r = stackd_sock_listen(ss, req->arg[0], fd_out);
		if (!r && *fd_out >= 0) {
			char name[sizeof(ss->lname.sun_path)];

			memcpy(name, ss->lname.sun_path + 1, sizeof(name) - 1);
			name[ss->lname_len - offsetof(struct sockaddr_un, sun_path) - 1] = 0;
			snprintf(rep->note, sizeof(rep->note), "listener %s", name);
		}
		return r;
	case SHIM_OP_CONNECT:
		return stackd_op_connect(ss, req, rep);
	case SHIM_OP_SHUTDOWN:
		return stackd_op_shutdown(ss, req->arg[0], rep);
	case SHIM_OP_GETNAME:
		return stackd_op_getname(ss, req->arg[0], rep);
	case SHIM_OP_SETSOCKOPT:
		return stackd_op_sockopt(ss, req, rep, true);
	case SHIM_OP_GETSOCKOPT:
		return stackd_op_sockopt(ss, req, rep, false);
	case SHIM_OP_IOCTL:
		return stackd_op_ioctl(ss, req, rep);
	case SHIM_OP_GETERR:
		return sock_error(ss->sock->sk);
	case SHIM_OP_CLOSE:
		stackd_op_close(ss);
		return 0;
	default:
		snprintf(rep->note, sizeof(rep->note), "unknown op %u from pid %d", req->op,
			 c->pid);
		return -EOPNOTSUPP;
	}
}

static int stackd_reply(struct stackd_conn *c, const struct shim_rep *rep, int fd)
{
	struct iovec iov = {.iov_base = (void *)rep, .iov_len = sizeof(*rep)};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (fd >= 0) {
		struct cmsghdr *cm;

		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
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
};

static const char *stackd_op_name(uint32_t op)
{
	if (op < sizeof(stackd_op_names) / sizeof(stackd_op_names[0]) && stackd_op_names[op])
		return stackd_op_names[op];
	return "?";
}

/* Returns 1 after a request, 0 when none is waiting, -1 if the connection was closed. */
static int stackd_conn_request(struct stackd_conn *c)
{
	static struct shim_req req;
	static struct shim_rep rep;
	struct cred cred;
	ssize_t n;
	int fd = -1;

	n = recv(c->fd, &req, sizeof(req), MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n <= 0) {
		stackd_conn_close(c);
		return -1;
	}
	if ((size_t)n < offsetof(struct shim_req, opt)) {
		stackd_error("pid %d: short request (%zd bytes)", c->pid, n);
		stackd_conn_close(c);
		return -1;
	}
	if (req.optlen > (size_t)n - offsetof(struct shim_req, opt))
		req.optlen = (uint32_t)((size_t)n - offsetof(struct shim_req, opt));

	memset(&rep, 0, sizeof(rep));
	cred = (struct cred){.uid = c->uid,
			     .gid = c->gid,
			     .cap_eff = req.cap_eff & c->cap_max,
			     .ngroups = c->ngroups};
	memcpy(cred.groups, c->groups, sizeof(cred.groups));
	stackd.net.current_cred = &cred;
	stackd_clock();
	rep.ret = stackd_handle(c, &req, &rep, &fd);
	stackd.net.current_cred = NULL;

	stackd_trace("pid %d: %s id %u -> %d%s%s", c->pid, stackd_op_name(req.op), req.id, rep.ret,
		     rep.note[0] ? ": " : "", rep.note);
	if (req.op == SHIM_OP_CLOSE)
		return 1;
	if (stackd_reply(c, &rep, fd) < 0) {
		stackd_error("pid %d: reply: %s", c->pid, strerror(errno));
		if (fd >= 0)
			close(fd);
		stackd_conn_close(c);
		return -1;
	}
	if (fd >= 0)
		close(fd);
	return 1;
}

void stackd_conn_event(struct stackd_conn *c, uint32_t events)
{
	if (events & (EPOLLHUP | EPOLLERR) && !(events & EPOLLIN)) {
		stackd_conn_close(c);
		return;
	}
	/* If more wait after the batch, level-triggered epoll brings us back after the others. */
	for (int i = 0; i < STACKD_CONN_BATCH; i++) {
		if (stackd_conn_request(c) <= 0)
			return;
	}
}
