// SPDX-License-Identifier: MIT
/*
 * The AF_PACKET link against the real kernel: inside a throw-away network
 * namespace (criterion runs each test in its own process, so unshare()
 * confines it), a veth pair joins a stack on one end (10.77.0.2, its own
 * MAC) to the kernel on the other (10.77.0.1). The kernel must resolve the
 * stack by ARP, exchange UDP with it both ways (the kernel's datagrams carry
 * offloaded checksums the link completes), get answers to ping, and the BPF
 * filter must keep frames for other addresses away from the stack. The
 * link must offer GSO where the veth has TSO and, with tso off, fall back
 * with one trace line. With its transmit thread on, bursts still arrive
 * whole and in order.
 *
 * Needs root (CAP_SYS_ADMIN for the namespace, CAP_NET_RAW for the link)
 * and iproute2; otherwise each test is skipped with the reason. The
 * in-memory wire's impairments are tested at the end, without privileges.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ethernet.h"
#include "inet.h"
#include "net_namespace.h"
#include "netdevice.h"
#include "stackd_link.h"

static const uint8_t stack_mac[6] = {0x02, 0x53, 0x53, 0x4d, 0x00, 0x02};
static struct net net;
static struct net_device *dev;

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * NSEC_PER_SEC + (uint64_t)t.tv_nsec;
}

/*
 * When a wait for the kernel gives up: its side of the veth may run in
 * ksoftirqd, which a loaded machine schedules late, so waits are on the
 * clock, not on a count of rounds.
 */
static uint64_t link_deadline(void)
{
	return mono_ns() + 10 * NSEC_PER_SEC;
}

static void need_root_and_netns(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to create a network namespace and an AF_PACKET socket "
			     "(euid %d)",
			     (int)geteuid());
	if (access("/usr/sbin/ip", X_OK) && access("/sbin/ip", X_OK) && access("/usr/bin/ip", X_OK))
		cr_skip_test("needs iproute2 (ip) to create the veth pair");
	if (unshare(CLONE_NEWNET) < 0)
		cr_skip_test("unshare(CLONE_NEWNET) failed: %s", strerror(errno));
	cr_assert_eq(system("ip link set lo up && "
			    "ip link add sstk0 type veth peer name skrn0 && "
			    "ip addr add 10.77.0.1/24 dev skrn0 && "
			    "ip link set skrn0 up && ip link set sstk0 up"),
		     0, "setting up the veth pair");
}

static void stack_up(void)
{
	int err;

	need_root_and_netns();
	inet_init();
	dev = packet_link_open("sstk0", stack_mac, inet_addr("10.77.0.2"), htonl(0xffffff00u),
			       &err);
	cr_assert_not_null(dev, "packet_link_open: %s", strerror(-err));
	cr_assert_eq(dev->mtu, 1500);
	memset(&net, 0, sizeof(net));
	cr_assert_eq(net_init(&net, dev, inet_addr("10.77.0.2"), htonl(0xffffff00u), 0, stack_mac,
			      mono_ns()),
		     0);
	dev_flush(dev);
}

static void stack_down(void)
{
	if (!dev)
		return;
	net_exit(&net);
	dev->netdev_ops->ndo_uninit(dev);
	dev = NULL;
}

/* One round of the owner's event loop, waiting at most ms. */
static void stack_round(int ms)
{
	struct pollfd p = {.fd = dev->fd, .events = POLLIN};

	poll(&p, 1, ms);
	net_set_time(&net, mono_ns());
	dev->netdev_ops->ndo_poll(dev, 64);
	net_run_timers(&net);
	dev_flush(dev);
}

static struct socket *stack_udp(uint16_t port)
{
	struct socket *s;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};

	cr_assert_eq(__sock_create(&net, AF_INET, SOCK_DGRAM, IPPROTO_UDP, &s, 1), 0);
	cr_assert_eq(s->ops->bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return s;
}

static int stack_sendto(struct socket *s, const char *data, const char *ip, uint16_t port)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct iovec iov = {.iov_base = (void *)data, .iov_len = strlen(data)};
	struct msghdr msg = {
		.msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov, .msg_iovlen = 1};

	to.sin_addr.s_addr = inet_addr(ip);
	return s->ops->sendmsg(s, &msg, iov.iov_len);
}

