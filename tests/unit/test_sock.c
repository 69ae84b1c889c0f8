// SPDX-License-Identifier: MIT
/*
 * SOL_SOCKET options, differentially: every setsockopt/getsockopt below runs
 * on a kernel socket and on the stack's socket of the same kind, and the
 * return value, errno, value and length read back must agree. Both run with
 * this process's privileges (the tests run as root; the stack's socket is
 * made in kernel context, where every capability is held), and the stack
 * read the same sysctls at start. A few expectations are also spelled out
 * so that the test fails if both sides change together.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "inet.h"
#include "net_namespace.h"
#include "protocol.h"
#include "sysctl_proc.h"

static struct net net;

static void setup(void)
{
	memset(&net, 0, sizeof(net));
	sysctl_proc_read(&net.sysctl); /* the kernel's values here: tests compare with it */
	cr_assert_eq(net_init(&net, NULL, htonl(0x0a63000a), htonl(0xffffff00), 0,
			      (const uint8_t[6]){2, 0x53, 0x53, 0, 0, 10}, 0),
		     0);
	inet_init();
}

static void teardown(void)
{
	net_exit(&net);
}

TestSuite(sock, .init = setup, .fini = teardown);

struct pair {
	int fd;
	struct socket *sock;
};

static struct pair open_pair(int type)
{
	struct pair p = {.fd = socket(AF_INET, type, 0)};

	cr_assert_geq(p.fd, 0);
	cr_assert_eq(__sock_create(&net, AF_INET, type, 0, &p.sock, 1), 0);
	return p;
}

static void close_pair(struct pair *p)
{
	close(p->fd);
	sock_release(p->sock);
}

static void expect_get(struct pair *p, int optname, int len, const char *what)
{
	unsigned char kv[32], sv[32];
	socklen_t klen = (socklen_t)len;
	int slen = len, kret, sret;

	memset(kv, 0xa5, sizeof(kv));
	memset(sv, 0xa5, sizeof(sv));
	kret = getsockopt(p->fd, SOL_SOCKET, optname, kv, &klen) ? -errno : 0;
	sret = p->sock->ops->getsockopt(p->sock, SOL_SOCKET, optname, sv, &slen);
	cr_expect_eq(sret, kret, "%s: getsockopt(%d, len %d) = %d, kernel %d", what, optname, len,
		     sret, kret);
	if (kret || sret)
		return;
	cr_expect_eq(slen, (int)klen, "%s: getsockopt(%d) length %d, kernel %d", what, optname,
		     slen, (int)klen);
	cr_expect(!memcmp(kv, sv, sizeof(kv)),
		  "%s: getsockopt(%d) = %d (%02x%02x...), kernel %d (%02x%02x...)", what, optname,
		  *(int *)sv, sv[4], sv[5], *(int *)kv, kv[4], kv[5]);
}

static void expect_set(struct pair *p, int optname, const void *val, int len, const char *what)
{
	int kret = setsockopt(p->fd, SOL_SOCKET, optname, val, (socklen_t)len) ? -errno : 0;
	int sret = p->sock->ops->setsockopt(p->sock, SOL_SOCKET, optname, val, (unsigned int)len);

	cr_expect_eq(sret, kret, "%s: setsockopt(%d, len %d) = %d, kernel %d", what, optname, len,
		     sret, kret);
	expect_get(p, optname, 16, what);
}

static void set_int(struct pair *p, int optname, int val, const char *what)
{
	expect_set(p, optname, &val, sizeof(val), what);
}

#define SET_INT(p, opt, val) set_int(p, opt, val, #opt " = " #val)

