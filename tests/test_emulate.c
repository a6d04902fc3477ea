// SPDX-License-Identifier: GPL-2.0
/*
 * The reference emulator (gen/abt_emulate.c): the trap-path semantics of
 * each rule on a struct abt_cpu whose magic page is a 4 KiB buffer in the
 * Linux profile's layout.
 *
 * Expected results are written here from KVM's side: the byte offsets of
 * struct kvm_vcpu_arch_shared (arch/powerpc/include/uapi/asm/kvm_para.h;
 * a 32-bit guest uses the low word of a u64, at +4), SPR numbers from the
 * e500 manual, and what KVM's booke/e500 emulation does with each
 * instruction. Every test compares the whole CPU and the whole magic page
 * with what should have changed, so a stray write fails too.
 *
 * The port's helpers (abt_helper_tlbwe ...) are recording stubs here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abt_gen.h"

/* ---- recording helpers ---- */

struct call {
	int n;
	struct abt_cpu *cpu;
	u32 a0, a1;
};
static struct call c_tlbwe, c_tlbre, c_tlbsx, c_tlbivax, c_tlbilx, c_tlbflash;

u32 abt_helper_tlbwe(struct abt_cpu *cpu)
{
	c_tlbwe.n++;
	c_tlbwe.cpu = cpu;
	return 0;
}

u32 abt_helper_tlbre(struct abt_cpu *cpu)
{
	c_tlbre.n++;
	c_tlbre.cpu = cpu;
	return 0;
}

u32 abt_helper_tlbsx(struct abt_cpu *cpu, u32 ea)
{
	c_tlbsx.n++;
	c_tlbsx.cpu = cpu;
	c_tlbsx.a0 = ea;
	return 0;
}

u32 abt_helper_tlbivax(struct abt_cpu *cpu, u32 ea)
{
	c_tlbivax.n++;
	c_tlbivax.cpu = cpu;
	c_tlbivax.a0 = ea;
	return 0;
}

u32 abt_helper_tlbflash(struct abt_cpu *cpu, u32 val)
{
	c_tlbflash.n++;
	c_tlbflash.cpu = cpu;
	c_tlbflash.a0 = val;
	return 0;
}

u32 abt_helper_tlbilx(struct abt_cpu *cpu, u32 t, u32 ea)
{
	c_tlbilx.n++;
	c_tlbilx.cpu = cpu;
	c_tlbilx.a0 = t;
	c_tlbilx.a1 = ea;
	return 0;
}

static void reset_calls(void)
{
	memset(&c_tlbwe, 0, sizeof(c_tlbwe));
	memset(&c_tlbre, 0, sizeof(c_tlbre));
	memset(&c_tlbsx, 0, sizeof(c_tlbsx));
	memset(&c_tlbivax, 0, sizeof(c_tlbivax));
	memset(&c_tlbilx, 0, sizeof(c_tlbilx));
}

static int total_calls(void)
{
	return c_tlbwe.n + c_tlbre.n + c_tlbsx.n + c_tlbivax.n + c_tlbilx.n;
}

/* ---- KVM's magic page (struct kvm_vcpu_arch_shared), 32-bit view ---- */

enum {
	OFF_SCRATCH1 = 0, OFF_SCRATCH2 = 8, OFF_SCRATCH3 = 16,
	OFF_CRITICAL = 24 + 4, OFF_SPRG0 = 32 + 4, OFF_SPRG1 = 40 + 4,
	OFF_SPRG2 = 48 + 4, OFF_SPRG3 = 56 + 4, OFF_SRR0 = 64 + 4,
	OFF_SRR1 = 72 + 4, OFF_DEAR = 80 + 4, OFF_MSR = 88 + 4,
	OFF_DSISR = 96, OFF_INT_PENDING = 100, OFF_MAS0 = 168,
	OFF_MAS1 = 172, OFF_MAS7 = 176, OFF_MAS3 = 180, OFF_MAS2 = 184 + 4,
	OFF_MAS4 = 192, OFF_MAS6 = 196, OFF_ESR = 200, OFF_PIR = 204,
	OFF_SPRG4 = 208 + 4, OFF_SPRG5 = 216 + 4, OFF_SPRG6 = 224 + 4,
	OFF_SPRG7 = 232 + 4,
};

