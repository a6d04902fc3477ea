/* SPDX-License-Identifier: GPL-2.0 */
/*
 * abt userspace port: a simulated e500v2 vCPU in Unicorn.
 *
 * The guest kernel runs with the real (Unicorn) MSR[PR]=1, exactly as KVM
 * runs it, so every privileged instruction raises a program interrupt. The
 * sim then plays KVM: it calls abt_exit() (when translation is on) and the
 * generated reference emulator abt_emulate() on the virtual CPU, whose MSR
 * and most SPRs live in the magic page. A per-page shadow TLB (applied with
 * uc_mem_protect) gives the runtime execute-only "traced" pages: guest
 * reads of them are served with original bytes, guest writes drop patches.
 *
 * Errors never abort: functions return a negative value and leave a message
 * in sim->err.
 */
#ifndef ABT_SIM_H
#define ABT_SIM_H

#include <stdio.h>
#include <unicorn/unicorn.h>

#include "abt.h"

#define SIM_MAX_REGIONS		8
#define SIM_ERR_LEN		256
#define SIM_PC_HIST		8192	/* per-PC exit histogram slots (pow2) */

/* Book E MSR bits the sim itself needs. */
#define SIM_MSR_WE	0x00040000u
#define SIM_MSR_CE	0x00020000u
#define SIM_MSR_EE	0x00008000u
#define SIM_MSR_PR	0x00004000u
#define SIM_MSR_FP	0x00002000u
#define SIM_MSR_ME	0x00001000u
#define SIM_MSR_FE0	0x00000800u
#define SIM_MSR_DE	0x00000200u
#define SIM_MSR_FE1	0x00000100u
#define SIM_MSR_IS	0x00000020u
#define SIM_MSR_DS	0x00000010u
#define SIM_MSR_SPE	0x02000000u
/* Cleared on a base-class interrupt (Power ISA Book E, e500 SPE). */
#define SIM_MSR_INT_CLEAR	(SIM_MSR_WE | SIM_MSR_EE | SIM_MSR_PR | \
				 SIM_MSR_FP | SIM_MSR_FE0 | SIM_MSR_FE1 | \
				 SIM_MSR_IS | SIM_MSR_DS | SIM_MSR_SPE)
#define SIM_ESR_PPR	0x08000000u	/* privileged instruction exception */

/* IVOR indexes used here. */
#define SIM_IVOR_PROGRAM	6
#define SIM_IVOR_EXTERNAL	4
#define SIM_IVOR_DECREMENTER	10

#define SIM_NO_IRQ	(~0u)

struct sim_range {
	u32 base;
	u32 size;
};

struct sim_config {
	const struct abt_profile *prof;	/* required: magic_ea, layout, ... */
	struct sim_range ram[SIM_MAX_REGIONS];
	int nram;
	/* TC regions; 0: the profile's hints, else one default region right
	 * above the highest RAM region. Regions outside RAM get mapped. */
	struct sim_range tc[ABT_MAX_TC_REGIONS];
	int ntc;
	bool translate;		/* call abt_exit() on exits */
	u32 threshold;		/* 0: the profile's */
	u64 max_insns;		/* 0: SIM_DEFAULT_MAX_INSNS */
	u64 progress_every;	/* 0: no progress callback */
	void (*progress)(void *arg, u64 insns, u64 exits);
	void *progress_arg;
	/* Memory features (translation on): ABT_FEAT_* to enable; a mirror
	 * region (size 0: 64 KiB above the highest RAM/TC region, mapped if
	 * outside RAM) when MIRROR or STEAL is asked for; steal hints. */
	u32 features;
	struct sim_range mirror;
	struct sim_range steal[ABT_MAX_STEAL_HINTS];
	int nsteal;
	int shadow_tlb;		/* 4 KiB shadow entries of split mappings
				 * (TLB miss model); 0: SIM_SHADOW_TLB */
};
#define SIM_SHADOW_TLB		16
#define SIM_SHADOW_TLB_MAX	64
#define SIM_MISS_BATCH		64	/* misses reported at once */
#define SIM_DEFAULT_MAX_INSNS	2000000000ull

enum sim_region_kind { SIM_REGION_RAM, SIM_REGION_TC, SIM_REGION_MAGIC,
		       SIM_REGION_MIRROR };

struct sim_region {
	u32 base;
	u32 size;
	u8 *mem;		/* host backing, mapped with uc_mem_map_ptr */
	u8 *perm;		/* ABT_PERM_* per 4 KiB page (shadow TLB) */
	enum sim_region_kind kind;
};

