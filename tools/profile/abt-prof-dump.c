// SPDX-License-Identifier: GPL-2.0
/*
 * abt-prof-dump: print an exit and access profile (docs/profile-format.md):
 * header, counts per kind, top privileged sites, top accessing
 * instructions, TLB1 writes, and optionally every event. --bench times
 * the reader.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "abt_gen.h"
#include "abtp.h"

static const char usage_text[] =
"usage: abt-prof-dump [options] PROFILE.abtp...\n"
"\n"
"Print an exit and access profile (docs/profile-format.md): its header,\n"
"the events per kind, the privileged sites executed most (PC, word,\n"
"abt rule, executions), the instructions that accessed site pages most,\n"
"the TLB1 writes, the site pages. The file is validated whole first:\n"
"any damage is an error naming where it is.\n"
"\n"
"Options:\n"
"  -t, --top N        sites and accessing instructions listed (default 20)\n"
"  -e, --events[=N]   also list the events (the first N; default all)\n"
"  -p, --pages        list every site page (EA, words known)\n"
"  -b, --bench[=R]    time R passes of abtp_next() over all events\n"
"                     (default 5) and print events/s\n"
"  -q, --quiet        header and counts only\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 every file read, 1 a file was rejected, 2 bad usage.\n";

struct count {
	uint32_t pc, word;
	uint64_t n, nload, nstore;
};

struct table {
	struct count *v;
	size_t n, cap;
	uint32_t *hash;		/* index + 1, 0 = free */
	size_t hcap;
};

static struct count *table_get(struct table *t, uint32_t pc)
{
	size_t h;

	if (t->n * 2 >= t->hcap) {
		size_t i, nh = t->hcap ? t->hcap * 2 : 4096;
		uint32_t *a = calloc(nh, sizeof(*a));

		if (!a)
			return NULL;
		for (i = 0; i < t->n; i++) {
			h = (t->v[i].pc * 2654435761u) & (nh - 1);
			while (a[h])
				h = (h + 1) & (nh - 1);
			a[h] = (uint32_t)i + 1;
		}
		free(t->hash);
		t->hash = a;
		t->hcap = nh;
	}
	h = (pc * 2654435761u) & (t->hcap - 1);
	while (t->hash[h]) {
		struct count *c = &t->v[t->hash[h] - 1];

		if (c->pc == pc)
			return c;
		h = (h + 1) & (t->hcap - 1);
	}
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 1024;
		struct count *v = realloc(t->v, nc * sizeof(*v));

		if (!v)
			return NULL;
		t->v = v;
		t->cap = nc;
	}
	memset(&t->v[t->n], 0, sizeof(t->v[0]));
	t->v[t->n].pc = pc;
	t->hash[h] = (uint32_t)++t->n;
	return &t->v[t->n - 1];
}

static int by_n(const void *a, const void *b)
{
	const struct count *x = a, *y = b;
	uint64_t nx = x->n + x->nload + x->nstore;
	uint64_t ny = y->n + y->nload + y->nstore;

	if (nx != ny)
		return nx < ny ? 1 : -1;
	return x->pc < y->pc ? -1 : x->pc > y->pc;
}

static const char *rule_name(uint32_t word)
{
	struct abt_fields f;
	enum abt_rule r = abt_decode(word, &f);

	return r == ABT_RULE_NONE ? "-" : abt_rules[r].name;
}

static const char *kind_name(unsigned int k)
{
	static const char *const n[] = { "?", "EXEC", "LOAD", "STORE", "TLB1" };

	return k < 5 ? n[k] : "?";
}

static void print_event(const struct abtp_event *ev)
{
	switch (ev->kind) {
	case ABTP_EV_EXEC:
		printf("%12" PRIu64 " EXEC  pc=%08x word=%08x %s\n",
		       ev->icount, ev->pc, ev->word, rule_name(ev->word));
		break;
	case ABTP_EV_LOAD:
	case ABTP_EV_STORE:
		printf("%12" PRIu64 " %-5s pc=%08x ea=%08x size=%u\n",
		       ev->icount, kind_name(ev->kind), ev->pc, ev->ea,
		       ev->size);
		break;
	case ABTP_EV_TLB1:
		printf("%12" PRIu64 " TLB1  pc=%08x mas0=%08x mas1=%08x mas2=%08x mas3=%08x\n",
		       ev->icount, ev->pc, ev->word, ev->mas1, ev->ea,
		       ev->mas3);
		break;
	}
}

