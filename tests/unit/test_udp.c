// SPDX-License-Identifier: MIT
/*
 * UDP between two stacks on the in-memory wire: exchange, errors from the
 * peer (port unreachable -> ECONNREFUSED), receive semantics (MSG_PEEK,
 * MSG_TRUNC, SIOCINQ, -EAGAIN), port allocation, the checks of sendmsg and
 * of udp_rcv, UDP-Lite coverage, software transmit stamps after ARP.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/ioctl.h>

#include "checksum.h"
#include "helper_twostack.h"
#include "inet.h"
#include "ip.h"
#include "udp.h"

static struct twostack *ts;

static void setup(void)
{
	ts = twostack_create(NULL);
	cr_assert_not_null(ts);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC); /* the gratuitous ARPs */
}

static void teardown(void)
{
	twostack_destroy(ts);
}

static struct socket *udp_socket(int side)
{
	int err;
	struct socket *s = twostack_socket(ts, side, SOCK_DGRAM, IPPROTO_UDP, &err);

	cr_assert_not_null(s, "socket: %d", err);
	return s;
}

TestSuite(udp, .init = setup, .fini = teardown);

Test(udp, datagram_exchange_with_source_addresses)
{
	struct socket *a = udp_socket(0), *b = udp_socket(1);
	struct sockaddr_in to_b = twostack_sin(1, 9000), from;
	char buf[64];
	int n;

	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	cr_assert_eq(twostack_sendto(a, "hello", 5, &to_b), 5);
	/* a was autobound to an ephemeral port */
	cr_assert_neq(a->sk->sk_num, 0);

	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	n = twostack_recvfrom(b, buf, sizeof(buf), 0, &from);
	cr_assert_eq(n, 5);
	cr_assert_eq(memcmp(buf, "hello", 5), 0);
	cr_assert_eq(from.sin_family, AF_INET);
	cr_assert_eq(from.sin_addr.s_addr, twostack_addr(0));
	cr_assert_eq(ntohs(from.sin_port), a->sk->sk_num);

	/* And back, to the address recvfrom reported. */
	cr_assert_eq(twostack_sendto(b, "world!", 6, &from), 6);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	n = twostack_recvfrom(a, buf, sizeof(buf), 0, &from);
	cr_assert_eq(n, 6);
	cr_assert_eq(memcmp(buf, "world!", 6), 0);
	cr_assert_eq(from.sin_addr.s_addr, twostack_addr(1));
	cr_assert_eq(ntohs(from.sin_port), 9000);

	cr_assert_eq(ts->net[0].mib.udp.OutDatagrams, 1);
	cr_assert_eq(ts->net[1].mib.udp.InDatagrams, 1);
	cr_assert_eq(ts->net[1].mib.udp.OutDatagrams, 1);
	cr_assert_eq(ts->net[0].mib.udp.InDatagrams, 1);
	/* Nothing more queued. */
	cr_assert_eq(twostack_recvfrom(a, buf, sizeof(buf), 0, NULL), -EAGAIN);

	/* The counters as `sockshim stat` prints them. */
	char text[4096];
	int len = snmp_format(&ts->net[1], text, sizeof(text));

	cr_assert_gt(len, 0);
	cr_assert_lt(len, (int)sizeof(text));
	cr_assert_not_null(strstr(text, "Udp: InDatagrams=1 NoPorts=0 "), "%s", text);
	cr_assert_eq(strncmp(text, "Ip: InReceives=", 15), 0, "%s", text);
	cr_assert_not_null(strstr(text, "\nTcp: ActiveOpens=0 "), "%s", text);
	cr_assert_eq(snmp_format(&ts->net[1], text, 10), len, "a short buffer reports the need");
	cr_assert_eq(strlen(text), 9);
	sock_release(a);
	sock_release(b);
}

Test(udp, port_unreachable_refuses_a_connected_socket)
{
	struct socket *a = udp_socket(0);
	struct sockaddr_in to = twostack_sin(1, 9999);
	char buf[8];

	cr_assert_eq(twostack_connect(a, &to), 0);
	cr_assert_eq(twostack_sendto(a, "x", 1, NULL), 1);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);

	/* The peer had nobody on 9999: NoPorts, and an ICMP port unreachable back. */
	cr_assert_eq(ts->net[1].mib.udp.NoPorts, 1);
	cr_assert_eq(ts->net[1].mib.icmp.OutDestUnreachs, 1);
	cr_assert_eq(ts->net[0].mib.icmp.InDestUnreachs, 1);
	cr_assert_eq(a->sk->sk_err, ECONNREFUSED);

	/* The error is reported once, by the next call. */
	cr_assert_eq(twostack_recvfrom(a, buf, sizeof(buf), 0, NULL), -ECONNREFUSED);
	cr_assert_eq(twostack_recvfrom(a, buf, sizeof(buf), 0, NULL), -EAGAIN);
	cr_assert_eq(twostack_sendto(a, "x", 1, NULL), 1);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_sendto(a, "x", 1, NULL), -ECONNREFUSED);
	sock_release(a);
}

Test(udp, unconnected_socket_ignores_port_unreachable)
{
	struct socket *a = udp_socket(0);
	struct sockaddr_in to = twostack_sin(1, 9999);

	cr_assert_eq(twostack_sendto(a, "x", 1, &to), 1);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(ts->net[0].mib.icmp.InDestUnreachs, 1);
	cr_assert_eq(a->sk->sk_err, 0);
	sock_release(a);
}

