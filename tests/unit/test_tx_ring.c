// SPDX-License-Identifier: MIT
/*
 * The transmit thread's ring (preload/stackd/tx_thread.c): the counters
 * alone (empty, full, reclaim, wraparound of slots and of the counters),
 * then the real thread sending descriptors over an AF_UNIX SOCK_SEQPACKET pair
 * to a reader: every published frame is sent exactly once and in order
 * (or counted as refused), with the producer waiting on a full ring, the
 * thread sleeping on an empty one, and a stop sending what is left.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tx_thread.h"

Test(tx_ring, empty_full_and_reclaim)
{
	struct tx_ring r;
	uint32_t first;

	tx_ring_init(&r, 8);
	cr_assert_eq(tx_ring_free(&r), 8);
	cr_assert_eq(tx_ring_pending(&r, &first), 0);
	cr_assert_eq(tx_ring_completed(&r), 0);

	tx_ring_publish(&r, 8);
	cr_assert_eq(tx_ring_free(&r), 0, "full after size slots");
	cr_assert_eq(tx_ring_pending(&r, &first), 8);
	cr_assert_eq(first, 0);

	tx_ring_consumed(&r, 3);
	cr_assert_eq(tx_ring_free(&r), 0, "sent is not free until reclaimed");
	cr_assert_eq(tx_ring_completed(&r), 3);
	cr_assert_eq(tx_ring_pending(&r, &first), 5);
	cr_assert_eq(first, 3);

	tx_ring_reclaim(&r, 3);
	cr_assert_eq(tx_ring_free(&r), 3);
	cr_assert_eq(tx_ring_completed(&r), 0);
	cr_assert_eq(tx_ring_slot(&r, tx_ring_head(&r)), 0, "the next slot wraps to 0");

	tx_ring_consumed(&r, 5);
	tx_ring_reclaim(&r, tx_ring_completed(&r));
	cr_assert_eq(tx_ring_free(&r), 8, "empty again");
	cr_assert_eq(tx_ring_pending(&r, &first), 0);
}

/* Slots come round in order, and the free-running counters may wrap past 2^32. */
Test(tx_ring, slots_and_counters_wrap)
{
	struct tx_ring r;
	uint32_t start = UINT32_MAX - 20, first, expect = start;

	tx_ring_init(&r, 16);
	atomic_store(&r.prod, start);
	atomic_store(&r.cons, start);
	r.clean = start;
	for (int round = 0; round < 10; round++) {
		uint32_t n = 1 + (uint32_t)round % 16;

		cr_assert_geq(tx_ring_free(&r), n);
		tx_ring_publish(&r, n);
		cr_assert_eq(tx_ring_pending(&r, &first), n);
		cr_assert_eq(first, expect);
		cr_assert_eq(tx_ring_slot(&r, first), expect % 16, "slot of counter %u", first);
		tx_ring_consumed(&r, n);
		cr_assert_eq(tx_ring_completed(&r), n);
		tx_ring_reclaim(&r, n);
		cr_assert_eq(tx_ring_free(&r), 16);
		expect += n;
	}
	cr_assert_lt(tx_ring_head(&r), start, "the counters wrapped");
}

#define FRAMES 20000

struct reader {
	int fd;
	uint32_t got, last, out_of_order;
};

/* Reads the datagrams (one uint32_t sequence number each) until the pair closes. */
static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	uint32_t seq;

	for (;;) {
		ssize_t n = recv(rd->fd, &seq, sizeof(seq), 0);

		if (n == 0 || (n < 0 && errno != EINTR))
			return NULL;
		if (n != sizeof(seq))
			continue;
		if (rd->got && seq <= rd->last)
			rd->out_of_order++;
		rd->last = seq;
		rd->got++;
	}
}

/*
 * The link's use of it: fill a descriptor, publish, kick every few frames,
 * reclaim and wait when the ring is full; a stop with frames published
 * but never kicked still sends them.
 */
static void run_thread(uint32_t size, uint32_t kick_every)
{
	struct tx_thread *t = aligned_alloc(64, (sizeof(*t) + 63) & ~(size_t)63);
	struct mmsghdr *msg = calloc(size, sizeof(*msg));
	struct iovec *iov = calloc(size, sizeof(*iov));
	uint32_t *seq = calloc(size, sizeof(*seq)), reclaimed = 0, since_kick = 0;
	struct reader rd = {0};
	pthread_t reader;
	uint64_t dropped = 0;
	int sv[2], buf = 1 << 20;

	cr_assert(t && msg && iov && seq);
	memset(t, 0, sizeof(*t));
	/* A big send buffer: the thread sends with MSG_DONTWAIT and counts a full one as refused.
	 */
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	rd.fd = sv[1];
	cr_assert_eq(pthread_create(&reader, NULL, reader_main, &rd), 0);
	cr_assert_eq(tx_thread_start(t, sv[0], msg, size), 0);

	for (uint32_t i = 0; i < FRAMES; i++) {
		struct tx_ring *r = &t->ring;
		uint32_t s;

		while (!tx_ring_free(r)) {
			uint32_t n = tx_ring_completed(r);

			tx_ring_reclaim(r, n);
			reclaimed += n;
			if (!n)
				tx_thread_wait_sent(t);
		}
		s = tx_ring_slot(r, tx_ring_head(r));
		seq[s] = i;
		iov[s] = (struct iovec){.iov_base = &seq[s], .iov_len = sizeof(seq[s])};
		msg[s] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[s], .msg_iovlen = 1}};
		tx_ring_publish(r, 1);
		/* The last few frames are never kicked: the stop must send them. */
		if (++since_kick == kick_every && i < FRAMES - kick_every) {
			tx_thread_kick(t);
			since_kick = 0;
		}
	}
	tx_thread_stop(t);
	reclaimed += tx_ring_completed(&t->ring);
	tx_ring_reclaim(&t->ring, tx_ring_completed(&t->ring));
	dropped = atomic_load(&t->dropped);

	close(sv[0]); /* the reader sees the end */
	shutdown(sv[1], SHUT_RDWR);
	pthread_join(reader, NULL);
	close(sv[1]);

	cr_assert_eq(reclaimed, FRAMES, "every frame came back once: %u", reclaimed);
	cr_assert_eq(tx_ring_free(&t->ring), size, "the ring is empty after the stop");
	cr_assert_eq(rd.out_of_order, 0, "%u frames arrived out of order", rd.out_of_order);
	cr_assert_eq(rd.got + dropped, FRAMES, "received %u + refused %lu != %u sent", rd.got,
		     (unsigned long)dropped, FRAMES);
	cr_assert_gt(rd.got, 0);
	free(t);
	free(msg);
	free(iov);
	free(seq);
}

Test(tx_ring, a_small_ring_sends_all_in_order_with_backpressure)
{
	run_thread(4, 3);
}

Test(tx_ring, a_link_sized_ring_sends_all_in_order)
{
	run_thread(256, 16);
}
