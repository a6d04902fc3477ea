// SPDX-License-Identifier: GPL-2.0
/*
 * abt-vmm: a minimal KVM VMM for e500v2 (PowerPC Book E, KVM_E500V2).
 *
 * Boots an unmodified Linux guest the way QEMU's ppce500 board starts it
 * with -kernel (see kvm-glue/vmm/README.md and shared/notes/nested-kvm.md):
 *
 *   - guest RAM at guest-physical 0 (default 128 MiB);
 *   - the guest TLB in this process (KVM_CAP_SW_TLB): TLB0 512 entries
 *     4-way and TLB1 16 entries, as on e500v2, with TLB1[0] mapping
 *     EA 0..64 MiB to PA 0 (IPROT), pushed with KVM_DIRTY_TLB;
 *   - the ELF kernel's PT_LOAD segments at p_paddr, the initrd at 32 MiB,
 *     the device tree at 48 MiB (its /chosen and /memory filled in here);
 *   - ePAPR entry state: pc = physical entry, MSR = 0, r1 = 16 MiB - 8,
 *     r3 = DTB, r6 = 0x45504150, r7 = 64 MiB (the initial mapping);
 *   - the in-kernel MPIC (KVM_DEV_TYPE_FSL_MPIC_20) at 0xf_e004_0000;
 *   - a polled 16550 at 0xf_e000_4500 (THR to stdout, LSR = 0x60) and the
 *     QorIQ GPIO block at 0xf_e00f_f000, whose pin 0 is the board's
 *     gpio-poweroff line: the guest powers off by driving it high.
 *
 * At the end it prints how many KVM_RUN returns there were per exit reason
 * and copies KVM's per-vcpu exit timing from debugfs when it is there.
 *
 * Build: powerpc-linux-gnu-gcc -static -mcpu=8540 -msoft-float -O2
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

/* ---- guest physical layout (as QEMU's ppce500 -kernel, nested-kvm.md) --- */

#define MIB			(1024u * 1024u)
#define DEFAULT_RAM_MIB		128u
#define MAX_RAM_MIB		1024u	/* below CCSR and the 32-bit EA space */
#define MIN_RAM_MIB		64u	/* the initial mapping must be RAM */
#define INITRD_ADDR		(32u * MIB)
#define DTB_ADDR		(48u * MIB)
#define DTB_MAX			(1u * MIB)
#define STACK_TOP		(16u * MIB - 8)
#define INITIAL_MAP_SIZE	(64u * MIB)
#define EPAPR_MAGIC		0x45504150u

#define CCSR_BASE		0xfe0000000ull
#define UART_BASE		(CCSR_BASE + 0x4500)
#define UART_SIZE		0x100
#define MPIC_BASE		(CCSR_BASE + 0x40000)
#define GPIO_BASE		(CCSR_BASE + 0xff000)
#define GPIO_SIZE		0x1000
/* ePAPR spin table for secondary vcpus, where QEMU's ppce500 has it
 * (the DT's cpu-release-addr): one 0x20-byte entry per cpu. */
#define SPIN_BASE		0xfef000000ull
#define SPIN_ENTRY		0x20
#define MAX_VCPUS		4

/* 16550 registers (offsets) */
#define UART_THR		0
#define UART_LCR		3
#define UART_LCR_DLAB		0x80
#define UART_LSR		5
#define UART_LSR_THRE_TEMT	0x60

/* QorIQ GPIO registers (offsets, 32-bit big-endian) */
#define GPIO_DIR		0x00
#define GPIO_ODR		0x04
#define GPIO_DAT		0x08
#define GPIO_IER		0x0c
#define GPIO_IMR		0x10
#define GPIO_ICR		0x14
#define GPIO_ICR2		0x18
#define GPIO_NREGS		7
#define GPIO_POWEROFF_PIN	0x80000000u	/* pin 0: MSB */

/* ---- e500v2 guest TLB geometry for KVM_CAP_SW_TLB ---------------------- */

#define TLB0_ENTRIES		512
#define TLB0_WAYS		4
#define TLB1_ENTRIES		16
#define TLB_ENTRIES		(TLB0_ENTRIES + TLB1_ENTRIES)

#define MAS1_VALID		0x80000000u
#define MAS1_IPROT		0x40000000u
#define MAS1_TSIZE_SHIFT	7	/* size = 2^TSIZE KiB (4-bit on e500v2) */
#define MAS3_UX			0x20u
#define MAS3_SX			0x10u
#define MAS3_UW			0x08u
#define MAS3_SW			0x04u
#define MAS3_UR			0x02u
#define MAS3_SR			0x01u

/* ---- exit codes --------------------------------------------------------- */

enum {
	RC_OK = 0,		/* guest powered off, or --until seen */
	RC_SETUP = 1,		/* bad option, file or failing ioctl */
	RC_TIMEOUT = 2,		/* --timeout or a signal */
	RC_GUEST = 3,		/* shutdown, debug, internal error, ... */
};

#define MAX_UNHANDLED_REPORTS	16
#define MAX_EXIT_REASON		64
#define UNTIL_MAX		256

struct options {
	const char *kernel;
	const char *initrd;
	const char *dtb;
	const char *append;
	const char *until;
	const char *dump_dtb;
	unsigned int ram_mib;
	unsigned int timeout;
	unsigned int nvcpus;
	bool sw_tlb;
	bool hugetlb;		/* --hugetlb */
	bool quiet;
	bool verbose;
};

struct stats {
	uint64_t runs;			/* KVM_RUN calls */
	uint64_t eintr;			/* KVM_RUN returned EINTR */
	uint64_t reason[MAX_EXIT_REASON + 1];	/* last: out of range */
	uint64_t uart_write, uart_read, gpio_write, gpio_read;
	uint64_t mmio_unhandled;
	uint64_t console_bytes;
	struct timespec start, end;
	uint64_t tb_start, tb_end;	/* timebase at the first KVM_RUN and
					 * at the end: the guest's timebase */
};

/*
 * A secondary vcpu: created with the VM, run by its own thread once the
 * guest releases it through its spin-table entry (addr_l written != 1).
 */
struct secondary {
	int id, fd;
	struct kvm_run *run;
	struct kvm_book3e_206_tlb_entry *tlb;
	uint32_t spin[SPIN_ENTRY / 4];	/* addr_h addr_l r3_h r3_l rsvd pir */
	bool kicked, thread;
	pthread_t th;
};

struct vmm {
	struct options opt;
	struct secondary sec[MAX_VCPUS];	/* [1 .. nvcpus-1] */
	pthread_mutex_t lock;		/* devices and stats, all vcpus */
	pthread_cond_t kick;
	pthread_t main_thread;
	volatile int stop;		/* a vcpu ended the run */
	int stop_rc;
	int kvm_fd, vm_fd, vcpu_fd, mpic_fd;
	uint8_t *ram;
	size_t ram_size;
	struct kvm_run *run;
	size_t run_size;
	struct kvm_book3e_206_tlb_entry *tlb;
	uint64_t kernel_end;		/* highest loaded guest-physical byte */
	uint64_t entry;
	uint64_t initrd_start, initrd_end;
	uint32_t dtb_size;
	/* devices */
	uint8_t uart_lcr;
	uint32_t gpio[GPIO_NREGS];
	/* --until matcher: last UNTIL_MAX console bytes */
	char tail[UNTIL_MAX];
	size_t tail_len, until_len;
	struct stats st;
};

