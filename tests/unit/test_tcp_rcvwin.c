// SPDX-License-Identifier: MIT
/*
 * The receive window as the kernel's, segment by segment (tcp_window.c):
 * the first window of a SYN and a SYN-ACK (tcp_select_initial_window), the
 * window of the handshake's ACK (tcp_init_buffer_space's clamp), and the
 * window as data arrives and is not read: grown by two segments a segment
 * (tcp_grow_window) until the free space, scaled by the ratio the first
 * full segment measured (162/256 for 1448 bytes), limits it; the right edge
 * never moves back, and under a segment the window shuts. The numbers are
 * the kernel's (6.18) for the same buffers, as test_rcv_window.sh sees them
 * from a kernel peer.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "helper_tcpscript.h"
#include "inet.h"
#include "tcp.h"

static struct tcpscript *sc;

static void setup(void)
{
	sc = tcpscript_start();
	cr_assert_not_null(sc);
	tcpscript_linux_sysctls(sc, "cubic");
}

static void teardown(void)
{
	tcpscript_stop(sc);
	skb_cache_drain();
}

TestSuite(tcp_rcvwin, .init = setup, .fini = teardown);

/* connect() from the stack, SO_RCVBUF set first unless 0. */
static struct socket *stack_connect(int rcvbuf)
{
	struct socket *c = tcpscript_socket(sc);
	struct sockaddr_in to = twostack_sin(1, TCPSCRIPT_PEER_PORT);

	if (rcvbuf)
		cr_assert_eq(c->ops->setsockopt(c, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)),
			     0);
	cr_assert_eq(twostack_connect(c, &to), -EINPROGRESS);
	return c;
}

static int getsockopt_int(struct socket *s, int level, int name)
{
	int v = -1, len = sizeof(v);

	cr_assert_eq(s->ops->getsockopt(s, level, name, &v, &len), 0);
	return v;
}

/*
 * tcp_rmem[1] (128 KiB): the SYN offers half of it in whole segments of our
 * MSS, 64240; the ACK of the SYN-ACK the clamp less a segment, 64088,
 * rounded up to the scale unit. Each segment of 1448 then opens the window
 * by two segments, until at the fifth the free space (162/256 of what is
 * left) is the limit; past it the window follows the space down.
 */
Test(tcp_rcvwin, default_buffer_grows_by_two_segments_a_segment)
{
	struct socket *c = stack_connect(0);

	TCPSCRIPT_RUN(
		sc,
		{0, '>', {"S", 0, 0, 0, 64240, "mss 1460,sackOK,TS val now ecr 0,nop,wscale 7"}},
		{10, '<', {"S.", 0, 1, 0, 0, "mss 1460,sackOK,TS val 5000 ecr 1000,nop,wscale 7"}},
		{10, '>', {".", 1, 1, 0, 502, "nop,nop,TS val now ecr 5000"}},
		{20, '<', {".", 1, 1, 1448, 0, "nop,nop,TS val 5010 ecr 1010"}},
		{20, '>', {".", 1, 1449, 0, 525, "nop,nop,TS val now ecr 5010"}},
		{30, '<', {".", 1449, 1, 1448, 0, "nop,nop,TS val 5020 ecr 1020"}},
		{30, '>', {".", 1, 2897, 0, 548, "nop,nop,TS val now ecr 5020"}},
		{40, '<', {".", 2897, 1, 1448, 0, "nop,nop,TS val 5030 ecr 1030"}},
		{40, '>', {".", 1, 4345, 0, 570, "nop,nop,TS val now ecr 5030"}},
		{50, '<', {".", 4345, 1, 1448, 0, "nop,nop,TS val 5040 ecr 1040"}},
		{50, '>', {".", 1, 5793, 0, 593, "nop,nop,TS val now ecr 5040"}},
		{60, '<', {".", 5793, 1, 1448, 0, "nop,nop,TS val 5050 ecr 1050"}},
		{60, '>', {".", 1, 7241, 0, 609, "nop,nop,TS val now ecr 5050"}},
		{70, '<', {".", 7241, 1, 1448, 0, "nop,nop,TS val 5060 ecr 1060"}},
		{70, '>', {".", 1, 8689, 0, 601, "nop,nop,TS val now ecr 5060"}});
	/* The ratio measured: the clamp is 162/256 of the buffer, rcv_ssthresh stopped at the
	 * space. */
	cr_assert_eq(getsockopt_int(c, SOL_TCP, TCP_WINDOW_CLAMP), 82944);
	{
		struct tcp_info info;
		int len = sizeof(info);

		cr_assert_eq(c->ops->getsockopt(c, SOL_TCP, TCP_INFO, &info, &len), 0);
		cr_assert_eq(info.tcpi_rcv_ssthresh, 77835, "%u", info.tcpi_rcv_ssthresh);
	}
}

