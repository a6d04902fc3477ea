/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Golden traces: what each privileged instruction did on QEMU's e500v2.
 * A trace file is a header (guest, QEMU version, CPU model, capture
 * options, the SPR numbers captured), records (site PC, instruction word,
 * which execution of that site it was, architectural state before and
 * after one single-step) and a trailer (record count, complete or
 * truncated and why). Format: docs/golden-trace-format.md.
 *
 * The reader validates everything and never trusts a length: malformed,
 * truncated or wrong-version input is an error naming the record index.
 */
#ifndef ABTT_H
#define ABTT_H

#include <stddef.h>
#include <stdint.h>

#define ABTT_VERSION	1
#define ABTT_MAX_SPR	160	/* SPRs a trace may capture */
#define ABTT_ERR_LEN	256

/* Architectural state as QEMU's gdb stub shows it. */
struct abtt_state {
	uint32_t gpr[32];
	uint32_t pc, msr, cr, xer, lr, ctr;
	uint32_t spr[ABTT_MAX_SPR];	/* in the order of abtt_header.spr[] */
};

struct abtt_header {
	char guest[64];		/* "linux-6.1.192", "u-boot-2023.01" */
	char qemu[64];		/* "QEMU emulator version 7.2.x ..." */
	char cpu[32];		/* "e500v2" */
	char options[256];	/* capture options, free text: "K=8 sites=elf-scan" */
	uint32_t nspr;
	uint16_t spr[ABTT_MAX_SPR];	/* SPR numbers captured, record order */
	char spr_name[ABTT_MAX_SPR][12];	/* gdb stub's names, for reports */
};

struct abtt_record {
	uint32_t pc;		/* guest EA of the instruction */
	uint32_t word;		/* the instruction, as fetched */
	uint32_t hit;		/* 0 for the first execution of this site, ... */
	struct abtt_state pre, post;
};

/* What the trailer says, known once the last record was read. */
struct abtt_trailer {
	uint64_t nrecords;
	int complete;		/* 0: capture was cut short */
	char reason[128];	/* why it was cut short, or "" */
};

/* ---- writing ---- */
struct abtt_writer;
/* Creates path.tmp; abtt_finish renames it to path. */
struct abtt_writer *abtt_create(const char *path, const struct abtt_header *h,
				int compress, char *err, size_t errlen);
int abtt_write(struct abtt_writer *w, const struct abtt_record *rec);
/* Writes the trailer (complete, or truncated with reason) and closes.
 * Returns 0 or -1 (err filled). Frees w either way; on failure path.tmp
 * is removed. A reason longer than 127 bytes is cut. */
int abtt_finish(struct abtt_writer *w, int complete, const char *reason,
		char *err, size_t errlen);
/* Drop the half-written file (path.tmp). */
void abtt_abort(struct abtt_writer *w);
/* Additions: why abtt_write() failed ("" if it did not); records written. */
const char *abtt_writer_error(const struct abtt_writer *w);
uint64_t abtt_writer_count(const struct abtt_writer *w);

/* ---- reading ---- */
struct abtt_reader;
struct abtt_reader *abtt_open(const char *path, char *err, size_t errlen);
/* Same, from memory (fuzzing, tests). The buffer must outlive the reader. */
struct abtt_reader *abtt_open_mem(const void *buf, size_t len, char *err,
				  size_t errlen);
const struct abtt_header *abtt_get_header(const struct abtt_reader *r);
/* 1: a record in *rec; 0: end, trailer valid (abtt_get_trailer);
 * -1: error, message (naming the record index) in abtt_error(). */
int abtt_next(struct abtt_reader *r, struct abtt_record *rec);
const struct abtt_trailer *abtt_get_trailer(const struct abtt_reader *r);
const char *abtt_error(const struct abtt_reader *r);
void abtt_close(struct abtt_reader *r);
/* Additions: records returned so far; 1 if the body is zlib-compressed. */
uint64_t abtt_record_count(const struct abtt_reader *r);
int abtt_is_compressed(const struct abtt_reader *r);

/* Index of an SPR number in h->spr[], or -1. */
int abtt_spr_index(const struct abtt_header *h, unsigned int sprn);

#endif
