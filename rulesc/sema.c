// SPDX-License-Identifier: GPL-2.0
/*
 * rulesc semantic checks: names, bit pictures, constraint sets, emit blocks
 * (privilege, operands, labels, the one-commit rule that makes stubs
 * recoverable), effects, overlaps between rules, profiles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ast.h"
#include "isa.h"
#include "parser.h"

struct program prog;
char **slot_names;
int nslot_names;

const char *const specials[] = { "pc", "cr", "lr", "ctr", "xer", NULL };
const char *const aflag_names[NAFLAGS] = {
	"store", "update", "algebraic", "reversed", "indexed",
};

int find_field(const char *name)
{
	for (int i = 0; i < prog.nfields; i++)
		if (!strcmp(prog.fields[i].name, name))
			return i;
	return -1;
}

int find_set(const char *name)
{
	for (int i = 0; i < prog.nsets; i++)
		if (!strcmp(prog.sets[i].name, name))
			return i;
	return -1;
}

int find_reg(const char *name)
{
	for (int i = 0; i < prog.nregs; i++)
		if (!strcmp(prog.regs[i].name, name))
			return i;
	return -1;
}

int find_const(const char *name)
{
	for (int i = 0; i < prog.nconsts; i++)
		if (!strcmp(prog.consts[i].name, name))
			return i;
	return -1;
}

int find_rule(const char *name)
{
	for (int i = 0; i < prog.nrules; i++)
		if (!strcmp(prog.rules[i].name, name))
			return i;
	return -1;
}

static int find_aflag(const char *name)
{
	for (int i = 0; i < NAFLAGS; i++)
		if (!strcmp(aflag_names[i], name))
			return i;
	return -1;
}

static int find_env(const struct rule *t, const char *name)
{
	for (int i = 0; i < t->nenvs; i++)
		if (!strcmp(t->envs[i], name))
			return i;
	return -1;
}

static int find_special(const char *name)
{
	for (int i = 0; specials[i]; i++)
		if (!strcmp(specials[i], name))
			return i;
	return -1;
}

int slot_index(const char *name)
{
	for (int i = 0; i < nslot_names; i++)
		if (!strcmp(slot_names[i], name))
			return i;
	return -1;
}

int layout_slot_off(int layout, int slot)
{
	const struct layout *l = &prog.layouts[layout];

	for (int i = 0; i < l->nslots; i++)
		if (!strcmp(l->slots[i].name, slot_names[slot]))
			return l->slots[i].off + (l->slots[i].u64 ? 4 : 0);
	return -1;
}

/* Does profile pr translate rule r (not trap-shaped, not disabled)? */
int profile_rule_on(const struct profile *pr, int r)
{
	if (prog.rules[r].shape == SH_TRAP)
		return 0;
	for (int d = 0; d < pr->ndisable; d++)
		if (!strcmp(pr->disable[d], prog.rules[r].name))
			return 0;
	return 1;
}

int rule_has_field(const struct rule *r, int fi)
{
	for (int i = 0; i < r->nfields; i++)
		if (r->fields[i] == fi)
			return 1;
	return 0;
}

/* A set element by name: a register's SPR number or a constant. */
int set_elem_value(const char *name, struct loc l)
{
	int i = find_reg(name);

	if (i >= 0) {
		if (prog.regs[i].spr < 0) {
			diag_error(l, "register '%s' has no SPR number", name);
			return 0;
		}
		return prog.regs[i].spr;
	}
	i = find_const(name);
	if (i >= 0 && prog.consts[i].value >= 0 && prog.consts[i].value < SETMAX)
		return (int)prog.consts[i].value;
	diag_error(l, "'%s' is neither a register with an SPR number, a "
		   "constant 0..%d nor a set", name, SETMAX - 1);
	return 0;
}

static int eval(struct expr *e, int64_t *v)
{
	int64_t a = 0, b = 0;

	switch (e->kind) {
	case E_NUM:
		*v = e->num;
		return 0;
	case E_NAME: {
		int c = find_const(e->name);

		if (c < 0) {
			diag_error(e->loc, "'%s' is not a constant", e->name);
			return -1;
		}
		*v = prog.consts[c].value;
		return 0;
	}
	case E_UNARY:
		if (eval(e->a, &a))
			return -1;
		*v = e->op == '-' ? -a : e->op == '~' ? (int64_t)(~(uint32_t)a) : !a;
		return 0;
	case E_BINARY:
		if (eval(e->a, &a) || eval(e->b, &b))
			return -1;
		switch (e->op) {
		case '|': *v = a | b; break;
		case '&': *v = a & b; break;
		case '^': *v = a ^ b; break;
		case '+': *v = a + b; break;
		case '-': *v = a - b; break;
		case '*': *v = a * b; break;
		case LSHIFT: *v = (int64_t)((uint32_t)a << (b & 31)); break;
		case RSHIFT: *v = (int64_t)((uint32_t)a >> (b & 31)); break;
		case '/': case '%':
			if (!b) {
				diag_error(e->loc, "division by zero");
				return -1;
			}
			*v = e->op == '/' ? a / b : a % b;
			break;
		default:
			diag_error(e->loc, "operator not allowed in a constant");
			return -1;
		}
		return 0;
	default:
		diag_error(e->loc, "not a constant expression");
		return -1;
	}
}

int eval_const(struct expr *e, int64_t *v)
{
	return eval(e, v);
}

/* ---- layouts and registers ---- */

static void check_layouts(void)
{
	for (int i = 0; i < prog.nlayouts; i++) {
		struct layout *l = &prog.layouts[i];

		for (int j = 0; j < i; j++)
			if (!strcmp(prog.layouts[j].name, l->name))
				diag_error(l->loc, "layout '%s' declared twice",
					   l->name);
		for (int s = 0; s < l->nslots; s++) {
			struct slot *a = &l->slots[s];
			int asz = a->u64 ? 8 : 4;

			for (int t = 0; t < s; t++) {
				struct slot *b = &l->slots[t];
				int bsz = b->u64 ? 8 : 4;

				if (!strcmp(a->name, b->name))
					diag_error(a->loc, "slot '%s' declared twice",
						   a->name);
				else if (a->off < b->off + bsz &&
					 b->off < a->off + asz)
					diag_error(a->loc, "slot '%s' overlaps "
						   "slot '%s'", a->name, b->name);
			}
			if (a->u64 && (a->off & 7))
				diag_error(a->loc, "u64 slot '%s' is not 8-byte "
					   "aligned", a->name);
			if (slot_index(a->name) < 0)
				PUSH(slot_names, nslot_names, a->name);
		}
	}
	if (!prog.nlayouts)
		diag_error((struct loc){ NULL, 0, 0 }, "no layout declared");
}

