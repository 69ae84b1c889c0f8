// SPDX-License-Identifier: MIT
/*
 * TCP over IPv4 (net/ipv4/tcp_ipv4.c): tcp_prot, the receive demultiplexer
 * (checksum, established then listening lookup, RST for segments no socket
 * wants), connect(), the passive child creation, resets, ICMP errors and the
 * per-stack tables.
 *
 * What this is not: request_sock mini-sockets (a SYN gets a full child
 * tcp_sock until the SYN queue is full, then a SYN cookie: tcp_syncookies.c),
 * per-route metrics (the per-destination cache is tcp_metrics.c's, Fast
 * Open's cookies tcp_fastopen.c's).
 * TCP-MD5's keys and signatures are tcp_md5.c's; here they are checked
 * before a socket sees a segment, and a child takes its listener's key.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "filter.h"
#include "igmp.h"
#include "inet_hashtables.h"
#include "ip.h"
#include "net_namespace.h"
#include "netdevice.h"
#include "tcp.h"
#include "tcp_md5.h"

#ifndef CHECKSUM_UNNECESSARY
#define CHECKSUM_UNNECESSARY 1
#endif

/* RFC 6528: ISN = clock + keyed hash of the 4-tuple (secure_tcp_seq). */
static uint32_t secure_tcp_seq(const struct net *net, uint32_t saddr, uint32_t daddr,
			       uint16_t sport, uint16_t dport)
{
	uint64_t h = ((uint64_t)saddr << 32 | daddr) ^ net->tcp_secret[0];

	h ^= ((uint64_t)sport << 16 | dport | (uint64_t)net->tcp_secret[1] << 32);
	h *= 0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	h ^= net->tcp_secret[2];
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	/* The clock ticks every 64 ns, as the kernel's. */
	return (uint32_t)h + (uint32_t)(net->now >> 6);
}

int tcp_v4_init_sock(struct sock *sk)
{
	struct netns_sysctl *sysctl = &sock_net(sk)->sysctl;

	tcp_sysctl_refresh(sysctl, TCP_SYSCTL_CREATE);
	tcp_init_sock(sk);
	return 0;
}

void tcp_v4_destroy_sock(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tcp_clear_xmit_timers(sk);
	tcp_fastopen_child_done(sk); /* freed with no tcp_done: off its listener's list */
	tcp_fastopen_forget_children(sk);
	tcp_saved_syn_free(tp);
	free(tp->tx_marks);
	tp->tx_marks = NULL;
	tp->tx_marks_n = 0;
	__skb_queue_purge(&sk->sk_write_queue);
	/* Every page back to the pool (sk_stream_kill_queues, inet_sock_destruct). */
	tcp_wmem_uncharge(sk, sk->sk_wmem_queued);
	tcp_rmem_purge(sk);
	sock_net(sk)->tcp_sockets_allocated--;
	tp->send_head = NULL;
	tp->retransmit_hint = NULL;
	INIT_LIST_HEAD(&tp->tsorted_sent_queue);
	tp->sack_hint = NULL;
	tcp_md5_destroy_sock(sk);
}

void tcp_done_free(struct sock *sk)
{
	inet_csk_unlink_child(sk);
	tcp_v4_destroy_sock(sk);
	inet_unhash(sk);
	inet_put_port(sk);
	sk_free(sk);
}

static bool ipv4_is_loopback(uint32_t addr)
{
	return (ntohl(addr) >> 24) == 127;
}

