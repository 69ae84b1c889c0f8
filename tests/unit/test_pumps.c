// SPDX-License-Identifier: MIT
/*
 * The stack host's pumps without root: a host of the test's own (struct
 * stackd on side 0 of the in-memory link, virtual clock) and a plain core
 * stack as its peer on side 1. Each emulated socket's application end is a
 * real AF_UNIX pair, as a program under the interposer holds it; the test
 * plays the program on that end and the peer on the other side of the wire.
 *
 * What must hold: bytes both ways through a TCP connection, a datagram both
 * ways with its peer address, a pair the program never reads does not stop
 * another connection's transfer, and a pair the program closes ends its
 * connection as the kernel would (FIN after everything was read, RST with
 * bytes unread). What a reply to a request tells is never ahead of what
 * the program's end shows, nor does a reply's error-queue entry put a
 * datagram in the pair.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helper_twostack.h"
#include "inet.h"
#include "shim_ctl.h"
#include "stackd.h"
#include "tcp.h"

#define PORT	 8080
#define STEP_NS	 (100 * NSEC_PER_USEC)
#define MAXSTEPS 400000 /* 40 s of virtual time: any wait below ends far sooner */

static struct stackd sd;
static struct net peer;
static struct mem_link *wire;
static struct net_device *peer_dev;
static uint64_t vnow;

static uint64_t virtual_clock(struct stackd *host)
{
	return vnow;
}

static void setup(void)
{
	memset(&sd, 0, sizeof(sd));
	memset(&peer, 0, sizeof(peer));
	vnow = TWOSTACK_T0;
	wire = mem_link_create(NULL);
	cr_assert_not_null(wire);
	sd.clock = virtual_clock;
	sd.cfg.addr = twostack_addr(0);
	sd.cfg.netmask = htonl(0xffffff00u);
	memcpy(sd.cfg.mac, twostack_mac[0], sizeof(sd.cfg.mac));
	cr_assert_eq(stackd_init(&sd, mem_link_dev(wire, 0, twostack_mac[0])), 0);
	peer_dev = mem_link_dev(wire, 1, twostack_mac[1]);
	cr_assert_eq(net_init(&peer, peer_dev, twostack_addr(1), htonl(0xffffff00u), 0,
			      twostack_mac[1], vnow),
		     0);
}

static void teardown(void)
{
	stackd_destroy(&sd);
	net_exit(&peer);
	mem_link_destroy(wire);
	skb_cache_drain();
}

TestSuite(pumps, .init = setup, .fini = teardown);

/* One step of virtual time: the wire, the peer's timers, one round of the host's loop. */
static void step(void)
{
	vnow += STEP_NS;
	net_set_time(&peer, vnow);
	stackd_enter(&sd, NULL);
	mem_link_deliver(wire, vnow);
	net_run_timers(&peer);
	dev_flush(peer_dev);
	cr_assert_geq(stackd_round(&sd, UINT64_MAX, false), 0);
}

/* Steps until cond holds (evaluated once per step: it may consume what it checks). */
#define RUN_UNTIL(cond)                                                                            \
	do {                                                                                       \
		bool done_ = false;                                                                \
		for (int steps_ = 0; !(done_ = (cond)) && steps_ < MAXSTEPS; steps_++)             \
			step();                                                                    \
		cr_assert(done_, "not reached in virtual time: " #cond);                           \
	} while (0)

/* A host socket as SHIM_OP_CREATE makes it: the core socket, its pair, its record. */
static struct stackd_sock *host_socket(int type, int *app_fd)
{
	struct socket *sock = NULL;
	struct stackd_sock *ss;
	bool stream = type == SOCK_STREAM;
	int sv[2];

	stackd_enter(&sd, NULL);
	cr_assert_eq(sock_create_cred(&sd.net, AF_INET, type, 0, NULL, &sock), 0);
	cr_assert_eq(
		socketpair(AF_UNIX, (stream ? SOCK_STREAM : SOCK_SEQPACKET) | SOCK_CLOEXEC, 0, sv),
		0);
	cr_assert_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	cr_assert_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	ss = stackd_sock_new(&sd, sock, sv[1], stream);
	cr_assert_not_null(ss);
	cr_assert_eq(stackd_skid_get(sv[0], &ss->app), 0);
	*app_fd = sv[0];
	return ss;
}

static struct socket *peer_socket(int type)
{
	struct socket *s = NULL;

	cr_assert_eq(__sock_create(&peer, AF_INET, type, 0, &s, 1), 0);
	return s;
}

static struct socket *peer_listener(void)
{
	struct socket *l = peer_socket(SOCK_STREAM);

	cr_assert_eq(twostack_bind(l, twostack_addr(1), PORT), 0);
	cr_assert_eq(l->ops->listen(l, 16), 0);
	return l;
}

static struct socket *peer_accept(struct socket *l)
{
	struct socket *n = calloc(1, sizeof(*n));

	cr_assert_not_null(n);
	if (l->ops->accept(l, n, O_NONBLOCK, true)) {
		free(n);
		return NULL;
	}
	return n;
}

/* The program connects its socket to the peer's listener; returns the peer's end. */
static struct socket *connect_through_host(struct stackd_sock *ss, struct socket *l)
{
	struct sockaddr_in to = twostack_sin(1, PORT);
	struct socket *s = NULL;
	int r;

	stackd_enter(&sd, NULL);
	r = ss->sock->ops->connect(ss->sock, (struct sockaddr *)&to, sizeof(to), O_NONBLOCK);
	cr_assert(r == 0 || r == -EINPROGRESS, "connect: %d", r);
	stackd_sock_queue(ss);
	RUN_UNTIL((s = peer_accept(l)) != NULL);
	return s;
}

static int peer_recv(struct socket *s, void *buf, size_t len)
{
	return twostack_recvfrom(s, buf, len, 0, NULL);
}

static int peer_send(struct socket *s, const void *buf, size_t len)
{
	return twostack_sendto(s, buf, len, NULL);
}

static void fill_pattern(uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed);
}

