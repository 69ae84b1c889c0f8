// SPDX-License-Identifier: MIT
/*
 * uring_poll PEER PORT UDPPORT UDPPORT2: what io_uring says of a TCP and a UDP socket, for
 * a differential run (natively and under the shim;
 * tests/integration/test_uring_poll.sh diffs the two outputs): the masks
 * of IORING_OP_POLL_ADD in each state (fresh, connected, after the echo,
 * after both FINs, refused; UDP with an ICMP error pending) and the
 * results of IORING_OP_SEND and IORING_OP_RECV, one receive submitted
 * before its data comes. PEER echoes on PORT; its port 9 refuses. Then
 * datagrams written on a connected UDP socket past the interposer
 * (io_uring, raw system calls, a child exec'd without LD_PRELOAD), each
 * echoed by PEER's UDPPORT and compared byte for byte; then what comes
 * after a connect to UDPPORT2 (another echo), to port 9 and back; and a
 * datagram that starts as the host's header would, with the socket's own
 * receive cookie.
 *
 * Raw io_uring_setup/io_uring_enter (liburing makes its own system calls
 * too, so the interposer sees none of them either way): one request at a
 * time, each waited for.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

struct ring {
	int fd;
	unsigned int *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static void die(const char *what)
{
	printf("%s: %s\n", what, strerror(errno));
	exit(1);
}

static void ring_init(struct ring *r)
{
	struct io_uring_params p;
	uint8_t *sq, *cq;

	memset(&p, 0, sizeof(p));
	r->fd = (int)syscall(SYS_io_uring_setup, 4, &p);
	if (r->fd < 0)
		die("io_uring_setup");
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned int),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED)
		die("mmap");
	r->sq_tail = (unsigned int *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned int *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)(sq + p.sq_off.array);
	r->cq_head = (unsigned int *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned int *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned int *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
}

/* Submits one request and waits for its completion: its res. */
static int ring_do(struct ring *r, const struct io_uring_sqe *req)
{
	unsigned int tail = *r->sq_tail, idx = tail & *r->sq_mask, head;
	int res;

	r->sqes[idx] = *req;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(SYS_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		die("io_uring_enter");
	head = *r->cq_head;
	while (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		if (syscall(SYS_io_uring_enter, r->fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
			die("io_uring_enter");
	res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

static const char *mask_name(int m)
{
	static char buf[64];
	static const struct {
		int bit;
		const char *name;
	} bits[] = {{POLLIN, "IN"},   {POLLOUT, "OUT"},	    {POLLERR, "ERR"},
		    {POLLHUP, "HUP"}, {POLLRDHUP, "RDHUP"}, {POLLPRI, "PRI"}};

	if (m < 0) {
		snprintf(buf, sizeof(buf), "-%s", strerrorname_np(-m));
		return buf;
	}
	buf[0] = 0;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (m & bits[i].bit)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
				 buf[0] ? "|" : "", bits[i].name);
	return buf[0] ? buf : "-";
}

#define ASKED (POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDHUP | POLLPRI)

static int poll_add(struct ring *r, int fd, int events)
{
	struct io_uring_sqe q = {.opcode = IORING_OP_POLL_ADD, .fd = fd};

	q.poll32_events = (uint32_t)events;
	return ring_do(r, &q);
}

static int xfer(struct ring *r, int op, int fd, void *buf, size_t len)
{
	struct io_uring_sqe q = {.opcode = (uint8_t)op, .fd = fd};

	q.addr = (uint64_t)(uintptr_t)buf;
	q.len = (uint32_t)len;
	return ring_do(r, &q);
}

static void say(const char *what, int fd, struct ring *r, int events)
{
	printf("%s: poll %s\n", what, mask_name(poll_add(r, fd, events)));
}

static struct sockaddr_in peer = {.sin_family = AF_INET};

/*
 * The echo of a connected UDP socket's datagram, read by the receiver
 * seed picks: the interposer's calls (recvfrom says whether the address
 * is the peer's), io_uring's RECV and READ, a raw recvfrom system call
 * (its payload only: the kernel names the sender), a peek into a short
 * buffer (MSG_TRUNC, the whole length) before the read.
 */
static int echo_recv(struct ring *r, int s, unsigned int seed, char *in, size_t room)
{
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	char shortbuf[8];
	int n, m;

	switch ((seed + seed / 6) % 6) { /* each writer with each length: another receiver */
	case 1:
		return xfer(r, IORING_OP_RECV, s, in, room);
	case 2:
		return xfer(r, IORING_OP_READ, s, in, room);
	case 3:
		n = (int)recvfrom(s, in, room, 0, (struct sockaddr *)&from, &flen);
		printf("udp recvfrom: %d from %s\n", n,
		       flen == sizeof(from) && from.sin_family == AF_INET &&
				       from.sin_addr.s_addr == peer.sin_addr.s_addr &&
				       from.sin_port == peer.sin_port
			       ? "the peer"
			       : "elsewhere");
		return n;
	case 4:
		return (int)syscall(SYS_recvfrom, s, in, room, 0, NULL, NULL);
	case 5:
		m = (int)recv(s, shortbuf, sizeof(shortbuf), MSG_PEEK | MSG_TRUNC);
		n = (int)recv(s, in, room, 0);
		printf("udp short peek: %d%s\n", m,
		       m >= 0 && !memcmp(shortbuf, in,
					 (size_t)m < sizeof(shortbuf) ? (size_t)m
								      : sizeof(shortbuf))
			       ? " same"
			       : "");
		return n;
	default:
		return (int)recv(s, in, room, 0);
	}
}

/*
 * One datagram of len bytes (a pattern of seed) written by how, then its
 * echo read back (echo_recv): the line says what the write returned and
 * whether the same bytes came back.
 */
static void bare_send(struct ring *r, int s, const char *how, size_t len, unsigned int seed)
{
	static char out[2048], in[2048];
	struct iovec iov = {.iov_base = out, .iov_len = len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	struct pollfd p = {.fd = s, .events = POLLIN};
	long ret = -1;
	int n;

	for (size_t i = 0; i < len; i++)
		out[i] = (char)(i * 7 + seed);
	if (!strcmp(how, "uring SEND")) {
		ret = xfer(r, IORING_OP_SEND, s, out, len);
	} else if (!strcmp(how, "uring WRITE")) {
		ret = xfer(r, IORING_OP_WRITE, s, out, len);
	} else if (!strcmp(how, "uring WRITEV")) {
		ret = xfer(r, IORING_OP_WRITEV, s, &iov, 1);
	} else if (!strcmp(how, "uring SENDMSG")) {
		ret = xfer(r, IORING_OP_SENDMSG, s, &m, 1);
	} else if (!strcmp(how, "syscall write")) {
		ret = syscall(SYS_write, s, out, len);
	} else if (!strcmp(how, "syscall sendto")) {
		ret = syscall(SYS_sendto, s, out, len, 0, NULL, 0);
	} else if (!strcmp(how, "exec without preload")) {
		/* A program that inherits the socket and was started without the interposer. */
		char fd[16], sz[16], sd[16];
		pid_t pid;
		int st;

		snprintf(fd, sizeof(fd), "%d", s);
		snprintf(sz, sizeof(sz), "%zu", len);
		snprintf(sd, sizeof(sd), "%u", seed);
		pid = fork();
		if (pid == 0) {
			unsetenv("LD_PRELOAD");
			execl("/proc/self/exe", "uring_poll", "--write", fd, sz, sd, (char *)NULL);
			_exit(127);
		}
		ret = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st)
									      : -1;
	}
	if (ret < 0)
		ret = ret == -1 ? -errno : ret;
	/* An empty one is read with recv(): README's limits say what io_uring gets. */
	n = poll(&p, 1, 10000) == 1 ? echo_recv(r, s, len ? seed : 0, in, sizeof(in)) : -1;
	printf("udp bare %s %zu: %s, echo %d%s\n", how, len, ret < 0 ? mask_name((int)ret) : "sent",
	       n, n == (int)len && !memcmp(in, out, len) ? " same" : "");
}

/*
 * Under the shim, the 8 bytes that mark the host's header on the datagrams
 * fd reads (the nonce of its pair end's name: anyone reads it in
 * /proc/net/unix, by the inode /proc/self/fd names); natively a kernel
 * socket has none, and any 8 bytes do.
 */
static uint64_t pair_rx_cookie(int fd)
{
	char link[64], path[128], line[512];
	unsigned long ino = 0, ino_fd;
	unsigned long long nonce = 0x5a5a5a5a5a5a5a5aull;
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return nonce;
	link[n] = 0;
	if (sscanf(link, "socket:[%lu]", &ino_fd) != 1 || !(f = fopen("/proc/net/unix", "r")))
		return nonce;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %lu @sockshim/a/%*u/%*u/%16llx", &ino,
			   &nonce) == 2 &&
		    ino == ino_fd)
			break;
	fclose(f);
	return nonce;
}

/* --write FD LEN SEED: the child of bare_send, run without the interposer. */
static int bare_write(char **argv)
{
	char out[2048];
	size_t len = (size_t)atoi(argv[3]);
	unsigned int seed = (unsigned int)atoi(argv[4]);

	if (len > sizeof(out))
		return 1;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)(i * 7 + seed);
	return write(atoi(argv[2]), out, len) == (ssize_t)len ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct ring r;
	char buf[64];
	int s, n;

	if (argc == 5 && !strcmp(argv[1], "--write"))
		return bare_write(argv);
	if (argc != 5 || inet_pton(AF_INET, argv[1], &peer.sin_addr) != 1)
		return 2;
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(60);
	ring_init(&r);

	s = socket(AF_INET, SOCK_STREAM, 0);
	say("tcp fresh", s, &r, ASKED);
	peer.sin_port = htons((uint16_t)atoi(argv[2]));
	if (connect(s, (struct sockaddr *)&peer, sizeof(peer)))
		die("connect");
	say("tcp connected", s, &r, ASKED);
	printf("tcp send: %d\n", xfer(&r, IORING_OP_SEND, s, "hello", 5));
	n = xfer(&r, IORING_OP_RECV, s, buf, sizeof(buf));
	printf("tcp recv: %d %.*s\n", n, n > 0 ? n : 0, buf);
	/* A receive waiting for its data: the echo of the second send. */
	printf("tcp send: %d\n", xfer(&r, IORING_OP_SEND, s, "again", 5));
	say("tcp echo in", s, &r, POLLIN);
	n = xfer(&r, IORING_OP_RECV, s, buf, sizeof(buf));
	printf("tcp recv: %d %.*s\n", n, n > 0 ? n : 0, buf);
	shutdown(s, SHUT_WR);
	printf("tcp recv after FIN: %d\n", xfer(&r, IORING_OP_RECV, s, buf, sizeof(buf)));
	say("tcp both FINs", s, &r, ASKED);
	close(s);

	s = socket(AF_INET, SOCK_STREAM, 0);
	peer.sin_port = htons(9);
	printf("tcp refused connect: %s\n",
	       connect(s, (struct sockaddr *)&peer, sizeof(peer)) ? strerrorname_np(errno) : "0");
	say("tcp refused", s, &r, ASKED);
	close(s);

	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (connect(s, (struct sockaddr *)&peer, sizeof(peer)))
		die("udp connect");
	printf("udp send: %zd\n", send(s, "x", 1, 0));
	/* The ICMP error: POLLERR as poll() sees it, then io_uring's view. */
	{
		struct pollfd p = {.fd = s, .events = POLLIN};
		int pr = poll(&p, 1, 20000);

		printf("udp poll(): %d %s\n", pr, mask_name(p.revents));
	}
	say("udp error pending", s, &r, ASKED);
	n = xfer(&r, IORING_OP_RECV, s, buf, sizeof(buf));
	printf("udp recv: %s\n", n < 0 ? mask_name(n) : "data");
	say("udp error taken", s, &r, POLLOUT);
	close(s);

	/* A datagram sent with sendto(), received with IORING_OP_RECV. */
	{
		struct sockaddr_in me = {.sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t len = sizeof(me);
		int v = socket(AF_INET, SOCK_DGRAM, 0);

		s = socket(AF_INET, SOCK_DGRAM, 0);
		if (bind(s, (struct sockaddr *)&me, sizeof(me)) ||
		    getsockname(s, (struct sockaddr *)&me, &len))
			die("udp bind");
		printf("udp sendto: %zd\n", sendto(v, "ping", 4, 0, (struct sockaddr *)&me, len));
		say("udp datagram in", s, &r, POLLIN);
		n = xfer(&r, IORING_OP_RECV, s, buf, sizeof(buf));
		printf("udp recv: %d\n", n);
		close(v);
		close(s);
	}

	/*
	 * Datagrams written past the interposer on a connected socket go to
	 * the peer (its echo comes back whole); on an unconnected one the
	 * kernel refuses the write.
	 */
	s = socket(AF_INET, SOCK_DGRAM, 0);
	peer.sin_port = htons((uint16_t)atoi(argv[3]));
	if (connect(s, (struct sockaddr *)&peer, sizeof(peer)))
		die("udp connect");
	{
		static const char *const hows[] = {
			"uring SEND",	 "uring WRITE",	   "uring WRITEV",	  "uring SENDMSG",
			"syscall write", "syscall sendto", "exec without preload"};
		/* around the framing header's 40 bytes too */
		static const size_t lens[] = {4, 0, 39, 40, 41, 1400};
		unsigned int seed = 0;

		for (size_t h = 0; h < sizeof(hows) / sizeof(hows[0]); h++)
			for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
				bare_send(&r, s, hows[h], lens[l], seed++);
	}
	printf("udp bare recv after: %zd\n", recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	/*
	 * After bare datagrams the interposer reads straight into the
	 * caller's buffer: what the pair then carries framed (another peer's
	 * datagram after a second connect, an error report) must read the
	 * same; the first peer's again after a third.
	 */
	{
		struct sockaddr_in other = peer, from;
		socklen_t flen = sizeof(from);
		uint16_t first = peer.sin_port;
		struct pollfd p = {.fd = s, .events = POLLIN};

		other.sin_port = htons((uint16_t)atoi(argv[4]));
		if (connect(s, (struct sockaddr *)&other, sizeof(other)))
			die("udp connect elsewhere");
		send(s, "elsewhere", 9, 0);
		n = poll(&p, 1, 10000) == 1
			    ? (int)recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen)
			    : -1;
		printf("udp connected elsewhere: %d %.*s from %s\n", n, n > 0 ? n : 0, buf,
		       from.sin_port == other.sin_port ? "the second peer" : "elsewhere");
		other.sin_port = htons(9);
		if (connect(s, (struct sockaddr *)&other, sizeof(other)))
			die("udp connect refused");
		send(s, "x", 1, 0);
		p.revents = 0;
		poll(&p, 1, 10000);
		n = (int)recv(s, buf, sizeof(buf), 0);
		printf("udp refused after bare: %s\n", n < 0 ? strerrorname_np(errno) : "data");
		peer.sin_port = first;
		if (connect(s, (struct sockaddr *)&peer, sizeof(peer)))
			die("udp connect back");
		bare_send(&r, s, "syscall write", 5, 3); /* recvfrom: the first peer's */
		bare_send(&r, s, "uring SEND", 6, 1);	 /* io_uring's RECV */
	}
	/* An empty datagram's echo, received by io_uring. */
	{
		struct pollfd p = {.fd = s, .events = POLLIN};

		send(s, "", 0, 0);
		n = poll(&p, 1, 10000) == 1 ? xfer(&r, IORING_OP_RECV, s, buf, sizeof(buf)) : -1;
		printf("udp uring RECV empty: %d\n", n);
	}
	/*
	 * A peer's datagram that starts with those 8 bytes and goes on as the
	 * host's header would (an error report, ECONNREFUSED): the program
	 * reads it whole, as the kernel gives it, never as a report.
	 */
	{
		struct pollfd p = {.fd = s, .events = POLLIN};
		uint64_t cookie = pair_rx_cookie(s);
		int32_t err = ECONNREFUSED;
		char forged[46] = {0};

		memcpy(forged, &cookie, sizeof(cookie));
		memcpy(forged + sizeof(cookie), &err, sizeof(err));
		memcpy(forged + 40, "forged", 6);
		send(s, forged, sizeof(forged), 0);
		n = poll(&p, 1, 10000) == 1 ? (int)recv(s, buf, sizeof(buf), 0) : -1;
		printf("udp forged header: %s%s\n", n < 0 ? strerrorname_np(errno) : "data",
		       n == (int)sizeof(forged) && !memcmp(buf, forged, sizeof(forged)) ? " whole"
											: "");
	}
	close(s);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	n = xfer(&r, IORING_OP_SEND, s, "nowhere", 7);
	printf("udp unconnected uring SEND: %s\n", n < 0 ? mask_name(n) : "sent");
	close(s);
	return 0;
}
