// SPDX-License-Identifier: GPL-2.0
/*
 * abt userspace port: a simulated e500v2 vCPU in Unicorn.
 *
 * How the pieces fit:
 *  - Guest memory is host buffers mapped with uc_mem_map_ptr, so port reads
 *    and writes are plain copies and never go through Unicorn's permission
 *    checks. The shadow TLB is one permission byte per 4 KiB page, applied
 *    with uc_mem_protect.
 *  - A UC_HOOK_CODE hook runs before every guest instruction. It gives the
 *    precise PC of a faulting access (Unicorn itself reports the start of
 *    the translation block there), counts instructions and stops before an
 *    instruction when an interrupt is to be delivered.
 *  - A privileged instruction raises interrupt 6 (program) at PR=1; Unicorn
 *    then reports PC = faulting PC + 4, which the run loop checks against
 *    the hook's PC every time.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define SIM_PAGE	4096u
#define SIM_PAGE_MASK	(~(SIM_PAGE - 1))

static int sim_errf(struct sim *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int sim_errf(struct sim *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	return -1;
}

static u32 be32(const u8 *b)
{
	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

/* ---------------------------------------------------------------- memory */

static struct sim_region *find_region(struct sim *s, u32 ea)
{
	int i;

	for (i = 0; i < s->nreg; i++) {
		struct sim_region *r = &s->reg[i];

		if (ea - r->base < r->size)
			return r;
	}
	return NULL;
}

/* Split [ea, ea+len) over regions; copy in (write) or out (read). */
static int sim_copy(struct sim *s, u32 ea, void *buf, u32 len, bool write)
{
	u8 *p = buf;

	if (!s || (!buf && len))
		return -1;
	if (len && ea + len - 1 < ea)
		return sim_errf(s, "access at 0x%08x+%u wraps around 4 GiB",
				ea, len);
	while (len) {
		struct sim_region *r = find_region(s, ea);
		u32 off, n;

		if (!r)
			return sim_errf(s, "no guest memory at EA 0x%08x", ea);
		off = ea - r->base;
		n = r->size - off;
		if (n > len)
			n = len;
		if (write)
			memcpy(r->mem + off, p, n);
		else
			memcpy(p, r->mem + off, n);
		p += n;
		ea += n;
		len -= n;
	}
	return 0;
}

int sim_read(struct sim *s, u32 ea, void *buf, u32 len)
{
	return sim_copy(s, ea, buf, len, false);
}

int sim_write(struct sim *s, u32 ea, const void *buf, u32 len)
{
	return sim_copy(s, ea, (void *)buf, len, true);
}

u32 sim_read32(struct sim *s, u32 ea)
{
	u8 b[4];

	if (sim_read(s, ea, b, 4))
		return 0;
	return be32(b);
}

static bool page_traced(struct sim *s, u32 ea)
{
	return s->rt && abt_page_traced(s->rt, ea);
}

/* Guest view of memory; `inspect`: a tool looking, not a guest access,
 * which the runtime does not count (abt_view_read). */
static int read_guest(struct sim *s, u32 ea, void *buf, u32 len,
		      bool inspect)
{
	u8 *p = buf;

	if (sim_read(s, ea, buf, len))
		return -1;
	while (len) {
		u32 n = SIM_PAGE - (ea & (SIM_PAGE - 1));

		if (n > len)
			n = len;
		if (page_traced(s, ea)) {
			int ret = inspect ? abt_view_read(s->rt, ea, p, n) :
					    abt_trace_read(s->rt, ea, p, n);

			if (ret < 0)
				return sim_errf(s, "%s(0x%08x, %u) failed: %d",
						inspect ? "abt_view_read" :
							  "abt_trace_read",
						ea, n, ret);
		}
		p += n;
		ea += n;
		len -= n;
	}
	return 0;
}

int sim_read_guest(struct sim *s, u32 ea, void *buf, u32 len)
{
	return read_guest(s, ea, buf, len, true);
}

void sim_flush_icache(struct sim *s, u32 ea, u32 len)
{
	uint64_t start = ea, end = (uint64_t)ea + len;

	if (!s || !len)
		return;
	s->stats.tb_flushes++;
	/* the macro passes varargs read as uint64_t: keep both 64-bit */
	uc_ctl_remove_cache(s->uc, start, end);
}

static u32 to_uc_prot(u32 perm)
{
	u32 p = UC_PROT_NONE;

	if (perm & ABT_PERM_R)
		p |= UC_PROT_READ;
	if (perm & ABT_PERM_W)
		p |= UC_PROT_WRITE;
	if (perm & ABT_PERM_X)
		p |= UC_PROT_EXEC;
	return p;
}

static u32 page_perm(struct sim *s, u32 ea)
{
	struct sim_region *r = find_region(s, ea);

	if (!r)
		return 0;
	return r->perm[(ea - r->base) / SIM_PAGE];
}

/* Apply a Unicorn protection to one page without touching the table. */
static int protect_page(struct sim *s, u32 page, u32 perm)
{
	uc_err e = uc_mem_protect(s->uc, page, SIM_PAGE, to_uc_prot(perm));

	if (e != UC_ERR_OK)
		return sim_errf(s, "uc_mem_protect(0x%08x): %s", page,
				uc_strerror(e));
	return 0;
}

/* ------------------------------------------------------ shadow mappings */

const struct sim_map *sim_map_of(const struct sim *s, u32 ea)
{
	int i;

	for (i = 0; i < SIM_TLB1_SIZE; i++)
		if (s->maps[i].size && ea - s->maps[i].ea < s->maps[i].size)
			return &s->maps[i];
	return NULL;
}

/* What Unicorn enforces on the page: its own permission, or that of the
 * unsplit shadow mapping holding it. */
static u32 eff_perm(struct sim *s, u32 ea)
{
	const struct sim_map *m = sim_map_of(s, ea);

	if (m && !m->split)
		return m->perm;
	return page_perm(s, ea);
}

/*
 * The part [*lo, *hi) of RAM/TC region r that map m covers; false if none
 * (or r is the magic page).
 */
static bool region_span(const struct sim_region *r, const struct sim_map *m,
			u64 *lo, u64 *hi)
{
	*lo = r->base > m->ea ? r->base : m->ea;
	*hi = (u64)r->base + r->size < (u64)m->ea + m->size ?
	      (u64)r->base + r->size : (u64)m->ea + m->size;
	return r->kind != SIM_REGION_MAGIC && *lo < *hi;
}

/* The permission every mapped page of m has (ABT_PERM_RWX if none). */
static u32 map_common_perm(struct sim *s, const struct sim_map *m)
{
	u32 acc = ABT_PERM_RWX;
	u64 lo, hi, p;
	int i;

	for (i = 0; i < s->nreg; i++)
		if (region_span(&s->reg[i], m, &lo, &hi))
			for (p = lo; p < hi; p += SIM_PAGE)
				acc &= page_perm(s, (u32)p);
	return acc;
}

/*
 * Apply what holds on every page of m: its own permission, or m's if m is
 * unsplit. In runs of equal permission: Unicorn splits its memory regions
 * at every protection boundary and never joins them again, and it has a
 * limit on their number.
 */