Test(pumps, tcp_bytes_both_ways_through_the_pump)
{
	enum { LEN = 300000 };
	uint8_t *out = malloc(LEN), *in = calloc(1, LEN);
	struct socket *l = peer_listener(), *s;
	size_t sent = 0, got = 0;
	int app, steps = 0;
	char reply[8] = {0};
	struct stackd_sock *ss = host_socket(SOCK_STREAM, &app);

	s = connect_through_host(ss, l);
	fill_pattern(out, LEN, 1);
	/* The program writes as its pair takes it; the peer reads as bytes arrive. */
	while ((sent < LEN || got < LEN) && steps++ < MAXSTEPS) {
		ssize_t w = sent < LEN ? write(app, out + sent, LEN - sent) : 0;
		int r;

		if (w > 0)
			sent += (size_t)w;
		else
			cr_assert(w == 0 || errno == EAGAIN, "write: %s", strerror(errno));
		step();
		r = peer_recv(s, in + got, LEN - got);
		if (r > 0)
			got += (size_t)r;
		else
			cr_assert_eq(r, -EAGAIN);
	}
	cr_assert_eq(got, LEN);
	cr_assert_eq(memcmp(in, out, LEN), 0, "the peer got other bytes than the program wrote");

	cr_assert_eq(peer_send(s, "pong", 4), 4);
	RUN_UNTIL(read(app, reply, sizeof(reply)) == 4);
	cr_assert_str_eq(reply, "pong");

	close(app);
	sock_release(s);
	sock_release(l);
	free(out);
	free(in);
}

Test(pumps, datagram_both_ways_with_its_address)
{
	struct socket *u = peer_socket(SOCK_DGRAM);
	struct shim_dgram hdr = {.addr = twostack_sin(1, 9000)};
	struct sockaddr_in from;
	uint8_t frame[sizeof(struct shim_dgram) + 64];
	struct shim_dgram *back = (struct shim_dgram *)frame;
	char buf[16] = {0};
	struct stackd_sock *ss;
	int app;
	ssize_t n = -1;

	ss = host_socket(SOCK_DGRAM, &app);
	ss->tx_cookie = 0x1122334455667788ull;
	cr_assert_eq(twostack_bind(u, 0, 9000), 0);
	hdr.cookie = ss->tx_cookie;
	memcpy(frame, &hdr, sizeof(hdr));
	memcpy(frame + sizeof(hdr), "ping", 4);
	cr_assert_eq(send(app, frame, sizeof(hdr) + 4, 0), (ssize_t)(sizeof(hdr) + 4));

	RUN_UNTIL(twostack_recvfrom(u, buf, sizeof(buf), 0, &from) == 4);
	cr_assert_str_eq(buf, "ping");
	cr_assert_eq(from.sin_addr.s_addr, twostack_addr(0));

	cr_assert_eq(twostack_sendto(u, "pong!", 5, &from), 5);
	RUN_UNTIL((n = recv(app, frame, sizeof(frame), 0)) > 0);
	cr_assert_eq(n, (ssize_t)(sizeof(*back) + 5));
	cr_assert_eq(back->cookie, ss->nonce);
	cr_assert_eq(back->err, 0);
	cr_assert_eq(back->addr.sin_addr.s_addr, twostack_addr(1));
	cr_assert_eq(back->addr.sin_port, htons(9000));
	cr_assert_eq(memcmp(frame + sizeof(*back), "pong!", 5), 0);

	close(app);
	sock_release(u);
}

/*
 * Datagrams the program writes to its end past the interposer (io_uring,
 * write(2)) carry no header: the host sends them as the kernel sends a
 * send() without an address, to the connected peer byte for byte (an empty
 * one too, which is no end of the pair), and on an unconnected socket
 * counts them as undeliverable instead of sending anything.
 */
Test(pumps, a_bare_datagram_goes_to_the_connected_peer_or_is_counted)
{
	struct socket *u = peer_socket(SOCK_DGRAM);
	struct sockaddr_in to = twostack_sin(1, 9000), from;
	struct stackd_sock *ss, *loose;
	char buf[64];
	int app, loose_app, n = -1;

	cr_assert_eq(twostack_bind(u, 0, 9000), 0);
	ss = host_socket(SOCK_DGRAM, &app);
	stackd_enter(&sd, NULL);
	cr_assert_eq(ss->sock->ops->connect(ss->sock, (struct sockaddr *)&to, sizeof(to), 0), 0);
	cr_assert_eq(write(app, "ping", 4), 4);
	RUN_UNTIL((n = twostack_recvfrom(u, buf, sizeof(buf), 0, &from)) >= 0);
	cr_assert_eq(n, 4);
	cr_assert_eq(memcmp(buf, "ping", 4), 0);
	cr_assert_eq(from.sin_addr.s_addr, twostack_addr(0));
	cr_assert_eq(send(app, "", 0, 0), 0);
	RUN_UNTIL((n = twostack_recvfrom(u, buf, sizeof(buf), 0, NULL)) >= 0);
	cr_assert_eq(n, 0, "the empty datagram did not come");
	cr_assert_not(ss->pair_hup, "an empty datagram taken for the end of the pair");

	loose = host_socket(SOCK_DGRAM, &loose_app);
	cr_assert_eq(write(loose_app, "lost", 4), 4);
	RUN_UNTIL(sd.bare_nodest == 1);
	for (int i = 0; i < 10; i++)
		step();
	cr_assert_eq(twostack_recvfrom(u, buf, sizeof(buf), 0, NULL), -EAGAIN);
	cr_assert_not(loose->pair_hup);

	close(loose_app);
	close(app);
	sock_release(u);
}

/*
 * A close found by one round is carried out as due work at the start of the
 * next: when that leaves the host idle, the round must end at once so that
 * its caller starts the linger, not sleep with no deadline until some
 * unrelated event (the host stayed for ever after its last socket).
 */
Test(pumps, a_close_run_as_due_work_leaves_the_round_at_once, .timeout = 20)
{
	int app;

	host_socket(SOCK_DGRAM, &app);
	cr_assert(!stackd_idle(&sd));
	close(app);
	step(); /* the hang-up's event: the record's work is queued */
	cr_assert_eq(sd.nsocks, 1, "the close must still be queued for this test to show anything");
	cr_assert_geq(stackd_round(&sd, UINT64_MAX, true), 0);
	cr_assert(stackd_idle(&sd));
}

