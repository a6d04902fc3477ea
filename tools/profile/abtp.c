// SPDX-License-Identifier: GPL-2.0
/*
 * Profile files (.abtp): writer and validating reader.
 * The format is described byte by byte in docs/profile-format.md.
 *
 * Writer: the header goes to PATH.tmp as is; events are encoded into
 * blocks of up to ABTP_BLOCK_EVENTS and streamed through deflate; pages
 * are kept in memory (sorted by EA, merged when added twice) and written
 * after the events, then the trailer; abtp_finish() fsyncs and renames
 * PATH.tmp to PATH.
 *
 * Reader: the whole file is read, its body inflated into memory and every
 * byte of it validated (block and page CRCs, every event field, counts)
 * before abtp_open() returns. abtp_next() then decodes without checks.
 */
#define _POSIX_C_SOURCE 200809L
#define ZLIB_CONST
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "abtp.h"
#include "../trace/be.h"
#include "../trace/filew.h"

#define MAGIC		"ABTPROF"	/* 8 bytes with its NUL */
#define MAGIC_LEN	8
#define FIXED_HDR	16		/* magic, version, flags, header length */
#define GUEST_CAP	64
#define QEMU_CAP	64
#define OPTIONS_CAP	256
#define HDR_FIELDS_MIN	(3 * 2)
#define HDR_FIELDS_MAX	(HDR_FIELDS_MIN + GUEST_CAP - 1 + QEMU_CAP - 1 + \
			 OPTIONS_CAP - 1)

#define EV_MAX_BYTES	32		/* tag, icount 10, pc 5, 16 */
#define BLOCK_MAX_PAYLOAD (ABTP_BLOCK_EVENTS * EV_MAX_BYTES)
#define KNOWN_BYTES	(ABTP_PAGE_WORDS / 8)
#define TRAILER_LEN	(6 * 8 + 4)	/* counts, icount_end, npages */

#define TAG_KIND	0x07
#define TAG_SIZE_SHIFT	3
#define TAG_SIZE	0x18
#define TAG_RESERVED	0xe0

#define MAX_FILE	(512u << 20)	/* compressed file */
#define MAX_BODY	(1024u << 20)	/* decompressed body */
#define IOBUF		65536

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
int abtp_fuzz_ignore_crc;
#define CRC_BAD(a, b)	((a) != (b) && !abtp_fuzz_ignore_crc)
#else
#define CRC_BAD(a, b)	((a) != (b))
#endif

typedef unsigned long long ull;

/* ---- helpers ---- */

static uint32_t crc(const unsigned char *p, size_t n)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

static unsigned char *put_uvarint(unsigned char *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

static uint32_t zigzag(uint32_t delta)
{
	int32_t d = (int32_t)delta;

	return (uint32_t)d << 1 ^ (uint32_t)(d >> 31);
}

static uint32_t unzigzag(uint32_t u)
{
	return u >> 1 ^ (0u - (u & 1));
}

static int size_code(unsigned int size)
{
	switch (size) {
	case 1: return 0;
	case 2: return 1;
	case 4: return 2;
	case 8: return 3;
	}
	return -1;
}

static const char *const kind_names[] = {
	[ABTP_EV_EXEC] = "EXEC", [ABTP_EV_LOAD] = "LOAD",
	[ABTP_EV_STORE] = "STORE", [ABTP_EV_TLB1] = "TLB1",
};

static int tlbsel(uint32_t mas0)
{
	return (int)(mas0 >> 28 & 3);
}

/* ---- writing ---- */

struct wpage {
	struct abtp_page pg;
};

struct abtp_writer {
	FILE *f;
	char *path, *tmp;
	z_stream zs;
	int zs_init;
	int failed;		/* I/O error: everything fails from now on */
	char err[ABTP_ERR_LEN];
	uint64_t n[5];		/* by kind; n[0] = all */
	uint64_t last_icount, icount_end;
	int icount_end_set;
	/* the block being built */
	unsigned int blk_n;
	uint64_t blk_icount;
	uint32_t blk_pc, blk_ea;
	size_t blk_len;
	unsigned char blk[8 + BLOCK_MAX_PAYLOAD + 4];
	/* pages, sorted by ea */
	struct abtp_page **pages;
	size_t npages, cap;
	unsigned char zout[IOBUF];
};

static int wset(struct abtp_writer *w, int fatal, const char *f, ...)
	__attribute__((format(printf, 3, 4)));
static int wset(struct abtp_writer *w, int fatal, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vfmt(w->err, sizeof(w->err), f, ap);
	va_end(ap);
	if (fatal)
		w->failed = 1;
	return -1;
}

static int raw_write(struct abtp_writer *w, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, w->f) != n)
		return wset(w, 1, "%s: write: %s", w->tmp, strerror(errno));
	return 0;
}

