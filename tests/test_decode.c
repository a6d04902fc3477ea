// SPDX-License-Identifier: GPL-2.0
/*
 * The generated decoder (gen/abt_decode.c) against an independent reference
 * and against capstone.
 *
 * The reference below is written from the ISA, not from gen/: primary
 * opcode and extended opcode of each instruction, which bits are reserved
 * (rules/booke.rule matches reserved bits as 0, Rc included), and which SPR
 * numbers each mfspr/mtspr rule takes (the sets of rules/booke.rule,
 * transcribed as SPR numbers of the e500 core reference manual).
 *
 *   1. every rule: words built from the reference with random field values
 *      decode to that rule with those field values;
 *   2. sweep: every word of every (opcode, XO) the rules use, exhaustively
 *      over all other bits, plus all XOs of opcodes 31 and 19 with biased
 *      random other bits, plus uniformly random words: abt_decode(w) is a
 *      rule exactly when the reference accepts w, and the same rule;
 *   3. capstone: every accepted word disassembles to that instruction (SPR
 *      aliases such as mfpid or mtibatu resolved to their SPR number), and
 *      every rejected word capstone calls one of these instructions has a
 *      reserved bit set (or, for mfspr/mtspr, an SPR outside the sets).
 *
 * ABT_TEST_SEED=n in the environment changes the random streams.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abt_gen.h"

/* ---- instruction word fields (bit 0 = LSB) ---- */
#define PO_M	0xfc000000u
#define XO_M	0x000007feu
#define RT_M	0x03e00000u	/* bits 21..25: RT/RS/CT */
#define RA_M	0x001f0000u
#define RB_M	0x0000f800u
#define RC_M	0x00000001u
#define E_BIT	0x00008000u	/* wrteei E (instruction bit 16) */
#define T_M	0x00600000u	/* tlbilx T (instruction bits 9..10) */
#define X(po, xo) ((u32)(po) << 26 | (u32)(xo) << 1)

/* ---- SPR numbers (e500 core reference manual) ---- */
enum {
	S_DEC = 22, S_SRR0 = 26, S_SRR1 = 27, S_PID = 48, S_DECAR = 54,
	S_CSRR0 = 58, S_CSRR1 = 59, S_DEAR = 61, S_ESR = 62, S_IVPR = 63,
	S_SPRG0 = 272, S_SPRG3 = 275, S_SPRG4 = 276, S_SPRG7 = 279,
	S_TBWL = 284, S_TBWU = 285, S_PIR = 286, S_PVR = 287, S_DBSR = 304,
	S_DBCR0 = 308, S_DBCR2 = 310, S_IAC1 = 312, S_IAC2 = 313,
	S_DAC1 = 316, S_DAC2 = 317, S_TSR = 336, S_TCR = 340,
	S_IVOR0 = 400, S_IVOR15 = 415, S_IVOR32 = 528, S_IVOR35 = 531,
	S_MCSRR0 = 570, S_MCSRR1 = 571, S_MCSR = 572, S_MCAR = 573,
	S_DSRR0 = 574, S_DSRR1 = 575, S_MAS0 = 624, S_MAS4 = 628,
	S_MAS6 = 630, S_PID1 = 633, S_PID2 = 634, S_TLB0CFG = 688,
	S_TLB1CFG = 689, S_EPR = 702, S_MAS7 = 944, S_HID0 = 1008,
	S_HID1 = 1009, S_L1CSR0 = 1010, S_L1CSR1 = 1011, S_MMUCSR0 = 1012,
	S_BUCSR = 1013, S_MMUCFG = 1015, S_PWRMGTCR0 = 1019, S_SVR = 1023,
};

/* Sets as {lo, hi} ranges, terminated by {0, 0}. */
struct range { u16 lo, hi; };
#define ONE(s) { s, s }

static const struct range slot_read[] = {
	ONE(S_SRR0), ONE(S_SRR1), ONE(S_DEAR), ONE(S_ESR),
	{ S_SPRG0, S_SPRG7 }, ONE(S_PIR), { S_MAS0, S_MAS4 }, ONE(S_MAS6),
	ONE(S_MAS7), { 0, 0 } };
static const struct range slot_write[] = {
	ONE(S_SRR0), ONE(S_SRR1), ONE(S_DEAR), ONE(S_ESR),
	{ S_SPRG0, S_SPRG3 }, { S_MAS0, S_MAS4 }, ONE(S_MAS6), ONE(S_MAS7),
	{ 0, 0 } };
