/* SPDX-License-Identifier: MIT */
/*
 * Multicast, broadcast and device-binding semantics, printed one normalised
 * line per call ("name ret errno" or a value), so that test_multicast.sh can
 * run it natively (the kernel) and under the shim and compare line by line.
 *
 * Usage: mcast_semantics IFNAME LOCAL_ADDR PEER_ADDR
 * The interface name, its index and the two addresses differ between the
 * runs, so they print as IF, IFINDEX, LOCAL and PEER.
 *
 * Delivery checks never wait for an absence: after a datagram that must
 * not arrive, a marker that must arrive is sent the same way, and the
 * first datagram read must be the marker (both take the same path).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void send_to(const char *what, int fd, uint32_t daddr, uint16_t port, const char *msg,
		    int flags);
static void recv_one(const char *who, int fd);

static const char *ifname;
static int ifindex;
static uint32_t local, peer, bcast;

static const char *ename(int e)
{
	switch (e) {
	case 0:
		return "OK";
#define E(x)                                                                                       \
	case x:                                                                                    \
		return #x;
		E(EINVAL)
		E(EADDRINUSE)
		E(EADDRNOTAVAIL)
		E(ENOBUFS)
		E(ENODEV)
		E(EPROTO)
		E(EPERM)
		E(EACCES)
		E(EFAULT)
		E(ENOPROTOOPT)
		E(EOPNOTSUPP)
		E(EAGAIN)
		E(ENETUNREACH)
#undef E
	}
	return "E?";
}

static void result(const char *what, int r)
{
	printf("%s %d %s\n", what, r < 0 ? -1 : r, ename(r < 0 ? errno : 0));
}

static void setopt(const char *what, int fd, int level, int name, const void *v, socklen_t len)
{
	result(what, setsockopt(fd, level, name, v, len));
}

static void setint(const char *what, int fd, int level, int name, int v)
{
	setopt(what, fd, level, name, &v, sizeof(v));
}

static void getint(const char *what, int fd, int level, int name)
{
	int v = -7;
	socklen_t len = sizeof(v);
	int r = getsockopt(fd, level, name, &v, &len);

	if (r < 0)
		result(what, r);
	else
		printf("%s = %d (len %u)\n", what, v, len);
}

/* An address as the run-independent name the comparison needs. */
static const char *aname(uint32_t a)
{
	static char buf[4][INET_ADDRSTRLEN];
	static int n;
	char *b = buf[n++ & 3];

	if (a == local)
		return "LOCAL";
	if (a == peer)
		return "PEER";
	if (a == bcast)
		return "SUBNET_BCAST";
	inet_ntop(AF_INET, &a, b, INET_ADDRSTRLEN);
	return b;
}

static uint32_t ip(const char *s)
{
	return inet_addr(s);
}

static struct ip_mreq mreq(const char *group, uint32_t iface)
{
	struct ip_mreq m = {.imr_multiaddr.s_addr = ip(group), .imr_interface.s_addr = iface};

	return m;
}

static struct ip_mreq_source mreqs(const char *group, uint32_t src)
{
	struct ip_mreq_source m = {.imr_multiaddr.s_addr = ip(group),
				   .imr_interface.s_addr = INADDR_ANY,
				   .imr_sourceaddr.s_addr = src};

	return m;
}

static int udp_socket(void)
{
	return socket(AF_INET, SOCK_DGRAM, 0);
}

static int udp_bound(uint16_t port, int reuse)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = udp_socket();

	/* reuse 1: SO_REUSEADDR, 2: SO_REUSEPORT */
	if (reuse)
		setsockopt(fd, SOL_SOCKET, reuse == 1 ? SO_REUSEADDR : SO_REUSEPORT, &(int){1},
			   sizeof(int));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("bind");
		exit(2);
	}
	return fd;
}

