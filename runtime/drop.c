// SPDX-License-Identifier: GPL-2.0
/*
 * abt dropping patches. abt_untranslate() undoes one patch and everything
 * that hangs on it: the mirror a rewritten access used, its DSI counter,
 * its profile entry (counted afresh). A guest store to a traced page
 * (self-modifying code, module loading, a debugger) first drops every
 * patch whose words or stub it overlaps, so the store then lands on the
 * guest's own code. The same walk serves a read burst (a page giving its
 * patches up), a stolen range given back (its stubs) and a data mirror
 * dissolved (its rewritten accesses).
 */
#include "internal.h"

int abt_untranslate(struct abt_rt *rt, u32 pc)
{
	struct abt_site *s = abt_site_get(rt, pc);
	int rc;

	if (!s)
		return -ABT_ENOENT;
	rc = abt_unpatch(rt, s);
	if (rc)
		return rc;
	if (s->mirror) {
		abt_mirror_put(rt, s->mirror - 1);
		abt_hot_forget(rt, pc);
	}
	abt_prof_forget(rt, pc);
	abt_site_release(rt, s);
	rt->stats.untranslations++;
	return 0;
}

void abt_untranslate_all(struct abt_rt *rt)
{
	const struct abt_site *s;

	abt_for_each_site(rt, s)
		abt_untranslate(rt, s->pc);
}

/* Drop every patch with a word in [ea, ea+len) or a stub overlapping it. */
int abt_drop_range(struct abt_rt *rt, u32 ea, u32 len)
{
	const u32 back = 4 * (ABT_MAX_MEMBERS - 1);
	const struct abt_site *s;
	u32 a, i, n;
	int dropped = 0;

	if (!rt->nsites || !len)
		return 0;
	n = abt_range_words(ea, len, back);
	if (n <= ABT_SMALL_RANGE_WORDS && !abt_tc_overlaps(rt, ea, len)) {
		/* A cluster covers words after its site: look back too. */
		for (i = 0, a = (ea & ~3u) - back; i < n; i++, a += 4) {
			s = abt_site_get(rt, a);
			if (s && abt_site_hit(s, ea, len) &&
			    !abt_untranslate(rt, a))
				dropped++;
		}
		return dropped;
	}
	abt_for_each_site(rt, s)
		if (abt_site_hit(s, ea, len) && !abt_untranslate(rt, s->pc))
			dropped++;
	return dropped;
}

int abt_trace_write(struct abt_rt *rt, u32 ea, u32 len)
{
	rt->stats.trace_writes++;
	return abt_drop_range(rt, ea, len);
}

/* Store bytes unknown: make the original authoritative again by dropping
 * the data mirrors the store overlaps (with their rewritten accesses). */
void abt_dissolve_mirrors(struct abt_rt *rt, u32 ea, u32 len)
{
	const struct abt_site *s;
	struct abt_mirror *m;
	u32 idx;

	while ((m = abt_mirror_over(rt, ea, len, ABT_MIRROR_DATA))) {
		idx = m - rt->mirrors + 1;
		abt_for_each_site(rt, s) {
			if (!m->ea)
				break;
			if (s->mirror == idx && abt_untranslate(rt, s->pc))
				return;	/* cannot undo: leave it */
		}
		if (m->ea)
			return;		/* not all its users found: never */
	}
}

/* Give a stolen range back: drop its stubs, restore its bytes. */
void abt_unsteal(struct abt_rt *rt, struct abt_mirror *m)
{
	const struct abt_site *s;
	u32 idx = m - rt->mirrors + 1;

	/* the loads rewritten to its mirror, and the stubs inside it */
	abt_for_each_site(rt, s)
		if (s->mirror == idx ||
		    (s->stub && s->stub - m->ea < m->size))
			abt_untranslate(rt, s->pc);
	abt_steal_return(rt, m);
}

void abt_unsteal_all(struct abt_rt *rt)
{
	u32 i;

	for (i = 0; i < ABT_MAX_MIRRORS && rt->nmirrors; i++)
		if (rt->mirrors[i].ea &&
		    rt->mirrors[i].kind == ABT_MIRROR_STOLEN)
			abt_unsteal(rt, &rt->mirrors[i]);
}
