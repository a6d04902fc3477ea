// SPDX-License-Identifier: GPL-2.0
/*
 * abt-trace: capture a golden trace of privileged e500v2 instructions on
 * QEMU's ppce500 machine.
 *
 * It starts qemu-system-ppc paused with its gdb stub on a loopback port,
 * speaks the GDB remote serial protocol to it (rsp.c), sets a breakpoint
 * on every privileged instruction our generated decoder finds in the
 * guest's ELF images, and at each hit records the architectural state,
 * the instruction word, single-steps once and records the state again.
 * A site is dropped (breakpoint removed) after --per-site executions.
 * Output: a trace file (tools/trace/abtt.h, docs/golden-trace-format.md)
 * and, with --dump, a text listing.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "abt_gen.h"
#include "abtt.h"
#include "rsp.h"

#define MAX_ELF		8
#define MAX_XML_REGS	512
#define REPLY_CAP	(64 * 1024)
#define CONSOLE_KEEP	(64 * 1024)
#define MAX_ODD_STOPS	1000	/* stops at no site: give up */

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

static void vnote(const char *fmt, va_list ap)
{
	fputs("abt-trace: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(fmt, ap);
	va_end(ap);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						      noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(fmt, ap);
	va_end(ap);
	exit(2);
}

/* ---------------------------------------------------------------- */
/* Options */

struct elf_arg {
	const char *path;
	uint32_t bias;
	const char *bias_text;
	unsigned int nsites;	/* sites it contributed (new ones) */
	const char *method;
};

struct opts {
	const char *out, *dump, *guest, *qemu;
	const char *until_console, *script_path, *console_log;
	const char *sites_path;
	int rule;		/* --rule: only this rule's sites; 0: all */
	struct elf_arg elf[MAX_ELF];
	int nelf;
	unsigned int per_site;
	uint64_t max_records;
	double timeout_s;
	int rsp_timeout_ms;
	int compress, quiet, prepass;
	char **qargs;
	int nqargs;
};

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

static void parse_opts(struct opts *o, int argc, char **argv)
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

/* ---------------------------------------------------------------- */
/* Sites: every word of the images our decoder names a rule for */

struct site {
	uint32_t pc, word;
	uint16_t rule;
	uint8_t elf;
	uint8_t bp;		/* breakpoint set in QEMU */
	uint8_t seen;		/* translated during the prepass */
	uint32_t hits;		/* records written for this pc */
};

struct sites {
	struct site *v;
	size_t n, cap;
	uint32_t *hash;		/* index + 1, 0 = empty */
	size_t hcap;
};

static size_t hash32(uint32_t x, size_t cap)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x & (cap - 1);
}

static struct site *site_find(const struct sites *s, uint32_t pc)
{
	size_t h;

	if (!s->hcap)
		return NULL;
	for (h = hash32(pc, s->hcap); s->hash[h];
	     h = (h + 1) & (s->hcap - 1)) {
		struct site *t = &s->v[s->hash[h] - 1];

		if (t->pc == pc)
			return t;
	}
	return NULL;
}

static void site_rehash(struct sites *s, size_t hcap)
{
	size_t i;

	free(s->hash);
	s->hash = calloc(hcap, sizeof(*s->hash));
	if (!s->hash)
		die("out of memory");
	s->hcap = hcap;
	for (i = 0; i < s->n; i++) {
		size_t h = hash32(s->v[i].pc, hcap);

		while (s->hash[h])
			h = (h + 1) & (hcap - 1);
		s->hash[h] = (uint32_t)(i + 1);
	}
}

/* Returns 1 if added, 0 if the pc was already a site. */
static int site_add(struct sites *s, uint32_t pc, uint32_t word, int rule,
		    int elf)
{
	if (site_find(s, pc))
		return 0;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			die("out of memory");
	}
	s->v[s->n] = (struct site){ .pc = pc, .word = word,
				    .rule = (uint16_t)rule,
				    .elf = (uint8_t)elf };
	s->n++;
	if (s->n * 2 > s->hcap)
		site_rehash(s, s->hcap ? s->hcap * 2 : 4096);
	else {
		size_t h = hash32(pc, s->hcap);

		while (s->hash[h])
			h = (h + 1) & (s->hcap - 1);
		s->hash[h] = (uint32_t)s->n;
	}
	return 1;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t r;

		if (n == cap) {
			cap = cap ? cap * 2 : 1 << 20;
			buf = realloc(buf, cap);
			if (!buf)
				die("out of memory reading %s", path);
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static unsigned int scan_range(struct sites *s, const uint8_t *img,
			       uint32_t vaddr, uint32_t size, uint32_t bias,
			       int elf)
{
	unsigned int added = 0;
	uint32_t i, skip = (4 - (vaddr & 3)) & 3;

	for (i = skip; i + 4 <= size; i += 4) {
		struct abt_fields f;
		uint32_t w = be32(img + i);
		int rule = abt_decode(w, &f);

		if (rule != ABT_RULE_NONE)
			added += (unsigned int)site_add(s, vaddr + i + bias,
							w, rule, elf);
	}
	return added;
}

/*
 * Scan one big-endian ELF32 PowerPC image. Executable sections
 * (SHF_ALLOC|SHF_EXECINSTR, with file contents) when the file has
 * section headers: they exclude the data that shares a PT_LOAD segment
 * with the code. Otherwise every PF_X PT_LOAD segment.
 */
static void scan_elf(struct sites *s, struct elf_arg *e, int idx)
{
	size_t len, i;
	uint8_t *img = read_file(e->path, &len);
	uint32_t phoff, shoff;
	unsigned int phnum, phentsize, shnum, shentsize, nsec = 0;

	if (!img)
		die("--elf %s: %s", e->path, strerror(errno));
	if (len < sizeof(Elf32_Ehdr) || memcmp(img, ELFMAG, SELFMAG))
		die("--elf %s: not an ELF file", e->path);
	if (img[EI_CLASS] != ELFCLASS32 || img[EI_DATA] != ELFDATA2MSB)
		die("--elf %s: not a 32-bit big-endian ELF", e->path);
	if (be16(img + 18) != EM_PPC)
		die("--elf %s: not a PowerPC ELF (e_machine %u)", e->path,
		    be16(img + 18));
	phoff = be32(img + 28);
	shoff = be32(img + 32);
	phentsize = be16(img + 42);
	phnum = be16(img + 44);
	shentsize = be16(img + 46);
	shnum = be16(img + 48);

	if (shoff && shnum && shentsize >= sizeof(Elf32_Shdr) &&
	    shoff <= len && (size_t)shnum * shentsize <= len - shoff) {
		for (i = 0; i < shnum; i++) {
			const uint8_t *sh = img + shoff + i * shentsize;
			uint32_t type = be32(sh + 4), flags = be32(sh + 8);
			uint32_t addr = be32(sh + 12), off = be32(sh + 16);
			uint32_t size = be32(sh + 20);

			if (type != SHT_PROGBITS ||
			    (flags & (SHF_ALLOC | SHF_EXECINSTR)) !=
			    (SHF_ALLOC | SHF_EXECINSTR))
				continue;
			if (off > len || size > len - off)
				die("--elf %s: section %zu runs past the end of the file",
				    e->path, i);
			e->nsites += scan_range(s, img + off, addr, size,
						e->bias, idx);
			nsec++;
		}
	}
	if (nsec) {
		e->method = "exec-sections";
		free(img);
		return;
	}
	if (!phoff || phentsize < sizeof(Elf32_Phdr) || phoff > len ||
	    (size_t)phnum * phentsize > len - phoff)
		die("--elf %s: no program headers", e->path);
	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + i * phentsize;
		uint32_t off = be32(ph + 4), vaddr = be32(ph + 8);
		uint32_t filesz = be32(ph + 16), flags = be32(ph + 24);

		if (be32(ph) != PT_LOAD || !(flags & PF_X))
			continue;
		if (off > len || filesz > len - off)
			die("--elf %s: segment %zu runs past the end of the file",
			    e->path, i);
		e->nsites += scan_range(s, img + off, vaddr, filesz, e->bias,
					idx);
		nsec++;
	}
	if (!nsec)
		die("--elf %s: no executable PT_LOAD segment", e->path);
	e->method = "exec-segments";
	free(img);
}

/*
 * --sites FILE: arm only these addresses (first hex number of each
 * line; '#' starts a comment), e.g. the pc= column of an earlier
 * --dump, or the sites a faster first pass saw executed. Listed
 * addresses the scan did not find are armed too (their word is read
 * and decoded at each hit).
 */
