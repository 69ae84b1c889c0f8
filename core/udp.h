/* SPDX-License-Identifier: MIT */
/*
 * UDP and UDP-Lite (udp.c), as net/ipv4/udp.c and udplite.c: the per-stack
 * socket table hashed by local port, port allocation, the datagram socket
 * calls behind udp_prot / udplite_prot, receive demux and ICMP errors.
 */
#ifndef SOCKSHIM_UDP_H
#define SOCKSHIM_UDP_H

#include <netinet/udp.h>
#include <stdint.h>

#include "inet.h"
#include "list.h"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif
#ifndef SOL_UDPLITE
#define SOL_UDPLITE 136
#endif
#ifndef UDPLITE_SEND_CSCOV
#define UDPLITE_SEND_CSCOV 10
#define UDPLITE_RECV_CSCOV 11
#endif

#define UDP_HTABLE_SIZE 256

struct udp_hslot {
	struct hlist_head head;
	int count;
};

/* One per protocol per stack (net->udp_table, net->udplite_table). */
struct udp_table {
	struct udp_hslot hash[UDP_HTABLE_SIZE]; /* keyed on the local port */
	int protocol;				/* IPPROTO_UDP or IPPROTO_UDPLITE */
};

struct udp_cork; /* udp.c */

struct udp_sock {
	struct inet_sock inet; /* must be first */
	int corkflag;	       /* UDP_CORK */
	struct udp_cork *cork; /* the datagram being corked, or NULL */
	uint8_t no_check6_tx;  /* unused in IPv4, kept for getsockopt symmetry */
	uint8_t pcflag;	       /* UDP-Lite: which coverage options were set */
#define UDPLITE_SEND_CC 0x1
#define UDPLITE_RECV_CC 0x2
	uint16_t pcslen;      /* UDP-Lite send coverage */
	uint16_t pcrlen;      /* UDP-Lite minimum receive coverage */
	uint16_t gso_size;    /* UDP_SEGMENT: sends cut into datagrams of this payload */
	uint8_t gro_enabled;  /* UDP_GRO: a GSO frame is received whole, with its size */
	uint8_t no_check6_rx; /* unused in IPv4, kept for getsockopt symmetry */
	int encap_type;	      /* UDP_ENCAP: 0, UDP_ENCAP_ESPINUDP or UDP_ENCAP_L2TPINUDP */
};

static inline struct udp_sock *udp_sk(const struct sock *sk)
{
	return (struct udp_sock *)sk;
}

static inline struct udphdr *udp_hdr(const struct sk_buff *skb)
{
	return (struct udphdr *)skb_transport_header(skb);
}

int udp_rcv(struct net *net, struct sk_buff *skb);
int udplite_rcv(struct net *net, struct sk_buff *skb);
void udp_err(struct net *net, struct sk_buff *skb, uint32_t info);
void udplite_err(struct net *net, struct sk_buff *skb, uint32_t info);
int udp_v4_get_port(struct sock *sk, unsigned short snum);
/* The socket a datagram saddr:sport -> daddr:dport goes to (network order), or NULL. */
struct sock *udp4_lib_lookup(struct net *net, int udplite, uint32_t saddr, uint16_t sport,
			     uint32_t daddr, uint16_t dport);
/* net/ipv4/datagram.c: connect for datagram sockets, AF_UNSPEC disconnects. */
int ip4_datagram_connect(struct sock *sk, const struct sockaddr *uaddr, int addr_len);
/* __udp_disconnect: forgets the peer, the source address unless bound to
 * one, and unhashes unless bound to a port; raw and ping sockets share it
 * as the kernel's do (a raw socket so disconnected receives nothing). */
int udp_disconnect(struct sock *sk, int flags);
/* A datagram of len bytes to daddr fits the MTU its socket must keep to: 0, or -EMSGSIZE. */
int udp_check_mtu(struct sock *sk, uint32_t daddr, size_t len);
/* Whether a datagram is corked (UDP_CORK, MSG_MORE); its size check grown by len (udp.c). */
bool udp_corked(const struct sock *sk);
/*
 * A send of len bytes to daddr as udp_sendmsg checks its size: cut at
 * gso_size (-1: the socket's UDP_SEGMENT) as udp_send_skb does, else
 * against the MTU as udp_check_mtu. 0 or -errno.
 */
int udp_size_check(struct sock *sk, uint32_t daddr, size_t len, int gso_size);
struct ipcm_cookie;
/* udp_cmsg_send: a send's SOL_UDP messages (UDP_SEGMENT) into ipc; -EINVAL for others. */
int udp_cmsg_send(const struct msghdr *msg, struct ipcm_cookie *ipc);
int udp_cork_check(struct sock *sk, size_t len);

#endif
