/* SPDX-License-Identifier: MIT */
/*
 * The one list of symbols the interposer intercepts (cwrap socket_wrapper's
 * rule: the list exists in exactly one place). SHIM_SYMBOLS(X) expands X once
 * per symbol as X(return type, name, (parameter types)); it drives
 *  - struct shim_real: the next definition of each symbol, bound with
 *    dlsym(RTLD_NEXT) once at start-up (shim_main.c),
 *  - enum shim_sym and shim_sym_names[]: the names the trace prints.
 * The wrappers themselves live beside the code they serve (shim_socket.c for
 * the control calls, shim_io.c for the data path, shim_main.c for the fd
 * bookkeeping calls).
 *
 * The readiness calls (poll ... epoll_pwait2) are here because a pair end
 * cannot raise every readiness a TCP or UDP socket reports (shim_poll.c).
 */
#ifndef SOCKSHIM_SHIM_SYMS_H
#define SOCKSHIM_SHIM_SYMS_H

#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#define SHIM_SYMBOLS(X)                                                                            \
	X(int, socket, (int, int, int))                                                            \
	X(int, socketpair, (int, int, int, int *))                                                 \
	X(int, bind, (int, const struct sockaddr *, socklen_t))                                    \
	X(int, listen, (int, int))                                                                 \
	X(int, accept, (int, struct sockaddr *, socklen_t *))                                      \
	X(int, accept4, (int, struct sockaddr *, socklen_t *, int))                                \
	X(int, connect, (int, const struct sockaddr *, socklen_t))                                 \
	X(int, shutdown, (int, int))                                                               \
	X(int, close, (int))                                                                       \
	X(int, close_range, (unsigned int, unsigned int, int))                                     \
	X(void, closefrom, (int))                                                                  \
	X(int, getsockname, (int, struct sockaddr *, socklen_t *))                                 \
	X(int, getpeername, (int, struct sockaddr *, socklen_t *))                                 \
	X(int, getsockopt, (int, int, int, void *, socklen_t *))                                   \
	X(int, setsockopt, (int, int, int, const void *, socklen_t))                               \
	X(ssize_t, send, (int, const void *, size_t, int))                                         \
	X(ssize_t, sendto, (int, const void *, size_t, int, const struct sockaddr *, socklen_t))   \
	X(ssize_t, sendmsg, (int, const struct msghdr *, int))                                     \
	X(int, sendmmsg, (int, struct mmsghdr *, unsigned int, int))                               \
	X(ssize_t, recv, (int, void *, size_t, int))                                               \
	X(ssize_t, recvfrom, (int, void *, size_t, int, struct sockaddr *, socklen_t *))           \
	X(ssize_t, recvmsg, (int, struct msghdr *, int))                                           \
	X(int, recvmmsg, (int, struct mmsghdr *, unsigned int, int, struct timespec *))            \
	X(ssize_t, read, (int, void *, size_t))                                                    \
	X(ssize_t, readv, (int, const struct iovec *, int))                                        \
	X(ssize_t, write, (int, const void *, size_t))                                             \
	X(ssize_t, writev, (int, const struct iovec *, int))                                       \
	X(ssize_t, sendfile, (int, int, off_t *, size_t))                                          \
	X(ssize_t, sendfile64, (int, int, off64_t *, size_t))                                      \
	X(ssize_t, splice, (int, off64_t *, int, off64_t *, size_t, unsigned int))                 \
	X(int, ioctl, (int, unsigned long, ...))                                                   \
	X(int, fcntl, (int, int, ...))                                                             \
	X(int, fcntl64, (int, int, ...))                                                           \
	X(int, dup, (int))                                                                         \
	X(int, dup2, (int, int))                                                                   \
	X(int, dup3, (int, int, int))                                                              \
	X(long, syscall, (long, ...))                                                              \
	X(int, prctl, (int, ...))                                                                  \
	X(ssize_t, __read_chk, (int, void *, size_t, size_t))                                      \
	X(ssize_t, __recv_chk, (int, void *, size_t, size_t, int))                                 \
	X(ssize_t, __recvfrom_chk,                                                                 \
	  (int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *))                      \
	X(int, poll, (struct pollfd *, nfds_t, int))                                               \
	X(int, ppoll, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *))        \
	X(int, __poll_chk, (struct pollfd *, nfds_t, int, size_t))                                 \
	X(int, __ppoll_chk,                                                                        \
	  (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *, size_t))            \
	X(int, select, (int, fd_set *, fd_set *, fd_set *, struct timeval *))                      \
	X(int, pselect,                                                                            \
	  (int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *))          \
	X(int, epoll_ctl, (int, int, int, struct epoll_event *))                                   \
	X(int, epoll_wait, (int, struct epoll_event *, int, int))                                  \
	X(int, epoll_pwait, (int, struct epoll_event *, int, int, const sigset_t *))               \
	X(int, epoll_pwait2,                                                                       \
	  (int, struct epoll_event *, int, const struct timespec *, const sigset_t *))

/* The real (next) definition of every intercepted symbol. */
struct shim_real {
#define X(ret, name, args) ret(*name) args;
	SHIM_SYMBOLS(X)
#undef X
};
extern struct shim_real shim_real;

enum shim_sym {
#define X(ret, name, args) SHIM_SYM_##name,
	SHIM_SYMBOLS(X)
#undef X
		SHIM_SYM_MAX
};
extern const char *const shim_sym_names[SHIM_SYM_MAX];

#endif
