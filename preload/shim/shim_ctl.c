/* SPDX-License-Identifier: MIT */
/*
 * The control client: one SOCK_SEQPACKET connection per process to the stack
 * host at the abstract name shim_ctl_name(netns, iface, addr), one request
 * and one reply at a time under a mutex (shim_ctl.h). Anyone in the namespace
 * can bind that name first, so before sending anything it checks that the
 * listener runs as root or as our own uid (SO_PEERCRED) and refuses it with
 * one line otherwise; socket() then fails with ENONET. If nobody listens, it
 * starts the host (sockshim-stackd beside the library, or at
 * <libdir>/SOCKSHIM_LIBEXEC_REL when installed) and retries for about three
 * seconds; two processes racing both start one and the loser exits on
 * EADDRINUSE.
 *
 * A signal handler that makes a control call while its thread is inside
 * one (iperf3 asks TCP_INFO from its SIGTERM handler) cannot wait for the
 * lock its own thread holds, nor use the connection, whose request or
 * reply is in flight: it opens a connection of its own for that one
 * exchange (shim_ctl_nested).
 *
 * What it does not do: keep any socket state (that is the host's), or
 * reconnect in the middle of a request. A forked child starts without a
 * connection and opens its own on first use.
 */
#include "shim_lib.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t shim_ctl_lock = PTHREAD_MUTEX_INITIALIZER;
static int shim_ctl_fd = -1;
static int shim_ctl_host_pid;
static uid_t shim_ctl_host_uid;
/*
 * The ids the shared connection's last CREATE reserved for ADOPTs
 * (shim_ctl.h), a nonce and a tx cookie for each (a datagram socket's
 * cookies, shim_ctl.h), and the host end of a pair on its way
 * (closed in a forked child, whose copy would keep the pair from hanging
 * up). Under the lock; gone with the connection, and in a forked child,
 * whose connection is its own.
 */
static struct {
	uint32_t first, next, end;
	int host_end;
	uint64_t nonces[SHIM_ADOPT_IDS], tx_cookies[SHIM_ADOPT_IDS];
} shim_ctl_ids = {.host_end = -1};
/*
 * This thread's control calls under way: more than one only in a signal
 * handler that interrupted one. Counted before the lock is taken and after
 * it is let go, so a handler that finds 0 cannot have interrupted its
 * thread while it held the lock. A handler finishes before the call it
 * interrupted goes on, so a plain thread-local counter is enough; the
 * initial-exec model keeps its first access in a handler from allocating.
 */
static __thread unsigned int shim_ctl_depth __attribute__((tls_model("initial-exec")));
/*
 * The host's routing from its last HELLO reply, in one word that a signal
 * handler and any thread read whole: bit 40 set once known, the prefix in
 * bits 32-37, the gateway (network order) below. A host restarted by
 * another process may route otherwise: each HELLO replaces it.
 */
#define SHIM_ROUTE_KNOWN (1ull << 40)
static _Atomic uint64_t shim_ctl_route;

extern char **environ;

static socklen_t shim_ctl_addr(struct sockaddr_un *sun)
{
	int n;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	n = shim_ctl_name(sun->sun_path + 1, sizeof(sun->sun_path) - 1, shim_cfg.netns,
			  shim_cfg.iface, shim_cfg.addr_str);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

/* A stack host we may talk to: root's, or our own user's. */
static int shim_ctl_cred_ok(const struct ucred *u)
{
	return u->uid == 0 || u->uid == getuid() || u->uid == geteuid();
}

/* The name's owner, refused once per process with one line (the rest is ENONET). */
static int shim_ctl_check_host(int fd, const struct sockaddr_un *sun, socklen_t len)
{
	static int said;
	struct ucred u;
	socklen_t ulen = sizeof(u);

	if (shim_real.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &u, &ulen) < 0)
		return -errno;
	if (shim_ctl_cred_ok(&u)) {
		shim_ctl_host_pid = u.pid;
		shim_ctl_host_uid = u.uid;
		return 0;
	}
	if (!said++)
		shim_say("sockshim: refusing the stack host at @%.*s: it runs as uid %u (pid %d), "
			 "not root or uid %u; emulated sockets fail with ENONET",
			 (int)(len - offsetof(struct sockaddr_un, sun_path) - 1), sun->sun_path + 1,
			 u.uid, u.pid, getuid());
	return -EACCES;
}

