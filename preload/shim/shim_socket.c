/* SPDX-License-Identifier: MIT */
/*
 * The socket calls of the interposer: socket() runs the core's creation path
 * in-process with the caller's own credentials (so EINVAL, EAFNOSUPPORT,
 * EPROTONOSUPPORT, EPERM ... come out exactly as the kernel's, and the trace
 * shows each step), then asks the stack host for the socket and records the
 * pair end it hands back. bind, listen, accept, connect, shutdown, the name
 * and option calls and ioctl on emulated fds are validated here like the
 * kernel's system call layer does (EFAULT for bad pointers, EINVAL for bad
 * lengths) and forwarded as shim_req; everything on other fds goes to the
 * kernel untouched.
 *
 * What it does not do: move data (shim_io.c) or any protocol logic (that is
 * the host's and the core's).
 */
#include "shim_lib.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <linux/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "inet.h"
#include "net.h"
#include "net_namespace.h"
#include "sysctl_proc.h"

/* ---- the in-process creation path ---- */

/*
 * A registry-only stack (no device): sockets are created and released here
 * only to learn the kernel's answer and the resolved type and protocol.
 */
static struct net shim_net;
static int shim_net_err;
static pthread_once_t shim_net_once = PTHREAD_ONCE_INIT;
static _Atomic int shim_net_done;
static pthread_mutex_t shim_net_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread struct shim_call *shim_create_call;

static void shim_create_step(const char *step)
{
	if (shim_create_call)
		shim_note(shim_create_call, "%s", step);
}

/*
 * Set once a stream of this process may have been shut down for reading by
 * someone (its own shutdown(), or another process sharing it: fork, exec,
 * SCM_RIGHTS): then the pair's end no longer tells a FIN (shim_eof_error).
 */
static atomic_bool shim_rd_shut_maybe;

static void shim_rd_shut_note(void)
{
	atomic_store_explicit(&shim_rd_shut_maybe, true, memory_order_relaxed);
}

/* A fork shares every stream with the child (the host's start is a clone without handlers). */
static void shim_net_atfork_parent(void)
{
	shim_rd_shut_note();
}

static void shim_net_atfork_child(void)
{
	pthread_mutex_init(&shim_net_lock, NULL);
	shim_net_atfork_parent();
}

static void shim_net_init(void)
{
	inet_init();
	request_module_set_dir(shim_cfg.plugin_dir[0] ? shim_cfg.plugin_dir : shim_lib_dir);
	sysctl_proc_read(&shim_net.sysctl);
	/*
	 * The TCP sysctls read again where the kernel reads them matter where
	 * the socket lives, in the host; here they would only cost each
	 * socket() a file read (and no errno depends on them).
	 */
	shim_net.sysctl.refresh_tcp = NULL;
	shim_net.sysctl.refresh_ports = NULL; /* nor the port ones: files open in the program */
	shim_net_err = net_init(&shim_net, NULL, shim_cfg.addr, shim_cfg.netmask, shim_cfg.gateway,
				shim_cfg.mac, 0);
	if (shim_trace_level)
		sock_create_trace = shim_create_step;
	pthread_atfork(NULL, shim_net_atfork_parent, shim_net_atfork_child);
}

/*
 * The caller's identity as the kernel's current_cred() would see it; none
 * for a TCP or UDP socket, whose creation checks neither ids nor
 * privileges (six system calls fewer per connection): ids no one has
 * (overflowuid's role), no capability, no group.
 */
static void shim_own_cred(struct cred *cred, int type, int protocol)
{
	gid_t groups[32];
	int i, n;

	*cred = (struct cred){.uid = (uint32_t)-1, .gid = (uint32_t)-1};
	if (shim_create_unprivileged(type & SOCK_TYPE_MASK, protocol))
		return;
	cred->uid = geteuid();
	cred->gid = getegid();
	cred->cap_eff = shim_cap_eff();
	n = getgroups(32, groups);
	cred->ngroups = n < 0 ? 0 : n;
	for (i = 0; i < cred->ngroups; i++)
		cred->groups[i] = groups[i];
}

/*
 * The core's net judging with the caller's rights (ns_capable), under its
 * lock: the host sends with its own rights, so a caller's are judged here.
 * 0, or the set-up's error (nothing held then).
 */
static int shim_net_as_caller(struct cred *cred)
{
	struct shim_route r = shim_route_known();

	*cred = (struct cred){.uid = geteuid(), .gid = getegid(), .cap_eff = shim_cap_eff()};
	shim_once(&shim_net_once, &shim_net_done, shim_net_init);
	if (shim_net_err)
		return shim_net_err;
	pthread_mutex_lock(&shim_net_lock);
	shim_net.current_cred = cred;
	/* The options' address checks (inet_addr_type) see the host's subnet. */
	shim_net.netmask = r.netmask;
	shim_net.gateway = r.gateway;
	return 0;
}

static void shim_net_as_caller_end(void)
{
	shim_net.current_cred = NULL;
	pthread_mutex_unlock(&shim_net_lock);
}

int shim_ip_cmsg_send(const struct msghdr *msg, struct ipcm_cookie *ipc)
{
	struct cred cred;
	int err = shim_net_as_caller(&cred);

	if (err)
		return err;
	err = ip_cmsg_send(&shim_net, msg, ipc);
	shim_net_as_caller_end();
	return err;
}

int shim_ip_options_get(struct ip_options_data *opt, const void *data, size_t len)
{
	struct cred cred;
	int err = shim_net_as_caller(&cred);

	if (err)
		return err;
	err = ip_options_get(&shim_net, opt, data, (unsigned int)len);
	shim_net_as_caller_end();
	return err;
}

/* Runs sys_socket + __sock_create; fills the resolved type and protocol. */
static int shim_core_create(int family, int type, int protocol, int *rtype, int *rproto,
			    struct shim_call *c)
{
	struct cred cred;
	struct socket *sock;
	int err;

	/*
	 * The core stack is brought up by the first AF_INET/AF_INET6 socket(),
	 * so that programs that never open one pay nothing for it.
	 */
	shim_stack_init();
	shim_once(&shim_net_once, &shim_net_done, shim_net_init);
	if (shim_net_err)
		return shim_net_err;
	shim_own_cred(&cred, type, protocol);
	pthread_mutex_lock(&shim_net_lock);
	shim_create_call = c;
	err = sock_create_cred(&shim_net, family, type, protocol, &cred, &sock);
	if (!err) {
		*rtype = sock->type;
		*rproto = sock->sk ? sock->sk->sk_protocol : protocol;
		sock_release(sock);
	}
	shim_create_call = NULL;
	pthread_mutex_unlock(&shim_net_lock);
	return err;
}

/* The configuration error, said once per process where the trace goes. */
static void shim_say_config_error(void)
{
	static atomic_int said;

	if (!atomic_exchange(&said, 1))
		shim_say("%s", shim_cfg_err);
}

/*
 * Sends req for the socket of entry e, proving with sockfd that we hold it;
 * the host's note goes to the trace.
 */
int shim_request(int sockfd, uint64_t e, struct shim_req *req, struct shim_rep *rep, int *fd,
		 struct shim_call *c)
{
	int err;

	req->hdr.id = shim_ent_id(e);
	/* The host hears of the socket: what it does with it is its own to tell now. */
	if (shim_ent_flags(e) & SHIM_F_FRESH && shim_ent_kind(e) == SHIM_STREAM)
		shim_fd_flags(sockfd, 0, SHIM_F_FRESH);
	err = shim_ctl_call(req, rep, fd, sockfd);
	if (err)
		return err;
	if (rep->note[0])
		shim_note(c, "%s", rep->note);
	return rep->hdr.ret;
}

/*
 * A TCP or UDP socket, whose creation the host would check no further than
 * this process did, is made without waiting for the host (SHIM_OP_ADOPT)
 * where shim_ctl_adopt can: the fd (req as sent), or -1 to ask with CREATE.
 */
static int shim_socket_adopt(int rtype, int rproto, struct shim_req *req)
{
	*req = (struct shim_req){.hdr.op = SHIM_OP_ADOPT,
				 .adopt = {.type = rtype, .protocol = rproto}};
	if (!shim_create_unprivileged(rtype, rproto))
		return -1;
	return shim_ctl_adopt(rtype == SOCK_STREAM ? SOCK_STREAM : SOCK_SEQPACKET, req);
}

/*
 * No stack socket could be made. A sandbox that refuses socket() (a
 * seccomp filter: the stack's set-up, if_nametoindex, and the control
 * connection need one) would have refused this very call from the kernel:
 * its answer is the one to give, learnt by making the call for real (the
 * kernel's socket, if the filter lets it be made, is closed at once). Else
 * there is no stack to put the socket on: ENONET, with the configuration's
 * error said once if that is the cause.
 */
static int shim_socket_nostack(int family, int type, int protocol)
{
	int fd = shim_real.socket(family, type, protocol);

	if (fd < 0)
		return -errno;
	shim_real.close(fd);
	if (!shim_cfg_ok)
		shim_say_config_error();
	return -SHIM_ENOSTACK;
}

/*
 * Whether the process runs under a seccomp filter it did not install
 * itself: one inherited across exec (a container's, a service manager's,
 * a parent's sandbox). /proc/self/status's Seccomp field, read once, at
 * the first AF_INET socket() (raw calls: a filter that refuses them leaves
 * the answer "no", as before). Such a filter answers socket() before
 * sys_socket's checks, as one the process installs (shim_sandboxed); only
 * the creation path takes the real call first for it. The data path keeps
 * its own calls: the filter was there before the program's first call.
 */
static bool shim_filter_inherited(void)
{
	static int known; /* 0 not read yet, 1 no filter, 2 a filter */
	static const char key[] = "\nSeccomp:\t";
	char buf[4096], *at;
	int v = __atomic_load_n(&known, __ATOMIC_RELAXED);

	if (v)
		return v == 2;
	shim_sys_read_file("/proc/self/status", buf, sizeof(buf));
	at = strstr(buf, key);
	v = at && at[sizeof(key) - 1] == '2' ? 2 : 1;
	__atomic_store_n(&known, v, __ATOMIC_RELAXED);
	return v == 2;
}

static int shim_socket(int family, int type, int protocol, struct shim_call *c)
{
	struct shim_req req = {.hdr.op = SHIM_OP_CREATE};
	struct shim_rep rep;
	unsigned int flags = 0;
	int rtype, rproto, fd, err;
	uint64_t tx, rx;
	uint32_t id;

	/*
	 * PF_INET + SOCK_PACKET is the kernel's old packet socket: it rewrites
	 * it to PF_PACKET itself, so it is the kernel's to answer.
	 */
	if ((family != AF_INET && family != AF_INET6) ||
	    (family == AF_INET && (type & SOCK_TYPE_MASK) == SOCK_PACKET)) {
		fd = shim_real.socket(family, type, protocol);
		if (family == AF_NETLINK)
			shim_nl_socket(fd, protocol);
		return fd < 0 ? -errno : fd;
	}
	c->path = "stack";
	/*
	 * Under a seccomp filter the filter answers first (it runs before
	 * sys_socket's own checks): the call is made for real, and its
	 * refusal, whatever the arguments, is the answer; one the filter lets
	 * through is closed at once and the creation path goes on. A process
	 * under no filter makes no such call.
	 */
	if (__atomic_load_n(&shim_sandboxed, __ATOMIC_RELAXED) || shim_filter_inherited()) {
		fd = shim_real.socket(family, type, protocol);
		if (fd < 0)
			return -errno;
		shim_real.close(fd);
	}
	err = shim_core_create(family, type, protocol, &rtype, &rproto, c);
	if (err)
		return err;
	if (family != AF_INET)
		return -EAFNOSUPPORT;
	if (!shim_cfg_ok)
		return shim_socket_nostack(family, type, protocol);
	fd = shim_socket_adopt(rtype, rproto, &req);
	if (fd >= 0) {
		shim_note(c, "adopted");
		id = req.hdr.id;
		tx = shim_cookie_get(req.adopt.tx_cookie);
		rx = (uint64_t)req.adopt.nonce_hi << 32 | req.adopt.nonce_lo;
	} else {
		req = (struct shim_req){.hdr.op = SHIM_OP_CREATE};
		req.create.type = rtype;
		req.create.protocol = rproto;
		err = shim_request(-1, 0, &req, &rep, &fd, c);
		if (err < 0 && fd >= 0)
			shim_real.close(fd);
		if (err == -SHIM_ENOSTACK || (!err && fd < 0))
			return shim_socket_nostack(family, type, protocol);
		if (err < 0)
			return err;
		id = rep.hdr.id;
		tx = shim_cookie_get(rep.create.tx_cookie);
		rx = shim_cookie_get(rep.create.rx_cookie);
	}
	/* The fd arrived close-on-exec (MSG_CMSG_CLOEXEC); make it what was asked. */
	if (!(type & SOCK_CLOEXEC))
		shim_real.fcntl(fd, F_SETFD, 0);
	if (type & SOCK_NONBLOCK)
		shim_real.fcntl(fd, F_SETFL, O_NONBLOCK);
	/* Made for this process alone, adopted or created: nobody has asked about it. */
	if (rtype == SOCK_STREAM)
		flags |= SHIM_F_UNCONNECTED | SHIM_F_FRESH;
	if (rtype != SOCK_RAW && (rproto == IPPROTO_UDP || rproto == IPPROTO_UDPLITE))
		flags |= SHIM_F_UDP; /* a raw socket of protocol UDP is no UDP socket */
	if (rtype == SOCK_RAW)
		flags |= SHIM_F_RAW;
	else if (rproto == IPPROTO_ICMP)
		flags |= SHIM_F_PING;
	if (rtype != SOCK_STREAM)
		shim_fd_dgram_set(fd, tx, rx);
	shim_fd_set(fd, shim_ent(id, rtype == SOCK_STREAM ? SHIM_STREAM : SHIM_DGRAM, flags));
	shim_sk_created(fd, shim_fd_get(fd), rtype, rproto);
	shim_note(c, "host id %u", id);
	return fd;
}

SHIM_EXPORT int socket(int family, int type, int protocol)
{
	struct shim_call c;
	char f[24], t[64], p[24];
	int ret;

	if ((likely(!shim_slow) && family != AF_INET && family != AF_INET6 &&
	     family != AF_NETLINK) ||
	    unlikely(shim_stack_initing))
		return shim_real.socket(family, type, protocol);
	shim_call_begin(&c, SHIM_SYM_socket);
	ret = (int)shim_ret(shim_socket(family, type, protocol, &c), c.err0);
	if (unlikely(shim_trace_level))
		shim_trace(&c, ret, "%s, %s, %s", shim_fmt_family(f, sizeof(f), family),
			   shim_fmt_type(t, sizeof(t), type),
			   shim_fmt_proto(p, sizeof(p), family, protocol));
	return ret;
}

