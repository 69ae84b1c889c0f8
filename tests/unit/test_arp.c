// SPDX-License-Identifier: MIT
/*
 * ARP between two stacks: the gratuitous announcement at start, request and
 * reply when a datagram needs the peer, the cache and its NUD states over
 * time, queueing while resolving, failure after three probes, answers to
 * requests for the stack's address and rejection of malformed frames; the
 * ARP ioctls, published (proxy) entries included.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/if_arp.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <string.h>

#include "arp.h"
#include "helper_twostack.h"
#include "inet.h"
#include "ip.h"

static struct twostack *ts;

static void setup(void)
{
	ts = twostack_create(NULL);
	cr_assert_not_null(ts);
}

static void teardown(void)
{
	twostack_destroy(ts);
}

TestSuite(arp, .init = setup, .fini = teardown);

static struct socket *udp_socket(int side)
{
	int err;
	struct socket *s = twostack_socket(ts, side, SOCK_DGRAM, IPPROTO_UDP, &err);

	cr_assert_not_null(s, "socket: %d", err);
	return s;
}

/* Frames seen on the wire, for assertions on what was sent. */
struct wire_log {
	int n;
	struct {
		int side;
		uint16_t ethertype;
		uint16_t arp_op;
		uint8_t dst[6];
	} f[64];
};

static int log_frame(void *arg, int side, const uint8_t *frame, unsigned int len)
{
	struct wire_log *w = arg;

	if (w->n < 64 && len >= 14) {
		w->f[w->n].side = side;
		w->f[w->n].ethertype = (uint16_t)(frame[12] << 8 | frame[13]);
		w->f[w->n].arp_op = len >= 22 ? (uint16_t)(frame[20] << 8 | frame[21]) : 0;
		memcpy(w->f[w->n].dst, frame, 6);
		w->n++;
	}
	return 1;
}

static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

Test(arp, gratuitous_arp_at_start_teaches_nobody)
{
	cr_assert_eq(ts->net[0].mib.link.ArpRequestsOut, 1);
	cr_assert_eq(ts->net[1].mib.link.ArpRequestsOut, 1);
	twostack_run_for(ts, NSEC_PER_MSEC);
	cr_assert_eq(ts->net[0].mib.link.ArpRequestsIn, 1);
	/* Like the kernel without arp_accept: an unknown sender is not learned. */
	cr_assert_null(neigh_lookup(ts->net[0].arp_tbl, twostack_addr(1)));
	cr_assert_eq(ts->net[0].mib.link.ArpRepliesOut, 0);
}