static int body_write(struct abtp_writer *w, const void *p, size_t n, int fin)
{
	int ret;

	ret = deflate_to(w->f, &w->zs, w->zout, sizeof(w->zout), p, n, fin);
	if (ret == -2)
		return wset(w, 1, "%s: deflate failed", w->tmp);
	if (ret)
		return wset(w, 1, "%s: write: %s", w->tmp, strerror(errno));
	return 0;
}

static void writer_free(struct abtp_writer *w)
{
	size_t i;

	if (w->f)
		fclose(w->f);
	if (w->zs_init)
		deflateEnd(&w->zs);
	for (i = 0; i < w->npages; i++)
		free(w->pages[i]);
	free(w->pages);
	free(w->path);
	free(w->tmp);
	free(w);
}

static unsigned char *put_str(unsigned char *p, const char *s)
{
	size_t n = strlen(s);

	put16(p, (unsigned int)n);
	memcpy(p + 2, s, n);
	return p + 2 + n;
}

struct abtp_writer *abtp_create(const char *path, const char *guest,
				const char *qemu, const char *options,
				char *err, size_t errlen)
{
	unsigned char hdr[FIXED_HDR + HDR_FIELDS_MAX + 4], *p;
	struct abtp_writer *w;
	size_t hlen;

	if (!path || !*path) {
		fmt(err, errlen, "abtp_create: no path");
		return NULL;
	}
	guest = guest ? guest : "";
	qemu = qemu ? qemu : "";
	options = options ? options : "";
	if (strlen(guest) >= GUEST_CAP || strlen(qemu) >= QEMU_CAP ||
	    strlen(options) >= OPTIONS_CAP) {
		fmt(err, errlen,
		    "%s: header string too long (guest %zu > 63, qemu %zu > 63 or options %zu > 255 bytes)",
		    path, strlen(guest), strlen(qemu), strlen(options));
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		fmt(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	w->path = strdup(path);
	w->tmp = concat(path, ".tmp");
	if (!w->path || !w->tmp) {
		fmt(err, errlen, "%s: out of memory", path);
		writer_free(w);
		return NULL;
	}
	if (deflateInit(&w->zs, Z_DEFAULT_COMPRESSION) != Z_OK) {
		fmt(err, errlen, "%s: deflateInit failed", path);
		writer_free(w);
		return NULL;
	}
	w->zs_init = 1;
	w->f = fopen(w->tmp, "wb");
	if (!w->f) {
		fmt(err, errlen, "%s: %s", w->tmp, strerror(errno));
		writer_free(w);
		return NULL;
	}
	p = put_str(hdr + FIXED_HDR, guest);
	p = put_str(p, qemu);
	p = put_str(p, options);
	hlen = (size_t)(p - hdr) - FIXED_HDR;
	memcpy(hdr, MAGIC, MAGIC_LEN);
	put16(hdr + 8, ABTP_VERSION);
	put16(hdr + 10, 0);
	put32(hdr + 12, (uint32_t)hlen);
	put32(p, crc(hdr, FIXED_HDR + hlen));
	if (raw_write(w, hdr, FIXED_HDR + hlen + 4)) {
		fmt(err, errlen, "%s", w->err);
		abtp_abort(w);
		return NULL;
	}
	return w;
}

static int flush_block(struct abtp_writer *w)
{
	size_t len = w->blk_len;

	if (!w->blk_n)
		return 0;
	put32(w->blk, w->blk_n);
	put32(w->blk + 4, (uint32_t)len);
	put32(w->blk + 8 + len, crc(w->blk, 8 + len));
	if (body_write(w, w->blk, 8 + len + 4, 0))
		return -1;
	w->blk_n = 0;
	w->blk_len = 0;
	return 0;
}

int abtp_add_event(struct abtp_writer *w, const struct abtp_event *ev)
{
	unsigned char *p, *start;
	int sc = 0;

	if (!w || !ev)
		return -1;
	if (w->failed)
		return -1;
	if (ev->kind < ABTP_EV_EXEC || ev->kind > ABTP_EV_TLB1)
		return wset(w, 0, "event %llu: unknown kind %u",
			    (ull)w->n[0] + 1, ev->kind);
	if (ev->kind == ABTP_EV_LOAD || ev->kind == ABTP_EV_STORE) {
		sc = size_code(ev->size);
		if (sc < 0)
			return wset(w, 0, "event %llu: access size %u is not 1, 2, 4 or 8",
				    (ull)w->n[0] + 1, ev->size);
	}
	if (ev->kind == ABTP_EV_TLB1 && tlbsel(ev->word) != 1)
		return wset(w, 0, "event %llu: TLB1 event with MAS0 0x%08x (TLBSEL %d, not 1)",
			    (ull)w->n[0] + 1, ev->word, tlbsel(ev->word));
	if (w->n[0] && ev->icount < w->last_icount)
		return wset(w, 0, "event %llu: icount %llu goes back (previous %llu)",
			    (ull)w->n[0] + 1, (ull)ev->icount,
			    (ull)w->last_icount);
	if (w->icount_end_set && ev->icount > w->icount_end)
		return wset(w, 0, "event %llu: icount %llu past the icount_end set (%llu)",
			    (ull)w->n[0] + 1, (ull)ev->icount,
			    (ull)w->icount_end);
	if (!w->blk_n) {
		w->blk_icount = 0;
		w->blk_pc = 0;
		w->blk_ea = 0;
	}
	start = p = w->blk + 8 + w->blk_len;
	*p++ = (unsigned char)(ev->kind | sc << TAG_SIZE_SHIFT);
	p = put_uvarint(p, ev->icount - w->blk_icount);
	p = put_uvarint(p, zigzag(ev->pc - w->blk_pc));
	switch (ev->kind) {
	case ABTP_EV_EXEC:
		put32(p, ev->word);
		p += 4;
		break;
	case ABTP_EV_LOAD:
	case ABTP_EV_STORE:
		p = put_uvarint(p, zigzag(ev->ea - w->blk_ea));
		w->blk_ea = ev->ea;
		break;
	case ABTP_EV_TLB1:
		put32(p, ev->word);
		put32(p + 4, ev->mas1);
		put32(p + 8, ev->ea);
		put32(p + 12, ev->mas3);
		p += 16;
		break;
	}
	w->blk_icount = ev->icount;
	w->blk_pc = ev->pc;
	w->blk_len += (size_t)(p - start);
	w->last_icount = ev->icount;
	w->n[0]++;
	w->n[ev->kind]++;
	if (++w->blk_n == ABTP_BLOCK_EVENTS)
		return flush_block(w);
	return 0;
}

int abtp_set_icount_end(struct abtp_writer *w, uint64_t icount)
{
	if (!w)
		return -1;
	if (w->n[0] && icount < w->last_icount)
		return wset(w, 0, "icount_end %llu below the last event's icount %llu",
			    (ull)icount, (ull)w->last_icount);
	w->icount_end = icount;
	w->icount_end_set = 1;
	return 0;
}

const char *abtp_writer_error(const struct abtp_writer *w)
{
	return w ? w->err : "no writer";
}

uint64_t abtp_writer_count(const struct abtp_writer *w)
{
	return w ? w->n[0] : 0;
}

int abtp_add_page(struct abtp_writer *w, const struct abtp_page *pg)
{
	size_t lo, hi, i;
	struct abtp_page *np;
	int any = 0;

	if (!w || !pg)
		return -1;
	if (w->failed)
		return -1;
	if (pg->ea & 0xfff)
		return wset(w, 0, "page 0x%08x: EA not 4 KiB aligned", pg->ea);
	for (i = 0; i < KNOWN_BYTES; i++)
		any |= pg->known[i];
	if (!any)
		return wset(w, 0, "page 0x%08x: no known word", pg->ea);
	lo = 0;
	hi = w->npages;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w->pages[mid]->ea < pg->ea)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < w->npages && w->pages[lo]->ea == pg->ea) {
		np = w->pages[lo];
		for (i = 0; i < ABTP_PAGE_WORDS; i++)
			if (abtp_page_known(pg, i))
				abtp_page_set(np, (unsigned int)i,
					      pg->words[i]);
		return 0;
	}
	if (w->npages == ABTP_MAX_PAGES)
		return wset(w, 0, "page 0x%08x: more than ABTP_MAX_PAGES (%u) pages",
			    pg->ea, ABTP_MAX_PAGES);
	if (w->npages == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		struct abtp_page **a = realloc(w->pages, cap * sizeof(*a));

		if (!a)
			return wset(w, 0, "out of memory");
		w->pages = a;
		w->cap = cap;
	}
	np = malloc(sizeof(*np));
	if (!np)
		return wset(w, 0, "out of memory");
	memset(np, 0, sizeof(*np));
	np->ea = pg->ea;
	for (i = 0; i < ABTP_PAGE_WORDS; i++)
		if (abtp_page_known(pg, i))
			abtp_page_set(np, (unsigned int)i, pg->words[i]);
	memmove(w->pages + lo + 1, w->pages + lo,
		(w->npages - lo) * sizeof(*w->pages));
	w->pages[lo] = np;
	w->npages++;
	return 0;
}

