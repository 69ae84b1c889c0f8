// SPDX-License-Identifier: MIT
/*
 * dgram_sandboxed PEER PORT: connected UDP sockets used by a process that
 * put itself under a seccomp filter before any other socket call (so,
 * under the shim, it never spoke to the stack host: no HELLO, socket()
 * refused). The parent connects a socket to PEER:PORT (a kernel echo) and
 * execs this program again as the child, which gets the socket by exec,
 * installs a filter that refuses socket() with EPERM, then writes a short
 * datagram, waits for the echo and reads it; sends one of 48 bytes (more
 * than the pair's header) with PEER's address and reads it with its
 * source; writes another with a raw write(2) and reads it through libc.
 * Then it takes a second connected socket that the parent passes it with
 * SCM_RIGHTS and does the same with it at once. Last it execs this
 * program once more as the heir, which inherits the filter across exec
 * and tries socket() with bad arguments: the filter answers first there
 * too. One line per step, for a differential run (test_dgram_sandboxed.sh).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
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

static struct sockaddr_in peer_addr;

/* A 48-byte datagram sent (addressed, or by a raw write) and its echo read. */
static void exchange(int fd, const char *tag, bool addressed)
{
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	struct pollfd p = {fd, POLLIN, 0};
	char out[48], in[64], step[64];
	ssize_t n;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)('a' + (i * 7 + (addressed ? 3 : 5)) % 26);
	snprintf(step, sizeof(step), "%s %s", tag, addressed ? "sendto" : "raw write");
	res(step, addressed ? sendto(fd, out, sizeof(out), 0, (struct sockaddr *)&peer_addr,
				     sizeof(peer_addr))
			    : syscall(SYS_write, fd, out, sizeof(out)));
	snprintf(step, sizeof(step), "%s poll", tag);
	res(step, poll(&p, 1, WAIT_MS));
	memset(&from, 0, sizeof(from));
	n = recvfrom(fd, in, sizeof(in), MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
	snprintf(step, sizeof(step), "%s recvfrom", tag);
	res(step, n);
	if (n >= 0)
		printf("%s echo %s, from %s\n", tag,
		       n == sizeof(out) && !memcmp(in, out, sizeof(out)) ? "same" : "differs",
		       from.sin_addr.s_addr == peer_addr.sin_addr.s_addr &&
				       from.sin_port == peer_addr.sin_port
			       ? "the peer"
			       : "elsewhere");
	fflush(stdout);
}

/* The one fd that came with a message on sp (SCM_RIGHTS), or -1. */
static int recv_fd(int sp)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	char byte;
	struct iovec iov = {&byte, 1};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = u.buf,
			   .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm;
	ssize_t n;
	int fd = -1;

	/*
	 * The parent sends the fd only when asked and says so before it lets
	 * this go on: its line and this process's come in one order.
	 */
	if (write(sp, "?", 1) != 1)
		return -1;
	n = recvmsg(sp, &m, 0);
	if (read(sp, &byte, 1) != 1)
		return -1;
	res("passed recvmsg", n);
	cm = CMSG_FIRSTHDR(&m);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	return fd;
}

static int child(int fd, int sp)
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
	int status;
	pid_t pid;
	ssize_t n;

	res("no_new_privs", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	res("seccomp", prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog));
	/*
	 * Refused both ways with the filter's errno, though under the shim the
	 * stack's set-up could not look up its interface nor reach the host;
	 * it must not hang.
	 */
	res("socket", socket(AF_INET, SOCK_DGRAM, 0));
	res("socket stream", socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
	/* seccomp runs before sys_socket's checks: the filter's errno, not EINVAL. */
	res("socket, bad flag", socket(AF_INET, SOCK_DGRAM | 0x40000000, 0));
	res("socket, bad type", socket(AF_INET, 42, 0));
	res("socket AF_INET6", socket(AF_INET6, SOCK_DGRAM, 0));
	res("write", write(fd, "sbx-hello", 9));
	res("poll", poll(&p, 1, WAIT_MS));
	n = read(fd, buf, sizeof(buf));
	res("read", n);
	if (n > 0)
		printf("data %.*s\n", (int)n, buf);
	exchange(fd, "inherited", true);
	exchange(fd, "inherited", false);
	fd = recv_fd(sp);
	printf("passed socket %s\n", fd >= 0 ? "came" : "missing");
	if (fd >= 0) {
		exchange(fd, "passed", true);
		exchange(fd, "passed", false);
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", "dgram_sandboxed", "heir", (char *)NULL);
		_exit(127);
	}
	res("heir", waitpid(pid, &status, 0) == pid ? WEXITSTATUS(status) : -1);
	return 0;
}

/* Under the filter the child installed before exec: it answers before sys_socket's checks. */
static int heir(void)
{
	res("heir socket, bad flag", socket(AF_INET, SOCK_DGRAM | 0x40000000, 0));
	res("heir socket, bad type", socket(AF_INET, 42, 0));
	res("heir socket AF_INET6", socket(AF_INET6, SOCK_DGRAM, 0));
	res("heir socket", socket(AF_INET, SOCK_STREAM, 0));
	return 0;
}

static void send_fd(int sp, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} u = {0};
	struct iovec iov = {"f", 1};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = u.buf,
			   .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	res("parent sendmsg", sendmsg(sp, &m, 0));
}

int main(int argc, char **argv)
{
	struct sockaddr_in *a = &peer_addr;
	char fdarg[16], sparg[16];
	int fd, fd2, sp[2], status;
	pid_t pid;

	if (argc == 2 && !strcmp(argv[1], "heir"))
		return heir();
	if (argc != 3 && !(argc == 6 && !strcmp(argv[1], "child")))
		goto usage;
	a->sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[argc - 2], &a->sin_addr) != 1)
		goto usage;
	a->sin_port = htons((uint16_t)atoi(argv[argc - 1]));
	if (argc == 6)
		return child(atoi(argv[2]), atoi(argv[3]));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	res("parent connect", connect(fd, (struct sockaddr *)a, sizeof(*a)));
	/* Not inherited: it goes to the child later, by SCM_RIGHTS. */
	fd2 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	res("parent connect passed", connect(fd2, (struct sockaddr *)a, sizeof(*a)));
	res("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sp));
	snprintf(fdarg, sizeof(fdarg), "%d", fd);
	snprintf(sparg, sizeof(sparg), "%d", sp[1]);
	pid = fork();
	if (pid == 0) {
		close(sp[0]);
		execl("/proc/self/exe", "dgram_sandboxed", "child", fdarg, sparg, argv[1], argv[2],
		      (char *)NULL);
		_exit(127);
	}
	close(sp[1]);
	/* When the child asks (recv_fd); it prints on once this side has. */
	if (read(sp[0], &(char){0}, 1) == 1) {
		send_fd(sp[0], fd2);
		if (write(sp[0], "g", 1) != 1) /* the child then has no fd to tell of */
			perror("write");
	}
	close(fd2);
	res("wait", waitpid(pid, &status, 0) == pid ? WEXITSTATUS(status) : -1);
	return 0;
usage:
	fprintf(stderr, "usage: dgram_sandboxed PEER PORT\n");
	return 2;
}
