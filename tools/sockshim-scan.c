/* SPDX-License-Identifier: MIT */
/*
 * sockshim-scan PROGRAM: says, before running it, whether PROGRAM's socket
 * calls will bypass the interposer. Reads the ELF files only (the program
 * and every library the dynamic loader would map for it) and decodes their
 * code with libcapstone. A program bypasses the interposer when
 *  - it is static: no dynamic loader, so LD_PRELOAD is never read;
 *  - it carries Go's runtime (a .go.buildinfo section or runtime.* symbols):
 *    Go issues its system calls itself, not through libc;
 *  - an object other than libc has a `syscall` instruction whose number,
 *    set just before it (mov eax/rax, NR), is a socket call.
 *
 * Exit status: 0 nothing bypasses, 1 something will, 2 error (not found,
 * not an x86-64 ELF file, a library the loader cannot find).
 *
 * What it cannot see: system calls whose number is computed or loaded from
 * memory, code generated at run time (JITs), and read/write/close issued
 * raw on a socket's fd (they are not socket-only numbers; counted as
 * unknown).
 */
#define _GNU_SOURCE
#include <capstone/capstone.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { SCAN_OK = 0, SCAN_BYPASS = 1, SCAN_ERROR = 2 };

#define SCAN_MAX_OBJS 256
#define SCAN_LOOKBACK 16 /* instructions searched for the number before a syscall */

struct scan_obj {
	char path[PATH_MAX];
	const uint8_t *map;
	size_t size;
	const Elf64_Ehdr *eh;
};

struct scan {
	csh cs;	       /* linear sweep, no detail */
	csh cs_detail; /* the few instructions before a syscall */
	int status;
	unsigned long n_syscalls, n_unknown;
};

static const struct {
	long nr;
	const char *name;
} scan_socket_calls[] = {
	{SYS_socket, "socket"},
	{SYS_socketpair, "socketpair"},
	{SYS_bind, "bind"},
	{SYS_listen, "listen"},
	{SYS_accept, "accept"},
	{SYS_accept4, "accept4"},
	{SYS_connect, "connect"},
	{SYS_shutdown, "shutdown"},
	{SYS_getsockname, "getsockname"},
	{SYS_getpeername, "getpeername"},
	{SYS_getsockopt, "getsockopt"},
	{SYS_setsockopt, "setsockopt"},
	{SYS_sendto, "sendto"},
	{SYS_recvfrom, "recvfrom"},
	{SYS_sendmsg, "sendmsg"},
	{SYS_recvmsg, "recvmsg"},
	{SYS_sendmmsg, "sendmmsg"},
	{SYS_recvmmsg, "recvmmsg"},
};

static const char *scan_socket_call(long nr)
{
	size_t i;

	for (i = 0; i < sizeof(scan_socket_calls) / sizeof(scan_socket_calls[0]); i++)
		if (scan_socket_calls[i].nr == nr)
			return scan_socket_calls[i].name;
	return NULL;
}

