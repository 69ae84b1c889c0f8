/* SPDX-License-Identifier: MIT */
/*
 * Readiness as the kernel's TCP and UDP report it, through poll, ppoll,
 * select and pselect (epoll: shim_epoll.c). The application's fd is one end
 * of an AF_UNIX pair, and a few of TCP's and UDP's answers have no pair
 * state that gives them (README "How it works", readiness):
 *  - a TCP socket never connected (or disconnected) is in TCP_CLOSE:
 *    tcp_poll says OUT|HUP, a pair says OUT;
 *  - when the host hangs up a stream's pair (reset, refused, both FINs)
 *    TCP is in TCP_CLOSE, always writable, and ERR while sk_err is set: the
 *    pair shows no OUT while the connect filler is being freed and no ERR
 *    for an error the host holds. The first time a pair is seen hung up,
 *    the host's pending error is taken (SHIM_OP_GETERR) and kept in the fd
 *    table until it is collected (recv, SO_ERROR), as sk_err is;
 *  - a datagram socket's pending error is a report in the pair (IN):
 *    udp_poll says ERR at once, which the notice word tells wherever the
 *    report is, and IN only if datagrams follow a report at the head;
 *  - once that report is taken, an entry left on the error queue keeps the
 *    socket ERR (sock_poll) with nothing in the pair (SHIM_F_ERRQ), until
 *    recvmsg(MSG_ERRQUEUE) takes it; after a stamped or zerocopy send the
 *    flag is settled with the host first (shim_dgram_errq_settle);
 *  - a pair says WRBAND where tcp_poll does not;
 *  - at the mark with nothing but a not-inline urgent byte left (read out
 *    of band or not) a pair says IN and holds nothing a read returns;
 *    tcp_poll does not count that byte (urg_seq == copied_seq: target + 1).
 * shim_ready_fix() turns the pair's answer into the kernel's. Only sets that
 * hold an emulated stream or datagram socket take the slow path (the pairs
 * asked, the answers corrected); any other set costs one fd table check per
 * fd. A set with a socket that is ready by correction alone (never
 * connected) does not sleep. select's sets are copied in and out (the
 * kernel's select overwrites them), so select costs two more calls.
 */
#include "shim_lib.h"

#include <linux/sockios.h>
#include <sys/epoll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "net.h" /* RCV_SHUTDOWN, SHUTDOWN_MASK */

/* The first time the host's end of a stream pair is seen hung up: take its error. */
static uint64_t shim_hup_collect(int fd, uint64_t e)
{
	struct shim_req req = {.hdr = {.op = SHIM_OP_GETERR, .id = shim_ent_id(e)}};
	struct shim_rep rep;

	if (shim_ctl_call(&req, &rep, NULL, fd))
		return e;
	if (rep.hdr.ret < 0 && rep.hdr.ret != -EBADF)
		shim_fd_err_keep(fd, -rep.hdr.ret);
	else if (rep.hdr.ret == -EBADF)
		shim_fd_flags(fd, SHIM_F_HUPSEEN, 0);
	/* 0: the host still has the socket (we shut both ways): ask again next time. */
	return shim_fd_get(fd);
}

/* Datagram sockets whose host may queue an error report (sk_err set by an ICMP error). */
static bool shim_dgram_may_err(uint64_t e)
{
	return shim_ent_kind(e) == SHIM_DGRAM &&
	       (shim_ent_flags(e) & (SHIM_F_PEER | SHIM_F_RAW | SHIM_F_PING));
}

/* ... or a void report, the host's wake-up for an entry on the error queue. */
static bool shim_dgram_reports(uint64_t e)
{
	return shim_dgram_may_err(e) ||
	       (shim_ent_kind(e) == SHIM_DGRAM && (shim_ent_flags(e) & SHIM_F_NOTICED));
}

/*
 * An error report is a datagram of the pair, so POLLIN is asked for it.
 * Asked for POLLOUT, the pair is writable anyway; asked for nothing (ERR
 * only), a report at the head is seen, and one that comes wakes the call if
 * no datagram is queued before it (a datagram wakes it once; it then waits
 * without POLLIN). With SO_SELECT_ERR_QUEUE a socket asked for PRI is
 * asked for IN too: a datagram's wake-up (sock_def_readable's IN|PRI) has
 * the kernel's poll look again, and PRI may be there by then (an entry the
 * error queue took meanwhile, whose own wake-up is ERR alone).
 */
bool shim_ready_ask_in(uint64_t e, unsigned int events)
{
	return !(events & POLLIN) &&
	       (shim_dgram_reports(e) || ((events & POLLPRI) && shim_ent_kind(e) == SHIM_DGRAM &&
					  (shim_notice_peek(e) & SHIM_NOTICE_SELERR)));
}