static int shim_ctl_try_connect(void)
{
	struct sockaddr_un sun;
	socklen_t len = shim_ctl_addr(&sun);
	int fd, err;

	fd = shim_real.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (shim_real.connect(fd, (struct sockaddr *)&sun, len) == 0) {
		err = shim_ctl_check_host(fd, &sun, len);
		if (!err)
			return fd;
		shim_real.close(fd);
		return err;
	}
	err = -errno;
	shim_real.close(fd);
	return err;
}

/*
 * Path of the host binary: beside the library in a build tree, else the
 * installed libexec directory relative to it. Returns 0 and fills path.
 */
static int shim_host_path(char *path, size_t len)
{
	snprintf(path, len, "%s/sockshim-stackd", shim_lib_dir);
	if (access(path, X_OK) == 0)
		return 0;
	snprintf(path, len, "%s/%s/sockshim-stackd", shim_lib_dir, SOCKSHIM_LIBEXEC_REL);
	if (access(path, X_OK) == 0)
		return 0;
	return -1;
}

/*
 * Starts the host detached from us: double fork so that it is not our
 * child, setsid so that the application's terminal and process group
 * signals do not reach it, stdio on /dev/null, no other fd inherited, and
 * no LD_PRELOAD so that it uses the kernel's sockets itself.
 *
 * The intermediate child is a clone with no exit signal, not a fork: its
 * exit must not raise SIGCHLD in the application, nor be reapable by its
 * waitpid(-1) (only __WCLONE waits for it). ncat -l counts the children its
 * SIGCHLD handler reaps as connections gone; reaping ours made its count
 * negative and it aborted. A raw clone also runs no pthread_atfork handler
 * (the fork shares none of our sockets), so its child makes raw system
 * calls only: another thread may hold libc's locks at the clone.
 *
 * The new session's leader, whose autogroup (kernel.sched_autogroup_enabled)
 * the host alone inherits, gives it SOCKSHIM_HOST_NICE: the kernel's own
 * network work runs in softirq context, ahead of every task, while a host
 * at the default weight gets one session's share of the CPUs as any build
 * job does, and a connection waits for it several times (README "Where the
 * time goes", connection rate). Best effort: a program that may not lower
 * it (not root) or a kernel without autogroups leaves it; the host's trace
 * says what it got.
 */
static int shim_host_start(void)
{
	static int said;
	char path[4200], nice[16];
	char **envp;
	size_t n = 0, i, j = 0;
	long pid, fd;
	int status, nlen;

	if (shim_host_path(path, sizeof(path))) {
		if (said++)
			return -1;
		shim_say("sockshim: cannot find sockshim-stackd beside %s or in %s/%s",
			 shim_lib_dir, shim_lib_dir, SOCKSHIM_LIBEXEC_REL);
		return -1;
	}
	while (environ && environ[n])
		n++;
	envp = calloc(n + 1, sizeof(*envp));
	if (!envp)
		return -1;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11))
			envp[j++] = environ[i];

	nlen = snprintf(nice, sizeof(nice), "%d", shim_cfg.host_nice);
	pid = shim_real.syscall(SYS_clone, 0L, 0L, 0L, 0L, 0L);
	if (pid == 0) {
		char *argv[] = {path, NULL};
		long null;

		shim_real.syscall(SYS_setsid);
		fd = shim_real.syscall(SYS_openat, (long)AT_FDCWD, "/proc/self/autogroup",
				       (long)(O_WRONLY | O_CLOEXEC));
		if (fd >= 0) {
			shim_real.syscall(SYS_write, fd, nice, (long)nlen);
			shim_real.syscall(SYS_close, fd);
		}
		/* The host's exit signal goes to this child, which is gone by then. */
		if (shim_real.syscall(SYS_clone, (long)SIGCHLD, 0L, 0L, 0L, 0L) != 0)
			shim_real.syscall(SYS_exit, 0L);
		null = shim_real.syscall(SYS_openat, (long)AT_FDCWD, "/dev/null", (long)O_RDWR);
		if (null >= 0) {
			shim_real.syscall(SYS_dup3, null, 0L, 0L);
			shim_real.syscall(SYS_dup3, null, 1L, 0L);
			shim_real.syscall(SYS_dup3, null, 2L, 0L);
		}
		shim_real.syscall(SYS_close_range, 3L, (long)~0u, 0L);
		shim_real.syscall(SYS_execve, path, argv, envp);
		shim_real.syscall(SYS_exit, 127L);
	}
	free(envp);
	if (pid < 0)
		return -1;
	while (waitpid((pid_t)pid, &status, __WCLONE) < 0 && errno == EINTR)
		;
	return 0;
}