static void scan_bypass(struct scan *s, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void scan_bypass(struct scan *s, const char *path, const char *fmt, ...)
{
	va_list ap;

	printf("BYPASS %s: ", path);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	s->status = SCAN_BYPASS;
}

static int scan_open(struct scan_obj *o, const char *path)
{
	struct stat st;
	void *p;
	int fd;

	snprintf(o->path, sizeof(o->path), "%s", path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "sockshim scan: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if ((size_t)st.st_size < sizeof(Elf64_Ehdr)) {
		close(fd);
		fprintf(stderr, "sockshim scan: %s: not an ELF file\n", path);
		return -1;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		fprintf(stderr, "sockshim scan: %s: mmap: %s\n", path, strerror(errno));
		return -1;
	}
	o->map = p;
	o->size = (size_t)st.st_size;
	o->eh = p;
	if (memcmp(o->eh->e_ident, ELFMAG, SELFMAG) || o->eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    o->eh->e_machine != EM_X86_64) {
		fprintf(stderr, "sockshim scan: %s: not an x86-64 ELF file%s\n", path,
			memcmp(p, "#!", 2) ? "" : " (a script: scan its interpreter)");
		return -1;
	}
	if (o->eh->e_phoff + (size_t)o->eh->e_phnum * sizeof(Elf64_Phdr) > o->size ||
	    o->eh->e_shoff + (size_t)o->eh->e_shnum * sizeof(Elf64_Shdr) > o->size ||
	    (o->eh->e_shnum && o->eh->e_shstrndx >= o->eh->e_shnum)) {
		fprintf(stderr, "sockshim scan: %s: truncated or malformed ELF headers\n", path);
		return -1;
	}
	return 0;
}

static const Elf64_Phdr *scan_phdr(const struct scan_obj *o, int i)
{
	return (const Elf64_Phdr *)(o->map + o->eh->e_phoff) + i;
}

static const Elf64_Shdr *scan_shdr(const struct scan_obj *o, int i)
{
	return (const Elf64_Shdr *)(o->map + o->eh->e_shoff) + i;
}

/* A section's bytes, or NULL if they are not all in the file. */
static const uint8_t *scan_bytes(const struct scan_obj *o, const Elf64_Shdr *sh)
{
	if (sh->sh_type == SHT_NOBITS || sh->sh_offset > o->size ||
	    sh->sh_size > o->size - sh->sh_offset)
		return NULL;
	return o->map + sh->sh_offset;
}

static const char *scan_str(const struct scan_obj *o, const Elf64_Shdr *strtab, size_t off)
{
	const uint8_t *b = scan_bytes(o, strtab);

	if (!b || off >= strtab->sh_size || !memchr(b + off, 0, strtab->sh_size - off))
		return "";
	return (const char *)b + off;
}

static const char *scan_shname(const struct scan_obj *o, const Elf64_Shdr *sh)
{
	return scan_str(o, scan_shdr(o, o->eh->e_shstrndx), sh->sh_name);
}

static bool scan_has_phdr(const struct scan_obj *o, uint32_t type)
{
	int i;

	for (i = 0; i < o->eh->e_phnum; i++)
		if (scan_phdr(o, i)->p_type == type)
			return true;
	return false;
}

static const char *scan_interp(const struct scan_obj *o)
{
	int i;

	for (i = 0; i < o->eh->e_phnum; i++) {
		const Elf64_Phdr *ph = scan_phdr(o, i);

		if (ph->p_type == PT_INTERP && ph->p_offset < o->size &&
		    ph->p_filesz <= o->size - ph->p_offset && ph->p_filesz &&
		    o->map[ph->p_offset + ph->p_filesz - 1] == 0)
			return (const char *)o->map + ph->p_offset;
	}
	return NULL;
}

/* Go's runtime: its build-info section, or runtime.* functions in a symbol table. */
static const char *scan_go(const struct scan_obj *o)
{
	int i;

	for (i = 0; i < o->eh->e_shnum; i++) {
		const Elf64_Shdr *sh = scan_shdr(o, i);
		const Elf64_Sym *sym;
		size_t n, k;

		if (!strcmp(scan_shname(o, sh), ".go.buildinfo"))
			return "a .go.buildinfo section";
		if (sh->sh_type != SHT_SYMTAB && sh->sh_type != SHT_DYNSYM)
			continue;
		sym = (const Elf64_Sym *)scan_bytes(o, sh);
		if (!sym || sh->sh_link >= o->eh->e_shnum)
			continue;
		n = sh->sh_size / sizeof(*sym);
		for (k = 0; k < n; k++) {
			const char *name =
				scan_str(o, scan_shdr(o, (int)sh->sh_link), sym[k].st_name);

			if (!strcmp(name, "runtime.goexit") || !strcmp(name, "runtime.rt0_go"))
				return "Go runtime symbols (runtime.goexit)";
		}
	}
	return NULL;
}

/* A general-purpose register by its 64-bit name (al, ax, eax -> rax), or 0. */
static x86_reg scan_gpr(x86_reg r)
{
	static const x86_reg gpr[][4] = {
		{X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL},
		{X86_REG_RBX, X86_REG_EBX, X86_REG_BX, X86_REG_BL},
		{X86_REG_RCX, X86_REG_ECX, X86_REG_CX, X86_REG_CL},
		{X86_REG_RDX, X86_REG_EDX, X86_REG_DX, X86_REG_DL},
		{X86_REG_RSI, X86_REG_ESI, X86_REG_SI, X86_REG_SIL},
		{X86_REG_RDI, X86_REG_EDI, X86_REG_DI, X86_REG_DIL},
		{X86_REG_RBP, X86_REG_EBP, X86_REG_BP, X86_REG_BPL},
		{X86_REG_R8, X86_REG_R8D, X86_REG_R8W, X86_REG_R8B},
		{X86_REG_R9, X86_REG_R9D, X86_REG_R9W, X86_REG_R9B},
		{X86_REG_R10, X86_REG_R10D, X86_REG_R10W, X86_REG_R10B},
		{X86_REG_R11, X86_REG_R11D, X86_REG_R11W, X86_REG_R11B},
		{X86_REG_R12, X86_REG_R12D, X86_REG_R12W, X86_REG_R12B},
		{X86_REG_R13, X86_REG_R13D, X86_REG_R13W, X86_REG_R13B},
		{X86_REG_R14, X86_REG_R14D, X86_REG_R14W, X86_REG_R14B},
		{X86_REG_R15, X86_REG_R15D, X86_REG_R15W, X86_REG_R15B},
	};
	size_t i, k;

	for (i = 0; i < sizeof(gpr) / sizeof(gpr[0]); i++)
		for (k = 0; k < 4; k++)
			if (gpr[i][k] == r)
				return gpr[i][0];
	return X86_REG_INVALID;
}

/*
 * The number a `syscall` (the last instruction of code) gets: walking back,
 * the last write of rax, followed through register copies (mov rax, rbx ...
 * mov ebx, 41). -1 if it is computed or loaded, or a branch comes first.
 */
static long scan_nr_before(struct scan *s, const uint8_t *code, uint64_t addr, size_t len)
{
	x86_reg want = X86_REG_RAX;
	cs_insn *insn;
	size_t n, i;
	long nr = -1;

	n = cs_disasm(s->cs_detail, code, len, addr, 0, &insn);
	if (!n || insn[n - 1].id != X86_INS_SYSCALL)
		goto out;
	for (i = n - 1; i-- > 0;) {
		const cs_insn *in = &insn[i];
		const cs_x86 *x = &in->detail->x86;
		const cs_x86_op *src = &x->operands[1];

		if (cs_insn_group(s->cs_detail, in, CS_GRP_JUMP) ||
		    cs_insn_group(s->cs_detail, in, CS_GRP_CALL) ||
		    cs_insn_group(s->cs_detail, in, CS_GRP_RET) ||
		    cs_insn_group(s->cs_detail, in, CS_GRP_INT))
			break;
		/* Instructions that name a register first without writing it. */
		if (in->id == X86_INS_CMP || in->id == X86_INS_TEST || in->id == X86_INS_PUSH)
			continue;
		if (x->op_count < 1 || x->operands[0].type != X86_OP_REG ||
		    scan_gpr(x->operands[0].reg) != want)
			continue;
		if (in->id == X86_INS_MOV && x->op_count == 2 && src->type == X86_OP_IMM) {
			nr = (long)src->imm;
		} else if (in->id == X86_INS_MOV && x->op_count == 2 && src->type == X86_OP_REG &&
			   scan_gpr(src->reg)) {
			want = scan_gpr(src->reg);
			continue;
		} else if (in->id == X86_INS_XOR && x->op_count == 2 && src->type == X86_OP_REG &&
			   scan_gpr(src->reg) == want) {
			nr = 0;
		}
		break;
	}
out:
	if (n)
		cs_free(insn, n);
	return nr;
}

/* Linear sweep of one code section; every syscall gets its number looked up. */
static void scan_section(struct scan *s, const struct scan_obj *o, const Elf64_Shdr *sh)
{
	const uint8_t *base = scan_bytes(o, sh), *code;
	uint64_t addr, starts[SCAN_LOOKBACK + 1];
	size_t left, nstart = 0;
	cs_insn *in;

	if (!base)
		return;
	in = cs_malloc(s->cs);
	code = base;
	left = sh->sh_size;
	addr = sh->sh_addr;
	while (left) {
		uint64_t at = addr;

		if (!cs_disasm_iter(s->cs, &code, &left, &addr, in)) {
			/* Data or padding the decoder does not know: skip a byte. */
			code++;
			left--;
			addr++;
			nstart = 0;
			continue;
		}
		starts[nstart % (SCAN_LOOKBACK + 1)] = at;
		nstart++;
		if (in->id == X86_INS_SYSCALL) {
			size_t back = nstart > SCAN_LOOKBACK ? SCAN_LOOKBACK : nstart - 1;
			uint64_t from = starts[(nstart - 1 - back) % (SCAN_LOOKBACK + 1)];
			long nr = scan_nr_before(s, base + (from - sh->sh_addr), from,
						 (size_t)(addr - from));
			const char *name = scan_socket_call(nr);

			s->n_syscalls++;
			if (name)
				scan_bypass(s, o->path, "raw syscall %s (%ld) at %#lx in %s", name,
					    nr, (unsigned long)at, scan_shname(o, sh));
			else if (nr < 0)
				s->n_unknown++;
		}
	}
	cs_free(in, 1);
}

static void scan_code(struct scan *s, const struct scan_obj *o)
{
	int i;

	for (i = 0; i < o->eh->e_shnum; i++) {
		const Elf64_Shdr *sh = scan_shdr(o, i);

		if (sh->sh_type == SHT_PROGBITS && (sh->sh_flags & SHF_EXECINSTR))
			scan_section(s, o, sh);
	}
}

/* libc (the interposer and its patches cover it), the loader, and the interposer itself. */
static bool scan_skipped(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "libc.so", 7) || !strncmp(base, "ld-linux", 8) ||
	       !strncmp(base, "libsockshim.so", 14);
}