/*
 * Whether this process has met urgent data (recv(MSG_OOB), SIOCATMARK,
 * SO_OOBINLINE): from then on a readable stream's pair is checked for the
 * mark (one peek); before, only when the pair says PRI (a byte not yet
 * read out of band), so the common readable stream costs nothing more.
 */
static atomic_bool shim_urg_used;

void shim_urg_note(void)
{
	atomic_store_explicit(&shim_urg_used, true, memory_order_relaxed);
}

/*
 * IN from the pair with nothing to read: only the urgent byte at the mark is
 * there. The peek looks at the head whatever the program's SO_PEEK_OFF (the
 * pair's, which it would move): tcp_poll counts every byte.
 */
static unsigned int shim_stream_urg_fix(int fd, unsigned int rev)
{
	int saved = errno, off = -1, head = -1;
	socklen_t len = sizeof(off);
	char c;

	if (shim_real.getsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &off, &len) < 0)
		off = -1;
	if (off >= 0)
		shim_real.setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &head, sizeof(head));
	if (shim_real.recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) < 0 && errno == EAGAIN)
		rev &= ~(POLLIN | POLLRDNORM);
	if (off >= 0)
		shim_real.setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off));
	errno = saved;
	return rev;
}

static unsigned int shim_stream_fix(int fd, uint64_t e, unsigned int rev)
{
	unsigned int fl = shim_ent_flags(e);

	if (fl & SHIM_F_UNCONNECTED) {
		/* TCP_CLOSE: HUP, writable; readable at EOF once shut for reading. */
		rev = POLLOUT | POLLWRNORM | POLLHUP;
		/* A disconnect's ECONNRESET, kept until read, written or SO_ERROR takes it. */
		if (shim_ent_err(e))
			rev |= POLLERR;
		if (fl & SHIM_F_RD_SHUT)
			rev |= POLLIN | POLLRDNORM | POLLRDHUP;
		return rev;
	}
	rev &= ~POLLWRBAND;
	if ((rev & POLLIN) && !(rev & (POLLHUP | POLLRDHUP)) &&
	    ((rev & POLLPRI) || atomic_load_explicit(&shim_urg_used, memory_order_relaxed)))
		rev = shim_stream_urg_fix(fd, rev);
	if (!(rev & POLLHUP))
		return rev;
	rev |= POLLOUT | POLLWRNORM;
	if (!(fl & SHIM_F_HUPSEEN))
		e = shim_hup_collect(fd, e);
	/* The host answered: sk_err is what it gave, not the pair's own reset. */
	if (shim_ent_flags(e) & SHIM_F_HUPSEEN)
		rev = (rev & ~POLLERR) | (shim_ent_err(e) ? POLLERR : 0);
	return rev;
}

/*
 * An error report at the head of the pair: ERR, and IN only if a datagram
 * follows. One whose error was taken already (ahead of the datagrams
 * before it) is void: it is dropped here, and the pair is asked again.
 */
static unsigned int shim_dgram_fix(int fd, uint64_t e, unsigned int rev)
{
	struct shim_dgram h;
	int inq = 0, saved = errno;
	ssize_t n;

	while (shim_dgram_framed(fd, &h,
				 n = shim_real.recv(fd, &h, sizeof(h), MSG_PEEK | MSG_DONTWAIT)) &&
	       h.err && shim_notice_stale(fd, e, &h))
		shim_real.recv(fd, &h, sizeof(h), MSG_DONTWAIT);
	errno = saved;
	if (n < 0)
		return rev & ~(POLLIN | POLLRDNORM); /* only void reports were there */
	if (!shim_dgram_framed(fd, &h, n) || !h.err)
		return rev;
	rev |= POLLERR;
	/* SIOCINQ of a SOCK_SEQPACKET pair counts every queued datagram. */
	if (shim_real.ioctl(fd, SIOCINQ, &inq) < 0 || inq <= (int)sizeof(h))
		rev &= ~(POLLIN | POLLRDNORM);
	return rev;
}

