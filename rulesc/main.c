// SPDX-License-Identifier: GPL-2.0
/* rulesc: compile abt rule files into gen/. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ast.h"

#define RULESC_VERSION "0.1.0"

int codegen(const char *dir);
int profile_blob(const char *name, const char *path, const char **inputs,
		 int ninputs);
int listing(FILE *f, int check);
void lex_reset(void);
extern const char *lex_file;
int yyparse(void);
typedef struct yy_buffer_state *YY_BUFFER_STATE;
YY_BUFFER_STATE yy_scan_bytes(const char *bytes, int len);
void yy_delete_buffer(YY_BUFFER_STATE b);

static char *read_all(const char *path, long *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n = 0, cap = 0;
	size_t got;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = xrealloc(buf, cap);
		}
		got = fread(buf + n, 1, 4096, f);
		n += got;
		if (got < 4096)
			break;
	}
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}

static const char *line_text(const char *text, int line)
{
	const char *p = text;
	int l = 1;

	while (*p && l < line)
		if (*p++ == '\n')
			l++;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!strncmp(p, "emit", 4) && (p[4] == ' ' || p[4] == '\t'))
		for (p += 4; *p == ' ' || *p == '\t'; p++)
			;
	const char *e = p;

	while (*e && *e != '\n' && *e != '#')
		e++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	char *s = xcalloc(1, e - p + 1);

	memcpy(s, p, e - p);
	/* tabs between mnemonic and operands read better as one space */
	for (char *c = s; *c; c++)
		if (*c == '\t')
			*c = ' ';
	return s;
}

int parse_file(const char *path)
{
	long len = 0;
	char *text = read_all(path, &len);
	int before = prog.nrules, tbefore = prog.ntemplates;

	if (!text) {
		fprintf(stderr, "rulesc: cannot read %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	if ((long)strlen(text) != len) {
		fprintf(stderr, "%s: error: file contains a NUL byte\n", path);
		return -1;
	}
	diag_add_source(path, text);
	lex_file = path;
	lex_reset();
	YY_BUFFER_STATE b = yy_scan_bytes(text, (int)len);

	yyparse();
	yy_delete_buffer(b);
	for (int i = before; i < prog.nrules; i++)
		for (int j = 0; j < prog.rules[i].nemit; j++)
			prog.rules[i].emit[j].src =
				line_text(text, prog.rules[i].emit[j].loc.line);
	for (int i = tbefore; i < prog.ntemplates; i++)
		for (int j = 0; j < prog.templates[i].nemit; j++)
			prog.templates[i].emit[j].src =
				line_text(text, prog.templates[i].emit[j].loc.line);
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: rulesc [-o DIR] [--listing [--check]] FILE.rule...\n"
	      "       rulesc --profile-blob NAME -o FILE FILE.rule...\n"
	      "\n"
	      "Compile abt rule files: instruction patterns, stub bodies,\n"
	      "reference semantics, decode-only access patterns, stub\n"
	      "templates, magic-page layouts and guest profiles.\n"
	      "\n"
	      "  -o DIR       write the generated C to DIR (abt_types.h,\n"
	      "               abt_insn.h, abt_gen.h, abt_decode.c, abt_emit.c,\n"
	      "               abt_regs.c, abt_emulate.c, abt_tables.c); files\n"
	      "               are written whole or not at all\n"
	      "  --listing    print every translatable rule's and template's\n"
	      "               emitted words, disassembled by capstone, beside\n"
	      "               the source line\n"
	      "  --check      with --listing: exit 1 if capstone decodes any\n"
	      "               word differently from the rule's source line\n"
	      "  --profile-blob NAME\n"
	      "               write guest profile NAME as a profile blob to\n"
	      "               the file -o names (whole or not at all; never\n"
	      "               over an input), for a host to take at run time:\n"
	      "               the KVM capability (abt-vmm --abt-profile) or\n"
	      "               the tools' --profile-file; docs/profile-blob.md\n"
	      "  --help       this text\n"
	      "  --version    print the version\n"
	      "\n"
	      "Errors are reported as FILE:LINE:COL: error: ...; the exit\n"
	      "status is 1 if there was any, and nothing is written then.\n"
	      "See docs/rule-language.md and docs/rulesc.1.\n", f);
}

int main(int argc, char **argv)
{
	const char *outdir = NULL, *blob = NULL;
	int want_listing = 0, check = 0, nfiles = 0;
	const char **inputs = xcalloc(argc, sizeof(char *));

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf("rulesc %s\n", RULESC_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "-o")) {
			if (++i == argc) {
				fputs("rulesc: -o needs a directory\n", stderr);
				return 2;
			}
			outdir = argv[i];
		} else if (!strcmp(argv[i], "--profile-blob")) {
			if (++i == argc) {
				fputs("rulesc: --profile-blob needs a profile name\n",
				      stderr);
				return 2;
			}
			blob = argv[i];
		} else if (!strcmp(argv[i], "--listing")) {
			want_listing = 1;
		} else if (!strcmp(argv[i], "--check")) {
			check = 1;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "rulesc: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		} else {
			inputs[nfiles++] = argv[i];
		}
	}
	if (!nfiles) {
		fputs("rulesc: no input files\n", stderr);
		usage(stderr);
		return 2;
	}
	if (blob && (!outdir || want_listing)) {
		fputs("rulesc: --profile-blob needs -o FILE and no --listing\n",
		      stderr);
		return 2;
	}
	if (!outdir && !want_listing) {
		fputs("rulesc: nothing to do: give -o DIR or --listing\n", stderr);
		return 2;
	}
	for (int i = 0; i < nfiles; i++)
		if (parse_file(inputs[i]))
			return 1;
	sema();	/* also after syntax errors: report all a file has */
	if (diag_errors()) {
		fprintf(stderr, "rulesc: %d error%s; nothing written\n",
			diag_errors(), diag_errors() == 1 ? "" : "s");
		return 1;
	}
	if (blob)
		return profile_blob(blob, outdir, inputs, nfiles) ? 1 : 0;
	if (outdir && codegen(outdir))
		return 1;
	if (want_listing && listing(stdout, check))
		return 1;
	return 0;
}

/*
 * rulesc is a short-lived compiler: it keeps its AST until exit on purpose.
 * Under ASan (make SAN=1) do not report that as leaks; every other check
 * stays on.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
