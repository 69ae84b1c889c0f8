/* SPDX-License-Identifier: MIT */
/*
 * The stack's address in the kernel's NETLINK_ROUTE address dumps,
 * Onload-style. The namespace has no kernel IPv4 address (the stack owns
 * it), so getifaddrs() and glibc's __check_pf (AI_ADDRCONFIG), which dump
 * RTM_GETADDR, would see no IPv4 address at all.
 *
 * socket() tags an AF_NETLINK/NETLINK_ROUTE fd SHIM_NETLINK (when the
 * configuration is valid), which moves its calls off the pass-through fast
 * path. Every request sent on it records whether it was an RTM_GETADDR
 * dump for AF_INET or AF_UNSPEC, and its sequence number (the entry's id).
 * While one is outstanding, each read first peeks the whole datagram: a
 * part that holds the dump's NLMSG_DONE gets one RTM_NEWADDR in front of
 * it, built as inet_fill_ifaddr builds it, unless the dump already listed
 * the address. The datagram is then consumed and the edited copy handed
 * out with the kernel's datagram rules (MSG_TRUNC, MSG_PEEK), so a
 * MSG_PEEK|MSG_TRUNC probe reports the grown length.
 *
 * A request for one IPv4 route (RTM_GETROUTE with RTA_DST alone, as
 * `ip route get` and nmap's route_dst send it) is remembered the same way:
 * the namespace's kernel has no route to the stack's subnet and answers
 * ENETUNREACH, and that error becomes the RTM_NEWROUTE a kernel holding the
 * stack's address and gateway sends (rt_fill_info: device, preferred
 * source, gateway), followed by the acknowledgement the request asked
 * for. A route the kernel did find (or its other errors) passes as it is.
 * Everything else on netlink passes through unchanged.
 */
#include "shim_lib.h"

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "netdevice.h" /* LOOPBACK_IFINDEX */

/* An outstanding dump's part is at most SKB_WITH_OVERHEAD(32768) (netlink_recvmsg). */
#define SHIM_NL_BUF 32768
/* The longest RTM_NEWADDR we insert: header, ifaddrmsg and attributes, each aligned. */
/* ifa_cacheinfo's "forever" (INFINITY_LIFE_TIME in the kernel's addrconf.h). */
#define SHIM_NL_FOREVER 0xffffffffu
#define SHIM_NL_ADDR_LEN                                                                           \
	(NLMSG_LENGTH(sizeof(struct ifaddrmsg)) + 2 * RTA_SPACE(4) + RTA_SPACE(IFNAMSIZ) +         \
	 RTA_SPACE(4) + RTA_SPACE(sizeof(struct ifa_cacheinfo)))
/* The longest route answer: RTM_NEWROUTE with six 4-byte attributes and the
 * cache information, then an acknowledgement that echoes the request's header. */
#define SHIM_NL_ROUTE_LEN                                                                          \
	(NLMSG_LENGTH(sizeof(struct rtmsg)) + 6 * RTA_SPACE(4) +                                   \
	 RTA_SPACE(sizeof(struct rta_cacheinfo)) + NLMSG_LENGTH(sizeof(struct nlmsgerr)))
#define SHIM_NL_GROW (SHIM_NL_ADDR_LEN > SHIM_NL_ROUTE_LEN ? SHIM_NL_ADDR_LEN : SHIM_NL_ROUTE_LEN)

/* The address is among the network settings, which shim_stack_init loads (not the host). */
void shim_nl_socket(int fd, int protocol)
{
	if (fd < 0 || protocol != NETLINK_ROUTE)
		return;
	shim_stack_init();
	if (shim_cfg_ok)
		shim_fd_set(fd, shim_ent(0, SHIM_NETLINK, 0));
}

/* A request went out on a tagged fd: remember whether it asked for an IPv4 address dump or route.
 */