/*
 * A socket's notice word sits at its id modulo the page's slots: a new
 * socket never gets an id whose slot a live one holds (it would have no
 * word), and gets it once that one is gone.
 */
Test(pumps, a_new_socket_never_shares_a_live_sockets_notice_slot)
{
	int fa, fb, fc;
	struct stackd_sock *a = host_socket(SOCK_DGRAM, &fa), *b, *c;
	const uint32_t slots = sd.notice_slots;
	uint32_t slot = a->id % slots, held = a->id;

	sd.next_id = held + slots;
	b = host_socket(SOCK_DGRAM, &fb);
	cr_assert_neq(b->id % slots, slot);
	cr_assert_eq(b->id, held + slots + 1);

	stackd_sock_free(a);
	sd.next_id = held + 2 * slots;
	c = host_socket(SOCK_DGRAM, &fc);
	cr_assert_eq(c->id, held + 2 * slots);
	close(fa);
	close(fb);
	close(fc);
}

/*
 * The page has a slot for every fd the host may have (each live socket holds
 * one): a host allowed 200,000 fds has 262,144 slots, and a page that big is
 * what the interposer takes for one; below 65,536 fds the page keeps 65,536,
 * and no limit makes it larger than SHIM_NOTICE_SLOTS_MAX. (This machine's
 * hard limit, 20,000 fds, keeps a real host below 65,536 sockets.)
 */
Test(pumps, the_notice_page_has_a_slot_for_each_fd_the_host_may_have)
{
	cr_assert_eq(stackd_notice_slots_for(200000), 262144u);
	cr_assert_eq(stackd_notice_slots_for(65537), 131072u);
	cr_assert_eq(stackd_notice_slots_for(1000), SHIM_NOTICE_SLOTS_MIN);
	cr_assert_eq(stackd_notice_slots_for(RLIM_INFINITY), SHIM_NOTICE_SLOTS_MAX);
	cr_assert_eq(sd.notice_slots, stackd_notice_slots_for(sd.notice_slots));

	cr_assert_eq(shim_notice_slots_of(SHIM_NOTICE_LEN(262144u)), 262144u);
	cr_assert_eq(shim_notice_slots_of(SHIM_NOTICE_LEN(262144u) - 8), 0);
	cr_assert_eq(shim_notice_slots_of(SHIM_NOTICE_LEN(1024u)), 0);
	cr_assert_eq(shim_notice_slots_of(SHIM_NOTICE_LEN(3u << 16)), 0);
	cr_assert_eq(shim_notice_slots_of(SHIM_NOTICE_LEN(SHIM_NOTICE_SLOTS_MAX << 1)), 0);
}

/* The peer sends into conn A, whose program never reads; conn B's transfer still completes. */
Test(pumps, a_full_pair_does_not_block_another)
{
	enum { LEN = 200000 };
	static uint8_t chunk[65536], in[LEN];
	struct socket *l = peer_listener(), *sa, *sb;
	int app_a, app_b, sent_b = 0, got = 0, steps = 0;
	struct stackd_sock *a = host_socket(SOCK_STREAM, &app_a);
	struct stackd_sock *b = host_socket(SOCK_STREAM, &app_b);
	bool a_stalled = false;
	static uint8_t expect[LEN];

	sa = connect_through_host(a, l);
	sb = connect_through_host(b, l);
	fill_pattern(chunk, sizeof(chunk), 3);
	fill_pattern(expect, LEN, 5);

	while (got < LEN && steps++ < MAXSTEPS) {
		ssize_t r;

		/* A: as much as the peer's socket takes, for ever. */
		if (peer_send(sa, chunk, sizeof(chunk)) == -EAGAIN)
			a_stalled = true;
		if (sent_b < LEN) {
			int w = peer_send(sb, expect + sent_b, (size_t)(LEN - sent_b));

			if (w > 0)
				sent_b += w;
		}
		step();
		r = read(app_b, in + got, (size_t)(LEN - got));
		if (r > 0)
			got += (int)r;
	}
	cr_assert_eq(got, LEN, "B got %d of %d bytes while A's pair was full", got, LEN);
	cr_assert_eq(memcmp(in, expect, LEN), 0);
	/* A really was stuck: the peer's sends were refused and the pair holds A's bytes. */
	cr_assert(a_stalled, "conn A never filled up");
	cr_assert_gt(read(app_a, chunk, sizeof(chunk)), 0);

	close(app_a);
	close(app_b);
	sock_release(sa);
	sock_release(sb);
	sock_release(l);
}

/* Bytes the application wrote into the pair that the host has not read. */
static int pair_unread(const struct stackd_sock *ss)
{
	int n = -1;

	cr_assert_eq(ioctl(ss->fd, FIONREAD, &n), 0);
	return n;
}

/*
 * Two connections through the host to the peer's listener l (which never
 * reads): B sparse (a byte through, its pair empty) and A bulk (its turns
 * end with bytes still in its pair); then both get work, A queued first.
 */
static void sparse_and_bulk(struct socket *l, struct stackd_sock **a, struct stackd_sock **b,
			    int *app_a, int *app_b, struct socket **sa, struct socket **sb)
{
	static uint8_t chunk[65536];
	char c;

	*a = host_socket(SOCK_STREAM, app_a);
	*b = host_socket(SOCK_STREAM, app_b);
	*sa = connect_through_host(*a, l);
	*sb = connect_through_host(*b, l);
	cr_assert_eq(write(*app_b, "x", 1), 1);
	RUN_UNTIL(peer_recv(*sb, &c, 1) == 1);
	cr_assert((*b)->sparse);
	fill_pattern(chunk, sizeof(chunk), 1);
	for (int i = 0; i < 200; i++) {
		while (write(*app_a, chunk, sizeof(chunk)) > 0)
			;
		step();
	}
	cr_assert(!(*a)->sparse, "unread %d readable %d writable %d", pair_unread(*a),
		  (*a)->pair_readable, (*a)->pair_writable);
	cr_assert_gt(pair_unread(*a), 0);
	cr_assert_eq(write(*app_b, "y", 1), 1);
	stackd_pair_event(*a, EPOLLIN);
	stackd_pair_event(*b, EPOLLIN);
}

