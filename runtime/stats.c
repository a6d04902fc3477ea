// SPDX-License-Identifier: GPL-2.0
/*
 * abt counters by number: the names, meanings and values of the ABT_STATS
 * list (abt.h), so that a port prints them in a loop and a counter added
 * to the list reaches every printer.
 */
#include "internal.h"

#define STAT_NAME(name, ...)		#name,
static const char *const stat_names[ABT_NSTATS] = {
	ABT_STATS(STAT_NAME, STAT_NAME)
};

#define STAT_MEANING_C(name, meaning)		meaning,
#define STAT_MEANING_E(name, element, meaning)	meaning,
static const char *const stat_meanings[ABT_NSTATS] = {
	ABT_STATS(STAT_MEANING_C, STAT_MEANING_E)
};

const struct abt_stats *abt_stats_get(const struct abt_rt *rt)
{
	return &rt->stats;
}

const char *abt_stat_name(unsigned int i)
{
	return i < ABT_NSTATS ? stat_names[i] : NULL;
}

const char *abt_stat_meaning(unsigned int i)
{
	return i < ABT_NSTATS ? stat_meanings[i] : NULL;
}

#define STAT_CASE_C(name, meaning) \
	case ABT_STAT_##name: \
		return st->name;
#define STAT_CASE_E(name, element, meaning) \
	case ABT_STAT_##name: \
		return st->element;

u64 abt_stat_value(const struct abt_stats *st, unsigned int i)
{
	switch (i) {
	ABT_STATS(STAT_CASE_C, STAT_CASE_E)
	}
	return 0;
}
