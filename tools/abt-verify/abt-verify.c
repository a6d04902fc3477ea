// SPDX-License-Identifier: GPL-2.0
/*
 * abt-verify: check the rules against golden traces from QEMU's e500v2.
 *
 * For every record (instruction word, state before and after one step on
 * the reference CPU):
 *  1. the generated reference emulator, run on the pre-state, must produce
 *     the post-state;
 *  2. for translated rules, the patch (inplace word, or `b stub` and the
 *     composed stub) runs in Unicorn at MSR[PR]=1 with the magic page
 *     filled from the pre-state, until the return target; its GPRs, CR,
 *     XER, LR, CTR and the virtual SPRs read back from the magic page must
 *     equal the post-state. It runs once with no interrupt pending and once
 *     with one pending, and must take its exit path (run the original,
 *     trapping instruction) exactly when the rule's `exit when` holds.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <unicorn/unicorn.h>

#include "abt.h"
#include "abt_insn.h"
#include "abtt.h"

static const char *prog = "abt-verify";

#define MAGIC_SIZE	4096u
#define MSR_PR		0x4000u
#define PAGE_MASK	0xfffff000u

/* ---- state mapping between a trace and struct abt_cpu ---- */

struct map {
	const struct abtt_header *h;
	int reg_of[ABTT_MAX_SPR];	/* trace SPR index -> enum abt_reg or -1 */
	int idx_of_reg[ABT_REG_COUNT];	/* enum abt_reg -> trace SPR index or -1 */
	int msr_reg;			/* enum abt_reg of MSR */
	int dec_idx;			/* trace index of DEC, or -1 */
};

static void map_init(struct map *m, const struct abtt_header *h)
{
	m->h = h;
	for (int r = 0; r < ABT_REG_COUNT; r++)
		m->idx_of_reg[r] = -1;
	m->msr_reg = -1;
	for (int r = 0; r < ABT_REG_COUNT; r++)
		if (!strcmp(abt_reg_names[r], "MSR"))
			m->msr_reg = r;
	m->dec_idx = -1;
	for (unsigned int i = 0; i < h->nspr; i++) {
		m->reg_of[i] = abt_reg_of_spr(h->spr[i]);
		if (m->reg_of[i] >= 0 && m->idx_of_reg[m->reg_of[i]] < 0)
			m->idx_of_reg[m->reg_of[i]] = (int)i;
		if (h->spr[i] == 22)
			m->dec_idx = (int)i;
	}
}

/*
 * Load a trace state into cpu. Registers the trace lacks get `fill`:
 * running twice with different fills shows whether a result depends on
 * state the trace does not have.
 */
static void load_cpu(const struct map *m, struct abt_cpu *cpu,
		     const struct abtt_state *s, u32 fill)
{
	memcpy(cpu->gpr, s->gpr, sizeof(cpu->gpr));
	cpu->pc = s->pc;
	cpu->cr = s->cr;
	cpu->xer = s->xer;
	cpu->lr = s->lr;
	cpu->ctr = s->ctr;
	memset(cpu->magic, 0, MAGIC_SIZE);
	for (int r = 0; r < ABT_REG_COUNT; r++) {
		int i = m->idx_of_reg[r];

		if (r == m->msr_reg)
			abt_reg_write(cpu, r, s->msr);
		else
			abt_reg_write(cpu, r, i >= 0 ? s->spr[i] : fill);
	}
}

static unsigned int h_spr(const struct map *m, unsigned int i)
{
	return m->h->spr[i];
}

/* A difference between an expected (post) and an observed state. */
struct diff {
	char name[16];
	u32 want, got;
};

#define MAX_DIFFS 48

/* Registers not compared for this record (helpers write them from TLB
 * state the trace does not hold). */
static bool skip_mas;

static bool is_mas(const char *name)
{
	return !strncmp(name, "MAS", 3);
}

static const char *const gpr_names[32] = {
	"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10",
	"r11", "r12", "r13", "r14", "r15", "r16", "r17", "r18", "r19", "r20",
	"r21", "r22", "r23", "r24", "r25", "r26", "r27", "r28", "r29", "r30",
	"r31",
};

static void add_diff(struct diff *d, int *n, const char *name, u32 want,
		     u32 got)
{
	if (want == got || *n >= MAX_DIFFS)
		return;
	snprintf(d[*n].name, sizeof(d[*n].name), "%s", name);
	d[*n].want = want;
	d[*n].got = got;
	(*n)++;
}

/*
 * Where the reference CPU is known to differ from the rules, each counted
 * and reported, never silent:
 *  - timer: DEC counts down between the two reads of a step, so DEC is
 *    compared as "at most the value expected, and close to it"; TSR's
 *    timer status bits (ENW WIS DIS FIS) may become set during the step;
 *  - QEMU 7.2's mtmsr leaves MSR[ME] unchanged (target/ppc: ME is not
 *    writable by mtmsr in its model; hardware and KVM write it);
 *  - BUCSR: KVM's virtual e500 drops writes and cannot read it back, so
 *    the rules give it no state; QEMU keeps the value.
 */
#define TSR_TIMER_BITS	0xcc000000u
#define MSR_ME		0x00001000u
static u64 tolerated_timer, tolerated_me, tolerated_bucsr;
static bool counting;	/* count tolerances on the first compare only */

