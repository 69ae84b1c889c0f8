// SPDX-License-Identifier: MIT
/*
 * tcp_stamp PEER: SO_TIMESTAMPING transmit stamps and MSG_ZEROCOPY
 * completions on a TCP socket, one normalised line per step, for a
 * differential run (natively and under the shim;
 * tests/integration/test_tcp_stamp.sh diffs the two outputs).
 *
 * PEER runs a TCP sink on PORT (reads and discards). Every error queue
 * entry is printed as origin, errno, type (ee_info), key (ee_data), payload
 * length and the control messages that came with it; a stamp's time as
 * "now" when it is within a minute of the wall clock. Readiness is printed
 * through poll, select and epoll (level triggered) right after a
 * send (the kernel queues SCHED and SND before send() returns on a veth)
 * and after the queue is read. Waits are polls with a deadline, never
 * fixed sleeps.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tcp_client.h"

#define PORT	7200
#define WAIT_MS 10000

#ifndef SO_EE_ORIGIN_TIMESTAMPING
#define SO_EE_ORIGIN_TIMESTAMPING 4
#endif

static struct in_addr peer;

static const char *rev_str(unsigned int rev)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%s%s%s%s", rev & POLLIN ? "IN " : "",
		 rev & POLLOUT ? "OUT " : "", rev & POLLERR ? "ERR " : "",
		 rev & POLLHUP ? "HUP " : "");
	return buf;
}

/*
 * Readiness through poll, select and an epoll set (level triggered). Not
 * compared: the edges of an edge-triggered set, which the kernel raises at
 * every entry queued later (an ACK stamp, a completion) and the shim does
 * not (README "Limits today").
 */
static void readiness(const char *step, int s, int ep_lt)
{
	struct pollfd p = {.fd = s, .events = POLLIN | POLLOUT};
	struct epoll_event ev;
	fd_set r, w, x;
	struct timeval tv = {0, 0};
	int n, lt = 0;

	n = poll(&p, 1, 0);
	printf("%s: poll %d: %s", step, n, rev_str(p.revents));
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&x);
	FD_SET(s, &r);
	FD_SET(s, &w);
	FD_SET(s, &x);
	n = select(s + 1, &r, &w, &x, &tv);
	printf("/ select %d:%s%s%s", n, FD_ISSET(s, &r) ? " r" : "", FD_ISSET(s, &w) ? " w" : "",
	       FD_ISSET(s, &x) ? " x" : "");
	if (epoll_wait(ep_lt, &ev, 1, 0) == 1)
		lt = (int)ev.events;
	printf(" / epoll %s\n", rev_str((unsigned int)lt));
}

/* Waits until the socket says ERR (polled with a deadline): the entry may come at the ACK. */
static int wait_err(int s)
{
	long long end = now_ms() + WAIT_MS;

	while (now_ms() < end) {
		struct pollfd p = {.fd = s, .events = 0};

		if (poll(&p, 1, 10) == 1 && (p.revents & POLLERR))
			return 0;
	}
	return -1;
}

/* A msghdr for one error queue entry: its data into iov, its messages into ctl. */
static struct msghdr errq_msg(struct iovec *iov, void *ctl, size_t ctl_len)
{
	return (struct msghdr){
		.msg_iov = iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = ctl_len};
}

/* One error queue entry, normalised; returns its type (ee_info), -1 if none. */
static int read_entry(const char *step, int s)
{
	char data[2048], ctl[512];
	struct iovec iov = {data, sizeof(data)};
	struct msghdr m = errq_msg(&iov, ctl, sizeof(ctl));
	struct sock_extended_err ee = {0};
	struct scm_timestamping ts = {0};
	char cms[128] = "";
	ssize_t n = recvmsg(s, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
	time_t wall = time(NULL);

	if (n < 0) {
		printf("%s: recvmsg(MSG_ERRQUEUE) -1 %s\n", step, strerror(errno));
		return -1;
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		char one[32];

		snprintf(one, sizeof(one), " %d/%d", c->cmsg_level, c->cmsg_type);
		strcat(cms, one);
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING_OLD)
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
		if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR)
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
	}
	printf("%s: len %zd flags 0x%x origin %u errno %u code %u info %u data %u cmsgs%s", step, n,
	       m.msg_flags, ee.ee_origin, ee.ee_errno, ee.ee_code, ee.ee_info, ee.ee_data, cms);
	if (ee.ee_origin == SO_EE_ORIGIN_TIMESTAMPING)
		printf(" stamp %s",
		       ts.ts[0].tv_sec > wall - 60 && ts.ts[0].tv_sec <= wall + 1 ? "now" : "bad");
	printf("\n");
	return ee.ee_origin == SO_EE_ORIGIN_TIMESTAMPING ? (int)ee.ee_info : 100 + ee.ee_origin;
}

