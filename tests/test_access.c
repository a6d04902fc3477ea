// SPDX-License-Identifier: GPL-2.0
/*
 * The generated access decoder and the mirror template (the access
 * patterns and `template mirror` of rules/booke.rule), against capstone
 * and against the runtime that uses them:
 *
 *   1. every form of the KVM port's table (and of ls_decode) is an access
 *      pattern; for random fields of each, capstone reads the encoded word
 *      as that form with exactly the decoded operands, and the flags and
 *      length follow from capstone's mnemonic;
 *   2. a sweep of words: the decoder accepts a word iff capstone calls it
 *      one of those forms (X-forms with Rc set, which capstone rejects too,
 *      are no access), and abt_access_encode gives the word back;
 *   3. the runtime's mirror stubs (abt_mirror_compose, runtime/mirror_site.c)
 *      are the template with the decoded access, the temps chosen as for
 *      rule stubs and the template's recovery tables, for D- and X-forms,
 *      rA 0 and ranges whose halves carry; update forms, a range too long
 *      for cmplwi and a return out of branch reach are refused; and the
 *      words themselves are spelled out against capstone
 *      (test_mirror_words), so neither side is checked only by the other.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <capstone/capstone.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "test_rng.h"

/* The forms of abt_access_forms[] in the KVM port (0008). */
static const char *const kvm_forms[] = {
	"lwz", "lwzu", "lbz", "lbzu", "lhz", "lhzu", "lha", "lhau",
	"stw", "stwu", "stb", "stbu", "sth", "sthu",
	"lwzx", "lwzux", "lbzx", "lbzux", "lhzx", "lhzux", "lhax", "lhaux",
	"lwbrx", "lhbrx", "stwx", "stwux", "stbx", "stbux", "sthx", "sthux",
	"stwbrx", "sthbrx",
};
#define NFORMS (sizeof(kvm_forms) / sizeof(kvm_forms[0]))

static csh cs;

static int setup(void **state)
{
	(void)state;
	return cs_open(CS_ARCH_PPC, CS_MODE_32 | CS_MODE_BIG_ENDIAN, &cs) ==
	       CS_ERR_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	cs_close(&cs);
	return 0;
}

/* capstone's mnemonic and operands of w; 0 if it decodes nothing */
static int disasm(u32 w, char *mn, size_t mn_len, char *ops, size_t ops_len)
{
	u8 b[4] = { w >> 24, w >> 16, w >> 8, w };
	cs_insn *insn;
	size_t n = cs_disasm(cs, b, 4, 0x1000, 1, &insn);

	if (!n)
		return 0;
	snprintf(mn, mn_len, "%s", insn[0].mnemonic);
	snprintf(ops, ops_len, "%s", insn[0].op_str);
	cs_free(insn, n);
	return 1;
}

static int kvm_form(const char *mn)
{
	for (size_t i = 0; i < NFORMS; i++)
		if (!strcmp(kvm_forms[i], mn))
			return 1;
	return 0;
}

/* The operands as capstone prints them: hex above 9, RA 0 as "0". */
static void expect_ops(const struct abt_access_insn *a, char *out, size_t n)
{
	char d[32];

	if (a->flags & ABT_ACCESS_INDEXED) {
		snprintf(out, n, "r%u, %s%u, r%u", a->rt, a->ra ? "r" : "",
			 a->ra, a->rb);
		return;
	}
	if (a->d < -9)
		snprintf(d, sizeof(d), "-0x%x", -a->d);
	else if (a->d < 0)
		snprintf(d, sizeof(d), "-%d", -a->d);
	else
		snprintf(d, sizeof(d), a->d > 9 ? "0x%x" : "%d", a->d);
	snprintf(out, n, "r%u, %s(%s%u)", a->rt, d, a->ra ? "r" : "", a->ra);
}

/* Flags and length as the mnemonic spells them: st..., ...u[x], ...a...,
 * ...brx, ...x; w 4, h 2, b 1 bytes. */
