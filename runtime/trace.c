// SPDX-License-Identifier: GPL-2.0
/*
 * abt tracer: keeps patched code invisible to guest data accesses.
 *
 * A page holding a patched word or a stub is made execute-only in the
 * port's shadow TLB. A guest load from it traps and is served the original
 * words (abt_trace_read); a guest store traps and first drops every patch
 * it touches (abt_trace_write), so self-modifying code, module loading and
 * code reads (checksums, kprobes, jump labels) see the guest's own bytes.
 *
 * The second half of this file makes tracing cheap (docs/runtime.md
 * "Memory features"): abt_dsi() counts DSIs per accessing PC and mirrors
 * hot data, resizes the shadow of huge guest mappings so only traced 4 KiB
 * pages lose R/W, and steals read-only guest ranges for TC space.
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

static void map_traced(struct abt_rt *rt, u32 page, bool more);

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
			map_traced(rt, ea, true);
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
		map_traced(rt, ea, false);
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

static int mirror_overlay(struct abt_rt *rt, u32 ea, u8 *buf, u32 len);

int abt_read_orig(struct abt_rt *rt, u32 ea, void *buf, u32 len)
{
	const struct abt_site *s;
	u32 a, i, n;

	if (rt->ops->read(rt->port, ea, buf, len))
		return -ABT_EIO;
	if (rt->nmirrors && mirror_overlay(rt, ea, buf, len))
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
	abt_for_each_site(rt, s)
		if (abt_overlap(s->pc, 4, ea, len))
			overlay(s, ea, buf, len);
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

/* Drop every patch with a word in [ea, ea+len) or a stub overlapping it. */
static int trace_drop(struct abt_rt *rt, u32 ea, u32 len)
{
	const u32 back = 4 * (ABT_MAX_MEMBERS - 1);
	const struct abt_site *s;
	u32 a, i, n;
	int dropped = 0;

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
	abt_for_each_site(rt, s)
		if (site_hit(s, ea, len) && !abt_untranslate(rt, s->pc))
			dropped++;
	return dropped;
}

int abt_trace_write(struct abt_rt *rt, u32 ea, u32 len)
{
	rt->stats.trace_writes++;
	return trace_drop(rt, ea, len);
}

/*
 * Read bursts. A page whose code the guest reads as data again and again
 * (a checksum, a copy, a debugger) costs a DSI per load while it holds
 * patches; past rt->read_burst loads the page gives its patches up (they
 * re-qualify and are patched again once the guest executes them). Loads a
 * mirror can take over do not count: they stop trapping once mirrored.
 */
static void read_burst(struct abt_rt *rt, u32 ea)
{
	struct abt_page *p;
	int i, rc;

	i = page_slot(rt, ea & ABT_PAGE_MASK);
	if (i < 0 || !rt->pages[i].nsites)
		return;
	p = &rt->pages[i];
	if (++p->reads <= rt->read_burst)
		return;
	p->reads = 0;
	rc = trace_drop(rt, ea & ABT_PAGE_MASK, ABT_PAGE_SIZE);
	if (rc > 0) {
		rt->stats.read_bursts++;
		rt->stats.burst_drops += rc;
	}
}

/* ------------------------------------------------------------------------
 * Memory features.
 *
 * Mirrors. A mirror keeps guest bytes [ea, ea+size) at mirror_ea, in a
 * mirror region. While it exists the pages of [ea, ea+size) stay traced
 * (the mirror holds a page reference), so every access to the original
 * range that was not rewritten traps:
 *  - DATA: the mirror is authoritative. Rewritten accesses use only the
 *    mirror; trapped loads of the original are served from it (overlay in
 *    abt_read_orig); trapped stores go to both. When its last rewritten
 *    access goes, the mirror is copied back and freed.
 *  - STOLEN: the original range is TC space; the mirror holds the guest's
 *    bytes, served to trapped loads. A trapped store gives the range back.
 */

static u64 mem_now(const struct abt_rt *rt)
{
	return rt->clock + rt->stats.exits;
}

u32 abt_set_features(struct abt_rt *rt, u32 want)
{
	u32 f = want & ABT_FEAT_ALL;

	if (!rt->ops->split_mapping || !rt->ops->merge_mapping)
		f &= ~ABT_FEAT_RESIZE;
	if (!rt->nmirror_regions)
		f &= ~(ABT_FEAT_MIRROR | ABT_FEAT_STEAL);
	rt->features = f;
	return f;
}

int abt_mirror_add_region(struct abt_rt *rt, u32 base, u32 size)
{
	struct abt_mirror_region *r;
	u32 n = size >> ABT_TC_GRANULE_SHIFT, i;

	if (rt->nmirror_regions >= ABT_MAX_MIRROR_REGIONS)
		return -ABT_EFULL;
	if (!base || (base | size) & (ABT_TC_GRANULE - 1) || !n ||
	    base + size - 1 < base)
		return -ABT_EINVAL;
	if (n > ABT_MIRROR_MAX_GRANULES)
		n = ABT_MIRROR_MAX_GRANULES;
	for (i = 0; i < rt->ntc; i++)
		if (abt_overlap(base, n << ABT_TC_GRANULE_SHIFT,
				rt->tc[i].base, rt->tc[i].size))
			return -ABT_EBUSY;
	for (i = 0; i < rt->nmirror_regions; i++)
		if (abt_overlap(base, n << ABT_TC_GRANULE_SHIFT,
				rt->mregion[i].base, rt->mregion[i].size))
			return -ABT_EBUSY;
	r = &rt->mregion[rt->nmirror_regions++];
	r->base = base;
	r->size = n << ABT_TC_GRANULE_SHIFT;
	r->ngranules = n;
	for (i = 0; i < sizeof(r->map); i++)
		r->map[i] = 0;
	return 0;
}

