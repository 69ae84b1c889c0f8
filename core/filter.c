// SPDX-License-Identifier: MIT
/*
 * Socket filters, as net/core/filter.c does them for classic BPF:
 * SO_ATTACH_FILTER hands a program that bpf_check_classic checks (allowed
 * opcodes, jumps inside the program, no division by a constant 0, shifts
 * under 32, scratch memory written before it is read, a return at the end),
 * and sk_filter_trim_cap runs it on every packet before it is queued, with
 * skb->data where the protocol has it then (TCP and UDP: the transport
 * header; ping: the ICMP header; raw: the IP header). A result of 0 drops
 * the packet, n keeps its first n bytes (never fewer than the caller's cap).
 *
 * The kernel runs the program converted to eBPF, so what the conversion
 * decides is what counts here too: a load outside the packet and a
 * division by X = 0 end the program with 0; negative offsets reach the IP
 * header (SKF_NET_OFF) and the link header (SKF_LL_OFF); SKF_AD_* loads
 * read the packet's metadata. The stack's packets have no mark, receive
 * hash or queue mapping (0, as an unmarked packet on a one-queue veth),
 * SKF_AD_CPU is 0 (the host's CPU is the OS's business) and SKF_AD_RANDOM
 * is a generator of its own. No OS calls here.
 */
#include "filter.h"

#include <errno.h>
#include <linux/if_arp.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "ip.h"
#include "net.h"
#include "net_namespace.h"
#include "netdevice.h"
#include "skbuff.h"
#include "tcp.h"

/* bpf_check_classic: the opcodes a socket filter may use (chk_code_allowed). */
static bool chk_code_allowed(uint16_t code)
{
	switch (code) {
	case BPF_ALU | BPF_ADD | BPF_K:
	case BPF_ALU | BPF_ADD | BPF_X:
	case BPF_ALU | BPF_SUB | BPF_K:
	case BPF_ALU | BPF_SUB | BPF_X:
	case BPF_ALU | BPF_MUL | BPF_K:
	case BPF_ALU | BPF_MUL | BPF_X:
	case BPF_ALU | BPF_DIV | BPF_K:
	case BPF_ALU | BPF_DIV | BPF_X:
	case BPF_ALU | BPF_MOD | BPF_K:
	case BPF_ALU | BPF_MOD | BPF_X:
	case BPF_ALU | BPF_AND | BPF_K:
	case BPF_ALU | BPF_AND | BPF_X:
	case BPF_ALU | BPF_OR | BPF_K:
	case BPF_ALU | BPF_OR | BPF_X:
	case BPF_ALU | BPF_XOR | BPF_K:
	case BPF_ALU | BPF_XOR | BPF_X:
	case BPF_ALU | BPF_LSH | BPF_K:
	case BPF_ALU | BPF_LSH | BPF_X:
	case BPF_ALU | BPF_RSH | BPF_K:
	case BPF_ALU | BPF_RSH | BPF_X:
	case BPF_ALU | BPF_NEG:
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_H | BPF_ABS:
	case BPF_LD | BPF_B | BPF_ABS:
	case BPF_LD | BPF_W | BPF_LEN:
	case BPF_LD | BPF_W | BPF_IND:
	case BPF_LD | BPF_H | BPF_IND:
	case BPF_LD | BPF_B | BPF_IND:
	case BPF_LD | BPF_IMM:
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_W | BPF_LEN:
	case BPF_LDX | BPF_B | BPF_MSH:
	case BPF_LDX | BPF_IMM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
	case BPF_MISC | BPF_TAX:
	case BPF_MISC | BPF_TXA:
	case BPF_RET | BPF_K:
	case BPF_RET | BPF_A:
	case BPF_JMP | BPF_JA:
	case BPF_JMP | BPF_JEQ | BPF_K:
	case BPF_JMP | BPF_JEQ | BPF_X:
	case BPF_JMP | BPF_JGE | BPF_K:
	case BPF_JMP | BPF_JGE | BPF_X:
	case BPF_JMP | BPF_JGT | BPF_K:
	case BPF_JMP | BPF_JGT | BPF_X:
	case BPF_JMP | BPF_JSET | BPF_K:
	case BPF_JMP | BPF_JSET | BPF_X:
		return true;
	}
	return false;
}

