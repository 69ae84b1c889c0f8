/* SPDX-License-Identifier: MIT */
#ifndef SOCKSHIM_STACKD_LOOPBACK_H
#define SOCKSHIM_STACKD_LOOPBACK_H

#include <netinet/in.h>
#include <stdint.h>

#include "stackd.h"

struct shim_rep;

/* A stack listener's twin on the kernel's loopback. */
struct stackd_klisten {
	struct stackd_ep ep; /* STACKD_EP_KLISTEN */
	int fd;		     /* the kernel listener */
	uint32_t id;	     /* the stack listener it hands connections to */
};

/*
 * Whether a connect of ss to `to` goes to the kernel (README "Loopback"):
 * SHIM_CONNECT_KERNEL with rep->handoff filled, 0 if the stack serves it,
 * or -errno.
 */
int stackd_loopback_handoff(struct stackd_sock *ss, const struct sockaddr_in *to, int len,
			    struct shim_rep *rep);

/*
 * After the first listen of ss: if it is a TCP socket bound to INADDR_ANY
 * or 127.x, listen on the kernel's loopback on its port too (the note in
 * rep says so, or why not).
 */
void stackd_loopback_listen(struct stackd_sock *ss, int backlog, struct shim_rep *rep);
/* Closes the twin of ss, if any. */
void stackd_loopback_unlisten(struct stackd_sock *ss);
/* The twin is readable: hands each kernel connection to the application's listener. */
void stackd_loopback_accept(struct stackd *sd, struct stackd_klisten *kl);

#endif
