/* SPDX-License-Identifier: MIT */
/*
 * Reads the SOCKSHIM_* environment (config.h) for the interposer and the
 * stack host. Every variable is parsed even after an earlier one failed, so
 * that the trace settings still work when the network settings are wrong;
 * the error reported is the first one, on one line, naming the variable.
 *
 * The interposer reads it in two steps: the trace settings at start-up
 * (getenv and strtol only: nothing that allocates or takes a lock), the rest
 * only when the first AF_INET socket needs a stack (if_nametoindex opens a
 * socket, stat reads /proc). The stack host reads both at once.
 *
 * What it does not do: fall back to anything. A missing SOCKSHIM_IFACE or
 * SOCKSHIM_ADDR is an error, never "use the kernel's network".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct cfg_err {
	char *buf;
	int len;
	int set;
};

static void cfg_fail(struct cfg_err *e, const char *fmt, ...)
{
	va_list ap;

	if (e->set++)
		return;
	va_start(ap, fmt);
	vsnprintf(e->buf, e->len, fmt, ap);
	va_end(ap);
}

/* A dotted quad and nothing else (inet_pton accepts no shorthand forms). */
static int cfg_ipv4(const char *s, uint32_t *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*addr = a.s_addr;
	return 0;
}

static void cfg_path(struct cfg_err *e, const char *var, char *dst, size_t len)
{
	const char *v = getenv(var);

	dst[0] = 0;
	if (!v)
		return;
	if (strlen(v) >= len) {
		cfg_fail(e, "sockshim: %s: path longer than %zu bytes", var, len - 1);
		return;
	}
	strcpy(dst, v);
}

static void cfg_trace(struct shim_config *cfg, struct cfg_err *e)
{
	const char *v = getenv("SOCKSHIM_TRACE");
	char *end;
	long n;

	cfg->trace = 0;
	if (!v || !*v)
		return;
	errno = 0;
	n = strtol(v, &end, 10);
	if (*end || errno || n < 0 || n > INT_MAX) {
		cfg_fail(e,
			 "sockshim: SOCKSHIM_TRACE: '%s' is not an integer >= 0 (0 = off, 1 = one "
			 "line per call)",
			 v);
		return;
	}
	cfg->trace = (int)n;
}

static void cfg_iface(struct shim_config *cfg, struct cfg_err *e)
{
	const char *v = getenv("SOCKSHIM_IFACE");

	cfg->iface[0] = 0;
	if (!v || !*v) {
		cfg_fail(e, "sockshim: SOCKSHIM_IFACE is not set (name the interface the stack "
			    "uses, e.g. veth0)");
		return;
	}
	if (strlen(v) >= sizeof(cfg->iface)) {
		cfg_fail(e, "sockshim: SOCKSHIM_IFACE: '%s' is longer than an interface name", v);
		return;
	}
	if (!if_nametoindex(v)) {
		cfg_fail(e, "sockshim: SOCKSHIM_IFACE: no interface '%s' in this network namespace",
			 v);
		return;
	}
	strcpy(cfg->iface, v);
}

static void cfg_addr(struct shim_config *cfg, struct cfg_err *e)
{
	const char *v = getenv("SOCKSHIM_ADDR");
	const char *slash;
	char *end;
	long prefix;
	size_t n;

	if (!v || !*v) {
		cfg_fail(e, "sockshim: SOCKSHIM_ADDR is not set (the stack's address with prefix, "
			    "e.g. 10.99.0.10/24)");
		return;
	}
	slash = strchr(v, '/');
	n = slash ? (size_t)(slash - v) : 0;
	if (!slash || n >= sizeof(cfg->addr_str))
		goto bad;
	memcpy(cfg->addr_str, v, n);
	cfg->addr_str[n] = 0;
	if (cfg_ipv4(cfg->addr_str, &cfg->addr))
		goto bad;
	errno = 0;
	prefix = strtol(slash + 1, &end, 10);
	if (end == slash + 1 || *end || errno || prefix < 1 || prefix > 32)
		goto bad;
	cfg->prefix = (int)prefix;
	cfg->netmask = htonl(prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix));
	/* 02:53:53 ("SS") marks a locally administered address of ours. */
	cfg->mac[0] = 0x02;
	cfg->mac[1] = 0x53;
	cfg->mac[2] = 0x53;
	memcpy(&cfg->mac[3], (uint8_t *)&cfg->addr + 1, 3);
	return;
bad:
	cfg->addr_str[0] = 0;
	cfg->addr = 0;
	cfg_fail(e,
		 "sockshim: SOCKSHIM_ADDR: '%s' is not an IPv4 address with a prefix 1-32 (e.g. "
		 "10.99.0.10/24)",
		 v);
}

