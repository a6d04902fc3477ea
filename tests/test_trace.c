// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the golden-trace library (tools/trace/abtt.c): round trips,
 * header fields, and a reader that turns every kind of damage (truncation
 * at every byte, every single-bit flip, wrong version, absurd lengths,
 * count mismatches) into a clean error.
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

#include "abtt.h"
#include "test_rng.h"
#include "test_tmpdir.h"
#include "../tools/trace/be.h"

#define NFIXED		38	/* r0-r31, pc, msr, cr, xer, lr, ctr */

/* ---- helpers ---- */

static uint32_t crc(const unsigned char *p, size_t n)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

static void make_header(struct abtt_header *h, unsigned int nspr)
{
	static const struct {
		unsigned int n;
		const char *name;
	} real[] = {
		{ 26, "srr0" }, { 27, "srr1" }, { 58, "csrr0" },
		{ 59, "csrr1" }, { 61, "dear" }, { 62, "esr" },
		{ 63, "ivpr" }, { 48, "pid" }, { 272, "sprg0" },
		{ 273, "sprg1" }, { 340, "tcr" }, { 336, "tsr" },
	};
	unsigned int i;

	memset(h, 0, sizeof(*h));
	strcpy(h->guest, "linux-6.1.192");
	strcpy(h->qemu, "QEMU emulator version 7.2.15");
	strcpy(h->cpu, "e500v2");
	strcpy(h->options, "K=8 sites=elf-scan");
	h->nspr = nspr;
	for (i = 0; i < nspr; i++) {
		if (i < sizeof(real) / sizeof(real[0])) {
			h->spr[i] = real[i].n;
			strcpy(h->spr_name[i], real[i].name);
		} else {
			h->spr[i] = 512 + i;
			snprintf(h->spr_name[i], sizeof(h->spr_name[i]),
				 "spr%u", 512 + i);
		}
	}
}

static uint32_t *word(struct abtt_state *s, unsigned int i)
{
	static const size_t off[] = {
		offsetof(struct abtt_state, pc),
		offsetof(struct abtt_state, msr),
		offsetof(struct abtt_state, cr),
		offsetof(struct abtt_state, xer),
		offsetof(struct abtt_state, lr),
		offsetof(struct abtt_state, ctr),
	};

	if (i < 32)
		return &s->gpr[i];
	if (i < NFIXED)
		return (uint32_t *)((char *)s + off[i - 32]);
	return &s->spr[i - NFIXED];
}

/* A random record; each state word changes with probability pct/100. */
static void rand_record(struct abtt_record *rec, unsigned int nspr,
			unsigned int pct)
{
	unsigned int i, n = NFIXED + nspr;

	memset(rec, 0, sizeof(*rec));
	rec->pc = rnd() & ~3u;
	rec->word = rnd();
	rec->hit = rnd() % 8;
	for (i = 0; i < n; i++)
		*word(&rec->pre, i) = rnd() % 4 ? rnd() : 0;
	rec->post = rec->pre;
	for (i = 0; i < n; i++)
		if (rnd() % 100 < pct)
			*word(&rec->post, i) ^= rnd() | 1;
}

