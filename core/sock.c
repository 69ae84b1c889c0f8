// SPDX-License-Identifier: MIT
/*
 * struct sock's life and its generic options, as in net/core/sock.c:
 * sk_alloc and sock_init_data give a new sock the kernel's defaults (buffer
 * sizes from net.core.rmem_default/wmem_default, infinite timeouts, lowat 1,
 * no peek offset), sk_free and sk_common_release end it, and
 * sock_setsockopt/sock_getsockopt implement the SOL_SOCKET level with the
 * kernel's clamping, rounding and errno.
 *
 * SO_BINDTODEVICE and SO_BINDTOIFINDEX name the stack's device or lo
 * (netdev_get_name); a bound socket takes only what arrives there.
 *
 * Socket filters (SO_ATTACH_FILTER and its kin) are filter.c's.
 *
 * What this is not: options that configure kernel machinery the stack does
 * not have (SO_TXTIME, busy polling, eBPF programs, ...) answer
 * -ENOPROTOOPT (SO_ATTACH_BPF: -EOPNOTSUPP once the caller's fd passed). SO_ZEROCOPY is kept but
 * changes nothing: every send copies.
 */
#define _GNU_SOURCE /* struct ucred */
#include <errno.h>
#include <limits.h>
#include <linux/filter.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "arp.h"
#include "filter.h"
#include "inet.h"
#include "net.h"
#include "net_namespace.h"
#include "netdevice.h"
#include "tcp.h"

#ifndef SO_TIMESTAMP_OLD
#define SO_TIMESTAMP_OLD   29
#define SO_TIMESTAMPNS_OLD 35
#define SO_TIMESTAMP_NEW   63
#define SO_TIMESTAMPNS_NEW 64
#define SO_RCVTIMEO_OLD	   20
#define SO_SNDTIMEO_OLD	   21
#define SO_RCVTIMEO_NEW	   66
#define SO_SNDTIMEO_NEW	   67
#endif

/*
 * The smallest send buffer the kernel lets a socket have: room for two
 * 2048-byte packets plus the sk_buff overhead (setsockopt(SO_SNDBUF, 1)
 * reads back 4608 on the running kernel; SOCK_MIN_RCVBUF in net.h).
 */
#define SOCK_MIN_SNDBUF 4608

#define TC_PRIO_INTERACTIVE 6
#define USEC_PER_SEC	    1000000L
#define NSEC_PER_SEC_L	    1000000000LL

static void sock_def_callback(struct sock *sk)
{
}

struct sock *sk_alloc(struct net *net, int family, struct proto *prot)
{
	struct sock *sk = calloc(1, prot->obj_size > sizeof(struct sock) ? prot->obj_size
									 : sizeof(struct sock));

	if (!sk)
		return NULL;
	sk->sk_family = (unsigned short)family;
	sk->sk_prot = prot;
	sk->sk_net = net;
	INIT_HLIST_NODE(&sk->sk_node);
	INIT_HLIST_NODE(&sk->sk_bind_node);
	return sk;
}

void sock_init_data(struct socket *sock, struct sock *sk)
{
	const struct netns_sysctl *sysctl = &sock_net(sk)->sysctl;

	skb_queue_head_init(&sk->sk_receive_queue);
	skb_queue_head_init(&sk->sk_write_queue);
	skb_queue_head_init(&sk->sk_error_queue);

	sk->sk_rcvbuf = sysctl->rmem_default;
	sk->sk_sndbuf = sysctl->wmem_default;
	sk->sk_max_pacing_rate = ~0ull;
	sk->sk_state = TCP_CLOSE;
	sock_set_flag(sk, SOCK_ZAPPED);

	if (sock) {
		sk->sk_type = (unsigned short)sock->type;
		sock->sk = sk;
	}
	sk->sk_socket = sock;

	sk->sk_state_change = sock_def_callback;
	sk->sk_data_ready = sock_def_callback;
	sk->sk_write_space = sock_def_callback;
	sk->sk_error_report = sock_def_callback;
	sk->sk_destruct = NULL;

	sk->sk_peek_off = -1;
	sk->sk_stamp = SK_DEFAULT_STAMP;
	sk->sk_incoming_cpu = -1;
	sk->sk_txrehash = 1; /* inet_create: net.core.txrehash, 1 by default */
	sk->sk_rcvlowat = 1;
	sk->sk_rcvtimeo = INT64_MAX; /* MAX_SCHEDULE_TIMEOUT */
	sk->sk_sndtimeo = INT64_MAX;
}

void sk_free(struct sock *sk)
{
	/* A stamped frame still waiting for ARP must not name a freed socket. */
	if (sock_flag(sk, SOCK_TX_TSTAMPED) && sk->sk_net && sk->sk_net->arp_tbl)
		neigh_forget_sock(sk->sk_net->arp_tbl, sk);
	if (sk->sk_net && sk->sk_net->sk_owner_free)
		sk->sk_net->sk_owner_free(sk);
	if (sk->sk_destruct)
		sk->sk_destruct(sk);
	__skb_queue_purge(&sk->sk_receive_queue);
	__skb_queue_purge(&sk->sk_error_queue);
	__skb_queue_purge(&sk->sk_write_queue);
	sk_filter_release(sk);
	free(sk);
}

