/* SPDX-License-Identifier: MIT */
/*
 * The data path. On a connected stream socket every read and write call is
 * the kernel's own call on the AF_UNIX pair (no copy, no lock, no request);
 * only its failures look further: a read that returns 0 or ECONNRESET, or a
 * write that fails with EPIPE or ECONNRESET, asks the host for the socket's
 * pending error (SHIM_OP_GETERR), so that a reset, a refused connection or a
 * timeout reads as ECONNRESET, ECONNREFUSED, ETIMEDOUT like the kernel's TCP.
 *
 * Datagram sockets frame every datagram with struct shim_dgram: sends put
 * the header in front of the caller's buffers with an iovec (no payload
 * copy) and check the destination like udp_sendmsg/raw_sendmsg (the host
 * only sees the datagram later); receives readv into [header | caller's
 * buffers], fill the source address and report MSG_TRUNC and error reports.
 *
 * Control messages of datagram sockets travel in the same framing
 * (shim_dgram.ctl_len, shim_cmsg.c); a stream's are only checked as the
 * kernel checks their buffer and headers. MSG_MORE is the host's to act on
 * (UDP corking in the core).
 *
 * Urgent data is the pair's own out-of-band byte (AF_UNIX_OOB): send and
 * recv with MSG_OOB are the pair's, SIOCATMARK and POLLPRI too; the host
 * answers recv(MSG_OOB) only for a byte it has not put into the pair yet.
 *
 * sendfile() to a datagram socket is read here and sent as the socket's
 * own sends, in the kernel's pipe-sized steps (shim_dgram_sendfile).
 */
#include "shim_lib.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <linux/sockios.h>
#include <netinet/ip_icmp.h>
#include <linux/tcp.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "udp.h" /* udp_cmsg_send: its SOL_UDP messages */
#include "ip.h"	 /* ip_cmsg_send: the kernel's reading of a send's control messages */

/*
 * A connected stream with nothing to remember: the only kind the fast path
 * serves. What only readiness needs (a hang-up seen, the error it left, which
 * a failed read or write takes) does not count.
 */
static inline bool shim_plain_stream(uint64_t e)
{
	uint64_t kind_flags =
		(uint64_t)SHIM_ENT_FLAGS_MASK << SHIM_ENT_FLAGS_SHIFT | SHIM_ENT_KIND_MASK;

	return (e & kind_flags &
		~((uint64_t)(SHIM_F_READINESS_ONLY | SHIM_F_PAIR_GROW | SHIM_F_NONBLOCK)
		  << SHIM_ENT_FLAGS_SHIFT)) == SHIM_STREAM;
}

/* Stream send flags only the stack's path serves: urgent data, Fast Open, MSG_MORE's cork. */
#define SHIM_STREAM_SLOW_SEND (MSG_OOB | MSG_FASTOPEN | MSG_MORE)

/*
 * The application writes to a stream: the send buffer gets its size back
 * first if the connect filler is gone (else the write waits behind it, as
 * on a connecting socket), and an autotuned one may have grown.
 */
static inline void shim_stream_wrote(int fd, uint64_t e)
{
	if (unlikely(e & ((uint64_t)SHIM_F_FILLED << SHIM_ENT_FLAGS_SHIFT)))
		shim_filler_gone(fd);
	else if (unlikely(e & ((uint64_t)SHIM_F_PAIR_GROW << SHIM_ENT_FLAGS_SHIFT)))
		shim_pair_grow(fd, e);
}

static ssize_t shim_neg(ssize_t ret)
{
	return ret < 0 ? -errno : ret;
}

/*
 * Whether a stream read blocks: MSG_WAITALL (whose wait this does not
 * redo), a file last found non-blocking (SHIM_F_NONBLOCK) and a sandboxed
 * process (which makes no system call the program did not make) make the
 * program's own call, untimed.
 */
static inline bool shim_stream_blocks(uint64_t e, int flags)
{
	return !(flags & (MSG_DONTWAIT | MSG_WAITALL)) && !(shim_ent_flags(e) & SHIM_F_NONBLOCK) &&
	       !shim_sandboxed;
}

/* Whether a stream read may spin (shim_wait.c): a blocking one where SOCKSHIM_SPIN_US is set. */
static inline bool shim_stream_spins(uint64_t e, int flags)
{
	return unlikely(shim_cfg.spin_us) && shim_stream_blocks(e, flags);
}

/*
 * A stream read on the pair: the kernel's own call, but where the program
 * spins a blocking one first reads without waiting and, finding the pair
 * empty, spins in shim_stream_wait before it sleeps. A blocking read that
 * sleeps in the kernel's read notes the time first: its EAGAIN may come a
 * jiffy before SO_RCVTIMEO's (shim_stream_early), and then the rest is a
 * ppoll sleep. errno as the kernel's call would leave it.
 */
static ssize_t shim_stream_recvmsg(int fd, uint64_t e, struct msghdr *m, int flags, int err0)
{
	struct shim_wait w = {.id = shim_ent_id(e)};
	bool spin = shim_stream_spins(e, flags);
	int64_t t0 = shim_stream_blocks(e, flags) ? shim_wait_clock() : 0;
	ssize_t ret;
	int err;

	for (;;) {
		if (!spin) {
			ret = shim_real.recvmsg(fd, m, flags);
			if (ret >= 0 || errno != EAGAIN || !t0 || !shim_stream_early(fd, t0, &w))
				return ret;
			spin = true;
		}
		ret = shim_real.recvmsg(fd, m, flags | MSG_DONTWAIT);
		if (ret >= 0) {
			errno = err0;
			return ret;
		}
		if (errno != EAGAIN)
			return ret;
		err = shim_stream_wait(fd, &w);
		if (err > 0) {
			errno = err0;
			spin = false; /* the kernel's read sleeps */
		} else if (err) {
			errno = -err;
			return -1;
		}
	}
}

/* recv() stays recvfrom on the pair where it does not block: a seccomp filter may allow only that.
 */
static inline ssize_t shim_stream_read(int fd, uint64_t e, void *buf, size_t n, int flags, int err0)
{
	struct iovec iov = {buf, n};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};

	if (!shim_stream_blocks(e, flags))
		return shim_real.recv(fd, buf, n, flags);
	return shim_stream_recvmsg(fd, e, &m, flags, err0);
}

/* After a stream read on the pair: EOF or a reset may hide the host's errno. */
static ssize_t shim_stream_rmap(int fd, uint64_t e, ssize_t ret)
{
	int err;

	if (ret == 0 || ret == -ECONNRESET) {
		err = ret ? shim_read_error(fd, e) : shim_eof_error(fd);
		if (err)
			return -err;
		/* The pair's reset stood for an error already collected: EOF now. */
		return 0;
	}
	return ret;
}

/*
 * A stream write found the pair full (EAGAIN, or it took less than asked):
 * tcp_sendmsg sets SOCK_NOSPACE there, so room coming back is a wake-up
 * (SHIM_F_NOSPACE, shim_epoll.c).
 */
static inline void shim_stream_full(int fd, uint64_t e)
{
	if (!(shim_ent_flags(e) & SHIM_F_NOSPACE))
		shim_fd_flags(fd, SHIM_F_NOSPACE, 0);
}

/*
 * A stream write of total bytes that the pair took short (ret: its count,
 * or its error): topped up as far as the stack's part of the buffer takes
 * it (shim_stream_topup); still short, the writer found its buffer full.
 */
static ssize_t shim_stream_short(int fd, uint64_t e, const struct msghdr *m, size_t total,
				 ssize_t ret)
{
	size_t done = ret > 0 ? (size_t)ret : 0;

	if ((ret < 0 && ret != -EAGAIN) || done >= total)
		return ret;
	done += shim_stream_topup(fd, e, m, done, total);
	if (done < total)
		shim_stream_full(fd, e);
	return done ? (ssize_t)done : ret;
}

/* tcp_sendmsg on a socket that is not connected: EPIPE, and SIGPIPE unless told not to. */
static ssize_t shim_epipe(int flags)
{
	if (!(flags & MSG_NOSIGNAL))
		raise(SIGPIPE);
	return -EPIPE;
}

/*
 * After a stream write on the pair, which is always made with MSG_NOSIGNAL
 * (flags: the program's): the pair's EPIPE is not yet tcp_sendmsg's. It
 * may stand for the connection's error (sk_stream_error returns
 * sock_error() then, with no signal) or be an earlier pair's end that the
 * caller follows before this (the write is made again on the socket's
 * current pair, as the kernel's one socket would take it); only an EPIPE
 * that stays raises SIGPIPE, unless the program said MSG_NOSIGNAL.
 */
static ssize_t shim_stream_wmap(int fd, uint64_t e, ssize_t ret, int flags)
{
	int err;

	if (ret == -EAGAIN)
		shim_stream_full(fd, e);

	if (ret == -EPIPE || ret == -ECONNRESET) {
		err = shim_pending_error(fd, e);
		if (err)
			return -err;
	}
	return ret == -EPIPE ? shim_epipe(flags) : ret;
}

/*
 * tcp_sendmsg on a TCP_CLOSE socket (sk_stream_wait_connect): the error a
 * disconnect left (kept in the entry) first, without SIGPIPE, then EPIPE.
 */
static ssize_t shim_unconnected_send(int fd, int flags)
{
	int err = shim_fd_err_take(fd);

	return err ? -err : shim_epipe(flags);
}

/* ---- datagrams ---- */

/* ping_common_sendmsg: the caller's ICMP header must start an echo request (type 8, code 0). */
static int shim_ping_check(const struct iovec *iov, size_t cnt)
{
	uint8_t tc[2];
	size_t got = 0;

	for (size_t i = 0; i < cnt && got < sizeof(tc); i++) {
		size_t n = iov[i].iov_len < sizeof(tc) - got ? iov[i].iov_len : sizeof(tc) - got;

		if (n && shim_copy_from_user(tc + got, iov[i].iov_base, n))
			return -EFAULT;
		got += n;
	}
	return tc[0] == ICMP_ECHO && tc[1] == 0 ? 0 : -EINVAL;
}

/* The limited broadcast, or the stack's subnet broadcast unless a /31 or /32 (RFC 3021). */
static bool shim_is_broadcast(const struct shim_route *r, uint32_t daddr)
{
	return daddr == INADDR_BROADCAST ||
	       (r->prefix < 31 && (daddr | r->netmask) == INADDR_BROADCAST &&
		(daddr & r->netmask) == (shim_cfg.addr & r->netmask));
}

/*
 * ip_route_output for a datagram's destination, which the host would run
 * too late to tell the sender: the stack has its subnet and, if configured,
 * a gateway; anything else is ENETUNREACH at once, as from the kernel.
 * Local, broadcast and multicast destinations are the host's to judge.
 * A process with only a socket inherited across exec says HELLO for the
 * host's routing first (shim_route).
 */
static bool shim_dgram_unroutable(uint32_t daddr)
{
	struct shim_route r = shim_route();
	uint32_t a = ntohl(daddr);

	if (!shim_cfg_ok || r.gateway || !daddr || (a >> 24) == 127 || daddr == INADDR_BROADCAST ||
	    IN_MULTICAST(a))
		return false;
	return (daddr & r.netmask) != (shim_cfg.addr & r.netmask);
}

/*
 * The same for the limited broadcast and multicast: without a gateway they
 * are routed only out a device or from a source address that the socket
 * (its bound address, SO_BINDTODEVICE, IP_MULTICAST_IF, IP_UNICAST_IF: the
 * host keeps them) or the send's IP_PKTINFO names (ip_route_output_sk),
 * so such a send asks the host first (a round trip), as udp_sendmsg looks
 * its route up; so does one while the host's gateway is not known. 0 or
 * -ENETUNREACH.
 */
static int shim_dgram_route_check(int fd, uint64_t e, uint32_t daddr, const struct msghdr *m)
{
	struct shim_req req = {.hdr = {.op = SHIM_OP_SETSOCKOPT, .id = shim_ent_id(e)},
			       .sockopt = {.level = SOL_SOCKET,
					   .optname = SHIM_SO_DGRAM_ROUTE,
					   .optlen = sizeof(struct shim_dgram_route)}};
	struct shim_dgram_route r = {.daddr = daddr};
	struct shim_route rt = shim_route();
	struct in_pktinfo pi;
	struct shim_rep rep;

	if (!shim_cfg_ok || (rt.known && rt.gateway) ||
	    (daddr != INADDR_BROADCAST && !IN_MULTICAST(ntohl(daddr))))
		return 0;
	if (shim_cmsg_pktinfo(m->msg_control, m->msg_controllen, &pi)) {
		r.oif = pi.ipi_ifindex;
		r.spec_dst = pi.ipi_spec_dst.s_addr;
	}
	memcpy(req.sockopt.optval, &r, sizeof(r));
	/* A host that cannot answer drops the datagram later, as before. */
	if (shim_ctl_call(&req, &rep, NULL, fd))
		return 0;
	return rep.hdr.ret == -ENETUNREACH ? -ENETUNREACH : 0;
}

