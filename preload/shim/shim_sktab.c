/* SPDX-License-Identifier: MIT */
/*
 * The socket table: what the interposers keep per socket beyond the fd's
 * word, for the few features whose answers depend on state the kernel
 * keeps in struct sock and the host cannot see at the moment it matters
 * (SO_PEEK_OFF of a datagram socket, SIOCGSTAMP's sk_stamp, the socket's
 * own IP options at send).
 *
 * The state is the socket's, as the kernel's struct sock is: one page per
 * socket that the host makes at the first ask (SHIM_SO_SKSTATE) and gives
 * to whoever holds the socket, mapped shared, so that a fork child, an
 * exec'd program or an SCM_RIGHTS receiver reads and moves the same offset
 * and stamp. The socket's notice word tells other holders that a page
 * exists. Sockets that never use it have none and cost a load or two.
 *
 * The table maps socket ids to the pages this process has mapped: one slot
 * per id modulo its size, which is the host's notice slot count (the host
 * gives no new socket an id whose notice slot a live socket holds, and ids
 * only grow, so a slot whose id is not the socket's is free, and its page
 * unmapped when the slot is taken again). A host with more slots than the
 * table (a later host with a higher fd limit) gets a new table; the old one
 * and its pages stay mapped, as a thread may still be reading them. Mapped
 * at first need, pages of unused slots never backed.
 */
#include "shim_lib.h"

#include <errno.h>
#include <sched.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ip.h" /* struct ip_options_data */

_Static_assert(sizeof(struct shim_sk) <= SHIM_SKSTATE_SIZE, "struct shim_sk outgrew its page");

struct shim_sk_slot {
	_Atomic uint32_t id; /* the socket whose page sk is; another id: free */
	struct shim_sk *_Atomic sk;
};

struct shim_sktab {
	uint32_t nslots; /* a power of two */
	struct shim_sk_slot slot[];
};

static _Atomic(struct shim_sktab *) shim_sktab;
static pthread_mutex_t shim_sktab_lock = PTHREAD_MUTEX_INITIALIZER;

void shim_sk_atfork_child(void)
{
	pthread_mutex_init(&shim_sktab_lock, NULL);
}

/*
 * A robust mutex shared between processes (the page is): the kernel walks a
 * dying thread's robust list and marks the lock it held (FUTEX_OWNER_DIED),
 * so that the next taker hears EOWNERDEAD rather than waiting for ever.
 */
void shim_sk_lock(struct shim_sk *sk, int fd)
{
	int off = -1;

	if (pthread_mutex_lock(&sk->lock) != EOWNERDEAD)
		return;
	/* The dead holder may have been in a walk (shim_peekoff.c): the pair's offset goes back. */
	shim_real.setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off));
	pthread_mutex_consistent(&sk->lock);
}

void shim_sk_unlock(struct shim_sk *sk)
{
	pthread_mutex_unlock(&sk->lock);
}

static struct shim_sk_slot *shim_sk_slot_of(uint64_t e)
{
	struct shim_sktab *t = atomic_load_explicit(&shim_sktab, memory_order_acquire);

	return t ? &t->slot[shim_ent_id(e) & (t->nslots - 1)] : NULL;
}

/* The table for a host of nslots notice slots, made or replaced under the table's lock. */
static struct shim_sktab *shim_sktab_for(uint32_t nslots)
{
	struct shim_sktab *t = atomic_load_explicit(&shim_sktab, memory_order_acquire);
	void *p;

