/* SPDX-License-Identifier: GPL-2.0 */
/*
 * abt runtime: helpers shared between the runtime's translation units.
 * Not part of the API.
 */
#ifndef ABT_INTERNAL_H
#define ABT_INTERNAL_H

#include "abt.h"
#include "abt_insn.h"

#ifdef __GNUC__
#define abt_likely(x)	__builtin_expect(!!(x), 1)
#define abt_unlikely(x)	__builtin_expect(!!(x), 0)
#define abt_noinline	__attribute__((__noinline__))	/* kernel: noinline is a macro */
#else
#define abt_likely(x)	(x)
#define abt_unlikely(x)	(x)
#define abt_noinline
#endif

/* Compile-time check that works in C99 and in the kernel. */
#define ABT_STATIC_ASSERT(name, cond) \
	typedef char abt_assert_##name[(cond) ? 1 : -1]

/* Walk-back bound of the TC owner map: granules of the largest stub. */
#define ABT_TC_STUB_GRANULES \
	((ABT_MAX_STUB_WORDS * 4 + ABT_TC_GRANULE - 1) / ABT_TC_GRANULE)
#define ABT_TC_GRANULE_SHIFT	4
#define ABT_PAGE_MASK		(~(ABT_PAGE_SIZE - 1))

/* Fibonacci hashing: one multiply, top bits are well mixed. */
static inline u32 abt_hash(u32 key, unsigned int bits)
{
	return (key * 0x9e3779b1u) >> (32 - bits);
}

/* Granule bitmaps of the TC and mirror-region allocators: bit set = used. */
static inline bool abt_gran_used(const u8 *map, u32 g)
{
	return map[g >> 3] & (1u << (g & 7));
}

static inline void abt_gran_mark(u8 *map, u32 g, u32 n, bool used)
{
	for (; n; n--, g++) {
		if (used)
			map[g >> 3] |= 1u << (g & 7);
		else
			map[g >> 3] &= ~(1u << (g & 7));
	}
}

/* [a, a+alen) and [b, b+blen) overlap; modular, lengths < 2 GiB. */
static inline bool abt_overlap(u32 a, u32 alen, u32 b, u32 blen)
{
	return (alen && b - a < alen) || (blen && a - b < blen);
}

/* I-form branch (b) displacement check: signed 26-bit byte offset. */
static inline bool abt_reach(u32 from, u32 to)
{
	return abt_disp_fits((s32)(to - from), 26);
}

