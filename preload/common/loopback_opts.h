/* SPDX-License-Identifier: MIT */
/*
 * The socket options that follow a socket across the loopback boundary
 * (README "Loopback"): the interposer carries them from a stack socket to
 * the kernel socket that replaces it at connect, and the stack host from a
 * stack listener to each kernel connection accepted for it, as the kernel's
 * accept copies a listener's options to its children.
 */
#ifndef SOCKSHIM_LOOPBACK_OPTS_H
#define SOCKSHIM_LOOPBACK_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An option carried only when lock (SHIM_HANDOFF_*, 0: always) says it was set. */
struct shim_carried {
	int level, optname;
	uint32_t lock;
	bool stream_only; /* a TCP option */
};

extern const struct shim_carried shim_carried[];
extern const size_t shim_ncarried;

/*
 * The value to set for what getsockopt read back: SO_SNDBUF and SO_RCVBUF
 * read back doubled (sock_setsockopt), so half of it is what was asked.
 */
void shim_carried_value(const struct shim_carried *o, void *val, uint32_t len);

#endif
