// SPDX-License-Identifier: MIT
/*
 * sock_semantics PEER SELF: socket-call semantics and readiness, one
 * normalised line per step, for a differential run (natively and under the
 * shim; tests/integration/test_sock_semantics.sh diffs the two outputs).
 *
 * PEER is the kernel peer that runs the helpers of the test script:
 *   PORT_HOLD     TCP: accepts, reads until EOF, keeps the socket open
 *   PORT_FIN      TCP: accepts, sends "hello", closes (FIN)
 *   PORT_RST      TCP: accepts, reads one byte, closes with SO_LINGER 0 (RST)
 *   PORT_CALLBACK TCP: reads a port number and a newline, connects back to
 *                 the sender's address at that port, sends "back\n", holds
 *   PORT_ECHO     UDP: echoes every datagram to its sender
 *   PORT_CLOSED   nothing listens (TCP RST, ICMP port unreachable)
 *   PORT_TECHO    TCP: echoes what it reads
 *   PORT_GATE     TCP: reads a line; "hold" keeps the socket unread until
 *                 another connection says "drain PORT" (the first one's
 *                 port), then reads it until EOF
 *   PORT_EOF_CLOSE TCP: reads until EOF, then closes (FIN): the client,
 *                 which closed first, ends in TIME_WAIT
 * SELF is the address this side has (the kernel's or the stack's).
 *
 * Every line is "scenario: step = result" with results that do not vary
 * between runs: return values or errno names, poll revents by name, socket
 * options, addresses as PEER/SELF/ANY (ephemeral ports as EPH). Waits are
 * polls for the event the next step needs with a generous timeout, never
 * sleeps, so the order of events is fixed; a wait that times out prints
 * "timeout" and so shows as a difference.
 *
 * A step whose result differs under the shim for a reason that is known and
 * not fixed yet is marked by known(): its line starts with "KNOWN(reason)",
 * and the test script accepts a difference on that line only (the reason
 * holds no closing parenthesis).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/errqueue.h>
#include <linux/filter.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "step_out.h"
#include "task_state.h"

#define PORT_HOLD      7100
#define PORT_FIN       7101
#define PORT_RST       7102
#define PORT_CALLBACK  7103
#define PORT_ECHO      7104
#define PORT_CLOSED    7105
#define PORT_GATE      7106
#define PORT_TECHO     7107
#define PORT_EOF_CLOSE 7108
#define WAIT_MS	       5000
/* Ephemeral ports start here (ip_local_port_range); fixed ones are below. */
#define EPH_MIN 10000

static struct in_addr peer, self;

static const char *ev_names(int ev, char *buf, size_t len)
{
	static const struct {
		int bit;
		const char *name;
	} names[] = {
		{POLLIN, "IN"},		{POLLPRI, "PRI"},	{POLLOUT, "OUT"},
		{POLLERR, "ERR"},	{POLLHUP, "HUP"},	{POLLNVAL, "NVAL"},
		{POLLRDNORM, "RDNORM"}, {POLLRDBAND, "RDBAND"}, {POLLWRNORM, "WRNORM"},
		{POLLWRBAND, "WRBAND"}, {POLLMSG, "MSG"},	{POLLRDHUP, "RDHUP"},
	};
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (ev & names[i].bit)
			n += snprintf(buf + n, len - n, "%s%s", n ? "|" : "", names[i].name);
	}
	if (!n)
		snprintf(buf, len, "0");
	return buf;
}

/* The readiness right now, for everything a stream or datagram socket reports. */
static void snap(const char *step, int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLPRI | POLLOUT | POLLRDHUP};
	char buf[128];
	int r = poll(&p, 1, 0);

	if (r < 0)
		out(step, "%s", err_name(errno));
	else
		out(step, "%s", ev_names(p.revents, buf, sizeof(buf)));
}

#define ALL_EVENTS                                                                                 \
	(POLLIN | POLLPRI | POLLOUT | POLLRDHUP | POLLRDNORM | POLLRDBAND | POLLWRNORM | POLLWRBAND)

/* One epoll set holding fd with events: the answers of two (or three) waits that do not sleep. */
static void snap_epoll(const char *step, int fd, unsigned int events)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), n[3] = {0, 0, -1};
	struct epoll_event ev = {.events = events, .data.u64 = 0x1234567890abcdefULL}, got[3][4];
	char buf[3][128];

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		out(step, "ADD %s", err_name(errno));
		close(ep);
		return;
	}
	for (int i = 0; i < 2; i++)
		n[i] = epoll_wait(ep, got[i], 4, 0);
	/* A one-shot registration comes back with MOD. */
	if (events & EPOLLONESHOT) {
		n[2] = epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0
			       ? -2
			       : epoll_pwait(ep, got[2], 4, 0, NULL);
	}
	for (int i = 0; i < 3; i++) {
		if (n[i] == 1 && got[i][0].data.u64 != ev.data.u64)
			snprintf(buf[i], sizeof(buf[i]), "wrong data");
		else if (n[i] == 1)
			ev_names((int)got[i][0].events, buf[i], sizeof(buf[i]));
		else if (n[i] < 0)
			snprintf(buf[i], sizeof(buf[i]), "%s", err_name(errno));
		else
			snprintf(buf[i], sizeof(buf[i]), "%d events", n[i]);
	}
	if (events & EPOLLONESHOT)
		out(step, "%s, %s, after MOD %s", buf[0], buf[1], buf[2]);
	else
		out(step, "%s, %s", buf[0], buf[1]);
	close(ep);
}

static void snap_select(const char *step, int fd, bool with_mask)
{
	fd_set r, w, x;
	struct timeval tv = {0, 0};
	struct timespec ts = {0, 0};
	sigset_t mask;
	int n;

	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&x);
	FD_SET(fd, &r);
	FD_SET(fd, &w);
	FD_SET(fd, &x);
	sigemptyset(&mask);
	n = with_mask ? pselect(fd + 1, &r, &w, &x, &ts, &mask) : select(fd + 1, &r, &w, &x, &tv);
	if (n < 0)
		out(step, "%s", err_name(errno));
	else
		out(step, "%d %s%s%s", n, FD_ISSET(fd, &r) ? "r" : "-",
		    FD_ISSET(fd, &w) ? "w" : "-", FD_ISSET(fd, &x) ? "x" : "-");
}

/*
 * The readiness of fd through every call that reports it: poll with every
 * event and with POLLIN only (ERR and HUP come unasked), ppoll, select,
 * pselect, and epoll level-triggered, edge-triggered (the second wait has
 * nothing new), one-shot (nothing until MOD), exclusive, POLLIN only.
 */
/* The step "WHEN: what" in step[]. */
#define STEP(what) (snprintf(step, sizeof(step), "%s: %s", when, what), step)

static void snap_all(const char *when, int fd)
{
	struct pollfd p = {.fd = fd, .events = ALL_EVENTS};
	struct timespec ts = {0, 0};
	sigset_t mask;
	char buf[128], step[64];
	int r;

	r = poll(&p, 1, 0);
	out(STEP("poll all"), "%s",
	    r < 0 ? err_name(errno) : ev_names(p.revents, buf, sizeof(buf)));
	p = (struct pollfd){.fd = fd, .events = POLLIN};
	r = poll(&p, 1, 0);
	out(STEP("poll IN"), "%s", r < 0 ? err_name(errno) : ev_names(p.revents, buf, sizeof(buf)));
	p = (struct pollfd){.fd = fd, .events = ALL_EVENTS};
	sigemptyset(&mask);
	r = ppoll(&p, 1, &ts, &mask);
	out(STEP("ppoll all"), "%s",
	    r < 0 ? err_name(errno) : ev_names(p.revents, buf, sizeof(buf)));
	snap_select(STEP("select"), fd, false);
	snap_select(STEP("pselect"), fd, true);
	snap_epoll(STEP("epoll LT"), fd, ALL_EVENTS);
	snap_epoll(STEP("epoll ET"), fd, ALL_EVENTS | EPOLLET);
	snap_epoll(STEP("epoll ONESHOT"), fd, ALL_EVENTS | EPOLLONESHOT);
	snap_epoll(STEP("epoll ET|ONESHOT"), fd, ALL_EVENTS | EPOLLET | EPOLLONESHOT);
	snap_epoll(STEP("epoll EXCLUSIVE"), fd, POLLIN | POLLOUT | EPOLLEXCLUSIVE);
	snap_epoll(STEP("epoll EXCLUSIVE|ET"), fd, POLLIN | POLLOUT | EPOLLEXCLUSIVE | EPOLLET);
	snap_epoll(STEP("epoll IN"), fd, POLLIN);
	snap_epoll(STEP("epoll OUT|ET"), fd, POLLOUT | EPOLLET);
}
#undef STEP

/* Waits (silently) until one of events is reported; only a timeout is printed. */
static void wait_for(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};
	char buf[128];

	if (poll(&p, 1, WAIT_MS) <= 0)
		out("wait", "timeout for %s", ev_names(events, buf, sizeof(buf)));
}

static const char *addr_str(const struct sockaddr_in *sin, socklen_t len, char *buf, size_t size)
{
	char port[16];
	const char *host;
	unsigned int p = ntohs(sin->sin_port);

	if (len < sizeof(*sin) || sin->sin_family != AF_INET) {
		snprintf(buf, size, "family=%d len=%u", len >= 2 ? sin->sin_family : -1, len);
		return buf;
	}
	if (sin->sin_addr.s_addr == peer.s_addr)
		host = "PEER";
	else if (sin->sin_addr.s_addr == self.s_addr)
		host = "SELF";
	else if (sin->sin_addr.s_addr == htonl(INADDR_ANY))
		host = "ANY";
	else
		host = inet_ntoa(sin->sin_addr);
	if (p >= EPH_MIN)
		snprintf(port, sizeof(port), "EPH");
	else
		snprintf(port, sizeof(port), "%u", p);
	snprintf(buf, size, "%s:%s", host, port);
	return buf;
}

static void name(const char *step, int fd, int peer_name)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char buf[64];
	int r;

	memset(&sin, 0, sizeof(sin));
	r = peer_name ? getpeername(fd, (struct sockaddr *)&sin, &len)
		      : getsockname(fd, (struct sockaddr *)&sin, &len);
	if (r < 0)
		out(step, "%s", err_name(errno));
	else
		out(step, "%s", addr_str(&sin, len, buf, sizeof(buf)));
}

static void opt(const char *step, int fd, int level, int optname)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, level, optname, &v, &len) < 0)
		out(step, "%s", err_name(errno));
	else if (optname == SO_ERROR && v)
		out(step, "%s", err_name(v));
	else
		out(step, "%d", v);
}

static void fionread(const char *step, int fd)
{
	int v = -1;

	if (ioctl(fd, FIONREAD, &v) < 0)
		out(step, "%s", err_name(errno));
	else
		out(step, "%d", v);
}

static struct sockaddr_in sa(struct in_addr a, unsigned int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = a};

	return sin;
}

static struct sockaddr_in sa_any(unsigned int port)
{
	return sa((struct in_addr){htonl(INADDR_ANY)}, port);
}

static int do_connect(int fd, struct sockaddr_in sin)
{
	return connect(fd, (struct sockaddr *)&sin, sizeof(sin));
}

/*
 * A blocking connect to PORT_RST, whose peer resets only after it read the
 * byte sent here once connect() returned: a reset that came in the
 * handshake's last moment would fail the kernel's connect() with
 * ECONNRESET when the connecting thread runs late (a loaded machine).
 */
static int connect_rst(int fd)
{
	int ret = do_connect(fd, sa(peer, PORT_RST));

	if (ret == 0 && send(fd, "r", 1, MSG_NOSIGNAL) != 1)
		out("connect_rst", "the byte that lets the peer reset was not sent");
	return ret;
}

static int do_bind(int fd, struct sockaddr_in sin)
{
	return bind(fd, (struct sockaddr *)&sin, sizeof(sin));
}

static unsigned int local_port(int fd)
{
	struct sockaddr_in sin = {0};
	socklen_t len = sizeof(sin);

	getsockname(fd, (struct sockaddr *)&sin, &len);
	return ntohs(sin.sin_port);
}

static void recv_step(const char *step, int fd, size_t len, int flags)
{
	char buf[256];
	ssize_t r = recv(fd, buf, len < sizeof(buf) ? len : sizeof(buf), flags);

	if (r <= 0)
		res(step, r);
	else
		out(step, "%zd \"%.*s\"", r, (int)r, buf);
}

static void sock_defaults(int fd)
{
	opt("SO_TYPE", fd, SOL_SOCKET, SO_TYPE);
	opt("SO_DOMAIN", fd, SOL_SOCKET, SO_DOMAIN);
	opt("SO_PROTOCOL", fd, SOL_SOCKET, SO_PROTOCOL);
	opt("SO_ACCEPTCONN", fd, SOL_SOCKET, SO_ACCEPTCONN);
	opt("SO_RCVBUF", fd, SOL_SOCKET, SO_RCVBUF);
	opt("SO_SNDBUF", fd, SOL_SOCKET, SO_SNDBUF);
	opt("SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	opt("SO_REUSEADDR", fd, SOL_SOCKET, SO_REUSEADDR);
	opt("SO_KEEPALIVE", fd, SOL_SOCKET, SO_KEEPALIVE);
}

static void fresh_tcp(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	snap("poll", fd);
	snap_all("fresh", fd);
	sock_defaults(fd);
	opt("TCP_NODELAY", fd, IPPROTO_TCP, TCP_NODELAY);
	name("getsockname", fd, 0);
	name("getpeername", fd, 1);
	res("shutdown(RDWR)", shutdown(fd, SHUT_RDWR));
	snap_all("shut, never connected", fd);
	res("send(NOSIGNAL)", send(fd, "x", 1, MSG_NOSIGNAL));
	recv_step("recv", fd, 1, MSG_DONTWAIT);
	res("accept", accept(fd, NULL, NULL));
	fionread("FIONREAD", fd);
	close(fd);
}

static void fresh_udp(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	snap("poll", fd);
	snap_all("fresh", fd);
	sock_defaults(fd);
	name("getsockname", fd, 0);
	name("getpeername", fd, 1);
	res("send(no address)", send(fd, "x", 1, 0));
	res("shutdown(RDWR)", shutdown(fd, SHUT_RDWR));
	res("listen", listen(fd, 1));
	fionread("FIONREAD", fd);
	close(fd);
}

static void nb_connect_ok(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	res("connect", do_connect(fd, sa(peer, PORT_HOLD)));
	wait_for(fd, POLLOUT);
	snap("poll", fd);
	snap_all("connected", fd);
	opt("SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	name("getsockname", fd, 0);
	name("getpeername", fd, 1);
	res("connect again", do_connect(fd, sa(peer, PORT_HOLD)));
	recv_step("recv", fd, 1, 0);
	res("send", send(fd, "abc", 3, MSG_NOSIGNAL));
	fionread("FIONREAD", fd);
	close(fd);
}

/* Waits on ep for an event; prints it (or the count of a wait that is not 1). */
static void ep_step(const char *step, int ep, int ms)
{
	struct epoll_event got[4];
	char buf[128];
	int n = epoll_wait(ep, got, 4, ms);

	if (n == 1)
		out(step, "%s", ev_names((int)got[0].events, buf, sizeof(buf)));
	else
		out(step, "%d events", n);
}

/*
 * tcp_reset wakes a socket twice (sk_error_report, then tcp_done's
 * sk_state_change): an edge-triggered waiter that ran in between gets a
 * second event at once. Not printed: it varies from run to run.
 */
static void ep_drain(int ep)
{
	struct epoll_event got[4];

	epoll_wait(ep, got, 4, 0);
}

/* Until an event with bit comes (edge-triggered: other changes may come first). */
static void ep_until(const char *step, int ep, unsigned int bit)
{
	struct epoll_event got[4];
	char buf[128];

	for (int i = 0; i < 8; i++) {
		int n = epoll_wait(ep, got, 4, WAIT_MS);

		if (n == 1 && (got[0].events & bit)) {
			out(step, "%s", ev_names((int)got[0].events, buf, sizeof(buf)));
			return;
		}
		if (n != 1)
			break;
	}
	out(step, "timeout");
}

/*
 * Edge-triggered epoll across the changes the stack makes: one event per
 * change, registered before it happens (a refused connect, an established
 * one, an ICMP error on a connected UDP socket, a reset).
 */
static void et_changes(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int r = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int x = socket(AF_INET, SOCK_STREAM, 0);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct epoll_event ev = {.events = ALL_EVENTS | EPOLLET};

	res("refused connect", do_connect(r, sa(peer, PORT_CLOSED)));
	res("refused ADD", epoll_ctl(ep, EPOLL_CTL_ADD, r, &ev));
	ep_step("refused: first wait", ep, WAIT_MS);
	ep_drain(ep);
	ep_step("refused: nothing new", ep, 0);
	opt("refused: SO_ERROR", r, SOL_SOCKET, SO_ERROR);
	ep_step("refused: nothing new after SO_ERROR", ep, 0);
	res("refused DEL", epoll_ctl(ep, EPOLL_CTL_DEL, r, NULL));

	res("connect", do_connect(c, sa(peer, PORT_HOLD)));
	res("connecting ADD", epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev));
	ep_step("established: first wait", ep, WAIT_MS);
	ep_step("established: nothing new", ep, 0);
	res("established DEL", epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL));

	res("reset connect", connect_rst(x));
	ev.events = POLLOUT | EPOLLET;
	res("reset ADD (OUT)", epoll_ctl(ep, EPOLL_CTL_ADD, x, &ev));
	/* The reset may come before or after the ADD; only the event that has it is printed. */
	ep_until("reset: the reset", ep, POLLERR);
	ep_drain(ep);
	ep_step("reset: nothing new", ep, 0);
	res("reset DEL", epoll_ctl(ep, EPOLL_CTL_DEL, x, NULL));

	res("udp connect", do_connect(u, sa(peer, PORT_CLOSED)));
	res("udp ADD (OUT)", epoll_ctl(ep, EPOLL_CTL_ADD, u, &ev));
	ep_step("udp: writable at ADD", ep, WAIT_MS);
	res("udp send", send(u, "ping", 4, 0));
	ep_until("udp: the ICMP error", ep, POLLERR);
	ep_step("udp: nothing new", ep, 0);
	recv_step("udp recv", u, 10, MSG_DONTWAIT);
	close(ep);
	close(r);
	close(c);
	close(x);
	close(u);
}

/*
 * Bad pointers and values to the readiness calls, with emulated sockets in
 * the sets (not a bad timeout pointer: glibc's select and ppoll read it).
 */
