/* SPDX-License-Identifier: MIT */
/*
 * sockshim-stackd: the stack host. One single-threaded process per (network
 * namespace, interface, address) runs one struct net on an AF_PACKET link and
 * serves every process that uses that address: the interposers reach it over
 * the abstract SOCK_SEQPACKET socket shim_ctl_name() (stackd_ctl.c), and the
 * data of each emulated socket flows through an AF_UNIX pair (stackd_sock.c).
 *
 * This file owns start-up, the link and capture, and the exit rule; the loop
 * itself is stackd.c's.
 *
 * Environment: the SOCKSHIM_* variables of preload/common/config.h, plus
 * SOCKSHIM_LINGER_MS (default 3000): how long the host stays after its last
 * socket (including those still in FIN_WAIT/TIME_WAIT inside the stack) and
 * its last control connection are gone; tests set it lower. SOCKSHIM_ZOMBIE_MS
 * (default 60000): how often the host asks whether the application still
 * holds a stream whose connection ended with an error; tests set it lower.
 *
 * It logs nothing on the happy path. Errors go to stderr (usually /dev/null,
 * see the interposer) and are counted (SHIM_OP_STAT); SOCKSHIM_TRACE >= 2
 * writes host-side events to SOCKSHIM_TRACE_FILE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "inet.h"
#include "netdevice.h"
#include "shim_ctl.h"
#include "stackd.h"
#include "stackd_link.h"
#include "sysctl_proc.h"

#define STACKD_DEFAULT_LINGER_MS 3000

/* The process's one host; only main() and the link's trace hook name it. */
static struct stackd host;

static void stackd_trace_open(struct stackd *sd)
{
	if (sd->cfg.trace < 2)
		return;
	if (sd->cfg.trace_file[0]) {
		sd->trace = fopen(sd->cfg.trace_file, "ae");
		if (!sd->trace) {
			stackd_error(sd, "SOCKSHIM_TRACE_FILE: %s: %s", sd->cfg.trace_file,
				     strerror(errno));
			return;
		}
	} else {
		sd->trace = stderr;
	}
	setvbuf(sd->trace, NULL, _IOLBF, 0);
}

/* Runs rounds until the host has been idle for its linger time. */
static int stackd_loop(struct stackd *sd)
{
	uint64_t idle_deadline = UINT64_MAX;

	for (;;) {
		int n;

		n = stackd_round(sd, idle_deadline, true);
		if (n < 0 && n != -EINTR) {
			stackd_error(sd, "epoll_wait: %s", strerror(-n));
			return 1;
		}
		stackd_enter(sd, NULL);
		if (!stackd_idle(sd)) {
			idle_deadline = UINT64_MAX;
		} else if (idle_deadline == UINT64_MAX) {
			/*
			 * Until the process that started us has connected, wait
			 * as long as it waits for us, whatever the linger
			 * (SOCKSHIM_LINGER_MS=0 must not leave it with no host).
			 */
			uint64_t ms = (uint64_t)sd->linger_ms;

			if (!sd->served && ms < SHIM_HOST_START_WAIT_MS)
				ms = SHIM_HOST_START_WAIT_MS;
			idle_deadline = sd->net.now + ms * NSEC_PER_MSEC;
		} else if (sd->net.now >= idle_deadline) {
			/* A process that connected just now keeps us. */
			stackd_ctl_accept(sd);
			if (!sd->nconns)
				return 0;
		}
	}
}

/* The link's one-line notes (e.g. no GSO on this device) go to the host's trace. */
static void stackd_netdev_trace(const struct net_device *dev, const char *msg)
{
	stackd_trace(&host, "%s: %s", dev->name, msg);
}

static struct net_device *stackd_link_open(struct stackd *sd)
{
	struct shim_config *cfg = &sd->cfg;
	struct net_device *dev;
	int err = 0;

