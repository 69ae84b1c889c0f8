/* SPDX-License-Identifier: MIT */
/*
 * What a TCP socket's send buffer holds when the peer stops reading:
 * sndbuf_bound ADDR PORT connects to a kernel peer that never reads (its
 * receive buffer kept small, so the sender's buffer is most of what is
 * taken) and, for SO_SNDBUF left alone and set to 4096, 65536 and 1 MiB:
 *
 * - writes non-blocking until EAGAIN, again at each POLLOUT, until the
 *   connection is still (nothing in flight, the peer's window too small to
 *   send into), then prints SO_SNDBUF, the bytes taken, SIOCOUTQ,
 *   SIOCOUTQNSD and the poll bits;
 * - on a second connection, a blocking write of four times that count
 *   from a thread: once still, the write must not have returned; a signal
 *   then ends it (no SA_RESTART) and the count it returns is printed.
 *
 * Run on the kernel and under the shim against the same peer; the test
 * compares the numbers (test_sndbuf_bound.sh, with the tolerance the
 * kernel's per-skb accounting needs). A line "stuck" means the connection
 * never went still within the deadline.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK	    65536
#define DEADLINE_MS 30000
#define STILL_MS    20 /* a connection must look still this long, twice in a row */

static struct sockaddr_in peer;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_peer(int sndbuf)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0) {
		perror("socket");
		exit(1);
	}
	if (sndbuf && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf))) {
		perror("SO_SNDBUF");
		exit(1);
	}
	if (connect(fd, (struct sockaddr *)&peer, sizeof(peer))) {
		perror("connect");
		exit(1);
	}
	return fd;
}

static int queue(int fd, unsigned long cmd)
{
	int v = -1;

	if (ioctl(fd, cmd, &v)) {
		perror("ioctl");
		exit(1);
	}
	return v;
}

/*
 * Still: nothing in flight (so no ACK will free room) and the peer's window
 * below one segment (so nothing more will be sent), twice STILL_MS apart.
 */
static int still_once(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len)) {
		perror("TCP_INFO");
		exit(1);
	}
	return queue(fd, SIOCOUTQ) == queue(fd, SIOCOUTQNSD) && ti.tcpi_snd_wnd < ti.tcpi_snd_mss;
}

static int still(int fd)
{
	int outq = queue(fd, SIOCOUTQ);

	if (!still_once(fd))
		return 0;
	poll(NULL, 0, STILL_MS);
	return still_once(fd) && queue(fd, SIOCOUTQ) == outq;
}

static const char *pollbits(int fd)
{
	static char s[64];
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT | POLLPRI | POLLRDHUP};

	s[0] = 0;
	if (poll(&p, 1, 0) < 0) {
		perror("poll");
		exit(1);
	}
	if (!p.revents)
		strcpy(s, "0");
	if (p.revents & POLLIN)
		strcat(s, "IN|");
	if (p.revents & POLLOUT)
		strcat(s, "OUT|");
	if (p.revents & POLLERR)
		strcat(s, "ERR|");
	if (p.revents & POLLHUP)
		strcat(s, "HUP|");
	if (s[strlen(s) - 1] == '|')
		s[strlen(s) - 1] = 0;
	return s;
}

/*
 * Non-blocking writes until the connection is still and a write after that
 * finds no room (ACKs that came while it looked still may have freed some,
 * and the kernel's POLLOUT then turns); returns the bytes taken, -1 if stuck.
 */
static long fill(int fd)
{
	static char buf[CHUNK];
	long total = 0, end = now_ms() + DEADLINE_MS;
	int was_still = 0;

	for (;;) {
		ssize_t n = send(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			total += n;
			was_still = 0;
			continue;
		}
		if (n < 0 && errno != EAGAIN) {
			perror("send");
			exit(1);
		}
		if (was_still)
			return total;
		was_still = still(fd);
		if (was_still)
			continue;
		if (now_ms() > end)
			return -1;
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		poll(&p, 1, STILL_MS);
	}
}

struct writer {
	int fd;
	size_t len;
	ssize_t ret;
	int err;
	atomic_int done;
};

static void *write_all(void *arg)
{
	struct writer *w = arg;
	char *buf = calloc(1, w->len);

	w->ret = write(w->fd, buf, w->len);
	w->err = errno;
	atomic_store(&w->done, 1);
	free(buf);
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void blocking(int sndbuf, long taken)
{
	struct writer w = {.fd = connect_peer(sndbuf), .len = (size_t)(4 * taken)};
	long end = now_ms() + DEADLINE_MS;
	pthread_t t;
	int returned;

	pthread_create(&t, NULL, write_all, &w);
	/* Still with the writer asleep in write(): what it has written is all the buffer takes. */
	while (!atomic_load(&w.done) && !still(w.fd) && now_ms() < end)
		poll(NULL, 0, STILL_MS);
	returned = atomic_load(&w.done);
	while (!atomic_load(&w.done)) {
		pthread_kill(t, SIGUSR1);
		poll(NULL, 0, STILL_MS);
	}
	pthread_join(t, NULL);
	if (returned)
		printf("  blocking write of %zu: returned %zd before the connection was still\n",
		       w.len, w.ret);
	else
		printf("  blocking write of %zu: blocked, a signal ends it with %zd (%s)\n", w.len,
		       w.ret, w.ret < 0 ? strerror(w.err) : "a count");
	close(w.fd);
}

int main(int argc, char **argv)
{
	static const int sizes[] = {0, 4096, 65536, 1 << 20};
	struct sigaction sa = {.sa_handler = on_usr1};

	if (argc != 3) {
		fprintf(stderr, "usage: sndbuf_bound ADDR PORT\n");
		return 2;
	}
	peer.sin_family = AF_INET;
	peer.sin_port = htons((uint16_t)atoi(argv[2]));
	inet_pton(AF_INET, argv[1], &peer.sin_addr);
	sigaction(SIGUSR1, &sa, NULL); /* no SA_RESTART: the signal ends a blocked write */
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int fd = connect_peer(sizes[i]), sb = 0;
		socklen_t len = sizeof(sb);
		long taken = fill(fd);

		getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, &len);
		if (taken < 0) {
			printf("SO_SNDBUF %d: stuck\n", sizes[i]);
			return 1;
		}
		printf("SO_SNDBUF %d: sndbuf %d taken %ld outq %d nsd %d poll %s\n", sizes[i], sb,
		       taken, queue(fd, SIOCOUTQ), queue(fd, SIOCOUTQNSD), pollbits(fd));
		close(fd);
		blocking(sizes[i], taken);
	}
	return 0;
}
