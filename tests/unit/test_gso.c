// SPDX-License-Identifier: MIT
/*
 * Large segments (GSO out, TSO/GRO frames in) over the in-memory wire:
 *
 * - skb_gso_segment cuts a GSO frame as a TSO device does: sequence numbers
 *   one MSS apart, IP ids counting up, CWR on the first piece only, PSH and
 *   FIN on the last only, every IP and TCP checksum valid;
 * - TCP hands the device GSO frames (gso_size = MSS, CHECKSUM_PARTIAL) where
 *   it offers GSO and never where it does not, while the wire carries only
 *   MSS-sized segments and the segment counters count them;
 * - a large frame arriving whole, as the kernel peer's TSO or GRO frames do
 *   over AF_PACKET, is taken whole when the link vouches for its checksum,
 *   dropped as a checksum error when it does not, and answered with exactly
 *   one ACK for all of it;
 * - a single data segment leaves its checksum to such a device too, which
 *   completes it (skb_checksum_help), and only there;
 * - where the device gathers (dev->sg), every data frame's payload is
 *   fragments pointing at the queued segments, whatever pieces the program
 *   wrote them in, and the wire carries the same bytes and valid checksums;
 *   a frame still waiting to leave keeps its segments after an ACK freed
 *   them from the queue (and new data cannot reuse their buffers).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "ethernet.h"
#include "helper_twostack.h"
#include "inet.h"
#include "ip.h"
#include "tcp.h"

#define PORT	 7000
#define MSS	 1448u /* 1500 - 20 - 20 - 12 (timestamps) */
#define FRAME_HL (ETH_HLEN + IPV4_HLEN)

static struct twostack *ts;
static struct socket *socks[4];
static unsigned int nsocks;

/* What side 0's device was handed, before the wire cuts it. */
static const struct net_device_ops *mem_ops;
static struct net_device_ops rec_ops;
static unsigned int gso_frames, max_segs;
static bool gso_bad;	     /* a GSO frame without CHECKSUM_PARTIAL or with another size */
static struct sk_buff *held; /* hold_next: the next GSO frame, kept off the wire */
static bool hold_next;
static unsigned int wire_frames[2]; /* TCP frames on the wire per sending side */
static unsigned int wire_too_big;
static uint32_t last_ack;			   /* ACK field of side 1's last frame */
static unsigned int single_partial, single_summed; /* side 0's data frames below GSO */
static unsigned int gathered, copied; /* side 0's data frames with fragments / without */

static int rec_xmit(struct net_device *dev, struct sk_buff *skb)
{
	bool data = skb->gso_size ||
		    (skb->len > FRAME_HL + 20 &&
		     skb->len > FRAME_HL + tcp_hdrlen((struct tcphdr *)(skb->data + FRAME_HL)));

	if (data && skb->nr_frags)
		gathered++;
	else if (data)
		copied++;
	if (skb->gso_size) {
		gso_frames++;
		if (skb->gso_segs > max_segs)
			max_segs = skb->gso_segs;
		if (skb->ip_summed != CHECKSUM_PARTIAL || skb->gso_size != MSS)
			gso_bad = true;
		if (hold_next && !held) {
			held = skb;
			return 0;
		}
	} else if (skb->len > FRAME_HL + 20 &&
		   skb->len > FRAME_HL + tcp_hdrlen((struct tcphdr *)(skb->data + FRAME_HL)) &&
		   skb->data[ETH_HLEN + 9] == IPPROTO_TCP) {
		if (skb->ip_summed == CHECKSUM_PARTIAL)
			single_partial++;
		else
			single_summed++;
	}
	return mem_ops->ndo_start_xmit(dev, skb);
}

