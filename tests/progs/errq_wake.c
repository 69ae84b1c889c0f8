// SPDX-License-Identifier: MIT
/*
 * errq_wake PEER: a thread asleep in poll, select or epoll_wait on a
 * connected TCP socket is woken by an error queue entry queued later (the
 * ACK stamp of a send stamped with TX_ACK alone, a MSG_ZEROCOPY
 * completion), one normalised line per step, for a differential run
 * (natively and under the shim; tests/integration/test_errq_wake.sh diffs
 * the two outputs). Also: level-triggered epoll reports ERR alone, an
 * edge-triggered set gets one edge per entry and none while nothing new
 * comes, SO_SELECT_ERR_QUEUE is a bool that adds PRI to ERR on UDP (not on
 * TCP: tcp_poll), MSG_ERRQUEUE|MSG_PEEK takes the entry; a UDP send above
 * the path MTU (EMSGSIZE) wakes a thread asleep on the socket with its
 * entry, connected or not.
 *
 * PEER runs a TCP sink on PORT. The waiting thread has a deadline
 * (WAIT_MS): "timeout" in the output is the failure. The main thread sends
 * only once the waiter sleeps (its /proc state S, polled with a deadline),
 * so the entry comes to a sleeping waiter.
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
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "task_state.h"
#include "tcp_client.h"

#define PORT	7201
#define WAIT_MS 20000

static struct in_addr peer;

static const char *ev_str(unsigned int rev)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%s%s%s%s%s", rev & POLLIN ? "IN " : "",
		 rev & POLLPRI ? "PRI " : "", rev & POLLOUT ? "OUT " : "",
		 rev & POLLERR ? "ERR " : "", rev & POLLHUP ? "HUP " : "");
	return buf;
}

/* What the waiting thread does, and what it saw. */
enum mode { M_POLL0, M_POLLIN, M_PPOLL, M_SELECT, M_SELECT_EX, M_EPOLL };

struct waiter {
	enum mode mode;
	int s, ep;
	pid_t tid;
	int ret;
	unsigned int rev;
	char sets[16];
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	struct pollfd p = {.fd = w->s, .events = 0};
	struct timespec ts = {WAIT_MS / 1000, 0};
	struct timeval tv = {WAIT_MS / 1000, 0};
	struct epoll_event ev = {0};
	fd_set r;

	__atomic_store_n(&w->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	switch (w->mode) {
	case M_POLL0:
	case M_POLLIN:
		p.events = w->mode == M_POLLIN ? POLLIN : 0;
		w->ret = poll(&p, 1, WAIT_MS);
		w->rev = (unsigned short)p.revents;
		break;
	case M_PPOLL:
		p.events = POLLIN;
		w->ret = ppoll(&p, 1, &ts, NULL);
		w->rev = (unsigned short)p.revents;
		break;
	case M_SELECT:
		FD_ZERO(&r);
		FD_SET(w->s, &r);
		w->ret = select(w->s + 1, &r, NULL, NULL, &tv);
		snprintf(w->sets, sizeof(w->sets), "%s", FD_ISSET(w->s, &r) ? "r" : "-");
		break;
	case M_SELECT_EX:
		FD_ZERO(&r);
		FD_SET(w->s, &r);
		w->ret = select(w->s + 1, NULL, NULL, &r, &tv);
		snprintf(w->sets, sizeof(w->sets), "%s", FD_ISSET(w->s, &r) ? "x" : "-");
		break;
	case M_EPOLL:
		w->ret = epoll_wait(w->ep, &ev, 1, WAIT_MS);
		w->rev = ev.events;
		break;
	}
	return NULL;
}

/* Until the waiter sleeps, polled with a deadline (under load it may take a while). */
static void until_asleep(struct waiter *w)
{
	long long end = now_ms() + WAIT_MS;
	pid_t tid;

	while (!(tid = __atomic_load_n(&w->tid, __ATOMIC_ACQUIRE)) && now_ms() < end)
		poll(NULL, 0, 1);
	while (now_ms() < end && task_state(tid) != 'S')
		poll(NULL, 0, 1);
}

static void send_n(int s, size_t len, int flags)
{
	char buf[2048];

	memset(buf, 'x', sizeof(buf));
	if (send(s, buf, len, flags) != (ssize_t)len)
		die("send");
}

/* Takes every entry; returns how many (the kernel's order of origins and types printed). */
static int drain(const char *step, int s, int flags)
{
	char data[256], ctl[512];
	int n = 0;

	for (;;) {
		struct iovec iov = {data, sizeof(data)};
		struct msghdr m = {.msg_iov = &iov,
				   .msg_iovlen = 1,
				   .msg_control = ctl,
				   .msg_controllen = sizeof(ctl)};
		struct sock_extended_err ee = {0};
		ssize_t r = recvmsg(s, &m, MSG_ERRQUEUE | MSG_DONTWAIT | flags);

		if (r < 0) {
			printf("%s: %d entries, then %s\n", step, n, strerror(errno));
			return n;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR)
				memcpy(&ee, CMSG_DATA(c), sizeof(ee));
		}
		printf("%s: entry origin %u info %u data %u\n", step, ee.ee_origin, ee.ee_info,
		       ee.ee_data);
		n++;
	}
}