/* A TLB1 entry in words: entry, valid, EPN -> RPN, size, TID. */
static void print_tlb1(const struct abtp_event *ev)
{
	unsigned int esel = ev->word >> 16 & 0xfff;
	unsigned int tsize = ev->mas1 >> 8 & 0xf;	/* 4^TSIZE KiB */
	unsigned int valid = ev->mas1 >> 31;
	unsigned int tid = ev->mas1 >> 16 & 0xff;
	unsigned long long size = 1024ull << (2 * tsize);

	printf("  icount %12" PRIu64 "  pc %08x  TLB1[%u] %s EPN %08x -> RPN %08x  %llu %s  TID %u  WIMGE %02x\n",
	       ev->icount, ev->pc, esel, valid ? "V" : "-",
	       ev->ea & 0xfffff000u, ev->mas3 & 0xfffff000u,
	       size >= 1 << 20 ? size >> 20 : size >> 10,
	       size >= 1 << 20 ? "MiB" : "KiB", tid, ev->ea & 0x1f);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dump(const char *path, unsigned int top, int events,
		uint64_t nev_max, int pages, int bench, int quiet)
{
	char err[ABTP_ERR_LEN];
	struct abtp_reader *r;
	const struct abtp_info *in;
	struct abtp_event ev;
	struct table sites = { 0 }, acc = { 0 };
	struct stat st;
	uint64_t i, ntlb = 0;
	double t0, t1;
	size_t k;

	t0 = now_s();
	r = abtp_open(path, err, sizeof(err));
	t1 = now_s();
	if (!r) {
		fprintf(stderr, "abt-prof-dump: %s\n", err);
		return 1;
	}
	in = abtp_info(r);
	if (stat(path, &st))
		st.st_size = 0;
	printf("%s: %lld bytes, opened and validated in %.3f s\n", path,
	       (long long)st.st_size, t1 - t0);
	printf("guest    %s\nqemu     %s\noptions  %s\n", in->guest, in->qemu,
	       in->options);
	printf("events   %" PRIu64 ": EXEC %" PRIu64 ", LOAD %" PRIu64
	       ", STORE %" PRIu64 ", TLB1 %" PRIu64 "\n", in->nevents,
	       in->nexec, in->nload, in->nstore, in->ntlb1);
	printf("icount   %" PRIu64 " instructions at the end\n",
	       in->icount_end);
	printf("pages    %u site pages\n", in->npages);
	if (quiet)
		goto out;

	while (abtp_next(r, &ev)) {
		struct count *c = NULL;

		if (ev.kind == ABTP_EV_EXEC) {
			c = table_get(&sites, ev.pc);
			if (c) {
				c->n++;
				c->word = ev.word;
			}
		} else if (ev.kind == ABTP_EV_LOAD ||
			   ev.kind == ABTP_EV_STORE) {
			c = table_get(&acc, ev.pc);
			if (c) {
				if (ev.kind == ABTP_EV_LOAD)
					c->nload++;
				else
					c->nstore++;
			}
		} else {
			ntlb++;
			continue;
		}
		if (!c) {
			fprintf(stderr, "abt-prof-dump: out of memory\n");
			abtp_close(r);
			return 1;
		}
	}
	qsort(sites.v, sites.n, sizeof(*sites.v), by_n);
	qsort(acc.v, acc.n, sizeof(*acc.v), by_n);
	printf("\n%zu distinct privileged sites; top %u by executions:\n",
	       sites.n, top);
	for (k = 0; k < sites.n && k < top; k++)
		printf("  %08x  %08x  %-12s %10" PRIu64 "  %5.1f%%\n",
		       sites.v[k].pc, sites.v[k].word,
		       rule_name(sites.v[k].word), sites.v[k].n,
		       100.0 * (double)sites.v[k].n /
		       (double)(in->nexec ? in->nexec : 1));
	printf("\n%zu distinct instructions accessed site pages; top %u:\n",
	       acc.n, top);
	for (k = 0; k < acc.n && k < top; k++)
		printf("  %08x  loads %10" PRIu64 "  stores %10" PRIu64 "\n",
		       acc.v[k].pc, acc.v[k].nload, acc.v[k].nstore);
	printf("\n%" PRIu64 " TLB1 writes:\n", ntlb);
	abtp_rewind(r);
	while (abtp_next(r, &ev))
		if (ev.kind == ABTP_EV_TLB1)
			print_tlb1(&ev);
	if (pages) {
		printf("\nsite pages:\n");
		for (k = 0; k < in->npages; k++) {
			const struct abtp_page *pg = &abtp_pages(r)[k];
			unsigned int j, nk = 0;

			for (j = 0; j < ABTP_PAGE_WORDS; j++)
				nk += (unsigned int)abtp_page_known(pg, j);
			printf("  %08x  %4u words known\n", pg->ea, nk);
		}
	}
	if (events) {
		printf("\nevents:\n");
		abtp_rewind(r);
		for (i = 0; (!nev_max || i < nev_max) && abtp_next(r, &ev);
		     i++)
			print_event(&ev);
	}
out:
	if (bench) {
		uint64_t n = 0, sum = 0;
		int p;

		t0 = now_s();
		for (p = 0; p < bench; p++) {
			abtp_rewind(r);
			while (abtp_next(r, &ev)) {
				n++;
				sum += ev.pc ^ ev.ea;
			}
		}
		t1 = now_s();
		printf("bench    %" PRIu64 " events in %.3f s: %.1f M events/s (checksum %" PRIx64 ")\n",
		       n, t1 - t0, (double)n / (t1 - t0) / 1e6, sum);
	}
	free(sites.v);
	free(sites.hash);
	free(acc.v);
	free(acc.hash);
	abtp_close(r);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "top", required_argument, NULL, 't' },
		{ "events", optional_argument, NULL, 'e' },
		{ "pages", no_argument, NULL, 'p' },
		{ "bench", optional_argument, NULL, 'b' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned int top = 20;
	uint64_t nev = 0;
	int c, events = 0, pages = 0, bench = 0, quiet = 0, ret = 0;
	char *end;

	while ((c = getopt_long(argc, argv, "t:e::pb::qh", lo, NULL)) != -1) {
		switch (c) {
		case 't':
			errno = 0;
			top = (unsigned int)strtoul(optarg, &end, 0);
			if (errno || *end || !*optarg) {
				fprintf(stderr, "abt-prof-dump: --top: bad number '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'e':
			events = 1;
			if (optarg) {
				errno = 0;
				nev = strtoull(optarg, &end, 0);
				if (errno || *end || !*optarg) {
					fprintf(stderr, "abt-prof-dump: --events: bad number '%s'\n",
						optarg);
					return 2;
				}
			}
			break;
		case 'p':
			pages = 1;
			break;
		case 'b':
			bench = 5;
			if (optarg) {
				errno = 0;
				bench = (int)strtol(optarg, &end, 0);
				if (errno || *end || bench < 1 || bench > 1000) {
					fprintf(stderr, "abt-prof-dump: --bench: passes 1..1000, not '%s'\n",
						optarg);
					return 2;
				}
			}
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs("Try 'abt-prof-dump --help'.\n", stderr);
			return 2;
		}
	}
	if (optind == argc) {
		fputs("abt-prof-dump: no profile given (--help)\n", stderr);
		return 2;
	}
	for (; optind < argc; optind++) {
		if (dump(argv[optind], top, events, nev, pages, bench, quiet))
			ret = 1;
		if (optind + 1 < argc)
			putchar('\n');
	}
	return ret;
}
