// SPDX-License-Identifier: MIT
/*
 * TCP-MD5 (RFC 2385): the MD5 itself against RFC 1321's test suite, the
 * key option's errors, the signed SYN's layout against a scripted peer
 * (and what happens to its badly signed or unsigned answers), and two
 * stacks with keys talking, or not, over the in-memory wire.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "helper_tcpscript.h"
#include "inet.h"
#include "md5.h"
#include "tcp.h"
#include "tcp_md5.h"

static void md5_hex(const char *msg, size_t chunk, char hex[33])
{
	struct md5_ctx ctx;
	uint8_t d[MD5_DIGEST_SIZE];
	size_t len = strlen(msg);

	md5_init(&ctx);
	for (size_t off = 0; off < len; off += chunk)
		md5_update(&ctx, msg + off, len - off < chunk ? len - off : chunk);
	md5_final(&ctx, d);
	for (int i = 0; i < MD5_DIGEST_SIZE; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* RFC 1321 appendix A.5, whole and fed in uneven pieces. */
Test(md5, rfc1321_test_suite)
{
	static const char *const v[][2] = {
		{"", "d41d8cd98f00b204e9800998ecf8427e"},
		{"a", "0cc175b9c0f1b6a831c399e269772661"},
		{"abc", "900150983cd24fb0d6963f7d28e17f72"},
		{"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
		{"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		 "d174ab98d277d9f5a5611c2c9f419d9f"},
		{"1234567890123456789012345678901234567890123456789012345678901234567890"
		 "1234567890",
		 "57edf4a22be3c955ac49da2e2107b67a"},
	};
	char hex[33];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		for (size_t chunk = 1; chunk <= 80; chunk += 7) {
			md5_hex(v[i][0], chunk, hex);
			cr_assert_str_eq(hex, v[i][1], "\"%s\" in pieces of %zu", v[i][0], chunk);
		}
	}
}

/* ---- against a scripted peer ---- */

static struct tcpscript *sc;

static void setup(void)
{
	sc = tcpscript_start_linux("cubic");
}

static void teardown(void)
{
	tcpscript_stop_drained(sc);
}

TestSuite(tcp_md5, .init = setup, .fini = teardown);

static struct tcpext_mib *ext(void)
{
	return &sc->ts->net[0].mib.tcpext;
}

static struct tcp_md5sig md5_cmd(uint32_t addr, const char *key)
{
	struct tcp_md5sig cmd = {.tcpm_keylen = (uint16_t)strlen(key)};
	struct sockaddr_in *sin = (struct sockaddr_in *)&cmd.tcpm_addr;

	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = addr;
	memcpy(cmd.tcpm_key, key, strlen(key));
	return cmd;
}

static int set_md5(struct socket *s, int optname, const struct tcp_md5sig *cmd)
{
	return s->ops->setsockopt(s, SOL_TCP, optname, cmd, sizeof(*cmd));
}

/* The errors tcp_v4_parse_md5_keys gives, in its order; getsockopt knows no TCP_MD5SIG. */
Test(tcp_md5, key_option_errors_as_the_kernel)
{
	struct socket *s = tcpscript_socket(sc);
	struct tcp_md5sig cmd = md5_cmd(twostack_addr(1), "secret");
	char buf[sizeof(cmd)];
	int len = sizeof(buf);

	cr_assert_eq(s->ops->setsockopt(s, SOL_TCP, TCP_MD5SIG, &cmd, sizeof(cmd) - 1), -EINVAL);
	cmd.tcpm_addr.ss_family = AF_INET6;
	cr_assert_eq(set_md5(s, TCP_MD5SIG, &cmd), -EINVAL);
	cmd.tcpm_addr.ss_family = AF_INET;
	cmd.tcpm_flags = TCP_MD5SIG_FLAG_PREFIX;
	cmd.tcpm_prefixlen = 33;
	cr_assert_eq(set_md5(s, TCP_MD5SIG_EXT, &cmd), -EINVAL);
	/* Plain TCP_MD5SIG ignores the prefix fields. */
	cr_assert_eq(set_md5(s, TCP_MD5SIG, &cmd), 0);
	cmd.tcpm_flags = TCP_MD5SIG_FLAG_IFINDEX;
	cmd.tcpm_ifindex = 1; /* no VRF here */
	cr_assert_eq(set_md5(s, TCP_MD5SIG_EXT, &cmd), -EINVAL);
	cmd.tcpm_flags = 0;
	cmd.tcpm_keylen = TCP_MD5SIG_MAXKEYLEN + 1;
	cr_assert_eq(set_md5(s, TCP_MD5SIG, &cmd), -EINVAL);
	/* Deleting: the key as added, else ENOENT. */
	cmd.tcpm_keylen = 0;
	cr_assert_eq(set_md5(s, TCP_MD5SIG, &cmd), 0);
	cr_assert_eq(set_md5(s, TCP_MD5SIG, &cmd), -ENOENT);
	cr_assert_eq(tcp_sk(s->sk)->md5_nkeys, 0);
	cr_assert_eq(s->ops->getsockopt(s, SOL_TCP, TCP_MD5SIG, buf, &len), -ENOPROTOOPT);
	cr_assert_eq(s->ops->getsockopt(s, SOL_TCP, TCP_MD5SIG_EXT, buf, &len), -ENOPROTOOPT);
}

/* The longest prefix holding the peer wins; among equals the newest; a /32 delete is exact. */
Test(tcp_md5, lookup_takes_the_longest_prefix)
{
	struct socket *s = tcpscript_socket(sc);
	struct tcp_md5sig cmd = md5_cmd(twostack_addr(1), "sixteen");
	const struct tcp_md5sig_key *k;

	cmd.tcpm_flags = TCP_MD5SIG_FLAG_PREFIX;
	cmd.tcpm_prefixlen = 8;
	cr_assert_eq(set_md5(s, TCP_MD5SIG_EXT, &cmd), 0);
	cmd.tcpm_prefixlen = 24;
	cmd.tcpm_keylen = 3;
	cr_assert_eq(set_md5(s, TCP_MD5SIG_EXT, &cmd), 0);
	k = tcp_md5_do_lookup(s->sk, twostack_addr(1));
	cr_assert(k && k->prefixlen == 24 && k->keylen == 3);
	/* The same prefix again replaces the secret in place. */
	cmd.tcpm_keylen = 5;
	cr_assert_eq(set_md5(s, TCP_MD5SIG_EXT, &cmd), 0);
	cr_assert_eq(tcp_sk(s->sk)->md5_nkeys, 2);
	cr_assert_eq(tcp_md5_do_lookup(s->sk, twostack_addr(1))->keylen, 5);
	cr_assert_null(tcp_md5_do_lookup(s->sk, htonl(0x0b000001)));
	cmd.tcpm_keylen = 0;
	cr_assert_eq(set_md5(s, TCP_MD5SIG, &cmd), -ENOENT); /* /32: none */
	cr_assert_eq(set_md5(s, TCP_MD5SIG_EXT, &cmd), 0);
	cr_assert_eq(tcp_md5_do_lookup(s->sk, twostack_addr(1))->prefixlen, 8);
}

/*
 * A signed SYN has no timestamps (no room beside SACK-permitted); the
 * signature comes first. A SYN-ACK with a wrong signature, or none, is
 * dropped and counted, and the SYN goes again at the RTO.
 */
Test(tcp_md5, signed_syn_layout_and_bad_answers_dropped)
{
	struct socket *c = tcpscript_socket(sc);
	struct tcp_md5sig cmd = md5_cmd(twostack_addr(1), "secret");
	struct sockaddr_in to = twostack_sin(1, TCPSCRIPT_PEER_PORT);

	cr_assert_eq(set_md5(c, TCP_MD5SIG, &cmd), 0);
	cr_assert_eq(twostack_connect(c, &to), -EINPROGRESS);
	TCPSCRIPT_RUN(
		sc,
		{0, '>', {"S", 0, 0, 0, 64240, "nop,nop,md5,mss 1460,nop,nop,sackOK,nop,wscale 7"}},
		{10, '<', {"S.", 0, 1, 0, 0, "nop,nop,md5,mss 1460,nop,nop,sackOK,nop,wscale 7"}},
		{20, '<', {"S.", 0, 1, 0, 0, "mss 1460,nop,nop,sackOK,nop,wscale 7"}},
		{1000,
		 '>',
		 {"S", 0, 0, 0, 64240, "nop,nop,md5,mss 1460,nop,nop,sackOK,nop,wscale 7"}});
	cr_assert_eq(ext()->TCPMD5Failure, 1);
	cr_assert_eq(ext()->TCPMD5NotFound, 1);
	cr_assert_eq(c->sk->sk_state, TCP_SYN_SENT);
}

/* ---- two stacks ---- */

struct md5_pair {
	struct twostack *ts;
	struct socket *l, *c, *a;
};

static int md5_connect(struct md5_pair *p, const char *lkey, const char *ckey)
{
	struct sockaddr_in at = twostack_sin(1, 7000);
	struct tcp_md5sig cmd;
	int err = 0;

	p->ts = twostack_create(NULL);
	cr_assert_not_null(p->ts);
	p->l = twostack_socket(p->ts, 1, SOCK_STREAM, IPPROTO_TCP, &err);
	p->c = twostack_socket(p->ts, 0, SOCK_STREAM, IPPROTO_TCP, &err);
	p->a = calloc(1, sizeof(*p->a));
	cr_assert(p->l && p->c && p->a);
	if (lkey) {
		/* The listener's key covers the client's whole /24. */
		cmd = md5_cmd(twostack_addr(0), lkey);
		cmd.tcpm_flags = TCP_MD5SIG_FLAG_PREFIX;
		cmd.tcpm_prefixlen = 24;
		cr_assert_eq(set_md5(p->l, TCP_MD5SIG_EXT, &cmd), 0);
	}
	if (ckey) {
		cmd = md5_cmd(twostack_addr(1), ckey);
		cr_assert_eq(set_md5(p->c, TCP_MD5SIG, &cmd), 0);
	}
	cr_assert_eq(p->l->ops->bind(p->l, (struct sockaddr *)&at, sizeof(at)), 0);
	cr_assert_eq(p->l->ops->listen(p->l, 4), 0);
	cr_assert_eq(twostack_connect(p->c, &at), -EINPROGRESS);
	twostack_run_for(p->ts, 50 * NSEC_PER_MSEC);
	return p->l->ops->accept(p->l, p->a, O_NONBLOCK, true);
}

static void md5_pair_free(struct md5_pair *p, bool accepted)
{
	sock_release(p->c);
	if (accepted)
		sock_release(p->a);
	else
		free(p->a);
	sock_release(p->l);
	twostack_run_idle(p->ts);
	twostack_destroy(p->ts);
	skb_cache_drain();
}

/* Matching keys: a connection whose every segment verifies, data both ways. */
Test(tcp_md5_pair, matching_keys_carry_data_both_ways)
{
	static char out[100000], in[sizeof(out)];
	struct md5_pair p;
	size_t got = 0;
	int n;

	cr_assert_eq(md5_connect(&p, "sharedsecret", "sharedsecret"), 0);
	/* The child took the listener's key, for its peer only. */
	cr_assert_eq(tcp_sk(p.a->sk)->md5_nkeys, 1);
	cr_assert_eq(tcp_sk(p.a->sk)->md5_keys[0].prefixlen, 32);
	/* 20 bytes of every segment are the signature's (tcp_current_mss). */
	cr_assert_eq(tcp_current_mss(p.c->sk), 1440);
	cr_assert_eq(tcp_current_mss(p.a->sk), 1440);
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7);
	for (size_t off = 0; off < sizeof(out);) {
		n = twostack_sendto(p.c, out + off, sizeof(out) - off, NULL);
		if (n > 0)
			off += (size_t)n;
		twostack_run_for(p.ts, 10 * NSEC_PER_MSEC);
		while ((n = twostack_recvfrom(p.a, in + got, sizeof(in) - got, 0, NULL)) > 0)
			got += (size_t)n;
	}
	for (int i = 0; i < 100 && got < sizeof(in); i++) {
		twostack_run_for(p.ts, 10 * NSEC_PER_MSEC);
		while ((n = twostack_recvfrom(p.a, in + got, sizeof(in) - got, 0, NULL)) > 0)
			got += (size_t)n;
	}
	cr_assert_eq(got, sizeof(out));
	cr_assert(!memcmp(in, out, sizeof(out)));
	cr_assert_eq(twostack_sendto(p.a, "back", 4, NULL), 4);
	twostack_run_for(p.ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_recvfrom(p.c, in, sizeof(in), 0, NULL), 4);
	cr_assert(!memcmp(in, "back", 4));
	for (int s = 0; s < 2; s++) {
		cr_assert_eq(p.ts->net[s].mib.tcpext.TCPMD5Failure, 0);
		cr_assert_eq(p.ts->net[s].mib.tcpext.TCPMD5NotFound, 0);
		cr_assert_eq(p.ts->net[s].mib.tcpext.TCPMD5Unexpected, 0);
	}
	md5_pair_free(&p, true);
}