/* Until the peer acknowledged everything (SIOCOUTQ 0) and an entry is queued (ERR). */
static void wait_acked_err(const char *step, int s)
{
	long long end = now_ms() + WAIT_MS;
	int q = -1;

	while (now_ms() < end) {
		struct pollfd p = {.fd = s, .events = 0};

		if (ioctl(s, SIOCOUTQ, &q) == 0 && q == 0 && poll(&p, 1, 0) == 1 &&
		    (p.revents & POLLERR))
			return;
		poll(NULL, 0, 5);
	}
	printf("%s: not acked and ERR within the deadline (%d unacked)\n", step, q);
}

/*
 * select with only exceptfds on a UDP socket with SO_SELECT_ERR_QUEUE whose
 * answer counts for no set (a datagram waits: IN): it sleeps on, and the
 * port unreachable of a send made once it sleeps (ERR|PRI) wakes it, as
 * do_select polls its fds again at each wake-up.
 */
static void udp_select_except(void)
{
	struct sockaddr_in me = {.sin_family = AF_INET},
			   to = {.sin_family = AF_INET, .sin_port = htons(9), .sin_addr = peer};
	int s = socket(AF_INET, SOCK_DGRAM, 0), o = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
	struct waiter w = {.mode = M_SELECT_EX, .s = s};
	socklen_t len = sizeof(me);
	long long t0;
	pthread_t t;
	char b[8];

	if (s < 0 || o < 0 || setsockopt(s, SOL_IP, IP_RECVERR, &one, sizeof(one)) ||
	    setsockopt(s, SOL_SOCKET, SO_SELECT_ERR_QUEUE, &one, sizeof(one)) ||
	    bind(s, (struct sockaddr *)&me, sizeof(me)) ||
	    getsockname(s, (struct sockaddr *)&me, &len))
		die("udp select except");
	/* A datagram of its own waits on it: readable, nothing for exceptfds. */
	me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (sendto(o, "d", 1, 0, (struct sockaddr *)&me, sizeof(me)) != 1)
		die("sendto self");
	{
		struct pollfd p = {.fd = s, .events = POLLIN};

		struct timeval zero = {0, 0};
		fd_set x;

		printf("udp select except: datagram waits: %d\n", poll(&p, 1, WAIT_MS));
		/* Once, so that the waiter's select has nothing to set up before it sleeps. */
		FD_ZERO(&x);
		FD_SET(s, &x);
		printf("udp select except: now %d\n", select(s + 1, NULL, NULL, &x, &zero));
	}
	if (pthread_create(&t, NULL, wait_thread, &w))
		die("pthread_create");
	until_asleep(&w);
	t0 = now_ms();
	if (sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)) != 1)
		die("sendto closed port");
	/* The error's wake-up (EPOLLERR) is no exceptfds key: the waiter sleeps on... */
	{
		struct pollfd p = {.fd = s, .events = 0};

		while (now_ms() - t0 < WAIT_MS / 4 &&
		       !(poll(&p, 1, 10) == 1 && (p.revents & POLLERR)))
			;
		printf("udp select except: error queued: %s\n", p.revents & POLLERR ? "yes" : "no");
	}
	/* ... until a datagram's (IN|PRI) has it look again: PRI, for the queued entry. */
	if (sendto(o, "e", 1, 0, (struct sockaddr *)&me, sizeof(me)) != 1)
		die("sendto self");
	pthread_join(t, NULL);
	printf("udp select except, an error then a datagram come: woken %d %s, %s\n", w.ret,
	       w.ret ? w.sets : "-",
	       now_ms() - t0 < WAIT_MS / 2 ? "before its timeout" : "at its timeout");
	printf("udp select except: recv %zd\n", recv(s, b, sizeof(b), MSG_DONTWAIT));
	printf("udp select except: recv %zd\n", recv(s, b, sizeof(b), MSG_DONTWAIT));
	drain("udp select except", s, 0);
	close(o);
	close(s);
}

