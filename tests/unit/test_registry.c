// SPDX-License-Identifier: MIT
/*
 * The registry and the creation path: net_families[], inetsw[] with its
 * exact and wildcard matching and permanent entries, every errno
 * socket(2) can return on the way to inet_create (checked against the
 * running kernel where the kernel can answer), the trace steps, and the
 * request_module() analog loading tests/plugins/test_protosw.c.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inet.h"
#include "net_namespace.h"
#include "protocol.h"

static struct net net;
static char trace[8192];

static void capture(const char *step)
{
	strncat(trace, step, sizeof(trace) - strlen(trace) - 2);
	strcat(trace, "\n");
}

static void setup(void)
{
	memset(&net, 0, sizeof(net));
	net_sysctl_init(&net.sysctl);
	cr_assert_eq(net_init(&net, NULL, htonl(0x0a63000a), htonl(0xffffff00), 0,
			      (const uint8_t[6]){2, 0x53, 0x53, 0, 0, 10}, 0),
		     0); /* 10.99.0.10/24, registry only: no device */
	inet_init();
	trace[0] = 0;
	sock_create_trace = capture;
	request_module_set_dir(NULL);
	unsetenv("SOCKSHIM_PLUGIN_DIR");
}

static void teardown(void)
{
	sock_create_trace = NULL;
	net_exit(&net);
}

TestSuite(registry, .init = setup, .fini = teardown);

/* Creates with kern = 0 and cred (NULL: kernel context); returns 0 or -errno, fills *proto. */
static int create(int family, int type, int protocol, const struct cred *cred, int *proto)
{
	struct socket *sock = NULL;
	int err = sock_create_cred(&net, family, type, protocol, cred, &sock);

	if (err)
		return err;
	cr_assert_not_null(sock->sk);
	if (proto)
		*proto = sock->sk->sk_protocol;
	sock_release(sock);
	return 0;
}

/* What the running kernel says for the same call: 0 or -errno. */
static int kernel_socket(int family, int type, int protocol, int *proto)
{
	int fd = socket(family, type, protocol);
	socklen_t len = sizeof(*proto);

	if (fd < 0)
		return -errno;
	if (proto)
		getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, proto, &len);
	close(fd);
	return 0;
}

Test(registry, sys_socket_accepts_only_nonblock_and_cloexec_beyond_the_type)
{
	int type, flags;

	cr_assert_eq(
		sock_check_type_flags(SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, &type, &flags),
		0);
	cr_assert_eq(type, SOCK_STREAM);
	cr_assert_eq(flags, O_NONBLOCK | O_CLOEXEC);
	cr_assert_eq(sock_check_type_flags(SOCK_DGRAM | 0x40000000, &type, &flags), -EINVAL);
	cr_assert_eq(sock_check_type_flags(SOCK_DGRAM | 0x10, &type, &flags), -EINVAL);
	cr_assert(strstr(trace, "unknown bits 0x10 -> EINVAL"), "%s", trace);
}

/* The kernel checks flags, then the family range, then the type range. */
Test(registry, every_errno_before_the_family_matches_the_kernel)
{
	static const struct {
		int family, type, protocol;
	} calls[] = {
		{-1, SOCK_STREAM, 0},
		{AF_MAX, SOCK_STREAM, 0},
		{255, 0, 0},
		{-1, 12, 0},
		{-1, 0x40000000, 0},
		{AF_INET, 12, 0},
		{AF_INET, SOCK_MAX, 0},
		{AF_INET, SOCK_STREAM | 0x40000000, 0},
		{AF_INET, 0, 0},
		{AF_INET, SOCK_RDM, 0},
		{AF_INET, SOCK_SEQPACKET, 132},
		{AF_INET, SOCK_DCCP, 0},
		{AF_INET, 7, 0},
		{AF_INET, 9, 1},
	};

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		int want = kernel_socket(calls[i].family, calls[i].type, calls[i].protocol, NULL);
		int got = create(calls[i].family, calls[i].type, calls[i].protocol, NULL, NULL);

		cr_expect_eq(got, want, "socket(%d, %#x, %d): %d, kernel %d", calls[i].family,
			     calls[i].type, calls[i].protocol, got, want);
	}
}

/* This process as the kernel sees it: root with every capability, its groups. */
static struct cred me(void)
{
	gid_t groups[32];
	struct cred c = {.uid = getuid(), .gid = getgid(), .cap_eff = ~0ull};
	int n = getgroups(32, groups);

	for (int i = 0; i < n; i++)
		c.groups[c.ngroups++] = groups[i];
	return c;
}

