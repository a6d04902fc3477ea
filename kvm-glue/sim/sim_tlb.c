// SPDX-License-Identifier: GPL-2.0
/*
 * The helpers gen/abt_emulate.c calls for TLB instructions: a small model
 * of the e500 guest TLB as KVM keeps it (TLB0 4-way set-associative, TLB1
 * fully associative), visible to the guest only through MAS registers.
 * The simulated vCPU has no MMU (EA = RA), so entries do not translate
 * anything here; they only have to read back the way KVM's would.
 */
#include <string.h>

#include "sim.h"

#define MAS0_TLBSEL(m)	(((m) >> 28) & 1)
#define MAS0_ESEL(m)	(((m) >> 16) & 0xfff)
#define MAS1_V		0x80000000u
#define MAS1_IPROT	0x40000000u
#define MAS1_TID(m)	(((m) >> 16) & 0x3fff)
#define MAS1_TS		0x00001000u
#define MAS1_TSIZE(m)	(((m) >> 7) & 0x1f)
#define MAS6_SPID(m)	(((m) >> 16) & 0x3fff)
#define MAS6_SAS	0x00000001u

static struct sim_tlbe *tlb_entry(struct sim *s, u32 sel, u32 esel, u32 epn)
{
	if (sel == 0) {
		u32 set = (epn >> 12) & (SIM_TLB0_SETS - 1);

		return &s->tlb0[set * SIM_TLB0_WAYS + (esel & (SIM_TLB0_WAYS - 1))];
	}
	return &s->tlb1[esel & (SIM_TLB1_SIZE - 1)];
}

static u32 tlbe_size(const struct sim_tlbe *e)
{
	u32 tsize = MAS1_TSIZE(e->mas1);

	/* MAS1[TSIZE] as KVM reads it (bits 7-11): 2^TSIZE KiB, so the
	 * e500v2 4^n KiB sizes are the even values; clamp to 4 GiB - 1 */
	return tsize >= 22 ? 0xffffffffu : 1024u << tsize;
}

static bool tlbe_hit(const struct sim_tlbe *e, u32 ea, u32 pid, bool any_pid)
{
	u32 size = tlbe_size(e), base = e->mas2 & ~(size - 1) & ~0xfffu;

	if (!(e->mas1 & MAS1_V))
		return false;
	if (!any_pid && MAS1_TID(e->mas1) && MAS1_TID(e->mas1) != pid)
		return false;
	return ea - base < size || size == 0xffffffffu;
}

static struct sim *cpu_sim(struct abt_cpu *cpu)
{
	return cpu->port;
}

u32 abt_helper_tlbwe(struct abt_cpu *cpu)
{
	struct sim *s = cpu_sim(cpu);
	u32 mas0 = abt_reg_read(cpu, ABT_REG_MAS0);
	u32 mas2 = abt_reg_read(cpu, ABT_REG_MAS2);
	struct sim_tlbe *e = tlb_entry(s, MAS0_TLBSEL(mas0), MAS0_ESEL(mas0),
				       mas2);

	e->mas1 = abt_reg_read(cpu, ABT_REG_MAS1);
	e->mas2 = mas2;
	e->mas3 = abt_reg_read(cpu, ABT_REG_MAS3);
	e->mas7 = abt_reg_read(cpu, ABT_REG_MAS7);
	if (MAS0_TLBSEL(mas0))
		sim_tlb1_sync(s);
	return 0;
}

static void tlbe_to_mas(struct abt_cpu *cpu, const struct sim_tlbe *e)
{
	abt_reg_write(cpu, ABT_REG_MAS1, e->mas1);
	abt_reg_write(cpu, ABT_REG_MAS2, e->mas2);
	abt_reg_write(cpu, ABT_REG_MAS3, e->mas3);
	abt_reg_write(cpu, ABT_REG_MAS7, e->mas7);
}

u32 abt_helper_tlbre(struct abt_cpu *cpu)
{
	struct sim *s = cpu_sim(cpu);
	u32 mas0 = abt_reg_read(cpu, ABT_REG_MAS0);

	tlbe_to_mas(cpu, tlb_entry(s, MAS0_TLBSEL(mas0), MAS0_ESEL(mas0),
				   abt_reg_read(cpu, ABT_REG_MAS2)));
	return 0;
}

