/* SPDX-License-Identifier: MIT */
/*
 * The kernel's calls without libc: a raw system call instruction, and one
 * stand-in per intercepted symbol built on it. struct shim_real starts out
 * pointing at these stand-ins (a static initializer, so they hold before any
 * code of ours has run) and the constructor replaces them with libc's
 * definitions (dlsym).
 *
 * Why: a wrapper can be entered long before the constructor, from another
 * library's constructor or from inside an allocator that holds its own lock
 * (jemalloc calls syscall(SYS_open) from malloc while it initialises). Binding
 * symbols there would mean dlsym, which takes the loader's lock and may
 * allocate: a deadlock with that allocator. A system call instruction takes
 * no lock, allocates nothing and cannot re-enter the interposer.
 *
 * What it does not do: cancellation points or any of libc's fallbacks (e.g.
 * closefrom() without close_range); the stand-ins only serve until the
 * constructor has bound the real symbols.
 */
#include "shim_lib.h"

#include <fcntl.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A raw system call: the kernel's return value, -errno on failure. */
long shim_sys(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	long ret;
#if defined(__x86_64__)
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a1;
	register long x1 __asm__("x1") = a2;
	register long x2 __asm__("x2") = a3;
	register long x3 __asm__("x3") = a4;
	register long x4 __asm__("x4") = a5;
	register long x5 __asm__("x5") = a6;

	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory", "cc");
	ret = x0;
#else
#error "shim_sys: no raw system call for this architecture"
#endif
	return ret;
}

/* What libc's wrappers make of a raw result: -1 and errno, errno untouched on success. */
long shim_sys_ret(long ret)
{
	if ((unsigned long)ret > -4096UL) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

size_t shim_sys_read_file(const char *path, char *buf, size_t size)
{
	long fd, n;
	size_t len = 0;

	fd = shim_sys(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0, 0, 0);
	if (fd >= 0) {
		while (len + 1 < size && (n = shim_sys(SYS_read, fd, (long)(buf + len),
						       (long)(size - 1 - len), 0, 0, 0)) > 0)
			len += (size_t)n;
		shim_sys(SYS_close, fd, 0, 0, 0, 0, 0);
	}
	if (size)
		buf[len] = '\0';
	return len;
}

#define L(x)			   ((long)(x))
#define SYS6(nr, a, b, c, d, e, f) shim_sys_ret(shim_sys(nr, L(a), L(b), L(c), L(d), L(e), L(f)))
#define SYS3(nr, a, b, c)	   SYS6(nr, a, b, c, 0, 0, 0)
#define SYS4(nr, a, b, c, d)	   SYS6(nr, a, b, c, d, 0, 0)

static int shim_sys_socket(int family, int type, int protocol)
{
	return (int)SYS3(SYS_socket, family, type, protocol);
}

static int shim_sys_socketpair(int family, int type, int protocol, int *sv)
{
	return (int)SYS4(SYS_socketpair, family, type, protocol, sv);
}

static int shim_sys_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	return (int)SYS3(SYS_bind, fd, addr, len);
}

static int shim_sys_listen(int fd, int backlog)
{
	return (int)SYS3(SYS_listen, fd, backlog, 0);
}

static int shim_sys_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	return (int)SYS4(SYS_accept4, fd, addr, len, flags);
}

static int shim_sys_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return shim_sys_accept4(fd, addr, len, 0);
}

static int shim_sys_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	return (int)SYS3(SYS_connect, fd, addr, len);
}

static int shim_sys_shutdown(int fd, int how)
{
	return (int)SYS3(SYS_shutdown, fd, how, 0);
}

static int shim_sys_close(int fd)
{
	return (int)SYS3(SYS_close, fd, 0, 0);
}

static int shim_sys_close_range(unsigned int first, unsigned int last, int flags)
{
	return (int)SYS3(SYS_close_range, first, last, flags);
}

static void shim_sys_closefrom(int lowfd)
{
	shim_sys_close_range((unsigned int)lowfd, ~0u, 0);
}

static int shim_sys_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	return (int)SYS3(SYS_getsockname, fd, addr, len);
}

static int shim_sys_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	return (int)SYS3(SYS_getpeername, fd, addr, len);
}