Test(registry, inet_create_matches_the_kernel_for_every_stream_and_dgram_protocol)
{
	struct cred cred = me();

	static const int protocols[] = {0,   1,	  6,   17,  58, 132,  136,    253,
					255, 256, 262, 263, -1, 1000, INT_MAX};
	static const int types[] = {SOCK_STREAM, SOCK_DGRAM};

	for (size_t t = 0; t < 2; t++)
		for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
			int kp = -1, sp = -1;
			int want = kernel_socket(AF_INET, types[t], protocols[i], &kp);
			int got = create(AF_INET, types[t], protocols[i], &cred, &sp);

			cr_expect_eq(got, want, "type %d protocol %d: %d, kernel %d", types[t],
				     protocols[i], got, want);
			if (!got && !want)
				cr_expect_eq(sp, kp,
					     "type %d protocol %d: SO_PROTOCOL %d, kernel %d",
					     types[t], protocols[i], sp, kp);
		}
}

Test(registry, wildcard_protocol_takes_the_first_entry_of_the_type)
{
	int proto;

	cr_assert_eq(create(AF_INET, SOCK_STREAM, 0, NULL, &proto), 0);
	cr_assert_eq(proto, IPPROTO_TCP);
	cr_assert(strstr(trace, "family AF_INET\n"), "%s", trace);
	cr_assert(strstr(trace, "inetsw[SOCK_STREAM] wildcard -> protocol 6 (TCP)"), "%s", trace);

	cr_assert_eq(create(AF_INET, SOCK_DGRAM, 0, NULL, &proto), 0);
	cr_assert_eq(proto, IPPROTO_UDP);
}

Test(registry, exact_match_and_the_wildcard_raw_entry)
{
	int proto;

	cr_assert_eq(create(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE, NULL, &proto), 0);
	cr_assert_eq(proto, IPPROTO_UDPLITE);
	cr_assert(strstr(trace, "inetsw[SOCK_DGRAM] exact protocol 136 (UDP-Lite)"), "%s", trace);

	trace[0] = 0;
	cr_assert_eq(create(AF_INET, SOCK_RAW, 256, NULL, &proto), 0);
	cr_assert_eq(proto, 256);
	cr_assert(strstr(trace, "inetsw[SOCK_RAW] wildcard entry (RAW) takes protocol 256"), "%s",
		  trace);

	/* Both wild: a raw socket needs a protocol. */
	cr_assert_eq(create(AF_INET, SOCK_RAW, 0, NULL, NULL), -EPROTONOSUPPORT);
}

Test(registry, mptcp_is_tcp_underneath_but_reports_262)
{
	struct socket *sock;

	cr_assert_eq(__sock_create(&net, AF_INET, SOCK_STREAM, IPPROTO_MPTCP, &sock, 1), 0);
	cr_assert_eq(sock->sk->sk_prot, &tcp_prot);
	cr_assert_eq(sock->sk->sk_protocol, IPPROTO_MPTCP);
	cr_assert(inet_sk(sock->sk)->is_icsk);
	sock_release(sock);
}

Test(registry, raw_sockets_need_cap_net_raw_unless_kern)
{
	struct cred user = {.uid = 1000, .gid = 1000, .cap_eff = 0};
	struct cred netraw = {.uid = 1000, .gid = 1000, .cap_eff = 1ull << CAP_NET_RAW};
	struct socket *sock;

	cr_assert_eq(create(AF_INET, SOCK_RAW, IPPROTO_ICMP, &user, NULL), -EPERM);
	cr_assert(strstr(trace, "SOCK_RAW without CAP_NET_RAW -> EPERM"), "%s", trace);
	cr_assert_eq(create(AF_INET, SOCK_RAW, IPPROTO_ICMP, &netraw, NULL), 0);

	/* The lookup comes first: an unknown type is not a permission problem. */
	cr_assert_eq(create(AF_INET, SOCK_RAW, -1, &user, NULL), -EINVAL);

	net.current_cred = &user;
	cr_assert_eq(__sock_create(&net, AF_INET, SOCK_RAW, IPPROTO_RAW, &sock, 1), 0);
	cr_assert(inet_sk(sock->sk)->hdrincl);
	cr_assert_eq(sock->sk->sk_num, IPPROTO_RAW);
	sock_release(sock);
	net.current_cred = NULL;
}

