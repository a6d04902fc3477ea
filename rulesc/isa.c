// SPDX-License-Identifier: GPL-2.0
/* rulesc: instruction table for emit blocks. */
#include <string.h>
#include <stdbool.h>
#include "isa.h"

typedef uint8_t u8;
typedef uint32_t u32;
typedef int32_t s32;
typedef int16_t s16;
#include "insn_enc.h"

#define G K_GPR
#define M K_MEM
static const struct isa table[] = {
	{ "lwz",    F_LOAD,  "lwz",     2, { G, M }, I_DEST0 },
	{ "lbz",    F_LOAD,  "lbz",     2, { G, M }, I_DEST0 },
	{ "lhz",    F_LOAD,  "lhz",     2, { G, M }, I_DEST0 },
	{ "stw",    F_STORE, "stw",     2, { G, M }, I_STORE },
	{ "stb",    F_STORE, "stb",     2, { G, M }, I_STORE },
	{ "sth",    F_STORE, "sth",     2, { G, M }, I_STORE },
	{ "addi",   F_ADDI,  "addi",    3, { G, G, K_SIMM }, I_DEST0 },
	{ "addis",  F_ADDI,  "addis",   3, { G, G, K_SIMM }, I_DEST0 },
	{ "li",     F_LI,    "li",      2, { G, K_SIMM }, I_DEST0 },
	{ "lis",    F_LI,    "lis",     2, { G, K_SIMM }, I_DEST0 },
	{ "ori",    F_LOGI,  "ori",     3, { G, G, K_UIMM }, I_DEST0 },
	{ "oris",   F_LOGI,  "oris",    3, { G, G, K_UIMM }, I_DEST0 },
	{ "xori",   F_LOGI,  "xori",    3, { G, G, K_UIMM }, I_DEST0 },
	{ "xoris",  F_LOGI,  "xoris",   3, { G, G, K_UIMM }, I_DEST0 },
	{ "andi.",  F_LOGI,  "andi_",   3, { G, G, K_UIMM }, I_DEST0 | I_CRW },
	{ "andis.", F_LOGI,  "andis_",  3, { G, G, K_UIMM }, I_DEST0 | I_CRW },
	{ "rlwinm", F_ROT,   "rlwinm",  5, { G, G, K_U5, K_U5, K_U5 }, I_DEST0 },
	{ "rlwinm.", F_ROT,  "rlwinm_", 5, { G, G, K_U5, K_U5, K_U5 },
	  I_DEST0 | I_CRW },
	{ "rlwimi", F_ROT,   "rlwimi",  5, { G, G, K_U5, K_U5, K_U5 },
	  I_DEST0 | I_READ0 },
	{ "or",     F_XLOG,  "or",      3, { G, G, G }, I_DEST0 },
	{ "or.",    F_XLOG,  "or_",     3, { G, G, G }, I_DEST0 | I_CRW },
	{ "and",    F_XLOG,  "and",     3, { G, G, G }, I_DEST0 },
	{ "and.",   F_XLOG,  "and_",    3, { G, G, G }, I_DEST0 | I_CRW },
	{ "andc",   F_XLOG,  "andc",    3, { G, G, G }, I_DEST0 },
	{ "xor",    F_XLOG,  "xor",     3, { G, G, G }, I_DEST0 },
	{ "nor",    F_XLOG,  "nor",     3, { G, G, G }, I_DEST0 },
	{ "add",    F_XARITH, "add",    3, { G, G, G }, I_DEST0 },
	{ "subf",   F_XARITH, "subf",   3, { G, G, G }, I_DEST0 },
	{ "mr",     F_MR,    "mr",      2, { G, G }, I_DEST0 },
	{ "cmpwi",  F_CMPI,  "cmpwi",   3, { K_CRF, G, K_SIMM }, I_CRW | I_CRFOPT },
	{ "cmplwi", F_CMPI,  "cmplwi",  3, { K_CRF, G, K_UIMM }, I_CRW | I_CRFOPT },
	{ "cmpw",   F_CMP,   "cmpw",    3, { K_CRF, G, G }, I_CRW | I_CRFOPT },
	{ "cmplw",  F_CMP,   "cmplw",   3, { K_CRF, G, G }, I_CRW | I_CRFOPT },
	{ "mfcr",   F_MFCR,  "mfcr",    1, { G }, I_DEST0 },
	{ "mtcrf",  F_MTCRF, "mtcrf",   2, { K_CRM, G }, I_CRW },
	{ "mtcr",   F_MTCR,  "mtcr",    1, { G }, I_CRW },
	{ "nop",    F_NOP,   "nop",     0, { 0 }, 0 },
	{ "b",      F_B,     "b",       1, { K_TARGET }, I_BRANCH },
	/* conditional branches on a CR field (cr0 unless given) */
	{ "blt",    F_BC,    "bc",      2, { K_CRF, K_TARGET },
	  I_BRANCH | I_COND | I_CRFOPT, 12, 0 },
	{ "bgt",    F_BC,    "bc",      2, { K_CRF, K_TARGET },
	  I_BRANCH | I_COND | I_CRFOPT, 12, 1 },
	{ "beq",    F_BC,    "bc",      2, { K_CRF, K_TARGET },
	  I_BRANCH | I_COND | I_CRFOPT, 12, 2 },
	{ "bge",    F_BC,    "bc",      2, { K_CRF, K_TARGET },
	  I_BRANCH | I_COND | I_CRFOPT, 4, 0 },
	{ "ble",    F_BC,    "bc",      2, { K_CRF, K_TARGET },
	  I_BRANCH | I_COND | I_CRFOPT, 4, 1 },
	{ "bne",    F_BC,    "bc",      2, { K_CRF, K_TARGET },
	  I_BRANCH | I_COND | I_CRFOPT, 4, 2 },
};
#undef G
#undef M