static const struct { const char *slot; int off; } kvm_slots[] = {
	{ "scratch1", OFF_SCRATCH1 }, { "scratch2", OFF_SCRATCH2 },
	{ "scratch3", OFF_SCRATCH3 }, { "critical", OFF_CRITICAL },
	{ "sprg0", OFF_SPRG0 }, { "sprg1", OFF_SPRG1 }, { "sprg2", OFF_SPRG2 },
	{ "sprg3", OFF_SPRG3 }, { "srr0", OFF_SRR0 }, { "srr1", OFF_SRR1 },
	{ "dear", OFF_DEAR }, { "msr", OFF_MSR }, { "dsisr", OFF_DSISR },
	{ "int_pending", OFF_INT_PENDING }, { "mas0", OFF_MAS0 },
	{ "mas1", OFF_MAS1 }, { "mas7", OFF_MAS7 }, { "mas3", OFF_MAS3 },
	{ "mas2", OFF_MAS2 }, { "mas4", OFF_MAS4 }, { "mas6", OFF_MAS6 },
	{ "esr", OFF_ESR }, { "pir", OFF_PIR }, { "sprg4", OFF_SPRG4 },
	{ "sprg5", OFF_SPRG5 }, { "sprg6", OFF_SPRG6 }, { "sprg7", OFF_SPRG7 },
};

/* SPRs KVM keeps in the magic page, and where */
static const struct { u32 spr; int off; int write; } slot_sprs[] = {
	{ 26, OFF_SRR0, 1 }, { 27, OFF_SRR1, 1 }, { 61, OFF_DEAR, 1 },
	{ 62, OFF_ESR, 1 }, { 272, OFF_SPRG0, 1 }, { 273, OFF_SPRG1, 1 },
	{ 274, OFF_SPRG2, 1 }, { 275, OFF_SPRG3, 1 }, { 276, OFF_SPRG4, 1 },
	{ 277, OFF_SPRG5, 1 }, { 278, OFF_SPRG6, 1 }, { 279, OFF_SPRG7, 1 },
	{ 286, OFF_PIR, 0 },	/* PIR: read from the page, writes ignored */
	{ 624, OFF_MAS0, 1 }, { 625, OFF_MAS1, 1 }, { 626, OFF_MAS2, 1 },
	{ 627, OFF_MAS3, 1 }, { 628, OFF_MAS4, 1 }, { 630, OFF_MAS6, 1 },
	{ 944, OFF_MAS7, 1 },
};

/* SPRs kept in the vCPU: member of struct abt_cpu, readable, writable */
#define M(name) offsetof(struct abt_cpu, name)
static const struct { u32 spr; size_t member; int rd, wr; } state_sprs[] = {
	{ 22, M(DEC), 1, 1 }, { 48, M(PID), 1, 1 }, { 54, M(DECAR), 1, 1 },
	{ 58, M(CSRR0), 1, 1 }, { 59, M(CSRR1), 1, 1 }, { 63, M(IVPR), 1, 1 },
	{ 287, M(PVR), 1, 0 }, { 308, M(DBCR0), 1, 1 }, { 309, M(DBCR1), 1, 1 },
	{ 310, M(DBCR2), 1, 1 }, { 312, M(IAC1), 1, 1 }, { 313, M(IAC2), 1, 1 },
	{ 316, M(DAC1), 1, 1 }, { 317, M(DAC2), 1, 1 }, { 340, M(TCR), 1, 1 },
	{ 400, M(IVOR0), 1, 1 }, { 404, M(IVOR4), 1, 1 },
	{ 410, M(IVOR10), 1, 1 }, { 415, M(IVOR15), 1, 1 },
	{ 528, M(IVOR32), 1, 1 }, { 531, M(IVOR35), 1, 1 },
	{ 570, M(MCSRR0), 1, 1 }, { 571, M(MCSRR1), 1, 1 },
	{ 573, M(MCAR), 1, 1 }, { 574, M(DSRR0), 1, 1 },
	{ 575, M(DSRR1), 1, 1 }, { 633, M(PID1), 1, 1 }, { 634, M(PID2), 1, 1 },
	{ 688, M(TLB0CFG), 1, 0 }, { 689, M(TLB1CFG), 1, 0 },
	{ 702, M(EPR), 1, 0 }, { 1008, M(HID0), 1, 1 }, { 1009, M(HID1), 1, 1 },
	{ 1010, M(L1CSR0), 1, 1 }, { 1011, M(L1CSR1), 1, 1 },
	{ 1012, M(MMUCSR0), 1, 1 }, { 1015, M(MMUCFG), 1, 0 },
	{ 1019, M(PWRMGTCR0), 1, 1 }, { 1023, M(SVR), 1, 0 },
	/* write-one-to-clear status registers, checked separately */
	{ 304, M(DBSR), 1, 0 }, { 336, M(TSR), 1, 0 }, { 572, M(MCSR), 1, 0 },
};