static int mreg_alloc(struct abt_rt *rt, u32 size, u32 *ea)
{
	u32 n = (size + ABT_TC_GRANULE - 1) >> ABT_TC_GRANULE_SHIFT;
	u32 i, g, run;
	struct abt_mirror_region *r;

	for (i = 0; i < rt->nmirror_regions; i++) {
		r = &rt->mregion[i];
		for (g = 0, run = 0; g < r->ngranules; g++) {
			if (abt_gran_used(r->map, g)) {
				run = 0;
				continue;
			}
			if (++run < n)
				continue;
			g = g + 1 - n;
			abt_gran_mark(r->map, g, n, true);
			*ea = r->base + (g << ABT_TC_GRANULE_SHIFT);
			return 0;
		}
	}
	return -ABT_EFULL;
}

static void mreg_free(struct abt_rt *rt, u32 ea, u32 size)
{
	u32 n = (size + ABT_TC_GRANULE - 1) >> ABT_TC_GRANULE_SHIFT, i;
	struct abt_mirror_region *r;

	for (i = 0; i < rt->nmirror_regions; i++) {
		r = &rt->mregion[i];
		if (ea - r->base < r->size) {
			abt_gran_mark(r->map,
				      (ea - r->base) >> ABT_TC_GRANULE_SHIFT,
				      n, false);
			return;
		}
	}
}

static struct abt_mirror *mirror_over(const struct abt_rt *rt, u32 ea,
				      u32 len, u8 kind)
{
	const struct abt_mirror *m;
	u32 i;

	if (!rt->nmirrors)
		return NULL;
	for (i = 0; i < ABT_MAX_MIRRORS; i++) {
		m = &rt->mirrors[i];
		if (m->ea && (!kind || m->kind == kind) &&
		    abt_overlap(m->ea, m->size, ea, len))
			return (struct abt_mirror *)m;
	}
	return NULL;
}

/* Does m hold all of [lo, hi) (a range that overlaps it)? */
static bool mirror_holds(const struct abt_mirror *m, u32 lo, u32 hi)
{
	return lo >= m->ea && hi - m->ea <= m->size;
}

const struct abt_mirror *abt_mirror_find(const struct abt_rt *rt, u32 ea)
{
	return mirror_over(rt, ea, 1, 0);
}

bool abt_mirror_hit(const struct abt_rt *rt, u32 ea, u32 len)
{
	return mirror_over(rt, ea, len, ABT_MIRROR_DATA) != NULL;
}

/* Copy guest bytes between an original range and its mirror. */
static int copy_guest(struct abt_rt *rt, u32 to, u32 from, u32 len)
{
	u8 *b = rt->scratch.bounce;
	u32 n;

	while (len) {
		n = len < sizeof(rt->scratch.bounce) ? len :
						       sizeof(rt->scratch.bounce);
		if (rt->ops->read(rt->port, from, b, n) ||
		    rt->ops->write(rt->port, to, b, n))
			return -ABT_EIO;
		to += n;
		from += n;
		len -= n;
	}
	return 0;
}

/* Put the mirrored bytes of [ea, ea+len) into buf. */
static int mirror_overlay(struct abt_rt *rt, u32 ea, u8 *buf, u32 len)
{
	const struct abt_mirror *m;
	u32 i, lo, hi;

	for (i = 0; i < ABT_MAX_MIRRORS; i++) {
		m = &rt->mirrors[i];
		if (!m->ea || !abt_overlap(m->ea, m->size, ea, len))
			continue;
		lo = ea - m->ea < m->size ? ea : m->ea;
		hi = m->ea + m->size - ea < len ? m->ea + m->size : ea + len;
		if (rt->ops->read(rt->port, m->mirror_ea + (lo - m->ea),
				  buf + (lo - ea), hi - lo))
			return -1;
	}
	return 0;
}

/* Write the stored bytes of [ea, ea+len) into the data mirrors they hit. */
static int mirror_store(struct abt_rt *rt, u32 ea, const u8 *buf, u32 len)
{
	const struct abt_mirror *m;
	u32 i, lo, hi;

	for (i = 0; i < ABT_MAX_MIRRORS; i++) {
		m = &rt->mirrors[i];
		if (!m->ea || m->kind != ABT_MIRROR_DATA ||
		    !abt_overlap(m->ea, m->size, ea, len))
			continue;
		lo = ea - m->ea < m->size ? ea : m->ea;
		hi = m->ea + m->size - ea < len ? m->ea + m->size : ea + len;
		if (rt->ops->write(rt->port, m->mirror_ea + (lo - m->ea),
				   buf + (lo - ea), hi - lo))
			return -ABT_EIO;
		rt->stats.mirror_writes++;
	}
	return 0;
}

static void range_unref(struct abt_rt *rt, u32 ea, u32 size)
{
	u32 p = ea & ABT_PAGE_MASK, last = (ea + size - 1) & ABT_PAGE_MASK;

	for (;; p += ABT_PAGE_SIZE) {
		page_unref(rt, p);
		if (p == last)
			break;
	}
}