static int compare(const struct map *m, const struct abt_cpu *cpu,
		   const struct abtt_state *pre, const struct abtt_state *post,
		   enum abt_rule rule, struct diff *d)
{
	int n = 0;

	for (int i = 0; i < 32; i++)
		add_diff(d, &n, gpr_names[i], post->gpr[i], cpu->gpr[i]);
	add_diff(d, &n, "pc", post->pc, cpu->pc);
	add_diff(d, &n, "cr", post->cr, cpu->cr);
	add_diff(d, &n, "xer", post->xer, cpu->xer);
	add_diff(d, &n, "lr", post->lr, cpu->lr);
	add_diff(d, &n, "ctr", post->ctr, cpu->ctr);
	if (m->msr_reg >= 0) {
		u32 got = abt_reg_read(cpu, m->msr_reg);

		if (rule == ABT_RULE_mtmsr && (got ^ post->msr) == MSR_ME &&
		    !((pre->msr ^ post->msr) & MSR_ME))
			tolerated_me += counting;
		else
			add_diff(d, &n, "msr", post->msr, got);
	}
	for (unsigned int i = 0; i < m->h->nspr; i++) {
		int r = m->reg_of[i];
		u32 got;

		if (r < 0 || r == m->msr_reg || m->idx_of_reg[r] != (int)i)
			continue;
		if (skip_mas && is_mas(abt_reg_names[r]))
			continue;
		got = abt_reg_read(cpu, r);
		if ((int)i == m->dec_idx) {
			if (post->spr[i] > got || got - post->spr[i] > 0x100000u)
				add_diff(d, &n, "DEC", post->spr[i], got);
			continue;
		}
		if (h_spr(m, i) == 1013) {
			tolerated_bucsr += counting && got != post->spr[i];
			continue;
		}
		if (h_spr(m, i) == 336 && got != post->spr[i] &&
		    !((got ^ post->spr[i]) & ~TSR_TIMER_BITS) &&
		    !(got & ~post->spr[i])) {
			tolerated_timer += counting;	/* TSR */
			continue;
		}
		add_diff(d, &n, abt_reg_names[r], post->spr[i], got);
	}
	return n;
}

static bool same_diffs(const struct diff *a, int na, const struct diff *b,
		       int nb)
{
	if (na != nb)
		return false;
	for (int i = 0; i < na; i++)
		if (strcmp(a[i].name, b[i].name) || a[i].want != b[i].want ||
		    a[i].got != b[i].got)
			return false;
	return true;
}

/* Stub result against the reference emulator on the same inputs. */
static int compare_cpu(const struct abt_cpu *want, const struct abt_cpu *got,
		       struct diff *d)
{
	int n = 0;

	for (int i = 0; i < 32; i++)
		add_diff(d, &n, gpr_names[i], want->gpr[i], got->gpr[i]);
	add_diff(d, &n, "pc", want->pc, got->pc);
	add_diff(d, &n, "cr", want->cr, got->cr);
	add_diff(d, &n, "xer", want->xer, got->xer);
	add_diff(d, &n, "lr", want->lr, got->lr);
	add_diff(d, &n, "ctr", want->ctr, got->ctr);
	for (int r = 0; r < ABT_REG_COUNT; r++)
		add_diff(d, &n, abt_reg_names[r], abt_reg_read(want, r),
			 abt_reg_read(got, r));
	return n;
}

/* ---- helpers named by effects: TLB work on state the trace lacks ---- */

u32 abt_helper_tlbwe(struct abt_cpu *cpu)
{
	skip_mas = true;
	return 0;
}

u32 abt_helper_tlbre(struct abt_cpu *cpu)
{
	skip_mas = true;
	return 0;
}

u32 abt_helper_tlbsx(struct abt_cpu *cpu, u32 ea)
{
	skip_mas = true;
	return 0;
}

u32 abt_helper_tlbivax(struct abt_cpu *cpu, u32 ea)
{
	skip_mas = true;
	return 0;
}

u32 abt_helper_tlbilx(struct abt_cpu *cpu, u32 t, u32 ea)
{
	skip_mas = true;
	return 0;
}

u32 abt_helper_tlbflash(struct abt_cpu *cpu, u32 val)
{
	skip_mas = true;
	return 0;
}

/* ---- Unicorn: run a patch at MSR[PR]=1 ---- */

struct engine {
	uc_engine *uc;
	u32 mapped[8192];	/* open-addressing set of mapped pages + 1 */
	int nmapped;
	u8 *magic_host;
	u32 magic_ea;
	bool trapped;		/* a program interrupt stopped the run */
	u32 trap_pc;		/* the instruction that trapped */
};

static void on_intr(uc_engine *uc, uint32_t intno, void *arg)
{
	struct engine *e = arg;
	uint32_t pc;

	uc_reg_read(uc, UC_PPC_REG_PC, &pc);
	e->trapped = true;
	/* Unicorn reports the faulting PC + 4 for a privileged instruction */
	e->trap_pc = intno == 6 ? pc - 4 : pc;
	uc_emu_stop(uc);
}

