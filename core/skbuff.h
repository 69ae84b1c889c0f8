/* SPDX-License-Identifier: MIT */
/*
 * struct sk_buff: the one frame buffer type that crosses every layer.
 *
 * A buffer is allocated with headroom (MAX_HEADER) so that each layer on the
 * way out prepends its header with skb_push() instead of copying the payload;
 * on the way in each layer skb_pull()s its header and records where it was
 * (mac/network/transport offsets). Buffers come from a per-thread free list so
 * that the hot path does not call malloc per packet (core/skbuff.c: two
 * size classes, MTU-sized and 64 KiB).
 *
 * Fragments (the kernel's skb_shinfo(skb)->frags, for transmit only): a
 * frame TCP builds may carry its payload as pointers into the queued
 * segments that hold it (skb_add_frag), each holding a reference on its
 * segment (skb->users), so a segment an ACK frees while the frame still
 * waits in the link's batch lives on until the frame is freed. skb->len
 * counts the fragments, skb->data_len is their share, and skb_headlen()
 * the bytes at skb->data. Only a link that gathers (dev->sg) is handed such
 * a frame; every other path takes a linear copy first (skb_linearize).
 * There are no clones: a payload byte is written once, into its segment.
 */
#ifndef SOCKSHIM_SKBUFF_H
#define SOCKSHIM_SKBUFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "list.h"

/* Ethernet (14) + IPv4 with options (60) + TCP with options (60), rounded. */
#define MAX_HEADER 160

struct sock;
struct net_device;
struct sk_buff;

/* One piece of a frame's payload: len bytes at p, inside owner's buffer (skb_frag_t). */
struct skb_frag {
	struct sk_buff *owner; /* holds a reference (skb_get) until the frame is freed */
	const uint8_t *p;
	uint32_t len;
};

/*
 * skb->ip_summed, as include/linux/skbuff.h. On receive, UNNECESSARY means
 * the link vouches for the transport checksum (it completed a checksum the
 * sender left to offload), so the transport need not verify it.
 */
enum { CHECKSUM_NONE, CHECKSUM_UNNECESSARY, CHECKSUM_COMPLETE, CHECKSUM_PARTIAL };

/*
 * The linkage both struct sk_buff and struct sk_buff_head begin with, so that
 * a queue head can stand in for a buffer in the circular list (the kernel's
 * struct sk_buff_list). List surgery goes through this type only, which keeps
 * the compiler's bounds checks honest about the smaller head object.
 */
struct sk_buff_list {
	struct sk_buff *next, *prev;
};

/*
 * TCP's receive side: the kernel skb a received buffer is a part of, as the
 * kernel would have built it (tcp_try_coalesce merges frames into the tail's
 * skb, tcp_collapse copies runs of skbs into fresh ones). head_end names it:
 * its first frame's end, whose data a veth sender shares until it has our
 * ACK of it (skb_cloned), or for a fresh skb of tcp_collapse its last byte's
 * end. room is the linear tail room left in a fresh skb (a merge that fits
 * is copied in, its charge given back whole), frags its page fragments so
 * far (MAX_SKB_FRAGS at most), own whether its head is the receiver's own
 * (tcp_collapse's: never cloned).
 */
struct skb_rx_part {
	uint32_t head_end;
	uint16_t room;
	uint8_t frags;
	bool own;
};

struct sk_buff {
	struct sk_buff *next, *prev; /* queue linkage; owned by one queue at a time */
	struct sock *sk;	     /* owning socket on transmit, NULL on receive */
	struct net_device *dev;

	uint8_t *head; /* start of the allocation */
	uint8_t *data; /* start of valid data */
	uint32_t len;  /* bytes of valid data from data */
	uint32_t end;  /* size of the allocation from head */

	/* Offsets from head, set by the layer that parsed or built the header. */
	uint16_t mac_header;
	uint16_t network_header;
	uint16_t transport_header;

