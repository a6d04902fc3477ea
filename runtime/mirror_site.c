// SPDX-License-Identifier: GPL-2.0
/*
 * abt data mirroring: the policy and its sites. abt_dsi() (dsi.c) counts
 * the DSIs on traced pages per accessing PC (struct abt_hot); a PC that
 * takes rt->mirror_threshold of them on a small range gets its data
 * mirrored (mirror.c) and its access rewritten as `b stub` to a stub (the generated template
 * `mirror`) that reaches the mirror, so it stops trapping. See docs/runtime.md
 * "Adaptive data mirroring".
 */
#include "internal.h"

/*
 * A guest access mirroring can rewrite: a form of the generated access
 * decoder (the `access` patterns of rules/booke.rule) without update.
 */
bool abt_ls_decode(u32 w, struct abt_access_insn *a)
{
	return abt_access_decode(w, a) != ABT_ACCESS_NONE &&
	       !(a->flags & ABT_ACCESS_UPDATE);
}

/*
 * The stub is the generated template `mirror` (rules/booke.rule):
 * save t0, t1, CR; t0 = the access's EA; if it lies in the mirrored range
 * move it by the mirror's delta; restore CR; the access at t0 (the
 * commit); restore t1, t0; branch back. The template's tables say, word
 * by word, what an interrupt there must restore and whether the access
 * has run (restart at the site, or resume after it).
 */
int abt_mirror_compose(struct abt_rt *rt, const struct abt_site *s,
		       struct abt_stub *st)
{
	struct abt_tmpl_mirror_args x;
	const struct abt_mirror *m;
	struct abt_access_insn a;
	struct abt_emit_env env;
	u32 used, r, n, i;
	int rc;

	if (!s->mirror || s->mirror > ABT_MAX_MIRRORS)
		return -ABT_EINVAL;
	m = &rt->mirrors[s->mirror - 1];
	if (!m->ea || !abt_ls_decode(s->orig, &a) || a.len > m->size)
		return -ABT_EINVAL;
	/* Temps as in stub.c: volatile, not r0-r2, named by no operand. */
	used = 7u | abt_access_gprs(&a);
	for (r = 12, n = 0; r > 2 && n < 2; r--)
		if (!(used & 1u << r))
			env.t[n++] = r;
	if (n < 2)
		return -ABT_ERANGE;
	env.magic_ea = rt->prof->magic_ea;
	env.layout = rt->prof->layout;
	env.pc = s->stub;
	env.exit_ea = 0;
	x.lo = m->ea;
	x.size = m->size;
	x.delta = m->mirror_ea - m->ea;
	x.ret = s->pc + 4;
	rc = abt_tmpl_mirror(&env, &a, &x, st->words, ABT_MAX_STUB_WORDS);
	if (rc < 0)
		return rc;
	for (i = 0; i < (u32)rc; i++) {
		st->rec[i].member = 0;
		st->rec[i].committed = abt_tmpl_mirror_info.committed[i];
		st->rec[i].restore = abt_tmpl_mirror_info.restore[i];
		st->rec[i].pad = 0;
	}
	st->ea = s->stub;
	st->t[0] = env.t[0];
	st->t[1] = env.t[1];
	st->nwords = rc;
	st->nmembers = 1;
	return rc;
}

/* Rewrite the access at pc (word w) to reach mirror m through a stub. */
static int mirror_site(struct abt_rt *rt, u32 pc, u32 w, struct abt_mirror *m)
{
	struct abt_stub *st = &rt->scratch.mirror;
	struct abt_site *s = abt_site_alloc(rt, pc);
	int rc;

	if (!s)
		return -ABT_EFULL;
	s->orig = w;
	s->rule = ABT_RULE_NONE;
	s->shape = ABT_SHAPE_BRANCH;
	s->mirror = m - rt->mirrors + 1;
	rc = abt_tc_alloc_steal(rt, pc, pc, 4 * ABT_TMPL_mirror_WORDS,
				s - rt->sites + 1, &s->stub);
	if (rc)
		goto err_site;
	s->stub_words = ABT_TMPL_mirror_WORDS;
	rc = abt_mirror_compose(rt, s, st);
	if (rc < 0)
		goto err_tc;
	s->patched = abt_enc_b((s32)(s->stub - pc));
	rc = abt_install_stub(rt, s, st);
	if (rc)
		goto err_tc;
	m->nsites++;
	rt->stats.mirror_sites++;
	return 0;

err_tc:
	abt_tc_free(rt, s->stub, 4 * ABT_TMPL_mirror_WORDS);
err_site:
	s->mirror = 0;
	abt_site_release(rt, s);
	return rc;
}

