// SPDX-License-Identifier: GPL-2.0
/*
 * bench_exit: the runtime's exit path, abt_exit() on a warmed profiler,
 * for instruction counting under callgrind.
 *
 * 256 guest sites (kernel-text PCs, a mix of privileged words) are each
 * seen once to warm the profiler; then abt_exit runs N more times over
 * them in a fixed scattered order. The profile is Linux's with the
 * threshold out of reach, so every call takes the common path: a known
 * site counting toward translation. Run it with N and N + M exits and
 * divide the difference of instructions by M: setup cancels out.
 *
 * usage: bench_exit N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abt.h"

#define NSITES 256

static struct abt_rt rt;	/* large: keep it off the stack */

static int p_read(void *port, u32 ea, void *buf, u32 len)
{
	memset(buf, 0, len);
	return 0;
}

static int p_write(void *port, u32 ea, const void *buf, u32 len)
{
	return -1;	/* nothing is translated here */
}

static void p_flush(void *port, u32 ea, u32 len)
{
}

static int p_perm(void *port, u32 ea, u32 perm)
{
	return 0;
}

static const struct abt_port_ops ops = { p_read, p_write, p_flush, p_perm };

int main(int argc, char **argv)
{
	static const u32 kinds[] = {
		0x7c6000a6u,	/* mfmsr r3 */
		0x7c800124u,	/* mtmsr r4 */
		0x7c000146u,	/* wrteei 0 */
		0x7c008146u,	/* wrteei 1 */
		0x7c7042a6u,	/* mfsprg0 r3 */
		0x7c9a03a6u,	/* mtsrr0 r4 */
		0x7c700aa6u,	/* mfpid r3 */
		0x4c000064u,	/* rfi */
		0x7c0007a4u,	/* tlbwe */
		0x7c032724u,	/* tlbsx r3,r4 */
	};
	static u32 pc[NSITES], word[NSITES];
	static struct abt_profile prof;
	const struct abt_profile *linux_prof = abt_profile_find("linux");
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000000;
	unsigned long k;
	u32 i, sink = 0;
	const struct abt_stats *st;

	if (!linux_prof) {
		fprintf(stderr, "bench_exit: no linux profile in gen/\n");
		return 1;
	}
	prof = *linux_prof;
	prof.threshold = ~0u;
	prof.ntc = 1;
	prof.tc[0].base = 0xc0700000u;
	prof.tc[0].size = 0x10000u;
	if (abt_init(&rt, &prof, &ops, NULL)) {
		fprintf(stderr, "bench_exit: abt_init failed\n");
		return 1;
	}
	for (i = 0; i < NSITES; i++) {
		pc[i] = 0xc0001000u + 4 * (i * 97 % 4096);
		word[i] = kinds[i % (sizeof(kinds) / sizeof(kinds[0]))];
		sink += abt_exit(&rt, pc[i], word[i]);	/* warm */
	}
	/* the measured loop: a scattered walk over the sites */
	for (k = 0, i = 0; k < n; k++, i = (i + 167) & (NSITES - 1))
		sink += abt_exit(&rt, pc[i], word[i]);
	st = abt_stats_get(&rt);
	if (st->exits != n + NSITES || st->translations[0] +
	    st->translations[1] + st->translations[2] + st->translations[3]) {
		fprintf(stderr, "bench_exit: unexpected runtime stats\n");
		return 1;
	}
	return sink == 0xdeadbeef;
}
