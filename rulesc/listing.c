// SPDX-License-Identifier: GPL-2.0
/*
 * rulesc --listing: each translatable rule's body, encoded with sample
 * operands, disassembled by capstone beside the source line. With --check,
 * our own rendering of the source operands must equal capstone's text for
 * every word: an independent decoder confirms each encoding.
 */
#include <capstone/capstone.h>
#include <stdlib.h>
#include <string.h>
#include "ast.h"
#include "isa.h"
#include "parser.h"

uint32_t rulesc_field_value(const struct field *f, uint32_t w);
uint32_t rulesc_field_place(const struct field *f, uint32_t v);

/* Sample environment for listings (the composer picks real ones). */
#define L_PC	0x00100000u
#define L_T0	31
#define L_T1	30

struct sample {
	const struct rule *r;
	uint32_t magic;
	int layout;
	uint32_t fields[64];
	const struct rule *acc;	/* templates: the sample access */
};

/* A template's $operand i in listings: small, word-aligned values. */
#define L_ENV(i)	(0x100u * ((i) + 1))

static int64_t sval(const struct sample *s, const struct expr *e, int *ok);

static int64_t sval_bin(const struct sample *s, const struct expr *e, int *ok)
{
	int64_t a = sval(s, e->a, ok), b = sval(s, e->b, ok);

	switch (e->op) {
	case '|': return a | b;
	case '&': return a & b;
	case '^': return a ^ b;
	case '+': return a + b;
	case '-': return a - b;
	case '*': return a * b;
	case '/': return b ? a / b : 0;
	case '%': return b ? a % b : 0;
	case LSHIFT: return (uint32_t)a << (b & 31);
	case RSHIFT: return (uint32_t)a >> (b & 31);
	case EQ: return a == b;
	case NE: return a != b;
	case '<': return a < b;
	case '>': return a > b;
	case LE: return a <= b;
	case GE: return a >= b;
	case ANDAND: return a && b;
	case OROR: return a || b;
	}
	*ok = 0;
	return 0;
}

static int64_t slot_disp(const struct sample *s, int slot)
{
	int off = layout_slot_off(s->layout, slot);

	return (int16_t)(uint16_t)(s->magic + (uint32_t)off);
}

static int64_t sval(const struct sample *s, const struct expr *e, int *ok)
{
	switch (e->kind) {
	case E_NUM:
		return e->num;
	case E_NAME:
		switch (e->sym) {
		case SYM_FIELD: return s->fields[e->index];
		case SYM_CONST: return prog.consts[e->index].value;
		case SYM_TEMP: return e->index ? L_T1 : L_T0;
		case SYM_ZERO: return 0;
		case SYM_ALEN: return s->acc->len;
		case SYM_AFLAG: return s->acc->aflags >> e->index & 1;
		default: *ok = 0; return 0;
		}
	case E_SLOT:
		return slot_disp(s, e->index);
	case E_ENV:
		return e->op == ENV_HA ? (int16_t)((L_ENV(e->index) + 0x8000) >> 16) :
		       e->op == ENV_LO ? (int16_t)(L_ENV(e->index) & 0xffff) :
		       L_ENV(e->index);
	case E_SLOTF: {
		uint32_t v = s->fields[e->index];

		for (int g = 0; g < prog.nregs; g++)
			if (prog.regs[g].spr == (int)v && prog.regs[g].slot)
				return slot_disp(s, prog.regs[g].slot_index);
		*ok = 0;
		return 0;
	}
	case E_UNARY: {
		int64_t a = sval(s, e->a, ok);

		return e->op == '-' ? -a : e->op == '~' ? (int64_t)(int32_t)~(uint32_t)a : !a;
	}
	case E_BINARY:
		return sval_bin(s, e, ok);
	case E_COND:
		return sval(s, e->a, ok) ? sval(s, e->b, ok) : sval(s, e->c, ok);
	default:
		*ok = 0;
		return 0;
	}
}

/* Pick sample field values a word of this rule could have. */
static void pick_fields(struct sample *s)
{
	const struct rule *r = s->r;
	int next_gpr = 3;

	for (int i = 0; i < r->nfields; i++) {
		int fi = r->fields[i];
		const struct field *f = &prog.fields[fi];
		uint32_t v = f->is_gpr ? (uint32_t)next_gpr++ : 1;

		for (int c = 0; c < r->ncons; c++)
			if (r->cons[c].field == fi && !r->cons[c].negate)
				for (int x = 0; x < SETMAX; x++)
					if (vs_has(&r->cons[c].v, x)) {
						v = x;
						break;
					}
		if (v >= (1u << f->width))
			v = 0;
		s->fields[fi] = v;
	}
}

