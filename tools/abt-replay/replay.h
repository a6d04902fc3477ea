/* SPDX-License-Identifier: GPL-2.0 */
/*
 * abt-replay core (replay.c): one pass over a profile's events drives every
 * selected policy; abt-replay.c prints and plots the results, and
 * tests/test_replay.c checks them.
 */
#ifndef ABT_REPLAY_H
#define ABT_REPLAY_H

#include "abt.h"
#include "abtp.h"

enum rp_policy { RP_STOCK, RP_PV, RP_ABT, RP_MIRROR, RP_RESIZE, RP_FULL,
		 RP_NPOL };
#define RP_ALL_POLICIES		((1u << RP_NPOL) - 1)
extern const char *const replay_policy_names[RP_NPOL];

#define RP_MAX_MAPS	64	/* port-side TLB1 mappings (index 0 unused) */
#define RP_TLB1_ENTRIES	64
#define RP_TLB0_SETS	128	/* e500v2 TLB0: 512 entries, 4-way */
#define RP_TLB0_WAYS	4

/* Per-event costs (µs; instructions in ns). See docs/replay.md. */
struct replay_costs {
	double exit_us, dsi_us, miss_us;			/* silicon */
	double nested_exit_us, nested_dsi_us, nested_miss_us;	/* nested KVM */
	double insn_ns;			/* one guest instruction (stubs, PV) */
};
void replay_default_costs(struct replay_costs *c);

struct rp_page {
	u8 data[4096];			/* big-endian guest bytes */
};

struct rp_site {
	u32 pc, word;
	u16 rule;			/* enum abt_rule of word */
	u8 pv;				/* PV replacement cost, 0: not PV */
	u64 execs;
	u64 exits[RP_NPOL];		/* by policy slot (rp_pol.idx) */
	/* abt policies: abt_site_find(pc) cached while the runtime's patch
	 * generation (rp_pol.gen) is unchanged */
	u32 cgen[RP_NPOL];		/* generation + 1 of the cache */
	u16 cwords[RP_NPOL];		/* 0: not patched; else instructions */
	u8 cmembers[RP_NPOL];
	u8 mem_ok[RP_NPOL];		/* guest memory holds word at pc */
};

struct rp_map {
	u32 ea, size, pa;
	u8 valid;
};

struct replay;

struct rp_pol {
	struct replay *r;
	const char *name;
	int kind;			/* enum rp_policy */
	int idx;			/* slot in replay.pol */
	u32 feat;			/* ABT_FEAT_* in effect */
	struct abt_rt *rt;		/* abt policies only */
	const struct abt_stats *rst;	/* its counters, live */
	struct rp_page **dir[1024];	/* guest memory, by EA */
	u8 *perm;			/* shadow permission per 4 KiB page */
	u8 split[RP_MAX_MAPS];
	u32 nrestr[RP_MAX_MAPS];	/* restricted pages in each mapping */
	u32 *rlist, nrlist, rcap;	/* restricted pages (not R+W) */
	bool has_split;
	u32 tlb0[RP_TLB0_SETS][RP_TLB0_WAYS];
	u8 tlb0_rr[RP_TLB0_SETS];
	u32 cov_next, cov_end;		/* cluster members still in the stub */

	u64 exits, exits_rule[ABT_RULE_COUNT];
	u64 free_execs;			/* privileged executions without exit */
	u64 insns;			/* guest instructions of stubs/PV code */
	u64 dsi_traced_r, dsi_traced_w, dsi_false, dsi_errors;
	u64 mirrored_accesses, tlb_misses;
	u64 *tl_exits, *tl_dsis;	/* per timeline bucket */
	double t_silicon_us, t_nested_us;
	struct abt_stats st;		/* runtime stats at the end */
};

/* Default --read-burst: kvm-glue's default kvm.abt_read_burst. */
#define RP_DEF_READ_BURST	8

struct replay {
	/* configuration (set before replay_run) */
	u32 policies;			/* bit per enum rp_policy */
	const char *rule_profile;	/* NULL: from the profile's guest name */
	u32 threshold;			/* 0: the rules profile's */
	u32 tc_base, tc_size;		/* 0 size: default (see ntc) */
	u32 mirror_base, mirror_size;
	u32 nbuckets;
	struct replay_costs costs;
	bool have_memfeat;		/* runtime has the memory features */
	u64 max_events;			/* 0: all; else stop after that many */
	u64 pv_from;			/* pv: patched from this icount on */
	u32 read_burst;			/* abt policies: the runtime's
					 * read_burst (0: never) */

	/* results */
	char err[256];
	struct abtp_reader *rd;
	struct abtp_info info;
	struct abt_profile prof;
	u64 icount_end;
	u64 nevents, nexec, naccess, ntlb1, nunknown, nmaps, map_overflow;
	double seconds, cpu_seconds;	/* of the event loop */
	u32 ntc;			/* TC regions in use */
	struct { u32 base, size; } tc[ABT_MAX_TC_REGIONS];
	int npol;
	struct rp_pol pol[RP_NPOL];
	struct rp_site *sites;
	u32 nsites, site_cap, site_mask, *site_idx;
	u8 *mapidx;			/* page -> map index */
	u8 *known;			/* bit per page: in the profile */
	u64 access_pc_unknown;		/* LOAD/STORE at a PC on no profile
					 * page (cannot be rewritten) */
	struct rp_map maps[RP_MAX_MAPS];
	u8 tlb1[RP_TLB1_ENTRIES];	/* ESEL -> map index */
};

/* 0, or -1 with r->err set. Call replay_free afterwards either way. */
int replay_run(struct replay *r, const char *path);
void replay_free(struct replay *r);
int replay_pv_cost(u32 word);

/* The memory-feature API of the runtime, or stand-ins that do nothing when
 * libabt was built without it (replay_memfeat.c; REPLAY_HAVE_MEMFEAT). */
extern const bool replay_have_memfeat;
u32 replay_set_features(struct abt_rt *rt, u32 want);
int replay_mirror_add_region(struct abt_rt *rt, u32 base, u32 size);
int replay_dsi(struct abt_rt *rt, u32 pc, u32 ea, u32 len, bool write,
	       void *buf);
bool replay_access_mirrored(const struct abt_rt *rt, u32 pc, u32 ea,
			    u32 len);
int replay_guest_map(struct abt_rt *rt, u32 ea, u32 size, u32 pa,
		     bool writable);
void replay_guest_unmap(struct abt_rt *rt, u32 ea, u32 size);
void replay_tlb_miss(struct abt_rt *rt, u32 ea, u32 n);

#endif