static int engine_open(struct engine *e, const struct abt_profile *prof)
{
	uc_hook h;
	uc_err err;

	memset(e, 0, sizeof(*e));
	err = uc_open(UC_ARCH_PPC, UC_MODE_PPC32 | UC_MODE_BIG_ENDIAN, &e->uc);
	if (err)
		goto fail;
	/* the default model lacks Book E instructions such as wrteei */
	err = uc_ctl_set_cpu_model(e->uc, UC_CPU_PPC32_E500V2_V22);
	if (err)
		goto fail;
	e->magic_ea = prof->magic_ea;
	e->magic_host = calloc(1, MAGIC_SIZE);
	if (!e->magic_host)
		return -1;
	err = uc_mem_map_ptr(e->uc, e->magic_ea, MAGIC_SIZE,
			     UC_PROT_READ | UC_PROT_WRITE, e->magic_host);
	if (err)
		goto fail;
	err = uc_hook_add(e->uc, &h, UC_HOOK_INTR, on_intr, e, 1, 0);
	if (err)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "%s: error: unicorn: %s\n", prog, uc_strerror(err));
	return -1;
}

static int engine_map(struct engine *e, u32 ea)
{
	u32 pg = ea >> 12;
	uc_err err;

	const u32 size = sizeof(e->mapped) / sizeof(e->mapped[0]);
	u32 h = (pg * 2654435761u) & (size - 1);

	if ((ea & PAGE_MASK) == e->magic_ea)
		return -1;
	for (;; h = (h + 1) & (size - 1)) {
		if (e->mapped[h] == pg + 1)
			return 0;
		if (!e->mapped[h])
			break;
	}
	if (e->nmapped >= (int)size / 2)
		return -1;
	err = uc_mem_map(e->uc, (u64)pg << 12, 4096, UC_PROT_ALL);
	if (err)
		return -1;
	e->mapped[h] = pg + 1;
	e->nmapped++;
	return 0;
}

static int engine_write_code(struct engine *e, u32 ea, const u32 *w, int n)
{
	u8 buf[4 * ABT_MAX_STUB_WORDS];

	for (int i = 0; i < n; i++) {
		buf[4 * i] = w[i] >> 24;
		buf[4 * i + 1] = w[i] >> 16;
		buf[4 * i + 2] = w[i] >> 8;
		buf[4 * i + 3] = w[i];
	}
	u8 cur[4 * ABT_MAX_STUB_WORDS];

	if (engine_map(e, ea) || engine_map(e, ea + 4 * n - 1))
		return -1;
	/* the same site again: keep Unicorn's translated blocks */
	if (!uc_mem_read(e->uc, ea, cur, 4 * n) && !memcmp(cur, buf, 4 * n))
		return 0;
	if (uc_mem_write(e->uc, ea, buf, 4 * n))
		return -1;
	uc_ctl_remove_cache(e->uc, (u64)ea, (u64)ea + 4 * n);
	return 0;
}

static const int gpr_ids[32] = {
	UC_PPC_REG_0, UC_PPC_REG_1, UC_PPC_REG_2, UC_PPC_REG_3,
	UC_PPC_REG_4, UC_PPC_REG_5, UC_PPC_REG_6, UC_PPC_REG_7,
	UC_PPC_REG_8, UC_PPC_REG_9, UC_PPC_REG_10, UC_PPC_REG_11,
	UC_PPC_REG_12, UC_PPC_REG_13, UC_PPC_REG_14, UC_PPC_REG_15,
	UC_PPC_REG_16, UC_PPC_REG_17, UC_PPC_REG_18, UC_PPC_REG_19,
	UC_PPC_REG_20, UC_PPC_REG_21, UC_PPC_REG_22, UC_PPC_REG_23,
	UC_PPC_REG_24, UC_PPC_REG_25, UC_PPC_REG_26, UC_PPC_REG_27,
	UC_PPC_REG_28, UC_PPC_REG_29, UC_PPC_REG_30, UC_PPC_REG_31,
};

static void engine_set_regs(struct engine *e, const struct abt_cpu *cpu)
{
	int ids[38];
	uint32_t vals[38];
	void *ptrs[38];
	int n = 0;

	for (int i = 0; i < 32; i++) {
		ids[n] = gpr_ids[i];
		vals[n++] = cpu->gpr[i];
	}
	ids[n] = UC_PPC_REG_CR;
	vals[n++] = cpu->cr;
	ids[n] = UC_PPC_REG_XER;
	vals[n++] = cpu->xer;
	ids[n] = UC_PPC_REG_LR;
	vals[n++] = cpu->lr;
	ids[n] = UC_PPC_REG_CTR;
	vals[n++] = cpu->ctr;
	ids[n] = UC_PPC_REG_MSR;
	vals[n++] = MSR_PR;	/* the guest kernel runs at user privilege */
	for (int i = 0; i < n; i++)
		ptrs[i] = &vals[i];
	uc_reg_write_batch(e->uc, ids, ptrs, n);
}

static void engine_get_regs(struct engine *e, struct abt_cpu *cpu)
{
	int ids[36];
	uint32_t vals[36];
	void *ptrs[36];
	int n = 0;

	for (int i = 0; i < 32; i++)
		ids[n++] = gpr_ids[i];
	ids[n++] = UC_PPC_REG_CR;
	ids[n++] = UC_PPC_REG_XER;
	ids[n++] = UC_PPC_REG_LR;
	ids[n++] = UC_PPC_REG_CTR;
	for (int i = 0; i < n; i++)
		ptrs[i] = &vals[i];
	uc_reg_read_batch(e->uc, ids, ptrs, n);
	memcpy(cpu->gpr, vals, sizeof(cpu->gpr));
	cpu->cr = vals[32];
	cpu->xer = vals[33];
	cpu->lr = vals[34];
	cpu->ctr = vals[35];
}