/*
 * A datagram socket bound to a loopback address keeps it as every send's
 * source, which __mkroute_output refuses out of any device but lo: the
 * socket's page says so (a page is made for it, shared with every holder).
 */
void shim_dgram_bound(int fd, uint64_t e, uint32_t saddr)
{
	struct shim_sk *sk;

	if ((ntohl(saddr) >> 24) != 127)
		return;
	sk = shim_sk_make(fd, e);
	if (sk)
		sk->lo_source = true;
}

/* The send's source (IP_PKTINFO's ipi_spec_dst, else the bound address) is a loopback one. */
static bool shim_dgram_lo_source(int fd, uint64_t e, const struct msghdr *m)
{
	struct in_pktinfo pi;
	struct shim_sk *sk;

	if (shim_cmsg_pktinfo(m->msg_control, m->msg_controllen, &pi))
		return (ntohl(pi.ipi_spec_dst.s_addr) >> 24) == 127;
	sk = shim_sk_get(fd, e);
	return sk && sk->lo_source;
}

/*
 * The send's device (IP_PKTINFO's ipi_ifindex, else the socket's bound one)
 * is not in the namespace: ip_route_output_key_hash_rcu's ENODEV, at every
 * send, connected or not (the bind reset the socket's cached route).
 */
static int shim_dgram_dev_check(int fd, uint64_t e, const struct msghdr *m)
{
	struct in_pktinfo pi;
	struct shim_sk *sk;

	if (shim_cmsg_pktinfo(m->msg_control, m->msg_controllen, &pi) && pi.ipi_ifindex)
		return shim_dev_index_valid(pi.ipi_ifindex) ? 0 : -ENODEV;
	sk = shim_sk_get(fd, e);
	return sk && sk->bound_dev_gone ? -ENODEV : 0;
}

/* false while the host's routing is not known: the host is asked then. */
bool shim_route_unicast_off_host(uint32_t daddr)
{
	struct shim_route r = shim_route_known();
	uint32_t a = ntohl(daddr);

	if (!shim_cfg_ok || !r.known || !daddr || (a >> 24) == 127 || daddr == shim_cfg.addr ||
	    IN_MULTICAST(a) || shim_is_broadcast(&r, daddr))
		return false;
	return r.gateway || (daddr & r.netmask) == (shim_cfg.addr & r.netmask);
}

/*
 * Path MTU at send (udp_sendmsg's EMSGSIZE): only a socket told
 * IP_MTU_DISCOVER can keep DF on a datagram (DO, PROBE; the sysctl default
 * is WANT or DONT), and no path MTU goes below the floor the host last
 * gave (0: not asked yet). Small datagrams, and every datagram of a
 * process that never chose a mode, go into the pair without a round trip.
 */
static atomic_bool shim_pmtu_chosen;
static _Atomic uint32_t shim_mtu_floor;
/*
 * A corked datagram (UDP_CORK, MSG_MORE) grows with each send, which the
 * host checks as __ip_append_data does, and a UDP_SEGMENT send has
 * udp_send_skb's checks: once a process has corked or set a segment size,
 * every UDP send of it asks first (a round trip each; others pay nothing).
 */
static atomic_bool shim_cork_used;

void shim_dgram_pmtu_chosen(void)
{
	atomic_store_explicit(&shim_pmtu_chosen, true, memory_order_relaxed);
}

void shim_dgram_cork_used(void)
{
	atomic_store_explicit(&shim_cork_used, true, memory_order_relaxed);
}

static int shim_dgram_size_check(int fd, uint64_t e, const struct msghdr *m, size_t total)
{
	struct shim_req req = {.hdr = {.op = SHIM_OP_SETSOCKOPT, .id = shim_ent_id(e)},
			       .sockopt = {.level = SOL_SOCKET,
					   .optname = SHIM_SO_DGRAM_SIZE,
					   .optlen = sizeof(struct shim_dgram_size)}};
	struct shim_dgram_size d = {.len = (uint32_t)total};
	struct shim_dgram_size_rep r;
	struct shim_rep rep;

	if (!atomic_load_explicit(&shim_cork_used, memory_order_relaxed) &&
	    (!atomic_load_explicit(&shim_pmtu_chosen, memory_order_relaxed) ||
	     total + 28 <= atomic_load_explicit(&shim_mtu_floor, memory_order_relaxed)))
		return 0;
	if (m->msg_name) {
		memcpy(&d.to, m->msg_name, sizeof(d.to));
		d.to.sin_family = AF_INET; /* AF_UNSPEC is AF_INET to udp_sendmsg */
	}
	d.gso_size = shim_cmsg_gso(m->msg_control, m->msg_controllen);
	memcpy(req.sockopt.optval, &d, sizeof(d));
	/*
	 * An EMSGSIZE entry comes with a void report, the wake-up of whoever
	 * sleeps on the socket: readiness here must know it for one before the
	 * reply says so (another thread may be woken by it first).
	 */
	if (!(shim_ent_flags(e) & SHIM_F_NOTICED))
		shim_fd_flags(fd, SHIM_F_NOTICED, 0);
	/* No host to ask: the send finds out the same. */
	if (shim_ctl_call(&req, &rep, NULL, fd))
		return 0;
	/* The size checks' answers (udp_send_skb's EINVAL and EIO for a GSO send too). */
	if (rep.hdr.ret != 0 && rep.hdr.ret != -EMSGSIZE && rep.hdr.ret != -EINVAL &&
	    rep.hdr.ret != -EIO)
		return 0;
	memcpy(&r, rep.sockopt.optval, sizeof(r));
	atomic_store_explicit(&shim_mtu_floor, r.floor, memory_order_relaxed);
	if (r.errq)
		shim_errq_note(fd);
	return rep.hdr.ret;
}

/*
 * SO_BROADCAST is the socket's, whichever process set it (before an exec,
 * in a fork's parent or child, on a copy that came by SCM_RIGHTS): the
 * notice word carries it (SHIM_NOTICE_BROADCAST), one load on a send to a
 * broadcast address; a socket whose word is not its own asks the host.
 */
static bool shim_dgram_broadcast_on(int fd, uint64_t e)
{
	struct shim_req req = {
		.hdr = {.op = SHIM_OP_GETSOCKOPT, .id = shim_ent_id(e)},
		.sockopt = {.level = SOL_SOCKET, .optname = SO_BROADCAST, .optlen = sizeof(int)}};
	uint64_t w = shim_notice_get(fd, e);
	struct shim_rep rep;
	int on = 0;

	if (w)
		return w & SHIM_NOTICE_BROADCAST;
	if (shim_ctl_call(&req, &rep, NULL, fd) || rep.hdr.ret < 0 ||
	    rep.sockopt.optlen < sizeof(on))
		return false;
	memcpy(&on, rep.sockopt.optval, sizeof(on));
	return on;
}

/*
 * The IP options a datagram send uses (ipc.opt): the message's IP_RETOPTS,
 * else the socket's IP_OPTIONS (as set through this process). With any
 * list, even an empty one, raw_sendmsg refuses IP_HDRINCL, and a source
 * route needs a destination (udp, raw and ping_v4_sendmsg): EINVAL.
 */
static int shim_dgram_opt_check(int fd, uint64_t e, const struct msghdr *m,
				const struct shim_dgram *h, struct ip_options_data *opt)
{
	struct shim_sk *sk = shim_sk_get(fd, e);
	bool any = shim_cmsg_retopts(m->msg_control, m->msg_controllen, opt);

	if (!any && sk && sk->opt.set) {
		any = true;
		opt->opt.optlen = sk->opt.len;
		opt->opt.srr = sk->opt.srr;
		opt->opt.faddr = sk->opt.faddr;
	}
	if (any && sk && sk->hdrincl)
		return -EINVAL;
	/* A connected socket's destination is its peer's, never 0. */
	if (opt->opt.srr && m->msg_name && !h->addr.sin_addr.s_addr)
		return -EINVAL;
	return 0;
}

/*
 * The pair refused a send with EPIPE: the socket was shut for writing (our
 * end alone: ip_append_data's EPIPE, which a datagram socket never turns
 * into SIGPIPE), or its host is gone (the release of the host's end shuts
 * ours both ways).
 */
static ssize_t shim_dgram_epipe(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLRDHUP};

	if (shim_real.poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP)))
		return -SHIM_EGONE_SEND;
	return -EPIPE;
}

/*
 * A read that would wait on a datagram socket shut for reading finds EOF
 * at once (__skb_wait_for_more_packets answers 0 for RCV_SHUTDOWN); a
 * non-blocking one still finds EAGAIN.
 */
static bool shim_dgram_rd_eof(int fd, uint64_t e, int flags)
{
	int fl;

	if ((flags & MSG_DONTWAIT) || !(shim_dgram_shut(fd, e) & RCV_SHUTDOWN))
		return false;
	fl = shim_real.fcntl(fd, F_GETFL, 0);
	return fl >= 0 && !(fl & O_NONBLOCK);
}

/*
 * A UDP send the pair refused after shutdown(SHUT_WR): a datagram corked
 * with MSG_MORE or UDP_CORK still takes it on the kernel, so the host is
 * handed the bytes (SHIM_SO_DGRAM_APPEND), in parts, all but the last with
 * MSG_MORE; it answers EPIPE when nothing is corked. A round trip (a few
 * for a large send) only for sends the shutdown refuses.
 */
static ssize_t shim_dgram_append(int fd, uint64_t e, const struct iovec *iov, size_t cnt, int flags)
{
	struct shim_req req = {.hdr = {.op = SHIM_OP_SETSOCKOPT, .id = shim_ent_id(e)},
			       .sockopt = {.level = SOL_SOCKET, .optname = SHIM_SO_DGRAM_APPEND}};
	uint8_t *data = req.sockopt.optval + sizeof(struct shim_dgram_append);
	size_t total = 0, done = 0, i = 0, pos = 0;
	struct shim_dgram_append a;
	struct shim_rep rep;

	for (size_t k = 0; k < cnt; k++)
		total += iov[k].iov_len;
	do {
		size_t n = 0;

		while (i < cnt && n < SHIM_DGRAM_APPEND_MAX) {
			size_t c = iov[i].iov_len - pos;

			if (c > SHIM_DGRAM_APPEND_MAX - n)
				c = SHIM_DGRAM_APPEND_MAX - n;
			if (shim_copy_from_user(data + n, (const char *)iov[i].iov_base + pos, c))
				return -EFAULT;
			n += c;
			pos += c;
			if (pos == iov[i].iov_len) {
				i++;
				pos = 0;
			}
		}
		done += n;
		a.flags = (uint32_t)(done < total ? flags | MSG_MORE : flags);
		memcpy(req.sockopt.optval, &a, sizeof(a));
		req.sockopt.optlen = (uint32_t)(sizeof(a) + n);
		if (shim_ctl_call(&req, &rep, NULL, fd))
			return -EPIPE;
		/* A host older than the option knows no corked datagram to join. */
		if (rep.hdr.ret == -ENOPROTOOPT)
			return -EPIPE;
		if (rep.hdr.ret < 0)
			return rep.hdr.ret;
	} while (done < total);
	return (ssize_t)total;
}

/*
 * cmsg_err: what the protocol's cmsg walk says, after the address checks;
 * m->msg_control, if set, holds the control messages to carry (our own
 * copy, m->msg_controllen bytes).
 */