/* Counts TCP frames on the wire and checks their size and checksum. */
static int tap(void *arg, int side, const uint8_t *frame, unsigned int len)
{
	const struct iphdr *iph = (const struct iphdr *)(frame + ETH_HLEN);
	const struct tcphdr *th = (const struct tcphdr *)(frame + FRAME_HL);

	(void)arg;
	if (len < FRAME_HL + sizeof(*th) || iph->protocol != IPPROTO_TCP)
		return 1;
	wire_frames[side]++;
	if (len > ETH_HLEN + 1500)
		wire_too_big++;
	cr_expect_eq(csum_tcpudp_magic(iph->saddr, iph->daddr, len - FRAME_HL, IPPROTO_TCP,
				       csum_partial(th, (int)(len - FRAME_HL), 0)),
		     0, "a TCP frame on the wire has a bad checksum");
	if (side == 1)
		last_ack = ntohl(th->ack_seq);
	return 1;
}

static void setup(void)
{
	ts = twostack_create(NULL);
	cr_assert_not_null(ts);
	for (int i = 0; i < 2; i++)
		ts->net[i].sysctl.tcp_timestamps = 1;
	mem_ops = ts->dev[0]->netdev_ops;
	rec_ops = *mem_ops;
	rec_ops.ndo_start_xmit = rec_xmit;
	ts->dev[0]->netdev_ops = &rec_ops;
	mem_link_set_filter(ts->link, tap, NULL);
	gso_frames = max_segs = wire_too_big = single_partial = single_summed = 0;
	gathered = copied = 0;
	wire_frames[0] = wire_frames[1] = 0;
	gso_bad = hold_next = false;
	held = NULL;
	nsocks = 0;
}

static void teardown(void)
{
	kfree_skb(held);
	for (unsigned int i = 0; i < nsocks; i++)
		sock_release(socks[i]);
	twostack_destroy(ts);
	skb_cache_drain();
}

TestSuite(gso, .init = setup, .fini = teardown);

/* Client on side 0 connected to a server accepted on side 1. */
static void tcp_pair(struct socket **c, struct socket **s)
{
	cr_assert_eq(twostack_tcp_pair(ts, PORT, socks + nsocks), 0);
	*c = socks[nsocks + 1];
	*s = socks[nsocks + 2];
	nsocks += 3;
}

static int send_buf(struct socket *s, const uint8_t *buf, size_t len)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_flags = MSG_DONTWAIT};

	return s->ops->sendmsg(s, &m, len);
}

static int recv_buf(struct socket *s, uint8_t *buf, size_t len)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};

	return s->ops->recvmsg(s, &m, len, MSG_DONTWAIT);
}

static uint8_t *pattern_seed(size_t len, uint8_t seed)
{
	uint8_t *p = malloc(len);

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + i / 251 + seed);
	return p;
}

static uint8_t *pattern(size_t len)
{
	return pattern_seed(len, 0);
}

/*
 * Sends len bytes of pattern seed from c to s, at most piece bytes per write
 * and millisecond, and checks they arrive intact.
 */
static void transfer_pieces(struct socket *c, struct socket *s, size_t len, size_t piece,
			    uint8_t seed)
{
	uint8_t *src = pattern_seed(len, seed), *dst = malloc(len);
	size_t sent = 0, got = 0;
	uint64_t deadline = ts->now + 60 * NSEC_PER_SEC;

	while (got < len && ts->now < deadline) {
		size_t want = len - sent < piece ? len - sent : piece;
		int n;

		if (sent < len && (n = send_buf(c, src + sent, want)) > 0)
			sent += (size_t)n;
		while ((n = recv_buf(s, dst + got, len - got)) > 0)
			got += (size_t)n;
		twostack_run_for(ts, NSEC_PER_MSEC);
	}
	cr_assert_eq(got, len, "%zu of %zu bytes arrived", got, len);
	cr_assert(memcmp(src, dst, len) == 0, "the data differs");
	free(src);
	free(dst);
}

static void transfer_intact(struct socket *c, struct socket *s, size_t len)
{
	transfer_pieces(c, s, len, len, 0);
}

/*
 * A GSO frame by hand: 10.0.0.1 -> 10.0.0.2, IP id 100 with DF, TCP with the
 * timestamp option (doff 8), seq 1000, the given flags, len bytes of
 * payload, gso_size mss, the pseudo-header sum in the TCP checksum field.
 */
