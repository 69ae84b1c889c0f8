/* SPDX-License-Identifier: MIT */
/*
 * Prints the control contract's numbers (preload/common/shim_ctl.h) as JSON,
 * so that tests speaking it by hand (tests/integration/ctl_client.py) take
 * version, ops and sizes from the header rather than copying them.
 */
#include <stdio.h>

#include "../../preload/common/shim_ctl.h"

#define OP(name)                                                                                   \
	{                                                                                          \
#name, SHIM_OP_##name                                                              \
	}

int main(void)
{
	static const struct {
		const char *name;
		unsigned int op;
	} ops[] = {OP(HELLO),	 OP(CREATE),  OP(BIND),	      OP(LISTEN),     OP(CONNECT),
		   OP(SHUTDOWN), OP(GETNAME), OP(SETSOCKOPT), OP(GETSOCKOPT), OP(IOCTL),
		   OP(GETERR),	 OP(CLOSE),   OP(STAT),	      OP(ADOPT)};
	const size_t n = sizeof(ops) / sizeof(ops[0]);

	printf("{\"version\": %d, \"hdr\": %zu, \"rep\": %zu, \"opt_max\": %d,\n", SHIM_CTL_VERSION,
	       sizeof(struct shim_hdr), sizeof(struct shim_rep), SHIM_OPT_MAX);
	printf(" \"ops\": {");
	for (size_t i = 0; i < n; i++)
		printf("%s\"%s\": %u", i ? ", " : "", ops[i].name, ops[i].op);
	/* Request lengths; SETSOCKOPT's is without its value. */
	printf("},\n \"req_len\": {");
	for (size_t i = 0; i < n; i++)
		printf("%s\"%s\": %zu", i ? ", " : "", ops[i].name, shim_req_len(ops[i].op, 0));
	printf("}}\n");
	return 0;
}
