// SPDX-License-Identifier: MIT
/*
 * fd_census: what a program can see of its own process, printed so that a
 * run under the interposer can be compared byte for byte with a native one
 * (test_program_matrix.sh). It never creates an AF_INET socket, so the
 * library must leave no trace at all: no extra fd, thread or child.
 *
 * It takes a census at the start of main, then does what programs do that
 * the interposer must let through unchanged (AF_UNIX sockets, pipes, dup2,
 * fork, vfork + exec, posix_spawn, syscall(), a signal handler that writes
 * and closes), and takes the census again. Each census line is an fd with
 * its kind, its target when it is a file and its flags, then the number of
 * threads and each thread's children.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *kind(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:
		return "file";
	case S_IFDIR:
		return "dir";
	case S_IFCHR:
		return "chr";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "socket";
	default:
		return "other";
	}
}

static void census(const char *when)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	char path[64], target[256], line[1024];
	int threads = 0;

	printf("census %s\n", when);
	if (!d) {
		printf("  no /proc/self/fd\n");
		return;
	}
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		struct stat st;
		ssize_t n;

		if (de->d_name[0] == '.' || fd == dirfd(d) || fstat(fd, &st))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = 0;
		/*
		 * Pipe and socket inode numbers differ from run to run, and so
		 * do the files a caller gives as stdio; other files do not.
		 */
		if ((!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISCHR(st.st_mode)) ||
		    fd <= 2)
			target[0] = 0;
		printf("  fd %d %s %s fdflags %#x flflags %#x\n", fd, kind(st.st_mode), target,
		       fcntl(fd, F_GETFD), fcntl(fd, F_GETFL));
	}
	closedir(d);
	d = opendir("/proc/self/task");
	while (d && (de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		threads++;
		snprintf(line, sizeof(line), "/proc/self/task/%s/children", de->d_name);
		f = fopen(line, "r");
		if (f && fgets(line, sizeof(line), f) && line[0])
			printf("  a thread has children: %s\n", line);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	printf("  threads %d\n", threads);
}

static int pipe_w = -1;

static void on_usr1(int sig)
{
	int fd = dup(pipe_w);

	(void)sig;
	(void)!write(fd, "s", 1);
	close(fd);
}

static int wait_ok(pid_t pid, const char *what)
{
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		printf("%s failed\n", what);
		return 0;
	}
	printf("%s ok\n", what);
	return 1;
}

/* Only what vfork allows in the child: dup2 and exec. */
static pid_t vfork_exec(int fd, char **argv)
{
	pid_t pid = vfork();

	if (pid == 0) {
		dup2(fd, 21);
		execve(argv[0], argv, environ);
		_exit(127);
	}
	return pid;
}

int main(void)
{
	char *argv[] = {"/bin/true", NULL};
	int sv[2], p[2], ok = 1;
	char c;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	census("at start");

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) || pipe2(p, O_CLOEXEC))
		return 1;
	pipe_w = p[1];
	dup2(sv[0], 20);
	close(20);
	printf("getpid by syscall matches: %d\n", syscall(SYS_getpid) == getpid());

	pid = fork();
	if (pid == 0)
		_exit(write(sv[1], "f", 1) == 1 ? 0 : 1);
	ok &= wait_ok(pid, "fork");
	ok &= read(sv[0], &c, 1) == 1 && c == 'f';

	ok &= wait_ok(vfork_exec(sv[1], argv), "vfork+exec");

	ok &= posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) == 0;
	ok &= wait_ok(pid, "posix_spawn");

	signal(SIGUSR1, on_usr1);
	raise(SIGUSR1);
	ok &= read(p[0], &c, 1) == 1 && c == 's';
	printf("signal handler wrote: %d\n", ok);

	close(sv[0]);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
	census("at end");
	return ok ? 0 : 1;
}