Test(pumps, a_sparse_socket_runs_before_bulk_ones_and_the_rest_keep_their_turn)
{
	struct socket *l = peer_listener(), *sa, *sb;
	struct stackd_sock *a, *b;
	int app_a, app_b, a_left;

	sparse_and_bulk(l, &a, &b, &app_a, &app_b, &sa, &sb);
	/* A round with no time left runs one socket: B. */
	a_left = pair_unread(a);
	stackd_run_ready(&sd, 0);
	cr_assert_eq(pair_unread(b), 0, "the sparse socket did not go first");
	cr_assert_eq(pair_unread(a), a_left);
	cr_assert(a->queued, "the bulk socket lost its turn");
	/* The next round serves A, which stays bulk. */
	stackd_run_ready(&sd, 0);
	cr_assert_not(a->queued);
	cr_assert_not(a->sparse);

	close(app_a);
	close(app_b);
	sock_release(sa);
	sock_release(sb);
	sock_release(l);
}

/* The host's device with a flush that notes how many times it ran, and A's pair at the first. */
static struct stackd_sock *flush_watch;
static int flushes, unread_at_first_flush;

static void counting_flush(struct net_device *dev)
{
	if (!flushes++)
		unread_at_first_flush = pair_unread(flush_watch);
}

Test(pumps, a_sparse_sockets_frames_leave_before_the_bulk_turns)
{
	struct socket *l = peer_listener(), *sa, *sb;
	struct stackd_sock *a, *b;
	struct net_device *dev = sd.net.dev;
	const struct net_device_ops *ops = dev->netdev_ops;
	struct net_device_ops counting = *ops;
	int app_a, app_b, a_left;
	char c;

	sparse_and_bulk(l, &a, &b, &app_a, &app_b, &sa, &sb);
	a_left = pair_unread(a);
	counting.ndo_flush = counting_flush;
	dev->netdev_ops = &counting;
	flush_watch = a;
	flushes = 0;
	/* Time for both: B's byte is flushed to the link before A's turn reads A's pair. */
	stackd_run_ready(&sd, UINT64_MAX);
	dev->netdev_ops = ops;
	cr_assert_eq(flushes, 1, "%d flushes in a round with a sparse and a bulk socket", flushes);
	cr_assert_eq(unread_at_first_flush, a_left, "the bulk socket ran before the flush");
	cr_assert_eq(pair_unread(b), 0);
	RUN_UNTIL(peer_recv(sb, &c, 1) == 1);
	cr_assert_eq(c, 'y');
	/* With only bulk work queued, no flush of its own: the round's one flush sends it. */
	stackd_run_ready(&sd, UINT64_MAX); /* what the peer's ACKs queued */
	cr_assert_not(b->queued);
	flushes = 0;
	dev->netdev_ops = &counting;
	stackd_pair_event(a, EPOLLIN);
	stackd_run_ready(&sd, UINT64_MAX);
	dev->netdev_ops = ops;
	cr_assert_eq(flushes, 0);

	close(app_a);
	close(app_b);
	sock_release(sa);
	sock_release(sb);
	sock_release(l);
}

Test(pumps, pair_closed_after_reading_all_sends_fin)
{
	struct socket *l = peer_listener(), *s;
	char buf[8];
	int app, r = -EAGAIN;
	struct stackd_sock *ss = host_socket(SOCK_STREAM, &app);

	s = connect_through_host(ss, l);
	cr_assert_eq(peer_send(s, "bye", 3), 3);
	RUN_UNTIL(read(app, buf, sizeof(buf)) == 3);
	close(app);
	RUN_UNTIL((r = peer_recv(s, buf, sizeof(buf))) != -EAGAIN);
	cr_assert_eq(r, 0, "the peer should see EOF (FIN), got %d", r);

	sock_release(s);
	sock_release(l);
}

Test(pumps, pair_closed_with_bytes_unread_sends_rst)
{
	struct socket *l = peer_listener(), *s;
	char buf[8];
	int app, r = -EAGAIN;
	struct stackd_sock *ss = host_socket(SOCK_STREAM, &app);

	s = connect_through_host(ss, l);
	cr_assert_eq(peer_send(s, "unread", 6), 6);
	/* The bytes reach the program's end of the pair, which it closes without reading. */
	RUN_UNTIL(recv(app, buf, sizeof(buf), MSG_PEEK) == 6);
	close(app);
	RUN_UNTIL((r = peer_recv(s, buf, sizeof(buf))) != -EAGAIN);
	cr_assert_eq(r, -ECONNRESET, "the peer should see a reset, got %d", r);

	sock_release(s);
	sock_release(l);
}

/*
 * What the peer sent reaches the host's stack, but the host's loop does not
 * run: as a round's link poll whose epoll batch also holds a request, the
 * records it queued have their turn still due.
 */
static void deliver_only(void)
{
	dev_flush(peer_dev);
	vnow += STEP_NS;
	net_set_time(&peer, vnow);
	stackd_enter(&sd, NULL);
	mem_link_deliver(wire, vnow);
}

/*
 * One request as the interposer sends it, over a control connection of the
 * test's own (SO_PASSCRED: the host reads the sender's credentials from
 * it), with the program's end of the socket's pair attached to show that
 * it holds the socket; rep gets the host's reply.
 */
static void host_request(struct stackd_sock *ss, int app_fd, struct shim_req *req,
			 struct shim_rep *rep)
{
	struct stackd_conn *c = calloc(1, sizeof(*c));
	struct iovec iov = {.iov_base = req,
			    .iov_len = shim_req_len(req->hdr.op, shim_req_optbytes(req))};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	union shim_fd_cmsg u;
	int sv[2];

	cr_assert_not_null(c);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	cr_assert_eq(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int)), 0);
	*c = (struct stackd_conn){.ep.kind = STACKD_EP_CONN,
				  .sd = &sd,
				  .fd = sv[1],
				  .pid = getpid(),
				  .uid = getuid(),
				  .gid = getgid(),
				  .hello = true};
	cr_assert_eq(stackd_user_conn_add(&sd, c->uid), 0);
	list_add_tail(&c->node, &sd.conns);
	sd.nconns++;

	req->hdr.version = SHIM_CTL_VERSION;
	req->hdr.len = (uint32_t)iov.iov_len;
	req->hdr.id = ss->id;
	shim_msg_put_fd(&msg, &u, app_fd);
	cr_assert_eq(sendmsg(sv[0], &msg, 0), (ssize_t)iov.iov_len);
	stackd_conn_event(c, EPOLLIN);
	cr_assert_eq(recv(sv[0], rep, sizeof(*rep), 0), (ssize_t)sizeof(*rep), "no reply");
	close(sv[0]);
	stackd_conn_close(c);
}

