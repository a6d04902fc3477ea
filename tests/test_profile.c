// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the profile library (tools/profile/abtp.c): round trips, the
 * writer's checks, atomic writing, a reader that turns every kind of
 * damage into a clean error (each validation, truncation at every byte,
 * bit flips), and the committed profiles of tests/profiles/.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "abtp.h"
#include "abtt.h"
#include "test_rng.h"
#include "test_tmpdir.h"
#include "../tools/trace/be.h"

#ifndef ABT_SRCDIR
#define ABT_SRCDIR "."
#endif

/* ---- helpers ---- */

static uint32_t crc(const unsigned char *p, size_t n)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

static unsigned char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n ? (size_t)n : 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void rand_event(struct abtp_event *ev, uint64_t *icount)
{
	static const uint8_t sizes[] = { 1, 2, 4, 8 };

	memset(ev, 0, sizeof(*ev));
	*icount += rnd() % 3 ? rnd() % 300 : (rnd() % 2 ? 0 : rnd());
	ev->icount = *icount;
	ev->kind = (uint8_t)(1 + rnd() % 4);
	ev->pc = rnd() % 2 ? 0xc0000000u + (rnd() % 0x10000) * 4 : rnd();
	switch (ev->kind) {
	case ABTP_EV_EXEC:
		ev->word = rnd();
		break;
	case ABTP_EV_LOAD:
	case ABTP_EV_STORE:
		ev->ea = rnd() % 2 ? ev->pc + rnd() % 64 : rnd();
		ev->size = sizes[rnd() % 4];
		break;
	case ABTP_EV_TLB1:
		ev->word = 0x10000000u | (rnd() & 0x0fff0000u);
		ev->mas1 = rnd();
		ev->ea = rnd();
		ev->mas3 = rnd();
		break;
	}
}

static void rand_page(struct abtp_page *pg, uint32_t ea)
{
	unsigned int i;

	memset(pg, 0, sizeof(*pg));
	pg->ea = ea;
	for (i = 0; i < ABTP_PAGE_WORDS; i++)
		if (rnd() % 3)
			abtp_page_set(pg, i, rnd());
	abtp_page_set(pg, rnd() % ABTP_PAGE_WORDS, rnd());
}

static void assert_event_equal(const struct abtp_event *a,
			       const struct abtp_event *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_true(a->icount == b->icount);
	assert_int_equal(a->pc, b->pc);
	switch (a->kind) {
	case ABTP_EV_EXEC:
		assert_int_equal(a->word, b->word);
		break;
	case ABTP_EV_LOAD:
	case ABTP_EV_STORE:
		assert_int_equal(a->ea, b->ea);
		assert_int_equal(a->size, b->size);
		break;
	case ABTP_EV_TLB1:
		assert_int_equal(a->word, b->word);
		assert_int_equal(a->mas1, b->mas1);
		assert_int_equal(a->ea, b->ea);
		assert_int_equal(a->mas3, b->mas3);
		break;
	}
}

static void assert_page_equal(const struct abtp_page *a,
			      const struct abtp_page *b)
{
	unsigned int i;

	assert_int_equal(a->ea, b->ea);
	assert_memory_equal(a->known, b->known, sizeof(a->known));
	for (i = 0; i < ABTP_PAGE_WORDS; i++)
		if (abtp_page_known(a, i))
			assert_int_equal(a->words[i], b->words[i]);
}

/* A small valid file: path, and its bytes. */
static unsigned char *small_file(const char *name, unsigned int nev,
				 unsigned int npg, size_t *len)
{
	char path[512], err[ABTP_ERR_LEN];
	struct abtp_writer *w;
	struct abtp_event ev;
	struct abtp_page pg;
	uint64_t ic = 0;
	unsigned int i;

	path_in(path, sizeof(path), name);
	w = abtp_create(path, "g", "q", "o", err, sizeof(err));
	assert_non_null(w);
	for (i = 0; i < nev; i++) {
		rand_event(&ev, &ic);
		assert_int_equal(abtp_add_event(w, &ev), 0);
	}
	for (i = 0; i < npg; i++) {
		memset(&pg, 0, sizeof(pg));
		pg.ea = 0x1000u * (i + 1);
		abtp_page_set(&pg, i, 0x7c0000a6u + i);
		assert_int_equal(abtp_add_page(w, &pg), 0);
	}
	assert_int_equal(abtp_finish(w, err, sizeof(err)), 0);
	return read_all(path, len);
}

