// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the abt runtime core (runtime/) against a fake port:
 * guest memory is a few plain byte arrays, page permissions a small table.
 *
 * The tests only assume that these guest words decode to enabled rules of
 * the given shapes, and skip what depends on a shape the rules do not have:
 *   mfmsr rD        inplace
 *   mtspr SPRG0,rS  inplace
 *   wrteei E        branch or cluster (cluster for the cluster tests)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "abt.h"
#include "internal.h"

#define W_MFMSR(r)	(0x7c0000a6u | (u32)(r) << 21)
#define W_MTSPRG0(r)	(0x7c1043a6u | (u32)(r) << 21)
#define W_WRTEEI(e)	(0x7c000146u | (u32)(e) << 15)
#define W_NOP		0x60000000u
#define W_ADD		0x7c632214u	/* add r3,r3,r4 */

/* Guest memory map of the fake port. */
#define CODE_BASE	0x00100000u
#define CODE_SIZE	0x00100000u
#define TC_BASE		0x00200000u	/* near the code */
#define TC_SIZE		0x00020000u
#define FAR_BASE	0x08200000u	/* beyond branch reach of the code */
#define FAR_SIZE	0x00020000u
/* half in reach */
#define EDGE_BASE	(CODE_BASE + 0x02000000u - 0x100u)
#define EDGE_SIZE	0x00001000u
#define MID_BASE	0x01000000u	/* reachable, far from CODE_BASE */
#define MID_SIZE	0x00001000u

struct chunk {
	u32 base, size;
	u8 *mem;
};

#define MAX_PERMS 64
struct fport {
	struct chunk c[6];
	int nc;
	u32 perm_ea[MAX_PERMS], perm[MAX_PERMS];
	int nperm;
	int perm_calls;
	int flushes;
	int writes;
	u32 fail_write_ea;	/* a write covering this EA fails; 0: none */
	u32 fail_perm_ea;	/* set_page_perm of this page fails; 0: none */
};

struct rig {
	struct abt_rt rt;
	struct fport port;
	struct abt_profile prof;
	enum abt_rule r_mfmsr, r_mtsprg0, r_wrteei0, r_wrteei1;
};

static u8 *fmem(struct fport *p, u32 ea, u32 len)
{
	int i;

	for (i = 0; i < p->nc; i++)
		if (ea - p->c[i].base < p->c[i].size &&
		    len <= p->c[i].size - (ea - p->c[i].base))
			return p->c[i].mem + (ea - p->c[i].base);
	return NULL;
}

static int f_read(void *port, u32 ea, void *buf, u32 len)
{
	u8 *m = fmem(port, ea, len);

	if (!m)
		return -1;
	memcpy(buf, m, len);
	return 0;
}

static int f_write(void *port, u32 ea, const void *buf, u32 len)
{
	struct fport *p = port;
	u8 *m = fmem(p, ea, len);

	if (!m || (p->fail_write_ea && p->fail_write_ea - ea < len))
		return -1;
	memcpy(m, buf, len);
	p->writes++;
	return 0;
}

static void f_flush(void *port, u32 ea, u32 len)
{
	((struct fport *)port)->flushes++;
}

static u32 perm_of(struct fport *p, u32 ea)
{
	int i;

	for (i = 0; i < p->nperm; i++)
		if (p->perm_ea[i] == (ea & ~0xfffu))
			return p->perm[i];
	return ABT_PERM_RWX;
}

static int f_perm(void *port, u32 ea, u32 perm)
{
	struct fport *p = port;
	int i;

	if (p->fail_perm_ea && (p->fail_perm_ea & ~0xfffu) == ea)
		return -1;
	p->perm_calls++;
	assert_int_equal(ea & 0xfff, 0);
	for (i = 0; i < p->nperm; i++)
		if (p->perm_ea[i] == ea)
			break;
	if (i == p->nperm) {
		assert_true(p->nperm < MAX_PERMS);
		p->nperm++;
	}
	p->perm_ea[i] = ea;
	p->perm[i] = perm;
	return 0;
}

static const struct abt_port_ops fops = {
	.read = f_read,
	.write = f_write,
	.flush_icache = f_flush,
	.set_page_perm = f_perm,
};

static void put32(struct rig *g, u32 ea, u32 w)
{
	u8 *m = fmem(&g->port, ea, 4);

	assert_non_null(m);
	abt_put_be32(m, w);
}

static u32 get32(struct rig *g, u32 ea)
{
	u8 *m = fmem(&g->port, ea, 4);

	assert_non_null(m);
	return abt_be32(m);
}

static void add_chunk(struct rig *g, u32 base, u32 size)
{
	struct chunk *c = &g->port.c[g->port.nc++];

	c->base = base;
	c->size = size;
	c->mem = calloc(1, size);
	assert_non_null(c->mem);
}

static enum abt_rule decode(u32 w)
{
	struct abt_fields f;

	return abt_decode(w, &f);
}

static int rig_setup(void **state)
{
	struct rig *g = calloc(1, sizeof(*g));
	int i;

	assert_non_null(g);
	add_chunk(g, CODE_BASE, CODE_SIZE);
	add_chunk(g, TC_BASE, TC_SIZE);
	add_chunk(g, FAR_BASE, FAR_SIZE);
	add_chunk(g, EDGE_BASE, EDGE_SIZE);
	add_chunk(g, MID_BASE, MID_SIZE);
	g->prof = *abt_profiles[0];
	add_chunk(g, g->prof.magic_ea & ~0xfffu, 0x1000);
	/* The rules under test, on; every other rule off. */
	for (i = 0; i < ABT_RULE_COUNT; i++)
		g->prof.enabled[i] = 0;
	g->r_mfmsr = decode(W_MFMSR(3));
	g->r_mtsprg0 = decode(W_MTSPRG0(4));
	g->r_wrteei0 = decode(W_WRTEEI(0));
	g->r_wrteei1 = decode(W_WRTEEI(1));
	g->prof.enabled[g->r_mfmsr] = 1;
	g->prof.enabled[g->r_mtsprg0] = 1;
	g->prof.enabled[g->r_wrteei0] = 1;
	g->prof.enabled[g->r_wrteei1] = 1;
	g->prof.threshold = 4;
	g->prof.decay = 0;
	g->prof.cluster_max = 4;
	g->prof.ntc = 0;
	assert_int_equal(abt_init(&g->rt, &g->prof, &fops, &g->port), 0);
	*state = g;
	return 0;
}

static int rig_teardown(void **state)
{
	struct rig *g = *state;
	int i;

	for (i = 0; i < g->port.nc; i++)
		free(g->port.c[i].mem);
	free(g);
	return 0;
}

static void need_shape(struct rig *g, enum abt_rule r, int shape)
{
	if (r == ABT_RULE_NONE || abt_rules[r].shape != shape)
		skip();
}

static void need_stub(struct rig *g, enum abt_rule r)
{
	if (r == ABT_RULE_NONE || (abt_rules[r].shape != ABT_SHAPE_BRANCH &&
				   abt_rules[r].shape != ABT_SHAPE_CLUSTER))
		skip();
}

static void near_tc(struct rig *g)
{
	assert_int_equal(abt_tc_add_region(&g->rt, TC_BASE, TC_SIZE), 0);
}

static u32 b_target(u32 at, u32 w)
{
	s32 d = (s32)(w << 6) >> 6;

	assert_int_equal(w >> 26, 18);
	assert_int_equal(w & 3, 0);
	return at + (u32)(d & ~3);
}

/* --- profiler ---------------------------------------------------------- */

static void test_prof_threshold(void **state)
{
	struct rig *g = *state;
	const u32 pc = CODE_BASE + 0x100;
	int i;

	need_shape(g, g->r_mfmsr, ABT_SHAPE_INPLACE);
	put32(g, pc, W_MFMSR(3));
	for (i = 1; i < 4; i++) {
		assert_int_equal(abt_exit(&g->rt, pc, W_MFMSR(3)),
				 ABT_EXIT_EMULATE);
		assert_int_equal(abt_prof_count(&g->rt, pc), i);
		assert_int_equal(get32(g, pc), W_MFMSR(3));
	}
	assert_int_equal(abt_exit(&g->rt, pc, W_MFMSR(3)),
			 ABT_EXIT_TRANSLATED);
	assert_int_not_equal(get32(g, pc), W_MFMSR(3));
	assert_non_null(abt_site_find(&g->rt, pc));
	assert_int_equal(g->rt.stats.exits, 4);
	assert_int_equal(g->rt.stats.exits_rule[g->r_mfmsr], 4);
	assert_int_equal(g->rt.stats.translations[ABT_SHAPE_INPLACE], 1);
	/* A translated site is not translated again. */
	assert_int_equal(abt_exit(&g->rt, pc, W_MFMSR(3)), ABT_EXIT_EMULATE);
	assert_int_equal(g->rt.stats.translate_fail, 0);
}

static void test_prof_disabled_and_unknown(void **state)
{
	struct rig *g = *state;
	const u32 pc = CODE_BASE + 0x200;
	int i;

	put32(g, pc, W_MFMSR(3));
	g->prof.enabled[g->r_mfmsr] = 0;
	for (i = 0; i < 10; i++)
		assert_int_equal(abt_exit(&g->rt, pc, W_MFMSR(3)),
				 ABT_EXIT_EMULATE);
	assert_null(abt_site_find(&g->rt, pc));
	for (i = 0; i < 10; i++)
		assert_int_equal(abt_exit(&g->rt, pc + 4, W_ADD),
				 ABT_EXIT_EMULATE);
	assert_int_equal(g->rt.stats.exits_rule[ABT_RULE_NONE], 10);
	assert_int_equal(g->rt.stats.translate_fail, 0);
	/* PC 0 is never profiled. */
	assert_int_equal(abt_exit(&g->rt, 0, 0), ABT_EXIT_EMULATE);
	assert_int_equal(abt_prof_count(&g->rt, 0), 0);
}

