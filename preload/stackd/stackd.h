/* SPDX-License-Identifier: MIT */
/*
 * The stack host's internal interfaces: the per-socket record that joins an
 * emulated socket (struct socket in core) to the host end of its AF_UNIX pair,
 * the control connections, and the loop services (time, host timers, trace)
 * that stackd.c provides to stackd_ctl.c and stackd_sock.c.
 *
 * Nothing here is part of the wire contract; that is preload/common/shim_ctl.h.
 */
#ifndef SOCKSHIM_STACKD_H
#define SOCKSHIM_STACKD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "config.h"
#include "spin.h"
#include "list.h"
#include "net.h"
#include "net_namespace.h"
#include "timer.h"

/* What an epoll event's data.ptr points at: the first member of each owner. */
enum stackd_ep_kind {
	STACKD_EP_LINK,
	STACKD_EP_CTL_LISTEN,
	STACKD_EP_CONN,
	STACKD_EP_PAIR,
	STACKD_EP_KLISTEN, /* a listener's twin on the kernel's loopback (stackd_loopback.c) */
	STACKD_EP_OLD_END, /* the host end of a failed connection's pair (stackd_sock.c) */
};

struct stackd_ep {
	enum stackd_ep_kind kind;
};

/* A socket as the kernel names it: inode (for sock_diag) and SO_COOKIE (never reused). */
struct stackd_skid {
	uint64_t cookie; /* 0: not known */
	uint32_t ino;
};

/*
 * One emulated socket. The record lives from SHIM_OP_CREATE (or the accept of
 * a connection) until the application has closed every copy of its end; the
 * struct socket is released then, and the struct sock may live on inside the
 * stack (FIN_WAIT, TIME_WAIT) with sk_user_data cleared.
 */
/* Earlier pair ends of a stream kept track of (the oldest are forgotten past it). */
#define STACKD_APP_OLD 8

/* Write beginnings a stream remembers until its writer asks for its bound. */
#define STACKD_WRITES_KNOWN 8

/*
 * A stream that connect() gave a new pair (stackd_sock_renew_pair): the
 * ends of its earlier pairs that other processes may still hold (fork,
 * SCM_RIGHTS), and the host's ends of those pairs (fd[i] for id[i], or -1),
 * shut down and kept so that the release of the application's end wakes
 * the host (stackd_pair_retire). Allocated at the first renewal: most
 * sockets never have one, and an idle connection's memory is the host's
 * footprint.
 */
struct stackd_app_old {
	struct stackd_skid id[STACKD_APP_OLD];
	int fd[STACKD_APP_OLD];
	unsigned int n;
};

struct stackd_sock {
	struct stackd_ep ep; /* STACKD_EP_PAIR, for events on fd */
	struct stackd *sd;   /* the host it lives in */
	uint32_t id;
	/*
	 * Random: the unguessable part of its AF_UNIX names (shim_sock_name),
	 * and a datagram pair's rx cookie (shim_ctl.h).
	 */
	uint64_t nonce;
	uint64_t
		tx_cookie; /* a datagram pair's: the header of a framed datagram from the program */
	struct stackd_sock *hash_next;
	struct list_head ready; /* on sd->ready while it has work */
	bool queued;
	bool sparse; /* its last turn left nothing waiting: queued on sd->ready_sparse */
	bool dead;   /* released; freed after the current epoll round (stackd_sock_bury) */

	struct socket *sock;
	int fd;	     /* host end of the pair, -1 once closed */
	bool stream; /* SOCK_STREAM pair (TCP) vs SOCK_DGRAM pair framed with shim_dgram */

