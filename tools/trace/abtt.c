// SPDX-License-Identifier: GPL-2.0
/*
 * Golden-trace files: writer and validating reader.
 * The format is described byte by byte in docs/golden-trace-format.md.
 *
 * Writer: header, then records streamed through stdio (and deflate when
 * compressing), then the trailer; all of it goes to PATH.tmp, which
 * abtt_finish() fsyncs and renames to PATH.
 *
 * Reader: a raw source (a memory buffer or a FILE read in 64 KiB chunks),
 * under it the body stream (the raw bytes after the header, or what inflate
 * makes of them). Every length is checked against a fixed limit before it
 * is used; the only buffers are fixed-size ones in struct abtt_reader.
 */
#define _POSIX_C_SOURCE 200809L
#define ZLIB_CONST
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "abtt.h"
#include "be.h"
#include "filew.h"

#define MAGIC		"ABTTRACE"
#define MAGIC_LEN	8
#define FLAG_ZLIB	0x0001u
#define FLAGS_KNOWN	FLAG_ZLIB
#define FIXED_HDR	16		/* magic, version, flags, header length */

/* Capacities of the header strings, NUL included (struct abtt_header). */
#define GUEST_CAP	64
#define QEMU_CAP	64
#define CPU_CAP		32
#define OPTIONS_CAP	256
#define NAME_CAP	12
#define REASON_CAP	128
#define SPRN_MAX	1023		/* SPR numbers are 10 bits */

/* Header fields: 4 strings (u16 length), u16 nspr, per SPR u16 + u8 + name */
#define HDR_FIELDS_MIN	(4 * 2 + 2)
#define HDR_FIELDS_MAX	(HDR_FIELDS_MIN + (GUEST_CAP - 1) + (QEMU_CAP - 1) + \
			 (CPU_CAP - 1) + (OPTIONS_CAP - 1) + \
			 ABTT_MAX_SPR * (2 + 1 + (NAME_CAP - 1)))

/* State words: r0-r31, pc, msr, cr, xer, lr, ctr, then the SPRs. */
#define NFIXED_WORDS	38
#define MAX_WORDS	(NFIXED_WORDS + ABTT_MAX_SPR)
#define BITMAP_BYTES(n)	(((n) + 7) / 8)
/* Payload without changed words: pc, word, hit, pre-state, bitmap. */
#define REC_FIXED(n)	(12 + 4 * (n) + BITMAP_BYTES(n))
#define REC_MAX_PAYLOAD	(REC_FIXED(MAX_WORDS) + 4 * MAX_WORDS)

#define TRAILER_MARK	0xffffffffu
/* mark, count, complete, reason length; then reason, CRC */
#define TRAILER_FIXED	(4 + 8 + 1 + 2)
#define TRAILER_MAX	(TRAILER_FIXED + (REASON_CAP - 1) + 4)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define IOBUF		65536
#define RAW_CHUNK	(1u << 30)	/* at most this much handed to inflate */

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
int abtt_fuzz_ignore_crc;
#define CRC_BAD(a, b)	((a) != (b) && !abtt_fuzz_ignore_crc)
#else
#define CRC_BAD(a, b)	((a) != (b))
#endif

typedef unsigned long long ull;

/* ---- helpers ---- */

static uint32_t crc(const unsigned char *p, size_t n)
{
	uLong c = crc32(0L, Z_NULL, 0);

	while (n > 0) {
		uInt k = n > RAW_CHUNK ? RAW_CHUNK : (uInt)n;

		c = crc32(c, p, k);
		p += k;
		n -= k;
	}
	return (uint32_t)c;
}

static unsigned int nwords(unsigned int nspr)
{
	return NFIXED_WORDS + nspr;
}

static uint32_t *state_word(struct abtt_state *s, unsigned int i)
{
	if (i < 32)
		return &s->gpr[i];
	switch (i) {
	case 32: return &s->pc;
	case 33: return &s->msr;
	case 34: return &s->cr;
	case 35: return &s->xer;
	case 36: return &s->lr;
	case 37: return &s->ctr;
	}
	return &s->spr[i - NFIXED_WORDS];
}

static uint32_t state_get(const struct abtt_state *s, unsigned int i)
{
	return *state_word((struct abtt_state *)s, i);
}

