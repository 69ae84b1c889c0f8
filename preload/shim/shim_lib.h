/* SPDX-License-Identifier: MIT */
/*
 * What the interposer's files share: the fd table, the control client, the
 * call record the trace prints, and the user-memory helpers. Not part of any
 * contract with the stack host (that is shim_ctl.h).
 *
 * Every shim_*.c includes this first: it turns fortify off because the
 * interposer defines read(), recv() ... itself and must not see glibc's
 * inline fortify wrappers of them.
 */
#ifndef SOCKSHIM_SHIM_LIB_H
#define SOCKSHIM_SHIM_LIB_H

#undef _FORTIFY_SOURCE
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "config.h"
#include "shim_ctl.h"
#include "shim_syms.h"
#include "spin.h"

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define SHIM_EXPORT __attribute__((visibility("default")))

/*
 * The errno of an AF_INET socket() when there is no stack to put it on:
 * the configuration is missing or invalid, or the stack host cannot be
 * started. ENONET ("Machine is not on the network") says exactly that;
 * socket(2) never returns it for other reasons, so it cannot be mistaken
 * for a kernel answer.
 */
#define SHIM_ENOSTACK ENONET
/*
 * A datagram socket whose host died (kill -9) is gone with it. A receive
 * fails as the kernel's does on a socket destroyed under it (SOCK_DESTROY,
 * `ss -K`: ECONNABORTED); a send as the kernel's sendto when the route went
 * away with its interface (ENETUNREACH).
 */
#define SHIM_EGONE_RECV ECONNABORTED
#define SHIM_EGONE_SEND ENETUNREACH

/* ---- the fd table (shim_main.c) ---- */

enum shim_kind {
	SHIM_NONE = 0,
	SHIM_STREAM,   /* SOCK_STREAM pair: the byte stream as is */
	SHIM_DGRAM,    /* SOCK_DGRAM pair: struct shim_dgram framing */
	SHIM_LISTENER, /* AF_UNIX listener from SHIM_OP_LISTEN */
	SHIM_CTL,      /* our own control connection: only closing it is noticed */
	SHIM_NETLINK,  /* the kernel's NETLINK_ROUTE socket: address dumps (shim_netlink.c) */
	SHIM_EPOLL,    /* an epoll set holding an emulated socket; the id names it (shim_epoll.c) */
};

/* Per-fd state the interposer keeps because the kernel's answer depends on it. */
#define SHIM_F_UNCONNECTED 0x01	 /* stream never connected: read ENOTCONN, write EPIPE */
#define SHIM_F_PEER	   0x02	 /* datagram socket has a default destination */
#define SHIM_F_FAILED	   0x04	 /* the host reported an error: say SHIM_OP_CLOSE at close */
#define SHIM_F_UDP	   0x08	 /* UDP/UDP-Lite: port 0 and AF_UNSPEC rules of udp_sendmsg */
#define SHIM_F_RAW	   0x10	 /* SOCK_RAW: the IP header counts toward the size limit */
#define SHIM_F_BOUND	   0x20	 /* datagram socket has a local port (no autobind needed) */
#define SHIM_F_RD_SHUT	   0x40	 /* unconnected stream shut for reading: read 0, as tcp_recvmsg */
#define SHIM_F_PING	   0x80	 /* ICMP ping socket: echo requests only (ping_common_sendmsg) */
#define SHIM_F_RECEIVED	   0x100 /* datagram socket read one that left a stamp (shim_gettstamp) */
/*
 * Stream whose pair may grow (shim_ctl.h shim_pair_wmem: an autotuned
 * SO_SNDBUF's part, below its largest): a write asks the host again now
 * and then (shim_pair_grow). The fast data path serves it.
 */
#define SHIM_F_PAIR_GROW 0x200
/*
 * Stream whose pair the host hung up on, asked once for its pending error
 * (kept in the entry's error byte until collected): readiness only, so the
 * fast data path still serves the fd (shim_plain_stream).
 */
#define SHIM_F_HUPSEEN 0x400
/*
 * Stream whose connect put filler in the pair, not written to since: the
 * host reading the filler away wakes the pair more than once, where TCP's
 * establishment wakes once (shim_epoll.c); the pair's send buffer is at
 * its least until the first write after the filler is gone
 * (shim_filler_gone). Readiness only, like HUPSEEN.
 */
#define SHIM_F_FILLED	      0x800
#define SHIM_F_READINESS_ONLY (SHIM_F_HUPSEEN | SHIM_F_FILLED | SHIM_F_NOSPACE)
#define SHIM_F_CMSG	      0x1000 /* datagram socket asked for control messages (shim_dgram.ctl_len) */
/*
 * Datagram socket whose error queue held an entry when the application
 * took the report of it from the pair (shim_dgram.flags MSG_ERRQUEUE):
 * sock_poll says ERR until recvmsg(MSG_ERRQUEUE) takes it.
 */
#define SHIM_F_ERRQ	0x2000
#define SHIM_F_ZEROCOPY 0x4000 /* UDP socket with SO_ZEROCOPY: MSG_ZEROCOPY sends complete */
/* Datagram socket with SOF_TIMESTAMPING_TX_SOFTWARE or _TX_SCHED: each send queues a stamp. */
#define SHIM_F_TXSTAMP 0x8000
/*
 * Stream whose write found the pair full (or whose poll found it not
 * writable): tcp_sendmsg and tcp_poll set SOCK_NOSPACE there, and only then
 * does TCP wake a writer when room comes back (sk_stream_write_space). The
 * host taking bytes out of the pair wakes its writers every time
 * (unix_write_space): edge-triggered epoll keeps an OUT edge only after
 * this (shim_epoll.c). Readiness only, like HUPSEEN.
 */
