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
"  --quiet               no progress lines, only the final report\n"
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
	OPT_EXIT, OPT_RAM, OPT_TC, OPT_MAX_INSNS, OPT_QUIET, OPT_HELP,
};

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
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *profile = "linux", *path;
	struct sim_config cfg;
	struct sim_elf elf;
	struct sim *s;
	char err[SIM_ERR_LEN];
	bool quiet = false, have_exit = false;
	u64 irq_every = 0;
	u32 exit_ea = 0, top;
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

	if (sim_elf_read(path, &elf, err, sizeof(err))) {
		fprintf(stderr, "%s: error: %s\n", prog, err);
		return 1;
	}
	if (!have_exit && sim_elf_symbol(&elf, "guest_exit", &exit_ea)) {
		fprintf(stderr, "%s: error: %s has no symbol guest_exit; give --exit EA\n",
			prog, path);
		sim_elf_free(&elf);
		return 1;
	}
	s = sim_create(&cfg, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "%s: error: %s\n", prog, err);
		sim_elf_free(&elf);
		return 1;
	}
	if (sim_elf_load(s, &elf)) {
		fprintf(stderr, "%s: error: %s: %s\n", prog, path, s->err);
		sim_elf_free(&elf);
		sim_destroy(s);
		return 1;
	}
	sim_set_pc(s, elf.entry);
	sim_set_exit(s, exit_ea);
	/* a boot loader's stack pointer: non-zero keeps KVM's PV critical
	 * section test (critical == r1) from blocking interrupts */
	top = cfg.ram[0].base + cfg.ram[0].size - 16;
	sim_set_gpr(s, 1, top);
	if (irq_every)
		sim_irq_every(s, irq_every, SIM_IVOR_EXTERNAL);
	sim_elf_free(&elf);

	ret = sim_run(s);
	if (ret)
		fprintf(stderr, "%s: error: %s\n", prog, s->err);
	print_report(s, path, !ret);
	sim_destroy(s);
	return ret ? 1 : 0;
}
