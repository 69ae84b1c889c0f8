// SPDX-License-Identifier: MIT
/*
 * Hostile frames from the wire, each injected into side 1 (10.0.0.2, a TCP
 * listener on port 80 and a UDP "echo" socket on port 7) as the kernel
 * would see them: the "land" packet (the stack's own address as source),
 * martian sources and destinations, VLAN-tagged frames, source routes and
 * malformed IP options. For each: the stack sends nothing (no frame on the
 * wire, no IP packet built, not even to itself), the kernel's counter
 * moves, and the timers settle. Every case has a harmless twin that is
 * answered, so that a drop for the wrong reason (a bad checksum in the
 * test's frame) cannot pass for the right one.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/ip_icmp.h>
#include <linux/tcp.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "ethernet.h"
#include "helper_twostack.h"
#include "inet.h"
#include "ip.h"

#define TCP_PORT  80
#define ECHO_PORT 7

static struct twostack *ts;
static struct socket *listener, *echo;

/* What side 1 put on the wire, as the filter saw it. */
static struct {
	unsigned int frames, ip_frames;
	_Alignas(8) uint8_t pad[NET_IP_ALIGN]; /* so that the IP header in last is aligned */
	uint8_t last[1600];
	unsigned int last_len;
} sent;

static int watch_side1(void *arg, int side, const uint8_t *frame, unsigned int len)
{
	(void)arg;
	if (side == 1) {
		sent.frames++;
		if (len > 14 && frame[12] == 0x08 && frame[13] == 0x00)
			sent.ip_frames++;
		else
			return 1; /* ARP: last keeps the last IP frame */
		sent.last_len = len < sizeof(sent.last) ? len : sizeof(sent.last);
		memcpy(sent.last, frame, sent.last_len);
	}
	return 1;
}

static struct socket *sock_on(int type)
{
	int err = 0;
	struct socket *s = twostack_socket(ts, 1, type, 0, &err);

	cr_assert_not_null(s, "socket: %d", err);
	return s;
}

static void setup(void)
{
	struct sockaddr_in a = twostack_sin(1, TCP_PORT);

	ts = twostack_create(NULL);
	cr_assert_not_null(ts);
	/* A wall clock past noon: a timestamp option's time is then never 0. */
	ts->net[1].realtime_offset = (int64_t)(12 * 3600 + 7) * (int64_t)NSEC_PER_SEC;
	mem_link_set_filter(ts->link, watch_side1, NULL);
	listener = sock_on(SOCK_STREAM);
	cr_assert_eq(listener->ops->bind(listener, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listener->ops->listen(listener, 16), 0);
	echo = sock_on(SOCK_DGRAM);
	cr_assert_eq(twostack_bind(echo, INADDR_ANY, ECHO_PORT), 0);
	/* ARP settled both ways, so that an answer is one frame. */
	twostack_run_for(ts, NSEC_PER_MSEC);
	memset(&sent, 0, sizeof(sent));
}

static void teardown(void)
{
	sock_release(echo);
	sock_release(listener);
	twostack_destroy(ts);
}

TestSuite(hostile, .init = setup, .fini = teardown);

/* ---- frames ---- */

struct pkt {
	uint32_t saddr, daddr;
	uint8_t proto; /* IPPROTO_TCP (a SYN), IPPROTO_UDP or IPPROTO_ICMP (an echo request) */
	uint16_t sport, dport;
	uint8_t opts[40];
	unsigned int optlen; /* a multiple of 4 */
	uint16_t vlan[2];    /* 802.1Q tags in the frame (TCI), outer first; 0xffff = none */
};

struct frame {
	_Alignas(8) uint8_t pad[NET_IP_ALIGN];
	uint8_t b[256];
	unsigned int len;
};

/* A packet from side 0 to side 1, to be changed by each case. */
static struct pkt from_peer(uint8_t proto)
{
	struct pkt p = {
		.saddr = twostack_addr(0),
		.daddr = twostack_addr(1),
		.proto = proto,
		.sport = 40000,
		.dport = proto == IPPROTO_TCP ? TCP_PORT : ECHO_PORT,
		.vlan = {0xffff, 0xffff},
	};

	return p;
}

/* The "land" packet: the stack's own address and port on both ends. */
static struct pkt land(uint8_t proto)
{
	struct pkt p = from_peer(proto);

	p.saddr = p.daddr;
	p.sport = p.dport;
	return p;
}

static unsigned int transport(const struct pkt *p, uint8_t *t)
{
	unsigned int len;
	uint16_t c;

	switch (p->proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = (struct tcphdr *)t;

		memset(th, 0, sizeof(*th));
		th->source = htons(p->sport);
		th->dest = htons(p->dport);
		th->seq = htonl(0x12345678);
		th->doff = 5;
		th->syn = 1;
		th->window = htons(64240);
		len = sizeof(*th);
		c = csum_tcpudp_magic(p->saddr, p->daddr, (uint16_t)len, IPPROTO_TCP,
				      csum_partial(t, (int)len, 0));
		memcpy(&th->check, &c, 2);
		return len;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = (struct udphdr *)t;

		len = sizeof(*uh) + 4;
		uh->source = htons(p->sport);
		uh->dest = htons(p->dport);
		uh->len = htons((uint16_t)len);
		uh->check = 0;
		memcpy(uh + 1, "echo", 4);
		c = csum_tcpudp_magic(p->saddr, p->daddr, (uint16_t)len, IPPROTO_UDP,
				      csum_partial(t, (int)len, 0));
		memcpy(&uh->check, &c, 2);
		return len;
	}
	default: {
		struct icmphdr *ic = (struct icmphdr *)t;

		memset(ic, 0, sizeof(*ic));
		ic->type = ICMP_ECHO;
		ic->un.echo.id = htons(7);
		memcpy(ic + 1, "ping", 4);
		len = sizeof(*ic) + 4;
		ic->checksum = csum_fold(csum_partial(ic, (int)len, 0));
		return len;
	}
	}
}

