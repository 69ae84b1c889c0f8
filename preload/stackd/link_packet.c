// SPDX-License-Identifier: MIT
/*
 * The link on a real interface: an AF_PACKET SOCK_RAW socket bound to it.
 *
 * The stack's MAC is its own, so the socket joins the interface in
 * promiscuous mode, and a classic BPF filter (attached before bind, so no
 * unfiltered frame slips in) keeps only what the stack may want: ARP
 * broadcast or unicast to its MAC, and IPv4 to its address, the limited or
 * the subnet's broadcast, or a multicast group (the Ethernet layer keeps
 * the groups joined). A joined group's MAC is added to the interface as well
 * (PACKET_MR_MULTICAST), so a NIC's filter admits it without promiscuity. PACKET_IGNORE_OUTGOING
 * hides its own transmissions, PACKET_QDISC_BYPASS skips the interface's queueing discipline.
 *
 * Receive: recvmmsg into a batch of preallocated buffers large enough for
 * any frame (a kernel peer on a veth hands over TSO segments of up to 64 KiB
 * in one frame, whatever the MTU). A small frame is copied into a recycled
 * small skb and the big buffer stays in place; a big frame is handed up as
 * is and its slot gets a new buffer. When the kernel says the sender left
 * the transport checksum to offload (PACKET_AUXDATA, TP_STATUS_CSUMNOTREADY)
 * the frame never left this host's memory, and the kernel's own receive
 * path trusts such a CHECKSUM_PARTIAL skb without summing it
 * (skb_csum_unnecessary): the link marks it CHECKSUM_UNNECESSARY and the
 * field keeps the pseudo-header sum, as tcpdump on the veth shows it. A
 * pass over every received byte is saved. When the NIC already verified it
 * (TP_STATUS_CSUM_VALID) the transport is told so as well. A VLAN tag the
 * kernel took off the frame (TP_STATUS_VLAN_VALID) goes up with it in
 * skb->vlan_*, for the Ethernet layer to refuse as the kernel does.
 *
 * Transmit: frames are batched and sent with sendmmsg when the owner calls
 * ndo_flush (dev_flush) or when the batch is full. A frame's payload may be
 * fragments in TCP's queued segments (dev->sg): each is one iovec, so the
 * kernel's copy in sendmmsg is the only copy of those bytes on the way out;
 * the frame's references keep the segments alive until the flush has sent
 * it, whatever ACKs the round processed meanwhile. A frame the kernel will
 * not take is counted in TxDropped: the stack's transports recover as over
 * a lossy wire. With SOCKSHIM_TX_THREAD=1 (packet_link_tx_thread) the same
 * descriptors form a ring of PKT_TX_RING that a second thread sends from
 * (tx_thread.c): ndo_start_xmit fills descriptors, which are handed over
 * and the thread woken every PKT_TX_KICK frames and at each flush, and the
 * flush frees the frames it finds sent. A flush of at most PKT_TX_INLINE
 * frames with nothing in flight sends them itself (packet_tx_inline).
 *
 * Offloads (PACKET_VNET_HDR): every frame both ways is preceded by a
 * struct virtio_net_hdr, as a tap or a VM's virtio NIC. Transmit: a GSO
 * frame from TCP (skb->gso_size) goes out whole with gso_type TCPV4,
 * gso_size and NEEDS_CSUM (csum_start/csum_offset, the pseudo-header sum in
 * the field), so a veth hands it to the peer as the kernel's own TSO
 * segment and a NIC cuts it; a single TCP segment goes with NEEDS_CSUM
 * only (checksum offload); other frames carry an empty header. Receive:
 * the header says what the auxdata says about checksums (NEEDS_CSUM: the
 * frame never left this host; DATA_VALID: the device verified it), and for
 * a TSO or GRO frame the sender's segment size, which TCP's receive side
 * uses as the kernel's does after GRO. The link offers GSO
 * (dev->gso_max_size 64 KiB) only where the socket takes the header and the
 * device has TSO on (ETHTOOL_GTSO); otherwise it says why once
 * (netdev_trace) and TCP sends MTU-sized segments as before.
 *
 * No TPACKET_V3 ring: measured (README, Measured), the per-call cost it
 * would save is a small part of recvmmsg next to the copy it makes anyway,
 * a frame in the ring must be copied again into an skb the stack can keep,
 * and a V3 ring wakes its reader only when a block retires (1 ms at best),
 * far too late for request/response latency.
 */
