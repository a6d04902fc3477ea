/* SPDX-License-Identifier: GPL-2.0 */
/* rulesc: the Power instructions an emit block may use, and those it may
 * not (privileged ones, and ones that would leave the stub). */
#ifndef RULESC_ISA_H
#define RULESC_ISA_H

#include <stdint.h>

enum opk {
	K_GPR,		/* a register operand */
	K_SIMM,		/* signed 16-bit */
	K_UIMM,		/* unsigned 16-bit */
	K_U5,		/* shift / mask bound 0..31 */
	K_CRF,		/* cr field 0..7 */
	K_CRM,		/* cr mask 0..255 */
	K_MEM,		/* d(ra) */
	K_TARGET,	/* branch label or `exit` */
};

enum form {
	F_LOAD, F_STORE, F_ADDI, F_LI, F_LOGI, F_ROT, F_XLOG, F_XARITH, F_MR,
	F_CMPI, F_CMP, F_B, F_BC, F_MFCR, F_MTCRF, F_MTCR, F_NOP,
};

#define I_DEST0		1	/* operand 0 is written */
#define I_READ0		2	/* operand 0 is also read (rlwimi) */
#define I_CRW		4	/* writes CR */
#define I_STORE		8
#define I_BRANCH	16
#define I_COND		32
#define I_CRFOPT	64	/* optional leading crf operand */

struct isa {
	const char *mnem;
	enum form form;
	const char *enc;	/* abt_enc_<enc> in gen/abt_insn.h */
	int nops;
	enum opk ops[5];
	unsigned int flags;
	int bo, bi;		/* conditional branch aliases */
};

/* Instructions an emit block may not contain, with the reason. */
struct isa_forbidden {
	const char *mnem;
	const char *why;
};

const struct isa *isa_lookup(const char *mnem);
const char *isa_forbidden(const char *mnem);
/* Encode with the gen/abt_insn.h encoders (same text, compiled in). */
uint32_t isa_encode(const struct isa *in, const int64_t *v);
/* Is mtspr/mfspr of this SPR number privileged (Power ISA: SPR bit 0x10)? */
int isa_spr_privileged(unsigned int spr);

#endif