Test(arp, request_reply_and_cache)
{
	struct wire_log w = {0};
	struct socket *a = udp_socket(0), *b = udp_socket(1);
	struct sockaddr_in to_b = twostack_sin(1, 9000);
	struct neighbour *n;
	char buf[8];

	twostack_run_for(ts, NSEC_PER_MSEC);
	mem_link_set_filter(ts->link, log_frame, &w);
	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	cr_assert_eq(twostack_sendto(a, "1", 1, &to_b), 1);

	/* side 0: who-has 10.0.0.2 (broadcast), the datagram waits */
	n = neigh_lookup(ts->net[0].arp_tbl, twostack_addr(1));
	cr_assert_not_null(n);
	cr_assert_eq(n->nud_state, NUD_INCOMPLETE);
	cr_assert_eq(skb_queue_len(&n->arp_queue), 1);
	cr_assert_eq(w.n, 1);
	cr_assert_eq(w.f[0].ethertype, ETH_P_ARP);
	cr_assert_eq(w.f[0].arp_op, ARPOP_REQUEST);
	cr_assert_eq(memcmp(w.f[0].dst, bcast, 6), 0);

	twostack_run_for(ts, NSEC_PER_MSEC);
	/* side 1: is-at, unicast; side 0 sends the datagram */
	cr_assert_eq(w.n, 3);
	cr_assert_eq(w.f[1].side, 1);
	cr_assert_eq(w.f[1].arp_op, ARPOP_REPLY);
	cr_assert_eq(memcmp(w.f[1].dst, twostack_mac[0], 6), 0);
	cr_assert_eq(w.f[2].side, 0);
	cr_assert_eq(w.f[2].ethertype, ETH_P_IP);
	cr_assert_eq(memcmp(w.f[2].dst, twostack_mac[1], 6), 0);
	cr_assert_eq(n->nud_state, NUD_REACHABLE);
	cr_assert_eq(memcmp(n->ha, twostack_mac[1], 6), 0);
	cr_assert_eq(twostack_recvfrom(b, buf, sizeof(buf), 0, NULL), 1);

	/* The asker was learned by the peer, as STALE (neigh_event_ns). */
	struct neighbour *back = neigh_lookup(ts->net[1].arp_tbl, twostack_addr(0));

	cr_assert_not_null(back);
	cr_assert_eq(back->nud_state, NUD_STALE);

	/* Cached: the second datagram goes straight out. */
	w.n = 0;
	cr_assert_eq(twostack_sendto(a, "2", 1, &to_b), 1);
	cr_assert_eq(w.n, 1);
	cr_assert_eq(w.f[0].ethertype, ETH_P_IP);
	cr_assert_eq(ts->net[0].mib.link.ArpRequestsOut, 2, "gratuitous + one request");
	sock_release(a);
	sock_release(b);
}

Test(arp, queue_while_resolving_drops_the_oldest)
{
	struct socket *a = udp_socket(0), *b = udp_socket(1);
	struct sockaddr_in to_b = twostack_sin(1, 9000);
	static char buf[1000];
	int one = 1 << 24, got = 0, sent = 200;
	uint64_t drops;

	cr_assert_eq(b->ops->setsockopt(b, SOL_SOCKET, SO_RCVBUFFORCE, &one, sizeof(one)), 0);
	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	for (int i = 0; i < sent; i++) {
		memcpy(buf, &i, sizeof(i));
		cr_assert_eq(twostack_sendto(a, buf, sizeof(buf), &to_b), (int)sizeof(buf));
	}
	struct neighbour *n = neigh_lookup(ts->net[0].arp_tbl, twostack_addr(1));

	cr_assert_leq(n->arp_queue_bytes, ARP_QUEUE_BYTES);
	drops = ts->net[0].mib.link.ArpQueueDrops;
	/* About a hundred 1 KB datagrams fit, as with the kernel's unres_qlen_bytes. */
	cr_assert_gt(drops, 50);
	cr_assert_lt(drops, 150);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	while (twostack_recvfrom(b, buf, sizeof(buf), 0, NULL) == (int)sizeof(buf)) {
		int seq;

		memcpy(&seq, buf, sizeof(seq));
		cr_assert_eq(seq, (int)drops + got, "the oldest were dropped, order kept");
		got++;
	}
	cr_assert_eq(got, sent - (int)drops);
	cr_assert_eq(n->arp_queue_bytes, 0);
	sock_release(a);
	sock_release(b);
}

