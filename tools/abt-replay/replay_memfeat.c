// SPDX-License-Identifier: GPL-2.0
/*
 * The runtime's memory-feature API (abt_dsi, abt_set_features, ...) as the
 * replay uses it. Built with -DREPLAY_HAVE_MEMFEAT when libabt.a defines
 * abt_dsi (abt-replay.mk checks with nm); otherwise stand-ins, so the
 * replay still runs stock, pv and abt, and reports the feature policies
 * as equal to abt.
 */
#include "replay.h"

#ifdef REPLAY_HAVE_MEMFEAT
const bool replay_have_memfeat = true;

u32 replay_set_features(struct abt_rt *rt, u32 want)
{
	return abt_set_features(rt, want);
}

int replay_mirror_add_region(struct abt_rt *rt, u32 base, u32 size)
{
	return abt_mirror_add_region(rt, base, size);
}

int replay_dsi(struct abt_rt *rt, u32 pc, u32 ea, u32 len, bool write,
	       void *buf)
{
	return abt_dsi(rt, pc, ea, len, write, buf);
}

bool replay_access_mirrored(const struct abt_rt *rt, u32 pc, u32 ea,
			    u32 len)
{
	return abt_access_class(rt, pc, ea, len) == ABT_ACC_MIRRORED;
}

int replay_guest_map(struct abt_rt *rt, u32 ea, u32 size, u32 pa,
		     bool writable)
{
	return abt_guest_map(rt, ea, size, pa,
			     writable ? ABT_MAP_WRITABLE : 0);
}

void replay_guest_unmap(struct abt_rt *rt, u32 ea, u32 size)
{
	abt_guest_unmap(rt, ea, size);
}

void replay_tlb_miss(struct abt_rt *rt, u32 ea, u32 n)
{
	abt_tlb_miss(rt, ea, n);
}
#else
const bool replay_have_memfeat = false;

u32 replay_set_features(struct abt_rt *rt, u32 want)
{
	return 0;
}

int replay_mirror_add_region(struct abt_rt *rt, u32 base, u32 size)
{
	return -ABT_EINVAL;
}

int replay_dsi(struct abt_rt *rt, u32 pc, u32 ea, u32 len, bool write,
	       void *buf)
{
	return -ABT_EINVAL;
}

bool replay_access_mirrored(const struct abt_rt *rt, u32 pc, u32 ea,
			    u32 len)
{
	return false;
}

int replay_guest_map(struct abt_rt *rt, u32 ea, u32 size, u32 pa,
		     bool writable)
{
	return 0;
}

void replay_guest_unmap(struct abt_rt *rt, u32 ea, u32 size)
{
}

void replay_tlb_miss(struct abt_rt *rt, u32 ea, u32 n)
{
}
#endif