static const struct isa_forbidden forbidden[] = {
	{ "mfmsr",   "privileged" }, { "mtmsr",   "privileged" },
	{ "wrtee",   "privileged" }, { "wrteei",  "privileged" },
	{ "rfi",     "privileged" }, { "rfci",    "privileged" },
	{ "rfdi",    "privileged" }, { "rfmci",   "privileged" },
	{ "tlbwe",   "privileged" }, { "tlbre",   "privileged" },
	{ "tlbsx",   "privileged" }, { "tlbivax", "privileged" },
	{ "tlbsync", "privileged" }, { "tlbilx",  "privileged" },
	{ "mfspr",   "privileged for supervisor SPRs; stubs reach virtual "
		     "SPRs through magic-page slots" },
	{ "mtspr",   "privileged for supervisor SPRs; stubs reach virtual "
		     "SPRs through magic-page slots" },
	{ "mfdcr",   "privileged" }, { "mtdcr",   "privileged" },
	{ "dcbi",    "privileged" }, { "msgsnd",  "privileged" },
	{ "msgclr",  "privileged" }, { "ehpriv",  "privileged" },
	{ "wait",    "privileged" },
	{ "sc",      "leaves the stub through a system call" },
	{ "tw",      "traps" }, { "twi", "traps" }, { "trap", "traps" },
	{ "bl",      "clobbers LR" }, { "blr", "needs LR" },
	{ "bctr",    "needs CTR" }, { "mtlr", "clobbers LR" },
	{ "mtctr",   "clobbers CTR" },
};

const struct isa *isa_lookup(const char *mnem)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i].mnem, mnem))
			return &table[i];
	return NULL;
}

const char *isa_forbidden(const char *mnem)
{
	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
		if (!strcmp(forbidden[i].mnem, mnem))
			return forbidden[i].why;
	return NULL;
}

int isa_spr_privileged(unsigned int spr)
{
	return (spr & 0x10) != 0;
}

/* v[] holds operand values in table order (crf defaulted by the caller;
 * K_MEM takes two slots: displacement then base; targets are byte
 * displacements). */