/* Guest words are big-endian byte sequences. */
static inline u32 abt_be32(const u8 *b)
{
	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

static inline void abt_put_be32(u8 *b, u32 w)
{
	b[0] = w >> 24;
	b[1] = w >> 16;
	b[2] = w >> 8;
	b[3] = w;
}

static inline bool abt_translatable(const struct abt_rt *rt, u32 r)
{
	return r != ABT_RULE_NONE && r < ABT_RULE_COUNT &&
	       rt->prof->enabled[r] && abt_rules[r].shape != ABT_SHAPE_TRAP;
}

/* One guest word through the port. */
static inline int abt_read32(struct abt_rt *rt, u32 ea, u32 *w)
{
	u8 b[4];

	if (rt->ops->read(rt->port, ea, b, 4))
		return -ABT_EIO;
	*w = abt_be32(b);
	return 0;
}

static inline int abt_write32(struct abt_rt *rt, u32 ea, u32 w)
{
	u8 b[4];

	abt_put_be32(b, w);
	return rt->ops->write(rt->port, ea, b, 4) ? -ABT_EIO : 0;
}

/* A store to any member word or into the stub invalidates the site. */
static inline bool abt_site_hit(const struct abt_site *s, u32 ea, u32 len)
{
	return abt_overlap(s->pc, 4 * s->nmembers, ea, len) ||
	       (s->stub && abt_overlap(s->stub, 4 * s->stub_words, ea, len));
}

/* Ranges up to this many words are searched word by word in the site
 * hash; longer ones walk the site table. */
#define ABT_SMALL_RANGE_WORDS	32

/* Number of words from the word holding ea - back to the one holding the
 * last byte of the range: the candidates for a site hash search. */
static inline u32 abt_range_words(u32 ea, u32 len, u32 back)
{
	return ((ea & 3) + len + 3) / 4 + back / 4;
}

/* Does m hold all of [lo, hi) (a range that overlaps it)? */
static inline bool abt_mirror_holds(const struct abt_mirror *m, u32 lo,
				    u32 hi)
{
	return lo >= m->ea && hi - m->ea <= m->size;
}

/*
 * What the runtime's files call of each other, by file, lowest layer first
 * (runtime/layers: a file calls only its own layer and those below).
 */

/* site.c */
void abt_sites_init(struct abt_rt *rt);
struct abt_site *abt_site_get(const struct abt_rt *rt, u32 pc);
struct abt_site *abt_site_alloc(struct abt_rt *rt, u32 pc);
void abt_site_release(struct abt_rt *rt, struct abt_site *s);
/* Any TC region, site word or stub in [ea, ea+len)? */
bool abt_code_in_range(const struct abt_rt *rt, u32 ea, u32 len);

/* tc.c */
int abt_tc_region_add(struct abt_rt *rt, u32 base, u32 size);
bool abt_tc_range(const struct abt_rt *rt, u32 ea);
bool abt_tc_overlaps(const struct abt_rt *rt, u32 ea, u32 len);
int abt_tc_alloc(struct abt_rt *rt, u32 s0, u32 slast, u32 nbytes,
		 u16 owner, u32 *ea);
void abt_tc_free(struct abt_rt *rt, u32 ea, u32 nbytes);
struct abt_site *abt_tc_owner(const struct abt_rt *rt, u32 ea);
int abt_tc_remove_region(struct abt_rt *rt, u32 base);

/* stub.c */
int abt_magic_disp(const struct abt_profile *prof, int slot, s32 *d);

/* resize.c */
struct abt_map *abt_map_of(const struct abt_rt *rt, u32 ea);
void abt_map_traced(struct abt_rt *rt, u32 page, bool more);
void abt_map_false_dsi(struct abt_rt *rt, struct abt_map *m);
int abt_map_add(struct abt_rt *rt, u32 ea, u32 size, u32 pa, u32 flags,
		u32 traced);
bool abt_map_writable_over(const struct abt_rt *rt, u32 base, u32 size);

/* pages.c */
int abt_trace_site(struct abt_rt *rt, const struct abt_site *s);
void abt_untrace_site(struct abt_rt *rt, const struct abt_site *s);
int abt_range_ref(struct abt_rt *rt, u32 ea, u32 size);
void abt_range_unref(struct abt_rt *rt, u32 ea, u32 size);
u32 abt_pages_traced_in(const struct abt_rt *rt, u32 ea, u32 size);
bool abt_page_burst(struct abt_rt *rt, u32 ea);

/* mirror.c */
bool abt_mregion_overlaps(const struct abt_rt *rt, u32 ea, u32 len);
struct abt_mirror *abt_mirror_over(const struct abt_rt *rt, u32 ea,
				   u32 len, u8 kind);
bool abt_mirror_hit(const struct abt_rt *rt, u32 ea, u32 len);
int abt_mirror_overlay(struct abt_rt *rt, u32 ea, u8 *buf, u32 len);
int abt_mirror_store(struct abt_rt *rt, u32 ea, const u8 *buf, u32 len);
struct abt_mirror *abt_mirror_new(struct abt_rt *rt, u32 ea, u32 size,
				  u8 kind);
void abt_mirror_free(struct abt_rt *rt, struct abt_mirror *m);
void abt_mirror_put(struct abt_rt *rt, u32 idx);


/* steal.c */
int abt_hint_add(struct abt_rt *rt, u32 base, u32 size);
void abt_hint_access(struct abt_rt *rt, u32 ea, u32 len);
int abt_steal_range(struct abt_rt *rt, u32 base, u32 size);
bool abt_steal_return(struct abt_rt *rt, struct abt_mirror *m);
/* abt_tc_alloc, and with ABT_FEAT_STEAL a steal when nothing reaches */
int abt_tc_alloc_steal(struct abt_rt *rt, u32 s0, u32 slast, u32 nbytes,
		       u16 owner, u32 *ea);

/* patch.c */
int abt_install_stub(struct abt_rt *rt, const struct abt_site *s,
		     const struct abt_stub *st);
int abt_patch(struct abt_rt *rt, u32 pc);
int abt_unpatch(struct abt_rt *rt, struct abt_site *s);

/* mirror_site.c */
/*
 * Data accesses that can be rewritten: non-update, non-string loads and
 * stores of 1, 2 or 4 bytes, D-form or X-form (incl. byte-reversed).
 */
/* A guest access mirroring can rewrite (no update forms). */
bool abt_ls_decode(u32 w, struct abt_access_insn *a);
int abt_mirror_compose(struct abt_rt *rt, const struct abt_site *s,
		       struct abt_stub *st);
bool abt_hot_count(struct abt_rt *rt, u32 pc, u32 ea, u32 len);
void abt_hot_forget(struct abt_rt *rt, u32 pc);

/* profile.c; the hashing and decay abt_exit() needs inline */
static inline u32 abt_prof_hash(u32 pc)
{
	/* Instructions are word aligned: the low bits carry nothing. */
	return abt_hash(pc >> 2, ABT_PROF_BITS);
}

/* Count of e as of the current epoch: one halving per epoch it missed. */
static inline u32 abt_prof_aged(const struct abt_rt *rt,
				const struct abt_prof_entry *e)
{
	u32 d = rt->epoch - e->epoch;

	return d < 32 ? e->count >> d : 0;
}

/* Bring e to the current epoch (lazy decay: untouched entries cost 0). */
static inline void abt_prof_age(const struct abt_rt *rt,
				struct abt_prof_entry *e)
{
	if (abt_unlikely(e->epoch != rt->epoch)) {
		e->count = abt_prof_aged(rt, e);
		e->epoch = rt->epoch;
	}
}

struct abt_prof_entry *abt_prof_get(struct abt_rt *rt, u32 pc, u32 word);
struct abt_prof_entry *abt_prof_lookup(struct abt_rt *rt, u32 pc);
void abt_prof_note(struct abt_rt *rt, struct abt_prof_entry *e, int rc);
void abt_prof_forget(struct abt_rt *rt, u32 pc);
/* TC space may have appeared: sites that found none qualify again. */
void abt_prof_retry_notc(struct abt_rt *rt);
void abt_prof_tc_news(struct abt_rt *rt, u32 tc_gen);

/* drop.c */
int abt_drop_range(struct abt_rt *rt, u32 ea, u32 len);
void abt_dissolve_mirrors(struct abt_rt *rt, u32 ea, u32 len);
void abt_unsteal(struct abt_rt *rt, struct abt_mirror *m);

#endif /* ABT_INTERNAL_H */
