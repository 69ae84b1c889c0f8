// SPDX-License-Identifier: MIT
/*
 * Raw and ping sockets sending, as raw_sendmsg and ping_v4_sendmsg: a raw
 * ICMP socket pings the other stack and reads the reply with its IP header,
 * IP_HDRINCL sends the application's header with tot_len, id and checksum
 * filled in, a ping socket gets its identifier put in and reads the reply
 * without the IP header; ICMP_FILTER and the kernel's errno for each
 * refused send.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/icmp.h>
#include <netinet/ip.h>
#include <string.h>

#include "checksum.h"
#include "helper_twostack.h"
#include "inet.h"

static struct twostack *ts;

static void setup(void)
{
	ts = twostack_create(NULL);
	cr_assert_not_null(ts);
	twostack_run_for(ts, NSEC_PER_MSEC);
}

static void teardown(void)
{
	twostack_destroy(ts);
}

TestSuite(raw, .init = setup, .fini = teardown);

static struct socket *sock_on(int side, int type, int protocol)
{
	int err = 0;
	struct socket *s = twostack_socket(ts, side, type, protocol, &err);

	cr_assert_not_null(s, "socket(%d, %d): %d", type, protocol, err);
	return s;
}

/* An echo request as an application writes it: checksummed, or not (ping sockets). */
static size_t echo_request(uint8_t *buf, uint16_t id, uint16_t seq, const char *data)
{
	struct icmphdr *ic = (struct icmphdr *)buf;
	size_t len = sizeof(*ic) + strlen(data);

	memset(ic, 0, sizeof(*ic));
	ic->type = ICMP_ECHO;
	ic->un.echo.id = htons(id);
	ic->un.echo.sequence = htons(seq);
	memcpy(ic + 1, data, strlen(data));
	ic->checksum = csum_fold(csum_partial(ic, (int)len, 0));
	return len;
}

/* sendmsg with a name of any length and extra flags. */
static int send_named(struct socket *s, const void *buf, size_t len, const void *name,
		      socklen_t namelen, int flags)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {
		.msg_name = (void *)name,
		.msg_namelen = namelen,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_flags = MSG_DONTWAIT | flags,
	};

	return s->ops->sendmsg(s, &msg, len);
}

Test(raw, a_raw_icmp_socket_pings_and_reads_the_reply_with_its_ip_header)
{
	struct socket *s = sock_on(0, SOCK_RAW, IPPROTO_ICMP);
	struct sockaddr_in to = twostack_sin(1, 0), from;
	uint8_t buf[128];
	const struct iphdr *iph = (const struct iphdr *)buf;
	const struct icmphdr *ic = (const struct icmphdr *)(buf + sizeof(*iph));
	size_t len = echo_request(buf, 0x1234, 7, "abcdefgh");
	int n;

	cr_assert_eq(twostack_sendto(s, buf, len, &to), (int)len);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(ts->net[1].mib.icmp.InEchos, 1);
	cr_assert_eq(ts->net[1].mib.icmp.OutEchoReps, 1);

	/* Linux hands a raw socket every ICMP message: our request is not looped, the reply is. */
	n = twostack_recvfrom(s, buf, sizeof(buf), 0, &from);
	cr_assert_eq(n, (int)(sizeof(*iph) + len), "got %d", n);
	cr_assert_eq(iph->version, 4);
	cr_assert_eq(iph->protocol, IPPROTO_ICMP);
	cr_assert_eq(iph->saddr, twostack_addr(1));
	cr_assert_eq(iph->daddr, twostack_addr(0));
	cr_assert_eq(ntohs(iph->tot_len), n);
	cr_assert_eq(ic->type, ICMP_ECHOREPLY);
	cr_assert_eq(ntohs(ic->un.echo.id), 0x1234, "a raw socket's identifier is its own");
	cr_assert_eq(ntohs(ic->un.echo.sequence), 7);
	cr_assert_eq(memcmp(ic + 1, "abcdefgh", 8), 0);
	cr_assert_eq(from.sin_addr.s_addr, twostack_addr(1));
	cr_assert_eq(twostack_recvfrom(s, buf, sizeof(buf), 0, NULL), -EAGAIN);
	sock_release(s);
}

