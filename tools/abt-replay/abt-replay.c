// SPDX-License-Identifier: GPL-2.0
/*
 * abt-replay: replay recorded boot profiles (.abtp) through the abt runtime
 * under several policies and report exits, DSIs and a modelled time.
 * Usage: see usage() or docs/replay.md.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "replay.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: abt-replay [options] PROFILE.abtp...\n"
"\n"
"Replays each profile (tools/profile/abtp.h) once, driving every selected\n"
"policy in the same pass over the events, and prints a table per profile.\n"
"\n"
"policies (-p LIST, comma separated; default all):\n"
"  stock       every privileged instruction executed is an exit\n"
"  pv          what Linux 6.1 arch/powerpc/kernel/kvm.c patches on e500 is\n"
"              free (from the first event on), everything else exits\n"
"  abt         abt runtime, no memory features\n"
"  abt+mirror  + ABT_FEAT_MIRROR      abt+resize  + ABT_FEAT_RESIZE\n"
"  abt-full    ABT_FEAT_ALL (mirroring, resizing, stealing)\n"
"\n"
"options:\n"
"  -p, --policies LIST     policies to run\n"
"  -r, --rules-profile N   rules profile (rules/*.rule; default: uboot if the\n"
"                          profile's guest name contains \"boot\", else linux)\n"
"  -t, --threshold N       override the rules profile's threshold\n"
"      --tc BASE:SIZE      TC region (default: 128 KiB below each group of\n"
"                          pages holding sites, up to 4)\n"
"      --mirror BASE:SIZE  mirror region (default 256 KiB below the TC)\n"
"      --exit-us X         silicon cost of an exit (default 1.0)\n"
"      --dsi-us X          silicon cost of a DSI exit (default 1.5)\n"
"      --miss-us X         silicon cost of a shadow TLB miss (default 1.0)\n"
"      --nested-exit-us X  nested KVM cost of an exit (default 1.66)\n"
"      --nested-dsi-us X   nested KVM cost of a DSI (default 4.5)\n"
"      --nested-miss-us X  nested KVM cost of a TLB miss (default 4.2)\n"
"      --insn-ns X         cost of one stub / PV instruction (default 1.0)\n"
"  -b, --buckets N         timeline buckets over icount (default 200)\n"
"      --top N             sites in the per-site data (default 20)\n"
"      --csv FILE          append one CSV row per policy (header if new)\n"
"  -o, --out DIR           write DIR/replay-NAME-{timeline,sites}.dat\n"
"                          and DIR/replay-NAME.gp (gnuplot: PNG + SVG)\n"
"  -n, --name NAME         NAME for --out files (default: profile basename)\n"
"      --pv-from ICOUNT    pv: the kernel patches itself at this guest\n"
"                          instruction count (default 0: from the start)\n"
"      --read-burst N      abt policies: a traced page gives its patches up\n"
"                          at its N+1th load DSI that no mirror takes over\n"
"                          (runtime read_burst; default 8, kvm-glue's\n"
"                          kvm.abt_read_burst; 0: never)\n"
"      --max-events N      stop after N events\n"
"      --repeat N          replay N times, report the best CPU time (bench)\n"
"  -q, --quiet             no table\n"
"  -h, --help\n");
}

static int parse_policies(const char *s, u32 *out)
{
	char buf[256], *tok, *save = NULL;
	u32 m = 0;
	int i;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "all")) {
			m |= RP_ALL_POLICIES;
			continue;
		}
		for (i = 0; i < RP_NPOL; i++)
			if (!strcmp(tok, replay_policy_names[i]))
				break;
		if (i == RP_NPOL) {
			fprintf(stderr, "abt-replay: unknown policy '%s' (stock, pv, abt, abt+mirror, abt+resize, abt-full, all)\n",
				tok);
			return -1;
		}
		m |= 1u << i;
	}
	if (!m) {
		fprintf(stderr, "abt-replay: no policy in '%s'\n", s);
		return -1;
	}
	*out = m;
	return 0;
}

static int parse_u32(const char *s, u32 *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || end == s || *end || x > 0xffffffffull)
		return -1;
	*v = (u32)x;
	return 0;
}

static int parse_range(const char *s, u32 *base, u32 *size)
{
	char buf[64], *c;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	c = strchr(buf, ':');
	if (!c)
		return -1;
	*c = 0;
	if (parse_u32(buf, base) || parse_u32(c + 1, size) || !*size ||
	    (*base & 15) || (*size & 15) || (u64)*base + *size > 0x100000000ull)
		return -1;
	return 0;
}

static int parse_double(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return errno || end == s || *end || *v < 0 ? -1 : 0;
}

static u64 dsis(const struct rp_pol *p)
{
	return p->dsi_traced_r + p->dsi_traced_w + p->dsi_false;
}

static const struct rp_pol *find_pol(const struct replay *r, int kind)
{
	int q;

	for (q = 0; q < r->npol; q++)
		if (r->pol[q].kind == kind)
			return &r->pol[q];
	return NULL;
}

static u64 translations(const struct rp_pol *p)
{
	return p->st.translations[1] + p->st.translations[2] +
	       p->st.translations[3];
}

/* Exits at rules abt can translate under this rules profile. */
static bool removable_rule(const struct replay *r, int k)
{
	return k && abt_rules[k].shape != ABT_SHAPE_TRAP && r->prof.enabled[k];
}

