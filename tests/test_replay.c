// SPDX-License-Identifier: GPL-2.0
/*
 * abt-replay core (tools/abt-replay/replay.c) on small synthetic profiles
 * written with the abtp writer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "replay.h"

#define PAGE_A		0xc0010000u
#define PAGE_B		0xc0011000u
#define W_MFMSR		0x7c6000a6u	/* mfmsr r3: PV and abt (inplace) */
#define W_BUCSR		0x7c75fba6u	/* mtspr BUCSR, r3: abt only */
#define W_RFI		0x4c000064u	/* rfi: never translated */
#define W_WRTEEI0	0x7c000146u	/* cluster rules */
#define W_WRTEEI1	0x7c008146u
#define W_NOP		0x60000000u

struct prof {
	char path[64];
	struct abtp_writer *w;
	u64 icount;
};

static void prof_begin(struct prof *p, const char *guest)
{
	char err[256];

	snprintf(p->path, sizeof(p->path), "/tmp/test_replay.%d.abtp",
		 (int)getpid());
	p->w = abtp_create(p->path, guest, "synthetic", "", err, sizeof(err));
	assert_non_null(p->w);
	p->icount = 0;
}

/* A page of nops with the given words at the given offsets. */
static void prof_page(struct prof *p, u32 ea, const u32 *off_word, int n)
{
	struct abtp_page *pg = calloc(1, sizeof(*pg));
	int i;

	assert_non_null(pg);
	pg->ea = ea;
	for (i = 0; i < ABTP_PAGE_WORDS; i++)
		abtp_page_set(pg, i, W_NOP);
	for (i = 0; i < n; i++)
		abtp_page_set(pg, off_word[2 * i] / 4, off_word[2 * i + 1]);
	assert_int_equal(abtp_add_page(p->w, pg), 0);
	free(pg);
}

static void ev_exec(struct prof *p, u32 pc, u32 word)
{
	struct abtp_event ev = { .icount = p->icount++, .pc = pc,
				 .word = word, .kind = ABTP_EV_EXEC };

	assert_int_equal(abtp_add_event(p->w, &ev), 0);
}

static void ev_access(struct prof *p, u32 pc, u32 ea, bool store)
{
	struct abtp_event ev = { .icount = p->icount++, .pc = pc, .ea = ea,
				 .size = 4,
				 .kind = store ? ABTP_EV_STORE : ABTP_EV_LOAD };

	assert_int_equal(abtp_add_event(p->w, &ev), 0);
}

/* tlbwe of TLB1 entry esel: EA -> same PA, size 1 KiB << tsize. */
static void ev_tlb1(struct prof *p, u32 esel, u32 ea, u32 tsize, bool v)
{
	struct abtp_event ev = {
		.icount = p->icount++, .pc = 0xc0000000u,
		.word = (1u << 28) | (esel << 16),
		.ea = ea, .mas1 = (v ? 0x80000000u : 0) | 0x40000000u | (tsize << 7),
		.mas3 = (ea & 0x0fffffffu) | 0x3f, .kind = ABTP_EV_TLB1,
	};

	assert_int_equal(abtp_add_event(p->w, &ev), 0);
}

static struct replay *prof_run(struct prof *p)
{
	char err[256];
	struct replay *r = calloc(1, sizeof(*r));

	assert_int_equal(abtp_finish(p->w, err, sizeof(err)), 0);
	assert_non_null(r);
	r->policies = RP_ALL_POLICIES;
	replay_default_costs(&r->costs);
	if (replay_run(r, p->path))
		fail_msg("replay_run: %s", r->err);
	unlink(p->path);
	return r;
}

static void done(struct replay *r)
{
	replay_free(r);
	free(r);
}

static const struct rp_pol *pol(const struct replay *r, int kind)
{
	int q;

	for (q = 0; q < r->npol; q++)
		if (r->pol[q].kind == kind)
			return &r->pol[q];
	fail_msg("no policy %d", kind);
	return NULL;
}

