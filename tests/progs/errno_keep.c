// SPDX-License-Identifier: MIT
/*
 * errno_keep PEER: every call the interposer intercepts, on its success
 * path, with errno preset to a sentinel; glibc's wrappers leave errno alone
 * when they succeed, so must the interposer.
 *
 * PEER runs the kernel-side helper of test_errno_keep.sh: TCP port 9000
 * echoes, except that a connection whose first bytes are "BACK <port>"
 * makes it connect twice to <port> on the caller's address and send "x";
 * UDP port 9001 echoes each datagram.
 *
 * The first socket() is an AF_INET one, as in a program that starts the
 * stack host. Prints "ok NAME" or "FAIL NAME: ..." per call and exits 0
 * only if every call succeeded and kept errno. Runs the same natively.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define SENTINEL 4242 /* no errno value: only the caller can have put it there */

ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, struct sockaddr *addr,
		       socklen_t *addrlen);
int fcntl64(int fd, int cmd, ...);
ssize_t sendfile64(int out, int in, off64_t *off, size_t n);

static int failures, calls;

/* Runs expr with errno = SENTINEL; it must succeed and leave errno as it was. */
#define CHECK(name, expr)                                                                          \
	({                                                                                         \
		long r_;                                                                           \
		errno = SENTINEL;                                                                  \
		r_ = (long)(expr);                                                                 \
		report(name, r_, errno);                                                           \
		r_;                                                                                \
	})

static void report(const char *name, long ret, int err)
{
	calls++;
	if (ret >= 0 && err == SENTINEL) {
		printf("ok %s\n", name);
		return;
	}
	failures++;
	if (ret < 0)
		printf("FAIL %s: returned %ld (%s): not a success path\n", name, ret,
		       strerror(err));
	else
		printf("FAIL %s: returned %ld but errno is %d (%s), was %d\n", name, ret, err,
		       strerror(err), SENTINEL);
}

static void die(const char *what)
{
	printf("FAIL %s (%s): cannot go on\n", what, strerror(errno));
	exit(1);
}

static struct sockaddr_in peer_addr(const char *ip, int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};

	if (inet_pton(AF_INET, ip, &sin.sin_addr) != 1)
		die("inet_pton");
	return sin;
}

/* Reads exactly n bytes with the named call (each call checked). */
static void expect(int fd, const char *want, const char *how)
{
	char buf[256];
	size_t n = strlen(want), got = 0;
	long r;

	while (got < n) {
		struct iovec iov = {buf + got, n - got};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};

		if (!strcmp(how, "read"))
			r = CHECK("read", read(fd, buf + got, n - got));
		else if (!strcmp(how, "recv"))
			r = CHECK("recv", recv(fd, buf + got, n - got, 0));
		else if (!strcmp(how, "recvfrom"))
			r = CHECK("recvfrom", recvfrom(fd, buf + got, n - got, 0, NULL, NULL));
		else if (!strcmp(how, "readv"))
			r = CHECK("readv", readv(fd, &iov, 1));
		else if (!strcmp(how, "recvmsg"))
			r = CHECK("recvmsg", recvmsg(fd, &m, 0));
		else if (!strcmp(how, "__read_chk"))
			r = CHECK("__read_chk", __read_chk(fd, buf + got, n - got, sizeof(buf)));
		else if (!strcmp(how, "__recv_chk"))
			r = CHECK("__recv_chk", __recv_chk(fd, buf + got, n - got, sizeof(buf), 0));
		else
			r = CHECK("__recvfrom_chk", __recvfrom_chk(fd, buf + got, n - got,
								   sizeof(buf), 0, NULL, NULL));
		if (r <= 0)
			die("echo ended early");
		got += (size_t)r;
	}
	if (memcmp(buf, want, n))
		die("echo differs");
}

