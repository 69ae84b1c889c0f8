/* SPDX-License-Identifier: MIT */
/*
 * Control messages on the datagram path (shim_ctl.h, struct shim_dgram):
 * the host writes the ones a socket asked for (IP_PKTINFO, IP_TTL, IP_TOS,
 * SO_TIMESTAMP(NS), ...) with all the room they need, and here they are
 * copied into the program's msg_control as the kernel's put_cmsg() would:
 * one that does not fit is cut to the room left and MSG_CTRUNC is set, a
 * buffer that cannot be written stops the copy (the data is still
 * delivered, msg_controllen says how much of the control data arrived).
 * The error queue (recvmsg with MSG_ERRQUEUE) is read from the host with
 * one request, since the pair carries only the receive queue.
 *
 * Not here: file descriptors (no datagram socket of the stack carries
 * SCM_RIGHTS, so MSG_CMSG_CLOEXEC has nothing to act on).
 */
#include "shim_lib.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "ip.h"
#include "udp.h"

bool shim_put_cmsgs(struct msghdr *m, const void *ctl, size_t ctl_len, int64_t *stamp)
{
	bool found = false;
	const uint8_t *src = ctl;
	uint8_t *dst = m->msg_control;
	size_t room = m->msg_controllen, used = 0, off;
	struct cmsghdr ch;

	for (off = 0; off + sizeof(ch) <= ctl_len; off += CMSG_ALIGN(ch.cmsg_len)) {
		size_t len, cmlen, left = room - used;

		memcpy(&ch, src + off, sizeof(ch));
		if (ch.cmsg_len < sizeof(ch) || ch.cmsg_len > ctl_len - off)
			break; /* the host writes none such: stop rather than guess */
		len = ch.cmsg_len - sizeof(ch);
		/* The host's word for SIOCGSTAMP, not the program's. */
		if (ch.cmsg_level == SOL_SOCKET && ch.cmsg_type == SHIM_SCM_STAMP &&
		    len == sizeof(*stamp)) {
			memcpy(stamp, src + off + sizeof(ch), sizeof(*stamp));
			found = true;
			continue;
		}
		cmlen = CMSG_LEN(len);
		if (!dst || left < sizeof(ch)) {
			m->msg_flags |= MSG_CTRUNC;
			continue;
		}
		if (left < cmlen) {
			m->msg_flags |= MSG_CTRUNC;
			cmlen = left;
		}
		ch.cmsg_len = cmlen;
		if (shim_copy_to_user(dst + used, &ch, sizeof(ch)) ||
		    shim_copy_to_user(dst + used + sizeof(ch), src + off + sizeof(ch),
				      cmlen - sizeof(ch)))
			break;
		used += CMSG_SPACE(len) < left ? CMSG_SPACE(len) : left;
	}
	m->msg_controllen = used;
	return found;
}

/* The byte at logical offset off of [ctl | iov...] (off < the bytes there). */
static uint8_t *shim_stream_at(uint8_t *ctl, size_t ctl_n, const struct iovec *iov, size_t cnt,
			       size_t off)
{
	if (off < ctl_n)
		return ctl + off;
	off -= ctl_n;
	for (size_t i = 0; i < cnt; i++) {
		if (off < iov[i].iov_len)
			return (uint8_t *)iov[i].iov_base + off;
		off -= iov[i].iov_len;
	}
	return NULL;
}

size_t shim_dgram_ctl_fixup(uint8_t *ctl, size_t room, size_t ctl_len, const struct iovec *iov,
			    size_t cnt, size_t got)
{
	size_t payload = got > ctl_len ? got - ctl_len : 0, cap = 0, i;
	uint8_t *tmp;

	for (i = 0; i < cnt; i++)
		cap += iov[i].iov_len;
	if (payload > cap)
		payload = cap;
	/* A rare path (another reader took the peeked datagram, or an exec lost the flag). */
	tmp = malloc(got ? got : 1);
	if (!tmp)
		return 0;
	for (i = 0; i < got; i++)
		tmp[i] = *shim_stream_at(ctl, room, iov, cnt, i);
	for (i = 0; i < payload; i++)
		*shim_stream_at(NULL, 0, iov, cnt, i) = tmp[ctl_len + i];
	memcpy(ctl, tmp, ctl_len < got ? ctl_len : got);
	free(tmp);
	return payload;
}

