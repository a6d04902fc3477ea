// SPDX-License-Identifier: GPL-2.0
/*
 * abt-replay: drive the abt runtime over a recorded boot profile (.abtp,
 * tools/profile/abtp.h) with a memory-only port, once per policy, in one
 * pass over the events, and report exits, translations, DSIs, mirrors,
 * splits/merges, TC bytes and a modelled time. See docs/replay.md.
 *
 * Policies:
 *   stock        every privileged execution is an exit
 *   pv           the instructions Linux 6.1 arch/powerpc/kernel/kvm.c
 *                (kvm_check_ins) patches on e500 cost nothing, others exit
 *   abt          the runtime, no memory features (abt_set_features(0))
 *   abt+mirror   ABT_FEAT_MIRROR
 *   abt+resize   ABT_FEAT_RESIZE
 *   abt-full     ABT_FEAT_ALL
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "abt.h"
#include "replay.h"

/* ------------------------------------------------------------------ */
/* Linux 6.1 kvm.c (kvm_check_ins) on e500: what PV patches.            */

/* SPRs kvm_check_ins patches for mfspr (host advertises
 * KVM_MAGIC_FEAT_MAS0_TO_SPRG7: arch/powerpc/kvm/powerpc.c). */
static const u16 pv_mfspr[] = {
	272, 273, 274, 275,	/* SPRG0-3 */
	26, 27,			/* SRR0, SRR1 */
	61, 18,			/* DEAR (CONFIG_BOOKE), DSISR */
	624, 625, 626, 627, 628, 630, 944,	/* MAS0-4, MAS6, MAS7 */
	276, 277, 278, 279,	/* SPRG4-7 */
	260, 261, 262, 263,	/* SPRG4R-7R (CONFIG_BOOKE) */
	62, 286,		/* ESR, PIR */
};
static const u16 pv_mtspr[] = {
	272, 273, 274, 275, 26, 27, 61, 18,
	624, 625, 626, 627, 628, 630, 944,
	276, 277, 278, 279, 62,
};

static u32 spr_of(u32 w)
{
	return ((w >> 16) & 0x1f) | (((w >> 11) & 0x1f) << 5);
}

/* Extra guest instructions of the PV replacement (0: not patched by PV).
 * Loads/stores/nop replace the word: 1. mtmsr, wrtee, wrteei 0/1 branch
 * to a template in kvm_emul.S (about a dozen instructions). */
