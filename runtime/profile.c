// SPDX-License-Identifier: GPL-2.0
/*
 * abt exit profile: an open-addressed table keyed by guest PC, one entry
 * per PC that trapped, holding the instruction word, its decoded rule, a
 * decayed count and what became of the site (ABT_PF_*). abt_exit() (abt.c)
 * counts in it and decides; this file keeps the table: lookup, claim and
 * eviction, the outcome of a translation, and the entries that wait for
 * TC space. Decay is lazy: an entry's count is shifted right by the
 * epochs it missed when it is next touched (abt_prof_age).
 */
#include "internal.h"

ABT_STATIC_ASSERT(prof_slots, ABT_PROF_SLOTS == 1 << ABT_PROF_BITS);
ABT_STATIC_ASSERT(prof_probe, ABT_PROF_PROBE <= ABT_PROF_SLOTS);

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
 * Find pc in its probe window. Entries are never emptied once used (an
 * eviction reuses the slot), so the first empty slot ends the search.
 */
static struct abt_prof_entry *prof_find(struct abt_rt *rt, u32 pc,
					struct abt_prof_entry **empty,
					struct abt_prof_entry **victim)
{
	struct abt_prof_entry *e;
	u32 h = abt_prof_hash(pc), i, c, best = ~0u;

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
		c = abt_prof_aged(rt, e);
		if (c < best) {
			best = c;
			*victim = e;
		}
	}
	return NULL;
}

/*
 * Entry for pc, claimed or evicted for it if new; NULL if none is free.
 * Off abt_exit()'s common path (a known PC with its word), so out of line.
 */
struct abt_prof_entry *abt_prof_get(struct abt_rt *rt, u32 pc, u32 word)
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
	return e ? abt_prof_aged(rt, e) : 0;
}

/*
 * What became of the translation of e's site (rc of abt_patch): patched,
 * waiting for TC space (-ABT_ENOTC: retried once some may have appeared),
 * or refused for good. -ABT_EBUSY (the word is taken) marks nothing.
 */
void abt_prof_note(struct abt_rt *rt, struct abt_prof_entry *e, int rc)
{
	if (!e)
		return;
	if (!rc) {
		e->flags |= ABT_PF_TRANSLATED;
	} else if (rc == -ABT_ENOTC) {
		e->flags |= ABT_PF_NOTC;
		rt->notc_sites++;
	} else if (rc != -ABT_EBUSY) {
		e->flags |= ABT_PF_REFUSED;
	}
}

/* The patch at pc is gone: count afresh, the code may have changed. */
void abt_prof_forget(struct abt_rt *rt, u32 pc)
{
	struct abt_prof_entry *e = abt_prof_lookup(rt, pc);

	if (e) {
		e->flags = 0;
		e->count = 0;
	}
}

/* TC regions were added since tc_gen (rt->tc_gen then): news for the
 * entries waiting for TC space. */
void abt_prof_tc_news(struct abt_rt *rt, u32 tc_gen)
{
	if (rt->tc_gen != tc_gen)
		abt_prof_retry_notc(rt);
}
