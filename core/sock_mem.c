// SPDX-License-Identifier: MIT
/*
 * TCP's memory pool and pressure (net/core/sock.c __sk_mem_raise_allocated,
 * __sk_mem_reduce_allocated; include/net/sock.h sk_wmem_schedule,
 * sk_rmem_schedule, sk_mem_charge/uncharge; net/ipv4/tcp.c's memory
 * pressure and tcp_out_of_memory).
 *
 * A socket takes whole pages (SK_MEM_QUANTUM) from its stack's pool into
 * sk_forward_alloc before it queues bytes, charges the bytes against them,
 * and gives whole pages back as soon as its queues free a page, as the
 * kernel's sk_mem_uncharge since 6.0. net.ipv4.tcp_mem's three marks (pages)
 * decide when pages are taken: up to [0] always, and pressure ends; above
 * [1] pressure begins (TCPMemoryPressures; TCPMemoryPressuresChrono adds
 * its length in ms when it ends); above [2] no page is given, but a sender
 * gets one past its shrunk send buffer (the kernel's "fail only if under
 * sndbuf"). Between the marks a socket below tcp_wmem[0] / tcp_rmem[0], or
 * below its fair share under pressure (a socket's pages times the TCP
 * sockets alive under tcp_mem[2]), still gets its pages.
 *
 * What is charged: on the receive side the kernel's truesize of its skbs
 * (sk_rmem_alloc: tcp_input.c's tcp_queue_rcv, what the owner has not
 * read included); on the send side the payload bytes of the write queue
 * (sk_wmem_queued), not the kernel's truesize (skb head, struct sk_buff,
 * the slack of a partly filled segment). Measured on this kernel over a
 * veth with the queue full (SO_MEMINFO against SIOCOUTQ), truesize is the
 * payload and 1.7% (64 KiB writes), 2.6% (100-byte writes, TCP_NODELAY:
 * they coalesce into the unsent tail) or 4.9% (1448-byte writes): the pool
 * counts that much less here.
 *
 * What differs from the kernel's pool: it is the stack host's alone (the
 * kernel's is the machine's, every namespace's and kernel socket's), and its
 * count is exact (the kernel's global count lags each CPU's reserve of up
 * to 1 MiB, net.core.mem_pcpu_rsv); there are no memory cgroups.
 */
#include "net.h"
#include "net_namespace.h"
#include "tcp.h"

enum { SK_MEM_SEND, SK_MEM_RECV };

static long tcp_mem_limit(const struct sock *sk, int index)
{
	return sock_net(sk)->sysctl.tcp_mem[index];
}

void tcp_enter_memory_pressure(struct sock *sk)
{
	struct net *net = sock_net(sk);

	if (net->tcp_memory_pressure)
		return;
	/* The start, never 0 (0 says no pressure), as the kernel's jiffies. */
	net->tcp_memory_pressure = net->now ? net->now : 1;
	__NET_INC_STATS(net, TCPMemoryPressures);
}

/* The stack clock in the kernel's ticks (no overflow for any uptime). */
static uint64_t jiffies_at(uint64_t ns, uint64_t hz)
{
	return ns / NSEC_PER_SEC * hz + ns % NSEC_PER_SEC * hz / NSEC_PER_SEC;
}

void tcp_leave_memory_pressure(struct sock *sk)
{
	struct net *net = sock_net(sk);
	uint64_t hz = net->sysctl.hz > 0 ? (uint64_t)net->sysctl.hz : 250;
	uint64_t since = net->tcp_memory_pressure;

	if (!since)
		return;
	net->tcp_memory_pressure = 0;
	/* jiffies_to_msecs(jiffies - start): both ends on the kernel's ticks. */
	net->mib.tcpext.TCPMemoryPressuresChrono +=
		(jiffies_at(net->now, hz) - jiffies_at(since, hz)) * 1000 / hz;
}

void sk_stream_moderate_sndbuf(struct sock *sk)
{
	int val;

	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		return;
	val = sk->sk_wmem_queued >> 1;
	if (val > sk->sk_sndbuf)
		val = sk->sk_sndbuf;
	sk->sk_sndbuf = val > SOCK_MIN_SNDBUF ? val : SOCK_MIN_SNDBUF;
}

/* The fair share under pressure: this socket's pages times the sockets alive fit tcp_mem[2]. */
static bool tcp_mem_below_average(const struct sock *sk)
{
	const struct net *net = sock_net(sk);
	long socks = net->tcp_sockets_allocated ? (long)net->tcp_sockets_allocated : 1;
	long pages = sk_mem_pages(sk->sk_wmem_queued + sk->sk_rmem_alloc + sk->sk_forward_alloc);

	return tcp_mem_limit(sk, 2) > socks * pages;
}