Test(udp, recverr_queues_the_error_with_its_details)
{
	/* The same dialogue against Linux 6.18 gives exactly these values. */
	struct socket *a = udp_socket(0);
	struct sockaddr_in to = twostack_sin(1, 9999), from;
	int one = 1;
	char buf[64], cbuf[256];
	struct iovec iov = {.iov_base = buf, .iov_len = 4};
	struct msghdr msg = {.msg_name = &from,
			     .msg_namelen = sizeof(from),
			     .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	struct sock_extended_err *ee;
	struct sockaddr_in *offender;

	cr_assert_eq(a->ops->setsockopt(a, SOL_IP, IP_RECVERR, &one, sizeof(one)), 0);
	cr_assert_eq(twostack_sendto(a, "payload!", 8, &to), 8);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(a->sk->sk_err, ECONNREFUSED, "reported even though not connected");
	cr_assert_eq(twostack_recvfrom(a, buf, sizeof(buf), 0, NULL), -ECONNREFUSED);

	cr_assert_eq(a->ops->recvmsg(a, &msg, 4, MSG_ERRQUEUE | MSG_DONTWAIT), 4);
	cr_assert_eq(msg.msg_flags, MSG_ERRQUEUE | MSG_TRUNC);
	cr_assert_eq(memcmp(buf, "payl", 4), 0, "the quoted payload");
	cr_assert_eq(from.sin_addr.s_addr, twostack_addr(1));
	cr_assert_eq(ntohs(from.sin_port), 9999);
	cr_assert_eq(msg.msg_controllen, CMSG_SPACE(sizeof(*ee) + sizeof(*offender)));
	cm = CMSG_FIRSTHDR(&msg);
	cr_assert_not_null(cm);
	cr_assert_eq(cm->cmsg_level, SOL_IP);
	cr_assert_eq(cm->cmsg_type, IP_RECVERR);
	cr_assert_eq(cm->cmsg_len, CMSG_LEN(sizeof(*ee) + sizeof(*offender)));
	ee = (struct sock_extended_err *)CMSG_DATA(cm);
	offender = (struct sockaddr_in *)SO_EE_OFFENDER(ee);
	cr_assert_eq(ee->ee_errno, ECONNREFUSED);
	cr_assert_eq(ee->ee_origin, SO_EE_ORIGIN_ICMP);
	cr_assert_eq(ee->ee_type, ICMP_DEST_UNREACH);
	cr_assert_eq(ee->ee_code, ICMP_PORT_UNREACH);
	cr_assert_eq(offender->sin_family, AF_INET);
	cr_assert_eq(offender->sin_addr.s_addr, twostack_addr(1));

	cr_assert_eq(twostack_recvfrom(a, buf, sizeof(buf), MSG_ERRQUEUE, NULL), -EAGAIN);
	cr_assert_eq(twostack_recvfrom(a, buf, sizeof(buf), 0, NULL), -EAGAIN);
	cr_assert_eq(a->sk->sk_rmem_alloc, 0);
	sock_release(a);
}

/*
 * SOF_TIMESTAMPING_TX_SOFTWARE: the stamp is taken when the link is handed
 * the frame, so a datagram that waited for ARP is stamped when it leaves.
 */
Test(udp, tx_stamp_is_taken_when_the_frame_leaves)
{
	int flags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
		    SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
	struct mem_link_impair imp = {.delay_ns = NSEC_PER_MSEC};
	struct socket *a;
	struct sockaddr_in to = twostack_sin(1, 9999);
	char buf[64], cbuf[256];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	struct sock_extended_err *ee;
	struct cmsghdr *cm;
	uint64_t sent;
	int64_t stamp[2];

	/* A wire with a 1 ms delay: the ARP exchange takes 2 ms. */
	twostack_destroy(ts);
	ts = twostack_create(&imp);
	cr_assert_not_null(ts);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	a = udp_socket(0);
	cr_assert_eq(a->ops->setsockopt(a, SOL_SOCKET, SO_TIMESTAMPING_OLD, &flags, sizeof(flags)),
		     0);
	sent = ts->net[0].now;
	cr_assert_eq(twostack_sendto(a, "x", 1, &to), 1);
	cr_assert_eq(twostack_recvfrom(a, buf, sizeof(buf), MSG_ERRQUEUE, NULL), -EAGAIN,
		     "no stamp while the frame waits for ARP");
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(a->ops->recvmsg(a, &msg, sizeof(buf), MSG_ERRQUEUE | MSG_DONTWAIT), 0);
	cm = CMSG_FIRSTHDR(&msg);
	cr_assert_not_null(cm);
	cr_assert_eq(cm->cmsg_type, SO_TIMESTAMPING_OLD);
	memcpy(stamp, CMSG_DATA(cm), sizeof(stamp));
	/* The request out, the reply back: 2 ms after the send. */
	cr_assert_eq(stamp[0] * (int64_t)NSEC_PER_SEC + stamp[1] - ts->net[0].realtime_offset,
		     (int64_t)(sent + 2 * NSEC_PER_MSEC), "stamped when the link took it");
	cm = CMSG_NXTHDR(&msg, cm);
	cr_assert_not_null(cm);
	ee = (struct sock_extended_err *)CMSG_DATA(cm);
	cr_assert_eq(ee->ee_errno, ENOMSG);
	cr_assert_eq(ee->ee_origin, SO_EE_ORIGIN_TIMESTAMPING);
	cr_assert_eq(ee->ee_info, SCM_TSTAMP_SND);
	cr_assert_eq(ee->ee_data, 0);
	cr_assert_eq(a->sk->sk_rmem_alloc, 0);
	sock_release(a);
}

/* A socket closed while its stamped frame waits for ARP: the frame leaves, unstamped. */
Test(udp, tx_stamped_frame_outlives_its_socket)
{
	int flags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
	struct socket *a = udp_socket(0), *b = udp_socket(1);
	struct sockaddr_in to = twostack_sin(1, 9000);
	char buf[16];

	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	cr_assert_eq(a->ops->setsockopt(a, SOL_SOCKET, SO_TIMESTAMPING_OLD, &flags, sizeof(flags)),
		     0);
	cr_assert_eq(twostack_sendto(a, "late", 4, &to), 4);
	sock_release(a);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_recvfrom(b, buf, sizeof(buf), 0, NULL), 4);
	sock_release(b);
}