/* Every layout must hold every slot the rules name. */
static void need_slot(const char *name, struct loc l)
{
	int si = slot_index(name);

	if (si < 0) {
		diag_error(l, "slot '%s' is not in any layout", name);
		return;
	}
	for (int i = 0; i < prog.nlayouts; i++)
		if (layout_slot_off(i, si) < 0)
			diag_error(l, "slot '%s' is not in layout '%s'", name,
				   prog.layouts[i].name);
}

static void check_regs(void)
{
	for (int i = 0; i < prog.nregs; i++) {
		struct reg *r = &prog.regs[i];

		for (int j = 0; j < i; j++) {
			if (!strcmp(prog.regs[j].name, r->name))
				diag_error(r->loc, "register '%s' declared twice",
					   r->name);
			else if (r->spr >= 0 && prog.regs[j].spr == r->spr)
				diag_error(r->loc, "SPR %d is already '%s'", r->spr,
					   prog.regs[j].name);
		}
		if (find_field(r->name) >= 0 || find_const(r->name) >= 0 ||
		    find_special(r->name) >= 0)
			diag_error(r->loc, "register name '%s' clashes with a "
				   "field, constant or special register", r->name);
		if (r->slot) {
			need_slot(r->slot, r->loc);
			r->slot_index = slot_index(r->slot);
		}
	}
	for (int i = 0; i < prog.nconsts; i++)
		for (int j = 0; j < i; j++)
			if (!strcmp(prog.consts[j].name, prog.consts[i].name))
				diag_error(prog.consts[i].loc, "constant '%s' "
					   "declared twice", prog.consts[i].name);
}

/* ---- effects ---- */

static void effect_expr(struct rule *r, struct expr *e, int lvalue);

static void effect_name(struct rule *r, struct expr *e, int lvalue)
{
	int i = find_field(e->name);

	if (i >= 0 && rule_has_field(r, i)) {
		if (lvalue)
			diag_error(e->loc, "cannot assign to field '%s'", e->name);
		e->sym = SYM_FIELD;
		e->index = i;
		return;
	}
	if ((i = find_reg(e->name)) >= 0) {
		e->sym = SYM_REG;
		e->index = i;
		return;
	}
	if ((i = find_special(e->name)) >= 0) {
		e->sym = SYM_SPECIAL;
		e->index = i;
		return;
	}
	if ((i = find_const(e->name)) >= 0) {
		if (lvalue)
			diag_error(e->loc, "cannot assign to constant '%s'",
				   e->name);
		e->sym = SYM_CONST;
		e->index = i;
		return;
	}
	if (find_field(e->name) >= 0)
		diag_error(e->loc, "field '%s' is not in the pattern of rule '%s'",
			   e->name, r->name);
	else
		diag_error(e->loc, "unknown name '%s' (not a field, register, "
			   "constant, pc, cr, lr, ctr or xer)", e->name);
}

/* helpers named in call(...) must agree on their argument count */
static char **helper_names;
static int *helper_nargs;
static int nhelpers;

static void effect_call(struct rule *r, struct expr *e)
{
	int i;

	for (i = 0; i < nhelpers; i++)
		if (!strcmp(helper_names[i], e->name))
			break;
	if (i == nhelpers) {
		int n = nhelpers;

		PUSH(helper_names, nhelpers, e->name);
		PUSH(helper_nargs, n, e->nargs);
	} else if (helper_nargs[i] != e->nargs) {
		diag_error(e->loc, "helper '%s' called with %d arguments, "
			   "elsewhere with %d", e->name, e->nargs,
			   helper_nargs[i]);
	}
	for (int a = 0; a < e->nargs; a++)
		effect_expr(r, e->args[a], 0);
}

int helper_count(void)
{
	return nhelpers;
}

const char *helper_name(int i, int *nargs)
{
	*nargs = helper_nargs[i];
	return helper_names[i];
}

static void effect_expr(struct rule *r, struct expr *e, int lvalue)
{
	switch (e->kind) {
	case E_NUM:
		if (lvalue)
			diag_error(e->loc, "cannot assign to a number");
		break;
	case E_NAME:
		effect_name(r, e, lvalue);
		break;
	case E_SLOT:
		need_slot(e->name, e->loc);
		e->sym = SYM_SLOT;
		e->index = slot_index(e->name);
		break;
	case E_SLOTF:
		diag_error(e->loc, "@(field) is for emit blocks; use spr[%s] "
			   "in effects", e->name);
		break;
	case E_INDEX:
		if (strcmp(e->name, "gpr") && strcmp(e->name, "spr"))
			diag_error(e->loc, "only gpr[...] and spr[...] can be "
				   "indexed, not '%s'", e->name);
		effect_expr(r, e->a, 0);
		/* gpr[field]: the field names a register (for temps' choice) */
		if (!strcmp(e->name, "gpr") && e->a->kind == E_NAME &&
		    e->a->sym == SYM_FIELD && prog.fields[e->a->index].width == 5)
			prog.fields[e->a->index].is_gpr = true;
		break;
	case E_UNARY:
	case E_BINARY:
	case E_COND:
		if (lvalue)
			diag_error(e->loc, "not assignable");
		effect_expr(r, e->a, 0);
		if (e->b)
			effect_expr(r, e->b, 0);
		if (e->c)
			effect_expr(r, e->c, 0);
		break;
	case E_CALL:
		if (lvalue)
			diag_error(e->loc, "cannot assign to a call");
		effect_call(r, e);
		break;
	case E_MEM:
	case E_BIND:
		diag_error(e->loc, "d(base) and FIELD = VALUE operands belong in "
			   "emit blocks");
		break;
	case E_ENV:
		diag_error(e->loc, "'$%s': environment operands belong to "
			   "templates", e->name);
		break;
	}
}

