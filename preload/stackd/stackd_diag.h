/* SPDX-License-Identifier: MIT */
#ifndef SOCKSHIM_STACKD_DIAG_H
#define SOCKSHIM_STACKD_DIAG_H

#include <stdint.h>

/*
 * Asks the kernel (UNIX_DIAG, exact lookup by inode and cookie) whether the
 * AF_UNIX socket is still open: 1 yes, 0 closed, -errno if it cannot say.
 */
/* *fd: the host's NETLINK_SOCK_DIAG socket, opened on first use (-1 until then). */
int stackd_diag_unix_alive(int *fd, uint32_t ino, uint64_t cookie);

#endif
