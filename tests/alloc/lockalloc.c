// SPDX-License-Identifier: MIT
/*
 * liblockalloc.so: a malloc that behaves like the allocators that hung
 * programs under the interposer. It holds one non-recursive lock across
 * every allocation and, while holding it, calls syscall() (as jemalloc does
 * with SYS_open/SYS_read at start-up) and libc's open/read/close (as
 * tcmalloc and others read /proc). Any path of the interposer that
 * allocates or waits while serving those calls deadlocks here at once: the
 * lock is the one the allocation would need.
 *
 * Its constructor allocates (so these calls can arrive before the
 * interposer's constructor) and starts a thread that allocates too (a
 * thread started by a constructor). Memory comes from one mapping and is
 * never reused: enough for short test programs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ARENA_SIZE (1UL << 32) /* reserved, not backed */
#define ALIGN	   16

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *arena;
static size_t used;
static int probed;

/* What an allocator does on its first call: look at the system, under its lock. */
static void probe_locked(void)
{
	char buf[64];
	long fd;
	int f;

	fd = syscall(SYS_openat, AT_FDCWD, "/proc/sys/vm/overcommit_memory", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		syscall(SYS_read, fd, buf, sizeof(buf));
		syscall(SYS_close, fd);
	}
	f = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (f >= 0) {
		(void)!read(f, buf, sizeof(buf));
		close(f);
	}
}

static void *alloc(size_t size, size_t align)
{
	size_t *hdr, start;
	void *p = NULL;
	int saved = errno;

	if (align < ALIGN)
		align = ALIGN;
	pthread_mutex_lock(&lock);
	if (!arena) {
		void *m = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		arena = m == MAP_FAILED ? NULL : m;
	}
	if (!probed) {
		probed = 1;
		probe_locked();
	}
	/* Every allocation asks the kernel something through syscall(), as jemalloc can. */
	syscall(SYS_gettid);
	start = (used + sizeof(size_t) + align - 1) & ~(align - 1);
	if (arena && size < ARENA_SIZE && start + size <= ARENA_SIZE) {
		p = arena + start;
		hdr = (size_t *)p - 1;
		*hdr = size;
		used = start + size;
	}
	pthread_mutex_unlock(&lock);
	errno = p ? saved : ENOMEM;
	return p;
}

static size_t size_of(void *p)
{
	return p ? ((size_t *)p)[-1] : 0;
}

__attribute__((visibility("default"))) void *malloc(size_t size)
{
	return alloc(size, ALIGN);
}

__attribute__((visibility("default"))) void free(void *p)
{
	(void)p;
}

__attribute__((visibility("default"))) void *calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return alloc(n * size, ALIGN); /* fresh pages of the mapping are zero */
}

__attribute__((visibility("default"))) void *realloc(void *old, size_t size)
{
	void *p = alloc(size, ALIGN);
	size_t n = size_of(old);

	if (p && old)
		memcpy(p, old, n < size ? n : size);
	return p;
}

__attribute__((visibility("default"))) void *memalign(size_t align, size_t size)
{
	return alloc(size, align);
}

__attribute__((visibility("default"))) void *aligned_alloc(size_t align, size_t size)
{
	return alloc(size, align);
}

__attribute__((visibility("default"))) int posix_memalign(void **out, size_t align, size_t size)
{
	void *p = alloc(size, align);

	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

__attribute__((visibility("default"))) void *valloc(size_t size)
{
	return alloc(size, 4096);
}

__attribute__((visibility("default"))) void *pvalloc(size_t size)
{
	return alloc((size + 4095) & ~4095UL, 4096);
}

__attribute__((visibility("default"))) size_t malloc_usable_size(void *p)
{
	return size_of(p);
}

static void *churn(void *arg)
{
	for (int i = 0; i < 2000; i++)
		free(malloc(64 + (size_t)i));
	return arg;
}

static pthread_t churner;
static int churning;

__attribute__((constructor)) static void lockalloc_init(void)
{
	free(malloc(32));
	churning = pthread_create(&churner, NULL, churn, NULL) == 0;
}

__attribute__((destructor)) static void lockalloc_fini(void)
{
	if (churning)
		pthread_join(churner, NULL);
}
