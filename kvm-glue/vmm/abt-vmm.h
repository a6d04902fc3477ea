/* SPDX-License-Identifier: GPL-2.0 */
/*
 * abt-vmm's own header: the guest layout, the VMM's state, and what each
 * file offers the ones above it. Calls go one way, down this list:
 *
 *   abt-vmm.c    main: options, guest images, KVM set-up, run, statistics
 *   options.c    the command line
 *   stats.c      the exit statistics printed at the end
 *   run.c        the vcpus: the boot vcpu's loop, secondary threads, stop
 *   devices.c    MMIO: the 16550 console, the power-off GPIO, spin table
 *   vm.c         KVM: guest RAM, the VM and its MPIC, vcpus, the SW TLB
 *   load.c       the guest images: ELF kernel, initrd, device tree
 *   fdt.c        a flattened device tree: parse, set a property, pack
 *   diag.c       err, info, and the KVM ioctl that names its failure
 */
#ifndef ABT_VMM_H
#define ABT_VMM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

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

/* A guest EA range and the guest RAM behind it (--abt-tc, --abt-mirror). */
struct abt_region {
	uint32_t ea, size, gpa;
};

#define ABT_MAX_STEAL	8

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
	/* abt through KVM_CAP_PPC_ABT (abt.c) */
	const char *abt_profile;
	struct abt_region abt_tc, abt_mirror;
	struct { uint32_t ea, size; } abt_steal[ABT_MAX_STEAL];
	unsigned int abt_nsteal;
	unsigned int abt_features;
	unsigned int abt_threshold;
	unsigned int abt_read_burst;
	bool abt_count_only;
	bool abt_cap_check;
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
	uint8_t *abt_blob;		/* --abt-profile's bytes */
	uint32_t abt_blob_len;
};

enum mmio_result { MMIO_DONE, MMIO_POWEROFF, MMIO_UNTIL };

/* A device tree taken apart into its blocks (fdt.c). */
struct fdt {
	uint8_t *rsv;		/* memory reservation block, with terminator */
	size_t rsv_len;
	uint8_t *dt;		/* structure block */
	size_t dt_len, dt_cap;
	char *str;		/* strings block */
	size_t str_len, str_cap;
	uint32_t boot_cpuid;
};

/* ---- big-endian accessors ----------------------------------------------- */

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, v >> 32);
	put_be32(p + 4, (uint32_t)v);
}

/* diag.c */
extern bool console_mid_line;
void err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void info(const struct vmm *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int do_ioctl(int fd, unsigned long req, const char *name, void *arg);
#define KVM_IOCTL(fd, req, arg) do_ioctl((fd), (req), #req, (void *)(arg))

/* fdt.c */
void fdt_free(struct fdt *t);
int fdt_parse(struct fdt *t, const uint8_t *b, size_t len, const char *path);
int fdt_setprop(struct fdt *t, const char *path, const char *prop,
		const void *val, uint32_t len);
size_t fdt_pack(const struct fdt *t, uint8_t *out, size_t max);

/* load.c */
int load_images(struct vmm *v);
int write_dtb(const struct vmm *v, const char *path);

/* abt.c */
int load_abt_profile(struct vmm *v);
int setup_abt(struct vmm *v);

/* vm.c */
int alloc_ram(struct vmm *v);
int setup_vm(struct vmm *v);
int setup_sw_tlb(struct vmm *v, int fd,
		 struct kvm_book3e_206_tlb_entry **tlbp, uint64_t pa);
int setup_vcpu(struct vmm *v);
void cleanup(struct vmm *v);

/* devices.c */
enum mmio_result handle_mmio(struct vmm *v, struct kvm_run *run);

/* run.c */
extern struct vmm *the_vmm;
const char *exit_name(uint32_t r);
void on_signal(int sig);
void stop_all(struct vmm *v, int rc);
void *secondary_main(void *arg);
int run_loop(struct vmm *v);

/* stats.c */
void print_stats(struct vmm *v);

/* options.c */
int parse_options(struct vmm *v, int argc, char **argv);

#endif