static void test_prof_word_change(void **state)
{
	struct rig *g = *state;
	const u32 pc = CODE_BASE + 0x300;

	g->prof.threshold = 100;
	abt_exit(&g->rt, pc, W_MFMSR(3));
	abt_exit(&g->rt, pc, W_MFMSR(3));
	abt_exit(&g->rt, pc, W_MFMSR(3));
	assert_int_equal(abt_prof_count(&g->rt, pc), 3);
	/* New code at the same PC counts afresh. */
	abt_exit(&g->rt, pc, W_MTSPRG0(4));
	assert_int_equal(abt_prof_count(&g->rt, pc), 1);
}

static void test_prof_decay(void **state)
{
	struct rig *g = *state;
	const u32 a = CODE_BASE + 0x400, b = CODE_BASE + 0x404;
	int i;

	g->prof.threshold = 1000;
	g->prof.decay = 16;
	assert_int_equal(abt_init(&g->rt, &g->prof, &fops, &g->port), 0);
	for (i = 0; i < 8; i++)
		abt_exit(&g->rt, a, W_MFMSR(3));
	assert_int_equal(abt_prof_count(&g->rt, a), 8);
	for (i = 0; i < 8; i++)		/* the 16th exit opens epoch 1 */
		abt_exit(&g->rt, b, W_MFMSR(4));
	assert_int_equal(g->rt.epoch, 1);
	assert_int_equal(abt_prof_count(&g->rt, a), 4);
	assert_int_equal(abt_prof_count(&g->rt, b), 4);	/* 7 >> 1, + 1 */
	for (i = 0; i < 32; i++)
		abt_exit(&g->rt, b, W_MFMSR(4));
	assert_int_equal(g->rt.epoch, 3);
	assert_int_equal(abt_prof_count(&g->rt, a), 1);
	/* Touching a brings it to the current epoch, then counts. */
	abt_exit(&g->rt, a, W_MFMSR(3));
	assert_int_equal(abt_prof_count(&g->rt, a), 2);
	for (i = 0; i < 16 * 40; i++)
		abt_exit(&g->rt, b, W_MFMSR(4));
	assert_int_equal(abt_prof_count(&g->rt, a), 0);
}

static u32 prof_home(u32 pc)
{
	return abt_hash(pc >> 2, ABT_PROF_BITS);
}

static void test_prof_evict(void **state)
{
	struct rig *g = *state;
	u32 pcs[ABT_PROF_PROBE + 1], pc;
	int n = 0, i, j;

	need_shape(g, g->r_mfmsr, ABT_SHAPE_INPLACE);
	g->prof.threshold = 1000;
	/* ABT_PROF_PROBE + 1 PCs with one home slot: one window. */
	pcs[n++] = CODE_BASE;
	for (pc = CODE_BASE + 4; n <= ABT_PROF_PROBE; pc += 4)
		if (prof_home(pc) == prof_home(CODE_BASE))
			pcs[n++] = pc;
	assert_true(pc < CODE_BASE + CODE_SIZE);

	/* pcs[i] gets i + 2 exits; pcs[0], the lowest, is then patched. */
	for (i = 0; i < ABT_PROF_PROBE; i++)
		for (j = 0; j < i + 2; j++)
			abt_exit(&g->rt, pcs[i], W_MFMSR(3));
	put32(g, pcs[0], W_MFMSR(3));
	assert_int_equal(abt_translate(&g->rt, pcs[0]), 0);
	assert_int_equal(g->rt.stats.prof_evictions, 0);

	/* The window is full: the lowest untranslated entry goes. */
	abt_exit(&g->rt, pcs[ABT_PROF_PROBE], W_MFMSR(3));
	assert_int_equal(g->rt.stats.prof_evictions, 1);
	assert_int_equal(abt_prof_count(&g->rt, pcs[0]), 2);
	assert_int_equal(abt_prof_count(&g->rt, pcs[1]), 0);
	assert_int_equal(abt_prof_count(&g->rt, pcs[2]), 4);
	assert_int_equal(abt_prof_count(&g->rt, pcs[ABT_PROF_PROBE]), 1);
}

/* --- TC allocator ------------------------------------------------------ */

static void test_tc_regions(void **state)
{
	struct rig *g = *state;
	u32 base, size;

	assert_int_equal(abt_tc_add_region(&g->rt, TC_BASE, 0x1000), 0);
	assert_int_equal(abt_tc_add_region(&g->rt, TC_BASE + 0x800, 0x1000),
			 -ABT_EBUSY);
	assert_int_equal(abt_tc_add_region(&g->rt, 0, 0x1000), -ABT_EINVAL);
	assert_int_equal(abt_tc_add_region(&g->rt, 0xfffff000, 0x2000),
			 -ABT_EINVAL);
	/* Unaligned base: rounded up to a granule. */
	assert_int_equal(abt_tc_add_region(&g->rt, FAR_BASE + 4, 0x1000), 0);
	assert_int_equal(abt_tc_region_at(&g->rt, 1, &base, &size), 0);
	assert_int_equal(base, FAR_BASE + 16);
	assert_int_equal(size, 0xff0);
	assert_int_equal(abt_tc_add_region(&g->rt, MID_BASE, 0x1000), 0);
	assert_int_equal(abt_tc_add_region(&g->rt, EDGE_BASE, 0x1000), 0);
	assert_int_equal(abt_tc_add_region(&g->rt, TC_BASE + 0x10000, 0x100),
			 -ABT_EFULL);
	assert_true(abt_tc_range(&g->rt, TC_BASE));
	assert_false(abt_in_tc(&g->rt, TC_BASE));
	assert_false(abt_tc_range(&g->rt, TC_BASE + 0x1000));
}

static void test_tc_fragmentation(void **state)
{
	struct rig *g = *state;
	u32 ea[4], x;
	int i;

	assert_int_equal(abt_tc_add_region(&g->rt, TC_BASE, 0x1000), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(abt_tc_alloc(&g->rt, CODE_BASE, CODE_BASE,
					      60, 1, &ea[i]), 0);
		assert_int_equal(ea[i], TC_BASE + 64 * i);
	}
	assert_int_equal(g->rt.stats.tc_bytes, 256);
	assert_true(abt_in_tc(&g->rt, ea[1] + 8));
	abt_tc_free(&g->rt, ea[1], 60);
	abt_tc_free(&g->rt, ea[3], 60);
	assert_false(abt_in_tc(&g->rt, ea[1] + 8));
	assert_int_equal(g->rt.stats.tc_bytes, 128);
	assert_int_equal(g->rt.stats.tc_bytes_peak, 256);
	/* 128 bytes do not fit the 64-byte hole: first fit is after ea[2]. */
	assert_int_equal(abt_tc_alloc(&g->rt, CODE_BASE, CODE_BASE, 128, 1,
				      &x), 0);
	assert_int_equal(x, ea[3]);
	assert_int_equal(abt_tc_alloc(&g->rt, CODE_BASE, CODE_BASE, 20, 1,
				      &x), 0);
	assert_int_equal(x, ea[1]);
	assert_int_equal(abt_tc_alloc(&g->rt, CODE_BASE, CODE_BASE, 32, 1,
				      &x), 0);
	assert_int_equal(x, ea[1] + 32);
	assert_int_equal(g->rt.stats.tc_bytes_peak, 128 + 128 + 32 + 32);
	/* Fill up, then run out. */
	while (!abt_tc_alloc(&g->rt, CODE_BASE, CODE_BASE, 16, 1, &x))
		;
	assert_int_equal(g->rt.tc[0].used, g->rt.tc[0].ngranules);
	assert_int_equal(abt_tc_alloc(&g->rt, CODE_BASE, CODE_BASE, 16, 1,
				      &x), -ABT_ENOTC);
}

static void test_tc_reach(void **state)
{
	struct rig *g = *state;
	u32 ea, n = 0;

	/* Entirely out of reach. */
	assert_int_equal(abt_tc_add_region(&g->rt, FAR_BASE, FAR_SIZE), 0);
	assert_int_equal(abt_tc_alloc(&g->rt, CODE_BASE, CODE_BASE, 64, 1,
				      &ea), -ABT_ENOTC);
	/*
	 * Straddling the limit: a 64-byte stub at ea reaches back to
	 * CODE_BASE + 4 from its last word only if
	 * ea + 60 - (CODE_BASE + 4) <= 32 MiB.
	 */
	assert_int_equal(abt_tc_add_region(&g->rt, EDGE_BASE, EDGE_SIZE), 0);
	while (!abt_tc_alloc(&g->rt, CODE_BASE, CODE_BASE, 64, 1, &ea)) {
		assert_true(ea >= EDGE_BASE);
		assert_true(abt_reach(CODE_BASE, ea));
		assert_true(abt_reach(ea + 60, CODE_BASE + 4));
		n++;
	}
	assert_int_equal(n, 4);
	assert_false(abt_reach(CODE_BASE, EDGE_BASE + 256));
	/* A site below the region and one above it both work. */
	assert_int_equal(abt_tc_alloc(&g->rt, FAR_BASE + 0x01000000,
				      FAR_BASE + 0x01000000, 64, 1, &ea), 0);
	assert_int_equal(ea, FAR_BASE);
	assert_int_equal(abt_tc_alloc(&g->rt, FAR_BASE - 0x01000000,
				      FAR_BASE - 0x01000000, 64, 1, &ea), 0);
	assert_int_equal(ea, FAR_BASE + 64);
}

