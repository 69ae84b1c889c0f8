/* SPDX-License-Identifier: MIT */
/*
 * The socket table: what the interposer keeps per socket beyond the fd's
 * word, for the few features whose answers depend on state the kernel
 * keeps in struct sock and the host cannot see at the moment it matters
 * (SO_PEEK_OFF of a datagram socket, SIOCGSTAMP's sk_stamp, the socket's
 * own IP options at send). Sockets that never use them have no entry and
 * cost one load.
 *
 * One entry per socket id modulo the table's size: the host gives no new
 * socket an id whose slot a live socket holds (the notice page's rule),
 * and ids only grow, so an entry whose id is not the socket's is free.
 * Mapped at first need, pages of unused entries never backed. The table
 * is the process's: a forked child starts with a copy, an exec'd program
 * with none (README "Limits today").
 */
#include "shim_lib.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/mman.h>

#include "ip.h" /* struct ip_options_data */

#define SHIM_SKTAB_SIZE 65536u

static _Atomic(struct shim_sk *) shim_sktab;
static pthread_mutex_t shim_sktab_lock = PTHREAD_MUTEX_INITIALIZER;

void shim_sk_atfork_child(void)
{
	pthread_mutex_init(&shim_sktab_lock, NULL);
}

struct shim_sk *shim_sk_get(uint64_t e)
{
	struct shim_sk *t = atomic_load_explicit(&shim_sktab, memory_order_acquire), *sk;
	uint32_t id = shim_ent_id(e);

	if (likely(!t))
		return NULL;
	sk = &t[id % SHIM_SKTAB_SIZE];
	return atomic_load_explicit(&sk->id, memory_order_acquire) == id ? sk : NULL;
}

struct shim_sk *shim_sk_make(uint64_t e)
{
	struct shim_sk *t, *sk = shim_sk_get(e);
	uint32_t id = shim_ent_id(e);
	void *p;

	if (sk)
		return sk;
	pthread_mutex_lock(&shim_sktab_lock);
	t = atomic_load_explicit(&shim_sktab, memory_order_acquire);
	if (!t) {
		p = mmap(NULL, SHIM_SKTAB_SIZE * sizeof(*t), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p != MAP_FAILED) {
			t = p;
			atomic_store_explicit(&shim_sktab, t, memory_order_release);
		}
	}
	if (t) {
		sk = &t[id % SHIM_SKTAB_SIZE];
		if (atomic_load_explicit(&sk->id, memory_order_relaxed) != id) {
			/* A socket gone before this one had the slot: as a new struct sock. */
			atomic_store_explicit(&sk->id, 0, memory_order_relaxed);
			sk->peek_off = -1;
			memset(sk->peeked_empty, 0, sizeof(sk->peeked_empty));
			sk->peeked_head = 0;
			sk->stamp = 0;
			sk->stamp_on = false;
			sk->hdrincl = false;
			memset(&sk->opt, 0, sizeof(sk->opt));
			atomic_store_explicit(&sk->id, id, memory_order_release);
		}
	}
	pthread_mutex_unlock(&shim_sktab_lock);
	return sk;
}

/* A raw socket of IPPROTO_RAW has IP_HDRINCL from the start (raw_sk_init's inet->hdrincl). */
void shim_sk_created(uint64_t e, int type, int protocol)
{
	struct shim_sk *sk;

	if (type == SOCK_RAW && protocol == IPPROTO_RAW && (sk = shim_sk_make(e)))
		sk->hdrincl = true;
}

void shim_sk_setsockopt(uint64_t e, int level, int optname, const void *val, unsigned int len)
{
	unsigned int fl = shim_ent_flags(e);
	struct ip_options_data opt;
	struct shim_sk *sk;
	int v = 0;

	if (shim_ent_kind(e) != SHIM_DGRAM)
		return;
	if (len >= sizeof(v))
		memcpy(&v, val, sizeof(v));
	if (level == SOL_SOCKET && optname == SO_PEEK_OFF && (fl & SHIM_F_UDP) &&
	    (sk = shim_sk_make(e))) {
		sk->peek_off = v;
		sk->peek_set = true;
	} else if (level == SOL_IP && optname == IP_HDRINCL && (fl & SHIM_F_RAW) &&
		   (sk = shim_sk_make(e))) {
		/* do_ip_setsockopt: an int, or one byte. */
		sk->hdrincl = len >= sizeof(v) ? v != 0 : len && *(const uint8_t *)val;
	} else if (level == SOL_IP && optname == IP_OPTIONS && (sk = shim_sk_make(e))) {
		/* The host took it: it compiles the same here. */
		if (shim_ip_options_get(&opt, val, len))
			memset(&opt, 0, sizeof(opt));
		sk->opt.set = true;
		sk->opt.len = opt.opt.optlen;
		sk->opt.srr = opt.opt.srr;
		sk->opt.faddr = opt.opt.faddr;
	}
}

int shim_sk_getsockopt(uint64_t e, int level, int optname, void *optval, socklen_t *optlen, int len)
{
	struct shim_sk *sk = shim_sk_get(e);

	if (!sk || !sk->peek_set || level != SOL_SOCKET || optname != SO_PEEK_OFF)
		return 1;
	/* sock_getsockopt: at most an int's bytes, and the length given back. */
	if (len > (int)sizeof(sk->peek_off))
		len = sizeof(sk->peek_off);
	if (shim_copy_to_user(optval, &sk->peek_off, (size_t)len) ||
	    shim_copy_to_user(optlen, &len, sizeof(len)))
		return -EFAULT;
	return 0;
}
