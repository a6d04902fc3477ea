// SPDX-License-Identifier: GPL-2.0
/*
 * abt-sim: run a bare-metal e500v2 guest ELF on the simulated vCPU, with or
 * without adaptive translation, and report exits per rule.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define DEFAULT_RAM_SIZE	(16u << 20)
#define PROGRESS_EVERY		50000000ull

static const char *prog = "abt-sim";

static void usage(FILE *f)
{
	int i;

	fprintf(f,
"usage: %s [options] GUEST.elf\n"
"\n"
"Runs a 32-bit big-endian PowerPC (e500v2) guest in supervisor mode the way\n"
"KVM does (real MSR[PR]=1, privileged instructions trap and are emulated),\n"
"translating hot trapping sites in place unless --no-translate.\n"
"The run ends when the PC reaches the ELF symbol `guest_exit` (or --exit).\n"
"\n"
"options:\n"
"  --profile NAME        translation profile (default linux; available:",
		prog);
	for (i = 0; abt_profiles[i]; i++)
		fprintf(f, " %s", abt_profiles[i]->name);
	fprintf(f, ")\n"
"  --no-translate        trap and emulate every privileged instruction\n"
"  --threshold N         exits at one site before it is translated\n"
"                        (default: the profile's)\n"
"  --interrupt-every N   raise an external interrupt (IVOR4) every N guest\n"
"                        instructions; delivered when the guest's MSR[EE]=1\n"
"  --exit EA             stop when the PC reaches EA (default: guest_exit)\n"
"  --ram EA:SIZE         guest RAM region, repeatable (default 0:16M)\n"
"  --tc EA:SIZE          translation cache region, repeatable (default: the\n"
"                        profile's, else 128K above the highest RAM)\n"
"  --max-insns N         give up after N guest instructions (default 2G)\n"
"  --features LIST       memory features, comma-separated: mirror, resize,\n"
"                        steal, all, none (default none: traced pages only)\n"
"  --mirror EA:SIZE      mirror region (default: 64K above RAM and TC when\n"
"                        mirror or steal is on)\n"
"  --steal EA:SIZE       a read-only guest range the runtime may steal for\n"
"                        TC space (with --features steal), repeatable\n"
"  --quiet               no progress lines, only the final report\n"
"  --compare             run twice, without and with translation, and print\n"
"                        exits per rule side by side; exit status 1 if the\n"
"                        two final states differ\n"
"  --help                this text\n"
"\n"
"Numbers take 0x for hex and K/M suffixes for sizes. Exit status: 0 when the\n"
"guest reached its exit, 1 on any error, 2 on bad usage.\n");
}

static int parse_u64(const char *s, u64 *v, bool suffix)
{
	unsigned long long x;
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	if (suffix && (*end == 'K' || *end == 'k')) {
		x <<= 10;
		end++;
	} else if (suffix && (*end == 'M' || *end == 'm')) {
		x <<= 20;
		end++;
	}
	if (*end)
		return -1;
	*v = x;
	return 0;
}

static int parse_u32(const char *s, u32 *v, bool suffix)
{
	u64 x;

	if (parse_u64(s, &x, suffix) || x > 0xffffffffull)
		return -1;
	*v = (u32)x;
	return 0;
}

static int parse_range(const char *s, struct sim_range *r)
{
	char buf[64];
	char *colon;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (!colon)
		return -1;
	*colon = 0;
	if (parse_u32(buf, &r->base, false) ||
	    parse_u32(colon + 1, &r->size, true) || !r->size)
		return -1;
	return 0;
}

static void progress(void *arg, u64 insns, u64 exits)
{
	fprintf(stderr, "%s: %llu M instructions, %llu exits\n", prog,
		(unsigned long long)(insns / 1000000),
		(unsigned long long)exits);
}

static void print_report(struct sim *s, const char *path, bool ok)
{
	struct sim_state st;

	printf("== %s: %s, profile %s, %s", path,
	       ok ? "reached guest exit" : "FAILED",
	       s->prof.name, s->rt ? "translation on" : "translation off");
	if (s->rt)
		printf(" (threshold %u)", s->prof.threshold);
	printf("\n\n");
	sim_print_stats(s, stdout);
	printf("\nfinal state:\n");
	if (!sim_get_state(s, &st))
		sim_print_state(&st, stdout);
}

enum {
	OPT_PROFILE = 256, OPT_NO_TRANSLATE, OPT_THRESHOLD, OPT_IRQ_EVERY,
	OPT_EXIT, OPT_RAM, OPT_TC, OPT_MAX_INSNS, OPT_QUIET, OPT_COMPARE, OPT_HELP,
	OPT_FEATURES, OPT_MIRROR, OPT_STEAL,
};

static int parse_features(const char *s, u32 *f)
{
	static const struct { const char *name; u32 bits; } names[] = {
		{ "mirror", ABT_FEAT_MIRROR }, { "resize", ABT_FEAT_RESIZE },
		{ "steal", ABT_FEAT_STEAL }, { "all", ABT_FEAT_ALL },
		{ "none", 0 },
	};
	char buf[128], *tok, *save = NULL;
	size_t i;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	*f = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcmp(tok, names[i].name))
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			return -1;
		*f |= names[i].bits;
	}
	return 0;
}

/* Load and run the guest once; NULL (and *ret = 1) if it cannot start. */
static struct sim *run_guest(const struct sim_config *cfg, const char *path,
			     bool have_exit, u32 exit_ea, u64 irq_every,
			     int *ret)
{
	struct sim_elf elf;
	struct sim *s;
	char err[SIM_ERR_LEN];
	u32 top;

	*ret = 1;
	if (sim_elf_read(path, &elf, err, sizeof(err))) {
		fprintf(stderr, "%s: error: %s\n", prog, err);
		return NULL;
	}
	if (!have_exit && sim_elf_symbol(&elf, "guest_exit", &exit_ea)) {
		fprintf(stderr, "%s: error: %s has no symbol guest_exit; give --exit EA\n",
			prog, path);
		sim_elf_free(&elf);
		return NULL;
	}
	s = sim_create(cfg, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "%s: error: %s\n", prog, err);
		sim_elf_free(&elf);
		return NULL;
	}
	if (sim_elf_load(s, &elf)) {
		fprintf(stderr, "%s: error: %s: %s\n", prog, path, s->err);
		sim_elf_free(&elf);
		sim_destroy(s);
		return NULL;
	}
	sim_set_pc(s, elf.entry);
	sim_set_exit(s, exit_ea);
	/* a boot loader's stack pointer: non-zero keeps KVM's PV critical
	 * section test (critical == r1) from blocking interrupts */
	top = cfg->ram[0].base + cfg->ram[0].size - 16;
	sim_set_gpr(s, 1, top);
	if (irq_every)
		sim_irq_every(s, irq_every, SIM_IVOR_EXTERNAL);
	sim_elf_free(&elf);

	*ret = sim_run(s) ? 1 : 0;
	if (*ret)
		fprintf(stderr, "%s: error: %s\n", prog, s->err);
	return s;
}

