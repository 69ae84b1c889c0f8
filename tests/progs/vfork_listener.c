// SPDX-License-Identifier: MIT
/*
 * vfork_listener PORT: a vfork child must not touch its parent's sockets.
 *
 * Listens on PORT (and keeps a dup of the listener), then vforks a child
 * that closes the listener, dup2s stdin over the dup and execs /bin/true,
 * as programs do before exec. The child shares the parent's memory but not
 * its fds, so the parent must still have both: it prints the dup's address
 * family, "listening", then accepts one connection within 30 s and prints
 * the first byte it reads. Exits 0 only if all of that worked.
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child_closes(int lfd, int dupfd)
{
	pid_t pid = vfork();

	if (pid == 0) {
		close(lfd);
		dup2(0, dupfd);
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr_storage name;
	socklen_t len = sizeof(name);
	int lfd, dupfd, one = 1, status, c;
	struct pollfd pfd;
	char x = 0;
	pid_t pid;

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	sin.sin_port = htons((unsigned short)atoi(argv[1]));
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) || listen(lfd, 4))
		return perror("listen"), 1;
	dupfd = dup(lfd);
	pid = child_closes(lfd, dupfd);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return printf("the child failed\n"), 1;
	if (getsockname(dupfd, (struct sockaddr *)&name, &len))
		return perror("getsockname"), 1;
	printf("dup family %s\n", name.ss_family == AF_INET ? "AF_INET" : "other");
	printf("listening\n");
	pfd = (struct pollfd){.fd = lfd, .events = POLLIN};
	if (poll(&pfd, 1, 30000) != 1)
		return printf("no connection within 30 s\n"), 1;
	c = accept(lfd, NULL, NULL);
	if (c < 0 || read(c, &x, 1) != 1)
		return perror("accept/read"), 1;
	printf("accepted %c\n", x);
	return 0;
}