static void joins(void)
{
	struct ip_mreq m = mreq("239.1.2.3", INADDR_ANY);
	struct ip_mreqn mn = {.imr_multiaddr.s_addr = ip("239.1.2.3"), .imr_ifindex = ifindex};
	int fd = udp_socket(), tcp = socket(AF_INET, SOCK_STREAM, 0), joined = 0, r;

	puts("# joins and leaves");
	setopt("add", fd, SOL_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m));
	setopt("add again", fd, SOL_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m));
	setopt("add mreqn same device", fd, SOL_IP, IP_ADD_MEMBERSHIP, &mn, sizeof(mn));
	m = mreq("239.1.2.3", local);
	setopt("add by local address", fd, SOL_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m));
	m = mreq("10.1.1.1", INADDR_ANY);
	setopt("add unicast group", fd, SOL_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m));
	m = mreq("239.1.2.4", INADDR_ANY);
	setopt("add short", fd, SOL_IP, IP_ADD_MEMBERSHIP, &m, 4);
	mn.imr_multiaddr.s_addr = ip("239.1.2.4");
	mn.imr_ifindex = 9999;
	setopt("add unknown ifindex", fd, SOL_IP, IP_ADD_MEMBERSHIP, &mn, sizeof(mn));
	m = mreq("239.1.2.4", ip("10.1.1.1"));
	setopt("add foreign address", fd, SOL_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m));
	m = mreq("239.9.9.9", INADDR_ANY);
	setopt("drop not joined", fd, SOL_IP, IP_DROP_MEMBERSHIP, &m, sizeof(m));
	m = mreq("239.1.2.3", INADDR_ANY);
	setopt("drop", fd, SOL_IP, IP_DROP_MEMBERSHIP, &m, sizeof(m));
	setopt("drop again", fd, SOL_IP, IP_DROP_MEMBERSHIP, &m, sizeof(m));
	m = mreq("10.1.1.1", INADDR_ANY);
	setopt("drop unicast group", fd, SOL_IP, IP_DROP_MEMBERSHIP, &m, sizeof(m));
	for (int i = 0; i < 25; i++) {
		char g[32];

		snprintf(g, sizeof(g), "239.2.0.%d", i + 1);
		m = mreq(g, INADDR_ANY);
		r = setsockopt(fd, SOL_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m));
		if (r < 0) {
			printf("joins until %s after %d\n", ename(errno), joined);
			break;
		}
		joined++;
	}
	m = mreq("239.1.2.3", INADDR_ANY);
	setopt("tcp add", tcp, SOL_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m));
	setopt("tcp drop", tcp, SOL_IP, IP_DROP_MEMBERSHIP, &m, sizeof(m));
	close(fd);
	close(tcp);
}