u32 abt_helper_tlbsx(struct abt_cpu *cpu, u32 ea)
{
	struct sim *s = cpu_sim(cpu);
	u32 mas6 = abt_reg_read(cpu, ABT_REG_MAS6), pid = MAS6_SPID(mas6);
	u32 i, set = (ea >> 12) & (SIM_TLB0_SETS - 1);

	for (i = 0; i < SIM_TLB1_SIZE; i++) {
		if (tlbe_hit(&s->tlb1[i], ea, pid, false)) {
			abt_reg_write(cpu, ABT_REG_MAS0, 1u << 28 | i << 16);
			tlbe_to_mas(cpu, &s->tlb1[i]);
			return 0;
		}
	}
	for (i = 0; i < SIM_TLB0_WAYS; i++) {
		struct sim_tlbe *e = &s->tlb0[set * SIM_TLB0_WAYS + i];

		if (tlbe_hit(e, ea, pid, false)) {
			abt_reg_write(cpu, ABT_REG_MAS0, i << 16);
			tlbe_to_mas(cpu, e);
			return 0;
		}
	}
	/* miss: MAS1[V]=0, TID/TS from MAS6, defaults from MAS4 */
	abt_reg_write(cpu, ABT_REG_MAS0,
		      (abt_reg_read(cpu, ABT_REG_MAS4) & 0x30000000u));
	abt_reg_write(cpu, ABT_REG_MAS1, pid << 16 |
		      (mas6 & MAS6_SAS ? MAS1_TS : 0));
	abt_reg_write(cpu, ABT_REG_MAS2, ea & ~0xfffu);
	abt_reg_write(cpu, ABT_REG_MAS3, 0);
	abt_reg_write(cpu, ABT_REG_MAS7, 0);
	return 0;
}

static void tlb_inval(struct sim_tlbe *e, int n, u32 ea, bool all,
		      bool keep_iprot, bool by_pid, u32 pid)
{
	int i;

	for (i = 0; i < n; i++) {
		if (keep_iprot && (e[i].mas1 & MAS1_IPROT))
			continue;
		if (by_pid && MAS1_TID(e[i].mas1) != pid)
			continue;
		if (!all && !by_pid && !tlbe_hit(&e[i], ea, 0, true))
			continue;
		e[i].mas1 &= ~MAS1_V;
	}
}

u32 abt_helper_tlbivax(struct abt_cpu *cpu, u32 ea)
{
	struct sim *s = cpu_sim(cpu);
	bool all = ea & 4, tlb1 = ea & 8;

	if (tlb1) {
		tlb_inval(s->tlb1, SIM_TLB1_SIZE, ea, all, true, false, 0);
		sim_tlb1_sync(s);
	} else
		tlb_inval(s->tlb0, SIM_TLB0_SETS * SIM_TLB0_WAYS, ea, all,
			  false, false, 0);
	return 0;
}

u32 abt_helper_tlbilx(struct abt_cpu *cpu, u32 t, u32 ea)
{
	struct sim *s = cpu_sim(cpu);
	u32 pid = MAS6_SPID(abt_reg_read(cpu, ABT_REG_MAS6));
	bool all = t == 0, by_pid = t == 1;

	tlb_inval(s->tlb0, SIM_TLB0_SETS * SIM_TLB0_WAYS, ea, all, false,
		  by_pid, pid);
	tlb_inval(s->tlb1, SIM_TLB1_SIZE, ea, all, true, by_pid, pid);
	sim_tlb1_sync(s);
	return 0;
}

/* MMUCSR0 write: bit 0x4 flash-invalidates TLB0, bit 0x2 TLB1 (entries
 * with IPROT survive), as KVM's kvmppc_e500_emul_mt_mmucsr0 does. */
u32 abt_helper_tlbflash(struct abt_cpu *cpu, u32 val)
{
	struct sim *s = cpu_sim(cpu);

	if (val & 4)
		tlb_inval(s->tlb0, SIM_TLB0_SETS * SIM_TLB0_WAYS, 0, true,
			  false, false, 0);
	if (val & 2) {
		tlb_inval(s->tlb1, SIM_TLB1_SIZE, 0, true, true, false, 0);
		sim_tlb1_sync(s);
	}
	return 0;
}

/*
 * Guest TLB1 entry i as a mapping: 0 if invalid or 4 KiB or less. *rw:
 * supervisor stores allowed (MAS3[SW]).
 */
u32 sim_tlb1_mapping(struct sim *s, int i, u32 *ea, u32 *pa, bool *rw)
{
	const struct sim_tlbe *e = &s->tlb1[i];
	u32 size = tlbe_size(e);

	if (!(e->mas1 & MAS1_V) || size <= 4096)
		return 0;
	if (size == 0xffffffffu)
		size = 0x80000000u;	/* keep EA + size in 32 bits */
	*ea = e->mas2 & ~(size - 1) & ~0xfffu;
	*pa = e->mas3 & ~(size - 1) & ~0xfffu;
	*rw = e->mas3 & 0x4;	/* MAS3[SW] */
	return size;
}