	/* Pair readiness as last reported by epoll (edge-triggered): cleared on EAGAIN. */
	bool pair_readable;
	bool pair_writable;
	/*
	 * Stream: EPOLLOUT is out of the pair's epoll events, so the program's
	 * reads do not wake the host (stackd_pair_watch_out).
	 */
	bool pair_out_off;
	/*
	 * Stream: the program's writer was found waiting on its end of the pair
	 * and has not stopped writing since (stackd_pair_full).
	 */
	bool pair_writer_waited;
	/*
	 * Stream: the program's writer was found not waiting (stackd_pair_full)
	 * at this sk_sndbuf and TCP_NOTSENT_LOWAT, and has written nothing
	 * since (no EPOLLIN on the pair): the answer stands.
	 */
	bool pair_writer_idle;
	/*
	 * Stream: writes found to begin with the pair empty (an EPOLLIN after
	 * the pump had drained it): the sequence each begins at and the one
	 * the kernel's tcp_sendmsg would stop it at, as it found the socket
	 * (stackd_stream_write_begins). The last STACKD_WRITES_KNOWN, the
	 * n-th at n % STACKD_WRITES_KNOWN: an AF_UNIX write arrives in skbs
	 * of up to 32 KiB, each an edge, and the pump may drain the pair
	 * between two, so one write can raise several; the first at its start
	 * is its own.
	 */
	struct stackd_write_bound {
		uint32_t start, end;
	} writes_known[STACKD_WRITES_KNOWN];
	unsigned int writes_begun;
	int idle_sndbuf;
	uint32_t idle_lowat;
	uint32_t pair_hold; /* stream: the most the pair may hold towards the program */
	bool pair_hup;	    /* the application closed every copy of its end */
	/*
	 * UDP: the peer the socket was first found connected to (0 before),
	 * in the name of the host's end (shim_bare_peer_name); its datagrams
	 * go to the pair without a header. bare_never: that name failed.
	 */
	struct sockaddr_in bare_peer;
	bool bare_never;
	bool pair_rdhup;      /* EPOLLRDHUP seen: its EOF raises no further edge */
	bool pair_rd_eof;     /* read() returned 0: the application shut down its write side */
	bool app_unread;      /* it closed with bytes we wrote unread: RST, as TCP would */
	bool stack_wr_shut;   /* sock->ops->shutdown(SHUT_WR) done */
	bool pair_wr_shut;    /* shutdown(fd, SHUT_WR) done after the peer's FIN */
	bool shut_wr_pending; /* SHIM_OP_SHUTDOWN(SHUT_WR) waits for the pair to drain */
	bool app_shut;	      /* SHIM_OP_SHUTDOWN succeeded: a pair HUP may not be a close */
	bool pair_urg;	      /* EPOLLPRI: the application sent urgent data (MSG_OOB) */
	bool pend_oob;	      /* pend ends with that urgent byte: it goes with MSG_OOB */
	bool tx_marked;	      /* SHIM_SO_STREAM_MARK seen: its error queue is the word's */

	/* Non-blocking connect: bytes of filler the interposer wrote, read away at ESTABLISHED. */
	bool connecting;
	size_t filler;
	bool connect_wait; /* SHIM_CONNECT_WAIT: SS_CONNECTED at ESTABLISHED */

	/* Bytes read from the pair that the stack did not take yet (stream), or a datagram
	 * taken from the stack that the pair did not take yet (dgram). */
	uint8_t *pend;
	size_t pend_len, pend_off, pend_cap;

	/* Error path: the pair is closed, the socket kept for GETERR/getsockopt. */
	bool zombie;
	struct timer_list timer; /* zombie expiry */
	/*
	 * An accepted connection that ended before the application named its
	 * end (app unknown): the host end, shut down both ways (the application
	 * sees the hang-up as a close) but kept open, so that the zombie checks
	 * find the connection in the listener's queue and then the end that
	 * accept() made (stackd_unnamed_held); -1 otherwise.
	 */
	int unnamed_fd;
	uint32_t listener; /* an accepted connection's listener's id */

	/*
	 * Listener: it has an AF_UNIX listener (named by stackd_listener_name);
	 * a child waiting for room in its backlog.
	 */
	bool listening;
	struct stackd_sock *child; /* accepted, its connect() to the listener got EAGAIN */
	struct stackd_klisten *kl; /* its twin on the kernel's loopback, or NULL */
	bool handover;		   /* this is such a child: fd not connected yet */
	struct timer_list retry;   /* retries child */

	/* What the application holds: its pair end (or accepted socket), its listener. */
	struct stackd_skid app, lsn;
	/*
	 * A stream that connect() gave a new pair: its earlier ends (NULL if
	 * none), and a copy of the current end for their holders to take
	 * (SHIM_SO_PAIR), kept while one of those is open, else -1.
	 */
	struct stackd_app_old *app_old;
	int app_keep;
	/*
	 * The host's end of the current pair once its connection failed, shut
	 * down and kept so that the release of the application's end wakes
	 * the host (old_ep): stackd_pair_retire.
	 */
	int old_fd;
	struct stackd_ep old_ep; /* STACKD_EP_OLD_END */