static const struct range bucsr[] = { ONE(S_BUCSR), { 0, 0 } };
static const struct range sprg_hi[] = { { S_SPRG4, S_SPRG7 }, { 0, 0 } };
static const struct range state_read[] = {
	ONE(S_DEC), ONE(S_PID), ONE(S_DECAR), ONE(S_CSRR0), ONE(S_CSRR1),
	ONE(S_IVPR), ONE(S_PVR), ONE(S_DBSR), { S_DBCR0, S_DBCR2 },
	ONE(S_IAC1), ONE(S_IAC2), ONE(S_DAC1), ONE(S_DAC2), ONE(S_TSR),
	ONE(S_TCR), { S_IVOR0, S_IVOR15 }, { S_IVOR32, S_IVOR35 },
	{ S_MCSRR0, S_MCAR }, ONE(S_DSRR0), ONE(S_DSRR1), ONE(S_PID1),
	ONE(S_PID2), ONE(S_TLB0CFG), ONE(S_TLB1CFG), ONE(S_EPR),
	ONE(S_HID0), ONE(S_HID1), ONE(S_L1CSR0), ONE(S_L1CSR1),
	ONE(S_MMUCSR0), ONE(S_MMUCFG), ONE(S_PWRMGTCR0), ONE(S_SVR),
	{ 0, 0 } };
static const struct range state_write[] = {
	ONE(S_DEC), ONE(S_PID), ONE(S_DECAR), ONE(S_CSRR0), ONE(S_CSRR1),
	ONE(S_IVPR), { S_DBCR0, S_DBCR2 }, ONE(S_IAC1), ONE(S_IAC2),
	ONE(S_DAC1), ONE(S_DAC2), ONE(S_TCR), ONE(S_MCSRR0), ONE(S_MCSRR1),
	ONE(S_MCAR), ONE(S_DSRR0), ONE(S_DSRR1), ONE(S_PID1), ONE(S_PID2),
	ONE(S_HID0), ONE(S_HID1), ONE(S_PWRMGTCR0), { 0, 0 } };
/* writes with their own semantics (masks, self-clearing bits) */
static const struct range ivors[] = {
	{ S_IVOR0, S_IVOR15 }, { S_IVOR32, S_IVOR35 }, { 0, 0 } };
static const struct range l1csrs[] = {
	ONE(S_L1CSR0), ONE(S_L1CSR1), { 0, 0 } };
static const struct range mmucsr0[] = { ONE(S_MMUCSR0), { 0, 0 } };
static const struct range w1c[] = {
	ONE(S_DBSR), ONE(S_TSR), ONE(S_MCSR), { 0, 0 } };
static const struct range ignored[] = {
	ONE(S_TBWL), ONE(S_TBWU), ONE(S_PIR), { 0, 0 } };

static int in_set(const struct range *s, u32 v)
{
	for (; s && (s->lo || s->hi); s++)
		if (v >= s->lo && v <= s->hi)
			return 1;
	return 0;
}

static int set_size(const struct range *s)
{
	int n = 0;

	for (; s->lo || s->hi; s++)
		n += s->hi - s->lo + 1;
	return n;
}

static u32 set_nth(const struct range *s, int n)
{
	for (; s->lo || s->hi; s++) {
		if (n <= s->hi - s->lo)
			return s->lo + n;
		n -= s->hi - s->lo + 1;
	}
	return ~0u;
}

/* the SPR field: its two 5-bit halves are swapped in the word */
static u32 spr_of(u32 w)
{
	return ((w >> 16) & 31) | ((w >> 11) & 31) << 5;
}

static u32 spr_bits(u32 spr)
{
	return (spr & 31) << 16 | ((spr >> 5) & 31) << 11;
}

/* ---- the reference ---- */

/* which operand fields a rule has */
#define HAS_RD	1
#define HAS_RS	2
#define HAS_RA	4
#define HAS_RB	8
#define HAS_SPR	16
#define HAS_T	32
#define HAS_CT	64

struct ref {
	const char *name;	/* rule name in rules/booke.rule */
	enum abt_rule id;
	const char *cs;		/* capstone's mnemonic family */
	int cs_knows;		/* capstone 4 decodes it */
	u32 mask, value;	/* every fixed bit: opcode, XO, reserved, E */
	const struct range *sprs;	/* SPR constraint, NULL if none */
	unsigned has;
};

/* mask of an X-form instruction whose fields in `reserved` are 0 */
#define XM(reserved) (PO_M | XO_M | RC_M | (reserved))