Test(udp, a_pending_error_comes_before_queued_data)
{
	/* Linux: recv returns ECONNREFUSED first, then the datagram. */
	struct socket *a = udp_socket(0), *b = udp_socket(1);
	struct sockaddr_in to_b = twostack_sin(1, 9000), to_a = twostack_sin(0, 5000);
	char buf[16];

	cr_assert_eq(twostack_bind(a, 0, 5000), 0);
	cr_assert_eq(twostack_connect(a, &to_b), 0);
	cr_assert_eq(twostack_sendto(a, "x", 1, NULL), 1);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	cr_assert_eq(twostack_sendto(b, "data", 4, &to_a), 4);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_recvfrom(a, buf, sizeof(buf), 0, NULL), -ECONNREFUSED);
	cr_assert_eq(twostack_recvfrom(a, buf, sizeof(buf), 0, NULL), 4);
	sock_release(a);
	sock_release(b);
}

Test(udp, peek_trunc_and_inq)
{
	struct socket *a = udp_socket(0), *b = udp_socket(1);
	struct sockaddr_in to_b = twostack_sin(1, 9000);
	char buf[64];
	struct iovec iov = {.iov_base = buf, .iov_len = 4};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	unsigned long inq = 0;

	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	cr_assert_eq(b->ops->ioctl(b, SIOCINQ, (unsigned long)&inq), 0);
	cr_assert_eq(inq, 0);
	cr_assert_eq(twostack_sendto(a, "0123456789", 10, &to_b), 10);
	cr_assert_eq(twostack_sendto(a, "abc", 3, &to_b), 3);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);

	/* SIOCINQ is the size of the next datagram, not the queue. */
	cr_assert_eq(b->ops->ioctl(b, SIOCINQ, (unsigned long)&inq), 0);
	cr_assert_eq(inq, 10);

	/* Peek leaves it queued; a short buffer sets MSG_TRUNC. */
	cr_assert_eq(b->ops->recvmsg(b, &msg, 4, MSG_PEEK | MSG_DONTWAIT), 4);
	cr_assert(msg.msg_flags & MSG_TRUNC);
	cr_assert_eq(memcmp(buf, "0123", 4), 0);
	/* MSG_TRUNC in flags returns the real length. */
	msg.msg_flags = 0;
	cr_assert_eq(b->ops->recvmsg(b, &msg, 4, MSG_TRUNC | MSG_DONTWAIT), 10);
	/* The rest of the datagram is gone; the next one comes whole. */
	cr_assert_eq(twostack_recvfrom(b, buf, sizeof(buf), 0, NULL), 3);
	cr_assert_eq(memcmp(buf, "abc", 3), 0);
	cr_assert_eq(twostack_recvfrom(b, buf, sizeof(buf), 0, NULL), -EAGAIN);
	cr_assert_eq(b->sk->sk_rmem_alloc, 0);
	sock_release(a);
	sock_release(b);
}

Test(udp, sendmsg_checks)
{
	struct socket *a = udp_socket(0);
	struct sockaddr_in to = twostack_sin(1, 9000), bad = to, far = to;
	static char big[65508];

	cr_assert_eq(twostack_sendto(a, "x", 1, NULL), -EDESTADDRREQ);
	bad.sin_port = 0;
	cr_assert_eq(twostack_sendto(a, "x", 1, &bad), -EINVAL);
	bad = to;
	bad.sin_family = AF_INET6;
	cr_assert_eq(twostack_sendto(a, "x", 1, &bad), -EAFNOSUPPORT);
	cr_assert_eq(twostack_sendto(a, big, sizeof(big), &to), -EMSGSIZE);
	/* Off the subnet with no gateway. */
	far.sin_addr.s_addr = inet_addr("192.0.2.1");
	cr_assert_eq(twostack_sendto(a, "x", 1, &far), -ENETUNREACH);
	cr_assert_eq(ts->net[0].mib.ip.OutNoRoutes, 1);
	/* Broadcast needs SO_BROADCAST. */
	far.sin_addr.s_addr = inet_addr("10.0.0.255");
	cr_assert_eq(twostack_sendto(a, "x", 1, &far), -EACCES);
	sock_release(a);
}