static struct frame build(const struct pkt *p)
{
	struct frame f = {.len = 0};
	unsigned int eth = 12, hlen = 20 + p->optlen, tlen;
	struct iphdr *iph;

	memcpy(f.b, twostack_mac[1], 6);
	memcpy(f.b + 6, twostack_mac[0], 6);
	for (int i = 0; i < 2 && p->vlan[i] != 0xffff; i++) {
		f.b[eth] = 0x81;
		f.b[eth + 1] = 0x00;
		f.b[eth + 2] = (uint8_t)(p->vlan[i] >> 8);
		f.b[eth + 3] = (uint8_t)p->vlan[i];
		eth += 4;
	}
	f.b[eth] = 0x08;
	f.b[eth + 1] = 0x00;
	eth += 2;
	iph = (struct iphdr *)(f.b + eth);
	iph->version = 4;
	iph->ihl = (unsigned int)(hlen / 4);
	iph->ttl = 64;
	iph->protocol = p->proto;
	iph->saddr = p->saddr;
	iph->daddr = p->daddr;
	memcpy(iph + 1, p->opts, p->optlen);
	tlen = transport(p, f.b + eth + hlen);
	iph->tot_len = htons((uint16_t)(hlen + tlen));
	iph->check = ip_fast_csum(iph, iph->ihl);
	f.len = eth + hlen + tlen;
	return f;
}

/* Hands the frame to side 1 as its link would, with a tag the kernel took off (or 0). */
static void inject_tagged(const struct pkt *p, uint16_t aux_vlan_proto, uint16_t aux_vlan_tci)
{
	struct frame f = build(p);
	struct sk_buff *skb = alloc_skb(f.len + NET_IP_ALIGN);

	cr_assert_not_null(skb);
	skb_reserve(skb, NET_IP_ALIGN);
	memcpy(skb_put(skb, f.len), f.b, f.len);
	skb->vlan_proto = aux_vlan_proto;
	skb->vlan_tci = aux_vlan_tci;
	netif_receive_skb(&ts->net[1], skb);
}

static void inject(const struct pkt *p)
{
	inject_tagged(p, 0, 0);
}

/* ---- what "nothing happened" means ---- */

struct snapshot {
	struct net_mib mib;
	unsigned int frames, ip_frames;
};

static struct snapshot snap(void)
{
	struct snapshot s = {ts->net[1].mib, sent.frames, sent.ip_frames};

	return s;
}

#define MOVED(s, mib_field) (ts->net[1].mib.mib_field - (s).mib.mib_field)

/*
 * After a hostile frame: a second of virtual time (retransmit and ARP
 * timers included) in which side 1 builds no IP packet, puts no frame on
 * the wire and accepts nothing; the timers end in bounded steps.
 */
static void assert_silent(const struct snapshot *s, const char *what)
{
	struct sockaddr_in from;
	char buf[16];

	cr_assert_eq(MOVED(*s, ip.OutRequests), 0, "%s: an IP packet was built", what);
	twostack_run_for(ts, NSEC_PER_SEC);
	cr_assert_eq(sent.frames - s->frames, 0, "%s: %u frames sent", what,
		     sent.frames - s->frames);
	cr_assert_eq(MOVED(*s, ip.OutRequests), 0, "%s: an IP packet was built later", what);
	cr_assert_eq(MOVED(*s, ip.InDelivers), 0, "%s: delivered", what);
	cr_assert_eq(MOVED(*s, tcp.PassiveOpens), 0, "%s", what);
	cr_assert_eq(twostack_recvfrom(echo, buf, sizeof(buf), 0, &from), -EAGAIN, "%s", what);
	cr_assert_gt(net_next_timer(&ts->net[1]), ts->now, "%s: a timer is left due", what);
}