uint32_t isa_encode(const struct isa *in, const int64_t *v)
{
	switch (in->form) {
	case F_LOAD:
	case F_STORE:
		if (!strcmp(in->enc, "lwz")) return abt_enc_lwz(v[0], v[2], v[1]);
		if (!strcmp(in->enc, "lbz")) return abt_enc_lbz(v[0], v[2], v[1]);
		if (!strcmp(in->enc, "lhz")) return abt_enc_lhz(v[0], v[2], v[1]);
		if (!strcmp(in->enc, "stw")) return abt_enc_stw(v[0], v[2], v[1]);
		if (!strcmp(in->enc, "stb")) return abt_enc_stb(v[0], v[2], v[1]);
		return abt_enc_sth(v[0], v[2], v[1]);
	case F_ADDI:
		return !strcmp(in->enc, "addis") ?
			abt_enc_addis(v[0], v[1], v[2]) :
			abt_enc_addi(v[0], v[1], v[2]);
	case F_LI:
		return in->enc[1] == 'i' && in->enc[2] == 's' ?
			abt_enc_lis(v[0], v[1]) : abt_enc_li(v[0], v[1]);
	case F_LOGI:
		if (!strcmp(in->enc, "ori")) return abt_enc_ori(v[0], v[1], v[2]);
		if (!strcmp(in->enc, "oris")) return abt_enc_oris(v[0], v[1], v[2]);
		if (!strcmp(in->enc, "xori")) return abt_enc_xori(v[0], v[1], v[2]);
		if (!strcmp(in->enc, "xoris")) return abt_enc_xoris(v[0], v[1], v[2]);
		if (!strcmp(in->enc, "andi_")) return abt_enc_andi_(v[0], v[1], v[2]);
		return abt_enc_andis_(v[0], v[1], v[2]);
	case F_ROT:
		if (!strcmp(in->enc, "rlwinm"))
			return abt_enc_rlwinm(v[0], v[1], v[2], v[3], v[4]);
		if (!strcmp(in->enc, "rlwinm_"))
			return abt_enc_rlwinm_(v[0], v[1], v[2], v[3], v[4]);
		return abt_enc_rlwimi(v[0], v[1], v[2], v[3], v[4]);
	case F_XLOG:
		if (!strcmp(in->enc, "or")) return abt_enc_or(v[0], v[1], v[2]);
		if (!strcmp(in->enc, "or_")) return abt_enc_or_(v[0], v[1], v[2]);
		if (!strcmp(in->enc, "and")) return abt_enc_and(v[0], v[1], v[2]);
		if (!strcmp(in->enc, "and_")) return abt_enc_and_(v[0], v[1], v[2]);
		if (!strcmp(in->enc, "andc")) return abt_enc_andc(v[0], v[1], v[2]);
		if (!strcmp(in->enc, "xor")) return abt_enc_xor(v[0], v[1], v[2]);
		return abt_enc_nor(v[0], v[1], v[2]);
	case F_XARITH:
		return in->enc[0] == 'a' ? abt_enc_add(v[0], v[1], v[2]) :
					   abt_enc_subf(v[0], v[1], v[2]);
	case F_MR:
		return abt_enc_mr(v[0], v[1]);
	case F_CMPI:
		return in->enc[3] == 'l' ? abt_enc_cmplwi(v[0], v[1], v[2]) :
					   abt_enc_cmpwi(v[0], v[1], v[2]);
	case F_CMP:
		return in->enc[3] == 'l' ? abt_enc_cmplw(v[0], v[1], v[2]) :
					   abt_enc_cmpw(v[0], v[1], v[2]);
	case F_B:
		return abt_enc_b(v[0]);
	case F_BC:
		return abt_enc_bc(in->bo, in->bi + 4 * v[0], v[1]);
	case F_MFCR:
		return abt_enc_mfcr(v[0]);
	case F_MTCRF:
		return abt_enc_mtcrf(v[0], v[1]);
	case F_MTCR:
		return abt_enc_mtcr(v[0]);
	case F_NOP:
		return abt_enc_nop();
	}
	return 0;
}
