/* SPDX-License-Identifier: MIT */
/*
 * struct net: one instance of the network stack, i.e. one (namespace,
 * interface, address) in sockshim terms. It holds the sysctls, the device,
 * the neighbour (ARP) table, the protocol tables, the counters, the timers and
 * the clock. Protocol code reads the time from net->now and never asks the OS,
 * so a test can drive hours of timers in microseconds (smoltcp's rule).
 */
#ifndef SOCKSHIM_NET_NAMESPACE_H
#define SOCKSHIM_NET_NAMESPACE_H

#include <stdbool.h>
#include <stdint.h>

#include "list.h"
#include "skbuff.h"
#include "snmp.h"
#include "timer.h"

struct net_device;
struct neigh_table;
struct inet_hashinfo;
struct udp_table;
struct cred;
struct in_device;
struct sock;

/* The sysctls the stack consults: the kernel's defaults, or what the owner read from /proc/sys. */
struct netns_sysctl {
	int rmem_default, wmem_default, rmem_max, wmem_max; /* net.core */
	int somaxconn;
	int tcp_rmem[3], tcp_wmem[3]; /* net.ipv4.tcp_rmem / tcp_wmem */
	int ip_local_port_range[2];
	int ip_unprivileged_port_start;
	uint32_t ping_group_range[2]; /* gid range; [1] < [0] means nobody */
	int ip_default_ttl;
	int ip_no_pmtu_disc;
	int ip_rt_min_pmtu;    /* net.ipv4.route.min_pmtu */
	int ip_rt_mtu_expires; /* net.ipv4.route.mtu_expires, s */
	int tcp_fin_timeout;   /* s */
	int tcp_syn_retries;
	int tcp_synack_retries;
	int tcp_retries2;
	int tcp_keepalive_time, tcp_keepalive_intvl, tcp_keepalive_probes; /* s, s, count */
	int tcp_max_syn_backlog;
	int tcp_timestamps, tcp_window_scaling, tcp_sack, tcp_dsack;
	int tcp_challenge_ack_limit; /* per second and namespace; INT_MAX = no limit */
	int tcp_invalid_ratelimit;   /* ms between ACKs answering out-of-window segments */
	int tcp_syncookies;	     /* 0 never, 1 when the SYN queue is full, 2 always */
	int tcp_comp_sack_nr;	     /* ACKs SACK compression may hold back, 0 = off */
	long tcp_comp_sack_delay_ns; /* the longest it holds one */
	int tcp_moderate_rcvbuf;     /* receive-buffer autotuning (tcp_rcv_space_adjust) */
	int tcp_stdurg;		     /* 1: the urgent pointer names the urgent byte (RFC 1122) */
	int tcp_live_read[38];	     /* what /proc said last, for refresh_tcp */
	unsigned int tcp_live_batch; /* the whens read in this batch (TCP_SYSCTL_BATCHED) */
	/*
	 * Called, if set, where the kernel reads TCP sysctls (TCP_SYSCTL_*):
	 * those read there that changed in the namespace since they were last
	 * read take the new value, so a sysctl -w reaches the next socket,
	 * connect() or listen() as in the kernel. The owner sets it
	 * (preload/common/sysctl_proc.c says which sysctl is read where).
	 */
	void (*refresh_tcp)(struct netns_sysctl *s, unsigned int when);
	/* TCP Fast Open: net.ipv4.tcp_fastopen's TFO_* bits, read live as the option sysctls. */
	int tcp_fastopen;
	int tcp_ecn; /* 0 off, 1 request and accept, 2 accept only (RFC 3168) */
	/* net.ipv4.tcp_fastopen_key as /proc spells it; "" or all zeros: the stack's own. */
	char tcp_fastopen_key[80];
	int tcp_recovery;      /* bit 0: RACK loss detection (else RFC 6675's DupThresh) */
	int tcp_early_retrans; /* 3 or 4: tail loss probes */
	int tcp_frto;	       /* F-RTO (RFC 5682) after a timeout: 0 off */
	/*
	 * tp->reordering's start (tcp_reordering, read at socket() and at a
	 * timeout) and ceiling (tcp_max_reordering, read where tcp_dsack is).
	 */
	int tcp_reordering, tcp_max_reordering;
	int tcp_notsent_lowat; /* unsigned in /proc: -1 is UINT_MAX, no mark */
	/* tcp_congestion_control and tcp_allowed_congestion_control, as /proc spells them. */
	char tcp_congestion_control[16];
	char tcp_allowed_congestion_control[256];
	char tcp_cc_live_read[2][256]; /* what /proc said last of the two */
	int udp_rmem_min, udp_wmem_min;
	int ip_nonlocal_bind;
	/* Multicast: net.ipv4.igmp_*, conf.all.force_igmp_version, the device's intervals (ms). */
	int igmp_max_memberships, igmp_max_msf, igmp_qrv, igmp_llm_reports;
	int force_igmp_version;
	int igmpv2_unsolicited_report_interval, igmpv3_unsolicited_report_interval;
	int optmem_max; /* net.core.optmem_max: the longest option value */
	/*
	 * The kernel's tick rate (CONFIG_HZ): SO_RCVTIMEO/SO_SNDTIMEO are kept
	 * in jiffies, so the value read back is rounded up to a tick.
	 */
	int hz;
	/*
	 * Ephemeral ports (with ip_local_port_range, read again at each port
	 * search through refresh_ports): net.ipv4.ip_local_reserved_ports as
	 * a bitmap (bind(0) and connect() skip them), tcp_tw_reuse (0, 1, 2 =
	 * loopback only) and tcp_tw_reuse_delay (ms in TIME_WAIT before
	 * connect()'s search may take the 4-tuple).
	 */
	uint64_t ip_local_reserved_ports[65536 / 64];
	int tcp_tw_reuse, tcp_tw_reuse_delay;
	/*
	 * Called, if set, when bind() or connect() searches a port (tw false:
	 * the range and the reserved ports), and when a search meets a
	 * TIME_WAIT 4-tuple (tw true: tcp_tw_reuse and its delay).
	 */
	void (*refresh_ports)(struct netns_sysctl *s, bool tw);
	/*
	 * Called, if set, where the kernel sets a per-device IPv4 setting
	 * itself (IN_DEV_CONF_SET, IPV4_DEVCONF_ALL): writes
	 * net.ipv4.conf.DEV.NAME (dev NULL: "all") in the namespace, so that
	 * it reads back as the kernel's would; 0 or -errno.
	 */
	int (*set_devconf)(const char *dev, const char *name, int value);
	/*
	 * PLPMTUD (tcp_mtu_probe.c), read live as the option sysctls:
	 * tcp_mtu_probing (0 off, 1 after a black hole, 2 always), the MSS a
	 * search starts from and the least it falls to, the range below which
	 * it stops, s before it starts again; tcp_retries1, the black hole's
	 * timeouts.
	 */
	int tcp_mtu_probing, tcp_base_mss, tcp_mtu_probe_floor, tcp_min_snd_mss;
	int tcp_probe_threshold, tcp_probe_interval, tcp_retries1;
	/*
	 * The retry limits and RTO bounds (tcp_timer.c), read live
	 * (refresh_tcp: the limits at a timeout, the bounds at socket()):
	 * an orphan's retries (0 = 8 while the RTO is below its ceiling), how
	 * many first SYN timeouts do not back off, linear timeouts for every
	 * thin stream, a new socket's RTO floor (us) and ceiling (ms).
	 */
	int tcp_orphan_retries, tcp_syn_linear_timeouts, tcp_thin_linear_timeouts;
	int tcp_rto_min_us, tcp_rto_max_ms;
	/*
	 * net.ipv4.tcp_max_orphans (the kernel's is global, not per
	 * namespace): past it, closing or timing out an orphan resets it
	 * (tcp_out_of_resources); the stack counts its own orphans.
	 */
	int tcp_max_orphans;
	/*
	 * net.ipv4.tcp_tso_win_divisor: a frame the windows cut short waits
	 * for more room unless it is this fraction of a window (0: more than
	 * three segments) (tcp_tso_should_defer).
	 */
	int tcp_tso_win_divisor;
	/*
	 * net.ipv4.tcp_min_tso_segs (at least 1): the fewest segments a GSO frame
	 * is sized for, whatever the pacing rate (tcp_tso_autosize).
	 */
	int tcp_min_tso_segs;
	/*
	 * net.ipv4.tcp_mem (pages; global in the kernel, the stack's own pool
	 * here): below [0] no pressure, above [1] pressure, above [2] no more
	 * (sock_mem.c). Read live at connect(), when a child is made, and at
	 * tcp_check_oom, not at each charge (the kernel's is a memory read).
	 */
	int tcp_mem[3];
	/*
	 * net.ipv4.tcp_app_win (0-31): 1/2^tcp_app_win of the window is kept
	 * for the application (tcp_init_buffer_space), at least one segment;
	 * 0 keeps none. Read live at connect() and when a child is made.
	 */
	int tcp_app_win;
	/*
	 * The metrics cache (tcp_metrics.c): tcp_no_metrics_save 1 keeps no
	 * connection's values, tcp_no_ssthresh_metrics_save 1 (the default)
	 * neither keeps nor uses ssthresh. Read live at connect(), when a
	 * child is made, and at close().
	 */
	int tcp_no_metrics_save, tcp_no_ssthresh_metrics_save;
};

