// SPDX-License-Identifier: MIT
/*
 * TCP-MD5 (RFC 2385; net/ipv4/tcp_ipv4.c's CONFIG_TCP_MD5SIG part): a
 * socket holds keys for peer addresses or prefixes; every segment to a peer
 * with a key carries the 16-byte MD5 of pseudo-header, header, payload and
 * key, and every segment from such a peer must carry the right one.
 *
 * Keys are a small array per socket, newest first as the kernel's list, so
 * that among keys of the same prefix length the newest is used. Adding the
 * first key turns GSO off for the socket for good (sk_gso_disable): each
 * segment needs its own signature, so runs go out as single segments.
 *
 * What this is not: VRF keys (TCP_MD5SIG_FLAG_IFINDEX with an ifindex is
 * EINVAL, as the kernel's answer for a device that is no L3 master: there
 * are none here), TCP-AO, IPv6.
 */
#include "tcp_md5.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "ip.h"
#include "md5.h"
#include "net_namespace.h"
#include "tcp.h"

static uint32_t tcp_md5_mask(uint8_t prefixlen)
{
	return prefixlen ? htonl(~0u << (32 - prefixlen)) : 0;
}

const struct tcp_md5sig_key *tcp_md5_do_lookup(const struct sock *sk, uint32_t addr)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	const struct tcp_md5sig_key *best = NULL;

	for (unsigned int i = 0; i < tp->md5_nkeys; i++) {
		const struct tcp_md5sig_key *key = &tp->md5_keys[i];
		uint32_t mask = tcp_md5_mask(key->prefixlen);

		/* better_md5_match: a longer prefix; the first (newest) of equals. */
		if ((key->addr & mask) == (addr & mask) &&
		    (!best || best->prefixlen < key->prefixlen))
			best = key;
	}
	return best;
}

/* The key for exactly this address, prefix and flags (tcp_md5_do_lookup_exact). */
static struct tcp_md5sig_key *tcp_md5_lookup_exact(struct tcp_sock *tp, uint32_t addr,
						   uint8_t prefixlen, uint8_t flags)
{
	for (unsigned int i = 0; i < tp->md5_nkeys; i++) {
		struct tcp_md5sig_key *key = &tp->md5_keys[i];

		/* The address as given, unmasked, as the kernel stores and compares it. */
		if (key->addr == addr && key->prefixlen == prefixlen && key->flags == flags)
			return key;
	}
	return NULL;
}

static int tcp_md5_do_add(struct sock *sk, uint32_t addr, uint8_t prefixlen, uint8_t flags,
			  const uint8_t *newkey, uint8_t newkeylen)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_md5sig_key *key = tcp_md5_lookup_exact(tp, addr, prefixlen, flags), *keys;

	if (!key) {
		/* sock_kmalloc: the keys are charged to the socket's option memory. */
		if ((tp->md5_nkeys + 1u) * sizeof(*key) >
		    (unsigned int)sock_net(sk)->sysctl.optmem_max)
			return -ENOMEM;
		keys = realloc(tp->md5_keys, (tp->md5_nkeys + 1u) * sizeof(*key));
		if (!keys)
			return -ENOMEM;
		memmove(keys + 1, keys, tp->md5_nkeys * sizeof(*key));
		tp->md5_keys = keys;
		tp->md5_nkeys++;
		key = keys;
		memset(key, 0, sizeof(*key));
		key->addr = addr;
		key->prefixlen = prefixlen;
		key->flags = flags;
	}
	/* An existing key takes the new secret in place (a live flow may drop a segment). */
	memcpy(key->key, newkey, newkeylen);
	key->keylen = newkeylen;
	tp->md5_gso_off = 1;
	return 0;
}

static int tcp_md5_do_del(struct sock *sk, uint32_t addr, uint8_t prefixlen, uint8_t flags)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_md5sig_key *key = tcp_md5_lookup_exact(tp, addr, prefixlen, flags);

	if (!key)
		return -ENOENT;
	memmove(key, key + 1, (size_t)(tp->md5_keys + tp->md5_nkeys - (key + 1)) * sizeof(*key));
	tp->md5_nkeys--;
	return 0;
}

