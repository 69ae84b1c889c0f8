// SPDX-License-Identifier: MIT
/*
 * dgram_cmsg PEER SELF IFACE: ancillary data on datagram sockets, one
 * normalised line per step, for a differential run (natively and under the
 * shim; tests/integration/test_dgram_cmsg.sh diffs the two outputs).
 *
 * PEER runs the helpers of the test script:
 *   PORT_ECHO   UDP: echoes every datagram to its sender with TOS 0x28
 *   PORT_CLOSED nothing listens (ICMP port unreachable)
 *   PORT_RR     UDP: echoes with a record route option of two slots
 *   PORT_SEEN   UDP: answers "ttl=T tos=S from=ADDR", what it received
 * and answers pings (the kernel's ICMP); NOBODY is on the subnet but
 * absent. SELF is this side's address,
 * IFACE the interface it is on.
 *
 * Every control message is printed as level/type/length and a value that
 * does not vary between runs: addresses as PEER/SELF, the interface index
 * as IFACE, a time stamp as "now" when it is within a minute of the wall
 * clock. Waits are polls with a generous timeout, never sleeps.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <linux/filter.h>
#include <linux/net_tstamp.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PORT_ECHO   7104
#define PORT_CLOSED 7105
#define PORT_RR	    7106
#define PORT_SEEN   7107
#define NOBODY	    "10.99.0.77" /* on the subnet, never answers ARP */
#define LATE	    "10.99.0.78" /* on the subnet, answers ARP once DGRAM_CMSG_LATE_ON ran */
#define WAIT_MS	    10000

static struct in_addr peer, self;
static unsigned int ifindex;
static const char *scenario = "";

static void out(const char *step, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(const char *step, const char *fmt, ...)
{
	va_list ap;

	printf("%s: %s = ", scenario, step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void res(const char *step, long ret)
{
	if (ret < 0)
		out(step, "-1 %s", strerrorname_np(errno));
	else
		out(step, "%ld", ret);
}

static const char *addr_name(struct in_addr a)
{
	static char buf[INET_ADDRSTRLEN];

	if (a.s_addr == peer.s_addr)
		return "PEER";
	if (a.s_addr == self.s_addr)
		return "SELF";
	if (a.s_addr == 0)
		return "ANY";
	return inet_ntop(AF_INET, &a, buf, sizeof(buf));
}

static const char *stamp_name(long long sec, long long sub, long long per_sec)
{
	struct timespec now;
	long long d;

	clock_gettime(CLOCK_REALTIME, &now);
	d = now.tv_sec - sec;
	if (sub < 0 || sub >= per_sec)
		return "bad-fraction";
	return d >= 0 && d < 60 ? "now" : "off";
}

/* Option bytes in hex, the two known addresses by name. */
static void hex_opts(char *v, size_t room, const unsigned char *d, size_t len)
{
	size_t used = 0;

	for (size_t i = 0; i < len && used + 8 < room;) {
		struct in_addr a;

		memcpy(&a, d + i, sizeof(a));
		if (i + 4 <= len && (a.s_addr == peer.s_addr || a.s_addr == self.s_addr)) {
			used += (size_t)snprintf(v + used, room - used, "%s ", addr_name(a));
			i += 4;
		} else {
			used += (size_t)snprintf(v + used, room - used, "%02x ", d[i]);
			i++;
		}
	}
}

/* One control message, normalised. */
static void print_cmsg(const struct cmsghdr *cm)
{
	const unsigned char *d = CMSG_DATA(cm);
	size_t len = cm->cmsg_len - CMSG_LEN(0);
	char v[160] = "";

	if (cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_PKTINFO &&
	    len >= sizeof(struct in_pktinfo)) {
		struct in_pktinfo pi;

		memcpy(&pi, d, sizeof(pi));
		snprintf(v, sizeof(v), "ifindex %s spec_dst %s",
			 pi.ipi_ifindex == (int)ifindex ? "IFACE" : "other",
			 addr_name(pi.ipi_spec_dst));
		snprintf(v + strlen(v), sizeof(v) - strlen(v), " addr %s", addr_name(pi.ipi_addr));
	} else if (cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_TTL && len >= sizeof(int)) {
		int ttl;

		memcpy(&ttl, d, sizeof(ttl));
		snprintf(v, sizeof(v), "ttl %d", ttl);
	} else if (cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_TOS && len >= 1) {
		snprintf(v, sizeof(v), "tos 0x%02x", d[0]);
	} else if (cm->cmsg_level == SOL_SOCKET &&
		   (cm->cmsg_type == SO_TIMESTAMP_OLD || cm->cmsg_type == SO_TIMESTAMP_NEW) &&
		   len >= 16) {
		long long t[2];

		memcpy(t, d, sizeof(t));
		snprintf(v, sizeof(v), "%s", stamp_name(t[0], t[1], 1000000));
	} else if (cm->cmsg_level == SOL_SOCKET &&
		   (cm->cmsg_type == SO_TIMESTAMPNS_OLD || cm->cmsg_type == SO_TIMESTAMPNS_NEW) &&
		   len >= 16) {
		long long t[2];

		memcpy(t, d, sizeof(t));
		snprintf(v, sizeof(v), "%s", stamp_name(t[0], t[1], 1000000000));
	} else if (cm->cmsg_level == SOL_SOCKET &&
		   (cm->cmsg_type == SO_TIMESTAMPING_OLD || cm->cmsg_type == SO_TIMESTAMPING_NEW) &&
		   len >= 48) {
		long long t[6];

		memcpy(t, d, sizeof(t));
		snprintf(v, sizeof(v), "sw %s then %lld %lld %lld %lld",
			 stamp_name(t[0], t[1], 1000000000), t[2], t[3], t[4], t[5]);
	} else if (cm->cmsg_level == SOL_IP &&
		   (cm->cmsg_type == IP_RECVOPTS || cm->cmsg_type == IP_RETOPTS)) {
		hex_opts(v, sizeof(v), d, len);
	} else if (cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_ORIGDSTADDR &&
		   len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin;

		memcpy(&sin, d, sizeof(sin));
		snprintf(v, sizeof(v), "family %u %s:%u", sin.sin_family, addr_name(sin.sin_addr),
			 ntohs(sin.sin_port) == PORT_ECHO || ntohs(sin.sin_port) == PORT_RR ? 0
											    : 1);
	} else if (cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR &&
		   len >= sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in)) {
		struct sock_extended_err ee;
		struct sockaddr_in off;

		memcpy(&ee, d, sizeof(ee));
		memcpy(&off, d + sizeof(ee), sizeof(off));
		snprintf(v, sizeof(v), "errno %s origin %u type %u code %u info %u offender %s",
			 strerrorname_np((int)ee.ee_errno), ee.ee_origin, ee.ee_type, ee.ee_code,
			 ee.ee_info, off.sin_family == AF_INET ? addr_name(off.sin_addr) : "none");
		/* A transmit stamp's OPT_ID key. */
		if (ee.ee_origin == SO_EE_ORIGIN_TIMESTAMPING)
			snprintf(v + strlen(v), sizeof(v) - strlen(v), " key %u", ee.ee_data);
	} else {
		snprintf(v, sizeof(v), "(%zu bytes)", len);
	}
	out("cmsg", "level %d type %d len %zu %s", cm->cmsg_level, cm->cmsg_type,
	    (size_t)cm->cmsg_len, v);
}

static const char *flag_names(int f)
{
	static char buf[96];

	snprintf(buf, sizeof(buf), "%s%s%s%s", f & MSG_TRUNC ? "TRUNC " : "",
		 f & MSG_CTRUNC ? "CTRUNC " : "", f & MSG_ERRQUEUE ? "ERRQUEUE " : "",
		 f & ~(MSG_TRUNC | MSG_CTRUNC | MSG_ERRQUEUE) ? "other" : "");
	return buf;
}

/* Waits until fd has something (a datagram or an error); prints only a timeout. */
static void wait_in(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};

	if (poll(&p, 1, WAIT_MS) != 1)
		out("wait", "timeout");
}

/* recvmsg with ctl_room bytes of control buffer (ctl_ptr 0: NULL), everything printed. */
static void recv_print(const char *step, int fd, size_t buf_len, size_t ctl_room, int ctl_ptr,
		       int flags)
{
	union {
		struct cmsghdr align;
		char buf[1024];
	} ctl;
	char data[2048];
	struct sockaddr_in from = {0};
	struct iovec iov = {data, buf_len};
	struct msghdr m = {.msg_name = &from,
			   .msg_namelen = sizeof(from),
			   .msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = ctl_ptr ? ctl.buf : NULL,
			   .msg_controllen = ctl_room};
	ssize_t n;

	memset(&ctl, 0xa5, sizeof(ctl));
	n = recvmsg(fd, &m, flags);
	res(step, n);
	if (n < 0)
		return;
	out("name", "%s:%s len %u", m.msg_namelen ? addr_name(from.sin_addr) : "none",
	    m.msg_namelen ? (ntohs(from.sin_port) == PORT_ECHO	   ? "ECHO"
			     : ntohs(from.sin_port) == PORT_CLOSED ? "CLOSED"
			     : ntohs(from.sin_port)		   ? "EPH"
								   : "0")
			  : "-",
	    m.msg_namelen);
	out("flags", "%s", flag_names(m.msg_flags));
	out("controllen", "%zu", (size_t)m.msg_controllen);
	if (!ctl_ptr)
		return;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_len < sizeof(*cm))
			break;
		print_cmsg(cm);
	}
	/* The kernel writes nothing past what it reports. */
	out("control untouched past controllen", "%s",
	    m.msg_controllen < sizeof(ctl) && (unsigned char)ctl.buf[m.msg_controllen] != 0xa5
		    ? "no"
		    : "yes");
}

