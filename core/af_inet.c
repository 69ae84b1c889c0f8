// SPDX-License-Identifier: MIT
/*
 * The AF_INET family, as in net/ipv4/af_inet.c: the protocol switch
 * (inetsw[], one list per socket type, searched by inet_create with the
 * kernel's exact and wildcard rules), the request_module() analog that loads
 * plugins, inet_protos[] (the receive demux table), and the generic inet
 * socket operations (bind, connect, listen, accept, getname, shutdown,
 * ioctl, send and receive) shared by TCP, UDP, ping and raw sockets.
 *
 * What this is not: the core never sleeps. A blocking connect() is the
 * owner's job (it waits for the state change and asks again); accept()
 * returns -EAGAIN rather than waiting. No RCU or locks: one stack is driven
 * by one thread.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>

#include "igmp.h"
#include "inet.h"
#include "net_namespace.h"
#include "protocol.h"

/* The inetsw table contains everything that inet_create needs to build a new socket. */
static struct list_head inetsw[SOCK_MAX];

static void inetsw_init_once(void)
{
	static bool done;

	if (done)
		return;
	for (int i = 0; i < SOCK_MAX; i++)
		INIT_LIST_HEAD(&inetsw[i]);
	done = true;
}

static const char *sock_type_name(int type)
{
	static const char *const names[SOCK_MAX] = {
		[SOCK_STREAM] = "SOCK_STREAM",
		[SOCK_DGRAM] = "SOCK_DGRAM",
		[SOCK_RAW] = "SOCK_RAW",
		[SOCK_RDM] = "SOCK_RDM",
		[SOCK_SEQPACKET] = "SOCK_SEQPACKET",
		[SOCK_DCCP] = "SOCK_DCCP",
		[SOCK_PACKET] = "SOCK_PACKET",
	};

	return type >= 0 && type < SOCK_MAX && names[type] ? names[type] : "SOCK_?";
}

int inet_register_protosw(struct inet_protosw *p)
{
	struct list_head *lh, *last_perm;
	int protocol = p->protocol;

	inetsw_init_once();
	if (p->type >= SOCK_MAX) {
		fprintf(stderr, "sockshim: Ignoring attempt to register invalid socket type %d\n",
			p->type);
		return -EINVAL;
	}

	/* If we are trying to override a permanent protocol, bail. */
	last_perm = &inetsw[p->type];
	for (lh = inetsw[p->type].next; lh != &inetsw[p->type]; lh = lh->next) {
		struct inet_protosw *answer = list_entry(lh, struct inet_protosw, list);

		/* Permanent entries sit at the front; check only the non-wild match. */
		if (!(answer->flags & INET_PROTOSW_PERMANENT))
			break;
		if (protocol == answer->protocol) {
			fprintf(stderr, "sockshim: Attempt to override permanent protocol %d\n",
				protocol);
			return -EPERM;
		}
		last_perm = lh;
	}

	/*
	 * Add the new entry after the last permanent entry, so that it does
	 * not override a permanent entry when matched with a wild-card
	 * protocol, but does override any older non-permanent one; removing
	 * it restores the old behaviour.
	 */
	list_add(&p->list, last_perm);
	return 0;
}

void inet_unregister_protosw(struct inet_protosw *p)
{
	if (p->flags & INET_PROTOSW_PERMANENT) {
		fprintf(stderr, "sockshim: Attempt to unregister permanent protocol %d\n",
			p->protocol);
		return;
	}
	list_del_init(&p->list);
}

/* The request_module() analog */

static const char *module_dir;

void request_module_set_dir(const char *dir)
{
	module_dir = dir;
}

static const struct sockshim_module_api module_api = {
	.inet_register_protosw = inet_register_protosw,
	.inet_unregister_protosw = inet_unregister_protosw,
	.sock_register = sock_register,
	.tcp_prot = &tcp_prot,
	.udp_prot = &udp_prot,
	.udplite_prot = &udplite_prot,
	.ping_prot = &ping_prot,
	.raw_prot = &raw_prot,
	.inet_stream_ops = &inet_stream_ops,
	.inet_dgram_ops = &inet_dgram_ops,
	.inet_sockraw_ops = &inet_sockraw_ops,
};

