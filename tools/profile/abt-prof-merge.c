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

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "tlb", required_argument, NULL, 'T' },
		{ "max-events", required_argument, NULL, 'n' },
		{ "max-icount", required_argument, NULL, 'I' },
		{ "guest", required_argument, NULL, 'g' },
		{ "note", required_argument, NULL, 'N' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *out = NULL, *tlb = NULL, *guest = NULL, *note = "";
	uint64_t max_events = 0, max_icount = 0, nin = 0, nkeep = 0;
	uint64_t nout = 0, ntlb1 = 0, cut_at = 0, icount_end, matched;
	char err[ABTP_ERR_LEN], options[1024], opts[256];
	struct abtp_reader *raw;
	struct abtp_writer *w;
	struct abtp_event ev;
	static struct abtt_record rec;
	struct tlbsrc src = { 0 };
	const struct abtt_header *th;
	int c, quiet = 0, cut = 0, i;
	uint32_t k, npages = 0;
	char *end;

	while ((c = getopt_long(argc, argv, "o:n:g:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'T':
			tlb = optarg;
			break;
		case 'n':
		case 'I':
			errno = 0;
			*(c == 'n' ? &max_events : &max_icount) =
				strtoull(optarg, &end, 0);
			if (errno || *end || !*optarg || *optarg == '-' ||
			    !(c == 'n' ? max_events : max_icount))
				die(2, "--max-%s: bad number '%s'",
				    c == 'n' ? "events" : "icount", optarg);
			break;
		case 'g':
			guest = optarg;
			break;
		case 'N':
			note = optarg;
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
	if (!out || !tlb || optind + 1 != argc)
		die(2, "need -o OUT.abtp, --tlb TLB.abtt and one RAW.abtp (--help)");

	raw = abtp_open(argv[optind], err, sizeof(err));
	if (!raw)
		die(1, "%s", err);
	if (max_icount && abtp_info(raw)->icount_end < max_icount)
		die(1, "%s: the run ended at icount %" PRIu64 ", before --max-icount %" PRIu64,
		    argv[optind], abtp_info(raw)->icount_end, max_icount);
	src.path = tlb;
	src.t = abtt_open(tlb, err, sizeof(err));
	if (!src.t)
		die(1, "%s", err);
	th = abtt_get_header(src.t);
	src.mas[0] = abtt_spr_index(th, SPR_MAS0);
	src.mas[1] = abtt_spr_index(th, SPR_MAS1);
	src.mas[2] = abtt_spr_index(th, SPR_MAS2);
	src.mas[3] = abtt_spr_index(th, SPR_MAS3);
	for (i = 0; i < 4; i++)
		if (src.mas[i] < 0)
			die(1, "%s: MAS%d (SPR %d) not captured", tlb, i,
			    SPR_MAS0 + i);
	page_bitmap = calloc((1u << 20) / 8, 1);
	if (!page_bitmap)
		die(1, "out of memory");

	/* first pass: match every tlbwe, find what the caps keep */
	while (abtp_next(raw, &ev)) {
		int tlb1 = 0;

		nin++;
		if (ev.kind == ABTP_EV_EXEC && is_tlbwe(ev.word)) {
			if (!next_tlbwe(&src, &rec))
				die(1, "tlbwe %" PRIu64 " at pc 0x%08x (icount %" PRIu64 ") of %s has no record left in %s",
				    src.nused + 1, ev.pc, ev.icount,
				    argv[optind], tlb);
			if (rec.pc != ev.pc)
				die(1, "tlbwe %" PRIu64 " (icount %" PRIu64 "): %s says pc 0x%08x, %s says 0x%08x: not the same run?",
				    src.nused + 1, ev.icount, argv[optind],
				    ev.pc, tlb, rec.pc);
			src.nused++;
			tlb1 = (rec.pre.spr[src.mas[0]] >> 28 & 3) == 1;
		} else if (ev.kind == ABTP_EV_TLB1) {
			die(1, "%s already holds TLB1 events", argv[optind]);
		}
		if (!cut && max_icount && ev.icount >= max_icount) {
			cut = 1;
			cut_at = max_icount;
		}
		if (!cut && max_events && nkeep + 1 + tlb1 > max_events) {
			cut = 1;
			cut_at = ev.icount;
		}
		if (cut)
			continue;	/* the rest is still matched */
		nkeep += 1 + tlb1;
		if (ev.kind == ABTP_EV_EXEC)
			mark_page(ev.pc);
	}
	if (next_tlbwe(&src, &rec))
		die(1, "%s: supervisor tlbwe record at pc 0x%08x (after %" PRIu64 " matched) that %s does not have",
		    tlb, rec.pc, src.nused, argv[optind]);
	if (src.nuser || src.nother)
		fprintf(stderr, "abt-prof-merge: %s: %" PRIu64 " user-mode tlbwe records and %" PRIu64 " records of other code skipped\n",
			tlb, src.nuser, src.nother);
	icount_end = cut ? cut_at : abtp_info(raw)->icount_end;

	/* the options string: how, and the caps */
	{
		const char *q = strstr(th->options, "qemu:");
		int len;

		len = snprintf(opts, sizeof(opts), "cap=");
		if (max_events)
			len += snprintf(opts + len, sizeof(opts) - len,
					"events:%" PRIu64 ",", max_events);
		if (max_icount)
			len += snprintf(opts + len, sizeof(opts) - len,
					"icount:%" PRIu64 ",", max_icount);
		if (!max_events && !max_icount)
			snprintf(opts + len, sizeof(opts) - len, "none");
		else if (cut)
			snprintf(opts + len - 1, sizeof(opts) - len + 1,
				 " (cut at icount %" PRIu64 ")", cut_at);
		else
			snprintf(opts + len - 1, sizeof(opts) - len + 1,
				 " (not reached)");
		len = snprintf(options, sizeof(options),
			       "%s tlb1=abt-trace(rule=tlbwe) %s%s%s %s",
			       abtp_info(raw)->options, opts,
			       *note ? " " : "", note, q ? q : "");
		if (len >= 256)
			memcpy(options + 252, "...", 4);
	}
	w = abtp_create(out, guest ? guest : abtp_info(raw)->guest[0] ?
			abtp_info(raw)->guest : th->guest, th->qemu, options,
			err, sizeof(err));
	if (!w)
		die(1, "%s", err);

	/* second pass: the kept events, a TLB1 event after each tlbwe
	 * that wrote TLB1 */
	abtt_close(src.t);
	src.t = abtt_open(tlb, err, sizeof(err));
	if (!src.t)
		die(1, "%s", err);
	matched = src.nused;
	src.nused = src.nuser = src.nother = 0;
	abtp_rewind(raw);
	while (nout < nkeep && abtp_next(raw, &ev)) {
		struct abtp_event t;

		if (abtp_add_event(w, &ev))
			goto werr;
		nout++;
		if (ev.kind != ABTP_EV_EXEC || !is_tlbwe(ev.word))
			continue;
		next_tlbwe(&src, &rec);
		if ((rec.pre.spr[src.mas[0]] >> 28 & 3) != 1)
			continue;
		memset(&t, 0, sizeof(t));
		t.icount = ev.icount;
		t.pc = ev.pc;
		t.kind = ABTP_EV_TLB1;
		t.word = rec.pre.spr[src.mas[0]];
		t.mas1 = rec.pre.spr[src.mas[1]];
		t.ea = rec.pre.spr[src.mas[2]];
		t.mas3 = rec.pre.spr[src.mas[3]];
		if (abtp_add_event(w, &t))
			goto werr;
		nout++;
		ntlb1++;
	}
	for (k = 0; k < abtp_info(raw)->npages; k++) {
		const struct abtp_page *pg = &abtp_pages(raw)[k];
		uint32_t p = pg->ea >> 12;

		if (!(page_bitmap[p / 8] >> (p % 8) & 1))
			continue;
		if (abtp_add_page(w, pg))
			goto werr;
		npages++;
	}
	if (abtp_set_icount_end(w, icount_end))
		goto werr;
	if (abtp_finish(w, err, sizeof(err)))
		die(1, "%s", err);
	if (!quiet)
		fprintf(stderr,
			"abt-prof-merge: wrote %s: %" PRIu64 " of %" PRIu64 " plugin events, %" PRIu64 " tlbwe matched, %" PRIu64 " TLB1 events, %u pages; %s\n",
			out, nout - ntlb1, nin, matched, ntlb1, npages,
			opts);
	abtt_close(src.t);
	abtp_close(raw);
	free(page_bitmap);
	return 0;
werr:
	fprintf(stderr, "abt-prof-merge: %s: %s\n", out, abtp_writer_error(w));
	abtp_abort(w);
	return 1;
}
