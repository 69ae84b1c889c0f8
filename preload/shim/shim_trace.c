/* SPDX-License-Identifier: MIT */
/*
 * The per-call trace (SOCKSHIM_TRACE >= 1): one strace-like line per
 * intercepted call, e.g.
 *   [sockshim 4242] connect(3, {AF_INET, 10.99.0.2:8000}, 16) = -1 EINPROGRESS <0.000061> stack
 *   [sockshim 4242] read(5, 0x7ffd..., 4096) = 12 <0.000004> kernel
 * with decoded arguments, the result or errno name, the time the call took and
 * the path: "kernel" (passed through untouched) or "stack" (emulated), plus
 * what the creation path or the host said. Each line is one write() so that
 * processes sharing SOCKSHIM_TRACE_FILE never interleave within a line.
 *
 * What it does not do: buffer, or call anything that could re-enter the
 * interposer (all output goes through shim_real.write).
 */
#include "shim_lib.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <unistd.h>

int shim_trace_level;
static int shim_trace_fd = 2;
/* The trace file's fd when we opened one: ours, not the program's (shim_trace_owns). */
static int shim_trace_own = -1;

struct shim_name {
	int val;
	const char *name;
};
#define N(x)                                                                                       \
	{                                                                                          \
		x, #x                                                                              \
	}

static const char *shim_lookup(const struct shim_name *t, size_t n, int val)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].val == val)
			return t[i].name;
	return NULL;
}
#define LOOKUP(t, v) shim_lookup(t, sizeof(t) / sizeof(t[0]), v)

static const char *shim_named(char *buf, size_t len, const char *name, int val)
{
	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%d", val);
	return buf;
}

static const struct shim_name families[] = {
	N(AF_UNSPEC), N(AF_UNIX),      N(AF_INET), N(AF_INET6), N(AF_NETLINK),
	N(AF_PACKET), N(AF_BLUETOOTH), N(AF_ALG),  N(AF_VSOCK), N(AF_XDP),
};

const char *shim_fmt_family(char *buf, size_t len, int family)
{
	return shim_named(buf, len, LOOKUP(families, family), family);
}

static const struct shim_name types[] = {
	N(SOCK_STREAM),	   N(SOCK_DGRAM), N(SOCK_RAW),	  N(SOCK_RDM),
	N(SOCK_SEQPACKET), N(SOCK_DCCP),  N(SOCK_PACKET),
};

const char *shim_fmt_type(char *buf, size_t len, int type)
{
	const char *name = LOOKUP(types, type & 0xf);
	int rest = type & ~(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC);

	char base[16];

	snprintf(buf, len, "%s%s%s", shim_named(base, sizeof(base), name, type & 0xf),
		 type & SOCK_NONBLOCK ? "|SOCK_NONBLOCK" : "",
		 type & SOCK_CLOEXEC ? "|SOCK_CLOEXEC" : "");
	if (rest) {
		size_t n = strlen(buf);

		snprintf(buf + n, len - n, "|%#x", rest);
	}
	return buf;
}

static const struct shim_name inet_protos[] = {
	N(IPPROTO_IP),	N(IPPROTO_ICMP), N(IPPROTO_TCP),   N(IPPROTO_UDP),  N(IPPROTO_UDPLITE),
	N(IPPROTO_RAW), N(IPPROTO_SCTP), N(IPPROTO_MPTCP), N(IPPROTO_IPV6), N(IPPROTO_ICMPV6),
};

const char *shim_fmt_proto(char *buf, size_t len, int family, int protocol)
{
	if (family == AF_INET || family == AF_INET6)
		return shim_named(buf, len, LOOKUP(inet_protos, protocol), protocol);
	return shim_named(buf, len, NULL, protocol);
}

