// SPDX-License-Identifier: MIT
/*
 * The socket() grid for the differential test: calls socket() for every
 * combination of family x type x flags x protocol below and prints one line
 * each with the fd-or-errno, FD_CLOEXEC, O_NONBLOCK and SO_TYPE / SO_DOMAIN
 * / SO_PROTOCOL, closing every fd. Run natively and under the interposer,
 * the two outputs must be identical.
 *
 * --model-no-ipv6: print, for AF_INET6, what a kernel built without IPv6
 * answers (the interposer's contract until the stack emulates IPv6) instead
 * of calling socket(): sys_socket's flag check (EINVAL), __sock_create's
 * type range (EINVAL), then no family (EAFNOSUPPORT).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const struct {
	int v;
	const char *name;
} families[] = {
	{AF_UNSPEC, "AF_UNSPEC"},
	{AF_UNIX, "AF_UNIX"},
	{AF_INET, "AF_INET"},
	{AF_INET6, "AF_INET6"},
	{AF_NETLINK, "AF_NETLINK"},
	{AF_PACKET, "AF_PACKET"},
	{46, "46"},
	{255, "255"},
	{-1, "-1"},
};

static const int types[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15};

static const struct {
	int v;
	const char *name;
} flags[] = {
	{0, "0"},
	{SOCK_NONBLOCK, "SOCK_NONBLOCK"},
	{SOCK_CLOEXEC, "SOCK_CLOEXEC"},
	{SOCK_NONBLOCK | SOCK_CLOEXEC, "SOCK_NONBLOCK|SOCK_CLOEXEC"},
	{0x40000000, "0x40000000"},
	{0x10, "0x10"},
};

static const int protocols[] = {0, 1, 6, 17, 58, 132, 136, 253, 255, 256, 262, 263, 768, -1};

static void model_no_ipv6(int type)
{
	int f = type & ~0xf;

	if (f & ~(SOCK_NONBLOCK | SOCK_CLOEXEC) || (type & 0xf) >= 11)
		printf("EINVAL\n");
	else
		printf("EAFNOSUPPORT\n");
}

static int sockopt(int fd, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, opt, &v, &len))
		return -errno;
	return v;
}

int main(int argc, char **argv)
{
	int model = argc > 1 && !strcmp(argv[1], "--model-no-ipv6");
	size_t a, b, c, d;

	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	for (a = 0; a < sizeof(families) / sizeof(families[0]); a++)
		for (b = 0; b < sizeof(types) / sizeof(types[0]); b++)
			for (c = 0; c < sizeof(flags) / sizeof(flags[0]); c++)
				for (d = 0; d < sizeof(protocols) / sizeof(protocols[0]); d++) {
					int type = types[b] | flags[c].v, fd, fdfl, fl;

					printf("socket(%s, %d|%s, %d) = ", families[a].name,
					       types[b], flags[c].name, protocols[d]);
					if (model && families[a].v == AF_INET6) {
						model_no_ipv6(type);
						continue;
					}
					fd = socket(families[a].v, type, protocols[d]);
					if (fd < 0) {
						printf("%s\n", strerrorname_np(errno));
						continue;
					}
					fdfl = fcntl(fd, F_GETFD);
					fl = fcntl(fd, F_GETFL);
					printf("fd cloexec=%d nonblock=%d type=%d domain=%d "
					       "protocol=%d\n",
					       !!(fdfl & FD_CLOEXEC), !!(fl & O_NONBLOCK),
					       sockopt(fd, SO_TYPE), sockopt(fd, SO_DOMAIN),
					       sockopt(fd, SO_PROTOCOL));
					close(fd);
				}
	return 0;
}