static int range_ref(struct abt_rt *rt, u32 ea, u32 size)
{
	u32 p = ea & ABT_PAGE_MASK, last = (ea + size - 1) & ABT_PAGE_MASK;
	int rc;

	for (;; p += ABT_PAGE_SIZE) {
		rc = page_ref(rt, p);
		if (rc) {
			if (p != (ea & ABT_PAGE_MASK))
				range_unref(rt, ea & ABT_PAGE_MASK,
					    p - (ea & ABT_PAGE_MASK));
			return rc;
		}
		if (p == last)
			return 0;
	}
}

/* New mirror of [ea, ea+size); the range's pages become traced. */
static struct abt_mirror *mirror_new(struct abt_rt *rt, u32 ea, u32 size,
				     u8 kind)
{
	struct abt_mirror *m = NULL;
	u32 i, mea;

	for (i = 0; i < ABT_MAX_MIRRORS && !m; i++)
		if (!rt->mirrors[i].ea)
			m = &rt->mirrors[i];
	if (!m || mreg_alloc(rt, size, &mea))
		return NULL;
	if (copy_guest(rt, mea, ea, size) || range_ref(rt, ea, size)) {
		mreg_free(rt, mea, size);
		return NULL;
	}
	m->ea = ea;
	m->size = size;
	m->mirror_ea = mea;
	m->nsites = 0;
	m->kind = kind;
	rt->nmirrors++;
	return m;
}

/* Copy the mirror back (it is authoritative) and free it. */
static void mirror_free(struct abt_rt *rt, struct abt_mirror *m)
{
	u32 ea = m->ea, size = m->size;

	copy_guest(rt, ea, m->mirror_ea, size);
	m->ea = 0;	/* no overlay from now on */
	rt->nmirrors--;
	range_unref(rt, ea, size);
	mreg_free(rt, m->mirror_ea, size);
}

void abt_mirror_put(struct abt_rt *rt, u32 idx)
{
	struct abt_mirror *m = &rt->mirrors[idx];

	if (!m->ea || --m->nsites || m->kind != ABT_MIRROR_DATA)
		return;
	mirror_free(rt, m);
}

static bool range_traced(const struct abt_rt *rt, u32 ea, u32 len);

/*
 * Data accesses that can be rewritten: non-update, non-string loads and
 * stores of 1, 2 or 4 bytes, D-form or X-form (incl. byte-reversed).
 */
struct ls_insn {
	u8 rt, ra, rb;		/* rb: X-form only */
	u8 xform;
	u8 size;
	u8 store, brx, sext;	/* store; byte-reversed; lha(x) */
	s16 d;
};

static bool ls_decode(u32 w, struct ls_insn *l)
{
	u32 op = w >> 26, xo = (w >> 1) & 0x3ff;

	l->rt = (w >> 21) & 31;
	l->ra = (w >> 16) & 31;
	l->rb = (w >> 11) & 31;
	l->d = (s16)(w & 0xffff);
	l->xform = 0;
	l->store = op == 36 || op == 38 || op == 44 ||
		   (op == 31 && (xo == 151 || xo == 215 || xo == 407 ||
				 xo == 662 || xo == 918));
	l->brx = op == 31 && (xo == 534 || xo == 662 || xo == 790 ||
			      xo == 918);
	l->sext = op == 42 || (op == 31 && xo == 343);
	switch (op) {
	case 32: case 36:		/* lwz stw */
		l->size = 4;
		return true;
	case 34: case 38:		/* lbz stb */
		l->size = 1;
		return true;
	case 40: case 42: case 44:	/* lhz lha sth */
		l->size = 2;
		return true;
	case 31:
		break;
	default:
		return false;
	}
	l->xform = 1;
	if (w & 1)
		return false;
	switch (xo) {
	case 23: case 151: case 534: case 662:	/* lwzx stwx lwbrx stwbrx */
		l->size = 4;
		return true;
	case 87: case 215:			/* lbzx stbx */
		l->size = 1;
		return true;
	case 279: case 343: case 407: case 790: case 918:
		l->size = 2;			/* lhzx lhax sthx lhbrx sthbrx */
		return true;
	default:
		return false;
	}
}

/* The access word itself, addressing 0(t0) (D) or 0,t0 (X). */
static u32 ls_at_t0(u32 w, const struct ls_insn *l, u32 t0)
{
	if (l->xform)
		return (w & ~(0x1fu << 16 | 0x1fu << 11)) | t0 << 11;
	return (w & ~(0x1fu << 16 | 0xffffu)) | t0 << 16;
}

/* Words of a mirror stub, and where its access (the commit) is. */
#define MSTUB_WORDS	18
#define MSTUB_ACCESS	14

static s32 lo16(u32 v)
{
	return (s16)(v & 0xffff);
}

static s32 ha16(u32 v)
{
	return (s16)((v + 0x8000) >> 16);
}

/*
 *  0  stw t0,scratch1(0)        9  bge 12
 *  1  stw t1,scratch2(0)       10  addis t0,t0,delta@ha
 *  2  mfcr t0                  11  addi t0,t0,delta@l
 *  3  stw t0,scratch3(0)       12  lwz t1,scratch3(0)
 *  4  t0 = EA (addi/li/add/mr) 13  mtcrf 0xff,t1
 *  5  lis t1,lo@ha             14  the access at 0(t0)    <- commit
 *  6  addi t1,t1,lo@l          15  lwz t1,scratch2(0)
 *  7  subf t1,t1,t0            16  lwz t0,scratch1(0)
 *  8  cmplwi t1,size-len+1     17  b site+4
 *
 * Before word 14 an interrupt restores what was saved and restarts at the
 * site; after it, restores the rest and resumes at site + 4.
 */