/* Reads entries until one of type want came (waiting for ERR with a deadline between). */
static void read_until(const char *step, int s, int want)
{
	for (int i = 0; i < 16; i++) {
		if (wait_err(s)) {
			printf("%s: no ERR within the deadline\n", step);
			return;
		}
		if (read_entry(step, s) == want)
			return;
	}
}

static void set_ts(const char *step, int s, unsigned int flags)
{
	int r = setsockopt(s, SOL_SOCKET, SO_TIMESTAMPING_OLD, &flags, sizeof(flags));

	printf("%s: SO_TIMESTAMPING 0x%x = %d %s\n", step, flags, r, r ? strerror(errno) : "");
}

static void send_n(const char *step, int s, size_t len, int flags, int cmsg_ts)
{
	char buf[4096];
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {buf, len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	memset(buf, 'x', sizeof(buf));
	if (cmsg_ts >= 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		m.msg_control = u.b;
		m.msg_controllen = sizeof(u.b);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SO_TIMESTAMPING_OLD;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &cmsg_ts, sizeof(int));
	}
	n = sendmsg(s, &m, flags);
	printf("%s: sendmsg %zu = %zd %s\n", step, len, n, n < 0 ? strerror(errno) : "");
}

/* Until the peer acknowledged everything (SIOCOUTQ 0), polled with a deadline. */
static void wait_acked(const char *step, int s)
{
	long long end = now_ms() + WAIT_MS;
	int q = -1;

	while (now_ms() < end) {
		if (ioctl(s, SIOCOUTQ, &q) == 0 && q == 0)
			return;
		poll(NULL, 0, 5);
	}
	printf("%s: still %d bytes unacked after the deadline\n", step, q);
}

/*
 * SOF_TIMESTAMPING_OPT_STATS: an OPT_TSONLY entry's data is TCP's counts as
 * netlink attributes, and so is its SCM_TIMESTAMPING_OPT_STATS message.
 * Each attribute as type/length, with its value where a 5-byte send on a
 * fresh connection makes it the same on every run (times and rates: T).
 */
static void stats_entry(const char *step, int s)
{
	static const unsigned char timed[] = {1, 2, 3, 6, 7, 10, 12, 22, 25};
	char data[1024], ctl[1024], line[1024] = "";
	struct iovec iov = {data, sizeof(data)};
	struct msghdr m = errq_msg(&iov, ctl, sizeof(ctl));
	struct sock_extended_err ee = {0};
	const unsigned char *st = NULL;
	size_t stlen = 0, len = 0;
	ssize_t n;

	if (wait_err(s)) {
		printf("%s: no ERR within the deadline\n", step);
		return;
	}
	n = recvmsg(s, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
	if (n < 0) {
		printf("%s: recvmsg(MSG_ERRQUEUE) -1 %s\n", step, strerror(errno));
		return;
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %d/%d", c->cmsg_level,
					c->cmsg_type);
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING_OPT_STATS) {
			st = CMSG_DATA(c);
			stlen = c->cmsg_len - CMSG_LEN(0);
		}
		if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR)
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
	}
	printf("%s: len %zd info %u data %u cmsgs%s, the data is the message's: %s\n", step, n,
	       ee.ee_info, ee.ee_data, line,
	       st && stlen == (size_t)n && !memcmp(st, data, stlen) ? "yes" : "no");
	len = 0;
	for (size_t off = 0; st && off + 4 <= stlen;) {
		unsigned short alen, type;
		unsigned long long v = 0;

		memcpy(&alen, st + off, 2);
		memcpy(&type, st + off + 2, 2);
		if (alen < 4 || off + alen > stlen)
			break;
		memcpy(&v, st + off + 4, alen - 4u < sizeof(v) ? alen - 4u : sizeof(v));
		if (memchr(timed, type, sizeof(timed)))
			len += (size_t)snprintf(line + len, sizeof(line) - len, " %u/%u=T", type,
						alen);
		else
			len += (size_t)snprintf(line + len, sizeof(line) - len, " %u/%u=%llu", type,
						alen, v);
		off += (alen + 3u) & ~3u;
	}
	printf("%s: attributes%s\n", step, line);
}