Test(arp, three_probes_then_host_unreachable)
{
	struct socket *a = udp_socket(0);
	struct sockaddr_in nobody = {.sin_family = AF_INET, .sin_port = htons(9)};
	uint64_t t0 = ts->now;
	int one = 1;

	nobody.sin_addr.s_addr = inet_addr("10.0.0.77");
	cr_assert_eq(a->ops->setsockopt(a, SOL_IP, IP_RECVERR, &one, sizeof(one)), 0);
	cr_assert_eq(twostack_connect(a, &nobody), 0);
	cr_assert_eq(twostack_sendto(a, "?", 1, NULL), 1);
	cr_assert_eq(ts->net[0].mib.link.ArpRequestsOut, 2);
	twostack_run_until(ts, t0 + 2500 * NSEC_PER_MSEC);
	cr_assert_eq(ts->net[0].mib.link.ArpRequestsOut, 4, "probes at 0, 1 and 2 s");
	cr_assert_eq(a->sk->sk_err, 0);
	twostack_run_until(ts, t0 + 3500 * NSEC_PER_MSEC);
	cr_assert_eq(ts->net[0].mib.link.ArpRequestsOut, 4);
	struct neighbour *n = neigh_lookup(ts->net[0].arp_tbl, nobody.sin_addr.s_addr);

	cr_assert_not_null(n);
	cr_assert_eq(n->nud_state, NUD_FAILED);
	cr_assert_eq(skb_queue_len(&n->arp_queue), 0);
	/* The sender hears EHOSTUNREACH (reported because of IP_RECVERR). */
	cr_assert_eq(a->sk->sk_err, EHOSTUNREACH);
	cr_assert_eq(ts->net[0].mib.ip.OutDiscards, 1);
	sock_release(a);
}

Test(arp, reachable_expires_then_delay_and_unicast_probe)
{
	struct wire_log w = {0};
	struct socket *a = udp_socket(0), *b = udp_socket(1);
	struct sockaddr_in to_b = twostack_sin(1, 9000);
	struct neighbour *n;

	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	cr_assert_eq(twostack_sendto(a, "1", 1, &to_b), 1);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	n = neigh_lookup(ts->net[0].arp_tbl, twostack_addr(1));
	cr_assert_eq(n->nud_state, NUD_REACHABLE);

	/* reachable_time is random in [15 s, 45 s): after 46 s it is stale. */
	twostack_run_for(ts, 46 * NSEC_PER_SEC);
	mem_link_set_filter(ts->link, log_frame, &w);
	cr_assert_eq(twostack_sendto(a, "2", 1, &to_b), 1);
	cr_assert_eq(n->nud_state, NUD_DELAY, "used while stale: sent at once, probe later");
	cr_assert_eq(w.n, 1);
	cr_assert_eq(w.f[0].ethertype, ETH_P_IP);
	twostack_run_for(ts, 5 * NSEC_PER_SEC + NSEC_PER_MSEC);
	/* DELAY ran out: a unicast probe, answered, REACHABLE again. */
	cr_assert_eq(w.n, 3);
	cr_assert_eq(w.f[1].arp_op, ARPOP_REQUEST);
	cr_assert_eq(memcmp(w.f[1].dst, twostack_mac[1], 6), 0, "the re-probe is unicast");
	cr_assert_eq(w.f[2].arp_op, ARPOP_REPLY);
	cr_assert_eq(n->nud_state, NUD_REACHABLE);
	sock_release(a);
	sock_release(b);
}

Test(arp, unused_entries_are_collected)
{
	struct socket *a = udp_socket(0), *b = udp_socket(1);
	struct sockaddr_in to_b = twostack_sin(1, 9000);

	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	cr_assert_eq(twostack_sendto(a, "1", 1, &to_b), 1);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_not_null(neigh_lookup(ts->net[0].arp_tbl, twostack_addr(1)));
	twostack_run_idle(ts);
	cr_assert_null(neigh_lookup(ts->net[0].arp_tbl, twostack_addr(1)));
	cr_assert_eq(ts->net[0].arp_tbl->entries, 0);
	cr_assert_eq(net_next_timer(&ts->net[0]), UINT64_MAX, "an idle stack has no timers");
	sock_release(a);
	sock_release(b);
}

/* Hands side 1 a raw ARP frame from side 0's MAC. */
static void inject_arp(const void *arp, unsigned int len, const uint8_t *dst)
{
	struct sk_buff *skb = alloc_skb(100);
	uint8_t *p;

	skb_reserve(skb, NET_IP_ALIGN);
	p = skb_put(skb, 14 + len);
	memcpy(p, dst, 6);
	memcpy(p + 6, twostack_mac[0], 6);
	p[12] = 0x08;
	p[13] = 0x06;
	memcpy(p + 14, arp, len);
	netif_receive_skb(&ts->net[1], skb);
}

