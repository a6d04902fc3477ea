/*
 * abt reference guest: /init for the Linux guest (guests/README.md).
 *
 * A fixed, deterministic workload that exercises the kernel paths whose
 * privileged instructions abt translates: system-call entry/exit, fork and
 * exit, context switches through pipes, page faults and TLB refills, and a
 * timer sleep. Each phase prints one line with its length in timebase ticks
 * (mftb is readable from user mode on e500; 400 MHz under QEMU ppce500).
 * Then it prints the marker line ABT-WORKLOAD-DONE and powers off.
 *
 * Build: powerpc-linux-gnu-gcc -static -mcpu=8540 -msoft-float -O2
 *
 * Output goes to the console (fd 1, /dev/console from the initramfs).
 * With `abt_out=kmsg` on the kernel command line (the kernel passes unknown
 * key=value words to init as environment) it goes to /dev/kmsg instead, so it
 * leaves through the kernel's polled console path: useful under a VMM that
 * models no UART interrupt.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N_GETPPID     20000
#define N_OTHER       2000      /* 4 kinds x 500 */
#define N_FORK        50
#define N_PINGPONG    1000
#define MAP_BYTES     (4u << 20)
#define N_MAP_ROUNDS  4
#define SLEEP_NS      100000000L /* 100 ms */

static int out_fd = 1;

static void put(const char *s)
{
	size_t n = strlen(s);
	while (n > 0) {
		ssize_t w = write(out_fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static char *utoa(char *p, unsigned long long v)
{
	char tmp[24];
	int i = 0;
	do {
		tmp[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		*p++ = tmp[--i];
	*p = 0;
	return p;
}

/* "abt-init: <what> <n> ticks=<t>\n" in one write, so lines stay whole. */
static void report(const char *what, unsigned long long n,
		   unsigned long long ticks)
{
	char buf[160], *p = buf;
	size_t l = strlen(what);
	if (l > 100)
		l = 100;
	memcpy(p, "abt-init: ", 10);
	p += 10;
	memcpy(p, what, l);
	p += l;
	*p++ = ' ';
	p = utoa(p, n);
	memcpy(p, " ticks=", 7);
	p += 7;
	p = utoa(p, ticks);
	*p++ = '\n';
	*p = 0;
	put(buf);
}

static void die(const char *what)
{
	char buf[32];
	put("abt-init: FAILED: ");
	put(what);
	put(" errno=");
	utoa(buf, (unsigned)errno);
	put(buf);
	put("\n");
	/* pid 1 must not exit; idle so the marker never appears. */
	for (;;)
		pause();
}

static inline unsigned long long timebase(void)
{
	uint32_t hi, lo, hi2;
	do {
		__asm__ volatile("mftbu %0" : "=r"(hi));
		__asm__ volatile("mftb %0" : "=r"(lo));
		__asm__ volatile("mftbu %0" : "=r"(hi2));
	} while (hi != hi2);
	return ((unsigned long long)hi << 32) | lo;
}

static void setup(void)
{
	/* The kernel opened /dev/console from the initramfs for fds 0-2. If
	 * it could not, devtmpfs provides it. */
	mkdir("/dev", 0755);
	mkdir("/proc", 0555);
	if (fcntl(1, F_GETFD) < 0) {
		if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) == 0) {
			int fd = open("/dev/console", O_RDWR);
			if (fd >= 0) {
				dup2(fd, 0);
				dup2(fd, 1);
				dup2(fd, 2);
				if (fd > 2)
					close(fd);
			}
		}
	} else {
		mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	}
	mount("proc", "/proc", "proc", 0, NULL);

	const char *o = getenv("abt_out");
	if (o && strcmp(o, "kmsg") == 0) {
		int fd = open("/dev/kmsg", O_WRONLY);
		if (fd >= 0)
			out_fd = fd;
	}
}

static void phase_getppid(void)
{
	unsigned long long t = timebase();
	for (int i = 0; i < N_GETPPID; i++)
		syscall(SYS_getppid);
	report("getppid", N_GETPPID, timebase() - t);
}

static void phase_other(void)
{
	unsigned long long t = timebase();
	for (int i = 0; i < N_OTHER / 4; i++) {
		syscall(SYS_getpid);
		syscall(SYS_getuid);
		syscall(SYS_gettid);
		syscall(SYS_umask, 022);
	}
	report("getpid+getuid+gettid+umask", N_OTHER, timebase() - t);
}

static void phase_fork(void)
{
	unsigned long long t = timebase();
	for (int i = 0; i < N_FORK; i++) {
		pid_t p = fork();
		if (p < 0)
			die("fork");
		if (p == 0)
			_exit(i & 0x7f);
		int st;
		if (waitpid(p, &st, 0) != p || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != (i & 0x7f))
			die("waitpid");
	}
	report("fork+exit+wait", N_FORK, timebase() - t);
}

static void phase_pingpong(void)
{
	int to_child[2], to_parent[2];
	if (pipe(to_child) || pipe(to_parent))
		die("pipe");
	unsigned long long t = timebase();
	pid_t p = fork();
	if (p < 0)
		die("fork");
	if (p == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		unsigned char c;
		for (int i = 0; i < N_PINGPONG; i++) {
			if (read(to_child[0], &c, 1) != 1)
				_exit(1);
			c++;
			if (write(to_parent[1], &c, 1) != 1)
				_exit(2);
		}
		_exit(0);
	}
	close(to_child[0]);
	close(to_parent[1]);
	unsigned char c = 0, r;
	for (int i = 0; i < N_PINGPONG; i++) {
		if (write(to_child[1], &c, 1) != 1)
			die("pipe write");
		if (read(to_parent[0], &r, 1) != 1 ||
		    r != (unsigned char)(c + 1))
			die("pipe read");
		c = (unsigned char)(r + 1);
	}
	int st;
	if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st))
		die("pingpong child");
	close(to_child[1]);
	close(to_parent[0]);
	report("pipe-roundtrips", N_PINGPONG, timebase() - t);
}

static void phase_faults(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	if (pg <= 0)
		pg = 4096;
	unsigned long long t = timebase();
	unsigned long touched = 0;
	for (int r = 0; r < N_MAP_ROUNDS; r++) {
		volatile unsigned char *m = mmap(NULL, MAP_BYTES,
						 PROT_READ | PROT_WRITE,
						 MAP_PRIVATE | MAP_ANONYMOUS,
						 -1, 0);
		if (m == MAP_FAILED)
			die("mmap");
		for (unsigned long off = 0; off < MAP_BYTES; off += (unsigned long)pg) {
			m[off] = (unsigned char)(off >> 12);
			touched++;
		}
		if (munmap((void *)m, MAP_BYTES))
			die("munmap");
	}
	report("page-touches(4MiB-mmap)", touched, timebase() - t);
}

static void phase_sleep(void)
{
	struct timespec ts = { 0, SLEEP_NS };
	unsigned long long t = timebase();
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	report("nanosleep-100ms", 1, timebase() - t);
}

int main(void)
{
	setup();
	put("abt-init: start\n");
	unsigned long long t0 = timebase();
	phase_getppid();
	phase_other();
	phase_fork();
	phase_pingpong();
	phase_faults();
	phase_sleep();
	report("workload-total", 6, timebase() - t0);
	put("ABT-WORKLOAD-DONE\n");
	sync();
	reboot(RB_POWER_OFF);
	/* No power-off device: a reset makes QEMU exit when run with
	 * -no-reboot. */
	put("abt-init: power-off failed, resetting\n");
	reboot(RB_AUTOBOOT);
	put("abt-init: reset failed\n");
	for (;;)
		pause();
}
