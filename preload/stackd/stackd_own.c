/* SPDX-License-Identifier: MIT */
/*
 * Who may act on a socket, and whether the application still holds it.
 *
 * Ownership: the host hands out the application's side of each socket (a
 * pair end, or an AF_UNIX listener) and records its SO_COOKIE, a 64-bit
 * number the kernel gives each socket once and never reuses. A request about
 * a socket carries the caller's fd for it by SCM_RIGHTS; the host takes it
 * only if the received fd's cookie is the recorded one. Accepted connections
 * are made by the application's accept(), so their cookie is learned on the
 * first request, from an fd whose peer has the host end's name and was
 * connected by the host process itself (stackd_peer_is_host_end): only the
 * socket accept() returned is such. The cost per request is one fd passed
 * in, one fstat(), one getsockopt() and one close().
 *
 * Liveness: the host cannot see the application close the last copy of an
 * AF_UNIX listener (nothing wakes the host: it holds no end of it). It asks
 * the kernel about that one socket with sock_diag (NETLINK_SOCK_DIAG,
 * UNIX_DIAG, by inode and cookie): ENOENT or ESTALE means closed. The cost
 * is one netlink round trip per listener asked about; the kernel finds the
 * inode in the namespace's AF_UNIX table.
 *
 * Credentials: privileges are read for the process that sent the request,
 * at the time it is handled (stackd_proc_cred), as the kernel judges them at
 * the call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim_ctl.h"
#include "stackd.h"
#include "stackd_diag.h"

int stackd_skid_get(int fd, struct stackd_skid *id)
{
	socklen_t len = sizeof(id->cookie);
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return -EBADF;
	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &id->cookie, &len) < 0)
		return -errno;
	id->ino = (uint32_t)st.st_ino;
	return 0;
}

/*
 * Whether fd is the socket accept() made for the accepted connection ss: its
 * peer has the name of our end of it (shim_accepted_name: shim_sock_name 's'
 * and the TCP peer after it; abstract names are unique while bound, and a
 * closed end keeps its name for the peer's getpeername), and was connected
 * by this very process (SO_PEERCRED), which no one else can arrange, even
 * by binding that name after our end closed. The nonce makes the part up to
 * it unique, so only that part is compared.
 */
static bool stackd_peer_is_host_end(const struct stackd_sock *ss, int fd)
{
	struct stackd *sd = ss->sd;
	struct sockaddr_un theirs;
	socklen_t tlen = sizeof(theirs), clen;
	char name[sizeof(theirs.sun_path)];
	struct ucred cred;
	int n;

	n = shim_sock_name(name, sizeof(name), 's', sd->pid, ss->id, ss->nonce);
	if (getpeername(fd, (struct sockaddr *)&theirs, &tlen) < 0 ||
	    tlen <= offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n || theirs.sun_path[0] ||
	    memcmp(theirs.sun_path + 1, name, (size_t)n) || theirs.sun_path[1 + n] != '/')
		return false;
	clen = sizeof(cred);
	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0 && cred.pid == sd->pid;
}

bool stackd_sock_owned_by(struct stackd_sock *ss, int fd)
{
	struct stackd_skid id = {0};
	socklen_t len = sizeof(id.cookie);

	/* The cookie alone tells (anything but a socket has none): no fstat per request. */
	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_COOKIE, &id.cookie, &len) < 0)
		return false;
	if (ss->app.cookie && id.cookie == ss->app.cookie)
		return true;
	if (ss->lsn.cookie && id.cookie == ss->lsn.cookie)
		return true;
	/* An earlier pair's end, still the socket's for whoever holds it (fork, SCM_RIGHTS). */
	for (unsigned int i = 0; ss->app_old && i < ss->app_old->n; i++)
		if (id.cookie == ss->app_old->id[i].cookie)
			return true;
	/*
	 * An accepted connection's first request (maybe after a reset closed
	 * our end): learn which socket accept() made.
	 */
	if (!ss->app.cookie && stackd_peer_is_host_end(ss, fd)) {
		if (stackd_skid_get(fd, &ss->app))
			return false;
		stackd_unnamed_close(ss); /* named: its checks need the host end no more */
		return true;
	}
	return false;
}

