/* SPDX-License-Identifier: GPL-2.0 */
/* rulesc grammar: fields, constants, layouts, registers, sets, rules and
 * profiles. Semantic checks are in sema.c; this file only builds the AST. */
%{
#include <stdlib.h>
#include <string.h>
#include "ast.h"

int yylex(void);
extern const char *lex_file;
static void yyerror(const char *msg);

static struct loc L(int line, int col)
{
	struct loc l = { lex_file, line, col };
	return l;
}
#define LOC(at) L((at).first_line, (at).first_column)

static struct rule cur_rule;
static struct profile cur_prof;
static struct layout cur_layout;
static struct field cur_field;
static struct valset cur_set;
static struct asm_line cur_line;
static int pat_pos;		/* next bit (MSB-first count) of the picture */
static struct loc pat_loc;

static struct expr *mk(enum expr_kind k, struct loc l)
{
	struct expr *e = xcalloc(1, sizeof(*e));
	e->kind = k;
	e->loc = l;
	e->sym = -1;
	return e;
}

static struct expr *bin(int op, struct expr *a, struct expr *b, struct loc l)
{
	struct expr *e = mk(E_BINARY, l);
	e->op = op;
	e->a = a;
	e->b = b;
	return e;
}

static struct stmt *mks(enum stmt_kind k, struct loc l)
{
	struct stmt *s = xcalloc(1, sizeof(*s));
	s->kind = k;
	s->loc = l;
	return s;
}

int find_field(const char *name);
int find_set(const char *name);
int set_elem_value(const char *name, struct loc l);

static void pat_bits(const char *bits, struct loc l)
{
	int dot = 0;

	for (const char *c = bits; *c; c++) {
		int bit = 31 - pat_pos;
		if (pat_pos >= 32) {
			diag_error(l, "bit picture is longer than 32 bits");
			return;
		}
		if (*c == '0' || *c == '1') {
			cur_rule.mask |= 1u << bit;
			if (*c == '1')
				cur_rule.value |= 1u << bit;
		} else if (*c == '.') {
			/* once per token; count the bit so that the picture
			 * length is not reported as a follow-on error */
			if (!dot++)
				diag_error(l, "'.' marks no field here: write "
					   "name:len or %%field for field bits, "
					   "'-' for ignored bits");
		}
		pat_pos++;
	}
}

static void pat_use_field(int fi, struct loc l)
{
	if (cur_rule.nfields >= 8) {
		diag_error(l, "too many fields in one pattern (at most 8)");
		return;
	}
	for (int i = 0; i < cur_rule.nfields; i++)
		if (cur_rule.fields[i] == fi) {
			diag_error(l, "field '%s' used twice in this pattern",
				   prog.fields[fi].name);
			return;
		}
	cur_rule.fields[cur_rule.nfields++] = fi;
	if (cur_rule.kind == RK_ACCESS)
		prog.fields[fi].in_access = true;
	else
		prog.fields[fi].in_rule = true;
}

/* A rule's or an access pattern's name and bit picture */
static void pic_begin(enum rule_kind kind, char *name, struct loc l)
{
	memset(&cur_rule, 0, sizeof(cur_rule));
	cur_rule.kind = kind;
	cur_rule.name = name;
	cur_rule.loc = l;
	pat_pos = 0;
	pat_loc = l;
}

static void pic_end(void)
{
	if (pat_pos != 32)
		diag_error(pat_loc, "bit picture of '%s' has %d bits, not 32",
			   cur_rule.name, pat_pos);
}

/* { len 4 store ... } of an access pattern */
static void access_flag(const char *name, struct loc l)
{
	for (int i = 0; i < NAFLAGS; i++)
		if (!strcmp(aflag_names[i], name)) {
			if (cur_rule.aflags & 1u << i)
				diag_error(l, "flag '%s' given twice", name);
			cur_rule.aflags |= 1u << i;
			return;
		}
	diag_error(l, "unknown access attribute '%s' (len N, store, update, "
		   "algebraic, reversed, indexed)", name);
}

static void line_begin(struct loc l, char *label, char *mnem,
		       struct expr *guard, int alt)
{
	memset(&cur_line, 0, sizeof(cur_line));
	cur_line.loc = l;
	cur_line.label = label;
	cur_line.mnem = mnem;
	cur_line.guard = guard;
	cur_line.alt = alt;
}

/* inline field "name:len" at the current picture position */
static void pat_ifield(const char *text, struct loc l)
{
	char *name = xstrdup(text);
	char *colon = strchr(name, ':');
	bool is_signed = colon[1] == 's';
	int len = atoi(colon + 1 + is_signed);
	*colon = 0;
	if (len < 1 || len > 32 || pat_pos + len > 32) {
		diag_error(l, "field '%s:%d' does not fit in the 32-bit picture",
			   name, len);
		return;
	}
	int pos = 32 - pat_pos - len;
	int fi = find_field(name);
	if (fi < 0) {
		struct field f = { 0 };
		f.name = name;
		f.loc = l;
		f.p[0].pos = pos;
		f.p[0].len = len;
		f.npieces = 1;
		f.width = len;
		f.is_signed = is_signed;
		PUSH(prog.fields, prog.nfields, f);
		fi = prog.nfields - 1;
	} else {
		struct field *f = &prog.fields[fi];
		if (f->npieces != 1 || f->p[0].pos != pos || f->p[0].len != len ||
		    f->is_signed != is_signed) {
			diag_error(l, "field '%s' is declared at other bits%s", name,
				   f->is_signed != is_signed ? " or signedness" : "");
			diag_note(f->loc, "'%s' declared here", name);
		}
	}
	for (int b = pos; b < pos + len; b++)
		cur_rule.fmask |= 1u << b;
	pat_use_field(fi, l);
	pat_pos += len;
}

/* %name inside a picture: the declared field's bits start here */
static void pat_fieldref(const char *name, struct loc l)
{
	int fi = find_field(name);
	if (fi < 0) {
		diag_error(l, "unknown field '%%%s'", name);
		return;
	}
	struct field *f = &prog.fields[fi];
	int hi = 31 - pat_pos, lo = hi - f->width + 1;
	uint32_t want = 0, have = 0;
	if (lo < 0) {
		diag_error(l, "field '%%%s' does not fit in the picture", name);
		return;
	}
	for (int b = lo; b <= hi; b++)
		want |= 1u << b;
	for (int i = 0; i < f->npieces; i++)
		for (int b = f->p[i].pos; b < f->p[i].pos + f->p[i].len; b++)
			have |= 1u << b;
	if (want != have) {
		diag_error(l, "field '%%%s' covers bits other than the %d bits "
			   "at this position of the picture", name, f->width);
		return;
	}
	cur_rule.fmask |= have;
	pat_use_field(fi, l);
	pat_pos += f->width;
}
%}