/* amt pages to the pool for size bytes of kind: whether the socket may keep them. */
static bool __sk_mem_raise_allocated(struct sock *sk, int size, long amt, int kind)
{
	struct net *net = sock_net(sk);
	long allocated;

	net->tcp_memory_allocated += amt;
	allocated = net->tcp_memory_allocated;
	if (allocated <= tcp_mem_limit(sk, 0)) {
		tcp_leave_memory_pressure(sk);
		return true;
	}
	if (allocated > tcp_mem_limit(sk, 1))
		tcp_enter_memory_pressure(sk);
	if (allocated <= tcp_mem_limit(sk, 2)) {
		/* RFC 7323's least buffers hold under pressure, not past the hard limit. */
		if (kind == SK_MEM_RECV ? sk->sk_rmem_alloc < net->sysctl.tcp_rmem[0]
					: sk->sk_wmem_queued < net->sysctl.tcp_wmem[0])
			return true;
		if (!net->tcp_memory_pressure || tcp_mem_below_average(sk))
			return true;
	}
	if (kind == SK_MEM_SEND) {
		sk_stream_moderate_sndbuf(sk);
		/* A writer already at its (shrunk) buffer cannot wait for it: it gets the page. */
		if (sk->sk_wmem_queued + size >= sk->sk_sndbuf)
			return true;
	}
	net->tcp_memory_allocated -= amt;
	return false;
}

static bool __sk_mem_schedule(struct sock *sk, int size, int kind)
{
	long amt = sk_mem_pages(size);

	sk->sk_forward_alloc += (int)(amt * SK_MEM_QUANTUM);
	if (__sk_mem_raise_allocated(sk, size, amt, kind))
		return true;
	sk->sk_forward_alloc -= (int)(amt * SK_MEM_QUANTUM);
	return false;
}

bool sk_wmem_schedule(struct sock *sk, int size)
{
	int delta = size - sk->sk_forward_alloc;

	return delta <= 0 || __sk_mem_schedule(sk, delta, SK_MEM_SEND);
}

bool sk_rmem_schedule(struct sock *sk, int size)
{
	int delta = size - sk->sk_forward_alloc;

	return delta <= 0 || __sk_mem_schedule(sk, delta, SK_MEM_RECV);
}

void sk_forced_mem_schedule(struct sock *sk, int size)
{
	int delta = size - sk->sk_forward_alloc;
	long amt;

	if (delta <= 0)
		return;
	amt = sk_mem_pages(delta);
	sk->sk_forward_alloc += (int)(amt * SK_MEM_QUANTUM);
	sock_net(sk)->tcp_memory_allocated += amt;
}

/* amount's whole pages back to the pool (__sk_mem_reclaim, __sk_mem_reduce_allocated). */
void __sk_mem_reclaim(struct sock *sk, int amount)
{
	struct net *net = sock_net(sk);
	long pages = amount / SK_MEM_QUANTUM;

	sk->sk_forward_alloc -= (int)(pages * SK_MEM_QUANTUM);
	net->tcp_memory_allocated -= pages;
	if (net->tcp_memory_pressure && net->tcp_memory_allocated < tcp_mem_limit(sk, 0))
		tcp_leave_memory_pressure(sk);
}

int tcp_wmem_schedule(struct sock *sk, int copy)
{
	int left;

	if (sk_wmem_schedule(sk, copy))
		return copy;
	/* Nothing queued must not mean no progress: up to tcp_wmem[0] is always given. */
	left = sock_net(sk)->sysctl.tcp_wmem[0] - sk->sk_wmem_queued;
	if (left > 0)
		sk_forced_mem_schedule(sk, left < copy ? left : copy);
	if (sk->sk_forward_alloc <= 0)
		return 0;
	return copy < sk->sk_forward_alloc ? copy : sk->sk_forward_alloc;
}

bool tcp_out_of_memory(const struct sock *sk)
{
	return sk->sk_wmem_queued > SOCK_MIN_SNDBUF &&
	       sock_net(sk)->tcp_memory_allocated > tcp_mem_limit(sk, 2);
}

bool tcp_under_memory_pressure(const struct sock *sk)
{
	return sock_net(sk)->tcp_memory_pressure != 0;
}

bool tcp_mem_allows_sndbuf_growth(const struct sock *sk)
{
	const struct net *net = sock_net(sk);

	return !net->tcp_memory_pressure && net->tcp_memory_allocated < tcp_mem_limit(sk, 0);
}