static void filter_sites(struct sites *s, const char *path)
{
	struct sites keep = { 0 };
	unsigned int nlisted = 0, nextra = 0;
	char line[1024];
	FILE *f = fopen(path, "r");
	int ln = 0;

	if (!f)
		die("--sites %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;
		unsigned long v;
		struct site *t;

		ln++;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		if (!strncmp(p, "pc=", 3))
			p += 3;
		errno = 0;
		v = strtoul(p, &end, 16);
		if (end == p || errno || v > 0xffffffffUL || (v & 3))
			die("%s:%d: not a word-aligned hex address", path, ln);
		nlisted++;
		t = site_find(s, (uint32_t)v);
		if (t)
			site_add(&keep, t->pc, t->word, t->rule, t->elf);
		else
			nextra += (unsigned int)site_add(&keep, (uint32_t)v, 0,
							 ABT_RULE_NONE, 0xff);
	}
	fclose(f);
	note("--sites %s: %u addresses listed, %zu of %zu scanned sites kept, %u not in any image",
	     path, nlisted, keep.n - nextra, s->n, nextra);
	free(s->v);
	free(s->hash);
	*s = keep;
}

/* --rule: keep the sites of one rule (listed addresses outside the images,
 * whose word is not known yet, stay: their hits are checked as they come) */
static void filter_rule(struct sites *s, int rule)
{
	struct sites keep = { 0 };
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct site *t = &s->v[i];

		if (t->rule == rule || t->rule == ABT_RULE_NONE)
			site_add(&keep, t->pc, t->word, t->rule, t->elf);
	}
	note("--rule %s: %zu of %zu sites kept", abt_rules[rule].name,
	     keep.n, s->n);
	free(s->v);
	free(s->hash);
	*s = keep;
}

/* ---------------------------------------------------------------- */
/* Register map: QEMU's target description against our rules' names */

struct xreg {
	char name[32];
	int num, bits;
	int gpos;		/* hex offset of it in a 'g' reply, or -1 */
};

struct regmap {
	struct xreg r[MAX_XML_REGS];
	int n;
	int g_hexlen;		/* expected length of a 'g' reply */
	/* core: gdb numbers of r0-r31, pc, msr, cr, xer, lr, ctr */
	int core[38];
	/* SPRs captured, header order */
	int nspr;
	int spr_regnum[ABTT_MAX_SPR];
	uint16_t spr_num[ABTT_MAX_SPR];
	char spr_name[ABTT_MAX_SPR][12];
	/* names seen in the description, for the report */
	char *seen;
	size_t seen_len;
};

enum { C_PC = 32, C_MSR, C_CR, C_XER, C_LR, C_CTR };
static const char *const core_extra[] = { "pc", "msr", "cr", "xer", "lr",
					  "ctr" };

static const char *attr(const char *tag, const char *end, const char *name,
			size_t *len)
{
	size_t nl = strlen(name);
	const char *p;

	for (p = tag; p + nl + 2 < end; p++) {
		if (!strncmp(p, name, nl) && p[nl] == '=' &&
		    (p[nl + 1] == '"' || p[nl + 1] == '\'') &&
		    (p == tag || isspace((unsigned char)p[-1]))) {
			const char *v = p + nl + 2, *q = v;

			while (q < end && *q != p[nl + 1])
				q++;
			*len = (size_t)(q - v);
			return v;
		}
	}
	return NULL;
}

/* Parse <reg .../> elements; *next is the number the next unnumbered
 * register gets (gdb's rule). */
static int parse_regs(struct regmap *m, const char *xml, int *next,
		      char *err, size_t errlen)
{
	const char *p = xml;

	while ((p = strstr(p, "<reg"))) {
		const char *end = strchr(p, '>'), *v;
		struct xreg *x;
		size_t l;

		if (!end) {
			snprintf(err, errlen, "unterminated <reg> element");
			return -1;
		}
		if (!isspace((unsigned char)p[4])) {
			p += 4;
			continue;
		}
		if (m->n == MAX_XML_REGS) {
			snprintf(err, errlen, "more than %d registers",
				 MAX_XML_REGS);
			return -1;
		}
		x = &m->r[m->n];
		v = attr(p, end, "name", &l);
		if (!v || !l || l >= sizeof(x->name)) {
			snprintf(err, errlen, "<reg> without a usable name");
			return -1;
		}
		memcpy(x->name, v, l);
		x->name[l] = '\0';
		v = attr(p, end, "bitsize", &l);
		x->bits = v ? atoi(v) : 0;
		if (x->bits <= 0 || x->bits > 128 || x->bits % 8) {
			snprintf(err, errlen, "register %s: bitsize %d",
				 x->name, x->bits);
			return -1;
		}
		v = attr(p, end, "regnum", &l);
		x->num = v ? atoi(v) : *next;
		*next = x->num + 1;
		x->gpos = -1;
		m->n++;
		p = end;
	}
	return 0;
}

/*
 * Our rules' SPR names and numbers, from gen/ (abt_reg_names[] and
 * abt_reg_of_spr()), matched case-insensitively with the stub's names.
 * QEMU calls DEC "decr" and its stub reads env->spr[22], which QEMU
 * never updates (the decrementer lives in a timer): after mtdec 0x61a80
 * it still reads 0. So no alias maps "decr" to DEC: a column that does
 * not follow the register would fail every check of it. TBL/TBU (and
 * the write-only TBWL/TBWU, which QEMU also names "tbl"/"tbu") are
 * left out for the same reason.
 */
static int spr_of_name(const char *name)
{
	static int built;
	static int reg_spr[ABT_REG_COUNT];
	unsigned int i;

	if (!built) {
		for (i = 0; i < ABT_REG_COUNT; i++)
			reg_spr[i] = -1;
		for (i = 0; i < 1024; i++) {
			int r = abt_reg_of_spr(i);

			if (r >= 0 && r < ABT_REG_COUNT && reg_spr[r] < 0)
				reg_spr[r] = (int)i;
		}
		built = 1;
	}
	if (!strcasecmp(name, "dec") || !strcasecmp(name, "decr"))
		return -1;	/* stale in the stub, see above */
	for (i = 0; i < ABT_REG_COUNT; i++)
		if (reg_spr[i] >= 0 && !strcasecmp(abt_reg_names[i], name))
			return reg_spr[i];
	return -1;
}

static int xreg_cmp(const void *a, const void *b)
{
	const struct xreg *x = a, *y = b;

	return (x->num > y->num) - (x->num < y->num);
}

/*
 * Lay out a 'g' reply: registers by ascending number, each bitsize/4
 * hex digits, up to the reply's length (QEMU puts only the core
 * registers there; numbers the description skips, such as the FPRs an
 * e500 lacks, take no room once the description was read).
 */
static void layout_g(struct regmap *m, int hexlen)
{
	int i, pos = 0;

	for (i = 0; i < m->n; i++) {
		int w = m->r[i].bits / 4;

		if (pos + w > hexlen)
			break;
		m->r[i].gpos = pos;
		pos += w;
	}
	m->g_hexlen = hexlen;
}

static struct xreg *xreg_by_num(struct regmap *m, int num)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (m->r[i].num == num)
			return &m->r[i];
	return NULL;
}

/* ---------------------------------------------------------------- */
/* Console script */

enum { S_EXPECT, S_SEND, S_END };

struct step {
	int kind;
	char *text;
	size_t len;
	int line;
};

static size_t unescape(char *s)
{
	char *o = s, *p = s;

	while (*p) {
		if (*p != '\\' || !p[1]) {
			*o++ = *p++;
			continue;
		}
		p++;
		switch (*p) {
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'x':
			if (rsp_hexval((unsigned char)p[1]) >= 0 &&
			    rsp_hexval((unsigned char)p[2]) >= 0) {
				*o++ = (char)(rsp_hexval((unsigned char)p[1])
					      << 4 |
					      rsp_hexval((unsigned char)p[2]));
				p += 2;
				break;
			}
			/* fall through */
		default:
			*o++ = *p;
		}
		p++;
	}
	*o = '\0';
	return (size_t)(o - s);
}

static struct step *load_script(const char *path, int *nsteps)
{
	FILE *f = fopen(path, "r");
	struct step *v = NULL;
	char line[4096];
	int n = 0, ln = 0;