static void effect_stmt(struct rule *r, struct stmt *s)
{
	if (!s)
		return;
	switch (s->kind) {
	case S_ASSIGN:
		effect_expr(r, s->lhs, 1);
		effect_expr(r, s->rhs, 0);
		break;
	case S_IF:
		effect_expr(r, s->rhs, 0);
		effect_stmt(r, s->then);
		effect_stmt(r, s->els);
		break;
	case S_BLOCK:
		for (int i = 0; i < s->nbody; i++)
			effect_stmt(r, s->body[i]);
		break;
	case S_CALL:
		effect_call(r, s->call);
		break;
	}
}

/* ---- emit ---- */

/* Does e depend only on constants and numbers? */
static int is_const_expr(const struct expr *e)
{
	switch (e->kind) {
	case E_NUM:
		return 1;
	case E_NAME:
		return e->sym == SYM_CONST;
	case E_UNARY:
		return is_const_expr(e->a);
	case E_BINARY:
		return is_const_expr(e->a) && is_const_expr(e->b);
	case E_COND:
		return is_const_expr(e->a) && is_const_expr(e->b) &&
		       is_const_expr(e->c);
	default:
		return 0;
	}
}

/* $name in a template: one of its declared operands. */
static void emit_env(struct rule *r, struct expr *e)
{
	char list[256];
	size_t o = 0;

	if (r->kind != RK_TEMPLATE) {
		diag_error(e->loc, "'$%s': environment operands belong to "
			   "templates", e->name);
		return;
	}
	e->index = find_env(r, e->name);
	if (e->index >= 0) {
		e->sym = SYM_ENV;
		return;
	}
	list[0] = 0;
	for (int i = 0; i < r->nenvs && o < sizeof(list) - 40; i++)
		o += snprintf(list + o, sizeof(list) - o, "%s$%s",
			      i ? ", " : "", r->envs[i]);
	diag_error(e->loc, "unknown environment operand '$%s' (template '%s' "
		   "declares %s)", e->name, r->name, r->nenvs ? list : "none");
}

/* Resolve an immediate: numbers, constants, this rule's fields, @slot,
 * @(field); in templates also len, the access flags and $operands. */
static void emit_imm(struct rule *r, struct expr *e)
{
	switch (e->kind) {
	case E_NUM:
		return;
	case E_NAME: {
		int i = find_field(e->name);

		if (i >= 0 && rule_has_field(r, i)) {
			e->sym = SYM_FIELD;
			e->index = i;
		} else if (r->kind == RK_TEMPLATE && !strcmp(e->name, "len")) {
			e->sym = SYM_ALEN;
		} else if (r->kind == RK_TEMPLATE &&
			   (i = find_aflag(e->name)) >= 0) {
			e->sym = SYM_AFLAG;
			e->index = i;
		} else if ((i = find_const(e->name)) >= 0) {
			e->sym = SYM_CONST;
			e->index = i;
		} else if (find_reg(e->name) >= 0) {
			diag_error(e->loc, "register '%s' in an emit operand: a "
				   "stub reaches it through its slot, @slot",
				   e->name);
		} else {
			diag_error(e->loc, "unknown name '%s' in an immediate",
				   e->name);
		}
		return;
	}
	case E_SLOT:
		need_slot(e->name, e->loc);
		e->sym = SYM_SLOT;
		e->index = slot_index(e->name);
		if (!strncmp(e->name, "scratch", 7) && r->kind != RK_TEMPLATE)
			diag_error(e->loc, "scratch slots belong to the stub "
				   "composer (it saves temps there)");
		return;
	case E_ENV:
		emit_env(r, e);
		return;
	case E_SLOTF: {
		int i = find_field(e->name);

		if (i < 0 || !rule_has_field(r, i)) {
			diag_error(e->loc, "@(%s): '%s' is not a field of this "
				   "rule", e->name, e->name);
			return;
		}
		e->sym = SYM_FIELD;
		e->index = i;
		/* every value the rule accepts must have a slot */
		for (int c = 0; c < r->ncons; c++) {
			const struct constraint *k = &r->cons[c];

			if (k->field != i || k->negate)
				continue;
			for (int v = 0; v < SETMAX; v++) {
				int g;

				if (!vs_has(&k->v, v))
					continue;
				for (g = 0; g < prog.nregs; g++)
					if (prog.regs[g].spr == v)
						break;
				if (g == prog.nregs || !prog.regs[g].slot)
					diag_error(e->loc, "@(%s): value %d has no "
						   "slot in the layout", e->name, v);
			}
			return;
		}
		diag_error(e->loc, "@(%s) needs 'where %s in {...}' so that every "
			   "value has a slot", e->name, e->name);
		return;
	}
	case E_UNARY:
		emit_imm(r, e->a);
		return;
	case E_BINARY:
		emit_imm(r, e->a);
		emit_imm(r, e->b);
		return;
	case E_COND:
		emit_imm(r, e->a);
		emit_imm(r, e->b);
		emit_imm(r, e->c);
		return;
	default:
		diag_error(e->loc, "not allowed as an immediate");
	}
}

/* A register operand: a GPR field of the rule, t0/t1, or literal 0 where
 * the ISA reads it as zero. */
static void emit_gpr(struct rule *r, struct expr *e, int zero_ok)
{
	if (e->kind == E_NUM && e->num == 0 && zero_ok) {
		e->sym = SYM_ZERO;
		return;
	}
	if (e->kind != E_NAME) {
		diag_error(e->loc, "expected a register: a field such as rD, "
			   "or t0/t1%s", zero_ok ? ", or 0" : "");
		return;
	}
	if (!strcmp(e->name, "t0") || !strcmp(e->name, "t1")) {
		e->sym = SYM_TEMP;
		e->index = e->name[1] - '0';
		return;
	}
	int i = find_field(e->name);

	if (i >= 0 && rule_has_field(r, i)) {
		if (prog.fields[i].width != 5)
			diag_error(e->loc, "field '%s' is %d bits wide; a register "
				   "field is 5", e->name, prog.fields[i].width);
		prog.fields[i].is_gpr = true;
		e->sym = SYM_FIELD;
		e->index = i;
		return;
	}
	if (e->name[0] == 'r' && e->name[1] >= '0' && e->name[1] <= '9')
		diag_error(e->loc, "literal register '%s' would clobber guest "
			   "state: use a field or a temp (t0, t1)", e->name);
	else
		diag_error(e->loc, "unknown register '%s'", e->name);
}

