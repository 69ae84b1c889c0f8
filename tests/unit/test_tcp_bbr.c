// SPDX-License-Identifier: MIT
/*
 * BBR (tcp_bbr.c), delivery-rate sampling (tcp_rate.c) and internal pacing
 * between two stacks on the in-memory wire, through a bottleneck of the
 * wire's own (rate_bps with a drop-tail queue) on the virtual clock: the
 * choice of "bbr" as the kernel's, TCP_CC_INFO's struct tcp_bbr_info,
 * segments spaced at the pacing rate, STARTUP ending at the bandwidth
 * plateau, no window cut for a single loss (CUBIC's for comparison), and
 * PROBE_RTT after 10 s without a new minimum RTT.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <stdlib.h>
#include <string.h>

#include "helper_twostack.h"
#include "tcp.h"

#define PORT 5000

/* The kernel module's gains in 1/256 (tcp_bbr.c). */
#define BBR_HIGH_GAIN  739 /* 256 * 2885 / 1000 + 1 */
#define BBR_DRAIN_GAIN 88  /* 256 * 1000 / 2885 */
#define BBR_CWND_GAIN  512

/* A 10 Mbit/s bottleneck with a 200 KB queue (8 BDPs), 20 ms RTT. */
static const struct mem_link_impair path_10m = {
	.seed = 1, .delay_ns = 10 * NSEC_PER_MSEC, .rate_bps = 10000000, .queue_bytes = 200000};

static struct twostack *ts;
static struct socket *socks[8];
static unsigned int nsocks;
static uint64_t sent, got; /* bulk(): the pair's stream so far */

static void teardown(void)
{
	for (unsigned int i = 0; i < nsocks; i++)
		sock_release(socks[i]);
	nsocks = 0;
	if (ts)
		twostack_destroy(ts);
	ts = NULL;
	skb_cache_drain();
}

TestSuite(tcp_bbr, .fini = teardown);

static struct socket *tcp_socket(int side)
{
	int err = 0;
	struct socket *s = twostack_socket(ts, side, SOCK_STREAM, IPPROTO_TCP, &err);

	cr_assert_not_null(s, "socket: %d", err);
	socks[nsocks++] = s;
	return s;
}

/* Both stacks over imp, the sender (side 0) with algorithm ca. */
static void setup_link(const struct mem_link_impair *imp, const char *ca)
{
	ts = twostack_create(imp);
	cr_assert_not_null(ts);
	for (int i = 0; i < 2; i++) {
		ts->net[i].sysctl.tcp_rmem[2] = 6291456;
		ts->net[i].sysctl.tcp_wmem[2] = 4194304;
	}
	strcpy(ts->net[0].sysctl.tcp_congestion_control, ca);
}

/* A connected pair: sender on side 0, receiver (accepted) on side 1. */
static void tcp_pair(struct socket **c, struct socket **s)
{
	struct socket *l = tcp_socket(1), *n = calloc(1, sizeof(*n));
	struct sockaddr_in a = twostack_sin(1, PORT);

	cr_assert_eq(l->ops->bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(l->ops->listen(l, 4), 0);
	*c = tcp_socket(0);
	cr_assert_eq((*c)->ops->connect(*c, (struct sockaddr *)&a, sizeof(a), O_NONBLOCK),
		     -EINPROGRESS);
	twostack_run_for(ts, NSEC_PER_SEC);
	cr_assert_eq(l->ops->accept(l, n, O_NONBLOCK, true), 0);
	socks[nsocks++] = n;
	*s = n;
	sent = got = 0;
	cr_assert_eq((*c)->sk->sk_state, TCP_ESTABLISHED);
}

/*
 * A bulk transfer for ns: the sender's buffer kept full with a running
 * byte pattern, the receiver drained and checked every millisecond;
 * each(arg) runs after every millisecond. Returns the bytes received.
 */
static uint64_t bulk(struct socket *c, struct socket *s, uint64_t ns, void (*each)(void *),
		     void *arg)
{
	static uint8_t buf[65536];
	uint64_t end = ts->now + ns, got0 = got;

	while (ts->now < end) {
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_flags = MSG_DONTWAIT};
		int n;

		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)((sent + i) * 7);
		n = c->ops->sendmsg(c, &m, sizeof(buf));
		if (n > 0)
			sent += (uint64_t)n;
		while ((n = s->ops->recvmsg(s, &m, sizeof(buf), MSG_DONTWAIT)) > 0) {
			for (int i = 0; i < n; i++)
				cr_assert_eq(buf[i], (uint8_t)((got + (uint64_t)i) * 7),
					     "byte %llu", (unsigned long long)(got + (uint64_t)i));
			got += (uint64_t)n;
		}
		twostack_run_for(ts, NSEC_PER_MSEC);
		if (each)
			each(arg);
	}
	return got - got0;
}

