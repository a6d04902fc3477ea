// SPDX-License-Identifier: GPL-2.0
/*
 * abt exit profiler.
 *
 * Every privileged-instruction exit lands here before the port emulates the
 * instruction. Sites are counted in an open-addressed table keyed by guest
 * PC; a site whose (decayed) count reaches the profile threshold is handed
 * to abt_translate(). The common case, an already-known site, is one hash,
 * one compare of PC and word, and a few increments: no decode, no division,
 * no loop.
 */
#include "internal.h"

ABT_STATIC_ASSERT(prof_slots, ABT_PROF_SLOTS == 1 << ABT_PROF_BITS);
ABT_STATIC_ASSERT(prof_probe, ABT_PROF_PROBE <= ABT_PROF_SLOTS);

static inline u32 prof_hash(u32 pc)
{
	/* Instructions are word aligned: the low bits carry nothing. */
	return abt_hash(pc >> 2, ABT_PROF_BITS);
}

/* Count of e as of the current epoch: one halving per epoch it missed. */
static inline u32 prof_aged(const struct abt_rt *rt,
			    const struct abt_prof_entry *e)
{
	u32 d = rt->epoch - e->epoch;

	return d < 32 ? e->count >> d : 0;
}

/* Bring e to the current epoch (lazy decay: untouched entries cost 0). */
static inline void prof_age(const struct abt_rt *rt, struct abt_prof_entry *e)
{
	if (abt_unlikely(e->epoch != rt->epoch)) {
		e->count = prof_aged(rt, e);
		e->epoch = rt->epoch;
	}
}

static void prof_claim(struct abt_rt *rt, struct abt_prof_entry *e, u32 pc,
		       u32 word)
{
	struct abt_fields f;

	e->pc = pc;
	e->word = word;
	e->count = 0;
	e->epoch = rt->epoch;
	e->rule = abt_decode(word, &f);
	e->flags = 0;
}

/*
 * Everything off the common path is out of line, so that abt_exit() itself
 * needs no stack frame.
 *
 * Find pc in its probe window. Entries are never emptied once used (an
 * eviction reuses the slot), so the first empty slot ends the search.
 */
static struct abt_prof_entry *prof_find(struct abt_rt *rt, u32 pc,
					struct abt_prof_entry **empty,
					struct abt_prof_entry **victim)
{
	struct abt_prof_entry *e;
	u32 h = prof_hash(pc), i, c, best = ~0u;

	*empty = NULL;
	*victim = NULL;
	for (i = 0; i < ABT_PROF_PROBE; i++) {
		e = &rt->prof_tab[(h + i) & (ABT_PROF_SLOTS - 1)];
		if (e->pc == pc)
			return e;
		if (!e->pc) {
			*empty = e;
			return NULL;
		}
		/* Translated sites keep their entry: it holds their flag. */
		if (e->flags & ABT_PF_TRANSLATED)
			continue;
		c = prof_aged(rt, e);
		if (c < best) {
			best = c;
			*victim = e;
		}
	}
	return NULL;
}

/* Entry for pc, claimed or evicted for it if new; NULL if none is free. */
static abt_noinline struct abt_prof_entry *
prof_get_slow(struct abt_rt *rt, u32 pc, u32 word)
{
	struct abt_prof_entry *e, *empty, *victim;

	e = prof_find(rt, pc, &empty, &victim);
	if (e) {
		if (e->word != word) {
			/* New code at a known PC: start over, but a patch
			 * still in place stays recorded. */
			u16 keep = e->flags & ABT_PF_TRANSLATED;

			prof_claim(rt, e, pc, word);
			e->flags = keep;
		}
		return e;
	}
	if (empty) {
		prof_claim(rt, empty, pc, word);
		return empty;
	}
	if (victim) {
		rt->stats.prof_evictions++;
		prof_claim(rt, victim, pc, word);
	}
	return victim;
}

struct abt_prof_entry *abt_prof_lookup(struct abt_rt *rt, u32 pc)
{
	struct abt_prof_entry *empty, *victim;

	return prof_find(rt, pc, &empty, &victim);
}

void abt_prof_retry_notc(struct abt_rt *rt)
{
	struct abt_prof_entry *e;
	u32 i;

	if (!rt->notc_sites)
		return;
	/* their counts are at the threshold: the next exit translates */
	for (i = 0; i < ABT_PROF_SLOTS; i++) {
		e = &rt->prof_tab[i];
		if (e->pc && (e->flags & ABT_PF_NOTC)) {
			e->flags &= ~ABT_PF_NOTC;
			rt->stats.notc_retries++;
		}
	}
	rt->notc_sites = 0;
}

u32 abt_prof_count(const struct abt_rt *rt, u32 pc)
{
	struct abt_prof_entry *e, *empty, *victim;

	e = prof_find((struct abt_rt *)rt, pc, &empty, &victim);
	return e ? prof_aged(rt, e) : 0;
}

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
		e->flags |= ABT_PF_REFUSED;
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

	e = &rt->prof_tab[prof_hash(pc)];
	/* pc 0 marks empty entries: it must never look like a hit. */
	if (abt_unlikely(e->pc != pc || e->word != word || !pc)) {
		if (!pc)
			return exit_unprofiled(rt, word);
		e = prof_get_slow(rt, pc, word);
		if (!e)
			return exit_unprofiled(rt, word);
	}
	prof_age(rt, e);
	rt->stats.exits_rule[e->rule]++;
	if (++e->count < rt->prof->threshold || e->flags)
		return ABT_EXIT_EMULATE;
	return exit_hot(rt, e);
}