/* ---- hand-built bodies, for errors past every CRC ---- */

struct body {
	unsigned char b[1 << 16];
	size_t n;
};

static void b_u32(struct body *b, uint32_t v)
{
	put32(b->b + b->n, v);
	b->n += 4;
}

static void b_block(struct body *b, uint32_t nev, const void *pl,
		    uint32_t plen)
{
	size_t s = b->n;

	b_u32(b, nev);
	b_u32(b, plen);
	memcpy(b->b + b->n, pl, plen);
	b->n += plen;
	b_u32(b, crc(b->b + s, 8 + plen));
}

static void b_trailer(struct body *b, uint64_t n, uint64_t nexec,
		      uint64_t nload, uint64_t nstore, uint64_t ntlb1,
		      uint64_t icount_end, uint32_t npages)
{
	unsigned char *t = b->b + b->n;

	put64(t, n);
	put64(t + 8, nexec);
	put64(t + 16, nload);
	put64(t + 24, nstore);
	put64(t + 32, ntlb1);
	put64(t + 40, icount_end);
	put32(t + 48, npages);
	put32(t + 52, crc(t, 52));
	b->n += 56;
}

/* Header (guest "g", qemu "", options "") + zlib(body). */
static unsigned char *wrap(const struct body *b, size_t *len)
{
	uLongf zl = compressBound(b->n);
	unsigned char *f = malloc(16 + 7 + 4 + zl);

	assert_non_null(f);
	memcpy(f, "ABTPROF", 8);
	put16(f + 8, 1);
	put16(f + 10, 0);
	put32(f + 12, 7);
	put16(f + 16, 1);
	f[18] = 'g';
	put16(f + 19, 0);
	put16(f + 21, 0);
	put32(f + 23, crc(f, 23));
	assert_int_equal(compress(f + 27, &zl, b->b, b->n), Z_OK);
	*len = 27 + zl;
	return f;
}

/* Opening the body must fail with a message containing want. */
static void expect_body_error(const struct body *b, const char *want)
{
	char err[ABTP_ERR_LEN] = "";
	struct abtp_reader *r;
	unsigned char *f;
	size_t len;

	f = wrap(b, &len);
	r = abtp_open_mem(f, len, err, sizeof(err));
	if (r || !strstr(err, want))
		fail_msg("want error '%s', got %s '%s'", want,
			 r ? "success" : "error", err);
	free(f);
}

static void expect_error(const unsigned char *f, size_t len,
			 const char *want)
{
	char err[ABTP_ERR_LEN] = "";
	struct abtp_reader *r = abtp_open_mem(f, len, err, sizeof(err));

	if (r || !strstr(err, want))
		fail_msg("want error '%s', got %s '%s'", want,
			 r ? "success" : "error", err);
}

/* One EXEC event at icount ic, pc 0x100 after block start. */
static size_t ev_exec(unsigned char *p, unsigned int icount_delta)
{
	p[0] = ABTP_EV_EXEC;
	p[1] = (unsigned char)icount_delta;	/* < 128 */
	p[2] = 0x80;				/* zigzag(0x100) = 0x200 */
	p[3] = 0x04;
	put32(p + 4, 0x7c0000a6);
	return 8;
}

/* ---- tests ---- */

