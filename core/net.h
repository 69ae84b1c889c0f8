/* SPDX-License-Identifier: MIT */
/*
 * The socket layer: struct socket (what a file descriptor sees), struct sock
 * (the protocol's state), and the two operation tables that join them,
 * proto_ops (socket layer -> family) and proto (family -> transport).
 * Names and meanings follow include/linux/net.h and include/net/sock.h.
 *
 * Conventions: every core function returns 0 or a byte count on success and a
 * negative errno on failure, as in the kernel. Nothing here makes a system
 * call; time comes in through struct net's clock.
 */
#ifndef SOCKSHIM_NET_H
#define SOCKSHIM_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "list.h"
#include "skbuff.h"

struct net;
struct sock;
struct socket;

/* include/linux/net.h */
#define SOCK_TYPE_MASK 0xf
#ifndef SOCK_MAX
#define SOCK_MAX (SOCK_PACKET + 1)
#endif
#define NPROTO AF_MAX

/* SOL_SOCKET option names newer than this libc's headers (asm-generic/socket.h). */
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#define SO_PEERPIDFD 77
#endif
#ifndef SO_DEVMEM_DONTNEED
#define SO_DEVMEM_DONTNEED 80
#endif
#ifndef SO_RCVPRIORITY
#define SO_RCVPRIORITY 82
#define SO_PASSRIGHTS  83
#endif

typedef enum {
	SS_FREE = 0,
	SS_UNCONNECTED,
	SS_CONNECTING,
	SS_CONNECTED,
	SS_DISCONNECTING
} socket_state;

/* sk->sk_state values: the TCP states double as generic ones, as in the kernel. */
enum {
	TCP_ESTABLISHED = 1,
	TCP_SYN_SENT,
	TCP_SYN_RECV,
	TCP_FIN_WAIT1,
	TCP_FIN_WAIT2,
	TCP_TIME_WAIT,
	TCP_CLOSE,
	TCP_CLOSE_WAIT,
	TCP_LAST_ACK,
	TCP_LISTEN,
	TCP_CLOSING,
	TCP_NEW_SYN_RECV,
	TCP_MAX_STATES
};

/* The kernel's "no such ioctl here, try the next layer" (include/linux/errno.h). */
#define ENOIOCTLCMD 515

/* sk->sk_shutdown */
#define RCV_SHUTDOWN  1
#define SEND_SHUTDOWN 2
#define SHUTDOWN_MASK 3

/* sk->sk_flags bits (enum sock_flags) */
enum sock_flags {
	SOCK_DEAD,
	SOCK_DONE,
	SOCK_URGINLINE,
	SOCK_KEEPOPEN,
	SOCK_LINGER,
	SOCK_DESTROY,
	SOCK_BROADCAST,
	SOCK_TIMESTAMP,
	SOCK_ZAPPED,
	SOCK_RCVTSTAMP,
	SOCK_DBG,
	SOCK_SELECT_ERR_QUEUE,
	SOCK_LOCALROUTE,    /* SO_DONTROUTE */
	SOCK_RCVTSTAMPNS,   /* SO_TIMESTAMPNS: SO_TIMESTAMP then reads 0 */
	SOCK_TSTAMP_NEW,    /* set through the *_NEW (64-bit time) option names */
	SOCK_ZEROCOPY,	    /* SO_ZEROCOPY: MSG_ZEROCOPY sends allowed */
	SOCK_RXQ_OVFL,	    /* SO_RXQ_OVFL: datagrams carry the drop count */
	SOCK_FILTER_LOCKED, /* SO_LOCK_FILTER: the filter can no longer change */
	SOCK_TX_TSTAMPED,   /* sent a frame marked SKBTX_SW_TSTAMP (sk_free: neigh_forget_sock) */
	SOCK_PACING_ASKED,  /* SO_MAX_PACING_RATE set a cap: SK_PACING_NEEDED, as the kernel */
	SOCK_NO_CHECK_TX,   /* SO_NO_CHECK: UDP sends go without a checksum */
	SOCK_NOFCS,	    /* SO_NOFCS (kept: the stack's frames carry no FCS anyway) */
	SOCK_WIFI_STATUS,   /* SO_WIFI_STATUS (kept: no wireless device) */
	SOCK_RCVMARK,	    /* SO_RCVMARK: received datagrams say their mark */
	SOCK_RCVPRIORITY,   /* SO_RCVPRIORITY: received datagrams say their priority */
};