static void sources(void)
{
	struct ip_mreq_source s = mreqs("232.1.1.1", peer);
	struct ip_mreq m = mreq("239.1.2.5", INADDR_ANY);
	int fd = udp_socket(), added = 0;

	puts("# source filters");
	setopt("block without join", fd, SOL_IP, IP_BLOCK_SOURCE, &s, sizeof(s));
	setopt("add source", fd, SOL_IP, IP_ADD_SOURCE_MEMBERSHIP, &s, sizeof(s));
	setopt("add source again", fd, SOL_IP, IP_ADD_SOURCE_MEMBERSHIP, &s, sizeof(s));
	setopt("add source short", fd, SOL_IP, IP_ADD_SOURCE_MEMBERSHIP, &s, sizeof(s) - 1);
	setopt("block in include mode", fd, SOL_IP, IP_BLOCK_SOURCE, &s, sizeof(s));
	setopt("add group of include", fd, SOL_IP, IP_ADD_MEMBERSHIP, &s, sizeof(struct ip_mreq));
	for (int i = 0; i < 12; i++) {
		s.imr_sourceaddr.s_addr = htonl(0x0a010100u + (uint32_t)i);
		if (setsockopt(fd, SOL_IP, IP_ADD_SOURCE_MEMBERSHIP, &s, sizeof(s)) < 0) {
			printf("sources until %s after %d\n", ename(errno), added);
			break;
		}
		added++;
	}
	s.imr_sourceaddr.s_addr = ip("10.3.3.3");
	setopt("drop unknown source", fd, SOL_IP, IP_DROP_SOURCE_MEMBERSHIP, &s, sizeof(s));
	s.imr_sourceaddr.s_addr = peer;
	setopt("drop source", fd, SOL_IP, IP_DROP_SOURCE_MEMBERSHIP, &s, sizeof(s));
	s.imr_multiaddr.s_addr = ip("10.1.1.1");
	setopt("source unicast group", fd, SOL_IP, IP_ADD_SOURCE_MEMBERSHIP, &s, sizeof(s));

	setopt("asm join", fd, SOL_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m));
	s = mreqs("239.1.2.5", peer);
	setopt("unblock not blocked", fd, SOL_IP, IP_UNBLOCK_SOURCE, &s, sizeof(s));
	setopt("block", fd, SOL_IP, IP_BLOCK_SOURCE, &s, sizeof(s));
	setopt("block again", fd, SOL_IP, IP_BLOCK_SOURCE, &s, sizeof(s));
	setopt("add source in exclude mode", fd, SOL_IP, IP_ADD_SOURCE_MEMBERSHIP, &s, sizeof(s));
	setopt("unblock", fd, SOL_IP, IP_UNBLOCK_SOURCE, &s, sizeof(s));
	/* An empty exclude filter may switch mode: the join becomes (INCLUDE, {PEER}). */
	setopt("add source to empty exclude", fd, SOL_IP, IP_ADD_SOURCE_MEMBERSHIP, &s, sizeof(s));
	setopt("drop last source leaves", fd, SOL_IP, IP_DROP_SOURCE_MEMBERSHIP, &s, sizeof(s));
	setopt("drop after leave", fd, SOL_IP, IP_DROP_MEMBERSHIP, &m, sizeof(m));
	close(fd);
}

/* getsockopt(IP_MSFILTER) with room for room sources: the kernel reads the group from the buffer.
 */
static void get_msfilter(const char *what, int fd, const char *group, unsigned int room)
{
	struct {
		struct ip_msfilter f;
		struct in_addr more[16];
	} msf;
	socklen_t len = (socklen_t)IP_MSFILTER_SIZE(room);
	int r;

	memset(&msf, 0, sizeof(msf));
	msf.f.imsf_multiaddr.s_addr = ip(group);
	msf.f.imsf_numsrc = room;
	r = getsockopt(fd, SOL_IP, IP_MSFILTER, &msf, &len);
	if (r < 0) {
		result(what, r);
		return;
	}
	printf("%s: mode %u numsrc %u len %u:", what, msf.f.imsf_fmode, msf.f.imsf_numsrc, len);
	for (unsigned int i = 0; i < msf.f.imsf_numsrc && i < room; i++)
		printf(" %s", aname(msf.f.imsf_slist[i].s_addr));
	printf("\n");
}

