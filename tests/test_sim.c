// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the Unicorn port (kvm-glue/sim): the Unicorn facts it relies
 * on, precise PCs on traced-page faults, icache flushing, and end-to-end
 * runs of the bundled loop guest with and without translation, with an
 * interrupt taken at every word of every stub.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim.h"

#ifndef SIM_GUEST_LOOP
#define SIM_GUEST_LOOP "build/guest/loop.elf"
#endif

#define RAM_SIZE	0x100000u
#define CODE		0x10000u	/* snippets */
#define DATA		0x20000u	/* a second page, for traced reads */
#define EXIT		0x10ff0u

/* instruction words (checked against powerpc-linux-gnu-objdump) */
#define LI(r, v)	(0x38000000u | (r) << 21 | ((v) & 0xffff))
#define ADDI(r, a, v)	(0x38000000u | (r) << 21 | (a) << 16 | ((v) & 0xffff))
#define LWZ(r, d, a)	(0x80000000u | (r) << 21 | (a) << 16 | ((d) & 0xffff))
#define STW(r, d, a)	(0x90000000u | (r) << 21 | (a) << 16 | ((d) & 0xffff))
#define MFMSR(r)	(0x7c0000a6u | (r) << 21)
#define MTMSR(r)	(0x7c000124u | (r) << 21)
#define MFSRR0(r)	(0x7c1a02a6u | (r) << 21)
#define MFSPRG0(r)	(0x7c1042a6u | (r) << 21)
#define B(from, to)	(0x48000000u | (((to) - (from)) & 0x03fffffc))
#define BDNZ(from, to)	(0x42000000u | (((to) - (from)) & 0xfffc))
#define MTCTR(r)	(0x7c0903a6u | (r) << 21)
#define WRTEEI1		0x7c008146u
#define MTSPR1023_R3	0x7c7ffba6u

static const struct abt_profile *linux_prof(void)
{
	const struct abt_profile *p = abt_profile_find("linux");

	assert_non_null(p);
	return p;
}

static struct sim *mk(bool translate)
{
	struct sim_config cfg;
	char err[SIM_ERR_LEN];
	struct sim *s;

	memset(&cfg, 0, sizeof(cfg));
	cfg.prof = linux_prof();
	cfg.ram[0].base = 0;
	cfg.ram[0].size = RAM_SIZE;
	cfg.nram = 1;
	cfg.translate = translate;
	cfg.max_insns = 50000000;
	s = sim_create(&cfg, err, sizeof(err));
	if (!s)
		fail_msg("sim_create: %s", err);
	sim_set_gpr(s, 1, RAM_SIZE - 16);
	return s;
}

static void put(struct sim *s, u32 ea, const u32 *w, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		u8 b[4] = { w[i] >> 24, w[i] >> 16, w[i] >> 8, w[i] };

		assert_int_equal(sim_write(s, ea + 4 * i, b, 4), 0);
	}
	sim_flush_icache(s, ea, 4 * n);
}

static int run(struct sim *s, u32 pc, u32 exit_ea)
{
	int ret;

	sim_set_pc(s, pc);
	sim_set_exit(s, exit_ea);
	ret = sim_run(s);
	if (ret)
		print_message("sim_run: %s\n", s->err);
	return ret;
}

/* ---------------------------------------------------- Unicorn facts */

static u32 quirk_pc;

static void quirk_intr(uc_engine *uc, uint32_t intno, void *arg)
{
	*(u32 *)arg = intno;
	uc_reg_read(uc, UC_PPC_REG_PC, &quirk_pc);
	uc_emu_stop(uc);
}

/* At MSR[PR]=1 a privileged instruction raises interrupt 6 and Unicorn
 * reports PC = faulting PC + 4 (not the faulting PC). */
