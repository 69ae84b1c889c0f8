// SPDX-License-Identifier: MIT
/*
 * The sysctls of this namespace, read from /proc/sys so that an emulated
 * socket starts with the same buffer sizes, port range, TTL and privilege
 * thresholds as a kernel socket in the same namespace. A file that is
 * missing or unreadable keeps the kernel's default (core/sysctl.c). Used by
 * the stack host and by the interposer's registry instance; the core itself
 * reads no files.
 *
 * One write: a per-device setting the kernel sets itself (set_devconf:
 * SIOCSARP's proxy_arp switch). No re-reading but for the TCP sysctls
 * read again where the kernel reads them (the refresh_tcp hook: at
 * socket(), connect(), listen() and each SYN, close(), a timeout) and the port sysctls a port
 * search reads again (refresh_ports); the rest keep the values the stack
 * started with (re-reading would be a system call on a hot path).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "net_namespace.h"
#include "sysctl_proc.h"

/* Reads up to n whitespace-separated integers; returns how many it got. */
static int read_ints(const char *name, long *v, int n)
{
	char path[256];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	f = fopen(path, "re");
	if (!f)
		return 0;
	for (i = 0; i < n; i++)
		if (fscanf(f, "%ld", &v[i]) != 1)
			break;
	fclose(f);
	return i;
}

static void read_int(const char *name, int *dst)
{
	long v;

	if (read_ints(name, &v, 1) == 1)
		*dst = (int)v;
}

/* Reads one line (a string sysctl) into dst, without its newline; keeps dst if unreadable. */
static void read_str(const char *name, char *dst, size_t size)
{
	char path[256], buf[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f)) {
		size_t n = strcspn(buf, "\n");

		if (n >= size)
			n = size - 1;
		memcpy(dst, buf, n);
		dst[n] = '\0';
	}
	fclose(f);
}

static void read_triple(const char *name, int dst[3])
{
	long v[3];

	if (read_ints(name, v, 3) == 3)
		for (int i = 0; i < 3; i++)
			dst[i] = (int)v[i];
}

/*
 * The TCP sysctls read again where the kernel reads them (refresh_tcp's
 * when, TCP_SYSCTL_*), each only there: socket() what tcp_init_sock takes
 * (the congestion control, the RTO bounds, tcp_reordering), connect() what
 * the SYN and the MSS take, listen() and
 * each SYN to a listener what the SYN-ACK takes (the option switches only
 * for a segment with options), listen() and the making
 * of a listener's child what the child takes, a timeout
 * the retry limits, F-RTO, tcp_reordering and the black-hole search, a Fast Open send
 * tcp_fastopen, close() tcp_fin_timeout and tcp_max_orphans, an
 * out-of-window answer tcp_invalid_ratelimit. Those the
 * kernel reads on a hot path (tcp_notsent_lowat, tcp_dsack, tcp_max_reordering, tcp_min_snd_mss,
 * tcp_tso_win_divisor, tcp_min_tso_segs, and tcp_mem, read at each charge) are read at connect()
 * and when a child is made (tcp_mem also at tcp_check_oom). The SYNs
 * of one read from the link, and the timeouts of one run of timers, share one read
 * (TCP_SYSCTL_BATCHED): a write lands from the next batch on, which any segment sent after it is
 * in, and a SYN flood costs the files one read per batch rather than per SYN (it was most of the
 * host's time). tcp_live_read keeps the last value read of each integer; the last three are strings
 * (the congestion control, the allowed list, and the Fast Open key, readable by root only as the
 * kernel's).
 */
/*
 * What a SYN's options are read against (tcp_parse_options reads each only
 * for its option, tcp_ecn_create_request tcp_ecn only for ECE and CWR): at
 * connect(), a segment to a listener that carries options or ECE+CWR, and
 * where a child is made (its window and timestamps take them whole).
 */