static void test_stock_exits_are_exec_events(void **state)
{
	static const u32 w[] = { 0x100, W_MFMSR, 0x104, W_BUCSR, 0x108, W_RFI };
	struct prof p;
	struct replay *r;
	int i;

	prof_begin(&p, "linux-test");
	prof_page(&p, PAGE_A, w, 3);
	for (i = 0; i < 100; i++) {
		ev_exec(&p, PAGE_A + 0x100, W_MFMSR);
		ev_exec(&p, PAGE_A + 0x104, W_BUCSR);
		ev_exec(&p, PAGE_A + 0x108, W_RFI);
		ev_access(&p, PAGE_A + 0x10c, PAGE_B + 8, false);
	}
	r = prof_run(&p);
	assert_int_equal(r->nexec, 300);
	assert_int_equal(r->nevents, 400);
	assert_int_equal(pol(r, RP_STOCK)->exits, 300);
	assert_int_equal(pol(r, RP_STOCK)->exits_rule[ABT_RULE_mfmsr], 100);
	assert_int_equal(pol(r, RP_STOCK)->exits_rule[ABT_RULE_rfi], 100);
	assert_int_equal(r->nsites, 3);
	done(r);
}

static void test_abt_removes_repeated_exits(void **state)
{
	static const u32 w[] = { 0x200, W_MFMSR, 0x300, W_RFI };
	struct prof p;
	struct replay *r;
	const struct rp_pol *a;
	u32 th;
	int i;

	prof_begin(&p, "linux-test");
	prof_page(&p, PAGE_A, w, 2);
	for (i = 0; i < 1000; i++) {
		ev_exec(&p, PAGE_A + 0x200, W_MFMSR);
		ev_exec(&p, PAGE_A + 0x300, W_RFI);
	}
	r = prof_run(&p);
	th = r->prof.threshold;
	assert_true(th > 1 && th < 1000);
	for (i = RP_ABT; i < RP_NPOL; i++) {
		a = pol(r, i);
		/* mfmsr exits until it is translated, then never again;
		 * rfi (trap shape) always exits */
		assert_int_equal(a->exits_rule[ABT_RULE_mfmsr], th);
		assert_int_equal(a->exits_rule[ABT_RULE_rfi], 1000);
		assert_int_equal(a->st.translations[ABT_SHAPE_INPLACE], 1);
		assert_int_equal(a->free_execs, 1000 - th);
	}
	assert_int_equal(pol(r, RP_STOCK)->exits, 2000);
	/* time: exits x cost, plus one instruction per patched execution */
	a = pol(r, RP_ABT);
	assert_true(a->t_silicon_us > (th + 1000) * 1.0 - 1e-6 &&
		    a->t_silicon_us < (th + 1000) * 1.0 + 1000 * 0.01);
	done(r);
}

static void test_store_to_traced_page_drops_patch(void **state)
{
	static const u32 w[] = { 0x200, W_MFMSR };
	struct prof p;
	struct replay *r;
	const struct rp_pol *a;
	u32 th;
	int i;

	prof_begin(&p, "linux-test");
	prof_page(&p, PAGE_A, w, 1);
	for (i = 0; i < 100; i++)
		ev_exec(&p, PAGE_A + 0x200, W_MFMSR);
	ev_access(&p, PAGE_A + 0x400, PAGE_A + 0x800, false);	/* load */
	for (i = 0; i < 100; i++)
		ev_exec(&p, PAGE_A + 0x200, W_MFMSR);
	ev_access(&p, PAGE_A + 0x400, PAGE_A + 0x200, true);	/* store */
	for (i = 0; i < 100; i++)
		ev_exec(&p, PAGE_A + 0x200, W_MFMSR);
	r = prof_run(&p);
	th = r->prof.threshold;
	a = pol(r, RP_ABT);
	assert_int_equal(a->dsi_traced_r, 1);
	assert_int_equal(a->dsi_traced_w, 1);
	assert_int_equal(a->st.untranslations, 1);
	/* the load kept the patch; the store dropped it, the site counted
	 * again and was patched again */
	assert_int_equal(a->exits, 2 * th);
	assert_int_equal(a->st.translations[ABT_SHAPE_INPLACE], 2);
	/* stock and pv: no tracing, no DSIs */
	assert_int_equal(pol(r, RP_STOCK)->dsi_traced_w, 0);
	assert_int_equal(pol(r, RP_PV)->exits, 0);
	done(r);
}