	if (t && t->nslots >= nslots)
		return t;
	p = mmap(NULL, sizeof(*t) + (size_t)nslots * sizeof(t->slot[0]), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL; /* a smaller table could give a live socket's slot away */
	t = p;
	t->nslots = nslots;
	atomic_store_explicit(&shim_sktab, t, memory_order_release);
	return t;
}

/* The page's first mapper sets it up as a new struct sock's; the others wait for that. */
static void shim_sk_setup(struct shim_sk *sk)
{
	uint32_t r = 0;

	if (atomic_compare_exchange_strong(&sk->ready, &r, 1)) {
		pthread_mutexattr_t a;

		pthread_mutexattr_init(&a);
		pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
		pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
		pthread_mutex_init(&sk->lock, &a);
		pthread_mutexattr_destroy(&a);
		sk->peek_off = -1;
		atomic_store_explicit(&sk->ready, 2, memory_order_release);
		return;
	}
	while (atomic_load_explicit(&sk->ready, memory_order_acquire) != 2)
		sched_yield();
}

/*
 * Maps the socket's page into its slot, asking the host for it (made if it
 * has none). The request and the mapping come before the table's lock, so
 * that a signal handler's send in the middle of them finds the lock free;
 * a page another thread installed meanwhile wins. NULL on failure.
 */
static struct shim_sk *shim_sk_attach(int fd, uint64_t e)
{
	struct shim_req req = {.hdr = {.op = SHIM_OP_GETSOCKOPT, .id = shim_ent_id(e)},
			       .sockopt = {.level = SOL_SOCKET, .optname = SHIM_SO_SKSTATE}};
	uint32_t id = shim_ent_id(e), nslots;
	struct shim_sktab *t;
	struct shim_sk_slot *slot;
	struct shim_sk *sk = NULL, *old;
	struct shim_rep rep;
	int mfd = -1;
	void *p;

	if (shim_ctl_call(&req, &rep, &mfd, fd) || rep.hdr.ret < 0 || mfd < 0) {
		if (mfd >= 0)
			shim_real.close(mfd);
		return NULL;
	}
	p = mmap(NULL, SHIM_SKSTATE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	shim_real.close(mfd);
	if (p == MAP_FAILED)
		return NULL;
	sk = p;
	shim_sk_setup(sk);
	/*
	 * As many slots as the host's notice page, which no two live ids share
	 * (told in the reply: a sandboxed process has no page to read it from);
	 * a smaller table could map two live sockets to one slot.
	 */
	nslots = 0;
	if (rep.sockopt.optlen == sizeof(nslots))
		memcpy(&nslots, rep.sockopt.optval, sizeof(nslots));
	if (nslots < SHIM_NOTICE_SLOTS_MIN || nslots > SHIM_NOTICE_SLOTS_MAX ||
	    (nslots & (nslots - 1))) {
		munmap(sk, SHIM_SKSTATE_SIZE);
		return NULL;
	}
	pthread_mutex_lock(&shim_sktab_lock);
	t = shim_sktab_for(nslots);
	if (!t) {
		munmap(sk, SHIM_SKSTATE_SIZE);
		sk = NULL;
		goto out;
	}
	slot = &t->slot[id & (t->nslots - 1)];
	if (atomic_load_explicit(&slot->id, memory_order_relaxed) == id) {
		munmap(sk, SHIM_SKSTATE_SIZE);
		sk = atomic_load_explicit(&slot->sk, memory_order_relaxed);
		goto out;
	}
	/* The slot's socket is gone (its id's slot is this one's now): so is its page. */
	old = atomic_load_explicit(&slot->sk, memory_order_relaxed);
	atomic_store_explicit(&slot->id, 0, memory_order_release);
	if (old)
		munmap(old, SHIM_SKSTATE_SIZE);
	atomic_store_explicit(&slot->sk, sk, memory_order_relaxed);
	atomic_store_explicit(&slot->id, id, memory_order_release);
out:
	pthread_mutex_unlock(&shim_sktab_lock);
	return sk;
}

struct shim_sk *shim_sk_get(int fd, uint64_t e)
{
	struct shim_sk_slot *slot = shim_sk_slot_of(e);

	if (slot && atomic_load_explicit(&slot->id, memory_order_acquire) == shim_ent_id(e))
		return atomic_load_explicit(&slot->sk, memory_order_relaxed);
	/* Another process made it (or this one, before an exec): the word says so. */
	if (shim_ent_kind(e) != SHIM_DGRAM || !(shim_notice_get(fd, e) & SHIM_NOTICE_SKSTATE))
		return NULL;
	return shim_sk_attach(fd, e);
}

struct shim_sk *shim_sk_make(int fd, uint64_t e)
{
	struct shim_sk *sk = shim_sk_get(fd, e);