/* Where the kernel reads a TCP sysctl: refresh_tcp's when (a mask). */
enum {
	TCP_SYSCTL_CREATE = 1 << 0,   /* tcp_init_sock: the congestion control */
	TCP_SYSCTL_CONNECT = 1 << 1,  /* connect(): the SYN, its retries, the MSS */
	TCP_SYSCTL_LISTEN = 1 << 2,   /* listen() and each segment to it: what a SYN-ACK uses */
	TCP_SYSCTL_CONG = 1 << 3,     /* setsockopt(TCP_CONGESTION): the allowed list */
	TCP_SYSCTL_FASTOPEN = 1 << 4, /* a Fast Open send or TCP_FASTOPEN_CONNECT */
	TCP_SYSCTL_RTO = 1 << 5,    /* a retransmission timeout: retry limits, F-RTO, black holes */
	TCP_SYSCTL_SYNCNT = 1 << 6, /* getsockopt(TCP_SYNCNT): tcp_syn_retries */
	TCP_SYSCTL_FIN = 1 << 7,    /* tcp_fin_time: close(), FIN_WAIT2, TCP_LINGER2 */
	TCP_SYSCTL_ORPHAN = 1 << 8, /* tcp_check_oom: close(), an orphan's timeout */
	/*
	 * With the others: asked for by one of a batch of like work (each
	 * segment the host received in one read from its link, each timer of
	 * one run), which may share one read of the files: the host clears
	 * tcp_live_batch before each batch. A SYN flood otherwise cost one read
	 * per file per SYN, most of the host's time.
	 */
	TCP_SYSCTL_BATCHED = 1 << 9,
	/*
	 * A listener's child being made (a SYN it queues, a cookie's ACK), and
	 * listen(): what only the child takes. Apart from TCP_SYSCTL_LISTEN so
	 * that a flood answered with SYN cookies, which makes no child, reads
	 * only what the cookie SYN-ACK takes (the reads were a tenth of the
	 * host's time in a flood).
	 */
	TCP_SYSCTL_CHILD = 1 << 10,
	/*
	 * An out-of-window answer that a previous one may hold back
	 * (__tcp_oow_rate_limited): tcp_invalid_ratelimit, with
	 * TCP_SYSCTL_BATCHED, so a flood of such segments costs one read
	 * per batch.
	 */
	TCP_SYSCTL_OOW = 1 << 11,
	/*
	 * A segment to a listener that carries TCP options or ECE and CWR:
	 * the switches its options are read against (tcp_timestamps,
	 * tcp_sack, tcp_window_scaling, tcp_ecn), which the kernel reads only
	 * for an option present. A flood of bare SYNs answered with cookies
	 * reads one file per batch (tcp_syncookies), not six.
	 */
	TCP_SYSCTL_SYNOPT = 1 << 12,
};