const char *shim_fmt_addr(char *buf, size_t len, const void *uaddr, long addrlen)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_un un;
		struct sockaddr_storage ss;
	} a;
	size_t n = addrlen < 0 ? 0 : (size_t)addrlen;
	char ip[INET6_ADDRSTRLEN], fam[24];

	if (!uaddr)
		return "NULL";
	if (n > sizeof(a))
		n = sizeof(a);
	memset(&a, 0, sizeof(a));
	if (n < sizeof(sa_family_t) || shim_copy_from_user(&a, uaddr, n)) {
		snprintf(buf, len, "%p", uaddr);
		return buf;
	}
	shim_fmt_family(fam, sizeof(fam), a.sa.sa_family);
	switch (a.sa.sa_family) {
	case AF_INET:
		inet_ntop(AF_INET, &a.in.sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "{%s, %s:%u}", fam, ip, ntohs(a.in.sin_port));
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &a.in6.sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "{%s, [%s]:%u}", fam, ip, ntohs(a.in6.sin6_port));
		break;
	case AF_UNIX:
		if (n <= offsetof(struct sockaddr_un, sun_path))
			snprintf(buf, len, "{%s}", fam);
		else if (a.un.sun_path[0])
			snprintf(buf, len, "{%s, \"%.*s\"}", fam, (int)sizeof(a.un.sun_path),
				 a.un.sun_path);
		else
			snprintf(buf, len, "{%s, @\"%.*s\"}", fam,
				 (int)(n - offsetof(struct sockaddr_un, sun_path) - 1),
				 a.un.sun_path + 1);
		break;
	default:
		snprintf(buf, len, "{%s, ...}", fam);
	}
	return buf;
}

static const struct shim_name levels[] = {
	N(SOL_SOCKET),
	N(SOL_IP),
	N(SOL_TCP),
	N(SOL_UDP),
	N(SOL_IPV6),
	N(SOL_RAW),
	{IPPROTO_UDPLITE, "SOL_UDPLITE"},
};

const char *shim_fmt_level(char *buf, size_t len, int level)
{
	return shim_named(buf, len, LOOKUP(levels, level), level);
}

static const struct shim_name sol_socket[] = {
	N(SO_DEBUG),
	N(SO_REUSEADDR),
	N(SO_TYPE),
	N(SO_ERROR),
	N(SO_DONTROUTE),
	N(SO_BROADCAST),
	N(SO_SNDBUF),
	N(SO_RCVBUF),
	N(SO_KEEPALIVE),
	N(SO_OOBINLINE),
	N(SO_PRIORITY),
	N(SO_LINGER),
	N(SO_REUSEPORT),
	N(SO_PASSCRED),
	N(SO_PEERCRED),
	N(SO_RCVLOWAT),
	N(SO_SNDLOWAT),
	{20, "SO_RCVTIMEO_OLD"},
	{21, "SO_SNDTIMEO_OLD"},
	N(SO_BINDTODEVICE),
	N(SO_TIMESTAMP),
	N(SO_ACCEPTCONN),
	N(SO_SNDBUFFORCE),
	N(SO_RCVBUFFORCE),
	N(SO_PROTOCOL),
	N(SO_DOMAIN),
	N(SO_MARK),
	N(SO_BUSY_POLL),
	N(SO_INCOMING_CPU),
	N(SO_ZEROCOPY),
	N(SO_TXTIME),
	{66, "SO_RCVTIMEO_NEW"},
	{67, "SO_SNDTIMEO_NEW"},
	N(SO_BINDTOIFINDEX),
};

static const struct shim_name sol_ip[] = {
	N(IP_TOS),
	N(IP_TTL),
	N(IP_HDRINCL),
	N(IP_OPTIONS),
	N(IP_RECVOPTS),
	N(IP_PKTINFO),
	N(IP_MTU_DISCOVER),
	N(IP_RECVERR),
	N(IP_RECVTTL),
	N(IP_RECVTOS),
	N(IP_MTU),
	N(IP_FREEBIND),
	N(IP_TRANSPARENT),
	N(IP_BIND_ADDRESS_NO_PORT),
	N(IP_MULTICAST_IF),
	N(IP_MULTICAST_TTL),
	N(IP_MULTICAST_LOOP),
	N(IP_ADD_MEMBERSHIP),
	N(IP_DROP_MEMBERSHIP),
	N(IP_MINTTL),
};