/* MCAST_MSFILTER both ways: values beyond 512 bytes (ten sources are 1424). */
static void group_filter(int fd, const char *group)
{
	size_t size = GROUP_FILTER_SIZE(12);
	struct group_filter *gf = calloc(1, size);
	struct sockaddr_in *g = (struct sockaddr_in *)&gf->gf_group;
	socklen_t len;
	int r;

	gf->gf_interface = (uint32_t)ifindex;
	g->sin_family = AF_INET;
	g->sin_addr.s_addr = ip(group);
	gf->gf_fmode = MCAST_EXCLUDE;
	gf->gf_numsrc = 10;
	for (int i = 0; i < 12; i++) {
		struct sockaddr_in *s = (struct sockaddr_in *)&gf->gf_slist[i];

		s->sin_family = AF_INET;
		s->sin_addr.s_addr = htonl(0x0a070700u + (uint32_t)i);
	}
	setopt("group_filter 10 sources", fd, SOL_IP, MCAST_MSFILTER, gf,
	       (socklen_t)GROUP_FILTER_SIZE(10));
	gf->gf_numsrc = 11;
	setopt("group_filter 11 sources", fd, SOL_IP, MCAST_MSFILTER, gf,
	       (socklen_t)GROUP_FILTER_SIZE(11));
	gf->gf_numsrc = 12;
	len = (socklen_t)size;
	r = getsockopt(fd, SOL_IP, MCAST_MSFILTER, gf, &len);
	if (r < 0) {
		result("get group_filter", r);
	} else {
		printf("get group_filter: mode %u numsrc %u len %u:", gf->gf_fmode, gf->gf_numsrc,
		       len);
		for (unsigned int i = 0; i < gf->gf_numsrc && i < 12; i++)
			printf(" %s",
			       aname(((struct sockaddr_in *)&gf->gf_slist[i])->sin_addr.s_addr));
		printf("\n");
	}
	gf->gf_numsrc = 12;
	gf->gf_interface = 0;
	len = (socklen_t)size;
	result("get group_filter index 0", getsockopt(fd, SOL_IP, MCAST_MSFILTER, gf, &len));
	free(gf);
}

static void msfilter(void)
{
	struct {
		struct ip_msfilter f;
		struct in_addr more[16];
	} msf;
	struct ip_mreq m = mreq("239.1.2.6", INADDR_ANY);
	int fd = udp_socket();

	puts("# IP_MSFILTER");
	memset(&msf, 0, sizeof(msf));
	msf.f.imsf_multiaddr.s_addr = ip("239.1.2.6");
	msf.f.imsf_fmode = MCAST_EXCLUDE;
	msf.f.imsf_numsrc = 2;
	msf.f.imsf_slist[0].s_addr = peer;
	msf.more[0].s_addr = ip("10.5.5.5");
	setopt("msfilter without join", fd, SOL_IP, IP_MSFILTER, &msf, IP_MSFILTER_SIZE(2));
	setopt("join", fd, SOL_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m));
	setopt("msfilter exclude 2", fd, SOL_IP, IP_MSFILTER, &msf, IP_MSFILTER_SIZE(2));
	get_msfilter("get msfilter", fd, "239.1.2.6", 4);
	get_msfilter("get msfilter room 1", fd, "239.1.2.6", 1);
	get_msfilter("get msfilter not joined", fd, "239.1.2.99", 4);
	get_msfilter("get msfilter unicast", fd, "10.1.1.1", 4);
	{
		socklen_t len = IP_MSFILTER_SIZE(0) - 1;

		result("get msfilter short", getsockopt(fd, SOL_IP, IP_MSFILTER, &msf, &len));
	}
	{
		/* The kernel takes values up to optmem_max whole; the tail is not read. */
		char *big = calloc(1, 200000);

		memcpy(big, &msf, IP_MSFILTER_SIZE(2));
		setopt("msfilter 100000 bytes", fd, SOL_IP, IP_MSFILTER, big, 100000);
		setopt("msfilter 200000 bytes", fd, SOL_IP, IP_MSFILTER, big, 200000);
		setopt("multicast_ttl 100000 bytes", fd, SOL_IP, IP_MULTICAST_TTL, big, 100000);
		free(big);
	}
	group_filter(fd, "239.1.2.6");
	get_msfilter("get msfilter after group_filter", fd, "239.1.2.6", 12);
	setopt("msfilter short header", fd, SOL_IP, IP_MSFILTER, &msf, IP_MSFILTER_SIZE(0) - 1);
	setopt("msfilter short list", fd, SOL_IP, IP_MSFILTER, &msf, IP_MSFILTER_SIZE(1));
	msf.f.imsf_numsrc = 11;
	setopt("msfilter over igmp_max_msf", fd, SOL_IP, IP_MSFILTER, &msf, sizeof(msf));
	msf.f.imsf_numsrc = 1;
	msf.f.imsf_fmode = 7;
	setopt("msfilter bad mode", fd, SOL_IP, IP_MSFILTER, &msf, IP_MSFILTER_SIZE(1));
	msf.f.imsf_fmode = MCAST_INCLUDE;
	setopt("msfilter include 1", fd, SOL_IP, IP_MSFILTER, &msf, IP_MSFILTER_SIZE(1));
	setopt("block in include", fd, SOL_IP, IP_BLOCK_SOURCE,
	       &(struct ip_mreq_source){.imr_multiaddr = msf.f.imsf_multiaddr,
					.imr_sourceaddr.s_addr = peer},
	       sizeof(struct ip_mreq_source));
	msf.f.imsf_numsrc = 0;
	setopt("msfilter include empty leaves", fd, SOL_IP, IP_MSFILTER, &msf, IP_MSFILTER_SIZE(0));
	setopt("drop after", fd, SOL_IP, IP_DROP_MEMBERSHIP, &m, sizeof(m));
	close(fd);
}