static void readiness_bad_input(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	int ep = epoll_create1(EPOLL_CLOEXEC), ep2 = epoll_create1(EPOLL_CLOEXEC);
	struct pollfd p = {.fd = t, .events = POLLIN};
	struct timespec bad_ts = {0, 1000000000};
	struct epoll_event ev = {.events = EPOLLOUT};
	/* Through volatiles: the compiler refuses these calls when it sees them. */
	static volatile uintptr_t bad = 1;
	static volatile nfds_t huge = 1u << 30;
	struct epoll_event *bad_ev = (struct epoll_event *)bad;
	fd_set r;

	res("poll bad pointer", poll((struct pollfd *)bad, 1, 0));
	res("poll nfds beyond RLIMIT_NOFILE", poll(&p, huge, 0));
	res("ppoll tv_nsec 1e9", ppoll(&p, 1, &bad_ts, NULL));
	FD_ZERO(&r);
	FD_SET(t, &r);
	res("select bad write set", select(t + 1, &r, (fd_set *)1, NULL, &(struct timeval){0, 0}));
	res("select negative timeout", select(t + 1, &r, NULL, NULL, &(struct timeval){-1, 0}));
	res("pselect tv_nsec 1e9", pselect(t + 1, &r, NULL, NULL, &bad_ts, NULL));
	res("epoll_ctl ADD bad event", epoll_ctl(ep, EPOLL_CTL_ADD, t, (struct epoll_event *)1));
	res("epoll_ctl ADD", epoll_ctl(ep, EPOLL_CTL_ADD, t, &ev));
	res("epoll_ctl ADD again", epoll_ctl(ep, EPOLL_CTL_ADD, t, &ev));
	res("epoll_ctl ADD to itself", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
	res("epoll_ctl MOD bad event", epoll_ctl(ep, EPOLL_CTL_MOD, t, (struct epoll_event *)1));
	res("epoll_ctl bad op", epoll_ctl(ep, 77, t, &ev));
	res("epoll_ctl MOD not added", epoll_ctl(ep, EPOLL_CTL_MOD, u, &ev));
	res("epoll_ctl DEL not added", epoll_ctl(ep, EPOLL_CTL_DEL, u, NULL));
	res("epoll_ctl on a socket", epoll_ctl(t, EPOLL_CTL_ADD, u, &ev));
	ev.events = EPOLLOUT | EPOLLEXCLUSIVE | EPOLLONESHOT;
	res("epoll_ctl EXCLUSIVE|ONESHOT", epoll_ctl(ep2, EPOLL_CTL_ADD, u, &ev));
	ev.events = EPOLLOUT | EPOLLEXCLUSIVE;
	res("epoll_ctl EXCLUSIVE", epoll_ctl(ep2, EPOLL_CTL_ADD, u, &ev));
	res("epoll_ctl MOD EXCLUSIVE", epoll_ctl(ep2, EPOLL_CTL_MOD, u, &ev));
	res("epoll_wait bad events (synthetic)", epoll_wait(ep, bad_ev, 1, 0));
	res("epoll_wait bad events", epoll_wait(ep2, bad_ev, 1, 0));
	res("epoll_wait maxevents 0", epoll_wait(ep, &ev, 0, 0));
	res("epoll_pwait2 tv_nsec 1e9", epoll_pwait2(ep, &ev, 1, &bad_ts, NULL));
	res("epoll_wait on a socket", epoll_wait(t, &ev, 1, 0));
	res("epoll_ctl DEL", epoll_ctl(ep, EPOLL_CTL_DEL, t, NULL));
	res("epoll_wait after DEL", epoll_wait(ep, &ev, 1, 0));
	close(ep);
	close(ep2);
	close(t);
	close(u);
}

/* A registered socket closed, or replaced by dup2: the set forgets it, as the kernel's. */
static void epoll_close(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int t = socket(AF_INET, SOCK_STREAM, 0);
	int t2 = socket(AF_INET, SOCK_STREAM, 0);
	int t3 = socket(AF_INET, SOCK_STREAM, 0);
	struct epoll_event ev = {.events = EPOLLOUT};

	res("ADD", epoll_ctl(ep, EPOLL_CTL_ADD, t, &ev));
	ep_step("ready", ep, 0);
	close(t);
	ep_step("after close", ep, 0);
	res("ADD another", epoll_ctl(ep, EPOLL_CTL_ADD, t2, &ev));
	res("dup2 over it", dup2(t3, t2) == t2 ? 0 : -1);
	ep_step("after dup2 over it", ep, 0);
	res("ADD the new one", epoll_ctl(ep, EPOLL_CTL_ADD, t2, &ev));
	ep_step("the new one", ep, 0);
	close(ep);
	close(t2);
	close(t3);
}

/* SYN_SENT: a neighbour that does not answer ARP (PEER + 1 on the same /24). */
static void nb_connecting(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct in_addr nobody = {htonl(ntohl(peer.s_addr) + 1)};

	res("connect", do_connect(fd, sa(nobody, PORT_HOLD)));
	snap("poll", fd);
	snap_all("connecting", fd);
	opt("SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	close(fd);
}

static void connect_refused(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	res("connect", do_connect(fd, sa(peer, PORT_CLOSED)));
	opt("SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	snap("poll", fd);
	snap_all("refused", fd);
	name("getsockname", fd, 0);
	name("getpeername", fd, 1);
	recv_step("recv", fd, 1, MSG_DONTWAIT);
	res("send(NOSIGNAL)", send(fd, "x", 1, MSG_NOSIGNAL));
	close(fd);
}

static void nb_connect_refused(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	res("connect", do_connect(fd, sa(peer, PORT_CLOSED)));
	wait_for(fd, POLLOUT);
	/*
	 * The host closes its end of the pair with the connect filler unread:
	 * AF_UNIX wakes the poller (ERR|HUP) before it frees the filler (OUT);
	 * the interposer's readiness has OUT with HUP, as TCP_CLOSE does.
	 */
	snap("poll", fd);
	snap_all("refused", fd);
	opt("SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	opt("SO_ERROR again", fd, SOL_SOCKET, SO_ERROR);
	snap("poll after SO_ERROR", fd);
	snap_all("after SO_ERROR", fd);
	name("getpeername", fd, 1);
	recv_step("recv", fd, 1, 0);
	/*
	 * Still SS_CONNECTING: connect() again finds TCP_CLOSE, answers
	 * ECONNABORTED (the error was taken) and disconnects, which forgets
	 * tcp_done's shutdown: recv ENOTCONN, OUT|HUP; then it connects anew.
	 */
	res("connect again", do_connect(fd, sa(peer, PORT_CLOSED)));
	recv_step("disconnected: recv", fd, 1, 0);
	snap("disconnected: poll", fd);
	fcntl(fd, F_SETFL, 0);
	res("disconnected: blocking connect", do_connect(fd, sa(peer, PORT_HOLD)));
	name("reconnected: getpeername", fd, 1);
	close(fd);
}

/* The peer connects back to our listener: readiness and accept4 flags. */
static void listener(void)
{
	int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	int a, fl;
	char req[16];

	res("accept before listen", accept(l, NULL, NULL));
	res("bind", do_bind(l, sa_any(0)));
	res("listen", listen(l, 4));
	res("listen again", listen(l, 8));
	opt("SO_ACCEPTCONN", l, SOL_SOCKET, SO_ACCEPTCONN);
	snap("poll before", l);
	snap_all("listening", l);
	res("accept before", accept(l, NULL, NULL));
	name("getpeername", l, 1);
	res("connect on listener", do_connect(l, sa(peer, PORT_HOLD)));
	/* Flags are checked before anything, the wait of a blocking listener too. */
	fl = socket(AF_INET, SOCK_STREAM, 0);
	res("blocking listen", listen(fl, 1));
	res("blocking accept4(bad flags)", accept4(fl, NULL, NULL, 0x1));
	close(fl);

	res("connect to callback", do_connect(c, sa(peer, PORT_CALLBACK)));
	snprintf(req, sizeof(req), "%u\n", local_port(l));
	res("send port", send(c, req, strlen(req), 0) == (ssize_t)strlen(req) ? 0 : -1);
	wait_for(l, POLLIN);
	snap("poll after", l);
	snap_all("listening, one pending", l);

	res("accept4(bad flags), one pending", accept4(l, NULL, NULL, SOCK_NONBLOCK | 0x1));
	a = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	res("accept4(NONBLOCK|CLOEXEC)", a < 0 ? -1 : 0);
	fl = fcntl(a, F_GETFL);
	out("O_NONBLOCK", "%d", fl >= 0 && (fl & O_NONBLOCK) ? 1 : 0);
	out("FD_CLOEXEC", "%d", fcntl(a, F_GETFD) == FD_CLOEXEC);
	name("accepted getsockname", a, 0);
	name("accepted getpeername", a, 1);
	opt("accepted SO_ACCEPTCONN", a, SOL_SOCKET, SO_ACCEPTCONN);
	opt("accepted SO_TYPE", a, SOL_SOCKET, SO_TYPE);
	wait_for(a, POLLIN);
	snap("accepted poll", a);
	snap_all("accepted, data", a);
	fionread("accepted FIONREAD", a);
	recv_step("accepted recv", a, 100, 0);
	recv_step("accepted recv empty", a, 100, 0);
	snap("poll after accept", l);
	res("accept empty", accept(l, NULL, NULL));
	close(a);

	/* A second connection from the peer, taken with plain accept(). */
	res("send port again", send(c, req, strlen(req), 0) == (ssize_t)strlen(req) ? 0 : -1);
	wait_for(l, POLLIN);
	a = accept(l, NULL, NULL);
	res("accept", a < 0 ? -1 : 0);
	fl = fcntl(a, F_GETFL);
	out("O_NONBLOCK", "%d", fl >= 0 && (fl & O_NONBLOCK) ? 1 : 0);
	out("FD_CLOEXEC", "%d", fcntl(a, F_GETFD) == FD_CLOEXEC);
	close(a);
	close(c);
	close(l);
}

static long long now_ms(void);

/* Waits, WAIT_MS at most, until the thread that stores its id in *tid sleeps in a call. */
static void wait_asleep(_Atomic pid_t *tid)
{
	long long end = now_ms() + WAIT_MS;

	while (now_ms() < end && (!atomic_load(tid) || task_state(*tid) != 'S'))
		poll(NULL, 0, 1);
}

/* A thread asleep in accept() on fd. */
struct accept_waiter {
	int fd;
	_Atomic pid_t tid;
	int ret, err;
};

static void *accept_wait(void *arg)
{
	struct accept_waiter *w = arg;

	atomic_store(&w->tid, (pid_t)syscall(SYS_gettid));
	w->ret = accept(w->fd, NULL, NULL);
	w->err = errno;
	return NULL;
}

/* The peer connects back to l (PORT_CALLBACK, told on c) and l accepts it. */
static void callback_accept(const char *step, int c, int l)
{
	char req[16];
	int a;

	snprintf(req, sizeof(req), "%u\n", local_port(l));
	if (send(c, req, strlen(req), 0) != (ssize_t)strlen(req)) {
		out(step, "send: %s", err_name(errno));
		return;
	}
	wait_for(l, POLLIN);
	a = accept(l, NULL, NULL);
	res(step, a < 0 ? -1 : 0);
	if (a >= 0)
		close(a);
}

/*
 * shutdown(SHUT_RD or SHUT_RDWR) of a listener takes it out of TCP_LISTEN
 * (inet_shutdown's disconnect): an accept() asleep in it returns EINVAL,
 * as every accept() after, and the socket polls and answers as a closed
 * one until listen() makes it listen again; SHUT_WR changes nothing.
 */
static void listener_shutdown(void)
{
	static const char *const hows[] = {"SHUT_RD", "SHUT_WR", "SHUT_RDWR"};
	int c = socket(AF_INET, SOCK_STREAM, 0);
	char step[64];

	res("connect to callback", do_connect(c, sa(peer, PORT_CALLBACK)));
	for (int how = SHUT_RD; how <= SHUT_RDWR; how++) {
		struct accept_waiter w = {.fd = socket(AF_INET, SOCK_STREAM, 0)};
		struct timeval tv = {WAIT_MS / 1000, 0};
		pthread_t t;

		/* Not woken, the accept ends (EAGAIN) and shows as a difference. */
		setsockopt(w.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		res("bind", do_bind(w.fd, sa_any(0)));
		res("listen", listen(w.fd, 4));
		if (how != SHUT_WR) {
			pthread_create(&t, NULL, accept_wait, &w);
			wait_asleep(&w.tid);
		}
		snprintf(step, sizeof(step), "%s: shutdown", hows[how]);
		res(step, shutdown(w.fd, how));
		if (how != SHUT_WR) {
			pthread_join(t, NULL);
			snprintf(step, sizeof(step), "%s: accept asleep", hows[how]);
			out(step, "%s", w.ret < 0 ? err_name(w.err) : "a connection");
		}
		fcntl(w.fd, F_SETFL, O_NONBLOCK);
		snprintf(step, sizeof(step), "%s: after", hows[how]);
		snap_all(step, w.fd);
		snprintf(step, sizeof(step), "%s: SO_ACCEPTCONN", hows[how]);
		opt(step, w.fd, SOL_SOCKET, SO_ACCEPTCONN);
		snprintf(step, sizeof(step), "%s: accept", hows[how]);
		res(step, accept(w.fd, NULL, NULL));
		snprintf(step, sizeof(step), "%s: recv", hows[how]);
		recv_step(step, w.fd, 1, 0);
		snprintf(step, sizeof(step), "%s: send", hows[how]);
		res(step, send(w.fd, "x", 1, MSG_NOSIGNAL));
		snprintf(step, sizeof(step), "%s: listen again", hows[how]);
		res(step, listen(w.fd, 4));
		snprintf(step, sizeof(step), "%s: SO_ACCEPTCONN again", hows[how]);
		opt(step, w.fd, SOL_SOCKET, SO_ACCEPTCONN);
		snprintf(step, sizeof(step), "%s: accept a connection", hows[how]);
		callback_accept(step, c, w.fd);
		close(w.fd);
	}
	close(c);
}

/* Whether fd has a local port (or ICMP id) yet. */
static void bound_step(const char *step, int fd)
{
	struct sockaddr_in sin = {0};
	socklen_t len = sizeof(sin);

	if (getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
		out(step, "%s", err_name(errno));
	else
		out(step, "%s", sin.sin_port ? "a port" : "no port");
}

/*
 * inet_send_prepare binds an unbound UDP or ping socket before the
 * protocol looks at the send, so a send that fails leaves it bound too.
 */
static void dgram_autobind(void)
{
	static const char *const kinds[] = {"udp", "ping"};
	static const char *const sends[] = {"no address", "port 0", "too big", "bad flag"};
	static char big[70000];

	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < 4; i++) {
			int fd = socket(AF_INET, SOCK_DGRAM, k ? IPPROTO_ICMP : 0);
			struct sockaddr_in to = sa(peer, 0);
			char step[64], echo[8] = {8};
			ssize_t r;

			snprintf(step, sizeof(step), "%s %s: socket", kinds[k], sends[i]);
			res(step, fd < 0 ? -1 : 0);
			if (fd < 0)
				continue;
			if (i == 0)
				r = send(fd, echo, sizeof(echo), 0);
			else if (i == 1)
				r = sendto(fd, echo, sizeof(echo), 0, (struct sockaddr *)&to,
					   sizeof(to));
			else if (i == 2)
				r = send(fd, big, sizeof(big), 0);
			else
				r = send(fd, echo, sizeof(echo), MSG_OOB);
			snprintf(step, sizeof(step), "%s %s: send", kinds[k], sends[i]);
			res(step, (long)r);
			snprintf(step, sizeof(step), "%s %s: after", kinds[k], sends[i]);
			bound_step(step, fd);
			close(fd);
		}
	}
}

/*
 * A socket that a refused connect() left in TCP_CLOSE gave its autobound
 * port back (__inet_put_port: inet_num 0): it may bind() again, and a
 * listener shut down listens again at listen(); getsockname() still names
 * the old port (inet_sport stays).
 */
static void port_after_close(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	res("connect refused", do_connect(fd, sa(peer, PORT_CLOSED)));
	bound_step("getsockname", fd);
	res("bind again", do_bind(fd, sa_any(0)));
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	res("listen", listen(fd, 1));
	res("shutdown(SHUT_RD)", shutdown(fd, SHUT_RD));
	bound_step("stopped: getsockname", fd);
	res("stopped: bind again", do_bind(fd, sa_any(0)));
	res("stopped: listen again", listen(fd, 1));
	close(fd);
}

/*
 * A TCP socket keeps the role it took first, on the kernel this runs on:
 * one that listened refuses connect() even after shutdown() or
 * connect(AF_UNSPEC) stopped it (it may listen again), and one that
 * connected, tried to, or was accepted refuses listen() after a
 * disconnect (it may connect again). A route that fails still answers
 * first.
 */
static void ioctl_step(const char *step, int fd, unsigned long cmd);
static void tcp_state(const char *step, int fd);

/* write_seq through TCP_REPAIR's send queue (TCP_QUEUE_SEQ), repair off again. */
static uint32_t write_seq(int fd)
{
	int on = 1, off = 0, q = TCP_SEND_QUEUE;
	uint32_t seq = 0;
	socklen_t len = sizeof(seq);

	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &q, sizeof(q)) ||
	    getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, &seq, &len))
		out("write_seq", "TCP_REPAIR: %s", strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off));
	return seq;
}

static void tcp_role(void)
{
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	int fd = socket(AF_INET, SOCK_STREAM, 0), l, c, a;
	unsigned int port;
	uint32_t seq;
	char req[16];

	res("listen", listen(fd, 1));
	res("shutdown(SHUT_RD)", shutdown(fd, SHUT_RD));
	/* tcp_disconnect moved write_seq on by max_window + 2 (0 + 2 here). */
	ioctl_step("stopped: SIOCOUTQ", fd, SIOCOUTQ);
	ioctl_step("stopped: SIOCOUTQNSD", fd, SIOCOUTQNSD);
	res("stopped: connect", do_connect(fd, sa(peer, PORT_HOLD)));
	res("stopped: connect AF_UNSPEC", connect(fd, &unspec, sizeof(unspec)));
	res("stopped: connect again", do_connect(fd, sa(peer, PORT_HOLD)));
	res("stopped: connect 224.0.0.1",
	    do_connect(fd, sa((struct in_addr){htonl(0xe0000001)}, 9)));
	/* Not handed to the kernel's lo (README "Loopback"): the role stays. */
	res("stopped: connect 127.0.0.1:9",
	    do_connect(fd, sa((struct in_addr){htonl(INADDR_LOOPBACK)}, 9)));
	name("stopped: getsockname", fd, 0);
	res("stopped: listen again", listen(fd, 1));
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	res("listen, then", listen(fd, 1));
	res("listener: connect AF_UNSPEC", connect(fd, &unspec, sizeof(unspec)));
	res("listener: connect", do_connect(fd, sa(peer, PORT_HOLD)));
	close(fd);

	fd = socket(AF_INET, SOCK_STREAM, 0);
	res("connect", do_connect(fd, sa(peer, PORT_HOLD)));
	res("connected: connect AF_UNSPEC", connect(fd, &unspec, sizeof(unspec)));
	res("disconnected: listen", listen(fd, 1));
	res("disconnected: connect again", do_connect(fd, sa(peer, PORT_HOLD)));
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	res("connect refused", do_connect(fd, sa(peer, PORT_CLOSED)));
	port = local_port(fd);
	res("refused: listen", listen(fd, 1));
	/* That listen() took a new port before it refused, and keeps it. */
	out("refused: port after listen", "%s", local_port(fd) == port ? "the same" : "another");
	port = local_port(fd);
	res("refused: bind", do_bind(fd, sa_any(0)));
	ioctl_step("refused: SIOCOUTQ", fd, SIOCOUTQ);
	ioctl_step("refused: SIOCOUTQNSD", fd, SIOCOUTQNSD);
	/* The next connect's ISN is that write_seq (tcp_v4_connect), not a new secure one. */
	seq = write_seq(fd);
	res("refused: connect again", do_connect(fd, sa(peer, PORT_HOLD)));
	out("reconnected: write_seq past the old one", "%u", write_seq(fd) - seq);
	out("reconnected: from the listen's port", "%s", local_port(fd) == port ? "yes" : "no");
	close(fd);

	l = socket(AF_INET, SOCK_STREAM, 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	do_bind(l, sa_any(0));
	listen(l, 1);
	res("connect to callback", do_connect(c, sa(peer, PORT_CALLBACK)));
	snprintf(req, sizeof(req), "%u\n", local_port(l));
	res("send port", send(c, req, strlen(req), 0) == (ssize_t)strlen(req) ? 0 : -1);
	a = accept(l, NULL, NULL);
	res("accept", a < 0 ? -1 : 0);
	res("accepted: connect AF_UNSPEC", connect(a, &unspec, sizeof(unspec)));
	res("accepted, disconnected: listen", listen(a, 1));
	close(a);
	close(c);
	close(l);
}

/*
 * shutdown() of a socket never connected answers ENOTCONN and keeps the
 * bits (inet_shutdown): a refused blocking connect then disconnects, which
 * forgets them (recv ENOTCONN, not EOF); one that connects keeps them.
 */
static void shutdown_unconnected(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char b[4];

	res("shutdown(SHUT_RDWR)", shutdown(fd, SHUT_RDWR));
	snap("poll after", fd);
	res("connect refused", do_connect(fd, sa(peer, PORT_CLOSED)));
	res("refused: recv", recv(fd, b, sizeof(b), MSG_DONTWAIT));
	snap("refused: poll", fd);
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	res("shutdown(SHUT_WR)", shutdown(fd, SHUT_WR));
	res("connect", do_connect(fd, sa(peer, PORT_HOLD)));
	snap("connected: poll", fd);
	tcp_state("connected: no FIN sent, state", fd);
	res("connected: send", send(fd, "x", 1, MSG_NOSIGNAL));
	close(fd);
}

/*
 * A TCP socket bound to a multicast address sends from its device's
 * (inet_saddr 0) and, connecting, takes that as its bound address too
 * (inet_bhash2_update_saddr), so the replies reach it.
 */
static void tcp_bound_multicast(void)
{
	static const int ports[] = {PORT_HOLD, PORT_CLOSED};

	for (int i = 0; i < 2; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		char step[64];

		snprintf(step, sizeof(step), "%s: bind 224.0.0.1", i ? "refused" : "held");
		res(step, do_bind(fd, sa((struct in_addr){htonl(0xe0000001)}, 0)));
		snprintf(step, sizeof(step), "%s: connect", i ? "refused" : "held");
		res(step, do_connect(fd, sa(peer, ports[i])));
		snprintf(step, sizeof(step), "%s: getsockname", i ? "refused" : "held");
		name(step, fd, 0);
		close(fd);
	}
}

/* One datagram to the peer's echo port with an IP_PKTINFO naming ifindex and spec_dst. */
static ssize_t send_pktinfo(int fd, int ifindex, uint32_t spec_dst)
{
	struct sockaddr_in to = sa(peer, PORT_ECHO);
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} u = {0};
	struct iovec iov = {"x", 1};
	struct msghdr m = {.msg_name = &to,
			   .msg_namelen = sizeof(to),
			   .msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = u.buf,
			   .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	struct in_pktinfo pi = {.ipi_ifindex = ifindex, .ipi_spec_dst.s_addr = spec_dst};

	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	return sendmsg(fd, &m, 0);
}

/*
 * A loopback source never leaves by another device (__mkroute_output): a
 * socket bound to 127.0.0.1, or given it by a connect() to 0.0.0.0, cannot
 * connect to the peer.
 */
static void loopback_source(void)
{
	static const char *const kinds[] = {"tcp", "udp", "raw"};
	static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_RAW};
	char step[64];

	for (int k = 0; k < 3; k++) {
		int fd = socket(AF_INET, types[k], k == 2 ? IPPROTO_UDP : 0);

		snprintf(step, sizeof(step), "%s: bind 127.0.0.1", kinds[k]);
		res(step, do_bind(fd, sa((struct in_addr){htonl(INADDR_LOOPBACK)}, 0)));
		snprintf(step, sizeof(step), "%s: connect to the peer", kinds[k]);
		res(step, do_connect(fd, sa(peer, k ? PORT_ECHO : PORT_HOLD)));
		snprintf(step, sizeof(step), "%s: getsockname", kinds[k]);
		name(step, fd, 0);
		if (k) {
			struct sockaddr_in to = sa(peer, PORT_ECHO);

			snprintf(step, sizeof(step), "%s: sendto the peer", kinds[k]);
			res(step, sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)));
		}
		close(fd);
	}
	{
		int fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
		struct sockaddr_in to = sa(peer, 0);
		char echo[8] = {8};

		res("ping: bind 127.0.0.1",
		    do_bind(fd, sa((struct in_addr){htonl(INADDR_LOOPBACK)}, 0)));
		res("ping: sendto the peer",
		    sendto(fd, echo, sizeof(echo), 0, (struct sockaddr *)&to, sizeof(to)));
		close(fd);
	}
	/* IP_PKTINFO's ipi_spec_dst is the source of that one send (ip_cmsg_send). */
	{
		int fd = socket(AF_INET, SOCK_DGRAM, 0);

		res("udp: sendmsg from 127.0.0.1 (IP_PKTINFO)",
		    send_pktinfo(fd, 0, htonl(INADDR_LOOPBACK)));
		res("udp: sendmsg from 0.0.0.0 (IP_PKTINFO)", send_pktinfo(fd, 0, 0));
		close(fd);
	}
	{
		int fd = socket(AF_INET, SOCK_DGRAM, 0);

		res("udp: connect 0.0.0.0", do_connect(fd, sa_any(9)));
		res("udp: then the peer", do_connect(fd, sa(peer, PORT_ECHO)));
		close(fd);
	}
	/* The limited broadcast goes out lo instead: the protocols' own answers. */
	for (int k = 0; k < 3; k++) {
		int fd = socket(AF_INET, types[k], k == 2 ? IPPROTO_UDP : 0);

		do_bind(fd, sa((struct in_addr){htonl(INADDR_LOOPBACK)}, 0));
		snprintf(step, sizeof(step), "%s: connect to 255.255.255.255", kinds[k]);
		res(step, do_connect(fd, sa((struct in_addr){htonl(INADDR_BROADCAST)}, 9)));
		close(fd);
	}
}

/*
 * Connects on 127/8 that the stack serves or hands to the kernel's lo
 * (README "Loopback"): a TCP socket connecting to its own name is its own
 * peer (a simultaneous open with itself), the other name refused; a
 * socket handed over keeps the port its bind() to port 0 got, and lets it
 * go at a disconnect as the kernel does (UDP: no SOCK_BINDPORT_LOCK).
 */
static void loopback_self(void)
{
	static const char *const binds[] = {"127.0.0.1", "ANY", "ANY"};
	static const uint32_t bound[] = {INADDR_LOOPBACK, INADDR_ANY, INADDR_ANY};
	static const uint32_t to[] = {INADDR_LOOPBACK, INADDR_LOOPBACK, INADDR_LOOPBACK + 1};
	static const char *const kinds[] = {"tcp", "udp"};
	char step[64];

	for (int i = 0; i < 3; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		unsigned int port;

		do_bind(fd, sa((struct in_addr){htonl(bound[i])}, 0));
		port = local_port(fd);
		snprintf(step, sizeof(step), "tcp %s: connect to 127.0.0.%u:own port", binds[i],
			 to[i] & 0xff);
		res(step, do_connect(fd, sa((struct in_addr){htonl(to[i])}, port)));
		snprintf(step, sizeof(step), "tcp %s: getpeername", binds[i]);
		name(step, fd, 1);
		snprintf(step, sizeof(step), "tcp %s: port kept", binds[i]);
		out(step, "%s", local_port(fd) == port ? "yes" : "no");
		snprintf(step, sizeof(step), "tcp %s: send", binds[i]);
		res(step, send(fd, "hello", 5, MSG_NOSIGNAL));
		/* The bytes come back through the stack host: a wait, not the kernel's lo at once.
		 */
		poll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, 5000);
		snprintf(step, sizeof(step), "tcp %s: recv", binds[i]);
		recv_step(step, fd, 16, MSG_DONTWAIT);
		close(fd);
	}
	/* A UDP shutdown() before the connect keeps its bits in the kernel's socket too. */
	for (int how = SHUT_RD; how <= SHUT_RDWR; how++) {
		int fd = socket(AF_INET, SOCK_DGRAM, 0);

		snprintf(step, sizeof(step), "udp shutdown %d: shutdown", how);
		res(step, shutdown(fd, how));
		snprintf(step, sizeof(step), "udp shutdown %d: connect to 127.0.0.1:9", how);
		res(step, do_connect(fd, sa((struct in_addr){htonl(INADDR_LOOPBACK)}, 9)));
		snprintf(step, sizeof(step), "udp shutdown %d: poll", how);
		snap(step, fd);
		snprintf(step, sizeof(step), "udp shutdown %d: send", how);
		res(step, send(fd, "x", 1, 0));
		close(fd);
	}
	/* A raw socket of protocol UDP has no port: it stays where it is, in the stack. */
	{
		int fd = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);

		res("raw udp: connect 127.0.0.1",
		    do_connect(fd, sa((struct in_addr){htonl(INADDR_LOOPBACK)}, 0)));
		res("raw udp: then SELF", do_connect(fd, sa(self, 0)));
		res("raw udp: then the peer (a loopback source)", do_connect(fd, sa(peer, 0)));
		close(fd);
	}
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < 2; i++) {
			int fd = socket(AF_INET, k ? SOCK_DGRAM : SOCK_STREAM, 0);
			struct sockaddr_in unspec = {.sin_family = AF_UNSPEC};
			unsigned int port;

			do_bind(fd, sa((struct in_addr){htonl(bound[i])}, 0));
			port = local_port(fd);
			snprintf(step, sizeof(step), "%s %s: connect to 127.0.0.1:9", kinds[k],
				 binds[i]);
			res(step, do_connect(fd, sa((struct in_addr){htonl(INADDR_LOOPBACK)}, 9)));
			snprintf(step, sizeof(step), "%s %s: port kept", kinds[k], binds[i]);
			out(step, "%s", local_port(fd) == port ? "yes" : "no");
			snprintf(step, sizeof(step), "%s %s: disconnect", kinds[k], binds[i]);
			res(step, connect(fd, (struct sockaddr *)&unspec, sizeof(unspec)));
			snprintf(step, sizeof(step), "%s %s: getsockname", kinds[k], binds[i]);
			name(step, fd, 0);
			close(fd);
		}
	}
}