	/* The user whose budget it counts against (stackd_user.c), and what it pins there. */
	bool charged;
	uid_t owner;
	long mem;

	/* A socket filter arriving in parts (stackd_filter.c): the instructions so far. */
	struct sock_filter *filter_stage; /* linux/filter.h */
	unsigned int filter_len, filter_staged;

	/*
	 * errwake: a stream's error-queue wake-up (SHIM_SO_ERRQ_WAKE), made at
	 * the program's first ask, -1 before: readable while the error queue
	 * holds an entry, written once more for each look that found new
	 * sk_error_report calls (an edge for edge-triggered epoll).
	 */
	int errq_efd;
	int skstate_fd;		   /* SHIM_SO_SKSTATE's memfd, -1 before the first ask */
	unsigned int errq_reports; /* sk_error_report calls since the last look */
	bool errq_raised;	   /* the eventfd's counter is not 0 */
};

/* A control connection (one per interposing process). */
struct stackd_conn {
	struct stackd_ep ep; /* STACKD_EP_CONN */
	struct stackd *sd;
	int fd;
	pid_t pid; /* SO_PEERCRED, as of connect(); requests carry their own */
	uid_t uid;
	gid_t gid;
	bool hello; /* SHIM_OP_HELLO done: the only request allowed before it */
	/* The ids reserved for its SHIM_OP_ADOPTs: [ids_next, ids_end). */
	uint32_t ids_next, ids_end;
	struct list_head node;
};

struct stackd_user;
#define STACKD_USER_HASH 64

/*
 * One stack host: everything its loop, control path and pumps share, passed
 * to each of them (no global), so that tests can run a host of their own on
 * an in-memory link with a virtual clock (tests/unit/test_pumps.c).
 */
struct stackd {
	struct shim_config cfg;
	struct net net;
	/* The host's clock (CLOCK_MONOTONIC; a test's virtual one), read by stackd_enter. */
	uint64_t (*clock)(struct stackd *sd);
	int epfd;
	struct spin_backoff busy_poll; /* SOCKSHIM_BUSY_POLL_US's back-off (stackd_wait) */
	pid_t pid;
	uid_t euid; /* the host's own user (no budget); the host never changes it */
	int linger_ms;
	/*
	 * SOCKSHIM_ZOMBIE_MS: how often the host asks the kernel whether the
	 * application still holds a stream whose pair closed with its error.
	 */
	int zombie_ms;
#define STACKD_DEFAULT_ZOMBIE_MS 60000

	struct stackd_ep link_ep, ctl_ep;
	int ctl_fd;
	struct list_head conns;
	unsigned int nconns;
	bool served;	    /* a control connection came: the starter found us */
	bool adopt_waiting; /* in stackd_adopt_waiting: it does not nest */
	/* Unused random nonces (stackd_nonce): one getrandom per 64 pairs. */
	uint64_t nonces[64];
	unsigned int nonces_left;
	/* Bare datagrams (no cookie) on an unconnected socket: nowhere to send. */
	uint64_t bare_nodest;

	/* Records by id. */
	struct stackd_sock **hash;
	unsigned int hash_size;
	unsigned int nsocks;
	unsigned int nwatched; /* listeners: asked about with sock_diag */
	uint32_t next_id;
	int diag_fd; /* NETLINK_SOCK_DIAG, for stackd_skid_alive; -1 until first use */

	/* struct socks of ours not yet destroyed, in records or lingering inside the stack. */
	long live_sk;

	/*
	 * Records with work, in turn (stackd_run_ready): sparse ones (their last
	 * turn emptied what they had, as an interactive socket's does) ahead of
	 * bulk ones, as fq_codel serves its new flows before its old ones.
	 */
	struct list_head ready_sparse, ready;
	struct list_head graveyard; /* released records, freed once no event can point at them */

	/* Host timers (zombies, accept retries, the liveness scan), on the stack clock. */
	struct timer_base timers;
	struct timer_list scan_timer;
	struct timer_list ctl_retry; /* the control listener resting after EMFILE */

