// SPDX-License-Identifier: MIT
/*
 * BBR congestion control, version 1 (net/ipv4/tcp_bbr.c; Cardwell et al.,
 * "BBR: Congestion-Based Congestion Control", ACM Queue 14(5), 2016).
 *
 * BBR models the path from the delivery-rate samples of tcp_rate.c:
 *   bottleneck bandwidth = windowed max of the delivery rate, 10 rounds
 *   min_rtt              = windowed min of the RTT, 10 s
 * and sends at pacing_gain * bw (internal pacing, tcp_output.c) with
 * cwnd = cwnd_gain * bw * min_rtt. A loss is no signal by itself: the
 * window is not cut, only held to packet conservation for the first round
 * of recovery; a policer (steady rate with heavy loss over two intervals)
 * is detected and its rate used (lt_bw).
 *
 * States: STARTUP (gain 2/ln2, until the bandwidth grows less than 25% in
 * three rounds), DRAIN (the inverse gain, until in flight is one BDP),
 * PROBE_BW (the gain cycles 5/4, 3/4, then six rounds of 1, from a random
 * phase), PROBE_RTT (after 10 s without a new min_rtt: cwnd 4 for at least
 * 200 ms and one round).
 *
 * Fixed point and constants are the kernel module's: bandwidth in
 * segments per us << 24, gains in 1/256, min_rtt in us, stamps in jiffies
 * at HZ 1000 (ms of the stack clock).
 */
#include <linux/inet_diag.h>
#include <string.h>

#include "net_namespace.h"
#include "tcp.h"

#define BW_SCALE  24
#define BW_UNIT	  (1ull << BW_SCALE)
#define BBR_SCALE 8 /* gains and fractions */
#define BBR_UNIT  (1 << BBR_SCALE)

enum bbr_mode {
	BBR_STARTUP,
	BBR_DRAIN,
	BBR_PROBE_BW,
	BBR_PROBE_RTT,
};

#define CYCLE_LEN 8 /* phases of the PROBE_BW gain cycle */

/* GSO_MAX_SIZE - 1 - MAX_TCP_HEADER (320 on x86-64) */
#define BBR_GSO_MAX_BYTES (65536 - 1 - 320)

/* The module's constants (tcp_bbr.c). */
static const uint32_t bbr_bw_rtts = CYCLE_LEN + 2; /* bandwidth filter, rounds */
static const uint32_t bbr_min_rtt_win_sec = 10;
static const uint32_t bbr_probe_rtt_mode_ms = 200;
static const uint64_t bbr_min_tso_rate = 1200000; /* bit/s: below, 1 segment per frame */
static const uint32_t bbr_pacing_margin_percent = 1;
static const uint32_t bbr_high_gain = BBR_UNIT * 2885 / 1000 + 1;
static const uint32_t bbr_drain_gain = BBR_UNIT * 1000 / 2885;
static const uint32_t bbr_cwnd_gain = BBR_UNIT * 2;
static const uint32_t bbr_pacing_gain[CYCLE_LEN] = {
	BBR_UNIT * 5 / 4, BBR_UNIT * 3 / 4, BBR_UNIT, BBR_UNIT,
	BBR_UNIT,	  BBR_UNIT,	    BBR_UNIT, BBR_UNIT,
};
static const uint32_t bbr_cycle_rand = 7;
static const uint32_t bbr_cwnd_min_target = 4;
static const uint32_t bbr_full_bw_thresh = BBR_UNIT * 5 / 4;
static const uint32_t bbr_full_bw_cnt = 3;
static const uint32_t bbr_lt_intvl_min_rtts = 4;
static const uint32_t bbr_lt_loss_thresh = 50; /* lost/delivered > 50/256 (~20%) */
static const uint32_t bbr_lt_bw_ratio = BBR_UNIT / 8;
static const uint32_t bbr_lt_bw_diff = 4000 / 8; /* bytes/s */
static const uint32_t bbr_lt_bw_max_rtts = 48;
static const uint32_t bbr_extra_acked_gain = BBR_UNIT;
static const uint32_t bbr_extra_acked_win_rtts = 5;
static const uint32_t bbr_ack_epoch_acked_reset_thresh = 1u << 20;
static const uint32_t bbr_extra_acked_max_us = 100 * 1000;

/*
 * A windowed running maximum (lib/win_minmax.c, Nichols' algorithm): the
 * best, second and third best samples of the window, so that the maximum
 * survives the expiry of the best one.
 */
struct minmax_sample {
	uint32_t t, v;
};
struct minmax {
	struct minmax_sample s[3];
};

static uint32_t minmax_get(const struct minmax *m)
{
	return m->s[0].v;
}

static void minmax_reset(struct minmax *m, uint32_t t, uint32_t v)
{
	m->s[0] = m->s[1] = m->s[2] = (struct minmax_sample){t, v};
}

