/* SPDX-License-Identifier: MIT */
/*
 * The emulated sockets of the stack host: one record per socket joining the
 * core's struct socket to the host end of its AF_UNIX pair, and the pumps
 * that move data between them (preload/common/shim_ctl.h has the rules both sides
 * follow).
 *
 * The stack's callbacks (sk_data_ready, ...) only note the event and queue
 * the record; the work runs from stackd_run_ready() once the core call that
 * raised it has returned, so the core is never re-entered from inside itself
 * and a burst of segments costs one writev. Pair fds are edge-triggered: the
 * record remembers readable/writable until a call returns EAGAIN, so nothing
 * is polled that cannot make progress.
 *
 * Streams: stack -> pair is peek_iov + writev + consume (the only copy is
 * into the pair); pair -> stack is send_iov + readv + send_commit, at most
 * sk_stream_wspace() straight into the send queue's segments (the only copy
 * is out of the pair), else a read into the host's I/O buffer and sendmsg. Datagrams are framed
 * with struct shim_dgram both ways. Readiness follows TCP: nothing is read from a connecting
 * socket's pair until ESTABLISHED (then the interposer's filler is read away), the peer's FIN
 * becomes shutdown(pair, SHUT_WR) once the data before it is written, and a reset closes the host
 * end without reading so that the application sees POLLERR|POLLHUP; the record then stays as a
 * zombie answering GETERR/getsockopt for a while.
 *
 * Listeners: the application holds an AF_UNIX listener; each accepted TCP
 * connection is handed over by connecting to it from a socket named
 * shim_sock_name('s'). The host cannot see the application close an AF_UNIX
 * listener, so it asks the kernel about each one with sock_diag
 * (stackd_own.c: on SHIM_OP_CLOSE, before a bind answers EADDRINUSE, and
 * once a second while there are any).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "inet.h"
#include "inet_hashtables.h"
#include "ip.h"
#include <linux/sockios.h>
#include "netdevice.h"
#include "shim_ctl.h"
#include "tcp.h"
#include "udp.h" /* udp_corked */
#include "stackd.h"
#include "stackd_diag.h"
#include "stackd_loopback.h"
#include "tcp.h"

#define STACKD_HASH_SIZE      1024
#define STACKD_RETRY_NS	      (10 * NSEC_PER_MSEC)
#define STACKD_LIMIT_RETRY_NS (100 * NSEC_PER_MSEC)
#define STACKD_SCAN_NS	      NSEC_PER_SEC
#define STACKD_ROUND_BYTES    (1024 * 1024) /* per record per round, then others get a turn */
#define STACKD_ROUND_DGRAMS   64
#define STACKD_ACCEPT_BUDGET  64
#define STACKD_MAX_IOV	      64
#define STACKD_SEND_IOV	      128	/* segments one readv fills: 181 KiB at MTU 1500 */
#define STACKD_PAIR_SNDBUF    (4 << 20) /* the kernel doubles it; see stackd_pair_tune */
#define STACKD_PAIR_EVENTS    (EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDHUP | EPOLLET)

/*
 * sk_user_data of a struct sock whose socket was released but which lives on
 * in the stack (FIN_WAIT, TIME_WAIT): callbacks ignore it, the destructor
 * still counts it.
 */
static char stackd_lingering_mark;
#define STACKD_LINGERING ((void *)&stackd_lingering_mark)

/* ---- the live struct sock count ---------------------------------------- */

/* The host whose stack sk lives in: its struct net is the host's. */
static struct stackd *stackd_of(const struct sock *sk)
{
	return container_of(sock_net(sk), struct stackd, net);
}

/* The core's owner hook (net->sk_owner_free): counts socks still alive after their release. */
static void stackd_sk_owner_free(struct sock *sk)
{
	struct stackd_sock *ss = sk->sk_user_data;

	/*
	 * Only socks we attached are counted; a connection cloned from a
	 * listener inherits the listener's user data but was never counted
	 * unless accepted.
	 */
	if (ss == STACKD_LINGERING || (ss && ss->sock && ss->sock->sk == sk))
		stackd_of(sk)->live_sk--;
}

/* ---- stack callbacks ---------------------------------------------------- */

/*
 * Every stack callback (data ready, write space, state change, error report)
 * means the same to the host: look at the socket again once the core call
 * has returned. The work reads the socket's state, not the event.
 */
static void stackd_sk_wake(struct sock *sk)
{
	struct stackd_sock *ss = sk->sk_user_data;

	if (!ss || ss == STACKD_LINGERING)
		return;
	stackd_sock_queue(ss);
}

/* sk_error_report: counted too, so that a stream's error-queue eventfd gives an edge per call. */
static void stackd_sk_error_report(struct sock *sk)
{
	struct stackd_sock *ss = sk->sk_user_data;

	if (!ss || ss == STACKD_LINGERING)
		return;
	ss->errq_reports++;
	stackd_sock_queue(ss);
}

static void stackd_sk_attach(struct stackd_sock *ss, struct sock *sk)
{
	struct stackd *sd = ss->sd;

	sk->sk_user_data = ss;
	sk->sk_data_ready = stackd_sk_wake;
	sk->sk_write_space = stackd_sk_wake;
	sk->sk_state_change = stackd_sk_wake;
	sk->sk_error_report = stackd_sk_error_report;
	sk->sk_owner_holds = true;
	sd->live_sk++;
}

/* ---- records -------------------------------------------------------------- */

static void stackd_zombie_arm(struct stackd_sock *ss)
{
	struct stackd *sd = ss->sd;

	mod_timer(&sd->timers, &ss->timer,
		  stackd_time(sd) + (uint64_t)sd->zombie_ms * NSEC_PER_MSEC);
}

/*
 * An accepted connection whose end the application never named is held
 * while it waits in the listener's queue (the kernel's accept() returns it
 * reset, and its first read fails with ECONNRESET), and once accepted while
 * that end is open, which is then named here for the checks to come.
 */
static bool stackd_unnamed_held(struct stackd_sock *ss)
{
	struct stackd *sd = ss->sd;
	struct stackd_sock *ls = stackd_sock_find(sd, ss->listener);
	struct stackd_skid mine;
	uint32_t peer = 0;
	uint64_t cookie = 0;

	if (stackd_skid_get(ss->unnamed_fd, &mine))
		return false;
	if (ls && ls->listening && ls->lsn.cookie &&
	    stackd_diag_unix_queued(&sd->diag_fd, ls->lsn.ino, ls->lsn.cookie, mine.ino) == 1)
		return true;
	if (stackd_diag_unix_peer(&sd->diag_fd, mine.ino, mine.cookie, &peer) != 1 || !peer ||
	    stackd_diag_unix_cookie(&sd->diag_fd, peer, &cookie) != 1)
		return false;
	ss->app.ino = peer;
	ss->app.cookie = cookie;
	stackd_unnamed_close(ss);
	return true;
}

/*
 * A zombie is the application's socket for as long as it holds it, as the
 * kernel keeps a socket with its sk_err and TCP_CLOSE until its close (a
 * connect() much later gets its new pair): its close tells the host
 * (SHIM_OP_CLOSE), and a close the host does not hear of (a process killed)
 * is found here, by asking the kernel every zombie_ms whether the
 * application's end is still open. An accepted socket the application
 * never named to the host (no request about it: no cookie) cannot be asked
 * about and goes at the first expiry.
 */
static void stackd_zombie_expire(struct timer_list *t)
{
	struct stackd_sock *ss = from_timer(ss, t, timer);
	struct stackd *sd = ss->sd;

	if ((ss->unnamed_fd >= 0 && stackd_unnamed_held(ss)) ||
	    (ss->app.cookie && stackd_app_held(ss))) {
		stackd_trace(sd, "id %u: zombie still held", ss->id);
		stackd_zombie_arm(ss);
		return;
	}
	stackd_trace(sd, "id %u: zombie expired", ss->id);
	stackd_sock_free(ss);
}

static void stackd_retry_child(struct timer_list *t)
{
	struct stackd_sock *ss = from_timer(ss, t, retry);

	stackd_sock_queue(ss);
}

struct stackd_sock *stackd_sock_find(struct stackd *sd, uint32_t id)
{
	struct stackd_sock *ss;

	if (!sd->hash)
		return NULL;
	for (ss = sd->hash[id % sd->hash_size]; ss; ss = ss->hash_next) {
		if (ss->id == id)
			return ss;
	}
	return NULL;
}

/*
 * The host's end of a stream pair may queue a quarter of its SO_SNDBUF
 * towards the program (stackd_stream_out), so one writev of received data
 * moves more and the program and the host wake each other less often; the
 * default (wmem_default, 208 KiB) held a round to a few 64 KiB frames.
 * Measured (README "Measured"): receiving gains; the same on the program's
 * end slowed sending, so that one keeps the default. Idle, a pair holds
 * nothing. Best effort: the kernel caps it at wmem_max (here 4 MiB, so
 * 8 MiB once doubled and 2 MiB held). Returns what the pair may hold.
 */
static uint32_t stackd_pair_tune(int fd)
{
	int v = STACKD_PAIR_SNDBUF;
	socklen_t len = sizeof(v);

	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &len) < 0 || v <= 0)
		return 0;
	return (uint32_t)v / 4;
}

/*
 * Urgent data rides the pair's own out-of-band byte (AF_UNIX_OOB). Our end
 * reads it inline, so a read stops at the mark and the byte is never lost;
 * SIOCATMARK says when it is next.
 */
static void stackd_pair_oobinline(int fd)
{
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one));
}

/*
 * The next id whose notice slot (id % sd->notice_slots) no live record
 * holds, so that each socket has a word of its own (shim_ctl.h); 0 is
 * never an id. Records that share a slot share a hash bucket (the hash's
 * size divides the page's), so one bucket walk tells. With every slot
 * held (as many live sockets as the host may have fds, zombies counted)
 * the next id is taken anyway, and that socket goes by its pair alone.
 */
static uint32_t stackd_sock_id(struct stackd *sd)
{
	const uint32_t slots = sd->notice_slots;

	_Static_assert(SHIM_NOTICE_SLOTS_MIN % STACKD_HASH_SIZE == 0,
		       "a slot's ids share a bucket");
	for (uint32_t tries = 0;; tries++) {
		uint32_t id = sd->next_id++;
		const struct stackd_sock *o;

		if (!id)
			continue;
		if (tries >= slots)
			return id;
		for (o = sd->hash[id % sd->hash_size]; o; o = o->hash_next) {
			if (o->id % slots == id % slots)
				break;
		}
		if (!o)
			return id;
	}
}

/* Makes a record for sock; fd (the host end, or -1) is added to epoll when given. */
/*
 * The nonces that make pair and listener names unguessable are drawn from a
 * pool filled by one getrandom for 64 of them: a system call less for each
 * new socket. They stay as secret as before (this process's memory), and
 * each is used once.
 */
int stackd_nonce(struct stackd *sd, uint64_t *nonce)
{
	if (!sd->nonces_left) {
		if (getrandom(sd->nonces, sizeof(sd->nonces), 0) != (ssize_t)sizeof(sd->nonces))
			return errno ? -errno : -EIO;
		sd->nonces_left = sizeof(sd->nonces) / sizeof(sd->nonces[0]);
	}
	*nonce = sd->nonces[--sd->nonces_left];
	return 0;
}

static bool stackd_hash_ready(struct stackd *sd)
{
	if (!sd->hash) {
		sd->hash_size = STACKD_HASH_SIZE;
		sd->hash = calloc(sd->hash_size, sizeof(*sd->hash));
	}
	return sd->hash;
}

struct stackd_sock *stackd_sock_new(struct stackd *sd, struct socket *sock, int fd, bool stream)
{
	uint64_t nonce;

	if (stackd_nonce(sd, &nonce) || !stackd_hash_ready(sd))
		return NULL;
	return stackd_sock_new_as(sd, sock, fd, stream, stackd_sock_id(sd), nonce);
}

/*
 * Reserved ids come straight from the counter, without stackd_sock_id's
 * look for a free notice slot: one taken by then leaves the socket to go
 * by its pair alone, as stackd_sock_id's last resort does.
 */
uint32_t stackd_ids_reserve(struct stackd_conn *c)
{
	struct stackd *sd = c->sd;

	if (!sd->next_id || sd->next_id > UINT32_MAX - SHIM_ADOPT_IDS)
		sd->next_id = 1; /* 0 is never an id */
	c->ids_next = sd->next_id;
	c->ids_end = sd->next_id + SHIM_ADOPT_IDS;
	sd->next_id = c->ids_end;
	return c->ids_next;
}

struct stackd_sock *stackd_sock_new_as(struct stackd *sd, struct socket *sock, int fd, bool stream,
				       uint32_t id, uint64_t nonce)
{
	struct stackd_sock *ss;
	unsigned int b;

	if (!stackd_hash_ready(sd))
		return NULL;
	ss = calloc(1, sizeof(*ss));
	if (!ss)
		return NULL;
	ss->ep.kind = STACKD_EP_PAIR;
	ss->nonce = nonce;
	ss->id = id;
	INIT_LIST_HEAD(&ss->ready);
	ss->sd = sd;
	ss->sock = sock;
	ss->fd = -1;
	ss->errq_efd = -1;
	ss->skstate_fd = -1;
	ss->app_keep = -1;
	ss->old_fd = -1;
	ss->old_ep.kind = STACKD_EP_OLD_END;
	ss->unnamed_fd = -1;
	ss->stream = stream;
	ss->pair_writable = true;
	timer_setup(&ss->timer, stackd_zombie_expire);
	timer_setup(&ss->retry, stackd_retry_child);
	if (fd >= 0 && stream)
		stackd_pair_oobinline(fd);
	if (fd >= 0 && stackd_epoll_add(sd, fd, STACKD_PAIR_EVENTS, &ss->ep) < 0) {
		free(ss);
		return NULL;
	}
	ss->fd = fd;
	if (stream && fd >= 0)
		ss->pair_hold = stackd_pair_tune(fd);
	stackd_sk_attach(ss, sock->sk);

	b = ss->id % sd->hash_size;
	ss->hash_next = sd->hash[b];
	sd->hash[b] = ss;
	sd->nsocks++;
	return ss;
}

