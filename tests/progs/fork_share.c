// SPDX-License-Identifier: MIT
/*
 * fork_share ADDR PORT: one TCP connection used by two processes.
 *
 * Connects to an echo server, checks one exchange, then forks. The child
 * writes a line, reads its echo and closes its copy of the socket (which
 * must not close the connection: the parent still holds it). The parent
 * waits for the child, writes its own line, reads its echo, half-closes and
 * expects the server's EOF. Prints one line per step; exits 0 only if every
 * step matched. Runs the same natively and under the shim.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define TIMEOUT_MS 10000

static void die(const char *who, const char *what)
{
	printf("%s: %s (%s)\n", who, what, errno ? strerror(errno) : "no errno");
	fflush(stdout);
	exit(1);
}

/* Reads one line (up to '\n'), a byte at a time so nothing of the next line
 * is consumed; returns its length, 0 at EOF, -1 on error or timeout. */
static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&pfd, 1, TIMEOUT_MS) != 1) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = read(fd, buf + n, 1);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = '\0';
	return (int)n;
}

static void exchange(int fd, const char *who)
{
	char line[128], echo[128];
	int len;

	len = snprintf(line, sizeof(line), "%s %d says hello\n", who, (int)getpid());
	if (write(fd, line, len) != len)
		die(who, "write failed");
	errno = 0;
	if (read_line(fd, echo, sizeof(echo)) != len || strcmp(line, echo) != 0)
		die(who, "echo missing or different");
	printf("%s: echo ok\n", who);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	char buf[16];
	pid_t child;
	int fd, status;

	if (argc != 3 || inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1) {
		fprintf(stderr, "usage: fork_share IPV4ADDR PORT\n");
		return 2;
	}
	sin.sin_port = htons((uint16_t)atoi(argv[2]));

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("parent", "socket failed");
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		die("parent", "connect failed");
	exchange(fd, "before-fork");

	child = fork();
	if (child < 0)
		die("parent", "fork failed");
	if (child == 0) {
		exchange(fd, "child");
		if (close(fd) < 0)
			die("child", "close failed");
		_exit(0);
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errno = 0;
		die("parent", "the child failed");
	}

	/* The child's close dropped one reference: the connection lives on. */
	exchange(fd, "parent");
	if (shutdown(fd, SHUT_WR) < 0)
		die("parent", "shutdown(SHUT_WR) failed");
	errno = 0;
	if (read_line(fd, buf, sizeof(buf)) != 0)
		die("parent", "expected EOF from the server after the half-close");
	printf("parent: eof ok\n");
	close(fd);
	return 0;
}