/*
 * dlopen() hands back the same handle for the same file under another name
 * (a symlink); a module's init must run once, as module_init() does.
 */
static void *modules_loaded[64];
static int nr_modules_loaded;

void request_module(const char *fmt, ...)
{
	const char *dir = module_dir ? module_dir : getenv("SOCKSHIM_PLUGIN_DIR");
	char name[128], path[4096];
	sockshim_module_init_t init;
	void *handle;
	va_list ap;
	int err, i;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);

	if (!dir || !*dir) {
		sock_trace_step("request_module %s: no plugin directory", name);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s.so", dir, name);
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		sock_trace_step("request_module %s: not found", name);
		return;
	}
	for (i = 0; i < nr_modules_loaded; i++)
		if (modules_loaded[i] == handle) {
			sock_trace_step("request_module %s: already loaded", name);
			return;
		}
	init = (sockshim_module_init_t)dlsym(handle, SOCKSHIM_MODULE_INIT);
	if (!init || nr_modules_loaded == (int)(sizeof(modules_loaded) / sizeof(*modules_loaded))) {
		sock_trace_step("request_module %s: %s", name,
				init ? "too many plugins" : "no " SOCKSHIM_MODULE_INIT);
		dlclose(handle);
		return;
	}
	modules_loaded[nr_modules_loaded++] = handle;
	err = init(&module_api);
	sock_trace_step("request_module %s: loaded %s, init %s", name, path,
			err ? strerror(-err) : "ok");
}

/* Create an inet socket. */

static void inet_sock_destruct(struct sock *sk)
{
	__skb_queue_purge(&sk->sk_receive_queue);
	__skb_queue_purge(&sk->sk_error_queue);
	__skb_queue_purge(&sk->sk_write_queue);
}

