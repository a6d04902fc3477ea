// SPDX-License-Identifier: GPL-2.0
/*
 * abt translation cache allocator.
 *
 * The TC is one or more guest EA ranges the port reserved for stubs. Each is
 * cut into ABT_TC_GRANULE-byte granules tracked by a bitmap; allocation is
 * first fit. A stub is only useful if the `b stub` at its site and every
 * `b` back from the stub reach (I-form: signed 26-bit displacement), so the
 * fit is checked per candidate position, and regions are tried nearest to
 * the site first. owner[] maps the first granule of each stub to its site,
 * which lets an arbitrary PC inside the TC be mapped back to its site.
 */
#include "internal.h"

ABT_STATIC_ASSERT(granule, ABT_TC_GRANULE == 1 << ABT_TC_GRANULE_SHIFT);
ABT_STATIC_ASSERT(owner_fits, ABT_MAX_SITES < 0xffff);

static struct abt_tc_region *tc_region(const struct abt_rt *rt, u32 ea)
{
	u32 i;

	for (i = 0; i < rt->ntc; i++)
		if (ea - rt->tc[i].base < rt->tc[i].size)
			return (struct abt_tc_region *)&rt->tc[i];
	return NULL;
}

/* Is ea inside a TC region at all (allocated or not)? */
bool abt_tc_range(const struct abt_rt *rt, u32 ea)
{
	return tc_region(rt, ea) != NULL;
}

/* Does [ea, ea+len) overlap a TC region? */
bool abt_tc_overlaps(const struct abt_rt *rt, u32 ea, u32 len)
{
	u32 i;

	for (i = 0; i < rt->ntc; i++)
		if (abt_overlap(rt->tc[i].base, rt->tc[i].size, ea, len))
			return true;
	return false;
}

bool abt_in_tc(const struct abt_rt *rt, u32 ea)
{
	const struct abt_tc_region *r = tc_region(rt, ea);

	return r &&
	       abt_gran_used(r->map, (ea - r->base) >> ABT_TC_GRANULE_SHIFT);
}

static void tc_bounds(struct abt_rt *rt)
{
	u32 i, lo = ~0u, hi = 0;

	for (i = 0; i < rt->ntc; i++) {
		if (rt->tc[i].base < lo)
			lo = rt->tc[i].base;
		if (rt->tc[i].base + rt->tc[i].size - 1 > hi)
			hi = rt->tc[i].base + rt->tc[i].size - 1;
	}
	rt->tc_lo = lo;
	rt->tc_span = hi - lo + 1;
}

/* A new TC region (abt_tc_add_region, a steal); counted in rt->tc_gen. */
int abt_tc_region_add(struct abt_rt *rt, u32 base, u32 size)
{
	struct abt_tc_region *r;
	u32 start = (base + ABT_TC_GRANULE - 1) & ~(u32)(ABT_TC_GRANULE - 1);
	u32 n, i;

	if (rt->ntc >= ABT_MAX_TC_REGIONS)
		return -ABT_EFULL;
	if (start < base || size < start - base)
		return -ABT_EINVAL;
	n = (size - (start - base)) >> ABT_TC_GRANULE_SHIFT;
	if (n > ABT_TC_MAX_GRANULES)
		n = ABT_TC_MAX_GRANULES;
	/* Empty, wrapping past 4 GiB, or starting at EA 0. */
	if (!n || !start || start + (n << ABT_TC_GRANULE_SHIFT) - 1 < start)
		return -ABT_EINVAL;
	if (abt_tc_overlaps(rt, start, n << ABT_TC_GRANULE_SHIFT))
		return -ABT_EBUSY;

	r = &rt->tc[rt->ntc++];
	r->base = start;
	r->size = n << ABT_TC_GRANULE_SHIFT;
	r->ngranules = n;
	r->used = 0;
	for (i = 0; i < sizeof(r->map); i++)
		r->map[i] = 0;
	for (i = 0; i < ABT_TC_MAX_GRANULES; i++)
		r->owner[i] = 0;
	tc_bounds(rt);
	rt->tc_gen++;
	return 0;
}

/*
 * A stub of nbytes at ea for sites s0..slast reaches if `b ea` at s0 does,
 * and every `b` inside the stub to any s_k + 4 does. The displacements of
 * the latter lie between the two extremes checked here.
 */
static bool tc_reaches(u32 ea, u32 nbytes, u32 s0, u32 slast)
{
	return abt_reach(s0, ea) && abt_reach(ea, slast + 4) &&
	       abt_reach(ea + nbytes - 4, s0 + 4);
}