/* One message of the kernel's layout at out + *off. */
static void shim_cmsg_add(uint8_t *out, size_t *off, int level, int type, const void *data,
			  size_t len)
{
	struct cmsghdr ch = {.cmsg_len = CMSG_LEN(len), .cmsg_level = level, .cmsg_type = type};

	memcpy(out + *off, &ch, sizeof(ch));
	memcpy(out + *off + sizeof(ch), data, len);
	*off += CMSG_SPACE(len);
}

size_t shim_cmsg_build(void *out, const struct ipcm_cookie *ipc)
{
	size_t off = 0;

	memset(out, 0, SHIM_DGRAM_CTL_MAX);
	if (ipc->ttl > 0)
		shim_cmsg_add(out, &off, SOL_IP, IP_TTL, &ipc->ttl, sizeof(ipc->ttl));
	if (ipc->tos >= 0)
		shim_cmsg_add(out, &off, SOL_IP, IP_TOS, &ipc->tos, sizeof(ipc->tos));
	if (ipc->addr || ipc->oif) {
		struct in_pktinfo pi = {.ipi_ifindex = ipc->oif, .ipi_spec_dst = {ipc->addr}};

		shim_cmsg_add(out, &off, SOL_IP, IP_PKTINFO, &pi, sizeof(pi));
	}
	if (ipc->ts_set)
		shim_cmsg_add(out, &off, SOL_SOCKET, SO_TIMESTAMPING_OLD, &ipc->tsflags,
			      sizeof(ipc->tsflags));
	if (ipc->gso_size >= 0) {
		uint16_t gso = (uint16_t)ipc->gso_size;

		shim_cmsg_add(out, &off, SOL_UDP, UDP_SEGMENT, &gso, sizeof(gso));
	}
	/* As given (an empty list too: it sends none, whatever the socket set). */
	if (ipc->retopts_len >= 0)
		shim_cmsg_add(out, &off, SOL_IP, IP_RETOPTS, ipc->retopts,
			      (size_t)ipc->retopts_len);
	return off;
}

/* The value of the first level/type message of a block shim_cmsg_build made, or false. */
static bool shim_cmsg_find(const void *ctl, size_t len, int level, int type, void *val, size_t n)
{
	const uint8_t *p = ctl;
	struct cmsghdr ch;

	for (size_t off = 0; off + sizeof(ch) <= len; off += CMSG_ALIGN(ch.cmsg_len)) {
		memcpy(&ch, p + off, sizeof(ch));
		if (ch.cmsg_level == level && ch.cmsg_type == type) {
			memcpy(val, p + off + sizeof(ch), n);
			return true;
		}
	}
	return false;
}

bool shim_cmsg_pktinfo(const void *ctl, size_t len, struct in_pktinfo *pi)
{
	return shim_cmsg_find(ctl, len, SOL_IP, IP_PKTINFO, pi, sizeof(*pi));
}

int shim_cmsg_gso(const void *ctl, size_t len)
{
	uint16_t gso;

	return shim_cmsg_find(ctl, len, SOL_UDP, UDP_SEGMENT, &gso, sizeof(gso)) ? gso : -1;
}

bool shim_cmsg_retopts(const void *ctl, size_t len, struct ip_options_data *opt)
{
	const uint8_t *p = ctl;
	struct cmsghdr ch;

	memset(opt, 0, sizeof(*opt));
	for (size_t off = 0; off + sizeof(ch) <= len; off += CMSG_ALIGN(ch.cmsg_len)) {
		memcpy(&ch, p + off, sizeof(ch));
		/* Checked when the block was built: compiles again without error. */
		if (ch.cmsg_level == SOL_IP && ch.cmsg_type == IP_RETOPTS) {
			shim_ip_options_get(opt, p + off + sizeof(ch), ch.cmsg_len - sizeof(ch));
			return true;
		}
	}
	return false;
}

int shim_cmsg_tsflags(const void *ctl, size_t len)
{
	uint32_t flags;

	return shim_cmsg_find(ctl, len, SOL_SOCKET, SO_TIMESTAMPING_OLD, &flags, sizeof(flags))
		       ? (int)flags
		       : -1;
}

void shim_errq_note(int fd)
{
	/* Set already: every epoll registration of fd is on its set's static list. */
	if (shim_ent_flags(shim_fd_get(fd)) & SHIM_F_ERRQ)
		return;
	shim_fd_flags(fd, SHIM_F_ERRQ, 0);
	shim_epoll_fd_static(fd);
}