bool tcp_twsk_unique(struct sock *sk, const struct sock *sktw, bool searched)
{
	const struct tcp_sock *tw = tcp_sk(sktw);
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	int reuse;
	uint32_t seq;

	/* The kernel reads these two here, when a 4-tuple is in TIME_WAIT. */
	if (net->sysctl.refresh_ports)
		net->sysctl.refresh_ports(&net->sysctl, true);
	reuse = net->sysctl.tcp_tw_reuse;

	/* 2: loopback connections only (127/8, which the interposer hands to the kernel). */
	if (reuse == 2 && !ipv4_is_loopback(sktw->sk_daddr) &&
	    !ipv4_is_loopback(sktw->sk_rcv_saddr))
		reuse = 0;
	/*
	 * With PAWS (the peer's timestamps) an old duplicate cannot pass for
	 * the new connection's; without, only after TIME_WAIT.
	 */
	if (!tw->rx_opt.ts_recent_stamp)
		return false;
	if (searched &&
	    (!reuse || net->now <= tw->tw_entry_stamp + (uint64_t)net->sysctl.tcp_tw_reuse_delay *
								NSEC_PER_MSEC))
		return false;
	seq = tw->snd_nxt + 65535 + 2;
	tp->iss = seq ? seq : 1;
	tp->rx_opt.ts_recent = tw->rx_opt.ts_recent;
	tp->rx_opt.ts_recent_stamp = tw->rx_opt.ts_recent_stamp;
	return true;
}

int tcp_v4_connect(struct sock *sk, const struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_in *usin = (const struct sockaddr_in *)uaddr;
	struct inet_sock *inet = inet_sk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	struct tcp_fastopen_request fo = {.cookie.len = -1};
	uint32_t daddr, saddr, nexthop;
	int err;

	if (addr_len < (int)sizeof(struct sockaddr_in))
		return -EINVAL;
	if (usin->sin_family != AF_INET)
		return -EAFNOSUPPORT;
	tcp_sysctl_refresh(&net->sysctl, TCP_SYSCTL_CONNECT);
	daddr = usin->sin_addr.s_addr;
	/* A source route (IP_OPTIONS) needs its last hop and is routed to its first. */
	if (inet->inet_opt.opt.srr && !daddr)
		return -EINVAL;
	if (!daddr)
		daddr = net->addr; /* connect to 0.0.0.0 means this host, as in Linux */
	saddr = inet->inet_saddr;
	/* ip_route_connect's flow names the bound device: gone (or never there), ENODEV. */
	if (sk->sk_bound_dev_if && !dev_index_valid(net, sk->sk_bound_dev_if))
		return -ENODEV;
	err = ip_route_output(net, ip_options_first_hop(&inet->inet_opt, daddr), &saddr, &nexthop);
	if (err)
		return err;
	/* tcp_v4_connect: a route flagged RTCF_MULTICAST or RTCF_BROADCAST. */
	if (ipv4_is_multicast(ip_options_first_hop(&inet->inet_opt, daddr)) ||
	    ip_addr_is_broadcast(net, ip_options_first_hop(&inet->inet_opt, daddr)))
		return -ENETUNREACH;
	if (inet->was_listener)
		return -EINVAL; /* after the route: unreachable is still ENETUNREACH */
	/*
	 * inet_bhash2_update_saddr: the route's source becomes the bound one
	 * too, also where bind() named a multicast or broadcast address (kept
	 * in sk_rcv_saddr, inet_saddr 0): the replies come to the source.
	 */
	if (!inet->inet_saddr) {
		inet->inet_saddr = saddr;
		sk->sk_rcv_saddr = saddr;
	}
	sk->sk_dport = usin->sin_port;
	sk->sk_daddr = daddr;

	tcp_set_state(sk, TCP_SYN_SENT);
	/* A 4-tuple taken from TIME_WAIT sets both (tcp_twsk_unique). */
	tp->iss = 0;
	tp->rx_opt.ts_recent = 0;
	tp->rx_opt.ts_recent_stamp = 0;
	err = inet_hash_connect(sk);
	if (err)
		goto failure;
	/*
	 * Repair mode keeps the sequence numbers and clock offset it restored;
	 * after a disconnect the ISN is where tcp_disconnect left write_seq.
	 */
	if (!tp->iss && !tp->repair)
		tp->iss = tp->write_seq ? tp->write_seq
					: secure_tcp_seq(net, inet->inet_saddr, daddr,
							 inet->inet_sport, sk->sk_dport);
	if (!tp->repair)
		tp->tsoffset = secure_tcp_ts_off(net, inet->inet_saddr, daddr);
	inet->was_connector = 1;
	/* TCP_FASTOPEN_CONNECT with a cookie: the first write sends the SYN. */
	if (tcp_fastopen_defer_connect(sk, &fo))
		return 0;
	err = tcp_connect(sk);
	if (tp->fastopen_req == &fo)
		tp->fastopen_req = NULL;
	if (err)
		goto failure;
	return 0;

failure:
	/* The kernel's tcp_v4_connect failure path: back to CLOSE, no peer. */
	tcp_set_state(sk, TCP_CLOSE);
	sk->sk_dport = 0;
	sk->sk_daddr = 0;
	return err;
}