#define MSR_EE 0x8000u
/* bits an e500v2 MSR holds (QEMU's e500v2 msr_mask; no RI) */
#define MSR_IMPL 0x0606ff30u

/* ---- words ---- */

static u32 w_mfspr(u32 rd, u32 spr)
{
	return 0x7c0002a6u | rd << 21 | (spr & 31) << 16 | (spr >> 5) << 11;
}

static u32 w_mtspr(u32 spr, u32 rs)
{
	return 0x7c0003a6u | rs << 21 | (spr & 31) << 16 | (spr >> 5) << 11;
}

#define W_MFMSR(rd)	(0x7c0000a6u | (u32)(rd) << 21)
#define W_MTMSR(rs)	(0x7c000124u | (u32)(rs) << 21)
#define W_WRTEE(rs)	(0x7c000106u | (u32)(rs) << 21)
#define W_WRTEEI(e)	(0x7c000146u | (u32)(e) << 15)
#define W_RFI		0x4c000064u
#define W_RFCI		0x4c000066u
#define W_RFDI		0x4c00004eu
#define W_TLBWE		0x7c0007a4u
#define W_TLBRE		0x7c000764u
#define W_TLBSX(a, b)	(0x7c000724u | (u32)(a) << 16 | (u32)(b) << 11)
#define W_TLBIVAX(a, b)	(0x7c000624u | (u32)(a) << 16 | (u32)(b) << 11)
#define W_TLBILX(t, a, b) (0x7c000024u | (u32)(t) << 21 | (u32)(a) << 16 | \
			   (u32)(b) << 11)
#define W_TLBSYNC	0x7c00046cu
#define W_DCBTLS(ct, a, b) (0x7c00014cu | (u32)(ct) << 21 | (u32)(a) << 16 | \
			    (u32)(b) << 11)

/* ---- the rig: a CPU with random state, and the expected copy ---- */

static const struct abt_layout *layout;
#include "test_rng.h"

struct rig {
	struct abt_cpu cpu, want;
	u8 mem[4096], want_mem[4096];
};

static void get_put_init(struct rig *g)
{
	memset(&g->cpu, 0, sizeof(g->cpu));
	for (int i = 0; i < 32; i++)
		g->cpu.gpr[i] = rnd();
	g->cpu.pc = (rnd() & ~3u) | 0x1000u;
	g->cpu.cr = rnd();
	g->cpu.xer = rnd();
	g->cpu.lr = rnd();
	g->cpu.ctr = rnd();
	/* every u32 member after the layout pointer up to port: random */
	for (u32 *p = (u32 *)((char *)&g->cpu + offsetof(struct abt_cpu, DEC));
	     (char *)p < (char *)&g->cpu + offsetof(struct abt_cpu, port); p++)
		*p = rnd();
	for (int i = 0; i < 4096; i++)
		g->mem[i] = rnd();
	g->cpu.magic = g->mem;
	g->cpu.layout = layout;
	g->cpu.port = g;
	memcpy(&g->want, &g->cpu, sizeof(g->cpu));
	memcpy(g->want_mem, g->mem, sizeof(g->mem));
	g->want.magic = g->mem;
	reset_calls();
}

static u32 rd32(const u8 *m, int off)
{
	return (u32)m[off] << 24 | m[off + 1] << 16 | m[off + 2] << 8 | m[off + 3];
}

static void wr32(u8 *m, int off, u32 v)
{
	m[off] = v >> 24;
	m[off + 1] = v >> 16;
	m[off + 2] = v >> 8;
	m[off + 3] = v;
}

static u32 *member(struct abt_cpu *c, size_t off)
{
	return (u32 *)((char *)c + off);
}