static void expect_kind(const char *mn, u8 *len, u8 *flags)
{
	size_t n = strlen(mn);
	int st = mn[0] == 's';
	const char *p = mn + (st ? 2 : 1);
	int brx = strstr(mn, "brx") != NULL;
	int x = mn[n - 1] == 'x';

	*len = p[0] == 'w' ? 4 : p[0] == 'h' ? 2 : 1;
	*flags = (st ? ABT_ACCESS_STORE : 0) |
		 (x ? ABT_ACCESS_INDEXED : 0) |
		 (brx ? ABT_ACCESS_REVERSED : 0) |
		 (!st && p[1] == 'a' ? ABT_ACCESS_ALGEBRAIC : 0) |
		 (!brx && mn[n - 1 - x] == 'u' ? ABT_ACCESS_UPDATE : 0);
}

static void check_word(u32 w, const struct abt_access_insn *a)
{
	char mn[32], ops[160], want[64];
	u8 len, flags;

	if (!disasm(w, mn, sizeof(mn), ops, sizeof(ops)))
		fail_msg("%08x (%s): capstone decodes nothing", w,
			 abt_accesses[a->form].name);
	if (strcmp(mn, abt_accesses[a->form].name))
		fail_msg("%08x: capstone reads %s, the decoder %s", w, mn,
			 abt_accesses[a->form].name);
	expect_ops(a, want, sizeof(want));
	if (strcmp(ops, want))
		fail_msg("%08x %s: capstone reads '%s', the decoder '%s'", w, mn,
			 ops, want);
	expect_kind(mn, &len, &flags);
	if (a->len != len || a->flags != flags)
		fail_msg("%08x %s: len %u flags %#x, the mnemonic says %u %#x", w,
			 mn, a->len, a->flags, len, flags);
	assert_int_equal(abt_access_encode(a), w);
	assert_int_equal(abt_access_gprs(a), 1u << a->rt | 1u << a->ra |
			 (a->flags & ABT_ACCESS_INDEXED ? 1u << a->rb : 0));
}

/* 1. every KVM form, random fields */
static void test_forms(void **state)
{
	(void)state;
	seed_rng(1);
	for (size_t i = 0; i < NFORMS; i++) {
		int f;

		for (f = 1; f < ABT_ACCESS_COUNT; f++)
			if (!strcmp(abt_accesses[f].name, kvm_forms[i]))
				break;
		if (f == ABT_ACCESS_COUNT)
			fail_msg("no access pattern for %s", kvm_forms[i]);
		for (int k = 0; k < 500; k++) {
			struct abt_access_insn in = { 0 }, out;
			u32 w;

			in.form = f;
			in.rt = rnd() & 31;
			in.ra = k < 8 ? 0 : rnd() & 31;	/* rA 0 */
			if (abt_accesses[f].flags & ABT_ACCESS_INDEXED)
				in.rb = rnd() & 31;
			else
				in.d = (s16)rnd();
			w = abt_access_encode(&in);
			assert_int_equal(abt_access_decode(w, &out), f);
			assert_int_equal(out.form, f);
			assert_int_equal(out.rt, in.rt);
			assert_int_equal(out.ra, in.ra);
			assert_int_equal(out.rb, in.rb);
			assert_int_equal(out.d, in.d);
			check_word(w, &out);
		}
	}
	/* and nothing else: every pattern is a KVM form */
	for (int f = 1; f < ABT_ACCESS_COUNT; f++)
		assert_true(kvm_form(abt_accesses[f].name));
	assert_int_equal(ABT_ACCESS_COUNT - 1, NFORMS);
}

