/* SPDX-License-Identifier: MIT */
/*
 * The AF_INET family: the protocol switch (inetsw[], struct inet_protosw)
 * and struct inet_sock, as in include/net/protocol.h, include/net/inet_sock.h
 * and net/ipv4/af_inet.c.
 */
#ifndef SOCKSHIM_INET_H
#define SOCKSHIM_INET_H

#include <netinet/in.h>

#include "ip.h"
#include "net.h"

struct ip_mc_socklist;

/* This is used to register socket interfaces for IP protocols. */
struct inet_protosw {
	struct list_head list;

	/* These two fields form the lookup key. */
	unsigned short type;	 /* This is the 2nd argument to socket(2). */
	unsigned short protocol; /* This is the L4 protocol number. */

	struct proto *prot;
	const struct proto_ops *ops;

	unsigned char flags; /* See INET_PROTOSW_* below. */
};
#define INET_PROTOSW_REUSE     0x01 /* Are ports automatically reusable? */
#define INET_PROTOSW_PERMANENT 0x02 /* Permanent protocols are unremovable. */
#define INET_PROTOSW_ICSK      0x04 /* Is this an inet_connection_sock? */

/* Returns 0, or -EPERM when a permanent entry already holds (type, protocol). */
int inet_register_protosw(struct inet_protosw *p);
void inet_unregister_protosw(struct inet_protosw *p);

extern const struct net_proto_family inet_family_ops;

/*
 * Registers AF_INET and the built-in switch entries (TCP, MPTCP's fall-back
 * to TCP, UDP, UDP-Lite, ping, raw). Idempotent.
 */
void inet_init(void);

/*
 * The request_module() analog: tries to dlopen "<dir>/<name>.so" from the
 * plugin directory (SOCKSHIM_PLUGIN_DIR, else the one beside the library).
 * A plugin registers what it provides from a constructor.
 */
void request_module(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* NULL: back to SOCKSHIM_PLUGIN_DIR from the environment (none: nothing is loaded). */
void request_module_set_dir(const char *dir);

/*
 * What a plugin gets from the stack that loads it. A plugin cannot reach the
 * loader's registry through symbols: the core is a static library built with
 * hidden visibility, so a plugin linked with it would register into its own
 * private copy. Instead the plugin exports sockshim_module_init (the
 * module_init() of this world), which request_module() calls once, right after
 * dlopen(), with the loader's tables. It returns 0 or -errno.
 */
struct sockshim_module_api {
	int (*inet_register_protosw)(struct inet_protosw *p);
	void (*inet_unregister_protosw)(struct inet_protosw *p);
	int (*sock_register)(const struct net_proto_family *ops);
	struct proto *tcp_prot, *udp_prot, *udplite_prot, *ping_prot, *raw_prot;
	const struct proto_ops *inet_stream_ops, *inet_dgram_ops, *inet_sockraw_ops;
};
#define SOCKSHIM_MODULE_INIT "sockshim_module_init"
typedef int (*sockshim_module_init_t)(const struct sockshim_module_api *api);

struct inet_sock {
	struct sock sk;	     /* must be first: inet_sk() is a cast */
	uint32_t inet_saddr; /* source address used for sending, network order */
	int16_t uc_ttl;	     /* unicast TTL, -1 = sysctl default */
	uint16_t inet_sport; /* network order */
	uint16_t inet_id;
	uint8_t tos;
	uint8_t min_ttl;
	uint8_t mc_ttl;
	uint8_t pmtudisc;
	uint8_t rcv_tos;
	uint8_t is_icsk : 1, hdrincl : 1, nodefrag : 1, mc_loop : 1, mc_all : 1, recverr : 1,
		freebind : 1, transparent : 1;
	uint8_t bind_address_no_port : 1, recverr_rfc4884 : 1, defer_connect : 1,
		connect_port : 1, /* the local port is inet_hash_connect's: shareable */
		rtalert : 1, passsec : 1, checksum : 1, recvfragsize : 1; /* kept, see ipv4.c */
	uint8_t port_owner : 1; /* counted in inet_hashinfo.port_owners */
	/*
	 * The kernel this runs on (6.18) keeps a TCP socket to the role it took
	 * first, even after a disconnect: one that listened refuses connect()
	 * and one that connected (tcp_v4_connect succeeded, or accepted) refuses
	 * listen(), both with EINVAL (test_sock_semantics.sh, tcp_role).
	 */
	uint8_t was_listener : 1, was_connector : 1;
	int uc_index; /* IP_UNICAST_IF */
	int mc_index;
	uint32_t mc_addr;		/* IP_MULTICAST_IF source, network order */
	struct ip_mc_socklist *mc_list; /* joined groups (igmp.c) */
	uint32_t cmsg_flags;		/* IP_PKTINFO, IP_RECVTTL, IP_RECVTOS ... */
	/* IP_LOCAL_PORT_RANGE: low | high << 16, either 0 = the namespace's bound. */
	uint32_t local_port_range;
	/* IP_OPTIONS (optlen 0: none), or an accepted socket's echo of its SYN's. */
	struct ip_options_data inet_opt;
};

#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51 /* linux/in.h, kernel 6.3 */
#endif

static inline struct inet_sock *inet_sk(const struct sock *sk)
{
	return (struct inet_sock *)sk;
}

/* net/ipv4/af_inet.c: the generic inet socket operations */
int inet_release(struct socket *sock);
int inet_bind(struct socket *sock, const struct sockaddr *uaddr, int addr_len);
int inet_stream_connect(struct socket *sock, const struct sockaddr *uaddr, int addr_len, int flags);
int inet_dgram_connect(struct socket *sock, const struct sockaddr *uaddr, int addr_len, int flags);
int inet_accept(struct socket *sock, struct socket *newsock, int flags, bool kern);
int inet_getname(struct socket *sock, struct sockaddr *uaddr, int peer);
int inet_listen(struct socket *sock, int backlog);
int inet_shutdown(struct socket *sock, int how);
int inet_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg);
int inet_sendmsg(struct socket *sock, struct msghdr *msg, size_t size);
int inet_recvmsg(struct socket *sock, struct msghdr *msg, size_t size, int flags);
int sock_common_setsockopt(struct socket *sock, int level, int optname, const void *optval,
			   unsigned int optlen);
