// SPDX-License-Identifier: MIT
/*
 * The per-destination metrics cache (tcp_metrics.c) on the virtual clock:
 * a connection that ends well (TIME_WAIT, LAST_ACK) leaves its values for
 * the next one to the same host, as the kernel's tcp_update_metrics and
 * tcp_init_metrics do; the sysctls that turn it off; an hour's ageing.
 * test_tcp_metrics.sh compares the same with the kernel.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "helper_twostack.h"
#include "inet.h"
#include "tcp.h"

static struct twostack *ts;

static void setup(void)
{
	ts = twostack_create(NULL);
	cr_assert_not_null(ts);
}

static void teardown(void)
{
	twostack_destroy(ts);
	skb_cache_drain();
}

TestSuite(tcp_metrics, .init = setup, .fini = teardown);

/* A connection from side 0 on port; sk[1] is the client. */
static struct tcp_sock *connect_pair(uint16_t port, struct socket *sk[3])
{
	cr_assert_eq(twostack_tcp_pair(ts, port, sk), 0);
	return tcp_sk(sk[1]->sk);
}

/* The client closes first (FIN_WAIT2, TIME_WAIT), then the server and the listener. */
static void close_pair(struct socket *sk[3])
{
	sock_release(sk[1]);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	sock_release(sk[2]);
	sock_release(sk[0]);
	twostack_run_idle(ts);
}

/* A connection in congestion avoidance at cwnd 40, ssthresh 30, that ends well. */
static void connection_in_ca(uint16_t port)
{
	struct socket *sk[3];
	struct tcp_sock *tp = connect_pair(port, sk);

	tp->cong.snd_cwnd = 40;
	tp->cong.snd_ssthresh = 30;
	close_pair(sk);
}

/* The next connection's client's ssthresh right after connect. */
static uint32_t next_ssthresh(uint16_t port)
{
	struct socket *sk[3];
	uint32_t ssthresh = connect_pair(port, sk)->cong.snd_ssthresh;

	close_pair(sk);
	return ssthresh;
}

Test(tcp_metrics, congestion_avoidance_leaves_its_ssthresh_for_the_next_connection)
{
	ts->net[0].sysctl.tcp_no_ssthresh_metrics_save = 0;
	connection_in_ca(80);
	/* max(cwnd / 2, ssthresh) */
	cr_assert_eq(next_ssthresh(81), 30);
}

Test(tcp_metrics, by_default_ssthresh_is_neither_kept_nor_used)
{
	connection_in_ca(80);
	cr_assert_eq(next_ssthresh(81), TCP_INFINITE_SSTHRESH);
	ts->net[0].sysctl.tcp_no_ssthresh_metrics_save = 0;
	cr_assert_eq(next_ssthresh(82), TCP_INFINITE_SSTHRESH, "nothing was kept");
}

Test(tcp_metrics, a_cached_ssthresh_is_not_used_once_the_sysctl_says_no)
{
	ts->net[0].sysctl.tcp_no_ssthresh_metrics_save = 0;
	connection_in_ca(80);
	ts->net[0].sysctl.tcp_no_ssthresh_metrics_save = 1;
	cr_assert_eq(next_ssthresh(81), TCP_INFINITE_SSTHRESH);
}

Test(tcp_metrics, tcp_no_metrics_save_keeps_nothing)
{
	ts->net[0].sysctl.tcp_no_ssthresh_metrics_save = 0;
	ts->net[0].sysctl.tcp_no_metrics_save = 1;
	connection_in_ca(80);
	cr_assert_null(ts->net[0].tcp_metrics);
	ts->net[0].sysctl.tcp_no_metrics_save = 0;
	cr_assert_eq(next_ssthresh(81), TCP_INFINITE_SSTHRESH);
}

Test(tcp_metrics, starting_a_connection_makes_no_entry)
{
	struct socket *sk[3];

	connect_pair(80, sk);
	cr_assert_null(ts->net[0].tcp_metrics);
	cr_assert_null(ts->net[1].tcp_metrics);
	close_pair(sk);
	cr_assert_not_null(ts->net[0].tcp_metrics, "TIME_WAIT saved");
	cr_assert_not_null(ts->net[1].tcp_metrics, "LAST_ACK's end saved");
}