static void test_roundtrip(void **state)
{
	enum { NEV = 20000, NPG = 37 };
	static struct abtp_event evs[NEV];
	static struct abtp_page pgs[NPG], extra;
	char path[512], err[ABTP_ERR_LEN];
	struct abtp_writer *w;
	struct abtp_reader *r;
	const struct abtp_info *in;
	struct abtp_event ev;
	uint64_t ic = 0, n[5] = { 0 };
	unsigned int i, pass;

	seed_rng(1);
	path_in(path, sizeof(path), "rt.abtp");
	w = abtp_create(path, "linux-6.1", "QEMU emulator version 7.2",
			"cap=none", err, sizeof(err));
	assert_non_null(w);
	for (i = 0; i < NEV; i++) {
		rand_event(&evs[i], &ic);
		assert_int_equal(abtp_add_event(w, &evs[i]), 0);
		n[0]++;
		n[evs[i].kind]++;
	}
	/* pages added in random order, one twice (merged) */
	for (i = 0; i < NPG; i++)
		rand_page(&pgs[i], 0xc0000000u + 0x1000u * ((i * 7) % NPG));
	for (i = 0; i < NPG; i++)
		assert_int_equal(abtp_add_page(w, &pgs[(i * 5) % NPG]), 0);
	memset(&extra, 0, sizeof(extra));
	extra.ea = pgs[3].ea;
	abtp_page_set(&extra, 5, 0x12345678);
	assert_int_equal(abtp_add_page(w, &extra), 0);
	abtp_page_set(&pgs[3], 5, 0x12345678);
	assert_int_equal(abtp_writer_count(w), NEV);
	assert_int_equal(abtp_finish(w, err, sizeof(err)), 0);
	assert_false(exists(strcat(strcpy(err, path), ".tmp")));

	r = abtp_open(path, err, sizeof(err));
	if (!r)
		fail_msg("%s", err);
	in = abtp_info(r);
	assert_string_equal(in->guest, "linux-6.1");
	assert_string_equal(in->qemu, "QEMU emulator version 7.2");
	assert_string_equal(in->options, "cap=none");
	assert_true(in->nevents == n[0] && in->nexec == n[1] &&
		    in->nload == n[2] && in->nstore == n[3] &&
		    in->ntlb1 == n[4]);
	assert_true(in->icount_end == evs[NEV - 1].icount);
	assert_int_equal(in->npages, NPG);
	for (i = 0; i < NPG; i++) {
		const struct abtp_page *p = abtp_find_page(r, pgs[i].ea + 44);

		assert_non_null(p);
		assert_page_equal(p, &pgs[i]);
		if (i)
			assert_true(abtp_pages(r)[i].ea >
				    abtp_pages(r)[i - 1].ea);
	}
	assert_null(abtp_find_page(r, 0x1000));
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < NEV; i++) {
			assert_int_equal(abtp_next(r, &ev), 1);
			assert_event_equal(&ev, &evs[i]);
		}
		assert_int_equal(abtp_next(r, &ev), 0);
		assert_int_equal(abtp_next(r, &ev), 0);
		abtp_rewind(r);
	}
	abtp_close(r);
}

