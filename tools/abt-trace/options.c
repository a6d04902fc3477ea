// SPDX-License-Identifier: GPL-2.0
/*
 * The command line: --help's text, the options, their checks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abt-trace.h"

static const char usage_text[] =
"usage: abt-trace [options] --elf FILE[@BIAS]... -o TRACE -- QEMU-ARGS...\n"
"\n"
"Capture a golden trace: what each privileged instruction a guest\n"
"executes does on QEMU's e500v2 model. Runs\n"
"  qemu-system-ppc -M ppce500 -cpu e500v2 -nographic -S \\\n"
"      -gdb tcp:127.0.0.1:PORT QEMU-ARGS...\n"
"and drives its gdb stub over the GDB remote serial protocol (no gdb).\n"
"\n"
"Sites: the guest images are scanned with abt's generated decoder (every\n"
"word of an executable section that abt_decode() names a rule for) and\n"
"a breakpoint goes on each. Why a scan: QEMU's gdb stub has no \"page\n"
"first executed\" event to discover code as it runs; a scan finds every\n"
"site statically, rarely executed ones included, and a breakpoint costs\n"
"nothing at its site until it is hit. It does cost elsewhere: QEMU 7.2\n"
"runs the pages holding breakpoints one instruction per translation\n"
"block and compares each block's address with every breakpoint, so the\n"
"guest runs slower while many are set (each is removed once its site\n"
"was recorded K times). --prepass removes that cost for sites the guest\n"
"never reaches.\n"
"\n"
"At each hit: the state (r0-r31, pc, msr, cr, xer, lr, ctr, and every\n"
"SPR the stub describes under a name abt's rules declare), the\n"
"instruction word read from guest memory, one single step with\n"
"interrupts and timers masked (qemu.sstep=0x7), the state again: one\n"
"record. DEC is not captured: the stub shows a stale copy.\n"
"\n"
"Options:\n"
"  -o, --output FILE        trace to write (docs/golden-trace-format.md)\n"
"      --dump FILE          also list the records as text ('-': stdout);\n"
"                           without -o only the listing is written\n"
"  -e, --elf FILE[@BIAS]    guest image to scan (ELF32 big-endian PowerPC);\n"
"                           BIAS, a C integer (may be negative, modulo\n"
"                           2^32), is added to its addresses. Give a file\n"
"                           twice for code that runs at two addresses:\n"
"                           U-Boot after relocating itself, a kernel\n"
"                           before its MMU mapping exists. Up to 8.\n"
"      --prepass            first run the guest once without breakpoints,\n"
"                           with QEMU logging each instruction it\n"
"                           translates (-d in_asm, read from a FIFO); arm\n"
"                           only the sites it translated, plus privileged\n"
"                           words it translated outside the images. Needs\n"
"                           an end: --until-console, a script 'end', or\n"
"                           --timeout (each pass gets the full timeout).\n"
"      --sites FILE         arm only these addresses (first hex number of\n"
"                           each line, e.g. the pc= column of a --dump)\n"
"      --rule NAME          arm only sites of this rule (e.g. tlbwe: with\n"
"                           a large -k, every TLB write's MAS registers)\n"
"  -k, --per-site K         executions recorded per site (default 8)\n"
"  -n, --max-records N      stop after N records\n"
"  -t, --timeout SECONDS    stop after this long (trace marked truncated)\n"
"  -u, --until-console STR  stop when the guest console prints STR\n"
"  -s, --console-script F   drive the console, one directive a line:\n"
"                           'expect TEXT' (wait for it), 'send TEXT'\n"
"                           (type it and \\r), 'end' (stop, complete);\n"
"                           '#' comments; escapes \\n \\r \\t \\\\ \\xNN\n"
"      --console-log FILE   copy the guest console to FILE ('-': stderr)\n"
"  -g, --guest NAME         guest name for the header (default: the\n"
"                           first ELF's file name)\n"
"      --qemu PATH          QEMU binary (default qemu-system-ppc)\n"
"      --rsp-timeout MS     gdb stub reply timeout (default 10000)\n"
"  -z, --compress           compress the trace body (zlib)\n"
"  -q, --quiet              no progress lines\n"
"  -h, --help               this text\n"
"\n"
"The trace is complete when --until-console, --max-records or a script\n"
"'end' is reached, when every site was recorded K times, or when the\n"
"guest makes QEMU exit with status 0 (e.g. U-Boot 'poweroff'). It is\n"
"truncated, but still a valid file whose trailer says why, on\n"
"--timeout, SIGINT/SIGTERM/SIGHUP, a lost gdb connection, or QEMU dying.\n"
"Exit status: 0 complete, 1 truncated or failed, 2 bad usage.\n"
"\n"
"Example: U-Boot, which relocates itself by 0x07090000 with -m 128\n"
"(\"reloc off\" in its bdinfo):\n"
"  U=/usr/lib/u-boot/qemu-ppce500/uboot.elf\n"
"  abt-trace -o uboot.abtt --prepass --elf $U --elf $U@0x07090000 \\\n"
"      --console-script uboot.script -- -bios $U -m 128 -net none\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static unsigned long long parse_uint(const char *s, const char *what,
				     unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (!*s || *s == '-')
		die("%s: not a number: '%s'", what, s);
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		die("%s: bad value '%s' (0..%llu)", what, s, max);
	return v;
}

static void parse_elf_arg(struct opts *o, const char *arg)
{
	struct elf_arg *e;
	const char *at = strrchr(arg, '@');
	char *path;

	if (o->nelf == MAX_ELF)
		die("--elf: at most %d images", MAX_ELF);
	e = &o->elf[o->nelf++];
	if (at) {
		long long v;
		char *end;

		errno = 0;
		v = strtoll(at + 1, &end, 0);
		if (!at[1] || *end || errno || v > 0xffffffffLL ||
		    v < -0xffffffffLL)
			die("--elf %s: bad bias '%s' (a C integer, e.g. 0x7000000 or -0xc0000000)",
			    arg, at + 1);
		e->bias = (uint32_t)v;
		e->bias_text = at + 1;
		path = strndup(arg, (size_t)(at - arg));
	} else {
		e->bias = 0;
		e->bias_text = "0";
		path = strdup(arg);
	}
	if (!path || !*path)
		die("--elf: missing file name in '%s'", arg);
	e->path = path;
}

void parse_opts(struct opts *o, int argc, char **argv)
{
	enum { O_DUMP = 256, O_LOG, O_QEMU, O_RSPTO, O_SITES, O_PRE, O_RULE };
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "dump", required_argument, NULL, O_DUMP },
		{ "elf", required_argument, NULL, 'e' },
		{ "per-site", required_argument, NULL, 'k' },
		{ "max-records", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "until-console", required_argument, NULL, 'u' },
		{ "console-script", required_argument, NULL, 's' },
		{ "console-log", required_argument, NULL, O_LOG },
		{ "guest", required_argument, NULL, 'g' },
		{ "qemu", required_argument, NULL, O_QEMU },
		{ "rsp-timeout", required_argument, NULL, O_RSPTO },
		{ "sites", required_argument, NULL, O_SITES },
		{ "prepass", no_argument, NULL, O_PRE },
		{ "rule", required_argument, NULL, O_RULE },
		{ "compress", no_argument, NULL, 'z' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->per_site = 8;
	o->qemu = "qemu-system-ppc";
	o->rsp_timeout_ms = 10000;

	while ((c = getopt_long(argc, argv, "+o:e:k:n:t:u:s:g:zqh", lo,
				NULL)) != -1) {
		switch (c) {
		case 'o':
			o->out = optarg;
			break;
		case O_DUMP:
			o->dump = optarg;
			break;
		case 'e':
			parse_elf_arg(o, optarg);
			break;
		case 'k':
			o->per_site = (unsigned int)parse_uint(optarg,
						"--per-site", 1000000);
			if (!o->per_site)
				die("--per-site: must be at least 1");
			break;
		case 'n':
			o->max_records = parse_uint(optarg, "--max-records",
						    ULLONG_MAX);
			if (!o->max_records)
				die("--max-records: must be at least 1");
			break;
		case 't': {
			char *end;

			errno = 0;
			o->timeout_s = strtod(optarg, &end);
			if (errno || *end || !(o->timeout_s > 0))
				die("--timeout: bad number of seconds '%s'",
				    optarg);
			break;
		}
		case 'u':
			if (!*optarg)
				die("--until-console: empty marker");
			o->until_console = optarg;
			break;
		case 's':
			o->script_path = optarg;
			break;
		case O_LOG:
			o->console_log = optarg;
			break;
		case 'g':
			o->guest = optarg;
			break;
		case O_QEMU:
			o->qemu = optarg;
			break;
		case O_PRE:
			o->prepass = 1;
			break;
		case O_SITES:
			o->sites_path = optarg;
			break;
		case O_RULE: {
			int r;

			for (r = 1; r < ABT_RULE_COUNT; r++)
				if (!strcmp(abt_rules[r].name, optarg))
					break;
			if (r == ABT_RULE_COUNT)
				die("--rule: no rule named '%s' in gen/", optarg);
			o->rule = r;
			break;
		}
		case O_RSPTO:
			o->rsp_timeout_ms = (int)parse_uint(optarg,
						"--rsp-timeout", 3600000);
			if (o->rsp_timeout_ms < 100)
				die("--rsp-timeout: at least 100 ms");
			break;
		case 'z':
			o->compress = 1;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fputs("Try 'abt-trace --help'.\n", stderr);
			exit(2);
		}
	}
	o->qargs = argv + optind;
	o->nqargs = argc - optind;
	if (!o->out && !o->dump)
		die("no output: give -o TRACE and/or --dump FILE (--help)");
	if (!o->nelf && !o->sites_path && !o->prepass)
		die("no sites: give --elf FILE[@BIAS], --prepass or --sites (--help)");
	if (o->prepass && !o->until_console && !o->script_path &&
	    !(o->timeout_s > 0))
		die("--prepass runs the guest once without breakpoints: it needs an end (--until-console, a --console-script 'end', or --timeout)");
	if (!o->nqargs)
		die("no QEMU arguments after '--' (e.g. -- -bios uboot.elf -nic none)");
}
