// SPDX-License-Identifier: MIT
/*
 * The sysctls a stack consults, with the kernel's compiled-in defaults. The
 * core reads no files: the owner fills in this machine's values from
 * /proc/sys (preload/common/sysctl_proc.c) before net_init, and may hook
 * refresh_tcp and refresh_ports to read sysctls again where the kernel
 * reads them.
 */
#include <limits.h>

#include "net_namespace.h"
#include "tcp.h"

void net_sysctl_init(struct netns_sysctl *s)
{
	/* The kernel's defaults (net/core/sock.c and the net/ipv4 files), for missing files. */
	*s = (struct netns_sysctl){
		.rmem_default = 212992,
		.wmem_default = 212992,
		.rmem_max = 212992,
		.wmem_max = 212992,
		.somaxconn = 4096,
		.tcp_rmem = {4096, 131072, 6291456},
		.tcp_wmem = {4096, 16384, 4194304},
		.ip_local_port_range = {32768, 60999},
		.ip_unprivileged_port_start = 1024,
		/* Sane defaults - nobody may create ping sockets. */
		.ping_group_range = {1, 0},
		.ip_default_ttl = 64,
		.ip_no_pmtu_disc = 0,
		.ip_rt_min_pmtu = 552,
		.ip_rt_mtu_expires = 600,
		.tcp_stdurg = 0,
		.tcp_fin_timeout = 60,
		.tcp_syn_retries = 6,
		.tcp_synack_retries = 5,
		.tcp_retries2 = 15,
		.tcp_keepalive_time = 7200,
		.tcp_keepalive_intvl = 75,
		.tcp_keepalive_probes = 9,
		.tcp_max_syn_backlog = 1024,
		.tcp_timestamps = 1,
		.tcp_window_scaling = 1,
		.tcp_sack = 1,
		.tcp_dsack = 1,
		.tcp_challenge_ack_limit = INT_MAX,
		.tcp_invalid_ratelimit = 500,
		.tcp_syncookies = 1,
		.tcp_comp_sack_nr = 44,
		.tcp_comp_sack_delay_ns = 1000000,
		.tcp_moderate_rcvbuf = 1,
		.tcp_fastopen = TFO_CLIENT_ENABLE,
		.tcp_ecn = 2,
		.udp_rmem_min = 4096,
		.udp_wmem_min = 4096,
		.ip_nonlocal_bind = 0,
		.igmp_max_memberships = 20,
		.igmp_max_msf = 10,
		.igmp_qrv = 2,
		.igmp_llm_reports = 1,
		.force_igmp_version = 0,
		.igmpv2_unsolicited_report_interval = 10000,
		.igmpv3_unsolicited_report_interval = 1000,
		.optmem_max = 131072,
		.hz = 250,
		.tcp_recovery = 1,
		.tcp_early_retrans = 3,
		.tcp_frto = 2,
		.tcp_reordering = TCP_FASTRETRANS_THRESH,
		.tcp_no_ssthresh_metrics_save = 1,
		.tcp_max_reordering = 300,
		.tcp_notsent_lowat = -1,
		.tcp_congestion_control = "cubic",
		.tcp_allowed_congestion_control = "reno cubic",
		.tcp_tw_reuse = 2,
		.tcp_tw_reuse_delay = 1000,
		.tcp_mtu_probing = 0,
		.tcp_base_mss = 1024,
		.tcp_mtu_probe_floor = 48,
		.tcp_min_snd_mss = 48,
		.tcp_probe_threshold = 8,
		.tcp_probe_interval = 600,
		.tcp_retries1 = 3,
		.tcp_orphan_retries = 0,
		.tcp_syn_linear_timeouts = 4,
		.tcp_thin_linear_timeouts = 0,
		.tcp_rto_min_us = 200000,
		.tcp_rto_max_ms = 120000,
		.tcp_max_orphans = 4096, /* the kernel's least: NR_FILE, for a small hash */
		.tcp_tso_win_divisor = 3,
		.tcp_min_tso_segs = 2,
		/*
		 * The kernel sizes it at boot (tcp_init_mem: a sixteenth of the
		 * free buffer pages is [1]); these are its marks for 24 GiB.
		 */
		.tcp_mem = {287892, 383858, 575784},
		.tcp_app_win = 31,
	};
}