%locations
%expect 1		/* dangling else: shift binds it to the nearest if */
%define parse.error verbose

%union {
	char *str;
	long long num;
	struct expr *expr;
	struct stmt *stmt;
}

%token <str> IDENT BITS IFIELD FIELDREF FIELDDECL PIECE SLOTNAME LABEL ENVREF
%token <num> NUM
%token RULE CONST LAYOUT REG SET PROFILE SHAPE WHERE IN NOT EMIT EFFECT
%token IF ELSE CALL ATPAREN NEWLINE BADCHAR EXITWHEN
%token ACCESS TEMPLATE OPERAND WHEN
%token LSHIFT RSHIFT EQ NE LE GE ANDAND OROR DOTDOT

%type <expr> expr primary opt_args_expr operand
%type <stmt> stmt stmts block_or_stmt

%right '?' ':'
%left OROR
%left ANDAND
%left '|'
%left '^'
%left '&'
%left EQ NE
%left '<' '>' LE GE
%left LSHIFT RSHIFT
%left '+' '-'
%left '*' '/' '%'
%precedence '!' '~' UMINUS

%%

file:	  %empty
	| file item
	| file error
	;

item:	  field_decl
	| const_decl
	| layout_decl
	| reg_decl
	| set_decl
	| rule_decl
	| access_decl
	| template_decl
	| profile_decl
	;

/* %spr 11:5 16:5 */
field_decl:
	  FIELDDECL {
		memset(&cur_field, 0, sizeof(cur_field));
		cur_field.name = $1;
		cur_field.loc = LOC(@1);
	  } pieces {
		if (find_field(cur_field.name) >= 0)
			diag_error(cur_field.loc, "field '%s' declared twice",
				   cur_field.name);
		else
			PUSH(prog.fields, prog.nfields, cur_field);
	  }
	;

