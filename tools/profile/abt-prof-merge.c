// SPDX-License-Identifier: GPL-2.0
/*
 * abt-prof-merge: put a profile together from the two views of one QEMU
 * run: the abt-prof.so plugin's events (EXEC, LOAD, STORE, pages) and an
 * abt-trace capture of the tlbwe sites of the same run (MAS0-3 at every
 * tlbwe). Each tlbwe EXEC event of the plugin is matched, in order, with
 * the trace's next supervisor tlbwe record; a TLB1 event follows it when
 * that tlbwe wrote TLB1. Optionally capped to the first N events.
 * docs/profile-format.md, "Capture".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "abt_gen.h"
#include "abtp.h"
#include "abtt.h"

#define SPR_MAS0	624
#define SPR_MAS1	625
#define SPR_MAS2	626
#define SPR_MAS3	627
#define MSR_PR		(1u << 14)

static const char usage_text[] =
"usage: abt-prof-merge [options] -o OUT.abtp --tlb TLB.abtt RAW.abtp\n"
"\n"
"Merge the plugin's profile of a run (RAW.abtp, written by\n"
"build/abt-prof.so) with the abt-trace capture of the tlbwe sites of the\n"
"same run (TLB.abtt: abt-trace --rule tlbwe -k 1000000 ... -- ...\n"
"-plugin build/abt-prof.so,...). Every tlbwe EXEC event of RAW is matched,\n"
"in order, with TLB.abtt's next tlbwe record taken in supervisor mode\n"
"(MSR[PR] = 0); both must be at the same PC and run out together, or\n"
"nothing is written. A TLB1 event (MAS0-3 from the record) follows each\n"
"tlbwe whose MAS0 selects TLB1. docs/profile-format.md, \"Capture\".\n"
"\n"
"Options:\n"
"  -o, --output FILE      profile to write (atomically)\n"
"      --tlb FILE         the abt-trace capture of the tlbwe sites\n"
"  -n, --max-events N     size cap: keep the first N events (a TLB1 event\n"
"                         stays with its tlbwe) and the pages of the kept\n"
"                         EXEC events; recorded in the options string\n"
"      --max-icount I     keep only the events before instruction I, and\n"
"                         end the profile there (icount_end = I); the run\n"
"                         must have got that far. For a run whose end\n"
"                         follows console input, which QEMU takes in at a\n"
"                         host-timing-dependent icount (U-Boot's): a fixed\n"
"                         end keeps the file the same from run to run\n"
"      --max-bytes B      size cap: if the profile comes out larger than B\n"
"                         bytes, write it again with fewer events (the\n"
"                         --max-events it then used is recorded)\n"
"  -g, --guest NAME       guest name (default: RAW's, else TLB's)\n"
"      --note TEXT        appended to the options string\n"
"  -q, --quiet            no summary\n"
"  -h, --help             this text\n"
"\n"
"Exit status: 0 written, 1 the inputs disagree or are damaged, 2 usage.\n";

static void die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
static void die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("abt-prof-merge: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static int is_tlbwe(uint32_t word)
{
	struct abt_fields f;

	return abt_decode(word, &f) == ABT_RULE_tlbwe;
}

struct tlbsrc {
	struct abtt_reader *t;
	const char *path;
	int mas[4];
	uint64_t nrec, nused, nuser, nother;
};

/* The next supervisor tlbwe record; 0 at the end. */
static int next_tlbwe(struct tlbsrc *s, struct abtt_record *rec)
{
	int ret;

	while ((ret = abtt_next(s->t, rec)) == 1) {
		s->nrec++;
		if (!is_tlbwe(rec->word)) {
			s->nother++;	/* other code at an armed address */
			continue;
		}
		if (rec->pre.msr & MSR_PR) {
			s->nuser++;	/* trapped: the plugin dropped it */
			continue;
		}
		return 1;
	}
	if (ret < 0)
		die(1, "%s: %s", s->path, abtt_error(s->t));
	return 0;
}