/* 2. a sweep: accepted iff capstone names a KVM form */
static void test_sweep(void **state)
{
	int accepted = 0, rejected = 0;

	(void)state;
	seed_rng(2);
	for (int k = 0; k < 400000; k++) {
		u32 w = rnd(), op = k % 4 ? 31 : 32 + k / 4 % 14;
		struct abt_access_insn a;
		char mn[32], ops[160];
		int cap;

		if (k % 2)	/* half with an access opcode or 31 */
			w = (w & 0x03ffffff) | op << 26;
		cap = disasm(w, mn, sizeof(mn), ops, sizeof(ops)) &&
		      kvm_form(mn);
		if (abt_access_decode(w, &a) != ABT_ACCESS_NONE) {
			if (!cap)
				fail_msg("%08x: decoded as %s, capstone reads %s",
					 w, abt_accesses[a.form].name, mn);
			check_word(w, &a);
			accepted++;
		} else {
			if (cap)
				fail_msg("%08x: capstone reads %s %s, the decoder "
					 "rejects it", w, mn, ops);
			rejected++;
		}
	}
	/* both sides well exercised */
	assert_true(accepted > 40000);
	assert_true(rejected > 40000);
}

/* A few words the decoder must reject: privileged and other instructions,
 * reserved bits, string and atomic forms. */
static void test_rejects(void **state)
{
	static const u32 w[] = {
		0x7c6000a6,	/* mfmsr r3 */
		0x7c600124,	/* mtmsr r3 */
		0x7c64282f,	/* lwzx with Rc set */
		0x7c642828,	/* lwarx */
		0x7c64292d,	/* stwcx. */
		0x7c6424aa,	/* lswi */
		0xb8640008,	/* lmw */
		0x7fe32214,	/* add */
		0x38600000,	/* li */
		0x00000000,
		0xffffffff,
	};
	struct abt_access_insn a;
	char mn[32], ops[160];

	(void)state;
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		int cap = disasm(w[i], mn, sizeof(mn), ops, sizeof(ops)) &&
			  kvm_form(mn);

		assert_int_equal(cap, 0);
		assert_int_equal(abt_access_decode(w[i], &a), ABT_ACCESS_NONE);
	}
}

/* ---- 3. the runtime's mirror stubs are the template ---- */

static struct abt_rt rt;

struct mcase {
	u32 ea, size, mirror_ea;	/* the mirror */
	u32 pc, stub;			/* the site and its stub */
};

static const struct mcase mcases[] = {
	{ 0xc0541000, 0x40, 0xc0f00000, 0xc0001000, 0xc0700000 },
	/* halves that carry: lo and delta with bit 15 set, delta < 0 */
	{ 0xc05f8ff0, 0x10, 0xc0208000, 0xc0123454, 0xc0134000 },
	{ 0x00009000, 0x8000, 0x7fff8010, 0x00400000, 0x00008000 },
	/* the longest range cmplwi takes, for a byte (0xffff) */
	{ 0xc0000000, 0xffff, 0xc1000000, 0xc0001000, 0xc0002000 },
};

/* The runtime composer's answer for word w at case c. */
static int runtime_stub(const struct mcase *c, u32 w, struct abt_stub *st)
{
	struct abt_site s;

	memset(&s, 0, sizeof(s));
	rt.mirrors[0].ea = c->ea;
	rt.mirrors[0].size = c->size;
	rt.mirrors[0].mirror_ea = c->mirror_ea;
	rt.mirrors[0].nsites = 1;
	rt.mirrors[0].kind = ABT_MIRROR_DATA;
	s.pc = c->pc;
	s.orig = w;
	s.stub = c->stub;
	s.mirror = 1;
	s.shape = ABT_SHAPE_BRANCH;
	return abt_mirror_compose(&rt, &s, st);
}

/*
 * What the runtime will do with the generated pieces: decode, pick the
 * temps as it does for rule stubs (volatile, r12 down, none the access
 * names), emit the template.
 */