static void test_tc_nearest(void **state)
{
	struct rig *g = *state;
	u32 ea;

	assert_int_equal(abt_tc_add_region(&g->rt, MID_BASE, MID_SIZE), 0);
	assert_int_equal(abt_tc_add_region(&g->rt, TC_BASE, TC_SIZE), 0);
	assert_int_equal(abt_tc_alloc(&g->rt, CODE_BASE, CODE_BASE, 64, 1,
				      &ea), 0);
	assert_int_equal(ea, TC_BASE);
	assert_int_equal(abt_tc_alloc(&g->rt, MID_BASE - 0x100000,
				      MID_BASE - 0x100000, 64, 1, &ea), 0);
	assert_int_equal(ea, MID_BASE);
	/* Nearest is full: the next nearest is used. */
	while (!abt_tc_alloc(&g->rt, MID_BASE, MID_BASE, 64, 1, &ea) &&
	       ea >= MID_BASE && ea < MID_BASE + MID_SIZE)
		;
	assert_int_equal(ea, TC_BASE + 64);
}

/* --- patcher ----------------------------------------------------------- */

static u8 *code_snapshot(struct rig *g)
{
	u8 *s = malloc(CODE_SIZE + TC_SIZE);

	assert_non_null(s);
	memcpy(s, g->port.c[0].mem, CODE_SIZE);
	memcpy(s + CODE_SIZE, g->port.c[1].mem, TC_SIZE);
	return s;
}

static void assert_code_is(struct rig *g, const u8 *s, bool tc_too)
{
	assert_memory_equal(g->port.c[0].mem, s, CODE_SIZE);
	if (tc_too)
		assert_memory_equal(g->port.c[1].mem, s + CODE_SIZE, TC_SIZE);
}

static void test_patch_inplace(void **state)
{
	struct rig *g = *state;
	const u32 pc = CODE_BASE + 0x1000;
	struct abt_emit_env env = {
		.magic_ea = g->prof.magic_ea, .pc = pc,
		.layout = g->prof.layout,
	};
	struct abt_fields f;
	const struct abt_site *s;
	u32 want;
	u8 *snap;

	need_shape(g, g->r_mfmsr, ABT_SHAPE_INPLACE);
	put32(g, pc, W_MFMSR(5));
	put32(g, pc + 4, W_MTSPRG0(6));
	snap = code_snapshot(g);
	assert_int_equal(abt_decode(W_MFMSR(5), &f), g->r_mfmsr);
	assert_int_equal(abt_emit_body(g->r_mfmsr, &env, &f, &want, 1), 1);

	assert_int_equal(abt_translate(&g->rt, pc), 0);
	assert_int_equal(get32(g, pc), want);
	assert_int_equal(get32(g, pc + 4), W_MTSPRG0(6));
	s = abt_site_find(&g->rt, pc);
	assert_non_null(s);
	assert_int_equal(s->orig, W_MFMSR(5));
	assert_int_equal(s->patched, want);
	assert_int_equal(s->stub, 0);
	assert_int_equal(abt_translate(&g->rt, pc), -ABT_EBUSY);
	if (abt_rules[g->r_mtsprg0].shape == ABT_SHAPE_INPLACE)
		assert_int_equal(abt_translate(&g->rt, pc + 4), 0);

	abt_untranslate_all(&g->rt);
	assert_code_is(g, snap, true);
	assert_null(abt_site_find(&g->rt, pc));
	assert_int_equal(abt_nsites(&g->rt), 0);
	assert_int_equal(abt_untranslate(&g->rt, pc), -ABT_ENOENT);
	free(snap);
}

static void test_patch_branch(void **state)
{
	struct rig *g = *state;
	const u32 pc = CODE_BASE + 0x2000;
	const struct abt_site *s;
	u32 w, stub;
	u8 *snap;

	need_stub(g, g->r_wrteei1);
	near_tc(g);
	put32(g, pc, W_WRTEEI(1));
	put32(g, pc + 4, W_ADD);
	snap = code_snapshot(g);
	assert_int_equal(abt_translate(&g->rt, pc), 0);
	s = abt_site_find(&g->rt, pc);
	assert_non_null(s);
	assert_int_equal(s->nmembers, 1);
	w = get32(g, pc);
	stub = b_target(pc, w);
	assert_int_equal(stub, s->stub);
	assert_true(abt_in_tc(&g->rt, stub));
	assert_int_equal(g->rt.stats.tc_bytes,
			 (4 * s->stub_words + 15) & ~15u);
	/* The main path ends with `b pc + 4`. */
	{
		static struct abt_stub stub_buf;
		struct abt_stub *st = &stub_buf;
		enum abt_rule r = g->r_wrteei1;
		struct abt_fields f;
		u32 orig = W_WRTEEI(1);
		int i, n, ret = -1;

		abt_decode(orig, &f);
		st->ea = stub;
		n = abt_stub_compose(&g->prof, pc, &r, &f, &orig, 1, st);
		assert_int_equal(n, s->stub_words);
		for (i = 0; i < n; i++) {
			assert_int_equal(get32(g, stub + 4 * i), st->words[i]);
			if (ret < 0 && st->words[i] >> 26 == 18)
				ret = i;
		}
		assert_true(ret > 0);
		assert_int_equal(b_target(stub + 4 * ret, st->words[ret]),
				 pc + 4);
	}
	assert_int_equal(abt_untranslate(&g->rt, pc), 0);
	assert_code_is(g, snap, false);
	assert_int_equal(g->rt.stats.tc_bytes, 0);
	assert_false(abt_in_tc(&g->rt, stub));
	free(snap);
}

static void cluster_code(struct rig *g, u32 pc)
{
	put32(g, pc, W_WRTEEI(0));
	put32(g, pc + 4, W_MFMSR(3));
	put32(g, pc + 8, W_MTSPRG0(4));
	put32(g, pc + 12, W_WRTEEI(1));
	put32(g, pc + 16, W_ADD);
}

static void test_patch_cluster(void **state)
{
	struct rig *g = *state;
	const u32 pc = CODE_BASE + 0x3000;
	const struct abt_site *s;
	u32 w;
	u8 *snap;
	int i;

	need_shape(g, g->r_wrteei0, ABT_SHAPE_CLUSTER);
	near_tc(g);
	cluster_code(g, pc);
	snap = code_snapshot(g);

	g->prof.cluster_max = 8;	/* stops at the add */
	assert_int_equal(abt_translate(&g->rt, pc), 0);
	s = abt_site_find(&g->rt, pc);
	assert_int_equal(s->nmembers, 4);
	assert_int_equal(s->shape, ABT_SHAPE_CLUSTER);
	/* Only the first word changes; the stub returns after the last. */
	for (i = 1; i < 5; i++)
		assert_int_equal(get32(g, pc + 4 * i),
				 abt_be32(snap + pc + 4 * i - CODE_BASE));
	w = get32(g, pc);
	assert_int_equal(b_target(pc, w), s->stub);
	for (i = 0; i < s->stub_words; i++) {
		w = get32(g, s->stub + 4 * i);
		if (w >> 26 == 18) {
			assert_int_equal(b_target(s->stub + 4 * i, w), pc + 16);
			break;
		}
	}
	assert_int_equal(abt_untranslate(&g->rt, pc), 0);

	g->prof.cluster_max = 2;
	assert_int_equal(abt_translate(&g->rt, pc), 0);
	assert_int_equal(abt_site_find(&g->rt, pc)->nmembers, 2);
	assert_int_equal(abt_untranslate(&g->rt, pc), 0);

	/* Never across an existing patch site. */
	g->prof.cluster_max = 8;
	assert_int_equal(abt_translate(&g->rt, pc + 8), 0);
	assert_int_equal(abt_translate(&g->rt, pc), 0);
	assert_int_equal(abt_site_find(&g->rt, pc)->nmembers, 2);
	abt_untranslate_all(&g->rt);
	assert_code_is(g, snap, false);
	assert_int_equal(g->rt.stats.tc_bytes, 0);

	/* Never across a page boundary. */
	cluster_code(g, CODE_BASE + 0x4ff8);
	assert_int_equal(abt_translate(&g->rt, CODE_BASE + 0x4ff8), 0);
	assert_int_equal(abt_site_find(&g->rt, CODE_BASE + 0x4ff8)->nmembers,
			 2);
	free(snap);
}

static void assert_refused(struct rig *g, u32 pc, int err, const u8 *snap)
{
	int fails = g->rt.stats.translate_fail;

	assert_int_equal(abt_translate(&g->rt, pc), err);
	assert_int_equal(g->rt.stats.translate_fail, fails + 1);
	assert_code_is(g, snap, true);
	assert_null(abt_site_find(&g->rt, pc));
	assert_int_equal(abt_nsites(&g->rt), 0);
	assert_int_equal(g->rt.stats.tc_bytes, 0);
	assert_false(abt_page_traced(&g->rt, pc));
	assert_int_equal(perm_of(&g->port, pc), ABT_PERM_RWX);
	assert_int_equal(perm_of(&g->port, TC_BASE), ABT_PERM_RWX);
}

