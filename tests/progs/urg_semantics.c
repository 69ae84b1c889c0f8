// SPDX-License-Identifier: MIT
/*
 * urg_semantics PEER: TCP urgent data (MSG_OOB, SO_OOBINLINE, SIOCATMARK,
 * POLLPRI, SIGURG), one normalised line per step, for a differential run
 * (natively and under the shim; tests/integration/test_urgent.sh diffs the
 * two outputs).
 *
 * PEER runs the kernel-side helper of the test script on PORT_URG. The
 * client's first line names the scenario:
 *   "send CORKED"  the peer sends "abc" + "X" (MSG_OOB) + "def" in one segment
 *   "send LAST"    the peer sends "abc" + "X" (MSG_OOB) and nothing after
 *   "twice"        "aX" (MSG_OOB), then after the client's "1\n" "bY"
 *                  (MSG_OOB) + "c" in one segment
 *   "reset"        the peer resets the connection (SO_LINGER 0)
 *   "read PLAIN" / "read INLINE"
 *                  the peer reads to EOF (SO_OOBINLINE for INLINE), taking
 *                  the urgent byte with MSG_OOB at the mark, and answers what
 *                  it saw: "|" at each mark, "[c]" for a byte read out of band.
 *
 * Waits are polls with a deadline, never sleeps: a wait that times out
 * prints "timeout" and shows as a difference.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "step_out.h"

#define PORT_URG 7110
#define WAIT_MS	 5000

static struct in_addr peer;
static volatile sig_atomic_t sigurgs;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Waits until fd reports one of events; prints what it reports (masked) or "timeout". */
static void wait_ev(const char *step, int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};
	int r = poll(&p, 1, WAIT_MS);

	if (r <= 0) {
		out(step, "timeout");
		return;
	}
	out(step, "%s%s%s", p.revents & POLLIN ? "IN" : "-", p.revents & POLLPRI ? "|PRI" : "",
	    p.revents & POLLHUP ? "|HUP" : "");
}

/* A signal (recv_sigurg's SIGURG, which may come first) interrupts the wait, not ends it. */
static void wait_silent(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};
	uint64_t end = now_ms() + WAIT_MS, now;
	int r;

	do {
		now = now_ms();
		r = poll(&p, 1, now < end ? (int)(end - now) : 0);
	} while (r < 0 && errno == EINTR);
	if (r <= 0)
		out("wait", "timeout");
}

/*
 * POLLPRI right now. Not POLLIN: at the mark TCP is readable only if more
 * than the urgent byte is there, and whether more is there yet depends on
 * timing (recv_last checks POLLIN where nothing follows).
 */
static void snap(const char *step, int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLPRI};

	if (poll(&p, 1, 0) < 0)
		out(step, "%s", err_name(errno));
	else
		out(step, "%s", p.revents & POLLPRI ? "PRI" : "-");
}

/*
 * IN and PRI right now, where nothing may still be on its way: at the mark
 * with nothing but a not-inline urgent byte left TCP is not readable.
 */
static void snap_in(const char *step, int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLPRI};

	if (poll(&p, 1, 0) < 0)
		out(step, "%s", err_name(errno));
	else
		out(step, "%s%s", p.revents & POLLIN ? "IN" : "-",
		    p.revents & POLLPRI ? "|PRI" : "");
}

static void recv_step(const char *step, int fd, size_t len, int flags)
{
	char buf[256];
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n = recvmsg(fd, &m, flags | MSG_DONTWAIT);

	if (n < 0)
		out(step, "%s", err_name(errno));
	else
		out(step, "%zd '%.*s'%s%s", n, (int)n, buf, m.msg_flags & MSG_OOB ? " OOB" : "",
		    m.msg_flags & MSG_TRUNC ? " TRUNC" : "");
}

/*
 * Reads until n bytes came (the peer's segments may come apart); prints them
 * together. EAGAIN waits on: readiness is not what this step compares.
 */
static void recv_n(const char *step, int fd, size_t n)
{
	uint64_t end = now_ms() + WAIT_MS;
	char buf[256];
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		wait_silent(fd, POLLIN);
		r = recv(fd, buf + got, n - got, MSG_DONTWAIT);
		if (r < 0 && errno == EAGAIN && now_ms() < end) {
			poll(NULL, 0, 5);
			continue;
		}
		if (r <= 0) {
			out(step, "%s after '%.*s'", r < 0 ? err_name(errno) : "EOF", (int)got,
			    buf);
			return;
		}
		got += (size_t)r;
	}
	out(step, "'%.*s'", (int)got, buf);
}

static void atmark(const char *step, int fd)
{
	int v = -1;

	if (ioctl(fd, SIOCATMARK, &v) < 0)
		out(step, "%s", err_name(errno));
	else
		out(step, "%d", v);
}

static void setinline(const char *step, int fd, int on)
{
	res(step, setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &on, sizeof(on)));
}