static const struct ref refs[] = {
	{ "mfmsr", ABT_RULE_mfmsr, "mfmsr", 1,
	  XM(RA_M | RB_M), X(31, 83), NULL, HAS_RD },
	{ "mtmsr", ABT_RULE_mtmsr, "mtmsr", 1,
	  XM(RA_M | RB_M), X(31, 146), NULL, HAS_RS },
	{ "wrtee", ABT_RULE_wrtee, "wrtee", 1,
	  XM(RA_M | RB_M), X(31, 131), NULL, HAS_RS },
	{ "wrteei0", ABT_RULE_wrteei0, "wrteei", 1,
	  XM(RT_M | RA_M | RB_M), X(31, 163), NULL, 0 },
	{ "wrteei1", ABT_RULE_wrteei1, "wrteei", 1,
	  XM(RT_M | RA_M | RB_M), X(31, 163) | E_BIT, NULL, 0 },
	{ "mfspr_slot", ABT_RULE_mfspr_slot, "mfspr", 1,
	  XM(0), X(31, 339), slot_read, HAS_RD | HAS_SPR },
	{ "mtspr_slot", ABT_RULE_mtspr_slot, "mtspr", 1,
	  XM(0), X(31, 467), slot_write, HAS_RS | HAS_SPR },
	{ "mtspr_bucsr", ABT_RULE_mtspr_bucsr, "mtspr", 1,
	  XM(0), X(31, 467), bucsr, HAS_RS | HAS_SPR },
	{ "mtspr_sprg_hi", ABT_RULE_mtspr_sprg_hi, "mtspr", 1,
	  XM(0), X(31, 467), sprg_hi, HAS_RS | HAS_SPR },
	{ "mfspr_state", ABT_RULE_mfspr_state, "mfspr", 1,
	  XM(0), X(31, 339), state_read, HAS_RD | HAS_SPR },
	{ "mtspr_state", ABT_RULE_mtspr_state, "mtspr", 1,
	  XM(0), X(31, 467), state_write, HAS_RS | HAS_SPR },
	{ "mtspr_ivor", ABT_RULE_mtspr_ivor, "mtspr", 1,
	  XM(0), X(31, 467), ivors, HAS_RS | HAS_SPR },
	{ "mtspr_l1csr", ABT_RULE_mtspr_l1csr, "mtspr", 1,
	  XM(0), X(31, 467), l1csrs, HAS_RS | HAS_SPR },
	{ "mtspr_mmucsr0", ABT_RULE_mtspr_mmucsr0, "mtspr", 1,
	  XM(0), X(31, 467), mmucsr0, HAS_RS | HAS_SPR },
	{ "mtspr_w1c", ABT_RULE_mtspr_w1c, "mtspr", 1,
	  XM(0), X(31, 467), w1c, HAS_RS | HAS_SPR },
	{ "mtspr_ignored", ABT_RULE_mtspr_ignored, "mtspr", 1,
	  XM(0), X(31, 467), ignored, HAS_RS | HAS_SPR },
	{ "rfi", ABT_RULE_rfi, "rfi", 1,
	  XM(RT_M | RA_M | RB_M), X(19, 50), NULL, 0 },
	{ "rfci", ABT_RULE_rfci, "rfci", 1,
	  XM(RT_M | RA_M | RB_M), X(19, 51), NULL, 0 },
	{ "rfdi", ABT_RULE_rfdi, "rfdi", 1,
	  XM(RT_M | RA_M | RB_M), X(19, 39), NULL, 0 },
	{ "tlbwe", ABT_RULE_tlbwe, "tlbwe", 1,
	  XM(RT_M | RA_M | RB_M), X(31, 978), NULL, 0 },
	{ "tlbre", ABT_RULE_tlbre, "tlbre", 1,
	  XM(RT_M | RA_M | RB_M), X(31, 946), NULL, 0 },
	{ "tlbsx", ABT_RULE_tlbsx, "tlbsx", 1,
	  XM(RT_M), X(31, 914), NULL, HAS_RA | HAS_RB },
	{ "tlbivax", ABT_RULE_tlbivax, "tlbivax", 1,
	  XM(RT_M), X(31, 786), NULL, HAS_RA | HAS_RB },
	/* tlbilx T,rA,rB: instruction bits 6..8 reserved, T in 9..10 */
	{ "tlbilx", ABT_RULE_tlbilx, "tlbilx", 0,
	  XM(RT_M & ~T_M), X(31, 18), NULL, HAS_T | HAS_RA | HAS_RB },
	{ "tlbsync", ABT_RULE_tlbsync, "tlbsync", 1,
	  XM(RT_M | RA_M | RB_M), X(31, 566), NULL, 0 },
	/* dcbtls CT,rA,rB (e500 cache locking) */
	{ "dcbtls", ABT_RULE_dcbtls, "dcbtls", 0,
	  XM(0), X(31, 166), NULL, HAS_CT | HAS_RA | HAS_RB },
};
#define NREFS ((int)(sizeof(refs) / sizeof(refs[0])))

