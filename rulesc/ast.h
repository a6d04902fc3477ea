/* SPDX-License-Identifier: GPL-2.0 */
/* rulesc: abstract syntax of .rule files and the compiler's shared state. */
#ifndef RULESC_AST_H
#define RULESC_AST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct loc {
	const char *file;
	int line;
	int col;
};

struct isa;

enum sym_kind {
	SYM_FIELD, SYM_CONST, SYM_REG, SYM_TEMP, SYM_ZERO, SYM_SPECIAL,
	SYM_SLOT, SYM_LABEL, SYM_EXIT,
	SYM_ENV,		/* a template's $operand */
	SYM_ALEN,		/* a template's access: its length in bytes */
	SYM_AFLAG,		/* a template's access: one of its flags */
};

/* ---- expressions (effects, emit operands, constants) ---- */
enum expr_kind {
	E_NUM, E_NAME, E_SLOT,	/* 42, rD/MSR/MSR_EE/t0, @msr */
	E_SLOTF,		/* @(spr): slot chosen by a field's value */
	E_INDEX,		/* gpr[e], spr[e] */
	E_UNARY, E_BINARY, E_COND,
	E_CALL,			/* call name(args) */
	E_MEM,			/* d(base) in emit operands */
	E_ENV,			/* $name, $name@ha, $name@l: template operand */
	E_BIND,			/* name = e: an operand of a template's access */
};

/* E_ENV suffixes */
enum env_part { ENV_ALL, ENV_HA, ENV_LO };

struct expr {
	enum expr_kind kind;
	struct loc loc;
	int op;			/* operator token for unary/binary; the
				 * enum env_part of an E_ENV */
	int64_t num;
	char *name;
	struct expr *a, *b, *c;
	struct expr **args;
	int nargs;
	/* filled by sema */
	int sym;		/* resolved symbol kind, see enum sym_kind */
	int index;		/* index into that symbol table */
};

/* ---- effect statements ---- */
enum stmt_kind { S_ASSIGN, S_IF, S_BLOCK, S_CALL };

struct stmt {
	enum stmt_kind kind;
	struct loc loc;
	struct expr *lhs, *rhs;		/* assign; rhs = cond for if */
	struct stmt *then, *els;	/* if */
	struct stmt **body;		/* block */
	int nbody;
	struct expr *call;		/* call statement */
};

/* ---- emit (assembly) ---- */
struct asm_line {
	struct loc loc;
	char *label;		/* "name:" (may be alone on a line) */
	char *mnem;		/* NULL for a label-only line */
	struct expr *ops[6];
	int nops;
	const char *src;	/* source text of the line, for listings */
	struct expr *guard;	/* if (guard) / else if (guard) */
	int alt;		/* 0 plain, 1 if, 2 else if, 3 else */
	/* filled by sema */
	bool access;		/* the template's access word */
	const struct isa *isa;
	int word;		/* word index in the body, -1 for label lines */
	int target;		/* branch: word index, or -1 for `exit` */
	int crf_implicit;	/* optional crf operand omitted */
};

/* ---- declarations ---- */
struct piece {
	int pos, len;		/* LSB-based bit position and width */
};

struct field {
	char *name;
	struct loc loc;
	struct piece p[4];
	int npieces;
	int width;		/* total bits */
	bool is_gpr;		/* names a GPR (rD, rS, rA, rB, rT) */
	bool is_signed;		/* name:sN: sign-extended when decoded */
	bool in_rule;		/* named by a rule's picture */
	bool in_access;		/* named by an access pattern's picture */
};

struct constant {
	char *name;
	struct loc loc;
	int64_t value;
};

struct slot {
	char *name;
	struct loc loc;
	int off;		/* byte offset of the field */
	bool u64;		/* 32-bit guest uses the low half at off + 4 */
};

struct layout {
	char *name;
	struct loc loc;
	struct slot *slots;
	int nslots;
};

struct reg {
	char *name;
	struct loc loc;
	int spr;		/* -1: no SPR number */
	char *slot;		/* NULL: lives in struct abt_cpu */
	int slot_index;		/* index in the first layout's slots */
};

/* A set of values of a field: bitmap over 0..1023 (fields up to 10 bits). */
#define SETMAX 1024
struct valset {
	uint8_t bits[SETMAX / 8];
};

