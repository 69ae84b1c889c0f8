// SPDX-License-Identifier: MIT
/*
 * IPv4 multicast membership, as net/ipv4/igmp.c.
 *
 * Two levels, as in the kernel. A socket keeps its joins (ip_mc_socklist:
 * group, interface, filter mode and source list, set by IP_ADD_MEMBERSHIP,
 * IP_ADD_SOURCE_MEMBERSHIP, IP_BLOCK_SOURCE, IP_MSFILTER, MCAST_* ...), with
 * the kernel's limits (igmp_max_memberships, igmp_max_msf) and errors. The
 * device keeps the groups those joins add up to (ip_mc_list), counting for
 * each source how many sockets include or exclude it, which gives the
 * device's filter of RFC 3376 3.2 without walking the sockets. The first
 * join of a group asks the link to admit the group's MAC address.
 *
 * On the wire: IGMPv3 state-change reports to 224.0.0.22 after every change
 * of the device's filter (TO_EX / TO_IN for a mode change, ALLOW / BLOCK for
 * sources), sent igmp_qrv times at random within
 * igmpv3_unsolicited_report_interval; current-state reports answering
 * general, group and group-and-source queries after a random part of their
 * maximum response time. A v2 or v1 query puts the device in that
 * compatibility mode for the Older Version Querier Present Timeout (RFC 3376
 * 7.2.1), as does force_igmp_version: then joins send v2 (v1) reports,
 * repeated within igmpv2_unsolicited_report_interval, a leave sends a v2
 * leave to 224.0.0.2 if we were the last to report, and another host's
 * report of a group cancels ours (RFC 2236 3). Every IGMP message carries
 * the Router Alert option, TTL 1, TOS 0xc0 and DF, as the kernel's.
 *
 * The SOL_IP options that lead here are read in ip_mc_sockglue.c.
 *
 * Not here: more than one device (a join names the stack's device, by
 * index, by address or by route; lo and other devices are ENODEV), reports
 * longer than one frame (20 groups of 10 sources fit), multicast routing.
 */
#include "igmp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/igmp.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "inet.h"
#include "ip.h"
#include "net_namespace.h"
#include "netdevice.h"
#include "protocol.h"

#define IGMP_QUERY_INTERVAL	     (125 * NSEC_PER_SEC)
#define IGMP_QUERY_RESPONSE_INTERVAL (10 * NSEC_PER_SEC)
#define IGMP_TIMER_SCALE_NS	     (NSEC_PER_SEC / 10) /* max response codes are in 1/10 s */
#define IGMP_RA_OPT		     0x94040000u	 /* Router Alert, value 0 (RFC 2113) */
#define IGMP_TOS		     0xc0

static struct in_device *in_dev_get(const struct net *net)
{
	return net->dev ? net->in_dev : NULL;
}

/* get_random_u32_below(): the delays only need to spread, not to be secret. */
static uint64_t igmp_random_below(struct in_device *in_dev, uint64_t bound)
{
	uint32_t x = in_dev->rnd;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	in_dev->rnd = x;
	return bound ? ((uint64_t)x << 32 | (x * 0x9e3779b1u)) % bound : 0;
}

static unsigned char igmp_qrv(const struct in_device *in_dev)
{
	return in_dev->mr_qrv ? in_dev->mr_qrv : (unsigned char)in_dev->net->sysctl.igmp_qrv;
}

static bool igmp_v1_seen(const struct in_device *in_dev)
{
	const struct net *net = in_dev->net;

	return net->sysctl.force_igmp_version == 1 ||
	       (in_dev->mr_v1_seen && net->now < in_dev->mr_v1_seen);
}

static bool igmp_v2_seen(const struct in_device *in_dev)
{
	const struct net *net = in_dev->net;

	return net->sysctl.force_igmp_version == 2 ||
	       (in_dev->mr_v2_seen && net->now < in_dev->mr_v2_seen);
}

static uint64_t unsolicited_report_interval(const struct in_device *in_dev)
{
	const struct netns_sysctl *s = &in_dev->net->sysctl;
	int ms = igmp_v1_seen(in_dev) || igmp_v2_seen(in_dev)
			 ? s->igmpv2_unsolicited_report_interval
			 : s->igmpv3_unsolicited_report_interval;

	return ms > 0 ? (uint64_t)ms * NSEC_PER_MSEC : 1;
}

/* Groups that are never reported: all-hosts, and 224.0.0.x unless igmp_llm_reports. */
static bool igmp_group_silent(const struct in_device *in_dev, uint32_t group)
{
	return group == IGMP_ALL_HOSTS ||
	       (ipv4_is_local_multicast(group) && !in_dev->net->sysctl.igmp_llm_reports);
}

/* ---- sending ---- */

static int igmp_xmit(struct in_device *in_dev, struct sk_buff *skb, uint32_t daddr)
{
	struct net *net = in_dev->net;
	struct ip_options_data ra = {.opt = {.optlen = 4, .router_alert = sizeof(struct iphdr)}};
	uint32_t word = htonl(IGMP_RA_OPT);

	memcpy(ra.data, &word, sizeof(word));
	return ip_build_and_send_pkt_opt(net, skb, net->addr, daddr, IPPROTO_IGMP, IGMP_TOS, 1,
					 IP_DF_STRICT, &ra);
}

/* A v1 or v2 report, or a v2 leave (igmp_send_report). */
static void igmp_send_report(struct in_device *in_dev, uint32_t group, int type)
{
	struct sk_buff *skb = alloc_skb(sizeof(struct igmphdr));
	struct igmphdr *ih;

	if (!skb)
		return;
	ih = (struct igmphdr *)skb_put(skb, sizeof(*ih));
	ih->type = (uint8_t)type;
	ih->code = 0;
	ih->csum = 0;
	ih->group = group;
	ih->csum = csum_fold(csum_partial(ih, sizeof(*ih), 0));
	igmp_xmit(in_dev, skb, type == IGMP_HOST_LEAVE_MESSAGE ? IGMP_ALL_ROUTER : group);
}

/* A v3 report being built: header, then group records (igmpv3_newpack / add_grec). */
struct igmpv3_pack {
	struct sk_buff *skb;
	struct igmpv3_report *rep;
};