#define SHIM_F_NOSPACE 0x10000
/*
 * Datagram socket that sent since edge-triggered epoll last reported it
 * writable: the host taking that datagram out of the pair is a wake-up of
 * the writer (sock_def_write_space), told from an arriving datagram's by
 * SIOCOUTQ (shim_epoll.c).
 */
#define SHIM_F_DG_SENT 0x20000
/*
 * Stream whose non-blocking connect the host answered EINPROGRESS or
 * EALREADY (sock->state SS_CONNECTING there), no connect() since: once the
 * pair shows the connection up, the next connect() is answered 0 here
 * (shim_connect_done).
 */
#define SHIM_F_CONNECTING 0x40000
/*
 * Datagram socket that sent a stamped or MSG_ZEROCOPY datagram: entries may
 * come to its error queue with no error to report, and the host then wakes
 * the pair with a void report (shim_ctl.h SHIM_NOTICE_VOID), which
 * readiness asks the pair for (POLLIN) and drops. Set too at IP_RECVERR,
 * whose unconnected socket gets error reports (never cleared: a report may
 * still be in the pair).
 */
#define SHIM_F_NOTICED 0x80000
/*
 * Stream that came by exec or SCM_RIGHTS with a pair end named 'a': whether
 * it is TCP_CLOSE and unconnected is the host's to say, asked at its first
 * call whose answer depends on it (shim_stream_known). Shares
 * SHIM_F_NOTICED's bit, which only datagram sockets carry.
 */
#define SHIM_F_INHERITED SHIM_F_NOTICED
/* Stream with TCP_INQ on: recvmsg adds TCP_CM_INQ (shim_stream_put_inq); accept passes it on. */
#define SHIM_F_INQ 0x100000
/*
 * Stream in repair mode (TCP_REPAIR on): sends and peeks are the host's
 * (shim_repair.c). Every bit is taken, so it shares SHIM_F_PING's, which
 * only ping sockets (SHIM_DGRAM) carry.
 */
#define SHIM_F_REPAIR SHIM_F_PING
/*
 * Stream whose file a read last found O_NONBLOCK (shim_wait.c): where the
 * program spins, its reads make the kernel's own call at once, not a read
 * with MSG_DONTWAIT and fcntl(F_GETFL) after it. A hint: F_SETFL or
 * FIONBIO here drops it from every fd of the socket, and a file made
 * blocking by another process through a shared description is still read
 * right, by the kernel's blocking read, only without the spin. Shares
 * SHIM_F_RECEIVED's bit, which only datagram sockets carry.
 */
#define SHIM_F_NONBLOCK SHIM_F_RECEIVED
/*
 * TCP socket this process made (CREATE or SHIM_OP_ADOPT) and has asked the host
 * nothing about since, nor shared (dup, fork): still TCP_CLOSE, unbound,
 * with no option set, so that its first connect's synchronous errors are
 * known here (shim_connect_noreply). SHIM_F_CMSG's bit: only datagram
 * sockets carry that one.
 */
#define SHIM_F_FRESH SHIM_F_CMSG
/* SHIM_NETLINK only; the entry's id is then the request's sequence number. */
#define SHIM_F_NL_GETADDR  0x01 /* the last request was an IPv4 address dump */
#define SHIM_F_NL_SEEN	   0x02 /* ... whose parts so far listed the stack's address */
#define SHIM_F_NL_GETROUTE 0x04 /* the last request asked for one IPv4 route */

/*
 * One 64-bit word per fd: id << 32 | err << 24 | flags << 3 | kind (3 bits:
 * the seven kinds fit, and SHIM_F_* get 21), read without a lock and changed only by whole-word
 * stores or compare-and-swap. err is a stream's pending socket error taken from the host when the
 * pair hung up (sk_err: readiness reports POLLERR until it is collected).
 */
extern _Atomic uint64_t *shim_fds;
extern unsigned int shim_fd_max;
/* Highest fd ever registered + 1 (0: the process never had a socket of ours). */
extern _Atomic unsigned int shim_fd_hi;

static inline unsigned int shim_fd_hi_get(void)
{
	return atomic_load_explicit(&shim_fd_hi, memory_order_relaxed);
}

static inline uint64_t shim_fd_get(int fd)
{
	if ((unsigned int)fd >= shim_fd_max)
		return 0;
	return atomic_load_explicit(&shim_fds[fd], memory_order_relaxed);
}

#define SHIM_ENT_FLAGS_SHIFT 3
#define SHIM_ENT_FLAGS_MASK  0x1fffffu
#define SHIM_ENT_KIND_MASK   0x7u
_Static_assert(SHIM_EPOLL <= SHIM_ENT_KIND_MASK, "enum shim_kind outgrew its bits");

static inline enum shim_kind shim_ent_kind(uint64_t e)
{
	return (enum shim_kind)(e & SHIM_ENT_KIND_MASK);
}

static inline unsigned int shim_ent_flags(uint64_t e)
{
	return (e >> SHIM_ENT_FLAGS_SHIFT) & SHIM_ENT_FLAGS_MASK;
}

static inline uint32_t shim_ent_id(uint64_t e)
{
	return (uint32_t)(e >> 32);
}

static inline int shim_ent_err(uint64_t e)
{
	return (int)((e >> 24) & 0xff);
}

static inline uint64_t shim_ent(uint32_t id, enum shim_kind kind, unsigned int flags)
{
	return (uint64_t)id << 32 |
	       (uint64_t)(flags & SHIM_ENT_FLAGS_MASK) << SHIM_ENT_FLAGS_SHIFT | kind;
}

