/* SPDX-License-Identifier: MIT */
/*
 * epoll with the kernel's readiness for emulated sockets (what the pair
 * cannot say: shim_poll.c). An emulated stream or datagram socket added to
 * a set is registered with the kernel under a cookie of ours in place of
 * the application's data; the set is marked in the fd table (SHIM_EPOLL),
 * so epoll_wait on any other set is the kernel's call untouched.
 *
 * epoll_wait on a marked set translates each cookie back: the pair's
 * events corrected by shim_ready_fix(), filtered by the application's
 * events, with its data. An event left empty is dropped; a one-shot one is
 * armed again (the kernel disarmed it for nothing). A socket ready by
 * correction alone (a TCP socket never connected: OUT|HUP) gets synthetic
 * events: every call when level-triggered, once per ADD/MOD or change of
 * its state when edge-triggered, once until the next MOD with
 * EPOLLONESHOT. Edge-triggered events of pair-based sockets are the
 * kernel's own wake-ups of the pair, which happen where TCP's would (the
 * host hangs up the pair on a reset or a refused connect, queues an error
 * report on an ICMP error).
 *
 * The cookie is a per-process random tag (top bit set: no user-space
 * pointer, no small number) and a registration index; a registration must
 * also belong to the set it is reported for.
 *
 * A registration whose fd is closed while another fd of the process holds
 * the socket stays, as the kernel's (ep_remove comes at the last close):
 * it reads the socket through that other fd (shim_ep_reg.moved).
 *
 * What it does not do: follow a set over exec (the new program sees our
 * cookies), keep reporting a closed fd whose socket only another process
 * still holds (here the last close in this process removes what it
 * registered).
 *
 * A thread sleeping on a set is woken when another thread changes a socket
 * that is ready by correction alone (shutdown of a never-connected socket):
 * shim_ep_wake.
 */
#include "shim_lib.h"

#include <dirent.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#define SHIM_EP_SETS	 4096
#define SHIM_EP_REGS_MAX (1u << 20)
#define SHIM_EP_SYN	 64
/* fs/eventpoll.c: EP_MAX_EVENTS */
#define SHIM_EP_MAX_EVENTS (INT32_MAX / (int)sizeof(struct epoll_event))
#define SHIM_EP_FLAGS	   (EPOLLET | EPOLLONESHOT | EPOLLWAKEUP | EPOLLEXCLUSIVE)

struct shim_ep_reg {
	uint32_t set; /* 0: free */
	int fd;
	int epfd;	   /* the set's fd the application named */
	pid_t pid;	   /* the process that registered it (a fork child only forgets it) */
	uint32_t events;   /* as the application gave them */
	uint32_t last_rev; /* EPOLLET: the last event reported */
	uint64_t data;
	uint32_t next_fd;     /* the fd's other registrations; the free list */
	uint32_t next_static; /* the set's sockets ready by correction alone */
	bool on_static;
	bool asked_in; /* POLLIN added for the pair (an error report) */
	bool armed;    /* EPOLLONESHOT: not reported since ADD/MOD */
	bool pending;  /* EPOLLET: a change not reported yet */
	bool syn_now;  /* shim_ep_synth() reported it in this round */
	bool out_wake; /* EPOLLET stream: room came back after SOCK_NOSPACE, not reported yet */
	/*
	 * Registered with the kernel for a wake-up of our own (shim_ep_wake),
	 * not the application's events: restored at the next event it reports.
	 */
	bool woken;
	/*
	 * Its fd was closed while another fd of the process keeps the socket
	 * (a dup): the kernel keeps the registration under the closed number,
	 * and fd is now that other one, to read the socket's state through.
	 */
	bool moved;
	/*
	 * errwake: the socket's error-queue eventfd is registered in the set
	 * too (cookie with SHIM_EP_ERRQ), level- or edge-triggered as this.
	 */
	bool errq_reg;
	int errq_efd;
	uint32_t err_tag; /* a datagram's pending error it reported ERR for (shim_ep_dgram_err) */
	uint32_t rep_gen; /* the shim_ep_translate round that reported it, */
	int rep_idx;	  /* ... at this index */
};

/* A cookie's bit for the error-queue eventfd of the registration it names. */
#define SHIM_EP_ERRQ 0x80000000u

static pthread_mutex_t shim_ep_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shim_ep_reg *shim_ep_regs;
static uint32_t shim_ep_hi = 1, shim_ep_free;
static uint32_t *shim_ep_by_fd;
static uint32_t shim_ep_static_head[SHIM_EP_SETS];
static bool shim_ep_set_used[SHIM_EP_SETS];
static uint32_t shim_ep_next_set = 1;
static uint64_t shim_ep_tag;
static uint32_t shim_ep_gen;

void shim_epoll_atfork_child(void)
{
	pthread_mutex_init(&shim_ep_lock, NULL);
}