Test(raw, a_connected_raw_socket_sends_without_a_name)
{
	struct socket *s = sock_on(0, SOCK_RAW, IPPROTO_ICMP);
	struct sockaddr_in to = twostack_sin(1, 0);
	uint8_t buf[64];
	size_t len = echo_request(buf, 1, 1, "x");

	cr_assert_eq(twostack_sendto(s, buf, len, NULL), -EDESTADDRREQ);
	cr_assert_eq(twostack_connect(s, &to), 0);
	cr_assert_eq(twostack_sendto(s, buf, len, NULL), (int)len);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(ts->net[1].mib.icmp.OutEchoReps, 1);
	cr_assert_eq(twostack_recvfrom(s, buf, sizeof(buf), 0, NULL),
		     (int)(sizeof(struct iphdr) + len));
	sock_release(s);
}

Test(raw, ip_hdrincl_sends_the_applications_header_completed)
{
	struct socket *s = sock_on(0, SOCK_RAW, IPPROTO_RAW);
	struct socket *watch = sock_on(1, SOCK_RAW, IPPROTO_ICMP);
	struct socket *back = sock_on(0, SOCK_RAW, IPPROTO_ICMP);
	struct sockaddr_in to = twostack_sin(1, 0);
	uint8_t pkt[128], got[128];
	struct iphdr *iph = (struct iphdr *)pkt;
	const struct iphdr *giph = (const struct iphdr *)got;
	size_t len = sizeof(*iph) + echo_request(pkt + sizeof(*iph), 9, 1, "hdrincl");
	int n;

	/* tot_len, id, checksum and the source left to the stack. */
	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->tos = 0x10;
	iph->ttl = 33;
	iph->protocol = IPPROTO_ICMP;
	iph->frag_off = htons(IP_DF);
	iph->daddr = twostack_addr(1);
	cr_assert_eq(twostack_sendto(s, pkt, len, &to), (int)len);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);

	n = twostack_recvfrom(watch, got, sizeof(got), 0, NULL);
	cr_assert_eq(n, (int)len, "got %d", n);
	cr_assert_eq(ntohs(giph->tot_len), len);
	cr_assert_neq(giph->id, 0, "a zero id is chosen by the stack");
	cr_assert_eq(ip_fast_csum(giph, giph->ihl), 0, "the header checksum is filled in");
	cr_assert_eq(giph->saddr, twostack_addr(0), "a zero source is the route's");
	cr_assert_eq(giph->ttl, 33);
	cr_assert_eq(giph->tos, 0x10);
	cr_assert_eq(giph->frag_off, htons(IP_DF));
	cr_assert_eq(memcmp(got + sizeof(*iph), pkt + sizeof(*iph), len - sizeof(*iph)), 0);
	cr_assert_eq(ts->net[1].mib.icmp.OutEchoReps, 1);
	cr_assert_gt(twostack_recvfrom(back, got, sizeof(got), 0, NULL), 0,
		     "the reply reaches a raw ICMP socket");

	/* A non-zero id is the application's. */
	iph->id = htons(0xbeef);
	cr_assert_eq(twostack_sendto(s, pkt, len, &to), (int)len);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_recvfrom(watch, got, sizeof(got), 0, NULL), (int)len);
	cr_assert_eq(giph->id, htons(0xbeef));

	/* Shorter than an IP header, or larger than the MTU. */
	cr_assert_eq(twostack_sendto(s, pkt, sizeof(*iph) - 1, &to), -EINVAL);
	{
		static uint8_t big[1501];

		memcpy(big, pkt, sizeof(*iph));
		cr_assert_eq(twostack_sendto(s, big, sizeof(big), &to), -EMSGSIZE);
	}
	sock_release(s);
	sock_release(watch);
	sock_release(back);
}