static inline void tcp_sysctl_refresh(struct netns_sysctl *s, unsigned int when)
{
	if (s->refresh_tcp)
		s->refresh_tcp(s, when);
}

struct net {
	struct netns_sysctl sysctl;

	/* Identity of this stack: its own address, prefix, gateway and MAC. */
	uint32_t addr;	  /* network order */
	uint32_t netmask; /* network order */
	uint32_t gateway; /* network order, 0 = none */
	uint8_t mac[6];

	uint64_t now;		 /* ns, the stack clock; advanced by the owner before each call */
	int64_t realtime_offset; /* ns, CLOCK_REALTIME minus the stack clock (SO_TIMESTAMP) */

	struct net_device *dev;
	struct neigh_table *arp_tbl;
	struct inet_hashinfo *tcp_hashinfo;
	struct udp_table *udp_table;
	struct udp_table *udplite_table;
	void *ping_table;
	void *raw_table;
	struct in_device *in_dev; /* multicast groups and IGMP state (igmp.c) */

	struct timer_base timers;
	struct net_mib mib;
	/* TCP sockets closed by their owners and still alive (the kernel's tcp_orphan_count). */
	unsigned int tcp_orphan_count;
	/*
	 * TCP's memory pool (sock_mem.c): pages the sockets took
	 * (tcp_memory_allocated), when pressure began (ns, 0: none; the
	 * kernel's tcp_memory_pressure holds jiffies), the TCP sockets alive
	 * (tcp_sockets_allocated: the fair share under pressure).
	 */
	long tcp_memory_allocated;
	uint64_t tcp_memory_pressure;
	unsigned int tcp_sockets_allocated;
	/*
	 * The kernel's rate-limited net_info lines ("out of memory -- consider
	 * tuning tcp_mem"): the owner points it at its trace; NULL: none.
	 * net_ratelimit's state: 10 lines per 5 s.
	 */
	void (*net_info)(struct net *net, const char *msg);
	uint64_t net_info_begin;
	unsigned int net_info_printed;

