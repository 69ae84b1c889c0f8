// SPDX-License-Identifier: MIT
/*
 * Multicast between two stacks on the in-memory wire, as a dialogue with
 * the IGMP messages side 0 sends: joins and leaves reported (IGMPv3
 * state-change records, robustness 2), queries answered, the v2
 * compatibility mode a v2 query starts, and datagrams to a group reaching
 * only the sockets its filter admits.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/igmp.h>
#include <string.h>

#include "checksum.h"
#include "helper_twostack.h"
#include "igmp.h"
#include "inet.h"
#include "ip.h"

static struct twostack *ts;
static struct socket *socks[8]; /* released before the stacks go */
static unsigned int nsocks;

/* What side 0 sent: one entry per IGMP message, v3 reports one per record. */
static struct seen {
	uint8_t type;	/* IGMP type, or the v3 record type for 0x22 */
	uint32_t group; /* network order */
	uint32_t src[4];
	unsigned int nsrc;
	uint32_t daddr;
	uint8_t ttl, ra;
} seen[64];
static unsigned int nseen;

static int watch(void *arg, int side, const uint8_t *f, unsigned int len)
{
	const struct iphdr *iph = (const struct iphdr *)(f + ETH_HLEN);
	const uint8_t *p;

	(void)arg;
	if (side != 0 || len < ETH_HLEN + 28 || f[12] != 0x08 || f[13] != 0 ||
	    iph->protocol != IPPROTO_IGMP)
		return 1;
	p = f + ETH_HLEN + iph->ihl * 4;
	if (p[0] != IGMPV3_HOST_MEMBERSHIP_REPORT) {
		struct seen *s = &seen[nseen++ % 64];

		memset(s, 0, sizeof(*s));
		s->type = p[0];
		memcpy(&s->group, p + 4, 4);
		s->daddr = iph->daddr;
		s->ttl = iph->ttl;
		s->ra = iph->ihl > 5 && f[ETH_HLEN + 20] == 0x94;
		return 1;
	}
	for (unsigned int i = 0, off = 8, n = p[7] | p[6] << 8; i < n; i++) {
		struct seen *s = &seen[nseen++ % 64];
		unsigned int ns = p[off + 3] | p[off + 2] << 8;

		memset(s, 0, sizeof(*s));
		s->type = p[off];
		memcpy(&s->group, p + off + 4, 4);
		for (unsigned int j = 0; j < ns && j < 4; j++)
			memcpy(&s->src[j], p + off + 8 + 4 * j, 4);
		s->nsrc = ns;
		s->daddr = iph->daddr;
		s->ttl = iph->ttl;
		s->ra = iph->ihl > 5 && f[ETH_HLEN + 20] == 0x94;
		off += 8 + 4 * ns;
	}
	return 1;
}

static unsigned int count(uint8_t type, const char *group)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < nseen && i < 64; i++)
		n += seen[i].type == type && seen[i].group == inet_addr(group);
	return n;
}

static void setup(void)
{
	ts = twostack_create(NULL);
	cr_assert_not_null(ts);
	for (int i = 0; i < 2; i++) {
		/* The kernel's defaults, whatever this machine's namespace says. */
		ts->net[i].sysctl.igmp_qrv = 2;
		ts->net[i].sysctl.force_igmp_version = 0;
		ts->net[i].sysctl.igmpv3_unsolicited_report_interval = 1000;
		ts->net[i].sysctl.igmpv2_unsolicited_report_interval = 10000;
	}
	twostack_run_for(ts, 10 * NSEC_PER_MSEC); /* the gratuitous ARPs */
	nseen = 0;
	mem_link_set_filter(ts->link, watch, NULL);
}

static void teardown(void)
{
	while (nsocks)
		sock_release(socks[--nsocks]);
	twostack_destroy(ts);
}

static struct socket *sock(int side, int type, int protocol)
{
	int err;
	struct socket *s = twostack_socket(ts, side, type, protocol, &err);

	cr_assert_not_null(s, "socket: %d", err);
	socks[nsocks++] = s;
	return s;
}

/*
 * A socket of side 1 that sends to groups: it names its interface
 * (IP_MULTICAST_IF), as a sender must on a host without a gateway (only
 * the subnet's route: ip_route_output_sk), as these stacks are.
 */
static struct socket *sender(int type, int protocol)
{
	struct socket *s = sock(1, type, protocol);
	struct in_addr addr = {ts->net[1].addr};

	cr_assert_eq(s->ops->setsockopt(s, SOL_IP, IP_MULTICAST_IF, &addr, sizeof(addr)), 0);
	return s;
}