/* One request, with sockfd (if >= 0) as the proof of holding the socket. */
static int shim_ctl_send(int fd, struct shim_req *req, int sockfd)
{
	struct iovec iov = {req, req->hdr.len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	union shim_fd_cmsg u;
	ssize_t n;

	shim_msg_put_fd(&msg, &u, sockfd);
	do
		n = shim_real.sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)req->hdr.len ? 0 : -1;
}

static int shim_ctl_recv(int fd, struct shim_rep *rep, int *rfd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {rep, sizeof(*rep)};
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	ssize_t n;

	do
		n = shim_real.recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*rep) || rep->hdr.len != sizeof(*rep) ||
	    rep->hdr.version != SHIM_CTL_VERSION)
		return -1;
	rep->note[sizeof(rep->note) - 1] = 0;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			int got;

			memcpy(&got, CMSG_DATA(cm), sizeof(got));
			if (rfd && *rfd < 0)
				*rfd = got;
			else
				shim_real.close(got);
		}
	}
	return 0;
}

/* A connected control socket (starting the host if nobody listens), or -errno. */
/* start: a host that is not there may be started (not to learn its routing alone). */
static int shim_ctl_connect(bool start)
{
	struct timespec pause = {0, 10 * 1000 * 1000};
	int fd, tries;

	fd = shim_ctl_try_connect();
	if (start && (fd == -ECONNREFUSED || fd == -ENOENT)) {
		if (shim_host_start())
			return -SHIM_ENOSTACK;
		for (tries = 0; tries < SHIM_HOST_START_WAIT_MS / 10 && fd < 0; tries++) {
			nanosleep(&pause, NULL);
			fd = shim_ctl_try_connect();
		}
	}
	return fd;
}

/*
 * HELLO on a fresh connection: 0, 1 if the connection died before the
 * answer (a host on its way out, e.g. killed, still had its listener open),
 * or -1 if the host answered but refused our version.
 */
static int shim_ctl_hello(int fd, struct shim_rep *rep)
{
	struct shim_req req = {
		.hdr = {.version = SHIM_CTL_VERSION,
			.op = SHIM_OP_HELLO,
			.len = (uint32_t)shim_req_len(SHIM_OP_HELLO, 0)},
		.hello = {.min_version = SHIM_CTL_VERSION, .max_version = SHIM_CTL_VERSION},
	};

	if (shim_ctl_send(fd, &req, -1) || shim_ctl_recv(fd, rep, NULL))
		return 1;
	return rep->hdr.ret < 0 || rep->hello.version != SHIM_CTL_VERSION ? -1 : 0;
}

/*
 * Takes the routing the host states in its HELLO reply, and says once per
 * setting, in the trace, when the process's own differs (it is ignored).
 */
static void shim_ctl_route_take(const struct shim_hello_rep *h)
{
	static _Atomic int said_gw, said_prefix;
	char own[INET_ADDRSTRLEN] = "(unset)", host[INET_ADDRSTRLEN];

	if (h->prefix < 1 || h->prefix > 32)
		return; /* not a routing a host can have: keep deciding as before */
	atomic_store(&shim_ctl_route, SHIM_ROUTE_KNOWN | (uint64_t)h->prefix << 32 | h->gateway);
	if (!shim_trace_level)
		return;
	if (h->gateway != shim_cfg.gateway && !atomic_exchange(&said_gw, 1)) {
		if (shim_cfg.gateway)
			inet_ntop(AF_INET, &shim_cfg.gateway, own, sizeof(own));
		inet_ntop(AF_INET, &h->gateway, host, sizeof(host));
		shim_trace_printf("SOCKSHIM_GATEWAY=%s ignored: the stack host for %s %s has %s%s",
				  own, shim_cfg.iface, shim_cfg.addr_str,
				  h->gateway ? "gateway " : "no gateway", h->gateway ? host : "");
	}
	if ((int)h->prefix != shim_cfg.prefix && !atomic_exchange(&said_prefix, 1))
		shim_trace_printf(
			"SOCKSHIM_ADDR=%s/%d prefix ignored: the stack host for %s %s has "
			"prefix /%u",
			shim_cfg.addr_str, shim_cfg.prefix, shim_cfg.iface, shim_cfg.addr_str,
			h->prefix);
}