	if (!f)
		die("--console-script %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *arg;
		size_t l = strlen(line);
		int kind;

		ln++;
		if (l && line[l - 1] != '\n' && !feof(f))
			die("%s:%d: line too long", path, ln);
		while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
			line[--l] = '\0';
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		arg = p;
		while (*arg && !isspace((unsigned char)*arg))
			arg++;
		if (*arg)
			*arg++ = '\0';
		if (!strcmp(p, "expect"))
			kind = S_EXPECT;
		else if (!strcmp(p, "send"))
			kind = S_SEND;
		else if (!strcmp(p, "end"))
			kind = S_END;
		else
			die("%s:%d: unknown directive '%s' (expect, send, end)",
			    path, ln, p);
		if (kind == S_EXPECT && !*arg)
			die("%s:%d: expect needs text", path, ln);
		v = realloc(v, (size_t)(n + 1) * sizeof(*v));
		if (!v)
			die("out of memory");
		v[n].kind = kind;
		v[n].text = strdup(arg);
		if (!v[n].text)
			die("out of memory");
		v[n].len = unescape(v[n].text);
		v[n].line = ln;
		if (kind == S_EXPECT && !v[n].len)
			die("%s:%d: expect needs text", path, ln);
		n++;
	}
	fclose(f);
	*nsteps = n;
	return v;
}

/* ---------------------------------------------------------------- */
/* Capture state */

struct cap {
	struct opts *o;
	struct sites sites;
	struct regmap map;
	struct rsp rsp;
	char *reply;

	pid_t qemu;
	int qemu_in, qemu_out, qemu_err;
	int qemu_status;	/* valid when qemu_reaped */
	int qemu_reaped;
	int qemu_failed;	/* died or the stub failed: show its stderr */
	int port;
	char qemu_version[64];
	char *qemu_cmdline;

	struct abtt_header hdr;
	struct abtt_writer *w;
	FILE *dump, *clog;

	/* console */
	char *con;		/* output since the last expect matched */
	size_t conlen;
	char *tail;		/* last bytes, for --until-console */
	size_t taillen;
	char errtail[2048];	/* QEMU's stderr, last bytes */
	size_t errtaillen;
	char *pend;		/* bytes waiting to go to QEMU's stdin */
	size_t pendlen, pendcap;
	struct step *script;
	int nsteps, step;

	/* prepass: QEMU's -d in_asm log on a FIFO */
	int logfd;
	char *pre_args[4];
	int npre_args;
	char logline[512];
	size_t loglen;
	uint64_t nlogged;
	int in_prepass;
	unsigned int nextra_sites;

	/* statistics */
	int64_t t0, last_progress;
	uint64_t nrecords, nstops, nodd, nforeign, nunfetchable;
	uint64_t nspr_errors;
	unsigned int ndistinct, ndone, nbp;
	uint64_t rtt_count;
	int64_t stop_ms;	/* time spent handling stops */

	/* end */
	int ended, complete;
	char reason[128];
};

static volatile sig_atomic_t got_signal;

static const char *signame(int sig)
{
	switch (sig) {
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	case SIGHUP:
		return "SIGHUP";
	}
	return "a signal";
}

static void on_signal(int sig)
{
	got_signal = sig;
}

static void end_capture(struct cap *c, int complete, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void end_capture(struct cap *c, int complete, const char *fmt, ...)
{
	va_list ap;

	if (c->ended)
		return;
	c->ended = 1;
	c->complete = complete;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
}

static int qemu_alive(void *arg)
{
	struct cap *c = arg;
	int st;

	if (c->qemu_reaped)
		return 0;
	if (waitpid(c->qemu, &st, WNOHANG) == c->qemu) {
		c->qemu_reaped = 1;
		c->qemu_status = st;
		return 0;
	}
	return 1;
}

static const char *status_text(int st)
{
	static char buf[64];

	if (WIFEXITED(st))
		snprintf(buf, sizeof(buf), "exit status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, sizeof(buf), "killed by signal %d (%s)",
			 WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(buf, sizeof(buf), "status 0x%x", st);
	return buf;
}

/* ---------------------------------------------------------------- */
/* QEMU process */

static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	if (fd < 0)
		die("socket: %s", strerror(errno));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl))
		die("finding a free loopback port: %s", strerror(errno));
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void qemu_version(struct cap *c)
{
	char cmd[PATH_MAX + 32], line[256];
	FILE *p;

	snprintf(c->qemu_version, sizeof(c->qemu_version), "unknown");
	snprintf(cmd, sizeof(cmd), "'%s' --version 2>/dev/null", c->o->qemu);
	if (strchr(c->o->qemu, '\''))
		die("--qemu: path with a quote");
	p = popen(cmd, "r");
	if (!p)
		return;
	if (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(c->qemu_version, sizeof(c->qemu_version), "%.*s",
			 (int)sizeof(c->qemu_version) - 1, line);
	}
	if (pclose(p) != 0)
		die("cannot run '%s --version': is qemu-system-ppc installed (apt-get install qemu-system-ppc)?",
		    c->o->qemu);
}

static void spawn_qemu(struct cap *c)
{
	int in[2], out[2], err[2];
	char port_arg[64];
	char **argv;
	int i, n = 0;
	size_t len = 0;

	c->port = free_port();
	snprintf(port_arg, sizeof(port_arg), "tcp:127.0.0.1:%d", c->port);
	argv = calloc((size_t)c->o->nqargs + 20, sizeof(*argv));
	if (!argv)
		die("out of memory");
	argv[n++] = (char *)c->o->qemu;
	argv[n++] = "-M";
	argv[n++] = "ppce500";
	argv[n++] = "-cpu";
	argv[n++] = "e500v2";
	argv[n++] = "-nographic";
	argv[n++] = "-S";
	argv[n++] = "-gdb";
	argv[n++] = port_arg;
	for (i = 0; i < c->npre_args; i++)
		argv[n++] = c->pre_args[i];
	for (i = 0; i < c->o->nqargs; i++)
		argv[n++] = c->o->qargs[i];
	argv[n] = NULL;

	free(c->qemu_cmdline);
	for (i = 0; i < n; i++)
		len += strlen(argv[i]) + 1;
	c->qemu_cmdline = malloc(len + 1);
	if (!c->qemu_cmdline)
		die("out of memory");
	c->qemu_cmdline[0] = '\0';
	for (i = 0; i < n; i++) {
		strcat(c->qemu_cmdline, argv[i]);
		if (i + 1 < n)
			strcat(c->qemu_cmdline, " ");
	}

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) ||
	    pipe2(err, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	c->qemu = fork();
	if (c->qemu < 0)
		die("fork: %s", strerror(errno));
	if (c->qemu == 0) {
		/* own process group: a terminal ^C reaches us, not QEMU,
		 * so we can end the trace cleanly; die with us */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		fprintf(stderr, "abt-trace: exec %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	c->qemu_in = in[1];
	c->qemu_out = out[0];
	c->qemu_err = err[0];
	fcntl(c->qemu_in, F_SETFL, fcntl(c->qemu_in, F_GETFL) | O_NONBLOCK);
	fcntl(c->qemu_out, F_SETFL, fcntl(c->qemu_out, F_GETFL) | O_NONBLOCK);
	fcntl(c->qemu_err, F_SETFL, fcntl(c->qemu_err, F_GETFL) | O_NONBLOCK);
	c->qemu_reaped = 0;
	free(argv);
}

/* QEMU's own messages: keep the last bytes, show them on errors. */
static void drain_qemu_err(struct cap *c)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(c->qemu_err, buf, sizeof(buf))) > 0) {
		size_t k = (size_t)n, keep = sizeof(c->errtail) - 1;

		if (k >= keep) {
			memcpy(c->errtail, buf + k - keep, keep);
			c->errtaillen = keep;
		} else {
			if (c->errtaillen + k > keep) {
				size_t drop = c->errtaillen + k - keep;

				memmove(c->errtail, c->errtail + drop,
					c->errtaillen - drop);
				c->errtaillen -= drop;
			}
			memcpy(c->errtail + c->errtaillen, buf, k);
			c->errtaillen += k;
		}
		c->errtail[c->errtaillen] = '\0';
		if (c->clog)
			fwrite(buf, 1, k, c->clog);
	}
}

static void show_qemu_err(struct cap *c)
{
	drain_qemu_err(c);
	if (c->errtaillen)
		fprintf(stderr, "abt-trace: QEMU said:\n%s%s", c->errtail,
			c->errtail[c->errtaillen - 1] == '\n' ? "" : "\n");
}

static void qemu_write(struct cap *c, const char *s, size_t len)
{
	if (!len)
		return;
	if (c->pendlen + len > c->pendcap) {
		c->pendcap = (c->pendlen + len) * 2 + 256;
		c->pend = realloc(c->pend, c->pendcap);
		if (!c->pend)
			die("out of memory");
	}
	memcpy(c->pend + c->pendlen, s, len);
	c->pendlen += len;
}

static void flush_qemu_in(struct cap *c)
{
	while (c->pendlen) {
		ssize_t n = write(c->qemu_in, c->pend, c->pendlen);

		if (n <= 0)
			return;	/* EAGAIN: poll tells; EPIPE: QEMU gone */
		memmove(c->pend, c->pend + n, c->pendlen - (size_t)n);
		c->pendlen -= (size_t)n;
	}
}