/*
 * SO_BINDTOIFINDEX takes an index no device has (sock_bindtoindex does not
 * look); the route lookup of each connect and send then fails with ENODEV
 * (ip_route_output_key_hash_rcu), as does a send whose IP_PKTINFO names
 * such an index. An IP_PKTINFO index of 0 leaves the bound one.
 */
static void bound_dev_gone(void)
{
	static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_RAW};
	static const char *const kinds[] = {"tcp", "udp", "raw"};
	struct sockaddr_in to = sa(peer, PORT_ECHO);
	const int gone = 65536, none = 0;
	char step[64];

	for (int k = 0; k < 3; k++) {
		int fd = socket(AF_INET, types[k], k == 2 ? IPPROTO_UDP : 0);

		snprintf(step, sizeof(step), "%s: SO_BINDTOIFINDEX 65536", kinds[k]);
		res(step, setsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &gone, sizeof(gone)));
		snprintf(step, sizeof(step), "%s: SO_BINDTOIFINDEX", kinds[k]);
		opt(step, fd, SOL_SOCKET, SO_BINDTOIFINDEX);
		if (k) {
			snprintf(step, sizeof(step), "%s: sendto the peer", kinds[k]);
			res(step, sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)));
			snprintf(step, sizeof(step), "%s: IP_PKTINFO index 0", kinds[k]);
			res(step, send_pktinfo(fd, 0, 0));
			snprintf(step, sizeof(step), "%s: IP_PKTINFO index 1", kinds[k]);
			res(step, send_pktinfo(fd, 1, 0));
		}
		snprintf(step, sizeof(step), "%s: connect to the peer", kinds[k]);
		res(step, do_connect(fd, sa(peer, k ? PORT_ECHO : PORT_HOLD)));
		snprintf(step, sizeof(step), "%s: getsockname", kinds[k]);
		name(step, fd, 0);
		snprintf(step, sizeof(step), "%s: unbound again", kinds[k]);
		res(step, setsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &none, sizeof(none)));
		if (k) {
			snprintf(step, sizeof(step), "%s: sendto the peer", kinds[k]);
			res(step, sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)));
		}
		close(fd);
	}
	{
		int fd = socket(AF_INET, SOCK_DGRAM, 0);

		res("udp: IP_PKTINFO index 65536", send_pktinfo(fd, gone, 0));
		res("udp connected: connect", do_connect(fd, to));
		setsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &gone, sizeof(gone));
		res("udp connected: send after SO_BINDTOIFINDEX 65536", send(fd, "x", 1, 0));
		res("udp connected: SO_BINDTODEVICE lo",
		    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3));
		res("udp connected: send", send(fd, "x", 1, 0));
		close(fd);
	}
}

/*
 * Traffic to this host's own addresses leaves by lo, whose MTU is 65536
 * (ipv4_mtu caps it at 65535): IP_MTU, a datagram with DF set and TCP's
 * MSS there are lo's, not the link's.
 */
static void loopback_mtu(void)
{
	static const char *const names[] = {"127.0.0.1", "SELF"};
	const struct in_addr dsts[] = {{htonl(INADDR_LOOPBACK)}, self};
	const int dont = IP_PMTUDISC_DO;
	static char big[3000];
	char step[64];

	for (int i = 0; i < 2; i++) {
		int r = socket(AF_INET, SOCK_DGRAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
		int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), a;
		struct sockaddr_in at;
		socklen_t len = sizeof(at);

		do_bind(r, sa(dsts[i], 0));
		getsockname(r, (struct sockaddr *)&at, &len);
		do_connect(u, at);
		snprintf(step, sizeof(step), "%s: udp IP_MTU", names[i]);
		opt(step, u, SOL_IP, IP_MTU);
		setsockopt(u, SOL_IP, IP_MTU_DISCOVER, &dont, sizeof(dont));
		snprintf(step, sizeof(step), "%s: udp send 3000 with DF", names[i]);
		res(step, send(u, big, sizeof(big), 0));
		poll(&(struct pollfd){.fd = r, .events = POLLIN}, 1, 5000);
		snprintf(step, sizeof(step), "%s: udp received", names[i]);
		res(step, recv(r, big, sizeof(big), MSG_DONTWAIT));

		do_bind(l, sa(dsts[i], 0));
		listen(l, 1);
		len = sizeof(at);
		getsockname(l, (struct sockaddr *)&at, &len);
		snprintf(step, sizeof(step), "%s: tcp connect", names[i]);
		res(step, do_connect(c, at));
		a = accept(l, NULL, NULL);
		snprintf(step, sizeof(step), "%s: tcp TCP_MAXSEG", names[i]);
		opt(step, c, SOL_TCP, TCP_MAXSEG);
		snprintf(step, sizeof(step), "%s: tcp accepted TCP_MAXSEG", names[i]);
		opt(step, a, SOL_TCP, TCP_MAXSEG);
		snprintf(step, sizeof(step), "%s: tcp IP_MTU", names[i]);
		opt(step, c, SOL_IP, IP_MTU);
		close(a);
		close(c);
		close(l);
		close(u);
		close(r);
	}
}

/* One epoll_wait: the event and the registration's data. */
static void ep_data_step(const char *step, int ep, int ms)
{
	struct epoll_event got[4];
	char buf[128];
	int n = epoll_wait(ep, got, 4, ms);

	if (n == 1)
		out(step, "%s data %#llx", ev_names((int)got[0].events, buf, sizeof(buf)),
		    (unsigned long long)got[0].data.u64);
	else
		out(step, "%d events", n);
}

/*
 * epoll sets that hold a socket before listen() keep it after (an event
 * loop that registers every socket it makes: pyftpdlib's): the peer's
 * connection wakes them, level- and edge-triggered, with their data.
 */
static void epoll_before_listen(void)
{
	int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	int lt = epoll_create1(EPOLL_CLOEXEC), et = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x5eed};
	char req[16];
	int a;

	res("ADD level", epoll_ctl(lt, EPOLL_CTL_ADD, l, &ev));
	ev.events = EPOLLIN | EPOLLET;
	res("ADD edge", epoll_ctl(et, EPOLL_CTL_ADD, l, &ev));
	ep_data_step("fresh, level", lt, 0);
	ep_data_step("fresh, edge", et, 0);
	res("bind", do_bind(l, sa_any(0)));
	res("listen", listen(l, 4));
	ep_data_step("listening, level", lt, 0);
	ep_data_step("listening, edge", et, 0);
	res("connect to callback", do_connect(c, sa(peer, PORT_CALLBACK)));
	snprintf(req, sizeof(req), "%u\n", local_port(l));
	res("send port", send(c, req, strlen(req), 0) == (ssize_t)strlen(req) ? 0 : -1);
	ep_data_step("one pending, level", lt, WAIT_MS);
	ep_data_step("one pending, edge", et, WAIT_MS);
	ep_data_step("one pending, edge again", et, 0);
	a = accept(l, NULL, NULL);
	res("accept", a < 0 ? -1 : 0);
	ep_data_step("accepted, level", lt, 0);
	ev.events = EPOLLIN;
	res("MOD edge to level", epoll_ctl(et, EPOLL_CTL_MOD, l, &ev));
	res("DEL level", epoll_ctl(lt, EPOLL_CTL_DEL, l, NULL));
	res("DEL again", epoll_ctl(lt, EPOLL_CTL_DEL, l, NULL));
	close(a);
	close(c);
	close(lt);
	close(et);
	close(l);
}

static void fin(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	res("connect", do_connect(fd, sa(peer, PORT_FIN)));
	wait_for(fd, POLLRDHUP);
	snap("poll", fd);
	snap_all("peer's FIN", fd);
	fionread("FIONREAD", fd);
	recv_step("recv", fd, 100, 0);
	recv_step("recv at EOF", fd, 100, 0);
	recv_step("recv at EOF again", fd, 100, 0);
	opt("SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	snap("poll at EOF", fd);
	res("shutdown(WR)", shutdown(fd, SHUT_WR));
	snap("poll after shutdown(WR)", fd);
	snap_all("both FINs", fd);
	res("send(NOSIGNAL)", send(fd, "x", 1, MSG_NOSIGNAL));
	close(fd);
}

/* TCP_INFO's tcpi_state, by the kernel's numbers (TCP_ESTABLISHED 1 ... TCP_CLOSING 11). */
static void tcp_state(const char *step, int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		out(step, "%s", err_name(errno));
	else
		out(step, "%u", ti.tcpi_state);
}

/*
 * The active closer once the peer's FIN came: the kernel's socket is
 * TCP_CLOSE (tcp_time_wait's tcp_done; a timewait sock the program never
 * sees holds the connection), so TCP_INFO says CLOSE and getpeername and
 * shutdown say ENOTCONN, while sock->state is still SS_CONNECTED (connect
 * EISCONN).
 */
static void time_wait(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	res("connect", do_connect(fd, sa(peer, PORT_EOF_CLOSE)));
	tcp_state("TCP_INFO state", fd);
	res("shutdown(WR)", shutdown(fd, SHUT_WR));
	wait_for(fd, POLLRDHUP);
	tcp_state("TCP_INFO state after both FINs", fd);
	snap_all("after both FINs", fd);
	name("getsockname", fd, 0);
	name("getpeername", fd, 1);
	recv_step("recv", fd, 100, MSG_DONTWAIT);
	res("shutdown(RD)", shutdown(fd, SHUT_RD));
	res("shutdown(RDWR)", shutdown(fd, SHUT_RDWR));
	res("connect again", do_connect(fd, sa(peer, PORT_EOF_CLOSE)));
	opt("SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	close(fd);
}

/*
 * recvmsg on a TCP socket, with a msghdr whose name, control and flags hold
 * junk: ____sys_recvmsg writes back msg_namelen 0 (tcp_recvmsg names no
 * peer), msg_controllen 0 (no control message asked for) and msg_flags
 * from MSG_CMSG_CLOEXEC and the protocol's; on an error nothing.
 */
static void rmsg_step(const char *step, int fd, size_t len, int flags)
{
	struct sockaddr_in sin;
	char buf[64], ctl[64];
	struct iovec iov = {buf, len < sizeof(buf) ? len : sizeof(buf)};
	struct msghdr m = {.msg_name = &sin,
			   .msg_namelen = sizeof(sin),
			   .msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = ctl,
			   .msg_controllen = sizeof(ctl),
			   .msg_flags = 0x7fff};
	ssize_t r;

	memset(&sin, 0xaa, sizeof(sin));
	memset(ctl, 0xaa, sizeof(ctl));
	r = recvmsg(fd, &m, flags);
	if (r < 0)
		out(step, "%s namelen %u controllen %zu flags %#x", err_name(errno), m.msg_namelen,
		    m.msg_controllen, (unsigned int)m.msg_flags);
	else
		out(step, "%zd namelen %u controllen %zu flags %#x", r, m.msg_namelen,
		    m.msg_controllen, (unsigned int)m.msg_flags);
}

static void tcp_recvmsg_fields(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	rmsg_step("never connected", fd, 10, MSG_DONTWAIT);
	res("shutdown(RD) unconnected", shutdown(fd, SHUT_RD));
	rmsg_step("never connected, shut", fd, 10, MSG_DONTWAIT);
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	res("connect", do_connect(fd, sa(peer, PORT_TECHO)));
	res("send", send(fd, "hello world", 11, 0));
	wait_for(fd, POLLIN);
	rmsg_step("peek", fd, 2, MSG_PEEK);
	rmsg_step("peek, MSG_TRUNC", fd, 2, MSG_PEEK | MSG_TRUNC);
	rmsg_step("read", fd, 2, 0);
	rmsg_step("read, MSG_CMSG_CLOEXEC", fd, 2, MSG_CMSG_CLOEXEC);
	rmsg_step("MSG_TRUNC", fd, 3, MSG_TRUNC);
	rmsg_step("MSG_TRUNC, MSG_CMSG_CLOEXEC", fd, 2, MSG_TRUNC | MSG_CMSG_CLOEXEC);
	rmsg_step("read", fd, 64, 0);
	rmsg_step("nothing there", fd, 64, MSG_DONTWAIT);
	rmsg_step("nothing there, MSG_TRUNC", fd, 64, MSG_DONTWAIT | MSG_TRUNC);
	rmsg_step("MSG_OOB, none", fd, 64, MSG_OOB);
	res("shutdown(RD)", shutdown(fd, SHUT_RD));
	rmsg_step("EOF", fd, 64, 0);
	rmsg_step("EOF, MSG_TRUNC", fd, 64, MSG_TRUNC);
	rmsg_step("EOF, MSG_CMSG_CLOEXEC", fd, 64, MSG_CMSG_CLOEXEC);
	close(fd);
}

/* recvmsg with TCP_INQ on: what it read and the TCP_CM_INQ it carried. */
static void cm_inq_step(const char *step, int fd, size_t len)
{
	union {
		struct cmsghdr align;
		char buf[64];
	} ctl;
	char buf[64];
	struct iovec iov = {buf, len < sizeof(buf) ? len : sizeof(buf)};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = ctl.buf,
			   .msg_controllen = sizeof(ctl)};
	ssize_t r = recvmsg(fd, &m, MSG_DONTWAIT);
	struct cmsghdr *c;
	int inq = -1;

	if (r < 0) {
		out(step, "%s", err_name(errno));
		return;
	}
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == IPPROTO_TCP && c->cmsg_type == TCP_CM_INQ)
			memcpy(&inq, CMSG_DATA(c), sizeof(inq));
	out(step, "%zd \"%.*s\" inq %d", r, (int)r, buf, inq);
}

/*
 * TCP_CM_INQ (tcp_inq_hint): the bytes to read, plus one once the peer's
 * FIN came (SOCK_DONE), none for a refusal or a reset.
 */
static void tcp_inq(void)
{
	static const int ports[] = {PORT_CLOSED, PORT_FIN, PORT_RST};
	int one = 1;

	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		res("TCP_INQ", setsockopt(fd, IPPROTO_TCP, TCP_INQ, &one, sizeof(one)));
		res("connect", do_connect(fd, sa(peer, ports[i])));
		if (ports[i] == PORT_FIN) {
			wait_for(fd, POLLRDHUP);
			cm_inq_step("FIN: recvmsg 2", fd, 2);
			cm_inq_step("FIN: recvmsg the rest", fd, 10);
			cm_inq_step("FIN: recvmsg at EOF", fd, 10);
		} else if (ports[i] == PORT_RST) {
			res("send", send(fd, "x", 1, 0));
			wait_for(fd, POLLHUP);
			cm_inq_step("reset: recvmsg", fd, 10);
			cm_inq_step("reset: recvmsg again", fd, 10);
		} else {
			cm_inq_step("refused: recvmsg", fd, 10);
		}
		close(fd);
	}
	/* Refused without waiting in connect(): SO_ERROR takes the error, reads are EOF. */
	{
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

		res("TCP_INQ", setsockopt(fd, IPPROTO_TCP, TCP_INQ, &one, sizeof(one)));
		res("non-blocking connect", do_connect(fd, sa(peer, PORT_CLOSED)));
		wait_for(fd, POLLHUP);
		opt("SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
		cm_inq_step("refused, non-blocking: recvmsg", fd, 10);
		close(fd);
	}
}

/* The kernel's struct tcp_zerocopy_receive (glibc's netinet/tcp.h has its first fields only). */
struct zc_receive {
	uint64_t address;
	uint32_t length, recv_skip_hint, inq;
	int32_t err;
	uint64_t copybuf_address;
	int32_t copybuf_len;
	uint32_t flags;
	uint64_t msg_control, msg_controllen;
	uint32_t msg_flags, reserved;
};

/* getsockopt(TCP_ZEROCOPY_RECEIVE) with z as given and optlen len: the answer and what it wrote. */
static void zc_step(const char *step, int fd, struct zc_receive z, socklen_t len)
{
	socklen_t l = len;
	int r = getsockopt(fd, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, &z, &l);

	if (r < 0)
		out(step, "%s", err_name(errno));
	else
		out(step, "0 optlen %u length %u skip %u inq %u err %d copybuf_len %d", l, z.length,
		    z.recv_skip_hint, z.inq, z.err, z.copybuf_len);
}

/*
 * TCP_ZEROCOPY_RECEIVE without a mapped region (none can be had of a
 * socket here): the checks of the struct, a fresh socket and a listener,
 * then the peer's "hello" and FIN: a hint to read it, a copy into
 * copybuf, EIO at EOF.
 */
static void tcp_zerocopy_receive(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), l = socket(AF_INET, SOCK_STREAM, 0);
	struct zc_receive z = {0}, bad;
	char big[sizeof(z) + 8] = {0}, cb[64] = {0};
	socklen_t blen = sizeof(big);

	zc_step("fresh", fd, z, sizeof(z));
	zc_step("optlen 8", fd, z, 8);
	zc_step("optlen 12", fd, z, 12);
	res("optlen 72 zeros", getsockopt(fd, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, big, &blen));
	out("optlen 72 zeros: optlen", "%u", blen);
	big[sizeof(z) + 1] = 1;
	blen = sizeof(big);
	res("optlen 72 non-zero tail",
	    getsockopt(fd, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, big, &blen));
	bad = z;
	bad.reserved = 1;
	zc_step("reserved", fd, bad, sizeof(z));
	bad = z;
	bad.msg_flags = 1;
	zc_step("msg_flags 1", fd, bad, sizeof(z));
	bad = z;
	bad.address = 1;
	zc_step("address 1", fd, bad, sizeof(z));
	res("listen", listen(l, 1));
	zc_step("listener", l, z, sizeof(z));
	res("connect", do_connect(fd, sa(peer, PORT_FIN)));
	wait_for(fd, POLLRDHUP);
	zc_step("hello waiting", fd, z, sizeof(z));
	zc_step("hello waiting, optlen 16", fd, z, 16);
	bad = z;
	bad.copybuf_address = (uintptr_t)cb;
	bad.copybuf_len = 4;
	zc_step("copybuf too short", fd, bad, sizeof(z));
	bad.copybuf_len = sizeof(cb);
	zc_step("copybuf", fd, bad, sizeof(z));
	out("copybuf holds", "\"%s\"", cb);
	zc_step("at EOF", fd, z, sizeof(z));
	recv_step("recv at EOF", fd, 100, 0);
	close(fd);
	close(l);
}

static void reset(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	res("connect", connect_rst(fd));
	wait_for(fd, POLLIN);
	snap("poll", fd);
	snap_all("reset", fd);
	recv_step("recv", fd, 100, 0);
	recv_step("recv again", fd, 100, 0);
	res("send(NOSIGNAL)", send(fd, "x", 1, MSG_NOSIGNAL));
	opt("SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	snap("poll after", fd);
	snap_all("reset, error read", fd);
	name("getpeername", fd, 1);
	res("shutdown(RDWR)", shutdown(fd, SHUT_RDWR));
	close(fd);
}

/* The same reset, but the error is collected with SO_ERROR first. */
static void reset_so_error(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	res("connect", connect_rst(fd));
	wait_for(fd, POLLIN);
	opt("SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	opt("SO_ERROR again", fd, SOL_SOCKET, SO_ERROR);
	recv_step("recv", fd, 100, 0);
	res("send(NOSIGNAL)", send(fd, "x", 1, MSG_NOSIGNAL));
	close(fd);
}

/* A reset that arrives while a send is the next call. */
static void reset_send(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	res("connect", connect_rst(fd));
	wait_for(fd, POLLIN);
	res("send(NOSIGNAL)", send(fd, "x", 1, MSG_NOSIGNAL));
	res("send(NOSIGNAL) again", send(fd, "x", 1, MSG_NOSIGNAL));
	recv_step("recv", fd, 100, 0);
	close(fd);
}

static void shut_wr(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	res("connect", do_connect(fd, sa(peer, PORT_HOLD)));
	res("shutdown(WR)", shutdown(fd, SHUT_WR));
	snap("poll", fd);
	snap_all("own FIN", fd);
	res("send(NOSIGNAL)", send(fd, "x", 1, MSG_NOSIGNAL));
	res("shutdown(WR) again", shutdown(fd, SHUT_WR));
	res("shutdown(RD)", shutdown(fd, SHUT_RD));
	snap("poll after shutdown(RD)", fd);
	snap_all("shut both ways", fd);
	name("getsockname", fd, 0);
	name("getpeername", fd, 1);
	recv_step("recv", fd, 100, 0);
	res("shutdown(bad how)", shutdown(fd, 7));
	close(fd);
}

static void shut_rd(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	res("connect", do_connect(fd, sa(peer, PORT_HOLD)));
	res("shutdown(RD)", shutdown(fd, SHUT_RD));
	snap("poll", fd);
	snap_all("shut for reading", fd);
	recv_step("recv", fd, 100, 0);
	res("send", send(fd, "x", 1, MSG_NOSIGNAL));
	close(fd);
}

static void bind_errors(void)
{
	int a = socket(AF_INET, SOCK_STREAM, 0);
	int b = socket(AF_INET, SOCK_STREAM, 0);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin = sa_any(0);

	res("bind short addrlen", bind(a, (struct sockaddr *)&sin, 8));
	res("bind bad pointer", bind(a, (struct sockaddr *)1, sizeof(sin)));
	sin.sin_family = AF_INET6;
	res("bind AF_INET6 family", bind(a, (struct sockaddr *)&sin, sizeof(sin)));
	res("bind non-local", do_bind(a, sa((struct in_addr){inet_addr("10.77.0.1")}, 0)));
	res("bind SELF", do_bind(a, sa(self, 0)));
	name("getsockname", a, 0);
	res("bind twice", do_bind(a, sa_any(0)));
	res("bind in use", do_bind(b, sa(self, local_port(a))));
	res("bind ANY in use", do_bind(b, sa_any(local_port(a))));
	res("udp bind same port", do_bind(u, sa_any(local_port(a))));
	res("bind privileged port", do_bind(b, sa_any(80)));
	close(a);
	close(b);
	close(u);
}

static void listen_autobind(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	res("listen", listen(fd, 1));
	name("getsockname", fd, 0);
	opt("SO_ACCEPTCONN", fd, SOL_SOCKET, SO_ACCEPTCONN);
	snap("poll", fd);
	res("shutdown(RDWR)", shutdown(fd, SHUT_RDWR));
	close(fd);
}

static void connect_errors(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = sa(peer, PORT_HOLD);
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};

	res("connect bad pointer", connect(fd, (struct sockaddr *)1, sizeof(sin)));
	res("connect short addrlen", connect(fd, (struct sockaddr *)&sin, 8));
	sin.sin_family = AF_INET6;
	res("connect AF_INET6 family", connect(fd, (struct sockaddr *)&sin, sizeof(sin)));
	res("connect AF_UNSPEC", connect(fd, &unspec, sizeof(unspec)));
	res("connect", do_connect(fd, sa(peer, PORT_HOLD)));
	res("getsockname bad pointer", getsockname(fd, (struct sockaddr *)1, &(socklen_t){16}));
	res("connect AF_UNSPEC when connected", connect(fd, &unspec, sizeof(unspec)));
	close(fd);
}

static void udp_refused(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	res("connect", do_connect(fd, sa(peer, PORT_CLOSED)));
	name("getsockname", fd, 0);
	name("getpeername", fd, 1);
	res("send", send(fd, "ping", 4, 0));
	wait_for(fd, POLLIN);
	snap("poll", fd);
	snap_all("error pending", fd);
	recv_step("recv", fd, 100, 0);
	recv_step("recv again", fd, 100, MSG_DONTWAIT);
	snap("poll after", fd);
	snap_all("error read", fd);
	res("send again", send(fd, "ping", 4, 0));
	wait_for(fd, POLLIN);
	opt("SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	recv_step("recv after SO_ERROR", fd, 100, MSG_DONTWAIT);
	close(fd);
}

/*
 * A send while an ICMP error is pending fails with it and takes it
 * (sock_alloc_send_pskb's sock_error, after the route): readiness has no
 * ERR after, the next recv nothing to report. Connected, and unconnected
 * with IP_RECVERR (whose error queue keeps its entry).
 */
static void udp_refused_send(void)
{
	struct sockaddr_in closed = sa(peer, PORT_CLOSED);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;

	res("connect", do_connect(fd, sa(peer, PORT_CLOSED)));
	res("send", send(fd, "ping", 4, 0));
	wait_for(fd, POLLERR);
	snap("error pending", fd);
	res("send again", send(fd, "ping", 4, MSG_DONTWAIT));
	snap("after the send", fd);
	recv_step("recv", fd, 100, MSG_DONTWAIT);
	opt("SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	close(fd);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	res("IP_RECVERR", setsockopt(fd, SOL_IP, IP_RECVERR, &one, sizeof(one)));
	res("sendto", sendto(fd, "ping", 4, 0, (struct sockaddr *)&closed, sizeof(closed)));
	wait_for(fd, POLLERR);
	snap("error pending (error queue)", fd);
	res("sendto again", sendto(fd, "ping", 4, 0, (struct sockaddr *)&closed, sizeof(closed)));
	snap("after the send (error queue)", fd);
	recv_step("recv(ERRQUEUE)", fd, 100, MSG_ERRQUEUE | MSG_DONTWAIT);
	snap("after the error queue", fd);
	close(fd);
	/* The error comes before shutdown(SHUT_WR)'s EPIPE. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	res("connect (shut)", do_connect(fd, sa(peer, PORT_CLOSED)));
	res("send (shut)", send(fd, "ping", 4, 0));
	wait_for(fd, POLLERR);
	res("shutdown(WR)", shutdown(fd, SHUT_WR));
	res("send after shutdown", send(fd, "ping", 4, MSG_DONTWAIT));
	res("send after shutdown again", send(fd, "ping", 4, MSG_DONTWAIT));
	close(fd);
}

/*
 * Reading the error queue leaves a receive stamp as reading a datagram
 * does (ip_recv_error's sock_recv_timestamp): SIOCGSTAMP answers after it.
 */
static void udp_errqueue_stamp(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;

	res("IP_RECVERR", setsockopt(fd, SOL_IP, IP_RECVERR, &one, sizeof(one)));
	res("connect", do_connect(fd, sa(peer, PORT_CLOSED)));
	res("send", send(fd, "ping", 4, 0));
	wait_for(fd, POLLERR);
	ioctl_step("SIOCGSTAMP before", fd, SIOCGSTAMP);
	recv_step("recv(ERRQUEUE)", fd, 100, MSG_ERRQUEUE | MSG_DONTWAIT);
	ioctl_step("SIOCGSTAMP after", fd, SIOCGSTAMP);
	close(fd);
}

/*
 * ip_mc_find_dev: a join or leave naming no interface takes the group's
 * route, and this testbed has only the subnet's (no default route).
 */
static void mcast_no_route(void)
{
	static const struct {
		const char *step;
		int opt;
		const char *group;
		bool self;
	} steps[] = {
		{"join, no interface", IP_ADD_MEMBERSHIP, "239.1.2.3", false},
		{"leave 0.0.1.0, no interface", IP_DROP_MEMBERSHIP, "0.0.1.0", false},
		{"leave the peer, no interface", IP_DROP_MEMBERSHIP, NULL, false},
		{"join on SELF", IP_ADD_MEMBERSHIP, "239.1.2.3", true},
		{"leave, no interface", IP_DROP_MEMBERSHIP, "239.1.2.3", false},
		{"leave on SELF", IP_DROP_MEMBERSHIP, "239.1.2.3", true},
	};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct ip_mreq m = {.imr_multiaddr = peer};

		if (steps[i].group)
			inet_aton(steps[i].group, &m.imr_multiaddr);
		if (steps[i].self)
			m.imr_interface = self;
		res(steps[i].step, setsockopt(fd, SOL_IP, steps[i].opt, &m, sizeof(m)));
	}
	close(fd);
}

static void udp_echo(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = sa(peer, PORT_ECHO), from;
	socklen_t flen;
	char big[100], buf[200];
	struct iovec iov = {.iov_base = buf, .iov_len = 10};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	char abuf[64];
	ssize_t r;

	memset(big, 'a', sizeof(big));
	res("sendto", sendto(fd, big, sizeof(big), 0, (struct sockaddr *)&to, sizeof(to)));
	name("getsockname", fd, 0);
	name("getpeername", fd, 1);
	wait_for(fd, POLLIN);
	snap("poll", fd);
	snap_all("datagram queued", fd);
	fionread("FIONREAD", fd);
	memset(&from, 0, sizeof(from));
	flen = sizeof(from);
	r = recvfrom(fd, buf, 10, MSG_TRUNC, (struct sockaddr *)&from, &flen);
	res("recvfrom(MSG_TRUNC) 10 of 100", r);
	out("recvfrom source", "%s", addr_str(&from, flen, abuf, sizeof(abuf)));
	fionread("FIONREAD empty", fd);
	recv_step("recv empty", fd, 10, MSG_DONTWAIT);

	res("sendto", sendto(fd, big, sizeof(big), 0, (struct sockaddr *)&to, sizeof(to)));
	wait_for(fd, POLLIN);
	r = recvmsg(fd, &m, 0);
	res("recvmsg 10 of 100", r);
	out("recvmsg flags", "%s", m.msg_flags & MSG_TRUNC ? "MSG_TRUNC" : "0");

	res("sendto", sendto(fd, "peek", 4, 0, (struct sockaddr *)&to, sizeof(to)));
	wait_for(fd, POLLIN);
	recv_step("recv(MSG_PEEK)", fd, 100, MSG_PEEK);
	recv_step("recv", fd, 100, 0);

	res("sendto", sendto(fd, "", 0, 0, (struct sockaddr *)&to, sizeof(to)));
	wait_for(fd, POLLIN);
	fionread("FIONREAD zero-length", fd);
	recv_step("recv zero-length", fd, 100, 0);

	res("sendto short addrlen", sendto(fd, "x", 1, 0, (struct sockaddr *)&to, 8));
	res("sendto bad pointer", sendto(fd, "x", 1, 0, (struct sockaddr *)1, sizeof(to)));
	to.sin_family = AF_INET6;
	res("sendto AF_INET6 family", sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)));
	res("send unconnected", send(fd, "x", 1, 0));
	close(fd);
}

static void udp_connected(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};

	res("connect", do_connect(fd, sa(peer, PORT_ECHO)));
	res("send", send(fd, "one", 3, 0));
	wait_for(fd, POLLIN);
	name("getpeername", fd, 1);
	recv_step("recv", fd, 100, 0);
	res("connect AF_UNSPEC", connect(fd, &unspec, sizeof(unspec)));
	name("getpeername after AF_UNSPEC", fd, 1);
	name("getsockname after AF_UNSPEC", fd, 0);
	res("send after AF_UNSPEC", send(fd, "x", 1, 0));
	close(fd);
}