/*
 * SHIM_F_ERRQ on a datagram socket is set by a stamped or MSG_ZEROCOPY send
 * before the host has taken the datagram out of the pair; the kernel's ERR
 * comes when the entry is queued (before send() returns when the frame
 * leaves at once; later if it waits for ARP; never if it is not sent). The
 * word says ERRQ_NOW once the host queued it; when it does not, one
 * request has the host send what the pair holds and say whether the queue
 * holds an entry, and the flag follows the answer. Readiness only.
 */
uint64_t shim_dgram_errq_settle(int fd, uint64_t e)
{
	struct shim_req req = {.hdr = {.op = SHIM_OP_SETSOCKOPT, .id = shim_ent_id(e)},
			       .sockopt = {.level = SOL_SOCKET, .optname = SHIM_SO_ERRQ_NOW}};
	struct shim_rep rep;

	if (shim_ent_kind(e) != SHIM_DGRAM || !(shim_ent_flags(e) & SHIM_F_ERRQ) ||
	    (shim_notice_get(fd, e) & SHIM_NOTICE_ERRQ_NOW))
		return e;
	if (shim_ctl_call(&req, &rep, NULL, fd) || rep.hdr.ret != 0)
		return e; /* an entry is queued (1), or no answer: the flag stays */
	shim_fd_flags(fd, 0, SHIM_F_ERRQ);
	return shim_fd_get(fd);
}

/* tcp_sendmsg's sock_cmsg_send: a SO_TIMESTAMPING message sets this send's TX bits. */
int shim_stream_cmsg_tsflags(const struct msghdr *m, int32_t *tsflags)
{
	const char *ctl = m->msg_control;
	struct cmsghdr ch;
	uint32_t flags;

	*tsflags = -1;
	/* shim_cmsg_check read it all and found the headers well formed. */
	for (size_t off = 0; off + sizeof(ch) <= m->msg_controllen;
	     off += CMSG_ALIGN(ch.cmsg_len)) {
		if (shim_copy_from_user(&ch, ctl + off, sizeof(ch)))
			return -EFAULT;
		if (ch.cmsg_level != SOL_SOCKET ||
		    (ch.cmsg_type != SO_TIMESTAMPING_OLD && ch.cmsg_type != SO_TIMESTAMPING_NEW))
			continue;
		if (ch.cmsg_len != CMSG_LEN(sizeof(flags)))
			return -EINVAL;
		if (shim_copy_from_user(&flags, ctl + off + sizeof(ch), sizeof(flags)))
			return -EFAULT;
		if (flags & ~SOF_TX_RECORD_MASK)
			return -EINVAL;
		*tsflags = (int32_t)flags;
	}
	return 0;
}

static int shim_stream_mark_call(int fd, uint64_t e, const struct shim_stream_mark *m,
				 struct shim_stream_mark_rep *r)
{
	struct shim_req req = {.hdr = {.op = SHIM_OP_SETSOCKOPT, .id = shim_ent_id(e)},
			       .sockopt = {.level = SOL_SOCKET,
					   .optname = SHIM_SO_STREAM_MARK,
					   .optlen = sizeof(*m)}};
	struct shim_rep rep;

	memcpy(req.sockopt.optval, m, sizeof(*m));
	if (shim_ctl_call(&req, &rep, NULL, fd) || rep.hdr.ret < 0 ||
	    rep.sockopt.optlen != sizeof(*r))
		return -1;
	memcpy(r, rep.sockopt.optval, sizeof(*r));
	if (r->errq)
		shim_errq_note(fd);
	return 0;
}

bool shim_stream_mark_begin(int fd, uint64_t e, struct shim_stream_mark *m)
{
	struct shim_stream_mark_rep r;
	bool stamped = m->zerocopy || (m->tsflags > 0 && (m->tsflags & SOF_TX_RECORD_MASK)) ||
		       (m->tsflags < 0 && (shim_ent_flags(e) & SHIM_F_TXSTAMP));

	m->phase = SHIM_MARK_BEGIN;
	if (!m->len || (!stamped && !m->more))
		return false;
	/* Entries will come to its error queue: its wake-up, asked for once (errwake). */
	if (stamped && shim_errwake_fd(fd, e) < 0 && shim_errwake_get(fd, e) >= 0)
		shim_epoll_errwake_arm(fd);
	if (shim_stream_mark_call(fd, e, m, &r))
		return false; /* no mark: the send goes unstamped, as one the host lost */
	m->end_seq = r.end_seq;
	return true;
}