/* sk->sk_userlocks */
#define SOCK_SNDBUF_LOCK 1
#define SOCK_RCVBUF_LOCK 2

/* The smallest receive buffer: one 2048-byte packet and its sk_buff (SO_RCVBUF 1 reads 2304). */
#define SOCK_MIN_RCVBUF	   2304
#define SOCK_BINDADDR_LOCK 4
#define SOCK_BINDPORT_LOCK 8

/* sk->sk_reuse */
#define SK_NO_REUSE    0
#define SK_CAN_REUSE   1
#define SK_FORCE_REUSE 2

/* What a socket is told when the stack changes its state; set by the owner (the stack host). */
struct sock {
	/* struct sock_common: the part the lookup tables use */
	uint32_t sk_daddr;     /* foreign IPv4 address, network order */
	uint32_t sk_rcv_saddr; /* bound local IPv4 address, network order */
	uint16_t sk_dport;     /* foreign port, network order */
	uint16_t sk_num;       /* local port, host order */
	unsigned short sk_family;
	unsigned char sk_state;
	unsigned char sk_reuse;
	unsigned char sk_reuseport;
	struct hlist_node sk_node;	/* established / listening hash */
	struct hlist_node sk_bind_node; /* bind (port) hash */

	unsigned short sk_type;
	unsigned short sk_protocol;
	uint8_t sk_shutdown;
	uint8_t sk_userlocks;
	uint32_t sk_flags; /* 1 << enum sock_flags */
	int sk_err;	   /* pending error, reported once (SO_ERROR, next call) */
	int sk_err_soft;   /* error to report if the operation times out */
	int sk_rcvbuf;
	int sk_sndbuf;
	int sk_rmem_alloc;  /* bytes held in receive queues */
	int sk_wmem_queued; /* bytes held in the write queue */
	/*
	 * Bytes taken from the protocol's pool and not yet charged (whole
	 * pages taken, charged bytes subtracted): sock_mem.c, TCP only.
	 */
	int sk_forward_alloc;
	int sk_rcvlowat;
	int64_t sk_rcvtimeo; /* ns, INT64_MAX = forever (MAX_SCHEDULE_TIMEOUT) */
	int64_t sk_sndtimeo;
	int sk_lingertime; /* seconds; negative = forever (MAX_SCHEDULE_TIMEOUT) */
	uint32_t sk_priority;
	uint32_t sk_mark;
	uint32_t sk_tsflags; /* SO_TIMESTAMPING: SOF_TIMESTAMPING_* */
	uint32_t sk_drops;   /* datagrams dropped on arrival (SO_RXQ_OVFL) */
	uint32_t sk_zckey;   /* the next MSG_ZEROCOPY send's id (msg_zerocopy_copied) */
	uint32_t sk_tskey;   /* the next SOF_TIMESTAMPING_OPT_ID key (sock_tx_timestamp) */
	int sk_bound_dev_if;
	unsigned int sk_ack_backlog;
	unsigned int sk_max_ack_backlog;
	int sk_peek_off;
	/* SIOCGSTAMP: the last read's arrival time, ns on the wall clock (sock_recv_cmsgs) */
	int64_t sk_stamp;

	struct sk_buff_head sk_receive_queue;
	struct sk_buff_head sk_write_queue;
	struct sk_buff_head sk_error_queue;

	struct proto *sk_prot;
	struct net *sk_net;
	struct socket *sk_socket;
	void *sk_user_data;	     /* the owner's per-socket record (the stack host's pipe) */
	struct sk_filter *sk_filter; /* SO_ATTACH_FILTER's program (filter.h), or NULL */

