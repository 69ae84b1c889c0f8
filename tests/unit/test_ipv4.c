// SPDX-License-Identifier: MIT
/*
 * IPv4: the checksum helpers against RFC 1071 and a naive reference, the
 * routing rule of a one-address stack, and ip_rcv's rejection of every
 * malformed header (each counted under its /proc/net/snmp name, none
 * crashing, none delivered).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/ip_icmp.h>
#include <string.h>

#include "checksum.h"
#include "helper_twostack.h"
#include "inet.h"
#include "ip.h"

/* ---- checksums ---- */

static uint16_t ref_csum(const uint8_t *p, int len)
{
	uint32_t sum = 0;

	for (int i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum; /* host order value of the big-endian checksum */
}

static uint16_t stored(uint16_t c)
{
	/* csum_fold's result is stored as is: read it back as big-endian bytes. */
	uint8_t b[2];

	memcpy(b, &c, 2);
	return (uint16_t)(b[0] << 8 | b[1]);
}

Test(checksum, rfc1071_example)
{
	/* RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2. */
	const uint8_t buf[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

	cr_assert_eq(stored(csum_fold(csum_partial(buf, 8, 0))), (uint16_t)~0xddf2);
}

Test(checksum, a_valid_ip_header_sums_to_zero)
{
	const uint8_t hdr[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			       0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	uint8_t copy[20];

	cr_assert_eq(ip_fast_csum(hdr, 5), 0);
	memcpy(copy, hdr, 20);
	copy[10] = copy[11] = 0;
	cr_assert_eq(stored(ip_fast_csum(copy, 5)), 0xb861);
}

Test(checksum, matches_reference_for_every_length_and_alignment)
{
	static uint8_t buf[1100];
	uint32_t x = 99;

	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (int off = 0; off < 8; off++)
		for (int len = 0; len < 1050; len += (len < 80 ? 1 : 37))
			cr_assert_eq(stored(csum_fold(csum_partial(buf + off, len, 0))),
				     ref_csum(buf + off, len), "off %d len %d", off, len);
	/* Sums chain: two halves (even split) equal the whole. */
	cr_assert_eq(csum_fold(csum_partial(buf + 100, 300, csum_partial(buf, 100, 0))),
		     csum_fold(csum_partial(buf, 400, 0)));
}

Test(checksum, udp_pseudo_header)
{
	/* A UDP datagram whose checksum field is right sums to zero with its pseudo header. */
	uint8_t udp[12] = {0x30, 0x39, 0x00, 0x35, 0x00, 0x0c, 0, 0, 'a', 'b', 'c', 'd'};
	uint32_t s = inet_addr("10.0.0.1"), d = inet_addr("10.0.0.2");
	uint16_t c = csum_tcpudp_magic(s, d, 12, IPPROTO_UDP, csum_partial(udp, 12, 0));

	memcpy(udp + 6, &c, 2);
	cr_assert_eq(csum_tcpudp_magic(s, d, 12, IPPROTO_UDP, csum_partial(udp, 12, 0)), 0);
}

/* ---- routing ---- */

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

Test(ipv4, route_subnet_gateway_and_none, .init = setup, .fini = teardown)
{
	uint32_t saddr = 0, nh = 0;

	cr_assert_eq(ip_route_output(&ts->net[0], inet_addr("10.0.0.2"), &saddr, &nh), 0);
	cr_assert_eq(nh, inet_addr("10.0.0.2"));
	cr_assert_eq(saddr, inet_addr("10.0.0.1"));
	saddr = 0;
	cr_assert_eq(ip_route_output(&ts->net[0], inet_addr("8.8.8.8"), &saddr, &nh), -ENETUNREACH);
	ts->net[0].gateway = inet_addr("10.0.0.254");
	cr_assert_eq(ip_route_output(&ts->net[0], inet_addr("8.8.8.8"), &saddr, &nh), 0);
	cr_assert_eq(nh, inet_addr("10.0.0.254"));
	cr_assert(ip_addr_is_broadcast(&ts->net[0], inet_addr("10.0.0.255")));
	cr_assert(ip_addr_is_broadcast(&ts->net[0], INADDR_BROADCAST));
	cr_assert_not(ip_addr_is_broadcast(&ts->net[0], inet_addr("10.0.1.255")));
}

/* ---- ip_rcv's checks ---- */

struct frame {
	_Alignas(8) uint8_t pad[NET_IP_ALIGN]; /* so that the IP header in b is aligned */
	uint8_t b[200];
	unsigned int len;
};

/* A valid ICMP echo request from side 0 to side 1, as a frame. */
static struct frame echo_frame(void)
{
	struct frame f = {.len = 14 + 20 + 8 + 4};
	struct iphdr *iph = (struct iphdr *)(f.b + 14);
	struct icmphdr *ic = (struct icmphdr *)(f.b + 34);

	memcpy(f.b, twostack_mac[1], 6);
	memcpy(f.b + 6, twostack_mac[0], 6);
	f.b[12] = 0x08;
	iph->version = 4;
	iph->ihl = 5;
	iph->tot_len = htons(32);
	iph->ttl = 64;
	iph->protocol = IPPROTO_ICMP;
	iph->saddr = twostack_addr(0);
	iph->daddr = twostack_addr(1);
	iph->check = ip_fast_csum(iph, 5);
	ic->type = ICMP_ECHO;
	ic->un.echo.id = htons(7);
	memcpy(ic + 1, "ping", 4);
	ic->checksum = csum_fold(csum_partial(ic, 12, 0));
	return f;
}

static void refresh_ip_csum(struct frame *f)
{
	struct iphdr *iph = (struct iphdr *)(f->b + 14);

	iph->check = 0;
	iph->check = ip_fast_csum(iph, 5);
}

static void inject(const struct frame *f)
{
	struct sk_buff *skb = alloc_skb(f->len + NET_IP_ALIGN);

	skb_reserve(skb, NET_IP_ALIGN);
	memcpy(skb_put(skb, f->len), f->b, f->len);
	netif_receive_skb(&ts->net[1], skb);
}

#define IPH(f) ((struct iphdr *)((f).b + 14))

Test(ipv4, a_valid_packet_is_delivered, .init = setup, .fini = teardown)
{
	struct frame f = echo_frame();

	inject(&f);
	cr_assert_eq(ts->net[1].mib.ip.InReceives, 1);
	cr_assert_eq(ts->net[1].mib.ip.InDelivers, 1);
	cr_assert_eq(ts->net[1].mib.icmp.InEchos, 1);
}

Test(ipv4, every_malformed_header_is_dropped_and_counted, .init = setup, .fini = teardown)
{
	struct frame f;
	const struct ip_mib *m = &ts->net[1].mib.ip;

	/* Ethernet shorter than its header. */
	f = echo_frame();
	f.len = 10;
	inject(&f);
	cr_assert_eq(ts->net[1].mib.link.RxErrors, 1);

	/* Shorter than an IP header. */
	f = echo_frame();
	f.len = 14 + 19;
	inject(&f);
	cr_assert_eq(m->InHdrErrors, 1);

	/* Wrong version. */
	f = echo_frame();
	IPH(f)->version = 6;
	refresh_ip_csum(&f);
	inject(&f);
	cr_assert_eq(m->InHdrErrors, 2);

	/* ihl below 5. */
	f = echo_frame();
	IPH(f)->ihl = 4;
	inject(&f);
	cr_assert_eq(m->InHdrErrors, 3);

	/* ihl beyond the frame. */
	f = echo_frame();
	IPH(f)->ihl = 15;
	inject(&f);
	cr_assert_eq(m->InHdrErrors, 4);

	/* Bad checksum. */
	f = echo_frame();
	IPH(f)->check ^= 0x1234;
	inject(&f);
	cr_assert_eq(m->InHdrErrors, 5);
	cr_assert_eq(m->InCsumErrors, 1);

	/* tot_len beyond the frame: truncated. */
	f = echo_frame();
	IPH(f)->tot_len = htons(200);
	refresh_ip_csum(&f);
	inject(&f);
	cr_assert_eq(m->InTruncatedPkts, 1);

	/* tot_len below the header. */
	f = echo_frame();
	IPH(f)->tot_len = htons(12);
	refresh_ip_csum(&f);
	inject(&f);
	cr_assert_eq(m->InHdrErrors, 6);

	/* Not our address. */
	f = echo_frame();
	IPH(f)->daddr = inet_addr("10.0.0.3");
	refresh_ip_csum(&f);
	inject(&f);
	cr_assert_eq(m->InAddrErrors, 1);

	/* Martian source (loopback from the wire, multicast). */
	f = echo_frame();
	IPH(f)->saddr = inet_addr("127.0.0.1");
	refresh_ip_csum(&f);
	inject(&f);
	f = echo_frame();
	IPH(f)->saddr = inet_addr("224.1.2.3");
	refresh_ip_csum(&f);
	inject(&f);
	cr_assert_eq(m->InAddrErrors, 3);

	/* A fragment whose length is not a multiple of 8 with more to come. */
	f = echo_frame();
	IPH(f)->frag_off = htons(IP_MF);
	IPH(f)->tot_len = htons(20 + 9);
	refresh_ip_csum(&f);
	inject(&f);
	cr_assert_eq(m->ReasmFails, 1);
	/* A fragment reaching past 64 KiB. */
	f = echo_frame();
	IPH(f)->frag_off = htons(8189);
	refresh_ip_csum(&f);
	inject(&f);
	cr_assert_eq(m->ReasmFails, 2);
	cr_assert_eq(m->ReasmReqds, 2);
	cr_assert_null(ts->net[1].ipfrags, "no queue left behind");

	cr_assert_eq(m->InReceives, 12);
	cr_assert_eq(m->InDelivers, 0);
	cr_assert_eq(ts->net[1].mib.icmp.InMsgs, 0);
	cr_assert_eq(ts->net[1].mib.icmp.OutMsgs, 0, "no reply to any of them");
}

Test(ipv4, ethernet_padding_is_trimmed, .init = setup, .fini = teardown)
{
	struct frame f = echo_frame();

	f.len = 60 + 4; /* minimum frame plus junk */
	inject(&f);
	cr_assert_eq(ts->net[1].mib.ip.InDelivers, 1);
	cr_assert_eq(ts->net[1].mib.icmp.InCsumErrors, 0, "the ICMP checksum saw only its bytes");
	cr_assert_eq(ts->net[1].mib.icmp.OutEchoReps, 1);
}

Test(ipv4, unknown_protocol_gets_protocol_unreachable, .init = setup, .fini = teardown)
{
	struct frame f = echo_frame();

	IPH(f)->protocol = 253;
	refresh_ip_csum(&f);
	inject(&f);
	cr_assert_eq(ts->net[1].mib.ip.InUnknownProtos, 1);
	cr_assert_eq(ts->net[1].mib.icmp.OutDestUnreachs, 1);
	twostack_run_for(ts, NSEC_PER_MSEC);
	cr_assert_eq(ts->net[0].mib.icmp.InDestUnreachs, 1);
}

Test(ipv4, options_are_accepted, .init = setup, .fini = teardown)
{
	struct frame f = echo_frame();
	struct iphdr *iph = IPH(f);

	/* Insert 4 bytes of NOP options between the header and the ICMP message. */
	memmove(f.b + 38, f.b + 34, 12);
	memset(f.b + 34, 1, 4);
	iph->ihl = 6;
	iph->tot_len = htons(36);
	iph->check = 0;
	iph->check = ip_fast_csum(iph, 6);
	f.len += 4;
	inject(&f);
	cr_assert_eq(ts->net[1].mib.icmp.InEchos, 1);
}

/* ---- reassembly ---- */

/* The ICMP echo request of echo_frame() padded to 24 bytes, cut at [from, to). */
static struct frame echo_fragment(uint16_t id, unsigned int from, unsigned int to, int more)
{
	struct frame whole = echo_frame(), f;
	struct icmphdr *ic = (struct icmphdr *)(whole.b + 34);
	uint8_t msg[24];

	memcpy(ic + 1, "0123456789abcdef", 16);
	ic->checksum = 0;
	ic->checksum = csum_fold(csum_partial(ic, 24, 0));
	memcpy(msg, ic, 24);
	f = whole;
	memcpy(f.b + 34, msg + from, to - from);
	f.len = 34 + (to - from);
	IPH(f)->id = htons(id);
	IPH(f)->tot_len = htons((uint16_t)(20 + to - from));
	IPH(f)->frag_off = htons((uint16_t)((from / 8) | (more ? IP_MF : 0)));
	refresh_ip_csum(&f);
	return f;
}

Test(ipv4, fragments_out_of_order_are_reassembled, .init = setup, .fini = teardown)
{
	struct frame tail = echo_fragment(1, 16, 24, 0), head = echo_fragment(1, 0, 16, 1);

	inject(&tail);
	cr_assert_eq(ts->net[1].mib.icmp.InEchos, 0);
	inject(&tail); /* an exact duplicate is ignored */
	inject(&head);
	cr_assert_eq(ts->net[1].mib.ip.ReasmReqds, 3);
	cr_assert_eq(ts->net[1].mib.ip.ReasmOKs, 1);
	cr_assert_eq(ts->net[1].mib.ip.ReasmFails, 0);
	cr_assert_eq(ts->net[1].mib.icmp.InEchos, 1);
	cr_assert_eq(ts->net[1].mib.icmp.InCsumErrors, 0, "the payload was put back in order");
	cr_assert_eq(ts->net[1].mib.icmp.OutEchoReps, 1);
	cr_assert_null(ts->net[1].ipfrags);
}

Test(ipv4, overlapping_fragments_drop_the_datagram, .init = setup, .fini = teardown)
{
	struct frame a = echo_fragment(2, 0, 16, 1), b = echo_fragment(2, 8, 24, 0);

	inject(&a);
	inject(&b);
	cr_assert_eq(ts->net[1].mib.ip.ReasmFails, 1);
	cr_assert_eq(ts->net[1].mib.icmp.InEchos, 0);
	cr_assert_null(ts->net[1].ipfrags);
}

Test(ipv4, an_incomplete_datagram_times_out, .init = setup, .fini = teardown)
{
	struct frame head = echo_fragment(3, 0, 16, 1), tail = echo_fragment(4, 16, 24, 0);

	inject(&head);
	inject(&tail); /* another datagram, without its first fragment */
	twostack_run_for(ts, 29 * NSEC_PER_SEC);
	cr_assert_eq(ts->net[1].mib.ip.ReasmTimeout, 0);
	twostack_run_for(ts, 2 * NSEC_PER_SEC);
	cr_assert_eq(ts->net[1].mib.ip.ReasmTimeout, 2);
	cr_assert_eq(ts->net[1].mib.ip.ReasmFails, 2);
	/* Only the one whose first fragment came gets a time exceeded (RFC 792). */
	cr_assert_eq(ts->net[1].mib.icmp.OutMsgs, 1);
	cr_assert_eq(ts->net[0].mib.icmp.InMsgs, 1);
	cr_assert_null(ts->net[1].ipfrags);
	cr_assert_eq(ts->net[1].ipfrag_mem, 0);
}

/* ---- robustness ---- */

static uint32_t rnd_state = 2024;

static unsigned int RND(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

Test(ipv4, random_mutations_never_crash, .init = setup, .fini = teardown)
{
	/*
	 * 20000 frames: a valid packet of a random protocol (ICMP, UDP, TCP,
	 * unknown) or ARP, with random bytes changed, the IP checksum fixed up
	 * half of the time so that the mutation reaches the transports.
	 * Deterministic (fixed seed); run under ASan/UBSan as test_ipv4_asan.
	 */
	static const uint8_t protos[] = {IPPROTO_ICMP, IPPROTO_UDP, IPPROTO_TCP, 136, 99};
	uint64_t ip_frames = 0;

	for (int i = 0; i < 20000; i++) {
		struct frame f = echo_frame();
		int nmut;

		IPH(f)->protocol = protos[RND() % sizeof(protos)];
		f.len = 34 + RND() % 120;
		for (unsigned int j = 34; j < f.len; j++)
			f.b[j] = (uint8_t)RND();
		if (RND() % 8 == 0) {
			f.b[12] = 0x08;
			f.b[13] = 0x06; /* ARP */
		}
		nmut = (int)(RND() % 4);
		for (int j = 0; j < nmut; j++)
			f.b[14 + RND() % (f.len - 14)] = (uint8_t)RND();
		if (f.b[12] == 0x08 && f.b[13] == 0x00) {
			unsigned int tot = RND() % 2 ? f.len - 14 : RND() % 200;

			IPH(f)->tot_len = htons((uint16_t)tot);
			if (RND() % 2)
				refresh_ip_csum(&f);
			ip_frames++;
		}
		inject(&f);
		if (i % 1000 == 0)
			twostack_run_for(ts, 100 * NSEC_PER_MSEC);
	}
	twostack_run_idle(ts);
	cr_assert_eq(ts->net[1].mib.ip.InReceives, ip_frames);
	cr_assert_gt(ts->net[1].mib.ip.InDelivers, 1000, "many reached a transport");
	cr_assert_gt(ts->net[1].mib.ip.InHdrErrors, 1000);
}