static int map_protect(struct sim *s, const struct sim_map *m)
{
	bool whole = m->size && !m->split;
	int i;

	for (i = 0; i < s->nreg; i++) {
		u64 lo, hi, p, run;
		u32 perm = 0, cur;
		uc_err e;

		if (!region_span(&s->reg[i], m, &lo, &hi))
			continue;
		run = lo;
		for (p = lo; p <= hi; p += SIM_PAGE) {
			cur = p < hi ? (whole ? m->perm : page_perm(s, (u32)p)) :
				       ~0u;
			if (p == lo) {
				perm = cur;
				continue;
			}
			if (cur == perm)
				continue;
			e = uc_mem_protect(s->uc, run, p - run, to_uc_prot(perm));
			if (e != UC_ERR_OK)
				return sim_errf(s, "uc_mem_protect(0x%08llx+0x%llx): %s",
						(unsigned long long)run,
						(unsigned long long)(p - run),
						uc_strerror(e));
			run = p;
			perm = cur;
		}
	}
	return 0;
}

/* Recompute an unsplit map's permission and apply what now holds (all
 * its pages have it already if it did not change, unless `force`). */
static int map_apply(struct sim *s, struct sim_map *m, bool force)
{
	u32 acc = map_common_perm(s, m);

	if (!force && acc == m->perm)
		return 0;
	m->perm = acc;
	return map_protect(s, m);
}

void sim_tlb1_sync(struct sim *s)
{
	bool want[SIM_TLB1_SIZE], rw[SIM_TLB1_SIZE];
	u32 ea[SIM_TLB1_SIZE], pa[SIM_TLB1_SIZE], size[SIM_TLB1_SIZE];
	int i, j;

	for (i = 0; i < SIM_TLB1_SIZE; i++) {
		size[i] = sim_tlb1_mapping(s, i, &ea[i], &pa[i], &rw[i]);
		want[i] = size[i] != 0;
		for (j = 0; j < i && want[i]; j++)	/* duplicates, overlaps */
			if (want[j] && ea[i] - ea[j] < size[j])
				want[i] = false;
	}
	/* drop shadows no entry matches any more */
	for (j = 0; j < SIM_TLB1_SIZE; j++) {
		struct sim_map *m = &s->maps[j];
		bool keep = false;

		if (!m->size)
			continue;
		for (i = 0; i < SIM_TLB1_SIZE; i++)
			if (want[i] && ea[i] == m->ea && size[i] == m->size) {
				want[i] = false;	/* already shadowed */
				keep = true;
			}
		if (keep)
			continue;
		if (m->split)
			s->nsplit--;
		m->split = true;	/* per-page permissions from now on */
		map_protect(s, m);
		if (s->rt)
			abt_guest_unmap(s->rt, m->ea, m->size);
		m->size = 0;
	}
	for (i = 0; i < SIM_TLB1_SIZE; i++) {
		struct sim_map *m = NULL;

		if (!want[i])
			continue;
		for (j = 0; j < SIM_TLB1_SIZE && !m; j++)
			if (!s->maps[j].size)
				m = &s->maps[j];
		if (!m)
			break;
		m->ea = ea[i];
		m->size = size[i];
		m->pa = pa[i];
		m->split = false;
		if (s->rt)
			abt_guest_map(s->rt, m->ea, m->size, m->pa,
				      rw[i] ? ABT_MAP_WRITABLE : 0);
		map_apply(s, m, true);
	}
}

static struct sim_map *map_exact(struct sim *s, u32 ea, u32 size)
{
	int i;

	for (i = 0; i < SIM_TLB1_SIZE; i++)
		if (s->maps[i].size == size && s->maps[i].ea == ea)
			return &s->maps[i];
	return NULL;
}

/* ------------------------------------------------------------ port ops */

static int port_read(void *port, u32 ea, void *buf, u32 len)
{
	return sim_read(port, ea, buf, len) ? -1 : 0;
}

static int port_write(void *port, u32 ea, const void *buf, u32 len)
{
	return sim_write(port, ea, buf, len) ? -1 : 0;
}

static void port_flush_icache(void *port, u32 ea, u32 len)
{
	sim_flush_icache(port, ea, len);
}

static int port_set_page_perm(void *port, u32 ea, u32 perm)
{
	struct sim *s = port;
	struct sim_region *r = find_region(s, ea);
	u32 page = ea & SIM_PAGE_MASK;
	struct sim_map *m;

	if (!r || r->kind == SIM_REGION_MAGIC) {
		sim_errf(s, "set_page_perm: no guest RAM page at EA 0x%08x", ea);
		return -1;
	}
	perm &= ABT_PERM_RWX;
	r->perm[(page - r->base) / SIM_PAGE] = perm;
	m = (struct sim_map *)sim_map_of(s, page);
	if (m && !m->split)
		return map_apply(s, m, false) ? -1 : 0;
	return protect_page(s, page, perm) ? -1 : 0;
}

static int port_split_mapping(void *port, u32 ea, u32 size)
{
	struct sim *s = port;
	struct sim_map *m = map_exact(s, ea, size);

	if (!m || m->split)
		return -1;
	m->split = true;
	s->nsplit++;
	s->stlb_next = 0;
	memset(s->stlb, 0, sizeof(s->stlb));
	return map_protect(s, m) ? -1 : 0;
}

static int port_merge_mapping(void *port, u32 ea, u32 size)
{
	struct sim *s = port;
	struct sim_map *m = map_exact(s, ea, size);

	if (!m || !m->split)
		return -1;
	m->split = false;
	s->nsplit--;
	return map_apply(s, m, true) ? -1 : 0;
}

/* ------------------------------------------------------------ registers */

static int uc_gpr_id[32];

static void load_cpu(struct sim *s)
{
	int ids[36];
	void *vals[36];
	int i;

	for (i = 0; i < 32; i++) {
		ids[i] = uc_gpr_id[i];
		vals[i] = &s->cpu.gpr[i];
	}
	ids[32] = UC_PPC_REG_CR;
	vals[32] = &s->cpu.cr;
	ids[33] = UC_PPC_REG_XER;
	vals[33] = &s->cpu.xer;
	ids[34] = UC_PPC_REG_LR;
	vals[34] = &s->cpu.lr;
	ids[35] = UC_PPC_REG_CTR;
	vals[35] = &s->cpu.ctr;
	uc_reg_read_batch(s->uc, ids, vals, 36);
}

static void store_cpu(struct sim *s)
{
	int ids[36];
	void *vals[36];
	int i;

	for (i = 0; i < 32; i++) {
		ids[i] = uc_gpr_id[i];
		vals[i] = &s->cpu.gpr[i];
	}
	ids[32] = UC_PPC_REG_CR;
	vals[32] = &s->cpu.cr;
	ids[33] = UC_PPC_REG_XER;
	vals[33] = &s->cpu.xer;
	ids[34] = UC_PPC_REG_LR;
	vals[34] = &s->cpu.lr;
	ids[35] = UC_PPC_REG_CTR;
	vals[35] = &s->cpu.ctr;
	uc_reg_write_batch(s->uc, ids, vals, 36);
}

