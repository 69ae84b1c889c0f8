/* SPDX-License-Identifier: MIT */
/*
 * getsockopt(TCP_ZEROCOPY_RECEIVE) on an emulated stream, answered as the
 * kernel's do_tcp_getsockopt and tcp_zerocopy_receive answer it. The fd is
 * an AF_UNIX pair, which no process can map as a TCP receive region (its
 * mmap fails), so what the kernel does without such a region is all there
 * is: when the bytes waiting (in the pair) fit copybuf_len they are copied
 * there (receive_fallback_to_copy); fewer than a page, recv_skip_hint says
 * how many to read() instead (EIO at EOF with none); more, EINVAL (no TCP
 * mapping at address). Bytes the stack holds behind a full pair are not
 * counted, as for TCP_CM_INQ.
 */
#include "shim_lib.h"

#include <linux/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>

#define SHIM_ZC_PAGE	4096u
#define SHIM_ZC_CMSG_TS 2u /* TCP_CMSG_TS: the only msg_flags bit it takes */
#define SHIM_ZC_END(f)                                                                             \
	(offsetof(struct tcp_zerocopy_receive, f) + sizeof(((struct tcp_zerocopy_receive *)0)->f))

/* check_zeroed_sockptr: the caller's bytes past the struct it knows must be 0. */
static int shim_zc_tail_zero(const char *p, size_t len)
{
	char buf[256];

	for (size_t off = 0; off < len; off += sizeof(buf)) {
		size_t n = len - off < sizeof(buf) ? len - off : sizeof(buf);

		if (shim_copy_from_user(buf, p + off, n))
			return -EFAULT;
		for (size_t i = 0; i < n; i++) {
			if (buf[i])
				return -EINVAL;
		}
	}
	return 0;
}

/* A stream with a pair of its own (a listener or a never-connected socket has none to read). */
static bool shim_zc_connected(uint64_t e)
{
	return shim_ent_kind(e) == SHIM_STREAM && !(shim_ent_flags(e) & SHIM_F_UNCONNECTED);
}

/* tcp_inq: the bytes waiting in the pair. */
static int shim_zc_waiting(int fd, uint64_t e)
{
	int inq = 0;

	if (!shim_zc_connected(e) || shim_real.ioctl(fd, FIONREAD, &inq) < 0)
		return 0;
	return inq;
}

/* The peer's FIN came (SOCK_DONE): the pair's end of file, behind its bytes or not. */
static bool shim_zc_done(int fd, uint64_t e)
{
	struct pollfd p = {.fd = fd, .events = POLLRDHUP};

	return shim_zc_connected(e) && shim_real.poll(&p, 1, 0) == 1 && (p.revents & POLLRDHUP);
}

static int shim_zc_receive(int fd, uint64_t e, struct tcp_zerocopy_receive *zc)
{
	int32_t copybuf_len = zc->copybuf_len;
	int inq;
	ssize_t n;

	zc->copybuf_len = 0;
	zc->msg_flags = 0;
	if (zc->address & (SHIM_ZC_PAGE - 1))
		return -EINVAL;
	if (shim_ent_kind(e) == SHIM_LISTENER)
		return -ENOTCONN;
	inq = shim_zc_waiting(fd, e);
	if (inq && inq <= copybuf_len) {
		n = shim_real.recv(fd, (void *)(uintptr_t)zc->copybuf_address, (size_t)inq,
				   MSG_DONTWAIT);
		if (n < 0)
			return -errno;
		zc->length = 0;
		zc->recv_skip_hint = 0;
		zc->copybuf_len = (int32_t)n;
		return 0;
	}
	if ((unsigned int)inq >= SHIM_ZC_PAGE)
		return -EINVAL;
	zc->length = 0;
	zc->recv_skip_hint = (uint32_t)inq;
	return !inq && shim_zc_done(fd, e) ? -EIO : 0;
}

int shim_tcp_zerocopy_receive(int fd, uint64_t e, void *optval, socklen_t *optlen)
{
	struct tcp_zerocopy_receive zc = {0};
	int len, err;

	if (shim_copy_from_user(&len, optlen, sizeof(len)))
		return -EFAULT;
	if (len < 0 || (size_t)len < SHIM_ZC_END(length))
		return -EINVAL;
	if ((size_t)len > sizeof(zc)) {
		err = shim_zc_tail_zero((const char *)optval + sizeof(zc),
					(size_t)len - sizeof(zc));
		if (err)
			return err;
		len = sizeof(zc);
		if (shim_copy_to_user(optlen, &len, sizeof(len)))
			return -EFAULT;
	}
	if (shim_copy_from_user(&zc, optval, (size_t)len))
		return -EFAULT;
	if (zc.reserved || (zc.msg_flags & ~SHIM_ZC_CMSG_TS))
		return -EINVAL;
	err = shim_zc_receive(fd, e, &zc);
	if (err)
		return err;
	if ((size_t)len >= SHIM_ZC_END(err))
		zc.err = -shim_fd_err_take(fd);
	/* tcp_inq_hint: rcv_nxt counts the peer's FIN until a read takes it, and stays 1 after. */
	if ((size_t)len >= SHIM_ZC_END(inq))
		zc.inq = (uint32_t)shim_zc_waiting(fd, e) + shim_zc_done(fd, e);
	return shim_copy_to_user(optval, &zc, (size_t)len) ? -EFAULT : 0;
}
