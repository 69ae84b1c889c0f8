/* SPDX-License-Identifier: MIT */
/*
 * Code patching of libc's own socket calls (shim_patch.c): glibc's resolver
 * and the rest of libc call __socket, __connect, __sendmmsg, ... through
 * internal aliases that symbol interposition never sees. At load, each such
 * entry point gets a jump to the interposer's function, and the interposer's
 * real-function pointer (struct shim_real) a trampoline holding the
 * instructions the jump overwrote.
 */
#ifndef SOCKSHIM_SHIM_PATCH_H
#define SOCKSHIM_SHIM_PATCH_H

/*
 * Patches libc once. Called only from the library's constructor, before the
 * program's main() and before any thread of ours exists: it loads
 * libcapstone (dlopen, malloc), which no path entered from another library
 * holding a lock may do. Does nothing unless SOCKSHIM_IFACE or SOCKSHIM_ADDR
 * is set: a program the shim is not configured for never maps libcapstone.
 */
void shim_patch_libc(void);

#endif
