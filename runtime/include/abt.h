/* SPDX-License-Identifier: GPL-2.0 */
/*
 * abt runtime: adaptive in-place binary translation of privileged guest
 * instructions. Freestanding C99: no libc, no allocation. The caller hands
 * in all memory in struct abt_rt and its tables; guest and host access goes
 * through struct abt_port_ops.
 */
#ifndef ABT_H
#define ABT_H

#include "abt_gen.h"
#include "abt_blob.h"

/* Sizes of the fixed tables inside struct abt_rt (powers of two). */
#define ABT_PROF_BITS		12
#define ABT_PROF_SLOTS		(1 << ABT_PROF_BITS)	/* profiler entries */
#define ABT_PROF_PROBE		8	/* linear-probe window */
#define ABT_SITE_BITS		11
#define ABT_MAX_SITES		(1 << ABT_SITE_BITS)	/* translated sites */
#define ABT_PAGE_BITS		9
#define ABT_MAX_PAGES		(1 << ABT_PAGE_BITS)	/* traced guest pages */
#define ABT_MAX_TC_REGIONS	4
#define ABT_TC_GRANULE		16	/* bytes per TC allocation unit */
#define ABT_TC_MAX_GRANULES	8192	/* per region: 128 KiB */
#define ABT_MAX_MEMBERS		8	/* cluster members per stub */
#define ABT_MAX_STUB_WORDS	96
#define ABT_PAGE_SIZE		4096u
#define ABT_MAX_MIRRORS		64	/* mirrored data ranges + stolen ranges */
#define ABT_MAX_MIRROR_REGIONS	2
#define ABT_MIRROR_MAX_GRANULES	16384	/* per region: 256 KiB */
#define ABT_HOT_SLOTS		256	/* DSI counters, by accessing PC */
#define ABT_MAX_MAPS		16	/* guest TLB1 (huge) mappings */
#define ABT_MAX_STEAL_HINTS	8

/*
 * Memory features (struct abt_rt.features, set with abt_set_features()).
 * 0 after abt_init(): traced pages only, exactly the behaviour without
 * these mechanisms.
 */
#define ABT_FEAT_MIRROR		1u	/* adaptive data mirroring */
#define ABT_FEAT_RESIZE		2u	/* adaptive page resizing */
#define ABT_FEAT_STEAL		4u	/* TC placement by stealing */
#define ABT_FEAT_ALL		7u

/* Defaults of the tunables in struct abt_rt (abt_init sets them). */
#define ABT_DEF_MIRROR_THRESHOLD	32	/* DSIs from one PC */
#define ABT_DEF_MIRROR_SPAN		64	/* bytes one PC may touch */
#define ABT_DEF_SPLIT_MIN		16	/* false DSIs in a window */
#define ABT_DEF_RESIZE_WINDOW		1024	/* clock ticks (see abt_rt) */
#define ABT_DEF_COST_DSI		100	/* relative cost of a DSI exit */
#define ABT_DEF_COST_MISS		4	/* ... of a shadow TLB miss */

/* Page permissions for set_page_perm (shadow TLB of the port). */
#define ABT_PERM_R	1u
#define ABT_PERM_W	2u
#define ABT_PERM_X	4u
#define ABT_PERM_RWX	(ABT_PERM_R | ABT_PERM_W | ABT_PERM_X)

/* Error codes: negative returns; gen/ defines 1..3. */
#define ABT_ENOENT	4	/* no such site / page */
#define ABT_EFULL	5	/* a fixed table is full */
#define ABT_ENOTC	6	/* no TC space within branch reach */
#define ABT_EIO		7	/* port access failed */
#define ABT_EBUSY	8	/* site overlaps an existing patch */

