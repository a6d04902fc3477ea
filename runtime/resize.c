// SPDX-License-Identifier: GPL-2.0
/*
 * abt page resizing. Linux maps lowmem with huge TLB1 entries; while one is
 * a single shadow entry, one traced page in it makes all of it
 * execute-only and every data access anywhere in it traps ("false" DSIs).
 * The runtime records the guest's TLB1 mappings (struct abt_map) and runs
 * a cost model per mapping, clock = mem_now():
 *  - unsplit with traced pages inside: DSIs on its untraced pages are
 *    "false" DSIs. split_min of them within one window of resize_window
 *    ticks split it; saved_rate is their rate then, per window.
 *  - split: at the end of each window, if misses * cost_miss exceeds
 *    saved_rate * cost_dsi (what the DSIs would have cost), merge back.
 *  - no traced page left inside: merge back at once.
 */
#include "internal.h"

static u64 mem_now(const struct abt_rt *rt)
{
	return rt->clock + rt->stats.exits;
}

struct abt_map *abt_map_of(const struct abt_rt *rt, u32 ea)
{
	u32 i;

	if (!rt->nmaps)
		return NULL;
	for (i = 0; i < ABT_MAX_MAPS; i++)
		if (rt->maps[i].size && ea - rt->maps[i].ea < rt->maps[i].size)
			return (struct abt_map *)&rt->maps[i];
	return NULL;
}

static void map_window(struct abt_rt *rt, struct abt_map *m)
{
	m->win_start = mem_now(rt);
	m->false_dsis = 0;
	m->misses = 0;
}

static void map_merge(struct abt_rt *rt, struct abt_map *m, bool cost)
{
	rt->ops->merge_mapping(rt->port, m->ea, m->size);
	m->split = 0;
	rt->stats.merges++;
	if (cost)
		rt->stats.merges_cost++;
	map_window(rt, m);
}

/* A page inside a mapping became traced (more) or untraced. */
void abt_map_traced(struct abt_rt *rt, u32 page, bool more)
{
	struct abt_map *m = abt_map_of(rt, page);

	if (!m)
		return;
	if (more) {
		m->traced++;
		return;
	}
	if (m->traced && !--m->traced && m->split)
		map_merge(rt, m, false);
}

/* Split m now; saved_rate: its false DSIs per window so far. */
static int map_split(struct abt_rt *rt, struct abt_map *m)
{
	u32 elapsed, win = rt->resize_window ? rt->resize_window : 1;
	u64 now = mem_now(rt);

	if (rt->ops->split_mapping(rt->port, m->ea, m->size))
		return -ABT_EIO;
	/* false DSIs per window (elapsed <= win); 32-bit division only,
	 * the kernel has no 64-bit one on ppc32 */
	elapsed = (u32)(now - m->win_start) + 1;
	if (win > 0xffff) {
		elapsed = (elapsed >> 16) + 1;
		win >>= 16;
	}
	m->saved_rate = (m->false_dsis > 0xffff ? 0xffff : m->false_dsis) *
			win / elapsed;
	m->split = 1;
	rt->stats.splits++;
	map_window(rt, m);
	return 0;
}

/* A DSI on an untraced page of the unsplit, restricted mapping m. */
void abt_map_false_dsi(struct abt_rt *rt, struct abt_map *m)
{
	u32 win = rt->resize_window ? rt->resize_window : 1;

	if (mem_now(rt) - m->win_start >= win)
		map_window(rt, m);
	m->false_dsis++;
	if (!(rt->features & ABT_FEAT_RESIZE) || m->false_dsis < rt->split_min)
		return;
	map_split(rt, m);
}

int abt_guest_split(struct abt_rt *rt, u32 ea)
{
	struct abt_map *m = abt_map_of(rt, ea);

	if (!m)
		return -ABT_ENOENT;
	if (m->split)
		return 0;
	if (!(rt->features & ABT_FEAT_RESIZE))
		return -ABT_EINVAL;
	return map_split(rt, m);
}

