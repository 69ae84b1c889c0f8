// SPDX-License-Identifier: MIT
/*
 * Socket filters arriving from the interposer in parts (shim_ctl.h:
 * SHIM_SO_FILTER_PART): the parts are gathered per socket and the whole
 * program goes to sock_setsockopt(SO_ATTACH_FILTER) as the kernel's would,
 * so the order of its answers (EPERM when locked, then EINVAL, ...) is the
 * core's. SO_GET_FILTER is answered a part at a time.
 */
#include <errno.h>
#include <linux/filter.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "shim_ctl.h"
#include "stackd.h"

void stackd_filter_drop(struct stackd_sock *ss)
{
	free(ss->filter_stage);
	ss->filter_stage = NULL;
	ss->filter_len = ss->filter_staged = 0;
}

/* The whole program (or none, filter NULL) to the socket layer. */
static int stackd_filter_attach(struct stackd_sock *ss, unsigned int len,
				const struct sock_filter *filter)
{
	struct sock_fprog fprog = {.len = (unsigned short)len, .filter = (void *)filter};

	return sock_setsockopt(ss->sock, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog));
}

int stackd_filter_set(struct stackd_sock *ss, const struct shim_sockopt *o)
{
	const struct shim_filter_part *p = (const struct shim_filter_part *)o->optval;
	struct sock *sk = ss->sock->sk;
	int r;

	if (o->optlen < sizeof(*p) || p->count > SHIM_FILTER_PART ||
	    o->optlen != sizeof(*p) + p->count * sizeof(struct sock_filter))
		return -EINVAL;
	if (p->first == 0)
		stackd_filter_drop(ss);
	if (p->flags & SHIM_FILTER_NULL)
		return stackd_filter_attach(ss, p->len, NULL);
	/* sk_attach_filter: a locked filter is EPERM before its program is even read. */
	if (sock_flag(sk, SOCK_FILTER_LOCKED)) {
		stackd_filter_drop(ss);
		return -EPERM;
	}
	if (p->flags & SHIM_FILTER_FAULT) {
		stackd_filter_drop(ss);
		return -EFAULT;
	}
	if (p->first == 0) {
		if (p->len == 0 || p->len > BPF_MAXINSNS)
			return -EINVAL;
		ss->filter_stage = malloc(p->len * sizeof(struct sock_filter));
		if (!ss->filter_stage)
			return -ENOMEM;
		ss->filter_len = p->len;
	}
	/* Parts out of order: two threads attached at once; neither program is taken. */
	if (!ss->filter_stage || p->len != ss->filter_len || p->first != ss->filter_staged ||
	    p->first + p->count > p->len) {
		stackd_filter_drop(ss);
		return -EINVAL;
	}
	memcpy(ss->filter_stage + p->first, p->insns, p->count * sizeof(struct sock_filter));
	ss->filter_staged += p->count;
	if (ss->filter_staged < ss->filter_len)
		return 0;
	r = stackd_filter_attach(ss, ss->filter_len, ss->filter_stage);
	stackd_filter_drop(ss);
	return r;
}

int stackd_filter_get(struct stackd_sock *ss, const struct shim_sockopt *o, struct shim_rep *rep)
{
	const struct sk_filter *fp = ss->sock->sk->sk_filter;
	struct shim_filter_part *p = (struct shim_filter_part *)rep->sockopt.optval;
	unsigned int first = o->optlen * SHIM_FILTER_PART;

	memset(p, 0, sizeof(*p));
	if (fp && first < fp->len) {
		p->len = (uint16_t)fp->len;
		p->first = (uint16_t)first;
		p->count = (uint16_t)(fp->len - first < SHIM_FILTER_PART ? fp->len - first
									 : SHIM_FILTER_PART);
		memcpy(p->insns, fp->insns + first, p->count * sizeof(struct sock_filter));
	} else if (fp) {
		p->len = (uint16_t)fp->len;
	}
	rep->sockopt.level = o->level;
	rep->sockopt.optname = o->optname;
	rep->sockopt.optlen = (uint32_t)(sizeof(*p) + p->count * sizeof(struct sock_filter));
	return 0;
}
