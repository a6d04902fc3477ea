/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exit and access profiles: what a real guest did that matters to abt's
 * adaptive memory tracing. A profile file is a header (guest, QEMU
 * version, capture options), a stream of events in execution order
 * (privileged instruction executed in supervisor context, data access on
 * a page holding a privileged site, TLB1 entry written), the instruction
 * words of every page holding a privileged site, and a trailer of counts.
 * Format: docs/profile-format.md.
 *
 * abtp_open() reads and validates the whole file before it returns, so
 * abtp_next() cannot fail: it decodes from memory (tens of millions of
 * events a second).
 */
#ifndef ABTP_H
#define ABTP_H

#include <stddef.h>
#include <stdint.h>

#define ABTP_VERSION		1
#define ABTP_ERR_LEN		256
#define ABTP_PAGE_WORDS		1024		/* 4 KiB of instructions */
#define ABTP_MAX_PAGES		16384		/* 64 MiB of EA */
#define ABTP_BLOCK_EVENTS	4096		/* events per block on disk */

enum abtp_kind {
	ABTP_EV_EXEC = 1,	/* privileged instruction, supervisor context */
	ABTP_EV_LOAD = 2,	/* data read on a page holding a site */
	ABTP_EV_STORE = 3,	/* data write on a page holding a site */
	ABTP_EV_TLB1 = 4,	/* tlbwe that wrote a TLB1 entry */
};

struct abtp_event {
	uint64_t icount;	/* guest instructions executed before this event (monotonic) */
	uint32_t pc;		/* EA of the instruction */
	uint32_t word;		/* EXEC: instruction word; TLB1: MAS0 */
	uint32_t ea;		/* LOAD/STORE: data EA; TLB1: MAS2 */
	uint32_t mas1, mas3;	/* TLB1 only */
	uint8_t kind;		/* enum abtp_kind */
	uint8_t size;		/* LOAD/STORE: access size in bytes (1, 2, 4, 8) */
};

struct abtp_page {		/* a 4 KiB page holding privileged sites */
	uint32_t ea;		/* page-aligned EA */
	uint32_t words[ABTP_PAGE_WORDS];	/* instruction words as last seen translated */
	uint8_t known[ABTP_PAGE_WORDS / 8];	/* bit i (byte i/8, bit i%8): words[i] was seen */
};

struct abtp_info {
	char guest[64], qemu[64], options[256];
	uint64_t nevents, nexec, nload, nstore, ntlb1, icount_end;
	uint32_t npages;
};

/* ---- reading ---- */
struct abtp_reader;
/* Reads and validates the whole file (header, pages, events, trailer
 * counts, CRCs) before returning. NULL + message in err on any problem. */
struct abtp_reader *abtp_open(const char *path, char *err, size_t errlen);
/* Same, from a buffer (tests, fuzzing); the reader keeps its own copy. */
struct abtp_reader *abtp_open_mem(const void *buf, size_t len, char *err,
				  size_t errlen);
const struct abtp_info *abtp_info(const struct abtp_reader *r);
/* info->npages pages, sorted by ea. */
const struct abtp_page *abtp_pages(const struct abtp_reader *r);
/* The page holding ea, or NULL. */
const struct abtp_page *abtp_find_page(const struct abtp_reader *r,
				       uint32_t ea);
int abtp_next(struct abtp_reader *r, struct abtp_event *ev); /* 1 = event, 0 = end */
void abtp_rewind(struct abtp_reader *r);
void abtp_close(struct abtp_reader *r);

/* ---- writing ---- */
struct abtp_writer;
/* Writes to path.tmp; abtp_finish() renames it to path. */
struct abtp_writer *abtp_create(const char *path, const char *guest,
				const char *qemu, const char *options,
				char *err, size_t errlen);
/* 0 / -1. Adding a page twice merges: words seen in the later call win. */
int abtp_add_page(struct abtp_writer *w, const struct abtp_page *pg);
/* 0 / -1; icount must not go backwards. A rejected event (bad kind, size,
 * TLBSEL, icount) leaves the writer usable; an I/O error does not. */
int abtp_add_event(struct abtp_writer *w, const struct abtp_event *ev);
/* Additions: the trailer's icount_end (default: the last event's icount;
 * it may not be below that); why the last call failed; events so far. */
int abtp_set_icount_end(struct abtp_writer *w, uint64_t icount);
const char *abtp_writer_error(const struct abtp_writer *w);
uint64_t abtp_writer_count(const struct abtp_writer *w);
/* Atomic: tmp file + rename; 0 / -1. Frees w either way. */
int abtp_finish(struct abtp_writer *w, char *err, size_t errlen);
/* No file left behind. */
void abtp_abort(struct abtp_writer *w);

/* Bit helpers for struct abtp_page.known. */
static inline int abtp_page_known(const struct abtp_page *pg, unsigned int i)
{
	return pg->known[i / 8] >> (i % 8) & 1;
}

static inline void abtp_page_set(struct abtp_page *pg, unsigned int i,
				 uint32_t word)
{
	pg->words[i] = word;
	pg->known[i / 8] |= (uint8_t)(1u << (i % 8));
}

#endif