void sim_set_pc(struct sim *s, u32 pc)
{
	s->pc = pc;
	s->exited = false;
}

void sim_set_exit(struct sim *s, u32 ea)
{
	s->exit_ea = ea;
	s->exited = false;
	/* Unicorn compiles the stop into the block translated with it: a
	 * block cached from an earlier run would run past a new exit */
	if (s->uc && ea != 0xffffffffu)
		sim_flush_icache(s, ea, 4);
}

int sim_set_gpr(struct sim *s, int n, u32 v)
{
	if (n < 0 || n > 31)
		return sim_errf(s, "no GPR r%d", n);
	return uc_reg_write(s->uc, uc_gpr_id[n], &v) == UC_ERR_OK ? 0 : -1;
}

u32 sim_get_gpr(struct sim *s, int n)
{
	u32 v = 0;

	if (n >= 0 && n <= 31)
		uc_reg_read(s->uc, uc_gpr_id[n], &v);
	return v;
}

u32 sim_get_vreg(struct sim *s, enum abt_reg r)
{
	if ((unsigned int)r >= ABT_REG_COUNT)
		return 0;
	return abt_reg_read(&s->cpu, r);
}

void sim_set_vreg(struct sim *s, enum abt_reg r, u32 v)
{
	if ((unsigned int)r < ABT_REG_COUNT)
		abt_reg_write(&s->cpu, r, v);
}

static u32 vmsr(struct sim *s)
{
	return abt_reg_read(&s->cpu, ABT_REG_MSR);
}

static bool in_tc(struct sim *s, u32 ea)
{
	int i;

	for (i = 0; i < s->cfg.ntc; i++)
		if (ea - s->cfg.tc[i].base < s->cfg.tc[i].size)
			return true;
	/* stubs in a stolen range */
	return s->rt && abt_in_tc(s->rt, ea);
}

/* ------------------------------------------------------------ statistics */

static void count_pc(struct sim *s, u32 pc, u32 word)
{
	u32 h = (pc * 0x9e3779b1u) >> 19;	/* 13 bits: SIM_PC_HIST */
	int i;

	for (i = 0; i < 32; i++) {
		struct sim_pc_count *e = &s->pc_hist[(h + i) & (SIM_PC_HIST - 1)];

		if (e->count && e->pc != pc)
			continue;
		e->pc = pc;
		e->word = word;
		e->count++;
		return;
	}
}

u64 sim_pc_exits(const struct sim *s, u32 pc)
{
	u32 h = (pc * 0x9e3779b1u) >> 19;
	int i;

	for (i = 0; i < 32; i++) {
		const struct sim_pc_count *e =
			&s->pc_hist[(h + i) & (SIM_PC_HIST - 1)];

		if (!e->count)
			return 0;
		if (e->pc == pc)
			return e->count;
	}
	return 0;
}

/* ------------------------------------------------------------ interrupts */

/* KVM's rule (booke.c): EE set, and not in a PV critical section
 * (supervisor mode with the magic page's `critical` == r1). */
static bool irq_deliverable(struct sim *s)
{
	u32 msr = vmsr(s);

	if (!(msr & SIM_MSR_EE))
		return false;
	if (!(msr & SIM_MSR_PR) &&
	    abt_slot_read(&s->cpu, ABT_SLOT_critical) == sim_get_gpr(s, 1))
		return false;
	return true;
}

static void irq_raise(struct sim *s, u32 ivor)
{
	s->irq_pending = ivor;
	abt_slot_write(&s->cpu, ABT_SLOT_int_pending, 1);
}

/*
 * Emulate the translatable instruction at *pc (original bytes) after a
 * recovery. Returns true if the interrupt must now wait (EE was cleared).
 */
