// SPDX-License-Identifier: GPL-2.0
/*
 * abt DSI entry point: a guest data access that trapped because of the
 * shadow permissions the runtime asked for. abt_dsi() serves it from the
 * guest view or routes it (patches dropped, mirrors written, a stolen
 * range given back) and feeds the adaptive mechanisms: mirroring of hot
 * data, page resizing, read bursts, steal hints. abt_access_class() tells
 * a replay tool how an access would fare, abt_mirror_step() runs a
 * mirrored access on the trap path.
 */
#include "internal.h"

static bool range_traced(const struct abt_rt *rt, u32 ea, u32 len)
{
	return abt_page_traced(rt, ea) || abt_page_traced(rt, ea + len - 1);
}

/*
 * A DSI on a traced page from pc counts towards mirroring its data. The
 * mirror stub may have stolen TC space: news for the profile's entries
 * that wait for some.
 */
static bool hot_count(struct abt_rt *rt, u32 pc, u32 ea, u32 len)
{
	u32 tc_gen = rt->tc_gen;
	bool hot = abt_hot_count(rt, pc, ea, len);

	abt_prof_tc_news(rt, tc_gen);
	return hot;
}

/*
 * A load DSI on a traced page, not one a mirror may take over: past
 * rt->read_burst of them the page gives its patches up. Loads a mirror can
 * take over do not count: they stop trapping once mirrored.
 */
static void read_burst(struct abt_rt *rt, u32 ea)
{
	int rc;

	if (!abt_page_burst(rt, ea))
		return;
	rc = abt_drop_range(rt, ea & ABT_PAGE_MASK, ABT_PAGE_SIZE);
	if (rc > 0) {
		rt->stats.read_bursts++;
		rt->stats.burst_drops += rc;
	}
}

int abt_dsi(struct abt_rt *rt, u32 pc, u32 ea, u32 len, bool write,
	    void *buf)
{
	struct abt_mirror *st;
	struct abt_map *m;
	int rc;

	if (!len || len > ABT_PAGE_SIZE)
		return -ABT_EINVAL;
	rt->clock++;
	if (!range_traced(rt, ea, len)) {
		m = abt_map_of(rt, ea);
		if (!m || !m->traced || m->split)
			return ABT_DSI_FAULT;
		rt->stats.dsi_false++;
		abt_hint_access(rt, ea, len);
		abt_map_false_dsi(rt, m);
		return ABT_DSI_ACCESS;
	}
	st = abt_mirror_over(rt, ea, len, ABT_MIRROR_STOLEN);
	if (!st)
		abt_hint_access(rt, ea, len);
	if (!write) {
		rt->stats.dsi_reads++;
		if (st)
			rt->stats.stolen_reads++;
		if (buf) {
			rc = abt_trace_read(rt, ea, buf, len);
			if (rc)
				return rc;
		} else {
			rt->stats.trace_reads++;	/* port reads the view */
		}
		if (!hot_count(rt, pc, ea, len) && !st && rt->read_burst)
			read_burst(rt, ea);
		return ABT_DSI_READ;
	}
	rt->stats.dsi_writes++;
	if (st)
		abt_unsteal(rt, st);
	if (!buf && rt->nmirrors)
		abt_dissolve_mirrors(rt, ea, len);
	rc = abt_trace_write(rt, ea, len);
	if (rc < 0)
		return rc;
	rt->stats.smc_drops += rc;
	if (!buf)
		return ABT_DSI_WRITE;
	/* may make a mirror of this very range: store into it after */
	hot_count(rt, pc, ea, len);
	rc = abt_mirror_store(rt, ea, buf, len);
	return rc ? rc : ABT_DSI_WRITE;
}

enum abt_access_class abt_access_class(const struct abt_rt *rt, u32 pc,
				       u32 ea, u32 len)
{
	const struct abt_site *s = pc ? abt_site_get(rt, pc) : NULL;
	const struct abt_mirror *mi;
	const struct abt_map *m;

	if (!len)
		return ABT_ACC_FREE;
	if (s && s->mirror) {
		mi = &rt->mirrors[s->mirror - 1];
		if (ea - mi->ea < mi->size && len <= mi->size - (ea - mi->ea))
			return ABT_ACC_MIRRORED;
	}
	if (range_traced(rt, ea, len))
		return ABT_ACC_TRACED;
	m = abt_map_of(rt, ea);
	if (m && m->traced && !m->split)
		return ABT_ACC_FALSE;
	return ABT_ACC_FREE;
}

/*
 * The host runs the original access of a mirror site whose stub was
 * rolled back, as the stub would have: a port that delivers an interrupt
 * right after a rollback does this first, or a guest interrupted faster
 * than the stub runs would never get past it (see "Recovery").
 */
int abt_mirror_step(struct abt_rt *rt, u32 pc, u32 gpr[32])
{
	const struct abt_site *s = abt_site_get(rt, pc);
	const struct abt_mirror *m;
	struct abt_access_insn l;
	u32 ea, v = 0, i;
	u8 b[4];
	int rc;

	if (!s || !s->mirror || !abt_ls_decode(s->orig, &l))
		return -ABT_ENOENT;
	m = &rt->mirrors[s->mirror - 1];
	ea = (l.ra ? gpr[l.ra] : 0) +
	     (l.flags & ABT_ACCESS_INDEXED ? gpr[l.rb] : (u32)l.d);
	if (l.flags & ABT_ACCESS_STORE) {
		for (i = 0; i < l.len; i++)
			b[i] = gpr[l.rt] >> (8 * (l.flags & ABT_ACCESS_REVERSED ? i : l.len - 1 - i));
		if (ea - m->ea <= m->size - l.len)
			return rt->ops->write(rt->port, m->mirror_ea +
					      (ea - m->ea), b, l.len) ?
			       -ABT_EIO : 0;
		if (range_traced(rt, ea, l.len)) {
			rc = abt_trace_write(rt, ea, l.len);
			if (rc < 0)
				return rc;
			rc = abt_mirror_store(rt, ea, b, l.len);
			if (rc)
				return rc;
		}
		if (rt->ops->write(rt->port, ea, b, l.len))
			return -ABT_EIO;
		rt->ops->flush_icache(rt->port, ea, l.len);
		return 0;
	}
	if (ea - m->ea <= m->size - l.len)
		rc = rt->ops->read(rt->port, m->mirror_ea + (ea - m->ea), b,
				   l.len) ? -ABT_EIO : 0;
	else
		rc = abt_view_read(rt, ea, b, l.len);	/* the guest view */
	if (rc)
		return rc;
	for (i = 0; i < l.len; i++)
		v |= (u32)b[i] << (8 * (l.flags & ABT_ACCESS_REVERSED ? i : l.len - 1 - i));
	if (l.flags & ABT_ACCESS_ALGEBRAIC)
		v = (u32)(s32)(s16)v;
	gpr[l.rt] = v;
	return 0;
}