static void word_name(const struct abtt_header *h, unsigned int i, char *buf,
		      size_t len)
{
	static const char *const names[] = {
		"pc", "msr", "cr", "xer", "lr", "ctr"
	};

	if (i < 32)
		snprintf(buf, len, "r%u", i);
	else if (i < NFIXED_WORDS)
		snprintf(buf, len, "%s", names[i - 32]);
	else
		snprintf(buf, len, "spr %u %s", h->spr[i - NFIXED_WORDS],
			 h->spr_name[i - NFIXED_WORDS]);
}

int abtt_spr_index(const struct abtt_header *h, unsigned int sprn)
{
	unsigned int i, n = h->nspr < ABTT_MAX_SPR ? h->nspr : ABTT_MAX_SPR;

	for (i = 0; i < n; i++)
		if (h->spr[i] == sprn)
			return (int)i;
	return -1;
}

/* ---- writing ---- */

struct abtt_writer {
	FILE *f;
	char *path, *tmp;
	unsigned int nspr;
	int compress;
	z_stream zs;
	int zs_init;
	uint64_t nrec;
	int failed;
	char err[ABTT_ERR_LEN];
	unsigned char zout[IOBUF];
	unsigned char buf[4 + REC_MAX_PAYLOAD + 4];	/* length, payload, CRC */
};

static int wfail(struct abtt_writer *w, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vfmt(w->err, sizeof(w->err), f, ap);
	va_end(ap);
	w->failed = 1;
	return -1;
}

static int raw_write(struct abtt_writer *w, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, w->f) != n)
		return wfail(w, "%s: write: %s", w->tmp, strerror(errno));
	return 0;
}

/* Body bytes: straight to the file, or through deflate. */
static int body_write(struct abtt_writer *w, const void *p, size_t n, int fin)
{
	int ret;

	if (!w->compress)
		return raw_write(w, p, n);
	ret = deflate_to(w->f, &w->zs, w->zout, sizeof(w->zout), p, n, fin);
	if (ret == -2)
		return wfail(w, "%s: deflate failed", w->tmp);
	if (ret)
		return wfail(w, "%s: write: %s", w->tmp, strerror(errno));
	return 0;
}

/* Length of a NUL-terminated string in a field of cap bytes, or -1. */
static int field_len(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	return n < cap ? (int)n : -1;
}

static unsigned char *put_str(unsigned char *p, const char *s, size_t n)
{
	put16(p, (unsigned int)n);
	memcpy(p + 2, s, n);
	return p + 2 + n;
}

static int check_header(const struct abtt_header *h, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		size_t off, cap;
	} str[] = {
		{ "guest", offsetof(struct abtt_header, guest), GUEST_CAP },
		{ "qemu", offsetof(struct abtt_header, qemu), QEMU_CAP },
		{ "cpu", offsetof(struct abtt_header, cpu), CPU_CAP },
		{ "options", offsetof(struct abtt_header, options),
		  OPTIONS_CAP },
	};
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(str); i++) {
		if (field_len((const char *)h + str[i].off, str[i].cap) < 0) {
			fmt(err, errlen, "header: %s is not NUL-terminated",
			    str[i].name);
			return -1;
		}
	}
	if (h->nspr > ABTT_MAX_SPR) {
		fmt(err, errlen, "header: nspr %u exceeds ABTT_MAX_SPR (%u)",
		    h->nspr, ABTT_MAX_SPR);
		return -1;
	}
	for (i = 0; i < h->nspr; i++) {
		if (h->spr[i] > SPRN_MAX) {
			fmt(err, errlen, "header: SPR %u number %u exceeds %u",
			    i, h->spr[i], SPRN_MAX);
			return -1;
		}
		if (field_len(h->spr_name[i], NAME_CAP) < 0) {
			fmt(err, errlen,
			    "header: SPR %u name is not NUL-terminated", i);
			return -1;
		}
		for (j = 0; j < i; j++) {
			if (h->spr[j] == h->spr[i]) {
				fmt(err, errlen,
				    "header: SPR %u number %u repeats SPR %u",
				    i, h->spr[i], j);
				return -1;
			}
		}
	}
	return 0;
}