static int find_label(struct rule *r, const char *name)
{
	for (int i = 0; i < r->nemit; i++)
		if (r->emit[i].label && !strcmp(r->emit[i].label, name))
			return i;
	return -1;
}

/* A template's access word: the decoded access, some fields replaced. */
static void access_line(struct rule *r, struct asm_line *a)
{
	if (r->kind != RK_TEMPLATE) {
		diag_error(a->loc, "'access' (the decoded access, re-encoded) "
			   "belongs in templates");
		return;
	}
	a->access = true;
	for (int o = 0; o < a->nops; o++) {
		struct expr *e = a->ops[o];
		int fi = e->kind == E_BIND ? find_field(e->name) : -1;
		const struct field *f;

		if (e->kind != E_BIND) {
			diag_error(e->loc, "'access' takes FIELD = VALUE operands");
			continue;
		}
		if (fi < 0 || !rule_has_field(r, fi)) {
			diag_error(e->loc, "'%s' is not a field of the access "
				   "patterns", e->name);
			continue;
		}
		for (int p = 0; p < o; p++)
			if (a->ops[p]->sym == SYM_FIELD && a->ops[p]->index == fi)
				diag_error(e->loc, "field '%s' bound twice",
					   e->name);
		e->sym = SYM_FIELD;
		e->index = fi;
		f = &prog.fields[fi];
		if (f->width == 5) {
			emit_gpr(r, e->a, 1);
			continue;
		}
		emit_imm(r, e->a);
		if (is_const_expr(e->a)) {
			int64_t v, lo = f->is_signed ? -(1ll << (f->width - 1)) : 0;
			int64_t hi = (f->is_signed ? 1ll << (f->width - 1) :
				      1ll << f->width) - 1;

			if (!eval(e->a, &v) && (v < lo || v > hi))
				diag_error(e->a->loc, "value %lld does not fit "
					   "field '%s' (%lld..%lld)", (long long)v,
					   e->name, (long long)lo, (long long)hi);
		}
	}
}

static void emit_line(struct rule *r, struct asm_line *a)
{
	const struct isa *in;
	const char *why;
	int first = 0;

	if (!strcmp(a->mnem, "access")) {
		access_line(r, a);
		return;
	}
	in = isa_lookup(a->mnem);
	if (!in) {
		if ((why = isa_forbidden(a->mnem)))
			diag_error(a->loc, "'%s' cannot appear in an emit "
				   "block: %s", a->mnem, why);
		else
			diag_error(a->loc, "unknown mnemonic '%s'", a->mnem);
		return;
	}
	a->isa = in;
	if ((in->flags & I_CRFOPT) && a->nops == in->nops - 1) {
		a->crf_implicit = 1;
		first = 1;
	} else if (a->nops != in->nops) {
		diag_error(a->loc, "'%s' takes %d operands, %d given", a->mnem,
			   in->nops, a->nops);
		return;
	}
	for (int i = first; i < in->nops; i++) {
		struct expr *e = a->ops[i - first];
		int zero_ok = in->form == F_ADDI && i == 1;

		switch (in->ops[i]) {
		case K_GPR:
			emit_gpr(r, e, zero_ok);
			break;
		case K_MEM:
			if (e->kind != E_MEM) {
				diag_error(e->loc, "expected d(base), e.g. @msr(0)");
				break;
			}
			emit_imm(r, e->a);
			emit_gpr(r, e->b, 1);
			break;
		case K_TARGET:
			if (e->kind == E_ENV && r->kind == RK_TEMPLATE) {
				emit_env(r, e);
				if (e->op != ENV_ALL)
					diag_error(e->loc, "a branch target is a "
						   "whole address, not @ha/@l");
				break;
			}
			if (e->kind != E_NAME) {
				diag_error(e->loc, "expected a label or 'exit'");
				break;
			}
			if (!strcmp(e->name, "exit") && r->kind == RK_TEMPLATE) {
				diag_error(e->loc, "a template has no exit path: "
					   "branch to a label or to an address "
					   "operand ($name)");
				break;
			}
			if (!strcmp(e->name, "exit")) {
				e->sym = SYM_EXIT;
				r->has_exit = true;
				break;
			}
			e->sym = SYM_LABEL;
			e->index = find_label(r, e->name);
			if (e->index < 0)
				diag_error(e->loc, "label '%s' is not defined in "
					   "this emit block", e->name);
			break;
		default:
			if (in->ops[i] == K_CRF && e->kind == E_NAME &&
			    !strncmp(e->name, "cr", 2) && e->name[2] >= '0' &&
			    e->name[2] <= '7' && !e->name[3]) {
				e->kind = E_NUM;	/* cr0..cr7 */
				e->num = e->name[2] - '0';
			}
			emit_imm(r, e);
			if (is_const_expr(e)) {
				int64_t v;
				int64_t lo = 0, hi = 0;

				if (eval(e, &v))
					break;
				switch (in->ops[i]) {
				case K_SIMM: lo = -32768; hi = 32767; break;
				case K_UIMM: lo = 0; hi = 65535; break;
				case K_U5: lo = 0; hi = 31; break;
				case K_CRF: lo = 0; hi = 7; break;
				case K_CRM: lo = 0; hi = 255; break;
				default: break;
				}
				if (v < lo || v > hi)
					diag_error(e->loc, "operand value %lld is out "
						   "of range %lld..%lld",
						   (long long)v, (long long)lo,
						   (long long)hi);
			}
		}
	}
}

/* The scratch slot (0..2) a d(0) operand names, or -1. */
static int scratch_of(const struct expr *e)
{
	if (!e || e->kind != E_MEM || e->a->kind != E_SLOT ||
	    e->b->sym != SYM_ZERO || strncmp(e->a->name, "scratch", 7) ||
	    e->a->name[7] < '1' || e->a->name[7] > '3' || e->a->name[8])
		return -1;
	return e->a->name[7] - '1';
}

/* Is line a a commit: a store, or a write to a guest GPR (a field)? A
 * template's access word is one; its saves to scratch slots are not. */
static int is_commit(const struct rule *r, const struct asm_line *a)
{
	if (a->access)
		return 1;
	if (!a->isa)
		return 0;
	if (a->isa->flags & I_STORE)
		return r->kind != RK_TEMPLATE || scratch_of(a->ops[1]) < 0;
	if ((a->isa->flags & I_DEST0) && a->nops > 0 &&
	    a->ops[0]->sym == SYM_FIELD)
		return 1;
	return 0;
}

