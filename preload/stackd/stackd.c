/* SPDX-License-Identifier: MIT */
/*
 * The stack host's loop services: its clock and the core entry, the trace,
 * epoll and its timeout, and one round of the event loop. Every function
 * takes the host (struct stackd) it works for; stackd_main.c makes the
 * process's one host, a unit test makes its own on an in-memory link.
 *
 * The loop waits in epoll, until the next stack or host timer, on the link
 * fd, the control listener and connections, and the host end of each pair;
 * stack callbacks only queue records, and the queued work runs after the
 * core call that raised it has returned, followed by one ndo_flush.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "inet.h"
#include "netdevice.h"
#include "stackd.h"
#include "stackd_loopback.h"

#define STACKD_IOBUF_SIZE (256 * 1024)
/*
 * The work of one round is bounded, as the kernel's receive softirq is
 * (netdev_budget, netdev_budget_usecs): the link is read in polls of
 * STACKD_LINK_BUDGET frames (a NAPI weight) until it is empty, or
 * STACKD_LINK_ROUND_MAX frames or STACKD_ROUND_NS have gone by; the queued
 * socket work then gets as long again, in turn. Whatever is left waits for
 * the next round, which does not sleep. Neither side can starve the other,
 * nor the control connections, and a reply frame waits at most about two
 * slices behind bulk traffic, not behind all of it. The slice is shorter
 * than the kernel's 2 ms because a round is also when requests get their
 * turn: 2 ms gave 7 ms p50 under load (README, Measured), 500 us 1.4 ms,
 * for a few percent of bulk throughput in extra rounds.
 */
#define STACKD_LINK_BUDGET    64
#define STACKD_LINK_ROUND_MAX 1024
#define STACKD_ROUND_NS	      (500 * NSEC_PER_USEC)
#define STACKD_MAX_EVENTS     128

static uint64_t stackd_monotonic(struct stackd *sd)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t stackd_time(struct stackd *sd)
{
	return sd->clock(sd);
}

void stackd_enter(struct stackd *sd, const struct cred *cred)
{
	struct timespec wall;
	uint64_t now = stackd_time(sd);

	net_enter(&sd->net, now, cred);
	/* Receive timestamps (SO_TIMESTAMP) are on the wall clock, which may be stepped. */
	clock_gettime(CLOCK_REALTIME, &wall);
	sd->net.realtime_offset =
		(int64_t)((uint64_t)wall.tv_sec * NSEC_PER_SEC + (uint64_t)wall.tv_nsec) -
		(int64_t)now;
}

void stackd_leave(struct stackd *sd)
{
	sd->net.current_cred = NULL;
}

static void stackd_vlog(struct stackd *sd, FILE *f, const char *what, const char *fmt, va_list ap)
{
	fprintf(f, "sockshim-stackd[%d] %.6f %s", sd->pid, (double)stackd_time(sd) / NSEC_PER_SEC,
		what);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
}

void stackd_trace(struct stackd *sd, const char *fmt, ...)
{
	va_list ap;

	if (!sd->trace)
		return;
	va_start(ap, fmt);
	stackd_vlog(sd, sd->trace, "", fmt, ap);
	va_end(ap);
}

void stackd_error(struct stackd *sd, const char *fmt, ...)
{
	va_list ap;

	sd->errors++;
	fprintf(stderr, "sockshim-stackd[%d]: ", sd->pid);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (sd->trace) {
		va_start(ap, fmt);
		stackd_vlog(sd, sd->trace, "error: ", fmt, ap);
		va_end(ap);
	}
}