static int shim_ctl_use(int *cfd, bool shared, bool start);
static bool shim_ctl_enter(void);
static void shim_ctl_leave(bool shared);

/*
 * A process that holds an emulated socket but has asked its host nothing
 * yet (one inherited across exec): its HELLO now, on the shared connection
 * its requests will use, so that what it answers without asking (a
 * datagram's ENETUNREACH, a broadcast's EACCES, SIOCGIFNETMASK, netlink) is
 * the host's routing, as for a process that said HELLO. No host is started
 * for it; a process with no socket of the stack (netlink ones are the
 * kernel's) goes by its own settings.
 */
static bool shim_holds_stack_socket(void)
{
	unsigned int hi = shim_fd_hi_get();

	for (unsigned int fd = 0; fd < hi; fd++)
		if (shim_emulated(shim_fd_get((int)fd)))
			return true;
	return false;
}

static uint64_t shim_route_learn(void)
{
	int saved = errno;
	bool shared;

	/* A table walk, only until the routing is known. */
	if (!shim_cfg_ok || !shim_holds_stack_socket())
		return 0;
	shared = shim_ctl_enter();
	if (shared && shim_ctl_fd < 0) {
		shim_stack_init();
		shim_ctl_use(&shim_ctl_fd, true, false);
	}
	shim_ctl_leave(shared);
	errno = saved;
	return atomic_load_explicit(&shim_ctl_route, memory_order_relaxed);
}

static struct shim_route shim_route_of(uint64_t w)
{
	int prefix;

	if (!(w & SHIM_ROUTE_KNOWN))
		return (struct shim_route){.netmask = shim_cfg.netmask,
					   .gateway = shim_cfg.gateway,
					   .prefix = shim_cfg.prefix};
	prefix = (int)(w >> 32 & 0x3f);
	return (struct shim_route){
		.netmask = htonl(prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix)),
		.gateway = (uint32_t)w,
		.prefix = prefix,
		.known = true};
}

struct shim_route shim_route(void)
{
	uint64_t w = atomic_load_explicit(&shim_ctl_route, memory_order_relaxed);

	return shim_route_of(w & SHIM_ROUTE_KNOWN ? w : shim_route_learn());
}

struct shim_route shim_route_known(void)
{
	return shim_route_of(atomic_load_explicit(&shim_ctl_route, memory_order_relaxed));
}

/* A new connection that said hello (starting the host if needed), or -SHIM_ENOSTACK. */
static int shim_ctl_open(bool start)
{
	struct shim_rep rep;
	static int said;
	int fd = -1, r = 1;

	if (!shim_cfg_ok)
		return -SHIM_ENOSTACK;
	for (int round = 0; round < 10 && r > 0; round++) {
		if (round)
			nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
		fd = shim_ctl_connect(start);
		if (fd == -EACCES)
			return -SHIM_ENOSTACK; /* said by shim_ctl_check_host */
		if (fd < 0) {
			/* Only a request that needs the host says it is not there. */
			if (start && !said++)
				shim_say("sockshim: cannot reach the stack host for %s %s: %s",
					 shim_cfg.iface, shim_cfg.addr_str, strerror(-fd));
			return -SHIM_ENOSTACK;
		}
		r = shim_ctl_hello(fd, &rep);
		if (r)
			shim_real.close(fd);
	}
	if (!r)
		shim_ctl_route_take(&rep.hello);
	if (r < 0 && !said++)
		shim_say("sockshim: the stack host for %s %s does not speak control version %d "
			 "(it answered %d, version %u)",
			 shim_cfg.iface, shim_cfg.addr_str, SHIM_CTL_VERSION, rep.hdr.ret,
			 rep.hello.version);
	return r ? -SHIM_ENOSTACK : fd;
}