/* The words that can run after word a of a body (a branch to exit or
 * out of the stub has none in it). */
static int word_succ(const struct asm_line *a, int succ[2])
{
	int ns = 0;

	if (a->isa && (a->isa->flags & I_BRANCH)) {
		if (a->target >= 0)
			succ[ns++] = a->target;
		if (a->isa->flags & I_COND)
			succ[ns++] = a->word + 1;
	} else {
		succ[ns++] = a->word + 1;
	}
	return ns;
}

static void emit_block(struct rule *r)
{
	int nw = 0, maxtemp = -1;
	int *word_line;

	/* number the words, bind labels to the next word */
	for (int i = 0; i < r->nemit; i++) {
		struct asm_line *a = &r->emit[i];

		for (int j = 0; j < i; j++)
			if (a->label && r->emit[j].label &&
			    !strcmp(a->label, r->emit[j].label))
				diag_error(a->loc, "label '%s' defined twice",
					   a->label);
		if (a->label && !strcmp(a->label, "exit"))
			diag_error(a->loc, "'exit' is reserved: it names the "
				   "path that runs the original instruction");
		if (a->alt && r->kind != RK_TEMPLATE)
			diag_error(a->loc, "conditional words (if/else) belong "
				   "in templates");
		if (a->alt >= 2 && (!i || r->emit[i - 1].alt < 1 ||
				    r->emit[i - 1].alt > 2)) {
			diag_error(a->loc, "'else' without an 'if' word before "
				   "it");
			a->alt = 0;
		}
		if ((a->alt == 1 || a->alt == 2) &&
		    (i + 1 == r->nemit || r->emit[i + 1].alt < 2))
			diag_error(a->loc, "conditional word without a final "
				   "'else': every path must emit one word, so "
				   "that offsets are known");
		a->word = !a->mnem ? -1 : a->alt >= 2 ? nw - 1 : nw++;
	}
	r->nwords = nw;
	if (nw > 64) {
		diag_error(r->emit_loc, "emit block of '%s' has %d words (at "
			   "most 64)", r->name, nw);
		return;
	}
	word_line = xcalloc(nw + 1, sizeof(int));
	for (int i = 0; i < r->nemit; i++) {
		struct asm_line *a = &r->emit[i];

		if (!a->mnem)
			continue;
		if (a->alt <= 1)
			word_line[a->word] = i;
		emit_line(r, a);
		if (a->guard)
			emit_imm(r, a->guard);
		if (!a->isa && !a->access)
			continue;
		if (a->isa && (a->isa->flags & I_CRW))
			r->uses_cr = true;
		if (a->alt && a->isa && (a->isa->flags & I_BRANCH))
			diag_error(a->loc, "a conditional word cannot branch");
		if (a->alt >= 2 && is_commit(r, a) !=
		    is_commit(r, &r->emit[word_line[a->word]]))
			diag_error(a->loc, "the alternatives of one word must "
				   "agree on whether they commit");
		for (int o = 0; o < a->nops; o++) {
			struct expr *e = a->ops[o];

			if (e->kind == E_MEM || e->kind == E_BIND)
				e = e->kind == E_MEM ? e->b : e->a;
			if (e->sym == SYM_TEMP && e->index > maxtemp)
				maxtemp = e->index;
		}
	}
	/* resolve branch targets to word indexes: a label names the next
	 * instruction after it (or the end of the block) */
	for (int i = 0; i < r->nemit; i++) {
		struct asm_line *a = &r->emit[i];
		struct expr *t;

		if (!a->isa || !(a->isa->flags & I_BRANCH))
			continue;
		if (!a->nops) {
			/* already reported (operand count): no edge */
			a->target = -2;
			continue;
		}
		t = a->ops[a->nops - 1];
		if (t->sym == SYM_EXIT || t->sym == SYM_ENV) {
			a->target = t->sym == SYM_EXIT ? -1 : -3;
			continue;
		}
		if (t->sym != SYM_LABEL || t->index < 0) {
			/* already reported: no edge, so no follow-on errors
			 * from the commit analysis */
			a->target = -2;
			continue;
		}
		int w = nw;

		for (int j = t->index; j < r->nemit; j++)
			if (r->emit[j].mnem) {
				w = r->emit[j].word;
				break;
			}
		if (w <= a->word) {
			diag_error(t->loc, "branch to '%s' goes backwards: stub "
				   "bodies are straight-line code with forward "
				   "branches only", t->name);
			a->target = -2;	/* reported: no edge (see above) */
		} else {
			a->target = w;
		}
	}
	r->ntemps = maxtemp + 1;
	if (r->uses_cr && r->ntemps < 1)
		r->ntemps = 1;	/* the composer saves CR through t0 */

	/*
	 * One commit per path: every word must be reached either always
	 * before or always after the commit, so an interrupt at that word
	 * resumes at the site (before) or after it (after).
	 */
	int state[65];

	for (int w = 0; w <= nw; w++)
		state[w] = -1;
	state[0] = 0;
	r->commit_word = -1;
	for (int w = 0; w < nw; w++) {
		struct asm_line *a = &r->emit[word_line[w]];
		int in = state[w], out;

		if (in < 0) {
			diag_error(a->loc, "instruction can never execute");
			in = 0;
		}
		r->committed[w] = (uint8_t)in;
		out = in;
		if (is_commit(r, a)) {
			if (in)
				diag_error(a->loc, "second commit on a path "
					   "through '%s': a stub body may change "
					   "guest-visible state once", r->name);
			if (r->commit_word < 0)
				r->commit_word = w;
			out = 1;
		}
		int succ[2], ns = word_succ(a, succ);

		for (int s = 0; s < ns; s++) {
			int t = succ[s];

			if (t < 0 || t > nw)
				continue;
			if (state[t] >= 0 && state[t] != out) {
				struct loc l = t < nw ?
					r->emit[word_line[t]].loc : a->loc;
				diag_error(l, "this point of '%s' is reached both "
					   "before and after the commit; recovery "
					   "could not tell where to resume",
					   r->name);
			}
			state[t] = out;
		}
	}
	free(word_line);
}

