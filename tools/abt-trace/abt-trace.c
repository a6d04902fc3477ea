// SPDX-License-Identifier: GPL-2.0
/*
 * abt-trace: capture a golden trace of privileged e500v2 instructions on
 * QEMU's ppce500 machine.
 *
 * It starts qemu-system-ppc paused with its gdb stub on a loopback port,
 * speaks the GDB remote serial protocol to it (rsp.c), sets a breakpoint
 * on every privileged instruction our generated decoder finds in the
 * guest's ELF images, and at each hit records the architectural state,
 * the instruction word, single-steps once and records the state again.
 * A site is dropped (breakpoint removed) after --per-site executions.
 * Output: a trace file (tools/trace/abtt.h, docs/golden-trace-format.md)
 * and, with --dump, a text listing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abt-trace.h"

static void fill_header(struct cap *c)
{
	struct abtt_header *h = &c->hdr;
	const struct opts *o = c->o;
	char buf[4096];
	size_t len;
	int i;

	memset(h, 0, sizeof(*h));
	if (o->guest) {
		snprintf(h->guest, sizeof(h->guest), "%s", o->guest);
	} else if (!o->nelf) {
		snprintf(h->guest, sizeof(h->guest), "unknown");
	} else {
		const char *b = strrchr(o->elf[0].path, '/');

		snprintf(h->guest, sizeof(h->guest), "%s",
			 b ? b + 1 : o->elf[0].path);
	}
	snprintf(h->qemu, sizeof(h->qemu), "%s", c->qemu_version);
	snprintf(h->cpu, sizeof(h->cpu), "e500v2");

	len = (size_t)snprintf(buf, sizeof(buf), "K=%u sites=%s%s%s%s%s elf=",
			       o->per_site, o->nelf ? "elf-scan" : "",
			       o->nelf && o->prepass ? "," : "",
			       o->prepass ? "prepass-in_asm" : "",
			       (o->nelf || o->prepass) && o->sites_path ?
			       "," : "",
			       o->sites_path ? "list" : "");
	if (o->rule)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					" rule=%s", abt_rules[o->rule].name);
	for (i = 0; i < o->nelf; i++) {
		const char *b = strrchr(o->elf[i].path, '/');

		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"%s%s@0x%x", i ? "," : "",
					b ? b + 1 : o->elf[i].path,
					o->elf[i].bias);
		if (len >= sizeof(buf))
			break;
	}
	if (len < sizeof(buf)) {
		/* the QEMU arguments after our fixed prefix */
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					" sstep=0x7 qemu:");
		for (i = 0; i < o->nqargs && len < sizeof(buf); i++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
						" %s", o->qargs[i]);
	}
	if (strlen(buf) >= sizeof(h->options)) {
		memcpy(h->options, buf, sizeof(h->options) - 4);
		strcpy(h->options + sizeof(h->options) - 4, "...");
	} else {
		strcpy(h->options, buf);
	}
	h->nspr = (uint32_t)c->map.nspr;
	for (i = 0; i < c->map.nspr; i++) {
		h->spr[i] = c->map.spr_num[i];
		memcpy(h->spr_name[i], c->map.spr_name[i],
		       sizeof(h->spr_name[i]));
	}
}