/*
 * A connection into *cfd: the shared one (shared, called locked) is marked
 * in the fd table, so that the application closing it is noticed.
 */
static int shim_ctl_use(int *cfd, bool shared, bool start)
{
	int fd = shim_ctl_open(start);

	if (fd < 0)
		return fd;
	*cfd = fd;
	if (shared) {
		shim_fd_set(fd, shim_ent(0, SHIM_CTL, 0));
		/* Not ours: ids an earlier connection (which the application closed) had. */
		shim_ctl_ids.next = shim_ctl_ids.end = 0;
	}
	return 0;
}

/* The connection broke, or served its one exchange. */
static void shim_ctl_drop(int *cfd, bool shared)
{
	if (shared) {
		shim_fd_set(*cfd, 0);
		shim_ctl_ids.next = shim_ctl_ids.end = 0; /* that connection's */
	}
	shim_real.close(*cfd);
	*cfd = -1;
}

/* Fills in the header's version, ret and length. */
static void shim_ctl_prepare(struct shim_req *req)
{
	/* A process may reach here with only inherited sockets, before any socket(). */
	shim_stack_init();
	req->hdr.version = SHIM_CTL_VERSION;
	req->hdr.ret = 0;
	req->hdr.len = (uint32_t)shim_req_len(req->hdr.op, shim_req_optbytes(req));
}

/* One request and its reply (none for a note) on *cfd, opened if needed. */
static int shim_ctl_exchange(int *cfd, bool shared, struct shim_req *req, struct shim_rep *rep,
			     int *fd, int sockfd)
{
	int err = -SHIM_ENOSTACK;

	/*
	 * One reconnect if the connection broke before the answer came (the
	 * application closed our fd, or the host died: killed, it may still
	 * take a request into a socket it will never read). Whatever a dead
	 * host did with the request died with it, so asking the next is safe.
	 */
	for (int attempt = 0; attempt < 2; attempt++) {
		if (*cfd < 0 && (err = shim_ctl_use(cfd, shared, true)))
			break;
		err = -SHIM_ENOSTACK;
		if (shim_ctl_send(*cfd, req, sockfd)) {
			/*
			 * Another thread closed the socket's fd under this call
			 * (SCM_RIGHTS refuses it): the kernel's fdget answer, EBADF.
			 */
			if (sockfd >= 0 && shim_real.fcntl(sockfd, F_GETFD) < 0) {
				err = -EBADF;
				break;
			}
			shim_ctl_drop(cfd, shared);
			continue;
		}
		if (shim_req_no_reply(req) || !shim_ctl_recv(*cfd, rep, fd)) {
			err = 0;
			break;
		}
		if (fd && *fd >= 0) {
			shim_real.close(*fd); /* it came with a reply we could not read */
			*fd = -1;
		}
		shim_ctl_drop(cfd, shared);
	}
	return err;
}

/*
 * The exchange of a signal handler that interrupted its thread's control
 * call: on a connection of its own, closed after it. The host takes any
 * number of connections from a process, each with its HELLO, and a request
 * proves the socket with its fd, not with the connection it came on. The
 * interrupted call may have been sent already; the host answers the two in
 * either order, as if the signal came just before it or just after, which
 * is all the interrupted thread can tell. A note is followed by a HELLO,
 * whose answer says the host has acted on it, as the lock would have made
 * sure before any other thread's next request.
 */
static int shim_ctl_nested(struct shim_req *req, struct shim_rep *rep, int *fd, int sockfd)
{
	struct shim_rep hello;
	int cfd = -1, err;

	err = shim_ctl_exchange(&cfd, false, req, rep, fd, sockfd);
	if (!err && shim_req_no_reply(req))
		shim_ctl_hello(cfd, &hello);
	if (cfd >= 0)
		shim_ctl_drop(&cfd, false);
	return err;
}