static const char *rev_names(unsigned int r)
{
	static char bufs[2][64];
	static int next;
	char *buf = bufs[next++ % 2];

	snprintf(buf, sizeof(bufs[0]), "%s%s%s%s%s", r & POLLIN ? "IN " : "",
		 r & POLLOUT ? "OUT " : "", r & POLLERR ? "ERR " : "", r & POLLHUP ? "HUP " : "",
		 r & ~(unsigned int)(POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDNORM |
				     POLLWRNORM | POLLWRBAND)
			 ? "other"
			 : "");
	return buf;
}

/*
 * Readiness now (no waiting): poll for IN|OUT and for nothing (ERR and HUP
 * are always reported), select's three sets, a level-triggered epoll set
 * asking IN only.
 */
static void ready_print(const char *step, int fd)
{
	struct pollfd p[2] = {{fd, POLLIN | POLLOUT, 0}, {fd, 0, 0}};
	struct epoll_event ev = {.events = EPOLLIN}, got = {0};
	struct timeval tv = {0, 0};
	fd_set r, w, x;
	int ep = epoll_create1(EPOLL_CLOEXEC), n;

	n = poll(p, 2, 0);
	out(step, "poll %d: %s/ %s", n, rev_names((unsigned short)p[0].revents),
	    rev_names((unsigned short)p[1].revents));
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&x);
	FD_SET(fd, &r);
	FD_SET(fd, &w);
	FD_SET(fd, &x);
	n = select(fd + 1, &r, &w, &x, &tv);
	out(step, "select %d:%s%s%s", n, FD_ISSET(fd, &r) ? " r" : "", FD_ISSET(fd, &w) ? " w" : "",
	    FD_ISSET(fd, &x) ? " x" : "");
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	n = epoll_wait(ep, &got, 1, 0);
	out(step, "epoll IN %d: %s", n, n == 1 ? rev_names(got.events) : "");
	close(ep);
}

static void setopt(const char *step, int fd, int level, int name, int val)
{
	res(step, setsockopt(fd, level, name, &val, sizeof(val)));
}

static int udp_to(unsigned short port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = peer};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("udp socket");
		exit(2);
	}
	return fd;
}

/*
 * An echo through PORT_ECHO: send, wait, SIOCINQ (the payload alone, with
 * or without control messages to come), receive with the given control room.
 */
static void echo_once(const char *step, int fd, size_t ctl_room, int ctl_ptr)
{
	int inq = -1;

	res("send", send(fd, "ping", 4, 0));
	wait_in(fd);
	res("SIOCINQ", ioctl(fd, SIOCINQ, &inq) < 0 ? -1 : inq);
	recv_print(step, fd, 100, ctl_room, ctl_ptr, 0);
}

/*
 * The kernel stamps arriving packets only while some socket asks for it
 * (netstamp_needed_key), and turns that on and off from a work item: a
 * socket that asks from the start to the end of the run, and an echo that
 * came back stamped, make every software stamp below deterministic.
 */
static void rx_stamps_live(void)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET, .sin_port = htons(PORT_ECHO), .sin_addr = peer};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), live = 0;
	int flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;

	scenario = "setup";
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING_OLD, &flags, sizeof(flags)) < 0) {
		perror("time stamp keeper");
		exit(2);
	}
	for (int i = 0; i < 100 && !live; i++) {
		union {
			struct cmsghdr align;
			char buf[256];
		} ctl;
		char data[16];
		struct iovec iov = {data, sizeof(data)};
		struct msghdr m = {.msg_iov = &iov,
				   .msg_iovlen = 1,
				   .msg_control = ctl.buf,
				   .msg_controllen = sizeof(ctl)};
		struct pollfd p = {fd, POLLIN, 0};

		send(fd, "warm", 4, 0);
		if (poll(&p, 1, WAIT_MS) != 1 || recvmsg(fd, &m, MSG_DONTWAIT) < 0)
			break;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
			struct timespec ts;

			if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SO_TIMESTAMPING_OLD)
				continue;
			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			live = ts.tv_sec != 0;
		}
	}
	/* Kept open to the end: the kernel's stamping stays on. */
	out("received packets stamped", "%s", live ? "yes" : "no");
}

static void udp_cmsgs(void)
{
	int fd = udp_to(PORT_ECHO);

	scenario = "udp no options";
	echo_once("recvmsg", fd, 1024, 1);

	scenario = "udp pktinfo ttl tos timestamp";
	setopt("IP_PKTINFO", fd, SOL_IP, IP_PKTINFO, 1);
	setopt("IP_RECVTTL", fd, SOL_IP, IP_RECVTTL, 1);
	setopt("IP_RECVTOS", fd, SOL_IP, IP_RECVTOS, 1);
	setopt("SO_TIMESTAMP", fd, SOL_SOCKET, SO_TIMESTAMP_OLD, 1);
	echo_once("recvmsg", fd, 1024, 1);

	scenario = "udp short control buffer";
	echo_once("recvmsg room 50", fd, 50, 1);
	echo_once("recvmsg room 16", fd, 16, 1);
	echo_once("recvmsg room 8", fd, 8, 1);
	echo_once("recvmsg NULL control", fd, 0, 0);

	scenario = "udp bad control pointer";
	res("send", send(fd, "ping", 4, 0));
	wait_in(fd);
	{
		char b[16];
		struct iovec iov = {b, sizeof(b)};
		struct msghdr m = {.msg_iov = &iov,
				   .msg_iovlen = 1,
				   .msg_control = (void *)8,
				   .msg_controllen = 200};

		res("recvmsg", recvmsg(fd, &m, 0));
		out("flags", "%s", flag_names(m.msg_flags));
		out("controllen", "%zu", (size_t)m.msg_controllen);
	}

	scenario = "udp recvfrom with options";
	res("send", send(fd, "ping", 4, 0));
	wait_in(fd);
	{
		char b[16];

		res("recv", recv(fd, b, sizeof(b), 0));
	}

	scenario = "udp MSG_TRUNC with options";
	res("send", send(fd, "ping", 4, 0));
	wait_in(fd);
	recv_print("recvmsg 2 bytes TRUNC", fd, 2, 1024, 1, MSG_TRUNC);

	scenario = "udp MSG_PEEK with options";
	res("send", send(fd, "ping", 4, 0));
	wait_in(fd);
	recv_print("peek", fd, 100, 1024, 1, MSG_PEEK);
	recv_print("read", fd, 100, 1024, 1, MSG_CMSG_CLOEXEC);

	scenario = "udp SO_TIMESTAMPING";
	setopt("SO_TIMESTAMP off", fd, SOL_SOCKET, SO_TIMESTAMP_OLD, 0);
	setopt("RX_SOFTWARE|SOFTWARE", fd, SOL_SOCKET, SO_TIMESTAMPING_OLD, 0x18);
	echo_once("recvmsg", fd, 1024, 1);
	{
		int ts[2] = {-1, -1};
		socklen_t l = sizeof(ts);

		res("getsockopt", getsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING_OLD, ts, &l));
		out("value", "%d %d len %u", ts[0], ts[1], l);
		l = sizeof(ts);
		res("getsockopt _NEW", getsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING_NEW, ts, &l));
		out("value", "%d %d len %u", ts[0], ts[1], l);
	}
	setopt("flag 1<<19", fd, SOL_SOCKET, SO_TIMESTAMPING_OLD, 1 << 19);
	setopt("OPT_STATS without TSONLY", fd, SOL_SOCKET, SO_TIMESTAMPING_OLD, 1 << 12);
	setopt("OPT_ID_TCP without OPT_ID", fd, SOL_SOCKET, SO_TIMESTAMPING_OLD, 1 << 16);
	setopt("SOFTWARE only", fd, SOL_SOCKET, SO_TIMESTAMPING_OLD, 0x10);
	echo_once("recvmsg", fd, 1024, 1);
	setopt("_NEW RX_SOFTWARE|SOFTWARE", fd, SOL_SOCKET, SO_TIMESTAMPING_NEW, 0x18);
	echo_once("recvmsg", fd, 1024, 1);
	setopt("off", fd, SOL_SOCKET, SO_TIMESTAMPING_OLD, 0);
	setopt("SO_TIMESTAMP on", fd, SOL_SOCKET, SO_TIMESTAMP_OLD, 1);

	scenario = "udp SO_RXQ_OVFL, nothing dropped";
	setopt("SO_RXQ_OVFL", fd, SOL_SOCKET, SO_RXQ_OVFL, 1);
	{
		int v = -1;
		socklen_t l = sizeof(v);

		res("getsockopt", getsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &v, &l));
		out("value", "%d len %u", v, l);
	}
	echo_once("recvmsg", fd, 1024, 1);

	scenario = "udp timestampns";
	setopt("SO_TIMESTAMPNS", fd, SOL_SOCKET, SO_TIMESTAMPNS_OLD, 1);
	setopt("IP_PKTINFO off", fd, SOL_IP, IP_PKTINFO, 0);
	setopt("IP_RECVTOS off", fd, SOL_IP, IP_RECVTOS, 0);
	echo_once("recvmsg", fd, 1024, 1);
	setopt("SO_TIMESTAMP_NEW", fd, SOL_SOCKET, SO_TIMESTAMP_NEW, 1);
	echo_once("recvmsg", fd, 1024, 1);
	setopt("SO_TIMESTAMPNS_NEW", fd, SOL_SOCKET, SO_TIMESTAMPNS_NEW, 1);
	echo_once("recvmsg", fd, 1024, 1);
	close(fd);

	fd = udp_to(PORT_RR);
	scenario = "udp options and original destination";
	setopt("IP_RECVOPTS", fd, SOL_IP, IP_RECVOPTS, 1);
	setopt("IP_RETOPTS", fd, SOL_IP, IP_RETOPTS, 1);
	setopt("IP_RECVORIGDSTADDR", fd, SOL_IP, IP_RECVORIGDSTADDR, 1);
	echo_once("recvmsg", fd, 1024, 1);
	{
		int v = -1;
		socklen_t l = sizeof(v);

		res("getsockopt IP_RETOPTS", getsockopt(fd, SOL_IP, IP_RETOPTS, &v, &l));
		out("value", "%d len %u", v, l);
	}
	close(fd);
}