static int shim_sys_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	return (int)SYS6(SYS_getsockopt, fd, level, name, val, len, 0);
}

static int shim_sys_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	return (int)SYS6(SYS_setsockopt, fd, level, name, val, len, 0);
}

static ssize_t shim_sys_sendto(int fd, const void *buf, size_t n, int flags,
			       const struct sockaddr *addr, socklen_t len)
{
	return SYS6(SYS_sendto, fd, buf, n, flags, addr, len);
}

static ssize_t shim_sys_send(int fd, const void *buf, size_t n, int flags)
{
	return shim_sys_sendto(fd, buf, n, flags, NULL, 0);
}

static ssize_t shim_sys_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	return SYS3(SYS_sendmsg, fd, msg, flags);
}

static int shim_sys_sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	return (int)SYS4(SYS_sendmmsg, fd, vec, vlen, flags);
}

static ssize_t shim_sys_recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
				 socklen_t *len)
{
	return SYS6(SYS_recvfrom, fd, buf, n, flags, addr, len);
}

static ssize_t shim_sys_recv(int fd, void *buf, size_t n, int flags)
{
	return shim_sys_recvfrom(fd, buf, n, flags, NULL, NULL);
}

static ssize_t shim_sys_recvmsg(int fd, struct msghdr *msg, int flags)
{
	return SYS3(SYS_recvmsg, fd, msg, flags);
}

static int shim_sys_recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags,
			     struct timespec *timeout)
{
	return (int)SYS6(SYS_recvmmsg, fd, vec, vlen, flags, timeout, 0);
}

static ssize_t shim_sys_read(int fd, void *buf, size_t n)
{
	return SYS3(SYS_read, fd, buf, n);
}

static ssize_t shim_sys_readv(int fd, const struct iovec *iov, int cnt)
{
	return SYS3(SYS_readv, fd, iov, cnt);
}

static ssize_t shim_sys_write(int fd, const void *buf, size_t n)
{
	return SYS3(SYS_write, fd, buf, n);
}

static ssize_t shim_sys_writev(int fd, const struct iovec *iov, int cnt)
{
	return SYS3(SYS_writev, fd, iov, cnt);
}

static ssize_t shim_sys_sendfile(int out, int in, off_t *off, size_t n)
{
	return SYS4(SYS_sendfile, out, in, off, n);
}

static ssize_t shim_sys_sendfile64(int out, int in, off64_t *off, size_t n)
{
	return SYS4(SYS_sendfile, out, in, off, n);
}

static ssize_t shim_sys_splice(int in, off64_t *off_in, int out, off64_t *off_out, size_t n,
			       unsigned int flags)
{
	return SYS6(SYS_splice, in, off_in, out, off_out, n, flags);
}

/* ioctl and fcntl: glibc reads the third argument as one pointer-sized word. */
static int shim_sys_ioctl(int fd, unsigned long cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return (int)SYS3(SYS_ioctl, fd, cmd, arg);
}

static int shim_sys_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return (int)SYS3(SYS_fcntl, fd, cmd, arg);
}

/* prctl: glibc passes four more words whatever the option. */
static int shim_sys_prctl(int option, ...)
{
	unsigned long a[4];

	SHIM_VA_WORDS(a, option);
	return (int)SYS6(SYS_prctl, option, a[0], a[1], a[2], a[3], 0);
}

static int shim_sys_fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return shim_sys_fcntl(fd, cmd, arg);
}

static int shim_sys_dup(int fd)
{
	return (int)SYS3(SYS_dup, fd, 0, 0);
}

static int shim_sys_dup3(int oldfd, int newfd, int flags)
{
	return (int)SYS3(SYS_dup3, oldfd, newfd, flags);
}

static int shim_sys_dup2(int oldfd, int newfd)
{
#ifdef SYS_dup2
	return (int)SYS3(SYS_dup2, oldfd, newfd, 0);
#else
	/* dup3 refuses oldfd == newfd; dup2 answers it after checking oldfd. */
	if (oldfd == newfd)
		return SYS3(SYS_fcntl, oldfd, F_GETFD, 0) < 0 ? -1 : newfd;
	return shim_sys_dup3(oldfd, newfd, 0);
#endif
}