static struct sk_buff *gso_frame(unsigned int len, unsigned int mss, uint8_t flags)
{
	unsigned int thl = 32;
	struct sk_buff *skb = alloc_skb(NET_IP_ALIGN + FRAME_HL + thl + len);
	uint8_t *p, *payload;
	struct iphdr *iph;
	struct tcphdr *th;

	cr_assert_not_null(skb);
	skb_reserve(skb, NET_IP_ALIGN);
	p = skb_put(skb, FRAME_HL + thl + len);
	memset(p, 0, FRAME_HL + thl);
	memcpy(p, twostack_mac[1], 6);
	memcpy(p + 6, twostack_mac[0], 6);
	p[12] = 0x08;
	iph = (struct iphdr *)(p + ETH_HLEN);
	iph->version = 4;
	iph->ihl = 5;
	iph->tot_len = htons((uint16_t)(IPV4_HLEN + thl + len));
	iph->id = htons(100);
	iph->frag_off = htons(IP_DF);
	iph->ttl = 64;
	iph->protocol = IPPROTO_TCP;
	iph->saddr = twostack_addr(0);
	iph->daddr = twostack_addr(1);
	iph->check = ip_fast_csum(iph, 5);
	th = (struct tcphdr *)(p + FRAME_HL);
	th->source = htons(40000);
	th->dest = htons(PORT);
	th->seq = htonl(1000);
	th->ack_seq = htonl(77);
	th->doff = 8;
	((uint8_t *)th)[13] = flags;
	th->window = htons(512);
	memcpy((uint8_t *)(th + 1), "\x01\x01\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x02", 12);
	th->check = (uint16_t)~csum_tcpudp_magic(iph->saddr, iph->daddr, thl + len, IPPROTO_TCP, 0);
	payload = p + FRAME_HL + thl;
	for (unsigned int i = 0; i < len; i++)
		payload[i] = (uint8_t)(i * 13);
	skb->gso_size = (uint16_t)mss;
	skb->gso_segs = (uint16_t)((len + mss - 1) / mss);
	skb->ip_summed = CHECKSUM_PARTIAL;
	return skb;
}

Test(gso, segment_cuts_like_a_tso_device)
{
	const uint8_t flags = TCPHDR_ACK | TCPHDR_PSH | TCPHDR_FIN | TCPHDR_CWR;
	struct sk_buff *skb = gso_frame(4000, MSS, flags), *seg;
	const unsigned int want_len[] = {MSS, MSS, 4000 - 2 * MSS};
	struct sk_buff_head segs;
	unsigned int i = 0, off = 0;

	skb_queue_head_init(&segs);
	cr_assert_eq(skb_gso_segment(skb, &segs), 3);
	cr_assert_eq(skb_queue_len(&segs), 3);
	skb_queue_walk (&segs, seg) {
		const struct iphdr *iph = (const struct iphdr *)(seg->data + ETH_HLEN);
		const struct tcphdr *th = (const struct tcphdr *)(seg->data + FRAME_HL);
		unsigned int tcplen = seg->len - FRAME_HL;
		uint8_t f = tcp_flag_byte(th);

		cr_assert_eq(seg->len, FRAME_HL + 32 + want_len[i], "piece %u: %u bytes", i,
			     seg->len);
		cr_assert(memcmp(seg->data, skb->data, ETH_HLEN) == 0, "piece %u: Ethernet header",
			  i);
		cr_assert_eq(ntohs(iph->tot_len), IPV4_HLEN + tcplen);
		cr_assert_eq(ntohs(iph->id), 100 + i, "piece %u: IP id %u", i, ntohs(iph->id));
		cr_assert_eq(iph->frag_off, htons(IP_DF));
		cr_assert_eq(ip_fast_csum(iph, iph->ihl), 0, "piece %u: IP checksum", i);
		cr_assert_eq(ntohl(th->seq), 1000 + off, "piece %u: seq %u", i, ntohl(th->seq));
		cr_assert_eq(ntohl(th->ack_seq), 77);
		cr_assert_eq(th->doff, 8);
		cr_assert(f & TCPHDR_ACK);
		cr_assert_eq(!!(f & TCPHDR_CWR), i == 0, "piece %u: CWR only on the first", i);
		cr_assert_eq(!!(f & TCPHDR_PSH), i == 2, "piece %u: PSH only on the last", i);
		cr_assert_eq(!!(f & TCPHDR_FIN), i == 2, "piece %u: FIN only on the last", i);
		cr_assert_eq(csum_tcpudp_magic(iph->saddr, iph->daddr, tcplen, IPPROTO_TCP,
					       csum_partial(th, (int)tcplen, 0)),
			     0, "piece %u: TCP checksum", i);
		cr_assert(memcmp(seg->data + FRAME_HL + 32, skb->data + FRAME_HL + 32 + off,
				 want_len[i]) == 0,
			  "piece %u: payload", i);
		off += want_len[i];
		i++;
	}
	__skb_queue_purge(&segs);

	/* Not a GSO TCP frame: refused, nothing queued. */
	skb->gso_size = 0;
	cr_assert_eq(skb_gso_segment(skb, &segs), -EINVAL);
	skb->gso_size = MSS;
	((struct iphdr *)(skb->data + ETH_HLEN))->protocol = IPPROTO_UDP;
	cr_assert_eq(skb_gso_segment(skb, &segs), -EINVAL);
	cr_assert(skb_queue_empty(&segs));
	kfree_skb(skb);
}

