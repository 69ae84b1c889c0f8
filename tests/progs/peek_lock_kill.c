// SPDX-License-Identifier: MIT
/*
 * peek_lock_kill PEER: a UDP socket with SO_PEEK_OFF whose reader is killed
 * in the middle of its read, then read by the process that is left.
 *
 * PEER echoes UDP datagrams on port 7104. The socket gets "aaaa" and
 * "bbbb" back and its offset is set to 0; then, twice, a fork child that
 * shares it reads it (a MSG_PEEK, then a plain read) under ptrace and is
 * SIGKILLed at the entry of its first system call on the socket: the
 * kernel's recvfrom, or under the shim the pair's SO_PEEK_OFF or recvmsg
 * that it makes holding the socket's lock (shim_sk_lock). The parent's
 * read of the same kind must then complete (alarm: a deadline, "stuck"
 * past it). stdout is compared with the kernel's; stderr says where each
 * child was stopped.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	printf("FAIL %s: %s\n", what, strerror(errno));
	exit(1);
}

static void stuck(int sig)
{
	static const char msg[] = "stuck: the read waits for the killed reader\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

static int peek_off(int s)
{
	int v = -2;
	socklen_t len = sizeof(v);

	if (getsockopt(s, SOL_SOCKET, SO_PEEK_OFF, &v, &len) < 0)
		die("getsockopt SO_PEEK_OFF");
	return v;
}

static void show(const char *what, int s, int flags)
{
	char buf[16];
	ssize_t n;

	alarm(20);
	n = recv(s, buf, sizeof(buf), flags);
	alarm(0);
	if (n < 0)
		die(what);
	printf("%s: %.*s, offset %d\n", what, (int)n, buf, peek_off(s));
}

/* The child's first system call on the socket, or one the shim makes under its lock. */
static const char *reader_call(const struct __ptrace_syscall_info *i, int s)
{
	const uint64_t *a = i->entry.args;

	if (i->op != PTRACE_SYSCALL_INFO_ENTRY)
		return NULL;
	if (i->entry.nr == SYS_setsockopt && a[1] == SOL_SOCKET && a[2] == SO_PEEK_OFF)
		return "setsockopt SO_PEEK_OFF";
	if ((i->entry.nr == SYS_recvfrom || i->entry.nr == SYS_recvmsg) && a[0] == (uint64_t)s)
		return i->entry.nr == SYS_recvfrom ? "recvfrom" : "recvmsg";
	return NULL;
}

/* A child reads s with flags and is killed at its read's first system call. */
static void killed_reader(int s, int flags, const char *what)
{
	struct __ptrace_syscall_info info;
	const char *at = NULL;
	char buf[16];
	int st;
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(3);
		raise(SIGSTOP);
		if (recv(s, buf, sizeof(buf), flags) < 0)
			_exit(4);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st))
		die("the child's stop");
	if (ptrace(PTRACE_SETOPTIONS, pid, NULL, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL) < 0)
		die("PTRACE_SETOPTIONS");
	while (!at) {
		if (ptrace(PTRACE_SYSCALL, pid, NULL, NULL) < 0)
			die("PTRACE_SYSCALL");
		if (waitpid(pid, &st, 0) != pid)
			die("waitpid");
		if (!WIFSTOPPED(st)) {
			printf("FAIL %s: the child ended before its read\n", what);
			exit(1);
		}
		if (WSTOPSIG(st) != (SIGTRAP | 0x80))
			continue;
		if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(info), &info) < 0)
			die("PTRACE_GET_SYSCALL_INFO");
		at = reader_call(&info, s);
	}
	kill(pid, SIGKILL);
	if (waitpid(pid, &st, 0) != pid || !WIFSIGNALED(st))
		die("the child's death");
	fprintf(stderr, "%s: the child was killed at %s\n", what, at);
	printf("%s: a child sharing the socket was killed in its read\n", what);
}

int main(int argc, char **argv)
{
	struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(7104)};
	struct timeval tv = {10, 0};
	struct sigaction sa = {.sa_handler = stuck};
	int s, zero = 0;

	if (argc < 2 || inet_pton(AF_INET, argv[1], &peer.sin_addr) != 1) {
		fprintf(stderr, "usage: peek_lock_kill PEER\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	sigaction(SIGALRM, &sa, NULL);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(s, (struct sockaddr *)&peer, sizeof(peer)) < 0 ||
	    setsockopt(s, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero)) < 0)
		die("the socket");
	if (send(s, "aaaa", 4, 0) != 4 || send(s, "bbbb", 4, 0) != 4)
		die("send");
	/* Both echoed: the second peek waits for the second datagram. */
	show("peek", s, MSG_PEEK);
	show("peek", s, MSG_PEEK);
	if (setsockopt(s, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero)) < 0)
		die("setsockopt SO_PEEK_OFF 0");
	killed_reader(s, MSG_PEEK, "peek");
	show("peek after the kill", s, MSG_PEEK);
	killed_reader(s, 0, "recv");
	show("recv after the kill", s, 0);
	show("peek at last", s, MSG_PEEK);
	return 0;
}
