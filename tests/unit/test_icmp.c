// SPDX-License-Identifier: MIT
/*
 * ICMP: the stack answers pings, hands echo replies to ping sockets,
 * reports unreachable ports within the kernel's rate limits, and routes
 * errors to the socket that sent the quoted packet (and only to it).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <string.h>

#include "checksum.h"
#include "helper_twostack.h"
#include "icmp.h"
#include "inet.h"
#include "ip.h"

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

TestSuite(icmp, .init = setup, .fini = teardown);

/* Side 0 sends an ICMP echo request with identifier id to daddr. */
static int send_echo(uint32_t daddr, uint16_t id, uint16_t seq, const char *data, int bad_csum)
{
	size_t len = strlen(data);
	struct sk_buff *skb = alloc_skb(sizeof(struct icmphdr) + len);
	struct icmphdr *ic = (struct icmphdr *)skb_put(skb, sizeof(*ic) + len);

	memset(ic, 0, sizeof(*ic));
	ic->type = ICMP_ECHO;
	ic->un.echo.id = htons(id);
	ic->un.echo.sequence = htons(seq);
	memcpy(ic + 1, data, len);
	ic->checksum = csum_fold(csum_partial(ic, (int)(sizeof(*ic) + len), 0));
	if (bad_csum)
		ic->checksum ^= 0xff;
	return ip_build_and_send_pkt(&ts->net[0], skb, 0, daddr, IPPROTO_ICMP, 0, 0, IP_DF_NONE);
}

Test(icmp, the_stack_answers_ping_and_a_ping_socket_gets_the_reply)
{
	int err;
	struct socket *ping = twostack_socket(ts, 0, SOCK_DGRAM, IPPROTO_ICMP, &err);
	uint8_t buf[64];
	struct sockaddr_in from;
	struct icmphdr *ic = (struct icmphdr *)buf;
	int n;

	cr_assert_not_null(ping, "ping socket: %d", err);
	cr_assert_eq(twostack_bind(ping, 0, 4321), 0);
	cr_assert_eq(send_echo(twostack_addr(1), 4321, 1, "abcdefgh", 0), 0);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);

	cr_assert_eq(ts->net[1].mib.icmp.InEchos, 1);
	cr_assert_eq(ts->net[1].mib.icmp.OutEchoReps, 1);
	cr_assert_eq(ts->net[0].mib.icmp.InEchoReps, 1);
	n = twostack_recvfrom(ping, buf, sizeof(buf), 0, &from);
	cr_assert_eq(n, (int)sizeof(*ic) + 8, "got %d", n);
	cr_assert_eq(ic->type, ICMP_ECHOREPLY);
	cr_assert_eq(ntohs(ic->un.echo.id), 4321);
	cr_assert_eq(ntohs(ic->un.echo.sequence), 1);
	cr_assert_eq(memcmp(ic + 1, "abcdefgh", 8), 0, "the payload is echoed");
	cr_assert_eq(from.sin_addr.s_addr, twostack_addr(1));
	sock_release(ping);
}

Test(icmp, bad_checksum_and_broadcast_echo_get_no_reply)
{
	cr_assert_eq(send_echo(twostack_addr(1), 1, 1, "x", 1), 0);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(ts->net[1].mib.icmp.InCsumErrors, 1);
	cr_assert_eq(ts->net[1].mib.icmp.InErrors, 1);
	cr_assert_eq(ts->net[1].mib.icmp.OutEchoReps, 0);

	/* icmp_echo_ignore_broadcasts */
	cr_assert_eq(send_echo(inet_addr("10.0.0.255"), 1, 2, "x", 0), 0);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(ts->net[1].mib.icmp.InEchos, 1);
	cr_assert_eq(ts->net[1].mib.icmp.OutEchoReps, 0);
}

