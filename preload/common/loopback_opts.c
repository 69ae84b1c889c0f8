/* SPDX-License-Identifier: MIT */
#include "loopback_opts.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "shim_ctl.h"

const struct shim_carried shim_carried[] = {
	{SOL_SOCKET, SO_REUSEADDR, 0, false},
	{SOL_SOCKET, SO_REUSEPORT, 0, false},
	{SOL_SOCKET, SO_KEEPALIVE, 0, false},
	{SOL_SOCKET, SO_BROADCAST, 0, false},
	{SOL_SOCKET, SO_OOBINLINE, 0, false},
	{SOL_SOCKET, SO_LINGER, 0, false},
	{SOL_SOCKET, SO_SNDBUF, SHIM_HANDOFF_SNDBUF, false},
	{SOL_SOCKET, SO_RCVBUF, SHIM_HANDOFF_RCVBUF, false},
	/* IP_TOS sets SO_PRIORITY too (rt_tos2priority): the priority comes after it. */
	{IPPROTO_IP, IP_TOS, 0, false},
	{SOL_SOCKET, SO_PRIORITY, 0, false},
	{IPPROTO_IP, IP_TTL, 0, false},
	{IPPROTO_TCP, TCP_NODELAY, 0, true},
	{IPPROTO_TCP, TCP_KEEPIDLE, 0, true},
	{IPPROTO_TCP, TCP_KEEPINTVL, 0, true},
	{IPPROTO_TCP, TCP_KEEPCNT, 0, true},
	{IPPROTO_TCP, TCP_USER_TIMEOUT, 0, true},
};

const size_t shim_ncarried = sizeof(shim_carried) / sizeof(shim_carried[0]);

void shim_carried_value(const struct shim_carried *o, void *val, uint32_t len)
{
	int v;

	if (o->level != SOL_SOCKET || (o->optname != SO_SNDBUF && o->optname != SO_RCVBUF) ||
	    len != sizeof(int))
		return;
	memcpy(&v, val, sizeof(v));
	v /= 2;
	memcpy(val, &v, sizeof(v));
}
