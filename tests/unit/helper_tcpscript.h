/* SPDX-License-Identifier: MIT */
/*
 * Scripted TCP peers for unit tests, in the spirit of packetdrill: a table
 * of steps on the virtual clock, each "at T ms inject this segment" ('<')
 * or "at T ms the stack sends exactly this segment" ('>').
 *
 * The stack under test is side 0 of a twostack (10.0.0.1); the script plays
 * 10.0.0.2. Every TCP segment side 0 sends is captured and kept from side
 * 1 (whose stack still answers ARP); injected segments go on the wire from
 * side 1. Each segment the stack sends must be expected, at its exact time:
 * an inject step or the end of a table fails when one is left unexplained.
 *
 * Sequence numbers are relative, as tcpdump shows them: the stack's to its
 * ISN (that of the SYN or SYN-ACK expected last), the script's to
 * TCPSCRIPT_PEER_ISN.
 * Options are written as a comma-separated list, in wire order:
 *   "mss 1460,sackOK,TS val 5 ecr 0,nop,wscale 7,sack 101:201 301:401,md5,eol"
 * "md5" is a TCP-MD5 option whose digest is not compared (injected: 0x5a bytes).
 * A timestamp value may be "*" (any) or "now" (the stack's clock in ms,
 * which is its TSval when tcp_timestamps is 2: no per-connection offset).
 * SACK edges are relative to the sequence space they acknowledge (the
 * script's data when the stack sends them, the stack's when injected).
 * Fast Open: "tfo" is a cookie request (kind 34, length 2), "tfo *" any
 * 8-byte cookie, "tfo 0a0b0c0d0e0f1011" that cookie; "tfoexp" the
 * experimental request (kind 254, magic 0xF989).
 * opts NULL means no options at all; "*" means not checked.
 */
#ifndef SOCKSHIM_HELPER_TCPSCRIPT_H
#define SOCKSHIM_HELPER_TCPSCRIPT_H

#include <stdbool.h>
#include <stdint.h>

#include "helper_twostack.h"

#define TCPSCRIPT_PEER_ISN  1000000u
#define TCPSCRIPT_PEER_PORT 40000
#define TCPSCRIPT_WIN_ZERO  (-1) /* win: the field must be 0 (0 means not checked) */

struct tcpscript_seg {
	/*
	 * tcpdump's: "S", "S.", ".", "P.", "F.", "R", "R.", "SEW", ".E"; then
	 * the IP header's ECN field if not Not-ECT: ":ect0", ":ect1", ":ce".
	 */
	const char *flags;
	uint32_t seq, ack; /* relative; ack is ignored (and must be 0 on the wire) without '.' */
	uint32_t len;	   /* payload bytes (injected ones are filled with 'a' + seq % 26) */
	int32_t win;	   /* raw window field; 0 = not checked when expected, 65535 injected */
	const char *opts;
};

struct tcpscript_step {
	uint64_t at_ms; /* since tcpscript_start */
	char dir;	/* '<' inject, '>' expect; 0 ends the table */
	struct tcpscript_seg seg;
};

#define TCPSCRIPT_MAX_OUT 512

struct tcpscript_pkt {
	uint64_t t;
	uint32_t seq, ack;
	uint16_t win, len, sport, dport;
	uint8_t flags, optlen, ecn;
	uint8_t opts[40];
};

#define TCPSCRIPT_MAX_SOCKS 8

struct tcpscript {
	struct twostack *ts;
	struct socket *socks[TCPSCRIPT_MAX_SOCKS]; /* tcpscript_socket's, released at the stop */
	unsigned int nsocks;
	uint64_t t0;
	uint16_t stack_port; /* learned from the stack's first segment, or set for a listener */
	uint16_t peer_port; /* the script's port: TCPSCRIPT_PEER_PORT unless a test plays several */
	uint32_t stack_isn; /* of the SYN or SYN-ACK expected last */
	struct tcpscript_pkt out[TCPSCRIPT_MAX_OUT];
	unsigned int nout, next;
	char err[1024];
};

/* A twostack with the capture in place; time 0 of the script is now. */
struct tcpscript *tcpscript_start(void);
void tcpscript_stop(struct tcpscript *sc);
/*
 * The scripted suites' fixture: tcpscript_start with Linux's sysctls and
 * the congestion control cong (the test fails without a stack), and its
 * end: tcpscript_stop with the frame cache emptied (skb_cache_drain).
 */
struct tcpscript *tcpscript_start_linux(const char *cong);
void tcpscript_stop_drained(struct tcpscript *sc);

/*
 * Both stacks as Linux's defaults would have them, but for timestamps
 * without a per-connection offset (tcp_timestamps 2) and the given
 * congestion control: SACK, D-SACK, window scaling, the kernel's buffers.
 */
void tcpscript_linux_sysctls(struct tcpscript *sc, const char *cong);
/* A TCP socket of the stack under test (side 0); tcpscript_stop releases it. */
struct socket *tcpscript_socket(struct tcpscript *sc);
/*
 * tcpscript_socket, SO_RCVBUF set first unless 0, then connect() to the
 * peer: the SYN waits in the script; NULL if a step failed.
 */
struct socket *tcpscript_connect(struct tcpscript *sc, int rcvbuf);
/* Adopts s (e.g. an accepted socket) for release by tcpscript_stop. */
struct socket *tcpscript_track(struct tcpscript *sc, struct socket *s);

/* Runs the table; false with sc->err describing the first mismatch. */
bool tcpscript_run(struct tcpscript *sc, const struct tcpscript_step *steps);
/* Runs the steps given (a table without its end) and fails the test on a mismatch. */
#define TCPSCRIPT_RUN(sc, ...)                                                                     \
	do {                                                                                       \
		const struct tcpscript_step steps_[] = {__VA_ARGS__, {0}};                         \
		cr_assert(tcpscript_run(sc, steps_), "%s", (sc)->err);                             \
	} while (0)

/* Runs the clock to at_ms; false if the stack sent anything in the meantime. */
bool tcpscript_quiet_until(struct tcpscript *sc, uint64_t at_ms);

/*
 * Injects, now, an ICMP fragmentation-needed (type 3 code 4) from the
 * script's address saying next-hop MTU mtu, quoting the stack's segment at
 * relative sequence seq (its IP header and first 8 TCP bytes).
 */
void tcpscript_inject_frag_needed(struct tcpscript *sc, uint32_t seq, uint16_t mtu);

/* The stack's clock in ms (its TSval with tcp_timestamps = 2). */
uint32_t tcpscript_now_ms(const struct tcpscript *sc);

#endif