enum stub_result { STUB_OK, STUB_FAIL, STUB_SETUP };

/*
 * Run the patch of one instruction from `cpu` (already loaded with the
 * pre-state and int_pending). On return cpu holds the state the patch
 * produced and *exited says whether the exit path ran.
 */
static enum stub_result run_patch(struct engine *e,
				  const struct abt_profile *prof,
				  enum abt_rule rule, const struct abt_fields *f,
				  u32 word, struct abt_cpu *cpu, bool *exited,
				  char *why, size_t whylen)
{
	static struct abt_stub st;
	u32 pc = cpu->pc, site_word, ret = pc + 4, start = pc;
	int n;

	*exited = false;
	if (abt_rules[rule].shape == ABT_SHAPE_INPLACE) {
		struct abt_emit_env env = {
			.magic_ea = prof->magic_ea, .pc = pc, .exit_ea = pc,
			.layout = prof->layout,
		};

		n = abt_emit_body(rule, &env, f, &site_word, 1);
		if (n != 1) {
			snprintf(why, whylen, "inplace emitter failed (%d)", n);
			return STUB_FAIL;
		}
		st.nwords = 0;
	} else {
		/* the TC sits 1 MiB away: within branch reach, off the page */
		st.ea = (pc & ~0xffffu) ^ 0x00100000u;
		n = abt_stub_compose(prof, pc, &rule, f, &word, 1, &st);
		if (n < 0) {
			snprintf(why, whylen, "stub composer failed (%d)", n);
			return STUB_FAIL;
		}
		site_word = abt_enc_b((s32)(st.ea - pc));
		if (engine_write_code(e, st.ea, st.words, st.nwords))
			return STUB_SETUP;
	}
	if (engine_write_code(e, pc, &site_word, 1))
		return STUB_SETUP;
	memcpy(e->magic_host, cpu->magic, MAGIC_SIZE);
	engine_set_regs(e, cpu);

	for (int step = 0; step < 4; step++) {
		e->trapped = false;
		if (uc_emu_start(e->uc, start, ret, 0, 0) != UC_ERR_OK) {
			snprintf(why, whylen, "unicorn stopped at a fault");
			return STUB_FAIL;
		}
		if (!e->trapped)
			break;
		/* a trap is allowed only at the exit path's original word */
		u32 at = e->trap_pc;
		bool is_orig = false;

		for (int i = 0; i < st.nwords; i++)
			if (st.ea + 4 * i == at && st.words[i] == word)
				is_orig = true;
		if (!is_orig) {
			snprintf(why, whylen, "privileged instruction trapped at "
				 "0x%08x (stub +%d)", at,
				 st.nwords ? (int)(at - st.ea) : 0);
			return STUB_FAIL;
		}
		*exited = true;
		/* the host's trap path: the reference emulator */
		engine_get_regs(e, cpu);
		memcpy(cpu->magic, e->magic_host, MAGIC_SIZE);
		cpu->pc = at;
		if (abt_emulate(cpu, word) != ABT_EMULATE_DONE) {
			snprintf(why, whylen, "exit path: emulation failed");
			return STUB_FAIL;
		}
		memcpy(e->magic_host, cpu->magic, MAGIC_SIZE);
		engine_set_regs(e, cpu);
		start = at + 4;
	}
	engine_get_regs(e, cpu);
	memcpy(cpu->magic, e->magic_host, MAGIC_SIZE);
	{
		uint32_t upc;

		uc_reg_read(e->uc, UC_PPC_REG_PC, &upc);
		if (upc != ret) {
			snprintf(why, whylen, "patch ended at 0x%08x, not at the "
				 "return target 0x%08x", upc, ret);
			return STUB_FAIL;
		}
	}
	cpu->pc = ret;
	return STUB_OK;
}

/* ---- reporting ---- */

struct rule_stats {
	u64 records, ref_pass, ref_fail, ref_skip, stub_pass, stub_fail;
	u64 exits_checked;
	u32 printed;
};

struct site_seen {
	u32 pc;
	u16 kind;	/* 1 translated, 2 trap-only, 3 unknown */
};

static struct rule_stats rstats[ABT_RULE_COUNT];
static u64 unknown_records;
static u32 max_print = 10;
static bool quiet, verbose;

/* distinct sites by kind: a simple open-addressing set */
#define SITE_SET 65536
static struct site_seen sites[SITE_SET];
static u64 site_count[4], exec_count[4];

static void note_site(u32 pc, int kind)
{
	u32 h = (pc >> 2) * 2654435761u;

	exec_count[kind]++;
	for (u32 i = 0; i < SITE_SET; i++) {
		struct site_seen *s = &sites[(h + i) & (SITE_SET - 1)];

		if (s->kind && s->pc == pc)
			return;
		if (!s->kind) {
			s->pc = pc;
			s->kind = kind;
			site_count[kind]++;
			return;
		}
	}
}