int abt_mirror_compose(struct abt_rt *rt, const struct abt_site *s,
		       struct abt_stub *st)
{
	static const u8 mask[MSTUB_WORDS] = {
		0, 1, 3, 3, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 3, 1, 0,
	};
	const struct abt_mirror *m;
	struct ls_insn l;
	s32 d1, d2, d3;
	u32 used, t0 = 0, t1 = 0, r, delta, i;
	u32 *w = st->words;

	if (!s->mirror || s->mirror > ABT_MAX_MIRRORS)
		return -ABT_EINVAL;
	m = &rt->mirrors[s->mirror - 1];
	if (!m->ea || !ls_decode(s->orig, &l) || l.size > m->size)
		return -ABT_EINVAL;
	if (m->size - l.size + 1 > 0xffff)
		return -ABT_ERANGE;	/* cmplwi takes 16 bits */
	if (abt_magic_disp(rt->prof, ABT_SLOT_SCRATCH1, &d1) ||
	    abt_magic_disp(rt->prof, ABT_SLOT_SCRATCH2, &d2) ||
	    abt_magic_disp(rt->prof, ABT_SLOT_SCRATCH3, &d3))
		return -ABT_ERANGE;
	/* Temps as in stub.c: volatile, not r0-r2, named by no operand. */
	used = 7u | 1u << l.rt | 1u << l.ra | (l.xform ? 1u << l.rb : 0);
	for (r = 12; r > 2 && !t1; r--) {
		if (used & (1u << r))
			continue;
		if (!t0)
			t0 = r;
		else
			t1 = r;
	}
	if (!t1)
		return -ABT_ERANGE;
	delta = m->mirror_ea - m->ea;
	w[0] = abt_enc_stw(t0, 0, d1);
	w[1] = abt_enc_stw(t1, 0, d2);
	w[2] = abt_enc_mfcr(t0);
	w[3] = abt_enc_stw(t0, 0, d3);
	if (l.xform)
		w[4] = l.ra ? (ABT_OP(31) | ABT_RT(t0) | ABT_RA(l.ra) |
			       ABT_RB(l.rb) | ABT_XO(266)) :
			      abt_enc_mr(t0, l.rb);
	else
		w[4] = abt_enc_addi(t0, l.ra, l.d);	/* ra 0: li */
	w[5] = abt_enc_addis(t1, 0, ha16(m->ea));
	w[6] = abt_enc_addi(t1, t1, lo16(m->ea));
	w[7] = ABT_OP(31) | ABT_RT(t1) | ABT_RA(t1) | ABT_RB(t0) | ABT_XO(40);
	w[8] = abt_enc_cmplwi(0, t1, m->size - l.size + 1);
	w[9] = abt_enc_bc(4, 0, 12);
	w[10] = abt_enc_addis(t0, t0, ha16(delta));
	w[11] = abt_enc_addi(t0, t0, lo16(delta));
	w[12] = abt_enc_lwz(t1, 0, d3);
	w[13] = abt_enc_mtcrf(0xff, t1);
	w[14] = ls_at_t0(s->orig, &l, t0);
	w[15] = abt_enc_lwz(t1, 0, d2);
	w[16] = abt_enc_lwz(t0, 0, d1);
	if (!abt_reach(s->stub + 4 * 17, s->pc + 4))
		return -ABT_ERANGE;
	w[17] = abt_enc_b((s32)(s->pc + 4 - (s->stub + 4 * 17)));
	for (i = 0; i < MSTUB_WORDS; i++) {
		st->rec[i].member = 0;
		st->rec[i].committed = i > MSTUB_ACCESS;
		st->rec[i].restore = mask[i];
		st->rec[i].pad = 0;
	}
	st->ea = s->stub;
	st->t[0] = t0;
	st->t[1] = t1;
	st->nwords = MSTUB_WORDS;
	st->nmembers = 1;
	return MSTUB_WORDS;
}

/*
 * The host runs the original access of a mirror site whose stub was
 * rolled back, as the stub would have: a port that delivers an interrupt
 * right after a rollback does this first, or a guest interrupted faster
 * than the stub runs would never get past it (see "Recovery").
 */
int abt_mirror_step(struct abt_rt *rt, u32 pc, u32 gpr[32])
{
	const struct abt_site *s = abt_site_get(rt, pc);
	const struct abt_mirror *m;
	struct ls_insn l;
	u32 ea, v = 0, i;
	u8 b[4];
	int rc;

	if (!s || !s->mirror || !ls_decode(s->orig, &l))
		return -ABT_ENOENT;
	m = &rt->mirrors[s->mirror - 1];
	ea = (l.ra ? gpr[l.ra] : 0) + (l.xform ? gpr[l.rb] : (u32)(s32)l.d);
	if (l.store) {
		for (i = 0; i < l.size; i++)
			b[i] = gpr[l.rt] >> (8 * (l.brx ? i : l.size - 1 - i));
		if (ea - m->ea <= m->size - l.size)
			return rt->ops->write(rt->port, m->mirror_ea +
					      (ea - m->ea), b, l.size) ?
			       -ABT_EIO : 0;
		if (range_traced(rt, ea, l.size)) {
			rc = abt_trace_write(rt, ea, l.size);
			if (rc < 0)
				return rc;
			rc = mirror_store(rt, ea, b, l.size);
			if (rc)
				return rc;
		}
		if (rt->ops->write(rt->port, ea, b, l.size))
			return -ABT_EIO;
		rt->ops->flush_icache(rt->port, ea, l.size);
		return 0;
	}
	if (ea - m->ea <= m->size - l.size)
		rc = rt->ops->read(rt->port, m->mirror_ea + (ea - m->ea), b,
				   l.size) ? -ABT_EIO : 0;
	else
		rc = abt_read_orig(rt, ea, b, l.size);	/* the guest view */
	if (rc)
		return rc;
	for (i = 0; i < l.size; i++)
		v |= (u32)b[i] << (8 * (l.brx ? i : l.size - 1 - i));
	if (l.sext)
		v = (u32)(s32)(s16)v;
	gpr[l.rt] = v;
	return 0;
}