struct abt_port_ops {
	/* Guest effective-address access as the guest kernel sees it; 0 or -1. */
	int (*read)(void *port, u32 ea, void *buf, u32 len);
	int (*write)(void *port, u32 ea, const void *buf, u32 len);
	/* Make stores to [ea, ea+len) visible to instruction fetch, all vCPUs. */
	void (*flush_icache)(void *port, u32 ea, u32 len);
	/* Shadow-TLB permission of the 4 KiB guest page holding ea. A port
	 * whose shadow maps that page as part of a larger mapping (a guest
	 * TLB1 entry) applies the intersection of the permissions of all its
	 * pages to the whole mapping until split_mapping() is called. */
	int (*set_page_perm)(void *port, u32 ea, u32 perm);
	/*
	 * Optional (NULL: adaptive page resizing unavailable). Shadow the
	 * guest mapping [ea, ea+size) (as given to abt_guest_map) with 4 KiB
	 * pieces, each with its own set_page_perm permission (split), or
	 * with one mapping again (merge). 0 or -1.
	 */
	int (*split_mapping)(void *port, u32 ea, u32 size);
	int (*merge_mapping)(void *port, u32 ea, u32 size);
};

/* Exit profiler entry: one per guest PC that trapped. */
struct abt_prof_entry {
	u32 pc;		/* 0 = empty (PC 0 is never profiled) */
	u32 word;	/* instruction word seen at pc; a new word restarts
			 * the entry, so the hot path needs no decode */
	u32 count;	/* decayed count */
	u32 epoch;	/* decay epoch of count */
	u16 rule;
	u16 flags;	/* ABT_PF_* */
};
#define ABT_PF_TRANSLATED	1	/* site is patched */
#define ABT_PF_REFUSED		2	/* translation failed; do not retry */
#define ABT_PF_NOTC		4	/* no TC space in reach: retried once
					 * some may have appeared (a TC region,
					 * a steal hint, a guest mapping) */

/* A translated site (inplace, branch or cluster). */
struct abt_site {
	u32 pc;			/* EA of the (first) patched word; 0 = free */
	u32 orig;		/* original word at pc */
	u32 patched;		/* word written at pc */
	u32 stub;		/* TC EA of the stub, 0 for inplace */
	u16 stub_words;
	u8 nmembers;
	u8 shape;		/* enum abt_shape */
	u16 rule;		/* rule of the first member */
	u16 next_free;		/* free list link (index + 1) */
	u32 exits;		/* exits taken from inside its stub */
	u16 mirror;		/* mirror index + 1: a data access rewritten
				 * to reach that mirror (shape BRANCH,
				 * rule ABT_RULE_NONE); 0 otherwise */
};

/* Per-word recovery of a stub: what an interrupt at that word must undo. */
struct abt_recovery {
	u8 member;		/* member index k whose commit decides the PC */
	u8 committed;		/* 1: resume at site_k + 4, 0: at site_k */
	u8 restore;		/* ABT_RESTORE_T0 | _T1 | _CR */
	u8 pad;
};
#define ABT_RESTORE_T0	1
#define ABT_RESTORE_T1	2
#define ABT_RESTORE_CR	4

/* A composed stub, as written into the TC. */
struct abt_stub {
	u32 ea;
	int nwords;
	u32 words[ABT_MAX_STUB_WORDS];
	struct abt_recovery rec[ABT_MAX_STUB_WORDS];
	u8 t[2];		/* physical temps */
	u8 nmembers;
};

struct abt_tc_region {
	u32 base;
	u32 size;
	u32 ngranules;
	u32 used;		/* granules in use */
	u8 map[ABT_TC_MAX_GRANULES / 8];	/* bit set = granule used */
	u16 owner[ABT_TC_MAX_GRANULES];	/* site index + 1 of the stub starting
					 * at each granule, 0 if none */
};

/* Open-addressed by page number; nsites == 0 marks a free entry. */
struct abt_page {
	u32 ea;			/* page-aligned guest EA */
	u32 nsites;		/* patched words and stubs on this page */
	u32 reads;		/* load DSIs counted towards a read burst */
};

/*
 * A mirror: guest bytes [ea, ea+size) kept at mirror_ea (in a mirror
 * region). Kind DATA: hot data on a traced page; the mirror is
 * authoritative, see docs/runtime.md. Kind STOLEN: a read-only guest range
 * whose space is a TC region now; the mirror holds the guest's bytes.
 */
struct abt_mirror {
	u32 ea;			/* 0: free */
	u32 size;
	u32 mirror_ea;
	u16 nsites;		/* rewritten accesses using it (DATA) */
	u8 kind;		/* ABT_MIRROR_* */
	u8 pad;
};
#define ABT_MIRROR_DATA		1
#define ABT_MIRROR_STOLEN	2