void shim_nl_sent(int fd, const void *buf, size_t len)
{
	struct {
		struct nlmsghdr h;
		unsigned char family;
	} req;
	unsigned int flags = 0;
	bool dump;

	if (len >= sizeof(req) && !shim_copy_from_user(&req, buf, sizeof(req))) {
		dump = (req.h.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
		if (req.h.nlmsg_type == RTM_GETADDR && dump &&
		    (req.family == AF_UNSPEC || req.family == AF_INET))
			flags = SHIM_F_NL_GETADDR;
		else if (req.h.nlmsg_type == RTM_GETROUTE && !dump && req.family == AF_INET)
			flags = SHIM_F_NL_GETROUTE;
	}
	shim_fd_set(fd, shim_ent(flags ? req.h.nlmsg_seq : 0, SHIM_NETLINK, flags));
}

static int shim_nl_ifindex(void)
{
	struct ifreq ifr = {0};
	long s = shim_sys(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, 0, 0, 0);
	long ret;

	if (s < 0)
		return 0;
	memcpy(ifr.ifr_name, shim_cfg.iface, sizeof(ifr.ifr_name) - 1);
	ret = shim_sys(SYS_ioctl, s, SIOCGIFINDEX, (long)&ifr, 0, 0, 0);
	shim_sys(SYS_close, s, 0, 0, 0, 0, 0);
	return ret < 0 ? 0 : ifr.ifr_ifindex;
}

bool shim_dev_index_valid(int ifindex)
{
	/* The interface keeps its index while the stack runs on it: read once. */
	static _Atomic int stack_ifindex;
	int own = atomic_load_explicit(&stack_ifindex, memory_order_relaxed);

	if (ifindex == LOOPBACK_IFINDEX)
		return true;
	if (!own) {
		/* Under seccomp no system call the program did not make (shim_sandboxed). */
		if (__atomic_load_n(&shim_sandboxed, __ATOMIC_RELAXED))
			return true;
		own = shim_nl_ifindex();
		if (!own)
			return true; /* not known: the host drops such a send */
		atomic_store_explicit(&stack_ifindex, own, memory_order_relaxed);
	}
	return ifindex == own;
}

static void shim_nl_attr(char **p, unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)*p;

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memset(RTA_DATA(rta), 0, RTA_ALIGN(rta->rta_len) - RTA_LENGTH(0));
	memcpy(RTA_DATA(rta), data, len);
	*p += RTA_ALIGN(rta->rta_len);
}

/* The stack's address as inet_fill_ifaddr reports a permanent address added without brd. */
static size_t shim_nl_fill(char *out, const struct nlmsghdr *done, int ifindex)
{
	struct nlmsghdr *h = (struct nlmsghdr *)out;
	struct ifaddrmsg *ifa = NLMSG_DATA(h);
	struct ifa_cacheinfo ci = {.ifa_prefered = SHIM_NL_FOREVER, .ifa_valid = SHIM_NL_FOREVER};
	uint32_t fl = IFA_F_PERMANENT;
	char *p = out + NLMSG_LENGTH(sizeof(*ifa));

	memset(out, 0, NLMSG_LENGTH(sizeof(*ifa)));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)shim_route().prefix;
	ifa->ifa_flags = IFA_F_PERMANENT;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned int)ifindex;
	shim_nl_attr(&p, IFA_ADDRESS, &shim_cfg.addr, 4);
	shim_nl_attr(&p, IFA_LOCAL, &shim_cfg.addr, 4);
	shim_nl_attr(&p, IFA_LABEL, shim_cfg.iface, strnlen(shim_cfg.iface, IFNAMSIZ - 1) + 1);
	shim_nl_attr(&p, IFA_FLAGS, &fl, sizeof(fl));
	shim_nl_attr(&p, IFA_CACHEINFO, &ci, sizeof(ci));
	h->nlmsg_len = (uint32_t)(p - out);
	h->nlmsg_type = RTM_NEWADDR;
	h->nlmsg_flags = NLM_F_MULTI;
	h->nlmsg_seq = done->nlmsg_seq;
	h->nlmsg_pid = done->nlmsg_pid;
	return (size_t)(p - out);
}

/* Whether an RTM_NEWADDR of this part lists the stack's address. */
static bool shim_nl_lists_addr(const struct nlmsghdr *h)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	const struct rtattr *rta;
	int len;

	if (h->nlmsg_type != RTM_NEWADDR || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) ||
	    ifa->ifa_family != AF_INET)
		return false;
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifa)));
	for (rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if ((rta->rta_type == IFA_LOCAL || rta->rta_type == IFA_ADDRESS) &&
		    RTA_PAYLOAD(rta) == 4 && !memcmp(RTA_DATA(rta), &shim_cfg.addr, 4))
			return true;
	return false;
}

