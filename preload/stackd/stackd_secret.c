// SPDX-License-Identifier: MIT
/*
 * The TCP secrets (ISNs, timestamp offsets: net->tcp_secret) live for the
 * boot, as the kernel's net_secret and ts_secret do, not for one stack
 * host: a host that starts after an earlier one lingered out continues its
 * sequence numbers and timestamps, so a peer still in TIME_WAIT with the
 * old host's connection takes the new SYN (RFC 6528 + PAWS) instead of
 * answering it with an old ACK.
 *
 * They are kept in the runtime directory of the host's user, one file per
 * network namespace: /run/sockshim (root) or $XDG_RUNTIME_DIR/sockshim,
 * else /tmp/sockshim-UID. The directory must be ours and 0700, the file
 * ours, 0600 and of this boot (it starts with the kernel's boot_id);
 * anything else and the host keeps the random secret it started with and
 * says why in its trace. A new file is written whole under a temporary
 * name and linked into place, so two hosts starting at once agree on one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stackd.h"

#define SECRET_BOOT_ID_LEN 36 /* /proc/sys/kernel/random/boot_id, a UUID */

struct secret_file {
	char boot_id[SECRET_BOOT_ID_LEN];
	uint32_t secret[4];
};

static int secret_boot_id(char id[SECRET_BOOT_ID_LEN])
{
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, id, SECRET_BOOT_ID_LEN);
	close(fd);
	return n == SECRET_BOOT_ID_LEN ? 0 : -EIO;
}

/* Ours and private: the directory 0700, a file 0600, no symlink. */
static bool secret_private(const struct stat *st, mode_t type, mode_t mode)
{
	return (st->st_mode & S_IFMT) == type && st->st_uid == geteuid() &&
	       (st->st_mode & 07777) == mode;
}

/* The directory, made if missing; 0 or -errno. */
static int secret_dir(char *dir, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (geteuid() == 0)
		snprintf(dir, len, "/run/sockshim");
	else if (xdg && xdg[0] == '/')
		snprintf(dir, len, "%s/sockshim", xdg);
	else
		snprintf(dir, len, "/tmp/sockshim-%u", (unsigned int)geteuid());
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(dir, &st) < 0)
		return -errno;
	return secret_private(&st, S_IFDIR, 0700) ? 0 : -EPERM;
}

/* The file's secret if it is ours, private and of this boot: 0, -ENOENT, -ESTALE or -errno. */
static int secret_read(const char *path, const char *boot_id, uint32_t secret[4])
{
	struct secret_file f;
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !secret_private(&st, S_IFREG, 0600)) {
		close(fd);
		return -EPERM;
	}
	n = read(fd, &f, sizeof(f));
	close(fd);
	if (n != (ssize_t)sizeof(f) || memcmp(f.boot_id, boot_id, SECRET_BOOT_ID_LEN))
		return -ESTALE;
	memcpy(secret, f.secret, sizeof(f.secret));
	return 0;
}

/* Publishes secret at path unless another host did first: 0, -EEXIST or -errno. */
static int secret_write(const char *path, const char *boot_id, const uint32_t secret[4])
{
	struct secret_file f;
	char tmp[PATH_MAX];
	int fd, r = 0;

	memcpy(f.boot_id, boot_id, SECRET_BOOT_ID_LEN);
	memcpy(f.secret, secret, sizeof(f.secret));
	if (snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, &f, sizeof(f)) != (ssize_t)sizeof(f) || fsync(fd) < 0)
		r = -EIO;
	close(fd);
	if (!r && link(tmp, path) < 0)
		r = -errno;
	unlink(tmp);
	return r;
}

void stackd_secret_load(struct stackd *sd)
{
	char dir[PATH_MAX], path[PATH_MAX], boot_id[SECRET_BOOT_ID_LEN];
	uint32_t *secret = sd->net.tcp_secret;
	int r, tries;

	r = secret_boot_id(boot_id);
	if (!r)
		r = secret_dir(dir, sizeof(dir));
	if (r < 0) {
		stackd_trace(sd, "TCP secrets: this host's own (%s)", strerror(-r));
		return;
	}
	if (snprintf(path, sizeof(path), "%s/tcp-secret-netns-%lu", dir, sd->cfg.netns) >=
	    (int)sizeof(path)) {
		stackd_trace(sd, "TCP secrets: this host's own (%s: name too long)", dir);
		return;
	}
	/* Read, or publish ours; a stale file (another boot) is replaced once. */
	for (tries = 0; tries < 3; tries++) {
		r = secret_read(path, boot_id, secret);
		if (r == -ENOENT)
			r = secret_write(path, boot_id, secret);
		else if (r == -ESTALE && unlink(path) < 0)
			r = -errno;
		if (r != -EEXIST && r != -ESTALE)
			break;
	}
	stackd_trace(sd, "TCP secrets: %s (%s)", r ? "this host's own" : "the boot's",
		     r ? strerror(-r) : path);
}