static bool recover_step(struct sim *s, u32 *pc)
{
	struct abt_fields f;
	enum abt_rule r;
	u32 word;
	u8 b[4];

	/* a rewritten data access: the runtime performs it */
	if (!abt_mirror_step(s->rt, *pc, s->cpu.gpr)) {
		s->stats.recover_steps++;
		*pc += 4;
		return false;
	}
	if (abt_trace_read(s->rt, *pc, b, 4))
		return false;
	word = (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
	r = abt_decode(word, &f);
	if (r == ABT_RULE_NONE || abt_rules[r].shape == ABT_SHAPE_TRAP)
		return false;
	s->cpu.pc = *pc;
	if (abt_emulate(&s->cpu, word) != ABT_EMULATE_DONE)
		return false;
	s->stats.recover_steps++;
	*pc = s->cpu.pc;
	return !irq_deliverable(s);
}

/*
 * Take interrupt `ivor` with the guest about to execute `pc`. The vCPU
 * state is in Unicorn; it is loaded, changed and stored back here.
 */
static int deliver(struct sim *s, u32 pc, u32 ivor, bool async)
{
	int rvec = abt_reg_of_spr(400 + ivor), rivpr = abt_reg_of_spr(63);
	u32 msr;

	if (ivor > 15 || rvec < 0 || rivpr < 0)
		return sim_errf(s, "cannot deliver interrupt IVOR%u: IVPR/IVOR%u not declared by the rules",
				ivor, ivor);
	load_cpu(s);
	if (s->rt && in_tc(s, pc)) {
		pc = abt_recover_pc(s->rt, pc, s->cpu.gpr, &s->cpu.cr);
		/*
		 * A stub rolled back to its site would restart from scratch
		 * after the handler; with interrupts closer together than
		 * handler plus stub the guest would never get past it. So
		 * the host runs that one instruction first (its trap path),
		 * then delivers only if it left EE set.
		 */
		if (async && recover_step(s, &pc)) {
			store_cpu(s);
			s->pc = pc;
			return 0;
		}
	}
	if (in_tc(s, pc))
		s->stats.irq_srr0_in_tc++;
	msr = vmsr(s);
	abt_reg_write(&s->cpu, ABT_REG_SRR0, pc);
	abt_reg_write(&s->cpu, ABT_REG_SRR1, msr);
	abt_reg_write(&s->cpu, ABT_REG_MSR, msr & ~SIM_MSR_INT_CLEAR);
	s->cpu.pc = (abt_reg_read(&s->cpu, rivpr) & 0xffff0000u) |
		    (abt_reg_read(&s->cpu, rvec) & 0x0000fff0u);
	store_cpu(s);
	s->pc = s->cpu.pc;
	if (async) {
		s->irq_pending = SIM_NO_IRQ;
		abt_slot_write(&s->cpu, ABT_SLOT_int_pending, 0);
		s->stats.irqs++;
	}
	return 0;
}

int sim_raise_interrupt(struct sim *s, u32 ivor)
{
	if (!s)
		return -1;
	if (ivor > 15)
		return sim_errf(s, "no IVOR%u", ivor);
	irq_raise(s, ivor);
	if (!irq_deliverable(s))
		return 0;
	return deliver(s, s->pc, ivor, true) ? -1 : 1;
}

void sim_irq_at(struct sim *s, u32 ea, u32 ivor)
{
	s->irq_at_ea = ea;
	s->irq_at_ivor = ivor;
}

void sim_irq_every(struct sim *s, u64 n, u32 ivor)
{
	s->irq_every = n;
	s->irq_every_ivor = ivor;
	s->irq_next = s->stats.insns + n;
}

/* ------------------------------------------------------------ hooks */

/* Stop before the instruction at cur_pc executes; it is counted again when
 * the run resumes there. */
static void stop_before(struct sim *s, enum sim_stop why)
{
	s->stop = why;
	s->stats.insns--;
	uc_emu_stop(s->uc);
}

static void hook_code(uc_engine *uc, uint64_t addr, uint32_t size, void *arg)
{
	struct sim *s = arg;

	s->cur_pc = (u32)addr;
	s->stats.insns++;
	if (s->stepping) {
		/* single step without uc_emu_start's count: that installs
		 * and later drops a count hook, flushing every TB each time */
		if (s->stepped++)
			stop_before(s, SIM_STOP_STEPPED);
		return;
	}
	if (s->stats.insns > s->limit) {
		stop_before(s, SIM_STOP_LIMIT);
		return;
	}
	if (s->irq_at_ivor != SIM_NO_IRQ && s->cur_pc == s->irq_at_ea) {
		irq_raise(s, s->irq_at_ivor);
		s->irq_at_ivor = SIM_NO_IRQ;
	}
	if (s->irq_every && s->stats.insns >= s->irq_next) {
		irq_raise(s, s->irq_every_ivor);
		s->irq_next += s->irq_every;
	}
	if (s->irq_pending != SIM_NO_IRQ && irq_deliverable(s)) {
		stop_before(s, SIM_STOP_IRQ);
		return;
	}
	if (s->pending_misses >= SIM_MISS_BATCH) {
		stop_before(s, SIM_STOP_MISSES);
		return;
	}
	if (s->cfg.progress && s->stats.insns >= s->next_progress)
		stop_before(s, SIM_STOP_PROGRESS);
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *arg)
{
	struct sim *s = arg;

	s->stop = intno == 6 ? SIM_STOP_PRIV : SIM_STOP_INTR;
	s->stop_intno = intno;
	uc_emu_stop(uc);
}

/*
 * Unicorn 2.0.1 checks page protections only on its slow memory path: once
 * a page is in its softmmu TLB with read/write rights, uc_mem_protect does
 * not take them away (nor does uc_mem_unmap, or a TB flush). A read/write
 * hook over all memory keeps every access on the slow path, where the
 * current protection is checked; it does nothing itself.
 */
static void hook_access(uc_engine *uc, uc_mem_type type, uint64_t addr,
			int size, int64_t value, void *arg)
{
	struct sim *s = arg;
	const struct sim_map *m;
	u32 page = (u32)addr & SIM_PAGE_MASK;
	int i, n;

	/* shadow TLB model: only split mappings are made of 4 KiB pieces */
	if (!s->nsplit || !(m = sim_map_of(s, page)) || !m->split)
		return;
	n = s->cfg.shadow_tlb;
	for (i = 0; i < n; i++)
		if (s->stlb[i] == page + 1)
			return;
	s->stlb[s->stlb_next] = page + 1;
	s->stlb_next = (s->stlb_next + 1) % n;
	s->stats.tlb_misses++;
	s->pending_misses++;
	s->miss_ea = page;
}

static bool hook_mem(uc_engine *uc, uc_mem_type type, uint64_t addr,
		     int size, int64_t value, void *arg)
{
	struct sim *s = arg;
	u32 end = (u32)addr + (size > 0 ? (u32)size : 1);

	/*
	 * Unicorn carries on with a multi-word access (stmw, lmw) after a
	 * refused word, calls this hook for every word, and may run the code
	 * hook for the next instruction before it stops: keep the first
	 * fault's PC and extend its range.
	 */
	if (s->faulted) {
		if ((int)type == s->fault_type &&
		    end - s->fault_ea > s->fault_size &&
		    end - s->fault_ea <= SIM_PAGE) {
			s->fault_size = end - s->fault_ea;
			s->fault_multi = true;
		}
		return false;
	}
	s->faulted = true;
	s->fault_multi = false;
	s->fault_pc = s->cur_pc;
	s->fault_type = type;
	s->fault_ea = (u32)addr;
	s->fault_size = end - (u32)addr;
	s->fault_value = (u64)value;
	return false;
}

/* ------------------------------------------------------------ run loop */

static const char *mem_type_name(int t)
{
	switch (t) {
	case UC_MEM_READ_UNMAPPED:	return "read of unmapped memory";
	case UC_MEM_WRITE_UNMAPPED:	return "write to unmapped memory";
	case UC_MEM_FETCH_UNMAPPED:	return "fetch from unmapped memory";
	case UC_MEM_READ_PROT:		return "read of non-readable page";
	case UC_MEM_WRITE_PROT:		return "write to non-writable page";
	case UC_MEM_FETCH_PROT:		return "fetch from non-executable page";
	default:			return "memory fault";
	}
}

/*
 * Run exactly the instruction at pc with the pages covering [ea, ea+len)
 * temporarily given `add` permissions. If `orig` is set, the pages are
 * shown with their original (unpatched) bytes during the step.
 */
static int step_with(struct sim *s, u32 pc, u32 ea, u32 len, u32 add,
		     bool orig)
{
	u32 page[2], np = 0, i;
	u8 tmp[SIM_PAGE];
	int ret = 0;
	uc_err e;

	if (!len || len > SIM_PAGE)
		return sim_errf(s, "access of %u bytes at EA 0x%08x (PC 0x%08x) not supported",
				len, ea, pc);
	page[np++] = ea & SIM_PAGE_MASK;
	if (((ea + len - 1) & SIM_PAGE_MASK) != page[0])
		page[np++] = (ea + len - 1) & SIM_PAGE_MASK;
	for (i = 0; i < np; i++) {
		struct sim_region *r = find_region(s, page[i]);

		if (!r)
			return sim_errf(s, "no guest memory at EA 0x%08x", page[i]);
		if (orig && page_traced(s, page[i])) {
			memcpy(s->save[i], r->mem + (page[i] - r->base), SIM_PAGE);
			if (read_guest(s, page[i], tmp, SIM_PAGE, true))
				return -1;
			memcpy(r->mem + (page[i] - r->base), tmp, SIM_PAGE);
			sim_flush_icache(s, page[i], SIM_PAGE);
			s->saved[i] = true;
		}
		if (protect_page(s, page[i], eff_perm(s, page[i]) | add))
			return -1;
	}

	s->stepping = true;
	s->stepped = 0;
	s->faulted = false;
	s->stop = SIM_STOP_NONE;
	s->stats.insns--;	/* counted again by the step */
	e = uc_emu_start(s->uc, pc, s->exit_ea, 0, 0);
	s->stepping = false;
	if (e != UC_ERR_OK || s->faulted)
		ret = sim_errf(s, "re-executing the access at PC 0x%08x (EA 0x%08x) failed: %s%s",
			       pc, ea, s->faulted ? mem_type_name(s->fault_type) : "",
			       s->faulted ? "" : uc_strerror(e));
	else if (s->stop == SIM_STOP_PRIV || s->stop == SIM_STOP_INTR)
		ret = sim_errf(s, "interrupt %u while re-executing the access at PC 0x%08x",
			       s->stop_intno, pc);
	else if (s->stop == SIM_STOP_STEPPED)
		s->pc = s->cur_pc;
	else	/* reached exit_ea right after the access */
		uc_reg_read(s->uc, UC_PPC_REG_PC, &s->pc);

	for (i = 0; i < np; i++) {
		struct sim_region *r = find_region(s, page[i]);

		if (s->saved[i]) {
			memcpy(r->mem + (page[i] - r->base), s->save[i], SIM_PAGE);
			sim_flush_icache(s, page[i], SIM_PAGE);
			s->saved[i] = false;
		}
		if (protect_page(s, page[i], eff_perm(s, page[i])))
			ret = -1;
	}
	return ret;
}

/*
 * A protection fault: let the runtime decide (abt_dsi), then complete the
 * access. Loads of traced pages run with the page showing the guest's view
 * (original code, mirrored data); stores run against guest memory after the
 * runtime dropped the patches they hit and updated mirrors.
 */
static int handle_fault(struct sim *s)
{
	u32 pc = s->fault_pc, ea = s->fault_ea, len = s->fault_size, i;
	bool write = s->fault_type == UC_MEM_WRITE_PROT;
	u8 buf[8];
	int act, ret;

	if ((s->fault_type != UC_MEM_READ_PROT && !write) || !s->rt)
		goto fault;
	/* wider than the hook's 8-byte value (dcbz, stmw): bytes unknown
	 * (no shift past 64 bits); a load is shown the guest view by
	 * step_with anyway */
	for (i = 0; len <= sizeof(buf) && i < len; i++)	/* big-endian */
		buf[i] = s->fault_value >> (8 * (len - 1 - i));
	act = abt_dsi(s->rt, pc, ea, len, write,
		      len <= sizeof(buf) && !s->fault_multi ? buf : NULL);
	if (act < 0)
		return sim_errf(s, "abt_dsi(0x%08x, %u) at PC 0x%08x failed: %d",
				ea, len, pc, act);
	switch (act) {
	case ABT_DSI_READ:
		s->stats.trace_read_faults++;
		return step_with(s, pc, ea, len, ABT_PERM_R, true);
	case ABT_DSI_WRITE:
		s->stats.trace_write_faults++;
		/* no longer traced (the runtime dropped the last patch on the
		 * page): simply run it; else let this one store through */
		if ((eff_perm(s, ea) & ABT_PERM_W) &&
		    (eff_perm(s, ea + len - 1) & ABT_PERM_W)) {
			s->pc = pc;
			ret = 0;
		} else {
			ret = step_with(s, pc, ea, len, ABT_PERM_W, false);
		}
		sim_flush_icache(s, ea, len);
		return ret;
	case ABT_DSI_ACCESS:
		s->stats.false_faults++;
		if ((eff_perm(s, ea) & (write ? ABT_PERM_W : ABT_PERM_R)) &&
		    (eff_perm(s, ea + len - 1) &
		     (write ? ABT_PERM_W : ABT_PERM_R))) {
			s->pc = pc;	/* the runtime split the mapping */
			return 0;
		}
		return step_with(s, pc, ea, len,
				 write ? ABT_PERM_W : ABT_PERM_R, false);
	default:
		break;
	}
fault:
	return sim_errf(s, "guest %s at EA 0x%08x (%u bytes), PC 0x%08x",
			mem_type_name(s->fault_type), ea, len, pc);
}

/*
 * MSR[WE] set by the instruction just emulated (vCPU state loaded): the
 * vCPU waits for an interrupt. As KVM does (kvmppc_abt_leave_tc), a PC
 * inside a stub is first moved back to the guest code: a stub's exit path
 * runs the original mtmsr in the TC, and a vCPU waiting there would hold
 * off every drop of that stub's patch for as long as it waits (on two
 * vCPUs, possibly for the vCPU whose interrupt it waits for). The wait
 * ends with the pending interrupt, or the next periodic one; with none to
 * come it is an error.
 */
static int wait_for_irq(struct sim *s)
{
	s->stats.waits++;
	if (s->rt && in_tc(s, s->cpu.pc)) {
		s->cpu.pc = abt_recover_pc(s->rt, s->cpu.pc, s->cpu.gpr,
					   &s->cpu.cr);
		s->stats.waits_left_tc++;
	}
	store_cpu(s);
	s->pc = s->cpu.pc;
	s->stats.wait_pc = s->pc;
	if (s->irq_pending == SIM_NO_IRQ && s->irq_every) {
		irq_raise(s, s->irq_every_ivor);
		s->irq_next = s->stats.insns + s->irq_every;
	}
	if (s->irq_pending == SIM_NO_IRQ || !irq_deliverable(s))
		return sim_errf(s, "guest waits (MSR[WE]) at PC 0x%08x for an interrupt that cannot come",
				s->pc);
	return deliver(s, s->pc, s->irq_pending, true);
}

static int handle_priv(struct sim *s, u32 pc)
{
	struct abt_fields f;
	enum abt_rule rule;
	u32 word, reported = 0;
	u8 b[4];

	uc_reg_read(s->uc, UC_PPC_REG_PC, &reported);
	if (reported != pc + 4)
		return sim_errf(s, "program interrupt at PC 0x%08x but Unicorn reports PC 0x%08x (expected PC + 4)",
				pc, reported);
	if (sim_read(s, pc, b, 4))
		return sim_errf(s, "program interrupt at PC 0x%08x: cannot read the instruction",
				pc);
	word = be32(b);
	rule = abt_decode(word, &f);
	s->stats.exits++;
	if ((unsigned int)rule < ABT_RULE_COUNT)
		s->stats.exits_rule[rule]++;
	count_pc(s, pc, word);

	load_cpu(s);
	s->cpu.pc = pc;
	if (vmsr(s) & SIM_MSR_PR) {
		/* guest user mode: the guest kernel gets the program check */
		s->stats.prog_irqs++;
		abt_reg_write(&s->cpu, ABT_REG_ESR, SIM_ESR_PPR);
		return deliver(s, pc, SIM_IVOR_PROGRAM, false);
	}
	if (s->rt)
		abt_exit(s->rt, pc, word);
	if (abt_emulate(&s->cpu, word) != ABT_EMULATE_DONE)
		return sim_errf(s, "unknown privileged instruction 0x%08x at PC 0x%08x",
				word, pc);
	if (vmsr(s) & SIM_MSR_WE)
		return wait_for_irq(s);
	store_cpu(s);
	s->pc = s->cpu.pc;
	if (s->irq_pending != SIM_NO_IRQ && irq_deliverable(s))
		return deliver(s, s->pc, s->irq_pending, true);
	return 0;
}

/* The cost model's clock is guest instructions; misses go in batches. */
static void report_misses(struct sim *s)
{
	if (!s->rt)
		return;
	if (s->pending_misses) {
		abt_tlb_miss(s->rt, s->miss_ea, s->pending_misses);
		s->pending_misses = 0;
	}
	if (s->stats.insns > s->ticked) {
		abt_tick(s->rt, (u32)(s->stats.insns - s->ticked));
		s->ticked = s->stats.insns;
	}
}

int sim_run(struct sim *s)
{
	if (!s)
		return -1;
	s->err[0] = 0;
	s->limit = s->cfg.max_insns;
	s->next_progress = s->stats.insns + s->cfg.progress_every;
	for (;;) {
		uc_err e;
		int ret = 0;

		if (s->pc == s->exit_ea) {
			s->exited = true;
			return 0;
		}
		s->stop = SIM_STOP_NONE;
		s->faulted = false;
		e = uc_emu_start(s->uc, s->pc, s->exit_ea, 0, 0);
		report_misses(s);
		if (s->faulted) {
			ret = handle_fault(s);
		} else if (e != UC_ERR_OK) {
			ret = sim_errf(s, "Unicorn: %s (last PC 0x%08x)",
				       uc_strerror(e), s->cur_pc);
		} else {
			switch (s->stop) {
			case SIM_STOP_NONE:
				uc_reg_read(s->uc, UC_PPC_REG_PC, &s->pc);
				if (s->pc != s->exit_ea)
					ret = sim_errf(s, "emulation stopped at PC 0x%08x for no known reason",
						       s->pc);
				break;
			case SIM_STOP_PRIV:
				ret = handle_priv(s, s->cur_pc);
				break;
			case SIM_STOP_INTR:
				ret = sim_errf(s, "unexpected interrupt %u at PC 0x%08x",
					       s->stop_intno, s->cur_pc);
				break;
			case SIM_STOP_IRQ:
				ret = deliver(s, s->cur_pc, s->irq_pending, true);
				break;
			case SIM_STOP_LIMIT:
				s->pc = s->cur_pc;
				ret = sim_errf(s, "instruction limit (%llu) reached at PC 0x%08x",
					       (unsigned long long)s->limit,
					       s->cur_pc);
				break;
			case SIM_STOP_STEPPED:	/* only while stepping */
			case SIM_STOP_MISSES:	/* reported above */
				s->pc = s->cur_pc;
				break;
			case SIM_STOP_PROGRESS:
				s->pc = s->cur_pc;
				s->next_progress += s->cfg.progress_every;
				s->cfg.progress(s->cfg.progress_arg,
						s->stats.insns, s->stats.exits);
				break;
			}
		}
		if (ret)
			return ret;
	}
}

/* ------------------------------------------------------------ state */

static u32 fnv1a(u32 h, const u8 *p, u32 len)
{
	while (len--) {
		h ^= *p++;
		h *= 16777619u;
	}
	return h;
}

u32 sim_hash_guest(struct sim *s, u32 ea, u32 len)
{
	u8 buf[SIM_PAGE];
	u32 h = 2166136261u;

	while (len) {
		u32 n = len < SIM_PAGE ? len : SIM_PAGE;

		if (sim_read_guest(s, ea, buf, n))
			memset(buf, 0xee, n);
		h = fnv1a(h, buf, n);
		ea += n;
		len -= n;
	}
	return h;
}

int sim_get_state(struct sim *s, struct sim_state *st)
{
	int i;

	if (!s || !st)
		return -1;
	memset(st, 0, sizeof(*st));
	load_cpu(s);
	memcpy(st->gpr, s->cpu.gpr, sizeof(st->gpr));
	st->pc = s->pc;
	st->cr = s->cpu.cr;
	st->xer = s->cpu.xer;
	st->lr = s->cpu.lr;
	st->ctr = s->cpu.ctr;
	for (i = 0; i < ABT_REG_COUNT; i++)
		st->reg[i] = abt_reg_read(&s->cpu, i);
	st->ram_hash = 2166136261u;
	for (i = 0; i < s->nreg; i++)
		if (s->reg[i].kind == SIM_REGION_RAM)
			st->ram_hash ^= sim_hash_guest(s, s->reg[i].base,
						       s->reg[i].size) + i;
	return 0;
}

void sim_print_state(const struct sim_state *st, FILE *f)
{
	int i, n;

	fprintf(f, "pc  %08x  cr  %08x  xer %08x  lr  %08x  ctr %08x\n",
		st->pc, st->cr, st->xer, st->lr, st->ctr);
	for (i = 0; i < 32; i++)
		fprintf(f, "r%-2d %08x%s", i, st->gpr[i],
			i % 8 == 7 ? "\n" : "  ");
	for (i = 0, n = 0; i < ABT_REG_COUNT; i++) {
		if (!st->reg[i])
			continue;
		fprintf(f, "%-9s %08x%s", abt_reg_names[i], st->reg[i],
			++n % 5 ? "  " : "\n");
	}
	fprintf(f, "%s(virtual registers not shown are 0)\n",
		n % 5 ? "\n" : "");
	fprintf(f, "RAM hash (guest view) %08x\n", st->ram_hash);
}

int sim_diff_state(const struct sim_state *a, const struct sim_state *b,
		   FILE *f)
{
	int i, n = 0;

#define SIM_DIFF(name, x, y) do {					\
		if ((x) != (y)) {					\
			n++;						\
			if (f)						\
				fprintf(f, "  %s: %08x != %08x\n",	\
					name, (x), (y));		\
		}							\
	} while (0)
	for (i = 0; i < 32; i++) {
		char nm[8];

		snprintf(nm, sizeof(nm), "r%d", i);
		SIM_DIFF(nm, a->gpr[i], b->gpr[i]);
	}
	SIM_DIFF("pc", a->pc, b->pc);
	SIM_DIFF("cr", a->cr, b->cr);
	SIM_DIFF("xer", a->xer, b->xer);
	SIM_DIFF("lr", a->lr, b->lr);
	SIM_DIFF("ctr", a->ctr, b->ctr);
	for (i = 0; i < ABT_REG_COUNT; i++)
		SIM_DIFF(abt_reg_names[i], a->reg[i], b->reg[i]);
	SIM_DIFF("RAM hash", a->ram_hash, b->ram_hash);
#undef SIM_DIFF
	return n;
}