static void test_pv_only_removes_its_set(void **state)
{
	static const u32 w[] = { 0x100, W_MFMSR, 0x104, W_BUCSR, 0x108, W_RFI,
				 0x10c, W_WRTEEI1 };
	struct prof p;
	struct replay *r;
	const struct rp_pol *v;
	int i;

	prof_begin(&p, "linux-test");
	prof_page(&p, PAGE_A, w, 4);
	for (i = 0; i < 50; i++) {
		ev_exec(&p, PAGE_A + 0x100, W_MFMSR);
		ev_exec(&p, PAGE_A + 0x104, W_BUCSR);
		ev_exec(&p, PAGE_A + 0x108, W_RFI);
		ev_exec(&p, PAGE_A + 0x10c, W_WRTEEI1);
	}
	r = prof_run(&p);
	v = pol(r, RP_PV);
	assert_int_equal(v->exits, 100);	/* BUCSR and rfi */
	assert_int_equal(v->exits_rule[ABT_RULE_mtspr_bucsr], 50);
	assert_int_equal(v->exits_rule[ABT_RULE_rfi], 50);
	assert_int_equal(v->exits_rule[ABT_RULE_mfmsr], 0);
	assert_int_equal(v->exits_rule[ABT_RULE_wrteei1], 0);
	/* abt does translate BUCSR */
	assert_true(pol(r, RP_ABT)->exits_rule[ABT_RULE_mtspr_bucsr] < 50);
	done(r);

	/* --pv-from: before that icount PV is stock */
	prof_begin(&p, "linux-test");
	prof_page(&p, PAGE_A, w, 4);
	for (i = 0; i < 50; i++)
		ev_exec(&p, PAGE_A + 0x100, W_MFMSR);
	assert_int_equal(abtp_finish(p.w, NULL, 0), 0);
	r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->policies = 1u << RP_PV;
	r->pv_from = 20;
	replay_default_costs(&r->costs);
	assert_int_equal(replay_run(r, p.path), 0);
	unlink(p.path);
	assert_int_equal(pol(r, RP_PV)->exits, 20);
	done(r);
}

static void test_pv_set(void **state)
{
	/* Linux 6.1 kvm_check_ins on e500 */
	assert_true(replay_pv_cost(0x7fe000a6u));	/* mfmsr r31 */
	assert_true(replay_pv_cost(0x7c7042a6u));	/* mfspr r3, SPRG0 */
	assert_true(replay_pv_cost(0x7c7343a6u));	/* mtspr SPRG3, r3 */
	assert_true(replay_pv_cost(0x7c7a02a6u));	/* mfspr r3, SRR0 */
	assert_true(replay_pv_cost(0x7c709ba6u));	/* mtspr MAS0, r3 */
	assert_true(replay_pv_cost(0x7c7e42a6u));	/* mfspr r3, PIR */
	assert_true(replay_pv_cost(0x7c600124u));	/* mtmsr r3 */
	assert_true(replay_pv_cost(0x7c600106u));	/* wrtee r3 */
	assert_true(replay_pv_cost(W_WRTEEI0));
	assert_true(replay_pv_cost(W_WRTEEI1));
	assert_true(replay_pv_cost(0x7c00046cu));	/* tlbsync */
	assert_false(replay_pv_cost(0x7c7e43a6u));	/* mtspr PIR: not */
	assert_false(replay_pv_cost(0x7c700ba6u));	/* mtspr PID: not */
	assert_false(replay_pv_cost(W_BUCSR));
	assert_false(replay_pv_cost(W_RFI));
	assert_false(replay_pv_cost(0x7c0007a4u));	/* tlbwe */
	assert_false(replay_pv_cost(0x7c0002a6u | (5u << 21) | (22u << 16)));	/* mfspr DEC */
	assert_false(replay_pv_cost(0x7c6000a7u));	/* mfmsr. (Rc=1) */
}

