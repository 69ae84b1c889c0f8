/* SPDX-License-Identifier: MIT */
/*
 * The wire contract between the interposer (libsockshim.so) and the stack
 * host (sockshim-stackd). Both sides include this file and nothing else of
 * each other.
 *
 * Control: one SOCK_SEQPACKET connection per process to the abstract address
 * shim_ctl_name(). Every message, either way, starts with struct shim_hdr:
 * the contract version, the operation, the message's whole length and the
 * socket id. A request carries exactly the payload struct of its operation
 * (shim_req_len() says how long it must be); the host's one decoder,
 * shim_req_decode() (preload/stackd/stackd_decode.c), checks every field
 * before any handler sees it. Each request is answered by one struct
 * shim_rep, in order; a reply may carry one file descriptor (SCM_RIGHTS).
 * SHIM_OP_CLOSE, SHIM_OP_ADOPT and a CONNECT with SHIM_CONNECT_NOREPLY have
 * no reply (shim_req_no_reply).
 * A signal handler's call made while its thread is in one goes on a
 * short-lived connection of its own (preload/shim/shim_ctl.c).
 *
 * The first request must be SHIM_OP_HELLO: the client offers a range of
 * versions, the host answers the one it speaks (or EPROTONOSUPPORT), and any
 * other first request is answered with EPROTO and the connection dropped.
 *
 * Trust, both ways: before sending anything the interposer checks with
 * SO_PEERCRED that the host runs as root or as its own uid (anyone in the
 * namespace can bind an abstract name first); the host serves only its own
 * uid unless it runs as root. Each request's uid, gid and pid come from
 * SCM_CREDENTIALS, i.e. from the sending process at the time it sent.
 *
 * Ownership: a request about a socket carries the application's fd for it
 * (SCM_RIGHTS). The host accepts it only if that fd is the socket it handed
 * out, compared by SO_COOKIE (a 64-bit number the kernel never reuses):
 * holding the fd is the right to act on the socket, as with the kernel's own.
 *
 * Data: each emulated socket is an AF_UNIX pair; the application holds one
 * end as its socket fd, the host the other.
 *  - SOCK_STREAM sockets: a SOCK_STREAM pair carrying the byte stream as is.
 *    Before the connection is established the interposer writes
 *    shim_connect.filler bytes into the pair (SHIM_OP_CONNECT) so that the
 *    application's end is not writable (no POLLOUT) until the host has
 *    reached ESTABLISHED and read the filler away. On failure the host closes
 *    its end without reading, so the application sees POLLERR|POLLHUP, and
 *    the errno comes from SHIM_OP_GETERR. sendto/sendmsg(MSG_FASTOPEN) on
 *    an unconnected stream is SHIM_OP_FASTOPEN: a CONNECT (filler and all)
 *    that carries the first bytes of the data for the SYN; the reply's ret
 *    is CONNECT's and shim_fastopen_rep.copied says how many the SYN took
 *    (the rest, if any, the interposer writes into the pair as usual).
 *  - Listening sockets: at SHIM_OP_LISTEN the host replies with an AF_UNIX
 *    SOCK_STREAM listener bound to shim_sock_name('l'); the interposer dup3()s
 *    it over the application's fd. For each accepted TCP connection the host
 *    connects to that listener from a socket bound to shim_accepted_name(), so
 *    accept() is the kernel's own and getpeername() on the accepted fd names
 *    the new socket's id and its TCP peer (accept's address, no request). The interposer accepts
 * only connections whose SO_PEERCRED is the host's process; anything else is dropped.
 *  - Kernel loopback (README "Loopback"): a listener bound to INADDR_ANY or
 *    127.x also has a kernel listener on the kernel's loopback; for each
 *    kernel connection the host connects to the AF_UNIX listener from a
 *    socket bound to shim_kconn_name() and sends one byte with the accepted
 *    kernel socket (SCM_RIGHTS), which accept() returns as it is.
 *  - Identity: the host binds the application's end of every pair to
 *    shim_sock_name('a') before handing it over, so any process that inherits
 *    the fd (fork, exec, posix_spawn, SCM_RIGHTS) can tell what it is with
 *    one getsockname() (the interposer scans its fds once at start-up);
 *    listeners are named shim_sock_name('l') and accepted connections have
 *    shim_accepted_name() as their peer name. SO_TYPE of the AF_UNIX socket
 *    tells framing: anything but SOCK_STREAM is a datagram socket.
 *  - SOCK_DGRAM and SOCK_RAW sockets: a SOCK_SEQPACKET pair (datagram bounds
 *    as SOCK_DGRAM, but either side's last close wakes the other: a recv()
 *    blocked on a socket whose host died returns); every datagram in
 *    either direction starts with struct shim_dgram, which the interposer
 *    adds and strips so that the application never sees it. A datagram
 *    the program writes to its end without the interposer (io_uring, a raw
 *    write(2), a program started without it) has none: the host tells the
 *    two apart by shim_dgram.cookie (the socket's tx cookie, below) and
 *    sends such a bare datagram as the kernel would send it without an
 *    address: to a connected socket's peer, else nowhere (EDESTADDRREQ,
 *    counted).
 *  - Datagram cookies, two per socket, random, read from the fd itself by
 *    any process that holds it (fork, exec, SCM_RIGHTS), with no request:
 *    the rx cookie (host->app) is the nonce of the application end's name
 *    (shim_sock_name 'a', read with getsockname), public in
 *    /proc/net/unix, and needs no secret: the host never writes a bare
 *    datagram whose payload starts with it (it frames that one), so a
 *    datagram that starts with it is the host's header. The tx cookie
 *    (app->host) must be known to the fd's holders alone (a program that
 *    relays a stranger's bytes past the interposer must not send where
 *    the stranger says): it is the application end's SHIM_PAIR_TX_COOKIE
 *    option, which no sock_diag or /proc file shows. CREATE's reply
 *    repeats both (shim_create_rep); an ADOPT's interposer draws both.
 */
#ifndef SOCKSHIM_SHIM_CTL_H
#define SOCKSHIM_SHIM_CTL_H

#include <net/if_arp.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

