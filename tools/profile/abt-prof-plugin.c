// SPDX-License-Identifier: GPL-2.0
/*
 * abt-prof.so: a QEMU 7.2 TCG plugin (plugin API version 1) that writes an
 * exit and access profile (docs/profile-format.md) of a guest run:
 *
 *  - EXEC: every execution of a privileged instruction (a word gen's
 *    abt_decode() names a rule for) in supervisor context;
 *  - LOAD/STORE: every data access whose EA falls on a 4 KiB page holding a
 *    privileged site executed so far (a "site page");
 *  - the instruction words QEMU translated on each site page.
 *
 * TLB1 events need MAS0-3, which no 7.2 plugin can read: abt-prof-merge
 * adds them from an abt-trace capture of the same run (tlbwe sites only);
 * see docs/profile-format.md, "Capture".
 *
 * Arguments (-plugin build/abt-prof.so,ARG=VALUE,...):
 *   out=FILE        the profile to write (required)
 *   guest=NAME      header guest name
 *   kernel=EA       supervisor rule: once a privileged instruction has run
 *                   at EA or above, privileged instructions below EA are
 *                   user mode (and dropped), and accesses below EA are not
 *                   on site pages. Without it every one is supervisor.
 *   progress=N      a line on stderr every N million instructions (0: none)
 *
 * Instruction count: an inline add on every instruction that has no
 * callback, and the privileged instructions' callback counts itself, so
 * an event's icount is exactly the number of instructions executed before
 * it (QEMU's -icount gives the same run every time).
 *
 * One vCPU: the callbacks are not thread-safe (-icount runs one TCG thread
 * anyway).
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abt_gen.h"
#include "abtp.h"

/* ---- the subset of QEMU 7.2's qemu-plugin.h (API version 1) used ---- */

#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;
typedef uint32_t qemu_plugin_meminfo_t;

typedef struct qemu_info_t {
	const char *target_name;
	struct {
		int min;
		int cur;
	} version;
	bool system_emulation;
	union {
		struct {
			int smp_vcpus;
			int max_vcpus;
		} system;
	};
} qemu_info_t;

struct qemu_plugin_tb;
struct qemu_plugin_insn;

enum qemu_plugin_cb_flags {
	QEMU_PLUGIN_CB_NO_REGS,
	QEMU_PLUGIN_CB_R_REGS,
	QEMU_PLUGIN_CB_RW_REGS,
};

enum qemu_plugin_mem_rw {
	QEMU_PLUGIN_MEM_R = 1,
	QEMU_PLUGIN_MEM_W,
	QEMU_PLUGIN_MEM_RW,
};

enum qemu_plugin_op {
	QEMU_PLUGIN_INLINE_ADD_U64,
};

typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index,
					    void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id,
					       struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index,
					  qemu_plugin_meminfo_t info,
					  uint64_t vaddr, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags,
					    void *userdata);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
						enum qemu_plugin_op op,
						void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn,
				      qemu_plugin_vcpu_mem_cb_t cb,
				      enum qemu_plugin_cb_flags flags,
				      enum qemu_plugin_mem_rw rw,
				      void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
				    qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
						 size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
unsigned int qemu_plugin_mem_size_shift(qemu_plugin_meminfo_t info);
bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info);

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;
QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info,
					   int argc, char **argv);

/* ---- state ---- */

#define NPAGES		(1u << 20)	/* 4 KiB pages of a 32-bit EA space */

static struct abtp_writer *w;
static char out_path[4096];
static uint64_t icount;			/* instructions executed so far */
static uint32_t kernel_base;		/* 0: no supervisor rule */
static int kernel_seen;
static uint64_t progress_every, next_progress;
static uint8_t site_page[NPAGES / 8];	/* bit: page holds a site executed */
static struct abtp_page **words;	/* [NPAGES], words translated */
/* With kernel=EA: the site pages below EA as they were when the first
 * privileged instruction at EA or above ran (early boot code; its EAs
 * are user space afterwards). */
static struct abtp_page **early;
static uint32_t nearly;
static uint64_t nuser, nevents, ndropped;
static int failed;

static int is_site_page(uint32_t ea)
{
	uint32_t pg = ea >> 12;

	return site_page[pg / 8] >> (pg % 8) & 1;
}