static struct tcp_bbr_info cc_info(struct socket *c)
{
	struct tcp_bbr_info info;
	int len = sizeof(info);

	memset(&info, 0xa5, sizeof(info));
	cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_CC_INFO, &info, &len), 0);
	cr_assert_eq(len, (int)sizeof(info));
	return info;
}

static uint64_t bbr_bw_bytes(const struct tcp_bbr_info *i)
{
	return (uint64_t)i->bbr_bw_hi << 32 | i->bbr_bw_lo;
}

/*
 * "bbr" as the kernel's: a new socket follows the namespace's
 * tcp_congestion_control, TCP_CONGESTION selects it, and TCP_CC_INFO gives
 * struct tcp_bbr_info (20 bytes, shorter if asked): gains 0 until the
 * first ACK of data (bbr_init sets none), STARTUP's after; TCP_INFO
 * carries the pacing rate bbr_init set from the handshake's RTT
 * (high_gain * cwnd / RTT).
 */
Test(tcp_bbr, chosen_as_the_kernel_and_tcp_cc_info)
{
	struct mem_link_impair imp = {.seed = 1, .delay_ns = 5 * NSEC_PER_MSEC};
	struct socket *c, *s, *o;
	struct tcp_bbr_info info;
	struct tcp_info ti;
	char name[TCP_CA_NAME_MAX];
	int len = sizeof(name);
	uint8_t small[8];

	setup_link(&imp, "bbr");
	tcp_pair(&c, &s);
	cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_CONGESTION, name, &len), 0);
	cr_assert_str_eq(name, "bbr");
	o = tcp_socket(1); /* cubic: the other namespace's default */
	cr_assert_eq(o->ops->setsockopt(o, SOL_TCP, TCP_CONGESTION, "bbr", 3), 0);
	len = sizeof(name);
	cr_assert_eq(o->ops->getsockopt(o, SOL_TCP, TCP_CONGESTION, name, &len), 0);
	cr_assert_str_eq(name, "bbr");

	cr_assert_eq(sizeof(struct tcp_bbr_info), 20);
	info = cc_info(c);
	cr_assert_eq(info.bbr_pacing_gain, 0);
	cr_assert_eq(info.bbr_cwnd_gain, 0);
	cr_assert_eq(bbr_bw_bytes(&info), 0, "no bandwidth sample yet");
	len = sizeof(small);
	cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_CC_INFO, small, &len), 0);
	cr_assert_eq(len, 8);

	len = sizeof(ti);
	cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_INFO, &ti, &len), 0);
	/* min_rtt: the SYN's RTT (10 ms of wire, plus the wait for ARP). */
	cr_assert_eq(info.bbr_min_rtt, ti.tcpi_min_rtt);
	cr_assert(ti.tcpi_min_rtt >= 10000 && ti.tcpi_min_rtt <= 20000, "%u", ti.tcpi_min_rtt);
	/* 739/256 * 10 segments * mss per srtt, 1% under. */
	{
		uint64_t want = (uint64_t)10 * ti.tcpi_snd_mss * 1000000 / ti.tcpi_rtt *
				BBR_HIGH_GAIN / 256 * 99 / 100;

		cr_assert(ti.tcpi_pacing_rate > want * 99 / 100 &&
				  ti.tcpi_pacing_rate < want * 101 / 100,
			  "pacing %llu want ~%llu", (unsigned long long)ti.tcpi_pacing_rate,
			  (unsigned long long)want);
	}
	cr_assert_eq(ti.tcpi_max_pacing_rate, ~0ull);

	/* One round of data: STARTUP's gains, a first bandwidth sample. */
	bulk(c, s, 30 * NSEC_PER_MSEC, NULL, NULL);
	info = cc_info(c);
	cr_assert_eq(info.bbr_pacing_gain, BBR_HIGH_GAIN);
	cr_assert_eq(info.bbr_cwnd_gain, BBR_HIGH_GAIN);
	cr_assert_gt(bbr_bw_bytes(&info), 0);
}

/* ---- the sender's departures, as the wire sees them ---- */