static void imm_text(char *b, size_t n, int64_t v)
{
	if (v < 0)
		snprintf(b, n, v < -9 ? "-0x%llx" : "-%lld",
			 (long long)(v < -9 ? -v : -v));
	else
		snprintf(b, n, v > 9 ? "0x%llx" : "%lld", (long long)v);
}

/* Render like capstone 4 does (aliases, hex above 9, absolute targets). */
static void render(char *out, size_t n, const struct isa *in, const int64_t *v,
		   uint32_t pc)
{
	char a[32], b[32], c[32];
	const char *m = in->mnem;

	switch (in->form) {
	case F_LOAD:
	case F_STORE:
		imm_text(a, sizeof(a), v[1]);
		if (v[2])
			snprintf(out, n, "%s r%lld, %s(r%lld)", m, (long long)v[0], a,
				 (long long)v[2]);
		else
			snprintf(out, n, "%s r%lld, %s(0)", m, (long long)v[0], a);
		return;
	case F_ADDI:
	case F_LI: {
		int lis = !strcmp(in->enc, "addis") || !strcmp(in->enc, "lis");
		int64_t ra = in->form == F_LI ? 0 : v[1];
		int64_t si = in->form == F_LI ? v[1] : v[2];

		if (lis)
			si &= 0xffff;
		imm_text(a, sizeof(a), si);
		if (!ra)
			snprintf(out, n, "%s r%lld, %s", lis ? "lis" : "li",
				 (long long)v[0], a);
		else
			snprintf(out, n, "%s r%lld, r%lld, %s", lis ? "addis" : "addi",
				 (long long)v[0], (long long)ra, a);
		return;
	}
	case F_LOGI:
		if (!strcmp(in->enc, "ori") && !v[0] && !v[1] && !v[2]) {
			snprintf(out, n, "nop");
			return;
		}
		imm_text(a, sizeof(a), v[2] & 0xffff);
		snprintf(out, n, "%s r%lld, r%lld, %s", m, (long long)v[0],
			 (long long)v[1], a);
		return;
	case F_ROT:
		imm_text(a, sizeof(a), v[2]);
		imm_text(b, sizeof(b), v[3]);
		imm_text(c, sizeof(c), v[4]);
		snprintf(out, n, "%s r%lld, r%lld, %s, %s, %s", m, (long long)v[0],
			 (long long)v[1], a, b, c);
		return;
	case F_XLOG:
	case F_XARITH:
	case F_MR:
		if (in->form == F_MR || (!strcmp(in->enc, "or") && v[1] == v[2]))
			snprintf(out, n, "mr r%lld, r%lld", (long long)v[0],
				 (long long)v[1]);
		else
			snprintf(out, n, "%s r%lld, r%lld, r%lld", m, (long long)v[0],
				 (long long)v[1], (long long)v[2]);
		return;
	case F_CMPI:
	case F_CMP:
		if (in->form == F_CMPI)
			imm_text(a, sizeof(a), !strcmp(in->enc, "cmplwi") ?
				 (v[2] & 0xffff) : v[2]);
		else
			snprintf(a, sizeof(a), "r%lld", (long long)v[2]);
		if (v[0])
			snprintf(out, n, "%s cr%lld, r%lld, %s", m, (long long)v[0],
				 (long long)v[1], a);
		else
			snprintf(out, n, "%s r%lld, %s", m, (long long)v[1], a);
		return;
	case F_B:
		snprintf(out, n, "b 0x%x", pc + (uint32_t)v[0]);
		return;
	case F_BC:
		if (v[0])
			snprintf(out, n, "%s cr%lld, 0x%x", m, (long long)v[0],
				 pc + (uint32_t)v[1]);
		else
			snprintf(out, n, "%s 0x%x", m, pc + (uint32_t)v[1]);
		return;
	case F_MFCR:
		snprintf(out, n, "mfcr r%lld", (long long)v[0]);
		return;
	case F_MTCRF:
		imm_text(a, sizeof(a), v[0]);
		snprintf(out, n, "mtcrf %s, r%lld", a, (long long)v[1]);
		return;
	case F_MTCR:
		snprintf(out, n, "mtcrf 0xff, r%lld", (long long)v[0]);
		return;
	case F_NOP:
		snprintf(out, n, "nop");
		return;
	}
}