static void int_options(struct pair *p)
{
	SET_INT(p, SO_RCVBUF, 1);
	SET_INT(p, SO_RCVBUF, 100000);
	SET_INT(p, SO_RCVBUF, -1);
	SET_INT(p, SO_RCVBUF, 0);
	SET_INT(p, SO_SNDBUF, 1);
	SET_INT(p, SO_SNDBUF, -5);
	SET_INT(p, SO_SNDBUF, 70000);
	SET_INT(p, SO_RCVBUFFORCE, 1);
	SET_INT(p, SO_RCVBUFFORCE, -1);
	SET_INT(p, SO_RCVBUFFORCE, 50000000);
	SET_INT(p, SO_SNDBUFFORCE, -1);
	SET_INT(p, SO_SNDBUFFORCE, 9000);
	SET_INT(p, SO_REUSEADDR, 5);
	SET_INT(p, SO_REUSEADDR, 0);
	SET_INT(p, SO_REUSEPORT, 7);
	SET_INT(p, SO_KEEPALIVE, 9);
	SET_INT(p, SO_BROADCAST, 3);
	SET_INT(p, SO_OOBINLINE, 2);
	SET_INT(p, SO_DEBUG, 1);
	SET_INT(p, SO_DONTROUTE, 1);
	SET_INT(p, SO_PRIORITY, 7);
	SET_INT(p, SO_PRIORITY, -1);
	SET_INT(p, SO_MARK, 5);
	SET_INT(p, SO_RCVLOWAT, 77);
	SET_INT(p, SO_RCVLOWAT, 0);
	SET_INT(p, SO_RCVLOWAT, -3);
	SET_INT(p, SO_TIMESTAMP, 1);
	SET_INT(p, SO_TIMESTAMPNS, 1);
	SET_INT(p, SO_TIMESTAMP_NEW, 1);
	SET_INT(p, SO_TIMESTAMPNS, 0);
	SET_INT(p, SO_PEEK_OFF, 3);
	SET_INT(p, SO_TYPE, 1);
	SET_INT(p, SO_PROTOCOL, 1);
	SET_INT(p, SO_DOMAIN, 1);
	SET_INT(p, SO_ERROR, 1);
	SET_INT(p, SO_ACCEPTCONN, 1);
	SET_INT(p, SO_SNDLOWAT, 5);
	SET_INT(p, 9999, 1);

	/* setsockopt needs a whole int; getsockopt truncates instead. */
	expect_set(p, SO_REUSEADDR, "\1", 1, "SO_REUSEADDR with 1 byte");
	expect_get(p, SO_RCVBUF, 2, "SO_RCVBUF into 2 bytes");
	expect_get(p, SO_RCVBUF, 0, "SO_RCVBUF into 0 bytes");
	expect_get(p, SO_RCVBUF, -1, "SO_RCVBUF with negative length");
	expect_get(p, 9999, 4, "unknown option");
	expect_get(p, SO_BINDTODEVICE, 8, "SO_BINDTODEVICE, unbound");
	for (int opt = SO_DEBUG; opt <= SO_ACCEPTCONN; opt++)
		expect_get(p, opt, 16, "after the sequence");
}

Test(sock, udp_int_options_match_the_kernel)
{
	struct pair p = open_pair(SOCK_DGRAM);

	/* Fresh defaults first: net.core.rmem_default/wmem_default. */
	expect_get(&p, SO_RCVBUF, 4, "default SO_RCVBUF");
	expect_get(&p, SO_SNDBUF, 4, "default SO_SNDBUF");
	for (int opt = SO_DEBUG; opt <= SO_ACCEPTCONN; opt++)
		expect_get(&p, opt, 16, "defaults");
	expect_get(&p, SO_PROTOCOL, 4, "SO_PROTOCOL");
	expect_get(&p, SO_DOMAIN, 4, "SO_DOMAIN");
	int_options(&p);
	close_pair(&p);
}

Test(sock, tcp_int_options_match_the_kernel)
{
	struct pair p = open_pair(SOCK_STREAM);

	/* The buffer defaults of TCP come from its init (tcp_rmem[1]); the rest are generic. */
	int_options(&p);
	close_pair(&p);
}

Test(sock, buffer_sizes_double_with_the_kernels_floor_and_ceiling)
{
	struct pair p = open_pair(SOCK_DGRAM);
	int val = 1, len = sizeof(val);

	cr_assert_eq(p.sock->ops->setsockopt(p.sock, SOL_SOCKET, SO_SNDBUF, &val, sizeof(val)), 0);
	cr_assert_eq(p.sock->ops->getsockopt(p.sock, SOL_SOCKET, SO_SNDBUF, &val, &len), 0);
	cr_assert_eq(val, 4608);
	val = -1;
	cr_assert_eq(p.sock->ops->setsockopt(p.sock, SOL_SOCKET, SO_RCVBUF, &val, sizeof(val)), 0);
	cr_assert_eq(p.sock->sk->sk_rcvbuf, 2 * net.sysctl.rmem_max);
	cr_assert(p.sock->sk->sk_userlocks & SOCK_RCVBUF_LOCK);
	close_pair(&p);
}