static bool is_in(const struct ip_mc_list *pmc, const struct ip_sf_list *psf, int type,
		  int gdeleted, int sdeleted)
{
	switch (type) {
	case IGMPV3_MODE_IS_INCLUDE:
	case IGMPV3_MODE_IS_EXCLUDE:
		if (gdeleted || sdeleted)
			return false;
		if (!(pmc->gsquery && !psf->sf_gsresp)) {
			if (pmc->sfmode == MCAST_INCLUDE)
				return true;
			/* Not if some socket includes it, or one does not exclude it. */
			if (psf->sf_count[MCAST_INCLUDE])
				return type == IGMPV3_MODE_IS_INCLUDE;
			return pmc->sfcount[MCAST_EXCLUDE] == psf->sf_count[MCAST_EXCLUDE];
		}
		return false;
	case IGMPV3_CHANGE_TO_INCLUDE:
		if (gdeleted || sdeleted)
			return false;
		return psf->sf_count[MCAST_INCLUDE] != 0;
	case IGMPV3_CHANGE_TO_EXCLUDE:
		if (gdeleted || sdeleted)
			return false;
		if (pmc->sfcount[MCAST_EXCLUDE] == 0 || psf->sf_count[MCAST_INCLUDE])
			return false;
		return pmc->sfcount[MCAST_EXCLUDE] == psf->sf_count[MCAST_EXCLUDE];
	case IGMPV3_ALLOW_NEW_SOURCES:
		if (gdeleted || !psf->sf_crcount)
			return false;
		return (pmc->sfmode == MCAST_INCLUDE) ^ sdeleted;
	case IGMPV3_BLOCK_OLD_SOURCES:
		if (pmc->sfmode == MCAST_INCLUDE)
			return gdeleted || (psf->sf_crcount && sdeleted);
		return psf->sf_crcount && !gdeleted && !sdeleted;
	}
	return false;
}

static struct igmpv3_grec *add_grhead(struct igmpv3_pack *p, const struct ip_mc_list *pmc, int type)
{
	struct igmpv3_grec *pgr;

	if (!p->skb) {
		p->skb = alloc_skb(ip_dst_mtu(pmc->net));
		if (!p->skb)
			return NULL;
		p->rep = (struct igmpv3_report *)skb_put(p->skb, sizeof(*p->rep));
		memset(p->rep, 0, sizeof(*p->rep));
		p->rep->type = IGMPV3_HOST_MEMBERSHIP_REPORT;
	}
	pgr = (struct igmpv3_grec *)skb_put(p->skb, sizeof(*pgr));
	pgr->grec_type = (uint8_t)type;
	pgr->grec_auxwords = 0;
	pgr->grec_nsrcs = 0;
	pgr->grec_mca = pmc->multiaddr;
	p->rep->ngrec = htons((uint16_t)(ntohs(p->rep->ngrec) + 1));
	return pgr;
}

/* One group record of type for pmc, its sources chosen by is_in (add_grec). */
static void add_grec(struct igmpv3_pack *p, struct ip_mc_list *pmc, int type, int gdeleted,
		     int sdeleted)
{
	bool isquery = type == IGMPV3_MODE_IS_INCLUDE || type == IGMPV3_MODE_IS_EXCLUDE;
	bool change = type == IGMPV3_ALLOW_NEW_SOURCES || type == IGMPV3_BLOCK_OLD_SOURCES;
	struct ip_sf_list **psf_list = sdeleted ? &pmc->tomb : &pmc->sources;
	struct ip_sf_list *psf, *next, *prev = NULL;
	struct igmpv3_grec *pgr = NULL;
	unsigned int room = ip_dst_mtu(pmc->net) - IPV4_HLEN - 4;

	if (pmc->multiaddr == IGMP_ALL_HOSTS)
		return;
	for (psf = *psf_list; psf; psf = next) {
		next = psf->sf_next;
		if (!is_in(pmc, psf, type, gdeleted, sdeleted)) {
			prev = psf;
			continue;
		}
		/* The rest would need a second report: the file comment's limit. */
		if (p->skb && p->skb->len + sizeof(*pgr) + 4 > room)
			break;
		if (!pgr) {
			pgr = add_grhead(p, pmc, type);
			if (!pgr)
				return;
		}
		memcpy(skb_put(p->skb, 4), &psf->sf_inaddr, 4);
		pgr->grec_nsrcs = htons((uint16_t)(ntohs(pgr->grec_nsrcs) + 1));
		if (isquery)
			psf->sf_gsresp = 0;
		if (change) {
			psf->sf_crcount--;
			if ((sdeleted || gdeleted) && psf->sf_crcount == 0) {
				if (prev)
					prev->sf_next = next;
				else
					*psf_list = next;
				free(psf);
				continue;
			}
		}
		prev = psf;
	}
	if (pgr || change)
		return;
	/* An empty mode record is still news (TO_EX {} is a join). */
	if (pmc->crcount || isquery)
		add_grhead(p, pmc, type);
}

static void igmpv3_sendpack(struct in_device *in_dev, struct igmpv3_pack *p)
{
	if (!p->skb)
		return;
	p->rep->csum = csum_fold(csum_partial(p->skb->data, (int)p->skb->len, 0));
	igmp_xmit(in_dev, p->skb, IGMPV3_ALL_MCR);
	p->skb = NULL;
}

/* Current-state records: one group, or every group for a general query (igmpv3_send_report). */
static void igmpv3_send_report(struct in_device *in_dev, struct ip_mc_list *only)
{
	struct igmpv3_pack p = {0};

	for (struct ip_mc_list *pmc = in_dev->mc_list; pmc; pmc = pmc->next) {
		if ((only && pmc != only) || igmp_group_silent(in_dev, pmc->multiaddr))
			continue;
		add_grec(&p, pmc,
			 pmc->sfcount[MCAST_EXCLUDE] ? IGMPV3_MODE_IS_EXCLUDE
						     : IGMPV3_MODE_IS_INCLUDE,
			 0, 0);
	}
	igmpv3_sendpack(in_dev, &p);
}

static void ip_sf_list_free(struct ip_sf_list *psf)
{
	while (psf) {
		struct ip_sf_list *next = psf->sf_next;

		free(psf);
		psf = next;
	}
}

static void ip_mc_list_free(struct ip_mc_list *pmc)
{
	ip_sf_list_free(pmc->sources);
	ip_sf_list_free(pmc->tomb);
	free(pmc);
}