static uint8_t *page_bitmap;

static void mark_page(uint32_t ea)
{
	uint32_t pg = ea >> 12;

	page_bitmap[pg / 8] |= (uint8_t)(1u << (pg % 8));
}

struct merge {
	const char *out, *rawpath, *tlbpath, *guest, *note;
	uint64_t max_events, max_icount, max_bytes;
	struct abtp_reader *raw;
	struct tlbsrc src;
	/* what the caps keep (plan()) */
	uint64_t nin, nkeep, cut_at, matched;
	int cut;
	/* written (write_profile()) */
	uint64_t nout, ntlb1, size;
	uint32_t npages;
	char opts[256];
};

static void tlb_open(struct merge *m)
{
	char err[ABTT_ERR_LEN];
	const struct abtt_header *th;
	int i;

	if (m->src.t)
		abtt_close(m->src.t);
	memset(&m->src, 0, sizeof(m->src));
	m->src.path = m->tlbpath;
	m->src.t = abtt_open(m->tlbpath, err, sizeof(err));
	if (!m->src.t)
		die(1, "%s", err);
	th = abtt_get_header(m->src.t);
	for (i = 0; i < 4; i++) {
		m->src.mas[i] = abtt_spr_index(th, SPR_MAS0 + i);
		if (m->src.mas[i] < 0)
			die(1, "%s: MAS%d (SPR %d) not captured", m->tlbpath,
			    i, SPR_MAS0 + i);
	}
}

static int writes_tlb1(const struct merge *m, const struct abtt_record *rec)
{
	return (rec->pre.spr[m->src.mas[0]] >> 28 & 3) == 1;
}

/* First pass: match every tlbwe with its record; find what the caps
 * keep and mark the pages of the kept EXEC events. */
static void plan(struct merge *m, uint64_t max_events)
{
	static struct abtt_record rec;
	struct abtp_event ev;

	tlb_open(m);
	memset(page_bitmap, 0, (1u << 20) / 8);
	m->nin = m->nkeep = m->cut_at = 0;
	m->cut = 0;
	abtp_rewind(m->raw);
	while (abtp_next(m->raw, &ev)) {
		int tlb1 = 0;

		m->nin++;
		if (ev.kind == ABTP_EV_EXEC && is_tlbwe(ev.word)) {
			if (!next_tlbwe(&m->src, &rec))
				die(1, "tlbwe %" PRIu64 " at pc 0x%08x (icount %" PRIu64 ") of %s has no record left in %s",
				    m->src.nused + 1, ev.pc, ev.icount,
				    m->rawpath, m->tlbpath);
			if (rec.pc != ev.pc)
				die(1, "tlbwe %" PRIu64 " (icount %" PRIu64 "): %s says pc 0x%08x, %s says 0x%08x: not the same run?",
				    m->src.nused + 1, ev.icount, m->rawpath,
				    ev.pc, m->tlbpath, rec.pc);
			m->src.nused++;
			tlb1 = writes_tlb1(m, &rec);
		} else if (ev.kind == ABTP_EV_TLB1) {
			die(1, "%s already holds TLB1 events", m->rawpath);
		}
		if (!m->cut && m->max_icount && ev.icount >= m->max_icount) {
			m->cut = 1;
			m->cut_at = m->max_icount;
		}
		if (!m->cut && max_events &&
		    m->nkeep + 1 + tlb1 > max_events) {
			m->cut = 1;
			m->cut_at = ev.icount;
		}
		if (m->cut)
			continue;	/* the rest is still matched */
		m->nkeep += 1 + tlb1;
		if (ev.kind == ABTP_EV_EXEC)
			mark_page(ev.pc);
	}
	if (next_tlbwe(&m->src, &rec))
		die(1, "%s: supervisor tlbwe record at pc 0x%08x (after %" PRIu64 " matched) that %s does not have",
		    m->tlbpath, rec.pc, m->src.nused, m->rawpath);
	m->matched = m->src.nused;
}

