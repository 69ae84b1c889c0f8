// SPDX-License-Identifier: MIT
/*
 * Text form of the counters, one line per MIB as /proc/net/snmp names them
 * ("Ip: InReceives=12 InHdrErrors=0 ..."), driven by the X-macro lists in
 * snmp.h so that a new counter appears here without an edit.
 */
#include "snmp.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "net_namespace.h"

struct snmp_buf {
	char *buf;
	int len, pos;
};

static void __attribute__((format(printf, 2, 3)))
snmp_printf(struct snmp_buf *b, const char *fmt, ...)
{
	int room = b->len - b->pos;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room > 0 ? b->buf + b->pos : NULL, room > 0 ? (size_t)room : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->pos += n;
}

#define SNMP_PUT(name) snmp_printf(&b, " %s=%" PRIu64, #name, m->name);

int snmp_format(const struct net *net, char *buf, int len)
{
	struct snmp_buf b = {buf, len, 0};

	{
		const struct ip_mib *m = &net->mib.ip;

		snmp_printf(&b, "%s:", "Ip");
		IP_MIB(SNMP_PUT)
		snmp_printf(&b, "\n");
	}
	{
		const struct icmp_mib *m = &net->mib.icmp;

		snmp_printf(&b, "%s:", "Icmp");
		ICMP_MIB(SNMP_PUT)
		snmp_printf(&b, "\n");
	}
	{
		const struct tcp_mib *m = &net->mib.tcp;

		snmp_printf(&b, "%s:", "Tcp");
		TCP_MIB(SNMP_PUT)
		snmp_printf(&b, "\n");
	}
	{
		const struct udp_mib *m = &net->mib.udp;

		snmp_printf(&b, "%s:", "Udp");
		UDP_MIB(SNMP_PUT)
		snmp_printf(&b, "\n");
	}
	{
		const struct udp_mib *m = &net->mib.udplite;

		snmp_printf(&b, "%s:", "UdpLite");
		UDP_MIB(SNMP_PUT)
		snmp_printf(&b, "\n");
	}
	{
		const struct tcpext_mib *m = &net->mib.tcpext;

		snmp_printf(&b, "%s:", "TcpExt");
		TCPEXT_MIB(SNMP_PUT)
		snmp_printf(&b, "\n");
	}
	{
		const struct link_mib *m = &net->mib.link;

		snmp_printf(&b, "%s:", "Link");
		LINK_MIB(SNMP_PUT)
		snmp_printf(&b, "\n");
	}
	/* As snprintf: the length the full text needs; buf always NUL-terminated if len > 0. */
	return b.pos;
}
