/* SPDX-License-Identifier: MIT */
/*
 * sock_diag (NETLINK_SOCK_DIAG) for one AF_UNIX socket: does it still exist?
 * Apart from stackd_own.c because <linux/sock_diag.h> and the core's
 * <net.h> both name SOCK_DESTROY.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "stackd_diag.h"

int stackd_diag_unix_alive(int *fd, uint32_t ino, uint64_t cookie)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} q = {
		.nlh = {.nlmsg_len = sizeof(q),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST},
		.req = {.sdiag_family = AF_UNIX, .udiag_ino = ino},
	};
	union {
		struct nlmsghdr nlh;
		char buf[1024];
	} a;
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
	n = recv(*fd, &a, sizeof(a), 0);
	if (n < (ssize_t)sizeof(struct nlmsghdr))
		return n < 0 ? -errno : -EPROTO;
	if (a.nlh.nlmsg_type == SOCK_DIAG_BY_FAMILY)
		return 1;
	if (a.nlh.nlmsg_type == NLMSG_ERROR && n >= (ssize_t)NLMSG_LENGTH(sizeof(int))) {
		int err = *(int *)NLMSG_DATA(&a.nlh);

		if (err == -ENOENT || err == -ESTALE)
			return 0;
		return err ? err : -EPROTO;
	}
	return -EPROTO;
}