/* Events are valid by construction (kinds, sizes, icount never goes
 * back), so a refusal is a write error: no file then. */
static void add(const struct abtp_event *ev)
{
	if (failed)
		return;
	if (abtp_add_event(w, ev)) {
		fprintf(stderr, "abt-prof: %s: %s\n", out_path,
			abtp_writer_error(w));
		failed = 1;
		return;
	}
	nevents++;
}

static void freeze_early_pages(void)
{
	uint32_t pg, n = 0;

	for (pg = 0; pg < kernel_base >> 12; pg++)
		if (site_page[pg / 8] >> (pg % 8) & 1 && words[pg])
			n++;
	early = calloc(n ? n : 1, sizeof(*early));
	if (!early)
		return;
	for (pg = 0; pg < kernel_base >> 12; pg++) {
		if (!(site_page[pg / 8] >> (pg % 8) & 1) || !words[pg])
			continue;
		early[nearly] = malloc(sizeof(**early));
		if (!early[nearly])
			return;
		memcpy(early[nearly++], words[pg], sizeof(**early));
	}
}

static void on_priv(unsigned int vcpu, void *ud)
{
	uint64_t v = (uintptr_t)ud;
	struct abtp_event ev = {
		.icount = icount++,
		.pc = (uint32_t)(v >> 32),
		.word = (uint32_t)v,
		.kind = ABTP_EV_EXEC,
	};
	uint32_t pg = ev.pc >> 12;

	if (progress_every && icount >= next_progress) {
		fprintf(stderr, "abt-prof: %llu M instructions, %llu events\n",
			(unsigned long long)(icount / 1000000),
			(unsigned long long)nevents);
		next_progress += progress_every;
	}
	if (kernel_base) {
		if (ev.pc >= kernel_base) {
			if (!kernel_seen)
				freeze_early_pages();
			kernel_seen = 1;
		} else if (kernel_seen) {
			nuser++;
			return;
		}
	}
	site_page[pg / 8] |= (uint8_t)(1u << (pg % 8));
	add(&ev);
}

static void on_mem(unsigned int vcpu, qemu_plugin_meminfo_t info,
		   uint64_t vaddr, void *ud)
{
	struct abtp_event ev;
	uint32_t ea = (uint32_t)vaddr;

	if (!is_site_page(ea))
		return;
	if (kernel_seen && ea < kernel_base) {
		ndropped++;
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.icount = icount - 1;		/* the access's instruction counted */
	ev.pc = (uint32_t)(uintptr_t)ud;
	ev.ea = ea;
	ev.size = (uint8_t)(1u << qemu_plugin_mem_size_shift(info));
	ev.kind = qemu_plugin_mem_is_store(info) ? ABTP_EV_STORE :
						     ABTP_EV_LOAD;
	add(&ev);
}

static void remember_word(uint32_t pc, uint32_t word)
{
	struct abtp_page *pg = words[pc >> 12];

	if (!pg) {
		pg = calloc(1, sizeof(*pg));
		if (!pg)
			return;		/* the page will lack words: noted */
		pg->ea = pc & ~0xfffu;
		words[pc >> 12] = pg;
	}
	abtp_page_set(pg, (pc & 0xfff) / 4, word);
}

static void on_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);

	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint32_t pc = (uint32_t)qemu_plugin_insn_vaddr(insn);
		const uint8_t *d = qemu_plugin_insn_data(insn);
		struct abt_fields f;
		uint32_t word;

		if (qemu_plugin_insn_size(insn) != 4 || (pc & 3)) {
			qemu_plugin_register_vcpu_insn_exec_inline(insn,
				QEMU_PLUGIN_INLINE_ADD_U64, &icount, 1);
			continue;
		}
		word = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
		       (uint32_t)d[2] << 8 | d[3];
		remember_word(pc, word);
		if (abt_decode(word, &f) != ABT_RULE_NONE)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_priv,
				QEMU_PLUGIN_CB_NO_REGS,
				(void *)(uintptr_t)((uint64_t)pc << 32 | word));
		else
			qemu_plugin_register_vcpu_insn_exec_inline(insn,
				QEMU_PLUGIN_INLINE_ADD_U64, &icount, 1);
		qemu_plugin_register_vcpu_mem_cb(insn, on_mem,
				QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW,
				(void *)(uintptr_t)pc);
	}
}

