/* SPDX-License-Identifier: MIT */
/*
 * The host's one request decoder (stackd_decode.c): bytes from a control
 * connection in, a checked struct shim_req out. It makes no OS call and
 * touches no host state, so the fuzz harness (tests/fuzz/) runs it alone.
 */
#ifndef SOCKSHIM_STACKD_DECODE_H
#define SOCKSHIM_STACKD_DECODE_H

#include <stdbool.h>
#include <stddef.h>

#include "shim_ctl.h"

struct shim_decode {
	bool drop;	 /* a breach of the contract: answer, then drop the connection */
	const char *why; /* what was wrong, for the trace */
};

/*
 * Checks the n bytes at buf as one request and copies them to *req (the
 * rest zeroed). hello_done: the connection has said HELLO already.
 * Returns 0, or -errno to answer with; d->drop says whether the connection
 * must go too (malformed, wrong version, HELLO missing or repeated) rather
 * than a value the application itself passed that the kernel would refuse.
 */
int shim_req_decode(const void *buf, size_t n, bool hello_done, struct shim_req *req,
		    struct shim_decode *d);

#endif
