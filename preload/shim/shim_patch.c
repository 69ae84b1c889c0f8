/* SPDX-License-Identifier: MIT */
/*
 * Patching libc's own socket calls. glibc's resolver (getaddrinfo,
 * gethostbyname*, getnameinfo, res_*), if_nametoindex, getifaddrs and the
 * rest of libc reach the socket system calls through internal aliases
 * (__socket, __connect, __sendmmsg, __recvfrom, __close_nocancel, ...) bound
 * inside libc at link time, which no LD_PRELOAD symbol can replace. The alias
 * and the exported name are one piece of code, so the exported address that
 * dlsym gives is the entry of both.
 *
 * Once, from the constructor (before main() and before any thread of ours),
 * for each entry in shim_patch_targets:
 *  1. decode the whole function with libcapstone (dlopen'ed here, closed
 *     after) and take whole instructions from the entry until they cover the
 *     jump: 5 bytes (jmp rel32) when the interposer is within +-2 GiB, else
 *     14 (jmp *0(%rip) with the address after it);
 *  2. refuse (one trace line, no patch) when an instruction there cannot be
 *     moved: a branch of the function lands inside those bytes, the code
 *     ends inside them (ret, jmp, ud2), a breakpoint, a loop/jrcxz/xbegin, a
 *     RIP-relative operand whose bytes cannot be found;
 *  3. copy them into a trampoline page mapped near libc (so that rel32
 *     branches and RIP-relative operands still reach their targets, which
 *     are rewritten for the new place and checked by decoding the result),
 *     followed by a jump back to the rest of the function;
 *  4. point the interposer's real-function pointers (struct shim_real) that
 *     held this entry at the trampoline, then write the jump over the entry
 *     with the page made writable for that moment only.
 *
 * The interposer's own calls of the real function thus run the trampoline,
 * and every other caller, inside libc or not, runs the interposer.
 *
 * What it does not do: patch libc code that issues the system call inline
 * (no function to patch), patch anything but libc, or undo a patch.
 */
#include "shim_lib.h"
#include "shim_patch.h"

#include <capstone/capstone.h>
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#define SHIM_PATCH_REL32  5  /* e9 rel32 */
#define SHIM_PATCH_ABS	  14 /* ff 25 00000000, then the 8-byte target */
#define SHIM_PATCH_SLOT	  96 /* trampoline bytes per function */
#define SHIM_PATCH_FN_MAX 4096

static int shim_patch_close_nocancel(int fd);

/*
 * The entries patched: every call the interposer wraps that libc calls
 * itself on a socket, found by reading libc's disassembly (calls to these
 * addresses from inside libc): the resolver's send_dg/send_vc (socket,
 * connect, sendmmsg, send, recvfrom, read, writev, getpeername, ioctl,
 * setsockopt for IP_RECVERR), getaddrinfo's source address sort (socket,
 * connect, getsockname), if_nametoindex/getifaddrs/netlink (socket, bind,
 * sendto, recvmsg, ioctl), and the Sun RPC code (listen, accept, sendmsg,
 * recv, getsockopt ...), and poll: the resolver's and Sun RPC's waits
 * (__poll) then see the kernel's readiness (shim_poll.c), e.g. POLLERR for
 * an ICMP error rather than a readable report. __close_nocancel is how the
 * resolver closes its sockets: without it the fd table would keep an
 * emulated entry for a number the kernel hands out again.
 *
 * Not patched although wrapped: dup, dup2, dup3, fcntl and close_range.
 * libc calls them inside posix_spawn's child, which shares the parent's
 * memory (CLONE_VM): the interposer would edit the parent's fd table for the
 * child's fds. libc never calls them on a socket it made.
 */
static const struct shim_patch_target {
	const char *name;
	void *hook;
} shim_patch_targets[] = {
	{"socket", (void *)socket},
	{"connect", (void *)connect},
	{"bind", (void *)bind},
	{"listen", (void *)listen},
	{"accept", (void *)accept},
	{"getsockname", (void *)getsockname},
	{"getpeername", (void *)getpeername},
	{"getsockopt", (void *)getsockopt},
	{"setsockopt", (void *)setsockopt},
	{"send", (void *)send},
	{"sendto", (void *)sendto},
	{"sendmsg", (void *)sendmsg},
	{"sendmmsg", (void *)sendmmsg},
	{"recv", (void *)recv},
	{"recvfrom", (void *)recvfrom},
	{"recvmsg", (void *)recvmsg},
	{"read", (void *)read},
	{"write", (void *)write},
	{"readv", (void *)readv},
	{"writev", (void *)writev},
	{"ioctl", (void *)ioctl},
	{"poll", (void *)poll},
	{"close", (void *)close},
	{"__close_nocancel", (void *)shim_patch_close_nocancel},
};