	/* The per-host I/O buffer for pipe reads and datagram framing. */
	uint8_t *iobuf;
	size_t iobuf_size;

	long user_socks, user_mem;		     /* each other user's budget (stackd_user.c) */
	struct stackd_user *users[STACKD_USER_HASH]; /* their accounts, hashed by uid */

	uint64_t round;	 /* rounds of the loop so far (stackd_round) */
	uint64_t errors; /* failures logged to stderr (which is usually /dev/null) */
	FILE *trace;	 /* SOCKSHIM_TRACE >= 2: host-side events */

	/* The notice page (shim_ctl.h SHIM_SO_NOTICE), made at first need; its memfd. */
	uint64_t *notice;
	int notice_fd;
	uint32_t notice_slots; /* a power of two: stackd_notice_slots_init */
	uint32_t notice_seq;   /* the last error report's sequence number */
};

/* stackd.c */
/* A number from the environment: def if unset, -1 and a message in err if not in min..max. */
long stackd_env_long(const char *var, long def, long min, long max, char *err, int errlen);
/*
 * Prepares sd for a link already opened (dev, or NULL for none): the core
 * stack, epoll, the I/O buffer. The control listener is
 * added by the caller. 0 or -1 with a message on stderr.
 */
int stackd_init(struct stackd *sd, struct net_device *dev);
/* stackd_secret.c: the TCP secrets of this boot and network namespace, kept in the runtime dir. */
void stackd_secret_load(struct stackd *sd);
void stackd_destroy(struct stackd *sd);
/* The host's time now (its clock), ns. */
uint64_t stackd_time(struct stackd *sd);
/*
 * The core entry: every call into core/ from the host is preceded by this
 * one, which sets the stack clock and whose call it is (cred, or NULL for
 * the stack's own work: timers, frames, pumps). A call with cred must be
 * closed with stackd_leave so that no later work runs with those rights.
 */
void stackd_enter(struct stackd *sd, const struct cred *cred);
void stackd_leave(struct stackd *sd);
/* No sockets, no control connections, no sock the stack still holds: linger, then exit. */
bool stackd_idle(const struct stackd *sd);
/*
 * One round of the loop: due timers, queued socket work, one flush, then
 * looks for events, with sleep until one comes or the next timer (or
 * idle_deadline) is due (not when work is queued, nor when that work left
 * the host idle and the caller did not know: idle_deadline UINT64_MAX), and
 * handles them. Returns the number of events or -errno.
 */