/* The answer side 1 put on the wire last, as an IP header (NULL if none). */
static const struct iphdr *last_ip(void)
{
	if (sent.last_len < 34 || sent.last[12] != 0x08 || sent.last[13] != 0x00)
		return NULL;
	return (const struct iphdr *)(sent.last + 14);
}

static void assert_answered(const struct snapshot *s, const char *what)
{
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_gt(sent.ip_frames - s->ip_frames, 0, "%s: not answered", what);
	cr_assert_not_null(last_ip(), "%s", what);
	cr_assert_eq(last_ip()->daddr, twostack_addr(0), "%s", what);
}

/* ---- land and martians ---- */

Test(hostile, a_land_syn_is_dropped_and_counted)
{
	struct pkt p = land(IPPROTO_TCP);
	struct snapshot s = snap();

	inject(&p);
	cr_assert_eq(MOVED(s, ip.InReceives), 1);
	cr_assert_eq(MOVED(s, ip.InAddrErrors), 1);
	cr_assert_eq(MOVED(s, tcp.InSegs), 0, "never reached TCP");
	assert_silent(&s, "land SYN");

	/* The same SYN from the peer is answered with a SYN-ACK. */
	p = from_peer(IPPROTO_TCP);
	s = snap();
	inject(&p);
	assert_answered(&s, "peer SYN");
	cr_assert_eq(last_ip()->protocol, IPPROTO_TCP);
	{
		const struct tcphdr *th =
			(const struct tcphdr *)((const uint8_t *)last_ip() + last_ip()->ihl * 4);

		cr_assert(th->syn && th->ack, "a SYN-ACK");
	}
}

Test(hostile, a_land_datagram_to_the_echo_port_is_dropped_and_counted)
{
	struct pkt p = land(IPPROTO_UDP);
	struct snapshot s = snap();
	char buf[16];

	inject(&p);
	cr_assert_eq(MOVED(s, ip.InAddrErrors), 1);
	cr_assert_eq(MOVED(s, udp.InDatagrams), 0);
	assert_silent(&s, "land UDP");

	p = from_peer(IPPROTO_UDP);
	inject(&p);
	cr_assert_eq(twostack_recvfrom(echo, buf, sizeof(buf), 0, NULL), 4,
		     "the peer's datagram arrives");
}

Test(hostile, martian_sources_and_destinations_are_dropped_and_counted)
{
	static const struct {
		const char *saddr, *daddr; /* NULL: side 1's address */
	} martians[] = {
		{"127.0.0.1", NULL},		 /* loopback from the wire */
		{"127.1.2.3", NULL},		 /* anywhere in 127/8 */
		{"0.0.0.0", NULL},		 /* zero source, unicast destination */
		{"0.1.2.3", NULL},		 /* 0/8 */
		{"224.0.0.1", NULL},		 /* multicast source */
		{"239.255.0.9", NULL},		 /* multicast source */
		{"255.255.255.255", NULL},	 /* limited broadcast source */
		{"10.0.0.255", NULL},		 /* the subnet's broadcast */
		{"10.0.0.2", "255.255.255.255"}, /* land, broadcast */
		{"10.0.0.2", "10.0.0.255"},	 /* land, subnet broadcast */
		{"10.0.0.1", "127.0.0.1"},	 /* loopback destination from the wire */
		{"10.0.0.1", "0.0.0.0"},	 /* zero destination */
		{"10.0.0.1", "0.0.0.9"},	 /* 0/8 destination */
	};
	uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP};

	for (size_t i = 0; i < sizeof(martians) / sizeof(martians[0]); i++) {
		for (size_t j = 0; j < sizeof(protos); j++) {
			struct pkt p = from_peer(protos[j]);
			struct snapshot s = snap();
			char what[80];

			p.saddr = inet_addr(martians[i].saddr);
			if (martians[i].daddr)
				p.daddr = inet_addr(martians[i].daddr);
			snprintf(what, sizeof(what), "%s -> %s proto %d", martians[i].saddr,
				 martians[i].daddr ? martians[i].daddr : "us", protos[j]);
			inject(&p);
			cr_assert_eq(MOVED(s, ip.InAddrErrors), 1, "%s", what);
			assert_silent(&s, what);
		}
	}
}

Test(hostile, a_zero_source_may_reach_the_limited_broadcast)
{
	/* DHCP's case, which ip_route_input_slow lets through. */
	struct pkt p = from_peer(IPPROTO_UDP);
	struct snapshot s = snap();
	char buf[16];

	p.saddr = 0;
	p.daddr = INADDR_BROADCAST;
	inject(&p);
	cr_assert_eq(MOVED(s, ip.InAddrErrors), 0);
	cr_assert_eq(twostack_recvfrom(echo, buf, sizeof(buf), 0, NULL), 4);
}