struct abt_mirror_region {
	u32 base;
	u32 size;
	u32 ngranules;
	u8 map[ABT_MIRROR_MAX_GRANULES / 8];
};

/* DSI counter of one accessing PC (mirroring candidates). */
struct abt_hot {
	u32 pc;			/* 0: empty */
	u32 lo, hi;		/* EAs seen: [lo, hi) */
	u32 count;
	u32 flags;		/* ABT_HOT_* */
};
#define ABT_HOT_DONE		1	/* rewritten */
#define ABT_HOT_REFUSED		2	/* cannot be mirrored; do not retry */

/* A guest TLB1 mapping (abt_guest_map) and its resizing state. */
struct abt_map {
	u32 ea;
	u32 size;		/* 0: free */
	u32 pa;
	u32 traced;		/* traced 4 KiB pages inside */
	u8 split;		/* shadowed with 4 KiB pieces */
	u8 writable;		/* the guest may store through it */
	u8 pad[2];
	u32 false_dsis;		/* DSIs on untraced pages, this window */
	u32 misses;		/* TLB misses while split, this window */
	u32 saved_rate;		/* false DSIs per window measured at split */
	u64 win_start;		/* rt->clock at the start of the window */
};

struct abt_steal_hint {
	u32 base;
	u32 size;		/* 0: free */
	u32 accesses;		/* guest data accesses seen in it */
};

/*
 * The runtime's counters, in the order printers list them: C(name,
 * meaning) is a u64 field of struct abt_stats, E(name, element, meaning)
 * an element of one of its arrays. The struct's fields and every printer
 * (through abt_stat_name(), abt_stat_meaning() and abt_stat_value()) come
 * from this one list.
 */
#define ABT_STATS(C, E) \
	C(exits, "abt_exit calls") \
	C(exits_in_tc, "exits from inside a stub (not profiled)") \
	E(translations_inplace, translations[ABT_SHAPE_INPLACE], \
	  "sites patched in place") \
	E(translations_branch, translations[ABT_SHAPE_BRANCH], \
	  "sites patched with a branch to a stub") \
	E(translations_cluster, translations[ABT_SHAPE_CLUSTER], \
	  "sites patched with a cluster stub") \
	C(translate_fail, "translations that failed") \
	C(untranslations, "patches undone") \
	C(tc_bytes, "TC bytes allocated now") \
	C(tc_bytes_peak, "TC bytes allocated at the peak") \
	C(trace_reads, "guest reads served from original bytes") \
	C(trace_writes, "guest writes to traced pages") \
	C(recoveries, "PCs mapped back out of a stub") \
	C(prof_evictions, "profile entries evicted") \
	C(notc_retries, "sites retried when TC space appeared") \
	C(dsi_reads, "DSIs on traced pages: loads") \
	C(dsi_writes, "DSIs on traced pages: stores") \
	C(dsi_false, "DSIs on untraced pages (unsplit mapping)") \
	C(smc_drops, "patches dropped by guest writes") \
	C(mirrors, "data mirrors made") \
	C(mirror_sites, "data accesses rewritten to a mirror") \
	C(mirror_writes, "trapped writes copied into a mirror") \
	C(mirror_refused, "hot PCs that could not be mirrored") \
	C(splits, "guest mappings split") \
	C(merges, "split mappings merged back") \
	C(merges_cost, "... of them because the split cost more") \
	C(tlb_misses, "shadow TLB misses in split mappings") \
	C(tc_stolen_bytes, "TC bytes taken from stolen ranges") \
	C(stolen_reads, "guest reads served from a steal mirror") \
	C(unsteals, "stolen ranges given back (a write)") \
	C(steal_writable, "steal hints passed over: mapped writable") \
	C(read_bursts, "pages that gave patches up to read bursts") \
	C(burst_drops, "... patches dropped so")

#define ABT_STAT_FIELD(name, meaning)		u64 name;
#define ABT_STAT_ELEMENT(name, element, meaning)
struct abt_stats {
	u64 exits_rule[ABT_RULE_COUNT];	/* abt_exit calls by rule (printed
					 * per rule, not in ABT_STATS) */
	u64 translations[4];		/* by enum abt_shape */
	ABT_STATS(ABT_STAT_FIELD, ABT_STAT_ELEMENT)
};
#undef ABT_STAT_FIELD
#undef ABT_STAT_ELEMENT

