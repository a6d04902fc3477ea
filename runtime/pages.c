// SPDX-License-Identifier: GPL-2.0
/*
 * abt traced pages: keep patched code invisible to guest data accesses.
 *
 * A page holding a patched word or a stub (or a mirrored range, see
 * mirror.c) is made execute-only in the port's shadow TLB through a
 * reference count per page: the first reference sets ABT_PERM_X, the last
 * one going sets ABT_PERM_RWX again. Guest loads and stores to it then
 * trap; what they see and what they drop is the business of view.c and
 * drop.c. Guest mappings (resize.c) are told how many traced pages they
 * hold.
 */
#include "internal.h"

ABT_STATIC_ASSERT(page_bits, ABT_MAX_PAGES == 1 << ABT_PAGE_BITS);

#define PAGE_HASH_MASK	(ABT_MAX_PAGES - 1)

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
		p->reads = 0;
		if (rt->nmaps)
			abt_map_traced(rt, ea, true);
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
	ea = rt->pages[i].ea;
	rt->ops->set_page_perm(rt->port, ea, ABT_PERM_RWX);
	page_unhash(rt, i);
	if (rt->nmaps)
		abt_map_traced(rt, ea, false);
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

/* Pages of [ea, ea+size): a mirror's range stays traced while it lives. */
void abt_range_unref(struct abt_rt *rt, u32 ea, u32 size)
{
	u32 p = ea & ABT_PAGE_MASK, last = (ea + size - 1) & ABT_PAGE_MASK;

	for (;; p += ABT_PAGE_SIZE) {
		page_unref(rt, p);
		if (p == last)
			break;
	}
}

int abt_range_ref(struct abt_rt *rt, u32 ea, u32 size)
{
	u32 p = ea & ABT_PAGE_MASK, last = (ea + size - 1) & ABT_PAGE_MASK;
	int rc;

	for (;; p += ABT_PAGE_SIZE) {
		rc = page_ref(rt, p);
		if (rc) {
			if (p != (ea & ABT_PAGE_MASK))
				abt_range_unref(rt, ea & ABT_PAGE_MASK,
					    p - (ea & ABT_PAGE_MASK));
			return rc;
		}
		if (p == last)
			return 0;
	}
}

/* Traced pages inside [ea, ea+size), for a guest mapping recorded now. */
u32 abt_pages_traced_in(const struct abt_rt *rt, u32 ea, u32 size)
{
	u32 i, n = 0;

	for (i = 0; i < ABT_MAX_PAGES; i++)
		if (rt->pages[i].nsites && rt->pages[i].ea - ea < size)
			n++;
	return n;
}

/*
 * Read bursts. A page whose code the guest reads as data again and again
 * (a checksum, a copy, a debugger) costs a DSI per load while it holds
 * patches; past rt->read_burst loads the page should give its patches up
 * (they re-qualify and are patched again once the guest executes them).
 * Counts one load DSI on the traced page holding ea; true when the page
 * has just passed the burst (its count starts again).
 */
bool abt_page_burst(struct abt_rt *rt, u32 ea)
{
	struct abt_page *p;
	int i;

	i = page_slot(rt, ea & ABT_PAGE_MASK);
	if (i < 0 || !rt->pages[i].nsites)
		return false;
	p = &rt->pages[i];
	if (++p->reads <= rt->read_burst)
		return false;
	p->reads = 0;
	return true;
}
