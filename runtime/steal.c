// SPDX-License-Identifier: GPL-2.0
/*
 * abt TC placement by stealing. A hint names a guest range believed
 * read-only (abt_steal_hint). When a stub finds no TC space in branch
 * reach, the nearest untouched hint in reach is stolen: its bytes move to
 * a mirror (mirror.c, kind STOLEN), the range becomes a TC region and its
 * pages are traced, so guest loads see the mirror. A guest store gives it
 * back (drop.c drops its stubs, then abt_steal_return).
 */
#include "internal.h"

/* A new hint; -ABT_EINVAL or -ABT_EFULL. */
int abt_hint_add(struct abt_rt *rt, u32 base, u32 size)
{
	u32 i;

	if (!base || !size || (base | size) & (ABT_TC_GRANULE - 1))
		return -ABT_EINVAL;
	for (i = 0; i < ABT_MAX_STEAL_HINTS; i++) {
		if (rt->hints[i].size)
			continue;
		rt->hints[i].base = base;
		rt->hints[i].size = size;
		rt->hints[i].accesses = 0;
		return 0;
	}
	return -ABT_EFULL;
}

/* A guest data access to [ea, ea+len): hints it touches are not read-only. */
void abt_hint_access(struct abt_rt *rt, u32 ea, u32 len)
{
	u32 i;

	for (i = 0; i < ABT_MAX_STEAL_HINTS; i++)
		if (rt->hints[i].size &&
		    abt_overlap(rt->hints[i].base, rt->hints[i].size, ea, len))
			rt->hints[i].accesses++;
}

/* Steal [base, base+size) now (abt_tc_steal). */
int abt_steal_range(struct abt_rt *rt, u32 base, u32 size)
{
	struct abt_mirror *m;
	int rc;

	if (!base || !size || (base | size) & (ABT_TC_GRANULE - 1) ||
	    size > ABT_TC_MAX_GRANULES * ABT_TC_GRANULE ||
	    base + size - 1 < base)
		return -ABT_EINVAL;
	if (abt_mirror_over(rt, base, size, 0) ||
	    abt_code_in_range(rt, base, size) ||
	    abt_mregion_overlaps(rt, base, size))
		return -ABT_EBUSY;
	/* a region first: a port that maps TC regions executable sees it
	 * before the tracing below flushes the range's shadow mappings */
	rc = abt_tc_region_add(rt, base, size);
	if (rc)
		return rc;
	m = abt_mirror_new(rt, base, size, ABT_MIRROR_STOLEN);
	if (!m) {
		abt_tc_remove_region(rt, base);
		return -ABT_EFULL;
	}
	rt->stats.tc_stolen_bytes += size;
	return 0;
}

/*
 * The stolen range of m has no stub left (drop.c dropped them): remove its
 * region and give the bytes back. False if a stub is still there.
 */
bool abt_steal_return(struct abt_rt *rt, struct abt_mirror *m)
{
	u32 i;

	if (abt_tc_remove_region(rt, m->ea))
		return false;	/* a stub could not be undone: keep it */
	for (i = 0; i < ABT_MAX_STEAL_HINTS; i++)
		if (rt->hints[i].size &&
		    abt_overlap(rt->hints[i].base, rt->hints[i].size,
				m->ea, m->size))
			rt->hints[i].accesses++;	/* not read-only */
	abt_mirror_free(rt, m);
	rt->stats.unsteals++;
	return true;
}

/* Steal the nearest untouched hint that a stub for s0..slast can use. */
static int steal_for(struct abt_rt *rt, u32 s0, u32 slast)
{
	const struct abt_steal_hint *h, *pick = NULL;
	u32 i, d, best = ~0u;

	for (i = 0; i < ABT_MAX_STEAL_HINTS; i++) {
		h = &rt->hints[i];
		if (!h->size || h->accesses ||
		    abt_mirror_over(rt, h->base, h->size, 0))
			continue;
		if (abt_map_writable_over(rt, h->base, h->size)) {
			rt->stats.steal_writable++;
			continue;
		}
		if (!abt_reach(s0, h->base) ||
		    !abt_reach(h->base + h->size - 4, slast + 4) ||
		    !abt_reach(h->base + h->size - 4, s0) ||
		    !abt_reach(h->base, slast + 4))
			continue;
		d = h->base - s0 < s0 - h->base ? h->base - s0 : s0 - h->base;
		if (d < best) {
			best = d;
			pick = h;
		}
	}
	if (!pick)
		return -ABT_ENOTC;
	return abt_steal_range(rt, pick->base, pick->size);
}

int abt_tc_alloc_steal(struct abt_rt *rt, u32 s0, u32 slast, u32 nbytes,
		       u16 owner, u32 *ea)
{
	int rc = abt_tc_alloc(rt, s0, slast, nbytes, owner, ea);

	if (rc != -ABT_ENOTC || !(rt->features & ABT_FEAT_STEAL) ||
	    steal_for(rt, s0, slast))
		return rc;
	return abt_tc_alloc(rt, s0, slast, nbytes, owner, ea);
}

const struct abt_steal_hint *abt_hint_next(const struct abt_rt *rt,
					   const struct abt_steal_hint *h)
{
	u32 i = h ? (u32)(h - rt->hints) + 1 : 0;

	for (; i < ABT_MAX_STEAL_HINTS; i++)
		if (rt->hints[i].size)
			return &rt->hints[i];
	return NULL;
}