struct departures {
	struct tcp_sock *tp; /* the sender */
	uint64_t t_last;     /* time of the current burst */
	uint32_t burst_segs; /* data segments that left at t_last */
	uint64_t burst_rate; /* pacing rate when the burst began */
	uint32_t burst_bytes;
	uint32_t max_burst;	  /* most data segments at one instant after the first 10 */
	uint32_t too_close;	  /* bursts closer than half their length at the rate */
	uint32_t paced_bursts;	  /* bursts checked */
	uint32_t segs;		  /* data segments seen */
	uint64_t bytes_in_window; /* steady state: bytes sent ... */
	uint64_t window_start;	  /* ... since then */
};

static uint32_t tcp_payload(const uint8_t *f, unsigned int len)
{
	const uint8_t *ip = f + 14;
	unsigned int ihl, tot;

	if (len < 14 + 40 || f[12] != 0x08 || f[13] != 0x00 || ip[9] != IPPROTO_TCP)
		return 0;
	ihl = (ip[0] & 15u) * 4;
	tot = (unsigned int)(ip[2] << 8 | ip[3]);
	return tot - ihl - (ip[ihl + 12] >> 4) * 4u;
}

static int departure_tap(void *arg, int side, const uint8_t *f, unsigned int len)
{
	struct departures *d = arg;
	uint32_t payload = tcp_payload(f, len);

	if (side != 0 || !payload)
		return 1;
	d->segs++;
	if (d->window_start)
		d->bytes_in_window += payload;
	if (ts->now == d->t_last) {
		d->burst_segs++;
		d->burst_bytes += payload;
	} else {
		/* The previous burst ends: the next may not come before its time. */
		if (d->segs > TCP_INIT_CWND + d->burst_segs + 1 && d->burst_rate &&
		    d->burst_rate != ~0ull) {
			uint64_t need = (uint64_t)d->burst_bytes * NSEC_PER_SEC / d->burst_rate;

			d->paced_bursts++;
			if (ts->now - d->t_last < need / 2)
				d->too_close++;
		}
		d->t_last = ts->now;
		d->burst_segs = 1;
		d->burst_bytes = payload;
		d->burst_rate = d->tp->sk_pacing_rate;
	}
	if (d->segs > TCP_INIT_CWND && d->burst_segs > d->max_burst)
		d->max_burst = d->burst_segs;
	return 1;
}

/*
 * Pacing: through a 10 Mbit/s bottleneck (20 ms RTT), BBR's data leaves
 * in frames of at most 2 segments (tcp_tso_autosize at ~1.2 MB/s), each
 * no sooner after the previous than half its length at the pacing rate
 * (the most a late frame may take back), and over the steady state no
 * faster than the pacing rate. CUBIC, which does not pace without fq as
 * in the kernel, sends its window in bursts at ACK arrivals.
 */
Test(tcp_bbr, pacing_spaces_segments_at_the_pacing_rate)
{
	static struct departures d;
	struct socket *c, *s;
	uint64_t t0, max_rate = 0;

	for (int ca = 0; ca < 2; ca++) {
		memset(&d, 0, sizeof(d));
		setup_link(&path_10m, ca ? "cubic" : "bbr");
		tcp_pair(&c, &s);
		d.tp = tcp_sk(c->sk);
		mem_link_set_filter(ts->link, departure_tap, &d);
		bulk(c, s, 2 * NSEC_PER_SEC, NULL, NULL);
		if (ca) {
			cr_assert_eq(d.tp->sk_pacing_status, SK_PACING_NONE);
			cr_assert_gt(d.max_burst, 2, "cubic is not paced: bursts of %u",
				     d.max_burst);
			break;
		}
		cr_assert_eq(d.tp->sk_pacing_status, SK_PACING_NEEDED);
		cr_assert_leq(d.max_burst, 2, "burst of %u segments", d.max_burst);
		cr_assert_gt(d.paced_bursts, 500);
		cr_assert_eq(d.too_close, 0, "%u of %u bursts came early", d.too_close,
			     d.paced_bursts);
		/* Steady state: the average rate stays under the highest pacing rate. */
		d.window_start = t0 = ts->now;
		d.bytes_in_window = 0;
		for (int i = 0; i < 1000; i++) {
			if (d.tp->sk_pacing_rate > max_rate)
				max_rate = d.tp->sk_pacing_rate;
			bulk(c, s, NSEC_PER_MSEC, NULL, NULL);
		}
		cr_assert_leq(d.bytes_in_window * NSEC_PER_SEC / (ts->now - t0),
			      max_rate + max_rate / 50);
		teardown();
	}
}

/* A 100 Mbit/s bottleneck with a 2 MB queue, 20 ms RTT. */
static const struct mem_link_impair path_100m = {
	.seed = 1, .delay_ns = 10 * NSEC_PER_MSEC, .rate_bps = 100000000, .queue_bytes = 2000000};