pieces:	  piece | pieces piece ;

piece:	  PIECE {
		int pos = atoi($1), len = atoi(strchr($1, ':') + 1);
		if (len < 1 || pos + len > 32)
			diag_error(LOC(@1), "bits %s lie outside a 32-bit word", $1);
		else if (cur_field.npieces == 4)
			diag_error(LOC(@1), "at most 4 pieces per field");
		else {
			cur_field.p[cur_field.npieces].pos = pos;
			cur_field.p[cur_field.npieces++].len = len;
			cur_field.width += len;
		}
	  }
	;

const_decl:
	  CONST IDENT '=' expr {
		struct constant c = { $2, LOC(@2), 0 };
		extern int eval_const(struct expr *e, int64_t *v);
		if (eval_const($4, &c.value) == 0)
			PUSH(prog.consts, prog.nconsts, c);
	  }
	;

layout_decl:
	  LAYOUT IDENT '{' {
		memset(&cur_layout, 0, sizeof(cur_layout));
		cur_layout.name = $2;
		cur_layout.loc = LOC(@2);
	  } slot_decls '}' {
		PUSH(prog.layouts, prog.nlayouts, cur_layout);
	  }
	;

slot_decls: %empty | slot_decls slot_decl ;

slot_decl:
	  IDENT NUM IDENT {
		struct slot s = { $1, LOC(@1), (int)$2, false };
		if (!strcmp($3, "u64"))
			s.u64 = true;
		else if (strcmp($3, "u32"))
			diag_error(LOC(@3), "slot type must be u32 or u64, not '%s'", $3);
		if ($2 < 0 || $2 > 4088 || ($2 & 3))
			diag_error(LOC(@2), "slot offset %lld is not a word "
				   "offset inside a 4 KiB page", $2);
		PUSH(cur_layout.slots, cur_layout.nslots, s);
	  }
	;

/* reg SRR0 spr=26 slot=srr0 */
reg_decl:
	  REG IDENT {
		struct reg r = { $2, LOC(@2), -1, NULL, -1 };
		PUSH(prog.regs, prog.nregs, r);
	  } reg_attrs
	;

reg_attrs: %empty | reg_attrs reg_attr ;

reg_attr:
	  IDENT '=' NUM {
		struct reg *r = &prog.regs[prog.nregs - 1];
		if (!strcmp($1, "spr") && $3 >= 0 && $3 < 1024)
			r->spr = (int)$3;
		else
			diag_error(LOC(@1), "expected spr=0..1023 or slot=NAME");
	  }
	| IDENT '=' IDENT {
		struct reg *r = &prog.regs[prog.nregs - 1];
		if (!strcmp($1, "slot"))
			r->slot = $3;
		else
			diag_error(LOC(@1), "expected spr=0..1023 or slot=NAME");
	  }
	;

set_decl:
	  SET IDENT '=' '{' { memset(&cur_set, 0, sizeof(cur_set)); }
	  set_elems '}' {
		struct setdecl s;
		s.name = $2;
		s.loc = LOC(@2);
		s.v = cur_set;
		if (find_set($2) >= 0)
			diag_error(LOC(@2), "set '%s' declared twice", $2);
		else
			PUSH(prog.sets, prog.nsets, s);
	  }
	;

set_elems: set_elem | set_elems ',' set_elem ;

set_elem:
	  set_val { vs_add(&cur_set, (unsigned)$<num>1); }
	| set_val DOTDOT set_val {
		if ($<num>3 < $<num>1)
			diag_error(LOC(@1), "empty range");
		for (long long v = $<num>1; v <= $<num>3; v++)
			vs_add(&cur_set, (unsigned)v);
	  }
	;

set_val:
	  NUM {
		if ($1 < 0 || $1 >= SETMAX)
			diag_error(LOC(@1), "set value %lld out of range 0..%d",
				   $1, SETMAX - 1);
		$<num>$ = $1 & (SETMAX - 1);
	  }
	| IDENT {
		int si = find_set($1);
		if (si >= 0) {
			for (int v = 0; v < SETMAX; v++)
				if (vs_has(&prog.sets[si].v, v))
					vs_add(&cur_set, v);
			$<num>$ = -1;
		} else {
			$<num>$ = set_elem_value($1, LOC(@1));
		}
	  }
	;