/* The (opcode, XO) pairs the rules use. */
static u32 used_ops[NREFS];
static int nused_ops;

static const struct ref *ref_accept(u32 w)
{
	const struct ref *hit = NULL;

	for (int i = 0; i < NREFS; i++) {
		const struct ref *r = &refs[i];

		if ((w & r->mask) != r->value)
			continue;
		if (r->sprs && !in_set(r->sprs, spr_of(w)))
			continue;
		/* the reference itself must be unambiguous */
		if (hit) {
			print_error("reference: %s and %s both take 0x%08x\n",
				    hit->name, r->name, w);
			fail();
		}
		hit = r;
	}
	return hit;
}

#include "test_rng.h"

/* ---- field checks ---- */

static void check_fields(const struct ref *r, u32 w, const struct abt_fields *f)
{
	int bad = 0;

#define CHK(flag, member, val) \
	if ((r->has & (flag)) && f->member != (val)) { \
		print_error("%s 0x%08x: f.%s = %u, want %u\n", r->name, w, \
			    #member, f->member, (val)); \
		bad = 1; \
	}
	CHK(HAS_RD, rD, (w >> 21) & 31);
	CHK(HAS_RS, rS, (w >> 21) & 31);
	CHK(HAS_CT, CT, (w >> 21) & 31);
	CHK(HAS_T, T, (w >> 21) & 3);
	CHK(HAS_RA, rA, (w >> 16) & 31);
	CHK(HAS_RB, rB, (w >> 11) & 31);
	CHK(HAS_SPR, spr, spr_of(w));
#undef CHK
	if (bad)
		fail();
}

/* At most 20 mismatch messages per run: one bug can make thousands. */
static int quota = 20;
#define report(...) do { if (quota > 0 && quota--) print_error(__VA_ARGS__); } while (0)

/* ---- capstone ---- */

static csh cs;
static cs_insn *cs_in;

static int cs_decode(u32 w, u32 pc)
{
	uint8_t b[4] = { w >> 24, w >> 16, w >> 8, w };
	const uint8_t *p = b;
	size_t n = 4;
	uint64_t a = pc;

	return cs_disasm_iter(cs, &p, &n, &a, cs_in);
}

/* capstone 4's names for mfspr/mtspr of particular SPRs: the suffix after
 * mf/mt, the SPR number, and the stride of an index operand (BATs) */
static const struct { const char *name; int spr; int stride; } spr_alias[] = {
	{ "xer", 1, 0 }, { "rtcu", 4, 0 }, { "rtcl", 5, 0 }, { "lr", 8, 0 },
	{ "ctr", 9, 0 }, { "dscr", 17, 0 }, { "dsisr", 18, 0 },
	{ "dar", 19, 0 }, { "srr0", 26, 0 }, { "srr1", 27, 0 },
	{ "cfar", 28, 0 }, { "amr", 29, 0 }, { "pid", 48, 0 },
	{ "sprg", 272, 1 }, { "sprg0", 272, 0 }, { "sprg1", 273, 0 },
	{ "sprg2", 274, 0 }, { "sprg3", 275, 0 }, { "sprg4", 276, 0 },
	{ "sprg5", 277, 0 }, { "sprg6", 278, 0 }, { "sprg7", 279, 0 },
	{ "asr", 280, 0 }, { "tbl", 284, 0 }, { "tbu", 285, 0 },
	{ "pvr", 287, 0 }, { "spefscr", 512, 0 }, { "ibatu", 528, 2 },
	{ "ibatl", 529, 2 }, { "dbatu", 536, 2 }, { "dbatl", 537, 2 },
	{ "esr", 980, 0 }, { "dear", 981, 0 }, { "tcr", 986, 0 },
	{ "tbhi", 988, 0 }, { "tblo", 989, 0 }, { "srr2", 990, 0 },
	{ "srr3", 991, 0 }, { "dccr", 1018, 0 }, { "iccr", 1019, 0 },
};

/* If capstone's instruction is mfspr/mtspr or an alias of it, return
 * "mfspr"/"mtspr" and the SPR and GPR it names; NULL otherwise. */
static const char *cs_spr_family(const cs_insn *in, int *spr, int *gpr)
{
	const cs_ppc *d = &in->detail->ppc;
	const char *m = in->mnemonic;
	int imm = -1, reg = -1;

	for (int k = 0; k < d->op_count; k++)
		if (d->operands[k].type == PPC_OP_IMM)
			imm = (int)d->operands[k].imm;
		else if (d->operands[k].type == PPC_OP_REG) {
			const char *rn = cs_reg_name(cs, d->operands[k].reg);

			if (rn && rn[0] == 'r' && rn[1] >= '0' && rn[1] <= '9')
				reg = atoi(rn + 1);
		}
	*gpr = reg;
	if (strncmp(m, "mf", 2) && strncmp(m, "mt", 2))
		return NULL;
	const char *fam = m[1] == 'f' ? "mfspr" : "mtspr";

	if (!strcmp(m + 2, "spr")) {
		*spr = imm;
		return fam;
	}
	for (size_t i = 0; i < sizeof(spr_alias) / sizeof(spr_alias[0]); i++)
		if (!strcmp(m + 2, spr_alias[i].name)) {
			int idx = 0;

			/* the index is not in capstone's operand list: read it
			 * from the text, "rT, N" (mf) or "N, rS" (mt) */
			if (spr_alias[i].stride) {
				const char *o = in->op_str, *c = strchr(o, ',');

				idx = -1000;
				if (m[1] == 'f' && c)
					idx = atoi(c + 1);
				else if (m[1] == 't' && o[0] >= '0' && o[0] <= '9')
					idx = atoi(o);
			}
			*spr = spr_alias[i].spr + spr_alias[i].stride * idx;
			return fam;
		}
	return NULL;
}

/* An accepted word: capstone must see the same instruction. */
static int cs_check_accepted(const struct ref *r, u32 w,
			     const struct abt_fields *f)
{
	if (!cs_decode(w, 0x1000)) {
		if (r->cs_knows) {
			report("%s 0x%08x: capstone cannot decode it\n",
				    r->name, w);
			return 1;
		}
		return 0;
	}
	const char *m = cs_in->mnemonic;

	if (r->has & HAS_SPR) {
		int spr = -1, gpr = -1;
		const char *fam = cs_spr_family(cs_in, &spr, &gpr);
		u32 want_gpr = (r->has & HAS_RD) ? f->rD : f->rS;

		if (!fam || strcmp(fam, r->cs) || spr != (int)f->spr ||
		    gpr != (int)want_gpr) {
			report("%s 0x%08x (spr %u, r%u): capstone reads "
				    "'%s %s' (spr %d, r%d)\n", r->name, w, f->spr,
				    want_gpr, m, cs_in->op_str, spr, gpr);
			return 1;
		}
		return 0;
	}
	if (strcmp(m, r->cs)) {
		report("%s 0x%08x: capstone reads '%s %s'\n", r->name, w, m,
			    cs_in->op_str);
		return 1;
	}
	const cs_ppc *d = &cs_in->detail->ppc;

	/* operands capstone reports, where the form has them */
	if (r->has & (HAS_RD | HAS_RS)) {
		u32 want = (r->has & HAS_RD) ? f->rD : f->rS;
		int spr, gpr;

		cs_spr_family(cs_in, &spr, &gpr);
		if (gpr != (int)want) {
			report("%s 0x%08x: capstone reads '%s %s', want r%u\n",
				    r->name, w, m, cs_in->op_str, want);
			return 1;
		}
	}
	if (!strcmp(r->cs, "wrteei")) {
		u32 e = (w & E_BIT) ? 1 : 0;

		if (d->op_count != 1 || d->operands[0].type != PPC_OP_IMM ||
		    d->operands[0].imm != e) {
			report("%s 0x%08x: capstone reads '%s %s'\n", r->name,
				    w, m, cs_in->op_str);
			return 1;
		}
	}
	return 0;
}

/* A rejected word: if capstone calls it one of our instructions, the word
 * must differ from that instruction's pattern in a reserved bit, or (for
 * mfspr/mtspr) name an SPR outside every set. */
static int cs_check_rejected(u32 w)
{
	if (!cs_decode(w, 0x1000))
		return 0;

	int spr = -1, gpr = -1;
	const char *fam = cs_spr_family(cs_in, &spr, &gpr);
	const char *m = fam ? fam : cs_in->mnemonic;
	int known = 0;

	for (int i = 0; i < NREFS; i++) {
		const struct ref *r = &refs[i];

		if (strcmp(r->cs, m))
			continue;
		known = 1;
		/* capstone and the reference agree on which instruction */
		if ((w & (PO_M | XO_M)) != (r->value & (PO_M | XO_M))) {
			report("0x%08x: capstone says %s, the reference "
				    "places %s elsewhere\n", w, m, r->name);
			return 1;
		}
		if ((w & r->mask) != r->value)
			continue;	/* a reserved bit is set: fine */
		if (r->sprs && !in_set(r->sprs, spr_of(w)))
			continue;	/* another SPR: fine */
		report("0x%08x: capstone reads '%s %s', reserved bits are "
			    "clear, yet abt_decode rejects it\n", w,
			    cs_in->mnemonic, cs_in->op_str);
		return 1;
	}
	(void)known;
	return 0;
}

/* ---- tests ---- */

static struct abt_fields poisoned(void)
{
	struct abt_fields f;

	memset(&f, 0xa5, sizeof(f));
	return f;
}

/* Every rule of gen/ is in the reference and the other way round. */
static void test_reference_covers_rules(void **state)
{
	int seen[ABT_RULE_COUNT] = { 0 };

	for (int i = 0; i < NREFS; i++) {
		assert_true(refs[i].id > ABT_RULE_NONE &&
			    refs[i].id < ABT_RULE_COUNT);
		assert_string_equal(abt_rules[refs[i].id].name, refs[i].name);
		seen[refs[i].id]++;
	}
	for (int r = 1; r < ABT_RULE_COUNT; r++)
		if (seen[r] != 1) {
			print_error("rule %s: %d reference entries\n",
				    abt_rules[r].name, seen[r]);
			fail();
		}
	assert_string_equal(abt_rules[ABT_RULE_NONE].name, "none");
}

/* Words written by hand from the ISA, decoded. */
static void test_known_words(void **state)
{
	static const struct { u32 w; enum abt_rule r; } k[] = {
		{ 0x7c6000a6, ABT_RULE_mfmsr },		/* mfmsr r3 */
		{ 0x7fe000a6, ABT_RULE_mfmsr },		/* mfmsr r31 */
		{ 0x7c800124, ABT_RULE_mtmsr },		/* mtmsr r4 */
		{ 0x7c000106, ABT_RULE_wrtee },		/* wrtee r0 */
		{ 0x7c000146, ABT_RULE_wrteei0 },	/* wrteei 0 */
		{ 0x7c008146, ABT_RULE_wrteei1 },	/* wrteei 1 */
		{ 0x7c7042a6, ABT_RULE_mfspr_slot },	/* mfsprg0 r3 */
		{ 0x7c9a03a6, ABT_RULE_mtspr_slot },	/* mtsrr0 r4 */
		{ 0x7c70eba6, ABT_RULE_mtspr_slot },	/* mtspr MAS7,r3 */
		{ 0x7c75fba6, ABT_RULE_mtspr_bucsr },	/* mtspr BUCSR,r3 */
		{ 0x7c7443a6, ABT_RULE_mtspr_sprg_hi },	/* mtsprg4 r3 */
		{ 0x7c700aa6, ABT_RULE_mfspr_state },	/* mfpid r3 */
		{ 0x7c700ba6, ABT_RULE_mtspr_state },	/* mtpid r3 */
		{ 0x7c7053a6, ABT_RULE_mtspr_w1c },	/* mtspr TSR,r3 */
		{ 0x7c7c43a6, ABT_RULE_mtspr_ignored },	/* mttbl r3 */
		{ 0x4c000064, ABT_RULE_rfi },
		{ 0x4c000066, ABT_RULE_rfci },
		{ 0x4c00004e, ABT_RULE_rfdi },
		{ 0x7c0007a4, ABT_RULE_tlbwe },
		{ 0x7c000764, ABT_RULE_tlbre },
		{ 0x7c032724, ABT_RULE_tlbsx },		/* tlbsx r3,r4 */
		{ 0x7c032624, ABT_RULE_tlbivax },	/* tlbivax r3,r4 */
		{ 0x7c432024, ABT_RULE_tlbilx },	/* tlbilx 2,r3,r4 */
		{ 0x7c00046c, ABT_RULE_tlbsync },
		{ 0x7c03214c, ABT_RULE_dcbtls },	/* dcbtls 0,r3,r4 */
		/* not ours, or reserved bits set */
		{ 0x7c6000a7, ABT_RULE_NONE },		/* mfmsr. */
		{ 0x7c6100a6, ABT_RULE_NONE },		/* mfmsr, RA != 0 */
		{ 0x7c000147, ABT_RULE_NONE },		/* wrteei with Rc */
		{ 0x7c204146, ABT_RULE_NONE },		/* wrteei, bit 10 set */
		{ 0x7c6802a6, ABT_RULE_NONE },		/* mflr r3 */
		{ 0x7c6c42a6, ABT_RULE_NONE },		/* mftb r3 (mfspr 268) */
		{ 0x7c75faa6, ABT_RULE_NONE },		/* mfspr BUCSR: no rule */
		{ 0x7c2007a4, ABT_RULE_NONE },		/* tlbwe with RS != 0 */
		{ 0x7c832024, ABT_RULE_NONE },		/* tlbilx, reserved bit */
		{ 0x4c000065, ABT_RULE_NONE },		/* rfi with LK-bit */
		{ 0x4c00012c, ABT_RULE_NONE },		/* isync */
		{ 0x7c0004ac, ABT_RULE_NONE },		/* sync */
		{ 0x60000000, ABT_RULE_NONE },		/* nop */
		{ 0x00000000, ABT_RULE_NONE },
		{ 0xffffffff, ABT_RULE_NONE },
	};
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		struct abt_fields f = poisoned();
		enum abt_rule got = abt_decode(k[i].w, &f);

		if (got != k[i].r) {
			print_error("0x%08x: abt_decode says %s, want %s\n", k[i].w,
				    abt_rules[got].name, abt_rules[k[i].r].name);
			fail();
		}
		/* the reference agrees with the hand-written answers too */
		const struct ref *r = ref_accept(k[i].w);

		assert_int_equal(r ? r->id : ABT_RULE_NONE, k[i].r);
	}
}

