// SPDX-License-Identifier: GPL-2.0
/*
 * The register map: QEMU's target description against our rules' names,
 * and reading the whole state through it.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "abt-trace.h"

enum { C_PC = 32, C_MSR, C_CR, C_XER, C_LR, C_CTR };
static const char *const core_extra[] = { "pc", "msr", "cr", "xer", "lr",
					  "ctr" };

static const char *attr(const char *tag, const char *end, const char *name,
			size_t *len)
{
	size_t nl = strlen(name);
	const char *p;

	for (p = tag; p + nl + 2 < end; p++) {
		if (!strncmp(p, name, nl) && p[nl] == '=' &&
		    (p[nl + 1] == '"' || p[nl + 1] == '\'') &&
		    (p == tag || isspace((unsigned char)p[-1]))) {
			const char *v = p + nl + 2, *q = v;

			while (q < end && *q != p[nl + 1])
				q++;
			*len = (size_t)(q - v);
			return v;
		}
	}
	return NULL;
}

/* Parse <reg .../> elements; *next is the number the next unnumbered
 * register gets (gdb's rule). */
static int parse_regs(struct regmap *m, const char *xml, int *next,
		      char *err, size_t errlen)
{
	const char *p = xml;

	while ((p = strstr(p, "<reg"))) {
		const char *end = strchr(p, '>'), *v;
		struct xreg *x;
		size_t l;

		if (!end) {
			snprintf(err, errlen, "unterminated <reg> element");
			return -1;
		}
		if (!isspace((unsigned char)p[4])) {
			p += 4;
			continue;
		}
		if (m->n == MAX_XML_REGS) {
			snprintf(err, errlen, "more than %d registers",
				 MAX_XML_REGS);
			return -1;
		}
		x = &m->r[m->n];
		v = attr(p, end, "name", &l);
		if (!v || !l || l >= sizeof(x->name)) {
			snprintf(err, errlen, "<reg> without a usable name");
			return -1;
		}
		memcpy(x->name, v, l);
		x->name[l] = '\0';
		v = attr(p, end, "bitsize", &l);
		x->bits = v ? atoi(v) : 0;
		if (x->bits <= 0 || x->bits > 128 || x->bits % 8) {
			snprintf(err, errlen, "register %s: bitsize %d",
				 x->name, x->bits);
			return -1;
		}
		v = attr(p, end, "regnum", &l);
		x->num = v ? atoi(v) : *next;
		*next = x->num + 1;
		x->gpos = -1;
		m->n++;
		p = end;
	}
	return 0;
}

/*
 * Our rules' SPR names and numbers, from gen/ (abt_reg_names[] and
 * abt_reg_of_spr()), matched case-insensitively with the stub's names.
 * QEMU calls DEC "decr" and its stub reads env->spr[22], which QEMU
 * never updates (the decrementer lives in a timer): after mtdec 0x61a80
 * it still reads 0. So no alias maps "decr" to DEC: a column that does
 * not follow the register would fail every check of it. TBL/TBU (and
 * the write-only TBWL/TBWU, which QEMU also names "tbl"/"tbu") are
 * left out for the same reason.
 */
static int spr_of_name(const char *name)
{
	static int built;
	static int reg_spr[ABT_REG_COUNT];
	unsigned int i;

	if (!built) {
		for (i = 0; i < ABT_REG_COUNT; i++)
			reg_spr[i] = -1;
		for (i = 0; i < 1024; i++) {
			int r = abt_reg_of_spr(i);

			if (r >= 0 && r < ABT_REG_COUNT && reg_spr[r] < 0)
				reg_spr[r] = (int)i;
		}
		built = 1;
	}
	if (!strcasecmp(name, "dec") || !strcasecmp(name, "decr"))
		return -1;	/* stale in the stub, see above */
	for (i = 0; i < ABT_REG_COUNT; i++)
		if (reg_spr[i] >= 0 && !strcasecmp(abt_reg_names[i], name))
			return reg_spr[i];
	return -1;
}

