/* SPDX-License-Identifier: MIT */
/*
 * Socket filters (net/core/filter.c): classic BPF programs attached with
 * SO_ATTACH_FILTER, checked as bpf_check_classic does and run on every
 * packet before it is queued to the socket (sk_filter_trim_cap).
 */
#ifndef CORE_FILTER_H
#define CORE_FILTER_H

#include <linux/filter.h>

struct sock;
struct sk_buff;

/* The attached program, as given (the kernel's orig_prog: SO_GET_FILTER returns it). */
struct sk_filter {
	unsigned int len;
	struct sock_filter insns[];
};

/*
 * Attaches fprog (its instructions in the caller's reach) to sk in place
 * of the one it has: -EPERM when locked (SO_LOCK_FILTER), -EINVAL for a
 * program bpf_check_classic refuses, -ENOMEM.
 */
int sk_attach_filter(const struct sock_fprog *fprog, struct sock *sk);
/* SO_DETACH_FILTER: -EPERM when locked, -ENOENT without a filter. */
int sk_detach_filter(struct sock *sk);
/*
 * SO_GET_FILTER: the number of instructions of the attached program (0
 * without one); with len not 0 also copies them to out, which has room
 * for len of them (-EINVAL if fewer than the program has).
 */
int sk_get_filter(const struct sock *sk, struct sock_filter *out, unsigned int len);
void sk_filter_release(struct sock *sk);
/* sk_clone_lock: newsk gets a copy of sk's program (none if there is no memory for it). */
void sk_filter_clone(struct sock *newsk, const struct sock *sk);

/*
 * Runs sk's filter on skb (skb->data where the protocol has it: the
 * transport header for TCP and UDP, the ICMP header for ping, the IP
 * header for raw) and trims skb to what it returns, never below cap
 * bytes. 0: keep skb; -EPERM: the filter dropped it (the caller frees it).
 */
int sk_filter_trim_cap(struct sock *sk, struct sk_buff *skb, unsigned int cap);

static inline int sk_filter(struct sock *sk, struct sk_buff *skb)
{
	return sk_filter_trim_cap(sk, skb, 1);
}

/*
 * tcp_filter: sk's filter on a segment (skb->data at the TCP header), never
 * trimmed into the header; a dropped segment is as if lost. Nonzero: drop.
 */
int tcp_filter(struct sock *sk, struct sk_buff *skb);

/* Runs a checked program on skb: what it returns (the bytes to keep, 0 to drop). */
unsigned int bpf_prog_run_classic(const struct sk_filter *fp, const struct sk_buff *skb);
/* bpf_check_classic: 0 or -EINVAL. */
int bpf_check_classic(const struct sock_filter *filter, unsigned int flen);

#endif
