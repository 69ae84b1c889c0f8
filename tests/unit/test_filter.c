// SPDX-License-Identifier: MIT
/*
 * Classic BPF socket filters (core/filter.c). The checker is compared with
 * the kernel's: random programs go to SO_ATTACH_FILTER on a kernel socket
 * and to bpf_check_classic, and both must accept or refuse each alike. The
 * interpreter runs on a hand-made UDP packet (skb->data at the UDP header,
 * as udp_queue_rcv_skb has it) with the results the kernel's conversion to
 * eBPF gives: failed loads and division by X = 0 end the program with 0.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "filter.h"
#include "net.h"
#include "skbuff.h"

/* Ethernet (14) + IP (20) + UDP (8) + "payload!" (8), data at the UDP header. */
static struct sk_buff *udp_packet(void)
{
	static const uint8_t frame[] = {
		2,    0,    0,	  0,   0,   2,	 2,   0,    0,	  0,	0,    1,    0x08,
		0x00, 0x45, 0x10, 0,   36,  0,	 1,   0x40, 0,	  64,	17,   0,    0,
		10,   99,   0,	  2,   10,  99,	 0,   10,   0x1b, 0xc0, 0x04, 0xd2, 0,
		16,   0,    0,	  'p', 'a', 'y', 'l', 'o',  'a',  'd',	'!',
	};
	struct sk_buff *skb = alloc_skb(sizeof(frame));

	cr_assert(skb);
	memcpy(skb_put(skb, sizeof(frame)), frame, sizeof(frame));
	skb_reset_mac_header(skb);
	skb_pull(skb, 14);
	skb_reset_network_header(skb);
	skb_pull(skb, 20);
	skb_reset_transport_header(skb);
	skb->protocol = 0x0800;
	return skb;
}

static unsigned int run(const struct sock_filter *insns, unsigned int len)
{
	struct sk_buff *skb = udp_packet();
	struct sk_filter *fp = malloc(sizeof(*fp) + len * sizeof(*insns));
	unsigned int r;

	cr_assert(fp);
	fp->len = len;
	memcpy(fp->insns, insns, len * sizeof(*insns));
	cr_assert_eq(bpf_check_classic(insns, len), 0, "the program must pass the checker");
	r = bpf_prog_run_classic(fp, skb);
	free(fp);
	kfree_skb(skb);
	return r;
}

#define RUN(...)                                                                                   \
	run((const struct sock_filter[]){__VA_ARGS__},                                             \
	    sizeof((const struct sock_filter[]){__VA_ARGS__}) / sizeof(struct sock_filter))

Test(filter, loads)
{
	/* The UDP source port, its length, a payload byte through X. */
	cr_expect_eq(RUN(BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0), BPF_STMT(BPF_RET | BPF_A, 0)),
		     7104);
	cr_expect_eq(RUN(BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0), BPF_STMT(BPF_RET | BPF_A, 0)), 16);
	cr_expect_eq(RUN(BPF_STMT(BPF_LDX | BPF_IMM, 8), BPF_STMT(BPF_LD | BPF_B | BPF_IND, 7),
			 BPF_STMT(BPF_RET | BPF_A, 0)),
		     '!');
	/* The last whole word, and one byte past the end: the program ends with 0. */
	cr_expect_eq(RUN(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 12), BPF_STMT(BPF_RET | BPF_K, 1)), 1);
	cr_expect_eq(RUN(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 13), BPF_STMT(BPF_RET | BPF_K, 1)), 0);
	/* The IP header below the data, the link header below that, and nothing before it. */
	cr_expect_eq(RUN(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_NET_OFF + 9),
			 BPF_STMT(BPF_RET | BPF_A, 0)),
		     17);
	cr_expect_eq(RUN(BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, SKF_NET_OFF),
			 BPF_STMT(BPF_MISC | BPF_TXA, 0), BPF_STMT(BPF_RET | BPF_A, 0)),
		     20);
	cr_expect_eq(RUN(BPF_STMT(BPF_LD | BPF_H | BPF_ABS, SKF_LL_OFF + 12),
			 BPF_STMT(BPF_RET | BPF_A, 0)),
		     0x0800);
	cr_expect_eq(RUN(BPF_STMT(BPF_LDX | BPF_IMM, (uint32_t)-100),
			 BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0), BPF_STMT(BPF_RET | BPF_K, 1)),
		     0);
	/* An index that wraps to a negative offset reaches the network header. */
	cr_expect_eq(RUN(BPF_STMT(BPF_LDX | BPF_IMM, (uint32_t)SKF_NET_OFF),
			 BPF_STMT(BPF_LD | BPF_B | BPF_IND, 8), BPF_STMT(BPF_RET | BPF_A, 0)),
		     64);
	cr_expect_eq(RUN(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)(SKF_LL_OFF - 1)),
			 BPF_STMT(BPF_RET | BPF_K, 1)),
		     0);
	cr_expect_eq(RUN(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL),
			 BPF_STMT(BPF_RET | BPF_A, 0)),
		     0x0800);
	cr_expect_eq(RUN(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PAY_OFFSET),
			 BPF_STMT(BPF_RET | BPF_A, 0)),
		     8);
	cr_expect_eq(RUN(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_IFINDEX),
			 BPF_STMT(BPF_RET | BPF_A, 0)),
		     1, "no device: lo");
}

