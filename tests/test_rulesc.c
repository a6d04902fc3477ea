// SPDX-License-Identifier: GPL-2.0
/*
 * rulesc as a black box: run the compiler on small rule files and check its
 * exit status, its diagnostics and what it leaves in the output directory.
 *
 *   tests/rulesc/err/NAME.rule  must fail. Each states what rulesc must say:
 *       # expect: LINE:COL: message substring       (an error)
 *       # expect-note: LINE:COL: message substring  (a note)
 *     Every expectation must appear as FILE:LINE:COL: error: ... (or note:),
 *     no other error may be reported, the exit status must be 1 (a signal is
 *     a failure), and the output directory must be exactly as it was:
 *     never a partial gen/.
 *   tests/rulesc/ok/NAME.rule   must compile: exit 0, nothing on stderr, all
 *     eight files, no temporaries left, the generated C compiles with
 *     -Wall -Wextra -Werror, and --listing --check agrees with capstone.
 *
 * Plus the command line (--help, --version, no arguments, bad options),
 * unreadable inputs, NUL bytes, and the real rules: two runs give the same
 * bytes, and they are the committed gen/.
 *
 * usage: test_rulesc [RULESC [SRCDIR]]  (defaults from -DRULESC_PATH and
 * -DABT_SRCDIR, set by tests/tests.mk)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef RULESC_PATH
#define RULESC_PATH "build/rulesc/rulesc"
#endif
#ifndef ABT_SRCDIR
#define ABT_SRCDIR "."
#endif
#ifndef ABT_CC
#define ABT_CC "cc"
#endif

static const char *rulesc = RULESC_PATH;
static const char *srcdir = ABT_SRCDIR;

static const char *const gen_files[] = {
	"abt_types.h", "abt_insn.h", "abt_gen.h", "abt_decode.c",
	"abt_emit.c", "abt_emulate.c", "abt_regs.c", "abt_tables.c",
};
#define NGEN (sizeof(gen_files) / sizeof(gen_files[0]))

static const char *const real_rules[] = {
	"rules/booke.rule", "rules/linux.rule", "rules/u-boot.rule",
};

/* ---- small utilities ---- */

static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = malloc(n + 1);
	assert_non_null(s);
	va_start(ap, fmt);
	vsnprintf(s, n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* Whole file, NUL-terminated; *len gets the byte count. NULL if absent. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, got;

	if (!f)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			cap = cap ? 2 * cap : 65536;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		got = fread(buf + n, 1, 4096, f);
		n += got;
	} while (got == 4096);
	fclose(f);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

static void spit(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static char *make_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char *d = xasprintf("%s/abt-rulesc-XXXXXX", t && *t ? t : "/tmp");

	assert_non_null(mkdtemp(d));
	return d;
}

/* rm -r of a directory one or two levels deep (all we create) */
static void rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d) {
		unlink(path);
		return;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *p = xasprintf("%s/%s", path, e->d_name);
		struct stat st;

		if (!lstat(p, &st) && S_ISDIR(st.st_mode))
			rm_tree(p);
		else
			unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(path);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in a directory matching suffix (NULL: all but . and ..). */
static char **list_dir(const char *path, const char *suffix, int *n)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char **v = NULL;
	int k = 0;

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name), sl = suffix ? strlen(suffix) : 0;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (suffix && (l <= sl || strcmp(e->d_name + l - sl, suffix)))
			continue;
		v = realloc(v, sizeof(*v) * (k + 1));
		assert_non_null(v);
		v[k++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(v, k, sizeof(*v), cmp_str);
	*n = k;
	return v;
}

static void free_list(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* A directory's names and contents, as one string, to compare. */
static char *snapshot(const char *dir)
{
	int n;
	char **names = list_dir(dir, NULL, &n);
	size_t cap = 1, len = 0;
	char *s = calloc(1, 1);

	assert_non_null(s);
	if (!names) {
		free(s);
		return strdup("(no directory)");
	}
	for (int i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);
		size_t flen = 0;
		char *c = slurp(p, &flen);
		char *hdr = xasprintf("== %s %zu\n", names[i], flen);
		size_t need = len + strlen(hdr) + flen + 1;

		if (need > cap) {
			cap = need * 2;
			s = realloc(s, cap);
			assert_non_null(s);
		}
		memcpy(s + len, hdr, strlen(hdr));
		len += strlen(hdr);
		if (c)
			memcpy(s + len, c, flen);
		len += flen;
		s[len] = 0;
		free(hdr);
		free(c);
		free(p);
	}
	free_list(names, n);
	return s;
}