static int inet_create(struct net *net, struct socket *sock, int protocol, int kern)
{
	int try_loading_module = 0, requested = protocol;
	struct inet_protosw *answer = NULL;
	unsigned char answer_flags;
	struct proto *answer_prot;
	struct inet_sock *inet;
	struct sock *sk;
	int err;

	if (protocol < 0 || protocol >= IPPROTO_MAX) {
		sock_trace_step("protocol %d out of range [0, %d) -> EINVAL", protocol,
				IPPROTO_MAX);
		return -EINVAL;
	}

	sock->state = SS_UNCONNECTED;

	/* Look for the requested type/protocol pair. */
lookup_protocol:
	err = -ESOCKTNOSUPPORT;
	list_for_each_entry (answer, &inetsw[sock->type], list) {
		err = 0;
		/* Check the non-wild match. */
		if (protocol == answer->protocol) {
			if (protocol != IPPROTO_IP) {
				sock_trace_step("inetsw[%s] exact protocol %d (%s)",
						sock_type_name(sock->type), protocol,
						answer->prot->name);
				break;
			}
		} else {
			/* Check for the two wild cases. */
			if (IPPROTO_IP == protocol) {
				protocol = answer->protocol;
				sock_trace_step("inetsw[%s] wildcard -> protocol %d (%s)",
						sock_type_name(sock->type), protocol,
						answer->prot->name);
				break;
			}
			if (IPPROTO_IP == answer->protocol) {
				sock_trace_step("inetsw[%s] wildcard entry (%s) takes protocol %d",
						sock_type_name(sock->type), answer->prot->name,
						protocol);
				break;
			}
		}
		err = -EPROTONOSUPPORT;
	}

	if (err) {
		sock_trace_step("inetsw[%s] %s protocol %d -> %s", sock_type_name(sock->type),
				err == -ESOCKTNOSUPPORT ? "is empty for" : "has no entry for",
				requested,
				err == -ESOCKTNOSUPPORT ? "ESOCKTNOSUPPORT" : "EPROTONOSUPPORT");
		if (try_loading_module < 2) {
			/*
			 * Be more specific, e.g. net-pf-2-proto-132-type-1
			 * (net-pf-PF_INET-proto-IPPROTO_SCTP-type-SOCK_STREAM)
			 */
			if (++try_loading_module == 1)
				request_module("net-pf-%d-proto-%d-type-%d", PF_INET, protocol,
					       sock->type);
			/*
			 * Fall back to generic, e.g. net-pf-2-proto-132
			 * (net-pf-PF_INET-proto-IPPROTO_SCTP)
			 */
			else
				request_module("net-pf-%d-proto-%d", PF_INET, protocol);
			goto lookup_protocol;
		}
		return err;
	}

	err = -EPERM;
	if (sock->type == SOCK_RAW && !kern && !ns_capable(net, CAP_NET_RAW)) {
		sock_trace_step("SOCK_RAW without CAP_NET_RAW -> EPERM");
		return err;
	}

	sock->ops = answer->ops;
	answer_prot = answer->prot;
	answer_flags = answer->flags;

	err = -ENOMEM;
	sk = sk_alloc(net, PF_INET, answer_prot);
	if (!sk)
		return err;

	err = 0;
	if (INET_PROTOSW_REUSE & answer_flags)
		sk->sk_reuse = SK_CAN_REUSE;

	inet = inet_sk(sk);
	inet->is_icsk = (INET_PROTOSW_ICSK & answer_flags) != 0;
	inet->nodefrag = 0;

	if (SOCK_RAW == sock->type) {
		/* A raw socket is "bound" to its protocol from birth. */
		sk->sk_num = (uint16_t)protocol;
		if (IPPROTO_RAW == protocol)
			inet->hdrincl = 1;
	}

	if (net->sysctl.ip_no_pmtu_disc)
		inet->pmtudisc = IP_PMTUDISC_DONT;
	else
		inet->pmtudisc = IP_PMTUDISC_WANT;

	inet->inet_id = 0;

	sock_init_data(sock, sk);

	sk->sk_destruct = inet_sock_destruct;
	sk->sk_protocol = (unsigned short)protocol;

	inet->uc_ttl = -1;
	inet->mc_loop = 1;
	inet->mc_ttl = 1;
	inet->mc_all = 1;
	inet->mc_index = 0;
	inet->rcv_tos = 0;

	if (sk->sk_num) {
		/*
		 * It assumes that any protocol which allows the user to assign
		 * a number at socket creation time automatically shares.
		 */
		inet->inet_sport = htons(sk->sk_num);
		/* Add to protocol hash chains. */
		err = sk->sk_prot->hash(sk);
		if (err)
			goto out_sk_release;
	}

	if (sk->sk_prot->init) {
		err = sk->sk_prot->init(sk);
		if (err) {
			sock_trace_step("%s init -> %s", sk->sk_prot->name, strerror(-err));
			goto out_sk_release;
		}
	}
	sock_trace_step("created %s socket, protocol %d", sk->sk_prot->name, protocol);
	return 0;

out_sk_release:
	sk_common_release(sk);
	sock->sk = NULL;
	return err;
}

const struct net_proto_family inet_family_ops = {
	.family = PF_INET,
	.create = inet_create,
};

/* inet_protos[]: the receive demux, indexed by the IP protocol number. */

const struct net_protocol *inet_protos[256];

int inet_add_protocol(const struct net_protocol *prot, unsigned char num)
{
	if (inet_protos[num])
		return -EEXIST;
	inet_protos[num] = prot;
	return 0;
}

/* Returns 0, or -ENOENT if prot does not hold the slot. */
int inet_del_protocol(const struct net_protocol *prot, unsigned char num)
{
	if (inet_protos[num] != prot)
		return -ENOENT;
	inet_protos[num] = NULL;
	return 0;
}

/* The generic socket operations */

int inet_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (sk) {
		long timeout = 0;

		/*
		 * If linger is set, the close lingers; the owner is the one
		 * who waits (the core never does), the protocol only needs
		 * to know how long.
		 */
		if (sock_flag(sk, SOCK_LINGER))
			timeout = sk->sk_lingertime < 0 ? LONG_MAX : sk->sk_lingertime;
		/* Applications forget to leave groups before exiting. */
		ip_mc_drop_socket(sk);
		/* A protocol without close (e.g. a plugin's) has nothing to wind down. */
		if (sk->sk_prot->close)
			sk->sk_prot->close(sk, timeout);
		else
			sk_common_release(sk);
		sock->sk = NULL;
	}
	return 0;
}