/* Run word; expect DONE and exactly the changes made to g->want. */
static void run_ok(struct rig *g, u32 w)
{
	if (abt_emulate(&g->cpu, w) != ABT_EMULATE_DONE) {
		print_error("0x%08x: abt_emulate fails\n", w);
		fail();
	}
	if (memcmp(&g->cpu, &g->want, sizeof(g->cpu))) {
		for (int i = 0; i < 32; i++)
			if (g->cpu.gpr[i] != g->want.gpr[i])
				print_error("0x%08x: r%d = 0x%08x, want 0x%08x\n", w,
					    i, g->cpu.gpr[i], g->want.gpr[i]);
		if (g->cpu.pc != g->want.pc)
			print_error("0x%08x: pc = 0x%08x, want 0x%08x\n", w,
				    g->cpu.pc, g->want.pc);
		for (size_t o = offsetof(struct abt_cpu, DEC);
		     o < offsetof(struct abt_cpu, port); o += 4)
			if (*member(&g->cpu, o) != *member(&g->want, o))
				print_error("0x%08x: cpu member at +%zu = 0x%08x, "
					    "want 0x%08x\n", w, o,
					    *member(&g->cpu, o), *member(&g->want, o));
		print_error("0x%08x: CPU state differs\n", w);
		fail();
	}
	for (int i = 0; i < 4096; i++)
		if (g->mem[i] != g->want_mem[i]) {
			print_error("0x%08x: magic page byte %d = 0x%02x, want "
				    "0x%02x\n", w, i, g->mem[i], g->want_mem[i]);
			fail();
		}
}

static void advance(struct rig *g)
{
	g->want.pc = g->cpu.pc + 4;
}

/* ---- tests ---- */

/* The Linux layout is KVM's struct, slot by slot. */
static void test_layout_is_kvm(void **state)
{
	assert_string_equal(layout->name, "kvm_shared");
	for (size_t i = 0; i < sizeof(kvm_slots) / sizeof(kvm_slots[0]); i++) {
		int s;

		for (s = 0; s < ABT_SLOT_COUNT; s++)
			if (!strcmp(abt_slot_names[s], kvm_slots[i].slot))
				break;
		if (s == ABT_SLOT_COUNT) {
			print_error("no slot '%s'\n", kvm_slots[i].slot);
			fail();
		}
		if (layout->off[s] != kvm_slots[i].off) {
			print_error("slot %s at %u, KVM has it at %d\n",
				    kvm_slots[i].slot, layout->off[s],
				    kvm_slots[i].off);
			fail();
		}
	}
	/* the composer's scratch words are the named ones */
	assert_int_equal(layout->off[ABT_SLOT_SCRATCH1], OFF_SCRATCH1);
	assert_int_equal(layout->off[ABT_SLOT_SCRATCH2], OFF_SCRATCH2);
	assert_int_equal(layout->off[ABT_SLOT_SCRATCH3], OFF_SCRATCH3);
}

static void test_msr(void **state)
{
	struct rig g;

	for (int k = 0; k < 64; k++) {
		u32 r = k % 32, v = rnd();

		/* mfmsr */
		get_put_init(&g);
		g.want.gpr[r] = rd32(g.mem, OFF_MSR);
		advance(&g);
		run_ok(&g, W_MFMSR(r));

		/* mtmsr: every implemented bit */
		get_put_init(&g);
		g.cpu.gpr[r] = g.want.gpr[r] = v;
		wr32(g.want_mem, OFF_MSR, v & MSR_IMPL);
		advance(&g);
		run_ok(&g, W_MTMSR(r));

		/* wrtee: EE only */
		get_put_init(&g);
		u32 msr = rd32(g.mem, OFF_MSR);

		wr32(g.want_mem, OFF_MSR, (msr & ~MSR_EE) | (g.cpu.gpr[r] & MSR_EE));
		advance(&g);
		run_ok(&g, W_WRTEE(r));

		/* wrteei 0 / 1 */
		for (int e = 0; e < 2; e++) {
			get_put_init(&g);
			msr = rd32(g.mem, OFF_MSR);
			wr32(g.want_mem, OFF_MSR, e ? msr | MSR_EE : msr & ~MSR_EE);
			advance(&g);
			run_ok(&g, W_WRTEEI(e));
		}
	}
}

