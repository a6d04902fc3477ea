// SPDX-License-Identifier: GPL-2.0
/*
 * The capture loop: breakpoints on the sites, and at each stop the state,
 * the word, one step, the state again; the progress lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "abt-trace.h"

void progress(struct cap *c, int final)
{
	int64_t now = rsp_now_ms();
	double el = (double)(now - c->t0) / 1000.0;

	if (c->o->quiet && !final)
		return;
	if (!final && now - c->last_progress < 1000)
		return;
	c->last_progress = now;
	if (c->in_prepass) {
		fprintf(stderr,
			"abt-trace: prepass %5.1fs  %" PRIu64 " instructions translated, %u sites outside the images\n",
			el, c->nlogged, c->nextra_sites);
		return;
	}
	fprintf(stderr,
		"abt-trace: %7.1fs  %" PRIu64 " records, %u distinct sites (%u done at K=%u), %u breakpoints set, %" PRIu64 " stops, %.0f records/s\n",
		el, c->nrecords, c->ndistinct, c->ndone, c->o->per_site,
		c->nbp, c->nstops, el > 0 ? (double)c->nrecords / el : 0.0);
}

/* Set (insert=1) or remove breakpoints on sites [from, to), pipelined. */
int set_breakpoints(struct cap *c, size_t from, size_t to)
{
	const size_t batch = 128;
	size_t i, j;
	int n;

	for (i = from; i < to; i += batch) {
		size_t e = i + batch < to ? i + batch : to;

		for (j = i; j < e; j++)
			if (rsp_queuef(&c->rsp, "Z0,%x,4", c->sites.v[j].pc))
				return rsp_error_end(c, RSP_ERROR,
						     "setting breakpoints");
		if (flush_requests(c, "setting breakpoints"))
			return -1;
		for (j = i; j < e; j++) {
			n = recv_reply(c, "setting breakpoints");
			if (n < 0)
				return -1;
			if (!strcmp(c->reply, "OK")) {
				c->sites.v[j].bp = 1;
				c->nbp++;
			} else {
				end_capture(c, 0,
					    "breakpoint at 0x%08x refused: \"%s\"",
					    c->sites.v[j].pc, c->reply);
				return -1;
			}
		}
	}
	return 0;
}

static void dump_record(struct cap *c, const struct abtt_record *r, int rule)
{
	static const char *const cn[] = { "pc", "msr", "cr", "xer", "lr",
					  "ctr" };
	const uint32_t *a[6] = { &r->pre.pc, &r->pre.msr, &r->pre.cr,
				 &r->pre.xer, &r->pre.lr, &r->pre.ctr };
	const uint32_t *b[6] = { &r->post.pc, &r->post.msr, &r->post.cr,
				 &r->post.xer, &r->post.lr, &r->post.ctr };
	FILE *f = c->dump;
	int i;

	fprintf(f, "%" PRIu64 " pc=%08x word=%08x %s hit=%u:", c->nrecords,
		r->pc, r->word, rule ? abt_rules[rule].name : "?", r->hit);
	for (i = 0; i < 32; i++)
		if (r->pre.gpr[i] != r->post.gpr[i])
			fprintf(f, " r%d %x->%x", i, r->pre.gpr[i],
				r->post.gpr[i]);
	for (i = 0; i < 6; i++)
		if (*a[i] != *b[i] || i == 1)
			fprintf(f, " %s %x->%x", cn[i], *a[i], *b[i]);
	for (i = 0; i < c->map.nspr; i++)
		if (r->pre.spr[i] != r->post.spr[i])
			fprintf(f, " %s %x->%x", c->map.spr_name[i],
				r->pre.spr[i], r->post.spr[i]);
	fputc('\n', f);
}

/*
 * A stop that is not a breakpoint. QEMU reports a guest shutdown as
 * signal 3, then sends "W00" and exits: give it a moment to do so.
 * Returns 0 to resume, -1 when the capture ended.
 */
int other_stop(struct cap *c, int sig)
{
	int n = rsp_recv(&c->rsp, c->reply, REPLY_CAP, 2000);

	if (n >= 0 && (c->reply[0] == 'W' || c->reply[0] == 'X'))
		return exit_packet(c);
	if (n != RSP_TIMEOUT)
		return rsp_error_end(c, n >= 0 ? RSP_ERROR : n,
				     "waiting after a stop with a signal other than 5");
	if (!qemu_alive(c))
		return rsp_error_end(c, RSP_EOF, "stopped");
	if (++c->nodd > MAX_ODD_STOPS) {
		end_capture(c, 0, "%d stops not at a breakpoint (last: signal %d)",
			    MAX_ODD_STOPS, sig);
		return -1;
	}
	return 0;
}

/*
 * The target stopped. At a site: state, word, one step, state, record.
 * Then continue (or not, if the capture ended). Returns 0 to go on
 * running, -1 when the capture ended.
 */