#define ABT_STAT_ENUM(name, ...)	ABT_STAT_##name,
enum abt_stat {
	ABT_STATS(ABT_STAT_ENUM, ABT_STAT_ENUM)
	ABT_NSTATS
};
#undef ABT_STAT_ENUM


/* A stub and the decoded words of its members. */
struct abt_members {
	struct abt_stub st;
	enum abt_rule rules[ABT_MAX_MEMBERS];
	struct abt_fields f[ABT_MAX_MEMBERS];
	u32 orig[ABT_MAX_MEMBERS];
};

/*
 * Working storage, kept out of the (kernel) stack. Every buffer has one
 * user, so no buffer's contents depend on which runtime call ran last.
 * All calls on one struct abt_rt must be serialised by the caller.
 */
struct abt_scratch {
	struct abt_members translate;	/* a rule stub being installed */
	struct abt_stub mirror;		/* a mirror stub being installed */
	struct abt_members recover;	/* a stub recomposed (recovery) */
	u8 undo[ABT_MAX_STUB_WORDS * 4];	/* TC bytes under a new stub */
	u8 bounce[ABT_MAX_STUB_WORDS * 4];	/* guest bytes being copied
						 * (original <-> mirror) */
};

struct abt_rt {
	const struct abt_profile *prof;
	const struct abt_port_ops *ops;
	void *port;
	u32 epoch;			/* profiler decay epoch */
	u32 epoch_left;			/* exits until the next epoch */
	struct abt_prof_entry prof_tab[ABT_PROF_SLOTS];
	struct abt_site sites[ABT_MAX_SITES];
	u16 site_free;			/* head of free list (index + 1) */
	u32 nsites;			/* sites in use */
	u32 notc_sites;			/* entries marked ABT_PF_NOTC (at most) */
	u16 site_hash[ABT_MAX_SITES * 2];	/* pc hash -> site index + 1 */
	struct abt_page pages[ABT_MAX_PAGES];
	u32 ntc;
	u32 tc_lo, tc_span;		/* bounding range of all TC regions */
	u32 tc_gen;			/* TC regions added so far: a steal
					 * adds one deep inside a call, the
					 * entry point tells the profile */
	struct abt_tc_region tc[ABT_MAX_TC_REGIONS];
	struct abt_stats stats;
	struct abt_scratch scratch;

	/* Memory features. Tunables may be changed after abt_init. */
	u32 features;			/* ABT_FEAT_*, see abt_set_features */
	u32 mirror_threshold;		/* DSIs from one PC before mirroring */
	u32 mirror_span;		/* a PC whose DSIs span more bytes is
					 * never mirrored (0: no limit) */
	u32 split_min;			/* false DSIs in a window to split */
	u32 resize_window;		/* window of the cost model, in ticks */
	u32 cost_dsi, cost_miss;	/* cost model weights */
	u32 read_burst;			/* load DSIs on a traced page, not
					 * taken over by a mirror, before the
					 * page drops its patches; 0 (after
					 * abt_init): never. A port choice:
					 * kvm.abt_read_burst, abt-replay
					 * --read-burst */
	u64 clock;			/* ticks: abt_dsi calls and abt_tick;
					 * the cost model adds stats.exits */
	u32 nmirrors;			/* mirrors in use */
	u32 nmaps;			/* guest mappings recorded */
	u32 nmirror_regions;
	struct abt_mirror_region mregion[ABT_MAX_MIRROR_REGIONS];
	struct abt_mirror mirrors[ABT_MAX_MIRRORS];
	struct abt_hot hot[ABT_HOT_SLOTS];
	struct abt_map maps[ABT_MAX_MAPS];
	struct abt_steal_hint hints[ABT_MAX_STEAL_HINTS];
};

/* Result of abt_exit. */
enum abt_exit_action {
	ABT_EXIT_EMULATE,	/* emulate the instruction as usual */
	ABT_EXIT_TRANSLATED,	/* the site was just patched; still emulate
				 * this execution as usual */
};

int abt_init(struct abt_rt *rt, const struct abt_profile *prof,
	     const struct abt_port_ops *ops, void *port);
/* Add a TC region (guest EA range the runtime may fill with stubs). */
int abt_tc_add_region(struct abt_rt *rt, u32 base, u32 size);