	uint16_t protocol;    /* ethertype, host order */
	uint8_t pkt_type;     /* PACKET_HOST etc. */
	uint8_t ip_summed;    /* CHECKSUM_NONE / CHECKSUM_UNNECESSARY / CHECKSUM_PARTIAL */
	uint16_t csum_start;  /* CHECKSUM_PARTIAL: offset from head where summing starts */
	uint16_t csum_offset; /* ... and where to store it, relative to csum_start */
	/*
	 * GSO (skb_shinfo(skb)->gso_size/gso_segs): a TCP segment of gso_segs
	 * MSS-sized pieces sent as one buffer; the link or the device cuts it
	 * into gso_size-byte payloads. On receive: the sender's piece size of
	 * a frame the kernel peer sent or merged whole (TSO, GRO), 0 if none.
	 */
	uint16_t gso_size;
	uint16_t gso_segs;
	uint16_t vlan_proto; /* receive: the 802.1Q tag taken off the frame, 0 = none */
	uint16_t vlan_tci;   /* ... and its tag control (priority, VLAN id), host order */
	uint64_t tstamp;     /* ns, the stack clock, when received or last sent */
	/*
	 * Receive: what the socket's queue is charged for this buffer, the
	 * kernel's truesize for the frame it stands for (TCP: tcp_rx_truesize),
	 * kept as it was charged when the buffer is trimmed, as the kernel's.
	 */
	uint32_t truesize;
	/* TCP's receive queues: the kernel skb this buffer is a part of. */
	struct skb_rx_part rx;
	/*
	 * skb_shinfo(skb)->tx_flags and ->tskey: SKBTX_SW_TSTAMP and
	 * SKBTX_SCHED_TSTAMP ask the link to queue a transmit time stamp for skb->sk
	 * (skb_tstamp_tx), with tskey its SOF_TIMESTAMPING_OPT_ID counter.
	 */
	uint8_t tx_flags;
	uint32_t tskey;
	/*
	 * A TCP segment holding the last byte of MSG_ZEROCOPY sends
	 * (SKBTX_ZEROCOPY): their ids, completed when it is freed (acked).
	 */
	uint32_t zc_lo, zc_hi;

	/* References (the kernel's skb->users): kfree_skb frees at the last. */
	uint32_t users;
	/* Fragments after the linear data; room for frags_max at frags (alloc_skb_frags). */
	uint32_t data_len;
	uint16_t nr_frags;
	uint16_t frags_max;
	struct skb_frag *frags;
	/*
	 * TCP's transmit-order list of sent segments (tcp_tsorted_anchor): on
	 * tp->tsorted_sent_queue from a send until SACKed, acked or found lost
	 * by RACK; linked to itself otherwise.
	 */
	struct list_head tcp_tsorted_anchor;

	/*
	 * Control buffer: private to the layer that owns the skb at the moment,
	 * as in the kernel (TCP keeps struct tcp_skb_cb here).
	 */
	_Alignas(8) uint8_t cb[48];
};

struct sk_buff_head {
	struct sk_buff *next, *prev; /* circular, the head itself is the sentinel */
	uint32_t qlen;
};

#define SKBTX_SW_TSTAMP	   0x02 /* include/linux/skbuff.h */
#define SKBTX_SCHED_TSTAMP 0x40 /* ... when the frame enters the (absent) qdisc */
/* The core's own, on TCP segments (tcp_timestamping.c): the kernel's tcb->txstamp_ack, ... */
#define SKBTX_ACK_TSTAMP 0x80
/* ... and the segment holds the last byte of MSG_ZEROCOPY sends zc_lo..zc_hi (uarg). */
#define SKBTX_ZEROCOPY	 0x04
#define SKBTX_ANY_TSTAMP (SKBTX_SW_TSTAMP | SKBTX_SCHED_TSTAMP)