void sk_common_release(struct sock *sk)
{
	if (sk->sk_prot->destroy)
		sk->sk_prot->destroy(sk);
	/* Observation: when sk_common_release is called, processes have no access to socket. */
	if (sk->sk_prot->unhash)
		sk->sk_prot->unhash(sk);
	sock_set_flag(sk, SOCK_DEAD);
	if (sk->sk_socket)
		sk->sk_socket->sk = NULL;
	sk->sk_socket = NULL;
	sk_free(sk);
}

int sock_error(struct sock *sk)
{
	int err = sk->sk_err;

	sk->sk_err = 0;
	return -err;
}

int sk_set_peek_off(struct sock *sk, int val)
{
	sk->sk_peek_off = val;
	return 0;
}

static int sock_hz(const struct sock *sk)
{
	int hz = sock_net(sk)->sysctl.hz;

	return hz > 0 ? hz : 250;
}

/*
 * SO_RCVTIMEO/SO_SNDTIMEO: the kernel keeps jiffies, rounding the
 * microseconds up to a tick; a negative time means "do not wait at all".
 * Both timeval forms are 16 bytes on 64-bit Linux.
 */
static int sock_set_timeout(const struct sock *sk, int64_t *timeo_p, const void *optval,
			    unsigned int optlen)
{
	struct {
		int64_t tv_sec, tv_usec;
	} tv;
	int64_t hz = sock_hz(sk), jiffies;

	if (optlen < sizeof(tv))
		return -EINVAL;
	memcpy(&tv, optval, sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= USEC_PER_SEC)
		return -EDOM;
	if (tv.tv_sec < 0) {
		*timeo_p = 0;
		return 0;
	}
	*timeo_p = INT64_MAX;
	if ((tv.tv_sec || tv.tv_usec) && tv.tv_sec < LONG_MAX / hz - 1) {
		jiffies =
			tv.tv_sec * hz + (tv.tv_usec + USEC_PER_SEC / hz - 1) / (USEC_PER_SEC / hz);
		/* Beyond 292 years in ns: keep it finite but as long as we can. */
		if (jiffies > (INT64_MAX - 1) / (NSEC_PER_SEC_L / hz))
			*timeo_p = INT64_MAX - 1;
		else
			*timeo_p = jiffies * (NSEC_PER_SEC_L / hz);
	}
	return 0;
}

static int sock_get_timeout(const struct sock *sk, int64_t timeo, void *out)
{
	struct {
		int64_t tv_sec, tv_usec;
	} tv = {0, 0};
	int64_t hz = sock_hz(sk), jiffies;

	if (timeo != INT64_MAX) {
		jiffies = timeo / (NSEC_PER_SEC_L / hz);
		tv.tv_sec = jiffies / hz;
		tv.tv_usec = ((jiffies % hz) * USEC_PER_SEC) / hz;
	}
	memcpy(out, &tv, sizeof(tv));
	return (int)sizeof(tv);
}

static void sock_valbool_flag(struct sock *sk, enum sock_flags bit, int valbool)
{
	if (valbool)
		sock_set_flag(sk, bit);
	else
		sock_reset_flag(sk, bit);
}

static void sock_set_timestamp(struct sock *sk, int optname, bool valbool)
{
	bool is_new = optname == SO_TIMESTAMP_NEW || optname == SO_TIMESTAMPNS_NEW;
	bool ns = optname == SO_TIMESTAMPNS_OLD || optname == SO_TIMESTAMPNS_NEW;

	if (valbool) {
		sock_valbool_flag(sk, SOCK_TSTAMP_NEW, is_new);
		sock_valbool_flag(sk, SOCK_RCVTSTAMPNS, ns);
		sock_set_flag(sk, SOCK_RCVTSTAMP);
		/* sock_enable_timestamp: stays on once off again (sock_recv_stamp). */
		sock_set_flag(sk, SOCK_TIMESTAMP);
	} else {
		sock_reset_flag(sk, SOCK_RCVTSTAMP);
		sock_reset_flag(sk, SOCK_RCVTSTAMPNS);
	}
}

/*
 * The SOF_TIMESTAMPING_* bits the running kernel knows (through
 * SOF_TIMESTAMPING_OPT_TX_SWHW, 1 << 18) and the ones checked together.
 */
#define SOF_TIMESTAMPING_MASK	    0x7ffffu
#define SOF_TIMESTAMPING_OPT_ID	    (1u << 7)
#define SOF_TIMESTAMPING_OPT_TSONLY (1u << 11)
#define SOF_TIMESTAMPING_OPT_STATS  (1u << 12)
#define SOF_TIMESTAMPING_BIND_PHC   (1u << 15)
#define SOF_TIMESTAMPING_OPT_ID_TCP (1u << 16)