static int write_page(struct abtp_writer *w, const struct abtp_page *pg)
{
	unsigned char buf[4 + KNOWN_BYTES + 4 * ABTP_PAGE_WORDS + 4];
	unsigned char *p = buf;
	unsigned int i;

	put32(p, pg->ea);
	memcpy(p + 4, pg->known, KNOWN_BYTES);
	p += 4 + KNOWN_BYTES;
	for (i = 0; i < ABTP_PAGE_WORDS; i++) {
		if (abtp_page_known(pg, i)) {
			put32(p, pg->words[i]);
			p += 4;
		}
	}
	put32(p, crc(buf, (size_t)(p - buf)));
	return body_write(w, buf, (size_t)(p - buf) + 4, 0);
}

int abtp_finish(struct abtp_writer *w, char *err, size_t errlen)
{
	unsigned char t[TRAILER_LEN + 4], z[4];
	size_t i;

	if (!w) {
		fmt(err, errlen, "abtp_finish: no writer");
		return -1;
	}
	if (w->failed || flush_block(w))
		goto fail;
	put32(z, 0);				/* end of events */
	if (body_write(w, z, 4, 0))
		goto fail;
	put32(z, (uint32_t)w->npages);
	if (body_write(w, z, 4, 0))
		goto fail;
	for (i = 0; i < w->npages; i++)
		if (write_page(w, w->pages[i]))
			goto fail;
	for (i = 0; i < 5; i++)
		put64(t + 8 * i, w->n[i]);
	put64(t + 40, w->icount_end_set ? w->icount_end : w->last_icount);
	put32(t + 48, (uint32_t)w->npages);
	put32(t + TRAILER_LEN, crc(t, TRAILER_LEN));
	if (body_write(w, t, sizeof(t), 1))
		goto fail;
	if (commit_file(&w->f, w->tmp, w->path, w->err, sizeof(w->err))) {
		w->failed = 1;
		goto fail;
	}
	writer_free(w);
	return 0;
fail:
	fmt(err, errlen, "%s", w->err);
	abtp_abort(w);
	return -1;
}

