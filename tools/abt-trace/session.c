// SPDX-License-Identifier: GPL-2.0
/*
 * One QEMU session: spawned, connected, negotiated (no-ack mode, the
 * target description, single-step flags); reset between the passes.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abt-trace.h"

int start_session(struct cap *c)
{
	int tries, n;

	free(c->map.seen);
	memset(&c->map, 0, sizeof(c->map));

	for (tries = 0; ; tries++) {
		spawn_qemu(c);
		if (!rsp_connect(&c->rsp, "127.0.0.1", c->port, 15000,
				 qemu_alive, c))
			break;
		drain_qemu_err(c);
		if (!c->qemu_reaped)
			stop_qemu(c, 0);
		/* someone else took the port between our probe and QEMU */
		if (tries < 4 && strstr(c->errtail, "ddress already in use")) {
			c->errtaillen = 0;
			continue;
		}
		c->qemu_failed = 1;
		note("QEMU command: %s", c->qemu_cmdline);
		if (strstr(c->errtail, "efi-virtio.rom"))
			note("hint: add '-nic none' to the QEMU arguments (or install ipxe-qemu)");
		end_capture(c, 0, "%s", c->rsp.err);
		return -1;
	}
	if (!c->o->quiet)
		note("QEMU: %s", c->qemu_cmdline);
	n = transact(c, "qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=powerpc",
		     "qSupported");
	if (n < 0)
		return -1;
	if (!strstr(c->reply, "qXfer:features:read+")) {
		end_capture(c, 0, "gdb stub offers no target description (\"%s\")",
			    c->reply);
		return -1;
	}
	n = transact(c, "QStartNoAckMode", "QStartNoAckMode");
	if (n < 0)
		return -1;
	if (!strcmp(c->reply, "OK"))
		c->rsp.noack = 1;
	n = transact(c, "?", "querying the stop reason");
	if (n < 0)
		return -1;
	if (stop_signal(c->reply) < 0) {
		end_capture(c, 0, "target not stopped at start (\"%s\")",
			    c->reply);
		return -1;
	}
	if (read_target_description(c) || build_map(c) || setup_sstep(c))
		return -1;
	return 0;
}

/* Between the passes: a fresh QEMU, console and end state. */
void reset_pass(struct cap *c)
{
	rsp_close(&c->rsp);
	c->rsp.fd = -1;
	close(c->qemu_in);
	close(c->qemu_out);
	close(c->qemu_err);
	c->qemu = 0;
	c->qemu_reaped = 0;
	c->ended = c->complete = 0;
	c->reason[0] = '\0';
	c->step = 0;
	c->conlen = c->taillen = c->pendlen = c->errtaillen = 0;
	c->nstops = c->nodd = c->nbp = 0;
	c->qemu_failed = 0;
	c->npre_args = 0;
}