#define _GNU_SOURCE /* recvmmsg, sendmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ethernet.h"
#include "stackd_link.h"
#include "tx_thread.h"
#include "net_namespace.h"
#include "netdevice.h"

#define PKT_BATCH 32
/*
 * Payload one poll reads at most. The frames a round reads are copied into
 * the pairs later in the same round; while a round's frames fit the cache
 * (L2 is 512 KiB a core here) that second copy reads them from it, not from
 * memory (README, Measured: less host CPU per GB received). The rest
 * waits in the socket for the next round, which comes at once. Small frames
 * (ACKs, requests) are read PKT_BATCH at a time as before.
 */
#define PKT_POLL_BYTES (512u * 1024)
/*
 * A whole 64 KiB window of MTU-sized segments (45) goes out in one
 * sendmmsg: the host loop flushes once per round.
 */
#define PKT_TX_BATCH 64
/*
 * With the transmit thread: descriptors in its ring (four such windows in
 * flight before the stack thread waits), and how many published frames
 * wake it when it sleeps before the round's flush does.
 */
#define PKT_TX_RING 256
#define PKT_TX_KICK 16
/* What a flush with the ring idle sends itself (packet_tx_inline). */
#define PKT_TX_INLINE 2
#define PKT_RX_SIZE   (65535u + ETH_HLEN + 4) /* any frame, VLAN tag included */
#define PKT_SMALL     1600u		      /* copied into a small, recycled skb */
/* A frame's iovecs: the VNET header, the headers at skb->data, its fragments. */
#define PKT_TX_IOV 66
#define PKT_CMSG   CMSG_SPACE(sizeof(struct tpacket_auxdata))

struct packet_link {
	struct net_device dev;
	int fd;
	bool vnet_hdr;	     /* PACKET_VNET_HDR is on: a header before every frame */
	unsigned int rx_avg; /* the last batch's mean frame size: sizes the next one */

	struct sk_buff *rx_skb[PKT_BATCH];
	struct virtio_net_hdr rx_vnet[PKT_BATCH];
	struct iovec rx_iov[PKT_BATCH][2];
	struct mmsghdr rx_msg[PKT_BATCH];
	uint8_t rx_cmsg[PKT_BATCH][PKT_CMSG];

	/* Transmit descriptors: the first PKT_TX_BATCH without the thread, the ring with it. */
	struct sk_buff *tx_skb[PKT_TX_RING];
	struct virtio_net_hdr tx_vnet[PKT_TX_RING];
	struct iovec tx_iov[PKT_TX_RING][PKT_TX_IOV];
	struct mmsghdr tx_msg[PKT_TX_RING];
	unsigned int tx_n;     /* frames batched (with the thread: filled, not yet published) */
	struct tx_thread *txt; /* NULL: the stack thread sends itself */
};

static struct packet_link *to_link(struct net_device *dev)
{
	return container_of(dev, struct packet_link, dev);
}

static void link_count(struct net_device *dev, int rx_dropped, int tx_dropped)
{
	if (!dev->net)
		return;
	dev->net->mib.link.RxDropped += (uint64_t)rx_dropped;
	dev->net->mib.link.TxDropped += (uint64_t)tx_dropped;
}

/*
 * The BPF program: see the file comment. ld loads big-endian into host order.
 * brd is the subnet's broadcast (the limited one again where a /31 or /32
 * has none): directed broadcasts reach the stack's sockets as the kernel's.
 */
static int packet_attach_filter(int fd, const uint8_t mac[ETH_ALEN], uint32_t addr, uint32_t brd)
{
	uint32_t mac_hi = (uint32_t)mac[0] << 24 | mac[1] << 16 | mac[2] << 8 | mac[3];
	uint32_t mac_lo = (uint32_t)mac[4] << 8 | mac[5];
	struct sock_filter code[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_ARP, 7, 0),
		/* 2 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 14),
		/* 3 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ETH_HLEN + 16), /* IP daddr */
		/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(addr), 11, 0),
		/* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffu, 10, 0),
		/* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(brd), 9, 0),
		/* 7 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf0000000u), /* 224/4: groups */
		/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xe0000000u, 7, 8),
		/* 9 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0), /* ARP: Ethernet destination */
		/* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffu, 0, 2),
		/* 11 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 4),
		/* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffff, 3, 4),
		/* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, mac_hi, 0, 3),
		/* 14 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 4),
		/* 15 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, mac_lo, 0, 1),
		/* 16 */ BPF_STMT(BPF_RET | BPF_K, 0x40000), /* accept, whole frame */
		/* 17 */ BPF_STMT(BPF_RET | BPF_K, 0),	     /* drop */
	};
	struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

