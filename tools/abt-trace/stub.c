// SPDX-License-Identifier: GPL-2.0
/*
 * Talking to QEMU's gdb stub over rsp.c: one request and its reply, the
 * stop replies, single-step flags, and what a failure means for the capture.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "abt-trace.h"

int rsp_error_end(struct cap *c, int ret, const char *what)
{
	/*
	 * A guest power-off is handled by QEMU's main loop even while the
	 * vCPU sits at a breakpoint, so the stub can close during a stop.
	 * Give QEMU a moment: a clean exit ends the capture complete, only
	 * the stop in flight goes unrecorded.
	 */
	if (ret == RSP_EOF) {
		int64_t deadline = rsp_now_ms() + 5000;

		while (qemu_alive(c) && rsp_now_ms() < deadline)
			usleep(10000);
		if (c->qemu_reaped && WIFEXITED(c->qemu_status) &&
		    !WEXITSTATUS(c->qemu_status)) {
			end_capture(c, 1, "QEMU exited (%s) while %s; that "
				    "stop is not recorded",
				    status_text(c->qemu_status), what);
			return -1;
		}
	}
	c->qemu_failed = 1;
	if (!qemu_alive(c))
		end_capture(c, 0, "QEMU died (%s) while %s",
			    status_text(c->qemu_status), what);
	else if (ret == RSP_EOF)
		end_capture(c, 0, "gdb connection lost while %s: %s", what,
			    c->rsp.err);
	else
		end_capture(c, 0, "gdb stub error while %s: %s", what,
			    c->rsp.err);
	return -1;
}

/* One request, one reply, target stopped. */
int transact(struct cap *c, const char *req, const char *what)
{
	int n = rsp_queue(&c->rsp, req, strlen(req));

	if (n || (n = rsp_flush(&c->rsp, c->o->rsp_timeout_ms)) < 0)
		return rsp_error_end(c, n ? n : RSP_ERROR, what);
	return recv_reply(c, what);
}

/*
 * QEMU sent "W xx" (exited with xx) or "X xx" (killed): it is going
 * away. Reap it; the trace is complete if the guest shut it down
 * cleanly (W00 and exit status 0, e.g. a poweroff with -no-reboot).
 */
int exit_packet(struct cap *c)
{
	int64_t deadline = rsp_now_ms() + 5000;
	char pkt[16];

	snprintf(pkt, sizeof(pkt), "%.15s", c->reply);
	while (qemu_alive(c) && rsp_now_ms() < deadline)
		usleep(10000);
	if (!c->qemu_reaped) {
		end_capture(c, 0, "QEMU sent \"%s\" but did not exit", pkt);
		return -1;
	}
	c->qemu_failed = !WIFEXITED(c->qemu_status) ||
			 WEXITSTATUS(c->qemu_status);
	end_capture(c, pkt[0] == 'W' && !strtoul(pkt + 1, NULL, 16) &&
		    !c->qemu_failed, "QEMU exited (%s, gdb \"%s\")",
		    status_text(c->qemu_status), pkt);
	return -1;
}

int recv_reply(struct cap *c, const char *what)
{
	int n = rsp_recv(&c->rsp, c->reply, REPLY_CAP, c->o->rsp_timeout_ms);

	if (n < 0)
		return rsp_error_end(c, n, what);
	/* no reply we ask for starts with W or X (not hex digits) */
	if (c->reply[0] == 'W' || c->reply[0] == 'X')
		return exit_packet(c);
	return n;
}

int flush_requests(struct cap *c, const char *what)
{
	int n = rsp_flush(&c->rsp, c->o->rsp_timeout_ms);

	if (n < 0)
		return rsp_error_end(c, n, what);
	return 0;
}

/* Set single-step flags: ENABLE|NOIRQ|NOTIMER, and check they took. */
int setup_sstep(struct cap *c)
{
	int n = transact(c, "qqemu.sstepbits", "querying qemu.sstepbits");

	if (n < 0)
		return -1;
	if (!n) {
		note("stub does not know qqemu.sstepbits; keeping its single-step default");
		return 0;
	}
	if (!strstr(c->reply, "NOIRQ=2") || !strstr(c->reply, "NOTIMER=4"))
		note("unexpected qemu.sstepbits \"%s\"", c->reply);
	n = transact(c, "Qqemu.sstep=7", "setting qemu.sstep");
	if (n < 0)
		return -1;
	if (strcmp(c->reply, "OK")) {
		end_capture(c, 0,
			    "stub refused Qqemu.sstep=7 (\"%s\"): single steps would not be deterministic",
			    c->reply);
		return -1;
	}
	n = transact(c, "qqemu.sstep", "querying qemu.sstep");
	if (n < 0)
		return -1;
	if (strtoul(c->reply, NULL, 16) != 7) {
		end_capture(c, 0, "qemu.sstep reads back \"%s\", not 0x7",
			    c->reply);
		return -1;
	}
	return 0;
}

/* Parse a stop reply. Returns the signal (>= 0), -1 for W/X (QEMU is
 * exiting), -2 for anything else. */
int stop_signal(const char *r)
{
	if ((r[0] == 'T' || r[0] == 'S') &&
	    rsp_hexval((unsigned char)r[1]) >= 0 &&
	    rsp_hexval((unsigned char)r[2]) >= 0)
		return rsp_hexval((unsigned char)r[1]) << 4 |
		       rsp_hexval((unsigned char)r[2]);
	if (r[0] == 'W' || r[0] == 'X')
		return -1;
	return -2;
}

/* Stop a running target (^C byte) and wait for its stop reply. */
void interrupt_target(struct cap *c)
{
	int64_t deadline = rsp_now_ms() + 3000;

	if (rsp_send_break(&c->rsp))
		return;
	while (rsp_now_ms() < deadline) {
		int n = rsp_recv(&c->rsp, c->reply, REPLY_CAP, 500);

		if (n >= 0 && stop_signal(c->reply) != -2)
			return;
		if (n < 0 && n != RSP_TIMEOUT)
			return;
	}
}
