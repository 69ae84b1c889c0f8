/* SPDX-License-Identifier: MIT */
/*
 * accept_reset PORT [addr]: listens on PORT, accepts one connection without
 * asking for its address (accept(fd, NULL, NULL)), waits until it is
 * readable and prints what read() returns. When the peer reset the
 * connection before the accept, Linux answers "read -1 ECONNRESET".
 * With "addr": accepts only after a line on stdin (the caller's word that
 * the reset has arrived) and asks for the address, which Linux gives even
 * for a connection reset since (inet_accept asks inet_getname with peer 2):
 * "accepted from ADDR:PORT len 16".
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET}, from;
	socklen_t flen = sizeof(from);
	int l, c, one = 1, addr = argc == 3 && !strcmp(argv[2], "addr");
	struct pollfd p;
	char buf[100];
	ssize_t n;

	if (argc != 2 && !addr)
		return 2;
	a.sin_port = htons((uint16_t)atoi(argv[1]));
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 4)) {
		perror("accept_reset: listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	if (addr && !fgets(buf, sizeof(buf), stdin))
		return 1;
	c = addr ? accept(l, (struct sockaddr *)&from, &flen) : accept(l, NULL, NULL);
	if (c < 0) {
		perror("accept_reset: accept");
		return 1;
	}
	if (addr)
		printf("accepted from %s:%u len %u\n", inet_ntoa(from.sin_addr),
		       ntohs(from.sin_port), flen);
	p = (struct pollfd){.fd = c, .events = POLLIN};
	if (poll(&p, 1, 30000) != 1) {
		printf("not readable\n");
		return 1;
	}
	n = read(c, buf, sizeof(buf));
	printf("read %zd %s\n", n,
	       n < 0 ? (errno == ECONNRESET ? "ECONNRESET" : strerror(errno)) : "");
	return 0;
}