static void test_patch_refusal(void **state)
{
	struct rig *g = *state;
	const u32 pc = CODE_BASE + 0x5000;
	u8 *snap;
	int i;

	need_stub(g, g->r_wrteei1);
	put32(g, pc, W_WRTEEI(1));
	put32(g, pc + 4, W_ADD);
	put32(g, pc + 8, W_MFMSR(3));
	for (i = 0; i < (int)TC_SIZE; i += 4)
		put32(g, TC_BASE + i, 0x0badc0de);
	snap = code_snapshot(g);

	/* No TC at all, then only out of reach. */
	assert_refused(g, pc, -ABT_ENOTC, snap);
	assert_int_equal(abt_tc_add_region(&g->rt, FAR_BASE, FAR_SIZE), 0);
	assert_refused(g, pc, -ABT_ENOTC, snap);
	near_tc(g);
	/* Not a rule, or a disabled one. */
	assert_refused(g, pc + 4, -ABT_EINVAL, snap);
	g->prof.enabled[g->r_wrteei1] = 0;
	assert_refused(g, pc, -ABT_EINVAL, snap);
	g->prof.enabled[g->r_wrteei1] = 1;
	/* Port failures: the site word, a stub word, a page permission. */
	g->port.fail_write_ea = pc;
	assert_refused(g, pc, -ABT_EIO, snap);
	g->port.fail_write_ea = TC_BASE + 8;
	assert_refused(g, pc, -ABT_EIO, snap);
	g->port.fail_write_ea = 0;
	g->port.fail_perm_ea = TC_BASE;
	assert_refused(g, pc, -ABT_EIO, snap);
	g->port.fail_perm_ea = pc;
	assert_refused(g, pc + 8, -ABT_EIO, snap);
	g->port.fail_perm_ea = 0;
	/* Bad PCs. */
	assert_refused(g, pc + 2, -ABT_EINVAL, snap);
	assert_refused(g, 0xf0000000, -ABT_EIO, snap);

	/* A refused site is not retried by the profiler. */
	g->port.fail_write_ea = pc;
	for (i = 0; i < 4; i++)
		abt_exit(&g->rt, pc, W_WRTEEI(1));
	assert_int_equal(g->rt.stats.translate_fail, 11);
	g->port.fail_write_ea = 0;
	for (i = 0; i < 10; i++)
		assert_int_equal(abt_exit(&g->rt, pc, W_WRTEEI(1)),
				 ABT_EXIT_EMULATE);
	assert_int_equal(g->rt.stats.translate_fail, 11);
	/* Explicit translation still works. */
	assert_int_equal(abt_translate(&g->rt, pc), 0);
	free(snap);
}

static void test_patch_table_full(void **state)
{
	struct rig *g = *state;
	u32 pc;
	int i;

	need_shape(g, g->r_mfmsr, ABT_SHAPE_INPLACE);
	/* Fill the site table with one inplace site per word of 2 pages. */
	for (i = 0; i <= ABT_MAX_SITES; i++)
		put32(g, CODE_BASE + 4 * i, W_MFMSR(3));
	for (i = 0; i < ABT_MAX_SITES; i++)
		assert_int_equal(abt_translate(&g->rt, CODE_BASE + 4 * i), 0);
	pc = CODE_BASE + 4 * ABT_MAX_SITES;
	assert_int_equal(abt_translate(&g->rt, pc), -ABT_EFULL);
	assert_int_equal(get32(g, pc), W_MFMSR(3));
	/* Removal in hash order must keep every other site findable. */
	for (i = 0; i < ABT_MAX_SITES; i += 2)
		assert_int_equal(abt_untranslate(&g->rt, CODE_BASE + 4 * i), 0);
	for (i = 1; i < ABT_MAX_SITES; i += 2)
		assert_non_null(abt_site_find(&g->rt, CODE_BASE + 4 * i));
	assert_int_equal(abt_translate(&g->rt, pc), 0);
	abt_untranslate_all(&g->rt);
	for (i = 0; i <= ABT_MAX_SITES; i++)
		assert_int_equal(get32(g, CODE_BASE + 4 * i), W_MFMSR(3));
	assert_false(abt_page_traced(&g->rt, CODE_BASE));
}

/* --- tracer ------------------------------------------------------------ */

static void test_trace_perm(void **state)
{
	struct rig *g = *state;
	const u32 pc = CODE_BASE + 0x6000;
	const struct abt_site *s;
	int calls;
	u32 stub;

	need_shape(g, g->r_mfmsr, ABT_SHAPE_INPLACE);
	need_stub(g, g->r_wrteei1);
	near_tc(g);
	put32(g, pc, W_MFMSR(3));
	put32(g, pc + 8, W_WRTEEI(1));
	put32(g, pc + 12, W_ADD);
	assert_false(abt_page_traced(&g->rt, pc));

	assert_int_equal(abt_translate(&g->rt, pc), 0);
	assert_true(abt_page_traced(&g->rt, pc + 0xffc));
	assert_false(abt_page_traced(&g->rt, pc + 0x1000));
	assert_int_equal(perm_of(&g->port, pc), ABT_PERM_X);
	calls = g->port.perm_calls;

	/* Second patch on the page: no new call; its stub page is traced. */
	assert_int_equal(abt_translate(&g->rt, pc + 8), 0);
	s = abt_site_find(&g->rt, pc + 8);
	stub = s->stub;
	assert_int_equal(g->port.perm_calls, calls + 1);
	assert_true(abt_page_traced(&g->rt, stub));
	assert_int_equal(perm_of(&g->port, stub), ABT_PERM_X);

	assert_int_equal(abt_untranslate(&g->rt, pc), 0);
	assert_int_equal(perm_of(&g->port, pc), ABT_PERM_X);
	assert_int_equal(abt_untranslate(&g->rt, pc + 8), 0);
	assert_int_equal(perm_of(&g->port, pc), ABT_PERM_RWX);
	assert_int_equal(perm_of(&g->port, stub), ABT_PERM_RWX);
	assert_false(abt_page_traced(&g->rt, pc));
	assert_false(abt_page_traced(&g->rt, stub));
}

static void test_trace_read(void **state)
{
	struct rig *g = *state;
	const u32 pc = CODE_BASE + 0x7000;
	u8 buf[0x1000], *want;
	u32 off;

	need_shape(g, g->r_mfmsr, ABT_SHAPE_INPLACE);
	need_stub(g, g->r_wrteei1);
	near_tc(g);
	put32(g, pc, W_MFMSR(3));
	put32(g, pc + 4, W_WRTEEI(1));
	put32(g, pc + 8, W_ADD);
	put32(g, pc + 0xffc, W_MTSPRG0(3));
	want = fmem(&g->port, pc, 0x1000);
	memcpy(buf, want, sizeof(buf));
	want = malloc(0x1000);
	memcpy(want, buf, 0x1000);
	assert_int_equal(abt_translate(&g->rt, pc), 0);
	assert_int_equal(abt_translate(&g->rt, pc + 4), 0);
	assert_int_equal(abt_translate(&g->rt, pc + 0xffc), 0);
	assert_memory_not_equal(fmem(&g->port, pc, 8), want, 8);

	/* Every alignment and length around the patches. */
	for (off = 0; off < 12; off++) {
		u32 len;

		for (len = 1; len <= 12 - off; len++) {
			memset(buf, 0xaa, sizeof(buf));
			assert_int_equal(abt_trace_read(&g->rt, pc + off, buf,
							len), 0);
			assert_memory_equal(buf, want + off, len);
		}
	}
	/* The whole page (the site-table scan path). */
	assert_int_equal(abt_trace_read(&g->rt, pc, buf, 0x1000), 0);
	assert_memory_equal(buf, want, 0x1000);
	assert_int_equal(abt_trace_read(&g->rt, pc + 0xffe, buf, 2), 0);
	assert_memory_equal(buf, want + 0xffe, 2);
	assert_true(g->rt.stats.trace_reads > 70);
	assert_int_equal(abt_trace_read(&g->rt, 0xf0000000, buf, 4),
			 -ABT_EIO);
	free(want);
}

static void test_trace_write(void **state)
{
	struct rig *g = *state;
	const u32 pc = CODE_BASE + 0x8000;
	const struct abt_site *s;
	u32 stub;

	need_shape(g, g->r_mfmsr, ABT_SHAPE_INPLACE);
	need_stub(g, g->r_wrteei1);
	near_tc(g);
	put32(g, pc, W_MFMSR(3));
	put32(g, pc + 0x100, W_WRTEEI(0));
	put32(g, pc + 0x104, W_MFMSR(3));
	put32(g, pc + 0x108, W_MTSPRG0(4));
	put32(g, pc + 0x10c, W_ADD);
	put32(g, pc + 0x200, W_WRTEEI(1));
	put32(g, pc + 0x204, W_ADD);
	assert_int_equal(abt_translate(&g->rt, pc), 0);
	assert_int_equal(abt_translate(&g->rt, pc + 0x100), 0);
	assert_int_equal(abt_translate(&g->rt, pc + 0x200), 0);

	/* Elsewhere on the page: nothing dropped. */
	assert_int_equal(abt_trace_write(&g->rt, pc + 4, 4), 0);
	assert_int_equal(abt_trace_write(&g->rt, pc + 0x10c, 1), 0);
	assert_int_equal(abt_nsites(&g->rt), 3);
	/* One byte of the inplace word. */
	assert_int_equal(abt_trace_write(&g->rt, pc + 3, 1), 1);
	assert_int_equal(get32(g, pc), W_MFMSR(3));
	assert_null(abt_site_find(&g->rt, pc));
	assert_int_equal(abt_prof_count(&g->rt, pc), 0);
	/* A word inside a cluster drops the cluster. */
	s = abt_site_find(&g->rt, pc + 0x100);
	if (s->nmembers == 3) {
		assert_int_equal(abt_trace_write(&g->rt, pc + 0x108, 4), 1);
		assert_null(abt_site_find(&g->rt, pc + 0x100));
		assert_int_equal(get32(g, pc + 0x100), W_WRTEEI(0));
	} else {
		assert_int_equal(abt_untranslate(&g->rt, pc + 0x100), 0);
	}
	/* A write into a stub drops its site. */
	s = abt_site_find(&g->rt, pc + 0x200);
	stub = s->stub;
	assert_int_equal(abt_trace_write(&g->rt, stub + 4, 2), 1);
	assert_null(abt_site_find(&g->rt, pc + 0x200));
	assert_int_equal(get32(g, pc + 0x200), W_WRTEEI(1));
	assert_int_equal(abt_nsites(&g->rt), 0);
	assert_false(abt_page_traced(&g->rt, pc));
	assert_false(abt_page_traced(&g->rt, stub));
	assert_int_equal(g->rt.stats.untranslations, 3);

	/* A big write drops everything it covers. */
	assert_int_equal(abt_translate(&g->rt, pc), 0);
	assert_int_equal(abt_translate(&g->rt, pc + 0x200), 0);
	assert_int_equal(abt_trace_write(&g->rt, pc - 0x10, 0x1000), 2);
	assert_int_equal(abt_nsites(&g->rt), 0);
	assert_int_equal(g->rt.stats.trace_writes, 6);
}