/*
 * Emulated sockets only: SHIM_CTL is ours and not the application's, a
 * SHIM_NETLINK fd is the kernel's.
 */
static inline bool shim_emulated(uint64_t e)
{
	enum shim_kind k = shim_ent_kind(e);

	return k != SHIM_NONE && k != SHIM_CTL && k != SHIM_NETLINK && k != SHIM_EPOLL;
}

void shim_fd_set(int fd, uint64_t ent);

/*
 * A datagram socket's words beside its fd's entry: its cookies (shim_ctl.h),
 * read from the fd itself whenever the fd comes to this process (socket(),
 * exec, SCM_RIGHTS) and copied by dup and fork, so that framing a datagram
 * costs one load and no request; and its bare peer once read
 * (shim_dgram_bare_peer: addr << 32 | port << 16 | 1, 0 before).
 */
struct shim_fd_dgram {
	_Atomic uint64_t tx, rx, peer;
};
extern struct shim_fd_dgram *shim_fd_dg;

/* The cookies of the datagram socket that fd now names (its bare peer unknown yet). */
void shim_fd_dgram_set(int fd, uint64_t tx, uint64_t rx);
/* newfd names what oldfd names: its words too. */
void shim_fd_dgram_copy(int oldfd, int newfd);
/*
 * Reads a datagram pair end's cookies from the fd (getsockname's name, the
 * tx cookie's option) into its words: 0, or -1 if fd has none.
 */
int shim_fd_dgram_learn(int fd, const struct sockaddr_un *name, socklen_t len);

static inline uint64_t shim_fd_tx_cookie(int fd)
{
	if ((unsigned int)fd >= shim_fd_max)
		return 0;
	return atomic_load_explicit(&shim_fd_dg[fd].tx, memory_order_relaxed);
}

static inline uint64_t shim_fd_rx_cookie(int fd)
{
	if ((unsigned int)fd >= shim_fd_max)
		return 0;
	return atomic_load_explicit(&shim_fd_dg[fd].rx, memory_order_relaxed);
}
/* Atomic updates of an emulated fd's flags and error byte. */
void shim_fd_flags(int fd, unsigned int set, unsigned int clear);
/* Clears flag if set: true for the one caller that cleared it. */
bool shim_fd_flag_take(int fd, unsigned int flag);
/*
 * At fork: another process may now connect() the same sockets
 * (SHIM_F_CONNECTING, SHIM_F_FRESH).
 */
void shim_fd_forget_shared(void);
/*
 * F_SETFL or FIONBIO on fd (e its entry): O_NONBLOCK set (on), or
 * SHIM_F_NONBLOCK dropped from each fd of e's socket.
 */
void shim_fd_nonblock(int fd, uint64_t e, bool on);
/* Keeps err (non-zero) as the stream's pending error, with SHIM_F_HUPSEEN; 0 if one was kept. */
int shim_fd_err_keep(int fd, int err);
/*
 * tcp_recvmsg's SOCK_DONE for a stream whose pair polls revents: the peer's
 * FIN came, not a reset, a refusal or the program's own SHUT_RD (asks the
 * host when the pair cannot tell; an error it takes stays pending here).
 */
bool shim_stream_fin_came(int fd, uint64_t e, unsigned int revents);
/* Takes the pending error kept in the entry (0 if none), as sock_error() does. */
int shim_fd_err_take(int fd);

/*
 * Non-zero while the library is not initialised yet or the trace is on:
 * the only test a pass-through call makes besides the fd table lookup.
 */
extern int shim_slow;
/*
 * The process installed a seccomp filter (or strict mode): the data path
 * makes no system call the program did not make (an sshd's sandboxed child
 * allows write, not sendto), so a stream's write stays write().
 */
extern int shim_sandboxed;
/* This thread is inside the stack's one-time set-up (shim_main.c). */
extern __thread bool shim_stack_initing __attribute__((tls_model("initial-exec")));

/* Fills the array a with the words after the argument last (prctl's: glibc passes four). */
#define SHIM_VA_WORDS(a, last)                                                                     \
	do {                                                                                       \
		va_list ap_;                                                                       \
		va_start(ap_, last);                                                               \
		for (size_t i_ = 0; i_ < sizeof(a) / sizeof((a)[0]); i_++)                         \
			(a)[i_] = va_arg(ap_, unsigned long);                                      \
		va_end(ap_);                                                                       \
	} while (0)
/* The fd table, inherited sockets, the trace: allocation- and lock-free (shim_main.c). */
void shim_init(void);
/* What a stack needs (network settings, library dir): first AF_INET socket or request. */
void shim_stack_init(void);
/* pthread_once that a signal handler in the same thread cannot re-enter. */
void shim_once(pthread_once_t *once, _Atomic int *done, void (*routine)(void));

/* ---- per-socket state beyond the fd's word (shim_sktab.c) ---- */

/*
 * How deep in a datagram socket's pair an empty datagram's peeked mark is
 * kept: the pair holds what its host end's send buffer lets it
 * (net.core.wmem_default: about 280 datagrams with the default 208 KiB).
 */
#define SHIM_PEEKED_MAX 4096u

/*
 * What the interposers keep for a datagram socket that the kernel keeps in
 * struct sock, in the socket's own page (SHIM_SO_SKSTATE), shared by every
 * process that holds the socket (README "How it works").
 */