/* ---- running rulesc ---- */

struct run {
	int exited;	/* 1: exited normally */
	int status;	/* exit status, or the signal number */
	char *out, *err;
};

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* Run argv (argv[0] is the program) with stdout/stderr captured. A child
 * that runs longer than 60 s is killed by SIGALRM (and so fails). */
static struct run run_argv(char *const argv[])
{
	char *dir = make_tmpdir();
	char *o = xasprintf("%s/out", dir), *e = xasprintf("%s/err", dir);
	struct run r = { 0 };
	int st;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fo = open(o, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int fe = open(e, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fo < 0 || fe < 0)
			_exit(127);
		dup2(fo, 1);
		dup2(fe, 2);
		close(fo);
		close(fe);
		/* Under SAN=1 rulesc is built with ASan: keep its memory error
		 * checks, but a one-shot compiler need not free its AST. */
		const char *ao = getenv("ASAN_OPTIONS");
		char opts[1024];

		snprintf(opts, sizeof(opts), "%s%sdetect_leaks=0",
			 ao ? ao : "", ao && *ao ? ":" : "");
		setenv("ASAN_OPTIONS", opts, 1);
		alarm(60);
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		assert_int_equal(errno, EINTR);
	r.exited = WIFEXITED(st);
	r.status = r.exited ? WEXITSTATUS(st) : WIFSIGNALED(st) ? WTERMSIG(st) : -1;
	r.out = slurp(o, NULL);
	r.err = slurp(e, NULL);
	assert_non_null(r.out);
	assert_non_null(r.err);
	rm_tree(dir);
	free(o);
	free(e);
	free(dir);
	return r;
}

#define RUN(...) run_argv((char *const[]){ (char *)rulesc, __VA_ARGS__, NULL })

static void assert_exit(const struct run *r, int code)
{
	if (!r->exited) {
		print_error("rulesc killed by signal %d\nstderr:\n%s\n", r->status,
			    r->err);
		fail();
	}
	if (r->status != code) {
		print_error("rulesc exit status %d, expected %d\nstderr:\n%s\n",
			    r->status, code, r->err);
		fail();
	}
}

/* An output directory with stale files in it: an earlier gen/, and a file
 * rulesc knows nothing about. */
static char *make_populated_outdir(const char *parent)
{
	char *d = xasprintf("%s/gen", parent);

	assert_int_equal(mkdir(d, 0777), 0);
	for (size_t i = 0; i < NGEN; i++) {
		char *p = xasprintf("%s/%s", d, gen_files[i]);
		char *c = xasprintf("/* stale %s */\n", gen_files[i]);

		spit(p, c, strlen(c));
		free(p);
		free(c);
	}
	char *p = xasprintf("%s/README.keep", d);

	spit(p, "not rulesc's\n", 13);
	free(p);
	return d;
}

/* ---- expectations in err files ---- */

struct expect {
	int note;
	int line, col;
	char msg[256];
};

static int parse_expects(const char *text, struct expect *x, int max)
{
	int n = 0;

	for (const char *p = text; *p; ) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char line[512];

		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = 0;
		p += len + (eol ? 1 : 0);

		const char *q = line;
		int note;

		while (*q == ' ' || *q == '\t')
			q++;
		if (!strncmp(q, "# expect:", 9))
			note = 0, q += 9;
		else if (!strncmp(q, "# expect-note:", 14))
			note = 1, q += 14;
		else
			continue;
		assert_true(n < max);
		int off = 0;

		if (sscanf(q, " %d:%d:%n", &x[n].line, &x[n].col, &off) != 2 ||
		    !off) {
			print_error("malformed expectation: %s\n", line);
			fail();
		}
		q += off;
		while (*q == ' ')
			q++;
		snprintf(x[n].msg, sizeof(x[n].msg), "%s", q);
		x[n].note = note;
		n++;
	}
	return n;
}

/* Does err hold a line "path:L:C: kind: ...msg..."? */
static int has_diag(const char *err, const char *path, const struct expect *x)
{
	char *pre = xasprintf("%s:%d:%d: %s: ", path, x->line, x->col,
			      x->note ? "note" : "error");
	size_t pl = strlen(pre);
	int found = 0;

	for (const char *p = err; *p && !found; ) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (len > pl && !strncmp(p, pre, pl)) {
			char *rest = strndup(p + pl, len - pl);

			found = strstr(rest, x->msg) != NULL;
			free(rest);
		}
		p += len + (eol ? 1 : 0);
	}
	free(pre);
	return found;
}