void abtp_abort(struct abtp_writer *w)
{
	if (!w)
		return;
	if (w->f) {
		fclose(w->f);
		w->f = NULL;
	}
	if (w->tmp)
		unlink(w->tmp);
	writer_free(w);
}

/* ---- reading ---- */

struct abtp_reader {
	struct abtp_info info;
	struct abtp_page *pages;
	unsigned char *body;
	size_t body_len;
	size_t ev_start, ev_end;	/* first block .. end marker */
	/* decoding position */
	const unsigned char *p;
	unsigned int left;		/* events left in the current block */
	uint64_t icount;
	uint32_t pc, ea;
};

const struct abtp_info *abtp_info(const struct abtp_reader *r)
{
	return &r->info;
}

const struct abtp_page *abtp_pages(const struct abtp_reader *r)
{
	return r->pages;
}

const struct abtp_page *abtp_find_page(const struct abtp_reader *r,
				       uint32_t ea)
{
	size_t lo = 0, hi = r->info.npages;

	ea &= ~0xfffu;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->pages[mid].ea < ea)
			lo = mid + 1;
		else if (r->pages[mid].ea > ea)
			hi = mid;
		else
			return &r->pages[mid];
	}
	return NULL;
}

void abtp_close(struct abtp_reader *r)
{
	if (!r)
		return;
	free(r->pages);
	free(r->body);
	free(r);
}

void abtp_rewind(struct abtp_reader *r)
{
	r->p = r->body + r->ev_start;
	r->left = 0;
}

static inline uint64_t fast_uvarint(const unsigned char **pp)
{
	const unsigned char *p = *pp;
	uint64_t v = *p & 0x7f;
	unsigned int s = 7;

	while (*p++ & 0x80) {
		v |= (uint64_t)(*p & 0x7f) << s;
		s += 7;
	}
	*pp = p;
	return v;
}

int abtp_next(struct abtp_reader *r, struct abtp_event *ev)
{
	const unsigned char *p = r->p;
	unsigned int tag;

	if (!r->left) {
		if (p == r->body + r->ev_end)
			return 0;
		r->left = get32(p);
		p += 8;
		r->icount = 0;
		r->pc = 0;
		r->ea = 0;
	}
	tag = *p++;
	ev->kind = tag & TAG_KIND;
	r->icount += fast_uvarint(&p);
	r->pc += unzigzag((uint32_t)fast_uvarint(&p));
	ev->icount = r->icount;
	ev->pc = r->pc;
	ev->mas1 = 0;
	ev->mas3 = 0;
	switch (ev->kind) {
	case ABTP_EV_EXEC:
		ev->word = get32(p);
		ev->ea = 0;
		ev->size = 0;
		p += 4;
		break;
	case ABTP_EV_LOAD:
	case ABTP_EV_STORE:
		r->ea += unzigzag((uint32_t)fast_uvarint(&p));
		ev->ea = r->ea;
		ev->word = 0;
		ev->size = (uint8_t)(1u << (tag >> TAG_SIZE_SHIFT & 3));
		break;
	default:	/* TLB1: validated at open */
		ev->word = get32(p);
		ev->mas1 = get32(p + 4);
		ev->ea = get32(p + 8);
		ev->mas3 = get32(p + 12);
		ev->size = 0;
		p += 16;
		break;
	}
	if (!--r->left)
		p += 4;		/* the block's CRC */
	r->p = p;
	return 1;
}

