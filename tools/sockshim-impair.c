// SPDX-License-Identifier: MIT
/*
 * sockshim-impair: a two-port Ethernet bridge that loses, reorders,
 * duplicates, delays and rate-limits what it forwards, with a seed, so that
 * tests and users get a lossy network on a kernel without netem:
 *
 *   sockshim-impair [OPTIONS] IF_A IF_B
 *
 * Every frame that arrives on IF_A leaves on IF_B and the other way round,
 * after the decisions of impair.c for its direction (the pure part, unit-
 * tested on a virtual clock). This file is only the plumbing: one AF_PACKET
 * socket per interface, promiscuous, bound with ETH_P_ALL after it is set up
 * (created with protocol 0, so no frame of another interface slips in
 * before bind), with PACKET_IGNORE_OUTGOING so it never sees what it sent
 * itself, and PACKET_QDISC_BYPASS as the stack's own link has.
 *
 * PACKET_VNET_HDR carries each frame's offload state across the bridge: a
 * frame the sender left with its checksum to fill in (CHECKSUM_PARTIAL, as
 * a kernel peer on a veth sends them) leaves with the same request, so the
 * bridge neither sums every byte nor breaks checksums. Segmentation offload
 * is passed through too, but a GSO frame is then impaired as one frame:
 * turn TSO/GSO off on the senders (testbed_up_impaired does) for per-packet
 * loss; the bridge counts and reports such frames.
 *
 * Frames are read and written in batches (recvmmsg/sendmmsg); ppoll sleeps
 * until a socket is readable or the next frame of either direction is due,
 * never longer and never by a fixed sleep. On SIGINT or SIGTERM it prints
 * what it did (received, sent, lost, duplicated, reordered, ...) per
 * direction and exits; SIGUSR1 prints the same and goes on. If an
 * interface disappears it prints them too and exits with status 1.
 */
#define _GNU_SOURCE /* recvmmsg, sendmmsg, ppoll */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <math.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "impair.h"

#define PROG	   "sockshim-impair"
#define BATCH	   64
#define VNET_LEN   sizeof(struct virtio_net_hdr)
#define RX_SIZE	   (VNET_LEN + 65536 + 64) /* a whole GSO frame, if one comes */
#define SMALL_SIZE 2048			   /* recycled frame buffers: any MTU-1500 frame */
#define RX_ROUNDS  8			   /* batches read per wake-up before sending again */
#define SOCK_BUF   (8 << 20)

/* A frame in flight, shared by its copies (refs) when duplicated. */
struct frame {
	struct frame *next_free;
	uint32_t refs;
	uint32_t len; /* virtio_net_hdr + Ethernet frame */
	uint32_t cap;
	uint8_t data[];
};

struct port {
	const char *name;
	int fd;
	uint64_t bad; /* truncated or shorter than a header: dropped */
	uint64_t gso; /* GSO frames (impaired as one frame each) */
	uint8_t *rx_buf[BATCH];
	struct iovec rx_iov[BATCH];
	struct mmsghdr rx_msg[BATCH];
};

/* One direction: frames read on in, decided by q, written to out. */
struct path {
	struct port *in, *out;
	struct impair q;
	struct frame *txq[BATCH]; /* taken from q, not yet accepted by out */
	unsigned int txq_n;
	int blocked; /* out said EAGAIN: wait for POLLOUT */
	uint64_t tx_errors;
	int last_error;
};

static struct frame *free_small;
static volatile sig_atomic_t stop_sig, stats_sig;
static int gone; /* an interface disappeared */

__attribute__((noreturn, format(printf, 2, 3))) static void die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- frames ---- */

static struct frame *frame_alloc(uint32_t len)
{
	struct frame *f;
	uint32_t cap = len <= SMALL_SIZE ? SMALL_SIZE : len;

	if (cap == SMALL_SIZE && free_small) {
		f = free_small;
		free_small = f->next_free;
	} else {
		f = malloc(sizeof(*f) + cap);
		if (!f)
			die(1, "out of memory for a %u-byte frame", len);
		f->cap = cap;
	}
	f->len = len;
	return f;
}

static void frame_put(struct frame *f)
{
	if (--f->refs)
		return;
	if (f->cap == SMALL_SIZE) {
		f->next_free = free_small;
		free_small = f;
	} else {
		free(f);
	}
}

/* ---- ports ---- */