/* Root is not exempt: with the default range "1 0" nobody may create ping sockets. */
Test(registry, ping_sockets_follow_ping_group_range)
{
	struct cred root = {.uid = 0, .gid = 0, .cap_eff = ~0ull};
	struct cred staff = {.uid = 1000, .gid = 1000, .ngroups = 1, .groups = {50}};

	net.sysctl.ping_group_range[0] = 1;
	net.sysctl.ping_group_range[1] = 0;
	cr_assert_eq(create(AF_INET, SOCK_DGRAM, IPPROTO_ICMP, &root, NULL), -EACCES);
	cr_assert(strstr(trace, "PING init -> "), "%s", trace);

	net.sysctl.ping_group_range[0] = 0;
	net.sysctl.ping_group_range[1] = 0;
	cr_assert_eq(create(AF_INET, SOCK_DGRAM, IPPROTO_ICMP, &root, NULL), 0);
	cr_assert_eq(create(AF_INET, SOCK_DGRAM, IPPROTO_ICMP, &staff, NULL), -EACCES);

	/* A supplementary group inside the range is enough. */
	net.sysctl.ping_group_range[0] = 50;
	net.sysctl.ping_group_range[1] = 60;
	cr_assert_eq(create(AF_INET, SOCK_DGRAM, IPPROTO_ICMP, &staff, NULL), 0);
}

Test(registry, the_running_kernel_refuses_ping_sockets_to_root_with_range_1_0)
{
	uint32_t range[2] = {0, 0};
	FILE *f = fopen("/proc/sys/net/ipv4/ping_group_range", "r");

	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%u %u", &range[0], &range[1]), 2);
	fclose(f);
	if (range[0] != 1 || range[1] != 0)
		cr_skip_test("ping_group_range is %u %u here", range[0], range[1]);
	cr_assert_eq(kernel_socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP, NULL), -EACCES);
	cr_assert_eq(create(AF_INET, SOCK_DGRAM, IPPROTO_ICMP,
			    &(struct cred){.uid = getuid(), .gid = getgid(), .cap_eff = ~0ull},
			    NULL),
		     -EACCES);
}

Test(registry, obsolete_inet_packet_becomes_pf_packet)
{
	/* PF_PACKET is not a family of the stack: the interposer passes it on. */
	cr_assert_eq(create(AF_INET, SOCK_PACKET, 0, NULL, NULL), -EAFNOSUPPORT);
	cr_assert(strstr(trace, "obsolete (PF_INET,SOCK_PACKET) -> PF_PACKET"), "%s", trace);
	cr_assert(strstr(trace, "family AF_PACKET not registered -> EAFNOSUPPORT"), "%s", trace);
}

Test(registry, unregistered_families_are_eafnosupport)
{
	cr_assert_eq(create(AF_INET6, SOCK_STREAM, 0, NULL, NULL), -EAFNOSUPPORT);
	cr_assert(strstr(trace, "request_module net-pf-10: no plugin directory"), "%s", trace);
	cr_assert_eq(create(AF_UNIX, SOCK_STREAM, 0, NULL, NULL), -EAFNOSUPPORT);
}

static int fake_create(struct net *n, struct socket *sock, int protocol, int kern)
{
	return -EPFNOSUPPORT;
}

Test(registry, sock_register_refuses_a_taken_or_out_of_range_family)
{
	struct net_proto_family fam = {.family = AF_INET, .create = fake_create};

	cr_assert_eq(sock_register(&fam), -EEXIST);
	fam.family = NPROTO;
	cr_assert_eq(sock_register(&fam), -ENOBUFS);
	fam.family = AF_INET6;
	cr_assert_eq(sock_register(&fam), 0);
	/* The family's create decides; its errno is passed on untouched. */
	cr_assert_eq(create(AF_INET6, SOCK_STREAM, 0, NULL, NULL), -EPFNOSUPPORT);
	sock_unregister(AF_INET6);
	cr_assert_eq(create(AF_INET6, SOCK_STREAM, 0, NULL, NULL), -EAFNOSUPPORT);
}

