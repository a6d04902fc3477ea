// SPDX-License-Identifier: GPL-2.0
/*
 * abt tracer: keeps patched code invisible to guest data accesses.
 *
 * A page holding a patched word or a stub is made execute-only in the
 * port's shadow TLB. A guest load from it traps and is served the original
 * words (abt_trace_read); a guest store traps and first drops every patch
 * it touches (abt_trace_write), so self-modifying code, module loading and
 * code reads (checksums, kprobes, jump labels) see the guest's own bytes.
 */
#include "internal.h"

ABT_STATIC_ASSERT(page_bits, ABT_MAX_PAGES == 1 << ABT_PAGE_BITS);

#define PAGE_HASH_MASK	(ABT_MAX_PAGES - 1)
/* Ranges up to this many words are searched word by word in the site hash;
 * longer ones scan the site table. */
#define TRACE_SMALL_WORDS	32

static inline u32 page_home(u32 ea)
{
	return abt_hash(ea >> 12, ABT_PAGE_BITS);
}

/* Slot of page ea, or the free slot ending its probe; -1 if full. */
static int page_slot(const struct abt_rt *rt, u32 ea)
{
	u32 h = page_home(ea), i;
	const struct abt_page *p;

	for (i = 0; i < ABT_MAX_PAGES; i++, h = (h + 1) & PAGE_HASH_MASK) {
		p = &rt->pages[h];
		if (!p->nsites || p->ea == ea)
			return h;
	}
	return -1;
}

static void page_unhash(struct abt_rt *rt, u32 i)
{
	u32 j = i, home;

	for (;;) {
		rt->pages[i].nsites = 0;
		rt->pages[i].ea = 0;
		for (;;) {
			j = (j + 1) & PAGE_HASH_MASK;
			if (!rt->pages[j].nsites)
				return;
			home = page_home(rt->pages[j].ea);
			if (((j - home) & PAGE_HASH_MASK) >=
			    ((j - i) & PAGE_HASH_MASK))
				break;
		}
		rt->pages[i] = rt->pages[j];
		i = j;
	}
}

bool abt_page_traced(const struct abt_rt *rt, u32 ea)
{
	int i = page_slot(rt, ea & ABT_PAGE_MASK);

	return i >= 0 && rt->pages[i].nsites;
}

static int page_ref(struct abt_rt *rt, u32 ea)
{
	struct abt_page *p;
	int i;

	ea &= ABT_PAGE_MASK;
	i = page_slot(rt, ea);
	if (i < 0)
		return -ABT_EFULL;
	p = &rt->pages[i];
	if (!p->nsites) {
		if (rt->ops->set_page_perm(rt->port, ea, ABT_PERM_X))
			return -ABT_EIO;
		p->ea = ea;
	}
	p->nsites++;
	return 0;
}

static void page_unref(struct abt_rt *rt, u32 ea)
{
	int i = page_slot(rt, ea & ABT_PAGE_MASK);

	if (i < 0 || !rt->pages[i].nsites)
		return;
	if (--rt->pages[i].nsites)
		return;
	rt->ops->set_page_perm(rt->port, rt->pages[i].ea, ABT_PERM_RWX);
	page_unhash(rt, i);
}

/* Pages a site touches: its code page, then the pages of its stub. */
static int site_pages(const struct abt_site *s, u32 pg[3])
{
	u32 first, last;
	int n = 0;

	pg[n++] = s->pc & ABT_PAGE_MASK;
	if (!s->stub)
		return n;
	first = s->stub & ABT_PAGE_MASK;
	last = (s->stub + 4 * s->stub_words - 1) & ABT_PAGE_MASK;
	pg[n++] = first;
	if (last != first)
		pg[n++] = last;
	return n;
}

int abt_trace_site(struct abt_rt *rt, const struct abt_site *s)
{
	u32 pg[3];
	int n = site_pages(s, pg), i, rc;

	for (i = 0; i < n; i++) {
		rc = page_ref(rt, pg[i]);
		if (rc) {
			while (i--)
				page_unref(rt, pg[i]);
			return rc;
		}
	}
	return 0;
}

void abt_untrace_site(struct abt_rt *rt, const struct abt_site *s)
{
	u32 pg[3];
	int n = site_pages(s, pg), i;

	for (i = 0; i < n; i++)
		page_unref(rt, pg[i]);
}

/* Put the original bytes of the site's patched word into buf. */
static void overlay(const struct abt_site *s, u32 ea, u8 *buf, u32 len)
{
	u8 b[4];
	u32 i, off;

	abt_put_be32(b, s->orig);
	for (i = 0; i < 4; i++) {
		off = s->pc + i - ea;
		if (off < len)
			buf[off] = b[i];
	}
}

/* Number of words from the word holding ea - back to the one holding the
 * last byte of the range: the candidates for a site hash search. */
static u32 range_words(u32 ea, u32 len, u32 back)
{
	return ((ea & 3) + len + 3) / 4 + back / 4;
}

int abt_read_orig(struct abt_rt *rt, u32 ea, void *buf, u32 len)
{
	const struct abt_site *s;
	u32 a, i, n;

	if (rt->ops->read(rt->port, ea, buf, len))
		return -ABT_EIO;
	if (!rt->nsites || !len)
		return 0;
	n = range_words(ea, len, 0);
	if (n <= TRACE_SMALL_WORDS) {
		for (i = 0, a = ea & ~3u; i < n; i++, a += 4) {
			s = abt_site_get(rt, a);
			if (s)
				overlay(s, ea, buf, len);
		}
		return 0;
	}
	for (i = 0; i < ABT_MAX_SITES; i++) {
		s = &rt->sites[i];
		if (s->pc && abt_overlap(s->pc, 4, ea, len))
			overlay(s, ea, buf, len);
	}
	return 0;
}

int abt_trace_read(struct abt_rt *rt, u32 ea, void *buf, u32 len)
{
	rt->stats.trace_reads++;
	return abt_read_orig(rt, ea, buf, len);
}

/* A store to any member word or into the stub invalidates the site. */
static bool site_hit(const struct abt_site *s, u32 ea, u32 len)
{
	return abt_overlap(s->pc, 4 * s->nmembers, ea, len) ||
	       (s->stub && abt_overlap(s->stub, 4 * s->stub_words, ea, len));
}

static bool range_in_tc(const struct abt_rt *rt, u32 ea, u32 len)
{
	u32 i;

	for (i = 0; i < rt->ntc; i++)
		if (abt_overlap(rt->tc[i].base, rt->tc[i].size, ea, len))
			return true;
	return false;
}

int abt_trace_write(struct abt_rt *rt, u32 ea, u32 len)
{
	const u32 back = 4 * (ABT_MAX_MEMBERS - 1);
	const struct abt_site *s;
	u32 a, i, n;
	int dropped = 0;

	rt->stats.trace_writes++;
	if (!rt->nsites || !len)
		return 0;
	n = range_words(ea, len, back);
	if (n <= TRACE_SMALL_WORDS && !range_in_tc(rt, ea, len)) {
		/* A cluster covers words after its site: look back too. */
		for (i = 0, a = (ea & ~3u) - back; i < n; i++, a += 4) {
			s = abt_site_get(rt, a);
			if (s && site_hit(s, ea, len) &&
			    !abt_untranslate(rt, a))
				dropped++;
		}
		return dropped;
	}
	for (i = 0; i < ABT_MAX_SITES; i++) {
		s = &rt->sites[i];
		if (s->pc && site_hit(s, ea, len) &&
		    !abt_untranslate(rt, s->pc))
			dropped++;
	}
	return dropped;
}