static void print_diffs(u64 idx, const struct abtt_record *rec,
			enum abt_rule r, const char *what, const struct diff *d,
			int n)
{
	struct rule_stats *rs = &rstats[r];

	if (quiet || rs->printed >= max_print)
		return;
	rs->printed++;
	printf("MISMATCH record %llu pc 0x%08x word 0x%08x rule %s (%s:%d), %s:\n",
	       (unsigned long long)idx, rec->pc, rec->word, abt_rules[r].name,
	       abt_rules[r].file, abt_rules[r].line, what);
	for (int i = 0; i < n; i++)
		printf("    %-8s expected 0x%08x  got 0x%08x\n", d[i].name,
		       d[i].want, d[i].got);
}

/* ---- one trace ---- */

struct verifier {
	const struct abt_profile *prof;
	struct engine eng;
	bool engine_ok;
	u8 magic_a[MAGIC_SIZE], magic_b[MAGIC_SIZE];
	u64 records;
	u64 mismatches;
	bool profile_forced;
};

/*
 * A privileged instruction in guest user mode: the host does not emulate
 * it but reflects a program interrupt (ESR[PPR]) to the guest kernel.
 */
#define ESR_PPR		0x04000000u
static u64 reflected_ok, reflected_bad;

static u32 trace_spr(const struct map *m, const struct abtt_state *s,
		     unsigned int sprn, bool *ok)
{
	int i = abtt_spr_index(m->h, sprn);

	if (i < 0) {
		*ok = false;
		return 0;
	}
	return s->spr[i];
}

static void check_reflected(struct verifier *v, const struct map *m, u64 idx,
			    const struct abtt_record *rec, enum abt_rule r)
{
	const struct abtt_state *pre = &rec->pre, *post = &rec->post;
	bool ok = true;
	u32 vec = (trace_spr(m, pre, 63, &ok) & 0xffff0000u) |
		  (trace_spr(m, pre, 406, &ok) & 0xfff0u);
	u32 srr0 = trace_spr(m, post, 26, &ok), srr1 = trace_spr(m, post, 27, &ok);
	u32 esr = trace_spr(m, post, 62, &ok);

	/* SRR1 keeps the interrupted MSR (QEMU also shows POW there) */
	if (ok && post->pc == vec && srr0 == pre->pc && (srr1 & MSR_PR) &&
	    (esr & ESR_PPR) && !(post->msr & MSR_PR)) {
		reflected_ok++;
		return;
	}
	reflected_bad++;
	v->mismatches++;
	if (!quiet)
		printf("MISMATCH record %llu pc 0x%08x word 0x%08x rule %s: in "
		       "user mode, expected a program interrupt to 0x%08x "
		       "(SRR0 = pc, ESR[PPR]); QEMU: pc 0x%08x SRR0 0x%08x "
		       "ESR 0x%08x\n", (unsigned long long)idx, rec->pc,
		       rec->word, abt_rules[r].name, vec, post->pc, srr0, esr);
}

static void verify_record(struct verifier *v, const struct map *m, u64 idx,
			  const struct abtt_record *rec)
{
	struct abt_cpu a = { 0 }, b = { 0 };
	struct abt_fields f;
	struct diff d[MAX_DIFFS], d2[MAX_DIFFS];
	enum abt_rule r = abt_decode(rec->word, &f);
	int n, n2;

	v->records++;
	if (r == ABT_RULE_NONE) {
		unknown_records++;
		note_site(rec->pc, 3);
		if (!quiet && unknown_records <= max_print)
			printf("UNKNOWN record %llu pc 0x%08x word 0x%08x: no "
			       "rule matches this instruction\n",
			       (unsigned long long)idx, rec->pc, rec->word);
		return;
	}
	struct rule_stats *rs = &rstats[r];
	bool translated = abt_rules[r].shape != ABT_SHAPE_TRAP &&
			  v->prof->enabled[r];

	rs->records++;
	note_site(rec->pc, translated ? 1 : 2);
	if (rec->pre.msr & MSR_PR) {
		check_reflected(v, m, idx, rec, r);
		return;
	}

	/* 1: the reference emulator, twice, with two fills for registers
	 * the trace does not have */
	a.magic = v->magic_a;
	a.layout = v->prof->layout;
	b.magic = v->magic_b;
	b.layout = v->prof->layout;
	load_cpu(m, &a, &rec->pre, 0);
	load_cpu(m, &b, &rec->pre, 0xa5a5a5a5u);
	skip_mas = false;
	if (abt_emulate(&a, rec->word) != ABT_EMULATE_DONE ||
	    abt_emulate(&b, rec->word) != ABT_EMULATE_DONE) {
		rs->ref_fail++;
		v->mismatches++;
		print_diffs(idx, rec, r, "reference emulator failed", d, 0);
		return;
	}
	counting = true;
	n = compare(m, &a, &rec->pre, &rec->post, r, d);
	counting = false;
	n2 = compare(m, &b, &rec->pre, &rec->post, r, d2);
	if (!n && !n2) {
		rs->ref_pass++;
	} else if (!same_diffs(d, n, d2, n2)) {
		/* the outcome depends on registers the trace lacks */
		rs->ref_skip++;
		if (verbose) {
			print_diffs(idx, rec, r, "SKIPPED (depends on registers "
				    "the trace lacks), with those at 0", d, n);
			print_diffs(idx, rec, r, "SKIPPED, with those at "
				    "0xa5a5a5a5", d2, n2);
		}
	} else {
		rs->ref_fail++;
		v->mismatches++;
		print_diffs(idx, rec, r, "reference emulator vs QEMU", d, n);
	}

	/* 2: the patch in Unicorn, with and without a pending interrupt;
	 * it must equal the reference emulator on the same inputs (which
	 * step 1 compared with QEMU) */
	if (!translated || !v->engine_ok)
		return;
	for (int pending = 0; pending < 2; pending++) {
		char why[160] = "";
		bool exited, want;
		enum stub_result res;

		if (pending && !abt_rules[r].has_exit)
			break;
		load_cpu(m, &b, &rec->pre, 0);
		abt_slot_write(&b, ABT_SLOT_int_pending, pending);
		abt_emulate(&b, rec->word);
		load_cpu(m, &a, &rec->pre, 0);
		abt_slot_write(&a, ABT_SLOT_int_pending, pending);
		want = abt_rule_exits(&a, rec->word);
		res = run_patch(&v->eng, v->prof, r, &f, rec->word, &a, &exited,
				why, sizeof(why));
		if (res == STUB_SETUP) {
			fprintf(stderr, "%s: error: cannot map code at 0x%08x "
				"in unicorn\n", prog, rec->pc);
			exit(1);
		}
		n = 0;
		if (res == STUB_OK) {
			n = compare_cpu(&b, &a, d);
			if (n)
				res = STUB_FAIL;
			if (exited != want) {
				snprintf(why, sizeof(why), "took the exit path: %s, "
					 "'exit when' says: %s",
					 exited ? "yes" : "no", want ? "yes" : "no");
				res = STUB_FAIL;
			}
			if (abt_rules[r].has_exit)
				rs->exits_checked++;
		}
		if (res == STUB_OK) {
			rs->stub_pass++;
		} else {
			char what[224];

			rs->stub_fail++;
			v->mismatches++;
			snprintf(what, sizeof(what), "patch in unicorn vs reference "
				 "emulator, %s%s%s",
				 pending ? "interrupt pending" : "no interrupt pending",
				 why[0] ? ": " : "", why);
			print_diffs(idx, rec, r, what, d, n);
		}
	}
}