SHIM_EXPORT int socketpair(int family, int type, int protocol, int sv[2])
{
	struct shim_call c;
	char f[24], t[64], p[24];
	int ret, rtype, rproto;

	if (likely(!shim_slow) && family != AF_INET && family != AF_INET6)
		return shim_real.socketpair(family, type, protocol, sv);
	shim_call_begin(&c, SHIM_SYM_socketpair);
	if (family != AF_INET && family != AF_INET6) {
		ret = shim_real.socketpair(family, type, protocol, sv);
	} else {
		/* Created, then refused by inet's proto_ops (sock_no_socketpair). */
		c.path = "stack";
		ret = shim_core_create(family, type, protocol, &rtype, &rproto, &c);
		ret = (int)shim_ret(ret ? ret : -EOPNOTSUPP, c.err0);
	}
	if (unlikely(shim_trace_level))
		shim_trace(&c, ret, "%s, %s, %s, %p", shim_fmt_family(f, sizeof(f), family),
			   shim_fmt_type(t, sizeof(t), type),
			   shim_fmt_proto(p, sizeof(p), family, protocol), (void *)sv);
	return ret;
}

/* ---- addresses between the application and the request ---- */

/* move_addr_to_kernel() */
static int shim_addr_in(struct shim_addr *req, const struct sockaddr *uaddr, socklen_t addrlen)
{
	struct sockaddr_storage ss;

	if ((int)addrlen < 0 || addrlen > sizeof(ss))
		return -EINVAL;
	if (addrlen && shim_copy_from_user(&ss, uaddr, addrlen))
		return -EFAULT;
	memset(&req->addr, 0, sizeof(req->addr));
	memcpy(&req->addr, &ss, addrlen < sizeof(req->addr) ? addrlen : sizeof(req->addr));
	req->addrlen = addrlen;
	return 0;
}

/* move_addr_to_user(): klen bytes of kaddr, cut to what the caller has room for. */
int shim_addr_out(const void *kaddr, int klen, struct sockaddr *uaddr, socklen_t *ulen)
{
	int len;

	if (shim_copy_from_user(&len, ulen, sizeof(len)))
		return -EFAULT;
	if (len > klen)
		len = klen;
	if (len < 0)
		return -EINVAL;
	if (len && shim_copy_to_user(uaddr, kaddr, (size_t)len))
		return -EFAULT;
	return shim_copy_to_user(ulen, &klen, sizeof(klen));
}

static int shim_rep_addrlen(const struct shim_rep *rep)
{
	return rep->name.addrlen ? (int)rep->name.addrlen : (int)sizeof(struct sockaddr_in);
}

/* ---- bind, listen, accept ---- */

/*
 * The interposer's notes of socket options (SO_ZEROCOPY, transmit
 * stamping, TCP_INQ) that a listener keeps and sk_clone_lock copies to every
 * socket it accepts.
 */
#define SHIM_F_SK_NOTES (SHIM_F_ZEROCOPY | SHIM_F_TXSTAMP | SHIM_F_INQ)

#define SHIM_PASS(fd, call)                                                                        \
	do {                                                                                       \
		if (likely(!shim_slow) && likely(!shim_fd_get(fd)))                                \
			return shim_real.call;                                                     \
	} while (0)

SHIM_EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct shim_req req = {.hdr.op = SHIM_OP_BIND};
	struct shim_rep rep;
	struct shim_call c;
	char a[128];
	uint64_t e;
	int ret;

	SHIM_PASS(fd, bind(fd, addr, len));
	shim_call_begin(&c, SHIM_SYM_bind);
	e = shim_fd_get(fd);
	if (!shim_emulated(e)) {
		ret = shim_real.bind(fd, addr, len);
	} else {
		c.path = "stack";
		ret = shim_addr_in(&req.bind, addr, len);
		if (!ret)
			ret = shim_request(fd, e, &req, &rep, NULL, &c);
		if (!ret && shim_ent_kind(e) == SHIM_DGRAM) {
			shim_fd_flags(fd, SHIM_F_BOUND, 0);
			shim_dgram_bound(fd, e, req.bind.addr.sin_addr.s_addr);
		}
		ret = (int)shim_ret(ret, c.err0);
	}
	if (unlikely(shim_trace_level))
		shim_trace(&c, ret, "%d, %s, %u", fd, shim_fmt_addr(a, sizeof(a), addr, len), len);
	return ret;
}

/*
 * The kernel's udp_sendmsg binds an unbound socket to a port before the
 * datagram leaves, so getsockname() right after sendto() names the port.
 * Here the datagram reaches the host later, so the interposer asks for the
 * same binding first (INADDR_ANY, port 0: what inet_autobind does). An
 * error means someone bound it meanwhile, which is what we wanted.
 */
void shim_dgram_autobind(int fd, uint64_t e)
{
	struct shim_req req = {.hdr = {.op = SHIM_OP_BIND, .id = shim_ent_id(e)}};
	struct shim_rep rep;

	req.bind.addr.sin_family = AF_INET;
	req.bind.addrlen = sizeof(req.bind.addr);
	shim_ctl_call(&req, &rep, NULL, fd);
	shim_fd_flags(fd, SHIM_F_BOUND, 0);
}

/*
 * The options the pair itself carries out (shim_setsockopt sets them on
 * the pair or the listener too): reading urgent data inline and the
 * blocking timeouts. sk_clone_lock copies them to every accepted socket,
 * so they go from the pair to the listener at listen() and from the
 * listener to each pair accept() returns; a process that never set one
 * leaves them at their defaults and skips this.
 */
struct shim_pair_opts {
	int oobinline;
	struct timeval rcvtimeo, sndtimeo;
};
static atomic_bool shim_pair_opts_changed;

static void shim_pair_opts_get(int fd, struct shim_pair_opts *o)
{
	memset(o, 0, sizeof(*o));
	shim_real.getsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &o->oobinline,
			     &(socklen_t){sizeof(o->oobinline)});
	shim_real.getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &o->rcvtimeo,
			     &(socklen_t){sizeof(o->rcvtimeo)});
	shim_real.getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &o->sndtimeo,
			     &(socklen_t){sizeof(o->sndtimeo)});
}

static void shim_pair_opts_set(int fd, const struct shim_pair_opts *o)
{
	shim_real.setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &o->oobinline, sizeof(o->oobinline));
	shim_real.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &o->rcvtimeo, sizeof(o->rcvtimeo));
	shim_real.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &o->sndtimeo, sizeof(o->sndtimeo));
}

static void shim_pair_opts_inherit(int from, int to)
{
	struct shim_pair_opts o;

	if (!atomic_load_explicit(&shim_pair_opts_changed, memory_order_relaxed))
		return;
	shim_pair_opts_get(from, &o);
	shim_pair_opts_set(to, &o);
}

/* The host's AF_UNIX listener replaces the pair end, keeping the fd's flags. */
static int shim_listen(int fd, uint64_t e, int backlog, struct shim_call *c)
{
	struct shim_req req = {.hdr.op = SHIM_OP_LISTEN, .listen.backlog = backlog};
	struct shim_rep rep;
	int lfd, ret, fdflags, flflags;

	ret = shim_request(fd, e, &req, &rep, &lfd, c);
	if (ret < 0 || lfd < 0) {
		if (lfd >= 0)
			shim_real.close(lfd);
		return ret;
	}
	fdflags = shim_real.fcntl(fd, F_GETFD);
	flflags = shim_real.fcntl(fd, F_GETFL);
	shim_pair_opts_inherit(fd, lfd);
	if (shim_real.dup3(lfd, fd, fdflags > 0 && (fdflags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) {
		ret = -errno;
		shim_real.close(lfd);
		return ret;
	}
	shim_real.close(lfd);
	/* The pair end is gone with the kernel's epoll registrations: the sets watch the listener.
	 */
	shim_epoll_fd_listening(fd);
	if (flflags >= 0 && (flflags & O_NONBLOCK))
		shim_real.fcntl(fd, F_SETFL, O_NONBLOCK);
	shim_fd_set(fd,
		    shim_ent(shim_ent_id(e), SHIM_LISTENER, shim_ent_flags(e) & SHIM_F_SK_NOTES));
	return 0;
}

SHIM_EXPORT int listen(int fd, int backlog)
{
	struct shim_call c;
	uint64_t e;
	int ret;

	SHIM_PASS(fd, listen(fd, backlog));
	shim_call_begin(&c, SHIM_SYM_listen);
	e = shim_fd_get(fd);
	if (!shim_emulated(e)) {
		ret = shim_real.listen(fd, backlog);
	} else {
		c.path = "stack";
		ret = (int)shim_ret(shim_listen(fd, e, backlog, &c), c.err0);
	}
	shim_trace(&c, ret, "%d, %d", fd, backlog);
	return ret;
}

/*
 * The id in a shim_sock_name() of kind in an abstract AF_UNIX name, else -1;
 * nonce (if not NULL) gets its nonce, peer (if not NULL) an accepted
 * connection's peer (shim_accepted_name) or a bare one (shim_bare_peer_name).
 */
static int64_t shim_parse_name(const struct sockaddr_un *sun, socklen_t len, char kind,
			       uint64_t *nonce, struct sockaddr_in *peer)
{
	unsigned int pid;
	uint32_t id;
	char k;

	if (len <= offsetof(struct sockaddr_un, sun_path) + 1 || sun->sun_family != AF_UNIX ||
	    sun->sun_path[0])
		return -1;
	if (shim_sock_name_parse_full(sun->sun_path + 1,
				      len - offsetof(struct sockaddr_un, sun_path) - 1, &k, &pid,
				      &id, nonce, peer) < 0 ||
	    k != kind)
		return -1;
	return id;
}

int shim_fd_dgram_learn(int fd, const struct sockaddr_un *name, socklen_t len)
{
	uint64_t tx, rx;
	socklen_t olen = sizeof(tx);

	if (shim_parse_name(name, len, 'a', &rx, NULL) < 0 ||
	    shim_real.getsockopt(fd, SOL_SOCKET, SHIM_PAIR_TX_COOKIE, &tx, &olen) < 0 ||
	    olen != sizeof(tx))
		return -1;
	shim_fd_dgram_set(fd, tx, rx);
	return 0;
}

/*
 * A socket's bare peer is fixed for its life: read once per fd (dup and
 * fork copy it) from the name of the host's end, then one load.
 */
int shim_dgram_bare_peer(int fd, uint64_t e, struct sockaddr_in *peer)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	uint64_t p;

	if ((unsigned int)fd >= shim_fd_max)
		return -1;
	p = atomic_load_explicit(&shim_fd_dg[fd].peer, memory_order_relaxed);
	if (p & 1) {
		*peer = (struct sockaddr_in){.sin_family = AF_INET,
					     .sin_port = (uint16_t)(p >> 16),
					     .sin_addr.s_addr = (uint32_t)(p >> 32)};
		return 0;
	}
	/* The first here: the host's end of the pair names it. */
	if (shim_real.getpeername(fd, (struct sockaddr *)&sun, &len) < 0 ||
	    shim_parse_name(&sun, len, 'd', NULL, peer) != (int64_t)shim_ent_id(e))
		return -1;
	atomic_store_explicit(&shim_fd_dg[fd].peer,
			      (uint64_t)peer->sin_addr.s_addr << 32 |
				      (uint64_t)peer->sin_port << 16 | 1,
			      memory_order_relaxed);
	return 0;
}

/* accept() got a kernel socket (README "Loopback"): its address is the kernel's. */
static int shim_accept_kernel(int nfd, struct sockaddr *addr, socklen_t *addrlen,
			      struct shim_call *c)
{
	c->path = "kernel loopback";
	if (addr && shim_real.getpeername(nfd, addr, addrlen) < 0) {
		int err = -errno;

		shim_real.close(nfd);
		return err;
	}
	return nfd;
}

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/*
 * Whether the kernel would restart a wait (accept(), a datagram peek) that a signal handler
 * interrupted: it does when the handler has SA_RESTART and the socket has no
 * SO_RCVTIMEO (sock_intr_errno). ppoll() never restarts, and which signal
 * came is not known here, so the wait goes on only if every handler the
 * program installed has SA_RESTART.
 */
bool shim_handlers_restart(void)
{
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;

		/* libc's own signals (SIGCANCEL, SIGSETXID) answer EINVAL: not the program's. */
		if (sigaction(sig, NULL, &sa) < 0)
			continue;
		if (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN &&
		    !(sa.sa_flags & SA_RESTART))
			return false;
	}
	return true;
}

/*
 * A blocking accept() waits for a connection or for the death of the host
 * that connects them, whichever comes first: nothing in the kernel tells an
 * AF_UNIX listener that the process that connects to it died. With the host
 * gone the listener is gone, and accept fails as the kernel's does on a
 * listener destroyed under it (SOCK_DESTROY, `ss -K`): EINVAL, now and on
 * every later call, blocking or not. 0: accept now (it may still block if
 * another process took the connection first; a non-blocking one may say
 * EAGAIN); -errno: the answer. The wait is on a copy of fd: a shutdown()
 * that stops the listener wakes it (unix_poll: IN at RCV_SHUTDOWN) and then
 * gives fd a new pair (shim_listener_stopped), which a poll of fd itself
 * would go on waiting on, where the kernel's accept() returns EINVAL.
 */
static int shim_accept_wait(int fd)
{
	struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.events = POLLIN}};
	struct timeval tv = {0};
	socklen_t tlen = sizeof(tv);
	struct timespec ts = {0}, *tsp = NULL;
	pid_t host = shim_listener_host(fd);
	int fl = shim_real.fcntl(fd, F_GETFL), n;

	if (host <= 0 || fl < 0)
		return 0;
	p[1].fd = (int)shim_real.syscall(SYS_pidfd_open, host, 0);
	if (p[1].fd < 0)
		return errno == ESRCH ? -EINVAL : 0;
	if (fl & O_NONBLOCK) {
		tsp = &ts; /* only a look: is the host still there? */
	} else {
		p[0].fd = shim_real.fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (p[0].fd < 0)
			p[0].fd = fd; /* no fd left for the copy: the wait as before */
		/* SO_RCVTIMEO bounds accept() as it bounds a read. */
		if (!shim_real.getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &tlen) &&
		    (tv.tv_sec || tv.tv_usec)) {
			ts = (struct timespec){tv.tv_sec, tv.tv_usec * 1000};
			tsp = &ts;
		}
	}
	do {
		n = (int)shim_real.syscall(SYS_ppoll, p, 2, tsp, NULL, (size_t)8);
		if (n < 0)
			n = -errno;
	} while (n == -EINTR && !tsp && shim_handlers_restart());
	shim_real.close(p[1].fd);
	if (p[0].fd != fd)
		shim_real.close(p[0].fd);
	if (n == 0)
		return fl & O_NONBLOCK ? 0 : -EAGAIN;
	if (n > 0 && (p[1].revents & POLLIN) && !(p[0].revents & POLLIN))
		return -EINVAL;
	return n < 0 ? n : 0;
}