int stackd_round(struct stackd *sd, uint64_t idle_deadline, bool sleep);
void stackd_trace(struct stackd *sd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void stackd_error(struct stackd *sd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int stackd_epoll_add(struct stackd *sd, int fd, uint32_t events, struct stackd_ep *ep);
void stackd_epoll_del(struct stackd *sd, int fd);

/* stackd_sock.c */
void stackd_sock_init(struct stackd *sd);
struct stackd_sock *stackd_sock_new(struct stackd *sd, struct socket *sock, int fd, bool stream);
/* As stackd_sock_new, with the id and nonce an ADOPT names (id not in use). */
struct stackd_sock *stackd_sock_new_as(struct stackd *sd, struct socket *sock, int fd, bool stream,
				       uint32_t id, uint64_t nonce);
/* Reserves SHIM_ADOPT_IDS ids for c, dropping any it had left: the first. */
uint32_t stackd_ids_reserve(struct stackd_conn *c);
/* A fresh random 64-bit nonce for an abstract name; 0, or -errno. */
int stackd_nonce(struct stackd *sd, uint64_t *nonce);
int stackd_sock_renew_pair(struct stackd_sock *ss, int *app_fd);
struct stackd_sock *stackd_sock_find(struct stackd *sd, uint32_t id);
/* Drops the record; releases the socket if still held. Safe while events point at it. */
void stackd_sock_free(struct stackd_sock *ss);
/* stackd_filter.c: SHIM_SO_FILTER_PART (set, get); drop frees a program half sent. */
struct shim_sockopt;
struct shim_rep;
int stackd_filter_set(struct stackd_sock *ss, const struct shim_sockopt *o);
int stackd_filter_get(struct stackd_sock *ss, const struct shim_sockopt *o, struct shim_rep *rep);
void stackd_filter_drop(struct stackd_sock *ss);
/* Frees the records dropped since the last call; after each epoll round. */
void stackd_sock_bury(struct stackd *sd);
/* Drops every record (stackd_destroy). */
void stackd_sock_free_all(struct stackd *sd);
/*
 * Releases datagram sockets and never-connected stream sockets (of every
 * user, or of uid) whose pair has hung up but whose EPOLLHUP is not
 * handled yet. A look at every record: only where it matters now (a port
 * in use, a budget reached).
 */
void stackd_reap_closed(struct stackd *sd, bool any_user, uid_t uid);
/*
 * Runs now the work of streams whose pair hung up this round (a listener's
 * close drops the connections in its accept queue, whose ports a bind()
 * right after must find free, as inet_csk_listen_stop leaves them).
 */
void stackd_reap_hungup(struct stackd *sd);
bool stackd_pair_hup_now(struct stackd_sock *ss);
void stackd_notice_flag(struct stackd_sock *ss, unsigned int flag, bool on);
/* The datagrams the application sent before a request, sent first (SETSOCKOPT, CONNECT, ...). */
void stackd_dgram_sync(struct stackd_sock *ss);
/* A datagram socket shut for reading: its program's readers wake (a void report). */
void stackd_dgram_wake(struct stackd_sock *ss);
int stackd_dgram_append(struct stackd_sock *ss, const struct shim_sockopt *o);
bool stackd_stream_sync(struct stackd_sock *ss);
int stackd_pair_wmem(const struct stackd_sock *ss);
int stackd_stream_topup(struct stackd_sock *ss, const struct shim_sockopt *o, struct shim_rep *rep);
/* What the program wrote that the stack's write queue has not taken (the pair's, pend). */
size_t stackd_stream_unqueued(const struct stackd_sock *ss);
bool stackd_stream_settle(struct stackd_sock *ss);
int stackd_stream_mark(struct stackd_sock *ss, const struct shim_sockopt *o, struct shim_rep *rep);
/* Stack -> pair: what the stack received, as far as the pair takes it (*more: call again). */
void stackd_stream_out(struct stackd_sock *ss, bool *more);
/*
 * Before TCP_INFO or SO_MEMINFO: what the program has read of the pair
 * is released now (its reads need not wake the host). Always true.
 */
bool stackd_stream_owner_sync(struct stackd_sock *ss);
/* stackd_repair.c: a stream in TCP repair mode (SHIM_SO_REPAIR_SEND, SHIM_SO_REPAIR_PEEK). */
bool stackd_stream_repairing(const struct stackd_sock *ss);
int stackd_repair_send(struct stackd_sock *ss, const struct shim_sockopt *o);
int stackd_repair_peek(struct stackd_sock *ss, const struct shim_sockopt *o, struct shim_rep *rep);
struct shim_errqueue;
struct shim_errqueue_rep;
/* recvmsg(MSG_ERRQUEUE) on a datagram socket (SHIM_OP_ERRQUEUE); the reply's ret. */
/* recv(MSG_OOB) of the urgent byte the host still holds (the ERRQUEUE op with MSG_OOB). */
int stackd_stream_recv_urg(struct stackd_sock *ss, const struct shim_errqueue *q,
			   struct shim_errqueue_rep *r);
/*
 * The notice page (shim_ctl.h SHIM_SO_NOTICE): a copy of its memfd for a
 * client in *fd_out; the pending error of the report with seq taken (its
 * errno, 0 if none is pending under that seq).
 */
int stackd_notice_share(struct stackd *sd, int *fd_out);
int stackd_notice_take(struct stackd_sock *ss, uint32_t seq);
/* The page's SHIM_NOTICE_PORTS after a request that may have taken a port or read the range. */
void stackd_notice_ports(struct stackd *sd);
void stackd_notice_slots_init(struct stackd *sd);
uint32_t stackd_notice_slots_for(uint64_t nofile);
/* A datagram socket's error queue may have changed: the word says so (a void report wakes). */
void stackd_notice_errq(struct stackd_sock *ss);
/* ... without the void report when wake is false: the program asking is told in the reply. */
void stackd_notice_errq_wake(struct stackd_sock *ss, bool wake);
/* SHIM_SO_ERRQ_WAKE get: a copy of the stream's error-queue eventfd, made at first ask. */
int stackd_errq_wake_share(struct stackd_sock *ss, int *fd_out);
int stackd_skstate_share(struct stackd_sock *ss, struct shim_rep *rep, int *fd_out);
int stackd_dgram_errqueue(struct stackd_sock *ss, const struct shim_errqueue *q,
			  struct shim_errqueue_rep *r);
void stackd_sock_queue(struct stackd_sock *ss);
void stackd_pair_event(struct stackd_sock *ss, uint32_t events);
/*
 * Runs the queued records' pending work in turn until the host's clock
 * reaches until; the rest stay queued, first in line for the next round.
 */
void stackd_run_ready(struct stackd *sd, uint64_t until);
int stackd_sock_listen(struct stackd_sock *ss, int backlog, int *lfd);
/*
 * shutdown() took the listening ss out of TCP_LISTEN: it gets a fresh pair
 * (*app_fd, the application's end) in place of its AF_UNIX listener.
 */
int stackd_listener_stop(struct stackd_sock *ss, int *app_fd);
void stackd_sock_shutdown_wr(struct stackd_sock *ss);
/* Releases listeners and datagram sockets whose application side is closed. */
void stackd_scan_unix(struct stackd *sd);
/* Whether the application still holds the socket (sock_diag); false if unknown. */
bool stackd_app_held(struct stackd_sock *ss);
/* Whether an earlier pair end of the stream is still held (stackd_sock_renew_pair). */
bool stackd_app_old_held(struct stackd_sock *ss);
socklen_t stackd_listener_name(const struct stackd_sock *ss, struct sockaddr_un *sun);
void stackd_old_end_event(struct stackd_sock *ss);
int stackd_pair_share(struct stackd_sock *ss, int *fd_out);
/* The kept host end of an accepted connection never named (unnamed_fd) goes. */
void stackd_unnamed_close(struct stackd_sock *ss);

/* stackd_user.c */
int stackd_limits_load(struct stackd *sd, char *err, int errlen);
/* Whether uid may have one more socket pinning mem bytes: 0, -EMFILE or -ENOBUFS. */
int stackd_user_may(struct stackd *sd, uid_t uid, long mem);
/* Counts ss against uid's budget, or (unless forced) returns -EMFILE / -ENOBUFS. */
int stackd_user_charge(struct stackd_sock *ss, uid_t uid, bool force);
/* Its buffer sizes may have changed (setsockopt). */
void stackd_user_recount(struct stackd_sock *ss);
void stackd_user_uncharge(struct stackd_sock *ss);
/* A control connection of uid's, within its budget (0), or -EMFILE; and its end. */
int stackd_user_conn_add(struct stackd *sd, uid_t uid);
void stackd_user_conn_del(struct stackd *sd, uid_t uid);
void stackd_user_free_all(struct stackd *sd);
/* Whether uid may have one more control request read in this round of the loop. */
#define STACKD_USER_ROUND_REQS 64
bool stackd_user_turn(struct stackd *sd, uid_t uid);

/* stackd_own.c */
int stackd_skid_get(int fd, struct stackd_skid *id);
/*
 * Whether fd (received with a request) is a socket of another stack host
 * that is no longer running: the host killed, its sockets are reset.
 */
bool stackd_fd_host_gone(int fd);
/* Whether fd (received with a request) is the application's side of ss. */
bool stackd_sock_owned_by(struct stackd_sock *ss, int fd);
/* 1 if the socket still exists, 0 if closed, -errno if the kernel could not say. */
int stackd_skid_alive(struct stackd *sd, const struct stackd_skid *id);
/* stackd_diag_unix_wfull() of that socket: 1 its writer would wait, 2 not, 0 closed, -errno. */
int stackd_skid_wfull(struct stackd *sd, const struct stackd_skid *id);
int stackd_proc_cred(pid_t pid, uid_t uid, struct cred *cred);

/* stackd_ctl.c */
int stackd_ctl_open(struct stackd *sd);
void stackd_ctl_init(struct stackd *sd);
void stackd_ctl_accept(struct stackd *sd);
void stackd_conn_event(struct stackd_conn *c, uint32_t events);
void stackd_conn_close(struct stackd_conn *c);

#endif