static void check_rule_shape(struct rule *r)
{
	if (!r->has_shape) {
		diag_error(r->loc, "rule '%s' has no shape (trap, inplace, "
			   "branch or cluster)", r->name);
		return;
	}
	if (!r->effect)
		diag_error(r->loc, "rule '%s' has no effect: every rule gives "
			   "its reference semantics", r->name);
	if (r->shape == SH_TRAP) {
		if (r->nemit)
			diag_error(r->emit_loc, "trap rule '%s' cannot have an "
				   "emit block", r->name);
		return;
	}
	if (!r->nemit) {
		diag_error(r->loc, "rule '%s' (shape %s) needs an emit block",
			   r->name, r->shape == SH_INPLACE ? "inplace" :
			   r->shape == SH_BRANCH ? "branch" : "cluster");
		return;
	}
	emit_block(r);
	if (r->shape == SH_INPLACE) {
		if (r->nwords != 1)
			diag_error(r->emit_loc, "inplace rule '%s' must emit "
				   "exactly one word, not %d", r->name, r->nwords);
		else if (r->ntemps || r->uses_cr || r->has_exit)
			diag_error(r->emit_loc, "inplace rule '%s' cannot use "
				   "temps, CR or exit: the word replaces the "
				   "instruction itself", r->name);
		else if (r->emit[0].isa && (r->emit[0].isa->flags & I_BRANCH))
			diag_error(r->emit_loc, "inplace rule '%s' cannot branch",
				   r->name);
	}
}

static void check_pattern(struct rule *r)
{
	if ((r->mask & 0xfc000000u) != 0xfc000000u)
		diag_error(r->loc, "rule '%s': the primary opcode (first 6 "
			   "bits) must be fixed", r->name);
	for (int c = 0; c < r->ncons; c++) {
		struct constraint *k = &r->cons[c];
		const struct field *f = &prog.fields[k->field];

		if (!rule_has_field(r, k->field)) {
			diag_error(k->loc, "'where %s': field is not in the "
				   "pattern of '%s'", f->name, r->name);
			continue;
		}
		if (f->width > 10) {
			diag_error(k->loc, "'where' works on fields up to 10 bits; "
				   "'%s' has %d", f->name, f->width);
			continue;
		}
		for (int v = 1 << f->width; v < SETMAX; v++)
			if (vs_has(&k->v, v)) {
				diag_error(k->loc, "set value %d does not fit the "
					   "%d-bit field '%s'", v, f->width,
					   f->name);
				break;
			}
	}
	for (int j = 0; j < r - prog.rules; j++)
		if (!strcmp(prog.rules[j].name, r->name)) {
			diag_error(r->loc, "rule '%s' defined twice", r->name);
			diag_note(prog.rules[j].loc, "first defined here");
		}
}

/* ---- templates: what each word must undo ---- */

/*
 * A template saves and restores by itself what a rule stub's composer
 * does around a body: t0 in @scratch1, t1 in @scratch2, CR (through a temp
 * that mfcr wrote) in @scratch3, the slots the runtime's recovery reads.
 * Along every path: a temp is written only once saved and until restored,
 * CR likewise, and the template leaves with everything restored. restore[w]
 * is what was saved and not yet restored before word w executes: bit 0 t0,
 * 1 t1, 2 CR (the runtime's ABT_RESTORE_T0, _T1, _CR).
 */
enum { FS_GUEST, FS_SAVED, FS_BACK };	/* a temp's or CR's state */

struct frame {
	int8_t valid;
	uint8_t saved;		/* restore bits */
	uint8_t t[2], cr;	/* enum above */
	uint8_t hold[2];	/* 1: the temp holds CR, 2: CR's saved copy */
};

static int temp_of(const struct expr *e)
{
	return e && e->kind == E_NAME && e->sym == SYM_TEMP ? e->index : -1;
}

static void frame_line(const struct asm_line *a, struct frame *f)
{
	const struct isa *in = a->isa;
	int sl = in && (in->form == F_LOAD || in->form == F_STORE) ?
		 scratch_of(a->ops[1]) : -1;
	int t = in && a->nops ? temp_of(a->ops[0]) : -1;
	int crw = in && (in->flags & I_CRW);

	if (!in)
		return;
	if (in->form == F_STORE && sl >= 0) {
		if (t < 0) {
			diag_error(a->loc, "only a temp is saved to @scratch%d",
				   sl + 1);
		} else if (sl < 2 && t != sl) {
			diag_error(a->loc, "@scratch%d saves t%d (where the "
				   "recovery restores it from)", sl + 1, sl);
		} else if (sl < 2 && f->t[t] != FS_GUEST) {
			diag_error(a->loc, "t%d is saved after it was changed", t);
		} else if (sl < 2) {
			f->t[t] = FS_SAVED;
			f->saved |= 1u << t;
		} else if (f->hold[t] != 1 || f->cr != FS_GUEST) {
			diag_error(a->loc, "@scratch3 holds CR: store a temp that "
				   "mfcr wrote, once");
		} else {
			f->cr = FS_SAVED;
			f->saved |= 4;
		}
		return;
	}
	if (in->form == F_LOAD && sl >= 0 && sl < 2 && t == sl) {
		if (f->t[t] != FS_SAVED)
			diag_error(a->loc, "t%d is restored but was not saved", t);
		f->t[t] = FS_BACK;
		f->saved &= ~(1u << t);
		f->hold[t] = 0;
		return;
	}
	if ((in->form == F_MTCRF || in->form == F_MTCR) && f->cr == FS_SAVED) {
		int src = temp_of(a->ops[in->form == F_MTCRF ? 1 : 0]);
		int64_t crm = 0xff;

		if (in->form == F_MTCRF && eval_const(a->ops[0], &crm))
			crm = 0;
		if (src >= 0 && f->hold[src] == 2 && crm == 0xff) {
			f->cr = FS_BACK;
			f->saved &= ~4u;
			crw = 0;
		}
	}
	if (crw && f->cr != FS_SAVED)
		diag_error(a->loc, "CR is changed %s", f->cr == FS_GUEST ?
			   "before it is saved to @scratch3" :
			   "after it was restored");
	if (t >= 0 && (in->flags & I_DEST0)) {
		if (f->t[t] != FS_SAVED)
			diag_error(a->loc, "t%d is written %s", t,
				   f->t[t] == FS_GUEST ? "before it is saved to "
				   "its scratch slot" : "after it was restored");
		f->hold[t] = in->form == F_MFCR ? 1 : sl == 2 ? 2 : 0;
	}
}

