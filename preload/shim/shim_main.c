/* SPDX-License-Identifier: MIT */
/*
 * The interposer's start-up and bookkeeping: sets itself up in three steps
 * (shim_init: what any wrapper needs, safe anywhere; the constructor: libc's
 * symbols; shim_stack_init: what the first AF_INET socket needs), keeps the
 * fd table (which fds are emulated sockets, and of which kind), recognises
 * emulated sockets inherited over exec, resets per-process state in a forked
 * child, and serves the calls that only move fds around (close, dup, fcntl)
 * plus syscall().
 *
 * What it does not do: any socket semantics (shim_socket.c, shim_io.c) or
 * talking to the stack host (shim_ctl.c).
 */
#include "shim_lib.h"
#include "shim_patch.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

const char *const shim_sym_names[SHIM_SYM_MAX] = {
#define X(ret, name, args) [SHIM_SYM_##name] = #name,
	SHIM_SYMBOLS(X)
#undef X
};

_Atomic uint64_t *shim_fds;
struct shim_fd_dgram *shim_fd_dg;
unsigned int shim_fd_max;
/* 64 MiB of address space at most: fds past it (a huge fs.nr_open) are the kernel's. */
#define SHIM_FD_MAX_CAP (1u << 21)
/* Highest fd ever registered + 1: close_range() need not walk the whole table. */
_Atomic unsigned int shim_fd_hi;

int shim_slow = 1;
int shim_sandboxed;
struct shim_config shim_cfg;
int shim_cfg_ok;
char shim_cfg_err[256];
char shim_lib_dir[4096];

/* shim_init(): not started, running (in some thread), done. */
enum { SHIM_EARLY_NONE, SHIM_EARLY_RUNNING, SHIM_EARLY_DONE };
static _Atomic int shim_early;
static _Atomic int shim_bound;
static _Atomic int shim_atfork_set;
static pthread_once_t shim_stack_once = PTHREAD_ONCE_INIT;
static _Atomic int shim_stack_done;
static pid_t shim_pid;

void shim_fd_set(int fd, uint64_t ent)
{
	unsigned int hi;

	if ((unsigned int)fd >= shim_fd_max)
		return;
	atomic_store_explicit(&shim_fds[fd], ent, memory_order_relaxed);
	hi = atomic_load_explicit(&shim_fd_hi, memory_order_relaxed);
	while (ent && (unsigned int)fd >= hi &&
	       !atomic_compare_exchange_weak(&shim_fd_hi, &hi, (unsigned int)fd + 1))
		;
}

/*
 * Compare-and-swap on the fd's word: two threads changing different bits
 * of one socket (a reader's error, a writer's flag) both keep theirs.
 */
void shim_fd_flags(int fd, unsigned int set, unsigned int clear)
{
	uint64_t e = shim_fd_get(fd), n;

	do {
		if (!shim_emulated(e))
			return;
		n = (e & ~((uint64_t)SHIM_ENT_FLAGS_MASK << SHIM_ENT_FLAGS_SHIFT)) |
		    (uint64_t)((shim_ent_flags(e) | set) & ~clear & SHIM_ENT_FLAGS_MASK)
			    << SHIM_ENT_FLAGS_SHIFT;
	} while (!atomic_compare_exchange_weak(&shim_fds[fd], &e, n));
}

void shim_fd_nonblock(int fd, uint64_t e, bool on)
{
	unsigned int hi = shim_fd_hi_get();
	uint64_t x;

	if (shim_ent_kind(e) != SHIM_STREAM)
		return;
	if (on) {
		shim_fd_flags(fd, SHIM_F_NONBLOCK, 0);
		return;
	}
	/* dup'd fds share the file: none may keep the hint (rare: a scan is fine). */
	for (unsigned int i = 0; i < hi; i++) {
		x = shim_fd_get((int)i);
		if (shim_ent_kind(x) == SHIM_STREAM && shim_ent_id(x) == shim_ent_id(e) &&
		    (shim_ent_flags(x) & SHIM_F_NONBLOCK))
			shim_fd_flags((int)i, 0, SHIM_F_NONBLOCK);
	}
}