struct shim_sk {
	_Atomic uint32_t ready; /* 0: as made, 1: being set up, 2: set up */
	/*
	 * The socket lock of its reads (shim_sk_lock): robust and shared, so
	 * that a holder killed inside it (a few system calls) hands it on.
	 */
	pthread_mutex_t lock;
	/* SO_PEEK_OFF of a UDP socket as set (peek_set), moved by its reads as sk_peek_off */
	bool peek_set;
	int32_t peek_off;
	/*
	 * skb->peeked of the empty datagrams peeked: a ring whose bit at
	 * peeked_head is the pair's first datagram (shim_peekoff.c)
	 */
	uint64_t peeked_empty[SHIM_PEEKED_MAX / 64];
	uint32_t peeked_head;
	/* sk_stamp once a datagram carried one (SHIM_SCM_STAMP); 0: none, a read sets "now" */
	int64_t stamp;
	bool stamp_on; /* SIOCGSTAMP asked the host: SOCK_TIMESTAMP is on there */
	bool received; /* a read since the page was made left sk_stamp set (SHIM_F_RECEIVED) */
	bool hdrincl;  /* IP_HDRINCL (IPPROTO_RAW, or set) */
	/* IP_OPTIONS as set (an empty list too): their length and a source route's first hop */
	struct {
		bool set;
		uint8_t len;
		bool srr;
		uint32_t faddr;
	} opt;
	/*
	 * sk_shutdown (RCV_SHUTDOWN 1, SEND_SHUTDOWN 2) as shutdown() left it:
	 * the pair carries SEND_SHUTDOWN itself, RCV_SHUTDOWN lives here alone
	 * (the host's writes into the pair must go on: udp_rcv still queues).
	 */
	_Atomic uint8_t shutdown;
	/* bound to a 127/8 address: sends that leave the host fail (__mkroute_output) */
	bool lo_source;
	/* SO_BINDTOIFINDEX named a device the namespace has not: routed sends are ENODEV */
	bool bound_dev_gone;
};

/* Whether the kernel would restart a call a signal interrupted (every handler has SA_RESTART). */
bool shim_handlers_restart(void);
/*
 * The socket's page: mapped here already, or made by another process (the
 * notice word says so) and mapped now; NULL if it has none.
 */
struct shim_sk *shim_sk_get(int fd, uint64_t e);
/* The socket's page, made if it has none (NULL if that fails). */
struct shim_sk *shim_sk_make(int fd, uint64_t e);
/*
 * The socket lock of a page: held by one thread of all the holders'
 * processes at a time. fd is the socket's: a holder that died inside
 * may have left its pair's SO_PEEK_OFF moved, which the next one puts back.
 */
void shim_sk_lock(struct shim_sk *sk, int fd);
void shim_sk_unlock(struct shim_sk *sk);
void shim_sk_atfork_child(void);
/* socket() made it (the page IPPROTO_RAW needs). */
void shim_sk_created(int fd, uint64_t e, int type, int protocol);
/* A datagram socket's sk_shutdown (RCV_SHUTDOWN 1, SEND_SHUTDOWN 2), 0 without a page. */
unsigned int shim_dgram_shut(int fd, uint64_t e);
/* The same from a page this process has mapped already: no request (readiness's static check). */
unsigned int shim_dgram_shut_peek(uint64_t e);
/*
 * shutdown(how) of a datagram socket, recorded in its page before the host
 * is asked (its wake-up of the readers must find it); false if no page.
 */
bool shim_dgram_shut_set(int fd, uint64_t e, int how);
/* The host took a setsockopt of the options the page keeps (SO_PEEK_OFF, IP_OPTIONS, ...). */
void shim_sk_setsockopt(int fd, uint64_t e, int level, int optname, const void *val,
			unsigned int len);
/* getsockopt answered from the page (0, -errno), or 1: the host's to answer. */
int shim_sk_getsockopt(int fd, uint64_t e, int level, int optname, void *optval, socklen_t *optlen,
		       int len);
/*
 * Datagram receives (shim_io.c, shim_peekoff.c): the pair's head datagram
 * read or peeked; the same for a UDP socket given SO_PEEK_OFF, which moves
 * the offset and peeks at it; what a read leaves for SIOCGSTAMP (carried:
 * the host's SHIM_SCM_STAMP came with it, its value stamp).
 */
ssize_t shim_dgram_recv_head(int fd, uint64_t e, struct msghdr *m, int flags);
ssize_t shim_dgram_recv_off(int fd, uint64_t e, struct shim_sk *sk, struct msghdr *m, int flags);
void shim_dgram_read_stamp(int fd, uint64_t e, bool carried, int64_t stamp);
/* Whether ip_route_output routes daddr, a unicast address not the stack's own, to the link. */
bool shim_route_unicast_off_host(uint32_t daddr);
/* bind() of a datagram socket succeeded with this address (shim_io.c). */
void shim_dgram_bound(int fd, uint64_t e, uint32_t saddr);

/* ---- the stack's address in NETLINK_ROUTE dumps (shim_netlink.c) ---- */

void shim_nl_socket(int fd, int protocol);
void shim_nl_sent(int fd, const void *buf, size_t len);
void shim_nl_sentmsg(int fd, const struct msghdr *umsg);
ssize_t shim_nl_recvmsg(int fd, uint64_t e, struct msghdr *m, int flags);
ssize_t shim_nl_recvmsg_user(int fd, uint64_t e, struct msghdr *umsg, int flags);
ssize_t shim_nl_recvfrom(int fd, uint64_t e, void *buf, size_t n, int flags, struct sockaddr *addr,
			 socklen_t *addrlen);

static inline bool shim_nl_dump(uint64_t e)
{
	return shim_ent_kind(e) == SHIM_NETLINK &&
	       (shim_ent_flags(e) & (SHIM_F_NL_GETADDR | SHIM_F_NL_GETROUTE));
}

/* ---- readiness (shim_poll.c, shim_epoll.c) ---- */

/*
 * The kernel's readiness for emulated fd (entry e) whose pair end reported
 * rev: tcp_poll's or udp_poll's bits (all of them, before the caller's
 * events filter them).
 */