/* --- recovery ---------------------------------------------------------- */

/*
 * Independent model of the save state: walk the stub's control flow and
 * track which scratch saves have executed without their restore.
 */
static void model_restore(const struct abt_stub *st, const s32 disp[3],
			  int state[ABT_MAX_STUB_WORDS])
{
	int i, m, t;
	u32 w, op, rt_, ra;
	s32 d;

	for (i = 0; i < st->nwords; i++)
		state[i] = -1;
	state[0] = 0;
	for (i = 0; i < st->nwords; i++) {
		w = st->words[i];
		m = state[i];
		assert_true(m >= 0);	/* reachable, one state */
		op = w >> 26;
		rt_ = w >> 21 & 31;
		ra = w >> 16 & 31;
		d = (s16)(w & 0xffff);
		if (op == 36 && !ra && rt_ == st->t[0] && d == disp[0])
			m |= ABT_RESTORE_T0;
		else if (op == 36 && !ra && rt_ == st->t[1] && d == disp[1])
			m |= ABT_RESTORE_T1;
		else if (op == 36 && !ra && rt_ == st->t[0] && d == disp[2])
			m |= ABT_RESTORE_CR;
		else if (op == 32 && !ra && rt_ == st->t[0] && d == disp[0])
			m &= ~ABT_RESTORE_T0;
		else if (op == 32 && !ra && rt_ == st->t[1] && d == disp[1])
			m &= ~ABT_RESTORE_T1;
		else if (op == 31 && (w & 0x7fe) == 144 << 1 &&
			 (w >> 12 & 0xff) == 0xff)
			m &= ~ABT_RESTORE_CR;
		/* successors */
		if (op == 16) {
			t = i + ((s16)(w & 0xfffc) >> 2);
			if (t > i && t < st->nwords) {
				assert_true(state[t] < 0 || state[t] == m);
				state[t] = m;
			}
		}
		if (op != 18 && i + 1 < st->nwords) {
			assert_true(state[i + 1] < 0 || state[i + 1] == m);
			state[i + 1] = m;
		}
	}
}

static void check_recovery(struct rig *g, u32 pc, int n)
{
	const struct abt_site *s = abt_site_find(&g->rt, pc);
	struct abt_stub st;
	enum abt_rule rules[ABT_MAX_MEMBERS];
	struct abt_fields f[ABT_MAX_MEMBERS];
	u32 orig[ABT_MAX_MEMBERS], gpr[32], cr, got, magic, want;
	int state[ABT_MAX_STUB_WORDS], i, k, r;
	u64 recoveries = g->rt.stats.recoveries;
	bool main_path = true;
	s32 disp[3];
	const struct abt_recovery *rec;

	assert_non_null(s);
	assert_int_equal(s->nmembers, n);
	for (k = 0; k < n; k++) {
		u8 b[4];

		assert_int_equal(abt_view_read(&g->rt, pc + 4 * k, b, 4), 0);
		orig[k] = abt_be32(b);
		rules[k] = abt_decode(orig[k], &f[k]);
	}
	assert_int_equal(orig[0], s->orig);
	st.ea = s->stub;
	assert_int_equal(abt_stub_compose(&g->prof, pc, rules, f, orig, n,
					  &st), s->stub_words);
	for (i = 0; i < st.nwords; i++)
		assert_int_equal(get32(g, s->stub + 4 * i), st.words[i]);
	for (i = 0; i < 3; i++)
		abt_magic_disp(&g->prof, ABT_SLOT_SCRATCH1 + i, &disp[i]);
	/* Temps: the highest GPRs not named, never r0-r2. */
	for (k = 0; k < 2; k++) {
		if (!st.t[k])
			continue;
		assert_true(st.t[k] > 2);
		for (i = 0; i < n; i++)
			assert_false(abt_operand_gprs(rules[i], &f[i]) &
				     (1u << st.t[k]));
	}
	model_restore(&st, disp, state);

	magic = g->prof.magic_ea;
	put32(g, magic + g->prof.layout->off[ABT_SLOT_SCRATCH1], 0x11111111);
	put32(g, magic + g->prof.layout->off[ABT_SLOT_SCRATCH2], 0x22222222);
	put32(g, magic + g->prof.layout->off[ABT_SLOT_SCRATCH3], 0x33333333);
	for (i = 0; i < st.nwords; i++) {
		rec = &st.rec[i];
		assert_int_equal(rec->restore, state[i]);
		assert_true(rec->member < n);
		assert_true(rec->committed <= 1);
		/* Main path: progress never goes back; it starts at s_0. */
		if (!i) {
			assert_int_equal(rec->member, 0);
			assert_int_equal(rec->committed, 0);
		} else if (main_path) {
			assert_true(rec->member * 2 + rec->committed >=
				    st.rec[i - 1].member * 2 +
				    st.rec[i - 1].committed);
		}
		if (st.words[i] >> 26 == 18)
			main_path = false;
		/* A `b` back to the guest: past its member. */
		if (st.words[i] >> 26 == 18)
			assert_int_equal(b_target(s->stub + 4 * i,
						  st.words[i]),
					 pc + 4 * rec->member + 4);
		/* The original word in an exit path: redo from s_k. */
		if (i > 0 && st.words[i] == orig[rec->member] &&
		    i + 1 < st.nwords && st.words[i + 1] >> 26 == 18) {
			assert_int_equal(rec->committed, 0);
			assert_int_equal(rec->restore, 0);
		}

		for (r = 0; r < 32; r++)
			gpr[r] = 0xdead0000 + r;
		cr = 0xc0c0c0c0;
		got = abt_recover_pc(&g->rt, s->stub + 4 * i, gpr, &cr);
		want = pc + 4 * rec->member + (rec->committed ? 4 : 0);
		assert_int_equal(got, want);
		for (r = 0; r < 32; r++) {
			u32 v = 0xdead0000 + r;

			if (st.t[0] == r && (rec->restore & ABT_RESTORE_T0))
				v = 0x11111111;
			if (st.t[1] == r && r &&
			    (rec->restore & ABT_RESTORE_T1))
				v = 0x22222222;
			assert_int_equal(gpr[r], v);
		}
		assert_int_equal(cr, rec->restore & ABT_RESTORE_CR ?
				 0x33333333 : 0xc0c0c0c0);
	}
	assert_int_equal(g->rt.stats.recoveries - recoveries, st.nwords);
}

static void test_recover_branch(void **state)
{
	struct rig *g = *state;
	const u32 pc = CODE_BASE + 0x9000;
	u32 gpr[32] = { 0 }, cr = 0;

	need_stub(g, g->r_wrteei1);
	near_tc(g);
	put32(g, pc, W_WRTEEI(1));
	put32(g, pc + 4, W_ADD);
	assert_int_equal(abt_translate(&g->rt, pc), 0);
	check_recovery(g, pc, 1);
	/* Outside any stub: unchanged, nothing restored. */
	assert_int_equal(abt_recover_pc(&g->rt, pc, gpr, &cr), pc);
	assert_int_equal(abt_recover_pc(&g->rt, TC_BASE + 0x1000, gpr, &cr),
			 TC_BASE + 0x1000);
	assert_int_equal(gpr[31], 0);
	assert_int_equal(cr, 0);
}

static void test_recover_cluster(void **state)
{
	struct rig *g = *state;
	const u32 pc = CODE_BASE + 0xa000;
	const struct abt_site *s;

	need_shape(g, g->r_wrteei0, ABT_SHAPE_CLUSTER);
	near_tc(g);
	/* Members naming r12 and r11 push the temps down. */
	put32(g, pc, W_WRTEEI(0));
	put32(g, pc + 4, W_MFMSR(12));
	put32(g, pc + 8, W_MTSPRG0(11));
	put32(g, pc + 12, W_WRTEEI(1));
	put32(g, pc + 16, W_ADD);
	assert_int_equal(abt_translate(&g->rt, pc), 0);
	check_recovery(g, pc, 4);
	s = abt_site_find(&g->rt, pc);
	if (abt_rules[g->r_wrteei0].ntemps)
		assert_int_equal(g->rt.scratch.recover.st.t[0], 10);
	/* A member word rewritten later: recovery reads the original. */
	if (abt_rules[g->r_mfmsr].shape == ABT_SHAPE_INPLACE) {
		assert_int_equal(abt_translate(&g->rt, pc + 4), 0);
		check_recovery(g, pc, 4);
	}
	/* An exit inside the stub is attributed to the site. */
	abt_exit(&g->rt, s->stub + 4 * (s->stub_words - 2), W_WRTEEI(1));
	assert_int_equal(g->rt.stats.exits_in_tc, 1);
	assert_int_equal(s->exits, 1);
	assert_int_equal(abt_prof_count(&g->rt,
					s->stub + 4 * (s->stub_words - 2)), 0);
}