static void write_trace(const char *path, const struct abtt_header *h,
			const struct abtt_record *recs, unsigned int n,
			int compress, int complete, const char *reason)
{
	char err[ABTT_ERR_LEN] = "";
	struct abtt_writer *w = abtt_create(path, h, compress, err,
					    sizeof(err));
	unsigned int i;

	if (!w)
		fail_msg("abtt_create: %s", err);
	for (i = 0; i < n; i++)
		assert_int_equal(abtt_write(w, &recs[i]), 0);
	assert_string_equal(abtt_writer_error(w), "");
	assert_true(abtt_writer_count(w) == n);
	if (abtt_finish(w, complete, reason, err, sizeof(err)))
		fail_msg("abtt_finish: %s", err);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n ? (size_t)n : 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Read every record of r and compare them with recs[0..n). */
static void check_records(struct abtt_reader *r,
			  const struct abtt_record *recs, unsigned int n)
{
	struct abtt_record got;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = abtt_next(r, &got);
		if (ret != 1)
			fail_msg("record %u: abtt_next %d: %s", i, ret,
				 abtt_error(r));
		assert_memory_equal(&got, &recs[i], sizeof(got));
	}
	ret = abtt_next(r, &got);
	if (ret != 0)
		fail_msg("end: abtt_next %d: %s", ret, abtt_error(r));
	assert_non_null(abtt_get_trailer(r));
	assert_true(abtt_get_trailer(r)->nrecords == n);
	assert_true(abtt_record_count(r) == n);
	assert_int_equal(abtt_next(r, &got), 0);	/* stays at the end */
}

/*
 * Read buf[0..len) to the end: 0 if it read cleanly to a valid trailer,
 * -1 on an error (whose message is copied to msg, and must not be empty).
 */
static int read_mem(const unsigned char *buf, size_t len, char *msg,
		    size_t msglen, struct abtt_record *recs, unsigned int *n,
		    struct abtt_trailer *t)
{
	char err[ABTT_ERR_LEN] = "";
	struct abtt_reader *r = abtt_open_mem(buf, len, err, sizeof(err));
	struct abtt_record rec;
	unsigned int k = 0;
	int ret;

	if (!r) {
		assert_true(err[0] != 0);
		snprintf(msg, msglen, "%s", err);
		return -1;
	}
	while ((ret = abtt_next(r, &rec)) == 1) {
		if (recs)
			recs[k] = rec;
		k++;
		assert_true(k <= 100000);
	}
	if (n)
		*n = k;
	if (ret == 0) {
		assert_non_null(abtt_get_trailer(r));
		if (t)
			*t = *abtt_get_trailer(r);
	} else {
		assert_int_equal(ret, -1);
		assert_true(abtt_error(r)[0] != 0);
		snprintf(msg, msglen, "%s", abtt_error(r));
		assert_int_equal(abtt_next(r, &rec), -1);  /* stays failed */
		assert_null(abtt_get_trailer(r));
	}
	abtt_close(r);
	return ret;
}

static size_t body_start(const unsigned char *buf)
{
	return 16 + get32(buf + 12) + 4;
}

static void fix_header_crc(unsigned char *buf)
{
	size_t end = 16 + get32(buf + 12);

	put32(buf + end, crc(buf, end));
}

/* File offset of record k (0-based) of an uncompressed trace. */
static size_t record_off(const unsigned char *buf, unsigned int k)
{
	size_t off = body_start(buf);

	while (k--)
		off += 8 + get32(buf + off);
	return off;
}

/* A small trace in memory: 3 records, 3 SPRs. */
static unsigned char *small_trace(const char *name, int compress,
				  struct abtt_record *recs, size_t *len)
{
	struct abtt_header h;
	char path[512];
	unsigned int i;

	make_header(&h, 3);
	for (i = 0; i < 3; i++)
		rand_record(&recs[i], 3, 10 + 20 * i);
	path_in(path, sizeof(path), name);
	write_trace(path, &h, recs, 3, compress, 1, NULL);
	return slurp(path, len);
}

static void expect_error(const unsigned char *buf, size_t len,
			 const char *needle)
{
	char msg[ABTT_ERR_LEN];

	if (read_mem(buf, len, msg, sizeof(msg), NULL, NULL, NULL) != -1)
		fail_msg("no error, want \"%s\"", needle);
	if (!strstr(msg, needle))
		fail_msg("error \"%s\" does not contain \"%s\"", msg, needle);
}

/* ---- round trips ---- */