/* ---------------------------------------------------------------- */
/* Console */

static void script_advance(struct cap *c)
{
	while (c->step < c->nsteps) {
		struct step *s = &c->script[c->step];

		if (s->kind == S_SEND) {
			qemu_write(c, s->text, s->len);
			qemu_write(c, "\r", 1);
			c->step++;
			continue;
		}
		if (s->kind == S_END) {
			end_capture(c, 1, "console script: end (line %d)",
				    s->line);
			c->step++;
			return;
		}
		/* expect */
		{
			char *hit = memmem(c->con, c->conlen, s->text, s->len);
			size_t used;

			if (!hit)
				return;
			used = (size_t)(hit - c->con) + s->len;
			memmove(c->con, c->con + used, c->conlen - used);
			c->conlen -= used;
			c->step++;
		}
	}
}

static void console_input(struct cap *c, const char *buf, size_t n)
{
	const char *m = c->o->until_console;

	if (c->clog) {
		fwrite(buf, 1, n, c->clog);
		fflush(c->clog);
	}
	/* expect buffer: keep the newest CONSOLE_KEEP bytes */
	if (n >= CONSOLE_KEEP) {
		buf += n - CONSOLE_KEEP;
		n = CONSOLE_KEEP;
	}
	if (c->conlen + n > CONSOLE_KEEP) {
		size_t drop = c->conlen + n - CONSOLE_KEEP;

		memmove(c->con, c->con + drop, c->conlen - drop);
		c->conlen -= drop;
	}
	memcpy(c->con + c->conlen, buf, n);
	c->conlen += n;

	if (m) {
		size_t ml = strlen(m), keep = ml - 1;
		char *scan = malloc(c->taillen + n);

		if (!scan)
			die("out of memory");
		memcpy(scan, c->tail, c->taillen);
		memcpy(scan + c->taillen, buf, n);
		if (memmem(scan, c->taillen + n, m, ml))
			end_capture(c, 1, "console printed \"%s\"", m);
		if (c->taillen + n > keep) {
			memcpy(c->tail, scan + c->taillen + n - keep, keep);
			c->taillen = keep;
		} else {
			memcpy(c->tail, scan, c->taillen + n);
			c->taillen += n;
		}
		free(scan);
	}
	script_advance(c);
}

/* Returns 0, or -1 when QEMU closed its stdout. */
static int drain_console(struct cap *c)
{
	char buf[8192];
	ssize_t n;

	while ((n = read(c->qemu_out, buf, sizeof(buf))) > 0)
		console_input(c, buf, (size_t)n);
	if (n == 0)
		return -1;
	return 0;
}

/* ---------------------------------------------------------------- */
/* Prepass: which sites does the guest execute at all? */

/* One line of QEMU's in_asm log: "0x00f00004:  7c200124  mtmsr r1". */
static void log_line(struct cap *c, const char *l)
{
	struct abt_fields f;
	unsigned long addr, word;
	struct site *s;
	char *e;
	int rule;

	if (l[0] != '0' || l[1] != 'x')
		return;
	addr = strtoul(l + 2, &e, 16);
	if (*e != ':' || addr > 0xffffffffUL)
		return;
	l = e + 1;
	while (*l == ' ')
		l++;
	word = strtoul(l, &e, 16);
	if (e - l != 8 || (*e && *e != ' '))
		return;
	c->nlogged++;
	rule = abt_decode((uint32_t)word, &f);
	if (rule == ABT_RULE_NONE || (c->o->rule && rule != c->o->rule))
		return;
	s = site_find(&c->sites, (uint32_t)addr);
	if (!s) {
		site_add(&c->sites, (uint32_t)addr, (uint32_t)word, rule, 0xfe);
		s = site_find(&c->sites, (uint32_t)addr);
		c->nextra_sites++;
	}
	s->seen = 1;
}

/* Returns -1 once QEMU closed the log. */
static int drain_log(struct cap *c)
{
	char buf[65536];
	ssize_t n;

	if (c->logfd < 0)
		return -1;
	while ((n = read(c->logfd, buf, sizeof(buf))) > 0) {
		ssize_t i;

		for (i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (c->loglen < sizeof(c->logline) - 1)
					c->logline[c->loglen++] = buf[i];
				continue;
			}
			c->logline[c->loglen] = '\0';
			log_line(c, c->logline);
			c->loglen = 0;
		}
	}
	return n == 0 ? -1 : 0;
}

/* ---------------------------------------------------------------- */
/* Progress */

static void progress(struct cap *c, int final)
{
	int64_t now = rsp_now_ms();
	double el = (double)(now - c->t0) / 1000.0;

	if (c->o->quiet && !final)
		return;
	if (!final && now - c->last_progress < 1000)
		return;
	c->last_progress = now;
	if (c->in_prepass) {
		fprintf(stderr,
			"abt-trace: prepass %5.1fs  %" PRIu64 " instructions translated, %u sites outside the images\n",
			el, c->nlogged, c->nextra_sites);
		return;
	}
	fprintf(stderr,
		"abt-trace: %7.1fs  %" PRIu64 " records, %u distinct sites (%u done at K=%u), %u breakpoints set, %" PRIu64 " stops, %.0f records/s\n",
		el, c->nrecords, c->ndistinct, c->ndone, c->o->per_site,
		c->nbp, c->nstops, el > 0 ? (double)c->nrecords / el : 0.0);
}

/* ---------------------------------------------------------------- */
/* RSP conversation */

static int rsp_error_end(struct cap *c, int ret, const char *what)
{
	/*
	 * A guest power-off is handled by QEMU's main loop even while the
	 * vCPU sits at a breakpoint, so the stub can close during a stop.
	 * Give QEMU a moment: a clean exit ends the capture complete, only
	 * the stop in flight goes unrecorded.
	 */
	if (ret == RSP_EOF) {
		int64_t deadline = rsp_now_ms() + 5000;

		while (qemu_alive(c) && rsp_now_ms() < deadline)
			usleep(10000);
		if (c->qemu_reaped && WIFEXITED(c->qemu_status) &&
		    !WEXITSTATUS(c->qemu_status)) {
			end_capture(c, 1, "QEMU exited (%s) while %s; that "
				    "stop is not recorded",
				    status_text(c->qemu_status), what);
			return -1;
		}
	}
	c->qemu_failed = 1;
	if (!qemu_alive(c))
		end_capture(c, 0, "QEMU died (%s) while %s",
			    status_text(c->qemu_status), what);
	else if (ret == RSP_EOF)
		end_capture(c, 0, "gdb connection lost while %s: %s", what,
			    c->rsp.err);
	else
		end_capture(c, 0, "gdb stub error while %s: %s", what,
			    c->rsp.err);
	return -1;
}

/* One request, one reply, target stopped. */
static int recv_reply(struct cap *c, const char *what);

static int transact(struct cap *c, const char *req, const char *what)
{
	int n = rsp_queue(&c->rsp, req, strlen(req));

	if (n || (n = rsp_flush(&c->rsp, c->o->rsp_timeout_ms)) < 0)
		return rsp_error_end(c, n ? n : RSP_ERROR, what);
	return recv_reply(c, what);
}

/*
 * QEMU sent "W xx" (exited with xx) or "X xx" (killed): it is going
 * away. Reap it; the trace is complete if the guest shut it down
 * cleanly (W00 and exit status 0, e.g. a poweroff with -no-reboot).
 */
static int exit_packet(struct cap *c)
{
	int64_t deadline = rsp_now_ms() + 5000;
	char pkt[16];

	snprintf(pkt, sizeof(pkt), "%.15s", c->reply);
	while (qemu_alive(c) && rsp_now_ms() < deadline)
		usleep(10000);
	if (!c->qemu_reaped) {
		end_capture(c, 0, "QEMU sent \"%s\" but did not exit", pkt);
		return -1;
	}
	c->qemu_failed = !WIFEXITED(c->qemu_status) ||
			 WEXITSTATUS(c->qemu_status);
	end_capture(c, pkt[0] == 'W' && !strtoul(pkt + 1, NULL, 16) &&
		    !c->qemu_failed, "QEMU exited (%s, gdb \"%s\")",
		    status_text(c->qemu_status), pkt);
	return -1;
}

static int recv_reply(struct cap *c, const char *what)
{
	int n = rsp_recv(&c->rsp, c->reply, REPLY_CAP, c->o->rsp_timeout_ms);

	if (n < 0)
		return rsp_error_end(c, n, what);
	/* no reply we ask for starts with W or X (not hex digits) */
	if (c->reply[0] == 'W' || c->reply[0] == 'X')
		return exit_packet(c);
	return n;
}