int inet_addr_type(const struct net *net, uint32_t addr)
{
	uint32_t h = ntohl(addr);

	if ((h >> 24) == 0 || h == INADDR_BROADCAST)
		return RTN_BROADCAST;
	if ((h >> 28) == 0xe)
		return RTN_MULTICAST;
	/* The local table: our address and all of 127/8 (lo's 127.0.0.1/8). */
	if (addr == net->addr || (h >> 24) == 127) {
		if (h == 0x7fffffff)
			return RTN_BROADCAST;
		return RTN_LOCAL;
	}
	if (net->addr && net->netmask != htonl(0xffffffff) && addr == (net->addr | ~net->netmask))
		return RTN_BROADCAST;
	return RTN_UNICAST;
}

bool inet_addr_valid_or_nonlocal(const struct net *net, const struct inet_sock *inet, uint32_t addr,
				 int addr_type)
{
	/*
	 * Not specified by any standard per-se, however it breaks too many
	 * applications when removed: non-local binds with
	 * ip_nonlocal_bind, IP_FREEBIND or IP_TRANSPARENT.
	 */
	return net->sysctl.ip_nonlocal_bind || inet->freebind || inet->transparent ||
	       addr == htonl(INADDR_ANY) || addr_type == RTN_LOCAL || addr_type == RTN_MULTICAST ||
	       addr_type == RTN_BROADCAST;
}

static int inet_autobind(struct sock *sk)
{
	/* We may need to bind the socket. */
	if (!sk->sk_num && sk->sk_prot->get_port) {
		if (sk->sk_prot->get_port(sk, 0))
			return -EAGAIN;
		inet_sk(sk)->inet_sport = htons(sk->sk_num);
	}
	return 0;
}

static int __inet_bind(struct sock *sk, const struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_in *addr = (const struct sockaddr_in *)uaddr;
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	unsigned short snum;
	int chk_addr_ret;
	int err;

	if (addr->sin_family != AF_INET) {
		/*
		 * Compatibility games : accept AF_UNSPEC (mapped to AF_INET)
		 * only if s_addr is INADDR_ANY.
		 */
		if (addr->sin_family != AF_UNSPEC || addr->sin_addr.s_addr != htonl(INADDR_ANY))
			return -EAFNOSUPPORT;
	}

	chk_addr_ret = inet_addr_type(net, addr->sin_addr.s_addr);

	if (!inet_addr_valid_or_nonlocal(net, inet, addr->sin_addr.s_addr, chk_addr_ret))
		return -EADDRNOTAVAIL;

	snum = ntohs(addr->sin_port);
	if (snum && snum < net->sysctl.ip_unprivileged_port_start &&
	    !ns_capable(net, CAP_NET_BIND_SERVICE))
		return -EACCES;

	/* Check these errors (active socket, double bind). */
	if (sk->sk_state != TCP_CLOSE || sk->sk_num)
		return -EINVAL;

	sk->sk_rcv_saddr = inet->inet_saddr = addr->sin_addr.s_addr;
	if (chk_addr_ret == RTN_MULTICAST || chk_addr_ret == RTN_BROADCAST)
		inet->inet_saddr = 0; /* Use device */

	/* Make sure we are allowed to bind here. */
	if (snum || !inet->bind_address_no_port) {
		err = sk->sk_prot->get_port(sk, snum);
		if (err) {
			inet->inet_saddr = sk->sk_rcv_saddr = 0;
			/* Old-style get_port returns 1 for "in use". */
			return err < 0 ? err : -EADDRINUSE;
		}
	}

	if (sk->sk_rcv_saddr)
		sk->sk_userlocks |= SOCK_BINDADDR_LOCK;
	if (snum)
		sk->sk_userlocks |= SOCK_BINDPORT_LOCK;
	inet->inet_sport = htons(sk->sk_num);
	sk->sk_daddr = 0;
	sk->sk_dport = 0;
	return 0;
}

int inet_bind(struct socket *sock, const struct sockaddr *uaddr, int addr_len)
{
	struct sock *sk = sock->sk;

	/* If the socket has its own bind function then use it. (RAW, ping) */
	if (sk->sk_prot->bind)
		return sk->sk_prot->bind(sk, uaddr, addr_len);
	if (addr_len < (int)sizeof(struct sockaddr_in))
		return -EINVAL;
	return __inet_bind(sk, uaddr, addr_len);
}

