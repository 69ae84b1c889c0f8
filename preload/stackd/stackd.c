/* SPDX-License-Identifier: MIT */
/*
 * sockshim-stackd: the stack host. One single-threaded process per (network
 * namespace, interface, address) runs one struct net on an AF_PACKET link and
 * serves every process that uses that address: the interposers reach it over
 * the abstract SOCK_SEQPACKET socket shim_ctl_name() (stackd_ctl.c), and the
 * data of each emulated socket flows through an AF_UNIX pair (stackd_sock.c).
 *
 * This file owns start-up, the clock, the event loop and the exit rule. The
 * loop waits in epoll on the link fd, a timerfd armed at the next stack or
 * host timer, the control listener and connections, and the host end of each
 * pair; stack callbacks only queue records, and the queued work runs after
 * the core call that raised it has returned, followed by one ndo_flush.
 *
 * Environment: the SOCKSHIM_* variables of preload/common/config.h, plus
 * SOCKSHIM_LINGER_MS (default 3000): how long the host stays after its last
 * socket (including those still in FIN_WAIT/TIME_WAIT inside the stack) and
 * its last control connection are gone; tests set it lower.
 *
 * It logs nothing on the happy path. Errors go to stderr (usually /dev/null,
 * see the interposer) and are counted (SHIM_OP_STAT); SOCKSHIM_TRACE >= 2
 * writes host-side events to SOCKSHIM_TRACE_FILE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "inet.h"
#include "netdevice.h"
#include "shim_ctl.h"
#include "stackd.h"
#include "stackd_loopback.h"

struct stackd stackd;

#define STACKD_IOBUF_SIZE	 (256 * 1024)
#define STACKD_LINK_BUDGET	 64
#define STACKD_MAX_EVENTS	 128
#define STACKD_DEFAULT_LINGER_MS 3000

uint64_t stackd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

void stackd_clock(void)
{
	struct timespec wall;
	uint64_t now = stackd_now();

	net_set_time(&stackd.net, now);
	/* Receive timestamps (SO_TIMESTAMP) are on the wall clock, which may be stepped. */
	clock_gettime(CLOCK_REALTIME, &wall);
	stackd.net.realtime_offset =
		(int64_t)((uint64_t)wall.tv_sec * NSEC_PER_SEC + (uint64_t)wall.tv_nsec) -
		(int64_t)now;
}

void stackd_trace(const char *fmt, ...)
{
	va_list ap;

	if (!stackd.trace)
		return;
	fprintf(stackd.trace, "sockshim-stackd[%d] %.6f ", stackd.pid,
		(double)stackd_now() / NSEC_PER_SEC);
	va_start(ap, fmt);
	vfprintf(stackd.trace, fmt, ap);
	va_end(ap);
	fputc('\n', stackd.trace);
}

void stackd_error(const char *fmt, ...)
{
	va_list ap;

	stackd.errors++;
	fprintf(stderr, "sockshim-stackd[%d]: ", stackd.pid);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (stackd.trace) {
		fprintf(stackd.trace, "sockshim-stackd[%d] %.6f error: ", stackd.pid,
			(double)stackd_now() / NSEC_PER_SEC);
		va_start(ap, fmt);
		vfprintf(stackd.trace, fmt, ap);
		va_end(ap);
		fputc('\n', stackd.trace);
	}
}

