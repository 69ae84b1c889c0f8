// SPDX-License-Identifier: MIT
/*
 * prefork_accept PORT N: a pre-forking server that daemonizes.
 *
 * Listens on PORT, forks N workers and exits at once, so that the process
 * that created the listening socket is gone before any connection arrives
 * (as a daemon's parent is). Each worker blocks in accept4() on the inherited
 * listening fd, sends "worker <pid> <peer-address>\n", closes the connection
 * and exits. The caller connects N times and checks that N different workers
 * answered. Used natively and under the shim: accept() has to work in every
 * process that holds the listening fd.
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int serve_one(int lfd)
{
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	char line[96];
	int cfd, n;

	cfd = accept4(lfd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
	if (cfd < 0) {
		perror("accept4");
		return 1;
	}
	if (len != sizeof(peer) || peer.sin_family != AF_INET) {
		fprintf(stderr, "accept4: bad peer address (len %u)\n", len);
		return 1;
	}
	n = snprintf(line, sizeof(line), "worker %d %s\n", getpid(), inet_ntoa(peer.sin_addr));
	if (write(cfd, line, (size_t)n) != n) {
		perror("write");
		return 1;
	}
	return close(cfd) ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int lfd, one = 1, i, workers;

	if (argc != 3) {
		fprintf(stderr, "usage: prefork_accept PORT N\n");
		return 2;
	}
	a.sin_port = htons((uint16_t)atoi(argv[1]));
	workers = atoi(argv[2]);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 16)) {
		perror("listen socket");
		return 1;
	}
	for (i = 0; i < workers; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0)
			_exit(serve_one(lfd));
	}
	/* The creator leaves; the workers keep the listener alive. */
	printf("listening on %s with %d workers\n", argv[1], workers);
	return 0;
}