	/* Callbacks: the kernel wakes waiters through these; the host pumps pipes. */
	void (*sk_state_change)(struct sock *sk);
	void (*sk_data_ready)(struct sock *sk);
	void (*sk_write_space)(struct sock *sk);
	void (*sk_error_report)(struct sock *sk);
	void (*sk_destruct)(struct sock *sk);
	/*
	 * The owner keeps what it consumes until its program reads it (the
	 * stack host's pair), and sk_owner_unread is what it holds unread, as
	 * it last measured (tcp_owner_unread) plus what it consumed since. The
	 * kernel keeps those bytes in its receive queue until read: the window
	 * leaves room for them, and receive-buffer autotuning measures what the
	 * program reads, as the kernel's measures what recvmsg copied.
	 */
	bool sk_owner_holds;
	uint32_t sk_owner_unread;

	uint64_t sk_max_pacing_rate; /* SO_MAX_PACING_RATE, bytes/s; ~0 = no cap */

	/* Options kept for their getsockopt (the stack has no busy polling, NAPI or qdisc) */
	int sk_ll_usec;		      /* SO_BUSY_POLL */
	uint16_t sk_busy_poll_budget; /* SO_BUSY_POLL_BUDGET */
	uint8_t sk_prefer_busy_poll;  /* SO_PREFER_BUSY_POLL */
	uint8_t sk_txrehash;	      /* SO_TXREHASH (TCP) */
	int sk_incoming_cpu;	      /* SO_INCOMING_CPU: -1 until set */
	int32_t sk_clockid;	      /* SO_TXTIME */
	uint32_t sk_txtime_flags;     /* SO_TXTIME */
};

/*
 * sk_state as the socket's owner sees it: past tcp_time_wait the kernel's
 * socket is TCP_CLOSE (tcp_done) and a timewait sock it never sees holds the
 * connection; ours is both (tcp_sock.timewait).
 */
static inline int sk_user_state(const struct sock *sk)
{
	return sk->sk_state == TCP_TIME_WAIT ? TCP_CLOSE : sk->sk_state;
}

static inline bool sock_flag(const struct sock *sk, enum sock_flags flag)
{
	return sk->sk_flags & (1u << flag);
}

static inline void sock_set_flag(struct sock *sk, enum sock_flags flag)
{
	sk->sk_flags |= 1u << flag;
}

static inline void sock_reset_flag(struct sock *sk, enum sock_flags flag)
{
	sk->sk_flags &= ~(1u << flag);
}

/* Free room in the send buffer of a stream socket (include/net/sock.h). */
static inline int sk_stream_wspace(const struct sock *sk)
{
	return sk->sk_sndbuf - sk->sk_wmem_queued;
}

/*
 * Protocol memory (sock_mem.c; TCP only): pages from the stack's pool into
 * sk_forward_alloc, bytes charged against them. SOCK_MIN_SNDBUF is the
 * kernel's (two of its least TCP skbs' truesize).
 */
#define SK_MEM_QUANTUM	4096
#define SOCK_MIN_SNDBUF 4608

static inline long sk_mem_pages(int amt)
{
	return ((long)amt + SK_MEM_QUANTUM - 1) / SK_MEM_QUANTUM;
}

bool sk_wmem_schedule(struct sock *sk, int size);
bool sk_rmem_schedule(struct sock *sk, int size);
/* Takes the pages size needs whatever the limits (the kernel's progress guarantees). */
void sk_forced_mem_schedule(struct sock *sk, int size);
/* Gives amount's whole pages back to the pool (__sk_mem_reclaim); amount <= sk_forward_alloc. */
void __sk_mem_reclaim(struct sock *sk, int amount);
/* Under memory limits: the send buffer down to half what is queued, not below the least. */
void sk_stream_moderate_sndbuf(struct sock *sk);

static inline void sk_mem_charge(struct sock *sk, int size)
{
	sk->sk_forward_alloc -= size;
}

/*
 * Whole free pages back to the pool (sk_mem_reclaim): the threshold is
 * tested here, inline, as the kernel's, so that the common uncharge that
 * frees no page costs no call.
 */
static inline void sk_mem_reclaim(struct sock *sk)
{
	if (sk->sk_forward_alloc >= SK_MEM_QUANTUM)
		__sk_mem_reclaim(sk, sk->sk_forward_alloc);
}

static inline void sk_mem_uncharge(struct sock *sk, int size)
{
	sk->sk_forward_alloc += size;
	sk_mem_reclaim(sk);
}

static inline struct net *sock_net(const struct sock *sk)
{
	return sk->sk_net;
}