void shim_stream_mark_done(int fd, uint64_t e, struct shim_stream_mark *m, size_t taken)
{
	struct shim_stream_mark_rep r;

	m->phase = SHIM_MARK_DONE;
	m->taken = (uint32_t)taken;
	shim_stream_mark_call(fd, e, m, &r);
}

ssize_t shim_errqueue_recv(int fd, uint64_t e, struct msghdr *m, int flags)
{
	struct shim_req req = {.hdr = {.op = SHIM_OP_ERRQUEUE, .id = shim_ent_id(e)}};
	const struct shim_errqueue_rep *r;
	struct shim_rep rep;
	int64_t stamp = 0;
	bool carried;
	size_t off = 0;
	int err;

	/*
	 * sock_dequeue_err_skb: the socket's pending error becomes the next
	 * entry's (the host reports it before answering), so a report of the
	 * one about to be read, still waiting at the head of the pair, is void.
	 * ip_recv_error takes the entry with MSG_PEEK too.
	 */
	if (shim_ent_kind(e) == SHIM_DGRAM) {
		struct shim_dgram h;

		if (shim_dgram_framed(fd, &h,
				      shim_real.recv(fd, &h, sizeof(h), MSG_PEEK | MSG_DONTWAIT)) &&
		    h.err)
			shim_real.recv(fd, &h, sizeof(h), MSG_DONTWAIT);
	}
	req.errqueue.flags = flags;
	for (size_t i = 0; i < m->msg_iovlen; i++)
		req.errqueue.len += (uint32_t)m->msg_iov[i].iov_len;
	err = shim_ctl_call(&req, &rep, NULL, fd);
	if (err)
		return err;
	/* sock_poll's ERR stays while entries are left, and goes with the last. */
	if (rep.hdr.ret >= 0 && rep.errqueue.left)
		shim_errq_note(fd);
	else if ((rep.hdr.ret >= 0 || rep.hdr.ret == -EAGAIN) &&
		 (shim_ent_flags(shim_fd_get(fd)) & SHIM_F_ERRQ))
		shim_fd_flags(fd, 0, SHIM_F_ERRQ);
	if (rep.hdr.ret < 0) {
		m->msg_controllen = 0;
		return rep.hdr.ret;
	}
	r = &rep.errqueue;
	if (r->data_len > SHIM_ERRQ_BUF || r->ctl_len > SHIM_ERRQ_BUF - r->data_len)
		return -EPROTO;
	for (size_t i = 0; i < m->msg_iovlen && off < r->data_len; i++) {
		size_t n = m->msg_iov[i].iov_len < r->data_len - off ? m->msg_iov[i].iov_len
								     : r->data_len - off;

		if (n && shim_copy_to_user(m->msg_iov[i].iov_base, r->buf + off, n))
			return -EFAULT;
		off += n;
	}
	m->msg_flags = (int)r->msg_flags | (flags & MSG_CMSG_CLOEXEC);
	carried = shim_put_cmsgs(m, r->buf + r->data_len, r->ctl_len, &stamp);
	/* ip_recv_error's sock_recv_timestamp: SIOCGSTAMP has a stamp after it too. */
	if (shim_ent_kind(e) == SHIM_DGRAM)
		shim_dgram_read_stamp(fd, e, carried, stamp);
	if (m->msg_name && r->name.sin_family) {
		memcpy(m->msg_name, &r->name, sizeof(r->name));
		m->msg_namelen = sizeof(r->name);
	} else {
		m->msg_namelen = 0;
	}
	return rep.hdr.ret;
}

/* ---- the notice page (shim_ctl.h SHIM_SO_NOTICE) ---- */

/*
 * The host's notice page, mapped read-only at the first socket that needs
 * it (one request per process and host), for the host it came from: a
 * host started after this one died has a page of its own. Its slot count
 * (a power of two, from the memfd's size) rides in the pointer's low bits
 * (the log2; a mapping is page-aligned), so that one load gives both.
 */
static _Atomic uintptr_t shim_notice_page;
static _Atomic int shim_notice_host; /* the host it is (or failed to be) mapped for */
static atomic_bool shim_notice_busy;