/* IP_RECVERR and the error queue: an ICMP port unreachable from the peer. */
static void udp_errqueue(void)
{
	int fd = udp_to(PORT_CLOSED);
	char b[64];

	scenario = "udp errqueue empty";
	recv_print("MSG_ERRQUEUE without IP_RECVERR", fd, 64, 1024, 1, MSG_ERRQUEUE);
	setopt("IP_RECVERR", fd, SOL_IP, IP_RECVERR, 1);
	recv_print("MSG_ERRQUEUE empty", fd, 64, 1024, 1, MSG_ERRQUEUE | MSG_DONTWAIT);

	ready_print("ready, nothing queued", fd);

	scenario = "udp port unreachable, read the queue first";
	res("send", send(fd, "probe-one", 9, 0));
	wait_in(fd);
	ready_print("ready, error pending and queued", fd);
	recv_print("MSG_ERRQUEUE", fd, 64, 1024, 1, MSG_ERRQUEUE);
	ready_print("ready, queue read", fd);
	res("recv after the queue", recv(fd, b, sizeof(b), MSG_DONTWAIT));
	recv_print("MSG_ERRQUEUE again", fd, 64, 1024, 1, MSG_ERRQUEUE);

	scenario = "udp port unreachable, recv first";
	res("send", send(fd, "probe-two", 9, 0));
	wait_in(fd);
	res("recv", recv(fd, b, sizeof(b), 0));
	ready_print("ready, error taken, still queued", fd);
	recv_print("MSG_ERRQUEUE short buffers", fd, 4, 24, 1, MSG_ERRQUEUE);
	ready_print("ready, queue read", fd);
	res("recv after the queue", recv(fd, b, sizeof(b), MSG_DONTWAIT));

	scenario = "udp error queued, SO_ERROR first";
	res("send", send(fd, "probe-a", 7, 0));
	wait_in(fd);
	{
		int v = -1;
		socklen_t l = sizeof(v);

		res("SO_ERROR", getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l));
		out("value", "%d", v);
	}
	ready_print("ready, error taken, one queued", fd);
	recv_print("MSG_ERRQUEUE", fd, 64, 1024, 1, MSG_ERRQUEUE);
	ready_print("ready, queue read", fd);

	scenario = "udp error queued, IP_RECVERR off";
	res("send", send(fd, "probe-b", 7, 0));
	wait_in(fd);
	res("recv", recv(fd, b, sizeof(b), 0));
	setopt("IP_RECVERR off", fd, SOL_IP, IP_RECVERR, 0);
	ready_print("ready, queue purged", fd);
	recv_print("MSG_ERRQUEUE", fd, 64, 1024, 1, MSG_ERRQUEUE | MSG_DONTWAIT);
	setopt("IP_RECVERR", fd, SOL_IP, IP_RECVERR, 1);

	scenario = "udp port unreachable with IP_RECVTTL";
	setopt("IP_RECVTTL", fd, SOL_IP, IP_RECVTTL, 1);
	res("send", send(fd, "probe-three", 11, 0));
	wait_in(fd);
	recv_print("MSG_ERRQUEUE", fd, 64, 1024, 1, MSG_ERRQUEUE);
	close(fd);
}

/*
 * Reads zerocopy completions until one ends at id last: how many arrive
 * depends on when the kernel freed each send (it merges adjacent ones
 * still queued), so only what they cover and say is printed.
 */
static void zc_collect(const char *step, int fd, unsigned int first, unsigned int last)
{
	unsigned int next = first, bad = 0;
	int64_t lo = -1;

	for (;;) {
		union {
			struct cmsghdr align;
			char buf[256];
		} ctl;
		struct sockaddr_in from;
		char data[16];
		struct iovec iov = {data, sizeof(data)};
		struct msghdr m = {.msg_name = &from,
				   .msg_namelen = sizeof(from),
				   .msg_iov = &iov,
				   .msg_iovlen = 1,
				   .msg_control = ctl.buf,
				   .msg_controllen = sizeof(ctl)};
		struct pollfd p = {fd, 0, 0};
		struct cmsghdr *cm;
		struct sock_extended_err ee;
		ssize_t n;

		if (poll(&p, 1, WAIT_MS) != 1) {
			out(step, "timeout after ids %lld..%u", (long long)lo, next - 1);
			return;
		}
		n = recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
		cm = n < 0 ? NULL : CMSG_FIRSTHDR(&m);
		if (!cm || cm->cmsg_level != SOL_IP || cm->cmsg_type != IP_RECVERR) {
			out(step, "recvmsg %zd errno %s, no IP_RECVERR", n,
			    n < 0 ? strerror(errno) : "-");
			return;
		}
		memcpy(&ee, CMSG_DATA(cm), sizeof(ee));
		/* Each: no data, no name, errno 0, ZEROCOPY COPIED, no offender, ids in order. */
		bad += n != 0 || m.msg_namelen != 0 || m.msg_flags != MSG_ERRQUEUE ||
		       ee.ee_errno != 0 || ee.ee_origin != SO_EE_ORIGIN_ZEROCOPY ||
		       ee.ee_code != SO_EE_CODE_ZEROCOPY_COPIED || ee.ee_info != next ||
		       ee.ee_data < ee.ee_info ||
		       ((struct sockaddr_in *)SO_EE_OFFENDER(
				(struct sock_extended_err *)CMSG_DATA(cm)))
				       ->sin_family != AF_UNSPEC;
		if (lo < 0)
			lo = ee.ee_info;
		next = ee.ee_data + 1;
		if (ee.ee_data >= last)
			break;
	}
	out(step, "ids %lld..%u, each as the kernel's copied completion: %s", (long long)lo,
	    next - 1, bad ? "no" : "yes");
}

/* SO_ZEROCOPY and MSG_ZEROCOPY: completions on the error queue, as copied. */
static void udp_zerocopy(void)
{
	/* Nobody answers there, and an unconnected socket hears no port unreachable. */
	struct sockaddr_in to = {
		.sin_family = AF_INET, .sin_port = htons(PORT_CLOSED), .sin_addr = peer};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	scenario = "udp zerocopy";
	setopt("SO_ZEROCOPY", fd, SOL_SOCKET, SO_ZEROCOPY, 1);
	ready_print("ready before", fd);
	for (int i = 0; i < 3; i++)
		res("sendto MSG_ZEROCOPY",
		    sendto(fd, "zc", 2, MSG_ZEROCOPY, (struct sockaddr *)&to, sizeof(to)));
	/* A veth frees (copies) the datagrams before send() returns: ERR at once. */
	ready_print("ready as the send returned", fd);
	zc_collect("completions", fd, 0, 2);
	ready_print("ready, completions read", fd);
	recv_print("MSG_ERRQUEUE empty", fd, 16, 256, 1, MSG_ERRQUEUE | MSG_DONTWAIT);

	scenario = "udp zerocopy: no id without SO_ZEROCOPY or MSG_ZEROCOPY, one for no data";
	setopt("SO_ZEROCOPY off", fd, SOL_SOCKET, SO_ZEROCOPY, 0);
	res("sendto MSG_ZEROCOPY",
	    sendto(fd, "zc", 2, MSG_ZEROCOPY, (struct sockaddr *)&to, sizeof(to)));
	setopt("SO_ZEROCOPY", fd, SOL_SOCKET, SO_ZEROCOPY, 1);
	res("sendto", sendto(fd, "zc", 2, 0, (struct sockaddr *)&to, sizeof(to)));
	res("sendto 0 bytes MSG_ZEROCOPY",
	    sendto(fd, "", 0, MSG_ZEROCOPY, (struct sockaddr *)&to, sizeof(to)));
	res("sendto MSG_ZEROCOPY",
	    sendto(fd, "zc", 2, MSG_ZEROCOPY, (struct sockaddr *)&to, sizeof(to)));
	zc_collect("completions", fd, 3, 4);
	close(fd);
}

