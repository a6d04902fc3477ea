// SPDX-License-Identifier: GPL-2.0
/*
 * The guest console (QEMU's stdio): the --console-script, loaded from its
 * file and advanced as output arrives, --until-console and --console-log.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abt-trace.h"

static size_t unescape(char *s)
{
	char *o = s, *p = s;

	while (*p) {
		if (*p != '\\' || !p[1]) {
			*o++ = *p++;
			continue;
		}
		p++;
		switch (*p) {
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'x':
			if (rsp_hexval((unsigned char)p[1]) >= 0 &&
			    rsp_hexval((unsigned char)p[2]) >= 0) {
				*o++ = (char)(rsp_hexval((unsigned char)p[1])
					      << 4 |
					      rsp_hexval((unsigned char)p[2]));
				p += 2;
				break;
			}
			/* fall through */
		default:
			*o++ = *p;
		}
		p++;
	}
	*o = '\0';
	return (size_t)(o - s);
}

struct step *load_script(const char *path, int *nsteps)
{
	FILE *f = fopen(path, "r");
	struct step *v = NULL;
	char line[4096];
	int n = 0, ln = 0;

	if (!f)
		die("--console-script %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *arg;
		size_t l = strlen(line);
		int kind;

		ln++;
		if (l && line[l - 1] != '\n' && !feof(f))
			die("%s:%d: line too long", path, ln);
		while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
			line[--l] = '\0';
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		arg = p;
		while (*arg && !isspace((unsigned char)*arg))
			arg++;
		if (*arg)
			*arg++ = '\0';
		if (!strcmp(p, "expect"))
			kind = S_EXPECT;
		else if (!strcmp(p, "send"))
			kind = S_SEND;
		else if (!strcmp(p, "end"))
			kind = S_END;
		else
			die("%s:%d: unknown directive '%s' (expect, send, end)",
			    path, ln, p);
		if (kind == S_EXPECT && !*arg)
			die("%s:%d: expect needs text", path, ln);
		v = realloc(v, (size_t)(n + 1) * sizeof(*v));
		if (!v)
			die("out of memory");
		v[n].kind = kind;
		v[n].text = strdup(arg);
		if (!v[n].text)
			die("out of memory");
		v[n].len = unescape(v[n].text);
		v[n].line = ln;
		if (kind == S_EXPECT && !v[n].len)
			die("%s:%d: expect needs text", path, ln);
		n++;
	}
	fclose(f);
	*nsteps = n;
	return v;
}

void script_advance(struct cap *c)
{
	while (c->step < c->nsteps) {
		struct step *s = &c->script[c->step];

		if (s->kind == S_SEND) {
			qemu_write(c, s->text, s->len);
			qemu_write(c, "\r", 1);
			c->step++;
			continue;
		}
		if (s->kind == S_END) {
			end_capture(c, 1, "console script: end (line %d)",
				    s->line);
			c->step++;
			return;
		}
		/* expect */
		{
			char *hit = memmem(c->con, c->conlen, s->text, s->len);
			size_t used;

			if (!hit)
				return;
			used = (size_t)(hit - c->con) + s->len;
			memmove(c->con, c->con + used, c->conlen - used);
			c->conlen -= used;
			c->step++;
		}
	}
}

static void console_input(struct cap *c, const char *buf, size_t n)
{
	const char *m = c->o->until_console;

	if (c->clog) {
		fwrite(buf, 1, n, c->clog);
		fflush(c->clog);
	}
	/* expect buffer: keep the newest CONSOLE_KEEP bytes */
	if (n >= CONSOLE_KEEP) {
		buf += n - CONSOLE_KEEP;
		n = CONSOLE_KEEP;
	}
	if (c->conlen + n > CONSOLE_KEEP) {
		size_t drop = c->conlen + n - CONSOLE_KEEP;

		memmove(c->con, c->con + drop, c->conlen - drop);
		c->conlen -= drop;
	}
	memcpy(c->con + c->conlen, buf, n);
	c->conlen += n;

	if (m) {
		size_t ml = strlen(m), keep = ml - 1;
		char *scan = malloc(c->taillen + n);

		if (!scan)
			die("out of memory");
		memcpy(scan, c->tail, c->taillen);
		memcpy(scan + c->taillen, buf, n);
		if (memmem(scan, c->taillen + n, m, ml))
			end_capture(c, 1, "console printed \"%s\"", m);
		if (c->taillen + n > keep) {
			memcpy(c->tail, scan + c->taillen + n - keep, keep);
			c->taillen = keep;
		} else {
			memcpy(c->tail, scan, c->taillen + n);
			c->taillen += n;
		}
		free(scan);
	}
	script_advance(c);
}

/* Returns 0, or -1 when QEMU closed its stdout. */
int drain_console(struct cap *c)
{
	char buf[8192];
	ssize_t n;

	while ((n = read(c->qemu_out, buf, sizeof(buf))) > 0)
		console_input(c, buf, (size_t)n);
	if (n == 0)
		return -1;
	return 0;
}
