/* SPDX-License-Identifier: MIT */
/*
 * libfar_segment.so, for test_libc_patch.sh: a library whose last load
 * segment is linked 3 GiB above its first (-Wl,--section-start=.far=...).
 * Preloaded after libsockshim.so, it is mapped between the interposer and
 * libc, which the loader maps next, so libc's entries end up more than
 * 2 GiB from the interposer: no rel32 jump reaches it, and the patching has
 * to use its 14-byte absolute jump. The hole is a read-only file mapping:
 * it reserves address space and commits no memory.
 */
__attribute__((used, section(".far"))) const char far_segment_mark[16] = "far segment";