/* rule NAME picture { ... } */
rule_decl:
	  RULE IDENT { pic_begin(RK_RULE, $2, LOC(@2)); }
	  picture '{' { pic_end(); } rule_items '}' {
		PUSH(prog.rules, prog.nrules, cur_rule);
	  }
	;

/* access NAME picture { len N flag... }: decode-only */
access_decl:
	  ACCESS IDENT { pic_begin(RK_ACCESS, $2, LOC(@2)); }
	  picture '{' { pic_end(); } access_items '}' {
		PUSH(prog.accesses, prog.naccesses, cur_rule);
	  }
	;

access_items: %empty | access_items access_item ;

access_item:
	  IDENT NUM {
		if (strcmp($1, "len"))
			diag_error(LOC(@1), "'%s' takes no value (only len does)", $1);
		else if (cur_rule.len)
			diag_error(LOC(@1), "len given twice");
		else if ($2 != 1 && $2 != 2 && $2 != 4) {
			diag_error(LOC(@2), "len must be 1, 2 or 4, not %lld", $2);
			cur_rule.len = -1;	/* reported: not "no len" */
		} else {
			cur_rule.len = (int)$2;
			cur_rule.len_loc = LOC(@1);
		}
	  }
	| IDENT { access_flag($1, LOC(@1)); }
	;

/* template NAME { operand NAME ... when EXPR emit { ... } } */
template_decl:
	  TEMPLATE IDENT '{' {
		memset(&cur_rule, 0, sizeof(cur_rule));
		cur_rule.kind = RK_TEMPLATE;
		cur_rule.name = $2;
		cur_rule.loc = LOC(@2);
	  } template_items '}' {
		PUSH(prog.templates, prog.ntemplates, cur_rule);
	  }
	;

template_items: %empty | template_items template_item ;

template_item:
	  OPERAND IDENT {
		struct loc l = LOC(@2);
		int n = cur_rule.nenvs;

		PUSH(cur_rule.envs, cur_rule.nenvs, $2);
		PUSH(cur_rule.env_locs, n, l);
	  }
	| WHEN expr {
		if (cur_rule.when)
			diag_error(LOC(@1), "'when' given twice");
		cur_rule.when = $2;
		cur_rule.when_loc = LOC(@1);
	  }
	| EMIT {
		if (cur_rule.nemit)
			diag_error(LOC(@1), "emit given twice");
		cur_rule.emit_loc = LOC(@1);
	  } asm_body
	;

picture: pic_part | picture pic_part ;

pic_part:
	  BITS		{ pat_bits($1, LOC(@1)); }
	| IFIELD	{ pat_ifield($1, LOC(@1)); }
	| FIELDREF	{ pat_fieldref($1, LOC(@1)); }
	| BADCHAR	{ diag_error(LOC(@1), "unexpected character in bit "
				     "picture (use 0 1 . - name:len %%name)"); }
	;

rule_items: %empty | rule_items rule_item ;

rule_item:
	  SHAPE IDENT {
		static const char *names[] = { "trap", "inplace", "branch", "cluster" };
		int i;
		for (i = 0; i < 4; i++)
			if (!strcmp($2, names[i]))
				break;
		if (i == 4)
			diag_error(LOC(@2), "unknown shape '%s' (trap, inplace, "
				   "branch or cluster)", $2);
		else if (cur_rule.has_shape)
			diag_error(LOC(@1), "shape given twice");
		cur_rule.shape = i == 4 ? SH_TRAP : (enum shape)i;
		cur_rule.has_shape = true;
		cur_rule.shape_loc = LOC(@1);
	  }
	| WHERE IDENT opt_not IN {
		memset(&cur_set, 0, sizeof(cur_set));
	  } set_ref {
		int fi = find_field($2);
		if (fi < 0) {
			diag_error(LOC(@2), "unknown field '%s'", $2);
		} else if (cur_rule.ncons == 4) {
			diag_error(LOC(@1), "at most 4 'where' constraints");
		} else {
			struct constraint *c = &cur_rule.cons[cur_rule.ncons++];
			c->loc = LOC(@2);
			c->field = fi;
			c->negate = $<num>3;
			c->v = cur_set;
		}
	  }
	| EMIT { cur_rule.emit_loc = LOC(@1); } asm_body
	| EFFECT block_or_stmt {
		if (cur_rule.effect)
			diag_error(LOC(@1), "effect given twice");
		cur_rule.effect = $2;
		cur_rule.effect_loc = LOC(@1);
	  }
	| EXITWHEN expr {
		if (cur_rule.exit_when)
			diag_error(LOC(@1), "'exit when' given twice");
		cur_rule.exit_when = $2;
		cur_rule.exit_when_loc = LOC(@1);
	  }
	;

