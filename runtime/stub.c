// SPDX-License-Identifier: GPL-2.0
/*
 * abt stub composer: wraps generated member bodies in the save/restore
 * frame of docs/contracts.md "Stub shape" and records, for every word, what
 * an interrupt taken there must undo (struct abt_recovery).
 *
 *   prologue   stw t0,scratch1(0)  [stw t1,scratch2(0)]
 *              [mfcr t0; stw t0,scratch3(0)]
 *   bodies     m0 .. mn-1
 *   epilogue   [lwz t0,scratch3(0); mtcrf 0xff,t0]  [lwz t1,scratch2(0)]
 *              lwz t0,scratch1(0)
 *              b s_last+4
 *   exit(mk)   epilogue; original word of mk; b sk+4
 */
#include "internal.h"

/* Word positions of a stub; independent of its EA and of the temps. */
struct stub_plan {
	u8 nt;				/* temps saved: 0..2 */
	u8 cr;				/* CR saved */
	u8 frame;			/* prologue words = epilogue words */
	u16 body_at[ABT_MAX_MEMBERS];
	u16 exit_at[ABT_MAX_MEMBERS];	/* 0: member has no exit path */
	u16 ret_at;			/* the `b s_last+4` */
	u16 total;
};

/* Composition state: the next word to write and what it must record. */
struct stub_ctx {
	struct abt_stub *st;
	int pos;
	s32 disp[3];			/* scratch1..3 d(0) displacements */
};

static int stub_plan(const enum abt_rule *rules, int n, struct stub_plan *p)
{
	const struct abt_rule_info *ri;
	int k, pos;

	if (n < 1 || n > ABT_MAX_MEMBERS)
		return -ABT_EINVAL;
	p->nt = 0;
	p->cr = 0;
	for (k = 0; k < n; k++) {
		if ((u32)rules[k] >= ABT_RULE_COUNT)
			return -ABT_EINVAL;
		ri = &abt_rules[rules[k]];
		if (ri->shape == ABT_SHAPE_TRAP || ri->ntemps > 2)
			return -ABT_EINVAL;
		if (ri->ntemps > p->nt)
			p->nt = ri->ntemps;
		p->cr |= !!ri->uses_cr;
	}
	/* Saving CR goes through t0. */
	if (p->cr && !p->nt)
		p->nt = 1;
	p->frame = p->nt + (p->cr ? 2 : 0);

	pos = p->frame;
	for (k = 0; k < n; k++) {
		p->body_at[k] = pos;
		pos += abt_rules[rules[k]].nwords;
	}
	pos += p->frame;		/* epilogue */
	p->ret_at = pos++;
	for (k = 0; k < n; k++) {
		p->exit_at[k] = 0;
		if (abt_rules[rules[k]].has_exit) {
			p->exit_at[k] = pos;
			pos += p->frame + 2;
		}
	}
	p->total = pos;
	return 0;
}

int abt_stub_words(const enum abt_rule *rules, int n)
{
	struct stub_plan p;
	int rc = stub_plan(rules, n, &p);

	return rc ? rc : p.total;
}

/* d(0) displacement of a magic page slot: the EA must sign-extend from 16. */
int abt_magic_disp(const struct abt_profile *prof, int slot, s32 *d)
{
	u32 ea = prof->magic_ea + prof->layout->off[slot];

	*d = (s16)ea;
	return (u32)*d == ea ? 0 : -ABT_ERANGE;
}

/*
 * Highest volatile GPRs (r12 down to r3) no member names. Not r0 (reads as
 * 0 in RA), r1, r2 or r13, and not the nonvolatiles r14-r31: KVM on booke
 * keeps only r0-r14 in the vcpu on every exit, so an interrupt that maps
 * a PC out of a stub could not restore a nonvolatile temp.
 */
static int stub_temps(const enum abt_rule *rules,
		      const struct abt_fields *f, int n, int nt, u8 t[2])
{
	u32 used = 7;
	int k, r, i = 0;

	for (k = 0; k < n; k++)
		used |= abt_operand_gprs(rules[k], &f[k]);
	t[0] = 0;
	t[1] = 0;
	for (r = 12; r > 2 && i < nt; r--)
		if (!(used & (1u << r)))
			t[i++] = r;
	return i == nt ? 0 : -ABT_ERANGE;
}

static void put(struct stub_ctx *c, u32 word, u8 member, u8 committed,
		u8 restore)
{
	struct abt_recovery *rec = &c->st->rec[c->pos];

	c->st->words[c->pos++] = word;
	rec->member = member;
	rec->committed = committed;
	rec->restore = restore;
	rec->pad = 0;
}

static u8 frame_mask(const struct stub_plan *p)
{
	return (p->nt >= 1 ? ABT_RESTORE_T0 : 0) |
	       (p->nt == 2 ? ABT_RESTORE_T1 : 0) |
	       (p->cr ? ABT_RESTORE_CR : 0);
}

/* Saves; a save only needs undoing once it has executed. */
static void put_prologue(struct stub_ctx *c, const struct stub_plan *p)
{
	u8 *t = c->st->t, m = 0;

	if (p->nt >= 1) {
		put(c, abt_enc_stw(t[0], 0, c->disp[0]), 0, 0, m);
		m |= ABT_RESTORE_T0;
	}
	if (p->nt == 2) {
		put(c, abt_enc_stw(t[1], 0, c->disp[1]), 0, 0, m);
		m |= ABT_RESTORE_T1;
	}
	if (p->cr) {
		/* mfcr leaves CR intact: nothing to undo for it yet. */
		put(c, abt_enc_mfcr(t[0]), 0, 0, m);
		put(c, abt_enc_stw(t[0], 0, c->disp[2]), 0, 0, m);
	}
}