static void roundtrip(int compress)
{
	static const unsigned int nsprs[] = { 0, 1, 7, 8, 9, 37, 160 };
	static const unsigned int pcts[] = { 0, 3, 50, 100 };
	static struct abtt_record recs[300];
	char path[512], err[ABTT_ERR_LEN];
	unsigned int a, i, n;

	seed_rng(compress ? 2 : 1);
	path_in(path, sizeof(path), "rt.abtt");
	for (a = 0; a < sizeof(nsprs) / sizeof(nsprs[0]); a++) {
		struct abtt_header h;
		struct abtt_reader *r;
		unsigned char *buf;
		size_t len;

		n = a == 0 ? 0 : a == 1 ? 1 : 300;
		make_header(&h, nsprs[a]);
		for (i = 0; i < n; i++)
			rand_record(&recs[i], nsprs[a],
				    pcts[rnd() % (sizeof(pcts) /
						  sizeof(pcts[0]))]);
		write_trace(path, &h, recs, n, compress, 1, "");

		r = abtt_open(path, err, sizeof(err));
		if (!r)
			fail_msg("abtt_open: %s", err);
		assert_memory_equal(abtt_get_header(r), &h, sizeof(h));
		assert_int_equal(abtt_is_compressed(r), compress);
		check_records(r, recs, n);
		assert_int_equal(abtt_get_trailer(r)->complete, 1);
		assert_string_equal(abtt_get_trailer(r)->reason, "");
		abtt_close(r);

		buf = slurp(path, &len);
		r = abtt_open_mem(buf, len, err, sizeof(err));
		if (!r)
			fail_msg("abtt_open_mem: %s", err);
		check_records(r, recs, n);
		abtt_close(r);
		free(buf);
	}
}

static void test_roundtrip_plain(void **state)
{
	roundtrip(0);
}

static void test_roundtrip_zlib(void **state)
{
	roundtrip(1);
}

/* Bigger than the reader's 64 KiB input buffer, through both readers. */
static void test_large(void **state)
{
	struct abtt_header h;
	struct abtt_record rec, got;
	char path[512], err[ABTT_ERR_LEN];
	int compress;

	path_in(path, sizeof(path), "large.abtt");
	make_header(&h, 40);
	for (compress = 0; compress < 2; compress++) {
		struct abtt_writer *w = abtt_create(path, &h, compress, err,
						    sizeof(err));
		struct abtt_reader *r;
		unsigned int i;

		assert_non_null(w);
		seed_rng(10);
		for (i = 0; i < 20000; i++) {
			rand_record(&rec, 40, i % 7);
			assert_int_equal(abtt_write(w, &rec), 0);
		}
		assert_int_equal(abtt_finish(w, 1, NULL, err, sizeof(err)),
				 0);
		r = abtt_open(path, err, sizeof(err));
		assert_non_null(r);
		seed_rng(10);
		for (i = 0; i < 20000; i++) {
			rand_record(&rec, 40, i % 7);
			assert_int_equal(abtt_next(r, &got), 1);
			assert_memory_equal(&got, &rec, sizeof(rec));
		}
		if (abtt_next(r, &got) != 0)
			fail_msg("%s", abtt_error(r));
		assert_true(abtt_get_trailer(r)->nrecords == 20000);
		abtt_close(r);
	}
}

/* ---- header ---- */