/*
 * The same land SYN through the loopback path, where a local raw socket
 * with IP_HDRINCL may send it and the kernel delivers it. Here TCP answers
 * its own SYN-ACK for ever (the kernel resets it; TCP's to fix), which is
 * the loop of issue 9: each segment used to re-arm the loopback timer for
 * the current time inside the run, so the first run never returned. Now
 * each run takes what was queued before it: one segment per run, and the
 * owner's loop gets control back every time.
 */
Test(hostile, a_stack_talking_to_itself_gets_one_round_per_timer_run, .timeout = 60)
{
	int err = 0, one = 1;
	struct socket *raw = twostack_socket(ts, 1, SOCK_RAW, IPPROTO_TCP, &err);
	struct pkt p = land(IPPROTO_TCP);
	struct frame f = build(&p);
	struct sockaddr_in to = twostack_sin(1, 0);
	struct snapshot s = snap();

	cr_assert_not_null(raw, "%d", err);
	cr_assert_eq(raw->ops->setsockopt(raw, SOL_IP, IP_HDRINCL, (char *)&one, sizeof(one)), 0);
	cr_assert_eq(twostack_sendto(raw, f.b + 14, f.len - 14, &to), (int)f.len - 14);
	for (int run = 1; run <= 100 && net_next_timer(&ts->net[1]) <= ts->net[1].now; run++) {
		net_run_timers(&ts->net[1]);
		cr_assert_leq(MOVED(s, tcp.InSegs), (uint64_t)run, "run %d did more than a round",
			      run);
	}
	cr_assert_gt(MOVED(s, tcp.InSegs), 0, "the loopback path delivered it");
	cr_assert_eq(MOVED(s, ip.InAddrErrors), 0, "a local source is fine locally");
	cr_assert_eq(sent.frames - s.frames, 0, "nothing of it on the wire");
	sock_release(raw);
}

/* ---- VLAN tags ---- */

Test(hostile, vlan_tagged_frames_are_not_answered)
{
	uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP};

	for (size_t j = 0; j < sizeof(protos); j++) {
		struct pkt p = from_peer(protos[j]);
		struct snapshot s = snap();

		/* A tag in the frame, VLAN 5. */
		p.vlan[0] = 5;
		inject(&p);
		cr_assert_eq(MOVED(s, link.RxOtherhostDropped), 1);
		cr_assert_eq(MOVED(s, ip.InReceives), 0, "dropped before IP, as ip_rcv_core");
		assert_silent(&s, "802.1Q in the frame");

		/* The tag the kernel took off into PACKET_AUXDATA, priority bits set. */
		p = from_peer(protos[j]);
		s = snap();
		inject_tagged(&p, ETH_P_8021Q, 0xe000 | 42);
		cr_assert_eq(MOVED(s, link.RxOtherhostDropped), 1);
		assert_silent(&s, "802.1Q from auxdata");

		/* 802.1ad outer tag. */
		s = snap();
		inject_tagged(&p, ETH_P_8021AD, 100);
		cr_assert_eq(MOVED(s, link.RxOtherhostDropped), 1);
		assert_silent(&s, "802.1ad from auxdata");

		/* A priority tag (VLAN 0) hiding a VLAN 9 tag. */
		p.vlan[0] = 0;
		p.vlan[1] = 9;
		s = snap();
		inject(&p);
		cr_assert_eq(MOVED(s, link.RxOtherhostDropped), 1);
		assert_silent(&s, "VLAN 9 behind a priority tag");
	}
}

Test(hostile, a_priority_tag_alone_is_ignored_as_the_kernel_does)
{
	struct pkt p = from_peer(IPPROTO_ICMP);
	struct snapshot s = snap();

	p.vlan[0] = 0x6000; /* priority 3, VLAN 0 */
	inject(&p);
	assert_answered(&s, "priority-tagged ping");
	cr_assert_eq(MOVED(s, icmp.OutEchoReps), 1);
	s = snap();
	inject_tagged(&p, ETH_P_8021Q, 0x2000);
	assert_answered(&s, "priority tag from auxdata");
}