/* The best sample aged out: the second and third move up (minmax_subwin_update). */
static void minmax_subwin_update(struct minmax *m, uint32_t win, struct minmax_sample val)
{
	uint32_t dt = val.t - m->s[0].t;

	if (dt > win) {
		m->s[0] = m->s[1];
		m->s[1] = m->s[2];
		m->s[2] = val;
		if (val.t - m->s[0].t > win) {
			m->s[0] = m->s[1];
			m->s[1] = m->s[2];
			m->s[2] = val;
		}
	} else if (m->s[1].t == m->s[0].t && dt > win / 4) {
		/* A quarter of the window passed with no second choice: take one. */
		m->s[2] = m->s[1] = val;
	} else if (m->s[2].t == m->s[1].t && dt > win / 2) {
		m->s[2] = val;
	}
}

static void minmax_running_max(struct minmax *m, uint32_t win, uint32_t t, uint32_t v)
{
	struct minmax_sample val = {t, v};

	if (val.v >= m->s[0].v || val.t - m->s[2].t > win) {
		minmax_reset(m, t, v); /* a new maximum, or nothing left in the window */
		return;
	}
	if (val.v >= m->s[1].v)
		m->s[2] = m->s[1] = val;
	else if (val.v >= m->s[2].v)
		m->s[2] = val;
	minmax_subwin_update(m, win, val);
}

struct bbr {
	uint64_t cycle_mstamp;	       /* ns, start of this gain cycle phase */
	uint64_t ack_epoch_mstamp;     /* ns, start of the ACK aggregation epoch */
	uint32_t min_rtt_us;	       /* min RTT in the bbr_min_rtt_win_sec window */
	uint32_t min_rtt_stamp;	       /* jiffies of min_rtt_us */
	uint32_t probe_rtt_done_stamp; /* end of PROBE_RTT, 0 = not yet known */
	struct minmax bw;	       /* max recent delivery rate, segments/us << 24 */
	uint32_t rtt_cnt;	       /* packet-timed rounds so far */
	uint32_t next_rtt_delivered;   /* tp->delivered at the end of the round */
	uint8_t mode;		       /* enum bbr_mode */
	uint8_t prev_ca_state;	       /* ca_state at the previous ACK */
	uint8_t packet_conservation : 1, round_start : 1, idle_restart : 1,
		probe_rtt_round_done : 1, lt_is_sampling : 1, lt_use_bw : 1, full_bw_reached : 1,
		has_seen_rtt : 1;
	uint8_t lt_rtt_cnt;	    /* rounds in this long-term interval */
	uint32_t lt_bw;		    /* long-term (policed) rate, segments/us << 24 */
	uint32_t lt_last_delivered; /* interval start: tp->delivered */
	uint32_t lt_last_stamp;	    /* interval start: delivered_mstamp, ms */
	uint32_t lt_last_lost;	    /* interval start: tp->lost */
	uint16_t pacing_gain, cwnd_gain;
	uint8_t full_bw_cnt; /* rounds without a 25% bandwidth gain */
	uint8_t cycle_idx;   /* phase of the gain cycle */
	uint8_t extra_acked_win_rtts, extra_acked_win_idx;
	uint32_t prior_cwnd;	  /* cwnd before recovery or PROBE_RTT */
	uint32_t full_bw;	  /* the bandwidth STARTUP last grew to */
	uint32_t ack_epoch_acked; /* segments (S)ACKed in the epoch */
	uint16_t extra_acked[2];  /* max data acked beyond bw * time, two windows */
};

_Static_assert(sizeof(struct bbr) <= TCP_CA_PRIV_SIZE, "bbr fits ca_priv");

static void bbr_check_probe_rtt_done(struct sock *sk);

static uint32_t bbr_jiffies32(const struct sock *sk)
{
	return (uint32_t)(sock_net(sk)->now / NSEC_PER_MSEC);
}

static struct bbr *bbr_ca(const struct sock *sk)
{
	return inet_csk_ca(sk);
}

static uint32_t bbr_max_bw(const struct sock *sk)
{
	return minmax_get(&bbr_ca(sk)->bw);
}

/* The path's bandwidth: the policed rate when one was found, else the max filter. */
static uint32_t bbr_bw(const struct sock *sk)
{
	const struct bbr *bbr = bbr_ca(sk);

	return bbr->lt_use_bw ? bbr->lt_bw : bbr_max_bw(sk);
}

static uint16_t bbr_extra_acked(const struct sock *sk)
{
	const struct bbr *bbr = bbr_ca(sk);

	return bbr->extra_acked[0] > bbr->extra_acked[1] ? bbr->extra_acked[0]
							 : bbr->extra_acked[1];
}

/* rate (segments/us << 24) * gain in bytes/s, 1% under (bbr_rate_bytes_per_sec). */
static uint64_t bbr_rate_bytes_per_sec(const struct sock *sk, uint64_t rate, uint32_t gain)
{
	rate *= tcp_sk(sk)->mss_cache;
	rate *= gain;
	rate >>= BBR_SCALE;
	rate *= 1000000 / 100 * (100 - bbr_pacing_margin_percent);
	return rate >> BW_SCALE;
}