/* The tables, mapped once (pages of unused entries never backed). */
static bool shim_ep_init(void)
{
	void *r, *f;
	uint32_t t = 0;

	if (shim_ep_regs)
		return true;
	r = mmap(NULL, SHIM_EP_REGS_MAX * sizeof(struct shim_ep_reg), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	f = mmap(NULL, (size_t)shim_fd_max * sizeof(uint32_t), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED || f == MAP_FAILED) {
		if (r != MAP_FAILED)
			munmap(r, SHIM_EP_REGS_MAX * sizeof(struct shim_ep_reg));
		if (f != MAP_FAILED)
			munmap(f, (size_t)shim_fd_max * sizeof(uint32_t));
		return false;
	}
	if (getrandom(&t, sizeof(t), GRND_NONBLOCK) != sizeof(t))
		t = (uint32_t)getpid() * 2654435761u ^ (uint32_t)(uintptr_t)r;
	shim_ep_tag = (uint64_t)(t | 0x80000000u) << 32;
	shim_ep_by_fd = f;
	shim_ep_regs = r;
	return true;
}

static uint64_t shim_ep_cookie(uint32_t i)
{
	return shim_ep_tag | i;
}

/* The registration a reported cookie names in set, or NULL (the application's own data). */
static struct shim_ep_reg *shim_ep_reg_of(uint64_t data, uint32_t set)
{
	uint32_t i = (uint32_t)data;

	if ((data & ~0xffffffffULL) != shim_ep_tag || !i || i >= shim_ep_hi ||
	    shim_ep_regs[i].set != set)
		return NULL;
	return &shim_ep_regs[i];
}

static uint32_t shim_ep_find(uint32_t set, int fd)
{
	for (uint32_t i = shim_ep_by_fd[fd]; i; i = shim_ep_regs[i].next_fd) {
		if (shim_ep_regs[i].set == set && !shim_ep_regs[i].moved)
			return i;
	}
	return 0;
}

static void shim_ep_static_push(struct shim_ep_reg *r, uint32_t i)
{
	if (r->on_static)
		return;
	r->on_static = true;
	r->next_static = shim_ep_static_head[r->set];
	shim_ep_static_head[r->set] = i;
}

static uint32_t shim_ep_alloc(void)
{
	uint32_t i = shim_ep_free;

	if (i) {
		shim_ep_free = shim_ep_regs[i].next_fd;
		return i;
	}
	if (shim_ep_hi >= SHIM_EP_REGS_MAX)
		return 0;
	return shim_ep_hi++;
}

/* Unlinks registration i from its fd and its set and frees it. */
static void shim_ep_release(uint32_t i)
{
	struct shim_ep_reg *r = &shim_ep_regs[i];
	uint32_t *link;

	for (link = &shim_ep_by_fd[r->fd]; *link; link = &shim_ep_regs[*link].next_fd) {
		if (*link == i) {
			*link = r->next_fd;
			break;
		}
	}
	if (r->on_static) {
		for (link = &shim_ep_static_head[r->set]; *link;
		     link = &shim_ep_regs[*link].next_static) {
			if (*link == i) {
				*link = r->next_static;
				break;
			}
		}
	}
	memset(r, 0, sizeof(*r));
	r->next_fd = shim_ep_free;
	shim_ep_free = i;
}

static uint32_t shim_ep_set_alloc(void)
{
	for (uint32_t k = 0; k < SHIM_EP_SETS - 1; k++) {
		uint32_t s = shim_ep_next_set;

		shim_ep_next_set = s + 1 < SHIM_EP_SETS ? s + 1 : 1;
		if (!shim_ep_set_used[s]) {
			shim_ep_set_used[s] = true;
			shim_ep_static_head[s] = 0;
			return s;
		}
	}
	return 0;
}

/*
 * errwake: a stream with an error-queue eventfd (shim_errwake.c) has it
 * registered beside its pair, asking IN, edge-triggered if the
 * application's registration is (an edge per sk_error_report, as
 * sock_def_error_report wakes the kernel's set once per entry). A one-shot
 * registration has it one-shot too, armed again with the pair at each MOD:
 * whichever reports first disarms the registration (armed), and an event
 * of the other before the MOD is dropped, as the kernel's one item fires once.
 */
static void shim_ep_errq_arm(struct shim_ep_reg *r, uint32_t i, uint64_t e)
{
	struct epoll_event k = {.events = EPOLLIN | (r->events & (EPOLLET | EPOLLONESHOT)),
				.data.u64 = shim_ep_cookie(i | SHIM_EP_ERRQ)};
	int efd = shim_errwake_fd(r->fd, e);

	/* Nothing to watch and nothing watched (most sockets): no getpid() per epoll_ctl. */
	if (efd < 0 && !r->errq_reg)
		return;
	if (r->moved || r->pid != getpid())
		return;
	if (r->errq_reg && efd != r->errq_efd) {
		shim_real.epoll_ctl(r->epfd, EPOLL_CTL_DEL, r->errq_efd, NULL);
		r->errq_reg = false;
	}
	if (efd < 0)
		return;
	if (shim_real.epoll_ctl(r->epfd, r->errq_reg ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, efd, &k) ==
	    0) {
		r->errq_reg = true;
		r->errq_efd = efd;
	}
}

static void shim_ep_errq_drop(struct shim_ep_reg *r)
{
	if (!r->errq_reg)
		return;
	if (r->pid == getpid())
		shim_real.epoll_ctl(r->epfd, EPOLL_CTL_DEL, r->errq_efd, NULL);
	r->errq_reg = false;
}

void shim_epoll_errwake_arm(int fd)
{
	uint64_t e = shim_fd_get(fd);

	if (!shim_ep_regs || fd < 0 || (unsigned int)fd >= shim_fd_max)
		return;
	pthread_mutex_lock(&shim_ep_lock);
	for (uint32_t i = shim_ep_by_fd[fd]; i; i = shim_ep_regs[i].next_fd)
		shim_ep_errq_arm(&shim_ep_regs[i], i, e);
	pthread_mutex_unlock(&shim_ep_lock);
}

/* What the kernel gets for the application's event on entry e under registration i. */
static struct epoll_event shim_ep_kernel_event(uint64_t e, const struct epoll_event *ev, uint32_t i,
					       bool *asked_in)
{
	struct epoll_event k = {.events = ev->events, .data.u64 = shim_ep_cookie(i)};

	/* A datagram socket's error report is readable data on the pair. */
	*asked_in = shim_ent_kind(e) == SHIM_DGRAM && (ev->events & EPOLLOUT) &&
		    !(ev->events & EPOLLIN);
	/*
	 * Asked for neither IN nor OUT, only an error report may wake it: the
	 * pair is watched by its edges, so that a datagram wakes the set once
	 * (and is dropped) instead of at every call; a level-triggered
	 * registration is armed again after each event (shim_ep_rearm).
	 */
	if (!(ev->events & (EPOLLIN | EPOLLOUT)) && shim_ready_ask_in(e, ev->events)) {
		*asked_in = true;
		k.events |= EPOLLET;
	}
	if (*asked_in)
		k.events |= EPOLLIN;
	return k;
}

static int shim_ep_add(int epfd, uint64_t ee, int fd, uint64_t e, const struct epoll_event *ev)
{
	uint32_t set = shim_ent_kind(ee) == SHIM_EPOLL ? shim_ent_id(ee) : 0, i;
	bool new_set = !set, asked_in;
	struct epoll_event k;
	struct shim_ep_reg *r;

	if (new_set && !(set = shim_ep_set_alloc()))
		return shim_real.epoll_ctl(epfd, EPOLL_CTL_ADD, fd, (struct epoll_event *)ev) < 0
			       ? -errno
			       : 0;
	i = shim_ep_alloc();
	if (!i) {
		if (new_set)
			shim_ep_set_used[set] = false;
		return -ENOMEM;
	}
	k = shim_ep_kernel_event(e, ev, i, &asked_in);
	if (shim_real.epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &k) < 0) {
		int err = -errno;

		shim_ep_regs[i].next_fd = shim_ep_free;
		shim_ep_free = i;
		if (new_set)
			shim_ep_set_used[set] = false;
		return err;
	}
	if (new_set)
		shim_fd_set(epfd, shim_ent(set, SHIM_EPOLL, 0));
	r = &shim_ep_regs[i];
	*r = (struct shim_ep_reg){.set = set,
				  .fd = fd,
				  .epfd = epfd,
				  .pid = getpid(),
				  .events = ev->events,
				  .data = ev->data.u64,
				  .next_fd = shim_ep_by_fd[fd],
				  .asked_in = asked_in,
				  .armed = true,
				  .pending = true};
	shim_ep_by_fd[fd] = i;
	if (shim_ready_static(e))
		shim_ep_static_push(r, i);
	shim_ep_errq_arm(r, i, e);
	return 0;
}