struct setdecl {
	char *name;
	struct loc loc;
	struct valset v;
};

struct constraint {
	struct loc loc;
	int field;		/* index into fields */
	bool negate;		/* "not in" */
	struct valset v;
};

enum shape { SH_TRAP, SH_INPLACE, SH_BRANCH, SH_CLUSTER };

/* Flags of an access pattern: bit i is ABT_ACCESS_<aflag_names[i]>. */
#define NAFLAGS 5
extern const char *const aflag_names[NAFLAGS];

/* A rule, a decode-only access pattern or a template share this. */
enum rule_kind { RK_RULE, RK_ACCESS, RK_TEMPLATE };

struct rule {
	enum rule_kind kind;
	char *name;
	struct loc loc;
	uint32_t mask, value;	/* fixed bits */
	uint32_t fmask;		/* bits covered by fields */
	int fields[8];		/* field indexes used by the pattern */
	int nfields;
	struct constraint cons[4];
	int ncons;
	enum shape shape;
	bool has_shape;
	struct loc shape_loc;
	int line_end;
	struct asm_line *emit;
	int nemit;
	struct loc emit_loc;
	struct stmt *effect;
	struct loc effect_loc;
	struct expr *exit_when;	/* when the stub must take its exit path */
	struct loc exit_when_loc;
	/* filled by sema */
	int nwords;
	int ntemps;
	bool uses_cr;
	bool has_exit;
	uint8_t committed[64];
	int commit_word;	/* first commit word, -1 if none */
	/* access patterns */
	int len;		/* bytes accessed */
	unsigned int aflags;	/* bit i: aflag_names[i] */
	struct loc len_loc;
	/* templates */
	char **envs;		/* $operands, in declaration order */
	struct loc *env_locs;
	int nenvs;
	struct expr *when;	/* accesses the template applies to */
	struct loc when_loc;
	uint8_t restore[64];	/* saved state to undo at each word */
};

struct profile {
	char *name;
	struct loc loc;
	char *layout;
	int layout_index;
	uint32_t magic;
	bool has_magic;
	uint32_t threshold, decay, cluster_max;
	uint32_t tc_base[4], tc_size[4];
	int ntc;
	char **disable;
	struct loc *disable_loc;
	int ndisable;
};

/* Everything parsed from all input files. */
struct program {
	struct field *fields;
	int nfields;
	struct constant *consts;
	int nconsts;
	struct layout *layouts;
	int nlayouts;
	struct reg *regs;
	int nregs;
	struct setdecl *sets;
	int nsets;
	struct rule *rules;
	int nrules;
	struct rule *accesses;
	int naccesses;
	struct rule *templates;
	int ntemplates;
	struct profile *profiles;
	int nprofiles;
};

extern struct program prog;

/* diagnostics */
void diag_error(struct loc l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void diag_note(struct loc l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int diag_errors(void);
void diag_add_source(const char *file, const char *text);

/* helpers */
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t sz);
char *xstrdup(const char *s);
#define PUSH(arr, n, item) do { \
	(arr) = xrealloc((arr), sizeof(*(arr)) * ((n) + 1)); \
	(arr)[(n)++] = (item); \
} while (0)

/* parse one file into prog; returns 0 on success (errors are counted) */
int parse_file(const char *path);
void sema(void);
int find_field(const char *name);
int find_set(const char *name);
int find_reg(const char *name);
int find_const(const char *name);
int find_rule(const char *name);
int slot_index(const char *name);	/* in the global slot enum */
extern char **slot_names;		/* union of all layouts' slot names */
extern int nslot_names;
int layout_slot_off(int layout, int slot);	/* word offset or -1 */
int profile_rule_on(const struct profile *pr, int r);
/* effect specials */
extern const char *const specials[];
int rule_has_field(const struct rule *r, int fi);

/* valset helpers */
static inline void vs_add(struct valset *s, unsigned v)
{
	if (v < SETMAX)
		s->bits[v / 8] |= 1u << (v % 8);
}
static inline bool vs_has(const struct valset *s, unsigned v)
{
	return v < SETMAX && (s->bits[v / 8] >> (v % 8)) & 1;
}

#endif