struct arp_pkt {
	uint16_t hrd, pro;
	uint8_t hln, pln;
	uint16_t op;
	uint8_t sha[6], sip[4], tha[6], tip[4];
} __attribute__((packed));

static struct arp_pkt good_request(void)
{
	struct arp_pkt a = {.hrd = htons(ARPHRD_ETHER),
			    .pro = htons(0x0800),
			    .hln = 6,
			    .pln = 4,
			    .op = htons(ARPOP_REQUEST)};
	uint32_t sip = inet_addr("10.0.0.9"), tip = twostack_addr(1);

	memcpy(a.sha, "\x02\x00\x00\x00\x00\x09", 6);
	memcpy(a.sip, &sip, 4);
	memcpy(a.tip, &tip, 4);
	return a;
}

Test(arp, answers_requests_for_its_address)
{
	struct wire_log w = {0};
	struct arp_pkt req = good_request();
	uint32_t other = inet_addr("10.0.0.200");

	twostack_run_for(ts, NSEC_PER_MSEC);
	mem_link_set_filter(ts->link, log_frame, &w);
	inject_arp(&req, sizeof(req), bcast);
	cr_assert_eq(ts->net[1].mib.link.ArpRepliesOut, 1);
	cr_assert_eq(w.n, 1);
	cr_assert_eq(w.f[0].arp_op, ARPOP_REPLY);
	cr_assert_eq(memcmp(w.f[0].dst, "\x02\x00\x00\x00\x00\x09", 6), 0);
	cr_assert_not_null(neigh_lookup(ts->net[1].arp_tbl, inet_addr("10.0.0.9")));

	/* A request for someone else: no reply. */
	memcpy(req.tip, &other, 4);
	inject_arp(&req, sizeof(req), bcast);
	cr_assert_eq(ts->net[1].mib.link.ArpRepliesOut, 1);
}

Test(arp, malformed_frames_are_dropped_and_counted)
{
	struct arp_pkt req = good_request(), bad;
	uint32_t mcast = inet_addr("224.0.0.1");

	twostack_run_for(ts, NSEC_PER_MSEC);
	uint64_t before = ts->net[1].mib.link.RxErrors;

	inject_arp(&req, 10, bcast); /* truncated */
	bad = req;
	bad.hrd = htons(6);
	inject_arp(&bad, sizeof(bad), bcast);
	bad = req;
	bad.pro = htons(0x86dd);
	inject_arp(&bad, sizeof(bad), bcast);
	bad = req;
	bad.hln = 8;
	inject_arp(&bad, sizeof(bad), bcast);
	bad = req;
	bad.pln = 16;
	inject_arp(&bad, sizeof(bad), bcast);
	bad = req;
	bad.op = htons(3);
	inject_arp(&bad, sizeof(bad), bcast);
	bad = req;
	memcpy(bad.sip, &mcast, 4);
	inject_arp(&bad, sizeof(bad), bcast);
	bad = req;
	memcpy(bad.sha, bcast, 6);
	inject_arp(&bad, sizeof(bad), bcast);

	cr_assert_eq(ts->net[1].mib.link.RxErrors - before, 8);
	cr_assert_eq(ts->net[1].mib.link.ArpRepliesOut, 0);
	cr_assert_null(neigh_lookup(ts->net[1].arp_tbl, inet_addr("10.0.0.9")));

	/* A frame for another MAC is not ours at all. */
	inject_arp(&req, sizeof(req), (const uint8_t *)"\x02\x00\x00\x00\x00\x42");
	cr_assert_eq(ts->net[1].mib.link.RxDropped, 1);
	cr_assert_eq(ts->net[1].mib.link.ArpRepliesOut, 0);
}

