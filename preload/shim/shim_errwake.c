/* SPDX-License-Identifier: MIT */
/*
 * errwake: the wake-up of readiness calls for an entry queued later on a
 * stream's error queue (an ACK stamp, a MSG_ZEROCOPY completion), which the
 * pair cannot give (README "How it works", shim_ctl.h SHIM_SO_ERRQ_WAKE).
 *
 * A stream that makes a marked send (transmit stamps, MSG_ZEROCOPY) asks
 * the host once for its eventfd: readable while the socket's error queue
 * holds an entry, written at every sk_error_report. poll/select add it to
 * the set beside the pair and turn its IN into the socket's ERR; an epoll
 * set registers it under the socket's cookie with a bit of its own
 * (shim_epoll.c). It is never read here, so no waiter takes another's
 * wake-up. This table keeps it by fd, with the socket's id (checked at
 * use), in one word: (efd + 1) | id << 32, 0 for none.
 */
#include "shim_lib.h"

#include <sys/mman.h>

static _Atomic(uint64_t *) shim_ew_tab;
static pthread_mutex_t shim_ew_lock = PTHREAD_MUTEX_INITIALIZER;

void shim_errwake_atfork_child(void)
{
	pthread_mutex_init(&shim_ew_lock, NULL);
}

int shim_errwake_fd(int fd, uint64_t e)
{
	uint64_t *t = atomic_load_explicit(&shim_ew_tab, memory_order_acquire), w;

	if (!t || fd < 0 || (unsigned int)fd >= shim_fd_max || shim_ent_kind(e) != SHIM_STREAM)
		return -1;
	w = __atomic_load_n(&t[fd], __ATOMIC_ACQUIRE);
	if (!w || (uint32_t)(w >> 32) != shim_ent_id(e))
		return -1;
	return (int)(uint32_t)w - 1;
}

/* The table, mapped at first need (pages of unused entries never backed). */
static uint64_t *shim_ew_init(void)
{
	uint64_t *t = atomic_load_explicit(&shim_ew_tab, memory_order_acquire);
	void *p;

	if (t)
		return t;
	p = mmap(NULL, (size_t)shim_fd_max * sizeof(uint64_t), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	atomic_store_explicit(&shim_ew_tab, (uint64_t *)p, memory_order_release);
	return p;
}

int shim_errwake_get(int fd, uint64_t e)
{
	struct shim_req req = {.hdr = {.op = SHIM_OP_GETSOCKOPT, .id = shim_ent_id(e)},
			       .sockopt = {.level = SOL_SOCKET, .optname = SHIM_SO_ERRQ_WAKE}};
	int efd = shim_errwake_fd(fd, e), nfd = -1, saved = errno;
	struct shim_rep rep;
	uint64_t *t, old;

	if (efd >= 0 || shim_ent_kind(e) != SHIM_STREAM || fd < 0 ||
	    (unsigned int)fd >= shim_fd_max)
		return efd;
	pthread_mutex_lock(&shim_ew_lock);
	efd = shim_errwake_fd(fd, e); /* another thread may have asked meanwhile */
	if (efd < 0 && (t = shim_ew_init()) && !shim_ctl_call(&req, &rep, &nfd, fd) &&
	    rep.hdr.ret == 0 && nfd >= 0) {
		/* A socket this fd held before, whose close we did not see (exec): its copy goes.
		 */
		old = __atomic_exchange_n(&t[fd],
					  (uint64_t)shim_ent_id(e) << 32 | (uint32_t)(nfd + 1),
					  __ATOMIC_ACQ_REL);
		if (old)
			shim_real.close((int)(uint32_t)old - 1);
		efd = nfd;
	} else if (efd < 0 && nfd >= 0) {
		shim_real.close(nfd);
	}
	pthread_mutex_unlock(&shim_ew_lock);
	errno = saved;
	return efd;
}

void shim_errwake_forget(int fd)
{
	uint64_t *t = atomic_load_explicit(&shim_ew_tab, memory_order_acquire), old;

	if (!t || fd < 0 || (unsigned int)fd >= shim_fd_max || !t[fd])
		return;
	old = __atomic_exchange_n(&t[fd], 0, __ATOMIC_ACQ_REL);
	if (old)
		shim_real.close((int)(uint32_t)old - 1);
}