void sim_print_stats(struct sim *s, FILE *f)
{
	int r;

	fprintf(f, "%-24s %12s\n", "rule", "exits");
	for (r = 0; r < ABT_RULE_COUNT; r++) {
		if (!s->stats.exits_rule[r])
			continue;
		fprintf(f, "%-24s %12llu\n",
			r == ABT_RULE_NONE ? "(no rule)" : abt_rules[r].name,
			(unsigned long long)s->stats.exits_rule[r]);
	}
	fprintf(f, "%-24s %12llu\n", "total exits",
		(unsigned long long)s->stats.exits);
	fprintf(f, "guest instructions       %12llu\n",
		(unsigned long long)s->stats.insns);
	fprintf(f, "interrupts delivered     %12llu (SRR0 in TC: %llu)\n",
		(unsigned long long)s->stats.irqs,
		(unsigned long long)s->stats.irq_srr0_in_tc);
	if (s->stats.prog_irqs)
		fprintf(f, "program checks to guest  %12llu\n",
			(unsigned long long)s->stats.prog_irqs);
	if (s->stats.waits)
		fprintf(f, "waits (MSR[WE])          %12llu (left a stub first: %llu)\n",
			(unsigned long long)s->stats.waits,
			(unsigned long long)s->stats.waits_left_tc);
	if (s->rt) {
		fprintf(f, "PCs stepped by the host  %12llu (rolled back out of a stub)\n",
			(unsigned long long)s->stats.recover_steps);
		fprintf(f, "abt runtime counters:\n");
		sim_print_abt_stats(s, f);
	}
}

