/* SPDX-License-Identifier: MIT */
/*
 * IPv4 (ipv4.c): receive with header checks and demux to the transports,
 * output with routing (the stack's subnet or its one gateway), ARP
 * resolution and Ethernet framing, and the SOL_IP socket options shared by
 * UDP, TCP, raw and ping sockets. Names follow net/ipv4/ip_input.c,
 * ip_output.c and ip_sockglue.c. Received IP options: ip_options.c.
 *
 * Multicast: groups route to the device, a joined group's packets are
 * delivered (igmp.c keeps the groups), and a socket's multicast and
 * broadcast loop back to local members.
 *
 * IP options (ip_options.c): checked on receive, set by a socket
 * (IP_OPTIONS, IP_RETOPTS) and echoed in answers (ICMP, TCP).
 *
 * Not here: multicast routing, more than one route.
 */
#ifndef SOCKSHIM_IP_H
#define SOCKSHIM_IP_H

#include <netinet/ip.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "skbuff.h"

struct net;
struct sock;
struct msghdr;
struct ip_options_data;

#define IPV4_HLEN 20
/* Largest UDP payload in one IPv4 datagram: 65535 - 20 - 8. */
#define IP_MAX_UDP_PAYLOAD 65507

static inline struct iphdr *ip_hdr(const struct sk_buff *skb)
{
	return (struct iphdr *)skb_network_header(skb);
}

/*
 * Sends one transport packet. skb->data is at the transport header, already
 * checksummed by the transport; this pushes the IP header (id, TTL, DF as
 * given), routes, resolves the next hop with ARP (queueing while resolving)
 * and hands the frame to the device. Consumes skb in every case. Returns 0,
 * -ENETUNREACH (no route), -EMSGSIZE or -ENOBUFS. ttl 0 means the sysctl
 * default (ip_default_ttl).
 *
 * df is what ip_dont_fragment() returns: IP_DF_NONE, IP_DF_WANT (set DF,
 * but a packet above the MTU is fragmented without DF, as the kernel's
 * ignore_df for IP_PMTUDISC_WANT) or IP_DF_STRICT (above the MTU:
 * -EMSGSIZE, IP_PMTUDISC_DO/PROBE). A packet with skb->gso_size set is
 * never fragmented: the link segments it.
 */
int ip_build_and_send_pkt(struct net *net, struct sk_buff *skb, uint32_t saddr, uint32_t daddr,
			  uint8_t protocol, uint8_t tos, uint8_t ttl, int df);
/*
 * The same with IP options (NULL or optlen 0 for none): a source route
 * sends to its first hop (opt->opt.faddr), daddr then being its last
 * (ip_options_build).
 */
int ip_build_and_send_pkt_opt(struct net *net, struct sk_buff *skb, uint32_t saddr, uint32_t daddr,
			      uint8_t protocol, uint8_t tos, uint8_t ttl, int df,
			      const struct ip_options_data *opt);

/*
 * Routing: the subnet is on-link, everything else goes to net->gateway.
 * Fills *saddr (the stack's address, if *saddr was 0) and *nexthop; returns
 * 0 or -ENETUNREACH. Limited broadcast and the subnet broadcast are on-link.
 */
int ip_route_output(struct net *net, uint32_t daddr, uint32_t *saddr, uint32_t *nexthop);
struct ipcm_cookie;
/*
 * ip_route_output for a datagram socket's send or connect (ipc: the send's
 * control messages, or NULL), with the flow udp_sendmsg, raw_sendmsg,
 * ping_v4_sendmsg and ip4_datagram_connect give __ip_route_output_key:
 * without a gateway the limited broadcast and multicast are routed only
 * out a device or from a source address that the socket or the send names.
 */
int ip_route_output_sk(const struct sock *sk, const struct ipcm_cookie *ipc, uint32_t daddr,
		       uint32_t *saddr, uint32_t *nexthop);