static int flush(struct cap *c, const char *what)
{
	int n = rsp_flush(&c->rsp, c->o->rsp_timeout_ms);

	if (n < 0)
		return rsp_error_end(c, n, what);
	return 0;
}

static int read_target_description(struct cap *c)
{
	struct regmap *m = &c->map;
	char *xml, *p, err[128];
	int next = 0, i;
	long len;

	len = rsp_xfer_read(&c->rsp, "features", "target.xml", &xml,
			    c->o->rsp_timeout_ms);
	if (len < 0)
		return rsp_error_end(c, RSP_ERROR, "reading target.xml");
	/* registers in target.xml itself, then each include in order */
	if (parse_regs(m, xml, &next, err, sizeof(err)))
		goto bad;
	for (p = xml; (p = strstr(p, "<xi:include")); ) {
		const char *end = strchr(p, '>'), *v;
		char href[128], *sub;
		size_t l;

		if (!end)
			break;
		v = attr(p, end, "href", &l);
		if (!v || !l || l >= sizeof(href)) {
			snprintf(err, sizeof(err), "xi:include without href");
			goto bad;
		}
		memcpy(href, v, l);
		href[l] = '\0';
		if (rsp_xfer_read(&c->rsp, "features", href, &sub,
				  c->o->rsp_timeout_ms) < 0) {
			free(xml);
			return rsp_error_end(c, RSP_ERROR, "reading an XML include");
		}
		if (parse_regs(m, sub, &next, err, sizeof(err))) {
			free(sub);
			goto bad;
		}
		free(sub);
		p = (char *)end;
	}
	free(xml);
	/* the names, for the report */
	for (i = 0; i < m->n; i++) {
		size_t l = strlen(m->r[i].name);

		m->seen = realloc(m->seen, m->seen_len + l + 2);
		if (!m->seen)
			die("out of memory");
		memcpy(m->seen + m->seen_len, m->r[i].name, l);
		m->seen_len += l;
		m->seen[m->seen_len++] = ' ';
		m->seen[m->seen_len] = '\0';
	}
	qsort(m->r, (size_t)m->n, sizeof(m->r[0]), xreg_cmp);
	return 0;
bad:
	free(xml);
	end_capture(c, 0, "bad target description: %s", err);
	return -1;
}

/* Choose the registers: core by name, SPRs by our rules' names. */
static int build_map(struct cap *c)
{
	struct regmap *m = &c->map;
	int i, j, n;

	for (i = 0; i < 38; i++) {
		char name[8];

		if (i < 32)
			snprintf(name, sizeof(name), "r%d", i);
		else
			snprintf(name, sizeof(name), "%s", core_extra[i - 32]);
		m->core[i] = -1;
		for (j = 0; j < m->n; j++)
			if (!strcmp(m->r[j].name, name) && m->r[j].bits == 32) {
				m->core[i] = m->r[j].num;
				break;
			}
		if (m->core[i] < 0) {
			end_capture(c, 0,
				    "target description has no 32-bit register '%s'",
				    name);
			return -1;
		}
	}
	/* 'g' lays out the core registers; see how long it is */
	n = transact(c, "g", "reading registers (g)");
	if (n < 0)
		return -1;
	if (n < 8 || (n & 1)) {
		end_capture(c, 0, "bad 'g' reply \"%.40s\"", c->reply);
		return -1;
	}
	layout_g(m, n);

	for (j = 0; j < m->n; j++) {
		struct xreg *x = &m->r[j];
		int sprn, k, dup = 0;

		for (i = 0; i < 38; i++)
			if (m->core[i] == x->num)
				dup = 1;
		if (dup || x->bits != 32)
			continue;
		sprn = spr_of_name(x->name);
		if (sprn < 0)
			continue;
		for (k = 0; k < m->nspr; k++)
			if (m->spr_num[k] == sprn)
				dup = 1;
		if (dup)
			continue;
		if (m->nspr == ABTT_MAX_SPR) {
			note("more than %d SPRs offered; keeping the first",
			     ABTT_MAX_SPR);
			break;
		}
		m->spr_regnum[m->nspr] = x->num;
		m->spr_num[m->nspr] = (uint16_t)sprn;
		snprintf(m->spr_name[m->nspr], sizeof(m->spr_name[0]), "%s",
			 x->name);
		m->nspr++;
	}
	return 0;
}

/* Set single-step flags: ENABLE|NOIRQ|NOTIMER, and check they took. */
static int setup_sstep(struct cap *c)
{
	int n = transact(c, "qqemu.sstepbits", "querying qemu.sstepbits");

	if (n < 0)
		return -1;
	if (!n) {
		note("stub does not know qqemu.sstepbits; keeping its single-step default");
		return 0;
	}
	if (!strstr(c->reply, "NOIRQ=2") || !strstr(c->reply, "NOTIMER=4"))
		note("unexpected qemu.sstepbits \"%s\"", c->reply);
	n = transact(c, "Qqemu.sstep=7", "setting qemu.sstep");
	if (n < 0)
		return -1;
	if (strcmp(c->reply, "OK")) {
		end_capture(c, 0,
			    "stub refused Qqemu.sstep=7 (\"%s\"): single steps would not be deterministic",
			    c->reply);
		return -1;
	}
	n = transact(c, "qqemu.sstep", "querying qemu.sstep");
	if (n < 0)
		return -1;
	if (strtoul(c->reply, NULL, 16) != 7) {
		end_capture(c, 0, "qemu.sstep reads back \"%s\", not 0x7",
			    c->reply);
		return -1;
	}
	return 0;
}

/* Set (insert=1) or remove breakpoints on sites [from, to), pipelined. */
static int set_breakpoints(struct cap *c, size_t from, size_t to)
{
	const size_t batch = 128;
	size_t i, j;
	int n;

	for (i = from; i < to; i += batch) {
		size_t e = i + batch < to ? i + batch : to;

		for (j = i; j < e; j++)
			if (rsp_queuef(&c->rsp, "Z0,%x,4", c->sites.v[j].pc))
				return rsp_error_end(c, RSP_ERROR,
						     "setting breakpoints");
		if (flush(c, "setting breakpoints"))
			return -1;
		for (j = i; j < e; j++) {
			n = recv_reply(c, "setting breakpoints");
			if (n < 0)
				return -1;
			if (!strcmp(c->reply, "OK")) {
				c->sites.v[j].bp = 1;
				c->nbp++;
			} else {
				end_capture(c, 0,
					    "breakpoint at 0x%08x refused: \"%s\"",
					    c->sites.v[j].pc, c->reply);
				return -1;
			}
		}
	}
	return 0;
}

/* Read the full state: one 'g', one 'p' per SPR, pipelined. */
static int read_state(struct cap *c, struct abtt_state *s, const char *what)
{
	struct regmap *m = &c->map;
	uint32_t v[38];
	int i, n;

	memset(s, 0, sizeof(*s));
	if (rsp_queue(&c->rsp, "g", 1))
		return rsp_error_end(c, RSP_ERROR, what);
	for (i = 0; i < m->nspr; i++)
		if (rsp_queuef(&c->rsp, "p%x", m->spr_regnum[i]))
			return rsp_error_end(c, RSP_ERROR, what);
	/* core registers the 'g' reply did not cover */
	for (i = 0; i < 38; i++) {
		struct xreg *x = xreg_by_num(m, m->core[i]);

		if (x->gpos < 0 &&
		    rsp_queuef(&c->rsp, "p%x", m->core[i]))
			return rsp_error_end(c, RSP_ERROR, what);
	}
	if (flush(c, what))
		return -1;

	n = recv_reply(c, what);
	if (n < 0)
		return -1;
	if (n != m->g_hexlen) {
		end_capture(c, 0, "%s: 'g' reply of %d hex digits, expected %d (\"%.16s\")",
			    what, n, m->g_hexlen, c->reply);
		return -1;
	}
	for (i = 0; i < 38; i++) {
		struct xreg *x = xreg_by_num(m, m->core[i]);

		v[i] = 0;
		if (x->gpos >= 0 && rsp_hex_be32(c->reply + x->gpos, &v[i])) {
			end_capture(c, 0, "%s: bad hex in 'g' reply", what);
			return -1;
		}
	}
	for (i = 0; i < m->nspr; i++) {
		n = recv_reply(c, what);
		if (n < 0)
			return -1;
		if (n != 8 || rsp_hex_be32(c->reply, &s->spr[i])) {
			/* "E.." or nothing: not readable now */
			s->spr[i] = 0;
			c->nspr_errors++;
		}
	}
	for (i = 0; i < 38; i++) {
		struct xreg *x = xreg_by_num(m, m->core[i]);

		if (x->gpos >= 0)
			continue;
		n = recv_reply(c, what);
		if (n < 0)
			return -1;
		if (n != 8 || rsp_hex_be32(c->reply, &v[i])) {
			end_capture(c, 0, "%s: cannot read %s (\"%.16s\")",
				    what, x->name, c->reply);
			return -1;
		}
	}
	memcpy(s->gpr, v, sizeof(s->gpr));
	s->pc = v[C_PC];
	s->msr = v[C_MSR];
	s->cr = v[C_CR];
	s->xer = v[C_XER];
	s->lr = v[C_LR];
	s->ctr = v[C_CTR];
	return 0;
}