/* A struct arpreq for ip on side 0's device (dev: name it) with hardware address ha. */
static struct arpreq arp_req(uint32_t ip, const uint8_t *ha, int flags, bool dev)
{
	struct arpreq r = {.arp_flags = flags};
	struct sockaddr_in *pa = (struct sockaddr_in *)&r.arp_pa;

	pa->sin_family = AF_INET;
	pa->sin_addr.s_addr = ip;
	if (ha) {
		r.arp_ha.sa_family = ARPHRD_ETHER;
		memcpy(r.arp_ha.sa_data, ha, 6);
	}
	if (dev)
		snprintf(r.arp_dev, sizeof(r.arp_dev), "%s", ts->net[0].dev->name);
	return r;
}

Test(arp, an_entry_set_by_ioctl_is_used_at_once_without_a_request)
{
	struct wire_log w = {0};
	struct socket *a = udp_socket(0), *b = udp_socket(1);
	struct sockaddr_in to_b = twostack_sin(1, 9000);
	struct arpreq r = arp_req(twostack_addr(1), twostack_mac[1], ATF_COM, true);
	char buf[8];

	twostack_run_for(ts, NSEC_PER_MSEC);
	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCSARP, &r, false), 0);
	mem_link_set_filter(ts->link, log_frame, &w);
	cr_assert_eq(twostack_sendto(a, "1", 1, &to_b), 1);
	cr_assert_eq(w.n, 1, "no request: the datagram went out");
	cr_assert_eq(w.f[0].ethertype, ETH_P_IP);
	cr_assert_eq(memcmp(w.f[0].dst, twostack_mac[1], 6), 0);
	twostack_run_for(ts, NSEC_PER_MSEC);
	cr_assert_eq(twostack_recvfrom(b, buf, sizeof(buf), 0, NULL), 1);
	/* STALE as the kernel sets it: the use starts DELAY, a probe confirms it later. */
	cr_assert_eq(neigh_lookup(ts->net[0].arp_tbl, twostack_addr(1))->nud_state, NUD_DELAY);
	r = arp_req(twostack_addr(1), NULL, 0, true);
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCGARP, &r, false), 0);
	cr_assert_eq(r.arp_flags, ATF_COM);
	cr_assert_eq(r.arp_ha.sa_family, ARPHRD_ETHER);
	cr_assert_eq(memcmp(r.arp_ha.sa_data, twostack_mac[1], 6), 0);
	sock_release(a);
	sock_release(b);
}

Test(arp, a_permanent_entry_ignores_arp_and_is_never_collected)
{
	static const uint8_t other[6] = {0x02, 0, 0, 0, 0, 0x99};
	struct socket *a = udp_socket(1);
	struct sockaddr_in to_0 = twostack_sin(0, 9);
	struct arpreq r = arp_req(twostack_addr(1), other, ATF_PERM, false);

	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCSARP, &r, false), 0, "no device: the subnet's");
	/* Side 1 asks for side 0: its request would refresh any other entry. */
	cr_assert_eq(twostack_sendto(a, "x", 1, &to_0), 1);
	twostack_run_idle(ts);
	r = arp_req(twostack_addr(1), NULL, 0, true);
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCGARP, &r, false), 0);
	cr_assert_eq(r.arp_flags, ATF_PERM | ATF_COM);
	cr_assert_eq(memcmp(r.arp_ha.sa_data, other, 6), 0);
	cr_assert_str_eq(r.arp_dev, ts->net[0].dev->name);
	sock_release(a);
}

Test(arp, delete_removes_the_entry)
{
	struct arpreq r = arp_req(twostack_addr(1), twostack_mac[1], ATF_COM, true);

	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCSARP, &r, false), 0);
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCDARP, &r, false), 0);
	cr_assert_null(neigh_lookup(ts->net[0].arp_tbl, twostack_addr(1)));
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCGARP, &r, false), -ENXIO);
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCDARP, &r, false), -ENXIO);
}