	if (cfg->plugin_dir[0])
		request_module_set_dir(cfg->plugin_dir);
	netdev_trace = stackd_netdev_trace;
	dev = packet_link_open(cfg->iface, cfg->mac, cfg->addr, cfg->netmask, &err);
	if (!dev) {
		fprintf(stderr, "sockshim: SOCKSHIM_IFACE: cannot open '%s': %s\n", cfg->iface,
			strerror(-err));
		return NULL;
	}
	/* No thread: the link sends from the stack thread, as without the setting. */
	if (cfg->tx_thread && (err = packet_link_tx_thread(dev)) < 0) {
		stackd_error(sd, "SOCKSHIM_TX_THREAD: no transmit thread: %s", strerror(-err));
		cfg->tx_thread = false;
	}
	if (cfg->pcap[0]) {
		dev->pcap = pcap_open(cfg->pcap, &err);
		if (!dev->pcap) {
			fprintf(stderr, "sockshim: SOCKSHIM_PCAP: cannot write '%s': %s\n",
				cfg->pcap, strerror(-err));
			return NULL;
		}
	}
	return dev;
}

/*
 * What the host's session has for its autogroup (shim_host_start sets it
 * from SOCKSHIM_HOST_NICE): "nice N", or "none" on a kernel without them.
 */
static const char *stackd_session_nice(char *buf, size_t size)
{
	ssize_t n = -1;
	int fd = open("/proc/self/autogroup", O_RDONLY | O_CLOEXEC);
	char *p;

	if (fd >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	if (n <= 0)
		return "none";
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	p = strstr(buf, "nice ");
	return p ? p : "none";
}

int main(void)
{
	struct stackd *sd = &host;
	struct net_device *dev;
	char err[512], nice_buf[64];
	const char *nice;
	int ret;

	sd->pid = getpid();
	if (shim_config_load(&sd->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	sd->linger_ms = (int)stackd_env_long("SOCKSHIM_LINGER_MS", STACKD_DEFAULT_LINGER_MS, 0,
					     3600000, err, sizeof(err));
	if (sd->linger_ms >= 0)
		sd->zombie_ms = (int)stackd_env_long("SOCKSHIM_ZOMBIE_MS", STACKD_DEFAULT_ZOMBIE_MS,
						     1, 3600000, err, sizeof(err));
	if (sd->linger_ms < 0 || sd->zombie_ms < 0 ||
	    stackd_limits_load(sd, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* A write to a pair whose application end is gone must fail with EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * The loop sleeps until its next timer in epoll_pwait2 (stackd.c),
	 * which lets a sleep end up to the timer slack (50 us by default)
	 * late: as late as a whole pacing interval at 10 Gbit/s. 1 ns leaves
	 * the kernel's own 0.1% of the timeout, as the timerfd this replaces
	 * had none.
	 */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	stackd_trace_open(sd);
	nice = stackd_session_nice(nice_buf, sizeof(nice_buf));

	ret = stackd_ctl_open(sd);
	if (ret == -EADDRINUSE)
		return 0; /* another host won the race for this address */
	if (ret < 0) {
		fprintf(stderr, "sockshim-stackd: control socket: %s\n", strerror(-ret));
		return 1;
	}

	dev = stackd_link_open(sd);
	if (!dev)
		return 1;
	sysctl_proc_read(&sd->net.sysctl);
	if (stackd_init(sd, dev) < 0)
		return 1;
	stackd_secret_load(sd);
	sd->ctl_fd = ret;
	if (stackd_epoll_add(sd, sd->ctl_fd, EPOLLIN, &sd->ctl_ep) < 0) {
		fprintf(stderr, "sockshim-stackd: epoll_ctl: %s\n", strerror(errno));
		return 1;
	}
	stackd_trace(sd,
		     "up: %s on %s, netns %lu, linger %d ms, busy-poll %d us, tx thread %s, "
		     "session %s",
		     sd->cfg.addr_str, sd->cfg.iface, sd->cfg.netns, sd->linger_ms,
		     sd->cfg.busy_poll_us, sd->cfg.tx_thread ? "on" : "off", nice);

	ret = stackd_loop(sd);
	if (sd->net.dev->pcap)
		pcap_close(sd->net.dev->pcap);
	stackd_trace(sd, "exit (%s)", ret ? "error" : "idle");
	return ret;
}
