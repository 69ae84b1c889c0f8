// SPDX-License-Identifier: MIT
/*
 * The socket layer's front door, as in net/socket.c: the table of protocol
 * families (net_families[], sock_register), sys_socket's flag check and
 * __sock_create, which validates family and type, asks the family to build
 * the socket and undoes everything on failure. Every step reports itself
 * through sock_create_trace so that the interposer's trace shows the path.
 *
 * What this is not: there are no file descriptors here. The caller (the
 * interposer or the stack host) owns the fd and applies SOCK_NONBLOCK and
 * SOCK_CLOEXEC to it; there is no LSM hook and no module reference counting
 * (a loaded plugin is never unloaded, so there is nothing to count).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "inet.h"
#include "net.h"
#include "net_namespace.h"

static const struct net_proto_family *net_families[NPROTO];

void (*sock_create_trace)(const char *step);

void sock_trace_step(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (!sock_create_trace)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sock_create_trace(buf);
}

const char *sock_family_name(int family)
{
	static const char *const names[NPROTO] = {
		[AF_UNSPEC] = "AF_UNSPEC", [AF_UNIX] = "AF_UNIX",   [AF_INET] = "AF_INET",
		[AF_AX25] = "AF_AX25",	   [AF_IPX] = "AF_IPX",	    [AF_APPLETALK] = "AF_APPLETALK",
		[AF_INET6] = "AF_INET6",   [AF_KEY] = "AF_KEY",	    [AF_NETLINK] = "AF_NETLINK",
		[AF_PACKET] = "AF_PACKET", [AF_RDS] = "AF_RDS",	    [AF_LLC] = "AF_LLC",
		[AF_CAN] = "AF_CAN",	   [AF_TIPC] = "AF_TIPC",   [AF_BLUETOOTH] = "AF_BLUETOOTH",
		[AF_ALG] = "AF_ALG",	   [AF_VSOCK] = "AF_VSOCK", [AF_XDP] = "AF_XDP",
	};
	static __thread char other[16];

	if (family >= 0 && family < NPROTO && names[family])
		return names[family];
	snprintf(other, sizeof(other), "AF_%d", family);
	return other;
}

bool ns_capable(const struct net *net, int cap)
{
	const struct cred *cred = net->current_cred;

	return !cred || (cred->cap_eff & (1ull << cap));
}

/* Returns 0, -ENOBUFS for a family out of range, -EEXIST if taken. */
int sock_register(const struct net_proto_family *ops)
{
	if (ops->family < 0 || ops->family >= NPROTO)
		return -ENOBUFS;
	if (net_families[ops->family])
		return -EEXIST;
	net_families[ops->family] = ops;
	return 0;
}

void sock_unregister(int family)
{
	if (family >= 0 && family < NPROTO)
		net_families[family] = NULL;
}

int sock_check_type_flags(int type, int *sock_type, int *flags)
{
	int f = type & ~SOCK_TYPE_MASK;

	/* The flags share the word with the type; anything else is a typo. */
	if (f & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) {
		sock_trace_step("flags %#x: unknown bits %#x -> EINVAL", f,
				f & ~(SOCK_CLOEXEC | SOCK_NONBLOCK));
		return -EINVAL;
	}
	*sock_type = type & SOCK_TYPE_MASK;
	/* SOCK_NONBLOCK is O_NONBLOCK on every architecture Linux runs this ABI on. */
	*flags = (f & SOCK_CLOEXEC ? O_CLOEXEC : 0) | (f & SOCK_NONBLOCK ? O_NONBLOCK : 0);
	sock_trace_step("flags ok%s%s", f & SOCK_NONBLOCK ? " SOCK_NONBLOCK" : "",
			f & SOCK_CLOEXEC ? " SOCK_CLOEXEC" : "");
	return 0;
}

static struct socket *sock_alloc(void)
{
	return calloc(1, sizeof(struct socket));
}

void sock_release(struct socket *sock)
{
	if (!sock)
		return;
	if (sock->ops && sock->ops->release)
		sock->ops->release(sock);
	sock->ops = NULL;
	free(sock);
}

int __sock_create(struct net *net, int family, int type, int protocol, struct socket **res,
		  int kern)
{
	const struct net_proto_family *pf;
	struct socket *sock;
	int err;

	/* Check protocol is in range */
	if (family < 0 || family >= NPROTO) {
		sock_trace_step("family %d out of range -> EAFNOSUPPORT", family);
		return -EAFNOSUPPORT;
	}
	if (type < 0 || type >= SOCK_MAX) {
		sock_trace_step("type %d out of range -> EINVAL", type);
		return -EINVAL;
	}

	/*
	 * Compatibility: socket(PF_INET, SOCK_PACKET, ...) predates PF_PACKET
	 * and still means a packet socket; the kernel says so once.
	 */
	if (family == PF_INET && type == SOCK_PACKET) {
		static bool warned;

		if (!warned) {
			warned = true;
			fprintf(stderr, "sockshim: uses obsolete (PF_INET,SOCK_PACKET)\n");
		}
		sock_trace_step("obsolete (PF_INET,SOCK_PACKET) -> PF_PACKET");
		family = PF_PACKET;
	}

	sock = sock_alloc();
	if (!sock)
		return -ENFILE; /* Not exactly a match, but its the closest posix thing */
	sock->type = (short)type;

	if (!net_families[family])
		request_module("net-pf-%d", family);

	pf = net_families[family];
	err = -EAFNOSUPPORT;
	if (!pf) {
		sock_trace_step("family %s not registered -> EAFNOSUPPORT",
				sock_family_name(family));
		goto out_release;
	}
	sock_trace_step("family %s", sock_family_name(family));

	err = pf->create(net, sock, protocol, kern);
	if (err < 0) {
		sock->ops = NULL;
		goto out_release;
	}
	*res = sock;
	return 0;

out_release:
	sock_release(sock);
	return err;
}

int sock_create_cred(struct net *net, int family, int type, int protocol, const struct cred *cred,
		     struct socket **res)
{
	const struct cred *saved = net->current_cred;
	int sock_type, flags, err;

	err = sock_check_type_flags(type, &sock_type, &flags);
	if (err)
		return err;
	net->current_cred = cred;
	err = __sock_create(net, family, sock_type, protocol, res, 0);
	net->current_cred = saved;
	return err;
}
