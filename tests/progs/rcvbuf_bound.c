/* SPDX-License-Identifier: MIT */
/*
 * What a TCP socket's receive side takes from a sender while its program
 * does not read. Two roles:
 *
 * rcvbuf_bound peer PORT: a kernel sender. For each pair of connections it
 * accepts (control, then data) it writes a pattern on the data connection
 * as fast as it can, non-blocking, until the connection is still: nothing
 * in flight (so no ACK can still open the window) and the receiver's window
 * below one segment, twice STILL_MS apart. Then it sends "acked N" (the
 * bytes the receiver acknowledged, tcpi_bytes_acked) on the control
 * connection, writes the rest of TOTAL bytes blocking, and closes.
 *
 * rcvbuf_bound recv ADDR PORT: the receiver under test. For SO_RCVBUF left
 * alone and set to 4096, 65536 and 1 MiB (before connect, as a program
 * would), it connects control and data, reads nothing from the data
 * connection until the control line arrives, then prints SO_RCVBUF, the
 * peer's count and its own SIOCINQ, and reads the data connection to its end,
 * checking every byte of the pattern.
 *
 * Run on the kernel and under the shim against the same peer;
 * test_rcvbuf_bound.sh compares the numbers. "stuck" means the data
 * connection never went still within the deadline.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK	    65536
#define TOTAL	    (8L << 20) /* more than any receive side here holds */
#define DEADLINE_MS 30000
#define STILL_MS    20

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The pattern's byte at offset off: not periodic in any power of two a buffer has. */
static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 131 + off / 65521);
}

static void fill_pattern(uint8_t *buf, size_t len, uint64_t off)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern(off + i);
}

static int queue(int fd, unsigned long cmd)
{
	int v = -1;

	if (ioctl(fd, cmd, &v))
		die("ioctl");
	return v;
}

/* Still: nothing in flight, something waiting, and less than a segment of window. */
static int still_once(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len))
		die("TCP_INFO");
	return ti->tcpi_unacked == 0 && queue(fd, SIOCOUTQ) > 0 &&
	       ti->tcpi_snd_wnd < ti->tcpi_snd_mss;
}

static long still(int fd)
{
	struct tcp_info a, b;

	if (!still_once(fd, &a))
		return -1;
	poll(NULL, 0, STILL_MS);
	if (!still_once(fd, &b) || a.tcpi_bytes_acked != b.tcpi_bytes_acked)
		return -1;
	return (long)b.tcpi_bytes_acked;
}

static void send_all(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("send");
		buf += n;
		len -= (size_t)n;
	}
}

static void serve(int ctl, int fd)
{
	static uint8_t buf[CHUNK];
	long end = now_ms() + DEADLINE_MS, acked = -1;
	uint64_t off = 0;
	char line[64];

	/* Non-blocking until still; a chunk is filled once and offered until taken. */
	fill_pattern(buf, sizeof(buf), off);
	while (off < (uint64_t)TOTAL) {
		size_t want = TOTAL - off < CHUNK ? (size_t)(TOTAL - off) : CHUNK;
		ssize_t n = send(fd, buf, want, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			off += (uint64_t)n;
			fill_pattern(buf, sizeof(buf), off);
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			die("send");
		acked = still(fd);
		if (acked >= 0 || now_ms() > end)
			break;
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		poll(&p, 1, STILL_MS);
	}
	if (acked < 0)
		snprintf(line, sizeof(line), "stuck\n");
	else
		snprintf(line, sizeof(line), "acked %ld\n", acked);
	send_all(ctl, (const uint8_t *)line, strlen(line));
	while (off < (uint64_t)TOTAL) {
		size_t want = TOTAL - off < CHUNK ? (size_t)(TOTAL - off) : CHUNK;

		send_all(fd, buf, want);
		off += want;
		fill_pattern(buf, sizeof(buf), off);
	}
	close(fd);
	close(ctl);
}

static _Noreturn void peer_main(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);

	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 8))
		die("listen");
	for (;;) {
		int ctl = accept(l, NULL, NULL), fd = accept(l, NULL, NULL);

		if (ctl < 0 || fd < 0)
			die("accept");
		serve(ctl, fd);
	}
}

static int connect_to(const struct sockaddr_in *to, int rcvbuf)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)))
		die("SO_RCVBUF");
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)))
		die("connect");
	return fd;
}

static void receive_case(const struct sockaddr_in *to, int set)
{
	static uint8_t buf[CHUNK];
	int ctl = connect_to(to, 0), fd = connect_to(to, set), rcvbuf = 0;
	socklen_t len = sizeof(rcvbuf);
	char line[64] = {0};
	size_t got = 0;
	uint64_t off = 0;
	ssize_t n;

	/* The peer's line comes once the data connection is still (or stuck). */
	while (got < sizeof(line) - 1 && !memchr(line, '\n', got)) {
		n = read(ctl, line + got, sizeof(line) - 1 - got);
		if (n <= 0)
			die("control read");
		got += (size_t)n;
	}
	*strchr(line, '\n') = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len))
		die("SO_RCVBUF");
	printf("SO_RCVBUF %d: rcvbuf %d %s inq %d\n", set, rcvbuf, line, queue(fd, SIOCINQ));
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != pattern(off + (uint64_t)i)) {
				printf("  byte %llu differs\n",
				       (unsigned long long)(off + (uint64_t)i));
				exit(1);
			}
		}
		off += (uint64_t)n;
	}
	if (n < 0)
		die("read");
	printf("  read %llu of %ld\n", (unsigned long long)off, TOTAL);
	fflush(stdout);
	close(fd);
	close(ctl);
}

int main(int argc, char **argv)
{
	static const int sizes[] = {0, 4096, 65536, 1 << 20};
	struct sockaddr_in to = {.sin_family = AF_INET};

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "peer"))
		peer_main(atoi(argv[2]));
	if (argc != 4 || strcmp(argv[1], "recv") ||
	    inet_pton(AF_INET, argv[2], &to.sin_addr) != 1) {
		fprintf(stderr, "usage: rcvbuf_bound peer PORT | recv ADDR PORT\n");
		return 2;
	}
	to.sin_port = htons((uint16_t)atoi(argv[3]));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		receive_case(&to, sizes[i]);
	return 0;
}