opt_not: %empty { $<num>$ = 0; } | NOT { $<num>$ = 1; } ;

set_ref:
	  IDENT {
		int si = find_set($1);
		if (si < 0) {
			vs_add(&cur_set, set_elem_value($1, LOC(@1)));
		} else {
			cur_set = prog.sets[si].v;
		}
	  }
	| '{' set_elems '}'
	;

asm_body:
	  '{' asm_lines '}'
	| asm_line_content NEWLINE
	;

asm_lines: %empty | asm_lines asm_line_content NEWLINE ;

asm_line_content:
	  %empty
	| LABEL {
		line_begin(LOC(@1), $1, NULL, NULL, 0);
		PUSH(cur_rule.emit, cur_rule.nemit, cur_line);
	  }
	| opt_label IDENT { line_begin(LOC(@2), $<str>1, $2, NULL, 0); }
	  opt_operands { PUSH(cur_rule.emit, cur_rule.nemit, cur_line); }
	| opt_label IF '(' expr ')' IDENT {
		line_begin(LOC(@6), $<str>1, $6, $4, 1);
	  } opt_operands { PUSH(cur_rule.emit, cur_rule.nemit, cur_line); }
	| ELSE IF '(' expr ')' IDENT { line_begin(LOC(@6), NULL, $6, $4, 2); }
	  opt_operands { PUSH(cur_rule.emit, cur_rule.nemit, cur_line); }
	| ELSE IDENT { line_begin(LOC(@2), NULL, $2, NULL, 3); }
	  opt_operands { PUSH(cur_rule.emit, cur_rule.nemit, cur_line); }
	| error
	;

opt_label: %empty { $<str>$ = NULL; } | LABEL { $<str>$ = $1; } ;

opt_operands: %empty | operands ;

operands: operand_add | operands ',' operand_add ;

operand_add:
	  operand {
		if (cur_line.nops == 6)
			diag_error($1->loc, "too many operands");
		else
			cur_line.ops[cur_line.nops++] = $1;
	  }
	;

operand:
	  expr
	| expr '(' expr ')' {
		$$ = mk(E_MEM, $1->loc);
		$$->a = $1;
		$$->b = $3;
	  }
	| IDENT '=' expr {
		$$ = mk(E_BIND, LOC(@1));
		$$->name = $1;
		$$->a = $3;
	  }
	;

profile_decl:
	  PROFILE IDENT '{' {
		memset(&cur_prof, 0, sizeof(cur_prof));
		cur_prof.name = $2;
		cur_prof.loc = LOC(@2);
		cur_prof.layout_index = -1;
		cur_prof.cluster_max = 4;
	  } prof_items '}' {
		PUSH(prog.profiles, prog.nprofiles, cur_prof);
	  }
	;

prof_items: %empty | prof_items prof_item ;