/* Parse a stop reply. Returns the signal (>= 0), -1 for W/X (QEMU is
 * exiting), -2 for anything else. */
static int stop_signal(const char *r)
{
	if ((r[0] == 'T' || r[0] == 'S') &&
	    rsp_hexval((unsigned char)r[1]) >= 0 &&
	    rsp_hexval((unsigned char)r[2]) >= 0)
		return rsp_hexval((unsigned char)r[1]) << 4 |
		       rsp_hexval((unsigned char)r[2]);
	if (r[0] == 'W' || r[0] == 'X')
		return -1;
	return -2;
}

static void dump_record(struct cap *c, const struct abtt_record *r, int rule)
{
	static const char *const cn[] = { "pc", "msr", "cr", "xer", "lr",
					  "ctr" };
	const uint32_t *a[6] = { &r->pre.pc, &r->pre.msr, &r->pre.cr,
				 &r->pre.xer, &r->pre.lr, &r->pre.ctr };
	const uint32_t *b[6] = { &r->post.pc, &r->post.msr, &r->post.cr,
				 &r->post.xer, &r->post.lr, &r->post.ctr };
	FILE *f = c->dump;
	int i;

	fprintf(f, "%" PRIu64 " pc=%08x word=%08x %s hit=%u:", c->nrecords,
		r->pc, r->word, rule ? abt_rules[rule].name : "?", r->hit);
	for (i = 0; i < 32; i++)
		if (r->pre.gpr[i] != r->post.gpr[i])
			fprintf(f, " r%d %x->%x", i, r->pre.gpr[i],
				r->post.gpr[i]);
	for (i = 0; i < 6; i++)
		if (*a[i] != *b[i] || i == 1)
			fprintf(f, " %s %x->%x", cn[i], *a[i], *b[i]);
	for (i = 0; i < c->map.nspr; i++)
		if (r->pre.spr[i] != r->post.spr[i])
			fprintf(f, " %s %x->%x", c->map.spr_name[i],
				r->pre.spr[i], r->post.spr[i]);
	fputc('\n', f);
}

/*
 * A stop that is not a breakpoint. QEMU reports a guest shutdown as
 * signal 3, then sends "W00" and exits: give it a moment to do so.
 * Returns 0 to resume, -1 when the capture ended.
 */
static int other_stop(struct cap *c, int sig)
{
	int n = rsp_recv(&c->rsp, c->reply, REPLY_CAP, 2000);

	if (n >= 0 && (c->reply[0] == 'W' || c->reply[0] == 'X'))
		return exit_packet(c);
	if (n != RSP_TIMEOUT)
		return rsp_error_end(c, n >= 0 ? RSP_ERROR : n,
				     "waiting after a stop with a signal other than 5");
	if (!qemu_alive(c))
		return rsp_error_end(c, RSP_EOF, "stopped");
	if (++c->nodd > MAX_ODD_STOPS) {
		end_capture(c, 0, "%d stops not at a breakpoint (last: signal %d)",
			    MAX_ODD_STOPS, sig);
		return -1;
	}
	return 0;
}

/*
 * The target stopped. At a site: state, word, one step, state, record.
 * Then continue (or not, if the capture ended). Returns 0 to go on
 * running, -1 when the capture ended.
 */
static int handle_stop(struct cap *c, int sig)
{
	struct abtt_record rec;
	struct site *s;
	struct abt_fields f;
	int64_t t = rsp_now_ms();
	int n, rule, fetched = 0;
	char req[64];

	c->nstops++;
	if (sig != 5) {
		if (other_stop(c, sig))
			return -1;
		goto resume;
	}
	memset(&rec, 0, sizeof(rec));
	if (read_state(c, &rec.pre, "reading the state before the step"))
		return -1;
	s = site_find(&c->sites, rec.pre.pc);
	if (!s || !s->bp) {
		/* not one of ours (e.g. a stop we did not ask for) */
		if (++c->nodd > MAX_ODD_STOPS) {
			end_capture(c, 0,
				    "%d stops at no breakpoint (last: pc 0x%08x, signal %d)",
				    MAX_ODD_STOPS, rec.pre.pc, sig);
			return -1;
		}
		goto resume;
	}

	snprintf(req, sizeof(req), "m%x,4", rec.pre.pc);
	n = transact(c, req, "reading the instruction word");
	if (n < 0)
		return -1;
	if (n == 8 && !rsp_hex_be32(c->reply, &rec.word))
		fetched = 1;
	rule = fetched ? (int)abt_decode(rec.word, &f) : ABT_RULE_NONE;

	/* one instruction, interrupts and timers masked */
	if (rsp_queue(&c->rsp, "s", 1) || flush(c, "single-stepping"))
		return rsp_error_end(c, RSP_ERROR, "single-stepping");
	n = recv_reply(c, "single-stepping");
	if (n < 0)
		return -1;
	n = stop_signal(c->reply);
	if (n < 0) {
		end_capture(c, 0, "QEMU %s during a single step (\"%.20s\")",
			    n == -1 ? "exited" : "sent an odd reply",
			    c->reply);
		return -1;
	}

	if (!fetched) {
		/* The page is not mapped yet: the step raised an
		 * instruction TLB miss; the guest will come back. */
		c->nunfetchable++;
		goto resume;
	}
	if (rule == ABT_RULE_NONE) {
		/* other code at this address (another mapping) */
		c->nforeign++;
		goto resume;
	}
	if (read_state(c, &rec.post, "reading the state after the step"))
		return -1;
	rec.pc = rec.pre.pc;
	rec.hit = s->hits;
	if (c->w && abtt_write(c->w, &rec)) {
		end_capture(c, 0, "writing the trace failed");
		return -1;
	}
	if (c->dump)
		dump_record(c, &rec, rule);
	c->nrecords++;
	if (!s->hits++)
		c->ndistinct++;
	if (s->hits >= c->o->per_site) {
		snprintf(req, sizeof(req), "z0,%x,4", s->pc);
		n = transact(c, req, "removing a breakpoint");
		if (n < 0)
			return -1;
		if (strcmp(c->reply, "OK"))
			note("removing the breakpoint at 0x%08x: \"%s\"", s->pc,
			     c->reply);
		s->bp = 0;
		c->nbp--;
		c->ndone++;
	}
	if (c->o->max_records && c->nrecords >= c->o->max_records)
		end_capture(c, 1, "%" PRIu64 " records (--max-records)",
			    c->nrecords);
	if (!c->nbp)
		end_capture(c, 1, "every site recorded %u times",
			    c->o->per_site);
resume:
	c->stop_ms += rsp_now_ms() - t;
	if (c->ended)
		return -1;
	if (rsp_queue(&c->rsp, "c", 1) || flush(c, "continuing"))
		return -1;
	return 0;
}

/* While the guest runs: wait for a stop, feeding the console. Returns
 * the stop's signal, or -1 when the capture ended (target state in
 * *running). */