/* Takes the shared connection's lock unless this thread holds it already: false then. */
static bool shim_ctl_enter(void)
{
	if (shim_ctl_depth++)
		return false;
	__atomic_signal_fence(__ATOMIC_SEQ_CST); /* counted before the lock is held */
	pthread_mutex_lock(&shim_ctl_lock);
	return true;
}

static void shim_ctl_leave(bool shared)
{
	if (shared)
		pthread_mutex_unlock(&shim_ctl_lock);
	__atomic_signal_fence(__ATOMIC_SEQ_CST); /* and uncounted after it is let go */
	shim_ctl_depth--;
}

/* A CREATE's reply on the shared connection: the ids it reserved for ADOPTs. */
static void shim_ctl_ids_take(const struct shim_rep *rep)
{
	const struct shim_create_rep *r = &rep->create;

	shim_ctl_ids.next = shim_ctl_ids.end = 0;
	if (rep->hdr.ret < 0 || r->ids_count != SHIM_ADOPT_IDS ||
	    r->ids_first > UINT32_MAX - SHIM_ADOPT_IDS ||
	    getrandom(shim_ctl_ids.nonces, sizeof(shim_ctl_ids.nonces), 0) !=
		    (ssize_t)sizeof(shim_ctl_ids.nonces) ||
	    getrandom(shim_ctl_ids.tx_cookies, sizeof(shim_ctl_ids.tx_cookies), 0) !=
		    (ssize_t)sizeof(shim_ctl_ids.tx_cookies))
		return;
	shim_ctl_ids.first = shim_ctl_ids.next = r->ids_first;
	shim_ctl_ids.end = r->ids_first + r->ids_count;
}

int shim_ctl_call(struct shim_req *req, struct shim_rep *rep, int *fd, int sockfd)
{
	int err, saved = errno;
	bool shared;

	if (fd)
		*fd = -1;
	shim_ctl_prepare(req);
	shared = shim_ctl_enter();
	if (shared) {
		err = shim_ctl_exchange(&shim_ctl_fd, true, req, rep, fd, sockfd);
		if (!err && req->hdr.op == SHIM_OP_CREATE)
			shim_ctl_ids_take(rep);
	} else {
		err = shim_ctl_nested(req, rep, fd, sockfd);
	}
	shim_ctl_leave(shared);
	/* Failed attempts to reach the host (ECONNREFUSED, EINTR ...) are not the caller's. */
	errno = saved;
	return err;
}

/*
 * Names app shim_sock_name('a', ...) for id (a datagram pair's tx cookie set
 * on it first) and sends ADOPT with both ends; 0 if sent.
 */
static int shim_ctl_adopt_send(struct shim_req *req, int app, int host)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} u = {0};
	struct iovec iov = {req, 0};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	uint32_t id = shim_ctl_ids.next++;
	uint64_t nonce = shim_ctl_ids.nonces[id - shim_ctl_ids.first];
	uint64_t tx = shim_ctl_ids.tx_cookies[id - shim_ctl_ids.first];
	int n, fds[2] = {app, host};
	ssize_t sent;

	if (req->adopt.type != SOCK_STREAM) {
		if (shim_real.setsockopt(app, SOL_SOCKET, SHIM_PAIR_TX_COOKIE, &tx, sizeof(tx)) < 0)
			return -1;
		shim_cookie_put(req->adopt.tx_cookie, tx);
	}
	n = shim_sock_name(sun.sun_path + 1, sizeof(sun.sun_path) - 1, 'a', shim_ctl_host_pid, id,
			   nonce);
	/* Taken (someone bound the name first): CREATE, whose name the host picks, then. */
	if (shim_real.bind(app, (struct sockaddr *)&sun,
			   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n)) < 0)
		return -1;
	req->hdr.id = id;
	req->adopt.nonce_lo = (uint32_t)nonce;
	req->adopt.nonce_hi = (uint32_t)(nonce >> 32);
	shim_ctl_prepare(req);
	iov.iov_len = req->hdr.len;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	do
		sent = shim_real.sendmsg(shim_ctl_fd, &msg, MSG_NOSIGNAL);
	while (sent < 0 && errno == EINTR);
	if (sent == (ssize_t)req->hdr.len)
		return 0;
	shim_ctl_drop(&shim_ctl_fd, true); /* the next call reconnects, and asks */
	return -1;
}