/*
 * Listeners: nothing tells the host when the application closes them; nor
 * a stream's earlier pair ends while it keeps a copy of the current one.
 */
static bool stackd_watched(const struct stackd_sock *ss)
{
	return ss->listening || ss->app_keep >= 0;
}

/*
 * The copy of the application's end kept for holders of an earlier pair
 * (SHIM_SO_PAIR) goes with its pair, or once no earlier end is held: only
 * then does the pair's hang-up tell that the application closed the socket.
 */
static void stackd_app_keep_drop(struct stackd_sock *ss)
{
	if (ss->app_keep < 0)
		return;
	close(ss->app_keep);
	ss->app_keep = -1;
	stackd_notice_flag(ss, SHIM_NOTICE_NEWPAIR, false);
}

static void stackd_pair_close(struct stackd_sock *ss)
{
	struct stackd *sd = ss->sd;

	stackd_app_keep_drop(ss);
	if (ss->fd < 0)
		return;
	stackd_epoll_del(sd, ss->fd);
	close(ss->fd);
	ss->fd = -1;
}

void stackd_unnamed_close(struct stackd_sock *ss)
{
	if (ss->unnamed_fd < 0)
		return;
	close(ss->unnamed_fd);
	ss->unnamed_fd = -1;
}

static void stackd_old_end_close(struct stackd *sd, int *fd)
{
	if (*fd < 0)
		return;
	stackd_epoll_del(sd, *fd);
	close(*fd);
	*fd = -1;
}

/*
 * A failed connection's pair (stackd_sock_zombie): the application's end
 * must hang up, and connect() may later give the socket a new pair while
 * that end is still held elsewhere (stackd_sock_renew_pair). The host's
 * end is shut down both ways, not closed: the application's end then looks
 * as after a close (end of stream, EPIPE, HUP; unix_shutdown sets its
 * sk_shutdown as unix_release_sock would) but for the ECONNRESET a close
 * over unread bytes would leave on it; bytes it wrote stay unread here
 * (a refused connect's filler: its SIOCOUTQ tells the interposer's
 * blocking connect so). Kept, the host's end is woken when the last copy
 * of the application's end goes (unix_release_sock's sk_state_change of
 * its peer), by close() or by its holder's exit alike, so the socket's
 * last close is known at once rather than at the next scan.
 */
static void stackd_pair_retire(struct stackd_sock *ss)
{
	int fd = ss->fd;

	stackd_epoll_del(ss->sd, fd);
	ss->fd = -1;
	if (shutdown(fd, SHUT_RDWR) < 0 || stackd_epoll_add(ss->sd, fd, EPOLLET, &ss->old_ep) < 0) {
		close(fd);
		return;
	}
	ss->old_fd = fd;
}

static void stackd_old_ends_close(struct stackd_sock *ss)
{
	for (unsigned int i = 0; ss->app_old && i < ss->app_old->n; i++)
		stackd_old_end_close(ss->sd, &ss->app_old->fd[i]);
	free(ss->app_old);
	ss->app_old = NULL;
	stackd_old_end_close(ss->sd, &ss->old_fd);
}

/*
 * Forgets the earlier pair ends nobody holds any more (one sock_diag query
 * each); true while one is still held. With none left, the kept copy of the
 * current end goes (the socket is no longer watched for them).
 */
bool stackd_app_old_held(struct stackd_sock *ss)
{
	struct stackd_app_old *old = ss->app_old;
	unsigned int n = 0;

	for (unsigned int i = 0; old && i < old->n; i++) {
		if (stackd_skid_alive(ss->sd, &old->id[i]) == 0) {
			stackd_old_end_close(ss->sd, &old->fd[i]);
			continue;
		}
		old->fd[n] = old->fd[i];
		old->id[n++] = old->id[i];
	}
	if (old)
		old->n = n;
	if (!n && ss->app_keep >= 0) {
		ss->sd->nwatched--;
		stackd_app_keep_drop(ss);
	}
	return n > 0;
}

/*
 * A stream whose pair closed with its connection's error (a disconnect, a
 * failed connect: stackd_sock_zombie) and which connect() starts again:
 * the kernel's socket is TCP_CLOSE with empty queues, so it gets a fresh
 * pair, named as stackd_op_create names one (a new nonce: the old end may
 * still be held, and its name with it). *app_fd is the application's end,
 * which the interposer puts in place of its old one.
 */
