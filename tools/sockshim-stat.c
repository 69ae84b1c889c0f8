// SPDX-License-Identifier: MIT
/*
 * sockshim-stat: print the counters of the stack host serving SOCKSHIM_IFACE
 * and SOCKSHIM_ADDR in the caller's network namespace ("sockshim stat").
 *
 * It speaks the control protocol of preload/common/shim_ctl.h: SHIM_OP_HELLO, then
 * SHIM_OP_STAT page by page (after checking that the host is root's or its
 * own user's), and prints the text the host returns (named as
 * in /proc/net/snmp). It never starts a host: if none is running there is
 * nothing to report, and it says so.
 *
 * Exit status, so that a script can tell them apart: 0 the counters were
 * printed; 1 the host (or what holds its name) was refused or did not
 * answer; 2 the configuration is missing or invalid (the one-line error
 * names the variable); 3 no host serves that interface and address here
 * yet.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "shim_ctl.h"

enum { STAT_OK, STAT_FAILED, STAT_CONFIG, STAT_NO_HOST };

/* The control connection, or minus the exit status. */
static int ctl_connect(const struct shim_config *cfg)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct ucred u = {0};
	socklen_t len, ulen = sizeof(u);
	int fd, n;

	/* Abstract name: sun_path[0] stays NUL. */
	n = shim_ctl_name(sun.sun_path + 1, sizeof(sun.sun_path) - 1, cfg->netns, cfg->iface,
			  cfg->addr_str);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path) - 1) {
		fprintf(stderr, "sockshim: stat: control socket name too long\n");
		return -STAT_CONFIG;
	}
	len = offsetof(struct sockaddr_un, sun_path) + 1 + n;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "sockshim: stat: socket: %s\n", strerror(errno));
		return -STAT_FAILED;
	}
	if (connect(fd, (struct sockaddr *)&sun, len) < 0) {
		int none = errno == ECONNREFUSED || errno == ENOENT;

		if (none)
			fprintf(stderr,
				"sockshim: stat: no stack host for %s %s in this network namespace "
				"(it starts with the first program run under the shim)\n",
				cfg->iface, cfg->addr_str);
		else
			fprintf(stderr, "sockshim: stat: connect to the stack host: %s\n",
				strerror(errno));
		close(fd);
		return none ? -STAT_NO_HOST : -STAT_FAILED;
	}
	/* Anyone can bind the name first: talk only to root's host or our own user's. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &u, &ulen) < 0 ||
	    (u.uid != 0 && u.uid != getuid() && u.uid != geteuid())) {
		fprintf(stderr,
			"sockshim: stat: refusing the stack host at @%s: it runs as uid %u, "
			"not root or uid %u\n",
			sun.sun_path + 1, u.uid, getuid());
		close(fd);
		return -STAT_FAILED;
	}
	return fd;
}

/* One request, one reply; a reply's file descriptor, if any, is closed. */
static int ctl_call(int fd, struct shim_req *req, struct shim_rep *rep)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = rep, .iov_len = sizeof(*rep)};
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	req->hdr.version = SHIM_CTL_VERSION;
	req->hdr.len = (uint32_t)shim_req_len(req->hdr.op, 0);
	if (send(fd, req, req->hdr.len, MSG_NOSIGNAL) != (ssize_t)req->hdr.len)
		return -1;
	n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	if (n != (ssize_t)sizeof(*rep) || rep->hdr.len != sizeof(*rep) ||
	    rep->hdr.version != SHIM_CTL_VERSION)
		return -1;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
			int extra;

			memcpy(&extra, CMSG_DATA(cmsg), sizeof(extra));
			close(extra);
		}
	}
	return 0;
}

int main(void)
{
	struct shim_config cfg;
	struct shim_req req;
	struct shim_rep rep;
	char err[256];
	size_t len;
	int fd, off;

	if (shim_config_load(&cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return STAT_CONFIG;
	}
	fd = ctl_connect(&cfg);
	if (fd < 0)
		return -fd;

	memset(&req, 0, sizeof(req));
	req.hdr.op = SHIM_OP_HELLO;
	req.hello.min_version = req.hello.max_version = SHIM_CTL_VERSION;
	if (ctl_call(fd, &req, &rep) < 0 || rep.hdr.ret < 0) {
		fprintf(stderr, "sockshim: stat: the stack host refused HELLO (version %d)\n",
			SHIM_CTL_VERSION);
		return STAT_FAILED;
	}
	printf("stack host pid %d, %s %s/%d\n", rep.hello.host_pid, cfg.iface, cfg.addr_str,
	       cfg.prefix);

	/* The text is longer than one reply: ask for it page by page. */
	for (off = 0;; off += (int)len) {
		memset(&req, 0, sizeof(req));
		req.hdr.op = SHIM_OP_STAT;
		req.stat.offset = (uint32_t)off;
		if (ctl_call(fd, &req, &rep) < 0 || rep.hdr.ret < 0) {
			fprintf(stderr,
				"sockshim: stat: the stack host did not answer SHIM_OP_STAT "
				"(offset %d)\n",
				off);
			return STAT_FAILED;
		}
		len = rep.stat.len < sizeof(rep.stat.text) ? rep.stat.len : sizeof(rep.stat.text);
		fwrite(rep.stat.text, 1, len, stdout);
		if (len == 0 || off + (int)len >= (int)rep.stat.total)
			break;
	}
	close(fd);
	return STAT_OK;
}