int replay_pv_cost(u32 w)
{
	u32 no_rt = w & ~0x03e00000u, spr;
	size_t i;

	if (no_rt == 0x7c0000a6u)		/* mfmsr */
		return 1;
	if (w == 0x7c00046cu)			/* tlbsync -> nop */
		return 1;
	if (no_rt == 0x7c000124u)		/* mtmsr (L=0) */
		return 14;
	if (no_rt == 0x7c000106u)		/* wrtee */
		return 12;
	if (w == 0x7c000146u || w == 0x7c008146u)	/* wrteei 0/1 */
		return 12;
	spr = spr_of(w);
	if ((no_rt & ~0x001ff800u) == 0x7c0002a6u) {	/* mfspr */
		for (i = 0; i < sizeof(pv_mfspr) / sizeof(pv_mfspr[0]); i++)
			if (pv_mfspr[i] == spr)
				return 1;
	} else if ((no_rt & ~0x001ff800u) == 0x7c0003a6u) {	/* mtspr */
		for (i = 0; i < sizeof(pv_mtspr) / sizeof(pv_mtspr[0]); i++)
			if (pv_mtspr[i] == spr)
				return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Memory-only port.                                                   */

static struct rp_page *page_get(struct rp_pol *p, u32 ea, bool create)
{
	u32 hi = ea >> 22, mid = (ea >> 12) & 1023;
	struct rp_page **dir = p->dir[hi];

	if (!dir) {
		if (!create)
			return NULL;
		dir = p->dir[hi] = calloc(1024, sizeof(*dir));
		if (!dir)
			return NULL;
	}
	if (!dir[mid] && create)
		dir[mid] = calloc(1, sizeof(struct rp_page));
	return dir[mid];
}

static int port_read(void *port, u32 ea, void *buf, u32 len)
{
	struct rp_pol *p = port;
	u8 *b = buf;

	while (len) {
		u32 off = ea & 4095, n = 4096 - off;
		struct rp_page *pg = page_get(p, ea, false);

		if (n > len)
			n = len;
		if (pg)
			memcpy(b, pg->data + off, n);
		else
			memset(b, 0, n);	/* not in the profile: 0 */
		b += n;
		ea += n;
		len -= n;
	}
	return 0;
}

static int port_write(void *port, u32 ea, const void *buf, u32 len)
{
	struct rp_pol *p = port;
	const u8 *b = buf;

	while (len) {
		u32 off = ea & 4095, n = 4096 - off;
		struct rp_page *pg = page_get(p, ea, true);

		if (!pg)
			return -1;
		if (n > len)
			n = len;
		memcpy(pg->data + off, b, n);
		b += n;
		ea += n;
		len -= n;
	}
	return 0;
}

static void port_flush_icache(void *port, u32 ea, u32 len)
{
	(void)port; (void)ea; (void)len;
}

static bool restricted(u8 perm)
{
	return (perm & (ABT_PERM_R | ABT_PERM_W)) != (ABT_PERM_R | ABT_PERM_W);
}

static int port_set_page_perm(void *port, u32 ea, u32 perm)
{
	struct rp_pol *p = port;
	struct replay *r = p->r;
	u32 pn = ea >> 12;
	u8 old = p->perm[pn], mi = r->mapidx[pn];

	p->perm[pn] = (u8)perm;
	if (restricted(old) == restricted((u8)perm))
		return 0;
	if (mi)
		p->nrestr[mi] += restricted((u8)perm) ? 1 : -1;
	if (restricted((u8)perm)) {
		if (p->nrlist == p->rcap) {
			u32 nc = p->rcap ? 2 * p->rcap : 256;
			u32 *nl = realloc(p->rlist, nc * sizeof(*nl));

			if (!nl)
				return -1;
			p->rlist = nl;
			p->rcap = nc;
		}
		p->rlist[p->nrlist++] = pn;
	} else {
		u32 i;

		for (i = 0; i < p->nrlist; i++)
			if (p->rlist[i] == pn) {
				p->rlist[i] = p->rlist[--p->nrlist];
				break;
			}
	}
	return 0;
}

static int find_map(struct replay *r, u32 ea, u32 size)
{
	int i;

	for (i = 1; i < RP_MAX_MAPS; i++)
		if (r->maps[i].valid && r->maps[i].ea == ea &&
		    r->maps[i].size == size)
			return i;
	return -1;
}

static int port_split(void *port, u32 ea, u32 size)
{
	struct rp_pol *p = port;
	int mi = find_map(p->r, ea, size);

	if (mi < 0)
		return -1;
	p->split[mi] = 1;
	return 0;
}

static int port_merge(void *port, u32 ea, u32 size)
{
	struct rp_pol *p = port;
	int mi = find_map(p->r, ea, size);

	if (mi < 0)
		return -1;
	p->split[mi] = 0;
	return 0;
}

static const struct abt_port_ops rp_ops = {
	.read = port_read,
	.write = port_write,
	.flush_icache = port_flush_icache,
	.set_page_perm = port_set_page_perm,
	.split_mapping = port_split,
	.merge_mapping = port_merge,
};

/* ------------------------------------------------------------------ */

const char *const replay_policy_names[RP_NPOL] = {
	"stock", "pv", "abt", "abt+mirror", "abt+resize", "abt-full",
};
static const u32 pol_feat[RP_NPOL] = {
	0, 0, 0, ABT_FEAT_MIRROR, ABT_FEAT_RESIZE, ABT_FEAT_ALL,
};

void replay_default_costs(struct replay_costs *c)
{
	/* docs/replay.md "Cost model" */
	c->exit_us = 1.0;
	c->dsi_us = 1.5;
	c->miss_us = 1.0;
	c->nested_exit_us = 1.66;
	c->nested_dsi_us = 4.5;
	c->nested_miss_us = 4.2;
	c->insn_ns = 1.0;
}

static void errf(struct replay *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

static u32 site_hash(u32 pc)
{
	u32 h = (pc >> 2) * 0x9e3779b1u;

	return h ^ (h >> 15);
}

static struct rp_site *site_get(struct replay *r, u32 pc, u32 word)
{
	u32 h = site_hash(pc), i;
	struct rp_site *s;

	for (i = h & r->site_mask;; i = (i + 1) & r->site_mask) {
		u32 k = r->site_idx[i];

		if (!k)
			break;
		s = &r->sites[k - 1];
		if (s->pc == pc) {
			if (s->word != word) {
				s->word = word;
				s->rule = abt_decode(word, &(struct abt_fields){0});
				s->pv = (u8)replay_pv_cost(word);
				memset(s->mem_ok, 0, sizeof(s->mem_ok));
			}
			return s;
		}
	}
	if (2 * (r->nsites + 1) > r->site_mask) {	/* grow */
		u32 nmask = r->site_mask * 2 + 1, j;
		u32 *ni = calloc(nmask + 1, sizeof(*ni));

		if (!ni)
			return NULL;
		for (j = 0; j < r->nsites; j++) {
			u32 hh = site_hash(r->sites[j].pc), q;

			for (q = hh & nmask; ni[q]; q = (q + 1) & nmask)
				;
			ni[q] = j + 1;
		}
		free(r->site_idx);
		r->site_idx = ni;
		r->site_mask = nmask;
		for (i = h & nmask; ni[i]; i = (i + 1) & nmask)
			;
	}
	if (r->nsites == r->site_cap) {
		u32 nc = r->site_cap ? 2 * r->site_cap : 1024;
		struct rp_site *ns = realloc(r->sites, nc * sizeof(*ns));

		if (!ns)
			return NULL;
		r->sites = ns;
		r->site_cap = nc;
	}
	s = &r->sites[r->nsites++];
	memset(s, 0, sizeof(*s));
	s->pc = pc;
	s->word = word;
	s->rule = abt_decode(word, &(struct abt_fields){0});
	s->pv = (u8)replay_pv_cost(word);
	r->site_idx[i] = r->nsites;
	return s;
}

/* Guest TLB1 entry written (MAS0..3). */
static void tlb1_write(struct replay *r, const struct abtp_event *ev)
{
	u32 mas0 = ev->word, mas1 = ev->mas1, mas2 = ev->ea, mas3 = ev->mas3;
	u32 esel = (mas0 >> 16) & (RP_TLB1_ENTRIES - 1), tsz, k;
	u64 size;
	int mi, j, q;

	if (((mas0 >> 28) & 3) != 1)
		return;		/* not TLB1 */
	r->ntlb1++;
	/* Drop what this entry mapped before. */
	mi = r->tlb1[esel];
	if (mi) {
		struct rp_map *m = &r->maps[mi];

		for (q = 0; q < r->npol; q++) {
			struct rp_pol *p = &r->pol[q];

			if (p->rt && r->have_memfeat)
				replay_guest_unmap(p->rt, m->ea, m->size);
			p->split[mi] = 0;
			p->nrestr[mi] = 0;
		}
		/* a valid mapping owns all its pages (overlaps are dropped) */
		memset(r->mapidx + (m->ea >> 12), 0, m->size >> 12);
		m->valid = 0;
		r->tlb1[esel] = 0;
	}
	if (!(mas1 & 0x80000000u))
		return;
	tsz = (mas1 >> 7) & 0x1f;
	size = 1024ull << tsz;
	if (size <= 4096 || size > 0x80000000ull)
		return;		/* 4 KiB (nothing to resize) or absurd */
	for (mi = 1; mi < RP_MAX_MAPS && r->maps[mi].valid; mi++)
		;
	if (mi == RP_MAX_MAPS) {
		r->map_overflow++;
		return;
	}
	{
		struct rp_map *m = &r->maps[mi];
		u32 ea = (mas2 & ~0xfffu) & ~(u32)(size - 1);

		m->valid = 1;
		m->ea = ea;
		m->size = (u32)size;
		m->pa = (mas3 & ~0xfffu) & ~(u32)(size - 1);
		r->tlb1[esel] = (u8)mi;
		/* A mapping replaces the mappings it overlaps (as the
		 * runtime's abt_guest_map does). */
		for (j = 1; j < RP_MAX_MAPS; j++) {
			struct rp_map *o = &r->maps[j];

			if (j == mi || !o->valid)
				continue;
			if (o->ea < ea + m->size && ea < o->ea + o->size) {
				memset(r->mapidx + (o->ea >> 12), 0,
				       o->size >> 12);
				o->valid = 0;
				for (k = 0; k < RP_TLB1_ENTRIES; k++)
					if (r->tlb1[k] == j)
						r->tlb1[k] = 0;
			}
		}
		memset(r->mapidx + (ea >> 12), mi, m->size >> 12);
		for (q = 0; q < r->npol; q++) {
			struct rp_pol *p = &r->pol[q];
			u32 cnt = 0;

			p->split[mi] = 0;
			for (k = 0; k < p->nrlist; k++)
				cnt += p->rlist[k] - (ea >> 12) < m->size >> 12;
			p->nrestr[mi] = cnt;
			if (p->rt && r->have_memfeat)
				replay_guest_map(p->rt, ea, m->size, m->pa,
						 mas3 & 0x4);	/* SW */
		}
		r->nmaps++;
	}
}

/* Shadow TLB0 model for split mappings: 128 sets x 4 ways, round robin. */
static bool tlb0_hit(struct rp_pol *p, u32 pn)
{
	u32 set = pn & (RP_TLB0_SETS - 1), w;

	for (w = 0; w < RP_TLB0_WAYS; w++)
		if (p->tlb0[set][w] == pn + 1)
			return true;
	p->tlb0[set][p->tlb0_rr[set]] = pn + 1;
	p->tlb0_rr[set] = (p->tlb0_rr[set] + 1) & (RP_TLB0_WAYS - 1);
	return false;
}

static void tlb_account(struct replay *r, struct rp_pol *p, u32 ea)
{
	u32 pn = ea >> 12;
	u8 mi = r->mapidx[pn];

	if (mi && p->split[mi] && !tlb0_hit(p, pn)) {
		p->tlb_misses++;
		if (r->have_memfeat)
			replay_tlb_miss(p->rt, ea, 1);
	}
}

static void exec_event(struct replay *r, struct rp_pol *p,
		       struct rp_site *s, const struct abtp_event *ev, u32 b)
{
	const struct abt_site *as;
	u32 cur, gen;

	if (p->kind == RP_STOCK ||
	    (p->kind == RP_PV && (!s->pv || ev->icount < r->pv_from))) {
		p->exits++;
		p->exits_rule[s->rule]++;
		s->exits[p->idx]++;
		p->tl_exits[b]++;
		return;
	}
	if (p->kind == RP_PV) {
		p->free_execs++;
		p->insns += s->pv;
		return;
	}
	/* abt policies */
	if (p->has_split)
		tlb_account(r, p, ev->pc);
	if (ev->pc == p->cov_next && ev->pc < p->cov_end) {
		/* next member of the cluster stub just entered */
		p->cov_next += 4;
		p->free_execs++;
		return;
	}
	p->cov_end = 0;
	gen = (u32)(p->rst->translations[1] + p->rst->translations[2] +
		    p->rst->translations[3] + p->rst->untranslations) + 1;
	if (s->cgen[p->idx] != gen) {
		as = abt_site_find(p->rt, ev->pc);
		s->cgen[p->idx] = gen;
		s->cwords[p->idx] = !as ? 0 : as->stub ? as->stub_words + 1 : 1;
		s->cmembers[p->idx] = as ? as->nmembers : 0;
	}
	if (s->cwords[p->idx]) {
		p->free_execs++;
		p->insns += s->cwords[p->idx];
		if (s->cmembers[p->idx] > 1) {
			p->cov_next = ev->pc + 4;
			p->cov_end = ev->pc + 4 * s->cmembers[p->idx];
		}
		return;
	}
	/* Keep guest memory what the guest executes (pages may lack the word
	 * or hold an older one). */
	if (!s->mem_ok[p->idx]) {
		u32 be = __builtin_bswap32(ev->word);

		if (port_read(p, ev->pc, &cur, 4) || cur != be)
			port_write(p, ev->pc, &be, 4);
		s->mem_ok[p->idx] = 1;
	}
	p->exits++;
	p->exits_rule[s->rule]++;
	s->exits[p->idx]++;
	p->tl_exits[b]++;
	abt_exit(p->rt, ev->pc, ev->word);
}

static void access_event(struct replay *r, struct rp_pol *p,
			 const struct abtp_event *ev, u32 b)
{
	bool write = ev->kind == ABTP_EV_STORE;
	u32 need = write ? ABT_PERM_W : ABT_PERM_R;
	u32 len = ev->size ? ev->size : 4, last = ev->ea + len - 1;
	u32 pn = ev->ea >> 12, pn2 = last >> 12;
	u8 buf[8] = {0};
	bool traced, false_dsi = false;
	u8 mi;

	if (len > 8)
		len = 8;
	if (p->has_split)
		tlb_account(r, p, ev->ea);
	traced = !(p->perm[pn] & need) || !(p->perm[pn2] & need);
	if (!traced) {
		mi = r->mapidx[pn];
		if (mi && !p->split[mi] && p->nrestr[mi])
			false_dsi = true;
		mi = r->mapidx[pn2];
		if (mi && !p->split[mi] && p->nrestr[mi])
			false_dsi = true;
		if (!false_dsi)
			return;
	}
	if (r->have_memfeat && p->feat & ABT_FEAT_MIRROR &&
	    replay_access_mirrored(p->rt, ev->pc, ev->ea, len)) {
		p->mirrored_accesses++;
		p->insns += 8;
		return;
	}
	p->tl_dsis[b]++;
	if (traced) {
		if (write)
			p->dsi_traced_w++;
		else
			p->dsi_traced_r++;
	} else {
		p->dsi_false++;
	}
	if (r->have_memfeat) {
		int a = replay_dsi(p->rt, ev->pc, ev->ea, len, write, buf);

		if (a < 0)
			p->dsi_errors++;
		return;
	}
	if (!traced)
		return;		/* untraced page: the access is done as is */
	if (write)
		abt_trace_write(p->rt, ev->ea, len);
	else
		abt_trace_read(p->rt, ev->ea, buf, len);
}

static int pol_init(struct replay *r, struct rp_pol *p, int kind,
		    const struct abt_profile *prof,
		    const struct abtp_page *pages, u32 npages)
{
	u32 i, w;
	int rc;

	p->r = r;
	p->kind = kind;
	p->idx = kind;
	p->name = replay_policy_names[kind];
	p->tl_exits = calloc(r->nbuckets, sizeof(u64));
	p->tl_dsis = calloc(r->nbuckets, sizeof(u64));
	if (!p->tl_exits || !p->tl_dsis)
		return -1;
	if (kind < RP_ABT)
		return 0;
	p->perm = malloc(1u << 20);
	p->rt = calloc(1, sizeof(*p->rt));
	if (!p->perm || !p->rt)
		return -1;
	memset(p->perm, ABT_PERM_RWX, 1u << 20);
	for (i = 0; i < npages; i++) {
		const struct abtp_page *pg = &pages[i];
		struct rp_page *rp = page_get(p, pg->ea, true);

		if (!rp)
			return -1;
		for (w = 0; w < 1024; w++) {
			u32 v = (pg->known[w >> 3] >> (w & 7)) & 1 ?
				pg->words[w] : 0;
			u32 be = __builtin_bswap32(v);

			memcpy(rp->data + 4 * w, &be, 4);
		}
	}
	rc = abt_init(p->rt, prof, &rp_ops, p);
	if (rc < 0) {
		errf(r, "abt_init: %d", rc);
		return -1;
	}
	p->rst = abt_stats_get(p->rt);
	for (i = 0; i < r->ntc; i++) {
		rc = abt_tc_add_region(p->rt, r->tc[i].base, r->tc[i].size);
		if (rc < 0) {
			errf(r, "abt_tc_add_region(0x%08x, 0x%x): %d",
			     r->tc[i].base, r->tc[i].size, rc);
			return -1;
		}
	}
	p->feat = pol_feat[kind];
	if (r->have_memfeat) {
		if (p->feat & (ABT_FEAT_MIRROR | ABT_FEAT_STEAL))
			replay_mirror_add_region(p->rt, r->mirror_base,
						 r->mirror_size);
		p->feat = replay_set_features(p->rt, p->feat);
		abt_set_read_burst(p->rt, r->read_burst);
	} else {
		p->feat = 0;
	}
	p->has_split = (p->feat & ABT_FEAT_RESIZE) != 0;
	return 0;
}

/* The pass over the events (its own function: callgrind's
 * --toggle-collect=replay_events counts the replay alone). */
__attribute__((noinline))
static int replay_events(struct replay *r, const char *path, u64 iend)
{
	struct abtp_event ev;
	int q;

	for (;;) {
		int rc = abtp_next(r->rd, &ev);
		u32 b;

		if (r->max_events && r->nevents >= r->max_events)
			rc = 0;
		if (rc <= 0) {
			if (rc < 0) {
				errf(r, "%s: corrupt event stream after %" PRIu64
				     " events", path, r->nevents);
				return -1;
			}
			break;
		}
		r->nevents++;
		b = ev.icount >= iend ? r->nbuckets - 1 :
			(u32)(ev.icount * r->nbuckets / iend);
		switch (ev.kind) {
		case ABTP_EV_EXEC: {
			struct rp_site *s = site_get(r, ev.pc, ev.word);

			if (!s) {
				errf(r, "out of memory");
				return -1;
			}
			s->execs++;
			r->nexec++;
			for (q = 0; q < r->npol; q++)
				exec_event(r, &r->pol[q], s, &ev, b);
			break;
		}
		case ABTP_EV_LOAD:
		case ABTP_EV_STORE:
			r->naccess++;
			if (!(r->known[ev.pc >> 15] >> ((ev.pc >> 12) & 7) & 1))
				r->access_pc_unknown++;
			for (q = 0; q < r->npol; q++)
				if (r->pol[q].rt)
					access_event(r, &r->pol[q], &ev, b);
			break;
		case ABTP_EV_TLB1:
			tlb1_write(r, &ev);
			break;
		default:
			r->nunknown++;
			break;
		}
	}
	return 0;
}

int replay_run(struct replay *r, const char *path)
{
	const struct abtp_info *info;
	const struct abtp_page *pages;
	const struct abt_profile *prof;
	struct timespec t0, t1, c0, c1;
	u64 iend;
	u32 i;
	int q;

	r->have_memfeat = replay_have_memfeat;
	r->rd = abtp_open(path, r->err, sizeof(r->err));
	if (!r->rd)
		return -1;
	info = abtp_info(r->rd);
	pages = abtp_pages(r->rd);
	r->info = *info;
	prof = abt_profile_find(r->rule_profile ? r->rule_profile :
				(strstr(info->guest, "boot") ? "uboot" : "linux"));
	if (!prof) {
		errf(r, "%s: no rules profile '%s' (see rules/*.rule)", path,
		     r->rule_profile ? r->rule_profile : info->guest);
		return -1;
	}
	r->prof = *prof;
	if (r->threshold)
		r->prof.threshold = r->threshold;
	if (r->tc_size) {
		r->tc[0].base = r->tc_base;
		r->tc[0].size = r->tc_size;
		r->ntc = 1;
	} else {
		/*
		 * Default: one 128 KiB TC region per group of pages holding
		 * sites (pages sorted by EA, a gap over 16 MiB starts a new
		 * group), just below the group, so in branch reach of it.
		 */
		u32 glo = 0, ghi = 0;

		r->ntc = 0;
		for (i = 0; i <= info->npages; i++) {
			if (i < info->npages && i && pages[i].ea - ghi <= 0x1000000u) {
				ghi = pages[i].ea;
				continue;
			}
			if (i && r->ntc < ABT_MAX_TC_REGIONS) {
				u32 b = (glo & ~0xffffu) >= 0x20000u ?
					(glo & ~0xffffu) - 0x20000u :
					((ghi + 0x10000u) & ~0xffffu);

				r->tc[r->ntc].base = b;
				r->tc[r->ntc].size = 0x20000;
				r->ntc++;
			}
			if (i < info->npages)
				glo = ghi = pages[i].ea;
		}
		if (!r->ntc) {
			r->tc[0].base = 0x100000;
			r->tc[0].size = 0x20000;
			r->ntc = 1;
		}
		r->tc_base = r->tc[0].base;
		r->tc_size = r->tc[0].size;
	}
	if (!r->mirror_size) {
		r->mirror_base = r->tc_base >= 0x40000u ? r->tc_base - 0x40000u :
				 r->tc_base + r->tc_size;
		r->mirror_size = 0x40000;
	}
	for (i = 0; i < info->npages; i++) {
		u32 k, ea = pages[i].ea;

		for (k = 0; k < r->ntc; k++)
			if (ea - r->tc[k].base < r->tc[k].size) {
				errf(r, "%s: TC region 0x%08x+0x%x holds the profile page 0x%08x (use --tc)",
				     path, r->tc[k].base, r->tc[k].size, ea);
				return -1;
			}
		if (ea - r->mirror_base < r->mirror_size) {
			errf(r, "%s: mirror region 0x%08x+0x%x holds the profile page 0x%08x (use --mirror)",
			     path, r->mirror_base, r->mirror_size, ea);
			return -1;
		}
	}
	iend = info->icount_end ? info->icount_end : 1;
	r->icount_end = iend;
	if (!r->nbuckets)
		r->nbuckets = 200;
	r->mapidx = calloc(1u << 20, 1);
	r->known = calloc(1u << 17, 1);
	if (!r->known) {
		errf(r, "out of memory");
		return -1;
	}
	for (i = 0; i < info->npages; i++)
		r->known[pages[i].ea >> 15] |= (u8)(1u << ((pages[i].ea >> 12) & 7));
	r->site_mask = 4095;
	r->site_idx = calloc(r->site_mask + 1, sizeof(u32));
	if (!r->mapidx || !r->site_idx) {
		errf(r, "out of memory");
		return -1;
	}
	r->npol = 0;
	for (q = 0; q < RP_NPOL; q++) {
		if (!(r->policies & (1u << q)))
			continue;
		if (pol_init(r, &r->pol[r->npol], q, &r->prof, pages,
			     info->npages)) {
			if (!r->err[0])
				errf(r, "out of memory");
			return -1;
		}
		r->pol[r->npol].idx = r->npol;
		r->npol++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	if (replay_events(r, path, iend))
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	r->seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	r->cpu_seconds = (c1.tv_sec - c0.tv_sec) +
			 (c1.tv_nsec - c0.tv_nsec) / 1e9;
	for (q = 0; q < r->npol; q++) {
		struct rp_pol *p = &r->pol[q];
		const struct replay_costs *c = &r->costs;
		u64 dsis = p->dsi_traced_r + p->dsi_traced_w + p->dsi_false;

		p->t_silicon_us = p->exits * c->exit_us + dsis * c->dsi_us +
			p->tlb_misses * c->miss_us + p->insns * c->insn_ns / 1000.0;
		p->t_nested_us = p->exits * c->nested_exit_us +
			dsis * c->nested_dsi_us +
			p->tlb_misses * c->nested_miss_us +
			p->insns * c->insn_ns / 1000.0;
		if (p->rt)
			p->st = *p->rst;
	}
	return 0;
}

void replay_free(struct replay *r)
{
	int q;
	u32 i;

	for (q = 0; q < r->npol; q++) {
		struct rp_pol *p = &r->pol[q];

		for (i = 0; i < 1024; i++) {
			if (!p->dir[i])
				continue;
			for (u32 j = 0; j < 1024; j++)
				free(p->dir[i][j]);
			free(p->dir[i]);
		}
		free(p->perm);
		free(p->rlist);
		free(p->rt);
		free(p->tl_exits);
		free(p->tl_dsis);
	}
	free(r->mapidx);
	free(r->known);
	free(r->site_idx);
	free(r->sites);
	if (r->rd)
		abtp_close(r->rd);
	memset(r, 0, sizeof(*r));
}