#define SHIM_PATCH_N (sizeof(shim_patch_targets) / sizeof(shim_patch_targets[0]))

/* libcapstone's entry points, bound from the dlopen'ed library. */
struct shim_cs {
	void *dl;
	csh h;
	cs_err (*open)(cs_arch, cs_mode, csh *);
	cs_err (*option)(csh, cs_opt_type, size_t);
	size_t (*disasm)(csh, const uint8_t *, size_t, uint64_t, size_t, cs_insn **);
	void (*free)(cs_insn *, size_t);
	cs_err (*close)(csh *);
	bool (*insn_group)(csh, const cs_insn *, unsigned int);
	unsigned int (*version)(int *, int *);
};

/* One patch being prepared. */
struct shim_patch {
	const struct shim_patch_target *t;
	uint8_t *entry;
	uint8_t *tramp;
	size_t len;	  /* bytes of the entry replaced (whole instructions) */
	uint8_t code[32]; /* what is written over them: a jump, then int3 */
	char insns[160];  /* the instructions moved, for the trace */
	char why[128];	  /* why not, when refused */
};

/* libc's load segments: where it lies, and the protections to restore. */
struct shim_patch_obj {
	uintptr_t want;
	uintptr_t lo, hi;
	int nseg;
	struct {
		uintptr_t start, end;
		int prot;
	} seg[16];
};

static int (*shim_patch_real_close_nocancel)(int);

/* A refusal or summary line: shown from SOCKSHIM_TRACE=1 on. */
#define shim_patch_trace(...)                                                                      \
	do {                                                                                       \
		if (shim_trace_level)                                                              \
			shim_trace_printf(__VA_ARGS__);                                            \
	} while (0)
static pid_t shim_patch_pid;

/*
 * __close_nocancel of an emulated socket goes through the interposer's
 * close so the fd table forgets it. Not in a child that shares our memory
 * (posix_spawn's CLONE_VM child closing fds for its file actions): its fd
 * table is its own, our memory is the parent's.
 */
static int shim_patch_close_nocancel(int fd)
{
	if (likely(!shim_fd_get(fd)) || getpid() != shim_patch_pid)
		return shim_patch_real_close_nocancel(fd);
	return close(fd);
}

static void shim_patch_atfork_child(void)
{
	shim_patch_pid = getpid();
}

static int shim_patch_cs_load(struct shim_cs *cs, char *err, size_t len)
{
	cs->dl = dlopen("libcapstone.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!cs->dl)
		cs->dl = dlopen("libcapstone.so", RTLD_NOW | RTLD_LOCAL);
	if (!cs->dl) {
		snprintf(err, len, "cannot load libcapstone: %s", dlerror());
		return -1;
	}
#define B(f) (cs->f = (__typeof__(cs->f))dlsym(cs->dl, "cs_" #f))
	if (!B(open) || !B(option) || !B(disasm) || !B(free) || !B(close) || !B(insn_group) ||
	    !B(version)) {
		snprintf(err, len, "libcapstone lacks a cs_* function");
		dlclose(cs->dl);
		return -1;
	}
#undef B
	if (cs->open(CS_ARCH_X86, CS_MODE_64, &cs->h) != CS_ERR_OK ||
	    cs->option(cs->h, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK) {
		snprintf(err, len, "libcapstone cannot decode x86-64");
		dlclose(cs->dl);
		return -1;
	}
	return 0;
}

static void shim_patch_cs_unload(struct shim_cs *cs)
{
	cs->close(&cs->h);
	/* The handle and every decoded instruction are freed: nothing points into it. */
	dlclose(cs->dl);
}

static int shim_patch_phdr_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct shim_patch_obj *o = data;
	bool mine = false;
	int i;

	o->nseg = 0;
	o->lo = UINTPTR_MAX;
	o->hi = 0;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t s = info->dlpi_addr + ph->p_vaddr, e = s + ph->p_memsz;

		if (ph->p_type != PT_LOAD)
			continue;
		if (o->want >= s && o->want < e)
			mine = true;
		if (s < o->lo)
			o->lo = s;
		if (e > o->hi)
			o->hi = e;
		if (o->nseg < (int)(sizeof(o->seg) / sizeof(o->seg[0]))) {
			o->seg[o->nseg].start = s;
			o->seg[o->nseg].end = e;
			o->seg[o->nseg].prot = (ph->p_flags & PF_R ? PROT_READ : 0) |
					       (ph->p_flags & PF_W ? PROT_WRITE : 0) |
					       (ph->p_flags & PF_X ? PROT_EXEC : 0);
			o->nseg++;
		}
	}
	return mine;
}