Test(filter, alu_and_jumps)
{
	cr_expect_eq(RUN(BPF_STMT(BPF_LD | BPF_IMM, 100), BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 3),
			 BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 7),
			 BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 30), BPF_STMT(BPF_RET | BPF_A, 0)),
		     12);
	cr_expect_eq(RUN(BPF_STMT(BPF_LD | BPF_IMM, 100), BPF_STMT(BPF_LDX | BPF_IMM, 0),
			 BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0), BPF_STMT(BPF_RET | BPF_K, 5)),
		     0);
	cr_expect_eq(RUN(BPF_STMT(BPF_LD | BPF_IMM, 100), BPF_STMT(BPF_LDX | BPF_IMM, 0),
			 BPF_STMT(BPF_ALU | BPF_MOD | BPF_X, 0), BPF_STMT(BPF_RET | BPF_K, 5)),
		     0);
	cr_expect_eq(RUN(BPF_STMT(BPF_LD | BPF_IMM, 1), BPF_STMT(BPF_LDX | BPF_IMM, 33),
			 BPF_STMT(BPF_ALU | BPF_LSH | BPF_X, 0), BPF_STMT(BPF_RET | BPF_A, 0)),
		     2);
	cr_expect_eq(RUN(BPF_STMT(BPF_LD | BPF_IMM, 5), BPF_STMT(BPF_ALU | BPF_NEG, 0),
			 BPF_STMT(BPF_RET | BPF_A, 0)),
		     (unsigned int)-5);
	cr_expect_eq(RUN(BPF_STMT(BPF_LD | BPF_IMM, 6),
			 BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 4, 1, 0),
			 BPF_STMT(BPF_RET | BPF_K, 1), BPF_STMT(BPF_RET | BPF_K, 2)),
		     2);
	cr_expect_eq(RUN(BPF_STMT(BPF_LD | BPF_IMM, 6), BPF_STMT(BPF_ST, 15),
			 BPF_STMT(BPF_JMP | BPF_JA, 1), BPF_STMT(BPF_RET | BPF_K, 1),
			 BPF_STMT(BPF_LDX | BPF_MEM, 15),
			 BPF_JUMP(BPF_JMP | BPF_JGE | BPF_X, 6, 0, 1), BPF_STMT(BPF_RET | BPF_K, 3),
			 BPF_STMT(BPF_RET | BPF_K, 4)),
		     3);
}

Test(filter, trim_cap)
{
	struct sk_buff *skb = udp_packet();
	struct sock sk = {0};
	struct sock_filter keep3[] = {BPF_STMT(BPF_RET | BPF_K, 3)};
	struct sock_filter keep10[] = {BPF_STMT(BPF_RET | BPF_K, 10)};
	struct sock_filter none[] = {BPF_STMT(BPF_RET | BPF_K, 0)};

	cr_assert_eq(sk_attach_filter(&(struct sock_fprog){1, keep3}, &sk), 0);
	cr_expect_eq(sk_filter_trim_cap(&sk, skb, 8), 0);
	cr_expect_eq(skb->len, 8, "never below the cap");
	cr_assert_eq(sk_attach_filter(&(struct sock_fprog){1, keep10}, &sk), 0);
	cr_expect_eq(sk_filter_trim_cap(&sk, skb, 8), 0);
	cr_expect_eq(skb->len, 8, "never longer than it was");
	cr_assert_eq(sk_attach_filter(&(struct sock_fprog){1, none}, &sk), 0);
	cr_expect_eq(sk_filter_trim_cap(&sk, skb, 8), -EPERM);
	sock_set_flag(&sk, SOCK_FILTER_LOCKED);
	cr_expect_eq(sk_attach_filter(&(struct sock_fprog){1, keep3}, &sk), -EPERM);
	cr_expect_eq(sk_detach_filter(&sk), -EPERM);
	sock_reset_flag(&sk, SOCK_FILTER_LOCKED);
	cr_expect_eq(sk_detach_filter(&sk), 0);
	cr_expect_eq(sk_detach_filter(&sk), -ENOENT);
	kfree_skb(skb);
}