static int shim_ep_ctl(int epfd, int op, int fd, struct epoll_event *uev)
{
	uint64_t e = shim_fd_get(fd), ee = shim_fd_get(epfd);
	uint32_t set = shim_ent_kind(ee) == SHIM_EPOLL ? shim_ent_id(ee) : 0, i;
	struct epoll_event ev = {0}, k;
	struct shim_ep_reg *r;
	bool asked_in;
	int ret;

	if ((op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) &&
	    shim_copy_from_user(&ev, uev, sizeof(ev)))
		return -EFAULT;
	if (op == EPOLL_CTL_ADD)
		return shim_ep_add(epfd, ee, fd, shim_stream_known(fd, e), &ev);
	i = set ? shim_ep_find(set, fd) : 0;
	if (!i)
		return shim_real.epoll_ctl(epfd, op, fd, op == EPOLL_CTL_MOD ? &ev : uev) < 0
			       ? -errno
			       : 0;
	r = &shim_ep_regs[i];
	if (op == EPOLL_CTL_DEL) {
		ret = shim_real.epoll_ctl(epfd, op, fd, uev) < 0 ? -errno : 0;
		if (!ret) {
			shim_ep_errq_drop(r);
			shim_ep_release(i);
		}
		return ret;
	}
	k = shim_ep_kernel_event(e, &ev, i, &asked_in);
	if (shim_real.epoll_ctl(epfd, op, fd, &k) < 0)
		return -errno;
	/* ep_modify: a ready fd is reported again, and a one-shot one is armed. */
	r->events = ev.events;
	r->data = ev.data.u64;
	r->asked_in = asked_in;
	r->armed = true;
	r->pending = true;
	r->woken = false;
	if (shim_ready_static(e))
		shim_ep_static_push(r, i);
	shim_ep_errq_arm(r, i, e);
	return 0;
}

SHIM_EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct shim_call c;
	uint64_t e;
	int ret;

	if (likely(!shim_slow) && likely(!shim_fd_get(fd)) && likely(!shim_fd_get(epfd)))
		return shim_real.epoll_ctl(epfd, op, fd, ev);
	shim_call_begin(&c, SHIM_SYM_epoll_ctl);
	e = shim_fd_get(fd);
	if (shim_ent_kind(e) != SHIM_STREAM && shim_ent_kind(e) != SHIM_DGRAM) {
		ret = shim_real.epoll_ctl(epfd, op, fd, ev);
	} else {
		c.path = "stack";
		/* A stream with stamps or zerocopy on: its error-queue wake-up (errwake). */
		if (op != EPOLL_CTL_DEL && shim_ent_kind(e) == SHIM_STREAM &&
		    (shim_ent_flags(e) & (SHIM_F_TXSTAMP | SHIM_F_ZEROCOPY)))
			shim_errwake_get(fd, e);
		pthread_mutex_lock(&shim_ep_lock);
		ret = shim_ep_init() ? shim_ep_ctl(epfd, op, fd, ev) : -ENOMEM;
		pthread_mutex_unlock(&shim_ep_lock);
		ret = (int)shim_ret(ret, c.err0);
	}
	shim_trace(&c, ret, "%d, %d, %d, %p", epfd, op, fd, (void *)ev);
	return ret;
}

/* ---- epoll_wait ---- */