Test(icmp, port_unreachable_is_rate_limited_per_destination)
{
	int err;
	struct socket *a = twostack_socket(ts, 0, SOCK_DGRAM, IPPROTO_UDP, &err);
	struct sockaddr_in to = twostack_sin(1, 9999);

	/* Resolve ARP first: its queue would hold only a few. */
	cr_assert_eq(twostack_sendto(a, "x", 1, &to), 1);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(ts->net[1].mib.icmp.OutDestUnreachs, 1);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(twostack_sendto(a, "x", 1, &to), 1);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(ts->net[1].mib.udp.NoPorts, 11);
	/* icmp_ratelimit 1 s with a burst of 6 */
	cr_assert_eq(ts->net[1].mib.icmp.OutDestUnreachs, 6);
	cr_assert_eq(ts->net[0].mib.icmp.InDestUnreachs, 6);

	twostack_run_for(ts, NSEC_PER_SEC);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(twostack_sendto(a, "x", 1, &to), 1);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(ts->net[1].mib.icmp.OutDestUnreachs, 7, "one token per second");
	sock_release(a);
}

/* Hands side 0 an ICMP error from side 1 quoting a UDP packet src -> dst. */
static void inject_unreach(uint32_t qsrc, uint16_t qsport, uint32_t qdst, uint16_t qdport, int code)
{
	struct sk_buff *skb = alloc_skb(200);
	uint8_t *p;
	struct iphdr *iph, *q;
	struct icmphdr *ic;
	struct udphdr *uh;

	skb_reserve(skb, NET_IP_ALIGN);
	p = skb_put(skb, 14 + 20 + 8 + 20 + 8);
	memset(p, 0, skb->len);
	memcpy(p, twostack_mac[0], 6);
	memcpy(p + 6, twostack_mac[1], 6);
	p[12] = 0x08;
	iph = (struct iphdr *)(p + 14);
	ic = (struct icmphdr *)(p + 34);
	q = (struct iphdr *)(p + 42);
	uh = (struct udphdr *)(p + 62);
	iph->version = q->version = 4;
	iph->ihl = q->ihl = 5;
	iph->tot_len = htons(56);
	q->tot_len = htons(36);
	iph->ttl = q->ttl = 64;
	iph->protocol = IPPROTO_ICMP;
	q->protocol = IPPROTO_UDP;
	iph->saddr = twostack_addr(1);
	iph->daddr = twostack_addr(0);
	q->saddr = qsrc;
	q->daddr = qdst;
	q->check = ip_fast_csum(q, 5);
	iph->check = ip_fast_csum(iph, 5);
	uh->source = htons(qsport);
	uh->dest = htons(qdport);
	uh->len = htons(16);
	ic->type = ICMP_DEST_UNREACH;
	ic->code = (uint8_t)code;
	ic->checksum = csum_fold(csum_partial(ic, 36, 0));
	netif_receive_skb(&ts->net[0], skb);
}

Test(icmp, errors_reach_only_the_socket_that_sent_the_quoted_packet)
{
	int err;
	struct socket *a = twostack_socket(ts, 0, SOCK_DGRAM, IPPROTO_UDP, &err);
	struct sockaddr_in peer = twostack_sin(1, 53);

	cr_assert_eq(twostack_bind(a, 0, 5000), 0);
	cr_assert_eq(twostack_connect(a, &peer), 0);

	/* Quoting another source address: not ours, ignored. */
	inject_unreach(inet_addr("10.0.0.9"), 5000, twostack_addr(1), 53, ICMP_PORT_UNREACH);
	cr_assert_eq(a->sk->sk_err, 0);
	/* Quoting another port pair: no socket, counted. */
	inject_unreach(twostack_addr(0), 5001, twostack_addr(1), 53, ICMP_PORT_UNREACH);
	cr_assert_eq(a->sk->sk_err, 0);
	cr_assert_eq(ts->net[0].mib.icmp.InErrors, 1);
	/* Host unreachable is a soft error for UDP without IP_RECVERR. */
	inject_unreach(twostack_addr(0), 5000, twostack_addr(1), 53, ICMP_HOST_UNREACH);
	cr_assert_eq(a->sk->sk_err, 0);
	/* Ours: hard error on a connected socket. */
	inject_unreach(twostack_addr(0), 5000, twostack_addr(1), 53, ICMP_PORT_UNREACH);
	cr_assert_eq(a->sk->sk_err, ECONNREFUSED);
	cr_assert_eq(ts->net[0].mib.icmp.InDestUnreachs, 4);
	sock_release(a);
}