static bool is_cond_jump(uint16_t code)
{
	return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
}

/* The SKF_AD_* a load at k names (bpf_anc_helper), or -1 for a packet load. */
static int bpf_anc(uint32_t k)
{
	if (k < (uint32_t)SKF_AD_OFF)
		return -1;
	switch (k - (uint32_t)SKF_AD_OFF) {
	case SKF_AD_PROTOCOL:
	case SKF_AD_PKTTYPE:
	case SKF_AD_IFINDEX:
	case SKF_AD_NLATTR:
	case SKF_AD_NLATTR_NEST:
	case SKF_AD_MARK:
	case SKF_AD_QUEUE:
	case SKF_AD_HATYPE:
	case SKF_AD_RXHASH:
	case SKF_AD_CPU:
	case SKF_AD_ALU_XOR_X:
	case SKF_AD_VLAN_TAG:
	case SKF_AD_VLAN_TAG_PRESENT:
	case SKF_AD_PAY_OFFSET:
	case SKF_AD_RANDOM:
	case SKF_AD_VLAN_TPID:
		return (int)(k - (uint32_t)SKF_AD_OFF);
	}
	return -2; /* in the ancillary range but unknown */
}

/* check_load_and_stores: every scratch word is stored on every path before it is loaded. */
static int check_load_and_stores(const struct sock_filter *filter, unsigned int flen)
{
	uint16_t *masks = malloc(flen * sizeof(*masks)), memvalid = 0;
	int ret = 0;

	if (!masks)
		return -ENOMEM;
	memset(masks, 0xff, flen * sizeof(*masks));
	for (unsigned int pc = 0; pc < flen; pc++) {
		const struct sock_filter *f = &filter[pc];

		memvalid &= masks[pc];
		switch (f->code) {
		case BPF_ST:
		case BPF_STX:
			memvalid |= (uint16_t)(1u << f->k);
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
			if (!(memvalid & (1u << f->k))) {
				ret = -EINVAL;
				goto out;
			}
			break;
		case BPF_JMP | BPF_JA:
			masks[pc + 1 + f->k] &= memvalid;
			memvalid = 0xffff;
			break;
		default:
			if (is_cond_jump(f->code)) {
				masks[pc + 1 + f->jt] &= memvalid;
				masks[pc + 1 + f->jf] &= memvalid;
				memvalid = 0xffff;
			}
		}
	}
out:
	free(masks);
	return ret;
}

int bpf_check_classic(const struct sock_filter *filter, unsigned int flen)
{
	for (unsigned int pc = 0; pc < flen; pc++) {
		const struct sock_filter *f = &filter[pc];

		if (!chk_code_allowed(f->code))
			return -EINVAL;
		switch (f->code) {
		case BPF_ALU | BPF_DIV | BPF_K:
		case BPF_ALU | BPF_MOD | BPF_K:
			if (f->k == 0)
				return -EINVAL;
			break;
		case BPF_ALU | BPF_LSH | BPF_K:
		case BPF_ALU | BPF_RSH | BPF_K:
			if (f->k >= 32)
				return -EINVAL;
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
		case BPF_ST:
		case BPF_STX:
			if (f->k >= BPF_MEMWORDS)
				return -EINVAL;
			break;
		case BPF_JMP | BPF_JA:
			/* Unsigned: a huge k is no backward jump. */
			if (f->k >= flen - pc - 1)
				return -EINVAL;
			break;
		case BPF_LD | BPF_W | BPF_ABS:
		case BPF_LD | BPF_H | BPF_ABS:
		case BPF_LD | BPF_B | BPF_ABS:
			if (bpf_anc(f->k) == -2)
				return -EINVAL;
			break;
		default:
			if (is_cond_jump(f->code) &&
			    (pc + f->jt + 1 >= flen || pc + f->jf + 1 >= flen))
				return -EINVAL;
		}
	}
	switch (filter[flen - 1].code) {
	case BPF_RET | BPF_K:
	case BPF_RET | BPF_A:
		return check_load_and_stores(filter, flen);
	}
	return -EINVAL;
}

