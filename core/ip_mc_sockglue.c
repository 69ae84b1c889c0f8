// SPDX-License-Identifier: MIT
/*
 * The multicast options at SOL_IP, as the multicast part of
 * net/ipv4/ip_sockglue.c: each option's structure read and checked with
 * the kernel's lengths and errors (ip_mreq / ip_mreqn, ip_mreq_source,
 * ip_msfilter, group_req, group_source_req, group_filter), then handed to
 * the membership calls of igmp.c. ip_setsockopt and ip_getsockopt (ipv4.c)
 * pass every option they do not know here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "igmp.h"
#include "inet.h"
#include "net_namespace.h"
#include "netdevice.h"

/* <netinet/in.h> sizes these as the kernel does: a header, then the sources. */
#define IP_MSFILTER_HDR	 IP_MSFILTER_SIZE(0)
#define GROUP_FILTER_HDR GROUP_FILTER_SIZE(0)

/* IP_MULTICAST_IF: an in_addr, an ip_mreq or an ip_mreqn; all zero unsets. */
static int ip_mc_set_if(struct sock *sk, const void *optval, unsigned int optlen)
{
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	struct ip_mreqn mreq = {0};

	if (sk->sk_type == SOCK_STREAM || optlen < sizeof(struct in_addr))
		return -EINVAL;
	if (optlen >= sizeof(struct ip_mreqn))
		memcpy(&mreq, optval, sizeof(mreq));
	else if (optlen >= sizeof(struct ip_mreq))
		memcpy(&mreq, optval, sizeof(struct ip_mreq));
	else if (optlen >= sizeof(struct in_addr))
		memcpy(&mreq.imr_address, optval, sizeof(struct in_addr));
	if (!mreq.imr_ifindex) {
		if (mreq.imr_address.s_addr == htonl(INADDR_ANY)) {
			inet->mc_index = 0;
			inet->mc_addr = 0;
			return 0;
		}
		/* ip_dev_find(): the stack's address is its device, 127/8 is lo. */
		if (net->dev && mreq.imr_address.s_addr == net->addr)
			mreq.imr_ifindex = net->dev->ifindex;
		else if ((ntohl(mreq.imr_address.s_addr) >> 24) == 127)
			mreq.imr_ifindex = LOOPBACK_IFINDEX;
		else
			return -EADDRNOTAVAIL;
	} else if (!dev_index_valid(net, mreq.imr_ifindex)) {
		return -EADDRNOTAVAIL;
	}
	if (sk->sk_bound_dev_if && mreq.imr_ifindex != sk->sk_bound_dev_if)
		return -EINVAL;
	inet->mc_index = mreq.imr_ifindex;
	inet->mc_addr = mreq.imr_address.s_addr;
	return 0;
}

/* IP_BLOCK_SOURCE ... IP_DROP_SOURCE_MEMBERSHIP and their MCAST_* forms (__do_mcast_group_source).
 */
static int ip_mc_group_source(struct sock *sk, int optname, struct ip_mreq_source *mreqs,
			      int ifindex)
{
	int omode, add, err;

	switch (optname) {
	case IP_BLOCK_SOURCE:
	case MCAST_BLOCK_SOURCE:
		omode = MCAST_EXCLUDE;
		add = 1;
		break;
	case IP_UNBLOCK_SOURCE:
	case MCAST_UNBLOCK_SOURCE:
		omode = MCAST_EXCLUDE;
		add = 0;
		break;
	case IP_ADD_SOURCE_MEMBERSHIP:
	case MCAST_JOIN_SOURCE_GROUP: {
		struct ip_mreqn mreq = {.imr_multiaddr.s_addr = mreqs->imr_multiaddr.s_addr,
					.imr_address.s_addr = mreqs->imr_interface.s_addr,
					.imr_ifindex = ifindex};

		err = ip_mc_join_group_ssm(sk, &mreq, MCAST_INCLUDE);
		if (err && err != -EADDRINUSE)
			return err;
		ifindex = mreq.imr_ifindex;
		omode = MCAST_INCLUDE;
		add = 1;
		break;
	}
	default: /* IP_DROP_SOURCE_MEMBERSHIP, MCAST_LEAVE_SOURCE_GROUP */
		omode = MCAST_INCLUDE;
		add = 0;
		break;
	}
	return ip_mc_source(add, omode, sk, mreqs, ifindex);
}

