// SPDX-License-Identifier: GPL-2.0
/*
 * The generated body emitters (gen/abt_emit.c) and instruction encoders
 * (gen/abt_insn.h).
 *
 * For every translatable rule, for every instruction word of it (all field
 * values), with several temp assignments, magic page addresses, body and
 * exit addresses, abt_emit_body must produce abt_rules[r].nwords words that
 *   - capstone decodes, none of them privileged or otherwise forbidden;
 *   - only touch the magic page (d(0) loads and stores inside it, never the
 *     composer's scratch slots) and only the instruction's own GPRs and the
 *     temps it was given (no more temps than abt_rules[r].ntemps);
 *   - branch only forward, to a word of the body, its end, or env.exit_ea;
 *   - commit (store or write a guest GPR) at most once on every path, with
 *     the per-word commit state abt_rules[r].committed[] states, and
 *     uses_cr/has_exit as abt_rules[r] states;
 *   - do what the reference emulator says the instruction does: the body
 *     runs in a small interpreter here (independent of gen/), and its
 *     result, or on the exit path the reference effect applied to the
 *     state at the exit, equals abt_emulate() on the same start state.
 * Errors: -ABT_ENOSPC for small buffers, -ABT_ERANGE one word beyond bc
 * reach of exit_ea (and for a magic page out of d(0) reach), -ABT_EINVAL
 * for trap rules and mfspr_slot/mtspr_slot of an SPR without a slot.
 *
 * The encoders are checked against words assembled by GNU as (-mbooke).
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
#include "abt_insn.h"

/* abt_emulate.c calls the port's helpers; no translatable rule does. */
#include "test_helpers.h"
ABT_FOR_EACH_HELPER(TEST_NO_HELPER)

#include "test_rng.h"

static const struct abt_layout *layout;
static u32 linux_magic;
static csh cs;
static cs_insn *cs_in;

static int quota = 20;
#define report(...) do { if (quota > 0 && quota--) print_error(__VA_ARGS__); } while (0)

/* ---- the words of each rule: every opcode/XO the rules use, all 2^16
 * settings of bits 0 and 11..25, decoded ---- */

#define MAXW 4096
static u32 words[ABT_RULE_COUNT][MAXW];
static int nwords_of[ABT_RULE_COUNT];