static void frame_leave(const struct rule *r, const struct asm_line *a,
			const struct frame *f)
{
	static const char *const what[] = { "t0", "t1", "CR" };
	char list[16] = "";

	if (!f->saved)
		return;
	for (int i = 0; i < 3; i++)
		if (f->saved & 1u << i)
			snprintf(list + strlen(list), sizeof(list) - strlen(list),
				 "%s%s", list[0] ? ", " : "", what[i]);
	diag_error(a ? a->loc : r->emit_loc, "template '%s' leaves with %s "
		   "not restored", r->name, list);
}

static void frame_block(struct rule *r)
{
	struct frame st[65];
	int nw = r->nwords;

	if (nw > 64)
		return;
	memset(st, 0, sizeof(st));
	st[0].valid = 1;
	for (int w = 0; w < nw; w++) {
		struct frame in = st[w], out = in, alt;
		const struct asm_line *first = NULL;
		int succ[2], ns = 0;

		if (!in.valid)
			continue;	/* "can never execute", reported */
		r->restore[w] = in.saved;
		for (int i = 0; i < r->nemit; i++) {
			const struct asm_line *a = &r->emit[i];

			if (!a->mnem || a->word != w)
				continue;
			alt = in;
			frame_line(a, &alt);
			if (!first)
				out = alt;
			else if (memcmp(&alt, &out, sizeof(out)))
				diag_error(a->loc, "the alternatives of one word "
					   "leave the temps or CR in different "
					   "states");
			if (!first)
				first = a;
		}
		if (first->target == -3 && first->isa &&
		    (first->isa->flags & I_BRANCH))
			frame_leave(r, first, &in);
		ns = word_succ(first, succ);
		for (int k = 0; k < ns; k++) {
			struct frame *t = &st[succ[k]];

			if (t->valid && memcmp(t, &out, sizeof(out)))
				diag_error(first->loc, "a point of '%s' is reached "
					   "with different temps or CR saved",
					   r->name);
			*t = out;
		}
	}
	if (st[nw].valid)
		frame_leave(r, NULL, &st[nw]);
}

static void check_template(struct rule *t)
{
	for (int i = 0; i < t->nenvs; i++)
		for (int j = 0; j < i; j++)
			if (!strcmp(t->envs[i], t->envs[j]))
				diag_error(t->env_locs[i], "operand '$%s' declared "
					   "twice", t->envs[i]);
	for (int j = 0; j < t - prog.templates; j++)
		if (!strcmp(prog.templates[j].name, t->name))
			diag_error(t->loc, "template '%s' defined twice", t->name);
	if (!prog.naccesses)
		diag_error(t->loc, "template '%s': a template is composed for a "
			   "decoded access, and no access pattern is declared",
			   t->name);
	for (int i = 0; i < prog.nfields; i++)
		if (prog.fields[i].in_access) {
			if (t->nfields == 8)
				diag_error(t->loc, "the access patterns have more "
					   "than 8 fields");
			else
				t->fields[t->nfields++] = i;
		}
	if (t->when)
		emit_imm(t, t->when);
	if (!t->nemit) {
		diag_error(t->loc, "template '%s' has no emit block", t->name);
		return;
	}
	int before = diag_errors();

	emit_block(t);
	if (diag_errors() == before)
		frame_block(t);	/* only on a body without errors */
}

static void check_access(struct rule *a)
{
	if ((a->mask & 0xfc000000u) != 0xfc000000u)
		diag_error(a->loc, "access '%s': the primary opcode (first 6 "
			   "bits) must be fixed", a->name);
	else if ((a->mask | a->fmask) != 0xffffffffu)
		diag_error(a->loc, "access '%s' has ignored bits: a template "
			   "re-encodes an access from its fields, so every bit "
			   "is fixed or a field", a->name);
	if (!a->len)
		diag_error(a->loc, "access '%s' has no len (1, 2 or 4 bytes)",
			   a->name);
	for (int j = 0; j < a - prog.accesses; j++)
		if (!strcmp(prog.accesses[j].name, a->name)) {
			diag_error(a->loc, "access '%s' defined twice", a->name);
			diag_note(prog.accesses[j].loc, "first defined here");
		}
}

/* ---- overlaps ---- */

static uint32_t field_value(const struct field *f, uint32_t w)
{
	uint32_t v = 0;

	for (int i = 0; i < f->npieces; i++)
		v = (v << f->p[i].len) |
		    ((w >> f->p[i].pos) & ((1u << f->p[i].len) - 1));
	return v;
}


static int cons_ok(const struct rule *r, uint32_t w)
{
	for (int c = 0; c < r->ncons; c++) {
		const struct constraint *k = &r->cons[c];
		int in = vs_has(&k->v, field_value(&prog.fields[k->field], w));

		if (in == k->negate)
			return 0;
	}
	return 1;
}

static uint32_t field_bits(const struct field *f)
{
	uint32_t m = 0;

	for (int i = 0; i < f->npieces; i++)
		for (int b = 0; b < f->p[i].len; b++)
			m |= 1u << (f->p[i].pos + b);
	return m;
}

/* The bits of a word whose field f holds v (inverse of field_value). */
static uint32_t field_place(const struct field *f, uint32_t v)
{
	uint32_t w = 0;

	for (int i = f->npieces - 1; i >= 0; i--) {
		w |= (v & ((1u << f->p[i].len) - 1)) << f->p[i].pos;
		v >>= f->p[i].len;
	}
	return w;
}

uint32_t rulesc_field_value(const struct field *f, uint32_t w)
{
	return field_value(f, w);
}

uint32_t rulesc_field_place(const struct field *f, uint32_t v)
{
	return field_place(f, v);
}

/* Does v satisfy every constraint of r on field fi? */
static int field_cons_ok(const struct rule *r, int fi, uint32_t v)
{
	for (int c = 0; c < r->ncons; c++)
		if (r->cons[c].field == fi &&
		    vs_has(&r->cons[c].v, v) == r->cons[c].negate)
			return 0;
	return 1;
}