Test(udp, bind_conflicts_and_reuse)
{
	struct socket *a = udp_socket(1), *b = udp_socket(1), *c = udp_socket(1);
	int one = 1;

	cr_assert_eq(twostack_bind(a, 0, 7000), 0);
	cr_assert_eq(twostack_bind(b, 0, 7000), -EADDRINUSE);
	cr_assert_eq(twostack_bind(b, twostack_addr(1), 7000), -EADDRINUSE,
		     "a specific address conflicts with the wildcard");
	/* Both SO_REUSEADDR: allowed. */
	sock_release(a);
	a = udp_socket(1);
	cr_assert_eq(a->ops->setsockopt(a, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	cr_assert_eq(b->ops->setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	cr_assert_eq(twostack_bind(a, 0, 7000), 0);
	cr_assert_eq(twostack_bind(b, 0, 7000), 0);
	/* c without the option still conflicts. */
	cr_assert_eq(twostack_bind(c, 0, 7000), -EADDRINUSE);
	cr_assert_eq(twostack_bind(c, 0, 7001), 0);
	sock_release(a);
	sock_release(b);
	sock_release(c);
}

Test(udp, reuseport_group)
{
	struct socket *a = udp_socket(1), *b = udp_socket(1);
	int one = 1;

	cr_assert_eq(a->ops->setsockopt(a, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)), 0);
	cr_assert_eq(b->ops->setsockopt(b, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)), 0);
	cr_assert_eq(twostack_bind(a, 0, 7100), 0);
	cr_assert_eq(twostack_bind(b, 0, 7100), 0);
	sock_release(a);
	sock_release(b);
}

Test(udp, connected_socket_prefers_its_peer)
{
	struct socket *wild = udp_socket(1), *conn = udp_socket(1), *a = udp_socket(0);
	struct sockaddr_in to_b = twostack_sin(1, 7200), from;
	char buf[16];
	int one = 1;

	cr_assert_eq(twostack_bind(a, 0, 5555), 0);
	cr_assert_eq(wild->ops->setsockopt(wild, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	cr_assert_eq(conn->ops->setsockopt(conn, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	cr_assert_eq(twostack_bind(wild, 0, 7200), 0);
	cr_assert_eq(twostack_bind(conn, 0, 7200), 0);
	from = twostack_sin(0, 5555);
	cr_assert_eq(twostack_connect(conn, &from), 0);
	cr_assert_eq(twostack_sendto(a, "p", 1, &to_b), 1);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_recvfrom(conn, buf, sizeof(buf), 0, NULL), 1);
	cr_assert_eq(twostack_recvfrom(wild, buf, sizeof(buf), 0, NULL), -EAGAIN);

	/* AF_UNSPEC disconnects: the wildcard-addressed bound socket keeps its port. */
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};

	cr_assert_eq(conn->ops->connect(conn, &unspec, sizeof(unspec), 0), 0);
	cr_assert_eq(conn->sk->sk_daddr, 0);
	cr_assert_eq(conn->sk->sk_num, 7200);
	sock_release(a);
	sock_release(wild);
	sock_release(conn);
}

Test(udp, receive_buffer_overflow_is_counted)
{
	struct socket *a = udp_socket(0), *b = udp_socket(1);
	struct sockaddr_in to_b = twostack_sin(1, 9000);
	int small = 4096, got = 0;
	char buf[1000] = {0};

	cr_assert_eq(b->ops->setsockopt(b, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	for (int i = 0; i < 20; i++) {
		cr_assert_eq(twostack_sendto(a, buf, sizeof(buf), &to_b), (int)sizeof(buf));
		twostack_run_for(ts, NSEC_PER_MSEC);
	}
	while (twostack_recvfrom(b, buf, sizeof(buf), 0, NULL) > 0)
		got++;
	cr_assert_gt(got, 0);
	cr_assert_lt(got, 20);
	cr_assert_eq(ts->net[1].mib.udp.RcvbufErrors, (uint64_t)(20 - got));
	cr_assert_eq(ts->net[1].mib.udp.InErrors, (uint64_t)(20 - got));
	sock_release(a);
	sock_release(b);
}

/* Builds a UDP/IPv4 frame from side 0 to side 1 and hands it to side 1. */
static void inject_udp(uint16_t dport, const char *payload, int corrupt)
{
	struct sk_buff *skb = alloc_skb(200);
	size_t plen = strlen(payload);
	uint8_t *p;

	skb_reserve(skb, NET_IP_ALIGN);
	p = skb_put(skb, 14 + 20 + 8 + plen);
	struct iphdr *iph = (struct iphdr *)(p + 14);
	struct udphdr *uh = (struct udphdr *)(p + 34);

	memcpy(p, twostack_mac[1], 6);
	memcpy(p + 6, twostack_mac[0], 6);
	p[12] = 0x08;
	p[13] = 0x00;
	memset(iph, 0, 20);
	iph->version = 4;
	iph->ihl = 5;
	iph->tot_len = htons((uint16_t)(28 + plen));
	iph->ttl = 64;
	iph->protocol = IPPROTO_UDP;
	iph->saddr = twostack_addr(0);
	iph->daddr = twostack_addr(1);
	iph->check = ip_fast_csum(iph, 5);
	uh->source = htons(4444);
	uh->dest = htons(dport);
	uh->len = htons((uint16_t)(8 + plen));
	uh->check = 0;
	memcpy(uh + 1, payload, plen);
	uh->check = csum_tcpudp_magic(iph->saddr, iph->daddr, 8 + (uint32_t)plen, IPPROTO_UDP,
				      csum_partial(uh, 8 + (int)plen, 0));
	if (corrupt)
		uh->check ^= 0x0101;
	netif_receive_skb(&ts->net[1], skb);
}

Test(udp, bad_checksum_is_dropped_and_counted)
{
	struct socket *b = udp_socket(1);
	char buf[16];

	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	inject_udp(9000, "good", 0);
	inject_udp(9000, "bad!", 1);
	cr_assert_eq(ts->net[1].mib.udp.InCsumErrors, 1);
	cr_assert_eq(ts->net[1].mib.udp.InErrors, 1);
	cr_assert_eq(twostack_recvfrom(b, buf, sizeof(buf), 0, NULL), 4);
	cr_assert_eq(memcmp(buf, "good", 4), 0);
	cr_assert_eq(twostack_recvfrom(b, buf, sizeof(buf), 0, NULL), -EAGAIN);
	sock_release(b);
}

Test(udp, datagram_to_the_stack_itself_loops_back)
{
	struct socket *a = udp_socket(0), *b = udp_socket(0);
	struct sockaddr_in to = twostack_sin(0, 9100);
	char buf[16];

	cr_assert_eq(twostack_bind(b, 0, 9100), 0);
	cr_assert_eq(twostack_sendto(a, "self", 4, &to), 4);
	/* Not delivered inside sendmsg: the receiver runs from the loopback timer. */
	cr_assert_eq(twostack_recvfrom(b, buf, sizeof(buf), 0, NULL), -EAGAIN);
	twostack_run_for(ts, 0);
	cr_assert_eq(twostack_recvfrom(b, buf, sizeof(buf), 0, NULL), 4);
	cr_assert_eq(memcmp(buf, "self", 4), 0);
	cr_assert_eq(ts->net[1].mib.ip.InReceives, 0, "nothing reached the wire");
	sock_release(a);
	sock_release(b);
}

Test(udp, large_datagram_is_fragmented_and_reassembled)
{
	struct socket *a = udp_socket(0), *b = udp_socket(1);
	struct sockaddr_in to_b = twostack_sin(1, 9000);
	static char big[4000], got[5000];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	cr_assert_eq(twostack_sendto(a, big, sizeof(big), &to_b), (int)sizeof(big));
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	/* 4008 bytes of UDP in 1480-byte pieces: 3 fragments, one datagram. */
	cr_assert_eq(ts->net[0].mib.ip.FragCreates, 3);
	cr_assert_eq(ts->net[0].mib.ip.FragOKs, 1);
	cr_assert_eq(ts->net[1].mib.ip.ReasmReqds, 3);
	cr_assert_eq(ts->net[1].mib.ip.ReasmOKs, 1);
	cr_assert_eq(twostack_recvfrom(b, got, sizeof(got), 0, NULL), (int)sizeof(big));
	cr_assert_eq(memcmp(got, big, sizeof(big)), 0);

	/* IP_PMTUDISC_DO forbids it. */
	int val = IP_PMTUDISC_DO;

	cr_assert_eq(a->ops->setsockopt(a, SOL_IP, IP_MTU_DISCOVER, &val, sizeof(val)), 0);
	cr_assert_eq(twostack_sendto(a, big, 1473, &to_b), -EMSGSIZE);
	cr_assert_eq(twostack_sendto(a, big, 1472, &to_b), 1472);
	sock_release(a);
	sock_release(b);
}

Test(udp, recvfragsize_says_the_largest_fragment_of_a_reassembled_datagram)
{
	struct socket *a = udp_socket(0), *b = udp_socket(1);
	struct sockaddr_in to_b = twostack_sin(1, 9000);
	static char big[4000], got[4000];
	char cbuf[64];
	struct iovec iov = {.iov_base = got, .iov_len = sizeof(got)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;
	int on = 1;

	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	cr_assert_eq(b->ops->setsockopt(b, SOL_IP, IP_RECVFRAGSIZE, &on, sizeof(on)), 0);
	/* Whole: no message (ip_cmsg_recv_fragsize on frag_max_size 0). */
	cr_assert_eq(twostack_sendto(a, big, 100, &to_b), 100);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	cr_assert_eq(b->ops->recvmsg(b, &msg, sizeof(got), MSG_DONTWAIT), 100);
	cr_assert_eq(msg.msg_controllen, 0);
	/* 4008 bytes of UDP in 1480-byte pieces: the largest is 1500 with its header. */
	cr_assert_eq(twostack_sendto(a, big, sizeof(big), &to_b), (int)sizeof(big));
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	cr_assert_eq(b->ops->recvmsg(b, &msg, sizeof(got), MSG_DONTWAIT), (int)sizeof(big));
	cm = CMSG_FIRSTHDR(&msg);
	cr_assert_not_null(cm);
	cr_assert_eq(cm->cmsg_level, SOL_IP);
	cr_assert_eq(cm->cmsg_type, IP_RECVFRAGSIZE);
	cr_assert_eq(cm->cmsg_len, CMSG_LEN(sizeof(int)));
	cr_assert_eq(*(int *)CMSG_DATA(cm), 1500);
	sock_release(a);
	sock_release(b);
}

Test(udp, reassembly_survives_reordering_and_duplication)
{
	struct twostack *rough;
	struct mem_link_impair imp = {
		.seed = 7, .reorder_pct = 40, .dup_pct = 20, .delay_ns = NSEC_PER_MSEC};
	static char big[20000], got[20000];
	int ok = 0;

	twostack_destroy(ts);
	ts = rough = twostack_create(&imp);
	cr_assert_not_null(rough);
	struct socket *a = udp_socket(0), *b = udp_socket(1);
	struct sockaddr_in to_b = twostack_sin(1, 9000);

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 13);
	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	for (int i = 0; i < 5; i++) {
		cr_assert_eq(twostack_sendto(a, big, sizeof(big), &to_b), (int)sizeof(big));
		twostack_run_for(ts, 20 * NSEC_PER_MSEC);
	}
	int n;

	while ((n = twostack_recvfrom(b, got, sizeof(got), 0, NULL)) > 0) {
		cr_assert_eq(n, (int)sizeof(big));
		cr_assert_eq(memcmp(got, big, sizeof(big)), 0);
		ok++;
	}
	cr_assert_eq(ok, 5);
	cr_assert_eq(ts->net[1].mib.ip.ReasmOKs, 5);
	cr_assert_gt(mem_link_dropped(ts->link) + ts->net[1].mib.ip.ReasmReqds, 70,
		     "the wire did duplicate fragments");
	sock_release(a);
	sock_release(b);
}

Test(udp, ip_level_options)
{
	struct socket *a = udp_socket(0);
	int val, len;
	unsigned char c;

	len = sizeof(val);
	cr_assert_eq(a->ops->getsockopt(a, SOL_IP, IP_TTL, &val, &len), 0);
	cr_assert_eq(val, ts->net[0].sysctl.ip_default_ttl);
	val = 0;
	cr_assert_eq(a->ops->setsockopt(a, SOL_IP, IP_TTL, &val, sizeof(val)), -EINVAL);
	val = 256;
	cr_assert_eq(a->ops->setsockopt(a, SOL_IP, IP_TTL, &val, sizeof(val)), -EINVAL);
	val = 7;
	cr_assert_eq(a->ops->setsockopt(a, SOL_IP, IP_TTL, &val, sizeof(val)), 0);
	/* A one-byte buffer gets one byte. */
	len = 1;
	cr_assert_eq(a->ops->getsockopt(a, SOL_IP, IP_TTL, &c, &len), 0);
	cr_assert_eq(len, 1);
	cr_assert_eq(c, 7);
	val = 0x10;
	cr_assert_eq(a->ops->setsockopt(a, SOL_IP, IP_TOS, &val, sizeof(val)), 0);
	len = sizeof(val);
	cr_assert_eq(a->ops->getsockopt(a, SOL_IP, IP_TOS, &val, &len), 0);
	cr_assert_eq(val, 0x10);
	val = 6;
	cr_assert_eq(a->ops->setsockopt(a, SOL_IP, IP_MTU_DISCOVER, &val, sizeof(val)), -EINVAL);
	len = sizeof(val);
	cr_assert_eq(a->ops->getsockopt(a, SOL_IP, IP_MTU, &val, &len), -ENOTCONN);
	cr_assert_eq(a->ops->setsockopt(a, SOL_IP, 4242, &val, sizeof(val)), -ENOPROTOOPT);

	/* The TTL reaches the wire. */
	struct socket *b = udp_socket(1);
	struct sockaddr_in to_b = twostack_sin(1, 9000);
	int on = 1;
	char buf[8], cbuf[64];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;

	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	cr_assert_eq(b->ops->setsockopt(b, SOL_IP, IP_RECVTTL, &on, sizeof(on)), 0);
	cr_assert_eq(twostack_sendto(a, "t", 1, &to_b), 1);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(b->ops->recvmsg(b, &msg, sizeof(buf), MSG_DONTWAIT), 1);
	cm = CMSG_FIRSTHDR(&msg);
	cr_assert_not_null(cm);
	cr_assert_eq(cm->cmsg_level, SOL_IP);
	cr_assert_eq(cm->cmsg_type, IP_TTL);
	cr_assert_eq(*(int *)CMSG_DATA(cm), 7);
	sock_release(a);
	sock_release(b);
}

Test(udp, udplite_with_partial_coverage)
{
	int err;
	struct socket *a = twostack_socket(ts, 0, SOCK_DGRAM, IPPROTO_UDPLITE, &err);
	struct socket *b = twostack_socket(ts, 1, SOCK_DGRAM, IPPROTO_UDPLITE, &err);
	struct sockaddr_in to_b = twostack_sin(1, 9000);
	char buf[64];
	int cov = 12, val, len = sizeof(val);

	cr_assert_not_null(a);
	cr_assert_not_null(b);
	cr_assert_eq(a->ops->setsockopt(a, SOL_UDPLITE, UDPLITE_SEND_CSCOV, &cov, sizeof(cov)), 0);
	cr_assert_eq(a->ops->getsockopt(a, SOL_UDPLITE, UDPLITE_SEND_CSCOV, &val, &len), 0);
	cr_assert_eq(val, 12);
	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	cr_assert_eq(twostack_sendto(a, "lite payload", 12, &to_b), 12);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_recvfrom(b, buf, sizeof(buf), 0, NULL), 12);
	cr_assert_eq(memcmp(buf, "lite payload", 12), 0);
	cr_assert_eq(ts->net[1].mib.udplite.InDatagrams, 1);

	/* A receiver demanding more coverage than sent drops it. */
	cov = 20;
	cr_assert_eq(b->ops->setsockopt(b, SOL_UDPLITE, UDPLITE_RECV_CSCOV, &cov, sizeof(cov)), 0);
	cr_assert_eq(twostack_sendto(a, "lite payload", 12, &to_b), 12);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_recvfrom(b, buf, sizeof(buf), 0, NULL), -EAGAIN);
	cr_assert_eq(ts->net[1].mib.udplite.InErrors, 1);
	/* Plain UDP sockets do not know the option. */
	struct socket *u = udp_socket(0);

	cr_assert_eq(u->ops->setsockopt(u, SOL_UDP, UDPLITE_SEND_CSCOV, &cov, sizeof(cov)),
		     -ENOPROTOOPT);
	sock_release(u);
	sock_release(a);
	sock_release(b);
}

static int woken;
static void count_wakeup(struct sock *sk)
{
	woken++;
}

Test(udp, datagrams_wake_the_owner)
{
	struct socket *a = udp_socket(0), *b = udp_socket(1);
	struct sockaddr_in to_b = twostack_sin(1, 9000);

	woken = 0;
	b->sk->sk_data_ready = count_wakeup;
	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	cr_assert_eq(twostack_sendto(a, "1", 1, &to_b), 1);
	cr_assert_eq(twostack_sendto(a, "2", 1, &to_b), 1);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(woken, 2);
	sock_release(a);
	sock_release(b);
}

/* sendmsg with flags (e.g. MSG_MORE) and optional control messages. */
static int send_flags(struct socket *s, const char *data, const struct sockaddr_in *to, int flags,
		      void *ctl, size_t ctl_len)
{
	struct iovec iov = {.iov_base = (void *)data, .iov_len = strlen(data)};
	struct msghdr msg = {.msg_name = (void *)to,
			     .msg_namelen = to ? sizeof(*to) : 0,
			     .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = ctl,
			     .msg_controllen = ctl_len,
			     .msg_flags = flags};

	return s->ops->sendmsg(s, &msg, iov.iov_len);
}

Test(udp, msg_more_and_udp_cork_build_one_datagram)
{
	struct socket *a = udp_socket(0), *b = udp_socket(1);
	struct sockaddr_in to = twostack_sin(1, 9000), elsewhere = twostack_sin(1, 9001);
	int one = 1, zero = 0;
	char buf[64] = {0};

	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	cr_assert_eq(send_flags(a, "ab", &to, MSG_MORE, NULL, 0), 2);
	cr_assert_eq(send_flags(a, "cd", &elsewhere, MSG_MORE, NULL, 0), 2, "address ignored");
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_recvfrom(b, buf, sizeof(buf), 0, NULL), -EAGAIN, "held back");
	cr_assert_eq(send_flags(a, "ef", NULL, 0, NULL, 0), 2);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_recvfrom(b, buf, sizeof(buf), 0, NULL), 6);
	cr_assert_str_eq(buf, "abcdef");

	cr_assert_eq(a->ops->setsockopt(a, SOL_UDP, UDP_CORK, &one, sizeof(one)), 0);
	cr_assert_eq(send_flags(a, "12", &to, 0, NULL, 0), 2);
	cr_assert_eq(send_flags(a, "34", &to, 0, NULL, 0), 2);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_recvfrom(b, buf, sizeof(buf), 0, NULL), -EAGAIN);
	cr_assert_eq(a->ops->setsockopt(a, SOL_UDP, UDP_CORK, &zero, sizeof(zero)), 0);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(twostack_recvfrom(b, buf, sizeof(buf), 0, NULL), 4);
	cr_assert_str_eq(buf, "1234");
	sock_release(a);
	sock_release(b);
}