/* The state in TCP_INFO's reply, asked as the program asks it. */
static int host_tcp_state(struct stackd_sock *ss, int app)
{
	struct shim_req req = {.hdr.op = SHIM_OP_GETSOCKOPT,
			       .sockopt = {.level = SOL_TCP,
					   .optname = TCP_INFO,
					   .optlen = sizeof(struct tcp_info)}};
	struct shim_rep rep;

	host_request(ss, app, &req, &rep);
	cr_assert_eq(rep.hdr.ret, 0, "TCP_INFO: %d", rep.hdr.ret);
	return rep.sockopt.optval[0];
}

/* A connection through the host, idle, then "hello" and a FIN from the peer; its end. */
static struct socket *peer_hello_fin(struct stackd_sock *ss, struct socket *l)
{
	struct socket *s = connect_through_host(ss, l);

	RUN_UNTIL(ss->sock->sk->sk_state == TCP_ESTABLISHED && !ss->connecting && !ss->queued);
	cr_assert_eq(peer_send(s, "hello", 5), 5);
	stackd_enter(&sd, NULL);
	cr_assert_eq(s->ops->shutdown(s, SHUT_WR), 0);
	return s;
}

/*
 * The peer resets a connection whose data and FIN the program has read
 * (fin_rst.py): the reset comes off the link in the same epoll batch as a
 * request about the socket and ahead of it, so the record's turn has not
 * come when the host answers. What the reply says (TCP_CLOSE) must show on
 * the program's end already, as the kernel's socket lock orders it: a write
 * after the reply fails with EPIPE.
 */
Test(pumps, a_reset_closes_the_pair_before_a_reply_tells_of_it)
{
	struct socket *l = peer_listener(), *s;
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	struct stackd_sock *ss;
	char buf[8];
	int app;

	ss = host_socket(SOCK_STREAM, &app);
	s = peer_hello_fin(ss, l);
	RUN_UNTIL(read(app, buf, sizeof(buf)) == 5);
	RUN_UNTIL(read(app, buf, sizeof(buf)) == 0);
	/* SO_LINGER {1, 0}: the peer's close is a reset. */
	cr_assert_eq(sock_setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	sock_release(s);
	deliver_only();
	cr_assert_eq(ss->sock->sk->sk_state, TCP_CLOSE, "no reset came");
	cr_assert(ss->queued && !ss->zombie, "the reset's turn came already: nothing tested");

	cr_assert_eq(host_tcp_state(ss, app), TCP_CLOSE);
	errno = 0;
	cr_assert_eq(send(app, "y", 1, MSG_NOSIGNAL | MSG_DONTWAIT), -1,
		     "a write after the reply that said TCP_CLOSE was taken");
	cr_assert_eq(errno, EPIPE);
	close(app);
	sock_release(l);
}

/*
 * The peer's data and FIN come off the link in the same epoll batch as a
 * request about the socket, ahead of it: when the reply says
 * TCP_CLOSE_WAIT, a non-blocking read gets the data and then EOF, as the
 * kernel's would, not EAGAIN.
 */
Test(pumps, a_fin_is_in_the_pair_before_a_reply_tells_of_it)
{
	struct socket *l = peer_listener(), *s;
	struct stackd_sock *ss;
	char buf[8];
	int app;

	ss = host_socket(SOCK_STREAM, &app);
	s = peer_hello_fin(ss, l);
	deliver_only();
	cr_assert_eq(ss->sock->sk->sk_state, TCP_CLOSE_WAIT, "no FIN came");
	cr_assert(ss->queued, "the FIN's turn came already: nothing tested");

	cr_assert_eq(host_tcp_state(ss, app), TCP_CLOSE_WAIT);
	cr_assert_eq(recv(app, buf, sizeof(buf), MSG_DONTWAIT), 5, "the data is not in the pair");
	cr_assert_eq(recv(app, buf, sizeof(buf), MSG_DONTWAIT), 0, "no EOF in the pair");
	close(app);
	sock_release(s);
	sock_release(l);
}

/*
 * A datagram the program is about to send is over the MTU with
 * IP_PMTUDISC_DO and IP_RECVERR (SHIM_SO_DGRAM_SIZE: EMSGSIZE, an entry
 * on the error queue): the reply tells the program, the notice word says
 * ERR, and the pair gets one void report, the wake-up of whoever sleeps
 * on the socket (sk_error_report), which the interposer drops; no other
 * report follows, also when the record's turn, due from an earlier
 * request, comes only after this one (test_pmtu saw poll say IN|OUT|ERR
 * where the kernel's says OUT|ERR, from a second, real report).
 */
Test(pumps, an_oversized_sends_error_queue_entry_wakes_the_pair_with_a_void_report)
{
	struct shim_dgram_size d = {.to = twostack_sin(1, PORT), .len = 1473, .gso_size = -1};
	struct shim_req req = {.hdr.op = SHIM_OP_SETSOCKOPT,
			       .sockopt = {.level = SOL_SOCKET,
					   .optname = SHIM_SO_DGRAM_SIZE,
					   .optlen = sizeof(d)}};
	struct shim_dgram_size_rep r;
	struct shim_dgram h;
	struct shim_rep rep;
	struct stackd_sock *ss;
	int app, on = 1, pmtu = IP_PMTUDISC_DO;
	char buf[256];
	uint64_t w;

	ss = host_socket(SOCK_DGRAM, &app);
	stackd_enter(&sd, NULL);
	cr_assert_eq(
		ss->sock->ops->setsockopt(ss->sock, SOL_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu)),
		0);
	cr_assert_eq(ss->sock->ops->setsockopt(ss->sock, SOL_IP, IP_RECVERR, &on, sizeof(on)), 0);
	/* As a setsockopt request leaves it: the record's turn is due. */
	stackd_sock_queue(ss);

	memcpy(req.sockopt.optval, &d, sizeof(d));
	host_request(ss, app, &req, &rep);
	cr_assert_eq(rep.hdr.ret, -EMSGSIZE);
	memcpy(&r, rep.sockopt.optval, sizeof(r));
	cr_assert_eq(r.errq, 1, "no entry on the error queue");
	for (int i = 0; i < 10; i++) /* the record's turn, and more */
		step();
	cr_assert_eq(recv(app, buf, sizeof(buf), MSG_DONTWAIT), (ssize_t)sizeof(struct shim_dgram),
		     "no void report in the pair");
	memcpy(&h, buf, sizeof(h));
	cr_assert(h.err && !h.orig_len && (h.flags & MSG_ERRQUEUE),
		  "not a void report (errno %d, sequence %u)", h.err, h.orig_len);
	errno = 0;
	cr_assert_eq(recv(app, buf, sizeof(buf), MSG_DONTWAIT), -1, "a report followed it");
	cr_assert_eq(errno, EAGAIN);
	cr_assert_not_null(sd.notice, "no notice page");
	w = sd.notice[ss->id % sd.notice_slots];
	cr_assert(SHIM_NOTICE_ID(w) == ss->id && (w & SHIM_NOTICE_ERRQ_NOW),
		  "the word says no ERR");
	close(app);
}

