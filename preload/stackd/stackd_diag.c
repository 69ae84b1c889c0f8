/* SPDX-License-Identifier: MIT */
/*
 * sock_diag (NETLINK_SOCK_DIAG) for one AF_UNIX socket: does it still exist,
 * which socket is its peer, which connections wait in a listener's queue,
 * is its send buffer full?
 * Apart from stackd_own.c because <linux/sock_diag.h> and the core's
 * <net.h> both name SOCK_DESTROY.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "stackd_diag.h"

/* The reply's length when the socket exists (a in *a), 0 when it does not, -errno if unknown. */
static int stackd_diag_unix_get(int *fd, uint32_t ino, uint64_t cookie, uint32_t show,
				union stackd_diag_reply *a)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} q = {
		.nlh = {.nlmsg_len = sizeof(q),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST},
		.req = {.sdiag_family = AF_UNIX, .udiag_ino = ino, .udiag_show = show},
	};
	struct sockaddr_nl nl = {.nl_family = AF_NETLINK};
	ssize_t n;

	memcpy(q.req.udiag_cookie, &cookie, sizeof(q.req.udiag_cookie));
	if (*fd < 0) {
		*fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
		if (*fd < 0)
			return -errno;
	}
	if (sendto(*fd, &q, sizeof(q), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0)
		return -errno;
	n = recv(*fd, a, sizeof(*a), 0);
	if (n < (ssize_t)sizeof(struct nlmsghdr))
		return n < 0 ? -errno : -EPROTO;
	if (a->nlh.nlmsg_type == SOCK_DIAG_BY_FAMILY &&
	    n >= (ssize_t)NLMSG_LENGTH(sizeof(struct unix_diag_msg)))
		return (int)n;
	if (a->nlh.nlmsg_type == NLMSG_ERROR && n >= (ssize_t)NLMSG_LENGTH(sizeof(int))) {
		int err = *(int *)NLMSG_DATA(&a->nlh);

		if (err == -ENOENT || err == -ESTALE)
			return 0;
		return err ? err : -EPROTO;
	}
	return -EPROTO;
}

int stackd_diag_unix_alive(int *fd, uint32_t ino, uint64_t cookie)
{
	union stackd_diag_reply a;
	int n = stackd_diag_unix_get(fd, ino, cookie, 0, &a);

	return n > 0 ? 1 : n;
}

/* The attribute type of the reply a of n bytes, or NULL. */
static const struct rtattr *stackd_diag_attr(const union stackd_diag_reply *a, int n,
					     unsigned short type)
{
	const struct unix_diag_msg *m = NLMSG_DATA(&a->nlh);
	const struct rtattr *rta = (const struct rtattr *)(m + 1);
	int len = n - (int)NLMSG_LENGTH(sizeof(*m));

	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == type)
			return rta;
	return NULL;
}

int stackd_diag_unix_peer(int *fd, uint32_t ino, uint64_t cookie, uint32_t *peer_ino)
{
	union stackd_diag_reply a;
	const struct rtattr *rta;
	int n = stackd_diag_unix_get(fd, ino, cookie, UDIAG_SHOW_PEER, &a);

	*peer_ino = 0;
	if (n <= 0)
		return n;
	rta = stackd_diag_attr(&a, n, UNIX_DIAG_PEER);
	if (rta && RTA_PAYLOAD(rta) >= sizeof(*peer_ino))
		memcpy(peer_ino, RTA_DATA(rta), sizeof(*peer_ino));
	return 1;
}

int stackd_diag_unix_cookie(int *fd, uint32_t ino, uint64_t *cookie)
{
	union stackd_diag_reply a;
	int n = stackd_diag_unix_get(fd, ino, ~(uint64_t)0, 0, &a);
	const struct unix_diag_msg *m = NLMSG_DATA(&a.nlh);

	if (n <= 0)
		return n;
	memcpy(cookie, m->udiag_cookie, sizeof(*cookie));
	return 1;
}

int stackd_diag_unix_queued(int *fd, uint32_t ino, uint64_t cookie, uint32_t peer_ino)
{
	union stackd_diag_reply a;
	const struct rtattr *rta;
	int n = stackd_diag_unix_get(fd, ino, cookie, UDIAG_SHOW_ICONS, &a);
	uint32_t icon;

	if (n <= 0)
		return n;
	rta = stackd_diag_attr(&a, n, UNIX_DIAG_ICONS);
	for (size_t off = 0; rta && off + sizeof(icon) <= RTA_PAYLOAD(rta); off += sizeof(icon)) {
		memcpy(&icon, (const char *)RTA_DATA(rta) + off, sizeof(icon));
		if (icon == peer_ino)
			return 1;
	}
	return 0;
}

int stackd_diag_unix_wfull(int *fd, uint32_t ino, uint64_t cookie)
{
	union stackd_diag_reply a;
	const struct rtattr *rta;
	int n = stackd_diag_unix_get(fd, ino, cookie, UDIAG_SHOW_MEMINFO, &a);
	uint32_t mem[SK_MEMINFO_SNDBUF + 1];

	if (n <= 0)
		return n;
	rta = stackd_diag_attr(&a, n, UNIX_DIAG_MEMINFO);
	if (!rta || RTA_PAYLOAD(rta) < sizeof(mem))
		return -EPROTO;
	memcpy(mem, RTA_DATA(rta), sizeof(mem));
	/* sock_alloc_send_pskb's writer waits until it is below sk_sndbuf. */
	return mem[SK_MEMINFO_WMEM_ALLOC] >= mem[SK_MEMINFO_SNDBUF] ? 1 : 2;
}