/* 1. Words built for each rule decode to it, with its field values. */
static void test_each_rule(void **state)
{
	seed_rng(1);
	for (int i = 0; i < NREFS; i++) {
		const struct ref *r = &refs[i];
		int n = r->sprs ? 64 * set_size(r->sprs) : 4096;

		for (int k = 0; k < n; k++) {
			/* random bits everywhere the pattern does not fix */
			u32 w = (rnd() & ~r->mask) | r->value;

			if (r->sprs) {
				int m = set_size(r->sprs);
				/* each SPR of the set in turn, then random */
				u32 s = set_nth(r->sprs, k < m ? k : (int)(rnd() % m));

				w = (w & ~(RA_M | RB_M)) | spr_bits(s);
			}
			if (k == 0)
				w = r->value | (r->sprs ? spr_bits(set_nth(r->sprs, 0)) : 0);
			if (k == 1)
				w |= ~r->mask & ~(r->sprs ? (RA_M | RB_M) : 0);

			struct abt_fields f = poisoned();
			enum abt_rule got = abt_decode(w, &f);

			if (got != r->id) {
				print_error("0x%08x built for %s decodes to %s\n", w,
					    r->name, abt_rules[got].name);
				fail();
			}
			check_fields(r, w, &f);
		}
	}
}