bool shim_fd_flag_take(int fd, unsigned int flag)
{
	uint64_t e = shim_fd_get(fd), n;

	do {
		if (!shim_emulated(e) || !(shim_ent_flags(e) & flag))
			return false;
		n = e & ~((uint64_t)flag << SHIM_ENT_FLAGS_SHIFT);
	} while (!atomic_compare_exchange_weak(&shim_fds[fd], &e, n));
	return true;
}

void shim_fd_forget_shared(void)
{
	unsigned int hi = shim_fd_hi_get();

	for (unsigned int fd = 0; fd < hi; fd++)
		if (shim_ent_kind(shim_fd_get((int)fd)) == SHIM_STREAM)
			shim_fd_flags((int)fd, 0, SHIM_F_CONNECTING | SHIM_F_FRESH);
}

int shim_fd_err_keep(int fd, int err)
{
	uint64_t e = shim_fd_get(fd), n;

	do {
		if (!shim_emulated(e))
			return 0;
		if (shim_ent_err(e))
			return 0;
		n = (e & ~(0xffULL << 24)) | (uint64_t)(err & 0xff) << 24 |
		    (uint64_t)(SHIM_F_HUPSEEN | SHIM_F_FAILED) << SHIM_ENT_FLAGS_SHIFT;
	} while (!atomic_compare_exchange_weak(&shim_fds[fd], &e, n));
	return err;
}

int shim_fd_err_take(int fd)
{
	uint64_t e = shim_fd_get(fd);

	do {
		if (!shim_ent_err(e))
			return 0;
	} while (!atomic_compare_exchange_weak(&shim_fds[fd], &e, e & ~(0xffULL << 24)));
	return shim_ent_err(e);
}

/*
 * The most fds a process can have: fs.nr_open bounds every RLIMIT_NOFILE
 * (setrlimit and prlimit refuse more with EPERM), so a table this long
 * follows every later raise of the limit, by the process or another one,
 * with no check on the hot path. Raw calls: no allocation this early. 0 if
 * it cannot be read (no /proc).
 */
