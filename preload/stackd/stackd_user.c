/* SPDX-License-Identifier: MIT */
/*
 * Fair shares of a shared host. A host started by root serves every user in
 * the namespace; without limits one user could take all of its fds (each
 * socket costs the host one) or memory, and every other user's socket()
 * would fail. So each user other than the host's own has a budget:
 *
 *  - sockets: SOCKSHIM_USER_SOCKETS (default: an eighth of the host's fd
 *    limit, at least 256), control connections included. Past it, socket()
 *    and accept() get EMFILE, as from a process at its RLIMIT_NOFILE; a
 *    listener's connections wait in the stack's accept queue meanwhile, as
 *    in the kernel; a new control connection is closed unanswered.
 *  - memory: SOCKSHIM_USER_MEM bytes (default 256 MiB) of socket buffers,
 *    counted as each socket's sk_sndbuf + sk_rcvbuf (what it may pin).
 *    Past it, socket() gets ENOBUFS, as when the kernel cannot allocate a
 *    sock.
 *
 * Users are charged by the real uid of the request's sender (SCM_CREDENTIALS),
 * so an exec of a setuid program does not move its sockets to root's budget.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "stackd.h"

struct stackd_user {
	uid_t uid;
	unsigned int nsocks;
	unsigned int nconns; /* control connections: each is one of our fds too */
	long mem;
	/* Control requests handled in round `round` of the loop (stackd_user_turn). */
	uint64_t round;
	unsigned int reqs;
	struct stackd_user *next;
};

int stackd_limits_load(struct stackd *sd, char *err, int errlen)
{
	struct rlimit rl;
	long def = 256;

	/* Each socket is one fd of ours: take all the kernel allows us. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur != RLIM_INFINITY && (long)(rl.rlim_cur / 8) > def)
			def = (long)(rl.rlim_cur / 8);
	}
	sd->user_socks = stackd_env_long("SOCKSHIM_USER_SOCKETS", def, 1, 1L << 30, err, errlen);
	if (sd->user_socks < 0)
		return -1;
	sd->user_mem =
		stackd_env_long("SOCKSHIM_USER_MEM", 256L << 20, 4096, 1L << 50, err, errlen);
	return sd->user_mem < 0 ? -1 : 0;
}

static struct stackd_user *stackd_user_get(struct stackd *sd, uid_t uid, bool create)
{
	struct stackd_user **pp = &sd->users[uid % STACKD_USER_HASH], *u;

	for (u = *pp; u; u = u->next)
		if (u->uid == uid)
			return u;
	if (!create)
		return NULL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->uid = uid;
	u->next = *pp;
	*pp = u;
	return u;
}

/* The host's own user has no budget: it owns the host. */
static bool stackd_user_limited(struct stackd *sd, uid_t uid)
{
	return uid != sd->euid;
}

/* Whether uid may have one more socket pinning mem bytes: 0, -EMFILE or -ENOBUFS. */
static int stackd_user_room(struct stackd *sd, uid_t uid, long mem)
{
	struct stackd_user *u = stackd_user_get(sd, uid, false);

	if (!u || !stackd_user_limited(sd, uid))
		return 0;
	if ((unsigned long)u->nsocks + u->nconns >= (unsigned long)sd->user_socks)
		return -EMFILE;
	if (u->mem + mem > sd->user_mem)
		return -ENOBUFS;
	return 0;
}

int stackd_user_may(struct stackd *sd, uid_t uid, long mem)
{
	int r = stackd_user_room(sd, uid, mem);

	if (r < 0) {
		/* Some of its sockets may be closed without our knowing yet: look, then judge. */
		stackd_reap_closed(sd, false, uid);
		if (sd->nwatched)
			stackd_scan_unix(sd);
		r = stackd_user_room(sd, uid, mem);
	}
	return r;
}

int stackd_user_charge(struct stackd_sock *ss, uid_t uid, bool force)
{
	struct stackd *sd = ss->sd;
	struct sock *sk = ss->sock->sk;
	long mem = (long)sk->sk_sndbuf + sk->sk_rcvbuf;
	struct stackd_user *u;
	int r = force ? 0 : stackd_user_may(sd, uid, mem);

	if (r < 0)
		return r;
	u = stackd_user_get(sd, uid, true);
	if (!u)
		return -ENOBUFS;
	u->nsocks++;
	u->mem += mem;
	ss->owner = uid;
	ss->mem = mem;
	ss->charged = true;
	return 0;
}

void stackd_user_recount(struct stackd_sock *ss)
{
	struct stackd *sd = ss->sd;
	struct stackd_user *u;
	long mem;

	if (!ss->charged || !ss->sock || !ss->sock->sk)
		return;
	u = stackd_user_get(sd, ss->owner, false);
	mem = (long)ss->sock->sk->sk_sndbuf + ss->sock->sk->sk_rcvbuf;
	if (u)
		u->mem += mem - ss->mem;
	ss->mem = mem;
}

void stackd_user_uncharge(struct stackd_sock *ss)
{
	struct stackd *sd = ss->sd;
	struct stackd_user *u;

	if (!ss->charged)
		return;
	u = stackd_user_get(sd, ss->owner, false);
	if (u) {
		u->nsocks--;
		u->mem -= ss->mem;
	}
	ss->charged = false;
}

int stackd_user_conn_add(struct stackd *sd, uid_t uid)
{
	struct stackd_user *u;
	int r = stackd_user_may(sd, uid, 0);

	if (r < 0)
		return r;
	u = stackd_user_get(sd, uid, true);
	if (!u)
		return -ENOMEM;
	u->nconns++;
	return 0;
}

void stackd_user_conn_del(struct stackd *sd, uid_t uid)
{
	struct stackd_user *u = stackd_user_get(sd, uid, false);

	if (u && u->nconns)
		u->nconns--;
}

void stackd_user_free_all(struct stackd *sd)
{
	for (unsigned int b = 0; b < STACKD_USER_HASH; b++) {
		while (sd->users[b]) {
			struct stackd_user *u = sd->users[b];

			sd->users[b] = u->next;
			free(u);
		}
	}
}

/*
 * A user's share of one round of the loop: a request flood from many
 * connections of one user (each already limited to a batch per round)
 * waits for the next round once the user has had STACKD_USER_ROUND_REQS,
 * so every other user's requests are read in the same round as the flood's.
 */
bool stackd_user_turn(struct stackd *sd, uid_t uid)
{
	struct stackd_user *u = stackd_user_get(sd, uid, true);

	if (!u)
		return true;
	if (u->round != sd->round) {
		u->round = sd->round;
		u->reqs = 0;
	}
	return u->reqs++ < STACKD_USER_ROUND_REQS;
}