static uintptr_t shim_notice_map(int fd, uint64_t e)
{
	struct shim_req req = {.hdr = {.op = SHIM_OP_GETSOCKOPT, .id = shim_ent_id(e)},
			       .sockopt = {.level = SOL_SOCKET, .optname = SHIM_SO_NOTICE}};
	uintptr_t page = atomic_load_explicit(&shim_notice_page, memory_order_acquire);
	int host = shim_host_pid(), saved = errno, mfd = -1;
	struct shim_rep rep;
	struct stat st;
	uint32_t slots;
	void *p;

	/*
	 * Host 0: this process has not reached one yet (a socket inherited
	 * across exec): the request reaches it, once (-1: it did not).
	 */
	if ((host ? host : -1) == atomic_load_explicit(&shim_notice_host, memory_order_relaxed))
		return page;
	/* Under seccomp no request is made that the program did not cause (shim_sandboxed). */
	if (__atomic_load_n(&shim_sandboxed, __ATOMIC_RELAXED))
		return 0;
	/* Another thread maps it: the pair alone answers meanwhile. */
	if (atomic_exchange(&shim_notice_busy, true))
		return 0;
	page = 0;
	if (!shim_ctl_call(&req, &rep, &mfd, fd) && rep.hdr.ret == 0 && mfd >= 0 &&
	    !fstat(mfd, &st) && (slots = shim_notice_slots_of((uint64_t)st.st_size))) {
		p = mmap(NULL, SHIM_NOTICE_LEN(slots), PROT_READ, MAP_SHARED, mfd, 0);
		/* An old host's page stays mapped: another thread may be reading it. */
		if (p != MAP_FAILED)
			page = (uintptr_t)p | (uintptr_t)__builtin_ctz(slots);
	}
	if (mfd >= 0)
		shim_real.close(mfd);
	atomic_store_explicit(&shim_notice_page, page, memory_order_release);
	host = shim_host_pid();
	atomic_store_explicit(&shim_notice_host, host ? host : -1, memory_order_release);
	atomic_store_explicit(&shim_notice_busy, false, memory_order_release);
	errno = saved;
	return page;
}

static const uint64_t *shim_notice_words(uintptr_t page)
{
	return (const uint64_t *)(page & ~(uintptr_t)63);
}

static uint32_t shim_notice_slots(uintptr_t page)
{
	return 1u << (page & 63);
}

static uint64_t shim_notice_word_of(uintptr_t page, uint64_t e)
{
	uint64_t w;

	if (!page)
		return 0;
	w = __atomic_load_n(&shim_notice_words(page)[shim_ent_id(e) % shim_notice_slots(page)],
			    __ATOMIC_ACQUIRE);
	return SHIM_NOTICE_ID(w) == shim_ent_id(e) ? w : 0;
}

uint64_t shim_notice_get(int fd, uint64_t e)
{
	return shim_notice_word_of(shim_notice_map(fd, e), e);
}

uint64_t shim_notice_ports(int fd, uint64_t e)
{
	uintptr_t page = shim_notice_map(fd, e);

	return page ? __atomic_load_n(
			      &shim_notice_words(page)[SHIM_NOTICE_PORTS(shim_notice_slots(page))],
			      __ATOMIC_ACQUIRE)
		    : 0;
}

uint64_t shim_notice_peek(uint64_t e)
{
	int host = shim_host_pid();

	if (atomic_load_explicit(&shim_notice_host, memory_order_acquire) != host)
		return 0;
	return shim_notice_word_of(atomic_load_explicit(&shim_notice_page, memory_order_acquire),
				   e);
}

bool shim_notice_stale(int fd, uint64_t e, const struct shim_dgram *h)
{
	uint64_t w = shim_notice_get(fd, e);

	return w && !((w & SHIM_NOTICE_ERR) && SHIM_NOTICE_SEQ(w) == h->orig_len);
}

int shim_notice_take(int fd, uint64_t e, uint32_t seq)
{
	struct shim_req req = {
		.hdr = {.op = SHIM_OP_SETSOCKOPT, .id = shim_ent_id(e)},
		.sockopt = {.level = SOL_SOCKET, .optname = SHIM_SO_NOTICE, .optlen = sizeof(seq)}};
	struct shim_rep rep;

	memcpy(req.sockopt.optval, &seq, sizeof(seq));
	if (shim_ctl_call(&req, &rep, NULL, fd) || rep.hdr.ret <= 0)
		return 0;
	return rep.hdr.ret;
}

int shim_dgram_take_err(int fd, uint64_t e)
{
	uint64_t w = shim_notice_get(fd, e);
	int err;

	if (!(w & SHIM_NOTICE_ERR) || !(err = shim_notice_take(fd, e, SHIM_NOTICE_SEQ(w))))
		return 0;
	if (w & SHIM_NOTICE_ERRQ)
		shim_errq_note(fd);
	return err;
}