/*
 * The version this build speaks; 1 was the flat struct without lengths, 2
 * had no loopback hand-off (SHIM_CONNECT_KERNEL), 3 cut option values at
 * 512 bytes, carried no getsockopt input (shim_req_optbytes) and no control
 * messages (shim_dgram.ctl_len, SHIM_OP_ERRQUEUE), 4 had no Fast Open
 * (SHIM_OP_FASTOPEN), no socket filters (SHIM_SO_FILTER_PART), no TCP
 * zerocopy completions (SHIM_SO_ZEROCOPY_SENT) and no urgent data
 * (SHIM_OP_ERRQUEUE with MSG_OOB on a stream), 5 had no size check of a
 * datagram before it is sent (SHIM_SO_DGRAM_SIZE), no SHIM_CONNECT_WAIT
 * or SHIM_CONNECT_AGAIN, named accepted connections without their peer's
 * address (shim_accepted_name) and had no SHIM_OP_CONNECTED, 6 had no
 * notice page (SHIM_SO_NOTICE) and no sequence number in error reports,
 * 7 had no SHIM_SO_ERRQ_NOW, no corked datagram in SHIM_SO_DGRAM_SIZE, no
 * SHIM_OP_READERR, completed a TCP MSG_ZEROCOPY send at once
 * (SHIM_SO_ZEROCOPY_SENT) and had no TCP transmit stamps
 * (SHIM_SO_STREAM_MARK), 8 had no UDP_SEGMENT size in SHIM_SO_DGRAM_SIZE
 * and no SHIM_SO_ERRQ_WAKE, 9 told the host SS_CONNECTED with a note
 * (SHIM_OP_CONNECTED) where the pair now carries it (SHIM_PAIR_CONNECTED),
 * had no SHIM_OP_ADOPT and no repair mode (SHIM_SO_REPAIR_SEND,
 * SHIM_SO_REPAIR_PEEK), 10 no SHIM_SCM_STAMP, 11 no SHIM_SO_PAIR_WMEM (its
 * host filled the stack's send buffer whole, the pair on top), 12 no
 * SHIM_CONNECT_NEWPAIR, no SHIM_SO_UNCONNECTED and no SHIM_SO_SKSTATE,
 * 13 answered every CONNECT (no SHIM_CONNECT_NOREPLY), 14 had no
 * SHIM_SO_DGRAM_ROUTE, 15 did not state the host's routing in HELLO's
 * reply (shim_hello_rep.prefix, .gateway), 16 left the holders of a
 * stream's earlier pair on it (no SHIM_NOTICE_NEWPAIR, no SHIM_SO_PAIR),
 * 17 had no SHIM_NOTICE_BROADCAST (each interposer kept SO_BROADCAST as
 * set through it) and no SHIM_NOTICE_CONNECTED, 18 had no shim_dgram.cookie
 * (a datagram written to the pair without the interposer was dropped), 19
 * had one pair of cookies per host, given in HELLO's reply (a process that
 * never said HELLO could not frame a datagram, and every process the host
 * served knew them both), 20 had no SHIM_SO_ARP (SIOCSARP on the stack's
 * device failed ENOTTY), 21 no MSG_MORE in a stream mark
 * (shim_stream_mark.more).
 */
#define SHIM_CTL_VERSION 22
/* How long an interposer waits for a host it started to listen; the host waits as long for it. */
#define SHIM_HOST_START_WAIT_MS 3000
/*
 * The longest socket option value a request carries whole: every value the
 * stack reads with the kernel's default sysctls fits (the largest,
 * MCAST_MSFILTER with igmp_max_msf's 10 sources, is 1424 bytes).
 */
#define SHIM_OPT_MAX	2048
#define SHIM_NOTE_MAX	160  /* a reply's note for the trace */
#define SHIM_STAT_MAX	8192 /* the longest counters text (SHIM_OP_STAT offsets) */
#define SHIM_FILLER_MAX (1u << 24)

enum shim_op {
	SHIM_OP_HELLO = 1,  /* shim_hello -> shim_hello_rep */
	SHIM_OP_CREATE,	    /* shim_create -> hdr.id, shim_create_rep, fd = the app's pair end */
	SHIM_OP_BIND,	    /* shim_addr */
	SHIM_OP_LISTEN,	    /* shim_listen -> fd = AF_UNIX listener (first listen only) */
	SHIM_OP_CONNECT,    /* shim_connect */
	SHIM_OP_SHUTDOWN,   /* shim_shutdown */
	SHIM_OP_GETNAME,    /* shim_getname -> shim_addr */
	SHIM_OP_SETSOCKOPT, /* shim_sockopt with optlen bytes of optval */
	SHIM_OP_GETSOCKOPT, /* shim_sockopt without optval (optlen = room) -> shim_sockopt */
	SHIM_OP_IOCTL,	    /* shim_ioctl -> shim_ioctl (arg = the int result) */
	SHIM_OP_GETERR,	    /* no payload; hdr.ret = -(pending socket error), cleared */
	SHIM_OP_CLOSE,	    /* no payload, no reply: the application closed a copy */
	SHIM_OP_STAT,	    /* shim_stat -> shim_stat_rep */
	SHIM_OP_ERRQUEUE,   /* shim_errqueue -> shim_errqueue_rep: recvmsg(MSG_ERRQUEUE) */
	SHIM_OP_FASTOPEN,   /* shim_fastopen with len bytes of data -> shim_fastopen_rep */
	/*
	 * No payload: a stream read found the pair's EOF. hdr.ret = 1 when the
	 * peer's FIN came first (tcp_recvmsg's SOCK_DONE: the read is EOF and
	 * an error that followed, e.g. a reset in CLOSE_WAIT, stays pending for
	 * SO_ERROR and the next write); else as GETERR.
	 */
	SHIM_OP_READERR,
	/*
	 * shim_adopt, hdr.id one of the ids the connection's last CREATE
	 * reserved (shim_create_rep), in order; no reply. The fds are the
	 * application's pair end, already bound to shim_sock_name('a', host
	 * pid, hdr.id, shim_adopt.nonce), and the host's: a socket() the
	 * interposer answers without waiting (README "Connection rate").
	 */
	SHIM_OP_ADOPT,
	SHIM_OP_MAX,
};

struct shim_hdr {
	uint16_t version; /* SHIM_CTL_VERSION (in HELLO: the client's highest) */
	uint16_t op;	  /* enum shim_op; a reply repeats its request's */
	uint32_t len;	  /* the whole message, this header included */
	uint32_t id;	  /* the socket (0 for HELLO, CREATE, STAT requests) */
	int32_t ret;	  /* replies: >= 0 success, < 0 = -errno; requests: 0 */
};

struct shim_hello {
	uint16_t min_version, max_version; /* the versions the client can speak */
	uint32_t pad;
};

/*
 * The host's routing: the interposer answers some calls itself (a first
 * connect's SHIM_CONNECT_NOREPLY, a datagram's ENETUNREACH, route and
 * address dumps) and must answer them as the host routes, whatever the
 * process's own SOCKSHIM_ADDR prefix and SOCKSHIM_GATEWAY say.
 */
struct shim_hello_rep {
	uint32_t version; /* the one the host chose */
	int32_t host_pid;
	uint32_t gateway; /* network order, 0 = none */
	uint32_t prefix;  /* of the stack's subnet, 1-32 */
};

struct shim_create {
	int32_t type; /* SOCK_STREAM ... without flags */
	int32_t protocol;
};

/*
 * Ids a connection may use for SHIM_OP_ADOPT, in order: the next
 * SHIM_ADOPT_IDS the host would have given, kept for it until its next
 * CREATE (whose reply reserves the next ones) or its end.
 */
#define SHIM_ADOPT_IDS 64
struct shim_create_rep {
	uint32_t ids_first, ids_count;
	/*
	 * A datagram socket's cookies (0 for a stream), as its fd tells them,
	 * in halves (low first, shim_cookie_get): the payloads keep 4-byte
	 * alignment.
	 */
	uint32_t tx_cookie[2], rx_cookie[2];
};

struct shim_adopt {
	int32_t type; /* as shim_create */
	int32_t protocol;
	/*
	 * The interposer's nonce for the names shim_sock_name makes (a datagram
	 * socket's rx cookie), in halves: the payloads keep 4-byte alignment.
	 */
	uint32_t nonce_lo, nonce_hi;
	/* A datagram socket's tx cookie, set on its end already (0 for a stream). */
	uint32_t tx_cookie[2];
};

struct shim_addr {
	uint32_t addrlen; /* as the application passed it; only a sockaddr_in travels */
	struct sockaddr_in addr;
};

#define SHIM_CONNECT_UNSPEC 1 /* connect(AF_UNSPEC): disconnect */
/*
 * The caller waits for the handshake (a blocking connect): once it is
 * done the socket is SS_CONNECTED, as __inet_stream_connect leaves it.
 * A non-blocking connect leaves SS_CONNECTING until connect is called again.
 */
