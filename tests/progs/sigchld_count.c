// SPDX-License-Identifier: MIT
/*
 * sigchld_count: the SIGCHLD a program sees are those of its own children.
 *
 * Reaps in its SIGCHLD handler as ncat -l does (waitpid(-1, WNOHANG) in a
 * loop, one count per child reaped), then makes a TCP socket and listens
 * (under the shim, the first socket() of the namespace starts the stack
 * host), checks that no signal came and that it has no child to wait for,
 * then forks one child of its own and waits, with a deadline, for the
 * handler to have reaped it. Prints one line per step; the lines are the
 * same natively and under the shim. Exits 0 only if every step matched.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t signals, reaped;

static void on_sigchld(int sig)
{
	int saved = errno;

	(void)sig;
	signals++;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		reaped++;
	errno = saved;
}

static void on_alarm(int sig)
{
	(void)sig;
	/* The deadline: the child was never reaped. */
	_exit(2);
}

static void step(const char *what, int ok)
{
	printf("%s: signals %d reaped %d%s\n", what, (int)signals, (int)reaped,
	       ok ? "" : " (wrong)");
	fflush(stdout);
	if (!ok)
		exit(1);
}

int main(void)
{
	struct sigaction sa = {.sa_handler = on_sigchld, .sa_flags = SA_RESTART};
	sigset_t chld, old;
	pid_t child;
	int fd, r;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGCHLD, &sa, NULL) || signal(SIGALRM, on_alarm) == SIG_ERR)
		return 1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || listen(fd, 4)) {
		printf("socket/listen: %s\n", strerror(errno));
		return 1;
	}
	step("after socket and listen", signals == 0 && reaped == 0);

	r = waitpid(-1, NULL, WNOHANG);
	printf("waitpid(-1): %d%s\n", r, r < 0 && errno == ECHILD ? " ECHILD" : "");
	if (r != -1 || errno != ECHILD)
		return 1;

	/* Blocked until sigsuspend, so the child's signal cannot come between test and wait. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0)
		_exit(7);
	alarm(20);
	while (reaped < 1)
		sigsuspend(&old);
	alarm(0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	step("after one child", signals == 1 && reaped == 1);

	close(fd);
	step("after close", signals == 1 && reaped == 1);
	return 0;
}