static void test_spr_slots(void **state)
{
	struct rig g;

	for (size_t i = 0; i < sizeof(slot_sprs) / sizeof(slot_sprs[0]); i++) {
		u32 spr = slot_sprs[i].spr;
		int off = slot_sprs[i].off;

		for (u32 r = 0; r < 32; r += 7) {
			get_put_init(&g);
			g.want.gpr[r] = rd32(g.mem, off);
			advance(&g);
			run_ok(&g, w_mfspr(r, spr));

			get_put_init(&g);
			if (slot_sprs[i].write)
				wr32(g.want_mem, off, g.cpu.gpr[r]);
			advance(&g);
			run_ok(&g, w_mtspr(spr, r));
		}
	}
}

/*
 * Bits a write keeps: QEMU's e500 IVORs keep 0xfff7 (its ivor_mask);
 * L1CSRn flash/lock-clear bits and all of MMUCSR0 self-clear (KVM
 * e500_emulate.c; the golden traces agree).
 */
static u32 write_mask(u32 spr)
{
	if ((spr >= 400 && spr <= 415) || (spr >= 528 && spr <= 531))
		return 0xfff7;
	if (spr == 1010 || spr == 1011)
		return ~0x102u;
	if (spr == 1012)
		return 0;
	return ~0u;
}

static void test_spr_state(void **state)
{
	struct rig g;

	for (size_t i = 0; i < sizeof(state_sprs) / sizeof(state_sprs[0]); i++) {
		u32 spr = state_sprs[i].spr;
		size_t mo = state_sprs[i].member;

		for (u32 r = 1; r < 32; r += 10) {
			get_put_init(&g);
			if (state_sprs[i].rd) {
				g.want.gpr[r] = *member(&g.cpu, mo);
				advance(&g);
				run_ok(&g, w_mfspr(r, spr));
			}
			get_put_init(&g);
			if (state_sprs[i].wr) {
				*member(&g.want, mo) = g.cpu.gpr[r] &
						       write_mask(spr);
				advance(&g);
				run_ok(&g, w_mtspr(spr, r));
			}
		}
	}
}

/* TSR, DBSR, MCSR: writing ones clears those bits. */
static void test_w1c(void **state)
{
	static const struct { u32 spr; size_t m; } w1c[] = {
		{ 336, M(TSR) }, { 304, M(DBSR) }, { 572, M(MCSR) },
	};
	struct rig g;

	for (size_t i = 0; i < sizeof(w1c) / sizeof(w1c[0]); i++) {
		get_put_init(&g);
		*member(&g.cpu, w1c[i].m) = 0xffff0000u;
		*member(&g.want, w1c[i].m) = 0xf0f00000u;
		g.cpu.gpr[5] = g.want.gpr[5] = 0x0f0f00ffu;
		advance(&g);
		run_ok(&g, w_mtspr(w1c[i].spr, 5));

		/* writing zero changes nothing */
		get_put_init(&g);
		g.cpu.gpr[9] = g.want.gpr[9] = 0;
		advance(&g);
		run_ok(&g, w_mtspr(w1c[i].spr, 9));
	}
}

/* Writes KVM drops: TBWL, TBWU, PIR (the page keeps its value), BUCSR. */
static void test_ignored_writes(void **state)
{
	static const u32 sprs[] = { 284, 285, 286, 1013 };
	struct rig g;

	for (size_t i = 0; i < sizeof(sprs) / sizeof(sprs[0]); i++) {
		get_put_init(&g);
		advance(&g);
		run_ok(&g, w_mtspr(sprs[i], 3));
	}
	/* tlbsync: nothing */
	get_put_init(&g);
	advance(&g);
	run_ok(&g, W_TLBSYNC);
}

static void test_returns(void **state)
{
	struct rig g;

	/* rfi: pc = SRR0, MSR = SRR1 (both in the page) */
	get_put_init(&g);
	g.want.pc = rd32(g.mem, OFF_SRR0);
	wr32(g.want_mem, OFF_MSR, rd32(g.mem, OFF_SRR1) & MSR_IMPL);
	run_ok(&g, W_RFI);
	/* rfci: CSRR0/1 (vCPU) */
	get_put_init(&g);
	g.want.pc = g.cpu.CSRR0;
	wr32(g.want_mem, OFF_MSR, g.cpu.CSRR1 & MSR_IMPL);
	run_ok(&g, W_RFCI);
	/* rfdi: DSRR0/1 */
	get_put_init(&g);
	g.want.pc = g.cpu.DSRR0;
	wr32(g.want_mem, OFF_MSR, g.cpu.DSRR1 & MSR_IMPL);
	run_ok(&g, W_RFDI);
	/* pc set by the effect is not advanced, even if it equals pc + 4 */
	get_put_init(&g);
	wr32(g.mem, OFF_SRR0, g.cpu.pc);
	wr32(g.want_mem, OFF_SRR0, g.cpu.pc);
	g.want.pc = g.cpu.pc;
	wr32(g.want_mem, OFF_MSR, rd32(g.mem, OFF_SRR1) & MSR_IMPL);
	run_ok(&g, W_RFI);
}