static uint64_t bbr_bw_to_pacing_rate(const struct sock *sk, uint32_t bw, uint32_t gain)
{
	uint64_t rate = bbr_rate_bytes_per_sec(sk, bw, gain);
	uint64_t max = sk->sk_max_pacing_rate;

	return rate < max ? rate : max;
}

/* Before any bandwidth sample: high_gain * cwnd / RTT (1 ms before an RTT sample). */
static void bbr_init_pacing_rate_from_rtt(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct bbr *bbr = bbr_ca(sk);
	uint64_t rtt_us = 1000, bw;

	if (tp->srtt) {
		rtt_us = tp->srtt / NSEC_PER_USEC;
		if (!rtt_us)
			rtt_us = 1;
		bbr->has_seen_rtt = 1;
	}
	bw = (uint64_t)tp->cong.snd_cwnd * BW_UNIT / rtt_us;
	tp->sk_pacing_rate = bbr_bw_to_pacing_rate(sk, (uint32_t)bw, bbr_high_gain);
}

/* Until the pipe is full the rate only grows (bbr_set_pacing_rate). */
static void bbr_set_pacing_rate(struct sock *sk, uint32_t bw, uint32_t gain)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct bbr *bbr = bbr_ca(sk);
	uint64_t rate = bbr_bw_to_pacing_rate(sk, bw, gain);

	if (!bbr->has_seen_rtt && tp->srtt)
		bbr_init_pacing_rate_from_rtt(sk);
	if (bbr->full_bw_reached || rate > tp->sk_pacing_rate)
		tp->sk_pacing_rate = rate;
}

/* One segment per frame below 1.2 Mbit/s, else two (overrides tcp_min_tso_segs). */
static uint32_t bbr_min_tso_segs(struct sock *sk)
{
	return tcp_sk(sk)->sk_pacing_rate < (bbr_min_tso_rate >> 3) ? 1 : 2;
}

/* Segments per frame at the pacing rate, ignoring the device's limit (bbr_tso_segs_goal). */
static uint32_t bbr_tso_segs_goal(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint64_t bytes = tp->sk_pacing_rate >> 10; /* sk_pacing_shift */
	uint32_t segs, min = bbr_min_tso_segs(sk);

	if (bytes > BBR_GSO_MAX_BYTES)
		bytes = BBR_GSO_MAX_BYTES;
	segs = (uint32_t)(bytes / tp->mss_cache);
	if (segs < min)
		segs = min;
	return segs < 0x7f ? segs : 0x7f;
}

/* The last good cwnd, restored after recovery or PROBE_RTT (bbr_save_cwnd). */
static void bbr_save_cwnd(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct bbr *bbr = bbr_ca(sk);

	if (bbr->prev_ca_state < TCP_CA_Recovery && bbr->mode != BBR_PROBE_RTT)
		bbr->prior_cwnd = tp->cong.snd_cwnd;
	else if (tp->cong.snd_cwnd > bbr->prior_cwnd)
		bbr->prior_cwnd = tp->cong.snd_cwnd;
}

/* Sending restarts after idle: pace at the estimate, no faster (bbr_cwnd_event). */
static void bbr_cwnd_event(struct sock *sk, enum tcp_ca_event event)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct bbr *bbr = bbr_ca(sk);

	if (event == CA_EVENT_TX_START && tp->app_limited) {
		bbr->idle_restart = 1;
		bbr->ack_epoch_mstamp = sock_net(sk)->now;
		bbr->ack_epoch_acked = 0;
		if (bbr->mode == BBR_PROBE_BW)
			bbr_set_pacing_rate(sk, bbr_bw(sk), BBR_UNIT);
		else if (bbr->mode == BBR_PROBE_RTT)
			bbr_check_probe_rtt_done(sk);
	}
}

/* ceil(bw * min_rtt * gain) in segments; the initial window before any RTT (bbr_bdp). */
static uint32_t bbr_bdp(struct sock *sk, uint32_t bw, uint32_t gain)
{
	const struct bbr *bbr = bbr_ca(sk);
	uint64_t w;

	if (bbr->min_rtt_us == ~0u)
		return TCP_INIT_CWND;
	w = (uint64_t)bw * bbr->min_rtt_us;
	return (uint32_t)((((w * gain) >> BBR_SCALE) + BW_UNIT - 1) / BW_UNIT);
}

/*
 * Room for the frames in the sender's and receiver's offload engines, an
 * even count for delayed ACKs, and two more in the probing phase
 * (bbr_quantization_budget).
 */
static uint32_t bbr_quantization_budget(struct sock *sk, uint32_t cwnd)
{
	const struct bbr *bbr = bbr_ca(sk);

	cwnd += 3 * bbr_tso_segs_goal(sk);
	cwnd = (cwnd + 1) & ~1u;
	if (bbr->mode == BBR_PROBE_BW && bbr->cycle_idx == 0)
		cwnd += 2;
	return cwnd;
}

static uint32_t bbr_inflight(struct sock *sk, uint32_t bw, uint32_t gain)
{
	return bbr_quantization_budget(sk, bbr_bdp(sk, bw, gain));
}