static u64 removable_exits(const struct replay *r, const struct rp_pol *p)
{
	u64 n = 0;
	int k;

	for (k = 0; k < ABT_RULE_COUNT; k++)
		if (removable_rule(r, k))
			n += p->exits_rule[k];
	return n;
}

/* The runtime's counters (abt.h ABT_STATS) of the abt policies, the ones
 * not 0 in any of them. */
static void print_counters(const struct replay *r)
{
	unsigned int i;
	int q;

	printf("\nabt runtime counters (--read-burst %u; those 0 in every policy left out):\n%-22s",
	       r->read_burst, "counter");
	for (q = 0; q < r->npol; q++)
		if (r->pol[q].rt)
			printf(" %11s", r->pol[q].name);
	printf("\n");
	for (i = 0; i < ABT_NSTATS; i++) {
		u64 any = 0;

		for (q = 0; q < r->npol; q++)
			if (r->pol[q].rt)
				any |= abt_stat_value(&r->pol[q].st, i);
		if (!any)
			continue;
		printf("%-22s", abt_stat_name(i));
		for (q = 0; q < r->npol; q++)
			if (r->pol[q].rt)
				printf(" %11" PRIu64, abt_stat_value(&r->pol[q].st, i));
		printf("\n");
	}
}

static void print_table(const struct replay *r, const char *path)
{
	const struct rp_pol *stock = find_pol(r, RP_STOCK);
	u64 base = stock ? stock->exits : r->nexec;
	u64 rbase = stock ? removable_exits(r, stock) : 0;
	int q, k;

	printf("== %s: guest \"%s\", %s\n", path, r->info.guest,
	       r->info.qemu);
	printf("   %" PRIu64 " events (%" PRIu64 " exec, %" PRIu64 " load, %"
	       PRIu64 " store, %" PRIu64 " TLB1), icount %" PRIu64 ", %u pages, %u sites\n",
	       r->nevents, r->info.nexec, r->info.nload, r->info.nstore,
	       r->info.ntlb1, r->icount_end, r->info.npages, r->nsites);
	if (r->naccess)
		printf("   %" PRIu64 " of %" PRIu64 " loads/stores at a PC on no profile page (mirroring cannot rewrite those)\n",
		       r->access_pc_unknown, r->naccess);
	printf("   rules profile %s: threshold %u, magic 0x%08x; TC",
	       r->prof.name, r->prof.threshold, r->prof.magic_ea);
	for (k = 0; k < (int)r->ntc; k++)
		printf(" 0x%08x+0x%x", r->tc[k].base, r->tc[k].size);
	printf(", mirror 0x%08x+0x%x%s\n", r->mirror_base, r->mirror_size,
	       r->have_memfeat ? "" :
	       "\n   NOTE: libabt without memory features: abt+mirror/resize/full run as abt");
	printf("\n%-11s %10s %8s %8s %7s %10s %10s %9s %7s %13s %9s %12s %12s\n",
	       "policy", "exits", "removed", "of-remov", "transl", "dsi-traced",
	       "dsi-false", "tlb-miss", "mirrors", "splits/merges", "TC-peak",
	       "silicon-ms", "nested-ms");
	for (q = 0; q < r->npol; q++) {
		const struct rp_pol *p = &r->pol[q];
		char sm[32];

		snprintf(sm, sizeof(sm), "%" PRIu64 "/%" PRIu64, p->st.splits,
			 p->st.merges);
		printf("%-11s %10" PRIu64 " %7.2f%% %7.2f%% %7" PRIu64 " %10" PRIu64
		       " %10" PRIu64 " %9" PRIu64 " %7" PRIu64 " %13s %9" PRIu64
		       " %12.3f %12.3f\n",
		       p->name, p->exits,
		       base ? 100.0 * (double)(base - p->exits) / base : 0.0,
		       rbase ? 100.0 * (double)(rbase - removable_exits(r, p)) /
			       rbase : 0.0,
		       translations(p), p->dsi_traced_r + p->dsi_traced_w,
		       p->dsi_false, p->tlb_misses, p->st.mirrors, sm,
		       p->st.tc_bytes_peak, p->t_silicon_us / 1000.0,
		       p->t_nested_us / 1000.0);
	}
	print_counters(r);
	printf("\nexits by rule:\n%-18s", "rule");
	for (q = 0; q < r->npol; q++)
		printf(" %11s", r->pol[q].name);
	printf("\n");
	for (k = 0; k < ABT_RULE_COUNT; k++) {
		u64 any = 0;

		for (q = 0; q < r->npol; q++)
			any |= r->pol[q].exits_rule[k];
		if (!any)
			continue;
		printf("%-18s", k ? abt_rules[k].name : "(untranslatable)");
		for (q = 0; q < r->npol; q++)
			printf(" %11" PRIu64, r->pol[q].exits_rule[k]);
		printf("\n");
	}
	{
		const struct rp_pol *f = find_pol(r, RP_FULL);

		if (f && stock) {
			u64 removed = stock->exits - f->exits;
			u64 rr = rbase - removable_exits(r, f);
			double pa = stock->exits ? 100.0 * removed / stock->exits : 0;
			double pr = rbase ? 100.0 * rr / rbase : 0;
			double pd = removed ? 100.0 * (f->dsi_traced_r + f->dsi_traced_w) / removed : 0;
			double pf = removed ? 100.0 * dsis(f) / removed : 0;

			printf("\nremovable: %" PRIu64 " of the %" PRIu64 " stock exits are at rules abt translates (the rest: trap-only rules)\n",
			       rbase, stock->exits);
			printf("goal (abt-full): %.2f%% of removable exits removed (%.2f%% of all) (>= 97%%: %s); traced-page DSIs %.3f%% of the exits removed (all DSIs %.3f%%) (< 1%%: %s)\n",
			       pr, pa, pr >= 97.0 ? "met" : "missed", pd, pf,
			       pd < 1.0 ? "met" : "missed");
		}
	}
	printf("replay: %" PRIu64 " events x %d policies, %.3f s CPU (%.3f s wall): %.1f M events/s\n",
	       r->nevents, r->npol, r->cpu_seconds, r->seconds,
	       r->cpu_seconds > 0 ? r->nevents / r->cpu_seconds / 1e6 : 0.0);
}