static void collect_words(void)
{
	static const u32 ops[] = {
		31u << 26 | 83 << 1, 31u << 26 | 146 << 1, 31u << 26 | 131 << 1,
		31u << 26 | 163 << 1, 31u << 26 | 339 << 1, 31u << 26 | 467 << 1,
		31u << 26 | 978 << 1, 31u << 26 | 946 << 1, 31u << 26 | 914 << 1,
		31u << 26 | 786 << 1, 31u << 26 | 18 << 1, 31u << 26 | 566 << 1,
		31u << 26 | 166 << 1, 19u << 26 | 50 << 1, 19u << 26 | 51 << 1,
		19u << 26 | 39 << 1,
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		for (u32 k = 0; k < 0x10000; k++) {
			u32 w = ops[i] | (k & 1) | (k >> 1) << 11;
			struct abt_fields f;
			enum abt_rule r = abt_decode(w, &f);

			if (r && nwords_of[r] < MAXW)
				words[r][nwords_of[r]++] = w;
		}
}

/* ---- a small interpreter for the words a stub body may contain ---- */

struct mach {
	u32 gpr[32];
	u32 cr;
	u8 *mem;		/* the magic page */
	u32 magic_ea;
};

enum wkind { W_BAD, W_LOAD, W_STORE, W_ALU, W_CMP, W_B, W_BC, W_NOP };

/* What a word reads and writes, decoded here from the ISA. */
struct winfo {
	enum wkind kind;
	int dst;		/* GPR written, -1 none */
	int src[3], nsrc;	/* GPRs read */
	int base;		/* D-form base register; 0 = literal zero */
	s32 disp;		/* D-form displacement / branch displacement */
	int crw;		/* writes CR */
	int cond;		/* conditional branch */
	int bytes;		/* load/store width */
};

static s32 sext(u32 v, int bits)
{
	return (s32)(v << (32 - bits)) >> (32 - bits);
}

static struct winfo wdecode(u32 w)
{
	struct winfo i = { W_BAD, -1, { 0 }, 0, 0, 0, 0, 0, 0 };
	u32 po = w >> 26, rt = (w >> 21) & 31, ra = (w >> 16) & 31;
	u32 rb = (w >> 11) & 31, xo = (w >> 1) & 1023, rc = w & 1;

	switch (po) {
	case 32: case 34: case 40:	/* lwz lbz lhz */
		i.kind = W_LOAD;
		i.dst = rt;
		i.base = ra;
		i.disp = sext(w & 0xffff, 16);
		i.bytes = po == 32 ? 4 : po == 34 ? 1 : 2;
		if (ra)
			i.src[i.nsrc++] = ra;
		break;
	case 36: case 38: case 44:	/* stw stb sth */
		i.kind = W_STORE;
		i.src[i.nsrc++] = rt;
		i.base = ra;
		i.disp = sext(w & 0xffff, 16);
		i.bytes = po == 36 ? 4 : po == 38 ? 1 : 2;
		if (ra)
			i.src[i.nsrc++] = ra;
		break;
	case 14: case 15:		/* addi addis */
		i.kind = W_ALU;
		i.dst = rt;
		if (ra)
			i.src[i.nsrc++] = ra;
		break;
	case 24: case 25: case 26: case 27: case 28: case 29:
		if (w == 0x60000000u) {
			i.kind = W_NOP;
			break;
		}
		i.kind = W_ALU;	/* ori oris xori xoris andi. andis. */
		i.dst = ra;
		i.src[i.nsrc++] = rt;
		i.crw = po >= 28;
		break;
	case 20: case 21:		/* rlwimi rlwinm */
		i.kind = W_ALU;
		i.dst = ra;
		i.src[i.nsrc++] = rt;
		if (po == 20)
			i.src[i.nsrc++] = ra;
		i.crw = rc;
		break;
	case 10: case 11:		/* cmpli cmpi, L = 0 */
		if (w & 0x00600000u)
			break;
		i.kind = W_CMP;
		i.src[i.nsrc++] = ra;
		i.crw = 1;
		break;
	case 31:
		switch (xo) {
		case 444: case 28: case 60: case 316: case 124:
			i.kind = W_ALU;
			i.dst = ra;
			i.src[i.nsrc++] = rt;
			i.src[i.nsrc++] = rb;
			i.crw = rc;
			break;
		case 0: case 32:	/* cmp cmpl, L = 0 */
			if ((w & 0x00600001u) == 0) {
				i.kind = W_CMP;
				i.src[i.nsrc++] = ra;
				i.src[i.nsrc++] = rb;
				i.crw = 1;
			}
			break;
		case 19:		/* mfcr */
			if ((w & 0x001ff801u) == 0) {
				i.kind = W_ALU;
				i.dst = rt;
			}
			break;
		case 144:		/* mtcrf */
			if ((w & 0x00100801u) == 0) {
				i.kind = W_ALU;
				i.src[i.nsrc++] = rt;
				i.crw = 1;
			}
			break;
		}
		break;
	case 18:			/* b, AA = LK = 0 */
		if (!(w & 3)) {
			i.kind = W_B;
			i.disp = sext(w & 0x03fffffc, 26);
		}
		break;
	case 16:			/* bc, AA = LK = 0, no CTR forms */
		if (!(w & 3) && (rt & 4)) {
			i.kind = W_BC;
			i.disp = sext(w & 0xfffc, 16);
			i.cond = !(rt & 16);
		}
		break;
	}
	return i;
}

static u32 rotl(u32 v, u32 n)
{
	return n ? (v << n) | (v >> (32 - n)) : v;
}

static u32 mask_mb_me(u32 mb, u32 me)
{
	u32 m = 0;

	for (u32 b = mb;; b = (b + 1) & 31) {
		m |= 0x80000000u >> b;
		if (b == me)
			break;
	}
	return m;
}

static void set_crf(struct mach *m, int f, u32 bits)
{
	m->cr = (m->cr & ~(0xf0000000u >> (4 * f))) | bits << (28 - 4 * f);
}

static void cr0_of(struct mach *m, u32 v)
{
	set_crf(m, 0, (s32)v < 0 ? 8 : v ? 4 : 2);	/* SO = 0 */
}

static u8 *ea_ptr(struct mach *m, u32 ea, int n)
{
	u32 off = ea - m->magic_ea;

	return off <= 4096u - n ? m->mem + off : NULL;
}

/* Execute one word at body index; returns the next index (body-relative
 * words), or -1 for a branch to exit (*exit set), -2 on error. */
static int step(struct mach *m, u32 w, int idx, u32 pc, u32 exit_ea)
{
	struct winfo i = wdecode(w);
	u32 po = w >> 26, rt = (w >> 21) & 31, ra = (w >> 16) & 31;
	u32 rb = (w >> 11) & 31, xo = (w >> 1) & 1023;
	u32 ui = w & 0xffff, a, b;
	s32 si = sext(ui, 16);
	u8 *p;

	switch (i.kind) {
	case W_LOAD:
	case W_STORE:
		p = ea_ptr(m, (ra ? m->gpr[ra] : 0) + (u32)i.disp, i.bytes);
		if (!p)
			return -2;
		if (i.kind == W_LOAD) {
			u32 v = 0;

			for (int k = 0; k < i.bytes; k++)
				v = v << 8 | p[k];
			m->gpr[rt] = v;
		} else {
			for (int k = 0; k < i.bytes; k++)
				p[k] = m->gpr[rt] >> (8 * (i.bytes - 1 - k));
		}
		return idx + 1;
	case W_NOP:
		return idx + 1;
	case W_ALU:
		switch (po) {
		case 14: m->gpr[rt] = (ra ? m->gpr[ra] : 0) + (u32)si; break;
		case 15: m->gpr[rt] = (ra ? m->gpr[ra] : 0) + (ui << 16); break;
		case 24: m->gpr[ra] = m->gpr[rt] | ui; break;
		case 25: m->gpr[ra] = m->gpr[rt] | ui << 16; break;
		case 26: m->gpr[ra] = m->gpr[rt] ^ ui; break;
		case 27: m->gpr[ra] = m->gpr[rt] ^ ui << 16; break;
		case 28: m->gpr[ra] = m->gpr[rt] & ui; break;
		case 29: m->gpr[ra] = m->gpr[rt] & ui << 16; break;
		case 20: case 21: {
			u32 mk = mask_mb_me((w >> 6) & 31, (w >> 1) & 31);
			u32 r = rotl(m->gpr[rt], rb);

			m->gpr[ra] = po == 21 ? (r & mk) : (r & mk) | (m->gpr[ra] & ~mk);
			break;
		}
		case 31:
			a = m->gpr[rt];
			b = m->gpr[rb];
			switch (xo) {
			case 444: m->gpr[ra] = a | b; break;
			case 28: m->gpr[ra] = a & b; break;
			case 60: m->gpr[ra] = a & ~b; break;
			case 316: m->gpr[ra] = a ^ b; break;
			case 124: m->gpr[ra] = ~(a | b); break;
			case 19: m->gpr[rt] = m->cr; return idx + 1;
			case 144:
				for (int f = 0; f < 8; f++)
					if ((w >> (19 - f)) & 1)
						set_crf(m, f, (m->gpr[rt] >> (28 - 4 * f)) & 15);
				return idx + 1;
			}
			break;
		}
		if (i.crw)
			cr0_of(m, m->gpr[i.dst]);
		return idx + 1;
	case W_CMP: {
		int f = (w >> 23) & 7;
		u32 x = m->gpr[ra];
		u32 y = po == 31 ? m->gpr[rb] : po == 11 ? (u32)si : ui;
		int lt, gt;

		if (po == 11 || (po == 31 && xo == 0)) {
			lt = (s32)x < (s32)y;
			gt = (s32)x > (s32)y;
		} else {
			lt = x < y;
			gt = x > y;
		}
		set_crf(m, f, lt ? 8 : gt ? 4 : 2);
		return idx + 1;
	}
	case W_B:
	case W_BC: {
		int taken = 1;

		if (i.kind == W_BC && i.cond) {
			u32 bit = (m->cr >> (31 - ((w >> 16) & 31))) & 1;

			taken = (rt & 8) ? bit : !bit;
		}
		if (!taken)
			return idx + 1;
		u32 t = pc + (u32)i.disp;

		if (t == exit_ea)
			return -1;
		if ((t - pc) % 4)
			return -2;
		return idx + (int)((s32)(t - pc) / 4);
	}
	default:
		return -2;
	}
}

/* ---- the checks ---- */

static const char *const forbidden_mnem[] = {
	"mfmsr", "mtmsr", "wrtee", "wrteei", "rfi", "rfci", "rfdi", "rfmci",
	"sc", "tw", "twi", "trap", "mfdcr", "mtdcr", "dcbi", "mtsr", "mtsrin",
	"mfsr", "mfsrin", "wait", "msgsnd", "msgclr", "ehpriv", "bl", "blr",
	"bctr", "bctrl", "mtlr", "mtctr", "mflr", "mfctr", "mtmsrd", NULL,
};

/* What a stub body may contain, as capstone 4 prints it. */
static const char *const allowed_mnem[] = {
	"lwz", "lbz", "lhz", "stw", "stb", "sth", "addi", "addis", "li", "lis",
	"ori", "oris", "xori", "xoris", "andi.", "andis.", "rlwinm", "rlwinm.",
	"rlwimi", "or", "or.", "and", "and.", "andc", "xor", "nor", "mr",
	"cmpwi", "cmplwi", "cmpw", "cmplw", "mfcr", "mtcrf", "mtcr", "nop",
	"b", "blt", "bgt", "beq", "bge", "ble", "bne", "clrlwi", "rotlwi",
	"slwi", "srwi", "clrrwi", "not", "mr.", NULL,
};

static int in_list(const char *const *l, const char *m)
{
	for (; *l; l++)
		if (!strcmp(*l, m))
			return 1;
	return 0;
}

/* The capstone side of one word: decodes, allowed, not privileged. */
static int cs_word_ok(const char *rn, u32 w, u32 pc)
{
	uint8_t b[4] = { w >> 24, w >> 16, w >> 8, w };
	const uint8_t *p = b;
	size_t n = 4;
	uint64_t a = pc;

	if (!cs_disasm_iter(cs, &p, &n, &a, cs_in)) {
		report("%s: word 0x%08x at 0x%08x: capstone cannot decode it\n",
		       rn, w, pc);
		return 0;
	}
	const char *m = cs_in->mnemonic;

	if (in_list(forbidden_mnem, m) || !strncmp(m, "tlb", 3) ||
	    ((!strncmp(m, "mfspr", 5) || !strncmp(m, "mtspr", 5)))) {
		/* mfspr/mtspr of a user SPR (bit 0x10 clear) would be
		 * unprivileged, but stubs have no business with SPRs at all */
		report("%s: word 0x%08x: '%s %s' in a stub body\n", rn, w, m,
		       cs_in->op_str);
		return 0;
	}
	if (!in_list(allowed_mnem, m)) {
		report("%s: word 0x%08x: unexpected '%s %s' in a stub body\n",
		       rn, w, m, cs_in->op_str);
		return 0;
	}
	return 1;
}

struct env_case {
	struct abt_emit_env env;
	u32 ops;		/* operand GPRs of the instruction */
};

/* Static checks of one emitted body; returns 0 if fine. */
static int check_body(enum abt_rule r, const struct abt_fields *f,
		      const struct env_case *c, const u32 *buf, int n)
{
	const struct abt_rule_info *ri = &abt_rules[r];
	const struct abt_emit_env *e = &c->env;
	u32 temps = 0, used_t = 0;
	int bad = 0, cr = 0, exit_seen = 0;
	int state[70], commits = 0;

	if (ri->ntemps >= 1)
		temps |= 1u << e->t[0];
	if (ri->ntemps >= 2)
		temps |= 1u << e->t[1];
	for (int k = 0; k <= n; k++)
		state[k] = -1;
	state[0] = 0;
	for (int k = 0; k < n; k++) {
		u32 w = buf[k], pc = e->pc + 4 * k;
		struct winfo i = wdecode(w);

		if (!cs_word_ok(ri->name, w, pc))
			bad++;
		if (i.kind == W_BAD) {
			report("%s: word %d 0x%08x is not a stub instruction\n",
			       ri->name, k, w);
			bad++;
			continue;
		}
		/* registers: the instruction's own and the temps */
		for (int s = 0; s < i.nsrc; s++)
			if (!((c->ops | temps) >> i.src[s] & 1)) {
				report("%s: word %d 0x%08x reads r%d\n", ri->name,
				       k, w, i.src[s]);
				bad++;
			}
		if (i.dst >= 0 && !((c->ops | temps) >> i.dst & 1)) {
			report("%s: word %d 0x%08x writes r%d\n", ri->name, k, w,
			       i.dst);
			bad++;
		}
		for (int s = 0; s < i.nsrc; s++)
			if (temps >> i.src[s] & 1 && !(c->ops >> i.src[s] & 1))
				used_t |= 1u << i.src[s];
		if (i.dst >= 0 && temps >> i.dst & 1)
			used_t |= 1u << i.dst;
		cr |= i.crw;
		/* memory: d(0) into the magic page, never a scratch slot */
		if (i.kind == W_LOAD || i.kind == W_STORE) {
			u32 ea = (u32)i.disp, off = ea - e->magic_ea;

			if (i.base) {
				report("%s: word %d 0x%08x: base r%d, not 0\n",
				       ri->name, k, w, i.base);
				bad++;
			}
			if (off > 4096u - i.bytes) {
				report("%s: word %d 0x%08x: EA 0x%08x outside the "
				       "magic page 0x%08x\n", ri->name, k, w, ea,
				       e->magic_ea);
				bad++;
			}
			for (int s = ABT_SLOT_scratch1; s <= ABT_SLOT_scratch3; s++)
				if (off == e->layout->off[s]) {
					report("%s: word %d touches scratch slot %d\n",
					       ri->name, k, s);
					bad++;
				}
		}
		/* control flow and the commit state on every path */
		int in = state[k];

		if (in < 0) {
			report("%s: word %d is unreachable\n", ri->name, k);
			bad++;
			in = 0;
		}
		if (ri->committed && ri->committed[k] != in) {
			report("%s: committed[%d] = %d, the code says %d\n", ri->name,
			       k, ri->committed[k], in);
			bad++;
		}
		int commit = i.kind == W_STORE ||
			     (i.dst >= 0 && (c->ops >> i.dst & 1));
		int out = in;

		if (commit) {
			commits++;
			if (in) {
				report("%s: word %d commits a second time\n",
				       ri->name, k);
				bad++;
			}
			out = 1;
		}
		int succ[2], ns = 0;

		if (i.kind == W_B || i.kind == W_BC) {
			u32 t = pc + (u32)i.disp;
			s32 rel = (s32)(t - e->pc);

			if (t == e->exit_ea) {
				exit_seen = 1;
			} else if (rel <= 4 * k || rel > 4 * n || rel % 4) {
				report("%s: word %d branches to 0x%08x, outside "
				       "the body 0x%08x..0x%08x and not exit 0x%08x\n",
				       ri->name, k, t, e->pc, e->pc + 4 * n,
				       e->exit_ea);
				bad++;
			} else {
				succ[ns++] = rel / 4;
			}
			if (i.kind == W_BC && i.cond)
				succ[ns++] = k + 1;
		} else {
			succ[ns++] = k + 1;
		}
		for (int s = 0; s < ns; s++) {
			if (state[succ[s]] >= 0 && state[succ[s]] != out) {
				report("%s: word %d reached before and after the "
				       "commit\n", ri->name, succ[s]);
				bad++;
			}
			state[succ[s]] = out;
		}
	}
	if (cr && !ri->uses_cr) {
		report("%s: body writes CR, uses_cr = 0\n", ri->name);
		bad++;
	}
	if (exit_seen != !!ri->has_exit) {
		report("%s: branches to exit: %d, has_exit = %d\n", ri->name,
		       exit_seen, ri->has_exit);
		bad++;
	}
	if (ri->shape == ABT_SHAPE_INPLACE && (n != 1 || used_t || cr ||
					      exit_seen)) {
		report("%s: inplace body is not one plain word\n", ri->name);
		bad++;
	}
	if (ri->shape != ABT_SHAPE_INPLACE && commits == 0) {
		/* a body with no commit at all changes nothing visible */
		report("%s: body never commits\n", ri->name);
		bad++;
	}
	return bad;
}

static void init_cpu(struct abt_cpu *cpu, u8 *magic)
{
	memset(cpu, 0, sizeof(*cpu));
	cpu->magic = magic;
	cpu->layout = layout;
}

static void put32(u8 *p, u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static u32 get32(const u8 *p)
{
	return (u32)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

struct sem_stats {
	unsigned long runs, exits, falls;
};

/* Run the body on a random state and compare with abt_emulate. */
static int check_semantics(enum abt_rule r, u32 word,
			   const struct abt_fields *f, const struct env_case *c,
			   const u32 *buf, int n, struct sem_stats *st)
{
	const struct abt_rule_info *ri = &abt_rules[r];
	const struct abt_emit_env *e = &c->env;
	static u8 mem0[4096], memb[4096], memr[4096];
	struct mach m;
	struct abt_cpu ref;
	u32 gpr0[32], cr0 = rnd();
	int bad = 0;

	for (int k = 0; k < 4096; k++)
		mem0[k] = rnd();
	for (int k = 0; k < 32; k++)
		gpr0[k] = rnd();
	/* interesting values: operands near the MSR, interrupts pending or
	 * not, MSR[EE] either way */
	u32 msr = rnd();
	u32 op = (word >> 21) & 31;

	if (rnd() & 1)
		gpr0[op] = msr ^ (rnd() & (0x8000u | 0x2u));
	if (rnd() & 1)
		put32(mem0 + layout->off[ABT_SLOT_int_pending], 0);
	put32(mem0 + layout->off[ABT_SLOT_msr], msr);

	/* reference */
	memcpy(memr, mem0, 4096);
	init_cpu(&ref, memr);
	memcpy(ref.gpr, gpr0, sizeof(gpr0));
	ref.cr = cr0;
	ref.pc = e->pc;
	if (abt_emulate(&ref, word) != ABT_EMULATE_DONE) {
		report("%s 0x%08x: abt_emulate fails\n", ri->name, word);
		return 1;
	}

	/* the body (magic page at e->magic_ea) */
	memcpy(memb, mem0, 4096);
	memcpy(m.gpr, gpr0, sizeof(gpr0));
	m.cr = cr0;
	m.mem = memb;
	m.magic_ea = e->magic_ea;
	int k = 0, steps = 0;

	while (k >= 0 && k < n && steps++ < 200)
		k = step(&m, buf[k], k, e->pc + 4 * k, e->exit_ea);
	if (k == -2 || steps >= 200) {
		report("%s 0x%08x: body does not run (word %d)\n", ri->name,
		       word, k);
		return 1;
	}
	/* the epilogue restores the temps and (if saved) CR */
	for (int t = 0; t < ri->ntemps; t++)
		m.gpr[e->t[t]] = gpr0[e->t[t]];
	if (ri->uses_cr)
		m.cr = cr0;
	st->runs++;
	if (k == -1) {
		/* the exit path runs the original word: the host emulates it
		 * on the state the body left */
		struct abt_cpu x;

		st->exits++;
		init_cpu(&x, memb);
		memcpy(x.gpr, m.gpr, sizeof(m.gpr));
		x.cr = m.cr;
		x.pc = e->pc;
		if (abt_emulate(&x, word) != ABT_EMULATE_DONE)
			return 1;
		memcpy(m.gpr, x.gpr, sizeof(m.gpr));
		m.cr = x.cr;
	} else {
		st->falls++;
	}
	if (memcmp(m.gpr, ref.gpr, sizeof(m.gpr))) {
		for (int g = 0; g < 32; g++)
			if (m.gpr[g] != ref.gpr[g])
				report("%s 0x%08x (%s): r%d = 0x%08x, reference "
				       "0x%08x\n", ri->name, word,
				       k == -1 ? "exit" : "through", g, m.gpr[g],
				       ref.gpr[g]);
		bad++;
	}
	if (m.cr != ref.cr) {
		report("%s 0x%08x: CR 0x%08x, reference 0x%08x\n", ri->name,
		       word, m.cr, ref.cr);
		bad++;
	}
	for (int s = 0; s < ABT_SLOT_COUNT; s++) {
		u32 off = layout->off[s];

		if (off > 4092)
			continue;
		if (get32(memb + off) != get32(memr + off)) {
			report("%s 0x%08x (%s): slot %s = 0x%08x, reference "
			       "0x%08x\n", ri->name, word,
			       k == -1 ? "exit" : "through", abt_slot_names[s],
			       get32(memb + off), get32(memr + off));
			bad++;
		}
	}
	if (memcmp(memb, memr, 4096)) {
		report("%s 0x%08x: magic page differs outside the slots\n",
		       ri->name, word);
		bad++;
	}
	(void)f;
	return bad;
}

/* Pick two distinct temps (r3..r31) the instruction does not name. */
static void pick_temps(u32 ops, u8 t[2])
{
	do
		t[0] = 3 + rnd() % 29;
	while (ops >> t[0] & 1);
	do
		t[1] = 3 + rnd() % 29;
	while (ops >> t[1] & 1 || t[1] == t[0]);
}

static const u32 magic_eas[] = { 0xfffff000u, 0xffff8000u, 0x00000000u,
				 0x00007000u };

static void test_bodies(void **state)
{
	int total = 0, bad = 0;
	struct sem_stats st[ABT_RULE_COUNT] = { { 0 } };

	seed_rng(10);
	for (int r = 1; r < ABT_RULE_COUNT; r++) {
		const struct abt_rule_info *ri = &abt_rules[r];

		if (ri->shape == ABT_SHAPE_TRAP)
			continue;
		if (!nwords_of[r]) {
			print_error("%s: no instruction word decodes to it\n",
				    ri->name);
			fail();
		}
		for (int wi = 0; wi < nwords_of[r]; wi++) {
			u32 word = words[r][wi];
			struct abt_fields f;

			assert_int_equal(abt_decode(word, &f), r);
			for (int v = 0; v < 6; v++) {
				struct env_case c;
				u32 buf[80];

				memset(&c, 0, sizeof(c));
				c.ops = abt_operand_gprs(r, &f);
				c.env.layout = layout;
				c.env.magic_ea = v < 4 ? magic_eas[v] : linux_magic;
				c.env.pc = (rnd() & 0x0ffffffcu) | 0x10000000u;
				/* exit path after the body, or (v = 5) before */
				c.env.exit_ea = v == 5 ?
					c.env.pc - 4 * (1 + rnd() % 2048) :
					c.env.pc + 4 * ri->nwords + 4 * (rnd() % 2048);
				if (v == 4) {
					c.env.exit_ea = c.env.pc + 4 * ri->nwords + 8;
				}
				pick_temps(c.ops, c.env.t);
				for (int k = 0; k < 80; k++)
					buf[k] = 0xdeadbeefu;

				int n = abt_emit_body(r, &c.env, &f, buf, 64);

				total++;
				if (n != ri->nwords) {
					report("%s 0x%08x: abt_emit_body = %d, "
					       "nwords = %d\n", ri->name, word, n,
					       ri->nwords);
					bad++;
					continue;
				}
				if (buf[n] != 0xdeadbeefu) {
					report("%s: wrote past its %d words\n",
					       ri->name, n);
					bad++;
				}
				bad += check_body(r, &f, &c, buf, n);
				for (int s = 0; s < 4; s++)
					bad += check_semantics(r, word, &f, &c, buf,
							       n, &st[r]);
			}
		}
		if (ri->has_exit && (!st[r].exits || !st[r].falls)) {
			print_error("%s: semantic runs never %s\n", ri->name,
				    st[r].exits ? "fell through" : "exited");
			bad++;
		}
	}
	print_message("bodies: %d emitted and checked, runs per rule:", total);
	for (int r = 1; r < ABT_RULE_COUNT; r++)
		if (st[r].runs)
			print_message(" %s %lu (%lu exit)", abt_rules[r].name,
				      st[r].runs, st[r].exits);
	print_message("\n");
	assert_int_equal(bad, 0);
}

/* A body needs exactly nwords of room. */
static void test_enospc(void **state)
{
	seed_rng(11);
	for (int r = 1; r < ABT_RULE_COUNT; r++) {
		const struct abt_rule_info *ri = &abt_rules[r];

		if (ri->shape == ABT_SHAPE_TRAP)
			continue;
		struct abt_fields f;
		u32 buf[80];
		struct abt_emit_env e = { linux_magic, 0x100000, 0x100400,
					  { 31, 30 }, layout };

		assert_int_equal(abt_decode(words[r][0], &f), r);
		for (int cap = 0; cap < ri->nwords; cap++) {
			for (int k = 0; k < 80; k++)
				buf[k] = 0xdeadbeefu;
			int n = abt_emit_body(r, &e, &f, buf, cap);

			if (n != -ABT_ENOSPC) {
				print_error("%s: cap %d gives %d\n", ri->name, cap, n);
				fail();
			}
			for (int k = 0; k < 80; k++)
				assert_int_equal(buf[k], 0xdeadbeefu);
		}
		assert_int_equal(abt_emit_body(r, &e, &f, buf, ri->nwords),
				 ri->nwords);
		/* and a NULL buffer with no room is fine */
		assert_int_equal(abt_emit_body(r, &e, &f, NULL, 0),
				 ri->nwords ? -ABT_ENOSPC : 0);
	}
}

/* exit_ea exactly at the edge of bc reach works, one word further fails. */
static void test_erange_exit(void **state)
{
	int checked = 0;

	for (int r = 1; r < ABT_RULE_COUNT; r++) {
		const struct abt_rule_info *ri = &abt_rules[r];

		if (ri->shape == ABT_SHAPE_TRAP || !ri->has_exit)
			continue;
		struct abt_fields f;
		u32 buf[80], pc = 0x00400000u;
		struct abt_emit_env e = { linux_magic, pc, pc + 4 * ri->nwords + 64,
					  { 31, 30 }, layout };
		int first = -1, last = -1;

		assert_int_equal(abt_decode(words[r][0], &f), r);
		assert_int_equal(abt_emit_body(r, &e, &f, buf, 80), ri->nwords);
		/* which words branch to exit */
		for (int k = 0; k < ri->nwords; k++) {
			struct winfo i = wdecode(buf[k]);

			if ((i.kind == W_BC || i.kind == W_B) &&
			    pc + 4 * k + (u32)i.disp == e.exit_ea) {
				if (first < 0)
					first = k;
				last = k;
				assert_int_equal(i.kind, W_BC);	/* all bc today */
			}
		}
		assert_true(first >= 0);
		/* forward: the first exit branch has the longest reach */
		e.exit_ea = pc + 4 * first + 0x7ffc;
		assert_int_equal(abt_emit_body(r, &e, &f, buf, 80), ri->nwords);
		e.exit_ea = pc + 4 * first + 0x8000;
		assert_int_equal(abt_emit_body(r, &e, &f, buf, 80), -ABT_ERANGE);
		/* backward: the last one */
		e.exit_ea = pc + 4 * last - 0x8000;
		assert_int_equal(abt_emit_body(r, &e, &f, buf, 80), ri->nwords);
		e.exit_ea = pc + 4 * last - 0x8004;
		assert_int_equal(abt_emit_body(r, &e, &f, buf, 80), -ABT_ERANGE);
		/* far away */
		e.exit_ea = pc + 0x01000000u;
		assert_int_equal(abt_emit_body(r, &e, &f, buf, 80), -ABT_ERANGE);
		/* a misaligned exit cannot be encoded either */
		e.exit_ea = pc + 4 * ri->nwords + 2;
		assert_int_equal(abt_emit_body(r, &e, &f, buf, 80), -ABT_ERANGE);
		checked++;
	}
	assert_true(checked >= 3);	/* mtmsr, wrtee, wrteei1 */
}

/* A magic page the d(0) form cannot reach must not be silently wrapped. */
static void test_erange_magic(void **state)
{
	static const u32 far[] = { 0x00008000u, 0x00010000u, 0xfff00000u,
				   0x80000000u, 0xffff7000u };

	for (int r = 1; r < ABT_RULE_COUNT; r++) {
		const struct abt_rule_info *ri = &abt_rules[r];
		struct abt_fields f;
		u32 buf[80];
		int uses_magic = 0;

		if (ri->shape == ABT_SHAPE_TRAP)
			continue;
		assert_int_equal(abt_decode(words[r][0], &f), r);
		struct abt_emit_env e = { linux_magic, 0x100000, 0x100400,
					  { 31, 30 }, layout };

		assert_int_equal(abt_emit_body(r, &e, &f, buf, 80), ri->nwords);
		for (int k = 0; k < ri->nwords; k++) {
			struct winfo i = wdecode(buf[k]);

			uses_magic |= i.kind == W_LOAD || i.kind == W_STORE;
		}
		for (size_t m = 0; m < sizeof(far) / sizeof(far[0]); m++) {
			e.magic_ea = far[m];
			int n = abt_emit_body(r, &e, &f, buf, 80);

			if (uses_magic && n != -ABT_ERANGE) {
				print_error("%s: magic page 0x%08x is out of d(0) "
					    "reach, abt_emit_body gives %d", ri->name,
					    far[m], n);
				if (n > 0)
					print_error(" (word 0 = 0x%08x)", buf[0]);
				print_error("\n");
				fail();
			}
			if (!uses_magic)
				assert_int_equal(n, ri->nwords);
		}
	}
}

static void test_einval(void **state)
{
	struct abt_emit_env e = { linux_magic, 0x100000, 0x100400, { 31, 30 },
				  layout };
	struct abt_fields f;
	u32 buf[80];
	int traps = 0;

	memset(&f, 0, sizeof(f));
	for (int r = 0; r < ABT_RULE_COUNT; r++)
		if (abt_rules[r].shape == ABT_SHAPE_TRAP) {
			for (int k = 0; k < 80; k++)
				buf[k] = 0xdeadbeefu;
			assert_int_equal(abt_emit_body(r, &e, &f, buf, 80),
					 -ABT_EINVAL);
			assert_int_equal(buf[0], 0xdeadbeefu);
			traps++;
		}
	assert_true(traps >= 2);	/* NONE and at least rfi */
	assert_int_equal(abt_emit_body(ABT_RULE_COUNT, &e, &f, buf, 80),
			 -ABT_EINVAL);
	/* SPR-indexed slots: an SPR without a slot (PID 48, DEC 22, and
	 * numbers no register has) */
	static const u32 noslot[] = { 48, 22, 0, 1, 268, 1023 };

	for (size_t i = 0; i < sizeof(noslot) / sizeof(noslot[0]); i++) {
		f.rD = f.rS = 3;
		f.spr = noslot[i];
		assert_int_equal(abt_emit_body(ABT_RULE_mfspr_slot, &e, &f, buf, 80),
				 -ABT_EINVAL);
		assert_int_equal(abt_emit_body(ABT_RULE_mtspr_slot, &e, &f, buf, 80),
				 -ABT_EINVAL);
	}
	/* and with a slot it works */
	f.spr = 272;
	assert_int_equal(abt_emit_body(ABT_RULE_mfspr_slot, &e, &f, buf, 80), 1);
	assert_int_equal(buf[0], abt_enc_lwz(3, 0, (s16)(linux_magic +
					      layout->off[ABT_SLOT_sprg0])));
}

/* Hand-checked words: mfmsr r3 on the Linux profile is lwz r3,-4004(0). */
static void test_linux_examples(void **state)
{
	struct abt_emit_env e = { linux_magic, 0x100000, 0x10002c, { 31, 30 },
				  layout };
	struct abt_fields f;
	u32 buf[16];

	assert_int_equal(linux_magic, 0xfffff000u);
	assert_int_equal(abt_decode(0x7c6000a6u, &f), ABT_RULE_mfmsr);
	assert_int_equal(abt_emit_body(ABT_RULE_mfmsr, &e, &f, buf, 16), 1);
	assert_int_equal(buf[0], 0x8060f05cu);	/* lwz r3,-4004(0) */
	assert_int_equal(abt_decode(0x7c9a03a6u, &f), ABT_RULE_mtspr_slot);
	assert_int_equal(abt_emit_body(ABT_RULE_mtspr_slot, &e, &f, buf, 16), 1);
	assert_int_equal(buf[0], 0x9080f044u);	/* stw r4,-4028(0): SRR0 */
	assert_int_equal(abt_decode(0x7c70eaa6u, &f), ABT_RULE_mfspr_slot);
	assert_int_equal(abt_emit_body(ABT_RULE_mfspr_slot, &e, &f, buf, 16), 1);
	assert_int_equal(buf[0], 0x8060f0b0u);	/* lwz r3,-3920(0): MAS7 */
	assert_int_equal(abt_decode(0x7c00046cu, &f), ABT_RULE_tlbsync);
	assert_int_equal(abt_emit_body(ABT_RULE_tlbsync, &e, &f, buf, 16), 1);
	assert_int_equal(buf[0], 0x60000000u);	/* nop */
	/* wrteei 0 with t0 = r31 */
	assert_int_equal(abt_decode(0x7c000146u, &f), ABT_RULE_wrteei0);
	assert_int_equal(abt_emit_body(ABT_RULE_wrteei0, &e, &f, buf, 16), 3);
	assert_int_equal(buf[0], 0x83e0f05cu);	/* lwz r31,-4004(0) */
	assert_int_equal(buf[1], 0x57ff045eu);	/* rlwinm r31,r31,0,17,15 */
	assert_int_equal(buf[2], 0x93e0f05cu);	/* stw r31,-4004(0) */
}

/* The encoders of gen/abt_insn.h against words assembled by GNU as
 * (powerpc-linux-gnu-as -mbooke) from the instruction in the comment. */
static void test_encoders(void **state)
{
	const struct { u32 got, want; const char *what; } k[] = {
#define E(expr, w) { expr, w, #expr }
		E(abt_enc_lwz(3, 0, -4004), 0x8060f05c),	/* lwz r3,-4004(0) */
		E(abt_enc_lwz(31, 5, 0x7ff8), 0x83e57ff8),	/* lwz r31,32760(r5) */
		E(abt_enc_lbz(4, 6, -1), 0x8886ffff),
		E(abt_enc_lhz(7, 8, 2), 0xa0e80002),
		E(abt_enc_stw(3, 0, -4004), 0x9060f05c),
		E(abt_enc_stb(9, 10, 0x10), 0x992a0010),
		E(abt_enc_sth(11, 12, -32768), 0xb16c8000),
		E(abt_enc_addi(3, 4, -1), 0x3864ffff),
		E(abt_enc_addis(5, 6, 0x1234), 0x3ca61234),
		E(abt_enc_li(7, 100), 0x38e00064),
		E(abt_enc_lis(8, -1), 0x3d00ffff),
		E(abt_enc_ori(3, 4, 0x8000), 0x60838000),	/* ori r3,r4,0x8000 */
		E(abt_enc_oris(5, 6, 0xffff), 0x64c5ffff),
		E(abt_enc_xori(7, 8, 1), 0x69070001),
		E(abt_enc_xoris(9, 10, 2), 0x6d490002),
		E(abt_enc_andi_(31, 3, 0x8000), 0x707f8000),
		E(abt_enc_andis_(30, 29, 0x10), 0x77be0010),
		E(abt_enc_nop(), 0x60000000),
		E(abt_enc_rlwinm(31, 31, 0, 17, 15), 0x57ff045e),
		E(abt_enc_rlwinm_(31, 31, 0, 31, 29), 0x57ff07fb),
		E(abt_enc_rlwimi(31, 3, 0, 16, 16), 0x507f0420),
		E(abt_enc_or(3, 4, 5), 0x7c832b78),
		E(abt_enc_or_(6, 7, 8), 0x7ce64379),
		E(abt_enc_and(9, 10, 11), 0x7d495838),
		E(abt_enc_and_(12, 13, 14), 0x7dac7039),
		E(abt_enc_andc(15, 16, 17), 0x7e0f8878),
		E(abt_enc_xor(31, 31, 3), 0x7fff1a78),
		E(abt_enc_nor(18, 19, 20), 0x7e72a0f8),
		E(abt_enc_mr(21, 22), 0x7ed5b378),
		E(abt_enc_cmpwi(0, 31, 0), 0x2c1f0000),
		E(abt_enc_cmpwi(7, 3, -5), 0x2f83fffb),
		E(abt_enc_cmplwi(1, 4, 0xffff), 0x2884ffff),
		E(abt_enc_cmpw(0, 5, 6), 0x7c053000),
		E(abt_enc_cmplw(2, 7, 8), 0x7d074040),
		E(abt_enc_mfcr(31), 0x7fe00026),
		E(abt_enc_mtcrf(0x80, 30), 0x7fc80120),
		E(abt_enc_mtcr(29), 0x7faff120),
		E(abt_enc_b(8), 0x48000008),			/* b .+8 */
		E(abt_enc_b(-4), 0x4bfffffc),
		E(abt_enc_b(0x1fffffc), 0x49fffffc),
		E(abt_enc_b(-0x2000000), 0x4a000000),
		E(abt_enc_bc(12, 2, 16), 0x41820010),		/* beq .+16 */
		E(abt_enc_bc(4, 2, -8), 0x4082fff8),		/* bne .-8 */
		E(abt_enc_bc(4, 30, 0x7ffc), 0x409e7ffc),	/* bne cr7,.+0x7ffc */
		E(abt_enc_bc(12, 0, -0x8000), 0x41808000),	/* blt .-0x8000 */
		/* operands are masked to their fields */
		E(abt_enc_lwz(35, 32 + 1, 0x18000), 0x80618000),
		E(abt_enc_mtcrf(0x180, 1), 0x7c280120),
#undef E
	};
	int bad = 0;

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		if (k[i].got != k[i].want) {
			print_error("%s = 0x%08x, want 0x%08x\n", k[i].what,
				    k[i].got, k[i].want);
			bad++;
		}
	assert_int_equal(bad, 0);

	/* range helpers */
	assert_true(abt_disp_fits(0, 16));
	assert_true(abt_disp_fits(0x7ffc, 16));
	assert_false(abt_disp_fits(0x8000, 16));
	assert_true(abt_disp_fits(-0x8000, 16));
	assert_false(abt_disp_fits(-0x8004, 16));
	assert_false(abt_disp_fits(2, 16));		/* not word aligned */
	assert_true(abt_disp_fits(0x1fffffc, 26));
	assert_false(abt_disp_fits(0x2000000, 26));
	assert_true(abt_disp_fits(-0x2000000, 26));
	assert_false(abt_disp_fits(-0x2000004, 26));
	assert_true(abt_simm_fits(-32768));
	assert_true(abt_simm_fits(32767));
	assert_false(abt_simm_fits(32768));
	assert_false(abt_simm_fits(-32769));
	assert_true(abt_uimm_fits(0));
	assert_true(abt_uimm_fits(65535));
	assert_false(abt_uimm_fits(65536));
	assert_false(abt_uimm_fits(-1));
}

/* Every encoder's word reads back in capstone as what was encoded. */
static void test_encoders_capstone(void **state)
{
	static const struct { u32 w; const char *text; } k[] = {
		{ 0x8060f05c, "lwz r3, -0xfa4(0)" },
		{ 0x9060f05c, "stw r3, -0xfa4(0)" },
		{ 0x57ff045e, "rlwinm r31, r31, 0, 0x11, 0xf" },
		{ 0x707f8000, "andi. r31, r3, 0x8000" },
		{ 0x2c1f0000, "cmpwi r31, 0" },
		{ 0x7fc80120, "mtcrf 0x80, r30" },
		{ 0x41820010, "beq 0x1010" },
		{ 0x4082fff8, "bne 0xff8" },
		{ 0x48000008, "b 0x1008" },
	};
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		uint8_t b[4] = { k[i].w >> 24, k[i].w >> 16, k[i].w >> 8, k[i].w };
		const uint8_t *p = b;
		size_t n = 4;
		uint64_t a = 0x1000;
		char text[400];

		assert_true(cs_disasm_iter(cs, &p, &n, &a, cs_in));
		snprintf(text, sizeof(text), "%s %s", cs_in->mnemonic,
			 cs_in->op_str);
		assert_string_equal(text, k[i].text);
	}
}

static int setup(void **state)
{
	const struct abt_profile *p = abt_profile_find("linux");

	if (!p)
		return -1;
	layout = p->layout;
	linux_magic = p->magic_ea;
	if (cs_open(CS_ARCH_PPC, CS_MODE_32 | CS_MODE_BIG_ENDIAN, &cs) != CS_ERR_OK)
		return -1;
	cs_in = cs_malloc(cs);
	if (!cs_in)
		return -1;
	collect_words();
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
		cmocka_unit_test(test_encoders),
		cmocka_unit_test(test_encoders_capstone),
		cmocka_unit_test(test_linux_examples),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_enospc),
		cmocka_unit_test(test_erange_exit),
		cmocka_unit_test(test_erange_magic),
		cmocka_unit_test(test_einval),
	};

	return cmocka_run_group_tests_name("emit", tests, setup, teardown);
}