/*
 * Called on every privileged-instruction exit from guest supervisor mode,
 * before the port emulates it. `word` is the instruction at `pc`. Counts the
 * site and translates it when it crosses the profile threshold.
 */
enum abt_exit_action abt_exit(struct abt_rt *rt, u32 pc, u32 word);

/*
 * Translate the site at pc now (tools, tests). 0 or negative error; on error
 * guest memory is unchanged and the profiler will not retry the site.
 */
int abt_translate(struct abt_rt *rt, u32 pc);
/*
 * Undo the patch whose first word is at pc: the original word goes back
 * (only if the patched word is still there) and the stub's TC space is
 * freed at once. On SMP the port must first make sure no vCPU is inside
 * that stub (kick them out and abt_recover_pc() their PCs).
 */
int abt_untranslate(struct abt_rt *rt, u32 pc);
/* Undo every patch. */
void abt_untranslate_all(struct abt_rt *rt);

/* Is ea inside an allocated stub (granule-rounded)? */
bool abt_in_tc(const struct abt_rt *rt, u32 ea);
/*
 * Map a guest PC out of a stub before the port delivers an interrupt (or
 * otherwise exposes the PC). If pc is in a stub, restores the temps / CR in
 * gpr[] / *cr from the magic page scratch slots and returns the guest PC to
 * use; otherwise returns pc unchanged.
 */
u32 abt_recover_pc(struct abt_rt *rt, u32 pc, u32 gpr[32], u32 *cr);

/*
 * Tracing: guest data access to a traced page. Pages holding a patched word
 * or (part of) a stub are traced, and set execute-only through the port.
 */
bool abt_page_traced(const struct abt_rt *rt, u32 ea);
/* Guest read of [ea, ea+len) on traced pages: fill buf with original bytes. */
int abt_trace_read(struct abt_rt *rt, u32 ea, void *buf, u32 len);
/* Guest write of [ea, ea+len): drop every patch whose words overlap it (for
 * a cluster: any member word; also any stub the range overlaps), so the
 * caller can then let the write through. Returns patches dropped. */
int abt_trace_write(struct abt_rt *rt, u32 ea, u32 len);

/* Words of the stub for these n members (independent of EA and temps), or
 * a negative error. */
int abt_stub_words(const enum abt_rule *rules, int n);
/* Compose a stub for the cluster of `n` decoded members at consecutive
 * sites starting at site_pc into st, to run at st->ea. Pure: no port access.
 * Returns st->nwords or a negative error. */
int abt_stub_compose(const struct abt_profile *prof, u32 site_pc,
		     const enum abt_rule *rules, const struct abt_fields *f,
		     const u32 *orig, int n, struct abt_stub *st);

/* ---------------------------------------------------------------------
 * Memory features: data mirroring, page resizing, TC stealing, and the
 * DSI entry point. See docs/runtime.md "Memory features".
 */

/*
 * Enable features (ABT_FEAT_*); returns the set now enabled, which leaves
 * out what the port cannot do: RESIZE needs split_mapping/merge_mapping,
 * MIRROR and STEAL need a mirror region. Clearing MIRROR or STEAL later
 * does not undo mirrors or steals already made (abt_untranslate_all and
 * abt_unsteal_all do).
 */
u32 abt_set_features(struct abt_rt *rt, u32 want);
/* Add a mirror region: guest EA range, normal (RW) permissions, that the
 * guest itself never uses, like a TC region. */
int abt_mirror_add_region(struct abt_rt *rt, u32 base, u32 size);

/* What the port must do after abt_dsi(). */
enum abt_dsi_action {
	ABT_DSI_FAULT,		/* not the runtime's: a real guest DSI */
	ABT_DSI_READ,		/* complete the load with the len bytes the
				 * runtime put in buf (what the guest sees) */
	ABT_DSI_WRITE,		/* perform the store of buf to [ea, ea+len) in
				 * guest memory and flush the icache for it;
				 * patches it hit are gone, mirrors updated */
	ABT_DSI_ACCESS,		/* untraced page in a restricted mapping:
				 * perform the access as is */
};