/* Validation of a body held in memory. */
struct vctx {
	const unsigned char *b;
	size_t len, pos;
	char *err;
	size_t errlen;
};

/* A varint at *pos, ending before lim; -1 if overlong, cut or too big. */
static int get_uvarint(const unsigned char *b, size_t *pos, size_t lim,
		       unsigned int maxbits, uint64_t *v, const char **why)
{
	size_t p = *pos;
	unsigned int s = 0, n = 0;
	uint64_t x = 0;

	for (;;) {
		unsigned char c;

		if (p >= lim) {
			*why = "varint cut short by the end of its block";
			return -1;
		}
		c = b[p++];
		n++;
		if (s >= 64 || (s > 0 && (uint64_t)(c & 0x7f) >> (64 - s))) {
			*why = "varint overflows 64 bits";
			return -1;
		}
		x |= (uint64_t)(c & 0x7f) << s;
		s += 7;
		if (!(c & 0x80)) {
			if (n > 1 && c == 0) {
				*why = "varint not in its shortest form";
				return -1;
			}
			break;
		}
	}
	if (maxbits < 64 && x >> maxbits) {
		*why = "varint exceeds 32 bits";
		return -1;
	}
	*v = x;
	*pos = p;
	return 0;
}

static int validate_events(struct abtp_reader *r, char *err, size_t errlen)
{
	const unsigned char *b = r->body;
	size_t len = r->body_len, pos = 0;
	uint64_t nb = 0, ne = 0, icount = 0, n[5] = { 0 };
	uint64_t last_icount = 0;

	for (;;) {
		uint32_t cnt, plen, stored, calc, pc = 0, ea = 0;
		size_t bstart = pos, lim;
		uint64_t bicount = 0;
		unsigned int i;

		if (len - pos < 4) {
			fmt(err, errlen,
			    "truncated: the body ends at offset %zu inside the events (after block %llu)",
			    len, (ull)nb);
			return -1;
		}
		cnt = get32(b + pos);
		if (!cnt) {
			r->ev_end = pos;
			pos += 4;
			break;
		}
		nb++;
		if (cnt > ABTP_BLOCK_EVENTS) {
			fmt(err, errlen,
			    "block %llu (body offset %zu): event count %u exceeds %u",
			    (ull)nb, bstart, cnt, ABTP_BLOCK_EVENTS);
			return -1;
		}
		if (len - pos < 8) {
			fmt(err, errlen,
			    "truncated: block %llu (body offset %zu) cut short in its header",
			    (ull)nb, bstart);
			return -1;
		}
		plen = get32(b + pos + 4);
		if (plen < 3 * cnt || plen > EV_MAX_BYTES * cnt) {
			fmt(err, errlen,
			    "block %llu (body offset %zu): payload length %u out of range %u..%u for %u events",
			    (ull)nb, bstart, plen, 3 * cnt,
			    EV_MAX_BYTES * cnt, cnt);
			return -1;
		}
		if (len - pos - 8 < (size_t)plen + 4) {
			fmt(err, errlen,
			    "truncated: block %llu (body offset %zu, %u bytes) cut short at offset %zu",
			    (ull)nb, bstart, 8 + plen + 4, len);
			return -1;
		}
		stored = get32(b + pos + 8 + plen);
		calc = crc(b + pos, 8 + (size_t)plen);
		if (CRC_BAD(stored, calc)) {
			fmt(err, errlen,
			    "block %llu (body offset %zu): CRC mismatch (stored 0x%08x, computed 0x%08x)",
			    (ull)nb, bstart, stored, calc);
			return -1;
		}
		pos += 8;
		lim = pos + plen;
		for (i = 0; i < cnt; i++) {
			size_t estart = pos;
			unsigned int tag, kind;
			uint64_t d;
			const char *why = NULL;

			ne++;
#define EVFAIL(...) do { \
		char m_[160]; \
		snprintf(m_, sizeof(m_), __VA_ARGS__); \
		fmt(err, errlen, "event %llu (block %llu, body offset %zu): %s", \
		    (ull)ne, (ull)nb, estart, m_); \
		return -1; \
	} while (0)
			if (pos >= lim)
				EVFAIL("cut short by the end of its block");
			tag = b[pos++];
			kind = tag & TAG_KIND;
			if (kind < ABTP_EV_EXEC || kind > ABTP_EV_TLB1)
				EVFAIL("unknown kind %u (tag 0x%02x)", kind,
				       tag);
			if (tag & TAG_RESERVED)
				EVFAIL("reserved tag bits set (tag 0x%02x)",
				       tag);
			if ((tag & TAG_SIZE) && kind != ABTP_EV_LOAD &&
			    kind != ABTP_EV_STORE)
				EVFAIL("size bits set on a %s event (tag 0x%02x)",
				       kind_names[kind], tag);
			if (get_uvarint(b, &pos, lim, 64, &d, &why))
				EVFAIL("icount: %s", why);
			if (d > UINT64_MAX - bicount)
				EVFAIL("icount overflows 64 bits");
			bicount += d;
			if (ne > 1 && bicount < last_icount)
				EVFAIL("icount %llu goes back (previous %llu)",
				       (ull)bicount, (ull)last_icount);
			if (get_uvarint(b, &pos, lim, 32, &d, &why))
				EVFAIL("pc: %s", why);
			pc += unzigzag((uint32_t)d);
			switch (kind) {
			case ABTP_EV_EXEC:
				if (lim - pos < 4)
					EVFAIL("word cut short by the end of its block");
				pos += 4;
				break;
			case ABTP_EV_LOAD:
			case ABTP_EV_STORE:
				if (get_uvarint(b, &pos, lim, 32, &d, &why))
					EVFAIL("ea: %s", why);
				ea += unzigzag((uint32_t)d);
				break;
			case ABTP_EV_TLB1:
				if (lim - pos < 16)
					EVFAIL("MAS words cut short by the end of its block");
				if (tlbsel(get32(b + pos)) != 1)
					EVFAIL("TLB1 event with MAS0 0x%08x (TLBSEL %d, not 1)",
					       get32(b + pos),
					       tlbsel(get32(b + pos)));
				pos += 16;
				break;
			}
#undef EVFAIL
			last_icount = bicount;
			n[kind]++;
		}
		(void)pc;
		(void)ea;
		if (pos != lim) {
			fmt(err, errlen,
			    "block %llu (body offset %zu): %zu bytes after its last event",
			    (ull)nb, bstart, lim - pos);
			return -1;
		}
		pos += 4;
		icount = last_icount;
	}
	/* pages */
	{
		uint32_t np, i;

		if (len - pos < 4) {
			fmt(err, errlen,
			    "truncated: the body ends at offset %zu before the page count",
			    len);
			return -1;
		}
		np = get32(b + pos);
		if (np > ABTP_MAX_PAGES) {
			fmt(err, errlen,
			    "pages (body offset %zu): count %u exceeds ABTP_MAX_PAGES (%u)",
			    pos, np, ABTP_MAX_PAGES);
			return -1;
		}
		pos += 4;
		r->pages = calloc(np ? np : 1, sizeof(*r->pages));
		if (!r->pages) {
			fmt(err, errlen, "out of memory for %u pages", np);
			return -1;
		}
		for (i = 0; i < np; i++) {
			struct abtp_page *pg = &r->pages[i];
			size_t pstart = pos, need;
			unsigned int k = 0, j;
			uint32_t stored, calc;

			if (len - pos < 4 + KNOWN_BYTES) {
				fmt(err, errlen,
				    "truncated: page %u (body offset %zu) cut short at offset %zu",
				    i + 1, pstart, len);
				return -1;
			}
			pg->ea = get32(b + pos);
			memcpy(pg->known, b + pos + 4, KNOWN_BYTES);
			for (j = 0; j < KNOWN_BYTES; j++)
				k += (unsigned int)__builtin_popcount(pg->known[j]);
			need = 4 + KNOWN_BYTES + 4 * (size_t)k + 4;
			if (len - pos < need) {
				fmt(err, errlen,
				    "truncated: page %u (body offset %zu, %zu bytes) cut short at offset %zu",
				    i + 1, pstart, need, len);
				return -1;
			}
			stored = get32(b + pos + need - 4);
			calc = crc(b + pos, need - 4);
			if (CRC_BAD(stored, calc)) {
				fmt(err, errlen,
				    "page %u (body offset %zu): CRC mismatch (stored 0x%08x, computed 0x%08x)",
				    i + 1, pstart, stored, calc);
				return -1;
			}
			if (pg->ea & 0xfff) {
				fmt(err, errlen,
				    "page %u (body offset %zu): EA 0x%08x not 4 KiB aligned",
				    i + 1, pstart, pg->ea);
				return -1;
			}
			if (i && pg->ea <= r->pages[i - 1].ea) {
				fmt(err, errlen,
				    "page %u (body offset %zu): EA 0x%08x not above the previous page's 0x%08x",
				    i + 1, pstart, pg->ea, r->pages[i - 1].ea);
				return -1;
			}
			if (!k) {
				fmt(err, errlen,
				    "page %u (body offset %zu): no known word",
				    i + 1, pstart);
				return -1;
			}
			pos += 4 + KNOWN_BYTES;
			for (j = 0; j < ABTP_PAGE_WORDS; j++) {
				if (abtp_page_known(pg, j)) {
					pg->words[j] = get32(b + pos);
					pos += 4;
				}
			}
			pos += 4;
		}
		r->info.npages = np;
	}
	/* trailer */
	{
		const unsigned char *t = b + pos;
		uint32_t stored, calc;
		static const char *const what[] = {
			"events", "EXEC events", "LOAD events",
			"STORE events", "TLB1 events"
		};
		unsigned int i;

		if (len - pos < TRAILER_LEN + 4) {
			fmt(err, errlen,
			    "truncated: the body ends at offset %zu inside the trailer (offset %zu)",
			    len, pos);
			return -1;
		}
		stored = get32(t + TRAILER_LEN);
		calc = crc(t, TRAILER_LEN);
		if (CRC_BAD(stored, calc)) {
			fmt(err, errlen,
			    "trailer (body offset %zu): CRC mismatch (stored 0x%08x, computed 0x%08x)",
			    pos, stored, calc);
			return -1;
		}
		n[0] = ne;
		for (i = 0; i < 5; i++) {
			if (get64(t + 8 * i) != n[i]) {
				fmt(err, errlen,
				    "trailer (body offset %zu): %llu %s, but %llu read",
				    pos, (ull)get64(t + 8 * i), what[i],
				    (ull)n[i]);
				return -1;
			}
		}
		r->info.nevents = n[0];
		r->info.nexec = n[ABTP_EV_EXEC];
		r->info.nload = n[ABTP_EV_LOAD];
		r->info.nstore = n[ABTP_EV_STORE];
		r->info.ntlb1 = n[ABTP_EV_TLB1];
		r->info.icount_end = get64(t + 40);
		if (ne && r->info.icount_end < icount) {
			fmt(err, errlen,
			    "trailer (body offset %zu): icount_end %llu below the last event's icount %llu",
			    pos, (ull)r->info.icount_end, (ull)icount);
			return -1;
		}
		if (get32(t + 48) != r->info.npages) {
			fmt(err, errlen,
			    "trailer (body offset %zu): %u pages, but %u read",
			    pos, get32(t + 48), r->info.npages);
			return -1;
		}
		pos += TRAILER_LEN + 4;
	}
	if (pos != len) {
		fmt(err, errlen, "trailing data at body offset %zu after the trailer",
		    pos);
		return -1;
	}
	return 0;
}

