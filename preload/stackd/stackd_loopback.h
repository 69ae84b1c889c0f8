/* SPDX-License-Identifier: MIT */
#ifndef SOCKSHIM_STACKD_LOOPBACK_H
#define SOCKSHIM_STACKD_LOOPBACK_H

#include <netinet/in.h>

struct shim_rep;
struct stackd_sock;

/*
 * Whether a connect of ss to `to` goes to the kernel (README "Loopback"):
 * SHIM_CONNECT_KERNEL with rep->handoff filled, 0 if the stack serves it,
 * or -errno.
 */
int stackd_loopback_handoff(struct stackd_sock *ss, const struct sockaddr_in *to, int len,
			    struct shim_rep *rep);

#endif
