// SPDX-License-Identifier: MIT
/*
 * CUBIC (RFC 9438, net/ipv4/tcp_cubic.c) with HyStart: the window grows as
 * a cubic function of the time since the last reduction, centred on the
 * window where the loss happened (W_max), with the kernel's constants
 * (beta 717/1024, C = 0.4 as bic_scale 41), fast convergence, the
 * Reno-friendly region, and HyStart's ACK-train and delay detection to
 * leave slow start before it overshoots.
 *
 * Times are the kernel's jiffies at HZ 1000 (milliseconds of the stack
 * clock) and microseconds, so the fixed-point arithmetic is the kernel's.
 * What this is not: no pacing, so HyStart's ACK-train threshold never
 * includes the pacing delay (hystart_ack_delay is 0 as for an unpaced flow).
 */
#include "net_namespace.h"
#include "tcp.h"

#define BICTCP_BETA_SCALE 1024 /* scale of beta */
#define BICTCP_HZ	  10   /* BIC HZ 2^10 = 1024 */
#define CUBIC_HZ	  1000 /* the jiffies used below: milliseconds */

#define HYSTART_ACK_TRAIN    0x1
#define HYSTART_DELAY	     0x2
#define HYSTART_MIN_SAMPLES  8
#define HYSTART_DELAY_MIN    4000U  /* us */
#define HYSTART_DELAY_MAX    16000U /* us */
#define HYSTART_LOW_WINDOW   16
#define HYSTART_ACK_DELTA_US 2000

/* The module parameters, at the kernel's defaults. */
#define FAST_CONVERGENCE 1
#define BETA		 717 /* = 717/1024 (BICTCP_BETA_SCALE) */
#define BIC_SCALE	 41
#define CUBE_RTT_SCALE	 (BIC_SCALE * 10)
/* 1 / (C * RTT scale) in 2^(10 + 3 * BICTCP_HZ) units (cube_factor). */
#define CUBE_FACTOR ((1ull << (10 + 3 * BICTCP_HZ)) / (BIC_SCALE * 10))
/* The Reno-friendly region's growth: 3 (1 - beta) / (1 + beta), scaled by 8 (beta_scale). */
#define BETA_SCALE (8 * (BICTCP_BETA_SCALE + BETA) / 3 / (BICTCP_BETA_SCALE - BETA))

struct bictcp {
	uint32_t cnt;		   /* increase cwnd by 1 after this many ACKs */
	uint32_t last_max_cwnd;	   /* W_max: the window before the last reduction */
	uint32_t last_cwnd;	   /* the window at the last update */
	uint32_t last_time;	   /* jiffies of that update */
	uint32_t bic_origin_point; /* the cubic's plateau */
	uint32_t bic_K;		   /* time to the plateau from the epoch's start, 2^-10 s */
	uint32_t delay_min;	   /* the smallest RTT seen, us */
	uint32_t epoch_start;	   /* jiffies when this epoch began, 0 = none */
	uint32_t ack_cnt;	   /* ACKed segments this epoch */
	uint32_t tcp_cwnd;	   /* what Reno would have by now */
	uint8_t sample_cnt;	   /* RTT samples this round (HyStart delay) */
	uint8_t found;		   /* HyStart left slow start */
	uint32_t round_start;	   /* us, the round's start */
	uint32_t end_seq;	   /* the round ends when this is acked */
	uint32_t last_ack;	   /* us, the last ACK close to its predecessor */
	uint32_t curr_rtt;	   /* the round's smallest RTT, us */
};

_Static_assert(sizeof(struct bictcp) <= TCP_CA_PRIV_SIZE, "bictcp fits ca_priv");

static uint32_t tcp_jiffies32(const struct sock *sk)
{
	return (uint32_t)(sock_net(sk)->now / NSEC_PER_MSEC);
}

static uint32_t bictcp_clock_us(const struct sock *sk)
{
	return (uint32_t)(sock_net(sk)->now / 1000);
}

static void bictcp_reset(struct bictcp *ca)
{
	*ca = (struct bictcp){0};
}

static void bictcp_hystart_reset(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct bictcp *ca = inet_csk_ca(sk);

	ca->round_start = ca->last_ack = bictcp_clock_us(sk);
	ca->end_seq = tp->snd_nxt;
	ca->curr_rtt = ~0U;
	ca->sample_cnt = 0;
}

static void cubictcp_init(struct sock *sk)
{
	bictcp_reset(inet_csk_ca(sk));
	bictcp_hystart_reset(sk);
}

