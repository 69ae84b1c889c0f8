/* SPDX-License-Identifier: MIT */
/*
 * The wire contract between the interposer (libsockshim.so) and the stack
 * host (sockshim-stackd). Both sides include this file and nothing else of
 * each other.
 *
 * Control: one SOCK_SEQPACKET connection per process to the abstract address
 * shim_ctl_name(). Each request is one struct shim_req, answered by one
 * struct shim_rep, in order; a reply may carry one file descriptor
 * (SCM_RIGHTS). SHIM_OP_CLOSE has no reply. The host learns the caller's
 * uid/gid/pid from SO_PEERCRED and its capabilities from shim_req.cap_eff.
 *
 * Data: each emulated socket is an AF_UNIX pair; the application holds one
 * end as its socket fd, the host the other.
 *  - SOCK_STREAM sockets: a SOCK_STREAM pair carrying the byte stream as is.
 *    Before the connection is established the interposer writes
 *    shim_req.arg[0] filler bytes into the pair (SHIM_OP_CONNECT) so that the
 *    application's end is not writable (no POLLOUT) until the host has
 *    reached ESTABLISHED and read the filler away. On failure the host closes
 *    its end without reading, so the application sees POLLERR|POLLHUP, and
 *    the errno comes from SHIM_OP_GETERR.
 *  - Listening sockets: at SHIM_OP_LISTEN the host replies with an AF_UNIX
 *    SOCK_STREAM listener bound to shim_listen_name(); the interposer dup3()s
 *    it over the application's fd. For each accepted TCP connection the host
 *    connects to that listener from a socket bound to shim_conn_name(), so
 *    accept() is the kernel's own and getpeername() on the accepted fd names
 *    the new socket's id.
 *  - Identity: the host binds the application's end of every pair to
 *    shim_app_name() before handing it over, so any process that inherits
 *    the fd (fork, exec, posix_spawn, SCM_RIGHTS) can tell what it is with
 *    one getsockname() (the interposer scans its fds once at start-up);
 *    listeners are named shim_listen_name() and accepted connections have
 *    shim_conn_name() as their peer name. SO_TYPE of the AF_UNIX socket
 *    tells framing: SOCK_DGRAM pairs are datagram sockets.
 *  - SOCK_DGRAM and SOCK_RAW sockets: a SOCK_DGRAM pair; every datagram in
 *    either direction starts with struct shim_dgram, which the interposer
 *    adds and strips so that the application never sees it.
 */
#ifndef SOCKSHIM_SHIM_CTL_H
#define SOCKSHIM_SHIM_CTL_H

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/un.h>

#define SHIM_CTL_VERSION 1
#define SHIM_OPT_MAX	 512

enum shim_op {
	SHIM_OP_HELLO = 1,  /* arg[0] = SHIM_CTL_VERSION; rep.arg[0] = host pid */
	SHIM_OP_CREATE,	    /* arg[0] type, arg[1] protocol; rep.id, fd = host-made pair end */
	SHIM_OP_BIND,	    /* addr */
	SHIM_OP_LISTEN,	    /* arg[0] backlog; fd = AF_UNIX listener (first listen only) */
	SHIM_OP_CONNECT,    /* addr; arg[0] filler bytes already written; arg[1] = 1 if AF_UNSPEC */
	SHIM_OP_SHUTDOWN,   /* arg[0] how */
	SHIM_OP_GETNAME,    /* arg[0] peer; rep.addr */
	SHIM_OP_SETSOCKOPT, /* arg[0] level, arg[1] optname, opt[optlen] */
	SHIM_OP_GETSOCKOPT, /* arg[0] level, arg[1] optname, optlen = buffer size; rep.opt */
	SHIM_OP_IOCTL,	    /* arg[0] cmd, opt = int argument; rep.opt = int result */
	SHIM_OP_GETERR,	    /* returns and clears the pending socket error (rep.ret = -err or 0) */
	SHIM_OP_CLOSE,	    /* no reply: the application closed its last copy it knows of */
	SHIM_OP_STAT,	    /* arg[0] = offset; rep.opt = counters text (snmp_format) from there,
			       rep.arg[0] = the text's total length */
};

struct shim_req {
	uint32_t op;
	uint32_t id; /* socket id from SHIM_OP_CREATE or an accepted connection */
	int32_t arg[4];
	uint64_t cap_eff; /* caller's effective capabilities (capget), for privilege checks */
	uint32_t addrlen; /* as passed by the application (validated by the host) */
	struct sockaddr_in addr;
	uint32_t optlen;
	uint8_t opt[SHIM_OPT_MAX];
};

struct shim_rep {
	int32_t ret; /* >= 0 success, < 0 = -errno */
	uint32_t id;
	int32_t arg[4];
	uint32_t addrlen;
	struct sockaddr_in addr;
	uint32_t optlen;
	uint8_t opt[SHIM_OPT_MAX];
	char note[160]; /* what the host did, for the trace (e.g. "inetsw exact: UDP") */
};

/* Prefixes every datagram on a SOCK_DGRAM pair. */
struct shim_dgram {
	int32_t err; /* host->app only: != 0 is an error report (e.g. ECONNREFUSED), no payload */
	uint32_t flags; /* host->app: MSG_TRUNC if the datagram was cut; app->host: send flags */
	struct sockaddr_in addr; /* peer; sin_family 0 = none (connected socket) */
	uint32_t orig_len;	 /* host->app: length on the wire */
	uint32_t pad;
};

/*
 * Abstract AF_UNIX names (no leading NUL here; callers put it in sun_path[0]).
 * netns is the inode of /proc/self/ns/net, so stacks in different
 * namespaces never meet.
 */
static inline int shim_ctl_name(char *buf, size_t len, unsigned long netns, const char *iface,
				const char *addr)
{
	return snprintf(buf, len, "sockshim/ctl/%lu/%s/%s", netns, iface, addr);
}

static inline int shim_app_name(char *buf, size_t len, int host_pid, uint32_t id)
{
	return snprintf(buf, len, "sockshim/a/%d/%u", host_pid, id);
}

static inline int shim_listen_name(char *buf, size_t len, int host_pid, uint32_t id)
{
	return snprintf(buf, len, "sockshim/l/%d/%u", host_pid, id);
}

static inline int shim_conn_name(char *buf, size_t len, int host_pid, uint32_t id)
{
	return snprintf(buf, len, "sockshim/s/%d/%u", host_pid, id);
}

#endif