/* Why the code hook or an interrupt hook stopped Unicorn. */
enum sim_stop {
	SIM_STOP_NONE,
	SIM_STOP_PRIV,		/* program interrupt (intno 6) at cur_pc */
	SIM_STOP_INTR,		/* any other interrupt number */
	SIM_STOP_IRQ,		/* deliver the pending interrupt before cur_pc */
	SIM_STOP_LIMIT,		/* instruction limit */
	SIM_STOP_PROGRESS,	/* progress callback due, before cur_pc */
	SIM_STOP_STEPPED,	/* single step done, before cur_pc */
	SIM_STOP_MISSES,	/* a batch of shadow TLB misses to report */
};

/*
 * Shadow of a guest TLB1 mapping (> 4 KiB). Unsplit, it is one shadow
 * entry: every page in it gets `perm`, the intersection of the per-page
 * permissions. Split (split_mapping port op), each 4 KiB page has its own,
 * and data accesses go through a small shadow TLB whose misses are
 * reported with abt_tlb_miss().
 */
struct sim_map {
	u32 ea, size, pa;	/* size 0: unused */
	bool split;
	u8 perm;
};

struct sim_stats {
	u64 insns;		/* guest instructions executed */
	u64 exits;		/* privileged-instruction exits */
	u64 exits_rule[ABT_RULE_COUNT];	/* by abt_decode() of the word */
	u64 irqs;		/* interrupts delivered */
	u64 irq_srr0_in_tc;	/* deliveries whose SRR0 pointed into a stub */
	u64 recover_steps;	/* instructions run by the host after a rollback */
	u64 prog_irqs;		/* privileged instruction at virtual PR=1 */
	u64 trace_read_faults;	/* reads of traced pages served */
	u64 trace_write_faults;	/* writes to traced pages */
	u64 tb_flushes;		/* flush_icache calls */
	u64 false_faults;	/* faults on untraced pages of a restricted
				 * (unsplit) mapping */
	u64 tlb_misses;		/* shadow TLB misses in split mappings */
	u64 waits;		/* MSR[WE] set: waits for an interrupt */
	u64 waits_left_tc;	/* ... whose PC was first moved out of a stub */
	u32 wait_pc;		/* where the last wait was */
};

/* Guest TLB model behind the tlbwe/tlbre/tlbsx/tlbivax/tlbilx helpers. */
#define SIM_TLB0_SETS	128
#define SIM_TLB0_WAYS	4
#define SIM_TLB1_SIZE	16
struct sim_tlbe {
	u32 mas1, mas2, mas3, mas7;
};

struct sim_pc_count {
	u32 pc;			/* 0: empty */
	u32 word;
	u64 count;
};

/* Final-state snapshot for comparisons. */
struct sim_state {
	u32 gpr[32];
	u32 pc, cr, xer, lr, ctr;
	u32 reg[ABT_REG_COUNT];	/* every declared virtual register */
	u32 ram_hash;		/* RAM as the guest sees it (original code) */
};

struct sim {
	uc_engine *uc;
	struct abt_profile prof;	/* copy of the profile, threshold set */
	struct sim_config cfg;
	struct sim_region reg[SIM_MAX_REGIONS + ABT_MAX_TC_REGIONS + 1];
	int nreg;
	struct abt_cpu cpu;		/* virtual CPU; magic -> magic page */
	struct abt_rt *rt;		/* NULL unless cfg.translate */
	struct abt_port_ops ops;
	u32 exit_ea;
	u32 pc;				/* where the next run resumes */
	bool exited;			/* reached exit_ea */

	/* run-time bookkeeping of the hooks */
	uc_hook h_code, h_intr, h_mem, h_access;
	u32 cur_pc;			/* PC of the instruction being run */
	enum sim_stop stop;
	u32 stop_intno;
	bool stepping;			/* single-stepping a faulting access */
	int stepped;			/* instructions seen while stepping */
	int fault_type;			/* uc_mem_type of the last fault */
	u32 fault_ea, fault_size;
	u32 fault_pc;			/* PC of the first faulting access */
	bool fault_multi;		/* several words faulted (stmw, lmw) */
	bool faulted;
	u8 save[2][4096];		/* pages shown unpatched during a step */
	bool saved[2];
	u64 limit;
	u64 next_progress;

	/* interrupts */
	u32 irq_pending;		/* IVOR index or SIM_NO_IRQ */
	u32 irq_at_ea;			/* raise when PC first reaches it */
	u32 irq_at_ivor;		/* SIM_NO_IRQ: off */
	u64 irq_every;			/* raise every N instructions */
	u32 irq_every_ivor;
	u64 irq_next;

	struct sim_tlbe tlb0[SIM_TLB0_SETS * SIM_TLB0_WAYS];
	struct sim_tlbe tlb1[SIM_TLB1_SIZE];