int sk_attach_filter(const struct sock_fprog *fprog, struct sock *sk)
{
	struct sk_filter *fp;
	int err;

	if (sock_flag(sk, SOCK_FILTER_LOCKED))
		return -EPERM;
	/* bpf_check_basics_ok */
	if (!fprog->filter || fprog->len == 0 || fprog->len > BPF_MAXINSNS)
		return -EINVAL;
	fp = malloc(sizeof(*fp) + fprog->len * sizeof(struct sock_filter));
	if (!fp)
		return -ENOMEM;
	fp->len = fprog->len;
	memcpy(fp->insns, fprog->filter, fprog->len * sizeof(struct sock_filter));
	err = bpf_check_classic(fp->insns, fp->len);
	if (err) {
		free(fp);
		return err;
	}
	free(sk->sk_filter);
	sk->sk_filter = fp;
	return 0;
}

int sk_detach_filter(struct sock *sk)
{
	if (sock_flag(sk, SOCK_FILTER_LOCKED))
		return -EPERM;
	if (!sk->sk_filter)
		return -ENOENT;
	sk_filter_release(sk);
	return 0;
}

int sk_get_filter(const struct sock *sk, struct sock_filter *out, unsigned int len)
{
	const struct sk_filter *fp = sk->sk_filter;

	if (!fp)
		return 0;
	if (!len) /* the caller asks only for the length */
		return (int)fp->len;
	if (len < fp->len)
		return -EINVAL;
	memcpy(out, fp->insns, fp->len * sizeof(struct sock_filter));
	return (int)fp->len;
}

void sk_filter_release(struct sock *sk)
{
	free(sk->sk_filter);
	sk->sk_filter = NULL;
}

void sk_filter_clone(struct sock *newsk, const struct sock *sk)
{
	const struct sk_filter *fp = sk->sk_filter;
	size_t size;

	if (!fp)
		return;
	size = sizeof(*fp) + fp->len * sizeof(struct sock_filter);
	newsk->sk_filter = malloc(size);
	if (newsk->sk_filter)
		memcpy(newsk->sk_filter, fp, size);
}

/* ---- running a program ---- */

/*
 * bpf_internal_load_pointer_neg_helper and the packet loads: size bytes at
 * offset k from skb->data, or from the IP or link header for the negative
 * ranges, inside the packet's buffer; NULL where the kernel's load fails.
 */
static const uint8_t *bpf_load_pointer(const struct sk_buff *skb, int32_t k, unsigned int size)
{
	const uint8_t *ptr;

	if (k >= 0)
		return (uint32_t)k + size <= skb->len ? skb->data + k : NULL;
	if (k >= SKF_NET_OFF)
		ptr = skb_network_header(skb) + (k - SKF_NET_OFF);
	else if (k >= SKF_LL_OFF)
		ptr = skb_mac_header(skb) + (k - SKF_LL_OFF);
	else
		return NULL;
	if (ptr >= skb->head && ptr + size <= skb_tail_pointer(skb))
		return ptr;
	return NULL;
}

static bool bpf_load(const struct sk_buff *skb, int32_t k, unsigned int size, uint32_t *a)
{
	const uint8_t *p = bpf_load_pointer(skb, k, size);

	if (!p)
		return false;
	if (size == 4)
		*a = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	else if (size == 2)
		*a = (uint32_t)p[0] << 8 | p[1];
	else
		*a = p[0];
	return true;
}

/* nla_find over the attributes at head (len bytes): the offset of type's, 0 if none. */
static uint32_t bpf_nla_find(const struct sk_buff *skb, uint32_t head, uint32_t len, uint32_t type)
{
	while (len >= NLA_HDRLEN) {
		struct nlattr nla;
		uint32_t step;

		memcpy(&nla, skb->data + head, sizeof(nla));
		if (nla.nla_len < NLA_HDRLEN || nla.nla_len > len)
			break;
		if ((nla.nla_type & NLA_TYPE_MASK) == type)
			return head;
		step = (uint32_t)NLA_ALIGN(nla.nla_len);
		if (step >= len)
			break;
		head += step;
		len -= step;
	}
	return 0;
}