static int wait_stop(struct cap *c, int *running)
{
	int64_t deadline = c->o->timeout_s > 0 ?
		c->t0 + (int64_t)(c->o->timeout_s * 1000) : 0;
	int out_open = 1, eof = 0;

	*running = 1;
	for (;;) {
		struct pollfd p[5];
		int n, np = 0, wait_ms = 200;

		n = rsp_take(&c->rsp, c->reply, REPLY_CAP);
		if (n >= 0) {
			int sig = stop_signal(c->reply);

			if (sig == -2)
				continue;	/* console 'O' or junk */
			*running = 0;
			if (sig == -1)
				return exit_packet(c);
			rsp_flush_acks(&c->rsp);	/* target stopped */
			return sig;
		}
		if (n != RSP_TIMEOUT || eof) {
			if (eof && qemu_alive(c))
				usleep(100000);	/* let it exit */
			rsp_error_end(c, eof ? RSP_EOF : n,
				      "waiting for a stop");
			*running = 0;
			return -1;
		}

		if (out_open && drain_console(c))
			out_open = 0;
		drain_qemu_err(c);
		if (c->logfd >= 0 && drain_log(c)) {
			close(c->logfd);
			c->logfd = -1;
		}
		if (got_signal)
			end_capture(c, 0, "interrupted by %s",
				    signame(got_signal));
		if (deadline && rsp_now_ms() >= deadline)
			end_capture(c, 0, "timeout after %g s (--timeout)",
				    c->o->timeout_s);
		if (!qemu_alive(c)) {
			c->qemu_failed = 1;
			end_capture(c, 0, "QEMU died (%s)",
				    status_text(c->qemu_status));
			*running = 0;
			return -1;
		}
		if (c->ended)
			return -1;	/* still running: caller stops it */
		progress(c, 0);
		flush_qemu_in(c);

		p[np++] = (struct pollfd){ .fd = c->rsp.fd, .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = c->qemu_err,
					   .events = POLLIN };
		if (out_open)
			p[np++] = (struct pollfd){ .fd = c->qemu_out,
						   .events = POLLIN };
		if (c->pendlen)
			p[np++] = (struct pollfd){ .fd = c->qemu_in,
						   .events = POLLOUT };
		if (c->logfd >= 0)
			p[np++] = (struct pollfd){ .fd = c->logfd,
						   .events = POLLIN };
		n = poll(p, (nfds_t)np, wait_ms);
		if (n < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		/* on EOF, the packets already buffered (a "W00") go first */
		if (n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    rsp_fill(&c->rsp) < 0)
			eof = 1;
	}
}

/* Stop a running target (^C byte) and wait for its stop reply. */
static void interrupt_target(struct cap *c)
{
	int64_t deadline = rsp_now_ms() + 3000;

	if (rsp_send_break(&c->rsp))
		return;
	while (rsp_now_ms() < deadline) {
		int n = rsp_recv(&c->rsp, c->reply, REPLY_CAP, 500);

		if (n >= 0 && stop_signal(c->reply) != -2)
			return;
		if (n < 0 && n != RSP_TIMEOUT)
			return;
	}
}

/* Kill QEMU: 'k' over gdb, then signals to the pid we started. */
static void stop_qemu(struct cap *c, int stopped)
{
	int64_t deadline;
	int st, sent_term = 0;

	if (c->qemu <= 0 || c->qemu_reaped)
		return;
	if (c->rsp.fd >= 0 && stopped) {
		rsp_queue(&c->rsp, "k", 1);
		rsp_flush(&c->rsp, 1000);
	}
	deadline = rsp_now_ms() + 3000;
	for (;;) {
		pid_t r = waitpid(c->qemu, &st, WNOHANG);

		if (r == c->qemu) {
			c->qemu_reaped = 1;
			c->qemu_status = st;
			return;
		}
		if (r < 0)
			return;
		if (rsp_now_ms() >= deadline) {
			if (sent_term) {
				kill(c->qemu, SIGKILL);
				waitpid(c->qemu, &st, 0);
				c->qemu_reaped = 1;
				c->qemu_status = st;
				return;
			}
			kill(c->qemu, SIGTERM);
			sent_term = 1;
			deadline = rsp_now_ms() + 2000;
		}
		usleep(10000);
	}
}

/* ---------------------------------------------------------------- */

static void fill_header(struct cap *c)
{
	struct abtt_header *h = &c->hdr;
	const struct opts *o = c->o;
	char buf[4096];
	size_t len;
	int i;

	memset(h, 0, sizeof(*h));
	if (o->guest) {
		snprintf(h->guest, sizeof(h->guest), "%s", o->guest);
	} else if (!o->nelf) {
		snprintf(h->guest, sizeof(h->guest), "unknown");
	} else {
		const char *b = strrchr(o->elf[0].path, '/');

		snprintf(h->guest, sizeof(h->guest), "%s",
			 b ? b + 1 : o->elf[0].path);
	}
	snprintf(h->qemu, sizeof(h->qemu), "%s", c->qemu_version);
	snprintf(h->cpu, sizeof(h->cpu), "e500v2");

	len = (size_t)snprintf(buf, sizeof(buf), "K=%u sites=%s%s%s%s%s elf=",
			       o->per_site, o->nelf ? "elf-scan" : "",
			       o->nelf && o->prepass ? "," : "",
			       o->prepass ? "prepass-in_asm" : "",
			       (o->nelf || o->prepass) && o->sites_path ?
			       "," : "",
			       o->sites_path ? "list" : "");
	if (o->rule)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					" rule=%s", abt_rules[o->rule].name);
	for (i = 0; i < o->nelf; i++) {
		const char *b = strrchr(o->elf[i].path, '/');

		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"%s%s@0x%x", i ? "," : "",
					b ? b + 1 : o->elf[i].path,
					o->elf[i].bias);
		if (len >= sizeof(buf))
			break;
	}
	if (len < sizeof(buf)) {
		/* the QEMU arguments after our fixed prefix */
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					" sstep=0x7 qemu:");
		for (i = 0; i < o->nqargs && len < sizeof(buf); i++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
						" %s", o->qargs[i]);
	}
	if (strlen(buf) >= sizeof(h->options)) {
		memcpy(h->options, buf, sizeof(h->options) - 4);
		strcpy(h->options + sizeof(h->options) - 4, "...");
	} else {
		strcpy(h->options, buf);
	}
	h->nspr = (uint32_t)c->map.nspr;
	for (i = 0; i < c->map.nspr; i++) {
		h->spr[i] = c->map.spr_num[i];
		memcpy(h->spr_name[i], c->map.spr_name[i],
		       sizeof(h->spr_name[i]));
	}
}

static int start(struct cap *c)
{
	int tries, n;

	free(c->map.seen);
	memset(&c->map, 0, sizeof(c->map));

	for (tries = 0; ; tries++) {
		spawn_qemu(c);
		if (!rsp_connect(&c->rsp, "127.0.0.1", c->port, 15000,
				 qemu_alive, c))
			break;
		drain_qemu_err(c);
		if (!c->qemu_reaped)
			stop_qemu(c, 0);
		/* someone else took the port between our probe and QEMU */
		if (tries < 4 && strstr(c->errtail, "ddress already in use")) {
			c->errtaillen = 0;
			continue;
		}
		c->qemu_failed = 1;
		note("QEMU command: %s", c->qemu_cmdline);
		if (strstr(c->errtail, "efi-virtio.rom"))
			note("hint: add '-nic none' to the QEMU arguments (or install ipxe-qemu)");
		end_capture(c, 0, "%s", c->rsp.err);
		return -1;
	}
	if (!c->o->quiet)
		note("QEMU: %s", c->qemu_cmdline);
	n = transact(c, "qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=powerpc",
		     "qSupported");
	if (n < 0)
		return -1;
	if (!strstr(c->reply, "qXfer:features:read+")) {
		end_capture(c, 0, "gdb stub offers no target description (\"%s\")",
			    c->reply);
		return -1;
	}
	n = transact(c, "QStartNoAckMode", "QStartNoAckMode");
	if (n < 0)
		return -1;
	if (!strcmp(c->reply, "OK"))
		c->rsp.noack = 1;
	n = transact(c, "?", "querying the stop reason");
	if (n < 0)
		return -1;
	if (stop_signal(c->reply) < 0) {
		end_capture(c, 0, "target not stopped at start (\"%s\")",
			    c->reply);
		return -1;
	}
	if (read_target_description(c) || build_map(c) || setup_sstep(c))
		return -1;
	return 0;
}

/* Between the passes: a fresh QEMU, console and end state. */
static void reset_pass(struct cap *c)
{
	rsp_close(&c->rsp);
	c->rsp.fd = -1;
	close(c->qemu_in);
	close(c->qemu_out);
	close(c->qemu_err);
	c->qemu = 0;
	c->qemu_reaped = 0;
	c->ended = c->complete = 0;
	c->reason[0] = '\0';
	c->step = 0;
	c->conlen = c->taillen = c->pendlen = c->errtaillen = 0;
	c->nstops = c->nodd = c->nbp = 0;
	c->qemu_failed = 0;
	c->npre_args = 0;
}

/*
 * --prepass: run the guest once, same QEMU arguments and console
 * script, no breakpoints, with QEMU logging each instruction it
 * translates (-d in_asm) into a FIFO we read as it runs. Sites never
 * translated are not armed in the capture; privileged words translated
 * outside the --elf images become sites too. Returns 0, or -1 with
 * the capture ended.
 */