Test(sock, privileged_options_need_the_callers_capabilities)
{
	struct pair p = open_pair(SOCK_DGRAM);
	struct cred user = {.uid = 1000, .gid = 1000};
	int one = 1, seven = 7, six = 6;

	net.current_cred = &user;
	cr_assert_eq(sock_setsockopt(p.sock, SOL_SOCKET, SO_RCVBUFFORCE, &one, 4), -EPERM);
	cr_assert_eq(sock_setsockopt(p.sock, SOL_SOCKET, SO_SNDBUFFORCE, &one, 4), -EPERM);
	cr_assert_eq(sock_setsockopt(p.sock, SOL_SOCKET, SO_MARK, &one, 4), -EPERM);
	cr_assert_eq(sock_setsockopt(p.sock, SOL_SOCKET, SO_PRIORITY, &seven, 4), -EPERM);
	cr_assert_eq(sock_setsockopt(p.sock, SOL_SOCKET, SO_PRIORITY, &six, 4), 0);
	cr_assert_eq(sock_setsockopt(p.sock, SOL_SOCKET, SO_DEBUG, &one, 4), -EACCES);
	user.cap_eff = 1ull << CAP_NET_ADMIN;
	cr_assert_eq(sock_setsockopt(p.sock, SOL_SOCKET, SO_DEBUG, &one, 4), 0);
	cr_assert_eq(sock_setsockopt(p.sock, SOL_SOCKET, SO_MARK, &one, 4), 0);
	net.current_cred = NULL;
	close_pair(&p);
}

static void set_linger(struct pair *p, int onoff, int linger, int len, const char *what)
{
	struct linger l = {onoff, linger};

	expect_set(p, SO_LINGER, &l, len, what);
}

Test(sock, linger_matches_the_kernel)
{
	struct pair p = open_pair(SOCK_STREAM);

	expect_get(&p, SO_LINGER, 8, "default");
	set_linger(&p, 1, 7, 8, "on, 7 s");
	set_linger(&p, 5, 9, 4, "short");
	set_linger(&p, 0, 3, 8, "off keeps the time");
	/* A negative time is "forever", reported as MAX_SCHEDULE_TIMEOUT / HZ truncated. */
	set_linger(&p, 1, -1, 8, "forever");
	expect_get(&p, SO_LINGER, 4, "into 4 bytes");
	close_pair(&p);
}

static void set_timeo(struct pair *p, int optname, long sec, long usec, int len, const char *what)
{
	struct timeval tv = {sec, usec};

	expect_set(p, optname, &tv, len, what);
}

Test(sock, timeouts_round_to_the_kernels_tick)
{
	struct pair p = open_pair(SOCK_DGRAM);

	expect_get(&p, SO_RCVTIMEO, 16, "default");
	set_timeo(&p, SO_RCVTIMEO, 0, 1, 16, "1 us is one tick");
	set_timeo(&p, SO_RCVTIMEO, 3, 1500, 16, "3.0015 s");
	set_timeo(&p, SO_RCVTIMEO, 0, 1234567, 16, "usec out of range");
	set_timeo(&p, SO_RCVTIMEO, -1, 5, 16, "negative: do not wait");
	set_timeo(&p, SO_RCVTIMEO, 3, 0, 8, "short");
	set_timeo(&p, SO_RCVTIMEO, 3, 0, 3, "shorter than an int");
	set_timeo(&p, SO_SNDTIMEO, 2, 999999, 16, "send");
	set_timeo(&p, SO_RCVTIMEO_NEW, 4, 250, 16, "the 64-bit name");
	set_timeo(&p, SO_SNDTIMEO_NEW, 5, 1, 16, "the 64-bit name");
	set_timeo(&p, SO_RCVTIMEO, 0, 0, 16, "zero is forever again");
	expect_get(&p, SO_SNDTIMEO, 8, "into 8 bytes");
	close_pair(&p);
}