Test(gso, tcp_sends_gso_frames_the_wire_cuts_to_mss)
{
	struct socket *c, *s;

	tcp_pair(&c, &s);
	transfer_intact(c, s, 1 << 20);
	cr_assert_gt(gso_frames, 0, "TCP never handed the device a GSO frame");
	cr_assert_gt(max_segs, 10, "no GSO frame above the initial window (largest %u)", max_segs);
	cr_assert_leq(max_segs, 65535 / MSS, "a GSO frame of %u segments is above 64 KiB",
		      max_segs);
	cr_assert(!gso_bad, "a GSO frame without CHECKSUM_PARTIAL or gso_size != MSS");
	cr_assert_eq(wire_too_big, 0, "%u frames above the MTU on the wire", wire_too_big);
	/* Segments are counted as they cross the wire (tcp_skb_pcount), not per frame. */
	cr_assert_eq(ts->net[0].mib.tcp.OutSegs, wire_frames[0], "OutSegs %llu, wire %u",
		     (unsigned long long)ts->net[0].mib.tcp.OutSegs, wire_frames[0]);
	cr_assert_eq(tcp_sk(c->sk)->segs_out, wire_frames[0]);
	cr_assert_eq(gathered, 0, "a link that does not gather was handed fragments");
}

/*
 * Pieces of 1000 bytes (each segment filled by two writes) and whole runs:
 * every data frame is gathered from the queue, none copied, and the wire's
 * bytes and checksums are right (the tap and transfer_pieces check them).
 */
Test(gso, gathered_frames_carry_the_queued_bytes)
{
	struct socket *c, *s;

	ts->dev[0]->sg = true;
	tcp_pair(&c, &s);
	transfer_pieces(c, s, 256 << 10, 1000, 3);
	transfer_pieces(c, s, 1 << 20, 1 << 20, 5);
	cr_assert_gt(gso_frames, 0);
	cr_assert_gt(gathered, 0, "no frame pointed at the queued segments");
	cr_assert_eq(copied, 0, "%u data frames copied on a link that gathers", copied);
	cr_assert(!gso_bad);
	cr_assert_eq(single_summed, 0);
	cr_assert_eq(ts->net[0].mib.tcp.OutSegs, wire_frames[0]);
}

/*
 * A frame still in the link's batch when the ACK for its bytes frees them
 * from the send queue (the stack host flushes the link once per round,
 * after the round's ACKs): its segments live on, and fresh data sent
 * through the recycled buffers leaves them alone.
 */