/* State-change records: left groups first, then every group's changes (igmpv3_send_cr). */
static void igmpv3_send_cr(struct in_device *in_dev)
{
	struct igmpv3_pack p = {0};
	struct ip_mc_list *pmc, *next, **prevp = &in_dev->mc_tomb;

	for (pmc = in_dev->mc_tomb; pmc; pmc = next) {
		next = pmc->next;
		if (pmc->sfmode == MCAST_INCLUDE) {
			add_grec(&p, pmc, IGMPV3_BLOCK_OLD_SOURCES, 1, 0);
			add_grec(&p, pmc, IGMPV3_BLOCK_OLD_SOURCES, 1, 1);
		}
		if (pmc->crcount) {
			if (pmc->sfmode == MCAST_EXCLUDE)
				add_grec(&p, pmc, IGMPV3_CHANGE_TO_INCLUDE, 1, 0);
			pmc->crcount--;
		}
		if (!pmc->crcount && !pmc->tomb && !pmc->sources) {
			*prevp = next;
			ip_mc_list_free(pmc);
			continue;
		}
		prevp = &pmc->next;
	}
	for (pmc = in_dev->mc_list; pmc; pmc = pmc->next) {
		int type = pmc->sfcount[MCAST_EXCLUDE] ? IGMPV3_BLOCK_OLD_SOURCES
						       : IGMPV3_ALLOW_NEW_SOURCES;
		int dtype = type == IGMPV3_BLOCK_OLD_SOURCES ? IGMPV3_ALLOW_NEW_SOURCES
							     : IGMPV3_BLOCK_OLD_SOURCES;

		add_grec(&p, pmc, type, 0, 0);
		add_grec(&p, pmc, dtype, 0, 1); /* sources gone */
		if (pmc->crcount) {
			add_grec(&p, pmc,
				 pmc->sfmode == MCAST_EXCLUDE ? IGMPV3_CHANGE_TO_EXCLUDE
							      : IGMPV3_CHANGE_TO_INCLUDE,
				 0, 0);
			pmc->crcount--;
		}
	}
	igmpv3_sendpack(in_dev, &p);
}

/* ---- timers ---- */

static void igmp_ifc_start_timer(struct in_device *in_dev, uint64_t delay)
{
	struct net *net = in_dev->net;

	mod_timer(&net->timers, &in_dev->mr_ifc_timer, net->now + igmp_random_below(in_dev, delay));
}

static void igmp_ifc_timer_expire(struct timer_list *t)
{
	struct in_device *in_dev = from_timer(in_dev, t, mr_ifc_timer);

	igmpv3_send_cr(in_dev);
	if (in_dev->mr_ifc_count) {
		in_dev->mr_ifc_count--;
		igmp_ifc_start_timer(in_dev, unsolicited_report_interval(in_dev));
	}
}

/* The device's filter changed: report it qrv times (igmp_ifc_event). */
static void igmp_ifc_event(struct in_device *in_dev)
{
	if (igmp_v1_seen(in_dev) || igmp_v2_seen(in_dev))
		return;
	in_dev->mr_ifc_count = igmp_qrv(in_dev);
	igmp_ifc_start_timer(in_dev, 1);
}

static void igmp_gq_timer_expire(struct timer_list *t)
{
	struct in_device *in_dev = from_timer(in_dev, t, mr_gq_timer);

	igmpv3_send_report(in_dev, NULL);
}

static void igmp_start_timer(struct ip_mc_list *im, uint64_t max_delay)
{
	struct net *net = im->net;

	im->tm_running = true;
	mod_timer(&net->timers, &im->timer, net->now + igmp_random_below(net->in_dev, max_delay));
}

static void igmp_stop_timer(struct ip_mc_list *im)
{
	del_timer(&im->net->timers, &im->timer);
	im->tm_running = false;
	im->reporter = false;
	im->unsolicit_count = 0;
}

/* A query answer not later than max_delay from now (igmp_mod_timer). */
static void igmp_mod_timer(struct ip_mc_list *im, uint64_t max_delay)
{
	struct net *net = im->net;

	if (timer_pending(&im->timer) && im->timer.expires - net->now < max_delay) {
		im->tm_running = true;
		return;
	}
	igmp_start_timer(im, max_delay);
}

static void igmp_timer_expire(struct timer_list *t)
{
	struct ip_mc_list *im = from_timer(im, t, timer);
	struct in_device *in_dev = im->net->in_dev;

	im->tm_running = false;
	if (im->unsolicit_count && --im->unsolicit_count)
		igmp_start_timer(im, unsolicited_report_interval(in_dev));
	im->reporter = true;
	if (igmp_v1_seen(in_dev))
		igmp_send_report(in_dev, im->multiaddr, IGMP_HOST_MEMBERSHIP_REPORT);
	else if (igmp_v2_seen(in_dev))
		igmp_send_report(in_dev, im->multiaddr, IGMPV2_HOST_MEMBERSHIP_REPORT);
	else
		igmpv3_send_report(in_dev, im);
}

/* ---- the device's groups ---- */

static struct ip_mc_list *ip_mc_find(struct ip_mc_list *list, uint32_t addr)
{
	for (; list; list = list->next)
		if (list->multiaddr == addr)
			return list;
	return NULL;
}

/* The link admits a group's MAC while some group maps to it (dev_mc_add / dev_mc_del). */
static void ip_mc_filter(struct in_device *in_dev, uint32_t addr, bool add)
{
	struct net_device *dev = in_dev->net->dev;
	uint8_t mac[ETH_ALEN];

	ip_eth_mc_map(addr, mac);
	if (!add && ip_mc_mac_joined(in_dev->net, mac))
		return;
	if (dev->netdev_ops->ndo_mc_update)
		dev->netdev_ops->ndo_mc_update(dev, mac, add);
}

static void igmp_group_added(struct in_device *in_dev, struct ip_mc_list *im)
{
	if (igmp_group_silent(in_dev, im->multiaddr))
		return;
	im->unsolicit_count = (unsigned char)in_dev->net->sysctl.igmp_qrv;
	if (igmp_v1_seen(in_dev) || igmp_v2_seen(in_dev)) {
		igmp_start_timer(im, 1);
		return;
	}
	/* RFC 3376 5.1: a new INCLUDE join goes from IN{} to IN{S}, no mode change. */
	if (im->sfmode == MCAST_EXCLUDE)
		im->crcount = igmp_qrv(in_dev);
	igmp_ifc_event(in_dev);
}