static ssize_t shim_dgram_send(uint64_t e, int fd, const struct msghdr *m, int flags, int cmsg_err)
{
	struct shim_dgram h = {0};
	struct iovec iov[UIO_MAXIOV + 2];
	struct msghdr lm = {0};
	struct ip_options_data opt;
	unsigned int fl = shim_ent_flags(e);
	size_t total = 0, i, max;
	bool stamped;
	ssize_t ret;
	int ts, err;

	if (m->msg_iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	/*
	 * inet_send_prepare: an unbound UDP or ping socket takes its port
	 * before the protocol's first check, so a send that fails leaves it
	 * bound too.
	 */
	if ((fl & (SHIM_F_UDP | SHIM_F_PING)) && !(fl & SHIM_F_BOUND))
		shim_dgram_autobind(fd, e);
	memcpy(iov + 2, m->msg_iov, m->msg_iovlen * sizeof(*iov));
	for (i = 2; i < m->msg_iovlen + 2; i++)
		total += iov[i].iov_len;
	/* udp_sendmsg, raw_sendmsg and ping_common_sendmsg all start so. */
	if (total > 0xffff)
		return -EMSGSIZE;
	if ((fl & SHIM_F_PING) && total < 8)
		return -EINVAL;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (fl & SHIM_F_PING) {
		int err = shim_ping_check(iov + 2, m->msg_iovlen);

		if (err)
			return err;
	}
	if (m->msg_name) {
		struct sockaddr_in *sin = m->msg_name; /* already copied in by the caller */
		bool unspec_ok = fl & (SHIM_F_UDP | SHIM_F_RAW);

		if (m->msg_namelen < sizeof(*sin))
			return -EINVAL;
		if (sin->sin_family != AF_INET && !(unspec_ok && sin->sin_family == AF_UNSPEC))
			return -EAFNOSUPPORT;
		if ((fl & SHIM_F_UDP) && !sin->sin_port)
			return -EINVAL;
		h.addr = *sin;
		h.addr.sin_family = AF_INET;
	} else if (!(fl & SHIM_F_PEER)) {
		return -EDESTADDRREQ;
	}
	if (cmsg_err)
		return cmsg_err;
	err = shim_dgram_opt_check(fd, e, m, &h, &opt);
	if (err)
		return err;
	err = shim_dgram_dev_check(fd, e, m);
	if (err)
		return err;
	/*
	 * The route this send looks up: a source route's goes to its first
	 * hop (udp_sendmsg's faddr, the send never counting as connected); a
	 * connected socket's was looked up at connect(), from its address then.
	 */
	if (opt.opt.srr || m->msg_name) {
		uint32_t faddr = opt.opt.srr ? opt.opt.faddr : h.addr.sin_addr.s_addr;
		struct shim_route r = shim_route();

		if (shim_dgram_unroutable(faddr))
			return -ENETUNREACH;
		if (shim_route_unicast_off_host(faddr) && shim_dgram_lo_source(fd, e, m))
			return -EINVAL;
		err = shim_dgram_route_check(fd, e, faddr, m);
		if (err)
			return err;
		/* udp_sendmsg, raw_sendmsg, ping: a broadcast route needs SO_BROADCAST. */
		if (shim_is_broadcast(&r, faddr) && !shim_dgram_broadcast_on(fd, e))
			return -EACCES;
	}
	/* 0xffff minus the IP header with this send's options, minus the UDP header for UDP. */
	max = (fl & SHIM_F_UDP ? 65507 : 65515) - opt.opt.optlen;
	if (total > max)
		return -EMSGSIZE;
	/* glibc's MSG_PROXY is the kernel's MSG_PROBE: the checks, but nothing sent. */
	if (flags & MSG_PROXY)
		return (ssize_t)total;
	if (fl & SHIM_F_UDP) {
		int err;

		if (flags & MSG_MORE)
			shim_dgram_cork_used();
		err = shim_dgram_size_check(fd, e, m, total);

		if (err)
			return err;
	}
	/*
	 * sock_alloc_send_pskb: a pending error (an ICMP error's sk_err) fails
	 * the send and is taken, before SEND_SHUTDOWN's EPIPE.
	 */
	if (unlikely(shim_notice_get(fd, e) & SHIM_NOTICE_ERR)) {
		err = shim_dgram_take_err(fd, e);
		if (err)
			return -err;
	}
	/* raw_send_hdrinc's sock_alloc_send_skb after shutdown(SHUT_WR) (UDP's: the pair's). */
	if ((fl & SHIM_F_RAW) && (shim_dgram_shut(fd, e) & SEND_SHUTDOWN)) {
		struct shim_sk *sk = shim_sk_get(fd, e);

		if (sk && sk->hdrincl)
			return -EPIPE;
	}
	h.cookie = shim_fd_tx_cookie(fd);
	h.flags = (uint32_t)flags;
	h.ctl_len = (uint32_t)m->msg_controllen;
	iov[0] = (struct iovec){&h, sizeof(h)};
	iov[1] = (struct iovec){m->msg_control, m->msg_controllen};
	lm.msg_iov = iov;
	lm.msg_iovlen = m->msg_iovlen + 2;
	/* A pair whose host is gone says EPIPE; a UDP socket never raises SIGPIPE. */
	/* Before the host can take it: a waiter on another thread must see it sent. */
	if (!(fl & SHIM_F_DG_SENT))
		shim_fd_flags(fd, SHIM_F_DG_SENT, 0);
	ret = shim_real.sendmsg(fd, &lm, (flags & MSG_DONTWAIT) | MSG_NOSIGNAL);
	if (ret < 0 && errno == EPIPE) {
		ret = shim_dgram_epipe(fd);
		if (ret == -EPIPE && (fl & SHIM_F_UDP))
			ret = shim_dgram_append(fd, e, iov + 2, m->msg_iovlen, flags);
		return ret;
	}
	if (ret < 0)
		return -errno;
	ret -= (ssize_t)(sizeof(h) + h.ctl_len);
	/*
	 * Its completion, or its transmit time stamp, will be on the error
	 * queue (the stack copies at once, the link stamps as it sends): ERR
	 * from now on; an ERRQUEUE request sends what is in the pair first.
	 */
	ts = shim_cmsg_tsflags(h.ctl_len ? m->msg_control : NULL, h.ctl_len);
	stamped = ts < 0 ? fl & SHIM_F_TXSTAMP : ts & SHIM_TX_STAMPED;
	if (ret >= 0 && (((flags & MSG_ZEROCOPY) && (fl & SHIM_F_ZEROCOPY)) || stamped)) {
		if (!(fl & SHIM_F_NOTICED))
			shim_fd_flags(fd, SHIM_F_NOTICED, 0);
		shim_errq_note(fd);
	}
	return ret > 0 ? ret : 0;
}

/*
 * On a socket that asked for control messages: how many bytes of them the
 * next datagram carries, peeked before it is read so that they land in our
 * buffer and the payload in the caller's (0 for an error report).
 */
static ssize_t shim_dgram_ctl_peek(int fd, int flags)
{
	struct shim_dgram h;
	ssize_t n = shim_real.recv(fd, &h, sizeof(h), MSG_PEEK | (flags & MSG_DONTWAIT));

	if (n < 0)
		return -errno;
	if (n == 0)
		return -SHIM_EGONE_RECV;
	if (!shim_dgram_framed(fd, &h, n) || h.err || h.ctl_len > SHIM_DGRAM_CTL_MAX)
		return 0;
	return h.ctl_len;
}

/* Where flat offset pos of iov lies: its element (cnt if past the end) and offset there. */
static size_t shim_iov_at(const struct iovec *iov, size_t cnt, size_t pos, size_t *off)
{
	size_t i = 0;

	while (i < cnt && pos >= iov[i].iov_len)
		pos -= iov[i++].iov_len;
	*off = pos;
	return i;
}

/* len bytes from flat offset pos of iov into dst (the caller knows they are there). */
static void shim_iov_copy_out(const struct iovec *iov, size_t cnt, size_t pos, void *dst,
			      size_t len)
{
	size_t off, i = shim_iov_at(iov, cnt, pos, &off);

	for (size_t done = 0; done < len && i < cnt; i++, off = 0) {
		size_t chunk = iov[i].iov_len - off;

		if (chunk > len - done)
			chunk = len - done;
		memcpy((uint8_t *)dst + done, (const uint8_t *)iov[i].iov_base + off, chunk);
		done += chunk;
	}
}

/* The flat bytes [by, n) of iov moved to its front. */
static void shim_iov_shift_left(const struct iovec *iov, size_t cnt, size_t by, size_t n)
{
	for (size_t to = 0; to + by < n;) {
		size_t doff, soff, di = shim_iov_at(iov, cnt, to, &doff),
				   si = shim_iov_at(iov, cnt, to + by, &soff);
		size_t chunk;

		if (di >= cnt || si >= cnt)
			break;
		chunk = iov[di].iov_len - doff;
		if (chunk > iov[si].iov_len - soff)
			chunk = iov[si].iov_len - soff;
		if (chunk > n - by - to)
			chunk = n - by - to;
		memmove((uint8_t *)iov[di].iov_base + doff,
			(const uint8_t *)iov[si].iov_base + soff, chunk);
		to += chunk;
	}
}

size_t shim_dgram_bare_fixup(const void *head, size_t hlen, const struct iovec *iov, size_t cnt,
			     size_t n)
{
	size_t room = 0, end, done, i, off;

	for (i = 0; i < cnt; i++)
		room += iov[i].iov_len;
	end = n < room ? n : room;
	/* The bytes read into iov go hlen further on, from the last: they overlap. */
	for (size_t to = end; to > hlen;) {
		size_t di = shim_iov_at(iov, cnt, to - 1, &off), doff = off + 1;
		size_t si = shim_iov_at(iov, cnt, to - 1 - hlen, &off), soff = off + 1;
		size_t chunk = doff < soff ? doff : soff;

		if (chunk > to - hlen)
			chunk = to - hlen;
		memmove((uint8_t *)iov[di].iov_base + doff - chunk,
			(uint8_t *)iov[si].iov_base + soff - chunk, chunk);
		to -= chunk;
	}
	/* Then what the head holds, in front. */
	for (done = 0, i = 0; done < end && done < hlen && i < cnt; i++) {
		size_t chunk = iov[i].iov_len;

		if (chunk > end - done)
			chunk = end - done;
		if (chunk > hlen - done)
			chunk = hlen - done;
		memcpy(iov[i].iov_base, (const uint8_t *)head + done, chunk);
		done += chunk;
	}
	return end;
}

/*
 * sock_recv_cmsgs: what reading a datagram leaves for SIOCGSTAMP. The host
 * said it (SHIM_SCM_STAMP: the arrival time, or nothing changes) when it
 * is not the plain case: 0 for a socket that had none (a read with
 * stamping off), which SIOCGSTAMP turns into its own time.
 */
void shim_dgram_read_stamp(int fd, uint64_t e, bool carried, int64_t stamp)
{
	struct shim_sk *sk;

	if (carried && stamp == SHIM_STAMP_KEEP)
		return;
	if (carried && (sk = shim_sk_make(fd, e)))
		sk->stamp = stamp;
	if ((sk = shim_sk_get(fd, e)) && !sk->received)
		sk->received = true;
	if (!(shim_ent_flags(shim_fd_get(fd)) & SHIM_F_RECEIVED))
		shim_fd_flags(fd, SHIM_F_RECEIVED, 0);
}

static size_t shim_iov_total(const struct msghdr *m)
{
	size_t total = 0;

	for (size_t i = 0; i < m->msg_iovlen; i++)
		total += m->msg_iov[i].iov_len;
	return total;
}

/*
 * The fd whose last datagram read on this thread was bare: its next one is
 * read straight into the caller's buffers (a connected UDP socket's come
 * so), with room behind them for a header and its control messages, which
 * are moved out of the way if one comes after all.
 */
static __thread int shim_bare_hint __attribute__((tls_model("initial-exec"))) = -1;

/*
 * A bare datagram (no header: the host's stackd_dgram_bare_out) read into
 * [h | ctl (room bytes, if any) | the caller's buffers], n its whole
 * length: its payload goes to the front of the caller's buffers, and its
 * source is the socket's bare peer. It never carries control messages.
 * Read straight into the caller's buffers (h NULL), it is in place.
 */
static ssize_t shim_dgram_recv_bare(int fd, uint64_t e, struct msghdr *m, int flags,
				    const struct shim_dgram *h, const void *ctl, size_t room,
				    ssize_t n)
{
	uint8_t head[sizeof(*h) + SHIM_DGRAM_CTL_MAX];
	size_t hlen = sizeof(*h) + room, len = shim_iov_total(m);
	size_t got = (size_t)n < len ? (size_t)n : len;

	shim_bare_hint = fd;
	if (h) {
		memcpy(head, h, sizeof(*h));
		if (room)
			memcpy(head + sizeof(*h), ctl, room);
		/* What the read put in the caller's buffers: what came after the head. */
		got = shim_dgram_bare_fixup(head, hlen < (size_t)n ? hlen : (size_t)n, m->msg_iov,
					    m->msg_iovlen, (size_t)n);
	}
	m->msg_controllen = 0;
	shim_dgram_read_stamp(fd, e, false, 0);
	if ((size_t)n > len)
		m->msg_flags |= MSG_TRUNC;
	if (m->msg_name && !shim_dgram_bare_peer(fd, e, m->msg_name))
		m->msg_namelen = sizeof(struct sockaddr_in);
	else
		m->msg_namelen = 0;
	return (flags & MSG_TRUNC) ? n : (ssize_t)got;
}

/*
 * A datagram read into [caller's buffers | tail] that turned out framed:
 * header and control messages out, the payload to the front, as if read
 * into [h | ctl (the room returned) | caller's buffers].
 */
static size_t shim_dgram_unframe(const struct iovec *iov, size_t cnt, size_t got,
				 struct shim_dgram *h, uint64_t *ctl)
{
	size_t room = h->ctl_len <= SHIM_DGRAM_CTL_MAX && h->ctl_len <= got - sizeof(*h)
			      ? h->ctl_len
			      : 0; /* cut short: sorted out as a header not peeked for */

	shim_iov_copy_out(iov, cnt, sizeof(*h), ctl, room);
	shim_iov_shift_left(iov, cnt, sizeof(*h) + room, got);
	return room;
}

/*
 * The datagram at the head of the pair, read or peeked (no pending error to
 * report first; shim_dgram_recv).
 */
ssize_t shim_dgram_recv_head(int fd, uint64_t e, struct msghdr *m, int flags)
{
	struct shim_dgram h;
	uint64_t ctl[SHIM_DGRAM_CTL_MAX / sizeof(uint64_t)];
	uint8_t tail[sizeof(h) + SHIM_DGRAM_CTL_MAX];
	struct iovec iov[UIO_MAXIOV + 2];
	struct msghdr lm = {0};
	size_t payload, wire, room = 0, ulen = shim_iov_total(m);
	int64_t stamp = 0;
	bool carried, bare_first, eof = false;
	ssize_t n;

again:
	room = 0;
	bare_first = !(shim_ent_flags(e) & SHIM_F_CMSG) && shim_bare_hint == fd &&
		     m->msg_iovlen < UIO_MAXIOV;
	if (shim_ent_flags(e) & SHIM_F_CMSG) {
		n = shim_dgram_ctl_peek(fd, flags);
		if (n < 0)
			return n;
		room = (size_t)n;
	}
	if (bare_first) {
		memcpy(iov, m->msg_iov, m->msg_iovlen * sizeof(*iov));
		iov[m->msg_iovlen] = (struct iovec){tail, sizeof(tail)};
		lm.msg_iov = iov;
		lm.msg_iovlen = m->msg_iovlen + 1;
	} else {
		iov[0] = (struct iovec){&h, sizeof(h)};
		iov[1] = (struct iovec){ctl, room};
		memcpy(iov + 2, m->msg_iov, m->msg_iovlen * sizeof(*iov));
		lm.msg_iov = room ? iov : iov + 1;
		lm.msg_iovlen = m->msg_iovlen + (room ? 2 : 1);
		if (!room)
			iov[1] = iov[0];
	}
	/* MSG_TRUNC: a bare datagram's whole length, which no header says. */
	n = shim_real.recvmsg(fd, &lm,
			      (flags & (MSG_PEEK | MSG_DONTWAIT | MSG_CMSG_CLOEXEC)) | MSG_TRUNC);
	if (n < 0 && eof && errno == EAGAIN) {
		m->msg_namelen = 0;
		m->msg_controllen = 0;
		m->msg_flags = 0;
		return 0;
	}
	if (n < 0)
		return -errno;
	/* ____sys_recvmsg hands MSG_CMSG_CLOEXEC back in msg_flags. */
	m->msg_flags = flags & MSG_CMSG_CLOEXEC;
	/* EOF on the pair: its stack host is gone (killed), and the socket with it. */
	if (n == 0)
		return -SHIM_EGONE_RECV;
	if (bare_first) {
		size_t got = (size_t)n < ulen + sizeof(tail) ? (size_t)n : ulen + sizeof(tail);

		shim_iov_copy_out(iov, lm.msg_iovlen, 0, &h, got < sizeof(h) ? got : sizeof(h));
		if (!shim_dgram_framed(fd, &h, n))
			return shim_dgram_recv_bare(fd, e, m, flags, NULL, NULL, 0, n);
		room = shim_dgram_unframe(iov, lm.msg_iovlen, got, &h, ctl);
	} else if (!shim_dgram_framed(fd, &h, n)) {
		return shim_dgram_recv_bare(fd, e, m, flags, &h, room ? ctl : NULL, room, n);
	}
	shim_bare_hint = -1;
	if (n > (ssize_t)(sizeof(h) + room + ulen)) {
		n = (ssize_t)(sizeof(h) + room + ulen);
		lm.msg_flags |= MSG_TRUNC;
	}
	if (h.err) {
		bool stale = shim_notice_stale(fd, e, &h);

		/* The word says it is pending: it is no longer, once taken here. */
		if (!stale && shim_notice_get(fd, e) && !shim_notice_take(fd, e, h.orig_len))
			stale = true;
		/* An error is reported once, peeked or not (sock_error clears sk_err). */
		if (flags & MSG_PEEK)
			shim_real.recv(fd, &h, sizeof(h), MSG_DONTWAIT);
		/*
		 * Taken already, ahead of the datagrams before it: nothing to
		 * report. A void one may be the wake-up of a shutdown(SHUT_RD):
		 * the wait ends then, as sk_state_change ends the kernel's.
		 */
		if (stale) {
			if (shim_dgram_rd_eof(fd, e, flags)) {
				eof = true;
				flags |= MSG_DONTWAIT;
			}
			goto again;
		}
		if (h.flags & MSG_ERRQUEUE)
			shim_errq_note(fd);
		m->msg_namelen = 0;
		m->msg_controllen = 0;
		return -h.err;
	}
	payload = (size_t)n - sizeof(h) - room;
	if (h.ctl_len > SHIM_DGRAM_CTL_MAX)
		h.ctl_len = 0; /* the host never sends more; ignore rather than misplace data */
	if (h.ctl_len != room) {
		/*
		 * Not peeked for (another reader took it, or this process came
		 * by exec and never saw the option set): sort the bytes out,
		 * and peek from now on. Control messages cut short are lost.
		 */
		payload = shim_dgram_ctl_fixup((uint8_t *)ctl, room, h.ctl_len, m->msg_iov,
					       m->msg_iovlen, (size_t)n - sizeof(h));
		if (!(shim_ent_flags(e) & SHIM_F_CMSG))
			shim_fd_flags(fd, SHIM_F_CMSG, 0);
		if ((size_t)n - sizeof(h) < h.ctl_len) {
			m->msg_flags |= MSG_CTRUNC;
			h.ctl_len = 0;
		}
	}
	carried = shim_put_cmsgs(m, ctl, h.ctl_len, &stamp);
	shim_dgram_read_stamp(fd, e, carried, stamp);
	wire = h.orig_len > payload ? h.orig_len : payload;
	if ((lm.msg_flags & MSG_TRUNC) || (h.flags & MSG_TRUNC) || wire > payload)
		m->msg_flags |= MSG_TRUNC;
	if (m->msg_name && h.addr.sin_family) {
		memcpy(m->msg_name, &h.addr, sizeof(h.addr));
		m->msg_namelen = sizeof(h.addr);
	} else {
		m->msg_namelen = 0;
	}
	return (ssize_t)((flags & MSG_TRUNC) ? wire : payload);
}

/*
 * m->msg_iov is a copy we own; m->msg_name, if set, is our own struct
 * sockaddr_in; m->msg_control is the caller's. On return msg_namelen,
 * msg_controllen and msg_flags are set.
 */
static ssize_t shim_dgram_recv(int fd, uint64_t e, struct msghdr *m, int flags)
{
	struct shim_sk *sk;
	ssize_t n;

	if (m->msg_iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	if (flags & MSG_ERRQUEUE)
		return shim_errqueue_recv(fd, e, m, flags);
	/*
	 * __skb_try_recv_datagram: a pending error comes before any queued
	 * datagram, though its report may sit behind them in the pair (one
	 * load of the notice word, mapped by the process's first datagram
	 * recv if nothing did before: one request per process; a request only
	 * when an error is pending).
	 */
	n = shim_dgram_take_err(fd, e);
	if (n) {
		m->msg_namelen = 0;
		m->msg_controllen = 0;
		m->msg_flags = 0;
		return -n;
	}
	/*
	 * A UDP socket given SO_PEEK_OFF (here or by another holder: one that
	 * came by exec may not know it is UDP; only UDP has the option): its
	 * reads move the offset (shim_peekoff.c).
	 */
	sk = shim_sk_get(fd, e);
	if (unlikely(sk && atomic_load_explicit(&sk->shutdown, memory_order_acquire)) &&
	    shim_dgram_rd_eof(fd, e, flags)) {
		n = sk->peek_set ? shim_dgram_recv_off(fd, e, sk, m, flags | MSG_DONTWAIT)
				 : shim_dgram_recv_head(fd, e, m, flags | MSG_DONTWAIT);
		if (n != -EAGAIN)
			return n;
		m->msg_namelen = 0;
		m->msg_controllen = 0;
		m->msg_flags = 0;
		return 0;
	}
	if (unlikely(sk && sk->peek_set))
		return shim_dgram_recv_off(fd, e, sk, m, flags);
	return shim_dgram_recv_head(fd, e, m, flags);
}

/* ---- one receive / one send on an emulated fd, kernel-side msghdr ---- */

/*
 * tcp_recvmsg with MSG_TRUNC: the bytes are counted and, unless peeked,
 * dropped; the caller's buffer is never written (it may be NULL).
 */
static ssize_t shim_stream_discard(int fd, const struct msghdr *m, int flags)
{
	size_t want = shim_iov_total(m), got = 0;
	char scratch[4096];
	int avail;
	ssize_t r;

	if (flags & MSG_PEEK) {
		int off = -1;
		socklen_t len = sizeof(off);

		/*
		 * One byte waits as the kernel would; the pair then counts what is
		 * there. SO_PEEK_OFF (the pair's) is where the count starts, and
		 * it moves by the count (sk_peek_offset_fwd), not by our byte.
		 */
		if (shim_real.getsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &off, &len) < 0)
			off = -1;
		r = shim_real.recv(fd, scratch, 1, flags);
		if (r <= 0)
			return shim_neg(r);
		if (shim_real.ioctl(fd, FIONREAD, &avail) < 0)
			return -errno;
		if (off > 0)
			avail -= off;
		r = (size_t)avail < want ? avail : (ssize_t)want;
		if (off >= 0) {
			off += (int)r;
			shim_real.setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off));
		}
		return r;
	}
	while (got < want) {
		r = shim_real.recv(fd, scratch,
				   want - got < sizeof(scratch) ? want - got : sizeof(scratch),
				   flags);
		if (r <= 0)
			return got ? (ssize_t)got : shim_neg(r);
		got += (size_t)r;
		if (!(flags & MSG_WAITALL))
			flags |= MSG_DONTWAIT;
	}
	return (ssize_t)got;
}