Test(raw, ip_hdrincl_can_be_set_on_any_raw_socket)
{
	struct socket *s = sock_on(0, SOCK_RAW, IPPROTO_ICMP);
	struct socket *watch = sock_on(1, SOCK_RAW, IPPROTO_UDP);
	struct sockaddr_in to = twostack_sin(1, 0);
	uint8_t pkt[64] = {0}, got[64];
	struct iphdr *iph = (struct iphdr *)pkt;
	int one = 1;

	cr_assert_eq(s->ops->setsockopt(s, SOL_IP, IP_HDRINCL, &one, sizeof(one)), 0);
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->protocol = IPPROTO_UDP; /* the header's protocol, not the socket's */
	iph->daddr = twostack_addr(1);
	cr_assert_eq(twostack_sendto(s, pkt, 28, &to), 28);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_recvfrom(watch, got, sizeof(got), 0, NULL), 28);

	/* IP options cannot be sent through the stack's output path. */
	iph->ihl = 6;
	cr_assert_eq(twostack_sendto(s, pkt, 28, &to), -EINVAL);
	sock_release(s);
	sock_release(watch);
}

Test(raw, raw_sendmsg_errno_follows_the_kernel)
{
	struct socket *s = sock_on(0, SOCK_RAW, IPPROTO_ICMP);
	struct sockaddr_in to = twostack_sin(1, 0);
	static uint8_t big[0x10000];
	uint8_t buf[64];
	size_t len = echo_request(buf, 1, 1, "x");

	cr_assert_eq(send_named(s, buf, len, &to, sizeof(to) - 1, 0), -EINVAL);
	to.sin_family = AF_INET6;
	cr_assert_eq(send_named(s, buf, len, &to, sizeof(to), 0), -EAFNOSUPPORT);
	/* AF_UNSPEC passes as AF_INET ("forgot to set AF_INET"). */
	to.sin_family = AF_UNSPEC;
	cr_assert_eq(send_named(s, buf, len, &to, sizeof(to), 0), (int)len);
	to.sin_family = AF_INET;
	cr_assert_eq(send_named(s, buf, len, NULL, 0, 0), -EDESTADDRREQ);
	cr_assert_eq(send_named(s, buf, len, &to, sizeof(to), MSG_OOB), -EOPNOTSUPP);
	cr_assert_eq(send_named(s, big, sizeof(big), &to, sizeof(to), 0), -EMSGSIZE);
	/* Within 0xffff, but with its IP header over the IP maximum. */
	cr_assert_eq(send_named(s, big, 0xffff - 19, &to, sizeof(to), 0), -EMSGSIZE);
	to.sin_addr.s_addr = inet_addr("10.0.0.255");
	cr_assert_eq(send_named(s, buf, len, &to, sizeof(to), 0), -EACCES,
		     "broadcast without SO_BROADCAST");
	to.sin_addr.s_addr = inet_addr("192.0.2.1");
	cr_assert_eq(send_named(s, buf, len, &to, sizeof(to), 0), -ENETUNREACH);
	sock_release(s);
}

Test(raw, icmp_filter_drops_the_types_asked_for)
{
	struct socket *s = sock_on(0, SOCK_RAW, IPPROTO_ICMP);
	struct socket *udp = sock_on(0, SOCK_RAW, IPPROTO_UDP);
	struct sockaddr_in to = twostack_sin(1, 0);
	struct icmp_filter f = {.data = 1u << ICMP_ECHOREPLY}, g = {0};
	uint8_t buf[64];
	size_t len = echo_request(buf, 1, 1, "x");
	int glen = (int)sizeof(g), one = 1;

	cr_assert_eq(s->ops->setsockopt(s, SOL_RAW, ICMP_FILTER, &f, sizeof(f)), 0);
	cr_assert_eq(s->ops->getsockopt(s, SOL_RAW, ICMP_FILTER, &g, &glen), 0);
	cr_assert_eq(glen, (int)sizeof(g));
	cr_assert_eq(g.data, f.data);
	cr_assert_eq(twostack_sendto(s, buf, len, &to), (int)len);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(ts->net[1].mib.icmp.OutEchoReps, 1);
	cr_assert_eq(twostack_recvfrom(s, buf, sizeof(buf), 0, NULL), -EAGAIN, "filtered");

	/* The kernel's answers: other SOL_RAW options, ICMP_FILTER off ICMP, IP_HDRINCL off raw. */
	cr_assert_eq(s->ops->setsockopt(s, SOL_RAW, 2, &one, sizeof(one)), -ENOPROTOOPT);
	cr_assert_eq(s->ops->getsockopt(s, SOL_RAW, 2, &g, &glen), -ENOPROTOOPT);
	cr_assert_eq(udp->ops->setsockopt(udp, SOL_RAW, ICMP_FILTER, &f, sizeof(f)), -EOPNOTSUPP);
	cr_assert_eq(udp->ops->getsockopt(udp, SOL_RAW, ICMP_FILTER, &g, &glen), -EOPNOTSUPP);
	sock_release(s);
	sock_release(udp);
}