/* Any site word or stub in [ea, ea+len)? */
static bool range_has_code(const struct abt_rt *rt, u32 ea, u32 len)
{
	const struct abt_site *s;
	u32 i;

	for (i = 0; i < rt->ntc; i++)
		if (abt_overlap(rt->tc[i].base, rt->tc[i].size, ea, len))
			return true;
	abt_for_each_site(rt, s)
		if (site_hit(s, ea, len))
			return true;
	return false;
}

/* Rewrite the access at pc (word w) to reach mirror m through a stub. */
static int mirror_site(struct abt_rt *rt, u32 pc, u32 w, struct abt_mirror *m)
{
	struct abt_stub *st = &rt->scratch.mirror;
	struct abt_site *s = abt_site_alloc(rt, pc);
	int rc;

	if (!s)
		return -ABT_EFULL;
	s->orig = w;
	s->rule = ABT_RULE_NONE;
	s->shape = ABT_SHAPE_BRANCH;
	s->mirror = m - rt->mirrors + 1;
	rc = abt_tc_alloc_steal(rt, pc, pc, 4 * MSTUB_WORDS,
				s - rt->sites + 1, &s->stub);
	if (rc)
		goto err_site;
	s->stub_words = MSTUB_WORDS;
	rc = abt_mirror_compose(rt, s, st);
	if (rc < 0)
		goto err_tc;
	s->patched = abt_enc_b((s32)(s->stub - pc));
	rc = abt_install_stub(rt, s, st);
	if (rc)
		goto err_tc;
	m->nsites++;
	rt->stats.mirror_sites++;
	return 0;

err_tc:
	abt_tc_free(rt, s->stub, 4 * MSTUB_WORDS);
err_site:
	s->mirror = 0;
	abt_site_release(rt, s);
	return rc;
}

/* The hot PC of e crossed the threshold: mirror its data, rewrite it. */
static int mirror_pc(struct abt_rt *rt, struct abt_hot *e)
{
	u32 lo = e->lo & ~(u32)(ABT_TC_GRANULE - 1);
	u32 hi = (e->hi + ABT_TC_GRANULE - 1) & ~(u32)(ABT_TC_GRANULE - 1);
	struct abt_mirror *m;
	struct ls_insn l;
	bool fresh = false;
	u32 w;
	int rc;

	if (hi - lo > ABT_PAGE_SIZE || ((lo ^ (hi - 1)) & ABT_PAGE_MASK) ||
	    abt_site_get(rt, e->pc) || abt_tc_range(rt, e->pc) ||
	    abt_mirror_hit(rt, e->pc, 4))
		return -ABT_EINVAL;
	if (abt_read32(rt, e->pc, &w) || !ls_decode(w, &l))
		return -ABT_EINVAL;
	m = mirror_over(rt, lo, hi - lo, 0);
	if (m && !mirror_holds(m, lo, hi))
		return -ABT_EBUSY;	/* overlaps, not inside: give up */
	/* A stolen range is read-only: its loads may use its mirror (the
	 * guest's bytes), a store must trap and give the range back. */
	if (m && m->kind == ABT_MIRROR_STOLEN && l.store)
		return -ABT_EBUSY;
	if (!m) {
		/* Code is never mirrored: stores to it must trap (SMC). */
		if (range_has_code(rt, lo, hi - lo))
			return -ABT_EBUSY;
		m = mirror_new(rt, lo, hi - lo, ABT_MIRROR_DATA);
		if (!m)
			return -ABT_EFULL;
		fresh = true;
	}
	rc = mirror_site(rt, e->pc, w, m);
	if (rc) {
		if (fresh)
			mirror_free(rt, m);
		return rc;
	}
	if (fresh)
		rt->stats.mirrors++;
	return 0;
}

ABT_STATIC_ASSERT(hot_slots, ABT_HOT_SLOTS == 256);

static struct abt_hot *hot_find(struct abt_rt *rt, u32 pc, bool claim)
{
	u32 h = abt_hash(pc >> 2, 8), i, best = ~0u;
	struct abt_hot *e, *victim = NULL;

	for (i = 0; i < 8; i++) {
		e = &rt->hot[(h + i) & (ABT_HOT_SLOTS - 1)];
		if (e->pc == pc)
			return e;
		if (!e->pc) {
			victim = e;
			break;
		}
		if (!(e->flags & ABT_HOT_DONE) && e->count < best) {
			best = e->count;
			victim = e;
		}
	}
	if (!claim || !victim)
		return NULL;
	victim->pc = pc;
	victim->lo = 0;
	victim->hi = 0;
	victim->count = 0;
	victim->flags = 0;
	return victim;
}

void abt_hot_forget(struct abt_rt *rt, u32 pc)
{
	struct abt_hot *e = hot_find(rt, pc, false);

	if (e) {
		e->count = 0;
		e->flags = 0;
		e->lo = 0;
		e->hi = 0;
	}
}

/* A DSI on a traced page from pc: count it; mirror when hot. True while
 * pc may still be mirrored (or just was). */
