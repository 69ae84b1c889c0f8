/* SPDX-License-Identifier: MIT */
#ifndef SOCKSHIM_SYSCTL_PROC_H
#define SOCKSHIM_SYSCTL_PROC_H

#include "net_namespace.h"

/*
 * Fills s with this namespace's values from /proc/sys (the kernel's defaults
 * where a file is missing) and hooks the re-reading of the TCP option
 * sysctls a new TCP socket does. Call before net_init.
 */
void sysctl_proc_read(struct netns_sysctl *s);

#endif