/*
 * RFC 7323 5.4: each pair of hosts sees its own timestamp clock offset, so
 * that the clock reveals neither uptime nor other connections. Keyed on
 * the addresses only, as the kernel's (tcp_timestamps = 1); 2 means none.
 */
uint32_t secure_tcp_ts_off(const struct net *net, uint32_t saddr, uint32_t daddr)
{
	uint64_t h;

	if (net->sysctl.tcp_timestamps != 1)
		return 0;
	h = ((uint64_t)saddr << 32 | daddr) ^ net->tcp_secret[3];
	h *= 0x9e3779b97f4a7c15ull;
	h ^= h >> 31;
	h ^= (uint64_t)net->tcp_secret[1] << 17;
	h *= 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h ^ h >> 32);
}

static void tcp_sk_noop(struct sock *sk)
{
}

/*
 * The child of a listener for the connection skb belongs to
 * (tcp_create_openreq_child), in SYN_RECV on the listener's SYN queue: what
 * the SYN said is in opt, our ISN is iss, the peer's irs.
 */
struct sock *tcp_v4_create_child(struct sock *parent, const struct sk_buff *skb,
				 const struct tcp_options_received *opt, uint32_t iss, uint32_t irs)
{
	const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct tcp_sock *ptp = tcp_sk(parent);
	struct net *net = sock_net(parent);
	const struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	struct tcp_sock *tp;
	struct sock *sk;

	sk = sk_alloc(net, AF_INET, &tcp_prot);
	if (!sk)
		return NULL;
	sock_init_data(NULL, sk);
	tcp_init_sock(sk);
	tp = tcp_sk(sk);
	/* What sk_clone copies from the listener. */
	tp->reordering = ptp->reordering;
	sk->sk_type = parent->sk_type;
	sk->sk_protocol = parent->sk_protocol;
	sk->sk_reuse = parent->sk_reuse;
	sk->sk_userlocks = parent->sk_userlocks & ~SOCK_BINDPORT_LOCK;
	/* sock_copy copies every option flag; the life-cycle ones are the child's own. */
	sk->sk_flags =
		parent->sk_flags & ~((1u << SOCK_DEAD) | (1u << SOCK_DONE) | (1u << SOCK_DESTROY) |
				     (1u << SOCK_ZAPPED) | (1u << SOCK_TX_TSTAMPED));
	/* The socket filter too, locked or not (sk_clone_lock). */
	sk_filter_clone(sk, parent);
	sk->sk_rcvbuf = parent->sk_rcvbuf;
	sk->sk_sndbuf = parent->sk_sndbuf;
	sk->sk_lingertime = parent->sk_lingertime;
	sk->sk_max_pacing_rate = parent->sk_max_pacing_rate;
	/*
	 * Not sk_priority: the kernel here gives an accepted socket 0 whatever
	 * the listener's SO_PRIORITY or IP_TOS (test_accept_inherit.sh).
	 */
	sk->sk_mark = parent->sk_mark;
	sk->sk_rcvlowat = parent->sk_rcvlowat;
	sk->sk_rcvtimeo = parent->sk_rcvtimeo;
	sk->sk_sndtimeo = parent->sk_sndtimeo;
	sk->sk_bound_dev_if = parent->sk_bound_dev_if;
	inet_sk(sk)->was_connector = 1; /* connected: no listen() after a disconnect */
	inet_sk(sk)->tos = inet_sk(parent)->tos;
	inet_sk(sk)->uc_ttl = inet_sk(parent)->uc_ttl;
	inet_sk(sk)->pmtudisc = inet_sk(parent)->pmtudisc;
	inet_sk(sk)->cmsg_flags = inet_sk(parent)->cmsg_flags;
	inet_sk(sk)->recverr = inet_sk(parent)->recverr;
	tp->nonagle = ptp->nonagle;
	tp->keepalive_time = ptp->keepalive_time;
	tp->keepalive_intvl = ptp->keepalive_intvl;
	tp->keepalive_probes = ptp->keepalive_probes;
	tp->linger2 = ptp->linger2;
	tp->user_timeout = ptp->user_timeout;
	tp->syn_retries = ptp->syn_retries;
	tp->rto_min = ptp->rto_min;
	tp->rto_max = ptp->rto_max;
	tp->delack_max = ptp->delack_max;
	tp->thin_lto = ptp->thin_lto;
	tp->rx_opt.user_mss = ptp->rx_opt.user_mss;
	tp->recvmsg_inq = ptp->recvmsg_inq;
	tp->notsent_lowat = ptp->notsent_lowat;
	tcp_saved_syn_record(sk, parent, skb);
	/* tcp_ca_openreq_child: an algorithm the listener chose stays, else the default. */
	if (ptp->ca_setsockopt) {
		tp->ca_ops = ptp->ca_ops;
		tp->ca_setsockopt = true;
	}
	/* No owner until accept(): callbacks go nowhere, TCP owns it (SOCK_DEAD). */
	sk->sk_state_change = tcp_sk_noop;
	sk->sk_data_ready = tcp_sk_noop;
	sk->sk_write_space = tcp_sk_noop;
	sk->sk_error_report = tcp_sk_noop;
	sk->sk_owner_holds = false;
	sock_set_flag(sk, SOCK_DEAD);

	sk->sk_daddr = iph->saddr;
	sk->sk_dport = th->source;
	sk->sk_rcv_saddr = iph->daddr;
	inet_sk(sk)->inet_saddr = iph->daddr;
	inet_inherit_port(parent, sk);
	/*
	 * tcp_v4_save_options: the connection answers with the options of the
	 * segment that made it (the SYN, or a SYN cookie's ACK) echoed, never
	 * the listener's; none if they cannot be echoed.
	 */
	if (ip_options_echo(net, skb, &cb->h4.opt, &inet_sk(sk)->inet_opt))
		memset(&inet_sk(sk)->inet_opt, 0, sizeof(inet_sk(sk)->inet_opt));

	tp->rx_opt = *opt;
	tp->rx_opt.user_mss = ptp->rx_opt.user_mss;
	{
		/* The window, clamp and shift the SYN-ACK offered (tcp_create_openreq_child). */
		uint32_t mss = tcp_mss_for_mtu(sk);
		struct tcp_rwin rw;

		if (tp->rx_opt.user_mss && tp->rx_opt.user_mss < mss)
			mss = tp->rx_opt.user_mss;
		tcp_openreq_init_rwin(parent, mss, tp->rx_opt.saw_tstamp, tp->rx_opt.wscale_ok,
				      &rw);
		tp->rx_opt.rcv_wscale = rw.rcv_wscale;
		tp->window_clamp = rw.window_clamp;
		tp->rcv_wnd = tp->rcv_ssthresh = rw.rcv_wnd;
	}
	tcp_wscale_settle(sk);
	/* tcp_openreq_init: the SYN's timestamp is the first TS.Recent. */
	tp->rx_opt.tstamp_ok = tp->rx_opt.saw_tstamp;
	/* The listener's key for this peer, for the child alone (tcp_v4_syn_recv_sock). */
	if (ptp->md5_nkeys && !tcp_md5_key_copy(sk, parent, iph->saddr)) {
		tcp_done_free(sk);
		return NULL;
	}
	/*
	 * tcp_synack_options: a signed SYN-ACK has no room for SACK blocks
	 * beside timestamps, so SACK wins; not for a SYN cookie's ACK.
	 */
	if (tp->md5_nkeys && th->syn)
		tp->rx_opt.tstamp_ok &= !tp->rx_opt.sack_ok;
	if (tp->rx_opt.tstamp_ok) {
		tp->rx_opt.ts_recent = tp->rx_opt.rcv_tsval;
		tp->rx_opt.ts_recent_stamp = net->now / NSEC_PER_SEC;
		tp->tcp_header_len = sizeof(struct tcphdr) + TCPOLEN_TSTAMP_ALIGNED;
	}
	if (tp->md5_nkeys)
		tp->tcp_header_len += TCPOLEN_MD5SIG_ALIGNED; /* tcp_create_openreq_child */
	tp->tsoffset = secure_tcp_ts_off(net, iph->daddr, iph->saddr);
	if (!tp->rx_opt.mss_clamp)
		tp->rx_opt.mss_clamp = TCP_MSS_DEFAULT;
	tp->irs = irs;
	tp->rcv_nxt = irs + 1;
	tp->copied_seq = tp->rcv_nxt;
	/* The SYN's window is never scaled; a cookie's ACK's is (tcp_create_openreq_child). */
	tp->snd_wnd = th->syn ? cb->window : (uint32_t)cb->window << tp->rx_opt.snd_wscale;
	tp->max_window = tp->snd_wnd;
	tp->snd_wl1 = irs;
	tp->advmss = (uint16_t)tcp_mss_for_mtu(sk);
	tcp_current_mss(sk);
	tp->iss = iss;
	tp->snd_una = tp->snd_nxt = tp->write_seq = tp->snd_sml = tp->iss;
	tp->snd_wl2 = tp->iss;
	tp->rcv_wup = tp->rcv_nxt;
	tcp_initialize_rcv_mss(sk);
	tp->rsk_rcv_wnd = tp->rcv_wnd;
	sk->sk_state = TCP_SYN_RECV;

	if (inet_ehash_insert(sk)) {
		tcp_done_free(sk);
		return NULL;
	}
	tp->parent = ptp;
	list_add_tail(&tp->accept_node, &ptp->syn_queue);
	reqsk_queue_added(ptp);
	return sk;
}