static void test_empty_and_limits(void **state)
{
	char path[512], err[ABTP_ERR_LEN], big[300];
	struct abtp_writer *w;
	struct abtp_reader *r;
	struct abtp_event ev;

	path_in(path, sizeof(path), "empty.abtp");
	w = abtp_create(path, NULL, NULL, NULL, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(abtp_set_icount_end(w, 12345), 0);
	assert_int_equal(abtp_finish(w, err, sizeof(err)), 0);
	r = abtp_open(path, err, sizeof(err));
	assert_non_null(r);
	assert_true(abtp_info(r)->nevents == 0);
	assert_true(abtp_info(r)->icount_end == 12345);
	assert_int_equal(abtp_info(r)->npages, 0);
	assert_int_equal(abtp_next(r, &ev), 0);
	abtp_close(r);

	/* header strings at their limits, and one byte over */
	memset(big, 'x', sizeof(big));
	big[255] = 0;
	w = abtp_create(path, "0123456789012345678901234567890123456789012345678901234567890123" + 1,
			"q", big, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(abtp_finish(w, err, sizeof(err)), 0);
	r = abtp_open(path, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(strlen(abtp_info(r)->options), 255);
	assert_int_equal(strlen(abtp_info(r)->guest), 63);
	abtp_close(r);
	big[255] = 'x';
	big[256] = 0;
	assert_null(abtp_create(path, "g", "q", big, err, sizeof(err)));
	assert_non_null(strstr(err, "too long"));
}

static void test_writer_rejects(void **state)
{
	char path[512], err[ABTP_ERR_LEN];
	struct abtp_writer *w;
	struct abtp_event ev = { .icount = 100, .pc = 0x100, .kind = 1 };
	struct abtp_page pg;

	path_in(path, sizeof(path), "rej.abtp");
	w = abtp_create(path, "g", "q", "o", err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(abtp_add_event(w, &ev), 0);
	ev.kind = 5;
	assert_int_equal(abtp_add_event(w, &ev), -1);
	assert_non_null(strstr(abtp_writer_error(w), "unknown kind 5"));
	ev.kind = 0;
	assert_int_equal(abtp_add_event(w, &ev), -1);
	ev.kind = ABTP_EV_LOAD;
	ev.size = 3;
	assert_int_equal(abtp_add_event(w, &ev), -1);
	assert_non_null(strstr(abtp_writer_error(w), "access size 3"));
	ev.kind = ABTP_EV_TLB1;
	ev.word = 0x00010000;		/* TLBSEL 0 */
	assert_int_equal(abtp_add_event(w, &ev), -1);
	assert_non_null(strstr(abtp_writer_error(w), "TLBSEL 0"));
	ev.kind = ABTP_EV_EXEC;
	ev.icount = 99;
	assert_int_equal(abtp_add_event(w, &ev), -1);
	assert_non_null(strstr(abtp_writer_error(w), "goes back"));
	ev.icount = 100;		/* equal is fine */
	assert_int_equal(abtp_add_event(w, &ev), 0);
	assert_int_equal(abtp_set_icount_end(w, 50), -1);
	memset(&pg, 0, sizeof(pg));
	pg.ea = 0x1004;
	abtp_page_set(&pg, 0, 1);
	assert_int_equal(abtp_add_page(w, &pg), -1);
	assert_non_null(strstr(abtp_writer_error(w), "aligned"));
	memset(&pg, 0, sizeof(pg));
	pg.ea = 0x1000;
	assert_int_equal(abtp_add_page(w, &pg), -1);
	assert_non_null(strstr(abtp_writer_error(w), "no known word"));
	/* the rejected calls left the writer usable */
	assert_int_equal(abtp_finish(w, err, sizeof(err)), 0);
	{
		struct abtp_reader *r = abtp_open(path, err, sizeof(err));

		assert_non_null(r);
		assert_true(abtp_info(r)->nevents == 2);
		abtp_close(r);
	}
}

static void test_abort_and_atomic(void **state)
{
	char path[512], tmp[600], err[ABTP_ERR_LEN];
	struct abtp_writer *w;
	struct abtp_event ev = { .icount = 1, .pc = 4, .word = 5, .kind = 1 };
	unsigned char *old;
	size_t oldlen, len;
	unsigned char *now;

	path_in(path, sizeof(path), "abort.abtp");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	w = abtp_create(path, "g", "q", "o", err, sizeof(err));
	assert_non_null(w);
	assert_true(exists(tmp));
	assert_int_equal(abtp_add_event(w, &ev), 0);
	abtp_abort(w);
	assert_false(exists(tmp));
	assert_false(exists(path));

	/* an older file stays until the rename */
	old = small_file("abort.abtp", 10, 1, &oldlen);
	w = abtp_create(path, "g2", "q", "o", err, sizeof(err));
	assert_non_null(w);
	now = read_all(path, &len);
	assert_int_equal(len, oldlen);
	assert_memory_equal(now, old, len);
	free(now);
	abtp_abort(w);
	now = read_all(path, &len);
	assert_memory_equal(now, old, len);
	free(now);
	free(old);
	assert_false(exists(tmp));

	/* nowhere to write */
	assert_null(abtp_create("/nonexistent-dir/x.abtp", "g", "q", "o",
				err, sizeof(err)));
	assert_non_null(strstr(err, "No such file"));
	abtp_abort(NULL);
	assert_int_equal(abtp_finish(NULL, err, sizeof(err)), -1);
}

static void test_open_errors(void **state)
{
	char err[ABTP_ERR_LEN], path[512];
	unsigned char *f;
	size_t len;

	assert_null(abtp_open("/nonexistent/x.abtp", err, sizeof(err)));
	assert_non_null(strstr(err, "No such file"));
	assert_null(abtp_open(tmpdir, err, sizeof(err)));
	assert_non_null(strstr(err, "not a regular file"));
	path_in(path, sizeof(path), "empty-file");
	fclose(fopen(path, "w"));
	assert_null(abtp_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, "truncated"));

	f = small_file("e.abtp", 5, 1, &len);
	/* bad magic */
	f[0] ^= 1;
	expect_error(f, len, "bad magic");
	f[0] ^= 1;
	/* version (checked before the CRC) */
	f[9] = 2;
	expect_error(f, len, "unsupported profile version 2 (this reader reads 1)");
	f[9] = 1;
	/* header length */
	put32(f + 12, 0xffffffffu);
	expect_error(f, len, "out of range 6..387");
	put32(f + 12, 7);		/* "g", "q", "o": 3 * 2 + 3 = 9 */
	expect_error(f, len, "header: CRC mismatch");
	put32(f + 12, 9);
	/* header CRC */
	f[17] ^= 0x40;
	expect_error(f, len, "header: CRC mismatch at offset 25");
	f[17] ^= 0x40;
	/* flags, with a matching CRC */
	{
		unsigned char *g = malloc(len);
		uint32_t c;

		memcpy(g, f, len);
		put16(g + 10, 2);
		c = crc(g, 25);
		put32(g + 25, c);
		expect_error(g, len, "unknown flags 0x0002");
		put16(g + 10, 0);
		put16(g + 16, 64);	/* guest length */
		put32(g + 25, crc(g, 25));
		expect_error(g, len, "guest length 64 at offset 16 exceeds 63");
		free(g);
	}
	/* trailing bytes after the zlib stream */
	{
		unsigned char *g = malloc(len + 1);

		memcpy(g, f, len);
		g[len] = 0;
		expect_error(g, len + 1, "trailing data at offset");
		free(g);
	}
	/* zlib damage: the Adler-32 */
	f[len - 1] ^= 0x10;
	expect_error(f, len, "incorrect data check");
	free(f);
}

static void test_truncation_every_byte(void **state)
{
	char err[ABTP_ERR_LEN];
	unsigned char *f;
	size_t len, i;

	seed_rng(2);
	f = small_file("t.abtp", 40, 2, &len);
	for (i = 0; i < len; i++) {
		struct abtp_reader *r = abtp_open_mem(f, i, err, sizeof(err));

		if (r)
			fail_msg("a file cut at %zu of %zu bytes was accepted",
				 i, len);
		assert_true(err[0]);
	}
	free(f);
}

static void test_bitflips(void **state)
{
	char err[ABTP_ERR_LEN];
	struct abtp_reader *ref, *r;
	unsigned char *f;
	size_t len, i;
	unsigned int bit, same = 0, bad = 0;

	seed_rng(3);
	f = small_file("b.abtp", 30, 1, &len);
	ref = abtp_open_mem(f, len, err, sizeof(err));
	assert_non_null(ref);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			struct abtp_event a, b;
			int ra, rb;

			f[i] ^= (unsigned char)(1u << bit);
			r = abtp_open_mem(f, len, err, sizeof(err));
			f[i] ^= (unsigned char)(1u << bit);
			if (!r) {
				bad++;
				continue;
			}
			/* deflate may ignore a bit: same content then */
			same++;
			assert_int_equal(memcmp(abtp_info(r), abtp_info(ref),
						sizeof(struct abtp_info)), 0);
			abtp_rewind(ref);
			do {
				ra = abtp_next(ref, &a);
				rb = abtp_next(r, &b);
				assert_int_equal(ra, rb);
				if (ra)
					assert_event_equal(&a, &b);
			} while (ra);
			abtp_close(r);
		}
	}
	assert_true(bad > 8 * len * 9 / 10);
	abtp_close(ref);
	free(f);
	(void)same;
}

static void test_body_errors(void **state)
{
	unsigned char pl[256];
	struct body *b = malloc(sizeof(*b));
	size_t n;

	assert_non_null(b);
#define RESET() (b->n = 0)
	/* valid: one block of two EXEC events, no pages */
	RESET();
	n = ev_exec(pl, 5);
	n += ev_exec(pl + n, 0);
	b_block(b, 2, pl, (uint32_t)n);
	b_u32(b, 0);
	b_u32(b, 0);
	b_trailer(b, 2, 2, 0, 0, 0, 5, 0);
	{
		size_t len;
		unsigned char *f = wrap(b, &len);
		char err[ABTP_ERR_LEN];
		struct abtp_reader *r = abtp_open_mem(f, len, err, sizeof(err));
		struct abtp_event ev;

		if (!r)
			fail_msg("%s", err);
		assert_int_equal(abtp_next(r, &ev), 1);
		assert_int_equal(ev.pc, 0x100);
		assert_true(ev.icount == 5);
		assert_int_equal(abtp_next(r, &ev), 1);
		assert_int_equal(ev.pc, 0x200);
		assert_int_equal(abtp_next(r, &ev), 0);
		abtp_close(r);
		free(f);
	}
	/* trailer counts mismatch */
	b->n -= 56;
	b_trailer(b, 3, 2, 0, 0, 0, 5, 0);
	expect_body_error(b, "trailer (body offset 36): 3 events, but 2 read");
	b->n -= 56;
	b_trailer(b, 2, 1, 1, 0, 0, 5, 0);
	expect_body_error(b, "1 EXEC events, but 2 read");
	b->n -= 56;
	b_trailer(b, 2, 2, 0, 0, 0, 4, 0);
	expect_body_error(b, "icount_end 4 below the last event's icount 5");
	b->n -= 56;
	b_trailer(b, 2, 2, 0, 0, 0, 5, 1);
	expect_body_error(b, "1 pages, but 0 read");
	/* trailer CRC */
	b->n -= 56;
	b_trailer(b, 2, 2, 0, 0, 0, 5, 0);
	b->b[b->n - 1] ^= 1;
	expect_body_error(b, "trailer (body offset 36): CRC mismatch");
	b->b[b->n - 1] ^= 1;
	/* trailing data in the body */
	b_u32(b, 0);
	expect_body_error(b, "trailing data at body offset 92 after the trailer");
	b->n -= 4;
	/* no trailer */
	b->n -= 56;
	expect_body_error(b, "inside the trailer");

	/* block CRC */
	RESET();
	n = ev_exec(pl, 5);
	b_block(b, 1, pl, (uint32_t)n);
	b->b[10] ^= 1;
	b_u32(b, 0);
	b_u32(b, 0);
	b_trailer(b, 1, 1, 0, 0, 0, 5, 0);
	expect_body_error(b, "block 1 (body offset 0): CRC mismatch");

	/* unknown kind, reserved bits, size bits on EXEC */
	{
		static const struct {
			unsigned char tag;
			const char *want;
		} bad[] = {
			{ 0x00, "event 1 (block 1, body offset 8): unknown kind 0" },
			{ 0x05, "unknown kind 5" },
			{ 0x07, "unknown kind 7" },
			{ 0x21, "reserved tag bits set (tag 0x21)" },
			{ 0x09, "size bits set on a EXEC event" },
			{ 0x0c, "size bits set on a TLB1 event" },
		};
		unsigned int i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			RESET();
			n = ev_exec(pl, 5);
			pl[0] = bad[i].tag;
			b_block(b, 1, pl, (uint32_t)n);
			b_u32(b, 0);
			b_u32(b, 0);
			b_trailer(b, 1, 1, 0, 0, 0, 5, 0);
			expect_body_error(b, bad[i].want);
		}
	}
	/* icount going backwards across blocks */
	RESET();
	n = ev_exec(pl, 9);
	b_block(b, 1, pl, (uint32_t)n);
	n = ev_exec(pl, 8);
	b_block(b, 1, pl, (uint32_t)n);
	b_u32(b, 0);
	b_u32(b, 0);
	b_trailer(b, 2, 2, 0, 0, 0, 9, 0);
	expect_body_error(b, "event 2 (block 2, body offset 28): icount 8 goes back (previous 9)");
	/* varints: not minimal, too long, pc over 32 bits */
	RESET();
	pl[0] = 1;
	pl[1] = 0x85;
	pl[2] = 0x00;		/* 5 in two bytes */
	pl[3] = 0;
	put32(pl + 4, 1);
	b_block(b, 1, pl, 8);
	b_u32(b, 0);
	b_u32(b, 0);
	b_trailer(b, 1, 1, 0, 0, 0, 5, 0);
	expect_body_error(b, "icount: varint not in its shortest form");
	RESET();
	pl[0] = 1;
	pl[1] = 0;
	memcpy(pl + 2, "\xff\xff\xff\xff\x7f", 5);	/* 2^35 - 1 */
	put32(pl + 7, 1);
	b_block(b, 1, pl, 11);
	b_u32(b, 0);
	b_u32(b, 0);
	b_trailer(b, 1, 1, 0, 0, 0, 0, 0);
	expect_body_error(b, "pc: varint exceeds 32 bits");
	RESET();
	pl[0] = 1;
	memset(pl + 1, 0xff, 11);
	pl[12] = 1;
	b_block(b, 1, pl, 20);
	b_u32(b, 0);
	b_u32(b, 0);
	b_trailer(b, 1, 1, 0, 0, 0, 0, 0);
	expect_body_error(b, "icount: varint overflows 64 bits");
	/* event cut by its block, bytes left over, absurd counts */
	RESET();
	n = ev_exec(pl, 5);
	b_block(b, 2, pl, 5);
	b_u32(b, 0);
	b_u32(b, 0);
	b_trailer(b, 2, 2, 0, 0, 0, 5, 0);
	expect_body_error(b, "payload length 5 out of range 6..64 for 2 events");
	RESET();
	n = ev_exec(pl, 5);
	pl[n] = 1;
	pl[n + 1] = 0;
	pl[n + 2] = 0;
	b_block(b, 2, pl, 9);	/* second event cut */
	b_u32(b, 0);
	b_u32(b, 0);
	b_trailer(b, 2, 2, 0, 0, 0, 5, 0);
	expect_body_error(b, "event 2 (block 1, body offset 16): icount: varint cut short by the end of its block");
	RESET();
	n = ev_exec(pl, 5);
	pl[n] = 0;
	b_block(b, 1, pl, 9);	/* a byte after the event */
	b_u32(b, 0);
	b_u32(b, 0);
	b_trailer(b, 1, 1, 0, 0, 0, 5, 0);
	expect_body_error(b, "block 1 (body offset 0): 1 bytes after its last event");
	RESET();
	b_u32(b, 4097);
	expect_body_error(b, "event count 4097 exceeds 4096");
	/* TLB1 with TLBSEL 0 */
	RESET();
	pl[0] = ABTP_EV_TLB1;
	pl[1] = 0;
	pl[2] = 0;
	put32(pl + 3, 0x00000000);
	put32(pl + 7, 0x80000000);
	put32(pl + 11, 0);
	put32(pl + 15, 0);
	b_block(b, 1, pl, 19);
	b_u32(b, 0);
	b_u32(b, 0);
	b_trailer(b, 1, 0, 0, 0, 1, 0, 0);
	expect_body_error(b, "TLB1 event with MAS0 0x00000000 (TLBSEL 0, not 1)");
	/* pages: alignment, order, empty, CRC, count */
	{
		unsigned char pg[4 + 128 + 4 + 4];
		static const struct {
			uint32_t ea1, ea2;
			int known, flip;
			const char *want;
		} bad[] = {
			{ 0x1000, 0x1004, 1, 0, "page 2 (body offset 148): EA 0x00001004 not 4 KiB aligned" },
			{ 0x2000, 0x1000, 1, 0, "not above the previous page's 0x00002000" },
			{ 0x2000, 0x2000, 1, 0, "not above" },
			{ 0x1000, 0x2000, 0, 0, "page 2 (body offset 148): no known word" },
			{ 0x1000, 0x2000, 1, 1, "page 2 (body offset 148): CRC mismatch" },
		};
		unsigned int i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			RESET();
			b_u32(b, 0);
			b_u32(b, 2);
			memset(pg, 0, sizeof(pg));
			put32(pg, bad[i].ea1);
			pg[4] = 1;
			put32(pg + 132, 0x7c0000a6);
			put32(pg + 136, crc(pg, 136));
			memcpy(b->b + b->n, pg, 140);
			b->n += 140;
			memset(pg, 0, sizeof(pg));
			put32(pg, bad[i].ea2);
			pg[4] = (unsigned char)bad[i].known;
			put32(pg + 132, 0x7c0000a6);
			if (bad[i].known) {
				put32(pg + 136, crc(pg, 136) ^ (uint32_t)bad[i].flip);
				memcpy(b->b + b->n, pg, 140);
				b->n += 140;
			} else {
				put32(pg + 132, crc(pg, 132));
				memcpy(b->b + b->n, pg, 136);
				b->n += 136;
			}
			b_trailer(b, 0, 0, 0, 0, 0, 0, 2);
			expect_body_error(b, bad[i].want);
		}
		RESET();
		b_u32(b, 0);
		b_u32(b, 16385);
		expect_body_error(b, "count 16385 exceeds ABTP_MAX_PAGES (16384)");
	}
	/* the body ends before the page count */
	RESET();
	b_u32(b, 0);
	expect_body_error(b, "before the page count");