/* The last leave: v2 leave, or a v3 record kept in the tomb while reported (igmpv3_add_delrec). */
static void igmp_group_dropped(struct in_device *in_dev, struct ip_mc_list *im)
{
	bool reporter = im->reporter;

	if (igmp_group_silent(in_dev, im->multiaddr))
		return;
	igmp_stop_timer(im);
	if (igmp_v1_seen(in_dev))
		return;
	if (igmp_v2_seen(in_dev)) {
		if (reporter)
			igmp_send_report(in_dev, im->multiaddr, IGMP_HOST_LEAVE_MESSAGE);
		return;
	}
	{
		struct ip_mc_list *pmc = calloc(1, sizeof(*pmc));

		if (!pmc)
			return;
		pmc->net = im->net;
		pmc->multiaddr = im->multiaddr;
		pmc->crcount = igmp_qrv(in_dev);
		pmc->sfmode = im->sfmode;
		timer_setup(&pmc->timer, igmp_timer_expire);
		if (pmc->sfmode == MCAST_INCLUDE) {
			pmc->tomb = im->tomb;
			pmc->sources = im->sources;
			im->tomb = im->sources = NULL;
			for (struct ip_sf_list *psf = pmc->sources; psf; psf = psf->sf_next)
				psf->sf_crcount = pmc->crcount;
		}
		pmc->next = in_dev->mc_tomb;
		in_dev->mc_tomb = pmc;
	}
	igmp_ifc_event(in_dev);
}

/* A re-join forgets the group's pending leave (igmpv3_del_delrec). */
static void igmpv3_del_delrec(struct in_device *in_dev, uint32_t addr)
{
	for (struct ip_mc_list **pp = &in_dev->mc_tomb; *pp; pp = &(*pp)->next) {
		struct ip_mc_list *pmc = *pp;

		if (pmc->multiaddr == addr) {
			*pp = pmc->next;
			ip_mc_list_free(pmc);
			return;
		}
	}
}

static struct ip_sf_list *ip_sf_find(struct ip_sf_list *psf, uint32_t addr,
				     struct ip_sf_list **prev)
{
	*prev = NULL;
	for (; psf; psf = psf->sf_next) {
		if (psf->sf_inaddr == addr)
			return psf;
		*prev = psf;
	}
	return NULL;
}

/* The sources whose place in the filter changed get ALLOW/BLOCK records (sf_setstate). */
static int sf_setstate(struct ip_mc_list *pmc)
{
	unsigned long mca_xcount = pmc->sfcount[MCAST_EXCLUDE];
	unsigned char qrv = igmp_qrv(pmc->net->in_dev);
	struct ip_sf_list *psf, *dpsf, *prev;
	int rv = 0;

	for (psf = pmc->sources; psf; psf = psf->sf_next) {
		bool new_in = mca_xcount ? mca_xcount == psf->sf_count[MCAST_EXCLUDE] &&
						   !psf->sf_count[MCAST_INCLUDE]
					 : psf->sf_count[MCAST_INCLUDE] != 0;

		if (new_in && !psf->sf_oldin) {
			dpsf = ip_sf_find(pmc->tomb, psf->sf_inaddr, &prev);
			if (dpsf) {
				if (prev)
					prev->sf_next = dpsf->sf_next;
				else
					pmc->tomb = dpsf->sf_next;
				free(dpsf);
			}
			psf->sf_crcount = qrv;
			rv++;
		} else if (!new_in && psf->sf_oldin) {
			psf->sf_crcount = 0;
			dpsf = ip_sf_find(pmc->tomb, psf->sf_inaddr, &prev);
			if (!dpsf) {
				dpsf = malloc(sizeof(*dpsf));
				if (!dpsf)
					continue;
				*dpsf = *psf;
				dpsf->sf_next = pmc->tomb;
				pmc->tomb = dpsf;
			}
			dpsf->sf_crcount = qrv;
			rv++;
		}
		psf->sf_oldin = new_in;
	}
	return rv;
}

static int ip_mc_add1_src(struct ip_mc_list *pmc, int sfmode, uint32_t addr)
{
	struct ip_sf_list *prev, *psf = ip_sf_find(pmc->sources, addr, &prev);

	if (!psf) {
		psf = calloc(1, sizeof(*psf));
		if (!psf)
			return -ENOBUFS;
		psf->sf_inaddr = addr;
		if (prev)
			prev->sf_next = psf;
		else
			pmc->sources = psf;
	}
	psf->sf_count[sfmode]++;
	return 0;
}

/* 1 when a source that was reported leaves for the tomb, 0, or -ESRCH. */
static int ip_mc_del1_src(struct ip_mc_list *pmc, int sfmode, uint32_t addr)
{
	struct in_device *in_dev = pmc->net->in_dev;
	struct ip_sf_list *prev, *psf = ip_sf_find(pmc->sources, addr, &prev);

	if (!psf || psf->sf_count[sfmode] == 0)
		return -ESRCH;
	psf->sf_count[sfmode]--;
	if (psf->sf_count[MCAST_INCLUDE] || psf->sf_count[MCAST_EXCLUDE])
		return 0;
	if (prev)
		prev->sf_next = psf->sf_next;
	else
		pmc->sources = psf->sf_next;
	if (psf->sf_oldin && !igmp_v1_seen(in_dev) && !igmp_v2_seen(in_dev)) {
		psf->sf_crcount = igmp_qrv(in_dev);
		psf->sf_next = pmc->tomb;
		pmc->tomb = psf;
		return 1;
	}
	free(psf);
	return 0;
}

/* The filter mode flipped: one TO_IN / TO_EX record replaces pending source records. */
static void ip_mc_mode_change(struct ip_mc_list *pmc)
{
	struct in_device *in_dev = pmc->net->in_dev;

	pmc->crcount = igmp_qrv(in_dev);
	in_dev->mr_ifc_count = pmc->crcount;
	for (struct ip_sf_list *psf = pmc->sources; psf; psf = psf->sf_next)
		psf->sf_crcount = 0;
	igmp_ifc_event(in_dev);
}

/* A socket's sources (or none, delta 0: the socket itself) counted in the device's group. */
static int ip_mc_add_src(struct in_device *in_dev, uint32_t addr, int sfmode, unsigned int sfcount,
			 const uint32_t *psfsrc, int delta)
{
	struct ip_mc_list *pmc = ip_mc_find(in_dev->mc_list, addr);
	bool isexclude;
	unsigned int i;
	int err = 0;

	if (!pmc)
		return -ESRCH;
	isexclude = pmc->sfmode == MCAST_EXCLUDE;
	if (!delta)
		pmc->sfcount[sfmode]++;
	for (i = 0; i < sfcount; i++) {
		err = ip_mc_add1_src(pmc, sfmode, psfsrc[i]);
		if (err)
			break;
	}
	if (err) {
		if (!delta)
			pmc->sfcount[sfmode]--;
		for (unsigned int j = 0; j < i; j++)
			ip_mc_del1_src(pmc, sfmode, psfsrc[j]);
	} else if (isexclude != (pmc->sfcount[MCAST_EXCLUDE] != 0)) {
		if (pmc->sfcount[MCAST_EXCLUDE])
			pmc->sfmode = MCAST_EXCLUDE;
		else if (pmc->sfcount[MCAST_INCLUDE])
			pmc->sfmode = MCAST_INCLUDE;
		ip_mc_mode_change(pmc);
	} else if (sf_setstate(pmc)) {
		igmp_ifc_event(in_dev);
	}
	return err;
}