TestSuite(link, .fini = stack_down);

Test(link, udp_both_ways_with_the_kernel)
{
	stack_up();
	struct socket *s = stack_udp(7000);
	int k = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in kaddr = {.sin_family = AF_INET, .sin_port = htons(6000)};
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	char buf[64];
	ssize_t n = -1;

	kaddr.sin_addr.s_addr = inet_addr("10.77.0.1");
	cr_assert_eq(bind(k, (struct sockaddr *)&kaddr, sizeof(kaddr)), 0);

	/* stack -> kernel: the stack resolves 10.77.0.1 by ARP first */
	cr_assert_eq(stack_sendto(s, "from the stack", "10.77.0.1", 6000), 14);
	dev_flush(dev);
	for (uint64_t end = link_deadline(); n < 0 && mono_ns() < end;) {
		stack_round(5);
		n = recvfrom(k, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
	}
	cr_assert_eq(n, 14, "the kernel got nothing");
	cr_assert_eq(memcmp(buf, "from the stack", 14), 0);
	cr_assert_eq(from.sin_addr.s_addr, inet_addr("10.77.0.2"));
	cr_assert_eq(ntohs(from.sin_port), 7000);

	/* kernel -> stack: the kernel resolves 10.77.0.2, which the stack answers */
	cr_assert_eq(sendto(k, "from the kernel", 15, 0, (struct sockaddr *)&from, sizeof(from)),
		     15);
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	int got = -EAGAIN;

	for (uint64_t end = link_deadline(); got == -EAGAIN && mono_ns() < end;) {
		stack_round(5);
		got = s->ops->recvmsg(s, &msg, sizeof(buf), MSG_DONTWAIT);
	}
	cr_assert_eq(got, 15, "the stack got %d", got);
	cr_assert_eq(memcmp(buf, "from the kernel", 15), 0);
	cr_assert_eq(net.mib.udp.InCsumErrors, 0);
	cr_assert_geq(net.mib.link.ArpRequestsOut, 2, "gratuitous + who-has 10.77.0.1");
	cr_assert_geq(net.mib.link.ArpRepliesIn, 1);
	close(k);
	sock_release(s);
}

/*
 * With the transmit thread (SOCKSHIM_TX_THREAD): single datagrams (sent by
 * the flush itself, the ring idle) and bursts of 100 (handed to the thread,
 * the ring's 256 slots wrapping many times) reach the kernel, all of them
 * and in order; the link then stops with the thread (stack_down).
 */
Test(link, udp_through_the_transmit_thread)
{
	stack_up();
	cr_assert_eq(packet_link_tx_thread(dev), 0);
	struct socket *s = stack_udp(7000);
	int k = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), rcvbuf = 8 << 20;
	struct sockaddr_in kaddr = {.sin_family = AF_INET, .sin_port = htons(6000)};
	char buf[64], want[64];
	int sent = 0, got = 0;
	ssize_t n;

	kaddr.sin_addr.s_addr = inet_addr("10.77.0.1");
	cr_assert_eq(bind(k, (struct sockaddr *)&kaddr, sizeof(kaddr)), 0);
	setsockopt(k, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));

	/* One datagram first: ARP resolves, then it goes from the flush. */
	snprintf(want, sizeof(want), "seq %d", sent);
	cr_assert_eq(stack_sendto(s, want, "10.77.0.1", 6000), (int)strlen(want));
	sent++;
	for (uint64_t end = link_deadline(); got < 1 && mono_ns() < end;) {
		stack_round(5);
		n = recv(k, buf, sizeof(buf) - 1, 0);
		if (n > 0)
			got++;
	}
	cr_assert_eq(got, 1, "the first datagram did not arrive");

	for (int burst = 0; burst < 30; burst++) {
		int count = burst % 3 ? 100 : 1;

		for (int i = 0; i < count; i++, sent++) {
			snprintf(want, sizeof(want), "seq %d", sent);
			cr_assert_eq(stack_sendto(s, want, "10.77.0.1", 6000), (int)strlen(want));
		}
		stack_round(0);
		while ((n = recv(k, buf, sizeof(buf) - 1, 0)) > 0) {
			buf[n] = 0;
			snprintf(want, sizeof(want), "seq %d", got);
			cr_assert_str_eq(buf, want, "out of order or lost");
			got++;
		}
	}
	for (uint64_t end = link_deadline();
	     got + (int)net.mib.link.TxDropped < sent && mono_ns() < end;) {
		stack_round(1);
		while ((n = recv(k, buf, sizeof(buf) - 1, 0)) > 0) {
			buf[n] = 0;
			snprintf(want, sizeof(want), "seq %d", got);
			cr_assert_str_eq(buf, want, "out of order or lost");
			got++;
		}
	}
	cr_assert_eq(net.mib.link.TxDropped, 0, "the link refused frames");
	cr_assert_eq(got, sent, "the kernel got %d of %d", got, sent);
	close(k);
	sock_release(s);
}