#undef RESET
	free(b);
}

/* ---- the committed profiles ---- */

#ifndef ABTP_NO_COMMITTED

static struct abtp_reader *open_committed(const char *name)
{
	char path[512], err[ABTP_ERR_LEN];
	struct abtp_reader *r;
	struct stat st;

	snprintf(path, sizeof(path), "%s/tests/profiles/%s", ABT_SRCDIR,
		 name);
	if (stat(path, &st))
		fail_msg("%s: %s (regenerate with make profiles)", path,
			 strerror(errno));
	assert_true(st.st_size <= 8 << 20);
	r = abtp_open(path, err, sizeof(err));
	if (!r)
		fail_msg("%s", err);
	return r;
}

/* Every event on a page the profile lists, each EXEC word as that page
 * holds it (unless the code changed since), icount monotonic. */
static void check_profile(struct abtp_reader *r, uint64_t *nexec_on_page)
{
	struct abtp_event ev;
	uint64_t last = 0, n = 0, on = 0;

	while (abtp_next(r, &ev)) {
		const struct abtp_page *pg;

		assert_true(ev.icount >= last);
		last = ev.icount;
		n++;
		if (ev.kind == ABTP_EV_EXEC) {
			pg = abtp_find_page(r, ev.pc);
			assert_non_null(pg);
			if (abtp_page_known(pg, (ev.pc & 0xfff) / 4) &&
			    pg->words[(ev.pc & 0xfff) / 4] == ev.word)
				on++;
		}
		if (ev.kind == ABTP_EV_LOAD || ev.kind == ABTP_EV_STORE)
			assert_non_null(abtp_find_page(r, ev.ea));
	}
	assert_true(n == abtp_info(r)->nevents);
	assert_true(abtp_info(r)->icount_end >= last);
	*nexec_on_page = on;
}