int main(int argc, char **argv)
{
	struct opts o;
	struct cap c;
	struct sigaction sa;
	char err[ABTT_ERR_LEN];
	int i, running = 0, ret;

	parse_opts(&o, argc, argv);
	memset(&c, 0, sizeof(c));
	c.o = &o;
	c.rsp.fd = -1;
	c.logfd = -1;
	c.reply = malloc(REPLY_CAP);
	c.con = malloc(CONSOLE_KEEP);
	c.tail = malloc(o.until_console ? strlen(o.until_console) : 1);
	if (!c.reply || !c.con || !c.tail)
		die("out of memory");
	if (o.script_path)
		c.script = load_script(o.script_path, &c.nsteps);
	if (o.console_log) {
		c.clog = strcmp(o.console_log, "-") ?
			fopen(o.console_log, "w") : stderr;
		if (!c.clog)
			die("--console-log %s: %s", o.console_log,
			    strerror(errno));
	}
	if (o.dump) {
		c.dump = strcmp(o.dump, "-") ? fopen(o.dump, "w") : stdout;
		if (!c.dump)
			die("--dump %s: %s", o.dump, strerror(errno));
	}

	for (i = 0; i < o.nelf; i++)
		scan_elf(&c.sites, &o.elf[i], i);
	for (i = 0; i < o.nelf; i++)
		note("%s@0x%x: %u sites (%s)", o.elf[i].path, o.elf[i].bias,
		     o.elf[i].nsites, o.elf[i].method);
	if (o.sites_path)
		filter_sites(&c.sites, o.sites_path);
	if (o.rule)
		filter_rule(&c.sites, o.rule);
	if (!c.sites.n && !o.prepass)
		die("no site to arm: no privileged instruction in the --elf images%s",
		    o.sites_path ? " that --sites lists" : "");
	qemu_version(&c);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	ret = 0;
	if (o.prepass)
		ret = run_prepass(&c);
	if (!ret && !c.sites.n) {
		end_capture(&c, 0, "no site to arm: the prepass saw none");
		ret = -1;
	}
	c.t0 = c.last_progress = rsp_now_ms();
	if (!ret)
		ret = start_session(&c);
	/* the trace exists from here on, even if QEMU failed to start:
	 * a truncated trace with the reason in its trailer */
	fill_header(&c);
	if (o.out) {
		c.w = abtt_create(o.out, &c.hdr, o.compress, err, sizeof(err));
		if (!c.w) {
			note("%s: %s", o.out, err);
			stop_qemu(&c, !c.ended);
			return 1;
		}
	}
	if (ret)
		goto end;
	if (!o.quiet) {
		note("%u SPRs captured by name (of %d registers described):",
		     c.map.nspr, c.map.n);
		fputs("abt-trace:  ", stderr);
		for (i = 0; i < c.map.nspr; i++)
			fprintf(stderr, " %s=%u", c.map.spr_name[i],
				c.map.spr_num[i]);
		fputc('\n', stderr);
	}
	if (set_breakpoints(&c, 0, c.sites.n))
		goto end;
	note("%u breakpoints set (%zu sites, K=%u); running", c.nbp,
	     c.sites.n, o.per_site);
	script_advance(&c);
	if (c.ended)
		goto end;
	c.t0 = c.last_progress = rsp_now_ms();
	if (rsp_queue(&c.rsp, "c", 1) ||
	    flush_requests(&c, "starting the guest"))
		goto end;
	for (;;) {
		int sig = wait_stop(&c, &running);

		if (sig < 0)
			break;
		if (handle_stop(&c, sig))
			break;
		running = 1;
		/* progress and signals while stopping often */
		if (got_signal)
			end_capture(&c, 0, "interrupted by %s",
				    signame(got_signal));
		progress(&c, 0);
	}
end:
	if (!c.ended)
		end_capture(&c, 0, "internal error: capture loop ended");
	if (running && c.rsp.fd >= 0 && qemu_alive(&c))
		interrupt_target(&c);
	drain_console(&c);
	stop_qemu(&c, 1);
	drain_qemu_err(&c);
	progress(&c, 1);
	note("%s: %s", c.complete ? "complete" : "TRUNCATED", c.reason);
	if (c.qemu_failed)
		show_qemu_err(&c);
	note("%" PRIu64 " records, %u distinct sites of %zu, %" PRIu64 " stops (%" PRIu64 " not at a site, %" PRIu64 " unfetchable, %" PRIu64 " other code), %" PRIu64 " SPR read errors, %.1f s in stops, %" PRIu64 " packets out / %" PRIu64 " in",
	     c.nrecords, c.ndistinct, c.sites.n, c.nstops, c.nodd,
	     c.nunfetchable, c.nforeign, c.nspr_errors,
	     (double)c.stop_ms / 1000.0, c.rsp.npackets_out,
	     c.rsp.npackets_in);
	ret = c.complete ? 0 : 1;
	if (c.w) {
		if (abtt_finish(c.w, c.complete, c.complete ? "" : c.reason,
				err, sizeof(err))) {
			note("%s: %s", o.out, err);
			ret = 1;
		} else {
			note("wrote %s", o.out);
		}
	}
	if (c.dump && c.dump != stdout)
		fclose(c.dump);
	if (c.clog && c.clog != stderr)
		fclose(c.clog);
	rsp_close(&c.rsp);
	for (i = 0; i < c.nsteps; i++)
		free(c.script[i].text);
	free(c.script);
	for (i = 0; i < o.nelf; i++)
		free((char *)o.elf[i].path);
	free(c.sites.v);
	free(c.sites.hash);
	free(c.map.seen);
	free(c.qemu_cmdline);
	free(c.reply);
	free(c.con);
	free(c.tail);
	free(c.pend);
	return ret;
}