static bool hot_count(struct abt_rt *rt, u32 pc, u32 ea, u32 len)
{
	const struct abt_mirror *m;
	struct abt_hot *e;

	if (!(rt->features & ABT_FEAT_MIRROR) || !pc || len > 4 ||
	    abt_tc_range(rt, pc))
		return false;
	e = hot_find(rt, pc, true);
	if (!e || e->flags)
		return false;
	if (!e->count) {
		e->lo = ea;
		e->hi = ea + len;
	} else {
		if (ea < e->lo)
			e->lo = ea;
		if (ea + len > e->hi)
			e->hi = ea + len;
	}
	/* a PC that walks a range (a copy, a checksum) is no hot datum,
	 * unless an existing mirror (a stolen range) holds all of it */
	if (rt->mirror_span && e->hi - e->lo > rt->mirror_span) {
		m = mirror_over(rt, e->lo, e->hi - e->lo, 0);
		if (!m || !mirror_holds(m, e->lo, e->hi))
			goto refuse;
	}
	if (++e->count < rt->mirror_threshold)
		return true;
	if (mirror_pc(rt, e))
		goto refuse;
	e->flags |= ABT_HOT_DONE;
	return true;
refuse:
	e->flags |= ABT_HOT_REFUSED;
	rt->stats.mirror_refused++;
	return false;
}

/* ------------------------------------------------------------------------
 * Page resizing. Cost model (per guest mapping, clock = mem_now()):
 *  - unsplit with traced pages inside: DSIs on its untraced pages are
 *    "false" DSIs. split_min of them within one window of resize_window
 *    ticks split it; saved_rate is their rate then, per window.
 *  - split: at the end of each window, if misses * cost_miss exceeds
 *    saved_rate * cost_dsi (what the DSIs would have cost), merge back.
 *  - no traced page left inside: merge back at once.
 */

static struct abt_map *map_of(const struct abt_rt *rt, u32 ea)
{
	u32 i;

	if (!rt->nmaps)
		return NULL;
	for (i = 0; i < ABT_MAX_MAPS; i++)
		if (rt->maps[i].size && ea - rt->maps[i].ea < rt->maps[i].size)
			return (struct abt_map *)&rt->maps[i];
	return NULL;
}

static void map_window(struct abt_rt *rt, struct abt_map *m)
{
	m->win_start = mem_now(rt);
	m->false_dsis = 0;
	m->misses = 0;
}

static void map_merge(struct abt_rt *rt, struct abt_map *m, bool cost)
{
	rt->ops->merge_mapping(rt->port, m->ea, m->size);
	m->split = 0;
	rt->stats.merges++;
	if (cost)
		rt->stats.merges_cost++;
	map_window(rt, m);
}

static void map_traced(struct abt_rt *rt, u32 page, bool more)
{
	struct abt_map *m = map_of(rt, page);

	if (!m)
		return;
	if (more) {
		m->traced++;
		return;
	}
	if (m->traced && !--m->traced && m->split)
		map_merge(rt, m, false);
}

/* Split m now; saved_rate: its false DSIs per window so far. */
static int map_split(struct abt_rt *rt, struct abt_map *m)
{
	u32 elapsed, win = rt->resize_window ? rt->resize_window : 1;
	u64 now = mem_now(rt);

	if (rt->ops->split_mapping(rt->port, m->ea, m->size))
		return -ABT_EIO;
	/* false DSIs per window (elapsed <= win); 32-bit division only,
	 * the kernel has no 64-bit one on ppc32 */
	elapsed = (u32)(now - m->win_start) + 1;
	if (win > 0xffff) {
		elapsed = (elapsed >> 16) + 1;
		win >>= 16;
	}
	m->saved_rate = (m->false_dsis > 0xffff ? 0xffff : m->false_dsis) *
			win / elapsed;
	m->split = 1;
	rt->stats.splits++;
	map_window(rt, m);
	return 0;
}

static void map_false_dsi(struct abt_rt *rt, struct abt_map *m)
{
	u32 win = rt->resize_window ? rt->resize_window : 1;

	if (mem_now(rt) - m->win_start >= win)
		map_window(rt, m);
	m->false_dsis++;
	if (!(rt->features & ABT_FEAT_RESIZE) || m->false_dsis < rt->split_min)
		return;
	map_split(rt, m);
}

int abt_guest_split(struct abt_rt *rt, u32 ea)
{
	struct abt_map *m = map_of(rt, ea);

	if (!m)
		return -ABT_ENOENT;
	if (m->split)
		return 0;
	if (!(rt->features & ABT_FEAT_RESIZE))
		return -ABT_EINVAL;
	return map_split(rt, m);
}

int abt_guest_map(struct abt_rt *rt, u32 ea, u32 size, u32 pa, u32 flags)
{
	struct abt_map *m = NULL;
	u32 i;

	if (size <= ABT_PAGE_SIZE)
		return 0;
	abt_guest_unmap(rt, ea, size);
	for (i = 0; i < ABT_MAX_MAPS && !m; i++)
		if (!rt->maps[i].size)
			m = &rt->maps[i];
	if (!m)
		return -ABT_EFULL;
	m->ea = ea;
	m->size = size;
	m->pa = pa;
	m->writable = !!(flags & ABT_MAP_WRITABLE);
	m->split = 0;
	m->traced = 0;
	m->saved_rate = 0;
	for (i = 0; i < ABT_MAX_PAGES; i++)
		if (rt->pages[i].nsites && rt->pages[i].ea - ea < size)
			m->traced++;
	map_window(rt, m);
	rt->nmaps++;
	/* a hint under it may have become stealable */
	if (!m->writable)
		abt_prof_retry_notc(rt);
	return 0;
}