int inet_dgram_connect(struct socket *sock, const struct sockaddr *uaddr, int addr_len, int flags)
{
	struct sock *sk = sock->sk;

	if (addr_len < (int)sizeof(uaddr->sa_family))
		return -EINVAL;
	if (uaddr->sa_family == AF_UNSPEC)
		return sk->sk_prot->disconnect(sk, flags);
	if (!sk->sk_num && inet_autobind(sk))
		return -EAGAIN;
	return sk->sk_prot->connect(sk, uaddr, addr_len);
}

/*
 * The kernel sleeps here until the handshake ends; the core never does:
 * a new connect returns -EINPROGRESS, a repeated one -EALREADY while the
 * handshake runs, 0 once (the first call after it completed, as the kernel's
 * non-blocking connect does), then -EISCONN. The owner implements blocking
 * connect by waiting for sk_state_change and calling again.
 */
int inet_stream_connect(struct socket *sock, const struct sockaddr *uaddr, int addr_len, int flags)
{
	struct sock *sk = sock->sk;
	int err;

	if (uaddr) {
		if (addr_len < (int)sizeof(uaddr->sa_family))
			return -EINVAL;
		if (uaddr->sa_family == AF_UNSPEC) {
			err = sk->sk_prot->disconnect(sk, flags);
			sock->state = err ? SS_DISCONNECTING : SS_UNCONNECTED;
			return err;
		}
	}

	switch (sock->state) {
	default:
		return -EINVAL;
	case SS_CONNECTED:
		return -EISCONN;
	case SS_CONNECTING:
		err = inet_sk(sk)->defer_connect ? -EISCONN : -EALREADY;
		/* Fall out of switch with err, set for this state */
		break;
	case SS_UNCONNECTED:
		if (sk->sk_state != TCP_CLOSE)
			return -EISCONN;
		err = sk->sk_prot->connect(sk, uaddr, addr_len);
		if (err < 0)
			return err;
		sock->state = SS_CONNECTING;
		/* TCP_FASTOPEN_CONNECT: the SYN waits for the first write. */
		if (!err && inet_sk(sk)->defer_connect)
			return 0;
		/*
		 * Just entered SS_CONNECTING state; the only difference is
		 * that return value in non-blocking case is EINPROGRESS,
		 * rather than EALREADY.
		 */
		err = -EINPROGRESS;
		break;
	}

	if ((1 << sk->sk_state) & ((1 << TCP_SYN_SENT) | (1 << TCP_SYN_RECV)))
		return err;

	/* Connection was closed by RST, timeout, ICMP error or another process disconnected us. */
	if (sk->sk_state == TCP_CLOSE) {
		err = sock_error(sk);
		if (!err)
			err = -ECONNABORTED;
		sock->state = SS_UNCONNECTED;
		if (sk->sk_prot->disconnect(sk, flags))
			sock->state = SS_DISCONNECTING;
		return err;
	}

	sock->state = SS_CONNECTED;
	return 0;
}

int inet_accept(struct socket *sock, struct socket *newsock, int flags, bool kern)
{
	struct sock *sk1 = sock->sk, *sk2;
	int err = -EINVAL;

	if (!sk1->sk_prot->accept)
		return -EOPNOTSUPP;
	sk2 = sk1->sk_prot->accept(sk1, flags, &err);
	if (!sk2)
		return err;

	/* sock_graft() */
	newsock->sk = sk2;
	newsock->type = sock->type;
	newsock->ops = sock->ops;
	sk2->sk_socket = newsock;
	newsock->state = SS_CONNECTED;
	return 0;
}