static void test_unicorn_priv_pc_quirk(void **state)
{
	static const u32 code[] = { LI(3, 42), MFMSR(4), ADDI(3, 3, 1) };
	uc_engine *uc;
	uc_hook h;
	u32 msr = SIM_MSR_PR, intno = 0, r3 = 0, i;
	u8 buf[12];

	assert_int_equal(uc_open(UC_ARCH_PPC, UC_MODE_PPC32 | UC_MODE_BIG_ENDIAN,
				 &uc), UC_ERR_OK);
	assert_int_equal(uc_ctl_set_cpu_model(uc, UC_CPU_PPC32_E500V2_V22),
			 UC_ERR_OK);
	assert_int_equal(uc_mem_map(uc, CODE, 0x1000, UC_PROT_ALL), UC_ERR_OK);
	for (i = 0; i < 3; i++) {
		buf[4 * i] = code[i] >> 24;
		buf[4 * i + 1] = code[i] >> 16;
		buf[4 * i + 2] = code[i] >> 8;
		buf[4 * i + 3] = code[i];
	}
	uc_mem_write(uc, CODE, buf, sizeof(buf));
	uc_reg_write(uc, UC_PPC_REG_MSR, &msr);
	uc_hook_add(uc, &h, UC_HOOK_INTR, quirk_intr, &intno, 1, 0);
	assert_int_equal(uc_emu_start(uc, CODE, CODE + 12, 0, 0), UC_ERR_OK);
	assert_int_equal(intno, 6);
	assert_int_equal(quirk_pc, CODE + 8);	/* mfmsr is at CODE + 4 */
	uc_reg_read(uc, UC_PPC_REG_3, &r3);
	assert_int_equal(r3, 42);		/* li ran, addi did not */
	uc_close(uc);
}

/* The sim copes with the quirk: no instruction skipped or repeated. */
static void test_priv_exit_resumes_after(void **state)
{
	static const u32 code[] = {
		LI(3, 42), MFMSR(4), ADDI(3, 3, 1), MFMSR(5), ADDI(3, 3, 1),
		B(CODE + 20, EXIT),
	};
	struct sim *s = mk(false);

	put(s, CODE, code, 6);
	sim_set_vreg(s, ABT_REG_MSR, 0x1234);
	assert_int_equal(run(s, CODE, EXIT), 0);
	assert_int_equal(sim_get_gpr(s, 3), 44);
	assert_int_equal(sim_get_gpr(s, 4), 0x1234);
	assert_int_equal(sim_get_gpr(s, 5), 0x1234);
	assert_int_equal(s->stats.exits, 2);
	assert_int_equal(s->stats.insns, 6);
	sim_destroy(s);
}

/* A host write to code already translated by Unicorn is seen once the
 * port flushes it, and code the runtime patches runs its new words. */
static void test_patched_code_executes(void **state)
{
	/* CODE: b +8 (separate TB at CODE+8, not the start address) */
	static const u32 code[] = {
		B(CODE, CODE + 8), 0, LI(5, 1), B(CODE + 12, EXIT),
	};
	static const u32 two[] = { LI(5, 2) };
	static const u32 site[] = { MFMSR(4), B(CODE + 0x104, EXIT) };
	struct sim *s = mk(true);
	u64 exits;

	put(s, CODE, code, 4);
	assert_int_equal(run(s, CODE, EXIT), 0);
	assert_int_equal(sim_get_gpr(s, 5), 1);
	put(s, CODE + 8, two, 1);	/* sim_write + flush_icache */
	assert_int_equal(run(s, CODE, EXIT), 0);
	assert_int_equal(sim_get_gpr(s, 5), 2);

	/* runtime patch: mfmsr -> lwz from the magic page */
	put(s, CODE + 0x100, site, 2);
	sim_set_vreg(s, ABT_REG_MSR, 0xabc0);
	assert_int_equal(run(s, CODE + 0x100, EXIT), 0);
	assert_int_equal(s->stats.exits, 1);
	assert_int_equal(abt_translate(s->rt, CODE + 0x100), 0);
	assert_int_not_equal(sim_read32(s, CODE + 0x100), MFMSR(4));
	sim_set_vreg(s, ABT_REG_MSR, 0x5670);
	sim_set_gpr(s, 4, 0);
	exits = s->stats.exits;
	assert_int_equal(run(s, CODE + 0x100, EXIT), 0);
	assert_int_equal(s->stats.exits, exits);	/* no trap: new word ran */
	assert_int_equal(sim_get_gpr(s, 4), 0x5670);
	sim_destroy(s);
}