static void test_committed_linux(void **state)
{
	struct abtp_reader *r = open_committed("linux.abtp");
	const struct abtp_info *in = abtp_info(r);
	uint64_t on;

	assert_non_null(strstr(in->guest, "linux"));
	assert_non_null(strstr(in->qemu, "QEMU"));
	assert_true(in->nexec > 100000);
	assert_true(in->ntlb1 > 0);
	assert_true(in->nload > 0);
	assert_true(in->npages > 10);
	check_profile(r, &on);
	/* nearly every EXEC word is the word its page says */
	assert_true(on * 100 >= in->nexec * 99);
	abtp_close(r);
}

static void test_committed_uboot(void **state)
{
	struct abtp_reader *r = open_committed("uboot.abtp");
	const struct abtp_info *in = abtp_info(r);
	uint64_t on;

	assert_non_null(strstr(in->guest, "u-boot"));
	assert_true(in->nexec > 1000);
	assert_true(in->ntlb1 > 0);
	assert_true(in->nload + in->nstore > 0);
	check_profile(r, &on);
	assert_true(on * 100 >= in->nexec * 99);
	abtp_close(r);
}

#endif /* ABTP_NO_COMMITTED */

/* The supervisor rule of the Linux capture (docs/profile-format.md,
 * "Supervisor or user"), checked against the golden trace's MSR[PR]:
 * before the first privileged instruction at or above 0xc0000000 all run
 * in supervisor mode, after it exactly those below 0xc0000000 are user. */