/* This does both peername and sockname; returns the address length. */
int inet_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)uaddr;
	struct sock *sk = sock->sk;
	struct inet_sock *inet = inet_sk(sk);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	if (peer) {
		if (!sk->sk_dport ||
		    (((1 << sk_user_state(sk)) & ((1 << TCP_CLOSE) | (1 << TCP_SYN_SENT))) &&
		     peer == 1))
			return -ENOTCONN;
		sin->sin_port = sk->sk_dport;
		sin->sin_addr.s_addr = sk->sk_daddr;
	} else {
		uint32_t addr = sk->sk_rcv_saddr;

		if (!addr)
			addr = inet->inet_saddr;
		sin->sin_port = inet->inet_sport;
		sin->sin_addr.s_addr = addr;
	}
	return (int)sizeof(*sin);
}

/* Move a socket into listening state. */
int inet_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	unsigned char old_state = sk->sk_state;
	int err;

	if (sock->state != SS_UNCONNECTED || sock->type != SOCK_STREAM)
		return -EINVAL;
	if (!((1 << old_state) & ((1 << TCP_CLOSE) | (1 << TCP_LISTEN))))
		return -EINVAL;

	/* listen(2) already clamped backlog to somaxconn. */
	sk->sk_max_ack_backlog = (unsigned int)backlog;
	/* Really, if the socket is already in listen state we can only allow the backlog to be
	 * adjusted. */
	if (old_state != TCP_LISTEN) {
		err = inet_csk_listen_start(sk);
		if (err)
			return err;
	}
	return 0;
}

int inet_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	int err = 0;

	/*
	 * maps 0->1 has the advantage of making bit 1 rcvs and 1->2 bit 2
	 * snds. 2->3
	 */
	how++;
	if ((how & ~SHUTDOWN_MASK) || !how) /* MAXINT->0 */
		return -EINVAL;

	if (sock->state == SS_CONNECTING) {
		if ((1 << sk_user_state(sk)) &
		    ((1 << TCP_SYN_SENT) | (1 << TCP_SYN_RECV) | (1 << TCP_CLOSE)))
			sock->state = SS_DISCONNECTING;
		else
			sock->state = SS_CONNECTED;
	}

	switch (sk_user_state(sk)) {
	case TCP_CLOSE:
		err = -ENOTCONN;
		/* Hack to wake up other listeners, who can poll for EPOLLHUP, even on eg.
		 * unconnected UDP sockets -- RR */
		__attribute__((fallthrough));
	default:
		sk->sk_shutdown |= (uint8_t)how;
		if (sk->sk_prot->shutdown)
			sk->sk_prot->shutdown(sk, how);
		break;
	/* A listener stops listening, a connecting socket stops connecting. */
	case TCP_LISTEN:
		if (!(how & RCV_SHUTDOWN))
			break;
		__attribute__((fallthrough));
	case TCP_SYN_SENT:
		err = sk->sk_prot->disconnect(sk, O_NONBLOCK);
		sock->state = err ? SS_DISCONNECTING : SS_UNCONNECTED;
		break;
	}

	/* Wake up anyone sleeping in poll. */
	if (sk->sk_state_change)
		sk->sk_state_change(sk);
	return err;
}

/*
 * arg points at an int, both ways (sk_ioctl). The device and routing ioctls
 * of the kernel's inet_ioctl have no meaning for an emulated stack; what no
 * one handles is -ENOTTY, as sock_do_ioctl reports -ENOIOCTLCMD.
 */
int inet_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg)
{
	struct sock *sk = sock->sk;
	int karg = 0, err;

	/*
	 * sock_gettstamp turns stamping on, and has no stamp to give before
	 * a read left one (TCP never does). The time itself is the reader's
	 * (sk_stamp as of the program's reads, which only it sees).
	 */
	if (cmd == SIOCGSTAMP_OLD || cmd == SIOCGSTAMPNS_OLD || cmd == SIOCGSTAMP_NEW ||
	    cmd == SIOCGSTAMPNS_NEW) {
		sock_set_flag(sk, SOCK_TIMESTAMP);
		return sk->sk_stamp == SK_DEFAULT_STAMP ? -ENOENT : 0;
	}
	if (!sk->sk_prot->ioctl)
		return -ENOTTY;
	err = sk->sk_prot->ioctl(sk, (int)cmd, &karg);
	if (err == -ENOIOCTLCMD)
		return -ENOTTY;
	if (err)
		return err;
	*(int *)arg = karg;
	return 0;
}