/*
 * connect() on a raw socket routes as a UDP one does (the kernel's raw_prot
 * connects with ip4_datagram_connect): it picks the source address, which
 * getsockname then shows (traceroute -T reads it for its TCP checksums), a
 * broadcast peer needs SO_BROADCAST, and AF_UNSPEC forgets the address.
 */
static void raw_connected(void)
{
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	struct in_addr bcast = {.s_addr = peer.s_addr | htonl(0xff)};
	int one = 1;

	name("getsockname fresh", fd, 0);
	res("connect", do_connect(fd, sa(peer, 0)));
	name("getsockname", fd, 0);
	name("getpeername", fd, 1);
	res("connect AF_UNSPEC", connect(fd, &unspec, sizeof(unspec)));
	name("getsockname after AF_UNSPEC", fd, 0);
	name("getpeername after AF_UNSPEC", fd, 1);
	res("connect broadcast", do_connect(fd, sa(bcast, 0)));
	res("SO_BROADCAST", setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)));
	res("connect broadcast with SO_BROADCAST", do_connect(fd, sa(bcast, 0)));
	name("getsockname after broadcast", fd, 0);
	close(fd);
}

/*
 * Until an ICMP error for fd (connected to the closed port, one datagram
 * sent) makes it ERR: the peer's kernel limits port unreachables per
 * destination (icmp_ratelimit, a burst of 6 then one a second), so a send
 * that got none after WAIT_MS is sent again (at most twice; it then had
 * time to earn one). Prints only a wait that times out.
 */
static void wait_err(int fd)
{
	for (int i = 0; i < 3; i++) {
		struct pollfd p = {.fd = fd, .events = 0};

		if (poll(&p, 1, WAIT_MS) == 1 && (p.revents & POLLERR))
			return;
		send(fd, "two", 3, 0);
	}
	out("wait", "timeout for ERR");
}

/*
 * An ICMP error that comes while a datagram waits unread: udp_poll says
 * ERR at once (and IN), SO_ERROR and the next recv give the error before
 * the datagram (__skb_try_recv_datagram checks sk_err first), and the
 * datagram is read after it. The datagram comes from the echo port, then
 * the socket is connected to the closed port (the queue stays) and sends.
 */
static void udp_err_behind(void)
{
	static const char *const takers[] = {"recv", "SO_ERROR", "epoll ET"};

	for (size_t i = 0; i < sizeof(takers) / sizeof(takers[0]); i++) {
		int fd = socket(AF_INET, SOCK_DGRAM, 0), ep = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event ev = {.events = ALL_EVENTS | EPOLLET};
		static char name[64];

		snprintf(name, sizeof(name), "udp_err_behind (%s)", takers[i]);
		scen = name;
		res("connect to echo", do_connect(fd, sa(peer, PORT_ECHO)));
		res("send", send(fd, "one", 3, 0));
		wait_for(fd, POLLIN);
		if (!strcmp(takers[i], "epoll ET")) {
			res("ADD", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
			ep_step("the datagram", ep, WAIT_MS);
		}
		res("connect to the closed port", do_connect(fd, sa(peer, PORT_CLOSED)));
		res("send", send(fd, "two", 3, 0));
		wait_err(fd);
		if (!strcmp(takers[i], "epoll ET"))
			ep_step("the error", ep, 0);
		snap("error behind a datagram", fd);
		if (!strcmp(takers[i], "SO_ERROR"))
			opt("SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
		else
			recv_step("recv takes the error", fd, 100, MSG_DONTWAIT);
		snap("after the error", fd);
		recv_step("recv the datagram", fd, 100, MSG_DONTWAIT);
		recv_step("recv again", fd, 100, MSG_DONTWAIT);
		opt("SO_ERROR after", fd, SOL_SOCKET, SO_ERROR);
		snap("at the end", fd);
		close(ep);
		close(fd);
	}
	scen = "udp_err_behind";
}

/*
 * A poll, or a level-triggered epoll set, that asks for neither IN nor OUT
 * waits while only a datagram is queued; the ICMP error that comes behind
 * it (the send just before the wait draws it) wakes the waiter with ERR
 * (udp_poll, sock_def_error_report). Once: no second send.
 */
static void udp_err_asleep(void)
{
	static const char *const waiters[] = {"poll", "epoll"};

	for (size_t i = 0; i < sizeof(waiters) / sizeof(waiters[0]); i++) {
		int fd = socket(AF_INET, SOCK_DGRAM, 0), ep = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event ev = {.events = 0};
		struct pollfd p = {.fd = fd, .events = 0};
		static char name[64];
		char buf[128];
		int n;

		snprintf(name, sizeof(name), "udp_err_asleep (%s)", waiters[i]);
		scen = name;
		res("connect to echo", do_connect(fd, sa(peer, PORT_ECHO)));
		res("send", send(fd, "one", 3, 0));
		wait_for(fd, POLLIN);
		res("connect to the closed port", do_connect(fd, sa(peer, PORT_CLOSED)));
		if (i) {
			res("ADD for nothing", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
			res("send", send(fd, "two", 3, 0));
			ep_step("wait for nothing", ep, WAIT_MS);
		} else {
			res("send", send(fd, "two", 3, 0));
			n = poll(&p, 1, WAIT_MS);
			out("wait for nothing", "%d: %s", n, ev_names(p.revents, buf, sizeof(buf)));
		}
		recv_step("recv takes the error", fd, 100, MSG_DONTWAIT);
		recv_step("recv the datagram", fd, 100, MSG_DONTWAIT);
		close(ep);
		close(fd);
	}
	scen = "udp_err_asleep";
}

/*
 * udp_err_behind in a process that has done nothing but send and receive
 * (no connect, no poll, no error read before): an unconnected socket with
 * IP_RECVERR holds the port unreachable as its pending error, which the
 * next recv returns before the datagram queued ahead of it. Run in a new
 * program (udp_err_unmapped execs this one), so nothing else ran first;
 * a child process waits for the error (reading the error queue would
 * clear it: sock_dequeue_err_skb).
 */
static int udp_err_unmapped_run(void)
{
	struct sockaddr_in echo = sa(peer, PORT_ECHO), closed = sa(peer, PORT_CLOSED);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1, st = -1;
	pid_t pid;

	scen = "udp_err_unmapped";
	res("IP_RECVERR", setsockopt(fd, SOL_IP, IP_RECVERR, &one, sizeof(one)));
	res("sendto echo", sendto(fd, "one", 3, 0, (struct sockaddr *)&echo, sizeof(echo)));
	/* The datagram is there once a blocking peek returns. */
	recv_step("recv peek, blocking", fd, 100, MSG_PEEK);
	res("sendto the closed port",
	    sendto(fd, "two", 3, 0, (struct sockaddr *)&closed, sizeof(closed)));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct pollfd p = {.fd = fd, .events = 0};

		_exit(poll(&p, 1, WAIT_MS) == 1 && (p.revents & POLLERR) ? 0 : 1);
	}
	out("another process saw ERR", "%s",
	    pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st) ? "yes"
											: "no");
	recv_step("recv takes the error", fd, 100, MSG_DONTWAIT);
	recv_step("recv the datagram", fd, 100, MSG_DONTWAIT);
	recv_step("recv again", fd, 100, MSG_DONTWAIT);
	close(fd);
	return 0;
}

static char **main_argv;

static void udp_err_unmapped(void)
{
	pid_t pid;
	int st = -1;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", main_argv[0], main_argv[1], main_argv[2], "--unmapped",
		      (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		out("the new program", "failed (status %d)", st);
}

/* The error queue of a TCP socket is empty: EAGAIN, and the data stays. */
static void tcp_errqueue(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	char buf[16];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};

	recv_step("recv(ERRQUEUE) fresh", fd, 100, MSG_ERRQUEUE);
	res("listen", listen(l, 1));
	recv_step("recv(ERRQUEUE) listener", l, 100, MSG_ERRQUEUE);
	res("connect", do_connect(fd, sa(peer, PORT_FIN)));
	wait_for(fd, POLLRDHUP);
	recv_step("recv(ERRQUEUE)", fd, 100, MSG_ERRQUEUE);
	recv_step("recv(ERRQUEUE|DONTWAIT)", fd, 100, MSG_ERRQUEUE | MSG_DONTWAIT);
	res("recvmsg(ERRQUEUE)", recvmsg(fd, &m, MSG_ERRQUEUE));
	fionread("FIONREAD", fd);
	recv_step("recv", fd, 100, 0);
	close(fd);
	close(l);
}

/* sendmsg's control buffer: size and pointer checks, then the cmsg headers. */
static void sendmsg_control_on(int fd)
{
	static char ctl[131072];
	struct cmsghdr *ch = (struct cmsghdr *)ctl;
	struct iovec iov = {.iov_base = "x", .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};

	m.msg_control = (void *)1;
	m.msg_controllen = 16;
	res("bad msg_control", sendmsg(fd, &m, MSG_NOSIGNAL));
	m.msg_controllen = 0x80000000u;
	res("msg_controllen 2^31", sendmsg(fd, &m, MSG_NOSIGNAL));
	m.msg_controllen = sizeof(ctl);
	res("msg_controllen 131072 bad pointer", sendmsg(fd, &m, MSG_NOSIGNAL));
	m.msg_controllen = 36;
	res("msg_controllen 36 bad pointer", sendmsg(fd, &m, MSG_NOSIGNAL));
	m.msg_controllen = 0;
	res("bad msg_control, length 0", sendmsg(fd, &m, MSG_NOSIGNAL));
	m.msg_control = ctl;
	m.msg_controllen = sizeof(ctl) - 1;
	res("msg_controllen 131071 of zeros", sendmsg(fd, &m, MSG_NOSIGNAL));
	m.msg_controllen = 8;
	res("msg_controllen 8", sendmsg(fd, &m, MSG_NOSIGNAL));
	ch->cmsg_len = 100;
	ch->cmsg_level = SOL_SOCKET;
	ch->cmsg_type = SCM_RIGHTS;
	m.msg_controllen = CMSG_SPACE(4);
	res("cmsg_len beyond msg_controllen", sendmsg(fd, &m, MSG_NOSIGNAL));
	ch->cmsg_len = 0;
	m.msg_control = NULL;
	m.msg_controllen = 0;
	m.msg_name = (void *)1;
	m.msg_namelen = sizeof(struct sockaddr_in);
	res("bad msg_name", sendmsg(fd, &m, MSG_NOSIGNAL));
}

static void sendmsg_control(void)
{
	int fresh = socket(AF_INET, SOCK_STREAM, 0);
	int t = socket(AF_INET, SOCK_STREAM, 0);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	int uc = socket(AF_INET, SOCK_DGRAM, 0);

	scen = "sendmsg_control fresh tcp";
	sendmsg_control_on(fresh);
	scen = "sendmsg_control unconnected udp";
	sendmsg_control_on(u);
	scen = "sendmsg_control tcp";
	res("connect", do_connect(t, sa(peer, PORT_HOLD)));
	sendmsg_control_on(t);
	scen = "sendmsg_control udp";
	res("connect", do_connect(uc, sa(peer, PORT_ECHO)));
	sendmsg_control_on(uc);
	close(fresh);
	close(t);
	close(u);
	close(uc);
}

static void mmsg_step(const char *step, int fd, int flags, struct timespec *ts)
{
	char buf[2][16];
	struct iovec iov[2] = {{buf[0], sizeof(buf[0])}, {buf[1], sizeof(buf[1])}};
	struct mmsghdr v[2] = {{.msg_hdr = {.msg_iov = &iov[0], .msg_iovlen = 1}},
			       {.msg_hdr = {.msg_iov = &iov[1], .msg_iovlen = 1}}};
	int r = recvmmsg(fd, v, 2, flags, ts);

	if (r <= 0)
		res(step, r);
	else
		out(step, "%d \"%.*s\"", r, (int)v[0].msg_len, buf[0]);
}

/* recvmmsg's timeout: checked before anything, then after each datagram. */
static void recvmmsg_timeout(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int t = socket(AF_INET, SOCK_STREAM, 0);
	struct timespec ts;

	res("connect", do_connect(fd, sa(peer, PORT_ECHO)));
	mmsg_step("bad timeout pointer", fd, MSG_DONTWAIT, (struct timespec *)1);
	ts = (struct timespec){-1, 0};
	mmsg_step("tv_sec -1", fd, MSG_DONTWAIT, &ts);
	ts = (struct timespec){0, 1000000000};
	mmsg_step("tv_nsec 1e9", fd, MSG_DONTWAIT, &ts);
	ts = (struct timespec){0, -1};
	mmsg_step("tv_nsec -1", fd, MSG_DONTWAIT, &ts);
	ts = (struct timespec){0, 0};
	mmsg_step("nothing queued, zero timeout", fd, MSG_DONTWAIT, &ts);
	mmsg_step("ERRQUEUE", fd, MSG_ERRQUEUE, NULL);

	/* One datagram queued, a blocking socket: the zero timeout ends the call after it. */
	res("send", send(fd, "one", 3, 0));
	wait_for(fd, POLLIN);
	ts = (struct timespec){0, 0};
	mmsg_step("zero timeout", fd, 0, &ts);
	out("time left", "%ld.%09ld", (long)ts.tv_sec, ts.tv_nsec);
	res("send", send(fd, "two", 3, 0));
	wait_for(fd, POLLIN);
	ts = (struct timespec){30, 0};
	mmsg_step("WAITFORONE, 30 s", fd, MSG_WAITFORONE, &ts);
	out("time left in (0, 30 s]", "%d",
	    ts.tv_sec < 30 || (ts.tv_sec == 30 && ts.tv_nsec == 0) ? ts.tv_sec || ts.tv_nsec : -1);

	res("tcp connect", do_connect(t, sa(peer, PORT_HOLD)));
	mmsg_step("tcp bad timeout pointer", t, MSG_DONTWAIT, (struct timespec *)1);
	ts = (struct timespec){0, 1000000000};
	mmsg_step("tcp tv_nsec 1e9", t, MSG_DONTWAIT, &ts);
	mmsg_step("tcp ERRQUEUE", t, MSG_ERRQUEUE, NULL);
	close(fd);
	close(t);
}

static const struct {
	int flag;
	const char *name;
} odd_flags[] = {
	{MSG_CONFIRM, "CONFIRM"},
	{MSG_DONTROUTE, "DONTROUTE"},
	{MSG_EOR, "EOR"},
	{MSG_ZEROCOPY, "ZEROCOPY"},
	{MSG_FASTOPEN, "FASTOPEN"},
	{MSG_CMSG_CLOEXEC, "CMSG_CLOEXEC"},
	{MSG_WAITFORONE, "WAITFORONE"},
	{MSG_SYN, "SYN"},
	{MSG_RST, "RST"},
	{MSG_PROXY, "PROXY"},
	{MSG_FIN, "FIN"},
	{1 << 25, "1<<25"},
};

/* Flags a call does not use are ignored, per socket type, as the kernel's. */
static void flag_matrix(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	char step[64];

	res("tcp connect", do_connect(t, sa(peer, PORT_FIN)));
	wait_for(t, POLLRDHUP);
	res("udp connect", do_connect(u, sa(peer, PORT_ECHO)));
	for (size_t i = 0; i < sizeof(odd_flags) / sizeof(odd_flags[0]); i++) {
		snprintf(step, sizeof(step), "tcp recv(PEEK|%s)", odd_flags[i].name);
		recv_step(step, t, 1, MSG_PEEK | MSG_DONTWAIT | odd_flags[i].flag);
		if (odd_flags[i].flag == MSG_PROXY)
			continue; /* the kernel's MSG_PROBE: nothing is sent (below) */
		snprintf(step, sizeof(step), "udp send(%s)", odd_flags[i].name);
		res(step, send(u, "x", 1, odd_flags[i].flag));
		wait_for(u, POLLIN);
		snprintf(step, sizeof(step), "udp recv(%s)", odd_flags[i].name);
		recv_step(step, u, 10, MSG_DONTWAIT | odd_flags[i].flag);
	}
	res("udp send(PROBE)", send(u, "x", 1, MSG_PROXY));
	res("udp send", send(u, "y", 1, 0));
	wait_for(u, POLLIN);
	recv_step("udp recv after PROBE", u, 10, 0);
	/* TCP's MSG_TRUNC counts (and drops) bytes without writing the buffer. */
	res("tcp recv(PEEK|TRUNC)", recv(t, NULL, 2, MSG_PEEK | MSG_TRUNC));
	res("tcp recv(NULL, 1, TRUNC)", recv(t, NULL, 1, MSG_TRUNC));
	recv_step("tcp recv", t, 100, 0);
	close(t);
	close(u);
}

static void tcp_send_flags(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0);
	char step[64];

	res("connect", do_connect(t, sa(peer, PORT_HOLD)));
	for (size_t i = 0; i < sizeof(odd_flags) / sizeof(odd_flags[0]); i++) {
		snprintf(step, sizeof(step), "send(%s)", odd_flags[i].name);
		res(step, send(t, "x", 1, MSG_NOSIGNAL | odd_flags[i].flag));
	}
	close(t);
}