int handle_stop(struct cap *c, int sig)
{
	struct abtt_record rec;
	struct site *s;
	struct abt_fields f;
	int64_t t = rsp_now_ms();
	int n, rule, fetched = 0;
	char req[64];

	c->nstops++;
	if (sig != 5) {
		if (other_stop(c, sig))
			return -1;
		goto resume;
	}
	memset(&rec, 0, sizeof(rec));
	if (read_state(c, &rec.pre, "reading the state before the step"))
		return -1;
	s = site_find(&c->sites, rec.pre.pc);
	if (!s || !s->bp) {
		/* not one of ours (e.g. a stop we did not ask for) */
		if (++c->nodd > MAX_ODD_STOPS) {
			end_capture(c, 0,
				    "%d stops at no breakpoint (last: pc 0x%08x, signal %d)",
				    MAX_ODD_STOPS, rec.pre.pc, sig);
			return -1;
		}
		goto resume;
	}

	snprintf(req, sizeof(req), "m%x,4", rec.pre.pc);
	n = transact(c, req, "reading the instruction word");
	if (n < 0)
		return -1;
	if (n == 8 && !rsp_hex_be32(c->reply, &rec.word))
		fetched = 1;
	rule = fetched ? (int)abt_decode(rec.word, &f) : ABT_RULE_NONE;

	/* one instruction, interrupts and timers masked */
	if (rsp_queue(&c->rsp, "s", 1) ||
	    flush_requests(c, "single-stepping"))
		return rsp_error_end(c, RSP_ERROR, "single-stepping");
	n = recv_reply(c, "single-stepping");
	if (n < 0)
		return -1;
	n = stop_signal(c->reply);
	if (n < 0) {
		end_capture(c, 0, "QEMU %s during a single step (\"%.20s\")",
			    n == -1 ? "exited" : "sent an odd reply",
			    c->reply);
		return -1;
	}

	if (!fetched) {
		/* The page is not mapped yet: the step raised an
		 * instruction TLB miss; the guest will come back. */
		c->nunfetchable++;
		goto resume;
	}
	if (rule == ABT_RULE_NONE) {
		/* other code at this address (another mapping) */
		c->nforeign++;
		goto resume;
	}
	if (read_state(c, &rec.post, "reading the state after the step"))
		return -1;
	rec.pc = rec.pre.pc;
	rec.hit = s->hits;
	if (c->w && abtt_write(c->w, &rec)) {
		end_capture(c, 0, "writing the trace failed");
		return -1;
	}
	if (c->dump)
		dump_record(c, &rec, rule);
	c->nrecords++;
	if (!s->hits++)
		c->ndistinct++;
	if (s->hits >= c->o->per_site) {
		snprintf(req, sizeof(req), "z0,%x,4", s->pc);
		n = transact(c, req, "removing a breakpoint");
		if (n < 0)
			return -1;
		if (strcmp(c->reply, "OK"))
			note("removing the breakpoint at 0x%08x: \"%s\"", s->pc,
			     c->reply);
		s->bp = 0;
		c->nbp--;
		c->ndone++;
	}
	if (c->o->max_records && c->nrecords >= c->o->max_records)
		end_capture(c, 1, "%" PRIu64 " records (--max-records)",
			    c->nrecords);
	if (!c->nbp)
		end_capture(c, 1, "every site recorded %u times",
			    c->o->per_site);
resume:
	c->stop_ms += rsp_now_ms() - t;
	if (c->ended)
		return -1;
	if (rsp_queue(&c->rsp, "c", 1) || flush_requests(c, "continuing"))
		return -1;
	return 0;
}

/* While the guest runs: wait for a stop, feeding the console. Returns
 * the stop's signal, or -1 when the capture ended (target state in
 * *running). */
int wait_stop(struct cap *c, int *running)
{
	int64_t deadline = c->o->timeout_s > 0 ?
		c->t0 + (int64_t)(c->o->timeout_s * 1000) : 0;
	int out_open = 1, eof = 0;

	*running = 1;
	for (;;) {
		struct pollfd p[5];
		int n, np = 0, wait_ms = 200;

		n = rsp_take(&c->rsp, c->reply, REPLY_CAP);
		if (n >= 0) {
			int sig = stop_signal(c->reply);

			if (sig == -2)
				continue;	/* console 'O' or junk */
			*running = 0;
			if (sig == -1)
				return exit_packet(c);
			rsp_flush_acks(&c->rsp);	/* target stopped */
			return sig;
		}
		if (n != RSP_TIMEOUT || eof) {
			if (eof && qemu_alive(c))
				usleep(100000);	/* let it exit */
			rsp_error_end(c, eof ? RSP_EOF : n,
				      "waiting for a stop");
			*running = 0;
			return -1;
		}

		if (out_open && drain_console(c))
			out_open = 0;
		drain_qemu_err(c);
		if (c->logfd >= 0 && drain_log(c)) {
			close(c->logfd);
			c->logfd = -1;
		}
		if (got_signal)
			end_capture(c, 0, "interrupted by %s",
				    signame(got_signal));
		if (deadline && rsp_now_ms() >= deadline)
			end_capture(c, 0, "timeout after %g s (--timeout)",
				    c->o->timeout_s);
		if (!qemu_alive(c)) {
			c->qemu_failed = 1;
			end_capture(c, 0, "QEMU died (%s)",
				    status_text(c->qemu_status));
			*running = 0;
			return -1;
		}
		if (c->ended)
			return -1;	/* still running: caller stops it */
		progress(c, 0);
		flush_qemu_in(c);

		p[np++] = (struct pollfd){ .fd = c->rsp.fd, .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = c->qemu_err,
					   .events = POLLIN };
		if (out_open)
			p[np++] = (struct pollfd){ .fd = c->qemu_out,
						   .events = POLLIN };
		if (c->pendlen)
			p[np++] = (struct pollfd){ .fd = c->qemu_in,
						   .events = POLLOUT };
		if (c->logfd >= 0)
			p[np++] = (struct pollfd){ .fd = c->logfd,
						   .events = POLLIN };
		n = poll(p, (nfds_t)np, wait_ms);
		if (n < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		/* on EOF, the packets already buffered (a "W00") go first */
		if (n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    rsp_fill(&c->rsp) < 0)
			eof = 1;
	}
}