static void stream_calls(const char *ip)
{
	struct sockaddr_in sin = peer_addr(ip, 9000), name;
	socklen_t len = sizeof(name), olen;
	int fd, one = 1, val = 0, fd2, tmp;
	struct iovec iov = {"sendmsg|", 8};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	struct mmsghdr mm = {.msg_hdr = {.msg_iov = &iov, .msg_iovlen = 1}};
	char path[] = "/tmp/errno_keep.XXXXXX", buf[16];
	off_t off = 0;
	off64_t off64 = 0;

	fd = CHECK("socket", socket(AF_INET, SOCK_STREAM, 0));
	if (fd < 0)
		die("socket");
	CHECK("setsockopt", setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)));
	olen = sizeof(val);
	CHECK("getsockopt", getsockopt(fd, SOL_SOCKET, SO_TYPE, &val, &olen));
	if (CHECK("connect", connect(fd, (struct sockaddr *)&sin, sizeof(sin))) < 0)
		die("connect");
	CHECK("getsockname", getsockname(fd, (struct sockaddr *)&name, &len));
	len = sizeof(name);
	CHECK("getpeername", getpeername(fd, (struct sockaddr *)&name, &len));

	CHECK("write", write(fd, "write|", 6));
	expect(fd, "write|", "read");
	CHECK("send", send(fd, "send|", 5, 0));
	expect(fd, "send|", "recv");
	CHECK("sendto", sendto(fd, "sendto|", 7, 0, NULL, 0));
	expect(fd, "sendto|", "recvfrom");
	CHECK("sendmsg", sendmsg(fd, &m, 0));
	expect(fd, "sendmsg|", "recvmsg");
	iov = (struct iovec){"writev|", 7};
	CHECK("writev", writev(fd, &iov, 1));
	expect(fd, "writev|", "readv");
	iov = (struct iovec){"mmsg|", 5};
	CHECK("sendmmsg", sendmmsg(fd, &mm, 1, 0));
	expect(fd, "mmsg|", "__read_chk");
	CHECK("send", send(fd, "chk|", 4, 0));
	expect(fd, "chk|", "__recv_chk");
	CHECK("send", send(fd, "chk2|", 5, 0));
	expect(fd, "chk2|", "__recvfrom_chk");

	tmp = mkstemp(path);
	if (tmp < 0 || write(tmp, "file|", 5) != 5)
		die("temporary file");
	unlink(path);
	CHECK("sendfile", sendfile(fd, tmp, &off, 5));
	expect(fd, "file|", "read");
	CHECK("sendfile64", sendfile64(fd, tmp, &off64, 5));
	expect(fd, "file|", "read");
	close(tmp);

	CHECK("ioctl", ioctl(fd, SIOCOUTQ, &val));
	CHECK("ioctl", ioctl(fd, FIONREAD, &val));
	CHECK("fcntl", fcntl(fd, F_GETFL));
	CHECK("fcntl64", fcntl64(fd, F_GETFD));
	fd2 = CHECK("dup", dup(fd));
	CHECK("close", close(fd2));
	CHECK("dup2", dup2(fd, 100));
	CHECK("dup3", dup3(fd, 101, O_CLOEXEC));
	CHECK("close_range", close_range(100, 101, 0));
	fd2 = CHECK("fcntl", fcntl(fd, F_DUPFD, 200));
	CHECK("closefrom", (closefrom(200), 0));

	/* EOF is a success too: read returns 0 after the peer's FIN. */
	CHECK("shutdown", shutdown(fd, SHUT_WR));
	CHECK("read", read(fd, buf, sizeof(buf)));
	CHECK("close", close(fd));
}

static void dgram_calls(const char *ip)
{
	struct sockaddr_in sin = peer_addr(ip, 9001), from;
	socklen_t len = sizeof(from), olen;
	char b1[32], b2[32];
	struct iovec iov[2] = {{b1, sizeof(b1)}, {b2, sizeof(b2)}};
	struct mmsghdr mm[2] = {{.msg_hdr = {.msg_iov = &iov[0], .msg_iovlen = 1}},
				{.msg_hdr = {.msg_iov = &iov[1], .msg_iovlen = 1}}};
	int fd, err;

	fd = CHECK("socket", socket(AF_INET, SOCK_DGRAM, 0));
	if (fd < 0)
		die("socket");
	CHECK("sendto", sendto(fd, "dgram", 5, 0, (struct sockaddr *)&sin, sizeof(sin)));
	CHECK("recvfrom", recvfrom(fd, b1, sizeof(b1), 0, (struct sockaddr *)&from, &len));
	/* Nothing queued: the interposer's look at its own queue must not leave EAGAIN. */
	olen = sizeof(err);
	CHECK("getsockopt", getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &olen));
	CHECK("connect", connect(fd, (struct sockaddr *)&sin, sizeof(sin)));
	CHECK("send", send(fd, "one", 3, 0));
	/* One datagram for two slots: the second try fails inside, the call succeeds. */
	CHECK("recvmmsg", recvmmsg(fd, mm, 2, MSG_WAITFORONE, NULL));
	CHECK("send", send(fd, "two", 3, 0));
	CHECK("recv", recv(fd, b1, sizeof(b1), 0));
	CHECK("close", close(fd));
}

static void listen_calls(const char *ip)
{
	struct sockaddr_in any = {.sin_family = AF_INET, .sin_port = htons(9100)};
	struct sockaddr_in sin = peer_addr(ip, 9000), from;
	socklen_t len = sizeof(from);
	char req[] = "BACK 9100\n", x;
	int lfd, c, a1, a2, one = 1;

	lfd = CHECK("socket", socket(AF_INET, SOCK_STREAM, 0));
	if (lfd < 0)
		die("socket");
	CHECK("setsockopt", setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	CHECK("bind", bind(lfd, (struct sockaddr *)&any, sizeof(any)));
	CHECK("listen", listen(lfd, 4));
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    write(c, req, strlen(req)) != (ssize_t)strlen(req))
		die("asking the peer to connect back");
	a1 = CHECK("accept", accept(lfd, (struct sockaddr *)&from, &len));
	len = sizeof(from);
	a2 = CHECK("accept4", accept4(lfd, (struct sockaddr *)&from, &len, SOCK_CLOEXEC));
	if (a1 < 0 || a2 < 0)
		die("accept");
	CHECK("read", read(a1, &x, 1));
	CHECK("read", read(a2, &x, 1));
	close(a1);
	close(a2);
	close(c);
	CHECK("close", close(lfd));
}

static void other_calls(void)
{
	int sv[2], fd;

	CHECK("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK("close", close(sv[0]));
	CHECK("close", close(sv[1]));
	CHECK("syscall", syscall(SYS_getpid));
	fd = CHECK("syscall", syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0));
	CHECK("syscall", syscall(SYS_close, fd));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: errno_keep PEER_ADDR\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	stream_calls(argv[1]);
	dgram_calls(argv[1]);
	listen_calls(argv[1]);
	other_calls();
	printf("%d calls, %d failed\n", calls, failures);
	return failures ? 1 : 0;
}