/* A 100,000-byte option value: each option reads what it needs, or refuses. */
static void big_options(void)
{
	static char big[100000];
	static const struct {
		int level, name;
		const char *step;
		bool udp;
		const char *known; /* why the shim differs (the README's limits) */
	} opts[] = {
		{SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF", false, NULL},
		{SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE", false, NULL},
		{SOL_SOCKET, SO_LINGER, "SO_LINGER", false, NULL},
		{SOL_SOCKET, SO_RCVTIMEO, "SO_RCVTIMEO", false, NULL},
		{SOL_SOCKET, SO_BINDTODEVICE, "SO_BINDTODEVICE", false, NULL},
		{SOL_SOCKET, SO_ATTACH_FILTER, "SO_ATTACH_FILTER", false, NULL},
		{SOL_IP, IP_TOS, "IP_TOS", false, NULL},
		{SOL_IP, IP_TTL, "IP_TTL", false, NULL},
		{SOL_IP, IP_OPTIONS, "IP_OPTIONS", false, NULL},
		{SOL_IP, IP_RECVERR, "IP_RECVERR", false, NULL},
		{SOL_TCP, TCP_NODELAY, "TCP_NODELAY", false, NULL},
		{SOL_TCP, TCP_MAXSEG, "TCP_MAXSEG", false, NULL},
		{SOL_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE", false, NULL},
		{SOL_TCP, TCP_CONGESTION, "TCP_CONGESTION", false, NULL},
		{SOL_TCP, TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT", false, NULL},
		{SOL_SOCKET, SO_BROADCAST, "udp SO_BROADCAST", true, NULL},
		{SOL_IP, IP_PKTINFO, "udp IP_PKTINFO", true, NULL},
		{SOL_IP, IP_MULTICAST_TTL, "udp IP_MULTICAST_TTL", true, NULL},
		{SOL_IP, IP_ADD_MEMBERSHIP, "udp IP_ADD_MEMBERSHIP", true, NULL},
		{SOL_UDP, UDP_CORK, "udp UDP_CORK", true, NULL},
	};
	int t = socket(AF_INET, SOCK_STREAM, 0);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	socklen_t len;
	char step[64];

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		snprintf(step, sizeof(step), "set %s, 100000 bytes", opts[i].step);
		if (opts[i].known)
			known(opts[i].known);
		res(step,
		    setsockopt(opts[i].udp ? u : t, opts[i].level, opts[i].name, big, sizeof(big)));
	}
	/* A level the protocol does not take refuses before the value is read. */
	res("set tcp SOL_UDP, bad pointer", setsockopt(t, SOL_UDP, UDP_CORK, (void *)8, 4));
	res("set tcp SOL_RAW, bad pointer", setsockopt(t, SOL_RAW, 1, (void *)8, 4));
	res("set tcp TCP_NODELAY, bad pointer", setsockopt(t, SOL_TCP, TCP_NODELAY, (void *)8, 4));
	res("set udp SOL_TCP, bad pointer", setsockopt(u, SOL_TCP, TCP_NODELAY, (void *)8, 4));
	res("set udp UDP_CORK, bad pointer", setsockopt(u, SOL_UDP, UDP_CORK, (void *)8, 4));
	res("set udp SOL_IP, bad pointer", setsockopt(u, SOL_IP, IP_TTL, (void *)8, 4));
	len = 4;
	res("get tcp SOL_UDP, bad pointer", getsockopt(t, SOL_UDP, UDP_CORK, (void *)8, &len));
	close(t);
	close(u);
}

static void getopt_len(const char *step, int fd, int level, int optname, socklen_t room)
{
	static char buf[100000];
	socklen_t len = room;

	if (getsockopt(fd, level, optname, buf, &len) < 0)
		out(step, "%s", err_name(errno));
	else
		out(step, "len %u", len);
}

static void option_sizes(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0);
	int u = socket(AF_INET, SOCK_DGRAM, 0);

	getopt_len("IP_OPTIONS room 40", t, SOL_IP, IP_OPTIONS, 40);
	getopt_len("IP_OPTIONS room 0", t, SOL_IP, IP_OPTIONS, 0);
	getopt_len("udp IP_OPTIONS", u, SOL_IP, IP_OPTIONS, 40);
	res("set IP_OPTIONS empty", setsockopt(t, SOL_IP, IP_OPTIONS, "", 0));
	res("set IP_OPTIONS 41 bytes", setsockopt(t, SOL_IP, IP_OPTIONS, (char[41]){0}, 41));
	/* SO_TXTIME takes the clocks a qdisc can schedule by (sockopt_validate_clockid). */
	for (int clk = 0; clk < 12; clk++) {
		struct {
			int32_t clockid;
			uint32_t flags;
		} txtime = {clk, 0};
		char step[32];

		snprintf(step, sizeof(step), "set SO_TXTIME clock %d", clk);
		res(step, setsockopt(u, SOL_SOCKET, SO_TXTIME, &txtime, sizeof(txtime)));
	}
	/* xfrm_user_policy: only NULL clears; an empty value is EMSGSIZE. */
	res("set IP_XFRM_POLICY NULL", setsockopt(t, SOL_IP, IP_XFRM_POLICY, NULL, 0));
	res("set IP_XFRM_POLICY empty", setsockopt(t, SOL_IP, IP_XFRM_POLICY, "", 0));
	res("udp set IP_IPSEC_POLICY NULL", setsockopt(u, SOL_IP, IP_IPSEC_POLICY, NULL, 0));
	res("udp set IP_IPSEC_POLICY empty", setsockopt(u, SOL_IP, IP_IPSEC_POLICY, "", 0));
	getopt_len("TCP_INFO fresh, room 100000", t, SOL_TCP, TCP_INFO, 100000);
	getopt_len("TCP_CONGESTION room 100000", t, SOL_TCP, TCP_CONGESTION, 100000);
	getopt_len("SO_RCVBUF room 100000", t, SOL_SOCKET, SO_RCVBUF, 100000);
	res("connect", do_connect(t, sa(peer, PORT_HOLD)));
	getopt_len("TCP_INFO room 1000", t, SOL_TCP, TCP_INFO, 1000);
	getopt_len("TCP_INFO room 100", t, SOL_TCP, TCP_INFO, 100);
	close(t);
	close(u);
}

static void ioctl_step(const char *step, int fd, unsigned long cmd)
{
	char buf[64] = {0};

	res(step, ioctl(fd, cmd, buf));
}

static void socket_ioctls(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct timespec before, after, ts = {0};
	struct timeval tv = {0};
	int v;

	ioctl_step("tcp SIOCGSTAMP", t, SIOCGSTAMP);
	ioctl_step("tcp SIOCGSTAMPNS", t, SIOCGSTAMPNS);
	ioctl_step("udp SIOCGSTAMP", u, SIOCGSTAMP);
	ioctl_step("udp SIOCGSTAMPNS", u, SIOCGSTAMPNS);
	ioctl_step("udp SIOCATMARK", u, SIOCATMARK);
	ioctl_step("tcp SIOCATMARK", t, SIOCATMARK);
	ioctl_step("tcp SIOCOUTQ", t, SIOCOUTQ);
	ioctl_step("tcp SIOCOUTQNSD", t, SIOCOUTQNSD);
	ioctl_step("udp SIOCOUTQ", u, SIOCOUTQ);
	ioctl_step("udp SIOCOUTQNSD", u, SIOCOUTQNSD);
	res("tcp SIOCINQ bad pointer", ioctl(t, SIOCINQ, (void *)1));
	res("udp SIOCINQ bad pointer", ioctl(u, SIOCINQ, (void *)1));
	res("udp SIOCATMARK bad pointer", ioctl(u, SIOCATMARK, (void *)1));
	res("udp SIOCOUTQNSD bad pointer", ioctl(u, SIOCOUTQNSD, (void *)1));
	ioctl_step("tcp SIOCPROTOPRIVATE", t, SIOCPROTOPRIVATE);
	ioctl_step("udp SIOCPROTOPRIVATE", u, SIOCPROTOPRIVATE);
	res("udp SIOCPROTOPRIVATE bad pointer", ioctl(u, SIOCPROTOPRIVATE, (void *)1));
	/* The routes are the namespace's: an entry for no family, a bad one, the obsolete one. */
	ioctl_step("SIOCADDRT", u, SIOCADDRT);
	ioctl_step("SIOCDELRT", t, SIOCDELRT);
	res("SIOCADDRT bad pointer", ioctl(u, SIOCADDRT, (void *)1));
	ioctl_step("SIOCRTMSG", u, SIOCRTMSG);
	v = 1;
	res("FIONBIO on", ioctl(t, FIONBIO, &v));
	out("O_NONBLOCK", "%d", (fcntl(t, F_GETFL) & O_NONBLOCK) ? 1 : 0);
	v = 0;
	res("FIONBIO off", ioctl(t, FIONBIO, &v));
	out("O_NONBLOCK", "%d", (fcntl(t, F_GETFL) & O_NONBLOCK) ? 1 : 0);
	ioctl_step("unknown ioctl", t, 0x89ff);
	/* ping_prot has no ioctl: the queue sizes are no request of a ping socket's. */
	{
		int p = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);

		ioctl_step("ping SIOCINQ", p, SIOCINQ);
		ioctl_step("ping SIOCOUTQ", p, SIOCOUTQ);
		ioctl_step("ping SIOCOUTQNSD", p, SIOCOUTQNSD);
		close(p);
	}
	res("connect", do_connect(t, sa(peer, PORT_FIN)));
	wait_for(t, POLLRDHUP);
	v = -1;
	res("tcp SIOCATMARK", ioctl(t, SIOCATMARK, &v));
	out("at mark", "%d", v);
	fionread("SIOCINQ", t);
	ioctl_step("tcp SIOCGSTAMP connected", t, SIOCGSTAMP);
	ioctl_step("tcp SIOCGSTAMPNS connected", t, SIOCGSTAMPNS);

	/* After a datagram: a time between the send and now. */
	res("udp connect", do_connect(u, sa(peer, PORT_ECHO)));
	ioctl_step("udp SIOCGSTAMP, nothing received", u, SIOCGSTAMP);
	clock_gettime(CLOCK_REALTIME, &before);
	res("udp send", send(u, "x", 1, 0));
	wait_for(u, POLLIN);
	ioctl_step("udp SIOCGSTAMP, nothing read yet", u, SIOCGSTAMP);
	recv_step("udp recv", u, 10, 0);
	res("udp SIOCGSTAMP", ioctl(u, SIOCGSTAMP, &tv));
	res("udp SIOCGSTAMPNS", ioctl(u, SIOCGSTAMPNS, &ts));
	clock_gettime(CLOCK_REALTIME, &after);
	out("stamps between send and now", "%d",
	    tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL >=
			    before.tv_sec * 1000000000LL + before.tv_nsec / 1000 * 1000 &&
		    ts.tv_sec * 1000000000LL + ts.tv_nsec >=
			    before.tv_sec * 1000000000LL + before.tv_nsec &&
		    ts.tv_sec * 1000000000LL + ts.tv_nsec <=
			    after.tv_sec * 1000000000LL + after.tv_nsec);
	close(t);
	close(u);
}

static void ifr_addr_step(const char *step, int fd, unsigned long cmd, const char *ifname)
{
	struct ifreq ifr = {0};
	char buf[64];

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, cmd, &ifr) < 0)
		out(step, "%s", err_name(errno));
	else
		out(step, "%s",
		    addr_str((struct sockaddr_in *)&ifr.ifr_addr, sizeof(struct sockaddr_in), buf,
			     sizeof(buf)));
}

/*
 * The SIOCGIF* requests on an AF_INET socket find this side's interface and
 * address (names differ between the runs: the one holding SELF prints as
 * SELF-IF).
 */
static void interfaces(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq list[8], ifr;
	struct ifconf ifc = {.ifc_len = 0, .ifc_buf = NULL};
	char self_if[IFNAMSIZ] = "", buf[64];
	int n;

	res("SIOCGIFCONF length", ioctl(fd, SIOCGIFCONF, &ifc));
	out("entries", "%d", ifc.ifc_len / (int)sizeof(struct ifreq));
	ifc = (struct ifconf){.ifc_len = sizeof(list), .ifc_req = list};
	res("SIOCGIFCONF", ioctl(fd, SIOCGIFCONF, &ifc));
	n = ifc.ifc_len / (int)sizeof(struct ifreq);
	for (int i = 0; i < n; i++) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&list[i].ifr_addr;
		bool mine = sin->sin_addr.s_addr == self.s_addr;

		if (mine)
			memcpy(self_if, list[i].ifr_name, sizeof(self_if) - 1);
		out("entry", "%s %s", mine ? "SELF-IF" : list[i].ifr_name,
		    addr_str(sin, sizeof(*sin), buf, sizeof(buf)));
	}
	ifc = (struct ifconf){.ifc_len = sizeof(struct ifreq) + 1, .ifc_req = list};
	res("SIOCGIFCONF room for one", ioctl(fd, SIOCGIFCONF, &ifc));
	out("entries", "%d", ifc.ifc_len / (int)sizeof(struct ifreq));
	res("SIOCGIFCONF bad pointer", ioctl(fd, SIOCGIFCONF, (void *)1));

	ifr_addr_step("SIOCGIFADDR", fd, SIOCGIFADDR, self_if);
	ifr_addr_step("SIOCGIFNETMASK", fd, SIOCGIFNETMASK, self_if);
	ifr_addr_step("SIOCGIFBRDADDR", fd, SIOCGIFBRDADDR, self_if);
	ifr_addr_step("SIOCGIFDSTADDR", fd, SIOCGIFDSTADDR, self_if);
	ifr_addr_step("SIOCGIFPFLAGS", fd, SIOCGIFPFLAGS, self_if);
	ifr_addr_step("SIOCSIFPFLAGS", fd, SIOCSIFPFLAGS, self_if);
	ifr_addr_step("SIOCSIFADDR no such interface", fd, SIOCSIFADDR, "nosuch0");
	ifr_addr_step("SIOCGIFADDR lo", fd, SIOCGIFADDR, "lo");
	ifr_addr_step("SIOCGIFADDR no such interface", fd, SIOCGIFADDR, "nosuch0");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", self_if);
	res("SIOCGIFHWADDR", ioctl(fd, SIOCGIFHWADDR, &ifr));
	out("hardware type", "%d", ifr.ifr_hwaddr.sa_family);
	res("SIOCGIFFLAGS", ioctl(fd, SIOCGIFFLAGS, &ifr));
	out("flags", "%#x", ifr.ifr_flags & (IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST));
	res("SIOCGIFMTU", ioctl(fd, SIOCGIFMTU, &ifr));
	out("mtu", "%d", ifr.ifr_mtu);
	res("SIOCGIFINDEX", ioctl(fd, SIOCGIFINDEX, &ifr));
	out("index names it", "%d", if_nametoindex(self_if) == (unsigned int)ifr.ifr_ifindex);
	res("SIOCGIFNAME", ioctl(fd, SIOCGIFNAME, &ifr));
	out("same name", "%d", !strcmp(ifr.ifr_name, self_if));
	res("SIOCGIFADDR bad pointer", ioctl(fd, SIOCGIFADDR, (void *)1));
	close(fd);
}

/* MSG_OOB per type, and SO_PEEK_OFF moving the peek position. */
static void oob_peek_off(void)
{
	int t = socket(AF_INET, SOCK_STREAM, 0);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	int v = 0;

	res("udp connect", do_connect(u, sa(peer, PORT_ECHO)));
	res("udp send(OOB)", send(u, "x", 1, MSG_OOB));
	res("udp send", send(u, "y", 1, 0));
	wait_for(u, POLLIN);
	recv_step("udp recv(OOB)", u, 10, MSG_OOB | MSG_DONTWAIT);
	res("tcp connect", do_connect(t, sa(peer, PORT_FIN)));
	wait_for(t, POLLRDHUP);
	recv_step("tcp recv(OOB)", t, 10, MSG_OOB);
	res("set SO_PEEK_OFF 0", setsockopt(t, SOL_SOCKET, SO_PEEK_OFF, &v, sizeof(v)));
	opt("SO_PEEK_OFF", t, SOL_SOCKET, SO_PEEK_OFF);
	recv_step("recv(PEEK) 2", t, 2, MSG_PEEK);
	recv_step("recv(PEEK) 2 again", t, 2, MSG_PEEK);
	opt("SO_PEEK_OFF after", t, SOL_SOCKET, SO_PEEK_OFF);
	recv_step("recv 1", t, 1, 0);
	opt("SO_PEEK_OFF after recv", t, SOL_SOCKET, SO_PEEK_OFF);
	recv_step("recv(PEEK) 10", t, 10, MSG_PEEK);
	recv_step("recv", t, 10, 0);
	res("udp set SO_PEEK_OFF 0", setsockopt(u, SOL_SOCKET, SO_PEEK_OFF, &v, sizeof(v)));
	close(t);
	close(u);
	/* Readiness leaves SO_PEEK_OFF where it was (tcp_poll counts every byte). */
	t = socket(AF_INET, SOCK_STREAM, 0);
	res("echo connect", do_connect(t, sa(peer, PORT_TECHO)));
	v = 0;
	res("echo set SO_PEEK_OFF 0", setsockopt(t, SOL_SOCKET, SO_PEEK_OFF, &v, sizeof(v)));
	res("echo send", send(t, "hello", 5, 0));
	wait_for(t, POLLIN);
	snap("echo poll", t);
	snap("echo poll again", t);
	opt("echo SO_PEEK_OFF after polls", t, SOL_SOCKET, SO_PEEK_OFF);
	recv_step("echo recv(PEEK)", t, 10, MSG_PEEK);
	opt("echo SO_PEEK_OFF after the peek", t, SOL_SOCKET, SO_PEEK_OFF);
	/* MSG_TRUNC counts from the offset, waits for a byte past it, and moves it. */
	res("echo send again", send(t, "world", 5, 0));
	res("echo recv(PEEK|TRUNC) 3 past the offset", recv(t, NULL, 3, MSG_PEEK | MSG_TRUNC));
	opt("echo SO_PEEK_OFF after it", t, SOL_SOCKET, SO_PEEK_OFF);
	res("echo recv(PEEK|TRUNC) 10", recv(t, NULL, 10, MSG_PEEK | MSG_TRUNC));
	opt("echo SO_PEEK_OFF after that", t, SOL_SOCKET, SO_PEEK_OFF);
	recv_step("echo recv", t, 10, MSG_WAITALL);
	opt("echo SO_PEEK_OFF after the read", t, SOL_SOCKET, SO_PEEK_OFF);
	close(t);
}

/* One receive of a UDP socket with SO_PEEK_OFF: what it gave, and the offset after it. */
static void peek_off_step(const char *step, int fd, size_t len, int flags)
{
	union {
		struct cmsghdr align;
		char buf[256];
	} ctl;
	char buf[64] = {0};
	struct iovec iov = {buf, len};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = ctl.buf,
			   .msg_controllen = sizeof(ctl.buf)};
	ssize_t r = recvmsg(fd, &m, flags);
	int off = -9;
	socklen_t olen = sizeof(off);

	getsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &off, &olen);
	if (r < 0)
		out(step, "%s, offset %d", err_name(errno), off);
	else
		out(step, "%zd \"%.*s\"%s controllen %zu, offset %d", r,
		    (int)(r < (ssize_t)len ? r : (ssize_t)len), buf,
		    m.msg_flags & MSG_TRUNC ? " TRUNC" : "", (size_t)m.msg_controllen, off);
}

static void set_peek_off(const char *step, int fd, int v)
{
	res(step, setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &v, sizeof(v)));
}

static void sends(int fd, const char *const *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		send(fd, d[i], strlen(d[i]), 0);
}

/*
 * SO_PEEK_OFF on UDP (udp_recvmsg, sk_peek_offset): a peek reads from the
 * offset, whole datagrams before it skipped, and moves it on by what it
 * returned (the whole length with MSG_TRUNC); a read moves it back; an
 * empty datagram is peeked once, then skipped. The echoes arrive one by
 * one: a blocking peek (SO_RCVTIMEO the deadline) waits for the one it
 * needs, a non-blocking one comes only once all have been seen.
 */