/* Number of "path:L:C: error: " lines. */
static int count_errors(const char *err, const char *path)
{
	size_t pl = strlen(path);
	int n = 0;

	for (const char *p = err; *p; ) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		int l, c, off = 0;

		if (len > pl && !strncmp(p, path, pl) && p[pl] == ':' &&
		    sscanf(p + pl, ":%d:%d: error: %n", &l, &c, &off) == 2 && off)
			n++;
		p += len + (eol ? 1 : 0);
	}
	return n;
}

/* ---- err/ files, one test each ---- */

static void test_err_file(void **state)
{
	const char *name = *state;
	char *path = xasprintf("%s/tests/rulesc/err/%s", srcdir, name);
	char *text = slurp(path, NULL);
	struct expect x[64];
	int nx, bad = 0;

	assert_non_null(text);
	nx = parse_expects(text, x, 64);
	if (nx == 0) {
		print_error("%s states no '# expect:' lines\n", name);
		fail();
	}

	char *tmp = make_tmpdir();
	char *out = make_populated_outdir(tmp);
	char *fresh = xasprintf("%s/fresh", tmp);
	char *before = snapshot(out);

	struct run r = RUN("-o", out, path);

	assert_exit(&r, 1);
	for (int i = 0; i < nx; i++)
		if (!has_diag(r.err, path, &x[i])) {
			print_error("%s: missing %s %d:%d: %s\n", name,
				    x[i].note ? "note" : "error", x[i].line,
				    x[i].col, x[i].msg);
			bad++;
		}
	int nerr = 0, got = count_errors(r.err, path);

	for (int i = 0; i < nx; i++)
		nerr += !x[i].note;
	if (got != nerr) {
		print_error("%s: %d errors reported, %d expected\n", name, got,
			    nerr);
		bad++;
	}
	char *summary = xasprintf("rulesc: %d error%s; nothing written", got,
				  got == 1 ? "" : "s");

	if (!strstr(r.err, summary)) {
		print_error("%s: no summary line '%s'\n", name, summary);
		bad++;
	}
	char *after = snapshot(out);

	if (strcmp(before, after)) {
		print_error("%s: output directory changed\n", name);
		bad++;
	}
	if (bad)
		print_error("---- rulesc stderr ----\n%s----\n", r.err);
	run_free(&r);

	/* a directory that does not exist yet is not created either */
	r = RUN("-o", fresh, path);
	assert_exit(&r, 1);
	if (access(fresh, F_OK) == 0) {
		print_error("%s: rulesc created %s\n", name, fresh);
		bad++;
	}
	run_free(&r);
	assert_int_equal(bad, 0);

	free(summary);
	free(before);
	free(after);
	rm_tree(tmp);
	free(tmp);
	free(out);
	free(fresh);
	free(text);
	free(path);
}

/* ---- ok/ files, one test each ---- */

static void compile_generated(const char *dir)
{
	for (size_t i = 0; i < NGEN; i++) {
		size_t l = strlen(gen_files[i]);

		if (gen_files[i][l - 1] != 'c')
			continue;
		char *inc = xasprintf("-I%s", dir);
		char *src = xasprintf("%s/%s", dir, gen_files[i]);
		/* ABT_CC is make's $(CC): a command line, maybe several words */
		struct run r = run_argv((char *const[]){
			"/bin/sh", "-c",
			"exec " ABT_CC " -std=gnu99 -Wall -Wextra "
			"-Wno-unused-parameter -Werror -fsyntax-only \"$0\" \"$1\"",
			inc, src, NULL });

		if (!r.exited || r.status) {
			print_error("generated %s does not compile:\n%s\n",
				    gen_files[i], r.err);
			fail();
		}
		run_free(&r);
		free(inc);
		free(src);
	}
}

static void check_gen_dir(const char *dir)
{
	int n;
	char **names = list_dir(dir, NULL, &n);

	for (size_t i = 0; i < NGEN; i++) {
		char *p = xasprintf("%s/%s", dir, gen_files[i]);
		size_t len = 0;
		char *c = slurp(p, &len);

		if (!c || len < 40) {
			print_error("%s missing or short\n", p);
			fail();
		}
		assert_non_null(strstr(c, "Do not edit"));
		free(c);
		free(p);
	}
	/* the eight files and nothing else (no temporaries) */
	if ((size_t)n != NGEN) {
		for (int i = 0; i < n; i++)
			print_error("  %s\n", names[i]);
		print_error("%s holds %d files, expected %zu\n", dir, n, NGEN);
		fail();
	}
	free_list(names, n);
}