#define TCP_SYSCTL_SYN (TCP_SYSCTL_CONNECT | TCP_SYSCTL_SYNOPT | TCP_SYSCTL_CHILD)
/* What a new connection takes beyond its SYN or SYN-ACK: at connect(), or when a child is made. */
#define TCP_SYSCTL_NEWSK (TCP_SYSCTL_CONNECT | TCP_SYSCTL_CHILD)
/* PLPMTUD's search settings: at connect() and listen() only with tcp_mtu_probing on. */
#define TCP_SYSCTL_PROBING (1u << 31)
/* A file named again right after itself: its next number (tcp_mem's three share one read). */
static const struct {
	const char *name;
	size_t off;
	unsigned int when;
} tcp_live[] = {
	{"net/ipv4/tcp_timestamps", offsetof(struct netns_sysctl, tcp_timestamps), TCP_SYSCTL_SYN},
	{"net/ipv4/tcp_sack", offsetof(struct netns_sysctl, tcp_sack), TCP_SYSCTL_SYN},
	{"net/ipv4/tcp_window_scaling", offsetof(struct netns_sysctl, tcp_window_scaling),
	 TCP_SYSCTL_SYN},
	{"net/ipv4/tcp_dsack", offsetof(struct netns_sysctl, tcp_dsack), TCP_SYSCTL_NEWSK},
	{"net/ipv4/tcp_syncookies", offsetof(struct netns_sysctl, tcp_syncookies),
	 TCP_SYSCTL_LISTEN},
	{"net/ipv4/tcp_fastopen", offsetof(struct netns_sysctl, tcp_fastopen),
	 TCP_SYSCTL_CHILD | TCP_SYSCTL_FASTOPEN},
	{"net/ipv4/tcp_ecn", offsetof(struct netns_sysctl, tcp_ecn), TCP_SYSCTL_SYN},
	{"net/ipv4/tcp_frto", offsetof(struct netns_sysctl, tcp_frto), TCP_SYSCTL_RTO},
	/* tcp_init_sock, and tcp_enter_loss's check of an over-estimated reordering. */
	{"net/ipv4/tcp_reordering", offsetof(struct netns_sysctl, tcp_reordering),
	 TCP_SYSCTL_CREATE | TCP_SYSCTL_RTO},
	/* tcp_check_sack_reordering's ceiling, at each reordering seen. */
	{"net/ipv4/tcp_max_reordering", offsetof(struct netns_sysctl, tcp_max_reordering),
	 TCP_SYSCTL_NEWSK},
	{"net/ipv4/tcp_notsent_lowat", offsetof(struct netns_sysctl, tcp_notsent_lowat),
	 TCP_SYSCTL_NEWSK},
	{"net/ipv4/tcp_tso_win_divisor", offsetof(struct netns_sysctl, tcp_tso_win_divisor),
	 TCP_SYSCTL_NEWSK},
	{"net/ipv4/tcp_min_tso_segs", offsetof(struct netns_sysctl, tcp_min_tso_segs),
	 TCP_SYSCTL_NEWSK},
	{"net/ipv4/tcp_mtu_probing", offsetof(struct netns_sysctl, tcp_mtu_probing),
	 TCP_SYSCTL_NEWSK | TCP_SYSCTL_RTO},
	{"net/ipv4/tcp_base_mss", offsetof(struct netns_sysctl, tcp_base_mss),
	 TCP_SYSCTL_NEWSK | TCP_SYSCTL_RTO},
	{"net/ipv4/tcp_mtu_probe_floor", offsetof(struct netns_sysctl, tcp_mtu_probe_floor),
	 TCP_SYSCTL_PROBING | TCP_SYSCTL_RTO},
	{"net/ipv4/tcp_min_snd_mss", offsetof(struct netns_sysctl, tcp_min_snd_mss),
	 TCP_SYSCTL_NEWSK | TCP_SYSCTL_RTO},
	{"net/ipv4/tcp_probe_threshold", offsetof(struct netns_sysctl, tcp_probe_threshold),
	 TCP_SYSCTL_PROBING},
	{"net/ipv4/tcp_probe_interval", offsetof(struct netns_sysctl, tcp_probe_interval),
	 TCP_SYSCTL_PROBING},
	{"net/ipv4/tcp_retries1", offsetof(struct netns_sysctl, tcp_retries1), TCP_SYSCTL_RTO},
	{"net/ipv4/tcp_syn_retries", offsetof(struct netns_sysctl, tcp_syn_retries),
	 TCP_SYSCTL_RTO | TCP_SYSCTL_SYNCNT},
	{"net/ipv4/tcp_synack_retries", offsetof(struct netns_sysctl, tcp_synack_retries),
	 TCP_SYSCTL_RTO},
	{"net/ipv4/tcp_retries2", offsetof(struct netns_sysctl, tcp_retries2), TCP_SYSCTL_RTO},
	{"net/ipv4/tcp_orphan_retries", offsetof(struct netns_sysctl, tcp_orphan_retries),
	 TCP_SYSCTL_RTO},
	{"net/ipv4/tcp_syn_linear_timeouts", offsetof(struct netns_sysctl, tcp_syn_linear_timeouts),
	 TCP_SYSCTL_RTO},
	{"net/ipv4/tcp_thin_linear_timeouts",
	 offsetof(struct netns_sysctl, tcp_thin_linear_timeouts), TCP_SYSCTL_RTO},
	/* tcp_init_sock copies the RTO bounds into the socket (icsk_rto_min/max). */
	{"net/ipv4/tcp_rto_min_us", offsetof(struct netns_sysctl, tcp_rto_min_us),
	 TCP_SYSCTL_CREATE},
	{"net/ipv4/tcp_rto_max_ms", offsetof(struct netns_sysctl, tcp_rto_max_ms),
	 TCP_SYSCTL_CREATE},
	/* tcp_fin_time: at close(), when an orphan reaches FIN_WAIT2, getsockopt(TCP_LINGER2). */
	{"net/ipv4/tcp_fin_timeout", offsetof(struct netns_sysctl, tcp_fin_timeout),
	 TCP_SYSCTL_FIN},
	/* tcp_conn_request: at a SYN that may queue a child (not one a cookie answers). */
	{"net/ipv4/tcp_max_syn_backlog", offsetof(struct netns_sysctl, tcp_max_syn_backlog),
	 TCP_SYSCTL_CHILD},
	/* __tcp_oow_rate_limited: at each answer an earlier one may hold back. */
	{"net/ipv4/tcp_invalid_ratelimit", offsetof(struct netns_sysctl, tcp_invalid_ratelimit),
	 TCP_SYSCTL_OOW},
	/* tcp_too_many_orphans: at close() and at an orphan's timeouts. */
	{"net/ipv4/tcp_max_orphans", offsetof(struct netns_sysctl, tcp_max_orphans),
	 TCP_SYSCTL_ORPHAN},
	/* sk_prot_mem_limits at each charge; tcp_out_of_memory at close() and an orphan's timeouts.
	 */
	{"net/ipv4/tcp_mem", offsetof(struct netns_sysctl, tcp_mem[0]),
	 TCP_SYSCTL_NEWSK | TCP_SYSCTL_ORPHAN},
	{"net/ipv4/tcp_mem", offsetof(struct netns_sysctl, tcp_mem[1]),
	 TCP_SYSCTL_NEWSK | TCP_SYSCTL_ORPHAN},
	{"net/ipv4/tcp_mem", offsetof(struct netns_sysctl, tcp_mem[2]),
	 TCP_SYSCTL_NEWSK | TCP_SYSCTL_ORPHAN},
	/* tcp_init_buffer_space: at establishment, read at connect() or when the child is made. */
	{"net/ipv4/tcp_app_win", offsetof(struct netns_sysctl, tcp_app_win), TCP_SYSCTL_NEWSK},
	/* tcp_init_metrics at establishment, tcp_update_metrics at TIME_WAIT: connect() and
	   close(). */
	{"net/ipv4/tcp_no_metrics_save", offsetof(struct netns_sysctl, tcp_no_metrics_save),
	 TCP_SYSCTL_NEWSK | TCP_SYSCTL_FIN},
	{"net/ipv4/tcp_no_ssthresh_metrics_save",
	 offsetof(struct netns_sysctl, tcp_no_ssthresh_metrics_save),
	 TCP_SYSCTL_NEWSK | TCP_SYSCTL_FIN},
	{"net/ipv4/tcp_congestion_control", offsetof(struct netns_sysctl, tcp_congestion_control),
	 TCP_SYSCTL_CREATE},
	{"net/ipv4/tcp_allowed_congestion_control",
	 offsetof(struct netns_sysctl, tcp_allowed_congestion_control), TCP_SYSCTL_CONG},
	{"net/ipv4/tcp_fastopen_key", offsetof(struct netns_sysctl, tcp_fastopen_key),
	 TCP_SYSCTL_CHILD | TCP_SYSCTL_FASTOPEN},
};
#define TCP_LIVE_INTS 38
#define TCP_LIVE_N    (sizeof(tcp_live) / sizeof(tcp_live[0]))
_Static_assert(TCP_LIVE_INTS == sizeof(((struct netns_sysctl *)0)->tcp_live_read) / sizeof(int),
	       "one tcp_live_read slot per live integer sysctl");