static void mcast_api(void)
{
	struct group_req g = {.gr_interface = (uint32_t)ifindex};
	struct group_source_req gs = {.gsr_interface = (uint32_t)ifindex};
	struct sockaddr_in *gin = (struct sockaddr_in *)&g.gr_group;
	int fd = udp_socket();

	puts("# MCAST_*");
	gin->sin_family = AF_INET;
	gin->sin_addr.s_addr = ip("239.1.2.7");
	setopt("mcast join", fd, SOL_IP, MCAST_JOIN_GROUP, &g, sizeof(g));
	setopt("mcast join again", fd, SOL_IP, MCAST_JOIN_GROUP, &g, sizeof(g));
	setopt("mcast join short", fd, SOL_IP, MCAST_JOIN_GROUP, &g, sizeof(g) - 1);
	gin->sin_family = AF_INET6;
	setopt("mcast join inet6", fd, SOL_IP, MCAST_JOIN_GROUP, &g, sizeof(g));
	gin->sin_family = AF_INET;
	g.gr_interface = 0;
	setopt("mcast leave index 0", fd, SOL_IP, MCAST_LEAVE_GROUP, &g, sizeof(g));
	setopt("mcast leave again", fd, SOL_IP, MCAST_LEAVE_GROUP, &g, sizeof(g));
	((struct sockaddr_in *)&gs.gsr_group)->sin_family = AF_INET;
	((struct sockaddr_in *)&gs.gsr_group)->sin_addr.s_addr = ip("232.1.1.2");
	((struct sockaddr_in *)&gs.gsr_source)->sin_family = AF_INET;
	((struct sockaddr_in *)&gs.gsr_source)->sin_addr.s_addr = peer;
	setopt("mcast join source", fd, SOL_IP, MCAST_JOIN_SOURCE_GROUP, &gs, sizeof(gs));
	setopt("mcast join source again", fd, SOL_IP, MCAST_JOIN_SOURCE_GROUP, &gs, sizeof(gs));
	setopt("mcast block in include", fd, SOL_IP, MCAST_BLOCK_SOURCE, &gs, sizeof(gs));
	setopt("mcast join source long", fd, SOL_IP, MCAST_JOIN_SOURCE_GROUP, &gs, sizeof(gs) + 1);
	((struct sockaddr_in *)&gs.gsr_source)->sin_family = AF_UNSPEC;
	setopt("mcast source unspec", fd, SOL_IP, MCAST_LEAVE_SOURCE_GROUP, &gs, sizeof(gs));
	((struct sockaddr_in *)&gs.gsr_source)->sin_family = AF_INET;
	setopt("mcast leave source", fd, SOL_IP, MCAST_LEAVE_SOURCE_GROUP, &gs, sizeof(gs));
	setopt("mcast leave source again", fd, SOL_IP, MCAST_LEAVE_SOURCE_GROUP, &gs, sizeof(gs));
	close(fd);
}