/*
 * Is there a word both rules match? When the constrained fields share no
 * bits (the usual case) each field is solved on its own: a value that
 * agrees with the fixed bits and every constraint on it. Otherwise
 * enumerate the constrained bits.
 */
static int rules_overlap(const struct rule *a, const struct rule *b,
			 uint32_t *example)
{
	uint32_t both = a->mask & b->mask;

	if ((a->value ^ b->value) & both)
		return 0;
	uint32_t base = a->value | b->value, fixed = a->mask | b->mask;
	int fl[8], nf = 0, disjoint = 1;
	uint32_t seen = 0;

	for (int k = 0; k < a->ncons + b->ncons; k++) {
		int fi = k < a->ncons ? a->cons[k].field :
					b->cons[k - a->ncons].field;
		int j;

		for (j = 0; j < nf && fl[j] != fi; j++)
			;
		if (j < nf)
			continue;
		fl[nf++] = fi;
		if (seen & field_bits(&prog.fields[fi]))
			disjoint = 0;
		seen |= field_bits(&prog.fields[fi]);
	}
	if (disjoint) {
		uint32_t w = base;

		for (int j = 0; j < nf; j++) {
			const struct field *f = &prog.fields[fl[j]];
			uint32_t fm = field_bits(f) & fixed, v;

			for (v = 0; v < (1u << f->width); v++)
				if ((field_place(f, v) & fm) == (base & fm) &&
				    field_cons_ok(a, fl[j], v) &&
				    field_cons_ok(b, fl[j], v))
					break;
			if (v == (1u << f->width))
				return 0;
			w = (w & ~field_bits(f)) | field_place(f, v);
		}
		*example = w;
		return cons_ok(a, w) && cons_ok(b, w);
	}

	uint32_t free = seen & ~fixed;
	int pos[32], n = 0;

	for (int i = 0; i < 32; i++)
		if (free >> i & 1)
			pos[n++] = i;
	if (n > 20) {
		diag_error(a->loc, "rules '%s' and '%s' constrain overlapping "
			   "fields over %d free bits: too many to check them "
			   "for overlap", a->name, b->name, n);
		return 0;
	}
	for (uint32_t k = 0; k < (1u << n); k++) {
		uint32_t w = base;

		for (int i = 0; i < n; i++)
			if (k >> i & 1)
				w |= 1u << pos[i];
		if (cons_ok(a, w) && cons_ok(b, w)) {
			*example = w;
			return 1;
		}
	}
	return 0;
}

static void overlap_pair(const struct rule *a, const struct rule *b)
{
	static const char *const kind[] = { "rule", "access" };
	uint32_t w;

	if (!rules_overlap(a, b, &w))
		return;
	diag_error(a->loc, "%s '%s' overlaps %s '%s' (both match 0x%08x)",
		   kind[a->kind], a->name, kind[b->kind], b->name, w);
	diag_note(b->loc, "'%s' is here", b->name);
}

/* No two rules, no two access patterns, and no access and rule match one
 * word: a decode-only pattern never decodes a privileged instruction. */
static void check_overlaps(void)
{
	for (int i = 0; i < prog.nrules; i++)
		for (int j = 0; j < i; j++)
			overlap_pair(&prog.rules[i], &prog.rules[j]);
	for (int i = 0; i < prog.naccesses; i++) {
		for (int j = 0; j < i; j++)
			overlap_pair(&prog.accesses[i], &prog.accesses[j]);
		for (int j = 0; j < prog.nrules; j++)
			overlap_pair(&prog.accesses[i], &prog.rules[j]);
	}
}

/* ---- profiles ---- */

static void check_profiles(void)
{
	for (int i = 0; i < prog.nprofiles; i++) {
		struct profile *p = &prog.profiles[i];

		for (int j = 0; j < i; j++)
			if (!strcmp(prog.profiles[j].name, p->name))
				diag_error(p->loc, "profile '%s' declared twice",
					   p->name);
		p->layout_index = 0;
		if (p->layout) {
			p->layout_index = -1;
			for (int l = 0; l < prog.nlayouts; l++)
				if (!strcmp(prog.layouts[l].name, p->layout))
					p->layout_index = l;
			if (p->layout_index < 0) {
				diag_error(p->loc, "profile '%s': unknown layout "
					   "'%s'", p->name, p->layout);
				p->layout_index = 0;
			}
		}
		if (!p->has_magic) {
			diag_error(p->loc, "profile '%s' has no magic page "
				   "address ('magic 0xfffff000')", p->name);
		} else if (p->magic & 0xfff) {
			diag_error(p->loc, "profile '%s': magic page 0x%08x is "
				   "not 4 KiB aligned", p->name, p->magic);
		} else if (!(p->magic >= 0xffff8000u || p->magic <= 0x7000u)) {
			diag_error(p->loc, "profile '%s': magic page 0x%08x is "
				   "not reachable as d(0) (it must lie within "
				   "32 KiB of address 0)", p->name, p->magic);
		}
		if (!p->threshold)
			p->threshold = 16;
		for (int d = 0; d < p->ndisable; d++)
			if (find_rule(p->disable[d]) < 0)
				diag_error(p->disable_loc[d], "profile '%s': no "
					   "rule named '%s'", p->name,
					   p->disable[d]);
	}
}

void sema(void)
{
	if (prog.nrules > 1024)
		diag_error(prog.rules[1024].loc, "more than 1024 rules");
	check_layouts();
	check_regs();
	for (int i = 0; i < prog.nrules; i++) {
		struct rule *r = &prog.rules[i];

		check_pattern(r);
		check_rule_shape(r);
		effect_stmt(r, r->effect);
		if (r->exit_when)
			effect_expr(r, r->exit_when, 0);
		if (r->has_exit && !r->exit_when)
			diag_error(r->emit_loc, "'%s' branches to exit: say when "
				   "with 'exit when EXPR' (checked against the "
				   "stub by abt-verify)", r->name);
		else if (!r->has_exit && r->exit_when)
			diag_error(r->exit_when_loc, "'%s' has 'exit when' but its "
				   "body never branches to exit", r->name);
	}
	for (int i = 0; i < prog.naccesses; i++)
		check_access(&prog.accesses[i]);
	for (int i = 0; i < prog.ntemplates; i++)
		check_template(&prog.templates[i]);
	check_overlaps();
	check_profiles();
}
