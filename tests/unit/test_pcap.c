// SPDX-License-Identifier: MIT
/*
 * The capture: a UDP exchange between two stacks written by side 0's tap,
 * checked byte by byte (nanosecond pcap, LINKTYPE_ETHERNET, one record per
 * frame in both directions, stack-clock timestamps) and, where tcpdump is
 * installed, read back by `tcpdump -r`.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper_twostack.h"
#include "inet.h"
#include "stackd_link.h"

struct rec {
	uint32_t sec, nsec, incl, orig;
};

Test(pcap, exchange_is_captured_in_both_directions)
{
	char path[] = "/tmp/sockshim-pcap-XXXXXX";
	int fd = mkstemp(path), err;
	struct twostack *ts = twostack_create(NULL);
	struct socket *a, *b;
	struct sockaddr_in to_b = twostack_sin(1, 9000);
	uint8_t hdr[24];
	char buf[16];
	FILE *f;

	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_not_null(ts);
	twostack_run_for(ts, NSEC_PER_MSEC);
	ts->dev[0]->pcap = pcap_open(path, &err);
	cr_assert_not_null(ts->dev[0]->pcap, "pcap_open: %d", err);

	a = twostack_socket(ts, 0, SOCK_DGRAM, IPPROTO_UDP, &err);
	b = twostack_socket(ts, 1, SOCK_DGRAM, IPPROTO_UDP, &err);
	cr_assert_eq(twostack_bind(b, 0, 9000), 0);
	cr_assert_eq(twostack_sendto(a, "captured", 8, &to_b), 8);
	twostack_run_for(ts, 10 * NSEC_PER_MSEC);
	cr_assert_eq(twostack_recvfrom(b, buf, sizeof(buf), 0, NULL), 8);
	pcap_close(ts->dev[0]->pcap);
	ts->dev[0]->pcap = NULL;

	f = fopen(path, "rb");
	cr_assert_not_null(f);
	cr_assert_eq(fread(hdr, 1, 24, f), 24);
	cr_assert_eq(hdr[0] | hdr[1] << 8 | hdr[2] << 16 | (uint32_t)hdr[3] << 24, 0xa1b23c4du,
		     "nanosecond magic");
	cr_assert_eq(hdr[4] | hdr[5] << 8, 2);
	cr_assert_eq(hdr[6] | hdr[7] << 8, 4);
	cr_assert_eq(hdr[20] | hdr[21] << 8, 1, "LINKTYPE_ETHERNET");

	/* Side 0 sent an ARP request, received the reply, then sent the datagram. */
	struct rec r;
	uint8_t frame[2048];
	uint16_t types[3];
	uint64_t last = 0;
	int n = 0;

	while (fread(&r, sizeof(r), 1, f) == 1) {
		uint64_t t = (uint64_t)r.sec * NSEC_PER_SEC + r.nsec;

		cr_assert_lt(r.nsec, 1000000000u);
		cr_assert_eq(r.incl, r.orig);
		cr_assert_leq(r.incl, sizeof(frame));
		cr_assert_eq(fread(frame, 1, r.incl, f), r.incl);
		cr_assert_geq(t, last);
		cr_assert_geq(t, TWOSTACK_T0);
		last = t;
		if (n < 3)
			types[n] = (uint16_t)(frame[12] << 8 | frame[13]);
		if (n == 2) {
			cr_assert_eq(r.incl, 14 + 20 + 8 + 8);
			cr_assert_eq(memcmp(frame + 42, "captured", 8), 0);
		}
		n++;
	}
	fclose(f);
	cr_assert_eq(n, 3);
	cr_assert_eq(types[0], 0x0806);
	cr_assert_eq(types[1], 0x0806);
	cr_assert_eq(types[2], 0x0800);

	if (access("/usr/bin/tcpdump", X_OK) == 0 || access("/usr/sbin/tcpdump", X_OK) == 0) {
		char cmd[256], out[4096] = {0};
		FILE *p;
		size_t got;

		snprintf(cmd, sizeof(cmd), "tcpdump -nn -r %s 2>&1", path);
		p = popen(cmd, "r");
		cr_assert_not_null(p);
		got = fread(out, 1, sizeof(out) - 1, p);
		out[got] = 0;
		cr_assert_eq(pclose(p), 0, "tcpdump failed: %s", out);
		cr_assert_not_null(strstr(out, "ARP, Request who-has 10.0.0.2 tell 10.0.0.1"), "%s",
				   out);
		cr_assert_not_null(strstr(out, "ARP, Reply 10.0.0.2 is-at 02:00:00:00:00:02"), "%s",
				   out);
		cr_assert_not_null(strstr(out, "10.0.0.1."), "%s", out);
		cr_assert_not_null(strstr(out, "> 10.0.0.2.9000: UDP, length 8"), "%s", out);
	}
	unlink(path);
	sock_release(a);
	sock_release(b);
	twostack_destroy(ts);
}

Test(pcap, open_failure_is_an_errno)
{
	int err = 0;

	cr_assert_null(pcap_open("/nonexistent-dir/x.pcap", &err));
	cr_assert_eq(err, -ENOENT);
}