static void udp_peek_off(void)
{
	const char *const first[] = {"aaaa", "", "bbbbbb", "cc"},
			  *const second[] = {"abcdef", "ghij"}, *const third[] = {"", "xy"};
	struct timeval tv = {WAIT_MS / 1000, 0};
	int u = socket(AF_INET, SOCK_DGRAM, 0), r = socket(AF_INET, SOCK_RAW, IPPROTO_UDP), v = 1;
	socklen_t len = 2;
	char two[4] = {0};

	res("connect", do_connect(u, sa(peer, PORT_ECHO)));
	setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	opt("SO_PEEK_OFF fresh", u, SOL_SOCKET, SO_PEEK_OFF);
	set_peek_off("set -5", u, -5);
	opt("SO_PEEK_OFF", u, SOL_SOCKET, SO_PEEK_OFF);
	res("set with 2 bytes", setsockopt(u, SOL_SOCKET, SO_PEEK_OFF, &v, 2));
	set_peek_off("set 0", u, 0);
	sends(u, first, 4);
	peek_off_step("peek 2", u, 2, MSG_PEEK);
	peek_off_step("peek 2 again", u, 2, MSG_PEEK);
	peek_off_step("peek 10: the empty one", u, 10, MSG_PEEK);
	peek_off_step("peek 10: past it", u, 10, MSG_PEEK);
	peek_off_step("peek 3", u, 3, MSG_PEEK);
	peek_off_step("peek past the end", u, 10, MSG_PEEK | MSG_DONTWAIT);
	peek_off_step("recv", u, 10, 0);
	peek_off_step("peek", u, 10, MSG_PEEK | MSG_DONTWAIT);
	peek_off_step("recv the empty one", u, 1, 0);
	peek_off_step("peek TRUNC", u, 1, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
	peek_off_step("recv", u, 10, 0);
	peek_off_step("recv", u, 10, 0);
	set_peek_off("set 1", u, 1);
	sends(u, second, 2);
	peek_off_step("peek TRUNC 2", u, 2, MSG_PEEK | MSG_TRUNC);
	peek_off_step("peek TRUNC 2 again", u, 2, MSG_PEEK | MSG_TRUNC);
	peek_off_step("recv TRUNC 1", u, 1, MSG_TRUNC);
	peek_off_step("recv", u, 10, 0);
	set_peek_off("set -1", u, -1);
	sends(u, third, 2);
	peek_off_step("plain peek: the empty one", u, 10, MSG_PEEK);
	set_peek_off("set 0", u, 0);
	peek_off_step("peek: past the empty one peeked", u, 10, MSG_PEEK);
	peek_off_step("recv", u, 10, 0);
	peek_off_step("recv", u, 10, 0);
	/* With control messages (the interposer peeks each header first). */
	res("IP_PKTINFO", setsockopt(u, SOL_IP, IP_PKTINFO, &v, sizeof(v)));
	set_peek_off("set 4", u, 4);
	sends(u, second, 2);
	peek_off_step("peek with IP_PKTINFO", u, 10, MSG_PEEK);
	peek_off_step("peek again", u, 10, MSG_PEEK);
	peek_off_step("recv 1", u, 1, 0);
	peek_off_step("recv", u, 10, 0);
	res("get with 2 bytes", getsockopt(u, SOL_SOCKET, SO_PEEK_OFF, two, &len));
	out("got", "len %u bytes %02x %02x", len, two[0], two[1]);
	res("raw set", setsockopt(r, SOL_SOCKET, SO_PEEK_OFF, &v, sizeof(v)));
	opt("raw SO_PEEK_OFF", r, SOL_SOCKET, SO_PEEK_OFF);
	close(u);
	close(r);
}

/*
 * Empty datagrams deep in the queue are marked peeked as the first ones
 * are (skb->peeked is per datagram): 69 one-byte datagrams, an empty one,
 * one more; a peek at offset 69 gives the empty one, the next the last.
 */
static void udp_peek_off_deep(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0), n = 0;
	struct timeval tv = {WAIT_MS / 1000, 0};
	char b[8];

	res("deep connect", do_connect(u, sa(peer, PORT_ECHO)));
	setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	set_peek_off("deep set 69", u, 69);
	for (int i = 0; i < 69; i++)
		send(u, "d", 1, 0);
	send(u, "", 0, 0);
	send(u, "z", 1, 0);
	peek_off_step("deep peek: the empty 70th", u, 10, MSG_PEEK);
	set_peek_off("deep set 69 again", u, 69);
	peek_off_step("deep peek: past it", u, 10, MSG_PEEK);
	while (recv(u, b, sizeof(b), MSG_DONTWAIT) >= 0)
		n++;
	out("deep read", "%d datagrams", n);
	close(u);
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static void on_usr1(int sig)
{
	(void)sig;
}

struct peek_waiter {
	int fd;
	_Atomic pid_t tid;
	ssize_t ret;
	int err;
	char buf[8];
};

static void *peek_wait(void *arg)
{
	struct peek_waiter *w = arg;

	atomic_store(&w->tid, (pid_t)syscall(SYS_gettid));
	w->ret = recv(w->fd, w->buf, sizeof(w->buf), MSG_PEEK);
	w->err = errno;
	return NULL;
}

/*
 * A blocking peek past the end with SO_PEEK_OFF and no SO_RCVTIMEO, hit by
 * a signal whose handler has SA_RESTART: the kernel restarts it
 * (sock_intr_errno's ERESTARTSYS), and it returns the datagram that comes
 * after; with SO_RCVTIMEO the signal ends it with EINTR.
 */
static void udp_peek_off_restart(void)
{
	struct sigaction act = {.sa_handler = on_usr1, .sa_flags = SA_RESTART}, old;
	struct timeval tv = {WAIT_MS / 1000, 0};

	sigaction(SIGUSR1, &act, &old);
	for (int timeo = 0; timeo < 2; timeo++) {
		struct peek_waiter w = {.fd = socket(AF_INET, SOCK_DGRAM, 0)};
		long long end;
		pthread_t t;

		res(timeo ? "restart, SO_RCVTIMEO: connect" : "restart: connect",
		    do_connect(w.fd, sa(peer, PORT_ECHO)));
		if (timeo)
			setsockopt(w.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		set_peek_off("restart set 0", w.fd, 0);
		pthread_create(&t, NULL, peek_wait, &w);
		end = now_ms() + WAIT_MS;
		while (now_ms() < end && (!atomic_load(&w.tid) || task_state(w.tid) != 'S'))
			poll(NULL, 0, 1);
		pthread_kill(t, SIGUSR1);
		/* Restarted, it waits on: the datagram that comes now is its answer. */
		while (now_ms() < end && task_state(w.tid) != 'S' && task_state(w.tid) != '?')
			poll(NULL, 0, 1);
		send(w.fd, "r", 1, 0);
		pthread_join(t, NULL);
		if (w.ret < 0)
			out(timeo ? "restart, SO_RCVTIMEO: peek" : "restart: peek", "%s",
			    err_name(w.err));
		else
			out(timeo ? "restart, SO_RCVTIMEO: peek" : "restart: peek", "%zd \"%.*s\"",
			    w.ret, (int)w.ret, w.buf);
		close(w.fd);
	}
	sigaction(SIGUSR1, &old, NULL);
}

/* Until a datagram is queued (peeked): poll says IN at once on a socket shut for reading. */
static void wait_dgram(int fd)
{
	long long end = now_ms() + WAIT_MS;
	char c;

	while (recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) < 0 && errno == EAGAIN) {
		if (now_ms() > end) {
			out("wait", "timeout for a datagram");
			return;
		}
		poll(NULL, 0, 1);
	}
}

static _Atomic int pipe_count;

static void on_pipe_count(int sig)
{
	(void)sig;
	atomic_fetch_add(&pipe_count, 1);
}

/*
 * shutdown() of a UDP socket, connected or not (inet_shutdown: ENOTCONN
 * when unconnected, but the socket is shut all the same): after SHUT_WR
 * every send fails with EPIPE once its own checks pass (__ip_append_data's
 * sock_alloc_send_skb; no SIGPIPE, MSG_PROBE still answers), after SHUT_RD
 * datagram_poll says IN|RDHUP, HUP once shut both ways, a read that would
 * wait finds EOF, and datagrams still arrive and are read.
 */
static void udp_shut_one(int how, bool conn)
{
	static const char *const hows[] = {"RD", "WR", "RDWR"};
	static char big[65508];
	struct sigaction act = {.sa_handler = on_pipe_count}, old;
	struct sockaddr_in to = sa(peer, PORT_ECHO), to6 = to;
	const struct sockaddr *a = (const struct sockaddr *)&to;
	struct timeval tv = {WAIT_MS / 1000, 0};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	char step[96];

#define S(what)                                                                                    \
	(snprintf(step, sizeof(step), "%s%s: %s", hows[how], conn ? " connected" : "", what), step)
	sigaction(SIGPIPE, &act, &old);
	atomic_store(&pipe_count, 0);
	to6.sin_family = AF_INET6;
	/* A blocking read that does not find EOF ends, and shows as a difference. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (conn)
		res(S("connect"), do_connect(fd, to));
	res(S("sendto before"), sendto(fd, "pre", 3, 0, a, sizeof(to)));
	wait_for(fd, POLLIN);
	res(S("shutdown"), shutdown(fd, how));
	snap(S("poll"), fd);
	if (how != SHUT_WR && !conn)
		snap_all(S("shut"), fd);
	res(S("sendto"), sendto(fd, "x", 1, 0, a, sizeof(to)));
	res(S("sendto MSG_NOSIGNAL"), sendto(fd, "x", 1, MSG_NOSIGNAL, a, sizeof(to)));
	res(S("sendto empty"), sendto(fd, "", 0, 0, a, sizeof(to)));
	res(S("send"), send(fd, "x", 1, 0));
	res(S("sendto AF_INET6"), sendto(fd, "x", 1, 0, (struct sockaddr *)&to6, sizeof(to6)));
	res(S("sendto 65508 bytes"), sendto(fd, big, sizeof(big), 0, a, sizeof(to)));
	res(S("sendto MSG_OOB"), sendto(fd, "x", 1, MSG_OOB, a, sizeof(to)));
	res(S("sendto MSG_PROBE"), sendto(fd, "x", 1, MSG_PROXY, a, sizeof(to)));
	out(S("SIGPIPE"), "%d", atomic_load(&pipe_count));
	recv_step(S("recv"), fd, 100, MSG_DONTWAIT);
	/* Shut for reading only, it sent: the echoes of x, x, "" (and send's x) come. */
	for (int k = 0; how == SHUT_RD && k < (conn ? 4 : 3); k++) {
		wait_dgram(fd);
		recv_step(S("recv an echo"), fd, 100, MSG_DONTWAIT);
	}
	recv_step(S("recv empty"), fd, 100, MSG_DONTWAIT);
	if (how != SHUT_WR) {
		recv_step(S("recv blocking, empty"), fd, 100, 0);
		recv_step(S("peek blocking, empty"), fd, 100, MSG_PEEK);
	}
	if (how == SHUT_RD) {
		res(S("sendto after"), sendto(fd, "post", 4, 0, a, sizeof(to)));
		wait_dgram(fd);
		snap(S("poll, a datagram queued"), fd);
		recv_step(S("recv blocking"), fd, 100, 0);
	}
	res(S("connect AF_UNSPEC"),
	    connect(fd, &(struct sockaddr){.sa_family = AF_UNSPEC}, sizeof(struct sockaddr)));
	snap(S("poll after AF_UNSPEC"), fd);
	res(S("sendto after AF_UNSPEC"), sendto(fd, "x", 1, 0, a, sizeof(to)));
	res(S("shutdown again"), shutdown(fd, how));
	close(fd);
	sigaction(SIGPIPE, &old, NULL);
#undef S
}

static void udp_shutdown(void)
{
	for (int how = SHUT_RD; how <= SHUT_RDWR; how++) {
		udp_shut_one(how, false);
		udp_shut_one(how, true);
	}
}

struct shut_waiter {
	int fd, ep, call;
	_Atomic pid_t tid;
	long ret;
	int err;
	unsigned int events;
};

static void *shut_wait(void *arg)
{
	struct shut_waiter *w = arg;
	struct pollfd p = {.fd = w->fd, .events = POLLIN | POLLRDHUP};
	struct epoll_event ev = {0};
	char buf[16];

	atomic_store(&w->tid, (pid_t)syscall(SYS_gettid));
	if (w->call == 0 || w->call == 3) {
		w->ret = recv(w->fd, buf, sizeof(buf), 0);
	} else if (w->call == 4) {
		w->ret = recv(w->fd, buf, sizeof(buf), MSG_PEEK);
	} else if (w->call == 1) {
		w->ret = poll(&p, 1, WAIT_MS);
		w->events = (unsigned short)p.revents;
	} else {
		w->ret = epoll_wait(w->ep, &ev, 1, WAIT_MS);
		w->events = ev.events;
	}
	w->err = errno;
	return NULL;
}

/*
 * inet_shutdown's sk_state_change wakes whoever waits on the socket: a
 * blocking recv finds EOF, poll and an edge-triggered epoll report
 * IN|RDHUP, and so does a read of a socket with SO_PEEK_OFF set, a recv
 * and a peek past the datagram queued (__skb_wait_for_more_packets sees
 * RCV_SHUTDOWN); a process that shares the socket (fork) sees the shutdown
 * its parent made: readiness, EOF, EPIPE.
 */
static void udp_shutdown_wake(void)
{
	static const char *const calls[] = {"recv", "poll", "epoll ET", "recv SO_PEEK_OFF",
					    "peek SO_PEEK_OFF past a datagram"};
	struct timeval tv = {WAIT_MS / 1000, 0};
	int sync[2];

	for (int i = 0; i < 5; i++) {
		struct shut_waiter w = {.fd = socket(AF_INET, SOCK_DGRAM, 0), .call = i};
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET};
		char step[64], buf[128];
		pthread_t t;

		w.ep = epoll_create1(EPOLL_CLOEXEC);
		/* Not woken, the recv ends (EAGAIN) and shows as a difference. */
		setsockopt(w.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		res("bind", do_bind(w.fd, sa(self, 0)));
		if (i == 4) {
			struct sockaddr_in me;
			socklen_t len = sizeof(me);

			/* "pre" queued, the offset past it: the peek waits for more. */
			getsockname(w.fd, (struct sockaddr *)&me, &len);
			res("peek past: sendto self",
			    sendto(w.fd, "pre", 3, 0, (struct sockaddr *)&me, len));
			wait_dgram(w.fd);
		}
		if (i >= 3) {
			int off = i == 4 ? 3 : 0;

			snprintf(step, sizeof(step), "%s: set", calls[i]);
			res(step, setsockopt(w.fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)));
		}
		epoll_ctl(w.ep, EPOLL_CTL_ADD, w.fd, &ev);
		epoll_wait(w.ep, &ev, 1, 0); /* the registration's own event */
		pthread_create(&t, NULL, shut_wait, &w);
		wait_asleep(&w.tid);
		snprintf(step, sizeof(step), "%s asleep: shutdown(RD)", calls[i]);
		res(step, shutdown(w.fd, SHUT_RD));
		pthread_join(t, NULL);
		snprintf(step, sizeof(step), "%s asleep: woken", calls[i]);
		if (w.ret < 0) {
			out(step, "%s", err_name(w.err));
		} else if (i == 0 || i >= 3) {
			out(step, "%ld", w.ret);
		} else {
			out(step, "%ld %s", w.ret,
			    ev_names((int)w.events & ~POLLRDNORM, buf, sizeof(buf)));
		}
		close(w.ep);
		close(w.fd);
	}

	if (pipe(sync) == 0) {
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		pid_t pid;
		char c;

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		res("fork: connect", do_connect(fd, sa(peer, PORT_ECHO)));
		pid = fork();
		if (pid == 0) {
			close(sync[1]);
			if (read(sync[0], &c, 1) != 1)
				_exit(1);
			snap("fork: child: poll", fd);
			res("fork: child: send", send(fd, "x", 1, MSG_NOSIGNAL));
			recv_step("fork: child: recv blocking", fd, 100, 0);
			_exit(0);
		}
		close(sync[0]);
		res("fork: parent: shutdown(RDWR)", shutdown(fd, SHUT_RDWR));
		if (write(sync[1], "g", 1) != 1)
			out("fork", "the child was not told");
		close(sync[1]);
		waitpid(pid, NULL, 0);
		close(fd);
	}
}

/*
 * The echo of a datagram sent: its length and a sum of its bytes, or the
 * wait's end. Polled for by reading (a socket shut for reading polls IN).
 */
static void echo_step(const char *step, int fd)
{
	static unsigned char buf[65536];
	long long end = now_ms() + WAIT_MS;
	unsigned int sum = 0;
	ssize_t r;

	while ((r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) < 0 && errno == EAGAIN) {
		if (now_ms() > end) {
			out(step, "timeout");
			return;
		}
		poll(NULL, 0, 1);
	}
	for (ssize_t i = 0; i < r; i++)
		sum = sum * 31 + buf[i];
	if (r < 0)
		res(step, r);
	else
		out(step, "%zd \"%.3s\" sum %08x", r, buf, sum);
}

/*
 * A datagram corked (MSG_MORE, UDP_CORK) when the socket is shut for
 * writing still takes sends (__ip_append_data meets sock_alloc_send_skb's
 * SEND_SHUTDOWN check only for a datagram's first skb), whatever their
 * size or address, and the one that ends the cork sends it; every send
 * after that fails with EPIPE. One too large drops the datagram
 * (EMSGSIZE). The echo shows what went as one datagram.
 */
static int cork_then_shut(const char *what, int how)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	char step[64];

	snprintf(step, sizeof(step), "%s: connect", what);
	res(step, do_connect(fd, sa(peer, PORT_ECHO)));
	snprintf(step, sizeof(step), "%s: send MSG_MORE", what);
	res(step, send(fd, "abc", 3, MSG_MORE));
	snprintf(step, sizeof(step), "%s: shutdown", what);
	res(step, shutdown(fd, how));
	return fd;
}

static void udp_shut_cork(void)
{
	static char big[65505];
	struct sockaddr_in to = sa(peer, PORT_ECHO), other = sa(peer, PORT_CLOSED);
	struct iovec iov[3] = {{big, 2000}, {"yy", 2}, {big + 2000, 1000}};
	int fd, on = 1, off = 0, mf = memfd_create("udp_shut_cork", 0);
	off_t foff = 0;

	memset(big, 'b', sizeof(big));
	if (write(mf, big, 100) != 100)
		out("set-up", "%s", err_name(errno));
	for (int how = SHUT_WR; how <= SHUT_RDWR; how++) {
		char step[64];

#define S(what) (snprintf(step, sizeof(step), "%s: %s", how == SHUT_WR ? "WR" : "RDWR", what), step)
		fd = cork_then_shut(how == SHUT_WR ? "WR" : "RDWR", how);
		res(S("send MSG_MORE again"), send(fd, "def", 3, MSG_MORE));
		res(S("send 3000 MSG_MORE"), send(fd, big, 3000, MSG_MORE));
		res(S("writev 3002"), writev(fd, iov, 3));
		echo_step(S("echo"), fd);
		res(S("send after"), send(fd, "jkl", 3, 0));
		res(S("send MSG_MORE after"), send(fd, "x", 1, MSG_MORE));
		close(fd);
#undef S
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	res("UDP_CORK: connect", do_connect(fd, to));
	res("UDP_CORK", setsockopt(fd, IPPROTO_UDP, UDP_CORK, &on, sizeof(on)));
	res("UDP_CORK: send", send(fd, "abc", 3, 0));
	res("UDP_CORK: shutdown(WR)", shutdown(fd, SHUT_WR));
	res("UDP_CORK: send again", send(fd, "def", 3, 0));
	res("UDP_CORK: sendto another port",
	    sendto(fd, "ghi", 3, 0, (struct sockaddr *)&other, sizeof(other)));
	res("UDP_CORK: sendfile", sendfile(fd, mf, &foff, 100));
	res("UDP_CORK off", setsockopt(fd, IPPROTO_UDP, UDP_CORK, &off, sizeof(off)));
	echo_step("UDP_CORK: echo", fd);
	res("UDP_CORK: send after", send(fd, "x", 1, 0));
	close(fd);
	fd = cork_then_shut("too big", SHUT_WR);
	res("too big: send 65505", send(fd, big, sizeof(big), MSG_MORE));
	res("too big: send after", send(fd, "z", 1, 0));
	close(fd);
	fd = cork_then_shut("empty", SHUT_WR);
	res("empty: send nothing", send(fd, "", 0, 0));
	echo_step("empty: echo", fd);
	close(fd);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	res("unconnected: sendto MSG_MORE",
	    sendto(fd, "abc", 3, MSG_MORE, (struct sockaddr *)&to, sizeof(to)));
	res("unconnected: shutdown(WR)", shutdown(fd, SHUT_WR));
	res("unconnected: sendto", sendto(fd, "def", 3, 0, (struct sockaddr *)&to, sizeof(to)));
	echo_step("unconnected: echo", fd);
	res("unconnected: sendto after", sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)));
	close(fd);
	close(mf);
}

/* SIOCINQ until it counts a datagram (or WAIT_MS): what it then says. */
static void inq_step(const char *step, int fd)
{
	long long end = now_ms() + WAIT_MS;
	int inq = 0;

	while (ioctl(fd, SIOCINQ, &inq) == 0 && !inq && now_ms() < end)
		poll(NULL, 0, 1);
	out(step, "%d", inq);
}

/*
 * SIOCINQ (FIONREAD) of a UDP socket shut for reading with datagrams
 * queued after the shutdown: udp_ioctl's first_packet_length, the first
 * datagram's payload, the next one's once it is read, 0 when none is left.
 * Shut by this thread, the wake-up of its own shutdown comes first.
 */
static void udp_shut_inq(void)
{
	struct sockaddr_in to = sa(peer, PORT_ECHO);

	for (int conn = 0; conn < 2; conn++) {
		int fd = socket(AF_INET, SOCK_DGRAM, 0), inq = -1;
		char step[64];

#define S(what)                                                                                    \
	(snprintf(step, sizeof(step), "%s: %s", conn ? "connected" : "unconnected", what), step)
		if (conn)
			res(S("connect"), do_connect(fd, to));
		res(S("shutdown(RD)"), shutdown(fd, SHUT_RD));
		res(S("SIOCINQ, nothing queued"), ioctl(fd, SIOCINQ, &inq) ?: inq);
		res(S("sendto 4"), sendto(fd, "aaaa", 4, 0, (struct sockaddr *)&to, sizeof(to)));
		res(S("sendto 2"), sendto(fd, "bb", 2, 0, (struct sockaddr *)&to, sizeof(to)));
		inq_step(S("SIOCINQ, two echoes"), fd);
		res(S("FIONREAD"), ioctl(fd, FIONREAD, &inq) ?: inq);
		recv_step(S("recv"), fd, 100, MSG_DONTWAIT);
		inq_step(S("SIOCINQ, one echo"), fd);
		recv_step(S("recv"), fd, 100, MSG_DONTWAIT);
		res(S("SIOCINQ, none"), ioctl(fd, SIOCINQ, &inq) ?: inq);
		snap(S("poll"), fd);
		close(fd);
#undef S
	}
}

/*
 * The echoes until the one of "end", a datagram sent after the ones under
 * test: how many came before it and their sizes, so a datagram the peer
 * dropped shows without a wait for it.
 */
static void echoes_before_end(const char *step, int fd)
{
	static unsigned char buf[65536];
	long long end = now_ms() + WAIT_MS;
	char sizes[64] = "";
	size_t len = 0;
	int n = 0;
	ssize_t r;

	for (;;) {
		r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r < 0 && errno == EAGAIN && now_ms() <= end) {
			poll(NULL, 0, 1);
			continue;
		}
		if (r < 0) {
			out(step, "%s", errno == EAGAIN ? "timeout" : err_name(errno));
			return;
		}
		if (r == 3 && !memcmp(buf, "end", 3))
			break;
		n++;
		if (len < sizeof(sizes))
			len += (size_t)snprintf(sizes + len, sizeof(sizes) - len, " %zd", r);
	}
	out(step, "%d before the end's echo:%s", n, sizes);
}

/* udp_sendfile's inputs and sizes: the file (memfd) mf holds 70,000 bytes. */
static void udp_sendfile_inputs(int mf)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), p[2] = {-1, -1}, sp[2] = {-1, -1}, wr, dir, left,
	    on = 1, off0 = 0;
	char path[64];
	off_t off;

	res("connect", do_connect(fd, sa(peer, PORT_ECHO)));
	if (pipe(p) < 0 || write(p[1], "abcdef", 6) != 6 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0 || write(sp[1], "abcdef", 6) != 6)
		out("set-up", "%s", err_name(errno));
	res("from a pipe", sendfile(fd, p[0], NULL, 4));
	res("from a pipe: left in it", ioctl(p[0], FIONREAD, &left) ?: left);
	off = 0;
	res("from a pipe, offset", sendfile(fd, p[0], &off, 4));
	res("from a pipe, nothing", sendfile(fd, p[0], NULL, 0));
	close(p[1]);
	res("from a pipe, writer closed", sendfile(fd, p[0], NULL, 4));
	res("from a pipe, writer closed: left in it", ioctl(p[0], FIONREAD, &left) ?: left);
	res("from a socket", sendfile(fd, sp[0], NULL, 4));
	res("from a socket: left in it", ioctl(sp[0], FIONREAD, &left) ?: left);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mf);
	wr = open(path, O_WRONLY);
	off = 0;
	res("from a file open for writing", sendfile(fd, wr, &off, 4));
	off = 0;
	res("from a file open for writing, nothing", sendfile(fd, wr, &off, 0));
	dir = open("/", O_RDONLY | O_DIRECTORY);
	off = 0;
	res("from a directory", sendfile(fd, dir, &off, 4));
	res("from a directory, no offset", sendfile(fd, dir, NULL, 4));
	off = 0;
	res("from a directory, nothing", sendfile(fd, dir, &off, 0));
	off = 100000;
	res("past the end", sendfile(fd, mf, &off, 4));
	out("past the end: offset", "%ld", (long)off);
	off = -1;
	res("offset -1", sendfile(fd, mf, &off, 4));
	off = 0x7fffffffffffff00;
	res("offset whose end overflows", sendfile(fd, mf, &off, 4096));
	out("offset whose end overflows: offset", "%ld", (long)off);
	res("inputs: send end", send(fd, "end", 3, 0));
	echoes_before_end("inputs: echoes", fd);
	off = 1000;
	res("65000 from 1000", sendfile(fd, mf, &off, 65000));
	out("65000 from 1000: offset", "%ld", (long)off);
	echo_step("65000 from 1000: echo", fd);
	/*
	 * From an odd offset, across a page, larger than the path's MTU: the
	 * kernel's datagram leaves with a UDP checksum that the peer rejects
	 * (UdpInCsumErrors; a datagram to be fragmented is summed in software,
	 * over the spliced pages), where the stack's is right and echoed.
	 */
	off = 1;
	res("5000 from 1", sendfile(fd, mf, &off, 5000));
	res("5000 from 1: send end", send(fd, "end", 3, 0));
	known("the kernel sends a bad UDP checksum");
	echoes_before_end("5000 from 1: echoes", fd);
	off = 100;
	res("65600 from 100", sendfile(fd, mf, &off, 65600));
	out("65600 from 100: offset", "%ld", (long)off);
	res("65600 from 100: send end", send(fd, "end", 3, 0));
	echoes_before_end("65600 from 100: echoes", fd);
	/*
	 * A file that ends where a full pipe's worth ends: the read after it
	 * finds nothing, and splice_eof sends the datagram corked by MSG_MORE,
	 * unless UDP_CORK holds it.
	 */
	if (ftruncate(mf, 65536) < 0)
		out("set-up", "%s", err_name(errno));
	off = 100;
	res("to a page's end, 100000 asked", sendfile(fd, mf, &off, 100000));
	out("to a page's end: offset", "%ld", (long)off);
	echo_step("to a page's end: echo", fd);
	res("to a page's end: UDP_CORK", setsockopt(fd, IPPROTO_UDP, UDP_CORK, &on, sizeof(on)));
	off = 100;
	res("to a page's end, corked", sendfile(fd, mf, &off, 100000));
	res("to a page's end, corked: send end", send(fd, "end", 3, 0));
	res("to a page's end: UDP_CORK off",
	    setsockopt(fd, IPPROTO_UDP, UDP_CORK, &off0, sizeof(off0)));
	res("to a page's end: send end", send(fd, "end", 3, 0));
	echoes_before_end("to a page's end, corked: echoes", fd);
	close(wr);
	close(dir);
	close(p[0]);
	close(sp[0]);
	close(sp[1]);
	close(fd);
}

/*
 * sendfile to a UDP socket, do_splice_direct into udp_sendmsg: a pipe's
 * worth (16 pages) is one send, with MSG_MORE while more was asked for
 * beyond it, so up to 65,507 bytes go as one datagram and more fails
 * EMSGSIZE with nothing sent and the offset where it was; a file that ends
 * first sends what it has; the file position moves without an offset; a
 * datagram corked by MSG_MORE or UDP_CORK takes the bytes in; the socket's
 * own errors (EPIPE after SHUT_WR, EDESTADDRREQ unconnected).
 *
 * The input's checks come before the socket's: splice_direct_to_actor
 * takes no input that cannot seek (a pipe or a socket with bytes in it is
 * EINVAL and keeps them, with an offset a pipe is ESPIPE), one not open
 * for reading is EBADF (even for nothing), a directory EINVAL (0 for
 * nothing), an offset past the end sends nothing and stays, a negative
 * one or one whose end overflows is EINVAL (rw_verify_area).
 *
 * 65,000 bytes from offset 1,000 span 17 pages yet go as one datagram
 * (the second pipe's worth joins the first's, corked by MSG_MORE).
 */