static void test_supervisor_rule_vs_golden(void **state)
{
	char path[512], err[ABTT_ERR_LEN];
	struct abtt_reader *t;
	static struct abtt_record rec;
	int kernel_seen = 0, ret;
	unsigned int n = 0, user = 0;

	snprintf(path, sizeof(path), "%s/tests/golden/linux.abtt",
		 ABT_SRCDIR);
	t = abtt_open(path, err, sizeof(err));
	if (!t)
		fail_msg("%s", err);
	while ((ret = abtt_next(t, &rec)) == 1) {
		int pr = rec.pre.msr >> 14 & 1;
		int rule_user;

		if (rec.pc >= 0xc0000000u)
			kernel_seen = 1;
		rule_user = kernel_seen && rec.pc < 0xc0000000u;
		if (rule_user != pr)
			fail_msg("record %u pc 0x%08x msr 0x%08x: rule says %s",
				 n + 1, rec.pc, rec.pre.msr,
				 rule_user ? "user" : "supervisor");
		user += pr;
		n++;
	}
	assert_int_equal(ret, 0);
	assert_true(n > 1000);
	assert_true(user >= 1);
	abtt_close(t);
}

/* ---- setup ---- */

static int setup(void **state)
{
	(void)state;
	return tmpdir_make("abtp-test");
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_empty_and_limits),
		cmocka_unit_test(test_writer_rejects),
		cmocka_unit_test(test_abort_and_atomic),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_truncation_every_byte),
		cmocka_unit_test(test_bitflips),
		cmocka_unit_test(test_body_errors),
		cmocka_unit_test(test_supervisor_rule_vs_golden),
#ifndef ABTP_NO_COMMITTED
		cmocka_unit_test(test_committed_linux),
		cmocka_unit_test(test_committed_uboot),
#endif
	};

	return cmocka_run_group_tests_name("profile", tests, setup, teardown);
}