struct sock *tcp_v4_syn_recv_sock(struct sock *parent, struct sk_buff *skb,
				  const struct tcp_fastopen_cookie *foc, bool fastopen)
{
	const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct net *net = sock_net(parent);
	struct tcp_options_received opt = {.user_mss = tcp_sk(parent)->rx_opt.user_mss};
	struct sock *sk;

	tcp_parse_options(net, th, &opt, false, NULL);
	/* After TIME_WAIT, the ISN that TIME_WAIT chose: past the old incarnation's. */
	sk = tcp_v4_create_child(
		parent, skb, &opt,
		TCP_SKB_CB(skb)->tw_isn
			? TCP_SKB_CB(skb)->tw_isn
			: secure_tcp_seq(net, iph->daddr, iph->saddr, th->dest, th->source),
		TCP_SKB_CB(skb)->seq);
	if (sk) {
		tcp_ecn_create_request(sk, skb);
		tcp_fastopen_child_init(parent, sk, skb, foc, fastopen);
	}
	if (sk && tcp_send_synack(sk)) {
		tcp_done(sk);
		return NULL;
	}
	return sk;
}

/*
 * The key a RST to skb's sender is signed with (tcp_v4_send_reset): sk's
 * for the sender. With no socket, a signed segment is answered only if a
 * listener on the port the segment came from (sic, the kernel's lookup)
 * holds a key for the sender that verifies it; false: send nothing.
 */