static int ip_mc_del_src(struct in_device *in_dev, uint32_t addr, int sfmode, unsigned int sfcount,
			 const uint32_t *psfsrc, int delta)
{
	struct ip_mc_list *pmc = ip_mc_find(in_dev->mc_list, addr);
	int changerec = 0, err = 0;

	if (!pmc)
		return -ESRCH;
	if (!delta) {
		if (!pmc->sfcount[sfmode])
			return -EINVAL;
		pmc->sfcount[sfmode]--;
	}
	for (unsigned int i = 0; i < sfcount; i++) {
		int rv = ip_mc_del1_src(pmc, sfmode, psfsrc[i]);

		changerec |= rv > 0;
		if (!err && rv < 0)
			err = rv;
	}
	if (pmc->sfmode == MCAST_EXCLUDE && pmc->sfcount[MCAST_EXCLUDE] == 0 &&
	    pmc->sfcount[MCAST_INCLUDE]) {
		pmc->sfmode = MCAST_INCLUDE;
		ip_mc_mode_change(pmc);
	} else if (sf_setstate(pmc) || changerec) {
		igmp_ifc_event(in_dev);
	}
	return err;
}

/* A socket joins addr on the device in mode (____ip_mc_inc_group). */
static int ip_mc_inc_group(struct in_device *in_dev, uint32_t addr, unsigned int mode)
{
	struct ip_mc_list *im = ip_mc_find(in_dev->mc_list, addr);

	if (im) {
		im->users++;
		return ip_mc_add_src(in_dev, addr, (int)mode, 0, NULL, 0);
	}
	im = calloc(1, sizeof(*im));
	if (!im)
		return -ENOBUFS;
	im->net = in_dev->net;
	im->multiaddr = addr;
	im->users = 1;
	im->sfmode = mode;
	im->sfcount[mode] = 1;
	timer_setup(&im->timer, igmp_timer_expire);
	im->next = in_dev->mc_list;
	in_dev->mc_list = im;
	igmpv3_del_delrec(in_dev, addr);
	ip_mc_filter(in_dev, addr, true);
	igmp_group_added(in_dev, im);
	return 0;
}

static void ip_mc_dec_group(struct in_device *in_dev, uint32_t addr)
{
	for (struct ip_mc_list **pp = &in_dev->mc_list; *pp; pp = &(*pp)->next) {
		struct ip_mc_list *im = *pp;

		if (im->multiaddr != addr)
			continue;
		if (--im->users == 0) {
			*pp = im->next;
			ip_mc_filter(in_dev, addr, false);
			igmp_group_dropped(in_dev, im);
			del_timer(&in_dev->net->timers, &im->timer);
			ip_mc_list_free(im);
		}
		return;
	}
}

/* ---- receiving ---- */

/* Which of a group-and-source query's sources we answer for (igmp_marksources). */
static bool igmp_marksources(struct ip_mc_list *pmc, unsigned int nsrcs, const uint32_t *srcs)
{
	unsigned int scount = 0;
	struct ip_sf_list *psf;

	if (pmc->sfmode == MCAST_EXCLUDE) {
		/* Excluded by every socket: the query is about sources we do not want. */
		for (psf = pmc->sources; psf && scount < nsrcs; psf = psf->sf_next) {
			if (psf->sf_count[MCAST_INCLUDE] ||
			    pmc->sfcount[MCAST_EXCLUDE] != psf->sf_count[MCAST_EXCLUDE])
				continue;
			for (unsigned int i = 0; i < nsrcs; i++)
				if (srcs[i] == psf->sf_inaddr) {
					scount++;
					break;
				}
		}
		pmc->gsquery = false;
		return scount != nsrcs;
	}
	for (psf = pmc->sources; psf && scount < nsrcs; psf = psf->sf_next)
		for (unsigned int i = 0; i < nsrcs; i++)
			if (srcs[i] == psf->sf_inaddr) {
				psf->sf_gsresp = 1;
				scount++;
				break;
			}
	if (!scount) {
		pmc->gsquery = false;
		return false;
	}
	pmc->gsquery = true;
	return true;
}

/* RFC 3376 4.1.1: the Max Resp Code and QQIC float encoding. */
static uint64_t igmpv3_exp_field(uint8_t code)
{
	return code < 128 ? code : (uint64_t)((code & 0xf) | 0x10) << (((code >> 4) & 7) + 3);
}

