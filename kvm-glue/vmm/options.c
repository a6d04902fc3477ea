// SPDX-License-Identifier: GPL-2.0
/*
 * The command line: --help's text, the options and their ranges.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abt-vmm.h"

static void usage(void)
{
	printf(
"usage: abt-vmm -k VMLINUX -d GUEST.DTB [options]\n"
"\n"
"Boot an e500v2 Linux guest under KVM (/dev/kvm, KVM_E500V2) the way QEMU's\n"
"ppce500 board starts it: kernel ELF at its physical addresses, initrd at\n"
"32 MiB, device tree at 48 MiB, in-kernel MPIC, polled 16550 console.\n"
"\n"
"  -k, --kernel FILE    ELF kernel (PT_LOAD segments at p_paddr)\n"
"  -i, --initrd FILE    initrd/initramfs, loaded at 0x%x\n"
"  -d, --dtb FILE       device tree blob (kvm-glue/vmm/ppce500-guest.dts);\n"
"                       /memory and /chosen linux,initrd-* are set here\n"
"  -a, --append ARGS    kernel command line (/chosen/bootargs); default:\n"
"                       the DTB's\n"
"  -m, --mem MIB        guest RAM in MiB (default %u, %u..%u)\n"
"  -u, --until STRING   stop when the guest console prints STRING\n"
"  -t, --timeout SECS   stop after SECS seconds (exit status 2)\n"
"  -s, --smp N          N vcpus (1..%u, default 1); cpus 1..N-1 wait in the\n"
"                       ePAPR spin table at 0xfef000000 + 0x20 * cpu\n"
"                       (kvm-glue/vmm/ppce500-guest-smp.dts)\n"
"      --hugetlb        guest RAM in the host's huge pages (MAP_HUGETLB)\n"
"      --dump-dtb FILE  write the device tree as the guest would get it\n"
"                       to FILE and exit (needs no /dev/kvm)\n"
"      --no-sw-tlb      do not push a TLB with KVM_CAP_SW_TLB; rely on the\n"
"                       kernel's own initial TLB1 entry (needs a kernel\n"
"                       that keeps tlb1_min/max_eaddr in step with it)\n"
"      --abt-profile FILE  turn abt on for this VM (KVM_CAP_PPC_ABT) with\n"
"                       the profile blob FILE (rulesc --profile-blob)\n"
"      --abt-tc EA+SIZE@GPA  translation cache: guest EA range and the\n"
"                       guest RAM behind it (whole pages)\n"
"      --abt-mirror EA+SIZE@GPA  data mirror region, likewise\n"
"      --abt-steal EA+SIZE[,EA+SIZE...]  read-only guest ranges the TC may\n"
"                       be stolen from (at most %u)\n"
"      --abt-features N  1 mirroring, 2 page resizing, 4 stealing (default 7)\n"
"      --abt-threshold N  exits at a site before it is patched (default:\n"
"                       the profile's)\n"
"      --abt-read-burst N  loads from a patched page that drop its patches\n"
"                       (default 8)\n"
"      --abt-count-only  count exits per rule, never patch\n"
"      --abt-cap-check  first try each configuration KVM must refuse\n"
"  -q, --quiet          do not copy the guest console to stdout\n"
"  -v, --verbose        report each setup step on stderr\n"
"  -h, --help           this text\n"
"\n"
"The guest stops when it drives the power-off GPIO (pin 0 of the QorIQ\n"
"GPIO block at 0xfe00ff000, the DT's gpio-poweroff), when --until matches\n"
"or on --timeout. Then the exit statistics are printed on stdout: KVM_RUN\n"
"returns by exit reason and, when debugfs is mounted, KVM's per-vcpu exit\n"
"timing (/sys/kernel/debug/kvm/PID-VMFD/vcpu0/timing).\n"
"\n"
"Exit status: 0 powered off or --until seen, 1 setup error, 2 timeout or\n"
"signal, 3 the guest stopped otherwise (shutdown, internal error, ...).\n",
		INITRD_ADDR, DEFAULT_RAM_MIB, MIN_RAM_MIB, MAX_RAM_MIB,
		MAX_VCPUS, ABT_MAX_STEAL);
}

static int parse_uint(const char *s, const char *what, unsigned int lo,
		      unsigned int hi, unsigned int *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || n < lo || n > hi) {
		err("%s: '%s' is not a number in %u..%u", what, s, lo, hi);
		return -1;
	}
	*out = (unsigned int)n;
	return 0;
}

static int parse_u32(const char *s, char **end, const char *what,
		     uint32_t *out)
{
	unsigned long n;

	errno = 0;
	n = strtoul(s, end, 0);
	if (errno || *end == s || s[0] == '-' || n > 0xffffffffu) {
		err("%s: '%s' is not a 32-bit number", what, s);
		return -1;
	}
	*out = (uint32_t)n;
	return 0;
}

/* EA+SIZE (then end points after it), whole pages */
static int parse_range(const char *s, char **end, const char *what,
		       uint32_t *ea, uint32_t *size)
{
	if (parse_u32(s, end, what, ea) < 0)
		return -1;
	if (**end != '+') {
		err("%s: '%s': want EA+SIZE", what, s);
		return -1;
	}
	if (parse_u32(*end + 1, end, what, size) < 0)
		return -1;
	if (!*size || ((*ea | *size) & 0xfff)) {
		err("%s: '%s': not in whole pages", what, s);
		return -1;
	}
	return 0;
}

static int parse_region(const char *s, const char *what,
			struct abt_region *r)
{
	char *end;