/*
 * accept4() on the AF_UNIX listener. A non-blocking listener tries it first
 * and looks at the host only when nothing is queued: with a connection
 * queued shim_accept_wait() would let it be taken anyway, so the look (four
 * system calls) is needed only to tell EAGAIN from a dead host's EINVAL.
 */
static int shim_accept_unix(int fd, struct sockaddr_un *peer, socklen_t *plen, int flags)
{
	int fl = shim_real.fcntl(fd, F_GETFL), nfd, err;

	if (fl >= 0 && (fl & O_NONBLOCK)) {
		nfd = shim_real.accept4(fd, (struct sockaddr *)peer, plen, flags);
		if (nfd >= 0 || errno != EAGAIN)
			return nfd < 0 ? -errno : nfd;
	}
	err = shim_accept_wait(fd);
	if (err)
		return err;
	nfd = shim_real.accept4(fd, (struct sockaddr *)peer, plen, flags);
	return nfd < 0 ? -errno : nfd;
}

static int shim_accept(int fd, uint64_t e, struct sockaddr *addr, socklen_t *addrlen, int flags,
		       struct shim_call *c)
{
	struct sockaddr_un peer;
	struct sockaddr_in from;
	socklen_t plen;
	int64_t id;
	int nfd, err;

	/* __sys_accept4 checks them first: a blocking listener must not wait before. */
	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	/* Not listening: the kernel's own answer on the pair (EINVAL, EOPNOTSUPP). */
	if (shim_ent_kind(e) != SHIM_LISTENER) {
		nfd = shim_real.accept4(fd, NULL, NULL, flags);
		return nfd < 0 ? -errno : nfd;
	}
	for (;;) {
		plen = sizeof(peer);
		nfd = shim_accept_unix(fd, &peer, &plen, flags);
		if (nfd < 0)
			return nfd;
		id = shim_parse_name(&peer, plen, 's', NULL, &from);
		if (id >= 0 && shim_ctl_from_host(fd, nfd))
			break;
		if (shim_parse_name(&peer, plen, 'k', NULL, NULL) >= 0 &&
		    shim_ctl_from_host(fd, nfd)) {
			nfd = shim_loopback_accepted(nfd, flags);
			if (nfd >= 0)
				return shim_accept_kernel(nfd, addr, addrlen, c);
			continue;
		}
		/* Someone else connected to the listener's abstract name: not a TCP peer. */
		shim_real.close(nfd);
	}
	shim_pair_opts_inherit(fd, nfd);
	shim_fd_set(nfd, shim_ent((uint32_t)id, SHIM_STREAM, shim_ent_flags(e) & SHIM_F_SK_NOTES));
	/* Our end came with net.core.wmem_default (unix_create1), not the pair's size. */
	shim_pair_size(nfd, shim_fd_get(nfd), false);
	shim_note(c, "id %u", (uint32_t)id);
	if (!addr)
		return nfd;
	/* As the kernel: the address is written after the accept, and a fault loses it. */
	err = shim_addr_out(&from, sizeof(from), addr, addrlen);
	if (err) {
		shim_fd_set(nfd, 0);
		shim_real.close(nfd);
		return err;
	}
	return nfd;
}

static int shim_accept_call(enum shim_sym sym, int fd, struct sockaddr *addr, socklen_t *addrlen,
			    int flags)
{
	struct shim_call c;
	char a[128];
	uint64_t e;
	int ret;

	shim_call_begin(&c, sym);
	e = shim_fd_get(fd);
	if (!shim_emulated(e)) {
		ret = shim_real.accept4(fd, addr, addrlen, flags);
	} else {
		c.path = "stack";
		ret = (int)shim_ret(shim_accept(fd, e, addr, addrlen, flags, &c), c.err0);
	}
	if (unlikely(shim_trace_level)) {
		socklen_t l = 0;

		if (ret >= 0 && addr && addrlen)
			shim_copy_from_user(&l, addrlen, sizeof(l));
		shim_fmt_addr(a, sizeof(a), ret >= 0 ? addr : NULL, l);
		if (sym == SHIM_SYM_accept)
			shim_trace(&c, ret, "%d, %s, %p", fd, a, (void *)addrlen);
		else
			shim_trace(&c, ret, "%d, %s, %p, %#x", fd, a, (void *)addrlen, flags);
	}
	return ret;
}

SHIM_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	SHIM_PASS(fd, accept(fd, addr, addrlen));
	return shim_accept_call(SHIM_SYM_accept, fd, addr, addrlen, 0);
}

SHIM_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags)
{
	SHIM_PASS(fd, accept4(fd, addr, addrlen, flags));
	return shim_accept_call(SHIM_SYM_accept4, fd, addr, addrlen, flags);
}

/* ---- connect ---- */

/* At most what SO_SNDBUF 0 leaves (SOCK_MIN_SNDBUF, 4,608 bytes on x86-64). */
#define SHIM_FILL_SNDBUF_MAX 8192

/*
 * Fills the application's end until the kernel refuses more, so that it
 * shows no POLLOUT until the host, once ESTABLISHED, reads the filler away
 * (shim_ctl.h). At the pair's default SO_SNDBUF that is about 230 KB to
 * copy in here and out again in the host for every connect; so the fill
 * runs with the buffer at its least (SOCK_MIN_SNDBUF: one 4 KB write), and
 * shim_filler_gone() gives the size back. Returns the byte count.
 */
static int shim_fill(int fd)
{
	static const char zeros[65536];
	long total = 0;
	int least = 0;
	ssize_t n;

	shim_real.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &least, sizeof(least));
	for (;;) {
		n = shim_real.send(fd, zeros, sizeof(zeros), MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			total += n;
			/* A part taken: the buffer is full (sock_alloc_send_pskb refused the rest).
			 */
			if ((size_t)n < sizeof(zeros))
				break;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	if (n < 0 && errno != EAGAIN)
		return -errno;
	return (int)total;
}

/* This process set SO_SNDBUF on a stream or listener: its pairs ask the host for their size. */
static atomic_bool shim_sndbuf_set;
/* When shim_pair_grow may ask next (CLOCK_MONOTONIC ns): at most once a millisecond. */
static _Atomic int64_t shim_pair_next_ask;

/* The socket's shim_pair_wmem(), with SHIM_PAIR_WMEM_FINAL; 0 if the host did not say. */
static int shim_pair_ask(int fd, uint64_t e)
{
	struct shim_req req = {.hdr.op = SHIM_OP_GETSOCKOPT,
			       .sockopt = {.level = SOL_SOCKET, .optname = SHIM_SO_PAIR_WMEM}};
	struct shim_rep rep;
	int w = 0;

	if (shim_request(fd, e, &req, &rep, NULL, NULL) == 0 && rep.sockopt.optlen == sizeof(w))
		memcpy(&w, rep.sockopt.optval, sizeof(w));
	return w;
}

/* The pair's send buffer to w (its sk_sndbuf); SHIM_F_PAIR_GROW while it may grow by itself. */
static void shim_pair_set(int fd, uint64_t e, int w)
{
	int half = (w & ~SHIM_PAIR_WMEM_FINAL) / 2; /* SO_SNDBUF doubles it back */
	bool grows = !(w & SHIM_PAIR_WMEM_FINAL);

	shim_real.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &half, sizeof(half));
	if (grows != !!(shim_ent_flags(e) & SHIM_F_PAIR_GROW))
		shim_fd_flags(fd, grows ? SHIM_F_PAIR_GROW : 0, grows ? 0 : SHIM_F_PAIR_GROW);
}

/*
 * The program's end of a stream pair gets the send buffer shim_pair_wmem()
 * gives the socket (shim_ctl.h: SO_SNDBUF bounds the pair and the stack's
 * write queue together). Without asking, a socket whose SO_SNDBUF was
 * never set starts at SHIM_PAIR_WMEM_AUTO and grows from there; a process
 * that set one somewhere asks (an accepted socket has its listener's).
 */
void shim_pair_size(int fd, uint64_t e, bool ask)
{
	int saved = errno, w = 0;

	if (ask || atomic_load_explicit(&shim_sndbuf_set, memory_order_relaxed))
		w = shim_pair_ask(fd, e);
	shim_pair_set(fd, e, w ? w : SHIM_PAIR_WMEM_AUTO);
	errno = saved;
}

/* The pair to the host's answer w where that is larger; a final w ends its growing. */
static void shim_pair_follow(int fd, uint64_t e, int w)
{
	int cur = 0;
	socklen_t len = sizeof(cur);

	if (!w || shim_real.getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &len))
		return;
	if ((w & ~SHIM_PAIR_WMEM_FINAL) > cur)
		shim_pair_set(fd, e, w);
	else if ((w & SHIM_PAIR_WMEM_FINAL) && (shim_ent_flags(e) & SHIM_F_PAIR_GROW))
		shim_fd_flags(fd, 0, SHIM_F_PAIR_GROW);
}

/*
 * A write to a stream whose pair may grow: at most once a millisecond in
 * the process, the host says how large the socket's buffer lets it be now
 * (the stack's grew with the window), so that a bulk sender's pair reaches
 * SHIM_PAIR_WMEM_MAX within its first round trips and leaves this path,
 * while one whose peer stops reading keeps the half of a small buffer.
 * It never shrinks here: what the pair holds was the buffer's to take.
 * Only a pair that holds a quarter of its first size asks: one the host
 * keeps empty (a request/response flow) would not use more room, and the
 * request is a round trip to the host, two process wake-ups, in the way of
 * the write (README, Measured: Ping-pong). The write that finds the
 * millisecond over takes the turn whether it asks or not, so that looking
 * at the pair (SIOCOUTQ, a system call) is once a millisecond too, not at
 * every write of a flow whose pair never fills.
 */
void shim_pair_grow(int fd, uint64_t e)
{
	struct timespec ts;
	int64_t now, next;
	int saved = errno, outq = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	next = atomic_load_explicit(&shim_pair_next_ask, memory_order_relaxed);
	if (now < next ||
	    !atomic_compare_exchange_strong(&shim_pair_next_ask, &next, now + 1000000))
		return;
	if (!shim_real.ioctl(fd, SIOCOUTQ, &outq) && outq < SHIM_PAIR_WMEM_AUTO / 4) {
		errno = saved;
		return;
	}
	shim_pair_follow(fd, e, shim_pair_ask(fd, e));
	errno = saved;
}

/* m's iovec from byte off on, at most max entries of it (a write may take less). */
static size_t shim_iov_from(struct iovec *iov, size_t max, const struct msghdr *m, size_t off)
{
	size_t i = 0, n = 0;

	for (; i < m->msg_iovlen && off >= m->msg_iov[i].iov_len; i++)
		off -= m->msg_iov[i].iov_len;
	for (; i < m->msg_iovlen && n < max; i++, n++, off = 0) {
		iov[n].iov_base = (char *)m->msg_iov[i].iov_base + off;
		iov[n].iov_len = m->msg_iov[i].iov_len - off;
	}
	return n;
}

/*
 * A write to a stream that the pair took short: done of m's total bytes
 * (shim_ctl.h SHIM_SO_PAIR_TOPUP). The kernel's tcp_sendmsg copies until
 * its one queue reaches SO_SNDBUF, so while the stack's part has room the
 * host moves the pair's bytes there and the write goes on into the pair,
 * which takes the host's size for it at once (the 1 ms turn of
 * shim_pair_grow is for writers that never find it full), and fills it a
 * last time once the stack's part is full: the bytes taken are then the
 * stack's and the pair's together, bounded as SO_SNDBUF bounds them. A
 * write on a pair the host keeps taking from (a peer that reads) ends
 * after SHIM_TOPUP_ROUNDS rounds at most, still a short write. A
 * sandboxed process makes no call the program did not make: it keeps the
 * pair's count. Returns the bytes it added.
 */
#define SHIM_TOPUP_ROUNDS 64
#define SHIM_TOPUP_IOV	  64

/* One SHIM_SO_PAIR_TOPUP round trip: false if the host did not answer. */
static bool shim_pair_topup_ask(int fd, uint64_t e, const struct shim_pair_topup_ask *a,
				struct shim_pair_topup *t)
{
	struct shim_req req = {.hdr.op = SHIM_OP_GETSOCKOPT,
			       .sockopt = {.level = SOL_SOCKET,
					   .optname = SHIM_SO_PAIR_TOPUP,
					   .optlen = sizeof(*t)}};
	struct shim_rep rep;

	memcpy(req.sockopt.optval, a, sizeof(*a));
	if (shim_request(fd, e, &req, &rep, NULL, NULL) || rep.sockopt.optlen != sizeof(*t))
		return false;
	memcpy(t, rep.sockopt.optval, sizeof(*t));
	return true;
}

size_t shim_stream_topup_by(int fd, uint64_t e, shim_topup_write more, void *arg, size_t done,
			    size_t total)
{
	struct shim_pair_topup_ask a = {
		.first = 1,
		.done = (uint32_t)done,
		.total = total < UINT32_MAX ? (uint32_t)total : UINT32_MAX,
	};
	struct shim_pair_topup t;
	size_t added = 0, limit;
	int saved = errno;
	ssize_t n;

	e = shim_fd_get(fd); /* the write before may have seen the filler go (shim_filler_gone) */
	if (shim_sandboxed || done > UINT32_MAX ||
	    (shim_ent_flags(e) & (SHIM_F_FILLED | SHIM_F_UNCONNECTED | SHIM_F_REPAIR)) ||
	    !shim_pair_topup_ask(fd, e, &a, &t)) {
		errno = saved;
		return 0;
	}
	limit = t.limit < total ? t.limit : total;
	a.first = 0;
	for (int round = 0; round < SHIM_TOPUP_ROUNDS && done + added < limit; round++) {
		shim_pair_follow(fd, e, t.wmem);
		n = more(fd, arg, done + added, limit - done - added);
		if (n > 0)
			added += (size_t)n;
		if (n <= 0 || t.room <= 0 || done + added >= limit ||
		    !shim_pair_topup_ask(fd, e, &a, &t))
			break;
	}
	errno = saved;
	return added;
}

