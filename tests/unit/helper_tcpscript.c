// SPDX-License-Identifier: MIT
/*
 * Scripted TCP peers (see the header): option specs to bytes, segments to
 * frames, the capture of what the stack sends, and the step runner.
 */
#include "helper_tcpscript.h"

#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "skbuff.h"
#include "net_namespace.h"
#include "netdevice.h"

#define FLAG_FIN 0x01
#define FLAG_SYN 0x02
#define FLAG_RST 0x04
#define FLAG_PSH 0x08
#define FLAG_ACK 0x10
#define FLAG_ECE 0x40
#define FLAG_CWR 0x80

static void fail(struct tcpscript *sc, const char *fmt, ...)
{
	va_list ap;

	if (sc->err[0])
		return; /* keep the first */
	va_start(ap, fmt);
	vsnprintf(sc->err, sizeof(sc->err), fmt, ap);
	va_end(ap);
}

static uint8_t parse_flags(const char *s)
{
	uint8_t f = 0;

	for (; s && *s && *s != ':'; s++) {
		switch (*s) {
		case 'S':
			f |= FLAG_SYN;
			break;
		case 'F':
			f |= FLAG_FIN;
			break;
		case 'R':
			f |= FLAG_RST;
			break;
		case 'P':
			f |= FLAG_PSH;
			break;
		case '.':
			f |= FLAG_ACK;
			break;
		case 'E':
			f |= FLAG_ECE;
			break;
		case 'W':
			f |= FLAG_CWR;
			break;
		}
	}
	return f;
}

/* The IP ECN field a flags spec names after ':' (0: Not-ECT). */
static uint8_t parse_ecn(const char *s)
{
	const char *c = s ? strchr(s, ':') : NULL;

	if (!c)
		return 0;
	if (!strcmp(c, ":ce"))
		return 3;
	return !strcmp(c, ":ect0") ? 2 : !strcmp(c, ":ect1") ? 1 : 0;
}

static void flags_str(uint8_t f, char *buf)
{
	char *p = buf;

	if (f & FLAG_SYN)
		*p++ = 'S';
	if (f & FLAG_FIN)
		*p++ = 'F';
	if (f & FLAG_RST)
		*p++ = 'R';
	if (f & FLAG_PSH)
		*p++ = 'P';
	if (f & FLAG_ECE)
		*p++ = 'E';
	if (f & FLAG_CWR)
		*p++ = 'W';
	if (f & FLAG_ACK)
		*p++ = '.';
	*p = 0;
}