int stackd_sock_renew_pair(struct stackd_sock *ss, int *app_fd)
{
	struct stackd *sd = ss->sd;
	char name[sizeof(((struct sockaddr_un *)0)->sun_path) - 1];
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct stackd_skid app;
	uint64_t nonce;
	int sv[2], r, keep;
	bool watched;

	if (stackd_nonce(sd, &nonce))
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	shim_sock_name(name, sizeof(name), 'a', sd->pid, ss->id, nonce);
	memcpy(sun.sun_path + 1, name, strlen(name));
	r = 0;
	if (bind(sv[0], (struct sockaddr *)&sun,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name))) < 0 ||
	    fcntl(sv[1], F_SETFL, O_NONBLOCK) < 0)
		r = -errno;
	if (!r)
		r = stackd_skid_get(sv[0], &app);
	if (!r) {
		stackd_pair_oobinline(sv[1]);
		ss->pair_hold = stackd_pair_tune(sv[1]);
		if (stackd_epoll_add(sd, sv[1], STACKD_PAIR_EVENTS, &ss->ep) < 0)
			r = -errno;
	}
	if (r) {
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	/*
	 * The old end stays the socket's wherever it is still held (fork,
	 * SCM_RIGHTS): its holders take the new one from a copy kept here,
	 * told by the notice word (the interposer's shim_stream_follow).
	 */
	keep = fcntl(sv[0], F_DUPFD_CLOEXEC, 0);
	if (keep < 0) {
		r = -errno;
		stackd_epoll_del(sd, sv[1]);
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	watched = stackd_watched(ss);
	stackd_pair_close(ss);
	if (ss->app.cookie && !ss->app_old)
		ss->app_old = calloc(1, sizeof(*ss->app_old));
	/* Without memory for it the old end is forgotten, as the oldest past STACKD_APP_OLD. */
	if (ss->app.cookie && ss->app_old) {
		struct stackd_app_old *old = ss->app_old;

		if (old->n == STACKD_APP_OLD) {
			stackd_old_end_close(sd, &old->fd[0]);
			memmove(old->id, old->id + 1, sizeof(old->id[0]) * --old->n);
			memmove(old->fd, old->fd + 1, sizeof(old->fd[0]) * old->n);
		}
		old->fd[old->n] = ss->old_fd;
		ss->old_fd = -1;
		old->id[old->n++] = ss->app;
	}
	stackd_old_end_close(sd, &ss->old_fd);
	ss->app_keep = keep;
	stackd_notice_flag(ss, SHIM_NOTICE_NEWPAIR, true);
	if (!watched) {
		sd->nwatched++;
		if (!timer_pending(&sd->scan_timer))
			mod_timer(&sd->timers, &sd->scan_timer, stackd_time(sd) + STACKD_SCAN_NS);
	}
	del_timer(&sd->timers, &ss->timer);
	ss->zombie = false;
	ss->fd = sv[1];
	ss->app = app;
	ss->nonce = nonce;
	ss->pair_readable = ss->pair_hup = ss->pair_rdhup = ss->pair_rd_eof = false;
	ss->app_unread = ss->stack_wr_shut = ss->pair_wr_shut = ss->shut_wr_pending = false;
	ss->app_shut = ss->pair_urg = ss->pend_oob = ss->pair_writer_waited = false;
	ss->pair_writer_idle = false;
	ss->writes_begun = 0;
	ss->connecting = ss->connect_wait = false;
	ss->filler = 0;
	ss->pair_writable = true;
	ss->pair_out_off = false;
	*app_fd = sv[0];
	stackd_trace(sd, "id %u: new pair for a new connection", ss->id);
	return 0;
}

/* ---- the notice page ------------------------------------------------------ */

/*
 * The page, made at first need: one memfd, sealed so that the clients it
 * is shared with can map it read-only and nothing else (no write, no
 * resize); only the host writes it.
 */
/*
 * As many slots as the host may have fds (its RLIMIT_NOFILE, raised to the
 * hard limit by stackd_limits_load), at least SHIM_NOTICE_SLOTS_MIN: each
 * live socket then has a word of its own. The memfd's pages are backed only
 * where words are written or read.
 */
uint32_t stackd_notice_slots_for(uint64_t nofile)
{
	uint32_t slots = SHIM_NOTICE_SLOTS_MIN;

	while (slots < SHIM_NOTICE_SLOTS_MAX && slots < nofile)
		slots <<= 1;
	return slots;
}

void stackd_notice_slots_init(struct stackd *sd)
{
	struct rlimit rl = {0};

	if (getrlimit(RLIMIT_NOFILE, &rl))
		rl.rlim_cur = 0;
	sd->notice_slots = stackd_notice_slots_for(rl.rlim_cur);
}

static uint64_t *stackd_notice_page(struct stackd *sd)
{
	const size_t len = SHIM_NOTICE_LEN(sd->notice_slots);
	const int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL;
	void *p;
	int fd;

	if (sd->notice)
		return sd->notice;
	fd = memfd_create("sockshim-notice", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return NULL;
	p = ftruncate(fd, (off_t)len) ? MAP_FAILED
				      : mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED && fcntl(fd, F_ADD_SEALS, seals) < 0) {
		munmap(p, len);
		p = MAP_FAILED;
	}
	if (p == MAP_FAILED) {
		stackd_error(sd, "notice page: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	sd->notice_fd = fd;
	sd->notice = p;
	stackd_notice_ports(sd);
	return p;
}

void stackd_notice_ports(struct stackd *sd)
{
	if (sd->notice)
		__atomic_store_n(&sd->notice[SHIM_NOTICE_PORTS(sd->notice_slots)],
				 (uint64_t)inet_connect_ports_spare(&sd->net), __ATOMIC_RELEASE);
}

/* The socket's word, or NULL when its slot is another live socket's (or there is no page). */
static uint64_t *stackd_notice_slot(struct stackd_sock *ss)
{
	uint64_t *page = stackd_notice_page(ss->sd), *w;
	uint32_t owner;

	if (!page)
		return NULL;
	w = &page[ss->id % ss->sd->notice_slots];
	owner = SHIM_NOTICE_ID(__atomic_load_n(w, __ATOMIC_RELAXED));
	return owner && owner != ss->id ? NULL : w;
}

int stackd_notice_share(struct stackd *sd, int *fd_out)
{
	if (!stackd_notice_page(sd))
		return -ENOMEM;
	*fd_out = fcntl(sd->notice_fd, F_DUPFD_CLOEXEC, 0);
	return *fd_out < 0 ? -errno : 0;
}

/*
 * An error report is about to go into the pair: it gets the next sequence
 * number, and the word says at once that the socket has this error pending
 * (udp_poll's ERR, sock_error's answer), wherever the report lands in the
 * pair.
 */
static void stackd_notice_report(struct stackd_sock *ss, struct shim_dgram *hdr)
{
	uint64_t *w = stackd_notice_slot(ss), v;
	unsigned int fl = SHIM_NOTICE_ERR;

	if (!w)
		return;
	/* The socket's own bits stay. */
	v = __atomic_load_n(w, __ATOMIC_RELAXED);
	if (SHIM_NOTICE_ID(v) == ss->id)
		fl |= (unsigned int)v & (SHIM_NOTICE_FLAGS & ~SHIM_NOTICE_REPORT);
	if (!(++ss->sd->notice_seq & 0xffff))
		ss->sd->notice_seq++; /* 0 is no report's */
	hdr->orig_len = ss->sd->notice_seq & 0xffff;
	if (hdr->flags & MSG_ERRQUEUE)
		fl |= SHIM_NOTICE_ERRQ;
	__atomic_store_n(w, shim_notice_word(ss->id, hdr->orig_len, hdr->err, fl),
			 __ATOMIC_RELEASE);
}

/* The pending error of the last report is no longer pending (taken, or voided). */
static void stackd_notice_clear(struct stackd_sock *ss, uint64_t keep)
{
	uint64_t *w = ss->sd->notice ? stackd_notice_slot(ss) : NULL;
	uint64_t v;

	if (!w || SHIM_NOTICE_ID(v = __atomic_load_n(w, __ATOMIC_RELAXED)) != ss->id)
		return;
	__atomic_store_n(w, v & keep, __ATOMIC_RELEASE);
}

/* One of the socket's own bits (SHIM_NOTICE_SKSTATE, SHIM_NOTICE_NEWPAIR), the rest kept. */
void stackd_notice_flag(struct stackd_sock *ss, unsigned int flag, bool on)
{
	uint64_t *w = stackd_notice_slot(ss), v;

	if (!w)
		return;
	v = __atomic_load_n(w, __ATOMIC_RELAXED);
	if (SHIM_NOTICE_ID(v) != ss->id)
		v = shim_notice_word(ss->id, 0, 0, 0);
	v = on ? v | flag : v & ~(uint64_t)flag;
	__atomic_store_n(w, v, __ATOMIC_RELEASE);
}

int stackd_notice_take(struct stackd_sock *ss, uint32_t seq)
{
	uint64_t *w = ss->sd->notice ? stackd_notice_slot(ss) : NULL;
	uint64_t v;

	if (!w)
		return 0;
	v = __atomic_load_n(w, __ATOMIC_RELAXED);
	if (SHIM_NOTICE_ID(v) != ss->id || !(v & SHIM_NOTICE_ERR) || SHIM_NOTICE_SEQ(v) != seq)
		return 0;
	stackd_notice_clear(ss, ~(uint64_t)SHIM_NOTICE_REPORT);
	return SHIM_NOTICE_ERRNO(v);
}

void stackd_sock_free(struct stackd_sock *ss)
{
	struct stackd *sd = ss->sd;
	struct stackd_sock **pp;

	list_del_init(&ss->ready);
	ss->queued = false;
	del_timer(&sd->timers, &ss->timer);
	del_timer(&sd->timers, &ss->retry);
	if (ss->child)
		stackd_sock_free(ss->child);
	stackd_loopback_unlisten(ss);
	if (stackd_watched(ss))
		sd->nwatched--;
	stackd_pair_close(ss);
	stackd_old_ends_close(ss);
	stackd_unnamed_close(ss);
	stackd_user_uncharge(ss);
	stackd_notice_clear(ss, 0); /* the slot is free for another id */
	if (ss->errq_efd >= 0)
		close(ss->errq_efd);
	ss->errq_efd = -1;
	if (ss->skstate_fd >= 0)
		close(ss->skstate_fd);
	ss->skstate_fd = -1;

	if (ss->sock) {
		struct sock *sk = ss->sock->sk;

		/* Whatever the stack still does with this sock, it is no longer ours to pump. */
		if (sk) {
			sk->sk_user_data = STACKD_LINGERING;
			sk->sk_owner_holds = false;
			sk->sk_owner_unread = 0;
		}
		/* Unread data in the pair counts as unread data for tcp_close (RST). */
		if (sk && ss->app_unread) {
			sock_set_flag(sk, SOCK_LINGER);
			sk->sk_lingertime = 0;
		}
		stackd_enter(sd, NULL);
		sock_release(ss->sock);
		ss->sock = NULL;
	}

	for (pp = &sd->hash[ss->id % sd->hash_size]; *pp; pp = &(*pp)->hash_next) {
		if (*pp == ss) {
			*pp = ss->hash_next;
			break;
		}
	}
	sd->nsocks--;
	stackd_trace(sd, "id %u: released", ss->id);
	free(ss->pend);
	ss->pend = NULL;
	stackd_filter_drop(ss);
	/* An event of the current epoll round may still point at it: freed after the round. */
	ss->dead = true;
	list_add_tail(&ss->ready, &sd->graveyard);
}

void stackd_sock_bury(struct stackd *sd)
{
	while (!list_empty(&sd->graveyard)) {
		struct stackd_sock *ss =
			list_first_entry(&sd->graveyard, struct stackd_sock, ready);

		list_del_init(&ss->ready);
		free(ss);
	}
}

static bool stackd_app_closed(struct stackd_sock *ss);
static bool stackd_stream_work(struct stackd_sock *ss, bool *more);
static void stackd_dgram_drain(struct stackd_sock *ss);

/*
 * A stream socket that never connected: its close has no TCP state to
 * wait for, the port is free at once (a bound socket closed and bound
 * again).
 */
static bool stackd_stream_unused(const struct stackd_sock *ss)
{
	return ss->sock && ss->sock->sk->sk_state == TCP_CLOSE && !ss->connecting &&
	       !ss->listening && !ss->zombie && !ss->handover;
}

void stackd_reap_closed(struct stackd *sd, bool any_user, uid_t uid)
{
	for (unsigned int b = 0; sd->hash && b < sd->hash_size; b++) {
		struct stackd_sock *ss = sd->hash[b], *next;

		for (; ss; ss = next) {
			struct pollfd p;

			next = ss->hash_next;
			if ((ss->stream && !stackd_stream_unused(ss)) || ss->fd < 0 ||
			    (!any_user && (!ss->charged || ss->owner != uid)))
				continue;
			p = (struct pollfd){.fd = ss->fd};
			if (poll(&p, 1, 0) == 1 && (p.revents & POLLHUP) &&
			    (!ss->stream || stackd_app_closed(ss))) {
				/* Its last sends returned to the program: they leave first. */
				stackd_dgram_drain(ss);
				stackd_trace(sd, "id %u: app closed", ss->id);
				stackd_sock_free(ss);
			}
		}
	}
}

/*
 * Whether the application's end of a stream's pair is closed (the pair
 * hangs up), and if so its work done now, as the round would do it. False
 * if the record was freed.
 */
bool stackd_pair_hup_now(struct stackd_sock *ss)
{
	struct pollfd p = {.fd = ss->fd, .events = POLLIN | POLLRDHUP};

	if (!ss->stream || !ss->sock || ss->fd < 0 || ss->handover || ss->zombie || ss->listening ||
	    ss->dead || poll(&p, 1, 0) != 1 || !(p.revents & POLLHUP))
		return true;
	stackd_pair_event(ss, EPOLLIN | EPOLLRDHUP | EPOLLHUP);
	return stackd_stream_settle(ss);
}

/*
 * The host's end of an earlier pair woke (maybe the release of the last
 * copy of its application's end: close, exit, kill), or a close() of the
 * socket was reported (stackd_op_close). If no earlier end is held any
 * more, a current end nobody holds either is the socket's last close,
 * handled now. A zombie's own retired pair (stackd_pair_retire) woke the
 * same way: its application's end gone is the zombie's last close, freed
 * at once as the kernel frees a closed socket, not at the next check
 * (stackd_zombie_expire).
 */
void stackd_old_end_event(struct stackd_sock *ss)
{
	if (ss->dead)
		return;
	if (ss->app_keep < 0) {
		if (ss->zombie && ss->old_fd >= 0 && !stackd_app_held(ss)) {
			stackd_trace(ss->sd, "id %u: zombie closed by its last holder", ss->id);
			stackd_sock_free(ss);
		}
		return;
	}
	if (!stackd_app_old_held(ss))
		stackd_pair_hup_now(ss);
}

void stackd_reap_hungup(struct stackd *sd)
{
	for (unsigned int b = 0; sd->hash && b < sd->hash_size; b++) {
		struct stackd_sock *ss = sd->hash[b], *next;

		for (; ss; ss = next) {
			next = ss->hash_next;
			/* Its work stays queued for the round if it lives on. */
			stackd_pair_hup_now(ss);
		}
	}
}

void stackd_sock_queue(struct stackd_sock *ss)
{
	struct stackd *sd = ss->sd;

	if (ss->queued || ss->dead)
		return;
	list_add_tail(&ss->ready, ss->sparse ? &sd->ready_sparse : &sd->ready);
	ss->queued = true;
}

static void stackd_stream_write_begins(struct stackd_sock *ss);

void stackd_pair_event(struct stackd_sock *ss, uint32_t events)
{
	if (ss->dead)
		return; /* released earlier in this epoll round */
	if ((events & EPOLLIN) && !ss->pair_readable)
		stackd_stream_write_begins(ss);
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		ss->pair_readable = true;
	if (events & EPOLLIN)
		ss->pair_writer_idle = false; /* it wrote: ask again (stackd_pair_full) */
	if (events & EPOLLOUT)
		ss->pair_writable = true;
	if (events & (EPOLLHUP | EPOLLERR))
		ss->pair_hup = true;
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		ss->pair_rdhup = true;
	if (events & EPOLLPRI)
		ss->pair_urg = true;
	stackd_sock_queue(ss);
}

/* Error path: the application sees POLLERR|POLLHUP; GETERR tells it why. */
static void stackd_sock_zombie(struct stackd_sock *ss)
{
	struct stackd *sd = ss->sd;

	stackd_trace(sd, "id %u: error %d (%s), pair closed", ss->id, ss->sock->sk->sk_err,
		     strerror(ss->sock->sk->sk_err));
	if (stackd_watched(ss))
		sd->nwatched--;
	ss->zombie = true;
	if (ss->stream && !ss->app.cookie && ss->fd >= 0 && !ss->handover) {
		stackd_epoll_del(sd, ss->fd);
		shutdown(ss->fd, SHUT_RDWR);
		ss->unnamed_fd = ss->fd;
		ss->fd = -1;
	}
	if (ss->stream && ss->app.cookie && ss->fd >= 0 && !ss->handover)
		stackd_pair_retire(ss);
	stackd_pair_close(ss);
	free(ss->pend);
	ss->pend = NULL;
	ss->pend_len = ss->pend_off = ss->pend_cap = 0;
	stackd_zombie_arm(ss);
}

/* Keeps bytes (or one datagram) for later; allocates only on this rare path. */
static int stackd_pend_store(struct stackd_sock *ss, const void *buf, size_t len)
{
	if (ss->pend_cap < len) {
		uint8_t *p = realloc(ss->pend, len);

		if (!p)
			return -ENOMEM;
		ss->pend = p;
		ss->pend_cap = len;
	}
	memcpy(ss->pend, buf, len);
	ss->pend_len = len;
	ss->pend_off = 0;
	return 0;
}

/* ctl: control messages of the kernel's layout (datagrams only), ctl_len bytes. */
static int stackd_sendmsg(struct socket *sock, const void *buf, size_t len,
			  struct sockaddr_in *addr, unsigned int flags, void *ctl, size_t ctl_len)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {
		.msg_name = addr,
		.msg_namelen = addr ? sizeof(*addr) : 0,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl_len ? ctl : NULL,
		.msg_controllen = ctl_len,
		.msg_flags = (int)(flags | MSG_DONTWAIT),
	};

	stackd_enter(stackd_of(sock->sk), NULL);
	return sock->ops->sendmsg(sock, &msg, len);
}

/* ---- streams -------------------------------------------------------------- */

static bool stackd_can_send(const struct sock *sk)
{
	/*
	 * TCP_FASTOPEN_CONNECT's connect() returned: the first write sends the
	 * SYN; a passive Fast Open child sends before its handshake completes.
	 */
	return sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_CLOSE_WAIT ||
	       inet_sk(sk)->defer_connect || tcp_passive_fastopen(sk);
}

/* Reads the interposer's filler away once the connection is up. */
static void stackd_filler_discard(struct stackd_sock *ss)
{
	struct stackd *sd = ss->sd;

	while (ss->filler) {
		size_t want = ss->filler < sd->iobuf_size ? ss->filler : sd->iobuf_size;
		ssize_t n = read(ss->fd, sd->iobuf, want);

		if (n <= 0) {
			if (n < 0 && errno == EAGAIN)
				ss->pair_readable = false;
			else
				stackd_error(sd, "id %u: filler: %zd bytes left unread", ss->id,
					     (ssize_t)ss->filler);
			return;
		}
		ss->filler -= (size_t)n;
	}
	ss->connecting = false;
	/* The blocking connect's wait ends here: __inet_stream_connect's SS_CONNECTED. */
	if (ss->connect_wait && ss->sock->state == SS_CONNECTING)
		ss->sock->state = SS_CONNECTED;
	/*
	 * The program's first write begins at the empty queue. The filler's
	 * EPOLLIN left pair_readable set, so a write made as soon as the pair
	 * turned writable, before the pump's next read, raises no beginning
	 * of its own: a fresh connection's first send of 100 KiB took 102,400
	 * bytes for the kernel's 78,192.
	 */
	stackd_stream_write_begins(ss);
	stackd_trace(sd, "id %u: established, filler read", ss->id);
}

/*
 * The peer's urgent byte is next: it goes into the pair as the pair's
 * out-of-band byte, so that the application's reads stop at the mark, skip
 * it unless SO_OOBINLINE, and recv(MSG_OOB), SIOCATMARK, POLLPRI and SIGURG
 * work on its fd as on TCP's. A byte the application took with MSG_OOB from
 * us already is dropped. Returns false when the pair is full.
 */
static bool stackd_urg_out(struct stackd_sock *ss, int urg_state, uint8_t urg)
{
	struct stackd *sd = ss->sd;

	if (urg_state == TCP_URG_VALID && !ss->pair_wr_shut &&
	    send(ss->fd, &urg, 1, MSG_OOB | MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		if (errno == EAGAIN) {
			ss->pair_writable = false;
			return false;
		}
		if (errno != EPIPE)
			stackd_error(sd, "id %u: pair urgent write: %s", ss->id, strerror(errno));
		ss->pair_wr_shut = true;
	}
	stackd_enter(sd, NULL);
	ss->sock->ops->consume(ss->sock, 1);
	return true;
}

/* An urgent byte is in the pair, next or behind other bytes. */
static bool stackd_pair_has_urg(const struct stackd_sock *ss)
{
	struct pollfd pfd = {.fd = ss->fd, .events = POLLPRI};

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLPRI);
}

/*
 * Application -> stack at the pair's mark: the urgent byte the application
 * sent (read inline on our end) becomes a write of its own with MSG_OOB, so
 * that it is the segment's urgent byte (tcp_mark_urg). Returns false when
 * the mark is not next.
 */
static bool stackd_urg_in(struct stackd_sock *ss)
{
	int at = 0, r;
	uint8_t c;

	if (ioctl(ss->fd, SIOCATMARK, &at) < 0 || !at || read(ss->fd, &c, 1) != 1)
		return false;
	/* Another urgent byte may be on its way behind this one. */
	ss->pair_urg = stackd_pair_has_urg(ss);
	r = stackd_sendmsg(ss->sock, &c, 1, NULL, MSG_OOB, NULL, 0);
	if (r == 0 || r == -EAGAIN) {
		if (stackd_pend_store(ss, &c, 1) == 0)
			ss->pend_oob = true;
	} else if (r < 0) {
		stackd_error(ss->sd, "id %u: sendmsg: %s", ss->id, strerror(-r));
	}
	return true;
}

/* Reset (tcp_reset, tcp_done), or a connect that failed: the socket is over, with its error. */
static bool stackd_stream_reset(const struct sock *sk)
{
	return sk->sk_err && sk->sk_state == TCP_CLOSE;
}

/* Whether the stack holds received bytes the pair has not taken. */
static bool stackd_stream_held(struct stackd_sock *ss)
{
	struct iovec iov;

	stackd_enter(ss->sd, NULL);
	return ss->sock->ops->peek_iov(ss->sock, &iov, 1, 1) > 0;
}

/*
 * What the pair holds unread (SIOCOUTQ of our end: its buffers, a few
 * hundred bytes per write more than their bytes, so it errs towards less
 * read), told to the stack (sk_owner_unread), whose window leaves room for
 * it and reopens as the program reads, and whose autotuning counts only
 * what the program read. Asked once a round, before writing (what a round
 * writes counts as its bytes until the next), and only when the pair may
 * hold something or bytes wait for it, so that an idle or sending-only
 * socket costs nothing. Returns it, or -1 if not asked.
 */
static int stackd_pair_unread(struct stackd_sock *ss, bool waiting)
{
	struct sock *sk = ss->sock->sk;
	int outq = 0;

	if ((!waiting && !sk->sk_owner_unread) || ss->fd < 0)
		return -1;
	if (ioctl(ss->fd, SIOCOUTQ, &outq) < 0 || outq < 0)
		outq = 0;
	stackd_enter(ss->sd, NULL);
	tcp_owner_unread(sk, (uint32_t)outq);
	return outq;
}

/*
 * Whether the program's reads of the pair should wake the host. Each read
 * frees pair buffers, and below pair_hold the kernel then reports EPOLLOUT
 * to our end: while receiving in bulk that was half of the host's wake-ups
 * (perf, sched_waking: unix_write_space), each a round that found nothing
 * to do. EPOLLOUT is asked for only while it can matter: the pair was
 * full, bytes wait for room in it, or TCP would act on the read
 * (tcp_owner_reads_matter). EPOLL_CTL_MOD polls the pair again, so room
 * that came while it was off is reported at once.
 */
static void stackd_pair_watch_out(struct stackd_sock *ss, bool want)
{
	struct epoll_event ev = {.events = STACKD_PAIR_EVENTS, .data.ptr = &ss->ep};

	if (ss->fd < 0 || ss->handover || want == !ss->pair_out_off)
		return;
	if (!want)
		ev.events &= ~(uint32_t)EPOLLOUT;
	if (epoll_ctl(ss->sd->epfd, EPOLL_CTL_MOD, ss->fd, &ev) == 0)
		ss->pair_out_off = !want;
}

/*
 * Stack -> pair. Writes what is queued in order; at the peer's FIN (nothing
 * left) the application gets EOF. The pair holds at most pair_hold, a
 * quarter of its SO_SNDBUF: below that the kernel wakes our end
 * (EPOLLOUT) each time the program frees one of its buffers by reading, so
 * the stack learns of every read and reopens the window as tcp_cleanup_rbuf
 * would after a recvmsg; above it, reads would go unseen until the pair
 * drained to a quarter.
 */
void stackd_stream_out(struct stackd_sock *ss, bool *more)
{
	struct stackd *sd = ss->sd;
	struct socket *sock = ss->sock;
	struct sock *sk = sock->sk;
	struct iovec iov[STACKD_MAX_IOV];
	size_t round = 0, room = STACKD_ROUND_BYTES;
	int n = 0, held;

	held = stackd_pair_unread(ss, stackd_stream_held(ss));
	if (held >= 0 && !ss->pair_wr_shut && (size_t)held + room > ss->pair_hold)
		room = (uint32_t)held < ss->pair_hold ? ss->pair_hold - (uint32_t)held : 0;
	while (ss->pair_writable && round < room) {
		size_t max = room - round;
		uint32_t urg_off;
		uint8_t urg;
		ssize_t w;
		int urg_state;

		stackd_enter(sd, NULL);
		urg_state = tcp_urg_pending(sk, &urg_off, &urg);
		if (urg_state && !urg_off) {
			if (!stackd_urg_out(ss, urg_state, urg))
				break;
			round++;
			continue;
		}
		if (urg_state && urg_off < max)
			max = urg_off; /* the bytes before the mark, then the mark */
		n = sock->ops->peek_iov(sock, iov, STACKD_MAX_IOV, max);
		if (n <= 0)
			break;
		if (ss->pair_wr_shut) {
			/* After SHUT_RD the application reads no more; drop as the kernel does. */
			size_t total = 0;

			for (int i = 0; i < n; i++)
				total += iov[i].iov_len;
			sock->ops->consume(sock, total);
			continue;
		}
		w = writev(ss->fd, iov, n);
		if (w < 0) {
			if (errno == EAGAIN) {
				ss->pair_writable = false;
				break;
			}
			/*
			 * EPIPE: the application shut down its reading side (SHUT_RD,
			 * or closed: EPOLLHUP says which); what arrives is dropped.
			 */
			if (errno != EPIPE) {
				stackd_error(sd, "id %u: pair write: %s", ss->id, strerror(errno));
				break;
			}
			stackd_trace(sd, "id %u: application reads no more", ss->id);
			ss->pair_wr_shut = true;
			continue;
		}
		stackd_enter(sd, NULL);
		sock->ops->consume(sock, (size_t)w);
		round += (size_t)w;
	}
	if (round >= STACKD_ROUND_BYTES)
		*more = true;
	/*
	 * After a reset the pair closes instead (stackd_stream_work): no EOF
	 * before it; nor while bytes wait for room in the pair.
	 */
	if (ss->pair_writable && n == 0 && (sk->sk_shutdown & RCV_SHUTDOWN) && !ss->pair_wr_shut &&
	    !stackd_stream_reset(sk) && !stackd_stream_held(ss)) {
		shutdown(ss->fd, SHUT_WR);
		ss->pair_wr_shut = true;
		stackd_trace(sd, "id %u: FIN -> EOF", ss->id);
	}
	stackd_enter(sd, NULL);
	stackd_pair_watch_out(ss, ss->connecting || !ss->pair_writable || stackd_stream_held(ss) ||
					  tcp_owner_reads_matter(sk));
}

/*
 * Whether the application still holds its side of ss (the listener of a
 * listening socket, else its pair end), asked of the kernel for this one
 * socket. When the kernel cannot say, it counts as held: the record lives on
 * until the next look rather than dropping a socket still in use.
 */
bool stackd_app_held(struct stackd_sock *ss)
{
	struct stackd *sd = ss->sd;
	const struct stackd_skid *id = ss->listening ? &ss->lsn : &ss->app;
	int r;

	if (!id->cookie)
		return true; /* an accepted socket not yet named to us: its pair will tell */
	/* An earlier pair's end held elsewhere is the socket as much as the current one. */
	if (ss->app_old && ss->app_old->n && stackd_app_old_held(ss))
		return true;
	r = stackd_skid_alive(sd, id);
	if (r < 0)
		stackd_error(sd, "id %u: sock_diag: %s", ss->id, strerror(-r));
	return r != 0;
}

/*
 * A pair shut down both ways hangs up exactly as a closed one does; after
 * the application's own shutdown() the name of its end tells which it was.
 * Its close later wakes the pair again (unix_release_sock), and asks anew.
 */
static bool stackd_app_closed(struct stackd_sock *ss)
{
	return !ss->app_shut || ss->app_unread || !stackd_app_held(ss);
}

/*
 * The pair ended with no shutdown() asked for: the application closed it.
 * With SO_LINGER {1, 0} tcp_close sends a reset and nothing else
 * (tcp_disconnect drops what is unsent), so no FIN goes first and nothing
 * waits to be sent: the release resets.
 */
static bool stackd_app_aborted(const struct stackd_sock *ss)
{
	const struct sock *sk = ss->sock->sk;

	return ss->pair_rd_eof && !ss->shut_wr_pending && sock_flag(sk, SOCK_LINGER) &&
	       !sk->sk_lingertime;
}

/*
 * The bytes the program wrote that the stack's write queue has not taken:
 * those still in the pair (our end's SIOCINQ) and those read from it that
 * the send could not take (pend). The kernel's sendmsg would have queued
 * them all, so its send queue counts them (SIOCOUTQ, tcpi_notsent_bytes,
 * sk_wmem_queued). While connecting the pair holds the interposer's
 * filler, which is nobody's data.
 */
size_t stackd_stream_unqueued(const struct stackd_sock *ss)
{
	int inpair = 0;

	if (!ss->connecting && ss->fd >= 0 && (ioctl(ss->fd, SIOCINQ, &inpair) < 0 || inpair < 0))
		inpair = 0;
	return ss->pend_len - ss->pend_off + (size_t)inpair;
}

/*
 * Whether the program's writer found its buffer full (SOCK_NOSPACE, which
 * alone grows the buffer: tcp_check_space), asked only when the pump stops
 * for want of room. The kernel's one queue would hold our queue and the
 * pair's unread bytes together: tcp_sendmsg_locked takes bytes until
 * sk_wmem_queued reaches sk_sndbuf, or the unsent ones the
 * TCP_NOTSENT_LOWAT mark (sk_stream_memory_free), so more than that is a
 * writer the kernel's buffer would have stopped. Less, and the stack's room
 * only stopped short of it by the pair's reserve (shim_pair_reserve): a
 * write the kernel takes whole may sit in the pair in part. Then the
 * writer found its buffer full only if it waits on the pair (its end's
 * sk_wmem_alloc at its sk_sndbuf: sock_diag, one netlink round trip, only
 * while the mark is not set yet); a bulk writer is there, and its buffer
 * must grow as the kernel's. Such a writer still counts as waiting until it
 * stops writing (the stack's queue empty with nothing new in the pair):
 * the kernel's waits inside its one sendmsg, where ours, woken once the
 * pair drained to a quarter (unix_writable), may not yet have refilled it
 * when the stack's room runs out again.
 *
 * A writer found not waiting stays so until it writes again (an EPOLLIN
 * on the pair) or the marks move down: nothing else makes either answer
 * true. Our reads move bytes from the pair to the write queue, which
 * leaves their sum as it was; ACKs and sends only shrink the queue and the
 * unsent bytes; and its end's sk_wmem_alloc only falls as we read. So the
 * stops in between (one per ACK that makes room) ask nothing.
 */
static bool stackd_pair_full(struct stackd_sock *ss)
{
	const struct sock *sk = ss->sock->sk;
	int inpair = 0;

	if (tcp_sk(sk)->sndbuf_nospace || ss->pair_writer_waited)
		return true;
	if (ss->pair_writer_idle && ss->idle_sndbuf == sk->sk_sndbuf &&
	    ss->idle_lowat == tcp_notsent_lowat(tcp_sk(sk)))
		return false;
	if (ioctl(ss->fd, SIOCINQ, &inpair) < 0 || inpair < 0)
		inpair = 0;
	if ((long)sk->sk_wmem_queued + inpair > sk->sk_sndbuf || inpair > tcp_notsent_room(sk))
		return true;
	/* Not known (its end not identified, sock_diag failing): taken as waiting. */
	ss->pair_writer_waited = stackd_skid_wfull(ss->sd, &ss->app) != 2;
	ss->pair_writer_idle = !ss->pair_writer_waited;
	ss->idle_sndbuf = sk->sk_sndbuf;
	ss->idle_lowat = tcp_notsent_lowat(tcp_sk(sk));
	return ss->pair_writer_waited;
}

/*
 * The bytes the stack's write queue may still take from the pair: what the
 * pair may still hold counts against SO_SNDBUF too (shim_pair_reserve),
 * rounded as the kernel's writer rounds its bound (tcp_sendmsg_room); with
 * TCP_NOTSENT_LOWAT unsent bytes stay below the mark (an ACK that sends
 * brings us back).
 */
static int stackd_stream_room(struct sock *sk)
{
	int space = tcp_sendmsg_room(sk, shim_pair_reserve(sk->sk_sndbuf));

	return tcp_notsent_room(sk) < space ? tcp_notsent_room(sk) : space;
}

/* Pair -> stack. Returns false if the record was freed. */
static bool stackd_stream_in(struct stackd_sock *ss, bool *more)
{
	struct stackd *sd = ss->sd;
	struct socket *sock = ss->sock;
	struct sock *sk = sock->sk;
	struct iovec iov[STACKD_SEND_IOV];
	struct sk_buff *segs[STACKD_SEND_IOV];
	size_t round = 0;

	if (!ss->pair_readable && !sk->sk_wmem_queued)
		ss->pair_writer_waited = false; /* it stopped writing */
	/*
	 * In repair mode the program's sends come as requests (stackd_repair.c):
	 * what the pair still holds waits for its end, so that no queue takes it
	 * unasked.
	 */
	while (ss->pair_readable && stackd_can_send(sk) && !ss->stack_wr_shut && !ss->pair_rd_eof &&
	       !stackd_stream_repairing(ss)) {
		size_t want;
		int space, nseg;
		ssize_t n;
		int r;

		if (ss->pend_off < ss->pend_len) {
			r = stackd_sendmsg(sock, ss->pend + ss->pend_off,
					   ss->pend_len - ss->pend_off, NULL,
					   ss->pend_oob ? MSG_OOB : 0, NULL, 0);
			if (r < 0 && r != -EAGAIN) {
				stackd_error(sd, "id %u: sendmsg: %s", ss->id, strerror(-r));
				ss->pend_len = ss->pend_off = 0;
				break;
			}
			if (r > 0)
				ss->pend_off += (size_t)r;
			if (ss->pend_off < ss->pend_len)
				break; /* sk_write_space brings us back */
			ss->pend_len = ss->pend_off = 0;
			ss->pend_oob = false;
			continue;
		}
		space = stackd_stream_room(sk);
		if (space <= 0) {
			/* The program's bytes wait in the pair for room. */
			if (stackd_pair_full(ss))
				tcp_sndbuf_full(sk);
			break;
		}
		if (round >= STACKD_ROUND_BYTES) {
			*more = true;
			break;
		}
		if (ss->pair_urg && stackd_urg_in(ss))
			continue;
		want = (size_t)space < sd->iobuf_size ? (size_t)space : sd->iobuf_size;
		stackd_enter(sd, NULL);
		nseg = sock->ops->send_iov
			       ? sock->ops->send_iov(sock, iov, segs, STACKD_SEND_IOV, want)
			       : -EAGAIN;
		/* No pages for it (tcp_wmem_schedule): the ACK that frees some brings us back. */
		if (nseg == 0) {
			tcp_sndbuf_full(sk);
			break;
		}
		if (nseg > 0) {
			want = 0;
			for (int i = 0; i < nseg; i++)
				want += iov[i].iov_len;
			n = readv(ss->fd, iov, nseg);
			stackd_enter(sd, NULL);
			sock->ops->send_commit(sock, iov, segs, nseg, n > 0 ? (size_t)n : 0);
		} else {
			n = read(ss->fd, sd->iobuf, want);
		}
		/*
		 * A short read emptied the pair: the next write raises a new
		 * edge, so the read that would only say EAGAIN is saved (one
		 * syscall per request in a ping-pong). Not after EPOLLRDHUP:
		 * the EOF behind the data raises no new edge and must be read.
		 */
		if (n > 0 && (size_t)n < want && !ss->pair_rdhup && !ss->pair_urg)
			ss->pair_readable = false;
		if (n < 0) {
			if (errno == EAGAIN) {
				ss->pair_readable = false;
				break;
			}
			/* ECONNRESET: the application closed with our data unread. */
			ss->pair_hup = true;
			ss->pair_rd_eof = true;
			ss->app_unread = true;
			break;
		}
		if (n == 0) {
			ss->pair_rd_eof = true;
			break;
		}
		round += (size_t)n;
		if (nseg > 0)
			continue; /* queued by send_commit */
		r = stackd_sendmsg(sock, sd->iobuf, (size_t)n, NULL, 0, NULL, 0);
		if (r == -EAGAIN)
			r = 0;
		if (r < 0) {
			/* EPIPE after a reset: the error path reports it. */
			stackd_error(sd, "id %u: sendmsg: %s", ss->id, strerror(-r));
			break;
		}
		if (r < n && stackd_pend_store(ss, sd->iobuf + r, (size_t)(n - r)) < 0) {
			stackd_error(sd, "id %u: out of memory, %zd bytes lost", ss->id, n - r);
			break;
		}
	}

	/* In repair mode the close is silent (tcp_close): no FIN at the pair's end. */
	if (ss->pend_off == ss->pend_len && !ss->stack_wr_shut && !ss->app_unread &&
	    !stackd_app_aborted(ss) && !stackd_stream_repairing(ss) &&
	    (ss->pair_rd_eof || (ss->shut_wr_pending && !ss->pair_readable))) {
		if (stackd_can_send(sk)) {
			stackd_enter(sd, NULL);
			sock->ops->shutdown(sock, SHUT_WR);
			stackd_trace(sd, "id %u: app SHUT_WR -> FIN", ss->id);
		}
		ss->stack_wr_shut = true;
	}

	/*
	 * The application closed every copy: close the TCP socket once its data
	 * has reached the stack (a connection that cannot send any more has
	 * nothing to wait for).
	 */
	if (ss->pair_hup && (!stackd_can_send(sk) || ss->stack_wr_shut || ss->app_unread ||
			     stackd_stream_repairing(ss) || stackd_app_aborted(ss) ||
			     (ss->pair_rd_eof && ss->pend_off == ss->pend_len))) {
		if (!stackd_app_closed(ss)) {
			ss->pair_hup = false;
			stackd_trace(sd, "id %u: pair shut down both ways, app still holds it",
				     ss->id);
			return true;
		}
		stackd_trace(sd, "id %u: app closed", ss->id);
		stackd_sock_free(ss);
		return false;
	}
	return true;
}

bool stackd_stream_owner_sync(struct stackd_sock *ss)
{
	if (ss->stream && ss->sock && !ss->connecting && !ss->listening)
		stackd_pair_unread(ss, false);
	return true;
}

/*
 * Before a request that changes how the socket sends (TCP_NODELAY, TCP_CORK
 * and the other options): the bytes the application wrote before it go to
 * the socket's send queue first, as far as the send buffer takes them, so
 * that the option acts on them as the kernel's would (a push covers them,
 * a cork comes after them). Returns false if the record was freed.
 */
bool stackd_stream_sync(struct stackd_sock *ss)
{
	bool more = true;

	if (!ss->stream || !ss->sock || ss->connecting || ss->listening ||
	    !stackd_can_send(ss->sock->sk))
		return true;
	/*
	 * The pair's EPOLLPRI may not have been dispatched yet: without
	 * it a read that starts at the mark would take the urgent byte as
	 * plain data (our end reads inline), so ask the pair. The application
	 * sent that byte before this request, so the answer is final.
	 */
	if (!ss->pair_urg)
		ss->pair_urg = stackd_pair_has_urg(ss);
	while (more && !ss->pair_hup) {
		more = false;
		ss->pair_readable = true;
		if (!stackd_stream_in(ss, &more))
			return false;
	}
	if (ss->pair_hup)
		stackd_sock_queue(ss); /* the pump notices and frees the record */
	return true;
}

/* SHIM_SO_PAIR_WMEM: the size the socket's buffer gives the program's end of the pair. */
int stackd_pair_wmem(const struct stackd_sock *ss)
{
	const struct sock *sk = ss->sock->sk;
	int w = shim_pair_wmem(sk->sk_sndbuf);

	if ((sk->sk_userlocks & SOCK_SNDBUF_LOCK) || w == SHIM_PAIR_WMEM_MAX)
		w |= SHIM_PAIR_WMEM_FINAL;
	/*
	 * The socket's own TCP_NOTSENT_LOWAT keeps the pair at its least
	 * (the interposer's shim_lowat_pair), whatever SO_SNDBUF says since.
	 */
	if (sk->sk_protocol == IPPROTO_TCP && tcp_sk(sk)->notsent_lowat)
		w = SHIM_PAIR_WMEM_FINAL;
	return w;
}

/*
 * Where a write that begins at start may end: tcp_sendmsg takes bytes
 * until sk_wmem_queued, the bytes queued before it (from snd_una) and its
 * own, reaches sk_sndbuf, and fills the skb that crossed it
 * (tcp_sendmsg_write_end). The stack charges bytes (tcp_sendmsg charges
 * truesize).
 */
static uint32_t stackd_stream_write_end(struct sock *sk, uint32_t start)
{
	int32_t before = (int32_t)(start - tcp_sk(sk)->snd_una);
	long left = (long)sk->sk_sndbuf - (before > 0 ? before : 0);

	if (left <= 0)
		return start;
	if (start == tcp_sk(sk)->write_seq)
		return tcp_sendmsg_write_end(sk, (uint32_t)left);
	return left < INT32_MAX / 2 ? tcp_sendmsg_end(sk, start + (uint32_t)left)
				    : start + (uint32_t)left;
}

/* The bound of the write found to begin at start, if one was. */
static struct stackd_write_bound *stackd_stream_write_known(struct stackd_sock *ss, uint32_t start)
{
	unsigned int n =
		ss->writes_begun < STACKD_WRITES_KNOWN ? ss->writes_begun : STACKD_WRITES_KNOWN;

	for (unsigned int i = 0; i < n; i++)
		if (ss->writes_known[i].start == start)
			return &ss->writes_known[i];
	return NULL;
}

/*
 * The program wrote to a pair the pump had drained: a write begins at the
 * queue's end. Its bound is taken now, before the pump sends any of its
 * bytes: the ACKs those bring back (which grow sk_sndbuf for a writer that
 * found it full, open the peer's window and with it the size goal, and
 * move snd_nxt) come, on the kernel, while tcp_sendmsg holds the socket,
 * and wait in its backlog. A fresh connection's first write of 100 KiB
 * took 107,152 bytes for the kernel's 78,192 when they came before its
 * SHIM_SO_PAIR_TOPUP, and 61,120 when the pump had queued only part of it.
 */
static void stackd_stream_write_begins(struct stackd_sock *ss)
{
	struct stackd_write_bound *w;
	struct sock *sk;

	if (!ss->stream || !ss->sock || ss->connecting || ss->listening || ss->fd < 0)
		return;
	sk = ss->sock->sk;
	if (sk->sk_protocol != IPPROTO_TCP || !stackd_can_send(sk) || ss->pend_off < ss->pend_len)
		return;
	/*
	 * One at the same sequence was taken at ESTABLISHED (the pump has
	 * queued nothing since): this one is the write's, SO_SNDBUF set
	 * meanwhile included.
	 */
	w = stackd_stream_write_known(ss, tcp_sk(sk)->write_seq);
	if (!w)
		w = &ss->writes_known[ss->writes_begun++ % STACKD_WRITES_KNOWN];
	w->start = tcp_sk(sk)->write_seq;
	w->end = stackd_stream_write_end(sk, w->start);
}

/*
 * SHIM_SO_PAIR_TOPUP: a write the pair took short. Its writer found its
 * buffer full if the stack's part fills with its bytes still in the pair
 * (tcp_sendmsg's SOCK_NOSPACE, stackd_pair_full); if the pair empties, the
 * write goes on and nothing is known yet.
 */
int stackd_stream_topup(struct stackd_sock *ss, const struct shim_sockopt *o, struct shim_rep *rep)
{
	struct shim_pair_topup t = {0};
	struct shim_pair_topup_ask a;
	bool waited = ss->pair_writer_waited;
	struct sock *sk = ss->sock->sk;

	if (ss->connecting || ss->listening || o->optlen < sizeof(t))
		return -EINVAL;
	memcpy(&a, o->optval, sizeof(a));
	/*
	 * The write began done bytes before the end of what the pump has not
	 * queued yet. Its bound as it began, if that is known; else as it is
	 * now (the ACKs that came since it began acknowledge older bytes
	 * first).
	 */
	if (a.first) {
		uint32_t start =
			tcp_sk(sk)->write_seq + (uint32_t)stackd_stream_unqueued(ss) - a.done;
		struct stackd_write_bound *w = stackd_stream_write_known(ss, start);
		uint32_t end = w ? w->end : stackd_stream_write_end(sk, start);

		t.limit = end - start > a.done ? end - start : a.done;
		ss->writes_begun = 0;
		/*
		 * A write longer than its bound stops there: tcp_sendmsg found
		 * the buffer full (wait_for_space sets SOCK_NOSPACE), and the ACKs
		 * its lock kept back then grow it (tcp_check_space). The pump
		 * need not stop for room for that: ACKs of the write's own bytes
		 * may keep the stack's part from filling while the write ends at
		 * its bound, and without the mark the buffer stayed where it was
		 * for as long as each write kept ending there.
		 */
		if (a.total > t.limit)
			tcp_sndbuf_full(sk);
	}
	ss->pair_writer_waited = true;
	if (!stackd_stream_sync(ss))
		return -EBADF; /* the application closed it meanwhile */
	if (!stackd_stream_unqueued(ss))
		ss->pair_writer_waited = waited;
	t.wmem = stackd_pair_wmem(ss);
	t.room = stackd_can_send(sk) ? stackd_stream_room(sk) : 0;
	if (t.room > 0 && stackd_stream_unqueued(ss))
		t.room = 0; /* the pump stopped short of the room (repair, urgent data) */
	memcpy(rep->sockopt.optval, &t, sizeof(t));
	rep->sockopt.optlen = sizeof(t);
	return 0;
}

/*
 * SHIM_SO_STREAM_MARK: a send the kernel marks (tcp_tx_timestamp, a
 * MSG_ZEROCOPY id) or corks (MSG_MORE: tcp_send_more). At BEGIN its bytes
 * are not in the pair yet: it ends behind every byte written before it,
 * those in the write queue (write_seq), read from the pair but not taken
 * (pend) and still in the pair (SIOCINQ; while connecting the pair holds
 * filler, which counts for nothing). At DONE the end moves to what the
 * write took, and the pair's bytes go to the stack, which stamps the
 * marked segment when it leaves.
 */
int stackd_stream_mark(struct stackd_sock *ss, const struct shim_sockopt *o, struct shim_rep *rep)
{
	struct shim_stream_mark_rep r = {0};
	struct shim_stream_mark m;
	struct sock *sk;
	int err = 0;

	if (!ss->stream || !ss->sock || ss->listening || o->optlen != sizeof(m))
		return -EINVAL;
	memcpy(&m, o->optval, sizeof(m));
	sk = ss->sock->sk;
	if (m.phase == SHIM_MARK_BEGIN) {
		uint32_t tsflags = m.tsflags < 0 ? sk->sk_tsflags : (uint32_t)m.tsflags;

		r.end_seq = tcp_sk(sk)->write_seq + (uint32_t)stackd_stream_unqueued(ss) + m.len;
		tsflags &= SOF_TX_RECORD_MASK;
		if (tsflags || m.zerocopy)
			err = tcp_tx_mark_add(sk, r.end_seq, tsflags, m.zerocopy);
		if (tsflags || m.zerocopy || !m.more)
			ss->tx_marked = true;
		/* The pump may take the bytes before DONE: they are corked already. */
		if (m.more)
			tcp_send_more(sk, r.end_seq - m.len, r.end_seq);
	} else {
		tcp_tx_mark_fix(sk, m.end_seq, m.len, m.taken);
		r.end_seq = m.end_seq;
		if (m.more)
			tcp_send_more(sk, m.end_seq - m.len, m.end_seq - m.len + m.taken);
		if (!stackd_stream_sync(ss))
			return -EBADF; /* the application closed it meanwhile */
	}
	r.errq = !skb_queue_empty(&sk->sk_error_queue);
	stackd_notice_errq(ss);
	memcpy(rep->sockopt.optval, &r, sizeof(r));
	rep->sockopt.optlen = sizeof(r);
	return err;
}

/*
 * recv(MSG_OOB) when the pair holds no urgent byte: the stack may still
 * hold it (not yet in the pair) or know that it is on its way (EAGAIN);
 * tcp_recv_urg answers as the kernel's.
 */
int stackd_stream_recv_urg(struct stackd_sock *ss, const struct shim_errqueue *q,
			   struct shim_errqueue_rep *r)
{
	struct iovec iov = {.iov_base = r->buf, .iov_len = q->len ? 1 : 0};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	int ret;

	/* A control request: the caller entered the core (stackd_conn_request). */
	ret = ss->sock->ops->recvmsg(ss->sock, &msg, iov.iov_len,
				     (q->flags & (MSG_PEEK | MSG_TRUNC)) | MSG_OOB | MSG_DONTWAIT);
	if (ret < 0)
		return ret;
	r->msg_flags = (uint32_t)msg.msg_flags;
	r->data_len = q->flags & MSG_TRUNC ? 0 : (uint32_t)ret;
	return ret;
}

/*
 * A shutdown(SHUT_WR) before connect() stays (inet_shutdown kept the bit):
 * no FIN goes, but every send fails with EPIPE. Our end shut for reading
 * shuts the program's for writing, before the filler's read lets its
 * connect() return; its EOF is no FIN. (A SHUT_RD reaches the pair as the
 * peer's FIN does, by stackd_stream_out; shutting our end for writing here
 * too would hang the pair up under a connect() still waiting.)
 */
static void stackd_shut_early(struct stackd_sock *ss)
{
	if (!(ss->sock->sk->sk_shutdown & SEND_SHUTDOWN))
		return;
	shutdown(ss->fd, SHUT_RD);
	ss->stack_wr_shut = true;
}

/* Returns false if the record was freed. */
static bool stackd_stream_work(struct stackd_sock *ss, bool *more)
{
	struct stackd *sd = ss->sd;
	struct sock *sk = ss->sock->sk;

	if (stackd_stream_reset(sk)) {
		/*
		 * Reset after the handshake (tcp_reset: ECONNREFUSED in SYN_SENT):
		 * the connect itself succeeded, so the application's end must show
		 * it, then the error.
		 */
		if (ss->connecting && (sk->sk_err == ECONNRESET || sk->sk_err == EPIPE))
			stackd_filler_discard(ss);
		/*
		 * What the peer sent before its reset is read before the error
		 * (tcp_recvmsg takes the queue first): it goes into the pair, and
		 * the pair closes once it holds all of it (room brings us back).
		 */
		if (!ss->connecting) {
			/* The application closed it meanwhile: writev fails (EPIPE). */
			if (ss->pair_hup)
				ss->pair_writable = true;
			stackd_stream_out(ss, more);
			if (stackd_stream_held(ss))
				return true;
		}
		stackd_sock_zombie(ss);
		return false;
	}
	if (ss->connecting && stackd_can_send(sk)) {
		stackd_shut_early(ss);
		stackd_filler_discard(ss);
	}
	if (ss->connecting) {
		if (ss->pair_hup) {
			/* Closed while still connecting: nothing to deliver. */
			stackd_trace(sd, "id %u: app closed while connecting", ss->id);
			stackd_sock_free(ss);
			return false;
		}
	} else if (!stackd_stream_in(ss, more)) {
		return false;
	}
	stackd_stream_out(ss, more);
	/* An ACK stamp or a completion may have come (sk_error_report brought us here). */
	if (ss->tx_marked)
		stackd_notice_errq(ss);
	return true;
}

/*
 * Before the host answers a request about a stream whose turn is due (what
 * came off the link and the request were in one epoll batch): the turn runs
 * now, not at the next round, so that nothing the reply tells (the state
 * in TCP_INFO, SO_ERROR) is ahead of what the program's end shows, as under
 * the kernel's socket lock: the data and EOF are there for a non-blocking
 * read, after a reset the pair is closed (a write fails with EPIPE, poll
 * says HUP), once established the filler is gone. As far as the pair takes
 * it, as the round would. Returns false if the record was freed.
 */
bool stackd_stream_settle(struct stackd_sock *ss)
{
	bool more = false;

	if (!ss->stream || !ss->sock || !ss->queued || ss->zombie || ss->listening || ss->fd < 0 ||
	    ss->handover)
		return true;
	stackd_stream_work(ss, &more);
	return !ss->dead;
}

/* ---- datagrams ------------------------------------------------------------ */

/* Sends one datagram to the application; stores it if the pair is full. */
static int stackd_pair_put(struct stackd_sock *ss, const void *buf, size_t len)
{
	struct stackd *sd = ss->sd;

	if (send(ss->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
		return 0;
	if (errno == EAGAIN || errno == ENOBUFS) {
		ss->pair_writable = false;
		if (stackd_pend_store(ss, buf, len) < 0)
			stackd_error(sd, "id %u: out of memory, datagram lost", ss->id);
		return -EAGAIN;
	}
	/* EPIPE: every copy of the application's end is closed. */
	return -errno;
}

/* A framed one: the header (with its cookie) and what follows it. */
static int stackd_dgram_to_pair(struct stackd_sock *ss, struct shim_dgram *buf, size_t len)
{
	buf->cookie = ss->nonce;
	return stackd_pair_put(ss, buf, len);
}

/*
 * A UDP socket found connected for the first time: its peer becomes the
 * source of the pair's bare datagrams, named on the host's end before the
 * first of them is written. A connected UDP socket takes datagrams from its
 * peer alone (__udp4_lib_lookup), so that while it stays connected every
 * datagram is bare, as io_uring's receive expects; one from another source
 * (queued before the connect, or after a connect elsewhere) keeps its
 * header.
 */
static void stackd_dgram_bare_peer(struct stackd_sock *ss)
{
	const struct sock *sk = ss->sock->sk;
	struct sockaddr_in peer = {.sin_family = AF_INET};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	uint64_t nonce;
	int n;

	if (ss->bare_peer.sin_family || ss->bare_never || sk->sk_type != SOCK_DGRAM ||
	    sk->sk_protocol != IPPROTO_UDP || sk->sk_state != TCP_ESTABLISHED)
		return;
	peer.sin_addr.s_addr = sk->sk_daddr;
	peer.sin_port = sk->sk_dport;
	ss->bare_never = true;
	if (stackd_nonce(ss->sd, &nonce) < 0)
		return;
	n = shim_bare_peer_name(sun.sun_path + 1, sizeof(sun.sun_path) - 1, ss->sd->pid, ss->id,
				nonce, &peer);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path) - 1 ||
	    bind(ss->fd, (struct sockaddr *)&sun,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n)) < 0)
		return;
	ss->bare_never = false;
	ss->bare_peer = peer;
}

/*
 * Whether a datagram from addr, read with msg, goes to the pair without a
 * header. An empty one keeps it: the program's end reads 0 for a pair's end
 * too. So does one whose payload starts with the rx cookie, which anyone
 * may read in /proc/net/unix: the interposer takes a datagram that starts
 * so for the host's header, and a peer's must never pass for one.
 */
static bool stackd_dgram_bare_out(const struct stackd_sock *ss, const struct sockaddr_in *addr,
				  const struct msghdr *msg, const uint8_t *payload, int len,
				  size_t copied)
{
	return ss->bare_peer.sin_family && !msg->msg_controllen && !(msg->msg_flags & MSG_TRUNC) &&
	       copied && copied == (size_t)len && addr->sin_family == AF_INET &&
	       addr->sin_addr.s_addr == ss->bare_peer.sin_addr.s_addr &&
	       addr->sin_port == ss->bare_peer.sin_port &&
	       (copied < sizeof(ss->nonce) || memcmp(payload, &ss->nonce, sizeof(ss->nonce)));
}

/*
 * sock_poll's ERR for a datagram socket: whether its error queue holds an
 * entry, in the word. When one comes to an empty queue (a transmit stamp,
 * a completion: sock_queue_err_skb's sk_error_report) and no error report
 * goes into the pair with it, a void report does (sequence number 0, never
 * pending): it wakes the program's waiters, and the interposer drops it.
 */
void stackd_notice_errq(struct stackd_sock *ss)
{
	stackd_notice_errq_wake(ss, true);
}

/*
 * A stream's error-queue eventfd follows the queue, after the word (a woken
 * reader finds ERR there): raised by a look that finds sk_error_report
 * calls since the last one and an entry queued (one write, one wake-up and
 * one edge, as sock_def_error_report's), read back to 0 once it is empty.
 */
static void stackd_errq_efd_update(struct stackd_sock *ss, bool errq)
{
	uint64_t v = 1;

	if (ss->errq_efd < 0)
		return;
	if (errq && ss->errq_reports) {
		if (write(ss->errq_efd, &v, sizeof(v)) == sizeof(v))
			ss->errq_raised = true;
	} else if (!errq && ss->errq_raised) {
		if (read(ss->errq_efd, &v, sizeof(v)) == sizeof(v) || errno == EAGAIN)
			ss->errq_raised = false;
	}
	ss->errq_reports = 0;
}

/*
 * SHIM_SO_PAIR: a copy of the current pair's application end for a holder
 * of an earlier one (1), or nothing newer to take (0).
 */
int stackd_pair_share(struct stackd_sock *ss, int *fd_out)
{
	if (!ss->stream || ss->listening)
		return -EINVAL;
	if (ss->app_keep < 0)
		return 0;
	*fd_out = fcntl(ss->app_keep, F_DUPFD_CLOEXEC, 0);
	return *fd_out < 0 ? -errno : 1;
}

int stackd_errq_wake_share(struct stackd_sock *ss, int *fd_out)
{
	if (!ss->stream || ss->listening)
		return -EINVAL;
	if (ss->errq_efd < 0) {
		ss->errq_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (ss->errq_efd < 0)
			return -errno;
		ss->errq_raised = false;
		/* What is queued already is one report's worth. */
		ss->errq_reports = 1;
		ss->tx_marked = true; /* its error queue is watched from now on */
		stackd_notice_errq_wake(ss, false);
	}
	*fd_out = fcntl(ss->errq_efd, F_DUPFD_CLOEXEC, 0);
	return *fd_out < 0 ? -errno : 0;
}

/*
 * SHIM_SO_SKSTATE: the socket's page of interposer state, made at the first
 * ask; its notice word says so from then on (a socket whose slot another
 * holds goes without: its holders find no page but their own asking). The
 * reply's bytes are the notice slot count, which no two live ids share a
 * slot of: the interposer's table of pages is that large, even where it
 * has no notice page to read it from (a sandboxed process).
 */
int stackd_skstate_share(struct stackd_sock *ss, struct shim_rep *rep, int *fd_out)
{
	bool made = false;

	if (ss->stream || ss->listening)
		return -EINVAL;
	if (ss->skstate_fd < 0) {
		int fd = memfd_create("sockshim-sk", MFD_CLOEXEC);

		if (fd < 0)
			return -errno;
		if (ftruncate(fd, SHIM_SKSTATE_SIZE) < 0) {
			int r = -errno;

			close(fd);
			return r;
		}
		ss->skstate_fd = fd;
		made = true;
		stackd_notice_flag(ss, SHIM_NOTICE_SKSTATE, true);
	}
	*fd_out = fcntl(ss->skstate_fd, F_DUPFD_CLOEXEC, 0);
	if (*fd_out < 0)
		return -errno;
	rep->sockopt.optlen = sizeof(ss->sd->notice_slots);
	memcpy(rep->sockopt.optval, &ss->sd->notice_slots, sizeof(ss->sd->notice_slots));
	return made;
}

/*
 * The word's bits that follow the socket's state: its error queue, and a
 * datagram socket's SO_SELECT_ERR_QUEUE and SO_BROADCAST (the options as
 * the socket has them, whichever process set them).
 */
static void stackd_notice_errq_word(struct stackd_sock *ss, bool errq, bool wake)
{
	bool sel = !ss->stream && sock_flag(ss->sock->sk, SOCK_SELECT_ERR_QUEUE);
	bool bcast = !ss->stream && sock_flag(ss->sock->sk, SOCK_BROADCAST);
	uint64_t *w, v, nv;

	if (!ss->sd->notice && !errq && !sel && !bcast)
		return; /* nothing to say yet: no page for it */
	w = stackd_notice_slot(ss);
	if (!w)
		return;
	v = __atomic_load_n(w, __ATOMIC_RELAXED);
	if (SHIM_NOTICE_ID(v) != ss->id && !errq && !sel && !bcast)
		return; /* the slot stays free until there is something to say */
	nv = SHIM_NOTICE_ID(v) == ss->id ? v : shim_notice_word(ss->id, 0, 0, 0);
	nv = errq ? nv | SHIM_NOTICE_ERRQ_NOW : nv & ~(uint64_t)SHIM_NOTICE_ERRQ_NOW;
	nv = sel ? nv | SHIM_NOTICE_SELERR : nv & ~(uint64_t)SHIM_NOTICE_SELERR;
	nv = bcast ? nv | SHIM_NOTICE_BROADCAST : nv & ~(uint64_t)SHIM_NOTICE_BROADCAST;
	if (nv == v)
		return;
	__atomic_store_n(w, nv, __ATOMIC_RELEASE);
	/* A pending report in the pair wakes the waiters already; a stream's pair carries none. */
	if (wake && errq && !ss->stream && !(v & (SHIM_NOTICE_ERRQ_NOW | SHIM_NOTICE_ERR)) &&
	    !ss->sock->sk->sk_err && ss->pair_writable && !ss->pend_len) {
		struct shim_dgram hdr = {.err = ENOMSG, .flags = MSG_ERRQUEUE};
		int r = stackd_dgram_to_pair(ss, &hdr, sizeof(hdr));

		if (r < 0 && r != -EAGAIN)
			ss->pair_hup = true;
	}
}

void stackd_notice_errq_wake(struct stackd_sock *ss, bool wake)
{
	bool errq = !skb_queue_empty(&ss->sock->sk->sk_error_queue);

	stackd_notice_errq_word(ss, errq, wake);
	if (ss->stream)
		stackd_errq_efd_update(ss, errq);
}

/*
 * shutdown(SHUT_RD) of a datagram socket: inet_shutdown's sk_state_change
 * wakes its readers, which a void report does for the program's (a reader
 * asleep in the pair wakes, drops it and finds the EOF its interposer
 * recorded in the socket's page first, which the word announces, so that
 * every holder takes the report for void). A full pair wakes no sleeper.
 */
void stackd_dgram_wake(struct stackd_sock *ss)
{
	struct shim_dgram hdr = {.err = ENOMSG};
	int r;

	if (ss->stream || ss->fd < 0 || ss->skstate_fd < 0 || !ss->pair_writable || ss->pend_len)
		return;
	r = stackd_dgram_to_pair(ss, &hdr, sizeof(hdr));
	if (r < 0 && r != -EAGAIN)
		ss->pair_hup = true;
}

/* An error report says whether the error queue holds an entry: sock_poll's ERR after it. */
static uint32_t stackd_errq_flag(const struct sock *sk)
{
	return skb_queue_empty(&sk->sk_error_queue) ? 0 : MSG_ERRQUEUE;
}

/* An ICMP error for this socket (e.g. ECONNREFUSED): the next recv reports it. */
static void stackd_dgram_report_err(struct stackd_sock *ss)
{
	struct shim_dgram hdr = {0};
	int r;

	if (!ss->sock->sk->sk_err || !ss->pair_writable || ss->pend_len)
		return;
	hdr.err = -sock_error(ss->sock->sk);
	hdr.flags = stackd_errq_flag(ss->sock->sk);
	stackd_notice_report(ss, &hdr);
	r = stackd_dgram_to_pair(ss, &hdr, sizeof(hdr));
	if (r < 0 && r != -EAGAIN)
		ss->pair_hup = true;
}

/*
 * SHIM_SCM_STAMP behind the socket's own messages: what the program's read
 * of this datagram leaves in sk_stamp (the stack's read here stands for it),
 * only where that is not the plain "0 if none" the interposer assumes.
 */
static void stackd_dgram_stamp(struct msghdr *msg, const struct sock *sk, bool kept, int64_t old)
{
	int64_t v = kept ? SHIM_STAMP_KEEP : sk->sk_stamp;
	struct cmsghdr *cm = (struct cmsghdr *)((uint8_t *)msg->msg_control + msg->msg_controllen);

	if ((!kept && (v == old || v == 0)) ||
	    SHIM_DGRAM_CTL_MAX - msg->msg_controllen < CMSG_SPACE(sizeof(v)))
		return;
	cm->cmsg_len = CMSG_LEN(sizeof(v));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SHIM_SCM_STAMP;
	memcpy(CMSG_DATA(cm), &v, sizeof(v));
	msg->msg_controllen += CMSG_SPACE(sizeof(v));
}

/*
 * Stack -> application. The payload lands at a fixed offset with room for
 * the most control messages before it; the header and the control messages
 * the socket asked for are then put just in front of it, so that the
 * datagram leaves in one piece without moving the payload.
 */
static void stackd_dgram_out(struct stackd_sock *ss, bool *more)
{
	struct stackd *sd = ss->sd;
	struct socket *sock = ss->sock;
	struct shim_dgram *hdr = (struct shim_dgram *)sd->iobuf;
	uint8_t *payload = sd->iobuf + sizeof(*hdr) + SHIM_DGRAM_CTL_MAX;
	size_t cap = sd->iobuf_size - sizeof(*hdr) - SHIM_DGRAM_CTL_MAX;
	int count = 0;

	stackd_dgram_report_err(ss);
	stackd_dgram_bare_peer(ss);

	while (ss->pair_writable) {
		struct sockaddr_in addr;
		uint64_t ctl[SHIM_DGRAM_CTL_MAX / sizeof(uint64_t)]; /* aligned for cmsghdr */
		struct iovec iov = {.iov_base = payload, .iov_len = cap};
		struct msghdr msg = {
			.msg_name = &addr,
			.msg_namelen = sizeof(addr),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = ctl,
			.msg_controllen = sizeof(ctl),
		};
		size_t copied;
		bool kept;
		int64_t stamp;
		int r;

		if (ss->pend_len) {
			if (send(ss->fd, ss->pend, ss->pend_len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
				if (errno == EAGAIN || errno == ENOBUFS)
					ss->pair_writable = false;
				else
					ss->pair_hup = true;
				break;
			}
			ss->pend_len = 0;
		}
		if (++count > STACKD_ROUND_DGRAMS) {
			*more = true;
			break;
		}
		memset(&addr, 0, sizeof(addr));
		stackd_enter(sd, NULL);
		kept = sock_stamp_kept(sock->sk);
		stamp = sock->sk->sk_stamp;
		r = sock->ops->recvmsg(sock, &msg, cap, MSG_DONTWAIT | MSG_TRUNC);
		if (r == -EAGAIN)
			break;
		if (r < 0)
			msg.msg_controllen = 0;
		else
			stackd_dgram_stamp(&msg, sock->sk, kept, stamp);
		copied = r > 0 && (size_t)r < cap ? (size_t)r : r > 0 ? cap : 0;
		if (r > 0 && stackd_dgram_bare_out(ss, &addr, &msg, payload, r, copied)) {
			r = stackd_pair_put(ss, payload, copied);
			if (r == -EAGAIN)
				break;
			if (r < 0) {
				ss->pair_hup = true;
				break;
			}
			continue;
		}
		hdr = (struct shim_dgram *)(payload - msg.msg_controllen) - 1;
		memset(hdr, 0, sizeof(*hdr));
		if (r < 0) {
			/* A pending error (e.g. ECONNREFUSED): the next recv reports it. */
			hdr->err = -r;
			hdr->flags = stackd_errq_flag(sock->sk);
			stackd_notice_report(ss, hdr);
			copied = 0;
		} else {
			copied = (size_t)r < cap ? (size_t)r : cap;
			hdr->flags = (uint32_t)(msg.msg_flags & MSG_TRUNC);
			hdr->orig_len = (uint32_t)r;
			hdr->ctl_len = (uint32_t)msg.msg_controllen;
			memcpy(hdr + 1, ctl, msg.msg_controllen);
			if (msg.msg_namelen >= sizeof(addr) && addr.sin_family == AF_INET)
				hdr->addr = addr;
		}
		r = stackd_dgram_to_pair(ss, hdr, sizeof(*hdr) + hdr->ctl_len + copied);
		if (r == -EAGAIN)
			break;
		if (r < 0) {
			ss->pair_hup = true;
			break;
		}
	}
}

/*
 * recv() gave 0: the end of the pair or an empty datagram the program wrote
 * without the interposer (io_uring, write(2)), which the pair's end then
 * does not report as shut. The end is every copy of the program's end
 * closed (HUP: unix_release_sock shuts ours both ways), or the socket shut
 * for writing (RDHUP alone: the interposer shuts its end so that sends
 * fail as the kernel's, shim_socket.c), which leaves the socket as it was;
 * an empty datagram with more behind it is one, whatever the end says.
 * 0: a datagram; POLLHUP: closed; POLLRDHUP: shut for writing.
 */
static short stackd_pair_eof(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLRDHUP};
	int inq = 0;

	if (poll(&p, 1, 0) != 1)
		return 0;
	if (p.revents & (POLLHUP | POLLERR))
		return POLLHUP;
	if (ioctl(fd, SIOCINQ, &inq) == 0 && inq > 0)
		return 0;
	return p.revents & POLLRDHUP;
}

/*
 * A datagram the program wrote to its end past the interposer (io_uring's
 * SEND, SENDMSG, WRITE, a raw write(2), a program started without the
 * interposer): no header, so no address, flags or control messages (the
 * pair drops a sendmsg's msg_name). The kernel would send it as a send()
 * without an address: to the connected peer, else refuse it with
 * EDESTADDRREQ, which the writer can no longer get; it is counted then
 * (BareNoDest in sockshim stat).
 */
static void stackd_dgram_bare(struct stackd_sock *ss, const uint8_t *buf, size_t len)
{
	int r = stackd_sendmsg(ss->sock, buf, len, NULL, 0, NULL, 0);

	if (r == -EDESTADDRREQ) {
		ss->sd->bare_nodest++;
		stackd_trace(ss->sd,
			     "id %u: datagram written past the interposer dropped: no destination",
			     ss->id);
	} else if (r < 0) {
		stackd_trace(ss->sd, "id %u: datagram dropped: %s", ss->id, strerror(-r));
	}
}

static void stackd_dgram_in(struct stackd_sock *ss, bool *more)
{
	struct stackd *sd = ss->sd;
	struct shim_dgram *hdr = (struct shim_dgram *)sd->iobuf;
	int count = 0;

	while (ss->pair_readable) {
		short end = 0;
		ssize_t n;
		int r;

		if (++count > STACKD_ROUND_DGRAMS) {
			*more = true;
			break;
		}
		n = recv(ss->fd, sd->iobuf, sd->iobuf_size, MSG_DONTWAIT);
		if (n < 0 || (n == 0 && (end = stackd_pair_eof(ss->fd)))) {
			if ((n < 0 && errno == EAGAIN) || end == POLLRDHUP)
				ss->pair_readable = false; /* nothing more, or shut for writing */
			else
				ss->pair_hup = true; /* EOF: every copy of its end is closed */
			break;
		}
		if ((size_t)n < sizeof(*hdr) || hdr->cookie != ss->tx_cookie) {
			stackd_dgram_bare(ss, sd->iobuf, (size_t)n);
			continue;
		}
		if (hdr->ctl_len > SHIM_DGRAM_CTL_MAX || hdr->ctl_len > (size_t)n - sizeof(*hdr)) {
			stackd_error(sd,
				     "id %u: malformed datagram from the application (%zd bytes)",
				     ss->id, n);
			continue;
		}
		r = stackd_sendmsg(ss->sock, sd->iobuf + sizeof(*hdr) + hdr->ctl_len,
				   (size_t)n - sizeof(*hdr) - hdr->ctl_len,
				   hdr->addr.sin_family ? &hdr->addr : NULL, hdr->flags, hdr + 1,
				   hdr->ctl_len);
		/* The application's send() has returned already; the kernel would have told it. */
		if (r < 0)
			stackd_trace(sd, "id %u: datagram dropped: %s", ss->id, strerror(-r));
	}
}

/*
 * Before a request that changes how a datagram socket sends (setsockopt
 * IP_TTL or UDP_CORK, connect, ...): every datagram the application sent
 * before it goes first, whether or not the pair's readiness was seen yet,
 * so that the request acts between the same sends as on the kernel.
 */
/*
 * Every datagram in the pair goes to the socket, until the pair is empty:
 * also after the application closed its end (pair_hup), since its sends
 * returned to it as sent.
 */
static void stackd_dgram_drain(struct stackd_sock *ss)
{
	bool more = true;

	if (ss->stream || !ss->sock)
		return;
	while (more) {
		more = false;
		ss->pair_readable = true;
		stackd_dgram_in(ss, &more);
	}
}

void stackd_dgram_sync(struct stackd_sock *ss)
{
	if (ss->stream || !ss->sock)
		return;
	stackd_dgram_drain(ss);
	if (ss->pair_hup)
		stackd_sock_queue(ss); /* the pump notices and frees the record */
}

/*
 * SHIM_SO_DGRAM_APPEND: a part of a send after SHUT_WR, which only a corked
 * datagram takes (the core's udp_sendmsg does not look at the shutdown:
 * the pair carries it). The pair's datagrams went first (stackd_dgram_sync).
 */
int stackd_dgram_append(struct stackd_sock *ss, const struct shim_sockopt *o)
{
	struct shim_dgram_append a;
	struct sock *sk = ss->sock->sk;

	if (ss->stream || o->optlen < sizeof(a) ||
	    (sk->sk_protocol != IPPROTO_UDP && sk->sk_protocol != IPPROTO_UDPLITE))
		return -EINVAL;
	if (!udp_corked(sk))
		return -EPIPE;
	memcpy(&a, o->optval, sizeof(a));
	return stackd_sendmsg(ss->sock, o->optval + sizeof(a), o->optlen - sizeof(a), NULL,
			      a.flags & MSG_MORE, NULL, 0);
}

/*
 * recvmsg(MSG_ERRQUEUE) for the application: the oldest entry of the
 * socket's error queue (ip_recv_error), whose data and control messages
 * fit one reply. The next entry's errno, if another is queued, becomes the
 * socket's pending error again: it is in the pair before the reply, so the
 * application's next recv reports it as the kernel's would.
 */
int stackd_dgram_errqueue(struct stackd_sock *ss, const struct shim_errqueue *q,
			  struct shim_errqueue_rep *r)
{
	uint64_t ctl[SHIM_ERRQ_BUF / 2 / sizeof(uint64_t)];
	struct sockaddr_in name = {0};
	struct iovec iov = {.iov_base = r->buf, .iov_len = SHIM_ERRQ_BUF - sizeof(ctl)};
	struct msghdr msg = {
		.msg_name = &name,
		.msg_namelen = sizeof(name),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl,
		.msg_controllen = sizeof(ctl),
	};
	size_t len = q->len < iov.iov_len ? q->len : iov.iov_len;
	int ret;

	/* A control request: the caller entered the core (stackd_conn_request). */
	ret = ss->sock->ops->recvmsg(ss->sock, &msg, len,
				     (q->flags & (MSG_PEEK | MSG_TRUNC)) | MSG_ERRQUEUE |
					     MSG_DONTWAIT);
	if (ret < 0)
		return ret;
	r->msg_flags = (uint32_t)msg.msg_flags;
	r->data_len = (uint32_t)((size_t)ret < len ? (size_t)ret : len);
	r->ctl_len = (uint32_t)msg.msg_controllen;
	memmove(r->buf + r->data_len, ctl, msg.msg_controllen);
	if (name.sin_family == AF_INET)
		r->name = name;
	r->left = !skb_queue_empty(&ss->sock->sk->sk_error_queue);
	if (!ss->stream) { /* a stream's pair carries no error reports */
		/* sock_dequeue_err_skb (MSG_PEEK too): the report of the entry read is void. */
		stackd_notice_clear(ss, ~(uint64_t)SHIM_NOTICE_REPORT);
		stackd_dgram_report_err(ss);
		stackd_notice_errq(ss);
	} else if (ss->tx_marked) {
		/* sock_dequeue_err_skb reports again when entries are left (an edge). */
		if (r->left)
			ss->errq_reports++;
		stackd_notice_errq(ss);
	}
	return ret;
}

/* Returns false if the record was freed. */
static bool stackd_dgram_work(struct stackd_sock *ss, bool *more)
{
	struct stackd *sd = ss->sd;

	stackd_dgram_out(ss, more);
	stackd_dgram_in(ss, more);
	stackd_notice_errq(ss);
	if (ss->pair_hup) {
		/* A receive may have found the end closed before the last sends were read. */
		stackd_dgram_drain(ss);
		stackd_trace(sd, "id %u: app closed", ss->id);
		stackd_sock_free(ss);
		return false;
	}
	return true;
}

/* ---- listeners ------------------------------------------------------------ */

/* Hands the pending child to the application's listener. Returns 0 or -EAGAIN. */
static int stackd_child_connect(struct stackd_sock *ls)
{
	struct stackd *sd = ls->sd;
	struct stackd_sock *child = ls->child;
	struct sockaddr_un sun;
	socklen_t len = stackd_listener_name(ls, &sun);

	if (connect(child->fd, (struct sockaddr *)&sun, len) < 0) {
		if (errno == EAGAIN) {
			/* The application's backlog is full: as the kernel, the peer waits. */
			mod_timer(&sd->timers, &ls->retry, stackd_time(sd) + STACKD_RETRY_NS);
			return -EAGAIN;
		}
		stackd_trace(sd, "id %u: listener %u refused the connection: %s", child->id, ls->id,
			     strerror(errno));
		ls->child = NULL;
		stackd_sock_free(child);
		/* Probably closed by the application: look now, but not from inside its work. */
		mod_timer(&sd->timers, &sd->scan_timer, stackd_time(sd));
		return -ECONNREFUSED;
	}
	ls->child = NULL;
	child->handover = false;
	stackd_pair_oobinline(child->fd);
	child->pair_out_off = false;
	if (stackd_epoll_add(sd, child->fd, STACKD_PAIR_EVENTS, &child->ep) < 0) {
		stackd_error(sd, "id %u: epoll: %s", child->id, strerror(errno));
		stackd_sock_free(child);
		return 0;
	}
	stackd_trace(sd, "id %u: accepted on listener %u", child->id, ls->id);
	stackd_sock_queue(child);
	return 0;
}

static void stackd_listener_work(struct stackd_sock *ls)
{
	struct stackd *sd = ls->sd;
	char name[sizeof(((struct sockaddr_un *)0)->sun_path)];

	if (ls->child && stackd_child_connect(ls) == -EAGAIN)
		return;
	for (int i = 0; i < STACKD_ACCEPT_BUDGET && ls->listening && !ls->child; i++) {
		struct socket *newsock = calloc(1, sizeof(*newsock));
		struct sockaddr_un sun = {.sun_family = AF_UNIX};
		struct sockaddr_in peer;
		struct stackd_sock *child;
		int fd, r;

		if (!newsock) {
			stackd_error(sd, "listener %u: out of memory", ls->id);
			return;
		}
		newsock->type = ls->sock->type;
		newsock->ops = ls->sock->ops;
		newsock->state = SS_UNCONNECTED;
		/* Its user at its limit: the connection waits in the accept queue, as on EMFILE. */
		if (ls->charged && stackd_user_may(sd, ls->owner, ls->mem) < 0) {
			free(newsock);
			mod_timer(&sd->timers, &ls->retry, stackd_time(sd) + STACKD_LIMIT_RETRY_NS);
			return;
		}
		stackd_enter(sd, NULL);
		r = ls->sock->ops->accept(ls->sock, newsock, O_NONBLOCK, true);
		if (r < 0) {
			free(newsock);
			if (r != -EAGAIN)
				stackd_trace(sd, "listener %u: accept: %s", ls->id, strerror(-r));
			return;
		}
		child = stackd_sock_new(sd, newsock, -1, true);
		/* Judged above with the listener's buffers, which the child inherits. */
		if (child && ls->charged)
			stackd_user_charge(child, ls->owner, true);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (!child || fd < 0) {
			stackd_error(sd, "listener %u: cannot hand over a connection: %s", ls->id,
				     strerror(errno));
			if (fd >= 0)
				close(fd);
			if (child)
				stackd_sock_free(child);
			else
				sock_release(newsock);
			continue;
		}
		/* inet_accept's address for accept(): peer 2, whatever the state since. */
		newsock->ops->getname(newsock, (struct sockaddr *)&peer, 2);
		shim_accepted_name(name, sizeof(name), sd->pid, child->id, child->nonce, &peer);
		memcpy(sun.sun_path + 1, name, strlen(name));
		if (bind(fd, (struct sockaddr *)&sun,
			 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name))) <
		    0) {
			stackd_error(sd, "id %u: bind %s: %s", child->id, name, strerror(errno));
			close(fd);
			stackd_sock_free(child);
			continue;
		}
		child->fd = fd;
		child->listener = ls->id;
		child->pair_hold = stackd_pair_tune(fd);
		child->handover = true;
		ls->child = child;
		stackd_child_connect(ls);
	}
}