static const struct shim_name sol_tcp[] = {
	N(TCP_NODELAY),	      N(TCP_MAXSEG),	   N(TCP_CORK),	     N(TCP_KEEPIDLE),
	N(TCP_KEEPINTVL),     N(TCP_KEEPCNT),	   N(TCP_SYNCNT),    N(TCP_LINGER2),
	N(TCP_DEFER_ACCEPT),  N(TCP_WINDOW_CLAMP), N(TCP_INFO),	     N(TCP_QUICKACK),
	N(TCP_CONGESTION),    N(TCP_USER_TIMEOUT), N(TCP_FASTOPEN),  N(TCP_NOTSENT_LOWAT),
	N(TCP_REPAIR),	      N(TCP_REPAIR_QUEUE), N(TCP_QUEUE_SEQ), N(TCP_REPAIR_OPTIONS),
	N(TCP_REPAIR_WINDOW), N(TCP_TIMESTAMP),
};

static const struct shim_name sol_udp[] = {
	N(UDP_CORK),
	N(UDP_SEGMENT),
	N(UDP_GRO),
};

const char *shim_fmt_optname(char *buf, size_t len, int level, int optname)
{
	const char *name = NULL;

	if (level == SOL_SOCKET)
		name = LOOKUP(sol_socket, optname);
	else if (level == SOL_IP)
		name = LOOKUP(sol_ip, optname);
	else if (level == SOL_TCP)
		name = LOOKUP(sol_tcp, optname);
	else if (level == SOL_UDP)
		name = LOOKUP(sol_udp, optname);
	return shim_named(buf, len, name, optname);
}

static const struct shim_name msgflags[] = {
	N(MSG_OOB),	   N(MSG_PEEK),	    N(MSG_DONTROUTE),	 N(MSG_CTRUNC),
	N(MSG_TRUNC),	   N(MSG_DONTWAIT), N(MSG_EOR),		 N(MSG_WAITALL),
	N(MSG_CONFIRM),	   N(MSG_ERRQUEUE), N(MSG_NOSIGNAL),	 N(MSG_MORE),
	N(MSG_WAITFORONE), N(MSG_FASTOPEN), N(MSG_CMSG_CLOEXEC), N(MSG_ZEROCOPY),
};

const char *shim_fmt_msgflags(char *buf, size_t len, int flags)
{
	size_t i, n = 0;
	unsigned int rest = (unsigned int)flags;

	snprintf(buf, len, "0");
	if (!flags)
		return buf;
	for (i = 0; i < sizeof(msgflags) / sizeof(msgflags[0]); i++) {
		if (!(rest & (unsigned int)msgflags[i].val))
			continue;
		rest &= ~(unsigned int)msgflags[i].val;
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "|" : "",
				      msgflags[i].name);
	}
	if (rest && n < len)
		snprintf(buf + n, len - n, "%s%#x", n ? "|" : "", rest);
	return buf;
}

const char *shim_fmt_how(char *buf, size_t len, int how)
{
	static const struct shim_name hows[] = {N(SHUT_RD), N(SHUT_WR), N(SHUT_RDWR)};

	return shim_named(buf, len, LOOKUP(hows, how), how);
}

const char *shim_fmt_fcntl(char *buf, size_t len, int cmd)
{
	static const struct shim_name cmds[] = {
		N(F_DUPFD),  N(F_GETFD),  N(F_SETFD),	      N(F_GETFL),      N(F_SETFL),
		N(F_GETLK),  N(F_SETLK),  N(F_SETLKW),	      N(F_SETOWN),     N(F_GETOWN),
		N(F_SETSIG), N(F_GETSIG), N(F_DUPFD_CLOEXEC), N(F_SETPIPE_SZ), N(F_GETPIPE_SZ),
	};

	return shim_named(buf, len, LOOKUP(cmds, cmd), cmd);
}

/* ---- output ---- */

static void shim_trace_write(const char *line, size_t n)
{
	int saved = errno;

	if (shim_real.write)
		(void)!shim_real.write(shim_trace_fd, line, n);
	errno = saved;
}

void shim_trace_printf(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n, saved = errno;

	n = snprintf(line, sizeof(line), "[sockshim %d] ", getpid());
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	shim_trace_write(line, (size_t)n);
	errno = saved;
}