/* One wait in mode by a thread, woken by the entry of a send made once it sleeps. */
static void wake(const char *step, int s, int ep, enum mode mode, int send_flags)
{
	struct waiter w = {.mode = mode, .s = s, .ep = ep};
	pthread_t t;

	if (pthread_create(&t, NULL, wait_thread, &w))
		die("pthread_create");
	until_asleep(&w);
	send_n(s, 100, send_flags);
	pthread_join(t, NULL);
	if (mode == M_SELECT || mode == M_SELECT_EX)
		printf("%s: woken %d %s\n", step, w.ret, w.ret ? w.sets : "timeout");
	else
		printf("%s: woken %d %s\n", step, w.ret, w.ret ? ev_str(w.rev) : "timeout");
}

/* poll asked for IN|PRI and select's except set, at once. */
static void err_queue_ready(const char *step, int s)
{
	struct pollfd p = {.fd = s, .events = POLLIN | POLLPRI};
	struct timeval tv = {0, 0};
	fd_set x;
	int n;

	n = poll(&p, 1, 0);
	printf("%s: poll %d %s", step, n, ev_str((unsigned short)p.revents));
	FD_ZERO(&x);
	FD_SET(s, &x);
	n = select(s + 1, NULL, NULL, &x, &tv);
	printf("/ select except %d %s\n", n, FD_ISSET(s, &x) ? "x" : "-");
}

static int epoll_wait0(int ep, unsigned int *rev)
{
	struct epoll_event ev = {0};
	int n = epoll_wait(ep, &ev, 1, 0);

	*rev = ev.events;
	return n;
}

/* Whether process pid sleeps in an epoll wait (state S, /proc/PID/syscall epoll_wait/pwait/pwait2).
 */
static int in_epoll_wait(pid_t pid)
{
	char path[64], buf[64];
	FILE *f;
	long nr;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	nr = strtol(buf, NULL, 10);
	return nr == SYS_epoll_wait || nr == SYS_epoll_pwait || nr == SYS_epoll_pwait2;
}

static int ep_new(int s, unsigned int events)
{
	struct epoll_event ev = {.events = events, .data.fd = s};
	int ep = epoll_create1(0);
	unsigned int rev;

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev))
		die("epoll");
	/* ep_insert's first report (an edge-triggered set's OUT, none for IN only): taken. */
	epoll_wait0(ep, &rev);
	return ep;
}

/*
 * A UDP send above the path MTU with IP_PMTUDISC_DO fails with EMSGSIZE,
 * and with IP_RECVERR ip_local_error queues an entry, whose
 * sk_error_report wakes a thread asleep on the socket (ERR): connected
 * and not, in poll with no events and with IN, in level- and
 * edge-triggered epoll.
 */