/*
 * The name of a listening socket's AF_UNIX listener, made from what names
 * the socket (not kept: an idle connection's memory is the host's
 * footprint). Returns its length.
 */
socklen_t stackd_listener_name(const struct stackd_sock *ss, struct sockaddr_un *sun)
{
	char name[sizeof(sun->sun_path) - 1];

	shim_sock_name(name, sizeof(name), 'l', ss->sd->pid, ss->id, ss->nonce);
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path + 1, name, strlen(name));
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

int stackd_sock_listen(struct stackd_sock *ss, int backlog, int *lfd)
{
	struct stackd *sd = ss->sd;
	struct sockaddr_un sun;
	socklen_t len;
	int fd, r;

	*lfd = -1;
	stackd_enter(sd, NULL);
	r = ss->sock->ops->listen(ss->sock, backlog);
	if (r < 0 || ss->listening)
		return r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	len = stackd_listener_name(ss, &sun);
	/* The application's backlog bounds connections waiting in accept(), as in TCP. */
	if (bind(fd, (struct sockaddr *)&sun, len) < 0 || listen(fd, backlog) < 0) {
		r = -errno;
		stackd_error(sd, "id %u: listener %s: %s", ss->id, sun.sun_path + 1,
			     strerror(errno));
		close(fd);
		return r;
	}
	r = stackd_skid_get(fd, &ss->lsn);
	if (r < 0) {
		close(fd);
		return r;
	}
	/* The application's end of the pair is replaced by the listener (dup3). */
	stackd_pair_close(ss);
	ss->listening = true;
	sd->nwatched++;
	if (!timer_pending(&sd->scan_timer))
		mod_timer(&sd->timers, &sd->scan_timer, stackd_time(sd) + STACKD_SCAN_NS);
	*lfd = fd;
	stackd_sock_queue(ss);
	return 0;
}