Test(raw, a_ping_socket_sends_with_its_identifier_and_reads_without_ip_header)
{
	struct socket *p = sock_on(0, SOCK_DGRAM, IPPROTO_ICMP);
	struct socket *watch = sock_on(1, SOCK_RAW, IPPROTO_ICMP);
	struct sockaddr_in to = twostack_sin(1, 0), name;
	uint8_t buf[128];
	const struct icmphdr *ic = (const struct icmphdr *)buf;
	const struct icmphdr *wic = (const struct icmphdr *)(buf + sizeof(struct iphdr));
	size_t len = echo_request(buf, 0xdead, 3, "payload!");
	int n, one = 1;

	buf[2] ^= 0x55; /* the stack computes the checksum: what the application wrote is ignored */
	cr_assert_eq(twostack_sendto(p, buf, len, &to), (int)len);
	cr_assert_eq(p->ops->getname(p, (struct sockaddr *)&name, 0), (int)sizeof(name));
	cr_assert_neq(name.sin_port, 0, "sending bound an identifier");
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);

	n = twostack_recvfrom(watch, buf, sizeof(buf), 0, NULL);
	cr_assert_eq(n, (int)(sizeof(struct iphdr) + len));
	cr_assert_eq(wic->un.echo.id, name.sin_port, "the identifier is the socket's");
	cr_assert_eq(csum_fold(csum_partial(wic, (int)len, 0)), 0, "checksummed by the stack");
	cr_assert_eq(ts->net[1].mib.icmp.OutEchoReps, 1);

	n = twostack_recvfrom(p, buf, sizeof(buf), 0, NULL);
	cr_assert_eq(n, (int)len, "no IP header on a ping socket");
	cr_assert_eq(ic->type, ICMP_ECHOREPLY);
	cr_assert_eq(ic->un.echo.id, name.sin_port);
	cr_assert_eq(ntohs(ic->un.echo.sequence), 3);

	/* ping_common_sendmsg, then the address; IP_HDRINCL is not a ping socket's. */
	len = echo_request(buf, 0, 4, "x");
	cr_assert_eq(send_named(p, buf, sizeof(struct icmphdr) - 1, &to, sizeof(to), 0), -EINVAL);
	cr_assert_eq(send_named(p, buf, len, &to, sizeof(to), MSG_OOB), -EOPNOTSUPP);
	buf[0] = ICMP_ECHOREPLY;
	cr_assert_eq(send_named(p, buf, len, &to, sizeof(to), 0), -EINVAL);
	buf[0] = ICMP_ECHO;
	buf[1] = 1;
	cr_assert_eq(send_named(p, buf, len, &to, sizeof(to), 0), -EINVAL, "code must be 0");
	buf[1] = 0;
	cr_assert_eq(send_named(p, buf, len, &to, sizeof(to) - 1, 0), -EINVAL);
	to.sin_family = AF_UNSPEC;
	cr_assert_eq(send_named(p, buf, len, &to, sizeof(to), 0), -EAFNOSUPPORT);
	cr_assert_eq(send_named(p, buf, len, NULL, 0, 0), -EDESTADDRREQ);
	cr_assert_eq(p->ops->setsockopt(p, SOL_IP, IP_HDRINCL, &one, sizeof(one)), -ENOPROTOOPT);
	cr_assert_eq(p->ops->setsockopt(p, SOL_IP, IP_TTL, &one, sizeof(one)), 0);
	sock_release(p);
	sock_release(watch);
}