/* The hot PC of e crossed the threshold: mirror its data, rewrite it. */
static int mirror_pc(struct abt_rt *rt, struct abt_hot *e)
{
	u32 lo = e->lo & ~(u32)(ABT_TC_GRANULE - 1);
	u32 hi = (e->hi + ABT_TC_GRANULE - 1) & ~(u32)(ABT_TC_GRANULE - 1);
	struct abt_mirror *m;
	struct abt_access_insn l;
	bool fresh = false;
	u32 w;
	int rc;

	if (hi - lo > ABT_PAGE_SIZE || ((lo ^ (hi - 1)) & ABT_PAGE_MASK) ||
	    abt_site_get(rt, e->pc) || abt_tc_range(rt, e->pc) ||
	    abt_mirror_hit(rt, e->pc, 4))
		return -ABT_EINVAL;
	if (abt_read32(rt, e->pc, &w) || !abt_ls_decode(w, &l))
		return -ABT_EINVAL;
	m = abt_mirror_over(rt, lo, hi - lo, 0);
	if (m && !abt_mirror_holds(m, lo, hi))
		return -ABT_EBUSY;	/* overlaps, not inside: give up */
	/* A stolen range is read-only: its loads may use its mirror (the
	 * guest's bytes), a store must trap and give the range back. */
	if (m && m->kind == ABT_MIRROR_STOLEN &&
	    (l.flags & ABT_ACCESS_STORE))
		return -ABT_EBUSY;
	if (!m) {
		/* Code is never mirrored: stores to it must trap (SMC). */
		if (abt_code_in_range(rt, lo, hi - lo))
			return -ABT_EBUSY;
		m = abt_mirror_new(rt, lo, hi - lo, ABT_MIRROR_DATA);
		if (!m)
			return -ABT_EFULL;
		fresh = true;
	}
	rc = mirror_site(rt, e->pc, w, m);
	if (rc) {
		if (fresh)
			abt_mirror_free(rt, m);
		return rc;
	}
	if (fresh)
		rt->stats.mirrors++;
	return 0;
}

ABT_STATIC_ASSERT(hot_slots, ABT_HOT_SLOTS == 256);

static struct abt_hot *hot_find(struct abt_rt *rt, u32 pc, bool claim)
{
	u32 h = abt_hash(pc >> 2, 8), i, best = ~0u;
	struct abt_hot *e, *victim = NULL;

	for (i = 0; i < 8; i++) {
		e = &rt->hot[(h + i) & (ABT_HOT_SLOTS - 1)];
		if (e->pc == pc)
			return e;
		if (!e->pc) {
			victim = e;
			break;
		}
		if (!(e->flags & ABT_HOT_DONE) && e->count < best) {
			best = e->count;
			victim = e;
		}
	}
	if (!claim || !victim)
		return NULL;
	victim->pc = pc;
	victim->lo = 0;
	victim->hi = 0;
	victim->count = 0;
	victim->flags = 0;
	return victim;
}

void abt_hot_forget(struct abt_rt *rt, u32 pc)
{
	struct abt_hot *e = hot_find(rt, pc, false);

	if (e) {
		e->count = 0;
		e->flags = 0;
		e->lo = 0;
		e->hi = 0;
	}
}

/* A DSI on a traced page from pc: count it; mirror when hot. True while
 * pc may still be mirrored (or just was). */
bool abt_hot_count(struct abt_rt *rt, u32 pc, u32 ea, u32 len)
{
	const struct abt_mirror *m;
	struct abt_hot *e;

	if (!(rt->features & ABT_FEAT_MIRROR) || !pc || len > 4 ||
	    abt_tc_range(rt, pc))
		return false;
	e = hot_find(rt, pc, true);
	if (!e || e->flags)
		return false;
	if (!e->count) {
		e->lo = ea;
		e->hi = ea + len;
	} else {
		if (ea < e->lo)
			e->lo = ea;
		if (ea + len > e->hi)
			e->hi = ea + len;
	}
	/* a PC that walks a range (a copy, a checksum) is no hot datum,
	 * unless an existing mirror (a stolen range) holds all of it */
	if (rt->mirror_span && e->hi - e->lo > rt->mirror_span) {
		m = abt_mirror_over(rt, e->lo, e->hi - e->lo, 0);
		if (!m || !abt_mirror_holds(m, e->lo, e->hi))
			goto refuse;
	}
	if (++e->count < rt->mirror_threshold)
		return true;
	if (mirror_pc(rt, e))
		goto refuse;
	e->flags |= ABT_HOT_DONE;
	return true;
refuse:
	e->flags |= ABT_HOT_REFUSED;
	rt->stats.mirror_refused++;
	return false;
}
