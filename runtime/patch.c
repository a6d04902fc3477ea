// SPDX-License-Identifier: GPL-2.0
/*
 * abt patcher: the rewriting of guest code.
 *
 * A site is rewritten either in place (one replacement word) or as `b stub`
 * to a stub in the TC. Every guest-visible change is a single aligned word
 * store, and the site word is written last, after the stub it branches to
 * is complete and flushed: another vCPU sees either the old instruction or
 * the finished translation. Any failure leaves guest memory as it was.
 */
#include "internal.h"

static int patch_inplace(struct abt_rt *rt, struct abt_site *s,
			 const struct abt_fields *f)
{
	struct abt_emit_env env = {
		.magic_ea = rt->prof->magic_ea,
		.pc = s->pc,
		.layout = rt->prof->layout,
	};
	int rc;

	rc = abt_emit_body(s->rule, &env, f, &s->patched, 1);
	if (rc != 1)
		return rc < 0 ? rc : -ABT_EINVAL;
	/* Trace first: a guest store must not slip in after the patch. */
	rc = abt_trace_site(rt, s);
	if (rc)
		return rc;
	rc = abt_write32(rt, s->pc, s->patched);
	if (rc) {
		abt_untrace_site(rt, s);
		return rc;
	}
	rt->ops->flush_icache(rt->port, s->pc, 4);
	return 0;
}

/* Cluster members after the first: consecutive translatable words. */
static int gather(struct abt_rt *rt, u32 pc, struct abt_members *x)
{
	u32 max = rt->prof->cluster_max, a, w;
	int n = 1;

	if (abt_rules[x->rules[0]].shape != ABT_SHAPE_CLUSTER)
		return 1;
	if (max > ABT_MAX_MEMBERS)
		max = ABT_MAX_MEMBERS;
	for (; (u32)n < max; n++) {
		a = pc + 4 * n;
		/* One page, so the site page's tracing covers all members. */
		if ((a ^ pc) & ABT_PAGE_MASK)
			break;
		if (abt_site_get(rt, a) || abt_tc_range(rt, a) ||
		    abt_mirror_hit(rt, a, 4) || abt_read32(rt, a, &w))
			break;
		x->rules[n] = abt_decode(w, &x->f[n]);
		x->orig[n] = w;
		if (!abt_translatable(rt, x->rules[n]) ||
		    abt_stub_words(x->rules, n + 1) > ABT_MAX_STUB_WORDS)
			break;
	}
	return n;
}

/* Write the stub, keeping the bytes it covers for an undo. */
static int stub_write(struct abt_rt *rt, const struct abt_stub *st, u8 *save)
{
	u32 len = 4 * st->nwords, i;
	u8 buf[4];

	if (rt->ops->read(rt->port, st->ea, save, len))
		return -ABT_EIO;
	for (i = 0; i < (u32)st->nwords; i++) {
		abt_put_be32(buf, st->words[i]);
		if (rt->ops->write(rt->port, st->ea + 4 * i, buf, 4)) {
			rt->ops->write(rt->port, st->ea, save, 4 * i);
			return -ABT_EIO;
		}
	}
	rt->ops->flush_icache(rt->port, st->ea, len);
	return 0;
}

/*
 * Put the stub-backed site s in place: trace its pages, write its stub st,
 * then the site word (s->patched, the branch), each flushed. On failure
 * nothing of it is left (the TC bytes under the stub are put back).
 */
int abt_install_stub(struct abt_rt *rt, const struct abt_site *s,
		     const struct abt_stub *st)
{
	u8 *undo = rt->scratch.undo;
	u32 len = 4 * st->nwords;
	int rc;

	rc = abt_trace_site(rt, s);
	if (rc)
		return rc;
	rc = stub_write(rt, st, undo);
	if (rc)
		goto err_trace;
	/* Only now: the stub must be complete before the branch appears. */
	rc = abt_write32(rt, s->pc, s->patched);
	if (rc) {
		rt->ops->write(rt->port, st->ea, undo, len);
		rt->ops->flush_icache(rt->port, st->ea, len);
		goto err_trace;
	}
	rt->ops->flush_icache(rt->port, s->pc, 4);
	return 0;

err_trace:
	abt_untrace_site(rt, s);
	return rc;
}