static void test_ok_file(void **state)
{
	const char *name = *state;
	char *path = xasprintf("%s/tests/rulesc/ok/%s", srcdir, name);
	char *tmp = make_tmpdir();
	char *out = xasprintf("%s/gen", tmp);
	struct run r = RUN("-o", out, path);

	assert_exit(&r, 0);
	if (r.err[0]) {
		print_error("stderr not empty:\n%s\n", r.err);
		fail();
	}
	run_free(&r);
	check_gen_dir(out);
	compile_generated(out);

	r = RUN("--listing", "--check", path);
	assert_exit(&r, 0);
	assert_non_null(strstr(r.out, " 0 mismatches"));
	run_free(&r);
	rm_tree(tmp);
	free(tmp);
	free(out);
	free(path);
}

/* ---- command line ---- */

static void test_help_version(void **state)
{
	struct run r = RUN("--help");

	assert_exit(&r, 0);
	assert_non_null(strstr(r.out, "usage: rulesc"));
	assert_non_null(strstr(r.out, "--listing"));
	run_free(&r);

	r = RUN("-h");
	assert_exit(&r, 0);
	assert_non_null(strstr(r.out, "usage: rulesc"));
	/* -o's text and the man page name every file rulesc writes */
	char *man_path = xasprintf("%s/docs/rulesc.1", srcdir);
	size_t man_len = 0;
	char *man = slurp(man_path, &man_len);

	assert_non_null(man);
	for (size_t i = 0; i < NGEN; i++) {
		char *i_line = xasprintf("\n.I %s\n", gen_files[i]);

		if (!strstr(r.out, gen_files[i]) || !strstr(man, i_line)) {
			print_error("--help or docs/rulesc.1 does not name %s\n",
				    gen_files[i]);
			fail();
		}
		free(i_line);
	}
	free(man);
	free(man_path);
	run_free(&r);

	r = RUN("--version");
	assert_exit(&r, 0);
	assert_true(!strncmp(r.out, "rulesc ", 7));
	assert_true(r.out[7] >= '0' && r.out[7] <= '9');
	run_free(&r);
}

static void test_usage_errors(void **state)
{
	struct run r = run_argv((char *const[]){ (char *)rulesc, NULL });

	assert_exit(&r, 2);
	assert_non_null(strstr(r.err, "no input files"));
	assert_non_null(strstr(r.err, "usage: rulesc"));
	run_free(&r);

	r = RUN("--frobnicate", "x.rule");
	assert_exit(&r, 2);
	assert_non_null(strstr(r.err, "unknown option '--frobnicate'"));
	run_free(&r);

	r = RUN("x.rule");	/* neither -o nor --listing */
	assert_exit(&r, 2);
	assert_non_null(strstr(r.err, "nothing to do"));
	run_free(&r);

	r = RUN("x.rule", "-o");
	assert_exit(&r, 2);
	assert_non_null(strstr(r.err, "-o needs a directory"));
	run_free(&r);
}

static void test_missing_input(void **state)
{
	char *tmp = make_tmpdir();
	char *out = make_populated_outdir(tmp);
	char *before = snapshot(out);
	char *missing = xasprintf("%s/no-such.rule", tmp);
	char *good = xasprintf("%s/tests/rulesc/ok/minimal.rule", srcdir);
	struct run r = RUN("-o", out, missing);

	assert_exit(&r, 1);
	char *want = xasprintf("cannot read %s: No such file or directory",
			       missing);

	if (!strstr(r.err, want)) {
		print_error("stderr lacks '%s':\n%s\n", want, r.err);
		fail();
	}
	run_free(&r);

	/* a good file first changes nothing: all inputs or no output */
	r = RUN("-o", out, good, missing);
	assert_exit(&r, 1);
	assert_non_null(strstr(r.err, want));
	run_free(&r);

	/* a directory given as input */
	r = RUN("-o", out, tmp);
	assert_exit(&r, 1);
	assert_non_null(strstr(r.err, "cannot read"));
	run_free(&r);

	char *after = snapshot(out);

	assert_string_equal(before, after);
	free(before);
	free(after);
	free(want);
	free(good);
	free(missing);
	free(out);
	rm_tree(tmp);
	free(tmp);
}