/*
 * What the pair of a socket ready by correction alone says now: nothing for
 * a stream that has none of its own, the datagrams and room of a datagram
 * socket's.
 */
static unsigned int shim_ep_pair_now(int fd, uint64_t e)
{
	/* Every bit datagram_poll gives a writable socket (sock_writeable: OUT|WRNORM|WRBAND). */
	struct pollfd p = {.fd = fd,
			   .events = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLWRBAND};

	if (shim_ent_kind(e) != SHIM_DGRAM || shim_real.poll(&p, 1, 0) != 1)
		return 0;
	return (unsigned short)p.revents;
}

/* The events of set's sockets that are ready by correction alone, at most cap. */
static int shim_ep_synth(uint32_t set, struct epoll_event *out, int cap)
{
	uint32_t *link = &shim_ep_static_head[set];
	int n = 0;

	while (*link && n < cap) {
		struct shim_ep_reg *r = &shim_ep_regs[*link];
		uint64_t e = shim_fd_get(r->fd);
		unsigned int rev;

		if (!shim_ready_static(e)) {
			/* Connected since: the pair says it all now. */
			*link = r->next_static;
			r->on_static = false;
			continue;
		}
		link = &r->next_static;
		r->syn_now = false;
		if (((r->events & EPOLLONESHOT) && !r->armed) ||
		    ((r->events & EPOLLET) && !r->pending))
			continue;
		rev = shim_ready_fix(r->fd, e, shim_ep_pair_now(r->fd, e)) &
		      (r->events | EPOLLERR | EPOLLHUP) & ~SHIM_EP_FLAGS;
		if (!rev)
			continue;
		r->syn_now = true;
		r->pending = false;
		r->armed = false;
		out[n++] = (struct epoll_event){.events = rev, .data.u64 = r->data};
	}
	return n;
}

/*
 * An edge-triggered event with the bits of the last one reported, which
 * TCP would not give: the host's close wakes the pair twice (hang-up, then
 * the connect filler freed) where TCP_CLOSE has no wake-up left, and the
 * host reading the filler away wakes it once per part where TCP's
 * establishment wakes once; until the application first writes (which
 * clears SHIM_F_FILLED), nothing frees room in TCP's send buffer, so no
 * other OUT edge can come.
 */
static bool shim_ep_same_edge(uint64_t e, unsigned int rev)
{
	if (shim_ent_kind(e) != SHIM_STREAM)
		return false;
	if (rev & EPOLLHUP)
		return true;
	return (shim_ent_flags(e) & SHIM_F_FILLED) && !(rev & ~(EPOLLOUT | EPOLLWRNORM));
}

/*
 * An edge-triggered OUT event of a connected stream that only the host
 * taking written bytes out of the pair made (unix_write_space wakes the
 * pair's writers each time): TCP wakes a writer only when room comes back
 * after a write or a poll found none (SOCK_NOSPACE, sk_stream_write_space).
 * That one wake goes to every registration of the socket (out_wake). An
 * event with IN may be data that came (sock_def_readable): it stays, as
 * does one with a bit the last one lacked (a state change). One-shot ones
 * stay too, since arming one again at once would report it again.
 */
static bool shim_ep_write_space_only(struct shim_ep_reg *r, uint64_t e, unsigned int rev)
{
	const unsigned int out = EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;
	/* errwake: an error queue's ERR is its eventfd's edge (shim_ep_errq_event), not this one.
	 */
	unsigned int fresh =
		rev & ~out & ~r->last_rev & (r->errq_reg ? ~(unsigned int)EPOLLERR : ~0u);

	if (shim_ent_kind(e) != SHIM_STREAM || (r->events & (EPOLLET | EPOLLONESHOT)) != EPOLLET ||
	    r->pending || !(rev & EPOLLOUT) || (rev & (EPOLLIN | EPOLLRDNORM)) || fresh)
		return false;
	if (shim_ent_flags(e) & SHIM_F_NOSPACE) {
		for (uint32_t i = shim_ep_by_fd[r->fd]; i; i = shim_ep_regs[i].next_fd)
			shim_ep_regs[i].out_wake = true;
		shim_fd_flags(r->fd, 0, SHIM_F_NOSPACE);
	}
	if (r->out_wake) {
		r->out_wake = false;
		return false;
	}
	return true;
}

/*
 * A datagram socket registered for OUT only (the pair asked for IN too, for
 * error reports) woken while a datagram waits unread in its pair: the wake
 * may be the host taking a sent datagram out of the pair, which wakes the
 * writer each time (sock_def_write_space). It was if the socket sent since
 * it was last reported writable and nothing it sent is left in the pair.
 */
static bool shim_ep_dgram_sent(const struct shim_ep_reg *r, uint64_t e)
{
	int outq = -1;

	if (!(r->events & EPOLLOUT) || !(shim_ent_flags(e) & SHIM_F_DG_SENT))
		return false;
	return shim_real.ioctl(r->fd, SIOCOUTQ, &outq) == 0 && outq == 0;
}

/*
 * A level-triggered registration the kernel watches by edges (asked for
 * neither IN nor OUT, shim_ep_kernel_event) reports again while it stays
 * ready: ep_modify queues it at once if it is.
 */
static void shim_ep_rearm(int epfd, const struct shim_ep_reg *r, uint64_t e)
{
	struct epoll_event a = {.events = r->events, .data.u64 = r->data};
	bool asked_in;

	/* A moved one is under a closed number: the kernel takes no MOD for it. */
	if (r->events & (EPOLLET | EPOLLONESHOT | EPOLLIN | EPOLLOUT) || !r->asked_in || r->moved)
		return;
	a = shim_ep_kernel_event(e, &a, (uint32_t)(r - shim_ep_regs), &asked_in);
	shim_real.epoll_ctl(epfd, EPOLL_CTL_MOD, r->fd, &a);
}