Test(link, fragmented_datagrams_both_ways)
{
	stack_up();
	struct socket *s = stack_udp(7000);
	int k = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in kaddr = {.sin_family = AF_INET, .sin_port = htons(6000)};
	struct sockaddr_in saddr = {.sin_family = AF_INET, .sin_port = htons(7000)};
	static char big[6000], got[8000];
	ssize_t n = -1;
	int r = -EAGAIN;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 31 + 1);
	kaddr.sin_addr.s_addr = inet_addr("10.77.0.1");
	saddr.sin_addr.s_addr = inet_addr("10.77.0.2");
	cr_assert_eq(bind(k, (struct sockaddr *)&kaddr, sizeof(kaddr)), 0);

	/* The stack fragments, the kernel reassembles. */
	struct iovec iov = {.iov_base = big, .iov_len = sizeof(big)};
	struct msghdr msg = {
		.msg_name = &kaddr, .msg_namelen = sizeof(kaddr), .msg_iov = &iov, .msg_iovlen = 1};

	cr_assert_eq(s->ops->sendmsg(s, &msg, sizeof(big)), (int)sizeof(big));
	dev_flush(dev);
	for (uint64_t end = link_deadline(); n < 0 && mono_ns() < end;) {
		stack_round(5);
		n = recv(k, got, sizeof(got), 0);
	}
	cr_assert_eq(n, (ssize_t)sizeof(big));
	cr_assert_eq(memcmp(got, big, sizeof(big)), 0);
	cr_assert_eq(net.mib.ip.FragCreates, 5);

	/* The kernel fragments, the stack reassembles. */
	cr_assert_eq(sendto(k, big, sizeof(big), 0, (struct sockaddr *)&saddr, sizeof(saddr)),
		     (ssize_t)sizeof(big));
	iov.iov_base = got;
	iov.iov_len = sizeof(got);
	msg.msg_name = NULL;
	msg.msg_namelen = 0;
	for (uint64_t end = link_deadline(); r == -EAGAIN && mono_ns() < end;) {
		stack_round(5);
		r = s->ops->recvmsg(s, &msg, sizeof(got), MSG_DONTWAIT);
	}
	cr_assert_eq(r, (int)sizeof(big));
	cr_assert_eq(memcmp(got, big, sizeof(big)), 0);
	cr_assert_geq(net.mib.ip.ReasmOKs, 1);
	close(k);
	sock_release(s);
}