/* Second pass: the kept events, a TLB1 event after each tlbwe that
 * wrote TLB1, the pages; atomically. */
static void write_profile(struct merge *m, uint64_t max_events)
{
	static struct abtt_record rec;
	const struct abtt_header *th;
	char err[ABTP_ERR_LEN], options[1024];
	struct abtp_writer *w;
	struct abtp_event ev;
	struct stat st;
	const char *q;
	uint32_t k;
	int len;

	tlb_open(m);
	th = abtt_get_header(m->src.t);
	len = snprintf(m->opts, sizeof(m->opts), "cap=");
	if (max_events)
		len += snprintf(m->opts + len, sizeof(m->opts) - len,
				"events:%" PRIu64 ",", max_events);
	if (m->max_icount)
		len += snprintf(m->opts + len, sizeof(m->opts) - len,
				"icount:%" PRIu64 ",", m->max_icount);
	if (m->max_bytes)
		len += snprintf(m->opts + len, sizeof(m->opts) - len,
				"bytes:%" PRIu64 ",", m->max_bytes);
	if (len == 4)
		snprintf(m->opts + len, sizeof(m->opts) - len, "none");
	else if (m->cut)
		snprintf(m->opts + len - 1, sizeof(m->opts) - len + 1,
			 " (cut at icount %" PRIu64 ")", m->cut_at);
	else
		snprintf(m->opts + len - 1, sizeof(m->opts) - len + 1,
			 " (not reached)");
	q = strstr(th->options, "qemu:");
	len = snprintf(options, sizeof(options),
		       "%s tlb1=abt-trace(rule=tlbwe) %s%s%s %s",
		       abtp_info(m->raw)->options, m->opts,
		       *m->note ? " " : "", m->note, q ? q : "");
	if (len >= 256)
		memcpy(options + 252, "...", 4);
	w = abtp_create(m->out, m->guest ? m->guest :
			abtp_info(m->raw)->guest[0] ?
			abtp_info(m->raw)->guest : th->guest, th->qemu,
			options, err, sizeof(err));
	if (!w)
		die(1, "%s", err);
	m->nout = m->ntlb1 = 0;
	m->npages = 0;
	abtp_rewind(m->raw);
	while (m->nout < m->nkeep && abtp_next(m->raw, &ev)) {
		struct abtp_event t;

		if (abtp_add_event(w, &ev))
			goto werr;
		m->nout++;
		if (ev.kind != ABTP_EV_EXEC || !is_tlbwe(ev.word))
			continue;
		next_tlbwe(&m->src, &rec);
		if (!writes_tlb1(m, &rec))
			continue;
		memset(&t, 0, sizeof(t));
		t.icount = ev.icount;
		t.pc = ev.pc;
		t.kind = ABTP_EV_TLB1;
		t.word = rec.pre.spr[m->src.mas[0]];
		t.mas1 = rec.pre.spr[m->src.mas[1]];
		t.ea = rec.pre.spr[m->src.mas[2]];
		t.mas3 = rec.pre.spr[m->src.mas[3]];
		if (abtp_add_event(w, &t))
			goto werr;
		m->nout++;
		m->ntlb1++;
	}
	for (k = 0; k < abtp_info(m->raw)->npages; k++) {
		const struct abtp_page *pg = &abtp_pages(m->raw)[k];
		uint32_t p = pg->ea >> 12;

		if (!(page_bitmap[p / 8] >> (p % 8) & 1))
			continue;
		if (abtp_add_page(w, pg))
			goto werr;
		m->npages++;
	}
	if (abtp_set_icount_end(w, m->cut ? m->cut_at :
				abtp_info(m->raw)->icount_end))
		goto werr;
	if (abtp_finish(w, err, sizeof(err)))
		die(1, "%s", err);
	if (stat(m->out, &st))
		die(1, "%s: %s", m->out, strerror(errno));
	m->size = (uint64_t)st.st_size;
	return;
werr:
	fprintf(stderr, "abt-prof-merge: %s: %s\n", m->out,
		abtp_writer_error(w));
	abtp_abort(w);
	exit(1);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "tlb", required_argument, NULL, 'T' },
		{ "max-events", required_argument, NULL, 'n' },
		{ "max-icount", required_argument, NULL, 'I' },
		{ "max-bytes", required_argument, NULL, 'B' },
		{ "guest", required_argument, NULL, 'g' },
		{ "note", required_argument, NULL, 'N' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct merge m;
	char err[ABTP_ERR_LEN];
	uint64_t max_events, *v;
	int c, quiet = 0, tries;
	char *end;

	memset(&m, 0, sizeof(m));
	m.note = "";
	while ((c = getopt_long(argc, argv, "o:n:g:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			m.out = optarg;
			break;
		case 'T':
			m.tlbpath = optarg;
			break;
		case 'n':
		case 'I':
		case 'B':
			v = c == 'n' ? &m.max_events : c == 'I' ?
				&m.max_icount : &m.max_bytes;
			errno = 0;
			*v = strtoull(optarg, &end, 0);
			if (errno || *end || !*optarg || *optarg == '-' || !*v)
				die(2, "--max-%s: bad number '%s'",
				    c == 'n' ? "events" : c == 'I' ?
				    "icount" : "bytes", optarg);
			break;
		case 'g':
			m.guest = optarg;
			break;
		case 'N':
			m.note = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs("Try 'abt-prof-merge --help'.\n", stderr);
			return 2;
		}
	}
	if (!m.out || !m.tlbpath || optind + 1 != argc)
		die(2, "need -o OUT.abtp, --tlb TLB.abtt and one RAW.abtp (--help)");
	m.rawpath = argv[optind];
	m.raw = abtp_open(m.rawpath, err, sizeof(err));
	if (!m.raw)
		die(1, "%s", err);
	if (m.max_icount && abtp_info(m.raw)->icount_end < m.max_icount)
		die(1, "%s: the run ended at icount %" PRIu64 ", before --max-icount %" PRIu64,
		    m.rawpath, abtp_info(m.raw)->icount_end, m.max_icount);
	page_bitmap = calloc((1u << 20) / 8, 1);
	if (!page_bitmap)
		die(1, "out of memory");

	max_events = m.max_events;
	for (tries = 0;; tries++) {
		plan(&m, max_events);
		if (tries == 0 && (m.src.nuser || m.src.nother))
			fprintf(stderr, "abt-prof-merge: %s: %" PRIu64 " user-mode tlbwe records and %" PRIu64 " records of other code skipped\n",
				m.tlbpath, m.src.nuser, m.src.nother);
		write_profile(&m, max_events);
		if (!m.max_bytes || m.size <= m.max_bytes)
			break;
		if (tries == 20 || m.nkeep < 2)
			die(1, "%s: cannot get under %" PRIu64 " bytes",
			    m.out, m.max_bytes);
		/* fewer events, in proportion, with a margin */
		max_events = (uint64_t)((double)m.nkeep *
					(double)m.max_bytes /
					(double)m.size * 0.95);
		if (!quiet)
			fprintf(stderr, "abt-prof-merge: %" PRIu64 " bytes over --max-bytes %" PRIu64 ": again with --max-events %" PRIu64 "\n",
				m.size, m.max_bytes, max_events);
	}
	if (!quiet)
		fprintf(stderr,
			"abt-prof-merge: wrote %s: %" PRIu64 " bytes, %" PRIu64 " of %" PRIu64 " plugin events, %" PRIu64 " tlbwe matched, %" PRIu64 " TLB1 events, %u pages; %s\n",
			m.out, m.size, m.nout - m.ntlb1, m.nin, m.matched,
			m.ntlb1, m.npages, m.opts);
	abtt_close(m.src.t);
	abtp_close(m.raw);
	free(page_bitmap);
	return 0;
}