static void test_compose_errors(void **state)
{
	struct rig *g = *state;
	enum abt_rule rules[ABT_MAX_MEMBERS];
	struct abt_fields f[ABT_MAX_MEMBERS];
	u32 orig[ABT_MAX_MEMBERS];
	struct abt_stub st;
	int i;

	need_stub(g, g->r_wrteei1);
	for (i = 0; i < ABT_MAX_MEMBERS; i++) {
		orig[i] = W_WRTEEI(1);
		rules[i] = abt_decode(orig[i], &f[i]);
	}
	st.ea = TC_BASE;
	assert_int_equal(abt_stub_compose(&g->prof, CODE_BASE, rules, f, orig,
					  0, &st), -ABT_EINVAL);
	assert_int_equal(abt_stub_compose(&g->prof, CODE_BASE, rules, f, orig,
					  ABT_MAX_MEMBERS + 1, &st),
			 -ABT_EINVAL);
	/* Out of reach of the return target. */
	st.ea = FAR_BASE;
	assert_int_equal(abt_stub_compose(&g->prof, CODE_BASE, rules, f, orig,
					  1, &st), -ABT_ERANGE);
	/* A magic page the stub cannot address with d(0). */
	g->prof.magic_ea = 0x10000000;
	st.ea = TC_BASE;
	if (abt_rules[rules[0]].ntemps || abt_rules[rules[0]].uses_cr)
		assert_int_equal(abt_stub_compose(&g->prof, CODE_BASE, rules,
						  f, orig, 1, &st),
				 -ABT_ERANGE);
	assert_int_equal(abt_init(&g->rt, &g->prof, &fops, &g->port),
			 -ABT_ERANGE);
}

/* --- semantics: stubs against the reference emulator ------------------ */

/*
 * The generated reference emulator needs the port's helpers for the TLB
 * rules; the words run here never reach them.
 */
#include "test_helpers.h"
ABT_FOR_EACH_HELPER(TEST_NO_HELPER)

static u32 rotl32(u32 v, u32 n)
{
	return n ? v << n | v >> (32 - n) : v;
}

static u32 ppc_mask(u32 mb, u32 me)
{
	u32 a = ~0u >> mb, b = ~0u << (31 - me);

	return mb <= me ? a & b : a | b;
}

static void set_crf(struct abt_cpu *c, u32 bf, s32 a, s32 b)
{
	u32 f = a < b ? 8 : a > b ? 4 : 2;

	f |= c->xer >> 31;
	c->cr = (c->cr & ~(0xf0000000u >> 4 * bf)) | f << (28 - 4 * bf);
}

/*
 * One instruction of a stub or of guest code: the user-mode instructions
 * stub bodies use are interpreted here, anything else is a privileged
 * instruction that traps, and is emulated as the port would.
 */
static void step(struct rig *g, struct abt_cpu *c)
{
	u32 w = get32(g, c->pc), op = w >> 26, rs = w >> 21 & 31;
	u32 ra = w >> 16 & 31, rb = w >> 11 & 31, xo = w >> 1 & 1023;
	u32 mb = w >> 6 & 31, me = w >> 1 & 31, m, ea;
	s32 d = (s16)w;
	u32 *r = c->gpr, next = c->pc + 4;

	ea = (ra ? r[ra] : 0) + d;
	switch (op) {
	case 32:			/* lwz */
		r[rs] = get32(g, ea);
		break;
	case 36:			/* stw */
		put32(g, ea, r[rs]);
		break;
	case 24:			/* ori */
		r[ra] = r[rs] | (w & 0xffff);
		break;
	case 28:			/* andi. */
		r[ra] = r[rs] & (w & 0xffff);
		set_crf(c, 0, r[ra], 0);
		break;
	case 21:			/* rlwinm[.] */
		r[ra] = rotl32(r[rs], rb) & ppc_mask(mb, me);
		if (w & 1)
			set_crf(c, 0, r[ra], 0);
		break;
	case 20:			/* rlwimi[.] */
		m = ppc_mask(mb, me);
		r[ra] = (rotl32(r[rs], rb) & m) | (r[ra] & ~m);
		if (w & 1)
			set_crf(c, 0, r[ra], 0);
		break;
	case 11:			/* cmpwi */
		assert_int_equal(w >> 21 & 1, 0);
		set_crf(c, w >> 23 & 7, r[ra], d);
		break;
	case 16:			/* bc, no CTR forms, no AA/LK */
		assert_int_equal(w & 3, 0);
		assert_true(rs & 4);
		if ((rs & 16) || (c->cr >> (31 - ra) & 1) == (rs >> 3 & 1))
			next = c->pc + (s32)(s16)(w & 0xfffc);
		break;
	case 18:			/* b */
		next = b_target(c->pc, w);
		break;
	case 31:
		if (xo == 19) {			/* mfcr */
			r[rs] = c->cr;
			break;
		}
		if (xo == 144) {		/* mtcrf */
			for (m = 0; m < 8; m++) {
				u32 fm = 0xf0000000u >> 4 * m;

				if (w >> (12 + 7 - m) & 1)
					c->cr = (c->cr & ~fm) | (r[rs] & fm);
			}
			break;
		}
		if (xo == 316) {		/* xor[.] */
			r[ra] = r[rs] ^ r[rb];
			if (w & 1)
				set_crf(c, 0, r[ra], 0);
			break;
		}
		/* fall through - privileged */
	default:
		abt_exit(&g->rt, c->pc, w);
		if (abt_emulate(c, w) != ABT_EMULATE_DONE)
			fail_msg("emulate %08x at %08x", w, c->pc);
		return;
	}
	c->pc = next;
}

static u32 lcg(u32 *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8 ^ *seed << 13;
}

struct snap {
	struct abt_cpu c;
	u8 magic[0x1000];
};

static u8 *magic_mem(struct rig *g)
{
	return fmem(&g->port, g->prof.magic_ea & ~0xfffu, 0x1000);
}

static void snap_take(struct rig *g, const struct abt_cpu *c, struct snap *s)
{
	const u16 *off = g->prof.layout->off;
	int i;

	s->c = *c;
	memcpy(s->magic, magic_mem(g), 0x1000);
	/* The scratch slots are the stubs' own: not guest state. */
	for (i = ABT_SLOT_SCRATCH1; i <= ABT_SLOT_SCRATCH3; i++)
		memset(s->magic + ((g->prof.magic_ea + off[i]) & 0xfff), 0, 4);
}

static void snap_load(struct rig *g, struct abt_cpu *c, const struct snap *s)
{
	*c = s->c;
	c->magic = magic_mem(g);
	memcpy(c->magic, s->magic, 0x1000);
}

static void assert_same(const struct snap *a, const struct snap *b)
{
	assert_memory_equal(a->c.gpr, b->c.gpr, sizeof(a->c.gpr));
	assert_int_equal(a->c.pc, b->c.pc);
	assert_int_equal(a->c.cr, b->c.cr);
	assert_memory_equal(a->magic, b->magic, 0x1000);
}

/* Run guest code from c->pc to `end`; interrupt before step `irq`. */
static int run_to(struct rig *g, struct abt_cpu *c, u32 end, int irq,
		  u32 seed)
{
	const u16 *off = g->prof.layout->off;
	int n, i;

	for (n = 0; c->pc != end; n++) {
		assert_true(n < 1000);
		if (n == irq) {
			c->pc = abt_recover_pc(&g->rt, c->pc, c->gpr, &c->cr);
			assert_false(abt_in_tc(&g->rt, c->pc));
			/* The handler may run stubs of its own. */
			for (i = ABT_SLOT_SCRATCH1; i <= ABT_SLOT_SCRATCH3; i++)
				put32(g, g->prof.magic_ea + off[i],
				      lcg(&seed));
			if (c->pc == end)
				break;
		}
		step(g, c);
	}
	return n;
}

static void check_semantics(struct rig *g, const u32 *words, int n,
			    u32 seed)
{
	const u32 pc = CODE_BASE + 0xb000, end = pc + 4 * n;
	struct snap *init = malloc(sizeof(*init));
	struct snap *want = malloc(sizeof(*want));
	struct snap *got = malloc(sizeof(*got));
	struct abt_cpu c;
	int i, k, steps, irq;
	u32 msr_off = (g->prof.magic_ea +
		       g->prof.layout->off[ABT_SLOT_msr]) & 0xfff;
	u32 ip_off = (g->prof.magic_ea +
		      g->prof.layout->off[ABT_SLOT_int_pending]) & 0xfff;

	for (i = 0; i < n; i++)
		put32(g, pc + 4 * i, words[i]);
	put32(g, end, W_ADD);
	memset(&c, 0, sizeof(c));
	c.layout = g->prof.layout;
	c.magic = magic_mem(g);
	for (k = 0; k < 32; k++) {
		/* A random guest state; EE and int_pending both ways. */
		for (i = 0; i < 32; i++)
			c.gpr[i] = lcg(&seed);
		c.cr = lcg(&seed);
		c.xer = lcg(&seed) & 0x80000000u;
		c.pc = pc;
		for (i = 0; i < 0x1000; i += 4)
			abt_put_be32(c.magic + i, lcg(&seed));
		abt_put_be32(c.magic + msr_off, lcg(&seed) & 0x00029000u);
		abt_put_be32(c.magic + ip_off, k & 1);
		snap_take(g, &c, init);

		/* Reference: the original words, emulated. */
		snap_load(g, &c, init);
		abt_untranslate_all(&g->rt);
		run_to(g, &c, end, -1, seed);
		snap_take(g, &c, want);

		/* Translated, without and with an interrupt at each step. */
		assert_int_equal(abt_translate(&g->rt, pc), 0);
		snap_load(g, &c, init);
		steps = run_to(g, &c, end, -1, seed);
		snap_take(g, &c, got);
		assert_same(got, want);
		for (irq = 0; irq <= steps; irq++) {
			snap_load(g, &c, init);
			run_to(g, &c, end, irq, seed + irq);
			snap_take(g, &c, got);
			assert_same(got, want);
		}
	}
	free(init);
	free(want);
	free(got);
}