/* A user's share of control requests per round of the loop; other users keep theirs. */
/* What the host does for SHIM_OP_SETSOCKOPT(SOL_TCP, TCP_CORK): the pair first, then the option. */
static void host_set_cork(struct stackd_sock *ss, int on)
{
	cr_assert(stackd_stream_sync(ss));
	stackd_enter(&sd, NULL);
	cr_assert_eq(ss->sock->ops->setsockopt(ss->sock, SOL_TCP, TCP_CORK, &on, sizeof(on)), 0);
	stackd_sock_queue(ss);
}

/*
 * write("a"); TCP_CORK on; write("b"): as on the kernel, "a" leaves at once
 * (it was written before the cork), "b" waits for the uncork. Without the
 * pair drained first, the cork would overtake "a" and hold it too.
 */
Test(pumps, cork_set_after_a_write_applies_after_its_bytes)
{
	struct socket *l = peer_listener(), *s;
	struct stackd_sock *ss;
	char got[4] = {0};
	int app, r;

	ss = host_socket(SOCK_STREAM, &app);
	s = connect_through_host(ss, l);
	RUN_UNTIL(ss->sock->sk->sk_state == TCP_ESTABLISHED && !ss->connecting);
	cr_assert_eq(write(app, "a", 1), 1);
	host_set_cork(ss, 1);
	for (int i = 0; i < 100; i++) /* 10 ms of virtual time, a zero-delay wire */
		step();
	cr_assert_eq(peer_recv(s, got, sizeof(got)), 1, "the byte before the cork was held");
	cr_assert_eq(got[0], 'a');
	cr_assert_eq(write(app, "b", 1), 1);
	for (int i = 0; i < 1000; i++) /* 100 ms */
		step();
	cr_assert_eq(peer_recv(s, got, sizeof(got)), -EAGAIN, "the corked byte left");
	host_set_cork(ss, 0);
	RUN_UNTIL((r = peer_recv(s, got, sizeof(got))) == 1);
	cr_assert_eq(got[0], 'b');
	close(app);
	sock_release(s);
	sock_release(l);
}

/*
 * The pump reads the pair straight into the send queue's segments: pieces
 * the program writes between rounds while corked fill the unsent segment's
 * room, so they leave as full segments, in order.
 */
Test(pumps, pieces_read_apart_fill_whole_segments)
{
	enum { PIECE = 333, PIECES = 30, LEN = PIECE * PIECES };
	struct socket *l = peer_listener(), *s;
	struct stackd_sock *ss;
	uint8_t out[LEN], in[LEN];
	struct tcp_sock *tp;
	uint32_t seq0;
	size_t got = 0;
	int app, r;

	ss = host_socket(SOCK_STREAM, &app);
	s = connect_through_host(ss, l);
	RUN_UNTIL(ss->sock->sk->sk_state == TCP_ESTABLISHED && !ss->connecting);
	tp = tcp_sk(ss->sock->sk);
	seq0 = tp->write_seq;
	fill_pattern(out, LEN, 5);
	host_set_cork(ss, 1);
	for (int i = 0; i < PIECES; i++) {
		cr_assert_eq(write(app, out + i * PIECE, PIECE), PIECE);
		step(); /* one read per piece */
	}
	cr_assert_eq(tp->write_seq - seq0, LEN, "every piece reached the send queue");
	host_set_cork(ss, 0);
	while (got < LEN) {
		step();
		while ((r = peer_recv(s, in + got, LEN - got)) > 0)
			got += (size_t)r;
	}
	cr_assert_eq(memcmp(in, out, LEN), 0, "the peer got other bytes than the program wrote");
	cr_assert_eq(tp->data_segs_out, (LEN + tp->mss_cache - 1) / tp->mss_cache,
		     "%u segments for %u bytes at MSS %u", tp->data_segs_out, LEN, tp->mss_cache);
	close(app);
	sock_release(s);
	sock_release(l);
}

/* The host's link, counting frames handed over with their payload in fragments. */
static const struct net_device_ops *gather_ops;
static struct net_device_ops gather_count_ops;
static unsigned int gathered_frames;

static int gather_count_xmit(struct net_device *dev, struct sk_buff *skb)
{
	gathered_frames += skb->nr_frags > 0;
	return gather_ops->ndo_start_xmit(dev, skb);
}

/*
 * Where the link gathers (dev->sg), a frame points at the send queue's
 * segments instead of copying them: what the program wrote in odd pieces,
 * each segment filled by several pair reads, reaches the peer intact.
 */
