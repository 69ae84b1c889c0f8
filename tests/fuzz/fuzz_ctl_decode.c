/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the stack host's request decoder (shim_req_decode): any
 * bytes a client can send must come out as an error or as a request whose
 * every field the handlers may take as in range; never a crash, an
 * out-of-bounds access or undefined behaviour (built with ASan and UBSan).
 *
 * Two ways to run it:
 *  - LLVMFuzzerTestOneInput() is a libFuzzer entry (with clang:
 *    -fsanitize=fuzzer,address,undefined -DSOCKSHIM_LIBFUZZER).
 *  - Without libFuzzer, main() is a deterministic driver for CI: first the
 *    known answers (each rule of the decoder once, with its errno and
 *    whether the connection is dropped), then a seeded
 *    generator makes random messages and mutations of valid ones (every op,
 *    lengths near each boundary), ITERATIONS of them, and exits non-zero if
 *    an invariant breaks or not every op was accepted at least once (so that
 *    the generator provably reaches past the header checks).
 */
#include <limits.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "stackd_decode.h"

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_ctl_decode: invariant broken: %s\n", what);
		abort();
	}
}

static unsigned int accepted[SHIM_OP_MAX];

/* What a handler may rely on after a successful decode. */
static void check_decoded(const uint8_t *data, size_t size, bool hello_done,
			  const struct shim_req *req)
{
	const struct shim_hdr *h = &req->hdr;

	check(h->len == size && size <= sizeof(*req), "length");
	check(h->op > 0 && h->op < SHIM_OP_MAX, "op");
	check(h->ret == 0, "ret");
	check(hello_done == (h->op != SHIM_OP_HELLO), "HELLO first and once");
	check(h->op == SHIM_OP_HELLO || h->version == SHIM_CTL_VERSION, "version");
	check(shim_req_len(h->op, shim_req_optbytes(req)) == size, "payload size");
	check(!memcmp(req, data, size), "copied as sent");
	switch (h->op) {
	case SHIM_OP_CREATE:
		check(req->create.type >= SOCK_STREAM && req->create.type <= SOCK_PACKET, "type");
		check(req->create.protocol >= 0 && req->create.protocol < IPPROTO_MAX, "protocol");
		break;
	case SHIM_OP_ADOPT:
		check(shim_create_unprivileged(req->adopt.type, req->adopt.protocol), "adopt type");
		break;
	case SHIM_OP_BIND:
		check(req->bind.addrlen <= sizeof(struct sockaddr_storage), "bind addrlen");
		break;
	case SHIM_OP_CONNECT:
	case SHIM_OP_FASTOPEN:
		check(req->connect.to.addrlen <= sizeof(struct sockaddr_storage),
		      "connect addrlen");
		check(req->connect.filler <= SHIM_FILLER_MAX, "filler");
		if (h->op == SHIM_OP_FASTOPEN)
			check(req->fastopen.len <= SHIM_FASTOPEN_MAX, "fastopen data");
		break;
	case SHIM_OP_SHUTDOWN:
		check(req->shutdown.how >= SHUT_RD && req->shutdown.how <= SHUT_RDWR, "how");
		break;
	case SHIM_OP_SETSOCKOPT:
		check(req->sockopt.optlen <= INT_MAX, "optlen");
		break;
	case SHIM_OP_GETSOCKOPT:
		check(req->sockopt.optlen <= SHIM_OPT_MAX, "optlen");
		break;
	case SHIM_OP_STAT:
		check(req->stat.offset <= SHIM_STAT_MAX, "stat offset");
		break;
	}
	accepted[h->op]++;
}

static void decode_one(const uint8_t *data, size_t size, bool hello_done)
{
	struct shim_req req;
	struct shim_decode d;
	int r = shim_req_decode(data, size, hello_done, &req, &d);

	if (r == 0)
		check_decoded(data, size, hello_done, &req);
	else
		check(r < 0 && d.why, "an error says why");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The decoder must not read past what it was given: give it an exact copy. */
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	decode_one(copy, size, false);
	decode_one(copy, size, true);
	free(copy);
	return 0;
}

#ifndef SOCKSHIM_LIBFUZZER

#define ITERATIONS 400000

static uint64_t rng = 0x5eed5eed12345678ull;