Test(gso, a_pending_frame_keeps_its_segments_after_their_ack)
{
	struct socket *c, *s;
	uint8_t *src = pattern_seed(20000, 11), dst[20000];
	struct sk_buff *copy;
	const struct iphdr *iph;
	unsigned int thl, plen, tcplen;
	size_t got = 0;

	ts->dev[0]->sg = true;
	tcp_pair(&c, &s);
	hold_next = true;
	cr_assert_eq(send_buf(c, src, sizeof(dst)), (int)sizeof(dst));
	cr_assert_not_null(held, "no GSO frame for 20000 bytes with an initial window of 10");
	cr_assert_gt(held->nr_frags, 1, "the held frame is not gathered");

	/* The held bytes go again (loss recovery), are acknowledged and freed. */
	while (got < sizeof(dst) && ts->now < TWOSTACK_T0 + 60 * NSEC_PER_SEC) {
		int n;

		twostack_run_for(ts, NSEC_PER_MSEC);
		while ((n = recv_buf(s, dst + got, sizeof(dst) - got)) > 0)
			got += (size_t)n;
	}
	cr_assert_eq(got, sizeof(dst));
	cr_assert(memcmp(src, dst, sizeof(dst)) == 0);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert(skb_queue_empty(&c->sk->sk_write_queue), "the send queue still holds data");
	for (unsigned int f = 0; f < held->nr_frags; f++)
		cr_assert_eq(held->frags[f].owner->users, 1,
			     "segment %u: the frame's should be the last reference", f);
	transfer_pieces(c, s, 512 << 10, 512 << 10, 99);

	/* The frame as it would leave now: the first bytes sent, a valid checksum. */
	copy = skb_copy(held);
	cr_assert_not_null(copy);
	iph = (const struct iphdr *)(copy->data + ETH_HLEN);
	thl = tcp_hdrlen((const struct tcphdr *)(copy->data + FRAME_HL));
	plen = copy->len - FRAME_HL - thl;
	tcplen = copy->len - FRAME_HL;
	cr_assert_eq(plen, held->data_len);
	cr_assert(memcmp(copy->data + FRAME_HL + thl, src, plen) == 0,
		  "the pending frame's payload changed under it");
	skb_checksum_help(copy);
	cr_assert_eq(csum_tcpudp_magic(iph->saddr, iph->daddr, tcplen, IPPROTO_TCP,
				       csum_partial(copy->data + FRAME_HL, (int)tcplen, 0)),
		     0, "the pending frame's checksum does not complete");
	kfree_skb(copy);
	free(src);
}

Test(gso, no_gso_frames_without_device_support)
{
	struct socket *c, *s;

	ts->dev[0]->gso_max_size = 0;
	tcp_pair(&c, &s);
	transfer_intact(c, s, 256 << 10);
	cr_assert_eq(gso_frames, 0, "%u GSO frames on a device without GSO", gso_frames);
	cr_assert_eq(wire_too_big, 0);
	cr_assert_eq(single_partial, 0, "%u frames left to a checksum offload it lacks",
		     single_partial);
	cr_assert_gt(single_summed, 0);
}

/* Small writes with Nagle off: each goes alone, its checksum the device's (the tap checks). */
Test(gso, single_segments_leave_the_checksum_to_the_device)
{
	struct socket *c, *s;
	uint8_t buf[300], *src = pattern(sizeof(buf));
	int one = 1, n, got = 0;

	tcp_pair(&c, &s);
	cr_assert_eq(c->ops->setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(send_buf(c, src + 100 * i, 100), 100);
		twostack_run_for(ts, NSEC_PER_MSEC);
	}
	while ((n = recv_buf(s, buf + got, sizeof(buf) - (size_t)got)) > 0)
		got += n;
	cr_assert_eq(got, (int)sizeof(buf));
	cr_assert(memcmp(buf, src, sizeof(buf)) == 0);
	cr_assert_eq(single_partial, 3, "%u of 3 segments left to the device", single_partial);
	cr_assert_eq(single_summed, 0);
	free(src);
}