	/* shadow mappings (resizing model) */
	struct sim_map maps[SIM_TLB1_SIZE];
	int nsplit;			/* split maps */
	u32 stlb[SIM_SHADOW_TLB_MAX];	/* page EAs, round robin */
	int stlb_next;
	u32 pending_misses, miss_ea;
	u64 ticked;			/* insns already given to abt_tick */
	u64 fault_value;		/* value of a faulting store */

	struct sim_stats stats;
	struct sim_pc_count *pc_hist;	/* SIM_PC_HIST entries */
	char err[SIM_ERR_LEN];
};

/* Life cycle. sim_create returns NULL only when out of memory or when the
 * configuration is invalid (message on stderr prefixed with "abt-sim"). */
struct sim *sim_create(const struct sim_config *cfg, char *err, size_t errlen);
void sim_destroy(struct sim *s);

/* Raw guest memory (current bytes, patches included, no permission
 * checks). 0 or -1 with s->err set. */
int sim_read(struct sim *s, u32 ea, void *buf, u32 len);
int sim_write(struct sim *s, u32 ea, const void *buf, u32 len);
/* As the guest sees it: traced pages give original bytes. */
int sim_read_guest(struct sim *s, u32 ea, void *buf, u32 len);
u32 sim_read32(struct sim *s, u32 ea);	/* big-endian; 0 on error */
/* Drop Unicorn's translated blocks for [ea, ea+len): the port's
 * flush_icache. sim_write does not flush by itself, so a runtime that
 * forgets to flush after patching code runs stale code here too. */
void sim_flush_icache(struct sim *s, u32 ea, u32 len);

/* Registers. */
void sim_set_pc(struct sim *s, u32 pc);
void sim_set_exit(struct sim *s, u32 ea);
int sim_set_gpr(struct sim *s, int n, u32 v);
u32 sim_get_gpr(struct sim *s, int n);
u32 sim_get_vreg(struct sim *s, enum abt_reg r);
void sim_set_vreg(struct sim *s, enum abt_reg r, u32 v);

/* Run until exit_ea (0), or an error (negative, s->err). Resumable. */
int sim_run(struct sim *s);

/* Interrupts. sim_raise_interrupt delivers now when the virtual MSR[EE] is
 * set (and the guest is not in a KVM "critical" section), returning 1;
 * otherwise it stays pending (returns 0) and is delivered as soon as EE is
 * set. Negative on error. */
int sim_raise_interrupt(struct sim *s, u32 ivor);
/* Raise once when execution first reaches ea (before it executes). */
void sim_irq_at(struct sim *s, u32 ea, u32 ivor);
/* Raise every n guest instructions (0: off). */
void sim_irq_every(struct sim *s, u64 n, u32 ivor);

/* Snapshot / compare / print. */
int sim_get_state(struct sim *s, struct sim_state *st);
u32 sim_hash_guest(struct sim *s, u32 ea, u32 len);	/* guest view */
void sim_print_state(const struct sim_state *st, FILE *f);
/* Print "what differs" lines; returns the number of differences. */
int sim_diff_state(const struct sim_state *a, const struct sim_state *b,
		   FILE *f);
void sim_print_stats(struct sim *s, FILE *f);
/* The runtime's counters (abt.h ABT_STATS; nothing without translation):
 * all, one a line with what they count, or those that are not 0 as
 * "name value" pairs after prefix, wrapped below it. */
void sim_print_abt_stats(struct sim *s, FILE *f);
void sim_print_abt_nonzero(struct sim *s, FILE *f, const char *prefix);

/* Exits seen at pc (0 if none); the histogram keeps the first
 * SIM_PC_HIST distinct PCs. */
u64 sim_pc_exits(const struct sim *s, u32 pc);

/* Guest TLB1 changed (sim_tlb.c): resync the shadow mappings. */
void sim_tlb1_sync(struct sim *s);
/* Guest TLB1 entry i as a mapping; returns its size, 0 if none. */
u32 sim_tlb1_mapping(struct sim *s, int i, u32 *ea, u32 *pa, bool *rw);
/* Shadow mapping holding ea, or NULL. */
const struct sim_map *sim_map_of(const struct sim *s, u32 ea);

/* ELF32 big-endian PowerPC images (sim_elf.c). */
struct sim_elf {
	u8 *data;
	size_t len;
	u32 entry;
};
int sim_elf_read(const char *path, struct sim_elf *elf, char *err,
		 size_t errlen);
void sim_elf_free(struct sim_elf *elf);
/* Copy PT_LOAD segments into guest memory (zero-filling bss). */
int sim_elf_load(struct sim *s, const struct sim_elf *elf);
/* Look a symbol up in .symtab: 0 and *value, or -1 if absent/malformed. */
int sim_elf_symbol(const struct sim_elf *elf, const char *name, u32 *value);

#endif /* ABT_SIM_H */