static uint64_t next(void)
{
	/* xorshift64*: the same sequence on every run */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

/* A valid request of op (random fields), as the interposer would build it. */
static size_t make_valid(uint8_t *buf, unsigned int op)
{
	struct shim_req req;

	memset(&req, 0, sizeof(req));
	req.hdr.version = SHIM_CTL_VERSION;
	req.hdr.op = (uint16_t)op;
	req.hdr.id = shim_op_has_sock(op) ? (uint32_t)next() | 1 : 0;
	switch (op) {
	case SHIM_OP_HELLO:
		req.hello.min_version = SHIM_CTL_VERSION - (next() & 1);
		req.hello.max_version = SHIM_CTL_VERSION + (next() & 1);
		break;
	case SHIM_OP_CREATE:
		req.create.type = 1 + (int32_t)(next() % SOCK_PACKET);
		req.create.protocol = (int32_t)(next() % IPPROTO_MAX);
		break;
	case SHIM_OP_ADOPT:
		/* Mostly the two it takes (TCP, UDP), with protocol 0 or named. */
		req.adopt.type = 1 + (int32_t)(next() % 3);
		req.adopt.protocol = (int32_t)(next() & 1 ? 0 : next() % 20);
		req.adopt.nonce_lo = (uint32_t)next();
		req.adopt.nonce_hi = (uint32_t)next();
		req.adopt.tx_cookie[0] = (uint32_t)next();
		req.adopt.tx_cookie[1] = (uint32_t)next();
		break;
	case SHIM_OP_BIND:
		req.bind.addrlen = (uint32_t)(next() % 129);
		break;
	case SHIM_OP_CONNECT:
		req.connect.to.addrlen = (uint32_t)(next() % 129);
		req.connect.filler = (uint32_t)(next() % (SHIM_FILLER_MAX + 1));
		req.connect.flags = (uint32_t)(next() & 1);
		break;
	case SHIM_OP_FASTOPEN:
		req.fastopen.conn.to.addrlen = (uint32_t)(next() % 129);
		req.fastopen.conn.filler = (uint32_t)(next() % (SHIM_FILLER_MAX + 1));
		req.fastopen.len = (uint32_t)(next() % (SHIM_FASTOPEN_MAX + 1));
		break;
	case SHIM_OP_SHUTDOWN:
		req.shutdown.how = (int32_t)(next() % 3);
		break;
	case SHIM_OP_SETSOCKOPT:
	case SHIM_OP_GETSOCKOPT:
		req.sockopt.optlen = (uint32_t)(next() % (SHIM_OPT_MAX + 1));
		break;
	case SHIM_OP_STAT:
		req.stat.offset = (uint32_t)(next() % (SHIM_STAT_MAX + 1));
		break;
	}
	req.hdr.len = (uint32_t)shim_req_len(op, shim_req_optbytes(&req));
	memcpy(buf, &req, req.hdr.len);
	return req.hdr.len;
}

/* Known answers: each rule of the decoder, once, with the errno and drop it must give. */
static const struct {
	const char *what;
	unsigned int op;
	bool hello_done;
	int err;
	bool drop;
} known[] = {
	{"HELLO", SHIM_OP_HELLO, false, 0, false},
	{"CREATE before HELLO", SHIM_OP_CREATE, false, -EPROTO, true},
	{"HELLO twice", SHIM_OP_HELLO, true, -EPROTO, true},
	{"HELLO without our version", SHIM_OP_HELLO, false, -EPROTONOSUPPORT, true},
	{"HELLO from a newer client", SHIM_OP_HELLO, false, 0, false},
	{"other version", SHIM_OP_GETERR, true, -EPROTONOSUPPORT, true},
	{"length field", SHIM_OP_GETERR, true, -EBADMSG, true},
	{"payload too long", SHIM_OP_LISTEN, true, -EBADMSG, true},
	{"unknown op", SHIM_OP_GETERR, true, -EPROTO, true},
	{"ret in a request", SHIM_OP_GETERR, true, -EPROTO, true},
	{"no socket id", SHIM_OP_BIND, true, -EPROTO, true},
	{"id on CREATE", SHIM_OP_CREATE, true, -EPROTO, true},
	{"shutdown how 7", SHIM_OP_SHUTDOWN, true, -EINVAL, false},
	{"address length 129", SHIM_OP_BIND, true, -EINVAL, false},
	{"socket type 0", SHIM_OP_CREATE, true, -EINVAL, false},
	{"protocol 256", SHIM_OP_CREATE, true, -EINVAL, false},
	{"setsockopt optlen beyond the message", SHIM_OP_SETSOCKOPT, true, -EBADMSG, true},
	{"getsockopt room 513", SHIM_OP_GETSOCKOPT, true, -EPROTO, true},
	{"connect flags", SHIM_OP_CONNECT, true, -EPROTO, true},
	{"getname peer 2", SHIM_OP_GETNAME, true, -EPROTO, true},
	{"connect without reply and without filler", SHIM_OP_CONNECT, true, -EPROTO, true},
	{"connect without reply, address length 129", SHIM_OP_CONNECT, true, -EPROTO, true},
};

/* What case i changes in an otherwise valid request of its op (in known[]'s order). */
static void known_edit(size_t i, struct shim_req *req, size_t *n)
{
	switch (i) {
	case 3:
		req->hello.min_version = req->hello.max_version = SHIM_CTL_VERSION + 1;
		break;
	case 4:
		req->hdr.version = SHIM_CTL_VERSION + 1;
		req->hello.max_version = SHIM_CTL_VERSION + 1;
		break;
	case 5:
		req->hdr.version = SHIM_CTL_VERSION - 1;
		break;
	case 6:
		req->hdr.len++;
		break;
	case 7:
		*n += 4;
		req->hdr.len += 4;
		break;
	case 8:
		req->hdr.op = SHIM_OP_MAX;
		break;
	case 9:
		req->hdr.ret = -1;
		break;
	case 10:
		req->hdr.id = 0;
		break;
	case 11:
		req->hdr.id = 7;
		break;
	case 12:
		req->shutdown.how = 7;
		break;
	case 13:
		req->bind.addrlen = 129;
		break;
	case 14:
		req->create.type = 0;
		break;
	case 15:
		req->create.protocol = IPPROTO_MAX;
		break;
	case 16:
		req->sockopt.optlen = 1;
		break;
	case 17:
		req->sockopt.optlen = SHIM_OPT_MAX + 1;
		break;
	case 18:
		req->connect.flags = SHIM_CONNECT_NOREPLY << 1; /* the first flag no version has */
		break;
	case 19:
		req->getname.peer = 2;
		break;
	case 20:
		/* The interposer writes filler before it sends one: no reply would be a lie. */
		req->connect.flags = SHIM_CONNECT_NOREPLY;
		req->connect.filler = 0;
		break;
	case 21:
		/* A reply would be owed (EINVAL), so the connection goes instead. */
		req->connect.flags = SHIM_CONNECT_NOREPLY;
		req->connect.filler = 1;
		req->connect.to.addrlen = sizeof(struct sockaddr_storage) + 1;
		break;
	}
}

static int known_answers(void)
{
	int failed = 0;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		struct shim_req req, out;
		struct shim_decode d;
		size_t n;
		int r;

		memset(&req, 0, sizeof(req));
		req.hdr.version = SHIM_CTL_VERSION;
		req.hdr.op = (uint16_t)known[i].op;
		req.hdr.id = shim_op_has_sock(known[i].op) ? 1 : 0;
		if (known[i].op == SHIM_OP_HELLO)
			req.hello.min_version = req.hello.max_version = SHIM_CTL_VERSION;
		if (known[i].op == SHIM_OP_CREATE)
			req.create.type = SOCK_DGRAM;
		n = shim_req_len(known[i].op, 0);
		req.hdr.len = (uint32_t)n;
		known_edit(i, &req, &n);
		r = shim_req_decode(&req, n, known[i].hello_done, &out, &d);
		if (r != known[i].err || (r && d.drop != known[i].drop)) {
			fprintf(stderr, "fuzz_ctl_decode: %s: got %d%s, want %d%s\n", known[i].what,
				r, r && d.drop ? " (drop)" : "", known[i].err,
				known[i].drop ? " (drop)" : "");
			failed = 1;
		}
	}
	if (!failed)
		printf("fuzz_ctl_decode: %zu known answers right\n",
		       sizeof(known) / sizeof(known[0]));
	return failed;
}

