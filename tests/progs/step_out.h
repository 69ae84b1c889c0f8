/* SPDX-License-Identifier: MIT */
/*
 * The output of the differential semantics programs (sock_semantics,
 * urg_semantics): one line per step, "scenario: step = result", flushed at
 * once so a program that dies still shows how far it came. A step marked by
 * known() first starts with "KNOWN(reason)": a difference from the kernel
 * that is understood and not fixed yet, which the test script accepts on
 * that line only.
 */
#ifndef SOCKSHIM_TEST_STEP_OUT_H
#define SOCKSHIM_TEST_STEP_OUT_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The scenario the steps belong to, set by the program as it goes. */
static const char *scen;
static const char *known_reason;

/* Marks the next printed step as a known difference. */
static inline void known(const char *reason)
{
	known_reason = reason;
}

static inline void out(const char *step, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void out(const char *step, const char *fmt, ...)
{
	va_list ap;

	if (known_reason)
		printf("KNOWN(%s) ", known_reason);
	known_reason = NULL;
	printf("%s: %s = ", scen, step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static inline const char *err_name(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "E?";
}

/* A call's result: the value, or the errno name when it failed. */
static inline void res(const char *step, long ret)
{
	if (ret < 0)
		out(step, "%s", err_name(errno));
	else
		out(step, "%ld", ret);
}

#endif
