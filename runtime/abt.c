// SPDX-License-Identifier: GPL-2.0
/*
 * abt entry points: set-up, the exit profiler, translation on request, and
 * what the port adds that may make TC space appear. They sit above every
 * mechanism (docs/runtime.md "Layers"), so the news that concerns the
 * profile (the outcome of a translation, TC space for sites that found
 * none) is given here from return values (and by dsi.c for a DSI), never
 * by the mechanisms themselves.
 */
#include "internal.h"

/* Byte loop: the runtime may not call libc (the compiler may still lower
 * this to memset, which every environment of the runtime provides). */
static void zero(void *p, size_t n)
{
	u8 *b = p;

	while (n--)
		*b++ = 0;
}

static int check_profile(const struct abt_profile *prof)
{
	s32 d;

	if (!prof->layout)
		return -ABT_EINVAL;
	if (abt_magic_disp(prof, ABT_SLOT_SCRATCH1, &d) ||
	    abt_magic_disp(prof, ABT_SLOT_SCRATCH2, &d) ||
	    abt_magic_disp(prof, ABT_SLOT_SCRATCH3, &d))
		return -ABT_ERANGE;
	return 0;
}

int abt_init(struct abt_rt *rt, const struct abt_profile *prof,
	     const struct abt_port_ops *ops, void *port)
{
	u32 i;
	int rc;

	if (!rt || !prof || !ops || !ops->read || !ops->write ||
	    !ops->flush_icache || !ops->set_page_perm)
		return -ABT_EINVAL;
	rc = check_profile(prof);
	if (rc)
		return rc;
	zero(rt, sizeof(*rt));
	rt->prof = prof;
	rt->ops = ops;
	rt->port = port;
	rt->epoch_left = prof->decay;
	rt->mirror_threshold = ABT_DEF_MIRROR_THRESHOLD;
	rt->mirror_span = ABT_DEF_MIRROR_SPAN;
	rt->split_min = ABT_DEF_SPLIT_MIN;
	rt->resize_window = ABT_DEF_RESIZE_WINDOW;
	rt->cost_dsi = ABT_DEF_COST_DSI;
	rt->cost_miss = ABT_DEF_COST_MISS;
	abt_sites_init(rt);
	for (i = 0; i < prof->ntc && i < ABT_MAX_TC_REGIONS; i++) {
		rc = abt_tc_add_region(rt, prof->tc[i].base, prof->tc[i].size);
		if (rc)
			return rc;
	}
	return 0;
}

u32 abt_set_features(struct abt_rt *rt, u32 want)
{
	u32 f = want & ABT_FEAT_ALL;

	if (!rt->ops->split_mapping || !rt->ops->merge_mapping)
		f &= ~ABT_FEAT_RESIZE;
	if (!rt->nmirror_regions)
		f &= ~(ABT_FEAT_MIRROR | ABT_FEAT_STEAL);
	rt->features = f;
	return f;
}

const struct abt_profile *abt_profile_of(const struct abt_rt *rt)
{
	return rt->prof;
}

void abt_set_read_burst(struct abt_rt *rt, u32 n)
{
	rt->read_burst = n;
}

/* rc of a call that, when it succeeded, may have made TC space appear:
 * sites that found none qualify again. */
static int tc_may_appear(struct abt_rt *rt, int rc)
{
	if (!rc)
		abt_prof_retry_notc(rt);
	return rc;
}

int abt_tc_add_region(struct abt_rt *rt, u32 base, u32 size)
{
	return tc_may_appear(rt, abt_tc_region_add(rt, base, size));
}

int abt_steal_hint(struct abt_rt *rt, u32 base, u32 size)
{
	return tc_may_appear(rt, abt_hint_add(rt, base, size));
}

int abt_tc_steal(struct abt_rt *rt, u32 base, u32 size)
{
	u32 tc_gen = rt->tc_gen;
	int rc = abt_steal_range(rt, base, size);

	abt_prof_tc_news(rt, tc_gen);
	return rc;
}