_Static_assert(TCP_LIVE_N == TCP_LIVE_INTS + 3, "the table ends with its three strings");

/*
 * The live files stay open: a read at offset 0 of a /proc/sys file asks
 * its handler again, so each refresh is one pread per file instead of an
 * open, a stat, a read and a close (a new connection's cost in the host).
 * -1: not opened yet; -2: cannot be opened (the default stays).
 */
static int tcp_live_fd[TCP_LIVE_N] = {[0 ... TCP_LIVE_N - 1] = -1};

/*
 * The first line of /proc/sys/name, without its newline, in buf; 0, or -1
 * if unreadable. *fd keeps the file open (-1 first, -2 cannot be opened).
 */
static int live_read_fd(int *fd, const char *name, char *buf, size_t size)
{
	char path[256];
	ssize_t n;

	if (*fd == -1) {
		snprintf(path, sizeof(path), "/proc/sys/%s", name);
		*fd = open(path, O_RDONLY | O_CLOEXEC);
		if (*fd < 0)
			*fd = -2;
	}
	if (*fd < 0)
		return -1;
	n = pread(*fd, buf, size - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int live_read(size_t i, char *buf, size_t size)
{
	return live_read_fd(&tcp_live_fd[i], tcp_live[i].name, buf, size);
}

/* A string sysctl: as the integers below, a change in the namespace replaces ours. */
static void refresh_str(size_t i, char *dst, size_t size, char last[256])
{
	char now[256];

	if (live_read(i, now, sizeof(now)) || !now[0] || !strcmp(now, last))
		return;
	memcpy(last, now, sizeof(now));
	size = strlen(now) < size ? strlen(now) + 1 : size;
	memcpy(dst, now, size);
	dst[size - 1] = '\0';
}

/*
 * Whether the sysctl at i is read at when (TCP_SYSCTL_*): not if its file
 * was read for a when already done in this batch.
 */
static bool live_at(const struct netns_sysctl *s, size_t i, unsigned int when, unsigned int done)
{
	if (tcp_live[i].when & done)
		return false;
	if ((tcp_live[i].when & TCP_SYSCTL_PROBING) && (when & TCP_SYSCTL_NEWSK) &&
	    s->tcp_mtu_probing)
		return true;
	return tcp_live[i].when & when;
}

/*
 * A value changed in the namespace since the last read replaces ours; one
 * set in-process (a test, say) stays until the namespace's changes. One
 * small read per sysctl the kernel reads at when.
 */
static void sysctl_proc_refresh_tcp(struct netns_sysctl *s, unsigned int when)
{
	char buf[256];

	/*
	 * One read per batch of like work: what this batch read already
	 * stands, a file read for one when of it too for the others.
	 */
	unsigned int done = 0;

	if (when & TCP_SYSCTL_BATCHED) {
		when &= ~(unsigned int)TCP_SYSCTL_BATCHED;
		if (!(when & ~s->tcp_live_batch))
			return;
		done = s->tcp_live_batch;
		s->tcp_live_batch |= when;
	}

	bool have = false; /* buf holds the file of the last first number */
	int col = 0;

	for (size_t i = 0; i < TCP_LIVE_INTS; i++) {
		const char *p = buf;
		char *end;
		long v;

		col = i && !strcmp(tcp_live[i].name, tcp_live[i - 1].name) ? col + 1 : 0;
		if (!col)
			have = live_at(s, i, when, done) && !live_read(i, buf, sizeof(buf));
		if (!have)
			continue;
		for (int c = 0; c < col; c++) {
			strtol(p, &end, 10);
			p = end;
		}
		v = strtol(p, &end, 10);
		if (end == p || (int)v == s->tcp_live_read[i])
			continue;
		s->tcp_live_read[i] = (int)v;
		*(int *)((char *)s + tcp_live[i].off) = (int)v;
	}
	/* The congestion control a new socket starts with, as the kernel's at creation. */
	if (live_at(s, TCP_LIVE_INTS, when, done))
		refresh_str(TCP_LIVE_INTS, s->tcp_congestion_control,
			    sizeof(s->tcp_congestion_control), s->tcp_cc_live_read[0]);
	if (live_at(s, TCP_LIVE_INTS + 1, when, done))
		refresh_str(TCP_LIVE_INTS + 1, s->tcp_allowed_congestion_control,
			    sizeof(s->tcp_allowed_congestion_control), s->tcp_cc_live_read[1]);
	/* Unreadable (not root): the stack keeps its own key. */
	if (live_at(s, TCP_LIVE_INTS + 2, when, done) &&
	    !live_read(TCP_LIVE_INTS + 2, buf, sizeof(buf))) {
		size_t n = strlen(buf) < sizeof(s->tcp_fastopen_key)
				   ? strlen(buf)
				   : sizeof(s->tcp_fastopen_key) - 1;

		memcpy(s->tcp_fastopen_key, buf, n);
		s->tcp_fastopen_key[n] = '\0';
	}
}

/*
 * CONFIG_HZ is not a sysctl, but socket timeouts are rounded to it. The
 * kernel's own rounding tells it: a 1 us SO_RCVTIMEO reads back as one
 * tick. An AF_UNIX socket goes through the same code (sock_set_timeout) and
 * is never emulated, so this works under the interposer too.
 */
static int probe_hz(void)
{
	struct timeval tv = {0, 1};
	socklen_t len = sizeof(tv);
	int fd, hz = 0;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (!setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) &&
	    !getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len) && tv.tv_sec == 0 && tv.tv_usec > 0)
		hz = (int)(1000000 / tv.tv_usec);
	close(fd);
	return hz;
}