/* A round of a write's top-up: m's bytes from done on, at most len, without waiting. */
static ssize_t shim_topup_msg(int fd, void *arg, size_t done, size_t len)
{
	const struct msghdr *m = arg;
	struct iovec iov[SHIM_TOPUP_IOV];
	struct msghdr lm = {.msg_iov = iov};

	lm.msg_iovlen = shim_iov_from(iov, SHIM_TOPUP_IOV, m, done);
	/* No more than len: the last iovec ends there. */
	for (size_t i = 0; i < lm.msg_iovlen; i++) {
		if (iov[i].iov_len >= len) {
			iov[i].iov_len = len;
			lm.msg_iovlen = i + 1;
			break;
		}
		len -= iov[i].iov_len;
	}
	return shim_real.sendmsg(fd, &lm, MSG_DONTWAIT | MSG_NOSIGNAL);
}

size_t shim_stream_topup(int fd, uint64_t e, const struct msghdr *m, size_t done, size_t total)
{
	return shim_stream_topup_by(fd, e, shim_topup_msg, (void *)m, done, total);
}

/*
 * SHIM_F_FILLED, at a write: once the host has read the filler (SIOCOUTQ
 * 0: the connection is up), the pair's send buffer gets its size
 * (shim_pair_size) and the flag goes. Only at a write: SO_SNDBUF wakes the
 * pair's writers, an OUT edge that TCP would not make (epoll) unless the
 * program writes anyway.
 */
void shim_filler_gone(int fd)
{
	int outq = 1, saved = errno;

	if (shim_real.ioctl(fd, SIOCOUTQ, &outq) || outq) {
		errno = saved;
		return;
	}
	shim_fd_flags(fd, 0, SHIM_F_FILLED);
	shim_pair_size(fd, shim_fd_get(fd), false);
	errno = saved;
}

/*
 * TCP_NOTSENT_LOWAT on a stream: the host takes from the pair only while
 * the stack's unsent bytes are below the mark, so the pair is what still
 * holds the program's bytes beyond it. Its send buffer goes to its least
 * (SOCK_MIN_SNDBUF: a few KB, writable again once nearly empty), so the
 * program's writes and POLLOUT follow the stack's unsent bytes within
 * that; a mark of 0 gives the size back (shim_pair_size). A connecting
 * socket's buffer is the filler's until the first write
 * (shim_filler_gone), which then gives it the full size: the mark bounds
 * the stack's bytes only.
 */
static void shim_lowat_pair(int fd, uint64_t e, int lowat)
{
	if (shim_ent_flags(e) & SHIM_F_FILLED)
		return;
	if (!lowat)
		shim_pair_size(fd, e, false);
	else
		shim_pair_set(fd, e, SHIM_PAIR_WMEM_FINAL); /* the least, and it does not grow */
}

/* The timeout a blocking connect waits, SO_SNDTIMEO as set on the pair. */
static int shim_sndtimeo_ms(int fd)
{
	struct timeval tv;
	socklen_t len = sizeof(tv);

	if (shim_real.getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len) ||
	    (!tv.tv_sec && !tv.tv_usec))
		return -1;
	return (int)(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
}

/*
 * The pair's own error: the host closing its end over unread filler leaves
 * ECONNRESET on ours (POLLERR, and the next read). It only stands for the
 * host's error, so it goes when that is collected, as sk_err does.
 */
static void shim_pair_clear_err(int fd)
{
	int err;
	socklen_t len = sizeof(err);

	shim_real.getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
}

static int shim_pending_error_op(int fd, uint64_t e, enum shim_op op)
{
	struct shim_req req = {.hdr = {.op = (uint16_t)op, .id = shim_ent_id(e)}};
	struct shim_rep rep;

	bool stream = shim_ent_kind(e) == SHIM_STREAM;
	int err;

	if (stream)
		shim_pair_clear_err(fd);
	/*
	 * Taken from the host when the pair hung up (shim_poll.c); sock_error()
	 * clears it. A read after the peer's FIN is EOF all the same, and the
	 * error stays (SHIM_OP_READERR answers 1).
	 */
	if (shim_ent_err(shim_fd_get(fd))) {
		if (op == SHIM_OP_READERR && !shim_ctl_call(&req, &rep, NULL, fd) &&
		    rep.hdr.ret == 1)
			return 0;
		err = shim_fd_err_take(fd);
		if (err)
			return err;
	}
	/* That hang-up was final: the host has nothing more (another thread may just have kept it).
	 */
	if (shim_ent_flags(shim_fd_get(fd)) & SHIM_F_HUPSEEN)
		return shim_fd_err_take(fd);
	/*
	 * -EBADF: the host has already let the socket go (both directions were
	 * shut down, so the pair hung up as if closed); nothing is pending.
	 */
	if (shim_ctl_call(&req, &rep, NULL, fd) || rep.hdr.ret >= 0)
		return 0;
	/* A stream's host end closes with its error (stackd_sock_zombie): nothing follows it. */
	shim_fd_flags(fd, stream ? SHIM_F_HUPSEEN : 0, 0);
	if (rep.hdr.ret == -EBADF)
		return 0;
	shim_fd_flags(fd, SHIM_F_FAILED, 0);
	return -rep.hdr.ret;
}

int shim_pending_error(int fd, uint64_t e)
{
	return shim_pending_error_op(fd, e, SHIM_OP_GETERR);
}

int shim_read_error(int fd, uint64_t e)
{
	return shim_pending_error_op(fd, e, SHIM_OP_READERR);
}

/*
 * A stream read found the pair at its end (0 bytes): the errno it gives.
 * The host shuts its end for writing only at the peer's FIN (or the
 * program's own SHUT_RD), and closes it on an error (sk_err with
 * TCP_CLOSE: stackd_stream_work). After a FIN tcp_recvmsg answers 0
 * whatever sk_err holds (SOCK_DONE comes first), so a pair shut for
 * reading and not hung up answers 0 here: no round trip to the host per
 * client connection. Anything else asks the host (SHIM_OP_READERR).
 */
int shim_eof_error(int fd)
{
	uint64_t e = shim_fd_get(fd);
	struct pollfd p = {fd, POLLIN | POLLRDHUP, 0};
	int saved = errno;
	bool fin;

	if ((shim_ent_flags(e) & (SHIM_F_HUPSEEN | SHIM_F_FAILED)) || shim_ent_err(e) ||
	    atomic_load_explicit(&shim_rd_shut_maybe, memory_order_relaxed))
		return shim_read_error(fd, e);
	/* RDHUP: the end of data, not a read of 0 bytes asked for on an empty pair. */
	fin = shim_real.poll(&p, 1, 0) == 1 &&
	      (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) == POLLRDHUP;
	errno = saved;
	return fin ? 0 : shim_read_error(fd, e);
}

bool shim_stream_fin_came(int fd, uint64_t e, unsigned int revents)
{
	struct shim_req req = {.hdr = {.op = SHIM_OP_READERR, .id = shim_ent_id(e)}};
	struct shim_rep rep;

	if (!(revents & POLLRDHUP))
		return false;
	/* Shut for reading only, by the host: the FIN (but for our own SHUT_RD). */
	if ((revents & (POLLHUP | POLLERR)) == 0 &&
	    !atomic_load_explicit(&shim_rd_shut_maybe, memory_order_relaxed))
		return true;
	if (shim_ctl_call(&req, &rep, NULL, fd))
		return false;
	if (rep.hdr.ret == 1)
		return true;
	/*
	 * -EBADF: the host let it go with both directions ended; an error
	 * would have come with its hang-up (shim_poll.c keeps it).
	 */
	if (rep.hdr.ret == -EBADF)
		return !shim_ent_err(shim_fd_get(fd));
	/* No FIN: READERR took sk_err, which stays pending here (shim_poll.c's hang-up does so). */
	if (rep.hdr.ret < 0)
		shim_fd_err_keep(fd, -rep.hdr.ret);
	return false;
}

/*
 * The connect() that takes SHIM_F_CONNECTING has the 0: the pair carries
 * SHIM_PAIR_CONNECTED, which the host reads before any connect() another
 * thread or process sends once the flag is gone (which then hears EISCONN).
 */
static bool shim_connected_mark(int fd)
{
	return shim_ctl_mark_taking(fd, SHIM_F_CONNECTING, SHIM_PAIR_CONNECTED);
}

/*
 * connect() again after a non-blocking one (SHIM_F_CONNECTING): the kernel
 * answers 0 from SS_CONNECTING once the socket left SYN_SENT for anything
 * but TCP_CLOSE, whatever the address. The host reads the filler away at
 * ESTABLISHED (SIOCOUTQ 0); data, end or error it would have put into the
 * pair since, and it closes its end on a reset. So a pair that shows only
 * POLLOUT with its filler gone is a connection up: 0 without asking (one
 * round trip to the host fewer per client connection, README "Measured"),
 * and the pair's mark tells the host to go SS_CONNECTED. Anything else asks.
 */
static bool shim_connect_done(int fd)
{
	struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDHUP, 0};
	int outq = 1;

	if (shim_real.poll(&p, 1, 0) != 1 || p.revents != POLLOUT ||
	    shim_real.ioctl(fd, SIOCOUTQ, &outq) || outq)
		return false;
	return shim_connected_mark(fd);
}

/*
 * connect(AF_UNSPEC) succeeded: TCP_CLOSE, sk_shutdown 0, and the
 * ECONNRESET that tcp_disconnect leaves on a connection it reset kept in
 * the entry (poll ERR; the next read, write or SO_ERROR takes it).
 */
static void shim_disconnected(int fd, uint64_t e)
{
	struct shim_req req = {.hdr = {.op = SHIM_OP_GETERR, .id = shim_ent_id(e)}};
	struct shim_rep rep;

	shim_fd_flags(fd, SHIM_F_UNCONNECTED, SHIM_F_RD_SHUT);
	if (!shim_ctl_call(&req, &rep, NULL, fd) && rep.hdr.ret < 0 && rep.hdr.ret != -EBADF)
		shim_fd_err_keep(fd, -rep.hdr.ret);
	shim_epoll_fd_changed(fd);
}

/*
 * The process's other fds of the socket (dup, dup2, F_DUPFD, a copy it got
 * by SCM_RIGHTS) refer to the same socket: they take fd's new pair too,
 * each keeping its own FD_CLOEXEC, and their epoll registrations follow.
 * Only an fd that still holds the old end (old: its inode) is one: a number
 * the table still names after a close it did not see is left alone.
 * Copies in other processes take it when they next find the old end hung
 * up (shim_stream_follow).
 */
