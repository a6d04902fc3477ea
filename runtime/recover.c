// SPDX-License-Identifier: GPL-2.0
/*
 * abt recovery: mapping a guest PC out of a stub.
 *
 * A stub must never be visible to the guest: before the port delivers an
 * interrupt (or otherwise exposes the PC) taken inside a stub, the PC is
 * moved back to the guest code and the temps / CR the stub borrowed are
 * restored from their magic page scratch slots. What to do at each stub
 * word is not stored: the stub is recomposed from its original words, which
 * is deterministic, and its per-word struct abt_recovery is consulted.
 */
#include "internal.h"

static int read_slot(struct abt_rt *rt, int slot, u32 *v)
{
	return abt_read32(rt, rt->prof->magic_ea + rt->prof->layout->off[slot],
			  v);
}

/* Recompose the stub of s into rt->scratch.recover; 0 if it matches the
 * site. */
static int recompose(struct abt_rt *rt, const struct abt_site *s)
{
	struct abt_members *x = &rt->scratch.recover;
	int k, rc;

	if (s->mirror) {
		rc = abt_mirror_compose(rt, s, &x->st);
		if (rc < 0)
			return rc;
		return rc == s->stub_words ? 0 : -ABT_EINVAL;
	}
	for (k = 0; k < s->nmembers; k++) {
		if (!k)
			x->orig[0] = s->orig;
		else if (abt_view_read(rt, s->pc + 4 * k, &x->orig[k], 4))
			return -ABT_EIO;
		else
			x->orig[k] = abt_be32((const u8 *)&x->orig[k]);
		x->rules[k] = abt_decode(x->orig[k], &x->f[k]);
	}
	x->st.ea = s->stub;
	rc = abt_stub_compose(rt->prof, s->pc, x->rules, x->f, x->orig,
			      s->nmembers, &x->st);
	if (rc < 0)
		return rc;
	return rc == s->stub_words ? 0 : -ABT_EINVAL;
}

static void restore(struct abt_rt *rt, const struct abt_stub *st, u8 mask,
		    u32 gpr[32], u32 *cr)
{
	u32 v;

	if ((mask & ABT_RESTORE_T0) && !read_slot(rt, ABT_SLOT_SCRATCH1, &v))
		gpr[st->t[0]] = v;
	if ((mask & ABT_RESTORE_T1) && !read_slot(rt, ABT_SLOT_SCRATCH2, &v))
		gpr[st->t[1]] = v;
	if ((mask & ABT_RESTORE_CR) && !read_slot(rt, ABT_SLOT_SCRATCH3, &v))
		*cr = v;
}

u32 abt_recover_pc(struct abt_rt *rt, u32 pc, u32 gpr[32], u32 *cr)
{
	const struct abt_recovery *rec;
	const struct abt_site *s;
	u32 i;

	if (!(pc - rt->tc_lo < rt->tc_span))
		return pc;
	s = abt_tc_owner(rt, pc);
	if (!s || recompose(rt, s))
		return pc;
	i = (pc - s->stub) >> 2;
	rec = &rt->scratch.recover.st.rec[i];
	restore(rt, &rt->scratch.recover.st, rec->restore, gpr, cr);
	rt->stats.recoveries++;
	return s->pc + 4 * rec->member + (rec->committed ? 4 : 0);
}