static int epoll_for(int s)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.fd = s};
	int ep = epoll_create1(0);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev))
		die("epoll");
	return ep;
}

int main(int argc, char **argv)
{
	const unsigned int tsonly = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_TX_SCHED |
				    SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_TX_ACK |
				    SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
	int s, lt, one = 1, r;

	if (argc != 2 || !inet_aton(argv[1], &peer)) {
		fprintf(stderr, "usage: tcp_stamp PEER\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* sock_set_timestamping: OPT_ID on a TCP socket with no sequence yet. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	set_ts("closed", s, tsonly);
	close(s);

	s = tcp_connect_nodelay(peer, PORT);
	lt = epoll_for(s);
	readiness("connected", s, lt);
	set_ts("opt_id", s, tsonly);
	r = recv(s, NULL, 0, MSG_ERRQUEUE | MSG_DONTWAIT);
	printf("empty queue: recv(MSG_ERRQUEUE) = %d %s\n", r, r < 0 ? strerror(errno) : "");

	/* The first send: SCHED and SND queued before it returns, ACK later. */
	send_n("send1", s, 100, 0, -1);
	readiness("after send1", s, lt);
	read_until("send1 entry", s, SCM_TSTAMP_ACK);
	readiness("send1 read", s, lt);

	/* Keys are byte offsets of each send's last byte; a per-send message overrides. */
	send_n("send2", s, 200, 0, -1);
	read_until("send2 entry", s, SCM_TSTAMP_ACK);
	send_n("send3 (SND only by cmsg)", s, 100, 0, SOF_TIMESTAMPING_TX_SOFTWARE);
	read_until("send3 entry", s, SCM_TSTAMP_SND);
	send_n("send4", s, 50, 0, -1);
	read_until("send4 entry", s, SCM_TSTAMP_ACK);
	readiness("send4 read", s, lt);
	send_n("bad cmsg", s, 10, 0, SOF_TIMESTAMPING_OPT_ID);

	/* Without OPT_TSONLY a SND stamp carries the frame, an ACK stamp the payload. */
	set_ts("whole", s, tsonly & ~SOF_TIMESTAMPING_OPT_TSONLY);
	send_n("send5", s, 10, 0, -1);
	read_until("send5 entry", s, SCM_TSTAMP_ACK);

	/* OPT_STATS (with OPT_TSONLY): a fresh connection's counts at each stamp of one send. */
	{
		int t = tcp_connect_nodelay(peer, PORT);

		set_ts("stats", t, tsonly | SOF_TIMESTAMPING_OPT_STATS);
		send_n("stats send", t, 5, 0, -1);
		stats_entry("stats SCHED", t);
		stats_entry("stats SND", t);
		stats_entry("stats ACK", t);
		close(t);
	}

	/* Off: nothing more is stamped. */
	set_ts("off", s, 0);
	send_n("send6", s, 10, 0, -1);
	wait_acked("send6", s);
	readiness("send6 acked", s, lt);
	r = recv(s, NULL, 0, MSG_ERRQUEUE | MSG_DONTWAIT);
	printf("send6: recv(MSG_ERRQUEUE) = %d %s\n", r, r < 0 ? strerror(errno) : "");

	/* MSG_ZEROCOPY: ids per send that took bytes, completed at the ACK, merged. */
	r = setsockopt(s, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one));
	printf("SO_ZEROCOPY = %d\n", r);
	send_n("zc1", s, 1000, MSG_ZEROCOPY, -1);
	send_n("zc2", s, 1000, MSG_ZEROCOPY, -1);
	send_n("zc3", s, 1000, MSG_ZEROCOPY, -1);
	send_n("zc empty", s, 0, MSG_ZEROCOPY, -1);
	wait_acked("zc", s);
	if (wait_err(s))
		printf("zc: no ERR within the deadline\n");
	readiness("zc acked", s, lt);
	while (read_entry("zc entry", s) >= 0)
		;
	readiness("zc read", s, lt);
	send_n("zc4", s, 1000, MSG_ZEROCOPY, -1);
	wait_acked("zc4", s);
	if (wait_err(s))
		printf("zc4: no ERR within the deadline\n");
	while (read_entry("zc4 entry", s) >= 0)
		;
	close(s);
	return 0;
}