/* The pid in "sockshim/<kind>/<pid>/<id>", the name of one of fd's two ends. */
static pid_t stackd_fd_host_pid(int fd)
{
	struct sockaddr_un sun;
	unsigned int pid;
	uint32_t id;
	char kind;

	for (int peer = 0; peer < 2; peer++) {
		socklen_t len = sizeof(sun);
		int r = peer ? getpeername(fd, (struct sockaddr *)&sun, &len)
			     : getsockname(fd, (struct sockaddr *)&sun, &len);

		if (r < 0 || len <= offsetof(struct sockaddr_un, sun_path) + 1 ||
		    sun.sun_family != AF_UNIX || sun.sun_path[0])
			continue;
		if (!shim_sock_name_parse(sun.sun_path + 1,
					  len - offsetof(struct sockaddr_un, sun_path) - 1, &kind,
					  &pid, &id))
			return (pid_t)pid;
	}
	return 0;
}

/*
 * A host that was killed is gone from the moment it starts exiting (the
 * kernel's PF_EXITING, set before it closes its fds, which is what woke the
 * application), through its zombie days until it is reaped.
 */
#define STACKD_PF_EXITING 0x4

bool stackd_fd_host_gone(int fd)
{
	char path[64], stat[512], state = 0;
	unsigned int flags = 0;
	pid_t pid;
	FILE *f;
	bool ours;

	if (fd < 0)
		return false;
	pid = stackd_fd_host_pid(fd);
	if (pid <= 0 || pid == getpid())
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return true;
	if (!fgets(stat, sizeof(stat), f))
		stat[0] = 0;
	fclose(f);
	/* "PID (sockshim-stackd) S PPID PGRP SID TTY TPGID FLAGS ...": another program took
	 * the pid, or it is dying or dead. */
	ours = sscanf(stat, "%*d (sockshim-stackd) %c %*d %*d %*d %*d %*d %u", &state, &flags) == 2;
	return !ours || state == 'Z' || state == 'X' || (flags & STACKD_PF_EXITING);
}

int stackd_skid_alive(struct stackd *sd, const struct stackd_skid *id)
{
	if (!id->cookie)
		return -EINVAL;
	return stackd_diag_unix_alive(&sd->diag_fd, id->ino, id->cookie);
}

int stackd_skid_wfull(struct stackd *sd, const struct stackd_skid *id)
{
	if (!id->cookie)
		return -EINVAL;
	return stackd_diag_unix_wfull(&sd->diag_fd, id->ino, id->cookie);
}

/*
 * The sending process's credentials now: effective uid and gid, groups and
 * effective capabilities from /proc/PID/status. pid and uid come from the
 * request's SCM_CREDENTIALS; a status whose real uid differs is another
 * process that took the pid, and gets no privileges.
 */
int stackd_proc_cred(pid_t pid, uid_t uid, struct cred *cred)
{
	char path[64], line[512];
	unsigned int r, e, g;
	unsigned long long caps;
	bool uid_ok = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -ESRCH;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Uid: %u %u", &r, &e) == 2) {
			uid_ok = r == uid;
			cred->uid = e;
		} else if (sscanf(line, "Gid: %u %u", &r, &g) == 2) {
			cred->gid = g;
		} else if (!strncmp(line, "Groups:", 7)) {
			char *p = line + 7, *end;

			cred->ngroups = 0;
			for (;;) {
				unsigned long v = strtoul(p, &end, 10);

				if (end == p || cred->ngroups >= 32)
					break;
				cred->groups[cred->ngroups++] = (uint32_t)v;
				p = end;
			}
		} else if (sscanf(line, "CapEff: %llx", &caps) == 1) {
			cred->cap_eff = caps;
		}
	}
	fclose(f);
	if (!uid_ok) {
		cred->cap_eff = 0;
		return -ESRCH;
	}
	return 0;
}
