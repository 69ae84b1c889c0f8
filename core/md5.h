/* SPDX-License-Identifier: MIT */
/*
 * MD5 (RFC 1321), for TCP-MD5 signatures (tcp_md5.c) only: incremental, so
 * that a segment is hashed in pieces (pseudo-header, header, payload, key)
 * without being copied together.
 */
#ifndef SOCKSHIM_MD5_H
#define SOCKSHIM_MD5_H

#include <stddef.h>
#include <stdint.h>

#define MD5_DIGEST_SIZE 16

struct md5_ctx {
	uint32_t state[4];
	uint64_t bytes;	   /* hashed so far */
	uint8_t block[64]; /* the partial block, bytes % 64 of it in use */
};

void md5_init(struct md5_ctx *ctx);
void md5_update(struct md5_ctx *ctx, const void *data, size_t len);
void md5_final(struct md5_ctx *ctx, uint8_t out[MD5_DIGEST_SIZE]);

#endif