static void mcast_options(void)
{
	struct ip_mreqn mn = {.imr_ifindex = ifindex};
	struct in_addr a = {local};
	socklen_t len = sizeof(a);
	int fd = udp_socket(), tcp = socket(AF_INET, SOCK_STREAM, 0);

	puts("# IP_MULTICAST_*");
	len = sizeof(a);
	getsockopt(fd, SOL_IP, IP_MULTICAST_IF, &a, &len);
	printf("multicast_if default %s len %u\n", aname(a.s_addr), len);
	a.s_addr = local;
	setopt("multicast_if local", fd, SOL_IP, IP_MULTICAST_IF, &a, sizeof(a));
	len = sizeof(a);
	getsockopt(fd, SOL_IP, IP_MULTICAST_IF, &a, &len);
	printf("multicast_if %s len %u\n", aname(a.s_addr), len);
	a.s_addr = ip("10.1.1.1");
	setopt("multicast_if foreign", fd, SOL_IP, IP_MULTICAST_IF, &a, sizeof(a));
	setopt("multicast_if mreqn", fd, SOL_IP, IP_MULTICAST_IF, &mn, sizeof(mn));
	mn.imr_ifindex = 9999;
	setopt("multicast_if unknown ifindex", fd, SOL_IP, IP_MULTICAST_IF, &mn, sizeof(mn));
	setopt("multicast_if short", fd, SOL_IP, IP_MULTICAST_IF, &a, 3);
	len = sizeof(a);
	getsockopt(fd, SOL_IP, IP_MULTICAST_IF, &a, &len);
	printf("multicast_if after short %s\n", aname(a.s_addr));
	setopt("tcp multicast_if", tcp, SOL_IP, IP_MULTICAST_IF, &a, sizeof(a));
	getint("multicast_ttl", fd, SOL_IP, IP_MULTICAST_TTL);
	setint("multicast_ttl 256", fd, SOL_IP, IP_MULTICAST_TTL, 256);
	setint("multicast_ttl 7", fd, SOL_IP, IP_MULTICAST_TTL, 7);
	getint("multicast_ttl", fd, SOL_IP, IP_MULTICAST_TTL);
	setint("multicast_ttl -1", fd, SOL_IP, IP_MULTICAST_TTL, -1);
	getint("multicast_ttl", fd, SOL_IP, IP_MULTICAST_TTL);
	getint("multicast_loop", fd, SOL_IP, IP_MULTICAST_LOOP);
	getint("multicast_all", fd, SOL_IP, IP_MULTICAST_ALL);
	setint("multicast_all 2", fd, SOL_IP, IP_MULTICAST_ALL, 2);
	setint("multicast_all 0", fd, SOL_IP, IP_MULTICAST_ALL, 0);
	getint("multicast_all", fd, SOL_IP, IP_MULTICAST_ALL);
	close(fd);
	close(tcp);
}