/* First run of n free granules in r that reaches; -1 if none. */
static s32 tc_fit(const struct abt_tc_region *r, u32 n, u32 nbytes, u32 s0,
		  u32 slast)
{
	u32 g, run = 0, start;

	for (g = 0; g < r->ngranules; g++) {
		if (!(g & 7) && r->map[g >> 3] == 0xff) {
			g += 7;
			run = 0;
			continue;
		}
		if (abt_gran_used(r->map, g)) {
			run = 0;
			continue;
		}
		if (++run < n)
			continue;
		start = g + 1 - n;
		if (tc_reaches(r->base + (start << ABT_TC_GRANULE_SHIFT),
			       nbytes, s0, slast))
			return start;
		run--;		/* slide the window by one granule */
	}
	return -1;
}

/* Distance from ea to the nearest byte of r, modulo 4 GiB. */
static u32 tc_distance(const struct abt_tc_region *r, u32 ea)
{
	u32 a = r->base - ea, b = ea - (r->base + r->size - 1);

	if (ea - r->base < r->size)
		return 0;
	return a < b ? a : b;
}

/* Untried region nearest to ea; -1 when all are tried. */
static int tc_nearest(const struct abt_rt *rt, u32 ea, u32 tried)
{
	u32 i, d, best = ~0u;
	int pick = -1;

	for (i = 0; i < rt->ntc; i++) {
		if (tried & (1u << i))
			continue;
		d = tc_distance(&rt->tc[i], ea);
		if (pick < 0 || d < best) {
			best = d;
			pick = i;
		}
	}
	return pick;
}

int abt_tc_alloc(struct abt_rt *rt, u32 s0, u32 slast, u32 nbytes,
		 u16 owner, u32 *ea)
{
	u32 n = (nbytes + ABT_TC_GRANULE - 1) >> ABT_TC_GRANULE_SHIFT;
	u32 tried = 0;
	struct abt_tc_region *r;
	s32 g;
	int i;

	if (!n || n > ABT_TC_STUB_GRANULES)
		return -ABT_EINVAL;
	while ((i = tc_nearest(rt, s0, tried)) >= 0) {
		tried |= 1u << i;
		r = &rt->tc[i];
		g = tc_fit(r, n, nbytes, s0, slast);
		if (g < 0)
			continue;
		abt_gran_mark(r->map, g, n, true);
		r->owner[g] = owner;
		r->used += n;
		rt->stats.tc_bytes += n << ABT_TC_GRANULE_SHIFT;
		if (rt->stats.tc_bytes > rt->stats.tc_bytes_peak)
			rt->stats.tc_bytes_peak = rt->stats.tc_bytes;
		*ea = r->base + ((u32)g << ABT_TC_GRANULE_SHIFT);
		return 0;
	}
	return -ABT_ENOTC;
}

void abt_tc_free(struct abt_rt *rt, u32 ea, u32 nbytes)
{
	struct abt_tc_region *r = tc_region(rt, ea);
	u32 n = (nbytes + ABT_TC_GRANULE - 1) >> ABT_TC_GRANULE_SHIFT;
	u32 g;

	if (!r)
		return;
	g = (ea - r->base) >> ABT_TC_GRANULE_SHIFT;
	abt_gran_mark(r->map, g, n, false);
	r->owner[g] = 0;
	r->used -= n;
	rt->stats.tc_bytes -= n << ABT_TC_GRANULE_SHIFT;
}

/*
 * Site owning the stub that covers ea. Stubs are contiguous runs of used
 * granules with the owner recorded at the first, so walk back at most one
 * stub length to the nearest owner.
 */
struct abt_site *abt_tc_owner(const struct abt_rt *rt, u32 ea)
{
	const struct abt_tc_region *r = tc_region(rt, ea);
	const struct abt_site *s;
	u32 g, i;

	if (!r)
		return NULL;
	g = (ea - r->base) >> ABT_TC_GRANULE_SHIFT;
	for (i = 0; i < ABT_TC_STUB_GRANULES && abt_gran_used(r->map, g); i++) {
		if (r->owner[g]) {
			s = &rt->sites[r->owner[g] - 1];
			if (ea - s->stub < (u32)s->stub_words * 4)
				return (struct abt_site *)s;
			return NULL;	/* padding after a stub's last word */
		}
		if (!g--)
			break;
	}
	return NULL;
}

/* Remove the (empty) region starting at base; the caller freed its stubs. */
int abt_tc_remove_region(struct abt_rt *rt, u32 base)
{
	u32 i;

	for (i = 0; i < rt->ntc; i++)
		if (rt->tc[i].base == base)
			break;
	if (i == rt->ntc)
		return -ABT_ENOENT;
	if (rt->tc[i].used)
		return -ABT_EBUSY;
	for (; i + 1 < rt->ntc; i++)
		rt->tc[i] = rt->tc[i + 1];
	rt->ntc--;
	if (rt->ntc) {
		tc_bounds(rt);
	} else {
		rt->tc_lo = 0;
		rt->tc_span = 0;
	}
	return 0;
}

int abt_tc_region_at(const struct abt_rt *rt, u32 i, u32 *base, u32 *size)
{
	if (i >= rt->ntc)
		return -ABT_ENOENT;
	*base = rt->tc[i].base;
	*size = rt->tc[i].size;
	return 0;
}