static const struct net_device_ops *mem_ops;
static unsigned int gso_frames;

static int count_gso_xmit(struct net_device *dev, struct sk_buff *skb)
{
	gso_frames += skb->gso_size != 0;
	return mem_ops->ndo_start_xmit(dev, skb);
}

/*
 * The kernel's TCP always builds GSO frames and cuts them in software where
 * the device has no segmentation offload: on such a device BBR's data still
 * leaves in runs of tcp_tso_autosize segments (about 1 ms at the pacing
 * rate, 8 at ~12 MB/s), each run in MTU frames back to back and paced as
 * one, not segment by segment. No GSO frame reaches the device.
 */
Test(tcp_bbr, runs_leave_back_to_back_without_gso)
{
	static struct departures d;
	static struct net_device_ops ops;
	struct socket *c, *s;
	uint64_t bytes;

	setup_link(&path_100m, "bbr");
	ts->dev[0]->gso_max_size = 0;
	mem_ops = ts->dev[0]->netdev_ops;
	ops = *mem_ops;
	ops.ndo_start_xmit = count_gso_xmit;
	ts->dev[0]->netdev_ops = &ops;
	gso_frames = 0;
	tcp_pair(&c, &s);
	d.tp = tcp_sk(c->sk);
	mem_link_set_filter(ts->link, departure_tap, &d);
	bytes = bulk(c, s, 2 * NSEC_PER_SEC, NULL, NULL);
	cr_assert_eq(gso_frames, 0, "%u GSO frames on a device without GSO", gso_frames);
	cr_assert_geq(d.max_burst, 6, "runs of at most %u segments", d.max_burst);
	cr_assert_gt(d.paced_bursts, 500);
	cr_assert_eq(d.too_close, 0, "%u of %u runs came early", d.too_close, d.paced_bursts);
	cr_assert_gt(bytes, 15u << 20, "%llu bytes in 2 s at 100 Mbit/s",
		     (unsigned long long)bytes);
}

/* ---- the state machine, through TCP_CC_INFO's gains ---- */

struct modes {
	struct socket *c;
	uint64_t left_startup; /* when the pacing gain first left high_gain */
	uint64_t probe_bw;     /* when PROBE_BW's cwnd gain first showed */
	uint64_t probe_rtt;    /* when PROBE_RTT (both gains 1) first showed */
	uint64_t probe_rtt_end;
	uint32_t probe_rtt_max_cwnd; /* the most cwnd in PROBE_RTT (after the first ACK) */
	uint64_t bw_at_exit;	     /* bandwidth estimate when STARTUP ended */
	uint64_t bw_before;	     /* the estimate one sample before */
	uint64_t bw_3_rounds_ago;
	uint64_t bw_hist[128];
	unsigned int n;
};

static void watch_modes(void *arg)
{
	struct modes *m = arg;
	struct tcp_bbr_info i = cc_info(m->c);
	uint64_t now = ts->now;

	m->bw_hist[m->n++ % 128] = bbr_bw_bytes(&i);
	if (!m->left_startup && i.bbr_pacing_gain && i.bbr_pacing_gain != BBR_HIGH_GAIN) {
		m->left_startup = now;
		m->bw_at_exit = bbr_bw_bytes(&i);
		/* 60 ms ago (three 20 ms rounds) */
		m->bw_3_rounds_ago = m->bw_hist[(m->n + 128 - 61) % 128];
	}
	if (!m->probe_bw && i.bbr_cwnd_gain == BBR_CWND_GAIN)
		m->probe_bw = now;
	if (m->probe_bw && i.bbr_pacing_gain == 256 && i.bbr_cwnd_gain == 256) {
		if (!m->probe_rtt)
			m->probe_rtt = now;
		else if (tcp_sk(m->c->sk)->cong.snd_cwnd > m->probe_rtt_max_cwnd)
			m->probe_rtt_max_cwnd = tcp_sk(m->c->sk)->cong.snd_cwnd;
	} else if (m->probe_rtt && !m->probe_rtt_end) {
		m->probe_rtt_end = now;
	}
}

/*
 * STARTUP ends when the bandwidth plateaus: through a 10 Mbit/s
 * bottleneck BBR leaves STARTUP within the first second, its estimate
 * then less than 25% above what it was three rounds before (the growth
 * that would keep it there) and at 90-102% of the bottleneck's payload
 * rate; PROBE_BW's cwnd gain of 2 follows. TCP_INFO's delivery rate is
 * the bottleneck's.
 */