static void bindtodevice(void)
{
	char name[IFNAMSIZ + 4];
	socklen_t len;
	int fd = udp_socket(), r;

	puts("# SO_BINDTODEVICE");
	len = sizeof(name);
	r = getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, &len);
	printf("get unbound %d len %u\n", r, len);
	len = IFNAMSIZ - 1;
	result("get short", getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, &len));
	setopt("bind nosuch", fd, SOL_SOCKET, SO_BINDTODEVICE, "nosuch0", 8);
	setopt("bind IF", fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname));
	len = sizeof(name);
	r = getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, &len);
	printf("get %d %s len-name %d\n", r, strcmp(name, ifname) ? name : "IF",
	       (int)len - (int)strlen(ifname));
	getint("ifindex is IFINDEX", fd, SOL_SOCKET, SO_BINDTOIFINDEX);
	setopt("bind lo (CAP_NET_RAW)", fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3);
	len = sizeof(name);
	r = getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, &len);
	printf("get %d %s len %u\n", r, name, len);
	setint("bindtoifindex -1", fd, SOL_SOCKET, SO_BINDTOIFINDEX, -1);
	setopt("unbind", fd, SOL_SOCKET, SO_BINDTODEVICE, "", 0);
	getint("ifindex", fd, SOL_SOCKET, SO_BINDTOIFINDEX);
	setint("bindtoifindex IFINDEX", fd, SOL_SOCKET, SO_BINDTOIFINDEX, ifindex);
	close(fd);
	{
		/* Bound to lo: what goes to this host still arrives. */
		struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(7010)};
		int rx = udp_socket(), tx = udp_socket();

		setopt("rx bind lo", rx, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3);
		result("rx bind", bind(rx, (struct sockaddr *)&sin, sizeof(sin)));
		setopt("tx bind lo", tx, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3);
		send_to("tx to LOCAL", tx, local, 7010, "via-lo", 0);
		recv_one("rx", rx);
		send_to("tx to PEER (out lo)", tx, peer, 7010, "lost", 0);
		close(rx);
		close(tx);
	}

	/* Without CAP_NET_RAW: a first binding is allowed, changing it is not. */
	fflush(stdout);
	if (fork() == 0) {
		struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
		struct __user_cap_data_struct d[2];

		syscall(SYS_capget, &h, d);
		d[0].effective &= ~(1u << CAP_NET_RAW);
		syscall(SYS_capset, &h, d);
		fd = udp_socket();
		setopt("nocap bind IF", fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
		       (socklen_t)strlen(ifname));
		setopt("nocap rebind lo", fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3);
		setopt("nocap unbind", fd, SOL_SOCKET, SO_BINDTODEVICE, "", 0);
		fflush(stdout);
		_exit(0);
	}
	wait(NULL);
}

static void send_to(const char *what, int fd, uint32_t daddr, uint16_t port, const char *msg,
		    int flags)
{
	struct sockaddr_in to = {
		.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = daddr};

	result(what, (int)sendto(fd, msg, strlen(msg), flags, (struct sockaddr *)&to, sizeof(to)));
}

static void zerocopy(void)
{
	int udp = udp_socket(), tcp = socket(AF_INET, SOCK_STREAM, 0);
	int raw = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	int lite = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);

	puts("# SO_ZEROCOPY");
	getint("udp zerocopy", udp, SOL_SOCKET, SO_ZEROCOPY);
	send_to("udp MSG_ZEROCOPY without SO_ZEROCOPY", udp, peer, 9, "zc", MSG_ZEROCOPY);
	setint("udp zerocopy 2", udp, SOL_SOCKET, SO_ZEROCOPY, 2);
	setint("udp zerocopy 1", udp, SOL_SOCKET, SO_ZEROCOPY, 1);
	getint("udp zerocopy", udp, SOL_SOCKET, SO_ZEROCOPY);
	send_to("udp MSG_ZEROCOPY", udp, peer, 9, "zc", MSG_ZEROCOPY);
	setint("tcp zerocopy 1", tcp, SOL_SOCKET, SO_ZEROCOPY, 1);
	getint("tcp zerocopy", tcp, SOL_SOCKET, SO_ZEROCOPY);
	setint("raw zerocopy 1", raw, SOL_SOCKET, SO_ZEROCOPY, 1);
	setint("udplite zerocopy 1", lite, SOL_SOCKET, SO_ZEROCOPY, 1);
	close(udp);
	close(tcp);
	close(raw);
	close(lite);
}

/* The next datagram on fd within 5 s, printed; "none" if nothing came. */
static void recv_one(const char *who, int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	char buf[64];
	ssize_t n;

	if (poll(&p, 1, 5000) != 1) {
		printf("%s: none\n", who);
		return;
	}
	n = recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &flen);
	if (n < 0) {
		printf("%s: recv %s\n", who, ename(errno));
		return;
	}
	buf[n] = 0;
	printf("%s: '%s' from %s\n", who, buf, aname(from.sin_addr.s_addr));
}