	uint32_t isn_secret[4]; /* for secure_tcp_seq(), filled from getrandom at init */
	/*
	 * secure_tcp_seq() and secure_tcp_ts_off()'s key (the kernel's
	 * net_secret and ts_secret): random at init; an owner may replace it
	 * before the first socket with one that lives longer (the boot's).
	 */
	uint32_t tcp_secret[4];
	uint16_t ip_id_next;
	/* RFC 5961 challenge ACKs left this second (tcp_challenge_ack_limit). */
	uint64_t tcp_challenge_timestamp; /* s */
	uint32_t tcp_challenge_count;

	/*
	 * Whose call this is (current_cred() in the kernel): set by the owner
	 * before each call into the socket layer; NULL = kernel context.
	 */
	const struct cred *current_cred;

	/*
	 * The owner's socket hook: told when a struct sock of this stack is
	 * freed, which may be long after its socket was released (FIN_WAIT,
	 * TIME_WAIT), so that the owner can count what still lives inside.
	 * The per-socket events are the kernel's sk_data_ready & co. NULL: none.
	 */
	void (*sk_owner_free)(struct sock *sk);

	/*
	 * Packets to the stack's own address (or 127/8) are not sent but queued
	 * here and received from a timer due at once, as the kernel's loopback
	 * device defers them through netif_rx: the sender's call returns before
	 * the receiver runs, so no layer re-enters itself.
	 */
	struct sk_buff_head loopback_queue;
	struct timer_list loopback_timer;
	/* ICMP error rate limits (icmp.c): the global bucket and one per peer. */
	uint64_t icmp_global_credit, icmp_global_stamp;
	struct icmp_ratelimit_peer {
		uint32_t daddr;
		uint64_t tokens, last; /* ns of credit, last refill */
	} icmp_peers[16];
	/* Path MTUs learnt from ICMP fragmentation-needed (route.c). */
	struct ip_pmtu_exc {
		uint32_t daddr;
		uint16_t mtu; /* 0: free */
		bool locked;  /* below min_pmtu: raised to it, no DF from PMTUDISC_WANT */
		uint64_t expires;
	} pmtu[32];
	/* IPv4 reassembly queues (ip_fragment.c) and the bytes they hold. */
	struct ipq *ipfrags;
	uint64_t ipfrag_mem;
	/* TCP Fast Open: the keys and the client's cookie cache (tcp_fastopen.c). */
	struct tcp_fastopen_net *tfo;
	/* The per-destination metrics cache (tcp_metrics.c), made with its first entry. */
	struct tcp_metrics_net *tcp_metrics;
};

/* A line for net->net_info, at most 10 per 5 s as net_info_ratelimited. */
void net_info_ratelimited(struct net *net, const char *msg);

/* Fills sysctl with the kernel's compiled-in defaults (no file is read). */
void net_sysctl_init(struct netns_sysctl *s);

/*
 * Brings up a stack on dev with the given identity. dev may be NULL for a
 * registry-only instance (the interposer creates sockets there but never
 * sends). net must be zeroed, except that the caller may fill net->sysctl
 * beforehand (tests tweak it): when net->sysctl.ip_default_ttl is 0,
 * net_init fills it with net_sysctl_init(). Sends a gratuitous ARP when dev
 * is set. Returns 0 or -errno.
 */
int net_init(struct net *net, struct net_device *dev, uint32_t addr, uint32_t netmask,
	     uint32_t gateway, const uint8_t mac[6], uint64_t now);
void net_exit(struct net *net);

/* Entry points for the owner's event loop. */
void net_set_time(struct net *net, uint64_t now);
/*
 * The owner's entry into the stack: the clock to now and whose call this is
 * (cred; NULL for the stack's own work: timers, frames, pumping data). Every
 * call into the stack is preceded by one.
 */
void net_enter(struct net *net, uint64_t now, const struct cred *cred);
/* A frame arrived from the link (Ethernet header at skb->data); consumes skb. */
void netif_receive_skb(struct net *net, struct sk_buff *skb);
/* Runs every timer due at net->now. */
void net_run_timers(struct net *net);
/* Absolute time of the next timer, UINT64_MAX if none. */
uint64_t net_next_timer(const struct net *net);

#endif