static void test_header_fields(void **state)
{
	struct abtt_header h;
	const struct abtt_header *g;
	struct abtt_reader *r;
	char path[512], err[ABTT_ERR_LEN];
	unsigned int i;

	make_header(&h, ABTT_MAX_SPR);
	memset(h.guest, 'g', sizeof(h.guest) - 1);
	memset(h.qemu, 'q', sizeof(h.qemu) - 1);
	memset(h.cpu, 'c', sizeof(h.cpu) - 1);
	memset(h.options, 'o', sizeof(h.options) - 1);
	for (i = 0; i < ABTT_MAX_SPR; i++) {
		h.spr[i] = 1023 - i;
		memset(h.spr_name[i], 'a' + i % 26,
		       sizeof(h.spr_name[i]) - 1);
	}
	path_in(path, sizeof(path), "hdr.abtt");
	write_trace(path, &h, NULL, 0, 0, 1, NULL);
	r = abtt_open(path, err, sizeof(err));
	if (!r)
		fail_msg("%s", err);
	g = abtt_get_header(r);
	assert_memory_equal(g, &h, sizeof(h));
	assert_int_equal(abtt_spr_index(g, 1023), 0);
	assert_int_equal(abtt_spr_index(g, 1023 - 159), 159);
	assert_int_equal(abtt_spr_index(g, 5), -1);
	assert_null(abtt_get_trailer(r));	/* not read yet */
	abtt_close(r);

	make_header(&h, 0);
	memset(h.guest, 0, sizeof(h.guest));
	memset(h.options, 0, sizeof(h.options));
	write_trace(path, &h, NULL, 0, 1, 1, NULL);
	r = abtt_open(path, err, sizeof(err));
	assert_non_null(r);
	assert_memory_equal(abtt_get_header(r), &h, sizeof(h));
	assert_int_equal(abtt_spr_index(abtt_get_header(r), 26), -1);
	abtt_close(r);

	make_header(&h, 12);
	assert_int_equal(abtt_spr_index(&h, 26), 0);
	assert_int_equal(abtt_spr_index(&h, 336), 11);
}

static void test_create_rejects(void **state)
{
	struct abtt_header h;
	char path[512], tmp[520], err[ABTT_ERR_LEN];

	path_in(path, sizeof(path), "bad.abtt");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);

	make_header(&h, 4);
	h.nspr = ABTT_MAX_SPR + 1;
	assert_null(abtt_create(path, &h, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "nspr 161"));

	make_header(&h, 4);
	memset(h.guest, 'x', sizeof(h.guest));
	assert_null(abtt_create(path, &h, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "guest is not NUL-terminated"));

	make_header(&h, 4);
	memset(h.spr_name[2], 'x', sizeof(h.spr_name[2]));
	assert_null(abtt_create(path, &h, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "SPR 2 name"));

	make_header(&h, 4);
	h.spr[3] = h.spr[1];
	assert_null(abtt_create(path, &h, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "repeats SPR 1"));

	make_header(&h, 4);
	h.spr[0] = 1024;
	assert_null(abtt_create(path, &h, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "exceeds 1023"));

	assert_false(exists(tmp));
	assert_false(exists(path));
}

/* ---- the writer and the file system ---- */

