/* SPDX-License-Identifier: MIT */
/*
 * The configuration contract (README "Configuration"): environment variables
 * read once at start-up by the interposer and by the stack host.
 */
#ifndef SOCKSHIM_CONFIG_H
#define SOCKSHIM_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#define SHIM_BUSY_POLL_MAX_US 100000
/* SOCKSHIM_SPIN_US unset (README, Measured: what it buys and costs here). */
#define SHIM_SPIN_DEFAULT_US 0
/*
 * A program's read may wait this much longer than its SO_RCVTIMEO (the spin
 * comes before the kernel's timed wait): at most 1 ms, less than the
 * kernel's own rounding of that timeout to a jiffy.
 */
#define SHIM_SPIN_MAX_US 1000
/* SOCKSHIM_TX_THREAD unset (README, Measured: what the thread buys here). */
#define SHIM_TX_THREAD_DEFAULT false
/*
 * SOCKSHIM_HOST_NICE: the nice value of the host's session, whose
 * autogroup holds the host alone (shim_host_start); README "Configuration".
 */
#define SHIM_HOST_NICE_DEFAULT (-10)

struct shim_config {
	char iface[IF_NAMESIZE]; /* SOCKSHIM_IFACE */
	char addr_str[32];	 /* SOCKSHIM_ADDR without the prefix, e.g. "10.99.0.10" */
	uint32_t addr;		 /* network order */
	uint32_t netmask;	 /* network order, from the prefix */
	int prefix;
	uint32_t gateway;     /* SOCKSHIM_GATEWAY, network order, 0 = none */
	int trace;	      /* SOCKSHIM_TRACE level, 0 = off */
	char trace_file[256]; /* SOCKSHIM_TRACE_FILE, "" = stderr */
	char pcap[256];	      /* SOCKSHIM_PCAP, "" = none */
	char plugin_dir[256]; /* SOCKSHIM_PLUGIN_DIR, "" = beside the library */
	unsigned long netns;  /* inode of /proc/self/ns/net */
	uint8_t mac[6];	      /* locally administered, derived from addr */
	int busy_poll_us;     /* SOCKSHIM_BUSY_POLL_US: the host spins this long before sleeping */
	int spin_us;	      /* SOCKSHIM_SPIN_US: a program's blocking read spins this long */
	bool tx_thread;	      /* SOCKSHIM_TX_THREAD: the link sends from a thread of its own */
	int host_nice;	      /* SOCKSHIM_HOST_NICE: the host's autogroup nice, -20..19 */
};

/*
 * Reads the environment. Returns 0, or -1 with a one-line message naming the
 * offending variable in err (e.g. "sockshim: SOCKSHIM_ADDR: '10.99.0/24' is
 * not an IPv4 address with a prefix (e.g. 10.99.0.10/24)").
 */
int shim_config_load(struct shim_config *cfg, char *err, int errlen);

/*
 * The same in two steps on a zeroed cfg: the trace settings (allocation- and
 * lock-free), then the rest. Each returns 0 or -1; the net step keeps an
 * error the trace step left in err, so the first one is reported.
 */
int shim_config_load_trace(struct shim_config *cfg, char *err, int errlen);
int shim_config_load_net(struct shim_config *cfg, char *err, int errlen);

#endif