Test(udp, corked_datagram_past_the_ip_maximum_is_dropped)
{
	static char big[40001];
	struct socket *a = udp_socket(0), *b = udp_socket(1);
	struct sockaddr_in to = twostack_sin(1, 9000);
	char buf[16] = {0};

	memset(big, 'x', sizeof(big) - 1);
	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	cr_assert_eq(send_flags(a, big, &to, MSG_MORE, NULL, 0), 40000);
	cr_assert_eq(send_flags(a, big, &to, MSG_MORE, NULL, 0), -EMSGSIZE);
	cr_assert_eq(send_flags(a, "ok", &to, 0, NULL, 0), 2, "a new datagram");
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_recvfrom(b, buf, sizeof(buf), 0, NULL), 2);
	cr_assert_str_eq(buf, "ok");
	sock_release(a);
	sock_release(b);
}

Test(udp, per_message_ttl_and_tos_and_their_errors)
{
	struct socket *a = udp_socket(0), *b = udp_socket(1);
	struct sockaddr_in to = twostack_sin(1, 9000);
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl = {0};
	struct cmsghdr *cm = &ctl.align;
	char buf[16], cbuf[128];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	int one = 1, v = 9;

	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	cr_assert_eq(b->ops->setsockopt(b, SOL_IP, IP_RECVTTL, &one, sizeof(one)), 0);
	cm->cmsg_level = SOL_IP;
	cm->cmsg_type = IP_TTL;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &v, sizeof(v));
	cr_assert_eq(send_flags(a, "t", &to, 0, ctl.buf, sizeof(ctl.buf)), 1);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(b->ops->recvmsg(b, &msg, sizeof(buf), MSG_DONTWAIT), 1);
	cm = CMSG_FIRSTHDR(&msg);
	cr_assert_not_null(cm);
	cr_assert_eq(cm->cmsg_type, IP_TTL);
	memcpy(&v, CMSG_DATA(cm), sizeof(v));
	cr_assert_eq(v, 9, "the message's TTL, not the default");

	cm = &ctl.align;
	v = 0;
	memcpy(CMSG_DATA(cm), &v, sizeof(v));
	cr_assert_eq(send_flags(a, "t", &to, 0, ctl.buf, sizeof(ctl.buf)), -EINVAL);
	cm->cmsg_type = IP_RECVERR;
	cr_assert_eq(send_flags(a, "t", &to, 0, ctl.buf, sizeof(ctl.buf)), -EINVAL);
	sock_release(a);
	sock_release(b);
}