/*
 * A guest data access at pc of [ea, ea+len) (len 1..4096) took a DSI
 * because of the shadow permissions the runtime asked for. buf: for a
 * store the bytes stored (big-endian guest order), for a load filled by
 * the runtime. buf may be NULL (e.g. dcbz, stmw in a port that does not
 * have the bytes): a load then gets nothing (the port shows the guest view
 * itself, abt_trace_read), a store first dissolves the data mirrors it
 * overlaps. pc may be inside a stub (the unmirrored path of a rewritten
 * access). Counts the access (mirroring, resizing, stealing
 * detection) and may rewrite guest code, split a mapping or give a stolen
 * range back before returning. Returns an enum abt_dsi_action or a
 * negative error (then deliver nothing; the state is as before).
 */
int abt_dsi(struct abt_rt *rt, u32 pc, u32 ea, u32 len, bool write,
	    void *buf);

/* How an access would fare now (for replay tools; counts nothing). */
enum abt_access_class {
	ABT_ACC_FREE,		/* no DSI */
	ABT_ACC_TRACED,		/* DSI: traced page (or stolen range) */
	ABT_ACC_FALSE,		/* DSI: untraced page of an unsplit mapping
				 * that holds traced pages */
	ABT_ACC_MIRRORED,	/* pc is rewritten and ea is in its mirror:
				 * runs in the stub, no DSI */
};
enum abt_access_class abt_access_class(const struct abt_rt *rt, u32 pc,
				       u32 ea, u32 len);

/*
 * Guest TLB1 mappings (the port calls these from its tlbwe / tlbivax
 * emulation). A mapping replaces any recorded mapping it overlaps. On
 * unmap the port drops its own shadow of the mapping; the runtime forgets
 * the split state. Mappings of 4 KiB or less are ignored. 0 or -ABT_EFULL.
 * flags: ABT_MAP_WRITABLE if the guest may store through the mapping in
 * supervisor mode (MAS3[SW]); steal hints under it are not stolen while
 * it lasts.
 */
#define ABT_MAP_WRITABLE	1
int abt_guest_map(struct abt_rt *rt, u32 ea, u32 size, u32 pa, u32 flags);
void abt_guest_unmap(struct abt_rt *rt, u32 ea, u32 size);
/*
 * Split the recorded mapping holding ea now, whatever the cost model says:
 * the port could not complete a false-DSI access itself (an access form it
 * does not emulate). 0 (also if already split), -ABT_ENOENT (no mapping),
 * -ABT_EINVAL (RESIZE off) or -ABT_EIO (split_mapping failed).
 */
int abt_guest_split(struct abt_rt *rt, u32 ea);
/* n shadow TLB misses at ea in a split mapping (cost model). */
void abt_tlb_miss(struct abt_rt *rt, u32 ea, u32 n);
/* Advance the cost model clock by n ticks (a port with a time source). */
void abt_tick(struct abt_rt *rt, u32 n);

/*
 * TC placement by stealing. A hint names a guest range believed read-only
 * (e.g. .rodata); with ABT_FEAT_STEAL, when a stub finds no TC space in
 * branch reach, the runtime steals the nearest hint in reach in which it
 * has seen no guest data access and which no writable guest mapping
 * covers (abt_guest_map). Hints should be whole pages: the pages of a
 * stolen range are traced. abt_tc_steal() steals now: the range's
 * bytes move to a mirror, the range becomes a TC region, its pages are
 * traced so guest loads are served from the mirror; a guest store to it
 * gives it back (its stubs are dropped, the bytes restored, then the store
 * goes through). base and size: 16-byte aligned.
 */
int abt_steal_hint(struct abt_rt *rt, u32 base, u32 size);
int abt_tc_steal(struct abt_rt *rt, u32 base, u32 size);
/* Give every stolen range back (drops the stubs in them). */
void abt_unsteal_all(struct abt_rt *rt);

/*
 * Forward progress after a rollback out of a mirror stub: if pc is the
 * site of a rewritten access, perform that access now on the trap path
 * (guest view, mirror and coherence rules as the stub and abt_dsi apply
 * them; a load's target in gpr[] is set) and return 0: the port then
 * resumes at pc + 4. -ABT_ENOENT if pc is no such site.
 */
int abt_mirror_step(struct abt_rt *rt, u32 pc, u32 gpr[32]);

