/* SPDX-License-Identifier: GPL-2.0 */
/*
 * abt-trace's own header: the state its files share and what each file
 * offers the ones above it. Calls go one way, down this list:
 *
 *   abt-trace.c   main: options to trace file, the header it writes
 *   prepass.c     --prepass: one run without breakpoints, -d in_asm
 *   session.c     one QEMU session: start, connect, negotiate; reset
 *   capture.c     the capture loop: breakpoints, stops, records, progress
 *   regs.c        the register map (target description) and state reads
 *   stub.c        requests and replies to the gdb stub, and their errors
 *   inasm-log.c   QEMU's in_asm log, read during the prepass
 *   console.c     the guest console: script, --until-console, log
 *   qemu.c        the QEMU process: spawn, pipes, stderr tail, kill
 *   end.c         how a capture ends, and the signals that end it
 *   elf-scan.c    --elf: sites from an image's executable words
 *   sites.c       the site set, --sites and --rule
 *   options.c     the command line
 *   diag.c        note and die
 *   rsp.c         the GDB remote serial protocol (rsp.h)
 */
#ifndef ABT_TRACE_H
#define ABT_TRACE_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "abt_gen.h"
#include "abtt.h"
#include "rsp.h"

#define MAX_ELF		8
#define MAX_XML_REGS	512
#define REPLY_CAP	(64 * 1024)
#define CONSOLE_KEEP	(64 * 1024)
#define MAX_ODD_STOPS	1000	/* stops at no site: give up */

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

/* Console script */

enum { S_EXPECT, S_SEND, S_END };

struct step {
	int kind;
	char *text;
	size_t len;
	int line;
};

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

/* diag.c */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
					      noreturn));

/* options.c */
void parse_opts(struct opts *o, int argc, char **argv);

/* sites.c */
struct site *site_find(const struct sites *s, uint32_t pc);
int site_add(struct sites *s, uint32_t pc, uint32_t word, int rule,
	     int elf);
void filter_sites(struct sites *s, const char *path);
void filter_rule(struct sites *s, int rule);

/* elf-scan.c */
void scan_elf(struct sites *s, struct elf_arg *e, int idx);

/* end.c */
extern volatile sig_atomic_t got_signal;
const char *signame(int sig);
void on_signal(int sig);
void end_capture(struct cap *c, int complete, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* qemu.c */
int qemu_alive(void *arg);
const char *status_text(int st);
void qemu_version(struct cap *c);
void spawn_qemu(struct cap *c);
void drain_qemu_err(struct cap *c);
void show_qemu_err(struct cap *c);
void qemu_write(struct cap *c, const char *s, size_t len);
void flush_qemu_in(struct cap *c);
void stop_qemu(struct cap *c, int stopped);

/* console.c */
struct step *load_script(const char *path, int *nsteps);
void script_advance(struct cap *c);
int drain_console(struct cap *c);

/* inasm-log.c */
int drain_log(struct cap *c);

/* stub.c */
int rsp_error_end(struct cap *c, int ret, const char *what);
int transact(struct cap *c, const char *req, const char *what);
int recv_reply(struct cap *c, const char *what);
int exit_packet(struct cap *c);
int flush_requests(struct cap *c, const char *what);
int stop_signal(const char *r);
int setup_sstep(struct cap *c);
void interrupt_target(struct cap *c);

/* regs.c */
int read_target_description(struct cap *c);
int build_map(struct cap *c);
int read_state(struct cap *c, struct abtt_state *s, const char *what);

/* capture.c */
void progress(struct cap *c, int final);
int set_breakpoints(struct cap *c, size_t from, size_t to);
int other_stop(struct cap *c, int sig);
int handle_stop(struct cap *c, int sig);
int wait_stop(struct cap *c, int *running);

/* session.c */
int start_session(struct cap *c);
void reset_pass(struct cap *c);

/* prepass.c */
int run_prepass(struct cap *c);

#endif