static void udp_emsgsize_wake(bool connected)
{
	const char *const names[] = {"poll events 0", "poll IN", "epoll LT IN", "epoll ET IN"};
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9), .sin_addr = peer};
	int s = socket(AF_INET, SOCK_DGRAM, 0), one = 1, pmtu = IP_PMTUDISC_DO;
	char buf[2000] = {0}, step[96];

	if (s < 0 || setsockopt(s, SOL_IP, IP_RECVERR, &one, sizeof(one)) ||
	    setsockopt(s, SOL_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu)) ||
	    (connected && connect(s, (struct sockaddr *)&to, sizeof(to))))
		die("udp emsgsize");
	for (int i = 0; i < 4; i++) {
		struct waiter w = {
			.mode = i < 2 ? (i ? M_POLLIN : M_POLL0) : M_EPOLL, .s = s, .ep = -1};
		pthread_t t;
		long long t0;
		ssize_t n;

		snprintf(step, sizeof(step), "udp %s EMSGSIZE %s",
			 connected ? "connected" : "unconnected", names[i]);
		if (i >= 2)
			w.ep = ep_new(s, EPOLLIN | (i == 3 ? EPOLLET : 0));
		if (pthread_create(&t, NULL, wait_thread, &w))
			die("pthread_create");
		until_asleep(&w);
		t0 = now_ms();
		n = connected ? send(s, buf, sizeof(buf), 0)
			      : sendto(s, buf, sizeof(buf), 0, (struct sockaddr *)&to, sizeof(to));
		printf("%s: send %zd %s\n", step, n, n < 0 ? strerror(errno) : "");
		pthread_join(t, NULL);
		/* A wait that ends at its deadline may still find ERR: when counts. */
		printf("%s: woken %d %s%s\n", step, w.ret, w.ret ? ev_str(w.rev) : "timeout ",
		       now_ms() - t0 < WAIT_MS / 2 ? "at the send" : "at its timeout");
		drain(step, s, 0);
		if (w.ep >= 0)
			close(w.ep);
	}
	close(s);
}