static bool tcp_v4_reset_md5_key(struct net *net, const struct sock *sk, const struct sk_buff *skb,
				 const struct tcp_md5sig_key **key)
{
	const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(skb);
	const struct iphdr *iph = ip_hdr(skb);
	const uint8_t *hash_location;
	uint8_t newhash[16];

	*key = NULL;
	if (sk) {
		if (tcp_sk(sk)->md5_nkeys)
			*key = tcp_md5_do_lookup(sk, iph->saddr);
		return true;
	}
	hash_location = tcp_parse_md5sig_option(th);
	if (!hash_location)
		return true;
	sk = __inet_lookup_listener(net, iph->saddr, th->source, iph->daddr, th->source);
	if (!sk || !tcp_sk(sk)->md5_nkeys)
		return false;
	*key = tcp_md5_do_lookup(sk, iph->saddr);
	if (!*key)
		return false;
	tcp_v4_md5_hash_skb(newhash, *key, iph->saddr, iph->daddr, skb);
	return !memcmp(hash_location, newhash, sizeof(newhash));
}

/* A RST with addresses and ports from a received segment (tcp_v4_send_reset). */
void tcp_v4_send_reset(struct net *net, const struct sock *sk, const struct sk_buff *skb)
{
	const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(skb);
	const struct iphdr *iph = ip_hdr(skb);
	const struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	const struct tcp_md5sig_key *key;
	unsigned int hlen = sizeof(struct tcphdr);
	struct ip_options_data opt;
	struct sk_buff *nskb;
	struct tcphdr *rth;

	if (th->rst || ip_addr_is_broadcast(net, iph->daddr))
		return;
	if (!tcp_v4_reset_md5_key(net, sk, skb, &key))
		return;
	/* ip_send_unicast_reply: the segment's options echoed, or no answer. */
	if (ip_options_echo(net, skb, &cb->h4.opt, &opt))
		return;
	if (key)
		hlen += TCPOLEN_MD5SIG_ALIGNED;
	nskb = alloc_skb(hlen);
	if (!nskb)
		return;
	rth = (struct tcphdr *)skb_put(nskb, hlen);
	memset(rth, 0, hlen);
	rth->source = th->dest;
	rth->dest = th->source;
	rth->doff = (uint16_t)(hlen / 4);
	rth->rst = 1;
	/* RFC 9293 3.10.7.1: take the sequence from the ACK, else ack what came. */
	if (th->ack) {
		rth->seq = th->ack_seq;
	} else {
		rth->ack = 1;
		rth->ack_seq = htonl(cb->end_seq);
	}
	skb_reset_transport_header(nskb);
	if (key) {
		uint8_t *opt = (uint8_t *)(rth + 1);

		opt[0] = TCPOPT_NOP;
		opt[1] = TCPOPT_NOP;
		opt[2] = TCPOPT_MD5SIG;
		opt[3] = TCPOLEN_MD5SIG;
		tcp_v4_md5_hash_skb(opt + 4, key, iph->daddr, iph->saddr, nskb);
	}
	rth->check = csum_tcpudp_magic(iph->daddr, iph->saddr, hlen, IPPROTO_TCP,
				       csum_partial(rth, (int)hlen, 0));
	__TCP_INC_STATS(net, OutSegs);
	__TCP_INC_STATS(net, OutRsts);
	ip_build_and_send_pkt_opt(net, nskb, iph->daddr, iph->saddr, IPPROTO_TCP, 0, 0, 1, &opt);
}