int main(void)
{
	static uint8_t buf[sizeof(struct shim_req) + 64];
	unsigned int op;

	if (known_answers())
		return 1;

	for (unsigned long i = 0; i < ITERATIONS; i++) {
		size_t n;

		op = 1 + (unsigned int)(next() % (SHIM_OP_MAX - 1));
		switch (next() % 4) {
		case 0: /* random bytes of a random length */
			n = (size_t)(next() % sizeof(buf));
			for (size_t j = 0; j < n; j++)
				buf[j] = (uint8_t)next();
			break;
		case 1: /* a valid request */
			n = make_valid(buf, op);
			break;
		case 2: /* a valid request with a few bytes changed */
			n = make_valid(buf, op);
			for (int k = 1 + (int)(next() % 4); k > 0; k--)
				buf[next() % n] = (uint8_t)next();
			break;
		default: /* a valid request cut or extended (the length field kept or fixed) */
			n = make_valid(buf, op);
			n = (size_t)((int64_t)n + (int64_t)(next() % 17) - 8);
			if (n > sizeof(buf))
				n = 0;
			if (next() & 1 && n >= sizeof(struct shim_hdr))
				((struct shim_hdr *)buf)->len = (uint32_t)n;
			break;
		}
		LLVMFuzzerTestOneInput(buf, n);
	}
	for (op = 1; op < SHIM_OP_MAX; op++) {
		if (!accepted[op]) {
			fprintf(stderr, "fuzz_ctl_decode: op %u never got past the decoder\n", op);
			return 1;
		}
	}
	printf("fuzz_ctl_decode: %d inputs, every op decoded and checked\n", ITERATIONS);
	return 0;
}

#endif
