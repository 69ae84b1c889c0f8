/* SPDX-License-Identifier: MIT */
/*
 * The request decoder: every byte a client sends passes here before any
 * handler runs, so the handlers can take each field as in range. Two kinds
 * of failure: values an application can pass through the socket API and
 * the kernel refuses (a shutdown "how" of 7, an address length of 4096) are
 * answered with the kernel's errno and the connection lives on; anything
 * the interposer never sends (a bad length, version, op, id or flag) breaks
 * the contract, is answered once and the connection is dropped.
 */
#include <limits.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "stackd_decode.h"

static int shim_decode_fail(struct shim_decode *d, int err, bool drop, const char *why)
{
	d->drop = drop;
	d->why = why;
	return err;
}

/* Bounds of the fields of each op (the header is already checked). */
static int shim_decode_payload(const struct shim_req *req, struct shim_decode *d)
{
	switch (req->hdr.op) {
	case SHIM_OP_HELLO:
		if (req->hello.min_version > req->hello.max_version || req->hello.pad)
			return shim_decode_fail(d, -EPROTO, true, "bad HELLO range");
		if (req->hello.min_version > SHIM_CTL_VERSION ||
		    req->hello.max_version < SHIM_CTL_VERSION)
			return shim_decode_fail(d, -EPROTONOSUPPORT, true, "no common version");
		return 0;
	case SHIM_OP_CREATE:
		/* As __sock_create and inet_create: out of range is EINVAL. */
		if (req->create.type < SOCK_STREAM || req->create.type > SOCK_PACKET)
			return shim_decode_fail(d, -EINVAL, false, "socket type out of range");
		if (req->create.protocol < 0 || req->create.protocol >= IPPROTO_MAX)
			return shim_decode_fail(d, -EINVAL, false, "protocol out of range");
		return 0;
	case SHIM_OP_ADOPT:
		/* Only sockets whose creation checks nothing the interposer cannot. */
		if (!shim_create_unprivileged(req->adopt.type, req->adopt.protocol))
			return shim_decode_fail(d, -EPROTO, true, "ADOPT of a privileged type");
		return 0;
	case SHIM_OP_BIND:
		/* move_addr_to_kernel: longer than a sockaddr_storage is EINVAL. */
		if (req->bind.addrlen > sizeof(struct sockaddr_storage))
			return shim_decode_fail(d, -EINVAL, false, "address length");
		return 0;
	case SHIM_OP_CONNECT:
	case SHIM_OP_FASTOPEN: /* the data's length was checked with the message's */
		if (req->connect.flags & ~(uint32_t)(SHIM_CONNECT_UNSPEC | SHIM_CONNECT_WAIT |
						     SHIM_CONNECT_AGAIN | SHIM_CONNECT_NOREPLY))
			return shim_decode_fail(d, -EPROTO, true, "unknown connect flags");
		/* Only a stream's first connect, to an address, goes without a reply. */
		if ((req->connect.flags & SHIM_CONNECT_NOREPLY) &&
		    (req->hdr.op != SHIM_OP_CONNECT || (req->connect.flags & SHIM_CONNECT_UNSPEC) ||
		     !req->connect.filler || req->connect.to.addrlen < sizeof(struct sockaddr_in) ||
		     req->connect.to.addrlen > sizeof(struct sockaddr_storage)))
			return shim_decode_fail(d, -EPROTO, true, "CONNECT without reply");
		if (req->connect.to.addrlen > sizeof(struct sockaddr_storage))
			return shim_decode_fail(d, -EINVAL, false, "address length");
		if (req->connect.filler > SHIM_FILLER_MAX)
			return shim_decode_fail(d, -EPROTO, true, "filler beyond a pair's room");
		return 0;
	case SHIM_OP_SHUTDOWN:
		if (req->shutdown.how < SHUT_RD || req->shutdown.how > SHUT_RDWR)
			return shim_decode_fail(d, -EINVAL, false, "shutdown how");
		return 0;
	case SHIM_OP_GETNAME:
		if (req->getname.peer > 1)
			return shim_decode_fail(d, -EPROTO, true, "getname peer not 0 or 1");
		return 0;
	case SHIM_OP_GETSOCKOPT:
		if (req->sockopt.optlen > SHIM_OPT_MAX)
			return shim_decode_fail(d, -EPROTO, true, "getsockopt room");
		return 0;
	case SHIM_OP_SETSOCKOPT:
		/* The kernel takes an int: a negative length is EINVAL (__sys_setsockopt). */
		if (req->sockopt.optlen > INT_MAX)
			return shim_decode_fail(d, -EINVAL, false, "setsockopt length");
		return 0;
	case SHIM_OP_STAT:
		if (req->stat.offset > SHIM_STAT_MAX)
			return shim_decode_fail(d, -EINVAL, false, "stat offset");
		return 0;
	}
	/* LISTEN (any backlog: the stack clamps it), SETSOCKOPT (length checked), IOCTL,
	 * GETERR, READERR, CLOSE: nothing more to check. */
	return 0;
}

int shim_req_decode(const void *buf, size_t n, bool hello_done, struct shim_req *req,
		    struct shim_decode *d)
{
	const struct shim_hdr *h;
	uint32_t optlen = 0;
	size_t want;

	d->drop = false;
	d->why = NULL;
	memset(req, 0, sizeof(*req));
	if (n < sizeof(struct shim_hdr) || n > sizeof(*req))
		return shim_decode_fail(d, -EBADMSG, true, "message size");
	memcpy(req, buf, n);
	h = &req->hdr;
	if (h->len != n)
		return shim_decode_fail(d, -EBADMSG, true, "length field");
	if (h->op == 0 || h->op >= SHIM_OP_MAX)
		return shim_decode_fail(d, -EPROTO, true, "unknown op");
	/* Only HELLO may come from another version: it is how versions meet. */
	if (h->op != SHIM_OP_HELLO && h->version != SHIM_CTL_VERSION)
		return shim_decode_fail(d, -EPROTONOSUPPORT, true, "version");
	if (h->ret != 0)
		return shim_decode_fail(d, -EPROTO, true, "ret set in a request");
	if (!hello_done && h->op != SHIM_OP_HELLO)
		return shim_decode_fail(d, -EPROTO, true, "HELLO must come first");
	if (hello_done && h->op == SHIM_OP_HELLO)
		return shim_decode_fail(d, -EPROTO, true, "HELLO again");
	if (shim_op_has_sock(h->op) ? h->id == 0 : h->id != 0)
		return shim_decode_fail(d, -EPROTO, true, "socket id");
	if (h->op == SHIM_OP_SETSOCKOPT || h->op == SHIM_OP_GETSOCKOPT) {
		if (n < sizeof(*h) + offsetof(struct shim_sockopt, optval))
			return shim_decode_fail(d, -EBADMSG, true, "short sockopt");
		optlen = shim_req_optbytes(req);
	}
	if (h->op == SHIM_OP_FASTOPEN) {
		if (n < sizeof(*h) + offsetof(struct shim_fastopen, data))
			return shim_decode_fail(d, -EBADMSG, true, "short fastopen");
		optlen = shim_req_optbytes(req);
	}
	want = shim_req_len(h->op, optlen);
	if (want == 0 || want != n)
		return shim_decode_fail(d, -EBADMSG, true, "payload size for the op");
	return shim_decode_payload(req, d);
}