int tcp_v4_rcv(struct net *net, struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct inet_skb_parm h4;
	struct tcp_skb_cb *cb;
	const struct tcphdr *th;
	unsigned int hlen;
	struct sock *sk;

	__TCP_INC_STATS(net, InSegs);
	if (skb->len < sizeof(struct tcphdr))
		goto bad_packet;
	th = (const struct tcphdr *)skb->data;
	hlen = tcp_hdrlen(th);
	if (hlen < sizeof(struct tcphdr) || hlen > skb->len)
		goto bad_packet;
	/* PARTIAL: built on this host, looped back unsummed (skb_csum_unnecessary). */
	if (skb->ip_summed != CHECKSUM_UNNECESSARY && skb->ip_summed != CHECKSUM_PARTIAL &&
	    csum_tcpudp_magic(iph->saddr, iph->daddr, skb->len, IPPROTO_TCP,
			      csum_partial(skb->data, (int)skb->len, 0))) {
		__TCP_INC_STATS(net, InCsumErrors);
		goto bad_packet;
	}
	skb_reset_transport_header(skb);
	h4 = *IPCB(skb);
	cb = TCP_SKB_CB(skb);
	memset(cb, 0, sizeof(*cb));
	cb->h4 = h4;
	cb->seq = ntohl(th->seq);
	cb->end_seq = cb->seq + th->syn + th->fin + (skb->len - hlen);
	cb->ack_seq = ntohl(th->ack_seq);
	cb->tcp_flags = tcp_flag_byte(th);
	cb->window = ntohs(th->window);

	sk = __inet_lookup_established(net, iph->saddr, th->source, iph->daddr, th->dest);
	if (!sk)
		sk = __inet_lookup_listener(net, iph->saddr, th->source, iph->daddr, th->dest);
	if (sk && tcp_inbound_md5_hash(sk, skb)) {
		kfree_skb(skb);
		return 0;
	}
	if (sk && sk->sk_state != TCP_TIME_WAIT && tcp_filter(sk, skb)) {
		kfree_skb(skb);
		return 0;
	}
	skb_pull(skb, hlen);
	if (sk && sk->sk_state == TCP_TIME_WAIT) {
		if (tcp_timewait_state_process(sk, skb) != TCP_TW_SYN)
			return 0;
		sk = NULL; /* the old incarnation is gone; a listener may take the SYN */
	}
	if (sk && sk->sk_state != TCP_LISTEN) {
		if (tcp_rcv_state_process(sk, skb)) {
			tcp_v4_send_reset(net, sk, skb);
			kfree_skb(skb);
		}
		return 0;
	}
	if (!sk)
		sk = __inet_lookup_listener(net, iph->saddr, th->source, iph->daddr, th->dest);
	if (sk) {
		if (tcp_rcv_listen(sk, skb)) {
			tcp_v4_send_reset(net, sk, skb);
			kfree_skb(skb);
		}
		return 0;
	}
	/* No socket: RFC 9293 3.10.7.1, answer with a RST (unless it is one). */
	tcp_v4_send_reset(net, NULL, skb);
	kfree_skb(skb);
	return 0;

bad_packet:
	__TCP_INC_STATS(net, InErrs);
	kfree_skb(skb);
	return 0;
}