uint32_t tcpscript_now_ms(const struct tcpscript *sc)
{
	return (uint32_t)(sc->ts->now / NSEC_PER_MSEC);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A timestamp field: "*" masks it, "now" is the stack's clock. */
static bool ts_field(struct tcpscript *sc, const char **s, uint8_t *b, uint8_t *m)
{
	while (**s == ' ')
		(*s)++;
	if (**s == '*') {
		(*s)++;
		memset(m, 0, 4);
		return true;
	}
	if (!strncmp(*s, "now", 3)) {
		*s += 3;
		put32(b, tcpscript_now_ms(sc));
		return true;
	}
	put32(b, (uint32_t)strtoul(*s, (char **)s, 10));
	return true;
}

/*
 * Option spec to bytes (b) and a mask (m: 0xff = compared). sack_base is
 * what SACK edges are relative to. Returns the length, -1 on a bad spec.
 */
static int build_opts(struct tcpscript *sc, const char *spec, uint32_t sack_base, uint8_t *b,
		      uint8_t *m)
{
	const char *s = spec;
	int n = 0;

	memset(m, 0xff, 40);
	while (s && *s) {
		while (*s == ' ' || *s == ',')
			s++;
		if (!*s)
			break;
		if (n > 36)
			return -1;
		if (!strncmp(s, "mss ", 4)) {
			unsigned long v = strtoul(s + 4, (char **)&s, 10);

			b[n] = 2, b[n + 1] = 4, b[n + 2] = (uint8_t)(v >> 8), b[n + 3] = (uint8_t)v;
			n += 4;
		} else if (!strncmp(s, "sackOK", 6)) {
			b[n] = 4, b[n + 1] = 2;
			n += 2;
			s += 6;
		} else if (!strncmp(s, "TS val", 6)) {
			b[n] = 8, b[n + 1] = 10;
			s += 6;
			ts_field(sc, &s, b + n + 2, m + n + 2);
			while (*s == ' ')
				s++;
			if (strncmp(s, "ecr", 3))
				return -1;
			s += 3;
			ts_field(sc, &s, b + n + 6, m + n + 6);
			n += 10;
		} else if (!strncmp(s, "nop", 3)) {
			b[n++] = 1;
			s += 3;
		} else if (!strncmp(s, "eol", 3)) {
			b[n++] = 0;
			s += 3;
		} else if (!strncmp(s, "wscale ", 7)) {
			b[n] = 3, b[n + 1] = 3, b[n + 2] = (uint8_t)strtoul(s + 7, (char **)&s, 10);
			n += 3;
		} else if (!strncmp(s, "tfoexp", 6)) {
			/* The experimental Fast Open request: kind 254, magic 0xF989. */
			b[n] = 254, b[n + 1] = 4, b[n + 2] = 0xf9, b[n + 3] = 0x89;
			n += 4;
			s += 6;
		} else if (!strncmp(s, "tfo", 3)) {
			/* Fast Open: "tfo" a request, "tfo *" any 8-byte cookie, "tfo <hex>" one.
			 */
			int len = 0;

			s += 3;
			if (!strncmp(s, " *", 2)) {
				memset(m + n + 2, 0, 8);
				len = 8;
				s += 2;
			} else if (*s == ' ') {
				for (s++;
				     isxdigit((unsigned char)s[0]) && isxdigit((unsigned char)s[1]);
				     s += 2) {
					char hx[3] = {s[0], s[1], 0};

					if (n + 2 + len >= 40)
						return -1;
					b[n + 2 + len++] = (uint8_t)strtoul(hx, NULL, 16);
				}
			}
			b[n] = 34, b[n + 1] = (uint8_t)(2 + len);
			n += 2 + len;
		} else if (!strncmp(s, "md5", 3)) {
			/* The digest is not compared: the script holds no key. */
			b[n] = 19, b[n + 1] = 18;
			memset(b + n + 2, 0x5a, 16);
			memset(m + n + 2, 0, 16);
			n += 18;
			s += 3;
		} else if (!strncmp(s, "sack ", 5)) {
			int start = n;

			b[n] = 5;
			n += 2;
			s += 5;
			while (*s >= '0' && *s <= '9') {
				uint32_t l = (uint32_t)strtoul(s, (char **)&s, 10), r;

				if (*s++ != ':' || n + 8 > 40)
					return -1;
				r = (uint32_t)strtoul(s, (char **)&s, 10);
				put32(b + n, sack_base + l);
				put32(b + n + 4, sack_base + r);
				n += 8;
				while (*s == ' ')
					s++;
			}
			b[start + 1] = (uint8_t)(n - start);
		} else {
			return -1;
		}
	}
	return n;
}

static void opts_str(const uint8_t *o, int len, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = 0;
	for (int i = 0; i < len && used + 4 < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%02x ", o[i]);
}

static void seg_str(const struct tcpscript_pkt *p, uint32_t seq_base, uint32_t ack_base,
		    uint64_t t0, char *buf, size_t size)
{
	char fl[8], ob[128];

	flags_str(p->flags, fl);
	opts_str(p->opts, p->optlen, ob, sizeof(ob));
	snprintf(buf, size, "at %llu ms: %s seq %u ack %u len %u win %u ecn %u <%s>",
		 (unsigned long long)((p->t - t0) / NSEC_PER_MSEC), fl, p->seq - seq_base,
		 p->flags & FLAG_ACK ? p->ack - ack_base : 0, p->len, p->win, p->ecn, ob);
}

/* The wire filter: side 0's TCP is captured and kept from side 1. */
static int capture(void *arg, int side, const uint8_t *f, unsigned int len)
{
	struct tcpscript *sc = arg;
	const uint8_t *ip = f + 14, *th;
	unsigned int ihl, thl, tot;
	struct tcpscript_pkt *p;

	if (side != 0 || len < 14 + 20 + 20 || f[12] != 0x08 || f[13] != 0x00 || ip[9] != 6)
		return 1;
	ihl = (ip[0] & 15u) * 4;
	tot = (unsigned int)(ip[2] << 8 | ip[3]);
	th = ip + ihl;
	thl = (th[12] >> 4) * 4u;
	if (sc->nout >= TCPSCRIPT_MAX_OUT) {
		fail(sc, "more than %d segments captured", TCPSCRIPT_MAX_OUT);
		return 0;
	}
	p = &sc->out[sc->nout++];
	memset(p, 0, sizeof(*p));
	p->t = sc->ts->now;
	p->sport = (uint16_t)(th[0] << 8 | th[1]);
	p->dport = (uint16_t)(th[2] << 8 | th[3]);
	p->seq = get32(th + 4);
	p->ack = get32(th + 8);
	p->flags = th[13];
	p->ecn = ip[1] & 3;
	p->win = (uint16_t)(th[14] << 8 | th[15]);
	p->len = (uint16_t)(tot - ihl - thl);
	p->optlen = (uint8_t)(thl - 20);
	memcpy(p->opts, th + 20, p->optlen);
	if (!sc->stack_port)
		sc->stack_port = p->sport;
	return 0;
}

struct tcpscript *tcpscript_start(void)
{
	struct tcpscript *sc = calloc(1, sizeof(*sc));

	if (!sc)
		return NULL;
	sc->ts = twostack_create(NULL);
	if (!sc->ts) {
		free(sc);
		return NULL;
	}
	sc->t0 = sc->ts->now;
	sc->peer_port = TCPSCRIPT_PEER_PORT;
	mem_link_set_filter(sc->ts->link, capture, sc);
	return sc;
}

void tcpscript_linux_sysctls(struct tcpscript *sc, const char *cong)
{
	for (int i = 0; i < 2; i++) {
		struct netns_sysctl *s = &sc->ts->net[i].sysctl;

		s->tcp_timestamps = 2;
		s->tcp_sack = 1;
		s->tcp_dsack = 1;
		s->tcp_window_scaling = 1;
		s->tcp_rmem[2] = 6291456;
		s->rmem_max = 212992;
		s->tcp_recovery = 1;
		s->tcp_early_retrans = 3;
		s->tcp_frto = 2;
		snprintf(s->tcp_congestion_control, sizeof(s->tcp_congestion_control), "%s", cong);
	}
}

struct socket *tcpscript_track(struct tcpscript *sc, struct socket *s)
{
	if (s && sc->nsocks < TCPSCRIPT_MAX_SOCKS)
		sc->socks[sc->nsocks++] = s;
	return s;
}

struct socket *tcpscript_socket(struct tcpscript *sc)
{
	int err = 0;

	return tcpscript_track(sc, twostack_socket(sc->ts, 0, SOCK_STREAM, IPPROTO_TCP, &err));
}

struct socket *tcpscript_connect(struct tcpscript *sc, int rcvbuf)
{
	struct socket *c = tcpscript_socket(sc);
	struct sockaddr_in to = twostack_sin(1, TCPSCRIPT_PEER_PORT);

	if (!c || (rcvbuf && c->ops->setsockopt(c, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf))))
		return NULL;
	return twostack_connect(c, &to) == -EINPROGRESS ? c : NULL;
}

void tcpscript_stop(struct tcpscript *sc)
{
	if (!sc)
		return;
	for (unsigned int i = 0; i < sc->nsocks; i++)
		sock_release(sc->socks[i]);
	twostack_destroy(sc->ts);
	free(sc);
}

struct tcpscript *tcpscript_start_linux(const char *cong)
{
	struct tcpscript *sc = tcpscript_start();

	cr_assert_not_null(sc);
	tcpscript_linux_sysctls(sc, cong);
	return sc;
}

void tcpscript_stop_drained(struct tcpscript *sc)
{
	tcpscript_stop(sc);
	skb_cache_drain();
}

static void run_to(struct tcpscript *sc, uint64_t at_ms)
{
	uint64_t t = sc->t0 + at_ms * NSEC_PER_MSEC;

	/* Everything due up to t, including what follows at t itself (ARP, answers). */
	twostack_run_until(sc->ts, t > sc->ts->now ? t : sc->ts->now);
}

static bool none_unexplained(struct tcpscript *sc, const char *when)
{
	char buf[256];

	if (sc->next >= sc->nout)
		return true;
	seg_str(&sc->out[sc->next], sc->stack_isn, TCPSCRIPT_PEER_ISN, sc->t0, buf, sizeof(buf));
	fail(sc, "%s: the stack sent an unexpected segment: %s", when, buf);
	return false;
}

bool tcpscript_quiet_until(struct tcpscript *sc, uint64_t at_ms)
{
	run_to(sc, at_ms);
	return none_unexplained(sc, "quiet") && !sc->err[0];
}

/* The IPv4 header's checksum, once the header is complete. */
static void put_ip_csum(uint8_t *ip)
{
	uint16_t c;

	ip[10] = ip[11] = 0;
	c = ip_fast_csum(ip, 5);
	memcpy(ip + 10, &c, 2);
}

/*
 * A zeroed frame from side 1 to side 0: Ethernet and an IPv4 header of tot
 * bytes in all (no options, TTL 64, checksum not yet: put_ip_csum); *ip is
 * set to the IP header.
 */
static struct sk_buff *frame_from_peer(unsigned int tot, uint8_t proto, uint8_t **ip)
{
	uint32_t saddr = twostack_addr(1), daddr = twostack_addr(0);
	struct sk_buff *skb = alloc_skb(14 + tot);
	uint8_t *f = skb_put(skb, 14 + tot);

	memset(f, 0, 14 + tot);
	memcpy(f, twostack_mac[0], 6);
	memcpy(f + 6, twostack_mac[1], 6);
	f[12] = 0x08;
	*ip = f + 14;
	(*ip)[0] = 0x45;
	(*ip)[2] = (uint8_t)(tot >> 8);
	(*ip)[3] = (uint8_t)tot;
	(*ip)[8] = 64;
	(*ip)[9] = proto;
	memcpy(*ip + 12, &saddr, 4);
	memcpy(*ip + 16, &daddr, 4);
	return skb;
}

/* An Ethernet frame from side 1 carrying seg, put on the wire. */
static bool inject(struct tcpscript *sc, int idx, const struct tcpscript_seg *seg)
{
	uint8_t opts[40], mask[40], *ip, *th;
	int optlen = seg->opts ? build_opts(sc, seg->opts, sc->stack_isn, opts, mask) : 0;
	unsigned int thl, tot;
	uint8_t flags = parse_flags(seg->flags);
	struct sk_buff *skb;
	uint32_t saddr = twostack_addr(1), daddr = twostack_addr(0);

	if (optlen < 0 || optlen % 4) {
		fail(sc, "step %d: bad or unaligned option spec '%s'", idx, seg->opts);
		return false;
	}
	if (!sc->stack_port) {
		fail(sc, "step %d: no port known for the stack (set stack_port)", idx);
		return false;
	}
	thl = 20u + (unsigned int)optlen;
	tot = 20u + thl + seg->len;
	skb = frame_from_peer(tot, 6, &ip);
	ip[1] = parse_ecn(seg->flags);
	ip[6] = 0x40; /* DF */
	put_ip_csum(ip);
	th = ip + 20;
	th[0] = (uint8_t)(sc->peer_port >> 8);
	th[1] = (uint8_t)sc->peer_port;
	th[2] = (uint8_t)(sc->stack_port >> 8);
	th[3] = (uint8_t)sc->stack_port;
	put32(th + 4, TCPSCRIPT_PEER_ISN + seg->seq);
	put32(th + 8, flags & FLAG_ACK ? sc->stack_isn + seg->ack : 0);
	th[12] = (uint8_t)((thl / 4) << 4);
	th[13] = flags;
	{
		uint32_t w = seg->win == TCPSCRIPT_WIN_ZERO ? 0
			     : seg->win			    ? (uint32_t)seg->win
							    : 65535;

		th[14] = (uint8_t)(w >> 8);
		th[15] = (uint8_t)w;
	}
	memcpy(th + 20, opts, (size_t)optlen);
	for (uint32_t i = 0; i < seg->len; i++)
		th[thl + i] = (uint8_t)('a' + (seg->seq + i) % 26);
	{
		uint16_t c = csum_tcpudp_magic(saddr, daddr, thl + seg->len, 6,
					       csum_partial(th, (int)(thl + seg->len), 0));

		memcpy(th + 16, &c, 2);
	}
	dev_queue_xmit(sc->ts->dev[1], skb);
	dev_flush(sc->ts->dev[1]);
	twostack_run_until(sc->ts, sc->ts->now);
	return true;
}

void tcpscript_inject_frag_needed(struct tcpscript *sc, uint32_t seq, uint16_t mtu)
{
	const unsigned int tot = 20 + 8 + 20 + 8;
	uint32_t saddr = twostack_addr(1), daddr = twostack_addr(0);
	uint8_t *ip, *icmp, *q;
	struct sk_buff *skb = frame_from_peer(tot, 1, &ip);
	uint16_t c;

	put_ip_csum(ip);
	icmp = ip + 20;
	q = icmp + 8;
	icmp[0] = 3;
	icmp[1] = 4;
	icmp[6] = (uint8_t)(mtu >> 8);
	icmp[7] = (uint8_t)mtu;
	/* The quoted packet: ours, to the script, as it left (1500 bytes, DF, TCP). */
	q[0] = 0x45;
	q[2] = 0x05;
	q[3] = 0xdc;
	q[6] = 0x40;
	q[8] = 64;
	q[9] = 6;
	memcpy(q + 12, &daddr, 4);
	memcpy(q + 16, &saddr, 4);
	put_ip_csum(q);
	q[20] = (uint8_t)(sc->stack_port >> 8);
	q[21] = (uint8_t)sc->stack_port;
	q[22] = (uint8_t)(sc->peer_port >> 8);
	q[23] = (uint8_t)sc->peer_port;
	put32(q + 24, sc->stack_isn + seq);
	c = csum_fold(csum_partial(icmp, 8 + 28, 0));
	memcpy(icmp + 2, &c, 2);
	dev_queue_xmit(sc->ts->dev[1], skb);
	dev_flush(sc->ts->dev[1]);
	twostack_run_until(sc->ts, sc->ts->now);
}

static bool expect(struct tcpscript *sc, int idx, uint64_t at_ms, const struct tcpscript_seg *seg)
{
	const struct tcpscript_pkt *p;
	uint8_t flags = parse_flags(seg->flags), opts[40], mask[40];
	char got[256];
	int optlen = 0;
	const char *why = NULL;

	if (sc->next >= sc->nout) {
		fail(sc,
		     "step %d: at %llu ms expected %s seq %u ack %u len %u; the stack sent nothing",
		     idx, (unsigned long long)at_ms, seg->flags, seg->seq, seg->ack, seg->len);
		return false;
	}
	p = &sc->out[sc->next++];
	if (seg->opts && strcmp(seg->opts, "*")) {
		optlen = build_opts(sc, seg->opts, TCPSCRIPT_PEER_ISN, opts, mask);
		if (optlen < 0) {
			fail(sc, "step %d: bad option spec '%s'", idx, seg->opts);
			return false;
		}
	}
	/* A SYN or SYN-ACK tells the ISN that later steps are relative to. */
	if ((flags & FLAG_SYN) && (p->flags & FLAG_SYN))
		sc->stack_isn = p->seq - seg->seq;
	if (p->t != sc->t0 + at_ms * NSEC_PER_MSEC)
		why = "time";
	else if (p->flags != flags)
		why = "flags";
	else if (p->seq != sc->stack_isn + seg->seq)
		why = "seq";
	else if ((flags & FLAG_ACK) && p->ack != TCPSCRIPT_PEER_ISN + seg->ack)
		why = "ack";
	else if (p->ecn != parse_ecn(seg->flags))
		why = "ecn";
	else if (p->len != seg->len)
		why = "len";
	else if (seg->win && p->win != (seg->win == TCPSCRIPT_WIN_ZERO ? 0 : seg->win))
		why = "window";
	else if (p->dport != sc->peer_port)
		why = "port";
	else if (!seg->opts || strcmp(seg->opts, "*")) {
		if (p->optlen != optlen)
			why = "option length";
		for (int i = 0; !why && i < optlen; i++)
			if ((p->opts[i] ^ opts[i]) & mask[i])
				why = "option bytes";
	}
	if (!why)
		return true;
	seg_str(p, sc->stack_isn, TCPSCRIPT_PEER_ISN, sc->t0, got, sizeof(got));
	{
		char want[128];

		opts_str(opts, optlen, want, sizeof(want));
		fail(sc,
		     "step %d: %s differs\n  expected at %llu ms: %s seq %u ack %u len %u win %d "
		     "<%s>\n  got      %s",
		     idx, why, (unsigned long long)at_ms, seg->flags, seg->seq, seg->ack, seg->len,
		     seg->win, seg->opts ? want : "", got);
	}
	return false;
}

bool tcpscript_run(struct tcpscript *sc, const struct tcpscript_step *steps)
{
	int i;

	for (i = 0; steps[i].dir && !sc->err[0]; i++) {
		const struct tcpscript_step *st = &steps[i];

		run_to(sc, st->at_ms);
		if (st->dir == '<') {
			char when[32];

			snprintf(when, sizeof(when), "before step %d", i);
			if (none_unexplained(sc, when))
				inject(sc, i, &st->seg);
		} else {
			expect(sc, i, st->at_ms, &st->seg);
		}
	}
	if (!sc->err[0] && i > 0) {
		/* Whatever the last step set off at its own time must be expected too. */
		twostack_run_until(sc->ts, sc->ts->now);
		none_unexplained(sc, "at the end of the table");
	}
	return !sc->err[0];
}