/*
 * What is in the network at the next departure time (bbr_packets_in_net_at_edt):
 * in flight now, less what the bandwidth delivers until the pacing lets the
 * next frame go, plus that frame when probing upwards.
 */
static uint32_t bbr_packets_in_net_at_edt(struct sock *sk, uint32_t inflight_now)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct bbr *bbr = bbr_ca(sk);
	uint64_t now = sock_net(sk)->now;
	uint64_t edt = tp->tcp_wstamp_ns > now ? tp->tcp_wstamp_ns : now;
	uint64_t interval_us = (edt - now) / NSEC_PER_USEC;
	uint32_t delivered = (uint32_t)(((uint64_t)bbr_bw(sk) * interval_us) >> BW_SCALE);
	uint32_t inflight_at_edt = inflight_now;

	if (bbr->pacing_gain > BBR_UNIT)
		inflight_at_edt += bbr_tso_segs_goal(sk);
	return delivered >= inflight_at_edt ? 0 : inflight_at_edt - delivered;
}

/* cwnd headroom for ACK aggregation, once the pipe is full (bbr_ack_aggregation_cwnd). */
static uint32_t bbr_ack_aggregation_cwnd(struct sock *sk)
{
	uint32_t max_aggr, aggr = 0;

	if (bbr_extra_acked_gain && bbr_ca(sk)->full_bw_reached) {
		max_aggr = (uint32_t)((uint64_t)bbr_bw(sk) * bbr_extra_acked_max_us / BW_UNIT);
		aggr = (bbr_extra_acked_gain * bbr_extra_acked(sk)) >> BBR_SCALE;
		if (aggr > max_aggr)
			aggr = max_aggr;
	}
	return aggr;
}

/*
 * Loss recovery without a cut (bbr_set_cwnd_to_recover_or_restore): lost
 * segments leave the window; the first round of recovery sends one per one
 * delivered (packet conservation), later ones slow-start back; leaving
 * recovery restores the window from before it. True while conserving.
 */
static bool bbr_set_cwnd_to_recover_or_restore(struct sock *sk, const struct rate_sample *rs,
					       uint32_t acked, uint32_t *new_cwnd)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct bbr *bbr = bbr_ca(sk);
	uint8_t prev_state = bbr->prev_ca_state, state = tp->cong.ca_state;
	uint32_t cwnd = tp->cong.snd_cwnd;

	if (rs->losses > 0)
		cwnd = cwnd > (uint32_t)rs->losses + 1 ? cwnd - (uint32_t)rs->losses : 1;
	if (state == TCP_CA_Recovery && prev_state != TCP_CA_Recovery) {
		bbr->packet_conservation = 1;
		bbr->next_rtt_delivered = tp->delivered; /* the round starts now */
		cwnd = tcp_packets_in_flight(tp) + acked;
	} else if (prev_state >= TCP_CA_Recovery && state < TCP_CA_Recovery) {
		if (bbr->prior_cwnd > cwnd)
			cwnd = bbr->prior_cwnd;
		bbr->packet_conservation = 0;
	}
	bbr->prev_ca_state = state;
	if (bbr->packet_conservation) {
		uint32_t conserve = tcp_packets_in_flight(tp) + acked;

		*new_cwnd = cwnd > conserve ? cwnd : conserve;
		return true;
	}
	*new_cwnd = cwnd;
	return false;
}

/* Slow-start towards the target window, or snap down to it once the pipe is full. */
static void bbr_set_cwnd(struct sock *sk, const struct rate_sample *rs, uint32_t acked, uint32_t bw,
			 uint32_t gain)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct bbr *bbr = bbr_ca(sk);
	uint32_t cwnd = tp->cong.snd_cwnd, target;

	if (!acked)
		goto done;
	if (bbr_set_cwnd_to_recover_or_restore(sk, rs, acked, &cwnd))
		goto done;
	target = bbr_bdp(sk, bw, gain);
	target += bbr_ack_aggregation_cwnd(sk);
	target = bbr_quantization_budget(sk, target);
	if (bbr->full_bw_reached)
		cwnd = cwnd + acked < target ? cwnd + acked : target;
	else if (cwnd < target || tp->delivered < TCP_INIT_CWND)
		cwnd = cwnd + acked;
	if (cwnd < bbr_cwnd_min_target)
		cwnd = bbr_cwnd_min_target;
done:
	tp->cong.snd_cwnd = cwnd < tp->cong.snd_cwnd_clamp ? cwnd : tp->cong.snd_cwnd_clamp;
	if (bbr->mode == BBR_PROBE_RTT && tp->cong.snd_cwnd > bbr_cwnd_min_target)
		tp->cong.snd_cwnd = bbr_cwnd_min_target;
}