/*
 * shutdown(SHUT_RD or SHUT_RDWR) took a listening socket out of TCP_LISTEN
 * (inet_shutdown's disconnect: TCP_CLOSE, SS_UNCONNECTED, the queue reset
 * by inet_csk_listen_stop), so its AF_UNIX listener is no longer the
 * socket: the socket gets a fresh pair as a new one has (a new nonce, so a
 * later listen() names its listener anew while the old one may still be
 * open), the connection waiting to be handed to the listener goes, and the
 * kernel's loopback listener with it. Connections already in the AF_UNIX
 * listener's backlog hang up when the application's last copy of it
 * closes (the kernel resets them at once).
 */
int stackd_listener_stop(struct stackd_sock *ss, int *app_fd)
{
	int r;

	if (ss->child) {
		stackd_sock_free(ss->child);
		ss->child = NULL;
	}
	del_timer(&ss->sd->timers, &ss->retry);
	stackd_loopback_unlisten(ss);
	/* Still counted as watched by listening: the new pair's kept copy takes the count over. */
	r = stackd_sock_renew_pair(ss, app_fd);
	if (r)
		return r;
	ss->listening = false;
	ss->lsn = (struct stackd_skid){0};
	return 0;
}

/* SHIM_OP_SHUTDOWN(SHUT_WR) of a stream: the FIN goes after what the pair still holds. */
void stackd_sock_shutdown_wr(struct stackd_sock *ss)
{
	ss->shut_wr_pending = true;
	stackd_sock_queue(ss);
}