/* bpf_skb_get_nlattr(_nest): A's attribute list, looked up for type X. */
static uint32_t bpf_nlattr(const struct sk_buff *skb, uint32_t a, uint32_t x, bool nest)
{
	struct nlattr nla;

	if (skb->len < NLA_HDRLEN || a > skb->len - NLA_HDRLEN)
		return 0;
	if (!nest)
		return bpf_nla_find(skb, a, skb->len - a, x);
	memcpy(&nla, skb->data + a, sizeof(nla));
	if (nla.nla_len < NLA_HDRLEN || nla.nla_len > skb->len - a)
		return 0;
	return bpf_nla_find(skb, a + NLA_HDRLEN, nla.nla_len - NLA_HDRLEN, x);
}

/*
 * skb_get_poff: where the payload starts, from skb->data, as the flow
 * dissector finds it (the transport header, plus its length for the
 * protocols it knows); 0 when there is no IP header to read.
 */
static uint32_t bpf_pay_offset(const struct sk_buff *skb)
{
	const uint8_t *nh = skb_network_header(skb);
	int32_t nhoff = (int32_t)(nh - skb->data);
	uint32_t poff, ihl;
	struct iphdr iph;

	if (nh < skb->head || nh + sizeof(iph) > skb_tail_pointer(skb))
		return 0;
	memcpy(&iph, nh, sizeof(iph)); /* a packet's header need not be aligned */
	ihl = iph.ihl * 4u;
	if (iph.version != 4 || ihl < sizeof(iph))
		return 0;
	poff = (uint32_t)(nhoff + (int32_t)ihl);
	/* A fragment after the first has no transport header. */
	if (ntohs(iph.frag_off) & 0x1fff) /* IP_OFFSET */
		return poff;
	switch (iph.protocol) {
	case IPPROTO_TCP: {
		const uint8_t *doff = bpf_load_pointer(skb, (int32_t)poff + 12, 1);

		if (doff)
			poff += (*doff >> 4) * 4u > 20 ? (*doff >> 4) * 4u : 20;
		break;
	}
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_ICMP:
	case IPPROTO_IGMP:
		poff += 8;
		break;
	}
	return poff;
}

static uint32_t bpf_random(void)
{
	static uint32_t state = 0x9e3779b9u;

	/* xorshift32: prandom_u32's job, without asking the OS. */
	state ^= state << 13;
	state ^= state >> 17;
	state ^= state << 5;
	return state;
}

/* An SKF_AD_* load: the new A. */
static uint32_t bpf_ancillary(const struct sk_buff *skb, int anc, uint32_t a, uint32_t x)
{
	switch (anc) {
	case SKF_AD_PROTOCOL:
		return skb->protocol;
	case SKF_AD_PKTTYPE:
		return skb->pkt_type;
	case SKF_AD_IFINDEX:
		/* The stack's looped-back packets have no device: they came in on lo. */
		return skb->dev ? (uint32_t)skb->dev->ifindex : LOOPBACK_IFINDEX;
	case SKF_AD_HATYPE:
		return skb->dev ? ARPHRD_ETHER : ARPHRD_LOOPBACK;
	case SKF_AD_NLATTR:
	case SKF_AD_NLATTR_NEST:
		return bpf_nlattr(skb, a, x, anc == SKF_AD_NLATTR_NEST);
	case SKF_AD_MARK:
	case SKF_AD_QUEUE:
	case SKF_AD_RXHASH:
	case SKF_AD_CPU:
		return 0;
	case SKF_AD_ALU_XOR_X:
		return a ^ x;
	case SKF_AD_VLAN_TAG:
		return skb->vlan_tci;
	case SKF_AD_VLAN_TAG_PRESENT:
		return skb->vlan_proto || skb->vlan_tci;
	case SKF_AD_VLAN_TPID:
		return skb->vlan_proto;
	case SKF_AD_PAY_OFFSET:
		return bpf_pay_offset(skb);
	}
	return bpf_random(); /* SKF_AD_RANDOM */
}

static bool bpf_jump_taken(uint16_t code, uint32_t a, uint32_t v)
{
	switch (BPF_OP(code)) {
	case BPF_JEQ:
		return a == v;
	case BPF_JGT:
		return a > v;
	case BPF_JGE:
		return a >= v;
	}
	return (a & v) != 0; /* BPF_JSET */
}