Test(hostile, a_vlan_tagged_arp_request_is_not_answered)
{
	struct frame f = {.len = 14 + 4 + 28};
	struct snapshot s = snap();
	struct sk_buff *skb;
	uint32_t who = inet_addr("10.0.0.7"), target = twostack_addr(1);

	memset(f.b, 0xff, 6);
	memcpy(f.b + 6, twostack_mac[0], 6);
	memcpy(f.b + 12, "\x81\x00\x00\x05\x08\x06", 6);
	memcpy(f.b + 18, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
	memcpy(f.b + 26, twostack_mac[0], 6);
	memcpy(f.b + 32, &who, 4);
	memcpy(f.b + 42, &target, 4);
	skb = alloc_skb(f.len);
	memcpy(skb_put(skb, f.len), f.b, f.len);
	netif_receive_skb(&ts->net[1], skb);
	cr_assert_eq(MOVED(s, link.RxOtherhostDropped), 1);
	cr_assert_eq(MOVED(s, link.ArpRequestsIn), 0);
	twostack_run_for(ts, NSEC_PER_SEC);
	cr_assert_eq(sent.frames - s.frames, 0);
}

/* ---- IP options ---- */

static struct pkt with_options(uint8_t proto, const char *opts, unsigned int optlen)
{
	struct pkt p = from_peer(proto);

	memcpy(p.opts, opts, optlen);
	p.optlen = optlen;
	return p;
}

Test(hostile, source_routed_packets_are_dropped)
{
	/* LSRR and SSRR through 10.0.0.1, then an end of list. */
	static const char *routes[] = {
		"\x83\x07\x04\x0a\x00\x00\x01\x00", "\x89\x07\x04\x0a\x00\x00\x01\x00",
		"\x01\x83\x07\x08\x0a\x00\x00\x01", /* the route already walked */
	};
	uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP};

	for (size_t i = 0; i < 3; i++) {
		for (size_t j = 0; j < sizeof(protos); j++) {
			struct pkt p = with_options(protos[j], routes[i], 8);
			struct snapshot s = snap();

			inject(&p);
			cr_assert_eq(MOVED(s, ip.InDiscards), 1, "route %zu", i);
			cr_assert_eq(MOVED(s, ip.InHdrErrors), 0);
			cr_assert_eq(MOVED(s, icmp.OutMsgs), 0, "no ICMP: accept_source_route 0");
			assert_silent(&s, "source route");
		}
	}
}

