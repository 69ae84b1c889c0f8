/* SPDX-License-Identifier: MIT */
/*
 * How an autotuned send buffer grows under a bulk writer: sndbuf_grow ADDR
 * PORT MS connects to a kernel sink and writes as iperf3 does (128 KiB
 * non-blocking writes, POLLOUT after a short one) for MS milliseconds,
 * reading SO_SNDBUF every millisecond. It prints SO_SNDBUF at
 * establishment, the milliseconds until it first grew (-1: never), the
 * largest it reached, the bytes written, the writes and the short ones,
 * and the congestion window at the end (TCP_INFO).
 *
 * Run on the kernel and under the shim against the same sink: the kernel's
 * buffer grows within a few round trips (tcp_new_space once the window is
 * no longer full), and so must the stack's (test_sndbuf_grow.sh).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (128 * 1024)

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int sndbuf(int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &len) < 0) {
		perror("getsockopt SO_SNDBUF");
		exit(1);
	}
	return v;
}

int main(int argc, char **argv)
{
	static char buf[CHUNK];
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct tcp_info ti = {0};
	socklen_t tlen = sizeof(ti);
	long long bytes = 0, writes = 0, shorts = 0;
	double start, end, next, grew = -1;
	int fd, first, most;

	if (argc != 4 || inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1) {
		fprintf(stderr, "usage: sndbuf_grow ADDR PORT MS\n");
		return 2;
	}
	sin.sin_port = htons((uint16_t)atoi(argv[2]));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("connect");
		return 1;
	}
	memset(buf, 'x', sizeof(buf));
	first = most = sndbuf(fd);
	start = now_ms();
	end = start + atof(argv[3]);
	next = start + 1;
	for (double t = start; t < end; t = now_ms()) {
		ssize_t n = send(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && errno != EAGAIN) {
			perror("send");
			return 1;
		}
		writes++;
		if (n > 0)
			bytes += n;
		if (n < (ssize_t)sizeof(buf)) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};

			shorts++;
			poll(&p, 1, 100);
		}
		if (t >= next) {
			int v = sndbuf(fd);

			if (v > first && grew < 0)
				grew = t - start;
			if (v > most)
				most = v;
			next = t + 1;
		}
	}
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tlen) < 0) {
		perror("getsockopt TCP_INFO");
		return 1;
	}
	printf("sndbuf %d grew_ms %.1f most %d bytes %lld writes %lld short %lld cwnd %u\n", first,
	       grew, most, bytes, writes, shorts, ti.tcpi_snd_cwnd);
	return 0;
}