/*
 * Record the guest mapping [ea, ea+size) holding `traced` traced pages
 * (abt_guest_map): it replaces any mapping it overlaps. 0 or -ABT_EFULL.
 */
int abt_map_add(struct abt_rt *rt, u32 ea, u32 size, u32 pa, u32 flags,
		u32 traced)
{
	struct abt_map *m = NULL;
	u32 i;

	abt_guest_unmap(rt, ea, size);
	for (i = 0; i < ABT_MAX_MAPS && !m; i++)
		if (!rt->maps[i].size)
			m = &rt->maps[i];
	if (!m)
		return -ABT_EFULL;
	m->ea = ea;
	m->size = size;
	m->pa = pa;
	m->writable = !!(flags & ABT_MAP_WRITABLE);
	m->split = 0;
	m->traced = traced;
	m->saved_rate = 0;
	map_window(rt, m);
	rt->nmaps++;
	return 0;
}

void abt_guest_unmap(struct abt_rt *rt, u32 ea, u32 size)
{
	struct abt_map *m;
	u32 i;

	for (i = 0; i < ABT_MAX_MAPS; i++) {
		m = &rt->maps[i];
		if (m->size && abt_overlap(m->ea, m->size, ea, size)) {
			m->size = 0;
			rt->nmaps--;
		}
	}
}

/* End of a split map's window: merge if the misses cost more than the
 * DSIs the split saves. */
static void map_window_end(struct abt_rt *rt, struct abt_map *m)
{
	u32 win = rt->resize_window ? rt->resize_window : 1, nwin;
	u64 elapsed = mem_now(rt) - m->win_start, cost, saved;

	if (elapsed < win)
		return;
	/* windows that passed (32-bit division: no 64-bit one on ppc32) */
	nwin = elapsed >> 32 ? 0xffffffffu / win : (u32)elapsed / win;
	cost = (u64)m->misses * rt->cost_miss;
	saved = (u64)m->saved_rate * rt->cost_dsi * nwin;
	if (cost > saved)
		map_merge(rt, m, true);
	else
		map_window(rt, m);
}

void abt_tlb_miss(struct abt_rt *rt, u32 ea, u32 n)
{
	struct abt_map *m = abt_map_of(rt, ea);

	/* not a tick: many misses must not stretch the window they are
	 * counted in */
	rt->stats.tlb_misses += n;
	if (!m || !m->split)
		return;
	m->misses += n;
	map_window_end(rt, m);
}

void abt_tick(struct abt_rt *rt, u32 n)
{
	u32 i;

	rt->clock += n;
	for (i = 0; i < ABT_MAX_MAPS && rt->nmaps; i++)
		if (rt->maps[i].size && rt->maps[i].split)
			map_window_end(rt, &rt->maps[i]);
}

/*
 * The guest maps part of [base, +size) writable now: a steal could not
 * stay (Linux maps its text and .rodata read-only only at the end of boot).
 */
bool abt_map_writable_over(const struct abt_rt *rt, u32 base, u32 size)
{
	u32 i;

	for (i = 0; i < ABT_MAX_MAPS && rt->nmaps; i++)
		if (rt->maps[i].size && rt->maps[i].writable &&
		    abt_overlap(rt->maps[i].ea, rt->maps[i].size, base, size))
			return true;
	return false;
}

u32 abt_nmaps(const struct abt_rt *rt)
{
	return rt->nmaps;
}

const struct abt_map *abt_map_find(const struct abt_rt *rt, u32 ea)
{
	return abt_map_of(rt, ea);
}

const struct abt_map *abt_map_next(const struct abt_rt *rt,
				   const struct abt_map *m)
{
	u32 i = m ? (u32)(m - rt->maps) + 1 : 0;

	for (; i < ABT_MAX_MAPS && rt->nmaps; i++)
		if (rt->maps[i].size)
			return &rt->maps[i];
	return NULL;
}