static rlim_t shim_nr_open(void)
{
	char buf[24];
	size_t n = shim_sys_read_file("/proc/sys/fs/nr_open", buf, sizeof(buf));
	rlim_t v = 0;

	for (size_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		v = v * 10 + (rlim_t)(buf[i] - '0');
	return v;
}

static void shim_fd_table_init(void)
{
	struct rlimit rl;
	rlim_t n = 1 << 16, nr_open = shim_nr_open();
	void *p;

	/*
	 * Sized for any fd the process may ever have (fs.nr_open, or the hard
	 * limit if higher or /proc is missing): the pages of untouched fds are
	 * never backed, here (entries, then datagram words) nor in the tables
	 * sized after this one.
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY && rl.rlim_max > n)
		n = rl.rlim_max;
	if (nr_open > n)
		n = nr_open;
	if (n > SHIM_FD_MAX_CAP)
		n = SHIM_FD_MAX_CAP;
	p = mmap(NULL, n * (sizeof(uint64_t) + sizeof(struct shim_fd_dgram)),
		 PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return;
	shim_fds = p;
	shim_fd_dg = (struct shim_fd_dgram *)(shim_fds + n);
	shim_fd_max = (unsigned int)n;
}

void shim_fd_dgram_set(int fd, uint64_t tx, uint64_t rx)
{
	if ((unsigned int)fd >= shim_fd_max)
		return;
	atomic_store_explicit(&shim_fd_dg[fd].tx, tx, memory_order_relaxed);
	atomic_store_explicit(&shim_fd_dg[fd].rx, rx, memory_order_relaxed);
	atomic_store_explicit(&shim_fd_dg[fd].peer, 0, memory_order_relaxed);
}

void shim_fd_dgram_copy(int oldfd, int newfd)
{
	if ((unsigned int)oldfd >= shim_fd_max || (unsigned int)newfd >= shim_fd_max)
		return;
	shim_fd_dgram_set(newfd, shim_fd_tx_cookie(oldfd), shim_fd_rx_cookie(oldfd));
	atomic_store_explicit(&shim_fd_dg[newfd].peer,
			      atomic_load_explicit(&shim_fd_dg[oldfd].peer, memory_order_relaxed),
			      memory_order_relaxed);
}

/*
 * Emulated sockets inherited over exec or posix_spawn carry their identity
 * in their AF_UNIX names (shim_ctl.h); one pass over /proc/self/fd finds
 * them so they keep working without any help from the environment. Raw
 * getdents64 into a buffer on the stack: opendir would allocate.
 */
static void shim_scan_inherited(void)
{
	char buf[4096];
	long dfd, n, off;

	dfd = shim_sys(SYS_openat, AT_FDCWD, (long)"/proc/self/fd",
		       O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
	if (dfd < 0)
		return;
	while ((n = shim_sys(SYS_getdents64, dfd, (long)buf, sizeof(buf), 0, 0, 0)) > 0) {
		for (off = 0; off < n;) {
			struct dirent64 *de = (struct dirent64 *)(buf + off);
			char *end;
			long fd = strtol(de->d_name, &end, 10);

			off += de->d_reclen;
			if (*end || end == de->d_name || fd == dfd)
				continue;
			shim_register_inherited((int)fd);
		}
	}
	shim_sys(SYS_close, dfd, 0, 0, 0, 0, 0);
}

/*
 * The set-up every wrapper may need: the fd table, inherited sockets, the
 * trace settings. Called by the constructor and by any wrapper that runs
 * before it, possibly from inside another library's locked section (an
 * allocator's) or a signal handler: so it allocates nothing, takes no lock,
 * never waits and makes no call that could come back into the interposer.
 * A caller that finds it running elsewhere goes on without it; until it is
 * done no fd is emulated, so every call is the kernel's.
 */
void shim_init(void)
{
	int expect = SHIM_EARLY_NONE, saved = errno;

	sigset_t all, old;

	if (!atomic_compare_exchange_strong(&shim_early, &expect, SHIM_EARLY_RUNNING))
		return;
	/* A handler in this thread could not finish it (shim_stack_init waits for it). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	shim_pid = getpid();
	shim_fd_table_init();
	shim_cfg_ok = shim_config_load_trace(&shim_cfg, shim_cfg_err, sizeof(shim_cfg_err)) == 0;
	shim_trace_init();
	shim_scan_inherited();
	shim_slow = shim_trace_level != 0;
	atomic_store(&shim_early, SHIM_EARLY_DONE);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
}

/*
 * pthread_once with this thread's signals blocked while the routine runs: a
 * handler making a socket in the middle of it would wait for itself for
 * ever. done spares the two system calls once it has run.
 */
void shim_once(pthread_once_t *once, _Atomic int *done, void (*routine)(void))
{
	sigset_t all, old;

	if (atomic_load_explicit(done, memory_order_acquire))
		return;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_once(once, routine);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	atomic_store_explicit(done, 1, memory_order_release);
}

/*
 * libc's definitions in place of the raw stand-ins (shim_sys.c). dlsym takes
 * the loader's lock and may allocate, so this runs only where the caller
 * holds no lock of its own: the constructor and the first AF_INET socket().
 * A symbol this libc lacks (e.g. fcntl64 on an old glibc) keeps its
 * stand-in; the raw system call serves it.
 */
static void shim_bind_symbols(void)
{
	if (atomic_exchange(&shim_bound, 1))
		return;
#define X(ret, name, args)                                                                         \
	{                                                                                          \
		void *p = dlsym(RTLD_NEXT, #name);                                                 \
		if (p)                                                                             \
			__atomic_store_n(&shim_real.name, (ret(*) args)p, __ATOMIC_RELEASE);       \
	}
	SHIM_SYMBOLS(X)
#undef X
}

/*
 * Parent and child now share the sockets: a connect() answered here could
 * no longer know that the other one has not had its 0 already.
 */
static void shim_atfork_parent(void)
{
	shim_fd_forget_shared();
}

static void shim_atfork_child(void)
{
	shim_fd_forget_shared();
	shim_pid = getpid();
	shim_ctl_reset_child();
	shim_epoll_atfork_child();
	shim_errwake_atfork_child();
	shim_sk_atfork_child();
}

/* pthread_atfork takes a lock and may allocate: same rule as shim_bind_symbols. */
static void shim_atfork_register(void)
{
	if (!atomic_exchange(&shim_atfork_set, 1))
		pthread_atfork(NULL, shim_atfork_parent, shim_atfork_child);
}

/* Where libsockshim.so lives: the host and plugins are found relative to it. */
static void shim_find_lib_dir(void)
{
	Dl_info info;
	char *slash;

	if (!dladdr((void *)shim_find_lib_dir, &info) || !info.dli_fname)
		return;
	if (!realpath(info.dli_fname, shim_lib_dir))
		snprintf(shim_lib_dir, sizeof(shim_lib_dir), "%s", info.dli_fname);
	slash = strrchr(shim_lib_dir, '/');
	if (slash)
		*slash = 0;
	else
		snprintf(shim_lib_dir, sizeof(shim_lib_dir), ".");
}

/*
 * This thread runs shim_stack_init_once: libc's if_nametoindex (checking
 * SOCKSHIM_IFACE) makes a socket, AF_UNIX first and AF_INET if that fails,
 * as under a seccomp filter that refuses AF_UNIX; that AF_INET socket() is
 * the kernel's, not a stack socket waiting on the init it is part of.
 */
__thread bool shim_stack_initing __attribute__((tls_model("initial-exec")));

static void shim_stack_init_once(void)
{
	int ok;

	shim_stack_initing = true;
	shim_bind_symbols();
	shim_atfork_register();
	shim_find_lib_dir();
	ok = shim_config_load_net(&shim_cfg, shim_cfg_err, sizeof(shim_cfg_err)) == 0;
	shim_stack_initing = false;
	shim_cfg_ok = shim_cfg_ok && ok;
	shim_trace_banner();
}

/*
 * What only a stack needs (the network settings, where the host binary and
 * plugins are): run by the first AF_INET socket() or control request, so a
 * program that never makes one never pays for it or sees its effects.
 */
void shim_stack_init(void)
{
	int saved = errno;

	shim_init();
	/* Another thread's shim_init() is short and never waits: let it finish. */
	while (atomic_load(&shim_early) != SHIM_EARLY_DONE)
		sched_yield();
	shim_once(&shim_stack_once, &shim_stack_done, shim_stack_init_once);
	errno = saved;
}

/* Kept a short list of calls, each safe in a constructor. */
__attribute__((constructor)) static void shim_constructor(void)
{
	shim_init();
	shim_bind_symbols();
	shim_atfork_register();
	/* A fork in an earlier constructor, after a wrapper ran shim_init(). */
	shim_pid = getpid();
	shim_patch_libc();
}

/* ---- user memory ---- */

/* The main thread's stack top, below its arguments and environment (ld.so's). */
extern void *__libc_stack_end;

/*
 * The main stack's live part is how far a plain memcpy may go without
 * process_vm_readv's EFAULT check (a system call and a page walk: a few
 * per connection, an epoll_event or an option value on the caller's stack).
 * Between this frame and the stack's top every page is mapped and
 * writable: it is one mapping, grown down past this frame. The frame is on
 * the main stack when it lies within 8 MiB (the usual RLIMIT_STACK) below
 * the top: the kernel puts mmap_base at least 128 MiB below the stack, so
 * no thread stack, signal stack or coroutine stack is there.
 */
static bool shim_on_main_stack(const void *p, size_t len)
{
	uintptr_t frame = (uintptr_t)__builtin_frame_address(0), top = (uintptr_t)__libc_stack_end;
	uintptr_t a = (uintptr_t)p;

	return frame < top && top - frame <= (8u << 20) && a >= frame && a < top && len <= top - a;
}

static int shim_vm_copy(void *dst, const void *src, size_t len, bool to_user)
{
	struct iovec local, remote;
	ssize_t n;

	if (!len)
		return 0;
	if (shim_on_main_stack(to_user ? dst : src, len)) {
		memcpy(dst, src, len);
		return 0;
	}
	if (to_user) {
		local = (struct iovec){(void *)src, len};
		remote = (struct iovec){dst, len};
		n = process_vm_writev(shim_pid, &local, 1, &remote, 1, 0);
	} else {
		local = (struct iovec){dst, len};
		remote = (struct iovec){(void *)src, len};
		n = process_vm_readv(shim_pid, &local, 1, &remote, 1, 0);
	}
	if (n == (ssize_t)len)
		return 0;
	if (n < 0 && (errno == ENOSYS || errno == EPERM)) {
		/* Sandboxed without process_vm_*: trust the pointer like libc would. */
		memcpy(dst, src, len);
		return 0;
	}
	return -EFAULT;
}

int shim_copy_from_user(void *dst, const void *src, size_t len)
{
	int saved = errno, ret = shim_vm_copy(dst, src, len, false);

	errno = saved;
	return ret;
}

int shim_copy_to_user(void *dst, const void *src, size_t len)
{
	int saved = errno, ret = shim_vm_copy(dst, src, len, true);

	errno = saved;
	return ret;
}

uint64_t shim_cap_eff(void)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2] = {0};
	int saved = errno;

	if (shim_real.syscall(SYS_capget, &hdr, data) < 0)
		memset(data, 0, sizeof(data));
	errno = saved;
	return (uint64_t)data[1].effective << 32 | data[0].effective;
}

/* ---- close and the dup family: keep the table in step with the kernel ---- */

/*
 * A vfork child shares our memory, the fd table included, but has fds of
 * its own: what it closes or dups over must change neither the table the
 * parent reads nor the host's sockets (closing a listener there would shut
 * the parent's). A fork child has its own pid in shim_pid (the atfork
 * handler); a vfork child still has the parent's.
 */
static bool shim_vfork_child(void)
{
	return getpid() != shim_pid;
}

/* The application closed fd (entry e); tell the host when only it can notice. */
static void shim_forget(int fd, uint64_t e, struct shim_call *c)
{
	struct shim_req req = {.hdr.op = SHIM_OP_CLOSE};

	if (shim_ent_kind(e) == SHIM_CTL) {
		shim_ctl_forget_fd(fd);
		return;
	}
	if (!shim_emulated(e))
		return;
	c->path = "stack";
	/*
	 * A pair end's last close is seen by the host as a hang-up; a
	 * listener (an AF_UNIX listener the host cannot watch) and a failed
	 * socket (whose host end is gone) are not. A stream in repair mode
	 * goes at once, as the kernel's: its address and 4-tuple are free for
	 * the socket that replaces it by the next request. Nor is the last
	 * close of a stream connected again while an earlier pair's end may
	 * be held (SHIM_NOTICE_NEWPAIR): the host keeps a copy of the current
	 * end for such holders, and only a close it hears of makes it look
	 * whether any is left, so that tcp_close runs now, as the kernel's
	 * at the last close. A stream nobody else ever held (SHIM_F_FRESH)
	 * has no earlier end elsewhere and pays nothing; others a load of
	 * their notice word (the page mapped once per process).
	 */
	if (shim_ent_kind(e) == SHIM_LISTENER || (shim_ent_flags(e) & SHIM_F_FAILED) ||
	    (shim_ent_kind(e) == SHIM_STREAM && (shim_ent_flags(e) & SHIM_F_REPAIR)) ||
	    (shim_ent_kind(e) == SHIM_STREAM && !(shim_ent_flags(e) & SHIM_F_FRESH) &&
	     (shim_notice_peek(e) & SHIM_NOTICE_NEWPAIR))) {
		req.hdr.id = shim_ent_id(e);
		shim_ctl_call(&req, NULL, NULL, -1);
		shim_note(c, "SHIM_OP_CLOSE id %u", req.hdr.id);
	}
}

SHIM_EXPORT int close(int fd)
{
	struct shim_call c;
	uint64_t e;
	int ret;

	if (likely(!shim_slow) && likely(!shim_fd_get(fd)))
		return shim_real.close(fd);
	shim_call_begin(&c, SHIM_SYM_close);
	if (fd >= 0 && shim_trace_owns((unsigned int)fd, (unsigned int)fd)) {
		/* The trace's own fd: the program never opened this number. */
		errno = EBADF;
		shim_trace(&c, -1, "%d", fd);
		return -1;
	}
	e = shim_fd_get(fd);
	if (e && shim_vfork_child())
		e = 0;
	if (shim_ent_kind(e) == SHIM_EPOLL)
		shim_epoll_forget_set(fd, e);
	else if (shim_emulated(e))
		shim_epoll_forget_fd(fd, true);
	if (shim_ent_kind(e) == SHIM_STREAM)
		shim_errwake_forget(fd);
	/* shim_forget reads its notice word: the page is had while fd proves the socket. */
	if (shim_ent_kind(e) == SHIM_STREAM && !(shim_ent_flags(e) & SHIM_F_FRESH))
		shim_notice_get(fd, e);
	if (e)
		shim_fd_set(fd, 0);
	ret = shim_real.close(fd);
	shim_forget(fd, e, &c);
	shim_trace(&c, ret, "%d", fd);
	return ret;
}

static void shim_forget_range(unsigned int first, unsigned int last, struct shim_call *c)
{
	unsigned int hi = atomic_load(&shim_fd_hi), fd;

	for (fd = first; fd < hi && fd <= last; fd++) {
		uint64_t e = shim_fd_get((int)fd);

		if (!e)
			continue;
		if (shim_ent_kind(e) == SHIM_EPOLL)
			shim_epoll_forget_set((int)fd, e);
		else if (shim_emulated(e))
			shim_epoll_forget_fd((int)fd, false);
		if (shim_ent_kind(e) == SHIM_STREAM)
			shim_errwake_forget((int)fd);
		shim_fd_set((int)fd, 0);
		shim_forget((int)fd, e, c);
	}
}

/*
 * close_range() around the trace's own fd (shim_trace_owns): the kernel's
 * answer for the whole range, the two parts beside it closed. Flags apply to
 * each part as to the whole (a second CLOSE_RANGE_UNSHARE finds the table
 * already unshared).
 */
static int shim_close_range_real(unsigned int first, unsigned int last, int flags)
{
	unsigned int own;
	int ret = 0;

	if (first > last || !shim_trace_owns(first, last))
		return shim_real.close_range(first, last, flags);
	for (own = first; !shim_trace_owns(own, own); own++)
		;
	if (own > first)
		ret = shim_real.close_range(first, own - 1, flags);
	if (ret == 0 && own < last)
		ret = shim_real.close_range(own + 1, last, flags);
	return ret;
}

SHIM_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	struct shim_call c;
	int ret;

	shim_call_begin(&c, SHIM_SYM_close_range);
	ret = shim_close_range_real(first, last, flags);
	if (ret == 0 && !(flags & CLOSE_RANGE_CLOEXEC) && !shim_vfork_child())
		shim_forget_range(first, last, &c);
	shim_trace(&c, ret, "%u, %u, %#x", first, last, flags);
	return ret;
}

SHIM_EXPORT void closefrom(int lowfd)
{
	struct shim_call c;

	shim_call_begin(&c, SHIM_SYM_closefrom);
	if (lowfd < 0 || !shim_trace_owns((unsigned int)lowfd, ~0u) ||
	    shim_close_range_real((unsigned int)lowfd, ~0u, 0) != 0)
		shim_real.closefrom(lowfd);
	if (lowfd >= 0 && !shim_vfork_child())
		shim_forget_range((unsigned int)lowfd, ~0u, &c);
	shim_trace(&c, 0, "%d", lowfd);
}

/* newfd now refers to what oldfd refers to (entry e of oldfd). */
static void shim_dup_entry(int oldfd, int newfd, uint64_t e, struct shim_call *c)
{
	uint64_t old = shim_fd_get(newfd);

	if ((e || old) && shim_vfork_child())
		return;
	if (shim_ent_kind(old) == SHIM_CTL)
		shim_ctl_forget_fd(newfd);
	/* The socket that was newfd is gone from it, and so are its epoll registrations. */
	if (shim_emulated(old))
		shim_epoll_forget_fd(newfd, false);
	if (shim_ent_kind(old) == SHIM_STREAM)
		shim_errwake_forget(newfd);
	if (shim_ent_kind(e) == SHIM_EPOLL) {
		; /* the same set under another number */
	} else if (!shim_emulated(e)) {
		e = 0;
	} else {
		c->path = "stack";
		/* Two entries for one socket: neither can tell the other's connect. */
		if (shim_ent_flags(e) & SHIM_F_FRESH && shim_ent_kind(e) == SHIM_STREAM) {
			shim_fd_flags(oldfd, 0, SHIM_F_FRESH);
			e &= ~((uint64_t)SHIM_F_FRESH << SHIM_ENT_FLAGS_SHIFT);
		}
	}
	if (shim_ent_kind(e) == SHIM_DGRAM)
		shim_fd_dgram_copy(oldfd, newfd);
	if (e || old)
		shim_fd_set(newfd, e);
}

SHIM_EXPORT int dup(int oldfd)
{
	struct shim_call c;
	uint64_t e;
	int ret;

	if (likely(!shim_slow) && likely(!shim_fd_get(oldfd)))
		return shim_real.dup(oldfd);
	shim_call_begin(&c, SHIM_SYM_dup);
	e = shim_fd_get(oldfd);
	ret = shim_real.dup(oldfd);
	if (ret >= 0)
		shim_dup_entry(oldfd, ret, e, &c);
	shim_trace(&c, ret, "%d", oldfd);
	return ret;
}

static int shim_dup3(enum shim_sym sym, int oldfd, int newfd, int flags)
{
	struct shim_call c;
	uint64_t e;
	int ret;

	shim_call_begin(&c, sym);
	e = shim_fd_get(oldfd);
	/* The program's number wins: the trace's fd moves out of its way. */
	if (newfd >= 0 && oldfd != newfd && shim_trace_fd_evict(newfd) != 0) {
		shim_trace(&c, -1, "%d, %d", oldfd, newfd);
		return -1;
	}
	if (sym == SHIM_SYM_dup2)
		ret = shim_real.dup2(oldfd, newfd);
	else
		ret = shim_real.dup3(oldfd, newfd, flags);
	if (ret >= 0 && oldfd != newfd)
		shim_dup_entry(oldfd, ret, e, &c);
	if (sym == SHIM_SYM_dup2)
		shim_trace(&c, ret, "%d, %d", oldfd, newfd);
	else
		shim_trace(&c, ret, "%d, %d, %s", oldfd, newfd,
			   flags & O_CLOEXEC ? "O_CLOEXEC" : "0");
	return ret;
}

SHIM_EXPORT int dup2(int oldfd, int newfd)
{
	if (likely(!shim_slow) && likely(!shim_fd_get(oldfd)) && likely(!shim_fd_get(newfd)))
		return shim_real.dup2(oldfd, newfd);
	return shim_dup3(SHIM_SYM_dup2, oldfd, newfd, 0);
}

SHIM_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	if (likely(!shim_slow) && likely(!shim_fd_get(oldfd)) && likely(!shim_fd_get(newfd)))
		return shim_real.dup3(oldfd, newfd, flags);
	return shim_dup3(SHIM_SYM_dup3, oldfd, newfd, flags);
}

static int shim_fcntl(enum shim_sym sym, int fd, int cmd, void *arg)
{
	int (*real)(int, int, ...) = sym == SHIM_SYM_fcntl ? shim_real.fcntl : shim_real.fcntl64;
	struct shim_call c;
	uint64_t e;
	int ret;
	char b[32];

	if (likely(!shim_slow) && likely(!shim_fd_get(fd)))
		return real(fd, cmd, arg);
	shim_call_begin(&c, sym);
	e = shim_fd_get(fd);
	ret = real(fd, cmd, arg);
	if (ret >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
		shim_dup_entry(fd, ret, e, &c);
	else if (shim_emulated(e))
		c.path = "stack";
	if (ret >= 0 && cmd == F_SETFL)
		shim_fd_nonblock(fd, e, (long)arg & O_NONBLOCK);
	shim_trace(&c, ret, "%d, %s, %#lx", fd, shim_fmt_fcntl(b, sizeof(b), cmd),
		   (unsigned long)arg);
	return ret;
}

SHIM_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	/* glibc reads the third argument as a pointer-sized word, so do we. */
	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return shim_fcntl(SHIM_SYM_fcntl, fd, cmd, arg);
}

SHIM_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return shim_fcntl(SHIM_SYM_fcntl64, fd, cmd, arg);
}