static size_t encode_header(const struct abtt_header *h, int compress,
			    unsigned char *buf)
{
	unsigned char *p = buf + FIXED_HDR;
	unsigned int i;
	size_t hlen;

	p = put_str(p, h->guest, strlen(h->guest));
	p = put_str(p, h->qemu, strlen(h->qemu));
	p = put_str(p, h->cpu, strlen(h->cpu));
	p = put_str(p, h->options, strlen(h->options));
	put16(p, h->nspr);
	p += 2;
	for (i = 0; i < h->nspr; i++) {
		size_t n = strlen(h->spr_name[i]);

		put16(p, h->spr[i]);
		p[2] = (unsigned char)n;
		memcpy(p + 3, h->spr_name[i], n);
		p += 3 + n;
	}
	hlen = (size_t)(p - buf) - FIXED_HDR;
	memcpy(buf, MAGIC, MAGIC_LEN);
	put16(buf + 8, ABTT_VERSION);
	put16(buf + 10, compress ? FLAG_ZLIB : 0);
	put32(buf + 12, (uint32_t)hlen);
	put32(p, crc(buf, FIXED_HDR + hlen));
	return FIXED_HDR + hlen + 4;
}

static void writer_free(struct abtt_writer *w)
{
	if (w->zs_init)
		deflateEnd(&w->zs);
	free(w->path);
	free(w->tmp);
	free(w);
}