int shim_ctl_adopt(int pairtype, struct shim_req *req)
{
	int saved = errno, fd = -1, sv[2];
	bool shared = shim_ctl_enter();

	/*
	 * Only the host's own user has no budget (SCM_CREDENTIALS carries the
	 * real uid); a signal handler's call inside a control call has no
	 * shared connection to use.
	 */
	if (shared && shim_ctl_fd >= 0 && shim_ctl_ids.next < shim_ctl_ids.end &&
	    getuid() == shim_ctl_host_uid &&
	    shim_real.socketpair(AF_UNIX, pairtype | SOCK_CLOEXEC, 0, sv) == 0) {
		shim_ctl_ids.host_end = sv[1];
		if (shim_ctl_adopt_send(req, sv[0], sv[1]) == 0)
			fd = sv[0];
		else
			shim_real.close(sv[0]);
		shim_real.close(sv[1]);
		shim_ctl_ids.host_end = -1;
	}
	shim_ctl_leave(shared);
	errno = saved;
	return fd;
}

/*
 * Takes flag off sockfd's entry and marks the pair with SO_PRIORITY prio
 * (shim_ctl.h), under the lock that orders requests, so that no other
 * thread's request about the socket reaches the host between the two (in
 * a signal handler that interrupted a control call, as its thread would).
 */
bool shim_ctl_mark_taking(int sockfd, unsigned int flag, int prio)
{
	int saved = errno;
	bool taken, shared;

	shared = shim_ctl_enter();
	taken = shim_fd_flag_take(sockfd, flag);
	if (taken)
		shim_real.setsockopt(sockfd, SOL_SOCKET, SO_PRIORITY, &prio, sizeof(prio));
	shim_ctl_leave(shared);
	errno = saved;
	return taken;
}

/*
 * Anyone can connect to a listener's abstract name. A connection is the
 * host's if its sender (SO_PEERCRED) is the very process whose pid the
 * listener's name shim_sock_name('l') carries, and runs as root or as us.
 */
pid_t shim_listener_host(int lfd)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	unsigned int pid;
	uint32_t id;
	char kind;

	if (shim_real.getsockname(lfd, (struct sockaddr *)&sun, &len) < 0 ||
	    len <= offsetof(struct sockaddr_un, sun_path) + 1 || sun.sun_path[0] ||
	    shim_sock_name_parse(sun.sun_path + 1, len - offsetof(struct sockaddr_un, sun_path) - 1,
				 &kind, &pid, &id) < 0 ||
	    kind != 'l')
		return -1;
	return (pid_t)pid;
}

int shim_ctl_from_host(int lfd, int nfd)
{
	pid_t pid = shim_listener_host(lfd);
	struct ucred u;
	socklen_t ulen = sizeof(u);

	if (pid < 0 || shim_real.getsockopt(nfd, SOL_SOCKET, SO_PEERCRED, &u, &ulen) < 0)
		return 0;
	return u.pid == pid && shim_ctl_cred_ok(&u);
}

int shim_host_pid(void)
{
	return shim_ctl_host_pid;
}

/* The application closed (or dup2'd over) our control fd: reconnect when needed. */
void shim_ctl_forget_fd(int fd)
{
	if (__atomic_load_n(&shim_ctl_fd, __ATOMIC_RELAXED) == fd)
		__atomic_store_n(&shim_ctl_fd, -1, __ATOMIC_RELAXED);
}

/*
 * In a forked child: the connection is the parent's (a request from both
 * would interleave), and the mutex may have been held by a thread that does
 * not exist here.
 */
void shim_ctl_reset_child(void)
{
	pthread_mutex_init(&shim_ctl_lock, NULL);
	if (shim_ctl_ids.host_end >= 0)
		shim_real.close(shim_ctl_ids.host_end);
	shim_ctl_ids.host_end = -1;
	shim_ctl_ids.next = shim_ctl_ids.end = 0;
	if (shim_ctl_fd >= 0) {
		shim_fd_set(shim_ctl_fd, 0);
		shim_real.close(shim_ctl_fd);
		shim_ctl_fd = -1;
	}
}