/* A call on any fd is the interposer's only when it names an emulated socket. */
static bool shim_syscall_on_emulated(long nr, const long *a)
{
	switch (nr) {
	case SYS_dup2:
	case SYS_dup3:
		if (shim_fd_get((int)a[1]))
			return true;
		__attribute__((fallthrough)); /* and the old fd */
	case SYS_read:
	case SYS_write:
	case SYS_readv:
	case SYS_writev:
	case SYS_sendfile:
	case SYS_ioctl:
	case SYS_fcntl:
	case SYS_close:
	case SYS_dup:
		return shim_fd_get((int)a[0]) != 0;
	case SYS_close_range:
		return (unsigned int)a[0] < atomic_load(&shim_fd_hi);
	}
	return false;
}

/*
 * syscall(2) with a socket number reaches the same wrapper as the libc
 * call (programs and runtimes that issue raw system calls, e.g. Go's
 * syscall package via libc), and so does an fd number on an emulated
 * socket. Every other call goes to the kernel at once, without any set-up:
 * allocators issue syscall() from inside malloc while holding their own
 * lock (jemalloc's SYS_open at start-up), where nothing of ours may run.
 */
SHIM_EXPORT long syscall(long nr, ...)
{
	va_list ap;
	long a[6];
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);

#define P(n) ((void *)a[n])
#define I(n) ((int)a[n])
	switch (nr) {
	case SYS_socket:
		return socket(I(0), I(1), I(2));
	case SYS_socketpair:
		return socketpair(I(0), I(1), I(2), P(3));
	case SYS_bind:
		return bind(I(0), P(1), (socklen_t)a[2]);
	case SYS_listen:
		return listen(I(0), I(1));
	case SYS_accept:
		return accept(I(0), P(1), P(2));
	case SYS_accept4:
		return accept4(I(0), P(1), P(2), I(3));
	case SYS_connect:
		return connect(I(0), P(1), (socklen_t)a[2]);
	case SYS_shutdown:
		return shutdown(I(0), I(1));
	case SYS_getsockname:
		return getsockname(I(0), P(1), P(2));
	case SYS_getpeername:
		return getpeername(I(0), P(1), P(2));
	case SYS_getsockopt:
		return getsockopt(I(0), I(1), I(2), P(3), P(4));
	case SYS_setsockopt:
		return setsockopt(I(0), I(1), I(2), P(3), (socklen_t)a[4]);
	case SYS_sendto:
		return sendto(I(0), P(1), (size_t)a[2], I(3), P(4), (socklen_t)a[5]);
	case SYS_recvfrom:
		return recvfrom(I(0), P(1), (size_t)a[2], I(3), P(4), P(5));
	case SYS_sendmsg:
		return sendmsg(I(0), P(1), I(2));
	case SYS_recvmsg:
		return recvmsg(I(0), P(1), I(2));
	case SYS_sendmmsg:
		return sendmmsg(I(0), P(1), (unsigned int)a[2], I(3));
	case SYS_recvmmsg:
		return recvmmsg(I(0), P(1), (unsigned int)a[2], I(3), P(4));
	case SYS_prctl:
		return prctl(I(0), a[1], a[2], a[3], a[4]);
	case SYS_seccomp:
		/* SECCOMP_SET_MODE_STRICT, _FILTER: before the filter holds (prctl). */
		if (a[0] == 0 || a[0] == 1)
			__atomic_store_n(&shim_sandboxed, 1, __ATOMIC_SEQ_CST);
		break;
	}
	if (shim_syscall_on_emulated(nr, a)) {
		switch (nr) {
		case SYS_read:
			return read(I(0), P(1), (size_t)a[2]);
		case SYS_write:
			return write(I(0), P(1), (size_t)a[2]);
		case SYS_readv:
			return readv(I(0), P(1), I(2));
		case SYS_writev:
			return writev(I(0), P(1), I(2));
		case SYS_sendfile:
			return sendfile(I(0), I(1), P(2), (size_t)a[3]);
		case SYS_ioctl:
			return ioctl(I(0), (unsigned long)a[1], P(2));
		case SYS_fcntl:
			return fcntl(I(0), I(1), P(2));
		case SYS_close:
			return close(I(0));
		case SYS_dup:
			return dup(I(0));
		case SYS_dup2:
			return dup2(I(0), I(1));
		case SYS_dup3:
			return dup3(I(0), I(1), I(2));
		case SYS_close_range:
			return close_range((unsigned int)a[0], (unsigned int)a[1], I(2));
		}
	}
#undef P
#undef I
	return shim_sys_ret(shim_sys(nr, a[0], a[1], a[2], a[3], a[4], a[5]));
}

/*
 * A seccomp filter (or strict mode) allows some system calls only: from the
 * moment it may hold, the data path makes none the program does not
 * (shim_sandboxed). Set before the filter, so no write after it is a send.
 */
SHIM_EXPORT int prctl(int option, ...)
{
	unsigned long a[4];

	SHIM_VA_WORDS(a, option);
	if (option == PR_SET_SECCOMP)
		__atomic_store_n(&shim_sandboxed, 1, __ATOMIC_SEQ_CST);
	return shim_real.prctl(option, a[0], a[1], a[2], a[3]);
}