/* The profile named like the guest, dashes ignored: "u-boot-2023.01"
 * -> uboot, "linux-6.1.192" -> linux. */
static const struct abt_profile *profile_for_guest(const char *guest)
{
	char g[64];
	size_t n = 0;

	for (const char *c = guest; *c && n < sizeof(g) - 1; c++)
		if (*c != '-')
			g[n++] = *c;
	g[n] = 0;
	for (int i = 0; abt_profiles[i]; i++)
		if (!strncmp(g, abt_profiles[i]->name,
			     strlen(abt_profiles[i]->name)))
			return abt_profiles[i];
	return NULL;
}

static int verify_file(struct verifier *v, const char *path)
{
	char err[ABTT_ERR_LEN];
	struct abtt_reader *rd = abtt_open(path, err, sizeof(err));
	static struct abtt_record rec;
	struct map m;
	u64 idx = 0;
	int rc;

	if (!rd) {
		fprintf(stderr, "%s: error: %s\n", prog, err);
		return -1;
	}
	const struct abtt_header *h = abtt_get_header(rd);

	map_init(&m, h);
	if (!v->profile_forced) {
		const struct abt_profile *p = profile_for_guest(h->guest);

		if (p && p != v->prof) {
			if (p->magic_ea != v->prof->magic_ea && v->engine_ok) {
				fprintf(stderr, "%s: error: profile %s moves the "
					"magic page; give --profile\n", prog,
					p->name);
				abtt_close(rd);
				return -1;
			}
			v->prof = p;
		}
	}
	if (!quiet)
		printf("== %s: guest %s, %s, cpu %s, %u SPRs captured, "
		       "profile %s\n", path, h->guest, h->qemu, h->cpu, h->nspr,
		       v->prof->name);
	while ((rc = abtt_next(rd, &rec)) == 1)
		verify_record(v, &m, idx++, &rec);
	if (rc < 0) {
		fprintf(stderr, "%s: error: %s: %s\n", prog, path, abtt_error(rd));
		abtt_close(rd);
		return -1;
	}
	const struct abtt_trailer *t = abtt_get_trailer(rd);

	if (!t->complete && !quiet)
		printf("note: %s was cut short after %llu records: %s\n", path,
		       (unsigned long long)t->nrecords, t->reason);
	abtt_close(rd);
	return 0;
}