/* Waits until fd reports an error (POLLERR, always polled); prints only a timeout. */
static void wait_err(int fd)
{
	struct pollfd p = {fd, 0, 0};

	if (poll(&p, 1, WAIT_MS) != 1)
		out("wait for ERR", "timeout");
}

static long long ts_ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

/*
 * The frame a transmit stamp returns (without OPT_TSONLY), summarised
 * without the values that change from run to run (addresses by name, no
 * MACs, IP id or checksums).
 */
static void tx_frame_print(const unsigned char *d, size_t n)
{
	const struct iphdr *iph = (const struct iphdr *)(d + 14);
	struct in_addr sa, da;

	if (n < 14 + sizeof(*iph)) {
		out("frame", "%zu bytes", n);
		return;
	}
	memcpy(&sa, &iph->saddr, sizeof(sa));
	memcpy(&da, &iph->daddr, sizeof(da));
	out("frame",
	    "%zu bytes, ethertype %02x%02x, ip ihl %u tos 0x%02x len %u df %u ttl %u proto %u", n,
	    d[12], d[13], iph->ihl, iph->tos, ntohs(iph->tot_len), !!(ntohs(iph->frag_off) & IP_DF),
	    iph->ttl, iph->protocol);
	out("frame", "from %s", addr_name(sa));
	out("frame", "to %s, then %zu bytes ending '%.*s'", addr_name(da), n - 14 - iph->ihl * 4u,
	    4, (const char *)d + n - 4);
}

/*
 * Waits for ERR, reads one entry from the error queue and prints it; its
 * software stamp must lie between sent (taken before the send) and now.
 */
static void tx_stamp_read(const char *step, int fd, const struct timespec *sent)
{
	union {
		struct cmsghdr align;
		char buf[1024];
	} ctl;
	unsigned char data[256];
	struct sockaddr_in from = {0};
	struct iovec iov = {data, sizeof(data)};
	struct msghdr m = {.msg_name = &from,
			   .msg_namelen = sizeof(from),
			   .msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = ctl.buf,
			   .msg_controllen = sizeof(ctl)};
	struct timespec now;
	const char *when = "no stamp";
	ssize_t n;

	wait_err(fd);
	n = recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
	clock_gettime(CLOCK_REALTIME, &now);
	res(step, n);
	if (n < 0)
		return;
	out("name", "len %u", m.msg_namelen);
	out("flags", "%s", flag_names(m.msg_flags));
	if (n > 0)
		tx_frame_print(data, (size_t)n);
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		print_cmsg(cm);
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_TIMESTAMPING_OLD) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			when = ts_ns(&ts) >= ts_ns(sent) && ts_ns(&ts) <= ts_ns(&now)
				       ? "between the send and the read"
				       : "outside the send and the read";
		}
	}
	out("stamp", "%s", when);
}

/* Sends one datagram, then reads its transmit stamp. */
static void tx_stamp_one(const char *step, int fd, const struct sockaddr_in *to, const void *d,
			 size_t len)
{
	struct timespec sent;

	clock_gettime(CLOCK_REALTIME, &sent);
	res(step, sendto(fd, d, len, 0, (const struct sockaddr *)to, sizeof(*to)));
	tx_stamp_read("MSG_ERRQUEUE", fd, &sent);
}

/*
 * A stamp queued after a MSG_ERRQUEUE read found the queue empty: the
 * datagram waits for ARP at LATE, an address nobody has until the test
 * script's command DGRAM_CMSG_LATE_ON gives it to the peer (ARP probes go
 * 1 s apart); the stamp comes when it leaves, and raises ERR then
 * (sk_error_report), which wakes a poll waiting for it.
 */
static void tx_stamp_late(void)
{
	const char *on = getenv("DGRAM_CMSG_LATE_ON"), *off = getenv("DGRAM_CMSG_LATE_OFF");
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
	struct timespec sent;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	scenario = "udp tx stamp queued after an empty read";
	if (!on || !off) {
		out("DGRAM_CMSG_LATE_ON/OFF", "not set");
		return;
	}
	inet_aton(LATE, &to.sin_addr);
	setopt("SO_TIMESTAMPING", fd, SOL_SOCKET, SO_TIMESTAMPING_OLD,
	       SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
		       SOF_TIMESTAMPING_OPT_TSONLY);
	clock_gettime(CLOCK_REALTIME, &sent);
	res("sendto, waiting for ARP",
	    sendto(fd, "late", 4, 0, (struct sockaddr *)&to, sizeof(to)));
	/* No stamp yet, so no ERR (none from the send alone). */
	ready_print("ready as the send returned", fd);
	recv_print("MSG_ERRQUEUE before it left", fd, 16, 256, 1, MSG_ERRQUEUE | MSG_DONTWAIT);
	ready_print("ready before it left", fd);
	res("the address comes", system(on));
	tx_stamp_read("MSG_ERRQUEUE once it left", fd, &sent);
	ready_print("ready, the stamp read", fd);
	res("the address goes", system(off));
	close(fd);
}

/*
 * SO_TIMESTAMPING with TX_SOFTWARE: each datagram's software transmit
 * stamp on the error queue, with its OPT_ID key, alone (OPT_TSONLY) or
 * with the frame as it left; ERR while one is queued.
 */
static void tx_stamps(void)
{
	const int tsonly = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
			   SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
	struct sockaddr_in to = {
		.sin_family = AF_INET, .sin_port = htons(PORT_CLOSED), .sin_addr = peer};
	struct icmphdr req = {.type = ICMP_ECHO};
	struct timespec sent;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), p;

	scenario = "udp tx stamps, OPT_TSONLY and OPT_ID";
	setopt("SO_TIMESTAMPING", fd, SOL_SOCKET, SO_TIMESTAMPING_OLD, tsonly);
	clock_gettime(CLOCK_REALTIME, &sent);
	res("sendto", sendto(fd, "tx-1", 4, 0, (struct sockaddr *)&to, sizeof(to)));
	res("sendto", sendto(fd, "tx-2", 4, 0, (struct sockaddr *)&to, sizeof(to)));
	/* On a veth the stamps are queued before send() returns: ERR at once. */
	ready_print("ready as the send returned", fd);
	wait_err(fd);
	ready_print("ready, stamps queued", fd);
	tx_stamp_read("MSG_ERRQUEUE first", fd, &sent);
	tx_stamp_read("MSG_ERRQUEUE second", fd, &sent);
	ready_print("ready, stamps read", fd);
	recv_print("MSG_ERRQUEUE empty", fd, 16, 256, 1, MSG_ERRQUEUE | MSG_DONTWAIT);

	scenario = "udp tx stamps, the whole frame";
	setopt("SO_TIMESTAMPING", fd, SOL_SOCKET, SO_TIMESTAMPING_OLD,
	       SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE);
	tx_stamp_one("sendto", fd, &to, "frame", 5);
	setopt("SO_TIMESTAMP too", fd, SOL_SOCKET, SO_TIMESTAMP_OLD, 1);
	tx_stamp_one("sendto", fd, &to, "frame", 5);
	setopt("SO_TIMESTAMP off", fd, SOL_SOCKET, SO_TIMESTAMP_OLD, 0);

	scenario = "udp tx stamps, OPT_ID on again starts at 0";
	setopt("SO_TIMESTAMPING", fd, SOL_SOCKET, SO_TIMESTAMPING_OLD, tsonly);
	tx_stamp_one("sendto", fd, &to, "again", 5);
	scenario = "udp tx stamps, TX_SOFTWARE off";
	setopt("SO_TIMESTAMPING", fd, SOL_SOCKET, SO_TIMESTAMPING_OLD, SOF_TIMESTAMPING_SOFTWARE);
	res("sendto", sendto(fd, "none", 4, 0, (struct sockaddr *)&to, sizeof(to)));
	recv_print("MSG_ERRQUEUE", fd, 16, 256, 1, MSG_ERRQUEUE | MSG_DONTWAIT);
	close(fd);

	scenario = "ping socket tx stamps";
	p = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	setopt("SO_TIMESTAMPING", p, SOL_SOCKET, SO_TIMESTAMPING_OLD, tsonly);
	tx_stamp_one("sendto", p, &to, &req, sizeof(req));
	close(p);
}