Test(registry, permanent_entries_cannot_be_overridden_or_removed)
{
	static struct inet_protosw fake_tcp = {
		.type = SOCK_STREAM,
		.protocol = IPPROTO_TCP,
		.prot = &udp_prot,
		.ops = &inet_dgram_ops,
	};
	static struct inet_protosw fake_udp = {
		.type = SOCK_DGRAM,
		.protocol = IPPROTO_UDP,
		.prot = &tcp_prot,
		.ops = &inet_stream_ops,
		.flags = INET_PROTOSW_PERMANENT,
	};
	struct socket *sock;

	cr_assert_eq(inet_register_protosw(&fake_tcp), -EPERM);
	cr_assert_eq(__sock_create(&net, AF_INET, SOCK_STREAM, IPPROTO_TCP, &sock, 1), 0);
	cr_assert_eq(sock->sk->sk_prot, &tcp_prot);
	sock_release(sock);

	/* Unregistering a permanent entry is refused; the entry keeps working. */
	fake_udp.flags = INET_PROTOSW_PERMANENT;
	inet_unregister_protosw(&fake_udp);
	cr_assert_eq(__sock_create(&net, AF_INET, SOCK_DGRAM, IPPROTO_UDP, &sock, 1), 0);
	cr_assert_eq(sock->sk->sk_prot, &udp_prot);
	sock_release(sock);

	fake_tcp.type = SOCK_MAX;
	cr_assert_eq(inet_register_protosw(&fake_tcp), -EINVAL);
}

Test(registry, a_new_entry_overrides_older_non_permanent_ones_until_removed)
{
	static struct inet_protosw my_ping = {
		.type = SOCK_DGRAM,
		.protocol = IPPROTO_ICMP,
		.prot = &udp_prot,
		.ops = &inet_dgram_ops,
	};
	static struct inet_protosw exp = {
		.type = SOCK_DGRAM,
		.protocol = 253,
		.prot = &udp_prot,
		.ops = &inet_dgram_ops,
	};
	struct socket *sock;

	cr_assert_eq(inet_register_protosw(&my_ping), 0);
	cr_assert_eq(__sock_create(&net, AF_INET, SOCK_DGRAM, IPPROTO_ICMP, &sock, 1), 0);
	cr_assert_eq(sock->sk->sk_prot, &udp_prot);
	sock_release(sock);
	inet_unregister_protosw(&my_ping);
	cr_assert_eq(__sock_create(&net, AF_INET, SOCK_DGRAM, IPPROTO_ICMP, &sock, 1), 0);
	cr_assert_eq(sock->sk->sk_prot, &ping_prot);
	sock_release(sock);

	/* Inserted after the permanent entries: the wildcard still means UDP. */
	cr_assert_eq(inet_register_protosw(&exp), 0);
	cr_assert_eq(__sock_create(&net, AF_INET, SOCK_DGRAM, 0, &sock, 1), 0);
	cr_assert_eq(sock->sk->sk_protocol, IPPROTO_UDP);
	sock_release(sock);
	cr_assert_eq(create(AF_INET, SOCK_DGRAM, 253, NULL, NULL), 0);
	inet_unregister_protosw(&exp);
	cr_assert_eq(create(AF_INET, SOCK_DGRAM, 253, NULL, NULL), -EPROTONOSUPPORT);
}

Test(registry, inet_protos_slots_are_taken_once)
{
	static const struct net_protocol mine;

	cr_assert_eq(inet_protos[IPPROTO_TCP], &tcp_protocol);
	cr_assert_eq(inet_protos[IPPROTO_UDP], &udp_protocol);
	cr_assert_eq(inet_protos[IPPROTO_UDPLITE], &udplite_protocol);
	cr_assert_eq(inet_protos[IPPROTO_ICMP], &icmp_protocol);
	cr_assert_eq(inet_add_protocol(&mine, IPPROTO_TCP), -EEXIST);
	cr_assert_eq(inet_add_protocol(&mine, 253), 0);
	cr_assert_eq(inet_del_protocol(&udp_protocol, 253), -ENOENT);
	cr_assert_eq(inet_del_protocol(&mine, 253), 0);
	cr_assert_null(inet_protos[253]);
}