Test(link, port_unreachable_both_ways)
{
	stack_up();
	int k = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in to_stack = {.sin_family = AF_INET, .sin_port = htons(9)};
	struct sockaddr_in to_kernel = {.sin_family = AF_INET, .sin_port = htons(9)};
	struct socket *s;
	char buf[8];
	ssize_t n = 0;

	/* The kernel's connected socket learns ECONNREFUSED from the stack's ICMP. */
	to_stack.sin_addr.s_addr = inet_addr("10.77.0.2");
	cr_assert_eq(connect(k, (struct sockaddr *)&to_stack, sizeof(to_stack)), 0);
	cr_assert_eq(send(k, "?", 1, 0), 1);
	for (uint64_t end = link_deadline(); mono_ns() < end;) {
		stack_round(5);
		n = recv(k, buf, sizeof(buf), 0);
		if (n < 0 && errno != EAGAIN)
			break;
	}
	cr_assert_eq(n, -1);
	cr_assert_eq(errno, ECONNREFUSED, "the kernel did not accept the ICMP: %s",
		     strerror(errno));
	cr_assert_eq(net.mib.udp.NoPorts, 1);

	/* The stack's connected socket learns it from the kernel's ICMP. */
	cr_assert_eq(__sock_create(&net, AF_INET, SOCK_DGRAM, IPPROTO_UDP, &s, 1), 0);
	to_kernel.sin_addr.s_addr = inet_addr("10.77.0.1");
	cr_assert_eq(s->ops->connect(s, (struct sockaddr *)&to_kernel, sizeof(to_kernel), 0), 0);
	struct iovec iov = {.iov_base = (void *)"?", .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	cr_assert_eq(s->ops->sendmsg(s, &msg, 1), 1);
	dev_flush(dev);
	for (uint64_t end = link_deadline(); !s->sk->sk_err && mono_ns() < end;)
		stack_round(5);
	cr_assert_eq(s->sk->sk_err, ECONNREFUSED);
	close(k);
	sock_release(s);
}

Test(link, the_kernel_can_ping_the_stack)
{
	stack_up();
	pid_t pid = fork();
	int status;

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(fd, 2);
		execlp("ping", "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.77.0.2",
		       (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, WNOHANG) == 0)
		stack_round(5);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		cr_skip_test("ping is not installed");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "ping failed (status %d)", status);
	cr_assert_eq(net.mib.icmp.OutEchoReps, 2);
	cr_assert_geq(net.mib.link.ArpRepliesOut, 1, "the kernel asked who 10.77.0.2 is");
}

/* Sends a raw frame from the kernel side of the veth. */
static char offload_note[160];
static unsigned int offload_notes;

static void note_offload(const struct net_device *d, const char *msg)
{
	snprintf(offload_note, sizeof(offload_note), "%s: %s", d->name, msg);
	offload_notes++;
}

/*
 * Sends count UDP datagrams of len bytes from the kernel to the stack and
 * waits until the link's socket holds them all (PACKET_STATISTICS counts
 * the frames queued since it was last asked), so the polls that follow
 * find them there. Then polls with a budget of 64 until all are read
 * (deadline 5 s); returns the most one poll read.
 */
static int poll_kernel_datagrams(int count, size_t len)
{
	static char payload[16000];
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
	int k = socket(AF_INET, SOCK_DGRAM, 0), most = 0, got = 0;
	unsigned int queued = 0;
	uint64_t deadline = mono_ns() + 5 * NSEC_PER_SEC;

	cr_assert_leq(len, sizeof(payload));
	to.sin_addr.s_addr = inet_addr("10.77.0.2");
	for (int i = 0; i < count; i++)
		cr_assert_eq(sendto(k, payload, len, 0, (struct sockaddr *)&to, sizeof(to)),
			     (ssize_t)len);
	close(k);
	while ((int)queued < count && mono_ns() < deadline) {
		struct tpacket_stats st;
		socklen_t sl = sizeof(st);

		cr_assert_eq(getsockopt(dev->fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl), 0);
		queued += st.tp_packets;
	}
	cr_assert_eq(queued, (unsigned int)count, "the link's socket got %u frames", queued);
	while (got < count && mono_ns() < deadline) {
		int n = dev->netdev_ops->ndo_poll(dev, 64);

		got += n;
		if (n > most)
			most = n;
	}
	cr_assert_eq(got, count, "polls read %d of %d frames", got, count);
	return most;
}

/*
 * A poll reads at most 512 KiB of payload (PKT_POLL_BYTES: a round's frames
 * stay in the cache until they are copied into the pairs), the rest on the
 * next polls, none lost; small frames fill the whole budget as before.
 */
Test(link, a_poll_reads_a_bounded_number_of_bytes)
{
	stack_up();
	cr_assert_eq(system("ip link set sstk0 mtu 65535 && ip link set skrn0 mtu 65535 && "
			    "ip neigh replace 10.77.0.2 lladdr 02:53:53:4d:00:02 dev skrn0"),
		     0);
	cr_assert_eq(poll_kernel_datagrams(100, 100), 64, "small frames: the whole budget");
	cr_assert_leq(poll_kernel_datagrams(100, 16000), 33, "16 KiB frames: 512 KiB and one");
	cr_assert_eq(net.mib.link.RxDropped, 0);
}

