/* SPDX-License-Identifier: MIT */
/*
 * TCP-MD5 signatures (RFC 2385) as the kernel's CONFIG_TCP_MD5SIG, IPv4:
 * the keys a socket holds (TCP_MD5SIG, TCP_MD5SIG_EXT), the signature of a
 * segment, and the check of a received one.
 */
#ifndef SOCKSHIM_TCP_MD5_H
#define SOCKSHIM_TCP_MD5_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/tcp.h>

struct sock;
struct sk_buff;
struct tcphdr;

#define TCPOLEN_MD5SIG_ALIGNED 20 /* NOP, NOP, kind 19, length 18, 16 bytes of digest */

/* One key (struct tcp_md5sig_key): for peers addr/prefixlen. */
struct tcp_md5sig_key {
	uint32_t addr; /* network order */
	uint8_t prefixlen;
	uint8_t flags; /* TCP_MD5SIG_FLAG_IFINDEX, as given */
	uint8_t keylen;
	int l3index; /* always 0: there are no VRF (L3 master) devices here */
	uint8_t key[TCP_MD5SIG_MAXKEYLEN];
};

/* TCP_MD5SIG and TCP_MD5SIG_EXT (tcp_v4_parse_md5_keys): add, replace or delete a key. */
int tcp_md5_setsockopt(struct sock *sk, int optname, const void *optval, unsigned int optlen);
/* The key for segments to or from peer addr: the longest prefix that holds it, or NULL. */
const struct tcp_md5sig_key *tcp_md5_do_lookup(const struct sock *sk, uint32_t addr);
/* A child takes the listener's key for its peer (tcp_md5_key_copy); false when out of memory. */
bool tcp_md5_key_copy(struct sock *child, const struct sock *parent, uint32_t addr);
void tcp_md5_destroy_sock(struct sock *sk);
/*
 * The signature of the segment whose TCP header is at skb's transport
 * header and which runs to the end of skb, fragments included
 * (tcp_v4_md5_hash_skb): pseudo-header, the fixed header with a zero
 * checksum, the payload, the key.
 */
void tcp_v4_md5_hash_skb(uint8_t out[16], const struct tcp_md5sig_key *key, uint32_t saddr,
			 uint32_t daddr, const struct sk_buff *skb);
/* Where the segment's MD5 option's digest is, or NULL (tcp_parse_md5sig_option). */
const uint8_t *tcp_parse_md5sig_option(const struct tcphdr *th);
/*
 * Whether skb (a received segment, header at skb->data) must be dropped
 * for sk (tcp_inbound_md5_hash): signed where sk holds no key for the
 * sender (TCPMD5Unexpected), unsigned where it does (TCPMD5NotFound), or
 * a signature that does not match (TCPMD5Failure). Counted here.
 */
bool tcp_inbound_md5_hash(const struct sock *sk, const struct sk_buff *skb);

#endif