static int conn(const char *line)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_port = htons(PORT_URG), .sin_addr = peer};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		out("connect", "%s", err_name(errno));
		exit(1);
	}
	if (line && send(fd, line, strlen(line), 0) < 0)
		out("send line", "%s", err_name(errno));
	return fd;
}

/* Sockets that hold no urgent data: every answer is the kernel's refusal. */
static void no_urgent(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0), l = socket(AF_INET, SOCK_STREAM, 0), v = 0;

	recv_step("unconnected recv(OOB)", t, 1, MSG_OOB);
	res("unconnected send(OOB)", send(t, "x", 1, MSG_OOB | MSG_NOSIGNAL));
	atmark("unconnected SIOCATMARK", t);
	res("listen", listen(l, 1));
	recv_step("listener recv(OOB)", l, 1, MSG_OOB);
	atmark("listener SIOCATMARK", l);
	close(t);
	close(l);
	t = conn("read PLAIN\n");
	recv_step("connected recv(OOB)", t, 1, MSG_OOB);
	atmark("connected SIOCATMARK", t);
	res("send(OOB) nothing", send(t, "", 0, MSG_OOB));
	snap("readiness", t);
	res("SO_OOBINLINE", getsockopt(t, SOL_SOCKET, SO_OOBINLINE, &v, &(socklen_t){sizeof(v)}));
	out("SO_OOBINLINE value", "%d", v);
	close(t);
}

/* "abc" X "def": the read stops at the mark, X once out of band. */
static void recv_plain(void)
{
	int t = conn("send CORKED\n");

	wait_ev("wait PRI", t, POLLPRI);
	atmark("SIOCATMARK before", t);
	recv_step("recv", t, 100, 0);
	atmark("SIOCATMARK at", t);
	snap("readiness at", t);
	recv_step("recv(OOB|PEEK)", t, 10, MSG_OOB | MSG_PEEK);
	recv_step("recv(OOB)", t, 10, MSG_OOB);
	recv_step("recv(OOB) again", t, 10, MSG_OOB);
	atmark("SIOCATMARK after OOB", t);
	recv_n("recv", t, 3);
	atmark("SIOCATMARK past", t);
	recv_step("recv(OOB) past", t, 10, MSG_OOB);
	close(t);
}

/* "abc" X and nothing after: at the mark, not readable, before X is read out of band and after. */
static void recv_last(void)
{
	int t = conn("send LAST\n");

	wait_ev("wait PRI", t, POLLPRI);
	recv_step("recv", t, 100, 0);
	atmark("SIOCATMARK at", t);
	snap_in("readiness at", t);
	recv_step("recv(OOB)", t, 10, MSG_OOB);
	snap_in("readiness after OOB", t);
	recv_step("recv", t, 100, 0);
	close(t);
}