/* Opcodes to draw from: every allowed one and some that are not. */
static const uint16_t codes[] = {
	BPF_LD | BPF_W | BPF_ABS,
	BPF_LD | BPF_H | BPF_ABS,
	BPF_LD | BPF_B | BPF_ABS,
	BPF_LD | BPF_W | BPF_IND,
	BPF_LD | BPF_W | BPF_LEN,
	BPF_LD | BPF_IMM,
	BPF_LD | BPF_MEM,
	BPF_LDX | BPF_IMM,
	BPF_LDX | BPF_MEM,
	BPF_LDX | BPF_B | BPF_MSH,
	BPF_LDX | BPF_W | BPF_LEN,
	BPF_ST,
	BPF_STX,
	BPF_ALU | BPF_ADD | BPF_K,
	BPF_ALU | BPF_DIV | BPF_K,
	BPF_ALU | BPF_MOD | BPF_X,
	BPF_ALU | BPF_LSH | BPF_K,
	BPF_ALU | BPF_RSH | BPF_K,
	BPF_ALU | BPF_NEG,
	BPF_JMP | BPF_JA,
	BPF_JMP | BPF_JEQ | BPF_K,
	BPF_JMP | BPF_JGT | BPF_X,
	BPF_JMP | BPF_JSET | BPF_K,
	BPF_RET | BPF_K,
	BPF_RET | BPF_A,
	BPF_MISC | BPF_TAX,
	BPF_MISC | BPF_TXA,
	BPF_RET | BPF_X,
	BPF_LD | BPF_H | BPF_IMM,
	BPF_LDX | BPF_W | BPF_ABS,
	BPF_ALU | BPF_NEG | BPF_X,
	BPF_JMP | BPF_JA | BPF_X,
	0xff,
};

static uint32_t draw_k(uint16_t code)
{
	static const uint32_t ks[] = {0,
				      1,
				      2,
				      15,
				      16,
				      31,
				      32,
				      1000,
				      (uint32_t)SKF_AD_OFF,
				      (uint32_t)SKF_AD_OFF + SKF_AD_PROTOCOL,
				      (uint32_t)SKF_AD_OFF + SKF_AD_VLAN_TPID,
				      (uint32_t)SKF_AD_OFF + SKF_AD_MAX,
				      (uint32_t)SKF_AD_OFF + 61,
				      (uint32_t)SKF_NET_OFF,
				      0xffffffff};

	(void)code;
	return ks[(unsigned int)rand() % (sizeof(ks) / sizeof(ks[0]))];
}

/* The checker agrees with the kernel's on random programs, valid and not. */
Test(filter, checker_as_the_kernel)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	unsigned int accepted = 0, refused = 0;

	cr_assert(fd >= 0);
	srand(8);
	for (int round = 0; round < 20000; round++) {
		struct sock_filter prog[6];
		unsigned int len = 1 + (unsigned int)rand() % 6;
		struct sock_fprog fprog = {.len = (unsigned short)len, .filter = prog};
		int kernel, ours;

		for (unsigned int i = 0; i < len; i++) {
			prog[i].code =
				codes[(unsigned int)rand() % (sizeof(codes) / sizeof(codes[0]))];
			prog[i].k = draw_k(prog[i].code);
			prog[i].jt = (uint8_t)(rand() % 4);
			prog[i].jf = (uint8_t)(rand() % 4);
		}
		/* Most random programs end without a return: end half of them with one. */
		if (rand() % 2)
			prog[len - 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 1);
		kernel = setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog))
				 ? -errno
				 : 0;
		ours = bpf_check_classic(prog, len);
		cr_assert_eq(ours, kernel, "round %d: kernel %d, ours %d", round, kernel, ours);
		if (kernel)
			refused++;
		else
			accepted++;
	}
	cr_expect_gt(accepted, 1000, "too few valid programs to prove anything");
	cr_expect_gt(refused, 1000);
	close(fd);
}