/*
 * sock_set_timestamping: an int of flags, or a struct so_timestamping
 * (flags, bind_phc) when optlen is its size. Only software stamps on
 * receive (ip_cmsg_recv) and transmit (skb_tstamp_tx) are produced; a PHC
 * needs a device the stack has not got.
 */
static int sock_set_timestamping(struct sock *sk, int optname, const void *optval,
				 unsigned int optlen, int val)
{
	int ts[2] = {val, 0};
	uint32_t flags;

	if (optlen == sizeof(ts))
		memcpy(ts, optval, sizeof(ts));
	flags = (uint32_t)ts[0];
	if (flags & ~SOF_TIMESTAMPING_MASK)
		return -EINVAL;
	if ((flags & SOF_TIMESTAMPING_OPT_ID_TCP) && !(flags & SOF_TIMESTAMPING_OPT_ID))
		return -EINVAL;
	if ((flags & SOF_TIMESTAMPING_OPT_STATS) && !(flags & SOF_TIMESTAMPING_OPT_TSONLY))
		return -EINVAL;
	if (flags & SOF_TIMESTAMPING_BIND_PHC)
		return -EOPNOTSUPP;
	/* Turning OPT_ID on starts the keys again: at 0, on TCP at a sequence number. */
	if ((flags & SOF_TIMESTAMPING_OPT_ID) && !(sk->sk_tsflags & SOF_TIMESTAMPING_OPT_ID)) {
		if (sk->sk_type == SOCK_STREAM && sk->sk_protocol == IPPROTO_TCP) {
			int err = tcp_tskey_init(sk, flags);

			if (err)
				return err;
		} else {
			sk->sk_tskey = 0;
		}
	}
	sk->sk_tsflags = flags;
	sock_valbool_flag(sk, SOCK_TSTAMP_NEW, optname == SO_TIMESTAMPING_NEW);
	return 0;
}

static void sock_set_sndbuf(struct sock *sk, unsigned int val)
{
	/* Ensure val * 2 fits into an int, to prevent max_t() from treating it as a negative value.
	 */
	if (val > INT_MAX / 2)
		val = INT_MAX / 2;
	sk->sk_userlocks |= SOCK_SNDBUF_LOCK;
	sk->sk_sndbuf = (int)val * 2 > SOCK_MIN_SNDBUF ? (int)val * 2 : SOCK_MIN_SNDBUF;
	/* Wake up sending tasks if we upped the value. */
	sk->sk_write_space(sk);
}

static void sock_set_rcvbuf(struct sock *sk, unsigned int val)
{
	if (val > INT_MAX / 2)
		val = INT_MAX / 2;
	/*
	 * We double it on the way in to account for "struct sk_buff" etc.
	 * overhead; applications assume that the SO_RCVBUF setting they make
	 * will allow that much actual data to be received on that socket.
	 */
	sk->sk_userlocks |= SOCK_RCVBUF_LOCK;
	sk->sk_rcvbuf = (int)val * 2 > SOCK_MIN_RCVBUF ? (int)val * 2 : SOCK_MIN_RCVBUF;
}

static unsigned int min_u32(unsigned int a, unsigned int b)
{
	return a < b ? a : b;
}

/* Changing a device binding needs CAP_NET_RAW, the first one does not (sock_bindtoindex_locked). */
static int sock_bindtoindex(struct sock *sk, int ifindex)
{
	if (sk->sk_bound_dev_if && !ns_capable(sock_net(sk), CAP_NET_RAW))
		return -EPERM;
	if (ifindex < 0)
		return -EINVAL;
	sk->sk_bound_dev_if = ifindex;
	return 0;
}

/* A device name, cut at IFNAMSIZ - 1; "" or nothing unbinds (sock_setbindtodevice). */
static int sock_setbindtodevice(struct sock *sk, const void *optval, unsigned int optlen)
{
	char devname[IFNAMSIZ] = {0};
	int index = 0;

	if ((int)optlen < 0)
		return -EINVAL;
	if (optlen > IFNAMSIZ - 1)
		optlen = IFNAMSIZ - 1;
	memcpy(devname, optval, optlen);
	if (devname[0]) {
		index = dev_ifindex_by_name(sock_net(sk), devname);
		if (!index)
			return -ENODEV;
	}
	return sock_bindtoindex(sk, index);
}

/* include/uapi/linux/net_tstamp.h struct sock_txtime and its flags. */
struct sock_txtime_val {
	int32_t clockid;
	uint32_t flags;
};
#define SOF_TXTIME_FLAGS_MASK 3u

#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#define SO_ATTACH_REUSEPORT_EBPF 52
#endif
#define SOCK_BUF_LOCK_MASK (SOCK_SNDBUF_LOCK | SOCK_RCVBUF_LOCK)