int inet_sendmsg(struct socket *sock, struct msghdr *msg, size_t size)
{
	struct sock *sk = sock->sk;

	/* We may need to bind the socket. */
	if (!sk->sk_prot->sendmsg)
		return -EOPNOTSUPP;
	if (inet_autobind(sk))
		return -EAGAIN;
	return sk->sk_prot->sendmsg(sk, msg, size);
}

int inet_recvmsg(struct socket *sock, struct msghdr *msg, size_t size, int flags)
{
	struct sock *sk = sock->sk;
	int addr_len = 0;
	int err;

	if (!sk->sk_prot->recvmsg)
		return -EOPNOTSUPP;
	err = sk->sk_prot->recvmsg(sk, msg, size, flags, &addr_len);
	if (err >= 0 && msg->msg_name)
		msg->msg_namelen = (socklen_t)addr_len;
	return err;
}

/*
 * The kernel routes SOL_SOCKET to sock_setsockopt before the family sees
 * the call; here the owner calls one entry point, so the split is made here.
 */
int sock_common_setsockopt(struct socket *sock, int level, int optname, const void *optval,
			   unsigned int optlen)
{
	struct sock *sk = sock->sk;

	if (level == SOL_SOCKET)
		return sock_setsockopt(sock, level, optname, optval, optlen);
	if (!sk->sk_prot->setsockopt)
		return -ENOPROTOOPT;
	return sk->sk_prot->setsockopt(sk, level, optname, optval, optlen);
}

int sock_common_getsockopt(struct socket *sock, int level, int optname, void *optval, int *optlen)
{
	struct sock *sk = sock->sk;

	if (level == SOL_SOCKET)
		return sock_getsockopt(sock, level, optname, optval, optlen);
	if (!sk->sk_prot->getsockopt)
		return -ENOPROTOOPT;
	return sk->sk_prot->getsockopt(sk, level, optname, optval, optlen);
}

int inet_stream_set_rcvlowat(struct sock *sk, int val)
{
	int cap;

	/* tcp_set_rcvlowat: never more than half of what the buffer may become. */
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		cap = sk->sk_rcvbuf >> 1;
	else
		cap = sock_net(sk)->sysctl.tcp_rmem[2] >> 1;
	if (val > cap)
		val = cap;
	sk->sk_rcvlowat = val ? val : 1;
	return 0;
}

static int sock_no_accept(struct socket *sock, struct socket *newsock, int flags, bool kern)
{
	return -EOPNOTSUPP;
}

static int sock_no_listen(struct socket *sock, int backlog)
{
	return -EOPNOTSUPP;
}

static int inet_stream_peek_iov(struct socket *sock, struct iovec *iov, int max_iov, size_t max_len)
{
	return tcp_peek_iov(sock->sk, iov, max_iov, max_len);
}

static void inet_stream_consume(struct socket *sock, size_t len)
{
	tcp_consume(sock->sk, len);
}

static int inet_stream_send_iov(struct socket *sock, struct iovec *iov, struct sk_buff **segs,
				int max_iov, size_t max_len)
{
	return tcp_send_iov(sock->sk, iov, segs, max_iov, max_len);
}

static void inet_stream_send_commit(struct socket *sock, const struct iovec *iov,
				    struct sk_buff **segs, int n, size_t len)
{
	tcp_send_commit(sock->sk, iov, segs, n, len);
}

const struct proto_ops inet_stream_ops = {
	.family = PF_INET,
	.release = inet_release,
	.bind = inet_bind,
	.connect = inet_stream_connect,
	.accept = inet_accept,
	.getname = inet_getname,
	.ioctl = inet_ioctl,
	.listen = inet_listen,
	.shutdown = inet_shutdown,
	.setsockopt = sock_common_setsockopt,
	.getsockopt = sock_common_getsockopt,
	.sendmsg = inet_sendmsg,
	.recvmsg = inet_recvmsg,
	.peek_iov = inet_stream_peek_iov,
	.consume = inet_stream_consume,
	.send_iov = inet_stream_send_iov,
	.send_commit = inet_stream_send_commit,
	.set_rcvlowat = inet_stream_set_rcvlowat,
	.set_peek_off = sk_set_peek_off,
};

