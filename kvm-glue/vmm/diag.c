// SPDX-License-Identifier: GPL-2.0
/*
 * Messages on stderr (err always, info with --verbose), and the one path
 * every KVM ioctl takes, so that a failure names the ioctl and errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "abt-vmm.h"

/* the guest console on stdout stopped mid-line: end it before a message */
bool console_mid_line;

/* One line on stderr, after what the guest console has put on stdout. */
static void vmessage(const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("abt-vmm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void err(const char *fmt, ...)
{
	va_list ap;

	if (console_mid_line) {
		putchar('\n');
		console_mid_line = false;
	}
	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
}

void info(const struct vmm *v, const char *fmt, ...)
{
	va_list ap;

	if (!v->opt.verbose)
		return;
	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
}

/*
 * Every KVM ioctl goes through here, so a failure always names the ioctl
 * and errno. Returns the ioctl's result, or -1 with errno kept.
 */
int do_ioctl(int fd, unsigned long req, const char *name, void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR && strcmp(name, "KVM_RUN") != 0);
	if (r < 0 && !(errno == EINTR && strcmp(name, "KVM_RUN") == 0)) {
		int e = errno;

		err("ioctl %s failed: %s (errno %d)", name, strerror(e), e);
		errno = e;
	}
	return r;
}