static int packet_rx_refill(struct packet_link *l, int i)
{
	struct sk_buff *skb = l->rx_skb[i];

	if (!skb) {
		skb = alloc_skb(PKT_RX_SIZE + NET_IP_ALIGN);
		if (!skb)
			return -ENOBUFS;
		skb_reserve(skb, NET_IP_ALIGN);
		l->rx_skb[i] = skb;
	}
	/* With PACKET_VNET_HDR the header comes first, then the frame. */
	l->rx_iov[i][0].iov_base = &l->rx_vnet[i];
	l->rx_iov[i][0].iov_len = sizeof(l->rx_vnet[i]);
	l->rx_iov[i][1].iov_base = skb->data;
	l->rx_iov[i][1].iov_len = PKT_RX_SIZE;
	memset(&l->rx_msg[i].msg_hdr, 0, sizeof(l->rx_msg[i].msg_hdr));
	l->rx_msg[i].msg_hdr.msg_iov = l->rx_iov[i] + !l->vnet_hdr;
	l->rx_msg[i].msg_hdr.msg_iovlen = l->vnet_hdr ? 2 : 1;
	l->rx_msg[i].msg_hdr.msg_control = l->rx_cmsg[i];
	l->rx_msg[i].msg_hdr.msg_controllen = PKT_CMSG;
	return 0;
}

static int packet_poll(struct net_device *dev, int budget)
{
	struct packet_link *l = to_link(dev);
	unsigned int bytes = 0;
	int done = 0;

	while (done < budget && bytes < PKT_POLL_BYTES) {
		int want = budget - done < PKT_BATCH ? budget - done : PKT_BATCH, n, i;
		unsigned int fit = (PKT_POLL_BYTES - bytes) / (l->rx_avg ? l->rx_avg : 1) + 1;

		if ((unsigned int)want > fit)
			want = (int)fit;
		for (i = 0; i < want; i++)
			if (packet_rx_refill(l, i))
				break;
		want = i;
		if (!want)
			break;
		n = recvmmsg(l->fd, l->rx_msg, (unsigned int)want, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		l->rx_avg = 0;
		for (i = 0; i < n; i++)
			l->rx_avg += l->rx_msg[i].msg_len / (unsigned int)n;
		bytes += l->rx_avg * (unsigned int)n;
		for (i = 0; i < n; i++) {
			struct msghdr *mh = &l->rx_msg[i].msg_hdr;
			unsigned int len = l->rx_msg[i].msg_len;
			struct sk_buff *skb = l->rx_skb[i];
			struct cmsghdr *cm;
			bool csum_ok = false;
			uint16_t vlan_proto = 0, vlan_tci = 0, gso_size = 0;

			if (l->vnet_hdr) {
				const struct virtio_net_hdr *vh = &l->rx_vnet[i];

				if (mh->msg_flags & MSG_TRUNC || len < sizeof(*vh)) {
					link_count(dev, 1, 0);
					continue;
				}
				len -= sizeof(*vh);
				/*
				 * NEEDS_CSUM (the sender left it to offload, the frame
				 * never left this host) and DATA_VALID (the device
				 * verified it): the kernel's receive path does not sum
				 * either (skb_csum_unnecessary).
				 */
				csum_ok = vh->flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM |
						       VIRTIO_NET_HDR_F_DATA_VALID);
				gso_size =
					vh->gso_type != VIRTIO_NET_HDR_GSO_NONE ? vh->gso_size : 0;
			} else if (mh->msg_flags & MSG_TRUNC) {
				link_count(dev, 1, 0);
				continue;
			}
			for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
				struct tpacket_auxdata aux;

				if (cm->cmsg_level != SOL_PACKET || cm->cmsg_type != PACKET_AUXDATA)
					continue;
				memcpy(&aux, CMSG_DATA(cm), sizeof(aux));
				if (!l->vnet_hdr)
					csum_ok = aux.tp_status &
						  (TP_STATUS_CSUMNOTREADY | TP_STATUS_CSUM_VALID);
				/* A VLAN tag the kernel took off: eth_rcv judges it. */
				if (aux.tp_status & TP_STATUS_VLAN_VALID) {
					vlan_proto = aux.tp_status & TP_STATUS_VLAN_TPID_VALID
							     ? aux.tp_vlan_tpid
							     : ETH_P_8021Q;
					vlan_tci = aux.tp_vlan_tci;
				}
			}
			if (len <= PKT_SMALL) {
				/* Copy into a recycled small buffer; the big one stays. */
				struct sk_buff *small = alloc_skb(len + NET_IP_ALIGN);

				if (!small) {
					link_count(dev, 1, 0);
					continue;
				}
				skb_reserve(small, NET_IP_ALIGN);
				memcpy(skb_put(small, len), skb->data, len);
				skb = small;
			} else {
				l->rx_skb[i] = NULL; /* handed up; refilled next round */
				skb->len = len;
			}
			if (csum_ok)
				skb->ip_summed = CHECKSUM_UNNECESSARY;
			skb->vlan_proto = vlan_proto;
			skb->vlan_tci = vlan_tci;
			skb->gso_size = gso_size;
			if (dev->net)
				netif_receive_skb(dev->net, skb);
			else
				kfree_skb(skb);
		}
		done += n;
		if (n < want)
			break;
	}
	return done;
}