static void test_tlb_helpers(void **state)
{
	struct rig g;

	get_put_init(&g);
	advance(&g);
	run_ok(&g, W_TLBWE);
	assert_int_equal(c_tlbwe.n, 1);
	assert_ptr_equal(c_tlbwe.cpu, &g.cpu);
	assert_int_equal(total_calls(), 1);

	get_put_init(&g);
	advance(&g);
	run_ok(&g, W_TLBRE);
	assert_int_equal(c_tlbre.n, 1);
	assert_ptr_equal(c_tlbre.cpu, &g.cpu);
	assert_int_equal(total_calls(), 1);

	for (u32 a = 0; a < 32; a += 5)
		for (u32 b = 0; b < 32; b += 3) {
			u32 ea;

			/* tlbsx: EA = (rA|0) + rB */
			get_put_init(&g);
			if (a == 1 && b == 2) {	/* wraps around */
				g.cpu.gpr[1] = g.want.gpr[1] = 0xfffffff0u;
				g.cpu.gpr[2] = g.want.gpr[2] = 0x20u;
			}
			ea = (a ? g.cpu.gpr[a] : 0) + g.cpu.gpr[b];
			advance(&g);
			run_ok(&g, W_TLBSX(a, b));
			assert_int_equal(c_tlbsx.n, 1);
			assert_int_equal(c_tlbsx.a0, ea);
			assert_ptr_equal(c_tlbsx.cpu, &g.cpu);
			assert_int_equal(total_calls(), 1);

			get_put_init(&g);
			ea = (a ? g.cpu.gpr[a] : 0) + g.cpu.gpr[b];
			advance(&g);
			run_ok(&g, W_TLBIVAX(a, b));
			assert_int_equal(c_tlbivax.n, 1);
			assert_int_equal(c_tlbivax.a0, ea);
			assert_int_equal(total_calls(), 1);

			for (u32 t = 0; t < 4; t++) {
				get_put_init(&g);
				ea = (a ? g.cpu.gpr[a] : 0) + g.cpu.gpr[b];
				advance(&g);
				run_ok(&g, W_TLBILX(t, a, b));
				assert_int_equal(c_tlbilx.n, 1);
				assert_int_equal(c_tlbilx.a0, t);
				assert_int_equal(c_tlbilx.a1, ea);
				assert_int_equal(total_calls(), 1);
			}
		}
	/* rA = 0 reads as zero even when r0 holds something */
	get_put_init(&g);
	g.cpu.gpr[0] = g.want.gpr[0] = 0x12345678u;
	g.cpu.gpr[4] = g.want.gpr[4] = 0x1000u;
	advance(&g);
	run_ok(&g, W_TLBSX(0, 4));
	assert_int_equal(c_tlbsx.a0, 0x1000u);
}

/* dcbtls: cache locking always fails, L1CSR0[CUL] is set. */
static void test_dcbtls(void **state)
{
	struct rig g;

	for (int k = 0; k < 8; k++) {
		get_put_init(&g);
		g.cpu.L1CSR0 &= ~0x400u;
		g.want.L1CSR0 = g.cpu.L1CSR0 | 0x400u;
		advance(&g);
		run_ok(&g, W_DCBTLS(k, k + 3, k + 9));
		assert_int_equal(total_calls(), 0);
	}
}