/* ---- the application closing what the host cannot see close ---------------- */

static void stackd_scan_tick(struct timer_list *t)
{
	stackd_scan_unix(container_of(t, struct stackd, scan_timer));
}

static void stackd_sock_closed_by_app(struct stackd_sock *ss)
{
	struct stackd *sd = ss->sd;

	stackd_trace(sd, "id %u: %s closed by the application", ss->id,
		     ss->listening ? "listener" : "datagram socket");
	stackd_sock_free(ss);
}

/*
 * Asks the kernel, listener by listener, whether the application still
 * holds each, and releases those it has closed.
 * The cost is one sock_diag query per such socket, whatever else exists on
 * the machine.
 */
void stackd_scan_unix(struct stackd *sd)
{
	if (!sd->hash || !sd->nwatched)
		return;
	for (unsigned int b = 0; b < sd->hash_size; b++) {
		struct stackd_sock *ss = sd->hash[b], *next;

		for (; ss; ss = next) {
			next = ss->hash_next;
			if (ss->app_keep >= 0)
				stackd_app_old_held(ss);
			else if (stackd_watched(ss) && !stackd_app_held(ss))
				stackd_sock_closed_by_app(ss);
		}
	}
	if (sd->nwatched)
		mod_timer(&sd->timers, &sd->scan_timer, stackd_time(sd) + STACKD_SCAN_NS);
}