/* The TX completion: frees the frames the transmit thread has sent. */
static void packet_tx_reclaim(struct packet_link *l)
{
	struct tx_ring *r = &l->txt->ring;
	uint32_t n = tx_ring_completed(r);

	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = tx_ring_slot(r, r->clean + k);

		kfree_skb(l->tx_skb[i]);
		l->tx_skb[i] = NULL;
	}
	tx_ring_reclaim(r, n);
	link_count(&l->dev, 0, (int)atomic_exchange(&l->txt->dropped, 0));
}

/* Hands the filled descriptors to the transmit thread and wakes it. */
static void packet_tx_publish(struct packet_link *l)
{
	if (!l->tx_n)
		return;
	tx_ring_publish(&l->txt->ring, l->tx_n);
	tx_thread_kick(l->txt);
	l->tx_n = 0;
}

/*
 * With the thread, a flush with a frame or two and nothing in flight (a
 * request, a reply, an ACK) sends them itself: a hand-off would add a
 * wake-up of the thread to the round trip, and with the ring idle they
 * overtake nothing.
 */
static bool packet_tx_inline(struct packet_link *l)
{
	struct tx_ring *r = &l->txt->ring;
	uint32_t head = tx_ring_head(r);

	if (l->tx_n > PKT_TX_INLINE || !tx_ring_idle(r))
		return false;
	for (unsigned int k = 0, n; k < l->tx_n; k += n) {
		uint32_t i = tx_ring_slot(r, head + k);

		n = l->tx_n - k < PKT_TX_RING - i ? l->tx_n - k : PKT_TX_RING - i; /* to the wrap */
		link_count(&l->dev, 0, (int)tx_send(l->fd, &l->tx_msg[i], n));
		for (unsigned int j = i; j < i + n; j++) {
			kfree_skb(l->tx_skb[j]);
			l->tx_skb[j] = NULL;
		}
	}
	l->tx_n = 0; /* never published: the slots are free again */
	return true;
}

/* The descriptor for the next frame; with the thread, waits for one while the ring is full. */
static unsigned int packet_tx_slot(struct packet_link *l)
{
	struct tx_ring *r;

	if (!l->txt)
		return l->tx_n;
	r = &l->txt->ring;
	while (tx_ring_free(r) == l->tx_n) {
		packet_tx_publish(l);
		packet_tx_reclaim(l);
		if (!tx_ring_free(r))
			tx_thread_wait_sent(l->txt);
	}
	return tx_ring_slot(r, tx_ring_head(r) + l->tx_n);
}

static void packet_flush(struct net_device *dev)
{
	struct packet_link *l = to_link(dev);

	if (l->txt) {
		packet_tx_reclaim(l);
		if (l->tx_n && !packet_tx_inline(l))
			packet_tx_publish(l);
		return;
	}
	link_count(dev, 0, (int)tx_send(l->fd, l->tx_msg, l->tx_n));
	for (unsigned int i = 0; i < l->tx_n; i++) {
		kfree_skb(l->tx_skb[i]);
		l->tx_skb[i] = NULL;
	}
	l->tx_n = 0;
}