static void report(const struct verifier *v, double secs)
{
	static const char *const shape[] = { "trap", "inplace", "branch",
					     "cluster" };

	printf("\n%-16s %-8s %8s %9s %9s %9s %9s %9s %7s\n", "rule", "shape",
	       "records", "ref pass", "ref fail", "ref skip", "stub pass",
	       "stub fail", "exits");
	for (int r = 1; r < ABT_RULE_COUNT; r++) {
		const struct rule_stats *s = &rstats[r];

		if (!s->records)
			continue;
		printf("%-16s %-8s %8llu %9llu %9llu %9llu %9llu %9llu %7llu\n",
		       abt_rules[r].name, shape[abt_rules[r].shape],
		       (unsigned long long)s->records,
		       (unsigned long long)s->ref_pass,
		       (unsigned long long)s->ref_fail,
		       (unsigned long long)s->ref_skip,
		       (unsigned long long)s->stub_pass,
		       (unsigned long long)s->stub_fail,
		       (unsigned long long)s->exits_checked);
	}
	printf("\ncoverage: translated %llu sites / %llu executions, trap-only "
	       "%llu / %llu, unknown instruction %llu / %llu\n",
	       (unsigned long long)site_count[1], (unsigned long long)exec_count[1],
	       (unsigned long long)site_count[2], (unsigned long long)exec_count[2],
	       (unsigned long long)site_count[3], (unsigned long long)exec_count[3]);
	printf("tolerated (reference-CPU differences, see --help): %llu TSR "
	       "timer bits set during a step, %llu mtmsr leaving MSR[ME], "
	       "%llu BUCSR values\n", (unsigned long long)tolerated_timer,
	       (unsigned long long)tolerated_me,
	       (unsigned long long)tolerated_bucsr);
	printf("user-mode privileged instructions reflected as program "
	       "interrupts: %llu as expected, %llu not\n",
	       (unsigned long long)reflected_ok,
	       (unsigned long long)reflected_bad);
	printf("%llu records, %llu mismatches, %llu unknown, %.2f s (%.0f records/s)\n",
	       (unsigned long long)v->records, (unsigned long long)v->mismatches,
	       (unsigned long long)unknown_records, secs,
	       secs > 0 ? (double)v->records / secs : 0.0);
}

/* ---- --rules: rebuild this tool against other rule files ---- */

#ifndef ABT_SRCDIR
#define ABT_SRCDIR "."
#endif
#ifndef ABT_RULESC
#define ABT_RULESC "build/rulesc/rulesc"
#endif

static int run_cmd(char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (!pid) {
		execvp(argv[0], argv);
		fprintf(stderr, "%s: error: cannot run %s: %s\n", prog, argv[0],
			strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int rebuild_and_exec(char **rules, int nrules, const char *gendir,
			    int argc, char **argv)
{
	char dir[] = "/tmp/abt-verify.XXXXXX";
	char gen[64], bin[64], inc_gen[80];
	const char *srcs[] = {
		"tools/abt-verify/abt-verify.c", "tools/trace/abtt.c",
		"runtime/patch.c", "runtime/profile.c", "runtime/recover.c",
		"runtime/stub.c", "runtime/tc.c", "runtime/trace.c",
	};
	const char *gens[] = { "abt_decode.c", "abt_emit.c", "abt_emulate.c",
			       "abt_regs.c", "abt_tables.c" };
	char *cargv[64], *rargv[64];
	char pathbuf[32][256];
	int n = 0, k = 0, rc;

	if (!mkdtemp(dir)) {
		fprintf(stderr, "%s: error: mkdtemp: %s\n", prog, strerror(errno));
		return 1;
	}
	snprintf(gen, sizeof(gen), "%s/gen", dir);
	snprintf(bin, sizeof(bin), "%s/abt-verify", dir);
	if (gendir) {
		/* an existing generated directory: build against it as is */
		snprintf(gen, sizeof(gen), "%s", gendir);
	} else {
		rargv[n++] = (char *)ABT_RULESC;
		rargv[n++] = "-o";
		rargv[n++] = gen;
		for (int i = 0; i < nrules; i++)
			rargv[n++] = rules[i];
		rargv[n] = NULL;
		if (!quiet)
			fprintf(stderr, "%s: compiling %d rule file(s) with "
				"rulesc\n", prog, nrules);
		if (run_cmd(rargv)) {
			fprintf(stderr, "%s: error: rulesc rejected the rules\n",
				prog);
			return 1;
		}
	}
	snprintf(inc_gen, sizeof(inc_gen), "-I%s", gen);
	cargv[k++] = "cc";
	cargv[k++] = "-O2";
	cargv[k++] = "-std=gnu99";
	cargv[k++] = inc_gen;
	cargv[k++] = "-I" ABT_SRCDIR "/runtime/include";
	cargv[k++] = "-I" ABT_SRCDIR "/tools/trace";
	cargv[k++] = "-DABT_SRCDIR=\"" ABT_SRCDIR "\"";
	cargv[k++] = "-DABT_RULESC=\"" ABT_RULESC "\"";
	for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		snprintf(pathbuf[i], sizeof(pathbuf[i]), "%s/%s", ABT_SRCDIR,
			 srcs[i]);
		cargv[k++] = pathbuf[i];
	}
	for (size_t i = 0; i < sizeof(gens) / sizeof(gens[0]); i++) {
		snprintf(pathbuf[16 + i], sizeof(pathbuf[16 + i]), "%s/%s", gen,
			 gens[i]);
		cargv[k++] = pathbuf[16 + i];
	}
	cargv[k++] = "-lunicorn";
	cargv[k++] = "-lz";
	cargv[k++] = "-o";
	cargv[k++] = bin;
	cargv[k] = NULL;
	if (run_cmd(cargv)) {
		fprintf(stderr, "%s: error: building the verifier for those "
			"rules failed\n", prog);
		return 1;
	}
	/* run it with the same arguments, --rules removed */
	char **nargv = calloc(argc + 1, sizeof(char *));
	int m = 0;

	nargv[m++] = bin;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rules")) {
			while (i + 1 < argc && argv[i + 1][0] != '-' &&
			       strstr(argv[i + 1], ".rule"))
				i++;
			continue;
		}
		if (!strcmp(argv[i], "--gen")) {
			i++;
			continue;
		}
		nargv[m++] = argv[i];
	}
	nargv[m] = NULL;
	rc = run_cmd(nargv);
	free(nargv);
	/* remove the temporary build */
	unlink(bin);
	if (gendir) {
		rmdir(dir);
		return rc;
	}
	for (size_t i = 0; i < sizeof(gens) / sizeof(gens[0]); i++)
		unlink(pathbuf[16 + i]);
	{
		char p[128];
		const char *hs[] = { "abt_gen.h", "abt_insn.h", "abt_types.h" };

		for (size_t i = 0; i < 3; i++) {
			snprintf(p, sizeof(p), "%s/%s", gen, hs[i]);
			unlink(p);
		}
	}
	rmdir(gen);
	rmdir(dir);
	return rc;
}

