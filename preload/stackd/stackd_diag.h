/* SPDX-License-Identifier: MIT */
#ifndef SOCKSHIM_STACKD_DIAG_H
#define SOCKSHIM_STACKD_DIAG_H

#include <linux/netlink.h>
#include <stdint.h>

/* One UNIX_DIAG reply: the message, its attributes (a listener's queue among them). */
union stackd_diag_reply {
	struct nlmsghdr nlh;
	char buf[8192];
};

/*
 * Asks the kernel (UNIX_DIAG, exact lookup by inode and cookie) about one
 * AF_UNIX socket; *fd is the host's NETLINK_SOCK_DIAG socket, opened on
 * first use (-1 until then). Each answers -errno if the kernel cannot say,
 * 0 if the socket is closed.
 */
/* Whether it is still open: 1 yes. */
int stackd_diag_unix_alive(int *fd, uint32_t ino, uint64_t cookie);
/* 1 and its peer's inode (0: none, or a peer not accepted or closed since). */
int stackd_diag_unix_peer(int *fd, uint32_t ino, uint64_t cookie, uint32_t *peer_ino);
/* 1 and the cookie of the socket with that inode, whatever it is. */
int stackd_diag_unix_cookie(int *fd, uint32_t ino, uint64_t *cookie);
/* A listener: 1 if a connection whose connecting end is peer_ino waits in its queue. */
int stackd_diag_unix_queued(int *fd, uint32_t ino, uint64_t cookie, uint32_t peer_ino);
/*
 * 1 if its writer would wait now (what it has sent and its peer has not read,
 * sk_wmem_alloc, has reached its sk_sndbuf), 2 if not.
 */
int stackd_diag_unix_wfull(int *fd, uint32_t ino, uint64_t cookie);

#endif