static int packet_start_xmit(struct net_device *dev, struct sk_buff *skb)
{
	struct packet_link *l = to_link(dev);
	struct iovec *iov;
	unsigned int i;

	if (skb->nr_frags > PKT_TX_IOV - 2) {
		skb = skb_linearize(skb);
		if (!skb) {
			link_count(dev, 0, 1);
			return -ENOBUFS;
		}
	}
	i = packet_tx_slot(l);
	l->tx_skb[i] = skb;
	memset(&l->tx_vnet[i], 0, sizeof(l->tx_vnet[i]));
	if (!l->vnet_hdr)
		skb_checksum_help(skb);
	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		/* Offsets from the frame's start; the Ethernet header is at data. */
		unsigned int start = skb->csum_start - skb_headroom(skb);

		l->tx_vnet[i].flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		l->tx_vnet[i].csum_start = (uint16_t)start;
		l->tx_vnet[i].csum_offset = skb->csum_offset;
	}
	if (skb->gso_size) {
		unsigned int start = l->tx_vnet[i].csum_start;
		const uint8_t *th = skb->data + start;

		l->tx_vnet[i].gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		l->tx_vnet[i].gso_size = skb->gso_size;
		l->tx_vnet[i].hdr_len = (uint16_t)(start + (th[12] >> 4) * 4u);
	}
	iov = l->tx_iov[i];
	iov[0].iov_base = &l->tx_vnet[i];
	iov[0].iov_len = sizeof(l->tx_vnet[i]);
	iov[1].iov_base = skb->data;
	iov[1].iov_len = skb_headlen(skb);
	/* Scatter-gather: the payload goes from the queued segments, uncopied. */
	for (unsigned int f = 0; f < skb->nr_frags; f++) {
		iov[2 + f].iov_base = (void *)skb->frags[f].p;
		iov[2 + f].iov_len = skb->frags[f].len;
	}
	memset(&l->tx_msg[i], 0, sizeof(l->tx_msg[i]));
	l->tx_msg[i].msg_hdr.msg_iov = iov + !l->vnet_hdr;
	l->tx_msg[i].msg_hdr.msg_iovlen = 2u + skb->nr_frags - !l->vnet_hdr;
	if (l->txt) {
		if (++l->tx_n == PKT_TX_KICK)
			packet_tx_publish(l);
		return 0;
	}
	if (++l->tx_n == PKT_TX_BATCH)
		packet_flush(dev);
	return 0;
}

/*
 * Whether the interface is a veth (ETHTOOL_GDRVINFO): a kernel peer's
 * frames then reach us as the very skbs its TCP keeps until acked
 * (net_device.rx_shared).
 */
static bool packet_is_veth(int fd, const char *ifname)
{
	struct ethtool_drvinfo info = {.cmd = ETHTOOL_GDRVINFO};
	struct ifreq ifr = {0};

	strcpy(ifr.ifr_name, ifname);
	ifr.ifr_data = (char *)&info;
	return ioctl(fd, SIOCETHTOOL, &ifr) == 0 && strcmp(info.driver, "veth") == 0;
}

/*
 * Turns on PACKET_VNET_HDR and offers GSO where the device does TSO; else
 * says once why frames stay MTU-sized. A failure here is no error: the
 * link works without offloads.
 */
