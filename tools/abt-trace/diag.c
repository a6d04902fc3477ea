// SPDX-License-Identifier: GPL-2.0
/*
 * abt-trace's messages on stderr: note, and die (exit status 2).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "abt-trace.h"

static void vnote(const char *fmt, va_list ap)
{
	fputs("abt-trace: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(fmt, ap);
	va_end(ap);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(fmt, ap);
	va_end(ap);
	exit(2);
}