/* capstone's text, normalised: one space after the mnemonic. */
static int capstone_text(csh h, uint32_t w, uint32_t pc, char *out, size_t n)
{
	uint8_t b[4] = { w >> 24, w >> 16, w >> 8, w };
	cs_insn *insn;
	size_t cnt = cs_disasm(h, b, 4, pc, 1, &insn);

	if (!cnt) {
		snprintf(out, n, "(not decoded)");
		return -1;
	}
	if (insn[0].op_str[0])
		snprintf(out, n, "%s %s", insn[0].mnemonic, insn[0].op_str);
	else
		snprintf(out, n, "%s", insn[0].mnemonic);
	cs_free(insn, cnt);
	return 0;
}

/*
 * A template's access word, and its text as capstone renders Power loads
 * and stores: with a signed field, "name rT, d(rA)"; else the fields in
 * picture order, "name rT, rA, rB", the second one 0 reading "0".
 */
static uint32_t access_word(const struct sample *s, const struct asm_line *a,
			    char *out, size_t n, int *ok)
{
	const struct rule *r = s->acc;
	uint32_t v[8], w = r->value;
	int sf = -1;
	size_t o;

	for (int k = 0; k < r->nfields; k++) {
		int fi = r->fields[k];

		v[k] = s->fields[fi];
		for (int b = 0; b < a->nops; b++)
			if (a->ops[b]->index == fi)
				v[k] = (uint32_t)sval(s, a->ops[b]->a, ok);
		w |= rulesc_field_place(&prog.fields[fi], v[k]);
		if (prog.fields[fi].is_signed)
			sf = k;
	}
	o = snprintf(out, n, "%s", r->name);
	if (sf >= 0 && r->nfields == 3) {
		char d[32];

		imm_text(d, sizeof(d), (int16_t)v[sf]);
		snprintf(out + o, n - o, " r%u, %s(%s%u)", v[0], d,
			 v[1] ? "r" : "", v[1]);
		return w;
	}
	for (int k = 0; k < r->nfields && o < n; k++)
		o += snprintf(out + o, n - o, "%s%s%u", k ? ", " : " ",
			      k == 1 && !v[k] ? "" : "r", v[k]);
	return w;
}

struct lstate {
	FILE *f;
	csh h;
	int check, words, bad;
};

/* One word: encode it with the sample, compare with capstone, print. */
static void list_word(struct lstate *ls, const struct sample *s,
		      const struct asm_line *a, uint32_t exit_ea)
{
	const struct isa *in = a->isa;
	int64_t v[8] = { 0 };
	int k = 0, ok = 1;
	uint32_t pc = L_PC + 4 * a->word, w;
	char mine[256], theirs[256];

	if (a->access) {
		w = access_word(s, a, mine, sizeof(mine), &ok);
	} else {
		if ((in->flags & I_CRFOPT) && a->crf_implicit)
			v[k++] = 0;
		for (int o = 0; o < a->nops; o++) {
			const struct expr *e = a->ops[o];

			if (in->ops[k] == K_MEM) {
				v[k++] = sval(s, e->a, &ok);
				v[k++] = sval(s, e->b, &ok);
			} else if (in->ops[k] == K_TARGET) {
				v[k++] = a->target == -3 ? (int64_t)(L_ENV(e->index) - pc) :
					a->target < 0 ? (int64_t)(exit_ea - pc) :
					4 * (a->target - a->word);
			} else {
				v[k++] = sval(s, e, &ok);
			}
		}
		w = isa_encode(in, v);
		/* isa_encode takes MEM as disp, base: reorder for render */
		render(mine, sizeof(mine), in, v, pc);
	}
	capstone_text(ls->h, w, pc, theirs, sizeof(theirs));
	ls->words++;
	int same = ok && !strcmp(mine, theirs);

	fprintf(ls->f, "  %08x: %08x  %-32s %s%s\n", pc, w, theirs,
		a->src ? a->src : a->mnem, same ? "" : "   <-- MISMATCH");
	if (!same) {
		ls->bad++;
		if (ls->check)
			fprintf(stderr, "%s:%d: error: capstone reads '%s', the "
				"%s says '%s'\n", a->loc.file, a->loc.line, theirs,
				s->acc ? "template" : "rule", mine);
	}
}

/* The words a template emits for one sample access; returns a digest of
 * the alternatives taken, or -1 if 'when' excludes the access. */