static int generated(const struct mcase *c, u32 w, u32 *buf, u8 t[2])
{
	struct abt_access_insn a;
	struct abt_emit_env env;
	struct abt_tmpl_mirror_args x;
	u32 used, r;
	int n = 0;

	if (abt_access_decode(w, &a) == ABT_ACCESS_NONE || a.len > c->size)
		return -ABT_EINVAL;
	used = 7u | abt_access_gprs(&a);
	t[0] = t[1] = 0;
	for (r = 12; r > 2 && n < 2; r--)
		if (!(used & 1u << r))
			t[n++] = r;
	if (n < 2)
		return -ABT_ERANGE;
	env.magic_ea = rt.prof->magic_ea;
	env.pc = c->stub;
	env.exit_ea = 0;
	env.t[0] = t[0];
	env.t[1] = t[1];
	env.layout = rt.prof->layout;
	x.lo = c->ea;
	x.size = c->size;
	x.delta = c->mirror_ea - c->ea;
	x.ret = c->pc + 4;
	return abt_tmpl_mirror(&env, &a, &x, buf, ABT_MAX_STUB_WORDS);
}

static void compare(const struct mcase *c, u32 w, int *ok, int *refused)
{
	static struct abt_stub st;
	u32 buf[ABT_MAX_STUB_WORDS];
	u8 t[2];
	int h = runtime_stub(c, w, &st), g = generated(c, w, buf, t);

	if (h != g)
		fail_msg("%08x at ea %08x: runtime composer %d, template %d", w,
			 c->ea, h, g);
	if (h < 0) {
		(*refused)++;
		return;
	}
	assert_int_equal(h, ABT_TMPL_mirror_WORDS);
	assert_int_equal(abt_tmpl_mirror_info.nwords, h);
	assert_int_equal(st.t[0], t[0]);
	assert_int_equal(st.t[1], t[1]);
	for (int i = 0; i < h; i++) {
		u8 restore = abt_tmpl_mirror_info.restore[i];

		if (st.words[i] != buf[i])
			fail_msg("%08x at ea %08x: word %d: runtime %08x, "
				 "template %08x", w, c->ea, i, st.words[i],
				 buf[i]);
		assert_int_equal(st.rec[i].committed,
				 abt_tmpl_mirror_info.committed[i]);
		assert_int_equal(st.rec[i].member, 0);
		assert_int_equal(st.rec[i].restore, restore);
	}
	(*ok)++;
}

static void test_mirror_template(void **state)
{
	int ok = 0, refused = 0, upd = 0;

	(void)state;
	memset(&rt, 0, sizeof(rt));
	rt.prof = abt_profile_find("linux");
	assert_non_null(rt.prof);
	seed_rng(3);
	for (size_t c = 0; c < sizeof(mcases) / sizeof(mcases[0]); c++)
		for (int f = 1; f < ABT_ACCESS_COUNT; f++)
			for (int k = 0; k < 40; k++) {
				struct abt_access_insn a = { 0 };

				a.form = f;
				a.rt = rnd() & 31;
				a.ra = k < 4 ? 0 : rnd() & 31;
				a.rb = abt_accesses[f].flags & ABT_ACCESS_INDEXED ?
				       rnd() & 31 : 0;
				a.d = abt_accesses[f].flags & ABT_ACCESS_INDEXED ?
				      0 : (s16)rnd();
				upd += !!(abt_accesses[f].flags & ABT_ACCESS_UPDATE);
				compare(&mcases[c], abt_access_encode(&a), &ok,
					&refused);
			}
	/* update forms are refused by both; the rest composed */
	assert_true(refused >= upd);
	assert_true(ok > 1000);
}

/* The bc offset, the rA-0 forms and the return branch, spelled out from
 * what capstone reads (not from either composer). */
