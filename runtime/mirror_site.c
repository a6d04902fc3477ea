// SPDX-License-Identifier: GPL-2.0
/*
 * abt data mirroring: the policy and its sites. abt_dsi() (dsi.c) counts
 * the DSIs on traced pages per accessing PC (struct abt_hot); a PC that
 * takes rt->mirror_threshold of them on a small range gets its data
 * mirrored (mirror.c) and its access rewritten as `b stub` to an 18-word
 * stub that reaches the mirror, so it stops trapping. See docs/runtime.md
 * "Adaptive data mirroring".
 */
#include "internal.h"

bool abt_ls_decode(u32 w, struct abt_ls_insn *l)
{
	u32 op = w >> 26, xo = (w >> 1) & 0x3ff;

	l->rt = (w >> 21) & 31;
	l->ra = (w >> 16) & 31;
	l->rb = (w >> 11) & 31;
	l->d = (s16)(w & 0xffff);
	l->xform = 0;
	l->store = op == 36 || op == 38 || op == 44 ||
		   (op == 31 && (xo == 151 || xo == 215 || xo == 407 ||
				 xo == 662 || xo == 918));
	l->brx = op == 31 && (xo == 534 || xo == 662 || xo == 790 ||
			      xo == 918);
	l->sext = op == 42 || (op == 31 && xo == 343);
	switch (op) {
	case 32: case 36:		/* lwz stw */
		l->size = 4;
		return true;
	case 34: case 38:		/* lbz stb */
		l->size = 1;
		return true;
	case 40: case 42: case 44:	/* lhz lha sth */
		l->size = 2;
		return true;
	case 31:
		break;
	default:
		return false;
	}
	l->xform = 1;
	if (w & 1)
		return false;
	switch (xo) {
	case 23: case 151: case 534: case 662:	/* lwzx stwx lwbrx stwbrx */
		l->size = 4;
		return true;
	case 87: case 215:			/* lbzx stbx */
		l->size = 1;
		return true;
	case 279: case 343: case 407: case 790: case 918:
		l->size = 2;			/* lhzx lhax sthx lhbrx sthbrx */
		return true;
	default:
		return false;
	}
}

/* The access word itself, addressing 0(t0) (D) or 0,t0 (X). */
static u32 ls_at_t0(u32 w, const struct abt_ls_insn *l, u32 t0)
{
	if (l->xform)
		return (w & ~(0x1fu << 16 | 0x1fu << 11)) | t0 << 11;
	return (w & ~(0x1fu << 16 | 0xffffu)) | t0 << 16;
}

/* Words of a mirror stub, and where its access (the commit) is. */
#define MSTUB_WORDS	18
#define MSTUB_ACCESS	14

static s32 lo16(u32 v)
{
	return (s16)(v & 0xffff);
}

static s32 ha16(u32 v)
{
	return (s16)((v + 0x8000) >> 16);
}

/*
 *  0  stw t0,scratch1(0)        9  bge 12
 *  1  stw t1,scratch2(0)       10  addis t0,t0,delta@ha
 *  2  mfcr t0                  11  addi t0,t0,delta@l
 *  3  stw t0,scratch3(0)       12  lwz t1,scratch3(0)
 *  4  t0 = EA (addi/li/add/mr) 13  mtcrf 0xff,t1
 *  5  lis t1,lo@ha             14  the access at 0(t0)    <- commit
 *  6  addi t1,t1,lo@l          15  lwz t1,scratch2(0)
 *  7  subf t1,t1,t0            16  lwz t0,scratch1(0)
 *  8  cmplwi t1,size-len+1     17  b site+4
 *
 * Before word 14 an interrupt restores what was saved and restarts at the
 * site; after it, restores the rest and resumes at site + 4.
 */
int abt_mirror_compose(struct abt_rt *rt, const struct abt_site *s,
		       struct abt_stub *st)
{
	static const u8 mask[MSTUB_WORDS] = {
		0, 1, 3, 3, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 3, 1, 0,
	};
	const struct abt_mirror *m;
	struct abt_ls_insn l;
	s32 d1, d2, d3;
	u32 used, t0 = 0, t1 = 0, r, delta, i;
	u32 *w = st->words;