Test(sock, so_error_reports_once_and_so_type_domain_protocol_describe_the_socket)
{
	struct socket *sock;
	int val, len = sizeof(val);

	cr_assert_eq(__sock_create(&net, AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE, &sock, 1), 0);
	sock->sk->sk_err = ECONNREFUSED;
	cr_assert_eq(sock_getsockopt(sock, SOL_SOCKET, SO_ERROR, &val, &len), 0);
	cr_assert_eq(val, ECONNREFUSED);
	cr_assert_eq(sock_getsockopt(sock, SOL_SOCKET, SO_ERROR, &val, &len), 0);
	cr_assert_eq(val, 0);
	cr_assert_eq(sock_getsockopt(sock, SOL_SOCKET, SO_TYPE, &val, &len), 0);
	cr_assert_eq(val, SOCK_DGRAM);
	cr_assert_eq(sock_getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &val, &len), 0);
	cr_assert_eq(val, AF_INET);
	cr_assert_eq(sock_getsockopt(sock, SOL_SOCKET, SO_PROTOCOL, &val, &len), 0);
	cr_assert_eq(val, IPPROTO_UDPLITE);
	sock_release(sock);
}

Test(sock, raw_sockets_have_no_peek_offset)
{
	struct socket *sock;
	int val = 3, len = sizeof(val);

	cr_assert_eq(__sock_create(&net, AF_INET, SOCK_RAW, IPPROTO_ICMP, &sock, 1), 0);
	cr_assert_eq(sock_setsockopt(sock, SOL_SOCKET, SO_PEEK_OFF, &val, 4), -EOPNOTSUPP);
	cr_assert_eq(sock_getsockopt(sock, SOL_SOCKET, SO_PEEK_OFF, &val, &len), -EOPNOTSUPP);
	sock_release(sock);
}

/*
 * net.ipv4.tcp_mem's three marks (one file, three numbers): read at start,
 * and read again live (at connect(), a child, tcp_check_oom) once the
 * namespace's file says something other than what was read last. The test
 * cannot change the file (tcp_mem is global: other suites run meanwhile),
 * so it forgets what was read last instead.
 */
Test(sock, tcp_mem_is_read_at_start_and_live)
{
	long want[3] = {0};
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_mem", "r");

	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%ld %ld %ld", &want[0], &want[1], &want[2]), 3);
	fclose(f);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(net.sysctl.tcp_mem[i], want[i], "tcp_mem[%d] at start", i);
	for (int i = 0; i < 3; i++)
		net.sysctl.tcp_mem[i] = i + 1;
	for (size_t i = 0; i < sizeof(net.sysctl.tcp_live_read) / sizeof(int); i++)
		net.sysctl.tcp_live_read[i] = -12345;
	tcp_sysctl_refresh(&net.sysctl, TCP_SYSCTL_CREATE);
	cr_assert_eq(net.sysctl.tcp_mem[2], 3, "not read at socket()");
	tcp_sysctl_refresh(&net.sysctl, TCP_SYSCTL_CONNECT);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(net.sysctl.tcp_mem[i], want[i], "tcp_mem[%d] at connect()", i);
	for (int i = 0; i < 3; i++)
		net.sysctl.tcp_mem[i] = i + 1;
	tcp_sysctl_refresh(&net.sysctl, TCP_SYSCTL_ORPHAN);
	cr_assert_eq(net.sysctl.tcp_mem[0], 1,
		     "a value set in-process stays until the file changes");
	for (size_t i = 0; i < sizeof(net.sysctl.tcp_live_read) / sizeof(int); i++)
		net.sysctl.tcp_live_read[i] = -12345;
	tcp_sysctl_refresh(&net.sysctl, TCP_SYSCTL_ORPHAN);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(net.sysctl.tcp_mem[i], want[i], "tcp_mem[%d] at tcp_check_oom", i);
}

/* The namespace's value of /proc/sys/net/ipv4/NAME, an integer. */
static int ipv4_sysctl(const char *name)
{
	char path[96];
	FILE *f;
	int v = -1;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s", name);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fscanf(f, "%d", &v), 1, "%s", path);
	fclose(f);
	return v;
}

/*
 * net.ipv4.tcp_app_win: read at start, and again at connect() and when a
 * child is made (tcp_init_buffer_space reads it at establishment), not at
 * socket(). As above, the test forgets what was read rather than write
 * the namespace's file.
 */