/*
 * A page for the trampolines within 1 GiB of libc: every rel32 branch and
 * RIP-relative operand moved there from libc still reaches its target.
 */
static uint8_t *shim_patch_map_near(const struct shim_patch_obj *o, size_t size)
{
	const uintptr_t mib = 1 << 20;
	uintptr_t step;

	for (step = 1; step <= 1024; step++) {
		uintptr_t cand[2] = {(o->lo & ~(mib - 1)) - step * mib,
				     ((o->hi + mib - 1) & ~(mib - 1)) + (step - 1) * mib};
		int i;

		for (i = 0; i < 2; i++) {
			void *p = mmap((void *)cand[i], size, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

			if (p == MAP_FAILED)
				continue;
			if ((uintptr_t)p == cand[i])
				return p;
			munmap(p, size); /* a kernel without MAP_FIXED_NOREPLACE */
		}
	}
	return NULL;
}

static bool shim_patch_rel32(uintptr_t next, uintptr_t target, int32_t *rel)
{
	int64_t d = (int64_t)(target - next);

	if (d != (int32_t)d)
		return false;
	*rel = (int32_t)d;
	return true;
}

static bool shim_patch_ends_flow(const cs_insn *in)
{
	switch (in->id) {
	case X86_INS_JMP:
	case X86_INS_RET:
	case X86_INS_UD2:
	case X86_INS_HLT:
		return true;
	}
	return false;
}

/* The target of in's RIP-relative memory operand, or 0 if it has none. */
static uintptr_t shim_patch_rip_target(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	int i;

	for (i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM && x->operands[i].mem.base == X86_REG_RIP)
			return (uintptr_t)(in->address + in->size + x->operands[i].mem.disp);
	return 0;
}

/* A relative branch's target, or 0. */
static uintptr_t shim_patch_branch_target(struct shim_cs *cs, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	if (!cs->insn_group(cs->h, in, CS_GRP_BRANCH_RELATIVE))
		return 0;
	if (x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
		return 0;
	return (uintptr_t)x->operands[0].imm;
}

/*
 * Moves one relative branch to out (at address at): jmp, jcc and call get
 * their rel32 forms. Returns the bytes written, 0 if it cannot be moved.
 */
static size_t shim_patch_move_branch(const cs_insn *in, uintptr_t target, uint8_t *out,
				     uintptr_t at)
{
	const uint8_t *b = in->bytes;
	size_t op = 0, n;
	int32_t rel;

	/* Branch-hint and bnd prefixes change nothing the trampoline needs. */
	while (op < in->size && (b[op] == 0x2e || b[op] == 0x3e || b[op] == 0xf2))
		op++;
	if (op >= in->size)
		return 0;
	if (b[op] == 0xe9 || b[op] == 0xeb) {
		out[0] = 0xe9;
		n = 5;
	} else if (b[op] == 0xe8) {
		out[0] = 0xe8;
		n = 5;
	} else if (b[op] >= 0x70 && b[op] <= 0x7f) {
		out[0] = 0x0f;
		out[1] = (uint8_t)(0x80 | (b[op] & 0xf));
		n = 6;
	} else if (b[op] == 0x0f && op + 1 < in->size && (b[op + 1] & 0xf0) == 0x80) {
		out[0] = 0x0f;
		out[1] = b[op + 1];
		n = 6;
	} else {
		return 0; /* loop, jrcxz, xbegin: no rel32 form to move to */
	}
	if (!shim_patch_rel32(at + n, target, &rel))
		return 0;
	memcpy(out + n - 4, &rel, 4);
	return n;
}

/*
 * Moves an instruction with a RIP-relative operand: the disp32 field is the
 * one place in its bytes holding the old displacement; the copy is decoded
 * again to prove it names the same address.
 */
static size_t shim_patch_move_rip(struct shim_cs *cs, const cs_insn *in, uintptr_t target,
				  uint8_t *out, uintptr_t at)
{
	int32_t old = (int32_t)(target - (in->address + in->size)), rel;
	size_t i, found = 0, where = 0, n;
	cs_insn *chk;
	bool same;

	if (!shim_patch_rel32(at + in->size, target, &rel))
		return 0;
	for (i = 1; i + 4 <= in->size; i++)
		if (!memcmp(in->bytes + i, &old, 4)) {
			found++;
			where = i;
		}
	if (found != 1)
		return 0;
	memcpy(out, in->bytes, in->size);
	memcpy(out + where, &rel, 4);
	n = cs->disasm(cs->h, out, in->size, at, 1, &chk);
	if (n != 1)
		return 0;
	same = chk->id == in->id && chk->size == in->size && shim_patch_rip_target(chk) == target;
	cs->free(chk, n);
	return same ? in->size : 0;
}

static int shim_patch_refuse(struct shim_patch *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int shim_patch_refuse(struct shim_patch *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* Builds p's trampoline at p->tramp and the jump over its entry. 0 or -1 (p->why). */
static int shim_patch_prepare(struct shim_cs *cs, struct shim_patch *p, size_t fn_size)
{
	uintptr_t entry = (uintptr_t)p->entry, hook = (uintptr_t)p->t->hook;
	uint8_t *out = p->tramp;
	size_t count, i, k, need, done = 0, w = 0, ilen = 0;
	cs_insn *insn;
	int32_t rel = 0;
	int ret = -1;

	need = shim_patch_rel32(entry + SHIM_PATCH_REL32, hook, &rel) ? SHIM_PATCH_REL32
								      : SHIM_PATCH_ABS;
	count = cs->disasm(cs->h, p->entry, fn_size, entry, 0, &insn);
	if (!count)
		return shim_patch_refuse(p, "cannot decode the entry");
	if (insn[count - 1].address + insn[count - 1].size != entry + fn_size) {
		shim_patch_refuse(p, "cannot decode the whole function (%zu bytes)", fn_size);
		goto out;
	}
	for (i = 0; i < count && done < need; i++)
		done += insn[i].size;
	if (done < need) {
		shim_patch_refuse(p, "function shorter than a %zu-byte jump", need);
		goto out;
	}
	/* Nothing may branch into the bytes replaced, from anywhere in the function. */
	for (k = 0; k < count; k++) {
		uintptr_t t = shim_patch_branch_target(cs, &insn[k]);

		if (!t)
			t = shim_patch_rip_target(&insn[k]);
		if (t > entry && t < entry + done) {
			shim_patch_refuse(p,
					  "instruction at +%#lx refers to +%#lx, inside the jump",
					  (unsigned long)(insn[k].address - entry),
					  (unsigned long)(t - entry));
			goto out;
		}
	}
	for (k = 0; k < i; k++) {
		const cs_insn *in = &insn[k];
		uintptr_t at = (uintptr_t)out + w, t;
		size_t n;

		if (in->id == X86_INS_INT3 || in->id == X86_INS_INVALID) {
			shim_patch_refuse(p, "breakpoint or unknown instruction at +%#lx",
					  (unsigned long)(in->address - entry));
			goto out;
		}
		if (shim_patch_ends_flow(in) && k + 1 < i) {
			shim_patch_refuse(p, "the code ends (%s) inside the jump", in->mnemonic);
			goto out;
		}
		if (w + 16 + SHIM_PATCH_REL32 > SHIM_PATCH_SLOT) {
			shim_patch_refuse(p, "trampoline slot too small");
			goto out;
		}
		if ((t = shim_patch_branch_target(cs, in)))
			n = shim_patch_move_branch(in, t, out + w, at);
		else if ((t = shim_patch_rip_target(in)))
			n = shim_patch_move_rip(cs, in, t, out + w, at);
		else if (cs->insn_group(cs->h, in, CS_GRP_BRANCH_RELATIVE))
			n = 0;
		else
			n = (memcpy(out + w, in->bytes, in->size), in->size);
		if (!n) {
			shim_patch_refuse(p, "cannot relocate '%s %s' at +%#lx", in->mnemonic,
					  in->op_str, (unsigned long)(in->address - entry));
			goto out;
		}
		w += n;
		ilen += (size_t)snprintf(p->insns + ilen, sizeof(p->insns) - ilen, "%s%s %s",
					 k ? "; " : "", in->mnemonic, in->op_str);
		if (ilen >= sizeof(p->insns))
			ilen = sizeof(p->insns) - 1;
	}
	/* Back to the first instruction not moved (unless the code ended here). */
	if (!shim_patch_ends_flow(&insn[i - 1])) {
		if (!shim_patch_rel32((uintptr_t)out + w + 5, entry + done, &rel)) {
			shim_patch_refuse(p, "trampoline out of reach of libc");
			goto out;
		}
		out[w] = 0xe9;
		memcpy(out + w + 1, &rel, 4);
	}
	p->len = done; /* < need + 15 (the longest instruction), so within code[] */
	memset(p->code, 0xcc, sizeof(p->code)); /* int3 after the jump: never reached */
	if (need == SHIM_PATCH_REL32) {
		shim_patch_rel32(entry + SHIM_PATCH_REL32, hook, &rel);
		p->code[0] = 0xe9;
		memcpy(p->code + 1, &rel, 4);
	} else {
		static const uint8_t jmp_abs[6] = {0xff, 0x25, 0, 0, 0, 0};

		memcpy(p->code, jmp_abs, sizeof(jmp_abs));
		memcpy(p->code + 6, &hook, 8);
	}
	ret = 0;
out:
	cs->free(insn, count);
	return ret;
}

static int shim_patch_seg_prot(const struct shim_patch_obj *o, uintptr_t a)
{
	int i;

	for (i = 0; i < o->nseg; i++)
		if (a >= o->seg[i].start && a < o->seg[i].end)
			return o->seg[i].prot;
	return -1;
}

/* Writes p->code over the entry; the pages are writable for that moment only. */
static int shim_patch_write(const struct shim_patch_obj *o, struct shim_patch *p)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)p->entry & ~(pg - 1);
	uintptr_t end = ((uintptr_t)p->entry + p->len + pg - 1) & ~(pg - 1);
	int prot = shim_patch_seg_prot(o, (uintptr_t)p->entry);

	if (prot < 0 || shim_patch_seg_prot(o, end - 1) != prot)
		return shim_patch_refuse(p, "entry not in one libc segment");
	if (mprotect((void *)start, end - start, PROT_READ | PROT_WRITE | PROT_EXEC))
		return shim_patch_refuse(p, "mprotect: %s", strerror(errno));
	memcpy(p->entry, p->code, p->len);
	if (mprotect((void *)start, end - start, prot))
		shim_say("sockshim: cannot restore the protection of libc at %p: %s", (void *)start,
			 strerror(errno));
	return 0;
}

/* How many of the interposer's real-function pointers hold entry. */
static int shim_patch_real_uses(void *entry)
{
	int n = 0;

#define X(ret, name, args) n += (void *)shim_real.name == entry;
	SHIM_SYMBOLS(X)
#undef X
	return n;
}

static void shim_patch_real_redirect(void *entry, void *tramp)
{
#define X(ret, name, args)                                                                         \
	if ((void *)shim_real.name == entry)                                                       \
		shim_real.name = (ret(*) args)tramp;
	SHIM_SYMBOLS(X)
#undef X
}

/*
 * Finds a target's entry in libc and checks it may be patched. 0 or -1
 * (p->why); *fn_size is the function's size from libc's symbol table.
 */
static int shim_patch_locate(void *libc, void *self_base, struct shim_patch *p, size_t *fn_size)
{
	const ElfW(Sym) *sym = NULL;
	Dl_info info;

	p->entry = dlsym(libc, p->t->name);
	if (!p->entry)
		return shim_patch_refuse(p, "not in libc");
	if (!dladdr1(p->entry, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym || !sym->st_size)
		return shim_patch_refuse(p, "no symbol size");
	*fn_size = sym->st_size;
	if (*fn_size > SHIM_PATCH_FN_MAX)
		return shim_patch_refuse(p, "function of %zu bytes", *fn_size);
	if (!dladdr(p->t->hook, &info) || info.dli_fbase != self_base)
		return shim_patch_refuse(p, "the interposer's %s is not libsockshim's", p->t->name);
	if (p->t->hook != (void *)shim_patch_close_nocancel && !shim_patch_real_uses(p->entry))
		return shim_patch_refuse(p, "the next %s is not libc's (another library wraps it)",
					 p->t->name);
	return 0;
}

static void shim_patch_apply(const struct shim_patch_obj *o, struct shim_patch *p)
{
	if (p->t->hook == (void *)shim_patch_close_nocancel)
		shim_patch_real_close_nocancel = (int (*)(int))p->tramp;
	else
		shim_patch_real_redirect(p->entry, p->tramp);
	if (shim_patch_write(o, p)) {
		/* Not patched: the entry is the real call again. */
		if (p->t->hook == (void *)shim_patch_close_nocancel)
			shim_patch_real_close_nocancel = (int (*)(int))p->entry;
		else
			shim_patch_real_redirect(p->tramp, p->entry);
		p->tramp = NULL;
	}
}

static void shim_patch_report(const struct shim_patch *p, int level)
{
	if (!p->tramp) {
		shim_patch_trace("patch %s: refused: %s", p->t->name, p->why);
		return;
	}
	if (level >= 2)
		shim_trace_printf("patch %s at %p: %zu bytes relocated (%s) to trampoline %p, "
				  "jmp %s to the interposer's %s",
				  p->t->name, (void *)p->entry, p->len, p->insns, (void *)p->tramp,
				  p->code[0] == 0xe9 ? "rel32" : "abs64",
				  p->t->hook == (void *)shim_patch_close_nocancel ? "close"
										  : p->t->name);
}

void shim_patch_libc(void)
{
	struct shim_patch patches[SHIM_PATCH_N];
	struct shim_patch_obj obj = {0};
	struct shim_cs cs = {0};
	void *libc, *page;
	size_t i, page_size = SHIM_PATCH_N * SHIM_PATCH_SLOT, fn_size = 0;
	int n_ok = 0, maj = 0, min = 0;
	char err[160];
	Dl_info self;

	/*
	 * Configured means named, valid or not: with a bad configuration the
	 * resolver's sockets fail as the program's own do (SHIM_ENOSTACK)
	 * instead of leaving through the kernel unseen.
	 */
	if ((!getenv("SOCKSHIM_IFACE") && !getenv("SOCKSHIM_ADDR")) || !shim_real.socket)
		return;
	shim_patch_pid = getpid();
	if (!dladdr((void *)shim_patch_libc, &self)) {
		shim_patch_trace("patch: refused: cannot find libsockshim itself");
		return;
	}
	libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	if (!libc) {
		shim_patch_trace("patch: refused: no libc.so.6 in this process");
		return;
	}
	obj.want = (uintptr_t)dlsym(libc, "socket");
	if (!obj.want || !dl_iterate_phdr(shim_patch_phdr_cb, &obj)) {
		shim_patch_trace("patch: refused: cannot find libc's segments");
		goto out_libc;
	}
	page = shim_patch_map_near(&obj, page_size);
	if (!page) {
		shim_patch_trace("patch: refused: no free memory within reach of libc");
		goto out_libc;
	}
	if (shim_patch_cs_load(&cs, err, sizeof(err))) {
		shim_patch_trace("patch: refused: %s", err);
		munmap(page, page_size);
		goto out_libc;
	}
	cs.version(&maj, &min);
	memset(patches, 0, sizeof(patches));
	for (i = 0; i < SHIM_PATCH_N; i++) {
		struct shim_patch *p = &patches[i];

		p->t = &shim_patch_targets[i];
		p->tramp = (uint8_t *)page + i * SHIM_PATCH_SLOT;
		if (shim_patch_locate(libc, self.dli_fbase, p, &fn_size) ||
		    shim_patch_prepare(&cs, p, fn_size))
			p->tramp = NULL;
	}
	shim_patch_cs_unload(&cs);
	if (mprotect(page, page_size, PROT_READ | PROT_EXEC)) {
		shim_patch_trace("patch: refused: mprotect of the trampolines: %s",
				 strerror(errno));
		munmap(page, page_size);
		goto out_libc;
	}
	pthread_atfork(NULL, NULL, shim_patch_atfork_child);
	for (i = 0; i < SHIM_PATCH_N; i++) {
		if (patches[i].tramp)
			shim_patch_apply(&obj, &patches[i]);
		n_ok += patches[i].tramp != NULL;
		if (shim_trace_level)
			shim_patch_report(&patches[i], shim_trace_level);
	}
	if (shim_trace_level)
		shim_patch_trace("patch: %d of %zu libc socket calls go to the interposer "
				 "(capstone %d.%d)",
				 n_ok, SHIM_PATCH_N, maj, min);
out_libc:
	dlclose(libc);
}