/*
 * The SOL_SOCKET options for machinery the stack does not have (busy
 * polling, NAPI, qdiscs, memory cgroups, eBPF), with the kernel's checks
 * and values: kept for getsockopt, acting on nothing, as on a device
 * without that machinery. val is the first int of optval.
 */
static int sock_setsockopt_more(struct sock *sk, int optname, const void *optval,
				unsigned int optlen, int val)
{
	struct net *net = sock_net(sk);
	bool valbool = val != 0;

	switch (optname) {
	case SO_BSDCOMPAT:
		return 0;
	case SO_NOFCS:
		sock_valbool_flag(sk, SOCK_NOFCS, valbool);
		return 0;
	case SO_WIFI_STATUS:
		sock_valbool_flag(sk, SOCK_WIFI_STATUS, valbool);
		return 0;
	case SO_RCVMARK:
		sock_valbool_flag(sk, SOCK_RCVMARK, valbool);
		return 0;
	case SO_RCVPRIORITY:
		sock_valbool_flag(sk, SOCK_RCVPRIORITY, valbool);
		return 0;
	case SO_BUSY_POLL:
		if (val < 0)
			return -EINVAL;
		sk->sk_ll_usec = val;
		return 0;
	case SO_PREFER_BUSY_POLL:
		if (valbool && !ns_capable(net, CAP_NET_ADMIN))
			return -EPERM;
		sk->sk_prefer_busy_poll = valbool;
		return 0;
	case SO_BUSY_POLL_BUDGET:
		if (val > sk->sk_busy_poll_budget && !ns_capable(net, CAP_NET_ADMIN))
			return -EPERM;
		if (val < 0 || val > USHRT_MAX)
			return -EINVAL;
		sk->sk_busy_poll_budget = (uint16_t)val;
		return 0;
	case SO_INCOMING_CPU:
		sk->sk_incoming_cpu = val;
		return 0;
	case SO_CNX_ADVICE:
		return 0; /* dst_negative_advice: the stack's one route stays */
	case SO_TXTIME: {
		struct sock_txtime_val t;

		if (optlen != sizeof(t))
			return -EINVAL;
		memcpy(&t, optval, sizeof(t));
		if (t.flags & ~SOF_TXTIME_FLAGS_MASK)
			return -EINVAL;
		if (!ns_capable(net, CAP_NET_ADMIN) && t.clockid != CLOCK_MONOTONIC)
			return -EPERM;
		/* sockopt_validate_clockid: the clocks a qdisc can schedule by. */
		if (t.clockid != CLOCK_REALTIME && t.clockid != CLOCK_MONOTONIC &&
		    t.clockid != CLOCK_TAI)
			return -EINVAL;
		sk->sk_clockid = t.clockid;
		sk->sk_txtime_flags = t.flags;
		return 0;
	}
	case SO_BUF_LOCK:
		if (val & ~SOCK_BUF_LOCK_MASK)
			return -EINVAL;
		sk->sk_userlocks = (uint8_t)((sk->sk_userlocks & ~SOCK_BUF_LOCK_MASK) | val);
		return 0;
	case SO_RESERVE_MEM:
		/* sock_reserve_memory: only with a memory cgroup, which the stack has not. */
		return val < 0 ? -EINVAL : -EOPNOTSUPP;
	case SO_TXREHASH:
		if (sk->sk_protocol != IPPROTO_TCP || sk->sk_type != SOCK_STREAM)
			return -EOPNOTSUPP;
		if (val < -1 || val > 1)
			return -EINVAL;
		sk->sk_txrehash = val < 0 ? 1 : (uint8_t)val;
		return 0;
	case SO_ATTACH_REUSEPORT_CBPF:
		/* copy_bpf_fprog_from_user; the program would choose among the group: not here. */
		return optlen != sizeof(struct sock_fprog) ? -EINVAL : -EOPNOTSUPP;
	case SO_ATTACH_REUSEPORT_EBPF:
		/* The interposer checks the program's fd after this answer, as SO_ATTACH_BPF. */
		return optlen != sizeof(uint32_t) ? -EINVAL : -EOPNOTSUPP;
	case SO_DETACH_REUSEPORT_BPF:
		/* reuseport_detach_prog: nothing is ever attached. */
		return sk->sk_reuseport ? -ENOENT : -EINVAL;
	case SO_PASSPIDFD:
	case SO_PASSRIGHTS:
		return -EOPNOTSUPP; /* AF_UNIX's */
	case SO_DEVMEM_DONTNEED:
		/* sock_devmem_dontneed: TCP only, whole tokens; the stack holds no device memory.
		 */
		if (sk->sk_protocol != IPPROTO_TCP || sk->sk_type != SOCK_STREAM)
			return -EBADF;
		if (optlen % (2 * sizeof(uint32_t)) || optlen > 128 * 2 * sizeof(uint32_t))
			return -EINVAL;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

int sock_setsockopt(struct socket *sock, int level, int optname, const void *optval,
		    unsigned int optlen)
{
	struct sock *sk = sock->sk;
	struct net *net = sock_net(sk);
	struct linger ling;
	int val, valbool;
	int ret = 0;

	if (optname == SO_BINDTODEVICE)
		return sock_setbindtodevice(sk, optval, optlen);
	if (optlen < sizeof(int))
		return -EINVAL;
	memcpy(&val, optval, sizeof(val));
	valbool = val ? 1 : 0;

	switch (optname) {
	case SO_DEBUG:
		if (val && !ns_capable(net, CAP_NET_ADMIN))
			ret = -EACCES;
		else
			sock_valbool_flag(sk, SOCK_DBG, valbool);
		break;
	case SO_REUSEADDR:
		sk->sk_reuse = valbool ? SK_CAN_REUSE : SK_NO_REUSE;
		break;
	case SO_REUSEPORT:
		sk->sk_reuseport = (unsigned char)valbool;
		break;
	case SO_TYPE:
	case SO_PROTOCOL:
	case SO_DOMAIN:
	case SO_ERROR:
		ret = -ENOPROTOOPT;
		break;
	case SO_DONTROUTE:
		sock_valbool_flag(sk, SOCK_LOCALROUTE, valbool);
		break;
	case SO_BROADCAST:
		sock_valbool_flag(sk, SOCK_BROADCAST, valbool);
		break;
	case SO_BINDTOIFINDEX:
		ret = sock_bindtoindex(sk, val);
		break;
	case SO_SELECT_ERR_QUEUE:
		/* datagram_poll adds POLLPRI to an error queue's POLLERR (tcp_poll does not). */
		sock_valbool_flag(sk, SOCK_SELECT_ERR_QUEUE, valbool);
		break;
	case SO_ZEROCOPY:
		/* TCP and UDP only (not UDP-Lite, raw or ping), a boolean strictly. */
		if (!(sk->sk_type == SOCK_STREAM && sk->sk_protocol == IPPROTO_TCP) &&
		    !(sk->sk_type == SOCK_DGRAM && sk->sk_protocol == IPPROTO_UDP))
			ret = -EOPNOTSUPP;
		else if (val < 0 || val > 1)
			ret = -EINVAL;
		else
			sock_valbool_flag(sk, SOCK_ZEROCOPY, valbool);
		break;
	case SO_SNDBUF:
		/*
		 * Don't error on this BSD doesn't and if you think about it
		 * this is right. Otherwise apps have to play 'guess the
		 * biggest size' games. RCVBUF/SNDBUF are treated in BSD as
		 * hints. A negative value is a huge unsigned one: the maximum.
		 */
		sock_set_sndbuf(sk, min_u32((unsigned int)val, (unsigned int)net->sysctl.wmem_max));
		break;
	case SO_SNDBUFFORCE:
		if (!ns_capable(net, CAP_NET_ADMIN)) {
			ret = -EPERM;
			break;
		}
		/* No negative values (to prevent underflow, as val will be multiplied by 2). */
		sock_set_sndbuf(sk, (unsigned int)(val < 0 ? 0 : val));
		break;
	case SO_RCVBUF:
		sock_set_rcvbuf(sk, min_u32((unsigned int)val, (unsigned int)net->sysctl.rmem_max));
		break;
	case SO_RCVBUFFORCE:
		if (!ns_capable(net, CAP_NET_ADMIN)) {
			ret = -EPERM;
			break;
		}
		sock_set_rcvbuf(sk, (unsigned int)(val < 0 ? 0 : val));
		break;
	case SO_KEEPALIVE:
		if (sk->sk_prot->keepalive)
			sk->sk_prot->keepalive(sk, valbool);
		sock_valbool_flag(sk, SOCK_KEEPOPEN, valbool);
		break;
	case SO_OOBINLINE:
		sock_valbool_flag(sk, SOCK_URGINLINE, valbool);
		break;
	case SO_NO_CHECK:
		sock_valbool_flag(sk, SOCK_NO_CHECK_TX, valbool);
		break;
	case SO_PRIORITY:
		if ((val >= 0 && val <= TC_PRIO_INTERACTIVE) || ns_capable(net, CAP_NET_RAW) ||
		    ns_capable(net, CAP_NET_ADMIN))
			sk->sk_priority = (uint32_t)val;
		else
			ret = -EPERM;
		break;
	case SO_LINGER:
		if (optlen < sizeof(ling)) {
			ret = -EINVAL; /* 1003.1g */
			break;
		}
		memcpy(&ling, optval, sizeof(ling));
		if (!ling.l_onoff) {
			sock_reset_flag(sk, SOCK_LINGER);
		} else {
			/*
			 * The kernel converts to unsigned long jiffies: a
			 * negative l_linger is beyond MAX_SCHEDULE_TIMEOUT/HZ,
			 * i.e. forever.
			 */
			sk->sk_lingertime = ling.l_linger < 0 ? -1 : ling.l_linger;
			sock_set_flag(sk, SOCK_LINGER);
		}
		break;
	case SO_RCVLOWAT:
		if (val < 0)
			val = INT_MAX;
		if (sock->ops && sock->ops->set_rcvlowat)
			ret = sock->ops->set_rcvlowat(sk, val);
		else
			sk->sk_rcvlowat = val ? val : 1;
		break;
	case SO_RCVTIMEO_OLD:
	case SO_RCVTIMEO_NEW:
		ret = sock_set_timeout(sk, &sk->sk_rcvtimeo, optval, optlen);
		break;
	case SO_SNDTIMEO_OLD:
	case SO_SNDTIMEO_NEW:
		ret = sock_set_timeout(sk, &sk->sk_sndtimeo, optval, optlen);
		break;
	case SO_TIMESTAMP_OLD:
	case SO_TIMESTAMP_NEW:
	case SO_TIMESTAMPNS_OLD:
	case SO_TIMESTAMPNS_NEW:
		sock_set_timestamp(sk, optname, valbool);
		break;
	case SO_TIMESTAMPING_OLD:
	case SO_TIMESTAMPING_NEW:
		ret = sock_set_timestamping(sk, optname, optval, optlen, val);
		break;
	case SO_RXQ_OVFL:
		sock_valbool_flag(sk, SOCK_RXQ_OVFL, valbool);
		break;
	case SO_MAX_PACING_RATE: {
		/* An unsigned long from 8 bytes on; from an int, ~0U means no cap. */
		uint64_t ulval = val == -1 ? ~0ull : (unsigned int)val;

		if (optlen >= sizeof(ulval))
			memcpy(&ulval, optval, sizeof(ulval));
		/* The cap asks for pacing (SK_PACING_NEEDED): TCP paces itself then. */
		if (ulval != ~0ull)
			sock_set_flag(sk, SOCK_PACING_ASKED);
		sk->sk_max_pacing_rate = ulval;
		break;
	}
	case SO_MARK:
		if (!ns_capable(net, CAP_NET_RAW) && !ns_capable(net, CAP_NET_ADMIN)) {
			ret = -EPERM;
			break;
		}
		sk->sk_mark = (uint32_t)val;
		break;
	case SO_PEEK_OFF:
		if (sock->ops && sock->ops->set_peek_off)
			ret = sock->ops->set_peek_off(sk, val);
		else
			ret = -EOPNOTSUPP;
		break;
	case SO_PASSCRED:
	case SO_PASSSEC:
		/* Credentials and security labels travel only over AF_UNIX and netlink. */
		ret = -EOPNOTSUPP;
		break;
	case SO_ATTACH_FILTER: {
		struct sock_fprog fprog;

		/* copy_bpf_fprog_from_user: exactly a struct sock_fprog. */
		if (optlen != sizeof(fprog)) {
			ret = -EINVAL;
			break;
		}
		memcpy(&fprog, optval, sizeof(fprog));
		ret = sk_attach_filter(&fprog, sk);
		break;
	}
	case SO_ATTACH_BPF:
		/*
		 * The value names an eBPF program by the caller's fd, which the
		 * interposer checks after this answer (EBADF, EINVAL); one that
		 * passes cannot run here, so nothing is attached.
		 */
		if (optlen != sizeof(uint32_t))
			ret = -EINVAL;
		else if (sock_flag(sk, SOCK_FILTER_LOCKED))
			ret = -EPERM;
		else
			ret = -EOPNOTSUPP;
		break;
	case SO_DETACH_FILTER:
		ret = sk_detach_filter(sk);
		break;
	case SO_LOCK_FILTER:
		if (sock_flag(sk, SOCK_FILTER_LOCKED) && !valbool)
			ret = -EPERM;
		else
			sock_valbool_flag(sk, SOCK_FILTER_LOCKED, valbool);
		break;
	default:
		ret = sock_setsockopt_more(sk, optname, optval, optlen, val);
		break;
	}
	return ret;
}

int sock_getsockopt(struct socket *sock, int level, int optname, void *optval, int *optlen)
{
	struct sock *sk = sock->sk;
	union {
		int val;
		struct linger ling;
		struct ucred peercred;
		struct sockaddr_in addr;
		char tv[16];
		int timestamping[2]; /* struct so_timestamping: flags, bind_phc */
	} v;
	int lv = sizeof(int);
	int len = *optlen;

	if (len < 0)
		return -EINVAL;

	memset(&v, 0, sizeof(v));

	switch (optname) {
	case SO_DEBUG:
		v.val = sock_flag(sk, SOCK_DBG);
		break;
	case SO_DONTROUTE:
		v.val = sock_flag(sk, SOCK_LOCALROUTE);
		break;
	case SO_BROADCAST:
		v.val = sock_flag(sk, SOCK_BROADCAST);
		break;
	case SO_SNDBUF:
		v.val = sk->sk_sndbuf;
		break;
	case SO_RCVBUF:
		v.val = sk->sk_rcvbuf;
		break;
	case SO_REUSEADDR:
		v.val = sk->sk_reuse;
		break;
	case SO_REUSEPORT:
		v.val = sk->sk_reuseport;
		break;
	case SO_KEEPALIVE:
		v.val = sock_flag(sk, SOCK_KEEPOPEN);
		break;
	case SO_TYPE:
		v.val = sk->sk_type;
		break;
	case SO_PROTOCOL:
		v.val = sk->sk_protocol;
		break;
	case SO_DOMAIN:
		v.val = sk->sk_family;
		break;
	case SO_ERROR:
		v.val = -sock_error(sk);
		if (v.val == 0) {
			v.val = sk->sk_err_soft;
			sk->sk_err_soft = 0;
		}
		break;
	case SO_OOBINLINE:
		v.val = sock_flag(sk, SOCK_URGINLINE);
		break;
	case SO_NO_CHECK:
		v.val = sock_flag(sk, SOCK_NO_CHECK_TX);
		break;
	case SO_PRIORITY:
		v.val = (int)sk->sk_priority;
		break;
	case SO_LINGER:
		lv = sizeof(v.ling);
		v.ling.l_onoff = sock_flag(sk, SOCK_LINGER);
		/* "Forever" is MAX_SCHEDULE_TIMEOUT / HZ, truncated to an int, as the kernel
		 * reports it. */
		v.ling.l_linger =
			sk->sk_lingertime < 0 ? (int)(LONG_MAX / sock_hz(sk)) : sk->sk_lingertime;
		break;
	case SO_BSDCOMPAT:
		break;
	case SO_TIMESTAMP_OLD:
		v.val = sock_flag(sk, SOCK_RCVTSTAMP) && !sock_flag(sk, SOCK_TSTAMP_NEW) &&
			!sock_flag(sk, SOCK_RCVTSTAMPNS);
		break;
	case SO_TIMESTAMPNS_OLD:
		v.val = sock_flag(sk, SOCK_RCVTSTAMPNS) && !sock_flag(sk, SOCK_TSTAMP_NEW);
		break;
	case SO_TIMESTAMP_NEW:
		v.val = sock_flag(sk, SOCK_RCVTSTAMP) && sock_flag(sk, SOCK_TSTAMP_NEW) &&
			!sock_flag(sk, SOCK_RCVTSTAMPNS);
		break;
	case SO_TIMESTAMPNS_NEW:
		v.val = sock_flag(sk, SOCK_RCVTSTAMPNS) && sock_flag(sk, SOCK_TSTAMP_NEW);
		break;
	case SO_RXQ_OVFL:
		v.val = sock_flag(sk, SOCK_RXQ_OVFL);
		break;
	case SO_TIMESTAMPING_OLD:
	case SO_TIMESTAMPING_NEW:
		/* The _NEW name reads the flags only when they were set through it. */
		lv = sizeof(v.timestamping);
		memset(&v, 0, sizeof(v));
		if (optname == SO_TIMESTAMPING_OLD || sock_flag(sk, SOCK_TSTAMP_NEW))
			v.timestamping[0] = (int)sk->sk_tsflags;
		break;
	case SO_RCVTIMEO_OLD:
	case SO_RCVTIMEO_NEW:
		lv = sock_get_timeout(sk, sk->sk_rcvtimeo, v.tv);
		break;
	case SO_SNDTIMEO_OLD:
	case SO_SNDTIMEO_NEW:
		lv = sock_get_timeout(sk, sk->sk_sndtimeo, v.tv);
		break;
	case SO_RCVLOWAT:
		v.val = sk->sk_rcvlowat;
		break;
	case SO_SNDLOWAT:
		v.val = 1;
		break;
	case SO_ACCEPTCONN:
		v.val = sk->sk_state == TCP_LISTEN;
		break;
	case SO_MARK:
		v.val = (int)sk->sk_mark;
		break;
	case SO_MAX_PACING_RATE:
		/* 8 bytes if there is room, else an int capped at ~0U. */
		if (len >= (int)sizeof(uint64_t)) {
			lv = sizeof(uint64_t);
			memcpy(v.tv, &sk->sk_max_pacing_rate, sizeof(uint64_t));
		} else {
			v.val = (int)(sk->sk_max_pacing_rate < ~0u ? sk->sk_max_pacing_rate : ~0u);
		}
		break;
	case SO_PEEK_OFF:
		if (!sock->ops || !sock->ops->set_peek_off)
			return -EOPNOTSUPP;
		v.val = sk->sk_peek_off;
		break;
	case SO_PASSCRED:
	case SO_PASSSEC:
		return -EOPNOTSUPP;
	case SO_PEERCRED:
		/* An inet socket has no peer credentials: no pid, uid and gid -1. */
		lv = sizeof(v.peercred);
		v.peercred.pid = 0;
		v.peercred.uid = (uid_t)-1;
		v.peercred.gid = (gid_t)-1;
		break;
	case SO_PEERNAME:
		lv = sock->ops->getname(sock, (struct sockaddr *)&v.addr, 2);
		if (lv < 0)
			return -ENOTCONN;
		if (lv < len)
			return -EINVAL;
		break;
	case SO_BINDTODEVICE: {
		/* sock_getbindtodevice(): the name with its NUL, nothing when unbound. */
		const char *name;

		if (!sk->sk_bound_dev_if) {
			*optlen = 0;
			return 0;
		}
		if (len < IFNAMSIZ)
			return -EINVAL;
		name = netdev_get_name(sock_net(sk), sk->sk_bound_dev_if);
		if (!name)
			return -ENODEV;
		*optlen = (int)strlen(name) + 1;
		memcpy(optval, name, (size_t)*optlen);
		return 0;
	}
	case SO_BINDTOIFINDEX:
		v.val = sk->sk_bound_dev_if;
		break;
	case SO_SELECT_ERR_QUEUE:
		v.val = sock_flag(sk, SOCK_SELECT_ERR_QUEUE);
		break;
	case SO_ZEROCOPY:
		v.val = sock_flag(sk, SOCK_ZEROCOPY);
		break;
	case SO_GET_FILTER:
		/* sk_get_filter: the lengths count instructions, not bytes. */
		len = sk_get_filter(sk, optval, (unsigned int)len);
		if (len < 0)
			return len;
		*optlen = len;
		return 0;
	case SO_LOCK_FILTER:
		v.val = sock_flag(sk, SOCK_FILTER_LOCKED);
		break;
	case SO_NOFCS:
		v.val = sock_flag(sk, SOCK_NOFCS);
		break;
	case SO_WIFI_STATUS:
		v.val = sock_flag(sk, SOCK_WIFI_STATUS);
		break;
	case SO_RCVMARK:
		v.val = sock_flag(sk, SOCK_RCVMARK);
		break;
	case SO_RCVPRIORITY:
		v.val = sock_flag(sk, SOCK_RCVPRIORITY);
		break;
	case SO_BUSY_POLL:
		v.val = sk->sk_ll_usec;
		break;
	case SO_PREFER_BUSY_POLL:
		v.val = sk->sk_prefer_busy_poll;
		break;
	case SO_INCOMING_CPU:
		v.val = sk->sk_incoming_cpu;
		break;
	case SO_INCOMING_NAPI_ID:
		v.val = 0; /* no NAPI context delivered it */
		break;
	case SO_BPF_EXTENSIONS:
		v.val = SKF_AD_MAX; /* bpf_tell_extensions: all of them (filter.c) */
		break;
	case SO_BUF_LOCK:
		v.val = sk->sk_userlocks & SOCK_BUF_LOCK_MASK;
		break;
	case SO_RESERVE_MEM:
		v.val = 0; /* nothing can be reserved (setsockopt) */
		break;
	case SO_TXREHASH:
		if (sk->sk_protocol != IPPROTO_TCP || sk->sk_type != SOCK_STREAM)
			return -EOPNOTSUPP;
		v.val = sk->sk_txrehash;
		break;
	case SO_TXTIME:
		lv = (int)sizeof(struct sock_txtime_val);
		memcpy(v.tv, &(struct sock_txtime_val){sk->sk_clockid, sk->sk_txtime_flags},
		       (size_t)lv);
		break;
	case SO_MEMINFO: {
		/* sk_get_meminfo: SK_MEMINFO_VARS counters, as the stack keeps them (FWD_ALLOC:
		 * TCP's). */
		uint32_t mi[9] = {(uint32_t)sk->sk_rmem_alloc,
				  (uint32_t)sk->sk_rcvbuf,
				  0,
				  (uint32_t)sk->sk_sndbuf,
				  (uint32_t)sk->sk_forward_alloc,
				  (uint32_t)sk->sk_wmem_queued,
				  0,
				  0,
				  sk->sk_drops};

		lv = (int)sizeof(mi);
		if (len > lv)
			len = lv;
		memcpy(optval, mi, (size_t)len);
		*optlen = len;
		return 0;
	}
	case SO_PEERGROUPS:
	case SO_PEERPIDFD:
		return -ENODATA; /* an inet socket has no peer credentials */
	case SO_PASSPIDFD:
	case SO_PASSRIGHTS:
		return -EOPNOTSUPP;
	default:
		/* We implement the SO_SNDLOWAT etc to not be settable (1003.1g 7). */
		return -ENOPROTOOPT;
	}

	if (len > lv)
		len = lv;
	memcpy(optval, &v, (size_t)len);
	*optlen = len;
	return 0;
}
