/* SPDX-License-Identifier: MIT */
/*
 * raw_socket: creates a UDP socket with the `syscall` instruction itself,
 * as a static runtime or Go does, never calling libc's socket(). For
 * test_scan.sh: `sockshim scan` must report that this bypasses the
 * interposer (built as is, and static by the test).
 */
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>

static long raw_socket(long family, long type, long protocol)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_socket), "D"(family), "S"(type), "d"(protocol)
			 : "rcx", "r11", "memory");
	return ret;
}

int main(void)
{
	long fd = raw_socket(AF_INET, SOCK_DGRAM, 0);

	printf("raw socket() = %ld\n", fd);
	return fd < 0;
}