void abt_guest_unmap(struct abt_rt *rt, u32 ea, u32 size)
{
	struct abt_map *m;
	u32 i;

	for (i = 0; i < ABT_MAX_MAPS; i++) {
		m = &rt->maps[i];
		if (m->size && abt_overlap(m->ea, m->size, ea, size)) {
			m->size = 0;
			rt->nmaps--;
		}
	}
}

/* End of a split map's window: merge if the misses cost more than the
 * DSIs the split saves. */
static void map_window_end(struct abt_rt *rt, struct abt_map *m)
{
	u32 win = rt->resize_window ? rt->resize_window : 1, nwin;
	u64 elapsed = mem_now(rt) - m->win_start, cost, saved;

	if (elapsed < win)
		return;
	/* windows that passed (32-bit division: no 64-bit one on ppc32) */
	nwin = elapsed >> 32 ? 0xffffffffu / win : (u32)elapsed / win;
	cost = (u64)m->misses * rt->cost_miss;
	saved = (u64)m->saved_rate * rt->cost_dsi * nwin;
	if (cost > saved)
		map_merge(rt, m, true);
	else
		map_window(rt, m);
}

void abt_tlb_miss(struct abt_rt *rt, u32 ea, u32 n)
{
	struct abt_map *m = map_of(rt, ea);

	/* not a tick: many misses must not stretch the window they are
	 * counted in */
	rt->stats.tlb_misses += n;
	if (!m || !m->split)
		return;
	m->misses += n;
	map_window_end(rt, m);
}

void abt_tick(struct abt_rt *rt, u32 n)
{
	u32 i;

	rt->clock += n;
	for (i = 0; i < ABT_MAX_MAPS && rt->nmaps; i++)
		if (rt->maps[i].size && rt->maps[i].split)
			map_window_end(rt, &rt->maps[i]);
}

/* ------------------------------------------------------------------------
 * TC placement by stealing.
 */

int abt_steal_hint(struct abt_rt *rt, u32 base, u32 size)
{
	u32 i;

	if (!base || !size || (base | size) & (ABT_TC_GRANULE - 1))
		return -ABT_EINVAL;
	for (i = 0; i < ABT_MAX_STEAL_HINTS; i++) {
		if (rt->hints[i].size)
			continue;
		rt->hints[i].base = base;
		rt->hints[i].size = size;
		rt->hints[i].accesses = 0;
		abt_prof_retry_notc(rt);
		return 0;
	}
	return -ABT_EFULL;
}

static void hint_access(struct abt_rt *rt, u32 ea, u32 len)
{
	u32 i;

	for (i = 0; i < ABT_MAX_STEAL_HINTS; i++)
		if (rt->hints[i].size &&
		    abt_overlap(rt->hints[i].base, rt->hints[i].size, ea, len))
			rt->hints[i].accesses++;
}

int abt_tc_steal(struct abt_rt *rt, u32 base, u32 size)
{
	struct abt_mirror *m;
	u32 i;
	int rc;

	if (!base || !size || (base | size) & (ABT_TC_GRANULE - 1) ||
	    size > ABT_TC_MAX_GRANULES * ABT_TC_GRANULE ||
	    base + size - 1 < base)
		return -ABT_EINVAL;
	if (mirror_over(rt, base, size, 0) || range_has_code(rt, base, size))
		return -ABT_EBUSY;
	for (i = 0; i < rt->nmirror_regions; i++)
		if (abt_overlap(rt->mregion[i].base, rt->mregion[i].size,
				base, size))
			return -ABT_EBUSY;
	/* a region first: a port that maps TC regions executable sees it
	 * before the tracing below flushes the range's shadow mappings */
	rc = abt_tc_add_region(rt, base, size);
	if (rc)
		return rc;
	m = mirror_new(rt, base, size, ABT_MIRROR_STOLEN);
	if (!m) {
		abt_tc_remove_region(rt, base);
		return -ABT_EFULL;
	}
	rt->stats.tc_stolen_bytes += size;
	return 0;
}

/* Give a stolen range back: drop its stubs, restore its bytes. */
static void unsteal(struct abt_rt *rt, struct abt_mirror *m)
{
	const struct abt_site *s;
	u32 i, idx = m - rt->mirrors + 1;

	/* the loads rewritten to its mirror, and the stubs inside it */
	abt_for_each_site(rt, s)
		if (s->mirror == idx ||
		    (s->stub && s->stub - m->ea < m->size))
			abt_untranslate(rt, s->pc);
	if (abt_tc_remove_region(rt, m->ea))
		return;		/* a stub could not be undone: keep it */
	for (i = 0; i < ABT_MAX_STEAL_HINTS; i++)
		if (rt->hints[i].size &&
		    abt_overlap(rt->hints[i].base, rt->hints[i].size,
				m->ea, m->size))
			rt->hints[i].accesses++;	/* not read-only */
	mirror_free(rt, m);
	rt->stats.unsteals++;
}

void abt_unsteal_all(struct abt_rt *rt)
{
	u32 i;

	for (i = 0; i < ABT_MAX_MIRRORS && rt->nmirrors; i++)
		if (rt->mirrors[i].ea &&
		    rt->mirrors[i].kind == ABT_MIRROR_STOLEN)
			unsteal(rt, &rt->mirrors[i]);
}

/*
 * The guest maps part of [base, +size) writable now: a steal could not
 * stay (Linux maps its text and .rodata read-only only at the end of boot).
 */