unsigned int shim_ready_fix(int fd, uint64_t e, unsigned int rev)
{
	uint64_t w;

	if (rev & POLLNVAL)
		return rev;
	switch (shim_ent_kind(e)) {
	case SHIM_STREAM:
		/* The pair hung up may be an earlier one: the socket's current pair answers. */
		if ((rev & POLLHUP) && shim_stream_follow(fd, e)) {
			struct pollfd p = {fd, POLLIN | POLLOUT | POLLPRI | POLLRDHUP, 0};

			rev = shim_real.poll(&p, 1, 0) == 1 ? (unsigned short)p.revents : 0;
			e = shim_fd_get(fd);
		}
		e = shim_stream_known(fd, e);
		/*
		 * tcp_poll: ERR while the error queue holds transmit stamps or
		 * MSG_ZEROCOPY completions: known at the send, or queued later
		 * (an ACK) and told by the notice word.
		 */
		rev = shim_stream_fix(fd, e, rev);
		if (shim_ent_flags(e) & SHIM_F_ERRQ)
			return rev | POLLERR;
		if ((shim_ent_flags(e) & (SHIM_F_TXSTAMP | SHIM_F_ZEROCOPY)) &&
		    (shim_notice_get(fd, e) & SHIM_NOTICE_ERRQ_NOW))
			return rev | POLLERR;
		return rev;
	case SHIM_DGRAM:
		if ((rev & POLLIN) && shim_dgram_reports(e))
			rev = shim_dgram_fix(fd, e, rev);
		w = shim_notice_get(fd, e);
		/* udp_poll: ERR while sk_err is set, wherever its report is in the pair. */
		if (w & SHIM_NOTICE_ERR)
			rev |= POLLERR;
		/* sock_poll: ERR while the error queue holds an entry, queued when it was. */
		if (w & SHIM_NOTICE_ERRQ_NOW)
			rev |= POLLERR;
		e = shim_dgram_errq_settle(fd, e);
		rev |= shim_ent_flags(e) & SHIM_F_ERRQ ? POLLERR : 0;
		/* datagram_poll: SO_SELECT_ERR_QUEUE makes that ERR PRI too. */
		if ((rev & POLLERR) && (w & SHIM_NOTICE_SELERR))
			rev |= POLLPRI;
		/*
		 * datagram_poll after shutdown(): readable at once when shut for
		 * reading (a read finds EOF), HUP when shut both ways.
		 */
		w = shim_dgram_shut(fd, e);
		if (w & RCV_SHUTDOWN)
			rev |= POLLIN | POLLRDNORM | POLLRDHUP;
		if (w == SHUTDOWN_MASK)
			rev |= POLLHUP;
		return rev;
	default:
		return rev;
	}
}

bool shim_ready_static(uint64_t e)
{
	unsigned int fl = shim_ent_flags(e);

	if (shim_ent_kind(e) == SHIM_STREAM)
		return fl & SHIM_F_UNCONNECTED;
	return shim_ent_kind(e) == SHIM_DGRAM &&
	       ((fl & SHIM_F_ERRQ) || (shim_notice_peek(e) & SHIM_NOTICE_ERRQ_NOW) ||
		(shim_dgram_shut_peek(e) & RCV_SHUTDOWN));
}

void shim_ready_nospace(int fd, uint64_t e, unsigned int asked, unsigned int rev)
{
	if (shim_ent_kind(e) == SHIM_STREAM && (asked & POLLOUT) && !(rev & (POLLOUT | POLLNVAL)) &&
	    !(shim_ent_flags(e) & (SHIM_F_UNCONNECTED | SHIM_F_FILLED | SHIM_F_NOSPACE)))
		shim_fd_flags(fd, SHIM_F_NOSPACE, 0);
}

/* Whether readiness of entry e needs the slow path. */
static bool shim_ready_corrected(uint64_t e)
{
	return shim_ent_kind(e) == SHIM_STREAM || shim_ent_kind(e) == SHIM_DGRAM;
}

/* ---- poll and ppoll ---- */

#define SHIM_POLL_STACK 64

