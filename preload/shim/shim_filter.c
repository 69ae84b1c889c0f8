// SPDX-License-Identifier: MIT
/*
 * Socket filters on emulated sockets. The stack host runs classic BPF
 * programs (core/filter.c) on the packets before it queues them; what
 * lives here is what only the program's process can reach: the
 * instructions a struct sock_fprog points to (sent in parts, shim_ctl.h:
 * SHIM_SO_FILTER_PART), the buffer SO_GET_FILTER fills, and the fd
 * SO_ATTACH_BPF names.
 */
#define _GNU_SOURCE
#include "shim_lib.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

_Static_assert(sizeof(struct sock_filter) == SHIM_FILTER_INSN, "sock_filter");

/* setsockopt(SO_ATTACH_FILTER) with a value of struct sock_fprog's size. */
int shim_attach_filter(int fd, uint64_t e, const void *optval, struct shim_call *c)
{
	struct shim_req req = {.hdr.op = SHIM_OP_SETSOCKOPT,
			       .sockopt = {.level = SOL_SOCKET, .optname = SHIM_SO_FILTER_PART}};
	struct shim_filter_part *p = (struct shim_filter_part *)req.sockopt.optval;
	struct shim_rep rep;
	struct sock_fprog fprog;
	int ret;

	if (shim_copy_from_user(&fprog, optval, sizeof(fprog)))
		return -EFAULT;
	p->len = fprog.len;
	req.sockopt.optlen = sizeof(*p);
	/* bpf_check_basics_ok fails: the host still answers first if the filter is locked. */
	if (!fprog.filter || !fprog.len || fprog.len > BPF_MAXINSNS) {
		p->flags = SHIM_FILTER_NULL;
		return shim_request(fd, e, &req, &rep, NULL, c);
	}
	for (unsigned int first = 0; first < fprog.len; first += p->count) {
		p->first = (uint16_t)first;
		p->count = (uint16_t)(fprog.len - first < SHIM_FILTER_PART ? fprog.len - first
									   : SHIM_FILTER_PART);
		p->flags = 0;
		if (shim_copy_from_user(p->insns, fprog.filter + first,
					p->count * sizeof(struct sock_filter))) {
			p->flags = SHIM_FILTER_FAULT;
			p->count = 0;
		}
		req.sockopt.optlen = (uint32_t)(sizeof(*p) + p->count * sizeof(struct sock_filter));
		ret = shim_request(fd, e, &req, &rep, NULL, c);
		if (ret < 0 || p->flags)
			return ret;
	}
	return 0;
}

/*
 * getsockopt(SO_GET_FILTER): *optlen and the result count instructions;
 * 0 without a filter, or with a room of 0 only the program's length.
 */
int shim_get_filter(int fd, uint64_t e, void *optval, socklen_t *optlen, struct shim_call *c)
{
	struct shim_req req = {.hdr.op = SHIM_OP_GETSOCKOPT,
			       .sockopt = {.level = SOL_SOCKET, .optname = SHIM_SO_FILTER_PART}};
	const struct shim_filter_part *p = (const struct shim_filter_part *)req.sockopt.optval;
	struct shim_rep rep;
	unsigned int total = 0;
	int room, ret;

	if (shim_copy_from_user(&room, optlen, sizeof(room)))
		return -EFAULT;
	if (room < 0)
		return -EINVAL;
	for (uint32_t part = 0;; part++) {
		req.sockopt.optlen = part;
		ret = shim_request(fd, e, &req, &rep, NULL, c);
		if (ret < 0)
			return ret;
		p = (const struct shim_filter_part *)rep.sockopt.optval;
		if (part == 0) {
			total = p->len;
			if (!total || !room)
				break;
			if ((unsigned int)room < total)
				return -EINVAL;
		} else if (p->len != total || p->first != part * SHIM_FILTER_PART) {
			return -EAGAIN; /* another thread replaced the filter meanwhile */
		}
		if (shim_copy_to_user((char *)optval + p->first * sizeof(struct sock_filter),
				      p->insns, p->count * sizeof(struct sock_filter)))
			return -EFAULT;
		if (!p->count || p->first + p->count >= total)
			break;
	}
	return shim_copy_to_user(optlen, &total, sizeof(int)) ? -EFAULT : 0;
}

/*
 * SO_ATTACH_BPF after the host said the socket could take one: the checks
 * bpf_prog_get_type makes of the caller's fd (EBADF, EINVAL for anything
 * but a socket filter program); a program that passes is eBPF, which the
 * stack cannot run: EOPNOTSUPP.
 */
int shim_attach_bpf_check(const void *optval)
{
	char path[64], link[64], line[128];
	int ufd, type = -1;
	ssize_t n;
	FILE *f;

	memcpy(&ufd, optval, sizeof(ufd));
	if (ufd < 0 || fcntl(ufd, F_GETFD) < 0)
		return -EBADF;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ufd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -EOPNOTSUPP;
	link[n] = '\0';
	if (strcmp(link, "anon_inode:bpf-prog"))
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ufd);
	f = fopen(path, "re");
	if (!f)
		return -EOPNOTSUPP;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "prog_type: %d", &type) == 1)
			break;
	fclose(f);
	return type >= 0 && type != 1 /* BPF_PROG_TYPE_SOCKET_FILTER */ ? -EINVAL : -EOPNOTSUPP;
}