const struct proto_ops inet_dgram_ops = {
	.family = PF_INET,
	.release = inet_release,
	.bind = inet_bind,
	.connect = inet_dgram_connect,
	.accept = sock_no_accept,
	.getname = inet_getname,
	.ioctl = inet_ioctl,
	.listen = sock_no_listen,
	.shutdown = inet_shutdown,
	.setsockopt = sock_common_setsockopt,
	.getsockopt = sock_common_getsockopt,
	.sendmsg = inet_sendmsg,
	.recvmsg = inet_recvmsg,
	.set_peek_off = sk_set_peek_off,
};

/* For SOCK_RAW sockets (and ping); the same as inet_dgram_ops but without udp_poll. */
const struct proto_ops inet_sockraw_ops = {
	.family = PF_INET,
	.release = inet_release,
	.bind = inet_bind,
	.connect = inet_dgram_connect,
	.accept = sock_no_accept,
	.getname = inet_getname,
	.ioctl = inet_ioctl,
	.listen = sock_no_listen,
	.shutdown = inet_shutdown,
	.setsockopt = sock_common_setsockopt,
	.getsockopt = sock_common_getsockopt,
	.sendmsg = inet_sendmsg,
	.recvmsg = inet_recvmsg,
};

/*
 * The built-in switch entries, in the order the kernel registers them:
 * inet_init's inetsw_array, then udplite4_register, then mptcp_proto_init.
 * Registration keeps permanent entries first, so the wildcard (protocol 0)
 * picks TCP for SOCK_STREAM and UDP for SOCK_DGRAM.
 */
static struct inet_protosw inetsw_array[] = {
	{
		.type = SOCK_STREAM,
		.protocol = IPPROTO_TCP,
		.prot = &tcp_prot,
		.ops = &inet_stream_ops,
		.flags = INET_PROTOSW_PERMANENT | INET_PROTOSW_ICSK,
	},
	{
		.type = SOCK_DGRAM,
		.protocol = IPPROTO_UDP,
		.prot = &udp_prot,
		.ops = &inet_dgram_ops,
		.flags = INET_PROTOSW_PERMANENT,
	},
	{
		.type = SOCK_DGRAM,
		.protocol = IPPROTO_ICMP,
		.prot = &ping_prot,
		.ops = &inet_sockraw_ops,
		.flags = INET_PROTOSW_REUSE,
	},
	{
		.type = SOCK_RAW,
		.protocol = IPPROTO_IP, /* wild card */
		.prot = &raw_prot,
		.ops = &inet_sockraw_ops,
		.flags = INET_PROTOSW_REUSE,
	},
	/* udplite4_register() */
	{
		.type = SOCK_DGRAM,
		.protocol = IPPROTO_UDPLITE,
		.prot = &udplite_prot,
		.ops = &inet_dgram_ops,
		.flags = INET_PROTOSW_PERMANENT,
	},
	/*
	 * mptcp_proto_init(): the kernel accepts IPPROTO_MPTCP for stream
	 * sockets; without MPTCP in the stack the socket is plain TCP, but it
	 * still reports protocol 262 (SO_PROTOCOL), as the kernel's does.
	 */
	{
		.type = SOCK_STREAM,
		.protocol = IPPROTO_MPTCP,
		.prot = &tcp_prot,
		.ops = &inet_stream_ops,
		.flags = INET_PROTOSW_ICSK,
	},
};

void inet_init(void)
{
	static bool done;
	size_t i;

	if (done)
		return;
	done = true;
	inetsw_init_once();

	sock_register(&inet_family_ops);

	/* Add all the base protocols. */
	inet_add_protocol(&icmp_protocol, IPPROTO_ICMP);
	inet_add_protocol(&udp_protocol, IPPROTO_UDP);
	inet_add_protocol(&udplite_protocol, IPPROTO_UDPLITE);
	inet_add_protocol(&tcp_protocol, IPPROTO_TCP);
	inet_add_protocol(&igmp_protocol, IPPROTO_IGMP);

	/* Register the socket-side information for inet_create. */
	for (i = 0; i < sizeof(inetsw_array) / sizeof(inetsw_array[0]); i++)
		inet_register_protosw(&inetsw_array[i]);
}