/* Transport protocol operations (include/net/sock.h: struct proto). */
struct proto {
	const char *name; /* "TCP", "UDP", "UDP-Lite", "PING", "RAW" as in /proc/net/protocols */
	unsigned int obj_size; /* sizeof the protocol's sock, e.g. struct tcp_sock */

	void (*close)(struct sock *sk, long timeout);
	int (*pre_connect)(struct sock *sk, const struct sockaddr *uaddr, int addr_len);
	int (*connect)(struct sock *sk, const struct sockaddr *uaddr, int addr_len);
	int (*disconnect)(struct sock *sk, int flags);
	struct sock *(*accept)(struct sock *sk, int flags, int *err);
	int (*ioctl)(struct sock *sk, int cmd, int *karg);
	int (*init)(struct sock *sk);
	void (*destroy)(struct sock *sk);
	void (*shutdown)(struct sock *sk, int how);
	/* SO_KEEPALIVE changed (tcp_set_keepalive); NULL for protocols without keepalive. */
	void (*keepalive)(struct sock *sk, int valbool);
	int (*setsockopt)(struct sock *sk, int level, int optname, const void *optval,
			  unsigned int optlen);
	int (*getsockopt)(struct sock *sk, int level, int optname, void *optval, int *optlen);
	int (*sendmsg)(struct sock *sk, struct msghdr *msg, size_t len);
	int (*recvmsg)(struct sock *sk, struct msghdr *msg, size_t len, int flags, int *addr_len);
	int (*bind)(struct sock *sk, const struct sockaddr *addr, int addr_len);
	int (*backlog_rcv)(struct sock *sk, struct sk_buff *skb);
	int (*hash)(struct sock *sk);
	void (*unhash)(struct sock *sk);
	int (*get_port)(struct sock *sk, unsigned short snum);

	struct list_head node; /* proto_register list, for /proc/net/protocols-like stats */
};

/* Socket-layer operations of a family (include/linux/net.h: struct proto_ops). */
struct proto_ops {
	int family;
	int (*release)(struct socket *sock);
	int (*bind)(struct socket *sock, const struct sockaddr *myaddr, int sockaddr_len);
	int (*connect)(struct socket *sock, const struct sockaddr *vaddr, int sockaddr_len,
		       int flags);
	int (*accept)(struct socket *sock, struct socket *newsock, int flags, bool kern);
	int (*getname)(struct socket *sock, struct sockaddr *addr, int peer);
	int (*ioctl)(struct socket *sock, unsigned int cmd, unsigned long arg);
	int (*listen)(struct socket *sock, int len);
	int (*shutdown)(struct socket *sock, int flags);
	int (*setsockopt)(struct socket *sock, int level, int optname, const void *optval,
			  unsigned int optlen);
	int (*getsockopt)(struct socket *sock, int level, int optname, void *optval, int *optlen);
	int (*sendmsg)(struct socket *sock, struct msghdr *m, size_t total_len);
	int (*recvmsg)(struct socket *sock, struct msghdr *m, size_t total_len, int flags);
	/*
	 * Stream sockets only (NULL elsewhere): the owner moves received bytes
	 * to its pipe without an intermediate copy. peek_iov points up to
	 * max_iov iovecs at in-order received data (at most max_len bytes)
	 * without consuming it and returns how many it filled (0 = nothing
	 * queued; check sk_shutdown & RCV_SHUTDOWN for EOF). consume frees len
	 * bytes from the front, opens the window and may send a window update.
	 */
	int (*peek_iov)(struct socket *sock, struct iovec *iov, int max_iov, size_t max_len);
	void (*consume)(struct socket *sock, size_t len);
	/*
	 * Streams only, optional: the owner moves bytes from its pipe into the
	 * send queue without an intermediate copy. send_iov points up to
	 * max_iov iovecs at room for at most max_len bytes at the queue's end
	 * (the unsent last segment's free room, then new segments held aside
	 * in segs[]) and returns how many; 0 when the send buffer is full,
	 * -EAGAIN when the socket is not plainly sending (sendmsg then says
	 * what is wrong). send_commit, the next call into the socket, queues
	 * the first len bytes written there as sendmsg would, frees the unused
	 * segments and pushes.
	 */
	int (*send_iov)(struct socket *sock, struct iovec *iov, struct sk_buff **segs, int max_iov,
			size_t max_len);
	void (*send_commit)(struct socket *sock, const struct iovec *iov, struct sk_buff **segs,
			    int n, size_t len);
	/* SO_RCVLOWAT for families that bound it (streams); NULL: the generic rule. */
	int (*set_rcvlowat)(struct sock *sk, int val);
	/* SO_PEEK_OFF; NULL where peeking at an offset means nothing (-EOPNOTSUPP). */
	int (*set_peek_off)(struct sock *sk, int val);
};