/* sendto with SO_TIMESTAMPING flags as a control message (none if flags < 0). */
static ssize_t send_ts(int fd, const struct sockaddr_in *to, const void *d, size_t len,
		       long long flags)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(uint32_t))];
	} ctl = {0};
	struct iovec iov = {(void *)d, len};
	struct msghdr m = {.msg_name = (void *)to,
			   .msg_namelen = sizeof(*to),
			   .msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = flags < 0 ? NULL : ctl.buf,
			   .msg_controllen = flags < 0 ? 0 : sizeof(ctl.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	uint32_t f = (uint32_t)flags;

	if (flags >= 0) {
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SO_TIMESTAMPING_OLD;
		cm->cmsg_len = CMSG_LEN(sizeof(f));
		memcpy(CMSG_DATA(cm), &f, sizeof(f));
	}
	return sendmsg(fd, &m, 0);
}

/*
 * SO_TIMESTAMPING as a control message of a send (__sock_cmsg_send: the
 * bits it takes, which replace the socket's TX_* bits for that datagram
 * only), and TX_SCHED (a stamp as the frame enters the qdisc, before the
 * software one): on the error queue in the kernel's order, OPT_ID keys
 * counting only the datagrams stamped.
 */
static void tx_stamps_send(void)
{
	const int base =
		SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
	struct sockaddr_in to = {
		.sin_family = AF_INET, .sin_port = htons(PORT_CLOSED), .sin_addr = peer};
	struct icmphdr req = {.type = ICMP_ECHO};
	struct timespec sent;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), p;
	char step[32];

	scenario = "udp tx stamps, the bits a send's SO_TIMESTAMPING takes";
	clock_gettime(CLOCK_REALTIME, &sent);
	for (int b = 0; b < 20; b++) {
		snprintf(step, sizeof(step), "bit %d", b);
		res(step, send_ts(fd, &to, "bits", 4, 1LL << b));
	}
	/* TX_SOFTWARE's stamp, then TX_SCHED's (each its own datagram). */
	tx_stamp_read("MSG_ERRQUEUE first", fd, &sent);
	tx_stamp_read("MSG_ERRQUEUE second", fd, &sent);
	recv_print("MSG_ERRQUEUE empty", fd, 16, 256, 1, MSG_ERRQUEUE | MSG_DONTWAIT);

	scenario = "udp tx stamps, per message";
	setopt("SO_TIMESTAMPING", fd, SOL_SOCKET, SO_TIMESTAMPING_OLD, base);
	clock_gettime(CLOCK_REALTIME, &sent);
	res("sendmsg TX_SOFTWARE", send_ts(fd, &to, "msg1", 4, SOF_TIMESTAMPING_TX_SOFTWARE));
	res("sendmsg none", send_ts(fd, &to, "msg2", 4, -1));
	res("sendmsg TX_SOFTWARE", send_ts(fd, &to, "msg3", 4, SOF_TIMESTAMPING_TX_SOFTWARE));
	tx_stamp_read("MSG_ERRQUEUE first", fd, &sent);
	tx_stamp_read("MSG_ERRQUEUE second", fd, &sent);
	recv_print("MSG_ERRQUEUE empty", fd, 16, 256, 1, MSG_ERRQUEUE | MSG_DONTWAIT);
	setopt("SO_TIMESTAMPING TX_SOFTWARE", fd, SOL_SOCKET, SO_TIMESTAMPING_OLD,
	       base | SOF_TIMESTAMPING_TX_SOFTWARE);
	clock_gettime(CLOCK_REALTIME, &sent);
	res("sendmsg 0", send_ts(fd, &to, "msg4", 4, 0));
	res("sendmsg none", send_ts(fd, &to, "msg5", 4, -1));
	tx_stamp_read("MSG_ERRQUEUE", fd, &sent);
	recv_print("MSG_ERRQUEUE empty", fd, 16, 256, 1, MSG_ERRQUEUE | MSG_DONTWAIT);

	scenario = "udp tx stamps, TX_SCHED";
	setopt("SO_TIMESTAMPING", fd, SOL_SOCKET, SO_TIMESTAMPING_OLD,
	       base | SOF_TIMESTAMPING_TX_SCHED | SOF_TIMESTAMPING_TX_SOFTWARE);
	clock_gettime(CLOCK_REALTIME, &sent);
	res("sendto", sendto(fd, "sch1", 4, 0, (struct sockaddr *)&to, sizeof(to)));
	tx_stamp_read("MSG_ERRQUEUE first", fd, &sent);
	tx_stamp_read("MSG_ERRQUEUE second", fd, &sent);
	setopt("SO_TIMESTAMPING", fd, SOL_SOCKET, SO_TIMESTAMPING_OLD,
	       base | SOF_TIMESTAMPING_TX_SCHED);
	tx_stamp_one("sendto", fd, &to, "sch2", 4);
	recv_print("MSG_ERRQUEUE empty", fd, 16, 256, 1, MSG_ERRQUEUE | MSG_DONTWAIT);
	close(fd);

	/*
	 * OPT_CMSG: a stamp with the frame gets the socket's IP_* messages
	 * (IP_PKTINFO naming the device it left by) and its source as the
	 * offender; OPT_TSONLY's gets neither.
	 */
	scenario = "udp tx stamps, OPT_CMSG";
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	setopt("IP_PKTINFO", fd, SOL_IP, IP_PKTINFO, 1);
	setopt("IP_RECVTTL", fd, SOL_IP, IP_RECVTTL, 1);
	setopt("SO_TIMESTAMPING", fd, SOL_SOCKET, SO_TIMESTAMPING_OLD,
	       SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID |
		       SOF_TIMESTAMPING_OPT_CMSG);
	tx_stamp_one("sendto", fd, &to, "ocms", 4);
	setopt("SO_TIMESTAMPING OPT_TSONLY", fd, SOL_SOCKET, SO_TIMESTAMPING_OLD,
	       base | SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_OPT_CMSG);
	tx_stamp_one("sendto", fd, &to, "ocms", 4);
	close(fd);

	scenario = "ping socket tx stamps, TX_SCHED";
	p = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	setopt("SO_TIMESTAMPING", p, SOL_SOCKET, SO_TIMESTAMPING_OLD,
	       base | SOF_TIMESTAMPING_TX_SCHED);
	tx_stamp_one("sendto", p, &to, &req, sizeof(req));
	close(p);
}

/* SIOCGSTAMP: ENOENT before a datagram, a time after one. */
static void udp_stamp_ioctl(void)
{
	int fd = udp_to(PORT_ECHO);
	struct timeval tv;
	struct timespec ts;
	char b[16];

	scenario = "udp SIOCGSTAMP";
	res("SIOCGSTAMP fresh", ioctl(fd, SIOCGSTAMP, &tv));
	res("send", send(fd, "ping", 4, 0));
	wait_in(fd);
	res("recv", recv(fd, b, sizeof(b), 0));
	if (ioctl(fd, SIOCGSTAMP, &tv) == 0)
		out("SIOCGSTAMP", "%s", stamp_name(tv.tv_sec, tv.tv_usec, 1000000));
	else
		res("SIOCGSTAMP", -1);
	if (ioctl(fd, SIOCGSTAMPNS, &ts) == 0)
		out("SIOCGSTAMPNS", "%s", stamp_name(ts.tv_sec, ts.tv_nsec, 1000000000));
	else
		res("SIOCGSTAMPNS", -1);
	close(fd);
}