static bool map_writable_over(const struct abt_rt *rt, u32 base, u32 size)
{
	u32 i;

	for (i = 0; i < ABT_MAX_MAPS && rt->nmaps; i++)
		if (rt->maps[i].size && rt->maps[i].writable &&
		    abt_overlap(rt->maps[i].ea, rt->maps[i].size, base, size))
			return true;
	return false;
}

/* Steal the nearest untouched hint that a stub for s0..slast can use. */
static int steal_for(struct abt_rt *rt, u32 s0, u32 slast)
{
	const struct abt_steal_hint *h, *pick = NULL;
	u32 i, d, best = ~0u;

	for (i = 0; i < ABT_MAX_STEAL_HINTS; i++) {
		h = &rt->hints[i];
		if (!h->size || h->accesses || mirror_over(rt, h->base, h->size, 0))
			continue;
		if (map_writable_over(rt, h->base, h->size)) {
			rt->stats.steal_writable++;
			continue;
		}
		if (!abt_reach(s0, h->base) ||
		    !abt_reach(h->base + h->size - 4, slast + 4) ||
		    !abt_reach(h->base + h->size - 4, s0) ||
		    !abt_reach(h->base, slast + 4))
			continue;
		d = h->base - s0 < s0 - h->base ? h->base - s0 : s0 - h->base;
		if (d < best) {
			best = d;
			pick = h;
		}
	}
	if (!pick)
		return -ABT_ENOTC;
	return abt_tc_steal(rt, pick->base, pick->size);
}

int abt_tc_alloc_steal(struct abt_rt *rt, u32 s0, u32 slast, u32 nbytes,
		       u16 owner, u32 *ea)
{
	int rc = abt_tc_alloc(rt, s0, slast, nbytes, owner, ea);

	if (rc != -ABT_ENOTC || !(rt->features & ABT_FEAT_STEAL) ||
	    steal_for(rt, s0, slast))
		return rc;
	return abt_tc_alloc(rt, s0, slast, nbytes, owner, ea);
}

/* ------------------------------------------------------------------------
 * The DSI entry point.
 */

static bool range_traced(const struct abt_rt *rt, u32 ea, u32 len)
{
	return abt_page_traced(rt, ea) || abt_page_traced(rt, ea + len - 1);
}

/* Store bytes unknown: make the original authoritative again by dropping
 * the data mirrors the store overlaps (with their rewritten accesses). */
static void mirror_dissolve(struct abt_rt *rt, u32 ea, u32 len)
{
	const struct abt_site *s;
	struct abt_mirror *m;
	u32 idx;

	while ((m = mirror_over(rt, ea, len, ABT_MIRROR_DATA))) {
		idx = m - rt->mirrors + 1;
		abt_for_each_site(rt, s) {
			if (!m->ea)
				break;
			if (s->mirror == idx && abt_untranslate(rt, s->pc))
				return;	/* cannot undo: leave it */
		}
		if (m->ea)
			return;		/* not all its users found: never */
	}
}

int abt_dsi(struct abt_rt *rt, u32 pc, u32 ea, u32 len, bool write,
	    void *buf)
{
	struct abt_mirror *st;
	struct abt_map *m;
	int rc;

	if (!len || len > ABT_PAGE_SIZE)
		return -ABT_EINVAL;
	rt->clock++;
	if (!range_traced(rt, ea, len)) {
		m = map_of(rt, ea);
		if (!m || !m->traced || m->split)
			return ABT_DSI_FAULT;
		rt->stats.dsi_false++;
		hint_access(rt, ea, len);
		map_false_dsi(rt, m);
		return ABT_DSI_ACCESS;
	}
	st = mirror_over(rt, ea, len, ABT_MIRROR_STOLEN);
	if (!st)
		hint_access(rt, ea, len);
	if (!write) {
		rt->stats.dsi_reads++;
		if (st)
			rt->stats.stolen_reads++;
		if (buf) {
			rc = abt_trace_read(rt, ea, buf, len);
			if (rc)
				return rc;
		} else {
			rt->stats.trace_reads++;	/* port reads the view */
		}
		if (!hot_count(rt, pc, ea, len) && !st && rt->read_burst)
			read_burst(rt, ea);
		return ABT_DSI_READ;
	}
	rt->stats.dsi_writes++;
	if (st)
		unsteal(rt, st);
	if (!buf && rt->nmirrors)
		mirror_dissolve(rt, ea, len);
	rc = abt_trace_write(rt, ea, len);
	if (rc < 0)
		return rc;
	rt->stats.smc_drops += rc;
	if (!buf)
		return ABT_DSI_WRITE;
	/* may make a mirror of this very range: store into it after */
	hot_count(rt, pc, ea, len);
	rc = mirror_store(rt, ea, buf, len);
	return rc ? rc : ABT_DSI_WRITE;
}

enum abt_access_class abt_access_class(const struct abt_rt *rt, u32 pc,
				       u32 ea, u32 len)
{
	const struct abt_site *s = pc ? abt_site_get(rt, pc) : NULL;
	const struct abt_mirror *mi;
	const struct abt_map *m;

	if (!len)
		return ABT_ACC_FREE;
	if (s && s->mirror) {
		mi = &rt->mirrors[s->mirror - 1];
		if (ea - mi->ea < mi->size && len <= mi->size - (ea - mi->ea))
			return ABT_ACC_MIRRORED;
	}
	if (range_traced(rt, ea, len))
		return ABT_ACC_TRACED;
	m = map_of(rt, ea);
	if (m && m->traced && !m->split)
		return ABT_ACC_FALSE;
	return ABT_ACC_FREE;
}