static void packet_offload_init(struct packet_link *l, const char *ifname)
{
	struct ethtool_value tso = {.cmd = ETHTOOL_GTSO};
	struct ifreq ifr = {0};
	int one = 1, sndbuf = 8 << 20;
	char msg[128];

	if (setsockopt(l->fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0) {
		snprintf(msg, sizeof(msg), "no offloads (PACKET_VNET_HDR: %s): MTU-sized frames",
			 strerror(errno));
		goto trace;
	}
	l->vnet_hdr = true;
	strcpy(ifr.ifr_name, ifname);
	ifr.ifr_data = (char *)&tso;
	if (ioctl(l->fd, SIOCETHTOOL, &ifr) < 0) {
		snprintf(msg, sizeof(msg), "no GSO (ETHTOOL_GTSO: %s): MTU-sized frames",
			 strerror(errno));
		goto trace;
	}
	if (!tso.data) {
		snprintf(msg, sizeof(msg),
			 "no GSO (tcp-segmentation-offload off): MTU-sized frames");
		goto trace;
	}
	/* A batch of 64 KiB frames must fit the socket's send buffer; best effort. */
	if (setsockopt(l->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0)
		setsockopt(l->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	l->dev.gso_max_size = 65536;
	/* Frames TCP builds then point at its queued segments (one sendmmsg iovec each). */
	l->dev.sg = true;
	return;
trace:
	if (netdev_trace)
		netdev_trace(&l->dev, msg);
}

/* dev_mc_add / dev_mc_del: the interface's multicast filter; best effort. */
static void packet_mc_update(struct net_device *dev, const uint8_t mac[ETH_ALEN], bool add)
{
	struct packet_mreq mreq = {
		.mr_ifindex = dev->ifindex, .mr_type = PACKET_MR_MULTICAST, .mr_alen = ETH_ALEN};

	memcpy(mreq.mr_address, mac, ETH_ALEN);
	setsockopt(to_link(dev)->fd, SOL_PACKET,
		   add ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP, &mreq, sizeof(mreq));
}

static void packet_uninit(struct net_device *dev)
{
	struct packet_link *l = to_link(dev);

	if (l->txt) {
		/* It sends all that was published first. */
		packet_tx_publish(l);
		tx_thread_stop(l->txt);
		packet_tx_reclaim(l);
		free(l->txt);
	} else {
		packet_flush(dev);
	}
	for (int i = 0; i < PKT_BATCH; i++)
		kfree_skb(l->rx_skb[i]);
	close(l->fd);
	free(l);
}

static const struct net_device_ops packet_netdev_ops = {
	.ndo_start_xmit = packet_start_xmit,
	.ndo_flush = packet_flush,
	.ndo_poll = packet_poll,
	.ndo_uninit = packet_uninit,
	.ndo_mc_update = packet_mc_update,
};

struct net_device *packet_link_open(const char *ifname, const uint8_t mac[ETH_ALEN], uint32_t addr,
				    uint32_t netmask, int *err)
{
	struct packet_link *l;
	struct ifreq ifr = {0};
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	struct packet_mreq mreq = {.mr_type = PACKET_MR_PROMISC};
	int one = 1, rcvbuf = 8 << 20;
	uint32_t brd;

	if (strlen(ifname) >= IFNAMSIZ) {
		*err = -ENODEV;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		*err = -ENOMEM;
		return NULL;
	}
	/* Protocol 0: nothing is queued until bind, after the filter is in place. */
	l->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		goto fail;
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(l->fd, SIOCGIFINDEX, &ifr) < 0)
		goto fail;
	sll.sll_ifindex = ifr.ifr_ifindex;
	mreq.mr_ifindex = ifr.ifr_ifindex;
	if (ioctl(l->fd, SIOCGIFMTU, &ifr) < 0)
		goto fail;
	l->dev.mtu = (unsigned int)ifr.ifr_mtu;

	/* ip_addr_is_broadcast's rule: a /31 or /32 has no subnet broadcast. */
	brd = ~netmask & htonl(0xfffffffe) ? addr | ~netmask : INADDR_BROADCAST;
	if (packet_attach_filter(l->fd, mac, addr, brd) < 0 ||
	    setsockopt(l->fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0 ||
	    setsockopt(l->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0 ||
	    setsockopt(l->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
		goto fail;
	/* Before bind: every frame queued from then on carries the header. */
	snprintf(l->dev.name, sizeof(l->dev.name), "%s", ifname);
	packet_offload_init(l, ifname);
	l->dev.rx_shared = packet_is_veth(l->fd, ifname);
	/* A bigger receive queue absorbs bursts between polls; best effort. */
	if (setsockopt(l->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(l->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    setsockopt(l->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) < 0)
		goto fail;

	memcpy(l->dev.dev_addr, mac, ETH_ALEN);
	l->dev.ifindex = sll.sll_ifindex;
	l->dev.fd = l->fd;
	l->dev.netdev_ops = &packet_netdev_ops;
	l->dev.priv = l;
	*err = 0;
	return &l->dev;
fail:
	*err = -errno;
	if (l->fd >= 0)
		close(l->fd);
	free(l);
	return NULL;
}

int packet_link_tx_thread(struct net_device *dev)
{
	struct packet_link *l = to_link(dev);
	struct tx_thread *t;
	int err;

	/* Its counters sit on cache lines of their own. */
	t = aligned_alloc(64, (sizeof(*t) + 63) & ~(size_t)63);
	if (!t)
		return -ENOMEM;
	memset(t, 0, sizeof(*t));
	packet_flush(dev); /* nothing batched is left behind */
	err = tx_thread_start(t, l->fd, l->tx_msg, PKT_TX_RING);
	if (err) {
		free(t);
		return err;
	}
	l->txt = t;
	l->tx_n = 0;
	return 0;
}