static long long ns_of(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* A SIOCGSTAMP time against a datagram sent at sent and seen by poll at woke. */
static const char *stamp_when(long long stamp, const struct timespec *sent,
			      const struct timespec *woke)
{
	if (stamp > ns_of(sent) && stamp < ns_of(woke))
		return "its arrival";
	return stamp >= ns_of(woke) ? "later" : "before the send";
}

/*
 * SIOCGSTAMPNS after one echo read with flags: whether it is that
 * datagram's arrival (after the send, before poll saw it), a time after
 * it (the call's own), or an error. *stamp: what it gave.
 */
static void stamp_echo(const char *step, int fd, int flags, long long *stamp)
{
	struct timespec sent, woke, ts;
	char b[16];

	clock_gettime(CLOCK_REALTIME, &sent);
	res("send", send(fd, "ping", 4, 0));
	wait_in(fd);
	clock_gettime(CLOCK_REALTIME, &woke);
	res(flags & MSG_PEEK ? "peek" : "recv", recv(fd, b, sizeof(b), flags));
	if (ioctl(fd, SIOCGSTAMPNS, &ts) < 0) {
		res(step, -1);
		return;
	}
	*stamp = ns_of(&ts);
	out(step, "%s", stamp_when(*stamp, &sent, &woke));
}

/*
 * sock_gettstamp and sock_recv_cmsgs: a read with stamping off leaves 0,
 * which the first SIOCGSTAMP turns into its own time (kept); SIOCGSTAMP
 * turns stamping on, and from then on each read, peeked or not, leaves the
 * datagram's arrival time; a read whose stamp goes out as SO_TIMESTAMP
 * leaves nothing; TCP never has one.
 */
static void udp_stamp_arrival(void)
{
	long long first = 0, again = 0, peeked = 0;
	int fd = udp_to(PORT_ECHO), t;
	struct timespec ts;
	char b[16];

	scenario = "udp SIOCGSTAMP arrival";
	stamp_echo("SIOCGSTAMPNS after a read before any", fd, 0, &first);
	stamp_echo("SIOCGSTAMPNS after the next read", fd, 0, &again);
	res("SIOCGSTAMPNS once more", ioctl(fd, SIOCGSTAMPNS, &ts));
	out("the same as the last", "%s", ns_of(&ts) == again ? "yes" : "no");
	stamp_echo("SIOCGSTAMPNS after a peek", fd, MSG_PEEK, &peeked);
	res("recv", recv(fd, b, sizeof(b), 0));
	res("SIOCGSTAMPNS after reading the peeked one", ioctl(fd, SIOCGSTAMPNS, &ts));
	out("the peeked one's", "%s", ns_of(&ts) == peeked ? "yes" : "no");
	close(fd);

	scenario = "udp SIOCGSTAMP with SO_TIMESTAMP";
	fd = udp_to(PORT_ECHO);
	setopt("SO_TIMESTAMP on", fd, SOL_SOCKET, SO_TIMESTAMP, 1);
	stamp_echo("SIOCGSTAMPNS", fd, 0, &first);
	setopt("SO_TIMESTAMP off", fd, SOL_SOCKET, SO_TIMESTAMP, 0);
	stamp_echo("SIOCGSTAMPNS after it is off", fd, 0, &first);
	close(fd);

	scenario = "tcp SIOCGSTAMP";
	t = socket(AF_INET, SOCK_STREAM, 0);
	res("SIOCGSTAMPNS", ioctl(t, SIOCGSTAMPNS, &ts));
	close(t);
}

/* ICMP sockets: a ping socket and a raw socket read the reply's TTL. */
/* The checksum of an ICMP header without payload. */
static void icmp_checksum(struct icmphdr *req)
{
	const unsigned short *w = (const unsigned short *)req;
	unsigned int sum = 0;

	req->checksum = 0;
	for (size_t i = 0; i < sizeof(*req) / 2; i++)
		sum += w[i];
	sum = (sum >> 16) + (sum & 0xffff);
	req->checksum = (unsigned short)~(sum + (sum >> 16));
}

static void icmp_cmsgs(int type)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = peer};
	struct icmphdr req = {.type = ICMP_ECHO};
	struct timespec ts, sent, woke;
	char b[128];
	int fd;

	scenario = type == SOCK_DGRAM ? "ping socket" : "raw icmp socket";
	fd = socket(AF_INET, type, IPPROTO_ICMP);
	res("socket", fd < 0 ? -1 : 0);
	if (fd < 0)
		return;
	setopt("IP_RECVTTL", fd, SOL_IP, IP_RECVTTL, 1);
	setopt("IP_PKTINFO", fd, SOL_IP, IP_PKTINFO, 1);
	setopt("SO_TIMESTAMP", fd, SOL_SOCKET, SO_TIMESTAMP_OLD, 1);
	req.un.echo.id = htons(0x4242);
	req.un.echo.sequence = htons(1);
	/* A raw socket must checksum itself; a ping socket fills it in. */
	icmp_checksum(&req);
	res("sendto", sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)));
	/* A raw socket also sees other ICMP (none here): the first message is the reply. */
	wait_in(fd);
	recv_print("recvmsg", fd, type == SOCK_DGRAM ? sizeof(b) : 20, 1024, 1, 0);
	/* raw_recvmsg and ping_recvmsg leave sk_stamp as udp_recvmsg does. */
	res("SIOCGSTAMPNS with SO_TIMESTAMP", ioctl(fd, SIOCGSTAMPNS, &ts));
	setopt("SO_TIMESTAMP off", fd, SOL_SOCKET, SO_TIMESTAMP_OLD, 0);
	req.un.echo.sequence = htons(2);
	req.checksum = 0;
	icmp_checksum(&req);
	clock_gettime(CLOCK_REALTIME, &sent);
	res("sendto", sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)));
	wait_in(fd);
	clock_gettime(CLOCK_REALTIME, &woke);
	res("recv", recv(fd, b, type == SOCK_DGRAM ? sizeof(b) : 20, 0) > 0 ? 0 : -1);
	if (ioctl(fd, SIOCGSTAMPNS, &ts) == 0)
		out("SIOCGSTAMPNS after it is off", "%s", stamp_when(ns_of(&ts), &sent, &woke));
	else
		res("SIOCGSTAMPNS after it is off", -1);
	close(fd);
}

static void filter_on(const char *step, int fd, struct sock_filter *prog, size_t n)
{
	struct sock_fprog fprog = {.len = (unsigned short)n, .filter = prog};

	res(step, setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)));
}

/*
 * Attaches prog, sends a 200-byte datagram to the echo and shows how much
 * of the echo the filter kept, less one (the programs add 1: 0 would drop).
 */
static void udp_filter_run(int fd, const char *what, struct sock_filter *prog, size_t n)
{
	/* Netlink attributes at payload offset 0 (UDP offset 8), for SKF_AD_NLATTR(_NEST). */
	unsigned char payload[200] = {16, 0, 1, 0, 8, 0, 3, 0, 'n', 'e', 's', 't',
				      0,  0, 0, 0, 8, 0, 7, 0, 'x', 'y', 'z', 0};
	char b[300];
	ssize_t got;

	filter_on(what, fd, prog, n);
	send(fd, payload, sizeof(payload), 0);
	wait_in(fd);
	got = recv(fd, b, sizeof(b), MSG_DONTWAIT);
	if (got <= 0)
		out(what, "recv %zd", got);
	else
		out(what, "value %zd", got - 1);
}

/*
 * A filter that shows a value: first (a load into A, with X = 7), then
 * A = ((A >> shift) - sub) & 0x7f, keep the UDP header and A + 1 bytes.
 */
static void udp_filter_value(int fd, const char *what, struct sock_filter first, unsigned int shift,
			     unsigned int sub)
{
	struct sock_filter prog[] = {
		BPF_STMT(BPF_LDX | BPF_IMM, 7),
		first,
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, shift),
		BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, sub),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x7f),
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 8 + 1),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};

	udp_filter_run(fd, what, prog, sizeof(prog) / sizeof(prog[0]));
}

/* SKF_AD_NLATTR(_NEST) with A = the UDP offset of the attributes, X = the type looked for. */
static void udp_filter_nlattr(int fd, const char *what, int anc, unsigned int a, unsigned int x)
{
	struct sock_filter prog[] = {
		BPF_STMT(BPF_LD | BPF_IMM, a),
		BPF_STMT(BPF_LDX | BPF_IMM, x),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + (unsigned int)anc),
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 8 + 1),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};

	udp_filter_run(fd, what, prog, sizeof(prog) / sizeof(prog[0]));
}

/* The SO_RXQ_OVFL count on the next datagram. */
static void rxq_ovfl_print(const char *step, int fd)
{
	union {
		struct cmsghdr align;
		char buf[256];
	} ctl;
	char data[100];
	struct iovec iov = {data, sizeof(data)};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = ctl.buf,
			   .msg_controllen = sizeof(ctl)};
	unsigned int drops = 0;

	wait_in(fd);
	if (recvmsg(fd, &m, MSG_DONTWAIT) < 0) {
		res(step, -1);
		return;
	}
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL)
			memcpy(&drops, CMSG_DATA(cm), sizeof(drops));
	out(step, "%u", drops);
}

/* Receives until "kend", printing what came. */
static void recv_until_end(int fd)
{
	char b[300];
	ssize_t n;

	do {
		wait_in(fd);
		n = recv(fd, b, sizeof(b) - 1, MSG_DONTWAIT);
		if (n < 0) {
			res("recv", n);
			return;
		}
		b[n] = '\0';
		out("received", "%zd \"%s\"", n, b);
	} while (strcmp(b, "kend"));
}

/*
 * Socket filters on UDP: the program sees the datagram from its UDP header,
 * the IP and link headers at SKF_NET_OFF and SKF_LL_OFF, the metadata at
 * SKF_AD_*; 0 drops it (SO_RXQ_OVFL counts it), n keeps n bytes but never
 * the header's 8 less.
 */