static void usage(FILE *f)
{
	fputs("usage: abt-verify [options] TRACE...\n"
	      "\n"
	      "Checks the rules against golden traces (docs/golden-trace-format.md):\n"
	      "the generated reference emulator on each record's pre-state must give\n"
	      "its post-state, and each translated rule's patch, run in Unicorn at\n"
	      "MSR[PR]=1 with the magic page filled from the pre-state, must too,\n"
	      "taking its exit path exactly when the rule's 'exit when' holds.\n"
	      "\n"
	      "options:\n"
	      "  --profile NAME      guest profile (magic page, enabled rules);\n"
	      "                      default: the profile named like the trace's\n"
	      "                      guest (u-boot-... -> uboot), else linux\n"
	      "  --rules FILE...     rebuild this tool against these rule files\n"
	      "                      first (needs rulesc, cc and the source tree)\n"
	      "  --gen DIR           rebuild against an already generated directory\n"
	      "                      (as rulesc -o DIR writes it)\n"
	      "  --max-print N       mismatches printed per rule (default 10)\n"
	      "  --no-stub           only check the reference emulator\n"
	      "  --quiet             only the summary\n"
	      "  --verbose           also print records whose outcome depends on\n"
	      "                      registers the trace does not capture\n"
	      "  --help              this text\n"
	      "\n"
	      "Counted, reported tolerances for the reference CPU: DEC may count\n"
	      "down during a step; TSR's timer bits may become set during it;\n"
	      "QEMU 7.2's mtmsr does not change MSR[ME]; BUCSR (KVM drops its\n"
	      "writes and cannot read it) is not compared.\n"
	      "Records taken in guest user mode (MSR[PR]=1) are not emulated by\n"
	      "the host: they must show the program interrupt it reflects.\n"
	      "\n"
	      "Exit status: 0 when every record matched and every instruction had a\n"
	      "rule; 1 on a mismatch, an unknown instruction or an unreadable trace;\n"
	      "2 on bad usage.\n", f);
}

int main(int argc, char **argv)
{
	enum { OPT_PROFILE = 256, OPT_RULES, OPT_GEN, OPT_MAX_PRINT,
	       OPT_NO_STUB, OPT_QUIET, OPT_VERBOSE, OPT_HELP };
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "rules", required_argument, NULL, OPT_RULES },
		{ "gen", required_argument, NULL, OPT_GEN },
		{ "max-print", required_argument, NULL, OPT_MAX_PRINT },
		{ "no-stub", no_argument, NULL, OPT_NO_STUB },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "verbose", no_argument, NULL, OPT_VERBOSE },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	static struct verifier v;
	const char *profile = "linux", *gendir = NULL;
	char **rules = NULL;
	int nrules = 0, c, failed = 0;
	bool no_stub = false;
	struct timespec t0, t1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case OPT_PROFILE:
			profile = optarg;
			v.profile_forced = true;
			break;
		case OPT_RULES:
			rules = realloc(rules, sizeof(char *) * (argc + 1));
			rules[nrules++] = optarg;
			/* more files up to the next option */
			while (optind < argc && argv[optind][0] != '-' &&
			       strstr(argv[optind], ".rule"))
				rules[nrules++] = argv[optind++];
			break;
		case OPT_GEN:
			gendir = optarg;
			break;
		case OPT_MAX_PRINT:
			max_print = (u32)strtoul(optarg, NULL, 0);
			break;
		case OPT_NO_STUB:
			no_stub = true;
			break;
		case OPT_QUIET:
			quiet = true;
			break;
		case OPT_VERBOSE:
			verbose = true;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: no trace files (try --help)\n", prog);
		return 2;
	}
	if (nrules || gendir)
		return rebuild_and_exec(rules, nrules, gendir, argc, argv);
	v.prof = abt_profile_find(profile);
	if (!v.prof) {
		fprintf(stderr, "%s: no profile '%s'\n", prog, profile);
		return 2;
	}
	v.engine_ok = !no_stub && engine_open(&v.eng, v.prof) == 0;
	if (!no_stub && !v.engine_ok)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = optind; i < argc; i++)
		if (verify_file(&v, argv[i]))
			failed = 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	report(&v, (double)(t1.tv_sec - t0.tv_sec) +
		   (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (v.engine_ok)
		uc_close(v.eng.uc);
	return failed || v.mismatches || unknown_records ? 1 : 0;
}
