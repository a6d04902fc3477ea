// SPDX-License-Identifier: GPL-2.0
/* rulesc diagnostics: "file:line:col: error: msg", the source line and a
 * caret, like gcc. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "ast.h"

struct source {
	const char *file;
	const char *text;
};

static struct source *sources;
static int nsources;
static int nerrors;

void diag_add_source(const char *file, const char *text)
{
	struct source s = { file, text };

	PUSH(sources, nsources, s);
}

static void show_line(struct loc l)
{
	for (int i = 0; i < nsources; i++) {
		const char *p;
		int line = 1;

		if (strcmp(sources[i].file, l.file))
			continue;
		for (p = sources[i].text; *p && line < l.line; p++)
			if (*p == '\n')
				line++;
		if (!*p && line < l.line)
			return;
		const char *e = strchr(p, '\n');
		int n = e ? (int)(e - p) : (int)strlen(p);
		fprintf(stderr, " %5d | %.*s\n       | ", l.line, n, p);
		for (int c = 1; c < l.col && c <= n; c++)
			fputc(p[c - 1] == '\t' ? '\t' : ' ', stderr);
		fputs("^\n", stderr);
		return;
	}
}

static void vreport(const char *kind, struct loc l, const char *fmt,
		    va_list ap)
{
	if (l.file)
		fprintf(stderr, "%s:%d:%d: %s: ", l.file, l.line, l.col, kind);
	else
		fprintf(stderr, "rulesc: %s: ", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	if (l.file && l.line > 0)
		show_line(l);
}

void diag_error(struct loc l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("error", l, fmt, ap);
	va_end(ap);
	nerrors++;
}

void diag_note(struct loc l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("note", l, fmt, ap);
	va_end(ap);
}

int diag_errors(void)
{
	return nerrors;
}

static void oom(void)
{
	fputs("rulesc: out of memory\n", stderr);
	exit(2);
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t sz)
{
	p = realloc(p, sz ? sz : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		oom();
	return p;
}
