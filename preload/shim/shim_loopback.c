/* SPDX-License-Identifier: MIT */
/*
 * The client half of the loopback rule (README "Loopback"): when the host
 * answers a connect with SHIM_CONNECT_KERNEL (127.0.0.0/8, no stack socket
 * on that port), the fd becomes a kernel socket of the same type on the
 * same number, with the flags and the options the program set carried
 * over, and the kernel connects it. From then on the fd is not in the
 * table: every call on it is the kernel's, and the host forgets its socket
 * when the pair end goes (dup3 closes it here).
 *
 * The server half (shim_loopback_accepted): accept() on a listener whose
 * twin on the kernel's loopback took a kernel connection returns that
 * kernel socket, which the host sends over the listener (shim_ctl.h).
 *
 * What it does not carry: options the stack keeps but the kernel would
 * refuse are skipped, and other fds that still share the old pair (dup,
 * fork) stay stack sockets that were never connected.
 */
#include "shim_lib.h"
#include "loopback_opts.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "inet.h" /* IP_LOCAL_PORT_RANGE where libc's headers predate it */

/* Copies one option from the stack socket of entry e (on fd) to kfd. */
static void shim_carry_opt(int fd, uint64_t e, int kfd, const struct shim_carried *o,
			   struct shim_call *c)
{
	struct shim_req req = {
		.hdr = {.op = SHIM_OP_GETSOCKOPT, .id = shim_ent_id(e)},
		.sockopt = {.level = o->level, .optname = o->optname, .optlen = SHIM_OPT_MAX}};
	struct shim_rep rep;

	if (shim_ctl_call(&req, &rep, NULL, fd) || rep.hdr.ret < 0)
		return; /* an option the stack does not keep was never set */
	shim_carried_value(o, rep.sockopt.optval, rep.sockopt.optlen);
	if (shim_real.setsockopt(kfd, o->level, o->optname, rep.sockopt.optval,
				 rep.sockopt.optlen) < 0)
		shim_note(c, "option %d/%d not carried: %s", o->level, o->optname,
			  strerrorname_np(errno));
}

/* The timeouts live on the pair (shim_setsockopt): carry them from there. */
static void shim_carry_timeo(int fd, int kfd, int optname)
{
	struct timeval tv;
	socklen_t len = sizeof(tv);

	if (!shim_real.getsockopt(fd, SOL_SOCKET, optname, &tv, &len) && (tv.tv_sec || tv.tv_usec))
		shim_real.setsockopt(kfd, SOL_SOCKET, optname, &tv, len);
}

/*
 * A port the stack chose (bind() to port 0, an autobind) is the socket's as
 * much as one the program named: the kernel's connect() keeps it, and
 * getsockname() said it already. The twin gets it the way the kernel gave
 * it, by a bind to port 0 (no SOCK_BINDPORT_LOCK: a UDP disconnect still
 * lets it go), from a local port range of that one port. False if a kernel
 * socket has it (or the kernel predates IP_LOCAL_PORT_RANGE): the kernel
 * then chooses, as it would have at the bind.
 */
static bool shim_twin_autobind(int kfd, const struct sockaddr_in *local)
{
	struct sockaddr_in any_port = *local;
	uint32_t range = (uint32_t)ntohs(local->sin_port) * 0x10001u;
	bool ok;

	any_port.sin_port = 0;
	if (shim_real.setsockopt(kfd, SOL_IP, IP_LOCAL_PORT_RANGE, &range, sizeof(range)) < 0)
		return false;
	ok = shim_real.bind(kfd, (struct sockaddr *)&any_port, sizeof(any_port)) == 0;
	range = 0; /* the socket's own range is the namespace's again */
	shim_real.setsockopt(kfd, SOL_IP, IP_LOCAL_PORT_RANGE, &range, sizeof(range));
	return ok;
}