/*
 * recv(MSG_OOB) on a stream (tcp_recv_urg): the pair's out-of-band byte once
 * the host put it there; before that the host's answer (the byte, EAGAIN
 * while it is on its way, EINVAL when there is none or SO_OOBINLINE). It
 * never blocks. The byte is taken even into no room, as the kernel's
 * (then MSG_TRUNC says so).
 */
static ssize_t shim_stream_recv_oob(int fd, uint64_t e, struct msghdr *m, int flags)
{
	struct shim_req req = {.hdr = {.op = SHIM_OP_ERRQUEUE, .id = shim_ent_id(e)}};
	size_t total = shim_iov_total(m);
	struct shim_rep rep;
	uint8_t c = 0;
	ssize_t ret;

	shim_urg_note();
	ret = shim_real.recv(fd, &c, 1, (flags & MSG_PEEK) | MSG_OOB | MSG_DONTWAIT);
	if (ret != 1) {
		req.errqueue.flags = (flags & (MSG_PEEK | MSG_TRUNC)) | MSG_OOB;
		req.errqueue.len = total ? 1 : 0;
		ret = shim_ctl_call(&req, &rep, NULL, fd);
		if (ret)
			return ret;
		if (rep.hdr.ret < 0)
			return rep.hdr.ret;
		if (!(rep.errqueue.msg_flags & MSG_OOB))
			return 0; /* closed or shut for reading: nothing will come */
		if (rep.errqueue.data_len)
			c = rep.errqueue.buf[0];
	}
	m->msg_flags |= MSG_OOB;
	if (!total) {
		m->msg_flags |= MSG_TRUNC;
		return 0;
	}
	if (!(flags & MSG_TRUNC)) {
		for (size_t i = 0; i < m->msg_iovlen; i++) {
			if (!m->msg_iov[i].iov_len)
				continue;
			if (shim_copy_to_user(m->msg_iov[i].iov_base, &c, 1))
				return -EFAULT;
			break;
		}
	}
	return 1;
}