static void udp_sendfile(void)
{
	static const size_t sizes[] = {1, 1000, 4096, 65507, 65508, 65536, 70000};
	static char data[70000];
	int fd = socket(AF_INET, SOCK_DGRAM, 0), mf = memfd_create("udp_sendfile", 0), on = 1,
	    off0 = 0;
	char step[64];
	off_t off;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 23);
	if (write(mf, data, sizeof(data)) != (ssize_t)sizeof(data))
		out("set-up", "%s", err_name(errno));
	res("connect", do_connect(fd, sa(peer, PORT_ECHO)));
	off = 0;
	res("nothing", sendfile(fd, mf, &off, 0));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		off = 0;
		snprintf(step, sizeof(step), "%zu bytes", sizes[i]);
		res(step, sendfile(fd, mf, &off, sizes[i]));
		snprintf(step, sizeof(step), "%zu bytes: offset", sizes[i]);
		out(step, "%ld", (long)off);
		if (sizes[i] <= 65507) {
			snprintf(step, sizeof(step), "%zu bytes: echo", sizes[i]);
			echo_step(step, fd);
		}
	}
	off = sizeof(data) - 10;
	res("the file's last 10 of 100", sendfile(fd, mf, &off, 100));
	out("the file's last 10: offset", "%ld", (long)off);
	echo_step("the file's last 10: echo", fd);
	off = sizeof(data);
	res("at the end", sendfile(fd, mf, &off, 100));
	lseek(mf, 5, SEEK_SET);
	res("no offset", sendfile(fd, mf, NULL, 100));
	out("no offset: position", "%ld", (long)lseek(mf, 0, SEEK_CUR));
	echo_step("no offset: echo", fd);
	res("MSG_MORE: send", send(fd, "abc", 3, MSG_MORE));
	off = 0;
	res("MSG_MORE: sendfile", sendfile(fd, mf, &off, 100));
	echo_step("MSG_MORE: echo", fd);
	res("UDP_CORK", setsockopt(fd, IPPROTO_UDP, UDP_CORK, &on, sizeof(on)));
	off = 0;
	res("UDP_CORK: sendfile", sendfile(fd, mf, &off, 1000));
	res("UDP_CORK: send", send(fd, "xyz", 3, 0));
	res("UDP_CORK off", setsockopt(fd, IPPROTO_UDP, UDP_CORK, &off0, sizeof(off0)));
	echo_step("UDP_CORK: echo", fd);
	res("shutdown(WR)", shutdown(fd, SHUT_WR));
	off = 0;
	res("shut: sendfile", sendfile(fd, mf, &off, 100));
	out("shut: offset", "%ld", (long)off);
	close(fd);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	off = 0;
	res("unconnected", sendfile(fd, mf, &off, 100));
	close(fd);
	udp_sendfile_inputs(mf);
	close(mf);
}

/* A raw socket's sends pass SHUT_WR (no transport header), unless IP_HDRINCL. */
static void raw_shutdown(void)
{
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_UDP), on = 1;
	struct sockaddr_in to = sa(peer, 0);
	char hdr[28] = {0x45, 0, 0, 28, 0, 0, 0, 0, 64, IPPROTO_UDP};

	memcpy(hdr + 16, &peer, 4);
	res("shutdown(WR)", shutdown(fd, SHUT_WR));
	res("sendto", sendto(fd, "12345678", 8, 0, (struct sockaddr *)&to, sizeof(to)));
	res("IP_HDRINCL", setsockopt(fd, SOL_IP, IP_HDRINCL, &on, sizeof(on)));
	res("sendto IP_HDRINCL",
	    sendto(fd, hdr, sizeof(hdr), MSG_NOSIGNAL, (struct sockaddr *)&to, sizeof(to)));
	snap("poll", fd);
	close(fd);
}

/*
 * Bad input before the socket's state: __sys_sendto copies the address in
 * (EINVAL for its length, EFAULT for an unreadable one) whatever the
 * socket, and do_sendfile checks its input file and offset before the
 * socket's write fails (a pipe or a socket is EINVAL, an offset on a pipe
 * ESPIPE, nothing to send 0).
 */
static void stream_bad_input(void)
{
	struct sigaction act = {.sa_handler = on_pipe_count}, old;
	int fresh = socket(AF_INET, SOCK_STREAM, 0), l = socket(AF_INET, SOCK_STREAM, 0);
	int c = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
	int mf = memfd_create("sock_semantics", 0), zero = open("/dev/zero", O_RDONLY), p[2];
	static const char *const outs[] = {"listener", "fresh", "udp"};
	int outfd[3];
	void *bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sockaddr_in to = sa(peer, PORT_HOLD);
	char step[64];
	off_t off;

	sigaction(SIGPIPE, &act, &old);
	res("listen", do_bind(l, sa(self, 0)) ?: listen(l, 1));
	res("connect", do_connect(c, to));
	res("sendto fresh, bad address", sendto(fresh, "x", 1, MSG_NOSIGNAL, bad, sizeof(to)));
	res("sendto fresh, bad address of length 0", sendto(fresh, "x", 1, MSG_NOSIGNAL, bad, 0));
	res("sendto fresh, address of 200 bytes",
	    sendto(fresh, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&to, 200));
	res("sendto listener, bad address", sendto(l, "x", 1, MSG_NOSIGNAL, bad, sizeof(to)));
	res("sendto connected, bad address", sendto(c, "x", 1, MSG_NOSIGNAL, bad, sizeof(to)));
	res("sendto connected, address",
	    sendto(c, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&to, sizeof(to)));
	if (pipe(p) < 0 || write(p[1], "abc", 3) != 3 || write(mf, "abc", 3) != 3)
		out("set-up", "%s", err_name(errno));
	outfd[0] = l;
	outfd[1] = fresh;
	outfd[2] = u;
	for (int i = 0; i < 3; i++) {
		atomic_store(&pipe_count, 0);
#define S(what) (snprintf(step, sizeof(step), "sendfile to %s: %s", outs[i], what), step)
		res(S("from a pipe"), sendfile(outfd[i], p[0], NULL, 1));
		off = 0;
		res(S("from a pipe, offset"), sendfile(outfd[i], p[0], &off, 1));
		res(S("from a pipe, nothing"), sendfile(outfd[i], p[0], NULL, 0));
		res(S("from a pipe's write end"), sendfile(outfd[i], p[1], NULL, 1));
		res(S("from a socket"), sendfile(outfd[i], c, NULL, 1));
		off = 0;
		res(S("from a file, nothing"), sendfile(outfd[i], mf, &off, 0));
		res(S("from a file, bad offset"), sendfile(outfd[i], mf, bad, 1));
		off = 0;
		res(S("from a file"), sendfile(outfd[i], mf, &off, 1));
		out(S("offset after"), "%ld", (long)off);
		res(S("from /dev/zero"), sendfile(outfd[i], zero, NULL, 1));
		out(S("SIGPIPE"), "%d", atomic_load(&pipe_count));
#undef S
	}
	sigaction(SIGPIPE, &old, NULL);
	munmap(bad, 4096);
	close(p[0]);
	close(p[1]);
	close(mf);
	close(zero);
	close(u);
	close(c);
	close(l);
	close(fresh);
}

static _Atomic int usr1_count;

static void on_usr1_count(int sig)
{
	(void)sig;
	atomic_fetch_add(&usr1_count, 1);
}

/* A blocking read on a TCP stream, in a thread of its own: recv, read or recvmsg. */
struct recv_waiter {
	int fd, call;
	_Atomic pid_t tid;
	ssize_t ret;
	int err;
	char buf[8];
};

static const char *const recv_calls[] = {"recv", "read", "recvmsg"};

static void *recv_wait(void *arg)
{
	struct recv_waiter *w = arg;
	struct iovec iov = {w->buf, sizeof(w->buf)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};

	atomic_store(&w->tid, (pid_t)syscall(SYS_gettid));
	if (w->call == 0)
		w->ret = recv(w->fd, w->buf, sizeof(w->buf), 0);
	else if (w->call == 1)
		w->ret = read(w->fd, w->buf, sizeof(w->buf));
	else
		w->ret = recvmsg(w->fd, &m, 0);
	w->err = errno;
	return NULL;
}

static void recv_waiter_out(const char *step, const struct recv_waiter *w)
{
	if (w->ret < 0)
		out(step, "%s", err_name(w->err));
	else
		out(step, "%zd \"%.*s\"", w->ret, (int)w->ret, w->buf);
}

/*
 * Whether this thread blocks SIGUSR1 now, and its state letter
 * (/proc/self/task/TID/status): the reader never blocks it itself, the
 * interposer's spin (SOCKSHIM_SPIN_US) blocks every signal between its
 * looks, so a reader seen blocking it is inside the spin.
 */
static bool task_blocks_usr1(pid_t tid, char *state)
{
	char path[64], line[128];
	unsigned long long blk = 0;
	FILE *f;

	*state = '?';
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "State:", 6))
			sscanf(line + 6, " %c", state);
		else if (!strncmp(line, "SigBlk:", 7))
			sscanf(line + 7, "%llx", &blk);
	}
	fclose(f);
	return blk & 1ull << (SIGUSR1 - 1);
}

/*
 * Sends SIGUSR1 to the reader once it is seen inside its spin; false if it
 * was seen asleep first (the spin over, or not taken: the back-off), or
 * never entered the read. No sleep between the looks: the spin is short.
 */
static bool signal_in_spin(pthread_t t, struct recv_waiter *w, long long end)
{
	char state;

	while (now_ms() < end && !atomic_load(&w->tid))
		sched_yield();
	while (now_ms() < end) {
		if (task_blocks_usr1(w->tid, &state)) {
			pthread_kill(t, SIGUSR1);
			return true;
		}
		if (state == 'S' || state == '?')
			return false;
	}
	return false;
}

/*
 * Where the reads spin, the reader and its observer run SCHED_FIFO at
 * priority 1 so that other load on the machine takes the core of neither:
 * a reader preempted in its spin ends it at once and backs the next reads
 * off (spin.h), and an observer preempted while the reader spins misses
 * it, so that a loaded machine made misses by the thousand. Neither holds
 * a core for long: the reader spins at most SOCKSHIM_SPIN_US and the
 * observer looks only while the reader runs; both sleep while the host and
 * the echo answer (and RT throttling leaves the others a share anyway).
 * The calling thread takes the policy, in a child of its own for each
 * step (recv_signal_steps), with SCHED_RESET_ON_FORK so that a stack host
 * this child starts (at its first socket) runs as it would without; the
 * attributes returned give it to the reader. NULL where it is refused
 * (EPERM: no CAP_SYS_NICE), said on stderr: the reads then run as before.
 */
static pthread_attr_t *recv_spin_rt(const char *step, pthread_attr_t *a)
{
	struct sched_param rt = {.sched_priority = 1};

	if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &rt)) {
		fprintf(stderr, "%s: %s: SCHED_FIFO refused (%s): misses as the load makes them\n",
			scen, step, err_name(errno));
		return NULL;
	}
	pthread_attr_init(a);
	pthread_attr_setinheritsched(a, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(a, SCHED_FIFO);
	pthread_attr_setschedparam(a, &rt);
	return a;
}

/*
 * One blocking read on a fresh connection to the TCP echo, SIGUSR1 (whose
 * handler is installed) coming once the thread sleeps, or, where spin is
 * set, once it is seen inside its spin (a read that was not is a miss: a
 * byte's echo ends it and the read goes again on the same connection; a
 * spin that found nothing backs the next ones off, so the tries after it
 * do not spin). Once the handler ran and the thread sleeps again (or is
 * done), a byte goes out: its echo answers a read that the signal did not
 * end.
 */
static void recv_signalled(const char *step, int call, bool timeo, bool spin)
{
	pthread_attr_t rt, *attr = spin ? recv_spin_rt(step, &rt) : NULL;
	struct recv_waiter w = {.fd = socket(AF_INET, SOCK_STREAM, 0), .call = call};
	struct timeval tv = {WAIT_MS / 1000, 0};
	long long end = now_ms() + 60 * WAIT_MS;
	int seen, misses = 0;
	pthread_t t;

	if (do_connect(w.fd, sa(peer, PORT_TECHO)) < 0) {
		out(step, "connect %s", err_name(errno));
		goto out;
	}
	if (timeo)
		setsockopt(w.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		atomic_store(&w.tid, 0);
		seen = atomic_load(&usr1_count);
		pthread_create(&t, attr, recv_wait, &w);
		if (!spin) {
			end = now_ms() + WAIT_MS;
			while (now_ms() < end && (!atomic_load(&w.tid) || task_state(w.tid) != 'S'))
				poll(NULL, 0, 1);
			pthread_kill(t, SIGUSR1);
			break;
		}
		if (signal_in_spin(t, &w, end)) {
			fprintf(stderr, "%s: %s: signal in the spin after %d misses\n", scen, step,
				misses);
			break;
		}
		send(w.fd, "m", 1, 0);
		pthread_join(t, NULL);
		if (w.ret != 1 || w.buf[0] != 'm' || now_ms() >= end) {
			recv_waiter_out(step, &w);
			fprintf(stderr, "%s: %s: no read seen in its spin in %d tries\n", scen,
				step, misses + 1);
			goto out;
		}
		misses++;
	}
	end = now_ms() + WAIT_MS;
	while (now_ms() < end && atomic_load(&usr1_count) == seen)
		poll(NULL, 0, 1);
	while (now_ms() < end && task_state(w.tid) != 'S' && task_state(w.tid) != '?')
		poll(NULL, 0, 1);
	send(w.fd, "r", 1, 0);
	pthread_join(t, NULL);
	recv_waiter_out(step, &w);
out:
	close(w.fd);
	if (attr)
		pthread_attr_destroy(attr);
}

/*
 * recv, read and recvmsg signalled (recv_signalled) with and without
 * SA_RESTART and SO_RCVTIMEO; where forked, each step in a child of its
 * own, which starts with the spin's back-off as this process left it
 * (never spinning), so that its first read spins.
 */
static void recv_signal_steps(bool spin, bool forked)
{
	struct sigaction act = {.sa_handler = on_usr1_count}, old;
	char step[64];
	int status;
	pid_t pid;

	sigaction(SIGUSR1, NULL, &old);
	for (int restart = 1; restart >= 0; restart--) {
		act.sa_flags = restart ? SA_RESTART : 0;
		sigaction(SIGUSR1, &act, NULL);
		for (int timeo = 0; timeo < 2; timeo++)
			for (int call = 0; call < 3; call++) {
				snprintf(step, sizeof(step), "%s%s: %s",
					 restart ? "SA_RESTART" : "no SA_RESTART",
					 timeo ? ", SO_RCVTIMEO" : "", recv_calls[call]);
				if (!forked) {
					recv_signalled(step, call, timeo, spin);
					continue;
				}
				pid = fork();
				if (pid == 0) {
					recv_signalled(step, call, timeo, spin);
					_exit(0);
				}
				if (pid < 0 || waitpid(pid, &status, 0) != pid || status)
					out(step, "child failed (status %d)",
					    pid < 0 ? -1 : status);
			}
	}
	sigaction(SIGUSR1, &old, NULL);
}

/*
 * A blocking read on a TCP stream hit by a signal (sock_intr_errno): with
 * SA_RESTART and no SO_RCVTIMEO the kernel restarts it and the echo that
 * comes after is its answer; without SA_RESTART, or with SO_RCVTIMEO, EINTR.
 */
static void tcp_recv_signal(void)
{
	recv_signal_steps(false, false);
}

/*
 * tcp_recv_signal with the signal timed into the spin where the program
 * spins (SOCKSHIM_SPIN_US set): the spin runs with signals blocked, each
 * look a ppoll that unblocks them, so a signal there must end or restart
 * the read as in the kernel's sleep. Natively (and under the shim without
 * the spin) the signal comes once the reader sleeps, as in
 * tcp_recv_signal; the lines must agree.
 */
static void tcp_recv_signal_spin(void)
{
	const char *us = getenv("SOCKSHIM_SPIN_US");

	recv_signal_steps(us && atoi(us) > 0, true);
}

/* SO_RCVTIMEO on a TCP stream nothing arrives on: EAGAIN, not before the time. */
static void tcp_recv_timeo(void)
{
	struct timeval tv = {0, 100000};
	char buf[8], step[32];
	long long t0;
	ssize_t n;

	for (int call = 0; call < 3; call++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};

		snprintf(step, sizeof(step), "100 ms: %s", recv_calls[call]);
		if (do_connect(fd, sa(peer, PORT_TECHO)) < 0) {
			out(step, "connect %s", err_name(errno));
			close(fd);
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		t0 = now_ms();
		n = call == 0	? recv(fd, buf, sizeof(buf), 0)
		    : call == 1 ? read(fd, buf, sizeof(buf))
				: recvmsg(fd, &m, 0);
		out(step, "%zd %s after %s", n, n < 0 ? err_name(errno) : "data",
		    now_ms() - t0 >= 100 ? ">= 100 ms" : "< 100 ms");
		close(fd);
	}
}

static void attach(const char *step, int fd, unsigned short len, struct sock_filter *insns)
{
	struct sock_fprog fprog = {.len = len, .filter = insns};

	res(step, setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)));
}

/* SO_GET_FILTER: the length (in instructions) and whether the program came back as given. */
static void get_filter(const char *step, int fd, socklen_t room, const struct sock_filter *want)
{
	static struct sock_filter got[BPF_MAXINSNS + 1];
	socklen_t len = room;

	memset(got, 0xa5, sizeof(got));
	if (getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, got, &len) < 0)
		out(step, "%s", err_name(errno));
	else if (want && len && len <= BPF_MAXINSNS)
		out(step, "len %u, %s", len,
		    memcmp(got, want, len * sizeof(*got)) ? "differs" : "as attached");
	else
		out(step, "len %u", len);
}

/* Classic BPF socket filters: their checks, locking and reading back (the packets: dgram_cmsg). */
static void socket_filters(void)
{
	static struct sock_filter big[BPF_MAXINSNS + 1];
	struct sock_filter ret_all[] = {BPF_STMT(BPF_RET | BPF_K, 0xffff)};
	struct sock_filter bad[][3] = {
		{BPF_STMT(BPF_LD | BPF_IMM, 1), BPF_STMT(BPF_MISC | BPF_TAX, 0),
		 BPF_STMT(BPF_LD | BPF_IMM, 2)}, /* no return at the end */
		{BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 2), BPF_STMT(BPF_RET | BPF_K, 1),
		 BPF_STMT(BPF_RET | BPF_K, 2)}, /* jump past the end */
		{BPF_STMT(BPF_JMP | BPF_JA, 5), BPF_STMT(BPF_RET | BPF_K, 1),
		 BPF_STMT(BPF_RET | BPF_K, 2)}, /* ja past the end */
		{BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), BPF_STMT(BPF_RET | BPF_K, 1),
		 BPF_STMT(BPF_RET | BPF_K, 2)}, /* division by 0 */
		{BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32), BPF_STMT(BPF_RET | BPF_K, 1),
		 BPF_STMT(BPF_RET | BPF_K, 2)}, /* shift by 32 */
		{BPF_STMT(BPF_ST, 16), BPF_STMT(BPF_RET | BPF_K, 1),
		 BPF_STMT(BPF_RET | BPF_K, 2)}, /* scratch word 16 */
		{BPF_STMT(BPF_LD | BPF_MEM, 3), BPF_STMT(BPF_RET | BPF_A, 0),
		 BPF_STMT(BPF_RET | BPF_K, 2)}, /* read before written */
		{BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1), BPF_STMT(BPF_ST, 0),
		 BPF_STMT(BPF_LD | BPF_MEM, 0)}, /* written on one path only */
		{BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_AD_OFF + SKF_AD_MAX),
		 BPF_STMT(BPF_RET | BPF_A, 0),
		 BPF_STMT(BPF_RET | BPF_K, 2)}, /* unknown ancillary */
		{BPF_STMT(BPF_RET | BPF_X, 0), BPF_STMT(BPF_RET | BPF_K, 1),
		 BPF_STMT(BPF_RET | BPF_K, 2)}, /* ret X: no such opcode */
		{BPF_STMT(0xff, 0), BPF_STMT(BPF_RET | BPF_K, 1),
		 BPF_STMT(BPF_RET | BPF_K, 2)}, /* an unknown opcode */
		{BPF_STMT(BPF_LD | BPF_H | BPF_IMM, 1), BPF_STMT(BPF_RET | BPF_K, 1),
		 BPF_STMT(BPF_RET | BPF_K, 2)}, /* ld imm of a half word */
	};
	struct sock_filter good[] = {
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0),
		BPF_STMT(BPF_ST, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL),
		BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 3),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	int t = socket(AF_INET, SOCK_STREAM, 0);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sock_fprog fprog = {.len = 1, .filter = ret_all};
	char step[64], *edge;
	int one = 1, zero = 0, ufd;

	get_filter("get, none attached", t, 10, NULL);
	res("detach, none attached",
	    setsockopt(t, SOL_SOCKET, SO_DETACH_FILTER, &one, sizeof(one)));
	res("attach, optlen 15", setsockopt(t, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, 15));
	res("attach, optlen 17", setsockopt(t, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, 17));
	res("attach, bad fprog pointer",
	    setsockopt(t, SOL_SOCKET, SO_ATTACH_FILTER, (void *)16, sizeof(fprog)));
	attach("attach, length 0", t, 0, ret_all);
	attach("attach, NULL program", t, 1, NULL);
	attach("attach, bad program pointer", t, 1, (struct sock_filter *)16);
	attach("attach, length 4097", t, BPF_MAXINSNS + 1, big);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(step, sizeof(step), "attach bad program %zu", i);
		attach(step, t, 3, bad[i]);
	}
	get_filter("get after refusals", t, 10, NULL);
	attach("attach good", t, sizeof(good) / sizeof(good[0]), good);
	get_filter("get, room 0", t, 0, NULL);
	get_filter("get, room 4", t, 4, NULL);
	get_filter("get, room 5", t, 5, good);
	get_filter("get, room 100", t, 100, good);
	res("get, bad buffer",
	    getsockopt(t, SOL_SOCKET, SO_GET_FILTER, (void *)16, &(socklen_t){5}));
	for (int i = 0; i < BPF_MAXINSNS; i++)
		big[i] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (unsigned int)i);
	attach("attach 4096 instructions", t, BPF_MAXINSNS, big);
	get_filter("get 4096, room 4095", t, BPF_MAXINSNS - 1, NULL);
	get_filter("get 4096, room 4096", t, BPF_MAXINSNS, big);
	/* A refused program leaves the one attached in place: unreadable late, or no return. */
	edge = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(edge + 4096, 4096);
	memcpy(edge, big, 4096);
	attach("attach 600 ending past the mapping", t, 600, (struct sock_filter *)edge);
	big[BPF_MAXINSNS - 1] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, 0);
	attach("attach 4096 without a return", t, BPF_MAXINSNS, big);
	get_filter("get after", t, 0, NULL);
	munmap(edge, 4096);
	res("detach", setsockopt(t, SOL_SOCKET, SO_DETACH_FILTER, &one, sizeof(one)));
	res("detach again", setsockopt(t, SOL_SOCKET, SO_DETACH_FILTER, &one, sizeof(one)));
	res("detach, optlen 2", setsockopt(t, SOL_SOCKET, SO_DETACH_FILTER, &one, 2));
	opt("SO_LOCK_FILTER", t, SOL_SOCKET, SO_LOCK_FILTER);

	/* SO_ATTACH_BPF: an eBPF program's fd; the checks of the fd come after the lock's. */
	ufd = -1;
	res("attach bpf, optlen 8", setsockopt(u, SOL_SOCKET, SO_ATTACH_BPF, &ufd, 8));
	res("attach bpf, fd -1", setsockopt(u, SOL_SOCKET, SO_ATTACH_BPF, &ufd, sizeof(ufd)));
	ufd = t;
	res("attach bpf, a socket's fd",
	    setsockopt(u, SOL_SOCKET, SO_ATTACH_BPF, &ufd, sizeof(ufd)));
	ufd = 1000;
	res("attach bpf, closed fd", setsockopt(u, SOL_SOCKET, SO_ATTACH_BPF, &ufd, sizeof(ufd)));

	attach("udp attach", u, 1, ret_all);
	res("udp lock", setsockopt(u, SOL_SOCKET, SO_LOCK_FILTER, &one, sizeof(one)));
	opt("udp SO_LOCK_FILTER", u, SOL_SOCKET, SO_LOCK_FILTER);
	res("udp lock again", setsockopt(u, SOL_SOCKET, SO_LOCK_FILTER, &one, sizeof(one)));
	res("udp unlock", setsockopt(u, SOL_SOCKET, SO_LOCK_FILTER, &zero, sizeof(zero)));
	attach("udp attach locked", u, 1, ret_all);
	attach("udp attach locked, bad program", u, 3, bad[0]);
	attach("udp attach locked, NULL program", u, 1, NULL);
	attach("udp attach locked, bad pointer", u, 1, (struct sock_filter *)16);
	attach("udp attach locked, 4096", u, BPF_MAXINSNS, big);
	res("udp detach locked", setsockopt(u, SOL_SOCKET, SO_DETACH_FILTER, &one, sizeof(one)));
	ufd = -1;
	res("udp attach bpf locked", setsockopt(u, SOL_SOCKET, SO_ATTACH_BPF, &ufd, sizeof(ufd)));
	get_filter("udp get locked", u, 1, ret_all);
	close(t);
	close(u);
}