Test(udp, rxq_ovfl_reports_the_drops_before_a_datagram)
{
	struct socket *a = udp_socket(0), *b = udp_socket(1);
	struct sockaddr_in to = twostack_sin(1, 9000);
	char buf[16], cbuf[64];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;
	int one = 1, small = 1, got, drops;
	uint32_t count;

	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	cr_assert_eq(sock_setsockopt(b, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)), 0);
	cr_assert_eq(sock_setsockopt(b, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	for (int i = 0; i < 8; i++)
		cr_assert_eq(twostack_sendto(a, "d", 1, &to), 1);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	drops = (int)b->sk->sk_drops;
	cr_assert_gt(drops, 0, "the small buffer overflowed");
	for (got = 0; twostack_recvfrom(b, buf, sizeof(buf), 0, NULL) == 1; got++)
		;
	cr_assert_eq(got + drops, 8);
	cr_assert_eq(twostack_sendto(a, "e", 1, &to), 1);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	cr_assert_eq(b->ops->recvmsg(b, &msg, sizeof(buf), MSG_DONTWAIT), 1);
	cm = CMSG_FIRSTHDR(&msg);
	cr_assert_not_null(cm);
	cr_assert_eq(cm->cmsg_level, SOL_SOCKET);
	cr_assert_eq(cm->cmsg_type, SO_RXQ_OVFL);
	memcpy(&count, CMSG_DATA(cm), sizeof(count));
	cr_assert_eq(count, (uint32_t)drops);
	sock_release(a);
	sock_release(b);
}

/* The IP options one recvmsg of b reports (IP_RECVOPTS), in opt; their length. */
static size_t received_options(struct socket *b, uint8_t *opt)
{
	char buf[16], cbuf[128];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;

	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(b->ops->recvmsg(b, &msg, sizeof(buf), MSG_DONTWAIT), 1);
	cm = CMSG_FIRSTHDR(&msg);
	cr_assert_not_null(cm, "options came");
	cr_assert_eq(cm->cmsg_type, IP_RECVOPTS);
	memcpy(opt, CMSG_DATA(cm), cm->cmsg_len - CMSG_LEN(0));
	return cm->cmsg_len - CMSG_LEN(0);
}

Test(udp, per_message_ip_options_replace_the_sockets)
{
	struct socket *a = udp_socket(0), *b = udp_socket(1);
	struct sockaddr_in to = twostack_sin(1, 9000);
	const uint8_t nops[4] = {IPOPT_NOP, IPOPT_NOP, IPOPT_NOP, IPOPT_NOP};
	const uint8_t rr[11] = {IPOPT_RR, 11, 4};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(rr))];
	} ctl = {0};
	struct cmsghdr *cm = &ctl.align;
	uint32_t sender = twostack_addr(0), receiver = twostack_addr(1);
	uint8_t opt[40];
	int one = 1;

	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	cr_assert_eq(b->ops->setsockopt(b, SOL_IP, IP_RECVOPTS, &one, sizeof(one)), 0);
	cr_assert_eq(a->ops->setsockopt(a, SOL_IP, IP_OPTIONS, nops, sizeof(nops)), 0);
	cr_assert_eq(send_flags(a, "t", &to, 0, NULL, 0), 1);
	cr_assert_eq(received_options(b, opt), sizeof(nops), "the socket's options");
	cr_assert_eq(memcmp(opt, nops, sizeof(nops)), 0);

	/* ip_cmsg_send's IP_RETOPTS: padded, and this send's slots filled by the sender. */
	cm->cmsg_level = SOL_IP;
	cm->cmsg_type = IP_RETOPTS;
	cm->cmsg_len = CMSG_LEN(sizeof(rr));
	memcpy(CMSG_DATA(cm), rr, sizeof(rr));
	cr_assert_eq(send_flags(a, "t", &to, 0, ctl.buf, sizeof(ctl.buf)), 1);
	cr_assert_eq(received_options(b, opt), 12, "the message's options, padded");
	cr_assert_eq(opt[2], 12, "two entries recorded");
	cr_assert_eq(memcmp(opt + 3, &sender, 4), 0, "the sender's");
	cr_assert_eq(memcmp(opt + 7, &receiver, 4), 0, "then the receiver's");
	cr_assert_eq(opt[11], IPOPT_END);

	/* Bad options in the message: ip_options_get's EINVAL, nothing sent. */
	CMSG_DATA(cm)[2] = 3;
	cr_assert_eq(send_flags(a, "t", &to, 0, ctl.buf, sizeof(ctl.buf)), -EINVAL);
	sock_release(a);
	sock_release(b);
}