static void test_create_unwritable(void **state)
{
	struct abtt_header h;
	char path[512], err[ABTT_ERR_LEN] = "";
	FILE *f;

	make_header(&h, 2);
	assert_null(abtt_create("/nonexistent-abtt-dir/x.abtt", &h, 0, err,
				sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent-abtt-dir/x.abtt.tmp"));
	assert_non_null(strstr(err, strerror(ENOENT)));

	/* a parent that is a file: fails even for root */
	path_in(path, sizeof(path), "plainfile");
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	path_in(path, sizeof(path), "plainfile/x.abtt");
	assert_null(abtt_create(path, &h, 1, err, sizeof(err)));
	assert_non_null(strstr(err, strerror(ENOTDIR)));

	/* a read-only directory (root writes anyway: skip that part) */
	if (geteuid() != 0) {
		path_in(path, sizeof(path), "ro");
		assert_int_equal(mkdir(path, 0500), 0);
		path_in(path, sizeof(path), "ro/x.abtt");
		assert_null(abtt_create(path, &h, 0, err, sizeof(err)));
		assert_non_null(strstr(err, strerror(EACCES)));
		path_in(path, sizeof(path), "ro");
		chmod(path, 0700);
	}
}

static void test_tmp_and_rename(void **state)
{
	struct abtt_header h;
	struct abtt_record rec;
	struct abtt_writer *w;
	char path[512], tmp[520], err[ABTT_ERR_LEN];
	unsigned char *buf;
	size_t len;
	FILE *f;

	seed_rng(3);
	make_header(&h, 2);
	rand_record(&rec, 2, 20);
	path_in(path, sizeof(path), "tmp.abtt");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);

	/* an older trace under the final name stays until finish */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("old", f);
	fclose(f);

	w = abtt_create(path, &h, 0, err, sizeof(err));
	assert_non_null(w);
	assert_true(exists(tmp));
	assert_int_equal(abtt_write(w, &rec), 0);
	abtt_abort(w);
	assert_false(exists(tmp));
	buf = slurp(path, &len);
	assert_int_equal(len, 3);
	free(buf);

	w = abtt_create(path, &h, 1, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(abtt_write(w, &rec), 0);
	assert_true(exists(tmp));
	assert_int_equal(abtt_finish(w, 1, NULL, err, sizeof(err)), 0);
	assert_false(exists(tmp));
	buf = slurp(path, &len);
	assert_memory_equal(buf, "ABTTRACE", 8);
	free(buf);

	abtt_abort(NULL);
	assert_int_equal(abtt_write(NULL, &rec), -1);
	assert_int_equal(abtt_finish(NULL, 1, NULL, err, sizeof(err)), -1);
}

static void test_open_errors(void **state)
{
	char path[512], err[ABTT_ERR_LEN];

	path_in(path, sizeof(path), "missing.abtt");
	assert_null(abtt_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, strerror(ENOENT)));

	assert_null(abtt_open(tmpdir, err, sizeof(err)));	/* directory */
	assert_true(err[0] != 0);

	assert_null(abtt_open_mem(NULL, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "truncated at offset 0"));
	assert_null(abtt_open_mem("", 0, NULL, 0));	/* no err buffer */
}

/* ---- trailer ---- */

static void test_truncated_marked(void **state)
{
	struct abtt_header h;
	struct abtt_record recs[5];
	struct abtt_reader *r;
	char path[512], err[ABTT_ERR_LEN], longreason[300];
	unsigned int i;
	int compress;

	seed_rng(4);
	make_header(&h, 5);
	for (i = 0; i < 5; i++)
		rand_record(&recs[i], 5, 30);
	path_in(path, sizeof(path), "cut.abtt");
	for (compress = 0; compress < 2; compress++) {
		write_trace(path, &h, recs, 5, compress, 0,
			    "qemu: guest hung after 5000000 insns");
		r = abtt_open(path, err, sizeof(err));
		assert_non_null(r);
		check_records(r, recs, 5);
		assert_int_equal(abtt_get_trailer(r)->complete, 0);
		assert_string_equal(abtt_get_trailer(r)->reason,
				    "qemu: guest hung after 5000000 insns");
		abtt_close(r);
	}

	/* a reason too long for the trailer is cut to 127 bytes */
	memset(longreason, 'r', sizeof(longreason) - 1);
	longreason[sizeof(longreason) - 1] = 0;
	write_trace(path, &h, recs, 2, 0, 0, longreason);
	r = abtt_open(path, err, sizeof(err));
	assert_non_null(r);
	check_records(r, recs, 2);
	assert_int_equal(strlen(abtt_get_trailer(r)->reason), 127);
	abtt_close(r);
}

static void test_trailer_count_mismatch(void **state)
{
	struct abtt_record recs[3];
	unsigned char *buf;
	size_t len, t;

	seed_rng(5);
	buf = small_trace("count.abtt", 0, recs, &len);
	t = record_off(buf, 3);
	assert_int_equal(get32(buf + t), 0xffffffffu);
	buf[t + 11] = 4;		/* count, low byte */
	put32(buf + len - 4, crc(buf + t, len - 4 - t));
	expect_error(buf, len, "record count 4, but 3 records read");

	buf[t + 11] = 3;
	buf[t + 12] = 2;		/* complete flag */
	put32(buf + len - 4, crc(buf + t, len - 4 - t));
	expect_error(buf, len, "complete flag 2");

	buf[t + 12] = 1;
	put16(buf + t + 13, 0xffff);	/* reason length */
	expect_error(buf, len, "reason length 65535 exceeds 127");
	free(buf);
}

static void test_trailing_data(void **state)
{
	struct abtt_record recs[3];
	unsigned char *buf, *big;
	size_t len;
	int compress;

	seed_rng(6);
	for (compress = 0; compress < 2; compress++) {
		buf = small_trace("tail.abtt", compress, recs, &len);
		big = malloc(len + 1);
		assert_non_null(big);
		memcpy(big, buf, len);
		big[len] = 0;
		expect_error(big, len + 1,
			     compress ? "after the zlib stream" :
					"after the trailer");
		free(big);
		free(buf);
	}
}

/* ---- damage ---- */

static void test_wrong_version(void **state)
{
	struct abtt_record recs[3];
	unsigned char *buf;
	size_t len;

	seed_rng(7);
	buf = small_trace("ver.abtt", 0, recs, &len);
	buf[9] = 2;
	fix_header_crc(buf);
	expect_error(buf, len,
		     "unsupported trace version 2 (this reader reads 1)");
	buf[8] = 1;
	buf[9] = 0;
	expect_error(buf, len,
		     "unsupported trace version 256 (this reader reads 1)");
	buf[8] = 0;
	buf[9] = 1;
	buf[11] = 2;			/* unknown flag */
	fix_header_crc(buf);
	expect_error(buf, len, "unknown flags 0x0002 at offset 10");
	free(buf);
}

static void test_bad_magic(void **state)
{
	struct abtt_record recs[3];
	unsigned char *buf;
	size_t len;

	seed_rng(8);
	buf = small_trace("magic.abtt", 0, recs, &len);
	buf[7] = 'F';
	expect_error(buf, len, "bad magic at offset 0");
	expect_error((const unsigned char *)"\x7f" "ELF", 4, "bad magic");
	expect_error((const unsigned char *)"ABTT", 4,
		     "header: truncated at offset 4");
	free(buf);
}

static void test_absurd_lengths(void **state)
{
	struct abtt_record recs[3];
	unsigned char *buf, *copy;
	size_t len, off, nsproff;
	unsigned int l;

	seed_rng(9);
	buf = small_trace("abs.abtt", 0, recs, &len);
	copy = malloc(len);
	assert_non_null(copy);

#define RESET() memcpy(copy, buf, len)
	RESET();
	put32(copy + 12, 0xffffffffu);
	expect_error(copy, len, "header: length 4294967295 at offset 12");
	RESET();
	put32(copy + 12, 100000);
	expect_error(copy, len, "out of range");
	RESET();
	put32(copy + 12, get32(copy + 12) + 8);	/* longer than it is */
	expect_error(copy, len, "CRC mismatch");

	RESET();
	put16(copy + 16, 0xffff);			/* guest length */
	fix_header_crc(copy);
	expect_error(copy, len, "guest length 65535 at offset 16 exceeds 63");
	RESET();
	put16(copy + 16, 60);		/* fits, but runs into other fields */
	fix_header_crc(copy);
	expect_error(copy, len, "header:");

	/* nspr sits after the four strings */
	RESET();
	nsproff = 16;
	for (l = 0; l < 4; l++)
		nsproff += 2 + ((size_t)copy[nsproff] << 8 | copy[nsproff + 1]);
	RESET();
	put16(copy + nsproff, 1000);
	fix_header_crc(copy);
	expect_error(copy, len, "nspr 1000");
	RESET();
	put16(copy + nsproff, 160);	/* allowed, but the header is short */
	fix_header_crc(copy);
	expect_error(copy, len, "runs past the header end");
	RESET();
	copy[nsproff + 4] = 200;	/* SPR 0 name length */
	fix_header_crc(copy);
	expect_error(copy, len, "SPR 0 name length 200");

	off = record_off(buf, 1);
	RESET();
	put32(copy + off, 0x7fffffffu);
	expect_error(copy, len,
		     "record 2 (offset");
	expect_error(copy, len, "payload length 2147483647 out of range");
	RESET();
	put32(copy + off, get32(copy + off) + 4);
	expect_error(copy, len, "but its diff bitmap says");
	RESET();
	put32(copy + off, 0);
	expect_error(copy, len, "record 2");
#undef RESET
	free(copy);
	free(buf);
}

/* Diffs are canonical: a changed word differs, no padding bits. */
static void test_noncanonical_diff(void **state)
{
	struct abtt_header h;
	struct abtt_record rec;
	unsigned char *buf;
	char path[512];
	size_t len, off, bm;
	unsigned int plen, i, first;

	seed_rng(11);
	make_header(&h, 3);		/* 41 words: 6 bitmap bytes */
	rand_record(&rec, 3, 0);
	rec.post.gpr[5] ^= 1;
	path_in(path, sizeof(path), "canon.abtt");
	write_trace(path, &h, &rec, 1, 0, 1, NULL);
	buf = slurp(path, &len);
	off = record_off(buf, 0);
	plen = get32(buf + off);
	bm = off + 4 + 12 + 4 * 41;
	assert_int_equal(buf[bm], 1 << 5);
	/* the changed word made equal to the pre word */
	put32(buf + off + 4 + plen - 4, rec.pre.gpr[5]);
	put32(buf + off + 4 + plen, crc(buf + off + 4, plen));
	expect_error(buf, len, "state word 5 (r5) marked changed but equal");
	free(buf);

	/* a padding bit: move the one changed bit past the last word */
	buf = slurp(path, &len);
	buf[bm] = 0;
	buf[bm + 5] = 0x80;
	put32(buf + off + 4 + plen, crc(buf + off + 4, plen));
	expect_error(buf, len, "bits set past state word 40");
	free(buf);

	/* names of SPR words in messages */
	rand_record(&rec, 3, 0);
	rec.post.spr[2] ^= 4;
	write_trace(path, &h, &rec, 1, 0, 1, NULL);
	buf = slurp(path, &len);
	first = 40;
	assert_int_equal(buf[bm + first / 8], 1 << (first % 8));
	put32(buf + off + 4 + plen - 4, rec.pre.spr[2]);
	put32(buf + off + 4 + plen, crc(buf + off + 4, plen));
	expect_error(buf, len, "(spr 58 csrr0) marked changed but equal");
	for (i = 0; i < 4; i++)
		buf[off + 4 + plen + i] ^= 0xff;
	expect_error(buf, len, "record 1 (offset");
	free(buf);
}

/* Cut at every byte: always an error, named as a truncation in the body. */
static void test_truncate_plain(void **state)
{
	struct abtt_record recs[3], got[3];
	char msg[ABTT_ERR_LEN], want[64];
	unsigned char *buf;
	size_t len, cut, bs, bounds[4];
	unsigned int k, n;

	seed_rng(12);
	buf = small_trace("trunc.abtt", 0, recs, &len);
	bs = body_start(buf);
	for (k = 0; k < 4; k++)
		bounds[k] = record_off(buf, k);
	for (cut = 0; cut < len; cut++) {
		assert_int_equal(read_mem(buf, cut, msg, sizeof(msg), got, &n,
					  NULL), -1);
		if (cut < bs) {
			assert_non_null(strstr(msg, "header"));
			continue;
		}
		k = 0;
		while (k < 3 && cut >= bounds[k + 1])
			k++;
		snprintf(want, sizeof(want),
			 "truncated after record %u (no trailer)", k);
		if (strncmp(msg, want, strlen(want)))
			fail_msg("cut %zu: \"%s\", want \"%s\"", cut, msg,
				 want);
		assert_int_equal(n, k);
		for (k = 0; k < n; k++)
			assert_memory_equal(&got[k], &recs[k], sizeof(recs[k]));
		if (cut == bounds[n]) {
			snprintf(want, sizeof(want), "the body ends at offset %zu",
				 cut);
			assert_non_null(strstr(msg, want));
		}
	}
	assert_int_equal(read_mem(buf, len, msg, sizeof(msg), NULL, NULL,
				  NULL), 0);
	free(buf);
}

static void test_truncate_zlib(void **state)
{
	struct abtt_record recs[3];
	char msg[ABTT_ERR_LEN];
	unsigned char *buf;
	size_t len, cut, bs;

	seed_rng(13);
	buf = small_trace("truncz.abtt", 1, recs, &len);
	bs = body_start(buf);
	for (cut = 0; cut < len; cut++) {
		assert_int_equal(read_mem(buf, cut, msg, sizeof(msg), NULL,
					  NULL, NULL), -1);
		if (cut >= bs && !strstr(msg, "truncated after record") &&
		    !strstr(msg, "zlib stream truncated"))
			fail_msg("cut %zu: \"%s\"", cut, msg);
	}
	free(buf);
}

/* Every single-bit flip of a small uncompressed file is an error. */
static void test_bitflip_plain(void **state)
{
	struct abtt_record recs[3];
	char msg[ABTT_ERR_LEN];
	unsigned char *buf;
	size_t len, bit;

	seed_rng(14);
	buf = small_trace("flip.abtt", 0, recs, &len);
	for (bit = 0; bit < len * 8; bit++) {
		buf[bit / 8] ^= 1u << (bit % 8);
		if (read_mem(buf, len, msg, sizeof(msg), NULL, NULL, NULL) != -1)
			fail_msg("flip of bit %zu (byte %zu) went unnoticed",
				 bit % 8, bit / 8);
		buf[bit / 8] ^= 1u << (bit % 8);
	}
	free(buf);
}

/*
 * Compressed: a flip is an error, or reads back exactly the same records.
 * Deflate has bits whose flip decodes to the same bytes (the final byte's
 * padding, some code-length codes of a dynamic block); the zlib stream's
 * Adler-32 and the record CRCs cover everything else.
 */
static void test_bitflip_zlib(void **state)
{
	struct abtt_record recs[3], got[3];
	struct abtt_trailer t;
	char msg[ABTT_ERR_LEN];
	unsigned char *buf;
	size_t len, bit;
	unsigned int n, k;

	seed_rng(15);
	buf = small_trace("flipz.abtt", 1, recs, &len);
	for (bit = 0; bit < len * 8; bit++) {
		buf[bit / 8] ^= 1u << (bit % 8);
		if (read_mem(buf, len, msg, sizeof(msg), got, &n, &t) == 0) {
			assert_int_equal(n, 3);
			for (k = 0; k < 3; k++)
				assert_memory_equal(&got[k], &recs[k],
						    sizeof(recs[k]));
			assert_int_equal(t.complete, 1);
		}
		buf[bit / 8] ^= 1u << (bit % 8);
	}
	free(buf);
}

/* ---- setup ---- */

static int setup(void **state)
{
	(void)state;
	return tmpdir_make("abtt-test");
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_plain),
		cmocka_unit_test(test_roundtrip_zlib),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_create_rejects),
		cmocka_unit_test(test_create_unwritable),
		cmocka_unit_test(test_tmp_and_rename),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_truncated_marked),
		cmocka_unit_test(test_trailer_count_mismatch),
		cmocka_unit_test(test_trailing_data),
		cmocka_unit_test(test_wrong_version),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_absurd_lengths),
		cmocka_unit_test(test_noncanonical_diff),
		cmocka_unit_test(test_truncate_plain),
		cmocka_unit_test(test_truncate_zlib),
		cmocka_unit_test(test_bitflip_plain),
		cmocka_unit_test(test_bitflip_zlib),
	};

	return cmocka_run_group_tests_name("trace", tests, setup, teardown);
}