static ssize_t shim_recv_msg(int fd, uint64_t e, struct msghdr *m, int flags)
{
	struct msghdr lm = {0};
	ssize_t ret;

	switch (shim_ent_kind(e)) {
	case SHIM_LISTENER:
		/* tcp_recvmsg reads the (empty) error queue before it looks at the state. */
		return flags & MSG_ERRQUEUE ? -EAGAIN : -ENOTCONN;
	case SHIM_DGRAM:
		return shim_dgram_recv(fd, e, m, flags);
	default:
		break;
	}
	e = shim_stream_known(fd, e);
	/* A TCP socket's error queue: MSG_ZEROCOPY completions, transmit stamps. */
	if (flags & MSG_ERRQUEUE)
		return (shim_ent_flags(e) & (SHIM_F_ZEROCOPY | SHIM_F_ERRQ | SHIM_F_TXSTAMP)) ||
				       (shim_notice_peek(e) & SHIM_NOTICE_ERRQ_NOW)
			       ? shim_errqueue_recv(fd, e, m, flags)
			       : -EAGAIN;
	/*
	 * tcp_recvmsg names no peer, and ____sys_recvmsg starts msg_flags from
	 * MSG_CMSG_CLOEXEC alone: what the caller's msghdr held never goes back.
	 * Control messages are the caller's to add (shim_recvmsg_one).
	 */
	m->msg_namelen = 0;
	m->msg_controllen = 0;
	m->msg_flags = flags & MSG_CMSG_CLOEXEC;
	/* tcp_recv_urg: no urgent data is EINVAL before any state check. */
	if (flags & MSG_OOB)
		return shim_stream_recv_oob(fd, e, m, flags);
	if (shim_ent_flags(e) & SHIM_F_REPAIR) {
		bool pair;

		ret = shim_repair_peek(fd, e, m, flags, &pair);
		if (!pair)
			return ret;
	}
	/* tcp_recvmsg in TCP_CLOSE: sk_err (a disconnect's), then a shutdown's EOF, else ENOTCONN.
	 */
	if (shim_ent_flags(e) & SHIM_F_UNCONNECTED) {
		ret = shim_fd_err_take(fd);
		if (ret)
			return -ret;
		return shim_ent_flags(e) & SHIM_F_RD_SHUT ? 0 : -ENOTCONN;
	}
	if ((flags & MSG_TRUNC) && shim_iov_total(m))
		return shim_stream_rmap(fd, e, shim_stream_discard(fd, m, flags & ~MSG_TRUNC));
	/* TCP names no peer per segment; the pair would name the host's end. */
	lm.msg_iov = m->msg_iov;
	lm.msg_iovlen = m->msg_iovlen;
	ret = shim_neg(shim_stream_recvmsg(fd, e, &lm, flags, errno));
	/* Met an earlier pair's end: read the socket's current one (once). */
	if (shim_stream_followed(fd, e, ret)) {
		e = shim_stream_known(fd, shim_fd_get(fd));
		if (shim_ent_flags(e) & SHIM_F_UNCONNECTED)
			return shim_recv_msg(fd, e, m, flags);
		ret = shim_neg(shim_real.recvmsg(fd, &lm, flags));
	}
	m->msg_flags = lm.msg_flags;
	return shim_stream_rmap(fd, e, ret);
}

/*
 * MSG_FASTOPEN before connect (tcp_sendmsg_fastopen): connect with data for
 * the SYN; non-blocking, what the SYN took (or EINPROGRESS); blocking, once
 * connected the rest goes through the pair as any write.
 */
static ssize_t shim_fastopen_send(int fd, uint64_t e, const struct msghdr *m, int flags)
{
	struct iovec iov[UIO_MAXIOV];
	struct msghdr lm = {0};
	size_t copied = 0, skip;
	ssize_t ret;

	ret = shim_fastopen_connect(fd, e, m, flags, &copied);
	if (ret == SHIM_CONNECT_KERNEL)
		return shim_neg(shim_real.sendmsg(fd, m, flags));
	if (ret == -EINPROGRESS && copied)
		return (ssize_t)copied;
	if (ret)
		return ret;
	skip = copied;
	for (size_t i = 0; i < m->msg_iovlen; i++) {
		const struct iovec *v = &m->msg_iov[i];

		if (skip >= v->iov_len) {
			skip -= v->iov_len;
			continue;
		}
		iov[lm.msg_iovlen].iov_base = (char *)v->iov_base + skip;
		iov[lm.msg_iovlen++].iov_len = v->iov_len - skip;
		skip = 0;
	}
	if (!lm.msg_iovlen)
		return (ssize_t)copied;
	lm.msg_iov = iov;
	shim_stream_wrote(fd, e);
	ret = shim_neg(shim_real.sendmsg(fd, &lm, (flags & ~MSG_FASTOPEN) | MSG_NOSIGNAL));
	ret = shim_stream_wmap(fd, e, ret, flags);
	if (ret < 0)
		return copied ? (ssize_t)copied : ret;
	return (ssize_t)copied + ret;
}

static ssize_t shim_send_msg(int fd, uint64_t e, const struct msghdr *m, int flags, int cmsg_err)
{
	struct shim_stream_mark mark = {.tsflags = -1};
	struct msghdr lm = {0};
	bool marked;
	ssize_t ret;

	switch (shim_ent_kind(e)) {
	case SHIM_LISTENER:
		/* tcp_sendmsg_fastopen before the state check: the listener's connect says EISCONN.
		 */
		if (flags & MSG_FASTOPEN) {
			ret = shim_fastopen_again(fd, e, m);
			if (ret)
				return ret;
		}
		return shim_epipe(flags);
	case SHIM_DGRAM:
		return shim_dgram_send(e, fd, m, flags, cmsg_err);
	default:
		break;
	}
	e = shim_stream_known(fd, e);
	if ((shim_ent_flags(e) & SHIM_F_UNCONNECTED) && (flags & MSG_FASTOPEN) && !cmsg_err &&
	    !(shim_ent_flags(e) & SHIM_F_REPAIR))
		return shim_fastopen_send(fd, e, m, flags);
	if (shim_ent_flags(e) & SHIM_F_UNCONNECTED)
		return shim_unconnected_send(fd, flags);
	/* Repair mode: no Fast Open, the queue chosen takes the bytes (tcp_sendmsg_locked). */
	if (shim_ent_flags(e) & SHIM_F_REPAIR)
		return cmsg_err ? cmsg_err : shim_repair_send(fd, e, m, flags);
	/*
	 * tcp_sendmsg_fastopen on a socket past connect, first thing in
	 * tcp_sendmsg_locked: EALREADY connecting, EISCONN connected (the
	 * host knows which, and the tcp_fastopen client bit: EOPNOTSUPP).
	 */
	if (flags & MSG_FASTOPEN) {
		ret = shim_fastopen_again(fd, e, m);
		if (ret)
			return ret;
		flags &= ~MSG_FASTOPEN;
	}
	/* tcp_sendmsg_locked reads the cmsgs once it knows it is connected. */
	if (cmsg_err)
		return cmsg_err;
	if (m->msg_controllen && (ret = shim_stream_cmsg_tsflags(m, &mark.tsflags)))
		return ret;
	/*
	 * MSG_OOB goes to the pair as its out-of-band byte: the host sees the
	 * mark (stackd_urg_in). Nothing to send is no error on TCP.
	 */
	if ((flags & MSG_OOB) && !shim_iov_total(m))
		return 0;
	/* A connected TCP socket ignores msg_name; an AF_UNIX stream would refuse it. */
	lm.msg_iov = m->msg_iov;
	lm.msg_iovlen = m->msg_iovlen;
	shim_stream_wrote(fd, e);
	/* tcp_sendmsg_locked: a send that takes bytes has an id, and its stamps a key. */
	mark.len = (uint32_t)shim_iov_total(&lm);
	mark.zerocopy = (flags & MSG_ZEROCOPY) && (shim_ent_flags(e) & SHIM_F_ZEROCOPY);
	mark.more = (flags & MSG_MORE) != 0;
	marked = shim_stream_mark_begin(fd, e, &mark);
	ret = shim_neg(shim_real.sendmsg(fd, &lm, (flags & ~MSG_ZEROCOPY) | MSG_NOSIGNAL));
	/* Met an earlier pair's end: send on the socket's current one. */
	if (!marked && shim_stream_followed(fd, e, ret))
		return shim_send_msg(fd, shim_fd_get(fd), m, flags, cmsg_err);
	/* A marked send's end was named at BEGIN: it keeps the pair's count. */
	if (!marked && !(flags & MSG_OOB))
		ret = shim_stream_short(fd, e, &lm, shim_iov_total(&lm), ret);
	ret = shim_stream_wmap(fd, e, ret, flags);
	if (marked)
		shim_stream_mark_done(fd, e, &mark, ret > 0 ? (size_t)ret : 0);
	if (ret >= 0 && (size_t)ret < shim_iov_total(&lm))
		shim_stream_full(fd, e);
	return ret;
}

/* Copies a user iovec array (readv/writev: EINVAL when too long). */
static int shim_iov_in(struct iovec *dst, const struct iovec *uiov, long cnt, int toolong)
{
	if (cnt < 0 || cnt > UIO_MAXIOV)
		return toolong;
	if (cnt && shim_copy_from_user(dst, uiov, (size_t)cnt * sizeof(*dst)))
		return -EFAULT;
	return 0;
}

/* ---- read side ---- */

SHIM_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	struct iovec iov = {buf, n};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	struct shim_call c;
	uint64_t e;
	ssize_t ret;

	if (likely(!shim_slow)) {
		e = shim_fd_get(fd);
		if (likely(!e))
			return shim_real.read(fd, buf, n);
		if (likely(shim_plain_stream(e))) {
			int err0 = errno;

			ret = shim_stream_blocks(e, 0) ? shim_stream_read(fd, e, buf, n, 0, err0)
						       : shim_real.read(fd, buf, n);
			if (likely(ret > 0) || !n)
				return ret;
			ret = shim_neg(ret);
			if (!shim_stream_followed(fd, e, ret))
				return shim_ret(shim_stream_rmap(fd, e, ret), err0);
			errno = err0; /* again on the socket's current pair */
		}
	}
	shim_call_begin(&c, SHIM_SYM_read);
	e = shim_fd_get(fd);
	if (!shim_emulated(e)) {
		ret = shim_real.read(fd, buf, n);
	} else {
		c.path = "stack";
		ret = shim_ret(shim_recv_msg(fd, e, &m, 0), c.err0);
	}
	shim_trace(&c, ret, "%d, %p, %zu", fd, buf, n);
	return ret;
}

SHIM_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	if (likely(!shim_slow) && likely(!shim_fd_get(fd)))
		return shim_real.__read_chk(fd, buf, n, buflen);
	if (n > buflen)
		return shim_real.__read_chk(fd, buf, n, buflen); /* glibc reports the overflow */
	return read(fd, buf, n);
}

SHIM_EXPORT ssize_t readv(int fd, const struct iovec *uiov, int cnt)
{
	struct iovec iov[UIO_MAXIOV];
	struct msghdr m = {.msg_iov = iov};
	struct shim_call c;
	uint64_t e;
	ssize_t ret;

	if (likely(!shim_slow)) {
		e = shim_fd_get(fd);
		if (likely(!e))
			return shim_real.readv(fd, uiov, cnt);
		if (likely(shim_plain_stream(e))) {
			int err0 = errno;

			ret = shim_real.readv(fd, uiov, cnt);
			if (likely(ret > 0))
				return ret;
			ret = shim_neg(ret);
			if (!shim_stream_followed(fd, e, ret))
				return shim_ret(shim_stream_rmap(fd, e, ret), err0);
			errno = err0; /* again on the socket's current pair */
		}
	}
	shim_call_begin(&c, SHIM_SYM_readv);
	e = shim_fd_get(fd);
	if (!shim_emulated(e)) {
		ret = shim_real.readv(fd, uiov, cnt);
	} else {
		c.path = "stack";
		ret = shim_iov_in(iov, uiov, cnt, -EINVAL);
		m.msg_iovlen = (size_t)cnt;
		if (!ret)
			ret = shim_recv_msg(fd, e, &m, 0);
		ret = shim_ret(ret, c.err0);
	}
	shim_trace(&c, ret, "%d, %p, %d", fd, (void *)uiov, cnt);
	return ret;
}

/* recvfrom and recv: the address, if asked for, goes out as move_addr_to_user does. */
static ssize_t shim_recvfrom(enum shim_sym sym, int fd, void *buf, size_t n, int flags,
			     struct sockaddr *addr, socklen_t *addrlen)
{
	struct sockaddr_in sin;
	struct iovec iov = {buf, n};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_name = addr ? &sin : NULL};
	struct shim_call c;
	char f[128], a[128];
	uint64_t e;
	ssize_t ret;
	int err;

	shim_call_begin(&c, sym);
	e = shim_fd_get(fd);
	if (unlikely(shim_nl_dump(e))) {
		ret = shim_ret(shim_nl_recvfrom(fd, e, buf, n, flags, addr, addrlen), c.err0);
	} else if (!shim_emulated(e)) {
		ret = sym == SHIM_SYM_recv ? shim_real.recv(fd, buf, n, flags)
					   : shim_real.recvfrom(fd, buf, n, flags, addr, addrlen);
	} else {
		c.path = "stack";
		ret = shim_recv_msg(fd, e, &m, flags);
		if (ret >= 0 && addr) {
			err = shim_addr_out(&sin, (int)m.msg_namelen, addr, addrlen);
			if (err)
				ret = err;
		}
		ret = shim_ret(ret, c.err0);
	}
	if (unlikely(shim_trace_level)) {
		socklen_t l = 0;

		if (ret >= 0 && addr && addrlen)
			shim_copy_from_user(&l, addrlen, sizeof(l));
		shim_fmt_msgflags(f, sizeof(f), flags);
		if (sym == SHIM_SYM_recv)
			shim_trace(&c, ret, "%d, %p, %zu, %s", fd, buf, n, f);
		else
			shim_trace(&c, ret, "%d, %p, %zu, %s, %s, %p", fd, buf, n, f,
				   shim_fmt_addr(a, sizeof(a), ret >= 0 ? addr : NULL, l),
				   (void *)addrlen);
	}
	return ret;
}