/*
 * sock_recv_cmsgs' sk_stamp, which SIOCGSTAMP gives: 0 after a read with
 * stamping off; the datagram's arrival once SIOCGSTAMP turned it on (and
 * before any read -ENOENT); left alone by a read whose stamp went out as
 * SO_TIMESTAMP.
 */
Test(udp, siocgstamp_keeps_what_the_last_read_left)
{
	struct socket *a = udp_socket(0), *b = udp_socket(1), *c = udp_socket(1);
	struct sockaddr_in to_b = twostack_sin(1, 9000), to_c = twostack_sin(1, 9001);
	uint64_t sent;
	int karg = 0, on = 1;
	char buf[16];

	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	cr_assert_eq(twostack_bind(c, 0, 9001), 0);
	cr_assert_eq(twostack_sendto(a, "x", 1, &to_c), 1);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_recvfrom(c, buf, sizeof(buf), 0, NULL), 1);
	cr_assert_eq(c->sk->sk_stamp, 0, "read with stamping off");
	cr_assert_eq(c->ops->ioctl(c, SIOCGSTAMP_OLD, (unsigned long)&karg), 0);

	cr_assert_eq(b->ops->ioctl(b, SIOCGSTAMP_OLD, (unsigned long)&karg), -ENOENT);
	sent = ts->net[0].now;
	cr_assert_eq(twostack_sendto(a, "y", 1, &to_b), 1);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_recvfrom(b, buf, sizeof(buf), MSG_PEEK, NULL), 1);
	/* The wire has no delay here: it arrives as it is sent. */
	cr_assert_eq(b->sk->sk_stamp - ts->net[1].realtime_offset, (int64_t)sent,
		     "a peek leaves the arrival time: %lld, sent %llu",
		     (long long)(b->sk->sk_stamp - ts->net[1].realtime_offset),
		     (unsigned long long)sent);
	cr_assert_eq(twostack_recvfrom(b, buf, sizeof(buf), 0, NULL), 1);

	cr_assert_eq(b->ops->setsockopt(b, SOL_SOCKET, SO_TIMESTAMP_OLD, &on, sizeof(on)), 0);
	cr_assert(sock_stamp_kept(b->sk));
	sent = (uint64_t)b->sk->sk_stamp;
	cr_assert_eq(twostack_sendto(a, "z", 1, &to_b), 1);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_recvfrom(b, buf, sizeof(buf), 0, NULL), 1);
	cr_assert_eq((uint64_t)b->sk->sk_stamp, sent, "SO_TIMESTAMP's read leaves it");
	sock_release(a);
	sock_release(b);
	sock_release(c);
}