static int get_str(const unsigned char *h, size_t *pos, size_t end,
		   const char *name, char *dst, size_t cap, char *err,
		   size_t errlen)
{
	size_t n;

	if (end - *pos < 2) {
		fmt(err, errlen, "header: %s length at offset %zu past the header end",
		    name, *pos);
		return -1;
	}
	n = get16(h + *pos);
	if (n >= cap) {
		fmt(err, errlen, "header: %s length %zu at offset %zu exceeds %zu",
		    name, n, *pos, cap - 1);
		return -1;
	}
	if (end - *pos - 2 < n) {
		fmt(err, errlen, "header: %s (%zu bytes at offset %zu) runs past the header end",
		    name, n, *pos);
		return -1;
	}
	memcpy(dst, h + *pos + 2, n);
	dst[n] = 0;
	if (memchr(dst, 0, n)) {
		fmt(err, errlen, "header: %s at offset %zu holds a NUL byte",
		    name, *pos);
		return -1;
	}
	*pos += 2 + n;
	return 0;
}

struct abtp_reader *abtp_open_mem(const void *buf, size_t len, char *err,
				  size_t errlen)
{
	const unsigned char *f = buf;
	struct abtp_reader *r;
	unsigned int version, flags;
	size_t hl, pos, cap;
	uint32_t stored, calc;
	z_stream zs;
	int ret;

	if (!buf && len) {
		fmt(err, errlen, "abtp_open_mem: no buffer");
		return NULL;
	}
	if (len < MAGIC_LEN) {
		fmt(err, errlen, "header: truncated at offset %zu (no magic; not a profile)",
		    len);
		return NULL;
	}
	if (memcmp(f, MAGIC, MAGIC_LEN)) {
		fmt(err, errlen, "header: bad magic at offset 0 (not a profile)");
		return NULL;
	}
	if (len < FIXED_HDR) {
		fmt(err, errlen, "header: truncated at offset %zu (the fixed header ends at offset %d)",
		    len, FIXED_HDR);
		return NULL;
	}
	version = get16(f + 8);
	if (version != ABTP_VERSION) {
		fmt(err, errlen, "unsupported profile version %u (this reader reads %d)",
		    version, ABTP_VERSION);
		return NULL;
	}
	hl = get32(f + 12);
	if (hl < HDR_FIELDS_MIN || hl > HDR_FIELDS_MAX) {
		fmt(err, errlen, "header: length %zu at offset 12 out of range %d..%d",
		    hl, HDR_FIELDS_MIN, HDR_FIELDS_MAX);
		return NULL;
	}
	if (len < FIXED_HDR + hl + 4) {
		fmt(err, errlen, "header: truncated at offset %zu (the header ends at offset %zu)",
		    len, FIXED_HDR + hl + 4);
		return NULL;
	}
	stored = get32(f + FIXED_HDR + hl);
	calc = crc(f, FIXED_HDR + hl);
	if (CRC_BAD(stored, calc)) {
		fmt(err, errlen, "header: CRC mismatch at offset %zu (stored 0x%08x, computed 0x%08x)",
		    FIXED_HDR + hl, stored, calc);
		return NULL;
	}
	flags = get16(f + 10);
	if (flags) {
		fmt(err, errlen, "header: unknown flags 0x%04x at offset 10",
		    flags);
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		fmt(err, errlen, "out of memory");
		return NULL;
	}
	pos = FIXED_HDR;
	if (get_str(f, &pos, FIXED_HDR + hl, "guest", r->info.guest,
		    GUEST_CAP, err, errlen) ||
	    get_str(f, &pos, FIXED_HDR + hl, "qemu", r->info.qemu, QEMU_CAP,
		    err, errlen) ||
	    get_str(f, &pos, FIXED_HDR + hl, "options", r->info.options,
		    OPTIONS_CAP, err, errlen))
		goto fail;
	if (pos != FIXED_HDR + hl) {
		fmt(err, errlen, "header: %zu unexpected bytes at offset %zu before the header end",
		    FIXED_HDR + hl - pos, pos);
		goto fail;
	}
	/* inflate the body */
	pos = FIXED_HDR + hl + 4;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK) {
		fmt(err, errlen, "inflateInit failed");
		goto fail;
	}
	cap = (len - pos) * 4 + 65536;
	if (cap > MAX_BODY)
		cap = MAX_BODY;
	r->body = malloc(cap);
	if (!r->body) {
		inflateEnd(&zs);
		fmt(err, errlen, "out of memory");
		goto fail;
	}
	zs.next_in = f + pos;
	zs.avail_in = (uInt)(len - pos);
	for (;;) {
		if (r->body_len == cap) {
			unsigned char *nb;

			if (cap == MAX_BODY) {
				inflateEnd(&zs);
				fmt(err, errlen, "body larger than %u MiB decompressed",
				    MAX_BODY >> 20);
				goto fail;
			}
			cap = cap * 2 > MAX_BODY ? MAX_BODY : cap * 2;
			nb = realloc(r->body, cap);
			if (!nb) {
				inflateEnd(&zs);
				fmt(err, errlen, "out of memory");
				goto fail;
			}
			r->body = nb;
		}
		zs.next_out = r->body + r->body_len;
		zs.avail_out = (uInt)(cap - r->body_len);
		ret = inflate(&zs, Z_NO_FLUSH);
		r->body_len = cap - zs.avail_out;
		if (ret == Z_STREAM_END)
			break;
		if (ret == Z_OK)
			continue;
		if (ret == Z_BUF_ERROR && zs.avail_in == 0) {
			fmt(err, errlen, "zlib stream truncated at file offset %zu (decompressed body offset %zu)",
			    len, r->body_len);
		} else {
			fmt(err, errlen, "zlib stream corrupt at file offset %zu (decompressed body offset %zu): %s",
			    len - zs.avail_in, r->body_len,
			    zs.msg ? zs.msg : "error");
		}
		inflateEnd(&zs);
		goto fail;
	}
	if (zs.avail_in) {
		fmt(err, errlen, "trailing data at offset %zu after the zlib stream",
		    len - zs.avail_in);
		inflateEnd(&zs);
		goto fail;
	}
	inflateEnd(&zs);
	if (validate_events(r, err, errlen))
		goto fail;
	abtp_rewind(r);
	return r;
fail:
	abtp_close(r);
	return NULL;
}

struct abtp_reader *abtp_open(const char *path, char *err, size_t errlen)
{
	struct abtp_reader *r;
	unsigned char *buf;
	struct stat st;
	FILE *f;
	size_t n;
	char e[ABTP_ERR_LEN];

	if (!path) {
		fmt(err, errlen, "abtp_open: no path");
		return NULL;
	}
	f = fopen(path, "rb");
	if (!f) {
		fmt(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		fmt(err, errlen, "%s: not a regular file", path);
		fclose(f);
		return NULL;
	}
	if ((unsigned long long)st.st_size > MAX_FILE) {
		fmt(err, errlen, "%s: %llu bytes, larger than the %u MiB a profile may have",
		    path, (ull)st.st_size, MAX_FILE >> 20);
		fclose(f);
		return NULL;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		fmt(err, errlen, "%s: out of memory", path);
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	if (n != (size_t)st.st_size || ferror(f)) {
		fmt(err, errlen, "%s: read error", path);
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	r = abtp_open_mem(buf, n, e, sizeof(e));
	if (!r)
		fmt(err, errlen, "%s: %s", path, e);
	free(buf);
	return r;
}