int sock_common_getsockopt(struct socket *sock, int level, int optname, void *optval, int *optlen);

/* SO_RCVLOWAT of stream sockets: tcp_set_rcvlowat's cap at half the buffer. */
int inet_stream_set_rcvlowat(struct sock *sk, int val);
/* The kernel's inet_addr_type() for this stack: RTN_LOCAL, RTN_BROADCAST ... */
int inet_addr_type(const struct net *net, uint32_t addr);
enum { RTN_UNSPEC, RTN_UNICAST, RTN_LOCAL, RTN_BROADCAST, RTN_ANYCAST, RTN_MULTICAST };
/* May sk bind to addr (of type addr_type)? Local, any, multicast, broadcast, or non-local allowed.
 */
bool inet_addr_valid_or_nonlocal(const struct net *net, const struct inet_sock *inet, uint32_t addr,
				 int addr_type);

/* Datagram receive helpers shared by raw and ping sockets (raw.c). */
/* Queues skb unless the receive buffer is full; consumes skb; 0 or -ENOMEM. */
int inet_sock_queue_rcv_skb(struct sock *sk, struct sk_buff *skb);
/* recvmsg of the queued skb (data as queued, name from its IP header); -EAGAIN if none. */
int inet_recv_queued(struct sock *sk, struct msghdr *msg, size_t len, int flags, int *addr_len);
/* Copies len bytes of msg's iovec to to; -EFAULT if a buffer is missing or short. */
int inet_copy_from_msg(void *to, const struct msghdr *msg, size_t len);
/*
 * Routes a raw or ping send from sk (ipc: the send's control messages):
 * *daddr 0 becomes this host, *saddr is the source to use. -ENETUNREACH,
 * or -EACCES for a broadcast without SO_BROADCAST.
 */
int inet_dgram_route(struct sock *sk, const struct ipcm_cookie *ipc, uint32_t *daddr,
		     uint32_t *saddr);
/*
 * The same with the send's IP options (ipc_options; raw_sendmsg,
 * ping_v4_sendmsg): a source route needs a destination, its last hop, which
 * *daddr stays, and is routed to its first (-EINVAL without one).
 */
int inet_dgram_route_opt(struct sock *sk, const struct ipcm_cookie *ipc,
			 const struct ip_options_data *opt, uint32_t *daddr, uint32_t *saddr);
/* The ping sockets' per-stack table (ping.c), set up by raw_net_init. */
int ping_net_init(struct net *net);
void ping_net_exit(struct net *net);

/* Provided by TCP (tcp.h, part C), used by inet_stream_ops. */
int inet_csk_listen_start(struct sock *sk);
int tcp_peek_iov(struct sock *sk, struct iovec *iov, int max_iov, size_t max_len);
void tcp_consume(struct sock *sk, size_t len);
int tcp_send_iov(struct sock *sk, struct iovec *iov, struct sk_buff **segs, int max_iov,
		 size_t max_len);
void tcp_send_commit(struct sock *sk, const struct iovec *iov, struct sk_buff **segs, int n,
		     size_t len);

extern const struct proto_ops inet_stream_ops;
extern const struct proto_ops inet_dgram_ops;
extern const struct proto_ops inet_sockraw_ops;

extern struct proto tcp_prot;
extern struct proto udp_prot;
extern struct proto udplite_prot;
extern struct proto ping_prot;
extern struct proto raw_prot;

/* IP_PMTUDISC_* defaults live in <netinet/in.h>. */

#endif