/* The device MTU (the stack has one device). */
unsigned int ip_dst_mtu(const struct net *net);
/* route.c: the path MTU towards daddr (its device's: lo's for a local one; lower as ICMP said). */
unsigned int ip_dst_mtu_to(const struct net *net, uint32_t daddr);
/* Whether that MTU is locked (it was below min_pmtu): no DF for IP_PMTUDISC_WANT. */
bool ip_dst_mtu_locked(const struct net *net, uint32_t daddr);
/* The lowest MTU any path can have now: no path MTU goes below it. */
unsigned int ip_mtu_floor(const struct net *net);
/* The MTU sk sends to daddr with: the path's, or the device's (ip_sk_use_pmtu). */
unsigned int ip_sk_mtu(const struct sock *sk, uint32_t daddr);
/* An ICMP fragmentation-needed said mtu for daddr (__ip_rt_update_pmtu). */
void ip_rt_update_pmtu(struct net *net, uint32_t daddr, unsigned int mtu);
/*
 * The MTU an ICMP fragmentation-needed in skb (transport header at the ICMP
 * header) gives to the error handlers, as icmp_unreach reads it per
 * ip_no_pmtu_disc: the message's (0), none (2: -1, ignore it), else 0.
 */
int icmp_frag_mtu(const struct net *net, const struct sk_buff *skb);

/* Whether daddr is the stack's own address, a broadcast, or 0.0.0.0. */
int ip_addr_is_local(const struct net *net, uint32_t addr);
int ip_addr_is_broadcast(const struct net *net, uint32_t addr);

enum { IP_DF_NONE, IP_DF_WANT, IP_DF_STRICT };

/* TTL and DF a socket sends with (IP_TTL / IP_MTU_DISCOVER and sysctls). */
uint8_t ip_select_ttl(const struct sock *sk);
int ip_dont_fragment(const struct sock *sk);

/*
 * Reassembly (ip_fragment.c): takes a fragment (skb->data at its IP header,
 * trimmed to tot_len) and returns the whole datagram once complete, else
 * NULL; consumes the fragment either way.
 */
struct sk_buff *ip_defrag(struct net *net, struct sk_buff *skb);
void ip_defrag_exit(struct net *net);

/* Called by the Ethernet layer for ETH_P_IP; consumes skb (data at the IP header). */
int ip_rcv(struct net *net, struct sk_buff *skb);

/*
 * IPv4 options (the kernel's struct ip_options): what ip_rcv_options found
 * in a received packet, or what a socket set (IP_OPTIONS, IP_RETOPTS).
 * Offsets are from the IP header, 0 for none; the *_need* bits say which
 * options have a slot this host fills when it sends them (ip_options_build).
 * Kept in skb->cb (IPCB) from ip_rcv until the transport takes the control
 * block over (TCP keeps a copy in its own, as the kernel's header.h4).
 */
struct ip_options {
	uint32_t faddr; /* a socket's source route: its first hop, taken out of the list */
	uint8_t optlen; /* bytes of options, padded to a multiple of 4 for a socket */
	uint8_t srr, rr, ts, router_alert;
	uint8_t is_strictroute : 1, rr_needaddr : 1, ts_needaddr : 1, ts_needtime : 1;
};
/* A socket's options with their bytes (the kernel's ip_options_rcu/ip_options_data). */
struct ip_options_data {
	struct ip_options opt;
	uint8_t data[MAX_IPOPTLEN];
};
struct inet_skb_parm {
	struct ip_options opt;
	/* Reassembled: its largest fragment's length, header included (else 0). */
	uint16_t frag_max_size;
};
#define IPCB(skb) ((struct inet_skb_parm *)((skb)->cb))

/*
 * The options of a received packet (ip_options.c; skb->data at its IP
 * header, ihl > 5): checked, record route and timestamp filled in place,
 * IPCB(skb)->opt filled. Returns 0 to go on, or -1 to drop: malformed
 * (InHdrErrors, after an ICMP parameter problem) or source-routed
 * (InDiscards; accept_source_route is 0).
 */
int ip_rcv_options(struct net *net, struct sk_buff *skb);

/*
 * The options of an answer to skb (network header set, sopt what
 * ip_rcv_options found), as __ip_options_echo() makes them: record route
 * and timestamp with a slot kept for this host, padded to a multiple of 4;
 * ip_options_build fills the slots when the answer is sent. Returns 0, or
 * -1 when they cannot be echoed: the kernel then sends no answer.
 */
int ip_options_echo(const struct net *net, const struct sk_buff *skb, const struct ip_options *sopt,
		    struct ip_options_data *dopt);

/* Where a packet with these options goes first: a source route's first hop, else daddr. */
static inline uint32_t ip_options_first_hop(const struct ip_options_data *opt, uint32_t daddr)
{
	return opt->opt.srr ? opt->opt.faddr : daddr;
}