/* A (op) v, for the ALU opcodes; false for a division by 0 (the program returns 0). */
static bool bpf_alu(uint16_t code, uint32_t *a, uint32_t v)
{
	switch (BPF_OP(code)) {
	case BPF_ADD:
		*a += v;
		break;
	case BPF_SUB:
		*a -= v;
		break;
	case BPF_MUL:
		*a *= v;
		break;
	case BPF_DIV:
		if (!v)
			return false;
		*a /= v;
		break;
	case BPF_MOD:
		if (!v)
			return false;
		*a %= v;
		break;
	case BPF_AND:
		*a &= v;
		break;
	case BPF_OR:
		*a |= v;
		break;
	case BPF_XOR:
		*a ^= v;
		break;
	case BPF_LSH:
		*a <<= v & 31; /* as the JITs: the count is taken modulo 32 */
		break;
	case BPF_RSH:
		*a >>= v & 31;
		break;
	case BPF_NEG:
		*a = -*a;
		break;
	}
	return true;
}

static const unsigned int bpf_size[] = {[BPF_W] = 4, [BPF_H] = 2, [BPF_B] = 1};

unsigned int bpf_prog_run_classic(const struct sk_filter *fp, const struct sk_buff *skb)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};

	for (unsigned int pc = 0; pc < fp->len; pc++) {
		const struct sock_filter *f = &fp->insns[pc];
		uint32_t v = BPF_SRC(f->code) == BPF_X ? x : f->k;
		int anc;

		switch (BPF_CLASS(f->code)) {
		case BPF_LD:
			switch (BPF_MODE(f->code)) {
			case BPF_ABS:
				anc = bpf_anc(f->k);
				if (anc >= 0)
					a = bpf_ancillary(skb, anc, a, x);
				else if (!bpf_load(skb, (int32_t)f->k, bpf_size[BPF_SIZE(f->code)],
						   &a)) {
					return 0;
				}
				break;
			case BPF_IND:
				if (!bpf_load(skb, (int32_t)(x + f->k), bpf_size[BPF_SIZE(f->code)],
					      &a))
					return 0;
				break;
			case BPF_LEN:
				a = skb->len;
				break;
			case BPF_IMM:
				a = f->k;
				break;
			case BPF_MEM:
				a = mem[f->k];
				break;
			}
			break;
		case BPF_LDX:
			switch (BPF_MODE(f->code)) {
			case BPF_MSH:
				if (!bpf_load(skb, (int32_t)f->k, 1, &v))
					return 0;
				x = (v & 0xf) * 4;
				break;
			case BPF_LEN:
				x = skb->len;
				break;
			case BPF_IMM:
				x = f->k;
				break;
			case BPF_MEM:
				x = mem[f->k];
				break;
			}
			break;
		case BPF_ST:
			mem[f->k] = a;
			break;
		case BPF_STX:
			mem[f->k] = x;
			break;
		case BPF_ALU:
			if (!bpf_alu(f->code, &a, v))
				return 0;
			break;
		case BPF_JMP:
			if (BPF_OP(f->code) == BPF_JA)
				pc += f->k;
			else
				pc += bpf_jump_taken(f->code, a, v) ? f->jt : f->jf;
			break;
		case BPF_RET:
			return BPF_RVAL(f->code) == BPF_A ? a : f->k;
		case BPF_MISC:
			if (BPF_MISCOP(f->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		}
	}
	return 0; /* not reached: a checked program ends with a return */
}

int sk_filter_trim_cap(struct sock *sk, struct sk_buff *skb, unsigned int cap)
{
	unsigned int pkt_len;

	if (!sk->sk_filter)
		return 0;
	pkt_len = bpf_prog_run_classic(sk->sk_filter, skb);
	if (!pkt_len)
		return -EPERM;
	skb_trim(skb, pkt_len > cap ? pkt_len : cap);
	return 0;
}

int tcp_filter(struct sock *sk, struct sk_buff *skb)
{
	const struct tcphdr *th = (const struct tcphdr *)skb->data;
	unsigned int hlen = tcp_hdrlen(th);
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);

	if (sk_filter_trim_cap(sk, skb, hlen))
		return 1;
	/* tcp_v4_fill_cb comes after the filter: a trimmed segment carries less. */
	cb->end_seq = cb->seq + th->syn + th->fin + (skb->len - hlen);
	return 0;
}
