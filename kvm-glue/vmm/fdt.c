// SPDX-License-Identifier: GPL-2.0
/*
 * A flattened device tree, edited in place: split into its blocks, a
 * property set (replaced or added) by node path, the blocks laid out again.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "abt-vmm.h"

#define FDT_MAGIC	0xd00dfeedu
#define FDT_BEGIN_NODE	1
#define FDT_END_NODE	2
#define FDT_PROP	3
#define FDT_NOP		4
#define FDT_END		9
#define FDT_HDR_SIZE	40

static size_t align4(size_t x)
{
	return (x + 3) & ~(size_t)3;
}

void fdt_free(struct fdt *t)
{
	free(t->rsv);
	free(t->dt);
	free(t->str);
	memset(t, 0, sizeof(*t));
}

/* Split a DTB into its blocks, checking every offset against the blob. */
int fdt_parse(struct fdt *t, const uint8_t *b, size_t len,
	      const char *path)
{
	uint32_t total, off_dt, off_str, off_rsv, version, dt_size, str_size;
	size_t r;

	memset(t, 0, sizeof(*t));
	if (len < FDT_HDR_SIZE || be32(b) != FDT_MAGIC) {
		err("%s: not a flattened device tree (bad magic)", path);
		return -1;
	}
	total = be32(b + 4);
	off_dt = be32(b + 8);
	off_str = be32(b + 12);
	off_rsv = be32(b + 16);
	version = be32(b + 20);
	t->boot_cpuid = be32(b + 28);
	str_size = be32(b + 32);
	dt_size = be32(b + 36);
	if (version < 17 || be32(b + 24) > 17) {
		err("%s: device tree version %" PRIu32 " not supported "
		    "(need 17)", path, version);
		return -1;
	}
	if (total > len || off_dt > total || dt_size > total - off_dt ||
	    off_str > total || str_size > total - off_str ||
	    off_rsv > total || (off_rsv & 7) || (off_dt & 3) ||
	    (dt_size & 3)) {
		err("%s: device tree header inconsistent with its size", path);
		return -1;
	}
	/* reservation block: 16-byte entries up to a zero entry */
	for (r = off_rsv; ; r += 16) {
		if (r + 16 > total) {
			err("%s: unterminated memory reservation block", path);
			return -1;
		}
		if (!memcmp(b + r, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16))
			break;
	}
	t->rsv_len = r + 16 - off_rsv;
	t->dt_cap = dt_size + 4096;
	t->str_cap = str_size + 1024;
	t->rsv = malloc(t->rsv_len);
	t->dt = malloc(t->dt_cap);
	t->str = malloc(t->str_cap);
	if (!t->rsv || !t->dt || !t->str) {
		err("%s: out of memory", path);
		fdt_free(t);
		return -1;
	}
	memcpy(t->rsv, b + off_rsv, t->rsv_len);
	memcpy(t->dt, b + off_dt, dt_size);
	memcpy(t->str, b + off_str, str_size);
	t->dt_len = dt_size;
	t->str_len = str_size;
	return 0;
}

/*
 * Walk one token at *pos; fills in what it is. Returns the token, or -1 on a
 * malformed structure block.
 */
static int fdt_token(const struct fdt *t, size_t *pos, const char **name,
		     uint32_t *plen, size_t *pval)
{
	uint32_t tok;
	size_t p = *pos;

	if (p + 4 > t->dt_len)
		return -1;
	tok = be32(t->dt + p);
	p += 4;
	switch (tok) {
	case FDT_BEGIN_NODE: {
		const uint8_t *end = memchr(t->dt + p, 0, t->dt_len - p);

		if (!end)
			return -1;
		*name = (const char *)t->dt + p;
		p = align4((size_t)(end - t->dt) + 1);
		break;
	}
	case FDT_PROP: {
		uint32_t l, nameoff;

		if (p + 8 > t->dt_len)
			return -1;
		l = be32(t->dt + p);
		nameoff = be32(t->dt + p + 4);
		p += 8;
		if (l > t->dt_len - p || nameoff >= t->str_len ||
		    !memchr(t->str + nameoff, 0, t->str_len - nameoff))
			return -1;
		*name = t->str + nameoff;
		*plen = l;
		*pval = p;
		p = align4(p + l);
		break;
	}
	case FDT_END_NODE:
	case FDT_NOP:
	case FDT_END:
		break;
	default:
		return -1;
	}
	if (p > t->dt_len)
		return -1;
	*pos = p;
	return (int)tok;
}

/* "memory" matches "memory" and "memory@0"; "soc@fe0000000" only itself */
static bool node_name_matches(const char *name, const char *comp, size_t clen)
{
	if (strlen(name) == clen && !memcmp(name, comp, clen))
		return true;
	return !memchr(comp, '@', clen) && !strncmp(name, comp, clen) &&
	       name[clen] == '@';
}