static void udp_filter(void)
{
	struct sock_filter by_content[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 8),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 'k', 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 'o', 0, 2),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 1000), /* past the end: the program returns 0 */
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 'd', 0, 3),
		BPF_STMT(BPF_LDX | BPF_IMM, 0),
		BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0), /* by 0: the program returns 0 */
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 't', 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 3), /* below the UDP header: the header stays */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 's', 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 8 + 2),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	static const struct {
		const char *what;
		struct sock_filter first;
		unsigned int shift, sub;
	} values[] = {
		{"len", BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0), 1, 0},
		{"udp source port", BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0), 0, PORT_ECHO},
		{"ip version", BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_NET_OFF), 4, 0},
		{"ip ttl", BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_NET_OFF + 8), 0, 0},
		{"ip protocol", BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_NET_OFF + 9), 0, 0},
		{"ip tos", BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_NET_OFF + 1), 2, 0},
		{"ethertype", BPF_STMT(BPF_LD | BPF_H | BPF_ABS, SKF_LL_OFF + 12), 5, 0},
		{"payload by index", BPF_STMT(BPF_LD | BPF_B | BPF_IND, 1), 0, 0}, /* X = 7 */
		{"protocol", BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL), 5,
		 0},
		{"ll source mac", BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_LL_OFF + 6), 0, 0},
		{"pkttype", BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE), 0, 0},
		{"ifindex", BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_IFINDEX), 0, 0},
		{"hatype", BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_HATYPE), 0, 0},
		{"mark", BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_MARK), 0, 0},
		{"vlan tag", BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_VLAN_TAG), 0,
		 0},
		{"vlan present",
		 BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT), 0, 0},
		{"pay offset", BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PAY_OFFSET),
		 0, 0},
		{"xor x", BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_ALU_XOR_X), 0, 0},
	};
	int fd = udp_to(PORT_ECHO), ifx = (int)ifindex;

	scenario = "udp filter";
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct sock_filter first = values[i].first;
		unsigned int sub = values[i].sub;

		if (!strcmp(values[i].what, "ifindex"))
			sub = (unsigned int)ifx; /* 0: the interface the datagram came in on */
		udp_filter_value(fd, values[i].what, first, values[i].shift, sub);
	}
	/* SKF_AD_NLATTR reads A: the first attribute's offset; _NEST looks inside it. */
	udp_filter_nlattr(fd, "nlattr 7 from 8", SKF_AD_NLATTR, 8, 7);
	udp_filter_nlattr(fd, "nlattr 3 from 8", SKF_AD_NLATTR, 8, 3);
	udp_filter_nlattr(fd, "nlattr nest 3 in 8", SKF_AD_NLATTR_NEST, 8, 3);
	udp_filter_nlattr(fd, "nlattr nest 7 in 8", SKF_AD_NLATTR_NEST, 8, 7);
	udp_filter_nlattr(fd, "nlattr 7 from 300", SKF_AD_NLATTR, 300, 7);
	filter_on("by content", fd, by_content, sizeof(by_content) / sizeof(by_content[0]));
	setopt("SO_RXQ_OVFL", fd, SOL_SOCKET, SO_RXQ_OVFL, 1);
	for (const char *const *m =
		     (const char *const[]){"o", "d", "z", "kept", "t", "short", "kend", NULL};
	     *m; m++)
		send(fd, *m, strlen(*m), 0);
	recv_until_end(fd);
	send(fd, "kend", 4, 0);
	rxq_ovfl_print("drops counted", fd);
	res("detach", setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &(int){0}, sizeof(int)));
	send(fd, "z", 1, 0);
	send(fd, "kend", 4, 0);
	recv_until_end(fd);
	close(fd);
}

/*
 * Socket filters on ping and raw ICMP sockets: the program sees the reply
 * from its ICMP header (ping) or IP header (raw); n keeps n bytes.
 */
static void icmp_filter(int type)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = peer};
	struct sock_filter keep[] = {
		/* ping: the ICMP type (0) + 6; raw: the IP protocol (1) + 20 */
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, type == SOCK_DGRAM ? 0 : 9),
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, type == SOCK_DGRAM ? 6 : 20),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_filter pay[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PAY_OFFSET),
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_filter none[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
	struct icmphdr req = {.type = ICMP_ECHO};
	char b[128];
	int fd;

	scenario = type == SOCK_DGRAM ? "ping filter" : "raw icmp filter";
	fd = socket(AF_INET, type, IPPROTO_ICMP);
	res("socket", fd < 0 ? -1 : 0);
	if (fd < 0)
		return;
	req.un.echo.id = htons(0x4243);
	for (int i = 0; i < 3; i++) {
		if (i == 0)
			filter_on("keep by header", fd, keep, sizeof(keep) / sizeof(keep[0]));
		else if (i == 1)
			filter_on("keep to the payload", fd, pay, sizeof(pay) / sizeof(pay[0]));
		else
			filter_on("drop", fd, none, 1);
		req.un.echo.sequence = htons((unsigned short)(i + 1));
		icmp_checksum(&req);
		res("sendto", sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)));
		if (i == 2) {
			struct pollfd p = {fd, POLLIN, 0};

			/* Nothing may come: the reply was dropped (a short wait, its absence is the
			 * result). */
			res("poll after the dropped reply", poll(&p, 1, 300));
			break;
		}
		wait_in(fd);
		res("recv", recv(fd, b, sizeof(b), MSG_DONTWAIT));
	}
	close(fd);
}

/* A UDP datagram to PORT_CLOSED through a raw UDP socket (checksum 0: none). */
static void raw_udp_send(const char *step, int fd)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = peer};
	struct {
		struct udphdr uh;
		char data[4];
	} pkt = {.uh = {.source = htons(40000), .dest = htons(PORT_CLOSED), .len = htons(12)},
		 .data = "raw!"};

	res(step, sendto(fd, &pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)));
}

/*
 * ICMP errors on raw sockets (raw_err): queued with IP_RECVERR (the quoted
 * packet from its transport header as data), the error pending with
 * IP_RECVERR or on a connected socket for a hard error, nothing otherwise.
 */
static void raw_errqueue(void)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = peer};
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	char b[64];

	scenario = "raw errqueue";
	res("socket", fd < 0 ? -1 : 0);
	if (fd < 0)
		return;
	setopt("IP_RECVERR", fd, SOL_IP, IP_RECVERR, 1);
	raw_udp_send("send to a closed port", fd);
	wait_err(fd);
	ready_print("queued", fd);
	recv_print("recvmsg(ERRQUEUE)", fd, 100, 1024, 1, MSG_ERRQUEUE);
	recv_print("recvmsg(ERRQUEUE) again", fd, 100, 1024, 1, MSG_ERRQUEUE | MSG_DONTWAIT);
	ready_print("after", fd);
	setopt("IP_RECVERR off", fd, SOL_IP, IP_RECVERR, 0);
	res("connect", connect(fd, (struct sockaddr *)&to, sizeof(to)));
	raw_udp_send("connected, send to a closed port", fd);
	wait_err(fd);
	ready_print("hard error", fd);
	res("recv", recv(fd, b, sizeof(b), MSG_DONTWAIT));
	res("recv again", recv(fd, b, sizeof(b), MSG_DONTWAIT));
	close(fd);
}

/* sendmsg with one control message (level, type, data of len bytes), then the peer's view. */
static void send_cmsg(int fd, const char *step, int level, int type, const void *data, size_t len)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(64)];
	} ctl = {0};
	struct iovec iov = {"seen?", 5};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = ctl.buf,
			   .msg_controllen = CMSG_SPACE(len)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	char b[128], selfs[INET_ADDRSTRLEN], *at;
	ssize_t n;

	cm->cmsg_level = level;
	cm->cmsg_type = type;
	cm->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(cm), data, len);
	n = sendmsg(fd, &m, 0);
	res(step, n);
	if (n < 0)
		return;
	wait_in(fd);
	n = recv(fd, b, sizeof(b) - 1, MSG_DONTWAIT);
	if (n < 0) {
		res("peer saw", n);
		return;
	}
	b[n] = 0;
	inet_ntop(AF_INET, &self, selfs, sizeof(selfs));
	at = strstr(b, selfs);
	if (at)
		snprintf(at, sizeof(b) - (size_t)(at - b), "SELF");
	out("peer saw", "%s", b);
}