/*
 * A socket ready by correction alone changed in the interposer (shutdown
 * of a never-connected stream): inet_shutdown's sk_state_change wakes a
 * thread sleeping on the set, and here nothing in the kernel would. The
 * registration is modified to ask the pair for OUT once (a pair of such a
 * socket is writable): ep_modify finds it ready, queues it and wakes the
 * set's waiters; the waiter's loop then reports the change from
 * shim_ep_synth() and puts the application's events back. One epoll_ctl
 * per registration, on this rare path only.
 */
static void shim_ep_wake(int epfd, struct shim_ep_reg *r)
{
	struct epoll_event k = {.events = EPOLLOUT | EPOLLONESHOT,
				.data.u64 = shim_ep_cookie((uint32_t)(r - shim_ep_regs))};

	if (r->moved || r->pid != getpid())
		return;
	if (shim_real.epoll_ctl(epfd, EPOLL_CTL_MOD, r->fd, &k) == 0)
		r->woken = true;
}

/* The wake-up came: the application's events again (ep_modify queues them if ready). */
static void shim_ep_wake_done(int epfd, struct shim_ep_reg *r, uint64_t e)
{
	struct epoll_event a = {.events = r->events, .data.u64 = r->data};
	bool asked_in;

	r->woken = false;
	if (r->moved)
		return;
	a = shim_ep_kernel_event(e, &a, (uint32_t)(r - shim_ep_regs), &asked_in);
	shim_real.epoll_ctl(epfd, EPOLL_CTL_MOD, r->fd, &a);
}

/*
 * Reports rev for registration r as the m-th event of this round (gen); the
 * kernel reports a registration once per call, so a second event of the same
 * round (its pair and its error-queue eventfd both woke) joins the first.
 */
static int shim_ep_put(struct shim_ep_reg *r, struct epoll_event *ev, int m, unsigned int rev,
		       uint32_t gen)
{
	r->last_rev = rev;
	if (r->rep_gen == gen) {
		ev[r->rep_idx].events |= rev;
		return m;
	}
	r->rep_gen = gen;
	r->rep_idx = m;
	ev[m] = (struct epoll_event){.events = rev, .data.u64 = r->data};
	return m + 1;
}

/*
 * errwake: r's error-queue eventfd woke the set (an entry is queued): the
 * socket's events now, with ERR, as ep_item_poll's tcp_poll after the
 * sk_error_report wake-up.
 */
static int shim_ep_errq_event(struct shim_ep_reg *r, struct epoll_event *ev, int m, uint32_t gen)
{
	uint64_t e = shim_fd_get(r->fd);
	struct pollfd p = {
		.fd = r->fd,
		.events = (short)(r->events & (EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP))};
	unsigned int rev;

	if (!r->errq_reg || r->woken || shim_ent_kind(e) != SHIM_STREAM ||
	    ((r->events & EPOLLONESHOT) && !r->armed && r->rep_gen != gen))
		return m;
	r->armed = false;
	if (shim_real.poll(&p, 1, 0) < 0)
		p.revents = 0;
	rev = (shim_ready_fix(r->fd, e, (unsigned short)p.revents) | EPOLLERR) &
	      (r->events | EPOLLERR | EPOLLHUP) & ~SHIM_EP_FLAGS;
	r->pending = false;
	return shim_ep_put(r, ev, m, rev, gen);
}

/*
 * A datagram socket's pending error (the notice word's sequence number + 1),
 * or 0. The host sets the word before it writes the report into the pair,
 * so a waiter that polled in between (woken by the host taking a sent
 * datagram) reported ERR already; the report's own wake-up that follows is
 * the same sk_error_report, no second edge. Not for a socket that sent
 * stamped or zerocopy datagrams: their void reports are new error-queue
 * entries, each an sk_error_report of its own, while an error stays pending.
 */
static uint32_t shim_ep_dgram_err(uint64_t e)
{
	uint64_t w;

	if (shim_ent_kind(e) != SHIM_DGRAM || (shim_ent_flags(e) & SHIM_F_NOTICED))
		return 0;
	w = shim_notice_peek(e);
	return (w & SHIM_NOTICE_ERR) ? SHIM_NOTICE_SEQ(w) + 1 : 0;
}