void shim_ts_add(struct timespec *t, const struct timespec *d)
{
	t->tv_sec += d->tv_sec;
	t->tv_nsec += d->tv_nsec;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

struct timespec shim_ts_left(const struct timespec *end)
{
	struct timespec now, left;

	clock_gettime(CLOCK_MONOTONIC, &now);
	left.tv_sec = end->tv_sec - now.tv_sec;
	left.tv_nsec = end->tv_nsec - now.tv_nsec;
	if (left.tv_nsec < 0) {
		left.tv_sec--;
		left.tv_nsec += 1000000000L;
	}
	if (left.tv_sec < 0)
		left = (struct timespec){0, 0};
	return left;
}

/*
 * The pairs' events for the caller's u: IN too where error reports are
 * asked for on the caller's behalf. Returns whether a socket is ready by
 * correction alone (the call must not sleep).
 */
static bool shim_poll_ask(struct pollfd *p, const struct pollfd *u, nfds_t n)
{
	bool ready = false;

	for (nfds_t i = 0; i < n; i++) {
		uint64_t e = shim_fd_get(u[i].fd);

		p[i] = u[i];
		if (!shim_ready_corrected(e))
			continue;
		if (shim_ready_ask_in(e, (unsigned short)u[i].events))
			p[i].events |= POLLIN;
		if (shim_ready_static(shim_dgram_errq_settle(u[i].fd, e)))
			ready = true;
	}
	return ready;
}

/*
 * A datagram socket polled for neither IN nor OUT whose pair held only
 * datagrams waits on without IN, and an error report that comes behind
 * them would wake nothing, where udp_poll's ERR wakes the kernel's poll.
 * Those pairs are watched by their edges instead: an epoll set of this
 * call (*ep, made at first need) with each registered edge-triggered for
 * IN wakes the wait at every datagram that comes after now, and is the
 * extra pollfd p[base] (after the error-queue eventfds). The host sets the notice word before it
 * writes a report, so one that came before the set was emptied shows there: the call then looks
 * again at once. Returns how many pollfd to wait on, 0 for "look again".
 */
static nfds_t shim_poll_edges(struct pollfd *p, const struct pollfd *u, nfds_t n, nfds_t base,
			      int *ep)
{
	struct epoll_event ev[8];
	bool any = false;

	for (nfds_t i = 0; i < n; i++) {
		uint64_t e = shim_fd_get(u[i].fd);

		p[i].events = u[i].events;
		if (u[i].fd < 0 || !shim_ready_ask_in(e, (unsigned short)u[i].events))
			continue;
		if (*ep < 0 && (*ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
			return base; /* no set: the wait goes by the pairs alone, as before */
		ev[0] = (struct epoll_event){.events = EPOLLIN | EPOLLET, .data.fd = u[i].fd};
		if (shim_real.epoll_ctl(*ep, EPOLL_CTL_ADD, u[i].fd, ev) < 0 && errno != EEXIST)
			continue;
		any = true;
	}
	if (!any)
		return base;
	while (shim_real.epoll_wait(*ep, ev, 8, 0) > 0)
		;
	for (nfds_t i = 0; i < n; i++) {
		uint64_t e = shim_fd_get(u[i].fd), w;

		if (u[i].fd < 0 || !shim_ready_ask_in(e, (unsigned short)u[i].events))
			continue;
		w = shim_notice_peek(e);
		/* ERR now, as shim_ready_fix will say: nothing to wait for. */
		if (w & (SHIM_NOTICE_ERRQ_NOW | SHIM_NOTICE_ERR))
			return 0;
	}
	p[base] = (struct pollfd){.fd = *ep, .events = POLLIN};
	return base + 1;
}

/*
 * errwake: the error-queue eventfds of the set's streams that have one
 * (shim_errwake.c), appended after the n pollfd asking IN: an entry queued
 * later wakes the call. Returns how many; the rest of the array follows.
 */
static nfds_t shim_poll_errq_ask(struct pollfd *p, const struct pollfd *u, nfds_t n)
{
	nfds_t k = 0;

	for (nfds_t i = 0; i < n; i++) {
		uint64_t e = shim_fd_get(u[i].fd);
		int efd;

		if (shim_ent_kind(e) != SHIM_STREAM)
			continue;
		efd = (shim_ent_flags(e) & (SHIM_F_TXSTAMP | SHIM_F_ZEROCOPY))
			      ? shim_errwake_get(u[i].fd, e)
			      : shim_errwake_fd(u[i].fd, e);
		if (efd >= 0)
			p[n + k++] = (struct pollfd){.fd = efd, .events = POLLIN};
	}
	return k;
}

/*
 * select: fd's answer counts for none of its sets and stays (a pair the
 * host hung up, data where only exceptfds asks, an error-queue eventfd),
 * so it leaves the pollfd array (p->fd negative) and is watched by its
 * edges instead: an edge-triggered registration in an epoll set of this
 * call (*xp, made at first need) wakes the wait at each wake-up of that fd,
 * and the call looks again at every fd, as do_select polls its fds again
 * at each wake-up. Without the set the fd is left out of the rest of the
 * wait.
 */
static void shim_select_park(int fd, int *xp, uint32_t events)
{
	struct epoll_event ev = {.events = events | EPOLLET, .data.fd = fd};

	if (*xp < 0)
		*xp = epoll_create1(EPOLL_CLOEXEC);
	if (*xp >= 0 && shim_real.epoll_ctl(*xp, EPOLL_CTL_ADD, fd, &ev) < 0 && errno != EEXIST)
		shim_say("sockshim: select: fd %d left out of the wait: %s", fd, strerror(errno));
}

/* An edge came to a parked fd: every fd of the array is looked at again. */
static void shim_select_unpark(struct pollfd *p, const struct pollfd *u, nfds_t n, nfds_t ne,
			       int xp)
{
	struct epoll_event ev[8];

	while (shim_real.epoll_wait(xp, ev, 8, 0) > 0)
		;
	for (nfds_t i = 0; i < ne; i++) {
		if (i < n ? p[i].fd < 0 && u[i].fd >= 0 : p[i].fd < 0)
			p[i].fd = i < n ? u[i].fd : -1 - p[i].fd;
	}
}

/*
 * Polls p (n entries, the caller's events in u; room for 2n + 2) on the
 * pairs and corrects the answers; ts NULL waits for ever. For select (sel)
 * only the events asked count, as do_select's mask: a socket ready by
 * correction alone with none of them (a never-connected stream's OUT|HUP
 * with only exceptfds) does not end the wait. Returns the number of fds
 * with events, or -errno.
 */
static int shim_poll_pairs(struct pollfd *p, const struct pollfd *u, nfds_t n,
			   const struct timespec *ts, const sigset_t *mask, bool sel)
{
	struct timespec end, left, zero = {0, 0};
	bool ready = shim_poll_ask(p, u, n);
	nfds_t ne = n + shim_poll_errq_ask(p, u, n), np = ne, nq;
	int ret, count, asked, ep = -1, xp = -1;

	if (ts) {
		clock_gettime(CLOCK_MONOTONIC, &end);
		shim_ts_add(&end, ts);
	}
	for (;;) {
		left = ts ? shim_ts_left(&end) : zero;
		nq = np;
		if (xp >= 0)
			p[nq++] = (struct pollfd){.fd = xp, .events = POLLIN};
		ret = shim_real.ppoll(p, nq, ready ? &zero : ts ? &left : NULL, mask);
		if (ret < 0) {
			ret = -errno;
			break;
		}
		if (nq > np && p[np].revents) {
			shim_select_unpark(p, u, n, ne, xp);
			ready = true;
			continue;
		}
		count = 0;
		asked = 0;
		for (nfds_t i = 0, j = n; i < n; i++) {
			uint64_t e = shim_fd_get(u[i].fd);
			unsigned int rev = (unsigned short)p[i].revents, raw = rev;
			int efd;

			if (shim_ready_corrected(e) && u[i].fd >= 0) {
				rev = shim_ready_fix(u[i].fd, e, rev);
				/* Its error-queue eventfd (appended in the same order) is its ERR.
				 */
				efd = shim_errwake_fd(u[i].fd, e);
				if (j < ne && (p[j].fd == efd || p[j].fd == -1 - efd) &&
				    (p[j++].revents & POLLIN))
					rev |= POLLERR;
				shim_ready_nospace(u[i].fd, e, (unsigned short)u[i].events, rev);
				if (!(rev & POLLNVAL))
					rev &= (unsigned short)u[i].events | POLLERR | POLLHUP;
				p[i].revents = (short)rev;
			}
			count += p[i].revents != 0;
			if (p[i].revents & (u[i].events | POLLNVAL))
				asked++;
			else if (sel && raw && p[i].fd >= 0)
				p[i].fd = -1 - p[i].fd; /* the kernel's answer counts for no set */
		}
		left = ts ? shim_ts_left(&end) : zero;
		/* (A datagram to a pair watched by its edges: looked at again below.) */
		if (sel && !asked && (!ts || left.tv_sec || left.tv_nsec) && (ready || ret > 0) &&
		    !(np > ne && p[ne].revents)) {
			/*
			 * None of it counts for select, and it stays: wait on,
			 * the fds whose kernel answer it was watched by their
			 * edges (parked above), as do_select sleeps on a mask
			 * that has none of it until a wake-up.
			 */
			for (nfds_t i = 0; i < ne; i++) {
				if (i < n && p[i].fd < 0 && u[i].fd >= 0) {
					shim_select_park(u[i].fd, &xp,
							 EPOLLIN | EPOLLOUT | EPOLLPRI |
								 EPOLLRDHUP);
				} else if (i >= n && p[i].revents && p[i].fd >= 0) {
					shim_select_park(p[i].fd, &xp, EPOLLIN);
					p[i].fd = -1 - p[i].fd;
				}
			}
			ready = false;
			continue;
		}
		if (count || !ret || ready || (ts && !left.tv_sec && !left.tv_nsec)) {
			ret = count;
			break;
		}
		/* A datagram came to a pair watched by its edges: look again, with IN. */
		if (np > ne) {
			ready = shim_poll_ask(p, u, n);
			np = ne;
			continue;
		}
		/* Only what we asked for ourselves was there: wait on, without it. */
		np = shim_poll_edges(p, u, n, ne, &ep);
		if (!np) {
			/* An error came meanwhile: it is in the word, and the pair has it. */
			shim_poll_ask(p, u, n);
			ready = true;
			np = ne;
		}
	}
	if (ep >= 0)
		shim_real.close(ep);
	if (xp >= 0)
		shim_real.close(xp);
	return ret;
}

/*
 * The slow path's arrays: the caller's n pollfd, then the n asked of the
 * kernel, up to n error-queue eventfds and two epoll sets (shim_poll_pairs);
 * on the stack if small, else mapped.
 */
struct shim_pollbuf {
	struct pollfd stack[3 * SHIM_POLL_STACK + 2];
	struct pollfd *p;
	size_t len;
};

static struct pollfd *shim_pollbuf_get(struct shim_pollbuf *b, size_t n)
{
	b->len = 0;
	if (n <= SHIM_POLL_STACK)
		return b->p = b->stack;
	b->len = (3 * n + 2) * sizeof(struct pollfd);
	b->p = mmap(NULL, b->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->p == MAP_FAILED) {
		b->len = 0;
		return b->p = NULL;
	}
	return b->p;
}

static void shim_pollbuf_put(struct shim_pollbuf *b)
{
	if (b->len)
		munmap(b->p, b->len);
}

/*
 * Whether the process has ever had an emulated fd: if not, readiness is the
 * kernel's and nothing of the caller's is even read.
 */
static bool shim_poll_idle(void)
{
	return likely(!shim_slow) && !shim_fd_hi_get();
}

/*
 * The kernel's sleeping call for a set that needs no correction; where the
 * program spins (shim_spin.c) and the set holds an emulated socket, after
 * looking without sleeping for the spin's time.
 */
static int shim_ppoll_sleep(struct pollfd *ufds, nfds_t n, const struct timespec *ts,
			    const sigset_t *mask)
{
	struct timespec zero = {0, 0}, end, left;
	struct spin spin;
	bool ours = false;
	int ret = 0;

	for (nfds_t i = 0; shim_cfg.spin_us && i < n && !ours; i++)
		ours = shim_emulated(shim_fd_get(ufds[i].fd));
	if (ours && shim_spin_begin(&spin, ts)) {
		sigset_t old;

		if (ts) {
			clock_gettime(CLOCK_MONOTONIC, &end);
			shim_ts_add(&end, ts);
		}
		/*
		 * Signals blocked but in the looks and the sleep: one that comes
		 * in the spin, or between the last look and the sleep, is their
		 * EINTR (unblocked only afterwards, it would run its handler and
		 * the sleep would not see it).
		 */
		shim_spin_sigblock(&old);
		while (!(ret = shim_real.ppoll(ufds, n, &zero, mask ? mask : &old)) &&
		       shim_spin_on(&spin))
			;
		shim_spin_end(&spin, ret != 0);
		if (!ret) {
			if (ts) {
				left = shim_ts_left(&end);
				ts = &left;
			}
			ret = shim_real.ppoll(ufds, n, ts, mask ? mask : &old);
		}
		if (ret < 0)
			ret = -errno;
		shim_spin_sigrestore(&old);
		return ret;
	}
	ret = shim_real.ppoll(ufds, n, ts, mask);
	return ret < 0 ? -errno : ret;
}

/*
 * The kernel's call with no timeout comes first: it checks the caller's
 * array (EFAULT, EINVAL) before anything of ours reads it, and is the whole
 * answer when no fd needs a correction and one is ready. A set of plain
 * fds that has to sleep makes the kernel's call once more.
 */
static int shim_ppoll(struct pollfd *ufds, nfds_t n, const struct timespec *ts,
		      const sigset_t *mask)
{
	struct timespec zero = {0, 0};
	struct shim_pollbuf b;
	struct pollfd *u, *p;
	bool any = false;
	int ret;

	ret = shim_real.ppoll(ufds, n, &zero, mask);
	if (ret < 0)
		return -errno;
	for (nfds_t i = 0; i < n && !any; i++)
		any = shim_ready_corrected(shim_fd_get(ufds[i].fd));
	if (!any) {
		if (ret || (ts && !ts->tv_sec && !ts->tv_nsec))
			return ret;
		return shim_ppoll_sleep(ufds, n, ts, mask);
	}
	if (!(u = shim_pollbuf_get(&b, n)))
		return -ENOMEM;
	p = u + (n <= SHIM_POLL_STACK ? SHIM_POLL_STACK : n);
	memcpy(u, ufds, n * sizeof(*u));
	ret = shim_poll_pairs(p, u, n, ts, mask, false);
	for (nfds_t i = 0; ret >= 0 && i < n; i++)
		ufds[i].revents = p[i].revents;
	shim_pollbuf_put(&b);
	return ret;
}

SHIM_EXPORT int poll(struct pollfd *fds, nfds_t n, int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	struct shim_call c;
	int ret;

	if (shim_poll_idle())
		return shim_real.poll(fds, n, ms);
	shim_call_begin(&c, SHIM_SYM_poll);
	ret = (int)shim_ret(shim_ppoll(fds, n, ms < 0 ? NULL : &ts, NULL), c.err0);
	if (unlikely(shim_trace_level))
		shim_trace(&c, ret, "%p, %lu, %d", (void *)fds, (unsigned long)n, ms);
	return ret;
}

SHIM_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int ms, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		return shim_real.__poll_chk(fds, n, ms, fdslen); /* glibc reports the overflow */
	return poll(fds, n, ms);
}

/* ppoll's timeout is checked before anything, as do_sys_ppoll does. */
static int shim_ppoll_call(struct pollfd *fds, nfds_t n, const struct timespec *uts,
			   const sigset_t *mask)
{
	struct timespec ts;

	if (uts) {
		if (shim_copy_from_user(&ts, uts, sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || (unsigned long)ts.tv_nsec >= 1000000000UL)
			return -EINVAL;
	}
	return shim_ppoll(fds, n, uts ? &ts : NULL, mask);
}

SHIM_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
	struct shim_call c;
	int ret;

	if (shim_poll_idle())
		return shim_real.ppoll(fds, n, ts, mask);
	shim_call_begin(&c, SHIM_SYM_ppoll);
	ret = (int)shim_ret(shim_ppoll_call(fds, n, ts, mask), c.err0);
	if (unlikely(shim_trace_level))
		shim_trace(&c, ret, "%p, %lu, %p, %p", (void *)fds, (unsigned long)n, (void *)ts,
			   (void *)mask);
	return ret;
}

SHIM_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
			    const sigset_t *mask, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		return shim_real.__ppoll_chk(fds, n, ts, mask, fdslen);
	return ppoll(fds, n, ts, mask);
}

/* ---- select and pselect: the same, through a pollfd array ---- */

/* do_select's sets (fs/select.c): what each readiness bit counts for. */
#define SHIM_SEL_IN  (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define SHIM_SEL_OUT (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define SHIM_SEL_EX  (POLLPRI)

struct shim_fdsets {
	fd_set r, w, x;
};

/*
 * select over the pairs: returns the count of bits set (as the kernel's),
 * or -errno; out holds the result sets.
 */
static int shim_select_pairs(int nfds, const struct shim_fdsets *in, struct shim_fdsets *out,
			     const struct timespec *ts, const sigset_t *mask)
{
	struct shim_pollbuf b;
	struct pollfd *u, *p;
	nfds_t n = 0;
	int ret, count = 0;

	if (!(u = shim_pollbuf_get(&b, (size_t)nfds)))
		return -ENOMEM;
	p = u + (nfds <= SHIM_POLL_STACK ? SHIM_POLL_STACK : nfds);
	for (int fd = 0; fd < nfds; fd++) {
		short ev = 0;

		if (FD_ISSET(fd, &in->r))
			ev |= SHIM_SEL_IN;
		if (FD_ISSET(fd, &in->w))
			ev |= SHIM_SEL_OUT;
		if (FD_ISSET(fd, &in->x))
			ev |= SHIM_SEL_EX;
		if (ev)
			u[n++] = (struct pollfd){fd, ev, 0};
	}
	ret = shim_poll_pairs(p, u, n, ts, mask, true);
	memset(out, 0, sizeof(*out));
	for (nfds_t i = 0; ret >= 0 && i < n; i++) {
		short rev = p[i].revents;

		/* A closed fd: select's EBADF (poll's POLLNVAL). */
		if (rev & POLLNVAL) {
			ret = -EBADF;
			break;
		}
		if ((rev & SHIM_SEL_IN) && FD_ISSET(u[i].fd, &in->r)) {
			FD_SET(u[i].fd, &out->r);
			count++;
		}
		if ((rev & SHIM_SEL_OUT) && FD_ISSET(u[i].fd, &in->w)) {
			FD_SET(u[i].fd, &out->w);
			count++;
		}
		if ((rev & SHIM_SEL_EX) && FD_ISSET(u[i].fd, &in->x)) {
			FD_SET(u[i].fd, &out->x);
			count++;
		}
	}
	shim_pollbuf_put(&b);
	return ret < 0 ? ret : count;
}

/*
 * Copies in the caller's sets (EFAULT as the kernel's); true if one of them
 * names an emulated socket. in is cleared first (NULL sets stay empty).
 */
static int shim_sets_in(int nfds, fd_set *r, fd_set *w, fd_set *x, struct shim_fdsets *in,
			bool *any)
{
	size_t len = ((size_t)nfds + 7) / 8;
	fd_set *const src[3] = {r, w, x};
	fd_set *const dst[3] = {&in->r, &in->w, &in->x};

	memset(in, 0, sizeof(*in));
	*any = false;
	for (int k = 0; k < 3; k++) {
		if (src[k] && shim_copy_from_user(dst[k], src[k], len))
			return -EFAULT;
	}
	for (int fd = 0; fd < nfds && !*any; fd++) {
		if (FD_ISSET(fd, &in->r) || FD_ISSET(fd, &in->w) || FD_ISSET(fd, &in->x))
			*any = shim_ready_corrected(shim_fd_get(fd));
	}
	return 0;
}

static int shim_sets_out(int nfds, fd_set *r, fd_set *w, fd_set *x, const struct shim_fdsets *out)
{
	size_t len = ((size_t)nfds + 7) / 8;
	fd_set *const dst[3] = {r, w, x};
	const fd_set *const src[3] = {&out->r, &out->w, &out->x};

	for (int k = 0; k < 3; k++) {
		if (dst[k] && shim_copy_to_user(dst[k], src[k], len))
			return -EFAULT;
	}
	return 0;
}

/* *ts the timeout on entry (NULL: none); on return the time left, as the kernel's select. */
static int shim_select(int nfds, fd_set *r, fd_set *w, fd_set *x, struct timespec *ts,
		       const sigset_t *mask, bool *passed)
{
	struct shim_fdsets in, out;
	struct timespec end;
	bool any;
	int ret;

	*passed = false;
	/* Beyond FD_SETSIZE (or negative): the kernel's own answer and checks. */
	if (nfds < 0 || nfds > FD_SETSIZE) {
		*passed = true;
		return 0;
	}
	ret = shim_sets_in(nfds, r, w, x, &in, &any);
	if (ret || !any) {
		*passed = !ret;
		return ret;
	}
	if (ts) {
		clock_gettime(CLOCK_MONOTONIC, &end);
		shim_ts_add(&end, ts);
	}
	ret = shim_select_pairs(nfds, &in, &out, ts, mask);
	if (ts)
		*ts = shim_ts_left(&end);
	if (ret >= 0 && shim_sets_out(nfds, r, w, x, &out))
		ret = -EFAULT;
	return ret;
}

SHIM_EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *x, struct timeval *tv)
{
	struct timespec ts;
	struct timeval t;
	struct shim_call c;
	bool passed;
	int ret;

	if (shim_poll_idle())
		return shim_real.select(nfds, r, w, x, tv);
	shim_call_begin(&c, SHIM_SYM_select);
	if (tv && shim_copy_from_user(&t, tv, sizeof(t))) {
		ret = (int)shim_ret(-EFAULT, c.err0);
	} else if (tv && (t.tv_sec < 0 || t.tv_usec < 0)) {
		ret = (int)shim_ret(-EINVAL, c.err0);
	} else {
		/* poll_select_set_timeout: microseconds beyond a second carry over. */
		if (tv)
			ts = (struct timespec){t.tv_sec + t.tv_usec / 1000000,
					       (t.tv_usec % 1000000) * 1000L};
		ret = shim_select(nfds, r, w, x, tv ? &ts : NULL, NULL, &passed);
		if (passed) {
			ret = shim_real.select(nfds, r, w, x, tv);
		} else {
			if (tv) {
				t = (struct timeval){ts.tv_sec, ts.tv_nsec / 1000};
				if (shim_copy_to_user(tv, &t, sizeof(t)) && ret >= 0)
					ret = -EFAULT;
			}
			ret = (int)shim_ret(ret, c.err0);
		}
	}
	if (unlikely(shim_trace_level))
		shim_trace(&c, ret, "%d, %p, %p, %p, %p", nfds, (void *)r, (void *)w, (void *)x,
			   (void *)tv);
	return ret;
}

SHIM_EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *x, const struct timespec *uts,
			const sigset_t *mask)
{
	struct timespec ts;
	struct shim_call c;
	bool passed = false;
	int ret;

	if (shim_poll_idle())
		return shim_real.pselect(nfds, r, w, x, uts, mask);
	shim_call_begin(&c, SHIM_SYM_pselect);
	if (uts && shim_copy_from_user(&ts, uts, sizeof(ts)))
		ret = -EFAULT;
	else if (uts && (ts.tv_sec < 0 || (unsigned long)ts.tv_nsec >= 1000000000UL))
		ret = -EINVAL;
	else
		/* glibc's pselect keeps the caller's timeout as it was. */
		ret = shim_select(nfds, r, w, x, uts ? &ts : NULL, mask, &passed);
	if (passed)
		ret = shim_real.pselect(nfds, r, w, x, uts, mask);
	else
		ret = (int)shim_ret(ret, c.err0);
	if (unlikely(shim_trace_level))
		shim_trace(&c, ret, "%d, %p, %p, %p, %p, %p", nfds, (void *)r, (void *)w, (void *)x,
			   (void *)uts, (void *)mask);
	return ret;
}
