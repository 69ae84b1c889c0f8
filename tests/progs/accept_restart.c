/* SPDX-License-Identifier: MIT */
/*
 * accept_restart PORT: installs a SIGUSR1 handler with SA_RESTART, listens
 * on PORT and blocks in accept(). The handler writes "signal" to stdout.
 * Prints "listening PID" before the accept and "accept ok" or
 * "accept -1 ERRNO" after it. Linux restarts the accept after the handler,
 * so a signal while it waits must not end it: "accept ok" once a peer
 * connects.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void on_usr1(int sig)
{
	static const char msg[] = "signal\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(3);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
	struct sockaddr_in a = {.sin_family = AF_INET};
	int l, c, one = 1;

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IONBF, 0);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0) {
		perror("accept_restart: sigaction");
		return 1;
	}
	a.sin_port = htons((uint16_t)atoi(argv[1]));
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 4)) {
		perror("accept_restart: listen");
		return 1;
	}
	printf("listening %d\n", (int)getpid());
	c = accept(l, NULL, NULL);
	if (c < 0) {
		printf("accept -1 %s\n", errno == EINTR ? "EINTR" : strerror(errno));
		return 0;
	}
	printf("accept ok\n");
	close(c);
	return 0;
}
