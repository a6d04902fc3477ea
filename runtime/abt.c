// SPDX-License-Identifier: GPL-2.0
/*
 * abt entry points that span mechanisms: what the port asks for that
 * touches several of them, and news for the exit profiler that the lower
 * layers must not give themselves (see docs/runtime.md "Layers").
 */
#include "internal.h"

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

int abt_guest_map(struct abt_rt *rt, u32 ea, u32 size, u32 pa, u32 flags)
{
	int rc;

	if (size <= ABT_PAGE_SIZE)
		return 0;
	rc = abt_map_add(rt, ea, size, pa, flags,
			 abt_pages_traced_in(rt, ea, size));
	if (rc)
		return rc;
	/* a hint under it may have become stealable */
	if (!(flags & ABT_MAP_WRITABLE))
		abt_prof_retry_notc(rt);
	return 0;
}

int abt_steal_hint(struct abt_rt *rt, u32 base, u32 size)
{
	int rc = abt_hint_add(rt, base, size);

	if (!rc)
		abt_prof_retry_notc(rt);
	return rc;
}

int abt_tc_steal(struct abt_rt *rt, u32 base, u32 size)
{
	return abt_steal_range(rt, base, size);
}