Test(tcp_bbr, startup_ends_at_the_bandwidth_plateau)
{
	static struct modes m;
	struct socket *c, *s;
	uint64_t start, payload_rate = 10000000 / 8 * 1448 / 1514, got;

	memset(&m, 0, sizeof(m));
	setup_link(&path_10m, "bbr");
	tcp_pair(&c, &s);
	m.c = c;
	start = ts->now;
	got = bulk(c, s, 2 * NSEC_PER_SEC, watch_modes, &m);
	cr_assert_gt(got, payload_rate, "at least a second's worth of data arrived");
	cr_assert_neq(m.left_startup, 0, "STARTUP never ended");
	cr_assert_lt(m.left_startup - start, NSEC_PER_SEC);
	cr_assert_gt(m.bw_at_exit, payload_rate * 90 / 100, "bw %llu",
		     (unsigned long long)m.bw_at_exit);
	cr_assert_leq(m.bw_at_exit, payload_rate * 102 / 100, "bw %llu",
		      (unsigned long long)m.bw_at_exit);
	cr_assert_lt(m.bw_at_exit, m.bw_3_rounds_ago * 5 / 4, "bw %llu three rounds ago %llu",
		     (unsigned long long)m.bw_at_exit, (unsigned long long)m.bw_3_rounds_ago);
	cr_assert_neq(m.probe_bw, 0, "never reached PROBE_BW");
	cr_assert_geq(m.probe_bw, m.left_startup);
	cr_assert(cc_info(c).bbr_pacing_gain == 320 || cc_info(c).bbr_pacing_gain == 192 ||
		  cc_info(c).bbr_pacing_gain == 256);
	cr_assert_eq(tcp_sk(c->sk)->total_retrans, 0, "the queue holds STARTUP's overshoot");
	/* TCP_INFO's delivery rate: the last good sample, about the bottleneck's rate. */
	{
		struct tcp_info ti;
		int len = sizeof(ti);

		cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_INFO, &ti, &len), 0);
		cr_assert_gt(ti.tcpi_delivery_rate, payload_rate * 80 / 100, "%llu",
			     (unsigned long long)ti.tcpi_delivery_rate);
		cr_assert_leq(ti.tcpi_delivery_rate, payload_rate * 105 / 100, "%llu",
			      (unsigned long long)ti.tcpi_delivery_rate);
		cr_assert_geq(ti.tcpi_delivered, ti.tcpi_bytes_acked / ti.tcpi_snd_mss);
		cr_assert_eq(ti.tcpi_delivery_rate_app_limited, 0);
	}
}

/* ---- one random loss ---- */

struct one_drop {
	struct socket *c;
	struct tcp_sock *tp;
	uint32_t data_segs, drop_at;
	uint32_t cwnd_before;	/* cwnd when the segment was dropped */
	uint32_t cwnd_at_end;	/* cwnd when the episode ended */
	uint32_t prior_cwnd;	/* cwnd when recovery began */
	uint32_t ssthresh;	/* ssthresh then */
	uint64_t bw, bw_before; /* BBR's bandwidth estimate: now, at the drop */
};

static int drop_one(void *arg, int side, const uint8_t *f, unsigned int len)
{
	struct one_drop *d = arg;

	if (side != 0 || !tcp_payload(f, len))
		return 1;
	if (++d->data_segs != d->drop_at)
		return 1;
	d->cwnd_before = d->tp->cong.snd_cwnd;
	d->bw_before = d->bw;
	return 0;
}

static void watch_cwnd(void *arg)
{
	struct one_drop *d = arg;

	if (d->tp->ca_ops->get_info) {
		struct tcp_bbr_info i = cc_info(d->c);

		d->bw = bbr_bw_bytes(&i);
	}
	if (d->cwnd_before && !d->cwnd_at_end && d->tp->total_retrans &&
	    d->tp->cong.ca_state == TCP_CA_Open) {
		d->cwnd_at_end = d->tp->cong.snd_cwnd;
		d->prior_cwnd = d->tp->cong.prior_cwnd;
		d->ssthresh = d->tp->cong.snd_ssthresh;
	}
}

/*
 * A single random loss in the steady state (10 Mbit/s, 20 ms): CUBIC
 * leaves recovery with 717/1024 of the window it had, BBR with all of it
 * (packet conservation during the recovery, then the window from before:
 * bbr_set_cwnd_to_recover_or_restore) and its bandwidth estimate intact.
 */
