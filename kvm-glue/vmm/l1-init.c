// SPDX-License-Identifier: GPL-2.0
/*
 * l1-init: /init of the level-1 (KVM host) initramfs for nested runs.
 *
 * Level 1 is a Linux with KVM_E500V2 running in
 * `qemu-system-ppc -M ppce500 -cpu e500v2`. Its initramfs holds this
 * program as /init, /abt-vmm, the guest's files and /abt-vmm.args (one
 * abt-vmm argument per line; blank lines and lines starting with '#' are
 * skipped). l1-init mounts devtmpfs, proc, sysfs and debugfs (abt-vmm
 * needs /dev/kvm and reads KVM's exit timing from debugfs), runs
 *
 *     /abt-vmm <arguments from /abt-vmm.args>
 *
 * prints `ABT-L1-DONE status=N` (N = abt-vmm's exit status, or 128+signal)
 * and powers level 1 off, which makes QEMU exit.
 *
 * With /e2e.runs present it runs abt-vmm once per line of that file
 * instead (`make e2e`, kvm-glue/e2e/):
 *
 *     NAME ARGSFILE [PARAM=VALUE ...]
 *
 * writing each VALUE to /sys/module/kvm/parameters/PARAM first (KVM's
 * abt_* parameters pick the mode of the run; nr_hugepages=N goes to
 * /proc/sys/vm/nr_hugepages), framed by
 * `ABT-E2E-RUN name=NAME` and `ABT-E2E-END name=NAME status=N`. N of
 * ABT-L1-DONE is then the first nonzero status, or 0.
 *
 * Build: powerpc-linux-gnu-gcc -static -mcpu=8540 -msoft-float -O2
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ARGS_FILE	"/abt-vmm.args"
#define RUNS_FILE	"/e2e.runs"
#define PARAM_DIR	"/sys/module/kvm/parameters/"
#define VMM		"/abt-vmm"
#define MAX_ARGS	64
#define MAX_ARGS_BYTES	8192

static void try_mount(const char *src, const char *dir, const char *type)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, 0, NULL) < 0 && errno != EBUSY)
		fprintf(stderr, "l1-init: mount %s on %s: %s\n", type, dir,
			strerror(errno));
}

/* Whole file into buf (NUL-terminated); length or -1. */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n, len = 0;

	if (fd < 0) {
		fprintf(stderr, "l1-init: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return len;
}

/* Arguments from `file` into argv[1..]; returns argc or -1. */
static int read_args(const char *file, char *buf, char **argv)
{
	int argc = 1;
	char *p, *line;

	argv[0] = VMM;
	if (read_file(file, buf, MAX_ARGS_BYTES) < 0)
		return -1;
	for (p = buf; (line = strsep(&p, "\n")); ) {
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (argc == MAX_ARGS - 1) {
			fprintf(stderr, "l1-init: more than %d arguments in "
				"%s\n", MAX_ARGS - 2, file);
			return -1;
		}
		argv[argc++] = line;
	}
	argv[argc] = NULL;
	return argc;
}

/* Run abt-vmm with the arguments in `file`; its status, or 255. */
static int run_args(const char *file)
{
	static char buf[MAX_ARGS_BYTES];
	char *argv[MAX_ARGS];
	int status = 0, code = 255, argc;
	pid_t pid;

	argc = read_args(file, buf, argv);
	if (argc < 0)
		return code;
	printf("l1-init: running");
	for (int i = 0; i < argc; i++)
		printf(" '%s'", argv[i]);
	printf("\n");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execv(VMM, argv);
		fprintf(stderr, "l1-init: cannot run %s: %s\n", VMM,
			strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		fprintf(stderr, "l1-init: fork: %s\n", strerror(errno));
		return code;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status))
		code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		code = 128 + WTERMSIG(status);
	return code;
}

/*
 * PARAM=VALUE: write VALUE to KVM's module parameter PARAM, or with
 * PARAM nr_hugepages to /proc/sys/vm/nr_hugepages (huge pages reserved
 * for the runs that ask for them, not for the whole boot).
 */
static int set_param(const char *assign)
{
	char path[128];
	const char *eq = strchr(assign, '=');
	int fd, ok;

	if (!eq || eq == assign || eq - assign > 64 || strchr(assign, '/')) {
		fprintf(stderr, "l1-init: %s: bad PARAM=VALUE '%s'\n",
			RUNS_FILE, assign);
		return -1;
	}
	if (eq - assign == 12 && !strncmp(assign, "nr_hugepages", 12))
		snprintf(path, sizeof(path), "/proc/sys/vm/nr_hugepages");
	else
		snprintf(path, sizeof(path), PARAM_DIR "%.*s",
			 (int)(eq - assign), assign);
	fd = open(path, O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "l1-init: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* an empty string parameter needs a write of "\n", not of nothing */
	ok = eq[1] ? write(fd, eq + 1, strlen(eq + 1)) ==
		     (ssize_t)strlen(eq + 1) : write(fd, "\n", 1) == 1;
	if (!ok)
		fprintf(stderr, "l1-init: write %s: %s\n", path,
			strerror(errno));
	close(fd);
	printf("l1-init: %s = '%s'\n", path, eq + 1);
	return ok ? 0 : -1;
}

/* One abt-vmm run per line of RUNS_FILE; the first nonzero status. */
static int run_list(void)
{
	static char runs[MAX_ARGS_BYTES];
	char *p, *line;
	int first = 0;

	if (read_file(RUNS_FILE, runs, sizeof(runs)) < 0)
		return 255;
	for (p = runs; (line = strsep(&p, "\n")); ) {
		char *name, *args, *param;
		int code = 0;

		if (line[0] == '\0' || line[0] == '#')
			continue;
		name = strsep(&line, " ");
		args = strsep(&line, " ");
		if (!name || !args || !*args) {
			fprintf(stderr, "l1-init: %s: want NAME ARGSFILE [PARAM=VALUE ...]\n",
				RUNS_FILE);
			return 255;
		}
		printf("ABT-E2E-RUN name=%s\n", name);
		fflush(stdout);
		while ((param = strsep(&line, " ")))
			if (*param && set_param(param))
				code = 255;
		if (!code)
			code = run_args(args);
		printf("ABT-E2E-END name=%s status=%d\n", name, code);
		fflush(stdout);
		if (code && !first)
			first = code;
	}
	return first;
}

int main(void)
{
	int code, fd;

	try_mount("devtmpfs", "/dev", "devtmpfs");
	if (fcntl(1, F_GETFD) < 0) {
		fd = open("/dev/console", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
	}
	try_mount("proc", "/proc", "proc");
	try_mount("sysfs", "/sys", "sysfs");
	try_mount("debugfs", "/sys/kernel/debug", "debugfs");

	if (access(RUNS_FILE, F_OK) == 0)
		code = run_list();
	else
		code = run_args(ARGS_FILE);
	printf("ABT-L1-DONE status=%d\n", code);
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	/* no power-off: reset (QEMU exits with -no-reboot) */
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}
