// SPDX-License-Identifier: GPL-2.0
/*
 * abt mirror store. A mirror keeps guest bytes [ea, ea+size) at mirror_ea,
 * in a mirror region (16-byte granules, first fit). While it exists the
 * pages of [ea, ea+size) stay traced (the mirror holds a page reference),
 * so every access to the original range that was not rewritten traps:
 *  - DATA: the mirror is authoritative. Rewritten accesses use only the
 *    mirror (mirror_site.c); trapped loads of the original are served from
 *    it (the guest view, view.c); trapped stores go to both. When its last
 *    rewritten access goes, the mirror is copied back and freed.
 *  - STOLEN: the original range is TC space (steal.c); the mirror holds
 *    the guest's bytes, served to trapped loads.
 */
#include "internal.h"

/* Does [ea, ea+len) overlap a mirror region? */
bool abt_mregion_overlaps(const struct abt_rt *rt, u32 ea, u32 len)
{
	u32 i;

	for (i = 0; i < rt->nmirror_regions; i++)
		if (abt_overlap(rt->mregion[i].base, rt->mregion[i].size,
				ea, len))
			return true;
	return false;
}

int abt_mirror_add_region(struct abt_rt *rt, u32 base, u32 size)
{
	struct abt_mirror_region *r;
	u32 n = size >> ABT_TC_GRANULE_SHIFT, i;

	if (rt->nmirror_regions >= ABT_MAX_MIRROR_REGIONS)
		return -ABT_EFULL;
	if (!base || (base | size) & (ABT_TC_GRANULE - 1) || !n ||
	    base + size - 1 < base)
		return -ABT_EINVAL;
	if (n > ABT_MIRROR_MAX_GRANULES)
		n = ABT_MIRROR_MAX_GRANULES;
	if (abt_tc_overlaps(rt, base, n << ABT_TC_GRANULE_SHIFT) ||
	    abt_mregion_overlaps(rt, base, n << ABT_TC_GRANULE_SHIFT))
		return -ABT_EBUSY;
	r = &rt->mregion[rt->nmirror_regions++];
	r->base = base;
	r->size = n << ABT_TC_GRANULE_SHIFT;
	r->ngranules = n;
	for (i = 0; i < sizeof(r->map); i++)
		r->map[i] = 0;
	return 0;
}

static int mreg_alloc(struct abt_rt *rt, u32 size, u32 *ea)
{
	u32 n = (size + ABT_TC_GRANULE - 1) >> ABT_TC_GRANULE_SHIFT;
	u32 i, g, run;
	struct abt_mirror_region *r;

	for (i = 0; i < rt->nmirror_regions; i++) {
		r = &rt->mregion[i];
		for (g = 0, run = 0; g < r->ngranules; g++) {
			if (abt_gran_used(r->map, g)) {
				run = 0;
				continue;
			}
			if (++run < n)
				continue;
			g = g + 1 - n;
			abt_gran_mark(r->map, g, n, true);
			*ea = r->base + (g << ABT_TC_GRANULE_SHIFT);
			return 0;
		}
	}
	return -ABT_EFULL;
}

static void mreg_free(struct abt_rt *rt, u32 ea, u32 size)
{
	u32 n = (size + ABT_TC_GRANULE - 1) >> ABT_TC_GRANULE_SHIFT, i;
	struct abt_mirror_region *r;

	for (i = 0; i < rt->nmirror_regions; i++) {
		r = &rt->mregion[i];
		if (ea - r->base < r->size) {
			abt_gran_mark(r->map,
				      (ea - r->base) >> ABT_TC_GRANULE_SHIFT,
				      n, false);
			return;
		}
	}
}

/* A mirror (of kind, 0: any) overlapping [ea, ea+len), or NULL. */
struct abt_mirror *abt_mirror_over(const struct abt_rt *rt, u32 ea,
				      u32 len, u8 kind)
{
	const struct abt_mirror *m;
	u32 i;

	if (!rt->nmirrors)
		return NULL;
	for (i = 0; i < ABT_MAX_MIRRORS; i++) {
		m = &rt->mirrors[i];
		if (m->ea && (!kind || m->kind == kind) &&
		    abt_overlap(m->ea, m->size, ea, len))
			return (struct abt_mirror *)m;
	}
	return NULL;
}