/* ICMP destination unreachable codes to errno (net/ipv4/icmp.c: icmp_err_convert). */
static const struct {
	int err;
	bool fatal;
} icmp_err_convert[] = {
	{ENETUNREACH, false},  {EHOSTUNREACH, false}, {ENOPROTOOPT, true},  {ECONNREFUSED, true},
	{EMSGSIZE, false},     {EOPNOTSUPP, false},   {ENETUNREACH, true},  {EHOSTDOWN, true},
	{ENONET, true},	       {ENETUNREACH, true},   {EHOSTUNREACH, true}, {ENETUNREACH, false},
	{EHOSTUNREACH, false}, {EHOSTUNREACH, true},  {EHOSTUNREACH, true}, {EHOSTUNREACH, true},
};

/*
 * The path to the peer takes no more than mtu (tcp_v4_mtu_reduced): the
 * route remembers it, the MSS follows, and what was sent larger is resent
 * at once in smaller pieces (it was certainly dropped), unless the socket
 * ignores path MTU (IP_PMTUDISC_DONT, INTERFACE, OMIT): then the RTO does.
 */
static void tcp_v4_mtu_reduced(struct sock *sk, unsigned int mtu)
{
	struct net *net = sock_net(sk);
	uint8_t pmtudisc = inet_sk(sk)->pmtudisc;
	unsigned int old;

	if (sk->sk_state == TCP_CLOSE)
		return;
	old = ip_sk_mtu(sk, sk->sk_daddr); /* what the MSS was synced to (icsk_pmtu_cookie) */
	ip_rt_update_pmtu(net, sk->sk_daddr, mtu);
	/* Something is about to go wrong: keep a soft error if it cannot recover. */
	if (mtu < ip_dst_mtu_to(net, sk->sk_daddr) && ip_dont_fragment(sk) != IP_DF_NONE)
		sk->sk_err_soft = EMSGSIZE;
	mtu = ip_dst_mtu_to(net, sk->sk_daddr);
	if (pmtudisc != IP_PMTUDISC_DONT && pmtudisc != IP_PMTUDISC_INTERFACE &&
	    pmtudisc != IP_PMTUDISC_OMIT && old > mtu)
		tcp_simple_retransmit(sk);
}