int tcp_md5_setsockopt(struct sock *sk, int optname, const void *optval, unsigned int optlen)
{
	struct tcp_md5sig cmd;
	struct sockaddr_in sin;
	uint8_t prefixlen = 32, flags;

	if (optlen < sizeof(cmd))
		return -EINVAL;
	memcpy(&cmd, optval, sizeof(cmd));
	memcpy(&sin, &cmd.tcpm_addr, sizeof(sin));
	if (sin.sin_family != AF_INET)
		return -EINVAL;
	flags = cmd.tcpm_flags & TCP_MD5SIG_FLAG_IFINDEX;
	if (optname == TCP_MD5SIG_EXT && (cmd.tcpm_flags & TCP_MD5SIG_FLAG_PREFIX)) {
		prefixlen = cmd.tcpm_prefixlen;
		if (prefixlen > 32)
			return -EINVAL;
	}
	/* A key bound to a device needs a VRF (netif_is_l3_master); there are none. */
	if (optname == TCP_MD5SIG_EXT && cmd.tcpm_ifindex &&
	    (cmd.tcpm_flags & TCP_MD5SIG_FLAG_IFINDEX))
		return -EINVAL;
	if (!cmd.tcpm_keylen)
		return tcp_md5_do_del(sk, sin.sin_addr.s_addr, prefixlen, flags);
	if (cmd.tcpm_keylen > TCP_MD5SIG_MAXKEYLEN)
		return -EINVAL;
	return tcp_md5_do_add(sk, sin.sin_addr.s_addr, prefixlen, flags, cmd.tcpm_key,
			      (uint8_t)cmd.tcpm_keylen);
}

bool tcp_md5_key_copy(struct sock *child, const struct sock *parent, uint32_t addr)
{
	const struct tcp_md5sig_key *key = tcp_md5_do_lookup(parent, addr);

	/* For the one peer only, whatever prefix the listener's key covers. */
	return !key || !tcp_md5_do_add(child, addr, 32, key->flags, key->key, key->keylen);
}

void tcp_md5_destroy_sock(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	free(tp->md5_keys);
	tp->md5_keys = NULL;
	tp->md5_nkeys = 0;
}

void tcp_v4_md5_hash_skb(uint8_t out[16], const struct tcp_md5sig_key *key, uint32_t saddr,
			 uint32_t daddr, const struct sk_buff *skb)
{
	const uint8_t *th = skb_transport_header(skb);
	const uint8_t *lin_end = skb->data + skb_headlen(skb);
	unsigned int doff = tcp_hdrlen((const struct tcphdr *)th);
	uint16_t len = htons((uint16_t)(lin_end - th + skb->data_len));
	struct tcphdr hdr;
	struct md5_ctx ctx;

	md5_init(&ctx);
	/* tcp4_pseudohdr: addresses, a zero byte, the protocol, the segment's length. */
	md5_update(&ctx, &saddr, 4);
	md5_update(&ctx, &daddr, 4);
	md5_update(&ctx, "\0\x06", 2);
	md5_update(&ctx, &len, 2);
	memcpy(&hdr, th, sizeof(hdr));
	hdr.check = 0;
	md5_update(&ctx, &hdr, sizeof(hdr));
	if (th + doff < lin_end)
		md5_update(&ctx, th + doff, (size_t)(lin_end - (th + doff)));
	for (unsigned int i = 0; i < skb->nr_frags; i++)
		md5_update(&ctx, skb->frags[i].p, skb->frags[i].len);
	md5_update(&ctx, key->key, key->keylen);
	md5_final(&ctx, out);
}

const uint8_t *tcp_parse_md5sig_option(const struct tcphdr *th)
{
	const uint8_t *p = (const uint8_t *)(th + 1);
	int length = (int)tcp_hdrlen(th) - (int)sizeof(*th);

	/* The option needs 18 bytes: a shorter header cannot hold one. */
	if (length < TCPOLEN_MD5SIG)
		return NULL;
	while (length > 0) {
		int opcode = *p++, opsize;

		if (opcode == TCPOPT_EOL)
			return NULL;
		if (opcode == TCPOPT_NOP) {
			length--;
			continue;
		}
		if (length < 2)
			return NULL;
		opsize = *p++;
		if (opsize < 2 || opsize > length)
			return NULL;
		if (opcode == TCPOPT_MD5SIG)
			return opsize == TCPOLEN_MD5SIG ? p : NULL;
		p += opsize - 2;
		length -= opsize;
	}
	return NULL;
}

bool tcp_inbound_md5_hash(const struct sock *sk, const struct sk_buff *skb)
{
	const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(skb);
	const struct iphdr *iph = ip_hdr(skb);
	const uint8_t *hash_location = tcp_parse_md5sig_option(th);
	const struct tcp_md5sig_key *key =
		tcp_sk(sk)->md5_nkeys ? tcp_md5_do_lookup(sk, iph->saddr) : NULL;
	struct net *net = sock_net(sk);
	uint8_t newhash[16];

	if (!key && !hash_location)
		return false;
	if (!hash_location) {
		__NET_INC_STATS(net, TCPMD5NotFound);
		return true;
	}
	if (!key) {
		__NET_INC_STATS(net, TCPMD5Unexpected);
		return true;
	}
	tcp_v4_md5_hash_skb(newhash, key, iph->saddr, iph->daddr, skb);
	if (memcmp(hash_location, newhash, sizeof(newhash))) {
		__NET_INC_STATS(net, TCPMD5Failure);
		return true;
	}
	return false;
}
