/* SPDX-License-Identifier: MIT */
/*
 * The host's side of the link: the devices and taps that make system calls,
 * which the core (core/netdevice.h) only drives through their ops.
 */
#ifndef SOCKSHIM_STACKD_LINK_H
#define SOCKSHIM_STACKD_LINK_H

#include "netdevice.h"

/* link_packet.c: AF_PACKET on a real interface, BPF-filtered to ARP and IPv4 for
 * addr, its subnet's broadcast (netmask: network order) and multicast. */
struct net_device *packet_link_open(const char *ifname, const uint8_t mac[ETH_ALEN], uint32_t addr,
				    uint32_t netmask, int *err);
/*
 * Moves the link's sendmmsg calls to a transmit thread of their own
 * (SOCKSHIM_TX_THREAD, tx_thread.c); returns 0 or -errno (the link then
 * sends from the stack thread, as before).
 */
int packet_link_tx_thread(struct net_device *dev);

/* pcap.c: classic libpcap format, LINKTYPE_ETHERNET, ns timestamps. */
struct pcap_writer *pcap_open(const char *path, int *err);
void pcap_close(struct pcap_writer *w);

#endif
