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
	/* Shadow-TLB permission of the 4 KiB guest page holding ea. */
	int (*set_page_perm)(void *port, u32 ea, u32 perm);
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
};

struct abt_stats {
	u64 exits;			/* abt_exit calls */
	u64 exits_rule[ABT_RULE_COUNT];
	u64 exits_in_tc;		/* exits whose PC was inside a stub
					 * (not profiled; see abt_site.exits) */
	u64 translations[4];		/* by enum abt_shape */
	u64 translate_fail;
	u64 untranslations;
	u64 tc_bytes;			/* currently allocated */
	u64 tc_bytes_peak;
	u64 trace_reads;		/* guest reads served from original bytes */
	u64 trace_writes;		/* guest writes to traced pages */
	u64 recoveries;			/* PCs mapped back out of a stub */
	u64 prof_evictions;
};

/*
 * Working storage of translation and recovery, kept out of the (kernel)
 * stack. All calls on one struct abt_rt must be serialised by the caller.
 */
struct abt_scratch {
	struct abt_stub st;
	enum abt_rule rules[ABT_MAX_MEMBERS];
	struct abt_fields f[ABT_MAX_MEMBERS];
	u32 orig[ABT_MAX_MEMBERS];
	u8 save[ABT_MAX_STUB_WORDS * 4];	/* TC bytes under a new stub */
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
	u16 site_hash[ABT_MAX_SITES * 2];	/* pc hash -> site index + 1 */
	struct abt_page pages[ABT_MAX_PAGES];
	u32 ntc;
	u32 tc_lo, tc_span;		/* bounding range of all TC regions */
	struct abt_tc_region tc[ABT_MAX_TC_REGIONS];
	struct abt_stats stats;
	struct abt_scratch scratch;
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

/* Lookups for tools and tests. */
const struct abt_site *abt_site_find(const struct abt_rt *rt, u32 pc);
u32 abt_prof_count(const struct abt_rt *rt, u32 pc);

#endif /* ABT_H */