/* The kernel's n events in ev, translated in place; returns how many are left. */
static int shim_ep_translate(int epfd, uint32_t set, struct epoll_event *ev, int n)
{
	uint32_t gen = ++shim_ep_gen;
	int m = 0;

	for (int i = 0; i < n; i++) {
		struct epoll_event k = ev[i];
		bool errq = (k.data.u64 & ~0xffffffffULL) == shim_ep_tag &&
			    ((uint32_t)k.data.u64 & SHIM_EP_ERRQ);
		struct shim_ep_reg *r = shim_ep_reg_of(
			errq ? k.data.u64 & ~(uint64_t)SHIM_EP_ERRQ : k.data.u64, set);
		unsigned int rev;
		uint32_t err;
		uint64_t e;

		if (r && errq) {
			m = shim_ep_errq_event(r, ev, m, gen);
			continue;
		}
		if (!r) {
			/* One of ours whose registration is gone (its socket's last fd closed
			 * here). */
			if ((k.data.u64 & ~0xffffffffULL) != shim_ep_tag)
				ev[m++] = k;
			continue;
		}
		e = shim_fd_get(r->fd);
		/* One-shot, and its error-queue eventfd reported first: disarmed until MOD. */
		if ((r->events & EPOLLONESHOT) && !r->armed && r->errq_reg)
			continue;
		/* Only our wake-up: what the socket has now comes from synth or the restored MOD.
		 */
		if (r->woken) {
			shim_ep_wake_done(epfd, r, e);
			continue;
		}
		/*
		 * A wake-up of a never-connected stream's pair may be another
		 * holder's connect (fork, SCM_RIGHTS): its completion is the
		 * pair's edge here too, as sk_state_change wakes every waiter.
		 */
		if (shim_ready_static(e) && shim_ent_kind(e) == SHIM_STREAM) {
			e = shim_stream_connected_since(r->fd, e);
			/* A change of state, not a writer's wake-up (shim_ep_write_space_only). */
			if (!shim_ready_static(e))
				r->pending = true;
		}
		/*
		 * shim_ep_synth() speaks for a stream without a pair of its own,
		 * and for a datagram socket it reported this round; a datagram's
		 * pair still wakes an edge-triggered set (a datagram came).
		 */
		if (shim_ready_static(e) && (shim_ent_kind(e) == SHIM_STREAM || r->syn_now))
			continue;
		rev = shim_ready_fix(r->fd, e, k.events) & (r->events | EPOLLERR | EPOLLHUP) &
		      ~SHIM_EP_FLAGS;
		/*
		 * A datagram socket another process shut for reading (the fix
		 * mapped its page): its wake-up, a void report, comes once and
		 * IN|RDHUP stays.
		 */
		if (shim_ent_kind(e) == SHIM_DGRAM && shim_ready_static(e))
			shim_ep_static_push(r, (uint32_t)(r - shim_ep_regs));
		shim_ready_nospace(r->fd, e, r->events, rev);
		err = shim_ep_dgram_err(e);
		/*
		 * Woken by data the application did not ask for, not by a new error
		 * report (the first report after ADD/MOD is ep_insert's own).
		 */
		if (r->asked_in && (k.events & EPOLLIN) &&
		    (!(rev & EPOLLERR) || (err && err == r->err_tag)) && (r->events & EPOLLET) &&
		    !r->pending && !shim_ep_dgram_sent(r, e))
			rev = 0;
		if (rev & EPOLLERR)
			r->err_tag = err;
		/* Reported writable: the next sent datagram's wake-up is a new one. */
		if ((rev & EPOLLOUT) && (shim_ent_flags(e) & SHIM_F_DG_SENT))
			shim_fd_flags(r->fd, 0, SHIM_F_DG_SENT);
		if ((r->events & EPOLLET) && !r->pending && rev == r->last_rev &&
		    shim_ep_same_edge(e, rev))
			rev = 0;
		else if (shim_ep_write_space_only(r, e, rev))
			rev = 0;
		r->pending = false;
		if (!rev) {
			if ((r->events & EPOLLONESHOT) && !r->moved) {
				bool asked_in;
				struct epoll_event a = {.events = r->events, .data.u64 = r->data};

				a = shim_ep_kernel_event(e, &a, (uint32_t)(r - shim_ep_regs),
							 &asked_in);
				shim_real.epoll_ctl(epfd, EPOLL_CTL_MOD, r->fd, &a);
			}
			continue;
		}
		r->armed = false;
		m = shim_ep_put(r, ev, m, rev, gen);
		shim_ep_rearm(epfd, r, e);
	}
	return m;
}

/* One kernel wait: epoll_pwait2 when asked with a timespec, else epoll_pwait in ms. */
static int shim_ep_real_wait(int epfd, struct epoll_event *ev, int max, const struct timespec *left,
			     const sigset_t *mask, bool ns)
{
	long long ms;

	if (ns)
		return shim_real.epoll_pwait2(epfd, ev, max, left, mask);
	if (!left)
		return shim_real.epoll_pwait(epfd, ev, max, -1, mask);
	ms = left->tv_sec * 1000LL + (left->tv_nsec + 999999) / 1000000;
	return shim_real.epoll_pwait(epfd, ev, max, ms > INT32_MAX ? INT32_MAX : (int)ms, mask);
}

static bool shim_ts_past(const struct timespec *end)
{
	struct timespec left = shim_ts_left(end);

	return !left.tv_sec && !left.tv_nsec;
}

static int shim_ep_wait(int epfd, uint32_t set, struct epoll_event *uev, int max,
			const struct timespec *ts, const sigset_t *mask, bool ns)
{
	struct epoll_event syn[SHIM_EP_SYN];
	struct timespec end, left, zero = {0, 0};
	struct spin spin;
	bool spinning = shim_spin_begin(&spin, ts);
	const sigset_t *wmask = mask;
	sigset_t old;
	int nsyn, n, m;

	/* The spin and the sleep after it with signals blocked but in their calls (shim_spin.c). */
	if (spinning) {
		shim_spin_sigblock(&old);
		if (!mask)
			wmask = &old;
	}
	if (ts) {
		clock_gettime(CLOCK_MONOTONIC, &end);
		shim_ts_add(&end, ts);
	}
	for (;;) {
		pthread_mutex_lock(&shim_ep_lock);
		nsyn = shim_ep_synth(set, syn, max < SHIM_EP_SYN ? max : SHIM_EP_SYN);
		pthread_mutex_unlock(&shim_ep_lock);
		n = 0;
		if (nsyn < max) {
			/* SOCKSHIM_SPIN_US (shim_spin.c): look without sleeping first. */
			if (spinning && !nsyn) {
				while (!(n = shim_ep_real_wait(epfd, uev, max, &zero, wmask, ns)) &&
				       shim_spin_on(&spin))
					;
				shim_spin_end(&spin, n != 0);
			}
			if (ts)
				left = shim_ts_left(&end);
			if (!n)
				n = shim_ep_real_wait(epfd, uev + nsyn, max - nsyn,
						      nsyn ? &zero
						      : ts ? &left
							   : NULL,
						      wmask, ns);
			if (n < 0)
				n = -errno;
		}
		if (spinning) {
			shim_spin_sigrestore(&old);
			spinning = false;
			wmask = mask;
		}
		if (n < 0) {
			if (!nsyn)
				return n;
			n = 0;
		}
		pthread_mutex_lock(&shim_ep_lock);
		m = shim_ep_translate(epfd, set, uev + nsyn, n);
		pthread_mutex_unlock(&shim_ep_lock);
		if (nsyn && shim_copy_to_user(uev, syn, (size_t)nsyn * sizeof(*syn)))
			return -EFAULT;
		/* Only events nobody asked for: wait on for the rest of the time. */
		if (nsyn + m || !n || (ts && shim_ts_past(&end)))
			return nsyn + m;
	}
}