static void test_cluster_members_free(void **state)
{
	static const u32 w[] = { 0x100, W_WRTEEI0, 0x104, W_MFMSR,
				 0x108, W_WRTEEI1 };
	struct prof p;
	struct replay *r;
	const struct rp_pol *a;
	int i;

	prof_begin(&p, "linux-test");
	prof_page(&p, PAGE_A, w, 3);
	for (i = 0; i < 200; i++) {
		ev_exec(&p, PAGE_A + 0x100, W_WRTEEI0);
		ev_exec(&p, PAGE_A + 0x104, W_MFMSR);
		ev_exec(&p, PAGE_A + 0x108, W_WRTEEI1);
	}
	/* a direct jump to the second member runs the original word */
	ev_exec(&p, PAGE_A + 0x108, W_WRTEEI1);
	r = prof_run(&p);
	a = pol(r, RP_ABT);
	assert_true(a->st.translations[ABT_SHAPE_CLUSTER] >= 1);
	assert_true(a->st.tc_bytes_peak > 0);
	/* threshold exits at each word: the exit that patches the head
	 * returns to the original words after it, which exit (and reach
	 * the threshold) too; from then on the members run in the head's
	 * stub, and the direct entry at the last member runs its own patch */
	assert_int_equal(a->exits_rule[ABT_RULE_wrteei0], r->prof.threshold);
	assert_int_equal(a->exits_rule[ABT_RULE_mfmsr], r->prof.threshold);
	assert_int_equal(a->exits_rule[ABT_RULE_wrteei1], r->prof.threshold);
	assert_int_equal(a->free_execs, 601 - 3 * r->prof.threshold);
	done(r);
}

static void test_tlb1_mapping_false_dsis(void **state)
{
	static const u32 wa[] = { 0x200, W_MFMSR };
	static const u32 wb[] = { 0x200, W_RFI };
	struct prof p;
	struct replay *r;
	const struct rp_pol *a;
	int i;

	prof_begin(&p, "linux-test");
	prof_page(&p, PAGE_A, wa, 1);
	prof_page(&p, PAGE_B, wb, 1);
	ev_tlb1(&p, 0, 0xc0000000u, 16, true);	/* 64 MiB */
	for (i = 0; i < 100; i++)
		ev_exec(&p, PAGE_A + 0x200, W_MFMSR);
	for (i = 0; i < 10; i++)
		ev_access(&p, PAGE_B + 0x400, PAGE_B + 0x10, i & 1);
	ev_tlb1(&p, 0, 0xc0000000u, 16, false);	/* mapping gone */
	for (i = 0; i < 10; i++)
		ev_access(&p, PAGE_B + 0x400, PAGE_B + 0x10, false);
	r = prof_run(&p);
	assert_int_equal(r->nmaps, 1);
	a = pol(r, RP_ABT);
	/* PAGE_B holds no patch, but shares the mapping with PAGE_A */
	assert_int_equal(a->dsi_traced_r + a->dsi_traced_w, 0);
	assert_int_equal(a->dsi_false, 10);
	assert_int_equal(pol(r, RP_STOCK)->dsi_false, 0);
	if (r->have_memfeat) {
		/* resizing may split the mapping: never more false DSIs */
		assert_true(pol(r, RP_RESIZE)->dsi_false <= 10);
	}
	done(r);
}

static void test_resize_splits_mapping(void **state)
{
	static const u32 wa[] = { 0x200, W_MFMSR };
	static const u32 wb[] = { 0x200, W_RFI };
	struct prof p;
	struct replay *r;
	int i;

	prof_begin(&p, "linux-test");
	prof_page(&p, PAGE_A, wa, 1);
	prof_page(&p, PAGE_B, wb, 1);
	ev_tlb1(&p, 1, 0xc0000000u, 16, true);	/* 64 MiB */
	for (i = 0; i < 100; i++)
		ev_exec(&p, PAGE_A + 0x200, W_MFMSR);
	for (i = 0; i < 1000; i++)
		ev_access(&p, PAGE_B + 0x400, PAGE_B + 0x10 + 4 * (i & 7), false);
	r = prof_run(&p);
	if (!r->have_memfeat) {
		done(r);
		skip();
	}
	/* without resizing: every access is a false DSI */
	assert_int_equal(pol(r, RP_ABT)->dsi_false, 1000);
	assert_int_equal(pol(r, RP_MIRROR)->dsi_false, 1000);
	/* with it: the mapping is split after a few, then no more */
	assert_true(pol(r, RP_RESIZE)->st.splits >= 1);
	assert_true(pol(r, RP_RESIZE)->dsi_false < 100);
	assert_true(pol(r, RP_RESIZE)->tlb_misses >= 1);
	assert_true(pol(r, RP_FULL)->dsi_false < 100);
	assert_true(pol(r, RP_RESIZE)->t_nested_us < pol(r, RP_ABT)->t_nested_us);
	done(r);
}