/*
 * ip_options_get: a socket's options from the caller's optlen bytes
 * (setsockopt(IP_OPTIONS), at most 40, or an IP_RETOPTS message), padded
 * with END and checked as ip_options_compile checks a socket's: a source
 * route's first hop moves to faddr, record route and timestamp slots are
 * kept for this host. 0, -EINVAL, or -EPERM for a source route without
 * CAP_NET_RAW.
 */
int ip_options_get(const struct net *net, struct ip_options_data *opt, const void *data,
		   unsigned int optlen);
/* What getsockopt(IP_OPTIONS) returns: the options as they were set (ip_options_undo). */
void ip_options_undo(const struct ip_options_data *opt, uint8_t *out);
/*
 * ip_options_build: writes opt into the header at iph (room for them after
 * its 20 bytes) and fills this host's slots: a source route's last hop is
 * daddr, record route and timestamp get saddr and the time.
 */
void ip_options_build(const struct net *net, uint8_t *iph, const struct ip_options_data *opt,
		      uint32_t daddr, uint32_t saddr);

/* Fragments after the first keep only the options flagged as copied (ip_options_fragment). */
void ip_options_fragment(uint8_t *iph);

/* SOL_IP options (ip_sockglue.c): IP_TTL, IP_TOS, IP_RECVERR, IP_PKTINFO, ... */
int ip_setsockopt(struct sock *sk, int level, int optname, const void *optval, unsigned int optlen);
int ip_getsockopt(struct sock *sk, int level, int optname, void *optval, int *optlen);

/*
 * What the control messages of one send ask for (struct ipcm_cookie):
 * ttl and tos -1, addr 0 and oif 0 mean the socket's own.
 */
struct ipcm_cookie {
	uint32_t addr; /* IP_PKTINFO ipi_spec_dst: the source address, network order */
	int oif;       /* IP_PKTINFO ipi_ifindex */
	int ttl, tos;  /* IP_TTL, IP_TOS */
	/* SO_TIMESTAMPING: this send's SOF_TIMESTAMPING_TX_* bits (sockcm_cookie.tsflags) */
	bool ts_set;
	uint32_t tsflags;
	int gso_size; /* UDP_SEGMENT (udp_cmsg_send), -1: the socket's */
	/* IP_RETOPTS: this send's IP options as given (at most 40 bytes), -1: the socket's */
	int retopts_len;
	uint8_t retopts[MAX_IPOPTLEN];
};

/* SOF_TIMESTAMPING_TX_RECORD_MASK of this kernel (TX_HARDWARE, _SOFTWARE, _SCHED, _ACK,
 * _COMPLETION). */
#define SOF_TX_RECORD_MASK 0x40303u

static inline void ipcm_init(struct ipcm_cookie *ipc)
{
	*ipc = (struct ipcm_cookie){.ttl = -1, .tos = -1, .gso_size = -1, .retopts_len = -1};
}

/*
 * ip_cmsg_send with __sock_cmsg_send: reads a send's control messages
 * (msg_control in this address space) into ipc. -EINVAL for a header that
 * does not fit (!CMSG_OK), a SOL_IP or SOL_SOCKET message the kernel does
 * not take, or a value out of range; other levels are skipped. Each
 * IP_RETOPTS is checked where it stands, as ip_options_get checks it for
 * net's caller (-EINVAL, -EPERM), and the last one is kept as given (its
 * first 40 bytes, as the kernel takes).
 */
int ip_cmsg_send(const struct net *net, const struct msghdr *msg, struct ipcm_cookie *ipc);
/*
 * The source address a send uses: IP_PKTINFO's, which must be one of ours
 * (else -ENETUNREACH, as the kernel's route lookup says), else *saddr as routed.
 */
int ipc_saddr(const struct net *net, const struct ipcm_cookie *ipc, uint32_t *saddr);
/*
 * The IP options a datagram send uses (udp, raw and ping_sendmsg): the
 * message's IP_RETOPTS, checked as ip_options_get checks them (-EINVAL,
 * -EPERM), else the socket's.
 */
int ipc_options(const struct sock *sk, const struct ipcm_cookie *ipc, struct ip_options_data *opt);
/* The stamping a send asks for: the socket's, its TX_* bits replaced by the message's. */
uint32_t ipc_tsflags(const struct ipcm_cookie *ipc, const struct sock *sk);
/* The TOS and TTL a send uses: the message's, else the socket's. */
uint8_t ipc_tos(const struct ipcm_cookie *ipc, const struct sock *sk);
int ipc_ttl(const struct ipcm_cookie *ipc, const struct sock *sk);