/*
 * A side-0 socket's join or leave, naming side 0's address as its
 * interface: without a gateway no route leads to a group (ip_mc_find_dev).
 */
static int join(struct socket *s, int optname, const char *group, const char *source)
{
	struct ip_mreq_source m = {.imr_multiaddr.s_addr = inet_addr(group),
				   .imr_interface.s_addr = ts->net[0].addr};

	if (source)
		m.imr_sourceaddr.s_addr = inet_addr(source);
	return s->ops->setsockopt(s, SOL_IP, optname, &m,
				  source ? sizeof(m) : sizeof(struct ip_mreq));
}

static struct sockaddr_in group_sin(const char *group, uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = inet_addr(group)};

	return sin;
}

TestSuite(igmp, .init = setup, .fini = teardown);

Test(igmp, join_reports_to_ex_twice_and_leave_reports_to_in_twice)
{
	struct socket *a = sock(0, SOCK_DGRAM, IPPROTO_UDP);

	cr_assert_eq(join(a, IP_ADD_MEMBERSHIP, "239.1.2.3", NULL), 0);
	cr_assert_eq(join(a, IP_ADD_MEMBERSHIP, "239.1.2.3", NULL), -EADDRINUSE);
	twostack_run_for(ts, 3 * NSEC_PER_SEC);
	cr_assert_eq(count(IGMPV3_CHANGE_TO_EXCLUDE, "239.1.2.3"), 2);
	cr_assert_eq(seen[0].daddr, IGMPV3_ALL_MCR);
	cr_assert_eq(seen[0].ttl, 1);
	cr_assert(seen[0].ra, "Router Alert");
	cr_assert_eq(seen[0].nsrc, 0);

	cr_assert_eq(join(a, IP_DROP_MEMBERSHIP, "239.1.2.3", NULL), 0);
	cr_assert_eq(join(a, IP_DROP_MEMBERSHIP, "239.1.2.3", NULL), -EADDRNOTAVAIL);
	twostack_run_for(ts, 3 * NSEC_PER_SEC);
	cr_assert_eq(count(IGMPV3_CHANGE_TO_INCLUDE, "239.1.2.3"), 2);
	cr_assert_eq(nseen, 4, "nothing else: %u messages", nseen);
}

/*
 * ip_mc_find_dev: a join or leave that names no interface takes the
 * group's route, which only a gateway (the default route) gives a group.
 */
Test(igmp, a_join_without_interface_needs_a_route)
{
	struct socket *a = sock(0, SOCK_DGRAM, IPPROTO_UDP);
	struct ip_mreq m = {.imr_multiaddr.s_addr = inet_addr("239.1.2.3")};

	cr_assert_eq(a->ops->setsockopt(a, SOL_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m)), -ENODEV);
	m.imr_multiaddr.s_addr = inet_addr("0.0.1.0");
	cr_assert_eq(a->ops->setsockopt(a, SOL_IP, IP_DROP_MEMBERSHIP, &m, sizeof(m)), -ENODEV);
	/* The subnet's own addresses have a route: nothing to leave there. */
	m.imr_multiaddr.s_addr = ts->net[1].addr;
	cr_assert_eq(a->ops->setsockopt(a, SOL_IP, IP_DROP_MEMBERSHIP, &m, sizeof(m)),
		     -EADDRNOTAVAIL);
	ts->net[0].gateway = ts->net[1].addr;
	m.imr_multiaddr.s_addr = inet_addr("239.1.2.3");
	cr_assert_eq(a->ops->setsockopt(a, SOL_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m)), 0);
	cr_assert_eq(a->ops->setsockopt(a, SOL_IP, IP_DROP_MEMBERSHIP, &m, sizeof(m)), 0);
}

Test(igmp, closing_a_member_leaves_its_groups)
{
	struct socket *a = sock(0, SOCK_DGRAM, IPPROTO_UDP);

	cr_assert_eq(join(a, IP_ADD_MEMBERSHIP, "239.1.2.3", NULL), 0);
	twostack_run_for(ts, 3 * NSEC_PER_SEC);
	sock_release(a);
	nsocks--;
	twostack_run_for(ts, 3 * NSEC_PER_SEC);
	cr_assert_eq(count(IGMPV3_CHANGE_TO_INCLUDE, "239.1.2.3"), 2);
	cr_assert_not(ip_check_mc(&ts->net[0], inet_addr("239.1.2.3"), 0, IPPROTO_UDP));
}

