/* SPDX-License-Identifier: MIT */
/*
 * What the error-queue test programs (errq_wake, tcp_stamp) share: the
 * message that ends them on a failed call, a monotonic clock in ms for
 * their deadlines, and a connected TCP_NODELAY client socket (each send
 * leaves as its own segment, so each gets its own stamp or completion).
 * The includer defines _GNU_SOURCE first (program_invocation_short_name).
 */
#ifndef SOCKSHIM_TEST_TCP_CLIENT_H
#define SOCKSHIM_TEST_TCP_CLIENT_H

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* "PROGRAM: WHAT: strerror(errno)" on stderr, and exit 1. */
static inline void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, strerror(errno));
	exit(1);
}

static inline long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* A blocking TCP socket connected to PEER:PORT, TCP_NODELAY on; dies else. */
static inline int tcp_connect_nodelay(struct in_addr peer, int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = peer};
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (s < 0)
		die("socket");
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)))
		die("connect");
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return s;
}

#endif