#define SHIM_CONNECT_WAIT 2
/*
 * A non-blocking connect's SS_CONNECTING ends at the application's next
 * connect(), which __inet_stream_connect answers 0 once the handshake is
 * done (then EISCONN). The interposer answers that one itself when the pair
 * shows the connection up, and records that it did on the pair: the
 * application's end gets SO_PRIORITY SHIM_PAIR_CONNECTED (a priority means
 * nothing to an AF_UNIX socket, and the application's own SO_PRIORITY is the
 * emulated socket's). Every process holding the fd shares that socket, so
 * the host, handling the next request about an SS_CONNECTING stream, reads
 * the mark from the fd that proves it, goes SS_CONNECTED and clears it. A
 * note to the host instead cost each client connection a host wake-up.
 */
#define SHIM_PAIR_CONNECTED 1
/*
 * FASTOPEN on a socket past connect(): no data, the answer of
 * tcp_sendmsg_fastopen (EOPNOTSUPP, EALREADY, EISCONN); 0 says the data
 * goes through the pair as any write.
 */
#define SHIM_CONNECT_AGAIN 4
/*
 * No reply: the interposer answered EINPROGRESS itself (a blocking connect
 * waits on the pair), having known every synchronous error the connect
 * could have (README "Connection rate": a fresh socket of this process, a
 * routed unicast destination off the stack's own addresses). Should the
 * stack fail it all the same (no ephemeral port free), the error is the
 * connection's outcome: SO_ERROR, the pair hung up.
 */
#define SHIM_CONNECT_NOREPLY 8

struct shim_connect {
	struct shim_addr to;
	uint32_t filler; /* stream: filler bytes the interposer wrote into the pair */
	uint32_t flags;	 /* SHIM_CONNECT_* */
};

/*
 * A CONNECT reply's ret when the destination is in 127.0.0.0/8 and no stack
 * socket has that port (the Onload rule, README "Loopback"): the host did
 * not connect; the interposer turns the fd into a kernel socket described
 * by rep.handoff and lets the kernel connect it. The host forgets the
 * socket when the application's pair end goes.
 */
#define SHIM_CONNECT_KERNEL 1
/*
 * A CONNECT reply's ret for a stream whose pair closed with its last
 * connection (a disconnect, a failed connect) and is TCP_CLOSE again: the
 * host did not connect; the reply carries the application's end of a new
 * pair, which the interposer puts in place of the old one before it asks
 * again (filler and all), as for a fresh socket.
 */
#define SHIM_CONNECT_NEWPAIR 2

#define SHIM_HANDOFF_ADDR   0x1 /* bound to handoff.bound's address */
#define SHIM_HANDOFF_PORT   0x2 /* bound to handoff.bound's port */
#define SHIM_HANDOFF_SNDBUF 0x4 /* SO_SNDBUF was set: carry it */
#define SHIM_HANDOFF_RCVBUF 0x8 /* SO_RCVBUF was set: carry it */

struct shim_handoff {
	struct shim_addr bound; /* the local address (getsockname) */
	int32_t type;		/* SOCK_STREAM or SOCK_DGRAM */
	int32_t protocol;	/* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE */
	uint32_t locks;		/* SHIM_HANDOFF_* */
};

struct shim_listen {
	int32_t backlog;
};

struct shim_shutdown {
	int32_t how;
};

struct shim_getname {
	uint32_t peer; /* 0 getsockname, 1 getpeername */
};

struct shim_sockopt {
	int32_t level, optname;
	/*
	 * set: the caller's length, of which optval carries the first
	 * SHIM_OPT_MAX bytes; get request: room, optval the input the kernel
	 * reads (shim_getsockopt_input); get reply: bytes.
	 */
	uint32_t optlen;
	uint8_t optval[SHIM_OPT_MAX];
};

struct shim_ioctl {
	uint32_t cmd;
	int32_t arg; /* reply: the int the kernel would store */
};

struct shim_stat {
	uint32_t offset;
};

struct shim_errqueue {
	uint32_t len;  /* the application's buffer: the most data it takes */
	int32_t flags; /* its recvmsg flags (MSG_PEEK, MSG_TRUNC) */
};

/*
 * One entry of the error queue: the data, then the control messages
 * (struct cmsghdr as the kernel lays them out) in buf; hdr.ret is what
 * recvmsg returns.
 */
#define SHIM_ERRQ_BUF (SHIM_OPT_MAX - 20)
struct shim_errqueue_rep {
	uint32_t msg_flags;
	uint32_t data_len, ctl_len; /* bytes of buf: data_len of data, then ctl_len of cmsgs */
	uint32_t left;		    /* entries are left on the queue after this one */
	struct sockaddr_in name;    /* sin_family 0: none */
	uint8_t buf[SHIM_ERRQ_BUF];
};

/* SHIM_OP_FASTOPEN: connect() carrying data for the SYN (tcp_sendmsg_fastopen). */
#define SHIM_FASTOPEN_MAX (SHIM_OPT_MAX - 20) /* beyond any MSS less 40 on a 1500 MTU */
struct shim_fastopen {
	struct shim_connect conn; /* first: the same place as shim_req.connect */
	uint32_t len;		  /* bytes of data */
	uint8_t data[SHIM_FASTOPEN_MAX];
};

struct shim_fastopen_rep {
	uint32_t copied; /* bytes the SYN took */
};

struct shim_stat_rep {
	uint32_t total; /* the whole text's length */
	uint32_t len;	/* bytes of it in text, from the request's offset */
	char text[SHIM_OPT_MAX];
};

struct shim_req {
	struct shim_hdr hdr;
	union {
		struct shim_hello hello;
		struct shim_create create;
		struct shim_adopt adopt;
		struct shim_addr bind;
		struct shim_listen listen;
		struct shim_connect connect;
		struct shim_shutdown shutdown;
		struct shim_getname getname;
		struct shim_sockopt sockopt;
		struct shim_ioctl ioctl;
		struct shim_stat stat;
		struct shim_errqueue errqueue;
		struct shim_fastopen fastopen;
	};
};

struct shim_rep {
	struct shim_hdr hdr;
	union {
		struct shim_hello_rep hello;
		struct shim_create_rep create;
		struct shim_addr name;
		struct shim_sockopt sockopt;
		struct shim_ioctl ioctl;
		struct shim_stat_rep stat;
		struct shim_handoff handoff;
		struct shim_errqueue_rep errqueue;
		struct shim_fastopen_rep fastopen;
	};
	char note[SHIM_NOTE_MAX]; /* what the host did, for the trace (e.g. "inetsw exact: UDP") */
};

/* The layout is the contract: it must not move under either side. */
_Static_assert(sizeof(struct shim_hdr) == 16, "shim_hdr");
_Static_assert(sizeof(struct shim_hello) == 8, "shim_hello");
_Static_assert(sizeof(struct shim_hello_rep) == 16, "shim_hello_rep");
_Static_assert(sizeof(struct shim_create) == 8, "shim_create");
_Static_assert(sizeof(struct shim_create_rep) == 24, "shim_create_rep");
_Static_assert(sizeof(struct shim_adopt) == 24, "shim_adopt");
_Static_assert(sizeof(struct shim_addr) == 20, "shim_addr");
_Static_assert(sizeof(struct shim_connect) == 28, "shim_connect");
_Static_assert(sizeof(struct shim_sockopt) == 12 + SHIM_OPT_MAX, "shim_sockopt");
_Static_assert(sizeof(struct shim_ioctl) == 8, "shim_ioctl");
_Static_assert(sizeof(struct shim_handoff) == 32, "shim_handoff");
_Static_assert(sizeof(struct shim_stat_rep) == 8 + SHIM_OPT_MAX, "shim_stat_rep");
_Static_assert(sizeof(struct shim_errqueue_rep) == 12 + SHIM_OPT_MAX, "shim_errqueue_rep");
_Static_assert(sizeof(struct shim_fastopen) == 12 + SHIM_OPT_MAX, "shim_fastopen");
_Static_assert(offsetof(struct shim_req, create) == sizeof(struct shim_hdr), "payload");
_Static_assert(sizeof(struct shim_req) == 16 + 12 + SHIM_OPT_MAX, "shim_req");
_Static_assert(sizeof(struct shim_rep) == 16 + 12 + SHIM_OPT_MAX + SHIM_NOTE_MAX, "shim_rep");