static void igmp_heard_query(struct in_device *in_dev, struct sk_buff *skb, unsigned int len)
{
	const struct igmphdr *ih = (const struct igmphdr *)skb->data;
	const struct igmpv3_query *ih3 = (const struct igmpv3_query *)skb->data;
	uint32_t group = ih->group;
	uint64_t max_delay, older;
	bool mark = false;

	/* RFC 3376 8.12: Older Version Querier Present Timeout. */
	older = (uint64_t)igmp_qrv(in_dev) * in_dev->mr_qi + in_dev->mr_qri;
	if (len == 8) {
		if (ih->code == 0) {
			max_delay = IGMP_QUERY_RESPONSE_INTERVAL;
			in_dev->mr_v1_seen = in_dev->net->now + older;
			group = 0;
		} else {
			max_delay = ih->code * IGMP_TIMER_SCALE_NS;
			in_dev->mr_v2_seen = in_dev->net->now + older;
		}
		/* v3 state-change reports stop (RFC 3376 7.3.1). */
		in_dev->mr_ifc_count = 0;
		del_timer(&in_dev->net->timers, &in_dev->mr_ifc_timer);
		while (in_dev->mc_tomb) {
			struct ip_mc_list *pmc = in_dev->mc_tomb;

			in_dev->mc_tomb = pmc->next;
			ip_mc_list_free(pmc);
		}
	} else if (len < 12) {
		return;
	} else if (igmp_v1_seen(in_dev)) {
		max_delay = IGMP_QUERY_RESPONSE_INTERVAL;
		group = 0;
	} else if (igmp_v2_seen(in_dev)) {
		/* A v3 query among v2 queriers: the v3 encoding is the likelier meaning. */
		max_delay = igmpv3_exp_field(ih3->code) * IGMP_TIMER_SCALE_NS;
		if (!max_delay)
			max_delay = 1;
	} else {
		unsigned int nsrcs = ntohs(ih3->nsrcs);

		if (len < sizeof(*ih3) + nsrcs * 4u)
			return;
		max_delay = igmpv3_exp_field(ih3->code) * IGMP_TIMER_SCALE_NS;
		if (!max_delay)
			max_delay = 1;
		in_dev->mr_maxdelay = max_delay;
		/* RFC 3376 4.1.6 and 4.1.7: a zero QRV or QQIC means the default. */
		in_dev->mr_qrv = ih3->qrv ? ih3->qrv : (unsigned char)in_dev->net->sysctl.igmp_qrv;
		in_dev->mr_qi = ih3->qqic ? igmpv3_exp_field(ih3->qqic) * NSEC_PER_SEC
					  : IGMP_QUERY_INTERVAL;
		if (in_dev->mr_qri >= in_dev->mr_qi)
			in_dev->mr_qri = (in_dev->mr_qi / NSEC_PER_SEC - 1) * NSEC_PER_SEC;
		if (!group) {
			uint64_t exp;

			if (nsrcs)
				return; /* a general query names no source */
			exp = in_dev->net->now + igmp_random_below(in_dev, in_dev->mr_maxdelay);
			if (!timer_pending(&in_dev->mr_gq_timer) ||
			    exp < in_dev->mr_gq_timer.expires)
				mod_timer(&in_dev->net->timers, &in_dev->mr_gq_timer, exp);
			return;
		}
		mark = nsrcs != 0;
	}

	for (struct ip_mc_list *im = in_dev->mc_list; im; im = im->next) {
		bool changed;

		if ((group && group != im->multiaddr) || igmp_group_silent(in_dev, im->multiaddr))
			continue;
		im->gsquery = im->tm_running ? im->gsquery && mark : mark;
		changed = !im->gsquery ||
			  igmp_marksources(im, ntohs(ih3->nsrcs), (const uint32_t *)ih3->srcs);
		if (changed)
			igmp_mod_timer(im, max_delay);
	}
}

/* Another host reported the group: ours is not needed (RFC 2236 3, igmp_heard_report). */
static void igmp_heard_report(struct in_device *in_dev, uint32_t group)
{
	struct ip_mc_list *im;

	if (igmp_group_silent(in_dev, group))
		return;
	im = ip_mc_find(in_dev->mc_list, group);
	if (im)
		igmp_stop_timer(im);
}

static int igmp_rcv(struct net *net, struct sk_buff *skb)
{
	struct in_device *in_dev = in_dev_get(net);
	const struct igmphdr *ih;

	if (!in_dev || skb->len < sizeof(struct igmphdr) ||
	    csum_fold(csum_partial(skb->data, (int)skb->len, 0)))
		goto drop;
	ih = (const struct igmphdr *)skb->data;
	switch (ih->type) {
	case IGMP_HOST_MEMBERSHIP_QUERY:
		igmp_heard_query(in_dev, skb, skb->len);
		break;
	case IGMP_HOST_MEMBERSHIP_REPORT:
	case IGMPV2_HOST_MEMBERSHIP_REPORT:
		/* Our own report looped back is no one else's. */
		if (skb->dev &&
		    (skb->pkt_type == PACKET_MULTICAST || skb->pkt_type == PACKET_BROADCAST))
			igmp_heard_report(in_dev, ih->group);
		break;
	default:
		break;
	}
drop:
	kfree_skb(skb);
	return 0;
}

const struct net_protocol igmp_protocol = {
	.handler = igmp_rcv,
};

/* ---- the socket calls ---- */

/* The device a join names: by index, by address, else by route (ip_mc_find_dev). */
static struct in_device *ip_mc_find_dev(struct net *net, struct ip_mreqn *imr)
{
	struct in_device *in_dev = in_dev_get(net);

	if (!in_dev)
		return NULL;
	if (imr->imr_ifindex)
		return imr->imr_ifindex == net->dev->ifindex ? in_dev : NULL;
	if (imr->imr_address.s_addr && imr->imr_address.s_addr != net->addr)
		return NULL;
	/*
	 * Named by neither: the group's route. A multicast or broadcast group
	 * has one only through the default route (the gateway); a namespace
	 * with only its subnet's answers ENODEV, as the kernel's does.
	 */
	if (!imr->imr_address.s_addr) {
		uint32_t group = imr->imr_multiaddr.s_addr, saddr = 0, nexthop;

		if (ipv4_is_multicast(group) || group == INADDR_BROADCAST
			    ? !net->gateway
			    : ip_route_output(net, group, &saddr, &nexthop) != 0)
			return NULL;
	}
	imr->imr_ifindex = net->dev->ifindex;
	return in_dev;
}

static struct ip_mc_socklist *ip_mc_sk_find(const struct inet_sock *inet, uint32_t group,
					    int ifindex)
{
	for (struct ip_mc_socklist *iml = inet->mc_list; iml; iml = iml->next)
		if (iml->multi.imr_multiaddr.s_addr == group && iml->multi.imr_ifindex == ifindex)
			return iml;
	return NULL;
}

static int __ip_mc_join_group(struct sock *sk, struct ip_mreqn *imr, unsigned int mode)
{
	uint32_t addr = imr->imr_multiaddr.s_addr;
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	struct ip_mc_socklist *iml, *i;
	struct in_device *in_dev;
	int count = 0, err;

	if (!ipv4_is_multicast(addr))
		return -EINVAL;
	in_dev = ip_mc_find_dev(net, imr);
	if (!in_dev)
		return -ENODEV;
	for (i = inet->mc_list; i; i = i->next) {
		if (i->multi.imr_multiaddr.s_addr == addr &&
		    i->multi.imr_ifindex == imr->imr_ifindex)
			return -EADDRINUSE;
		count++;
	}
	if (count >= net->sysctl.igmp_max_memberships)
		return -ENOBUFS;
	iml = calloc(1, sizeof(*iml));
	if (!iml)
		return -ENOBUFS;
	err = ip_mc_inc_group(in_dev, addr, mode);
	if (err) {
		free(iml);
		return err;
	}
	iml->multi = *imr;
	iml->sfmode = mode;
	iml->next = inet->mc_list;
	inet->mc_list = iml;
	return 0;
}