Test(igmp, datagrams_to_a_group_reach_members_only)
{
	struct socket *a = sock(0, SOCK_DGRAM, IPPROTO_UDP), *b = sender(SOCK_DGRAM, IPPROTO_UDP);
	struct sockaddr_in to = group_sin("239.1.2.3", 9000);
	char buf[16];

	cr_assert_eq(twostack_bind(a, 0, 9000), 0);
	cr_assert_eq(twostack_sendto(b, "early", 5, &to), 5);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_recvfrom(a, buf, sizeof(buf), 0, NULL), -EAGAIN);

	cr_assert_eq(join(a, IP_ADD_MEMBERSHIP, "239.1.2.3", NULL), 0);
	cr_assert_eq(twostack_sendto(b, "member", 6, &to), 6);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_recvfrom(a, buf, sizeof(buf), 0, NULL), 6);
	cr_assert_eq(memcmp(buf, "member", 6), 0);
}

Test(igmp, source_specific_join_allows_its_source_only)
{
	struct socket *a = sock(0, SOCK_DGRAM, IPPROTO_UDP), *b = sender(SOCK_DGRAM, IPPROTO_UDP);
	struct sockaddr_in to = group_sin("232.1.1.1", 9000);
	char buf[16];

	cr_assert_eq(twostack_bind(a, 0, 9000), 0);
	cr_assert_eq(join(a, IP_ADD_SOURCE_MEMBERSHIP, "232.1.1.1", "10.0.0.9"), 0);
	twostack_run_for(ts, 3 * NSEC_PER_SEC);
	cr_assert_eq(count(IGMPV3_ALLOW_NEW_SOURCES, "232.1.1.1"), 2);
	cr_assert_eq(seen[0].nsrc, 1);
	cr_assert_eq(seen[0].src[0], inet_addr("10.0.0.9"));
	/* b (10.0.0.2) is not the source: its datagram is not for a. */
	cr_assert_eq(twostack_sendto(b, "x", 1, &to), 1);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_recvfrom(a, buf, sizeof(buf), 0, NULL), -EAGAIN);

	cr_assert_eq(join(a, IP_ADD_SOURCE_MEMBERSHIP, "232.1.1.1", "10.0.0.2"), 0);
	cr_assert_eq(twostack_sendto(b, "y", 1, &to), 1);
	twostack_run_for(ts, 3 * NSEC_PER_SEC);
	cr_assert_eq(twostack_recvfrom(a, buf, sizeof(buf), 0, NULL), 1);
	cr_assert_eq(buf[0], 'y');
	cr_assert_eq(count(IGMPV3_ALLOW_NEW_SOURCES, "232.1.1.1"), 4);
}

/* side 1 plays the querier: an IGMP query to 224.0.0.1 from a raw socket. */
static void query(const uint8_t *q, size_t len)
{
	struct socket *r = sender(SOCK_RAW, IPPROTO_IGMP);
	struct sockaddr_in to = group_sin("224.0.0.1", 0);

	cr_assert_eq(twostack_sendto(r, q, len, &to), (int)len);
}

Test(igmp, general_query_is_answered_with_current_state)
{
	struct socket *a = sock(0, SOCK_DGRAM, IPPROTO_UDP);
	/* v3, max response 1 s, QRV 2, QQIC 125, no group, no source */
	uint8_t q[12] = {0x11, 10, 0, 0, 0, 0, 0, 0, 2, 125, 0, 0};
	uint16_t sum;

	cr_assert_eq(join(a, IP_ADD_MEMBERSHIP, "239.1.2.3", NULL), 0);
	twostack_run_for(ts, 3 * NSEC_PER_SEC);
	sum = csum_fold(csum_partial(q, sizeof(q), 0));
	memcpy(q + 2, &sum, 2);
	query(q, sizeof(q));
	twostack_run_for(ts, 2 * NSEC_PER_SEC);
	cr_assert_eq(count(IGMPV3_MODE_IS_EXCLUDE, "239.1.2.3"), 1);
	cr_assert_eq(count(IGMPV3_MODE_IS_EXCLUDE, "224.0.0.1"), 0, "all-hosts is never reported");
}