/* MCAST_MSFILTER: struct group_filter (set_mcast_msfilter). */
static int ip_mc_set_group_filter(struct sock *sk, const void *optval, unsigned int optlen)
{
	const struct group_filter *gsf = optval;
	const struct sockaddr_in *psin;
	uint32_t *slist = NULL;
	int err;

	if (optlen < GROUP_FILTER_HDR)
		return -EINVAL;
	if (optlen > (unsigned int)sock_net(sk)->sysctl.optmem_max)
		return -ENOBUFS;
	if (gsf->gf_numsrc >= 0x1ffffff ||
	    gsf->gf_numsrc > (uint32_t)sock_net(sk)->sysctl.igmp_max_msf)
		return -ENOBUFS;
	if (GROUP_FILTER_SIZE(gsf->gf_numsrc) > optlen)
		return -EINVAL;
	psin = (const struct sockaddr_in *)&gsf->gf_group;
	if (psin->sin_family != AF_INET)
		return -EADDRNOTAVAIL;
	if (gsf->gf_numsrc) {
		slist = malloc(gsf->gf_numsrc * sizeof(uint32_t));
		if (!slist)
			return -ENOBUFS;
	}
	for (uint32_t i = 0; i < gsf->gf_numsrc; i++) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)&gsf->gf_slist[i];

		if (s->sin_family != AF_INET) {
			free(slist);
			return -EADDRNOTAVAIL;
		}
		slist[i] = s->sin_addr.s_addr;
	}
	err = ip_mc_msfilter(sk, psin->sin_addr.s_addr, 0, (int)gsf->gf_interface, gsf->gf_fmode,
			     gsf->gf_numsrc, slist);
	free(slist);
	return err;
}

int ip_mc_setsockopt(struct sock *sk, int optname, const void *optval, unsigned int optlen)
{
	switch (optname) {
	case IP_MULTICAST_IF:
		return ip_mc_set_if(sk, optval, optlen);
	case IP_ADD_MEMBERSHIP:
	case IP_DROP_MEMBERSHIP: {
		struct ip_mreqn mreq = {0};

		if (inet_sk(sk)->is_icsk)
			return -EPROTO;
		if (optlen < sizeof(struct ip_mreq))
			return -EINVAL;
		memcpy(&mreq, optval,
		       optlen >= sizeof(struct ip_mreqn) ? sizeof(mreq) : sizeof(struct ip_mreq));
		return optname == IP_ADD_MEMBERSHIP ? ip_mc_join_group(sk, &mreq)
						    : ip_mc_leave_group(sk, &mreq);
	}
	case IP_MSFILTER: {
		const struct ip_msfilter *msf = optval;

		if (optlen < IP_MSFILTER_HDR)
			return -EINVAL;
		if (optlen > (unsigned int)sock_net(sk)->sysctl.optmem_max)
			return -ENOBUFS;
		if (msf->imsf_numsrc >= 0x3ffffffcU ||
		    msf->imsf_numsrc > (uint32_t)sock_net(sk)->sysctl.igmp_max_msf)
			return -ENOBUFS;
		if (IP_MSFILTER_SIZE(msf->imsf_numsrc) > optlen)
			return -EINVAL;
		return ip_mc_msfilter(sk, msf->imsf_multiaddr.s_addr, msf->imsf_interface.s_addr, 0,
				      msf->imsf_fmode, msf->imsf_numsrc,
				      (const uint32_t *)msf->imsf_slist);
	}
	case IP_BLOCK_SOURCE:
	case IP_UNBLOCK_SOURCE:
	case IP_ADD_SOURCE_MEMBERSHIP:
	case IP_DROP_SOURCE_MEMBERSHIP: {
		struct ip_mreq_source mreqs;

		if (optlen != sizeof(mreqs))
			return -EINVAL;
		memcpy(&mreqs, optval, sizeof(mreqs));
		return ip_mc_group_source(sk, optname, &mreqs, 0);
	}
	case MCAST_JOIN_GROUP:
	case MCAST_LEAVE_GROUP: {
		struct ip_mreqn mreq = {0};
		struct group_req greq;
		const struct sockaddr_in *psin = (const struct sockaddr_in *)&greq.gr_group;

		if (optlen < sizeof(greq))
			return -EINVAL;
		memcpy(&greq, optval, sizeof(greq));
		if (psin->sin_family != AF_INET)
			return -EINVAL;
		mreq.imr_multiaddr = psin->sin_addr;
		mreq.imr_ifindex = (int)greq.gr_interface;
		return optname == MCAST_JOIN_GROUP ? ip_mc_join_group(sk, &mreq)
						   : ip_mc_leave_group(sk, &mreq);
	}
	case MCAST_JOIN_SOURCE_GROUP:
	case MCAST_LEAVE_SOURCE_GROUP:
	case MCAST_BLOCK_SOURCE:
	case MCAST_UNBLOCK_SOURCE: {
		struct group_source_req greqs;
		struct ip_mreq_source mreqs;

		if (optlen != sizeof(greqs))
			return -EINVAL;
		memcpy(&greqs, optval, sizeof(greqs));
		if (greqs.gsr_group.ss_family != AF_INET || greqs.gsr_source.ss_family != AF_INET)
			return -EADDRNOTAVAIL;
		mreqs.imr_multiaddr.s_addr =
			((const struct sockaddr_in *)&greqs.gsr_group)->sin_addr.s_addr;
		mreqs.imr_sourceaddr.s_addr =
			((const struct sockaddr_in *)&greqs.gsr_source)->sin_addr.s_addr;
		mreqs.imr_interface.s_addr = 0; /* the index names the device */
		return ip_mc_group_source(sk, optname, &mreqs, (int)greqs.gsr_interface);
	}
	case MCAST_MSFILTER:
		return ip_mc_set_group_filter(sk, optval, optlen);
	default:
		return -ENOPROTOOPT;
	}
}