/*
 * A load from a traced (execute-only) page that is not the first
 * instruction of its block, after instructions with side effects: it must
 * be re-executed alone at its own PC, and see the original bytes.
 */
static void test_traced_read_precise_pc(void **state)
{
	static const u32 code[] = {
		ADDI(3, 3, 1), ADDI(3, 3, 1), LWZ(5, 0, 6), ADDI(3, 3, 1),
		LWZ(7, 4, 6), ADDI(3, 3, 1), B(CODE + 24, EXIT),
	};
	static const u32 data[] = { MFMSR(8), 0x11223344 };
	struct sim *s = mk(true);
	u8 b[4];

	put(s, CODE, code, 7);
	put(s, DATA, data, 2);
	/* a first run reads DATA while it is still readable, so Unicorn's
	 * TLB holds read rights for it when it becomes execute-only */
	sim_set_gpr(s, 6, DATA);
	assert_int_equal(run(s, CODE, EXIT), 0);
	assert_int_equal(s->stats.trace_read_faults, 0);
	sim_set_gpr(s, 3, 0);
	s->stats.insns = 0;
	assert_int_equal(abt_translate(s->rt, DATA), 0);
	assert_true(abt_page_traced(s->rt, DATA));
	assert_int_not_equal(sim_read32(s, DATA), MFMSR(8));
	sim_set_gpr(s, 6, DATA);
	assert_int_equal(run(s, CODE, EXIT), 0);
	assert_int_equal(sim_get_gpr(s, 3), 4);	/* nothing ran twice */
	assert_int_equal(sim_get_gpr(s, 5), MFMSR(8));	/* original word */
	assert_int_equal(sim_get_gpr(s, 7), 0x11223344);
	assert_int_equal(s->stats.trace_read_faults, 2);
	assert_int_equal(s->stats.insns, 7);
	/* the patch is back in place, the page still execute-only */
	assert_int_not_equal(sim_read32(s, DATA), MFMSR(8));
	assert_true(abt_page_traced(s->rt, DATA));
	assert_int_equal(sim_read_guest(s, DATA, b, 4), 0);
	assert_int_equal((u32)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3],
			 MFMSR(8));
	sim_destroy(s);
}

/* A store over a patched word drops the patch; the stored word runs. */
static void test_write_to_patched_code(void **state)
{
	static const u32 code[] = {
		STW(9, 0, 6), B(CODE + 4, DATA),
	};
	static const u32 data[] = { MFMSR(8), B(DATA + 4, EXIT) };
	struct sim *s = mk(true);

	put(s, CODE, code, 2);
	put(s, DATA, data, 2);
	assert_int_equal(abt_translate(s->rt, DATA), 0);
	sim_set_gpr(s, 6, DATA);
	sim_set_gpr(s, 9, LI(8, 77));
	assert_int_equal(run(s, CODE, EXIT), 0);
	assert_int_equal(sim_get_gpr(s, 8), 77);
	assert_null(abt_site_find(s->rt, DATA));
	assert_false(abt_page_traced(s->rt, DATA));
	assert_int_equal(s->stats.trace_write_faults, 1);
	assert_int_equal(s->stats.exits, 0);
	sim_destroy(s);
}

static void test_unknown_privileged_is_an_error(void **state)
{
	static const u32 code[] = { LI(3, 1), MTSPR1023_R3, B(CODE + 8, EXIT) };
	struct sim *s = mk(false);

	put(s, CODE, code, 3);
	sim_set_pc(s, CODE);
	sim_set_exit(s, EXIT);
	assert_int_not_equal(sim_run(s), 0);
	assert_non_null(strstr(s->err, "unknown privileged instruction 0x7c7ffba6"));
	assert_non_null(strstr(s->err, "PC 0x00010004"));
	sim_destroy(s);
}