struct abtt_writer *abtt_create(const char *path, const struct abtt_header *h,
				int compress, char *err, size_t errlen)
{
	unsigned char hdr[FIXED_HDR + HDR_FIELDS_MAX + 4];
	struct abtt_writer *w;
	size_t n;

	if (!path || !h) {
		fmt(err, errlen, "abtt_create: no path or header");
		return NULL;
	}
	if (check_header(h, err, errlen))
		return NULL;
	w = calloc(1, sizeof(*w));
	if (!w) {
		fmt(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	w->nspr = h->nspr;
	w->compress = !!compress;
	w->path = strdup(path);
	w->tmp = concat(path, ".tmp");
	if (!w->path || !w->tmp) {
		fmt(err, errlen, "%s: out of memory", path);
		writer_free(w);
		return NULL;
	}
	if (w->compress) {
		if (deflateInit(&w->zs, Z_DEFAULT_COMPRESSION) != Z_OK) {
			fmt(err, errlen, "%s: deflateInit failed", path);
			writer_free(w);
			return NULL;
		}
		w->zs_init = 1;
	}
	w->f = fopen(w->tmp, "wb");
	if (!w->f) {
		fmt(err, errlen, "%s: %s", w->tmp, strerror(errno));
		writer_free(w);
		return NULL;
	}
	n = encode_header(h, w->compress, hdr);
	if (raw_write(w, hdr, n)) {
		fmt(err, errlen, "%s", w->err);
		abtt_abort(w);
		return NULL;
	}
	return w;
}

int abtt_write(struct abtt_writer *w, const struct abtt_record *rec)
{
	unsigned int i, n, len;
	unsigned char *p, *bitmap;

	if (!w || !rec)
		return -1;
	if (w->failed)
		return -1;
	n = nwords(w->nspr);
	p = w->buf + 4;
	put32(p, rec->pc);
	put32(p + 4, rec->word);
	put32(p + 8, rec->hit);
	p += 12;
	for (i = 0; i < n; i++, p += 4)
		put32(p, state_get(&rec->pre, i));
	bitmap = p;
	memset(bitmap, 0, BITMAP_BYTES(n));
	p += BITMAP_BYTES(n);
	for (i = 0; i < n; i++) {
		uint32_t v = state_get(&rec->post, i);

		if (v == state_get(&rec->pre, i))
			continue;
		bitmap[i / 8] |= 1u << (i % 8);
		put32(p, v);
		p += 4;
	}
	len = (unsigned int)(p - (w->buf + 4));
	put32(w->buf, len);
	put32(p, crc(w->buf + 4, len));
	if (body_write(w, w->buf, len + 8, 0))
		return -1;
	w->nrec++;
	return 0;
}

int abtt_finish(struct abtt_writer *w, int complete, const char *reason,
		char *err, size_t errlen)
{
	unsigned char t[TRAILER_MAX];
	size_t rlen;

	if (!w) {
		fmt(err, errlen, "abtt_finish: no writer");
		return -1;
	}
	if (w->failed)
		goto fail;
	if (!reason)
		reason = "";
	rlen = strnlen(reason, REASON_CAP - 1);	/* longer ones are cut */
	put32(t, TRAILER_MARK);
	put64(t + 4, w->nrec);
	t[12] = complete ? 1 : 0;
	put16(t + 13, (unsigned int)rlen);
	memcpy(t + TRAILER_FIXED, reason, rlen);
	put32(t + TRAILER_FIXED + rlen, crc(t, TRAILER_FIXED + rlen));
	if (body_write(w, t, TRAILER_FIXED + rlen + 4, 1))
		goto fail;
	if (commit_file(&w->f, w->tmp, w->path, w->err, sizeof(w->err))) {
		w->failed = 1;
		goto fail;
	}
	writer_free(w);
	return 0;
fail:
	fmt(err, errlen, "%s", w->err);
	abtt_abort(w);
	return -1;
}

void abtt_abort(struct abtt_writer *w)
{
	if (!w)
		return;
	if (w->f)
		fclose(w->f);
	unlink(w->tmp);
	writer_free(w);
}

const char *abtt_writer_error(const struct abtt_writer *w)
{
	if (!w)
		return "no writer";
	return w->failed ? w->err : "";
}

uint64_t abtt_writer_count(const struct abtt_writer *w)
{
	return w ? w->nrec : 0;
}

/* ---- reading ---- */

enum { ST_RECORDS, ST_END, ST_ERROR };

struct abtt_reader {
	/* raw source: mem != NULL, or f */
	const unsigned char *mem;
	size_t memlen;
	FILE *f;
	unsigned char *iobuf;		/* IOBUF bytes, file sources only */
	size_t io_pos, io_len;
	int io_eof;
	uint64_t raw_off;		/* raw bytes consumed */

	/* body stream */
	int compressed;
	z_stream zs;
	int zs_init, zs_end;
	uint64_t body_start;		/* file offset of the body */
	uint64_t boff;			/* body bytes consumed */

	struct abtt_header h;
	struct abtt_trailer t;
	int have_trailer;
	unsigned int nw, rec_fixed, rec_max;
	uint64_t nread;
	int state;
	char err[ABTT_ERR_LEN];
	unsigned char rec[REC_MAX_PAYLOAD + 4];
};

static int rfail(struct abtt_reader *r, const char *f, ...)
{
	va_list ap;

	if (r->state == ST_ERROR)	/* keep the first message */
		return -1;
	va_start(ap, f);
	vfmt(r->err, sizeof(r->err), f, ap);
	va_end(ap);
	r->state = ST_ERROR;
	return -1;
}

/*
 * A body position for messages: the file offset when the body is stored
 * as is, the offset in the decompressed body otherwise.
 */
static const char *where(const struct abtt_reader *r, uint64_t boff,
			 char *buf, size_t len)
{
	if (r->compressed)
		snprintf(buf, len, "decompressed body offset %llu", (ull)boff);
	else
		snprintf(buf, len, "offset %llu", (ull)(r->body_start + boff));
	return buf;
}

/* Contiguous raw bytes at the read position: 0 at end, -1 on error. */
static long raw_avail(struct abtt_reader *r, const unsigned char **p)
{
	size_t n;

	if (r->mem) {
		n = r->memlen - (size_t)r->raw_off;
		*p = r->mem + r->raw_off;
		return (long)(n > RAW_CHUNK ? RAW_CHUNK : n);
	}
	if (r->io_pos == r->io_len && !r->io_eof) {
		r->io_pos = 0;
		r->io_len = fread(r->iobuf, 1, IOBUF, r->f);
		if (r->io_len < IOBUF) {
			if (ferror(r->f))
				return rfail(r, "read error at offset %llu: %s",
					     (ull)r->raw_off, strerror(errno));
			r->io_eof = 1;
		}
	}
	*p = r->iobuf + r->io_pos;
	return (long)(r->io_len - r->io_pos);
}

static void raw_consume(struct abtt_reader *r, size_t n)
{
	r->raw_off += n;
	if (!r->mem)
		r->io_pos += n;
}

/* Up to n raw bytes; fewer at the end of input; -1 on error. */
static long raw_read(struct abtt_reader *r, unsigned char *dst, size_t n)
{
	size_t got = 0;

	while (got < n) {
		const unsigned char *p;
		long a = raw_avail(r, &p);
		size_t k;

		if (a < 0)
			return -1;
		if (a == 0)
			break;
		k = (size_t)a < n - got ? (size_t)a : n - got;
		memcpy(dst + got, p, k);
		raw_consume(r, k);
		got += k;
	}
	return (long)got;
}

/*
 * Up to n (small) body bytes; fewer where the body ends (end of input, or
 * of the zlib stream); -1 on error.
 */
static long body_read(struct abtt_reader *r, unsigned char *dst, size_t n)
{
	size_t got = 0;
	char at[64];

	if (!r->compressed) {
		long k = raw_read(r, dst, n);

		if (k > 0)
			r->boff += (uint64_t)k;
		return k;
	}
	while (got < n && !r->zs_end) {
		const unsigned char *p;
		long a = raw_avail(r, &p);
		uInt in, out;
		int ret;

		if (a < 0)
			return -1;
		r->zs.next_in = p;
		r->zs.avail_in = in = (uInt)a;
		r->zs.next_out = dst + got;
		r->zs.avail_out = out = (uInt)(n - got);
		ret = inflate(&r->zs, Z_NO_FLUSH);
		raw_consume(r, in - r->zs.avail_in);
		got += out - r->zs.avail_out;
		r->boff += out - r->zs.avail_out;
		if (ret == Z_STREAM_END) {
			r->zs_end = 1;
		} else if (ret == Z_BUF_ERROR) {
			/* no progress possible: the input has run out */
			if (a == 0)
				break;
			return rfail(r, "zlib stream stalled at file offset %llu (%s)",
				     (ull)r->raw_off,
				     where(r, r->boff, at, sizeof(at)));
		} else if (ret != Z_OK) {
			return rfail(r, "zlib stream corrupt at file offset %llu (%s): %s",
				     (ull)r->raw_off,
				     where(r, r->boff, at, sizeof(at)),
				     r->zs.msg ? r->zs.msg : "error");
		} else if (a == 0 && r->zs.avail_out == out) {
			break;	/* defensive: no input, no output */
		}
	}
	return (long)got;
}

/* "truncated after record N (no trailer): <what> at <offset>" */
static int truncated(struct abtt_reader *r, uint64_t boff, const char *what)
{
	char at[64];

	return rfail(r, "truncated after record %llu (no trailer): %s at %s",
		     (ull)r->nread, what, where(r, boff, at, sizeof(at)));
}

/* A length-prefixed header string into dst (cap bytes, NUL included). */
static int hdr_str(struct abtt_reader *r, const unsigned char *buf,
		   size_t *pos, size_t end, size_t lenbytes, const char *name,
		   char *dst, size_t cap)
{
	size_t p = *pos, n;

	if (end - p < lenbytes)
		return rfail(r, "header: %s length at offset %zu runs past the header end (offset %zu)",
			     name, p, end);
	n = lenbytes == 2 ? get16(buf + p) : buf[p];
	if (n > cap - 1)
		return rfail(r, "header: %s length %zu at offset %zu exceeds %zu",
			     name, n, p, cap - 1);
	p += lenbytes;
	if (end - p < n)
		return rfail(r, "header: %s at offset %zu (%zu bytes) runs past the header end (offset %zu)",
			     name, p, n, end);
	if (memchr(buf + p, 0, n))
		return rfail(r, "header: %s at offset %zu contains a NUL byte",
			     name, p);
	memcpy(dst, buf + p, n);
	dst[n] = 0;
	*pos = p + n;
	return 0;
}

static int read_header(struct abtt_reader *r)
{
	unsigned char buf[FIXED_HDR + HDR_FIELDS_MAX + 4];
	struct abtt_header *h = &r->h;
	size_t pos, end, hlen;
	unsigned int flags, version, i, j;
	uint32_t stored, computed;
	long got;

	got = raw_read(r, buf, FIXED_HDR);
	if (got < 0)
		return -1;
	if (memcmp(buf, MAGIC, got < MAGIC_LEN ? (size_t)got : MAGIC_LEN))
		return rfail(r, "header: bad magic at offset 0 (not a golden trace)");
	if (got < MAGIC_LEN + 2)
		return rfail(r, "header: truncated at offset %ld (file is %ld bytes)",
			     got, got);
	version = get16(buf + 8);
	if (version != ABTT_VERSION)
		return rfail(r, "unsupported trace version %u (this reader reads %u)",
			     version, ABTT_VERSION);
	if (got < FIXED_HDR)
		return rfail(r, "header: truncated at offset %ld (file is %ld bytes)",
			     got, got);
	hlen = get32(buf + 12);
	if (hlen < HDR_FIELDS_MIN || hlen > HDR_FIELDS_MAX)
		return rfail(r, "header: length %zu at offset 12 out of range %u..%u",
			     hlen, HDR_FIELDS_MIN, HDR_FIELDS_MAX);
	end = FIXED_HDR + hlen;
	got = raw_read(r, buf + FIXED_HDR, hlen + 4);
	if (got < 0)
		return -1;
	if ((size_t)got < hlen + 4)
		return rfail(r, "header: truncated at offset %zu (the header ends at offset %zu)",
			     FIXED_HDR + (size_t)got, end + 4);
	stored = get32(buf + end);
	computed = crc(buf, end);
	if (CRC_BAD(stored, computed))
		return rfail(r, "header: CRC mismatch at offset %zu (stored 0x%08x, computed 0x%08x)",
			     end, stored, computed);
	flags = get16(buf + 10);
	if (flags & ~FLAGS_KNOWN)
		return rfail(r, "header: unknown flags 0x%04x at offset 10",
			     flags);
	r->compressed = !!(flags & FLAG_ZLIB);

	pos = FIXED_HDR;
	if (hdr_str(r, buf, &pos, end, 2, "guest", h->guest, GUEST_CAP) ||
	    hdr_str(r, buf, &pos, end, 2, "qemu", h->qemu, QEMU_CAP) ||
	    hdr_str(r, buf, &pos, end, 2, "cpu", h->cpu, CPU_CAP) ||
	    hdr_str(r, buf, &pos, end, 2, "options", h->options, OPTIONS_CAP))
		return -1;
	if (end - pos < 2)
		return rfail(r, "header: nspr at offset %zu runs past the header end (offset %zu)",
			     pos, end);
	h->nspr = get16(buf + pos);
	if (h->nspr > ABTT_MAX_SPR)
		return rfail(r, "header: nspr %u at offset %zu exceeds ABTT_MAX_SPR (%u)",
			     h->nspr, pos, ABTT_MAX_SPR);
	pos += 2;
	for (i = 0; i < h->nspr; i++) {
		char name[32];

		if (end - pos < 2)
			return rfail(r, "header: SPR %u at offset %zu runs past the header end (offset %zu)",
				     i, pos, end);
		h->spr[i] = get16(buf + pos);
		if (h->spr[i] > SPRN_MAX)
			return rfail(r, "header: SPR %u number %u at offset %zu exceeds %u",
				     i, h->spr[i], pos, SPRN_MAX);
		for (j = 0; j < i; j++)
			if (h->spr[j] == h->spr[i])
				return rfail(r, "header: SPR %u number %u at offset %zu repeats SPR %u",
					     i, h->spr[i], pos, j);
		pos += 2;
		snprintf(name, sizeof(name), "SPR %u name", i);
		if (hdr_str(r, buf, &pos, end, 1, name, h->spr_name[i],
			    NAME_CAP))
			return -1;
	}
	if (pos != end)
		return rfail(r, "header: %zu unexpected bytes at offset %zu before the header end",
			     end - pos, pos);

	r->body_start = end + 4;
	r->nw = nwords(h->nspr);
	r->rec_fixed = REC_FIXED(r->nw);
	r->rec_max = r->rec_fixed + 4 * r->nw;
	if (r->compressed) {
		if (inflateInit(&r->zs) != Z_OK)
			return rfail(r, "inflateInit failed");
		r->zs_init = 1;
	}
	return 0;
}

static struct abtt_reader *reader_new(void)
{
	return calloc(1, sizeof(struct abtt_reader));
}

static struct abtt_reader *reader_start(struct abtt_reader *r, char *err,
					size_t errlen)
{
	if (read_header(r)) {
		fmt(err, errlen, "%s", r->err);
		abtt_close(r);
		return NULL;
	}
	return r;
}

struct abtt_reader *abtt_open(const char *path, char *err, size_t errlen)
{
	struct abtt_reader *r;

	if (!path) {
		fmt(err, errlen, "abtt_open: no path");
		return NULL;
	}
	r = reader_new();
	if (r)
		r->iobuf = malloc(IOBUF);
	if (!r || !r->iobuf) {
		fmt(err, errlen, "%s: out of memory", path);
		abtt_close(r);
		return NULL;
	}
	r->f = fopen(path, "rb");
	if (!r->f) {
		fmt(err, errlen, "%s: %s", path, strerror(errno));
		abtt_close(r);
		return NULL;
	}
	return reader_start(r, err, errlen);
}

struct abtt_reader *abtt_open_mem(const void *buf, size_t len, char *err,
				  size_t errlen)
{
	static const unsigned char empty[1];
	struct abtt_reader *r = reader_new();

	if (!r) {
		fmt(err, errlen, "out of memory");
		return NULL;
	}
	r->mem = buf ? buf : empty;
	r->memlen = buf ? len : 0;
	return reader_start(r, err, errlen);
}

const struct abtt_header *abtt_get_header(const struct abtt_reader *r)
{
	return r ? &r->h : NULL;
}

static int read_trailer(struct abtt_reader *r, uint64_t at)
{
	unsigned char t[TRAILER_MAX], c;
	uint32_t stored, computed;
	unsigned int rlen;
	uint64_t count;
	char loc[64];
	long got;

	where(r, at, loc, sizeof(loc));
	put32(t, TRAILER_MARK);
	got = body_read(r, t + 4, TRAILER_FIXED - 4);
	if (got < 0)
		return -1;
	if (got < TRAILER_FIXED - 4)
		return truncated(r, at, "the trailer is cut short; it starts");
	rlen = get16(t + 13);
	if (rlen > REASON_CAP - 1)
		return rfail(r, "trailer (%s): reason length %u exceeds %u",
			     loc, rlen, REASON_CAP - 1);
	got = body_read(r, t + TRAILER_FIXED, rlen + 4);
	if (got < 0)
		return -1;
	if ((size_t)got < rlen + 4)
		return truncated(r, at, "the trailer is cut short; it starts");
	stored = get32(t + TRAILER_FIXED + rlen);
	computed = crc(t, TRAILER_FIXED + rlen);
	if (CRC_BAD(stored, computed))
		return rfail(r, "trailer (%s): CRC mismatch (stored 0x%08x, computed 0x%08x)",
			     loc, stored, computed);
	count = get64(t + 4);
	if (t[12] > 1)
		return rfail(r, "trailer (%s): complete flag %u is neither 0 nor 1",
			     loc, t[12]);
	if (memchr(t + TRAILER_FIXED, 0, rlen))
		return rfail(r, "trailer (%s): reason contains a NUL byte",
			     loc);
	if (count != r->nread)
		return rfail(r, "trailer (%s): record count %llu, but %llu records read",
			     loc, (ull)count, (ull)r->nread);

	/* Nothing may follow: not in the body, not after the zlib stream. */
	at = r->boff;
	got = body_read(r, &c, 1);
	if (got < 0)
		return -1;
	if (got > 0)
		return rfail(r, "trailing data at %s after the trailer",
			     where(r, at, loc, sizeof(loc)));
	if (r->compressed) {
		const unsigned char *p;
		long a;

		if (!r->zs_end)
			return rfail(r, "zlib stream truncated at file offset %llu (after the trailer of record count %llu)",
				     (ull)r->raw_off, (ull)count);
		a = raw_avail(r, &p);
		if (a < 0)
			return -1;
		if (a > 0)
			return rfail(r, "trailing data at offset %llu after the zlib stream",
				     (ull)r->raw_off);
	}
	r->t.nrecords = count;
	r->t.complete = t[12];
	memcpy(r->t.reason, t + TRAILER_FIXED, rlen);
	r->t.reason[rlen] = 0;
	r->have_trailer = 1;
	r->state = ST_END;
	return 0;
}

static int read_record(struct abtt_reader *r, struct abtt_record *rec)
{
	const struct abtt_header *h = &r->h;
	unsigned int i, len, want, nchanged = 0, nw = r->nw;
	uint64_t idx = r->nread + 1, at = r->boff;
	uint32_t stored, computed;
	const unsigned char *p, *bitmap;
	char loc[64], name[32];
	long got;

	got = body_read(r, r->rec, 4);
	if (got < 0)
		return -1;
	if (got == 0)
		return truncated(r, at, "the body ends");
	if (got < 4)
		return truncated(r, at, "the next record is cut short; it starts");
	where(r, at, loc, sizeof(loc));
	len = get32(r->rec);
	if (len == TRAILER_MARK)
		return read_trailer(r, at);
	if (len < r->rec_fixed || len > r->rec_max)
		return rfail(r, "record %llu (%s): payload length %u out of range %u..%u for %u SPRs",
			     (ull)idx, loc, len, r->rec_fixed, r->rec_max,
			     h->nspr);

	/* pc, word, hit, pre-state, bitmap: enough to check the length */
	got = body_read(r, r->rec, r->rec_fixed);
	if (got < 0)
		return -1;
	if ((unsigned int)got < r->rec_fixed)
		return truncated(r, at, "the next record is cut short; it starts");
	bitmap = r->rec + 12 + 4 * nw;
	for (i = 0; i < BITMAP_BYTES(nw); i++)
		nchanged += (unsigned int)__builtin_popcount(bitmap[i]);
	want = r->rec_fixed + 4 * nchanged;
	if (len != want)
		return rfail(r, "record %llu (%s): payload length %u, but its diff bitmap says %u",
			     (ull)idx, loc, len, want);
	if (nw % 8 && bitmap[nw / 8] >> (nw % 8))
		return rfail(r, "record %llu (%s): diff bitmap has bits set past state word %u",
			     (ull)idx, loc, nw - 1);
	got = body_read(r, r->rec + r->rec_fixed, len - r->rec_fixed + 4);
	if (got < 0)
		return -1;
	if ((unsigned int)got < len - r->rec_fixed + 4)
		return truncated(r, at, "the next record is cut short; it starts");
	stored = get32(r->rec + len);
	computed = crc(r->rec, len);
	if (CRC_BAD(stored, computed))
		return rfail(r, "record %llu (%s): CRC mismatch (stored 0x%08x, computed 0x%08x)",
			     (ull)idx, loc, stored, computed);

	memset(rec, 0, sizeof(*rec));
	p = r->rec;
	rec->pc = get32(p);
	rec->word = get32(p + 4);
	rec->hit = get32(p + 8);
	p += 12;
	for (i = 0; i < nw; i++, p += 4)
		*state_word(&rec->pre, i) = get32(p);
	rec->post = rec->pre;
	p += BITMAP_BYTES(nw);
	for (i = 0; i < nw; i++) {
		uint32_t v;

		if (!(bitmap[i / 8] & (1u << (i % 8))))
			continue;
		v = get32(p);
		p += 4;
		if (v == state_get(&rec->pre, i)) {
			word_name(h, i, name, sizeof(name));
			return rfail(r, "record %llu (%s): state word %u (%s) marked changed but equal",
				     (ull)idx, loc, i, name);
		}
		*state_word(&rec->post, i) = v;
	}
	r->nread++;
	return 1;
}

int abtt_next(struct abtt_reader *r, struct abtt_record *rec)
{
	if (!r)
		return -1;
	if (r->state == ST_END)
		return 0;
	if (r->state == ST_ERROR)
		return -1;
	if (!rec)
		return rfail(r, "abtt_next: no record");
	return read_record(r, rec);
}

const struct abtt_trailer *abtt_get_trailer(const struct abtt_reader *r)
{
	return r && r->have_trailer ? &r->t : NULL;
}

const char *abtt_error(const struct abtt_reader *r)
{
	if (!r)
		return "no reader";
	return r->state == ST_ERROR ? r->err : "";
}

uint64_t abtt_record_count(const struct abtt_reader *r)
{
	return r ? r->nread : 0;
}

int abtt_is_compressed(const struct abtt_reader *r)
{
	return r ? r->compressed : 0;
}

void abtt_close(struct abtt_reader *r)
{
	if (!r)
		return;
	if (r->zs_init)
		inflateEnd(&r->zs);
	if (r->f)
		fclose(r->f);
	free(r->iobuf);
	free(r);
}