/* getsockopt(IP_MSFILTER): the caller's header names the group (ip_mc_msfget). */
static int ip_mc_get_msfilter(struct sock *sk, void *optval, int *optlen)
{
	struct ip_msfilter *msf = optval;
	unsigned int fmode, count, room;
	int err;

	if (*optlen < (int)IP_MSFILTER_HDR)
		return -EINVAL;
	room = msf->imsf_numsrc;
	/* The sources land after the header; never beyond the caller's room. */
	if (IP_MSFILTER_SIZE(room) > (size_t)*optlen)
		room = (unsigned int)((size_t)*optlen - IP_MSFILTER_HDR) / sizeof(uint32_t);
	err = ip_mc_msfget(sk, msf->imsf_multiaddr.s_addr, msf->imsf_interface.s_addr, 0, &fmode,
			   &count, (uint32_t *)msf->imsf_slist, room);
	if (err)
		return err;
	room = count < msf->imsf_numsrc ? count : msf->imsf_numsrc;
	msf->imsf_fmode = fmode;
	msf->imsf_numsrc = count;
	*optlen = (int)IP_MSFILTER_SIZE(room);
	return 0;
}

/* getsockopt(MCAST_MSFILTER): sources as sockaddr_storage (ip_get_mcast_msfilter). */
static int ip_mc_get_group_filter(struct sock *sk, void *optval, int *optlen)
{
	struct group_filter *gsf = optval;
	const struct sockaddr_in *psin = (const struct sockaddr_in *)&gsf->gf_group;
	unsigned int fmode, count, num, room;
	uint32_t *slist;
	int err;

	if (*optlen < (int)GROUP_FILTER_HDR)
		return -EINVAL;
	if (psin->sin_family != AF_INET || !ipv4_is_multicast(psin->sin_addr.s_addr))
		return -EINVAL;
	/* ip_mc_gsfget matches the join's resolved index exactly: 0 names none. */
	if (!gsf->gf_interface)
		return -EADDRNOTAVAIL;
	num = gsf->gf_numsrc;
	room = (unsigned int)(((size_t)*optlen - GROUP_FILTER_HDR) /
			      sizeof(struct sockaddr_storage));
	if (room > num)
		room = num;
	slist = calloc(room ? room : 1, sizeof(uint32_t));
	if (!slist)
		return -ENOBUFS;
	err = ip_mc_msfget(sk, psin->sin_addr.s_addr, 0, (int)gsf->gf_interface, &fmode, &count,
			   slist, room);
	if (err == -ENODEV)
		err = -EADDRNOTAVAIL; /* ip_mc_gsfget looks only at the socket's joins */
	if (!err) {
		for (unsigned int i = 0; i < room && i < count; i++) {
			struct sockaddr_in *s = (struct sockaddr_in *)&gsf->gf_slist[i];

			memset(&gsf->gf_slist[i], 0, sizeof(gsf->gf_slist[i]));
			s->sin_family = AF_INET;
			s->sin_addr.s_addr = slist[i];
		}
		gsf->gf_fmode = fmode;
		gsf->gf_numsrc = count;
		*optlen = (int)GROUP_FILTER_SIZE(count < num ? count : num);
	}
	free(slist);
	return err;
}

int ip_mc_getsockopt(struct sock *sk, int optname, void *optval, int *optlen)
{
	switch (optname) {
	case IP_MULTICAST_IF: {
		struct in_addr addr = {inet_sk(sk)->mc_addr};
		int len = *optlen < (int)sizeof(addr) ? *optlen : (int)sizeof(addr);

		memcpy(optval, &addr, (size_t)len);
		*optlen = len;
		return 0;
	}
	case IP_MSFILTER:
		return ip_mc_get_msfilter(sk, optval, optlen);
	case MCAST_MSFILTER:
		return ip_mc_get_group_filter(sk, optval, optlen);
	default:
		return -ENOPROTOOPT;
	}
}