Test(gso, checksum_help_completes_a_partial_checksum)
{
	struct sk_buff *skb = gso_frame(1000, MSS, TCPHDR_ACK | TCPHDR_PSH);
	const struct iphdr *iph = (const struct iphdr *)(skb->data + ETH_HLEN);
	unsigned int tcplen = skb->len - FRAME_HL;

	skb->gso_size = skb->gso_segs = 0;
	skb->csum_start = (uint16_t)(skb_headroom(skb) + FRAME_HL);
	skb->csum_offset = offsetof(struct tcphdr, check);
	cr_assert_neq(csum_tcpudp_magic(iph->saddr, iph->daddr, tcplen, IPPROTO_TCP,
					csum_partial(skb->data + FRAME_HL, (int)tcplen, 0)),
		      0, "the partial sum is not yet a checksum");
	skb_checksum_help(skb);
	cr_assert_eq(skb->ip_summed, CHECKSUM_NONE);
	cr_assert_eq(csum_tcpudp_magic(iph->saddr, iph->daddr, tcplen, IPPROTO_TCP,
				       csum_partial(skb->data + FRAME_HL, (int)tcplen, 0)),
		     0, "the completed checksum is valid");
	kfree_skb(skb);
}

/*
 * The first GSO frame side 0 sends is kept off the wire and handed to side 1
 * whole, as the AF_PACKET link hands up a TSO frame from the kernel peer.
 */
static struct sk_buff *receive_whole(struct sk_buff *frame, uint8_t ip_summed)
{
	struct sk_buff *skb = alloc_skb(NET_IP_ALIGN + frame->len);

	cr_assert_not_null(skb);
	skb_reserve(skb, NET_IP_ALIGN);
	memcpy(skb_put(skb, frame->len), frame->data, frame->len);
	skb->ip_summed = ip_summed;
	skb->gso_size = frame->gso_size;
	net_set_time(&ts->net[1], ts->now);
	netif_receive_skb(&ts->net[1], skb);
	return skb;
}

Test(gso, large_frame_received_whole_gets_one_ack)
{
	struct socket *c, *s;
	uint8_t *src = pattern(20000), dst[20000];
	struct tcp_sock *rtp;
	uint32_t start, frame_end;
	unsigned int acks;
	uint64_t csum_errors;

	tcp_pair(&c, &s);
	rtp = tcp_sk(s->sk);
	start = rtp->rcv_nxt;
	hold_next = true;
	cr_assert_eq(send_buf(c, src, sizeof(dst)), (int)sizeof(dst));
	cr_assert_not_null(held, "no GSO frame for 20000 bytes with an initial window of 10");
	cr_assert_gt(held->gso_segs, 1);
	frame_end = start + (held->len - FRAME_HL - 32);

	/* Without the link's word on the checksum, the partial one fails. */
	csum_errors = ts->net[1].mib.tcp.InCsumErrors;
	acks = wire_frames[1];
	receive_whole(held, CHECKSUM_NONE);
	cr_assert_eq(ts->net[1].mib.tcp.InCsumErrors, csum_errors + 1);
	cr_assert_eq(rtp->rcv_nxt, start, "a frame with a bad checksum was taken");
	cr_assert_eq(wire_frames[1], acks);

	/* NEEDS_CSUM or DATA_VALID from the link: taken whole, one ACK at once. */
	receive_whole(held, CHECKSUM_UNNECESSARY);
	cr_assert_eq(rtp->rcv_nxt, frame_end, "rcv_nxt %u, the frame ends at %u", rtp->rcv_nxt,
		     frame_end);
	cr_assert_eq(wire_frames[1], acks + 1, "%u ACKs for one large frame",
		     wire_frames[1] - acks);
	cr_assert_eq(last_ack, frame_end, "the ACK covers %u, not the frame's end %u", last_ack,
		     frame_end);
	cr_assert_eq(rtp->ack.rcv_mss, MSS,
		     "rcv_mss %u: the peer's segment size is the frame's "
		     "gso_size",
		     rtp->ack.rcv_mss);

	/* The rest follows over the wire; the byte stream is whole. */
	for (size_t got = 0; got < sizeof(dst) && ts->now < TWOSTACK_T0 + 60 * NSEC_PER_SEC;) {
		int n;

		twostack_run_for(ts, NSEC_PER_MSEC);
		while ((n = recv_buf(s, dst + got, sizeof(dst) - got)) > 0)
			got += (size_t)n;
		if (got == sizeof(dst))
			break;
	}
	cr_assert(memcmp(src, dst, sizeof(dst)) == 0, "the data differs");
	free(src);
}