void sim_print_abt_stats(struct sim *s, FILE *f)
{
	const struct abt_stats *st;
	unsigned int i;

	if (!s->rt)
		return;
	st = abt_stats_get(s->rt);
	for (i = 0; i < ABT_NSTATS; i++)
		fprintf(f, "  %-22s %12llu  %s\n", abt_stat_name(i),
			(unsigned long long)abt_stat_value(st, i),
			abt_stat_meaning(i));
}

/* Print item at *col, wrapping below the prefix (w columns) when it would
 * pass column 78; a wrapped item loses its leading ", ". */
static void put_wrapped(FILE *f, const char *item, unsigned int *col,
			unsigned int w)
{
	size_t n = strlen(item);

	if (*col + n > 78 && *col > w) {
		fprintf(f, ",\n%*s", (int)w, "");
		*col = w;
		item += 2;
		n -= 2;
	}
	fputs(item, f);
	*col += n;
}

void sim_print_abt_nonzero(struct sim *s, FILE *f, const char *prefix)
{
	const struct abt_stats *st;
	unsigned int i, n = 0, w = strlen(prefix), col = w;
	char item[64];

	if (!s->rt)
		return;
	st = abt_stats_get(s->rt);
	fputs(prefix, f);
	for (i = 0; i < ABT_NSTATS; i++) {
		if (!abt_stat_value(st, i))
			continue;
		snprintf(item, sizeof(item), ", %s %llu", abt_stat_name(i),
			 (unsigned long long)abt_stat_value(st, i));
		if (n++) {
			put_wrapped(f, item, &col, w);
		} else {
			fputs(item + 2, f);
			col += strlen(item + 2);
		}
	}
	if (n < ABT_NSTATS) {
		snprintf(item, sizeof(item), n ? "; the other %u: 0" :
			 "all %u counters 0", ABT_NSTATS - n);
		if (n && col + strlen(item) > 78)
			fprintf(f, ";\n%*s%s", (int)w, "", item + 2);
		else
			fputs(item, f);
	}
	fputs("\n", f);
}

