/* SPDX-License-Identifier: GPL-2.0 */
/* Seeded, reproducible random numbers for the test suites (xorshift64*).
 * ABT_TEST_SEED in the environment picks another sequence. */
#ifndef ABT_TEST_RNG_H
#define ABT_TEST_RNG_H

#include <stdint.h>
#include <stdlib.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static inline uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static inline void seed_rng(uint32_t salt)
{
	const char *s = getenv("ABT_TEST_SEED");
	uint64_t seed = s ? strtoull(s, NULL, 0) : 20240601;

	rng_state = (seed + 1) * 0x9e3779b97f4a7c15ull ^ salt;
	if (!rng_state)
		rng_state = 1;
}

#endif