unsigned int shim_ready_fix(int fd, uint64_t e, unsigned int rev);
/*
 * Whether entry e is ready by correction alone, whatever its pair says: a
 * stream in TCP_CLOSE that never had a pair of its own (OUT|HUP), a
 * datagram socket with an entry on its error queue (ERR) or shut for
 * reading (IN|RDHUP).
 */
bool shim_ready_static(uint64_t e);
/* tcp_poll found a stream asked for OUT not writable: SOCK_NOSPACE (SHIM_F_NOSPACE). */
void shim_ready_nospace(int fd, uint64_t e, unsigned int asked, unsigned int rev);
/* The process asked about urgent data: readable streams are checked for the mark. */
void shim_urg_note(void);
/* Whether the pair must be asked for POLLIN too to see what events need (an error report). */
bool shim_ready_ask_in(uint64_t e, unsigned int events);
/* fd's readiness changed in the interposer itself: epoll sets holding it learn it. */
void shim_epoll_fd_changed(int fd);
/* fd became ready by correction alone without a wake-up (shim_ready_static). */
void shim_epoll_fd_static(int fd);
/*
 * fd (an emulated socket) is being closed (del: still open, so the kernel's
 * registrations go too) or was replaced: its epoll registrations go.
 */
void shim_epoll_forget_fd(int fd, bool del);
/* fd (an emulated socket) now holds the host's listener: its epoll sets watch that. */
void shim_epoll_fd_listening(int fd);
/*
 * A new pair end took fd's number (a connect after the last connection's
 * pair closed): this process's registrations go to the kernel again, the
 * old end's went with it; an edge for each.
 */
void shim_epoll_fd_renewed(int fd);
/*
 * A listener's registrations are the kernel's alone (no record): before
 * shutdown() stops it and a pair takes fd's place, they are read from each
 * epoll fd's /proc/self/fdinfo (the lines of fd's file, ino), at most max
 * into regs; then made again on the pair through the records. Returns
 * how many were found.
 */
struct shim_ep_found {
	int epfd;
	struct epoll_event ev;
};
int shim_epoll_regs_of(int fd, ino_t ino, struct shim_ep_found *regs, int max);
void shim_epoll_regs_add(int fd, const struct shim_ep_found *regs, int n);
/* An epoll set's fd is closed. */
void shim_epoll_forget_set(int epfd, uint64_t e);
void shim_epoll_atfork_child(void);
/*
 * errwake (shim_errwake.c): a stream's error-queue eventfd (shim_ctl.h
 * SHIM_SO_ERRQ_WAKE) by fd: the one held (-1 if none), the one held or
 * asked for now (one request, the first time), dropped at the fd's close.
 * shim_epoll_errwake_arm registers it in the epoll sets that hold fd.
 */
int shim_errwake_fd(int fd, uint64_t e);
int shim_errwake_get(int fd, uint64_t e);
void shim_errwake_forget(int fd);
void shim_errwake_atfork_child(void);
void shim_epoll_errwake_arm(int fd);
/*
 * SOCKSHIM_SPIN_US (shim_spin.c): a wait's own spin: shim_spin_begin (for
 * a wait of at most limit, NULL: none; false if this one does not spin),
 * then look without sleeping while shim_spin_on, then shim_spin_end with
 * whether the look found anything. shim_spin_backoff: the back-off they
 * share with a stream read's wait.
 */
bool shim_spin_begin(struct spin *s, const struct timespec *limit);
bool shim_spin_on(struct spin *s);
void shim_spin_end(struct spin *s, bool found);
struct spin_backoff *shim_spin_backoff(void);
/* Around a spin: all the thread's signals blocked (old: its mask), then old again. */
void shim_spin_sigblock(sigset_t *old);
void shim_spin_sigrestore(const sigset_t *old);
/*
 * A blocking stream read found its pair empty where the program spins
 * (shim_wait.c): spin, and wait for it to be readable; then read again
 * with MSG_DONTWAIT (0), or sleep in the kernel's read (1); or the read's
 * answer, -EAGAIN (a non-blocking file, SO_RCVTIMEO over), -EINTR, or
 * -EBADF (another thread closed the fd meanwhile). w starts with the
 * socket's id and end 0 for each call of the program's and goes with it.
 */
struct shim_wait {
	int64_t end; /* CLOCK_MONOTONIC ns when SO_RCVTIMEO ends; -1: never; 0: not yet read */
	uint32_t id; /* the socket's (shim_ent_id): the fd still names it after the wait */
};
int shim_stream_wait(int fd, struct shim_wait *w);
/* A blocking read's EAGAIN came before SO_RCVTIMEO's time from t0: w->end set (shim_wait.c). */
bool shim_stream_early(int fd, int64_t t0, struct shim_wait *w);
/* CLOCK_MONOTONIC in ns (the vDSO's). */
int64_t shim_wait_clock(void);
/* t += d (normalised). */
void shim_ts_add(struct timespec *t, const struct timespec *d);
/* The time from now to end on CLOCK_MONOTONIC, 0 once it is past. */
struct timespec shim_ts_left(const struct timespec *end);

/* ---- the kernel without libc (shim_sys.c) ---- */