/* Mirror holding ea (data or stolen), or NULL. */
const struct abt_mirror *abt_mirror_find(const struct abt_rt *rt, u32 ea);

/* ---------------------------------------------------------------------
 * What a port reads of the runtime's state, and the one tunable it sets
 * at run time. A port allocates struct abt_rt, but its fields are the
 * runtime's: a port uses these calls, never the fields.
 */

/* Lookups for tools and tests. */
const struct abt_site *abt_site_find(const struct abt_rt *rt, u32 pc);
u32 abt_prof_count(const struct abt_rt *rt, u32 pc);

u32 abt_nsites(const struct abt_rt *rt);	/* sites patched */
u32 abt_nmaps(const struct abt_rt *rt);		/* guest mappings recorded */
u32 abt_nmirrors(const struct abt_rt *rt);	/* mirrors, data and stolen */
const struct abt_profile *abt_profile_of(const struct abt_rt *rt);
const struct abt_stats *abt_stats_get(const struct abt_rt *rt);
/* Counter i (enum abt_stat, 0 .. ABT_NSTATS - 1) of ABT_STATS: its name
 * (as in the list), what it counts, its value in st. */
const char *abt_stat_name(unsigned int i);
const char *abt_stat_meaning(unsigned int i);
u64 abt_stat_value(const struct abt_stats *st, unsigned int i);

/*
 * The sites in use, in table order: abt_site_next(rt, NULL) is the first,
 * NULL after the last. The loop may drop the site at hand
 * (abt_untranslate): the walk goes on from its table slot.
 */
const struct abt_site *abt_site_next(const struct abt_rt *rt,
				     const struct abt_site *s);
#define abt_for_each_site(rt, s) \
	for ((s) = abt_site_next((rt), NULL); (s); \
	     (s) = abt_site_next((rt), (s)))

/* The recorded guest mapping holding ea, or NULL. */
const struct abt_map *abt_map_find(const struct abt_rt *rt, u32 ea);
/* The recorded guest mappings, as abt_site_next. */
const struct abt_map *abt_map_next(const struct abt_rt *rt,
				   const struct abt_map *m);
#define abt_for_each_map(rt, m) \
	for ((m) = abt_map_next((rt), NULL); (m); \
	     (m) = abt_map_next((rt), (m)))

/* The steal hints given (abt_steal_hint), as abt_site_next. */
const struct abt_steal_hint *abt_hint_next(const struct abt_rt *rt,
					   const struct abt_steal_hint *h);
#define abt_for_each_hint(rt, h) \
	for ((h) = abt_hint_next((rt), NULL); (h); \
	     (h) = abt_hint_next((rt), (h)))

/*
 * TC region i, counting from 0 (regions added, stolen ranges): 0 and its
 * range in *base, *size, or -ABT_ENOENT when there are no more.
 */
int abt_tc_region_at(const struct abt_rt *rt, u32 i, u32 *base, u32 *size);

/*
 * Load DSIs on a traced page, not taken over by a mirror, before the page
 * gives its patches up (0, after abt_init: never). A port may change it
 * around one abt_dsi() call, e.g. to 0 while another vCPU may be inside a
 * stub (a burst drops patches).
 */
void abt_set_read_burst(struct abt_rt *rt, u32 n);

/*
 * The guest view of [ea, ea+len), as abt_trace_read gives it, but counting
 * nothing: for a port that inspects guest memory for itself (a debugger,
 * a dump), not for a guest access.
 */
int abt_view_read(struct abt_rt *rt, u32 ea, void *buf, u32 len);

/*
 * A guest profile taken from a profile blob (rulesc --profile-blob,
 * docs/profile-blob.md) and the storage its name points into.
 */
struct abt_profile_buf {
	struct abt_profile prof;
	char name[ABT_BLOB_NAME_LEN];
};

/*
 * Check blob (len bytes) and fill *out from it: 0, or -ABT_EINVAL with
 * *why (if why) naming what is wrong. The layout must be one of this
 * host's, slot for slot; rules are matched by name, unknown ones are
 * refused, rules the blob does not name trap. The magic page's reach is
 * checked by abt_init(), as for a compiled-in profile.
 */
int abt_profile_parse(const void *blob, u32 len, struct abt_profile_buf *out,
		      const char **why);

#endif /* ABT_H */
