/* SPDX-License-Identifier: MIT */
/*
 * The state letter of one of this process's threads from /proc (S: asleep),
 * for test programs that act only once a waiting thread sleeps.
 */
#ifndef SOCKSHIM_TEST_TASK_STATE_H
#define SOCKSHIM_TEST_TASK_STATE_H

#include <stdio.h>
#include <string.h>
#include <sys/types.h>

static inline char task_state(pid_t tid)
{
	char path[64], buf[256], *p;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

#endif