Test(igmp, v2_query_switches_to_v2_reports_and_leave)
{
	struct socket *a = sock(0, SOCK_DGRAM, IPPROTO_UDP);
	uint8_t q[8] = {0x11, 10, 0, 0, 0, 0, 0, 0};
	uint16_t sum = csum_fold(csum_partial(q, sizeof(q), 0));

	memcpy(q + 2, &sum, 2);
	query(q, sizeof(q));
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(join(a, IP_ADD_MEMBERSHIP, "239.1.2.3", NULL), 0);
	twostack_run_for(ts, 12 * NSEC_PER_SEC);
	cr_assert_eq(count(IGMPV2_HOST_MEMBERSHIP_REPORT, "239.1.2.3"), 2);
	cr_assert_eq(count(IGMPV3_CHANGE_TO_EXCLUDE, "239.1.2.3"), 0);
	cr_assert_eq(seen[0].daddr, inet_addr("239.1.2.3"));
	cr_assert_eq(join(a, IP_DROP_MEMBERSHIP, "239.1.2.3", NULL), 0);
	twostack_run_for(ts, 3 * NSEC_PER_SEC);
	cr_assert_eq(count(IGMP_HOST_LEAVE_MESSAGE, "239.1.2.3"), 1);
	cr_assert_eq(seen[nseen - 1].daddr, IGMP_ALL_ROUTER);
}

Test(igmp, force_igmp_version_2_reports_v2_on_join)
{
	struct socket *a = sock(0, SOCK_DGRAM, IPPROTO_UDP);

	ts->net[0].sysctl.force_igmp_version = 2;
	cr_assert_eq(join(a, IP_ADD_MEMBERSHIP, "239.1.2.3", NULL), 0);
	twostack_run_for(ts, 12 * NSEC_PER_SEC);
	cr_assert_eq(count(IGMPV2_HOST_MEMBERSHIP_REPORT, "239.1.2.3"), 2);
	cr_assert_eq(count(IGMPV3_CHANGE_TO_EXCLUDE, "239.1.2.3"), 0);
	cr_assert(seen[0].ra, "Router Alert");
	cr_assert_eq(seen[0].ttl, 1);
}

Test(igmp, v1_query_gets_v1_reports_and_no_leave)
{
	struct socket *a = sock(0, SOCK_DGRAM, IPPROTO_UDP);
	uint8_t q[8] = {0x11, 0, 0, 0, 0, 0, 0, 0}; /* code 0: a v1 querier */
	uint16_t sum = csum_fold(csum_partial(q, sizeof(q), 0));

	cr_assert_eq(join(a, IP_ADD_MEMBERSHIP, "239.1.2.3", NULL), 0);
	twostack_run_for(ts, 3 * NSEC_PER_SEC);
	nseen = 0;
	memcpy(q + 2, &sum, 2);
	query(q, sizeof(q));
	/* v1 answers within IGMP_QUERY_RESPONSE_INTERVAL (10 s). */
	twostack_run_for(ts, 11 * NSEC_PER_SEC);
	cr_assert_geq(count(IGMP_HOST_MEMBERSHIP_REPORT, "239.1.2.3"), 1);
	cr_assert_eq(join(a, IP_DROP_MEMBERSHIP, "239.1.2.3", NULL), 0);
	twostack_run_for(ts, 3 * NSEC_PER_SEC);
	cr_assert_eq(count(IGMP_HOST_LEAVE_MESSAGE, "239.1.2.3"), 0, "v1 has no leave");
	cr_assert_eq(count(IGMPV3_CHANGE_TO_INCLUDE, "239.1.2.3"), 0, "nor v3 records");
}

Test(igmp, group_specific_query_is_answered_for_that_group_only)
{
	struct socket *a = sock(0, SOCK_DGRAM, IPPROTO_UDP);
	uint8_t q[12] = {0x11, 10, 0, 0, 239, 1, 2, 4, 2, 125, 0, 0};
	uint16_t sum = csum_fold(csum_partial(q, sizeof(q), 0));
	struct socket *r = sender(SOCK_RAW, IPPROTO_IGMP);
	struct sockaddr_in to = group_sin("239.1.2.4", 0);

	cr_assert_eq(join(a, IP_ADD_MEMBERSHIP, "239.1.2.3", NULL), 0);
	cr_assert_eq(join(a, IP_ADD_MEMBERSHIP, "239.1.2.4", NULL), 0);
	twostack_run_for(ts, 3 * NSEC_PER_SEC);
	nseen = 0;
	memcpy(q + 2, &sum, 2);
	cr_assert_eq(twostack_sendto(r, q, sizeof(q), &to), (int)sizeof(q));
	twostack_run_for(ts, 2 * NSEC_PER_SEC);
	/*
	 * The join left unsolicit_count set, so the answer is repeated once
	 * within the unsolicited interval, as the kernel's igmp_timer_expire.
	 */
	cr_assert_geq(count(IGMPV3_MODE_IS_EXCLUDE, "239.1.2.4"), 1);
	cr_assert_eq(count(IGMPV3_MODE_IS_EXCLUDE, "239.1.2.4"), nseen, "only the queried group");
}