/* A raw system call: the kernel's result, -errno on failure. */
long shim_sys(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
/* -errno to -1 and errno, as libc's wrappers; errno untouched on success. */
long shim_sys_ret(long ret);
/*
 * The start of the file at path (up to size - 1 bytes, NUL-terminated in
 * buf) by raw calls: no allocation, no interposed call. Its length, 0 if it
 * cannot be read.
 */
size_t shim_sys_read_file(const char *path, char *buf, size_t size);

extern struct shim_config shim_cfg;
extern int shim_cfg_ok;
extern char shim_cfg_err[256];
extern char shim_lib_dir[4096];

/* ---- the control client (shim_ctl.c) ---- */

/*
 * Sends req (header filled in here) with sockfd, the application's fd for
 * the socket it is about (-1 for none), and waits for the reply (none for
 * SHIM_OP_CLOSE). *fd, if not NULL, receives the descriptor the reply
 * carries (or -1). Returns 0, or -errno when the host cannot be reached
 * (SHIM_ENOSTACK).
 */
int shim_ctl_call(struct shim_req *req, struct shim_rep *rep, int *fd, int sockfd);
/*
 * Marks sockfd's pair with SO_PRIORITY prio only if it takes flag off
 * sockfd's entry, both under the lock every request goes out under: a
 * request another thread sends once it sees the flag gone finds the mark.
 * Whether it took the flag.
 */
bool shim_ctl_mark_taking(int sockfd, unsigned int flag, int prio);
/* The pid of the host that made listener lfd (from its name), -1 if not one. */
pid_t shim_listener_host(int lfd);
/* Whether nfd, accepted on listener lfd, was connected by the stack host. */
int shim_ctl_from_host(int lfd, int nfd);
/*
 * socket() without a round trip (SHIM_OP_ADOPT): makes the pair (pairtype)
 * and hands the host its end with req (type and protocol filled in; the
 * id, nonce and a datagram pair's tx cookie as sent come back in it). The
 * application's end, or -1 when the caller must ask (CREATE): no ids
 * reserved, not the host's user, a signal handler's call, no fd left.
 */
int shim_ctl_adopt(int pairtype, struct shim_req *req);
void shim_ctl_reset_child(void);
void shim_ctl_forget_fd(int fd);
int shim_host_pid(void);

/*
 * The routing the interposer decides with: the stack host's, from the
 * last HELLO (a process's own SOCKSHIM_GATEWAY and prefix may differ from
 * those of the host it shares), or the process's own before it reached
 * one. known says which.
 */
struct shim_route {
	uint32_t netmask, gateway; /* network order; gateway 0 = none */
	int prefix;
	bool known;
};
struct shim_route shim_route(void);
/*
 * The same without the HELLO that shim_route says for a process with only
 * inherited sockets: for paths that wait for the host when it is not known
 * (a first connect's reply) or make a socket (whose request says HELLO).
 */
struct shim_route shim_route_known(void);
/*
 * Whether a datagram of fd's pair, n bytes of which h holds the first (as
 * read or peeked), is framed by the host (the socket's rx cookie): else it
 * is a bare payload from the socket's bare peer (shim_bare_peer_name).
 */
static inline bool shim_dgram_framed(int fd, const struct shim_dgram *h, ssize_t n)
{
	return n >= (ssize_t)sizeof(*h) && h->cookie == shim_fd_rx_cookie(fd);
}
/* That peer, named by the host's end of the pair: 0, or -1 if there is none. */
int shim_dgram_bare_peer(int fd, uint64_t e, struct sockaddr_in *peer);
/*
 * A bare datagram read into [head (hlen bytes) | iov]: n of its bytes
 * read, moved to the front of iov as far as it holds them; its bytes in iov.
 */
size_t shim_dgram_bare_fixup(const void *head, size_t hlen, const struct iovec *iov, size_t cnt,
			     size_t n);

/* ---- a traced call (shim_trace.c) ---- */

struct shim_call {
	enum shim_sym sym;
	int err0; /* the caller's errno: what a successful call leaves */
	struct timespec t0;
	const char *path; /* "kernel" or "stack" */
	char note[224];	  /* creation steps, the host's note */
};

extern int shim_trace_level;

static inline void shim_call_begin(struct shim_call *c, enum shim_sym sym)
{
	c->err0 = errno;
	if (unlikely(shim_slow))
		shim_init();
	c->sym = sym;
	c->path = "kernel";
	c->note[0] = 0;
	if (unlikely(shim_trace_level))
		clock_gettime(CLOCK_MONOTONIC, &c->t0);
}

/* One trace line: "name(args) = ret <secs> path: note". Keeps errno. */
void shim_trace(struct shim_call *c, long ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void shim_trace_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void shim_trace_init(void);
/* Whether the trace file's own fd is in [first, last] (the program must not close it). */
bool shim_trace_owns(unsigned int first, unsigned int last);
/* Moves the trace file's fd off fd before the program's dup2() onto it; -1 if it cannot. */
int shim_trace_fd_evict(int fd);
/* At SOCKSHIM_TRACE=2, the first stack's settings, once. */
void shim_trace_banner(void);
/* An error line for the user (no pid prefix), to the trace destination, trace on or off. */
void shim_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void shim_note(struct shim_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Decoders for the trace's arguments; each returns buf. */
const char *shim_fmt_family(char *buf, size_t len, int family);
const char *shim_fmt_type(char *buf, size_t len, int type);
const char *shim_fmt_proto(char *buf, size_t len, int family, int protocol);
const char *shim_fmt_addr(char *buf, size_t len, const void *addr, long addrlen);
const char *shim_fmt_level(char *buf, size_t len, int level);
const char *shim_fmt_optname(char *buf, size_t len, int level, int optname);
const char *shim_fmt_msgflags(char *buf, size_t len, int flags);
const char *shim_fmt_how(char *buf, size_t len, int how);
const char *shim_fmt_fcntl(char *buf, size_t len, int cmd);

/* ---- user memory (shim_main.c) ---- */

/*
 * copy_from_user / copy_to_user: the kernel's EFAULT instead of a crash
 * for a bad application pointer (process_vm_readv/writev on ourselves).
 * Return 0 or -EFAULT.
 */
int shim_copy_from_user(void *dst, const void *src, size_t len);
int shim_copy_to_user(void *dst, const void *src, size_t len);

/* move_addr_to_user(): klen bytes of kaddr to (uaddr, *ulen), 0 or -errno. */
int shim_addr_out(const void *kaddr, int klen, struct sockaddr *uaddr, socklen_t *ulen);

/* The capability set to send with each request (capget). */
uint64_t shim_cap_eff(void);

/*
 * Errors are returned as -errno inside the interposer; wrappers convert.
 * On success errno goes back to err0, the caller's value on entry: glibc's
 * wrappers never touch it then, while the interposer's own calls may have
 * (e.g. the refused first attempt to reach a stack host not yet started).
 */
static inline long shim_ret(long ret, int err0)
{
	errno = ret < 0 ? (int)-ret : err0;
	return ret < 0 ? -1 : ret;
}

/* ---- the emulated calls (shim_socket.c, shim_io.c) ---- */

int shim_register_inherited(int fd);
/* Registers the emulated sockets among the fds a recvmsg got by SCM_RIGHTS. */
void shim_register_rights(const struct msghdr *msg);

/* inet_autobind before a UDP socket's first send (the host sends later). */
void shim_dgram_autobind(int fd, uint64_t e);

/* For the error mapping on stream fds: the host's pending error, or 0. */
int shim_pending_error(int fd, uint64_t ent);
/* e once SHIM_F_INHERITED is settled (one request the first time), else e itself. */
uint64_t shim_stream_known(int fd, uint64_t e);
/*
 * Its second half: a stream taken for never connected here that another
 * holder connected since (the notice word says so) is asked about; no pair
 * is followed, so no epoll registration moves (safe under shim_epoll.c's lock).
 */
uint64_t shim_stream_connected_since(int fd, uint64_t e);
/* fd takes the socket's newer pair, which another process's connect made (shim_socket.c). */
bool shim_stream_follow(int fd, uint64_t e);
bool shim_stream_followed(int fd, uint64_t e, ssize_t ret);
/* The same for a stream read that found EOF: 0 once the peer's FIN came (the error stays). */
int shim_read_error(int fd, uint64_t ent);
/* ... at a stream read's end of data (0 bytes read), without asking when the pair shows the FIN. */
int shim_eof_error(int fd);
void shim_filler_gone(int fd);
void shim_pair_size(int fd, uint64_t e, bool ask);
void shim_pair_grow(int fd, uint64_t e);
/* A stream write the pair took short, done of m's total bytes: the bytes added (shim_socket.c). */
size_t shim_stream_topup(int fd, uint64_t e, const struct msghdr *m, size_t done, size_t total);
/*
 * The same for a write of another kind (sendfile, splice): more writes up
 * to len more of its bytes, from byte done of the call on, without
 * waiting, and returns the count or -1 with errno.
 */
typedef ssize_t (*shim_topup_write)(int fd, void *arg, size_t done, size_t len);
size_t shim_stream_topup_by(int fd, uint64_t e, shim_topup_write more, void *arg, size_t done,
			    size_t total);

/*
 * shim_cmsg.c: the control messages a datagram brought (ctl_len bytes as the
 * host wrote them) copied into m->msg_control as put_cmsg() does;
 * msg_controllen becomes the bytes written, MSG_CTRUNC is set in msg_flags
 * when they do not all fit. The host's SHIM_SCM_STAMP is not copied:
 * whether there was one, its value in *stamp.
 */
bool shim_put_cmsgs(struct msghdr *m, const void *ctl, size_t ctl_len, int64_t *stamp);
/*
 * A datagram read with room bytes reserved for control messages (ctl, of
 * SHIM_DGRAM_CTL_MAX bytes) but carrying ctl_len: got bytes landed in
 * [ctl | iov]. Moves the control messages to ctl and the payload to the
 * start of iov; returns the payload bytes now in iov.
 */
size_t shim_dgram_ctl_fixup(uint8_t *ctl, size_t room, size_t ctl_len, const struct iovec *iov,
			    size_t cnt, size_t got);
/*
 * What a send's control messages asked for, as the messages the host reads
 * (IP_TTL, IP_TOS, IP_PKTINFO, IP_RETOPTS, ...) in out (SHIM_DGRAM_CTL_MAX bytes); their length.
 */
struct ipcm_cookie;
size_t shim_cmsg_build(void *out, const struct ipcm_cookie *ipc);
/* The SO_TIMESTAMPING flags of a send's control messages as built above, or -1 if none. */
int shim_cmsg_tsflags(const void *ctl, size_t len);
/* The UDP_SEGMENT size in a control block shim_cmsg_build made, or -1. */
int shim_cmsg_gso(const void *ctl, size_t len);
/* The IP_PKTINFO of such a block into *pi, or false if it has none. */
struct in_pktinfo;
bool shim_cmsg_pktinfo(const void *ctl, size_t len, struct in_pktinfo *pi);
/*
 * Whether the namespace has device ifindex as the stack sees it: lo or the
 * stack's interface (true where the interface's index cannot be read).
 */
bool shim_dev_index_valid(int ifindex);
/*
 * The IP options a control block shim_cmsg_build made gives this send (its
 * IP_RETOPTS, compiled: length and a source route's first hop); false and
 * none (zeroed) when it carries no list: the socket's own then.
 */
struct ip_options_data;
bool shim_cmsg_retopts(const void *ctl, size_t len, struct ip_options_data *opt);
/*
 * ip_cmsg_send's ip_options_get for an IP_RETOPTS message (data, len bytes,
 * at most 40): -EINVAL for a bad list, -EPERM for a source route without
 * CAP_NET_RAW, checked for the caller as the kernel checks at sendmsg.
 */
int shim_ip_options_get(struct ip_options_data *opt, const void *data, size_t len);
/* ip_cmsg_send for the caller: its IP_RETOPTS lists judged with the caller's rights. */
struct ipcm_cookie;
int shim_ip_cmsg_send(const struct msghdr *msg, struct ipcm_cookie *ipc);
/* The SOF_TIMESTAMPING_* bits that queue a stamp on the error queue: TX_SOFTWARE, TX_SCHED. */
#define SHIM_TX_STAMPED ((1u << 1) | (1u << 8))
/* recvmsg(MSG_ERRQUEUE) on a datagram socket: one entry from the host. */
ssize_t shim_errqueue_recv(int fd, uint64_t e, struct msghdr *m, int flags);
/* The application took an error report that said the error queue is not empty. */
void shim_errq_note(int fd);
/* A datagram socket's SHIM_F_ERRQ checked against the host's error queue (readiness). */
uint64_t shim_dgram_errq_settle(int fd, uint64_t e);
/*
 * The notice page (shim_ctl.h SHIM_SO_NOTICE), mapped at first use (one
 * request per process): the socket's word (0 when it has none); the same
 * without mapping it (the data path's look: a load); whether error report
 * h in the pair was taken already (its seq is not the pending one); taking
 * the pending error of report seq (its errno, 0 if no longer pending);
 * taking the pending error the word shows (0 if none), as sock_error does.
 */
uint64_t shim_notice_get(int fd, uint64_t e);
uint64_t shim_notice_peek(uint64_t e);
/* The host's SHIM_NOTICE_PORTS (0 without the page). */
uint64_t shim_notice_ports(int fd, uint64_t e);
bool shim_notice_stale(int fd, uint64_t e, const struct shim_dgram *h);
int shim_notice_take(int fd, uint64_t e, uint32_t seq);
int shim_dgram_take_err(int fd, uint64_t e);
/* shim_io.c: a socket of this process was told IP_MTU_DISCOVER: big sends ask first. */
void shim_dgram_pmtu_chosen(void);
/* ... was told UDP_CORK or sent with MSG_MORE: every UDP send asks first (corked size). */
void shim_dgram_cork_used(void);
/* shim_zcrecv.c: getsockopt(TCP_ZEROCOPY_RECEIVE) on a stream or listener, as the kernel's. */
int shim_tcp_zerocopy_receive(int fd, uint64_t e, void *optval, socklen_t *optlen);
/* A TCP MSG_ZEROCOPY send took bytes: its completion is queued on the host (shim_ctl.h). */
/*
 * A TCP send the kernel marks (transmit stamps, MSG_ZEROCOPY): BEGIN tells
 * the host where it will end before the write into the pair (false: no
 * mark to make), DONE after it says what the write took (shim_ctl.h
 * SHIM_SO_STREAM_MARK).
 */
int shim_stream_cmsg_tsflags(const struct msghdr *m, int32_t *tsflags);
bool shim_stream_mark_begin(int fd, uint64_t e, struct shim_stream_mark *m);
void shim_stream_mark_done(int fd, uint64_t e, struct shim_stream_mark *m, size_t taken);

/*
 * sendto/sendmsg(MSG_FASTOPEN) on an unconnected stream: a connect that
 * hands the host the first bytes of m for the SYN (SHIM_OP_FASTOPEN).
 * Returns what connect returns (0 once a blocking one is connected) and in
 * *copied the bytes the SYN took; SHIM_CONNECT_KERNEL when fd became a
 * kernel socket, not connected yet (its own sendmsg does the Fast Open).
 */
int shim_fastopen_connect(int fd, uint64_t e, const struct msghdr *m, int flags, size_t *copied);
/*
 * MSG_FASTOPEN on a stream past connect (connecting, connected, listening):
 * tcp_sendmsg_fastopen's answer from the host; 0: send the data as usual.
 */
int shim_fastopen_again(int fd, uint64_t e, const struct msghdr *m);
/*
 * shim_loopback.c: the host answered req with SHIM_CONNECT_KERNEL; the
 * kernel connects fd (for FASTOPEN the caller's sendmsg does).
 */
int shim_loopback_connect(int fd, uint64_t e, const struct shim_req *req,
			  const struct shim_rep *rep, struct shim_call *c);
/* nfd came from the host named shim_kconn_name(): the kernel socket it carries, or -1. */
int shim_loopback_accepted(int nfd, int flags);

/*
 * shim_socket.c: sends req for the socket of entry e, proving with sockfd
 * that we hold it; the host's note goes to the trace. Returns the reply's ret.
 */
int shim_request(int sockfd, uint64_t e, struct shim_req *req, struct shim_rep *rep, int *fd,
		 struct shim_call *c);
/* shim_repair.c: a stream's send in repair mode, to the queue TCP_REPAIR_QUEUE chose. */
ssize_t shim_repair_send(int fd, uint64_t e, const struct msghdr *m, int flags);
/*
 * ... and its read: a peek (else EPERM) at the send queue, or *pair set
 * when it is the receive queue's, which the caller peeks in the pair.
 */
ssize_t shim_repair_peek(int fd, uint64_t e, struct msghdr *m, int flags, bool *pair);
/* shim_filter.c: socket filters, whose programs are in the caller's memory. */
int shim_attach_filter(int fd, uint64_t e, const void *optval, struct shim_call *c);
int shim_get_filter(int fd, uint64_t e, void *optval, socklen_t *optlen, struct shim_call *c);
int shim_attach_bpf_check(const void *optval);

#endif