/*
 * net.ipv4.ip_local_reserved_ports: a comma-separated list of ports and
 * ranges ("8080,9000-9010"), empty by default.
 */
static void parse_reserved_ports(const char *p, uint64_t map[65536 / 64])
{
	char *end;

	memset(map, 0, 65536 / 8);
	while (*p && *p != '\n') {
		unsigned long lo = strtoul(p, &end, 10), hi = lo;

		if (end == p)
			break;
		p = end;
		if (*p == '-') {
			hi = strtoul(p + 1, &end, 10);
			p = end;
		}
		for (unsigned long port = lo; port <= hi && port < 65536; port++)
			map[port / 64] |= 1ull << (port % 64);
		if (*p == ',')
			p++;
	}
}

/*
 * The sysctls the kernel reads when bind() or connect() picks a port
 * (inet_sk_get_local_port_range, inet_is_local_reserved_port) and, with
 * tw, those it reads when the search meets a 4-tuple in TIME_WAIT
 * (tcp_twsk_unique): read again there (refresh_ports), so that a sysctl -w
 * in the namespace reaches the next one. Unreadable: unchanged.
 */
static void read_port_sysctls(struct netns_sysctl *s, int fd[4], bool tw)
{
	char buf[4096];
	long a, b;

	if (tw) {
		if (!live_read_fd(&fd[2], "net/ipv4/tcp_tw_reuse", buf, sizeof(buf)) &&
		    sscanf(buf, "%ld", &a) == 1)
			s->tcp_tw_reuse = (int)a;
		if (!live_read_fd(&fd[3], "net/ipv4/tcp_tw_reuse_delay", buf, sizeof(buf)) &&
		    sscanf(buf, "%ld", &a) == 1)
			s->tcp_tw_reuse_delay = (int)a;
		return;
	}
	if (!live_read_fd(&fd[0], "net/ipv4/ip_local_port_range", buf, sizeof(buf)) &&
	    sscanf(buf, "%ld %ld", &a, &b) == 2) {
		s->ip_local_port_range[0] = (int)a;
		s->ip_local_port_range[1] = (int)b;
	}
	if (!live_read_fd(&fd[1], "net/ipv4/ip_local_reserved_ports", buf, sizeof(buf)))
		parse_reserved_ports(buf, s->ip_local_reserved_ports);
}