static void shim_pair_renew_dups(int fd, const struct stat *old)
{
	uint64_t e = shim_fd_get(fd);
	/*
	 * The connect about to start updates fd's entry alone: whether the
	 * socket is still TCP_CLOSE is the host's to say to the others, asked
	 * at their first call that depends on it, as for an fd that came by
	 * exec (shim_stream_known).
	 */
	uint64_t de = shim_ent(shim_ent_id(e), SHIM_STREAM,
			       (shim_ent_flags(e) & ~(SHIM_F_UNCONNECTED | SHIM_F_FILLED)) |
				       SHIM_F_INHERITED);
	unsigned int hi = shim_fd_hi_get();
	struct stat st;
	int fdflags;

	for (unsigned int o = 0; o < hi; o++) {
		uint64_t oe = shim_fd_get((int)o);

		/* A listener's other fds too, when shutdown() stopped it (shim_listener_stopped).
		 */
		if ((int)o == fd ||
		    (shim_ent_kind(oe) != SHIM_STREAM && shim_ent_kind(oe) != SHIM_LISTENER) ||
		    shim_ent_id(oe) != shim_ent_id(e))
			continue;
		if (fstat((int)o, &st) || st.st_ino != old->st_ino || st.st_dev != old->st_dev)
			continue;
		fdflags = shim_real.fcntl((int)o, F_GETFD);
		if (fdflags < 0 ||
		    shim_real.dup3(fd, (int)o, (fdflags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0)
			continue;
		shim_fd_set((int)o, de);
		shim_epoll_fd_renewed((int)o);
	}
}

/*
 * Another process connected the socket again (SHIM_CONNECT_NEWPAIR) since
 * this one got it (fork, SCM_RIGHTS): the kernel's socket is one object, so
 * fd is that new connection too. Seen at a call that finds fd's pair hung
 * up while the notice word says the socket has a newer one
 * (SHIM_NOTICE_NEWPAIR): the host gives the current end (SHIM_SO_PAIR),
 * which takes fd's number, keeping its FD_CLOEXEC (its file, flags and all,
 * is the one the other process holds, as a fork's or SCM_RIGHTS' copy
 * shares it), and the process's other fds of the old end follow. The
 * socket's state is then the host's to say, as for an fd that came by exec
 * (SHIM_F_INHERITED). True if fd took a new pair.
 */
bool shim_stream_follow(int fd, uint64_t e)
{
	struct shim_req req = {.hdr.op = SHIM_OP_GETSOCKOPT,
			       .sockopt = {.level = SOL_SOCKET, .optname = SHIM_SO_PAIR}};
	struct pollfd p = {fd, 0, 0};
	struct shim_call c = {0};
	struct shim_rep rep;
	struct stat old;
	int nfd = -1, fdflags, saved = errno;
	bool moved = false;

	/* A socket this process made and never shared has no other holder to follow. */
	if (shim_ent_kind(e) != SHIM_STREAM || (shim_ent_flags(e) & SHIM_F_FRESH) ||
	    !(shim_notice_get(fd, e) & SHIM_NOTICE_NEWPAIR))
		return false;
	if (shim_real.poll(&p, 1, 0) != 1 || !(p.revents & POLLHUP) || fstat(fd, &old) ||
	    shim_request(fd, e, &req, &rep, &nfd, &c) != 1 || nfd < 0)
		goto out;
	fdflags = shim_real.fcntl(fd, F_GETFD);
	if (shim_real.dup3(nfd, fd, fdflags > 0 && (fdflags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0)
		goto out;
	moved = true;
	shim_fd_set(fd, shim_ent(shim_ent_id(e), SHIM_STREAM, SHIM_F_INHERITED));
	shim_epoll_fd_renewed(fd);
	shim_pair_renew_dups(fd, &old);
out:
	if (nfd >= 0)
		shim_real.close(nfd);
	errno = saved;
	return moved;
}

/*
 * Whether fd, met at its pair's end (ret: a read's 0 or ECONNRESET, a
 * write's EPIPE), took the socket's newer pair: the call is then made again.
 */
bool shim_stream_followed(int fd, uint64_t e, ssize_t ret)
{
	return (ret == 0 || ret == -ECONNRESET || ret == -EPIPE) && shim_stream_follow(fd, e);
}

/*
 * SHIM_CONNECT_NEWPAIR: nfd, the host's new pair end, takes fd's number with
 * fd's flags and pair options, and the socket is as a fresh one
 * (tcp_disconnect left TCP_CLOSE with no error that tcp_connect would not
 * clear); the process's other fds of the socket follow (shim_pair_renew_dups).
 */
static int shim_pair_renew(int fd, uint64_t e, int nfd)
{
	const unsigned int gone =
		SHIM_F_FAILED | SHIM_F_RD_SHUT | SHIM_F_READINESS_ONLY | SHIM_F_CONNECTING;
	int fdflags, flflags, ret;
	struct stat old;

	if (nfd < 0)
		return -EPROTO;
	if (fstat(fd, &old)) {
		ret = -errno;
		shim_real.close(nfd);
		return ret;
	}
	fdflags = shim_real.fcntl(fd, F_GETFD);
	flflags = shim_real.fcntl(fd, F_GETFL);
	shim_pair_opts_inherit(fd, nfd);
	if ((flflags > 0 && shim_real.fcntl(nfd, F_SETFL, flflags) < 0) ||
	    shim_real.dup3(nfd, fd, fdflags > 0 && (fdflags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) {
		ret = -errno;
		shim_real.close(nfd);
		return ret;
	}
	shim_real.close(nfd);
	shim_fd_set(fd, shim_ent(shim_ent_id(e), SHIM_STREAM,
				 (shim_ent_flags(e) & ~gone) | SHIM_F_UNCONNECTED));
	shim_epoll_fd_renewed(fd);
	shim_pair_renew_dups(fd, &old);
	return 0;
}

/*
 * Whether the host can only answer EINPROGRESS to this first connect of a
 * fresh socket (SHIM_F_FRESH: TCP_CLOSE, unbound, no option, nobody else's),
 * so it need not be asked (SHIM_CONNECT_NOREPLY): inet_stream_connect's
 * and tcp_v4_connect's synchronous errors are the address's (length,
 * family), the route's (ip_route_output: the host's subnet and gateway,
 * which its HELLO stated: shim_route) and a broadcast's; local destinations
 * (the stack's own address, 127/8: the loopback hand-off) are the host's.
 * What is left, no ephemeral port free, the host's notice page rules out
 * (SHIM_NOTICE_PORTS); should it happen all the same, it is the
 * connection's outcome (SO_ERROR).
 */
static bool shim_connect_noreply(int fd, uint64_t e, const struct shim_req *req)
{
	const struct shim_addr *to = &req->connect.to;

	return req->hdr.op == SHIM_OP_CONNECT && shim_ent_kind(e) == SHIM_STREAM &&
	       (shim_ent_flags(e) & (SHIM_F_FRESH | SHIM_F_UNCONNECTED | SHIM_F_REPAIR)) ==
		       (SHIM_F_FRESH | SHIM_F_UNCONNECTED) &&
	       to->addrlen >= sizeof(struct sockaddr_in) && to->addr.sin_family == AF_INET &&
	       shim_route_unicast_off_host(to->addr.sin_addr.s_addr) &&
	       shim_notice_ports(fd, e) > SHIM_NOTICE_PORTS_SPARE &&
	       shim_fd_flag_take(fd, SHIM_F_FRESH); /* of two threads at once, one */
}

/* The host shuts a failed connect's pair down with the filler unread in it. */
static bool shim_filler_unread(int fd)
{
	int outq = 0;

	return shim_real.ioctl(fd, SIOCOUTQ, &outq) < 0 || outq > 0;
}

/*
 * CONNECT, or FASTOPEN (*syn_copied: the bytes its SYN took); dontwait as
 * MSG_DONTWAIT, which makes a sendto's connect non-blocking; renewed once
 * the host gave the socket a new pair (SHIM_CONNECT_NEWPAIR).
 */
static int shim_connect_stream(int fd, uint64_t e, struct shim_req *req, struct shim_call *c,
			       bool dontwait, uint32_t *syn_copied, bool renewed)
{
	struct shim_rep rep;
	struct pollfd pfd = {fd, POLLOUT, 0};
	int filler = 0, nfd, ret, fl, err;
	bool connecting, first;

	bool unspec = req->connect.flags & SHIM_CONNECT_UNSPEC;

	/* A connect in repair mode is ESTABLISHED at once (no SYN): nothing to wait behind. */
	bool fill = (shim_ent_flags(e) & SHIM_F_UNCONNECTED) && !unspec &&
		    !(shim_ent_flags(e) & SHIM_F_REPAIR);

	if (fill) {
		filler = shim_fill(fd);
		/* EPIPE: the host closed its end with the last connection; it sends a new pair. */
		if (filler == -EPIPE)
			filler = 0;
		if (filler < 0)
			return filler;
		fl = shim_real.fcntl(fd, F_GETFL);
		if (fl >= 0 && !(fl & O_NONBLOCK) && !dontwait)
			req->connect.flags |= SHIM_CONNECT_WAIT;
	}
	req->connect.filler = (uint32_t)filler;
	/*
	 * The kernel's socket is SYN_SENT from inside connect(): another
	 * thread must find it connecting (EAGAIN, no poll bits; the filler
	 * makes the pair so), not unconnected, while the host answers, by
	 * when the handshake may be done and the peer gone (Python's
	 * TCPCloserTest). Put back if the host refuses the connect.
	 */
	first = (shim_ent_flags(e) & SHIM_F_UNCONNECTED) && !unspec;
	if (first)
		shim_fd_flags(fd, fill ? SHIM_F_FILLED : 0, SHIM_F_UNCONNECTED);
	/* Connecting already: a process's first may wait for the notice page meanwhile. */
	if (filler > 0 && shim_connect_noreply(fd, e, req))
		req->connect.flags |= SHIM_CONNECT_NOREPLY;
	/* A request without reply leaves rep and nfd as they are. */
	rep.hdr.ret = 0;
	rep.note[0] = '\0';
	nfd = -1;
	ret = shim_request(fd, e, req, &rep, &nfd, c);
	/* Sent, not answered: the host's answer can only have been this one. */
	if (!ret && (req->connect.flags & SHIM_CONNECT_NOREPLY)) {
		ret = -EINPROGRESS;
		shim_note(c, "not waited for");
	}
	if (ret == SHIM_CONNECT_NEWPAIR && !renewed) {
		ret = shim_pair_renew(fd, e, nfd);
		if (ret)
			return ret;
		req->connect.flags &= ~SHIM_CONNECT_WAIT;
		return shim_connect_stream(fd, shim_fd_get(fd), req, c, dontwait, syn_copied, true);
	}
	if (nfd >= 0)
		shim_real.close(nfd);
	if (ret == SHIM_CONNECT_NEWPAIR)
		ret = -EPROTO; /* a host that asks twice is broken */
	if (first && ret != 0 && ret != -EINPROGRESS)
		shim_fd_flags(fd, SHIM_F_UNCONNECTED, SHIM_F_FILLED);
	if (syn_copied && (ret == 0 || ret == -EINPROGRESS))
		*syn_copied = rep.fastopen.copied;
	if (ret == SHIM_CONNECT_KERNEL)
		return shim_loopback_connect(fd, e, req, &rep, c);
	/*
	 * From SS_CONNECTING to TCP_CLOSE the kernel answers sock_error(),
	 * ECONNABORTED only without one; the pair's hang-up may have taken the
	 * host's already (shim_fd_err_keep), and it is the one to give.
	 */
	if (ret == -ECONNABORTED && (err = shim_fd_err_take(fd))) {
		shim_pair_clear_err(fd);
		ret = -err;
	}
	/* Still SS_CONNECTING in the host: the next connect() may be answered here. */
	connecting = req->hdr.op == SHIM_OP_CONNECT && (ret == -EINPROGRESS || ret == -EALREADY);
	shim_fd_flags(fd, connecting ? SHIM_F_CONNECTING : 0, connecting ? 0 : SHIM_F_CONNECTING);
	/*
	 * Asked again while SS_CONNECTING, the kernel's error comes by the
	 * sock_error path, which disconnects: TCP_CLOSE with sk_shutdown 0
	 * (recv ENOTCONN, poll OUT|HUP), where tcp_done had left EOF.
	 */
	if (!first && !unspec && req->hdr.op == SHIM_OP_CONNECT && ret < 0 && ret != -EINPROGRESS &&
	    ret != -EALREADY && ret != -EISCONN && ret != -EINVAL) {
		shim_fd_flags(fd, SHIM_F_UNCONNECTED, SHIM_F_RD_SHUT);
		shim_epoll_fd_changed(fd);
	}
	if (filler)
		shim_note(c, "filler %d", filler);
	if (unspec) {
		if (ret == 0)
			shim_disconnected(fd, e);
		return ret;
	}
	if (ret != -EINPROGRESS || !(req->connect.flags & SHIM_CONNECT_WAIT))
		return ret;
	/* Blocking connect: the pair turns writable when the host is ESTABLISHED. */
	ret = shim_real.poll(&pfd, 1, shim_sndtimeo_ms(fd));
	if (ret < 0)
		return -errno; /* EINTR: the handshake goes on, as the kernel's does */
	if (ret == 0)
		return -EINPROGRESS;
	/*
	 * The host reads the filler at ESTABLISHED; a failed connect leaves it
	 * unread. A host end closed over it reports a reset (POLLERR,
	 * unix_release_sock), and its SIOCOUTQ is 0 then, the bytes freed with
	 * that end; one shut down (stackd_pair_retire) hangs up with the filler
	 * still unread. Otherwise the connect succeeded, and an error since (a
	 * reset right after the handshake) is the next call's. The host went
	 * SS_CONNECTED for the wait (SHIM_CONNECT_WAIT) before it read the
	 * filler away.
	 */
	if (!(pfd.revents & POLLERR) && (!(pfd.revents & POLLHUP) || !shim_filler_unread(fd))) {
		shim_fd_flags(fd, 0, SHIM_F_CONNECTING);
		return 0;
	}
	err = shim_pending_error(fd, e);
	/* A failed blocking connect disconnects, as __inet_stream_connect does. */
	req->hdr.op = SHIM_OP_CONNECT;
	req->connect.filler = 0;
	req->connect.flags = SHIM_CONNECT_UNSPEC;
	shim_request(fd, e, req, &rep, NULL, c);
	/*
	 * tcp_disconnect: TCP_CLOSE again (recv ENOTCONN, poll OUT|HUP), and
	 * sk_shutdown 0, a shutdown() before the connect forgotten.
	 */
	shim_fd_flags(fd, SHIM_F_UNCONNECTED, SHIM_F_CONNECTING | SHIM_F_RD_SHUT);
	shim_epoll_fd_changed(fd);
	return err ? -err : -ECONNRESET;
}

static int shim_connect(int fd, uint64_t e, const struct sockaddr *addr, socklen_t len,
			struct shim_call *c)
{
	struct shim_req req = {.hdr.op = SHIM_OP_CONNECT};
	struct shim_rep rep;
	bool unspec;
	int ret;

	ret = shim_addr_in(&req.connect.to, addr, len);
	if (ret)
		return ret;
	unspec = len >= sizeof(sa_family_t) && req.connect.to.addr.sin_family == AF_UNSPEC;
	if (unspec)
		req.connect.flags = SHIM_CONNECT_UNSPEC;
	if (shim_ent_kind(e) == SHIM_STREAM && len >= sizeof(sa_family_t) && !unspec &&
	    (shim_ent_flags(e) & SHIM_F_CONNECTING) && shim_connect_done(fd)) {
		shim_note(c, "connected: the pair shows it");
		return 0;
	}
	if (shim_ent_kind(e) == SHIM_STREAM)
		return shim_connect_stream(fd, shim_stream_known(fd, e), &req, c, false, NULL,
					   false);
	ret = shim_request(fd, e, &req, &rep, NULL, c);
	if (ret == SHIM_CONNECT_KERNEL)
		return shim_loopback_connect(fd, e, &req, &rep, c);
	if (ret == 0 && shim_ent_kind(e) == SHIM_DGRAM) {
		shim_fd_flags(fd, unspec ? 0 : SHIM_F_PEER | SHIM_F_BOUND,
			      unspec ? SHIM_F_PEER : 0);
		/* ICMP errors may come now: recv looks for them in the notice page. */
		shim_notice_get(fd, e);
	}
	return ret;
}

int shim_fastopen_connect(int fd, uint64_t e, const struct msghdr *m, int flags, size_t *copied)
{
	struct shim_req req = {.hdr.op = SHIM_OP_FASTOPEN};
	struct shim_call c = {0};
	uint32_t syn = 0, n = 0;
	int ret;

	ret = shim_addr_in(&req.connect.to, m->msg_name, m->msg_name ? m->msg_namelen : 0);
	if (ret)
		return ret;
	/* What a SYN can carry; the rest goes through the pair once connected. */
	for (size_t i = 0; i < m->msg_iovlen && n < SHIM_FASTOPEN_MAX; i++) {
		size_t k = m->msg_iov[i].iov_len;

		if (k > SHIM_FASTOPEN_MAX - n)
			k = SHIM_FASTOPEN_MAX - n;
		if (k && shim_copy_from_user(req.fastopen.data + n, m->msg_iov[i].iov_base, k))
			return -EFAULT;
		n += (uint32_t)k;
	}
	req.fastopen.len = n;
	ret = shim_connect_stream(fd, e, &req, &c, flags & MSG_DONTWAIT, &syn, false);
	*copied = syn;
	return ret;
}

int shim_fastopen_again(int fd, uint64_t e, const struct msghdr *m)
{
	struct shim_req req = {.hdr.op = SHIM_OP_FASTOPEN, .connect.flags = SHIM_CONNECT_AGAIN};
	struct shim_call c = {0};
	struct shim_rep rep;
	int ret;

	ret = shim_addr_in(&req.connect.to, m->msg_name, m->msg_name ? m->msg_namelen : 0);
	if (ret)
		return ret;
	return shim_request(fd, e, &req, &rep, NULL, &c);
}

SHIM_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct shim_call c;
	char a[128];
	uint64_t e;
	int ret;

	SHIM_PASS(fd, connect(fd, addr, len));
	shim_call_begin(&c, SHIM_SYM_connect);
	e = shim_fd_get(fd);
	if (!shim_emulated(e)) {
		ret = shim_real.connect(fd, addr, len);
	} else {
		c.path = "stack";
		ret = (int)shim_ret(shim_connect(fd, e, addr, len, &c), c.err0);
	}
	if (unlikely(shim_trace_level))
		shim_trace(&c, ret, "%d, %s, %u", fd, shim_fmt_addr(a, sizeof(a), addr, len), len);
	return ret;
}

/* ---- shutdown, names, options, ioctl ---- */

/*
 * shutdown(SHUT_RD or SHUT_RDWR) of a listener: the host took the socket
 * out of TCP_LISTEN and gave it a fresh pair (nfd). The AF_UNIX listener is
 * shut for reading first, so that an accept() blocked in it, here or in
 * another process, returns EINVAL (unix_accept), as inet_accept's on a
 * socket no longer listening; then the pair takes fd's place as a fresh
 * socket's (shim_pair_renew): poll says OUT|HUP, accept() EINVAL, and
 * listen() or connect() start again from TCP_CLOSE. The listener's epoll
 * registrations, the kernel's alone, are carried over to the pair (and by
 * it to the next listen(): shim_epoll_fd_listening).
 */
#define SHIM_STOP_REGS 64
static int shim_listener_stopped(int fd, uint64_t e, int nfd)
{
	struct shim_ep_found regs[SHIM_STOP_REGS];
	struct stat st;
	int n = 0, ret;

	if (!fstat(fd, &st))
		n = shim_epoll_regs_of(fd, st.st_ino, regs, SHIM_STOP_REGS);
	shim_real.shutdown(fd, SHUT_RD);
	ret = shim_pair_renew(fd, e, nfd);
	if (!ret)
		shim_epoll_regs_add(fd, regs, n);
	return ret;
}

SHIM_EXPORT int shutdown(int fd, int how)
{
	struct shim_req req = {.hdr.op = SHIM_OP_SHUTDOWN, .shutdown.how = how};
	struct shim_rep rep;
	struct shim_call c;
	char h[16];
	uint64_t e;
	int ret, nfd = -1;

	SHIM_PASS(fd, shutdown(fd, how));
	shim_call_begin(&c, SHIM_SYM_shutdown);
	e = shim_fd_get(fd);
	if (!shim_emulated(e)) {
		ret = shim_real.shutdown(fd, how);
	} else {
		c.path = "stack";
		/*
		 * A datagram socket's reads find EOF once it is shut for reading,
		 * which the host's wake-up of its readers (a void report) must
		 * find recorded: before the request.
		 */
		if (shim_ent_kind(e) == SHIM_DGRAM && how >= SHUT_RD && how <= SHUT_RDWR)
			shim_dgram_shut_set(fd, e, how);
		ret = shim_request(fd, e, &req, &rep, &nfd, &c);
		if (nfd >= 0 && !ret && shim_ent_kind(e) == SHIM_LISTENER)
			ret = shim_listener_stopped(fd, e, nfd);
		else if (nfd >= 0)
			shim_real.close(nfd);
		/*
		 * inet_shutdown shuts it even when it answers ENOTCONN. The
		 * pair's end shut for writing makes every send of every holder
		 * fail with EPIPE after its own checks, as __ip_append_data's
		 * sock_alloc_send_skb for a UDP or ping socket; the host tells
		 * that from a close by the hang-up that does not come
		 * (stackd_dgram_in). A raw socket's datagram has no transport
		 * header there, so it is allocated without that check: only
		 * raw_send_hdrinc's fails (shim_dgram_send).
		 */
		if (shim_ent_kind(e) == SHIM_DGRAM && (ret == 0 || ret == -ENOTCONN) &&
		    (how == SHUT_WR || how == SHUT_RDWR) && !(shim_ent_flags(e) & SHIM_F_RAW))
			shim_real.shutdown(fd, SHUT_WR);
		if (shim_ent_kind(e) == SHIM_DGRAM && (ret == 0 || ret == -ENOTCONN))
			shim_epoll_fd_changed(fd); /* inet_shutdown's sk_state_change */
		/* inet_shutdown moved sock->state on from SS_CONNECTING: connect() asks again. */
		if (shim_ent_kind(e) == SHIM_STREAM)
			shim_fd_flags(fd, 0, SHIM_F_CONNECTING);
		if (shim_ent_kind(e) == SHIM_STREAM && how != SHUT_WR)
			shim_rd_shut_note();
		/*
		 * On a stream the pair carries the direction too: the host sees
		 * EOF after the bytes already written (then sends FIN), and our
		 * own later writes fail with EPIPE as on the kernel's socket.
		 */
		if (ret == 0 && shim_ent_kind(e) == SHIM_STREAM) {
			shim_real.shutdown(fd, how);
			/* inet_shutdown's sk_state_change: an edge whatever the bits. */
			shim_epoll_fd_changed(fd);
		}
		/* inet_shutdown records how even when it answers ENOTCONN. */
		if (ret == -ENOTCONN && shim_ent_kind(e) == SHIM_STREAM &&
		    (how == SHUT_RD || how == SHUT_RDWR)) {
			shim_fd_flags(fd, SHIM_F_RD_SHUT, 0);
			shim_epoll_fd_changed(fd);
		}
		ret = (int)shim_ret(ret, c.err0);
	}
	shim_trace(&c, ret, "%d, %s", fd, shim_fmt_how(h, sizeof(h), how));
	return ret;
}

static int shim_getname(enum shim_sym sym, int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	struct shim_req req = {.hdr.op = SHIM_OP_GETNAME,
			       .getname.peer = sym == SHIM_SYM_getpeername};
	struct shim_rep rep;
	struct shim_call c;
	char a[128];
	uint64_t e;
	int ret;

	shim_call_begin(&c, sym);
	e = shim_fd_get(fd);
	if (!shim_emulated(e)) {
		ret = sym == SHIM_SYM_getsockname ? shim_real.getsockname(fd, addr, addrlen)
						  : shim_real.getpeername(fd, addr, addrlen);
	} else {
		c.path = "stack";
		ret = shim_request(fd, e, &req, &rep, NULL, &c);
		if (ret >= 0)
			ret = shim_addr_out(&rep.name.addr, shim_rep_addrlen(&rep), addr, addrlen);
		ret = (int)shim_ret(ret, c.err0);
	}
	if (unlikely(shim_trace_level)) {
		socklen_t l = 0;

		if (ret == 0)
			shim_copy_from_user(&l, addrlen, sizeof(l));
		shim_trace(&c, ret, "%d, %s, [%u]", fd,
			   shim_fmt_addr(a, sizeof(a), ret == 0 ? addr : NULL, l), l);
	}
	return ret;
}

SHIM_EXPORT int getsockname(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	SHIM_PASS(fd, getsockname(fd, addr, addrlen));
	return shim_getname(SHIM_SYM_getsockname, fd, addr, addrlen);
}

SHIM_EXPORT int getpeername(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	SHIM_PASS(fd, getpeername(fd, addr, addrlen));
	return shim_getname(SHIM_SYM_getpeername, fd, addr, addrlen);
}

/*
 * ip_setsockopt and ip_getsockopt give a SOL_IP option they do not know
 * (bar multicast routing's) to netfilter (nf_setsockopt): iptables and its
 * kin read and write the namespace's tables so, on any inet socket. The
 * tables are the kernel's, so a kernel socket of the moment answers.
 */
static bool shim_is_nf_sockopt(int level, int optname)
{
	return level == SOL_IP && optname >= 64 && !(optname >= 200 && optname <= 215);
}

static int shim_nf_sockopt(bool set, int optname, void *optval, socklen_t *optlen)
{
	int s = shim_real.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	if (s < 0)
		return -errno;
	if (set)
		ret = shim_real.setsockopt(s, SOL_IP, optname, optval, *optlen);
	else
		ret = shim_real.getsockopt(s, SOL_IP, optname, optval, optlen);
	ret = ret < 0 ? -errno : ret;
	shim_real.close(s);
	return ret;
}

/* A stream's bytes are peeked on the pair, which moves its own SO_PEEK_OFF as TCP does. */
static bool shim_is_stream_peek_off(uint64_t e, int level, int optname)
{
	return level == SOL_SOCKET && optname == SO_PEEK_OFF && shim_ent_kind(e) == SHIM_STREAM;
}

/*
 * The levels the kernel hands on for this socket (sock_[gs]etsockopt, then
 * tcp_, udp_ or raw_[gs]etsockopt, then ip_[gs]etsockopt): any other is
 * ENOPROTOOPT before the value is read, so a bad pointer there is not
 * EFAULT.
 */
static bool shim_sockopt_level_known(uint64_t e, int level)
{
	unsigned int f = shim_ent_flags(e);

	if (level == SOL_SOCKET || level == SOL_IP)
		return true;
	if (shim_ent_kind(e) != SHIM_DGRAM)
		return level == IPPROTO_TCP;
	if (f & SHIM_F_UDP)
		return level == IPPROTO_UDP || level == IPPROTO_UDPLITE;
	return (f & SHIM_F_RAW) && level == SOL_RAW;
}

static int shim_getsockopt(int fd, uint64_t e, int level, int optname, void *optval,
			   socklen_t *optlen, struct shim_call *c)
{
	struct shim_req req = {.hdr.op = SHIM_OP_GETSOCKOPT,
			       .sockopt = {.level = level, .optname = optname}};
	struct shim_rep rep;
	int len, ret;

	if (shim_copy_from_user(&len, optlen, sizeof(len)))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	if (shim_is_stream_peek_off(e, level, optname))
		return shim_real.getsockopt(fd, level, optname, optval, optlen) < 0 ? -errno : 0;
	/* A UDP socket's offset moves with its reads here. */
	ret = shim_sk_getsockopt(fd, e, level, optname, optval, optlen, len);
	if (ret <= 0)
		return ret;
	/* The socket's and its namespace's cookies: the pair's, unique as the kernel's. */
	if (level == SOL_SOCKET && (optname == SO_COOKIE || optname == SO_NETNS_COOKIE))
		return shim_real.getsockopt(fd, level, optname, optval, optlen) < 0 ? -errno : 0;
	if (shim_is_nf_sockopt(level, optname))
		return shim_nf_sockopt(false, optname, optval, optlen);
	if (level == SOL_SOCKET && optname == SO_GET_FILTER)
		return shim_get_filter(fd, e, optval, optlen, c);
	if (level == IPPROTO_TCP && optname == TCP_ZEROCOPY_RECEIVE &&
	    (shim_ent_kind(e) == SHIM_STREAM || shim_ent_kind(e) == SHIM_LISTENER))
		return shim_tcp_zerocopy_receive(fd, e, optval, optlen);
	req.sockopt.optlen = (uint32_t)(len < SHIM_OPT_MAX ? len : SHIM_OPT_MAX);
	if (shim_copy_from_user(req.sockopt.optval, optval, shim_req_optbytes(&req)))
		return shim_sockopt_level_known(e, level) ? -EFAULT : -ENOPROTOOPT;
	ret = shim_request(fd, e, &req, &rep, NULL, c);
	/* TCP_SAVED_SYN into too short a buffer: EINVAL, and the length it needs. */
	if (ret == -EINVAL && level == IPPROTO_TCP && optname == TCP_SAVED_SYN) {
		len = (int)rep.sockopt.optlen;
		return shim_copy_to_user(optlen, &len, sizeof(len)) ? -EFAULT : ret;
	}
	if (ret < 0)
		return ret;
	if (level == SOL_SOCKET && optname == SO_ERROR && shim_ent_kind(e) == SHIM_STREAM) {
		int err = shim_fd_err_take(fd);

		shim_pair_clear_err(fd);
		/* The error the host gave up when the pair hung up is still the pending one. */
		if (err && rep.sockopt.optlen >= sizeof(int) && !*(int *)rep.sockopt.optval)
			memcpy(rep.sockopt.optval, &err, sizeof(int));
	}
	if (level == SOL_SOCKET && optname == SO_ERROR && shim_ent_kind(e) == SHIM_DGRAM &&
	    rep.sockopt.optlen >= sizeof(int) && !*(int *)rep.sockopt.optval) {
		struct shim_dgram h;
		int err = shim_dgram_take_err(fd, e);

		/*
		 * The host turned sk_err into an error report: it is still the
		 * pending error, behind datagrams or not (the notice word), or
		 * at the head of the pair (a host without a word for it).
		 */
		if (err) {
			memcpy(rep.sockopt.optval, &err, sizeof(int));
		} else if (shim_dgram_framed(
				   fd, &h,
				   shim_real.recv(fd, &h, sizeof(h), MSG_PEEK | MSG_DONTWAIT)) &&
			   h.err && !shim_notice_get(fd, e)) {
			shim_real.recv(fd, &h, sizeof(h), MSG_DONTWAIT);
			memcpy(rep.sockopt.optval, &h.err, sizeof(int));
			if (h.flags & MSG_ERRQUEUE)
				shim_errq_note(fd);
		}
	}
	if (rep.sockopt.optlen > req.sockopt.optlen)
		rep.sockopt.optlen = req.sockopt.optlen;
	if (shim_copy_to_user(optval, rep.sockopt.optval, rep.sockopt.optlen))
		return -EFAULT;
	len = (int)rep.sockopt.optlen;
	if (shim_copy_to_user(optlen, &len, sizeof(len)))
		return -EFAULT;
	return 0;
}

SHIM_EXPORT int getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen)
{
	struct shim_call c;
	char l[24], o[32];
	uint64_t e;
	int ret;

	SHIM_PASS(fd, getsockopt(fd, level, optname, optval, optlen));
	shim_call_begin(&c, SHIM_SYM_getsockopt);
	e = shim_fd_get(fd);
	if (!shim_emulated(e)) {
		ret = shim_real.getsockopt(fd, level, optname, optval, optlen);
	} else {
		c.path = "stack";
		ret = (int)shim_ret(shim_getsockopt(fd, e, level, optname, optval, optlen, &c),
				    c.err0);
	}
	if (unlikely(shim_trace_level))
		shim_trace(&c, ret, "%d, %s, %s, %p, %p", fd, shim_fmt_level(l, sizeof(l), level),
			   shim_fmt_optname(o, sizeof(o), level, optname), optval, (void *)optlen);
	return ret;
}

static bool shim_is_timeo(int level, int optname)
{
	return level == SOL_SOCKET && (optname == SO_RCVTIMEO_OLD || optname == SO_SNDTIMEO_OLD ||
				       optname == SO_RCVTIMEO_NEW || optname == SO_SNDTIMEO_NEW);
}

/*
 * The options after which the host may put control messages in front of a
 * received datagram: from then on a receive looks at the header first.
 */
static bool shim_is_recv_cmsg(uint64_t e, int level, int optname)
{
	if (shim_ent_kind(e) != SHIM_DGRAM)
		return false;
	if (level == SOL_IP)
		return optname == IP_PKTINFO || optname == IP_RECVTTL || optname == IP_RECVTOS ||
		       optname == IP_RECVOPTS || optname == IP_RETOPTS ||
		       optname == IP_RECVORIGDSTADDR || optname == IP_RECVFRAGSIZE;
	if (level == SOL_UDP)
		return optname == UDP_GRO;
	return level == SOL_SOCKET &&
	       (optname == SO_TIMESTAMP_OLD || optname == SO_TIMESTAMP_NEW ||
		optname == SO_TIMESTAMPNS_OLD || optname == SO_TIMESTAMPNS_NEW ||
		optname == SO_TIMESTAMPING_OLD || optname == SO_TIMESTAMPING_NEW ||
		optname == SO_RXQ_OVFL || optname == SO_RCVMARK || optname == SO_RCVPRIORITY);
}

/*
 * Whether the pair reads the urgent byte inline is the pair's own
 * SO_OOBINLINE; a listener keeps it for the pairs it accepts.
 */
static bool shim_is_stream_oobinline(uint64_t e, int level, int optname)
{
	return level == SOL_SOCKET && optname == SO_OOBINLINE &&
	       (shim_ent_kind(e) == SHIM_STREAM || shim_ent_kind(e) == SHIM_LISTENER);
}

static int shim_setsockopt(int fd, uint64_t e, int level, int optname, const void *optval,
			   socklen_t optlen, struct shim_call *c)
{
	struct shim_req req = {.hdr.op = SHIM_OP_SETSOCKOPT,
			       .sockopt = {.level = level, .optname = optname}};
	struct shim_rep rep;
	int ret;

	if ((int)optlen < 0)
		return -EINVAL;
	if (shim_is_nf_sockopt(level, optname))
		return shim_nf_sockopt(true, optname, (void *)optval, &optlen);
	if (level == SOL_SOCKET && optname == SO_ATTACH_FILTER &&
	    optlen == sizeof(struct sock_fprog))
		return shim_attach_filter(fd, e, optval, c);
	/* The whole length travels, the value up to SHIM_OPT_MAX (shim_req_optbytes). */
	req.sockopt.optlen = optlen;
	if (shim_copy_from_user(req.sockopt.optval, optval, shim_req_optbytes(&req)))
		return shim_sockopt_level_known(e, level) ? -EFAULT : -ENOPROTOOPT;
	ret = shim_request(fd, e, &req, &rep, NULL, c);
	if (ret == -EOPNOTSUPP && level == SOL_SOCKET &&
	    (optname == SO_ATTACH_BPF || optname == SO_ATTACH_REUSEPORT_EBPF))
		return shim_attach_bpf_check(req.sockopt.optval);
	/*
	 * xfrm_user_policy clears the policy only for a NULL value of length
	 * 0; an empty one that points somewhere is EMSGSIZE. The host sees no
	 * pointer: its 0 (past the CAP_NET_ADMIN check) says which.
	 */
	if (ret == 0 && level == SOL_IP && !optlen && optval &&
	    (optname == IP_IPSEC_POLICY || optname == IP_XFRM_POLICY))
		return -EMSGSIZE;
	if (ret == 0 && level == SOL_SOCKET && optname == SO_ZEROCOPY)
		shim_fd_flags(fd, *(int *)req.sockopt.optval ? SHIM_F_ZEROCOPY : 0,
			      *(int *)req.sockopt.optval ? 0 : SHIM_F_ZEROCOPY);
	if (ret == 0 && level == SOL_SOCKET &&
	    (optname == SO_TIMESTAMPING_OLD || optname == SO_TIMESTAMPING_NEW)) {
		/* A stream's TX_ACK alone stamps too (its send is marked: shim_stream_mark_begin).
		 */
		bool tx = *(int *)req.sockopt.optval &
			  (SHIM_TX_STAMPED |
			   (shim_ent_kind(e) == SHIM_STREAM ? SOF_TIMESTAMPING_TX_ACK : 0));

		shim_fd_flags(fd, tx ? SHIM_F_TXSTAMP : 0, tx ? 0 : SHIM_F_TXSTAMP);
	}
	/* ip_setsockopt: turning IP_RECVERR off purges the error queue. */
	if (ret == 0 && level == SOL_IP && optname == IP_RECVERR &&
	    (shim_ent_flags(e) & SHIM_F_ERRQ) &&
	    !(optlen >= sizeof(int) ? *(int *)req.sockopt.optval
	      : optlen		    ? req.sockopt.optval[0]
				    : 1))
		shim_fd_flags(fd, 0, SHIM_F_ERRQ);
	/*
	 * With IP_RECVERR an unconnected socket gets ICMP errors too (reports in
	 * its pair, __udp4_lib_err): readiness looks at them as a connected one's.
	 */
	if (ret == 0 && level == SOL_IP && optname == IP_RECVERR &&
	    shim_ent_kind(e) == SHIM_DGRAM && !(shim_ent_flags(e) & SHIM_F_NOTICED) &&
	    (optlen >= sizeof(int) ? *(int *)req.sockopt.optval
	     : optlen		   ? req.sockopt.optval[0]
				   : 0))
		shim_fd_flags(fd, SHIM_F_NOTICED, 0);
	/*
	 * SO_SNDBUF bounds the pair too (shim_pair_size); a connecting
	 * socket's waits for its filler to go.
	 */
	if (ret == 0 && level == SOL_SOCKET &&
	    (optname == SO_SNDBUF || optname == SO_SNDBUFFORCE) && shim_ent_kind(e) != SHIM_DGRAM) {
		atomic_store_explicit(&shim_sndbuf_set, true, memory_order_relaxed);
		if (shim_ent_kind(e) == SHIM_STREAM && !(shim_ent_flags(e) & SHIM_F_FILLED))
			shim_pair_size(fd, e, true);
	}
	if (ret == 0 && level == IPPROTO_TCP && optname == TCP_NOTSENT_LOWAT &&
	    shim_ent_kind(e) == SHIM_STREAM)
		shim_lowat_pair(fd, e, *(int *)req.sockopt.optval);
	/* Repair mode's sends and peeks are the host's (shim_repair.c). */
	if (ret == 0 && level == IPPROTO_TCP && optname == TCP_REPAIR &&
	    shim_ent_kind(e) == SHIM_STREAM)
		shim_fd_flags(fd, *(int *)req.sockopt.optval == TCP_REPAIR_ON ? SHIM_F_REPAIR : 0,
			      *(int *)req.sockopt.optval == TCP_REPAIR_ON ? 0 : SHIM_F_REPAIR);
	/* tcp_recvmsg's TCP_CM_INQ (shim_stream_put_inq). */
	if (ret == 0 && level == IPPROTO_TCP && optname == TCP_INQ)
		shim_fd_flags(fd, *(int *)req.sockopt.optval ? SHIM_F_INQ : 0,
			      *(int *)req.sockopt.optval ? 0 : SHIM_F_INQ);
	/*
	 * From now on a send may fail with EMSGSIZE and queue an entry, which
	 * the host announces with a void report (shim_dgram_size_check): a
	 * waiter that starts now asks the pair for it.
	 */
	if (ret == 0 && level == SOL_IP && optname == IP_MTU_DISCOVER) {
		shim_dgram_pmtu_chosen();
		if (shim_ent_kind(e) == SHIM_DGRAM && !(shim_ent_flags(e) & SHIM_F_NOTICED))
			shim_fd_flags(fd, SHIM_F_NOTICED, 0);
	}
	if (ret == 0 && level == IPPROTO_UDP && (optname == UDP_CORK || optname == UDP_SEGMENT))
		shim_dgram_cork_used();
	if (ret == 0 && shim_is_recv_cmsg(e, level, optname) && !(shim_ent_flags(e) & SHIM_F_CMSG))
		shim_fd_flags(fd, SHIM_F_CMSG, 0);
	if (ret == 0)
		shim_sk_setsockopt(fd, e, level, optname, req.sockopt.optval,
				   shim_req_optbytes(&req));
	/* Blocking and peeking happen on the pair (or listener): its settings must match. */
	if (ret == 0 &&
	    (shim_is_timeo(level, optname) || shim_is_stream_peek_off(e, level, optname) ||
	     shim_is_stream_oobinline(e, level, optname))) {
		shim_real.setsockopt(fd, level, optname, req.sockopt.optval,
				     shim_req_optbytes(&req));
		if (!shim_is_stream_peek_off(e, level, optname))
			atomic_store_explicit(&shim_pair_opts_changed, true, memory_order_relaxed);
		if (shim_is_stream_oobinline(e, level, optname))
			shim_urg_note();
	}
	return ret;
}

SHIM_EXPORT int setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen)
{
	struct shim_call c;
	char l[24], o[32];
	uint64_t e;
	int ret;

	SHIM_PASS(fd, setsockopt(fd, level, optname, optval, optlen));
	shim_call_begin(&c, SHIM_SYM_setsockopt);
	e = shim_fd_get(fd);
	if (!shim_emulated(e)) {
		ret = shim_real.setsockopt(fd, level, optname, optval, optlen);
	} else {
		c.path = "stack";
		ret = (int)shim_ret(shim_setsockopt(fd, e, level, optname, optval, optlen, &c),
				    c.err0);
	}
	if (unlikely(shim_trace_level))
		shim_trace(&c, ret, "%d, %s, %s, %p, %u", fd, shim_fmt_level(l, sizeof(l), level),
			   shim_fmt_optname(o, sizeof(o), level, optname), optval, optlen);
	return ret;
}

/*
 * The interface requests on an emulated socket. The pair is AF_UNIX, which
 * knows no SIOCGIFADDR, so they go to a kernel AF_INET socket of the
 * moment; for the stack's own interface the address, netmask, broadcast
 * and MAC are the stack's (the kernel has no address on it in the stack's
 * namespace), and SIOCGIFCONF lists it after the kernel's interfaces.
 * Other requests (flags, MTU, index) are the kernel's: the stack's link
 * is that interface.
 * So programs find their address as under Onload.
 */
static int shim_ifreq_kernel(unsigned long cmd, void *arg)
{
	int s = shim_real.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	if (s < 0)
		return -errno;
	ret = shim_real.ioctl(s, cmd, arg);
	ret = ret < 0 ? -errno : ret;
	shim_real.close(s);
	return ret;
}

static void shim_ifaddr(struct sockaddr *sa, uint32_t addr)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = addr};

	memcpy(sa, &sin, sizeof(sin));
}

static int shim_ifconf(void *arg)
{
	struct ifconf ifc;
	struct ifreq ifr = {0};
	int room, ret;

	if (shim_copy_from_user(&ifc, arg, sizeof(ifc)))
		return -EFAULT;
	room = ifc.ifc_len;
	ret = shim_ifreq_kernel(SIOCGIFCONF, arg);
	if (ret < 0 || !shim_cfg_ok || shim_copy_from_user(&ifc, arg, sizeof(ifc)))
		return ret;
	/* The kernel's list is in ifc now; the stack's entry goes after it if it fits. */
	if (ifc.ifc_buf) {
		if (ifc.ifc_len < 0 || (long)ifc.ifc_len + (long)sizeof(ifr) > room)
			return 0;
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", shim_cfg.iface);
		shim_ifaddr(&ifr.ifr_addr, shim_cfg.addr);
		if (shim_copy_to_user(ifc.ifc_buf + ifc.ifc_len, &ifr, sizeof(ifr)))
			return -EFAULT;
	}
	ifc.ifc_len += (int)sizeof(ifr);
	return shim_copy_to_user(arg, &ifc, sizeof(ifc));
}

static int shim_ifreq(unsigned long cmd, void *arg)
{
	struct ifreq ifr;

	if (cmd == SIOCGIFCONF)
		return shim_ifconf(arg);
	if (shim_copy_from_user(&ifr, arg, sizeof(ifr)))
		return -EFAULT;
	if (!shim_cfg_ok || strncmp(ifr.ifr_name, shim_cfg.iface, sizeof(ifr.ifr_name)))
		return shim_ifreq_kernel(cmd, arg);
	switch (cmd) {
	case SIOCGIFADDR:
		shim_ifaddr(&ifr.ifr_addr, shim_cfg.addr);
		break;
	case SIOCGIFNETMASK:
		shim_ifaddr(&ifr.ifr_netmask, shim_route().netmask);
		break;
	case SIOCGIFBRDADDR:
		/* SOCKSHIM_ADDR names no broadcast: as "ip addr add A/P" without "brd". */
		shim_ifaddr(&ifr.ifr_broadaddr, 0);
		break;
	case SIOCGIFDSTADDR:
		/* devinet_ioctl's ifa_address: the local one (not point-to-point). */
		shim_ifaddr(&ifr.ifr_dstaddr, shim_cfg.addr);
		break;
	case SIOCGIFHWADDR:
		ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
		memcpy(ifr.ifr_hwaddr.sa_data, shim_cfg.mac, sizeof(shim_cfg.mac));
		break;
	default:
		return shim_ifreq_kernel(cmd, arg);
	}
	return shim_copy_to_user(arg, &ifr, sizeof(ifr));
}

/*
 * Whether an ARP ioctl is for the stack's device: arp_dev names it, or
 * names none and the address is on the stack's subnet (the route the
 * kernel's arp_req_dev finds), or it publishes an address for no device
 * in particular or for the one with the stack's MAC (arp_req_set_public
 * finds it by its address); with no device SIOCGARP, and any request
 * for another family, fail before a device is looked for, as the host
 * answers them.
 */
static bool shim_arp_ours(unsigned long cmd, const struct arpreq *r)
{
	const struct sockaddr_in *pa = (const struct sockaddr_in *)&r->arp_pa;
	struct shim_route rt;

	if (!shim_cfg_ok)
		return false;
	if (r->arp_dev[0])
		return !strncmp(r->arp_dev, shim_cfg.iface, sizeof(r->arp_dev));
	if (cmd == SIOCGARP || r->arp_pa.sa_family != AF_INET)
		return true;
	/* A published entry for no device is every device's, the stack's too. */
	if (r->arp_flags & ATF_PUBL)
		return cmd == SIOCDARP || !(r->arp_flags & ATF_COM) ||
		       (r->arp_ha.sa_family == ARPHRD_ETHER &&
			!memcmp(r->arp_ha.sa_data, shim_cfg.mac, sizeof(shim_cfg.mac)));
	rt = shim_route();
	return (pa->sin_addr.s_addr & rt.netmask) == (shim_cfg.addr & rt.netmask);
}

/*
 * SIOCSARP, SIOCGARP, SIOCDARP: the stack's device's neighbours are the
 * host's ARP table (SHIM_SO_ARP), e.g. the entry dnsmasq sets for a DHCP
 * client before it answers to the address the client does not have yet;
 * the kernel's devices' are the kernel's, asked as the interface requests
 * are.
 */
static int shim_arp(int fd, uint64_t e, unsigned long cmd, void *arg, struct shim_call *c)
{
	struct shim_req req = {.hdr.op = SHIM_OP_SETSOCKOPT,
			       .sockopt = {.level = SOL_SOCKET,
					   .optname = SHIM_SO_ARP,
					   .optlen = sizeof(struct shim_arp)}};
	struct shim_arp a = {.cmd = (uint32_t)cmd};
	struct shim_rep rep;
	int ret;

	/* An unreadable request still goes to the host: EPERM comes before EFAULT. */
	if (shim_copy_from_user(&a.r, arg, sizeof(a.r)))
		a.fault = 1;
	else if (!shim_arp_ours(cmd, &a.r))
		return shim_ifreq_kernel(cmd, arg);
	memcpy(req.sockopt.optval, &a, sizeof(a));
	ret = shim_request(fd, e, &req, &rep, NULL, c);
	if (ret < 0 || cmd != SIOCGARP)
		return ret;
	memcpy(&a, rep.sockopt.optval, sizeof(a));
	return shim_copy_to_user(arg, &a.r, sizeof(a.r));
}

/*
 * sock_gettstamp: turns stamping on (SOCK_TIMESTAMP, asked of the host once
 * per socket: from then on each datagram carries its arrival time,
 * SHIM_SCM_STAMP, peeked for as any control message); ENOENT until a read
 * left a stamp (TCP never does); a read that found stamping off left 0, and
 * the first call then gives its own time, kept for the next.
 */
static int shim_gettstamp(int fd, uint64_t e, unsigned long cmd, void *arg, struct shim_call *c)
{
	struct shim_req req = {.hdr.op = SHIM_OP_IOCTL, .ioctl.cmd = SIOCGSTAMP_OLD};
	struct shim_sk *sk = shim_sk_get(fd, e);
	struct shim_rep rep;
	struct timespec now;
	long long v[2];
	struct timeval tv;
	int ret;

	if (shim_ent_kind(e) == SHIM_DGRAM && (!sk || !sk->stamp_on)) {
		ret = shim_request(fd, e, &req, &rep, NULL, c);
		if (ret && ret != -ENOENT)
			return ret;
		sk = shim_sk_make(fd, e);
		if (!sk)
			return -ENOMEM;
		sk->stamp_on = true;
		if (!(shim_ent_flags(e) & SHIM_F_CMSG))
			shim_fd_flags(fd, SHIM_F_CMSG, 0);
	}
	/* Only a datagram socket's reads leave a stamp (streams have no entry). */
	if (!sk || shim_ent_kind(e) != SHIM_DGRAM ||
	    !((shim_ent_flags(shim_fd_get(fd)) & SHIM_F_RECEIVED) || sk->received))
		return -ENOENT;
	if (!sk->stamp) {
		clock_gettime(CLOCK_REALTIME, &now);
		sk->stamp = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	}
	now = (struct timespec){sk->stamp / 1000000000, sk->stamp % 1000000000};
	switch (cmd) {
	case SIOCGSTAMP_OLD:
		tv = (struct timeval){now.tv_sec, now.tv_nsec / 1000};
		return shim_copy_to_user(arg, &tv, sizeof(tv));
	case SIOCGSTAMPNS_OLD:
		return shim_copy_to_user(arg, &now, sizeof(now));
	default: /* the _NEW forms: two 64-bit numbers */
		v[0] = now.tv_sec;
		v[1] = cmd == SIOCGSTAMP_NEW ? now.tv_nsec / 1000 : now.tv_nsec;
		return shim_copy_to_user(arg, v, sizeof(v));
	}
}

/*
 * ioctl: the queue sizes the stack knows go to the host (which adds what
 * still sits in the pair for SIOCOUTQ); FIONREAD of a datagram loses our
 * header; file-level requests (FIONBIO, FIOASYNC, FIOCLEX) and the interface
 * requests (SIOCGIF*, answered by the kernel for any socket) stay the
 * kernel's, the ARP requests the host's for the stack's device.
 */
static int shim_ioctl(int fd, uint64_t e, unsigned long cmd, void *arg, struct shim_call *c)
{
	struct shim_req req = {.hdr.op = SHIM_OP_IOCTL, .ioctl.cmd = (uint32_t)cmd};
	struct shim_rep rep;
	struct shim_dgram h;
	int val = 0, ret;

	switch (cmd) {
	case SIOCGSTAMP_OLD:
	case SIOCGSTAMPNS_OLD:
	case SIOCGSTAMP_NEW:
	case SIOCGSTAMPNS_NEW:
		return shim_gettstamp(fd, e, cmd, arg, c);
	case SIOCGIFCONF:
	case SIOCGIFADDR:
	case SIOCGIFNETMASK:
	case SIOCGIFBRDADDR:
	case SIOCGIFDSTADDR:
	case SIOCGIFHWADDR:
	case SIOCGIFFLAGS:
	case SIOCGIFMTU:
	case SIOCGIFINDEX:
	case SIOCGIFNAME:
	case SIOCGIFMETRIC:
	case SIOCGIFTXQLEN:
	case SIOCGIFMAP:
		return shim_ifreq(cmd, arg);
	case SIOCSARP:
	case SIOCGARP:
	case SIOCDARP:
		return shim_arp(fd, e, cmd, arg, c);
	case SIOCADDRT:
	case SIOCDELRT:
	case SIOCRTMSG:
	case SIOCSIFADDR:
	case SIOCSIFBRDADDR:
	case SIOCSIFNETMASK:
	case SIOCSIFDSTADDR:
	case SIOCGIFPFLAGS:
	case SIOCSIFPFLAGS:
	case SIOCPROTOPRIVATE:
		/*
		 * inet_ioctl's: the routes and the addresses are the namespace's,
		 * as `ip route` and `ip addr` (netlink, the kernel's) change them;
		 * the pair would answer as AF_UNIX (ENOTTY, or SIOCUNIXFILE for
		 * SIOCPROTOPRIVATE) where an inet socket goes on to the device.
		 */
		return shim_ifreq_kernel(cmd, arg);
	case SIOCINQ:
		if (shim_ent_kind(e) != SHIM_DGRAM)
			break;
		/* ping_prot has no ioctl: inet_ioctl's ENOIOCTLCMD, not a socket request's type. */
		if (shim_ent_flags(e) & SHIM_F_PING)
			return -ENOTTY;
		/*
		 * The first datagram's size (a SOCK_SEQPACKET pair's SIOCINQ sums
		 * them all). A void report at the head (the wake-up of a
		 * shutdown(SHUT_RD), an error taken already) is no datagram of
		 * the socket's queue: dropped, as readiness drops it.
		 */
		while (shim_dgram_framed(
			       fd, &h,
			       ret = (int)shim_real.recv(fd, &h, sizeof(h),
							 MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT)) &&
		       h.err && shim_notice_stale(fd, e, &h))
			shim_real.recv(fd, &h, sizeof(h), MSG_DONTWAIT);
		if (ret < 0 && errno != EAGAIN)
			return -errno;
		/* udp_ioctl's first_packet_length: the payload alone, not our control messages. */
		val = !shim_dgram_framed(fd, &h, ret)  ? (ret > 0 ? ret : 0)
		      : h.ctl_len > SHIM_DGRAM_CTL_MAX ? ret - (int)sizeof(h)
						       : ret - (int)sizeof(h) - (int)h.ctl_len;
		if (val < 0)
			val = 0;
		return shim_copy_to_user(arg, &val, sizeof(val));
	case SIOCOUTQ:
	case SIOCOUTQNSD:
	case SIOCATMARK:
		/*
		 * Only TCP knows these two: on a datagram socket the kernel reads
		 * the argument as an ifreq for a device (EFAULT) that knows them
		 * neither (ENOTTY).
		 */
		if (cmd != SIOCOUTQ && shim_ent_kind(e) == SHIM_DGRAM)
			return shim_ifreq_kernel(cmd, arg);
		if (shim_ent_kind(e) == SHIM_DGRAM && (shim_ent_flags(e) & SHIM_F_PING))
			return -ENOTTY;
		/* The urgent byte is the pair's out-of-band byte: its mark is TCP's. */
		if (cmd == SIOCATMARK && shim_ent_kind(e) == SHIM_STREAM) {
			shim_urg_note();
			if (shim_real.ioctl(fd, SIOCATMARK, &val) < 0)
				val = 0;
			return shim_copy_to_user(arg, &val, sizeof(val));
		}
		/* The host counts what its end has not read of the pair, in bytes. */
		ret = shim_request(fd, e, &req, &rep, NULL, c);
		if (ret < 0)
			return ret;
		val = rep.ioctl.arg;
		return shim_copy_to_user(arg, &val, sizeof(val));
	}
	ret = shim_real.ioctl(fd, cmd, arg);
	if (ret < 0)
		return -errno;
	if (cmd == FIONBIO)
		shim_fd_nonblock(fd, e, *(int *)arg);
	return ret;
}

SHIM_EXPORT int ioctl(int fd, unsigned long cmd, ...)
{
	struct shim_call c;
	va_list ap;
	void *arg;
	uint64_t e;
	int ret;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	SHIM_PASS(fd, ioctl(fd, cmd, arg));
	shim_call_begin(&c, SHIM_SYM_ioctl);
	e = shim_fd_get(fd);
	if (!shim_emulated(e)) {
		ret = shim_real.ioctl(fd, cmd, arg);
	} else {
		c.path = "stack";
		ret = (int)shim_ret(shim_ioctl(fd, e, cmd, arg, &c), c.err0);
	}
	shim_trace(&c, ret, "%d, %#lx, %p", fd, cmd, arg);
	return ret;
}

/* ---- fds inherited over exec ---- */

int shim_register_inherited(int fd)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun), olen;
	int type = 0, acc = 0;
	int64_t id;
	enum shim_kind kind;
	unsigned int flags = 0;

	if (shim_real.getsockname(fd, (struct sockaddr *)&sun, &len) < 0 ||
	    sun.sun_family != AF_UNIX)
		return 0;
	olen = sizeof(type);
	if (shim_real.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen))
		return 0;
	olen = sizeof(acc);
	shim_real.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &olen);
	if ((id = shim_parse_name(&sun, len, 'l', NULL, NULL)) >= 0 && acc) {
		kind = SHIM_LISTENER;
	} else if ((id = shim_parse_name(&sun, len, 'a', NULL, NULL)) >= 0) {
		int sndbuf = 0;

		/* Its state is unknown here: assume connected, the host knows better. */
		kind = type == SOCK_STREAM ? SHIM_STREAM : SHIM_DGRAM;
		/* Its cookies are the fd's: usable at once, with no request. */
		if (kind == SHIM_DGRAM && shim_fd_dgram_learn(fd, &sun, len) < 0)
			return 0;
		if (kind == SHIM_DGRAM)
			flags = SHIM_F_PEER | SHIM_F_BOUND;
		/*
		 * Connected by a process that never wrote to it: its send
		 * buffer is still the filler's least (shim_fill), to give
		 * back at our first write.
		 */
		olen = sizeof(sndbuf);
		if (kind == SHIM_STREAM &&
		    !shim_real.getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &olen) &&
		    sndbuf <= SHIM_FILL_SNDBUF_MAX)
			flags = SHIM_F_FILLED;
		/* Or never connected: asked at first need (no request from a constructor). */
		if (kind == SHIM_STREAM)
			flags |= SHIM_F_INHERITED;
	} else {
		len = sizeof(sun);
		if (shim_real.getpeername(fd, (struct sockaddr *)&sun, &len) < 0 ||
		    (id = shim_parse_name(&sun, len, 's', NULL, NULL)) < 0 || type != SOCK_STREAM)
			return 0;
		kind = SHIM_STREAM;
	}
	/* Another process holds it too, and may shut it down for reading. */
	if (kind == SHIM_STREAM)
		shim_rd_shut_note();
	shim_fd_set(fd, shim_ent((uint32_t)id, kind, flags));
	return 1;
}