static int patch_stub(struct abt_rt *rt, struct abt_site *s)
{
	struct abt_members *x = &rt->scratch.translate;
	struct abt_stub *st = &x->st;
	int n, words, rc;

	n = gather(rt, s->pc, x);
	words = abt_stub_words(x->rules, n);
	if (words < 0)
		return words;
	if (words > ABT_MAX_STUB_WORDS)
		return -ABT_ENOSPC;
	rc = abt_tc_alloc_steal(rt, s->pc, s->pc + 4 * (n - 1), 4 * words,
				s - rt->sites + 1, &st->ea);
	if (rc)
		return rc;
	rc = abt_stub_compose(rt->prof, s->pc, x->rules, x->f, x->orig, n,
			      st);
	if (rc < 0)
		goto err_tc;
	s->stub = st->ea;
	s->stub_words = st->nwords;
	s->nmembers = n;
	s->patched = abt_enc_b((s32)(st->ea - s->pc));
	rc = abt_install_stub(rt, s, st);
	if (rc)
		goto err_tc;
	return 0;

err_tc:
	abt_tc_free(rt, st->ea, 4 * words);
	return rc;
}

/*
 * Translate the rule site at pc: decode, gather a cluster, install the
 * patch. 0 or a negative error, with guest memory and the TC as before.
 * Counts the translation; what the profile makes of the result is the
 * caller's (abt_translate).
 */
int abt_patch(struct abt_rt *rt, u32 pc)
{
	struct abt_members *x = &rt->scratch.translate;
	struct abt_site *s;
	u32 w;
	int rc;

	if (!pc || (pc & 3) || abt_tc_range(rt, pc))
		return -ABT_EINVAL;
	if (abt_site_get(rt, pc) || abt_mirror_hit(rt, pc, 4))
		return -ABT_EBUSY;
	rc = abt_read32(rt, pc, &w);
	if (rc)
		return rc;
	x->rules[0] = abt_decode(w, &x->f[0]);
	x->orig[0] = w;
	if (!abt_translatable(rt, x->rules[0]))
		return -ABT_EINVAL;
	s = abt_site_alloc(rt, pc);
	if (!s)
		return -ABT_EFULL;
	s->orig = w;
	s->rule = x->rules[0];
	s->shape = abt_rules[s->rule].shape;
	if (s->shape == ABT_SHAPE_INPLACE)
		rc = patch_inplace(rt, s, &x->f[0]);
	else
		rc = patch_stub(rt, s);
	if (rc) {
		abt_site_release(rt, s);
		return rc;
	}
	rt->stats.translations[s->shape]++;
	return 0;
}

/*
 * Undo the patch of s (rule site or mirror site): its original word goes
 * back if the patched word is still there, its stub's TC space is freed,
 * its pages untraced. The entry stays for the caller, who releases it. If
 * the word cannot be read or written, the patch may still be live: the
 * site and its stub stay as they are (error).
 */
int abt_unpatch(struct abt_rt *rt, struct abt_site *s)
{
	u32 cur;
	int rc;

	/* Only undo our own word: anything else there is newer. */
	rc = abt_read32(rt, s->pc, &cur);
	if (rc)
		return rc;
	if (cur == s->patched) {
		rc = abt_write32(rt, s->pc, s->orig);
		if (rc)
			return rc;
		rt->ops->flush_icache(rt->port, s->pc, 4);
	}
	if (s->stub)
		abt_tc_free(rt, s->stub, 4 * s->stub_words);
	abt_untrace_site(rt, s);
	return 0;
}