/*
 * The exact length of a request for op that carries optbytes of option
 * value (shim_req_optbytes); 0 for an unknown op or optbytes beyond
 * SHIM_OPT_MAX.
 */
static inline size_t shim_req_len(unsigned int op, uint32_t optlen)
{
	const size_t h = sizeof(struct shim_hdr);

	switch (op) {
	case SHIM_OP_HELLO:
		return h + sizeof(struct shim_hello);
	case SHIM_OP_CREATE:
		return h + sizeof(struct shim_create);
	case SHIM_OP_ADOPT:
		return h + sizeof(struct shim_adopt);
	case SHIM_OP_BIND:
		return h + sizeof(struct shim_addr);
	case SHIM_OP_LISTEN:
		return h + sizeof(struct shim_listen);
	case SHIM_OP_CONNECT:
		return h + sizeof(struct shim_connect);
	case SHIM_OP_SHUTDOWN:
		return h + sizeof(struct shim_shutdown);
	case SHIM_OP_GETNAME:
		return h + sizeof(struct shim_getname);
	case SHIM_OP_SETSOCKOPT:
	case SHIM_OP_GETSOCKOPT:
		if (optlen > SHIM_OPT_MAX)
			return 0;
		return h + offsetof(struct shim_sockopt, optval) + optlen;
	case SHIM_OP_IOCTL:
		return h + sizeof(struct shim_ioctl);
	case SHIM_OP_GETERR:
	case SHIM_OP_READERR:
	case SHIM_OP_CLOSE:
		return h;
	case SHIM_OP_STAT:
		return h + sizeof(struct shim_stat);
	case SHIM_OP_ERRQUEUE:
		return h + sizeof(struct shim_errqueue);
	case SHIM_OP_FASTOPEN:
		if (optlen > SHIM_FASTOPEN_MAX)
			return 0;
		return h + offsetof(struct shim_fastopen, data) + optlen;
	}
	return 0;
}

/*
 * TCP repair mode (TCP_REPAIR on, README "How it works"). The pair is the
 * socket's stream, not its queues, so the program's sends and peeks of a
 * stream in repair mode go to the host as requests, where the queue that
 * TCP_REPAIR_QUEUE chose takes them and errors come back as the kernel's.
 *
 * SHIM_SO_REPAIR_SEND at SOL_SOCKET, set: optlen bytes (at most
 * SHIM_OPT_MAX) sent as tcp_sendmsg does in repair mode; ret = the bytes
 * taken or -errno. What went into the receive queue is in the pair (as far
 * as it holds it) when the reply comes.
 *
 * SHIM_SO_REPAIR_PEEK at SOL_SOCKET, get: optval carries a uint32_t offset
 * into the send queue and the reply's a struct shim_repair_peek with the
 * queue peeked (TCP_REPAIR_QUEUE's) and, for the send queue, the bytes
 * from the offset on (ret = their count); -errno as recv(MSG_PEEK) in
 * repair mode without a peek at the receive queue. For TCP_RECV_QUEUE the
 * interposer peeks the pair itself: the host has put what it holds there.
 */
#define SHIM_SO_REPAIR_SEND 0x53480008
#define SHIM_SO_REPAIR_PEEK 0x53480009
#define SHIM_SO_PAIR_TOPUP  0x53480020 /* get, with its input (struct shim_pair_topup_ask) */
struct shim_repair_peek {
	uint32_t queue; /* TCP_RECV_QUEUE or TCP_SEND_QUEUE */
	uint32_t total; /* the send queue's length */
	uint8_t data[];
};
#define SHIM_REPAIR_PEEK_MAX (SHIM_OPT_MAX - sizeof(struct shim_repair_peek))

/*
 * The bytes of the caller's buffer a getsockopt reads before it answers:
 * IP_MSFILTER and MCAST_MSFILTER name the group in the header they fill
 * in. Only the header, as the kernel: the rest may not even be readable.
 * SHIM_SO_REPAIR_PEEK's offset is ours.
 */
static inline uint32_t shim_getsockopt_input(int level, int optname, uint32_t room)
{
	uint32_t n = 0;

	if (level == SOL_IP && optname == IP_MSFILTER)
		n = IP_MSFILTER_SIZE(0);
	else if (level == SOL_IP && optname == MCAST_MSFILTER)
		n = GROUP_FILTER_SIZE(0);
	else if (level == SOL_SOCKET && optname == SHIM_SO_REPAIR_PEEK)
		n = sizeof(uint32_t);
	else if (level == SOL_SOCKET && optname == SHIM_SO_PAIR_TOPUP)
		n = 3 * sizeof(uint32_t); /* struct shim_pair_topup_ask, declared below */
	return n < room ? n : room;
}

/* The option value bytes a (set|get)sockopt request carries, FASTOPEN's data; 0 for other ops. */
static inline uint32_t shim_req_optbytes(const struct shim_req *req)
{
	const struct shim_sockopt *o = &req->sockopt;

	if (req->hdr.op == SHIM_OP_SETSOCKOPT)
		return o->optlen < SHIM_OPT_MAX ? o->optlen : SHIM_OPT_MAX;
	if (req->hdr.op == SHIM_OP_GETSOCKOPT)
		return shim_getsockopt_input(o->level, o->optname, o->optlen);
	if (req->hdr.op == SHIM_OP_FASTOPEN)
		return req->fastopen.len;
	return 0;
}

/* Whether a request is only a note: the host sends nothing back. */
static inline int shim_req_no_reply(const struct shim_req *req)
{
	return req->hdr.op == SHIM_OP_CLOSE || req->hdr.op == SHIM_OP_ADOPT ||
	       (req->hdr.op == SHIM_OP_CONNECT && (req->connect.flags & SHIM_CONNECT_NOREPLY));
}

/* Whether a request of op names a socket (and so must carry its fd). */
static inline int shim_op_has_sock(unsigned int op)
{
	return op != SHIM_OP_HELLO && op != SHIM_OP_CREATE && op != SHIM_OP_STAT;
}

/* Room for one fd passed with a message (SCM_RIGHTS), aligned for cmsghdr. */
union shim_fd_cmsg {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(int))];
};