uint64_t shim_stream_known(int fd, uint64_t e)
{
	if (shim_ent_kind(e) != SHIM_STREAM)
		return e;
	/* A state that may be an earlier pair's: another process may have connected it since. */
	if (((shim_ent_flags(e) &
	      (SHIM_F_INHERITED | SHIM_F_UNCONNECTED | SHIM_F_HUPSEEN | SHIM_F_FAILED)) ||
	     shim_ent_err(e)) &&
	    shim_stream_follow(fd, e))
		e = shim_fd_get(fd);
	return shim_stream_connected_since(fd, e);
}

uint64_t shim_stream_connected_since(int fd, uint64_t e)
{
	struct shim_req req = {.hdr.op = SHIM_OP_GETSOCKOPT,
			       .sockopt = {.level = SOL_SOCKET, .optname = SHIM_SO_UNCONNECTED}};
	struct shim_call c = {0};
	struct shim_rep rep;
	bool unconnected;

	if (shim_ent_kind(e) != SHIM_STREAM)
		return e;
	/*
	 * Never connected here, but another holder (fork, SCM_RIGHTS) may have
	 * connected it since: the notice word says one did, and the host what
	 * it is now, as for an fd that came by exec. A socket nobody else
	 * holds (SHIM_F_FRESH) has no other holder to look for.
	 */
	if ((shim_ent_flags(e) & (SHIM_F_UNCONNECTED | SHIM_F_FRESH | SHIM_F_INHERITED)) ==
		    SHIM_F_UNCONNECTED &&
	    (shim_notice_get(fd, e) & SHIM_NOTICE_CONNECTED)) {
		shim_fd_flags(fd, SHIM_F_INHERITED, 0);
		e = shim_fd_get(fd);
	}
	if (!(shim_ent_flags(e) & SHIM_F_INHERITED))
		return e;
	unconnected = shim_request(fd, e, &req, &rep, NULL, &c) == 1;
	/* TCP_CLOSE: no filler either, whatever the pair's send buffer says. */
	shim_fd_flags(fd, unconnected ? SHIM_F_UNCONNECTED : 0,
		      SHIM_F_INHERITED | (unconnected ? SHIM_F_FILLED : SHIM_F_UNCONNECTED));
	return shim_fd_get(fd);
}

/*
 * Emulated sockets that another process passed with SCM_RIGHTS (node's
 * cluster workers get the primary's bound socket so, then listen on it):
 * known by their AF_UNIX names, as those inherited over exec.
 */
void shim_register_rights(const struct msghdr *msg)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR((struct msghdr *)msg, cm)) {
		size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			shim_register_inherited(fd);
		}
	}
}