int stackd_epoll_add(struct stackd *sd, int fd, uint32_t events, struct stackd_ep *ep)
{
	struct epoll_event ev = {.events = events, .data.ptr = ep};

	if (epoll_ctl(sd->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	return 0;
}

void stackd_epoll_del(struct stackd *sd, int fd)
{
	epoll_ctl(sd->epfd, EPOLL_CTL_DEL, fd, NULL);
}

long stackd_env_long(const char *var, long def, long min, long max, char *err, int errlen)
{
	const char *v = getenv(var);
	char *end;
	long n;

	if (!v || !*v)
		return def;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < min || n > max) {
		snprintf(err, (size_t)errlen, "sockshim: %s: '%s' is not a number in %ld..%ld", var,
			 v, min, max);
		return -1;
	}
	return n;
}

/*
 * When the loop must wake up without an event: the earliest of the stack's
 * timers, the host's and the idle deadline (absolute ns, UINT64_MAX none).
 * It is the sleep's own timeout (epoll_pwait2), not a timerfd: TCP moves
 * its earliest timer (the pacing timer above all) nearly every round, and
 * arming a timerfd, then reading it when it fired, were two system calls a
 * round, as many as the round's sendmmsg (README, Measured).
 */
static uint64_t stackd_next_wake(struct stackd *sd, uint64_t idle_deadline)
{
	uint64_t next = net_next_timer(&sd->net);
	uint64_t host = timer_next(&sd->timers);

	if (host < next)
		next = host;
	return idle_deadline < next ? idle_deadline : next;
}

static void stackd_link_poll(struct stackd *sd)
{
	struct net_device *dev = sd->net.dev;
	uint64_t until = stackd_time(sd) + STACKD_ROUND_NS;
	int done = 0, n;

	do {
		stackd_enter(sd, NULL);
		sd->net.sysctl.tcp_live_batch =
			0; /* a new batch of segments (TCP_SYSCTL_BATCHED) */
		n = dev->netdev_ops->ndo_poll(dev, STACKD_LINK_BUDGET);
		done += n;
	} while (n == STACKD_LINK_BUDGET && done < STACKD_LINK_ROUND_MAX &&
		 stackd_time(sd) < until);
}

static void stackd_dispatch(struct stackd *sd, struct epoll_event *ev)
{
	struct stackd_ep *ep = ev->data.ptr;

	switch (ep->kind) {
	case STACKD_EP_LINK:
		stackd_link_poll(sd);
		break;
	case STACKD_EP_CTL_LISTEN:
		stackd_ctl_accept(sd);
		break;
	case STACKD_EP_CONN:
		stackd_conn_event(container_of(ep, struct stackd_conn, ep), ev->events);
		break;
	case STACKD_EP_PAIR:
		stackd_pair_event(container_of(ep, struct stackd_sock, ep), ev->events);
		break;
	case STACKD_EP_KLISTEN:
		stackd_loopback_accept(sd, container_of(ep, struct stackd_klisten, ep));
		break;
	case STACKD_EP_OLD_END:
		stackd_old_end_event(container_of(ep, struct stackd_sock, old_ep));
		break;
	}
}

/* Runs what is due (stack timers, host timers, queued socket work) and sends it in one flush. */
static void stackd_run_due(struct stackd *sd)
{
	stackd_enter(sd, NULL);
	sd->net.sysctl.tcp_live_batch = 0; /* a new batch of timers (TCP_SYSCTL_BATCHED) */
	net_run_timers(&sd->net);
	timer_run(&sd->timers, sd->net.now);
	stackd_run_ready(sd, stackd_time(sd) + STACKD_ROUND_NS);
	dev_flush(sd->net.dev);
}

/*
 * SOCKSHIM_BUSY_POLL_US: instead of going to sleep at once, look again
 * (epoll_wait with no timeout) until the spin time has passed, so a reply
 * frame or the program's next request that comes within it is served without
 * a wake-up of this process: the host's half of the scheduler latency on a
 * request/response path (SO_BUSY_POLL, Onload's spinning). Every wake-up
 * (one per event while traffic flows) buys at most that much spinning, and
 * fewer while spins find nothing or lose the core (spin.h's back-off); an
 * idle host sleeps as before. The sleep ends at wake (absolute ns on the
 * host's clock, UINT64_MAX never, 0 do not sleep).
 */
static int stackd_wait(struct stackd *sd, struct epoll_event *evs, uint64_t wake)
{
	struct timespec ts = {0};
	uint64_t now, ns;
	struct spin s;
	int n;

	if (wake && sd->cfg.busy_poll_us && spin_take(&sd->busy_poll)) {
		now = stackd_time(sd);
		ns = (uint64_t)sd->cfg.busy_poll_us * NSEC_PER_USEC;
		/* A timer due meanwhile ends the spin as its event would: work found. */
		if (wake < now + ns)
			ns = wake > now ? wake - now : 0;
		spin_start(&s, now, ns);
		while (!(n = epoll_wait(sd->epfd, evs, STACKD_MAX_EVENTS, 0)) &&
		       spin_on(&s, stackd_time(sd)))
			;
		spin_end(&sd->busy_poll, &s, n || (!s.preempted && s.last >= wake));
		if (n)
			return n;
	}
	if (wake == UINT64_MAX)
		return epoll_pwait2(sd->epfd, evs, STACKD_MAX_EVENTS, NULL, NULL);
	now = wake ? stackd_time(sd) : 0;
	if (wake > now) {
		ts.tv_sec = (time_t)((wake - now) / NSEC_PER_SEC);
		ts.tv_nsec = (long)((wake - now) % NSEC_PER_SEC);
	}
	return epoll_pwait2(sd->epfd, evs, STACKD_MAX_EVENTS, &ts, NULL);
}

bool stackd_idle(const struct stackd *sd)
{
	return !sd->nsocks && !sd->nconns && sd->live_sk <= 0;
}

int stackd_round(struct stackd *sd, uint64_t idle_deadline, bool sleep)
{
	struct epoll_event evs[STACKD_MAX_EVENTS];
	uint64_t wake = 0;
	int n;

	sd->round++;
	stackd_run_due(sd);
	/*
	 * The due work may have freed the last socket (a close seen in the
	 * round before, after its process's control connection): the caller,
	 * which saw the host busy, must look again rather than sleep with no
	 * deadline until some unrelated event comes.
	 */
	if (sleep && list_empty(&sd->ready) && list_empty(&sd->ready_sparse) &&
	    !(idle_deadline == UINT64_MAX && stackd_idle(sd)))
		wake = stackd_next_wake(sd, idle_deadline);
	n = stackd_wait(sd, evs, wake);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++)
		stackd_dispatch(sd, &evs[i]);
	stackd_sock_bury(sd);
	return n;
}

