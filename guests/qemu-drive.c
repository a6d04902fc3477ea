/*
 * qemu-drive: run QEMU with its serial console on stdio, copy the console to
 * our stdout, and drive it with a script of expect/send steps.
 *
 *   qemu-drive [-t SECS] [-l LOG] STEP... -- QEMU-COMMAND...
 *
 * Steps, in order:
 *   expect:TEXT   wait until TEXT appears on the console (after the previous
 *                 match); C escapes \r \n \t \\ are understood
 *   send:TEXT     write TEXT to QEMU's stdin (same escapes)
 *   sleep:SECS    pause (fractions allowed), still copying the console
 *   exit:SECS     wait up to SECS for QEMU to exit by itself; if it does not,
 *                 send it SIGTERM (then SIGKILL) and note "killed" on stderr
 *
 * -t bounds the whole run (default 300 s); -l also writes the console to LOG.
 * QEMU is started with its stdin/stdout as pipes, so use -nographic (or
 * -serial stdio -display none -monitor none).
 *
 * Exit status: 0 when every step completed (QEMU exited, or was killed at an
 * exit: step); 1 when an expect: step timed out or QEMU exited before the
 * script ended; 2 on usage or system errors. Messages from qemu-drive itself
 * go to stderr, prefixed "qemu-drive:".
 *
 * Used by guests/guests.mk (guest-run-linux, guest-run-uboot) and meant for
 * tools that capture traces of the reference guests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t qemu_pid = -1;
static int qemu_in = -1, qemu_out = -1;
static FILE *logf;
static char *buf;          /* console text not yet consumed by a match */
static size_t buf_len, buf_cap;
static int qemu_status = -1;
static int qemu_done;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *unescape(const char *s)
{
	char *o = malloc(strlen(s) + 1), *p = o;
	if (!o)
		exit(2);
	for (; *s; s++) {
		if (*s != '\\' || !s[1]) {
			*p++ = *s;
			continue;
		}
		switch (*++s) {
		case 'r': *p++ = '\r'; break;
		case 'n': *p++ = '\n'; break;
		case 't': *p++ = '\t'; break;
		case 'e': *p++ = 0x1b; break;
		default:  *p++ = *s; break;
		}
	}
	*p = 0;
	return o;
}

static void append(const char *d, size_t n)
{
	if (buf_len + n + 1 > buf_cap) {
		buf_cap = (buf_len + n + 1) * 2;
		buf = realloc(buf, buf_cap);
		if (!buf)
			exit(2);
	}
	memcpy(buf + buf_len, d, n);
	buf_len += n;
	buf[buf_len] = 0;
}

static void reap(int block)
{
	if (qemu_done)
		return;
	int st;
	pid_t r = waitpid(qemu_pid, &st, block ? 0 : WNOHANG);
	if (r == qemu_pid) {
		qemu_done = 1;
		qemu_status = st;
	}
}

/* Copy console output for up to `secs` (or until QEMU's stdout closes).
 * Returns 1 if something was read, 0 on timeout, -1 on EOF. */
static int pump(double secs)
{
	if (qemu_out < 0)
		return -1;
	struct pollfd pf = { .fd = qemu_out, .events = POLLIN };
	int ms = secs <= 0 ? 0 : (int)(secs * 1000) + 1;
	int r = poll(&pf, 1, ms);
	if (r < 0)
		return errno == EINTR ? 0 : -1;
	if (r == 0)
		return 0;
	char tmp[4096];
	ssize_t n = read(qemu_out, tmp, sizeof tmp);
	if (n <= 0) {
		close(qemu_out);
		qemu_out = -1;
		return -1;
	}
	fwrite(tmp, 1, (size_t)n, stdout);
	fflush(stdout);
	if (logf) {
		fwrite(tmp, 1, (size_t)n, logf);
		fflush(logf);
	}
	append(tmp, (size_t)n);
	return 1;
}