/* Restores in reverse; each stops needing undo once it has executed. */
static void put_epilogue(struct stub_ctx *c, const struct stub_plan *p,
			 u8 member, u8 committed)
{
	u8 *t = c->st->t, m = frame_mask(p);

	if (p->cr) {
		put(c, abt_enc_lwz(t[0], 0, c->disp[2]), member, committed, m);
		put(c, abt_enc_mtcrf(0xff, t[0]), member, committed, m);
		m &= ~ABT_RESTORE_CR;
	}
	if (p->nt == 2) {
		put(c, abt_enc_lwz(t[1], 0, c->disp[1]), member, committed, m);
		m &= ~ABT_RESTORE_T1;
	}
	if (p->nt >= 1)
		put(c, abt_enc_lwz(t[0], 0, c->disp[0]), member, committed, m);
}

static int put_branch(struct stub_ctx *c, u32 to, u8 member)
{
	u32 from = c->st->ea + 4 * c->pos;

	if (!abt_reach(from, to))
		return -ABT_ERANGE;
	put(c, abt_enc_b((s32)(to - from)), member, 1, 0);
	return 0;
}

static int put_body(struct stub_ctx *c, const struct stub_plan *p,
		    const struct abt_profile *prof, enum abt_rule r,
		    const struct abt_fields *f, int k)
{
	const struct abt_rule_info *ri = &abt_rules[r];
	struct abt_emit_env env;
	int j, rc;
	u8 m = frame_mask(p);

	env.magic_ea = prof->magic_ea;
	env.pc = c->st->ea + 4 * c->pos;
	env.exit_ea = p->exit_at[k] ? c->st->ea + 4 * p->exit_at[k] : 0;
	env.t[0] = c->st->t[0];
	env.t[1] = c->st->t[1];
	env.layout = prof->layout;
	rc = abt_emit_body(r, &env, f, &c->st->words[c->pos],
			   ABT_MAX_STUB_WORDS - c->pos);
	if (rc < 0)
		return rc;
	if (rc != ri->nwords)
		return -ABT_EINVAL;
	for (j = 0; j < rc; j++) {
		/* The emitter filled words[]; put() rewrites them with recs. */
		put(c, c->st->words[c->pos], k,
		    ri->committed ? ri->committed[j] : 0, m);
	}
	return 0;
}

static int stub_disps(const struct abt_profile *prof, const struct stub_plan *p,
		      s32 d[3])
{
	int rc = 0;

	d[0] = d[1] = d[2] = 0;
	if (p->nt >= 1)
		rc = abt_magic_disp(prof, ABT_SLOT_SCRATCH1, &d[0]);
	if (!rc && p->nt == 2)
		rc = abt_magic_disp(prof, ABT_SLOT_SCRATCH2, &d[1]);
	if (!rc && p->cr)
		rc = abt_magic_disp(prof, ABT_SLOT_SCRATCH3, &d[2]);
	return rc;
}

/*
 * An exit path runs from the state inside the body, all saves done. Where
 * the body branched relative to its commit is not known here, so the path
 * resumes at s_k (the original word redoes the instruction) until that word
 * has executed, and at s_k + 4 for the final branch.
 */
static int put_exit(struct stub_ctx *c, const struct stub_plan *p,
		    u32 site, u32 orig, int k)
{
	if (c->pos != p->exit_at[k])
		return -ABT_EINVAL;	/* plan and composition disagree */
	put_epilogue(c, p, k, 0);
	put(c, orig, k, 0, 0);
	return put_branch(c, site + 4, k);
}

int abt_stub_compose(const struct abt_profile *prof, u32 site_pc,
		     const enum abt_rule *rules, const struct abt_fields *f,
		     const u32 *orig, int n, struct abt_stub *st)
{
	struct stub_plan p;
	struct stub_ctx c;
	int k, rc;

	rc = stub_plan(rules, n, &p);
	if (rc)
		return rc;
	if (p.total > ABT_MAX_STUB_WORDS)
		return -ABT_ENOSPC;
	rc = stub_temps(rules, f, n, p.nt, st->t);
	if (rc)
		return rc;
	c.st = st;
	c.pos = 0;
	rc = stub_disps(prof, &p, c.disp);
	if (rc)
		return rc;

	put_prologue(&c, &p);
	for (k = 0; k < n && !rc; k++)
		rc = put_body(&c, &p, prof, rules[k], &f[k], k);
	if (rc)
		return rc;
	put_epilogue(&c, &p, n - 1, 1);
	if (c.pos != p.ret_at)
		return -ABT_EINVAL;	/* a body overran its nwords */
	rc = put_branch(&c, site_pc + 4 * n, n - 1);
	for (k = 0; k < n && !rc; k++)
		if (p.exit_at[k])
			rc = put_exit(&c, &p, site_pc + 4 * k, orig[k], k);
	if (rc)
		return rc;
	st->nwords = c.pos;
	st->nmembers = n;
	return c.pos;
}