	if (sk || shim_ent_kind(e) != SHIM_DGRAM)
		return sk;
	sk = shim_sk_attach(fd, e);
	/* This process's reads so far left sk_stamp set: the page says so now. */
	if (sk && (shim_ent_flags(shim_fd_get(fd)) & SHIM_F_RECEIVED))
		sk->received = true;
	return sk;
}

unsigned int shim_dgram_shut(int fd, uint64_t e)
{
	struct shim_sk *sk;

	if (shim_ent_kind(e) != SHIM_DGRAM || !(sk = shim_sk_get(fd, e)))
		return 0;
	return atomic_load_explicit(&sk->shutdown, memory_order_acquire);
}

unsigned int shim_dgram_shut_peek(uint64_t e)
{
	struct shim_sk_slot *slot = shim_sk_slot_of(e);
	struct shim_sk *sk;

	if (shim_ent_kind(e) != SHIM_DGRAM || !slot ||
	    atomic_load_explicit(&slot->id, memory_order_acquire) != shim_ent_id(e) ||
	    !(sk = atomic_load_explicit(&slot->sk, memory_order_relaxed)))
		return 0;
	return atomic_load_explicit(&sk->shutdown, memory_order_acquire);
}

bool shim_dgram_shut_set(int fd, uint64_t e, int how)
{
	struct shim_sk *sk = shim_sk_make(fd, e);

	if (!sk)
		return false;
	/* inet_shutdown's how++: SHUT_RD 1 (RCV_SHUTDOWN), SHUT_WR 2, SHUT_RDWR 3. */
	atomic_fetch_or_explicit(&sk->shutdown, (uint8_t)(how + 1), memory_order_release);
	return true;
}

/* A raw socket of IPPROTO_RAW has IP_HDRINCL from the start (raw_sk_init's inet->hdrincl). */
void shim_sk_created(int fd, uint64_t e, int type, int protocol)
{
	struct shim_sk *sk;

	if (type == SOCK_RAW && protocol == IPPROTO_RAW && (sk = shim_sk_make(fd, e)))
		sk->hdrincl = true;
}

void shim_sk_setsockopt(int fd, uint64_t e, int level, int optname, const void *val,
			unsigned int len)
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
	    (sk = shim_sk_make(fd, e))) {
		sk->peek_off = v;
		sk->peek_set = true;
	} else if (level == SOL_IP && optname == IP_HDRINCL && (fl & SHIM_F_RAW) &&
		   (sk = shim_sk_make(fd, e))) {
		/* do_ip_setsockopt: an int, or one byte. */
		sk->hdrincl = len >= sizeof(v) ? v != 0 : len && *(const uint8_t *)val;
	} else if (level == SOL_IP && optname == IP_OPTIONS && (sk = shim_sk_make(fd, e))) {
		/* The host took it: it compiles the same here. */
		if (shim_ip_options_get(&opt, val, len))
			memset(&opt, 0, sizeof(opt));
		sk->opt.set = true;
		sk->opt.len = opt.opt.optlen;
		sk->opt.srr = opt.opt.srr;
		sk->opt.faddr = opt.opt.faddr;
	} else if (level == SOL_SOCKET && optname == SO_BINDTOIFINDEX) {
		/* sock_bindtoindex takes any index; each send's route wants its device. */
		bool gone = v && !shim_dev_index_valid(v);

		sk = gone ? shim_sk_make(fd, e) : shim_sk_get(fd, e);
		if (sk)
			sk->bound_dev_gone = gone;
	} else if (level == SOL_SOCKET && optname == SO_BINDTODEVICE && (sk = shim_sk_get(fd, e))) {
		sk->bound_dev_gone = false; /* the host found the name's device */
	}
}

int shim_sk_getsockopt(int fd, uint64_t e, int level, int optname, void *optval, socklen_t *optlen,
		       int len)
{
	struct shim_sk *sk;

	if (level != SOL_SOCKET || optname != SO_PEEK_OFF || !(sk = shim_sk_get(fd, e)) ||
	    !sk->peek_set)
		return 1;
	/* sock_getsockopt: at most an int's bytes, and the length given back. */
	if (len > (int)sizeof(sk->peek_off))
		len = sizeof(sk->peek_off);
	if (shim_copy_to_user(optval, &sk->peek_off, (size_t)len) ||
	    shim_copy_to_user(optlen, &len, sizeof(len)))
		return -EFAULT;
	return 0;
}