/* Does this gain phase end (bbr_is_next_cycle_phase)? */
static bool bbr_is_next_cycle_phase(struct sock *sk, const struct rate_sample *rs)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct bbr *bbr = bbr_ca(sk);
	bool is_full_length =
		(tp->delivered_mstamp - bbr->cycle_mstamp) / NSEC_PER_USEC > bbr->min_rtt_us;
	uint32_t inflight, bw;

	if (bbr->pacing_gain == BBR_UNIT)
		return is_full_length;
	inflight = bbr_packets_in_net_at_edt(sk, rs->prior_in_flight);
	bw = bbr_max_bw(sk);
	/* Probing up: until in flight reaches gain * BDP, unless that loses. */
	if (bbr->pacing_gain > BBR_UNIT)
		return is_full_length &&
		       (rs->losses || inflight >= bbr_inflight(sk, bw, bbr->pacing_gain));
	/* Draining: until the queue the probe built is gone. */
	return is_full_length || inflight <= bbr_inflight(sk, bw, BBR_UNIT);
}

static void bbr_advance_cycle_phase(struct sock *sk)
{
	struct bbr *bbr = bbr_ca(sk);

	bbr->cycle_idx = (bbr->cycle_idx + 1) & (CYCLE_LEN - 1);
	bbr->cycle_mstamp = tcp_sk(sk)->delivered_mstamp;
}

static void bbr_update_cycle_phase(struct sock *sk, const struct rate_sample *rs)
{
	if (bbr_ca(sk)->mode == BBR_PROBE_BW && bbr_is_next_cycle_phase(sk, rs))
		bbr_advance_cycle_phase(sk);
}

/* prandom_u32_max(): the phase only needs to differ between flows. */
static uint32_t bbr_random_below(const struct sock *sk, uint32_t bound)
{
	const struct net *net = sock_net(sk);
	uint32_t x = net->isn_secret[2] ^ (uint32_t)(net->now >> 10) ^ tcp_sk(sk)->snd_nxt ^
		     (uint32_t)(uintptr_t)sk;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x % bound;
}

/* PROBE_BW from a random phase other than the draining one (bbr_reset_probe_bw_mode). */
static void bbr_reset_probe_bw_mode(struct sock *sk)
{
	struct bbr *bbr = bbr_ca(sk);

	bbr->mode = BBR_PROBE_BW;
	bbr->cycle_idx = (uint8_t)(CYCLE_LEN - 1 - bbr_random_below(sk, bbr_cycle_rand));
	bbr_advance_cycle_phase(sk);
}

static void bbr_reset_mode(struct sock *sk)
{
	if (!bbr_ca(sk)->full_bw_reached)
		bbr_ca(sk)->mode = BBR_STARTUP;
	else
		bbr_reset_probe_bw_mode(sk);
}

/* A new long-term sampling interval starts (bbr_reset_lt_bw_sampling_interval). */
static void bbr_reset_lt_bw_sampling_interval(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct bbr *bbr = bbr_ca(sk);

	bbr->lt_last_stamp = (uint32_t)(tp->delivered_mstamp / NSEC_PER_MSEC);
	bbr->lt_last_delivered = tp->delivered;
	bbr->lt_last_lost = tp->lost;
	bbr->lt_rtt_cnt = 0;
}

static void bbr_reset_lt_bw_sampling(struct sock *sk)
{
	struct bbr *bbr = bbr_ca(sk);

	bbr->lt_bw = 0;
	bbr->lt_use_bw = 0;
	bbr->lt_is_sampling = 0;
	bbr_reset_lt_bw_sampling_interval(sk);
}

/* Two lossy intervals at about the same rate: a policer (bbr_lt_bw_interval_done). */
static void bbr_lt_bw_interval_done(struct sock *sk, uint32_t bw)
{
	struct bbr *bbr = bbr_ca(sk);

	if (bbr->lt_bw) {
		uint32_t diff = bw > bbr->lt_bw ? bw - bbr->lt_bw : bbr->lt_bw - bw;

		if ((uint64_t)diff * BBR_UNIT <= (uint64_t)bbr_lt_bw_ratio * bbr->lt_bw ||
		    bbr_rate_bytes_per_sec(sk, diff, BBR_UNIT) <= bbr_lt_bw_diff) {
			bbr->lt_bw = (bw + bbr->lt_bw) >> 1;
			bbr->lt_use_bw = 1;
			bbr->pacing_gain = BBR_UNIT;
			bbr->lt_rtt_cnt = 0;
			return;
		}
	}
	bbr->lt_bw = bw;
	bbr_reset_lt_bw_sampling_interval(sk);
}

/*
 * Token-bucket policer detection (bbr_lt_bw_sampling): from the first loss,
 * intervals of 4 to 16 rounds that end in a loss with more than ~20% lost;
 * two in a row at a consistent rate make that rate the estimate for 48
 * rounds.
 */
