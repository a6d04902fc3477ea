// SPDX-License-Identifier: GPL-2.0
/*
 * How a capture ends: the first reason given wins, complete or truncated;
 * SIGINT, SIGTERM and SIGHUP are such a reason.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>

#include "abt-trace.h"

volatile sig_atomic_t got_signal;

const char *signame(int sig)
{
	switch (sig) {
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	case SIGHUP:
		return "SIGHUP";
	}
	return "a signal";
}

void on_signal(int sig)
{
	got_signal = sig;
}

void end_capture(struct cap *c, int complete, const char *fmt, ...)
{
	va_list ap;

	if (c->ended)
		return;
	c->ended = 1;
	c->complete = complete;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
}