/*
 * The libraries the loader maps for prog, from the loader itself in list
 * mode (what ldd does: it resolves and relocates, runs no code of the
 * program). Returns how many paths it filled, or -1.
 */
static int scan_libraries(const char *interp, const char *prog, char paths[][PATH_MAX], int max)
{
	char line[PATH_MAX + 128];
	int pfd[2], n = 0, status;
	pid_t pid;
	FILE *f;

	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(pfd[1], 1);
		unsetenv("LD_PRELOAD");
		execl(interp, interp, "--list", prog, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "=> "), *end;

		if (strstr(line, "not found")) {
			fprintf(stderr, "sockshim scan: %s: the loader cannot find %s", prog, line);
			n = -1;
			break;
		}
		p = p ? p + 3 : line + strspn(line, " \t");
		if (*p != '/')
			continue; /* linux-vdso.so.1: no file */
		end = strstr(p, " (");
		if (end)
			*end = 0;
		else
			p[strcspn(p, "\n")] = 0;
		if (n < max)
			snprintf(paths[n++], PATH_MAX, "%s", p);
	}
	if (f)
		fclose(f);
	else
		close(pfd[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return n;
}

/* PROGRAM as execvp would find it. */
static int scan_find(const char *prog, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char *dirs, *dir, *save;

	if (strchr(prog, '/')) {
		snprintf(out, len, "%s", prog);
		return access(out, F_OK);
	}
	dirs = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", *dir ? dir : ".", prog);
		if (access(out, X_OK) == 0) {
			free(dirs);
			return 0;
		}
	}
	free(dirs);
	return -1;
}