static struct vmm *the_vmm;
static volatile sig_atomic_t got_signal;
/* each vcpu thread's kvm_run: a signal makes its KVM_RUN return */
static __thread struct kvm_run *volatile signal_run;
/* the guest console on stdout stopped mid-line: end it before a message */
static bool console_mid_line;

static void err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void err(const char *fmt, ...)
{
	va_list ap;

	if (console_mid_line) {
		putchar('\n');
		console_mid_line = false;
	}
	fflush(stdout);
	fputs("abt-vmm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void info(const struct vmm *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void info(const struct vmm *v, const char *fmt, ...)
{
	va_list ap;

	if (!v->opt.verbose)
		return;
	fflush(stdout);
	fputs("abt-vmm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * Every KVM ioctl goes through here, so a failure always names the ioctl
 * and errno. Returns the ioctl's result, or -1 with errno kept.
 */
static int do_ioctl(int fd, unsigned long req, const char *name, void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR && strcmp(name, "KVM_RUN") != 0);
	if (r < 0 && !(errno == EINTR && strcmp(name, "KVM_RUN") == 0)) {
		int e = errno;

		err("ioctl %s failed: %s (errno %d)", name, strerror(e), e);
		errno = e;
	}
	return r;
}

#define KVM_IOCTL(fd, req, arg) do_ioctl((fd), (req), #req, (void *)(arg))

/* ---- big-endian accessors ----------------------------------------------- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, v >> 32);
	put_be32(p + 4, (uint32_t)v);
}

/* ---- files -------------------------------------------------------------- */

/* Whole file into a new buffer; refuses files larger than max. */
static int read_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	struct stat sb;
	uint8_t *b;
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0) {
		err("cannot stat %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		err("%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((uint64_t)sb.st_size > max) {
		err("%s: too large (%lld bytes, at most %zu)", path,
		    (long long)sb.st_size, max);
		close(fd);
		return -1;
	}
	b = malloc(sb.st_size ? (size_t)sb.st_size : 1);
	if (!b) {
		err("%s: out of memory", path);
		close(fd);
		return -1;
	}
	while (got < (size_t)sb.st_size) {
		ssize_t r = read(fd, b + got, (size_t)sb.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err("cannot read %s: %s", path,
			    r < 0 ? strerror(errno) : "unexpected end of file");
			free(b);
			close(fd);
			return -1;
		}
		got += (size_t)r;
	}
	close(fd);
	*buf = b;
	*len = got;
	return 0;
}

/* [addr, addr+len) lies in guest RAM */
static bool in_ram(const struct vmm *v, uint64_t addr, uint64_t len)
{
	return addr <= v->ram_size && len <= v->ram_size - addr;
}

/* ---- ELF kernel --------------------------------------------------------- */

#define EI_CLASS	4
#define EI_DATA		5
#define ELFCLASS32	1
#define ELFDATA2MSB	2
#define EM_PPC		20
#define PT_LOAD		1
#define EHDR_SIZE	52
#define PHDR_SIZE	32

static int load_elf(struct vmm *v, const char *path)
{
	uint8_t *f;
	size_t len;
	uint32_t entry, phoff;
	uint16_t phentsize, phnum;
	bool have_entry = false;
	int nload = 0;

	if (read_file(path, 512u * MIB, &f, &len) < 0)
		return -1;
	if (len < EHDR_SIZE || memcmp(f, "\177ELF", 4) != 0) {
		err("%s: not an ELF file", path);
		goto fail;
	}
	if (f[EI_CLASS] != ELFCLASS32 || f[EI_DATA] != ELFDATA2MSB ||
	    be16(f + 18) != EM_PPC) {
		err("%s: not a 32-bit big-endian PowerPC ELF", path);
		goto fail;
	}
	entry = be32(f + 24);
	phoff = be32(f + 28);
	phentsize = be16(f + 42);
	phnum = be16(f + 44);
	if (phentsize < PHDR_SIZE || phoff > len ||
	    (uint64_t)phnum * phentsize > len - phoff) {
		err("%s: program headers outside the file", path);
		goto fail;
	}
	for (unsigned int i = 0; i < phnum; i++) {
		const uint8_t *ph = f + phoff + (size_t)i * phentsize;
		uint32_t off = be32(ph + 4), vaddr = be32(ph + 8);
		uint32_t paddr = be32(ph + 12), filesz = be32(ph + 16);
		uint32_t memsz = be32(ph + 20);

		if (be32(ph) != PT_LOAD || memsz == 0)
			continue;
		if (filesz > memsz || off > len || filesz > len - off) {
			err("%s: segment %u: file range 0x%" PRIx32 "+0x%" PRIx32
			    " outside the file (or filesz > memsz)",
			    path, i, off, filesz);
			goto fail;
		}
		if (!in_ram(v, paddr, memsz)) {
			err("%s: segment %u: paddr 0x%" PRIx32 "+0x%" PRIx32
			    " outside guest RAM (%zu MiB)", path, i, paddr,
			    memsz, v->ram_size / MIB);
			goto fail;
		}
		memcpy(v->ram + paddr, f + off, filesz);
		memset(v->ram + paddr + filesz, 0, memsz - filesz);
		if ((uint64_t)paddr + memsz > v->kernel_end)
			v->kernel_end = (uint64_t)paddr + memsz;
		if (entry >= vaddr && entry - vaddr < memsz) {
			v->entry = (uint64_t)entry - vaddr + paddr;
			have_entry = true;
		}
		info(v, "kernel segment %u: vaddr 0x%08" PRIx32 " paddr 0x%08"
		     PRIx32 " filesz 0x%" PRIx32 " memsz 0x%" PRIx32, i, vaddr,
		     paddr, filesz, memsz);
		nload++;
	}
	if (nload == 0) {
		err("%s: no PT_LOAD segment", path);
		goto fail;
	}
	if (!have_entry) {
		err("%s: entry point 0x%" PRIx32 " is in no PT_LOAD segment",
		    path, entry);
		goto fail;
	}
	free(f);
	return 0;
fail:
	free(f);
	return -1;
}

/* ---- flattened device tree: set properties in place --------------------- */

#define FDT_MAGIC	0xd00dfeedu
#define FDT_BEGIN_NODE	1
#define FDT_END_NODE	2
#define FDT_PROP	3
#define FDT_NOP		4
#define FDT_END		9
#define FDT_HDR_SIZE	40

struct fdt {
	uint8_t *rsv;		/* memory reservation block, with terminator */
	size_t rsv_len;
	uint8_t *dt;		/* structure block */
	size_t dt_len, dt_cap;
	char *str;		/* strings block */
	size_t str_len, str_cap;
	uint32_t boot_cpuid;
};

static size_t align4(size_t x)
{
	return (x + 3) & ~(size_t)3;
}

static void fdt_free(struct fdt *t)
{
	free(t->rsv);
	free(t->dt);
	free(t->str);
	memset(t, 0, sizeof(*t));
}

/* Split a DTB into its blocks, checking every offset against the blob. */
static int fdt_parse(struct fdt *t, const uint8_t *b, size_t len,
		     const char *path)
{
	uint32_t total, off_dt, off_str, off_rsv, version, dt_size, str_size;
	size_t r;

	memset(t, 0, sizeof(*t));
	if (len < FDT_HDR_SIZE || be32(b) != FDT_MAGIC) {
		err("%s: not a flattened device tree (bad magic)", path);
		return -1;
	}
	total = be32(b + 4);
	off_dt = be32(b + 8);
	off_str = be32(b + 12);
	off_rsv = be32(b + 16);
	version = be32(b + 20);
	t->boot_cpuid = be32(b + 28);
	str_size = be32(b + 32);
	dt_size = be32(b + 36);
	if (version < 17 || be32(b + 24) > 17) {
		err("%s: device tree version %" PRIu32 " not supported "
		    "(need 17)", path, version);
		return -1;
	}
	if (total > len || off_dt > total || dt_size > total - off_dt ||
	    off_str > total || str_size > total - off_str ||
	    off_rsv > total || (off_rsv & 7) || (off_dt & 3) ||
	    (dt_size & 3)) {
		err("%s: device tree header inconsistent with its size", path);
		return -1;
	}
	/* reservation block: 16-byte entries up to a zero entry */
	for (r = off_rsv; ; r += 16) {
		if (r + 16 > total) {
			err("%s: unterminated memory reservation block", path);
			return -1;
		}
		if (!memcmp(b + r, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16))
			break;
	}
	t->rsv_len = r + 16 - off_rsv;
	t->dt_cap = dt_size + 4096;
	t->str_cap = str_size + 1024;
	t->rsv = malloc(t->rsv_len);
	t->dt = malloc(t->dt_cap);
	t->str = malloc(t->str_cap);
	if (!t->rsv || !t->dt || !t->str) {
		err("%s: out of memory", path);
		fdt_free(t);
		return -1;
	}
	memcpy(t->rsv, b + off_rsv, t->rsv_len);
	memcpy(t->dt, b + off_dt, dt_size);
	memcpy(t->str, b + off_str, str_size);
	t->dt_len = dt_size;
	t->str_len = str_size;
	return 0;
}

/*
 * Walk one token at *pos; fills in what it is. Returns the token, or -1 on a
 * malformed structure block.
 */
static int fdt_token(const struct fdt *t, size_t *pos, const char **name,
		     uint32_t *plen, size_t *pval)
{
	uint32_t tok;
	size_t p = *pos;

	if (p + 4 > t->dt_len)
		return -1;
	tok = be32(t->dt + p);
	p += 4;
	switch (tok) {
	case FDT_BEGIN_NODE: {
		const uint8_t *end = memchr(t->dt + p, 0, t->dt_len - p);

		if (!end)
			return -1;
		*name = (const char *)t->dt + p;
		p = align4((size_t)(end - t->dt) + 1);
		break;
	}
	case FDT_PROP: {
		uint32_t l, nameoff;

		if (p + 8 > t->dt_len)
			return -1;
		l = be32(t->dt + p);
		nameoff = be32(t->dt + p + 4);
		p += 8;
		if (l > t->dt_len - p || nameoff >= t->str_len ||
		    !memchr(t->str + nameoff, 0, t->str_len - nameoff))
			return -1;
		*name = t->str + nameoff;
		*plen = l;
		*pval = p;
		p = align4(p + l);
		break;
	}
	case FDT_END_NODE:
	case FDT_NOP:
	case FDT_END:
		break;
	default:
		return -1;
	}
	if (p > t->dt_len)
		return -1;
	*pos = p;
	return (int)tok;
}

/* "memory" matches "memory" and "memory@0"; "soc@fe0000000" only itself */
static bool node_name_matches(const char *name, const char *comp, size_t clen)
{
	if (strlen(name) == clen && !memcmp(name, comp, clen))
		return true;
	return !memchr(comp, '@', clen) && !strncmp(name, comp, clen) &&
	       name[clen] == '@';
}

/*
 * Find the node at an absolute path; returns the offset just after its
 * FDT_BEGIN_NODE name (where its properties start), or -1.
 */
static long fdt_find_node(const struct fdt *t, const char *path)
{
	size_t pos = 0;
	int depth = -1, matched = -1;	/* deepest level matched so far */
	const char *comp = path;

	while (*comp == '/')
		comp++;
	for (;;) {
		const char *name = NULL;
		uint32_t plen;
		size_t pval;
		int tok = fdt_token(t, &pos, &name, &plen, &pval);

		if (tok < 0 || tok == FDT_END)
			return -1;
		if (tok == FDT_BEGIN_NODE) {
			depth++;
			if (depth == 0) {
				matched = 0;
			} else if (matched == depth - 1) {
				size_t clen = strcspn(comp, "/");

				if (node_name_matches(name, comp, clen)) {
					matched = depth;
					comp += clen;
					while (*comp == '/')
						comp++;
				}
			}
			if (matched == depth && *comp == '\0')
				return (long)pos;
		} else if (tok == FDT_END_NODE) {
			if (depth < 0)
				return -1;
			if (matched == depth)
				return -1;	/* left the last matched node */
			depth--;
		}
	}
}

static int fdt_grow(uint8_t **buf, size_t *cap, size_t need)
{
	uint8_t *n;
	size_t c = *cap;

	if (need <= c)
		return 0;
	while (c < need)
		c *= 2;
	n = realloc(*buf, c);
	if (!n)
		return -1;
	*buf = n;
	*cap = c;
	return 0;
}

static long fdt_string(struct fdt *t, const char *name)
{
	size_t n = strlen(name) + 1;
	uint8_t *s = (uint8_t *)t->str;
	/* any occurrence will do, a suffix of a longer name included */
	const char *hit = memmem(t->str, t->str_len, name, n);

	if (hit)
		return hit - t->str;
	if (fdt_grow(&s, &t->str_cap, t->str_len + n) < 0)
		return -1;
	t->str = (char *)s;
	memcpy(t->str + t->str_len, name, n);
	t->str_len += n;
	return (long)(t->str_len - n);
}

/* Set (replace or add) property `prop` of node `path`. */
static int fdt_setprop(struct fdt *t, const char *path, const char *prop,
		       const void *val, uint32_t len)
{
	long node = fdt_find_node(t, path), nameoff;
	size_t pos, at, old = 0, neu = 12 + align4(len);

	if (node < 0) {
		err("device tree: no node %s", path);
		return -1;
	}
	/* look for the property among the node's own properties */
	pos = (size_t)node;
	at = pos;
	for (;;) {
		const char *name = NULL;
		uint32_t plen = 0;
		size_t pval = 0, here = pos;
		int tok = fdt_token(t, &pos, &name, &plen, &pval);

		if (tok < 0) {
			err("device tree: malformed structure block");
			return -1;
		}
		if (tok == FDT_NOP)
			continue;
		if (tok != FDT_PROP)
			break;
		if (!strcmp(name, prop)) {
			at = here;
			old = pos - here;
			break;
		}
	}
	nameoff = fdt_string(t, prop);
	if (nameoff < 0 ||
	    fdt_grow(&t->dt, &t->dt_cap, t->dt_len - old + neu) < 0) {
		err("device tree: out of memory");
		return -1;
	}
	memmove(t->dt + at + neu, t->dt + at + old, t->dt_len - at - old);
	t->dt_len = t->dt_len - old + neu;
	put_be32(t->dt + at, FDT_PROP);
	put_be32(t->dt + at + 4, len);
	put_be32(t->dt + at + 8, (uint32_t)nameoff);
	memcpy(t->dt + at + 12, val, len);
	memset(t->dt + at + 12 + len, 0, neu - 12 - len);
	return 0;
}

/* Lay the blocks out again: header, reservations, structure, strings. */
static size_t fdt_pack(const struct fdt *t, uint8_t *out, size_t max)
{
	size_t off_rsv = FDT_HDR_SIZE;
	size_t off_dt = off_rsv + t->rsv_len;
	size_t off_str = off_dt + t->dt_len;
	size_t total = align4(off_str + t->str_len);

	if (total > max)
		return 0;
	memset(out, 0, total);
	put_be32(out, FDT_MAGIC);
	put_be32(out + 4, (uint32_t)total);
	put_be32(out + 8, (uint32_t)off_dt);
	put_be32(out + 12, (uint32_t)off_str);
	put_be32(out + 16, (uint32_t)off_rsv);
	put_be32(out + 20, 17);
	put_be32(out + 24, 16);
	put_be32(out + 28, t->boot_cpuid);
	put_be32(out + 32, (uint32_t)t->str_len);
	put_be32(out + 36, (uint32_t)t->dt_len);
	memcpy(out + off_rsv, t->rsv, t->rsv_len);
	memcpy(out + off_dt, t->dt, t->dt_len);
	memcpy(out + off_str, t->str, t->str_len);
	return total;
}

static int load_dtb(struct vmm *v, const char *path)
{
	uint8_t *b, cell[16];
	size_t len, total;
	struct fdt t;
	int r = -1;

	if (read_file(path, DTB_MAX, &b, &len) < 0)
		return -1;
	if (fdt_parse(&t, b, len, path) < 0) {
		free(b);
		return -1;
	}
	free(b);

	/* /memory reg = <0 0 size-hi size-lo> (#address-cells = 2, size 2) */
	put_be64(cell, 0);
	put_be64(cell + 8, v->ram_size);
	if (fdt_setprop(&t, "/memory", "reg", cell, 16) < 0)
		goto out;
	if (v->opt.initrd) {
		put_be64(cell, v->initrd_start);
		if (fdt_setprop(&t, "/chosen", "linux,initrd-start", cell,
				8) < 0)
			goto out;
		put_be64(cell, v->initrd_end);
		if (fdt_setprop(&t, "/chosen", "linux,initrd-end", cell,
				8) < 0)
			goto out;
	}
	if (v->opt.append &&
	    fdt_setprop(&t, "/chosen", "bootargs", v->opt.append,
			(uint32_t)strlen(v->opt.append) + 1) < 0)
		goto out;
	if (!in_ram(v, DTB_ADDR, DTB_MAX)) {
		err("no room for the device tree at 0x%x", DTB_ADDR);
		goto out;
	}
	total = fdt_pack(&t, v->ram + DTB_ADDR, DTB_MAX);
	if (!total) {
		err("%s: device tree larger than %u bytes after edits", path,
		    DTB_MAX);
		goto out;
	}
	v->dtb_size = (uint32_t)total;
	r = 0;
out:
	fdt_free(&t);
	return r;
}

static int load_initrd(struct vmm *v, const char *path)
{
	uint8_t *b;
	size_t len;

	if (read_file(path, DTB_ADDR - INITRD_ADDR, &b, &len) < 0)
		return -1;
	if (!in_ram(v, INITRD_ADDR, len)) {
		err("%s: does not fit in guest RAM at 0x%x", path, INITRD_ADDR);
		free(b);
		return -1;
	}
	memcpy(v->ram + INITRD_ADDR, b, len);
	free(b);
	v->initrd_start = INITRD_ADDR;
	v->initrd_end = INITRD_ADDR + len;
	return 0;
}

/* ---- VM setup ----------------------------------------------------------- */

/*
 * --hugetlb: guest RAM in the host's default huge pages, so that KVM can
 * shadow the guest's huge TLB1 entries with huge host entries.
 */
static int alloc_ram(struct vmm *v)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;

	if (v->opt.hugetlb)
		flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB;
	v->ram = mmap(NULL, v->ram_size, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (v->ram == MAP_FAILED) {
		v->ram = NULL;
		if (v->opt.hugetlb)
			err("cannot map %zu MiB of guest RAM in huge pages: %s "
			    "(reserve them: hugepages=N on the host's command "
			    "line or /proc/sys/vm/nr_hugepages)",
			    v->ram_size / MIB, strerror(errno));
		else
			err("cannot map %zu MiB of guest RAM: %s",
			    v->ram_size / MIB, strerror(errno));
		return -1;
	}
	return 0;
}

/* Kernel, initrd and device tree into guest RAM, all checked. */
static int load_images(struct vmm *v)
{
	if (load_elf(v, v->opt.kernel) < 0)
		return -1;
	if (v->kernel_end > (v->opt.initrd ? INITRD_ADDR : DTB_ADDR)) {
		err("%s: kernel image ends at 0x%" PRIx64 ", over the %s at "
		    "0x%x", v->opt.kernel, v->kernel_end,
		    v->opt.initrd ? "initrd" : "device tree",
		    v->opt.initrd ? INITRD_ADDR : DTB_ADDR);
		return -1;
	}
	if (v->opt.initrd && load_initrd(v, v->opt.initrd) < 0)
		return -1;
	return load_dtb(v, v->opt.dtb);
}

static int write_dtb(const struct vmm *v, const char *path)
{
	size_t done = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0) {
		err("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	while (done < v->dtb_size) {
		ssize_t w = write(fd, v->ram + DTB_ADDR + done,
				  v->dtb_size - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err("cannot write %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		done += (size_t)w;
	}
	if (close(fd) < 0) {
		err("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int check_cap(struct vmm *v, int fd, int cap, const char *name)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	if (r < 0) {
		err("ioctl KVM_CHECK_EXTENSION(%s) failed: %s (errno %d)",
		    name, strerror(errno), errno);
		return -1;
	}
	info(v, "%s: %d", name, r);
	return r;
}

static int setup_vm(struct vmm *v)
{
	struct kvm_userspace_memory_region mem = { 0 };
	struct kvm_create_device dev = { 0 };
	uint64_t base = MPIC_BASE;
	struct kvm_device_attr attr = { 0 };
	int r;

	v->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm_fd < 0) {
		err("cannot open /dev/kvm: %s%s", strerror(errno),
		    errno == ENOENT ? " (is devtmpfs mounted and KVM built "
		    "in? CONFIG_KVM_E500V2)" : "");
		return -1;
	}
	r = KVM_IOCTL(v->kvm_fd, KVM_GET_API_VERSION, 0);
	if (r < 0)
		return -1;
	if (r != KVM_API_VERSION) {
		err("KVM_GET_API_VERSION: %d, expected %d", r,
		    KVM_API_VERSION);
		return -1;
	}
	v->vm_fd = KVM_IOCTL(v->kvm_fd, KVM_CREATE_VM, 0);
	if (v->vm_fd < 0)
		return -1;
	if (check_cap(v, v->vm_fd, KVM_CAP_USER_MEMORY,
		      "KVM_CAP_USER_MEMORY") <= 0) {
		err("KVM_CAP_USER_MEMORY missing");
		return -1;
	}
	if (v->opt.sw_tlb && check_cap(v, v->vm_fd, KVM_CAP_SW_TLB,
				       "KVM_CAP_SW_TLB") <= 0) {
		err("KVM_CAP_SW_TLB missing (try --no-sw-tlb on a kernel "
		    "whose own initial TLB1 entry works)");
		return -1;
	}
	if (check_cap(v, v->vm_fd, KVM_CAP_IRQ_MPIC, "KVM_CAP_IRQ_MPIC") <= 0) {
		err("KVM_CAP_IRQ_MPIC missing (CONFIG_KVM_MPIC)");
		return -1;
	}

	mem.slot = 0;
	mem.guest_phys_addr = 0;
	mem.memory_size = v->ram_size;
	mem.userspace_addr = (uintptr_t)v->ram;
	if (KVM_IOCTL(v->vm_fd, KVM_SET_USER_MEMORY_REGION, &mem) < 0)
		return -1;

	dev.type = KVM_DEV_TYPE_FSL_MPIC_20;
	if (KVM_IOCTL(v->vm_fd, KVM_CREATE_DEVICE, &dev) < 0)
		return -1;
	v->mpic_fd = (int)dev.fd;
	attr.group = KVM_DEV_MPIC_GRP_MISC;
	attr.attr = KVM_DEV_MPIC_BASE_ADDR;
	attr.addr = (uintptr_t)&base;
	if (KVM_IOCTL(v->mpic_fd, KVM_SET_DEVICE_ATTR, &attr) < 0)
		return -1;
	return 0;
}

/*
 * TLB1[0]: EA 0 -> PA pa, INITIAL_MAP_SIZE, IPROT, all permissions (QEMU;
 * pa is 0 for the boot cpu, the released address's 64 MiB block for a
 * secondary one).
 */
static int setup_sw_tlb(struct vmm *v, int fd,
			struct kvm_book3e_206_tlb_entry **tlbp, uint64_t pa)
{
	struct kvm_book3e_206_tlb_params params = { 0 };
	struct kvm_config_tlb cfg = { 0 };
	struct kvm_enable_cap cap = { 0 };
	struct kvm_dirty_tlb dirty = { 0 };
	static uint8_t bitmap[(TLB_ENTRIES + 7) / 8];
	struct kvm_book3e_206_tlb_entry *e;
	size_t bytes = TLB_ENTRIES * sizeof(*v->tlb);
	unsigned int tsize = 0;
	void *p;

	if (posix_memalign(&p, 4096, bytes)) {
		err("out of memory for the guest TLB");
		return -1;
	}
	*tlbp = p;
	memset(p, 0, bytes);
	while ((1024ull << tsize) < INITIAL_MAP_SIZE)
		tsize++;
	e = &(*tlbp)[TLB0_ENTRIES + 0];
	e->mas1 = MAS1_VALID | MAS1_IPROT | tsize << MAS1_TSIZE_SHIFT;
	e->mas2 = 0;
	e->mas7_3 = pa | MAS3_UR | MAS3_UW | MAS3_UX | MAS3_SR | MAS3_SW |
		    MAS3_SX;

	params.tlb_sizes[0] = TLB0_ENTRIES;
	params.tlb_ways[0] = TLB0_WAYS;
	params.tlb_sizes[1] = TLB1_ENTRIES;
	params.tlb_ways[1] = TLB1_ENTRIES;
	cfg.params = (uintptr_t)&params;
	cfg.array = (uintptr_t)*tlbp;
	cfg.mmu_type = KVM_MMU_FSL_BOOKE_NOHV;
	cfg.array_len = (uint32_t)bytes;
	cap.cap = KVM_CAP_SW_TLB;
	cap.args[0] = (uintptr_t)&cfg;
	if (KVM_IOCTL(fd, KVM_ENABLE_CAP, &cap) < 0)
		return -1;

	memset(bitmap, 0xff, sizeof(bitmap));
	dirty.bitmap = (uintptr_t)bitmap;
	dirty.num_dirty = TLB_ENTRIES;
	if (KVM_IOCTL(fd, KVM_DIRTY_TLB, &dirty) < 0)
		return -1;
	info(v, "SW TLB: TLB0 %d x %d-way, TLB1 %d; TLB1[0] EA 0 -> PA 0x%"
	     PRIx64 ", %u MiB (MAS1 0x%08" PRIx32 ")", TLB0_ENTRIES, TLB0_WAYS,
	     TLB1_ENTRIES, pa, INITIAL_MAP_SIZE / MIB, e->mas1);
	return 0;
}

static int setup_vcpu(struct vmm *v)
{
	struct kvm_enable_cap cap = { 0 };
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	int sz;

	v->vcpu_fd = KVM_IOCTL(v->vm_fd, KVM_CREATE_VCPU, 0);
	if (v->vcpu_fd < 0)
		return -1;
	sz = KVM_IOCTL(v->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < 0)
		return -1;
	if ((size_t)sz < sizeof(struct kvm_run)) {
		err("KVM_GET_VCPU_MMAP_SIZE: %d is smaller than struct "
		    "kvm_run", sz);
		return -1;
	}
	v->run_size = (size_t)sz;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->vcpu_fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		err("cannot mmap the vcpu's kvm_run: %s", strerror(errno));
		return -1;
	}
	if (v->opt.sw_tlb && setup_sw_tlb(v, v->vcpu_fd, &v->tlb, 0) < 0)
		return -1;

	cap.cap = KVM_CAP_IRQ_MPIC;
	cap.args[0] = (uint64_t)v->mpic_fd;
	cap.args[1] = 0;	/* vcpu id */
	if (KVM_IOCTL(v->vcpu_fd, KVM_ENABLE_CAP, &cap) < 0)
		return -1;

	/* secondaries: created and on the MPIC now, started when released */
	for (unsigned int n = 1; n < v->opt.nvcpus; n++) {
		struct secondary *c = &v->sec[n];

		c->id = (int)n;
		c->spin[1] = 1;		/* addr_l 1: spinning */
		c->spin[5] = n;		/* pir */
		c->fd = KVM_IOCTL(v->vm_fd, KVM_CREATE_VCPU, n);
		if (c->fd < 0)
			return -1;
		c->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, c->fd, 0);
		if (c->run == MAP_FAILED) {
			c->run = NULL;
			err("cannot mmap vcpu %u's kvm_run: %s", n,
			    strerror(errno));
			return -1;
		}
		cap.args[1] = n;
		if (KVM_IOCTL(c->fd, KVM_ENABLE_CAP, &cap) < 0)
			return -1;
	}

	if (KVM_IOCTL(v->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	info(v, "vcpu PVR 0x%08" PRIx32, sregs.pvr);

	if (KVM_IOCTL(v->vcpu_fd, KVM_GET_REGS, &regs) < 0)
		return -1;
	memset(regs.gpr, 0, sizeof(regs.gpr));
	regs.pc = v->entry;
	regs.msr = 0;
	regs.gpr[1] = STACK_TOP;
	regs.gpr[3] = DTB_ADDR;
	regs.gpr[6] = EPAPR_MAGIC;
	regs.gpr[7] = INITIAL_MAP_SIZE;
	if (KVM_IOCTL(v->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return -1;
	return 0;
}

/* ---- devices ------------------------------------------------------------ */

static void console_byte(struct vmm *v, uint8_t c)
{
	v->st.console_bytes++;
	if (!v->opt.quiet) {
		putchar(c);
		console_mid_line = c != '\n';
	}
	if (!v->until_len)
		return;
	if (v->tail_len == v->until_len) {
		memmove(v->tail, v->tail + 1, v->tail_len - 1);
		v->tail_len--;
	}
	v->tail[v->tail_len++] = (char)c;
}

static bool until_seen(const struct vmm *v)
{
	return v->until_len && v->tail_len == v->until_len &&
	       !memcmp(v->tail, v->opt.until, v->until_len);
}

static void uart_access(struct vmm *v, unsigned int off, uint8_t *data,
			unsigned int len, bool is_write)
{
	if (is_write) {
		v->st.uart_write++;
		if (off == UART_THR && !(v->uart_lcr & UART_LCR_DLAB))
			console_byte(v, data[0]);
		else if (off == UART_LCR)
			v->uart_lcr = data[0];
		return;
	}
	v->st.uart_read++;
	memset(data, 0, len);
	if (off == UART_LSR)
		data[0] = UART_LSR_THRE_TEMT;
	else if (off == UART_LCR)
		data[0] = v->uart_lcr;
}

/* Returns true when the guest drives the power-off pin high. */
static bool gpio_access(struct vmm *v, unsigned int off, uint8_t *data,
			unsigned int len, bool is_write)
{
	unsigned int reg = off / 4;
	uint32_t before, val;

	if (len != 4 || (off & 3) || reg >= GPIO_NREGS) {
		if (!is_write)
			memset(data, 0, len);
		return false;
	}
	if (!is_write) {
		v->st.gpio_read++;
		put_be32(data, v->gpio[reg]);
		return false;
	}
	v->st.gpio_write++;
	val = be32(data);
	before = v->gpio[GPIO_DIR / 4] & v->gpio[GPIO_DAT / 4];
	if (off == GPIO_IER)
		v->gpio[reg] &= ~val;	/* write 1 to clear */
	else
		v->gpio[reg] = val;
	return !(before & GPIO_POWEROFF_PIN) &&
	       (v->gpio[GPIO_DIR / 4] & v->gpio[GPIO_DAT / 4] &
		GPIO_POWEROFF_PIN);
}

enum mmio_result { MMIO_DONE, MMIO_POWEROFF, MMIO_UNTIL };

/*
 * Spin-table entry of cpu n (32-bit accesses): a write of addr_l != 1
 * releases that cpu at addr (ePAPR 5.5.2), with r3 from the entry.
 */
static void spin_access(struct vmm *v, unsigned int off, uint8_t *data,
			unsigned int len, bool w)
{
	unsigned int n = off / SPIN_ENTRY, word = (off % SPIN_ENTRY) / 4;
	struct secondary *c = &v->sec[n];

	if (n == 0 || len != 4 || off % 4) {
		if (!w)
			memset(data, 0, len);
		return;
	}
	if (!w) {
		put_be32(data, c->spin[word]);
		return;
	}
	c->spin[word] = be32(data);
	if (word == 1 && c->spin[1] != 1 && !c->kicked) {
		c->kicked = true;
		info(v, "cpu %u released at 0x%08" PRIx32 "%08" PRIx32
		     " (r3 0x%" PRIx32 ")", n, c->spin[0], c->spin[1],
		     c->spin[3]);
		pthread_cond_broadcast(&v->kick);
	}
}

/* Called with v->lock held, from any vcpu thread. */
static enum mmio_result handle_mmio(struct vmm *v, struct kvm_run *run)
{
	uint64_t a = run->mmio.phys_addr;
	uint8_t *data = run->mmio.data;
	unsigned int len = run->mmio.len;
	bool w = run->mmio.is_write;

	if (len > sizeof(run->mmio.data))
		len = sizeof(run->mmio.data);
	if (v->opt.nvcpus > 1 && a >= SPIN_BASE &&
	    a - SPIN_BASE < (uint64_t)SPIN_ENTRY * v->opt.nvcpus) {
		spin_access(v, (unsigned int)(a - SPIN_BASE), data, len, w);
		return MMIO_DONE;
	}
	if (a >= UART_BASE && a - UART_BASE < UART_SIZE) {
		uart_access(v, (unsigned int)(a - UART_BASE), data, len, w);
		return until_seen(v) ? MMIO_UNTIL : MMIO_DONE;
	}
	if (a >= GPIO_BASE && a - GPIO_BASE < GPIO_SIZE)
		return gpio_access(v, (unsigned int)(a - GPIO_BASE), data,
				   len, w) ? MMIO_POWEROFF : MMIO_DONE;

	v->st.mmio_unhandled++;
	if (v->st.mmio_unhandled <= MAX_UNHANDLED_REPORTS) {
		uint64_t val = 0;

		for (unsigned int i = 0; i < len; i++)
			val = val << 8 | data[i];
		if (w)
			err("unhandled MMIO write at 0x%09" PRIx64 ", %u "
			    "bytes, value 0x%" PRIx64 " (ignored)", a, len,
			    val);
		else
			err("unhandled MMIO read at 0x%09" PRIx64 ", %u bytes "
			    "(reads 0)", a, len);
		if (v->st.mmio_unhandled == MAX_UNHANDLED_REPORTS)
			err("further unhandled MMIO is only counted");
	}
	if (!w)
		memset(data, 0, len);
	return MMIO_DONE;
}

/* ---- run loop ----------------------------------------------------------- */

static const char *exit_name(uint32_t r)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN",
		[KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO",
		[KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG",
		[KVM_EXIT_HLT] = "HLT",
		[KVM_EXIT_MMIO] = "MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
		[KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[KVM_EXIT_INTR] = "INTR",
		[KVM_EXIT_SET_TPR] = "SET_TPR",
		[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
		[KVM_EXIT_S390_SIEIC] = "S390_SIEIC",
		[KVM_EXIT_S390_RESET] = "S390_RESET",
		[KVM_EXIT_DCR] = "DCR",
		[KVM_EXIT_NMI] = "NMI",
		[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_OSI] = "OSI",
		[KVM_EXIT_PAPR_HCALL] = "PAPR_HCALL",
		[KVM_EXIT_S390_UCONTROL] = "S390_UCONTROL",
		[KVM_EXIT_WATCHDOG] = "WATCHDOG",
		[KVM_EXIT_S390_TSCH] = "S390_TSCH",
		[KVM_EXIT_EPR] = "EPR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
		[KVM_EXIT_S390_STSI] = "S390_STSI",
		[KVM_EXIT_IOAPIC_EOI] = "IOAPIC_EOI",
		[KVM_EXIT_HYPERV] = "HYPERV",
	};

	if (r < sizeof(names) / sizeof(*names) && names[r])
		return names[r];
	return "?";
}

static void dump_regs(struct vmm *v)
{
	struct kvm_regs r;

	if (KVM_IOCTL(v->vcpu_fd, KVM_GET_REGS, &r) < 0)
		return;
	err("guest state: pc 0x%08" PRIx64 " msr 0x%08" PRIx64 " lr 0x%08"
	    PRIx64 " srr0 0x%08" PRIx64 " srr1 0x%08" PRIx64 " r1 0x%08"
	    PRIx64 " r3 0x%08" PRIx64, r.pc, r.msr, r.lr, r.srr0, r.srr1,
	    r.gpr[1], r.gpr[3]);
}

static void on_signal(int sig)
{
	if (sig != SIGUSR1)	/* SIGUSR1: another vcpu ended the run */
		got_signal = sig;
	if (signal_run)
		signal_run->immediate_exit = 1;
}

/* This vcpu ends the run with rc: the others leave KVM_RUN too. */
static void stop_all(struct vmm *v, int rc)
{
	pthread_mutex_lock(&v->lock);
	if (!v->stop) {
		v->stop = 1;
		v->stop_rc = rc;
	}
	pthread_cond_broadcast(&v->kick);
	pthread_mutex_unlock(&v->lock);
	if (!pthread_equal(pthread_self(), v->main_thread))
		pthread_kill(v->main_thread, SIGUSR1);
	for (unsigned int n = 1; n < v->opt.nvcpus; n++)
		if (v->sec[n].thread &&
		    !pthread_equal(pthread_self(), v->sec[n].th))
			pthread_kill(v->sec[n].th, SIGUSR1);
}

/*
 * A secondary vcpu's thread: wait for its release, start it as QEMU's
 * spin table does (TLB1[0] maps the 64 MiB block of the address at EA 0,
 * pc = address within it, r3 from the entry, r7 = map size), then run
 * until the VM stops. Only MMIO is expected from it.
 */
static void *secondary_main(void *arg)
{
	struct secondary *c = arg;
	struct vmm *v = the_vmm;
	struct kvm_regs regs;
	uint64_t addr;
	int rc = RC_GUEST;

	signal_run = c->run;
	pthread_mutex_lock(&v->lock);
	while (!c->kicked && !v->stop)
		pthread_cond_wait(&v->kick, &v->lock);
	addr = (uint64_t)c->spin[0] << 32 | c->spin[1];
	pthread_mutex_unlock(&v->lock);
	if (v->stop)
		return NULL;
	if (setup_sw_tlb(v, c->fd, &c->tlb, addr & ~(uint64_t)(INITIAL_MAP_SIZE - 1)) < 0 ||
	    KVM_IOCTL(c->fd, KVM_GET_REGS, &regs) < 0)
		goto out;
	memset(regs.gpr, 0, sizeof(regs.gpr));
	regs.pc = addr & (INITIAL_MAP_SIZE - 1);
	regs.msr = 0;
	regs.gpr[3] = c->spin[3];
	regs.gpr[7] = INITIAL_MAP_SIZE;
	if (KVM_IOCTL(c->fd, KVM_SET_REGS, &regs) < 0)
		goto out;
	while (!v->stop) {
		int r = KVM_IOCTL(c->fd, KVM_RUN, 0);

		if (r < 0 && errno == EINTR) {
			c->run->immediate_exit = 0;
			continue;
		}
		if (r < 0)
			goto out;
		pthread_mutex_lock(&v->lock);
		v->st.runs++;
		v->st.reason[c->run->exit_reason < MAX_EXIT_REASON ?
			     c->run->exit_reason : MAX_EXIT_REASON]++;
		if (c->run->exit_reason == KVM_EXIT_MMIO) {
			enum mmio_result m = handle_mmio(v, c->run);

			pthread_mutex_unlock(&v->lock);
			if (m != MMIO_DONE) {
				fflush(stdout);
				err(m == MMIO_POWEROFF ?
				    "guest powered off (GPIO pin 0 driven high, cpu %d)" :
				    "console marker seen (cpu %d)", c->id);
				rc = RC_OK;
				goto out;
			}
			continue;
		}
		pthread_mutex_unlock(&v->lock);
		if (c->run->exit_reason == KVM_EXIT_INTR)
			continue;
		err("cpu %d: unexpected exit reason %" PRIu32 " (%s), hardware "
		    "reason 0x%" PRIx64, c->id, c->run->exit_reason,
		    exit_name(c->run->exit_reason),
		    (uint64_t)c->run->hw.hardware_exit_reason);
		goto out;
	}
	return NULL;
out:
	stop_all(v, rc);
	return NULL;
}

/* The guest stopped for good: say why, show its registers. */
static int guest_stop(struct vmm *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int guest_stop(struct vmm *v, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err("%s", msg);
	dump_regs(v);
	return RC_GUEST;
}

/* The e500 timebase, readable from user mode; KVM does not offset it. */
static uint64_t timebase(void)
{
	uint32_t hi, lo, hi2;

	do {
		__asm__ volatile("mftbu %0" : "=r"(hi));
		__asm__ volatile("mftb %0" : "=r"(lo));
		__asm__ volatile("mftbu %0" : "=r"(hi2));
	} while (hi != hi2);
	return (uint64_t)hi << 32 | lo;
}

static int run_loop(struct vmm *v)
{
	signal_run = v->run;
	for (;;) {
		enum mmio_result mres;
		uint32_t reason;
		int r;

		if (got_signal) {
			guest_stop(v, "stopped by %s", got_signal == SIGALRM ?
				   "--timeout" : strsignal(got_signal));
			return RC_TIMEOUT;
		}
		if (v->stop)		/* a secondary vcpu ended the run */
			return v->stop_rc;
		pthread_mutex_lock(&v->lock);
		if (!v->st.runs++)
			v->st.tb_start = timebase();
		pthread_mutex_unlock(&v->lock);
		r = KVM_IOCTL(v->vcpu_fd, KVM_RUN, 0);
		v->st.tb_end = timebase();
		if (r < 0 && errno == EINTR) {
			v->st.eintr++;
			v->run->immediate_exit = 0;
			continue;
		}
		if (r < 0)
			return RC_GUEST;
		reason = v->run->exit_reason;
		pthread_mutex_lock(&v->lock);
		v->st.reason[reason < MAX_EXIT_REASON ? reason :
			     MAX_EXIT_REASON]++;
		mres = reason == KVM_EXIT_MMIO ? handle_mmio(v, v->run) :
		       MMIO_DONE;
		pthread_mutex_unlock(&v->lock);
		switch (reason) {
		case KVM_EXIT_MMIO:
			switch (mres) {
			case MMIO_POWEROFF:
				fflush(stdout);
				err("guest powered off (GPIO pin 0 driven "
				    "high)");
				return RC_OK;
			case MMIO_UNTIL:
				fflush(stdout);
				err("console marker \"%s\" seen",
				    v->opt.until);
				return RC_OK;
			case MMIO_DONE:
				break;
			}
			break;
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_DEBUG:
			return guest_stop(v, "KVM_EXIT_DEBUG at 0x%08" PRIx64
					  " (no guest debugging was requested)",
					  (uint64_t)v->run->debug.arch.address);
		case KVM_EXIT_SHUTDOWN:
			return guest_stop(v, "KVM_EXIT_SHUTDOWN: the guest shut down");
		case KVM_EXIT_SYSTEM_EVENT:
			return guest_stop(v, "KVM_EXIT_SYSTEM_EVENT type %" PRIu32,
			    v->run->system_event.type);
		case KVM_EXIT_WATCHDOG:
			return guest_stop(v, "KVM_EXIT_WATCHDOG: the guest's watchdog expired");
		case KVM_EXIT_INTERNAL_ERROR:
			return guest_stop(v, "KVM_EXIT_INTERNAL_ERROR, suberror %" PRIu32,
			    v->run->internal.suberror);
		case KVM_EXIT_FAIL_ENTRY:
			return guest_stop(v, "KVM_EXIT_FAIL_ENTRY, hardware reason 0x%" PRIx64,
			    (uint64_t)v->run->fail_entry
				.hardware_entry_failure_reason);
		case KVM_EXIT_UNKNOWN:
			return guest_stop(v, "KVM_EXIT_UNKNOWN, hardware reason 0x%" PRIx64,
			    (uint64_t)v->run->hw.hardware_exit_reason);
		default:
			return guest_stop(v, "unexpected exit reason %" PRIu32 " (%s)", reason,
			    exit_name(reason));
		}
	}
}

/* ---- statistics --------------------------------------------------------- */

static void copy_file(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		printf("(%s: %s)\n", path, strerror(errno));
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
}

/* VM-wide counters KVM keeps in debugfs (one number per file). */
static void print_debugfs_counters(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int shown = 0;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[512], buf[64];
		ssize_t n;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (strspn(buf, "0123456789") != strlen(buf) ||
		    !strcmp(buf, "0"))
			continue;
		if (!shown++)
			printf("KVM debugfs counters (%s, nonzero):\n", dir);
		printf("  %-28s %s\n", de->d_name, buf);
	}
	closedir(d);
}

static void print_stats(struct vmm *v)
{
	/* integer arithmetic only: no FP in a -msoft-float static binary */
	int64_t ms = (int64_t)(v->st.end.tv_sec - v->st.start.tv_sec) * 1000 +
		     (v->st.end.tv_nsec - v->st.start.tv_nsec) / 1000000;
	char dir[128], path[160];
	struct stat sb;

	if (console_mid_line)
		putchar('\n');
	printf("\n== abt-vmm: exit statistics\n");
	printf("KVM_RUN calls: %" PRIu64 " (EINTR %" PRIu64 "), %" PRId64
	       ".%03" PRId64 " s wall\n", v->st.runs, v->st.eintr, ms / 1000,
	       ms % 1000);
	printf("KVM_RUN returns by exit reason:\n");
	for (unsigned int i = 0; i <= MAX_EXIT_REASON; i++) {
		if (!v->st.reason[i])
			continue;
		if (i == MAX_EXIT_REASON)
			printf("  %-20s %" PRIu64 "\n", "(reason >= 64)",
			       v->st.reason[i]);
		else
			printf("  %-20s %" PRIu64 "\n", exit_name(i),
			       v->st.reason[i]);
	}
	printf("MMIO: uart %" PRIu64 " writes %" PRIu64 " reads, gpio %"
	       PRIu64 " writes %" PRIu64 " reads, unhandled %" PRIu64 "\n",
	       v->st.uart_write, v->st.uart_read, v->st.gpio_write,
	       v->st.gpio_read, v->st.mmio_unhandled);
	printf("console bytes: %" PRIu64 "\n", v->st.console_bytes);
	printf("timebase: first KVM_RUN %" PRIu64 ", last exit %" PRIu64
	       ", run %" PRIu64 " ticks\n", v->st.tb_start, v->st.tb_end,
	       v->st.tb_end - v->st.tb_start);

	snprintf(dir, sizeof(dir), "/sys/kernel/debug/kvm/%d-%d",
		 (int)getpid(), v->vm_fd);
	for (unsigned int n = 0; n < v->opt.nvcpus; n++) {
		snprintf(path, sizeof(path), "%s/vcpu%u/timing", dir, n);
		if (stat(path, &sb) == 0) {
			printf("KVM exit timing (%s, durations in us):\n",
			       path);
			copy_file(path);
		} else {
			printf("(no KVM exit timing: %s: %s)\n", path,
			       strerror(errno));
		}
	}
	print_debugfs_counters(dir);
	/* abt's counters, when the KVM has abt on for this VM */
	snprintf(path, sizeof(path), "%s/abt", dir);
	if (stat(path, &sb) == 0) {
		printf("abt (%s):\n", path);
		copy_file(path);
	}
	fflush(stdout);
}

/* ---- options ------------------------------------------------------------ */

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
		MAX_VCPUS);
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

static int parse_options(struct vmm *v, int argc, char **argv)
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
	if (o->until) {
		v->until_len = strlen(o->until);
		if (v->until_len == 0 || v->until_len > UNTIL_MAX) {
			err("--until: 1..%d characters", UNTIL_MAX);
			return -1;
		}
	}
	return 0;
}

static void cleanup(struct vmm *v)
{
	for (unsigned int n = 1; n < MAX_VCPUS; n++) {
		struct secondary *c = &v->sec[n];

		if (c->run)
			munmap(c->run, v->run_size);
		if (c->fd > 0)
			close(c->fd);
		free(c->tlb);
	}
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->vcpu_fd >= 0)
		close(v->vcpu_fd);
	if (v->mpic_fd >= 0)
		close(v->mpic_fd);
	if (v->vm_fd >= 0)
		close(v->vm_fd);
	if (v->kvm_fd >= 0)
		close(v->kvm_fd);
	if (v->ram)
		munmap(v->ram, v->ram_size);
	free(v->tlb);
}

int main(int argc, char **argv)
{
	static struct vmm vm;
	struct vmm *v = &vm;
	struct sigaction sa;
	int rc;

	the_vmm = v;
	v->kvm_fd = v->vm_fd = v->vcpu_fd = v->mpic_fd = -1;
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->kick, NULL);
	v->main_thread = pthread_self();
	if (parse_options(v, argc, argv) < 0)
		return RC_SETUP;
	v->ram_size = (size_t)v->opt.ram_mib * MIB;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: KVM_RUN returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	/* inputs first: a bad file never gets as far as /dev/kvm */
	if (alloc_ram(v) < 0 || load_images(v) < 0) {
		cleanup(v);
		return RC_SETUP;
	}
	if (v->opt.dump_dtb) {
		rc = write_dtb(v, v->opt.dump_dtb) < 0 ? RC_SETUP : RC_OK;
		cleanup(v);
		return rc;
	}
	if (setup_vm(v) < 0 || setup_vcpu(v) < 0) {
		cleanup(v);
		return RC_SETUP;
	}
	fprintf(stderr, "abt-vmm: %u MiB RAM; kernel %s entry 0x%" PRIx64
		" (image ends 0x%" PRIx64 ")", v->opt.ram_mib, v->opt.kernel,
		v->entry, v->kernel_end);
	if (v->opt.initrd)
		fprintf(stderr, "; initrd 0x%" PRIx64 "-0x%" PRIx64,
			v->initrd_start, v->initrd_end);
	fprintf(stderr, "; dtb 0x%x (%" PRIu32 " bytes); %s\n", DTB_ADDR,
		v->dtb_size, v->opt.sw_tlb ? "SW TLB" : "kernel's TLB");

	if (v->opt.timeout)
		alarm(v->opt.timeout);
	for (unsigned int n = 1; n < v->opt.nvcpus; n++) {
		if (pthread_create(&v->sec[n].th, NULL, secondary_main,
				   &v->sec[n])) {
			err("cannot start the thread of vcpu %u", n);
			stop_all(v, RC_SETUP);
			break;
		}
		v->sec[n].thread = true;
	}
	clock_gettime(CLOCK_MONOTONIC, &v->st.start);
	rc = run_loop(v);
	clock_gettime(CLOCK_MONOTONIC, &v->st.end);
	stop_all(v, rc);
	for (unsigned int n = 1; n < v->opt.nvcpus; n++)
		if (v->sec[n].thread)
			pthread_join(v->sec[n].th, NULL);
	alarm(0);
	print_stats(v);
	cleanup(v);
	return rc;
}