static void test_nul_byte(void **state)
{
	static const char text[] =
		"layout L {\n    scratch1 0 u32\n\0    scratch2 8 u32\n}\n";
	char *tmp = make_tmpdir();
	char *out = make_populated_outdir(tmp);
	char *before = snapshot(out);
	char *in = xasprintf("%s/nul.rule", tmp);

	spit(in, text, sizeof(text) - 1);
	struct run r = RUN("-o", out, in);

	assert_exit(&r, 1);
	char *want = xasprintf("%s: error: file contains a NUL byte", in);

	if (!strstr(r.err, want)) {
		print_error("stderr lacks '%s':\n%s\n", want, r.err);
		fail();
	}
	run_free(&r);
	char *after = snapshot(out);

	assert_string_equal(before, after);
	free(want);
	free(before);
	free(after);
	free(in);
	free(out);
	rm_tree(tmp);
	free(tmp);
}

/* An empty file and a file of comments only are valid syntax, but a
 * program without a layout is not: a clean error, no crash. */
static void test_empty_input(void **state)
{
	char *tmp = make_tmpdir();
	char *in = xasprintf("%s/empty.rule", tmp);
	char *out = xasprintf("%s/gen", tmp);

	spit(in, "", 0);
	struct run r = RUN("-o", out, in);

	assert_exit(&r, 1);
	assert_non_null(strstr(r.err, "no layout declared"));
	assert_int_equal(access(out, F_OK), -1);
	run_free(&r);
	free(in);
	free(out);
	rm_tree(tmp);
	free(tmp);
}

/* ---- the real rules ---- */

static struct run run_real(const char *out)
{
	char *p[3];
	struct run r;

	for (int i = 0; i < 3; i++)
		p[i] = xasprintf("%s/%s", srcdir, real_rules[i]);
	r = RUN("-o", (char *)out, p[0], p[1], p[2]);
	for (int i = 0; i < 3; i++)
		free(p[i]);
	return r;
}

/* rulesc writes the paths it was given into gen/ (banners, rule_info
 * file names), so it runs from srcdir with relative paths, as make does. */
static struct run run_real_rel(const char *out)
{
	char *cmd = xasprintf("cd \"$1\" && exec \"$0\" -o \"$2\" %s %s %s",
			      real_rules[0], real_rules[1], real_rules[2]);
	struct run r = run_argv((char *const[]){ "/bin/sh", "-c", cmd,
						 (char *)rulesc,
						 (char *)srcdir, (char *)out,
						 NULL });

	free(cmd);
	return r;
}

static void test_deterministic(void **state)
{
	char *tmp = make_tmpdir();
	char *a = xasprintf("%s/a", tmp), *b = xasprintf("%s/b", tmp);
	struct run r = run_real(a);

	assert_exit(&r, 0);
	run_free(&r);
	r = run_real(b);
	assert_exit(&r, 0);
	run_free(&r);
	check_gen_dir(a);
	check_gen_dir(b);
	for (size_t i = 0; i < NGEN; i++) {
		char *pa = xasprintf("%s/%s", a, gen_files[i]);
		char *pb = xasprintf("%s/%s", b, gen_files[i]);
		size_t la, lb;
		char *ca = slurp(pa, &la), *cb = slurp(pb, &lb);

		assert_non_null(ca);
		assert_non_null(cb);
		if (la != lb || memcmp(ca, cb, la)) {
			print_error("%s differs between two runs\n", gen_files[i]);
			fail();
		}
		free(ca);
		free(cb);
		free(pa);
		free(pb);
	}
	free(a);
	free(b);
	rm_tree(tmp);
	free(tmp);
}

static void test_regen_matches_gen(void **state)
{
	char *tmp = make_tmpdir();
	char *out = xasprintf("%s/gen", tmp);
	struct run r = run_real_rel(out);

	assert_exit(&r, 0);
	assert_string_equal(r.err, "");
	run_free(&r);
	for (size_t i = 0; i < NGEN; i++) {
		char *pa = xasprintf("%s/gen/%s", srcdir, gen_files[i]);
		char *pb = xasprintf("%s/%s", out, gen_files[i]);
		size_t la = 0, lb = 0;
		char *ca = slurp(pa, &la), *cb = slurp(pb, &lb);

		if (!ca || !cb || la != lb || memcmp(ca, cb, la)) {
			print_error("gen/%s is not what rulesc generates from "
				    "the committed rules\n", gen_files[i]);
			fail();
		}
		free(ca);
		free(cb);
		free(pa);
		free(pb);
	}
	free(out);
	rm_tree(tmp);
	free(tmp);
}