static int scan_object(struct scan *s, const char *path)
{
	struct scan_obj o;
	const char *go;

	if (scan_open(&o, path))
		return -1;
	go = scan_go(&o);
	if (go)
		scan_bypass(s, path,
			    "Go runtime (%s): Go makes its system calls itself, not "
			    "through libc",
			    go);
	scan_code(s, &o);
	munmap((void *)o.map, o.size);
	return 0;
}

int main(int argc, char **argv)
{
	static char libs[SCAN_MAX_OBJS][PATH_MAX];
	char prog[PATH_MAX], interp[PATH_MAX];
	struct scan s = {.status = SCAN_OK};
	struct scan_obj o;
	int n = 0, i, scanned = 1;
	bool dynamic;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: sockshim scan PROGRAM\n");
		return SCAN_ERROR;
	}
	if (scan_find(argv[1], prog, sizeof(prog))) {
		fprintf(stderr, "sockshim scan: %s: not found\n", argv[1]);
		return SCAN_ERROR;
	}
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &s.cs) != CS_ERR_OK ||
	    cs_open(CS_ARCH_X86, CS_MODE_64, &s.cs_detail) != CS_ERR_OK ||
	    cs_option(s.cs_detail, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK) {
		fprintf(stderr, "sockshim scan: libcapstone cannot decode x86-64\n");
		return SCAN_ERROR;
	}
	if (scan_open(&o, prog))
		return SCAN_ERROR;
	dynamic = scan_interp(&o) != NULL;
	if (!dynamic) {
		/* A static-pie has PT_DYNAMIC but no interpreter: static all the same. */
		scan_bypass(&s, prog,
			    "static binary (%s): no dynamic loader, LD_PRELOAD never applies",
			    scan_has_phdr(&o, PT_DYNAMIC) ? "static-pie" : "no PT_INTERP");
	} else {
		snprintf(interp, sizeof(interp), "%s", scan_interp(&o));
		n = scan_libraries(interp, prog, libs, SCAN_MAX_OBJS);
		if (n < 0) {
			fprintf(stderr, "sockshim scan: %s: %s --list failed\n", prog, interp);
			return SCAN_ERROR;
		}
	}
	munmap((void *)o.map, o.size);
	if (scan_object(&s, prog))
		return SCAN_ERROR;
	for (i = 0; i < n; i++) {
		if (scan_skipped(libs[i]))
			continue;
		if (scan_object(&s, libs[i]))
			return SCAN_ERROR;
		scanned++;
	}
	printf("%s: %s, %d object%s scanned%s, %lu syscall instruction%s (%lu with a number not "
	       "known statically)\n",
	       prog, dynamic ? "dynamic" : "static", scanned, scanned == 1 ? "" : "s",
	       dynamic ? " (libc and the loader excepted)" : "", s.n_syscalls,
	       s.n_syscalls == 1 ? "" : "s", s.n_unknown);
	if (s.status == SCAN_OK)
		printf("OK %s: its socket calls go through libc, which the interposer covers\n",
		       prog);
	cs_close(&s.cs);
	cs_close(&s.cs_detail);
	return s.status;
}