static void test_mirror_hot_data_on_code_page(void **state)
{
	static const u32 wa[] = { 0x200, W_MFMSR };
	static const u32 wb[] = { 0x400, 0x80850000u };	/* lwz r4,0(r5) */
	struct prof p;
	struct replay *r;
	int i;

	prof_begin(&p, "linux-test");
	prof_page(&p, PAGE_A, wa, 1);
	prof_page(&p, PAGE_B, wb, 1);
	for (i = 0; i < 100; i++)
		ev_exec(&p, PAGE_A + 0x200, W_MFMSR);
	/* one load instruction (not on a traced page) reading a word that
	 * sits on the traced page, over and over */
	for (i = 0; i < 1000; i++)
		ev_access(&p, PAGE_B + 0x400, PAGE_A + 0x800, false);
	r = prof_run(&p);
	if (!r->have_memfeat) {
		done(r);
		skip();
	}
	assert_int_equal(pol(r, RP_ABT)->dsi_traced_r, 1000);
	assert_true(pol(r, RP_MIRROR)->st.mirrors >= 1);
	assert_true(pol(r, RP_MIRROR)->mirrored_accesses > 900);
	assert_true(pol(r, RP_MIRROR)->dsi_traced_r < 100);
	assert_int_equal(pol(r, RP_RESIZE)->dsi_traced_r, 1000);
	assert_true(pol(r, RP_FULL)->dsi_traced_r < 100);
	done(r);
}

static void test_read_burst_drops_page(void **state)
{
	static const u32 w[] = { 0x200, W_MFMSR };
	struct prof p;
	struct replay *r;
	char err[256];
	int i;

	prof_begin(&p, "linux-test");
	prof_page(&p, PAGE_A, w, 1);
	for (i = 0; i < 100; i++)
		ev_exec(&p, PAGE_A + 0x200, W_MFMSR);
	for (i = 0; i < 100; i++)	/* a copy loop over the page */
		ev_access(&p, PAGE_B + 0x400, PAGE_A + 4 * i, false);
	assert_int_equal(abtp_finish(p.w, err, sizeof(err)), 0);
	r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->policies = 1u << RP_ABT;
	r->read_burst = 32;
	replay_default_costs(&r->costs);
	assert_int_equal(replay_run(r, p.path), 0);
	/* 33 loads DSI, the 33rd drops the patch, the rest run free */
	assert_int_equal(pol(r, RP_ABT)->dsi_traced_r, 33);
	assert_int_equal(pol(r, RP_ABT)->st.read_bursts, 1);
	assert_int_equal(pol(r, RP_ABT)->st.burst_drops, 1);
	assert_int_equal(pol(r, RP_ABT)->st.untranslations, 1);
	done(r);
	/* without: every load DSIs */
	r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->policies = 1u << RP_ABT;
	replay_default_costs(&r->costs);
	assert_int_equal(replay_run(r, p.path), 0);
	unlink(p.path);
	assert_int_equal(pol(r, RP_ABT)->dsi_traced_r, 100);
	done(r);
}

static void test_bad_input(void **state)
{
	struct replay *r = calloc(1, sizeof(*r));
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/test_replay_bad.%d", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a profile\n", f);
	fclose(f);
	r->policies = RP_ALL_POLICIES;
	assert_int_equal(replay_run(r, path), -1);
	assert_true(r->err[0] != 0);
	replay_free(r);
	assert_int_equal(replay_run(r, "/nonexistent/x.abtp"), -1);
	assert_true(r->err[0] != 0);
	replay_free(r);
	unlink(path);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stock_exits_are_exec_events),
		cmocka_unit_test(test_abt_removes_repeated_exits),
		cmocka_unit_test(test_store_to_traced_page_drops_patch),
		cmocka_unit_test(test_pv_only_removes_its_set),
		cmocka_unit_test(test_pv_set),
		cmocka_unit_test(test_cluster_members_free),
		cmocka_unit_test(test_tlb1_mapping_false_dsis),
		cmocka_unit_test(test_resize_splits_mapping),
		cmocka_unit_test(test_mirror_hot_data_on_code_page),
		cmocka_unit_test(test_read_burst_drops_page),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