static void port_open(struct port *p, const char *name)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	struct packet_mreq mr = {.mr_type = PACKET_MR_PROMISC};
	int one = 1, buf = SOCK_BUF, i;

	p->name = name;
	sll.sll_ifindex = (int)if_nametoindex(name);
	if (!sll.sll_ifindex)
		die(1, "interface '%s': %s", name, strerror(errno));
	mr.mr_ifindex = sll.sll_ifindex;
	p->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		die(1, "AF_PACKET socket: %s (root or CAP_NET_RAW needed)", strerror(errno));
	if (setsockopt(p->fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0 ||
	    setsockopt(p->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0 ||
	    setsockopt(p->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0 ||
	    setsockopt(p->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
		die(1, "interface '%s': setting up the AF_PACKET socket: %s", name,
		    strerror(errno));
	/* Deep buffers absorb a burst while the other direction is busy. */
	if (setsockopt(p->fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(p->fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(p->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (bind(p->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die(1, "interface '%s': bind: %s", name, strerror(errno));

	for (i = 0; i < BATCH; i++) {
		p->rx_buf[i] = malloc(RX_SIZE);
		if (!p->rx_buf[i])
			die(1, "out of memory for receive buffers");
		p->rx_iov[i] = (struct iovec){p->rx_buf[i], RX_SIZE};
		p->rx_msg[i].msg_hdr = (struct msghdr){.msg_iov = &p->rx_iov[i], .msg_iovlen = 1};
	}
}

static void port_close(struct port *p)
{
	for (int i = 0; i < BATCH; i++)
		free(p->rx_buf[i]);
	close(p->fd);
}

/* One received frame into path's decisions. */
static void path_take(struct path *pa, const uint8_t *buf, uint32_t len, int truncated,
		      uint64_t now)
{
	struct port *in = pa->in;
	struct virtio_net_hdr *vh;
	struct frame *f;
	int copies;

	if (truncated || len < VNET_LEN + ETH_HLEN) {
		in->bad++;
		return;
	}
	if (((const struct virtio_net_hdr *)buf)->gso_type != VIRTIO_NET_HDR_GSO_NONE && !in->gso++)
		fprintf(stderr,
			PROG ": %s: a GSO frame of %zu bytes arrived; each such frame is impaired "
			     "as one (turn segmentation offload off on the sender for per-packet "
			     "impairment, e.g. ethtool -K DEV tso off gso off)\n",
			in->name, len - VNET_LEN);
	f = frame_alloc(len);
	memcpy(f->data, buf, len);
	/* "Already verified" is the receiver's to decide, not passed on. */
	vh = (struct virtio_net_hdr *)f->data;
	vh->flags &= ~VIRTIO_NET_HDR_F_DATA_VALID;
	copies = impair_enqueue(&pa->q, now, f, len - VNET_LEN);
	f->refs = copies ? copies : 1;
	if (!copies)
		frame_put(f);
}

/* Reads what pa->in has, a few batches at most. */
static void path_receive(struct path *pa, uint64_t now)
{
	struct port *in = pa->in;
	int round, n, i;

	for (round = 0; round < RX_ROUNDS; round++) {
		n = recvmmsg(in->fd, in->rx_msg, BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			/*
			 * The interface went down: the socket reports it once.
			 * If it is gone for good (its namespace or veth deleted),
			 * nothing will ever come again: stop, with the counters.
			 */
			if (errno == ENETDOWN) {
				if (if_nametoindex(in->name)) {
					fprintf(stderr, PROG ": %s: interface down\n", in->name);
				} else {
					fprintf(stderr, PROG ": %s: interface gone, stopping\n",
						in->name);
					gone = 1;
				}
				return;
			}
			die(1, "%s: receive: %s", in->name, strerror(errno));
		}
		for (i = 0; i < n; i++)
			path_take(pa, in->rx_buf[i], in->rx_msg[i].msg_len,
				  in->rx_msg[i].msg_hdr.msg_flags & MSG_TRUNC, now);
		if (n < BATCH)
			return;
	}
}

/*
 * Sends everything the decisions let go by now. A frame the interface
 * refuses (too big for its MTU, interface down) is counted and dropped; a
 * full socket keeps the rest queued until POLLOUT.
 */
static void path_flush(struct path *pa, uint64_t now)
{
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	unsigned int sent, i, more = 1;
	uint32_t len;
	void *f;

	while (more || pa->txq_n) {
		while (pa->txq_n < BATCH && (f = impair_dequeue(&pa->q, now, &len)))
			pa->txq[pa->txq_n++] = f;
		more = pa->txq_n == BATCH;
		if (!pa->txq_n)
			return;
		for (i = 0; i < pa->txq_n; i++) {
			iov[i] = (struct iovec){pa->txq[i]->data, pa->txq[i]->len};
			msg[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
		}
		for (sent = 0; sent < pa->txq_n;) {
			int r = sendmmsg(pa->out->fd, msg + sent, pa->txq_n - sent, MSG_DONTWAIT);

			if (r > 0) {
				sent += r;
			} else if (errno == EAGAIN) {
				pa->blocked = 1;
				break;
			} else if (errno != EINTR) {
				pa->tx_errors++;
				pa->last_error = errno;
				sent++;
			}
		}
		for (i = 0; i < sent; i++)
			frame_put(pa->txq[i]);
		memmove(pa->txq, pa->txq + sent, (pa->txq_n - sent) * sizeof(pa->txq[0]));
		pa->txq_n -= sent;
		if (pa->blocked)
			return;
	}
}

static void path_report(const struct path *pa)
{
	const struct impair_stats *s = &pa->q.st;

	fprintf(stderr,
		PROG ": %s -> %s: received %" PRIu64 ", sent %" PRIu64 ", lost %" PRIu64
		     ", duplicated %" PRIu64 ", reordered %" PRIu64 ", overflow %" PRIu64
		     ", send errors %" PRIu64 "%s%s%s, bad %" PRIu64 ", gso %" PRIu64
		     ", queued %u\n",
		pa->in->name, pa->out->name, s->rx, s->tx - pa->tx_errors - pa->txq_n, s->lost,
		s->duplicated, s->reordered, s->overflow, pa->tx_errors,
		pa->tx_errors ? " (last: " : "", pa->tx_errors ? strerror(pa->last_error) : "",
		pa->tx_errors ? ")" : "", pa->in->bad, pa->in->gso,
		impair_queued(&pa->q) + pa->txq_n);
}

/* ---- the options ---- */

static const char usage_text[] =
	"usage: " PROG " [OPTIONS] IF_A IF_B\n"
	"Bridges IF_A and IF_B (AF_PACKET, promiscuous), impairing each direction.\n"
	"Options apply to both directions, or to the one chosen by the last --a2b / --b2a\n"
	"(--both goes back to both):\n"
	"  --loss PCT              drop this percentage of frames at random\n"
	"  --reorder PCT           hold this percentage back behind later frames\n"
	"  --reorder-gap N         a held frame leaves after N later frames (default 3)\n"
	"  --reorder-timeout MS    ... or MS after it was due, if fewer come (default 10)\n"
	"  --duplicate PCT         send this percentage twice\n"
	"  --delay MS              one-way delay, milliseconds (fractions allowed)\n"
	"  --jitter MS             uniform +-MS around the delay (may reorder, as netem)\n"
	"  --rate BITS             token-bucket rate in bits/s, k/M/G suffixes (e.g. 100M)\n"
	"  --burst BYTES           token-bucket depth (default 1 ms at the rate, >= 3028)\n"
	"  --limit N               frames queued at most per direction (default 10000)\n"
	"  --seed N                the random seed (default 1); same seed, same decisions\n"
	"SIGINT/SIGTERM print the counters and exit; SIGUSR1 prints them.\n";

enum {
	OPT_LOSS = 1,
	OPT_REORDER,
	OPT_REORDER_GAP,
	OPT_REORDER_TIMEOUT,
	OPT_DUP,
	OPT_DELAY,
	OPT_JITTER,
	OPT_RATE,
	OPT_BURST,
	OPT_LIMIT,
	OPT_SEED,
	OPT_A2B,
	OPT_B2A,
	OPT_BOTH,
};

static const struct option options[] = {
	{"loss", required_argument, NULL, OPT_LOSS},
	{"reorder", required_argument, NULL, OPT_REORDER},
	{"reorder-gap", required_argument, NULL, OPT_REORDER_GAP},
	{"reorder-timeout", required_argument, NULL, OPT_REORDER_TIMEOUT},
	{"duplicate", required_argument, NULL, OPT_DUP},
	{"delay", required_argument, NULL, OPT_DELAY},
	{"jitter", required_argument, NULL, OPT_JITTER},
	{"rate", required_argument, NULL, OPT_RATE},
	{"burst", required_argument, NULL, OPT_BURST},
	{"limit", required_argument, NULL, OPT_LIMIT},
	{"seed", required_argument, NULL, OPT_SEED},
	{"a2b", no_argument, NULL, OPT_A2B},
	{"b2a", no_argument, NULL, OPT_B2A},
	{"both", no_argument, NULL, OPT_BOTH},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static const char *opt_name(int val)
{
	for (const struct option *o = options; o->name; o++)
		if (o->val == val)
			return o->name;
	return "?";
}

/* A number in [min, max] with an optional scale suffix; dies naming the option. */
static double parse_number(int opt, const char *arg, double min, double max, const char *what,
			   int suffixes)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (suffixes && end != arg) {
		switch (*end) {
		case 'k':
		case 'K':
			v *= 1e3, end++;
			break;
		case 'm':
		case 'M':
			v *= 1e6, end++;
			break;
		case 'g':
		case 'G':
			v *= 1e9, end++;
			break;
		}
	}
	if (end == arg || *end || errno || !isfinite(v) || v < min || v > max)
		die(2, "--%s: '%s' is not %s", opt_name(opt), arg, what);
	return v;
}

static uint64_t parse_integer(int opt, const char *arg, uint64_t min, uint64_t max,
			      const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 0);
	if (end == arg || *end || errno || arg[0] == '-' || v < min || v > max)
		die(2, "--%s: '%s' is not %s", opt_name(opt), arg, what);
	return v;
}

static uint64_t parse_ms(int opt, const char *arg)
{
	double ms = parse_number(opt, arg, 0, 3600000,
				 "a time in milliseconds from 0 to 3600000 (e.g. 10 or 0.5)", 0);

	return (uint64_t)llround(ms * 1e6);
}

/* Sets one option in the parameters of the directions in scope (bit 0: a2b, bit 1: b2a). */
static void apply(struct impair_params p[2], int scope, int opt, const char *arg)
{
	static const char pct[] = "a percentage from 0 to 100";

	for (int d = 0; d < 2; d++) {
		if (!(scope & (1 << d)))
			continue;
		switch (opt) {
		case OPT_LOSS:
			p[d].loss_pct = parse_number(opt, arg, 0, 100, pct, 0);
			break;
		case OPT_REORDER:
			p[d].reorder_pct = parse_number(opt, arg, 0, 100, pct, 0);
			break;
		case OPT_DUP:
			p[d].dup_pct = parse_number(opt, arg, 0, 100, pct, 0);
			break;
		case OPT_REORDER_GAP:
			p[d].reorder_gap = parse_integer(opt, arg, 1, 100000,
							 "a frame count from 1 to 100000");
			break;
		case OPT_REORDER_TIMEOUT:
			p[d].reorder_timeout_ns = parse_ms(opt, arg);
			break;
		case OPT_DELAY:
			p[d].delay_ns = parse_ms(opt, arg);
			break;
		case OPT_JITTER:
			p[d].jitter_ns = parse_ms(opt, arg);
			break;
		case OPT_RATE:
			p[d].rate_bps = (uint64_t)parse_number(opt, arg, 0, 1e12,
							       "a rate in bits/s up to 1000G (e.g. "
							       "800000, 100M, 2.5G; 0: unlimited)",
							       1);
			break;
		case OPT_BURST:
			p[d].burst_bytes = parse_integer(opt, arg, 1, 1u << 30,
							 "a size in bytes from 1 to 1073741824");
			break;
		case OPT_LIMIT:
			p[d].limit = parse_integer(opt, arg, 1, 1000000,
						   "a frame count from 1 to 1000000");
			break;
		}
	}
}

static void describe(const char *a, const char *b, const struct impair_params *p)
{
	fprintf(stderr,
		PROG ": %s -> %s: loss %g%%, reorder %g%% (gap %u, timeout %g ms), duplicate %g%%, "
		     "delay %g ms, jitter %g ms, ",
		a, b, p->loss_pct, p->reorder_pct, p->reorder_gap, p->reorder_timeout_ns / 1e6,
		p->dup_pct, p->delay_ns / 1e6, p->jitter_ns / 1e6);
	if (p->rate_bps)
		fprintf(stderr, "rate %" PRIu64 " bit/s (burst %" PRIu64 " bytes), ", p->rate_bps,
			p->burst_bytes);
	else
		fputs("rate unlimited, ", stderr);
	fprintf(stderr, "limit %u frames\n", p->limit);
}

/* ---- the loop ---- */

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		stats_sig = 1;
	else
		stop_sig = 1;
}

static void run(struct port port[2], struct path path[2], const sigset_t *waitmask)
{
	struct pollfd pfd[2];
	struct timespec ts;
	uint64_t now, next, t;
	int d;

	while (!stop_sig && !gone) {
		now = now_ns();
		next = UINT64_MAX;
		for (d = 0; d < 2; d++) {
			if (path[d].blocked)
				continue; /* waits for POLLOUT, not for a time */
			path_flush(&path[d], now);
			t = impair_next(&path[d].q, now);
			if (!path[d].blocked && t < next)
				next = t;
		}
		/* Port d carries path d in and path 1-d out. */
		for (d = 0; d < 2; d++)
			pfd[d] = (struct pollfd){port[d].fd,
						 POLLIN | (path[1 - d].blocked ? POLLOUT : 0), 0};
		if (next != UINT64_MAX) {
			t = next > now ? next - now : 0;
			ts = (struct timespec){(time_t)(t / 1000000000u), (long)(t % 1000000000u)};
		}
		if (ppoll(pfd, 2, next == UINT64_MAX ? NULL : &ts, waitmask) < 0) {
			if (errno != EINTR)
				die(1, "ppoll: %s", strerror(errno));
		}
		if (stats_sig) {
			stats_sig = 0;
			path_report(&path[0]);
			path_report(&path[1]);
		}
		now = now_ns();
		for (d = 0; d < 2; d++) {
			if (pfd[d].revents & (POLLOUT | POLLERR))
				path[1 - d].blocked = 0;
			if (pfd[d].revents & (POLLIN | POLLERR))
				path_receive(&path[d], now);
		}
	}
}

int main(int argc, char **argv)
{
	struct impair_params params[2];
	struct port port[2];
	struct path path[2];
	uint64_t seed = 1;
	sigset_t block, waitmask;
	struct sigaction sa = {.sa_handler = on_signal};
	int scope = 3, c, d, err;

	impair_params_default(&params[0]);
	impair_params_default(&params[1]);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case OPT_A2B:
			scope = 1;
			break;
		case OPT_B2A:
			scope = 2;
			break;
		case OPT_BOTH:
			scope = 3;
			break;
		case OPT_SEED:
			seed = parse_integer(c, optarg, 0, UINT64_MAX, "an unsigned 64-bit number");
			break;
		case ':':
			die(2, "option '%s' needs a value (see --help)", argv[optind - 1]);
		case '?':
			die(2, "unknown option '%s' (see --help)", argv[optind - 1]);
		default:
			apply(params, scope, c, optarg);
		}
	}
	if (argc - optind != 2)
		die(2, "need two interfaces: " PROG " [OPTIONS] IF_A IF_B (see --help)");
	if (!strcmp(argv[optind], argv[optind + 1]))
		die(2, "IF_A and IF_B are both '%s': a bridge needs two interfaces", argv[optind]);
	for (d = 0; d < 2; d++)
		if (params[d].burst_bytes && !params[d].rate_bps)
			die(2, "--burst: the %s direction has no --rate", d ? "b2a" : "a2b");

	for (d = 0; d < 2; d++) {
		/* Each direction draws from its own stream of the one seed. */
		err = impair_init(&path[d].q, &params[d], seed + d * 0x9e3779b97f4a7c15ull);
		if (err)
			die(2, "bad parameters: %s", strerror(-err));
	}
	port_open(&port[0], argv[optind]);
	port_open(&port[1], argv[optind + 1]);
	for (d = 0; d < 2; d++)
		path[d] = (struct path){.in = &port[d], .out = &port[1 - d], .q = path[d].q};

	/* The signals arrive only inside ppoll, so none is missed between checks. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGUSR1);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	fprintf(stderr, PROG ": bridging %s <-> %s, seed %" PRIu64 "\n", port[0].name, port[1].name,
		seed);
	describe(port[0].name, port[1].name, &path[0].q.p);
	describe(port[1].name, port[0].name, &path[1].q.p);

	run(port, path, &waitmask);

	path_report(&path[0]);
	path_report(&path[1]);
	/* Frames still queued go with the process. */
	for (d = 0; d < 2; d++) {
		impair_destroy(&path[d].q);
		port_close(&port[d]);
	}
	return gone;
}