static void on_qemu_exit(qemu_plugin_id_t id, void *ud)
{
	char err[ABTP_ERR_LEN];
	uint32_t pg, npg = 0, nmissing = 0;

	if (failed) {
		abtp_abort(w);
		fprintf(stderr, "abt-prof: %s not written\n", out_path);
		return;
	}
	for (pg = 0; pg < nearly; pg++) {
		if (abtp_add_page(w, early[pg])) {
			fprintf(stderr, "abt-prof: %s\n", abtp_writer_error(w));
			abtp_abort(w);
			return;
		}
		npg++;
	}
	for (pg = 0; pg < NPAGES; pg++) {
		if (!(site_page[pg / 8] >> (pg % 8) & 1))
			continue;
		if (kernel_seen && (pg << 12) < kernel_base)
			continue;	/* frozen above: the EAs are reused */
		if (!words[pg]) {
			nmissing++;
			continue;
		}
		if (abtp_add_page(w, words[pg])) {
			fprintf(stderr, "abt-prof: %s\n", abtp_writer_error(w));
			abtp_abort(w);
			return;
		}
		npg++;
	}
	abtp_set_icount_end(w, icount);
	if (abtp_finish(w, err, sizeof(err))) {
		fprintf(stderr, "abt-prof: %s\n", err);
		return;
	}
	fprintf(stderr,
		"abt-prof: wrote %s: %llu events, %u site pages%s, %llu instructions; %llu user-mode privileged executions and %llu accesses below kernel=0x%x dropped\n",
		out_path, (unsigned long long)nevents, npg,
		nmissing ? " (some without words)" : "",
		(unsigned long long)icount, (unsigned long long)nuser,
		(unsigned long long)ndropped, kernel_base);
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s)
		return -1;
	*v = strtoull(s, &end, 0);
	return *end ? -1 : 0;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info,
					   int argc, char **argv)
{
	const char *guest = "";
	char err[ABTP_ERR_LEN], options[256];
	uint64_t v;
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "out=", 4)) {
			snprintf(out_path, sizeof(out_path), "%s", a + 4);
		} else if (!strncmp(a, "guest=", 6)) {
			guest = a + 6;
		} else if (!strncmp(a, "kernel=", 7)) {
			if (parse_u64(a + 7, &v) || v > 0xffffffffu ||
			    (v & 0xfff)) {
				fprintf(stderr, "abt-prof: kernel=%s: not a page-aligned 32-bit EA\n",
					a + 7);
				return -1;
			}
			kernel_base = (uint32_t)v;
		} else if (!strncmp(a, "progress=", 9)) {
			if (parse_u64(a + 9, &v) || v > 1000000) {
				fprintf(stderr, "abt-prof: progress=%s: not a number of millions\n",
					a + 9);
				return -1;
			}
			progress_every = v * 1000000;
			next_progress = progress_every;
		} else {
			fprintf(stderr, "abt-prof: unknown argument '%s' (out=FILE, guest=NAME, kernel=EA, progress=N; docs/profile-format.md)\n",
				a);
			return -1;
		}
	}
	if (!out_path[0]) {
		fprintf(stderr, "abt-prof: no out=FILE argument\n");
		return -1;
	}
	if (!info->system_emulation || strcmp(info->target_name, "ppc")) {
		fprintf(stderr, "abt-prof: needs qemu-system-ppc (target %s)\n",
			info->target_name);
		return -1;
	}
	if (info->system.smp_vcpus != 1 || info->system.max_vcpus != 1) {
		fprintf(stderr, "abt-prof: one vCPU only (-smp %d): the profile is one instruction stream\n",
			info->system.smp_vcpus);
		return -1;
	}
	words = calloc(NPAGES, sizeof(*words));
	if (!words) {
		fprintf(stderr, "abt-prof: out of memory\n");
		return -1;
	}
	snprintf(options, sizeof(options), "plugin kernel=0x%x", kernel_base);
	w = abtp_create(out_path, guest, "", options, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "abt-prof: %s\n", err);
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_trans);
	qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
	return 0;
}
