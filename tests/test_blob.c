// SPDX-License-Identifier: GPL-2.0
/*
 * Profile blobs: `rulesc --profile-blob` output taken by the runtime's
 * abt_profile_parse() (docs/profile-blob.md). The blobs of the bundled
 * profiles equal the compiled-in profiles; a profile from a rule file the
 * host was not built with is taken; every kind of damage is refused with
 * its own reason; rulesc never writes over an input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <zlib.h>

#include "abt.h"
#include "test_tmpdir.h"

#ifndef ABT_RULESC
#define ABT_RULESC "build/rulesc/rulesc"
#endif
#define HOST_RULES "rules/booke.rule rules/linux.rule rules/u-boot.rule"

static unsigned char blob[ABT_BLOB_MAX_LEN + 64];

/* rulesc ARGS; its exit status */
static int rulesc(const char *args)
{
	char cmd[2048];
	int rc;

	snprintf(cmd, sizeof(cmd), "%s %s 2>%s/rulesc.err", ABT_RULESC, args,
		 tmpdir);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int err_has(const char *text)
{
	char path[512], buf[1024] = "";
	FILE *f;
	size_t n;

	path_in(path, sizeof(path), "rulesc.err");
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return strstr(buf, text) != NULL;
}

/* Compile profile name from rule files into tmpdir/name.abtb; its size. */
static u32 make_blob(const char *name, const char *rules)
{
	char args[1400], path[512];
	FILE *f;
	size_t n;

	path_in(path, sizeof(path), name);
	snprintf(args, sizeof(args), "--profile-blob %s -o %s.abtb %s", name,
		 path, rules);
	assert_int_equal(rulesc(args), 0);
	strncat(path, ".abtb", sizeof(path) - strlen(path) - 1);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(blob, 1, sizeof(blob), f);
	fclose(f);
	assert_true(n > ABT_BLOB_HDR_LEN && n <= ABT_BLOB_MAX_LEN);
	return (u32)n;
}

static u32 get32(const unsigned char *b)
{
	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

static void put32(unsigned char *b, u32 v)
{
	b[0] = v >> 24;
	b[1] = v >> 16;
	b[2] = v >> 8;
	b[3] = v;
}

/* After an edit of the body: a valid checksum again. */
static void reseal(u32 len)
{
	put32(blob + 12, crc32(0, blob + ABT_BLOB_HDR_LEN,
			       len - ABT_BLOB_HDR_LEN));
}

static unsigned char *body(void)
{
	return blob + ABT_BLOB_HDR_LEN;
}

static int setup(void **state)
{
	return tmpdir_make("abt-test-blob");
}

static int nop_rw(void *port, u32 ea, void *buf, u32 len)
{
	return 0;
}

static int nop_w(void *port, u32 ea, const void *buf, u32 len)
{
	return 0;
}

static void nop_flush(void *port, u32 ea, u32 len)
{
}

static int nop_perm(void *port, u32 ea, u32 perm)
{
	return 0;
}

static const struct abt_port_ops nops = {
	.read = nop_rw,
	.write = nop_w,
	.flush_icache = nop_flush,
	.set_page_perm = nop_perm,
};

/* The bundled profiles: the blob is the compiled-in profile. */
static void test_blob_equals_compiled(void **state)
{
	struct abt_profile_buf pb;
	const char *why = NULL;
	int i, r;

	for (i = 0; abt_profiles[i]; i++) {
		const struct abt_profile *p = abt_profiles[i];
		u32 len = make_blob(p->name, HOST_RULES);

		assert_int_equal(abt_profile_parse(blob, len, &pb, &why), 0);
		assert_string_equal(pb.prof.name, p->name);
		assert_ptr_equal(pb.prof.layout, p->layout);
		assert_int_equal(pb.prof.magic_ea, p->magic_ea);
		assert_int_equal(pb.prof.threshold, p->threshold);
		assert_int_equal(pb.prof.decay, p->decay);
		assert_int_equal(pb.prof.cluster_max, p->cluster_max);
		assert_int_equal(pb.prof.ntc, p->ntc);
		assert_memory_equal(pb.prof.tc, p->tc, sizeof(p->tc));
		for (r = 0; r < ABT_RULE_COUNT; r++)
			assert_int_equal(pb.prof.enabled[r], p->enabled[r]);
	}
}

/* Same rule files, same bytes. */
static void test_blob_reproducible(void **state)
{
	static unsigned char first[sizeof(blob)];
	u32 a, b;

	a = make_blob("linux", HOST_RULES);
	memcpy(first, blob, a);
	b = make_blob("linux", HOST_RULES);
	assert_int_equal(a, b);
	assert_memory_equal(first, blob, a);
}

/*
 * A guest the host was not built for: one new file with a profile only,
 * compiled now. The host takes it and abt_init runs with it; a magic page
 * out of d(0) reach (rulesc refuses to write one: edited in) is taken by
 * the parser and refused by abt_init.
 */
static void test_blob_new_guest(void **state)
{
	static const char guest[] =
		"profile newguest {\n"
		"    layout      kvm_shared\n"
		"    magic       0xffffe000\n"
		"    threshold   3\n"
		"    decay       0\n"
		"    cluster_max 2\n"
		"    disable     mtmsr\n"
		"    disable     wrtee\n"
		"}\n";
	struct abt_profile_buf pb;
	static struct abt_rt rt;
	char path[512], rules[768];
	const char *why = NULL;
	FILE *f;
	u32 len;
	int r;

	path_in(path, sizeof(path), "newguest.rule");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(guest, f);
	fclose(f);
	assert_null(abt_profile_find("newguest"));
	snprintf(rules, sizeof(rules), "rules/booke.rule %s", path);
	len = make_blob("newguest", rules);
	assert_int_equal(abt_profile_parse(blob, len, &pb, &why), 0);
	assert_string_equal(pb.prof.name, "newguest");
	assert_int_equal(pb.prof.magic_ea, 0xffffe000u);
	assert_int_equal(pb.prof.threshold, 3);
	assert_int_equal(pb.prof.cluster_max, 2);
	for (r = 1; r < ABT_RULE_COUNT; r++) {
		int want = abt_rules[r].shape != ABT_SHAPE_TRAP &&
			   strcmp(abt_rules[r].name, "mtmsr") &&
			   strcmp(abt_rules[r].name, "wrtee");

		assert_int_equal(pb.prof.enabled[r], want);
	}
	assert_int_equal(abt_init(&rt, &pb.prof, &nops, NULL), 0);

	put32(body() + ABT_BLOB_OFF_MAGIC_EA, 0x10000000u);
	reseal(len);
	assert_int_equal(abt_profile_parse(blob, len, &pb, &why), 0);
	assert_int_equal(abt_init(&rt, &pb.prof, &nops, NULL), -ABT_ERANGE);
}

static void refused(u32 len, const char *reason)
{
	struct abt_profile_buf pb;
	const char *why = NULL;

	assert_int_equal(abt_profile_parse(blob, len, &pb, &why),
			 -ABT_EINVAL);
	assert_non_null(why);
	if (!strstr(why, reason))
		fail_msg("refused for '%s', expected '%s'", why, reason);
}

/* Offset of the body entry named name (slot or rule), or -1. */
static int entry(const char *name)
{
	u32 n = get32(body() + ABT_BLOB_OFF_NSLOTS) +
		get32(body() + ABT_BLOB_OFF_NRULES), i;

	for (i = 0; i < n; i++) {
		u32 off = ABT_BLOB_OFF_VAR + i * ABT_BLOB_ENTRY_LEN;

		if (!strcmp((const char *)body() + off, name))
			return (int)off;
	}
	return -1;
}

/* Each kind of damage, each with its reason. */
static void test_blob_damage_refused(void **state)
{
	u32 len = make_blob("linux", HOST_RULES);
	static unsigned char good[sizeof(blob)];
	int off;

	memcpy(good, blob, len);
#define FRESH() memcpy(blob, good, len)
	refused(len - 1, "truncated");
	refused(ABT_BLOB_HDR_LEN - 1, "no ABTB header");
	FRESH(); blob[0] = 'X';
	refused(len, "no ABTB header");
	FRESH(); blob[5] = 2;
	refused(len, "version");
	FRESH(); put32(blob + 8, len + 4);
	refused(len, "truncated");
	FRESH(); put32(blob + 8, ABT_BLOB_MAX_LEN + 4);
	refused(len, "total length");
	FRESH(); body()[ABT_BLOB_OFF_THRESHOLD + 3] ^= 1;
	refused(len, "checksum");
	FRESH(); put32(body() + ABT_BLOB_OFF_NRULES,
		       get32(body() + ABT_BLOB_OFF_NRULES) - 1); reseal(len);
	refused(len, "counts");
	FRESH(); body()[ABT_BLOB_OFF_NAME] = '/'; reseal(len);
	refused(len, "profile or layout name");
	FRESH(); memset(body() + ABT_BLOB_OFF_LAYOUT, 0, ABT_BLOB_NAME_LEN);
	memcpy(body() + ABT_BLOB_OFF_LAYOUT, "other", 5); reseal(len);
	refused(len, "layout unknown");
	FRESH(); off = entry("msr"); assert_true(off > 0);
	put32(body() + off + ABT_BLOB_NAME_LEN, 0x40); reseal(len);
	refused(len, "layout offsets differ");
	FRESH(); off = entry("msr");
	memcpy(body() + off, "nosuchslot", 11); reseal(len);	/* msr gone */
	refused(len, "offsets differ");
	FRESH(); off = entry("mfmsr"); assert_true(off > 0);
	memcpy(body() + off, "mfmsrx", 6); reseal(len);
	refused(len, "rule unknown");
	FRESH(); put32(body() + off + ABT_BLOB_NAME_LEN, 2); reseal(len);
	refused(len, "rule flag");
	FRESH(); put32(body() + ABT_BLOB_OFF_CLUSTER, 0); reseal(len);
	refused(len, "cluster_max");
	FRESH(); put32(body() + ABT_BLOB_OFF_CLUSTER, ABT_MAX_MEMBERS + 1);
	reseal(len);
	refused(len, "cluster_max");
	FRESH(); put32(body() + ABT_BLOB_OFF_NTC, 5); reseal(len);
	refused(len, "TC regions");
#undef FRESH
}

/* A rule the blob does not name traps; the host's trap rules stay trap. */
static void test_blob_missing_rule_traps(void **state)
{
	u32 len = make_blob("linux", HOST_RULES);
	struct abt_profile_buf pb;
	int off = entry("mfmsr");

	assert_true(off > 0);
	assert_int_equal(get32(body() + off + ABT_BLOB_NAME_LEN), 1);
	put32(body() + off + ABT_BLOB_NAME_LEN, 0);
	reseal(len);
	assert_int_equal(abt_profile_parse(blob, len, &pb, NULL), 0);
	assert_int_equal(pb.prof.enabled[ABT_RULE_mfmsr], 0);
	off = entry("rfi");
	assert_true(off > 0);
	put32(body() + off + ABT_BLOB_NAME_LEN, 1);
	reseal(len);
	assert_int_equal(abt_profile_parse(blob, len, &pb, NULL), 0);
	assert_int_equal(pb.prof.enabled[ABT_RULE_rfi], 0);
}

/* rulesc: no such profile, and no output over an input. */
static void test_rulesc_blob_errors(void **state)
{
	char args[1400], path[512];

	assert_int_equal(rulesc("--profile-blob nosuch -o /dev/null " HOST_RULES), 1);
	assert_true(err_has("no profile 'nosuch'"));
	assert_true(err_has("linux"));
	path_in(path, sizeof(path), "copy.rule");
	snprintf(args, sizeof(args), "cp rules/linux.rule %s", path);
	assert_int_equal(system(args), 0);
	snprintf(args, sizeof(args),
		 "--profile-blob linux -o %s rules/booke.rule %s", path, path);
	assert_int_equal(rulesc(args), 1);
	assert_true(err_has("is one of the input files"));
	snprintf(args, sizeof(args), "cmp -s rules/linux.rule %s", path);
	assert_int_equal(system(args), 0);	/* the input is untouched */
	strncat(path, ".tmp", sizeof(path) - strlen(path) - 1);
	assert_false(exists(path));
	assert_int_equal(rulesc("--profile-blob linux " HOST_RULES), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blob_equals_compiled),
		cmocka_unit_test(test_blob_reproducible),
		cmocka_unit_test(test_blob_new_guest),
		cmocka_unit_test(test_blob_damage_refused),
		cmocka_unit_test(test_blob_missing_rule_traps),
		cmocka_unit_test(test_rulesc_blob_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
