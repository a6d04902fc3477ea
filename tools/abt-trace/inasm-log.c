// SPDX-License-Identifier: GPL-2.0
/*
 * Prepass: which sites does the guest execute at all? QEMU's -d in_asm
 * log, read from a FIFO as it runs.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <unistd.h>

#include "abt-trace.h"

/* One line of QEMU's in_asm log: "0x00f00004:  7c200124  mtmsr r1". */
static void log_line(struct cap *c, const char *l)
{
	struct abt_fields f;
	unsigned long addr, word;
	struct site *s;
	char *e;
	int rule;

	if (l[0] != '0' || l[1] != 'x')
		return;
	addr = strtoul(l + 2, &e, 16);
	if (*e != ':' || addr > 0xffffffffUL)
		return;
	l = e + 1;
	while (*l == ' ')
		l++;
	word = strtoul(l, &e, 16);
	if (e - l != 8 || (*e && *e != ' '))
		return;
	c->nlogged++;
	rule = abt_decode((uint32_t)word, &f);
	if (rule == ABT_RULE_NONE || (c->o->rule && rule != c->o->rule))
		return;
	s = site_find(&c->sites, (uint32_t)addr);
	if (!s) {
		site_add(&c->sites, (uint32_t)addr, (uint32_t)word, rule, 0xfe);
		s = site_find(&c->sites, (uint32_t)addr);
		c->nextra_sites++;
	}
	s->seen = 1;
}

/* Returns -1 once QEMU closed the log. */
int drain_log(struct cap *c)
{
	char buf[65536];
	ssize_t n;

	if (c->logfd < 0)
		return -1;
	while ((n = read(c->logfd, buf, sizeof(buf))) > 0) {
		ssize_t i;

		for (i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (c->loglen < sizeof(c->logline) - 1)
					c->logline[c->loglen++] = buf[i];
				continue;
			}
			c->logline[c->loglen] = '\0';
			log_line(c, c->logline);
			c->loglen = 0;
		}
	}
	return n == 0 ? -1 : 0;
}