/*
 * Fills the control messages the socket asked for from the received packet
 * (network header set): the time stamps and, with SO_RXQ_OVFL, a non-zero
 * dropcount (sk_drops when skb was queued) as sock_recv_cmsgs(), UDP_GRO
 * with udp_gro's segment size when it is not 0, then IP_PKTINFO, IP_TTL, IP_TOS, ... as
 * ip_cmsg_recv(). msg_controllen is the room on entry and the bytes used on return (what recvmsg(2)
 * reports); MSG_CTRUNC is set when the room is too small.
 */
/*
 * sock_recv_cmsgs' part for SIOCGSTAMP: what reading skb leaves in
 * sk->sk_stamp (its arrival time while stamping is on, else 0 the first
 * time). sock_stamp_kept: a read leaves it alone, its stamp going out as a
 * control message (SO_TIMESTAMP, SO_TIMESTAMPING's software stamps).
 */
void sock_recv_stamp(struct sock *sk, const struct sk_buff *skb);
bool sock_stamp_kept(const struct sock *sk);
void ip_cmsg_recv(struct msghdr *msg, const struct sock *sk, const struct sk_buff *skb,
		  uint32_t dropcount, int udp_gro);

/*
 * IP_RECVERR (ip_icmp_error): queues a copy of an ICMP error on the
 * socket's error queue, for recvmsg(MSG_ERRQUEUE). skb->data is at the
 * quoted IP header, the network header is the IP header of the error's
 * sender (the offender); payload points into skb after the quoted transport
 * header. Does nothing unless the socket set IP_RECVERR; consumes nothing.
 */
void ip_icmp_error(struct sock *sk, const struct sk_buff *skb, int err, uint8_t type, uint8_t code,
		   uint32_t info, uint16_t port, const uint8_t *payload);
/*
 * An error of our own making (ip_local_error), e.g. EMSGSIZE with the path
 * MTU in info, queued for IP_RECVERR with SO_EE_ORIGIN_LOCAL.
 */
void ip_local_error(struct sock *sk, int err, uint32_t daddr, uint16_t port, uint32_t info);
/*
 * recvmsg(MSG_ERRQUEUE): the oldest queued error, its quoted payload as
 * data, the quoted destination as msg_name, and an IP_RECVERR control
 * message (struct sock_extended_err + offender). -EAGAIN when empty.
 */
int ip_recv_error(struct sock *sk, struct msghdr *msg, size_t len, int *addr_len);
/*
 * A MSG_ZEROCOPY send on a socket with SO_ZEROCOPY, done: its completion
 * (SO_EE_ORIGIN_ZEROCOPY, the send's id in ee_info..ee_data) goes on the
 * error queue, merged into the last one if that ends just before. The
 * stack always copies, so the code is SO_EE_CODE_ZEROCOPY_COPIED, as the
 * kernel reports a send whose pages it had to copy.
 */
void msg_zerocopy_copied(struct sock *sk);
/* ... the completion of ids lo..hi, done now (a TCP send's, when its data is acknowledged). */
void msg_zerocopy_complete(struct sock *sk, uint32_t lo, uint32_t hi);
/*
 * sock_tx_timestamp for a datagram about to be sent with the stamping
 * tsflags (ipc_tsflags): TX_SOFTWARE and TX_SCHED mark skb
 * (SKBTX_SW_TSTAMP, SKBTX_SCHED_TSTAMP) so that the link stamps it when it
 * is handed the frame; any stamp asked for (TX_HARDWARE too, which no
 * device here gives) takes the next OPT_ID key.
 */
void sock_tx_timestamp(struct sock *sk, struct sk_buff *skb, uint32_t tsflags);
/*
 * skb_tstamp_tx: the link took orig (skb->sk set, orig->tstamp the time):
 * queues a software transmit stamp of type tstype (SCM_TSTAMP_SCHED, then
 * SCM_TSTAMP_SND) on the socket's error queue (SO_EE_ORIGIN_TIMESTAMPING),
 * with a copy of the whole frame from its link header unless
 * SOF_TIMESTAMPING_OPT_TSONLY.
 */
void skb_tstamp_tx(const struct sk_buff *orig, uint32_t tstype);
/* ... for sk, of orig as it is (TCP's SCM_TSTAMP_ACK: the segment's payload), at tstamp. */
void __skb_tstamp_tx(struct sock *sk, const struct sk_buff *orig, uint64_t tstamp, uint32_t tstype);

#endif