/* Keys that differ: the listener drops the SYN (TCPMD5Failure), nothing is accepted. */
Test(tcp_md5_pair, different_keys_never_connect)
{
	struct md5_pair p;

	cr_assert_eq(md5_connect(&p, "one", "two"), -EAGAIN);
	cr_assert_geq(p.ts->net[1].mib.tcpext.TCPMD5Failure, 1);
	cr_assert_eq(p.c->sk->sk_state, TCP_SYN_SENT);
	md5_pair_free(&p, false);
}

/* A key on one side only: NotFound at the keyed listener, Unexpected at a keyless one. */
Test(tcp_md5_pair, a_key_on_one_side_only)
{
	struct md5_pair p;

	cr_assert_eq(md5_connect(&p, "only", NULL), -EAGAIN);
	cr_assert_geq(p.ts->net[1].mib.tcpext.TCPMD5NotFound, 1);
	md5_pair_free(&p, false);
	cr_assert_eq(md5_connect(&p, NULL, "only"), -EAGAIN);
	cr_assert_geq(p.ts->net[1].mib.tcpext.TCPMD5Unexpected, 1);
	md5_pair_free(&p, false);
}

/* A signed connection's RST is signed: the peer takes it and its connect fails. */
Test(tcp_md5_pair, reset_is_signed_and_accepted)
{
	struct md5_pair p;
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	cr_assert_eq(md5_connect(&p, "k", "k"), 0);
	cr_assert_eq(sock_setsockopt(p.a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	sock_release(p.a);
	twostack_run_for(p.ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(p.c->sk->sk_state, TCP_CLOSE);
	cr_assert_eq(p.c->sk->sk_err, ECONNRESET);
	cr_assert_eq(p.ts->net[0].mib.tcpext.TCPMD5NotFound, 0);
	sock_release(p.c);
	sock_release(p.l);
	twostack_run_idle(p.ts);
	twostack_destroy(p.ts);
	skb_cache_drain();
}