Test(tcp_bbr, single_loss_does_not_cut_the_window)
{
	static struct one_drop d;
	struct socket *c, *s;
	uint32_t end[2], before[2], ssthresh[2];

	for (int ca = 0; ca < 2; ca++) {
		memset(&d, 0, sizeof(d));
		setup_link(&path_10m, ca ? "cubic" : "bbr");
		tcp_pair(&c, &s);
		d.c = c;
		d.tp = tcp_sk(c->sk);
		/* BBR: ~2.3 s in, in PROBE_BW; CUBIC: before slow start overflows the queue. */
		d.drop_at = ca ? 100 : 2000;
		mem_link_set_filter(ts->link, drop_one, &d);
		bulk(c, s, 4 * NSEC_PER_SEC, watch_cwnd, &d);
		cr_assert_neq(d.cwnd_before, 0, "the drop happened");
		cr_assert_neq(d.cwnd_at_end, 0, "the loss was repaired");
		cr_assert_eq(d.tp->total_retrans, 1,
			     "%s: one retransmission, not %u (%llu dropped)", d.tp->ca_ops->name,
			     d.tp->total_retrans, (unsigned long long)mem_link_dropped(ts->link));
		before[ca] = d.prior_cwnd;
		end[ca] = d.cwnd_at_end;
		ssthresh[ca] = d.ssthresh;
		if (!ca)
			cr_assert_geq(d.bw * 100, d.bw_before * 95, "bbr bw %llu -> %llu",
				      (unsigned long long)d.bw_before, (unsigned long long)d.bw);
		teardown();
	}
	/*
	 * BBR keeps its window through the loss: no cut. Its window has 2
	 * segments more in PROBE_BW's first (1.25 gain) phase than in the others
	 * (bbr_quantization_budget), and which phase each sample lands in follows
	 * the random phase BBR entered PROBE_BW with; so "kept" is within those 2.
	 */
	cr_assert_geq(end[0] + 2, before[0], "bbr: cwnd %u -> %u", before[0], end[0]);
	cr_assert_eq(ssthresh[1], before[1] * 717 / 1024, "cubic: ssthresh %u of %u", ssthresh[1],
		     before[1]);
	/* (the window is sampled each millisecond: it may have grown by one since) */
	cr_assert_leq(end[1], ssthresh[1] + 1, "cubic: cwnd %u -> %u", before[1], end[1]);
}

/*
 * PROBE_RTT: once the path's delay grows (5 ms more each way) no RTT
 * sample matches the old minimum, and 10 s after the last one BBR drains
 * to 4 segments in flight for at least 200 ms and a round, then goes back
 * to PROBE_BW with the new minimum.
 */
Test(tcp_bbr, probe_rtt_after_ten_seconds_without_a_new_min_rtt)
{
	struct mem_link_impair imp = {.seed = 5,
				      .delay_ns = 10 * NSEC_PER_MSEC,
				      .rate_bps = 2000000,
				      .queue_bytes = 100000};
	static struct modes m;
	struct socket *c, *s;
	uint64_t raised;

	memset(&m, 0, sizeof(m));
	setup_link(&imp, "bbr");
	tcp_pair(&c, &s);
	m.c = c;
	bulk(c, s, NSEC_PER_SEC, watch_modes, &m);
	cr_assert_neq(m.probe_bw, 0);
	cr_assert(cc_info(c).bbr_min_rtt < 20000 + 10000, "min_rtt %u", cc_info(c).bbr_min_rtt);
	mem_link_set_delay(ts->link, 15 * NSEC_PER_MSEC);
	raised = ts->now;
	bulk(c, s, 11 * NSEC_PER_SEC, watch_modes, &m);
	cr_assert_neq(m.probe_rtt, 0, "PROBE_RTT never came");
	cr_assert_gt(m.probe_rtt, raised + 9 * NSEC_PER_SEC, "too early: %llu ms",
		     (unsigned long long)((m.probe_rtt - raised) / NSEC_PER_MSEC));
	cr_assert_lt(m.probe_rtt, raised + 10 * NSEC_PER_SEC + 500 * NSEC_PER_MSEC);
	cr_assert_leq(m.probe_rtt_max_cwnd, 4, "cwnd %u in PROBE_RTT", m.probe_rtt_max_cwnd);
	cr_assert_neq(m.probe_rtt_end, 0, "PROBE_RTT never ended");
	cr_assert_geq(m.probe_rtt_end - m.probe_rtt, 200 * NSEC_PER_MSEC);
	cr_assert_lt(m.probe_rtt_end - m.probe_rtt, 500 * NSEC_PER_MSEC);
	cr_assert_eq(cc_info(c).bbr_cwnd_gain, BBR_CWND_GAIN, "back to PROBE_BW");
	cr_assert_geq(cc_info(c).bbr_min_rtt, 30000, "the new minimum: %u", cc_info(c).bbr_min_rtt);
}