/* Sending resumed after idle: the epoch moves on by the idle time (cubictcp_cwnd_event). */
static void cubictcp_cwnd_event(struct sock *sk, enum tcp_ca_event event)
{
	struct bictcp *ca = inet_csk_ca(sk);

	if (event == CA_EVENT_TX_START && ca->epoch_start) {
		uint32_t now = tcp_jiffies32(sk);
		int32_t delta = (int32_t)(now - (uint32_t)(tcp_sk(sk)->lsndtime / NSEC_PER_MSEC));

		if (delta > 0) {
			ca->epoch_start += (uint32_t)delta;
			if ((int32_t)(ca->epoch_start - now) > 0)
				ca->epoch_start = now;
		}
	}
}

/* The cube root of a (cubic_root), by a table guess and one Newton-Raphson step. */
static uint32_t cubic_root(uint64_t a)
{
	static const uint8_t v[] = {
		0,   54,  54,  54,  118, 118, 118, 118, 123, 129, 134, 138, 143, 147, 151, 156,
		157, 161, 164, 168, 170, 173, 176, 179, 181, 185, 187, 190, 192, 194, 197, 199,
		200, 202, 204, 206, 209, 211, 213, 215, 217, 219, 221, 222, 224, 225, 227, 229,
		231, 232, 234, 236, 237, 239, 240, 242, 244, 245, 246, 248, 250, 251, 252, 254,
	};
	uint32_t x, b, shift;

	b = a ? 64u - (uint32_t)__builtin_clzll(a) : 0;
	if (b < 7)
		return ((uint32_t)v[(uint32_t)a] + 35) >> 6;
	b = ((b * 84) >> 8) - 1;
	shift = (uint32_t)(a >> (b * 3));
	x = ((uint32_t)(((uint32_t)v[shift] + 10) << b)) >> 6;
	/* Newton-Raphson: x = (2 x + a / x^2) / 3, the division by 3 as * 341 >> 10. */
	x = (2 * x + (uint32_t)(a / ((uint64_t)x * (uint64_t)(x - 1))));
	x = ((x * 341) >> 10);
	return x;
}

/* The window target and the ACKs per increment (bictcp_update). */
static void bictcp_update(struct sock *sk, struct bictcp *ca, uint32_t cwnd, uint32_t acked)
{
	uint32_t now = tcp_jiffies32(sk), delta, bic_target, max_cnt;
	uint64_t offs, t;

	ca->ack_cnt += acked;
	if (ca->last_cwnd == cwnd && (int32_t)(now - ca->last_time) <= CUBIC_HZ / 32)
		return;
	/* The cubic function updates cnt at most once a jiffy. */
	if (ca->epoch_start && now == ca->last_time)
		goto tcp_friendliness;
	ca->last_cwnd = cwnd;
	ca->last_time = now;
	if (!ca->epoch_start) {
		ca->epoch_start = now ? now : 1;
		ca->ack_cnt = acked;
		ca->tcp_cwnd = cwnd;
		if (ca->last_max_cwnd <= cwnd) {
			ca->bic_K = 0;
			ca->bic_origin_point = cwnd;
		} else {
			/* K = cbrt((W_max - cwnd) / C), in 2^-10 s. */
			ca->bic_K = cubic_root(CUBE_FACTOR * (ca->last_max_cwnd - cwnd));
			ca->bic_origin_point = ca->last_max_cwnd;
		}
	}
	/* t: the epoch's age plus one minimum RTT, in 2^-10 s. */
	t = (uint64_t)(int32_t)(now - ca->epoch_start);
	t += (ca->delay_min + 999) / 1000;
	t <<= BICTCP_HZ;
	t /= CUBIC_HZ;
	offs = t < ca->bic_K ? ca->bic_K - t : t - ca->bic_K;
	/* C / RTT * (t - K)^3 */
	delta = (uint32_t)((CUBE_RTT_SCALE * offs * offs * offs) >> (10 + 3 * BICTCP_HZ));
	bic_target = t < ca->bic_K ? ca->bic_origin_point - delta : ca->bic_origin_point + delta;
	if (bic_target > cwnd)
		ca->cnt = cwnd / (bic_target - cwnd);
	else
		ca->cnt = 100 * cwnd; /* a very small increment */
	/* While the available bandwidth is unknown, grow at least 5% a round trip. */
	if (ca->last_max_cwnd == 0 && ca->cnt > 20)
		ca->cnt = 20;

tcp_friendliness:
	/* At least as fast as Reno would be (RFC 9438 4.3). */
	delta = (cwnd * BETA_SCALE) >> 3;
	while (delta && ca->ack_cnt > delta) {
		ca->ack_cnt -= delta;
		ca->tcp_cwnd++;
	}
	if (ca->tcp_cwnd > cwnd) {
		delta = ca->tcp_cwnd - cwnd;
		max_cnt = cwnd / delta;
		if (ca->cnt > max_cnt)
			ca->cnt = max_cnt;
	}
	/* At most 1.5x a round trip: one segment per two ACKed. */
	if (ca->cnt < 2)
		ca->cnt = 2;
}