Test(icmp, errno_mapping_follows_icmp_err_convert)
{
	int fatal;

	cr_assert_eq(icmp_err_to_errno(ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, &fatal), ECONNREFUSED);
	cr_assert_eq(fatal, 1);
	cr_assert_eq(icmp_err_to_errno(ICMP_DEST_UNREACH, ICMP_NET_UNREACH, &fatal), ENETUNREACH);
	cr_assert_eq(fatal, 0);
	cr_assert_eq(icmp_err_to_errno(ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, &fatal), ENOPROTOOPT);
	cr_assert_eq(icmp_err_to_errno(ICMP_TIME_EXCEEDED, 0, &fatal), EHOSTUNREACH);
	cr_assert_eq(icmp_err_to_errno(ICMP_PARAMETERPROB, 0, &fatal), EPROTO);
	cr_assert_eq(fatal, 1);
}

struct captured {
	_Alignas(8) uint8_t pad[NET_IP_ALIGN]; /* so that the IP header in frame is aligned */
	uint8_t frame[600];
	unsigned int len;
};

static int capture_icmp(void *arg, int side, const uint8_t *frame, unsigned int len)
{
	struct captured *c = arg;

	if (side == 1 && len > 34 && frame[23] == IPPROTO_ICMP && len <= sizeof(c->frame)) {
		memcpy(c->frame, frame, len);
		c->len = len;
	}
	return 1;
}

Test(icmp, the_error_quotes_the_offending_header_and_payload)
{
	int err;
	struct socket *u = twostack_socket(ts, 0, SOCK_DGRAM, IPPROTO_UDP, &err);
	struct sockaddr_in to = twostack_sin(1, 9999);
	static char payload[1000];
	struct captured c = {0};

	memset(payload, 'q', sizeof(payload));
	mem_link_set_filter(ts->link, capture_icmp, &c);
	cr_assert_eq(twostack_sendto(u, payload, sizeof(payload), &to), (int)sizeof(payload));
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_gt(c.len, 0);

	const struct iphdr *iph = (const struct iphdr *)(c.frame + 14);
	const struct icmphdr *ic = (const struct icmphdr *)(c.frame + 34);
	const struct iphdr *q = (const struct iphdr *)(ic + 1);
	const struct udphdr *uh = (const struct udphdr *)(q + 1);

	/* At most 576 bytes of IP (RFC 1812 4.3.2.3), with a valid checksum. */
	cr_assert_eq(ntohs(iph->tot_len), 576);
	cr_assert_eq(iph->tos, IPTOS_PREC_INTERNETCONTROL);
	cr_assert_eq(csum_fold(csum_partial(ic, 576 - 20, 0)), 0);
	cr_assert_eq(ic->type, ICMP_DEST_UNREACH);
	cr_assert_eq(ic->code, ICMP_PORT_UNREACH);
	cr_assert_eq(q->saddr, twostack_addr(0));
	cr_assert_eq(q->daddr, twostack_addr(1));
	cr_assert_eq(ntohs(q->tot_len), 1028, "the quoted header is the original");
	cr_assert_eq(ntohs(uh->dest), 9999);
	cr_assert_eq(((const char *)(uh + 1))[0], 'q');
	sock_release(u);
}

Test(icmp, no_error_about_a_broadcast)
{
	int err;
	struct socket *u = twostack_socket(ts, 0, SOCK_DGRAM, IPPROTO_UDP, &err);
	struct sockaddr_in bc = {.sin_family = AF_INET, .sin_port = htons(9999)};
	int one = 1;

	bc.sin_addr.s_addr = inet_addr("10.0.0.255");
	cr_assert_eq(u->ops->setsockopt(u, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)), 0);
	cr_assert_eq(twostack_sendto(u, "b", 1, &bc), 1);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(ts->net[1].mib.ip.InDelivers, 1, "the broadcast arrived");
	cr_assert_eq(ts->net[1].mib.udp.NoPorts, 0,
		     "nobody listens, but no NoPorts for a broadcast");
	cr_assert_eq(ts->net[1].mib.udp.IgnoredMulti, 1);
	cr_assert_eq(ts->net[1].mib.icmp.OutDestUnreachs, 0);
	sock_release(u);
}
