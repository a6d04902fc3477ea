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
 * With `abt_text=0xSTART+0xLEN` on the kernel command line (a guest-physical
 * range of kernel text), it checksums that range through /dev/mem before the
 * first phase and after the last one and prints whether the two agree: the
 * guest must never read the host's patches in its own text.
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
#include <stdio.h>
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

#define N_NULL        10000
#define NULL_SYSCALL  9999      /* no such system call: -ENOSYS */
#define N_GETPPID     20000
#define N_OTHER       2000      /* 4 kinds x 500 */
#define N_FORK        50
#define N_PINGPONG    1000
#define MAP_BYTES     (4u << 20)
#define N_MAP_ROUNDS  4
#define SLEEP_NS      100000000L /* 100 ms */
#define N_PHASES      7
#define TEXT_MAX      (64u << 20) /* largest abt_text= length accepted */

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

/* "abt-init: FAILED: <what> errno=<e>\n"; the caller decides what next. */
static void failed(const char *what)
{
	char buf[160];
	snprintf(buf, sizeof(buf), "abt-init: FAILED: %s errno=%d\n", what,
		 errno);
	put(buf);
}

static void die(const char *what)
{
	failed(what);
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

/*
 * Kernel-text checksum through /dev/mem (needs CONFIG_DEVMEM=y and
 * CONFIG_STRICT_DEVMEM off). The range comes from the kernel command line,
 * `abt_text=0xSTART+0xLEN`, guest-physical.
 */
struct text_range {
	int present;		/* abt_text= was given */
	int ok;			/* ... and parsed */
	unsigned long start, len;
};

static struct text_range text_range(void)
{
	struct text_range r = { 0, 0, 0, 0 };
	char line[1024], *p, *end;
	int fd = open("/proc/cmdline", O_RDONLY);
	ssize_t n;

	if (fd < 0) {
		failed("text-checksum: open /proc/cmdline");
		return r;
	}
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n < 0) {
		failed("text-checksum: read /proc/cmdline");
		return r;
	}
	line[n] = 0;
	for (p = line; (p = strstr(p, "abt_text=")) != NULL; p++)
		if (p == line || p[-1] == ' ')
			break;
	if (!p)
		return r;
	r.present = 1;
	p += 9;
	errno = 0;
	r.start = strtoul(p, &end, 16);
	if (end == p || *end != '+' || errno)
		goto bad;
	p = end + 1;
	r.len = strtoul(p, &end, 16);
	if (end == p || (*end && *end != ' ' && *end != '\n') || errno ||
	    r.len == 0 || r.len > TEXT_MAX || r.start > 0x7fffffffUL - r.len)
		goto bad;
	r.ok = 1;
	return r;
bad:
	errno = EINVAL;
	failed("text-checksum: abt_text= is not 0xSTART+0xLEN");
	return r;
}

/* FNV-1a, 32 bits, over the bytes of [start, start + len) of /dev/mem. */
static int text_checksum(const struct text_range *r, uint32_t *sum)
{
	static unsigned char buf[65536];
	uint32_t h = 2166136261u;
	unsigned long done = 0;
	int fd = open("/dev/mem", O_RDONLY);

	if (fd < 0) {
		failed("text-checksum: open /dev/mem");
		return -1;
	}
	while (done < r->len) {
		size_t want = r->len - done;
		ssize_t n;

		if (want > sizeof(buf))
			want = sizeof(buf);
		n = pread(fd, buf, want, (off_t)(r->start + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			failed("text-checksum: read /dev/mem");
			close(fd);
			return -1;
		}
		for (ssize_t i = 0; i < n; i++) {
			h ^= buf[i];
			h *= 16777619u;
		}
		done += (unsigned long)n;
	}
	close(fd);
	*sum = h;
	return 0;
}

static void phase_null(void)
{
	errno = 0;
	if (syscall(NULL_SYSCALL) != -1 || errno != ENOSYS)
		die("null-syscall: no ENOSYS");
	unsigned long long t = timebase();
	for (int i = 0; i < N_NULL; i++)
		syscall(NULL_SYSCALL);
	report("null-syscall", N_NULL, timebase() - t);
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
	struct text_range tr;
	uint32_t before = 0, after = 0;
	int have_before = 0;

	/* Guest timebase when init starts: boot-to-init for the e2e report
	 * (KVM on e500v2 does not offset the timebase). */
	unsigned long long tb_start = timebase();
	char line[64];

	setup();
	memcpy(line, "abt-init: start tb=", 19);
	strcpy(utoa(line + 19, tb_start), "\n");
	put(line);
	tr = text_range();
	if (tr.ok)
		have_before = text_checksum(&tr, &before) == 0;

	unsigned long long t0 = timebase();
	phase_null();
	phase_getppid();
	phase_other();
	phase_fork();
	phase_pingpong();
	phase_faults();
	phase_sleep();
	report("workload-total", N_PHASES, timebase() - t0);

	if (!tr.present) {
		put("abt-init: text-checksum skipped (no abt_text=)\n");
	} else if (have_before && text_checksum(&tr, &after) == 0) {
		char buf[128];
		snprintf(buf, sizeof(buf),
			 "abt-init: text-checksum before=0x%08x after=0x%08x len=%lu %s\n",
			 (unsigned)before, (unsigned)after, tr.len,
			 before == after ? "match" : "MISMATCH");
		put(buf);
	}
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