/* Words no rule takes: FAIL, and nothing changes (pc included). */
static void test_fail(void **state)
{
	static const u32 w[] = {
		0x60000000u,		/* nop */
		0x00000000u,
		0x7c6000a7u,		/* mfmsr. (reserved Rc) */
		0x7c6802a6u,		/* mflr r3 */
		0x7c7f43a6u,		/* mtspr PVR: read-only, no rule */
		0x7c75faa6u,		/* mfspr BUCSR: no rule */
		0x7c0004acu,		/* sync */
		0x4c00012cu,		/* isync */
		0x7c2007a4u,		/* tlbwe with a reserved field */
		0xffffffffu,
	};
	struct rig g;

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		get_put_init(&g);
		if (abt_emulate(&g.cpu, w[i]) != ABT_EMULATE_FAIL) {
			print_error("0x%08x: abt_emulate does not fail\n", w[i]);
			fail();
		}
		assert_memory_equal(&g.cpu, &g.want, sizeof(g.cpu));
		assert_memory_equal(g.mem, g.want_mem, sizeof(g.mem));
		assert_int_equal(total_calls(), 0);
	}
}

/* pc wraps at the top of the address space like the hardware's. */
static void test_pc_wrap(void **state)
{
	struct rig g;

	get_put_init(&g);
	g.cpu.pc = g.want.pc = 0xfffffffcu;
	g.want.gpr[7] = rd32(g.mem, OFF_MSR);
	g.want.pc = 0;
	run_ok(&g, W_MFMSR(7));
}

/* Register and SPR accessors agree with the layout and the members. */
static void test_accessors(void **state)
{
	struct rig g;

	get_put_init(&g);
	for (int r = 0; r < ABT_REG_COUNT; r++) {
		u32 v = rnd();

		abt_reg_write(&g.cpu, r, v);
		assert_int_equal(abt_reg_read(&g.cpu, r), v);
		assert_non_null(abt_reg_names[r]);
	}
	for (size_t i = 0; i < sizeof(slot_sprs) / sizeof(slot_sprs[0]); i++) {
		u32 v = rnd();
		int reg = abt_reg_of_spr(slot_sprs[i].spr);

		assert_true(reg >= 0);
		abt_spr_set(&g.cpu, slot_sprs[i].spr, v);
		assert_int_equal(rd32(g.mem, slot_sprs[i].off), v);
		assert_int_equal(abt_reg_read(&g.cpu, reg), v);
		assert_int_equal(abt_spr_get(&g.cpu, slot_sprs[i].spr), v);
		assert_int_equal(layout->off[abt_slot_of_spr(slot_sprs[i].spr)],
				 slot_sprs[i].off);
	}
	for (size_t i = 0; i < sizeof(state_sprs) / sizeof(state_sprs[0]); i++) {
		u32 v = rnd();

		abt_spr_set(&g.cpu, state_sprs[i].spr, v);
		assert_int_equal(*member(&g.cpu, state_sprs[i].member), v);
		assert_int_equal(abt_spr_get(&g.cpu, state_sprs[i].spr), v);
		assert_int_equal(abt_slot_of_spr(state_sprs[i].spr), -1);
	}
	/* MSR has no SPR number; undeclared SPRs read 0, writes vanish */
	assert_int_equal(abt_reg_of_spr(268), -1);
	assert_int_equal(abt_reg_of_spr(1024), -1);
	memcpy(&g.want, &g.cpu, sizeof(g.cpu));
	memcpy(g.want_mem, g.mem, sizeof(g.mem));
	abt_spr_set(&g.cpu, 268, 0x5555u);
	assert_int_equal(abt_spr_get(&g.cpu, 268), 0);
	assert_memory_equal(&g.cpu, &g.want, sizeof(g.cpu));
	assert_memory_equal(g.mem, g.want_mem, sizeof(g.mem));
	abt_reg_write(&g.cpu, ABT_REG_MSR, 0xa5a5a5a5u);
	assert_int_equal(rd32(g.mem, OFF_MSR), 0xa5a5a5a5u);
}

static int setup(void **state)
{
	const struct abt_profile *p = abt_profile_find("linux");

	if (!p)
		return -1;
	layout = p->layout;
	return 0;
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_is_kvm),
		cmocka_unit_test(test_msr),
		cmocka_unit_test(test_spr_slots),
		cmocka_unit_test(test_spr_state),
		cmocka_unit_test(test_w1c),
		cmocka_unit_test(test_ignored_writes),
		cmocka_unit_test(test_returns),
		cmocka_unit_test(test_tlb_helpers),
		cmocka_unit_test(test_dcbtls),
		cmocka_unit_test(test_fail),
		cmocka_unit_test(test_pc_wrap),
		cmocka_unit_test(test_accessors),
	};

	return cmocka_run_group_tests_name("emulate", tests, setup, NULL);
}