int ip_mc_join_group(struct sock *sk, struct ip_mreqn *imr)
{
	return __ip_mc_join_group(sk, imr, MCAST_EXCLUDE);
}

int ip_mc_join_group_ssm(struct sock *sk, struct ip_mreqn *imr, unsigned int mode)
{
	return __ip_mc_join_group(sk, imr, mode);
}

/* The socket's sources leave the device's counts (ip_mc_leave_src). */
static void ip_mc_leave_src(struct in_device *in_dev, struct ip_mc_socklist *iml)
{
	struct ip_sf_socklist *psl = iml->sflist;

	if (in_dev)
		ip_mc_del_src(in_dev, iml->multi.imr_multiaddr.s_addr, (int)iml->sfmode,
			      psl ? psl->sl_count : 0, psl ? psl->sl_addr : NULL, 0);
	free(psl);
	iml->sflist = NULL;
}

int ip_mc_leave_group(struct sock *sk, struct ip_mreqn *imr)
{
	struct inet_sock *inet = inet_sk(sk);
	uint32_t group = imr->imr_multiaddr.s_addr;
	struct in_device *in_dev = ip_mc_find_dev(sock_net(sk), imr);
	struct ip_mc_socklist **pp, *iml;

	if (!imr->imr_ifindex && !imr->imr_address.s_addr && !in_dev)
		return -ENODEV;
	for (pp = &inet->mc_list; (iml = *pp) != NULL; pp = &iml->next) {
		if (iml->multi.imr_multiaddr.s_addr != group)
			continue;
		if (imr->imr_ifindex) {
			if (iml->multi.imr_ifindex != imr->imr_ifindex)
				continue;
		} else if (imr->imr_address.s_addr &&
			   imr->imr_address.s_addr != iml->multi.imr_address.s_addr) {
			continue;
		}
		ip_mc_leave_src(in_dev, iml);
		*pp = iml->next;
		if (in_dev)
			ip_mc_dec_group(in_dev, group);
		free(iml);
		return 0;
	}
	return -EADDRNOTAVAIL;
}

int ip_mc_source(int add, int omode, struct sock *sk, const struct ip_mreq_source *mreqs,
		 int ifindex)
{
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	struct ip_mreqn imr = {.imr_multiaddr.s_addr = mreqs->imr_multiaddr.s_addr,
			       .imr_address.s_addr = mreqs->imr_interface.s_addr,
			       .imr_ifindex = ifindex};
	uint32_t src = mreqs->imr_sourceaddr.s_addr;
	struct ip_mc_socklist *pmc;
	struct ip_sf_socklist *psl;
	struct in_device *in_dev;
	unsigned int i;

	if (!ipv4_is_multicast(mreqs->imr_multiaddr.s_addr))
		return -EINVAL;
	in_dev = ip_mc_find_dev(net, &imr);
	if (!in_dev)
		return -ENODEV;
	pmc = ip_mc_sk_find(inet, imr.imr_multiaddr.s_addr, imr.imr_ifindex);
	if (!pmc)
		return -EINVAL; /* must have a prior join */
	/* A source filter set must keep its mode; an empty one may switch. */
	if (pmc->sflist) {
		if (pmc->sfmode != (unsigned int)omode)
			return -EINVAL;
	} else if (pmc->sfmode != (unsigned int)omode) {
		ip_mc_add_src(in_dev, mreqs->imr_multiaddr.s_addr, omode, 0, NULL, 0);
		ip_mc_del_src(in_dev, mreqs->imr_multiaddr.s_addr, (int)pmc->sfmode, 0, NULL, 0);
		pmc->sfmode = (unsigned int)omode;
	}
	psl = pmc->sflist;
	for (i = 0; psl && i < psl->sl_count; i++)
		if (psl->sl_addr[i] == src)
			break;
	if (!add) {
		if (!psl || i == psl->sl_count)
			return -EADDRNOTAVAIL;
		/* (INCLUDE, empty) is a leave. */
		if (psl->sl_count == 1 && omode == MCAST_INCLUDE)
			return ip_mc_leave_group(sk, &imr);
		ip_mc_del_src(in_dev, mreqs->imr_multiaddr.s_addr, omode, 1, &src, 1);
		memmove(&psl->sl_addr[i], &psl->sl_addr[i + 1],
			(psl->sl_count - i - 1) * sizeof(uint32_t));
		psl->sl_count--;
		return 0;
	}
	if (psl && psl->sl_count >= (unsigned int)net->sysctl.igmp_max_msf)
		return -ENOBUFS;
	if (psl && i < psl->sl_count)
		return -EADDRNOTAVAIL; /* already there */
	if (!psl || psl->sl_count == psl->sl_max) {
		unsigned int max = psl ? psl->sl_max * 2 : 8;
		struct ip_sf_socklist *n = malloc(sizeof(*n) + max * sizeof(uint32_t));

		if (!n)
			return -ENOBUFS;
		n->sl_max = max;
		n->sl_count = psl ? psl->sl_count : 0;
		if (psl)
			memcpy(n->sl_addr, psl->sl_addr, psl->sl_count * sizeof(uint32_t));
		free(psl);
		pmc->sflist = psl = n;
	}
	psl->sl_addr[psl->sl_count++] = src;
	ip_mc_add_src(in_dev, mreqs->imr_multiaddr.s_addr, omode, 1, &src, 1);
	return 0;
}