int stackd_epoll_add(int fd, uint32_t events, struct stackd_ep *ep)
{
	struct epoll_event ev = {.events = events, .data.ptr = ep};

	if (epoll_ctl(stackd.epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	return 0;
}

void stackd_epoll_del(int fd)
{
	epoll_ctl(stackd.epfd, EPOLL_CTL_DEL, fd, NULL);
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

static void stackd_trace_open(void)
{
	if (stackd.cfg.trace < 2)
		return;
	if (stackd.cfg.trace_file[0]) {
		stackd.trace = fopen(stackd.cfg.trace_file, "ae");
		if (!stackd.trace) {
			stackd_error("SOCKSHIM_TRACE_FILE: %s: %s", stackd.cfg.trace_file,
				     strerror(errno));
			return;
		}
	} else {
		stackd.trace = stderr;
	}
	setvbuf(stackd.trace, NULL, _IOLBF, 0);
}

/* Arms the timerfd for the earliest of the stack's timers, the host's and the idle deadline. */
static void stackd_timer_arm(uint64_t idle_deadline)
{
	uint64_t next = net_next_timer(&stackd.net);
	uint64_t host = timer_next(&stackd.timers);
	struct itimerspec its = {0};

	if (host < next)
		next = host;
	if (idle_deadline < next)
		next = idle_deadline;
	/*
	 * TCP pushes its timers later with nearly every ACK: only an earlier
	 * deadline re-arms; a later one lets the timerfd fire early once, and
	 * the wake-up re-arms it (one syscall per expiry, not per round).
	 */
	if (next >= stackd.timer_armed)
		return;
	stackd.timer_armed = next;
	/* An absolute time in the past fires at once; 0 would disarm. */
	if (!next)
		next = 1;
	its.it_value.tv_sec = (time_t)(next / NSEC_PER_SEC);
	its.it_value.tv_nsec = (long)(next % NSEC_PER_SEC);
	if (timerfd_settime(stackd.timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		stackd_error("timerfd_settime: %s", strerror(errno));
}

static void stackd_link_poll(void)
{
	struct net_device *dev = stackd.net.dev;

	stackd_clock();
	dev->netdev_ops->ndo_poll(dev, STACKD_LINK_BUDGET);
}

static void stackd_timer_event(void)
{
	uint64_t expirations;

	/* Only clears the readiness; the timers themselves run after the events. */
	if (read(stackd.timerfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		stackd_error("timerfd read: %s", strerror(errno));
	stackd.timer_armed = UINT64_MAX;
}

static void stackd_dispatch(struct epoll_event *ev)
{
	struct stackd_ep *ep = ev->data.ptr;

	switch (ep->kind) {
	case STACKD_EP_LINK:
		stackd_link_poll();
		break;
	case STACKD_EP_TIMER:
		stackd_timer_event();
		break;
	case STACKD_EP_CTL_LISTEN:
		stackd_ctl_accept();
		break;
	case STACKD_EP_CONN:
		stackd_conn_event(container_of(ep, struct stackd_conn, ep), ev->events);
		break;
	case STACKD_EP_PAIR:
		stackd_pair_event(container_of(ep, struct stackd_sock, ep), ev->events);
		break;
	case STACKD_EP_KLISTEN:
		stackd_loopback_accept(container_of(ep, struct stackd_klisten, ep));
		break;
	}
}

static bool stackd_idle(void)
{
	return !stackd.nsocks && !stackd.nconns && stackd.live_sk <= 0;
}

/*
 * Each round: run what is due (stack timers, host timers, queued socket
 * work), send what that produced in one flush, decide about exiting, arm
 * the timerfd, then wait for the next events.
 */
static int stackd_loop(void)
{
	struct epoll_event evs[STACKD_MAX_EVENTS];
	struct net_device *dev = stackd.net.dev;
	uint64_t idle_deadline = UINT64_MAX;

	for (;;) {
		int timeout, n;

		stackd_clock();
		net_run_timers(&stackd.net);
		timer_run(&stackd.timers, stackd.net.now);
		stackd_run_ready();
		dev->netdev_ops->ndo_flush(dev);

		if (stackd_idle()) {
			if (idle_deadline == UINT64_MAX) {
				/*
				 * Until the process that started us has connected, wait
				 * as long as it waits for us, whatever the linger
				 * (SOCKSHIM_LINGER_MS=0 must not leave it with no host).
				 */
				uint64_t ms = (uint64_t)stackd.linger_ms;

				if (!stackd.served && ms < SHIM_HOST_START_WAIT_MS)
					ms = SHIM_HOST_START_WAIT_MS;
				idle_deadline = stackd.net.now + ms * NSEC_PER_MSEC;
			} else if (stackd.net.now >= idle_deadline) {
				/* A process that connected just now keeps us. */
				stackd_ctl_accept();
				if (!stackd.nconns)
					return 0;
			}
		} else {
			idle_deadline = UINT64_MAX;
		}
		stackd_timer_arm(idle_deadline);

		timeout = list_empty(&stackd.ready) ? -1 : 0;
		n = epoll_wait(stackd.epfd, evs, STACKD_MAX_EVENTS, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			stackd_error("epoll_wait: %s", strerror(errno));
			return 1;
		}
		for (int i = 0; i < n; i++)
			stackd_dispatch(&evs[i]);
		stackd_sock_bury();
	}
}

/* The link's one-line notes (e.g. no GSO on this device) go to the host's trace. */
static void stackd_netdev_trace(const struct net_device *dev, const char *msg)
{
	stackd_trace("%s: %s", dev->name, msg);
}

static int stackd_setup(void)
{
	struct shim_config *cfg = &stackd.cfg;
	struct net_device *dev;
	int err = 0;

	inet_init();
	if (cfg->plugin_dir[0])
		request_module_set_dir(cfg->plugin_dir);

	netdev_trace = stackd_netdev_trace;
	dev = packet_link_open(cfg->iface, cfg->mac, cfg->addr, &err);
	if (!dev) {
		fprintf(stderr, "sockshim: SOCKSHIM_IFACE: cannot open '%s': %s\n", cfg->iface,
			strerror(-err));
		return -1;
	}
	if (cfg->pcap[0]) {
		dev->pcap = pcap_open(cfg->pcap, &err);
		if (!dev->pcap) {
			fprintf(stderr, "sockshim: SOCKSHIM_PCAP: cannot write '%s': %s\n",
				cfg->pcap, strerror(-err));
			return -1;
		}
	}
	err = net_init(&stackd.net, dev, cfg->addr, cfg->netmask, cfg->gateway, cfg->mac,
		       stackd_now());
	if (err < 0) {
		fprintf(stderr, "sockshim: SOCKSHIM_ADDR: cannot start a stack on %s/%d: %s\n",
			cfg->addr_str, cfg->prefix, strerror(-err));
		return -1;
	}

	stackd.epfd = epoll_create1(EPOLL_CLOEXEC);
	stackd.timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (stackd.epfd < 0 || stackd.timerfd < 0) {
		fprintf(stderr, "sockshim-stackd: epoll/timerfd: %s\n", strerror(errno));
		return -1;
	}
	stackd.timer_armed = UINT64_MAX;
	stackd.link_ep.kind = STACKD_EP_LINK;
	stackd.timer_ep.kind = STACKD_EP_TIMER;
	stackd.ctl_ep.kind = STACKD_EP_CTL_LISTEN;
	if (stackd_epoll_add(dev->fd, EPOLLIN, &stackd.link_ep) < 0 ||
	    stackd_epoll_add(stackd.timerfd, EPOLLIN, &stackd.timer_ep) < 0 ||
	    stackd_epoll_add(stackd.ctl_fd, EPOLLIN, &stackd.ctl_ep) < 0) {
		fprintf(stderr, "sockshim-stackd: epoll_ctl: %s\n", strerror(errno));
		return -1;
	}

	stackd.iobuf_size = STACKD_IOBUF_SIZE;
	stackd.iobuf = malloc(stackd.iobuf_size);
	if (!stackd.iobuf) {
		fprintf(stderr, "sockshim-stackd: out of memory\n");
		return -1;
	}
	return 0;
}

int main(void)
{
	char err[512];
	int ret;

	stackd.pid = getpid();
	INIT_LIST_HEAD(&stackd.conns);
	INIT_LIST_HEAD(&stackd.ready);
	timer_base_init(&stackd.timers);
	stackd_sock_init();
	stackd_ctl_init();
	stackd.next_id = 1;

	if (shim_config_load(&stackd.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	stackd.linger_ms = (int)stackd_env_long("SOCKSHIM_LINGER_MS", STACKD_DEFAULT_LINGER_MS, 0,
						3600000, err, sizeof(err));
	if (stackd.linger_ms < 0 || stackd_limits_load(err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* A write to a pair whose application end is gone must fail with EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	stackd_trace_open();

	ret = stackd_ctl_open();
	if (ret == -EADDRINUSE)
		return 0; /* another host won the race for this address */
	if (ret < 0) {
		fprintf(stderr, "sockshim-stackd: control socket: %s\n", strerror(-ret));
		return 1;
	}
	stackd.ctl_fd = ret;

	if (stackd_setup() < 0)
		return 1;
	stackd_trace("up: %s on %s, netns %lu, linger %d ms", stackd.cfg.addr_str, stackd.cfg.iface,
		     stackd.cfg.netns, stackd.linger_ms);

	ret = stackd_loop();
	if (stackd.net.dev->pcap)
		pcap_close(stackd.net.dev->pcap);
	stackd_trace("exit (%s)", ret ? "error" : "idle");
	return ret;
}