/* The set epfd names if it holds an emulated socket, else 0 (the kernel's call as is). */
static uint32_t shim_ep_set_of(int epfd, int max)
{
	uint64_t ee = shim_fd_get(epfd);

	if (shim_ent_kind(ee) != SHIM_EPOLL || max <= 0 || max > SHIM_EP_MAX_EVENTS)
		return 0;
	return shim_ent_id(ee);
}

static int shim_epoll_wait_call(enum shim_sym sym, int epfd, struct epoll_event *ev, int max,
				const struct timespec *ts, const sigset_t *mask, int ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
	uint32_t set = shim_ep_set_of(epfd, max);
	struct shim_call c;
	int ret;

	shim_call_begin(&c, sym);
	if (sym == SHIM_SYM_epoll_pwait2 && ts) {
		if (shim_copy_from_user(&t, ts, sizeof(t))) {
			ret = (int)shim_ret(-EFAULT, c.err0);
			goto out;
		}
		if (t.tv_sec < 0 || (unsigned long)t.tv_nsec >= 1000000000UL) {
			ret = (int)shim_ret(-EINVAL, c.err0);
			goto out;
		}
	}
	if (!set) {
		if (sym == SHIM_SYM_epoll_pwait2)
			ret = shim_real.epoll_pwait2(epfd, ev, max, ts, mask);
		else
			ret = shim_real.epoll_pwait(epfd, ev, max, ms, mask);
	} else {
		c.path = "stack";
		ret = shim_ep_wait(epfd, set, ev, max,
				   sym == SHIM_SYM_epoll_pwait2 ? (ts ? &t : NULL)
				   : ms < 0			? NULL
								: &t,
				   mask, sym == SHIM_SYM_epoll_pwait2);
		ret = (int)shim_ret(ret, c.err0);
	}
out:
	if (unlikely(shim_trace_level))
		shim_trace(&c, ret, "%d, %p, %d, %d", epfd, (void *)ev, max, ms);
	return ret;
}

SHIM_EXPORT int epoll_wait(int epfd, struct epoll_event *ev, int max, int ms)
{
	if (likely(!shim_slow) && likely(!shim_fd_get(epfd)))
		return shim_real.epoll_wait(epfd, ev, max, ms);
	return shim_epoll_wait_call(SHIM_SYM_epoll_wait, epfd, ev, max, NULL, NULL, ms);
}

SHIM_EXPORT int epoll_pwait(int epfd, struct epoll_event *ev, int max, int ms, const sigset_t *mask)
{
	if (likely(!shim_slow) && likely(!shim_fd_get(epfd)))
		return shim_real.epoll_pwait(epfd, ev, max, ms, mask);
	return shim_epoll_wait_call(SHIM_SYM_epoll_pwait, epfd, ev, max, NULL, mask, ms);
}

SHIM_EXPORT int epoll_pwait2(int epfd, struct epoll_event *ev, int max, const struct timespec *ts,
			     const sigset_t *mask)
{
	if (likely(!shim_slow) && likely(!shim_fd_get(epfd)))
		return shim_real.epoll_pwait2(epfd, ev, max, ts, mask);
	return shim_epoll_wait_call(SHIM_SYM_epoll_pwait2, epfd, ev, max, ts, mask, -1);
}

/* ---- the interposer's own changes ---- */

static void shim_ep_fd_update(int fd, bool edge)
{
	uint64_t e = shim_fd_get(fd);

	if (!shim_ep_regs || (unsigned int)fd >= shim_fd_max)
		return;
	pthread_mutex_lock(&shim_ep_lock);
	for (uint32_t i = shim_ep_by_fd[fd]; i; i = shim_ep_regs[i].next_fd) {
		struct shim_ep_reg *r = &shim_ep_regs[i];

		if (edge)
			r->pending = true;
		if (shim_ready_static(e)) {
			shim_ep_static_push(r, i);
			if (edge && shim_ent_kind(e) == SHIM_STREAM)
				shim_ep_wake(r->epfd, r);
		}
	}
	pthread_mutex_unlock(&shim_ep_lock);
}

/* sk_state_change wakes the set: an edge for every registration. */
void shim_epoll_fd_changed(int fd)
{
	shim_ep_fd_update(fd, true);
}

/*
 * Taking the error report leaves the error queue as it was: no wake-up, but
 * a level-triggered set keeps reporting ERR.
 */
void shim_epoll_fd_static(int fd)
{
	shim_ep_fd_update(fd, false);
}

/* Another fd of this process on the same socket as fd (entry e), or -1. */
static int shim_ep_other_fd(int fd, uint64_t e)
{
	unsigned int hi = shim_fd_hi_get();

	for (unsigned int o = 0; o < hi; o++) {
		if ((int)o != fd && shim_fd_get((int)o) == e)
			return (int)o;
	}
	return -1;
}