static int list_template(struct lstate *ls, struct sample *s, int print)
{
	const struct rule *t = s->r;
	uint32_t taken = 1;
	int ok = 1, alt = 0;

	if (t->when && !sval(s, t->when, &ok))
		return -1;
	for (int i = 0, done = 0; i < t->nemit; i++) {
		const struct asm_line *a = &t->emit[i];

		if (!a->mnem)
			continue;
		if (a->alt <= 1)
			done = 0, alt = 0;
		if (done)
			continue;
		if (a->alt && a->alt < 3 && !sval(s, a->guard, &ok)) {
			alt++;
			continue;
		}
		done = 1;
		if (a->alt)
			taken = taken * 31 + alt + 1;
		if (print)
			list_word(ls, s, a, 0);
	}
	return (int)(taken & 0x7fffffff);
}

/* Sample fields of an access: GPRs r3, r4, ... (or the k-th one 0), a
 * displacement of 8. */
static void access_fields(struct sample *s, const struct rule *r, int zero)
{
	int g = 3, n5 = 0;

	for (int k = 0; k < r->nfields; k++) {
		const struct field *f = &prog.fields[r->fields[k]];

		s->fields[r->fields[k]] = f->width == 5 ?
			(n5++ == zero ? 0 : (uint32_t)g++) : 8;
	}
}

/* Each template, for the first sample access of every new combination of
 * its alternatives (a D-form, an X-form, one with rA 0, ...). */
static void list_templates(struct lstate *ls, uint32_t magic, int layout)
{
	for (int i = 0; i < prog.ntemplates; i++) {
		const struct rule *t = &prog.templates[i];
		int seen[64], nseen = 0;

		for (int a = 0; a < prog.naccesses; a++)
			for (int z = -1; z < 3; z++) {
				struct sample s = { t, magic, layout, { 0 },
						    &prog.accesses[a] };
				int sig, j;

				access_fields(&s, s.acc, z);
				sig = list_template(ls, &s, 0);
				for (j = 0; j < nseen && seen[j] != sig; j++)
					;
				if (sig < 0 || j < nseen || nseen == 64)
					continue;
				seen[nseen++] = sig;
				fprintf(ls->f, "\n%s:%d: template %s (%s",
					t->loc.file, t->loc.line, t->name,
					s.acc->name);
				for (int k = 0; k < s.acc->nfields; k++)
					fprintf(ls->f, ", %s=%d",
						prog.fields[s.acc->fields[k]].name,
						(int)s.fields[s.acc->fields[k]]);
				for (int k = 0; k < t->nenvs; k++)
					fprintf(ls->f, ", $%s=0x%x", t->envs[k],
						L_ENV(k));
				fprintf(ls->f, ")\n");
				list_template(ls, &s, 1);
			}
	}
}

int listing(FILE *f, int check)
{
	struct lstate ls = { f, 0, check, 0, 0 };

	if (cs_open(CS_ARCH_PPC, CS_MODE_32 | CS_MODE_BIG_ENDIAN, &ls.h) !=
	    CS_ERR_OK) {
		fputs("rulesc: cannot open capstone\n", stderr);
		return -1;
	}
	uint32_t magic = prog.nprofiles ? prog.profiles[0].magic : 0xfffff000u;
	int layout = prog.nprofiles ? prog.profiles[0].layout_index : 0;

	fprintf(f, "# rulesc listing: magic page 0x%08x (%s), temps t0=r%d "
		"t1=r%d, body at 0x%08x, exit path right after the body\n",
		magic, prog.layouts[layout].name, L_T0, L_T1, L_PC);
	for (int i = 0; i < prog.nrules; i++) {
		const struct rule *r = &prog.rules[i];
		struct sample s = { r, magic, layout, { 0 }, NULL };

		if (r->shape == SH_TRAP)
			continue;
		pick_fields(&s);
		fprintf(f, "\n%s:%d: %s (%s", r->loc.file, r->loc.line, r->name,
			r->shape == SH_INPLACE ? "inplace" :
			r->shape == SH_BRANCH ? "branch" : "cluster");
		for (int k = 0; k < r->nfields; k++)
			fprintf(f, ", %s=%u", prog.fields[r->fields[k]].name,
				s.fields[r->fields[k]]);
		fprintf(f, ")\n");
		for (int l = 0; l < r->nemit; l++)
			if (r->emit[l].mnem)
				list_word(&ls, &s, &r->emit[l],
					  L_PC + 4 * r->nwords);
	}
	list_templates(&ls, magic, layout);
	cs_close(&ls.h);
	fprintf(f, "\n# %d words, %d mismatches\n", ls.words, ls.bad);
	return check && ls.bad ? -1 : 0;
}