/* ------------------------------------------------------------ setup */

static bool ranges_overlap(u32 a, u32 alen, u32 b, u32 blen)
{
	return (u64)a < (u64)b + blen && (u64)b < (u64)a + alen;
}

static int add_region(struct sim *s, u32 base, u32 size,
		      enum sim_region_kind kind, u32 perm)
{
	struct sim_region *r;
	uc_err e;
	int i;

	if (!size || (base | size) & (SIM_PAGE - 1) ||
	    (u64)base + size > 0x100000000ull)
		return sim_errf(s, "region 0x%08x+0x%x: base and size must be 4 KiB aligned, non-empty and below 4 GiB",
				base, size);
	for (i = 0; i < s->nreg; i++)
		if (ranges_overlap(base, size, s->reg[i].base, s->reg[i].size))
			return sim_errf(s, "region 0x%08x+0x%x overlaps region 0x%08x+0x%x",
					base, size, s->reg[i].base,
					s->reg[i].size);
	if (s->nreg >= (int)(sizeof(s->reg) / sizeof(s->reg[0])))
		return sim_errf(s, "too many memory regions");
	r = &s->reg[s->nreg];
	if (posix_memalign((void **)&r->mem, SIM_PAGE, size))
		r->mem = NULL;
	r->perm = malloc(size / SIM_PAGE);
	if (!r->mem || !r->perm) {
		free(r->mem);
		free(r->perm);
		r->mem = NULL;
		r->perm = NULL;
		return sim_errf(s, "out of memory for region 0x%08x+0x%x",
				base, size);
	}
	memset(r->mem, 0, size);
	memset(r->perm, perm, size / SIM_PAGE);
	r->base = base;
	r->size = size;
	r->kind = kind;
	s->nreg++;
	e = uc_mem_map_ptr(s->uc, base, size, to_uc_prot(perm), r->mem);
	if (e != UC_ERR_OK)
		return sim_errf(s, "uc_mem_map_ptr(0x%08x+0x%x): %s", base,
				size, uc_strerror(e));
	return 0;
}

static int setup_tc(struct sim *s)
{
	const struct abt_profile *p = &s->prof;
	int i, j;

	if (!s->cfg.ntc && p->ntc) {
		for (i = 0; i < (int)p->ntc && i < ABT_MAX_TC_REGIONS; i++) {
			s->cfg.tc[i].base = p->tc[i].base;
			s->cfg.tc[i].size = p->tc[i].size;
		}
		s->cfg.ntc = i;
	}
	if (!s->cfg.ntc) {
		u32 top = 0;

		for (i = 0; i < s->nreg; i++)
			if (s->reg[i].kind == SIM_REGION_RAM &&
			    s->reg[i].base + s->reg[i].size > top)
				top = s->reg[i].base + s->reg[i].size;
		top = (top + 0xffff) & ~0xffffu;
		s->cfg.tc[0].base = top;
		s->cfg.tc[0].size = 128 * 1024;
		s->cfg.ntc = 1;
	}
	if (s->cfg.ntc > ABT_MAX_TC_REGIONS)
		return sim_errf(s, "at most %d TC regions", ABT_MAX_TC_REGIONS);
	for (i = 0; i < s->cfg.ntc; i++) {
		u32 b = s->cfg.tc[i].base, n = s->cfg.tc[i].size;
		bool inside = false, partial = false;

		for (j = 0; j < s->nreg; j++) {
			struct sim_region *r = &s->reg[j];

			if (b - r->base < r->size && (u64)b + n <= (u64)r->base + r->size)
				inside = r->kind == SIM_REGION_RAM;
			else if (ranges_overlap(b, n, r->base, r->size))
				partial = true;
		}
		if (partial && !inside)
			return sim_errf(s, "TC region 0x%08x+0x%x straddles a memory region",
					b, n);
		if (!inside &&
		    add_region(s, b, n, SIM_REGION_TC, ABT_PERM_RWX))
			return -1;
		if (s->rt) {
			int ret = abt_tc_add_region(s->rt, b, n);

			if (ret < 0)
				return sim_errf(s, "abt_tc_add_region(0x%08x, 0x%x) failed: %d",
						b, n, ret);
		}
	}
	return 0;
}

