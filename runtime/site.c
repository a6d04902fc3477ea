// SPDX-License-Identifier: GPL-2.0
/*
 * abt site table: one entry per translated site (rule site or rewritten
 * data access), found by PC through an open-addressed hash and walked in
 * table order by abt_for_each_site(). Entries are recycled through a free
 * list; nothing here touches guest memory.
 */
#include "internal.h"

ABT_STATIC_ASSERT(site_bits, ABT_MAX_SITES == 1 << ABT_SITE_BITS);

#define SITE_HASH_BITS	(ABT_SITE_BITS + 1)
#define SITE_HASH_MASK	((1u << SITE_HASH_BITS) - 1)

static inline u32 site_home(u32 pc)
{
	return abt_hash(pc >> 2, SITE_HASH_BITS);
}

/* Hash slot holding pc, or the empty slot ending its probe sequence. */
static u32 site_slot(const struct abt_rt *rt, u32 pc)
{
	u32 h = site_home(pc), i;
	u16 v;

	/* At most half full, so an empty slot always ends the probe. */
	for (i = 0; i <= SITE_HASH_MASK; i++, h = (h + 1) & SITE_HASH_MASK) {
		v = rt->site_hash[h];
		if (!v || rt->sites[v - 1].pc == pc)
			break;
	}
	return h;
}

struct abt_site *abt_site_get(const struct abt_rt *rt, u32 pc)
{
	u16 v = rt->site_hash[site_slot(rt, pc)];

	return v && pc ? (struct abt_site *)&rt->sites[v - 1] : NULL;
}

const struct abt_site *abt_site_find(const struct abt_rt *rt, u32 pc)
{
	return abt_site_get(rt, pc);
}

u32 abt_nsites(const struct abt_rt *rt)
{
	return rt->nsites;
}

const struct abt_site *abt_site_next(const struct abt_rt *rt,
				     const struct abt_site *s)
{
	u32 i = s ? (u32)(s - rt->sites) + 1 : 0;

	if (!rt->nsites)
		return NULL;
	for (; i < ABT_MAX_SITES; i++)
		if (rt->sites[i].pc)
			return &rt->sites[i];
	return NULL;
}

bool abt_code_in_range(const struct abt_rt *rt, u32 ea, u32 len)
{
	const struct abt_site *s;

	if (abt_tc_overlaps(rt, ea, len))
		return true;
	abt_for_each_site(rt, s)
		if (abt_site_hit(s, ea, len))
			return true;
	return false;
}

/* Backward-shift deletion keeps probe sequences intact without tombstones. */
static void site_unhash(struct abt_rt *rt, u32 i)
{
	u32 j = i, home;
	u16 v;

	for (;;) {
		rt->site_hash[i] = 0;
		for (;;) {
			j = (j + 1) & SITE_HASH_MASK;
			v = rt->site_hash[j];
			if (!v)
				return;
			home = site_home(rt->sites[v - 1].pc);
			/* v may fill the hole if the hole is on its path. */
			if (((j - home) & SITE_HASH_MASK) >=
			    ((j - i) & SITE_HASH_MASK))
				break;
		}
		rt->site_hash[i] = v;
		i = j;
	}
}

struct abt_site *abt_site_alloc(struct abt_rt *rt, u32 pc)
{
	struct abt_site *s;
	u16 idx = rt->site_free;

	if (!idx)
		return NULL;
	s = &rt->sites[idx - 1];
	rt->site_free = s->next_free;
	s->pc = pc;
	s->orig = 0;
	s->patched = 0;
	s->stub = 0;
	s->stub_words = 0;
	s->nmembers = 1;
	s->shape = ABT_SHAPE_INPLACE;
	s->rule = 0;
	s->next_free = 0;
	s->exits = 0;
	s->mirror = 0;
	rt->site_hash[site_slot(rt, pc)] = idx;
	rt->nsites++;
	return s;
}

void abt_site_release(struct abt_rt *rt, struct abt_site *s)
{
	u16 idx = s - rt->sites + 1;

	site_unhash(rt, site_slot(rt, s->pc));
	s->pc = 0;
	s->next_free = rt->site_free;
	rt->site_free = idx;
	rt->nsites--;
}

/* Every entry free, chained in table order. */
void abt_sites_init(struct abt_rt *rt)
{
	u32 i;

	for (i = 0; i < ABT_MAX_SITES; i++)
		rt->sites[i].next_free = i + 1 < ABT_MAX_SITES ? i + 2 : 0;
	rt->site_free = 1;
}