struct sweep {
	unsigned long words, accepted, cs_accepted, cs_rejected;
	unsigned long per_rule[ABT_RULE_COUNT];
	int bad;
};

static void sweep_word(struct sweep *s, u32 w, int with_cs)
{
	const struct ref *r = ref_accept(w);
	struct abt_fields f = poisoned();
	enum abt_rule got = abt_decode(w, &f);
	enum abt_rule want = r ? r->id : ABT_RULE_NONE;

	s->words++;
	if (got != want) {
		s->bad++;
		report("0x%08x: abt_decode says %s, the reference %s\n", w,
		       abt_rules[got].name, abt_rules[want].name);
		return;
	}
	if (r) {
		s->accepted++;
		s->per_rule[got]++;
		check_fields(r, w, &f);
		if (with_cs) {
			s->cs_accepted++;
			s->bad += cs_check_accepted(r, w, &f);
		}
	} else if (with_cs) {
		s->cs_rejected++;
		s->bad += cs_check_rejected(w);
	}
}

/* 2 + 3. The sweep, with capstone on every word of our opcodes. */
static void test_sweep(void **state)
{
	struct sweep s = { 0 };

	seed_rng(2);
	/* (a) every (opcode, XO) the rules use: all 2^16 combinations of
	 * bits 0 and 11..25, i.e. every word of that opcode and XO */
	for (int i = 0; i < nused_ops; i++)
		for (u32 k = 0; k < 0x10000; k++) {
			u32 w = used_ops[i] | (k & 1) | (k >> 1) << 11;

			sweep_word(&s, w, 1);
		}
	unsigned long exhaustive = s.words;

	/* (b) every XO of opcodes 31 and 19, other bits random but biased
	 * toward zero fields and known SPRs, so near misses are common */
	static const u32 po[2] = { 31, 19 };

	for (int p = 0; p < 2; p++)
		for (u32 xo = 0; xo < 1024; xo++)
			for (int k = 0; k < 300; k++) {
				u32 w = X(po[p], xo) | (rnd() & ~(PO_M | XO_M));
				u32 c = rnd();

				if (c & 1)
					w &= ~RT_M;
				if (c & 2)
					w &= ~RA_M;
				if (c & 4)
					w &= ~RB_M;
				if (c & 0x18)
					w &= ~RC_M;
				if (!(c & 0x60)) {
					static const struct range *const sets[] = {
						slot_read, state_read, state_write,
						w1c, ignored, sprg_hi, bucsr };
					const struct range *st = sets[(c >> 8) % 7];

					w = (w & ~(RA_M | RB_M)) |
					    spr_bits(set_nth(st, (c >> 12) % set_size(st)));
				}
				if (!(c & 0x380))	/* flip one bit */
					w ^= 1u << ((c >> 16) & 31);
				sweep_word(&s, w, 0);
			}
	/* (c) uniformly random words */
	for (int k = 0; k < 1000000; k++)
		sweep_word(&s, rnd(), 0);

	print_message("sweep: %lu words (%lu exhaustive over %d opcode/XO "
		      "pairs), %lu accepted; capstone checked %lu accepted and "
		      "%lu rejected words\n", s.words, exhaustive, nused_ops,
		      s.accepted, s.cs_accepted, s.cs_rejected);
	if (s.bad)
		print_error("%d mismatches\n", s.bad);
	assert_int_equal(s.bad, 0);
	assert_true(s.words >= 2000000);
	/* every rule was hit by the sweep */
	for (int r = 1; r < ABT_RULE_COUNT; r++)
		if (!s.per_rule[r]) {
			print_error("sweep never accepted %s\n", abt_rules[r].name);
			fail();
		}
}