/*
 * Find the node at an absolute path; returns the offset just after its
 * FDT_BEGIN_NODE name (where its properties start), or -1.
 */
static long fdt_find_node(const struct fdt *t, const char *path)
{
	size_t pos = 0;
	int depth = -1, matched = -1;	/* deepest level matched so far */
	const char *comp = path;

	while (*comp == '/')
		comp++;
	for (;;) {
		const char *name = NULL;
		uint32_t plen;
		size_t pval;
		int tok = fdt_token(t, &pos, &name, &plen, &pval);

		if (tok < 0 || tok == FDT_END)
			return -1;
		if (tok == FDT_BEGIN_NODE) {
			depth++;
			if (depth == 0) {
				matched = 0;
			} else if (matched == depth - 1) {
				size_t clen = strcspn(comp, "/");

				if (node_name_matches(name, comp, clen)) {
					matched = depth;
					comp += clen;
					while (*comp == '/')
						comp++;
				}
			}
			if (matched == depth && *comp == '\0')
				return (long)pos;
		} else if (tok == FDT_END_NODE) {
			if (depth < 0)
				return -1;
			if (matched == depth)
				return -1;	/* left the last matched node */
			depth--;
		}
	}
}

static int fdt_grow(uint8_t **buf, size_t *cap, size_t need)
{
	uint8_t *n;
	size_t c = *cap;

	if (need <= c)
		return 0;
	while (c < need)
		c *= 2;
	n = realloc(*buf, c);
	if (!n)
		return -1;
	*buf = n;
	*cap = c;
	return 0;
}

static long fdt_string(struct fdt *t, const char *name)
{
	size_t n = strlen(name) + 1;
	uint8_t *s = (uint8_t *)t->str;
	/* any occurrence will do, a suffix of a longer name included */
	const char *hit = memmem(t->str, t->str_len, name, n);

	if (hit)
		return hit - t->str;
	if (fdt_grow(&s, &t->str_cap, t->str_len + n) < 0)
		return -1;
	t->str = (char *)s;
	memcpy(t->str + t->str_len, name, n);
	t->str_len += n;
	return (long)(t->str_len - n);
}

/* Set (replace or add) property `prop` of node `path`. */
int fdt_setprop(struct fdt *t, const char *path, const char *prop,
		const void *val, uint32_t len)
{
	long node = fdt_find_node(t, path), nameoff;
	size_t pos, at, old = 0, neu = 12 + align4(len);

	if (node < 0) {
		err("device tree: no node %s", path);
		return -1;
	}
	/* look for the property among the node's own properties */
	pos = (size_t)node;
	at = pos;
	for (;;) {
		const char *name = NULL;
		uint32_t plen = 0;
		size_t pval = 0, here = pos;
		int tok = fdt_token(t, &pos, &name, &plen, &pval);

		if (tok < 0) {
			err("device tree: malformed structure block");
			return -1;
		}
		if (tok == FDT_NOP)
			continue;
		if (tok != FDT_PROP)
			break;
		if (!strcmp(name, prop)) {
			at = here;
			old = pos - here;
			break;
		}
	}
	nameoff = fdt_string(t, prop);
	if (nameoff < 0 ||
	    fdt_grow(&t->dt, &t->dt_cap, t->dt_len - old + neu) < 0) {
		err("device tree: out of memory");
		return -1;
	}
	memmove(t->dt + at + neu, t->dt + at + old, t->dt_len - at - old);
	t->dt_len = t->dt_len - old + neu;
	put_be32(t->dt + at, FDT_PROP);
	put_be32(t->dt + at + 4, len);
	put_be32(t->dt + at + 8, (uint32_t)nameoff);
	memcpy(t->dt + at + 12, val, len);
	memset(t->dt + at + 12 + len, 0, neu - 12 - len);
	return 0;
}

/* Lay the blocks out again: header, reservations, structure, strings. */
size_t fdt_pack(const struct fdt *t, uint8_t *out, size_t max)
{
	size_t off_rsv = FDT_HDR_SIZE;
	size_t off_dt = off_rsv + t->rsv_len;
	size_t off_str = off_dt + t->dt_len;
	size_t total = align4(off_str + t->str_len);

	if (total > max)
		return 0;
	memset(out, 0, total);
	put_be32(out, FDT_MAGIC);
	put_be32(out + 4, (uint32_t)total);
	put_be32(out + 8, (uint32_t)off_dt);
	put_be32(out + 12, (uint32_t)off_str);
	put_be32(out + 16, (uint32_t)off_rsv);
	put_be32(out + 20, 17);
	put_be32(out + 24, 16);
	put_be32(out + 28, t->boot_cpuid);
	put_be32(out + 32, (uint32_t)t->str_len);
	put_be32(out + 36, (uint32_t)t->dt_len);
	memcpy(out + off_rsv, t->rsv, t->rsv_len);
	memcpy(out + off_dt, t->dt, t->dt_len);
	memcpy(out + off_str, t->str, t->str_len);
	return total;
}