/* A kernel socket like the stack's: type, options, local address. */
static int shim_kernel_twin(int fd, uint64_t e, const struct shim_handoff *h, struct shim_call *c)
{
	struct sockaddr_in local = h->bound.addr;
	size_t i;
	int kfd;

	kfd = shim_real.socket(AF_INET, h->type | SOCK_CLOEXEC, h->protocol);
	if (kfd < 0)
		return -errno;
	for (i = 0; i < shim_ncarried; i++) {
		const struct shim_carried *o = &shim_carried[i];

		if ((o->lock && !(h->locks & o->lock)) ||
		    (o->stream_only && h->type != SOCK_STREAM))
			continue;
		shim_carry_opt(fd, e, kfd, o, c);
	}
	shim_carry_timeo(fd, kfd, SO_RCVTIMEO);
	shim_carry_timeo(fd, kfd, SO_SNDTIMEO);
	local.sin_family = AF_INET;
	if (!(h->locks & SHIM_HANDOFF_ADDR))
		local.sin_addr.s_addr = htonl(INADDR_ANY);
	if (local.sin_port && !(h->locks & SHIM_HANDOFF_PORT) && shim_twin_autobind(kfd, &local))
		return kfd;
	if (h->locks & (SHIM_HANDOFF_ADDR | SHIM_HANDOFF_PORT)) {
		if (!(h->locks & SHIM_HANDOFF_PORT))
			local.sin_port = 0;
		if (shim_real.bind(kfd, (struct sockaddr *)&local, sizeof(local)) < 0) {
			int err = -errno;

			shim_real.close(kfd);
			return err;
		}
	}
	return kfd;
}

int shim_loopback_connect(int fd, uint64_t e, const struct shim_req *req,
			  const struct shim_rep *rep, struct shim_call *c)
{
	const struct shim_addr *to = &req->connect.to;
	/* A datagram socket's shutdown() before the connect (ENOTCONN, the bits kept). */
	unsigned int shut = shim_dgram_shut(fd, e);
	int kfd, fl, fdfl, ret;

	c->path = "kernel loopback";
	fl = shim_real.fcntl(fd, F_GETFL);
	fdfl = shim_real.fcntl(fd, F_GETFD);
	if (fl < 0 || fdfl < 0)
		return -errno;
	kfd = shim_kernel_twin(fd, e, &rep->handoff, c);
	if (kfd < 0)
		return kfd;
	/* The same open-file flags (O_NONBLOCK, O_ASYNC) and close-on-exec as the pair end. */
	if (shim_real.fcntl(kfd, F_SETFL, fl) < 0) {
		ret = -errno;
		shim_real.close(kfd);
		return ret;
	}
	/* Out of the table first: no other thread may send the kernel socket to the host. */
	shim_fd_set(fd, 0);
	if (shim_real.dup3(kfd, fd, (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) {
		ret = -errno;
		shim_fd_set(fd, e);
		shim_real.close(kfd);
		return ret;
	}
	shim_real.close(kfd);
	if (req->hdr.op == SHIM_OP_FASTOPEN)
		return SHIM_CONNECT_KERNEL; /* the caller's sendmsg(MSG_FASTOPEN) connects */
	ret = shim_real.connect(fd, (const struct sockaddr *)&to->addr,
				to->addrlen < sizeof(to->addr) ? to->addrlen : sizeof(to->addr));
	if (ret < 0)
		return -errno;
	/*
	 * The twin takes those bits now that it is connected (its shutdown()
	 * answers 0 and sets the same sk_shutdown, nothing sent for UDP).
	 */
	if (shut)
		shim_real.shutdown(fd, (int)shut - 1);
	return ret;
}

/*
 * The server half: nfd is a connection from the host (shim_kconn_name) that
 * carries a kernel socket a kernel client connected to our listener's twin
 * on the kernel's loopback. Returns that socket with accept4's flags, or -1
 * (nothing came: the host died); closes nfd either way.
 */
int shim_loopback_accepted(int nfd, int flags)
{
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union shim_fd_cmsg u;
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct pollfd pfd = {nfd, POLLIN, 0};
	struct cmsghdr *cm;
	int kfd = -1;
	ssize_t n;

	/* The host sends right after its connect; the byte may trail the accept. */
	while (shim_real.poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
	n = shim_real.recvmsg(nfd, &msg, (flags & SOCK_CLOEXEC) ? MSG_CMSG_CLOEXEC : 0);
	cm = n == 1 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&kfd, CMSG_DATA(cm), sizeof(int));
	shim_real.close(nfd);
	if (kfd >= 0 && (flags & SOCK_NONBLOCK))
		shim_real.fcntl(kfd, F_SETFL, shim_real.fcntl(kfd, F_GETFL) | O_NONBLOCK);
	return kfd;
}