/* Control messages on send: IP_TTL, IP_TOS, IP_PKTINFO, and the ones refused. */
static void udp_send_cmsgs(void)
{
	int fd = udp_to(PORT_SEEN), v;
	unsigned char byte;
	struct in_pktinfo pi = {0};

	scenario = "udp send cmsgs";
	v = 7;
	send_cmsg(fd, "IP_TTL 7", SOL_IP, IP_TTL, &v, sizeof(v));
	v = 0x10;
	send_cmsg(fd, "IP_TOS 0x10", SOL_IP, IP_TOS, &v, sizeof(v));
	byte = 0x08;
	send_cmsg(fd, "IP_TOS byte 0x08", SOL_IP, IP_TOS, &byte, 1);
	v = 0;
	send_cmsg(fd, "other level ignored", IPPROTO_TCP, 1, &v, sizeof(v));
	pi.ipi_spec_dst = self;
	send_cmsg(fd, "IP_PKTINFO SELF", SOL_IP, IP_PKTINFO, &pi, sizeof(pi));
	inet_aton("10.99.0.99", &pi.ipi_spec_dst);
	send_cmsg(fd, "IP_PKTINFO not ours", SOL_IP, IP_PKTINFO, &pi, sizeof(pi));
	v = 0;
	send_cmsg(fd, "IP_TTL 0", SOL_IP, IP_TTL, &v, sizeof(v));
	v = 256;
	send_cmsg(fd, "IP_TTL 256", SOL_IP, IP_TTL, &v, sizeof(v));
	send_cmsg(fd, "IP_TTL byte", SOL_IP, IP_TTL, &byte, 1);
	v = 256;
	send_cmsg(fd, "IP_TOS 256", SOL_IP, IP_TOS, &v, sizeof(v));
	send_cmsg(fd, "IP_PKTINFO short", SOL_IP, IP_PKTINFO, &pi, 8);
	v = 1;
	send_cmsg(fd, "IP_RECVERR on send", SOL_IP, IP_RECVERR, &v, sizeof(v));
	send_cmsg(fd, "SO_RCVBUF on send", SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	close(fd);
}

/* The next datagram from the echo, as text. */
static void echo_read(const char *step, int fd)
{
	char b[64];
	ssize_t n;

	wait_in(fd);
	n = recv(fd, b, sizeof(b) - 1, MSG_DONTWAIT);
	if (n < 0) {
		res(step, n);
		return;
	}
	b[n] = 0;
	out(step, "\"%s\"", b);
}

/*
 * A corked datagram that grows too big fails in the send that grows it
 * (__ip_append_data's EMSGSIZE, on IP_RECVERR's queue too) and is dropped
 * whole: past 65,507 bytes, and past the MTU with IP_PMTUDISC_DO. The next
 * send starts a new one.
 */
static void udp_cork_too_big(void)
{
	static char big[40000];
	int fd = udp_to(PORT_ECHO);

	scenario = "udp MSG_MORE past 65,507 bytes";
	setopt("IP_RECVERR", fd, SOL_IP, IP_RECVERR, 1);
	res("send 40000 MORE", send(fd, big, sizeof(big), MSG_MORE));
	res("send 30000 MORE", send(fd, big, 30000, MSG_MORE));
	recv_print("MSG_ERRQUEUE", fd, 16, 256, 1, MSG_ERRQUEUE | MSG_DONTWAIT);
	res("send after", send(fd, "after", 5, 0));
	echo_read("echo", fd);

	scenario = "udp UDP_CORK past the MTU, IP_PMTUDISC_DO";
	setopt("IP_MTU_DISCOVER DO", fd, SOL_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO);
	setopt("UDP_CORK 1", fd, IPPROTO_UDP, UDP_CORK, 1);
	res("send 1000", send(fd, big, 1000, 0));
	res("send 400", send(fd, big, 400, 0));
	res("send 100", send(fd, big, 100, 0));
	recv_print("MSG_ERRQUEUE", fd, 16, 256, 1, MSG_ERRQUEUE | MSG_DONTWAIT);
	res("send corked", send(fd, "corked", 6, 0));
	setopt("UDP_CORK 0", fd, IPPROTO_UDP, UDP_CORK, 0);
	res("send marker", send(fd, "marker", 6, 0));
	echo_read("echo", fd);
	echo_read("echo", fd);
	close(fd);
}

/*
 * MSG_MORE and UDP_CORK: one datagram from several sends. A marker sent
 * after each corked one shows that nothing left early (the echo answers in
 * order).
 */
static void udp_cork(void)
{
	struct sockaddr_in other = {
		.sin_family = AF_INET, .sin_port = htons(PORT_CLOSED), .sin_addr = peer};
	int fd = udp_to(PORT_ECHO);

	scenario = "udp MSG_MORE";
	res("send ab MORE", send(fd, "ab", 2, MSG_MORE));
	res("send cd MORE", send(fd, "cd", 2, MSG_MORE));
	res("sendto elsewhere MORE",
	    sendto(fd, "ef", 2, MSG_MORE, (struct sockaddr *)&other, sizeof(other)));
	res("send gh", send(fd, "gh", 2, 0));
	res("send marker", send(fd, "marker", 6, 0));
	echo_read("echo", fd);
	echo_read("echo", fd);

	scenario = "udp UDP_CORK";
	setopt("UDP_CORK 1", fd, IPPROTO_UDP, UDP_CORK, 1);
	res("send 12", send(fd, "12", 2, 0));
	res("send 34", send(fd, "34", 2, 0));
	setopt("UDP_CORK 0", fd, IPPROTO_UDP, UDP_CORK, 0);
	res("send marker", send(fd, "marker", 6, 0));
	echo_read("echo", fd);
	echo_read("echo", fd);
	close(fd);
	udp_cork_too_big();
}

/*
 * ARP finds nobody at an address of the subnet: the sender hears
 * EHOSTUNREACH, and with IP_RECVERR reads the error as ping does.
 */
static void host_unreachable(int type)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(PORT_CLOSED)};
	struct icmphdr req = {.type = ICMP_ECHO};
	char b[64];
	int fd;

	scenario = type == SOCK_DGRAM ? "ping socket, nobody there" : "udp, nobody there";
	inet_aton(NOBODY, &to.sin_addr);
	fd = socket(AF_INET, SOCK_DGRAM, type == SOCK_DGRAM ? IPPROTO_ICMP : 0);
	res("socket", fd < 0 ? -1 : 0);
	if (fd < 0)
		return;
	setopt("IP_RECVERR", fd, SOL_IP, IP_RECVERR, 1);
	res("sendto", sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)));
	wait_in(fd);
	res("recv", recv(fd, b, sizeof(b), 0));
	recv_print("MSG_ERRQUEUE", fd, sizeof(b), 1024, 1, MSG_ERRQUEUE);
	res("recv after", recv(fd, b, sizeof(b), MSG_DONTWAIT));
	close(fd);
}

/* A destination off the subnet with no route: the send itself fails. */
static void no_route(void)
{
	struct sockaddr_in far = {.sin_family = AF_INET, .sin_port = htons(9)};
	struct icmphdr req = {.type = ICMP_ECHO};
	int u = socket(AF_INET, SOCK_DGRAM, 0), p = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);

	scenario = "no route";
	inet_aton("10.50.0.1", &far.sin_addr);
	res("udp sendto", sendto(u, "x", 1, 0, (struct sockaddr *)&far, sizeof(far)));
	res("ping sendto", sendto(p, &req, sizeof(req), 0, (struct sockaddr *)&far, sizeof(far)));
	res("udp connect", connect(u, (struct sockaddr *)&far, sizeof(far)));
	close(u);
	close(p);
}

/*
 * A program that inherits, through exec, a socket whose options ask for
 * control messages reads them as the one that set them (the interposer
 * learns it from the first datagram).
 */
static void after_exec(char **argv)
{
	int fd = udp_to(PORT_ECHO), status;
	char fdarg[16];
	pid_t pid;

	scenario = "udp cmsgs after exec";
	setopt("IP_RECVTTL", fd, SOL_IP, IP_RECVTTL, 1);
	res("send", send(fd, "one", 3, 0));
	wait_in(fd);
	snprintf(fdarg, sizeof(fdarg), "%d", fd);
	pid = fork();
	if (pid == 0) {
		char *args[] = {argv[0], argv[1], argv[2], argv[3], "--inherited", fdarg, NULL};

		execv(argv[0], args);
		_exit(127);
	}
	res("child",
	    waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	close(fd);
}

/* The exec'd side of after_exec(). */
static int inherited(int fd)
{
	scenario = "udp cmsgs after exec";
	recv_print("recvmsg in the new program", fd, 100, 1024, 1, 0);
	res("send", send(fd, "second", 6, 0));
	wait_in(fd);
	recv_print("recvmsg 3 bytes", fd, 3, 1024, 1, 0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[4], "--inherited")) {
		inet_aton(argv[1], &peer);
		inet_aton(argv[2], &self);
		ifindex = if_nametoindex(argv[3]);
		return inherited(atoi(argv[5]));
	}
	if (argc != 4 || !inet_aton(argv[1], &peer) || !inet_aton(argv[2], &self) ||
	    !(ifindex = if_nametoindex(argv[3]))) {
		fprintf(stderr, "usage: dgram_cmsg PEER SELF IFACE\n");
		return 2;
	}
	rx_stamps_live();
	udp_cmsgs();
	udp_send_cmsgs();
	udp_cork();
	udp_errqueue();
	udp_zerocopy();
	tx_stamps();
	tx_stamp_late();
	tx_stamps_send();
	after_exec(argv);
	udp_stamp_ioctl();
	udp_stamp_arrival();
	icmp_cmsgs(SOCK_DGRAM);
	icmp_cmsgs(SOCK_RAW);
	udp_filter();
	icmp_filter(SOCK_DGRAM);
	icmp_filter(SOCK_RAW);
	raw_errqueue();
	no_route();
	host_unreachable(SOCK_DGRAM);
	host_unreachable(SOCK_STREAM); /* i.e. UDP */
	return 0;
}