static void cfg_gateway(struct shim_config *cfg, struct cfg_err *e)
{
	const char *v = getenv("SOCKSHIM_GATEWAY");

	cfg->gateway = 0;
	if (!v || !*v)
		return;
	if (cfg_ipv4(v, &cfg->gateway))
		cfg_fail(e,
			 "sockshim: SOCKSHIM_GATEWAY: '%s' is not an IPv4 address (e.g. 10.99.0.1)",
			 v);
}

/* v as an int in min..max in *out: 0, or -1 (and *out as it was). */
static int cfg_int(const char *v, long min, long max, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (end == v || *end || errno || n < min || n > max)
		return -1;
	*out = (int)n;
	return 0;
}

/*
 * A spin in microseconds, 0..max (0 = off). Bounded: a spin is CPU burnt
 * on every wait, as net.core.busy_poll. SOCKSHIM_BUSY_POLL_US is read by
 * the stack host only, but checked here so that a bad value is reported by
 * the program that started it (the host's stderr is /dev/null);
 * SOCKSHIM_SPIN_US by the program itself.
 */
static void cfg_spin(const char *name, int dflt, int max, int *out, struct cfg_err *e)
{
	const char *v = getenv(name);

	*out = dflt;
	if (v && *v && cfg_int(v, 0, max, out))
		cfg_fail(e, "sockshim: %s: '%s' is not a number of microseconds in 0..%d (0 = off)",
			 name, v, max);
}

static void cfg_netns(struct shim_config *cfg, struct cfg_err *e)
{
	struct stat st;

	/* The inode names the namespace: stacks in different namespaces never meet. */
	if (stat("/proc/self/ns/net", &st)) {
		cfg_fail(e, "sockshim: cannot read /proc/self/ns/net (%s); is /proc mounted?",
			 strerror(errno));
		return;
	}
	cfg->netns = st.st_ino;
}

/*
 * SOCKSHIM_TX_THREAD: the host sends its link's frames from a second thread
 * (preload/stackd/tx_thread.c). Read by the host only; checked here as
 * SOCKSHIM_BUSY_POLL_US is.
 */
static void cfg_tx_thread(struct shim_config *cfg, struct cfg_err *e)
{
	const char *v = getenv("SOCKSHIM_TX_THREAD");

	cfg->tx_thread = SHIM_TX_THREAD_DEFAULT;
	if (!v || !*v)
		return;
	if (strcmp(v, "0") && strcmp(v, "1")) {
		cfg_fail(e, "sockshim: SOCKSHIM_TX_THREAD: '%s' is not 0 (off) or 1 (on)", v);
		return;
	}
	cfg->tx_thread = *v == '1';
}

/*
 * SOCKSHIM_HOST_NICE: the nice value the program that starts a host gives
 * the host's session's autogroup (shim_host_start).
 */
static void cfg_host_nice(struct shim_config *cfg, struct cfg_err *e)
{
	const char *v = getenv("SOCKSHIM_HOST_NICE");

	cfg->host_nice = SHIM_HOST_NICE_DEFAULT;
	if (v && *v && cfg_int(v, -20, 19, &cfg->host_nice))
		cfg_fail(e, "sockshim: SOCKSHIM_HOST_NICE: '%s' is not a nice value in -20..19", v);
}

int shim_config_load_trace(struct shim_config *cfg, char *err, int errlen)
{
	struct cfg_err e = {err, errlen, 0};

	if (errlen > 0)
		err[0] = 0;
	cfg_trace(cfg, &e);
	cfg_path(&e, "SOCKSHIM_TRACE_FILE", cfg->trace_file, sizeof(cfg->trace_file));
	return e.set ? -1 : 0;
}

int shim_config_load_net(struct shim_config *cfg, char *err, int errlen)
{
	/* An error already in err (from the trace settings) stays the one reported. */
	struct cfg_err e = {err, errlen, errlen > 0 && err[0]};

	cfg_iface(cfg, &e);
	cfg_addr(cfg, &e);
	cfg_gateway(cfg, &e);
	cfg_path(&e, "SOCKSHIM_PCAP", cfg->pcap, sizeof(cfg->pcap));
	cfg_path(&e, "SOCKSHIM_PLUGIN_DIR", cfg->plugin_dir, sizeof(cfg->plugin_dir));
	cfg_spin("SOCKSHIM_BUSY_POLL_US", 0, SHIM_BUSY_POLL_MAX_US, &cfg->busy_poll_us, &e);
	cfg_spin("SOCKSHIM_SPIN_US", SHIM_SPIN_DEFAULT_US, SHIM_SPIN_MAX_US, &cfg->spin_us, &e);
	cfg_netns(cfg, &e);
	cfg_tx_thread(cfg, &e);
	cfg_host_nice(cfg, &e);
	return e.set ? -1 : 0;
}

int shim_config_load(struct shim_config *cfg, char *err, int errlen)
{
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	/* Trace settings first: they must work even when the rest is wrong. */
	ret = shim_config_load_trace(cfg, err, errlen);
	return shim_config_load_net(cfg, err, errlen) || ret ? -1 : 0;
}