/* Mirror region, steal hints and feature switches (translation on). */
static int setup_features(struct sim *s)
{
	struct sim_range *mr = &s->cfg.mirror;
	u32 got;
	int i, ret;

	if (!s->rt)
		return 0;
	if (!mr->size && (s->cfg.features & (ABT_FEAT_MIRROR | ABT_FEAT_STEAL))) {
		u32 top = 0;

		for (i = 0; i < s->nreg; i++)
			if (s->reg[i].kind != SIM_REGION_MAGIC &&
			    s->reg[i].base + s->reg[i].size > top)
				top = s->reg[i].base + s->reg[i].size;
		mr->base = (top + 0xffff) & ~0xffffu;
		mr->size = 64 * 1024;
	}
	if (mr->size) {
		bool inside = false;

		for (i = 0; i < s->nreg; i++)
			if (mr->base - s->reg[i].base < s->reg[i].size &&
			    (u64)mr->base + mr->size <=
			    (u64)s->reg[i].base + s->reg[i].size)
				inside = s->reg[i].kind == SIM_REGION_RAM;
		if (!inside && add_region(s, mr->base, mr->size,
					  SIM_REGION_MIRROR, ABT_PERM_RWX))
			return -1;
		ret = abt_mirror_add_region(s->rt, mr->base, mr->size);
		if (ret < 0)
			return sim_errf(s, "abt_mirror_add_region(0x%08x, 0x%x) failed: %d",
					mr->base, mr->size, ret);
	}
	for (i = 0; i < s->cfg.nsteal; i++) {
		ret = abt_steal_hint(s->rt, s->cfg.steal[i].base,
				     s->cfg.steal[i].size);
		if (ret < 0)
			return sim_errf(s, "abt_steal_hint(0x%08x, 0x%x) failed: %d",
					s->cfg.steal[i].base,
					s->cfg.steal[i].size, ret);
	}
	got = abt_set_features(s->rt, s->cfg.features);
	if (got != (s->cfg.features & ABT_FEAT_ALL))
		return sim_errf(s, "memory features 0x%x asked, 0x%x available",
				s->cfg.features, got);
	return 0;
}

static struct sim *create_fail(struct sim *s, char *err, size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", s->err);
	sim_destroy(s);
	return NULL;
}

struct sim *sim_create(const struct sim_config *cfg, char *err, size_t errlen)
{
	struct sim *s;
	u32 msr = SIM_MSR_PR;
	uc_err e;
	int i;

	if (err && errlen)
		err[0] = 0;
	if (!cfg || !cfg->prof) {
		if (err && errlen)
			snprintf(err, errlen, "no configuration or profile");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < 32; i++)
		uc_gpr_id[i] = UC_PPC_REG_0 + i;
	s->cfg = *cfg;
	s->prof = *cfg->prof;
	if (cfg->threshold)
		s->prof.threshold = cfg->threshold;
	if (!s->cfg.max_insns)
		s->cfg.max_insns = SIM_DEFAULT_MAX_INSNS;
	s->irq_pending = SIM_NO_IRQ;
	s->irq_at_ivor = SIM_NO_IRQ;
	s->exit_ea = 0xffffffffu;
	s->pc_hist = calloc(SIM_PC_HIST, sizeof(*s->pc_hist));
	if (!s->pc_hist) {
		sim_errf(s, "out of memory");
		return create_fail(s, err, errlen);
	}
	if (cfg->nram < 1 || cfg->nram > SIM_MAX_REGIONS) {
		sim_errf(s, "need 1..%d RAM regions, got %d", SIM_MAX_REGIONS,
			 cfg->nram);
		return create_fail(s, err, errlen);
	}
	if (s->prof.magic_ea & (SIM_PAGE - 1)) {
		sim_errf(s, "profile %s: magic page EA 0x%08x is not page aligned",
			 s->prof.name, s->prof.magic_ea);
		return create_fail(s, err, errlen);
	}

	e = uc_open(UC_ARCH_PPC, UC_MODE_PPC32 | UC_MODE_BIG_ENDIAN, &s->uc);
	if (e != UC_ERR_OK) {
		s->uc = NULL;
		sim_errf(s, "uc_open(PPC32 big-endian): %s", uc_strerror(e));
		return create_fail(s, err, errlen);
	}
	/* Book E: wrteei and friends exist and trap as privileged at PR=1 */
	e = uc_ctl_set_cpu_model(s->uc, UC_CPU_PPC32_E500V2_V22);
	if (e != UC_ERR_OK) {
		sim_errf(s, "cannot select the e500v2 CPU model: %s",
			 uc_strerror(e));
		return create_fail(s, err, errlen);
	}
	for (i = 0; i < cfg->nram; i++)
		if (add_region(s, cfg->ram[i].base, cfg->ram[i].size,
			       SIM_REGION_RAM, ABT_PERM_RWX))
			return create_fail(s, err, errlen);
	if (add_region(s, s->prof.magic_ea, SIM_PAGE, SIM_REGION_MAGIC,
		       ABT_PERM_R | ABT_PERM_W))
		return create_fail(s, err, errlen);
	s->cpu.magic = s->reg[s->nreg - 1].mem;
	s->cpu.layout = s->prof.layout;
	s->cpu.port = s;

	s->ops.read = port_read;
	s->ops.write = port_write;
	s->ops.flush_icache = port_flush_icache;
	s->ops.set_page_perm = port_set_page_perm;
	s->ops.split_mapping = port_split_mapping;
	s->ops.merge_mapping = port_merge_mapping;
	if (!s->cfg.shadow_tlb)
		s->cfg.shadow_tlb = SIM_SHADOW_TLB;
	if (s->cfg.shadow_tlb < 1 || s->cfg.shadow_tlb > SIM_SHADOW_TLB_MAX) {
		sim_errf(s, "shadow TLB size must be 1..%d", SIM_SHADOW_TLB_MAX);
		return create_fail(s, err, errlen);
	}
	if (cfg->translate) {
		int ret;

		s->rt = calloc(1, sizeof(*s->rt));
		if (!s->rt) {
			sim_errf(s, "out of memory for the runtime");
			return create_fail(s, err, errlen);
		}
		ret = abt_init(s->rt, &s->prof, &s->ops, s);
		if (ret < 0) {
			sim_errf(s, "abt_init failed: %d", ret);
			return create_fail(s, err, errlen);
		}
	}
	if (setup_tc(s) || setup_features(s))
		return create_fail(s, err, errlen);

	e = uc_reg_write(s->uc, UC_PPC_REG_MSR, &msr);
	if (e == UC_ERR_OK)
		e = uc_hook_add(s->uc, &s->h_code, UC_HOOK_CODE, hook_code, s,
				1, 0);
	if (e == UC_ERR_OK)
		e = uc_hook_add(s->uc, &s->h_intr, UC_HOOK_INTR, hook_intr, s,
				1, 0);
	if (e == UC_ERR_OK)
		e = uc_hook_add(s->uc, &s->h_mem, UC_HOOK_MEM_INVALID, hook_mem,
				s, 1, 0);
	if (e == UC_ERR_OK)
		e = uc_hook_add(s->uc, &s->h_access,
				UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE,
				hook_access, s, 1, 0);
	if (e != UC_ERR_OK) {
		sim_errf(s, "Unicorn setup: %s", uc_strerror(e));
		return create_fail(s, err, errlen);
	}
	return s;
}

void sim_destroy(struct sim *s)
{
	int i;

	if (!s)
		return;
	if (s->uc)
		uc_close(s->uc);
	for (i = 0; i < s->nreg; i++) {
		free(s->reg[i].mem);
		free(s->reg[i].perm);
	}
	free(s->rt);
	free(s->pc_hist);
	free(s);
}