/* The kernel's net_info lines (e.g. "out of memory -- consider tuning tcp_mem") go to the trace. */
static void stackd_net_info(struct net *net, const char *msg)
{
	stackd_trace(container_of(net, struct stackd, net), "TCP: %s", msg);
}

void stackd_sock_init(struct stackd *sd)
{
	sd->net.sk_owner_free = stackd_sk_owner_free;
	sd->net.net_info = stackd_net_info;
	INIT_LIST_HEAD(&sd->graveyard);
	timer_setup(&sd->scan_timer, stackd_scan_tick);
}

/* ---- the ready list --------------------------------------------------------- */

/* Runs the sockets of list in turn; false when the time ran out. */
static bool stackd_run_list(struct stackd *sd, struct list_head *list, uint64_t until)
{
	while (!list_empty(list)) {
		struct stackd_sock *ss = list_first_entry(list, struct stackd_sock, ready);
		bool more = false, alive;

		list_del_init(&ss->ready);
		ss->queued = false;
		if (ss->zombie || !ss->sock)
			continue;
		if (ss->listening) {
			stackd_listener_work(ss);
			continue;
		}
		if (ss->fd < 0 || ss->handover)
			continue; /* an accepted connection still waiting for the listener */
		alive = ss->stream ? stackd_stream_work(ss, &more) : stackd_dgram_work(ss, &more);
		if (!alive)
			continue;
		/*
		 * Bulk: the turn ended with bytes still waiting on either side
		 * (the pair still readable, the pair full, the round's share
		 * used up). Otherwise it is sparse and its next turn comes
		 * before theirs: a request that arrives behind a thousand
		 * streams waits for none of them.
		 */
		ss->sparse = !more && !(ss->pair_readable && !ss->pair_rd_eof) && ss->pair_writable;
		if (more)
			stackd_sock_queue(ss);
		if (stackd_time(sd) >= until)
			return false;
	}
	return true;
}