int stackd_init(struct stackd *sd, struct net_device *dev)
{
	struct shim_config *cfg = &sd->cfg;
	int err;

	if (!sd->clock)
		sd->clock = stackd_monotonic;
	if (!sd->pid)
		sd->pid = getpid();
	sd->euid = geteuid();
	INIT_LIST_HEAD(&sd->conns);
	INIT_LIST_HEAD(&sd->ready);
	INIT_LIST_HEAD(&sd->ready_sparse);
	timer_base_init(&sd->timers);
	stackd_ctl_init(sd);
	sd->next_id = 1;
	stackd_notice_slots_init(sd);
	if (!sd->zombie_ms)
		sd->zombie_ms = STACKD_DEFAULT_ZOMBIE_MS;
	sd->ctl_fd = -1;
	sd->diag_fd = -1;
	sd->link_ep.kind = STACKD_EP_LINK;
	sd->ctl_ep.kind = STACKD_EP_CTL_LISTEN;

	inet_init();
	err = net_init(&sd->net, dev, cfg->addr, cfg->netmask, cfg->gateway, cfg->mac,
		       stackd_time(sd));
	if (err < 0) {
		fprintf(stderr, "sockshim: SOCKSHIM_ADDR: cannot start a stack on %s/%d: %s\n",
			cfg->addr_str, cfg->prefix, strerror(-err));
		return -1;
	}
	stackd_sock_init(sd); /* hooks the stack's sockets */

	sd->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sd->epfd < 0) {
		fprintf(stderr, "sockshim-stackd: epoll: %s\n", strerror(errno));
		return -1;
	}
	if (dev && dev->fd >= 0 && stackd_epoll_add(sd, dev->fd, EPOLLIN, &sd->link_ep) < 0) {
		fprintf(stderr, "sockshim-stackd: epoll_ctl: %s\n", strerror(errno));
		return -1;
	}

	sd->iobuf_size = STACKD_IOBUF_SIZE;
	sd->iobuf = malloc(sd->iobuf_size);
	if (!sd->iobuf) {
		fprintf(stderr, "sockshim-stackd: out of memory\n");
		return -1;
	}
	return 0;
}

void stackd_destroy(struct stackd *sd)
{
	while (!list_empty(&sd->conns))
		stackd_conn_close(list_first_entry(&sd->conns, struct stackd_conn, node));
	stackd_sock_free_all(sd);
	net_exit(&sd->net);
	free(sd->iobuf);
	stackd_user_free_all(sd);
	if (sd->epfd >= 0)
		close(sd->epfd);
	if (sd->diag_fd >= 0)
		close(sd->diag_fd);
}