/*
 * SO_RCVBUF 4096 (8192 held): the window is clamped to the full space,
 * 4096, two segments in the SYN; after one segment the space allows no
 * more than the window offered; after two the right edge stays where it
 * was (1472 left), after three the same right edge is 24 bytes away: the
 * space is under a segment, so no window opens further.
 */
Test(tcp_rcvwin, small_buffer_offers_two_segments_then_shuts)
{
	stack_connect(4096);
	TCPSCRIPT_RUN(
		sc, {0, '>', {"S", 0, 0, 0, 2920, "mss 1460,sackOK,TS val now ecr 0,nop,wscale 0"}},
		{10, '<', {"S.", 0, 1, 0, 0, "mss 1460,sackOK,TS val 5000 ecr 1000,nop,wscale 7"}},
		{10, '>', {".", 1, 1, 0, 2920, "nop,nop,TS val now ecr 5000"}},
		{20, '<', {".", 1, 1, 1448, 0, "nop,nop,TS val 5010 ecr 1010"}},
		{20, '>', {".", 1, 1449, 0, 2920, "nop,nop,TS val now ecr 5010"}},
		{30, '<', {".", 1449, 1, 1448, 0, "nop,nop,TS val 5020 ecr 1020"}},
		{30, '>', {".", 1, 2897, 0, 1472, "nop,nop,TS val now ecr 5020"}},
		{40, '<', {".", 2897, 1, 1448, 0, "nop,nop,TS val 5030 ecr 1030"}},
		{40, '>', {".", 1, 4345, 0, 1472, "nop,nop,TS val now ecr 5030"}},
		{50, '<', {".", 4345, 1, 1448, 0, "nop,nop,TS val 5040 ecr 1040"}},
		{90, '>', {".", 1, 5793, 0, 24, "nop,nop,TS val now ecr 5040"}});
}

/* A listener's SYN-ACK: half of tcp_rmem[1] in whole segments less the timestamp, 65160. */
Test(tcp_rcvwin, synack_offers_half_the_buffer_in_whole_segments)
{
	struct socket *l = tcpscript_socket(sc);

	cr_assert_eq(twostack_bind(l, twostack_addr(0), 5000), 0);
	cr_assert_eq(l->ops->listen(l, 8), 0);
	sc->stack_port = 5000;
	TCPSCRIPT_RUN(sc,
		      {0, '<', {"S", 0, 0, 0, 0, "mss 1460,sackOK,TS val 700 ecr 0,nop,wscale 7"}},
		      {0,
		       '>',
		       {"S.", 0, 1, 0, 65160, "mss 1460,sackOK,TS val now ecr 700,nop,wscale 7"}});
}

/*
 * TCP_WINDOW_CLAMP (tcp_set_window_clamp): at least half of SOCK_MIN_RCVBUF,
 * 1152, for any smaller value, negative ones too; 0 only on a closed socket.
 */
Test(tcp_rcvwin, window_clamp_floors_at_half_the_least_buffer)
{
	struct socket *c = tcpscript_socket(sc);
	int neg = -1, small = 100, zero = 0;

	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_WINDOW_CLAMP, &neg, sizeof(neg)), 0);
	cr_assert_eq(getsockopt_int(c, SOL_TCP, TCP_WINDOW_CLAMP), 1152);
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_WINDOW_CLAMP, &small, sizeof(small)), 0);
	cr_assert_eq(getsockopt_int(c, SOL_TCP, TCP_WINDOW_CLAMP), 1152);
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_WINDOW_CLAMP, &zero, sizeof(zero)), 0);
	cr_assert_eq(getsockopt_int(c, SOL_TCP, TCP_WINDOW_CLAMP), 0);
	c = stack_connect(0);
	cr_assert_eq(c->ops->setsockopt(c, SOL_TCP, TCP_WINDOW_CLAMP, &zero, sizeof(zero)),
		     -EINVAL);
}