int ip_mc_msfilter(struct sock *sk, uint32_t group, uint32_t iface, int ifindex, unsigned int fmode,
		   unsigned int numsrc, const uint32_t *slist)
{
	struct ip_mreqn imr = {
		.imr_multiaddr.s_addr = group, .imr_address.s_addr = iface, .imr_ifindex = ifindex};
	struct ip_sf_socklist *newpsl = NULL, *psl;
	struct ip_mc_socklist *pmc;
	struct in_device *in_dev;
	int err;

	if (!ipv4_is_multicast(group))
		return -EINVAL;
	if (fmode != MCAST_INCLUDE && fmode != MCAST_EXCLUDE)
		return -EINVAL;
	in_dev = ip_mc_find_dev(sock_net(sk), &imr);
	if (!in_dev)
		return -ENODEV;
	/* (INCLUDE, empty) is a leave. */
	if (fmode == MCAST_INCLUDE && numsrc == 0)
		return ip_mc_leave_group(sk, &imr);
	pmc = ip_mc_sk_find(inet_sk(sk), group, imr.imr_ifindex);
	if (!pmc)
		return -EINVAL;
	if (numsrc) {
		newpsl = malloc(sizeof(*newpsl) + numsrc * sizeof(uint32_t));
		if (!newpsl)
			return -ENOBUFS;
		newpsl->sl_max = newpsl->sl_count = numsrc;
		memcpy(newpsl->sl_addr, slist, numsrc * sizeof(uint32_t));
	}
	err = ip_mc_add_src(in_dev, group, (int)fmode, numsrc, slist, 0);
	if (err) {
		free(newpsl);
		return err;
	}
	psl = pmc->sflist;
	ip_mc_del_src(in_dev, group, (int)pmc->sfmode, psl ? psl->sl_count : 0,
		      psl ? psl->sl_addr : NULL, 0);
	free(psl);
	pmc->sflist = newpsl;
	pmc->sfmode = fmode;
	return 0;
}

int ip_mc_msfget(struct sock *sk, uint32_t group, uint32_t iface, int ifindex, unsigned int *fmode,
		 unsigned int *numsrc, uint32_t *slist, unsigned int max)
{
	struct ip_mreqn imr = {
		.imr_multiaddr.s_addr = group, .imr_address.s_addr = iface, .imr_ifindex = ifindex};
	struct ip_mc_socklist *pmc;
	unsigned int count;

	if (!ipv4_is_multicast(group))
		return -EINVAL;
	if (!ip_mc_find_dev(sock_net(sk), &imr))
		return -ENODEV;
	pmc = ip_mc_sk_find(inet_sk(sk), group, imr.imr_ifindex);
	if (!pmc)
		return -EADDRNOTAVAIL;
	*fmode = pmc->sfmode;
	count = pmc->sflist ? pmc->sflist->sl_count : 0;
	if (count && max)
		memcpy(slist, pmc->sflist->sl_addr, (count < max ? count : max) * sizeof(uint32_t));
	*numsrc = count;
	return 0;
}

void ip_mc_drop_socket(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	struct in_device *in_dev = in_dev_get(sock_net(sk));
	struct ip_mc_socklist *iml;

	while ((iml = inet->mc_list) != NULL) {
		inet->mc_list = iml->next;
		ip_mc_leave_src(in_dev, iml);
		if (in_dev)
			ip_mc_dec_group(in_dev, iml->multi.imr_multiaddr.s_addr);
		free(iml);
	}
}

bool ip_mc_sf_allow(const struct sock *sk, uint32_t loc_addr, uint32_t rmt_addr, int dif)
{
	const struct inet_sock *inet = inet_sk(sk);
	const struct ip_mc_socklist *pmc;
	const struct ip_sf_socklist *psl;
	unsigned int i;

	if (!ipv4_is_multicast(loc_addr))
		return true;
	pmc = ip_mc_sk_find(inet, loc_addr, dif);
	if (!pmc)
		return inet->mc_all; /* IP_MULTICAST_ALL: any group the device joined */
	psl = pmc->sflist;
	if (!psl)
		return pmc->sfmode == MCAST_EXCLUDE;
	for (i = 0; i < psl->sl_count; i++)
		if (psl->sl_addr[i] == rmt_addr)
			break;
	if (pmc->sfmode == MCAST_INCLUDE)
		return i < psl->sl_count;
	return i >= psl->sl_count;
}

bool ip_check_mc(const struct net *net, uint32_t group, uint32_t src_addr, int proto)
{
	const struct in_device *in_dev = in_dev_get(net);
	const struct ip_mc_list *im;
	const struct ip_sf_list *psf;

	if (!in_dev)
		return false;
	im = ip_mc_find(in_dev->mc_list, group);
	if (!im)
		return false;
	if (proto == IPPROTO_IGMP || !src_addr)
		return true;
	for (psf = im->sources; psf; psf = psf->sf_next)
		if (psf->sf_inaddr == src_addr)
			return psf->sf_count[MCAST_INCLUDE] ||
			       psf->sf_count[MCAST_EXCLUDE] != im->sfcount[MCAST_EXCLUDE];
	return im->sfcount[MCAST_EXCLUDE] != 0;
}

bool ip_mc_mac_joined(const struct net *net, const uint8_t mac[6])
{
	const struct in_device *in_dev = in_dev_get(net);

	for (const struct ip_mc_list *im = in_dev ? in_dev->mc_list : NULL; im; im = im->next) {
		uint8_t m[ETH_ALEN];

		ip_eth_mc_map(im->multiaddr, m);
		if (!memcmp(m, mac, ETH_ALEN))
			return true;
	}
	return false;
}

int igmp_net_init(struct net *net)
{
	struct in_device *in_dev = calloc(1, sizeof(*in_dev));

	if (!in_dev)
		return -ENOMEM;
	in_dev->net = net;
	in_dev->mr_qi = IGMP_QUERY_INTERVAL;
	in_dev->mr_qri = IGMP_QUERY_RESPONSE_INTERVAL;
	in_dev->mr_maxdelay = IGMP_QUERY_RESPONSE_INTERVAL;
	in_dev->rnd = net->isn_secret[1] | 1;
	timer_setup(&in_dev->mr_gq_timer, igmp_gq_timer_expire);
	timer_setup(&in_dev->mr_ifc_timer, igmp_ifc_timer_expire);
	net->in_dev = in_dev;
	/* ip_mc_up(): every host is in 224.0.0.1 (never reported). */
	if (net->dev)
		ip_mc_inc_group(in_dev, IGMP_ALL_HOSTS, MCAST_EXCLUDE);
	return 0;
}

void igmp_net_exit(struct net *net)
{
	struct in_device *in_dev = net->in_dev;

	if (!in_dev)
		return;
	del_timer(&net->timers, &in_dev->mr_gq_timer);
	del_timer(&net->timers, &in_dev->mr_ifc_timer);
	while (in_dev->mc_list) {
		struct ip_mc_list *im = in_dev->mc_list;

		in_dev->mc_list = im->next;
		del_timer(&net->timers, &im->timer);
		ip_mc_list_free(im);
	}
	while (in_dev->mc_tomb) {
		struct ip_mc_list *pmc = in_dev->mc_tomb;

		in_dev->mc_tomb = pmc->next;
		ip_mc_list_free(pmc);
	}
	free(in_dev);
	net->in_dev = NULL;
}