/* abt_operand_gprs names the register fields of translatable rules (the
 * composer picks temps that avoid them) and nothing else. */
static void test_operand_gprs(void **state)
{
	seed_rng(3);
	for (int i = 0; i < NREFS; i++) {
		const struct ref *r = &refs[i];

		for (int k = 0; k < 200; k++) {
			u32 w = (rnd() & ~r->mask) | r->value;

			if (r->sprs)
				w = (w & ~(RA_M | RB_M)) |
				    spr_bits(set_nth(r->sprs, rnd() % set_size(r->sprs)));
			struct abt_fields f = poisoned();

			assert_int_equal(abt_decode(w, &f), r->id);
			u32 g = abt_operand_gprs(r->id, &f), named = 0;

			if (r->has & (HAS_RD | HAS_RS))
				named |= 1u << ((w >> 21) & 31);
			if (r->has & HAS_RA)
				named |= 1u << ((w >> 16) & 31);
			if (r->has & HAS_RB)
				named |= 1u << ((w >> 11) & 31);
			if (g & ~named) {
				print_error("%s 0x%08x: operand GPRs 0x%08x, the "
					    "word names only 0x%08x\n", r->name, w,
					    g, named);
				fail();
			}
			if (abt_rules[r->id].shape != ABT_SHAPE_TRAP && g != named) {
				print_error("%s 0x%08x: operand GPRs 0x%08x, want "
					    "0x%08x\n", r->name, w, g, named);
				fail();
			}
		}
	}
	/* no rule: no registers */
	struct abt_fields f = poisoned();

	assert_int_equal(abt_operand_gprs(ABT_RULE_NONE, &f), 0);
}

static int setup(void **state)
{
	if (cs_open(CS_ARCH_PPC, CS_MODE_32 | CS_MODE_BIG_ENDIAN, &cs) != CS_ERR_OK)
		return -1;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	cs_in = cs_malloc(cs);
	if (!cs_in)
		return -1;
	for (int i = 0; i < NREFS; i++) {
		u32 op = refs[i].value & (PO_M | XO_M);
		int k;

		for (k = 0; k < nused_ops; k++)
			if (used_ops[k] == op)
				break;
		if (k == nused_ops)
			used_ops[nused_ops++] = op;
	}
	return 0;
}

static int teardown(void **state)
{
	cs_free(cs_in, 1);
	cs_close(&cs);
	return 0;
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_covers_rules),
		cmocka_unit_test(test_known_words),
		cmocka_unit_test(test_each_rule),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_operand_gprs),
	};

	return cmocka_run_group_tests_name("decode", tests, setup, teardown);
}