const struct abt_mirror *abt_mirror_find(const struct abt_rt *rt, u32 ea)
{
	return abt_mirror_over(rt, ea, 1, 0);
}

bool abt_mirror_hit(const struct abt_rt *rt, u32 ea, u32 len)
{
	return abt_mirror_over(rt, ea, len, ABT_MIRROR_DATA) != NULL;
}

/* Copy guest bytes between an original range and its mirror. */
static int copy_guest(struct abt_rt *rt, u32 to, u32 from, u32 len)
{
	u8 *b = rt->scratch.bounce;
	const u32 max = sizeof(rt->scratch.bounce);
	u32 n;

	while (len) {
		n = len < max ? len : max;
		if (rt->ops->read(rt->port, from, b, n) ||
		    rt->ops->write(rt->port, to, b, n))
			return -ABT_EIO;
		to += n;
		from += n;
		len -= n;
	}
	return 0;
}

/* Put the mirrored bytes of [ea, ea+len) into buf. */
int abt_mirror_overlay(struct abt_rt *rt, u32 ea, u8 *buf, u32 len)
{
	const struct abt_mirror *m;
	u32 i, lo, hi;

	for (i = 0; i < ABT_MAX_MIRRORS; i++) {
		m = &rt->mirrors[i];
		if (!m->ea || !abt_overlap(m->ea, m->size, ea, len))
			continue;
		lo = ea - m->ea < m->size ? ea : m->ea;
		hi = m->ea + m->size - ea < len ? m->ea + m->size : ea + len;
		if (rt->ops->read(rt->port, m->mirror_ea + (lo - m->ea),
				  buf + (lo - ea), hi - lo))
			return -1;
	}
	return 0;
}

/* Write the stored bytes of [ea, ea+len) into the data mirrors they hit. */
int abt_mirror_store(struct abt_rt *rt, u32 ea, const u8 *buf, u32 len)
{
	const struct abt_mirror *m;
	u32 i, lo, hi;

	for (i = 0; i < ABT_MAX_MIRRORS; i++) {
		m = &rt->mirrors[i];
		if (!m->ea || m->kind != ABT_MIRROR_DATA ||
		    !abt_overlap(m->ea, m->size, ea, len))
			continue;
		lo = ea - m->ea < m->size ? ea : m->ea;
		hi = m->ea + m->size - ea < len ? m->ea + m->size : ea + len;
		if (rt->ops->write(rt->port, m->mirror_ea + (lo - m->ea),
				   buf + (lo - ea), hi - lo))
			return -ABT_EIO;
		rt->stats.mirror_writes++;
	}
	return 0;
}

/* New mirror of [ea, ea+size); the range's pages become traced. */
struct abt_mirror *abt_mirror_new(struct abt_rt *rt, u32 ea, u32 size,
				     u8 kind)
{
	struct abt_mirror *m = NULL;
	u32 i, mea;

	for (i = 0; i < ABT_MAX_MIRRORS && !m; i++)
		if (!rt->mirrors[i].ea)
			m = &rt->mirrors[i];
	if (!m || mreg_alloc(rt, size, &mea))
		return NULL;
	if (copy_guest(rt, mea, ea, size) || abt_range_ref(rt, ea, size)) {
		mreg_free(rt, mea, size);
		return NULL;
	}
	m->ea = ea;
	m->size = size;
	m->mirror_ea = mea;
	m->nsites = 0;
	m->kind = kind;
	rt->nmirrors++;
	return m;
}

/* Copy the mirror back (it is authoritative) and free it. */
void abt_mirror_free(struct abt_rt *rt, struct abt_mirror *m)
{
	u32 ea = m->ea, size = m->size;

	copy_guest(rt, ea, m->mirror_ea, size);
	m->ea = 0;	/* no overlay from now on */
	rt->nmirrors--;
	abt_range_unref(rt, ea, size);
	mreg_free(rt, m->mirror_ea, size);
}

void abt_mirror_put(struct abt_rt *rt, u32 idx)
{
	struct abt_mirror *m = &rt->mirrors[idx];

	if (!m->ea || --m->nsites || m->kind != ABT_MIRROR_DATA)
		return;
	abt_mirror_free(rt, m);
}

u32 abt_nmirrors(const struct abt_rt *rt)
{
	return rt->nmirrors;
}