static void test_bad_accesses_are_errors(void **state)
{
	static const u32 code[] = { LWZ(5, 0, 6), B(CODE + 4, EXIT) };
	static const u32 loop[] = { B(CODE + 0x100, CODE + 0x100) };
	struct sim *s = mk(false);

	put(s, CODE, code, 2);
	sim_set_gpr(s, 6, 0x40000000);
	assert_int_not_equal(run(s, CODE, EXIT), 0);
	assert_non_null(strstr(s->err, "read of unmapped memory at EA 0x40000000"));
	assert_non_null(strstr(s->err, "PC 0x00010000"));

	put(s, CODE + 0x100, loop, 1);
	s->cfg.max_insns = 1000;
	assert_int_not_equal(run(s, CODE + 0x100, EXIT), 0);
	assert_non_null(strstr(s->err, "instruction limit"));
	sim_destroy(s);
}

static void test_bad_config_and_elf(void **state)
{
	struct sim_config cfg;
	struct sim_elf elf;
	char err[SIM_ERR_LEN];
	char path[] = "/tmp/abt-test-sim-XXXXXX";
	FILE *f;
	int fd;

	memset(&cfg, 0, sizeof(cfg));
	assert_null(sim_create(&cfg, err, sizeof(err)));
	cfg.prof = linux_prof();
	assert_null(sim_create(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "RAM"));
	cfg.nram = 1;
	cfg.ram[0].base = 0x123;
	cfg.ram[0].size = 0x1000;
	assert_null(sim_create(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "aligned"));

	assert_int_not_equal(sim_elf_read("/nonexistent/guest.elf", &elf, err,
					  sizeof(err)), 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	fputs("\177ELF\001\002garbage", f);
	fclose(f);
	assert_int_not_equal(sim_elf_read(path, &elf, err, sizeof(err)), 0);
	assert_non_null(strstr(err, path));
	remove(path);
}

/* ---------------------------------------------------- the loop guest */

struct guest {
	struct sim_elf elf;
	u32 exit_ea, irq_save, loop_count, smc_site;
};

static void guest_open(struct guest *g)
{
	char err[SIM_ERR_LEN];

	if (sim_elf_read(SIM_GUEST_LOOP, &g->elf, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(sim_elf_symbol(&g->elf, "guest_exit", &g->exit_ea), 0);
	assert_int_equal(sim_elf_symbol(&g->elf, "irq_save", &g->irq_save), 0);
	assert_int_equal(sim_elf_symbol(&g->elf, "loop_count", &g->loop_count), 0);
	assert_int_equal(sim_elf_symbol(&g->elf, "smc_site", &g->smc_site), 0);
	assert_int_not_equal(sim_elf_symbol(&g->elf, "no_such_symbol",
					    &g->exit_ea), 0);
}

/* Load, optionally override the loop count, and start at the entry. */
static struct sim *guest_sim(struct guest *g, bool translate, u32 loops)
{
	struct sim *s = mk(translate);
	u8 b[4] = { loops >> 24, loops >> 16, loops >> 8, loops };

	if (sim_elf_load(s, &g->elf))
		fail_msg("load: %s", s->err);
	if (loops)
		assert_int_equal(sim_write(s, g->loop_count, b, 4), 0);
	sim_set_pc(s, g->elf.entry);
	sim_set_exit(s, g->exit_ea);
	return s;
}

/* Final state with the handler's scratch (r3, cr, count) cleared. */
static u32 guest_state(struct guest *g, struct sim *s, struct sim_state *st)
{
	static const u8 zero[12];
	u32 count = sim_read32(s, g->irq_save + 8);

	assert_int_equal(sim_write(s, g->irq_save, zero, sizeof(zero)), 0);
	assert_int_equal(sim_get_state(s, st), 0);
	return count;
}

static void test_loop_same_state(void **state)
{
	struct guest g;
	struct sim_state a, b;
	struct sim *s0, *s1;
	const struct abt_site *site;
	u32 thr = linux_prof()->threshold, loops, i, k;
	int bad = 0;

	guest_open(&g);
	s0 = guest_sim(&g, false, 0);
	assert_int_equal(sim_run(s0), 0);
	guest_state(&g, s0, &a);
	loops = sim_read32(s0, g.loop_count);
	assert_true(loops >= 10 * thr);

	s1 = guest_sim(&g, true, 0);
	assert_int_equal(sim_run(s1), 0);
	guest_state(&g, s1, &b);
	if (sim_diff_state(&a, &b, stderr))
		fail_msg("final state differs with translation");
	print_message("loop: %llu exits without translation, %llu with\n",
		      (unsigned long long)s0->stats.exits,
		      (unsigned long long)s1->stats.exits);
	assert_true(s1->stats.exits * 20 < s0->stats.exits);
	/* the runtime's per-rule counts are the sim's */
	for (i = 0; i < ABT_RULE_COUNT; i++)
		assert_int_equal(abt_stats_get(s1->rt)->exits_rule[i],
				 s1->stats.exits_rule[i]);

	/* every hot site of a translatable rule: about threshold exits */
	for (i = 0; i < SIM_PC_HIST; i++) {
		const struct sim_pc_count *e = &s0->pc_hist[i];
		struct abt_fields f;
		enum abt_rule r;

		if (e->count < loops)
			continue;
		r = abt_decode(e->word, &f);
		if (!linux_prof()->enabled[r] ||
		    abt_rules[r].shape == ABT_SHAPE_TRAP)
			continue;
		if (sim_pc_exits(s1, e->pc) > thr + 1) {
			print_message("site 0x%08x (%s): %llu exits with translation\n",
				      e->pc, abt_rules[r].name,
				      (unsigned long long)sim_pc_exits(s1, e->pc));
			bad++;
		}
	}
	assert_int_equal(bad, 0);

	/* reads of patched code saw original words (code_sum in r27 and
	 * memory matched); the smc store dropped the smc_site patch */
	assert_true(abt_stats_get(s1->rt)->trace_reads > 0);
	assert_true(s1->stats.trace_write_faults >= 1);
	assert_null(abt_site_find(s1->rt, g.smc_site));
	assert_int_equal(sim_read32(s1, g.smc_site), LI(4, 0x1234));
	/* some stubs exist: clusters and/or branch stubs */
	k = 0;
	abt_for_each_site(s1->rt, site)
		k += !!site->stub;
	assert_true(k > 0);

	sim_destroy(s0);
	sim_destroy(s1);
	sim_elf_free(&g.elf);
}

/*
 * An interrupt at every word of every stub: one run per word, delivering
 * an external interrupt when the PC first reaches that word. Each run must
 * end in the reference state, take exactly one interrupt, and never leave
 * SRR0 pointing into the TC.
 */
static void test_irq_at_every_stub_word(void **state)
{
	struct guest g;
	struct sim_state ref, plain, st;
	struct sim *s;
	u32 loops = 6 * linux_prof()->threshold + 20;
	const struct abt_site *site;
	u32 *words, nwords = 0, i, w, taken = 0;
	u64 recovered = 0;

	guest_open(&g);
	s = guest_sim(&g, false, loops);
	assert_int_equal(sim_run(s), 0);
	guest_state(&g, s, &plain);
	sim_destroy(s);

	s = guest_sim(&g, true, loops);
	assert_int_equal(sim_run(s), 0);
	guest_state(&g, s, &ref);
	if (sim_diff_state(&plain, &ref, stderr))
		fail_msg("reference state differs with translation");
	words = calloc(ABT_MAX_SITES * ABT_MAX_STUB_WORDS, sizeof(*words));
	assert_non_null(words);
	abt_for_each_site(s->rt, site) {
		for (w = 0; w < site->stub_words; w++)
			words[nwords++] = site->stub + 4 * w;
	}
	sim_destroy(s);
	assert_true(nwords > 0);

	for (i = 0; i < nwords; i++) {
		u32 count;

		s = guest_sim(&g, true, loops);
		sim_irq_at(s, words[i], SIM_IVOR_EXTERNAL);
		if (sim_run(s))
			fail_msg("irq at 0x%08x: %s", words[i], s->err);
		count = guest_state(&g, s, &st);
		assert_true(count <= 1);
		assert_int_equal(count, s->stats.irqs);
		taken += count;
		recovered += abt_stats_get(s->rt)->recoveries;
		if (s->stats.irq_srr0_in_tc)
			fail_msg("irq at 0x%08x: SRR0 pointed into the TC",
				 words[i]);
		if (sim_diff_state(&ref, &st, stderr))
			fail_msg("irq at stub word 0x%08x: final state differs",
				 words[i]);
		sim_destroy(s);
	}
	print_message("interrupts at %u stub words, %u taken (others: word never executed), %llu PCs recovered from stubs\n",
		      nwords, taken, (unsigned long long)recovered);
	assert_true(recovered > 0);
	/* stubs' straight-line words all run; only exit paths may not */
	assert_true(taken * 2 >= nwords);
	free(words);
	sim_elf_free(&g.elf);
}

/* Interrupts every N instructions, with and without translation: the
 * guest handler preserves everything, so the final state is the same. */
static void test_irq_every(void **state)
{
	struct guest g;
	struct sim_state ref, st;
	struct sim *s;
	/* 13: closer together than handler plus stub (forward progress) */
	u64 every[] = { 13, 97, 1000, 4999 };
	unsigned int i, t;

	guest_open(&g);
	s = guest_sim(&g, false, 0);
	assert_int_equal(sim_run(s), 0);
	guest_state(&g, s, &ref);
	sim_destroy(s);
	for (t = 0; t < 2; t++) {
		for (i = 0; i < sizeof(every) / sizeof(every[0]); i++) {
			u32 count;

			s = guest_sim(&g, t, 0);
			sim_irq_every(s, every[i], SIM_IVOR_EXTERNAL);
			if (sim_run(s))
				fail_msg("every %llu: %s",
					 (unsigned long long)every[i], s->err);
			count = guest_state(&g, s, &st);
			assert_true(count > 0);
			assert_int_equal(count, s->stats.irqs);
			assert_int_equal(s->stats.irq_srr0_in_tc, 0);
			if (sim_diff_state(&ref, &st, stderr))
				fail_msg("every %llu, translate %u: state differs",
					 (unsigned long long)every[i], t);
			sim_destroy(s);
		}
	}
	sim_elf_free(&g.elf);
}

static void count_progress(void *arg, u64 insns, u64 exits)
{
	(*(int *)arg)++;
}

/* Progress stops resume exactly where they stopped. */
static void test_progress_callback(void **state)
{
	struct guest g;
	struct sim_state ref, st;
	struct sim *s;
	int calls = 0;

	guest_open(&g);
	s = guest_sim(&g, true, 0);
	assert_int_equal(sim_run(s), 0);
	guest_state(&g, s, &ref);
	sim_destroy(s);

	s = guest_sim(&g, true, 0);
	s->cfg.progress = count_progress;
	s->cfg.progress_arg = &calls;
	s->cfg.progress_every = 1009;
	assert_int_equal(sim_run(s), 0);
	guest_state(&g, s, &st);
	assert_int_equal(calls, s->stats.insns / 1009);
	assert_int_equal(sim_diff_state(&ref, &st, stderr), 0);
	sim_destroy(s);
	sim_elf_free(&g.elf);
}

/* sim_raise_interrupt: pending while EE=0, delivered once EE is set. */
static void test_raise_pending_until_ee(void **state)
{
	static const u32 code[] = {
		LI(3, 5), WRTEEI1, ADDI(3, 3, 1), B(CODE + 12, EXIT),
	};
	static const u32 handler[] = { LI(9, 99), 0x4c000064 /* rfi */ };
	struct sim *s = mk(false);

	put(s, CODE, code, 4);
	put(s, 0x30040, handler, 2);
	abt_reg_write(&s->cpu, ABT_REG_IVPR, 0x30000);
	abt_reg_write(&s->cpu, ABT_REG_IVOR4, 0x40);
	sim_set_pc(s, CODE);
	assert_int_equal(sim_raise_interrupt(s, SIM_IVOR_EXTERNAL), 0);
	assert_int_equal(run(s, CODE, EXIT), 0);
	assert_int_equal(s->stats.irqs, 1);
	assert_int_equal(sim_get_gpr(s, 9), 99);
	assert_int_equal(sim_get_gpr(s, 3), 6);
	/* delivered right after wrteei 1: SRR0 = the addi */
	assert_int_equal(sim_get_vreg(s, ABT_REG_SRR0), CODE + 8);
	assert_int_equal(sim_get_vreg(s, ABT_REG_MSR), SIM_MSR_EE);
	sim_destroy(s);
}

/*
 * A vCPU that waits (MSR[WE]) on a stub's exit path, where the original
 * mtmsr runs inside the TC, waits at the guest site instead: a vCPU idle
 * inside a stub held off a patch drop on the other vCPU of a two-vCPU
 * guest, which waited for it (the smp2-busybox hang). The pending
 * interrupt ends the wait with SRR0 at the site's successor.
 */
static void test_wait_leaves_tc(void **state)
{
	static const u32 code[] = { MTMSR(3), B(CODE + 4, EXIT) };
	static const u32 handler[] = { MFSRR0(9), B(0x30044, EXIT) };
	struct sim *s;
	int t;

	for (t = 0; t < 2; t++) {
		s = mk(t);
		put(s, CODE, code, 2);
		put(s, 0x30040, handler, 2);
		abt_reg_write(&s->cpu, ABT_REG_IVPR, 0x30000);
		abt_reg_write(&s->cpu, ABT_REG_IVOR4, 0x40);
		sim_set_gpr(s, 3, SIM_MSR_EE | SIM_MSR_WE);
		if (t)
			assert_int_equal(abt_translate(s->rt, CODE), 0);
		sim_set_pc(s, CODE);
		assert_int_equal(sim_raise_interrupt(s, SIM_IVOR_EXTERNAL), 0);
		assert_int_equal(run(s, CODE, EXIT), 0);
		/* the mtmsr (translated: the stub's exit path) and mfsrr0 */
		assert_int_equal(s->stats.exits, 2);
		assert_int_equal(s->stats.waits, 1);
		assert_int_equal(s->stats.waits_left_tc, t);
		assert_int_equal(s->stats.wait_pc, CODE + 4);
		assert_int_equal(s->stats.irqs, 1);
		assert_int_equal(s->stats.irq_srr0_in_tc, 0);
		assert_int_equal(sim_get_gpr(s, 9), CODE + 4);
		sim_destroy(s);
	}

	/* no interrupt to end the wait: an error, not a hang */
	s = mk(true);
	put(s, CODE, code, 2);
	sim_set_gpr(s, 3, SIM_MSR_EE | SIM_MSR_WE);
	assert_int_equal(abt_translate(s->rt, CODE), 0);
	sim_set_pc(s, CODE);
	sim_set_exit(s, EXIT);
	assert_int_not_equal(sim_run(s), 0);
	assert_non_null(strstr(s->err, "MSR[WE]"));
	assert_int_equal(s->stats.wait_pc, CODE + 4);
	sim_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unicorn_priv_pc_quirk),
		cmocka_unit_test(test_priv_exit_resumes_after),
		cmocka_unit_test(test_patched_code_executes),
		cmocka_unit_test(test_traced_read_precise_pc),
		cmocka_unit_test(test_write_to_patched_code),
		cmocka_unit_test(test_unknown_privileged_is_an_error),
		cmocka_unit_test(test_bad_accesses_are_errors),
		cmocka_unit_test(test_bad_config_and_elf),
		cmocka_unit_test(test_raise_pending_until_ee),
		cmocka_unit_test(test_wait_leaves_tc),
		cmocka_unit_test(test_loop_same_state),
		cmocka_unit_test(test_progress_callback),
		cmocka_unit_test(test_irq_every),
		cmocka_unit_test(test_irq_at_every_stub_word),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