/* The hook keeps its files open, as the TCP ones (one pread each per search). */
static int port_live_fd[4] = {-1, -1, -1, -1};

static void sysctl_proc_refresh_ports(struct netns_sysctl *s, bool tw)
{
	read_port_sysctls(s, port_live_fd, tw);
}

/* net.ipv4.conf.DEV.NAME (dev NULL: all) = value, as the kernel's own settings of it. */
static int sysctl_proc_set_devconf(const char *dev, const char *name, int value)
{
	char path[128], buf[16];
	int fd, n, err = 0;

	n = snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/%s", dev ? dev : "all", name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d\n", value);
	errno = 0;
	if (write(fd, buf, (size_t)n) != n)
		err = errno ? -errno : -EIO;
	close(fd);
	return err;
}

void sysctl_proc_read(struct netns_sysctl *s)
{
	int fd[4] = {-1, -1, -1, -1};
	long range[2];
	int hz;

	net_sysctl_init(s);
	read_int("net/core/rmem_default", &s->rmem_default);
	read_int("net/core/wmem_default", &s->wmem_default);
	read_int("net/core/rmem_max", &s->rmem_max);
	read_int("net/core/wmem_max", &s->wmem_max);
	read_int("net/core/somaxconn", &s->somaxconn);
	read_triple("net/ipv4/tcp_rmem", s->tcp_rmem);
	read_triple("net/ipv4/tcp_wmem", s->tcp_wmem);
	read_triple("net/ipv4/tcp_mem", s->tcp_mem);
	read_int("net/ipv4/ip_unprivileged_port_start", &s->ip_unprivileged_port_start);
	if (read_ints("net/ipv4/ping_group_range", range, 2) == 2) {
		s->ping_group_range[0] = (uint32_t)range[0];
		s->ping_group_range[1] = (uint32_t)range[1];
	}
	read_int("net/ipv4/ip_default_ttl", &s->ip_default_ttl);
	read_int("net/ipv4/ip_no_pmtu_disc", &s->ip_no_pmtu_disc);
	read_int("net/ipv4/route/min_pmtu", &s->ip_rt_min_pmtu);
	read_int("net/ipv4/route/mtu_expires", &s->ip_rt_mtu_expires);
	read_int("net/ipv4/tcp_stdurg", &s->tcp_stdurg);
	read_int("net/ipv4/tcp_fin_timeout", &s->tcp_fin_timeout);
	read_int("net/ipv4/tcp_syn_retries", &s->tcp_syn_retries);
	read_int("net/ipv4/tcp_synack_retries", &s->tcp_synack_retries);
	read_int("net/ipv4/tcp_retries2", &s->tcp_retries2);
	read_int("net/ipv4/tcp_keepalive_time", &s->tcp_keepalive_time);
	read_int("net/ipv4/tcp_keepalive_intvl", &s->tcp_keepalive_intvl);
	read_int("net/ipv4/tcp_keepalive_probes", &s->tcp_keepalive_probes);
	read_int("net/ipv4/tcp_max_syn_backlog", &s->tcp_max_syn_backlog);
	read_int("net/ipv4/tcp_timestamps", &s->tcp_timestamps);
	read_int("net/ipv4/tcp_window_scaling", &s->tcp_window_scaling);
	read_int("net/ipv4/tcp_sack", &s->tcp_sack);
	read_int("net/ipv4/tcp_dsack", &s->tcp_dsack);
	read_int("net/ipv4/tcp_challenge_ack_limit", &s->tcp_challenge_ack_limit);
	read_int("net/ipv4/tcp_invalid_ratelimit", &s->tcp_invalid_ratelimit);
	read_int("net/ipv4/tcp_syncookies", &s->tcp_syncookies);
	read_int("net/ipv4/tcp_comp_sack_nr", &s->tcp_comp_sack_nr);
	read_ints("net/ipv4/tcp_comp_sack_delay_ns", &s->tcp_comp_sack_delay_ns, 1);
	read_int("net/ipv4/tcp_moderate_rcvbuf", &s->tcp_moderate_rcvbuf);
	read_int("net/ipv4/tcp_fastopen", &s->tcp_fastopen);
	read_int("net/ipv4/tcp_ecn", &s->tcp_ecn);
	read_str("net/ipv4/tcp_fastopen_key", s->tcp_fastopen_key, sizeof(s->tcp_fastopen_key));
	read_int("net/ipv4/udp_rmem_min", &s->udp_rmem_min);
	read_int("net/ipv4/udp_wmem_min", &s->udp_wmem_min);
	read_int("net/ipv4/ip_nonlocal_bind", &s->ip_nonlocal_bind);
	read_int("net/ipv4/tcp_recovery", &s->tcp_recovery);
	read_int("net/ipv4/tcp_early_retrans", &s->tcp_early_retrans);
	read_int("net/ipv4/tcp_frto", &s->tcp_frto);
	read_int("net/ipv4/tcp_reordering", &s->tcp_reordering);
	read_int("net/ipv4/tcp_max_reordering", &s->tcp_max_reordering);
	read_int("net/ipv4/tcp_no_metrics_save", &s->tcp_no_metrics_save);
	read_int("net/ipv4/tcp_no_ssthresh_metrics_save", &s->tcp_no_ssthresh_metrics_save);
	read_str("net/ipv4/tcp_congestion_control", s->tcp_congestion_control,
		 sizeof(s->tcp_congestion_control));
	read_str("net/ipv4/tcp_allowed_congestion_control", s->tcp_allowed_congestion_control,
		 sizeof(s->tcp_allowed_congestion_control));
	memcpy(s->tcp_cc_live_read[0], s->tcp_congestion_control,
	       sizeof(s->tcp_congestion_control));
	memcpy(s->tcp_cc_live_read[1], s->tcp_allowed_congestion_control,
	       sizeof(s->tcp_allowed_congestion_control));
	read_int("net/ipv4/igmp_max_memberships", &s->igmp_max_memberships);
	read_int("net/ipv4/igmp_max_msf", &s->igmp_max_msf);
	read_int("net/ipv4/igmp_qrv", &s->igmp_qrv);
	read_int("net/ipv4/igmp_link_local_mcast_reports", &s->igmp_llm_reports);
	read_int("net/ipv4/conf/all/force_igmp_version", &s->force_igmp_version);
	/* The stack's device takes the namespace's defaults for new devices. */
	read_int("net/ipv4/conf/default/igmpv2_unsolicited_report_interval",
		 &s->igmpv2_unsolicited_report_interval);
	read_int("net/ipv4/conf/default/igmpv3_unsolicited_report_interval",
		 &s->igmpv3_unsolicited_report_interval);
	read_int("net/core/optmem_max", &s->optmem_max);
	/* At start-up the files close again: the interposer's process uses no hook. */
	read_port_sysctls(s, fd, false);
	read_port_sysctls(s, fd, true);
	for (int i = 0; i < 4; i++)
		if (fd[i] >= 0)
			close(fd[i]);

	read_int("net/ipv4/tcp_orphan_retries", &s->tcp_orphan_retries);
	read_int("net/ipv4/tcp_syn_linear_timeouts", &s->tcp_syn_linear_timeouts);
	read_int("net/ipv4/tcp_thin_linear_timeouts", &s->tcp_thin_linear_timeouts);
	read_int("net/ipv4/tcp_rto_min_us", &s->tcp_rto_min_us);
	read_int("net/ipv4/tcp_rto_max_ms", &s->tcp_rto_max_ms);
	read_int("net/ipv4/tcp_max_orphans", &s->tcp_max_orphans);
	read_int("net/ipv4/tcp_tso_win_divisor", &s->tcp_tso_win_divisor);
	read_int("net/ipv4/tcp_min_tso_segs", &s->tcp_min_tso_segs);
	read_int("net/ipv4/tcp_app_win", &s->tcp_app_win);
	for (size_t i = 0; i < TCP_LIVE_INTS; i++)
		s->tcp_live_read[i] = *(const int *)((const char *)s + tcp_live[i].off);

	hz = probe_hz();
	if (hz > 0)
		s->hz = hz;
	s->refresh_tcp = sysctl_proc_refresh_tcp;
	s->refresh_ports = sysctl_proc_refresh_ports;
	s->set_devconf = sysctl_proc_set_devconf;
}
