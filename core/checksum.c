// SPDX-License-Identifier: MIT
/*
 * The Internet checksum (RFC 1071): a one's complement sum of 16-bit words.
 * Summing 32-bit words and folding at the end gives the same result as
 * the word-by-word loop because one's complement addition is associative and
 * byte-order independent (RFC 1071 section 2). Nothing here knows IP beyond
 * the pseudo header.
 */
#include "checksum.h"

#include <arpa/inet.h>
#include <string.h>

static uint32_t fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

/*
 * 32-bit words added into 64-bit accumulators cannot carry out for any
 * length below 16 GiB, so no end-around carry chains one addition to the
 * next: every byte the stack sends is summed here.
 */
uint32_t csum_partial(const void *buf, int len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t acc = sum, a1 = 0, a2 = 0, a3 = 0;

	/* Four independent sums of 32-bit halves: no carry chain between them. */
	while (len >= 16) {
		uint64_t w0, w1;

		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		acc += (uint32_t)w0;
		a1 += w0 >> 32;
		a2 += (uint32_t)w1;
		a3 += w1 >> 32;
		p += 16;
		len -= 16;
	}
	acc += a1 + a2 + a3;
	while (len >= 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		acc += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;

		memcpy(&w, p, 2);
		acc += w;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* The odd byte is the high byte of a word in network order. */
		uint16_t w = 0;

		memcpy(&w, p, 1);
		acc += w;
	}
	return fold64(acc);
}

uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t csum_tcpudp_nofold(uint32_t saddr, uint32_t daddr, uint32_t len, uint8_t proto,
			    uint32_t sum)
{
	uint64_t s = sum;
	/* Pseudo header: zero, protocol, length (16 bits), in network order. */
	uint16_t pl[2] = {htons((uint16_t)proto), htons((uint16_t)len)};
	uint32_t w;

	memcpy(&w, pl, 4);
	s += saddr;
	s += daddr;
	s += w;
	return fold64(s);
}

uint16_t csum_tcpudp_magic(uint32_t saddr, uint32_t daddr, uint32_t len, uint8_t proto,
			   uint32_t sum)
{
	return csum_fold(csum_tcpudp_nofold(saddr, daddr, len, proto, sum));
}

uint16_t ip_fast_csum(const void *iph, unsigned int ihl)
{
	return csum_fold(csum_partial(iph, (int)ihl * 4, 0));
}