static int count_data(void *arg, int side, const uint8_t *f, unsigned int len)
{
	uint32_t *bytes = arg;

	if (side == 0)
		*bytes += tcp_payload(f, len);
	return 1;
}

/*
 * A BBR sender on path_10m, 1.5 s into a bulk transfer, run on until it
 * waits for its pacing timer with room in cwnd (and, with acks, an ACK due
 * before TCP_PACING_CATCHUP_MAX past the departure time); then the clock,
 * not the timers, is moved that late. Returns how many frames of *frame
 * bytes fell due meanwhile, the one due at the departure time included.
 */
static uint32_t late_while_paced(struct socket *c, struct socket *s, bool acks, uint32_t *frame)
{
	struct tcp_sock *tp = tcp_sk(c->sk);
	uint64_t late, len_ns;
	uint32_t frames;

	bulk(c, s, 1500 * NSEC_PER_MSEC, NULL, NULL);
	for (int i = 0;
	     i < 1000 &&
	     !(timer_pending(&tp->pacing_timer) &&
	       tcp_packets_in_flight(tp) + 8 < tp->cong.snd_cwnd &&
	       (!acks || mem_link_next(ts->link) < tp->tcp_wstamp_ns + TCP_PACING_CATCHUP_MAX));
	     i++)
		bulk(c, s, NSEC_PER_MSEC / 4, NULL, NULL);
	cr_assert(timer_pending(&tp->pacing_timer));
	cr_assert_eq(tp->pacing_timer.expires, tp->tcp_wstamp_ns);
	*frame = 2 * tp->mss_cache; /* tcp_tso_autosize at ~1 MB/s: min_tso_segs */
	len_ns = (uint64_t)*frame * NSEC_PER_SEC / tp->sk_pacing_rate;
	frames = (uint32_t)(TCP_PACING_CATCHUP_MAX / len_ns) + 1;
	cr_assert_geq(frames, 2, "at %llu B/s", (unsigned long long)tp->sk_pacing_rate);
	late = tp->tcp_wstamp_ns + TCP_PACING_CATCHUP_MAX;
	ts->now = late;
	net_set_time(&ts->net[0], late);
	net_set_time(&ts->net[1], late);
	return frames;
}

/*
 * The stack host may wake late (the kernel's pacing timer is an hrtimer):
 * a pacing timer that runs TCP_PACING_CATCHUP_MAX (4 ms) late sends every
 * frame that fell due meanwhile, each its length at the rate after the
 * one before, and the frame due now: not one frame, and no more.
 */
Test(tcp_bbr, late_pacing_timer_catches_up)
{
	struct socket *c, *s;
	uint32_t bytes = 0, frame, frames;

	setup_link(&path_10m, "bbr");
	tcp_pair(&c, &s);
	frames = late_while_paced(c, s, false, &frame);
	mem_link_set_filter(ts->link, count_data, &bytes);
	timer_run(&ts->net[0].timers, ts->now);
	cr_assert_eq(bytes, frames * frame, "%u bytes, %u frames of %u due", bytes, frames, frame);
	mem_link_set_filter(ts->link, NULL, NULL);
	bulk(c, s, 100 * NSEC_PER_MSEC, NULL, NULL); /* the stream goes on intact */
}

/*
 * The same late wakeup when the host's first event is an ACK, not the
 * timer (the stack host reads the link before it runs its timers): the
 * pacing timer still pending past its time says how late the host is, and
 * the ACK sends every frame that fell due meanwhile, as the timer would
 * have. Before, the ACK took the lateness as the path's: one frame and
 * half a frame's credit, and a busy host paced below the rate it set.
 */
Test(tcp_bbr, late_host_catches_up_on_an_ack_first)
{
	struct socket *c, *s;
	struct tcp_sock *tp;
	uint32_t bytes = 0, frame, frames;

	setup_link(&path_10m, "bbr");
	tcp_pair(&c, &s);
	tp = tcp_sk(c->sk);
	frames = late_while_paced(c, s, true, &frame);
	mem_link_set_filter(ts->link, count_data, &bytes);
	/* The ACKs due by now first, the timers not yet run. */
	cr_assert_gt(mem_link_deliver(ts->link, ts->now), 0);
	cr_assert(timer_pending(&tp->pacing_timer), "the timer has not run");
	cr_assert_geq(bytes, frames * frame, "%u bytes, %u frames of %u due", bytes, frames, frame);
	cr_assert_leq(bytes, (frames + 1) * frame, "%u bytes, %u frames of %u due", bytes, frames,
		      frame);
	mem_link_set_filter(ts->link, NULL, NULL);
	bulk(c, s, 100 * NSEC_PER_MSEC, NULL, NULL); /* the stream goes on intact */
}