Test(hostile, malformed_options_get_a_parameter_problem_and_are_dropped)
{
	static const struct {
		const char *opts;
		unsigned int len, pointer; /* the bad byte, from the IP header */
		const char *what;
	} bad[] = {
		{"\x07\x00\x04\x00", 4, 20, "length 0"},
		{"\x07\x01\x00\x00", 4, 20, "length 1"},
		{"\x07\x0c\x04\x00\x00\x00\x00\x00", 8, 20, "longer than the header"},
		{"\x01\x01\x01\x07", 4, 23, "cut at the end of the header"},
		{"\x07\x02\x04\x00", 4, 21, "record route shorter than 3"},
		{"\x07\x07\x03\x00\x00\x00\x00\x00", 8, 22, "record route pointer below 4"},
		{"\x07\x07\x05\x00\x00\x00\x00\x00", 8, 22, "record route pointer inside a slot"},
		{"\x07\x07\x08\x00\x00\x00\x00\x07\x07\x08\x00\x00\x00\x00\x00\x00", 16, 27,
		 "two record routes"},
		{"\x44\x03\x05\x00", 4, 21, "timestamp shorter than 4"},
		{"\x44\x08\x04\x00\x00\x00\x00\x00", 8, 22, "timestamp pointer below 5"},
		{"\x44\x08\x09\xf0\x00\x00\x00\x00", 8, 23, "timestamp overflow at 15"},
		{"\x44\x0c\x09\x01\x00\x00\x00\x00\x00\x00\x00\x00", 12, 22,
		 "timestamp and address with room for half"},
		{"\x83\x02\x04\x00", 4, 21, "source route shorter than 3"},
		{"\x83\x07\x03\x0a\x00\x00\x01\x00", 8, 22, "source route pointer below 4"},
		{"\x83\x07\x04\x0a\x00\x00\x01\x89\x07\x04\x0a\x00\x00\x01\x00\x00", 16, 27,
		 "two source routes"},
		{"\x94\x02\x00\x00", 4, 21, "router alert shorter than 4"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pkt p = with_options(IPPROTO_TCP, bad[i].opts, bad[i].len);
		struct snapshot s = snap();
		const struct iphdr *iph;
		const struct icmphdr *ic;
		const struct iphdr *quoted;

		inject(&p);
		cr_assert_eq(MOVED(s, ip.InHdrErrors), 1, "%s", bad[i].what);
		cr_assert_eq(MOVED(s, icmp.OutParmProbs), 1, "%s", bad[i].what);
		cr_assert_eq(MOVED(s, tcp.InSegs), 0, "%s", bad[i].what);
		twostack_run_for(ts, 10 * NSEC_PER_MSEC);
		/* The one packet sent: a parameter problem pointing at the bad byte. */
		cr_assert_eq(sent.ip_frames - s.ip_frames, 1, "%s", bad[i].what);
		iph = last_ip();
		cr_assert_not_null(iph);
		cr_assert_eq(iph->protocol, IPPROTO_ICMP);
		cr_assert_eq(iph->daddr, twostack_addr(0));
		ic = (const struct icmphdr *)((const uint8_t *)iph + iph->ihl * 4);
		cr_assert_eq(ic->type, ICMP_PARAMETERPROB, "%s", bad[i].what);
		cr_assert_eq(ic->code, 0);
		cr_assert_eq(ntohl(ic->un.gateway) >> 24, bad[i].pointer, "%s: pointer %u",
			     bad[i].what, ntohl(ic->un.gateway) >> 24);
		quoted = (const struct iphdr *)(ic + 1);
		cr_assert_eq(quoted->ihl * 4u, 20 + bad[i].len, "the options are quoted");
		/* Past the ICMP rate limit (one a second per peer, burst 6). */
		twostack_run_for(ts, 2 * NSEC_PER_SEC);
		cr_assert_eq(sent.ip_frames - s.ip_frames, 1, "%s: nothing else", bad[i].what);
	}
}

/* An echo request with good options is answered and a raw socket sees them filled in. */
static const uint8_t *ping_with_options(const char *opts, unsigned int len, uint8_t *buf,
					size_t size)
{
	int err = 0;
	struct socket *raw = twostack_socket(ts, 1, SOCK_RAW, IPPROTO_ICMP, &err);
	struct pkt p = with_options(IPPROTO_ICMP, opts, len);
	struct snapshot s = snap();
	int n;

	cr_assert_not_null(raw, "%d", err);
	inject(&p);
	cr_assert_eq(MOVED(s, ip.InHdrErrors), 0);
	cr_assert_eq(MOVED(s, ip.InDelivers), 1);
	assert_answered(&s, "ping with options");
	cr_assert_eq(MOVED(s, icmp.OutEchoReps), 1);
	n = twostack_recvfrom(raw, buf, size, 0, NULL);
	cr_assert_eq(n, (int)(20 + len + 12), "the raw socket got %d", n);
	sock_release(raw);
	return buf + 20;
}

Test(hostile, record_route_gets_our_address)
{
	uint8_t buf[128];
	const uint8_t *o = ping_with_options("\x07\x0b\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12,
					     buf, sizeof(buf));
	uint32_t us = twostack_addr(1);

	cr_assert_eq(o[2], 8, "pointer advanced");
	cr_assert_eq(memcmp(o + 3, &us, 4), 0, "first slot holds our address");
	cr_assert_eq(memcmp(o + 7, "\0\0\0\0", 4), 0, "second slot untouched");
}

Test(hostile, a_full_record_route_is_left_alone)
{
	uint8_t buf[128];
	const uint8_t *o =
		ping_with_options("\x07\x07\x08\x01\x02\x03\x04\x00", 8, buf, sizeof(buf));

	cr_assert_eq(o[2], 8);
	cr_assert_eq(memcmp(o + 3, "\x01\x02\x03\x04", 4), 0);
}

/*
 * A timestamp option's time as side 1 writes it: milliseconds since
 * midnight UT (inet_current_timestamp) by its wall clock, no later than now
 * and no earlier than the exchange (two seconds of virtual time at most).
 */
static void assert_time_of_day(const uint8_t *slot, const char *what)
{
	uint64_t wall = (uint64_t)((int64_t)ts->net[1].now + ts->net[1].realtime_offset);
	uint32_t now = (uint32_t)(wall / NSEC_PER_MSEC % 86400000u), stamp;

	memcpy(&stamp, slot, 4);
	stamp = ntohl(stamp);
	cr_assert(stamp <= now && stamp + 2000 >= now, "%s: %u ms since midnight, now %u", what,
		  stamp, now);
}

Test(hostile, timestamps_are_recorded_or_their_overflow_counted)
{
	uint8_t buf[128];
	const uint8_t *o;
	uint32_t us = twostack_addr(1);

	/* Timestamps only. */
	o = ping_with_options("\x44\x0c\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12, buf,
			      sizeof(buf));
	cr_assert_eq(o[2], 9);
	assert_time_of_day(o + 4, "milliseconds since midnight UT");
	cr_assert_eq(memcmp(o + 8, "\0\0\0\0", 4), 0);

	/* Address and timestamp. */
	o = ping_with_options("\x44\x0c\x05\x01\x00\x00\x00\x00\x00\x00\x00\x00", 12, buf,
			      sizeof(buf));
	cr_assert_eq(o[2], 13);
	cr_assert_eq(memcmp(o + 4, &us, 4), 0);

	/* Prespecified for another host: left for it. */
	o = ping_with_options("\x44\x0c\x05\x03\x0a\x00\x00\x09\x00\x00\x00\x00", 12, buf,
			      sizeof(buf));
	cr_assert_eq(o[2], 5);
	/* Prespecified for us. */
	o = ping_with_options("\x44\x0c\x05\x03\x0a\x00\x00\x02\x00\x00\x00\x00", 12, buf,
			      sizeof(buf));
	cr_assert_eq(o[2], 13);

	/* Full: the overflow nibble counts one more hop. */
	o = ping_with_options("\x44\x08\x09\x20\x00\x00\x00\x00", 8, buf, sizeof(buf));
	cr_assert_eq(o[3], 0x30);
}

Test(hostile, unknown_and_harmless_options_pass)
{
	uint8_t buf[128];
	const uint8_t *o;

	/* NOPs, router alert, an unknown option, end of list. */
	o = ping_with_options("\x01\x94\x04\x00\x00\x9e\x03\x00\x00\x00\x00\x00", 12, buf,
			      sizeof(buf));
	cr_assert_eq(o[0], 1);
}

/* ---- options echoed in answers (ip_options_echo) ---- */

/* The options of the last IP packet side 1 sent (NULL if none), and their length. */
static const uint8_t *last_options(unsigned int *len)
{
	const struct iphdr *iph = last_ip();

	cr_assert_not_null(iph);
	*len = iph->ihl * 4u - 20;
	return *len ? (const uint8_t *)(iph + 1) : NULL;
}

Test(hostile, an_echo_reply_brings_the_record_route_back_with_us_once_more)
{
	uint8_t buf[128];
	uint32_t us = twostack_addr(1);
	const uint8_t *o;
	unsigned int len;

	ping_with_options("\x07\x0f\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 16,
			  buf, sizeof(buf));
	cr_assert_eq(last_ip()->protocol, IPPROTO_ICMP);
	o = last_options(&len);
	cr_assert_eq(len, 16);
	cr_assert_eq(o[0], IPOPT_RR);
	cr_assert_eq(o[1], 15);
	cr_assert_eq(o[2], 12, "pointer past two entries");
	cr_assert_eq(memcmp(o + 3, &us, 4), 0, "recorded on the way in");
	cr_assert_eq(memcmp(o + 7, &us, 4), 0, "and on the way out");
	cr_assert_eq(memcmp(o + 11, "\0\0\0\0", 4), 0);
	cr_assert_eq(o[15], IPOPT_END);
	cr_assert_eq(ip_fast_csum(last_ip(), last_ip()->ihl), 0);
}

Test(hostile, an_echo_reply_brings_the_timestamps_back)
{
	uint8_t buf[128];
	uint32_t us = twostack_addr(1);
	const uint8_t *o;
	unsigned int len;

	ping_with_options("\x44\x14\x05\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
			  "\x00\x00",
			  20, buf, sizeof(buf));
	o = last_options(&len);
	cr_assert_eq(len, 20);
	cr_assert_eq(o[2], 21, "two address-and-time entries");
	cr_assert_eq(memcmp(o + 4, &us, 4), 0);
	cr_assert_eq(memcmp(o + 12, &us, 4), 0);
	assert_time_of_day(o + 8, "the time on the way in");
	assert_time_of_day(o + 16, "the time on the way out");
}

Test(hostile, a_full_option_is_echoed_as_it_came)
{
	uint8_t buf[128];
	const uint8_t *o;
	unsigned int len;

	ping_with_options("\x07\x07\x08\x01\x02\x03\x04\x00", 8, buf, sizeof(buf));
	o = last_options(&len);
	cr_assert_eq(len, 8);
	cr_assert_eq(memcmp(o, "\x07\x07\x08\x01\x02\x03\x04\x00", 8), 0);
}

Test(hostile, an_option_that_cannot_be_echoed_gets_no_reply)
{
	/* Room for one entry on the way in, half a slot on the way out: ip_options_echo fails. */
	struct pkt p =
		with_options(IPPROTO_ICMP, "\x07\x09\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12);
	struct snapshot s = snap();

	inject(&p);
	cr_assert_eq(MOVED(s, ip.InDelivers), 1);
	cr_assert_eq(MOVED(s, icmp.InEchos), 1);
	twostack_run_for(ts, NSEC_PER_SEC);
	cr_assert_eq(sent.ip_frames - s.ip_frames, 0, "the kernel sends no reply either");
}

Test(hostile, errors_echo_the_options_of_what_they_quote)
{
	struct pkt p;
	struct snapshot s;
	const struct icmphdr *ic;
	const uint8_t *o;
	unsigned int len;

	/* A port unreachable: UDP's control block keeps IPCB (which timestamp slots to fill). */
	sock_release(echo);
	echo = sock_on(SOCK_DGRAM);
	p = with_options(IPPROTO_UDP, "\x44\x0c\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12);
	s = snap();
	inject(&p);
	assert_answered(&s, "UDP to a closed port");
	ic = (const struct icmphdr *)((const uint8_t *)last_ip() + last_ip()->ihl * 4);
	cr_assert_eq(ic->type, ICMP_DEST_UNREACH);
	o = last_options(&len);
	cr_assert_eq(len, 12, "the timestamps came back");
	cr_assert_eq(o[2], 13, "one stamp on the way in, one on the way out");
	assert_time_of_day(o + 4, "a time in the first slot");
	assert_time_of_day(o + 8, "a time in the second slot");

	/* A parameter problem echoes what was compiled before the bad byte. */
	twostack_run_for(ts, 2 * NSEC_PER_SEC);
	p = with_options(IPPROTO_TCP,
			 "\x07\x07\x08\x00\x00\x00\x00\x07\x07\x08\x00\x00\x00\x00\x00\x00", 16);
	s = snap();
	inject(&p);
	assert_answered(&s, "two record routes");
	ic = (const struct icmphdr *)((const uint8_t *)last_ip() + last_ip()->ihl * 4);
	cr_assert_eq(ic->type, ICMP_PARAMETERPROB);
	o = last_options(&len);
	cr_assert_eq(len, 8);
	cr_assert_eq(memcmp(o, "\x07\x07\x08\x00\x00\x00\x00\x00", 8), 0);
}

Test(hostile, what_follows_the_end_of_the_list_is_blanked)
{
	uint8_t buf[128];
	const uint8_t *o = ping_with_options("\x01\x00\x07\x07", 4, buf, sizeof(buf));

	cr_assert_eq(memcmp(o, "\x01\x00\x00\x00", 4), 0);
}

/* Injects an IP packet (header and all) as one frame from side 0. */
static void inject_ip(const uint8_t *ip, unsigned int len)
{
	struct sk_buff *skb = alloc_skb(14 + len + NET_IP_ALIGN);

	cr_assert_not_null(skb);
	skb_reserve(skb, NET_IP_ALIGN);
	memcpy(skb_put(skb, 6), twostack_mac[1], 6);
	memcpy(skb_put(skb, 6), twostack_mac[0], 6);
	memcpy(skb_put(skb, 2), "\x08\x00", 2);
	memcpy(skb_put(skb, len), ip, len);
	netif_receive_skb(&ts->net[1], skb);
}

Test(hostile, a_reassembled_ping_gets_the_first_fragments_options_back)
{
	_Alignas(4) uint8_t icmp[24] = {ICMP_ECHO, 0, 0, 0, 0, 7, 0, 1};
	_Alignas(4) uint8_t f1[32 + 16], f2[20 + 8];
	struct iphdr *h1 = (struct iphdr *)f1, *h2 = (struct iphdr *)f2;
	struct snapshot s = snap();
	uint32_t us = twostack_addr(1);
	const uint8_t *o;
	unsigned int len;
	uint16_t c;

	memcpy(icmp + 8, "fragmented ping!", 16);
	c = csum_fold(csum_partial(icmp, 24, 0));
	memcpy(icmp + 2, &c, 2);
	/* First fragment: record route with two slots and 16 bytes; the rest without it. */
	memset(f1, 0, sizeof(f1));
	h1->version = 4;
	h1->ihl = 8;
	h1->tot_len = htons(sizeof(f1));
	h1->id = htons(99);
	h1->frag_off = htons(IP_MF);
	h1->ttl = 64;
	h1->protocol = IPPROTO_ICMP;
	h1->saddr = twostack_addr(0);
	h1->daddr = us;
	memcpy(f1 + 20, "\x07\x0b\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12);
	memcpy(f1 + 32, icmp, 16);
	h1->check = ip_fast_csum(h1, 8);
	memcpy(f2, f1, 20);
	h2->ihl = 5;
	h2->tot_len = htons(sizeof(f2));
	h2->frag_off = htons(2);
	memcpy(f2 + 20, icmp + 16, 8);
	h2->check = 0;
	h2->check = ip_fast_csum(h2, 5);

	inject_ip(f1, sizeof(f1));
	inject_ip(f2, sizeof(f2));
	cr_assert_eq(MOVED(s, ip.ReasmOKs), 1);
	assert_answered(&s, "fragmented ping");
	cr_assert_eq(MOVED(s, icmp.OutEchoReps), 1);
	o = last_options(&len);
	cr_assert_eq(len, 12, "the record route came back");
	cr_assert_eq(o[2], 12);
	cr_assert_eq(memcmp(o + 3, &us, 4), 0);
	cr_assert_eq(memcmp(o + 7, &us, 4), 0);
}

Test(hostile, later_fragments_keep_only_the_copied_options)
{
	_Alignas(4) uint8_t h[32] = {0x48};

	/* Record route (not copied), NOP, security (copied, 130), end. */
	memcpy(h + 20, "\x07\x03\x04\x01\x82\x04\x00\x00\x00\x00\x00\x00", 12);
	ip_options_fragment(h);
	cr_assert_eq(memcmp(h + 20, "\x01\x01\x01\x01\x82\x04\x00\x00\x00\x00\x00\x00", 12), 0);
}
