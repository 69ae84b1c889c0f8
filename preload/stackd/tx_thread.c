// SPDX-License-Identifier: MIT
/*
 * The link's transmit thread (SOCKSHIM_TX_THREAD=1).
 *
 * Why: sending bulk at MTU 1500, a large share of the host's CPU is inside
 * sendmmsg on the AF_PACKET socket, and on a veth most of that is the peer
 * kernel's receive work, run in the sender's context (README, Measured). A
 * second thread that only makes those calls moves that work to the second
 * core while the stack thread builds the next frames.
 *
 * How, without a lock per packet: as a NIC driver and its device share a
 * transmit ring. The stack thread (ndo_start_xmit) fills a descriptor (the
 * frame's iovecs and mmsghdr) and publishes it by moving one counter; this
 * thread sends what is published in sendmmsg batches and publishes them
 * sent by moving another; the stack thread then frees the frames it finds
 * sent (the TX completion), so the frames' and segments' reference counts,
 * the skb caches and the counters stay the stack thread's alone. This
 * thread reads the frames' bytes, which nobody writes while they wait (a
 * payload byte is written once, core/skbuff.h), and the descriptors, which
 * the stack thread does not touch again until they come back.
 *
 * Sleeping and waking: the thread sleeps (futex) when the ring is empty;
 * the stack thread wakes it only where it said so (a flag, checked after a
 * fence: one load per kick when the thread is awake), at each dev_flush
 * and when a batch's worth waits. When the ring is full the stack thread
 * sleeps the same way until the thread has sent more (backpressure; the
 * kernel's netif_stop_queue). A wake-up bumps a counter the sleeper waits
 * on, read before it last checked the ring, so none is lost.
 */
#define _GNU_SOURCE
#include "tx_thread.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Frames one sendmmsg sends at most: completions flow back while bulk goes out. */
#define TX_SEND_MAX 64

void tx_ring_init(struct tx_ring *r, uint32_t size)
{
	atomic_store(&r->prod, 0);
	atomic_store(&r->cons, 0);
	r->clean = 0;
	r->size = size;
}

uint32_t tx_ring_free(const struct tx_ring *r)
{
	return r->size - (atomic_load_explicit(&r->prod, memory_order_relaxed) - r->clean);
}

void tx_ring_publish(struct tx_ring *r, uint32_t n)
{
	uint32_t p = atomic_load_explicit(&r->prod, memory_order_relaxed);

	/* Release: the descriptors' contents are visible before the counter. */
	atomic_store_explicit(&r->prod, p + n, memory_order_release);
}

uint32_t tx_ring_pending(struct tx_ring *r, uint32_t *first)
{
	uint32_t c = atomic_load_explicit(&r->cons, memory_order_relaxed);

	*first = c;
	return atomic_load_explicit(&r->prod, memory_order_acquire) - c;
}

void tx_ring_consumed(struct tx_ring *r, uint32_t n)
{
	uint32_t c = atomic_load_explicit(&r->cons, memory_order_relaxed);

	atomic_store_explicit(&r->cons, c + n, memory_order_release);
}

uint32_t tx_ring_completed(const struct tx_ring *r)
{
	return atomic_load_explicit(&r->cons, memory_order_acquire) - r->clean;
}

void tx_ring_reclaim(struct tx_ring *r, uint32_t n)
{
	r->clean += n;
}

unsigned int tx_send(int fd, struct mmsghdr *msg, unsigned int n)
{
	unsigned int sent = 0, skipped = 0;

	while (sent < n) {
		int k = sendmmsg(fd, msg + sent, n - sent, MSG_DONTWAIT);

		if (k > 0) {
			sent += (unsigned int)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		/* EAGAIN (socket buffer full) or a frame the kernel refuses: skip it. */
		skipped++;
		sent++;
	}
	return skipped;
}

static void tx_futex(_Atomic uint32_t *word, int op, uint32_t val)
{
	syscall(SYS_futex, (uint32_t *)word, op, val, NULL, NULL, 0);
}

/*
 * Sleeps until *word is no longer seen (or the thread stops). w->kick is
 * read before the flag is raised and the word checked: a waker that
 * changed the word after the check saw the flag and bumped the kick, so
 * FUTEX_WAIT returns at once.
 */
static void tx_sleep(struct tx_thread *t, struct tx_waiter *w, _Atomic uint32_t *word,
		     uint32_t seen)
{
	uint32_t kick = atomic_load(&w->kick);

	atomic_store_explicit(&w->sleeping, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(word, memory_order_relaxed) == seen && !atomic_load(&t->stop))
		tx_futex(&w->kick, FUTEX_WAIT_PRIVATE, kick);
	atomic_store_explicit(&w->sleeping, 0, memory_order_relaxed);
}

/* After the word the sleeper checks has changed: wakes it if it sleeps. */
static void tx_wake(struct tx_waiter *w)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (!atomic_load_explicit(&w->sleeping, memory_order_relaxed))
		return;
	atomic_fetch_add(&w->kick, 1);
	tx_futex(&w->kick, FUTEX_WAKE_PRIVATE, 1);
}

static void *tx_thread_main(void *arg)
{
	struct tx_thread *t = arg;
	struct tx_ring *r = &t->ring;

	for (;;) {
		uint32_t first, n = tx_ring_pending(r, &first), slot, skipped;

		if (!n) {
			/* Stops only when all that was published is sent. */
			if (atomic_load(&t->stop))
				return NULL;
			tx_sleep(t, &t->tx_wait, &r->prod, first);
			continue;
		}
		slot = tx_ring_slot(r, first);
		if (n > r->size - slot)
			n = r->size - slot; /* the rest, from slot 0, in the next call */
		if (n > TX_SEND_MAX)
			n = TX_SEND_MAX;
		skipped = tx_send(t->fd, t->msg + slot, n);
		if (skipped)
			atomic_fetch_add_explicit(&t->dropped, skipped, memory_order_relaxed);
		tx_ring_consumed(r, n);
		tx_wake(&t->stack_wait);
	}
}

int tx_thread_start(struct tx_thread *t, int fd, struct mmsghdr *msg, uint32_t size)
{
	int err;

	tx_ring_init(&t->ring, size);
	t->fd = fd;
	t->msg = msg;
	atomic_store(&t->stop, false);
	atomic_store(&t->dropped, 0);
	atomic_store(&t->tx_wait.sleeping, 0);
	atomic_store(&t->stack_wait.sleeping, 0);
	err = pthread_create(&t->thread, NULL, tx_thread_main, t);
	if (err)
		return -err;
	/* Named, so that top -H and the tests can tell it from the stack thread. */
	pthread_setname_np(t->thread, "sockshim-tx");
	return 0;
}

void tx_thread_kick(struct tx_thread *t)
{
	tx_wake(&t->tx_wait);
}

void tx_thread_wait_sent(struct tx_thread *t)
{
	/* What waits may not have been kicked yet; then sleep until more than clean is sent. */
	tx_wake(&t->tx_wait);
	tx_sleep(t, &t->stack_wait, &t->ring.cons, t->ring.clean);
}

void tx_thread_stop(struct tx_thread *t)
{
	atomic_store(&t->stop, true);
	tx_wake(&t->tx_wait);
	pthread_join(t->thread, NULL);
}