/*
 * The destination of the route request that err echoes, if the stack would
 * route it on its link (the subnet but its own, network and broadcast
 * addresses; elsewhere through the gateway: shim_route) and the request holds
 * RTA_DST alone (ip route get adds RTM_F_LOOKUP_TABLE, which changes
 * nothing here: the main table answers); else 0. *gw: the gateway, or 0 on the subnet.
 */
static uint32_t shim_nl_route_dst(const struct nlmsgerr *err, size_t echoed, uint32_t *gw)
{
	const struct rtmsg *rtm = NLMSG_DATA(&err->msg);
	struct shim_route r = shim_route();
	const struct rtattr *rta;
	uint32_t dst = 0, host;
	int len;

	if (echoed < err->msg.nlmsg_len || err->msg.nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)) ||
	    rtm->rtm_family != AF_INET || rtm->rtm_flags & ~RTM_F_LOOKUP_TABLE ||
	    rtm->rtm_src_len || rtm->rtm_tos)
		return 0;
	len = (int)(err->msg.nlmsg_len - NLMSG_LENGTH(sizeof(*rtm)));
	for (rta = RTM_RTA(rtm); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type != RTA_DST || RTA_PAYLOAD(rta) != 4 || dst)
			return 0;
		memcpy(&dst, RTA_DATA(rta), 4);
	}
	host = dst & ~r.netmask;
	*gw = 0;
	if ((dst & r.netmask) == (shim_cfg.addr & r.netmask)) {
		/* A /31 or /32 has no network or broadcast address (RFC 3021). */
		if (dst == shim_cfg.addr ||
		    (~r.netmask & htonl(0xfffffffe) && (!host || host == ~r.netmask)))
			return 0;
		return dst;
	}
	/* Off the subnet: unicast only (no 0/8, 127/8, multicast or class E). */
	host = ntohl(dst);
	if (!r.gateway || host >> 24 == 0 || host >> 24 == 127 || host >= 0xe0000000u)
		return 0;
	*gw = r.gateway;
	return dst;
}

/*
 * The answer to the route request whose ENETUNREACH is h, written to out as
 * rt_fill_info writes a cloned unicast route of the main table (the cache
 * information as a fresh entry's); returns its length, or 0 to leave the
 * kernel's error as it is.
 */
static size_t shim_nl_route(char *out, const struct nlmsghdr *h)
{
	const struct nlmsgerr *err = NLMSG_DATA(h);
	struct rta_cacheinfo ci = {.rta_clntref = 2};
	uint32_t dst, gw, table = RT_TABLE_MAIN, uid = (uint32_t)getuid(), oif;
	struct nlmsghdr *r = (struct nlmsghdr *)out;
	struct rtmsg *rtm = NLMSG_DATA(r);
	struct nlmsgerr *ack;
	char *p = out + NLMSG_LENGTH(sizeof(*rtm));
	int ifindex;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*err)) || err->error != -ENETUNREACH ||
	    (h->nlmsg_flags & NLM_F_CAPPED))
		return 0;
	dst = shim_nl_route_dst(err, h->nlmsg_len - NLMSG_LENGTH(sizeof(err->error)), &gw);
	ifindex = dst ? shim_nl_ifindex() : 0;
	if (!ifindex)
		return 0;
	oif = (uint32_t)ifindex;
	memset(out, 0, NLMSG_LENGTH(sizeof(*rtm)));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	rtm->rtm_flags = RTM_F_CLONED;
	shim_nl_attr(&p, RTA_TABLE, &table, 4);
	shim_nl_attr(&p, RTA_DST, &dst, 4);
	shim_nl_attr(&p, RTA_OIF, &oif, 4);
	shim_nl_attr(&p, RTA_PREFSRC, &shim_cfg.addr, 4);
	if (gw)
		shim_nl_attr(&p, RTA_GATEWAY, &gw, 4);
	shim_nl_attr(&p, RTA_UID, &uid, 4);
	shim_nl_attr(&p, RTA_CACHEINFO, &ci, sizeof(ci));
	r->nlmsg_len = (uint32_t)(p - out);
	r->nlmsg_type = RTM_NEWROUTE;
	r->nlmsg_flags = 0;
	r->nlmsg_seq = h->nlmsg_seq;
	r->nlmsg_pid = h->nlmsg_pid;
	if (!(err->msg.nlmsg_flags & NLM_F_ACK))
		return (size_t)(p - out);
	/* netlink_ack for a success: the request's header alone, NLM_F_CAPPED. */
	r = (struct nlmsghdr *)p;
	ack = NLMSG_DATA(r);
	r->nlmsg_len = NLMSG_LENGTH(sizeof(*ack));
	r->nlmsg_type = NLMSG_ERROR;
	r->nlmsg_flags = NLM_F_CAPPED;
	r->nlmsg_seq = h->nlmsg_seq;
	r->nlmsg_pid = h->nlmsg_pid;
	ack->error = 0;
	ack->msg = err->msg;
	return (size_t)(p - out) + NLMSG_ALIGN(r->nlmsg_len);
}