/* With SO_OOBINLINE the byte stays in the stream; the mark still stops a read. */
static void recv_inline(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_port = htons(PORT_URG), .sin_addr = peer};

	setinline("SO_OOBINLINE 1", t, 1);
	if (connect(t, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		out("connect", "%s", err_name(errno));
	send(t, "send CORKED\n", 12, 0);
	wait_ev("wait PRI", t, POLLPRI);
	recv_step("recv", t, 100, 0);
	atmark("SIOCATMARK at", t);
	recv_step("recv(OOB)", t, 10, MSG_OOB);
	recv_n("recv", t, 4);
	atmark("SIOCATMARK past", t);
	close(t);
}

/* SO_OOBINLINE turned on after the byte came: the next read has it inline. */
static void recv_late_inline(void)
{
	int t = conn("send CORKED\n");

	wait_ev("wait PRI", t, POLLPRI);
	recv_step("recv", t, 100, 0);
	setinline("SO_OOBINLINE 1", t, 1);
	recv_step("recv(OOB)", t, 10, MSG_OOB);
	recv_n("recv", t, 4);
	close(t);
}

/* MSG_OOB into no room takes the byte (MSG_TRUNC); MSG_TRUNC reads none of it. */
static void recv_trunc(void)
{
	int t = conn("send CORKED\n");

	wait_ev("wait PRI", t, POLLPRI);
	recv_step("recv(OOB|TRUNC)", t, 10, MSG_OOB | MSG_TRUNC | MSG_PEEK);
	recv_step("recv(OOB) 0 bytes", t, 0, MSG_OOB);
	recv_step("recv(OOB) then", t, 10, MSG_OOB);
	recv_step("recv", t, 100, 0);
	recv_n("recv", t, 3);
	close(t);
}

/* A second urgent byte before the first was read: the first becomes plain data. */
static void recv_twice(void)
{
	int t = conn("twice\n");
	uint64_t end;
	char c = 0;

	wait_ev("wait PRI", t, POLLPRI);
	recv_step("recv(OOB|PEEK) first", t, 10, MSG_OOB | MSG_PEEK);
	send(t, "1\n", 2, 0);
	/* Until the second pointer is here: the peeked byte changes to Y. */
	end = now_ms() + WAIT_MS;
	while (now_ms() < end) {
		if (recv(t, &c, 1, MSG_OOB | MSG_PEEK | MSG_DONTWAIT) == 1 && c == 'Y')
			break;
		poll(NULL, 0, 5);
	}
	out("second urgent byte", "%c", c == 'Y' ? 'Y' : '?');
	atmark("SIOCATMARK", t);
	recv_step("recv", t, 100, 0);
	atmark("SIOCATMARK at", t);
	recv_step("recv(OOB)", t, 10, MSG_OOB);
	recv_n("recv", t, 1);
	close(t);
}

/*
 * select with only exceptfds: the kernel's exceptfds is POLLPRI (urgent
 * data), so a socket without it lets select sleep its whole timeout,
 * whatever else it reports (a never-connected socket's OUT|HUP, readable
 * data); urgent data wakes it with the fd in exceptfds only.
 */
static void select_except_step(const char *step, int fd, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	uint64_t t0 = now_ms();
	fd_set x;
	int r;

	FD_ZERO(&x);
	FD_SET(fd, &x);
	r = select(fd + 1, NULL, NULL, &x, &tv);
	if (r < 0)
		out(step, "%s", err_name(errno));
	else if (r == 0)
		out(step, "0, %s, %s",
		    now_ms() - t0 >= (uint64_t)ms ? "slept the timeout" : "early",
		    tv.tv_sec || tv.tv_usec ? "time left" : "no time left");
	else
		out(step, "%d %s", r, FD_ISSET(fd, &x) ? "x" : "-");
}

static void select_except(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0);

	select_except_step("never connected", t, 200);
	close(t);
	t = conn("read PLAIN\n");
	select_except_step("connected, nothing urgent", t, 200);
	close(t);
	t = conn("send LAST\n");
	select_except_step("urgent data comes", t, WAIT_MS);
	wait_silent(t, POLLIN);
	select_except_step("urgent data still there", t, 0);
	recv_step("recv(OOB)", t, 10, MSG_OOB);
	select_except_step("taken: data left, nothing urgent", t, 200);
	close(t);
	t = conn("reset\n");
	wait_silent(t, POLLIN);
	select_except_step("reset, nothing urgent", t, 200);
	close(t);
}

static void on_sigurg(int sig)
{
	(void)sig;
	sigurgs++;
}

/* F_SETOWN: SIGURG when urgent data comes. */
static void recv_sigurg(void)
{
	struct sigaction sa = {.sa_handler = on_sigurg};
	int t = conn(NULL);
	uint64_t end;

	sigaction(SIGURG, &sa, NULL);
	res("F_SETOWN", fcntl(t, F_SETOWN, getpid()));
	send(t, "send CORKED\n", 12, 0);
	wait_silent(t, POLLPRI);
	end = now_ms() + WAIT_MS;
	while (!sigurgs && now_ms() < end)
		poll(NULL, 0, 5);
	out("SIGURG", "%s", sigurgs ? "yes" : "no");
	signal(SIGURG, SIG_DFL);
	close(t);
}

/* Our MSG_OOB as the kernel peer reads it, plain or inline. */
static void send_oob(const char *line, const char *step)
{
	int t = conn(line);
	char buf[256];
	size_t got = 0;
	ssize_t n;

	res("send", send(t, "abc", 3, 0));
	res("send(OOB)", send(t, "dX", 2, MSG_OOB));
	res("send", send(t, "ef", 2, 0));
	res("shutdown", shutdown(t, SHUT_WR));
	for (;;) {
		wait_silent(t, POLLIN);
		n = recv(t, buf + got, sizeof(buf) - 1 - got, MSG_DONTWAIT);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	out(step, "%.*s", (int)got, buf);
	close(t);
}

static void send_plain(void)
{
	send_oob("read PLAIN\n", "peer saw");
}

static void send_inline(void)
{
	send_oob("read INLINE\n", "peer saw inline");
}

static const struct {
	const char *name;
	void (*run)(void);
} scenarios[] = {
	{"no_urgent", no_urgent},
	{"recv_plain", recv_plain},
	{"recv_last", recv_last},
	{"recv_inline", recv_inline},
	{"recv_late_inline", recv_late_inline},
	{"recv_trunc", recv_trunc},
	{"recv_twice", recv_twice},
	{"recv_sigurg", recv_sigurg},
	{"send_plain", send_plain},
	{"send_inline", send_inline},
	{"select_except", select_except},
};

int main(int argc, char **argv)
{
	if (argc != 2 || inet_pton(AF_INET, argv[1], &peer) != 1) {
		fprintf(stderr, "usage: urg_semantics PEER\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		scen = scenarios[i].name;
		scenarios[i].run();
	}
	return 0;
}
