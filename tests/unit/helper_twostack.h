/* SPDX-License-Identifier: MIT */
/*
 * Two stacks on one in-memory wire, for unit tests (UDP, ICMP, ARP, TCP).
 *
 *   side 0: 10.0.0.1/24, MAC 02:00:00:00:00:01
 *   side 1: 10.0.0.2/24, MAC 02:00:00:00:00:02
 *
 * Time is virtual: ts->now starts at TWOSTACK_T0 and only moves when a test
 * runs the stacks. twostack_run_until() alternately delivers the frames due
 * now, runs the timers due now, and jumps the clock to the next event (a
 * frame's delivery or a timer), until the deadline; so a test reads as a
 * dialogue: "send; run 10 ms; expect the datagram".
 *
 * Sockets are made by the real creation path (__sock_create(kern = 1)) on
 * the side's struct net; tests then call sock->ops directly.
 */
#ifndef SOCKSHIM_HELPER_TWOSTACK_H
#define SOCKSHIM_HELPER_TWOSTACK_H

#include <netinet/in.h>
#include <stdint.h>

#include "net.h"
#include "net_namespace.h"
#include "netdevice.h"

#define TWOSTACK_T0 NSEC_PER_SEC

struct twostack {
	struct mem_link *link;
	struct net_device *dev[2];
	struct net net[2];
	uint64_t now;
};

/* imp NULL: a perfect wire with no delay. Returns NULL on failure. */
struct twostack *twostack_create(const struct mem_link_impair *imp);
void twostack_destroy(struct twostack *ts);

/* Deliver what is due and run due timers at ts->now; returns frames delivered. */
int twostack_step(struct twostack *ts);
/* Run both stacks until the virtual clock reaches deadline_ns (absolute). */
void twostack_run_until(struct twostack *ts, uint64_t deadline_ns);
/* Same, relative to now. */
void twostack_run_for(struct twostack *ts, uint64_t ns);
/* Run until neither the wire nor a timer has anything left (at most one virtual hour). */
void twostack_run_idle(struct twostack *ts);

/* Addresses of a side, network order, and a sockaddr_in for (side, port). */
uint32_t twostack_addr(int side);
struct sockaddr_in twostack_sin(int side, uint16_t port);
extern const uint8_t twostack_mac[2][6];

/* A socket on a side via __sock_create(kern = 1); NULL and *err on failure. */
struct socket *twostack_socket(struct twostack *ts, int side, int type, int protocol, int *err);
int twostack_bind(struct socket *sock, uint32_t addr, uint16_t port);
int twostack_connect(struct socket *sock, const struct sockaddr_in *to);
/*
 * A TCP connection from side 0 to side 1's port: sk[0] the listener (side
 * 1), sk[1] the client (side 0), sk[2] the accepted server, for the caller
 * to release; 0, or -errno with nothing left to release.
 */
int twostack_tcp_pair(struct twostack *ts, uint16_t port, struct socket *sk[3]);
/* Releases what of such a pair is left (the entries not NULL) and clears them. */
void twostack_tcp_pair_release(struct socket *sk[3]);
/* sendmsg / recvmsg with one buffer; from may be NULL. MSG_DONTWAIT is implied. */
int twostack_sendto(struct socket *sock, const void *buf, size_t len, const struct sockaddr_in *to);
int twostack_recvfrom(struct socket *sock, void *buf, size_t len, int flags,
		      struct sockaddr_in *from);

/* Whether frames are on the wire, not yet delivered. */
int twostack_frames_in_flight(const struct twostack *ts);

#endif