/* The veth has TSO: the link offers GSO and has nothing to say. */
Test(link, gso_offered_where_the_device_has_tso)
{
	offload_notes = 0;
	netdev_trace = note_offload;
	stack_up();
	netdev_trace = NULL;
	cr_assert_eq(dev->gso_max_size, 65536);
	cr_assert_eq(offload_notes, 0, "unexpected note: %s", offload_note);
}

/* tso off (ethtool -K): no GSO, and one trace line that says why. */
Test(link, no_gso_and_one_trace_line_where_tso_is_off)
{
	int err;

	need_root_and_netns();
	if (system("ethtool --version >/dev/null 2>&1"))
		cr_skip_test("needs ethtool (tools/bootstrap installs it)");
	cr_assert_eq(system("ethtool -K sstk0 tso off gso off"), 0);
	offload_notes = 0;
	netdev_trace = note_offload;
	dev = packet_link_open("sstk0", stack_mac, inet_addr("10.77.0.2"), htonl(0xffffff00u),
			       &err);
	netdev_trace = NULL;
	cr_assert_not_null(dev, "packet_link_open: %s", strerror(-err));
	cr_assert_eq(dev->gso_max_size, 0);
	cr_assert_eq(offload_notes, 1);
	cr_assert_str_eq(offload_note,
			 "sstk0: no GSO (tcp-segmentation-offload off): MTU-sized frames");
	dev->netdev_ops->ndo_uninit(dev);
	dev = NULL;
}

static void send_raw(const uint8_t *dst_mac, const char *dst_ip)
{
	int fd = socket(AF_PACKET, SOCK_RAW, 0);
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
				  .sll_ifindex = (int)if_nametoindex("skrn0"),
				  .sll_halen = 6};
	uint8_t f[60] = {0};
	uint32_t d = inet_addr(dst_ip), s = inet_addr("10.77.0.1");

	cr_assert_geq(fd, 0);
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x99", 6);
	f[12] = 0x08;
	f[14] = 0x45;
	f[17] = 28;
	f[22] = 64;
	f[23] = 17;
	memcpy(f + 26, &s, 4);
	memcpy(f + 30, &d, 4);
	memcpy(sll.sll_addr, dst_mac, 6);
	cr_assert_eq(sendto(fd, f, sizeof(f), 0, (struct sockaddr *)&sll, sizeof(sll)), 60);
	close(fd);
}

Test(link, the_filter_passes_only_frames_for_the_stack)
{
	stack_up();
	for (int i = 0; i < 20; i++)
		stack_round(2);
	uint64_t before = net.mib.link.RxFrames;

	/*
	 * IPv4 for another address, even to our MAC: filtered in the kernel.
	 * For our address and for the subnet's broadcast (socat's
	 * UDP4-RECVFROM,broadcast receives those through the kernel): passes
	 * (and is then a bad header, counted). The last goes the same way
	 * behind the first, so once it is in, the first would be too.
	 */
	send_raw(stack_mac, "10.77.0.99");
	send_raw(eth_broadcast_addr, "10.77.0.255");
	send_raw(stack_mac, "10.77.0.2");
	for (uint64_t end = link_deadline(); net.mib.ip.InReceives < 2 && mono_ns() < end;)
		stack_round(2);
	cr_assert_eq(net.mib.link.RxFrames, before + 2);
	cr_assert_eq(net.mib.ip.InReceives, 2);
	cr_assert_eq(net.mib.ip.InHdrErrors, 2, "the raw frames had no IP checksum");
}

/* ---- the in-memory wire (no privileges needed) ---- */

/* Sends n numbered frames from side 0 at its net's time. */
static void mem_send(struct net_device *d0, int n)
{
	for (int i = 0; i < n; i++) {
		struct sk_buff *skb = alloc_skb(64);
		uint8_t *p = skb_put(skb, 60);

		memset(p, 0, 60);
		memcpy(p, "\x02\x00\x00\x00\x00\x02", 6);
		p[14] = (uint8_t)i; /* sequence number where the IP header would be */
		d0->netdev_ops->ndo_start_xmit(d0, skb);
	}
}