struct socket {
	socket_state state;
	short type;
	unsigned long flags;
	struct sock *sk;
	const struct proto_ops *ops;
};

/* A protocol family (include/linux/net.h: struct net_proto_family). */
struct net_proto_family {
	int family;
	int (*create)(struct net *net, struct socket *sock, int protocol, int kern);
};

/*
 * The credentials a check is made against (the kernel's current_cred()):
 * the interposer passes its own, the stack host the caller's (SO_PEERCRED
 * plus shim_req.cap_eff). Supplementary groups matter for ping sockets.
 */
struct cred {
	uint32_t uid, gid;
	uint64_t cap_eff; /* 1 << CAP_* */
	int ngroups;
	uint32_t groups[32];
};

/* <linux/capability.h> */
#define CAP_NET_BIND_SERVICE 10
#define CAP_NET_ADMIN	     12
#define CAP_NET_RAW	     13

/*
 * Whether the caller on net holds cap (ns_capable()). The caller is
 * net->current_cred, which the owner sets before calling into the socket
 * layer; NULL means kernel context, where everything is allowed.
 */
bool ns_capable(const struct net *net, int cap);

/* net/socket.c */
int sock_register(const struct net_proto_family *ops);
void sock_unregister(int family);
/* Runs the creation path; on success *res is a new socket, freed with sock_release(). */
int __sock_create(struct net *net, int family, int type, int protocol, struct socket **res,
		  int kern);
void sock_release(struct socket *sock);
/*
 * socket(2) for the caller cred: sys_socket's flag check on type (which may
 * carry SOCK_NONBLOCK/SOCK_CLOEXEC; they belong to the caller's fd and are
 * not kept), then __sock_create(kern = 0) with net->current_cred = cred for
 * the duration. Returns 0 or -errno exactly as the kernel's socket() would.
 */
int sock_create_cred(struct net *net, int family, int type, int protocol, const struct cred *cred,
		     struct socket **res);
/* The one-line name of a family for traces, e.g. "AF_INET"; "AF_42" if unknown. */
const char *sock_family_name(int family);

/*
 * sys_socket's own checks: splits type into the socket type and the
 * SOCK_NONBLOCK/SOCK_CLOEXEC flags; -EINVAL for any other flag bit.
 */
int sock_check_type_flags(int type, int *sock_type, int *flags);

/* net/core/sock.c */
struct sock *sk_alloc(struct net *net, int family, struct proto *prot);
void sock_init_data(struct socket *sock, struct sock *sk);
void sk_free(struct sock *sk);
/*
 * The end of a socket that has no connection to wind down (UDP, raw, ping,
 * a failed create): prot->destroy, unhash, orphan, free (sk_common_release).
 */
void sk_common_release(struct sock *sk);
/* SOL_SOCKET options: the generic part of setsockopt/getsockopt. */
int sock_setsockopt(struct socket *sock, int level, int op, const void *optval,
		    unsigned int optlen);
int sock_getsockopt(struct socket *sock, int level, int op, void *optval, int *optlen);
int sock_error(struct sock *sk); /* returns and clears -sk_err */
int sk_set_peek_off(struct sock *sk, int val);
/* sk_stamp before any read: -1 s, which sock_gettstamp answers -ENOENT (SK_DEFAULT_STAMP). */
#define SK_DEFAULT_STAMP (-1000000000LL)

/*
 * The creation path reports its steps through this hook so that the
 * interposer's trace can show them (flag check, family, inetsw match, ...).
 * NULL hook: no cost beyond the test.
 */
extern void (*sock_create_trace)(const char *step);
void sock_trace_step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