Test(arp, ioctl_checks_in_the_kernels_order)
{
	struct arpreq r = arp_req(twostack_addr(1), twostack_mac[1], ATF_COM, true);

	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCSARP, &r, true), -EFAULT);
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCSIFADDR, &r, false), -EINVAL);
	r.arp_pa.sa_family = AF_INET6;
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCSARP, &r, false), -EPFNOSUPPORT);
	r = arp_req(twostack_addr(1), twostack_mac[1], ATF_COM | ATF_NETMASK, true);
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCSARP, &r, false), -EINVAL,
		     "a netmask is for proxies");
	r = arp_req(twostack_addr(1), twostack_mac[1], ATF_COM, false);
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCGARP, &r, false), -ENODEV,
		     "a read names its device");
	snprintf(r.arp_dev, sizeof(r.arp_dev), "nosuch0");
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCSARP, &r, false), -ENODEV);
	r = arp_req(inet_addr("192.0.2.1"), twostack_mac[1], ATF_COM, false);
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCSARP, &r, false), -ENETUNREACH, "off the subnet");
	r = arp_req(twostack_addr(1), NULL, 0, true);
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCSARP, &r, false), -EINVAL, "no address to keep");
	r = arp_req(twostack_addr(1), twostack_mac[1], ATF_COM | ATF_PUBL | ATF_NETMASK, false);
	((struct sockaddr_in *)&r.arp_netmask)->sin_addr.s_addr = inet_addr("255.255.255.0");
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCSARP, &r, false), -EINVAL,
		     "a proxy's mask is one address or none");
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCDARP, &r, false), -EINVAL);
	snprintf(r.arp_dev, sizeof(r.arp_dev), "nosuch0");
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCGARP, &r, false), -EINVAL, "before the device");
}

static int publish(unsigned int cmd, uint32_t ip, const uint8_t *ha, int flags, bool dev)
{
	struct arpreq r = arp_req(ip, ha, ATF_PUBL | flags, dev);

	return arp_ioctl(&ts->net[0], cmd, &r, false);
}

Test(arp, a_published_address_is_kept_and_deleted_as_the_kernels)
{
	static const uint8_t other[6] = {0x02, 0, 0, 0, 0, 0x99};
	uint32_t here = inet_addr("10.0.0.50"), away = inet_addr("192.0.2.9");
	struct arpreq r;

	cr_assert_eq(publish(SIOCSARP, here, NULL, ATF_PERM, true), 0);
	cr_assert_eq(publish(SIOCSARP, here, NULL, ATF_PERM, true), 0, "set again: the same entry");
	cr_assert_not_null(pneigh_lookup(ts->net[0].arp_tbl, here));
	r = arp_req(here, NULL, ATF_PUBL, true);
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCGARP, &r, false), -ENXIO, "not a neighbour");
	cr_assert_eq(publish(SIOCDARP, here, NULL, 0, false), -ENOENT, "it is the device's");
	cr_assert_eq(publish(SIOCDARP, here, NULL, 0, true), 0);
	cr_assert_eq(publish(SIOCDARP, here, NULL, 0, true), -ENOENT);
	cr_assert_null(pneigh_lookup(ts->net[0].arp_tbl, here));

	/* No device: every device's, wherever the address is routed. */
	cr_assert_eq(publish(SIOCSARP, away, NULL, 0, false), 0);
	cr_assert_not_null(pneigh_lookup(ts->net[0].arp_tbl, away));
	cr_assert_eq(publish(SIOCDARP, away, NULL, 0, true), -ENOENT);
	cr_assert_eq(publish(SIOCDARP, away, NULL, 0, false), 0);

	/* A MAC and no device: the device with that MAC, which the entry is for. */
	cr_assert_eq(publish(SIOCSARP, here, other, ATF_COM, false), -ENODEV);
	cr_assert_eq(publish(SIOCSARP, here, twostack_mac[0], ATF_COM, false), 0);
	cr_assert_eq(publish(SIOCDARP, here, twostack_mac[0], ATF_COM, false), -ENOENT);
	cr_assert_eq(publish(SIOCDARP, here, NULL, 0, true), 0);

	/* Mask 0 is the device's proxy_arp switch: no entry. */
	r = arp_req(here, NULL, ATF_PUBL | ATF_NETMASK, true);
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCSARP, &r, false), 0);
	cr_assert_null(pneigh_lookup(ts->net[0].arp_tbl, here));
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCDARP, &r, false), 0);
}