/* The sequence number of the first data frame side 0 sends (0: none yet). */
static int first_data_seq(void *arg, int side, const uint8_t *f, unsigned int len)
{
	uint32_t *seq = arg;
	const uint8_t *tcp = f + 14 + (f[14] & 15u) * 4;

	if (side == 0 && !*seq && tcp_payload(f, len))
		*seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 |
		       tcp[7];
	return 1;
}

/*
 * The host woke late with a segment marked lost: the pacing timer, overdue,
 * would send the retransmission first (tcp_pace_kick, as the kernel's
 * tcp_tsq_write). When the owner's write comes first it does the same: the
 * lost segment leaves before any new data. Before, the write sent the new
 * data due meanwhile and the hole waited for a slot the timer won.
 */
Test(tcp_bbr, late_host_resends_before_new_data_on_a_write_first)
{
	struct socket *c, *s;
	struct tcp_sock *tp;
	struct sk_buff *head;
	uint32_t frame, seq = 0;

	setup_link(&path_10m, "bbr");
	tcp_pair(&c, &s);
	tp = tcp_sk(c->sk);
	late_while_paced(c, s, false, &frame);
	cr_assert(timer_pending(&tp->pacing_timer) && tp->pacing_timer.expires < ts->now);
	/* RACK found the oldest segment in flight lost while the host slept. */
	head = skb_peek(&c->sk->sk_write_queue);
	tcp_mark_skb_lost(c->sk, head);
	cr_assert_gt(tp->cong.snd_cwnd, tcp_packets_in_flight(tp));
	mem_link_set_filter(ts->link, first_data_seq, &seq);
	/* The owner's write queued more (its push comes first: the timers have not run). */
	cr_assert(tp->send_head, "new data waits for its pacing slot");
	tcp_push_pending_frames(c->sk, tp->nonagle);
	cr_assert_eq(seq, TCP_SKB_CB(head)->seq, "first %u, the lost one %u, snd_nxt %u", seq,
		     TCP_SKB_CB(head)->seq, tp->snd_nxt);
	mem_link_set_filter(ts->link, NULL, NULL);
	bulk(c, s, 100 * NSEC_PER_MSEC, NULL, NULL); /* the stream goes on intact */
}

/*
 * A write's check for a bubble asks that every segment marked lost has
 * gone again (tcp_rate_check_app_limited: lost_out <= retrans_out), not
 * that none is lost: a sender whose one loss is retransmitted, with
 * nothing else to send and the window open, is application-limited, as
 * the kernel marks it.
 */
Test(tcp_bbr, a_write_after_a_repaired_loss_is_app_limited)
{
	static struct one_drop d;
	static uint8_t buf[10 * 1448]; /* the initial window, sent at once */
	struct socket *c, *s;
	struct tcp_sock *tp;
	int i;

	memset(&d, 0, sizeof(d));
	setup_link(&path_10m, "bbr");
	tcp_pair(&c, &s);
	tp = tcp_sk(c->sk);
	d.c = c;
	d.tp = tp;
	d.drop_at = 3;
	mem_link_set_filter(ts->link, drop_one, &d);
	cr_assert_eq(twostack_sendto(c, buf, sizeof(buf), NULL), (int)sizeof(buf));
	for (i = 0; i < 100000 && !(tp->lost_out && tp->retrans_out >= tp->lost_out); i++)
		twostack_run_for(ts, 50 * NSEC_PER_USEC);
	cr_assert_eq(tp->lost_out, 1, "the dropped segment is marked lost");
	cr_assert_eq(tp->retrans_out, 1, "and sent again");
	cr_assert_eq(tp->write_seq, tp->snd_nxt, "nothing else waits");
	cr_assert_lt(tcp_packets_in_flight(tp), tp->cong.snd_cwnd);
	cr_assert_eq(tp->app_limited, 0, "the first write's mark is gone");
	cr_assert_eq(twostack_sendto(c, buf, 100, NULL), 100);
	cr_assert_neq(tp->app_limited, 0, "the write marks the sender app-limited");
	mem_link_set_filter(ts->link, NULL, NULL);
	twostack_run_for(ts, NSEC_PER_SEC);
	cr_assert_eq(tp->snd_una, tp->write_seq, "everything delivered");
}
