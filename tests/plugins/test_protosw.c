// SPDX-License-Identifier: MIT
/*
 * A test plugin for the request_module() analog: built as
 * net-pf-2-proto-253.so, it registers an inet_protosw for
 * SOCK_DGRAM/protocol 253 (reserved for experimentation, RFC 3692) backed by
 * UDP, the way a kernel module registers a protocol from its module_init.
 * It reaches the loader's registry only through the table it is handed,
 * never through its own copy of the core.
 */
#include <netinet/in.h>

#include "inet.h"

static struct inet_protosw exp_protosw = {
	.type = SOCK_DGRAM,
	.protocol = 253,
	.flags = 0,
};

__attribute__((visibility("default"))) int
sockshim_module_init(const struct sockshim_module_api *api)
{
	exp_protosw.prot = api->udp_prot;
	exp_protosw.ops = api->inet_dgram_ops;
	return api->inet_register_protosw(&exp_protosw);
}