/* What set_devconf was asked, as "DEV NAME VALUE" lines ("all" for no device). */
static char devconf_log[256];
static int devconf_err;

static int record_devconf(const char *dev, const char *name, int value)
{
	size_t n = strlen(devconf_log);

	snprintf(devconf_log + n, sizeof(devconf_log) - n, "%s %s %d\n", dev ? dev : "all", name,
		 value);
	return devconf_err;
}

Test(arp, mask_0_sets_proxy_arp_for_the_device_or_all)
{
	uint32_t here = inet_addr("10.0.0.56");
	char want[256];
	struct arpreq r;

	ts->net[0].sysctl.set_devconf = record_devconf;
	r = arp_req(here, NULL, ATF_PUBL | ATF_NETMASK, true);
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCSARP, &r, false), 0);
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCDARP, &r, false), 0);
	r = arp_req(here, NULL, ATF_PUBL | ATF_NETMASK, false);
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCSARP, &r, false), 0);
	/* A MAC names the device to set (arp_req_set_public), none to clear. */
	r = arp_req(here, twostack_mac[0], ATF_PUBL | ATF_NETMASK | ATF_COM, false);
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCSARP, &r, false), 0);
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCDARP, &r, false), 0);
	snprintf(want, sizeof(want),
		 "%s proxy_arp 1\n%s proxy_arp 0\nall proxy_arp 1\n%s proxy_arp 1\nall proxy_arp "
		 "0\n",
		 ts->net[0].dev->name, ts->net[0].dev->name, ts->net[0].dev->name);
	cr_assert_str_eq(devconf_log, want);
	cr_assert_null(pneigh_lookup(ts->net[0].arp_tbl, here), "a switch, not an entry");

	/* A write the namespace refuses is the call's error. */
	devconf_err = -EACCES;
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCSARP, &r, false), -EACCES);
	devconf_err = 0;
}

Test(arp, a_read_hands_back_the_mask_and_the_entrys_own_flags)
{
	struct arpreq r = arp_req(twostack_addr(1), twostack_mac[1], ATF_COM, true);

	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCSARP, &r, false), 0);
	r = arp_req(twostack_addr(1), NULL, ATF_PUBL, true);
	cr_assert_eq(arp_ioctl(&ts->net[0], SIOCGARP, &r, false), 0);
	cr_assert_eq(r.arp_flags, ATF_COM, "ATF_PUBL is not the entry's");
	cr_assert_eq(((struct sockaddr_in *)&r.arp_netmask)->sin_addr.s_addr, 0xffffffffu);
}

/*
 * The kernel answers for a published address only when it forwards and the
 * address is routed through another device; the stack has one device.
 */
Test(arp, a_published_address_is_not_answered_on_its_own_device)
{
	struct wire_log w = {0};
	struct arp_pkt req = good_request();
	uint32_t pub = inet_addr("10.0.0.50");
	struct arpreq r = arp_req(pub, NULL, ATF_PUBL, false);

	cr_assert_eq(arp_ioctl(&ts->net[1], SIOCSARP, &r, false), 0);
	twostack_run_for(ts, NSEC_PER_MSEC);
	mem_link_set_filter(ts->link, log_frame, &w);
	memcpy(req.tip, &pub, 4);
	inject_arp(&req, sizeof(req), bcast);
	cr_assert_eq(w.n, 0);
	cr_assert_eq(ts->net[1].mib.link.ArpRepliesOut, 0);
}