static struct mem_link *wire(const struct mem_link_impair *imp, struct net *n1, struct net *n0,
			     struct net_device **d0)
{
	static const uint8_t m0[6] = {2, 0, 0, 0, 0, 1}, m1[6] = {2, 0, 0, 0, 0, 2};
	struct mem_link *l = mem_link_create(imp);
	struct net_device *d1;

	*d0 = mem_link_dev(l, 0, m0);
	d1 = mem_link_dev(l, 1, m1);
	/* Bare receivers: frames land in netif_receive_skb and are counted there. */
	memset(n0, 0, sizeof(*n0));
	memset(n1, 0, sizeof(*n1));
	(*d0)->net = n0;
	d1->net = n1;
	memcpy(n1->mac, m1, 6);
	return l;
}

Test(mem_link, delay_loss_and_duplication_are_seeded)
{
	struct mem_link_impair imp = {.seed = 42, .loss_pct = 30, .delay_ns = 5 * NSEC_PER_MSEC};
	struct net n0, n1;
	struct net_device *d0;
	struct mem_link *l = wire(&imp, &n1, &n0, &d0);
	int delivered;

	n0.now = 1000;
	mem_send(d0, 1000);
	cr_assert_eq(mem_link_next(l), 1000 + 5 * NSEC_PER_MSEC, "one-way delay");
	cr_assert_eq(mem_link_deliver(l, 1000 + 5 * NSEC_PER_MSEC - 1), 0, "not before its time");
	delivered = mem_link_deliver(l, 1000 + 5 * NSEC_PER_MSEC);
	cr_assert_eq((uint64_t)delivered + mem_link_dropped(l), 1000);
	cr_assert_gt(mem_link_dropped(l), 250);
	cr_assert_lt(mem_link_dropped(l), 350);
	cr_assert_eq(n1.mib.link.RxFrames, (uint64_t)delivered);
	cr_assert_eq(mem_link_next(l), UINT64_MAX);
	mem_link_destroy(l);

	/* The same seed drops the same frames. */
	l = wire(&imp, &n1, &n0, &d0);
	n0.now = 1000;
	mem_send(d0, 1000);
	cr_assert_eq(mem_link_deliver(l, UINT64_MAX - 1), delivered);
	mem_link_destroy(l);

	/* Duplication: every frame at least once, some twice. */
	struct mem_link_impair dup = {.seed = 1, .dup_pct = 50};

	l = wire(&dup, &n1, &n0, &d0);
	mem_send(d0, 100);
	delivered = mem_link_deliver(l, 0);
	cr_assert_gt(delivered, 130);
	cr_assert_lt(delivered, 170);
	mem_link_destroy(l);
	skb_cache_drain();
}

Test(mem_link, reordering_holds_frames_back)
{
	struct mem_link_impair imp = {.seed = 9, .reorder_pct = 25, .delay_ns = NSEC_PER_MSEC};
	struct net n0, n1;
	struct net_device *d0;
	struct mem_link *l = wire(&imp, &n1, &n0, &d0);

	mem_send(d0, 100);
	int first = mem_link_deliver(l, NSEC_PER_MSEC);

	cr_assert_gt(first, 60, "most frames arrive after one delay");
	cr_assert_lt(first, 90);
	cr_assert_eq(mem_link_next(l), 2 * NSEC_PER_MSEC, "the held-back ones one delay later");
	cr_assert_eq(first + mem_link_deliver(l, 2 * NSEC_PER_MSEC), 100);
	cr_assert_eq(mem_link_dropped(l), 0);
	mem_link_destroy(l);
	skb_cache_drain();
}

static int drop_odd(void *arg, int side, const uint8_t *frame, unsigned int len)
{
	int *calls = arg;

	(*calls)++;
	return !(frame[14] & 1);
}

Test(mem_link, the_filter_sees_and_drops)
{
	struct net n0, n1;
	struct net_device *d0;
	struct mem_link *l = wire(NULL, &n1, &n0, &d0);
	int calls = 0;

	mem_link_set_filter(l, drop_odd, &calls);
	mem_send(d0, 10);
	cr_assert_eq(calls, 10);
	cr_assert_eq(mem_link_dropped(l), 5);
	cr_assert_eq(mem_link_deliver(l, 0), 5);
	mem_link_destroy(l);
	skb_cache_drain();
}