Test(registry, inet_sock_defaults_are_the_kernels)
{
	struct socket *sock;
	struct inet_sock *inet;

	cr_assert_eq(__sock_create(&net, AF_INET, SOCK_DGRAM, 0, &sock, 1), 0);
	inet = inet_sk(sock->sk);
	cr_assert_eq(sock->state, SS_UNCONNECTED);
	cr_assert_eq(inet->uc_ttl, -1);
	cr_assert_eq(inet->mc_loop, 1);
	cr_assert_eq(inet->mc_ttl, 1);
	cr_assert_eq(inet->mc_all, 1);
	cr_assert_eq(inet->pmtudisc, IP_PMTUDISC_WANT);
	cr_assert_eq(sock->sk->sk_family, AF_INET);
	cr_assert_eq(sock->sk->sk_type, SOCK_DGRAM);
	cr_assert_eq(sock->sk->sk_state, TCP_CLOSE);
	cr_assert_eq(sock->sk->sk_peek_off, -1);
	cr_assert_eq(sock->sk->sk_rcvlowat, 1);
	cr_assert_eq(sock->sk->sk_rcvtimeo, INT64_MAX);
	cr_assert_eq(sock->sk->sk_reuse, SK_NO_REUSE);
	cr_assert_eq(sock->ops, &inet_dgram_ops);
	sock_release(sock);

	/* Ping and raw entries carry INET_PROTOSW_REUSE. */
	cr_assert_eq(__sock_create(&net, AF_INET, SOCK_RAW, IPPROTO_UDP, &sock, 1), 0);
	cr_assert_eq(sock->sk->sk_reuse, SK_CAN_REUSE);
	cr_assert_eq(sock->ops, &inet_sockraw_ops);
	cr_assert_eq(inet_sk(sock->sk)->inet_sport, htons(IPPROTO_UDP));
	sock_release(sock);

	net.sysctl.ip_no_pmtu_disc = 1;
	cr_assert_eq(__sock_create(&net, AF_INET, SOCK_STREAM, 0, &sock, 1), 0);
	cr_assert_eq(inet_sk(sock->sk)->pmtudisc, IP_PMTUDISC_DONT);
	cr_assert(inet_sk(sock->sk)->is_icsk);
	sock_release(sock);
}

/* The request_module() analog and the test plugin (tests/plugins/test_protosw.c). */

Test(registry, without_a_plugin_directory_protocol_253_is_not_supported)
{
	cr_assert_eq(create(AF_INET, SOCK_DGRAM, 253, NULL, NULL), -EPROTONOSUPPORT);
	cr_assert(strstr(trace,
			 "request_module net-pf-2-proto-253-type-2: no plugin directory\n"
			 "inetsw[SOCK_DGRAM] has no entry for protocol 253 -> EPROTONOSUPPORT\n"
			 "request_module net-pf-2-proto-253: no plugin directory\n"),
		  "%s", trace);
	/* The kernel has no such module either. */
	cr_assert_eq(kernel_socket(AF_INET, SOCK_DGRAM, 253, NULL), -EPROTONOSUPPORT);
}

Test(registry, the_plugin_directory_provides_protocol_253)
{
	int proto;

	request_module_set_dir(SOCKSHIM_TEST_PLUGIN_DIR);
	cr_assert_eq(create(AF_INET, SOCK_DGRAM, 253, NULL, &proto), 0);
	cr_assert_eq(proto, 253);
	/* The specific name first (not there), then the generic one. */
	cr_assert(strstr(trace, "request_module net-pf-2-proto-253-type-2: not found\n"), "%s",
		  trace);
	cr_assert(strstr(trace, "request_module net-pf-2-proto-253: loaded "), "%s", trace);
	cr_assert(strstr(trace, "inetsw[SOCK_DGRAM] exact protocol 253 (UDP)"), "%s", trace);

	/* Loaded once: the next socket finds the entry without asking. */
	trace[0] = 0;
	cr_assert_eq(create(AF_INET, SOCK_DGRAM, 253, NULL, NULL), 0);
	cr_assert_null(strstr(trace, "request_module"), "%s", trace);
	/* Only SOCK_DGRAM was registered. */
	cr_assert_eq(create(AF_INET, SOCK_STREAM, 253, NULL, NULL), -EPROTONOSUPPORT);
}

Test(registry, the_environment_names_the_plugin_directory)
{
	setenv("SOCKSHIM_PLUGIN_DIR", SOCKSHIM_TEST_PLUGIN_DIR, 1);
	cr_assert_eq(create(AF_INET, SOCK_DGRAM, 253, NULL, NULL), 0);
}

Test(registry, the_more_specific_module_name_is_tried_first)
{
	char dir[] = "/tmp/sockshim-plugins-XXXXXX", link[PATH_MAX];

	cr_assert_not_null(mkdtemp(dir));
	snprintf(link, sizeof(link), "%s/net-pf-2-proto-253-type-2.so", dir);
	cr_assert_eq(symlink(SOCKSHIM_TEST_PLUGIN_DIR "/net-pf-2-proto-253.so", link), 0);
	request_module_set_dir(dir);

	cr_assert_eq(create(AF_INET, SOCK_DGRAM, 253, NULL, NULL), 0);
	cr_assert(strstr(trace, "request_module net-pf-2-proto-253-type-2: loaded "), "%s", trace);
	cr_assert_null(strstr(trace, "request_module net-pf-2-proto-253:"), "%s", trace);
	unlink(link);
	rmdir(dir);
}
