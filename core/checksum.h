/* SPDX-License-Identifier: MIT */
/*
 * The Internet checksum (RFC 1071) with the kernel's helper names
 * (include/net/checksum.h, arch/x86/include/asm/checksum_64.h). Sums are
 * 32-bit accumulators of 16-bit words in network byte order, folded at the
 * end; csum_fold() returns the complemented 16-bit result ready to store.
 */
#ifndef SOCKSHIM_CHECKSUM_H
#define SOCKSHIM_CHECKSUM_H

#include <stdint.h>

/* Adds len bytes of buf to the running sum (any alignment, any length). */
uint32_t csum_partial(const void *buf, int len, uint32_t sum);
/* Folds a 32-bit sum to 16 bits and complements it. */
uint16_t csum_fold(uint32_t sum);
/* Adds the IPv4 pseudo header (addresses in network order) and folds. */
uint32_t csum_tcpudp_nofold(uint32_t saddr, uint32_t daddr, uint32_t len, uint8_t proto,
			    uint32_t sum);
uint16_t csum_tcpudp_magic(uint32_t saddr, uint32_t daddr, uint32_t len, uint8_t proto,
			   uint32_t sum);
/* Checksum of an IPv4 header of ihl 32-bit words; 0 when the header is valid. */
uint16_t ip_fast_csum(const void *iph, unsigned int ihl);
/* Adds two partial sums with end-around carry. */
static inline uint32_t csum_add(uint32_t a, uint32_t b)
{
	uint32_t r = a + b;

	return r + (r < a);
}

#endif