static void bbr_lt_bw_sampling(struct sock *sk, const struct rate_sample *rs)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct bbr *bbr = bbr_ca(sk);
	uint32_t lost, delivered, t;
	uint64_t bw;

	if (bbr->lt_use_bw) {
		if (bbr->mode == BBR_PROBE_BW && bbr->round_start &&
		    ++bbr->lt_rtt_cnt >= bbr_lt_bw_max_rtts) {
			bbr_reset_lt_bw_sampling(sk);
			bbr_reset_probe_bw_mode(sk);
		}
		return;
	}
	if (!bbr->lt_is_sampling) {
		if (!rs->losses)
			return;
		bbr_reset_lt_bw_sampling_interval(sk);
		bbr->lt_is_sampling = 1;
	}
	if (rs->is_app_limited) {
		bbr_reset_lt_bw_sampling(sk);
		return;
	}
	if (bbr->round_start)
		bbr->lt_rtt_cnt++;
	if (bbr->lt_rtt_cnt < bbr_lt_intvl_min_rtts)
		return;
	if (bbr->lt_rtt_cnt > 4 * bbr_lt_intvl_min_rtts) {
		bbr_reset_lt_bw_sampling(sk);
		return;
	}
	if (!rs->losses)
		return;
	lost = tp->lost - bbr->lt_last_lost;
	delivered = tp->delivered - bbr->lt_last_delivered;
	if (!delivered || (uint64_t)lost << BBR_SCALE < (uint64_t)bbr_lt_loss_thresh * delivered)
		return;
	t = (uint32_t)(tp->delivered_mstamp / NSEC_PER_MSEC) - bbr->lt_last_stamp;
	if ((int32_t)t < 1)
		return;
	if (t >= ~0u / 1000) {
		bbr_reset_lt_bw_sampling(sk);
		return;
	}
	bw = (uint64_t)delivered * BW_UNIT / ((uint64_t)t * 1000);
	bbr_lt_bw_interval_done(sk, (uint32_t)bw);
}

/* A bandwidth sample into the max filter; rounds counted by delivery (bbr_update_bw). */
static void bbr_update_bw(struct sock *sk, const struct rate_sample *rs)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct bbr *bbr = bbr_ca(sk);
	uint64_t bw;

	bbr->round_start = 0;
	if (rs->delivered < 0 || rs->interval_us <= 0)
		return;
	if (!before(rs->prior_delivered, bbr->next_rtt_delivered)) {
		bbr->next_rtt_delivered = tp->delivered;
		bbr->rtt_cnt++;
		bbr->round_start = 1;
		bbr->packet_conservation = 0;
	}
	bbr_lt_bw_sampling(sk, rs);
	bw = (uint64_t)rs->delivered * BW_UNIT / (uint64_t)rs->interval_us;
	if (bw > UINT32_MAX)
		bw = UINT32_MAX;
	/* An app-limited sample counts only when it shows more than the model. */
	if (!rs->is_app_limited || bw >= bbr_max_bw(sk))
		minmax_running_max(&bbr->bw, bbr_bw_rtts, bbr->rtt_cnt, (uint32_t)bw);
}

/* The windowed max of data acked beyond bw * time (bbr_update_ack_aggregation). */
static void bbr_update_ack_aggregation(struct sock *sk, const struct rate_sample *rs)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct bbr *bbr = bbr_ca(sk);
	uint32_t epoch_us, expected_acked, extra_acked;

	if (!bbr_extra_acked_gain || !rs->acked_sacked || rs->delivered < 0 || rs->interval_us <= 0)
		return;
	if (bbr->round_start) {
		if (bbr->extra_acked_win_rtts < 0x1f)
			bbr->extra_acked_win_rtts++;
		if (bbr->extra_acked_win_rtts >= bbr_extra_acked_win_rtts) {
			bbr->extra_acked_win_rtts = 0;
			bbr->extra_acked_win_idx = bbr->extra_acked_win_idx ? 0 : 1;
			bbr->extra_acked[bbr->extra_acked_win_idx] = 0;
		}
	}
	epoch_us = (uint32_t)((tp->delivered_mstamp - bbr->ack_epoch_mstamp) / NSEC_PER_USEC);
	expected_acked = (uint32_t)((uint64_t)bbr_bw(sk) * epoch_us / BW_UNIT);
	if (bbr->ack_epoch_acked <= expected_acked ||
	    bbr->ack_epoch_acked + rs->acked_sacked >= bbr_ack_epoch_acked_reset_thresh) {
		bbr->ack_epoch_acked = 0;
		bbr->ack_epoch_mstamp = tp->delivered_mstamp;
		expected_acked = 0;
	}
	bbr->ack_epoch_acked += rs->acked_sacked;
	if (bbr->ack_epoch_acked > 0xfffff)
		bbr->ack_epoch_acked = 0xfffff;
	extra_acked = bbr->ack_epoch_acked - expected_acked;
	if (extra_acked > tp->cong.snd_cwnd)
		extra_acked = tp->cong.snd_cwnd;
	if (extra_acked > 0xffff)
		extra_acked = 0xffff;
	if (extra_acked > bbr->extra_acked[bbr->extra_acked_win_idx])
		bbr->extra_acked[bbr->extra_acked_win_idx] = (uint16_t)extra_acked;
}

