// SPDX-License-Identifier: MIT
/*
 * sig_ctl PEER PORT CALLS: socket calls from a signal handler that
 * interrupted the same thread's socket calls on the same socket, as
 * iperf3's SIGTERM handler does with getsockopt(TCP_INFO).
 *
 * Connects a TCP socket to PEER:PORT, then the main thread loops
 * getsockopt(TCP_INFO) and getsockname() on it while an interval timer
 * (ITIMER_REAL, 150 us) fires a SIGALRM handler that makes the same two
 * calls on the same socket and checks their answers: ESTABLISHED, the
 * socket's own address, errno untouched. It stops after CALLS handler runs
 * (the main thread may make few calls meanwhile where a handler's calls
 * take longer than the interval).
 * On the kernel both are plain system calls and this always finishes; a
 * hang is the failure (the caller runs it under a deadline).
 *
 * Prints "ok HANDLER_CALLS handler calls, N inside a main-thread call, M
 * main-thread calls" and exits 0, or "FAIL ..." and exits 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define SENTINEL 4242 /* no errno value: only the caller can have put it there */

static int sock;
static long calls; /* handler runs wanted */
static struct sockaddr_in self;
static volatile sig_atomic_t in_call;	    /* the main thread is inside one of its calls */
static volatile sig_atomic_t handler_calls; /* handler runs so far */
static volatile sig_atomic_t inside;	    /* handler runs that interrupted a main-thread call */
static volatile sig_atomic_t failed;	    /* the first failure's code, 0 if none */

/* 0 if the socket answers as the connected socket it is, else a failure code. */
static int check_socket(void)
{
	struct tcp_info ti;
	struct sockaddr_in a;
	socklen_t len = sizeof(ti);

	errno = SENTINEL;
	if (getsockopt(sock, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return 1;
	if (errno != SENTINEL)
		return 2;
	if (len != sizeof(ti) || ti.tcpi_state != TCP_ESTABLISHED)
		return 3;
	len = sizeof(a);
	if (getsockname(sock, (struct sockaddr *)&a, &len) < 0)
		return 4;
	if (errno != SENTINEL)
		return 5;
	if (len != sizeof(a) || a.sin_family != AF_INET || a.sin_port != self.sin_port ||
	    a.sin_addr.s_addr != self.sin_addr.s_addr)
		return 6;
	return 0;
}

static void on_alarm(int sig)
{
	int saved = errno, r;

	(void)sig;
	/* A control call may outlast the interval: signals queue up behind it. */
	if (handler_calls >= calls)
		return;
	if (in_call)
		inside++;
	r = check_socket();
	if (r && !failed)
		failed = 10 + r;
	handler_calls++;
	errno = saved;
}

int main(int argc, char **argv)
{
	struct itimerval it = {{0, 150}, {0, 150}};
	struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
	struct sockaddr_in peer = {.sin_family = AF_INET};
	socklen_t len = sizeof(self);
	long main_calls = 0;
	int r;

	if (argc != 4 || inet_pton(AF_INET, argv[1], &peer.sin_addr) != 1) {
		fprintf(stderr, "usage: sig_ctl PEER PORT CALLS\n");
		return 2;
	}
	peer.sin_port = htons((uint16_t)atoi(argv[2]));
	calls = atol(argv[3]);
	sock = socket(AF_INET, SOCK_STREAM, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&peer, sizeof(peer)) < 0 ||
	    getsockname(sock, (struct sockaddr *)&self, &len) < 0) {
		printf("FAIL connect to %s:%s: %s\n", argv[1], argv[2], strerror(errno));
		return 1;
	}
	if (sigaction(SIGALRM, &sa, NULL) < 0 || setitimer(ITIMER_REAL, &it, NULL) < 0) {
		printf("FAIL timer: %s\n", strerror(errno));
		return 1;
	}
	while (handler_calls < calls && !failed) {
		in_call = 1;
		r = check_socket();
		in_call = 0;
		if (r && !failed)
			failed = r;
		main_calls++;
	}
	setitimer(ITIMER_REAL, &(struct itimerval){{0, 0}, {0, 0}}, NULL);
	if (failed) {
		printf("FAIL %s, check %d, after %d handler calls\n",
		       failed > 10 ? "in the handler" : "in the main thread", failed % 10,
		       (int)handler_calls);
		return 1;
	}
	printf("ok %d handler calls, %d inside a main-thread call, %ld main-thread calls\n",
	       (int)handler_calls, (int)inside, main_calls);
	return 0;
}