	if (parse_range(s, &end, what, &r->ea, &r->size) < 0)
		return -1;
	if (*end != '@' || parse_u32(end + 1, &end, what, &r->gpa) < 0 ||
	    *end || (r->gpa & 0xfff)) {
		err("%s: '%s': want EA+SIZE@GPA, whole pages", what, s);
		return -1;
	}
	return 0;
}

static int parse_steal(const char *s, struct options *o)
{
	char *end;

	for (;;) {
		if (o->abt_nsteal == ABT_MAX_STEAL) {
			err("--abt-steal: at most %u ranges", ABT_MAX_STEAL);
			return -1;
		}
		if (parse_range(s, &end, "--abt-steal",
				&o->abt_steal[o->abt_nsteal].ea,
				&o->abt_steal[o->abt_nsteal].size) < 0)
			return -1;
		o->abt_nsteal++;
		if (!*end)
			return 0;
		if (*end != ',') {
			err("--abt-steal: '%s': want EA+SIZE[,EA+SIZE...]", s);
			return -1;
		}
		s = end + 1;
	}
}

int parse_options(struct vmm *v, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "dtb", required_argument, NULL, 'd' },
		{ "append", required_argument, NULL, 'a' },
		{ "mem", required_argument, NULL, 'm' },
		{ "until", required_argument, NULL, 'u' },
		{ "timeout", required_argument, NULL, 't' },
		{ "smp", required_argument, NULL, 's' },
		{ "no-sw-tlb", no_argument, NULL, 'S' },
		{ "hugetlb", no_argument, NULL, 'H' },
		{ "dump-dtb", required_argument, NULL, 'D' },
		{ "abt-profile", required_argument, NULL, 'P' },
		{ "abt-tc", required_argument, NULL, 'T' },
		{ "abt-mirror", required_argument, NULL, 'M' },
		{ "abt-steal", required_argument, NULL, 'L' },
		{ "abt-features", required_argument, NULL, 'F' },
		{ "abt-threshold", required_argument, NULL, 'R' },
		{ "abt-read-burst", required_argument, NULL, 'B' },
		{ "abt-count-only", no_argument, NULL, 'C' },
		{ "abt-cap-check", no_argument, NULL, 'K' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct options *o = &v->opt;
	int c;

	o->ram_mib = DEFAULT_RAM_MIB;
	o->sw_tlb = true;
	o->nvcpus = 1;
	o->abt_features = 7;
	while ((c = getopt_long(argc, argv, "k:i:d:a:m:u:t:s:qvh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'k':
			o->kernel = optarg;
			break;
		case 'i':
			o->initrd = optarg;
			break;
		case 'd':
			o->dtb = optarg;
			break;
		case 'a':
			o->append = optarg;
			break;
		case 'm':
			if (parse_uint(optarg, "--mem", MIN_RAM_MIB,
				       MAX_RAM_MIB, &o->ram_mib) < 0)
				return -1;
			break;
		case 'u':
			o->until = optarg;
			break;
		case 't':
			if (parse_uint(optarg, "--timeout", 1, 86400,
				       &o->timeout) < 0)
				return -1;
			break;
		case 's':
			if (parse_uint(optarg, "--smp", 1, MAX_VCPUS,
				       &o->nvcpus) < 0)
				return -1;
			break;
		case 'S':
			o->sw_tlb = false;
			break;
		case 'H':
			o->hugetlb = true;
			break;
		case 'D':
			o->dump_dtb = optarg;
			break;
		case 'P':
			o->abt_profile = optarg;
			break;
		case 'T':
			if (parse_region(optarg, "--abt-tc", &o->abt_tc) < 0)
				return -1;
			break;
		case 'M':
			if (parse_region(optarg, "--abt-mirror",
					 &o->abt_mirror) < 0)
				return -1;
			break;
		case 'L':
			if (parse_steal(optarg, o) < 0)
				return -1;
			break;
		case 'F':
			if (parse_uint(optarg, "--abt-features", 0, 7,
				       &o->abt_features) < 0)
				return -1;
			break;
		case 'R':
			if (parse_uint(optarg, "--abt-threshold", 1, 0xffffffffu,
				       &o->abt_threshold) < 0)
				return -1;
			break;
		case 'B':
			if (parse_uint(optarg, "--abt-read-burst", 1, 0xffffffffu,
				       &o->abt_read_burst) < 0)
				return -1;
			break;
		case 'C':
			o->abt_count_only = true;
			break;
		case 'K':
			o->abt_cap_check = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage();
			exit(RC_OK);
		default:
			err("see --help");
			return -1;
		}
	}
	if (optind < argc) {
		err("unexpected argument '%s' (see --help)", argv[optind]);
		return -1;
	}
	if (!o->kernel || !o->dtb) {
		err("--kernel and --dtb are required (see --help)");
		return -1;
	}
	if (o->nvcpus > 1 && !o->sw_tlb) {
		err("--smp needs the SW TLB (secondary vcpus get their "
		    "initial mapping through it): drop --no-sw-tlb");
		return -1;
	}
	if (!o->abt_profile && (o->abt_tc.size || o->abt_mirror.size ||
				o->abt_nsteal || o->abt_count_only ||
				o->abt_cap_check || o->abt_threshold ||
				o->abt_read_burst)) {
		err("the --abt-* options need --abt-profile");
		return -1;
	}
	if (o->until) {
		v->until_len = strlen(o->until);
		if (v->until_len == 0 || v->until_len > UNTIL_MAX) {
			err("--until: 1..%d characters", UNTIL_MAX);
			return -1;
		}
	}
	return 0;
}