static void test_semantics(void **state)
{
	struct rig *g = *state;
	const u32 w_wrtee = 0x7c000106u | 5 << 21;	/* wrtee r5 */
	const u32 w_mtmsr = 0x7c000124u | 6 << 21;	/* mtmsr r6 */
	const u32 seqs[][5] = {
		{ W_WRTEEI(1) },
		{ W_WRTEEI(0), W_MFMSR(31), W_MTSPRG0(30), W_WRTEEI(1) },
		{ W_MFMSR(3), W_WRTEEI(1), W_WRTEEI(0) },
		{ w_wrtee, W_MFMSR(29), w_mtmsr },
		{ w_mtmsr, W_WRTEEI(1), W_MFMSR(6), w_wrtee },
	};
	int lens[] = { 1, 4, 3, 3, 4 };
	u32 i;

	need_stub(g, g->r_wrteei1);
	g->prof.enabled[decode(w_wrtee)] = 1;
	g->prof.enabled[decode(w_mtmsr)] = 1;
	g->prof.cluster_max = 8;
	g->prof.threshold = 1u << 30;	/* only explicit translation */
	near_tc(g);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		check_semantics(g, seqs[i], lens[i], 1234 + i);
	assert_true(g->rt.stats.recoveries > 0);
	assert_true(g->rt.stats.exits_in_tc > 0);
}


/* ------------------------------------------------------------------ memory
 * features, on the fake port: defaults, the resizing cost model, mirroring
 * and its coherence rules. (End to end in Unicorn: tests/test_mem.c.)
 */
#define W_LWZ(rt, d, ra)	(0x80000000u | (u32)(rt) << 21 | \
				 (u32)(ra) << 16 | ((d) & 0xffff))
#define W_STW(rs, d, ra)	(0x90000000u | (u32)(rs) << 21 | \
				 (u32)(ra) << 16 | ((d) & 0xffff))

static int n_split, n_merge;

static int f_split(void *port, u32 ea, u32 size)
{
	n_split++;
	return 0;
}

static int f_merge(void *port, u32 ea, u32 size)
{
	n_merge++;
	return 0;
}

static const struct abt_port_ops fops_resize = {
	.read = f_read,
	.write = f_write,
	.flush_icache = f_flush,
	.set_page_perm = f_perm,
	.split_mapping = f_split,
	.merge_mapping = f_merge,
};

static void test_mem_defaults(void **state)
{
	struct rig *g = *state;
	u8 b[4] = { 1, 2, 3, 4 };

	/* off after abt_init; nothing the port cannot do */
	assert_int_equal(g->rt.features, 0);
	assert_int_equal(abt_set_features(&g->rt, ABT_FEAT_ALL), 0);
	assert_int_equal(abt_mirror_add_region(&g->rt, MID_BASE, MID_SIZE), 0);
	assert_int_equal(abt_set_features(&g->rt, ABT_FEAT_ALL),
			 ABT_FEAT_MIRROR | ABT_FEAT_STEAL);
	/* a region may not overlap another one */
	assert_int_equal(abt_mirror_add_region(&g->rt, MID_BASE, 16),
			 -ABT_EBUSY);
	/* not the runtime's DSI */
	assert_int_equal(abt_dsi(&g->rt, CODE_BASE, CODE_BASE + 0x800, 4,
				 false, b), ABT_DSI_FAULT);
	assert_int_equal(abt_dsi(&g->rt, CODE_BASE, CODE_BASE, 0, false, b),
			 -ABT_EINVAL);
	assert_int_equal(abt_access_class(&g->rt, 0, CODE_BASE, 4),
			 ABT_ACC_FREE);
}

/* A port that cannot complete a false-DSI access splits at once. */
static void test_mem_guest_split(void **state)
{
	struct rig *g = *state;
	u32 site = CODE_BASE + 0x100, data = CODE_BASE + 0x5000;

	g->rt.ops = &fops_resize;
	n_split = n_merge = 0;
	assert_int_equal(abt_guest_map(&g->rt, 0, 64u << 20, 0, 0), 0);
	put32(g, site, W_MFMSR(3));
	assert_int_equal(abt_translate(&g->rt, site), 0);
	/* RESIZE off: refused */
	assert_int_equal(abt_guest_split(&g->rt, data), -ABT_EINVAL);
	assert_int_equal(abt_set_features(&g->rt, ABT_FEAT_RESIZE),
			 ABT_FEAT_RESIZE);
	assert_int_equal(abt_guest_split(&g->rt, 128u << 20), -ABT_ENOENT);
	assert_int_equal(abt_access_class(&g->rt, 0, data, 4), ABT_ACC_FALSE);
	assert_int_equal(abt_guest_split(&g->rt, data), 0);
	assert_int_equal(n_split, 1);
	assert_int_equal(g->rt.stats.splits, 1);
	assert_int_equal(abt_access_class(&g->rt, 0, data, 4), ABT_ACC_FREE);
	/* already split: nothing more */
	assert_int_equal(abt_guest_split(&g->rt, data), 0);
	assert_int_equal(n_split, 1);
	/* the last patch going merges it back */
	assert_int_equal(abt_untranslate(&g->rt, site), 0);
	assert_int_equal(n_merge, 1);
}

static void test_mem_resize_cost(void **state)
{
	struct rig *g = *state;
	u32 site = CODE_BASE + 0x100, data = CODE_BASE + 0x5000, i;
	u8 b[4] = { 0 };

	g->rt.ops = &fops_resize;
	n_split = n_merge = 0;
	assert_int_equal(abt_set_features(&g->rt, ABT_FEAT_RESIZE),
			 ABT_FEAT_RESIZE);
	assert_int_equal(abt_guest_map(&g->rt, 0, 64u << 20, 0, 0), 0);
	put32(g, site, W_MFMSR(3));
	assert_int_equal(abt_translate(&g->rt, site), 0);
	assert_true(abt_page_traced(&g->rt, site));
	assert_int_equal(abt_map_find(&g->rt, data)->traced, 1);
	/* untraced page of a restricted mapping: false DSIs, then a split */
	assert_int_equal(abt_access_class(&g->rt, 0, data, 4), ABT_ACC_FALSE);
	for (i = 0; i < g->rt.split_min; i++)
		assert_int_equal(abt_dsi(&g->rt, 0, data, 4, false, b),
				 ABT_DSI_ACCESS);
	assert_int_equal(n_split, 1);
	assert_int_equal(g->rt.stats.splits, 1);
	assert_int_equal(abt_access_class(&g->rt, 0, data, 4), ABT_ACC_FREE);
	assert_int_equal(abt_dsi(&g->rt, 0, data, 4, false, b),
			 ABT_DSI_FAULT);
	/* cheap misses: a window passes, the split stays */
	abt_tlb_miss(&g->rt, data, 2);
	abt_tick(&g->rt, g->rt.resize_window);
	assert_int_equal(n_merge, 0);
	/* the saved DSIs were split_min per a few ticks: the rate is high;
	 * misses beyond rate * cost_dsi / cost_miss in a window merge it */
	abt_tlb_miss(&g->rt, data, abt_map_find(&g->rt, data)->saved_rate *
		     g->rt.cost_dsi / g->rt.cost_miss + 1);
	abt_tick(&g->rt, g->rt.resize_window);
	assert_int_equal(n_merge, 1);
	assert_int_equal(g->rt.stats.merges_cost, 1);
	assert_int_equal(abt_access_class(&g->rt, 0, data, 4), ABT_ACC_FALSE);
	/* split again; the last patch going merges at once */
	for (i = 0; i < g->rt.split_min; i++)
		abt_dsi(&g->rt, 0, data, 4, false, b);
	assert_int_equal(n_split, 2);
	assert_int_equal(abt_untranslate(&g->rt, site), 0);
	assert_int_equal(n_merge, 2);
	assert_int_equal(g->rt.stats.merges, 2);
	assert_int_equal(abt_map_find(&g->rt, data)->traced, 0);
	/* no mapping: no false DSIs */
	abt_guest_unmap(&g->rt, 0, 64u << 20);
	assert_int_equal(abt_nmaps(&g->rt), 0);
}

/* A page read over and over gives its patches up after read_burst loads,
 * except loads from a PC that may still be mirrored. */
static void test_mem_read_burst(void **state)
{
	struct rig *g = *state;
	u32 site = CODE_BASE + 0x100, ld = CODE_BASE + 0x2200, i;
	u8 b[4];

	assert_int_equal(abt_tc_add_region(&g->rt, TC_BASE, TC_SIZE), 0);
	put32(g, site, W_MFMSR(3));
	assert_int_equal(abt_translate(&g->rt, site), 0);
	/* off (0, after abt_init): the page keeps its patch */
	for (i = 0; i < 100; i++)
		assert_int_equal(abt_dsi(&g->rt, ld, site, 4, false, b),
				 ABT_DSI_READ);
	assert_int_equal(abt_be32(b), W_MFMSR(3));
	assert_non_null(abt_site_find(&g->rt, site));
	assert_int_equal(g->rt.stats.read_bursts, 0);
	/* on: the (read_burst + 1)th load drops it, the page is free */
	abt_set_read_burst(&g->rt, 5);
	for (i = 0; i < 5; i++)
		abt_dsi(&g->rt, ld, CODE_BASE + 4 * i, 4, false, b);
	assert_non_null(abt_site_find(&g->rt, site));
	assert_int_equal(abt_dsi(&g->rt, ld, CODE_BASE, 4, false, b),
			 ABT_DSI_READ);
	assert_null(abt_site_find(&g->rt, site));
	assert_false(abt_page_traced(&g->rt, site));
	assert_int_equal(get32(g, site), W_MFMSR(3));
	assert_int_equal(g->rt.stats.read_bursts, 1);
	assert_int_equal(g->rt.stats.burst_drops, 1);
	assert_int_equal(g->rt.stats.trace_writes, 0);
	/* patched again: the count starts afresh */
	assert_int_equal(abt_translate(&g->rt, site), 0);
	for (i = 0; i < 5; i++)
		abt_dsi(&g->rt, ld, CODE_BASE, 4, false, b);
	assert_non_null(abt_site_find(&g->rt, site));
	/* with mirroring, loads of a PC still under watch do not count */
	assert_int_equal(abt_mirror_add_region(&g->rt, MID_BASE, MID_SIZE), 0);
	assert_int_equal(abt_set_features(&g->rt, ABT_FEAT_MIRROR),
			 ABT_FEAT_MIRROR);
	g->rt.mirror_threshold = 1000;
	for (i = 0; i < 100; i++)
		abt_dsi(&g->rt, ld, CODE_BASE, 4, false, b);
	assert_non_null(abt_site_find(&g->rt, site));
	assert_int_equal(g->rt.stats.read_bursts, 1);
	/* a PC walking the page (a copy) is refused once it spans more
	 * than mirror_span bytes, and its loads count from then on */
	for (i = 0; 4 * i <= g->rt.mirror_span; i++)
		abt_dsi(&g->rt, ld + 4, CODE_BASE + 4 * i, 4, false, b);
	assert_int_equal(g->rt.stats.mirror_refused, 1);
	/* the page had 5 counted loads: the refused one is the 6th */
	assert_null(abt_site_find(&g->rt, site));
	assert_int_equal(g->rt.stats.read_bursts, 2);
	assert_int_equal(g->rt.stats.mirrors, 0);
}