prof_item:
	  LAYOUT IDENT { cur_prof.layout = $2; }
	| IDENT NUM {
		uint32_t v = (uint32_t)$2;
		if (!strcmp($1, "magic")) {
			cur_prof.magic = v;
			cur_prof.has_magic = true;
		} else if (!strcmp($1, "threshold")) {
			if (v < 1)
				diag_error(LOC(@2), "threshold must be at least 1");
			cur_prof.threshold = v;
		} else if (!strcmp($1, "decay")) {
			cur_prof.decay = v;
		} else if (!strcmp($1, "cluster_max")) {
			if (v < 1 || v > 8)
				diag_error(LOC(@2), "cluster_max must be 1..8");
			cur_prof.cluster_max = v;
		} else {
			diag_error(LOC(@1), "unknown profile setting '%s' (magic, "
				   "threshold, decay, cluster_max, tc, disable, "
				   "layout)", $1);
		}
	  }
	| IDENT NUM NUM {
		if (strcmp($1, "tc"))
			diag_error(LOC(@1), "'%s' takes one value", $1);
		else if (cur_prof.ntc == 4)
			diag_error(LOC(@1), "at most 4 tc regions");
		else {
			cur_prof.tc_base[cur_prof.ntc] = (uint32_t)$2;
			cur_prof.tc_size[cur_prof.ntc++] = (uint32_t)$3;
		}
	  }
	| IDENT IDENT {
		if (strcmp($1, "disable")) {
			diag_error(LOC(@1), "unknown profile setting '%s'", $1);
		} else {
			struct loc l = LOC(@2);
			int n = cur_prof.ndisable;
			PUSH(cur_prof.disable, cur_prof.ndisable, $2);
			PUSH(cur_prof.disable_loc, n, l);
		}
	  }
	;

/* ---- effects ---- */
block_or_stmt:
	  stmt
	;

stmts:	  %empty { $$ = mks(S_BLOCK, L(yylloc.first_line, yylloc.first_column)); }
	| stmts stmt { $$ = $1; PUSH($$->body, $$->nbody, $2); }
	;

stmt:	  expr '=' expr ';' {
		$$ = mks(S_ASSIGN, $1->loc);
		$$->lhs = $1;
		$$->rhs = $3;
	  }
	| CALL IDENT '(' opt_args_expr ')' ';' {
		$$ = mks(S_CALL, LOC(@1));
		$$->call = $4;
		$$->call->name = $2;
		$$->call->loc = LOC(@2);
	  }
	| IF '(' expr ')' stmt {
		$$ = mks(S_IF, LOC(@1));
		$$->rhs = $3;
		$$->then = $5;
	  }
	| IF '(' expr ')' stmt ELSE stmt {
		$$ = mks(S_IF, LOC(@1));
		$$->rhs = $3;
		$$->then = $5;
		$$->els = $7;
	  }
	| '{' stmts '}' { $$ = $2; }
	;

opt_args_expr:
	  %empty { $$ = mk(E_CALL, L(0, 0)); }
	| expr {
		$$ = mk(E_CALL, $1->loc);
		PUSH($$->args, $$->nargs, $1);
	  }
	| opt_args_expr ',' expr { $$ = $1; PUSH($$->args, $$->nargs, $3); }
	;

expr:	  primary
	| expr '?' expr ':' expr {
		$$ = mk(E_COND, $1->loc);
		$$->a = $1; $$->b = $3; $$->c = $5;
	  }
	| expr OROR expr	{ $$ = bin(OROR, $1, $3, LOC(@2)); }
	| expr ANDAND expr	{ $$ = bin(ANDAND, $1, $3, LOC(@2)); }
	| expr '|' expr		{ $$ = bin('|', $1, $3, LOC(@2)); }
	| expr '^' expr		{ $$ = bin('^', $1, $3, LOC(@2)); }
	| expr '&' expr		{ $$ = bin('&', $1, $3, LOC(@2)); }
	| expr EQ expr		{ $$ = bin(EQ, $1, $3, LOC(@2)); }
	| expr NE expr		{ $$ = bin(NE, $1, $3, LOC(@2)); }
	| expr '<' expr		{ $$ = bin('<', $1, $3, LOC(@2)); }
	| expr '>' expr		{ $$ = bin('>', $1, $3, LOC(@2)); }
	| expr LE expr		{ $$ = bin(LE, $1, $3, LOC(@2)); }
	| expr GE expr		{ $$ = bin(GE, $1, $3, LOC(@2)); }
	| expr LSHIFT expr	{ $$ = bin(LSHIFT, $1, $3, LOC(@2)); }
	| expr RSHIFT expr	{ $$ = bin(RSHIFT, $1, $3, LOC(@2)); }
	| expr '+' expr		{ $$ = bin('+', $1, $3, LOC(@2)); }
	| expr '-' expr		{ $$ = bin('-', $1, $3, LOC(@2)); }
	| expr '*' expr		{ $$ = bin('*', $1, $3, LOC(@2)); }
	| expr '/' expr		{ $$ = bin('/', $1, $3, LOC(@2)); }
	| expr '%' expr		{ $$ = bin('%', $1, $3, LOC(@2)); }
	| '-' expr %prec UMINUS	{ $$ = mk(E_UNARY, LOC(@1)); $$->op = '-'; $$->a = $2; }
	| '~' expr		{ $$ = mk(E_UNARY, LOC(@1)); $$->op = '~'; $$->a = $2; }
	| '!' expr		{ $$ = mk(E_UNARY, LOC(@1)); $$->op = '!'; $$->a = $2; }
	;