static int run_prepass(struct cap *c)
{
	char dir[] = "/tmp/abt-trace.XXXXXX", fifo[64];
	struct sites keep = { 0 };
	unsigned int nseen = 0;
	int64_t t0 = rsp_now_ms();
	int running = 0, ok;
	size_t i;

	if (!mkdtemp(dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(fifo, sizeof(fifo), "%s/in_asm", dir);
	if (mkfifo(fifo, 0600))
		die("mkfifo %s: %s", fifo, strerror(errno));
	/* open the read end first: QEMU's open for writing waits for it */
	c->logfd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (c->logfd < 0)
		die("open %s: %s", fifo, strerror(errno));
	c->pre_args[0] = "-d";
	c->pre_args[1] = "in_asm";
	c->pre_args[2] = "-D";
	c->pre_args[3] = fifo;
	c->npre_args = 4;
	note("prepass: the guest runs once without breakpoints; QEMU logs every instruction it translates (-d in_asm)");
	c->t0 = c->last_progress = rsp_now_ms();
	c->in_prepass = 1;
	if (!start(c)) {
		script_advance(c);
		if (!c->ended && !rsp_queue(&c->rsp, "c", 1) &&
		    !flush(c, "starting the guest")) {
			for (;;) {
				int sig = wait_stop(c, &running);

				if (sig < 0)
					break;
				/* no breakpoints: a stop we did not ask for */
				if (other_stop(c, sig) ||
				    rsp_queue(&c->rsp, "c", 1) ||
				    flush(c, "continuing"))
					break;
				running = 1;
			}
		}
	}
	if (running && c->rsp.fd >= 0 && qemu_alive(c))
		interrupt_target(c);
	stop_qemu(c, 1);
	if (c->logfd >= 0) {
		int64_t end = rsp_now_ms() + 5000;

		while (!drain_log(c) && rsp_now_ms() < end)
			usleep(10000);
		close(c->logfd);
		c->logfd = -1;
	}
	unlink(fifo);
	rmdir(dir);
	c->in_prepass = 0;

	/* a timeout is a fine end for a prepass */
	ok = c->complete || strstr(c->reason, "(--timeout)");
	for (i = 0; i < c->sites.n; i++)
		nseen += c->sites.v[i].seen;
	note("prepass: %.1f s, ended: %s; %" PRIu64 " instructions translated, %u sites seen (%u of them outside the --elf images), %zu scanned sites never translated",
	     (double)(rsp_now_ms() - t0) / 1000.0, c->reason, c->nlogged,
	     nseen, c->nextra_sites, c->sites.n - nseen);
	if (!ok) {
		char r[sizeof(c->reason)];

		snprintf(r, sizeof(r), "%s", c->reason);
		snprintf(c->reason, sizeof(c->reason), "prepass: %.*s",
			 (int)sizeof(c->reason) - 10, r);
		if (c->qemu_failed)
			show_qemu_err(c);
		return -1;
	}
	for (i = 0; i < c->sites.n; i++) {
		struct site *s = &c->sites.v[i];

		if (s->seen)
			site_add(&keep, s->pc, s->word, s->rule, s->elf);
	}
	free(c->sites.v);
	free(c->sites.hash);
	c->sites = keep;
	reset_pass(c);
	if (c->clog) {
		fputs("\n==== abt-trace: prepass ends, capture starts ====\n",
		      c->clog);
		fflush(c->clog);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct cap c;
	struct sigaction sa;
	char err[ABTT_ERR_LEN];
	int i, running = 0, ret;

	parse_opts(&o, argc, argv);
	memset(&c, 0, sizeof(c));
	c.o = &o;
	c.rsp.fd = -1;
	c.logfd = -1;
	c.reply = malloc(REPLY_CAP);
	c.con = malloc(CONSOLE_KEEP);
	c.tail = malloc(o.until_console ? strlen(o.until_console) : 1);
	if (!c.reply || !c.con || !c.tail)
		die("out of memory");
	if (o.script_path)
		c.script = load_script(o.script_path, &c.nsteps);
	if (o.console_log) {
		c.clog = strcmp(o.console_log, "-") ?
			fopen(o.console_log, "w") : stderr;
		if (!c.clog)
			die("--console-log %s: %s", o.console_log,
			    strerror(errno));
	}
	if (o.dump) {
		c.dump = strcmp(o.dump, "-") ? fopen(o.dump, "w") : stdout;
		if (!c.dump)
			die("--dump %s: %s", o.dump, strerror(errno));
	}

	for (i = 0; i < o.nelf; i++)
		scan_elf(&c.sites, &o.elf[i], i);
	for (i = 0; i < o.nelf; i++)
		note("%s@0x%x: %u sites (%s)", o.elf[i].path, o.elf[i].bias,
		     o.elf[i].nsites, o.elf[i].method);
	if (o.sites_path)
		filter_sites(&c.sites, o.sites_path);
	if (o.rule)
		filter_rule(&c.sites, o.rule);
	if (!c.sites.n && !o.prepass)
		die("no site to arm: no privileged instruction in the --elf images%s",
		    o.sites_path ? " that --sites lists" : "");
	qemu_version(&c);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	ret = 0;
	if (o.prepass)
		ret = run_prepass(&c);
	if (!ret && !c.sites.n) {
		end_capture(&c, 0, "no site to arm: the prepass saw none");
		ret = -1;
	}
	c.t0 = c.last_progress = rsp_now_ms();
	if (!ret)
		ret = start(&c);
	/* the trace exists from here on, even if QEMU failed to start:
	 * a truncated trace with the reason in its trailer */
	fill_header(&c);
	if (o.out) {
		c.w = abtt_create(o.out, &c.hdr, o.compress, err, sizeof(err));
		if (!c.w) {
			note("%s: %s", o.out, err);
			stop_qemu(&c, !c.ended);
			return 1;
		}
	}
	if (ret)
		goto end;
	if (!o.quiet) {
		note("%u SPRs captured by name (of %d registers described):",
		     c.map.nspr, c.map.n);
		fputs("abt-trace:  ", stderr);
		for (i = 0; i < c.map.nspr; i++)
			fprintf(stderr, " %s=%u", c.map.spr_name[i],
				c.map.spr_num[i]);
		fputc('\n', stderr);
	}
	if (set_breakpoints(&c, 0, c.sites.n))
		goto end;
	note("%u breakpoints set (%zu sites, K=%u); running", c.nbp,
	     c.sites.n, o.per_site);
	script_advance(&c);
	if (c.ended)
		goto end;
	c.t0 = c.last_progress = rsp_now_ms();
	if (rsp_queue(&c.rsp, "c", 1) || flush(&c, "starting the guest"))
		goto end;
	for (;;) {
		int sig = wait_stop(&c, &running);

		if (sig < 0)
			break;
		if (handle_stop(&c, sig))
			break;
		running = 1;
		/* progress and signals while stopping often */
		if (got_signal)
			end_capture(&c, 0, "interrupted by %s",
				    signame(got_signal));
		progress(&c, 0);
	}
end:
	if (!c.ended)
		end_capture(&c, 0, "internal error: capture loop ended");
	if (running && c.rsp.fd >= 0 && qemu_alive(&c))
		interrupt_target(&c);
	drain_console(&c);
	stop_qemu(&c, 1);
	drain_qemu_err(&c);
	progress(&c, 1);
	note("%s: %s", c.complete ? "complete" : "TRUNCATED", c.reason);
	if (c.qemu_failed)
		show_qemu_err(&c);
	note("%" PRIu64 " records, %u distinct sites of %zu, %" PRIu64 " stops (%" PRIu64 " not at a site, %" PRIu64 " unfetchable, %" PRIu64 " other code), %" PRIu64 " SPR read errors, %.1f s in stops, %" PRIu64 " packets out / %" PRIu64 " in",
	     c.nrecords, c.ndistinct, c.sites.n, c.nstops, c.nodd,
	     c.nunfetchable, c.nforeign, c.nspr_errors,
	     (double)c.stop_ms / 1000.0, c.rsp.npackets_out,
	     c.rsp.npackets_in);
	ret = c.complete ? 0 : 1;
	if (c.w) {
		if (abtt_finish(c.w, c.complete, c.complete ? "" : c.reason,
				err, sizeof(err))) {
			note("%s: %s", o.out, err);
			ret = 1;
		} else {
			note("wrote %s", o.out);
		}
	}
	if (c.dump && c.dump != stdout)
		fclose(c.dump);
	if (c.clog && c.clog != stderr)
		fclose(c.clog);
	rsp_close(&c.rsp);
	for (i = 0; i < c.nsteps; i++)
		free(c.script[i].text);
	free(c.script);
	for (i = 0; i < o.nelf; i++)
		free((char *)o.elf[i].path);
	free(c.sites.v);
	free(c.sites.hash);
	free(c.map.seen);
	free(c.qemu_cmdline);
	free(c.reply);
	free(c.con);
	free(c.tail);
	free(c.pend);
	return ret;
}