/* Writing over an earlier gen/: every file replaced whole, files that are
 * not rulesc's left alone, no temporaries left behind. */
static void test_overwrite(void **state)
{
	char *tmp = make_tmpdir();
	char *out = make_populated_outdir(tmp);
	struct run r = run_real(out);
	int n;
	char **names;

	assert_exit(&r, 0);
	run_free(&r);
	names = list_dir(out, NULL, &n);
	assert_int_equal(n, NGEN + 1);
	for (int i = 0; i < n; i++)
		assert_true(names[i][0] != '.');
	free_list(names, n);
	for (size_t i = 0; i < NGEN; i++) {
		char *p = xasprintf("%s/%s", out, gen_files[i]);
		char *c = slurp(p, NULL);

		assert_non_null(c);
		assert_null(strstr(c, "stale"));
		free(c);
		free(p);
	}
	char *p = xasprintf("%s/README.keep", out);
	char *c = slurp(p, NULL);

	assert_non_null(c);
	assert_string_equal(c, "not rulesc's\n");
	free(c);
	free(p);
	free(out);
	rm_tree(tmp);
	free(tmp);
}

/* The listing covers every translatable rule of the real rules and
 * capstone agrees with every word. */
static void test_listing_real(void **state)
{
	char *p[3];

	for (int i = 0; i < 3; i++)
		p[i] = xasprintf("%s/%s", srcdir, real_rules[i]);
	struct run r = RUN("--listing", "--check", p[0], p[1], p[2]);

	assert_exit(&r, 0);
	assert_non_null(strstr(r.out, " 0 mismatches"));
	assert_null(strstr(r.out, "MISMATCH"));
	static const char *const translated[] = {
		" mfmsr (inplace", " mtmsr (cluster", " wrtee (cluster",
		" wrteei0 (cluster", " wrteei1 (cluster",
		" mfspr_slot (inplace", " mtspr_slot (inplace",
	};
	for (size_t i = 0; i < sizeof(translated) / sizeof(translated[0]); i++)
		if (!strstr(r.out, translated[i])) {
			print_error("listing lacks '%s'\n", translated[i]);
			fail();
		}
	run_free(&r);
	for (int i = 0; i < 3; i++)
		free(p[i]);
}

int main(int argc, char **argv)
{
	int ne, no;
	char **err, **ok;
	char *d;

	if (argc > 1)
		rulesc = argv[1];
	if (argc > 2)
		srcdir = argv[2];
	if (access(rulesc, X_OK)) {
		fprintf(stderr, "test_rulesc: cannot run %s: %s\n", rulesc,
			strerror(errno));
		return 1;
	}
	d = xasprintf("%s/tests/rulesc/err", srcdir);
	err = list_dir(d, ".rule", &ne);
	free(d);
	d = xasprintf("%s/tests/rulesc/ok", srcdir);
	ok = list_dir(d, ".rule", &no);
	free(d);
	if (ne < 10 || no < 1) {
		fprintf(stderr, "test_rulesc: too few rule files under "
			"%s/tests/rulesc (%d err, %d ok)\n", srcdir, ne, no);
		return 1;
	}

	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_help_version),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_missing_input),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_regen_matches_gen),
		cmocka_unit_test(test_overwrite),
		cmocka_unit_test(test_listing_real),
	};
	size_t nf = sizeof(fixed) / sizeof(fixed[0]);
	struct CMUnitTest *t = calloc(nf + ne + no, sizeof(*t));
	size_t k = 0;

	if (!t)
		return 1;
	for (size_t i = 0; i < nf; i++)
		t[k++] = fixed[i];
	for (int i = 0; i < ne; i++) {
		struct CMUnitTest u = { 0 };

		u.name = xasprintf("err/%s", err[i]);
		u.test_func = test_err_file;
		u.initial_state = err[i];
		t[k++] = u;
	}
	for (int i = 0; i < no; i++) {
		struct CMUnitTest u = { 0 };

		u.name = xasprintf("ok/%s", ok[i]);
		u.test_func = test_ok_file;
		u.initial_state = ok[i];
		t[k++] = u;
	}
	/* one group: the suite runner reads one PASSED/FAILED total */
	int rc = _cmocka_run_group_tests("rulesc", t, k, NULL, NULL);

	for (size_t i = nf; i < k; i++)
		free((char *)t[i].name);
	free(t);
	free_list(err, ne);
	free_list(ok, no);
	return rc;
}