static int xreg_cmp(const void *a, const void *b)
{
	const struct xreg *x = a, *y = b;

	return (x->num > y->num) - (x->num < y->num);
}

/*
 * Lay out a 'g' reply: registers by ascending number, each bitsize/4
 * hex digits, up to the reply's length (QEMU puts only the core
 * registers there; numbers the description skips, such as the FPRs an
 * e500 lacks, take no room once the description was read).
 */
static void layout_g(struct regmap *m, int hexlen)
{
	int i, pos = 0;

	for (i = 0; i < m->n; i++) {
		int w = m->r[i].bits / 4;

		if (pos + w > hexlen)
			break;
		m->r[i].gpos = pos;
		pos += w;
	}
	m->g_hexlen = hexlen;
}

static struct xreg *xreg_by_num(struct regmap *m, int num)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (m->r[i].num == num)
			return &m->r[i];
	return NULL;
}

int read_target_description(struct cap *c)
{
	struct regmap *m = &c->map;
	char *xml, *p, err[128];
	int next = 0, i;
	long len;

	len = rsp_xfer_read(&c->rsp, "features", "target.xml", &xml,
			    c->o->rsp_timeout_ms);
	if (len < 0)
		return rsp_error_end(c, RSP_ERROR, "reading target.xml");
	/* registers in target.xml itself, then each include in order */
	if (parse_regs(m, xml, &next, err, sizeof(err)))
		goto bad;
	for (p = xml; (p = strstr(p, "<xi:include")); ) {
		const char *end = strchr(p, '>'), *v;
		char href[128], *sub;
		size_t l;

		if (!end)
			break;
		v = attr(p, end, "href", &l);
		if (!v || !l || l >= sizeof(href)) {
			snprintf(err, sizeof(err), "xi:include without href");
			goto bad;
		}
		memcpy(href, v, l);
		href[l] = '\0';
		if (rsp_xfer_read(&c->rsp, "features", href, &sub,
				  c->o->rsp_timeout_ms) < 0) {
			free(xml);
			return rsp_error_end(c, RSP_ERROR, "reading an XML include");
		}
		if (parse_regs(m, sub, &next, err, sizeof(err))) {
			free(sub);
			goto bad;
		}
		free(sub);
		p = (char *)end;
	}
	free(xml);
	/* the names, for the report */
	for (i = 0; i < m->n; i++) {
		size_t l = strlen(m->r[i].name);

		m->seen = realloc(m->seen, m->seen_len + l + 2);
		if (!m->seen)
			die("out of memory");
		memcpy(m->seen + m->seen_len, m->r[i].name, l);
		m->seen_len += l;
		m->seen[m->seen_len++] = ' ';
		m->seen[m->seen_len] = '\0';
	}
	qsort(m->r, (size_t)m->n, sizeof(m->r[0]), xreg_cmp);
	return 0;
bad:
	free(xml);
	end_capture(c, 0, "bad target description: %s", err);
	return -1;
}