SHIM_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	uint64_t e;
	ssize_t ret;

	if (likely(!shim_slow)) {
		e = shim_fd_get(fd);
		if (likely(!e))
			return shim_real.recv(fd, buf, n, flags);
		if (likely(shim_plain_stream(e)) &&
		    likely(!(flags & (MSG_OOB | MSG_ERRQUEUE | MSG_TRUNC)))) {
			int err0 = errno;

			ret = shim_stream_read(fd, e, buf, n, flags, err0);
			if (likely(ret > 0) || !n)
				return ret;
			ret = shim_neg(ret);
			if (!shim_stream_followed(fd, e, ret))
				return shim_ret(shim_stream_rmap(fd, e, ret), err0);
			errno = err0; /* again on the socket's current pair */
		}
	}
	return shim_recvfrom(SHIM_SYM_recv, fd, buf, n, flags, NULL, NULL);
}

SHIM_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
			     socklen_t *addrlen)
{
	if (likely(!shim_slow) && likely(!shim_fd_get(fd)))
		return shim_real.recvfrom(fd, buf, n, flags, addr, addrlen);
	return shim_recvfrom(SHIM_SYM_recvfrom, fd, buf, n, flags, addr, addrlen);
}

SHIM_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
	if ((likely(!shim_slow) && likely(!shim_fd_get(fd))) || n > buflen)
		return shim_real.__recv_chk(fd, buf, n, buflen, flags);
	return recv(fd, buf, n, flags);
}

SHIM_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
				   struct sockaddr *addr, socklen_t *addrlen)
{
	if ((likely(!shim_slow) && likely(!shim_fd_get(fd))) || n > buflen)
		return shim_real.__recvfrom_chk(fd, buf, n, buflen, flags, addr, addrlen);
	return recvfrom(fd, buf, n, flags, addr, addrlen);
}

/*
 * TCP_CM_INQ after a read (tcp_inq_hint): the bytes still to read, and one
 * for the peer's FIN, which rcv_nxt counts until a read takes it (after
 * which an empty queue still says 1: SOCK_DONE). Those are the pair's bytes
 * and its end of file if a FIN ended it (a reset or a refusal adds nothing);
 * bytes the stack holds because the pair is full are not counted, as for
 * FIONREAD.
 */
static void shim_stream_put_inq(int fd, uint64_t e, struct msghdr *m)
{
	union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(sizeof(int))];
	} u = {.h = {.cmsg_len = CMSG_LEN(sizeof(int)),
		     .cmsg_level = IPPROTO_TCP,
		     .cmsg_type = TCP_CM_INQ}};
	struct pollfd p = {.fd = fd, .events = POLLRDHUP};
	int inq = 0;

	if (shim_real.ioctl(fd, SIOCINQ, &inq) < 0)
		inq = 0;
	if (shim_real.poll(&p, 1, 0) == 1 && shim_stream_fin_came(fd, e, (unsigned int)p.revents))
		inq++;
	memcpy(CMSG_DATA(&u.h), &inq, sizeof(inq));
	shim_put_cmsgs(m, u.b, sizeof(u.b), &(int64_t){0});
}

/*
 * recvmsg on an emulated fd with a user msghdr: copied in like
 * copy_msghdr_from_user, the name and lengths written back like
 * ____sys_recvmsg.
 */
static ssize_t shim_recvmsg_one(int fd, uint64_t e, struct msghdr *umsg, int flags)
{
	struct iovec iov[UIO_MAXIOV];
	struct sockaddr_in sin;
	struct msghdr m;
	ssize_t ret;
	int err;

	if (shim_copy_from_user(&m, umsg, sizeof(m)))
		return -EFAULT;
	if ((int)m.msg_namelen < 0)
		return -EINVAL;
	err = shim_iov_in(iov, m.msg_iov, (long)m.msg_iovlen, -EMSGSIZE);
	if (err)
		return err;
	struct sockaddr *uname = m.msg_name;
	socklen_t unamelen = m.msg_namelen;
	void *umsg_control = m.msg_control;
	size_t umsg_controllen = m.msg_controllen;

	m.msg_iov = iov;
	m.msg_name = uname ? &sin : NULL;
	ret = shim_recv_msg(fd, e, &m, flags);
	if (ret < 0)
		return ret;
	if ((shim_ent_flags(e) & SHIM_F_INQ) && !(flags & MSG_ERRQUEUE)) {
		m.msg_control = umsg_control;
		m.msg_controllen = umsg_controllen;
		shim_stream_put_inq(fd, e, &m);
	}
	if (uname) {
		int klen = (int)m.msg_namelen, len = (int)unamelen < klen ? (int)unamelen : klen;

		if (len > 0 && shim_copy_to_user(uname, &sin, (size_t)len))
			return -EFAULT;
		if (shim_copy_to_user(&umsg->msg_namelen, &klen, sizeof(klen)))
			return -EFAULT;
	}
	if (shim_copy_to_user(&umsg->msg_flags, &m.msg_flags, sizeof(m.msg_flags)) ||
	    shim_copy_to_user(&umsg->msg_controllen, &m.msg_controllen, sizeof(m.msg_controllen)))
		return -EFAULT;
	return ret;
}

SHIM_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct shim_call c;
	char f[128];
	uint64_t e;
	ssize_t ret;

	if (likely(!shim_slow) && likely(!shim_fd_get(fd))) {
		ret = shim_real.recvmsg(fd, msg, flags);
		if (ret >= 0 && msg->msg_controllen)
			shim_register_rights(msg);
		return ret;
	}
	shim_call_begin(&c, SHIM_SYM_recvmsg);
	e = shim_fd_get(fd);
	if (unlikely(shim_nl_dump(e))) {
		ret = shim_ret(shim_nl_recvmsg_user(fd, e, msg, flags), c.err0);
	} else if (!shim_emulated(e)) {
		ret = shim_real.recvmsg(fd, msg, flags);
		if (ret >= 0 && msg->msg_controllen)
			shim_register_rights(msg);
	} else {
		c.path = "stack";
		ret = shim_ret(shim_recvmsg_one(fd, e, msg, flags), c.err0);
	}
	if (unlikely(shim_trace_level))
		shim_trace(&c, ret, "%d, %p, %s", fd, (void *)msg,
			   shim_fmt_msgflags(f, sizeof(f), flags));
	return ret;
}

/*
 * The timeout as __sys_recvmmsg reads it: EFAULT before EINVAL, and an end
 * time on CLOCK_MONOTONIC (a zero timeout ends at once).
 */
static int shim_mmsg_timeout(const struct timespec *ut, struct timespec *ts, struct timespec *end)
{
	if (shim_copy_from_user(ts, ut, sizeof(*ts)))
		return -EFAULT;
	if (ts->tv_sec < 0 || (unsigned long)ts->tv_nsec >= 1000000000UL)
		return -EINVAL;
	*end = (struct timespec){0};
	if (ts->tv_sec || ts->tv_nsec) {
		clock_gettime(CLOCK_MONOTONIC, end);
		end->tv_sec += ts->tv_sec;
		end->tv_nsec += ts->tv_nsec;
		if (end->tv_nsec >= 1000000000L) {
			end->tv_sec++;
			end->tv_nsec -= 1000000000L;
		}
	}
	return 0;
}

/* do_recvmmsg after a datagram: the time left, and whether it is up. */
static bool shim_mmsg_expired(const struct timespec *end, struct timespec *left)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	left->tv_sec = end->tv_sec - now.tv_sec;
	left->tv_nsec = end->tv_nsec - now.tv_nsec;
	if (left->tv_nsec < 0) {
		left->tv_sec--;
		left->tv_nsec += 1000000000L;
	}
	if (left->tv_sec < 0)
		*left = (struct timespec){0};
	return !left->tv_sec && !left->tv_nsec;
}

/*
 * Datagram by datagram, as the kernel's do_recvmmsg: the timeout is checked
 * after each datagram (a blocking wait for one is not cut short) and the
 * time left is written back when datagrams were received.
 */
static int shim_recvmmsg(int fd, uint64_t e, struct mmsghdr *vec, unsigned int vlen, int flags,
			 struct timespec *timeout)
{
	struct timespec ts, end;
	unsigned int i;
	ssize_t n = 0;
	int err;

	if (timeout && (err = shim_mmsg_timeout(timeout, &ts, &end)))
		return err;
	if (vlen > UIO_MAXIOV)
		vlen = UIO_MAXIOV;
	for (i = 0; i < vlen; i++) {
		int fl = flags & ~MSG_WAITFORONE;
		unsigned int len;

		if (i && (flags & MSG_WAITFORONE))
			fl |= MSG_DONTWAIT;
		n = shim_recvmsg_one(fd, e, &vec[i].msg_hdr, fl);
		if (n < 0)
			break;
		len = (unsigned int)n;
		if (shim_copy_to_user(&vec[i].msg_len, &len, sizeof(len))) {
			n = -EFAULT;
			break;
		}
		if (timeout && shim_mmsg_expired(&end, &ts)) {
			i++;
			break;
		}
	}
	if (!i)
		return (int)n;
	if (timeout && shim_copy_to_user(timeout, &ts, sizeof(ts)))
		return -EFAULT;
	return (int)i;
}

/* The kernel's recvmmsg on a socket not ours: sockets passed in it are registered as recvmsg's. */
static int shim_real_recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags,
			      struct timespec *timeout)
{
	int ret = shim_real.recvmmsg(fd, vec, vlen, flags, timeout);

	for (int i = 0; i < ret; i++) {
		if (vec[i].msg_hdr.msg_controllen)
			shim_register_rights(&vec[i].msg_hdr);
	}
	return ret;
}

SHIM_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags,
			 struct timespec *timeout)
{
	struct shim_call c;
	char f[128];
	uint64_t e;
	int ret;

	if (likely(!shim_slow) && likely(!shim_fd_get(fd)))
		return shim_real_recvmmsg(fd, vec, vlen, flags, timeout);
	shim_call_begin(&c, SHIM_SYM_recvmmsg);
	e = shim_fd_get(fd);
	if (!shim_emulated(e)) {
		ret = shim_real_recvmmsg(fd, vec, vlen, flags, timeout);
	} else if (shim_plain_stream(e) && !(flags & (MSG_OOB | MSG_ERRQUEUE | MSG_TRUNC))) {
		ret = shim_real.recvmmsg(fd, vec, vlen, flags, timeout);
	} else {
		c.path = "stack";
		ret = (int)shim_ret(shim_recvmmsg(fd, e, vec, vlen, flags, timeout), c.err0);
	}
	if (unlikely(shim_trace_level))
		shim_trace(&c, ret, "%d, %p, %u, %s, %p", fd, (void *)vec, vlen,
			   shim_fmt_msgflags(f, sizeof(f), flags), (void *)timeout);
	return ret;
}

/* ---- write side ---- */

/*
 * write() of a stream on its pair: send() with MSG_NOSIGNAL, the same
 * sock_sendmsg, so that SIGPIPE is the interposer's to raise
 * (shim_stream_wmap). write() itself where that cannot be: in a process
 * under seccomp (shim_sandboxed), or on an fd that is no socket after all
 * (an entry this process could not keep in step, e.g. a vfork child's
 * dup2 over it); its SIGPIPE is then the kernel's (*sig: MSG_NOSIGNAL).
 */
static inline ssize_t shim_pair_write(int fd, const void *buf, size_t n, int *sig)
{
	ssize_t ret;

	if (likely(!shim_sandboxed)) {
		ret = shim_real.send(fd, buf, n, MSG_NOSIGNAL);
		if (likely(ret >= 0) || errno != ENOTSOCK)
			return ret;
	}
	*sig = MSG_NOSIGNAL;
	return shim_real.write(fd, buf, n);
}

/* writev() as shim_pair_write: a count writev refuses (EINVAL, sendmsg EMSGSIZE) too. */
static inline ssize_t shim_pair_writev(int fd, const struct msghdr *m, int *sig)
{
	ssize_t ret;

	if (likely(!shim_sandboxed) && m->msg_iovlen <= UIO_MAXIOV) {
		ret = shim_real.sendmsg(fd, m, MSG_NOSIGNAL);
		if (likely(ret >= 0) || errno != ENOTSOCK)
			return ret;
	}
	*sig = MSG_NOSIGNAL;
	return shim_real.writev(fd, m->msg_iov, (int)m->msg_iovlen);
}