static long shim_sys_syscall(long nr, ...)
{
	va_list ap;
	long a[6];
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	return shim_sys_ret(shim_sys(nr, a[0], a[1], a[2], a[3], a[4], a[5]));
}

/* The _FORTIFY_SOURCE checks: an overflow still ends the program as libc's would. */
extern void __chk_fail(void) __attribute__((noreturn));

static ssize_t shim_sys___read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	if (n > buflen)
		__chk_fail();
	return shim_sys_read(fd, buf, n);
}

static ssize_t shim_sys___recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
	if (n > buflen)
		__chk_fail();
	return shim_sys_recv(fd, buf, n, flags);
}

static ssize_t shim_sys___recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
				       struct sockaddr *addr, socklen_t *len)
{
	if (n > buflen)
		__chk_fail();
	return shim_sys_recvfrom(fd, buf, n, flags, addr, len);
}

/* The readiness calls, on the kernel's ppoll, pselect6 and epoll_pwait(2); sigsets of _NSIG bits.
 */
#define SHIM_SIGSET_BYTES 8

static int shim_sys_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
			  const sigset_t *mask)
{
	struct timespec t;

	/* As libc's: the kernel may write the time left back, the caller's copy stays. */
	if (ts)
		t = *ts;
	return (int)SYS6(SYS_ppoll, fds, n, ts ? &t : NULL, mask, SHIM_SIGSET_BYTES, 0);
}

static int shim_sys_poll(struct pollfd *fds, nfds_t n, int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	return shim_sys_ppoll(fds, n, ms < 0 ? NULL : &ts, NULL);
}

static int shim_sys___poll_chk(struct pollfd *fds, nfds_t n, int ms, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();
	return shim_sys_poll(fds, n, ms);
}

static int shim_sys___ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
				const sigset_t *mask, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();
	return shim_sys_ppoll(fds, n, ts, mask);
}

static int shim_sys_pselect(int n, fd_set *r, fd_set *w, fd_set *x, const struct timespec *ts,
			    const sigset_t *mask)
{
	struct timespec t;
	struct {
		const sigset_t *mask;
		size_t size;
	} sig = {mask, SHIM_SIGSET_BYTES};

	if (ts)
		t = *ts;
	return (int)SYS6(SYS_pselect6, n, r, w, x, ts ? &t : NULL, &sig);
}

static int shim_sys_select(int n, fd_set *r, fd_set *w, fd_set *x, struct timeval *tv)
{
	struct timespec ts;
	int ret;

	if (!tv)
		return shim_sys_pselect(n, r, w, x, NULL, NULL);
	ts = (struct timespec){tv->tv_sec, tv->tv_usec * 1000L};
	ret = (int)SYS6(SYS_pselect6, n, r, w, x, &ts, 0);
	/* select() says how much time was left, as the kernel's select does. */
	*tv = (struct timeval){ts.tv_sec, ts.tv_nsec / 1000};
	return ret;
}

static int shim_sys_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	return (int)SYS4(SYS_epoll_ctl, epfd, op, fd, ev);
}

static int shim_sys_epoll_pwait(int epfd, struct epoll_event *ev, int max, int ms,
				const sigset_t *mask)
{
	return (int)SYS6(SYS_epoll_pwait, epfd, ev, max, ms, mask, SHIM_SIGSET_BYTES);
}

static int shim_sys_epoll_wait(int epfd, struct epoll_event *ev, int max, int ms)
{
	return shim_sys_epoll_pwait(epfd, ev, max, ms, NULL);
}

static int shim_sys_epoll_pwait2(int epfd, struct epoll_event *ev, int max,
				 const struct timespec *ts, const sigset_t *mask)
{
	return (int)SYS6(SYS_epoll_pwait2, epfd, ev, max, ts, mask, SHIM_SIGSET_BYTES);
}

/* Every symbol of SHIM_SYMBOLS has its stand-in: a missing one does not compile. */
struct shim_real shim_real = {
#define X(ret, name, args) .name = shim_sys_##name,
	SHIM_SYMBOLS(X)
#undef X
};