void shim_epoll_forget_fd(int fd, bool del)
{
	uint64_t e = shim_fd_get(fd);
	int other = -2;
	uint32_t i;

	if (!shim_ep_regs || (unsigned int)fd >= shim_fd_max)
		return;
	pthread_mutex_lock(&shim_ep_lock);
	while ((i = shim_ep_by_fd[fd])) {
		struct shim_ep_reg *r = &shim_ep_regs[i];

		/* Our eventfd is this fd's: the host holds it open, so the kernel keeps it. */
		shim_ep_errq_drop(r);
		/* ep_remove happens at the socket's last close: a dup keeps it reported. */
		if (other == -2)
			other = shim_ep_other_fd(fd, e);
		if (other >= 0 && r->pid == getpid()) {
			shim_ep_by_fd[fd] = r->next_fd;
			r->fd = other;
			r->moved = true;
			r->next_fd = shim_ep_by_fd[other];
			shim_ep_by_fd[other] = i;
			continue;
		}

		/* Still open here: the kernel forgets it with us (not in a fork child's copy). */
		if (del && r->pid == getpid())
			shim_real.epoll_ctl(r->epfd, EPOLL_CTL_DEL, fd, NULL);
		shim_ep_release(i);
	}
	pthread_mutex_unlock(&shim_ep_lock);
}

/*
 * listen() put the host's listener in place of fd's pair end, and the
 * kernel dropped the pair's registrations with it; the application's stay
 * on the socket, as the kernel's do (an event loop may register a socket
 * before it listens: pyftpdlib's). A listener's readiness is the kernel's
 * own, so the sets get it with the application's events and data.
 */
void shim_epoll_fd_listening(int fd)
{
	uint32_t i;

	if (!shim_ep_regs || (unsigned int)fd >= shim_fd_max)
		return;
	pthread_mutex_lock(&shim_ep_lock);
	while ((i = shim_ep_by_fd[fd])) {
		struct shim_ep_reg *r = &shim_ep_regs[i];
		struct epoll_event ev = {.events = r->events, .data.u64 = r->data};

		/* A one-shot registration already reported stays disarmed until MOD. */
		if ((r->events & EPOLLONESHOT) && !r->armed)
			ev.events = EPOLLONESHOT;
		if (r->pid == getpid() && !r->moved)
			shim_real.epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev);
		shim_ep_errq_drop(r);
		shim_ep_release(i);
	}
	pthread_mutex_unlock(&shim_ep_lock);
}

void shim_epoll_fd_renewed(int fd)
{
	uint64_t e = shim_fd_get(fd);

	if (!shim_ep_regs || (unsigned int)fd >= shim_fd_max)
		return;
	pthread_mutex_lock(&shim_ep_lock);
	for (uint32_t i = shim_ep_by_fd[fd]; i; i = shim_ep_regs[i].next_fd) {
		struct shim_ep_reg *r = &shim_ep_regs[i];
		struct epoll_event ev = {.events = r->events, .data.u64 = r->data}, k;

		if (r->pid != getpid() || r->moved)
			continue;
		k = shim_ep_kernel_event(e, &ev, i, &r->asked_in);
		/* A one-shot registration already reported stays disarmed until MOD. */
		if ((r->events & EPOLLONESHOT) && !r->armed)
			k.events = EPOLLONESHOT;
		r->woken = false;
		shim_real.epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &k);
	}
	pthread_mutex_unlock(&shim_ep_lock);
	shim_ep_fd_update(fd, true);
}

int shim_epoll_regs_of(int fd, ino_t ino, struct shim_ep_found *regs, int max)
{
	char path[64], link[32], line[256];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return 0;
	while (n < max && (d = readdir(dir))) {
		int epfd = atoi(d->d_name);
		ssize_t len;
		FILE *f;

		/* "." and ".." are no fd (atoi would make them fd 0 twice over). */
		if (d->d_name[0] == '.' || epfd == dirfd(dir))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", epfd);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (strcmp(link, "anon_inode:[eventpoll]"))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", epfd);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (n < max && fgets(line, sizeof(line), f)) {
			unsigned long long data;
			unsigned long tino;
			unsigned int events;
			int tfd;

			/* ep_show_fdinfo: "tfd: %8d events: %8x data: %16llx  pos:%lli ino:%lx" */
			if (sscanf(line, "tfd: %d events: %x data: %llx pos:%*d ino:%lx", &tfd,
				   &events, &data, &tino) != 4 ||
			    tfd != fd || tino != (unsigned long)ino)
				continue;
			regs[n].epfd = epfd;
			regs[n].ev.events = events;
			regs[n].ev.data.u64 = data;
			n++;
		}
		fclose(f);
	}
	closedir(dir);
	return n;
}

void shim_epoll_regs_add(int fd, const struct shim_ep_found *regs, int n)
{
	for (int i = 0; i < n; i++) {
		struct epoll_event ev = regs[i].ev;

		pthread_mutex_lock(&shim_ep_lock);
		if (shim_ep_init())
			shim_ep_ctl(regs[i].epfd, EPOLL_CTL_ADD, fd, &ev);
		pthread_mutex_unlock(&shim_ep_lock);
	}
}

void shim_epoll_forget_set(int epfd, uint64_t ee)
{
	uint32_t set = shim_ent_id(ee);

	if (!shim_ep_regs || set >= SHIM_EP_SETS)
		return;
	pthread_mutex_lock(&shim_ep_lock);
	for (uint32_t i = 1; i < shim_ep_hi; i++) {
		if (shim_ep_regs[i].set == set)
			shim_ep_release(i);
	}
	shim_ep_set_used[set] = false;
	pthread_mutex_unlock(&shim_ep_lock);
}