Test(pumps, pieces_read_apart_leave_gathered_and_intact)
{
	enum { PIECE = 777, LEN = 200 * PIECE };
	uint8_t *out = malloc(LEN), *in = calloc(1, LEN);
	struct socket *l = peer_listener(), *s;
	struct net_device *dev = sd.net.dev;
	size_t sent = 0, got = 0;
	struct stackd_sock *ss;
	int app, steps = 0, r;

	dev->sg = true;
	gather_ops = dev->netdev_ops;
	gather_count_ops = *gather_ops;
	gather_count_ops.ndo_start_xmit = gather_count_xmit;
	dev->netdev_ops = &gather_count_ops;
	gathered_frames = 0;
	ss = host_socket(SOCK_STREAM, &app);
	s = connect_through_host(ss, l);
	fill_pattern(out, LEN, 9);
	while ((sent < LEN || got < LEN) && steps++ < MAXSTEPS) {
		ssize_t w = sent < LEN ? write(app, out + sent, PIECE) : 0;

		if (w > 0)
			sent += (size_t)w;
		step();
		while ((r = peer_recv(s, in + got, LEN - got)) > 0)
			got += (size_t)r;
	}
	cr_assert_eq(got, LEN);
	cr_assert_eq(memcmp(in, out, LEN), 0, "the peer got other bytes than the program wrote");
	cr_assert_gt(gathered_frames, 0, "no frame pointed at the send queue");
	dev->netdev_ops = gather_ops;
	close(app);
	sock_release(s);
	sock_release(l);
	free(out);
	free(in);
}

Test(pumps, control_requests_share_a_round_per_user)
{
	int granted = 0;

	for (int i = 0; i < 10 * STACKD_USER_ROUND_REQS; i++)
		granted += stackd_user_turn(&sd, 65534);
	cr_assert_eq(granted, STACKD_USER_ROUND_REQS);
	cr_assert(stackd_user_turn(&sd, 0), "another user must still get its turn");
	step(); /* the next round */
	cr_assert(stackd_user_turn(&sd, 65534), "a new round brings a new share");
}

/* One SHIM_SO_PAIR_TOPUP request as the interposer makes it (shim_stream_topup). */
static struct shim_pair_topup topup_ask(struct stackd_sock *ss, bool first, size_t done,
					size_t total)
{
	struct shim_pair_topup_ask a = {
		.first = first, .done = (uint32_t)done, .total = (uint32_t)total};
	struct shim_sockopt o = {.level = SOL_SOCKET,
				 .optname = SHIM_SO_PAIR_TOPUP,
				 .optlen = sizeof(struct shim_pair_topup)};
	struct shim_pair_topup t;
	struct shim_rep rep;

	memcpy(o.optval, &a, sizeof(a));
	stackd_enter(&sd, NULL);
	cr_assert_eq(stackd_stream_topup(ss, &o, &rep), 0);
	cr_assert_eq(rep.sockopt.optlen, sizeof(t));
	memcpy(&t, rep.sockopt.optval, sizeof(t));
	return t;
}

/*
 * A write of total bytes as the interposer tops it up, the peer
 * acknowledging each piece before the next: the stack's part of the
 * buffer never fills, so only the write's bound can end it. Returns the
 * bytes it took; the peer has read them all.
 */
static size_t write_acked_pieces(struct stackd_sock *ss, int app, struct socket *s, size_t total)
{
	static uint8_t out[1 << 17], in[1 << 16];
	struct tcp_sock *tp = tcp_sk(ss->sock->sk);
	struct shim_pair_topup t;
	size_t done = 0, got = 0, limit;
	ssize_t w;
	int r;

	cr_assert_leq(total, sizeof(out));
	/* The pair took the write short after its first 8 KiB. */
	w = write(app, out, 8192);
	cr_assert_eq(w, 8192);
	done = (size_t)w;
	t = topup_ask(ss, true, done, total);
	limit = t.limit < total ? t.limit : total;
	while (done < limit) {
		RUN_UNTIL(!ss->pair_readable && tp->snd_una == tp->write_seq);
		w = write(app, out + done, limit - done < 8192 ? limit - done : 8192);
		cr_assert_gt(w, 0);
		done += (size_t)w;
		if (done < limit)
			(void)topup_ask(ss, false, done, total);
	}
	RUN_UNTIL(tp->snd_una == tp->write_seq);
	while ((r = peer_recv(s, in, sizeof(in))) > 0 || got < done) {
		if (r > 0)
			got += (size_t)r;
		else
			step();
	}
	cr_assert_eq(got, done);
	return done;
}

/*
 * A write that its send buffer cuts short found the buffer full
 * (tcp_sendmsg's wait_for_space sets SOCK_NOSPACE), even where the peer's
 * ACKs kept the stack's part from filling while it was topped up: the
 * ACKs after it grow the buffer with the window (tcp_check_space), as the
 * kernel's would. Before the host marked it, such writes, one after the
 * other, kept an autotuned buffer at its establishment size for as long
 * as they came (iperf3 at MTU 1500: about a second at 69,120 bytes, every
 * write a request, under 0.1 Gbit/s). A write the buffer takes whole marks
 * nothing, and the buffer stays (test_sndbuf_nospace.sh).
 */
Test(pumps, a_write_cut_at_its_bound_grows_the_send_buffer)
{
	struct socket *l = peer_listener(), *s;
	struct stackd_sock *ss;
	int app, sndbuf, half = SHIM_PAIR_WMEM_AUTO / 2;

	ss = host_socket(SOCK_STREAM, &app);
	cr_assert_eq(setsockopt(app, SOL_SOCKET, SO_SNDBUF, &half, sizeof(half)), 0);
	s = connect_through_host(ss, l);
	RUN_UNTIL(ss->sock->sk->sk_state == TCP_ESTABLISHED);
	sndbuf = ss->sock->sk->sk_sndbuf;

	cr_assert_eq(write_acked_pieces(ss, app, s, (size_t)sndbuf / 2), (size_t)sndbuf / 2);
	cr_assert_eq(ss->sock->sk->sk_sndbuf, sndbuf, "grew for a write taken whole");

	cr_assert_lt(write_acked_pieces(ss, app, s, 1 << 17), 1 << 17, "the write was not cut");
	cr_assert_gt(ss->sock->sk->sk_sndbuf, sndbuf, "a write cut at its bound left %d as it was",
		     sndbuf);
	close(app);
	sock_release(s);
	sock_release(l);
}

/*
 * A program's blocking connect as the interposer makes it: the filler in
 * the pair first, then SHIM_OP_CONNECT saying how much of it there is.
 * Returns the peer's end once the host has read the filler away.
 */