/* Allocation: size is the payload room; MAX_HEADER headroom is always added. */
struct sk_buff *alloc_skb(unsigned int size);
/* ... with room for max_frags fragments besides (past the size bytes of room). */
struct sk_buff *alloc_skb_frags(unsigned int size, unsigned int max_frags);
/* Drops a reference; the last one frees the buffer and its fragments' references. */
void kfree_skb(struct sk_buff *skb);
/* Drops every buffer cached on this thread's free lists (for leak checkers). */
void skb_cache_drain(void);
/* How many freed buffers of the class alloc_skb(size) uses wait for reuse. */
unsigned int skb_cache_count(unsigned int size);
/*
 * A copy with the same headroom, data and header offsets; cb is copied too.
 * The copy is linear: fragments are copied in behind the linear data.
 */
struct sk_buff *skb_copy(const struct sk_buff *skb);
/* ... with at least tailroom bytes of room behind the data (skb_copy_expand). */
struct sk_buff *skb_copy_expand(const struct sk_buff *skb, unsigned int tailroom);
/*
 * Appends len bytes at p, inside owner, as a fragment (skb_fill_page_desc
 * with a page reference); false when frags_max are in use.
 */
bool skb_add_frag(struct sk_buff *skb, struct sk_buff *owner, const uint8_t *p, uint32_t len);
/*
 * Makes skb's payload one run of bytes. Unlike the kernel's skb_linearize
 * the buffer cannot grow in place: a fragmented skb is replaced by its
 * linear copy (skb_copy) and freed. Returns the linear skb, or NULL when no
 * buffer was left (skb freed).
 */
struct sk_buff *skb_linearize(struct sk_buff *skb);

static inline struct sk_buff *skb_get(struct sk_buff *skb)
{
	skb->users++;
	return skb;
}

/*
 * Asks for the lines a queue walk reads first (linkage and len; TCP's cb):
 * a walk of a long queue of cold segments otherwise waits on each next
 * pointer in turn (prefetch() in the kernel's list walks).
 */
static inline void skb_prefetch(const struct sk_buff *skb)
{
	__builtin_prefetch(skb);
	__builtin_prefetch(skb->cb);
}

static inline bool skb_is_nonlinear(const struct sk_buff *skb)
{
	return skb->data_len != 0;
}

static inline unsigned int skb_headlen(const struct sk_buff *skb)
{
	return skb->len - skb->data_len;
}

static inline unsigned int skb_headroom(const struct sk_buff *skb)
{
	return (unsigned int)(skb->data - skb->head);
}

static inline unsigned int skb_tailroom(const struct sk_buff *skb)
{
	return skb->end - skb_headroom(skb) - skb_headlen(skb) -
	       skb->frags_max * (unsigned int)sizeof(struct skb_frag);
}

static inline uint8_t *skb_tail_pointer(const struct sk_buff *skb)
{
	return skb->data + skb_headlen(skb);
}

static inline void skb_reserve(struct sk_buff *skb, unsigned int len)
{
	skb->data += len;
}

/* Extend the data at the end; returns where the new bytes go. */
static inline uint8_t *skb_put(struct sk_buff *skb, unsigned int len)
{
	uint8_t *tmp = skb_tail_pointer(skb);

	skb->len += len;
	return tmp;
}

/* Prepend a header; returns its start. The caller guarantees the headroom. */
static inline uint8_t *skb_push(struct sk_buff *skb, unsigned int len)
{
	skb->data -= len;
	skb->len += len;
	return skb->data;
}

/* Consume a header at the front; returns the new data start, NULL if short. */
static inline uint8_t *skb_pull(struct sk_buff *skb, unsigned int len)
{
	if (len > skb->len)
		return NULL;
	skb->len -= len;
	skb->data += len;
	return skb->data;
}

static inline void skb_trim(struct sk_buff *skb, unsigned int len)
{
	if (skb->len > len)
		skb->len = len;
}

static inline void skb_reset_mac_header(struct sk_buff *skb)
{
	skb->mac_header = (uint16_t)(skb->data - skb->head);
}

static inline void skb_reset_network_header(struct sk_buff *skb)
{
	skb->network_header = (uint16_t)(skb->data - skb->head);
}

static inline void skb_reset_transport_header(struct sk_buff *skb)
{
	skb->transport_header = (uint16_t)(skb->data - skb->head);
}