void stackd_run_ready(struct stackd *sd, uint64_t until)
{
	struct list_head sparse, bulk;
	bool in_time = true, had_sparse;

	/* Take the current lists; what gets queued meanwhile runs next round. */
	INIT_LIST_HEAD(&sparse);
	INIT_LIST_HEAD(&bulk);
	list_splice_init(&sd->ready_sparse, &sparse);
	list_splice_init(&sd->ready, &bulk);

	had_sparse = !list_empty(&sparse);
	if (had_sparse)
		in_time = stackd_run_list(sd, &sparse, until);
	if (in_time && !list_empty(&bulk)) {
		/*
		 * What the sparse sockets sent (a request, a reply) leaves
		 * now rather than after the bulk sockets' turns, which may
		 * take the rest of the slice: one more sendmmsg in a round
		 * that has both.
		 */
		if (had_sparse)
			dev_flush(sd->net.dev);
		stackd_run_list(sd, &bulk, until);
	}
	/*
	 * Out of time: the rest keep their turn, sparse first, ahead of what
	 * was queued meanwhile, and run after the link has been read again.
	 */
	list_splice_init(&bulk, &sd->ready);
	list_splice_init(&sparse, &sd->ready);
}

void stackd_sock_free_all(struct stackd *sd)
{
	for (unsigned int b = 0; sd->hash && b < sd->hash_size; b++)
		while (sd->hash[b])
			stackd_sock_free(sd->hash[b]);
	stackd_sock_bury(sd);
	free(sd->hash);
	sd->hash = NULL;
}