static struct socket *connect_filled(struct stackd_sock *ss, int app, struct socket *l,
				     const void *early, size_t early_len)
{
	static const uint8_t filler[4096];
	struct shim_req req = {.hdr.op = SHIM_OP_CONNECT,
			       .connect = {.to = {.addrlen = sizeof(struct sockaddr_in),
						  .addr = twostack_sin(1, PORT)},
					   .filler = sizeof(filler),
					   .flags = SHIM_CONNECT_WAIT}};
	struct shim_rep rep;
	struct socket *s = NULL;

	cr_assert_eq(write(app, filler, sizeof(filler)), (ssize_t)sizeof(filler));
	host_request(ss, app, &req, &rep);
	cr_assert(rep.hdr.ret == 0 || rep.hdr.ret == -EINPROGRESS, "connect: %d", rep.hdr.ret);
	/* Bytes the program wrote as its end turned writable, before the pump read on. */
	if (early_len)
		cr_assert_eq(write(app, early, early_len), (ssize_t)early_len);
	RUN_UNTIL((s = s ? s : peer_accept(l)) != NULL && !ss->connecting);
	return s;
}

/* What the peer has of the connection, read and counted away. */
static size_t peer_drain(struct socket *s)
{
	static uint8_t in[1 << 16];
	size_t got = 0;
	int r;

	while ((r = peer_recv(s, in, sizeof(in))) > 0)
		got += (size_t)r;
	return got;
}

/*
 * A fresh connection's first write, cut short by the pair after 8 KiB
 * that the pump sent and the peer acknowledged before the write asked for
 * the rest: it may take what tcp_sendmsg would have taken from the empty
 * queue it began at (the first skb filled to its size goal), not what the
 * socket allows after those ACKs. The program writes as soon as its end
 * turns writable, its bytes behind the filler, and in two skbs with the
 * pair drained between (an AF_UNIX write of more than 32 KiB comes so):
 * neither raises an edge of its own at the write's start. Before, such
 * first sends took 102,400 bytes for the kernel's 78,192, or 13,632 for
 * 46,336, now and then (test_sndbuf_bound.sh). A write made later finds
 * the socket as it is then (SO_SNDBUF set since ESTABLISHED).
 */
Test(pumps, a_first_write_takes_the_bound_it_began_with)
{
	static uint8_t out[8192];
	struct socket *l = peer_listener(), *s;
	struct stackd_sock *ss;
	int big = 1 << 20;
	struct shim_req req = {
		.hdr.op = SHIM_OP_SETSOCKOPT,
		.sockopt = {.level = SOL_SOCKET, .optname = SO_SNDBUF, .optlen = sizeof(big)}};
	struct shim_rep rep;
	struct tcp_sock *tp;
	uint32_t start, bound;
	int app;

	memcpy(req.sockopt.optval, &big, sizeof(big));
	/* Its first skb in an empty pair, its second after the pump drained it. */
	ss = host_socket(SOCK_STREAM, &app);
	s = connect_filled(ss, app, l, NULL, 0);
	tp = tcp_sk(ss->sock->sk);
	RUN_UNTIL(!ss->pair_readable && !ss->queued);
	start = tp->write_seq;
	bound = tcp_sendmsg_write_end(ss->sock->sk, (uint32_t)ss->sock->sk->sk_sndbuf) - start;
	cr_assert_eq(write(app, out, sizeof(out)), (ssize_t)sizeof(out));
	RUN_UNTIL(tp->snd_una == start + sizeof(out) && !ss->pair_readable && !ss->queued);
	cr_assert_eq(write(app, out, sizeof(out)), (ssize_t)sizeof(out));
	RUN_UNTIL(tp->snd_una == start + 2 * sizeof(out) && !ss->pair_readable && !ss->queued);
	cr_assert_eq(peer_drain(s), 2 * sizeof(out));
	cr_assert_eq(topup_ask(ss, true, 2 * sizeof(out), 1 << 20).limit, bound,
		     "a write whose second skb came after the pump drained its first");
	close(app);
	sock_release(s);

	/* The same connection again, the program's write in the pair when the filler goes. */
	ss = host_socket(SOCK_STREAM, &app);
	s = connect_filled(ss, app, l, out, sizeof(out));
	tp = tcp_sk(ss->sock->sk);
	RUN_UNTIL(tp->snd_una == tp->write_seq && stackd_stream_unqueued(ss) == 0 &&
		  !ss->pair_readable && !ss->queued && tp->bytes_acked == sizeof(out));
	cr_assert_eq(peer_drain(s), sizeof(out));
	cr_assert_eq(topup_ask(ss, true, sizeof(out), 1 << 20).limit, bound,
		     "a write that was in the pair at ESTABLISHED");
	close(app);
	sock_release(s);

	/* SO_SNDBUF set after ESTABLISHED, before the write: the write finds it. */
	ss = host_socket(SOCK_STREAM, &app);
	s = connect_filled(ss, app, l, NULL, 0);
	tp = tcp_sk(ss->sock->sk);
	RUN_UNTIL(!ss->pair_readable && !ss->queued);
	host_request(ss, app, &req, &rep);
	cr_assert_eq(rep.hdr.ret, 0, "SO_SNDBUF: %d", rep.hdr.ret);
	start = tp->write_seq;
	cr_assert_neq(tcp_sendmsg_write_end(ss->sock->sk, (uint32_t)ss->sock->sk->sk_sndbuf) -
			      start,
		      bound, "SO_SNDBUF %d changed nothing", big);
	bound = tcp_sendmsg_write_end(ss->sock->sk, (uint32_t)ss->sock->sk->sk_sndbuf) - start;
	cr_assert_eq(write(app, out, sizeof(out)), (ssize_t)sizeof(out));
	RUN_UNTIL(tp->snd_una == start + sizeof(out) && !ss->pair_readable && !ss->queued);
	cr_assert_eq(peer_drain(s), sizeof(out));
	cr_assert_eq(topup_ask(ss, true, sizeof(out), 1 << 20).limit, bound,
		     "a write after SO_SNDBUF %d", big);
	close(app);
	sock_release(s);
	sock_release(l);
}