int main(int argc, char **argv)
{
	const unsigned int ack_only = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_TX_ACK |
				      SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
	const char *const names[] = {"poll events 0", "poll IN", "ppoll IN", "select read"};
	unsigned int rev;
	int s, ep, one = 1, n, v;
	socklen_t vl = sizeof(v);

	if (argc != 2 || !inet_aton(argv[1], &peer)) {
		fprintf(stderr, "usage: errq_wake PEER\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	s = tcp_connect_nodelay(peer, PORT);
	if (setsockopt(s, SOL_SOCKET, SO_TIMESTAMPING_OLD, &ack_only, sizeof(ack_only)))
		die("SO_TIMESTAMPING");

	/* poll, ppoll, select: asleep, then woken by the ACK stamp alone. */
	for (enum mode m = M_POLL0; m <= M_SELECT; m++) {
		wake(names[m], s, -1, m, 0);
		drain(names[m], s, 0);
	}

	/* Level-triggered epoll asked for IN: ERR alone, at every call while queued. */
	ep = ep_new(s, EPOLLIN);
	wake("epoll LT IN", s, ep, M_EPOLL, 0);
	n = epoll_wait0(ep, &rev);
	printf("epoll LT again: %d %s\n", n, n ? ev_str(rev) : "");
	drain("epoll LT", s, 0);
	n = epoll_wait0(ep, &rev);
	printf("epoll LT read: %d %s\n", n, n ? ev_str(rev) : "");
	close(ep);

	/* Edge-triggered: one edge per entry, none while nothing new comes. */
	ep = ep_new(s, EPOLLIN | EPOLLOUT | EPOLLET);
	wake("epoll ET", s, ep, M_EPOLL, 0);
	n = epoll_wait0(ep, &rev);
	printf("epoll ET again: %d %s\n", n, n ? ev_str(rev) : "");
	wake("epoll ET second entry", s, ep, M_EPOLL, 0);
	n = epoll_wait0(ep, &rev);
	printf("epoll ET again: %d %s\n", n, n ? ev_str(rev) : "");
	drain("epoll ET", s, 0);
	close(ep);

	/* A MSG_ZEROCOPY completion at the ACK wakes a poll asleep for IN. */
	if (setsockopt(s, SOL_SOCKET, SO_TIMESTAMPING_OLD, &(int){0}, sizeof(int)) ||
	    setsockopt(s, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)))
		die("SO_ZEROCOPY");
	wake("zerocopy poll IN", s, -1, M_POLLIN, MSG_ZEROCOPY);
	drain("zerocopy poll IN", s, 0);
	ep = ep_new(s, EPOLLIN | EPOLLET);
	wake("zerocopy epoll ET IN", s, ep, M_EPOLL, MSG_ZEROCOPY);
	drain("zerocopy epoll ET IN", s, 0);
	close(ep);

	/*
	 * EPOLLONESHOT: the entry's event disarms the registration, a later
	 * entry reports nothing until EPOLL_CTL_MOD arms it again, and a sleeper
	 * on the re-armed registration is woken by the next entry.
	 */
	ep = ep_new(s, EPOLLIN | EPOLLONESHOT);
	wake("oneshot", s, ep, M_EPOLL, MSG_ZEROCOPY);
	drain("oneshot", s, 0);
	send_n(s, 100, MSG_ZEROCOPY);
	wait_acked_err("oneshot disarmed", s);
	n = epoll_wait0(ep, &rev);
	printf("oneshot disarmed: %d %s\n", n, n ? ev_str(rev) : "");
	drain("oneshot disarmed", s, 0);
	if (epoll_ctl(ep, EPOLL_CTL_MOD, s,
		      &(struct epoll_event){.events = EPOLLIN | EPOLLONESHOT}))
		die("epoll MOD");
	n = epoll_wait0(ep, &rev);
	printf("oneshot re-armed, queue empty: %d %s\n", n, n ? ev_str(rev) : "");
	wake("oneshot re-armed", s, ep, M_EPOLL, MSG_ZEROCOPY);
	drain("oneshot re-armed", s, 0);
	close(ep);

	/*
	 * A dup'd and a dup2'd fd in sets of their own: each set is woken by the
	 * socket's entry (one socket, one sk_error_report, every waiter), and so
	 * is the original's set.
	 */
	{
		int d = dup(s), d2 = dup2(s, 100), ep0 = ep_new(s, EPOLLIN | EPOLLET), ep2;

		if (d < 0 || d2 != 100)
			die("dup");
		ep = ep_new(d, EPOLLIN | EPOLLET);
		ep2 = ep_new(d2, EPOLLIN);
		wake("dup epoll ET", s, ep, M_EPOLL, MSG_ZEROCOPY);
		n = epoll_wait0(ep2, &rev);
		printf("dup2 epoll LT: %d %s\n", n, n ? ev_str(rev) : "");
		n = epoll_wait0(ep0, &rev);
		printf("original epoll ET: %d %s\n", n, n ? ev_str(rev) : "");
		drain("dup", d, 0);
		wake("dup2 epoll LT", s, ep2, M_EPOLL, MSG_ZEROCOPY);
		drain("dup2", d2, 0);
		wake("dup poll IN", d, -1, M_POLLIN, MSG_ZEROCOPY);
		drain("dup poll IN", s, 0);
		close(ep);
		close(ep2);
		close(ep0);
		close(d);
		close(d2);
	}

	/* A child's inherited fd in the child's own set, woken by the parent's entry. */
	{
		long long end = now_ms() + WAIT_MS;
		int status;
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			struct epoll_event ev = {0};

			ep = ep_new(s, EPOLLIN | EPOLLET);
			n = epoll_wait(ep, &ev, 1, WAIT_MS);
			printf("fork child epoll ET: woken %d %s\n", n,
			       n > 0 ? ev_str(ev.events) : "timeout");
			_exit(0);
		}
		while (now_ms() < end && !in_epoll_wait(pid))
			poll(NULL, 0, 1);
		send_n(s, 100, MSG_ZEROCOPY);
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
			die("fork child");
		drain("fork", s, 0);
	}

	/*
	 * A completion that merges with the one still queued (one entry, its
	 * range extended) still wakes an edge-triggered waiter: the kernel's
	 * __msg_zerocopy_callback reports the error either way.
	 */
	ep = ep_new(s, EPOLLIN | EPOLLET);
	send_n(s, 100, MSG_ZEROCOPY);
	wait_acked_err("merge first", s);
	n = epoll_wait0(ep, &rev);
	printf("merge first: %d %s\n", n, n ? ev_str(rev) : "");
	wake("merge second", s, ep, M_EPOLL, MSG_ZEROCOPY);
	wait_acked_err("merge second", s);
	drain("merged", s, 0);
	close(ep);

	/* MSG_ERRQUEUE|MSG_PEEK: ip_recv_error takes the entry all the same. */
	send_n(s, 100, MSG_ZEROCOPY);
	wait_acked_err("peek", s);
	drain("peek", s, MSG_PEEK);
	drain("after peek", s, 0);

	/* SO_SELECT_ERR_QUEUE: a bool; PRI with ERR while the queue holds an entry. */
	v = -1;
	n = getsockopt(s, SOL_SOCKET, SO_SELECT_ERR_QUEUE, &v, &vl);
	printf("SO_SELECT_ERR_QUEUE get: %d %s %d\n", n, n ? strerror(errno) : "", v);
	n = setsockopt(s, SOL_SOCKET, SO_SELECT_ERR_QUEUE, &(int){5}, sizeof(int));
	printf("SO_SELECT_ERR_QUEUE set 5: %d %s\n", n, n ? strerror(errno) : "");
	vl = sizeof(v);
	n = getsockopt(s, SOL_SOCKET, SO_SELECT_ERR_QUEUE, &v, &vl);
	printf("SO_SELECT_ERR_QUEUE get: %d %s %d\n", n, n ? strerror(errno) : "", v);
	send_n(s, 100, MSG_ZEROCOPY);
	wait_acked_err("select err queue", s);
	err_queue_ready("select err queue (TCP: no PRI)", s);
	{
		/* ERR is no exceptfds bit: select sleeps its whole timeout on it. */
		struct timeval tv = {0, 200000};
		long long t0 = now_ms();
		fd_set x;

		FD_ZERO(&x);
		FD_SET(s, &x);
		n = select(s + 1, NULL, NULL, &x, &tv);
		printf("select except alone, entry queued: %d %s\n", n,
		       n		      ? ""
		       : now_ms() - t0 >= 200 ? "slept the timeout"
					      : "early");
	}
	drain("select err queue", s, 0);
	close(s);

	/* UDP (datagram_poll): PRI with ERR, from a port unreachable on the error queue. */
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || setsockopt(s, SOL_IP, IP_RECVERR, &one, sizeof(one)) ||
	    setsockopt(s, SOL_SOCKET, SO_SELECT_ERR_QUEUE, &one, sizeof(one)))
		die("udp");
	{
		struct sockaddr_in sin = {
			.sin_family = AF_INET, .sin_port = htons(9), .sin_addr = peer};

		if (connect(s, (struct sockaddr *)&sin, sizeof(sin)))
			die("udp connect");
	}
	send_n(s, 10, 0);
	{
		long long end = now_ms() + WAIT_MS;
		struct pollfd p = {.fd = s, .events = 0};

		while (now_ms() < end && !(poll(&p, 1, 10) == 1 && (p.revents & POLLERR)))
			;
	}
	err_queue_ready("udp select err queue", s);
	n = recv(s, &v, sizeof(v), MSG_DONTWAIT);
	printf("udp recv: %d %s\n", n, n < 0 ? strerror(errno) : "");
	err_queue_ready("udp error taken", s);
	drain("udp peek", s, MSG_PEEK);
	drain("udp", s, 0);
	err_queue_ready("udp read", s);
	close(s);
	udp_select_except();
	udp_emsgsize_wake(true);
	udp_emsgsize_wake(false);
	return 0;
}
