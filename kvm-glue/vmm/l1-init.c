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

/* Arguments from ARGS_FILE into argv[1..]; returns argc or -1. */
static int read_args(char *buf, char **argv)
{
	int fd = open(ARGS_FILE, O_RDONLY);
	ssize_t n, len = 0;
	int argc = 1;
	char *p, *line;

	argv[0] = VMM;
	if (fd < 0) {
		fprintf(stderr, "l1-init: %s: %s\n", ARGS_FILE,
			strerror(errno));
		return -1;
	}
	while ((n = read(fd, buf + len, MAX_ARGS_BYTES - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	for (p = buf; (line = strsep(&p, "\n")); ) {
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (argc == MAX_ARGS - 1) {
			fprintf(stderr, "l1-init: more than %d arguments in "
				"%s\n", MAX_ARGS - 2, ARGS_FILE);
			return -1;
		}
		argv[argc++] = line;
	}
	argv[argc] = NULL;
	return argc;
}

int main(void)
{
	static char buf[MAX_ARGS_BYTES];
	char *argv[MAX_ARGS];
	int status = 0, code = 255, argc, fd;
	pid_t pid;

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

	argc = read_args(buf, argv);
	if (argc > 0) {
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
		} else {
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			if (WIFEXITED(status))
				code = WEXITSTATUS(status);
			else if (WIFSIGNALED(status))
				code = 128 + WTERMSIG(status);
		}
	}
	printf("ABT-L1-DONE status=%d\n", code);
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	/* no power-off: reset (QEMU exits with -no-reboot) */
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}
