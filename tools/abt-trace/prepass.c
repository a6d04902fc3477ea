// SPDX-License-Identifier: GPL-2.0
/*
 * --prepass: a first pass that finds which sites the guest reaches.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abt-trace.h"

/*
 * --prepass: run the guest once, same QEMU arguments and console
 * script, no breakpoints, with QEMU logging each instruction it
 * translates (-d in_asm) into a FIFO we read as it runs. Sites never
 * translated are not armed in the capture; privileged words translated
 * outside the --elf images become sites too. Returns 0, or -1 with
 * the capture ended.
 */
int run_prepass(struct cap *c)
{
	char dir[] = "/tmp/abt-trace.XXXXXX", fifo[64];
	struct sites keep = { 0 };
	unsigned int nseen = 0;
	int64_t t0 = rsp_now_ms();
	int running = 0, ok;
	size_t i;

	if (!mkdtemp(dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(fifo, sizeof(fifo), "%s/in_asm", dir);
	if (mkfifo(fifo, 0600))
		die("mkfifo %s: %s", fifo, strerror(errno));
	/* open the read end first: QEMU's open for writing waits for it */
	c->logfd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (c->logfd < 0)
		die("open %s: %s", fifo, strerror(errno));
	c->pre_args[0] = "-d";
	c->pre_args[1] = "in_asm";
	c->pre_args[2] = "-D";
	c->pre_args[3] = fifo;
	c->npre_args = 4;
	note("prepass: the guest runs once without breakpoints; QEMU logs every instruction it translates (-d in_asm)");
	c->t0 = c->last_progress = rsp_now_ms();
	c->in_prepass = 1;
	if (!start_session(c)) {
		script_advance(c);
		if (!c->ended && !rsp_queue(&c->rsp, "c", 1) &&
		    !flush_requests(c, "starting the guest")) {
			for (;;) {
				int sig = wait_stop(c, &running);

				if (sig < 0)
					break;
				/* no breakpoints: a stop we did not ask for */
				if (other_stop(c, sig) ||
				    rsp_queue(&c->rsp, "c", 1) ||
				    flush_requests(c, "continuing"))
					break;
				running = 1;
			}
		}
	}
	if (running && c->rsp.fd >= 0 && qemu_alive(c))
		interrupt_target(c);
	stop_qemu(c, 1);
	if (c->logfd >= 0) {
		int64_t end = rsp_now_ms() + 5000;

		while (!drain_log(c) && rsp_now_ms() < end)
			usleep(10000);
		close(c->logfd);
		c->logfd = -1;
	}
	unlink(fifo);
	rmdir(dir);
	c->in_prepass = 0;

	/* a timeout is a fine end for a prepass */
	ok = c->complete || strstr(c->reason, "(--timeout)");
	for (i = 0; i < c->sites.n; i++)
		nseen += c->sites.v[i].seen;
	note("prepass: %.1f s, ended: %s; %" PRIu64 " instructions translated, %u sites seen (%u of them outside the --elf images), %zu scanned sites never translated",
	     (double)(rsp_now_ms() - t0) / 1000.0, c->reason, c->nlogged,
	     nseen, c->nextra_sites, c->sites.n - nseen);
	if (!ok) {
		char r[sizeof(c->reason)];

		snprintf(r, sizeof(r), "%s", c->reason);
		snprintf(c->reason, sizeof(c->reason), "prepass: %.*s",
			 (int)sizeof(c->reason) - 10, r);
		if (c->qemu_failed)
			show_qemu_err(c);
		return -1;
	}
	for (i = 0; i < c->sites.n; i++) {
		struct site *s = &c->sites.v[i];

		if (s->seen)
			site_add(&keep, s->pc, s->word, s->rule, s->elf);
	}
	free(c->sites.v);
	free(c->sites.hash);
	c->sites = keep;
	reset_pass(c);
	if (c->clog) {
		fputs("\n==== abt-trace: prepass ends, capture starts ====\n",
		      c->clog);
		fflush(c->clog);
	}
	return 0;
}