/* Attaches fd to msg (if fd >= 0) in the room u gives. */
static inline void shim_msg_put_fd(struct msghdr *msg, union shim_fd_cmsg *u, int fd)
{
	struct cmsghdr *cm;

	if (fd < 0)
		return;
	memset(u, 0, sizeof(*u));
	msg->msg_control = u->buf;
	msg->msg_controllen = sizeof(u->buf);
	cm = CMSG_FIRSTHDR(msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
}

/*
 * Prefixes every datagram on a datagram socket's pair. Control messages
 * travel only when there are any, i.e. when the socket asked for them
 * (IP_PKTINFO, IP_RECVTTL, SO_TIMESTAMP, ... one way; IP_TTL, IP_TOS,
 * IP_PKTINFO per message the other): ctl_len bytes of struct cmsghdr
 * records as the kernel lays them out, between this header and the
 * payload. The interposer peeks at the header first only on a socket it
 * saw ask for them (SHIM_F_CMSG), so other datagrams cost nothing more.
 */
struct shim_dgram {
	/*
	 * app->host: the socket's tx cookie, which tells a framed datagram
	 * from a bare one the program wrote past the interposer (io_uring,
	 * write(2)): a bare payload that starts with these 8 bytes is read as
	 * framed, a 2^-64 chance for a program that never saw them (they
	 * never go on the wire, nor to the program's end).
	 * host->app: the socket's rx cookie, never the start of a bare one.
	 */
	uint64_t cookie;
	int32_t err; /* host->app only: != 0 is an error report (e.g. ECONNREFUSED), no payload */
	/*
	 * host->app: MSG_TRUNC if the datagram was cut; on an error report,
	 * MSG_ERRQUEUE if the socket's error queue is not empty.
	 * app->host: send flags.
	 */
	uint32_t flags;
	struct sockaddr_in addr; /* peer; sin_family 0 = none (connected socket) */
	uint32_t orig_len;	 /* host->app: length on the wire; an error report's notice seq */
	uint32_t ctl_len;	 /* bytes of control messages after this header */
};

/*
 * Host->app control message (level SOL_SOCKET) in a datagram's block, never
 * given to the program: what reading this datagram leaves in the socket's
 * sk_stamp for SIOCGSTAMP (sock_recv_cmsgs), an int64_t: the arrival time
 * in ns on the wall clock, or SHIM_STAMP_KEEP when the read leaves it as it
 * was (the stamp went out as SO_TIMESTAMP* instead). A datagram without it
 * leaves 0 in a socket that had no stamp (SK_DEFAULT_STAMP), as the kernel
 * with no stamping asked.
 */
#define SHIM_SCM_STAMP	0x53480100
#define SHIM_STAMP_KEEP INT64_MIN

/* The most control-message bytes one datagram carries either way. */
#define SHIM_DGRAM_CTL_MAX 512

_Static_assert(sizeof(struct shim_dgram) == 40, "shim_dgram");

/*
 * Where a datagram pair's tx cookie lives: the application end's
 * SO_MAX_PACING_RATE, 64 bits that mean nothing to an AF_UNIX socket
 * (pacing is the qdisc's and TCP's), that getsockopt gives any holder of
 * the fd and nothing gives anyone else. The interposer answers the
 * program's own SO_MAX_PACING_RATE from the stack, never from the pair.
 */
#define SHIM_PAIR_TX_COOKIE SO_MAX_PACING_RATE
_Static_assert(sizeof(unsigned long) == sizeof(uint64_t), "SO_MAX_PACING_RATE holds 64 bits");

/* A cookie from its halves in a payload, and back. */
static inline uint64_t shim_cookie_get(const uint32_t half[2])
{
	return (uint64_t)half[1] << 32 | half[0];
}

static inline void shim_cookie_put(uint32_t half[2], uint64_t cookie)
{
	half[0] = (uint32_t)cookie;
	half[1] = (uint32_t)(cookie >> 32);
}

/*
 * Abstract AF_UNIX names (no leading NUL here; callers put it in sun_path[0]).
 * netns is the inode of /proc/self/ns/net, so stacks in different
 * namespaces never meet.
 */
static inline int shim_ctl_name(char *buf, size_t len, unsigned long netns, const char *iface,
				const char *addr)
{
	return snprintf(buf, len, "sockshim/ctl/%lu/%s/%s", netns, iface, addr);
}

/*
 * The names of a socket's AF_UNIX ends: "sockshim/<kind>/<host pid>/<id>/<nonce>",
 * kind 'a' (a pair's application end), 'l' (a listener) or 's' (the host's
 * end of an accepted connection). The nonce is 64 random bits of the host's
 * for that socket: anyone can bind an abstract name first, and a name one
 * cannot guess cannot be taken before the host binds it. A datagram pair's
 * 'a' nonce is its rx cookie too.
 */
static inline int shim_sock_name(char *buf, size_t len, char kind, int host_pid, uint32_t id,
				 uint64_t nonce)
{
	return snprintf(buf, len, "sockshim/%c/%d/%u/%016llx", kind, host_pid, id,
			(unsigned long long)nonce);
}

/*
 * A host end's name that carries an IPv4 peer: shim_sock_name(kind) and then
 * "/<address>/<port>" of the peer in hex.
 */
static inline int shim_sock_name_peer(char *buf, size_t len, char kind, int host_pid, uint32_t id,
				      uint64_t nonce, const struct sockaddr_in *peer)
{
	int n = shim_sock_name(buf, len, kind, host_pid, id, nonce);

	if (n < 0 || (size_t)n >= len)
		return n;
	return n + snprintf(buf + n, len - (size_t)n, "/%08x/%04x",
			    (unsigned int)ntohl(peer->sin_addr.s_addr),
			    (unsigned int)ntohs(peer->sin_port));
}

/*
 * The host's end of an accepted connection: kind 's' with its TCP peer,
 * which accept() hands the program as inet_accept does (the peer as the
 * connection was accepted, even if it is gone since) without asking the
 * host.
 */
static inline int shim_accepted_name(char *buf, size_t len, int host_pid, uint32_t id,
				     uint64_t nonce, const struct sockaddr_in *peer)
{
	return shim_sock_name_peer(buf, len, 's', host_pid, id, nonce, peer);
}

/*
 * The host's end of a UDP socket's pair, named when the host first finds
 * the socket connected: kind 'd' with its peer then. That peer, fixed for
 * the socket's life, is the source of every datagram the host writes to
 * the pair without a header (payload alone, as the kernel's recv gives it
 * to io_uring and to a program without the interposer); the interposer's
 * recvfrom reads it with getpeername on the program's end, which names the
 * host's.
 */
static inline int shim_bare_peer_name(char *buf, size_t len, int host_pid, uint32_t id,
				      uint64_t nonce, const struct sockaddr_in *peer)
{
	return shim_sock_name_peer(buf, len, 'd', host_pid, id, nonce, peer);
}

/*
 * The kind, host pid and id of such a name (n bytes, not NUL-terminated, as
 * in sun_path after its leading NUL), its nonce (if nonce is not NULL), and
 * for kinds 's' and 'd' the peer (if peer is not NULL); 0, or -1 if it is
 * not one.
 */
static inline int shim_sock_name_parse_full(const char *path, size_t n, char *kind,
					    unsigned int *host_pid, uint32_t *id, uint64_t *nonce,
					    struct sockaddr_in *peer)
{
	char name[sizeof(((struct sockaddr_un *)0)->sun_path)];
	unsigned long long nc;
	unsigned int addr, port;
	int end = 0, tail = 0;

	if (n >= sizeof(name))
		return -1;
	memcpy(name, path, n);
	name[n] = 0;
	if (sscanf(name, "sockshim/%c/%u/%u/%16llx%n", kind, host_pid, id, &nc, &end) != 4)
		return -1;
	if (nonce)
		*nonce = nc;
	if (*kind != 's' && *kind != 'd')
		return (size_t)end == n ? 0 : -1;
	if (sscanf(name + end, "/%8x/%4x%n", &addr, &port, &tail) != 2 || (size_t)(end + tail) != n)
		return -1;
	if (peer)
		*peer = (struct sockaddr_in){.sin_family = AF_INET,
					     .sin_port = htons((uint16_t)port),
					     .sin_addr.s_addr = htonl(addr)};
	return 0;
}

static inline int shim_sock_name_parse(const char *path, size_t n, char *kind,
				       unsigned int *host_pid, uint32_t *id)
{
	return shim_sock_name_parse_full(path, n, kind, host_pid, id, NULL, NULL);
}

/*
 * The n-th connection that carries a kernel loopback socket to a listener:
 * kind 'k' in the same form, so that the interposer parses it as the others
 * and nobody can bind it first to make the host drop the connection.
 */
static inline int shim_kconn_name(char *buf, size_t len, int host_pid, uint32_t n, uint64_t nonce)
{
	return shim_sock_name(buf, len, 'k', host_pid, n, nonce);
}

/*
 * Socket filters (SO_ATTACH_FILTER, SO_GET_FILTER). The program lies in the
 * caller's memory (struct sock_fprog points to it) and may be BPF_MAXINSNS
 * instructions (32 KiB) long, more than one request carries, so it travels
 * in parts as the value of SHIM_SO_FILTER_PART at SOL_SOCKET, a name the
 * kernel does not use. Set: the parts in order; the host answers each and
 * attaches the program at the last (errors of the whole program come
 * then), SHIM_FILTER_NULL asks for the kernel's answer to a program
 * without instructions (NULL, empty or too long), SHIM_FILTER_FAULT says
 * the caller's instructions from first on were unreadable. Get: optlen is
 * the number of the part asked for; the reply is that part (len 0: no
 * filter attached).
 */
#define SHIM_SO_FILTER_PART 0x53480001
#define SHIM_FILTER_NULL    1
#define SHIM_FILTER_FAULT   2
struct shim_filter_part {
	uint16_t len;	 /* the program's instructions (sock_fprog.len) */
	uint16_t first;	 /* the index of the first instruction here */
	uint16_t count;	 /* instructions here */
	uint16_t flags;	 /* SHIM_FILTER_* */
	uint8_t insns[]; /* count struct sock_filter, 8 bytes each */
};
#define SHIM_FILTER_INSN 8
#define SHIM_FILTER_PART ((SHIM_OPT_MAX - sizeof(struct shim_filter_part)) / SHIM_FILTER_INSN)

/*
 * A UDP datagram about to go into the pair is larger than the smallest
 * MTU the interposer knows of, on a socket that may keep DF set
 * (IP_PMTUDISC_DO, PROBE): set with this value, the host checks it as
 * udp_sendmsg would (__ip_append_data's EMSGSIZE, queued for IP_RECVERR
 * too) and answers 0 or -EMSGSIZE, so that send() fails as the kernel's
 * does instead of the host dropping it later. On a socket with a corked
 * datagram (UDP_CORK, MSG_MORE) the check is of that datagram grown by
 * len (its destination, the IP maximum or the MTU its socket keeps to),
 * and a failure drops it, as udp_sendmsg flushes the pending frames. The
 * reply's optval holds a struct shim_dgram_size_rep.
 */
#define SHIM_SO_DGRAM_SIZE 0x53480003
struct shim_dgram_size {
	struct sockaddr_in to; /* sin_family 0: the connected peer */
	uint32_t len;	       /* payload bytes */
	int32_t gso_size;      /* the send's UDP_SEGMENT message, -1: none (the socket's) */
};
struct shim_dgram_size_rep {
	/* The IP length up to which no datagram needs asking about: no path MTU goes lower. */
	uint32_t floor;
	uint32_t errq; /* the error queue holds an entry now (sock_poll's ERR) */
};

/*
 * Set with no value on a datagram socket: the host sends what the pair
 * holds (as before every request), and answers 1 if the socket's error
 * queue holds an entry then (sock_poll's ERR), else 0. The interposer asks
 * after a stamped or MSG_ZEROCOPY send, whose entry the kernel has queued
 * by the time send() returns when the frame leaves at once.
 */
#define SHIM_SO_ERRQ_NOW 0x53480006

/*
 * The notice page: what the host has to tell a program about a socket out
 * of band of the pair's data (README "How it works"). One memfd per host
 * of slots (64-bit words), written only by the host, sealed against new
 * writable mappings (F_SEAL_FUTURE_WRITE) and mapped read-only by the
 * interposers. A socket's word is at slot id % slots and is its own only
 * while it holds its id (a colliding later socket gets none: the
 * interposer then goes by the pair alone). The host makes as many slots as
 * it may have fds (a power of two from SHIM_NOTICE_SLOTS_MIN to
 * SHIM_NOTICE_SLOTS_MAX), since every live socket but a zombie holds one of
 * its fds: each then has a word of its own. The interposer reads the
 * count from the memfd's size, SHIM_NOTICE_LEN(slots). Its bits: the id, the
 * sequence number of the last error report, that report's errno,
 * SHIM_NOTICE_ERR while that report is the socket's pending error (sk_err)
 * nobody has taken yet, and whether the error queue holds an entry. An error report in the pair
 * whose sequence number is not the word's pending one was taken already (out of order, as
 * sock_error takes sk_err before any queued datagram) and is skipped.
 *
 * An entry that comes to an empty error queue (a transmit stamp, a
 * completion) with no error to report sets SHIM_NOTICE_ERRQ_NOW, and the
 * host wakes the pair with a void report: an error report with sequence
 * number 0, never pending, which the interposer drops.
 *
 * SHIM_SO_NOTICE at SOL_SOCKET: get (optlen 0) answers with the memfd as
 * the reply's fd; set with a uint32_t sequence number takes the pending
 * error of that report (ret = its errno, 0 if it is no longer pending).
 */
#define SHIM_SO_NOTICE	      0x53480004
#define SHIM_NOTICE_SLOTS_MIN 65536u
#define SHIM_NOTICE_SLOTS_MAX (1u << 24) /* 128 MiB of address space, touched as used */
/*
 * After the slots, the host's own words: SHIM_NOTICE_PORTS(slots) holds how many
 * ephemeral ports a TCP connect() would find free at least
 * (inet_connect_ports_spare), as of the last request that could take one.
 * The interposer sends a connect without waiting for the answer
 * (SHIM_CONNECT_NOREPLY) only while that is above SHIM_NOTICE_PORTS_SPARE,
 * room for the connects of every process in flight to the host meanwhile:
 * the port search cannot fail then.
 */
#define SHIM_NOTICE_PORTS(slots) (slots)
#define SHIM_NOTICE_PORTS_SPARE	 1024u
#define SHIM_NOTICE_LEN(slots)	 (((size_t)(slots) + 8) * sizeof(uint64_t))
#define SHIM_NOTICE_ERR		 1u
#define SHIM_NOTICE_ERRQ	 2u /* ... and the error queue held an entry at the report */
/* The error queue holds an entry now (sock_poll's ERR), whatever the reports say. */
#define SHIM_NOTICE_ERRQ_NOW 4u
/* SO_SELECT_ERR_QUEUE is on (a datagram socket's): datagram_poll's ERR comes with PRI. */
#define SHIM_NOTICE_SELERR  8u
#define SHIM_NOTICE_SKSTATE 16u /* the socket has a SHIM_SO_SKSTATE page */
/*
 * A stream that connect() gave a new pair (SHIM_CONNECT_NEWPAIR) while the
 * end of an earlier one may still be held elsewhere (fork, SCM_RIGHTS): a
 * holder that finds its pair hung up takes the current one (SHIM_SO_PAIR).
 */
#define SHIM_NOTICE_NEWPAIR 32u
/*
 * A datagram socket's SO_BROADCAST (SOCK_BROADCAST), which a send to a
 * broadcast address checks in the interposer: the socket's, whichever
 * process set it. Written at each setsockopt; a socket whose word is not
 * its own has the send ask the host (SO_BROADCAST get).
 */
#define SHIM_NOTICE_BROADCAST 64u
/*
 * A stream was connected (it left SS_UNCONNECTED at a CONNECT) since the
 * host last answered SHIM_SO_UNCONNECTED with 1: a holder that still takes
 * it for never connected (the connect was another process's) asks again.
 */
#define SHIM_NOTICE_CONNECTED 128u
/* What belongs to the last report (the rest is the socket's). */
#define SHIM_NOTICE_REPORT   (SHIM_NOTICE_ERR | SHIM_NOTICE_ERRQ)
#define SHIM_NOTICE_FLAGS    0xffu
#define SHIM_NOTICE_ERRNO(w) ((int)(((w) >> 8) & 0xff))
#define SHIM_NOTICE_SEQ(w)   ((uint32_t)(((w) >> 16) & 0xffff))
#define SHIM_NOTICE_ID(w)    ((uint32_t)((w) >> 32))

static inline uint64_t shim_notice_word(uint32_t id, uint32_t seq, int err, unsigned int flags)
{
	return (uint64_t)id << 32 | (uint64_t)(seq & 0xffff) << 16 | (uint64_t)(err & 0xff) << 8 |
	       (flags & SHIM_NOTICE_FLAGS);
}

/* The slot count of a notice page of len bytes, or 0 if no host makes one so. */
static inline uint32_t shim_notice_slots_of(uint64_t len)
{
	uint64_t slots = len / sizeof(uint64_t) - 8;

	if (len % sizeof(uint64_t) || len < SHIM_NOTICE_LEN(SHIM_NOTICE_SLOTS_MIN) ||
	    slots > SHIM_NOTICE_SLOTS_MAX || (slots & (slots - 1)))
		return 0;
	return (uint32_t)slots;
}

/*
 * A TCP or UDP socket: inet_create checks no privilege for it (raw sockets
 * need CAP_NET_RAW, ping sockets the group range, a plugin's may check
 * anything), so neither side reads capabilities or groups to create one
 * (in the host a /proc/PID/status read, the biggest part of a new
 * connection's cost there after the round trip). type without flags.
 */
static inline int shim_create_unprivileged(int type, int protocol)
{
	if (type == SOCK_STREAM)
		return protocol == 0 || protocol == IPPROTO_TCP;
	if (type == SOCK_DGRAM)
		return protocol == 0 || protocol == IPPROTO_UDP;
	return 0;
}

/*
 * A TCP send that the kernel would mark (SO_TIMESTAMPING transmit stamps,
 * per socket or per send, or MSG_ZEROCOPY with SO_ZEROCOPY) or cork
 * (MSG_MORE: tcp_push's TCP_NAGLE_CORK, which only the host can apply to
 * the bytes the pair brings it), set with a
 * struct shim_stream_mark around the write into the pair: BEGIN before it,
 * with the bytes offered, tells the host where the send will end in the
 * stream (before it can read them: its own bytes are all the pair holds
 * behind those already written), and the reply's optval holds a struct
 * shim_stream_mark_rep; DONE after it, with what the write took, moves the
 * end back or drops the mark, sends what the pair holds, and answers again
 * (so that SCHED and SND stamps are queued before send() returns, as on
 * the kernel's veth).
 */
#define SHIM_SO_STREAM_MARK 0x53480005
#define SHIM_MARK_BEGIN	    0
#define SHIM_MARK_DONE	    1
struct shim_stream_mark {
	uint32_t phase;	   /* SHIM_MARK_* */
	uint32_t len;	   /* BEGIN: bytes offered; DONE: as BEGIN said */
	uint32_t taken;	   /* DONE: bytes the write took */
	uint32_t end_seq;  /* DONE: BEGIN's answer */
	int32_t tsflags;   /* the send's SO_TIMESTAMPING control message, -1: none (the socket's) */
	uint32_t zerocopy; /* MSG_ZEROCOPY on a socket with SO_ZEROCOPY */
	uint32_t more;	   /* MSG_MORE */
};
struct shim_stream_mark_rep {
	uint32_t end_seq; /* where the send ends (the mark's name) */
	uint32_t errq;	  /* the error queue holds an entry now (sock_poll's ERR) */
};

/*
 * errwake: the wake-up of a stream's readiness calls for an entry queued on
 * its error queue later (an ACK stamp, a zerocopy completion), which the
 * pair cannot give. Get (optlen 0) on a stream answers with an eventfd as
 * the reply's fd, the same one for every ask: readable while the error
 * queue holds an entry (the notice word's SHIM_NOTICE_ERRQ_NOW is set
 * first), written again at each look of the host that found new
 * sk_error_report calls (an edge per report), read back to 0 by the host
 * when the queue is empty. The interposer only polls it, never reads it.
 */
#define SHIM_SO_ERRQ_WAKE 0x53480007

/*
 * A stream's send buffer is the stack's write queue and, in front of it,
 * the program's end of the pair: SO_SNDBUF bounds the two together, as the
 * kernel's bounds its one queue (tcp_sendmsg waits once sk_wmem_queued
 * reaches sk_sndbuf), so that a write blocks, and poll and EAGAIN turn,
 * where the kernel's would. The interposer gives its end the sk_sndbuf
 * shim_pair_wmem() names, and the host leaves shim_pair_reserve() of the
 * socket's sk_sndbuf for what that pair can hold, taking bytes into the
 * write queue only below the rest.
 *
 * The pair and the one skb its writer may allocate past its own buffer
 * (shim_pair_reserve) get half the buffer, so about a third is the pair's
 * sk_sndbuf: at least two skbs of the least buffer (so that the filler's
 * least size, SHIM_FILL_SNDBUF_MAX, is never taken for it), at most
 * SHIM_PAIR_WMEM_MAX. The stack keeps the other half, room for a window in
 * flight, and a write blocks at what the kernel's would, however the
 * program's writes fell into skbs. The pair's POLLOUT (unix_writable: a
 * quarter of it used) opens with about 40% of the buffer free, near the
 * kernel's third (sk_stream_is_writeable). A buffer never set with
 * SO_SNDBUF is autotuned (tcp_sndbuf_expand: tens of KB once connected,
 * growing with the window): its pair starts at SHIM_PAIR_WMEM_AUTO, within
 * the share of the least connected size, with no request, and grows as the
 * interposer asks again while the program writes (shim_pair_grow; at once
 * for a write the pair took short, SHIM_SO_PAIR_TOPUP), up to
 * SHIM_PAIR_WMEM_MAX, where a bulk sender's pair must be to move as much
 * per wake-up as before.
 *
 * SHIM_SO_PAIR_WMEM at SOL_SOCKET, get: the socket's shim_pair_wmem() as an
 * int, with SHIM_PAIR_WMEM_FINAL set when it will not change by itself
 * (SO_SNDBUF was set: an accepted socket inherits its listener's,
 * tcp_create_openreq_child) or is at its largest.
 */
#define SHIM_SO_PAIR_WMEM    0x5348000a
#define SHIM_PAIR_WMEM_FINAL 1 /* the sizes are even */
#define SHIM_PAIR_WMEM_AUTO  24576
#define SHIM_PAIR_WMEM_MAX   212992	    /* net.core.wmem_default's usual value */
#define SHIM_PAIR_WMEM_LEAST 9216	    /* 2 * SOCK_MIN_SNDBUF on x86-64 */
#define SHIM_PAIR_SKB_MAX    (3776 + 32768) /* a page's head and 32 KiB of fragments */

/*
 * The skb an AF_UNIX writer may allocate past a pair's buffer w: it
 * allocates while below its sk_sndbuf (unix_stream_sendmsg: half the buffer
 * less 64 bytes, at most SHIM_PAIR_SKB_MAX).
 */
static inline int shim_pair_skb(int w)
{
	return w / 2 - 64 < SHIM_PAIR_SKB_MAX ? w / 2 - 64 : SHIM_PAIR_SKB_MAX;
}

/* The largest even w whose shim_pair_skb() past it stays within half of sk_sndbuf. */
static inline int shim_pair_wmem(int sk_sndbuf)
{
	long half = sk_sndbuf / 2;
	long w = half - SHIM_PAIR_SKB_MAX >= 2L * (SHIM_PAIR_SKB_MAX + 64)
			 ? half - SHIM_PAIR_SKB_MAX
			 : (half + 64) * 2 / 3;

	w &= ~1L;
	return w < SHIM_PAIR_WMEM_LEAST ? SHIM_PAIR_WMEM_LEAST
	       : w > SHIM_PAIR_WMEM_MAX ? SHIM_PAIR_WMEM_MAX
					: (int)w;
}

/*
 * What the pair may hold: its buffer and the skb past it, never more than
 * half (a buffer so small that the pair's least is more than its share
 * may hold that much more than SO_SNDBUF). An autotuned pair not grown yet
 * holds less: the stack's part is then smaller than it could be.
 */
static inline int shim_pair_reserve(int sk_sndbuf)
{
	int w = shim_pair_wmem(sk_sndbuf), held = w + shim_pair_skb(w);

	return held < sk_sndbuf / 2 ? held : sk_sndbuf / 2;
}

/*
 * A write to a stream that the pair took short (EAGAIN included): the
 * kernel's tcp_sendmsg would have gone on copying into its one queue until
 * sk_wmem_queued reached sk_sndbuf, where ours stopped at the pair's own
 * buffer, however much room the stack's part still had (a fresh
 * connection's first write of 100 KiB: the pair's 24 KiB, the kernel's
 * 78 KB). SHIM_SO_PAIR_TOPUP (get, with a struct shim_pair_topup_ask as
 * input) moves what the pair holds into the stack as far as the buffer
 * takes it (stackd_stream_sync), the writer counting as one that found its
 * buffer full (SOCK_NOSPACE) if the stack's part fills with bytes still in
 * the pair or the write is longer than the most it may take, and answers with the pair's size now
 * (as SHIM_SO_PAIR_WMEM), the room the stack's part has left (positive: the pair is empty, the
 * write goes on; else the write fills the pair once more and returns), and
 * at the write's first ask the most it may take: what SO_SNDBUF leaves
 * beside the bytes queued before it (its own, done, aside). So ACKs that
 * come meanwhile free room for the next write, not this one, as the
 * kernel's socket lock keeps them in its backlog while tcp_sendmsg copies.
 */
struct shim_pair_topup_ask {
	uint32_t first; /* the write's first ask */
	uint32_t done;	/* bytes of it the pair took before */
	uint32_t total; /* its length (at most UINT32_MAX): past limit, it finds the buffer full */
};
struct shim_pair_topup {
	int32_t wmem;	/* SHIM_SO_PAIR_WMEM's answer */
	int32_t room;	/* sk_stream_wspace less shim_pair_reserve, or TCP_NOTSENT_LOWAT's room */
	uint32_t limit; /* first ask: the bytes the write may take in all, done included */
};

/*
 * Get on a stream: 1 if the socket is TCP_CLOSE and SS_UNCONNECTED (never
 * connected, disconnected, or its blocking connect failed), else 0. Asked
 * by an interposer that got the socket by exec or SCM_RIGHTS, which cannot
 * tell from the pair alone, or whose record of a never-connected socket the
 * notice word's SHIM_NOTICE_CONNECTED puts in doubt (shim_stream_known);
 * an answer 1 clears that bit.
 */
#define SHIM_SO_UNCONNECTED 0x5348000b

/*
 * Get on a datagram socket: a memfd of SHIM_SKSTATE_SIZE bytes holding what
 * the interposers keep for the socket (SO_PEEK_OFF's offset, sk_stamp, its
 * own IP options: the kernel's struct sock has them), made at the first
 * ask (ret 1 then, else 0) and given to every process that holds the
 * socket and asks, so that the state is the socket's, not one process's.
 * The reply's bytes: the host's notice slot count (uint32_t), which the
 * interposer's table of pages takes its size from (no two live ids share
 * a slot of it; a process without the notice page cannot read it there).
 * The host never reads the page. From its making the socket's notice word
 * carries SHIM_NOTICE_SKSTATE, so that other holders know to ask.
 */
#define SHIM_SO_SKSTATE	  0x5348000c
#define SHIM_SKSTATE_SIZE 4096u

/*
 * Set on a datagram socket with a struct shim_dgram_route: the route
 * lookup of a send to the limited broadcast or a multicast group
 * (ip_route_output_sk: without a gateway it needs a device or source that
 * the socket, as the host keeps it, or the send names), answered 0 or
 * -ENETUNREACH, so that send() fails as the kernel's does instead of the
 * host dropping the datagram later.
 */
#define SHIM_SO_DGRAM_ROUTE 0x5348000d
struct shim_dgram_route {
	uint32_t daddr;	   /* network order */
	int32_t oif;	   /* the send's IP_PKTINFO ipi_ifindex, 0: none */
	uint32_t spec_dst; /* its ipi_spec_dst, network order, 0: none */
};

/*
 * Get on a stream, from a holder of an earlier pair's end (accepted as the
 * socket's, as the kernel's socket is one object whatever the holder):
 * ret 1 with the application's end of the current pair as the reply's fd,
 * which the interposer puts in place of its own; 0 when there is none to
 * take (the socket's pair is the caller's, or hung up too).
 */
#define SHIM_SO_PAIR 0x5348000e

/*
 * Set with a struct shim_arp: SIOCSARP, SIOCGARP or SIOCDARP for the
 * stack's device (its name in arp_dev, or none for an address on the
 * subnet), which only the host's ARP table can answer; the reply's optval
 * is the struct again, its arpreq filled for SIOCGARP. The interposer
 * sends the others to the kernel.
 */
#define SHIM_SO_ARP 0x5348000f
struct shim_arp {
	uint32_t cmd;
	uint32_t fault; /* 1: the caller's arpreq could not be read (EFAULT after EPERM) */
	struct arpreq r;
};

/*
 * Set on a UDP socket whose pair refused a send with EPIPE (shut for
 * writing), with a struct shim_dgram_append: the send's bytes, in parts of
 * up to SHIM_DGRAM_APPEND_MAX, each set with MSG_MORE but the last (the
 * send's own flags). A corked datagram (MSG_MORE, UDP_CORK) takes them as
 * the kernel's does after SHUT_WR (__ip_append_data checks the shutdown
 * only in sock_alloc_send_skb, for a datagram's first skb), and a part
 * without MSG_MORE sends it; ret udp_sendmsg's result, or -EPIPE when no
 * datagram is corked (nothing taken).
 */
#define SHIM_SO_DGRAM_APPEND 0x53480010
struct shim_dgram_append {
	uint32_t flags; /* MSG_* of this part */
	uint8_t data[];
};
#define SHIM_DGRAM_APPEND_MAX (SHIM_OPT_MAX - sizeof(struct shim_dgram_append))

#endif