void shim_say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n, saved = errno;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	shim_trace_write(line, (size_t)n);
	errno = saved;
}

void shim_note(struct shim_call *c, const char *fmt, ...)
{
	size_t n = strlen(c->note);
	va_list ap;

	if (n >= sizeof(c->note) - 3)
		return;
	if (n) {
		strcpy(c->note + n, "; ");
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(c->note + n, sizeof(c->note) - n, fmt, ap);
	va_end(ap);
}

void shim_trace(struct shim_call *c, long ret, const char *fmt, ...)
{
	char line[1024], args[640];
	struct timespec t1;
	va_list ap;
	long ns;
	int saved = errno, n;

	if (likely(!shim_trace_level))
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (t1.tv_sec - c->t0.tv_sec) * 1000000000L + (t1.tv_nsec - c->t0.tv_nsec);
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	n = snprintf(line, sizeof(line), "[sockshim %d] %s(%s) = %ld", getpid(),
		     shim_sym_names[c->sym], args, ret);
	if (ret < 0 && n < (int)sizeof(line)) {
		const char *name = strerrorname_np(saved);

		n += snprintf(line + n, sizeof(line) - (size_t)n, " %s", name ? name : "E?");
	}
	if (n < (int)sizeof(line))
		n += snprintf(line + n, sizeof(line) - (size_t)n, " <%ld.%06ld> %s%s%s",
			      ns / 1000000000L, ns % 1000000000L / 1000, c->path,
			      c->note[0] ? ": " : "", c->note);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	shim_trace_write(line, (size_t)n);
	errno = saved;
}

/*
 * The trace file's fd lives at the top of the fd space (at most 1023, so a
 * program's select() sets never need it) and the interposer hides it:
 * close() of its number is EBADF as for a number the program never opened,
 * close_range() and closefrom() leave it open, and a dup2() onto it moves it
 * first. A daemon that closes every fd it did not open (sshd's closefrom at
 * start) would otherwise close it, and the next socket or file it opens
 * would get the number the trace lines are written to.
 */
static int shim_trace_fd_dup_high(int fd)
{
	struct rlimit rl;
	rlim_t top;
	int hi;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= 64) {
		top = rl.rlim_cur > 1024 ? 1023 : rl.rlim_cur - 1;
		for (; top >= 32; top -= 16) {
			hi = shim_real.fcntl(fd, F_DUPFD_CLOEXEC, (int)top);
			if (hi >= 0)
				return hi;
		}
	}
	return shim_real.fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

void shim_trace_init(void)
{
	int fd;

	shim_trace_level = shim_cfg.trace;
	if (!shim_trace_level)
		return;
	if (shim_cfg.trace_file[0]) {
		fd = open(shim_cfg.trace_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return;
		shim_trace_fd = shim_trace_own = fd;
		shim_trace_fd_evict(fd);
	}
}

bool shim_trace_owns(unsigned int first, unsigned int last)
{
	return shim_trace_own >= 0 && (unsigned int)shim_trace_own >= first &&
	       (unsigned int)shim_trace_own <= last;
}

int shim_trace_fd_evict(int fd)
{
	int moved;

	if (!shim_trace_owns((unsigned int)fd, (unsigned int)fd))
		return 0;
	moved = shim_trace_fd_dup_high(fd);
	if (moved < 0)
		return -1;
	shim_trace_fd = shim_trace_own = moved;
	shim_real.close(fd);
	return 0;
}

void shim_trace_banner(void)
{
	if (shim_trace_level >= 2) {
		shim_trace_printf("sockshim %s iface %s addr %s/%d netns %lu lib %s%s%s",
				  SOCKSHIM_VERSION, shim_cfg.iface[0] ? shim_cfg.iface : "-",
				  shim_cfg.addr_str[0] ? shim_cfg.addr_str : "-", shim_cfg.prefix,
				  shim_cfg.netns, shim_lib_dir, shim_cfg_ok ? "" : "; ",
				  shim_cfg_ok ? "" : shim_cfg_err);
	}
}