/* Copies the edited datagram out as netlink_recvmsg would copy the kernel's. */
static ssize_t shim_nl_copy_out(struct msghdr *m, const char *data, size_t len, int flags)
{
	size_t off = 0, i;

	for (i = 0; i < m->msg_iovlen && off < len; i++) {
		struct iovec v;
		size_t n;

		if (shim_copy_from_user(&v, &m->msg_iov[i], sizeof(v)))
			return -EFAULT;
		n = v.iov_len < len - off ? v.iov_len : len - off;
		if (n && shim_copy_to_user(v.iov_base, data + off, n))
			return -EFAULT;
		off += n;
	}
	if (off < len)
		m->msg_flags |= MSG_TRUNC;
	return (ssize_t)(flags & MSG_TRUNC ? len : off);
}

/*
 * The address dump's part in buf (n bytes, room for SHIM_NL_GROW more) with
 * the stack's address inserted before its NLMSG_DONE; returns the grown
 * length, or 0 if nothing is to be added. *answered: the part ends the dump.
 */
static size_t shim_nl_edit_dump(char *buf, size_t n, uint64_t e, unsigned int *eflags,
				bool *answered)
{
	char msg[SHIM_NL_ADDR_LEN];
	struct nlmsghdr *h, *done = NULL;
	int len = (int)(n < SHIM_NL_BUF ? n : SHIM_NL_BUF), ifindex;
	size_t ins;

	for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
		if (shim_nl_lists_addr(h))
			*eflags |= SHIM_F_NL_SEEN;
		if (h->nlmsg_type == NLMSG_DONE && h->nlmsg_seq == shim_ent_id(e)) {
			done = h;
			break;
		}
	}
	*answered = done != NULL;
	ifindex = done && !(*eflags & SHIM_F_NL_SEEN) ? shim_nl_ifindex() : 0;
	if (!ifindex)
		return 0;
	ins = shim_nl_fill(msg, done, ifindex);
	memmove((char *)done + ins, done, n - (size_t)((char *)done - buf));
	memcpy(done, msg, ins);
	return n + ins;
}

/*
 * The route request's answer in buf (n bytes, room for SHIM_NL_GROW more):
 * its ENETUNREACH replaced by the stack's route; returns the new length, or
 * 0 to leave it. *answered: the part holds the request's answer.
 */
static size_t shim_nl_edit_route(char *buf, size_t n, uint64_t e, bool *answered)
{
	char msg[SHIM_NL_ROUTE_LEN];
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	size_t ins, old;

	*answered = NLMSG_OK(h, (int)n) && h->nlmsg_seq == shim_ent_id(e);
	ins = *answered && h->nlmsg_type == NLMSG_ERROR ? shim_nl_route(msg, h) : 0;
	if (!ins)
		return 0;
	old = NLMSG_ALIGN(h->nlmsg_len) < n ? NLMSG_ALIGN(h->nlmsg_len) : n;
	memmove(buf + ins, buf + old, n - old);
	memcpy(buf, msg, ins);
	return n - old + ins;
}

/*
 * recvmsg on a tagged fd with an outstanding address dump or route
 * request. m is a copy of the caller's msghdr (its pointers are the
 * caller's); the name length, control length and msg_flags come back in m.
 * Returns the length or -errno.
 */