/* STARTUP filled the pipe: three rounds without 25% more bandwidth (bbr_check_full_bw_reached). */
static void bbr_check_full_bw_reached(struct sock *sk, const struct rate_sample *rs)
{
	struct bbr *bbr = bbr_ca(sk);
	uint32_t bw_thresh;

	if (bbr->full_bw_reached || !bbr->round_start || rs->is_app_limited)
		return;
	bw_thresh = (uint32_t)(((uint64_t)bbr->full_bw * bbr_full_bw_thresh) >> BBR_SCALE);
	if (bbr_max_bw(sk) >= bw_thresh) {
		bbr->full_bw = bbr_max_bw(sk);
		bbr->full_bw_cnt = 0;
		return;
	}
	++bbr->full_bw_cnt;
	bbr->full_bw_reached = bbr->full_bw_cnt >= bbr_full_bw_cnt;
}

/* STARTUP -> DRAIN when the pipe is full, DRAIN -> PROBE_BW at one BDP in flight. */
static void bbr_check_drain(struct sock *sk, const struct rate_sample *rs)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct bbr *bbr = bbr_ca(sk);

	(void)rs;
	if (bbr->mode == BBR_STARTUP && bbr->full_bw_reached) {
		bbr->mode = BBR_DRAIN;
		tp->cong.snd_ssthresh = bbr_inflight(sk, bbr_max_bw(sk), BBR_UNIT);
	}
	if (bbr->mode == BBR_DRAIN && bbr_packets_in_net_at_edt(sk, tcp_packets_in_flight(tp)) <=
					      bbr_inflight(sk, bbr_max_bw(sk), BBR_UNIT))
		bbr_reset_probe_bw_mode(sk);
}

/* PROBE_RTT lasted 200 ms and a round: back to the earlier mode and window. */
static void bbr_check_probe_rtt_done(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct bbr *bbr = bbr_ca(sk);
	uint32_t now = bbr_jiffies32(sk);

	if (!(bbr->probe_rtt_done_stamp && after(now, bbr->probe_rtt_done_stamp)))
		return;
	bbr->min_rtt_stamp = now; /* the next PROBE_RTT in 10 s at the earliest */
	if (bbr->prior_cwnd > tp->cong.snd_cwnd)
		tp->cong.snd_cwnd = bbr->prior_cwnd;
	bbr_reset_mode(sk);
}

/*
 * The min_rtt filter, and PROBE_RTT when it expires (bbr_update_min_rtt):
 * 10 s without a sample as low as min_rtt means the queue never drained;
 * in flight drops to 4 segments for 200 ms and a round to see the path's
 * own delay.
 */
static void bbr_update_min_rtt(struct sock *sk, const struct rate_sample *rs)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct bbr *bbr = bbr_ca(sk);
	uint32_t now = bbr_jiffies32(sk);
	bool filter_expired = after(now, bbr->min_rtt_stamp + bbr_min_rtt_win_sec * 1000);

	if (rs->rtt_us >= 0 &&
	    ((uint64_t)rs->rtt_us <= bbr->min_rtt_us || (filter_expired && !rs->is_ack_delayed))) {
		bbr->min_rtt_us = (uint32_t)rs->rtt_us;
		bbr->min_rtt_stamp = now;
	}
	if (bbr_probe_rtt_mode_ms > 0 && filter_expired && !bbr->idle_restart &&
	    bbr->mode != BBR_PROBE_RTT) {
		bbr->mode = BBR_PROBE_RTT;
		bbr_save_cwnd(sk);
		bbr->probe_rtt_done_stamp = 0;
	}
	if (bbr->mode == BBR_PROBE_RTT) {
		uint32_t mark = tp->delivered + tcp_packets_in_flight(tp);

		/* Its low-rate samples say nothing of the path. */
		tp->app_limited = mark ? mark : 1;
		if (!bbr->probe_rtt_done_stamp &&
		    tcp_packets_in_flight(tp) <= bbr_cwnd_min_target) {
			bbr->probe_rtt_done_stamp = now + bbr_probe_rtt_mode_ms;
			bbr->probe_rtt_round_done = 0;
			bbr->next_rtt_delivered = tp->delivered;
		} else if (bbr->probe_rtt_done_stamp) {
			if (bbr->round_start)
				bbr->probe_rtt_round_done = 1;
			if (bbr->probe_rtt_round_done)
				bbr_check_probe_rtt_done(sk);
		}
	}
	if (rs->delivered > 0)
		bbr->idle_restart = 0;
}

static void bbr_update_gains(struct sock *sk)
{
	struct bbr *bbr = bbr_ca(sk);

	switch (bbr->mode) {
	case BBR_STARTUP:
		bbr->pacing_gain = (uint16_t)bbr_high_gain;
		bbr->cwnd_gain = (uint16_t)bbr_high_gain;
		break;
	case BBR_DRAIN:
		bbr->pacing_gain = (uint16_t)bbr_drain_gain;
		bbr->cwnd_gain = (uint16_t)bbr_high_gain;
		break;
	case BBR_PROBE_BW:
		bbr->pacing_gain =
			(uint16_t)(bbr->lt_use_bw ? BBR_UNIT : bbr_pacing_gain[bbr->cycle_idx]);
		bbr->cwnd_gain = (uint16_t)bbr_cwnd_gain;
		break;
	default: /* BBR_PROBE_RTT */
		bbr->pacing_gain = BBR_UNIT;
		bbr->cwnd_gain = BBR_UNIT;
		break;
	}
}