static void kill_qemu(void)
{
	reap(0);
	if (qemu_done)
		return;
	kill(qemu_pid, SIGTERM);
	for (int i = 0; i < 50 && !qemu_done; i++) {
		usleep(100000);
		reap(0);
	}
	if (!qemu_done) {
		kill(qemu_pid, SIGKILL);
		reap(1);
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: qemu-drive [-t SECS] [-l LOG] "
		"[expect:TEXT|send:TEXT|sleep:SECS|exit:SECS]... -- QEMU ARGS...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	double total = 300;
	const char *log_path = NULL;
	int i = 1;
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "-t") && i + 1 < argc)
			total = atof(argv[++i]);
		else if (!strcmp(argv[i], "-l") && i + 1 < argc)
			log_path = argv[++i];
		else
			break;
	}
	int first_step = i, dashdash = -1;
	for (; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			dashdash = i;
			break;
		}
	if (dashdash < 0 || dashdash + 1 >= argc)
		usage();
	if (log_path && !(logf = fopen(log_path, "w"))) {
		perror(log_path);
		return 2;
	}

	int pin[2], pout[2];
	if (pipe(pin) || pipe(pout)) {
		perror("pipe");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	qemu_pid = fork();
	if (qemu_pid < 0) {
		perror("fork");
		return 2;
	}
	if (qemu_pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		close(pin[0]); close(pin[1]); close(pout[0]); close(pout[1]);
		execvp(argv[dashdash + 1], argv + dashdash + 1);
		perror(argv[dashdash + 1]);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	qemu_in = pin[1];
	qemu_out = pout[0];

	double t0 = now(), deadline = t0 + total;
	int rc = 0;
	for (i = first_step; i < dashdash && rc == 0; i++) {
		const char *s = argv[i];
		if (!strncmp(s, "expect:", 7)) {
			char *pat = unescape(s + 7);
			for (;;) {
				char *m = buf ? strstr(buf, pat) : NULL;
				if (m) {
					size_t end = (size_t)(m - buf) + strlen(pat);
					memmove(buf, buf + end, buf_len - end + 1);
					buf_len -= end;
					break;
				}
				double left = deadline - now();
				if (left <= 0) {
					fprintf(stderr, "\nqemu-drive: timeout after %.1f s waiting for \"%s\"\n",
						now() - t0, s + 7);
					rc = 1;
					break;
				}
				if (pump(left) < 0) {
					fprintf(stderr, "\nqemu-drive: QEMU ended while waiting for \"%s\"\n", s + 7);
					rc = 1;
					break;
				}
			}
			free(pat);
		} else if (!strncmp(s, "send:", 5)) {
			char *txt = unescape(s + 5);
			size_t n = strlen(txt);
			/* Type it, a character at a time: the guest's UART has a
			 * small FIFO and QEMU drops what it cannot take. */
			for (size_t k = 0; k < n; k++) {
				if (write(qemu_in, txt + k, 1) != 1) {
					fprintf(stderr, "\nqemu-drive: cannot write to QEMU\n");
					rc = 1;
					break;
				}
				double until = now() + 0.002;
				while (now() < until && pump(until - now()) > 0)
					;
			}
			free(txt);
		} else if (!strncmp(s, "sleep:", 6)) {
			double until = now() + atof(s + 6);
			if (until > deadline)
				until = deadline;
			while (now() < until && pump(until - now()) >= 0)
				;
			while (now() < until)
				usleep(10000);
		} else if (!strncmp(s, "exit:", 5)) {
			double until = now() + atof(s + 5);
			if (until > deadline)
				until = deadline;
			while (now() < until && pump(until - now()) >= 0)
				;
			/* stdout closed: QEMU is exiting; give it the rest */
			while (now() < until) {
				reap(0);
				if (qemu_done)
					break;
				usleep(20000);
			}
			reap(0);
			if (!qemu_done) {
				fprintf(stderr, "\nqemu-drive: QEMU still running after %s s: killed\n", s + 5);
				kill_qemu();
			}
		} else {
			fprintf(stderr, "qemu-drive: unknown step \"%s\"\n", s);
			rc = 2;
		}
	}
	/* Script done (or failed): drain what is left, stop QEMU if needed. */
	while (pump(0) > 0)
		;
	kill_qemu();
	while (pump(0) > 0)
		;
	fprintf(stderr, "qemu-drive: %.1f s, QEMU %s %d\n", now() - t0,
		WIFSIGNALED(qemu_status) ? "signal" : "exit",
		WIFSIGNALED(qemu_status) ? WTERMSIG(qemu_status) : WEXITSTATUS(qemu_status));
	if (rc == 0 && i < dashdash)
		rc = 1;
	if (logf)
		fclose(logf);
	return rc;
}