static int write_csv(const struct replay *r, const char *file,
		     const char *name)
{
	struct stat sb;
	bool fresh = stat(file, &sb) != 0 || sb.st_size == 0;
	FILE *f = fopen(file, "a");
	unsigned int i;
	int q;

	if (!f) {
		fprintf(stderr, "abt-replay: %s: %s\n", file, strerror(errno));
		return -1;
	}
	/* the replay's own columns, the runtime's counters (abt.h
	 * ABT_STATS, as abt.NAME; 0 for stock and pv), then the cost */
	if (fresh) {
		fprintf(f, "profile,policy,events,exec,exits,translations,dsi_traced_reads,dsi_traced_writes,dsi_false,dsi_errors,mirrored_accesses,tlb_misses");
		for (i = 0; i < ABT_NSTATS; i++)
			fprintf(f, ",abt.%s", abt_stat_name(i));
		fprintf(f, ",stub_insns,silicon_us,nested_us\n");
	}
	for (q = 0; q < r->npol; q++) {
		const struct rp_pol *p = &r->pol[q];

		fprintf(f, "%s,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
			",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
			",%" PRIu64,
			name, p->name, r->nevents, r->nexec, p->exits,
			translations(p), p->dsi_traced_r, p->dsi_traced_w,
			p->dsi_false, p->dsi_errors, p->mirrored_accesses,
			p->tlb_misses);
		for (i = 0; i < ABT_NSTATS; i++)
			fprintf(f, ",%" PRIu64, abt_stat_value(&p->st, i));
		fprintf(f, ",%" PRIu64 ",%.3f,%.3f\n", p->insns,
			p->t_silicon_us, p->t_nested_us);
	}
	return fclose(f) ? -1 : 0;
}

