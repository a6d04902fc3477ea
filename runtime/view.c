// SPDX-License-Identifier: GPL-2.0
/*
 * abt guest view: the bytes the guest must see when it reads its memory as
 * data. Patched words read as the originals they replaced, and the ranges
 * of mirrors (mirror.c) read as their mirrors, which hold the guest's
 * current data.
 */
#include "internal.h"

/* Put the original bytes of the site's patched word into buf. */
static void overlay(const struct abt_site *s, u32 ea, u8 *buf, u32 len)
{
	u8 b[4];
	u32 i, off;

	abt_put_be32(b, s->orig);
	for (i = 0; i < 4; i++) {
		off = s->pc + i - ea;
		if (off < len)
			buf[off] = b[i];
	}
}

int abt_view_read(struct abt_rt *rt, u32 ea, void *buf, u32 len)
{
	const struct abt_site *s;
	u32 a, i, n;

	if (rt->ops->read(rt->port, ea, buf, len))
		return -ABT_EIO;
	if (rt->nmirrors && abt_mirror_overlay(rt, ea, buf, len))
		return -ABT_EIO;
	if (!rt->nsites || !len)
		return 0;
	n = abt_range_words(ea, len, 0);
	if (n <= ABT_SMALL_RANGE_WORDS) {
		for (i = 0, a = ea & ~3u; i < n; i++, a += 4) {
			s = abt_site_get(rt, a);
			if (s)
				overlay(s, ea, buf, len);
		}
		return 0;
	}
	abt_for_each_site(rt, s)
		if (abt_overlap(s->pc, 4, ea, len))
			overlay(s, ea, buf, len);
	return 0;
}

int abt_trace_read(struct abt_rt *rt, u32 ea, void *buf, u32 len)
{
	rt->stats.trace_reads++;
	return abt_view_read(rt, ea, buf, len);
}
