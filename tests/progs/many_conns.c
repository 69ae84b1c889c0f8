// SPDX-License-Identifier: MIT
/*
 * many_conns: N concurrent TCP connections, each checked to carry data.
 *
 *   many_conns serve ADDR PORT          echo server (epoll, any number of clients)
 *   many_conns open ADDR PORT N [HOLD]  opens N connections and keeps them all open,
 *                                       then sends each its own 8-byte tag and reads
 *                                       the echo back on every one
 *
 * "open" prints, for each tenth of N, how long that tenth's connect()s took
 * (so a rate that falls as connections pile up shows), then "open N" once
 * all are established, "echo N" once every connection echoed its own tag,
 * and exits 0; any failure names the connection and the call and exits 1.
 * With HOLD (seconds) it keeps every connection open that long after
 * "echo N" (for measuring an idle host), or until killed.
 * Both raise RLIMIT_NOFILE to their hard limit first.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nofile_max(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int serve(const struct sockaddr_in *sin)
{
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1, ep;
	struct epoll_event ev = {.events = EPOLLIN}, evs[256];
	char buf[4096];

	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(ls, (const struct sockaddr *)sin, sizeof(*sin)) < 0 || listen(ls, 4096) < 0) {
		perror("many_conns serve: listen");
		return 1;
	}
	ep = epoll_create1(0);
	ev.data.fd = ls;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev) < 0) {
		perror("many_conns serve: epoll");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == ls) {
				int c;

				while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					ev.data.fd = c;
					if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) < 0)
						close(c);
				}
				continue;
			}
			ssize_t r = read(fd, buf, sizeof(buf));

			if (r > 0) {
				/* Tags are 8 bytes: the socket buffer always takes them whole. */
				if (write(fd, buf, (size_t)r) != r)
					close(fd);
			} else if (r == 0 || errno != EAGAIN) {
				close(fd);
			}
		}
	}
}

static int full_io(int fd, void *buf, size_t len, bool rd)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = rd ? read(fd, (char *)buf + done, len - done)
			       : write(fd, (const char *)buf + done, len - done);

		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

static int open_all(const struct sockaddr_in *sin, int n, int hold)
{
	int *fds = calloc((size_t)n, sizeof(*fds)), step = n >= 10 ? n / 10 : 1;
	double t0 = now(), t = t0;

	if (!fds)
		return 1;
	for (int i = 0; i < n; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0) {
			fprintf(stderr, "many_conns: socket #%d: %s\n", i, strerror(errno));
			return 1;
		}
		if (connect(fds[i], (const struct sockaddr *)sin, sizeof(*sin)) < 0) {
			fprintf(stderr, "many_conns: connect #%d: %s\n", i, strerror(errno));
			return 1;
		}
		if ((i + 1) % step == 0) {
			double t1 = now();

			printf("opened %d: last %d in %.3f s (%.0f/s)\n", i + 1, step, t1 - t,
			       step / (t1 - t));
			t = t1;
		}
	}
	printf("open %d in %.3f s\n", n, now() - t0);
	fflush(stdout);
	/* Every tag first, then every echo: all n connections carry data at once. */
	for (int i = 0; i < n; i++) {
		uint64_t tag = 0x5eed000000000000ull | (uint64_t)i;

		if (full_io(fds[i], &tag, sizeof(tag), false) < 0) {
			fprintf(stderr, "many_conns: write #%d: %s\n", i, strerror(errno));
			return 1;
		}
	}
	for (int i = 0; i < n; i++) {
		uint64_t tag;

		if (full_io(fds[i], &tag, sizeof(tag), true) < 0) {
			fprintf(stderr, "many_conns: read #%d: %s\n", i,
				errno ? strerror(errno) : "EOF");
			return 1;
		}
		if (tag != (0x5eed000000000000ull | (uint64_t)i)) {
			fprintf(stderr, "many_conns: #%d echoed %#llx, not its own tag\n", i,
				(unsigned long long)tag);
			return 1;
		}
	}
	printf("echo %d\n", n);
	fflush(stdout);
	if (hold > 0)
		poll(NULL, 0, hold * 1000);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	bool srv = argc == 4 && !strcmp(argv[1], "serve");

	if (!srv && !((argc == 5 || argc == 6) && !strcmp(argv[1], "open"))) {
		fprintf(stderr, "usage: many_conns serve ADDR PORT | open ADDR PORT N [HOLD]\n");
		return 2;
	}
	if (inet_pton(AF_INET, argv[2], &sin.sin_addr) != 1) {
		fprintf(stderr, "many_conns: bad address %s\n", argv[2]);
		return 2;
	}
	sin.sin_port = htons((uint16_t)atoi(argv[3]));
	nofile_max();
	if (srv)
		return serve(&sin);
	return open_all(&sin, atoi(argv[4]), argc == 6 ? atoi(argv[5]) : 0);
}