static const char *shape_name(enum abt_rule r)
{
	static const char *const names[] = { "trap", "inplace", "branch",
					     "cluster" };

	return r == ABT_RULE_NONE ? "unknown" : names[abt_rules[r].shape];
}

static void pct(u64 before, u64 after)
{
	if (before && after <= before)
		printf("  %6.1f%%\n", 100.0 * (double)(before - after) /
		       (double)before);
	else
		printf("  %7s\n", "-");
}

/* Stock vs abt on the same guest: exits per rule and the final states. */
static int compare(struct sim *stock, struct sim *abt, const char *path)
{
	struct sim_state a, b;
	int same;

	printf("== %s: stock (every privileged instruction traps) vs abt "
	       "(profile %s, threshold %u)\n\n", path, abt->prof.name,
	       abt->prof.threshold);
	printf("%-16s %-8s %12s %12s %9s\n", "rule", "shape", "stock exits",
	       "abt exits", "removed");
	for (int r = 0; r < ABT_RULE_COUNT; r++) {
		u64 x = stock->stats.exits_rule[r], y = abt->stats.exits_rule[r];

		if (!x && !y)
			continue;
		printf("%-16s %-8s %12llu %12llu", r ? abt_rules[r].name :
		       "(unknown)", shape_name(r), (unsigned long long)x,
		       (unsigned long long)y);
		pct(x, y);
	}
	printf("%-16s %-8s %12llu %12llu", "total", "",
	       (unsigned long long)stock->stats.exits,
	       (unsigned long long)abt->stats.exits);
	pct(stock->stats.exits, abt->stats.exits);
	printf("%-16s %-8s %12llu %12llu\n", "guest insns", "",
	       (unsigned long long)stock->stats.insns,
	       (unsigned long long)abt->stats.insns);
	if (abt->rt) {
		printf("\n");
		sim_print_abt_nonzero(abt, stdout, "abt: ");
	}
	if (sim_get_state(stock, &a) || sim_get_state(abt, &b)) {
		fprintf(stderr, "%s: error: cannot read the final state\n", prog);
		return 1;
	}
	same = !memcmp(&a, &b, sizeof(a));
	printf("final state (GPRs, CR, XER, LR, CTR, %d virtual registers, "
	       "guest-visible RAM hash): %s\n", ABT_REG_COUNT,
	       same ? "identical" : "DIFFERENT");
	if (!same) {
		printf("\nstock:\n");
		sim_print_state(&a, stdout);
		printf("\nabt:\n");
		sim_print_state(&b, stdout);
	}
	return same ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "no-translate", no_argument, NULL, OPT_NO_TRANSLATE },
		{ "threshold", required_argument, NULL, OPT_THRESHOLD },
		{ "interrupt-every", required_argument, NULL, OPT_IRQ_EVERY },
		{ "exit", required_argument, NULL, OPT_EXIT },
		{ "ram", required_argument, NULL, OPT_RAM },
		{ "tc", required_argument, NULL, OPT_TC },
		{ "max-insns", required_argument, NULL, OPT_MAX_INSNS },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "compare", no_argument, NULL, OPT_COMPARE },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "features", required_argument, NULL, OPT_FEATURES },
		{ "mirror", required_argument, NULL, OPT_MIRROR },
		{ "steal", required_argument, NULL, OPT_STEAL },
		{ NULL, 0, NULL, 0 },
	};
	const char *profile = "linux", *path;
	struct sim_config cfg;
	struct sim *s;
	bool quiet = false, have_exit = false, do_compare = false;
	u64 irq_every = 0;
	u32 exit_ea = 0;
	int c, ret;

	memset(&cfg, 0, sizeof(cfg));
	cfg.translate = true;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		const char *bad = NULL;

		switch (c) {
		case OPT_PROFILE:
			profile = optarg;
			break;
		case OPT_NO_TRANSLATE:
			cfg.translate = false;
			break;
		case OPT_THRESHOLD:
			if (parse_u32(optarg, &cfg.threshold, false) ||
			    !cfg.threshold)
				bad = "--threshold needs a number > 0";
			break;
		case OPT_IRQ_EVERY:
			if (parse_u64(optarg, &irq_every, false) || !irq_every)
				bad = "--interrupt-every needs a number > 0";
			break;
		case OPT_EXIT:
			if (parse_u32(optarg, &exit_ea, false))
				bad = "--exit needs an address";
			have_exit = true;
			break;
		case OPT_RAM:
			if (cfg.nram >= SIM_MAX_REGIONS)
				bad = "too many --ram regions";
			else if (parse_range(optarg, &cfg.ram[cfg.nram++]))
				bad = "--ram needs EA:SIZE";
			break;
		case OPT_TC:
			if (cfg.ntc >= ABT_MAX_TC_REGIONS)
				bad = "too many --tc regions";
			else if (parse_range(optarg, &cfg.tc[cfg.ntc++]))
				bad = "--tc needs EA:SIZE";
			break;
		case OPT_MAX_INSNS:
			if (parse_u64(optarg, &cfg.max_insns, true) ||
			    !cfg.max_insns)
				bad = "--max-insns needs a number > 0";
			break;
		case OPT_QUIET:
			quiet = true;
			break;
		case OPT_FEATURES:
			if (parse_features(optarg, &cfg.features))
				bad = "--features needs mirror,resize,steal,all or none";
			break;
		case OPT_MIRROR:
			if (parse_range(optarg, &cfg.mirror))
				bad = "--mirror needs EA:SIZE";
			break;
		case OPT_STEAL:
			if (cfg.nsteal >= ABT_MAX_STEAL_HINTS)
				bad = "too many --steal ranges";
			else if (parse_range(optarg, &cfg.steal[cfg.nsteal++]))
				bad = "--steal needs EA:SIZE";
			break;
		case OPT_COMPARE:
			do_compare = true;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (bad) {
			fprintf(stderr, "%s: %s (got '%s')\n", prog, bad, optarg);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: need exactly one guest ELF file (try --help)\n",
			prog);
		return 2;
	}
	path = argv[optind];

	cfg.prof = abt_profile_find(profile);
	if (!cfg.prof) {
		fprintf(stderr, "%s: no profile '%s' (try --help)\n", prog,
			profile);
		return 2;
	}
	if (!cfg.nram) {
		cfg.ram[0].base = 0;
		cfg.ram[0].size = DEFAULT_RAM_SIZE;
		cfg.nram = 1;
	}
	if (!quiet) {
		cfg.progress = progress;
		cfg.progress_every = PROGRESS_EVERY;
	}

	if (do_compare) {
		struct sim_config stock_cfg = cfg;
		struct sim *a, *b;
		int ra, rb, rc;

		stock_cfg.translate = false;
		a = run_guest(&stock_cfg, path, have_exit, exit_ea, irq_every,
			      &ra);
		if (!a)
			return 1;
		b = run_guest(&cfg, path, have_exit, exit_ea, irq_every, &rb);
		if (!b) {
			sim_destroy(a);
			return 1;
		}
		rc = ra || rb ? 1 : compare(a, b, path);
		sim_destroy(a);
		sim_destroy(b);
		return rc;
	}
	s = run_guest(&cfg, path, have_exit, exit_ea, irq_every, &ret);
	if (!s)
		return 1;
	print_report(s, path, !ret);
	sim_destroy(s);
	return ret ? 1 : 0;
}