int abt_guest_map(struct abt_rt *rt, u32 ea, u32 size, u32 pa, u32 flags)
{
	int rc;

	if (size <= ABT_PAGE_SIZE)
		return 0;
	rc = abt_map_add(rt, ea, size, pa, flags,
			 abt_pages_traced_in(rt, ea, size));
	/* read-only: a hint under it may have become stealable */
	return flags & ABT_MAP_WRITABLE ? rc : tc_may_appear(rt, rc);
}

/*
 * Translate now and record the outcome in the profile. A stub may have
 * stolen TC space on the way: that is news for the sites waiting for
 * some, given before this site's own outcome is recorded.
 */
int abt_translate(struct abt_rt *rt, u32 pc)
{
	u32 tc_gen = rt->tc_gen;
	int rc = abt_patch(rt, pc);

	abt_prof_tc_news(rt, tc_gen);
	if (rc)
		rt->stats.translate_fail++;
	abt_prof_note(rt, abt_prof_lookup(rt, pc), rc);
	return rc;
}

/*
 * The exit profiler. Everything off the common path (a known PC with its
 * word, below the threshold or done with) is out of line, so that
 * abt_exit() itself needs no stack frame.
 */
static abt_noinline void prof_next_epoch(struct abt_rt *rt)
{
	rt->epoch++;
	rt->epoch_left = rt->prof->decay;
}

/* An exit from inside the TC: the original word of an exit path. */
static abt_noinline enum abt_exit_action
exit_in_tc(struct abt_rt *rt, u32 pc, u32 word)
{
	struct abt_site *s = abt_tc_owner(rt, pc);
	struct abt_fields f;

	rt->stats.exits_in_tc++;
	rt->stats.exits_rule[abt_decode(word, &f)]++;
	if (s)
		s->exits++;
	return ABT_EXIT_EMULATE;
}

/* The site reached the threshold and has no patch or refusal yet. */
static abt_noinline enum abt_exit_action
exit_hot(struct abt_rt *rt, struct abt_prof_entry *e)
{
	if (!abt_translatable(rt, e->rule)) {
		/* The profile is constant: never look at this site again. */
		abt_prof_note(rt, e, -ABT_EINVAL);
		return ABT_EXIT_EMULATE;
	}
	return abt_translate(rt, e->pc) ? ABT_EXIT_EMULATE :
					  ABT_EXIT_TRANSLATED;
}

static abt_noinline enum abt_exit_action
exit_unprofiled(struct abt_rt *rt, u32 word)
{
	struct abt_fields f;

	rt->stats.exits_rule[abt_decode(word, &f)]++;
	return ABT_EXIT_EMULATE;
}

enum abt_exit_action abt_exit(struct abt_rt *rt, u32 pc, u32 word)
{
	struct abt_prof_entry *e;

	rt->stats.exits++;
	/* epoch_left stays 0 when the profile has no decay. */
	if (rt->epoch_left && !--rt->epoch_left)
		prof_next_epoch(rt);
	if (abt_unlikely(pc - rt->tc_lo < rt->tc_span) && abt_in_tc(rt, pc))
		return exit_in_tc(rt, pc, word);

	e = &rt->prof_tab[abt_prof_hash(pc)];
	/* pc 0 marks empty entries: it must never look like a hit. */
	if (abt_unlikely(e->pc != pc || e->word != word || !pc)) {
		if (!pc)
			return exit_unprofiled(rt, word);
		e = abt_prof_get(rt, pc, word);
		if (!e)
			return exit_unprofiled(rt, word);
	}
	abt_prof_age(rt, e);
	rt->stats.exits_rule[e->rule]++;
	if (++e->count < rt->prof->threshold || e->flags)
		return ABT_EXIT_EMULATE;
	return exit_hot(rt, e);
}