SHIM_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	struct iovec iov = {(void *)buf, n};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	struct shim_call c;
	uint64_t e;
	ssize_t ret;

	if (likely(!shim_slow)) {
		e = shim_fd_get(fd);
		if (likely(!e))
			return shim_real.write(fd, buf, n);
		if (likely(shim_plain_stream(e))) {
			int err0 = errno;

			int sig = 0;

			shim_stream_wrote(fd, e);
			ret = shim_pair_write(fd, buf, n, &sig);
			if (likely(ret >= 0 && (size_t)ret == n))
				return ret;
			ret = shim_neg(ret);
			if (!shim_stream_followed(fd, e, ret))
				return shim_ret(
					shim_stream_wmap(fd, e,
							 shim_stream_short(fd, e, &m, n, ret), sig),
					err0);
			errno = err0; /* again on the socket's current pair */
		}
	}
	shim_call_begin(&c, SHIM_SYM_write);
	e = shim_fd_get(fd);
	if (!shim_emulated(e)) {
		ret = shim_real.write(fd, buf, n);
	} else {
		c.path = "stack";
		ret = shim_ret(shim_send_msg(fd, e, &m, 0, 0), c.err0);
	}
	shim_trace(&c, ret, "%d, %p, %zu", fd, buf, n);
	return ret;
}

SHIM_EXPORT ssize_t writev(int fd, const struct iovec *uiov, int cnt)
{
	struct iovec iov[UIO_MAXIOV];
	struct msghdr m = {.msg_iov = iov};
	struct shim_call c;
	uint64_t e;
	ssize_t ret;

	if (likely(!shim_slow)) {
		e = shim_fd_get(fd);
		if (likely(!e))
			return shim_real.writev(fd, uiov, cnt);
		if (likely(shim_plain_stream(e))) {
			struct msghdr um = {.msg_iov = (struct iovec *)uiov,
					    .msg_iovlen = (size_t)cnt};
			int err0 = errno, sig = 0;

			shim_stream_wrote(fd, e);
			ret = shim_pair_writev(fd, &um, &sig);
			/* The kernel read uiov whole: it is there to sum. */
			if (likely(ret >= 0 && (size_t)ret == shim_iov_total(&um)))
				return ret;
			ret = shim_neg(ret);
			if (!shim_stream_followed(fd, e, ret))
				return shim_ret(shim_stream_wmap(
							fd, e,
							shim_stream_short(fd, e, &um,
									  shim_iov_total(&um), ret),
							sig),
						err0);
			errno = err0; /* again on the socket's current pair */
		}
	}
	shim_call_begin(&c, SHIM_SYM_writev);
	e = shim_fd_get(fd);
	if (!shim_emulated(e)) {
		ret = shim_real.writev(fd, uiov, cnt);
	} else {
		c.path = "stack";
		ret = shim_iov_in(iov, uiov, cnt, -EINVAL);
		m.msg_iovlen = (size_t)cnt;
		if (!ret)
			ret = shim_send_msg(fd, e, &m, 0, 0);
		ret = shim_ret(ret, c.err0);
	}
	shim_trace(&c, ret, "%d, %p, %d", fd, (void *)uiov, cnt);
	return ret;
}

/*
 * sendto and send. As __sys_sendto: an address is copied in with
 * move_addr_to_kernel, and a non-NULL address of length 0 still counts as
 * one (udp_sendmsg then says EINVAL).
 */
static ssize_t shim_sendto(enum shim_sym sym, int fd, const void *buf, size_t n, int flags,
			   const struct sockaddr *addr, socklen_t addrlen)
{
	struct sockaddr_storage ss;
	struct iovec iov = {(void *)buf, n};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	struct shim_call c;
	char f[128], a[128];
	uint64_t e;
	ssize_t ret = 0;

	shim_call_begin(&c, sym);
	e = shim_fd_get(fd);
	if (!shim_emulated(e)) {
		ret = sym == SHIM_SYM_send ? shim_real.send(fd, buf, n, flags)
					   : shim_real.sendto(fd, buf, n, flags, addr, addrlen);
		if (ret >= 0 && shim_ent_kind(e) == SHIM_NETLINK)
			shim_nl_sent(fd, buf, n);
	} else {
		c.path = "stack";
		/*
		 * __sys_sendto copies the address in before the protocol sees
		 * the call, whatever the socket; a stream then takes it only to
		 * connect (MSG_FASTOPEN).
		 */
		if (addr) {
			if ((int)addrlen < 0 || addrlen > sizeof(ss))
				ret = -EINVAL;
			else if (shim_copy_from_user(&ss, addr, addrlen))
				ret = -EFAULT;
		}
		if (addr && (shim_ent_kind(e) == SHIM_DGRAM || (flags & MSG_FASTOPEN))) {
			m.msg_name = &ss;
			m.msg_namelen = addrlen;
		}
		if (!ret)
			ret = shim_send_msg(fd, e, &m, flags, 0);
		ret = shim_ret(ret, c.err0);
	}
	if (unlikely(shim_trace_level)) {
		shim_fmt_msgflags(f, sizeof(f), flags);
		if (sym == SHIM_SYM_send)
			shim_trace(&c, ret, "%d, %p, %zu, %s", fd, buf, n, f);
		else
			shim_trace(&c, ret, "%d, %p, %zu, %s, %s, %u", fd, buf, n, f,
				   shim_fmt_addr(a, sizeof(a), addr, addrlen), addrlen);
	}
	return ret;
}

SHIM_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	uint64_t e;
	ssize_t ret;

	if (likely(!shim_slow)) {
		e = shim_fd_get(fd);
		if (likely(!e))
			return shim_real.send(fd, buf, n, flags);
		if (likely(shim_plain_stream(e)) && likely(!(flags & SHIM_STREAM_SLOW_SEND))) {
			struct iovec iov = {(void *)buf, n};
			struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
			int err0 = errno;

			shim_stream_wrote(fd, e);
			ret = shim_real.send(fd, buf, n, flags | MSG_NOSIGNAL);
			if (likely(ret >= 0 && (size_t)ret == n))
				return ret;
			ret = shim_neg(ret);
			if (!shim_stream_followed(fd, e, ret))
				return shim_ret(
					shim_stream_wmap(
						fd, e, shim_stream_short(fd, e, &m, n, ret), flags),
					err0);
			errno = err0; /* again on the socket's current pair */
		}
	}
	return shim_sendto(SHIM_SYM_send, fd, buf, n, flags, NULL, 0);
}

SHIM_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
			   const struct sockaddr *addr, socklen_t addrlen)
{
	if (likely(!shim_slow) && likely(!shim_fd_get(fd)))
		return shim_real.sendto(fd, buf, n, flags, addr, addrlen);
	return shim_sendto(SHIM_SYM_sendto, fd, buf, n, flags, addr, addrlen);
}

/*
 * ____sys_sendmsg's control buffer: longer than INT_MAX or than
 * sock_kmalloc grants (net.core.optmem_max, whose default every new
 * namespace starts with; the stack has no sysctl of its own) is ENOBUFS,
 * unreadable EFAULT. Then, as sock_cmsg_send and udp_cmsg_send walk it, a
 * header that does not fit (!CMSG_OK) is EINVAL, which the protocol
 * reports at its own step (*malformed).
 */
#define SHIM_OPTMEM_MAX 131072

static int shim_cmsg_check(const struct msghdr *m, bool *malformed)
{
	const char *ctl = m->msg_control;
	size_t len = m->msg_controllen, off;
	struct cmsghdr ch;
	char chunk[512];

	*malformed = false;
	if (len > INT_MAX)
		return -ENOBUFS;
	/* The kernel copies up to 36 bytes on its stack, more with sock_kmalloc. */
	if (len > sizeof(struct cmsghdr) + 20 && len >= SHIM_OPTMEM_MAX)
		return -ENOBUFS;
	for (off = 0; off < len; off += sizeof(chunk)) {
		size_t n = len - off < sizeof(chunk) ? len - off : sizeof(chunk);

		if (shim_copy_from_user(chunk, ctl + off, n))
			return -EFAULT;
	}
	for (off = 0; off + sizeof(ch) <= len; off += CMSG_ALIGN(ch.cmsg_len)) {
		if (shim_copy_from_user(&ch, ctl + off, sizeof(ch)))
			return -EFAULT;
		if (ch.cmsg_len < sizeof(ch) || ch.cmsg_len > len - off) {
			*malformed = true;
			break;
		}
	}
	return 0;
}

/*
 * A datagram sendmsg with well-formed control messages: read whole as
 * ip_cmsg_send reads them (its errors come after the address checks), and
 * what they ask for (TTL, TOS, source address, IP options) carried to the
 * host as a few messages of the kernel's layout.
 */
static ssize_t shim_dgram_sendmsg_ctl(int fd, uint64_t e, struct msghdr *m, int flags)
{
	uint64_t small[512], out[SHIM_DGRAM_CTL_MAX / sizeof(uint64_t)];
	void *buf = small;
	struct ipcm_cookie ipc;
	int err = -EFAULT;

	ipcm_init(&ipc);
	/* shim_cmsg_check bounded the length by the kernel's optmem_max. */
	if (m->msg_controllen > sizeof(small) && !(buf = malloc(m->msg_controllen)))
		return -ENOBUFS;
	if (!shim_copy_from_user(buf, m->msg_control, m->msg_controllen)) {
		struct msghdr k = {.msg_control = buf, .msg_controllen = m->msg_controllen};

		/* udp_sendmsg reads its own SOL_UDP messages first (udp_cmsg_send). */
		err = shim_ent_flags(e) & SHIM_F_UDP ? udp_cmsg_send(&k, &ipc) : 0;
		if (!err)
			err = shim_ip_cmsg_send(&k, &ipc);
		if (!err && ipc.gso_size >= 0)
			shim_dgram_cork_used();
	}
	if (buf != small)
		free(buf);
	/* The source must be the stack's own (ipc_saddr: the kernel's ENETUNREACH). */
	if (!err && ipc.addr && ipc.addr != shim_cfg.addr && (ntohl(ipc.addr) >> 24) != 127)
		err = -ENETUNREACH;
	m->msg_control = out;
	m->msg_controllen = err ? 0 : shim_cmsg_build(out, &ipc);
	return shim_send_msg(fd, e, m, flags, err);
}

/* sendmsg with a user msghdr, copied in as copy_msghdr_from_user does. */
static ssize_t shim_sendmsg_one(int fd, uint64_t e, const struct msghdr *umsg, int flags)
{
	struct iovec iov[UIO_MAXIOV];
	struct sockaddr_storage ss;
	struct msghdr m;
	bool malformed = false;
	int err;

	if (shim_copy_from_user(&m, umsg, sizeof(m)))
		return -EFAULT;
	if ((int)m.msg_namelen < 0)
		return -EINVAL;
	/* The name is copied in even where the protocol then ignores it (TCP). */
	if (m.msg_name && m.msg_namelen) {
		if (m.msg_namelen > sizeof(ss))
			m.msg_namelen = sizeof(ss);
		if (shim_copy_from_user(&ss, m.msg_name, m.msg_namelen))
			return -EFAULT;
	}
	err = shim_iov_in(iov, m.msg_iov, (long)m.msg_iovlen, -EMSGSIZE);
	if (err)
		return err;
	m.msg_iov = iov;
	if (m.msg_name && m.msg_namelen &&
	    (shim_ent_kind(e) == SHIM_DGRAM || (flags & MSG_FASTOPEN))) {
		m.msg_name = &ss;
	} else {
		m.msg_name = NULL;
		m.msg_namelen = 0;
	}
	if (m.msg_controllen && (err = shim_cmsg_check(&m, &malformed)))
		return err;
	if (m.msg_controllen && !malformed && shim_ent_kind(e) == SHIM_DGRAM)
		return shim_dgram_sendmsg_ctl(fd, e, &m, flags);
	/* A stream's SO_TIMESTAMPING message is read where tcp_sendmsg reads it. */
	if (malformed || shim_ent_kind(e) != SHIM_STREAM || (flags & MSG_FASTOPEN)) {
		m.msg_control = NULL;
		m.msg_controllen = 0;
	}
	return shim_send_msg(fd, e, &m, flags, malformed ? -EINVAL : 0);
}

SHIM_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct shim_call c;
	char f[128];
	uint64_t e;
	ssize_t ret;

	if (likely(!shim_slow) && likely(!shim_fd_get(fd)))
		return shim_real.sendmsg(fd, msg, flags);
	shim_call_begin(&c, SHIM_SYM_sendmsg);
	e = shim_fd_get(fd);
	if (!shim_emulated(e)) {
		ret = shim_real.sendmsg(fd, msg, flags);
		if (ret >= 0 && shim_ent_kind(e) == SHIM_NETLINK)
			shim_nl_sentmsg(fd, msg);
	} else {
		c.path = "stack";
		ret = shim_ret(shim_sendmsg_one(fd, e, msg, flags), c.err0);
	}
	if (unlikely(shim_trace_level))
		shim_trace(&c, ret, "%d, %p, %s", fd, (void *)msg,
			   shim_fmt_msgflags(f, sizeof(f), flags));
	return ret;
}

