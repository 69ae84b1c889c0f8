/* SPDX-License-Identifier: MIT */
/*
 * libmangle_libc.so, for test_libc_patch.sh: preloaded after
 * libsockshim.so, so its constructor runs first. It makes two of libc's
 * socket calls something the interposer's patching must refuse, without
 * changing what they do:
 *  - listen's entry `mov eax, 0x32` (5 bytes) becomes `jmp +0; push 0x32;
 *    pop rax` (5 bytes): the same rax, but a branch now lands inside the
 *    bytes a 5-byte jump would replace;
 *  - getsockname is wrapped here, so the interposer's next getsockname is
 *    this library's, not libc's.
 * If libc's listen does not start as Debian 12's glibc 2.36 does, it says so
 * and exits 2 (the test then fails, naming the cause).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

__attribute__((constructor)) static void mangle_listen(void)
{
	static const uint8_t want[5] = {0xb8, 0x32, 0x00, 0x00, 0x00};
	static const uint8_t same[5] = {0xeb, 0x00, 0x6a, 0x32, 0x58};
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	uint8_t *p = libc ? dlsym(libc, "listen") : NULL;
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)p & ~(pg - 1), end = ((uintptr_t)p + 5 + pg - 1) & ~(pg - 1);

	if (!p || memcmp(p, want, sizeof(want))) {
		fprintf(stderr, "mangle_libc: libc's listen does not start with mov eax, 0x32\n");
		exit(2);
	}
	if (mprotect((void *)start, end - start, PROT_READ | PROT_WRITE | PROT_EXEC)) {
		perror("mangle_libc: mprotect");
		exit(2);
	}
	memcpy(p, same, sizeof(same));
	mprotect((void *)start, end - start, PROT_READ | PROT_EXEC);
}

int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	int (*next)(int, struct sockaddr *, socklen_t *) = dlsym(RTLD_NEXT, "getsockname");

	return next(fd, addr, len);
}