Test(tcp_metrics, an_entry_lives_an_hour_after_its_last_save)
{
	ts->net[0].sysctl.tcp_no_ssthresh_metrics_save = 0;
	connection_in_ca(80);
	/* Saved when the client entered FIN_WAIT2; run_idle ran out TIME_WAIT (60 s). */
	twostack_run_for(ts, 3500 * NSEC_PER_SEC);
	cr_assert_eq(next_ssthresh(81), 30, "within the hour");
}

Test(tcp_metrics, an_entry_unused_for_an_hour_starts_again_from_nothing)
{
	ts->net[0].sysctl.tcp_no_ssthresh_metrics_save = 0;
	connection_in_ca(80);
	twostack_run_for(ts, 3600 * NSEC_PER_SEC);
	cr_assert_eq(next_ssthresh(81), TCP_INFINITE_SSTHRESH);
}

/* The next connection's client's RTO right after connect. */
static uint64_t next_rto(uint16_t port)
{
	struct socket *sk[3];
	uint64_t rto = connect_pair(port, sk)->rto;

	close_pair(sk);
	return rto;
}

/* A connection on port whose smoothed RTT is 100 ms when it ends; the next one's RTO. */
static uint64_t rto_after_a_slow_path(uint16_t port)
{
	struct socket *sk[3];

	connect_pair(port, sk)->srtt = 100 * NSEC_PER_MSEC;
	close_pair(sk);
	return next_rto(port + 1);
}

Test(tcp_metrics, a_longer_cached_rtt_seeds_the_first_rto)
{
	uint64_t rto = rto_after_a_slow_path(80);

	/*
	 * The cached RTT is the 100 ms less an eighth of the gap to the FIN's
	 * ACK's sample: 21 to 25 jiffies, plus max(twice that, TCP_RTO_MIN's
	 * 50). The handshake's own RTO would be 204 ms.
	 */
	cr_assert(rto >= 284 * NSEC_PER_MSEC && rto <= 300 * NSEC_PER_MSEC && rto % TCP_JIFFY == 0,
		  "rto %llu", (unsigned long long)rto);
}

Test(tcp_metrics, reordering_seen_outside_congestion_avoidance_is_kept)
{
	struct socket *sk[3];
	struct tcp_sock *tp = connect_pair(80, sk);

	/* Back in slow start after a loss: the else branch keeps reordering. */
	tp->cong.snd_cwnd = 5;
	tp->cong.snd_ssthresh = 20;
	tp->reordering = 12;
	close_pair(sk);
	tp = connect_pair(81, sk);
	cr_assert_eq(tp->reordering, 12);
	close_pair(sk);
}

/*
 * A socket whose connection reached TIME_WAIT while the program held it,
 * disconnected (connect AF_UNSPEC) and connected again: the kernel's next
 * connection is a new sock, so its TIME_WAIT saves the metrics again.
 */
Test(tcp_metrics, a_socket_connected_again_after_time_wait_saves_again)
{
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	struct sockaddr_in to = twostack_sin(1, 91);
	struct socket *sk[3];
	struct tcp_sock *tp;

	ts->net[0].sysctl.tcp_no_ssthresh_metrics_save = 0;
	tp = connect_pair(91, sk);
	cr_assert_eq(sk[1]->ops->shutdown(sk[1], SHUT_WR), 0);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	sock_release(sk[2]);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(sk[1]->sk->sk_state, TCP_TIME_WAIT);
	cr_assert_eq(sk[1]->ops->connect(sk[1], &unspec, sizeof(unspec), O_NONBLOCK), 0);
	cr_assert_eq(twostack_connect(sk[1], &to), -EINPROGRESS);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	sk[2] = calloc(1, sizeof(*sk[2]));
	cr_assert_not_null(sk[2]);
	cr_assert_eq(sk[0]->ops->accept(sk[0], sk[2], O_NONBLOCK, true), 0);
	tp->cong.snd_cwnd = 40;
	tp->cong.snd_ssthresh = 30;
	close_pair(sk);
	cr_assert_eq(next_ssthresh(92), 30, "the second connection's TIME_WAIT saved nothing");
}