static const struct replay *cmp_r;
static int cmp_site(const void *a, const void *b)
{
	const struct rp_site *x = &cmp_r->sites[*(const u32 *)a];
	const struct rp_site *y = &cmp_r->sites[*(const u32 *)b];
	u64 ex = x->exits[0], ey = y->exits[0];

	if (ex != ey)
		return ex < ey ? 1 : -1;
	return x->pc < y->pc ? -1 : x->pc > y->pc;
}

static FILE *open_out(const char *dir, const char *name, const char *suf)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/replay-%s%s", dir, name, suf);
	f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "abt-replay: %s: %s\n", path, strerror(errno));
	return f;
}

static int write_out(const struct replay *r, const char *dir,
		     const char *name, u32 top)
{
	FILE *f;
	u32 i, *ord, n;
	int q;

	mkdir(dir, 0777);
	/* timeline: bucket start (M instructions), exits and DSIs per policy */
	f = open_out(dir, name, "-timeline.dat");
	if (!f)
		return -1;
	fprintf(f, "# icount_M");
	for (q = 0; q < r->npol; q++)
		fprintf(f, " exits:%s", r->pol[q].name);
	for (q = 0; q < r->npol; q++)
		fprintf(f, " dsis:%s", r->pol[q].name);
	fprintf(f, "\n");
	for (i = 0; i < r->nbuckets; i++) {
		fprintf(f, "%.3f", (double)r->icount_end * i / r->nbuckets / 1e6);
		for (q = 0; q < r->npol; q++)
			fprintf(f, " %" PRIu64, r->pol[q].tl_exits[i]);
		for (q = 0; q < r->npol; q++)
			fprintf(f, " %" PRIu64, r->pol[q].tl_dsis[i]);
		fprintf(f, "\n");
	}
	fclose(f);

	/* top sites by stock exits (policy slot 0) */
	ord = malloc((r->nsites + 1) * sizeof(*ord));
	if (!ord)
		return -1;
	for (i = 0; i < r->nsites; i++)
		ord[i] = i;
	cmp_r = r;
	qsort(ord, r->nsites, sizeof(*ord), cmp_site);
	n = r->nsites < top ? r->nsites : top;
	f = open_out(dir, name, "-sites.dat");
	if (!f) {
		free(ord);
		return -1;
	}
	fprintf(f, "# label pc rule execs");
	for (q = 0; q < r->npol; q++)
		fprintf(f, " %s", r->pol[q].name);
	fprintf(f, "\n");
	for (i = 0; i < n; i++) {
		const struct rp_site *s = &r->sites[ord[i]];
		const char *rn = s->rule ? abt_rules[s->rule].name : "other";

		fprintf(f, "%s@%08x 0x%08x %s %" PRIu64, rn, s->pc, s->pc, rn,
			s->execs);
		for (q = 0; q < r->npol; q++)
			fprintf(f, " %" PRIu64, s->exits[q]);
		fprintf(f, "\n");
	}
	fclose(f);
	free(ord);

	/* gnuplot script */
	f = open_out(dir, name, ".gp");
	if (!f)
		return -1;
	for (i = 0; i < 2; i++) {
		const char *term = i ? "svg size 1000,800 dynamic" :
				       "pngcairo size 1000,800";
		const char *ext = i ? "svg" : "png";

		if (i == 0)
			fprintf(f, "# generated by abt-replay; run: gnuplot %s/replay-%s.gp\n"
				"set datafile missing '?'\n", dir, name);
		fprintf(f, "set terminal %s\nset output '%s/replay-%s-timeline.%s'\n",
			term, dir, name, ext);
		fprintf(f, "set multiplot layout 2,1\n"
			"set title \"%s: privileged exits per 1/%u of the boot, by policy\" noenhanced\n"
			"set xlabel ''\nset ylabel 'exits per bucket'\n"
			"set logscale y\nset yrange [0.9:*]\nset key outside right\nset grid\n",
			name, r->nbuckets);
		fprintf(f, "plot ");
		for (q = 0; q < r->npol; q++)
			fprintf(f, "%s'%s/replay-%s-timeline.dat' using 1:($%d > 0 ? $%d : 0.1) with steps lw 2 dt %d title '%s'",
				q ? ", \\\n     " : "", dir, name, q + 2, q + 2,
				q + 1, r->pol[q].name);
		fprintf(f, "\nset title \"DSIs (traced and false) per bucket\"\n"
			"set xlabel 'guest instructions (millions)'\nset ylabel 'DSIs per bucket'\n");
		fprintf(f, "plot ");
		for (q = 0; q < r->npol; q++)
			fprintf(f, "%s'%s/replay-%s-timeline.dat' using 1:($%d > 0 ? $%d : 0.1) with steps lw 2 dt %d title '%s'",
				q ? ", \\\n     " : "", dir, name,
				q + 2 + r->npol, q + 2 + r->npol, q + 1,
				r->pol[q].name);
		fprintf(f, "\nunset multiplot\nset yrange [*:*]\n");
		fprintf(f, "unset logscale y\n");
		fprintf(f, "set output '%s/replay-%s-sites.%s'\n", dir, name, ext);
		fprintf(f, "set title \"%s: top %u sites by stock exits\" noenhanced\n"
			"set xlabel ''\nset ylabel 'exits'\nset logscale y\n"
			"set style data histograms\nset style histogram clustered gap 1\n"
			"set style fill solid 0.8 border -1\nset boxwidth 0.9\n"
			"set xtics rotate by -60 noenhanced font ',8'\nset yrange [0.5:*]\n",
			name, n);
		fprintf(f, "plot ");
		for (q = 0; q < r->npol; q++)
			fprintf(f, "%s'%s/replay-%s-sites.dat' using ($%d > 0 ? $%d : 1/0):xtic(1) title '%s'",
				q ? ", \\\n     " : "", dir, name, q + 5, q + 5,
				r->pol[q].name);
		fprintf(f, "\nset xtics norotate font ''\nset yrange [*:*]\nunset logscale y\nset style data lines\n");
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "policies", 1, 0, 'p' }, { "rules-profile", 1, 0, 'r' },
		{ "threshold", 1, 0, 't' }, { "tc", 1, 0, 1 },
		{ "mirror", 1, 0, 2 }, { "exit-us", 1, 0, 3 },
		{ "dsi-us", 1, 0, 4 }, { "miss-us", 1, 0, 5 },
		{ "nested-exit-us", 1, 0, 6 }, { "nested-dsi-us", 1, 0, 7 },
		{ "nested-miss-us", 1, 0, 8 }, { "insn-ns", 1, 0, 9 },
		{ "buckets", 1, 0, 'b' }, { "top", 1, 0, 10 },
		{ "csv", 1, 0, 11 }, { "out", 1, 0, 'o' },
		{ "name", 1, 0, 'n' }, { "quiet", 0, 0, 'q' },
		{ "help", 0, 0, 'h' }, { "max-events", 1, 0, 12 },
		{ "repeat", 1, 0, 13 }, { "pv-from", 1, 0, 14 },
		{ "read-burst", 1, 0, 15 },
		{ 0, 0, 0, 0 },
	};
	struct replay cfg;
	const char *csv = NULL, *out = NULL, *name = NULL;
	u32 top = 20, repeat = 1;
	double best = 0;
	bool quiet = false;
	int c, i, rc = 0;
	double *dp;

	memset(&cfg, 0, sizeof(cfg));
	cfg.policies = RP_ALL_POLICIES;
	cfg.read_burst = RP_DEF_READ_BURST;
	replay_default_costs(&cfg.costs);
	while ((c = getopt_long(argc, argv, "p:r:t:b:o:n:qh", lo, NULL)) != -1) {
		dp = NULL;
		switch (c) {
		case 'p':
			if (parse_policies(optarg, &cfg.policies))
				return 2;
			break;
		case 'r':
			cfg.rule_profile = optarg;
			if (!abt_profile_find(optarg)) {
				fprintf(stderr, "abt-replay: no rules profile '%s'\n", optarg);
				return 2;
			}
			break;
		case 't':
			if (parse_u32(optarg, &cfg.threshold) || !cfg.threshold)
				goto bad;
			break;
		case 1:
			if (parse_range(optarg, &cfg.tc_base, &cfg.tc_size))
				goto bad;
			break;
		case 2:
			if (parse_range(optarg, &cfg.mirror_base, &cfg.mirror_size))
				goto bad;
			break;
		case 3: dp = &cfg.costs.exit_us; break;
		case 4: dp = &cfg.costs.dsi_us; break;
		case 5: dp = &cfg.costs.miss_us; break;
		case 6: dp = &cfg.costs.nested_exit_us; break;
		case 7: dp = &cfg.costs.nested_dsi_us; break;
		case 8: dp = &cfg.costs.nested_miss_us; break;
		case 9: dp = &cfg.costs.insn_ns; break;
		case 'b':
			if (parse_u32(optarg, &cfg.nbuckets) || !cfg.nbuckets ||
			    cfg.nbuckets > 100000)
				goto bad;
			break;
		case 10:
			if (parse_u32(optarg, &top) || !top)
				goto bad;
			break;
		case 11: csv = optarg; break;
		case 14: {
			char *end;

			errno = 0;
			cfg.pv_from = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end)
				goto bad;
			break;
		}
		case 15:
			if (parse_u32(optarg, &cfg.read_burst))
				goto bad;
			break;
		case 13:
			if (parse_u32(optarg, &repeat) || !repeat || repeat > 1000)
				goto bad;
			break;
		case 12: {
			u32 v;

			if (parse_u32(optarg, &v) || !v)
				goto bad;
			cfg.max_events = v;
			break;
		}
		case 'o': out = optarg; break;
		case 'n': name = optarg; break;
		case 'q': quiet = true; break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (dp && parse_double(optarg, dp))
			goto bad;
	}
	if (optind >= argc) {
		fprintf(stderr, "abt-replay: no profile given\n");
		usage(stderr);
		return 2;
	}
	if (name && argc - optind > 1) {
		fprintf(stderr, "abt-replay: --name with more than one profile\n");
		return 2;
	}
	for (i = optind; i < argc; i++) {
		struct replay *r = malloc(sizeof(*r));
		char nm[256];
		const char *b;

		if (!r) {
			fprintf(stderr, "abt-replay: out of memory\n");
			return 1;
		}
		*r = cfg;
		for (u32 k = 1; k < repeat; k++) {	/* --repeat: best rate */
			struct replay *t = malloc(sizeof(*t));

			if (!t) {
				fprintf(stderr, "abt-replay: out of memory\n");
				return 1;
			}
			*t = cfg;
			if (replay_run(t, argv[i]) == 0 &&
			    (best == 0 || t->cpu_seconds < best))
				best = t->cpu_seconds;
			replay_free(t);
			free(t);
		}
		if (replay_run(r, argv[i])) {
			fprintf(stderr, "abt-replay: %s\n", r->err);
			replay_free(r);
			free(r);
			rc = 1;
			continue;
		}
		b = strrchr(argv[i], '/');
		b = b ? b + 1 : argv[i];
		snprintf(nm, sizeof(nm), "%s", name ? name : b);
		if (!name && strchr(nm, '.'))
			*strrchr(nm, '.') = 0;
		if (best > 0 && best < r->cpu_seconds)
			r->cpu_seconds = best;
		best = 0;
		if (!quiet) {
			print_table(r, argv[i]);
			if (i + 1 < argc)
				printf("\n");
		}
		if (csv && write_csv(r, csv, nm))
			rc = 1;
		if (out && write_out(r, out, nm, top))
			rc = 1;
		replay_free(r);
		free(r);
	}
	return rc;
bad:
	fprintf(stderr, "abt-replay: bad value for option: '%s'\n", optarg);
	return 2;
}