primary:
	  NUM		{ $$ = mk(E_NUM, LOC(@1)); $$->num = $1; }
	| IDENT		{ $$ = mk(E_NAME, LOC(@1)); $$->name = $1; }
	| SLOTNAME	{ $$ = mk(E_SLOT, LOC(@1)); $$->name = $1; }
	| ENVREF	{
		char *at = strchr($1, '@');

		$$ = mk(E_ENV, LOC(@1));
		$$->op = !at ? ENV_ALL : at[1] == 'h' ? ENV_HA : ENV_LO;
		if (at)
			*at = 0;
		$$->name = $1 + 1;
	  }
	| ATPAREN IDENT ')' { $$ = mk(E_SLOTF, LOC(@1)); $$->name = $2; }
	| IDENT '[' expr ']' {
		$$ = mk(E_INDEX, LOC(@1));
		$$->name = $1;
		$$->a = $3;
	  }
	| CALL IDENT '(' opt_args_expr ')' {
		$$ = $4;
		$$->name = $2;
		$$->loc = LOC(@2);
	  }
	| '(' expr ')'	{ $$ = $2; }
	;

%%

static void yyerror(const char *msg)
{
	struct loc l = L(yylloc.first_line, yylloc.first_column);
	const char *p = strncmp(msg, "syntax error, ", 14) ? msg : msg + 14;
	char buf[512];
	size_t o = 0;

	/* bison names tokens by their %token names; say them as written */
	static const struct { const char *tok, *say; } names[] = {
		{ "IDENT", "name" }, { "NUM", "number" }, { "BITS", "bits" },
		{ "NEWLINE", "end of line" }, { "IFIELD", "field:len" },
		{ "FIELDREF", "%field" }, { "FIELDDECL", "%field" },
		{ "PIECE", "pos:len" }, { "SLOTNAME", "@slot" },
		{ "BADCHAR", "stray character" }, { "ATPAREN", "'@('" },
		{ "LABEL", "label" }, { "DOTDOT", "'..'" },
		{ "$end", "end of file" },
		{ "RULE", "'rule'" }, { "CONST", "'const'" },
		{ "LAYOUT", "'layout'" }, { "REG", "'reg'" },
		{ "SET", "'set'" }, { "PROFILE", "'profile'" },
		{ "SHAPE", "'shape'" }, { "WHERE", "'where'" },
		{ "IN", "'in'" }, { "NOT", "'not'" }, { "EMIT", "'emit'" },
		{ "EFFECT", "'effect'" }, { "IF", "'if'" },
		{ "ELSE", "'else'" }, { "CALL", "'call'" },
		{ "LSHIFT", "'<<'" }, { "RSHIFT", "'>>'" }, { "EQ", "'=='" },
		{ "NE", "'!='" }, { "LE", "'<='" }, { "GE", "'>='" },
		{ "ANDAND", "'&&'" }, { "OROR", "'||'" },
		{ "ACCESS", "'access'" }, { "TEMPLATE", "'template'" },
		{ "OPERAND", "'operand'" }, { "WHEN", "'when'" },
		{ "ENVREF", "$operand" },
	};
	while (*p && o < sizeof(buf) - 40) {
		size_t i;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			size_t n = strlen(names[i].tok);
			if (!strncmp(p, names[i].tok, n) &&
			    !(p[n] >= 'A' && p[n] <= 'Z')) {
				o += snprintf(buf + o, sizeof(buf) - o, "%s",
					      names[i].say);
				p += n;
				break;
			}
		}
		if (i == sizeof(names) / sizeof(names[0]))
			buf[o++] = *p++;
	}
	buf[o] = 0;
	diag_error(l, "%s", buf);
}