/* A segment the filter drops is as if lost: the connection comes up once it lets the SYN-ACK in. */
static void tcp_filter(void)
{
	struct sock_filter no_synack[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS,
			 13), /* the TCP flags: the filter sees TCP's header */
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x12, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
	};
	int t = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct pollfd p = {.fd = t, .events = POLLOUT};

	attach("attach no SYN-ACK", t, sizeof(no_synack) / sizeof(no_synack[0]), no_synack);
	res("connect", do_connect(t, sa(peer, PORT_HOLD)));
	/* Nothing may come: the wait's end is the result. */
	res("poll OUT for 300 ms", poll(&p, 1, 300));
	snap("still connecting", t);
	res("detach", setsockopt(t, SOL_SOCKET, SO_DETACH_FILTER, &(int){0}, sizeof(int)));
	wait_for(t, POLLOUT);
	snap("connected", t);
	opt("SO_ERROR", t, SOL_SOCKET, SO_ERROR);
	close(t);
}

/*
 * A UDP socket registered for neither IN nor OUT: an ICMP error wakes the
 * set with ERR (level-triggered: until the error is taken), a datagram
 * does not wake it.
 */
static void epoll_udp_nothing(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0), v = socket(AF_INET, SOCK_DGRAM, 0);
	int lt = epoll_create1(0), et = epoll_create1(0), quiet = epoll_create1(0);
	struct epoll_event ev = {.events = 0};
	char b[16];

	res("connect to the closed port", do_connect(u, sa(peer, PORT_CLOSED)));
	res("add, events 0", epoll_ctl(lt, EPOLL_CTL_ADD, u, &ev));
	ev.events = EPOLLET;
	res("add, events ET", epoll_ctl(et, EPOLL_CTL_ADD, u, &ev));
	ep_step("nothing yet", lt, 0);
	res("send", send(u, "x", 1, 0));
	ep_step("wait", lt, WAIT_MS);
	ep_step("wait again", lt, 0);
	ep_step("ET wait", et, WAIT_MS);
	ep_step("ET wait again", et, 0);
	res("recv", recv(u, b, sizeof(b), MSG_DONTWAIT));
	ep_step("after recv", lt, 0);
	ep_step("ET after recv", et, 0);
	res("send again", send(u, "x", 1, 0));
	ep_step("wait for the second error", lt, WAIT_MS);
	res("SO_ERROR takes it", getsockopt(u, SOL_SOCKET, SO_ERROR, b, &(socklen_t){4}));
	ep_step("after SO_ERROR", lt, 0);

	res("echo connect", do_connect(v, sa(peer, PORT_ECHO)));
	ev.events = 0;
	res("echo add, events 0", epoll_ctl(quiet, EPOLL_CTL_ADD, v, &ev));
	res("echo send", send(v, "y", 1, 0));
	wait_for(v, POLLIN);
	/* Nothing may come: the wait's end is the result. */
	ep_step("a datagram does not wake it", quiet, 300);
	ep_step("nor later", quiet, 0);
	close(lt);
	close(et);
	close(quiet);
	close(u);
	close(v);
}

/*
 * Closing an fd that a dup keeps open leaves its registration: the set
 * still reports the closed number's event (with its data), until the
 * socket's last fd is closed.
 */
static void epoll_close_dup(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0), d, ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42}, got[4];
	char b[16];
	int n;

	res("connect", do_connect(u, sa(peer, PORT_ECHO)));
	d = dup(u);
	res("ADD", epoll_ctl(ep, EPOLL_CTL_ADD, u, &ev));
	res("close the registered fd", close(u));
	res("send through the dup", send(d, "x", 1, 0));
	n = epoll_wait(ep, got, 4, WAIT_MS);
	out("wait", "%d events, data %llu", n, n == 1 ? (unsigned long long)got[0].data.u64 : 0ULL);
	res("DEL the closed number", epoll_ctl(ep, EPOLL_CTL_DEL, u, NULL));
	res("MOD the dup", epoll_ctl(ep, EPOLL_CTL_MOD, d, &ev));
	res("recv", recv(d, b, sizeof(b), MSG_DONTWAIT));
	ep_step("after recv", ep, 0);
	ev.data.u64 = 7;
	res("ADD the dup", epoll_ctl(ep, EPOLL_CTL_ADD, d, &ev));
	res("send again", send(d, "y", 1, 0));
	wait_for(d, POLLIN);
	n = epoll_wait(ep, got, 4, WAIT_MS);
	out("both registrations", "%d events, data %llu+%llu", n,
	    n == 2 ? (unsigned long long)(got[0].data.u64 < got[1].data.u64 ? got[0] : got[1])
			     .data.u64
		   : 0ULL,
	    n == 2 ? (unsigned long long)(got[0].data.u64 < got[1].data.u64 ? got[1] : got[0])
			     .data.u64
		   : 0ULL);
	res("DEL the dup", epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL));
	n = epoll_wait(ep, got, 4, 0);
	out("the closed number's alone", "%d events, data %llu", n,
	    n == 1 ? (unsigned long long)got[0].data.u64 : 0ULL);
	res("close the last fd", close(d));
	ep_step("after the last close", ep, 0);
	close(ep);
}

/*
 * Reads MSG_ZEROCOPY completions from id first until one ends at id last; prints whether
 * they came in order with the kernel's fields and which codes were seen
 * (how the kernel splits the range depends on when the peer acknowledges).
 */
static void zc_until(const char *step, int fd, unsigned int first, unsigned int last)
{
	unsigned int next = first, codes = 0;
	bool ok = true;

	for (;;) {
		union {
			struct cmsghdr align;
			char buf[256];
		} ctl;
		char data[16];
		struct iovec iov = {data, sizeof(data)};
		struct msghdr m = {.msg_iov = &iov,
				   .msg_iovlen = 1,
				   .msg_control = ctl.buf,
				   .msg_controllen = sizeof(ctl)};
		struct pollfd p = {fd, 0, 0};
		struct sock_extended_err ee = {0};
		struct cmsghdr *cm;

		if (poll(&p, 1, WAIT_MS) != 1 || !(p.revents & POLLERR)) {
			out(step, "timeout at id %u", next);
			return;
		}
		if (recvmsg(fd, &m, MSG_ERRQUEUE) < 0) {
			out(step, "%s at id %u", err_name(errno), next);
			return;
		}
		cm = CMSG_FIRSTHDR(&m);
		if (cm && cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR)
			memcpy(&ee, CMSG_DATA(cm), sizeof(ee));
		ok &= ee.ee_errno == 0 && ee.ee_origin == SO_EE_ORIGIN_ZEROCOPY &&
		      ee.ee_info == next && ee.ee_data >= ee.ee_info &&
		      (m.msg_flags & MSG_ERRQUEUE) && !CMSG_NXTHDR(&m, cm);
		codes |= 1u << (ee.ee_code & 7);
		next = ee.ee_data + 1;
		if (ee.ee_data >= last)
			break;
	}
	out(step, "ids %u..%u %s, codes %#x", first, next - 1,
	    ok ? "in order" : "not as the kernel's", codes);
}

/* MSG_ZEROCOPY on TCP: one id per send that took bytes, completions on the error queue. */
static void tcp_zerocopy(void)
{
	static char big[100000];
	int t = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	res("connect", do_connect(t, sa(peer, PORT_HOLD)));
	res("send ZEROCOPY without SO_ZEROCOPY", send(t, big, 10, MSG_ZEROCOPY));
	res("SO_ZEROCOPY", setsockopt(t, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)));
	snap("nothing sent yet", t);
	recv_step("recv(ERRQUEUE) nothing sent yet", t, 100, MSG_ERRQUEUE);
	res("send 0 bytes", send(t, big, 0, MSG_ZEROCOPY));
	res("send 1000", send(t, big, 1000, MSG_ZEROCOPY));
	res("send 100000", send(t, big, sizeof(big), MSG_ZEROCOPY));
	res("send without the flag", send(t, big, 10, 0));
	res("send 10", send(t, big, 10, MSG_ZEROCOPY));
	zc_until("completions", t, 0, 2);
	snap("all read", t);
	recv_step("recv(ERRQUEUE) all read", t, 100, MSG_ERRQUEUE);
	res("send 10 more", send(t, big, 10, MSG_ZEROCOPY));
	zc_until("completion", t, 3, 3);
	close(t);
}

/* Until the peer acknowledged every byte written to fd (SIOCOUTQ 0), at most WAIT_MS. */
static bool outq_empty(int fd)
{
	for (int i = 0; i < WAIT_MS / 5; i++) {
		int q = -1;

		if (ioctl(fd, SIOCOUTQ, &q) == 0 && q == 0)
			return true;
		poll(NULL, 0, 5);
	}
	return false;
}

/* Until nothing written to fd is in flight (sent and not acknowledged), at most WAIT_MS. */
static bool in_flight_none(int fd)
{
	for (int i = 0; i < WAIT_MS / 5; i++) {
		int q = -1, nsd = -1;

		if (ioctl(fd, SIOCOUTQ, &q) == 0 && ioctl(fd, SIOCOUTQNSD, &nsd) == 0 && q == nsd)
			return true;
		poll(NULL, 0, 5);
	}
	return false;
}

/*
 * MSG_MORE (tcp_push with TCP_NAGLE_CORK): with nothing in flight a
 * partial segment waits for the next send, which pushes it with its own
 * bytes, or for the probe timer.
 */
static void tcp_msg_more(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), q = -1, nsd = -1;

	res("connect", do_connect(fd, sa(peer, PORT_TECHO)));
	res("send 3, MSG_MORE", send(fd, "abc", 3, MSG_MORE));
	if (ioctl(fd, SIOCOUTQ, &q) < 0 || ioctl(fd, SIOCOUTQNSD, &nsd) < 0)
		out("corked", "ioctl: %s", err_name(errno));
	else
		out("corked", "SIOCOUTQ %d, SIOCOUTQNSD %d", q, nsd);
	res("send 1", send(fd, "d", 1, 0));
	out("then", "%s", outq_empty(fd) ? "all acknowledged" : "not all acknowledged");
	recv_step("echo", fd, 4, MSG_WAITALL);
	/* Nothing follows: the zero-window probe timer sends it (tcp_check_probe_timer). */
	res("send 2, MSG_MORE", send(fd, "ef", 2, MSG_MORE));
	wait_for(fd, POLLIN);
	recv_step("echo after the probe timer", fd, 2, MSG_DONTWAIT);
	/* TCP_NODELAY pushes what is corked (__tcp_sock_set_nodelay). */
	res("send 2, MSG_MORE again", send(fd, "gh", 2, MSG_MORE));
	if (ioctl(fd, SIOCOUTQNSD, &nsd) == 0)
		out("corked again", "SIOCOUTQNSD %d", nsd);
	res("TCP_NODELAY", setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int)));
	out("then", "%s", outq_empty(fd) ? "all acknowledged" : "not all acknowledged");
	recv_step("echo", fd, 2, MSG_WAITALL);
	/* With TCP_NODELAY on, MSG_MORE still corks (tcp_push's TCP_NAGLE_CORK). */
	res("send 2, MSG_MORE, TCP_NODELAY on", send(fd, "ij", 2, MSG_MORE));
	if (ioctl(fd, SIOCOUTQNSD, &nsd) == 0)
		out("corked with TCP_NODELAY", "SIOCOUTQNSD %d", nsd);
	res("shutdown(WR)", shutdown(fd, SHUT_WR));
	wait_for(fd, POLLIN);
	recv_step("echo after the FIN", fd, 2, MSG_WAITALL);
	close(fd);
}

/* How many events ep holds now (each edge-triggered one reported once). */
static int ep_count(int ep)
{
	struct epoll_event got[4];
	int n, total = 0;

	while ((n = epoll_wait(ep, got, 4, 0)) > 0)
		total += n;
	return n < 0 ? n : total;
}

static char chunk[65536];
static int chunk_pipe[2] = {-1, -1};
static size_t chunk_piped;

static ssize_t put_send(int fd)
{
	return send(fd, chunk, sizeof(chunk), 0);
}

/* splice from a pipe kept full of chunk's bytes (the pipe never says EAGAIN). */
static ssize_t put_splice(int fd)
{
	ssize_t n;

	if (!chunk_piped && write(chunk_pipe[1], chunk, sizeof(chunk)) == (ssize_t)sizeof(chunk))
		chunk_piped = sizeof(chunk);
	n = splice(chunk_pipe[0], NULL, fd, NULL, chunk_piped, SPLICE_F_NONBLOCK);
	if (n > 0)
		chunk_piped -= (size_t)n;
	return n;
}

/*
 * Fills c for good with put (non-blocking), lets the peer drain it and
 * prints the edge-triggered events of ep: none while full, one when room
 * comes back (sk_stream_write_space), none after.
 */
static void et_fill_drain(const char *how, int ep, int c, ssize_t (*put)(int))
{
	char line[32], step[64];
	int d = socket(AF_INET, SOCK_STREAM, 0), full = 0;

	res("O_NONBLOCK", fcntl(c, F_SETFL, O_NONBLOCK));
	/*
	 * Full for good: acknowledgements of what was in flight free room
	 * (and may wake the writer), so fill again until a round takes nothing
	 * with nothing in flight (the peer's window is shut) and no room came
	 * back after its EAGAIN: a wake-up then means the next write would
	 * take bytes, and it clears the writer's SOCK_NOSPACE, so the drain
	 * would wake nobody.
	 */
	for (int round = 0; round < 1000 && !full; round++) {
		int sent = 0;

		while (put(c) > 0)
			sent++;
		if (errno != EAGAIN || !in_flight_none(c)) {
			full = -1;
			break;
		}
		full = !sent && !ep_count(ep);
	}
	snprintf(step, sizeof(step), "filled by %s", how);
	out(step, "%s", full == 1 ? "yes" : "no");
	ep_step("nothing while full", ep, 0);
	snprintf(line, sizeof(line), "drain %u\n", local_port(c));
	res("connect the drain", do_connect(d, sa(peer, PORT_GATE)));
	res("drain", send(d, line, strlen(line), 0) == (ssize_t)strlen(line));
	ep_step("room came back", ep, WAIT_MS);
	if (!outq_empty(c))
		out("drained", "timeout");
	out("after the drain", "%d events", ep_count(ep));
	close(d);
}

/* A connection to PORT_GATE that the peer holds unread, registered edge-triggered for OUT. */
static int et_gated(int ep)
{
	int c = socket(AF_INET, SOCK_STREAM, 0);
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLET};

	res("connect", do_connect(c, sa(peer, PORT_GATE)));
	res("hold", send(c, "hold\n", 5, 0));
	if (!outq_empty(c))
		out("hold acknowledged", "timeout");
	res("ADD (OUT, ET)", epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev));
	ep_step("writable at ADD", ep, WAIT_MS);
	return c;
}

/*
 * Edge-triggered EPOLLOUT on TCP: writes that never fill the send buffer
 * wake nobody as the peer acknowledges them (SOCK_NOSPACE is not set), one
 * that fills it wakes the writer once when room comes back
 * (sk_stream_write_space), and nothing more comes as the rest drains;
 * filled by send, then on another connection by splice.
 */
static void et_write_space(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), c, events = 0;

	c = et_gated(ep);
	for (int i = 0; i < 5; i++) {
		if (send(c, chunk, 1000, 0) != 1000 || !outq_empty(c))
			out("write 1000", "failed or not acknowledged");
		events += ep_count(ep);
	}
	out("five writes the peer acknowledged", "%d events", events);
	et_fill_drain("send", ep, c, put_send);
	close(c);

	res("pipe", pipe(chunk_pipe));
	c = et_gated(ep);
	et_fill_drain("splice", ep, c, put_splice);
	/* inet_shutdown wakes the socket (sk_state_change): an edge with the same bits. */
	res("SHUT_WR", shutdown(c, SHUT_WR));
	ep_step("SHUT_WR: an edge", ep, WAIT_MS);
	ep_step("SHUT_WR: nothing new", ep, 0);
	close(c);
	close(chunk_pipe[0]);
	close(chunk_pipe[1]);
	close(ep);
}

/*
 * Edge-triggered EPOLLOUT on UDP: every datagram that leaves frees its
 * room and wakes the writer (sock_def_write_space), one event per send;
 * the echoes wake nobody registered for OUT only.
 */
static void et_udp_write_space(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), u = socket(AF_INET, SOCK_DGRAM, 0);
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLET};
	struct sockaddr_in to = sa(peer, PORT_ECHO);

	res("ADD (OUT, ET)", epoll_ctl(ep, EPOLL_CTL_ADD, u, &ev));
	ep_step("writable at ADD", ep, WAIT_MS);
	for (int i = 0; i < 3; i++) {
		res("sendto", sendto(u, "ping", 4, 0, (struct sockaddr *)&to, sizeof(to)));
		ep_step("sent: an edge", ep, WAIT_MS);
	}
	wait_for(u, POLLIN);
	ep_step("echoes: nothing", ep, 0);
	close(ep);
	close(u);
}

struct sleeper {
	pid_t tid; /* the thread in epoll_wait */
	int fd;
	int how;
	int ret, err;
};

/*
 * Whether thread tid is blocked in one of the epoll waits (its current
 * system call, /proc/.../syscall: epoll_wait, epoll_pwait, epoll_pwait2).
 */
static bool in_epoll_wait(pid_t tid)
{
	char path[64], buf[64];
	FILE *f;
	long nr = -1;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	nr = strtol(buf, NULL, 10);
	return nr == 232 || nr == 281 || nr == 441;
}

/* Once the other thread sleeps in epoll_wait (or after WAIT_MS): shutdown. */
static void *shut_when_asleep(void *arg)
{
	struct sleeper *s = arg;
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (in_epoll_wait(s->tid))
			break;
		sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 < WAIT_MS);
	s->ret = shutdown(s->fd, s->how);
	s->err = errno;
	return NULL;
}

/*
 * A thread sleeping in epoll_wait on a never-connected socket's
 * edge-triggered registration is woken when another thread shuts the
 * socket for reading: inet_shutdown's sk_state_change (it answers
 * ENOTCONN and records the shutdown). Whether the shutdown comes while the
 * wait sleeps (the case) or just before it, the wait reports the change.
 */
static void et_shutdown_wake(void)
{
	static const struct {
		const char *step;
		unsigned int events;
	} regs[] = {
		{"all events", ALL_EVENTS | EPOLLET},
		{"IN only", EPOLLIN | EPOLLRDHUP | EPOLLET},
	};

	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		int ep = epoll_create1(EPOLL_CLOEXEC), fd = socket(AF_INET, SOCK_STREAM, 0);
		struct epoll_event ev = {.events = regs[i].events};
		struct sleeper s = {.tid = gettid(), .fd = fd, .how = SHUT_RD};
		char step[96];
		pthread_t t;

		snprintf(step, sizeof(step), "%s: ADD", regs[i].step);
		res(step, epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
		snprintf(step, sizeof(step), "%s: first wait", regs[i].step);
		ep_step(step, ep, WAIT_MS);
		snprintf(step, sizeof(step), "%s: nothing new", regs[i].step);
		ep_step(step, ep, 0);
		if (pthread_create(&t, NULL, shut_when_asleep, &s)) {
			out("pthread_create", "failed");
			break;
		}
		snprintf(step, sizeof(step), "%s: woken by the other thread's shutdown",
			 regs[i].step);
		ep_step(step, ep, WAIT_MS);
		pthread_join(t, NULL);
		snprintf(step, sizeof(step), "%s: shutdown(RD)", regs[i].step);
		errno = s.err;
		res(step, s.ret);
		snprintf(step, sizeof(step), "%s: nothing new after", regs[i].step);
		ep_step(step, ep, 0);
		close(ep);
		close(fd);
	}
}

static const struct {
	const char *name;
	void (*run)(void);
} scenarios[] = {
	{"fresh_tcp", fresh_tcp},
	{"fresh_udp", fresh_udp},
	{"nb_connect_ok", nb_connect_ok},
	{"nb_connecting", nb_connecting},
	{"et_changes", et_changes},
	{"et_shutdown_wake", et_shutdown_wake},
	{"et_write_space", et_write_space},
	{"et_udp_write_space", et_udp_write_space},
	{"readiness_bad_input", readiness_bad_input},
	{"epoll_close", epoll_close},
	{"connect_refused", connect_refused},
	{"nb_connect_refused", nb_connect_refused},
	{"listener", listener},
	{"listener_shutdown", listener_shutdown},
	{"dgram_autobind", dgram_autobind},
	{"loopback_source", loopback_source},
	{"loopback_self", loopback_self},
	{"bound_dev_gone", bound_dev_gone},
	{"loopback_mtu", loopback_mtu},
	{"port_after_close", port_after_close},
	{"tcp_role", tcp_role},
	{"shutdown_unconnected", shutdown_unconnected},
	{"tcp_bound_multicast", tcp_bound_multicast},
	{"epoll_before_listen", epoll_before_listen},
	{"fin", fin},
	{"time_wait", time_wait},
	{"tcp_recvmsg_fields", tcp_recvmsg_fields},
	{"tcp_inq", tcp_inq},
	{"tcp_msg_more", tcp_msg_more},
	{"reset", reset},
	{"reset_so_error", reset_so_error},
	{"reset_send", reset_send},
	{"shut_wr", shut_wr},
	{"shut_rd", shut_rd},
	{"bind_errors", bind_errors},
	{"listen_autobind", listen_autobind},
	{"connect_errors", connect_errors},
	{"udp_refused", udp_refused},
	{"udp_refused_send", udp_refused_send},
	{"udp_errqueue_stamp", udp_errqueue_stamp},
	{"mcast_no_route", mcast_no_route},
	{"udp_echo", udp_echo},
	{"udp_connected", udp_connected},
	{"udp_shutdown", udp_shutdown},
	{"udp_shutdown_wake", udp_shutdown_wake},
	{"udp_shut_cork", udp_shut_cork},
	{"udp_shut_inq", udp_shut_inq},
	{"udp_sendfile", udp_sendfile},
	{"raw_shutdown", raw_shutdown},
	{"stream_bad_input", stream_bad_input},
	{"raw_connected", raw_connected},
	{"tcp_errqueue", tcp_errqueue},
	{"sendmsg_control", sendmsg_control},
	{"recvmmsg_timeout", recvmmsg_timeout},
	{"flag_matrix", flag_matrix},
	{"tcp_send_flags", tcp_send_flags},
	{"big_options", big_options},
	{"option_sizes", option_sizes},
	{"socket_ioctls", socket_ioctls},
	{"interfaces", interfaces},
	{"oob_peek_off", oob_peek_off},
	{"udp_peek_off", udp_peek_off},
	{"udp_peek_off_deep", udp_peek_off_deep},
	{"udp_peek_off_restart", udp_peek_off_restart},
	/* Before tcp_recv_signal, whose signals in the sleep back the spin off. */
	{"tcp_recv_signal_spin", tcp_recv_signal_spin},
	{"tcp_recv_signal", tcp_recv_signal},
	{"tcp_recv_timeo", tcp_recv_timeo},
	{"socket_filters", socket_filters},
	{"tcp_filter", tcp_filter},
	{"epoll_udp_nothing", epoll_udp_nothing},
	{"epoll_close_dup", epoll_close_dup},
	{"tcp_zerocopy", tcp_zerocopy},
	/* Last: its port unreachables spend the peer's ICMP rate limit (wait_err). */
	{"udp_err_behind", udp_err_behind},
	{"udp_err_asleep", udp_err_asleep},
	{"udp_err_unmapped", udp_err_unmapped},
	{"tcp_zerocopy_receive", tcp_zerocopy_receive},
};

int main(int argc, char **argv)
{
	if (argc < 3 || !inet_aton(argv[1], &peer) || !inet_aton(argv[2], &self)) {
		fprintf(stderr, "usage: %s PEER_ADDR SELF_ADDR [SCENARIO...]\n", argv[0]);
		return 2;
	}
	main_argv = argv;
	if (argc == 4 && !strcmp(argv[3], "--unmapped"))
		return udp_err_unmapped_run();
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		bool run = argc == 3;

		for (int j = 3; j < argc; j++)
			run |= !strcmp(argv[j], scenarios[i].name);
		if (!run)
			continue;
		scen = scenarios[i].name;
		scenarios[i].run();
	}
	return 0;
}
