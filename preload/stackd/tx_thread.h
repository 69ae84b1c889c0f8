/* SPDX-License-Identifier: MIT */
/*
 * The link's transmit thread (SOCKSHIM_TX_THREAD): the stack thread fills
 * send descriptors, a second thread hands them to the kernel with sendmmsg
 * and hands them back, as a NIC's transmit ring and its completions. See
 * tx_thread.c for why and how.
 */
#ifndef SOCKSHIM_TX_THREAD_H
#define SOCKSHIM_TX_THREAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h> /* struct mmsghdr: the includer defines _GNU_SOURCE */

/*
 * A single-producer, single-consumer descriptor ring: three free-running
 * counters, slot = counter & (size - 1). The stack thread fills slots from
 * prod on and publishes them by moving prod; the transmit thread sends
 * [cons, prod) and publishes them sent by moving cons; the stack thread
 * reclaims [clean, cons) (frees the frames) and moves clean. Each counter
 * has one writer: no lock, no read-modify-write, one cache line each.
 */
struct tx_ring {
	_Alignas(64) _Atomic uint32_t prod; /* written by the producer only */
	_Alignas(64) _Atomic uint32_t cons; /* written by the consumer only */
	_Alignas(64) uint32_t clean;	    /* the producer's own */
	uint32_t size;			    /* a power of two */
};

void tx_ring_init(struct tx_ring *r, uint32_t size);
/* Producer: slots free to fill, starting at slot tx_ring_slot(r, prod). */
uint32_t tx_ring_free(const struct tx_ring *r);
/* Producer: the counter of the next slot to fill. */
static inline uint32_t tx_ring_head(const struct tx_ring *r)
{
	return atomic_load_explicit(&r->prod, memory_order_relaxed);
}
/* Producer: n more slots are filled; the consumer may send them. */
void tx_ring_publish(struct tx_ring *r, uint32_t n);
/* Consumer: slots published and not yet sent; *first is the first's counter. */
uint32_t tx_ring_pending(struct tx_ring *r, uint32_t *first);
/* Consumer: n more slots are sent; the producer may reclaim them. */
void tx_ring_consumed(struct tx_ring *r, uint32_t n);
/* Producer: every slot published has been sent. */
static inline bool tx_ring_idle(const struct tx_ring *r)
{
	return atomic_load_explicit(&r->cons, memory_order_acquire) == tx_ring_head(r);
}
/* Producer: slots sent and not yet reclaimed, from tx_ring_slot(r, r->clean). */
uint32_t tx_ring_completed(const struct tx_ring *r);
/* Producer: n more slots are reclaimed and free again. */
void tx_ring_reclaim(struct tx_ring *r, uint32_t n);

static inline uint32_t tx_ring_slot(const struct tx_ring *r, uint32_t counter)
{
	return counter & (r->size - 1);
}

/*
 * Sends msg[0..n) on fd, as many per sendmmsg as the kernel takes; a frame
 * the kernel refuses (EAGAIN: the socket buffer is full, or any error) is
 * skipped. Returns how many were skipped.
 */
unsigned int tx_send(int fd, struct mmsghdr *msg, unsigned int n);

/* One side's sleep (tx_thread.c): a flag it raises, a counter its waker bumps. */
struct tx_waiter {
	_Alignas(64) _Atomic uint32_t sleeping;
	_Atomic uint32_t kick;
};

struct tx_thread {
	struct tx_ring ring;
	struct tx_waiter tx_wait;    /* the thread, for something to send */
	struct tx_waiter stack_wait; /* the stack thread, for a free slot */
	int fd;
	struct mmsghdr *msg; /* ring.size descriptors, filled by the stack thread */
	pthread_t thread;
	_Atomic bool stop;
	_Atomic uint64_t dropped; /* frames tx_send skipped; the stack thread counts them */
};

/* Starts the thread sending t->msg on fd; returns 0 or -errno. */
int tx_thread_start(struct tx_thread *t, int fd, struct mmsghdr *msg, uint32_t size);
/* Producer: wakes the thread if it sleeps (call after tx_ring_publish). */
void tx_thread_kick(struct tx_thread *t);
/* Producer, the ring full and all it sent reclaimed: sleeps until the thread sends more. */
void tx_thread_wait_sent(struct tx_thread *t);
/* Sends what is published, then ends the thread. */
void tx_thread_stop(struct tx_thread *t);

#endif
