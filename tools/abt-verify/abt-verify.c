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
#include <glob.h>
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
		     const struct abtt_state *s, u32 fill, size_t magic_len)
{
	memcpy(cpu->gpr, s->gpr, sizeof(cpu->gpr));
	cpu->pc = s->pc;
	cpu->cr = s->cr;
	cpu->xer = s->xer;
	cpu->lr = s->lr;
	cpu->ctr = s->ctr;
	memset(cpu->magic, 0, magic_len);
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

#define VERIFY_HELPER_0(name) \
	u32 abt_helper_##name(struct abt_cpu *cpu) \
	{ skip_mas = true; return 0; }
#define VERIFY_HELPER_1(name) \
	u32 abt_helper_##name(struct abt_cpu *cpu, u32 a0) \
	{ skip_mas = true; return 0; }
#define VERIFY_HELPER_2(name) \
	u32 abt_helper_##name(struct abt_cpu *cpu, u32 a0, u32 a1) \
	{ skip_mas = true; return 0; }
#define VERIFY_HELPER(name, n) VERIFY_HELPER_##n(name)
ABT_FOR_EACH_HELPER(VERIFY_HELPER)

/* ---- Unicorn: patches at MSR[PR]=1, many per uc_emu_start ---- */

/*
 * Unicorn 2.0.1 drops its translated code after every uc_emu_start, so
 * one start per record would retranslate each time (about 0.2 ms). Jobs
 * run in batches instead: each job's return address holds an `sc`, and
 * the interrupt hook collects the result and starts the next job by
 * writing PC.
 */
#define SC_WORD		0x44000002u
#define INT_PROGRAM	6
#define INT_SYSCALL	8
#define BATCH		8192
/* jobs copy only the start of the magic page: every slot lies below */
#define SLOT_AREA	256u

struct job {
	u64 idx;
	u32 pc, word;
	enum abt_rule rule;
	int pending;		/* int_pending in the magic page */
	bool want_exit;		/* the rule's 'exit when' on the input */
	struct abt_cpu in, expect, out;
	u8 magic_in[SLOT_AREA], magic_expect[SLOT_AREA];
	u8 magic_out[SLOT_AREA];
	u32 site_word;		/* the patched guest word */
	bool has_stub;
	struct abt_stub st;
	bool done, failed, exited;
	char why[128];
};

struct engine {
	uc_engine *uc;
	int *order;		/* jobs by PC: each site's code written once */
	u32 mapped[128];	/* open-addressing set of mapped chunks + 1 */
	u8 *page_mem[128];	/* their host memory (uc_mem_map_ptr) */
	int nmapped;
	u8 *magic_host;
	u32 magic_ea;
	struct job *jobs;
	int njobs, cur;
};

static void job_fail(struct job *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void job_fail(struct job *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->why, sizeof(j->why), fmt, ap);
	va_end(ap);
	j->failed = true;
	j->done = true;
}

/*
 * Host memory of the guest word at ea. Code is mapped in 1 MiB chunks on
 * first use: few chunks keep Unicorn's RAM block lookups short.
 */
#define CHUNK_SHIFT	20
#define CHUNK_SIZE	(1u << CHUNK_SHIFT)

static u8 *engine_page(struct engine *e, u32 ea)
{
	u32 ck = ea >> CHUNK_SHIFT;
	const u32 size = sizeof(e->mapped) / sizeof(e->mapped[0]);
	u32 h = (ck * 2654435761u) & (size - 1);
	u8 *mem;

	if (ck == e->magic_ea >> CHUNK_SHIFT)
		return NULL;	/* the magic page's chunk is not code */
	for (;; h = (h + 1) & (size - 1)) {
		if (e->mapped[h] == ck + 1)
			return e->page_mem[h] + (ea & (CHUNK_SIZE - 1) & PAGE_MASK);
		if (!e->mapped[h])
			break;
	}
	if (e->nmapped >= 64)
		return NULL;
	if (posix_memalign((void **)&mem, 4096, CHUNK_SIZE))
		return NULL;
	memset(mem, 0, CHUNK_SIZE);
	if (uc_mem_map_ptr(e->uc, (u64)ck << CHUNK_SHIFT, CHUNK_SIZE,
			   UC_PROT_ALL, mem)) {
		free(mem);
		return NULL;
	}
	e->mapped[h] = ck + 1;
	e->page_mem[h] = mem;
	e->nmapped++;
	return mem + (ea & (CHUNK_SIZE - 1) & PAGE_MASK);
}

/* Write code words; Unicorn retranslates only what changed. */
static int engine_write_code(struct engine *e, u32 ea, const u32 *w, int n)
{
	for (int i = 0; i < n; i++, ea += 4) {
		u8 *p = engine_page(e, ea), b[4];

		if (!p)
			return -1;
		p += ea & 0xfff;
		b[0] = w[i] >> 24;
		b[1] = w[i] >> 16;
		b[2] = w[i] >> 8;
		b[3] = w[i];
		if (!memcmp(p, b, 4))
			continue;
		memcpy(p, b, 4);
		uc_ctl_remove_cache(e->uc, (u64)ea, (u64)ea + 4);
	}
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
	int ids[37];
	uint32_t vals[37];
	void *ptrs[37];
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

/* Put job j's patch, magic page and registers in place. */
static int job_setup(struct engine *e, struct job *j)
{
	u32 code[2] = { j->site_word, SC_WORD };

	if (j->has_stub &&
	    engine_write_code(e, j->st.ea, j->st.words, j->st.nwords))
		return -1;
	if (engine_write_code(e, j->pc, code, 2))
		return -1;
	memcpy(e->magic_host, j->magic_in, SLOT_AREA);
	engine_set_regs(e, &j->in);
	uc_reg_write(e->uc, UC_PPC_REG_PC, &j->pc);
	return 0;
}

/* Move on to the next job that can be set up, or stop. */
static struct job *cur_job(struct engine *e)
{
	return &e->jobs[e->order[e->cur]];
}

static void engine_next(struct engine *e)
{
	while (++e->cur < e->njobs) {
		struct job *j = cur_job(e);

		if (j->done)
			continue;
		if (!job_setup(e, j))
			return;
		job_fail(j, "cannot map its code in unicorn");
	}
	uc_emu_stop(e->uc);
}

static bool is_exit_orig(const struct job *j, u32 at)
{
	for (int i = 0; i < (j->has_stub ? j->st.nwords : 0); i++)
		if (j->st.ea + 4 * i == at && j->st.words[i] == j->word)
			return true;
	return false;
}

static void on_intr(uc_engine *uc, uint32_t intno, void *arg)
{
	struct engine *e = arg;
	struct job *j = cur_job(e);
	uint32_t pc;

	uc_reg_read(uc, UC_PPC_REG_PC, &pc);
	/* Unicorn reports PC past the instruction that raised it */
	if (intno == INT_SYSCALL && pc == j->pc + 8) {
		engine_get_regs(e, &j->out);
		memcpy(j->magic_out, e->magic_host, SLOT_AREA);
		j->out.pc = j->pc + 4;
		j->done = true;
	} else if (intno == INT_PROGRAM && is_exit_orig(j, pc - 4)) {
		/* the exit path's original word: the host's trap path */
		struct abt_cpu c = j->in;
		u32 npc = pc;

		j->exited = true;
		engine_get_regs(e, &c);
		c.magic = e->magic_host;
		c.pc = pc - 4;
		if (abt_emulate(&c, j->word) != ABT_EMULATE_DONE) {
			job_fail(j, "exit path: the emulator failed");
		} else {
			engine_set_regs(e, &c);
			uc_reg_write(uc, UC_PPC_REG_PC, &npc);
			return;
		}
	} else if (intno == INT_PROGRAM) {
		job_fail(j, "a privileged or illegal instruction trapped at "
			 "0x%08x%s", pc - 4, j->has_stub ? " (in the stub)" : "");
	} else {
		job_fail(j, "interrupt %u at 0x%08x: the patch did not return "
			 "to 0x%08x", intno, pc, j->pc + 4);
	}
	engine_next(e);
}

static int engine_open(struct engine *e, const struct abt_profile *prof)
{
	uc_hook h;
	uc_err err;

	memset(e, 0, sizeof(*e));
	e->jobs = calloc(BATCH, sizeof(*e->jobs));
	e->order = calloc(BATCH, sizeof(*e->order));
	e->magic_host = calloc(1, MAGIC_SIZE);
	if (!e->jobs || !e->order || !e->magic_host) {
		fprintf(stderr, "%s: error: out of memory\n", prog);
		return -1;
	}
	err = uc_open(UC_ARCH_PPC, UC_MODE_PPC32 | UC_MODE_BIG_ENDIAN, &e->uc);
	if (err)
		goto fail;
	/* the default model lacks Book E instructions such as wrteei */
	err = uc_ctl_set_cpu_model(e->uc, UC_CPU_PPC32_E500V2_V22);
	if (err)
		goto fail;
	for (int i = 0; i < ABT_SLOT_COUNT; i++)
		if (prof->layout->off[i] != 0xffff &&
		    prof->layout->off[i] + 4u > SLOT_AREA) {
			fprintf(stderr, "%s: error: slot %s lies beyond the first "
				"%u bytes of the magic page\n", prog,
				abt_slot_names[i], SLOT_AREA);
			return -1;
		}
	e->magic_ea = prof->magic_ea;
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

static struct job *sort_jobs;

static int by_pc(const void *a, const void *b)
{
	const struct job *x = &sort_jobs[*(const int *)a];
	const struct job *y = &sort_jobs[*(const int *)b];

	if (x->pc != y->pc)
		return x->pc < y->pc ? -1 : 1;
	return *(const int *)a - *(const int *)b;
}

/*
 * Run every queued job; each ends done (maybe failed). Jobs are
 * independent, so they run in PC order: neighbouring sites (mfmsr r9;
 * wrteei 0) would otherwise rewrite each other's words, and Unicorn
 * retranslate, at every switch.
 */
static void engine_run(struct engine *e)
{
	for (int i = 0; i < e->njobs; i++)
		e->order[i] = i;
	sort_jobs = e->jobs;
	qsort(e->order, e->njobs, sizeof(e->order[0]), by_pc);
	e->cur = -1;
	engine_next(e);
	while (e->cur < e->njobs) {
		struct job *j = cur_job(e);
		uc_err err = uc_emu_start(e->uc, j->pc, 0xfffffffcu, 0, 0);

		if (e->cur >= e->njobs)
			break;
		j = cur_job(e);
		if (!j->done)
			job_fail(j, "unicorn stopped: %s", err ?
				 uc_strerror(err) : "no return to the site");
		engine_next(e);
	}
}

/* Prepare the patch of a job: the inplace word, or `b stub` + stub. */
static int job_patch(const struct abt_profile *prof, struct job *j,
		     const struct abt_fields *f)
{
	int n;

	j->has_stub = abt_rules[j->rule].shape != ABT_SHAPE_INPLACE;
	if (!j->has_stub) {
		struct abt_emit_env env = {
			.magic_ea = prof->magic_ea, .pc = j->pc,
			.exit_ea = j->pc, .layout = prof->layout,
		};

		n = abt_emit_body(j->rule, &env, f, &j->site_word, 1);
		if (n != 1) {
			job_fail(j, "inplace emitter failed (%d)", n);
			return -1;
		}
		return 0;
	}
	/* the TC sits 1 MiB away: within branch reach, off the page */
	j->st.ea = (j->pc & ~0xffffu) ^ 0x00100000u;
	n = abt_stub_compose(prof, j->pc, &j->rule, f, &j->word, 1, &j->st);
	if (n < 0) {
		job_fail(j, "stub composer failed (%d)", n);
		return -1;
	}
	j->site_word = abt_enc_b((s32)(j->st.ea - j->pc));
	return 0;
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

static void print_diffs(u64 idx, u32 pc, u32 word, enum abt_rule r,
			const char *what, const struct diff *d, int n)
{
	struct rule_stats *rs = &rstats[r];

	if (quiet || rs->printed >= max_print)
		return;
	rs->printed++;
	printf("MISMATCH record %llu pc 0x%08x word 0x%08x rule %s (%s:%d), %s:\n",
	       (unsigned long long)idx, pc, word, abt_rules[r].name,
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

static void flush_jobs(struct verifier *v);

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
	load_cpu(m, &a, &rec->pre, 0, MAGIC_SIZE);
	load_cpu(m, &b, &rec->pre, 0xa5a5a5a5u, MAGIC_SIZE);
	skip_mas = false;
	if (abt_emulate(&a, rec->word) != ABT_EMULATE_DONE ||
	    abt_emulate(&b, rec->word) != ABT_EMULATE_DONE) {
		rs->ref_fail++;
		v->mismatches++;
		print_diffs(idx, rec->pc, rec->word, r, "reference emulator failed", d, 0);
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
			print_diffs(idx, rec->pc, rec->word, r, "SKIPPED (depends on registers "
				    "the trace lacks), with those at 0", d, n);
			print_diffs(idx, rec->pc, rec->word, r, "SKIPPED, with those at "
				    "0xa5a5a5a5", d2, n2);
		}
	} else {
		rs->ref_fail++;
		v->mismatches++;
		print_diffs(idx, rec->pc, rec->word, r, "reference emulator vs QEMU", d, n);
	}

	/* 2: queue the patch for Unicorn, with and without a pending
	 * interrupt; it must equal the reference emulator on the same
	 * inputs (which step 1 compared with QEMU) */
	if (!translated || !v->engine_ok)
		return;
	for (int pending = 0; pending < 2; pending++) {
		struct job *j;

		if (pending && !abt_rules[r].has_exit)
			break;
		j = &v->eng.jobs[v->eng.njobs++];
		j->idx = idx;
		j->pc = rec->pc;
		j->word = rec->word;
		j->rule = r;
		j->pending = pending;
		j->done = j->failed = j->exited = false;
		j->why[0] = 0;
		j->in.magic = j->magic_in;
		j->in.layout = v->prof->layout;
		load_cpu(m, &j->in, &rec->pre, 0, SLOT_AREA);
		abt_slot_write(&j->in, ABT_SLOT_int_pending, pending);
		j->want_exit = abt_rule_exits(&j->in, rec->word);
		j->expect = j->in;
		j->expect.magic = j->magic_expect;
		memcpy(j->magic_expect, j->magic_in, SLOT_AREA);
		abt_emulate(&j->expect, rec->word);
		j->out = j->in;
		j->out.magic = j->magic_out;
		job_patch(v->prof, j, &f);
		if (v->eng.njobs == BATCH)
			flush_jobs(v);
	}
}

/* Run the queued patches and judge them. */
static void flush_jobs(struct verifier *v)
{
	struct diff d[MAX_DIFFS];

	engine_run(&v->eng);
	for (int i = 0; i < v->eng.njobs; i++) {
		struct job *j = &v->eng.jobs[i];
		struct rule_stats *rs = &rstats[j->rule];
		int n = 0;

		if (!j->failed) {
			n = compare_cpu(&j->expect, &j->out, d);
			if (n)
				job_fail(j, "%s", "");
			if (j->exited != j->want_exit)
				job_fail(j, "took the exit path: %s, 'exit when' "
					 "says: %s", j->exited ? "yes" : "no",
					 j->want_exit ? "yes" : "no");
			if (abt_rules[j->rule].has_exit)
				rs->exits_checked++;
		}
		if (!j->failed) {
			rs->stub_pass++;
			continue;
		}
		char what[224];

		rs->stub_fail++;
		v->mismatches++;
		snprintf(what, sizeof(what), "patch in unicorn vs reference "
			 "emulator, %s%s%s", j->pending ? "interrupt pending" :
			 "no interrupt pending", j->why[0] ? ": " : "", j->why);
		print_diffs(j->idx, j->pc, j->word, j->rule, what, d, n);
	}
	v->eng.njobs = 0;
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
	char gen[64], bin[64], inc_gen[80], pat[320];
	/* the runtime and the generated code as the build has them (every
	 * .c file in runtime/ and in the generated directory), never a list
	 * kept by hand */
	glob_t rt_srcs, gen_srcs;
	char *rargv[64], **cargv;
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
	snprintf(pat, sizeof(pat), "%s/runtime/*.c", ABT_SRCDIR);
	if (glob(pat, 0, NULL, &rt_srcs)) {
		fprintf(stderr, "%s: error: no %s\n", prog, pat);
		return 1;
	}
	snprintf(pat, sizeof(pat), "%s/*.c", gen);
	if (glob(pat, 0, NULL, &gen_srcs)) {
		fprintf(stderr, "%s: error: no %s\n", prog, pat);
		globfree(&rt_srcs);
		return 1;
	}
	cargv = calloc(rt_srcs.gl_pathc + gen_srcs.gl_pathc + 32,
		       sizeof(*cargv));
	if (!cargv) {
		fprintf(stderr, "%s: error: out of memory\n", prog);
		return 1;
	}
	cargv[k++] = "cc";
	cargv[k++] = "-O2";
	cargv[k++] = "-std=gnu99";
	cargv[k++] = inc_gen;
	cargv[k++] = "-I" ABT_SRCDIR "/runtime/include";
	cargv[k++] = "-I" ABT_SRCDIR "/tools/trace";
	cargv[k++] = "-DABT_SRCDIR=\"" ABT_SRCDIR "\"";
	cargv[k++] = "-DABT_RULESC=\"" ABT_RULESC "\"";
	cargv[k++] = ABT_SRCDIR "/tools/abt-verify/abt-verify.c";
	cargv[k++] = ABT_SRCDIR "/tools/trace/abtt.c";
	for (size_t i = 0; i < rt_srcs.gl_pathc; i++)
		cargv[k++] = rt_srcs.gl_pathv[i];
	for (size_t i = 0; i < gen_srcs.gl_pathc; i++)
		cargv[k++] = gen_srcs.gl_pathv[i];
	cargv[k++] = "-lunicorn";
	cargv[k++] = "-lz";
	cargv[k++] = "-o";
	cargv[k++] = bin;
	cargv[k] = NULL;
	rc = run_cmd(cargv);
	free(cargv);
	globfree(&rt_srcs);
	globfree(&gen_srcs);
	if (rc) {
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
	/* everything rulesc wrote */
	snprintf(pat, sizeof(pat), "%s/*", gen);
	if (!glob(pat, 0, NULL, &gen_srcs)) {
		for (size_t i = 0; i < gen_srcs.gl_pathc; i++)
			unlink(gen_srcs.gl_pathv[i]);
		globfree(&gen_srcs);
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
	/* patches queue across files (each batch is one uc_emu_start) */
	if (v.engine_ok)
		flush_jobs(&v);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	report(&v, (double)(t1.tv_sec - t0.tv_sec) +
		   (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (v.engine_ok)
		uc_close(v.eng.uc);
	return failed || v.mismatches || unknown_records ? 1 : 0;
}
