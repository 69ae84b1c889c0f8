// SPDX-License-Identifier: MIT
/*
 * dgram_sandboxed PEER PORT: a connected UDP socket used by a process that
 * inherited it through exec and put itself under a seccomp filter before
 * any other socket call (so, under the shim, it never spoke to the stack
 * host: no HELLO, socket() refused). The parent connects the socket to
 * PEER:PORT (a kernel echo) and execs this program again as the child,
 * which installs a filter that refuses socket() with EPERM, then writes a
 * short datagram, waits for the echo and reads it. One line per step, for
 * a differential run (test_dgram_sandboxed.sh).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS 10000

static void res(const char *step, long ret)
{
	if (ret < 0)
		printf("%s = -1 %s\n", step, strerrorname_np(errno));
	else
		printf("%s = %ld\n", step, ret);
	fflush(stdout);
}

static int child(int fd)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof(f) / sizeof(f[0]), f};
	struct pollfd p = {fd, POLLIN, 0};
	char buf[64];
	ssize_t n;

	res("no_new_privs", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	res("seccomp", prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog));
	/*
	 * Refused both ways, by the filter (EPERM) or, under the shim, by a
	 * stack whose set-up could not look up its interface (ENONET: README,
	 * "What still bypasses the stack"); it must not hang.
	 */
	printf("socket %s\n", socket(AF_INET, SOCK_DGRAM, 0) < 0 ? "refused" : "made");
	res("write", write(fd, "sbx-hello", 9));
	res("poll", poll(&p, 1, WAIT_MS));
	n = read(fd, buf, sizeof(buf));
	res("read", n);
	if (n > 0)
		printf("data %.*s\n", (int)n, buf);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	char fdarg[16];
	int fd, status;
	pid_t pid;

	if (argc == 3 && !strcmp(argv[1], "child"))
		return child(atoi(argv[2]));
	if (argc != 3 || inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) {
		fprintf(stderr, "usage: dgram_sandboxed PEER PORT\n");
		return 2;
	}
	a.sin_port = htons((uint16_t)atoi(argv[2]));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	res("parent connect", connect(fd, (struct sockaddr *)&a, sizeof(a)));
	snprintf(fdarg, sizeof(fdarg), "%d", fd);
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", "dgram_sandboxed", "child", fdarg, (char *)NULL);
		_exit(127);
	}
	res("wait", waitpid(pid, &status, 0) == pid ? WEXITSTATUS(status) : -1);
	return 0;
}