static inline uint8_t *skb_mac_header(const struct sk_buff *skb)
{
	return skb->head + skb->mac_header;
}

static inline uint8_t *skb_network_header(const struct sk_buff *skb)
{
	return skb->head + skb->network_header;
}

static inline uint8_t *skb_transport_header(const struct sk_buff *skb)
{
	return skb->head + skb->transport_header;
}

/* Queues, as in the kernel; none of them lock. */
static inline void skb_queue_head_init(struct sk_buff_head *list)
{
	list->next = list->prev = (struct sk_buff *)list;
	list->qlen = 0;
}

static inline int skb_queue_empty(const struct sk_buff_head *list)
{
	return list->next == (const struct sk_buff *)list;
}

static inline uint32_t skb_queue_len(const struct sk_buff_head *list)
{
	return list->qlen;
}

static inline struct sk_buff *skb_peek(const struct sk_buff_head *list)
{
	struct sk_buff *skb = list->next;

	return skb == (const struct sk_buff *)list ? NULL : skb;
}

static inline struct sk_buff *skb_peek_tail(const struct sk_buff_head *list)
{
	struct sk_buff *skb = list->prev;

	return skb == (const struct sk_buff *)list ? NULL : skb;
}

static inline int skb_queue_is_last(const struct sk_buff_head *list, const struct sk_buff *skb)
{
	return skb->next == (const struct sk_buff *)list;
}

_Static_assert(offsetof(struct sk_buff, next) == offsetof(struct sk_buff_list, next) &&
		       offsetof(struct sk_buff_head, next) == offsetof(struct sk_buff_list, next) &&
		       offsetof(struct sk_buff, prev) == offsetof(struct sk_buff_list, prev) &&
		       offsetof(struct sk_buff_head, prev) == offsetof(struct sk_buff_list, prev),
	       "queue heads and buffers share their linkage layout");

static inline struct sk_buff_list *skb_link(struct sk_buff *skb)
{
	return (struct sk_buff_list *)skb;
}

static inline void __skb_insert(struct sk_buff *newsk, struct sk_buff *prev, struct sk_buff *next,
				struct sk_buff_head *list)
{
	newsk->next = next;
	newsk->prev = prev;
	skb_link(next)->prev = newsk;
	skb_link(prev)->next = newsk;
	list->qlen++;
}

static inline void __skb_queue_tail(struct sk_buff_head *list, struct sk_buff *newsk)
{
	__skb_insert(newsk, list->prev, (struct sk_buff *)list, list);
}

static inline void __skb_queue_head(struct sk_buff_head *list, struct sk_buff *newsk)
{
	__skb_insert(newsk, (struct sk_buff *)list, list->next, list);
}

/* Insert newsk after old in list. */
static inline void __skb_queue_after(struct sk_buff_head *list, struct sk_buff *old,
				     struct sk_buff *newsk)
{
	__skb_insert(newsk, old, old->next, list);
}

static inline void __skb_queue_before(struct sk_buff_head *list, struct sk_buff *next,
				      struct sk_buff *newsk)
{
	__skb_insert(newsk, next->prev, next, list);
}

static inline void __skb_unlink(struct sk_buff *skb, struct sk_buff_head *list)
{
	struct sk_buff *next = skb->next, *prev = skb->prev;

	list->qlen--;
	skb_link(next)->prev = prev;
	skb_link(prev)->next = next;
	skb->next = skb->prev = NULL;
}

static inline struct sk_buff *__skb_dequeue(struct sk_buff_head *list)
{
	struct sk_buff *skb = skb_peek(list);

	if (skb)
		__skb_unlink(skb, list);
	return skb;
}

void __skb_queue_purge(struct sk_buff_head *list);

#define skb_queue_walk(queue, skb)                                                                 \
	for (skb = (queue)->next; skb != (struct sk_buff *)(queue); skb = skb->next)

#define skb_queue_walk_safe(queue, skb, tmp)                                                       \
	for (skb = (queue)->next, tmp = skb->next; skb != (struct sk_buff *)(queue);               \
	     skb = tmp, tmp = skb->next)

#endif