/* A steal hint under a writable guest mapping waits until the guest maps
 * it read-only (Linux does so at the end of boot). */
static void test_mem_steal_writable(void **state)
{
	struct rig *g = *state;
	const u32 pc = CODE_BASE + 0x2000, ro = CODE_BASE + 0x8000;
	const struct abt_site *s;
	u8 b[4];
	u32 i;

	need_stub(g, g->r_wrteei1);
	put32(g, pc, W_WRTEEI(1));
	put32(g, pc + 4, W_ADD);
	put32(g, ro + 0x10, 0x12345678);
	assert_int_equal(abt_mirror_add_region(&g->rt, MID_BASE, MID_SIZE), 0);
	assert_int_equal(abt_set_features(&g->rt, ABT_FEAT_STEAL),
			 ABT_FEAT_STEAL);
	assert_int_equal(abt_steal_hint(&g->rt, ro, 0x1000), 0);
	assert_int_equal(abt_guest_map(&g->rt, 0, 64u << 20, 0,
				       ABT_MAP_WRITABLE), 0);
	/* no TC region, the only hint mapped writable: the site stays and
	 * is not tried again on every exit */
	for (i = 1; i < g->rt.prof->threshold; i++)
		assert_int_equal(abt_exit(&g->rt, pc, W_WRTEEI(1)),
				 ABT_EXIT_EMULATE);
	for (i = 0; i < 10; i++)
		assert_int_equal(abt_exit(&g->rt, pc, W_WRTEEI(1)),
				 ABT_EXIT_EMULATE);
	assert_int_equal(g->rt.stats.translate_fail, 1);
	assert_int_equal(g->rt.stats.steal_writable, 1);
	assert_int_equal(g->rt.stats.tc_stolen_bytes, 0);
	assert_int_equal(get32(g, pc), W_WRTEEI(1));
	/* a writable mapping again: still nothing to retry for */
	assert_int_equal(abt_guest_map(&g->rt, 0, 64u << 20, 0,
				       ABT_MAP_WRITABLE), 0);
	assert_int_equal(g->rt.stats.notc_retries, 0);
	/* the same mapping read-only: the next exit steals the hint and
	 * puts the stub there */
	assert_int_equal(abt_guest_map(&g->rt, 0, 64u << 20, 0, 0), 0);
	assert_int_equal(g->rt.stats.notc_retries, 1);
	assert_int_equal(abt_exit(&g->rt, pc, W_WRTEEI(1)),
			 ABT_EXIT_TRANSLATED);
	s = abt_site_find(&g->rt, pc);
	assert_non_null(s);
	assert_true(s->stub - ro < 0x1000);
	assert_int_equal(g->rt.stats.tc_stolen_bytes, 0x1000);
	assert_int_equal(g->rt.stats.steal_writable, 1);
	/* the guest still reads its own bytes there */
	assert_int_equal(abt_dsi(&g->rt, pc + 8, ro + 0x10, 4, false, b),
			 ABT_DSI_READ);
	assert_int_equal(abt_be32(b), 0x12345678);
	assert_int_equal(g->rt.stats.stolen_reads, 1);
}

static void test_mem_mirror(void **state)
{
	struct rig *g = *state;
	u32 site = CODE_BASE + 0x100, ld = CODE_BASE + 0x200;
	u32 data = CODE_BASE + 0x400, i, w;
	const struct abt_site *s;
	const struct abt_mirror *m;
	u8 b[4], v[4] = { 0xca, 0xfe, 0xba, 0xbe };

	assert_int_equal(abt_tc_add_region(&g->rt, TC_BASE, TC_SIZE), 0);
	assert_int_equal(abt_mirror_add_region(&g->rt, MID_BASE, MID_SIZE), 0);
	assert_int_equal(abt_set_features(&g->rt, ABT_FEAT_MIRROR),
			 ABT_FEAT_MIRROR);
	put32(g, site, W_MFMSR(3));
	put32(g, ld, W_LWZ(5, 0x400, 0));	/* lwz r5,0x400(0)... */
	put32(g, ld, W_LWZ(5, 0, 6));		/* lwz r5,0(r6) */
	put32(g, data, 0x11223344);
	assert_int_equal(abt_translate(&g->rt, site), 0);
	/* DSIs from ld: served with the original bytes, counted */
	for (i = 0; i + 1 < g->rt.mirror_threshold; i++) {
		assert_int_equal(abt_dsi(&g->rt, ld, data, 4, false, b),
				 ABT_DSI_READ);
		assert_int_equal(abt_be32(b), 0x11223344);
	}
	assert_null(abt_mirror_find(&g->rt, data));
	assert_int_equal(abt_dsi(&g->rt, ld, data, 4, false, b), ABT_DSI_READ);
	/* hot: mirrored, ld rewritten to a branch to its stub */
	m = abt_mirror_find(&g->rt, data);
	assert_non_null(m);
	assert_int_equal(m->kind, ABT_MIRROR_DATA);
	assert_true(m->mirror_ea - MID_BASE < MID_SIZE);
	s = abt_site_find(&g->rt, ld);
	assert_non_null(s);
	assert_int_not_equal(s->mirror, 0);
	assert_int_equal(s->orig, W_LWZ(5, 0, 6));
	assert_int_equal(get32(g, ld) >> 26, 18);	/* b */
	assert_int_equal(abt_access_class(&g->rt, ld, data, 4),
			 ABT_ACC_MIRRORED);
	assert_int_equal(abt_access_class(&g->rt, site, data, 4),
			 ABT_ACC_TRACED);
	/* the stub's access, with 0(t0) instead of 0(r6) */
	assert_int_equal(get32(g, s->stub + 4 * 14) & 0xfc00ffffu,
			 W_LWZ(0, 0, 0));
	/* a trapped store from another PC: original and mirror */
	assert_int_equal(abt_dsi(&g->rt, site + 8, data + 1, 2, true, v),
			 ABT_DSI_WRITE);
	assert_int_equal(g->rt.stats.mirror_writes, 1);
	put32(g, data, 0x11cafe44);	/* the port performs the store */
	assert_int_equal(get32(g, m->mirror_ea), 0x11cafe44);
	/* the mirror is authoritative: a stub store lands there only */
	put32(g, m->mirror_ea, 0x55667788);
	assert_int_equal(abt_trace_read(&g->rt, data, b, 4), 0);
	assert_int_equal(abt_be32(b), 0x55667788);
	/* code is never mirrored; patches never go into a mirrored range */
	put32(g, data + 4, W_MFMSR(4));
	assert_int_equal(abt_translate(&g->rt, data + 4), -ABT_EBUSY);
	w = m->mirror_ea;
	/* a store whose bytes the port does not have (dcbz): the mirror is
	 * dissolved first, its access unpatched, the bytes copied back */
	assert_int_equal(abt_dsi(&g->rt, site + 8, data & ~31u, 32, true,
				 NULL), ABT_DSI_WRITE);
	assert_null(abt_mirror_find(&g->rt, data));
	assert_null(abt_site_find(&g->rt, ld));
	assert_int_equal(get32(g, data), 0x55667788);
	assert_int_equal(get32(g, ld), W_LWZ(5, 0, 6));
	/* hot again: mirrored again, in the space freed */
	for (i = 0; i < g->rt.mirror_threshold; i++)
		abt_dsi(&g->rt, ld, data, 4, false, b);
	m = abt_mirror_find(&g->rt, data);
	assert_non_null(m);
	assert_int_equal(m->mirror_ea, w);
	assert_int_equal(g->rt.stats.mirrors, 2);
	/* the last rewritten access goes: the mirror is copied back */
	put32(g, m->mirror_ea, 0x01020304);
	assert_int_equal(abt_untranslate(&g->rt, ld), 0);
	assert_null(abt_mirror_find(&g->rt, data));
	assert_int_equal(get32(g, data), 0x01020304);
	assert_int_equal(get32(g, ld), W_LWZ(5, 0, 6));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, rig_setup, rig_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_prof_threshold),
		T(test_prof_disabled_and_unknown),
		T(test_prof_word_change),
		T(test_prof_decay),
		T(test_prof_evict),
		T(test_tc_regions),
		T(test_tc_fragmentation),
		T(test_tc_reach),
		T(test_tc_nearest),
		T(test_patch_inplace),
		T(test_patch_branch),
		T(test_patch_cluster),
		T(test_patch_refusal),
		T(test_patch_table_full),
		T(test_trace_perm),
		T(test_trace_read),
		T(test_trace_write),
		T(test_recover_branch),
		T(test_recover_cluster),
		T(test_compose_errors),
		T(test_semantics),
		T(test_mem_defaults),
		T(test_mem_guest_split),
		T(test_mem_resize_cost),
		T(test_mem_read_burst),
		T(test_mem_steal_writable),
		T(test_mem_mirror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