static void test_mirror_words(void **state)
{
	static const struct {
		u32 w;
		const char *ea;		/* word 4 */
		const char *access;	/* word 14 */
	} cases[] = {
		{ 0x80640008, "addi r12, r4, 8", "lwz r3, 0(r12)" },
		{ 0x8060fff0, "li r12, 0xfff0", "lwz r3, 0(r12)" },	/* capstone: u16 */
		{ 0x7c64282e, "add r12, r4, r5", "lwzx r3, 0, r12" },
		{ 0x7c60282e, "mr r12, r5", "lwzx r3, 0, r12" },
		{ 0x7c64272c, "add r12, r4, r4", "sthbrx r3, 0, r12" },
		{ 0xb0640002, "addi r12, r4, 2", "sth r3, 0(r12)" },
	};
	const struct mcase *c = &mcases[0];
	u32 buf[ABT_MAX_STUB_WORDS];
	char mn[32], ops[160], text[200];
	u8 t[2];

	(void)state;
	memset(&rt, 0, sizeof(rt));
	rt.prof = abt_profile_find("linux");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(generated(c, cases[i].w, buf, t), 18);
		assert_int_equal(t[0], 12);
		assert_true(disasm(buf[4], mn, sizeof(mn), ops, sizeof(ops)));
		snprintf(text, sizeof(text), "%s %s", mn, ops);
		assert_string_equal(text, cases[i].ea);
		assert_true(disasm(buf[14], mn, sizeof(mn), ops, sizeof(ops)));
		snprintf(text, sizeof(text), "%s %s", mn, ops);
		assert_string_equal(text, cases[i].access);
		/* bge over the two adds to the CR restore, word 12: read at
		 * 0x1000, capstone's address of the word, 12 bytes on */
		assert_true(disasm(buf[9], mn, sizeof(mn), ops, sizeof(ops)));
		assert_string_equal(mn, "bge");
		assert_string_equal(ops, "0x100c");
		/* the return: site + 4, from word 17 */
		assert_true(disasm(buf[17], mn, sizeof(mn), ops, sizeof(ops)));
		assert_string_equal(mn, "b");
		assert_int_equal((s32)(buf[17] << 6) >> 6,
				 (s32)(c->pc + 4 - (c->stub + 68)));
	}
}

/* Out of branch reach, a range too long for cmplwi, no such access. */
static void test_mirror_refusals(void **state)
{
	static const struct mcase far = {
		0xc0541000, 0x40, 0xc0f00000, 0xc0001000, 0xc4001000,
	};
	static const struct mcase longer = {
		0xc0541000, 0x10004, 0xc0f00000, 0xc0001000, 0xc0700000,
	};
	static struct abt_stub st;
	u32 buf[ABT_MAX_STUB_WORDS];
	u8 t[2];
	struct abt_access_insn none = { 0 };
	struct abt_emit_env env = { 0 };
	struct abt_tmpl_mirror_args x = { 0 };

	(void)state;
	memset(&rt, 0, sizeof(rt));
	rt.prof = abt_profile_find("linux");
	assert_int_equal(runtime_stub(&far, 0x80640008, &st), -ABT_ERANGE);
	assert_int_equal(generated(&far, 0x80640008, buf, t), -ABT_ERANGE);
	assert_int_equal(runtime_stub(&longer, 0x80640008, &st), -ABT_ERANGE);
	assert_int_equal(generated(&longer, 0x80640008, buf, t), -ABT_ERANGE);
	/* lwzu: the access would run on t0 and rA not see the EA */
	assert_int_equal(runtime_stub(&mcases[0], 0x84640008, &st), -ABT_EINVAL);
	assert_int_equal(generated(&mcases[0], 0x84640008, buf, t),
			 -ABT_EINVAL);
	assert_int_equal(abt_tmpl_mirror(&env, &none, &x, buf, 18),
			 -ABT_EINVAL);
	/* too little room */
	assert_int_equal(abt_access_decode(0x80640008, &none), ABT_ACCESS_lwz);
	env.magic_ea = rt.prof->magic_ea;
	env.layout = rt.prof->layout;
	assert_int_equal(abt_tmpl_mirror(&env, &none, &x, buf, 17),
			 -ABT_ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_mirror_template),
		cmocka_unit_test(test_mirror_words),
		cmocka_unit_test(test_mirror_refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