static void delivery(void)
{
	struct ip_mreq m = mreq("239.1.2.8", INADDR_ANY);
	struct ip_mreq_source s = mreqs("239.1.2.8", local);
	int a = udp_bound(7001, 1), b = udp_bound(7001, 1), c = udp_bound(7002, 1);
	int d = udp_bound(7002, 1), e = udp_bound(7003, 2), f = udp_bound(7003, 2);
	int tx = udp_socket();
	uint32_t group = ip("239.1.2.8");

	puts("# delivery to local members (IP_MULTICAST_LOOP)");
	setopt("a joins", a, SOL_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m));
	send_to("send both", tx, group, 7001, "both", 0);
	recv_one("a", a);
	recv_one("b (IP_MULTICAST_ALL)", b);
	setint("b multicast_all 0", b, SOL_IP, IP_MULTICAST_ALL, 0);
	send_to("send a only", tx, group, 7001, "a-only", 0);
	recv_one("a", a);
	setopt("b joins", b, SOL_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m));
	send_to("send b too", tx, group, 7001, "b-too", 0);
	recv_one("b", b);
	recv_one("a", a);
	setopt("a blocks LOCAL", a, SOL_IP, IP_BLOCK_SOURCE, &s, sizeof(s));
	send_to("send blocked for a", tx, group, 7001, "blocked", 0);
	recv_one("b", b);
	setopt("a unblocks LOCAL", a, SOL_IP, IP_UNBLOCK_SOURCE, &s, sizeof(s));
	send_to("send after unblock", tx, group, 7001, "unblocked", 0);
	recv_one("a", a);
	recv_one("b", b);
	setint("loop off", tx, SOL_IP, IP_MULTICAST_LOOP, 0);
	send_to("send not looped", tx, group, 7001, "not-looped", 0);
	setint("loop on", tx, SOL_IP, IP_MULTICAST_LOOP, 1);
	send_to("send marker", tx, group, 7001, "marker", 0);
	recv_one("a", a);
	recv_one("b", b);
	send_to("send group not joined", tx, ip("239.1.2.9"), 7001, "nobody", 0);

	puts("# broadcast (SO_BROADCAST)");
	send_to("limited broadcast without SO_BROADCAST", tx, INADDR_BROADCAST, 7002, "x", 0);
	send_to("subnet broadcast without SO_BROADCAST", tx, bcast, 7002, "x", 0);
	{
		struct sockaddr_in to = {.sin_family = AF_INET,
					 .sin_port = htons(7002),
					 .sin_addr.s_addr = INADDR_BROADCAST};

		result("connect broadcast without SO_BROADCAST",
		       connect(udp_socket(), (struct sockaddr *)&to, sizeof(to)));
	}
	setint("SO_BROADCAST", tx, SOL_SOCKET, SO_BROADCAST, 1);
	send_to("limited broadcast", tx, INADDR_BROADCAST, 7002, "limited", 0);
	recv_one("c", c);
	recv_one("d (SO_REUSEADDR)", d);
	send_to("subnet broadcast", tx, bcast, 7002, "subnet", 0);
	recv_one("c", c);
	recv_one("d (SO_REUSEADDR)", d);

	puts("# a SO_REUSEPORT group gets a group's datagram in every member");
	setopt("e joins", e, SOL_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m));
	send_to("send to the group", tx, group, 7003, "reuseport", 0);
	recv_one("e", e);
	recv_one("f", f);
	close(d);
	close(e);
	close(f);
	close(a);
	close(b);
	close(c);
	close(tx);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s IFNAME LOCAL_ADDR PEER_ADDR\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ifname = argv[1];
	ifindex = (int)if_nametoindex(ifname);
	local = ip(argv[2]);
	peer = ip(argv[3]);
	bcast = local | htonl(0xff); /* the tests' /24 */
	if (!ifindex) {
		perror(ifname);
		return 2;
	}
	joins();
	sources();
	msfilter();
	mcast_api();
	mcast_options();
	bindtodevice();
	delivery();
	zerocopy();
	return 0;
}