static void cubictcp_cong_avoid(struct sock *sk, uint32_t ack, uint32_t acked)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct bictcp *ca = inet_csk_ca(sk);

	(void)ack;
	if (!tcp_is_cwnd_limited(sk))
		return;
	if (tcp_in_slow_start(tp)) {
		acked = tcp_slow_start(tp, acked);
		if (!acked)
			return;
	}
	bictcp_update(sk, ca, tp->cong.snd_cwnd, acked);
	tcp_cong_avoid_ai(tp, ca->cnt, acked);
}

/* Multiplicative decrease by beta, W_max with fast convergence (cubictcp_recalc_ssthresh). */
static uint32_t cubictcp_recalc_ssthresh(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct bictcp *ca = inet_csk_ca(sk);
	uint32_t cwnd = tp->cong.snd_cwnd, ssthresh;

	ca->epoch_start = 0;
	if (cwnd < ca->last_max_cwnd && FAST_CONVERGENCE)
		ca->last_max_cwnd = (cwnd * (BICTCP_BETA_SCALE + BETA)) / (2 * BICTCP_BETA_SCALE);
	else
		ca->last_max_cwnd = cwnd;
	ssthresh = (cwnd * BETA) / BICTCP_BETA_SCALE;
	return ssthresh > 2 ? ssthresh : 2;
}

static void cubictcp_state(struct sock *sk, uint8_t new_state)
{
	if (new_state == TCP_CA_Loss) {
		bictcp_reset(inet_csk_ca(sk));
		bictcp_hystart_reset(sk);
	}
}

/* HyStart (hystart_update): leave slow start at ACK trains as long as the RTT, or at rising delay.
 */
static void hystart_update(struct sock *sk, uint32_t delay)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct bictcp *ca = inet_csk_ca(sk);
	uint32_t threshold;

	if (after(tp->snd_una, ca->end_seq))
		bictcp_hystart_reset(sk);
	if (tp->cong.snd_cwnd < HYSTART_LOW_WINDOW)
		return;
	{
		uint32_t now = bictcp_clock_us(sk);

		if ((int32_t)(now - ca->last_ack) <= HYSTART_ACK_DELTA_US) {
			ca->last_ack = now;
			/* Unpaced: the train must span half the minimum delay. */
			threshold = ca->delay_min >> 1;
			if ((int32_t)(now - ca->round_start) > (int32_t)threshold) {
				ca->found = 1;
				tp->cong.snd_ssthresh = tp->cong.snd_cwnd;
			}
		}
	}
	if (ca->curr_rtt > delay)
		ca->curr_rtt = delay;
	if (ca->sample_cnt < HYSTART_MIN_SAMPLES) {
		ca->sample_cnt++;
	} else {
		uint32_t thresh = ca->delay_min >> 3;

		if (thresh < HYSTART_DELAY_MIN)
			thresh = HYSTART_DELAY_MIN;
		if (thresh > HYSTART_DELAY_MAX)
			thresh = HYSTART_DELAY_MAX;
		if (ca->curr_rtt > ca->delay_min + thresh) {
			ca->found = 1;
			tp->cong.snd_ssthresh = tp->cong.snd_cwnd;
		}
	}
}

/* An RTT sample (cubictcp_acked): the minimum delay, and HyStart in slow start. */
static void cubictcp_acked(struct sock *sk, uint32_t acked, int64_t rtt_ns)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct bictcp *ca = inet_csk_ca(sk);
	uint32_t delay;

	(void)acked;
	if (rtt_ns < 0)
		return;
	/* Delay samples right after a reduction say little. */
	if (ca->epoch_start && (int32_t)(tcp_jiffies32(sk) - ca->epoch_start) < CUBIC_HZ)
		return;
	delay = (uint32_t)(rtt_ns / 1000);
	if (!delay)
		delay = 1;
	if (!ca->delay_min || ca->delay_min > delay)
		ca->delay_min = delay;
	if (!ca->found && tcp_in_slow_start(tp))
		hystart_update(sk, delay);
}

/* CUBIC has no get_info in the kernel either: TCP_CC_INFO gives zero bytes. */
const struct tcp_congestion_ops tcp_cubic = {
	.name = "cubic",
	.init = cubictcp_init,
	.ssthresh = cubictcp_recalc_ssthresh,
	.cong_avoid = cubictcp_cong_avoid,
	.set_state = cubictcp_state,
	.undo_cwnd = tcp_reno_undo_cwnd,
	.cwnd_event = cubictcp_cwnd_event,
	.pkts_acked = cubictcp_acked,
};