ssize_t shim_nl_recvmsg(int fd, uint64_t e, struct msghdr *m, int flags)
{
	char buf[SHIM_NL_BUF + SHIM_NL_GROW];
	struct iovec iov = {buf, SHIM_NL_BUF};
	struct msghdr pm = {.msg_name = m->msg_name,
			    .msg_namelen = m->msg_namelen,
			    .msg_iov = &iov,
			    .msg_iovlen = 1};
	unsigned int eflags = shim_ent_flags(e);
	bool answered;
	ssize_t n, ret;
	size_t edited;

	if (flags & MSG_ERRQUEUE) {
		ret = shim_real.recvmsg(fd, m, flags);
		return ret < 0 ? -errno : ret;
	}
	n = shim_real.recvmsg(fd, &pm, (flags & MSG_DONTWAIT) | MSG_PEEK);
	if (n < 0)
		return -errno;
	if (n > SHIM_NL_BUF)
		n = SHIM_NL_BUF;
	edited = eflags & SHIM_F_NL_GETROUTE
			 ? shim_nl_edit_route(buf, (size_t)n, e, &answered)
			 : shim_nl_edit_dump(buf, (size_t)n, e, &eflags, &answered);
	if (!edited) {
		/* Nothing to change in this part: the kernel's own read. */
		ret = shim_real.recvmsg(fd, m, flags);
		if (ret >= 0 && !(flags & MSG_PEEK))
			shim_fd_set(fd, answered ? shim_ent(0, SHIM_NETLINK, 0)
						 : shim_ent(shim_ent_id(e), SHIM_NETLINK, eflags));
		return ret < 0 ? -errno : ret;
	}
	if (!(flags & MSG_PEEK)) {
		/* Consume the kernel's part; its name and cmsgs are the caller's. */
		struct msghdr cm = *m;

		cm.msg_iov = NULL;
		cm.msg_iovlen = 0;
		ret = shim_real.recvmsg(fd, &cm, MSG_DONTWAIT);
		if (ret < 0)
			return -errno;
		m->msg_namelen = cm.msg_namelen;
		m->msg_controllen = cm.msg_controllen;
		m->msg_flags = cm.msg_flags & ~MSG_TRUNC;
		shim_fd_set(fd, shim_ent(0, SHIM_NETLINK, 0));
	} else {
		m->msg_namelen = pm.msg_namelen;
		m->msg_controllen = 0;
		m->msg_flags = 0;
	}
	return shim_nl_copy_out(m, buf, edited, flags);
}

/* recvmsg(2) with the caller's msghdr: lengths and flags written back as ____sys_recvmsg. */
ssize_t shim_nl_recvmsg_user(int fd, uint64_t e, struct msghdr *umsg, int flags)
{
	struct msghdr m;
	ssize_t ret;

	if (shim_copy_from_user(&m, umsg, sizeof(m)))
		return -EFAULT;
	ret = shim_nl_recvmsg(fd, e, &m, flags);
	if (ret >= 0 &&
	    (shim_copy_to_user(&umsg->msg_namelen, &m.msg_namelen, sizeof(m.msg_namelen)) ||
	     shim_copy_to_user(&umsg->msg_flags, &m.msg_flags, sizeof(m.msg_flags)) ||
	     shim_copy_to_user(&umsg->msg_controllen, &m.msg_controllen, sizeof(m.msg_controllen))))
		return -EFAULT;
	return ret;
}

/* recv and recvfrom: the address as move_addr_to_user gives it. */
ssize_t shim_nl_recvfrom(int fd, uint64_t e, void *buf, size_t n, int flags, struct sockaddr *addr,
			 socklen_t *addrlen)
{
	struct iovec iov = {buf, n};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t ret;

	if (addr && addrlen) {
		if (shim_copy_from_user(&m.msg_namelen, addrlen, sizeof(m.msg_namelen)))
			return -EFAULT;
		m.msg_name = addr;
	}
	ret = shim_nl_recvmsg(fd, e, &m, flags);
	if (ret >= 0 && m.msg_name &&
	    shim_copy_to_user(addrlen, &m.msg_namelen, sizeof(m.msg_namelen)))
		return -EFAULT;
	return ret;
}

/* sendmsg: the request is at the start of the first buffer. */
void shim_nl_sentmsg(int fd, const struct msghdr *umsg)
{
	struct msghdr m;
	struct iovec v = {0};

	if (!shim_copy_from_user(&m, umsg, sizeof(m)) && m.msg_iovlen)
		shim_copy_from_user(&v, m.msg_iov, sizeof(v));
	shim_nl_sent(fd, v.iov_base, v.iov_len);
}