	if (!s->mirror || s->mirror > ABT_MAX_MIRRORS)
		return -ABT_EINVAL;
	m = &rt->mirrors[s->mirror - 1];
	if (!m->ea || !abt_ls_decode(s->orig, &l) || l.size > m->size)
		return -ABT_EINVAL;
	if (m->size - l.size + 1 > 0xffff)
		return -ABT_ERANGE;	/* cmplwi takes 16 bits */
	if (abt_magic_disp(rt->prof, ABT_SLOT_SCRATCH1, &d1) ||
	    abt_magic_disp(rt->prof, ABT_SLOT_SCRATCH2, &d2) ||
	    abt_magic_disp(rt->prof, ABT_SLOT_SCRATCH3, &d3))
		return -ABT_ERANGE;
	/* Temps as in stub.c: volatile, not r0-r2, named by no operand. */
	used = 7u | 1u << l.rt | 1u << l.ra | (l.xform ? 1u << l.rb : 0);
	for (r = 12; r > 2 && !t1; r--) {
		if (used & (1u << r))
			continue;
		if (!t0)
			t0 = r;
		else
			t1 = r;
	}
	if (!t1)
		return -ABT_ERANGE;
	delta = m->mirror_ea - m->ea;
	w[0] = abt_enc_stw(t0, 0, d1);
	w[1] = abt_enc_stw(t1, 0, d2);
	w[2] = abt_enc_mfcr(t0);
	w[3] = abt_enc_stw(t0, 0, d3);
	if (l.xform)
		w[4] = l.ra ? (ABT_OP(31) | ABT_RT(t0) | ABT_RA(l.ra) |
			       ABT_RB(l.rb) | ABT_XO(266)) :
			      abt_enc_mr(t0, l.rb);
	else
		w[4] = abt_enc_addi(t0, l.ra, l.d);	/* ra 0: li */
	w[5] = abt_enc_addis(t1, 0, ha16(m->ea));
	w[6] = abt_enc_addi(t1, t1, lo16(m->ea));
	w[7] = ABT_OP(31) | ABT_RT(t1) | ABT_RA(t1) | ABT_RB(t0) | ABT_XO(40);
	w[8] = abt_enc_cmplwi(0, t1, m->size - l.size + 1);
	w[9] = abt_enc_bc(4, 0, 12);
	w[10] = abt_enc_addis(t0, t0, ha16(delta));
	w[11] = abt_enc_addi(t0, t0, lo16(delta));
	w[12] = abt_enc_lwz(t1, 0, d3);
	w[13] = abt_enc_mtcrf(0xff, t1);
	w[14] = ls_at_t0(s->orig, &l, t0);
	w[15] = abt_enc_lwz(t1, 0, d2);
	w[16] = abt_enc_lwz(t0, 0, d1);
	if (!abt_reach(s->stub + 4 * 17, s->pc + 4))
		return -ABT_ERANGE;
	w[17] = abt_enc_b((s32)(s->pc + 4 - (s->stub + 4 * 17)));
	for (i = 0; i < MSTUB_WORDS; i++) {
		st->rec[i].member = 0;
		st->rec[i].committed = i > MSTUB_ACCESS;
		st->rec[i].restore = mask[i];
		st->rec[i].pad = 0;
	}
	st->ea = s->stub;
	st->t[0] = t0;
	st->t[1] = t1;
	st->nwords = MSTUB_WORDS;
	st->nmembers = 1;
	return MSTUB_WORDS;
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
	rc = abt_tc_alloc_steal(rt, pc, pc, 4 * MSTUB_WORDS,
				s - rt->sites + 1, &s->stub);
	if (rc)
		goto err_site;
	s->stub_words = MSTUB_WORDS;
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
	abt_tc_free(rt, s->stub, 4 * MSTUB_WORDS);
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
	struct abt_ls_insn l;
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
	if (m && m->kind == ABT_MIRROR_STOLEN && l.store)
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
