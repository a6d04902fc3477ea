// SPDX-License-Identifier: GPL-2.0
/*
 * The site set: an array with an open-addressing hash on the pc, and the
 * filters that keep part of it (--sites, --rule).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "abt-trace.h"

static size_t hash32(uint32_t x, size_t cap)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x & (cap - 1);
}

struct site *site_find(const struct sites *s, uint32_t pc)
{
	size_t h;

	if (!s->hcap)
		return NULL;
	for (h = hash32(pc, s->hcap); s->hash[h];
	     h = (h + 1) & (s->hcap - 1)) {
		struct site *t = &s->v[s->hash[h] - 1];

		if (t->pc == pc)
			return t;
	}
	return NULL;
}

static void site_rehash(struct sites *s, size_t hcap)
{
	size_t i;

	free(s->hash);
	s->hash = calloc(hcap, sizeof(*s->hash));
	if (!s->hash)
		die("out of memory");
	s->hcap = hcap;
	for (i = 0; i < s->n; i++) {
		size_t h = hash32(s->v[i].pc, hcap);

		while (s->hash[h])
			h = (h + 1) & (hcap - 1);
		s->hash[h] = (uint32_t)(i + 1);
	}
}

/* Returns 1 if added, 0 if the pc was already a site. */
int site_add(struct sites *s, uint32_t pc, uint32_t word, int rule,
	     int elf)
{
	if (site_find(s, pc))
		return 0;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			die("out of memory");
	}
	s->v[s->n] = (struct site){ .pc = pc, .word = word,
				    .rule = (uint16_t)rule,
				    .elf = (uint8_t)elf };
	s->n++;
	if (s->n * 2 > s->hcap)
		site_rehash(s, s->hcap ? s->hcap * 2 : 4096);
	else {
		size_t h = hash32(pc, s->hcap);

		while (s->hash[h])
			h = (h + 1) & (s->hcap - 1);
		s->hash[h] = (uint32_t)s->n;
	}
	return 1;
}

/*
 * --sites FILE: arm only these addresses (first hex number of each
 * line; '#' starts a comment), e.g. the pc= column of an earlier
 * --dump, or the sites a faster first pass saw executed. Listed
 * addresses the scan did not find are armed too (their word is read
 * and decoded at each hit).
 */
void filter_sites(struct sites *s, const char *path)
{
	struct sites keep = { 0 };
	unsigned int nlisted = 0, nextra = 0;
	char line[1024];
	FILE *f = fopen(path, "r");
	int ln = 0;

	if (!f)
		die("--sites %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;
		unsigned long v;
		struct site *t;

		ln++;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		if (!strncmp(p, "pc=", 3))
			p += 3;
		errno = 0;
		v = strtoul(p, &end, 16);
		if (end == p || errno || v > 0xffffffffUL || (v & 3))
			die("%s:%d: not a word-aligned hex address", path, ln);
		nlisted++;
		t = site_find(s, (uint32_t)v);
		if (t)
			site_add(&keep, t->pc, t->word, t->rule, t->elf);
		else
			nextra += (unsigned int)site_add(&keep, (uint32_t)v, 0,
							 ABT_RULE_NONE, 0xff);
	}
	fclose(f);
	note("--sites %s: %u addresses listed, %zu of %zu scanned sites kept, %u not in any image",
	     path, nlisted, keep.n - nextra, s->n, nextra);
	free(s->v);
	free(s->hash);
	*s = keep;
}

/* --rule: keep the sites of one rule (listed addresses outside the images,
 * whose word is not known yet, stay: their hits are checked as they come) */
void filter_rule(struct sites *s, int rule)
{
	struct sites keep = { 0 };
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct site *t = &s->v[i];

		if (t->rule == rule || t->rule == ABT_RULE_NONE)
			site_add(&keep, t->pc, t->word, t->rule, t->elf);
	}
	note("--rule %s: %zu of %zu sites kept", abt_rules[rule].name,
	     keep.n, s->n);
	free(s->v);
	free(s->hash);
	*s = keep;
}