/* Every ACK (bbr_main): the model, then the pacing rate and the window from it. */
static void bbr_main(struct sock *sk, const struct rate_sample *rs)
{
	struct bbr *bbr = bbr_ca(sk);
	uint32_t bw;

	bbr_update_bw(sk, rs);
	bbr_update_ack_aggregation(sk, rs);
	bbr_update_cycle_phase(sk, rs);
	bbr_check_full_bw_reached(sk, rs);
	bbr_check_drain(sk, rs);
	bbr_update_min_rtt(sk, rs);
	bbr_update_gains(sk);
	bw = bbr_bw(sk);
	bbr_set_pacing_rate(sk, bw, bbr->pacing_gain);
	bbr_set_cwnd(sk, rs, rs->acked_sacked, bw, bbr->cwnd_gain);
}

static void bbr_init(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct bbr *bbr = bbr_ca(sk);
	uint64_t min_rtt = tcp_min_rtt(tp);

	memset(bbr, 0, sizeof(*bbr));
	tp->cong.snd_ssthresh = TCP_INFINITE_SSTHRESH;
	bbr->prev_ca_state = TCP_CA_Open;
	bbr->min_rtt_us = min_rtt == UINT64_MAX ? ~0u : (uint32_t)(min_rtt / NSEC_PER_USEC);
	bbr->min_rtt_stamp = bbr_jiffies32(sk);
	minmax_reset(&bbr->bw, bbr->rtt_cnt, 0);
	bbr_init_pacing_rate_from_rtt(sk);
	bbr_reset_lt_bw_sampling(sk);
	bbr->mode = BBR_STARTUP;
	bbr->ack_epoch_mstamp = sock_net(sk)->now;
	tp->sk_pacing_status = SK_PACING_NEEDED;
}

/* Three windows of send buffer: BBR may slow-start even in recovery. */
static uint32_t bbr_sndbuf_expand(struct sock *sk)
{
	(void)sk;
	return 3;
}

/* Nothing was cut to undo; the bandwidth plateau count starts over (bbr_undo_cwnd). */
static uint32_t bbr_undo_cwnd(struct sock *sk)
{
	struct bbr *bbr = bbr_ca(sk);

	bbr->full_bw = 0;
	bbr->full_bw_cnt = 0;
	bbr_reset_lt_bw_sampling(sk);
	return tcp_sk(sk)->cong.snd_cwnd;
}

/* Recovery begins: note the window to come back to; ssthresh stays (bbr_ssthresh). */
static uint32_t bbr_ssthresh(struct sock *sk)
{
	bbr_save_cwnd(sk);
	return tcp_sk(sk)->cong.snd_ssthresh;
}

/* TCP_CC_INFO and INET_DIAG_BBRINFO: struct tcp_bbr_info (bbr_get_info). */
static size_t bbr_get_info(struct sock *sk, uint32_t ext, int *attr, union tcp_cc_info *info)
{
	if (ext & (1u << (INET_DIAG_BBRINFO - 1)) || ext & (1u << (INET_DIAG_VEGASINFO - 1))) {
		struct tcp_sock *tp = tcp_sk(sk);
		struct bbr *bbr = bbr_ca(sk);
		uint64_t bw = (uint64_t)bbr_bw(sk) * tp->mss_cache * 1000000 >> BW_SCALE;

		memset(&info->bbr, 0, sizeof(info->bbr));
		info->bbr.bbr_bw_lo = (uint32_t)bw;
		info->bbr.bbr_bw_hi = (uint32_t)(bw >> 32);
		info->bbr.bbr_min_rtt = bbr->min_rtt_us;
		info->bbr.bbr_pacing_gain = bbr->pacing_gain;
		info->bbr.bbr_cwnd_gain = bbr->cwnd_gain;
		*attr = INET_DIAG_BBRINFO;
		return sizeof(info->bbr);
	}
	return 0;
}

/* An RTO: the end of a round with a loss, for the policer detection (bbr_set_state). */
static void bbr_set_state(struct sock *sk, uint8_t new_state)
{
	struct bbr *bbr = bbr_ca(sk);

	if (new_state == TCP_CA_Loss) {
		struct rate_sample rs = {.losses = 1};

		bbr->prev_ca_state = TCP_CA_Loss;
		bbr->full_bw = 0;
		bbr->round_start = 1;
		bbr_lt_bw_sampling(sk, &rs);
	}
}

const struct tcp_congestion_ops tcp_bbr = {
	.name = "bbr",
	.init = bbr_init,
	.cong_control = bbr_main,
	.sndbuf_expand = bbr_sndbuf_expand,
	.undo_cwnd = bbr_undo_cwnd,
	.cwnd_event = bbr_cwnd_event,
	.ssthresh = bbr_ssthresh,
	.min_tso_segs = bbr_min_tso_segs,
	.get_info = bbr_get_info,
	.set_state = bbr_set_state,
};