SHIM_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	struct shim_call c;
	char f[128];
	unsigned int i;
	uint64_t e;
	ssize_t n = 0;
	int ret;

	if (likely(!shim_slow) && likely(!shim_fd_get(fd)))
		return shim_real.sendmmsg(fd, vec, vlen, flags);
	shim_call_begin(&c, SHIM_SYM_sendmmsg);
	e = shim_fd_get(fd);
	if (!shim_emulated(e)) {
		ret = shim_real.sendmmsg(fd, vec, vlen, flags);
	} else if (shim_plain_stream(e) && !(flags & SHIM_STREAM_SLOW_SEND)) {
		shim_stream_wrote(fd, e);
		ret = shim_real.sendmmsg(fd, vec, vlen, flags | MSG_NOSIGNAL);
		if (ret < 0)
			ret = (int)shim_ret(shim_stream_wmap(fd, e, -errno, flags), c.err0);
	} else {
		c.path = "stack";
		if (vlen > UIO_MAXIOV)
			vlen = UIO_MAXIOV;
		for (i = 0; i < vlen; i++) {
			unsigned int len;

			n = shim_sendmsg_one(fd, e, &vec[i].msg_hdr, flags);
			if (n < 0)
				break;
			len = (unsigned int)n;
			if (shim_copy_to_user(&vec[i].msg_len, &len, sizeof(len))) {
				n = -EFAULT;
				break;
			}
		}
		ret = (int)shim_ret(i ? (long)i : n, c.err0);
	}
	if (unlikely(shim_trace_level))
		shim_trace(&c, ret, "%d, %p, %u, %s", fd, (void *)vec, vlen,
			   shim_fmt_msgflags(f, sizeof(f), flags));
	return ret;
}

/*
 * do_sendfile into a socket that cannot take the bytes (a listener, a
 * stream never connected, a datagram socket here): the input file and
 * offset are checked first (EBADF, ESPIPE, EFAULT, EINVAL for a pipe or a
 * socket, 0 for nothing to send), and the socket's own error only comes
 * when the first bytes are written to it. Those checks are the kernel's on
 * a stand-in whose write fails too: an unconnected AF_UNIX datagram socket
 * (ENOTCONN, no signal; the bytes read for it stay unsent, as for a
 * socket that fails). Returns 1 where the socket's answer comes next.
 */
static ssize_t shim_sendfile_in_checks(enum shim_sym sym, int in, void *off, size_t n)
{
	int s = shim_real.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), err;
	ssize_t r;

	if (s < 0)
		return 1; /* no stand-in (a sandbox): the socket's answer alone */
	r = sym == SHIM_SYM_sendfile ? shim_real.sendfile(s, in, off, n)
				     : shim_real.sendfile64(s, in, off, n);
	err = errno;
	shim_real.close(s);
	if (r >= 0)
		return r ? 1 : 0;
	return err == ENOTCONN ? 1 : -err;
}

/* do_splice_direct's pipe: 16 buffers of a page each (PIPE_DEF_BUFFERS). */
#define SHIM_SPLICE_PIPE (16 * 4096)

/*
 * sendfile to a datagram socket, do_splice_direct into udp_sendmsg: each
 * step fills the pipe from the file (up to the 16th page boundary from the
 * position) and sends what it holds as one send of the socket, with
 * MSG_MORE while the pipe came back full and more was asked for, so a
 * request over 65,507 bytes fails EMSGSIZE before a byte goes, and one
 * that a corked datagram (MSG_MORE, UDP_CORK) waits for joins it. The
 * pair cannot take the file's bytes (each datagram has its header in
 * front): they are read here and sent through shim_dgram_send, which
 * gives the socket's own answers (EDESTADDRREQ, EPIPE after SHUT_WR). The
 * offset, or the file position, moves on by what was sent; a step that
 * fails after one that sent ends the call with what was sent. A file that
 * ends right after a full pipe leaves its last step corked by MSG_MORE:
 * the kernel's read of nothing then calls splice_eof (udp_splice_eof),
 * which sends the datagram unless UDP_CORK holds it, as an empty send does.
 */
static ssize_t shim_dgram_sendfile(int out, uint64_t e, int in, off64_t *off, size_t n)
{
	struct iovec iov;
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	size_t sent = 0, chunk;
	off64_t pos;
	ssize_t got, r = 0;
	int more = 0;
	void *buf;

	pos = off ? *off : lseek64(in, 0, SEEK_CUR);
	if (pos < 0)
		return -errno;
	buf = mmap(NULL, SHIM_SPLICE_PIPE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		   0);
	if (buf == MAP_FAILED)
		return -ENOMEM;
	while (sent < n) {
		chunk = SHIM_SPLICE_PIPE - (size_t)(pos % 4096);
		if (chunk > n - sent)
			chunk = n - sent;
		got = pread64(in, buf, chunk, pos);
		if (got < 0) {
			r = -errno;
			break;
		}
		if (!got) {
			if (more) {
				iov.iov_len = 0;
				shim_dgram_send(e, out, &m, 0, 0);
			}
			break;
		}
		iov = (struct iovec){buf, (size_t)got};
		more = (size_t)got == chunk && n - sent > chunk ? MSG_MORE : 0;
		r = shim_dgram_send(e, out, &m, more, 0);
		if (r < 0)
			break;
		sent += (size_t)got;
		pos += got;
	}
	munmap(buf, SHIM_SPLICE_PIPE);
	if (off)
		*off = pos;
	else if (sent)
		lseek64(in, pos, SEEK_SET);
	return sent ? (ssize_t)sent : r;
}

/*
 * A stream's sendfile or splice: the kernel's into the pair, which may take
 * less than tcp_sendmsg would. A non-blocking one that the pair took short
 * is topped up as a write is (shim_stream_short), each round the same call
 * again for what is left, made not to wait (SPLICE_F_NONBLOCK for the
 * pipe; the socket's O_NONBLOCK for the pair). What the input held is the
 * most the call could have taken (a file's bytes past the offset, a
 * pipe's FIONREAD), so a call that took all there was is not short. A
 * blocking one returns short only for a signal: its count stands.
 *
 * The rest is bounded as one write (the host's tcp_sendmsg model), where
 * the kernel's sendfile makes one tcp_sendmsg per pipe-full and lets the
 * socket's lock, and the ACKs it held back, go between them: bounding each
 * pipe-full as it begins took one request per 64 KiB and let a call run on
 * for tens of MB while a reader kept up (README, Limits).
 */
struct shim_topup_file {
	enum shim_sym sym;
	int in;
	void *off; /* sendfile's offset, splice's off_in */
	unsigned int flags;
};

static ssize_t shim_topup_file(int fd, void *arg, size_t done, size_t len)
{
	const struct shim_topup_file *f = arg;

	(void)done; /* the offset or the file position has moved on already */
	if (f->sym == SHIM_SYM_sendfile)
		return shim_real.sendfile(fd, f->in, f->off, len);
	if (f->sym == SHIM_SYM_sendfile64)
		return shim_real.sendfile64(fd, f->in, f->off, len);
	return shim_real.splice(f->in, f->off, fd, NULL, len, f->flags | SPLICE_F_NONBLOCK);
}

/* The bytes f's input still holds after the call took some, at most want. */
static size_t shim_topup_file_left(const struct shim_topup_file *f, size_t want)
{
	struct stat st;
	off64_t pos;
	int queued = 0;

	if (fstat(f->in, &st))
		return 0;
	if (S_ISFIFO(st.st_mode))
		return !shim_real.ioctl(f->in, FIONREAD, &queued) && (size_t)queued < want
			       ? (size_t)queued
			       : want;
	if (!S_ISREG(st.st_mode) || f->sym == SHIM_SYM_splice)
		return 0; /* a socket's or a device's input may wait: no more rounds */
	pos = f->off ? *(off64_t *)f->off : lseek64(f->in, 0, SEEK_CUR);
	if (pos < 0 || pos >= st.st_size)
		return 0;
	return (uint64_t)(st.st_size - pos) < want ? (size_t)(st.st_size - pos) : want;
}

static ssize_t shim_stream_file_short(int fd, uint64_t e, struct shim_topup_file *f, size_t n,
				      ssize_t ret)
{
	size_t done = ret > 0 ? (size_t)ret : 0, total;
	int fl, saved = errno;

	if ((ret < 0 && errno != EAGAIN) || done >= n)
		return ret;
	fl = shim_real.fcntl(fd, F_GETFL);
	errno = saved;
	if (fl < 0 || !(fl & O_NONBLOCK))
		return ret;
	total = done + shim_topup_file_left(f, n - done);
	errno = saved;
	if (done >= total)
		return ret;
	done += shim_stream_topup_by(fd, e, shim_topup_file, f, done, total);
	if (done < total)
		shim_stream_full(fd, e);
	errno = saved;
	return done ? (ssize_t)done : ret;
}

/* sendfile into a stream is the kernel's splice into the pair. */
static ssize_t shim_sendfile(enum shim_sym sym, int out, int in, void *off, size_t n)
{
	struct shim_call c;
	uint64_t e;
	ssize_t ret;

	shim_call_begin(&c, sym);
	e = shim_stream_known(out, shim_fd_get(out));
	if (shim_emulated(e))
		c.path = "stack";
	if (shim_ent_kind(e) == SHIM_DGRAM) {
		ret = shim_sendfile_in_checks(sym, in, off, n);
		if (ret == 1)
			ret = shim_dgram_sendfile(out, e, in, off, n);
		ret = shim_ret(ret, c.err0);
	} else if (shim_ent_kind(e) == SHIM_LISTENER || (shim_ent_flags(e) & SHIM_F_UNCONNECTED)) {
		ret = shim_sendfile_in_checks(sym, in, off, n);
		ret = shim_ret(ret == 1 ? shim_unconnected_send(out, 0) : ret, c.err0);
	} else {
		if (shim_ent_kind(e) == SHIM_STREAM)
			shim_stream_wrote(out, e);
		ret = sym == SHIM_SYM_sendfile ? shim_real.sendfile(out, in, off, n)
					       : shim_real.sendfile64(out, in, off, n);
		if (shim_ent_kind(e) == SHIM_STREAM) {
			struct shim_topup_file f = {.sym = sym, .in = in, .off = off};

			ret = shim_stream_file_short(out, e, &f, n, ret);
		}
		if (ret < 0 && shim_ent_kind(e) == SHIM_STREAM)
			/* The kernel's splice into the pair raised its own SIGPIPE. */
			ret = shim_ret(shim_stream_wmap(out, e, -errno, MSG_NOSIGNAL), c.err0);
	}
	shim_trace(&c, ret, "%d, %d, %p, %zu", out, in, off, n);
	return ret;
}

/*
 * splice into a stream is the kernel's into the pair; one that finds the
 * pair full counts as a write that did (SHIM_F_NOSPACE: the writer's next
 * edge-triggered EPOLLOUT comes) once topped up (shim_stream_file_short),
 * and the first gives the send buffer back.
 */
SHIM_EXPORT ssize_t splice(int in, off64_t *off_in, int out, off64_t *off_out, size_t n,
			   unsigned int flags)
{
	struct shim_call c;
	uint64_t e;
	ssize_t ret;

	if (likely(!shim_slow) && likely(shim_ent_kind(shim_fd_get(out)) != SHIM_STREAM))
		return shim_real.splice(in, off_in, out, off_out, n, flags);
	shim_call_begin(&c, SHIM_SYM_splice);
	e = shim_fd_get(out);
	if (shim_ent_kind(e) == SHIM_STREAM) {
		c.path = "stack";
		shim_stream_wrote(out, e);
	}
	ret = shim_real.splice(in, off_in, out, off_out, n, flags);
	if (shim_ent_kind(e) == SHIM_STREAM && !off_out) {
		struct shim_topup_file f = {
			.sym = SHIM_SYM_splice, .in = in, .off = off_in, .flags = flags};

		ret = shim_stream_file_short(out, e, &f, n, ret);
	}
	shim_trace(&c, ret, "%d, %p, %d, %p, %zu, %#x", in, (void *)off_in, out, (void *)off_out, n,
		   flags);
	return ret;
}

SHIM_EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t n)
{
	if (likely(!shim_slow) && likely(!shim_fd_get(out)))
		return shim_real.sendfile(out, in, off, n);
	return shim_sendfile(SHIM_SYM_sendfile, out, in, off, n);
}

SHIM_EXPORT ssize_t sendfile64(int out, int in, off64_t *off, size_t n)
{
	if (likely(!shim_slow) && likely(!shim_fd_get(out)))
		return shim_real.sendfile64(out, in, off, n);
	return shim_sendfile(SHIM_SYM_sendfile64, out, in, off, n);
}