void tcp_v4_err(struct net *net, struct sk_buff *skb, uint32_t info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	unsigned int type = info >> 8, code = info & 0xff, ihl;
	const struct tcphdr *th;
	struct tcp_sock *tp;
	struct sock *sk;
	uint32_t seq;
	int err;

	if (skb->len < sizeof(*iph))
		return;
	ihl = iph->ihl * 4u;
	if (skb->len < ihl + 8)
		return;
	th = (const struct tcphdr *)(skb->data + ihl);
	sk = __inet_lookup_established(net, iph->daddr, th->dest, iph->saddr, th->source);
	if (!sk || sk->sk_state == TCP_TIME_WAIT)
		return;
	tp = tcp_sk(sk);
	seq = ntohl(th->seq);
	if (sk->sk_state != TCP_LISTEN && !between(seq, tp->snd_una, tp->snd_nxt))
		return; /* not for anything in flight: forged or stale */
	switch (type) {
	case 3: /* ICMP_DEST_UNREACH */
		if (code >= sizeof(icmp_err_convert) / sizeof(icmp_err_convert[0]))
			return;
		if (code == 4) { /* ICMP_FRAG_NEEDED: path MTU discovery (RFC 1191) */
			int mtu = icmp_frag_mtu(net, skb);

			if (sk->sk_state != TCP_LISTEN && mtu >= 0)
				tcp_v4_mtu_reduced(sk, (unsigned int)mtu);
			return;
		}
		err = icmp_err_convert[code].err;
		break;
	case 11: /* ICMP_TIME_EXCEEDED */
		err = EHOSTUNREACH;
		break;
	case 12: /* ICMP_PARAMETERPROB */
		err = EPROTO;
		break;
	default:
		return;
	}
	if (sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_SYN_RECV) {
		sk->sk_err = err;
		if (!sock_flag(sk, SOCK_DEAD))
			sk->sk_error_report(sk);
		tcp_done(sk);
		return;
	}
	if (inet_sk(sk)->recverr) {
		sk->sk_err = err;
		sk->sk_error_report(sk);
	} else {
		sk->sk_err_soft = err;
	}
}

struct proto tcp_prot = {
	.name = "TCP",
	.obj_size = sizeof(struct tcp_sock),
	.close = tcp_close,
	.connect = tcp_v4_connect,
	.disconnect = tcp_disconnect,
	.accept = inet_csk_accept,
	.ioctl = tcp_ioctl,
	.init = tcp_v4_init_sock,
	.destroy = tcp_v4_destroy_sock,
	.shutdown = tcp_shutdown,
	.setsockopt = tcp_setsockopt,
	.getsockopt = tcp_getsockopt,
	.sendmsg = tcp_sendmsg,
	.recvmsg = tcp_recvmsg,
	.hash = inet_hash,
	.unhash = inet_unhash,
	.get_port = inet_csk_get_port,
	.keepalive = tcp_set_keepalive,
};

const struct net_protocol tcp_protocol = {
	.handler = tcp_v4_rcv,
	.err_handler = tcp_v4_err,
};

int tcp_net_init(struct net *net)
{
	return inet_hashinfo_init(net);
}

/* Frees what TCP still owns (orphans in FIN_WAIT/TIME_WAIT, unaccepted children). */
void tcp_net_exit(struct net *net)
{
	struct inet_hashinfo *h = net->tcp_hashinfo;

	tcp_fastopen_net_exit(net);
	tcp_metrics_net_exit(net);
	if (!h)
		return;
	for (unsigned int i = 0; i < INET_EHASH_SIZE; i++) {
		while (h->ehash[i].first) {
			struct sock *sk = container_of(h->ehash[i].first, struct sock, sk_node);

			inet_unhash(sk);
			if (sock_flag(sk, SOCK_DEAD))
				tcp_done_free(sk);
		}
	}
	inet_hashinfo_exit(net);
}