/* Choose the registers: core by name, SPRs by our rules' names. */
int build_map(struct cap *c)
{
	struct regmap *m = &c->map;
	int i, j, n;

	for (i = 0; i < 38; i++) {
		char name[8];

		if (i < 32)
			snprintf(name, sizeof(name), "r%d", i);
		else
			snprintf(name, sizeof(name), "%s", core_extra[i - 32]);
		m->core[i] = -1;
		for (j = 0; j < m->n; j++)
			if (!strcmp(m->r[j].name, name) && m->r[j].bits == 32) {
				m->core[i] = m->r[j].num;
				break;
			}
		if (m->core[i] < 0) {
			end_capture(c, 0,
				    "target description has no 32-bit register '%s'",
				    name);
			return -1;
		}
	}
	/* 'g' lays out the core registers; see how long it is */
	n = transact(c, "g", "reading registers (g)");
	if (n < 0)
		return -1;
	if (n < 8 || (n & 1)) {
		end_capture(c, 0, "bad 'g' reply \"%.40s\"", c->reply);
		return -1;
	}
	layout_g(m, n);

	for (j = 0; j < m->n; j++) {
		struct xreg *x = &m->r[j];
		int sprn, k, dup = 0;

		for (i = 0; i < 38; i++)
			if (m->core[i] == x->num)
				dup = 1;
		if (dup || x->bits != 32)
			continue;
		sprn = spr_of_name(x->name);
		if (sprn < 0)
			continue;
		for (k = 0; k < m->nspr; k++)
			if (m->spr_num[k] == sprn)
				dup = 1;
		if (dup)
			continue;
		if (m->nspr == ABTT_MAX_SPR) {
			note("more than %d SPRs offered; keeping the first",
			     ABTT_MAX_SPR);
			break;
		}
		m->spr_regnum[m->nspr] = x->num;
		m->spr_num[m->nspr] = (uint16_t)sprn;
		snprintf(m->spr_name[m->nspr], sizeof(m->spr_name[0]), "%s",
			 x->name);
		m->nspr++;
	}
	return 0;
}

/* Read the full state: one 'g', one 'p' per SPR, pipelined. */
int read_state(struct cap *c, struct abtt_state *s, const char *what)
{
	struct regmap *m = &c->map;
	uint32_t v[38];
	int i, n;

	memset(s, 0, sizeof(*s));
	if (rsp_queue(&c->rsp, "g", 1))
		return rsp_error_end(c, RSP_ERROR, what);
	for (i = 0; i < m->nspr; i++)
		if (rsp_queuef(&c->rsp, "p%x", m->spr_regnum[i]))
			return rsp_error_end(c, RSP_ERROR, what);
	/* core registers the 'g' reply did not cover */
	for (i = 0; i < 38; i++) {
		struct xreg *x = xreg_by_num(m, m->core[i]);

		if (x->gpos < 0 &&
		    rsp_queuef(&c->rsp, "p%x", m->core[i]))
			return rsp_error_end(c, RSP_ERROR, what);
	}
	if (flush_requests(c, what))
		return -1;

	n = recv_reply(c, what);
	if (n < 0)
		return -1;
	if (n != m->g_hexlen) {
		end_capture(c, 0, "%s: 'g' reply of %d hex digits, expected %d (\"%.16s\")",
			    what, n, m->g_hexlen, c->reply);
		return -1;
	}
	for (i = 0; i < 38; i++) {
		struct xreg *x = xreg_by_num(m, m->core[i]);

		v[i] = 0;
		if (x->gpos >= 0 && rsp_hex_be32(c->reply + x->gpos, &v[i])) {
			end_capture(c, 0, "%s: bad hex in 'g' reply", what);
			return -1;
		}
	}
	for (i = 0; i < m->nspr; i++) {
		n = recv_reply(c, what);
		if (n < 0)
			return -1;
		if (n != 8 || rsp_hex_be32(c->reply, &s->spr[i])) {
			/* "E.." or nothing: not readable now */
			s->spr[i] = 0;
			c->nspr_errors++;
		}
	}
	for (i = 0; i < 38; i++) {
		struct xreg *x = xreg_by_num(m, m->core[i]);

		if (x->gpos >= 0)
			continue;
		n = recv_reply(c, what);
		if (n < 0)
			return -1;
		if (n != 8 || rsp_hex_be32(c->reply, &v[i])) {
			end_capture(c, 0, "%s: cannot read %s (\"%.16s\")",
				    what, x->name, c->reply);
			return -1;
		}
	}
	memcpy(s->gpr, v, sizeof(s->gpr));
	s->pc = v[C_PC];
	s->msr = v[C_MSR];
	s->cr = v[C_CR];
	s->xer = v[C_XER];
	s->lr = v[C_LR];
	s->ctr = v[C_CTR];
	return 0;
}