Test(sock, tcp_app_win_is_read_at_start_and_live)
{
	int want = ipv4_sysctl("tcp_app_win");

	cr_assert_eq(net.sysctl.tcp_app_win, want, "at start");
	net.sysctl.tcp_app_win = want ^ 1;
	for (size_t i = 0; i < sizeof(net.sysctl.tcp_live_read) / sizeof(int); i++)
		net.sysctl.tcp_live_read[i] = -12345;
	tcp_sysctl_refresh(&net.sysctl, TCP_SYSCTL_CREATE);
	cr_assert_eq(net.sysctl.tcp_app_win, want ^ 1, "not read at socket()");
	tcp_sysctl_refresh(&net.sysctl, TCP_SYSCTL_CONNECT);
	cr_assert_eq(net.sysctl.tcp_app_win, want, "at connect()");
	net.sysctl.tcp_app_win = want ^ 1;
	for (size_t i = 0; i < sizeof(net.sysctl.tcp_live_read) / sizeof(int); i++)
		net.sysctl.tcp_live_read[i] = -12345;
	tcp_sysctl_refresh(&net.sysctl, TCP_SYSCTL_CHILD);
	cr_assert_eq(net.sysctl.tcp_app_win, want, "when a child is made");
}

static void forget_live_reads(void)
{
	for (size_t i = 0; i < sizeof(net.sysctl.tcp_live_read) / sizeof(int); i++)
		net.sysctl.tcp_live_read[i] = -12345;
}

/*
 * The switches a SYN's options are read against (tcp_sack here): for a
 * segment to a listener only when it carries options (TCP_SYSCTL_SYNOPT,
 * as tcp_parse_options reads each for its option), and when a child is
 * made; a file read once in a batch is not read again for another when of
 * the same batch.
 */
Test(sock, syn_option_switches_are_read_for_options_once_a_batch)
{
	int want = ipv4_sysctl("tcp_sack"), app_win = ipv4_sysctl("tcp_app_win");

	net.sysctl.tcp_sack = want ^ 1;
	forget_live_reads();
	tcp_sysctl_refresh(&net.sysctl, TCP_SYSCTL_LISTEN);
	cr_assert_eq(net.sysctl.tcp_sack, want ^ 1, "a bare SYN reads no option switch");
	tcp_sysctl_refresh(&net.sysctl, TCP_SYSCTL_LISTEN | TCP_SYSCTL_SYNOPT);
	cr_assert_eq(net.sysctl.tcp_sack, want, "a SYN with options");
	net.sysctl.tcp_sack = want ^ 1;
	forget_live_reads();
	tcp_sysctl_refresh(&net.sysctl, TCP_SYSCTL_CHILD);
	cr_assert_eq(net.sysctl.tcp_sack, want, "when a child is made");

	net.sysctl.tcp_live_batch = 0;
	net.sysctl.tcp_sack = want ^ 1;
	forget_live_reads();
	tcp_sysctl_refresh(&net.sysctl, TCP_SYSCTL_LISTEN | TCP_SYSCTL_SYNOPT | TCP_SYSCTL_BATCHED);
	cr_assert_eq(net.sysctl.tcp_sack, want);
	net.sysctl.tcp_sack = want ^ 1;
	net.sysctl.tcp_app_win = app_win ^ 1;
	forget_live_reads();
	tcp_sysctl_refresh(&net.sysctl, TCP_SYSCTL_CHILD | TCP_SYSCTL_BATCHED);
	cr_assert_eq(net.sysctl.tcp_sack, want ^ 1, "read once in the batch");
	cr_assert_eq(net.sysctl.tcp_app_win, app_win, "the child's own files are read");
	net.sysctl.tcp_live_batch = 0;
	tcp_sysctl_refresh(&net.sysctl, TCP_SYSCTL_CHILD | TCP_SYSCTL_BATCHED);
	cr_assert_eq(net.sysctl.tcp_sack, want, "the next batch reads it again");
}

/* tcp_max_syn_backlog: only where a SYN may queue a child, not for a cookie's SYN. */
Test(sock, max_syn_backlog_is_read_where_a_child_may_be_made)
{
	int want = ipv4_sysctl("tcp_max_syn_backlog");

	net.sysctl.tcp_max_syn_backlog = want + 1;
	forget_live_reads();
	tcp_sysctl_refresh(&net.sysctl, TCP_SYSCTL_LISTEN | TCP_SYSCTL_SYNOPT);
	cr_assert_eq(net.sysctl.tcp_max_syn_backlog, want + 1, "not for every SYN");
	tcp_sysctl_refresh(&net.sysctl, TCP_SYSCTL_CHILD);
	cr_assert_eq(net.sysctl.tcp_max_syn_backlog, want);
}
